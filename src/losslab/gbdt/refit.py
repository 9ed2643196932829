"""Leaf refit shared by the XGBoost and LightGBM bridges (no framework imports).

The Newton leaf −Σg/Σh of a loss with a constant or surrogate Hessian is not the loss's own
optimum. For each leaf, the refit value is argmin_c Σ_{i∈leaf} wᵢ ℓ(yᵢ, Fᵢ + c) — computed as the
loss's `baseline` of the residuals yᵢ − Fᵢ, which is exact for losses that depend on f − y
only (identity link): a weighted median or quantile for mae and quantile, Huber's M-estimate
for huber.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from types import ModuleType

import numpy as np

from .._core.baseline import baseline, weighted_quantile
from .._core.errors import ParameterError
from .._core.info import LinkKind, link_kind
from .._core.loss import Loss
from .._core.statistic import Statistic
from .objective import translation_invariant

__all__ = ["LeafRefit", "leaf_from_scores", "refit_values"]

#: Use the numba kernels (`losslab.gbdt.kernels`) when numba is installed; environment
#: ``LOSSLAB_NUMBA=0`` (or setting this to False) forces the numpy code.
USE_NUMBA = os.environ.get("LOSSLAB_NUMBA", "1").strip().lower() not in ("0", "false", "no", "off")
#: Below this many rows the numpy code is fast enough (≈ 2 ms a round at 50,000) and numba's
#: import and first load (≈ 0.5 s a process) would cost more than it saves.
NUMBA_MIN_ROWS = 50_000


#: A boosting loop that knows its rounds uses the kernels from this many rows × rounds too.
#: LightGBM's refit saves ≈ 0.08 µs a row and round with them (45,000 rows: no traversal for
#: the leaf indices) against a load of ≈ 0.6 s of CPU once a process (warm cache): one fit
#: breaks even at ≈ 7.5·10⁶; half that, because fits come several to a process (folds, searches).
NUMBA_MIN_ROW_ROUNDS = 4_000_000

#: Once numba runs in the process (losslab's loss engine loads it for any loss call on 2,048
#: elements or more, e.g. the objective's first check), the kernels' own cache load is a few ms
#: and they beat the numpy code from this many rows (10⁴ rows: ≈ 0.45 ms a round less).
NUMBA_LOADED_MIN_ROWS = 2048


def kernels(n_rows: int, rounds: int = 1) -> ModuleType | None:
    """The numba kernels module for ``n_rows`` rows (a loop of ``rounds`` rounds over them), or
    None (few rows, numba is not installed, or `USE_NUMBA` is False).

    The thresholds weigh numba's one-time load against the time the kernels save: from
    `NUMBA_MIN_ROWS` rows, or `NUMBA_MIN_ROW_ROUNDS` rows × rounds, whatever the process has
    loaded; from `NUMBA_LOADED_MIN_ROWS` rows once numba is imported (then the load is paid).
    The results are the same either way (the kernels are tested equal to the numpy code).
    """
    if not USE_NUMBA:
        return None
    many = n_rows >= NUMBA_MIN_ROWS or (rounds > 1 and n_rows * rounds >= NUMBA_MIN_ROW_ROUNDS)
    if many or (n_rows >= NUMBA_LOADED_MIN_ROWS and "numba" in sys.modules):
        return _load_kernels()
    return None


@functools.cache
def _load_kernels() -> ModuleType | None:
    try:
        from . import kernels as _kernels
    except ImportError:  # numba is an optional dependency (extras lightgbm, xgboost)
        return None
    return _kernels


def check_refit(loss: Loss) -> None:
    """Raise unless the loss depends on f − y alone (then a leaf's optimum is a baseline)."""
    if not translation_invariant(loss):
        raise ParameterError(
            f"the leaf refit needs a regression loss of f − y alone on an identity link (a leaf's "
            f"optimum is then the loss's baseline of the residuals); loss {loss.name!r} is not one."
        )


class LeafRefit:
    """The leaf refit of one loss, checked once (`check_refit`) and then called every round.

    Examples
    --------
    >>> import losslab
    >>> refit = LeafRefit(losslab.get("mae"))
    >>> refit(np.array([1.0, 2.0, 9.0, 4.0]), np.zeros(4), None, np.array([0, 0, 0, 1]))
    {0: 2.0, 1: 4.0}
    """

    def __init__(self, loss: Loss, rows: int = 0, rounds: int = 1) -> None:
        check_refit(loss)
        self.loss = loss
        self.tau = _quantile_level(loss)
        self._size = (rows, rounds)

    @functools.cached_property
    def kernels(self) -> ModuleType | None:
        """The numba kernels for a loop of ``rounds`` rounds over ``rows`` rows (`kernels`), or
        None: each call then decides by its own size. Decided on first use — in a boosting loop
        after the objective's first call, which may have loaded numba."""
        rows, rounds = self._size
        return kernels(rows, rounds) if rows else None

    def __call__(
        self,
        y: np.ndarray,
        f: np.ndarray,
        w: np.ndarray | None,
        leaf: np.ndarray,
        n_leaves: int | None = None,
    ) -> dict[int, float]:
        """{leaf id: argmin_c Σ_{i∈leaf} wᵢ ℓ(yᵢ, fᵢ + c)} over the leaves present in ``leaf``.

        ``n_leaves``: the leaf ids are known to be below it (saves a pass over ``leaf``).
        """
        if self.tau is not None:
            return _grouped_quantile(np.asarray(leaf), y, f, w, self.tau, n_leaves, self.kernels)
        r = y - f
        order, ids, starts, ends = _split(np.asarray(leaf))
        out: dict[int, float] = {}
        for lid, a, b in zip(ids.tolist(), starts.tolist(), ends.tolist(), strict=True):
            rows = order[a:b]
            ww = None if w is None else w[rows]
            if ww is not None and not np.any(ww > 0):
                continue  # no weight: the leaf keeps its value
            out[int(lid)] = float(baseline(self.loss, r[rows], ww))
        return out


def refit_values(
    loss: Loss,
    y: np.ndarray,
    f: np.ndarray,
    w: np.ndarray | None,
    leaf: np.ndarray,
    n_leaves: int | None = None,
) -> dict[int, float]:
    """{leaf id: argmin_c Σ_{i∈leaf} wᵢ ℓ(yᵢ, fᵢ + c)} over the leaves present in ``leaf``
    (`LeafRefit` of ``loss``, for one call; a boosting loop keeps one `LeafRefit`)."""
    return LeafRefit(loss)(y, f, w, leaf, n_leaves)


# |v − (s₁ − s₀)| ≤ 2⁻⁵²(|s₀| + |s₁|) for the leaf value v of a row whose score went from s₀ to
# s₁ = fl(s₀ + v): a window four times wider holds every leaf value that could match (as the
# numba kernel `losslab.gbdt.kernels.leaf_from_scores`)
_WINDOW = 2.0**-50
_TINY = 1e-300  # subnormal scores: absolute rounding error


def leaf_from_scores(
    prev: np.ndarray, new: np.ndarray, values: np.ndarray, leaf_of: np.ndarray, out: np.ndarray
) -> int:
    """Leaf of each row from its score before (``prev``) and after (``new``) one tree: fl(s₀ + v).

    ``values`` are the tree's distinct leaf values, sorted (NaN last); ``leaf_of[k]`` is the leaf
    whose value is ``values[k]``, or −1 if several leaves share it. A row gets leaf
    ``leaf_of[k]`` (in ``out``) only when fl(s₀ + values[k]) == s₁ exactly and no other value
    could match; otherwise −1. ``prev`` becomes ``new``. Returns the number of rows left at −1.
    The NumPy form of the numba kernel `losslab.gbdt.kernels.leaf_from_scores` (same grid, same
    result):

    every v with fl(s₀ + v) = s₁ is within ε/4 of d = s₁ − s₀, ε = 2⁻⁵⁰(|s₀| + |s₁|). Fast
    path: a grid over the values' range gives the value in d's cell, the only match if it matches
    and its gaps to its neighbours exceed ε. The other rows (a cell with several values, no
    match): the values within ε of d by binary search (slow in NumPy, so for those rows only).

    Examples
    --------
    >>> prev = np.array([0.0, 1.0, 2.0]); values = np.array([-0.5, 0.25, 0.75])
    >>> out = np.empty(3, dtype=np.int32)
    >>> leaf_from_scores(prev, prev + values[[2, 0, 1]], values, np.array([4, -1, 7]), out)
    1
    >>> out.tolist()
    [7, 4, -1]
    """
    n_vals = values.size
    with np.errstate(invalid="ignore", over="ignore"):
        d = new - prev
        eps = np.abs(prev)
        eps += np.abs(new)
        eps *= _WINDOW
        eps += _TINY
        step = np.diff(values)
        gap = np.full(n_vals, np.inf)
        gap[:-1] = step
        gap[1:] = np.minimum(gap[1:], step)
        lo = values[0]
        span = values[-1] - lo
        scale = (_CELLS - 1) / span if span > 0 else 0.0
        cell_of = _cell(values, lo, scale)
        same = cell_of[1:] == cell_of[:-1]  # sorted values: those sharing a cell are adjacent
        alone = np.ones(n_vals, dtype=bool)
        alone[1:] &= ~same
        alone[:-1] &= ~same
        cell = np.full(_CELLS, -1, dtype=np.int32)
        cell[cell_of] = np.where(alone, np.arange(n_vals), -1)
        k = cell[_cell(d, lo, scale)]
        kk = np.maximum(k, 0)
        ok = prev + values[kk] == new
        ok &= k >= 0
        ok &= gap[kk] > eps
        res = np.where(ok, leaf_of[kk], -1)
        rest = np.flatnonzero(~ok)
        if rest.size:
            dr, er = d[rest], eps[rest]
            a = np.searchsorted(values, dr - er, side="left")
            one = np.searchsorted(values, dr + er, side="right") - a == 1
            a = np.minimum(a, n_vals - 1)
            one &= prev[rest] + values[a] == new[rest]
            res[rest] = np.where(one, leaf_of[a], -1)
    np.copyto(out, res, casting="same_kind")
    prev[...] = new
    return int(np.count_nonzero(res < 0))


_CELLS = 1 << 16  # grid over the range of leaf values (the kernel's too: same rows, same path)


def _cell(x: np.ndarray, lo: float, scale: float) -> np.ndarray:
    """Grid cell of each x in [0, _CELLS): (x − lo)·scale clipped, NaN in cell 0."""
    c = (x - lo) * scale
    c = np.where(c > 0.0, np.minimum(c, _CELLS - 1.0), 0.0)
    return c.astype(np.intp)


def _quantile_level(loss: Loss) -> float | None:
    """τ if the loss's baseline is the weighted τ-quantile (median: ½), else None."""
    stat, tau = loss.info.statistic.statistic, loss.info.statistic.level
    if link_kind(loss) != LinkKind.IDENTITY:
        return None
    if stat == Statistic.MEDIAN:
        return 0.5
    return tau if stat == Statistic.QUANTILE else None


def grouped_quantile(group: np.ndarray, r: np.ndarray, w: np.ndarray | None, tau: float) -> dict[int, float]:
    """`weighted_quantile` of ``r`` within each group (same convention, bit for bit), vectorised.

    {group id: weighted τ-quantile of its ``r``} over the groups with a row of positive weight.
    With numba (`kernels`): a counting sort by group, then per group a selection (unit weights)
    or a stable sort with the cumulative weights, group by group. Without: one stable sort by
    group, then per group ``np.partition`` (unit weights) or `weighted_quantile`.

    Examples
    --------
    >>> g = np.array([0, 1, 0, 1, 0, 1]); r = np.array([1.0, 5.0, 2.0, 6.0, 3.0, 9.0])
    >>> grouped_quantile(g, r, None, 0.5)
    {0: 2.0, 1: 6.0}
    >>> grouped_quantile(g, r, np.array([1.0, 1.0, 0.0, 1.0, 1.0, 3.0]), 0.5)  # midpoint, weights
    {0: 2.0, 1: 9.0}
    """
    return _grouped_quantile(np.asarray(group), np.asarray(r), None, w, tau)


def _grouped_quantile(
    group: np.ndarray,
    y: np.ndarray,
    f: np.ndarray | None,
    w: np.ndarray | None,
    tau: float,
    n_groups: int | None = None,
    k: ModuleType | None = None,
) -> dict[int, float]:
    """`grouped_quantile` of y − f (of y if f is None) — fused with the subtraction in numba.

    ``n_groups``: the ids are known to be in [0, n_groups) (the kernel checks them anyway);
    ``k``: the kernels module to use (default: `kernels` by the number of rows).
    """
    k = k or kernels(group.size)
    if k is not None and group.size and np.issubdtype(group.dtype, np.integer):
        if n_groups is None:
            lo, hi = int(group.min()), int(group.max())
        else:
            lo, hi = 0, n_groups - 1
        if lo >= 0 and hi < min(max(4 * group.size, 1 << 16), 2**31 - 1):  # buckets per id
            if group.dtype != np.int32:  # one compiled version of the kernel
                group = group.astype(np.int32)
            vals, counts = k.grouped_quantile(
                np.ascontiguousarray(group),
                np.ascontiguousarray(y, dtype=np.float64),
                _EMPTY if f is None else np.ascontiguousarray(f, dtype=np.float64),
                _EMPTY if w is None else np.ascontiguousarray(w, dtype=np.float64),
                hi + 1,
                float(tau),
            )
            present = np.flatnonzero(counts)
            return dict(zip(present.tolist(), vals[present].tolist(), strict=True))
    r = np.asarray(y, dtype=np.float64) if f is None else y - f
    return _grouped_quantile_numpy(group, np.asarray(r, dtype=np.float64), w, tau)


_EMPTY = np.empty(0, dtype=np.float64)


def _split(group: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(order, ids, starts, ends): ``group[order]`` is sorted, rows of one group in row order, and
    group ``ids[i]`` holds ``order[starts[i]:ends[i]]``."""
    small = group.size and group.min() >= 0 and group.max() < 2**16
    order = np.argsort(group.astype(np.uint16) if small else group, kind="stable")  # radix for small ids
    gs = group[order]
    starts = np.flatnonzero(np.r_[gs.size > 0, gs[1:] != gs[:-1]])  # no groups in no rows
    return order, gs[starts], starts, np.append(starts[1:], gs.shape[0])[: starts.size]


def _grouped_quantile_numpy(
    group: np.ndarray, r: np.ndarray, w: np.ndarray | None, tau: float
) -> dict[int, float]:
    if w is not None:
        keep = w > 0
        group, r, w = group[keep], r[keep], np.asarray(w, dtype=np.float64)[keep]
    if r.size == 0:
        return {}
    if w is None and r.size <= SORT_MAX_ROWS:
        return _grouped_quantile_sorted(group, r, tau)
    order, ids, starts, ends = _split(group)
    rs = r[order]
    ws = None if w is None else w[order]
    out: dict[int, float] = {}
    for gid, a, b in zip(ids.tolist(), starts.tolist(), ends.tolist(), strict=True):
        m = b - a
        if ws is not None:
            out[int(gid)] = weighted_quantile(rs[a:b], ws[a:b], tau)
            continue
        target = tau * m
        # first j with j + 1 >= target (cumulative unit weights), as np.searchsorted would find
        j = min(max(math.ceil(target) - 1, 0), m - 1)
        if j > 0 and math.isclose(j, target, rel_tol=1e-12, abs_tol=0.0):
            p = np.partition(rs[a:b], (j - 1, j))
            v = 0.5 * (p[j - 1] + p[j])
        elif j + 1 < m and math.isclose(j + 1, target, rel_tol=1e-12, abs_tol=0.0):
            p = np.partition(rs[a:b], (j, j + 1))
            v = 0.5 * (p[j] + p[j + 1])
        else:
            v = np.partition(rs[a:b], j)[j]
        out[int(gid)] = float(v)
    return out


#: Up to this many rows the NumPy grouped quantile with unit weights sorts all the residuals
#: once (vectorised) rather than select in each group in turn (a Python loop over the groups).
SORT_MAX_ROWS = 12_000


def _grouped_quantile_sorted(group: np.ndarray, r: np.ndarray, tau: float) -> dict[int, float]:
    """Unit-weight `grouped_quantile` by one sort: residuals sorted, then stably by group, so
    each group's order statistics are at known positions — the same values as the selection."""
    by_r = np.argsort(r)
    order, ids, starts, ends = _split(group[by_r])
    rs = r[by_r[order]]
    m = ends - starts
    target = tau * m
    j = np.minimum(np.maximum(np.ceil(target) - 1, 0), m - 1).astype(np.intp)
    below = (j > 0) & _isclose(j, target)  # a midpoint with the (j − 1)-th, or the (j + 1)-th
    above = ~below & (j + 1 < m) & _isclose(j + 1, target)
    at = starts + j
    v = rs[at]
    v = np.where(below, 0.5 * (rs[np.maximum(at - 1, 0)] + v), v)
    v = np.where(above, 0.5 * (v + rs[np.minimum(at + 1, rs.size - 1)]), v)
    return dict(zip(ids.tolist(), v.tolist(), strict=True))


def _isclose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0), elementwise."""
    return (a == b) | (np.abs(a - b) <= 1e-12 * np.maximum(np.abs(a), np.abs(b)))
