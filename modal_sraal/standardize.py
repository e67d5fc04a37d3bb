"""Per-channel standardization of the inputs, for arrays and streamed pools."""
from __future__ import annotations

from typing import Any

import numpy as np

from .pool import PoolRows, map_rows, standardized_stats

__all__ = ["ChannelStandardizer", "StandardizedRows"]


class ChannelStandardizer:
    """Per-channel (images) or per-feature (flat) standardization.

    Puts uint8 images, [0, 1] images and raw features on one scale, so the
    reconstruction loss and the learning rates mean the same for all of them.
    """

    def fit(self, X: Any) -> "ChannelStandardizer":
        shape = (1, -1, 1, 1) if X.ndim == 4 else (1, -1)
        if isinstance(X, PoolRows):  # one streaming pass
            mean, std = standardized_stats(X)
        else:
            axes = (0, 2, 3) if X.ndim == 4 else (0,)
            mean, std = X.mean(axis=axes, dtype=np.float64), X.std(axis=axes, dtype=np.float64)
        self.mean_ = mean.reshape(shape).astype(np.float32)
        std = std.reshape(shape)
        # A floor relative to the largest scale: near-constant features would
        # otherwise be blown up to huge values (and NaN losses) by tiny std.
        floor = max(1e-3 * float(std.max()), 1e-8)
        self.scale_ = np.where(std > floor, std, max(floor, 1e-8) if std.max() > 0 else 1.0)
        self.scale_ = self.scale_.astype(np.float32)
        return self

    def transform(self, X: Any) -> Any:
        if isinstance(X, PoolRows):
            return StandardizedRows(X, self)
        return (X - self.mean_) / self.scale_


class StandardizedRows:
    """Standardized rows of a streamed pool, read by index or in chunks."""

    def __init__(self, rows: PoolRows, scaler: ChannelStandardizer):
        self.rows, self.scaler = rows, scaler

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, indices: Any) -> np.ndarray:
        return self.scaler.transform(self.rows[indices])

    def subset(self, indices: Any) -> "StandardizedRows":
        return StandardizedRows(self.rows.subset(indices), self.scaler)

    def map(self, fn) -> np.ndarray:
        """``fn`` over standardized chunks, outputs concatenated."""
        return map_rows(lambda chunk: fn(self.scaler.transform(chunk)), self.rows)
