"""What `compare` chooses when the caller does not: candidate losses and evaluation metrics.

This module is the one place in `losslab.compare` that knows about particular metrics and loss
statistics; the driver (`losslab.compare.api`) and the steps never branch on their names.

- Candidate losses (``losses=None``): registered losses whose task fits the target, whose
  estimated statistic is what the user asked to predict (`losslab.intent.Intent`; default the mean
  for numbers, probabilities for classes) and whose ``y_true`` domain admits the observed targets,
  in registry order, at most ``top``. A quantile or expectile intent sets the loss's level
  parameter (its (0, 1)-valued float parameter, found by declaration). An ordinal target with
  numeric levels (at most 20) and the mean intent has the cross-entropy on its levels second: a
  classifier whose predicted mean level Σ vₖ p̂ₖ is scored like the regression losses' means
  (`losslab.tasks.level_distribution`).
- The baseline (`baseline_loss`): the loss whose best constant the intercept-only candidate
  predicts, the headline metric's own loss (RMSE → mse, MAE → mae, pinball τ → quantile τ, a
  deviance → its loss; classification → cross-entropy, whose constant is the class priors).
- Metrics (``metrics=None``): the **headline metric comes from the user's intent**, never from a
  candidate (`headline_metric`: mean → RMSE, median → MAE, quantile τ → pinball τ, probability
  → log loss, costs → expected cost), so the ranking is the same whichever losses are compared;
  the task's other defaults (`losslab.metrics.default_metrics`) follow it, exploratory. A metric
  that takes a parameter (pinball's τ, tweedie_deviance's power) gets it from the intent or from
  the loss (`metric_for`).
- Structured targets (survival, ranking, ordinal with declared levels; `losslab.targets`): the
  candidates are the registered losses of that task (``info.task``), gradient recipes left out
  (the linear solver cannot minimise them; `structured_candidates`); the headline metric is the
  task's — C-index for survival, NDCG@10 for ranking, the ordinal log loss for level
  probabilities (MAE on the levels for the median intent) — and the baseline is the first
  candidate's constant score.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.equivalence import restates
from .._core.errors import DataError, DomainError, LosslabError
from .._core.info import ParamRole
from .._core.statistic import Statistic
from ..intent import Costs, Intent
from ..metrics import default_metrics, get_metric
from ..tasks import task_family

__all__ = [
    "baseline_loss",
    "candidate_losses",
    "choose_metrics",
    "headline_metric",
    "loss_tasks",
    "metric_for",
    "predict_spec",
    "structured_candidates",
]

#: statistics (as losses declare them) that serve each intent; the intent's own kind otherwise
_STATISTICS = {
    "probability": (Statistic.PROBABILITY, Statistic.CLASS_PROBABILITIES),
    "decision": (Statistic.PROBABILITY, Statistic.CLASS_PROBABILITIES),  # thresholded at p*: Bayes
}

#: where a parametrised metric takes its parameter from: the intent's level, or a loss parameter
_METRIC_PARAM = {"pinball": "level", "coverage": "level", "tweedie_deviance": "power"}

#: a proportion also takes a soft-label cross-entropy (`losslab.tasks.soft_label_mean`), an ordinal
#: target with numeric levels a cross-entropy on its levels (`losslab.tasks.level_distribution`)
_LOSS_TASKS = {
    "binary": ("binary", "multiclass"),
    "multiclass": ("multiclass",),
    "proportion": ("regression", "binary"),
    "ordinal": ("regression", "multiclass"),
}


def loss_tasks(task: str) -> tuple[str, ...]:
    """Loss tasks (``LossInfo.task``) that fit a target task (multiclass losses also fit binary).

    >>> loss_tasks("count"), loss_tasks("binary"), loss_tasks("proportion"), loss_tasks("ordinal")
    (('regression',), ('binary', 'multiclass'), ('regression', 'binary'), ('regression', 'multiclass'))
    """
    return _LOSS_TASKS.get(task, ("regression",))


def predict_spec(intent: Intent | None) -> str | None:
    """The intent in `default_metrics`'s words (``"quantile:0.9"``, ``"median"``).

    >>> from losslab.intent import parse_predict
    >>> predict_spec(parse_predict("p90"))
    'quantile:0.9'
    """
    if intent is None:
        return None
    return intent.kind if intent.level is None else f"{intent.kind}:{intent.level:g}"


def _level_param(cls: type) -> str | None:
    return cls.INFO.param(ParamRole.LEVEL)


def _admits(loss: Any, y_eval: np.ndarray) -> bool:
    try:
        loss(y_eval, np.zeros_like(y_eval, dtype=np.float64))
    except DomainError:
        return False
    return True


def candidate_losses(task: str, intent: Intent | None, y_eval: np.ndarray, top: int = 3) -> list[Any]:
    """Registered losses for ``task`` that estimate what ``intent`` asks for (see module docstring).

    >>> import numpy as np
    >>> [l.name for l in candidate_losses("regression", None, np.array([-1.0, 0.5, 2.0]))]
    ['mse']
    >>> candidate_losses("regression", Intent("quantile", 0.9), np.array([1.0, 2.0]))
    [Quantile(quantile=0.9)]
    >>> candidate_losses("ordinal", None, np.array([0.0, 1.0, 2.0, 1.0]))
    [MSE(), CategoricalCrossentropy(), NegativeBinomial()]
    """
    import losslab
    from losslab._core.registry import loss_class

    family = task_family(task)
    kind = intent.kind if intent is not None else ("probability" if family == "classification" else "mean")
    wanted = _STATISTICS.get(kind) or (Statistic.coerce(kind),)
    own = loss_tasks(task)[0]
    out: list[Any] = []
    for name in losslab.list_losses(task=own):
        cls = loss_class(name)
        if cls.INFO.statistic.statistic not in wanted or restates(cls.INFO):
            continue
        if cls.target_type is not None:  # a structured target (censored bounds …): not a plain y
            continue
        params: dict[str, Any] = {}
        if intent is not None and intent.level is not None:
            level = _level_param(cls)
            if level is None:
                continue
            params[level] = intent.level
        loss = cls(**params)
        if restates(loss.info, loss.params):  # another loss at these values: it stands for this one
            continue
        if family == "regression" and not _admits(loss, y_eval):
            continue
        out.append(loss)
        if len(out) >= top:
            break
    if task == "ordinal" and kind == "mean" and top > 1:
        out = [*out[:1], *_level_classifier(y_eval), *out[1:]][:top]
    if not out:
        raise DataError(
            f"no registered {own} loss estimates the {kind} of these targets; pass losses= explicitly."
        )
    return out


def _level_classifier(y_eval: np.ndarray) -> list[Any]:
    """The first registered loss of a level distribution (`losslab.tasks.level_distribution`) for
    an ordinal target of at most ``max_label_levels`` levels: "numbers or classes?", the question a
    coded answer raises, is then in every default comparison. Empty for more levels."""
    import losslab

    from ..tasks import TASK_THRESHOLDS, level_distribution

    if np.unique(y_eval[np.isfinite(y_eval)]).size > TASK_THRESHOLDS["max_label_levels"][0]:
        return []
    for name in losslab.list_losses(task="multiclass"):
        loss = losslab.get(name)
        if level_distribution(loss):
            return [loss]
    return []


def structured_candidates(task: str, top: int = 3, notes: list[str] | None = None) -> list[Any]:
    """Registered losses whose task (``info.task``) is the structured ``task``, in registry
    order, at most ``top``; a gradient recipe (``info.gradient == "recipe"``) is left out with a
    note (the linear models are fitted by a line search on the value, which a recipe has not).

    >>> all(loss.info.task == "distribution" for loss in structured_candidates("distribution"))
    True
    """
    import losslab
    from losslab._core.info import GradientKind
    from losslab._core.registry import loss_class

    out: list[Any] = []
    for name in losslab.list_losses(task=task):
        cls = loss_class(name)
        if cls.INFO.gradient == GradientKind.RECIPE:
            if notes is not None:
                notes.append(f"{name} is a gradient recipe: left out (the linear solver minimises values)")
            continue
        out.append(cls())
        if len(out) >= top:
            break
    if not out:
        raise DataError(f"no registered {task} loss the linear models can train; pass losses= explicitly.")
    return out


#: the loss whose minimiser is what a regression metric rewards: (loss name, its parameter or None)
_METRIC_LOSS = {
    "mae": ("mae", None),
    "rmse": ("mse", None),
    "mse": ("mse", None),
    "r2": ("mse", None),
    "msle": ("msle", None),
    "pinball": ("quantile", "quantile"),
    "coverage": ("quantile", "quantile"),
    "poisson_deviance": ("poisson", None),
    "gamma_deviance": ("gamma", None),
    "tweedie_deviance": ("tweedie", "power"),
}


def baseline_loss(metric: Any, task: str, y_eval: np.ndarray) -> Any:
    """The headline ``metric``'s own loss, whose best constant is the intercept-only baseline.

    Classification: the cross-entropy of the task (its constant is the class priors). A regression
    metric without a loss of its own, or whose loss does not admit the targets, falls back to mse.

    >>> import numpy as np
    >>> from losslab.metrics import get_metric
    >>> y = np.array([1.0, 2.0, 5.0])
    >>> baseline_loss(get_metric("pinball:0.9"), "regression", y)
    Quantile(quantile=0.9)
    >>> baseline_loss(get_metric("rmse"), "count", y)
    MSE()
    >>> baseline_loss(get_metric("gamma_deviance"), "positive", np.array([0.0, 1.0]))
    MSE()
    >>> baseline_loss(get_metric("accuracy"), "multiclass", np.array([0, 1, 2]))
    CategoricalCrossentropy()
    """
    import losslab

    if task_family(task) == "classification":
        return losslab.get("binary_crossentropy" if task == "binary" else "categorical_crossentropy")
    name, param = _METRIC_LOSS.get(metric.base, ("mse", None))
    try:
        loss = losslab.get(name, **({param: metric.param} if param and metric.param is not None else {}))
    except (LosslabError, ValueError):  # e.g. a tweedie power the loss does not take
        return losslab.get("mse")
    return loss if _admits(loss, y_eval) else losslab.get("mse")


def metric_for(name: str, intent: Intent | None = None, loss: Any = None) -> str:
    """``name`` with its parameter filled in: a level from the intent (else the loss's level),
    a power from the loss; unchanged when the metric takes none, has one, or nothing supplies it.

    >>> import losslab
    >>> metric_for("pinball", Intent("quantile", 0.9))
    'pinball:0.9'
    >>> metric_for("coverage", None, losslab.get("quantile", quantile=0.25))
    'coverage:0.25'
    >>> metric_for("tweedie_deviance", None, losslab.get("tweedie", power=1.3)), metric_for("mae")
    ('tweedie_deviance:1.3', 'mae')
    """
    base, _, arg = name.partition(":")
    source = _METRIC_PARAM.get(base)
    if arg or source is None:
        return name
    value = None
    if source == "level":
        if intent is not None and intent.level is not None and intent.kind == "quantile":
            value = intent.level
        elif loss is not None:
            level = _level_param(type(loss))
            value = loss.params.get(level) if level else None
    elif loss is not None:
        value = loss.params.get(source)
    if not isinstance(value, (int, float)) or isinstance(value, bool):  # absent, or still "auto"
        return name
    return f"{base}:{float(value):g}"


#: the headline metric of each intent: the metric whose minimiser is the statistic asked for
_HEADLINE = {"mean": "rmse", "median": "mae", "quantile": "pinball", "expectile": "rmse"}


def headline_metric(
    task: str, intent: Intent | None, costs: Costs | None = None, *, structured: bool = False
) -> str:
    """The confirmatory metric of a comparison, from what the user wants predicted.

    mean → RMSE; median → MAE; quantile τ → pinball τ; probability (classification) → log loss;
    costs (binary) → expected cost. An expectile has no metric of its own in the table: RMSE,
    the mean's, is used. The candidates never choose it: every candidate is scored on it.
    Structured targets: survival → C-index, ranking → NDCG@10, ordinal with declared levels
    (``structured``) → the ordinal log loss, or MAE on the levels for the median intent.

    >>> from losslab.intent import Intent
    >>> headline_metric("count", None), headline_metric("regression", Intent("quantile", 0.9))
    ('rmse', 'pinball:0.9')
    >>> headline_metric("binary", None), headline_metric("binary", None, {"fp": 1.0, "fn": 5.0})
    ('log_loss', 'expected_cost')
    >>> headline_metric("survival", None), headline_metric("ordinal", Intent("median"), structured=True)
    ('c_index', 'mae')
    """
    if task in ("survival", "ranking") or (task == "ordinal" and structured):
        return default_metrics(task, predict=predict_spec(intent), structured=structured)[0]
    if task_family(task) == "classification":
        return "expected_cost" if costs and task == "binary" else "log_loss"
    kind = intent.kind if intent is not None else "mean"
    name = _HEADLINE.get(kind, "rmse")
    if kind == "quantile" and intent is not None and intent.level is not None:
        return f"{name}:{intent.level:g}"
    return name


def choose_metrics(
    task: str, intent: Intent | None, costs: Costs | None, y_eval: np.ndarray, *, structured: bool = False
) -> list[str]:
    """The default metric names for ``task``: `headline_metric` first, then the task's other
    defaults (exploratory).

    >>> import numpy as np
    >>> choose_metrics("count", None, None, np.array([0.0, 2.0, 5.0]))
    ['rmse', 'poisson_deviance', 'mae', 'r2', 'msle']
    >>> choose_metrics("regression", Intent("median"), None, np.array([-1.0, 2.0]))
    ['mae', 'rmse', 'r2']
    """
    head = get_metric(headline_metric(task, intent, costs, structured=structured)).name
    if structured or task in ("survival", "ranking"):
        names = default_metrics(task, predict=predict_spec(intent), structured=structured)
    else:
        names = default_metrics(task, predict=predict_spec(intent), costs=costs, y=y_eval)
    return [head, *[n for n in names if get_metric(n).name != head]]
