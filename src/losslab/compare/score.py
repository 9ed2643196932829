"""Step 3 of `compare`, *score*: the metrics of every finished task, and the per-fold tables.

`Scorer` computes each metric on a task's stored out-of-fold predictions (so a task reused from
the store scores exactly like a fresh one); a metric that cannot be computed is NaN with its
reason. `collect_scores` turns the task records into the long per-fold table, the failures, the
task list, pooled out-of-fold predictions and learning curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core.errors import LosslabError
from ..intent import Costs
from ..metrics import Metric, MetricUndefined, Predictions
from .plan import Plan
from .setup import Experiment

__all__ = ["SCORE_COLUMNS", "Scorer", "Scores", "collect_scores"]

SCORE_COLUMNS = [
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
FAILURE_COLUMNS = ["task_id", "candidate", "repeat", "fold", "error_type", "message"]


@dataclass(frozen=True)
class Scorer:
    """The metrics of a task record, from its predictions and the encoded targets.

    >>> import numpy as np
    >>> from losslab.metrics import get_metric
    >>> s = Scorer(np.array([1.0, 2.0, 4.0]), [get_metric("mae")])
    >>> rec = {"status": "ok", "predictions": {"index": np.array([0, 2]), "value": np.array([1.5, 4.0])}}
    >>> s.score(rec)
    {'mae': {'value': 0.25, 'reason': None}}
    """

    y_eval: np.ndarray = field(repr=False)
    metrics: list[Metric]
    n_classes: int = 0
    threshold: float = 0.5
    costs: Costs | None = None
    structured: Any = field(default=None, repr=False)

    @classmethod
    def of(cls, exp: Experiment) -> Scorer:
        """The scorer of an experiment: its encoded targets, metrics, threshold and costs."""
        t = exp.target
        k = len(t.classes or [])
        if t.structured is not None and t.task == "ordinal":
            k = int(t.structured.n_levels)
        return cls(t.y_eval, exp.metrics, k, exp.threshold, exp.costs, t.structured)

    def predictions(self, rec: dict[str, Any]) -> Predictions:
        """The record's predictions with their targets, as the metrics read them."""
        p = rec["predictions"]
        idx = np.asarray(p["index"], dtype=np.int64)
        return Predictions(
            y_true=self.y_eval[idx],
            value=p.get("value"),
            label=p.get("label"),
            proba=p.get("proba"),
            logits=p.get("logits"),
            score=p.get("score"),
            n_classes=self.n_classes,
            threshold=self.threshold,
            costs=self.costs,
            target=None if self.structured is None else self.structured.take(idx),
            train_target=None if "train_index" not in p else self.structured.take(p["train_index"]),
            risk=p.get("risk"),
            survival=p.get("survival"),
            times=p.get("times"),
        )

    def score(self, rec: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """``{metric: {"value", "reason"}}`` of a finished task; ``{}`` for a failed one."""
        if rec.get("status") != "ok":
            return {}
        pred = self.predictions(rec)
        out = {}
        for m in self.metrics:
            try:
                with np.errstate(all="ignore"):
                    v, reason = m(pred), None
                if not np.isfinite(v):
                    reason = m.infinite_reason(pred) or f"{m.name} is {v} on this fold"
            except MetricUndefined as exc:
                v, reason = math.nan, str(exc)
            except (ValueError, TypeError, LosslabError) as exc:
                v, reason = math.nan, f"{type(exc).__name__}: {exc}"
            out[m.name] = {"value": v, "reason": reason}
        return out


@dataclass
class Scores:
    """Per-fold results of every task: the inputs of the summary."""

    scores: Any
    failures: Any
    tasks: list[dict[str, Any]]
    oof: dict[str, dict[str, np.ndarray]]
    histories: dict[str, list[dict[str, Any]]]
    fit_seconds: dict[str, list[float]]


def collect_scores(
    plan: Plan, records: dict[str, dict[str, Any]], reused: set[str], scorer: Scorer
) -> Scores:
    """The long per-fold score table (`SCORE_COLUMNS`), failures, task rows, pooled out-of-fold
    predictions of repeat 0 and learning curves, from the scored task records."""
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
                    "loss": cand.loss_label,
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
            pred = scorer.predictions(rec)
            parts = oof.setdefault(spec.candidate, {})
            parts.setdefault("index", []).append(np.asarray(rec["predictions"]["index"]))
            parts.setdefault("y_true", []).append(pred.y_true)
            for k in ("value", "proba", "label"):
                if getattr(pred, k) is not None:
                    parts.setdefault(k, []).append(np.asarray(getattr(pred, k)))
    return Scores(
        scores=pd.DataFrame(score_rows, columns=SCORE_COLUMNS),
        failures=pd.DataFrame(fail_rows, columns=FAILURE_COLUMNS),
        tasks=task_rows,
        oof={c: {k: np.concatenate(v) for k, v in parts.items()} for c, parts in oof.items()},
        histories=histories,
        fit_seconds=fit_times,
    )
