"""Step 4 of `compare`, *summarise*: the leaderboard and paired tests (`losslab.compare.stats`) from
the per-fold scores, the verdict in plain words (`verdict`), assembled with the experiment into a
`Comparison`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..metrics import Metric
from .result import Comparison, Verdict
from .score import Scores
from .setup import Experiment
from .stats import summarize

__all__ = ["leaderboard", "summarise", "verdict"]


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


def _num(v: float) -> str:
    """3 significant digits, never in e-notation for a number people read as a whole (1163, not 1.16e+03)."""
    v = float(v)
    return f"{v:.0f}" if math.isfinite(v) and 1e3 <= abs(v) < 1e9 else f"{v:.3g}"


def _names(labels: list[str]) -> str:
    return ", ".join(labels[:-1]) + (" and " if len(labels) > 1 else "") + labels[-1]


def verdict(board: Any, metric: Metric, *, alpha: float = 0.05, design: str = "") -> Verdict:
    """The `Verdict` of a leaderboard (`stats.summarize`'s, headline metric ``metric``).

    ``design`` describes the folds (``"10 folds × 2 repeats"``) for the first sentence.

    Examples
    --------
    >>> import pandas as pd
    >>> from losslab.metrics import get_metric
    >>> rows = [{"candidate": c, "repeat": 0, "fold": f, "metric": "rmse", "value": v, "reason": None,
    ...          "n_train": 80, "n_test": 20}
    ...         for c, vals in {"a": [1.0, 1.1, 0.9, 1.0], "b": [2.0, 2.1, 1.9, 2.05]}.items()
    ...         for f, v in enumerate(vals)]
    >>> board, _ = summarize(pd.DataFrame(rows), [get_metric("rmse")], ["a", "b"])
    >>> v = verdict(board, get_metric("rmse"))
    >>> v.best, v.worse[0][0], round(v.worse[0][1], 4)
    ('a', 'b', 1.0125)
    >>> print(v.text.splitlines()[1])
    Best: a (rmse 1).
    """
    rows = board.to_dict(orient="records")
    name = metric.name
    unit = f"|{metric.base} − {metric.param:g}|" if metric.greater_is_better is None else name
    sense = {True: "higher is better", False: "lower is better", None: f"closest to {metric.param} is best"}
    best = next((r for r in rows if r["mark"] == "best"), None)
    equivalent = [r["candidate"] for r in rows if r["mark"] == "≈ best"]
    not_shown = [r["candidate"] for r in rows if r["mark"] == "n.s."]
    worse_rows = [r for r in rows if r["mark"] == "worse"]
    worse = [
        (r["candidate"], float(r["delta"]), (float(r["ci_low"]), float(r["ci_high"]))) for r in worse_rows
    ]
    unranked = [(r["candidate"], str(r["reason"])) for r in rows if r["mark"] == "unranked"]
    on = f" on {design}" if design else ""
    text = [f"Headline metric: {name} ({sense[metric.greater_is_better]}; confirmatory){on}."]
    if best is None:
        text.append(f"No candidate could be ranked on {name}.")
    else:
        text.append(f"Best: {best['candidate']} ({name} {_num(best[name])}).")
        if equivalent:
            rho = _num(float(next(r["rope"] for r in rows if r["mark"] == "≈ best")))
            text.append(
                f"Practically equivalent to it (difference within ±{rho} {unit} with probability ≥ "
                f"{0.95:g}): {_names(equivalent)}."
            )
        parts = []
        for r in worse_rows:
            if not math.isfinite(float(r["delta"])):
                parts.append(f"{r['candidate']} infinitely ({r['reason']})")
            else:
                level = f"{100 * (1 - alpha):g}%"
                parts.append(
                    f"{r['candidate']} by {_num(r['delta'])} {unit} ({level} interval "
                    f"{_num(r['ci_low'])} to {_num(r['ci_high'])})"
                )
        if parts:
            text.append("Worse: " + "; ".join(parts) + ".")
        if not_shown:
            text.append(
                f"Not shown different from the best, nor shown equivalent (the data cannot tell): "
                f"{_names(not_shown)}."
            )
    if unranked:
        text.append("Unranked: " + "; ".join(f"{c} — {why}" for c, why in unranked) + ".")
    if best is not None:
        use = f"Use {best['candidate']}"
        if equivalent:
            use += " or a practically equivalent one (the simplest or fastest)"
        if not_shown:
            use += f"; {_names(not_shown)} may be as good — more rows, folds or repeats could tell"
        text.append(use + ".")
    return Verdict(
        text="\n".join(text),
        headline=name,
        best=best["candidate"] if best is not None else None,
        equivalent=equivalent,
        worse=worse,
        unranked=unranked,
        not_shown=not_shown,
    )


def _design_words(config: dict[str, Any]) -> str:
    folds, repeats = config.get("cv"), config.get("repeats")
    if not isinstance(folds, int):
        return f"{config.get('n_folds', '?')} paired folds"
    chosen = " (chosen for the time budget)" if (config.get("design") or {}).get("chosen") else ""
    return f"{folds} folds × {repeats} repeat{'s' if repeats != 1 else ''}{chosen}"


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
    answer = verdict(board, exp.metrics[0], alpha=alpha, design=_design_words(exp.config))
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
        verdict=answer,
    )
