"""A small compatibility layer for modAL 0.4.2.1's own input validation.

modAL (no release since 2023) validates what ``teach`` receives with
scikit-learn's ``check_X_y(..., multi_output=True,
force_all_finite=...)``. Two things break there:

* scikit-learn 1.6 renamed ``force_all_finite`` to ``ensure_all_finite`` and
  1.8 removed the old name, so every ``teach`` raises a ``TypeError``
  (modAL issue #196);
* ``multi_output=True`` accepts labels of at most 2 dimensions, so
  segmentation masks ``(n, H, W)``, which ``ActiveLearner.__init__`` takes,
  fail in ``teach`` ("Found array with dim 3").

:func:`patch_modal` replaces the name ``check_X_y`` *inside modAL's
``modAL.models.learners`` module only* with :func:`modal_check_X_y`, which
passes the finiteness flag under the name this scikit-learn knows and
validates N-D labels as arrays. It also gives ``modAL.models.base`` a
``retrieve_rows`` (:func:`modal_retrieve_rows`) that reads the queried rows
of an HDF5 or zarr pool (they need sorted indices; modAL's indexes them
directly and fails). scikit-learn itself is not changed. It runs
when :mod:`modal_sraal` is imported, is idempotent, and raises an
``ImportError`` naming what is missing if a future modAL no longer has it.
"""
from __future__ import annotations

import inspect
from typing import Any, Tuple

import numpy as np
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils import check_X_y as sklearn_check_X_y

__all__ = ["patch_modal", "modal_check_X_y", "modal_retrieve_rows"]

#: The modAL module whose ``check_X_y`` is replaced.
MODAL_MODULE = "modAL.models.learners"
#: The modAL module whose ``retrieve_rows`` is replaced (``query`` returns the rows).
MODAL_BASE_MODULE = "modAL.models.base"

_FINITE = ("ensure_all_finite"
           if "ensure_all_finite" in inspect.signature(sklearn_check_X_y).parameters
           else "force_all_finite")


def modal_check_X_y(X: Any, y: Any, *, force_all_finite: Any = True, **kwargs: Any) -> Tuple[Any, Any]:
    """modAL's call of ``check_X_y``, for every scikit-learn and for N-D labels.

    ``force_all_finite`` (modAL's keyword) is passed as ``ensure_all_finite``
    on scikit-learn >= 1.6. Labels of more than 2 dimensions (segmentation
    masks) are checked as arrays of the same length as ``X`` instead of
    being refused.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.zeros((2, 1, 4, 4)), np.zeros((2, 4, 4), dtype=int)
    >>> [a.shape for a in modal_check_X_y(X, y, allow_nd=True, multi_output=True,
    ...                                   force_all_finite=True)]
    [(2, 1, 4, 4), (2, 4, 4)]
    """
    finite = {_FINITE: force_all_finite}
    if np.ndim(y) > 2:
        array_kwargs = {k: v for k, v in kwargs.items() if k not in ("multi_output", "y_numeric")}
        X = check_array(X, **array_kwargs, **finite)
        y = check_array(y, ensure_2d=False, allow_nd=True, dtype=None, **finite)
        check_consistent_length(X, y)
        return X, y
    return sklearn_check_X_y(X, y, **kwargs, **finite)


def modal_retrieve_rows(X: Any, I: Any) -> Any:
    """modAL's ``retrieve_rows``, plus HDF5 and zarr pools (read by sorted index)."""
    from modAL.utils.data import retrieve_rows

    from .pool import is_store, take_rows

    if is_store(X) and not isinstance(X, np.memmap):
        return take_rows(X, np.atleast_1d(I))
    return retrieve_rows(X, I)


def patch_modal() -> None:
    """Install :func:`modal_check_X_y` in modAL's learners module (idempotent)."""
    import importlib

    module = importlib.import_module(MODAL_MODULE)
    if not hasattr(module, "check_X_y"):
        raise ImportError(
            f"modal_sraal's compatibility layer expected {MODAL_MODULE}.check_X_y, which this "
            f"modAL no longer has; modal_sraal supports modAL-python 0.4.2.1 "
            f"(pip install --no-deps modAL-python==0.4.2.1)."
        )
    module.check_X_y = modal_check_X_y
    base = importlib.import_module(MODAL_BASE_MODULE)
    if not hasattr(base, "retrieve_rows"):
        raise ImportError(f"modal_sraal's compatibility layer expected "
                          f"{MODAL_BASE_MODULE}.retrieve_rows; see above for the supported modAL.")
    base.retrieve_rows = modal_retrieve_rows
