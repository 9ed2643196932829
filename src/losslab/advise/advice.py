"""The advisor's answer: `Advice` (task, diagnostics, ranked `Recommendation` s) and its text/JSON forms."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._core.loss import Loss

__all__ = ["Advice", "Message", "Recommendation", "jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars/arrays, tuples and non-finite floats made JSON-ready.

    NaN and ±inf become ``None`` (JSON has no literal for them).

    >>> import numpy as np
    >>> jsonable({"a": np.float64(1.5), "b": (1, np.int64(2)), "c": float("nan")})
    {'a': 1.5, 'b': [1, 2], 'c': None}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "to_dict") and not isinstance(value, type):
        return jsonable(value.to_dict())
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return jsonable(value.tolist())
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


@dataclass
class Message:
    """One finding about the data, EvalML ``DataCheck`` style: a stable ``code``, a ``level``
    (``"info"``, ``"warning"`` or ``"error"``), the text and the measured details."""

    code: str
    level: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        return {"code": self.code, "level": self.level, "message": self.message, "details": self.details}


@dataclass
class Recommendation:
    """One recommended loss, ready to use.

    Attributes
    ----------
    loss : Loss
        A losslab loss instance with parameters chosen from the data.
    name : str
        Its registry name (``loss.name``).
    score : float
        The advisor's rule score; recommendations are ranked by it (higher first).
    reasons : list of str
        The rules that fired, each citing the measured values behind it.
    estimates : str
        The statistic of y given x the loss is consistent for (``loss.statistic``).
    caveats : list of str
        What to watch out for (distorted probabilities, biased estimates, flat Hessians …).
    metrics : list of str
        Evaluation metrics to judge it with (names in `losslab.compare`'s vocabulary), the first
        one consistent for the target statistic.
    rank : int
        1 for the best.
    params : dict
        The parameters the advisor chose from the data.
    rules : list of str
        The ids of the rules that fired for it (`losslab.advise.rules.RULES`).
    """

    loss: Loss
    name: str
    score: float
    reasons: list[str]
    estimates: str
    caveats: list[str]
    metrics: list[str]
    rank: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The loss with the parameters the advisor chose, e.g. ``huber(delta=1.3)``."""
        shown = ", ".join(f"{k}={_fmt(v)}" for k, v in (self.params or _shown_params(self.loss)).items())
        return f"{self.name}({shown})" if shown else self.name

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form; ``loss`` is the loss's own dict (``losslab.get`` rebuilds it)."""
        return jsonable(
            {
                "rank": self.rank,
                "name": self.name,
                "label": self.label,
                "loss": self.loss.to_dict(),
                "params": self.params,
                "score": round(self.score, 4),
                "estimates": self.estimates,
                "reasons": self.reasons,
                "caveats": self.caveats,
                "metrics": self.metrics,
                "rules": self.rules,
            }
        )


@dataclass
class Advice:
    """What the advisor found in a data set and which losses it recommends.

    Attributes
    ----------
    task : str
        One of ``"binary"``, ``"multiclass"``, ``"regression"``, ``"count"``, ``"positive"``,
        ``"proportion"``, ``"ordinal"``.
    task_confidence : str
        ``"high"``, ``"medium"`` or ``"low"`` (``"given"`` when ``task=`` was passed).
    task_evidence : list of str
        Why the task was inferred, with the measured values.
    alternatives : list of str
        Other tasks the target could plausibly be (ambiguous integer targets name them).
    predict : str
        The statistic the recommendations target: ``"mean"``, ``"median"``, ``"quantile(0.9)"``,
        ``"expectile(0.8)"``, ``"probability"`` or ``"decision"``.
    predict_source : str
        ``"user"`` or ``"default"``.
    costs : dict or None
        ``{"fp": c_fp, "fn": c_fn}`` as given.
    threshold : float or None
        The cost-optimal decision threshold on calibrated probabilities, p* = c_fp/(c_fp + c_fn)
        (Elkan 2001); None without costs.
    diagnostics : dict
        Measured values (see ``docs/choosing-a-loss.md`` for each key).
    recommendations : list of Recommendation
        Ranked, best first.
    messages : list of Message
        Findings about the data (imbalance, leakage, missing values …).
    target : str or None
        The target column's name.
    confidence : str
        How sure the top pick is: ``"high"``, ``"medium"``, or ``"low"`` when the data cannot tell
        it from another recommendation (then ``close_call`` says which and how to settle it).
    close_call : CloseCall or None
        The two recommendations the data cannot tell apart, why, and the ``losslab compare``
        command that settles it.
    """

    task: str
    task_confidence: str
    task_evidence: list[str]
    alternatives: list[str]
    predict: str
    predict_source: str
    costs: dict[str, float] | None
    threshold: float | None
    diagnostics: dict[str, Any]
    recommendations: list[Recommendation]
    messages: list[Message] = field(default_factory=list)
    target: str | None = None
    confidence: str = "high"
    close_call: Any = None

    @property
    def best(self) -> Recommendation:
        """The top recommendation."""
        return self.recommendations[0]

    def top(self, k: int = 3) -> list[Loss]:
        """The ``k`` best losses, as loss instances (for `losslab.compare`)."""
        return [r.loss for r in self.recommendations[:k]]

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form, JSON-ready."""
        return jsonable(
            {
                "target": self.target,
                "task": self.task,
                "task_confidence": self.task_confidence,
                "task_evidence": self.task_evidence,
                "alternatives": self.alternatives,
                "predict": self.predict,
                "predict_source": self.predict_source,
                "costs": self.costs,
                "threshold": self.threshold,
                "diagnostics": self.diagnostics,
                "recommendations": [r.to_dict() for r in self.recommendations],
                "messages": [m.to_dict() for m in self.messages],
                "confidence": self.confidence,
                "close_call": None if self.close_call is None else self.close_call.to_dict(),
            }
        )

    def to_json(self, indent: int | None = 2) -> str:
        """The `to_dict` form as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def __str__(self) -> str:
        lines = []
        head = f"target {self.target!r}: " if self.target else ""
        lines.append(f"{head}task {self.task} (confidence {self.task_confidence})")
        for ev in self.task_evidence:
            lines.append(f"  - {ev}")
        if self.alternatives:
            lines.append(f"  alternatives: {', '.join(self.alternatives)}")
        lines.append(f"predict: {self.predict} ({self.predict_source})")
        if self.threshold is not None:
            lines.append(f"decision threshold p* = c_fp/(c_fp + c_fn) = {self.threshold:.4g}")
        for m in self.messages:
            lines.append(f"[{m.level}] {m.message}")
        lines.append(f"recommendations (confidence in the first: {self.confidence}):")
        for r in self.recommendations:
            lines.append(f"{r.rank}. {r.label} — estimates {r.estimates}; judge with {', '.join(r.metrics)}")
            for reason in r.reasons:
                lines.append(f"     + {reason}")
            for caveat in r.caveats:
                lines.append(f"     ! {caveat}")
        if self.close_call is not None:
            which, settle = self.close_call.lines()
            lines += [which, f"  {settle}"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        names = ", ".join(r.label for r in self.recommendations)
        return f"Advice(task={self.task!r}, predict={self.predict!r}, recommendations=[{names}])"


def _shown_params(loss: Loss) -> dict[str, Any]:
    defaults = {p.name: p.default for p in type(loss).PARAMS}
    out = {}
    for k, v in loss.params.items():
        if k == "from_logits":
            continue
        d = defaults.get(k)
        if isinstance(v, tuple) or v != d:
            out[k] = v
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return repr(v)
