"""Evaluation metrics of a comparison: fixed, separate from the training loss, NaN-with-reason on failure.

Every metric declares the tasks it fits, its direction and the kind of prediction it needs. They are
computed on the out-of-fold predictions of each task with :mod:`sklearn.metrics` where the library
has them; expected calibration error, interval coverage, exact log loss (from logits, in log space)
and expected cost are written here.

A metric that cannot be computed on a fold (ROC-AUC with one class in the test fold, MSLE with a
prediction ≤ −1, a probability metric for a model without probabilities) is **NaN with a reason**,
never 0 (PyCaret's "AUC = 0" failure).

>>> m = get_metric("pinball:0.9")
>>> m.name, m.greater_is_better, m.needs
('pinball:0.9', False, 'quantile')
>>> import numpy as np
>>> p = Predictions(y_true=np.array([10.0, 10.0]), value=np.array([8.0, 12.0]))
>>> round(m(p), 6)
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core.errors import DataError

__all__ = [
    "CLASSIFICATION_TASKS",
    "METRICS",
    "REGRESSION_TASKS",
    "Metric",
    "MetricUndefined",
    "Predictions",
    "default_metrics",
    "get_metric",
    "resolve_metrics",
    "task_family",
]

CLASSIFICATION_TASKS = ("binary", "multiclass")
REGRESSION_TASKS = ("regression", "count", "positive", "proportion", "ordinal")


class MetricUndefined(Exception):
    """A metric has no value on this fold; the message is the reason recorded beside the NaN."""


def task_family(task: str) -> str:
    """``"classification"`` or ``"regression"`` for an advisor task name."""
    if task in CLASSIFICATION_TASKS:
        return "classification"
    if task in REGRESSION_TASKS:
        return "regression"
    raise DataError(
        f"unknown task {task!r}; expected one of {', '.join(CLASSIFICATION_TASKS + REGRESSION_TASKS)}."
    )


@dataclass
class Predictions:
    """Out-of-fold predictions of one task, in the form the metrics read.

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
    threshold : float
        Binary decision threshold on P(positive) (0.5, or c_fp/(c_fp+c_fn) with costs).
    costs : dict, optional
        ``{"fp": c_fp, "fn": c_fn}`` for ``expected_cost``.
    """

    y_true: np.ndarray
    value: np.ndarray | None = None
    label: np.ndarray | None = None
    proba: np.ndarray | None = None
    logits: np.ndarray | None = None
    n_classes: int = 0
    threshold: float = 0.5
    costs: dict[str, float] | None = None


@dataclass(frozen=True)
class Metric:
    """One evaluation metric.

    Attributes
    ----------
    name : str
        Canonical name, with its parameter when it has one (``"pinball:0.9"``).
    base : str
        The name without parameter.
    tasks : tuple of str
        Advisor tasks it fits.
    greater_is_better : bool or None
        ``None`` for ``coverage``, which is best at its nominal level (ranked by |coverage − τ|).
    needs : {"label", "probability", "value", "quantile"}
    param : float or None
        τ for pinball/coverage, the power for tweedie_deviance.
    """

    name: str
    base: str
    tasks: tuple[str, ...]
    greater_is_better: bool | None
    needs: str
    fn: Callable[..., float] = field(repr=False, compare=False)
    param: float | None = None
    description: str = ""

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

    def __call__(self, pred: Predictions) -> float:
        """The metric on one fold's predictions; raises `MetricUndefined` with a reason."""
        return float(self.fn(pred, self.param))


# -- helpers -------------------------------------------------------------------------------------
def _value(p: Predictions, name: str) -> np.ndarray:
    if p.value is None:
        raise MetricUndefined(f"{name} needs numeric predictions; the model gave none")
    return p.value


def _label(p: Predictions, name: str) -> np.ndarray:
    if p.label is None:
        raise MetricUndefined(f"{name} needs predicted labels; the model gave none")
    return p.label


def _proba(p: Predictions, name: str) -> np.ndarray:
    if p.proba is None:
        raise MetricUndefined(
            f"{name} needs class probabilities; this model has no predict_proba "
            "(a margin loss such as hinge gives scores, not probabilities)"
        )
    return p.proba


def _avg(p: Predictions) -> dict[str, Any]:
    return {"average": "binary", "pos_label": 1} if p.n_classes == 2 else {"average": "macro"}


def _both_classes(p: Predictions, name: str) -> None:
    present = np.unique(p.y_true)
    if present.size < 2:
        raise MetricUndefined(f"{name} is undefined on a test fold with one class only")


# -- classification ------------------------------------------------------------------------------
def _accuracy(p: Predictions, _: Any) -> float:
    from sklearn.metrics import accuracy_score

    return accuracy_score(p.y_true, _label(p, "accuracy"))


def _precision(p: Predictions, _: Any) -> float:
    from sklearn.metrics import precision_score

    label = _label(p, "precision")
    if p.n_classes == 2 and not np.any(label == 1):
        raise MetricUndefined("precision is undefined: the model predicted no positive label on this fold")
    return precision_score(p.y_true, label, zero_division=np.nan, **_avg(p))


def _recall(p: Predictions, _: Any) -> float:
    from sklearn.metrics import recall_score

    return recall_score(p.y_true, _label(p, "recall"), zero_division=np.nan, **_avg(p))


def _f1(p: Predictions, _: Any) -> float:
    from sklearn.metrics import f1_score

    return f1_score(p.y_true, _label(p, "f1"), zero_division=np.nan, **_avg(p))


def _roc_auc(p: Predictions, _: Any) -> float:
    from sklearn.metrics import roc_auc_score

    proba = _proba(p, "roc_auc")
    _both_classes(p, "roc_auc")
    if p.n_classes == 2:
        return roc_auc_score(p.y_true, proba[:, 1])
    if np.unique(p.y_true).size < p.n_classes:
        raise MetricUndefined("roc_auc (one-vs-rest) needs every class in the test fold")
    return roc_auc_score(p.y_true, proba, multi_class="ovr", average="macro", labels=np.arange(p.n_classes))


def _pr_auc(p: Predictions, _: Any) -> float:
    from sklearn.metrics import average_precision_score

    proba = _proba(p, "pr_auc")
    _both_classes(p, "pr_auc")
    if p.n_classes == 2:
        return average_precision_score(p.y_true, proba[:, 1])
    onehot = np.eye(p.n_classes)[p.y_true]
    return average_precision_score(onehot, proba, average="macro")


def _log_loss(p: Predictions, _: Any) -> float:
    """−mean log p(y): from logits in log space when the model has them, else from probabilities."""
    import losslab

    if p.logits is not None:
        name = "binary_crossentropy" if p.n_classes == 2 else "categorical_crossentropy"
        y = p.y_true.astype(float) if p.n_classes == 2 else p.y_true
        return float(losslab.get(name)(y, p.logits))
    proba = _proba(p, "log_loss")
    py = proba[np.arange(proba.shape[0]), p.y_true]
    with np.errstate(divide="ignore"):
        return float(-np.mean(np.log(py)))


def _brier(p: Predictions, _: Any) -> float:
    """Binary: mean (p − y)²; multiclass: mean Σ_k (p_k − 1[y=k])² (sklearn's multiclass form)."""
    from sklearn.metrics import brier_score_loss

    proba = _proba(p, "brier")
    if p.n_classes == 2:
        return brier_score_loss(p.y_true, proba[:, 1], pos_label=1)
    return brier_score_loss(p.y_true, proba, labels=np.arange(p.n_classes))


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> float:
    r"""Expected calibration error with ``n_bins`` equal-width bins.

    .. math:: \mathrm{ECE} = \sum_b \frac{n_b}{n}\,\bigl|\bar o_b - \bar c_b\bigr|

    Binary: c is P(positive) and o the positive indicator (the reliability diagram's quantity);
    multiclass: c is the top-label confidence and o whether the top label is right (Guo et al. 2017).

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
    total = 0.0
    for b in np.unique(bins):
        m = bins == b
        total += m.sum() / conf.size * abs(hit[m].mean() - conf[m].mean())
    return float(total)


def _ece(p: Predictions, _: Any) -> float:
    return expected_calibration_error(p.y_true, _proba(p, "ece"))


def _expected_cost(p: Predictions, _: Any) -> float:
    """(c_fp·FP + c_fn·FN)/n at the cost-optimal threshold c_fp/(c_fp + c_fn) (Elkan 2001)."""
    if not p.costs:
        raise MetricUndefined("expected_cost needs costs={'fp': ..., 'fn': ...}")
    label = _label(p, "expected_cost")
    fp = np.sum((label == 1) & (p.y_true == 0))
    fn = np.sum((label == 0) & (p.y_true == 1))
    return float((p.costs["fp"] * fp + p.costs["fn"] * fn) / p.y_true.size)


# -- regression ----------------------------------------------------------------------------------
def _mae(p: Predictions, _: Any) -> float:
    from sklearn.metrics import mean_absolute_error

    return mean_absolute_error(p.y_true, _value(p, "mae"))


def _rmse(p: Predictions, _: Any) -> float:
    from sklearn.metrics import root_mean_squared_error

    return root_mean_squared_error(p.y_true, _value(p, "rmse"))


def _r2(p: Predictions, _: Any) -> float:
    from sklearn.metrics import r2_score

    if p.y_true.size < 2:
        raise MetricUndefined("r2 needs at least two test samples")
    return r2_score(p.y_true, _value(p, "r2"))


def _msle(p: Predictions, _: Any) -> float:
    from sklearn.metrics import mean_squared_log_error

    v = _value(p, "msle")
    if np.any(p.y_true <= -1):
        raise MetricUndefined("msle needs targets > −1")
    if np.any(v <= -1):
        raise MetricUndefined(f"msle needs predictions > −1; {int(np.sum(v <= -1))} are not")
    return mean_squared_log_error(p.y_true, v)


def _pinball(p: Predictions, tau: Any) -> float:
    from sklearn.metrics import mean_pinball_loss

    return mean_pinball_loss(p.y_true, _value(p, "pinball"), alpha=tau)


def _coverage(p: Predictions, tau: Any) -> float:
    """Share of targets at or below the predicted τ-quantile (nominal: τ)."""
    return float(np.mean(p.y_true <= _value(p, "coverage")))


def _deviance(kind: str) -> Callable[[Predictions, Any], float]:
    def fn(p: Predictions, power: Any) -> float:
        from sklearn.metrics import mean_gamma_deviance, mean_poisson_deviance, mean_tweedie_deviance

        v = _value(p, f"{kind}_deviance")
        if np.any(v <= 0):
            raise MetricUndefined(f"{kind}_deviance needs predictions > 0; {int(np.sum(v <= 0))} are not")
        if kind == "poisson":
            if np.any(p.y_true < 0):
                raise MetricUndefined("poisson_deviance needs targets ≥ 0")
            return mean_poisson_deviance(p.y_true, v)
        if kind == "gamma":
            if np.any(p.y_true <= 0):
                raise MetricUndefined("gamma_deviance needs targets > 0")
            return mean_gamma_deviance(p.y_true, v)
        if np.any(p.y_true < 0):
            raise MetricUndefined("tweedie_deviance needs targets ≥ 0")
        return mean_tweedie_deviance(p.y_true, v, power=power)

    return fn


_C = CLASSIFICATION_TASKS
_R = REGRESSION_TASKS
#: name → (tasks, greater_is_better, needs, function, default parameter, description)
METRICS: dict[str, tuple[tuple[str, ...], bool | None, str, Callable[..., float], float | None, str]] = {
    "mae": (_R, False, "value", _mae, None, "mean absolute error"),
    "rmse": (_R, False, "value", _rmse, None, "root mean squared error"),
    "r2": (_R, True, "value", _r2, None, "coefficient of determination R²"),
    "msle": (_R, False, "value", _msle, None, "mean squared logarithmic error"),
    "pinball": (_R, False, "quantile", _pinball, 0.5, "mean pinball loss at level τ"),
    "coverage": (_R, None, "quantile", _coverage, 0.5, "share of y ≤ predicted τ-quantile (nominal τ)"),
    "poisson_deviance": (_R, False, "value", _deviance("poisson"), None, "mean Poisson deviance"),
    "gamma_deviance": (_R, False, "value", _deviance("gamma"), None, "mean Gamma deviance"),
    "tweedie_deviance": (_R, False, "value", _deviance("tweedie"), 1.5, "mean Tweedie deviance (power p)"),
    "accuracy": (_C, True, "label", _accuracy, None, "share of correct labels"),
    "precision": (_C, True, "label", _precision, None, "precision (binary: positive class; else macro)"),
    "recall": (_C, True, "label", _recall, None, "recall (binary: positive class; else macro)"),
    "f1": (_C, True, "label", _f1, None, "F1 score (binary: positive class; else macro)"),
    "roc_auc": (_C, True, "probability", _roc_auc, None, "area under the ROC curve (multiclass: OvR macro)"),
    "pr_auc": (_C, True, "probability", _pr_auc, None, "average precision (multiclass: macro)"),
    "log_loss": (_C, False, "probability", _log_loss, None, "mean negative log-likelihood (exact)"),
    "brier": (_C, False, "probability", _brier, None, "Brier score"),
    "ece": (_C, False, "probability", _ece, None, "expected calibration error, 10 equal-width bins"),
    "expected_cost": (("binary",), False, "label", _expected_cost, None, "mean misclassification cost"),
}


def get_metric(spec: str | Metric) -> Metric:
    """A `Metric` from a name, optionally with its parameter: ``"pinball:0.9"``, ``"tweedie_deviance:1.2"``.

    Raises
    ------
    DataError
        Unknown name or a bad parameter.
    """
    if isinstance(spec, Metric):
        return spec
    if not isinstance(spec, str):
        raise DataError(f"a metric must be a name such as 'mae' or 'pinball:0.9'; got {type(spec).__name__}.")
    base, _, arg = spec.strip().lower().partition(":")
    if base not in METRICS:
        raise DataError(f"unknown metric {spec!r}; metrics are {', '.join(METRICS)}.")
    tasks, gib, needs, fn, default, desc = METRICS[base]
    param = default
    if arg:
        if default is None:
            raise DataError(f"metric {base!r} takes no parameter; got {spec!r}.")
        try:
            param = float(arg)
        except ValueError:
            raise DataError(f"metric {spec!r}: parameter {arg!r} is not a number.") from None
    if base in ("pinball", "coverage") and not 0.0 < float(param) < 1.0:  # type: ignore[arg-type]
        raise DataError(f"metric {spec!r}: the level τ must be in (0, 1); got {param}.")
    if base == "tweedie_deviance" and not (param == 0 or param >= 1):  # type: ignore[operator]
        raise DataError(f"metric {spec!r}: the Tweedie power must be 0 or ≥ 1; got {param}.")
    name = base if param is None else f"{base}:{param:g}"
    return Metric(name, base, tasks, gib, needs, fn, param, desc)


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


def default_metrics(task: str, predict: str | None = None, costs: Any = None, y: Any = None) -> list[str]:
    """The task's default evaluation metrics, the headline one first.

    >>> default_metrics("binary")
    ['log_loss', 'roc_auc', 'pr_auc', 'brier', 'ece', 'accuracy', 'precision', 'recall', 'f1']
    >>> default_metrics("regression", predict="quantile:0.9")
    ['pinball:0.9', 'coverage:0.9', 'mae', 'rmse']
    """
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
