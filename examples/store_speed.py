"""Which chunked store for a pool on disk: HDF5 (h5py) or zarr.
============================================================

Writes ``--n`` random uint8 images (3x32x32) to each store at several
chunk sizes and times a sequential pass (chunks of 4,096 rows) and a random
batch of 64 rows (mean of 50), the two reads a SRAAL query makes::

    python examples/store_speed.py              # 100,000 images, as on docs/scale.rst
    python examples/store_speed.py --n 5000
"""
import argparse
import os
import tempfile
import time

import h5py
import numpy as np
import zarr


def disk_mib(path: str) -> float:
    if os.path.isfile(path):
        return os.path.getsize(path) / 2**20
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs) / 2**20


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--chunks", type=int, nargs="+", default=[1, 64, 1024])
    args = p.parse_args(argv)
    shape = (3, 32, 32)
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, (args.n, *shape), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as d:
        for chunk in args.chunks:
            h5_path, z_path = f"{d}/p{chunk}.h5", f"{d}/p{chunk}.zarr"
            with h5py.File(h5_path, "w") as f:
                f.create_dataset("x", data=X, chunks=(chunk, *shape))
            z = zarr.create_array(z_path, shape=X.shape, dtype="uint8", chunks=(chunk, *shape))
            z[:] = X
            for name, path in (("hdf5", h5_path), ("zarr", z_path)):
                arr = h5py.File(path, "r")["x"] if name == "hdf5" else zarr.open_array(path, mode="r")
                t = time.perf_counter()
                for s in range(0, args.n, 4096):
                    arr[s:s + 4096]
                seq = time.perf_counter() - t
                t = time.perf_counter()
                for _ in range(50):
                    idx = np.sort(rng.choice(args.n, 64, replace=False))
                    arr[idx] if name == "hdf5" else arr.oindex[idx]
                batch = (time.perf_counter() - t) / 50
                print(f"{name:5s} rows/chunk={chunk:5d} sequential pass {seq:6.2f} s  "
                      f"random batch of 64 {batch * 1e3:6.1f} ms  on disk {disk_mib(path):7.1f} MiB",
                      flush=True)


if __name__ == "__main__":
    main()
