"""Step 1 of `compare`, *plan*: check every input and fix the experiment before anything runs.

`plan_experiment` reads the table, settles the task, cleans the features (`clean_data`: the group
and exposure columns taken out, identifier columns dropped, suspected leaks and free text found by
`losslab.hygiene`), encodes the target, chooses candidate losses and metrics
(`losslab.compare.defaults` when not given), chooses the folds × repeats when the user gives
neither (`choose_cv`: the design with the most power that fits a time budget,
`losslab.compare.design.choose_design`), draws the folds (whole groups with ``groups``), fits each
candidate's ``"auto"`` parameters on each fold's training rows, and lays out the tasks
(`build_plan`). It raises `DataError` for bad input; nothing is written. Its `Experiment` is what
the later steps (run, score, summarise) read.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core.errors import DataError
from .._core.params import auto_params
from ..hygiene import Hygiene, check_features
from ..intent import Costs, Intent, decision_threshold, parse_costs, parse_predict
from ..metrics import Metric, resolve_metrics
from ..tabular import read_table, split_structured, split_target
from ..tasks import level_distribution, soft_label_mean, sorted_labels, structured_task, task_family
from .defaults import baseline_loss, candidate_losses, choose_metrics, loss_tasks, structured_candidates
from .design import DEFAULT_BUDGET_SECONDS, MIN_FOLDS, choose_design, design_seconds
from .plan import Fold, Plan, build_plan, data_fingerprint, digest, make_folds
from .spec import parse_loss

__all__ = [
    "Experiment",
    "Target",
    "choose_cv",
    "clean_data",
    "encode_target",
    "fit_fold_losses",
    "merge_equivalent",
    "merge_fitted",
    "plan_experiment",
]

#: a task in a worker takes longer than the lone probe fit (cores shared with other workers, a
#: fit per loss that stops at its own epoch, scoring and storing): 0.18 s probed against a median
#: of 0.37–0.62 s per task on diabetes with 2 workers. The budget is kept with this factor.
PROBE_FACTOR = 2.5

#: the file in ``out`` that keeps a chosen design, so that a re-run reuses it (and the store)
DESIGN_FILE = "design.json"


@dataclass(frozen=True)
class Target:
    """The target column as the metrics read it: floats, or class indices into ``classes``.

    A structured target (survival, ranking, ordinal with declared levels) keeps its
    `losslab.targets` object in ``structured``; ``y_eval`` then holds one number per row (the
    time, the relevance, the level code) and ``family`` is the task (the estimator it needs).
    """

    name: str
    task: str
    family: str
    y_eval: np.ndarray = field(repr=False)
    classes: list[Any] | None = None
    structured: Any = field(default=None, repr=False)


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
    hygiene: Hygiene | None = None
    notes: list[str] = field(default_factory=list)
    groups: np.ndarray | None = field(default=None, repr=False)
    exposure: np.ndarray | None = field(default=None, repr=False)

    @property
    def warnings(self) -> list[str]:
        """What the hygiene step dropped or suspects, one sentence each (terminal and report)."""
        return self.hygiene.warnings if self.hygiene is not None else []


def encode_target(y: Any, name: str, task: str) -> Target:
    """``y`` as floats (regression) or class indices 0..k−1 in sorted label order (classification).

    >>> import pandas as pd
    >>> t = encode_target(pd.Series(["yes", "no", "yes"]), "y", "binary")
    >>> t.classes, t.y_eval.tolist()
    (['no', 'yes'], [1, 0, 1])
    """
    family = task_family(task)
    if family == "classification":
        classes = sorted_labels(y.tolist())
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

    if losses is None and target.structured is not None:
        return structured_candidates(target.family, top, notes)
    if losses is None:
        return merge_equivalent(candidate_losses(target.task, intent, target.y_eval, top), notes)
    if isinstance(losses, (str, dict, losslab.Loss)):
        losses = [losses]
    out = [losslab.get(parse_loss(spec) if isinstance(spec, str) else spec) for spec in losses]
    if not out:
        raise DataError("losses is empty; give at least one loss, or None for the task's defaults.")
    allowed = (target.family,) if target.structured is not None else loss_tasks(target.task)
    levels = target.task == "ordinal" and target.structured is None  # numeric levels, no declared ones
    for loss in out:
        task = type(loss).INFO.task  # the class's task: an 'auto' parameter has no value yet
        if task not in allowed or (
            (target.task == "proportion" and task != "regression" and not soft_label_mean(loss))
            or (levels and task != "regression" and not level_distribution(loss))
        ):
            fits = ", ".join(losslab.list_losses(task=allowed[0])[:12])
            raise DataError(
                f"loss {loss.name!r} is a {type(loss).INFO.task} loss; it does not fit the {target.task} "
                f"target {target.name!r}. Losses for {allowed[0]}: {fits}."
            )
        if levels and task != "regression" and intent is not None and intent.kind != "mean":
            raise DataError(
                f"loss {loss.name!r} fits a distribution over the levels of ordinal target {target.name!r}, "
                f"and compare scores its mean level; the {intent.kind} intent needs a regression loss "
                f"of the {intent.kind}."
            )
    return merge_equivalent(out, notes)


def merge_equivalent(losses: list[Any], notes: list[str]) -> list[Any]:
    """``losses`` without duplicates under `losslab.equivalent` (same minimiser); of two
    equivalent losses the canonical one stays (``mse`` rather than ``expectile(0.5)``), in the
    place of the first. A note per merge is appended to ``notes``. A loss with an ``"auto"``
    parameter is kept: what it is equivalent to is known only once fitted.

    >>> import losslab
    >>> notes = []
    >>> merge_equivalent([losslab.get("poisson"), losslab.get("tweedie", power=1.0)], notes)
    [Poisson()]
    >>> notes
    ['tweedie(power=1) is poisson: ran once']
    >>> merge_equivalent([losslab.get("expectile"), losslab.get("mse")], notes)
    [MSE()]
    """
    from .._core.equivalence import canonical, equivalent
    from .plan import loss_label

    def is_canonical(loss: Any) -> bool:
        return bool(canonical(loss)[0] == loss)

    kept: list[Any] = []
    for loss in losses:
        same = None
        if not auto_params(loss):
            same = next((k for k in kept if not auto_params(k) and equivalent(loss, k)), None)
        if same is None:
            kept.append(loss)
            continue
        if is_canonical(loss) and not is_canonical(same):
            kept[kept.index(same)] = loss
            loss, same = same, loss
        notes.append(f"{loss_label(loss)} is {loss_label(same)}: ran once")
    return kept


def merge_fitted(
    losses: list[Any], per_fold: dict[tuple[int, int], list[Any]], notes: list[str]
) -> tuple[list[Any], dict[tuple[int, int], list[Any]]]:
    """Drop a candidate with ``"auto"`` parameters whose fit is, on every fold, equivalent to one
    and the same other candidate (e.g. ``tweedie(power=auto)`` fitted to 1 everywhere is
    ``poisson``): it would run the same model twice. A note says so.

    >>> import losslab
    >>> losses = [losslab.get("poisson"), losslab.get("tweedie", power="auto")]
    >>> per = {(0, 0): [losses[0], losslab.get("tweedie", power=1.0)]}
    >>> notes = []
    >>> kept, per = merge_fitted(losses, per, notes)
    >>> kept, notes
    ([Poisson()], ['tweedie(power=auto) was fitted to poisson on every fold: ran once'])
    """
    from .._core.equivalence import equivalent
    from .plan import loss_label

    drop: set[int] = set()
    for i, loss in enumerate(losses):
        if not auto_params(loss):
            continue
        for j in range(len(losses)):
            if j == i or j in drop:
                continue
            if all(equivalent(fl[i], fl[j]) for fl in per_fold.values()):
                drop.add(i)
                notes.append(
                    f"{loss_label(loss)} was fitted to {loss_label(losses[j])} on every fold: ran once"
                )
                break
    if not drop:
        return losses, per_fold
    keep = [i for i in range(len(losses)) if i not in drop]
    return [losses[i] for i in keep], {k: [fl[i] for i in keep] for k, fl in per_fold.items()}


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


def _role_column(X: Any, name: str | None, flag: str, target: str) -> Any:
    """The column ``name`` of ``X`` given by ``flag`` (``--groups``, ``--exposure``), or None."""
    if name is None:
        return None
    if name == target:
        raise DataError(f"{flag} {name!r} is the target column; name another column.")
    if name not in X.columns:
        cols = ", ".join(map(repr, list(X.columns)[:12])) + (" …" if X.shape[1] > 12 else "")
        raise DataError(f"{flag} column {name!r} is not in the table; its columns are {cols}.")
    return X[name]


def clean_data(
    X: Any,
    y: Any,
    *,
    target: str,
    task: str,
    n_read: int,
    keep_columns: Any = (),
    groups: str | None = None,
    exposure: str | None = None,
) -> tuple[Any, Any, np.ndarray | None, np.ndarray | None, Hygiene]:
    """The hygiene step of the plan: ``(X, y, groups, exposure, hygiene)`` with a 0..n−1 index.

    The ``groups`` and ``exposure`` columns leave the features (a group label is not a predictor;
    the exposure enters as offset and weight, `losslab.compare.run`); identifier columns are dropped
    unless named in ``keep_columns``; suspected leaks and free text are found and kept
    (`losslab.hygiene.check_features`). ``n_read`` is the table's row count before rows with a
    missing target were left out.

    Raises
    ------
    DataError
        A group or exposure column that is missing, the target, or given twice; missing group
        labels; an exposure that is not a positive number in every row; an exposure for a
        classification target.
    """
    import pandas as pd

    if groups is not None and groups == exposure:
        raise DataError(f"--groups and --exposure both name column {groups!r}; they are different roles.")
    g = _role_column(X, groups, "--groups", target)
    e = _role_column(X, exposure, "--exposure", target)
    g_arr = e_arr = None
    if g is not None:
        if bool(g.isna().any()):
            raise DataError(
                f"--groups column {groups!r} is missing in {int(g.isna().sum())} of {len(g)} rows; every row "
                "needs a group."
            )
        g_arr = g.to_numpy()
    if e is not None:
        if task_family(task) == "classification":
            raise DataError(f"--exposure applies to count and rate targets; target {target!r} is {task}.")
        values = pd.to_numeric(e, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"--exposure column {exposure!r} must be a positive number in every row; {int(bad.sum())} of "
                f"{len(values)} rows are not (e.g. {e.iloc[first]!r} in row {e.index[first]!r})."
            )
        e_arr = values
    features = X.drop(columns=[c for c in (groups, exposure) if c is not None])
    if features.shape[1] == 0:
        raise DataError(
            f"the table has no feature columns besides the target {target!r} and the --groups/--exposure "
            "columns."
        )
    features, y = features.reset_index(drop=True), y.reset_index(drop=True)
    hygiene = check_features(
        features,
        y,
        classification=task_family(task) == "classification",
        keep_columns=keep_columns,
        rows_missing_target=n_read - len(y),
        target=target,
    )
    return hygiene.X, y, g_arr, e_arr, hygiene


def _probe_seconds(
    losses: list[Any],
    models: list[str],
    tgt: Target,
    X: Any,
    y: Any,
    seed: int,
    params: dict[str, Any],
    threshold: float,
    threads: int | None,
) -> float:
    """Mean wall time of fitting and predicting one fold, one fit per model (the first loss)."""
    import time

    from .run import run_task

    fold = make_folds(tgt.y_eval, tgt.family, 5, 1, seed)[0]
    loss = losses[0].fit_auto(tgt.y_eval[fold.train])
    probe = build_plan(
        losses=[(loss, False)], models=models, folds=[fold], family=tgt.family, seed=seed,
        base={"probe": True}, model_params=params, classes=tgt.classes, threshold=threshold,
    )  # fmt: skip
    from dataclasses import replace

    # the first fit in a process pays for imports (torch, scikit-learn): a small warm-up fit first
    run_task(replace(probe.tasks[0], train=fold.train[: max(20, fold.train.size // 20)]), X, y, threads)
    times = []
    for spec in probe.tasks:
        t0 = time.perf_counter()
        run_task(spec, X, y, threads=threads)
        times.append(time.perf_counter() - t0)
    return PROBE_FACTOR * float(np.mean(times))


def choose_cv(
    cv: Any,
    repeats: int | None,
    *,
    n_rows: int,
    n_candidates: int,
    budget: float | None,
    n_jobs: int,
    probe: Any,
    cached: dict[str, Any] | None = None,
) -> tuple[Any, int, dict[str, Any]]:
    """``(cv, repeats, design)``: the user's folds and repeats, or the default design.

    When the user sets neither, `choose_design` picks them for ``budget`` seconds (default
    `DEFAULT_BUDGET_SECONDS`) from ``probe()``, the measured seconds of one fit; a ``cached``
    design (same key, from an earlier run on the same ``out``) is reused without measuring. Only
    ``cv`` given: 1 repeat; only ``repeats`` given: 5 folds.

    >>> choose_cv(None, None, n_rows=300, n_candidates=6, budget=45, n_jobs=2, probe=lambda: 0.5)[:2]
    (10, 3)
    >>> choose_cv(3, None, n_rows=300, n_candidates=6, budget=None, n_jobs=1, probe=None)[:2]
    (3, 1)
    """
    if cv is not None or repeats is not None:
        return (5 if cv is None else cv), (1 if repeats is None else int(repeats)), {"chosen": False}
    budget = DEFAULT_BUDGET_SECONDS if budget is None else budget
    if not (isinstance(budget, (int, float)) and np.isfinite(budget) and budget > 0):
        raise DataError(f"budget must be a positive number of seconds; got {budget!r}.")
    if cached and cached.get("budget") == budget and cached.get("n_jobs") == n_jobs:
        spf = float(cached["seconds_per_fit"])
    else:
        spf = max(float(probe()), 1e-3)
    folds, reps = choose_design(n_rows, spf, n_candidates, float(budget), max(int(n_jobs), 1))
    design = {
        "chosen": True,
        "budget": budget,
        "n_jobs": n_jobs,
        "seconds_per_fit": spf,
        "folds": folds,
        "repeats": reps,
        "expected_seconds": design_seconds(folds, reps, n_candidates, spf, max(int(n_jobs), 1)),
    }
    return folds, reps, design


def _cached_design(out: Any, key: str) -> dict[str, Any] | None:
    import json
    from pathlib import Path

    if out is None:
        return None
    path = Path(out) / DESIGN_FILE
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) and saved.get("key") == key else None


def plan_experiment(
    data: Any,
    target: str | None,
    *,
    losses: Any = None,
    models: Any = ("linear", "gbdt"),
    cv: Any = None,
    repeats: int | None = None,
    budget: float | None = None,
    n_jobs: int = 1,
    threads: int | None = None,
    metrics: Any = None,
    seed: int = 0,
    costs: Any = None,
    predict: str | None = None,
    task: str | None = None,
    top: int = 3,
    model_params: dict[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    advice: Any = None,
    keep_columns: Any = (),
    groups: str | None = None,
    exposure: str | None = None,
    time: str | None = None,
    event: str | None = None,
    levels: Any = None,
) -> Experiment:
    """Validate the inputs of `compare` and fix the experiment (see the module docstring).

    The arguments are `compare`'s; ``losses`` may hold command-line specs (``"huber:delta=auto"``)
    and ``advice`` is only kept with the experiment. ``keep_columns``, ``groups`` and ``exposure``
    go to the hygiene step, `clean_data`.
    Without ``cv`` and ``repeats`` one fit per
    model is timed on a first training fold to choose the design (`choose_cv`; recorded in
    ``config["design"]``, and reused from ``out/design.json`` by a re-run).

    Raises
    ------
    DataError
        Missing target, unreadable data, a loss or metric that does not fit the task, too few rows
        per class for the folds, an ``out`` that is a file.
    """
    from pathlib import Path

    if time is None and event is not None and task in (None, "survival"):
        time = target  # the target column is the time
    stask = structured_task(task, time=time, event=event, group=groups, levels=levels)
    if stask is not None:
        return _plan_structured(
            data, stask, target=target, time=time, event=event, groups=groups, levels=levels,
            losses=losses, models=models, cv=cv, repeats=repeats, n_jobs=n_jobs, metrics=metrics,
            seed=seed, costs=costs, exposure=exposure, predict=predict, top=top, model_params=model_params,
            out=out, advice=advice, keep_columns=keep_columns,
        )  # fmt: skip
    if target is None:
        raise DataError("compare needs target=: the name of the target column.")
    frame = read_table(data)
    X, y = split_target(frame, target)
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
    X, y, group_labels, exposure_values, hygiene = clean_data(
        X,
        y,
        target=target,
        task=task,
        n_read=len(frame),
        keep_columns=keep_columns,
        groups=groups,
        exposure=exposure,
    )
    tgt = encode_target(y, target, task)
    # with an exposure the models fit the rate y/exposure; "auto" parameters are fitted to it too
    y_fit = tgt.y_eval if exposure_values is None else tgt.y_eval / exposure_values
    notes: list[str] = []
    loss_objs = _as_losses(losses, tgt, intent, top, notes)
    if costs and task != "binary":
        raise DataError(f"costs apply to binary targets; target {target!r} is {task}.")
    if metrics is None:
        metrics = choose_metrics(task, intent, costs, tgt.y_eval)
    metric_objs = resolve_metrics(metrics, task)
    params = dict(model_params or {})
    threshold = decision_threshold(costs)
    base = {"data": data_fingerprint(X, y), "target": target, "task": task}
    if exposure_values is not None:  # the exposure changes every fit: it enters each task's key
        base["exposure"] = [exposure, hashlib.sha256(exposure_values.tobytes()).hexdigest()[:20]]
    design_key = digest(
        {
            **base,
            "losses": [lo.to_dict() for lo in loss_objs],
            "models": models,
            "params": params,
            "seed": seed,
        }
    )
    cv, repeats, design = choose_cv(
        cv,
        repeats,
        n_rows=len(y),
        n_candidates=len(loss_objs) * len(models),
        budget=budget,
        n_jobs=n_jobs,
        probe=lambda: _probe_seconds(loss_objs, models, tgt, X, y, seed, params, threshold, threads),
        cached=_cached_design(out, design_key),
    )
    design["key"] = design_key
    if design["chosen"] and tgt.classes is not None:
        # stratified folds need every class in every fold: a rare class caps the chosen folds
        rarest = int(np.bincount(tgt.y_eval, minlength=len(tgt.classes)).min())
        if rarest < cv:
            cv = design["folds"] = max(MIN_FOLDS, rarest)
    if tgt.classes is not None and isinstance(cv, int):
        counts = np.bincount(tgt.y_eval, minlength=len(tgt.classes))
        if 0 < counts.min() < cv:
            raise DataError(
                f"class {tgt.classes[int(counts.argmin())]!r} of target {target!r} has {int(counts.min())} "
                f"rows, fewer than the {cv} folds; use fewer folds or merge rare classes."
            )
    folds = make_folds(tgt.y_eval, tgt.family, cv, repeats, seed, groups=group_labels)
    fold_losses = None
    if any(auto_params(loss) for loss in loss_objs):
        fold_losses = fit_fold_losses(loss_objs, y_fit, folds, X)
        loss_objs, fold_losses = merge_fitted(loss_objs, fold_losses, notes)
    plan = build_plan(
        # a candidate shows its "auto" parameters as fitted on all rows; its tasks use the fold's
        losses=[(loss.fit_auto(y_fit, X), bool(auto_params(loss))) for loss in loss_objs],
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
        "groups": groups,
        "exposure": exposure,
        "hygiene": hygiene.to_dict(),
        "design": design,
    }
    return Experiment(
        X,
        y,
        tgt,
        loss_objs,
        metric_objs,
        folds,
        plan,
        intent,
        costs,
        threshold,
        advice,
        config,
        hygiene=hygiene,
        notes=notes,
        groups=group_labels,
        exposure=exposure_values,
    )


#: the models `losslab.compare` trains on a structured target (`losslab.sklearn.structured`)
STRUCTURED_MODELS = ("linear",)


def _plan_structured(
    data: Any,
    task: str,
    *,
    target: str | None,
    time: str | None,
    event: str | None,
    groups: str | None,
    levels: Any,
    losses: Any,
    models: Any,
    cv: Any,
    repeats: int | None,
    n_jobs: int,
    metrics: Any,
    seed: int,
    costs: Any,
    exposure: str | None,
    predict: str | None,
    top: int,
    model_params: dict[str, Any] | None,
    out: Any,
    advice: Any,
    keep_columns: Any,
) -> Experiment:
    """`plan_experiment` for a structured target: survival (``time``, ``event``), ranking
    (relevance ``target``, query column ``groups``) or ordinal (``target`` with ``levels``).

    The folds keep what the target needs: stratified by the event flag (survival: every fold
    has events), whole queries (ranking: `GroupKFold` on the query column), stratified by level
    (ordinal); with ``groups`` for survival or ordinal rows, whole groups as well
    (`StratifiedGroupKFold`). Without ``cv``/``repeats``: 5 folds, 1 repeat. Models: ``"linear"`` (the default
    ``("linear", "gbdt")`` becomes ``("linear",)``, with a note); the ``"constant"`` baseline
    is the first candidate's best constant score.
    """
    import hashlib
    from pathlib import Path

    import pandas as pd

    if exposure is not None:
        raise DataError(f"--exposure applies to count and rate targets; this {task} target takes none.")
    if parse_costs(costs):
        raise DataError(f"costs apply to binary targets; this target is {task}.")
    intent = parse_predict(predict)
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise DataError(f"out {str(out)!r} exists and is not a directory.")
    frame = read_table(data)
    X, ystruct, y_eval, name = split_structured(
        frame, task, target=target, time=time, event=event, group=groups, levels=levels
    )
    notes: list[str] = []
    models = [models] if isinstance(models, str) else list(models)
    if models == ["linear", "gbdt"]:
        models = ["linear"]
        notes.append(
            f"the {task} target is fitted with the linear model (boost its loss with losslab.lightgbm)"
        )
    bad = [m for m in models if m not in STRUCTURED_MODELS]
    if bad or not models:
        raise DataError(f"the {task} target is fitted with models {list(STRUCTURED_MODELS)}; got {models}.")
    # survival and ordinal rows may come in groups (patients): folds keep them whole, too
    other_groups = groups if task != "ranking" else None
    X, _, group_labels, _, hygiene = clean_data(
        X,
        pd.Series(y_eval, name=name),
        target=name,
        task="regression",
        n_read=len(frame),
        keep_columns=keep_columns,
        groups=other_groups,
    )
    classes = None
    if task == "ordinal":
        k = ystruct.n_levels
        classes = list(ystruct.levels) if not isinstance(ystruct.levels, int) else list(range(k))
    tgt = Target(name, task, task, y_eval, classes=None, structured=ystruct)
    loss_objs = _as_losses(losses, tgt, intent, top, notes)
    structured = task == "ordinal"
    if metrics is None:
        metrics = choose_metrics(task, intent, None, y_eval, structured=structured)
    metric_objs = resolve_metrics(metrics, task)
    params = dict(model_params or {})
    fields = ystruct.numpy()
    base = {
        "data": data_fingerprint(X, y_eval),
        "target": name,
        "task": task,
        "structured": hashlib.sha256(
            b"".join(np.ascontiguousarray(v).tobytes() for v in fields.values())
        ).hexdigest()[:20],
    }
    cv = 5 if cv is None else cv
    repeats = 1 if repeats is None else int(repeats)
    if task == "survival":
        folds = make_folds(fields["event"], "classification", cv, repeats, seed, groups=group_labels)
    elif task == "ranking":
        folds = make_folds(y_eval, "ranking", cv, repeats, seed, groups=fields["group"])
    else:
        folds = make_folds(fields["label"], "classification", cv, repeats, seed, groups=group_labels)
    plan = build_plan(
        losses=[(loss, False) for loss in loss_objs], models=models, folds=folds, family=task, seed=seed,
        base=base, model_params=params, baseline=loss_objs[0],
    )  # fmt: skip
    config = {
        "cv": cv if isinstance(cv, int) else repr(cv), "repeats": repeats, "n_folds": len(folds),
        "seed": seed,
        "models": models, "model_params": params, "costs": None, "predict": predict, "threshold": 0.5,
        "n_rows": len(y_eval), "n_features": int(X.shape[1]), "data_fingerprint": base["data"],
        "groups": groups, "exposure": None, "time": time, "event": event,
        "levels": list(classes) if classes is not None else None, "hygiene": hygiene.to_dict(),
        "design": {"chosen": False},
    }  # fmt: skip
    return Experiment(
        X, ystruct, tgt, loss_objs, metric_objs, folds, plan, intent, None, 0.5, advice, config,
        hygiene=hygiene, notes=notes, groups=fields["group"] if task == "ranking" else group_labels,
    )  # fmt: skip
