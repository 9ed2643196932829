"""New-user examples for survival and censored targets (docs/structured.md runs through them).

1. Cox: boost a proportional-hazards model with XGBoost, then turn its scores into survival
   curves with Breslow's baseline hazard.
2. AFT: boost log survival time with censored bounds (exact, right, left, interval).
3. Tobit: a target capped at its maximum; σ fitted from the data, the latent mean boosted.

Run: ``python docs/examples/survival.py`` (needs xgboost); tests/test_survival.py runs it.
"""

from __future__ import annotations

import numpy as np
import xgboost as xgb

import losslab
import losslab.xgboost as lx
from losslab.gbdt.targets import signed_survival_label
from losslab.losses.survival import breslow
from losslab.targets import Bounds, Survival

rng = np.random.default_rng(0)
n = 400
X = rng.normal(size=(n, 3))
risk = X[:, 0] - 0.5 * X[:, 1]  # the true log hazard ratio


def cox_example() -> dict[str, float]:
    """Cox partial likelihood: a time and an event flag per row."""
    event_time = rng.exponential(np.exp(-risk))
    censor_time = rng.exponential(1.5, n)
    target = Survival(time=np.minimum(event_time, censor_time), event=(event_time <= censor_time).astype(int))
    # XGBoost's survival label: the time, negative where the row is censored
    dtrain = xgb.DMatrix(X, label=signed_survival_label(target.time, target.event))
    booster = lx.train("survival:cox", {"max_depth": 2, "eta": 0.15, "nthread": 1}, dtrain, 60)
    f = booster.predict(dtrain, output_margin=True).astype(np.float64)  # log relative hazards
    cox = losslab.get("cox")
    baseline = breslow(target, f)  # the baseline hazard the scores imply
    curves = baseline.survival(f[:3], times=[0.5, 1.0, 2.0])  # S(t | x) of three rows
    return {
        "partial_nll_at_zero": float(cox(target, np.zeros(n))),
        "partial_nll_fitted": float(cox(target, f)),
        "corr_with_true_risk": float(np.corrcoef(f, risk)[0, 1]),
        "S(1 | row 0)": float(curves[0, 1]),
    }


def aft_example() -> dict[str, float]:
    """Accelerated failure time: bounds on the time, y_pred = predicted log time."""
    time = np.exp(1.0 + 0.5 * X[:, 0] + 0.4 * rng.normal(size=n))
    kind = rng.integers(0, 4, n)  # 0 exact, 1 right censored, 2 left censored, 3 interval
    lower = np.where(kind == 2, 0.0, np.where(kind == 3, 0.7 * time, time))
    upper = np.where(kind == 1, np.inf, np.where(kind == 3, 1.4 * time, time))
    dtrain = xgb.DMatrix(X)
    dtrain.set_float_info("label_lower_bound", lower)
    dtrain.set_float_info("label_upper_bound", upper)
    aft = losslab.get("survival:aft", distribution="normal", sigma=0.5)
    booster = lx.train(aft, {"max_depth": 2, "eta": 0.15, "nthread": 1}, dtrain, 60)
    log_time = booster.predict(dtrain, output_margin=True).astype(np.float64)
    target = Bounds(lower, upper)
    return {
        "nll_at_baseline": float(aft(target, np.full(n, aft.baseline(target)))),
        "nll_fitted": float(aft(target, log_time)),
        "median_time_row0": float(np.exp(log_time[0])),  # normal errors: e^{y_pred} is the median
    }


def tobit_example() -> dict[str, float]:
    """Tobit: y observed only up to a cap (right censored at 3)."""
    y = 2.0 + X[:, 0] + rng.normal(size=n)
    cap = 3.0
    target = Bounds(np.minimum(y, cap), np.where(y >= cap, np.inf, y))
    tobit = losslab.get("tobit", sigma="auto").fit_auto(target)  # σ from the censored data
    dtrain = xgb.DMatrix(X)
    dtrain.set_float_info("label_lower_bound", target.lower)
    dtrain.set_float_info("label_upper_bound", target.upper)
    booster = lx.train(tobit, {"max_depth": 2, "eta": 0.15, "nthread": 1}, dtrain, 60)
    latent = booster.predict(dtrain, output_margin=True).astype(np.float64)
    return {
        "sigma": float(tobit.sigma),
        "share_capped": float(np.mean(y >= cap)),
        # the latent mean keeps rising above the cap where x says so; a plain regression on the
        # capped values cannot
        "mean_prediction_top_decile": float(latent[X[:, 0] > np.quantile(X[:, 0], 0.9)].mean()),
    }


if __name__ == "__main__":
    for name, fn in (("cox", cox_example), ("aft", aft_example), ("tobit", tobit_example)):
        print(name, {k: round(v, 3) for k, v in fn().items()})
