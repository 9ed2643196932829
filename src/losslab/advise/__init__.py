"""Advise: which loss for this data, and why.

`advise` reads a data set, infers the task (with evidence, a confidence and alternatives),
measures the target and the features, and ranks 3–5 losslab losses for it, with parameters
chosen from the data and the reasons that fired. The rules, thresholds and their sources are
in ``docs/choosing-a-loss.md``.

>>> import numpy as np, losslab
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(500, 2))
>>> y = X @ [2.0, -1.0] + rng.normal(size=500)
>>> advice = losslab.advise(X, y=y)
>>> advice.task, advice.best.name
('regression', 'mse')
"""

from __future__ import annotations

from typing import Any

from .._core.callable_module import make_callable
from ..intent import parse_costs, parse_predict
from .advice import Advice, Message, Recommendation
from .diagnose import TASKS, THRESHOLDS, diagnose, infer_task
from .recommend import recommend

__all__ = [
    "TASKS",
    "THRESHOLDS",
    "Advice",
    "Message",
    "Recommendation",
    "advise",
    "diagnose",
    "infer_task",
    "parse_costs",
    "parse_predict",
]


def advise(
    data: Any = None,
    target: str | None = None,
    *,
    predict: str | None = None,
    costs: dict[str, float] | str | None = None,
    task: str | None = None,
    X: Any = None,
    y: Any = None,
    seed: int = 0,
    exposure: str | None = None,
) -> Advice:
    r"""Which losses fit this data, ranked, with the reasons.

    First the statistic to predict (``predict``, or the default: the mean for numbers, a
    calibrated probability for classes, a cost-optimal decision when ``costs`` are given), then
    the data's properties (outliers, skew, zeros, counts, imbalance) pick losses consistent for
    it and choose their parameters: Huber's δ = 1.345·σ̂ from the robust residual scale, the
    Tweedie power from the variance–mean slope, pos_weight/class weights from the class counts,
    the decision threshold p* = c_fp/(c_fp + c_fn) from the costs (Elkan 2001).

    Parameters
    ----------
    data : DataFrame, str or Path, (X, y) tuple, array, optional
        A table (with ``target``), a CSV/Parquet path (with ``target``), an ``(X, y)`` pair,
        a feature matrix (with ``y=``), or the 1-D target alone.
    target : str, optional
        The target column of a table.
    predict : str, optional
        ``"mean"``, ``"median"``, ``"quantile:0.9"``, ``"expectile:0.8"``, ``"probability"`` or
        ``"decision"``.
    costs : dict or str, optional
        ``{"fp": 1, "fn": 5}`` or ``"fp=1,fn=5"`` (binary targets): the costs of a false
        positive and a false negative.
    task : str, optional
        Override the inferred task: one of ``binary``, ``multiclass``, ``regression``,
        ``count``, ``positive``, ``proportion``, ``ordinal``.
    X, y : array-like, optional
        Features and target as arrays (instead of ``data``).
    seed : int
        Seed of the row sample used by the residual fits on large data.
    exposure : str, optional
        A column of positive exposures (population, time at risk) of a count target: it is taken
        out of the features, its logarithm enters the residual fits as the offset, and the advice
        is for the rate (``losslab.compare(..., exposure=...)`` fits it). Without it, columns that
        look like an exposure are reported (``EXPOSURE_SUSPECTED``).

    Returns
    -------
    Advice

    Raises
    ------
    DataError
        Missing or all-missing target, empty table, a single class, a task that does not fit.
    ParameterError
        ``predict`` or ``costs`` that cannot be parsed.
    """
    intent = parse_predict(predict)
    parsed_costs = parse_costs(costs)
    diag = diagnose(data, target, task=task, X=X, y=y, seed=seed, exposure=exposure)
    intent, source, threshold, recs, close = recommend(diag, intent, parsed_costs)
    return Advice(
        task=diag.task.task,
        task_confidence=diag.task.confidence,
        task_evidence=diag.task.evidence,
        alternatives=diag.task.alternatives,
        predict=str(intent),
        predict_source=source,
        costs=parsed_costs,
        threshold=threshold,
        diagnostics=diag.values,
        recommendations=recs,
        messages=diag.messages,
        target=diag.target,
        confidence=_confidence(recs, close),
        close_call=close,
    )


def _confidence(recs: list[Recommendation], close: Any) -> str:
    """How sure the top pick is: ``"low"`` when the data cannot tell it from another (a close
    call), ``"high"`` when it leads the next by ≥ 1 point of rule score, else ``"medium"``."""
    if close is not None:
        return "low"
    if len(recs) < 2 or recs[0].score - recs[1].score >= 1.0:
        return "high"
    return "medium"


make_callable(__name__, advise)
