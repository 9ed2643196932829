"""The best constant raw prediction of a loss (the init score of gradient boosting)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import optimize

from .xp import to_numpy

if TYPE_CHECKING:
    from .loss import Loss

__all__ = ["baseline"]


def baseline(loss: Loss, y_true: Any, sample_weight: Any = None) -> Any:
    """argmin over constants c of the weighted mean loss Σwᵢℓ(yᵢ, c)/Σw.

    Returns a float for losses on one output and an array of k raw scores for multiclass losses.
    Found by minimising the loss itself (its own gradient as the derivative), so it holds for any
    loss, built-in or custom; the GBDT bridges use it as the init score.
    """
    y = np.asarray(to_numpy(y_true))
    w = None if sample_weight is None else np.asarray(to_numpy(sample_weight), dtype=float)
    if loss.multiclass:
        k = int(y.max()) + 1 if y.ndim == 1 else y.shape[1]
        n = y.shape[0]

        def fun(c: np.ndarray) -> tuple[float, np.ndarray]:
            f = np.broadcast_to(c, (n, k)).copy()
            v = float(loss(y, f, sample_weight=w))
            g = loss.gradient(y, f, sample_weight=w).sum(axis=0) / (w.sum() if w is not None else n)
            return v, g

        res = optimize.minimize(fun, np.zeros(k), jac=True, method="L-BFGS-B")
        return res.x - res.x.mean()
    y = y.astype(float).ravel()
    n = y.shape[0]

    def mean_loss(c: float) -> float:
        return float(loss(y, np.full(n, c), sample_weight=w))

    lo, hi = float(np.min(y)), float(np.max(y))
    if loss.link is not None and loss.link.name == "logit":
        lo, hi = -40.0, 40.0
    elif loss.link is not None and loss.link.name == "log":
        pos = y[y > 0]
        lo, hi = (float(np.log(pos.min())) - 1, float(np.log(pos.max())) + 1) if pos.size else (-40.0, 1.0)
    if lo == hi:
        lo, hi = lo - 1.0, hi + 1.0
    res = optimize.minimize_scalar(mean_loss, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    return float(res.x)
