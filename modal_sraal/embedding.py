"""Embeddings for k-center distances (Core-set, Alg. 1's initializer).

Each embedding maps rows to low-dimensional vectors in one pass; a streamed
pool (:mod:`modal_sraal.pool`) is embedded chunk by chunk, so the memory is
the embedding's, never the raw pixels'.
"""
from __future__ import annotations

from typing import Any, Callable, Union

import numpy as np
from sklearn.utils import check_random_state

from ._validation import check_proba, check_samples, to_numpy
from .pool import STREAM_BYTES, as_rows, float32_bytes, is_streamed, map_rows, pool_predict_proba

__all__ = ["Embedding", "EMBEDDINGS", "embed", "resolve_embedding", "target_features",
           "random_projection"]

Embedding = Union[str, Callable[[np.ndarray], np.ndarray]]

#: Named embeddings of :func:`embed`.
EMBEDDINGS = ("auto", "raw", "features", "projection", "proba")

#: Dimension of ``'projection'``: random projections of this size keep the
#: pairwise distances of a pool's points within a few percent (Johnson-Lindenstrauss).
PROJECTION_DIM = 128


def _last_linear(net: Any):
    import torch

    module = getattr(net, "module_", None)
    if not isinstance(module, torch.nn.Module):
        return None
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    return linears[-1] if linears else None


def _target_net(learner: Any):
    """``(preprocessing or None, skorch net)`` of a learner's estimator."""
    est = getattr(learner, "estimator", learner)
    steps = getattr(est, "steps", None)
    if steps:  # a Pipeline: all steps but the last preprocess
        return est[:-1], est[-1]
    return None, est


def target_features(learner: Any, X: Any) -> np.ndarray:
    """The target network's penultimate features (the input of its last
    ``torch.nn.Linear``), as Core-set (Sener & Savarese, 2018) uses them.

    Works for a skorch net, or a ``Pipeline`` ending in one, whose module
    ends in a linear layer; ``X`` is fed as ``predict_proba`` would see it.
    """
    import torch

    pre, net = _target_net(learner)
    layer = _last_linear(net)
    if layer is None:
        raise ValueError(
            "embedding='features' needs a learner whose estimator is a fitted skorch net "
            "(or a Pipeline ending in one) with a torch.nn.Linear layer; use "
            "embedding='projection' or a callable otherwise.")
    captured = []
    hook = layer.register_forward_pre_hook(
        lambda _m, inputs: captured.append(inputs[0].detach().flatten(1).cpu()))
    try:
        def run(chunk):
            captured.clear()
            with torch.random.fork_rng(devices=[]):  # skorch's loader draws a seed
                net.forward(pre.transform(chunk) if pre is not None else chunk, training=False)
            return torch.cat(captured).numpy().astype(np.float32)

        if is_streamed(X):
            return map_rows(run, as_rows(X, "X_pool"), raw=True)
        return run(X)
    finally:
        hook.remove()


def random_projection(X: Any, n_components: int = PROJECTION_DIM,
                      random_state: Any = 0) -> np.ndarray:
    """Flattened rows times a fixed Gaussian matrix ``(d, n_components) / sqrt(n_components)``.

    Needs no training and no labels; a streamed pool costs one pass.
    """
    rows = as_rows(X, "X") if is_streamed(X) else None
    d = int(np.prod(rows.sample_shape if rows is not None else np.shape(X)[1:]))
    R = check_random_state(random_state).standard_normal((d, n_components)).astype(np.float32)
    R /= np.sqrt(n_components)

    def project(chunk):
        return chunk.reshape(len(chunk), -1) @ R

    if rows is not None:
        return map_rows(project, rows)
    return project(check_samples(X, "X"))


def resolve_embedding(embedding: Embedding, X: Any, learner: Any = None) -> Embedding:
    """``'auto'``: the raw rows while their float32 copy fits in
    :data:`~modal_sraal.pool.STREAM_BYTES` (small pools keep the plain
    Core-set), else the target network's features when the learner has
    one, else a random projection."""
    if embedding != "auto":
        return embedding
    if float32_bytes(X) <= STREAM_BYTES and not is_streamed(X):
        return "raw"
    if learner is not None and _last_linear(_target_net(learner)[1]) is not None:
        return "features"
    return "projection"


def embed(X: Any, embedding: Embedding, learner: Any = None) -> np.ndarray:
    """Rows of ``X`` as float32 vectors for k-center distances.

    ``'raw'``: the flattened samples; ``'features'``: the target network's
    penultimate features (:func:`target_features`); ``'projection'``:
    :func:`random_projection`; ``'proba'``: the learner's predicted
    probabilities; ``'auto'``: see :func:`resolve_embedding`; a callable:
    ``embedding(X)``.
    """
    embedding = resolve_embedding(embedding, X, learner)
    if callable(embedding):
        Z = np.asarray(to_numpy(embedding(X)), dtype=np.float32)
    elif embedding == "raw":
        if is_streamed(X) and float32_bytes(X) > STREAM_BYTES:
            raise ValueError(
                f"embedding='raw' would hold the pool's pixels in memory "
                f"({np.shape(X)[0]} rows x {int(np.prod(np.shape(X)[1:]))} values as float32); "
                f"use embedding='features', 'projection' or 'auto' for a large pool.")
        X = as_rows(X, "X")[np.arange(np.shape(X)[0])] if is_streamed(X) else X
        Z = np.asarray(X).reshape(len(X), -1).astype(np.float32)
    elif embedding == "features":
        Z = target_features(learner, X)
    elif embedding == "projection":
        Z = random_projection(X)
    elif embedding == "proba" and learner is not None:
        Z = check_proba(pool_predict_proba(learner, X), "learner.predict_proba").astype(np.float32)
    else:
        raise ValueError(f"embedding must be one of {EMBEDDINGS} or a callable; got {embedding!r}.")
    if Z.ndim != 2 or len(Z) != np.shape(X)[0] or not np.all(np.isfinite(Z)):
        raise ValueError(
            f"embedding must give a finite (n_samples, n_dims) array; got shape {Z.shape}."
        )
    return Z
