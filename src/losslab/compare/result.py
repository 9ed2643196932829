"""`Comparison`: the result of `losslab.compare`, its text summary and its ``results.json`` form."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..metrics import Metric
from .plan import Candidate
from .store import FORMAT_VERSION, atomic_write_text, to_json

__all__ = ["PARTIAL_FAILED_SHARE", "SCHEMA", "Comparison", "PartialResultWarning", "Verdict"]

SCHEMA = "losslab.compare/1"
#: a comparison is partial when more than this share of its tasks failed (or a candidate failed everywhere)
PARTIAL_FAILED_SHARE = 0.10


class PartialResultWarning(UserWarning):
    """`compare` returned a partial result: too many tasks failed, or a candidate failed on every fold."""


# ---- the verdict (issue 12, build item 4) -------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """The answer of a comparison in plain words, and the facts behind them.

    Attributes
    ----------
    text : str
        A few sentences: the headline metric, the best candidate on it, the practically equivalent
        ones, the worse ones by how much with their interval, the unranked ones and why, what to use.
    headline : str
        The headline (confirmatory) metric's name.
    best : str or None
        The best candidate's label (None when no candidate could be ranked).
    equivalent : list of str
        Candidates practically equivalent to the best (``≈ best``).
    worse : list of (str, float, (float, float))
        ``(label, delta, (lo, hi))``: how much worse than the best, in the headline metric's units
        (oriented so that larger is worse), with its simultaneous 1 − α interval; +inf for a
        candidate infinitely wrong on some fold.
    unranked : list of (str, str)
        ``(label, reason)`` for candidates not ranked on the headline metric (`stats.REASONS`).
    not_shown : list of str
        Candidates neither shown worse nor shown equivalent (``n.s.``: the data cannot tell).
    """

    text: str
    headline: str
    best: str | None
    equivalent: list[str] = field(default_factory=list)
    worse: list[tuple[str, float, tuple[float, float]]] = field(default_factory=list)
    unranked: list[tuple[str, str]] = field(default_factory=list)
    not_shown: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``results.json``'s ``verdict``)."""
        return {
            "text": self.text,
            "headline": self.headline,
            "best": self.best,
            "equivalent": list(self.equivalent),
            "worse": [{"candidate": c, "delta": d, "ci": [lo, hi]} for c, d, (lo, hi) in self.worse],
            "unranked": [{"candidate": c, "reason": r} for c, r in self.unranked],
            "not_shown": list(self.not_shown),
        }


# ---- end of the verdict block -------------------------------------------------------------------


@dataclass
class Comparison:
    """The result of `compare`.

    Attributes
    ----------
    leaderboard : DataFrame
        One row per candidate (loss/model), best first by the headline metric (``metrics[0]``,
        confirmatory), unranked last: ``rank``, ``candidate``, ``loss``, ``model``, ``mark``
        ("best", "≈ best" practically equivalent, "n.s." not shown different, "worse" shown worse
        with family-wise error ≤ α or +inf on a fold, "unranked" with its ``reason``, "failed"
        every task failed, never ranked), each metric's mean and ``{metric}_std`` over all folds,
        then the headline metric's ``delta`` (how much worse than the best, ≥ 0) with
        ``ci_low``/``ci_high``, ``p_value``, ``p_holm`` (Holm over all pairs), ``rope``,
        ``p_rope``, ``worse_than``, ``reason``, ``n_folds``, ``n_failed`` and ``fit_seconds``
        (mean per fold). See `losslab.compare.stats`.
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
    warnings : list of str
        What the data hygiene step dropped or suspects (identifier columns, leaks, free text, rows
        without a target), one sentence each (`losslab.hygiene`).
    notes : list of str
        What the plan changed about the candidates, e.g. ``"tweedie(power=1) is poisson: ran once"``.
    verdict : Verdict
        The answer in plain words (`Verdict`): best on the headline metric, equivalent, worse,
        unranked, what to use.
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
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verdict: Verdict | None = None

    @property
    def best(self) -> str:
        """Name of the best candidate by the headline metric (``"none"`` if no candidate has a score)."""
        best = self.leaderboard.loc[self.leaderboard["mark"] == "best", "candidate"]
        return str(best.iloc[0]) if len(best) else "none"

    @property
    def n_reused(self) -> int:
        """Tasks taken from the results store instead of being run."""
        return sum(1 for t in self.tasks if t.get("reused"))

    # ---- failures and partial results: what failed, per candidate, and whether to trust the board ----
    @property
    def failures_by_candidate(self) -> dict[str, dict[str, Any]]:
        """Per candidate: ``n_tasks``, ``n_failed`` and ``first_error`` ("Type: message" of its first
        failed task in plan order, None when none failed)."""
        out = {c.name: {"n_tasks": 0, "n_failed": 0, "first_error": None} for c in self.candidates}
        for t in self.tasks:
            out.setdefault(t["candidate"], {"n_tasks": 0, "n_failed": 0, "first_error": None})
            out[t["candidate"]]["n_tasks"] += 1
        if self.failures is not None and len(self.failures):
            for f in self.failures.to_dict(orient="records"):
                entry = out[f["candidate"]]
                entry["n_failed"] += 1
                if entry["first_error"] is None:
                    first_line = (str(f["message"]).strip().splitlines() or [""])[0][:200]
                    entry["first_error"] = f"{f['error_type']}: {first_line}"
        return out

    @property
    def failed_candidates(self) -> list[str]:
        """Candidates whose every task failed: listed as failed on the leaderboard, never ranked."""
        return [
            c for c, d in self.failures_by_candidate.items() if d["n_tasks"] and d["n_failed"] == d["n_tasks"]
        ]

    @property
    def n_failed_tasks(self) -> int:
        """Tasks that failed (their own error, or a lost worker)."""
        return 0 if self.failures is None else len(self.failures)

    @property
    def partial(self) -> bool:
        """True when more than `PARTIAL_FAILED_SHARE` of the tasks failed or a candidate failed on
        every fold: the leaderboard is then built from what is left and marked partial."""
        n = len(self.tasks)
        return bool(self.failed_candidates) or (n > 0 and self.n_failed_tasks > PARTIAL_FAILED_SHARE * n)

    def failure_note(self) -> str:
        """One line: how many tasks failed and which candidates failed everywhere, each with its first
        error ("" when nothing failed)."""
        if not self.n_failed_tasks:
            return ""
        n = len(self.tasks)
        text = f"{self.n_failed_tasks} of {n} tasks failed ({self.n_failed_tasks / max(n, 1):.0%})"
        by = self.failures_by_candidate
        everywhere = [f"{c} ({by[c]['first_error']})" for c in self.failed_candidates]
        if everywhere:
            text += "; failed on every fold: " + "; ".join(everywhere)
        return ("partial result: " if self.partial else "") + text

    def summary(self) -> str:
        """A plain-text summary: the verdict, the leaderboard (headline metric, confirmatory; the
        others exploratory) and failures."""
        head = self.metrics[0]
        lines = [self.verdict.text, ""] if self.verdict is not None else []
        lines.append(
            f"{self.task} target {self.target!r}: {len(self.candidates)} candidates × "
            f"{self.config.get('n_folds', '?')} folds; headline metric {head.name} ({head.direction}, "
            "confirmatory); p = Holm-adjusted over all pairs"
        )
        others = self.metrics[1:4]
        if others:
            lines.append("  exploratory: " + ", ".join(f"{m.name} {m.direction}" for m in others))
        if self.partial:
            lines.insert(0, f"PARTIAL — {self.failure_note()}")
        for d in self.leaderboard.to_dict(orient="records"):
            mean, std, p = d.get(head.name), d.get(head.name + "_std"), d.get("p_holm")
            rank = "—" if d["rank"] is None or d["rank"] != d["rank"] else str(int(d["rank"]))
            ptxt = "" if p is None or not np.isfinite(p) else f"  p={p:.3g}"
            why = f"  ({d['reason']})" if d.get("reason") else ""
            extra = "".join(f"  {m.name} {_fmt(d.get(m.name))}" for m in others)
            head_txt = f"{_fmt(mean)} ± {_fmt(std, 2)}"
            lines.append(f"  {rank:>3}  {d['candidate']:<36} {head_txt}  {d['mark']}{ptxt}{extra}{why}")
        lines.extend(f"note: {n}" for n in self.notes)
        lines.extend(f"warning: {w}" for w in self.warnings)
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
                "format_version": FORMAT_VERSION,
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
                "partial": self.partial,
                "n_failed_tasks": self.n_failed_tasks,
                "failed_candidates": [
                    {"candidate": c, **self.failures_by_candidate[c]} for c in self.failed_candidates
                ],
                "tasks": self.tasks,
                "advice": self.advice.to_dict() if self.advice is not None else None,
                "timings": self.timings,
                "paths": self.paths,
                "warnings": self.warnings,
                "notes": self.notes,
                "verdict": self.verdict.to_dict() if self.verdict is not None else None,
            }
        )


def _fmt(v: Any, digits: int = 4) -> str:
    return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.{digits}g}"


def _records(frame: Any) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0:
        return []
    return [to_json(r) for r in frame.to_dict(orient="records")]


def write_results(result: Comparison, root: Path) -> dict[str, str]:
    """Write ``leaderboard.csv`` and ``results.json`` of ``result`` into the store ``root``; their paths."""
    paths = {
        "out": str(root),
        "tasks": str(root / "tasks"),
        "leaderboard": str(root / "leaderboard.csv"),
        "results": str(root / "results.json"),
    }
    result.paths = paths
    atomic_write_text(root / "leaderboard.csv", result.leaderboard.to_csv(index=False))
    atomic_write_text(root / "results.json", json.dumps(result.to_dict(), indent=1, ensure_ascii=False))
    return paths
