"""Step 4 of `compare`, *summarise*: the leaderboard and paired tests (`losslab.compare.stats`) from
the per-fold scores, assembled with the experiment into a `Comparison`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .result import Comparison
from .score import Scores
from .setup import Experiment
from .stats import summarize

__all__ = ["leaderboard", "summarise"]


def leaderboard(exp: Experiment, scored: Scores, alpha: float = 0.05, rope: Any = None) -> tuple[Any, Any]:
    """``(board, tests)``: `summarize`'s ranking with each candidate's loss, model, failures and fit time."""
    cands = {c.name: c for c in exp.plan.candidates}
    board, tests = summarize(scored.scores, exp.metrics, list(cands), alpha=alpha, rope=rope)
    board.insert(1, "loss", [cands[c].loss_label for c in board["candidate"]])
    board.insert(2, "model", [cands[c].model for c in board["candidate"]])
    nfail = scored.failures.groupby("candidate").size() if len(scored.failures) else {}
    board["n_failed"] = [int(nfail.get(c, 0)) if len(scored.failures) else 0 for c in board["candidate"]]
    planned = {c: sum(t.candidate == c for t in exp.plan.tasks) for c in cands}
    board.loc[board["n_failed"] == board["candidate"].map(planned), "mark"] = "failed"  # never ranked
    times = scored.fit_seconds
    board["fit_seconds"] = [float(np.mean(times[c])) if times[c] else math.nan for c in board["candidate"]]
    lead = ["rank", "candidate", "loss", "model", "mark"]
    return board[lead + [c for c in board.columns if c not in lead]], tests


def summarise(
    exp: Experiment,
    scored: Scores,
    *,
    alpha: float = 0.05,
    rope: Any = None,
    run: dict[str, Any] | None = None,
) -> Comparison:
    """The `Comparison` of an experiment: leaderboard, tests, scores, failures, predictions, config.

    ``run`` holds the run settings recorded in ``config`` (``n_jobs``, ``scheduler``).
    """
    board, tests = leaderboard(exp, scored, alpha, rope)
    from .store import to_json

    config = to_json({**exp.config, **(run or {}), "alpha": alpha, "rope": rope})
    return Comparison(
        task=exp.target.task,
        family=exp.target.family,
        target=exp.target.name,
        metrics=exp.metrics,
        candidates=exp.plan.candidates,
        leaderboard=board,
        tests=tests,
        scores=scored.scores,
        failures=scored.failures,
        oof=scored.oof,
        histories=scored.histories,
        advice=exp.advice,
        classes=exp.target.classes,
        config=config,
        tasks=scored.tasks,
        fingerprint=exp.plan.fingerprint,
        warnings=exp.warnings,
        notes=list(exp.notes),
    )
