"""Greedy k-center: the core of the initializer (Alg. 1, §3.5) and Core-set."""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

import numpy as np
from sklearn.utils import check_random_state

from ._validation import check_n_instances, check_random_state_seed, check_samples, to_numpy
from .embedding import embed
from .pool import as_rows, is_streamed

__all__ = ["kcenter_greedy", "kcenter_init", "covering_radius"]


#: Largest block of pairwise distances held at once (2**22 entries: 16 MiB in float32).
BLOCK_ENTRIES = 2**22
#: ``kcenter_greedy`` computes in float64 up to this many points, float32 above.
FLOAT64_ROWS = 20_000


def _sq_dist_to_set(Z: np.ndarray, sq_norms: np.ndarray, centers: np.ndarray,
                    chunk_size: int) -> np.ndarray:
    """Squared distance from each row of ``Z`` to its nearest row in ``Z[centers]``,
    in blocks of at most ``BLOCK_ENTRIES`` distances (rows x ``chunk_size`` centres),
    so memory stays bounded whatever the number of rows and centres."""
    best = np.full(len(Z), np.inf, dtype=Z.dtype)
    rows_per_block = max(1, BLOCK_ENTRIES // max(1, min(chunk_size, len(centers))))
    for start in range(0, len(centers), chunk_size):
        c = centers[start:start + chunk_size]
        Zc, nc = Z[c].T.copy(), sq_norms[c]
        for r in range(0, len(Z), rows_per_block):
            block = Z[r:r + rows_per_block] @ Zc
            block *= -2.0
            block += nc
            np.minimum(best[r:r + rows_per_block],
                       block.min(axis=1) + sq_norms[r:r + rows_per_block],
                       out=best[r:r + rows_per_block])
    return np.maximum(best, 0.0)


def kcenter_greedy(
    Z: Any,
    n_instances: int,
    already_selected: Optional[Any] = None,
    *,
    chunk_size: int = 1024,
    return_distances: bool = False,
    dtype: Any = None,
):
    """Greedy k-center (Gonzalez): repeatedly add the point farthest from the
    chosen set (Euclidean). Its covering radius is within 2x the optimum.

    Each step updates every point's distance to its nearest centre with one
    matrix-vector product, so ``k`` centres over ``n`` points of dimension
    ``d`` cost ``O(k n d)`` time and ``O(n)`` memory beyond ``Z``; the
    distances to ``already_selected`` are computed in bounded blocks.

    Parameters
    ----------
    Z : array-like of shape (n, d)
        Embedding of all points.
    n_instances : int
        Number of *new* centres to pick.
    already_selected : array-like of int, optional
        Indices already chosen (the labeled pool). If empty, the first centre
        is the point nearest the mean of ``Z`` (deterministic).
    chunk_size : int, default=1024
        Centres processed at once when measuring distances to ``already_selected``.
    return_distances : bool, default=False
        Also return, for each pick, its distance to the set when picked.
    dtype : numpy float dtype, optional
        Precision of the distances. Default: float64 up to
        :data:`FLOAT64_ROWS` points (small pools: exact ties, as between
        integer pixels, break by the lower index, as in version 0.1),
        float32 above (half the memory and memory traffic; picks can differ
        from float64 only between distances equal to about 1e-6 relative).

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        New centres, in the order picked; never in ``already_selected``, never repeated.
    distances : ndarray of shape (n_instances,), if ``return_distances``

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([[0.0], [1.0], [10.0], [4.0]])
    >>> kcenter_greedy(Z, 2, already_selected=[0])
    array([2, 3])
    """
    Z = to_numpy(Z)
    if dtype is None:  # float64 while it is small: exact ties break as in float64
        dtype = np.float64 if np.shape(Z)[0] <= FLOAT64_ROWS else np.float32
    Z = np.ascontiguousarray(Z, dtype=dtype)
    if Z.ndim != 2 or not np.all(np.isfinite(Z)):
        raise ValueError(f"Z must be a finite 2-D array (n, d); got shape {Z.shape}.")
    selected = (np.asarray(already_selected, dtype=np.int64).ravel()
                if already_selected is not None else np.empty(0, np.int64))
    if selected.size and (selected.min() < 0 or selected.max() >= len(Z)):
        raise ValueError("already_selected holds indices outside Z.")
    selected = np.unique(selected)
    n_instances = check_n_instances(n_instances, len(Z) - len(selected))
    sq_norms = np.einsum("ij,ij->i", Z, Z)
    picks = np.empty(n_instances, dtype=np.int64)
    dists = np.empty(n_instances)
    d = np.empty(len(Z), dtype=Z.dtype)  # one buffer for every step's distances

    def dist_to(j: int) -> np.ndarray:
        np.dot(Z, Z[j], out=d)
        np.multiply(d, -2.0, out=d)
        np.add(d, sq_norms, out=d)
        return np.add(d, sq_norms[j], out=d)

    if selected.size:
        min_d = _sq_dist_to_set(Z, sq_norms, selected, chunk_size)
        start = 0
    else:
        centroid = Z.mean(axis=0, dtype=np.float64)
        first = int(np.argmin(sq_norms - 2.0 * (Z @ centroid.astype(Z.dtype))))
        picks[0], dists[0] = first, np.inf
        min_d = np.maximum(dist_to(first), 0.0)
        selected = np.array([first])
        start = 1
    min_d[selected] = -np.inf  # never pick a centre twice, even among duplicates
    for i in range(start, n_instances):
        j = int(np.argmax(min_d))
        picks[i], dists[i] = j, np.sqrt(max(float(min_d[j]), 0.0))
        np.minimum(min_d, dist_to(j), out=min_d)
        min_d[j] = -np.inf
    return (picks, dists) if return_distances else picks


def covering_radius(Z: Any, centers: Any) -> float:
    """Largest distance from a point of ``Z`` to its nearest centre.

    Computed from explicit differences (not the norm expansion used for
    speed in :func:`kcenter_greedy`), so it is exact to rounding of the
    coordinates: a measuring tool for tests and benchmarks.

    Examples
    --------
    >>> covering_radius([[0.0], [1.0], [10.0]], [0, 2])
    1.0
    """
    Z = np.asarray(to_numpy(Z), dtype=np.float64)
    C = Z[np.asarray(centers, dtype=np.int64)]
    best = np.full(len(Z), np.inf)
    chunk = max(1, int(2e6 // max(1, len(Z) * Z.shape[1])))
    for i in range(0, len(C), chunk):
        d = ((Z[:, None, :] - C[None, i:i + chunk, :]) ** 2).sum(axis=2).min(axis=1)
        np.minimum(best, d, out=best)
    return float(np.sqrt(best.max()))


def kcenter_init(
    X: Any,
    n_instances: int,
    *,
    n_random: int = 1,
    already_selected: Optional[Any] = None,
    embedding: Union[str, Callable[[np.ndarray], np.ndarray]] = "uir",
    max_epochs: int = 30,
    latent_dim: int = 32,
    device: str = "auto",
    precision: str = "float32",
    random_state: Any = None,
    verbose: int = 0,
) -> np.ndarray:
    """Pick the first labeled pool as a diverse cover of ``X`` (Alg. 1, §3.5).

    Trains the UIR (VAE) unsupervised on all of ``X``, draws ``n_random``
    points at random, then adds greedily the point farthest (Euclidean, UIR
    latent means) from the chosen set until ``n_instances`` are chosen.

    Parameters
    ----------
    X : array-like of shape (n, d) or (n, c, H, W), or a store
        The whole unlabeled data set. A memmap, HDF5 or zarr array (or an
        array too large for a float32 copy, :func:`~modal_sraal.pool.is_streamed`)
        is streamed: the UIR trains on a random sample of
        :data:`UIR_TRAIN_ROWS` rows and embeds every row in chunks.
    n_instances : int
        Size ``M`` of the initial labeled pool.
    n_random : int, default=1
        Random starting points ``I`` (``I << M``); none when
        ``already_selected`` is given.
    already_selected : array-like of int, optional
        Rows already labeled or sent for labeling: the cover grows from them
        (no random start), and the ``n_instances`` picks are new rows.
    embedding : 'uir', 'raw' or callable, default='uir'
        The distance space: the UIR latent means (paper), the flattened
        samples, or ``embedding(X) -> (n, k)``.
    max_epochs, latent_dim : int
        Training length and latent size of the UIR (``embedding='uir'``).
    device : str, default='auto'
    precision : {'float32', 'bfloat16', 'float16'}, default='float32'
        What the UIR's training steps compute in (:mod:`modal_sraal.precision`).
    random_state : int, RandomState or None
        Seeds the random starts and the UIR training.
    verbose : int, default=0
        1 prints the UIR's training log.

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Rows of ``X``: ``ActiveLearner(X_training=X[idx], y_training=y[idx])``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.RandomState(0).rand(100, 5)
    >>> idx = kcenter_init(X, 10, embedding="raw", random_state=0)
    >>> len(set(idx.tolist()))
    10
    """
    X = as_rows(X, "X") if is_streamed(X) else check_samples(X, "X")
    start = np.unique(np.asarray([] if already_selected is None else already_selected,
                                 dtype=np.int64))
    if start.size and (start.min() < 0 or start.max() >= len(X)):
        raise ValueError(f"already_selected holds rows outside [0, {len(X)}).")
    n_instances = check_n_instances(n_instances, len(X) - len(start))
    if not isinstance(n_random, (int, np.integer)) or not 1 <= n_random <= n_instances:
        raise ValueError(f"n_random must be an integer in [1, n_instances={n_instances}]; "
                         f"got {n_random!r}.")
    rng = check_random_state(random_state)
    if embedding == "uir":
        Z = uir_embedding(X, max_epochs=max_epochs, latent_dim=latent_dim, device=device,
                          precision=precision, random_state=check_random_state_seed(rng),
                          verbose=verbose)
    else:
        Z = embed(X, embedding)
    if start.size:
        return kcenter_greedy(Z, n_instances, start)
    start = rng.choice(len(X), n_random, replace=False)
    if n_random == n_instances:
        return start
    return np.concatenate([start, kcenter_greedy(Z, n_instances - n_random, start)])


#: Rows the UIR of a streamed :func:`kcenter_init` trains on (a random sample).
UIR_TRAIN_ROWS = 20_000


def uir_embedding(X: Any, *, max_epochs: int = 30, latent_dim: int = 32,
                  device: str = "auto", precision: str = "float32", random_state: Any = None,
                  verbose: int = 0) -> np.ndarray:
    """Train the UIR unsupervised on ``X`` and return its latent means.

    A streamed ``X`` trains on a random sample of :data:`UIR_TRAIN_ROWS`
    rows and is embedded chunk by chunk.
    """
    from ._skorch_utils import ADAM_FOREACH, resolve_device, seeded_torch
    from .generator import SRAALGenerator
    from .sraal import ChannelStandardizer, StandardizedRows

    rng = check_random_state(random_state)
    seed = check_random_state_seed(rng)
    if is_streamed(X):
        X = as_rows(X, "X")
        scaler = ChannelStandardizer().fit(X)
        Xs = scaler.transform(X)
        sample = np.sort(rng.choice(len(X), min(len(X), UIR_TRAIN_ROWS), replace=False))
        X_train = Xs[sample]
    else:
        X = check_samples(X, "X")
        Xs = X_train = ChannelStandardizer().fit(X).transform(X)
    device = resolve_device(device)
    with seeded_torch(seed, device):
        gen = SRAALGenerator(use_stl=False, latent_dim=latent_dim, max_epochs=max_epochs,
                             lr=1e-3, batch_size=64, optimizer__foreach=ADAM_FOREACH, device=device,
                             precision=precision, verbose=verbose)
        gen.fit(X_train)
    if isinstance(Xs, StandardizedRows):
        return Xs.map(gen.transform_uir)
    return gen.transform_uir(Xs)
