"""Baseline query strategies of the paper's comparison (§4), as modAL strategies.

Entropy and margin sampling are modAL's own (``modAL.uncertainty``); Core-set
is :func:`modal_sraal.coreset_query`; VAAL is ``SRAAL(relabel='binary',
use_stl=False)``. This module adds random sampling and MC-Dropout.
"""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np
import torch

from ._validation import check_n_instances, check_samples
from .selection import select_top_k
from .uncertainty import _shannon_entropy

__all__ = ["random_query", "mc_dropout_query", "pixel_entropy_query"]


def random_query(learner: Any, X_pool: Any, n_instances: int = 1,
                 random_state: Any = None) -> Tuple[np.ndarray, np.ndarray]:
    """Random sampling: ``n_instances`` distinct pool rows, uniformly.

    Examples
    --------
    >>> random_query(None, [[0.0], [1.0], [2.0]], n_instances=2, random_state=0)[0]
    array([2, 1])
    """
    from sklearn.utils import check_random_state

    n_pool = len(X_pool)
    n_instances = check_n_instances(n_instances, n_pool)
    idx = check_random_state(random_state).choice(n_pool, n_instances, replace=False)
    return idx, np.zeros(n_instances)


def mc_dropout_query(learner: Any, X_pool: Any, n_instances: int = 1, *, n_passes: int = 10,
                     acquisition: str = "bald", batch_size: int = 512,
                     random_state: Any = 0) -> Tuple[np.ndarray, np.ndarray]:
    """MC-Dropout (Gal et al., 2017): ``n_passes`` stochastic forward passes
    with dropout on, scored by BALD (mutual information) or max-entropy.

    The learner's estimator must be a skorch net (or a Pipeline ending in one)
    whose module has dropout layers.

    Parameters
    ----------
    acquisition : {'bald', 'entropy'}, default='bald'

    Examples
    --------
    >>> import numpy as np
    >>> from modAL.models import ActiveLearner
    >>> from modal_sraal.models import make_target_classifier
    >>> X = np.random.RandomState(0).rand(40, 6).astype("float32")
    >>> net = make_target_classifier((6,), 2, max_epochs=2)
    >>> learner = ActiveLearner(net, mc_dropout_query, X_training=X[:10], y_training=np.arange(10) % 2)
    >>> learner.query(X[10:], n_instances=3)[0].shape
    (3,)
    """
    from sklearn.pipeline import Pipeline

    if acquisition not in ("bald", "entropy"):
        raise ValueError(f"acquisition must be 'bald' or 'entropy'; got {acquisition!r}.")
    net = learner.estimator
    X = X_pool
    if isinstance(net, Pipeline):
        X, net = net[:-1].transform(X_pool), net[-1]
    if not hasattr(net, "module_"):
        raise TypeError("mc_dropout_query needs a fitted skorch net as the learner's estimator.")
    X = check_samples(X, "X_pool")
    n_instances = check_n_instances(n_instances, len(X))
    module = net.module_
    was_training = module.training
    probs = []
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(0 if random_state is None else int(random_state))
            module.train()  # dropout on
            for _ in range(n_passes):
                out = [torch.softmax(module(torch.as_tensor(X[i:i + batch_size]).to(net.device)), 1)
                       for i in range(0, len(X), batch_size)]
                probs.append(torch.cat(out).cpu().numpy().astype(np.float64))
    finally:
        module.train(was_training)
    P = np.stack(probs)                       # (T, n, C)
    scores = _shannon_entropy(P.mean(axis=0), axis=-1)
    if acquisition == "bald":
        scores = scores - _shannon_entropy(P, axis=-1).mean(axis=0)
    return select_top_k(scores, n_instances)


def pixel_entropy_query(learner: Any, X_pool: Any, n_instances: int = 1
                        ) -> Tuple[np.ndarray, np.ndarray]:
    """Entropy sampling for classification *and* segmentation: the entropy of
    each sample's probabilities, averaged over pixels when ``predict_proba``
    returns ``(n, C, H, W)`` (modAL's ``entropy_sampling`` expects ``(n, C)``).

    Examples
    --------
    >>> import numpy as np
    >>> class Seg:
    ...     def predict_proba(self, X):
    ...         P = np.full((len(X), 2, 2, 2), 0.5)
    ...         P[0] = [[[1, 1], [1, 1]], [[0, 0], [0, 0]]]   # sample 0 is certain
    ...         return P
    >>> class L: estimator = Seg(); predict_proba = Seg().predict_proba
    >>> pixel_entropy_query(L(), np.zeros((3, 1, 2, 2)), n_instances=1)[0]
    array([1])
    """
    n_instances = check_n_instances(n_instances, len(X_pool))
    P = np.asarray(learner.predict_proba(X_pool), dtype=np.float64)
    ent = _shannon_entropy(P, axis=1)
    scores = ent.reshape(len(ent), -1).mean(axis=1)   # per-image mean; (n,) stays (n,)
    return select_top_k(scores, n_instances)


def state_query(learner: Any, X_pool: Any, n_instances: int = 1, *,
                relabel: Any = "oui") -> Tuple[np.ndarray, np.ndarray]:
    """Top-K of the relabeled state itself (e.g. the OUI of the target's probabilities).

    What SRAAL's top-K would pick with a discriminator that tracked the
    states perfectly: the reference against which SRAAL's tracking is worth
    measuring (docs: Benchmarks).

    Examples
    --------
    >>> import numpy as np
    >>> from modAL.models import ActiveLearner
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [0.5], [3.0]])
    >>> learner = ActiveLearner(LogisticRegression(), state_query,
    ...                         X_training=X[[0, 3]], y_training=[0, 1])
    >>> int(learner.query(X, n_instances=1)[0][0])   # the row nearest the boundary (1.5)
    1
    """
    from .pool import pool_predict_proba
    from .uncertainty import relabeling_score

    proba = pool_predict_proba(learner, X_pool)
    states = relabeling_score(relabel)(proba)
    return select_top_k(states, n_instances)
