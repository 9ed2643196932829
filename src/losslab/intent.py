"""What the user wants: the statistic to predict (`Intent`) and misclassification costs.

Both the advisor and `losslab.compare` read these from the same words (``predict="quantile:0.9"``,
``costs="fp=1,fn=5"``), so the parsing lives here, below both.

>>> parse_predict("median")
Intent(kind='median', level=None)
>>> costs = parse_costs("fp=1,fn=4")
>>> costs, decision_threshold(costs)
({'fp': 1.0, 'fn': 4.0}, 0.2)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, TypedDict

from ._core.errors import ParameterError

__all__ = ["Costs", "Intent", "decision_threshold", "parse_costs", "parse_predict"]


class Costs(TypedDict):
    """Misclassification costs of a binary decision: a false positive, a false negative."""

    fp: float
    fn: float


@dataclass(frozen=True)
class Intent:
    """What the user wants predicted: ``kind`` in mean/median/quantile/expectile/probability/decision."""

    kind: str
    level: float | None = None

    def __str__(self) -> str:
        return f"{self.kind}({self.level:g})" if self.level is not None else self.kind


_PREDICT_KINDS = ("mean", "median", "quantile", "expectile", "probability", "decision")


def parse_predict(predict: str | None) -> Intent | None:
    """Parse ``predict=``: ``"mean"``, ``"median"``, ``"quantile:0.9"``, ``"expectile:0.8"``,
    ``"probability"``, ``"decision"`` (also ``"quantile(0.9)"``, ``"q0.9"``, ``"p90"``).

    >>> parse_predict("quantile:0.9")
    Intent(kind='quantile', level=0.9)
    >>> str(parse_predict("p90"))
    'quantile(0.9)'
    """
    if predict is None:
        return None
    if not isinstance(predict, str):
        raise ParameterError(f"predict must be a string such as 'mean' or 'quantile:0.9'; got {predict!r}.")
    text = predict.strip().lower().replace(" ", "")
    aliases = {
        "proba": "probability",
        "probabilities": "probability",
        "class": "decision",
        "label": "decision",
    }
    text = aliases.get(text, text)
    if text in ("mean", "median", "probability", "decision"):
        return Intent(text)
    m = re.fullmatch(r"(quantile|expectile|q|e)[:=(]?([0-9.]+)\)?", text) or re.fullmatch(
        r"(p)([0-9]{1,2})", text
    )
    if m:
        kind = {"q": "quantile", "p": "quantile", "e": "expectile"}.get(m.group(1), m.group(1))
        try:
            level = float(m.group(2))
        except ValueError:
            level = math.nan
        if m.group(1) == "p":
            level /= 100.0
        if not 0.0 < level < 1.0:
            raise ParameterError(
                f"the {kind} level in predict={predict!r} must lie in (0, 1); got {m.group(2)}."
            )
        return Intent(kind, level)
    raise ParameterError(
        f"cannot parse predict={predict!r}; expected one of mean, median, quantile:τ, expectile:τ, "
        "probability, decision (τ in (0, 1), e.g. quantile:0.9)."
    )


def parse_costs(costs: Any) -> Costs | None:
    """Parse ``costs=``: a dict ``{"fp": 1, "fn": 5}`` or the text ``"fp=1,fn=5"``.

    >>> parse_costs("fp=1, fn=5")
    {'fp': 1.0, 'fn': 5.0}
    """
    if costs is None:
        return None
    if isinstance(costs, str):
        out: dict[str, Any] = {}
        for part in costs.replace(";", ",").split(","):
            if not part.strip():
                continue
            key, sep, val = part.partition("=")
            if not sep:
                raise ParameterError(f"cannot parse costs {costs!r}; expected 'fp=1,fn=5'.")
            out[key.strip().lower()] = val.strip()
        costs = out
    if not isinstance(costs, dict):
        raise ParameterError(f"costs must be a dict like {{'fp': 1, 'fn': 5}} or 'fp=1,fn=5'; got {costs!r}.")
    keys = {str(k).lower(): v for k, v in costs.items()}
    if set(keys) != {"fp", "fn"}:
        raise ParameterError(f"costs needs exactly the keys 'fp' and 'fn'; got {sorted(keys)}.")
    parsed = {}
    for k in ("fp", "fn"):
        try:
            parsed[k] = float(keys[k])
        except (TypeError, ValueError):
            raise ParameterError(f"cost {k!r} must be a number; got {keys[k]!r}.") from None
        if not (math.isfinite(parsed[k]) and parsed[k] > 0):
            raise ParameterError(f"cost {k!r} must be a positive finite number; got {keys[k]!r}.")
    return Costs(fp=parsed["fp"], fn=parsed["fn"])


def decision_threshold(costs: Costs | None) -> float:
    """The Bayes threshold on P(positive) under ``costs``: c_fp/(c_fp + c_fn) (Elkan 2001); 0.5 without.

    >>> decision_threshold(None)
    0.5
    """
    if not costs:
        return 0.5
    return costs["fp"] / (costs["fp"] + costs["fn"])
