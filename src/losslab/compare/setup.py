"""Step 1 of `compare`, *plan*: check every input and fix the experiment before anything runs.

`plan_experiment` reads the table, settles the task, encodes the target, chooses candidate losses
and metrics (`losslab.compare.defaults` when not given), draws the folds, fits each candidate's
``"auto"`` parameters on each fold's training rows, and lays out the tasks (`build_plan`). It
raises `DataError` for bad input; nothing is written. Its `Experiment` is what the later steps
(run, score, summarise) read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core.errors import DataError
from .._core.params import auto_params
from ..intent import Costs, Intent, decision_threshold, parse_costs, parse_predict
from ..metrics import Metric, resolve_metrics
from ..tabular import read_table, split_target
from ..tasks import task_family
from .defaults import baseline_loss, candidate_losses, choose_metrics, loss_tasks
from .plan import Fold, Plan, build_plan, data_fingerprint, make_folds
from .spec import parse_loss

__all__ = ["Experiment", "Target", "encode_target", "fit_fold_losses", "merge_equivalent", "plan_experiment"]


@dataclass(frozen=True)
class Target:
    """The target column as the metrics read it: floats, or class indices into ``classes``."""

    name: str
    task: str
    family: str
    y_eval: np.ndarray = field(repr=False)
    classes: list[Any] | None = None


@dataclass
class Experiment:
    """Everything fixed before the run: data, target, candidates, metrics, folds and tasks."""

    X: Any = field(repr=False)
    y: Any = field(repr=False)
    target: Target
    losses: list[Any]
    metrics: list[Metric]
    folds: list[Fold] = field(repr=False)
    plan: Plan = field(repr=False)
    intent: Intent | None = None
    costs: Costs | None = None
    threshold: float = 0.5
    advice: Any = None
    config: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _classes(y: Any) -> list[Any]:
    values = list(dict.fromkeys(y.tolist()))
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def encode_target(y: Any, name: str, task: str) -> Target:
    """``y`` as floats (regression) or class indices 0..k−1 in sorted label order (classification).

    >>> import pandas as pd
    >>> t = encode_target(pd.Series(["yes", "no", "yes"]), "y", "binary")
    >>> t.classes, t.y_eval.tolist()
    (['no', 'yes'], [1, 0, 1])
    """
    family = task_family(task)
    if family == "classification":
        classes = _classes(y)
        if len(classes) < 2:
            raise DataError(f"target {name!r} has a single class {classes[0]!r}; nothing to classify.")
        if task == "binary" and len(classes) != 2:
            raise DataError(f"target {name!r} has {len(classes)} classes; a binary task needs 2.")
        lookup = {c: i for i, c in enumerate(classes)}
        y_eval = np.array([lookup[v] for v in y.tolist()], dtype=np.int64)
        return Target(name, task, family, y_eval, classes)
    try:
        y_eval = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"target {name!r} of a {task} task must be numeric; got dtype {y.dtype}.") from None
    return Target(name, task, family, y_eval)


def _as_losses(losses: Any, target: Target, intent: Intent | None, top: int, notes: list[str]) -> list[Any]:
    """The candidate losses, equivalent ones merged (`merge_equivalent`, a note in ``notes`` each)."""
    import losslab

    if losses is None:
        return merge_equivalent(candidate_losses(target.task, intent, target.y_eval, top), notes)
    if isinstance(losses, (str, dict, losslab.Loss)):
        losses = [losses]
    out = [losslab.get(parse_loss(spec) if isinstance(spec, str) else spec) for spec in losses]
    if not out:
        raise DataError("losses is empty; give at least one loss, or None for the task's defaults.")
    allowed = loss_tasks(target.task)
    for loss in out:
        if type(loss).INFO.task not in allowed:  # the class's task: an 'auto' parameter has no value yet
            fits = ", ".join(losslab.list_losses(task=allowed[0])[:12])
            raise DataError(
                f"loss {loss.name!r} is a {type(loss).INFO.task} loss; it does not fit the {target.task} "
                f"target {target.name!r}. Losses for {allowed[0]}: {fits}."
            )
    return merge_equivalent(out, notes)


def merge_equivalent(losses: list[Any], notes: list[str]) -> list[Any]:
    """``losses`` without those equivalent (`losslab.equivalent`: same minimiser) to an earlier
    one; a note per merge is appended to ``notes``. A loss with an ``"auto"`` parameter is kept:
    what it is equivalent to is known only once fitted.

    >>> import losslab
    >>> notes = []
    >>> merge_equivalent([losslab.get("poisson"), losslab.get("tweedie", power=1.0)], notes)
    [Poisson()]
    >>> notes
    ['tweedie(power=1) is poisson: ran once']
    """
    from .. import equivalent
    from .plan import loss_label

    kept: list[Any] = []
    for loss in losses:
        same = None
        if not auto_params(loss):
            same = next((k for k in kept if not auto_params(k) and equivalent(loss, k)), None)
        if same is None:
            kept.append(loss)
        else:
            notes.append(f"{loss_label(loss)} is {loss_label(same)}: ran once")
    return kept


def fit_fold_losses(
    losses: list[Any], y_eval: np.ndarray, folds: list[Fold], X: Any = None
) -> dict[tuple[int, int], list[Any]]:
    """Per (repeat, fold): the losses with their ``"auto"`` parameters fitted on the training rows
    only (target, and features ``X`` for rules that need a fitted mean, e.g. tweedie's power).

    >>> import losslab, numpy as np
    >>> from losslab.compare.plan import make_folds
    >>> y = np.arange(20.0) ** 2
    >>> per = fit_fold_losses([losslab.get("huber", delta="auto")], y, make_folds(y, "regression", 2))
    >>> len({round(ls[0].delta, 6) for ls in per.values()})
    2
    """

    def rows(idx: np.ndarray) -> Any:
        return None if X is None else (X.iloc[idx] if hasattr(X, "iloc") else X[idx])

    return {
        (f.repeat, f.fold): [loss.fit_auto(y_eval[f.train], rows(f.train)) for loss in losses] for f in folds
    }


def plan_experiment(
    data: Any,
    target: str | None,
    *,
    losses: Any = None,
    models: Any = ("linear", "gbdt"),
    cv: Any = 5,
    repeats: int = 1,
    metrics: Any = None,
    seed: int = 0,
    costs: Any = None,
    predict: str | None = None,
    task: str | None = None,
    top: int = 3,
    model_params: dict[str, Any] | None = None,
    headline: str | None = None,
    out: str | os.PathLike[str] | None = None,
    advice: Any = None,
) -> Experiment:
    """Validate the inputs of `compare` and fix the experiment (see the module docstring).

    The arguments are `compare`'s; ``losses`` may hold command-line specs (``"huber:delta=auto"``)
    and ``advice`` is only kept with the experiment.

    Raises
    ------
    DataError
        Missing target, unreadable data, a loss or metric that does not fit the task, too few rows
        per class for the folds, an ``out`` that is a file.
    """
    from pathlib import Path

    if target is None:
        raise DataError("compare needs target=: the name of the target column.")
    X, y = split_target(read_table(data), target)
    X, y = X.reset_index(drop=True), y.reset_index(drop=True)
    models = [models] if isinstance(models, str) else list(models)
    if not models:
        raise DataError("models must name at least one model (linear, gbdt, mlp).")
    for m in models:
        if not isinstance(m, str):
            raise DataError(f"models must be names such as 'linear' or 'mlp'; got {m!r}.")
    costs = parse_costs(costs)
    intent = parse_predict(predict)
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise DataError(f"out {str(out)!r} exists and is not a directory.")
    if task is None:
        from ..tasks import infer_task  # the one task inference, below compare

        task = infer_task(y).task
    tgt = encode_target(y, target, task)
    notes: list[str] = []
    loss_objs = _as_losses(losses, tgt, intent, top, notes)
    if costs and task != "binary":
        raise DataError(f"costs apply to binary targets; target {target!r} is {task}.")
    if metrics is None:
        metrics = choose_metrics(task, intent, costs, tgt.y_eval, headline)
    metric_objs = resolve_metrics(metrics, task)
    if tgt.classes is not None and isinstance(cv, int):
        counts = np.bincount(tgt.y_eval, minlength=len(tgt.classes))
        if 0 < counts.min() < cv:
            raise DataError(
                f"class {tgt.classes[int(counts.argmin())]!r} of target {target!r} has {int(counts.min())} "
                f"rows, fewer than the {cv} folds; use fewer folds or merge rare classes."
            )
    folds = make_folds(tgt.y_eval, tgt.family, cv, repeats, seed)
    fold_losses = None
    if any(auto_params(loss) for loss in loss_objs):
        fold_losses = fit_fold_losses(loss_objs, tgt.y_eval, folds, X)
    params = dict(model_params or {})
    threshold = decision_threshold(costs)
    base = {"data": data_fingerprint(X, y), "target": target, "task": task}
    plan = build_plan(
        # a candidate shows its "auto" parameters as fitted on all rows; its tasks use the fold's
        losses=[(loss.fit_auto(tgt.y_eval, X), bool(auto_params(loss))) for loss in loss_objs],
        models=models,
        folds=folds,
        family=tgt.family,
        seed=seed,
        base=base,
        model_params=params,
        fold_losses=fold_losses,
        classes=tgt.classes,
        threshold=threshold,
        # is any model better than the constant? the headline metric's own loss, intercept only
        baseline=baseline_loss(metric_objs[0], task, tgt.y_eval),
    )
    config = {
        "cv": cv if isinstance(cv, int) else repr(cv),
        "repeats": repeats,
        "n_folds": len(folds),
        "seed": seed,
        "models": models,
        "model_params": params,
        "costs": costs,
        "predict": predict,
        "threshold": threshold,
        "n_rows": len(y),
        "n_features": int(X.shape[1]),
        "data_fingerprint": base["data"],
    }
    return Experiment(
        X, y, tgt, loss_objs, metric_objs, folds, plan, intent, costs, threshold, advice, config, notes
    )
