"""The metrics table: every evaluation metric losslab reports, in one place.

`losslab train`'s held-out metrics, the estimators' ``score`` and per-epoch ``metrics``, and
`losslab.compare`'s per-fold scores all read this table, so one name means one number
everywhere. Each entry records its name and aliases, the tasks it fits, its direction, the
prediction it needs (``value``, ``label``, ``probability``, ``quantile``, or ``score``: a
ranking, read from probabilities or, for a margin loss such as hinge, from decision scores),
where it is undefined and what it is there (NaN with a reason, or +inf), and its function:
:mod:`sklearn.metrics` where the library has it; expected calibration error, interval coverage,
exact log loss (from logits, in log space) and expected cost are written here.

The tasks whose target is structured (`losslab.targets`) read it from ``Predictions.target``:
survival — Harrell's concordance index and the integrated Brier score (scikit-survival's
``concordance_index_censored`` and ``integrated_brier_score``; ``needs="risk"`` and
``"survival"``: risk scores, survival curves on a time grid); ranking — NDCG@k and MAP per query,
averaged over the queries (scikit-learn's ``ndcg_score`` and ``average_precision_score`` per
query; ``needs="value"``: the model's scores); ordinal — MAE on the level codes (the median
level), accuracy (the most probable level) and the ordinal log loss (the level probabilities).

A metric that cannot be computed (ROC-AUC with one class present, MSLE with a prediction ≤ −1,
a probability metric for a model without probabilities) is **NaN with a reason**, never 0
(PyCaret's "AUC = 0" failure): it raises `MetricUndefined`, whose message is the reason.

scikit-learn and scikit-survival are imported inside the functions that call them.

>>> m = get_metric("pinball:0.9")
>>> m.name, m.greater_is_better, m.needs
('pinball:0.9', False, 'quantile')
>>> import numpy as np
>>> p = Predictions(y_true=np.array([10.0, 10.0]), value=np.array([8.0, 12.0]))
>>> round(m(p), 6)
1.0
"""

from __future__ import annotations

import difflib
import itertools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._core.errors import DataError
from .tasks import CLASSIFICATION_TASKS, REGRESSION_TASKS, task_family

__all__ = [
    "CONDITIONS",
    "METRICS",
    "NEEDS",
    "Metric",
    "MetricInfo",
    "MetricUndefined",
    "Predictions",
    "Rope",
    "Undefined",
    "default_metrics",
    "expected_calibration_error",
    "get_metric",
    "list_metrics",
    "ranking_metric",
    "resolve_metrics",
]

#: The kinds of prediction a metric reads (a field of `Predictions`).
NEEDS = ("value", "quantile", "label", "probability", "score", "risk", "survival")


class MetricUndefined(Exception):
    """A metric has no value on these predictions; the message is the reason recorded beside the NaN."""


@dataclass
class Predictions:
    """Predictions of one evaluation set, in the form the metrics read.

    Attributes
    ----------
    y_true : array
        Regression: the targets (float). Classification: class indices 0..k−1.
    value : array, optional
        Regression predictions on the response scale (``predict``).
    label : array, optional
        Predicted class indices.
    proba : array (n, k), optional
        Class probabilities (columns in class-index order).
    logits : array, optional
        Raw logits ((n,) binary, (n, k) multiclass) when the model's link is logit/softmax; the
        log loss is then computed from them exactly, in log space.
    score : array, optional
        Decision scores ((n,) binary: higher means the positive class; (n, k) multiclass) of a
        model without probabilities (a margin loss): the ranking metrics (``needs="score"``:
        ROC-AUC, PR-AUC) read them when ``proba`` and ``logits`` are absent.
    n_classes : int
        Number of classes (0 for regression).
    threshold : float
        Binary decision threshold on P(positive) (0.5, or c_fp/(c_fp+c_fn) with costs).
    costs : dict, optional
        ``{"fp": c_fp, "fn": c_fn}`` for ``expected_cost``.
    sample_weight : array, optional
        Row weights; every metric is then the weighted one (None: unweighted). The survival
        metrics take none (scikit-survival's estimators are unweighted): they are NaN with that
        reason under unequal weights.
    target : Survival, Bounds or Ranking, optional
        The structured target of these rows (`losslab.targets`) for the survival and ranking
        metrics; ``y_true`` then holds its times or relevance grades.
    risk : array, optional
        Survival: a risk score per row, higher meaning an earlier event (a Cox model's linear
        predictor; minus the predicted log time of an AFT model).
    survival : array (n, m), optional
        Survival: each row's predicted survival probability S(t | x) at the m ``times``.
    times : array (m,), optional
        The increasing time grid of ``survival``.
    train_target : Survival, optional
        The training rows' survival target: the censoring distribution of the integrated Brier
        score is estimated on it (Kaplan–Meier); without it, on these rows.
    """

    y_true: np.ndarray
    value: np.ndarray | None = None
    label: np.ndarray | None = None
    proba: np.ndarray | None = None
    logits: np.ndarray | None = None
    score: np.ndarray | None = None
    n_classes: int = 0
    threshold: float = 0.5
    costs: dict[str, float] | None = None
    sample_weight: np.ndarray | None = None
    target: Any = None
    risk: np.ndarray | None = None
    survival: np.ndarray | None = None
    times: np.ndarray | None = None
    train_target: Any = None


# -- where a metric is undefined, as data --------------------------------------------------------
_OPS = {"<": operator.lt, "<=": operator.le}


@dataclass(frozen=True)
class Undefined:
    """Where a metric has no finite value, why, and what it is there.

    Attributes
    ----------
    when : str
        Either a bound ``"<operand> <op> <number>"`` with operand ``y_true`` or ``value`` and op
        ``<`` or ``<=`` (true for any offending value), or one of the named conditions in
        `CONDITIONS`.
    reason : str
        The reason recorded beside the NaN; ``{n}`` is replaced by the number of offending values.
    result : {"undefined", "+inf"}
        ``"undefined"``: the metric raises `MetricUndefined` (NaN with the reason);
        ``"+inf"``: the metric's value is +inf (a finite model is infinitely wrong there).
    """

    when: str
    reason: str
    result: str = "undefined"

    def count(self, p: Predictions) -> int:
        """How many values (or 1 for a named condition) meet the condition on ``p``."""
        parts = self.when.split()
        if len(parts) == 3 and parts[0] in ("y_true", "value") and parts[1] in _OPS:
            arr = p.y_true if parts[0] == "y_true" else p.value
            if arr is None:
                return 0
            return int(np.sum(_OPS[parts[1]](np.asarray(arr, dtype=float), float(parts[2]))))
        return int(CONDITIONS[self.when](p))


def _one_class(p: Predictions) -> bool:
    return np.unique(p.y_true).size < 2


def _class_absent(p: Predictions) -> bool:
    return p.n_classes > 2 and np.unique(p.y_true).size < p.n_classes


def _no_positive_label(p: Predictions) -> bool:
    return p.n_classes == 2 and p.label is not None and not np.any(p.label == 1)


def _nonpositive_where_positive(p: Predictions) -> int:
    if p.value is None:
        return 0
    return int(np.sum((np.asarray(p.value, dtype=float) <= 0) & (np.asarray(p.y_true, dtype=float) > 0)))


def _zero_probability(p: Predictions) -> bool:
    if p.logits is not None or p.proba is None:
        return False
    return bool(np.any(p.proba[np.arange(p.proba.shape[0]), p.y_true] == 0))


#: The named conditions an `Undefined` rule can use.
CONDITIONS: dict[str, Callable[[Predictions], bool | int]] = {
    "one class present": _one_class,
    "a class absent": _class_absent,
    "no positive label predicted": _no_positive_label,
    "fewer than 2 samples": lambda p: np.asarray(p.y_true).size < 2,
    "no costs": lambda p: not p.costs,
    "zero probability on a true class": _zero_probability,
    "prediction <= 0 where y_true > 0": _nonpositive_where_positive,
    "no event observed": lambda p: _no_event(p),
}


# -- the table's rows and bound metrics ----------------------------------------------------------
@dataclass(frozen=True)
class Rope:
    """Default half-width of a metric's region of practical equivalence (ROPE).

    Two candidates whose mean difference lies within ±ρ are *practically equivalent*. ρ is in the
    metric's own units: ``width`` itself (``relative=False``, for metrics on a fixed scale such as
    accuracy or AUC), or ``width`` × |the best candidate's mean| (``relative=True``, for unbounded
    metrics such as RMSE or log loss, whose scale is the data's).

    >>> Rope(0.01, relative=True).half_width(3.5), Rope(0.01).half_width(0.9)
    (0.035, 0.01)
    """

    width: float
    relative: bool = False

    def half_width(self, best: float) -> float:
        """ρ for a comparison whose best candidate has mean ``best`` (0 when that is not finite)."""
        if not self.relative:
            return float(self.width)
        return float(self.width * abs(best)) if np.isfinite(best) else 0.0

    def __str__(self) -> str:
        return f"{self.width:g} × |best|" if self.relative else f"{self.width:g}"


#: ROPE of a metric whose row does not set one: 1% of the best's value
_RELATIVE_1PC = Rope(0.01, relative=True)


@dataclass(frozen=True)
class MetricInfo:
    """One row of the metrics table.

    Attributes
    ----------
    name : str
        Canonical name (without parameter).
    tasks : tuple of str
        Tasks (`losslab.tasks.TASKS`) it fits.
    greater_is_better : bool or None
        ``None`` for ``coverage``, which is best at its nominal level (ranked by |coverage − τ|).
    needs : {"value", "quantile", "label", "probability", "score"}
        The prediction it reads (``probability``: class probabilities, or logits they follow from;
        ``score``: any ranking of the classes — probabilities, logits or decision scores).
    fn : callable(Predictions, param) -> float
    description : str
    param : float or None
        Default parameter (τ for pinball/coverage, the power for tweedie_deviance); None: takes none.
    param_rule : str
        What the parameter must be, checked by `get_metric` (``"0 < τ < 1"``, ``"0 or ≥ 1"``).
    aliases : tuple of str
    undefined : tuple of Undefined
        Checked in order, after the needed prediction is present.
    rope : Rope
        Default half-width of the region of practical equivalence (`Rope`); ``compare`` uses it
        unless the user sets ``rope={name: value}``.
    """

    name: str
    tasks: tuple[str, ...]
    greater_is_better: bool | None
    needs: str
    fn: Callable[..., float] = field(repr=False)
    description: str = ""
    param: float | None = None
    param_rule: str = ""
    aliases: tuple[str, ...] = ()
    undefined: tuple[Undefined, ...] = ()
    rope: Rope = _RELATIVE_1PC


@dataclass(frozen=True)
class Metric:
    """One evaluation metric with its parameter bound (from `get_metric`).

    Attributes
    ----------
    name : str
        Canonical name, with its parameter when it has one (``"pinball:0.9"``).
    base : str
        The name without parameter.
    tasks : tuple of str
        Tasks it fits.
    greater_is_better : bool or None
        ``None`` for ``coverage``, which is best at its nominal level (ranked by |coverage − τ|).
    needs : {"label", "probability", "score", "value", "quantile"}
    param : float or None
        τ for pinball/coverage, the power for tweedie_deviance.
    undefined : tuple of Undefined
        Where it has no finite value (see `Undefined`).
    rope : Rope
        Default region of practical equivalence (see `Rope`).
    """

    name: str
    base: str
    tasks: tuple[str, ...]
    greater_is_better: bool | None
    needs: str
    fn: Callable[..., float] = field(repr=False, compare=False)
    param: float | None = None
    description: str = ""
    undefined: tuple[Undefined, ...] = field(default=(), repr=False, compare=False)
    rope: Rope = field(default=_RELATIVE_1PC, repr=False, compare=False)

    @property
    def direction(self) -> str:
        """``"↑"`` (greater is better), ``"↓"`` or ``"→τ"`` (closest to the nominal level)."""
        if self.greater_is_better is None:
            return f"→{self.param:g}"
        return "↑" if self.greater_is_better else "↓"

    def loss_value(self, value: float) -> float:
        """The value turned into "lower is better" (for ranks and paired tests)."""
        if self.greater_is_better is None:
            return abs(value - float(self.param))  # type: ignore[arg-type]
        return -value if self.greater_is_better else value

    def infinite_reason(self, pred: Predictions) -> str | None:
        """The table's reason why the metric is +inf on ``pred`` (its first ``"+inf"`` rule that
        applies), or None.

        >>> import numpy as np
        >>> p = Predictions(y_true=np.array([1.0, 2.0]), value=np.array([-0.5, 2.0]))
        >>> get_metric("poisson_deviance").infinite_reason(p)
        'poisson_deviance is +inf: 1 predictions ≤ 0 where the target is > 0'
        """
        for rule in self.undefined:
            if rule.result == "+inf":
                n = rule.count(pred)
                if n:
                    return rule.reason.replace("{n}", str(n))
        return None

    def __call__(self, pred: Predictions) -> float:
        """The metric on ``pred``; raises `MetricUndefined` with a reason where it has no value."""
        _require(pred, self.needs, self.base)
        for rule in self.undefined:
            n = rule.count(pred)
            if n:
                if rule.result == "+inf":
                    return float("inf")
                raise MetricUndefined(rule.reason.replace("{n}", str(n)))
        return float(self.fn(pred, self.param))


def _require(p: Predictions, needs: str, name: str) -> None:
    if needs in ("value", "quantile") and p.value is None:
        raise MetricUndefined(f"{name} needs numeric predictions; the model gave none")
    if needs == "label" and p.label is None:
        raise MetricUndefined(f"{name} needs predicted labels; the model gave none")
    if needs == "probability" and p.proba is None and p.logits is None:
        raise MetricUndefined(
            f"{name} needs class probabilities; this model has no predict_proba "
            "(a margin loss such as hinge gives scores, not probabilities)"
        )
    if needs == "score" and p.proba is None and p.logits is None and p.score is None:
        raise MetricUndefined(f"{name} needs class probabilities or decision scores; the model gave none")
    if needs == "risk" and p.risk is None:
        raise MetricUndefined(f"{name} needs risk scores; the model gave none")
    if needs == "survival" and (p.survival is None or p.times is None):
        raise MetricUndefined(
            f"{name} needs survival curves on a time grid; the model gave none (a loss without a "
            "baseline survival function predicts only a risk score)"
        )


def _ranking(p: Predictions) -> np.ndarray:
    """What ranking metrics read: class probabilities when the model has them, else decision scores."""
    if p.proba is not None or p.logits is not None:
        return _proba(p)
    z = np.asarray(p.score, dtype=float)
    return np.column_stack([-z, z]) if z.ndim == 1 else z


def _proba(p: Predictions) -> np.ndarray:
    """Class probabilities, from the logits (sigmoid/softmax) when only those were given."""
    if p.proba is not None:
        return p.proba
    from scipy.special import expit, softmax

    z = np.asarray(p.logits, dtype=float)
    return np.column_stack([expit(-z), expit(z)]) if z.ndim == 1 else softmax(z, axis=1)


def _mean(x: np.ndarray, w: np.ndarray | None) -> float:
    return float(np.mean(x) if w is None else np.average(x, weights=w))


def _avg(p: Predictions) -> dict[str, Any]:
    return {"average": "binary", "pos_label": 1} if p.n_classes == 2 else {"average": "macro"}


# -- classification ------------------------------------------------------------------------------
def _accuracy(p: Predictions, _: Any) -> float:
    from sklearn.metrics import accuracy_score

    return accuracy_score(p.y_true, p.label, sample_weight=p.sample_weight)


def _balanced_accuracy(p: Predictions, _: Any) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return balanced_accuracy_score(p.y_true, p.label, sample_weight=p.sample_weight)


def _precision(p: Predictions, _: Any) -> float:
    from sklearn.metrics import precision_score

    return precision_score(p.y_true, p.label, zero_division=np.nan, sample_weight=p.sample_weight, **_avg(p))


def _recall(p: Predictions, _: Any) -> float:
    from sklearn.metrics import recall_score

    return recall_score(p.y_true, p.label, zero_division=np.nan, sample_weight=p.sample_weight, **_avg(p))


def _f1(p: Predictions, _: Any) -> float:
    from sklearn.metrics import f1_score

    return f1_score(p.y_true, p.label, zero_division=np.nan, sample_weight=p.sample_weight, **_avg(p))


def _roc_auc(p: Predictions, _: Any) -> float:
    from sklearn.metrics import roc_auc_score

    proba = _ranking(p)
    if p.n_classes == 2:
        return roc_auc_score(p.y_true, proba[:, 1], sample_weight=p.sample_weight)
    if p.proba is None and p.logits is None:  # decision scores do not sum to 1: OvR by hand, as sklearn's
        return float(
            np.mean(
                [
                    roc_auc_score(p.y_true == k, proba[:, k], sample_weight=p.sample_weight)
                    for k in range(p.n_classes)
                ]
            )
        )
    return roc_auc_score(
        p.y_true,
        proba,
        multi_class="ovr",
        average="macro",
        labels=np.arange(p.n_classes),
        sample_weight=p.sample_weight,
    )


def _pr_auc(p: Predictions, _: Any) -> float:
    from sklearn.metrics import average_precision_score

    proba = _ranking(p)
    if p.n_classes == 2:
        return average_precision_score(p.y_true, proba[:, 1], sample_weight=p.sample_weight)
    onehot = np.eye(p.n_classes)[p.y_true]
    return average_precision_score(onehot, proba, average="macro", sample_weight=p.sample_weight)


def _log_loss(p: Predictions, _: Any) -> float:
    """−mean log p(y): from logits in log space when the model has them, else from probabilities."""
    from ._core.registry import get

    if p.logits is not None:
        binary = np.ndim(p.logits) == 1  # one logit per row; (n, k) logits are softmax's
        name = "binary_crossentropy" if binary else "categorical_crossentropy"
        y = p.y_true.astype(float) if binary else p.y_true
        return float(get(name)(y, p.logits, sample_weight=p.sample_weight))
    proba = _proba(p)
    py = proba[np.arange(proba.shape[0]), p.y_true]
    with np.errstate(divide="ignore"):
        return -_mean(np.log(py), p.sample_weight)


def _brier(p: Predictions, _: Any) -> float:
    """Binary: mean (p − y)²; multiclass: mean Σ_k (p_k − 1[y=k])² (sklearn's multiclass form)."""
    from sklearn.metrics import brier_score_loss

    proba = _proba(p)
    if p.n_classes == 2:
        return brier_score_loss(p.y_true, proba[:, 1], pos_label=1, sample_weight=p.sample_weight)
    return brier_score_loss(p.y_true, proba, labels=np.arange(p.n_classes), sample_weight=p.sample_weight)


def expected_calibration_error(
    y_true: np.ndarray, proba: np.ndarray, n_bins: int = 10, sample_weight: np.ndarray | None = None
) -> float:
    r"""Expected calibration error with ``n_bins`` equal-width bins.

    .. math:: \mathrm{ECE} = \sum_b \frac{n_b}{n}\,\bigl|\bar o_b - \bar c_b\bigr|

    Binary: c is P(positive) and o the positive indicator (the reliability diagram's quantity);
    multiclass: c is the top-label confidence and o whether the top label is right (Guo et al. 2017).
    With ``sample_weight``, n_b/n and the bin means are weighted.

    >>> expected_calibration_error(np.array([0, 1, 1, 0]), np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6],
    ...     [0.6, 0.4]]), n_bins=2)
    0.275
    """
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=float)
    if proba.shape[1] == 2:
        conf, hit = proba[:, 1], (y_true == 1).astype(float)
    else:
        conf, hit = proba.max(axis=1), (proba.argmax(axis=1) == y_true).astype(float)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    total = 0.0
    for b in np.unique(bins):
        m = bins == b
        share = m.sum() / conf.size if w is None else w[m].sum() / w.sum()
        wm = None if w is None else w[m]
        total += share * abs(_mean(hit[m], wm) - _mean(conf[m], wm))
    return float(total)


def _ece(p: Predictions, _: Any) -> float:
    return expected_calibration_error(p.y_true, _proba(p), sample_weight=p.sample_weight)


def _expected_cost(p: Predictions, _: Any) -> float:
    """(c_fp·FP + c_fn·FN)/n at the cost-optimal threshold c_fp/(c_fp + c_fn) (Elkan 2001)."""
    costs = p.costs or {}
    per_row = costs["fp"] * ((p.label == 1) & (p.y_true == 0)) + costs["fn"] * (
        (p.label == 0) & (p.y_true == 1)
    )
    if p.sample_weight is None:  # the exact form compare has always reported
        return float(np.sum(per_row) / p.y_true.size)
    return _mean(per_row, p.sample_weight)


# -- regression ----------------------------------------------------------------------------------
def _sk(name: str, **fixed: Any) -> Callable[[Predictions, Any], float]:
    """A value metric computed by ``sklearn.metrics.<name>(y_true, value, sample_weight=…)``."""

    def fn(p: Predictions, _: Any) -> float:
        import sklearn.metrics

        return getattr(sklearn.metrics, name)(p.y_true, p.value, sample_weight=p.sample_weight, **fixed)

    fn.__name__ = f"_{name}"
    return fn


def _pinball(p: Predictions, tau: Any) -> float:
    from sklearn.metrics import mean_pinball_loss

    return mean_pinball_loss(p.y_true, p.value, alpha=tau, sample_weight=p.sample_weight)


def _coverage(p: Predictions, tau: Any) -> float:
    """Share of targets at or below the predicted τ-quantile (nominal: τ)."""
    return _mean(p.y_true <= p.value, p.sample_weight)


def _tweedie(p: Predictions, power: Any) -> float:
    from sklearn.metrics import mean_tweedie_deviance

    return mean_tweedie_deviance(p.y_true, p.value, power=power, sample_weight=p.sample_weight)


# -- survival ------------------------------------------------------------------------------------
def _survival_arrays(target: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(event as bool, time) of a survival target: a `Survival`, scikit-survival's structured
    array, an (n, 2) array [time, event], or `Bounds` whose rows are exact or right censored."""
    from types import SimpleNamespace

    from ._core.targets import Bounds, Structured, Survival

    if target is None:
        raise MetricUndefined(
            f"{name} needs the survival target (time and event) of the rows; none was given"
        )
    if isinstance(target, Bounds):
        lo, hi = np.asarray(target.lower, dtype=float), np.asarray(target.upper, dtype=float)
        other = ~((lo == hi) | np.isposinf(hi))
        if other.any():
            raise MetricUndefined(
                f"{name} reads exact and right-censored times; {int(other.sum())} rows are left or "
                "interval censored"
            )
        return lo == hi, lo
    if not isinstance(target, Structured):
        target = Survival.coerce(SimpleNamespace(name=name), target)
    return np.asarray(target.event).astype(bool), np.asarray(target.time, dtype=float)


def _no_event(p: Predictions) -> bool:
    if p.target is None:
        return False
    try:
        return not bool(_survival_arrays(p.target, "?")[0].any())
    except MetricUndefined:
        return False


def _unweighted(p: Predictions, name: str) -> None:
    w = p.sample_weight
    if w is not None and np.ptp(np.asarray(w, dtype=float)) > 0:
        raise MetricUndefined(f"{name} takes no sample weights (scikit-survival's estimator is unweighted)")


def _c_index(p: Predictions, _: Any) -> float:
    r"""Harrell's concordance index: among comparable pairs (the shorter time an observed event),
    the share ordered right by the risk score, ties in risk counting ½ (scikit-survival)."""
    from sksurv.metrics import concordance_index_censored

    _unweighted(p, "c_index")
    event, time = _survival_arrays(p.target, "c_index")
    try:
        return float(concordance_index_censored(event, time, np.asarray(p.risk, dtype=float))[0])
    except (ValueError, ZeroDivisionError) as exc:
        raise MetricUndefined(f"c_index is undefined on these rows: {exc}") from None


def _integrated_brier(p: Predictions, _: Any) -> float:
    r"""The Brier score of the predicted survival curves, averaged over the time grid (trapezoid
    rule over [t₁, t_m], divided by its length), each row weighted by the inverse probability of
    censoring (Graf et al. 1999; scikit-survival's ``integrated_brier_score``)."""
    from sksurv.metrics import integrated_brier_score
    from sksurv.util import Surv

    _unweighted(p, "integrated_brier")
    test = Surv.from_arrays(*_survival_arrays(p.target, "integrated_brier"))
    train = test if p.train_target is None else Surv.from_arrays(*_survival_arrays(p.train_target, "?"))
    times = np.asarray(p.times, dtype=float)
    if times.size < 2:
        raise MetricUndefined("integrated_brier needs a time grid of at least 2 points")
    try:
        return float(integrated_brier_score(train, test, np.asarray(p.survival, dtype=float), times))
    except ValueError as exc:  # a grid outside the follow-up: censoring does not allow it there
        raise MetricUndefined(f"integrated_brier is undefined on these rows: {exc}") from None


# -- ranking -------------------------------------------------------------------------------------
def _queries(p: Predictions, name: str) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Per query with at least one relevant row (relevance > 0) and two rows or more:
    (relevance, scores, weight: its rows' mean weight)."""
    from ._core.targets import Ranking

    if not isinstance(p.target, Ranking):
        raise MetricUndefined(f"{name} needs the query of each row (a Ranking target); none was given")
    rel = np.asarray(p.target.relevance, dtype=float)
    score = np.asarray(p.value, dtype=float)
    w = None if p.sample_weight is None else np.asarray(p.sample_weight, dtype=float)
    starts = p.target.starts()
    out = []
    for a, b in itertools.pairwise(starts):
        if b - a >= 2 and bool(np.any(rel[a:b] > 0)):
            out.append((rel[a:b], score[a:b], 1.0 if w is None else float(np.mean(w[a:b]))))
    if not out:
        raise MetricUndefined(
            f"{name} is undefined: no query has two rows and a relevant one (relevance > 0)"
        )
    return out


def _ndcg(p: Predictions, k: Any) -> float:
    r"""NDCG@k per query with gain 2^rel − 1 (XGBoost's and LightGBM's; scikit-learn's
    ``ndcg_score`` on those gains, ties in score averaged), averaged over the queries that have a
    relevant row:

    .. math:: \mathrm{DCG@k} = \sum_{i \le k} \frac{2^{rel_{(i)}} - 1}{\log_2(i + 1)},\qquad
              \mathrm{NDCG@k} = \mathrm{DCG@k} / \mathrm{ideal\ DCG@k}.
    """
    from sklearn.metrics import ndcg_score

    qs = _queries(p, f"ndcg:{k:g}")
    vals = [ndcg_score((np.exp2(r) - 1.0)[None, :], s[None, :], k=int(k)) for r, s, _ in qs]
    return float(np.average(vals, weights=[w for _, _, w in qs]))


def _map(p: Predictions, _: Any) -> float:
    """Mean average precision: per query, the average precision of the scores with relevance > 0
    as the relevant rows (scikit-learn's ``average_precision_score``), averaged over the queries."""
    from sklearn.metrics import average_precision_score

    qs = _queries(p, "map")
    vals = [average_precision_score(r > 0, s) for r, s, _ in qs]
    return float(np.average(vals, weights=[w for _, _, w in qs]))


def ranking_metric(spec: str, y: Any, scores: Any) -> float:
    """A ranking metric of the table (``"ndcg:10"``, ``"ndcg:5"``, ``"map"``) of ``scores`` against
    the `Ranking` target ``y``: what compare and `LossRanker.score` report.

    >>> from losslab.targets import Ranking
    >>> y = Ranking.from_sizes([3, 0, 1, 0, 1], [3, 2])
    >>> round(ranking_metric("ndcg:10", y, [0.1, 0.9, 0.5, 0.2, 0.3]), 6)
    0.77067
    """
    t = y.normalised("ranking metric")
    t.check("ranking metric")
    rel = np.asarray(t.relevance, dtype=np.float64)
    value = np.asarray(scores, dtype=np.float64)
    if value.shape != rel.shape:
        raise DataError(
            f"scores for {spec} must have one entry per row of the Ranking ({rel.shape[0]}); got shape "
            f"{value.shape}."
        )
    return get_metric(spec)(Predictions(y_true=rel, value=value, target=t))


def _positive_predictions(name: str) -> tuple[Undefined, Undefined]:
    # a mean μ ≤ 0 where y > 0 has likelihood 0: the deviance is truly +inf there (the model is
    # infinitely wrong); μ ≤ 0 only where y = 0 lies outside the family's means: undefined
    return (
        Undefined(
            "prediction <= 0 where y_true > 0",
            f"{name} is +inf: {{n}} predictions ≤ 0 where the target is > 0",
            result="+inf",
        ),
        Undefined("value <= 0", f"{name} needs predictions > 0; {{n}} are not"),
    )


#: ROPE of metrics on a [0, 1] scale (accuracy, AUC, F1, R², |coverage − τ|): one point
_UNIT = Rope(0.01)
#: squared errors: 2% of the best's, which is 1% of its root
_SQUARED = Rope(0.02, relative=True)
_ONE_CLASS = Undefined("one class present", "{name} is undefined on a test fold with one class only")
_C = CLASSIFICATION_TASKS
_R = REGRESSION_TASKS
_NO_EVENT = Undefined("no event observed", "{name} is undefined: every row is censored (no comparable pair)")


def _row(
    name: str, tasks: tuple[str, ...], gib: bool | None, needs: str, fn: Any, desc: str, **kw: Any
) -> MetricInfo:
    undefined = tuple(
        Undefined(u.when, u.reason.replace("{name}", name), u.result) for u in kw.pop("undefined", ())
    )
    return MetricInfo(name, tasks, gib, needs, fn, desc, undefined=undefined, **kw)


_ROWS = (
    _row("mae", _R, False, "value", _sk("mean_absolute_error"), "mean absolute error",
         aliases=("mean_absolute_error",)),
    _row("rmse", _R, False, "value", _sk("root_mean_squared_error"), "root mean squared error",
         aliases=("root_mean_squared_error",)),
    _row("mse", _R, False, "value", _sk("mean_squared_error"), "mean squared error",
         aliases=("mean_squared_error",), rope=_SQUARED),
    _row("r2", _R, True, "value", _sk("r2_score"), "coefficient of determination R²", aliases=("r2_score",),
         rope=_UNIT, undefined=(Undefined("fewer than 2 samples", "r2 needs at least two test samples"),)),
    _row("msle", _R, False, "value", _sk("mean_squared_log_error"), "mean squared logarithmic error",
         aliases=("mean_squared_log_error",), rope=_SQUARED,
         undefined=(Undefined("y_true <= -1", "msle needs targets > −1"),
                    Undefined("value <= -1", "msle needs predictions > −1; {n} are not"))),
    _row("pinball", _R, False, "quantile", _pinball, "mean pinball loss at level τ", param=0.5,
         param_rule="0 < τ < 1", aliases=("pinball_loss", "mean_pinball_loss")),
    _row("coverage", _R, None, "quantile", _coverage, "share of y ≤ predicted τ-quantile (nominal τ)",
         param=0.5, param_rule="0 < τ < 1", rope=_UNIT),
    _row("poisson_deviance", _R, False, "value", _sk("mean_poisson_deviance"), "mean Poisson deviance",
         aliases=("mean_poisson_deviance",),
         undefined=(Undefined("y_true < 0", "poisson_deviance needs targets ≥ 0"),
                    *_positive_predictions("poisson_deviance"))),
    _row("gamma_deviance", _R, False, "value", _sk("mean_gamma_deviance"), "mean Gamma deviance",
         aliases=("mean_gamma_deviance",),
         undefined=(Undefined("y_true <= 0", "gamma_deviance needs targets > 0"),
                    *_positive_predictions("gamma_deviance"))),
    _row("tweedie_deviance", _R, False, "value", _tweedie, "mean Tweedie deviance (power p)", param=1.5,
         param_rule="0 or ≥ 1", aliases=("mean_tweedie_deviance",),
         undefined=(Undefined("y_true < 0", "tweedie_deviance needs targets ≥ 0"),
                    *_positive_predictions("tweedie_deviance"))),
    _row("accuracy", (*_C, "ordinal"), True, "label", _accuracy,
         "share of correct labels (ordinal: the most probable level)", aliases=("accuracy_score",),
         rope=_UNIT),
    _row("balanced_accuracy", _C, True, "label", _balanced_accuracy, "mean recall over the classes",
         aliases=("balanced_accuracy_score",), rope=_UNIT),
    _row("precision", _C, True, "label", _precision, "precision (binary: positive class; else macro)",
         aliases=("precision_score",), rope=_UNIT,
         undefined=(Undefined("no positive label predicted", "precision is undefined: the model predicted "
                              "no positive label on this fold"),)),
    _row("recall", _C, True, "label", _recall, "recall (binary: positive class; else macro)",
         aliases=("recall_score",), rope=_UNIT),
    _row("f1", _C, True, "label", _f1, "F1 score (binary: positive class; else macro)",
         aliases=("f1_score",), rope=_UNIT),
    _row("roc_auc", _C, True, "score", _roc_auc, "area under the ROC curve (multiclass: OvR macro)",
         aliases=("roc_auc_score",), rope=_UNIT,
         undefined=(_ONE_CLASS,
                    Undefined("a class absent", "roc_auc (one-vs-rest) needs every class in the test fold"))),
    _row("pr_auc", _C, True, "score", _pr_auc, "average precision (multiclass: macro)",
         aliases=("average_precision", "average_precision_score"), undefined=(_ONE_CLASS,),
         rope=_UNIT),
    _row("log_loss", _C, False, "probability", _log_loss, "mean negative log-likelihood (exact)",
         undefined=(Undefined("zero probability on a true class", "log_loss is +inf: a true class has "
                              "probability 0", result="+inf"),)),
    _row("brier", _C, False, "probability", _brier, "Brier score",
         aliases=("brier_score", "brier_score_loss"), rope=Rope(0.02, relative=True)),
    _row("ece", _C, False, "probability", _ece, "expected calibration error, 10 equal-width bins",
         aliases=("expected_calibration_error",), rope=Rope(0.005)),
    _row("expected_cost", ("binary",), False, "label", _expected_cost, "mean misclassification cost",
         undefined=(Undefined("no costs", "expected_cost needs costs={'fp': ..., 'fn': ...}"),)),
    _row("ordinal_log_loss", ("ordinal",), False, "probability", _log_loss,
         "mean negative log-likelihood of the true level under the predicted level probabilities",
         undefined=(Undefined("zero probability on a true class", "ordinal_log_loss is +inf: a true level "
                              "has probability 0", result="+inf"),)),
    _row("c_index", ("survival",), True, "risk", _c_index,
         "Harrell's concordance index (censored pairs; scikit-survival)",
         aliases=("concordance_index", "cindex", "harrell_c"), rope=_UNIT, undefined=(_NO_EVENT,)),
    _row("integrated_brier", ("survival",), False, "survival", _integrated_brier,
         "integrated Brier score of the survival curves, IPCW (scikit-survival)",
         aliases=("integrated_brier_score", "ibs"), rope=Rope(0.005), undefined=(_NO_EVENT,)),
    _row("ndcg", ("ranking",), True, "value", _ndcg, "NDCG@k per query (gain 2^rel − 1), averaged",
         param=10, param_rule="integer k ≥ 1", aliases=("ndcg_score",), rope=_UNIT),
    _row("map", ("ranking",), True, "value", _map, "mean average precision over the queries (rel > 0)",
         aliases=("mean_average_precision",), rope=_UNIT),
)  # fmt: skip

#: The metrics table: canonical name → `MetricInfo`.
METRICS: dict[str, MetricInfo] = {r.name: r for r in _ROWS}
_ALIASES: dict[str, str] = {a: r.name for r in _ROWS for a in r.aliases}


def list_metrics(task: str | None = None) -> list[str]:
    """Canonical metric names, all or those that fit ``task``.

    >>> list_metrics("binary")[:3]
    ['accuracy', 'balanced_accuracy', 'precision']
    """
    if task is not None:
        task_family(task)  # an unknown task is an error, not an empty list
    return [n for n, r in METRICS.items() if task is None or task in r.tasks]


def get_metric(spec: str | Metric) -> Metric:
    """A `Metric` from a name or alias, optionally with its parameter: ``"pinball:0.9"``.

    Raises
    ------
    DataError
        Unknown name (with the closest names), or a bad parameter.

    Examples
    --------
    >>> get_metric("mean_absolute_error").name, get_metric("tweedie_deviance:1.2").direction
    ('mae', '↓')
    """
    if isinstance(spec, Metric):
        return spec
    if not isinstance(spec, str):
        raise DataError(f"a metric must be a name such as 'mae' or 'pinball:0.9'; got {type(spec).__name__}.")
    base, _, arg = spec.strip().lower().partition(":")
    base = _ALIASES.get(base, base)
    if base not in METRICS:
        close = difflib.get_close_matches(base, [*METRICS, *_ALIASES], n=3, cutoff=0.6)
        hint = (
            f" Did you mean {' or '.join(repr(_ALIASES.get(c, c)) for c in dict.fromkeys(close))}?"
            if close
            else ""
        )
        raise DataError(f"unknown metric {spec!r}; metrics are {', '.join(METRICS)}.{hint}")
    row = METRICS[base]
    param = row.param
    if arg:
        if row.param is None:
            raise DataError(f"metric {base!r} takes no parameter; got {spec!r}.")
        try:
            param = float(arg)
        except ValueError:
            raise DataError(f"metric {spec!r}: parameter {arg!r} is not a number.") from None
    if row.param_rule == "0 < τ < 1" and not 0.0 < float(param) < 1.0:  # type: ignore[arg-type]
        raise DataError(f"metric {spec!r}: the level τ must be in (0, 1); got {param}.")
    if row.param_rule == "0 or ≥ 1" and not (param == 0 or param >= 1):  # type: ignore[operator]
        raise DataError(f"metric {spec!r}: the Tweedie power must be 0 or ≥ 1; got {param}.")
    if row.param_rule == "integer k ≥ 1" and not (float(param) >= 1 and float(param).is_integer()):  # type: ignore[arg-type]
        raise DataError(f"metric {spec!r}: the cut-off k must be a whole number ≥ 1; got {param:g}.")
    name = base if param is None else f"{base}:{param:g}"
    return Metric(
        name,
        base,
        row.tasks,
        row.greater_is_better,
        row.needs,
        row.fn,
        param,
        row.description,
        row.undefined,
        row.rope,
    )


def resolve_metrics(specs: Any, task: str) -> list[Metric]:
    """Metrics from names, each checked against ``task``; a metric that does not fit → DataError."""
    if isinstance(specs, (str, Metric)):
        specs = [specs]
    out: list[Metric] = []
    for spec in specs:
        m = get_metric(spec)
        if task not in m.tasks:
            raise DataError(
                f"metric {m.name!r} does not fit the task {task!r}; it is for {', '.join(m.tasks)} targets."
            )
        if m.name not in {x.name for x in out}:
            out.append(m)
    if not out:
        raise DataError("no metric to evaluate; give at least one.")
    return out


def default_metrics(
    task: str, predict: str | None = None, costs: Any = None, y: Any = None, *, structured: bool = False
) -> list[str]:
    """The task's default evaluation metrics, the headline one first.

    ``structured`` marks an ordinal target with declared levels (`losslab.targets.Ordinal`),
    evaluated on level probabilities; without it ``"ordinal"`` is the regression subtype.

    >>> default_metrics("binary")
    ['log_loss', 'roc_auc', 'pr_auc', 'brier', 'ece', 'accuracy', 'precision', 'recall', 'f1']
    >>> default_metrics("regression", predict="quantile:0.9")
    ['pinball:0.9', 'coverage:0.9', 'mae', 'rmse']
    >>> default_metrics("survival"), default_metrics("ranking")
    (['c_index', 'integrated_brier'], ['ndcg:10', 'map', 'ndcg:5'])
    >>> default_metrics("ordinal", structured=True), default_metrics("ordinal", "median", structured=True)
    (['ordinal_log_loss', 'mae', 'accuracy'], ['mae', 'ordinal_log_loss', 'accuracy'])
    """
    if task == "survival":
        return ["c_index", "integrated_brier"]
    if task == "ranking":
        return ["ndcg:10", "map", "ndcg:5"]
    if task == "ordinal" and structured:
        return (
            ["mae", "ordinal_log_loss", "accuracy"]
            if predict == "median"
            else ["ordinal_log_loss", "mae", "accuracy"]
        )
    if task in CLASSIFICATION_TASKS:
        base = ["log_loss", "roc_auc", "pr_auc", "brier", "ece", "accuracy", "precision", "recall", "f1"]
        if task == "multiclass":
            base = ["log_loss", "accuracy", "f1", "roc_auc", "brier", "ece", "precision", "recall"]
        if costs and task == "binary":
            base = ["expected_cost", *base]
        return base
    task_family(task)
    if predict and predict.startswith("quantile"):
        _, _, tau = predict.partition(":")
        tau = tau or "0.5"
        return [f"pinball:{float(tau):g}", f"coverage:{float(tau):g}", "mae", "rmse"]
    head = {
        "count": ["poisson_deviance", "rmse", "mae", "r2"],
        "positive": ["gamma_deviance", "rmse", "mae", "r2"],
        "ordinal": ["mae", "rmse", "r2"],
        "proportion": ["rmse", "mae", "r2"],
    }.get(task, ["rmse", "mae", "r2"])
    if predict == "median" and head[0] != "mae":
        head = ["mae", *[m for m in head if m != "mae"]]
    if y is not None:  # keep only metrics the observed targets admit
        yv = np.asarray(y, dtype=float)
        need = {"gamma_deviance": yv > 0, "poisson_deviance": yv >= 0, "msle": yv >= 0}
        head = [m for m in head if m not in need or bool(np.all(need[m]))]
        if "msle" not in head and yv.size and bool(np.all(yv >= 0)):
            head = [*head, "msle"]
    return head
