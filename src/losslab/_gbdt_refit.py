"""Leaf refit shared by the XGBoost and LightGBM bridges (no framework imports).

The Newton leaf −Σg/Σh of a loss with a constant or surrogate Hessian is not the loss's own
optimum. For each leaf, the refit value is argmin_c Σ_{i∈leaf} wᵢ ℓ(yᵢ, Fᵢ + c) — computed as the
loss's `baseline` of the residuals yᵢ − Fᵢ, which is exact for losses that depend on f − y
only (identity link): a weighted median or quantile for mae and quantile, Huber's M-estimate
for huber.
"""

from __future__ import annotations

import numpy as np

from ._core.baseline import baseline
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
    order = np.argsort(leaf, kind="stable")
    sorted_leaf = leaf[order]
    ids, starts = np.unique(sorted_leaf, return_index=True)
    bounds = [*starts[1:].tolist(), leaf.shape[0]]
    out: dict[int, float] = {}
    for lid, a, b in zip(ids.tolist(), starts.tolist(), bounds, strict=True):
        rows = order[a:b]
        ww = None if w is None else w[rows]
        if ww is not None and not np.any(ww > 0):
            out[int(lid)] = 0.0
            continue
        out[int(lid)] = float(baseline(loss, r[rows], ww))
    return out
