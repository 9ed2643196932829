"""Execution of the task list: in-process, with joblib (loky processes), or on a Dask cluster.

One thread per task when tasks run side by side (``threadpoolctl`` for BLAS/OpenMP and
``torch.set_num_threads(1)`` inside the worker), so two tasks on two cores do not fight over four
threads. On Dask the data is scattered to every worker once and the tasks carry only row indices.

The parent process receives each finished task as it completes and hands it to a callback, which
stores it at once: an interruption loses at most the tasks still running. A task whose worker was
lost (a killed Dask worker or loky process) comes back as a failed record marked ``transient``: it
counts as failed in this run, is not stored, and the next run retries it.

Worker processes never outlive their parent: each loky worker runs a watchdog thread that exits
the process within a fraction of a second once its parent is gone (loky itself leaves its workers
running when the parent is SIGKILLed).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core.errors import DataError
from .._core.info import LinkKind
from .._core.statistic import Statistic
from .plan import Plan, TaskSpec
from .store import Store

__all__ = ["RunResult", "execute", "lost_record", "make_estimator", "run_plan", "run_task", "watch_parent"]

#: seconds between two checks of a worker's watchdog that its parent is alive
WATCH_INTERVAL = 0.2


@contextlib.contextmanager
def limit_threads(threads: int | None) -> Iterator[None]:
    """Cap BLAS/OpenMP, torch intra-op and losslab's fused-kernel threads at ``threads`` (no-op
    for None)."""
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    torch = None
    old = None
    try:
        import torch

        old = torch.get_num_threads()
        torch.set_num_threads(threads)
    except ImportError:
        torch = None
    from losslab._core.fastpath import limit_threads as fused_threads

    try:
        with threadpool_limits(limits=threads), fused_threads(threads):
            yield
    finally:
        if torch is not None and old is not None:
            torch.set_num_threads(old)


def make_estimator(family: str, loss: dict[str, Any], model: str, seed: int, params: dict[str, Any]) -> Any:
    """A `losslab.sklearn` estimator for one task."""
    import losslab
    from losslab.sklearn import (
        LossClassifier,
        LossOrdinalClassifier,
        LossRanker,
        LossRegressor,
        LossSurvivalRegressor,
    )

    obj = losslab.get(dict(loss))
    cls = {
        "classification": LossClassifier,
        "survival": LossSurvivalRegressor,
        "ranking": LossRanker,
        "ordinal": LossOrdinalClassifier,
    }.get(family, LossRegressor)
    if cls is LossRegressor and obj.info.task == "multiclass":  # an ordinal target's levels as classes
        cls = LossClassifier
    return cls(loss=obj, model=model, seed=seed, **params)


def _level_mean(est: Any, X: Any) -> np.ndarray:
    """Σₖ vₖ p̂ₖ(x): the mean level of a classifier trained on an ordinal target's numeric levels
    vₖ (``classes_``; a level absent from the training rows has no column and no weight)."""
    proba = np.asarray(est.predict_proba(X), dtype=np.float64)
    return proba @ np.asarray(est.classes_, dtype=np.float64)


def _rows(data: Any, idx: np.ndarray) -> Any:
    from .._core.targets import Structured

    if isinstance(data, Structured):  # a structured target (`losslab.targets`): its rows
        return data.take(idx)
    return data.iloc[idx] if hasattr(data, "iloc") else data[idx]


def run_task(
    spec: TaskSpec, X: Any, y: Any, threads: int | None = None, exposure: np.ndarray | None = None
) -> dict[str, Any]:
    """Fit on the task's training rows, predict its test rows; never raises for the task's own errors.

    With an ``exposure`` (one positive value per row) the model fits the rate y/exposure with
    sample weight exposure — for Poisson deviance exactly the fit of y with offset log(exposure) —
    and its predicted rates are multiplied by the test rows' exposure, so the metrics see counts.

    Returns a record: ``id``, ``key``, ``status`` ("ok" or "failed"), ``error`` (type, message,
    traceback tail), ``history`` (per-epoch dicts), ``fit_seconds``, ``predict_seconds``,
    ``predictions`` (``index`` = test-row positions, and ``value`` or ``proba``/``label``/
    ``logits``; a structured target's: `losslab.sklearn.structured.predictions_of`).
    """
    record: dict[str, Any] = {**spec.meta(), "status": "ok", "error": None, "history": []}
    t0 = time.perf_counter()
    try:
        with limit_threads(threads):
            est = make_estimator(spec.family, spec.loss, spec.model, spec.seed, spec.model_params)
            if exposure is None:
                est.fit(_rows(X, spec.train), _rows(y, spec.train))
            else:
                e_train = exposure[spec.train]
                rate = np.asarray(_rows(y, spec.train), dtype=np.float64) / e_train
                est.fit(_rows(X, spec.train), rate, sample_weight=e_train)
            t1 = time.perf_counter()
            Xte = _rows(X, spec.test)
            preds: dict[str, Any] = {"index": np.asarray(spec.test, dtype=np.int64)}
            if spec.family == "classification":
                preds.update(_classify(est, Xte, spec))
            elif spec.family in ("survival", "ranking", "ordinal"):
                from losslab.sklearn.structured import predictions_of

                preds.update(predictions_of(est, Xte, test_y=_rows(y, spec.test)))
                if "survival" in preds:  # the integrated Brier score weighs by the training rows' censoring
                    preds["train_index"] = np.asarray(spec.train, dtype=np.int64)
            elif hasattr(est, "predict_proba"):  # a classifier on a regression target's levels
                preds["value"] = _level_mean(est, Xte)
            else:
                preds["value"] = np.asarray(est.predict(Xte), dtype=np.float64).ravel()
                if exposure is not None:  # the predicted rate times the exposure: a count
                    preds["value"] = preds["value"] * exposure[spec.test]
            t2 = time.perf_counter()
        record["predictions"] = preds
        record["fit_seconds"] = t1 - t0
        record["predict_seconds"] = t2 - t1
        record["history"] = _history(est)
    except Exception as exc:  # noqa: BLE001 - a failed task is a result; the rest go on
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        record["status"] = "failed"
        record["error"] = {
            "type": type(exc).__name__,
            "message": str(exc) or type(exc).__name__,
            "traceback": "".join(tb[-3:])[-2000:],
        }
        record["fit_seconds"] = time.perf_counter() - t0
        record["predict_seconds"] = 0.0
    return record


def _history(est: Any) -> list[dict[str, Any]]:
    hist = getattr(est, "history_", None) or []
    out = []
    for row in hist:
        out.append(
            {str(k): (float(v) if isinstance(v, (int, float, np.number)) else v) for k, v in row.items()}
        )
    return out


def _classify(est: Any, Xte: Any, spec: TaskSpec) -> dict[str, Any]:
    """Probabilities (columns in the plan's class order), logits when the link is logit/softmax, the
    raw decision scores of a decision loss (hinge: no probabilities, but a ranking for ROC-AUC), labels."""
    from losslab.sklearn.estimators import class_logits

    classes = list(spec.classes or [])
    k = len(classes)
    est_classes = list(est.classes_)
    pos = [classes.index(c) for c in est_classes]
    out: dict[str, Any] = {}
    proba = None
    if hasattr(est, "predict_proba"):
        try:
            p = np.asarray(est.predict_proba(Xte), dtype=np.float64)
        except (AttributeError, NotImplementedError):
            p = None
        if p is not None:
            proba = np.zeros((p.shape[0], k))
            proba[:, pos] = p
            out["proba"] = proba
    loss = getattr(est, "loss_", None)
    link = getattr(loss, "link", None)
    decision = loss is not None and loss.info.statistic.statistic == Statistic.DECISION
    if (
        link is not None
        and (decision or link.kind in (LinkKind.LOGIT, LinkKind.SOFTMAX))
        and len(est_classes) == k
    ):
        try:
            raw = np.asarray(est.decision_function(Xte), dtype=np.float64)
        except (AttributeError, NotImplementedError):
            raw = None
        kind = "score" if decision else "logits"
        if raw is not None and raw.ndim == 1 and k == 2 and pos == [0, 1]:
            out[kind] = raw
        elif raw is not None and raw.ndim == 2 and raw.shape[1] == k:
            if not decision:  # logits whose softmax is predict_proba (one-vs-rest: normalised)
                raw = class_logits(loss, raw)
            ordered = np.empty_like(raw)
            ordered[:, pos] = raw
            out[kind] = ordered
    if proba is not None and k == 2:
        out["label"] = (proba[:, 1] >= spec.threshold).astype(np.int64)
    elif proba is not None:
        out["label"] = proba.argmax(axis=1).astype(np.int64)
    else:
        lab = np.asarray(est.predict(Xte))
        out["label"] = np.array([classes.index(v) for v in lab.tolist()], dtype=np.int64)
    return out


def execute(
    tasks: list[TaskSpec],
    X: Any,
    y: Any,
    *,
    on_result: Callable[[dict[str, Any]], None],
    n_jobs: int = 1,
    scheduler: Any = None,
    threads: int | None = None,
    exposure: np.ndarray | None = None,
) -> None:
    """Run ``tasks`` and call ``on_result(record)`` in this process as each one finishes.

    ``scheduler`` is a ``"tcp://host:port"`` address or a ``dask.distributed.Client``; otherwise
    ``n_jobs`` > 1 uses joblib's loky processes, 1 runs in this process. ``exposure`` goes to
    every `run_task`.
    """
    if not tasks:
        return
    if scheduler is not None:
        _execute_dask(
            tasks, X, y, on_result=on_result, scheduler=scheduler, threads=threads, exposure=exposure
        )
        return
    if n_jobs == 1:
        for spec in tasks:
            on_result(run_task(spec, X, y, threads, exposure))
        return
    from joblib import Parallel, delayed
    from joblib.externals.loky.process_executor import BrokenProcessPool

    par = Parallel(
        n_jobs=n_jobs,
        backend="loky",
        return_as="generator_unordered",
        initializer=watch_parent,
        initargs=(os.getpid(),),
    )
    done: set[str] = set()
    try:
        for record in par(delayed(run_task)(spec, X, y, threads, exposure) for spec in tasks):
            done.add(record["id"])
            on_result(record)
    except BrokenProcessPool as exc:  # a worker was killed (out of memory, signal): the rest are lost
        for spec in tasks:
            if spec.id not in done:
                on_result(lost_record(spec, exc))


def watch_parent(parent: int) -> None:
    """Worker initializer: a daemon thread ends this process once ``parent`` is no longer its parent.

    When the parent dies, even by SIGKILL, the worker is re-parented (to init or a subreaper), so
    its parent PID changes; ``os._exit`` then ends it at once, without waiting for a running task.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_INTERVAL)
        os._exit(70)

    threading.Thread(target=watch, name="losslab-parent-watch", daemon=True).start()


def lost_record(spec: TaskSpec, exc: BaseException) -> dict[str, Any]:
    """The failed, ``transient`` (not stored) record of a task whose worker was lost."""
    return {
        **spec.meta(),
        "status": "failed",
        "error": {"type": type(exc).__name__, "message": str(exc) or type(exc).__name__, "traceback": ""},
        "history": [],
        "fit_seconds": 0.0,
        "predict_seconds": 0.0,
        "transient": True,
    }


def _execute_dask(
    tasks: list[TaskSpec],
    X: Any,
    y: Any,
    *,
    on_result: Callable[[dict[str, Any]], None],
    scheduler: Any,
    threads: int | None,
    exposure: np.ndarray | None = None,
) -> None:
    from distributed import Client, as_completed

    own = isinstance(scheduler, str)
    client = Client(scheduler, set_as_default=False) if own else scheduler
    try:
        Xf, yf = client.scatter([X, y], broadcast=True, hash=False)
        ef = None if exposure is None else client.scatter(exposure, broadcast=True, hash=False)
        futures = {}
        for spec in tasks:
            fut = client.submit(
                run_task, spec, Xf, yf, threads, ef, key=f"losslab-{spec.id}-{spec.key[:10]}", pure=False
            )
            futures[fut] = spec
        for fut in as_completed(list(futures), loop=client.loop):
            spec = futures[fut]
            try:
                record = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker is reported, not stored
                record = lost_record(spec, exc)
            on_result(record)
    finally:
        if own:
            client.close()


# -- step 2 of compare: run the plan against the store -------------------------------------------
@dataclass
class RunResult:
    """Finished task records by id (each with its ``scores``), which came from the store, and timings."""

    records: dict[str, dict[str, Any]] = field(repr=False)
    reused: set[str]
    store: Store | None = None
    run_seconds: float = 0.0
    store_seconds: float = 0.0


def parallelism(n_jobs: int, scheduler: Any, threads: int | None) -> tuple[int, int | None]:
    """``(n_jobs, threads)`` checked: -1 means every core; one thread per task when tasks share cores."""
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if not isinstance(n_jobs, int) or n_jobs < 1:
        raise DataError(f"n_jobs must be a positive integer or -1; got {n_jobs!r}.")
    if threads is None and (n_jobs > 1 or scheduler is not None):
        threads = 1
    return n_jobs, threads


def run_plan(
    plan: Plan,
    X: Any,
    y: Any,
    *,
    score: Callable[[dict[str, Any]], dict[str, Any]],
    out: str | os.PathLike[str] | Store | None = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    threads: int | None = None,
    retry_failed: bool = False,
    progress: Callable[..., Any] | None = None,
    exposure: np.ndarray | None = None,
) -> RunResult:
    """Run the tasks of ``plan`` that the store in ``out`` does not already hold.

    Each finished record gets ``record["scores"] = score(record)`` and is saved at once (so an
    interruption loses only running tasks); reused records are re-scored the same way, so a resumed
    run scores exactly like an uninterrupted one. ``progress(done, total, record)`` is called with
    ``record`` None first. The store's format version is checked and its lock taken before anything
    is written (`StoreVersionError`, `StoreLockedError`); damaged entries are recomputed.

    ``out`` is a directory or a `Store`. A directory's store is locked for this call only; a
    `Store` passed in is opened if it is not yet, and stays locked on return so that its owner can
    write more before `Store.close` (what `compare` does). On an error (KeyboardInterrupt too) the
    lock is released either way. Every planned task has a record: one no worker returned is a
    failed ``transient`` record.
    ``exposure`` (per row) goes to each task (`run_task`).
    """
    n_jobs, threads = parallelism(n_jobs, scheduler, threads)
    own = not isinstance(out, Store)
    store = Store(out) if own and out is not None else out
    if store is not None and not store.lock.held:
        store.open(plan.config, plan.fingerprint)
    try:
        result = _run_open(
            plan, X, y, store, score, n_jobs, scheduler, threads, retry_failed, progress, exposure
        )
    except BaseException:
        if store is not None:
            store.close()
        raise
    if own and store is not None:
        store.close()
    return result


def _run_open(
    plan: Plan,
    X: Any,
    y: Any,
    store: Store | None,
    score: Callable[[dict[str, Any]], dict[str, Any]],
    n_jobs: int,
    scheduler: Any,
    threads: int | None,
    retry_failed: bool,
    progress: Callable[..., Any] | None,
    exposure: np.ndarray | None = None,
) -> RunResult:
    """`run_plan` once the store is open."""
    records: dict[str, dict[str, Any]] = {}
    reused: set[str] = set()
    pending: list[TaskSpec] = []
    for spec in plan.tasks:
        rec = store.load(spec.id, spec.key, spec) if store is not None else None
        if rec is not None and not (retry_failed and rec.get("status") != "ok"):
            records[spec.id] = rec
            reused.add(spec.id)
        else:
            pending.append(spec)
    total = len(plan.tasks)
    if progress is not None:
        progress(len(records), total, None)
    result = RunResult(records, reused, store)

    def on_result(rec: dict[str, Any]) -> None:
        t0 = time.perf_counter()
        rec["scores"] = score(rec)
        if store is not None and not rec.get("transient"):
            store.save(rec)
        records[rec["id"]] = rec
        result.store_seconds += time.perf_counter() - t0
        if progress is not None:
            progress(len(records), total, rec)

    t0 = time.perf_counter()
    execute(
        pending,
        X,
        y,
        on_result=on_result,
        n_jobs=n_jobs,
        scheduler=scheduler,
        threads=threads,
        exposure=exposure,
    )
    for spec in pending:
        if spec.id not in records:  # an executor that lost a task without a word: it still counts
            on_result(lost_record(spec, RuntimeError("no result came back from the worker")))
    result.run_seconds = time.perf_counter() - t0 - result.store_seconds
    for tid in reused:
        records[tid]["scores"] = score(records[tid])
    return result
