"""A small compatibility layer for modAL 0.4.2.1 on today's stack.

:func:`patch_modal` (run when :mod:`modal_sraal` is imported; idempotent;
:func:`unpatch_modal` restores modAL as it was) replaces exactly these names,
inside modAL's modules only:

* ``modAL.models.learners.check_X_y`` -> :func:`modal_check_X_y`;
* ``modAL.models.base.retrieve_rows`` -> :func:`modal_retrieve_rows`;
* ``modAL.models.learners.data_vstack`` -> :func:`modal_data_vstack`
  (modAL stacks DataFrames with ``DataFrame.append``, removed in pandas 2);
* ``BaseLearner.query`` and ``BaseCommittee.query`` -> :func:`modal_query`
  (:func:`modal_committee_query`):
  modAL wraps the query strategy in a bare ``except:`` and calls it a second
  time when the first call raises, so a failing query cost twice and a
  Ctrl-C during a long query was swallowed (the query started again). Ours
  calls the strategy once; an error, ``KeyboardInterrupt`` included, comes
  out as raised.

Not patched, documented instead: ``clone(ActiveLearner)`` fails in modAL
(``no attribute 'bootstrap_init'``: modAL's ``__init__`` does not store its
parameters as scikit-learn expects); build a new learner instead.

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

import functools
import importlib.abc
import sys
from typing import Any, Dict, Sequence, Tuple

import numpy as np

__all__ = ["patch_modal", "unpatch_modal", "modal_check_X_y", "modal_retrieve_rows",
           "modal_data_vstack", "modal_query", "modal_committee_query"]

#: The modAL module whose ``check_X_y`` is replaced.
MODAL_MODULE = "modAL.models.learners"
#: The modAL module whose ``retrieve_rows`` is replaced (``query`` returns the rows),
#: and whose BaseLearner and BaseCommittee get :func:`modal_query`.
MODAL_BASE_MODULE = "modAL.models.base"
#: The modAL module whose ``data_vstack`` is replaced (``teach`` stacks with it).
MODAL_LEARNERS_MODULE = "modAL.models.learners"

@functools.lru_cache(maxsize=None)
def _finite_keyword() -> str:
    """The name this scikit-learn gives the finiteness flag."""
    import inspect

    from sklearn.utils import check_X_y

    return ("ensure_all_finite" if "ensure_all_finite" in inspect.signature(check_X_y).parameters
            else "force_all_finite")


_UNSET = object()
#: (module, class, attribute) -> modAL's original, saved by the first patch_modal().
_ORIGINALS: Dict[Tuple[str, str, str], Any] = {}


def modal_check_X_y(X: Any, y: Any, *, force_all_finite: Any = _UNSET,
                    ensure_all_finite: Any = _UNSET, **kwargs: Any) -> Tuple[Any, Any]:
    """modAL's call of ``check_X_y``, for every scikit-learn and for N-D labels.

    The finiteness flag is accepted under either name (modAL passes
    ``force_all_finite``; a later modAL may pass ``ensure_all_finite``) and
    given to scikit-learn under the name it knows. Labels of more than 2 dimensions (segmentation
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
    if force_all_finite is not _UNSET and ensure_all_finite is not _UNSET \
            and force_all_finite != ensure_all_finite:
        raise ValueError(f"force_all_finite={force_all_finite!r} and ensure_all_finite="
                         f"{ensure_all_finite!r} disagree; pass one of them.")
    from sklearn.utils import check_array, check_consistent_length
    from sklearn.utils import check_X_y as sklearn_check_X_y

    flag = next((v for v in (ensure_all_finite, force_all_finite) if v is not _UNSET), True)
    finite = {_finite_keyword(): flag}
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


def modal_data_vstack(blocks: Sequence[Any]) -> Any:
    """modAL's ``data_vstack``, with pandas DataFrames and Series stacked by ``pd.concat``.

    Examples
    --------
    >>> import pandas as pd
    >>> modal_data_vstack([pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [2]})])["a"].tolist()
    [1, 2]
    """
    from modAL.utils.data import data_vstack

    if type(blocks[0]).__name__ in ("DataFrame", "Series") \
            and type(blocks[0]).__module__.startswith("pandas"):
        import pandas as pd

        return pd.concat(list(blocks))
    return data_vstack(blocks)


def modal_query(self: Any, X_pool: Any, *query_args: Any, return_metrics: bool = False,
                **query_kwargs: Any):
    """modAL's ``query`` (learners and committees), calling the strategy once.

    A strategy returns ``(indices, metrics)`` as modAL's own do, or the
    indices alone; either way it runs once, and whatever it raises
    (``KeyboardInterrupt`` included) reaches the caller.
    """
    import warnings

    from modAL.models import base

    result = self.query_strategy(self, X_pool, *query_args, **query_kwargs)
    if isinstance(result, tuple) and len(result) == 2:
        query_result, query_metrics = result
    else:
        query_result, query_metrics = result, None
    rows = base.retrieve_rows(X_pool, query_result)
    if return_metrics:
        if query_metrics is None:
            warnings.warn("The selected query strategy doesn't support return_metrics")
        return query_result, rows, query_metrics
    return query_result, rows


#: Where each replacement goes: (module, class or "", attribute, replacement name).
PATCHES = [
    (MODAL_MODULE, "", "check_X_y", "modal_check_X_y"),
    (MODAL_BASE_MODULE, "", "retrieve_rows", "modal_retrieve_rows"),
    (MODAL_LEARNERS_MODULE, "", "data_vstack", "modal_data_vstack"),
    (MODAL_BASE_MODULE, "BaseLearner", "query", "modal_query"),
    (MODAL_BASE_MODULE, "BaseCommittee", "query", "modal_committee_query"),
]


def modal_committee_query(self: Any, X_pool: Any, return_metrics: bool = False, *query_args: Any,
                          **query_kwargs: Any):
    """:func:`modal_query` for committees (modAL's committee signature)."""
    return modal_query(self, X_pool, *query_args, return_metrics=return_metrics, **query_kwargs)


def _owner(module: str, cls: str):
    import importlib

    mod = importlib.import_module(module)
    return getattr(mod, cls) if cls else mod


def patch_modal() -> None:
    """Install this layer's replacements in modAL (idempotent; see the module docstring)."""
    for module, cls, attr, name in PATCHES:
        owner = _owner(module, cls)
        where = f"{module}.{cls + '.' if cls else ''}{attr}"
        if not hasattr(owner, attr):
            raise ImportError(
                f"modal_sraal's compatibility layer expected {where}, which this "
                f"modAL no longer has; modal_sraal supports modAL-python 0.4.2.1 "
                f"(pip install --no-deps modAL-python==0.4.2.1)."
            )
        replacement = globals()[name]
        current = getattr(owner, attr)
        if current is not replacement:
            _ORIGINALS.setdefault((module, cls, attr), current)
        setattr(owner, attr, replacement)


def unpatch_modal() -> None:
    """Put back modAL's own functions (:func:`patch_modal` installs ours again)."""
    for (module, cls, attr), original in list(_ORIGINALS.items()):
        setattr(_owner(module, cls), attr, original)
    _ORIGINALS.clear()


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Applies :func:`patch_modal` right after ``modAL.models`` is first imported.

    ``import modal_sraal`` stays light (no modAL, no torch, so ``modal-sraal
    --help`` answers at once); a modAL imported later is patched before any
    of its code runs in the user's program.
    """

    def find_spec(self, fullname, path, target=None):
        if fullname != "modAL.models":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader)
                return spec
        return None


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, inner: Any):
        self.inner = inner

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module) -> None:
        self.inner.exec_module(module)
        patch_modal()

    def __getattr__(self, name: str) -> Any:   # resource readers and the like
        return getattr(self.inner, name)


def patch_modal_when_imported() -> None:
    """:func:`patch_modal` now if modAL is loaded, else as soon as it is (idempotent)."""
    if "modAL.models" in sys.modules:
        patch_modal()
    elif not any(isinstance(f, _PatchAfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchAfterImport())

