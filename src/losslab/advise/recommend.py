r"""From a diagnosis and the user's intent to ranked losses with reasons.

The order of questions (Gneiting 2011; the scikit-learn guide "Which scoring function should I
use?"): first *which statistic* is to be predicted — mean, median, a quantile, an expectile, a
probability, a decision under costs — then which loss that is consistent for it also suits the
data (outliers, skew, zeros, counts, imbalance). Each rule below adds score to candidates and
records a reason that cites the measured value that fired it.

Only registered losses are recommended (`losslab.list_losses` at call time); a candidate whose
loss or parameter does not exist is skipped. Caveats that follow from a loss's metadata (what it
estimates, a Hessian that is zero almost everywhere, non-convexity) are derived from
``loss.info``, never from its name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .._core.errors import DataError, LosslabError
from .._core.info import HessianKind, LossInfo, ParamRole, Task
from .._core.statistic import Statistic
from ..intent import Intent, parse_costs, parse_predict
from .advice import Recommendation
from .diagnose import THRESHOLDS, Diagnosis

__all__ = ["Intent", "parse_costs", "parse_predict", "recommend"]


def _t(key: str) -> float:
    return THRESHOLDS[key][0]


# ---------------------------------------------------------------------------------------------
# candidates


@dataclass
class _Cand:
    name: str
    params: dict[str, Any]
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)


class _Pool:
    """Candidates keyed by (name, params); rules add score, reasons and caveats."""

    def __init__(self) -> None:
        import losslab

        self.available = set(losslab.list_losses())
        self.cands: dict[tuple[str, str], _Cand] = {}

    def has(self, name: str) -> bool:
        return name in self.available

    def add(
        self,
        name: str,
        score: float,
        reason: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        caveat: str | None = None,
        metrics: list[str] | None = None,
    ) -> _Cand | None:
        if name not in self.available:
            return None
        params = dict(params or {})
        from .._core.registry import loss_class

        known = {p.name for p in loss_class(name).PARAMS}
        if not set(params) <= known:
            return None  # this build's loss lacks the parameter the rule needs
        key = (name, repr(sorted(params.items())))
        c = self.cands.get(key)
        if c is None:
            c = self.cands[key] = _Cand(name, params)
        c.score += score
        if reason and reason not in c.reasons:
            c.reasons.append(reason)
        if caveat and caveat not in c.caveats:
            c.caveats.append(caveat)
        if metrics and not c.metrics:
            c.metrics = list(metrics)
        return c

    def find(self, task: Task, statistic: Statistic) -> list[str]:
        """Registered losses of ``task`` whose metadata says they estimate ``statistic``."""
        return [
            n
            for n in sorted(self.available)
            if _info(n).task == task and _info(n).statistic.statistic == statistic
        ]

    def focal(self, task: Task) -> list[str]:
        """Registered losses of ``task`` with a focusing parameter (focal γ), by their metadata."""
        return [
            n for n in sorted(self.available) if _info(n).task == task and _info(n).param(ParamRole.FOCUSING)
        ]

    def smooth_robust(self) -> list[str]:
        """Registered regression losses that are robust, smooth and estimate an M-estimate of
        location (pseudo-Huber, log-cosh, Barron …), by their metadata."""
        return [
            n
            for n in sorted(self.available)
            if _info(n).task == Task.REGRESSION
            and _info(n).robust
            and _info(n).smooth
            and _info(n).statistic.statistic == Statistic.M_ESTIMATE
        ]

    def decision(self, task: Task) -> list[str]:
        """Registered losses of ``task`` that estimate a decision (margin losses)."""
        return self.find(task, Statistic.DECISION)


def _level_param(name: str) -> str | None:
    """The (0, 1)-valued level parameter of a quantile/expectile loss, by its declaration."""
    from .._core.registry import loss_class

    for p in loss_class(name).PARAMS:
        iv = p.interval
        if p.kind == "float" and iv.low == 0.0 and iv.high == 1.0:
            return p.name
    return None


def _clip_to(name: str, param: str, value: float) -> float:
    from .._core.registry import loss_class

    for p in loss_class(name).PARAMS:
        if p.name == param:
            iv = p.interval
            lo = iv.low if iv.low_closed else math.nextafter(iv.low, math.inf)
            hi = iv.high if iv.high_closed else math.nextafter(iv.high, -math.inf)
            return float(min(max(value, lo), hi))
    return value


def _g(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "n/a"
    return f"{x:.{digits}g}"


# ---------------------------------------------------------------------------------------------
# the rules


MEAN_METRICS = ["rmse", "mae", "r2"]
MEDIAN_METRICS = ["mae", "rmse", "r2"]


def recommend(
    diag: Diagnosis, intent: Intent | None, costs: dict[str, float] | None
) -> tuple[Intent, str, float | None, list[Recommendation]]:
    """Rank losses for ``diag`` under the user's intent.

    Returns ``(intent used, its source "user"/"default", threshold or None, recommendations)``.
    """
    task = diag.task.task
    classification = task in ("binary", "multiclass")
    source = "user" if intent is not None else "default"
    if costs is not None and task != "binary":
        raise DataError(
            f"costs={{'fp', 'fn'}} apply to a binary target; this target is {task} "
            f"({diag.values.get('n_classes', diag.values.get('n_unique'))} distinct values)."
        )
    if intent is None:
        if classification:
            intent = Intent("decision") if costs is not None else Intent("probability")
        else:
            intent = Intent("mean")
    if classification and intent.kind not in ("probability", "decision"):
        raise DataError(
            f"predict={str(intent)!r} needs a numeric target; this target is {task}. "
            "For classes use predict='probability' or 'decision'."
        )
    levels = task == "ordinal" and "class_counts" in diag.values
    if (
        not classification
        and intent.kind in ("probability", "decision")
        and task != "proportion"
        and not levels
    ):
        raise DataError(
            f"predict={intent.kind!r} needs a class target; this target is {task}. "
            "Use mean, median, quantile:τ or expectile:τ, or pass task='binary'/'multiclass'."
        )
    threshold = costs["fp"] / (costs["fp"] + costs["fn"]) if costs else None
    pool = _Pool()
    if task == "binary":
        _binary(pool, diag, intent, costs, threshold)
    elif task == "multiclass" or (levels and intent.kind in ("probability", "decision")):
        _multiclass(pool, diag, intent)
        if task == "ordinal":
            for c in pool.cands.values():
                c.caveats.append(
                    "treats the ordered levels as unordered classes: a 1-vs-5 miss costs as 4-vs-5"
                )
    else:
        _numeric(pool, diag, intent)
    recs = _finish(pool, intent, source == "user")
    if not recs:
        raise DataError(f"no registered loss fits task {task!r} with predict={str(intent)!r}.")
    return intent, source, threshold, recs


def _finish(pool: _Pool, intent: Intent, asked: bool) -> list[Recommendation]:
    import losslab

    out = []
    for c in pool.cands.values():
        try:
            loss = losslab.get(c.name, **c.params)
        except LosslabError:
            continue
        caveats = list(c.caveats) + _meta_caveats(loss, intent, asked)
        out.append(
            Recommendation(
                loss=loss,
                name=c.name,
                score=round(c.score, 4),
                reasons=c.reasons,
                estimates=loss.statistic,
                caveats=caveats,
                metrics=c.metrics or (MEAN_METRICS if loss.info.task == "regression" else ["log_loss"]),
                params={k: loss.params[k] for k in c.params},
            )
        )
    out.sort(key=lambda r: -r.score)
    out = out[:5]
    for i, r in enumerate(out, 1):
        r.rank = i
    return out


#: statistics that answer a request for the mean or the median (M-estimates lie between both)
_FOR = {
    "mean": (Statistic.MEAN, Statistic.MEAN_AND_VARIANCE, Statistic.HUBER_LOCATION, Statistic.M_ESTIMATE),
    "median": (Statistic.MEDIAN, Statistic.HUBER_LOCATION, Statistic.M_ESTIMATE),
}
PROPER_PROBABILITIES = (Statistic.PROBABILITY, Statistic.CLASS_PROBABILITIES)


def _meta_caveats(loss: Any, intent: Intent, asked: bool) -> list[str]:
    info = loss.info
    out = []
    stat = loss.statistic
    if (
        intent.kind in ("mean", "median")
        and info.task == "regression"
        and info.statistic.statistic not in _FOR[intent.kind]
    ):
        target = "you asked for" if asked else "(the default target)"
        out.append(f"it estimates the {stat}, not the {intent.kind} {target}")
    if intent.kind == "probability" and info.task in ("binary", "multiclass"):
        weighted = any(
            (k == "pos_weight" and v != 1.0) or (k == "class_weight" and v is not None)
            for k, v in loss.params.items()
        )
        proper = info.statistic.statistic in PROPER_PROBABILITIES
        if not proper:
            out.append(
                f"it estimates {stat}, not calibrated probabilities: recalibrate before reading scores as "
                "P(y=1)"
            )
        elif weighted:
            out.append(
                "class weights shift the predicted probabilities towards the up-weighted class: recalibrate"
            )
    if info.hessian == HessianKind.ZERO_ALMOST_EVERYWHERE:
        out.append(
            "its Hessian is 0 almost everywhere: gradient boosting needs a Hessian policy (leaf refit)"
        )
    if not info.convex:
        out.append("not convex in the prediction: optimisers can stall; start from the baseline")
    return out


def _numeric(pool: _Pool, diag: Diagnosis, intent: Intent) -> None:
    v = diag.values
    task = diag.task.task
    ymin = v["min"]
    res_out = v.get("residual_outlier_share_iqr", v["outlier_share_iqr"])
    res_kurt = v.get("residual_excess_kurtosis", v["excess_kurtosis"])
    res_skew = v.get("residual_skewness", v["skewness"])
    qskew = v.get("residual_quantile_skewness", v.get("quantile_skewness", 0.0))
    scale = v.get("residual_scale") or v["mad_scale"]
    power = v.get("variance_power")
    res_p = v.get("residual_outlier_pvalue", 0.0)
    significant = res_p < _t("outlier_pvalue") and res_kurt > _t("excess_kurtosis_support")
    heavy = (res_out >= _t("outlier_share") and significant) or res_kurt > _t("excess_kurtosis")
    tail_text = (
        f"residual outlier share {res_out:.1%} (Gaussian: 0.7%, flag ≥ {_t('outlier_share'):.0%}) and excess "
        f"kurtosis {res_kurt:.2f}"
    )
    delta = _t("huber_k") * scale if scale > 0 else None
    log_out = v.get("log_residual_outlier_share_iqr")

    if intent.kind == "quantile":
        tau = intent.level
        for name in pool.find(Task.REGRESSION, Statistic.QUANTILE):
            lp = _level_param(name)
            if lp is None:
                continue
            q = float(_quantile_of(diag, tau))
            pool.add(
                name,
                10.0,
                f"you asked for the {tau:g}-quantile; the pinball loss is the strictly consistent loss for "
                "it "
                f"(Gneiting 2011). y's marginal {tau:g}-quantile is {q:.4g} (median {v['median']:.4g})",
                params={lp: tau},
                metrics=["pinball", "coverage", "mae"],
            )
            other = round(1.0 - tau, 6)
            if other != tau:
                pool.add(
                    name,
                    2.0,
                    f"its mirror level {other:g} completes a central {abs(tau - other):.0%} interval whose "
                    "coverage "
                    f"can be checked (y's {other:g}-quantile {float(_quantile_of(diag, other)):.4g})",
                    params={lp: other},
                    metrics=["pinball", "coverage", "mae"],
                )
        _add_mean_median(pool, diag, 1.0, 0.8, delta, tail_text, heavy)
        return
    if intent.kind == "expectile":
        tau = intent.level
        for name in pool.find(Task.REGRESSION, Statistic.EXPECTILE):
            lp = _level_param(name)
            if lp is None:
                continue
            pool.add(
                name,
                10.0,
                f"you asked for the {tau:g}-expectile; the asymmetric squared loss is strictly consistent "
                "for it "
                f"(Newey & Powell 1987; Gneiting 2011). y's mean is {v['mean']:.4g}, std {v['std']:.4g}",
                params={lp: tau},
                metrics=["rmse", "mae"],
            )
        for name in pool.find(Task.REGRESSION, Statistic.QUANTILE):
            lp = _level_param(name)
            if lp:
                pool.add(
                    name,
                    1.5,
                    f"the {tau:g}-quantile is the robust cousin of the expectile (residual outlier share "
                    f"{res_out:.1%})",
                    params={lp: tau},
                    metrics=["pinball", "coverage"],
                )
        _add_mean_median(pool, diag, 1.0, 0.8, delta, tail_text, heavy)
        return
    if intent.kind == "median":
        pool.add(
            "mae",
            10.0,
            "you asked for the median; absolute error is strictly consistent for it (median of y "
            f"{v['median']:.4g})",
            metrics=MEDIAN_METRICS,
        )
        for name in pool.find(Task.REGRESSION, Statistic.QUANTILE):
            lp = _level_param(name)
            if lp:
                pool.add(
                    name,
                    3.0,
                    "pinball at 0.5 is half the absolute error: the same median (median of y "
                    f"{v['median']:.4g})",
                    params={lp: 0.5},
                    metrics=["pinball", "mae"],
                )
        if delta:
            pool.add(
                "huber",
                2.0 + (1.0 if heavy else 0.0),
                f"a compromise with a quadratic centre, δ = 1.345·σ̂ = {delta:.4g} (robust residual scale "
                "σ̂ = "
                f"{scale:.4g}); "
                "equals the median when residuals are symmetric "
                f"(residual quantile skewness {qskew:.2f})",
                params={"delta": delta},
                metrics=MEDIAN_METRICS,
            )
        if task in ("positive",) and ymin > 0:
            pool.add(
                "msle",
                1.5,
                "exp(E[log(1 + y)]) − 1 is the median of y when log(1 + y) is symmetric "
                f"(log-residual skewness {v.get('log_residual_skewness', v.get('log_skewness', 0.0)):.2f}); "
                f"y spans {v['dynamic_range_orders']:.1f} orders of magnitude",
                metrics=["msle", "mae"],
            )
        pool.add(
            "mse",
            0.5,
            f"the mean instead (mean {v['mean']:.4g} vs median {v['median']:.4g})",
            metrics=MEAN_METRICS,
        )
        return

    # --- the mean (default) ----------------------------------------------------------------
    if task == "proportion":
        pool.add(
            "binary_crossentropy",
            6.0,
            f"y is a proportion in [0, 1] ({1 - v['share_zero'] - _share_one(diag):.0%} strictly inside); "
            "cross-entropy "
            "on soft labels is a Bregman loss, consistent for the mean, with a logit link that keeps "
            "predictions in "
            "(0, 1) (LightGBM's cross_entropy objective)",
            metrics=["rmse", "mae", "log_loss"],
        )
        pool.add(
            "mse",
            3.0,
            "squared error is consistent for the mean too; predictions may leave [0, 1] (y mean "
            f"{v['mean']:.3g})",
            metrics=MEAN_METRICS,
        )
        pool.add(
            "mae",
            1.0,
            f"the median instead (median {v['median']:.3g} vs mean {v['mean']:.3g})",
            metrics=MEDIAN_METRICS,
        )
        return
    if task in ("count", "positive"):
        _nonnegative(pool, diag, power, heavy, delta, tail_text, log_out)
        return
    if task == "ordinal":
        pool.add(
            "mse",
            4.0,
            f"ordered levels {v['min']:.0f}…{v['max']:.0f} read as numbers: squared error targets the mean "
            "rating "
            f"(mean {v['mean']:.3g}), judged by RMSE like most rating benchmarks",
            metrics=MEAN_METRICS,
        )
        pool.add(
            "mae",
            3.0,
            f"absolute error targets the median level ({v['median']:.0f}), which is always a valid level",
            metrics=MEDIAN_METRICS,
        )
        pool.add(
            "categorical_crossentropy",
            2.5,
            f"as {v['n_unique']} unordered classes: a probability per level; ignores the order",
            caveat="treats levels as unordered: a 1-vs-5 mistake costs the same as 4-vs-5",
            metrics=["log_loss", "accuracy", "f1"],
        )
        if delta:
            pool.add(
                "huber",
                1.5 if heavy else 1.0,
                f"robust fit of the mean level, δ = 1.345·σ̂ = {delta:.4g}; {tail_text}",
                params={"delta": delta},
                metrics=MEAN_METRICS,
            )
        return
    # real-valued regression
    gaussianish = not heavy and abs(res_kurt) <= 1.0
    mse_reason = (
        "the mean is the default target: squared error is strictly consistent for it (Gneiting 2011) and is "
        "what "
        "RMSE and R² judge"
    )
    pool.add("mse", 3.0, None, metrics=MEAN_METRICS)
    if gaussianish:
        pool.add(
            "mse",
            2.0,
            f"residuals look Gaussian: {tail_text}, skewness {res_skew:.2f} ({v['residual_source']})",
        )
    else:
        pool.add(
            "mse",
            -0.6,
            f"but the residuals are heavy-tailed ({tail_text}) and squared error lets the outliers "
            "steer the fit",
        )
    pool.cands[("mse", "[]")].reasons.insert(0, f"{mse_reason} (mean of y {v['mean']:.4g})")
    symmetric = abs(qskew) < _t("symmetric_quantile_skew")
    if delta:
        base = 4.5 if heavy else 1.0
        why = (
            f"{tail_text}: Huber bounds the influence of outliers; δ = 1.345·σ̂ = {delta:.4g} from the "
            "robust residual "
            f"scale σ̂ = 1.4826·MAD = {scale:.4g} (95% efficiency under normality)"
            if heavy
            else f"insurance against outliers at little cost: δ = 1.345·σ̂ = {delta:.4g} keeps 95% "
            f"efficiency if the residuals are Gaussian (σ̂ = {scale:.4g})"
        )
        c = pool.add("huber", base, why, params={"delta": delta}, metrics=MEAN_METRICS)
        hetero = v.get("residual_heteroscedasticity")
        if c is not None and heavy and hetero is not None and hetero >= _t("heteroscedasticity"):
            c.caveats.append(
                f"the residual spread varies with {v['residual_heteroscedasticity_with']} (Spearman ρ of "
                f"|residual| {hetero:.2f}): the tails may be a changing variance, not outliers — then the "
                "mean is still the target and gaussian_nll (mean and variance) is worth a try"
            )
        if c is not None and heavy:
            c.reasons.append(
                f"residual quantile skewness (q90 + q10 − 2·median)/(q90 − q10) = {qskew:.2f}: "
                + (
                    "symmetric, so Huber's location coincides with the mean"
                    if symmetric
                    else "skewed, so Huber's location drifts from the mean towards the median"
                )
            )
        for name in sorted(pool.smooth_robust(), key=_simplest_first):
            param = _info(name).param(ParamRole.SCALE)
            params = {param: delta} if param else {}
            cav = None
            if param is None and not 0.2 <= scale <= 5:
                cav = (
                    f"{name} has no scale parameter: it turns linear at |r| ≈ 1 in y's units, but the "
                    "residual scale "
                    f"is {scale:.3g}; standardise y or prefer a loss with one"
                )
            pool.add(
                name,
                (_smooth_robust_bonus(name) if heavy else 0.3) - (1.0 if cav else 0.0),
                (
                    "smooth robust alternative (non-zero Hessian everywhere, good for boosting and Newton "
                    f"steps); {tail_text}"
                    if heavy
                    else f"a smooth robust fallback, not needed now: {tail_text}"
                )
                + (f"; {param} = {delta:.4g}" if param else ""),
                params=params,
                caveat=cav,
                metrics=MEAN_METRICS,
            )
    if ymin >= 0 and power is not None and power >= 0.7:
        p_hat = min(max(power, 1.0), 2.0)
        grow = (
            f"y ≥ 0 and its variance grows with the mean: variance–mean slope p̂ = {power:.2f} over "
            f"{v.get('variance_power_bins')} bins of fitted means"
        )
        if pool.has("tweedie"):
            pool.add(
                "tweedie",
                2.5,
                f"{grow}; Tweedie deviance with power {p_hat:.2f} weighs errors by that variance",
                params={"power": round(_clip_to("tweedie", "power", p_hat), 2)},
                metrics=["tweedie_deviance", "rmse", "mae"],
            )
        if ymin > 0 and power >= 1.5:
            pool.add(
                "gamma",
                2.0,
                f"{grow}; Gamma deviance assumes p = 2",
                metrics=["gamma_deviance", "rmse", "mae"],
            )
        elif power < 1.5:
            pool.add(
                "poisson",
                2.0,
                f"{grow}; Poisson deviance assumes p = 1",
                metrics=["poisson_deviance", "rmse", "mae"],
            )
    pool.add(
        "mae",
        3.5 if heavy else 0.5,
        (
            f"the median ignores outliers entirely; {tail_text}"
            if heavy
            else f"the median instead of the mean (median {v['median']:.4g})"
        ),
        metrics=MEDIAN_METRICS,
    )


def _add_mean_median(
    pool: _Pool,
    diag: Diagnosis,
    w_mean: float,
    w_med: float,
    delta: float | None,
    tail_text: str,
    heavy: bool,
) -> None:
    v = diag.values
    pool.add(
        "mse",
        w_mean,
        f"point forecast of the mean alongside (mean of y {v['mean']:.4g})",
        metrics=MEAN_METRICS,
    )
    pool.add(
        "mae",
        w_med,
        f"point forecast of the median alongside (median of y {v['median']:.4g})",
        metrics=MEDIAN_METRICS,
    )
    if heavy and delta:
        pool.add(
            "huber",
            w_med,
            f"robust point forecast: {tail_text}",
            params={"delta": delta},
            metrics=MEAN_METRICS,
        )


def _quantile_of(diag: Diagnosis, tau: float) -> float:
    import numpy as np

    return float(np.quantile(diag.y.to_numpy(dtype=float), tau))


def _share_one(diag: Diagnosis) -> float:
    import numpy as np

    return float(np.mean(diag.y.to_numpy(dtype=float) == 1.0))


def _nonnegative(
    pool: _Pool,
    diag: Diagnosis,
    power: float | None,
    heavy: bool,
    delta: float | None,
    tail_text: str,
    log_out: float | None,
) -> None:
    """Counts, positive skewed and zero-inflated targets: the Tweedie family by variance power."""
    v = diag.values
    task = diag.task.task
    ymin, zero = v["min"], v["share_zero"]
    integer = v["integer_valued"]
    disp = v.get("pearson_dispersion") or v.get("dispersion_index")
    p_text = (
        f"variance–mean slope p̂ = {power:.2f} (log–log fit over {v.get('variance_power_bins')} bins of "
        "fitted means; "
        "0 Gaussian, 1 Poisson, 2 Gamma)"
        if power is not None
        else "variance–mean power not measurable (" + str(v.get("variance_power_note", "")) + ")"
    )
    dev = {"poisson": "poisson_deviance", "gamma": "gamma_deviance", "tweedie": "tweedie_deviance"}
    # Poisson: counts
    if ymin >= 0:
        if integer or task == "count":
            score = 6.0
            why = (
                f"non-negative integer counts (mean {v['mean']:.3g}, {zero:.0%} zeros): Poisson deviance is "
                "consistent "
                "for the mean with a log link that keeps predictions positive"
            )
        else:
            score = 2.0
            why = (
                f"y ≥ 0 ({zero:.0%} zeros): Poisson deviance is consistent for the mean of any "
                "non-negative target"
            )
        if power is not None:
            score += 2.0 - 2.0 * min(abs(power - 1.0), 1.0)
            why += f"; {p_text}"
        elif disp is not None:
            why += f"; dispersion (var/mean) {disp:.2f}"
        cav = None
        if disp is not None and disp > _t("overdispersion") and integer:
            cav = (
                f"overdispersed (Pearson var/mean {disp:.2f} > {_t('overdispersion'):g}): the mean fit "
                "stays consistent but "
                "a Poisson likelihood understates the noise; compare with Tweedie"
            )
        pool.add("poisson", score, why, caveat=cav, metrics=[dev["poisson"], "rmse", "mae"])
    # Gamma: strictly positive, multiplicative noise
    if ymin > 0:
        score = 2.0
        why = (
            f"y > 0 (min {ymin:.4g}), skewness {v['skewness']:.2f}: Gamma deviance is consistent for the "
            "mean and measures relative errors"
        )
        if power is not None:
            score += 4.5 - 3.0 * min(abs(power - 2.0), 1.5)
            why += f"; {p_text}"
        ls = v.get("log_residual_skewness")
        if ls is not None and abs(ls) < 0.5 and not integer:
            score += 2.0
            why += (
                f"; log-residuals are symmetric (skewness {ls:.2f}): multiplicative, log-normal-like "
                "noise, whose variance grows as μ² (p = 2)"
            )
        if integer:
            score -= 2.0
        pool.add("gamma", score, why, metrics=[dev["gamma"], "rmse", "mae"])
    # Tweedie: zeros + continuous positives, or an intermediate power
    if pool.has("tweedie") and ymin >= 0:
        from .._core.registry import loss_class

        pparam = next(
            (p.name for p in loss_class("tweedie").PARAMS if p.name in ("power", "p", "variance_power")), None
        )
        if pparam is not None:
            zero_inflated = zero > 0 and not integer
            if power is not None:
                p_hat = min(max(power, 1.0), 2.0)
                if zero_inflated:
                    p_hat = min(max(p_hat, 1.1), 1.9)
            else:
                p_hat = 1.5
            p_hat = round(_clip_to("tweedie", pparam, p_hat), 2)
            score = 1.5
            why = (
                f"{pparam} = {p_hat:g} from the {p_text}"
                if power is not None
                else f"power {p_hat:g} (the usual start; {p_text})"
            )
            if zero_inflated:
                score += 7.0
                why = (
                    f"{zero:.1%} exact zeros mixed with continuous positives (zeros ≥ "
                    f"{_t('zero_share'):.0%} flag "
                    "zero-inflation): the compound Poisson–Gamma Tweedie (1 < p < 2) models both; " + why
                )
            elif power is not None and 1.2 <= power <= 1.8:
                score += 5.0
                why = "the variance grows faster than Poisson's and slower than Gamma's: " + why
            elif power is not None:
                score += 1.0
            pool.add("tweedie", score, why, params={pparam: p_hat}, metrics=[dev["tweedie"], "rmse", "mae"])
    # log scale
    if ymin > -1:
        orders = v["dynamic_range_orders"]
        score = 1.0 + (2.0 if orders >= _t("dynamic_range_orders") else 0.0)
        ls = v.get("log_residual_skewness")
        if ls is not None and abs(ls) < 0.5 and not integer:
            score += 1.0
        growth = orders >= _t("dynamic_range_orders")
        why = (
            f"y spans {orders:.1f} orders of magnitude ("
            + (
                f"≥ {_t('dynamic_range_orders'):g}: exponential growth"
                if growth
                else "no sign of exponential growth"
            )
            + "): a log-scale fit weighs relative errors"
        )
        if ls is not None:
            why += f"; log-residual skewness {ls:.2f}"
        pool.add(
            "msle",
            score,
            why,
            caveat=(
                "it targets exp(E[log(1+y)]) − 1, below the mean (Jensen): back-transformed predictions "
                "run low"
            ),
            metrics=["msle", "rmse", "mae"],
        )
    pool.add(
        "mse",
        1.5 - (0.5 if heavy else 0.0),
        "plain squared error is consistent for the mean too, but ignores that the noise grows with the "
        f"mean ({p_text})",
        metrics=MEAN_METRICS,
    )
    if heavy and delta and log_out is not None and log_out >= _t("outlier_share"):
        pool.add("huber", 1.0, f"{tail_text}; δ = {delta:.4g}", params={"delta": delta}, metrics=MEAN_METRICS)
    pool.add(
        "mae",
        0.5,
        f"the median instead of the mean (median {v['median']:.4g} vs mean {v['mean']:.4g}, skewness "
        f"{v['skewness']:.2f})",
        metrics=MEDIAN_METRICS,
    )
    if ymin > 0 and not integer:
        pool.add(
            "mape",
            0.3,
            f"relative errors on a y > 0 that spans {v['dynamic_range_orders']:.1f} orders of magnitude, if "
            "the "
            "business quotes percentages",
            caveat="MAPE rewards under-prediction (Gneiting 2011): prefer gamma deviance for relative errors",
            metrics=["mae", "rmse"],
        )


# ---------------------------------------------------------------------------------------------
# classification


CLASS_PROB_METRICS = ["log_loss", "brier", "ece", "roc_auc", "pr_auc"]
DECISION_METRICS = ["expected_cost", "recall", "precision", "f1", "log_loss"]


def _binary(
    pool: _Pool, diag: Diagnosis, intent: Intent, costs: dict[str, float] | None, threshold: float | None
) -> None:
    v = diag.values
    share = v["minority_share"]
    ratio = v["imbalance_ratio"]
    counts = v["class_counts"]
    pos, neg = _positive_class(diag)
    n_pos, n_neg = counts[pos], counts[neg]
    imbalanced = share < _t("imbalance_warn")
    bal_text = f"class balance {n_pos}:{n_neg} (positive {pos!r}; minority share {share:.3f})"
    conflict = v.get("conflicting_duplicate_share")
    metrics = DECISION_METRICS if (intent.kind == "decision" or costs) else CLASS_PROB_METRICS
    bce_why = (
        "log loss is strictly proper: it recovers calibrated probabilities P(y=1|x) (Gneiting & Raftery 2007)"
    )
    if costs:
        bce_why += (
            f"; with costs fp={costs['fp']:g}, fn={costs['fn']:g} threshold them at p* = c_fp/(c_fp + c_fn) "
            "= "
            f"{threshold:.4g} (Elkan 2001)"
        )
    pool.add(
        "binary_crossentropy",
        6.0 if intent.kind == "probability" else 4.0,
        f"{bce_why}; {bal_text}",
        metrics=metrics,
    )
    if costs:
        w = costs["fn"] / costs["fp"]
        cs = pool.add(
            "cost_sensitive_bce",
            7.0 if intent.kind == "decision" else 3.5,
            f"costs fp={costs['fp']:g}, fn={costs['fn']:g} (fn/fp = {w:.3g}) with {bal_text}: the "
            "cost-weighted "
            f"log loss moves the model's 0.5 boundary to where the true P(y=1|x) = p* = {threshold:.4g}",
            params={"fp_cost": costs["fp"], "fn_cost": costs["fn"]},
            caveat=(
                "its outputs are cost-weighted, not calibrated probabilities; threshold them at 0.5, or "
                "the "
                f"recalibrated probabilities at p* = {threshold:.4g}"
            ),
            metrics=DECISION_METRICS,
        )
        pool.add(
            "binary_crossentropy",
            (6.5 if cs is None else 5.0) if intent.kind == "decision" else 3.0,
            f"pos_weight = c_fn/c_fp = {w:.3g} weights each positive like its miss costs "
            f"(fp={costs['fp']:g}, "
            f"fn={costs['fn']:g}), so 0.5 on its output equals p* = {threshold:.4g} on calibrated "
            f"probabilities; {bal_text}",
            params={"pos_weight": w},
            caveat=(
                "weighted log loss distorts probabilities (predicted rates run high): threshold its "
                "output at 0.5, "
                "or recalibrate"
            ),
            metrics=DECISION_METRICS,
        )
    if imbalanced or ratio >= 3:
        w = n_neg / n_pos
        pool.add(
            "binary_crossentropy",
            3.0 if intent.kind == "decision" else 2.0,
            f"{bal_text}: pos_weight = n_neg/n_pos = {w:.3g} balances the classes' pull on the gradient "
            "(XGBoost's scale_pos_weight rule)",
            params={"pos_weight": round(w, 4)},
            caveat=(
                "re-weighting shifts predicted probabilities (XGBoost: 'you cannot re-balance' if you "
                "need the "
                "right probability): use for ranking/recall, or recalibrate"
            ),
            metrics=["pr_auc", "roc_auc", "recall", "log_loss", "brier"],
        )
        gamma = 2.0 if ratio >= 10 else 1.0
        for name in pool.focal(Task.BINARY):
            params = _focal_params(name, gamma, share)
            pool.add(
                name,
                2.5 if imbalanced else 1.0,
                f"{bal_text} (imbalance ratio {ratio:.3g}): focal loss down-weights the easy majority; γ = "
                f"{gamma:g} "
                + (
                    "(Lin et al. 2017's best, for ratios ≥ 10)" if gamma == 2 else "(milder, for ratios < 10)"
                ),
                params=params,
                caveat=(
                    "focal loss is not strictly proper: its scores are over-/under-confident; report log "
                    "loss/ECE "
                    "after recalibration (Charoenphakdee et al. 2020)"
                ),
                metrics=["pr_auc", "roc_auc", "log_loss", "ece"],
            )
    if conflict is not None and conflict >= _t("label_conflict_share"):
        pool.add(
            "binary_crossentropy",
            2.0,
            f"{conflict:.1%} of rows are duplicates with conflicting labels: label smoothing ε = 0.1 "
            "(Szegedy et al. "
            "2016) stops the model chasing noisy labels",
            params={"label_smoothing": 0.1},
            caveat="label smoothing shrinks probabilities towards 0.5: recalibrate before reading them",
            metrics=metrics,
        )
    if not (imbalanced or ratio >= 3):
        for name in pool.focal(Task.BINARY):
            pool.add(
                name,
                0.6,
                f"{bal_text}: the classes are balanced, so focal γ = 1 only adds hard-example emphasis (Lin "
                "et al. 2017)",
                params=_focal_params(name, 1.0, share),
                caveat="focal loss is not strictly proper: recalibrate before reading probabilities",
                metrics=["roc_auc", "log_loss", "ece"],
            )
    for name in pool.decision(Task.BINARY):
        pool.add(
            name,
            1.5 if intent.kind == "decision" else 0.5,
            f"margin loss for a hard decision; {bal_text}",
            caveat="gives a decision (sign of the score), no probability: do not rank it with log loss",
            metrics=["f1", "accuracy", "recall", "precision"],
        )


def _multiclass(pool: _Pool, diag: Diagnosis, intent: Intent) -> None:
    import numpy as np

    v = diag.values
    counts = v["class_counts"]
    k = v["n_classes"]
    share = v["minority_share"]
    ratio = v["imbalance_ratio"]
    imbalanced = share < _t("imbalance_warn")
    bal_text = (
        f"{k} classes, largest {v['majority_class']!r} ({counts[v['majority_class']]}) vs smallest "
        f"{v['minority_class']!r} ({counts[v['minority_class']]}); ratio {ratio:.3g}"
    )
    metrics = ["log_loss", "accuracy", "f1", "brier"]
    pool.add(
        "categorical_crossentropy",
        6.0,
        f"cross-entropy is strictly proper: calibrated class probabilities (Good 1952); {bal_text}",
        metrics=metrics,
    )
    if (imbalanced or ratio >= 3) and k <= _t("max_weighted_classes"):
        labels = _class_order(diag)
        n_c = np.array([counts[c] for c in labels], dtype=float)
        beta = 0.999
        eff = (1.0 - beta**n_c) / (1.0 - beta)
        w = (1.0 / eff) * k / float(np.sum(1.0 / eff))
        pool.add(
            "categorical_crossentropy",
            3.0,
            f"{bal_text}: class-balanced weights from the effective number of samples, β = {beta:g} (Cui et "
            "al. 2019), "
            f"range {w.min():.3g}…{w.max():.3g} (classes in sorted label order)",
            params={"class_weight": tuple(round(float(x), 4) for x in w)},
            caveat=(
                "class weights shift probabilities towards the rare classes: recalibrate, or prefer "
                "threshold moving"
            ),
            metrics=["f1", "accuracy", "log_loss"],
        )
        gamma = 2.0 if ratio >= 10 else 1.0
        for name in pool.focal(Task.MULTICLASS):
            pool.add(
                name,
                2.0,
                f"{bal_text}: focal γ = {gamma:g} focuses on hard examples (Lin et al. 2017)",
                params=_focal_params(name, gamma, None),
                caveat="focal loss is not strictly proper: recalibrate before reading probabilities",
                metrics=["f1", "accuracy", "log_loss"],
            )
    conflict = v.get("conflicting_duplicate_share")
    if conflict is not None and conflict >= _t("label_conflict_share"):
        pool.add(
            "categorical_crossentropy",
            2.0,
            f"{conflict:.1%} of rows are duplicates with conflicting labels: label smoothing ε = 0.1 "
            "(Szegedy et al. 2016)",
            params={"label_smoothing": 0.1},
            caveat="label smoothing shrinks probabilities towards uniform: recalibrate before reading them",
            metrics=metrics,
        )
    else:
        seen = "no features to check" if conflict is None else f"{conflict:.1%} conflicting duplicates"
        pool.add(
            "categorical_crossentropy",
            0.4,
            f"label smoothing ε = 0.1 as a regulariser against over-confident {k}-way softmax outputs "
            f"(Szegedy et al. 2016); label noise: {seen}",
            params={"label_smoothing": 0.1},
            caveat="label smoothing shrinks probabilities towards uniform: recalibrate before reading them",
            metrics=metrics,
        )
    if not (imbalanced or ratio >= 3):
        for name in pool.focal(Task.MULTICLASS):
            pool.add(
                name,
                0.6,
                f"{bal_text}: balanced classes, so focal γ = 1 only adds hard-example emphasis (Lin et al. "
                "2017)",
                params=_focal_params(name, 1.0, None),
                caveat="focal loss is not strictly proper: recalibrate before reading probabilities",
                metrics=["log_loss", "accuracy", "f1"],
            )
    for name in pool.decision(Task.MULTICLASS):
        pool.add(
            name,
            2.5 if intent.kind == "decision" else 0.8,
            f"multiclass margin loss for hard decisions; {bal_text}",
            caveat="gives a decision, no probability",
            metrics=["accuracy", "f1"],
        )


def _info(name: str) -> LossInfo:
    """The metadata of the registered loss ``name`` with default parameters."""
    from .._core.registry import get

    return get(name).info


def _smooth_robust_bonus(name: str) -> float:
    """Rank of a smooth robust loss under heavy tails: one with a scale parameter (set to the
    residual scale) first, each further shape parameter to tune −0.3; none at all 2.0."""
    info = _info(name)
    if info.param(ParamRole.SCALE) is None:
        return 2.0
    from .._core.registry import loss_class

    return 2.5 - 0.3 * (len(loss_class(name).PARAMS) - 1)


def _simplest_first(name: str) -> tuple[int, bool, str]:
    """Order of the smooth robust candidates: fewest parameters besides the scale first, then
    one with a scale parameter before one without."""
    from .._core.registry import loss_class

    scale = _info(name).param(ParamRole.SCALE)
    return (len(loss_class(name).PARAMS) - (scale is not None), scale is None, name)


def _focal_params(name: str, gamma: float, minority_share: float | None) -> dict[str, Any]:
    param = _info(name).param(ParamRole.FOCUSING)
    return {param: gamma} if param else {}


def _positive_class(diag: Diagnosis) -> tuple[Any, Any]:
    """``(positive, negative)``: the second and first label in sorted order (scikit-learn's and
    `losslab.compare`'s convention: 0 < 1, False < True, "no" < "yes")."""
    neg, pos = _class_order(diag)[:2]
    return pos, neg


def _class_order(diag: Diagnosis) -> list[Any]:
    labels = list(diag.values["class_counts"])
    try:
        return sorted(labels)
    except TypeError:
        return sorted(labels, key=str)
