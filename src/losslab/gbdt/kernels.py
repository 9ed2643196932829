"""Numba kernels of the GBDT leaf refit and its gradient (optional: imported only through
`losslab.gbdt.refit.kernels`).

Two per-round costs at a million rows dominate the refit without them: sorting the rows by leaf
for the grouped quantile, and finding each row's leaf. Both are single passes here:

- `grouped_quantile`: a counting sort by group (stable), then one selection per group
  (unit weights) or one stable sort with the cumulative weights (weighted), group by group.
  Same convention as `losslab._core.baseline.weighted_quantile`, bit for bit.
- `leaf_from_scores`: the leaf of each row from LightGBM's training-score cache before and after
  a round, verified exactly (see `losslab.lightgbm._RefitInTraining`).
- `match_leaves` and `refit_step`: one LightGBM refit round in two calls (the leaf of each row;
  the leaves' values, added to the scores), without the per-round NumPy calls around them.
- `read_leaves` and `write_leaves`: LightGBM's per-leaf C calls in a compiled loop (a ctypes
  call from Python costs ≈ 0.7 µs; 126 of them a round at 63 leaves).
- `kinked_gradient`: mae's and quantile's gradient for float64 scores in one pass (the NumPy
  form in `losslab.gbdt.fast` takes six), bit for bit.

Compiled on first use and cached on disk (``cache=True``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# leaf_from_scores's window and grid, as `losslab.gbdt.refit` has them (tested equal): literal
# here, since numba compiles the values in and its disk cache is keyed by this file alone
_WINDOW = 2.0**-50
_TINY = 1e-300
_CELLS = 1 << 16


@njit(cache=True, inline="always")
def _isclose(a: float, b: float) -> bool:  # math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


@njit(cache=True)
def _bucket(group, y, f, w, n_groups):
    """Residuals y − f (y if f is empty) and weights of rows with w > 0, stably counting-sorted by
    group."""
    n = group.shape[0]
    weighted = w.shape[0] > 0  # (unit weights take _quantile_unit)
    has_f = f.shape[0] > 0
    starts = np.zeros(n_groups + 1, np.int64)
    for i in range(n):
        if not weighted or w[i] > 0:
            starts[group[i] + 1] += 1
    for g in range(n_groups):
        starts[g + 1] += starts[g]
    pos = starts[:-1].copy()
    m = starts[n_groups]
    rs = np.empty(m, np.float64)
    ws = np.empty(m if weighted else 0, np.float64)
    for i in range(n):
        if weighted:
            if not w[i] > 0:
                continue
            ws[pos[group[i]]] = w[i]
        rs[pos[group[i]]] = y[i] - f[i] if has_f else y[i]
        pos[group[i]] += 1
    return rs, ws, starts


@njit(cache=True)
def _select(a, k):
    """Quickselect in place: a[k] becomes the k-th smallest, a[:k] ≤ a[k] ≤ a[k + 1:].

    Each step partitions around the median of three without branching on the data (the swap
    is unconditional, the boundary moves by the comparison's 0 or 1): on random residuals the
    mispredicted branches of a classic partition cost twice the work (≈ 3× the time at 4.5·10⁴
    rows in 63 groups). A second pass gathers the values equal to the pivot, so ties cannot
    make it quadratic. A NaN pivot (no row equals it) hands over to the sort.
    """
    lo, hi = 0, a.shape[0] - 1
    while hi - lo > 16:
        mid = (lo + hi) >> 1
        if a[mid] < a[lo]:
            a[mid], a[lo] = a[lo], a[mid]
        if a[hi] < a[lo]:
            a[hi], a[lo] = a[lo], a[hi]
        if a[hi] < a[mid]:
            a[hi], a[mid] = a[mid], a[hi]
        pivot = a[mid]
        store = lo  # a[lo:store] < pivot
        for i in range(lo, hi + 1):
            x = a[i]
            a[i] = a[store]
            a[store] = x
            store += x < pivot
        if k < store:
            hi = store - 1
            continue
        eq = store  # a[store:eq] == pivot
        for i in range(store, hi + 1):
            x = a[i]
            a[i] = a[eq]
            a[eq] = x
            eq += x == pivot
        if eq == store:  # NaN pivot
            a[lo : hi + 1] = np.sort(a[lo : hi + 1])
            return
        if k < eq:
            return
        lo = eq
    for i in range(lo + 1, hi + 1):  # insertion sort of the last few
        x = a[i]
        j = i - 1
        while j >= lo and a[j] > x:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x


@njit(cache=True)
def _check_groups(group, n_groups):
    """Rows per group; raises if an id is outside [0, n_groups)."""
    counts = np.zeros(n_groups, np.int64)
    for i in range(group.shape[0]):
        g = group[i]
        if g < 0 or g >= n_groups:
            raise ValueError("group id out of range")
        counts[g] += 1
    return counts


@njit(cache=True)
def grouped_quantile(group, y, f, w, n_groups, tau):
    """(value per group, its row count) of the weighted τ-quantile of y − f over rows with w > 0.

    ``group`` holds ids in [0, n_groups) (else ValueError); ``f`` may be empty (the quantile of
    y) and ``w`` is empty for unit weights. A group without rows (of positive weight) gets NaN
    and count 0.
    """
    counts = _check_groups(group, n_groups)
    if w.shape[0] == 0:
        return _quantile_unit(group, y, f, counts, tau), counts
    rs, ws, starts = _bucket(group, y, f, w, n_groups)
    out = np.full(n_groups, np.nan)
    counts = starts[1:] - starts[:-1]
    for g in range(n_groups):
        a = starts[g]
        m = counts[g]
        if m == 0:
            continue
        seg = rs[a : a + m]
        order = np.argsort(seg, kind="mergesort")  # stable, as weighted_quantile
        cw = np.cumsum(ws[a : a + m][order])
        target = tau * cw[m - 1]
        j = min(np.searchsorted(cw, target, side="left"), m - 1)
        if j > 0 and _isclose(cw[j - 1], target):
            out[g] = 0.5 * (seg[order[j - 1]] + seg[order[j]])
        elif j + 1 < m and _isclose(cw[j], target):
            out[g] = 0.5 * (seg[order[j]] + seg[order[j + 1]])
        else:
            out[g] = seg[order[j]]
    return out, counts


@njit(cache=True)
def _unit_rank(m, tau):
    """(j, side) of weighted_quantile with unit weights on m values: the value is the j-th
    smallest (side 0) or the midpoint of the (j − 1)-th and j-th (side −1) or j-th and (j + 1)-th
    (side +1) — the cumulative weight at sorted index k is k + 1."""
    target = tau * m
    j = min(max(math.ceil(target) - 1, 0), m - 1)
    if j > 0 and _isclose(float(j), target):
        return j, -1
    if j + 1 < m and _isclose(float(j + 1), target):
        return j, 1
    return j, 0


@njit(cache=True)
def _order_value(seg, j, side):
    """The j-th smallest of seg, or its midpoint with a neighbour (`_unit_rank`); seg reordered."""
    _select(seg, j)
    if side < 0:
        return 0.5 * (seg[:j].max() + seg[j])
    if side > 0:
        return 0.5 * (seg[j] + seg[j + 1 :].min())
    return seg[j]


_SAMPLED = 4096  # groups with at least this many rows are narrowed down by a sample first
# up to this many rows all residuals are copied, however large a group: the sample's extra
# passes cost more than they save while the rows fit in cache (equal at 2·10⁵, 1.3× at 10⁶)
_SCATTER_ALL = 1 << 17


@njit(cache=True)
def _quantile_unit(group, y, f, counts, tau):
    """Unit-weight τ-quantile of y − f per group, without sorting the rows by group.

    A strided sample of each large group's residuals brackets its target rank between two
    sample values lo ≤ hi; one pass over the rows counts, per group, the residuals below lo and
    copies those in [lo, hi] (a few percent) into the group's buffer, where the selection runs.
    A small group copies all its rows. If the bracket missed the rank or the buffer overflowed
    (rare: many ties), the group's rows are gathered again and selected in full.
    """
    n = group.shape[0]
    n_groups = counts.shape[0]
    has_f = f.shape[0] > 0
    if counts.max() < _SAMPLED or n <= _SCATTER_ALL:  # copy every row: no sample, no bracket
        return _select_groups(*_scatter(group, y, f, counts), counts, tau)
    lo = np.full(n_groups, -np.inf)
    hi = np.full(n_groups, np.inf)
    cap = counts.copy()
    _bracket(group, y, f, counts, tau, lo, hi, cap)
    start = np.zeros(n_groups + 1, np.int64)  # each buffer has one spare slot at its end
    for g in range(n_groups):
        start[g + 1] = start[g] + cap[g] + 1
    buf = np.empty(start[n_groups], np.float64)
    pos = start[:-1].copy()
    below = np.zeros(n_groups, np.int64)
    for i in range(n):  # branch-free: always write, advance only when kept
        g = group[i]
        r = y[i] - f[i] if has_f else y[i]
        under = r < lo[g]
        keep = (not under) & (r <= hi[g])
        below[g] += under
        p = pos[g]
        buf[min(p, start[g] + cap[g])] = r
        pos[g] = p + keep
    out = np.full(n_groups, np.nan)
    redo = np.zeros(n_groups, np.bool_)
    for g in range(n_groups):
        m = counts[g]
        if m == 0:
            continue
        kept = pos[g] - start[g]
        j, side = _unit_rank(m, tau)
        jj = j - below[g]
        first = jj - 1 if side < 0 else jj
        last = jj + 1 if side > 0 else jj
        if kept > cap[g] or first < 0 or last >= kept:
            redo[g] = True
            continue
        out[g] = _order_value(buf[start[g] : start[g] + kept], jj, side)
    if redo.any():  # gather every row again (rare) and select these groups in full
        full, start2 = _scatter(group, y, f, counts)
        for g in range(n_groups):
            if redo[g]:
                out[g] = _select_one(full, start2, counts, tau, g)
    return out


@njit(cache=True)
def _scatter(group, y, f, counts):
    """(residuals stably counting-sorted by group, start of each group's run)."""
    n_groups = counts.shape[0]
    has_f = f.shape[0] > 0
    start = np.zeros(n_groups + 1, np.int64)
    for g in range(n_groups):
        start[g + 1] = start[g] + counts[g]
    buf = np.empty(start[n_groups], np.float64)
    pos = start[:-1].copy()
    for i in range(group.shape[0]):
        g = group[i]
        buf[pos[g]] = y[i] - f[i] if has_f else y[i]
        pos[g] += 1
    return buf, start


@njit(cache=True)
def _select_one(buf, start, counts, tau, g):
    """Unit-weight τ-quantile of group g's run of ``buf`` (reordered in place); NaN if empty."""
    m = counts[g]
    if m == 0:
        return np.nan
    j, side = _unit_rank(m, tau)
    return _order_value(buf[start[g] : start[g] + m], j, side)


@njit(cache=True)
def _select_groups(buf, start, counts, tau):
    """`_select_one` of every group."""
    out = np.empty(counts.shape[0])
    for g in range(counts.shape[0]):
        out[g] = _select_one(buf, start, counts, tau, g)
    return out


@njit(cache=True)
def _bracket(group, y, f, counts, tau, lo, hi, cap):
    """For each group of at least `_SAMPLED` rows: the bracket [lo, hi] of its target rank from a
    strided sample (~512 rows per average group), and ``cap``, the rows of its buffer."""
    n = group.shape[0]
    n_groups = counts.shape[0]
    has_f = f.shape[0] > 0
    stride = max(1, n // (512 * n_groups))
    scount = np.zeros(n_groups + 1, np.int64)
    for i in range(0, n, stride):
        scount[group[i] + 1] += 1
    for g in range(n_groups):
        scount[g + 1] += scount[g]
    spos = scount[:-1].copy()
    sample = np.empty(scount[n_groups], np.float64)
    for i in range(0, n, stride):
        g = group[i]
        sample[spos[g]] = y[i] - f[i] if has_f else y[i]
        spos[g] += 1
    for g in range(n_groups):
        m = counts[g]
        ns = scount[g + 1] - scount[g]
        if m < _SAMPLED or ns < 64:
            continue
        s = sample[scount[g] : scount[g + 1]]
        j, _ = _unit_rank(m, tau)
        at = (j + 0.5) * ns / m  # where the rank falls in the sample; ±3.5 standard deviations
        spread = 3.5 * math.sqrt(ns * max(tau * (1.0 - tau), 1.0 / ns)) + 2.0
        a = math.floor(at - spread)
        b = math.ceil(at + spread)
        if a >= 0:
            _select(s, a)
            lo[g] = s[a]
        if b < ns:
            _select(s, b)
            hi[g] = s[b]
        frac = (min(b, ns - 1) - max(a, 0) + 1.0) / ns
        cap[g] = min(m, int(1.5 * frac * m) + 64)


@njit(cache=True)
def leaf_from_scores(prev, new, values, leaf_of, out):
    """Leaf of each row from its score before (``prev``) and after (``new``) one tree: fl(s₀ + v).

    ``values`` are the tree's distinct leaf values, sorted; ``leaf_of[k]`` is the leaf whose value
    is ``values[k]``, or −1 if several leaves share it. A row gets leaf ``leaf_of[k]`` only when
    fl(s₀ + values[k]) == s₁ exactly and no other value could match (so the row's leaf value is
    values[k]); otherwise −1. ``prev`` becomes ``new``. Returns the number of rows left at −1.

    Any v with fl(s₀ + v) == s₁ lies within ε/4 of d = fl(s₁ − s₀), ε = 2⁻⁵⁰(|s₀| + |s₁|) (two
    roundings of relative size ≤ 2⁻⁵³). Fast path: a grid over the values' range gives the value
    in d's cell; it is the only match if it matches and its gaps to its neighbours exceed ε.
    Otherwise (a cell with several values, d near a cell edge, no match): the values within ε of
    d by binary search; the row gets a leaf if exactly one value is there and it matches.
    """
    n = prev.shape[0]
    n_vals = values.shape[0]
    gap = np.full(n_vals, np.inf)
    for k in range(n_vals - 1):
        step = values[k + 1] - values[k]
        gap[k] = min(gap[k], step)
        gap[k + 1] = step
    lo = values[0]
    span = values[n_vals - 1] - lo
    scale = (_CELLS - 1) / span if span > 0 else 0.0
    cell = np.full(_CELLS, -1, np.int32)  # the value in the cell, −1: none or several
    cell_of = np.zeros(n_vals, np.int64)
    for k in range(n_vals):
        x = (values[k] - lo) * scale
        if x > 0.0:  # (NaN: cell 0)
            cell_of[k] = int(min(x, _CELLS - 1.0))
    for k in range(n_vals):  # sorted values: those sharing a cell are adjacent
        c = cell_of[k]
        shared = (k > 0 and cell_of[k - 1] == c) or (k + 1 < n_vals and cell_of[k + 1] == c)
        cell[c] = -1 if shared else k
    missed = 0
    for i in range(n):
        s0 = prev[i]
        s1 = new[i]
        d = s1 - s0
        eps = _WINDOW * (abs(s0) + abs(s1)) + _TINY
        x = (d - lo) * scale
        k = cell[int(min(x, _CELLS - 1.0))] if x > 0.0 else cell[0]  # NaN → cell 0
        kk = max(k, 0)
        if k >= 0 and s0 + values[kk] == s1 and gap[kk] > eps:
            leaf = leaf_of[kk]
        else:  # the slow path, for few rows
            a = _search(values, d - eps, False)
            b = _search(values, d + eps, True)
            leaf = leaf_of[a] if (b - a == 1 and s0 + values[a] == s1) else -1
        out[i] = leaf
        if leaf < 0:
            missed += 1
        prev[i] = s1
    return missed


@njit(cache=True)
def _search(u, x, right):
    """np.searchsorted(u, x, side="right" if right else "left") for one value."""
    lo, hi = 0, u.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if u[mid] < x or (right and u[mid] == x):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def add_leaf_values(f, idx, values):
    """f += values[idx] in place (idx in range, as `leaf_from_scores` / LightGBM give it)."""
    for i in range(f.shape[0]):
        f[i] += values[idx[i]]


@njit(cache=True)
def kinked_gradient(f, t, a, b, gk, g):
    """g = (b·1[f > t] + a·1[f < t])·gk into float32 ``g`` — `losslab.gbdt.fast._Kinked`'s
    gradient in one pass (the same float64 product, rounded once); ``gk``: one value or one per
    row."""
    one = gk.shape[0] == 1
    for i in range(f.shape[0]):
        x = f[i]
        y = t[i]
        s = b if x > y else (a if x < y else 0.0)
        g[i] = s * (gk[0] if one else gk[i])


@njit(cache=True)
def match_leaves(prev, new, leaf_values, out):
    """`leaf_from_scores` from one tree's leaf values as LightGBM lists them: sorted (stable,
    NaN last), and leaves sharing a value marked −1 — the tables `losslab.lightgbm` builds.
    Returns the rows left at −1 (ascending)."""
    n = leaf_values.shape[0]
    first = np.argsort(leaf_values, kind="mergesort")
    values = leaf_values[first]
    leaf_of = np.empty(n, np.int32)
    for k in range(n):
        shared = (k > 0 and values[k - 1] == values[k]) or (k + 1 < n and values[k + 1] == values[k])
        leaf_of[k] = -1 if shared else first[k]
    missed = leaf_from_scores(prev, new, values, leaf_of, out)
    rows = np.empty(missed, np.int64)
    j = 0
    for i in range(out.shape[0] if missed else 0):
        if out[i] < 0:
            rows[j] = i
            j += 1
    return rows


@njit(cache=True)
def refit_step(group, y, f, w, n_groups, tau, eta):
    """One refit round in place: lut[g] = η × the weighted τ-quantile of y − f over group g (0
    for a group without rows of positive weight), then f += lut[group]. Returns (lut, counts)."""
    vals, counts = grouped_quantile(group, y, f, w, n_groups, tau)
    lut = np.zeros(n_groups)
    for g in range(n_groups):
        if counts[g] > 0:
            lut[g] = eta * vals[g]
    add_leaf_values(f, group, lut)
    return lut, counts


@njit(cache=True)
def read_leaves(get, handle, t, out):
    """out[j] = tree t's leaf value j by ``get`` (``LGBM_BoosterGetLeafValue`` with the handle
    and the result pointer as 64-bit integers); returns how many calls succeeded."""
    value = np.empty(1)
    for j in range(out.shape[0]):
        if get(handle, t, j, value.ctypes.data) != 0:
            return j
        out[j] = value[0]
    return out.shape[0]


@njit(cache=True)
def write_leaves(set_leaf, handle, t, values, counts):
    """``set_leaf`` (``LGBM_BoosterSetLeafValue``) of tree t's leaf j to values[j] where
    counts[j] > 0; returns −1, or the first leaf whose call failed."""
    for j in range(values.shape[0]):
        if counts[j] > 0 and set_leaf(handle, t, j, values[j]) != 0:
            return j
    return -1
