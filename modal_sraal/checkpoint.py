"""Checkpoint an active learning loop after each cycle and resume it after a crash."""
from __future__ import annotations

import os
import pickle
from typing import Any, Dict, Optional

from ._files import atomic_write

__all__ = ["save_checkpoint", "load_checkpoint"]

_FORMAT = 1


def save_checkpoint(path: str, learner: Any, **state: Any) -> None:
    """Write the learner and the loop's state to ``path``, atomically.

    The learner is pickled whole: its labeled pool (``X_training``,
    ``y_training``), its estimator and the SRAAL kept between queries
    (``learner.sraal_``, with its optimizer state), so a resumed loop makes
    the same next selection as an uninterrupted one. ``state`` holds what the
    loop needs besides (cycle number, labeled/pool indices, results so far).

    The file is written to a temporary name and renamed, so a crash during
    the write leaves the previous checkpoint intact.

    Examples
    --------
    >>> import os, tempfile
    >>> from modAL.models import ActiveLearner
    >>> from sklearn.linear_model import LogisticRegression
    >>> learner = ActiveLearner(LogisticRegression(), X_training=[[0.], [1.]], y_training=[0, 1])
    >>> path = os.path.join(tempfile.mkdtemp(), "loop.pkl")
    >>> save_checkpoint(path, learner, cycle=3, pool=[5, 6])
    >>> load_checkpoint(path)["cycle"]
    3
    """
    payload = {"format": _FORMAT, "learner": learner, "state": state}
    atomic_write(path, lambda f: pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL))


def load_checkpoint(path: str) -> Optional[Dict[str, Any]]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Returns
    -------
    dict or None
        ``{"learner": learner, **state}``, or None if ``path`` does not exist
        (a fresh start).
    """
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        payload = pickle.load(f)
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ValueError(f"{path} is not a modal_sraal checkpoint (format {_FORMAT}).")
    return {"learner": payload["learner"], **payload["state"]}
