r"""From a diagnosis and the user's intent to ranked losses with reasons.

The intent is checked against the task and defaulted (the mean for numbers, a calibrated
probability for classes, a cost-optimal decision when costs are given); then the rule table
(`losslab.advise.rules`) is evaluated on the diagnosis's facts (`losslab.advise.facts`) by the
engine (`losslab.advise.engine`). Only registered losses are recommended, selected by their
metadata; a rule whose loss or parameter the registry lacks does not fire.
"""

from __future__ import annotations

from .._core.errors import DataError
from ..intent import Intent, parse_costs, parse_predict
from .advice import Recommendation
from .diagnose import Diagnosis
from .engine import CloseCall, close_call, evaluate
from .facts import facts

__all__ = ["Intent", "parse_costs", "parse_predict", "recommend"]


def recommend(
    diag: Diagnosis, intent: Intent | None, costs: dict[str, float] | None
) -> tuple[Intent, str, float | None, list[Recommendation], CloseCall | None]:
    """Rank losses for ``diag`` under the user's intent.

    Returns ``(intent used, its source "user"/"default", threshold or None, recommendations,
    close call or None)``.
    """
    task = diag.task.task
    classification = task in ("binary", "multiclass")
    source = "user" if intent is not None else "default"
    if costs is not None and task != "binary":
        raise DataError(
            f"costs={{'fp', 'fn'}} apply to a binary target; this target is {task} "
            f"({diag.values.get('n_classes', diag.values.get('n_unique'))} distinct values)."
        )
    if intent is None:
        if classification:
            intent = Intent("decision") if costs is not None else Intent("probability")
        else:
            intent = Intent("mean")
    if classification and intent.kind not in ("probability", "decision"):
        raise DataError(
            f"predict={str(intent)!r} needs a numeric target; this target is {task}. "
            "For classes use predict='probability' or 'decision'."
        )
    levels = task == "ordinal" and "class_counts" in diag.values
    if (
        not classification
        and intent.kind in ("probability", "decision")
        and task != "proportion"
        and not levels
    ):
        raise DataError(
            f"predict={intent.kind!r} needs a class target; this target is {task}. "
            "Use mean, median, quantile:τ or expectile:τ, or pass task='binary'/'multiclass'."
        )
    f = facts(diag, intent, source == "user", costs)
    recs = evaluate(f)
    if not recs:
        raise DataError(f"no registered loss fits task {task!r} with predict={str(intent)!r}.")
    return intent, source, f.threshold, recs, close_call(recs, f, diag.target)
