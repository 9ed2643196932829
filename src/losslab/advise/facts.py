r"""What the rules read: the diagnosis and the intent, turned once into named facts.

`Facts` holds every value a rule's condition, parameter or reason uses, under one name, with
the text snippets the reasons share (``tail_text``, ``p_text``, ``bal_text``, ``link_text``). The rules
(`losslab.advise.rules`) read nothing else, so a rule is data: a condition on these facts, a
metadata query for the losses, a score and a reason template.

The variance family
-------------------
For y ≥ 0 with features, the diagnosis estimates the variance power p̂ in Var(y | x) ∝ μᵖ with a
95% interval. The *nearest family* is the registered mean deviance whose declared
``LossInfo.variance_power`` is closest to p̂ among those admitting y (0 squared error, 1 Poisson,
2 Gamma). A p̂ strictly between two families (1.15 < p̂ < 1.85, the interval covering neither)
is the compound Poisson–Gamma Tweedie with power p̂. Two families are *close* when the interval
covers both of their powers — squared error's 0 and the nearest family's when it covers 0 (the
growth of the variance itself is then in doubt), else the two nearest p̂; the advice then says it
is unsure between them and names the compare run that settles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.statistic import Statistic
from ..intent import Intent
from ..tasks import sorted_labels
from .diagnose import THRESHOLDS, Diagnosis

__all__ = ["Facts", "facts"]

#: |Kelly skewness| from which Huber's location is taken to drift from the mean (lognormal σ = 0.75
#: gives 0.45; the sampling sd of Kelly's skewness at n = 300 Gaussian rows is about 0.06)
SKEWED_QUANTILE_SKEW = 0.25

#: p̂ strictly inside (1 + margin, 2 − margin) is read as a Tweedie power rather than a family
BETWEEN_MARGIN = 0.15


def _t(key: str) -> float:
    return THRESHOLDS[key][0]


def _g(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}g}"


@dataclass
class Facts:
    """The named facts of one diagnosis under one intent (see the module docstring)."""

    task: str
    intent: Intent
    asked: bool
    values: dict[str, Any]
    y: Any = None
    # numeric targets
    heavy: bool = False
    gaussian: bool = False
    tail_text: str = ""
    scale: float | None = None
    delta: float | None = None
    qskew: float = 0.0
    symmetric: bool = True
    skewed: bool = False
    hetero: float | None = None
    p_hat: float | None = None
    p_ci: tuple[float, float] | None = None
    p_text: str = ""
    family_power: float | None = None  # nearest registered family's variance power
    family_grows: bool = False  # the interval of p̂ excludes 0: the variance grows with the mean
    tweedie_power: float | None = None  # p̂ when strictly between Poisson and Gamma (or zero-inflated)
    close: tuple[float, float] | None = None  # two families' powers both inside p̂'s interval
    close_other: float | None = None  # the one of them that is not the nearest family
    log_link_better: bool = False  # a log-linear mean predicts not significantly worse than a linear one
    link_text: str = ""  # the held-out link test when it is inconclusive (|z| < bound), else ""
    classes_better: bool = False  # an ordinal target's levels as classes predict its mean level better
    levels_text: str = ""  # the held-out numbers-vs-classes test when it is inconclusive, else ""
    count: bool = False
    zero_inflated: bool = False
    log_symmetric: bool = False
    wide_range: bool = False
    cap: dict[str, Any] | None = None
    coded: list[Any] | None = None
    # classes
    share: float = 0.0
    ratio: float = 1.0
    imbalanced: bool = False
    skewed_classes: bool = False
    bal_text: str = ""
    conflict: float | None = None
    noisy_labels: bool = False
    focal_gamma: float = 1.0
    pos_weight: float | None = None
    class_weight: tuple[float, ...] | None = None
    costs: dict[str, float] | None = None
    threshold: float | None = None
    cost_ratio: float | None = None
    as_classes: bool = False  # several classes, or ordered levels asked for as class probabilities
    mirror: float | None = None  # 1 − τ for a quantile or expectile intent

    @property
    def conflict_text(self) -> str:
        """The label-noise measurement in words."""
        if self.conflict is None:
            return "no features to check"
        return f"{self.conflict:.1%} of rows repeat a feature vector with another label"

    @property
    def v(self) -> dict[str, Any]:
        """The diagnosis's measured values (for reason templates: ``{f.v[mean]:.4g}``)."""
        return self.values

    def quantile_of_y(self, tau: float) -> float:
        """y's marginal τ-quantile."""
        return float(np.quantile(np.asarray(self.y, dtype=float), tau))


def facts(diag: Diagnosis, intent: Intent, asked: bool, costs: dict[str, float] | None) -> Facts:
    """The `Facts` of ``diag`` under ``intent`` (``asked``: the user gave it) and ``costs``."""
    f = Facts(diag.task.task, intent, asked, diag.values, y=diag.y)
    levels = f.task == "ordinal" and "class_counts" in diag.values
    f.as_classes = f.task == "multiclass" or (levels and intent.kind in ("probability", "decision"))
    if intent.level is not None:
        f.mirror = round(1.0 - intent.level, 6)
    if f.task in ("binary", "multiclass") or "class_counts" in diag.values:
        _class_facts(f, diag, costs)
    if "min" in diag.values:
        _numeric_facts(f)
    return f


def _numeric_facts(f: Facts) -> None:
    v = f.values  # the residual readings of `diagnose` (every numeric target has them)
    f.heavy = bool(v["heavy_tails"])
    f.gaussian = not f.heavy and abs(v["residual_excess_kurtosis"]) <= 1.0
    f.tail_text = v["heavy_tails_evidence"]
    f.scale = float(v["residual_scale"]) if v["residual_scale"] > 0 else None
    f.delta = None if v["huber_delta"] is None else float(v["huber_delta"])
    f.qskew = float(v["residual_quantile_skewness"])
    f.symmetric = abs(f.qskew) < _t("symmetric_quantile_skew")
    f.skewed = abs(f.qskew) >= SKEWED_QUANTILE_SKEW
    f.hetero = v.get("residual_heteroscedasticity")
    f.count = f.task == "count"
    f.zero_inflated = v["share_zero"] > 0 and not v["integer_valued"]
    ls = v.get("log_residual_skewness")
    f.log_symmetric = ls is not None and abs(ls) < 0.5 and not v["integer_valued"]
    f.wide_range = v["dynamic_range_orders"] >= _t("dynamic_range_orders")
    z, bound = v.get("log_link_worse_z"), _t("log_link_worse_z")
    f.log_link_better = z is not None and z < bound
    if z is not None and abs(z) < bound:
        f.link_text = (
            f"a log-linear mean predicts held-out RMSE {v['rmse_log_link']:.4g} against "
            f"{v['rmse_identity_link']:.4g} for a linear one (z = {z:.2f}, |z| < {bound:g}): the data cannot "
            "tell whether the log link or the linear mean predicts better"
        )
    z, bound = v.get("levels_as_classes_worse_z"), _t("levels_as_classes_z")
    f.classes_better = z is not None and z <= -bound
    if z is not None and abs(z) < bound:
        f.levels_text = (
            "the levels as classes predict the mean level with held-out RMSE "
            f"{v['rmse_levels_as_classes']:.4g} against {v['rmse_levels_as_numbers']:.4g} as numbers "
            f"(z = {z:.2f}, |z| < {bound:g}): the data cannot tell whether the codes are better read as "
            "numbers or as classes"
        )
    f.cap = v.get("cap")
    f.coded = v.get("coded_levels")
    _family_facts(f)
    if f.heavy and f.family_grows and f.family_power not in (None, 0.0):
        _tails_on_the_family_scale(f)


def _tails_on_the_family_scale(f: Facts) -> None:
    """Heavy raw residuals are expected when the variance grows with the mean; judge the tails on
    the family's own scale instead: log-residuals for Gamma-like noise (p = 2: multiplicative,
    Gaussian on the log scale when log-normal), Pearson residuals (y − μ̂)/μ̂^(p̂/2) otherwise."""
    v = f.values
    if f.family_power == 2.0 and v.get("log_residual_outlier_share_iqr") is not None:
        share, kurt = v["log_residual_outlier_share_iqr"], v.get("log_residual_excess_kurtosis", 0.0)
        f.heavy = (share >= _t("outlier_share") and kurt > _t("excess_kurtosis_support")) or kurt > _t(
            "excess_kurtosis"
        )
        f.tail_text = (
            f"log-residual outlier share {share:.1%} and excess kurtosis {kurt:.2f} (the tails on the Gamma "
            "family's scale)"
        )
    elif v.get("pearson_residual_outlier_share_iqr") is not None:
        share = v["pearson_residual_outlier_share_iqr"]
        f.heavy = share >= _t("outlier_share")
        f.tail_text = (
            f"Pearson residual outlier share {share:.1%} (residuals scaled by μ̂^(p̂/2)); " + f.tail_text
        )


def _family_facts(f: Facts) -> None:
    """The variance family from p̂ and its interval (module docstring)."""
    import losslab

    from .._core.registry import default_info

    v = f.values
    p = v.get("variance_power")
    if v["min"] < 0 or p is None:
        f.p_text = (
            "variance–mean power not measurable (" + str(v.get("variance_power_note", "y < 0")) + ")"
            if v["min"] >= 0
            else ""
        )
        if v["min"] >= 0 and f.zero_inflated:
            f.tweedie_power = 1.5
        return
    f.p_hat = float(p)
    ci = v.get("variance_power_ci")
    se = v.get("variance_power_se")
    if ci is None and se is not None:
        ci = (f.p_hat - 1.96 * se, f.p_hat + 1.96 * se)
    f.p_ci = None if ci is None else (float(ci[0]), float(ci[1]))
    interval = f" (95% interval {f.p_ci[0]:.2f}…{f.p_ci[1]:.2f})" if f.p_ci else ""
    f.p_text = (
        f"variance–mean slope p̂ = {f.p_hat:.2f}{interval} over {v.get('variance_power_bins')} bins of fitted "
        "means (0 Gaussian, 1 Poisson, 2 Gamma)"
    )
    y = np.asarray(f.y, dtype=float)
    powers = sorted(
        {
            info.variance_power
            for n in losslab.list_losses(task="regression")
            if (info := default_info(n)).variance_power is not None
            and info.param("variance_power") is None
            and info.statistic.statistic == Statistic.MEAN
            and bool(np.all(info.y_true.contains(np, y)))
        }
    )
    if not powers:
        return
    f.family_power = min(powers, key=lambda q: (abs(q - f.p_hat), q))
    lo, hi = f.p_ci if f.p_ci else (f.p_hat, f.p_hat)
    f.family_grows = lo > 0.0
    inside = [q for q in powers if lo <= q <= hi]
    if 0.0 in inside and f.family_power != 0.0:
        # whether the variance grows at all is what the data cannot tell: squared error or the family
        f.close = (0.0, f.family_power)
    elif len(inside) >= 2:
        near = sorted(inside, key=lambda q: abs(q - f.p_hat))[:2]
        f.close = (min(near), max(near))
    if f.close is not None:
        f.close_other = next(q for q in f.close if q != f.family_power) if f.family_power in f.close else None
    if 1.0 + BETWEEN_MARGIN < f.p_hat < 2.0 - BETWEEN_MARGIN and lo > 1.0 and hi < 2.0:
        f.tweedie_power = round(f.p_hat, 2)
    elif f.zero_inflated:  # zeros and continuous positives: compound Poisson–Gamma whatever p̂ says
        f.tweedie_power = round(min(max(f.p_hat, 1.1), 1.9), 2)


def _class_facts(f: Facts, diag: Diagnosis, costs: dict[str, float] | None) -> None:
    v = diag.values
    counts = v["class_counts"]
    f.share = float(v["minority_share"])
    f.ratio = float(v["imbalance_ratio"])
    f.imbalanced = f.share < _t("imbalance_warn")
    f.skewed_classes = f.imbalanced or f.ratio >= 3
    f.focal_gamma = 2.0 if f.ratio >= 10 else 1.0
    f.conflict = v.get("conflicting_duplicate_share")
    f.noisy_labels = f.conflict is not None and f.conflict >= _t("label_conflict_share")
    labels = sorted_labels(counts)
    if f.task == "binary":
        neg, pos = labels[:2]
        f.pos_weight = round(counts[neg] / counts[pos], 4)
        f.bal_text = (
            f"class balance {counts[pos]}:{counts[neg]} (positive {pos!r}; minority share {f.share:.3f})"
        )
    else:
        k = len(counts)
        f.bal_text = (
            f"{k} classes, largest {v['majority_class']!r} ({counts[v['majority_class']]}) vs smallest "
            f"{v['minority_class']!r} ({counts[v['minority_class']]}); ratio {f.ratio:.3g}"
        )
        if k <= _t("max_weighted_classes"):
            n_c = np.array([counts[c] for c in labels], dtype=float)
            beta = 0.999  # Cui et al. 2019: effective number of samples
            eff = (1.0 - beta**n_c) / (1.0 - beta)
            w = (1.0 / eff) * k / float(np.sum(1.0 / eff))
            f.class_weight = tuple(round(float(x), 4) for x in w)
    if costs:
        f.costs = dict(costs)
        f.threshold = costs["fp"] / (costs["fp"] + costs["fn"])
        f.cost_ratio = costs["fn"] / costs["fp"]
