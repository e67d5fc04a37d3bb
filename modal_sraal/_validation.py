"""Input validation shared by every public entry point.

Every check raises ``ValueError`` (or ``TypeError``) whose message names the
offending argument, *before* any state is modified.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.utils.validation import check_array

try:  # torch is a hard dependency, but keep this module importable without it
    import torch
except ImportError:  # pragma: no cover
    torch = None


def to_numpy(a: Any) -> Any:
    """Return ``a`` as a numpy array if it is a torch tensor, else unchanged."""
    if torch is not None and isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    return a


def check_samples(X: Any, name: str = "X", *, min_samples: int = 1) -> np.ndarray:
    """Validate a batch of samples and return it as a float32 array.

    Accepts numpy arrays (any float or integer dtype, uint8 images included),
    torch tensors, nested lists and pandas DataFrames. Samples are rows: flat
    feature vectors ``(n, d)`` or images ``(n, channels, H, W)``.

    Raises
    ------
    ValueError
        If ``X`` is empty, contains NaN or inf, or has fewer than 2 dimensions.
    """
    X = to_numpy(X)
    if X is None:
        raise ValueError(f"{name} is None; expected an array of samples.")
    try:
        X = check_array(
            X, dtype=np.float32, allow_nd=True, ensure_2d=False,
            ensure_min_samples=min_samples, input_name=name,
        )
    except ValueError as exc:
        msg = str(exc)
        if name not in msg:
            msg = f"{name}: {msg}"
        raise ValueError(msg) from None
    if X.ndim < 2:
        raise ValueError(
            f"{name} must have shape (n_samples, n_features) or "
            f"(n_samples, channels, H, W); got shape {X.shape}. Reshape your data "
            f"(e.g. X.reshape(-1, 1) for a single feature)."
        )
    if X.ndim == 3:
        # A batch of single-channel images without the channel axis.
        X = X[:, None]
    if X.ndim > 4:
        raise ValueError(
            f"{name} must be 2-D (flat features) or 4-D (images); got shape {X.shape}."
        )
    return X


def check_same_sample_shape(X: np.ndarray, ref_shape: tuple, name: str, ref_name: str) -> None:
    """Raise if the per-sample shape of ``X`` differs from ``ref_shape``."""
    if tuple(X.shape[1:]) != tuple(ref_shape):
        raise ValueError(
            f"{name} has samples of shape {tuple(X.shape[1:])}, but {ref_name} has "
            f"samples of shape {tuple(ref_shape)}; they must match (features, "
            f"channels and image size)."
        )


def check_n_instances(n_instances: Any, n_pool: int, name: str = "n_instances") -> int:
    """Validate the number of samples to select from a pool of ``n_pool``."""
    if isinstance(n_instances, (bool, np.bool_)) or not isinstance(n_instances, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer; got {n_instances!r}.")
    n_instances = int(n_instances)
    if n_pool < 1:
        raise ValueError(f"The pool is empty: cannot select {name}={n_instances} samples.")
    if n_instances < 1:
        raise ValueError(f"{name} must be >= 1; got {n_instances}.")
    if n_instances > n_pool:
        raise ValueError(
            f"{name}={n_instances} is larger than the pool ({n_pool} samples)."
        )
    return n_instances


def check_proba(proba: Any, name: str = "proba", *, atol: float = 1e-3,
                ignore_mask: Any = None) -> np.ndarray:
    """Validate predicted class probabilities and return them as ``(n, C)`` float64.

    ``proba`` is ``(n, C)`` or ``(n, C, *spatial)``; in the latter case each
    sample's vector is the mean over its spatial positions (SRAAL §3.3),
    leaving out positions where ``ignore_mask`` ``(n, *spatial)`` is True.
    """
    P = to_numpy(proba)
    try:
        P = np.asarray(P, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array; {exc}") from None
    if P.ndim < 2:
        raise ValueError(
            f"{name} must have shape (n_samples, n_classes) or "
            f"(n_samples, n_classes, *spatial); got shape {P.shape}."
        )
    if P.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 samples).")
    if P.shape[1] < 2:
        raise ValueError(
            f"{name} has {P.shape[1]} class(es); at least 2 classes are needed "
            f"to measure uncertainty."
        )
    if not np.all(np.isfinite(P)):
        raise ValueError(f"{name} contains NaN or inf.")
    if ignore_mask is not None:
        mask = np.asarray(to_numpy(ignore_mask), dtype=bool)
        if P.ndim < 3 or mask.shape != (P.shape[0], *P.shape[2:]):
            raise ValueError(f"ignore_mask must have shape (n, *spatial) = "
                             f"{(P.shape[0], *P.shape[2:])}; got {mask.shape}.")
        valid = ~mask.reshape(len(mask), -1)
        if not valid.any(axis=1).all():
            raise ValueError("ignore_mask ignores every pixel of some sample.")
        flat = P.reshape(P.shape[0], P.shape[1], -1)
        P = (flat * valid[:, None]).sum(axis=2) / valid.sum(axis=1)[:, None]
    elif P.ndim > 2:
        P = P.reshape(P.shape[0], P.shape[1], -1).mean(axis=2)
    if np.any(P < -atol):
        raise ValueError(f"{name} has negative entries (min {P.min():.3g}).")
    sums = P.sum(axis=1)
    bad = np.abs(sums - 1.0) > atol
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name} rows must sum to 1 (within {atol}); row {i} sums to {sums[i]:.6g}. "
            f"Pass probabilities (e.g. softmax outputs), not logits."
        )
    return np.clip(P, 0.0, 1.0)


def check_random_state_seed(random_state: Any) -> int:
    """A child seed drawn from ``random_state`` (an int, a RandomState or None):
    the one expression every module uses to seed torch or a nested estimator."""
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the caller's own line.

    Counts the frames inside this package, modAL and scikit-learn's wrappers
    (modAL's ``query`` calls a strategy, scikit-learn wraps ``fit_transform``)
    from the ``warnings.warn`` call up to the first frame outside them.
    """
    import os
    import sys

    skip = tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep
                 for m in (sys.modules.get("modal_sraal"), sys.modules.get("modAL"),
                           sys.modules.get("sklearn"))
                 if m is not None and getattr(m, "__file__", None))
    frame, level = sys._getframe(1), 1   # the frame that calls warnings.warn
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(skip):
        frame, level = frame.f_back, level + 1
    return level

