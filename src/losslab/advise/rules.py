r"""The advisor's rules, as a table.

Each `Rule` is a row: *when* a condition on the `Facts` holds, the registered losses a `Pick`
selects **by their metadata** (task, statistic, robustness, smoothness, a parameter role, a
declared variance power — never a name) get ``score`` added, with a reason rendered from a
template that cites the measured values, caveats, the metrics to judge them by and parameters
set from the facts (by parameter role, or by a parameter name the test suite checks exists).
`losslab.advise.engine` evaluates the table; ``docs/choosing-a-loss.md`` prints it
(``python docs/examples/advise_examples.py --write docs/choosing-a-loss.md``). A new loss enters
the advice by declaring its metadata, or by a row here — not by code.

The order of questions (Gneiting 2011): first the statistic to predict (the intent: mean,
median, a quantile, an expectile, a probability, a decision), then which loss consistent for it
suits the data (tails, variance family, zeros, imbalance, costs). Scores are additive; only
their order matters. For the mean the loss RMSE judges (squared error) starts ahead; a variance
family the data show clearly, or zeros mixed with continuous amounts, goes first; heavy tails put
a robust loss in the top three whatever the family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._core.info import ParamRole, Task
from .._core.statistic import Statistic
from .facts import Facts

__all__ = ["RULES", "Pick", "Rule"]

MEAN_METRICS = ("rmse", "mae", "r2")
MEDIAN_METRICS = ("mae", "rmse", "r2")
CLASS_PROB_METRICS = ("log_loss", "brier", "ece", "roc_auc", "pr_auc")
DECISION_METRICS = ("expected_cost", "recall", "precision", "f1", "log_loss")
MULTI_METRICS = ("log_loss", "accuracy", "f1", "brier")

S = Statistic


@dataclass(frozen=True)
class Pick:
    """A metadata query for registered losses.

    Attributes
    ----------
    task : Task
        ``LossInfo.task``.
    statistics : tuple of Statistic
        The loss estimates one of these.
    robust, smooth : bool or None
        Required values of ``LossInfo.robust`` / ``smooth`` (None: either).
    role : ParamRole or None
        The loss has a parameter of this role (a scale, a level, a focusing γ, a variance power).
    without_role : ParamRole or None
        The loss has no parameter of this role.
    variance_power : float, str or None
        The declared ``LossInfo.variance_power`` equals this number, or the `Facts` attribute of
        this name (e.g. ``"family_power"``, the nearest family).
    soft_labels : bool
        The loss's ``y_true`` domain admits values strictly between 0 and 1 (proportions).
    simplest : bool
        Keep only the simplest match (fewest parameters besides a scale; one with a scale first).
    """

    task: Task
    statistics: tuple[Statistic, ...]
    robust: bool | None = None
    smooth: bool | None = None
    role: ParamRole | None = None
    without_role: ParamRole | None = None
    variance_power: float | str | None = None
    soft_labels: bool = False
    simplest: bool = False

    def describe(self) -> str:
        """The query in words, for the generated rule table."""
        parts = [f"{self.task} losses estimating " + " or ".join(s.key for s in self.statistics)]
        for flag, word in ((self.robust, "robust"), (self.smooth, "smooth")):
            if flag is not None:
                parts.append(word if flag else f"not {word}")
        if self.role is not None:
            parts.append(f"with a {self.role} parameter")
        if self.without_role is not None:
            article = "an" if str(self.without_role)[0] in "aeiou" else "a"
            parts.append(f"without {article} {self.without_role} parameter")
        if self.variance_power is not None:
            vp = self.variance_power
            parts.append(f"variance power {vp:g}" if isinstance(vp, float) else f"variance power = {vp}")
        if self.soft_labels:
            parts.append("taking soft labels in (0, 1)")
        if self.simplest:
            parts.append("the simplest one")
        return ", ".join(parts)


@dataclass(frozen=True)
class Rule:
    """One row of the advisor's table.

    Attributes
    ----------
    id : str
        Stable name (``"mean.family"``).
    when : callable
        ``when(facts) -> bool``.
    condition : str
        The condition in words (the generated docs print it).
    pick : Pick
        Which losses the rule scores.
    score : float
        Added to each picked loss's score (negative to demote).
    reason : str
        A `str.format` template over ``f`` (the facts) and ``name`` (the loss), citing measured values.
    params : tuple of (role or parameter name, facts attribute)
        Parameters set from the facts; a role is resolved to each loss's parameter of that role.
    caveat : str or None
        Template, as ``reason``.
    metrics : tuple of str
        Metrics to judge the loss by (the first is consistent for the intent).
    """

    id: str
    when: Callable[[Facts], bool]
    condition: str
    pick: Pick
    score: float
    reason: str
    params: tuple[tuple[ParamRole | str, str], ...] = ()
    caveat: str | None = None
    metrics: tuple[str, ...] = MEAN_METRICS


def _mean(f: Facts) -> bool:
    return f.intent.kind == "mean"


def _numeric_mean(f: Facts) -> bool:
    return _mean(f) and f.task in ("regression", "count", "positive")


def _grows(f: Facts) -> bool:
    """The variance grows with the mean: p̂ nearest a family other than squared error's, interval > 0."""
    return f.family_grows and f.family_power not in (None, 0.0)


REG = Task.REGRESSION
MEAN_ONLY = Pick(REG, (S.MEAN,), variance_power=0.0)
FAMILY = Pick(REG, (S.MEAN,), variance_power="family_power", without_role=ParamRole.VARIANCE_POWER)
CLOSE_FAMILY = Pick(REG, (S.MEAN,), variance_power="close_other", without_role=ParamRole.VARIANCE_POWER)
DISPERSED = Pick(REG, (S.MEAN,), role=ParamRole.DISPERSION)
ZERO_INFLATED = Pick(REG, (S.MEAN,), role=ParamRole.ZERO_SHARE)
POISSON_LIKE = Pick(REG, (S.MEAN,), variance_power=1.0, without_role=ParamRole.VARIANCE_POWER)
TWEEDIE = Pick(REG, (S.MEAN,), role=ParamRole.VARIANCE_POWER)
HUBER = Pick(REG, (S.HUBER_LOCATION,), role=ParamRole.SCALE)
SMOOTH_ROBUST = Pick(REG, (S.M_ESTIMATE,), robust=True, smooth=True, role=ParamRole.SCALE, simplest=True)
MEDIAN = Pick(REG, (S.MEDIAN,))
QUANTILE = Pick(REG, (S.QUANTILE,), role=ParamRole.LEVEL)
EXPECTILE = Pick(REG, (S.EXPECTILE,), role=ParamRole.LEVEL)
LOG_SCALE = Pick(REG, (S.GEOMETRIC_MEAN_1P,))
RELATIVE = Pick(REG, (S.RELATIVE_MEDIAN,))
SOFT_BCE = Pick(Task.BINARY, (S.PROBABILITY,), soft_labels=True, without_role=ParamRole.INTENSITY)
BCE = Pick(Task.BINARY, (S.PROBABILITY,), without_role=ParamRole.INTENSITY)
COST_BCE = Pick(Task.BINARY, (S.COST_WEIGHTED_PROBABILITY,))
FOCAL = Pick(Task.BINARY, (S.DISTORTED_PROBABILITY,), role=ParamRole.FOCUSING)
MARGIN = Pick(Task.BINARY, (S.DECISION,))
CCE = Pick(Task.MULTICLASS, (S.CLASS_PROBABILITIES,))
MULTI_FOCAL = Pick(Task.MULTICLASS, (S.DISTORTED_CLASS_PROBABILITIES,), role=ParamRole.FOCUSING)
MULTI_MARGIN = Pick(Task.MULTICLASS, (S.DECISION,))

_DEV = ("rmse", "mae", "poisson_deviance")
_RECAL = "{name}'s scores are not calibrated probabilities: recalibrate before reading them as P(y=1)"

RULES: tuple[Rule, ...] = (
    # -- the mean of a number --------------------------------------------------------------------
    Rule("mean.squared_error", _numeric_mean, "predict the mean of a number", MEAN_ONLY, 5.0,
         "the mean is the target: squared error is strictly consistent for it (Gneiting 2011) and is what "
         "RMSE and R² judge (mean of y {f.v[mean]:.4g})"),
    Rule("mean.gaussian_residuals", lambda f: _numeric_mean(f) and f.gaussian and not _grows(f),
         "residuals Gaussian-like (no heavy tails, |excess kurtosis| ≤ 1) and a variance that does not grow "
         "with the mean", MEAN_ONLY, 1.0,
         "residuals look Gaussian: {f.tail_text}"),
    Rule("mean.heavy_tails.squared", lambda f: _numeric_mean(f) and f.heavy,
         "heavy residual tails", MEAN_ONLY, -0.5,
         "but the residuals are heavy-tailed ({f.tail_text}): squared error lets the outliers steer the fit"),
    Rule("mean.family", lambda f: _numeric_mean(f) and f.task in ("count", "positive")
         and f.family_power not in (None, 0.0) and f.family_grows and (f.close is None or 0.0 not in f.close)
         and f.tweedie_power is None and f.log_link_better,
         "a count or positive amount whose variance grows with the mean (p̂'s interval excludes 0), p̂ "
         "nearest this family's power, and a log-linear mean that does not predict significantly worse "
         "than a linear one", FAMILY, 1.5,
         "the variance grows with the mean (p̂'s interval excludes 0) and a "
         "log-linear mean predicts as well (held-out RMSE {f.v[rmse_log_link]:.4g} against "
         "{f.v[rmse_identity_link]:.4g} for a linear one): this deviance's log link and variance weights "
         "fit that mean", metrics=("rmse", "mae")),
    Rule("mean.family.base", lambda f: _numeric_mean(f) and f.family_power not in (None, 0.0),
         "y ≥ 0 and p̂ nearest a family with a variance that grows", FAMILY, 4.0,
         "{f.p_text}; nearest family: variance power {f.family_power:g}", metrics=("rmse", "mae")),
    Rule("mean.family.close", lambda f: _numeric_mean(f) and f.close_other not in (None, 0.0),
         "p̂'s interval also covers another family's power", CLOSE_FAMILY, 3.9,
         "{f.p_text}: its variance power {f.close_other:g} is inside the interval too",
         metrics=("rmse", "mae")),
    Rule("mean.tweedie.between", lambda f: _numeric_mean(f) and f.task in ("count", "positive")
         and f.tweedie_power is not None and f.log_link_better
         and not f.zero_inflated and f.family_grows and f.close is None,
         "1.15 < p̂ < 1.85, p̂'s interval covers neither 1 nor 2 (the variance grows faster than "
         "Poisson's and slower than Gamma's), and a log-linear mean not significantly worse", TWEEDIE, 5.6,
         "{f.p_text}: between Poisson (1) and Gamma (2), so Tweedie with power {f.tweedie_power:g}",
         params=((ParamRole.VARIANCE_POWER, "tweedie_power"),), metrics=("rmse", "mae")),
    Rule("mean.tweedie.zeros", lambda f: _numeric_mean(f) and f.zero_inflated and f.tweedie_power is not None,
         "exact zeros mixed with continuous positive amounts", TWEEDIE, 6.0,
         "{f.v[share_zero]:.1%} exact zeros mixed with continuous positives: the compound Poisson–Gamma "
         "Tweedie (1 < p < 2) models both; power {f.tweedie_power:g}",
         params=((ParamRole.VARIANCE_POWER, "tweedie_power"),), metrics=("rmse", "mae")),
    Rule("mean.counts", lambda f: _numeric_mean(f) and f.count and (f.log_link_better or f.p_hat is None),
         "a count target (with features: a log-linear mean not significantly worse)", POISSON_LIKE, 2.0,
         "non-negative integer counts (mean {f.v[mean]:.3g}, {f.v[share_zero]:.0%} zeros): Poisson deviance "
         "is consistent for the mean of counts, overdispersed or not, with a log link that keeps predictions "
         "positive", metrics=("rmse", "mae")),
    Rule("mean.counts.overdispersed", lambda f: _numeric_mean(f) and f.count
         and (f.v.get("pearson_dispersion") or 0.0) > 2.0,
         "a count target with Pearson var/mean > 2 (overdispersed)", DISPERSED, 3.4,
         "overdispersed counts (Pearson var/mean {f.v[pearson_dispersion]:.2f} > 2): the negative binomial "
         "likelihood (NB2, Var = μ + αμ²) models the extra variance; α fitted on each training fold",
         params=((ParamRole.DISPERSION, "auto"),), metrics=("rmse", "mae")),
    Rule("mean.counts.excess_zeros", lambda f: _numeric_mean(f) and f.count
         and (f.v.get("excess_zeros") or 0.0) >= 0.05 and (f.v.get("excess_zeros_z") or 0.0) >= 3.0
         and (f.v.get("excess_zeros_nb_z") or 0.0) >= 3.0,
         "a count target with zeros ≥ 5 points above Poisson's at the fitted means (z ≥ 3) and beyond a "
         "negative binomial's too (z ≥ 3)", ZERO_INFLATED,
         3.2, "{f.v[share_zero]:.1%} zeros where a Poisson law at the fitted means gives "
         "{f.v[zero_share_expected_poisson]:.1%} and a negative binomial {f.v[zero_share_expected_nb]:.1%} "
         "(z = {f.v[excess_zeros_nb_z]:.1f}): a zero-inflated Poisson (Lambert 1992) with the zero share π "
         "fitted on each training fold",
         params=((ParamRole.ZERO_SHARE, "auto"),), metrics=("rmse", "mae")),
    Rule("mean.counts.exposure", lambda f: _numeric_mean(f) and f.count and "exposure" in f.values,
         "a count target with an exposure column (exposure=)", POISSON_LIKE, 1.0,
         "counts per {f.v[exposure][column]} ({f.v[exposure][min]:.4g} to {f.v[exposure][max]:.4g}): the "
         "Poisson deviance of the rate y/{f.v[exposure][column]} weighted by it is the Poisson fit with "
         "offset log {f.v[exposure][column]} (compare(..., exposure=...) fits it)", metrics=("rmse", "mae")),
    Rule("mean.counts.unmeasured", lambda f: _numeric_mean(f) and f.count and f.p_hat is None,
         "a count target whose variance–mean relation cannot be measured (no features)", POISSON_LIKE, 3.5,
         "{f.p_text}", metrics=("rmse", "mae")),
    Rule("mean.robust", lambda f: _numeric_mean(f) and f.heavy and f.delta is not None,
         "heavy residual tails", HUBER, 4.7,
         "{f.tail_text}: Huber bounds the influence of outliers; δ = 1.345·σ̂ = {f.delta:.4g} from the "
         "robust residual scale σ̂ = {f.scale:.4g} (95% efficiency under normality)",
         params=((ParamRole.SCALE, "delta"),)),
    Rule("mean.robust.skewed", lambda f: _numeric_mean(f) and f.heavy and f.skewed and f.delta is not None,
         "heavy residual tails, clearly skewed (|Kelly skewness| ≥ 0.25)", HUBER, -0.5,
         "but the residuals are skewed (quantile skewness {f.qskew:.2f}): Huber's location drifts from the "
         "mean towards the median", params=((ParamRole.SCALE, "delta"),)),
    Rule("mean.robust.varying_spread", lambda f: _numeric_mean(f) and f.heavy and f.delta is not None
         and f.hetero is not None and f.hetero >= 0.2, "heavy tails and a residual spread that varies "
         "(Spearman ρ of |residual| ≥ 0.2)", HUBER, 0.0, "the residual spread varies with "
         "{f.v[residual_heteroscedasticity_with]} (Spearman ρ of |residual| {f.hetero:.2f})",
         params=((ParamRole.SCALE, "delta"),),
         caveat="the tails may be a changing variance, not outliers — then the mean is still the target and "
         "gaussian_nll (mean and variance) is worth a try"),
    Rule("mean.robust.insurance", lambda f: _numeric_mean(f) and not f.heavy and f.delta is not None,
         "no heavy tails", HUBER, 1.0,
         "insurance against outliers at little cost: δ = 1.345·σ̂ = {f.delta:.4g} keeps 95% efficiency if "
         "the residuals are Gaussian (σ̂ = {f.scale:.4g})", params=((ParamRole.SCALE, "delta"),)),
    Rule("mean.robust.smooth", lambda f: _numeric_mean(f) and f.heavy and f.delta is not None,
         "heavy residual tails", SMOOTH_ROBUST, 3.0,
         "smooth robust alternative (non-zero Hessian everywhere, good for boosting and Newton steps); "
         "{f.tail_text}; scale {f.delta:.4g}", params=((ParamRole.SCALE, "delta"),)),
    Rule("mean.median", _numeric_mean, "predict the mean of a number", MEDIAN, 0.5,
         "the median instead of the mean (median {f.v[median]:.4g}, mean {f.v[mean]:.4g})",
         metrics=MEDIAN_METRICS),
    Rule("mean.median.heavy", lambda f: _numeric_mean(f) and f.heavy, "heavy residual tails", MEDIAN, 2.5,
         "the median ignores outliers entirely; {f.tail_text}", metrics=MEDIAN_METRICS),
    Rule("mean.log_scale", lambda f: _numeric_mean(f) and f.values["min"] > -1 and f.task != "regression",
         "y > −1 and not plain real-valued", LOG_SCALE, 1.0,
         "y spans {f.v[dynamic_range_orders]:.1f} orders of magnitude: a log-scale fit weighs relative "
         "errors",
         caveat="{name} targets exp(E[log(1+y)]) − 1, below the mean (Jensen): back-transformed predictions "
         "run low", metrics=("msle", "rmse", "mae")),
    Rule("mean.log_scale.growth", lambda f: _numeric_mean(f) and f.values["min"] > -1 and f.wide_range
         and f.log_symmetric,
         "y spans ≥ 2 orders of magnitude and its log-residuals are symmetric", LOG_SCALE, 1.5,
         "exponential growth with symmetric log-residuals (skewness {f.v[log_residual_skewness]:.2f})",
         metrics=("msle", "rmse", "mae")),
    Rule("mean.relative",
         lambda f: _numeric_mean(f) and f.values["min"] > 0 and not f.values["integer_valued"],
         "y > 0, not integer", RELATIVE, 0.3,
         "relative errors on a y > 0 that spans {f.v[dynamic_range_orders]:.1f} orders of magnitude, if the "
         "business quotes percentages",
         caveat="MAPE rewards under-prediction (Gneiting 2011): prefer gamma deviance for relative errors",
         metrics=("mae", "rmse")),
    # -- proportions and ordered levels ---------------------------------------------------------
    Rule("proportion.cross_entropy", lambda f: _mean(f) and f.task == "proportion",
         "y is a proportion in [0, 1]", SOFT_BCE, 6.0,
         "y is a proportion in [0, 1]: cross-entropy on soft labels is a Bregman loss, consistent for the "
         "mean, with a logit link that keeps predictions in (0, 1) (LightGBM's cross_entropy objective)",
         metrics=("rmse", "mae", "log_loss")),
    Rule("proportion.squared_error", lambda f: _mean(f) and f.task == "proportion",
         "y is a proportion in [0, 1]", MEAN_ONLY, 4.0,
         "squared error is consistent for the mean too; predictions may leave [0, 1] (mean {f.v[mean]:.3g})"),
    Rule("proportion.median", lambda f: _mean(f) and f.task == "proportion", "y is a proportion in [0, 1]",
         MEDIAN, 1.0, "the median instead (median {f.v[median]:.3g}, mean {f.v[mean]:.3g})",
         metrics=MEDIAN_METRICS),
    Rule("ordinal.mean", lambda f: _mean(f) and f.task == "ordinal", "ordered levels", MEAN_ONLY, 5.0,
         "ordered levels {f.v[min]:.0f}…{f.v[max]:.0f} read as numbers: squared error targets the mean level "
         "(mean {f.v[mean]:.3g}), judged by RMSE like most rating benchmarks"),
    Rule("ordinal.median", lambda f: _mean(f) and f.task == "ordinal", "ordered levels", MEDIAN, 3.0,
         "absolute error targets the median level ({f.v[median]:.0f}), always a valid level",
         metrics=MEDIAN_METRICS),
    Rule("ordinal.classes", lambda f: _mean(f) and f.task == "ordinal", "ordered levels", CCE, 2.5,
         "as {f.v[n_unique]} unordered classes: a probability per level, whose mean level Σ v·p̂ is the mean "
         "(compare scores it by RMSE)",
         caveat="{name} treats the levels as unordered: a 1-vs-5 mistake costs the same as 4-vs-5",
         metrics=("rmse", "log_loss", "accuracy")),
    Rule("ordinal.classes_predict_better", lambda f: _mean(f) and f.task == "ordinal" and f.classes_better,
         "ordered levels that as classes predict the mean level significantly better (held out)", CCE, 3.0,
         "the levels as classes predict the mean level with held-out RMSE {f.v[rmse_levels_as_classes]:.4g} "
         "against {f.v[rmse_levels_as_numbers]:.4g} as numbers (z = {f.v[levels_as_classes_worse_z]:.2f})",
         metrics=("rmse", "log_loss", "accuracy")),
    Rule("ordinal.robust", lambda f: _mean(f) and f.task == "ordinal" and f.heavy and f.delta is not None,
         "ordered levels, heavy residual tails", HUBER, 1.5,
         "robust fit of the mean level, δ = {f.delta:.4g}; {f.tail_text}", params=((ParamRole.SCALE,
         "delta"),)),
    # -- median, quantiles, expectiles -----------------------------------------------------------
    Rule("median.absolute", lambda f: f.intent.kind == "median", "predict the median", MEDIAN, 10.0,
         "you asked for the median; absolute error is strictly consistent for it (median of y "
         "{f.v[median]:.4g})", metrics=MEDIAN_METRICS),
    Rule("median.huber", lambda f: f.intent.kind == "median" and f.delta is not None, "predict the median",
         HUBER, 2.0, "a compromise with a quadratic centre, δ = 1.345·σ̂ = {f.delta:.4g}; equals the median "
         "when residuals are symmetric (residual quantile skewness {f.qskew:.2f})",
         params=((ParamRole.SCALE, "delta"),), metrics=MEDIAN_METRICS),
    Rule("median.huber.heavy", lambda f: f.intent.kind == "median" and f.heavy and f.delta is not None,
         "predict the median; heavy tails", HUBER, 1.0, "{f.tail_text}", params=((ParamRole.SCALE, "delta"),),
         metrics=MEDIAN_METRICS),
    Rule("median.log_scale",
         lambda f: f.intent.kind == "median" and f.task == "positive" and f.values["min"] > 0,
         "predict the median of y > 0", LOG_SCALE, 1.5,
         "exp(E[log(1 + y)]) − 1 is the median of y when log(1 + y) is symmetric; y spans "
         "{f.v[dynamic_range_orders]:.1f} orders of magnitude", metrics=("msle", "mae")),
    Rule("median.mean", lambda f: f.intent.kind == "median", "predict the median", MEAN_ONLY, 0.5,
         "the mean instead (mean {f.v[mean]:.4g}, median {f.v[median]:.4g})"),
    Rule("quantile.pinball", lambda f: f.intent.kind == "quantile", "predict a quantile τ", QUANTILE, 10.0,
         "you asked for the {f.intent.level:g}-quantile; the pinball loss is the strictly consistent loss "
         "for "
         "it (Gneiting 2011)", params=((ParamRole.LEVEL, "level"),), metrics=("pinball", "coverage", "mae")),
    Rule("quantile.mirror", lambda f: f.intent.kind == "quantile" and f.intent.level != 0.5,
         "predict a quantile τ ≠ 0.5", QUANTILE, 2.0,
         "its mirror level {f.mirror:g} completes a central interval whose coverage can be checked",
         params=((ParamRole.LEVEL, "mirror"),), metrics=("pinball", "coverage", "mae")),
    Rule("expectile.asymmetric", lambda f: f.intent.kind == "expectile", "predict an expectile τ", EXPECTILE,
         10.0, "you asked for the {f.intent.level:g}-expectile; the asymmetric squared loss is strictly "
         "consistent for it (Newey & Powell 1987; Gneiting 2011)", params=((ParamRole.LEVEL, "level"),),
         metrics=("rmse", "mae")),
    Rule("expectile.quantile", lambda f: f.intent.kind == "expectile", "predict an expectile τ", QUANTILE,
         1.5,
         "the {f.intent.level:g}-quantile is the robust cousin of the expectile",
         params=((ParamRole.LEVEL, "level"),), metrics=("pinball", "coverage")),
    Rule("level.alongside.mean", lambda f: f.intent.kind in ("quantile", "expectile"),
         "predict a quantile or expectile", MEAN_ONLY, 1.0,
         "point forecast of the mean alongside (mean of y {f.v[mean]:.4g})"),
    Rule("level.alongside.median", lambda f: f.intent.kind in ("quantile", "expectile"),
         "predict a quantile or expectile", MEDIAN, 0.8,
         "point forecast of the median alongside (median of y {f.v[median]:.4g})", metrics=MEDIAN_METRICS),
    # -- two classes ----------------------------------------------------------------------------
    Rule("binary.log_loss", lambda f: f.task == "binary", "two classes", BCE, 6.0,
         "log loss is strictly proper: it recovers calibrated probabilities P(y=1|x) (Gneiting & Raftery "
         "2007); {f.bal_text}", metrics=CLASS_PROB_METRICS),
    Rule("binary.log_loss.decision", lambda f: f.task == "binary" and f.intent.kind == "decision",
         "two classes, a decision is asked", BCE, -2.0,
         "threshold its calibrated probabilities at p* = c_fp/(c_fp + c_fn) for the decision (Elkan 2001)",
         metrics=DECISION_METRICS),
    Rule("binary.costs", lambda f: f.task == "binary" and f.costs is not None, "costs given", COST_BCE, 3.5,
         "costs fp={f.costs[fp]:g}, fn={f.costs[fn]:g} (fn/fp = {f.cost_ratio:.3g}) with {f.bal_text}: the "
         "cost-weighted log loss moves the 0.5 boundary to where the true P(y=1|x) = p* = {f.threshold:.4g}",
         params=(("fp_cost", "costs.fp"), ("fn_cost", "costs.fn")),
         caveat="its outputs are cost-weighted, not calibrated probabilities; threshold them at 0.5, or the "
         "recalibrated probabilities at p* = {f.threshold:.4g}", metrics=DECISION_METRICS),
    Rule("binary.costs.decision", lambda f: f.task == "binary" and f.costs is not None
         and f.intent.kind == "decision", "costs given, a decision is asked", COST_BCE, 3.5,
         "the decision is what you asked for", params=(("fp_cost", "costs.fp"), ("fn_cost", "costs.fn")),
         metrics=DECISION_METRICS),
    Rule("binary.costs.weighted", lambda f: f.task == "binary" and f.costs is not None, "costs given", BCE,
         3.0, "pos_weight = c_fn/c_fp = {f.cost_ratio:.3g} weighs each positive like its miss costs, so 0.5 "
         "on "
         "its output equals p* = {f.threshold:.4g} on calibrated probabilities; {f.bal_text}",
         params=(("pos_weight", "cost_ratio"),),
         caveat="weighted log loss distorts probabilities (predicted rates run high): threshold its output "
         "at "
         "0.5, or recalibrate", metrics=DECISION_METRICS),
    Rule("binary.imbalance.weighted", lambda f: f.task == "binary" and f.skewed_classes,
         "minority share < 0.10 or majority/minority ≥ 3", BCE, 2.0,
         "{f.bal_text}: pos_weight = n_neg/n_pos = {f.pos_weight:.3g} balances the classes' pull on the "
         "gradient (XGBoost's scale_pos_weight rule)", params=(("pos_weight", "pos_weight"),),
         caveat="re-weighting shifts predicted probabilities (XGBoost: 'you cannot re-balance' if you need "
         "the right probability): use for ranking/recall, or recalibrate",
         metrics=("pr_auc", "roc_auc", "recall", "log_loss", "brier")),
    Rule("binary.imbalance.focal", lambda f: f.task == "binary" and f.imbalanced, "minority share < 0.10",
         FOCAL, 2.5, "{f.bal_text} (imbalance ratio {f.ratio:.3g}): focal loss down-weights the easy "
         "majority; γ = {f.focal_gamma:g} (2: Lin et al. 2017's best, for ratios ≥ 10; else 1)",
         params=((ParamRole.FOCUSING, "focal_gamma"),), caveat=_RECAL,
         metrics=("pr_auc", "roc_auc", "log_loss", "ece")),
    Rule("binary.focal", lambda f: f.task == "binary" and not f.imbalanced, "no strong imbalance", FOCAL, 0.6,
         "{f.bal_text}: focal γ = {f.focal_gamma:g} only adds hard-example emphasis (Lin et al. 2017)",
         params=((ParamRole.FOCUSING, "focal_gamma"),), caveat=_RECAL, metrics=("roc_auc", "log_loss",
              "ece")),
    Rule("binary.label_noise", lambda f: f.task == "binary" and f.noisy_labels,
         "≥ 1% of rows repeat a feature vector with another label", BCE, 2.0,
         "{f.conflict:.1%} of rows are duplicates with conflicting labels: label smoothing ε = 0.1 (Szegedy "
         "et al. 2016) stops the model chasing noisy labels", params=(("label_smoothing", "smoothing"),),
         caveat="label smoothing shrinks probabilities towards 0.5: recalibrate before reading them",
         metrics=CLASS_PROB_METRICS),
    Rule("binary.label_smoothing", lambda f: f.task == "binary" and not f.noisy_labels, "two classes", BCE,
         0.4, "label smoothing ε = 0.1 as a regulariser against over-confident outputs (Szegedy et al. "
         "2016); "
         "label noise: {f.conflict_text}", params=(("label_smoothing", "smoothing"),),
         caveat="label smoothing shrinks probabilities towards 0.5: recalibrate before reading them",
         metrics=CLASS_PROB_METRICS),
    Rule("binary.margin", lambda f: f.task == "binary" and f.intent.kind == "decision",
         "a decision is asked", MARGIN, 1.5, "margin loss for a hard decision; {f.bal_text}",
         caveat="gives a decision (sign of the score), no probability: do not rank it with log loss",
         metrics=("f1", "accuracy", "recall", "precision")),
    # -- several classes (and ordered levels asked as probabilities) ----------------------------
    Rule("multiclass.log_loss", lambda f: f.as_classes, "several classes", CCE, 6.0,
         "cross-entropy is strictly proper: calibrated class probabilities (Good 1952); {f.bal_text}",
         metrics=MULTI_METRICS),
    Rule("multiclass.imbalance.weighted", lambda f: f.as_classes and f.skewed_classes
         and f.class_weight is not None, "minority share < 0.10 or majority/minority ≥ 3, ≤ 50 classes", CCE,
         3.0, "{f.bal_text}: class-balanced weights from the effective number of samples, β = 0.999 (Cui et "
         "al. 2019; classes in sorted label order)", params=(("class_weight", "class_weight"),),
         caveat="class weights shift probabilities towards the rare classes: recalibrate, or prefer "
         "threshold moving", metrics=("f1", "accuracy", "log_loss")),
    Rule("multiclass.imbalance.focal", lambda f: f.as_classes and f.skewed_classes,
         "minority share < 0.10 or majority/minority ≥ 3", MULTI_FOCAL, 2.0,
         "{f.bal_text}: focal γ = {f.focal_gamma:g} focuses on hard examples (Lin et al. 2017)",
         params=((ParamRole.FOCUSING, "focal_gamma"),), caveat=_RECAL, metrics=("f1", "accuracy",
              "log_loss")),
    Rule("multiclass.focal", lambda f: f.as_classes and not f.skewed_classes,
         "balanced classes", MULTI_FOCAL, 0.6,
         "{f.bal_text}: balanced classes, so focal γ = 1 only adds hard-example emphasis (Lin et al. 2017)",
         params=((ParamRole.FOCUSING, "one"),), caveat=_RECAL, metrics=("log_loss", "accuracy", "f1")),
    Rule("multiclass.label_smoothing", lambda f: f.as_classes and not f.noisy_labels,
         "several classes", CCE, 0.4,
         "label smoothing ε = 0.1 as a regulariser against over-confident softmax "
         "outputs (Szegedy et al. 2016); label noise: {f.conflict_text}",
         params=(("label_smoothing", "smoothing"),),
         caveat="label smoothing shrinks probabilities towards uniform: recalibrate before reading them",
         metrics=MULTI_METRICS),
    Rule("multiclass.label_noise", lambda f: f.as_classes and f.noisy_labels,
         "≥ 1% of rows repeat a feature vector with another label", CCE, 2.0,
         "{f.conflict:.1%} of rows are duplicates with conflicting labels (Szegedy et al. 2016)",
         params=(("label_smoothing", "smoothing"),), metrics=MULTI_METRICS),
    Rule("multiclass.margin", lambda f: f.as_classes and f.intent.kind == "decision",
         "a decision is asked", MULTI_MARGIN, 2.5, "multiclass margin loss for hard decisions; {f.bal_text}",
         caveat="gives a decision, no probability", metrics=("accuracy", "f1")),
)  # fmt: skip

#: caveats every candidate of a diagnosis gets (a condition, then the template over ``f``)
GLOBAL_CAVEATS: tuple[tuple[str, Callable[[Facts], bool], str, str], ...] = (
    ("cap", lambda f: f.cap is not None and f.task in ("regression", "count", "positive"),
     "a pile-up of y at its minimum or maximum (censoring, top-coding)",
     "y piles up at its {f.cap[side]}imum {f.cap[value]:.4g} ({f.cap[count]} of {f.v[n_rows_used]} rows, "
     "{f.cap[share]:.1%}): a capped target; predictions of the mean near the cap run low for every loss "
     "here. The censored loss `tobit` models the cap: pass the capped rows as censored, "
     "Bounds(y, where(y >= cap, inf, y)) (docs/structured.md)"),
    ("ordinal_levels", lambda f: f.task == "ordinal" and f.as_classes,
     "ordered levels predicted as class probabilities",
     "treats the ordered levels as unordered classes: a 1-vs-5 miss costs as 4-vs-5; the `ordinal` "
     "loss keeps the order (compare it with --levels)"),
)  # fmt: skip


def fact_value(f: Facts, path: str) -> Any:
    """The value of a facts attribute path: ``"delta"``, ``"costs.fp"`` (dict key), or a constant
    name: ``"smoothing"`` (0.1), ``"one"`` (1.0), ``"auto"`` (fitted per fold), ``"level"`` (the
    intent's level)."""
    constants = {"smoothing": 0.1, "one": 1.0, "auto": "auto"}
    if path in constants:
        return constants[path]
    if path == "level":
        return f.intent.level
    head, _, key = path.partition(".")
    value = getattr(f, head)
    return value[key] if key else value


def table_markdown() -> str:
    """The rule table as Markdown (``docs/choosing-a-loss.md`` pastes it between its generated
    markers): each rule's id, condition, metadata query with the losses it selects today, score,
    parameters set from the data and reason template; then the caveats every candidate gets."""
    from .engine import resolve

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    rows = [
        "| rule | when | losses (metadata query → registered today) | score | parameters from the data "
        "| reason |",
        "|---|---|---|---|---|---|",
    ]
    for r in RULES:
        names = resolve(r.pick) if not isinstance(r.pick.variance_power, str) else _family_names(r.pick)
        params = ", ".join(f"{k} ← {v}" for k, v in r.params) or "—"
        rows.append(
            f"| `{r.id}` | {cell(r.condition)} | {cell(r.pick.describe())} → {', '.join(names) or '(none)'} "
            f"| {r.score:+g} | {cell(params)} | {cell(r.reason)} |"
        )
    rows += ["", "| caveat on every candidate | when | text |", "|---|---|---|"]
    rows += [f"| `{cid}` | {cell(cond)} | {cell(text)} |" for cid, _, cond, text in GLOBAL_CAVEATS]
    return "\n".join(rows) + "\n"


def _family_names(pick: Pick) -> list[str]:
    """The losses a family query can select: every declared variance power."""
    from dataclasses import replace

    from .engine import resolve

    out: list[str] = []
    for power in (0.0, 1.0, 2.0):
        out += [n for n in resolve(replace(pick, variance_power=power)) if n not in out]
    return out
