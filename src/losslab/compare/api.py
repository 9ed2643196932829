"""`compare`: cross-validate candidate losses on a data set with fixed metrics and honest statistics.

`compare` chains four steps, each a function of its own module with a small typed result:

1. **plan** (`losslab.compare.setup.plan_experiment` → `Experiment`): inputs checked, task,
   candidates, metrics, folds, ``"auto"`` parameters fitted per fold, the task list;
2. **run** (`losslab.compare.run.run_plan` → `RunResult`): tasks not in the store fitted and
   predicted in this process, with joblib or on Dask, each stored as it finishes;
3. **score** (`losslab.compare.score.Scorer`, `collect_scores` → `Scores`): metrics per fold;
4. **summarise** (`losslab.compare.summary.summarise` → `Comparison`): leaderboard and tests.
"""

from __future__ import annotations

import json
import os
import warnings
from time import perf_counter
from typing import Any

from .result import Comparison, PartialResultWarning, write_results
from .run import parallelism, run_plan
from .score import Scorer, collect_scores
from .setup import DESIGN_FILE, plan_experiment
from .store import Store, atomic_write_text
from .summary import summarise

__all__ = ["Comparison", "compare"]


def compare(
    data: Any,
    target: str | None = None,
    losses: Any = None,
    models: Any = ("linear", "gbdt"),
    cv: Any = None,
    repeats: int | None = None,
    metrics: Any = None,
    n_jobs: int = 1,
    seed: int = 0,
    out: str | os.PathLike[str] | None = None,
    scheduler: Any = None,
    costs: dict[str, float] | str | None = None,
    predict: str | None = None,
    progress: Any = None,
    *,
    task: str | None = None,
    top: int = 3,
    model_params: dict[str, Any] | None = None,
    alpha: float = 0.05,
    rope: dict[str, float] | None = None,
    threads: int | None = None,
    retry_failed: bool = False,
    advice: Any = None,
    keep_columns: Any = (),
    groups: str | None = None,
    exposure: str | None = None,
    budget: float | None = None,
    time: str | None = None,
    event: str | None = None,
    levels: Any = None,
) -> Comparison:
    """Cross-validate candidate losses on ``data`` and compare them with paired statistics.

    Parameters
    ----------
    data : DataFrame or path
        A table (CSV/TSV/Parquet path, DataFrame or dict of columns) holding the target column.
    target : str
        The target column.
    losses : list, optional
        Loss names, specs (``"huber:delta=auto"``), dicts or `Loss` instances. A parameter given as
        ``"auto"`` is fitted by its declared rule on each fold's training rows. Default: up to
        ``top`` registered losses for the task that estimate what ``predict`` asks for (the mean,
        or probabilities) and admit the targets (`losslab.compare.defaults.candidate_losses`); the
        ``losslab compare`` command and the demo pass the advisor's picks instead.
    models : sequence of str
        Models of `losslab.sklearn`'s estimators (``"linear"``, ``"gbdt"`` LightGBM, ``"mlp"``);
        every loss is trained with every model. An intercept-only ``"constant"`` candidate for the
        headline metric's own loss is always added (is any model better than the constant?).
    cv : int or splitter, optional
        Folds (stratified for classification) or a scikit-learn splitter. With neither ``cv`` nor
        ``repeats`` the design is chosen for power within ``budget``
        (`losslab.compare.design.choose_design`: 5–10 folds × 1–5 repeats, from the time of one
        fit per model measured on a first training fold); ``cv`` alone: 1 repeat.
    repeats : int, optional
        Repetitions of k-fold with different shuffles (``RepeatedStratifiedKFold``/``RepeatedKFold``);
        alone: 5 folds.
    metrics : list of str, optional
        Evaluation metrics (see `losslab.metrics.METRICS`; ``"pinball:0.9"`` sets τ); the
        first is the headline (confirmatory) metric that ranks, the others are exploratory.
        Default: the headline metric of what ``predict`` asks for (mean → RMSE, median → MAE,
        quantile τ → pinball τ, probability → log loss, costs → expected cost;
        `losslab.compare.defaults.headline_metric`), then the task's other metrics.
    n_jobs : int
        Parallel tasks with joblib (loky processes; ``-1`` for every core). Each task then runs on
        one thread.
    seed : int
        Folds and model initialisations derive from it.
    out : path, optional
        Results store: each finished task is saved there atomically and reused by a re-run with
        the same settings; ``leaderboard.csv`` and ``results.json`` are written at the end.
    scheduler : str or dask.distributed.Client, optional
        Run the tasks on a Dask cluster (``"tcp://host:8786"`` or a client); the data is scattered
        to the workers once.
    costs : dict, optional
        ``{"fp": c_fp, "fn": c_fn}`` (binary): labels use the threshold c_fp/(c_fp + c_fn) and
        ``expected_cost`` becomes the headline metric.
    predict : str, optional
        What to predict (``"mean"``, ``"median"``, ``"quantile:0.9"``, ``"probability"``; see
        `losslab.intent.parse_predict`); sets the default losses and metrics.
    progress : callable, optional
        ``progress(done, total, record)``, called as tasks finish (``record`` None for the first call).
    task : str, optional
        Override the task inference (`losslab.tasks.infer_task`).
    top : int
        Number of default losses to compare when ``losses`` is None.
    model_params : dict, optional
        Extra estimator settings shared by every candidate (``epochs``, ``lr``, ``hidden`` …).
    alpha : float
        Family-wise error rate of the "worse" marks: corrected t-tests over all pairs of
        candidates, Holm-adjusted together (`losslab.compare.design.compare_to_best`).
    rope : dict, optional
        Half-width of the region of practical equivalence per metric, in the metric's units
        (``{"rmse": 0.5}``); default per metric from the metrics table (`losslab.metrics.Rope`).
    threads : int, optional
        Threads per task; default 1 when tasks run in parallel or on Dask, else the library default.
    retry_failed : bool
        Re-run tasks the store holds as failed.
    advice : object, optional
        The advisor's `Advice` behind the candidates, kept in the result (report, ``results.json``).
    keep_columns : list of str
        Columns to keep although they look like row identifiers; every other identifier-like
        column is dropped, and said so in ``Comparison.warnings`` (see `losslab.hygiene`).
    groups : str, optional
        A column of group labels (patient, firm, query …): the folds keep each group whole
        (`GroupKFold`, `StratifiedGroupKFold` for classes). Not a feature.
    exposure : str, optional
        A column of positive exposures (time at risk, population) for count and rate targets: the
        models fit y/exposure with sample weight exposure (exactly Poisson with offset
        log(exposure)) and their predictions are multiplied by the exposure before scoring. Not
        a feature.
    budget : float, optional
        Seconds the cross-validation may take when ``cv`` and ``repeats`` are not given (default
        `losslab.compare.design.DEFAULT_BUDGET_SECONDS`, 30: ``losslab demo`` then runs 10 × 3).
    time, event : str, optional
        A survival target: the column of times (> 0; ``target`` may name it instead) and the
        column of event flags (1 observed, 0 censored). The folds are stratified by the event;
        the candidates are the survival losses; the headline metric is Harrell's C-index.
    levels : list of str or int, optional
        An ordinal target with declared levels: their names in order (``["low", "mid", "high"]``
        or ``"low,mid,high"``), or a number k of integer codes 0 … k−1. The candidates are the
        ordinal losses; the folds are stratified by level; the headline metric is the ordinal log
        loss (MAE on the levels with ``predict="median"``). Without levels an ordered target is
        the ``"ordinal"`` regression subtype. A ranking target is ``task="ranking"`` with the
        relevance column as ``target`` and the query column as ``groups`` (the folds keep
        queries whole); its headline metric is NDCG@10. See docs/compare.md.

    Returns
    -------
    Comparison
        With ``partial=True`` (and a `PartialResultWarning`) when more than 10% of the tasks
        failed or a candidate failed on every fold; it is returned, not raised.

    Raises
    ------
    DataError
        Missing target, unreadable data, a loss or metric that does not fit the task, too few rows
        per class for the folds, a store of a format this losslab does not read, an ``out`` in use
        by another live run (`losslab.compare.store.StoreLockedError`) — all before anything is
        written.

    Examples
    --------
    >>> import numpy as np, pandas as pd, losslab
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"x": rng.normal(size=40)}).assign(y=lambda d: 2 * d.x + rng.normal(size=40))
    >>> cmp = losslab.compare(frame, target="y", losses=["mse", "huber:delta=auto"], models="linear",
    ...                       cv=3, model_params={"epochs": 3}, task="regression")
    >>> [c.name for c in cmp.candidates]
    ['mse/linear', 'huber(delta=per-fold)/linear', 'mse/constant']
    """
    t_start = perf_counter()
    n_jobs, threads = parallelism(n_jobs, scheduler, threads)
    exp = plan_experiment(
        data,
        target,
        losses=losses,
        models=models,
        cv=cv,
        repeats=repeats,
        budget=budget,
        n_jobs=n_jobs,
        threads=threads,
        metrics=metrics,
        seed=seed,
        costs=costs,
        predict=predict,
        task=task,
        top=top,
        model_params=model_params,
        out=out,
        advice=advice,
        keep_columns=keep_columns,
        groups=groups,
        exposure=exposure,
        time=time,
        event=event,
        levels=levels,
    )
    scorer = Scorer.of(exp)
    t_planned = perf_counter()
    # ---- everything is valid: from here on files may be written --------------------------------
    store = Store(out) if out is not None else None
    try:  # the store stays locked until its results are written (released on any error too)
        ran = run_plan(
            exp.plan,
            exp.X,
            exp.y,
            score=scorer.score,
            out=store,
            n_jobs=n_jobs,
            scheduler=scheduler,
            threads=threads,
            retry_failed=retry_failed,
            progress=progress,
            exposure=exp.exposure,
        )
        t_run = perf_counter()
        scored = collect_scores(exp.plan, ran.records, ran.reused, scorer)
        sched = None if scheduler is None else str(getattr(scheduler, "scheduler", scheduler))
        result = summarise(exp, scored, alpha=alpha, rope=rope, run={"n_jobs": n_jobs, "scheduler": sched})
        t_end = perf_counter()
        result.timings = {
            "plan_seconds": t_planned - t_start,
            "run_seconds": ran.run_seconds,
            "store_seconds": ran.store_seconds,
            "summary_seconds": t_end - t_run,
            "write_seconds": 0.0,
            "total_seconds": t_end - t_start,
        }
        if ran.store is not None:
            if exp.config["design"].get("chosen"):  # a re-run reuses this design, hence the store
                atomic_write_text(ran.store.root / DESIGN_FILE, json.dumps(exp.config["design"], indent=1))
            write_results(result, ran.store.root)
            result.timings["write_seconds"] = perf_counter() - t_end
            result.timings["total_seconds"] = perf_counter() - t_start
    finally:
        if store is not None:
            store.close()
    if result.partial:  # returned, not raised: the user decides what a partial result is worth
        warnings.warn(result.failure_note(), PartialResultWarning, stacklevel=3)
    return result
