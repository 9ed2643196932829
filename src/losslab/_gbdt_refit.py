"""Leaf refit shared by the XGBoost and LightGBM bridges (no framework imports).

The Newton leaf −Σg/Σh of a loss with a constant or surrogate Hessian is not the loss's own
optimum. For each leaf, the refit value is argmin_c Σ_{i∈leaf} wᵢ ℓ(yᵢ, Fᵢ + c) — computed as the
loss's `baseline` of the residuals yᵢ − Fᵢ, which is exact for losses that depend on f − y
only (identity link): a weighted median or quantile for mae and quantile, Huber's M-estimate
for huber.
"""

from __future__ import annotations

import math

import numpy as np

from ._core.baseline import _statistic, baseline
from ._core.errors import ParameterError
from ._core.loss import Loss
from ._gbdt import translation_invariant

__all__ = ["refit_values"]


def check_refit(loss: Loss) -> None:
    """Raise unless the loss depends on f − y alone (then a leaf's optimum is a baseline)."""
    if not translation_invariant(loss):
        raise ParameterError(
            f"the leaf refit needs a regression loss of f − y alone on an identity link (a leaf's "
            f"optimum is then the loss's baseline of the residuals); loss {loss.name!r} is not one."
        )


def refit_values(
    loss: Loss, y: np.ndarray, f: np.ndarray, w: np.ndarray | None, leaf: np.ndarray
) -> dict[int, float]:
    """{leaf id: argmin_c Σ_{i∈leaf} wᵢ ℓ(yᵢ, fᵢ + c)} over the leaves present in ``leaf``."""
    check_refit(loss)
    r = y - f
    tau = _quantile_level(loss)
    if tau is not None:
        return grouped_quantile(leaf, r, w, tau)
    order = np.argsort(leaf, kind="stable")
    sorted_leaf = leaf[order]
    ids, starts = np.unique(sorted_leaf, return_index=True)
    bounds = [*starts[1:].tolist(), leaf.shape[0]]
    out: dict[int, float] = {}
    for lid, a, b in zip(ids.tolist(), starts.tolist(), bounds, strict=True):
        rows = order[a:b]
        ww = None if w is None else w[rows]
        if ww is not None and not np.any(ww > 0):
            continue  # no weight: the leaf keeps its value
        out[int(lid)] = float(baseline(loss, r[rows], ww))
    return out


def _quantile_level(loss: Loss) -> float | None:
    """τ if the loss's baseline is the weighted τ-quantile (median: ½), else None."""
    stat, tau = _statistic(loss)
    if getattr(loss.link, "name", "identity") != "identity":
        return None
    if stat == "median":
        return 0.5
    return tau if stat == "quantile" else None


def grouped_quantile(group: np.ndarray, r: np.ndarray, w: np.ndarray | None, tau: float) -> dict[int, float]:
    """`weighted_quantile` of ``r`` within each group (same convention), vectorised.

    Unit weights use a selection (``np.partition``, linear time) per group; weights one sort by
    (group, r) for all groups.
    """
    if w is not None:
        keep = w > 0
        group, r, w = group[keep], r[keep], w[keep]
    if r.size == 0:
        return {}
    key = group.astype(np.uint16) if group.max() < 2**16 and group.min() >= 0 else group
    if w is None:
        order = np.argsort(key, kind="stable")  # radix sort of small integers
        gs, rs = group[order], r[order]
        starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
        ends = np.r_[starts[1:], gs.shape[0]]
        out: dict[int, float] = {}
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            m = b - a
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
            out[int(gs[a])] = float(v)
        return out
    o1 = np.argsort(r, kind="stable")
    order = o1[np.argsort(key[o1], kind="stable")]
    gs, rs, ws = group[order], r[order], w[order]
    cw = np.cumsum(ws)
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
    ends = np.r_[starts[1:], gs.shape[0]]
    offset = np.where(starts > 0, cw[np.maximum(starts - 1, 0)], 0.0)
    total = cw[ends - 1] - offset
    target = offset + tau * total
    j = np.clip(np.searchsorted(cw, target, side="left"), starts, ends - 1)
    val = rs[j].copy()
    prev = (j > starts) & np.isclose(cw[np.maximum(j - 1, 0)] - offset, tau * total, rtol=1e-12, atol=0.0)
    nxt = ~prev & (j + 1 < ends) & np.isclose(cw[j] - offset, tau * total, rtol=1e-12, atol=0.0)
    val[prev] = 0.5 * (rs[j[prev] - 1] + rs[j[prev]])
    val[nxt] = 0.5 * (rs[j[nxt]] + rs[j[nxt] + 1])
    return dict(zip(gs[starts].tolist(), val.tolist(), strict=True))
