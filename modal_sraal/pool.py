"""Pools that do not fit in memory: NumPy memmaps, HDF5 datasets, zarr arrays.

A pool on disk is read in bounded pieces: sequential chunks for passes over
every row (statistics, scoring, ``predict_proba``) and batches by index for
training. Nothing here holds a float copy of the whole pool; what grows with
the pool is one small vector per row (scores, latent codes, probabilities).

Streamed inputs (:func:`is_streamed`): ``np.memmap`` (any dtype, uint8
images included), ``h5py.Dataset``, ``zarr.Array``, :class:`PoolRows`, and
in-memory arrays whose float32 copy would exceed :data:`STREAM_BYTES`.
HDF5 is the store we recommend for pools too large for RAM (docs: Scale):
on a 100k x 3x32x32 uint8 pool it read a random batch of 64 rows 3x faster
than zarr at the same chunking, and a sequential pass 2-8x faster.
"""
from __future__ import annotations

import contextlib
import os

from typing import Any, Callable, Iterator, Optional, Tuple

import numpy as np

from ._validation import check_samples, to_numpy

__all__ = ["STREAM_BYTES", "PoolRows", "is_streamed", "is_store", "check_store", "float32_bytes",
           "as_rows",
           "map_rows", "mapped_by",
           "pool_predict_proba", "take_rows"]

#: In-memory arrays whose float32 copy is larger than this are streamed too.
STREAM_BYTES = 256 * 2**20
#: Float32 bytes per chunk of a sequential pass.
CHUNK_BYTES = 32 * 2**20


def is_store(X: Any) -> bool:
    """An on-disk array: memmap, h5py.Dataset or zarr.Array (duck-typed by module,
    so neither h5py nor zarr is imported unless the user already did)."""
    if isinstance(X, (np.memmap, PoolRows)):
        return True
    module = type(X).__module__.split(".")[0]
    if module == "h5py":   # by type: a closed file's dataset fails on .shape (see check_store)
        return type(X).__name__ == "Dataset"
    return module == "zarr" and hasattr(X, "shape") and hasattr(X, "dtype")


def check_store(X: Any, name: str = "X") -> None:
    """Raise a clear error for a store that cannot be read any more.

    * a memmap whose file shrank, or was replaced by a shorter one, after it
      was mapped: reading past the file's end kills the process (SIGBUS), so
      this compares the file's size with what the map needs before any read;
    * an HDF5 dataset whose file was closed (h5py's own error names a
      dataspace identifier).
    """
    if isinstance(X, np.memmap):
        root = X
        while isinstance(getattr(root, "base", None), np.memmap):
            root = root.base
        path = getattr(root, "filename", None)
        if path is None:
            return
        need = int(root.offset) + int(root.nbytes)
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            size = None
        if size is None or size < need:
            held = "is gone" if size is None else f"holds {size:,} bytes"
            raise ValueError(
                f"{name} is a memmap of {path}, which {held}, but the map needs {need:,} bytes "
                f"(offset {int(root.offset):,} + {root.shape[0]:,} rows): the file was truncated "
                f"or replaced after it was opened. Open it again (np.load(path, mmap_mode='r') "
                f"or np.memmap) and query with the new map.")
    elif type(X).__module__.split(".")[0] == "h5py" and hasattr(X, "id") \
            and not X.id.valid:
        raise ValueError(f"{name} is an HDF5 dataset whose file is closed; open the file again "
                         f"(h5py.File(path, 'r')) and pass its dataset.")


def first_bad_row(rows: np.ndarray) -> Optional[int]:
    """Index of the first row holding NaN or inf, or None."""
    if np.dtype(rows.dtype).kind not in "fc":
        return None
    bad = ~np.isfinite(rows.reshape(len(rows), -1)).all(axis=1)
    return int(np.argmax(bad)) if bad.any() else None


def float32_bytes(X: Any) -> int:
    """Bytes of ``X`` as one float32 array (read from its shape, nothing loaded)."""
    return 4 * int(np.prod(np.shape(X)))


def is_streamed(X: Any) -> bool:
    """Whether ``X`` is read in chunks rather than converted to one float32 array."""
    if is_store(X):
        return True
    return isinstance(X, np.ndarray) and X.ndim >= 2 and float32_bytes(X) > STREAM_BYTES


def _read(store: Any, idx: np.ndarray) -> np.ndarray:
    """Rows ``idx`` (sorted, unique) of one store, as stored."""
    if type(store).__module__.split(".")[0] == "zarr":
        return np.asarray(store.oindex[idx])
    if len(idx) and idx[-1] - idx[0] + 1 == len(idx):  # a run: one contiguous read
        return np.asarray(store[int(idx[0]):int(idx[-1]) + 1])
    return np.asarray(store[idx])  # h5py needs increasing indices: they are


def take_rows(store: Any, indices: Any) -> np.ndarray:
    """Rows of any array or store in the order of ``indices`` (h5py and zarr
    need sorted indices; this sorts, reads once, and restores the order)."""
    idx = np.asarray(indices, dtype=np.int64).ravel()
    if isinstance(store, np.memmap):
        check_store(store)   # a stat per read: the file can shrink while a query runs
    if not is_store(store) or isinstance(store, np.memmap):
        return np.asarray(store[idx])
    uniq, inverse = np.unique(idx, return_inverse=True)
    return _read(store, uniq)[inverse]


class PoolRows:
    """Rows of one or more arrays or stores, seen as one ``(n, *sample)`` array.

    Reading returns validated float32 rows (NaN/inf rejected, a missing
    channel axis added) and never copies more than the rows asked for. Used
    to stack the labeled rows (in memory) on an on-disk pool without a
    concatenated copy, and to view a subset of rows (``subset``).

    Parameters
    ----------
    *parts : array-like or store
        Each of shape ``(n_i, *sample)``, with the same sample shape.
    name : str
        Named in error messages.
    chunk_rows : int, optional
        Rows per chunk of a sequential pass; default: about 32 MiB of float32.

    Examples
    --------
    >>> import numpy as np
    >>> rows = PoolRows(np.zeros((2, 3), np.uint8), np.ones((3, 3)))
    >>> rows.shape, rows[[4, 0]].tolist()
    ((5, 3), [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    """

    def __init__(self, *parts: Any, name: str = "X", chunk_rows: Optional[int] = None,
                 _index: Optional[np.ndarray] = None):
        if not parts:
            raise ValueError(f"{name}: no rows given.")
        for p in parts:
            check_store(p, name)
        self.parts = [p if is_store(p) else np.asarray(to_numpy(p)) for p in parts]
        self.name = name
        shapes = {tuple(p.shape[1:]) for p in self.parts}
        if len(shapes) != 1:
            raise ValueError(f"{name}: the parts have different sample shapes {sorted(shapes)}.")
        for p in self.parts:
            if np.dtype(p.dtype).kind not in "biuf":
                raise ValueError(f"{name} must hold numbers; got dtype {p.dtype}.")
        raw_shape = shapes.pop()
        if len(raw_shape) not in (1, 2, 3):
            raise ValueError(f"{name} must be 2-D (flat features) or 4-D (images); got "
                             f"samples of shape {raw_shape}.")
        self._add_channel = len(raw_shape) == 2  # (n, H, W): single-channel images
        self.sample_shape = (1, *raw_shape) if self._add_channel else raw_shape
        self._offsets = np.cumsum([0] + [p.shape[0] for p in self.parts])
        self._index = _index
        n = len(_index) if _index is not None else int(self._offsets[-1])
        if n < 1:
            raise ValueError(f"{name} is empty (0 rows).")
        self.shape = (n, *self.sample_shape)
        row_bytes = 4 * int(np.prod(self.sample_shape))
        self.chunk_rows = int(chunk_rows or max(1, CHUNK_BYTES // row_bytes))

    ndim = property(lambda self: len(self.shape))
    dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return self.shape[0]

    def raw(self, indices: Any) -> np.ndarray:
        """Rows as stored (their own dtype, no channel axis added)."""
        idx = np.asarray(indices, dtype=np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f"{self.name}: row index out of range [0, {len(self)}).")
        if self._index is not None:
            idx = self._index[idx]
        if len(self.parts) == 1:
            return take_rows(self.parts[0], idx)
        part = np.searchsorted(self._offsets, idx, side="right") - 1
        out = None
        for k in np.unique(part):
            sel = part == k
            rows = take_rows(self.parts[k], idx[sel] - self._offsets[k])
            if out is None:
                out = np.empty((len(idx), *rows.shape[1:]), dtype=np.result_type(
                    *[p.dtype for p in self.parts]))
            out[sel] = rows
        return out

    def __getitem__(self, indices: Any) -> np.ndarray:
        """Rows as validated float32 (``indices``: int array, list or slice)."""
        if isinstance(indices, slice):
            indices = np.arange(len(self))[indices]
        if not np.size(indices):
            return np.empty((0, *self.sample_shape), np.float32)
        rows = self.raw(indices)
        try:   # one finiteness pass; the bad row is looked for only on failure
            return check_samples(rows, self.name)
        except ValueError:
            self._check_finite(rows, np.asarray(indices).ravel())
            raise

    def chunks(self, raw: bool = False) -> Iterator[Tuple[int, np.ndarray]]:
        """``(start, rows)`` over all rows in order, ``chunk_rows`` at a time;
        NaN or inf raises a ``ValueError`` naming the first bad row, raw or not."""
        for start in range(0, len(self), self.chunk_rows):
            idx = np.arange(start, min(start + self.chunk_rows, len(self)))
            if raw:
                rows = self.raw(idx)
                self._check_finite(rows, idx)
                yield start, rows
            else:
                yield start, self[idx]

    def _check_finite(self, rows: np.ndarray, indices: np.ndarray) -> None:
        bad = first_bad_row(rows)
        if bad is not None:
            raise ValueError(f"{self.name} contains NaN or inf: first at row {int(indices[bad])}.")

    def subset(self, indices: Any) -> "PoolRows":
        """A view of some rows (no data read)."""
        idx = np.asarray(indices, dtype=np.int64).ravel()
        base = self._index[idx] if self._index is not None else idx
        return PoolRows(*self.parts, name=self.name, chunk_rows=self.chunk_rows, _index=base)


def as_rows(X: Any, name: str = "X", *more: Any) -> PoolRows:
    """``X`` (and ``more`` parts after it) as :class:`PoolRows`, unless it already is one."""
    if isinstance(X, PoolRows) and not more:
        return X
    parts = tuple(X.parts) if isinstance(X, PoolRows) and X._index is None else (X,)
    return PoolRows(*parts, *more, name=name)


#: Set through :func:`mapped_by` (e.g. by :func:`modal_sraal.distributed.data_parallel`,
#: to shard the passes).
_MAPPER: Optional[Callable] = None


@contextlib.contextmanager
def mapped_by(mapper: Callable) -> Iterator[None]:
    """Inside the block, :func:`map_rows` delegates to ``mapper(fn, rows, raw)``."""
    global _MAPPER
    previous, _MAPPER = _MAPPER, mapper
    try:
        yield
    finally:
        _MAPPER = previous


def map_rows(fn: Callable[[np.ndarray], Any], rows: PoolRows, *, raw: bool = False,
             _local: bool = False) -> np.ndarray:
    """``fn`` applied to ``rows`` chunk by chunk, outputs concatenated.

    Memory: one chunk of input at a time, plus the outputs. Inside
    :func:`~modal_sraal.distributed.data_parallel`, each process maps its
    own shard and the outputs are gathered.
    """
    if _MAPPER is not None and not _local:
        return _MAPPER(fn, rows, raw)
    outs = [np.asarray(to_numpy(fn(chunk))) for _, chunk in rows.chunks(raw=raw)]
    return np.concatenate(outs)


def pool_predict_proba(learner: Any, X_pool: Any) -> np.ndarray:
    """``learner.predict_proba`` over a pool, in chunks when the pool is streamed.

    The chunks are the rows as stored (the learner's own preprocessing sees
    what it would have seen), so a pipeline that scales uint8 images works
    unchanged.
    """
    if not is_streamed(X_pool):
        return learner.predict_proba(X_pool)
    return map_rows(learner.predict_proba, as_rows(X_pool, "X_pool"), raw=True)


def standardized_stats(rows: PoolRows):
    """Per-channel (images) or per-feature (flat) mean and std in one pass.

    Sums and sums of squares in float64, so a uint8 pool of any size gives
    the statistics of the whole pool without holding it.
    """
    axes = (0, 2, 3) if rows.ndim == 4 else (0,)
    total = total_sq = None
    count = 0
    for _, chunk in rows.chunks():
        c = chunk.astype(np.float64)
        s, sq = c.sum(axis=axes), np.square(c).sum(axis=axes)
        total = s if total is None else total + s
        total_sq = sq if total_sq is None else total_sq + sq
        count += c.size // len(s)
    mean = total / count
    var = np.maximum(total_sq / count - mean ** 2, 0.0)
    return mean, np.sqrt(var)
