"""`compare`: cross-validate candidate losses on a data set with fixed metrics and honest statistics."""

from __future__ import annotations

import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import DataError, LosslabError
from ..metrics import Metric, MetricUndefined, Predictions, default_metrics, resolve_metrics
from ..tabular import read_table, split_target
from ..tasks import infer_task, task_family
from .plan import Candidate, Fold, Plan, TaskSpec, build_plan, data_fingerprint, make_folds
from .spec import parse_costs
from .stats import summarize
from .store import Store, atomic_write_text, to_json

__all__ = ["Comparison", "compare"]

SCHEMA = "losslab.compare/1"


@dataclass
class Comparison:
    """The result of `compare`.

    Attributes
    ----------
    leaderboard : DataFrame
        One row per candidate (loss/model), best first by the headline metric (``metrics[0]``):
        ``rank``, ``candidate``, ``loss``, ``model``, ``mark`` ("best", "≈ best" practically
        equivalent, "n.s." not significantly different, "worse" significantly worse after Holm,
        "n/a"), each metric's mean and ``{metric}_std`` over folds, then ``delta``, ``p_value``,
        ``p_holm``, ``p_rope`` of the headline metric against the best, ``n_folds``, ``n_failed``
        and ``fit_seconds`` (mean per fold).
    tests : DataFrame
        The paired tests for every metric (see `losslab.compare.stats.summarize`).
    scores : DataFrame
        Per-fold scores, long form: ``candidate, loss, model, repeat, fold, metric, value, reason,
        n_train, n_test, task_id``. A metric that cannot be computed on a fold is NaN with its reason.
    failures : DataFrame
        Failed tasks: ``task_id, candidate, repeat, fold, error_type, message``.
    oof : dict
        Per candidate, pooled out-of-fold predictions of repeat 0: ``index``, ``y_true`` and
        ``value`` (regression) or ``proba``/``label`` (classification).
    histories : dict
        Per candidate, a list of ``{"repeat", "fold", "history"}`` learning curves.
    paths : dict
        Files written (``out``, ``tasks``, ``leaderboard``, ``results``), empty without ``out``.
    """

    task: str
    family: str
    target: str
    metrics: list[Metric]
    candidates: list[Candidate]
    leaderboard: Any
    tests: Any
    scores: Any
    failures: Any
    oof: dict[str, dict[str, np.ndarray]]
    histories: dict[str, list[dict[str, Any]]]
    advice: Any = None
    classes: list[Any] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    fingerprint: str = ""

    @property
    def best(self) -> str:
        """Name of the best candidate by the headline metric (``"none"`` if no candidate has a score)."""
        best = self.leaderboard.loc[self.leaderboard["mark"] == "best", "candidate"]
        return str(best.iloc[0]) if len(best) else "none"

    @property
    def n_reused(self) -> int:
        """Tasks taken from the results store instead of being run."""
        return sum(1 for t in self.tasks if t.get("reused"))

    def summary(self) -> str:
        """A plain-text summary: leaderboard (headline metric) and failures."""
        head = self.metrics[0]
        lines = [
            f"{self.task} target {self.target!r}: {len(self.candidates)} candidates × "
            f"{self.config.get('n_folds', '?')} folds; headline metric {head.name} ({head.direction})"
        ]
        for d in self.leaderboard.to_dict(orient="records"):
            mean, std, p = d.get(head.name), d.get(head.name + "_std"), d.get("p_value")
            rank = "—" if d["rank"] is None or d["rank"] != d["rank"] else str(int(d["rank"]))
            ptxt = "" if p is None or not np.isfinite(p) else f"  p={p:.3g}"
            lines.append(f"  {rank:>3}  {d['candidate']:<36} {mean:.4g} ± {std:.2g}  {d['mark']}{ptxt}")
        if len(self.failures):
            lines.append(f"{len(self.failures)} failed task(s):")
            for f in self.failures.itertuples(index=False):
                lines.append(f"  {f.candidate} r{f.repeat} f{f.fold}: {f.error_type}: {f.message}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Comparison(task={self.task!r}, best={self.best!r}, candidates={len(self.candidates)})"

    def to_dict(self) -> dict[str, Any]:
        """The ``results.json`` document (schema in ``docs/compare.md``)."""
        import losslab

        return to_json(
            {
                "schema": SCHEMA,
                "losslab_version": losslab.__version__,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "fingerprint": self.fingerprint,
                "task": self.task,
                "family": self.family,
                "target": self.target,
                "classes": self.classes,
                "config": self.config,
                "metrics": [
                    {"name": m.name, "direction": m.direction, "needs": m.needs, "description": m.description}
                    for m in self.metrics
                ],
                "candidates": [
                    {"name": c.name, "loss": c.loss, "model": c.model, "refit": c.refit}
                    for c in self.candidates
                ],
                "leaderboard": _records(self.leaderboard),
                "tests": _records(self.tests),
                "scores": _records(self.scores),
                "failures": _records(self.failures),
                "tasks": self.tasks,
                "advice": self.advice.to_dict() if self.advice is not None else None,
                "timings": self.timings,
                "paths": self.paths,
            }
        )


def _records(frame: Any) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0:
        return []
    return [to_json(r) for r in frame.to_dict(orient="records")]


# ------------------------------------------------------------------------------------------------
def compare(
    data: Any,
    target: str | None = None,
    losses: Any = None,
    models: Any = ("linear", "mlp"),
    cv: Any = 5,
    repeats: int = 1,
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
) -> Comparison:
    """Cross-validate candidate losses on ``data`` and compare them with paired statistics.

    Parameters
    ----------
    data : DataFrame or path
        A table (CSV/TSV/Parquet path, DataFrame or dict of columns) holding the target column.
    target : str
        The target column.
    losses : list, optional
        Loss names, dicts or `Loss` instances. Default: the advisor's ``top`` recommendations, whose
        data-chosen parameters are re-chosen on each training fold.
    models : sequence of str
        Models of `losslab.sklearn`'s estimators (``"linear"``, ``"mlp"``); every loss is trained
        with every model.
    cv : int or splitter
        Folds (stratified for classification) or a scikit-learn splitter.
    repeats : int
        Repetitions of k-fold with different shuffles (``RepeatedStratifiedKFold``/``RepeatedKFold``).
    metrics : list of str, optional
        Evaluation metrics (see `losslab.metrics.METRICS`; ``"pinball:0.9"`` sets τ); the
        first orders the leaderboard. Default: the advisor's headline metric, then the task's.
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
        What to predict, passed to the advisor (``"mean"``, ``"median"``, ``"quantile:0.9"``,
        ``"probability"``); sets the default metrics.
    progress : callable, optional
        ``progress(done, total, record)``, called as tasks finish (``record`` None for the first call).
    task : str, optional
        Override the advisor's task inference.
    top : int
        Number of advisor recommendations to compare when ``losses`` is None.
    model_params : dict, optional
        Extra estimator settings shared by every candidate (``epochs``, ``lr``, ``hidden`` …).
    alpha : float
        Significance level of the Holm-adjusted corrected t-tests.
    rope : dict, optional
        Half-width of the region of practical equivalence per metric (see `losslab.compare.stats`).
    threads : int, optional
        Threads per task; default 1 when tasks run in parallel or on Dask, else the library default.
    retry_failed : bool
        Re-run tasks the store holds as failed.

    Returns
    -------
    Comparison

    Raises
    ------
    DataError
        Missing target, unreadable data, a loss or metric that does not fit the task, too few rows
        per class for the folds — all before anything is written.
    """
    t_start = time.perf_counter()
    frame = read_table(data)
    if target is None:
        raise DataError("compare needs target=: the name of the target column.")
    X, y = split_target(frame, target)
    X = X.reset_index(drop=True)
    y = y.reset_index(drop=True)
    models = [models] if isinstance(models, str) else list(models)
    if not models:
        raise DataError("models must name at least one model (linear, mlp).")
    for m in models:
        if not isinstance(m, str):
            raise DataError(f"models must be names such as 'linear' or 'mlp'; got {m!r}.")
    costs = parse_costs(costs)
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise DataError(f"out {str(out)!r} exists and is not a directory.")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if not isinstance(n_jobs, int) or n_jobs < 1:
        raise DataError(f"n_jobs must be a positive integer or -1; got {n_jobs!r}.")

    advice = None
    if losses is None or task is None:
        from losslab.advise import advise

        frame_adv = X.assign(**{target: y})
        advice = advise(frame_adv, target=target, predict=predict, costs=costs, task=task)
    if task is None:
        task = infer_task(y).task  # the one task inference (losslab.tasks), as advise and train
    family = task_family(task)

    classes: list[Any] | None = None
    y_eval: np.ndarray
    if family == "classification":
        classes = _classes(y)
        lookup = {c: i for i, c in enumerate(classes)}
        y_eval = np.array([lookup[v] for v in y.tolist()], dtype=np.int64)
        if task == "binary" and len(classes) != 2:
            raise DataError(f"target {target!r} has {len(classes)} classes; a binary task needs 2.")
        if len(classes) < 2:
            raise DataError(f"target {target!r} has a single class {classes[0]!r}; nothing to classify.")
    else:
        try:
            y_eval = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(
                f"target {target!r} of a {task} task must be numeric; got dtype {y.dtype}."
            ) from None

    loss_objs = _candidate_losses(losses, advice, top, task, family, target)
    if costs and task != "binary":
        raise DataError(f"costs apply to binary targets; target {target!r} is {task}.")
    threshold = 0.5
    if costs:
        threshold = costs["fp"] / (costs["fp"] + costs["fn"])

    if metrics is None:
        pred_stat = predict or (advice.predict if advice is not None else None)
        names = default_metrics(task, predict=_quantile_spec(pred_stat), costs=costs, y=y_eval)
        if advice is not None and advice.recommendations and not costs and advice.recommendations[0].metrics:
            top_rec = advice.recommendations[0]
            head = top_rec.metrics[0]
            if head in ("pinball", "coverage"):  # the level: what to predict, else the top loss's
                spec = _quantile_spec(pred_stat) or ""
                tau = spec.partition(":")[2] if spec.startswith("quantile:") else None
                tau = tau or top_rec.loss.params.get("quantile")
                head = f"{head}:{float(tau):g}" if tau is not None else head
            elif head == "tweedie_deviance" and top_rec.loss.params.get("power") is not None:
                head = f"{head}:{float(top_rec.loss.params['power']):g}"  # full-data power, fixed for all
            try:
                resolve_metrics([head], task)
                names = [head, *[n for n in names if n != head]]
            except DataError:
                pass
        metrics = names
    metric_objs = resolve_metrics(metrics, task)

    if family == "classification" and isinstance(cv, int):
        counts = np.bincount(y_eval, minlength=len(classes or []))
        if 0 < counts.min() < cv:
            raise DataError(
                f"class {classes[int(counts.argmin())]!r} of target {target!r} has {int(counts.min())} rows, "  # type: ignore[index]
                f"fewer than the {cv} folds; use fewer folds or merge rare classes."
            )
    folds = make_folds(y_eval, family, cv, repeats, seed)
    fold_losses = None
    if any(refit for _, refit in loss_objs):
        fold_losses = _refit_losses(X, y, target, folds, loss_objs, predict, costs, task)
    base = {
        "data": data_fingerprint(X, y),
        "target": target,
        "task": task,
    }
    params = dict(model_params or {})
    plan = build_plan(
        losses=loss_objs,
        models=models,
        folds=folds,
        family=family,
        seed=seed,
        base=base,
        model_params=params,
        fold_losses=fold_losses,
        classes=classes,
        threshold=threshold,
    )
    if threads is None and (n_jobs > 1 or scheduler is not None):
        threads = 1
    t_planned = time.perf_counter()

    # ---- everything is valid: from here on files may be written --------------------------------
    store = Store(out) if out is not None else None
    if store is not None:
        store.open(plan.config, plan.fingerprint)
    records: dict[str, dict[str, Any]] = {}
    reused: set[str] = set()
    pending: list[TaskSpec] = []
    for spec in plan.tasks:
        rec = store.load(spec.id, spec.key) if store is not None else None
        if rec is not None and not (retry_failed and rec.get("status") != "ok"):
            records[spec.id] = rec
            reused.add(spec.id)
        else:
            pending.append(spec)
    total = len(plan.tasks)
    if progress is not None:
        progress(len(records), total, None)
    store_seconds = 0.0
    ctx = _ScoreContext(y_eval, metric_objs, family, len(classes or []), threshold, costs)

    def on_result(rec: dict[str, Any]) -> None:
        nonlocal store_seconds
        t0 = time.perf_counter()
        rec["scores"] = ctx.score(rec)
        if store is not None and not rec.get("transient"):
            store.save(rec)
        records[rec["id"]] = rec
        store_seconds += time.perf_counter() - t0
        if progress is not None:
            progress(len(records), total, rec)

    t_run0 = time.perf_counter()
    from .run import execute

    execute(pending, X, y, on_result=on_result, n_jobs=n_jobs, scheduler=scheduler, threads=threads)
    t_run1 = time.perf_counter()
    for spec in plan.tasks:
        if spec.id in reused:
            records[spec.id]["scores"] = ctx.score(records[spec.id])

    result = _assemble(plan, records, reused, ctx, metric_objs, alpha, rope)
    result.task, result.family, result.target = task, family, target
    result.advice, result.classes = advice, classes
    result.fingerprint = plan.fingerprint
    result.config = to_json(
        {
            "cv": cv if isinstance(cv, int) else repr(cv),
            "repeats": repeats,
            "n_folds": len(folds),
            "seed": seed,
            "models": models,
            "model_params": params,
            "alpha": alpha,
            "rope": rope,
            "costs": costs,
            "predict": predict,
            "threshold": threshold,
            "n_jobs": n_jobs,
            "scheduler": None if scheduler is None else str(getattr(scheduler, "scheduler", scheduler)),
            "n_rows": len(y),
            "n_features": int(X.shape[1]),
            "data_fingerprint": base["data"],
        }
    )
    t_end = time.perf_counter()
    result.timings = _timings(t_start, t_planned, t_run0, t_run1, t_end, store_seconds)
    if store is not None:
        root = Path(out)  # type: ignore[arg-type]
        result.paths = {
            "out": str(root),
            "tasks": str(store.tasks_dir),
            "leaderboard": str(root / "leaderboard.csv"),
            "results": str(root / "results.json"),
        }
        atomic_write_text(root / "leaderboard.csv", result.leaderboard.to_csv(index=False))
        atomic_write_text(root / "results.json", json.dumps(result.to_dict(), indent=1, ensure_ascii=False))
        result.timings["write_seconds"] = time.perf_counter() - t_end
        result.timings["total_seconds"] = time.perf_counter() - t_start
    return result


def _timings(
    t_start: float, t_planned: float, t_run0: float, t_run1: float, t_end: float, store: float
) -> dict:
    return {
        "plan_seconds": t_planned - t_start,
        "run_seconds": t_run1 - t_run0 - store,
        "store_seconds": store,
        "summary_seconds": t_end - t_run1,
        "write_seconds": 0.0,
        "total_seconds": t_end - t_start,
    }


def _quantile_spec(pred: str | None) -> str | None:
    if not pred:
        return pred
    m = re.fullmatch(r"\s*quantile\s*[:(]\s*([0-9.eE+-]+)\s*\)?\s*", pred)
    if m:
        return f"quantile:{m.group(1)}"
    return pred


def _classes(y: Any) -> list[Any]:
    values = list(dict.fromkeys(y.tolist()))
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


_LOSS_TASKS = {"binary": ("binary", "multiclass"), "multiclass": ("multiclass",)}


def _candidate_losses(
    losses: Any, advice: Any, top: int, task: str, family: str, target: str
) -> list[tuple[Any, bool]]:
    import losslab

    if losses is None:
        recs = list(advice.recommendations[:top]) if advice is not None else []
        if not recs:
            raise DataError(f"the advisor has no loss to recommend for target {target!r}; pass losses=.")
        out = [(r.loss, bool(type(r.loss).PARAMS)) for r in recs]
    else:
        if isinstance(losses, (str, dict, losslab.Loss)):
            losses = [losses]
        out = [(losslab.get(spec), False) for spec in losses]
        if not out:
            raise DataError("losses is empty; give at least one loss or None for the advisor's.")
    allowed = _LOSS_TASKS.get(task, ("regression",))
    for loss, _ in out:
        if loss.info.task not in allowed:
            fits = ", ".join(losslab.list_losses(task=allowed[0])[:12])
            raise DataError(
                f"loss {loss.name!r} is a {loss.info.task} loss; it does not fit the {task} "
                f"target {target!r}. Losses for {allowed[0]}: {fits}."
            )
    return out


def _refit_losses(
    X: Any,
    y: Any,
    target: str,
    folds: list[Fold],
    losses: list[tuple[Any, bool]],
    predict: Any,
    costs: Any,
    task: str,
) -> dict[tuple[int, int], list[Any]]:
    """Per (repeat, fold): the advisor re-run on the training rows only; same-name losses re-chosen."""
    from losslab.advise import advise

    out: dict[tuple[int, int], list[Any]] = {}
    for f in folds:
        frame = X.iloc[f.train].assign(**{target: y.iloc[f.train].to_numpy()})
        try:
            adv = advise(frame, target=target, predict=predict, costs=costs, task=task)
            recs = list(adv.recommendations)
        except LosslabError:
            recs = []
        chosen = []
        used: set[int] = set()
        for loss, refit in losses:
            pick = loss
            if refit:
                for i, r in enumerate(recs):
                    if i not in used and r.name == loss.name:
                        used.add(i)
                        pick = r.loss
                        break
            chosen.append(pick)
        out[(f.repeat, f.fold)] = chosen
    return out


class _ScoreContext:
    """Scores of a task record from its stored predictions (so resumed tasks score identically)."""

    def __init__(
        self, y_eval: np.ndarray, metrics: list[Metric], family: str, k: int, thr: float, costs: Any
    ):
        self.y_eval, self.metrics, self.family, self.k, self.thr, self.costs = (
            y_eval,
            metrics,
            family,
            k,
            thr,
            costs,
        )

    def predictions(self, rec: dict[str, Any]) -> Predictions:
        p = rec["predictions"]
        idx = np.asarray(p["index"], dtype=np.int64)
        return Predictions(
            y_true=self.y_eval[idx],
            value=p.get("value"),
            label=p.get("label"),
            proba=p.get("proba"),
            logits=p.get("logits"),
            n_classes=self.k,
            threshold=self.thr,
            costs=self.costs,
        )

    def score(self, rec: dict[str, Any]) -> dict[str, dict[str, Any]]:
        if rec.get("status") != "ok":
            return {}
        pred = self.predictions(rec)
        out = {}
        for m in self.metrics:
            try:
                with np.errstate(all="ignore"):
                    v, reason = m(pred), None
                if not np.isfinite(v):
                    reason = f"{m.name} is {v} on this fold"
            except MetricUndefined as exc:
                v, reason = math.nan, str(exc)
            except (ValueError, TypeError, LosslabError) as exc:
                v, reason = math.nan, f"{type(exc).__name__}: {exc}"
            out[m.name] = {"value": v, "reason": reason}
        return out


def _assemble(
    plan: Plan,
    records: dict[str, dict[str, Any]],
    reused: set[str],
    ctx: _ScoreContext,
    metrics: list[Metric],
    alpha: float,
    rope: Any,
) -> Comparison:
    import pandas as pd

    cand_by_name = {c.name: c for c in plan.candidates}
    score_rows, fail_rows, task_rows = [], [], []
    oof: dict[str, dict[str, list[np.ndarray]]] = {}
    histories: dict[str, list[dict[str, Any]]] = {c.name: [] for c in plan.candidates}
    fit_times: dict[str, list[float]] = {c.name: [] for c in plan.candidates}
    for spec in plan.tasks:
        rec = records.get(spec.id)
        cand = cand_by_name[spec.candidate]
        if rec is None:  # a lost worker: not stored, reported as failed
            continue
        task_rows.append(
            {
                "id": spec.id,
                "key": spec.key,
                "candidate": spec.candidate,
                "loss": rec.get("loss", spec.loss),
                "repeat": spec.repeat,
                "fold": spec.fold,
                "seed": spec.seed,
                "status": rec.get("status"),
                "fit_seconds": rec.get("fit_seconds"),
                "predict_seconds": rec.get("predict_seconds"),
                "n_train": int(spec.train.size),
                "n_test": int(spec.test.size),
                "reused": spec.id in reused,
            }
        )
        if rec.get("status") != "ok":
            err = rec.get("error") or {}
            fail_rows.append(
                {
                    "task_id": spec.id,
                    "candidate": spec.candidate,
                    "repeat": spec.repeat,
                    "fold": spec.fold,
                    "error_type": err.get("type", "Error"),
                    "message": err.get("message", ""),
                }
            )
            continue
        fit_times[spec.candidate].append(float(rec.get("fit_seconds") or 0.0))
        histories[spec.candidate].append(
            {"repeat": spec.repeat, "fold": spec.fold, "history": rec.get("history", [])}
        )
        for mname, s in rec["scores"].items():
            score_rows.append(
                {
                    "candidate": spec.candidate,
                    "loss": _loss_name(cand),
                    "model": cand.model,
                    "repeat": spec.repeat,
                    "fold": spec.fold,
                    "metric": mname,
                    "value": s["value"],
                    "reason": s["reason"],
                    "n_train": int(spec.train.size),
                    "n_test": int(spec.test.size),
                    "task_id": spec.id,
                }
            )
        if spec.repeat == 0:
            pred = ctx.predictions(rec)
            parts = oof.setdefault(spec.candidate, {})
            parts.setdefault("index", []).append(np.asarray(rec["predictions"]["index"]))
            parts.setdefault("y_true", []).append(pred.y_true)
            for k in ("value", "proba", "label"):
                if getattr(pred, k) is not None:
                    parts.setdefault(k, []).append(np.asarray(getattr(pred, k)))
    cols = [
        "candidate",
        "loss",
        "model",
        "repeat",
        "fold",
        "metric",
        "value",
        "reason",
        "n_train",
        "n_test",
        "task_id",
    ]
    scores = pd.DataFrame(score_rows, columns=cols)
    failures = pd.DataFrame(
        fail_rows, columns=["task_id", "candidate", "repeat", "fold", "error_type", "message"]
    )
    names = [c.name for c in plan.candidates]
    board, tests = summarize(scores, metrics, names, alpha=alpha, rope=rope)
    board.insert(1, "loss", [_loss_name(cand_by_name[c]) for c in board["candidate"]])
    board.insert(2, "model", [cand_by_name[c].model for c in board["candidate"]])
    nfail = failures.groupby("candidate").size() if len(failures) else {}
    board["n_failed"] = [int(nfail.get(c, 0)) if len(failures) else 0 for c in board["candidate"]]
    board["fit_seconds"] = [
        float(np.mean(fit_times[c])) if fit_times[c] else math.nan for c in board["candidate"]
    ]
    lead = ["rank", "candidate", "loss", "model", "mark"]
    board = board[lead + [c for c in board.columns if c not in lead]]
    pooled = {c: {k: np.concatenate(v) for k, v in parts.items()} for c, parts in oof.items()}
    return Comparison(
        task="",
        family="",
        target="",
        metrics=metrics,
        candidates=plan.candidates,
        leaderboard=board,
        tests=tests,
        scores=scores,
        failures=failures,
        oof=pooled,
        histories=histories,
        tasks=task_rows,
    )


def _loss_name(cand: Candidate) -> str:
    return cand.name.rsplit("/", 1)[0]
