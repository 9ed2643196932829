"""Typed domains of ``y_true`` and ``y_pred``: an interval, a kind, and the words messages use.

The base class checks every input against its loss's declared domains (`Domain.contains`), and
the generic test suite derives its boundary cases from the same declarations, so a domain that
is declared too wide or too narrow fails a test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .params import Interval, _fmt

__all__ = [
    "CLASS_TARGET",
    "LOGIT",
    "LOGIT_ROWS",
    "NONNEGATIVE",
    "POSITIVE",
    "PROBABILITY",
    "PROBABILITY_ROWS",
    "PROBABILITY_ROWS_PRED",
    "RAW_SCORE",
    "REAL",
    "SCORE_ROWS",
    "SIGNED_LABEL",
    "SOFT_LABEL",
    "Domain",
    "DomainKind",
    "row_sum_tol",
]


class DomainKind(StrEnum):
    """What the numbers of an argument are."""

    REAL = "real"
    NONZERO = "nonzero"
    POSITIVE = "positive"
    NONNEGATIVE = "nonnegative"
    PROBABILITY = "probability"  # one probability per entry
    SOFT_LABEL = "soft_label"  # a 0/1 label or a probability of the positive class
    LABEL = "label"  # a value of a finite label set (``values``)
    CLASS_TARGET = "class_target"  # class indices (n,) or probability rows (n, k)
    PROBABILITY_ROW = "probability_row"  # rows of k probabilities summing to 1
    LOGIT = "logit"  # a log-odds or a row of unnormalised log-probabilities
    RAW_SCORE = "raw_score"  # an unbounded score (a margin, a log-mean, a location)
    PARAMETERS = "parameters"  # columns of distribution parameters (mean, log-variance …)
    STRUCTURED = "structured"  # a `_core.targets.Structured` target, checked by its own `check`
    DESCRIBED = "described"  # declared in words only (old-style declarations): not checked


ALL_REALS = Interval()
_NOUNS = {DomainKind.LOGIT: "logit", DomainKind.RAW_SCORE: "raw score", DomainKind.PARAMETERS: "raw outputs"}
# kinds whose values are rows, checked row by row
_ROW_KINDS = (DomainKind.PROBABILITY_ROW,)
# kinds whose check needs the other argument's shape (k classes): the loss checks them
_STRUCTURAL_KINDS = (DomainKind.CLASS_TARGET, DomainKind.STRUCTURED)


def row_sum_tol(xp: Any, dtype: Any) -> float:
    """How far a row of probabilities may sum from 1 (float64: 1e-6, else 1e-4)."""
    return 1e-6 if dtype == xp.float64 else 1e-4


@dataclass(frozen=True)
class Domain:
    """The values an argument of a loss may take.

    Parameters
    ----------
    kind : DomainKind
        What the numbers are (real, probability, label, probability rows …).
    interval : Interval
        Every entry lies in it (open or closed ends).
    values : tuple of float
        For ``LABEL`` domains: the finite set of allowed values (empty: any value of the interval).
    excluded : tuple of float
        Points of the interval that are not allowed (MAPE's y = 0).
    note : str
        Words appended to the description in error messages (why the domain is what it is).
    shape : str
        The expected shape in words (``"(n,)"``, ``"(n, k)"``, ``"(n, 2)"``).

    Examples
    --------
    >>> import numpy as np
    >>> d = Domain(DomainKind.REAL, Interval(-1.0, math.inf))
    >>> d.describe()
    '> -1'
    >>> d.contains(np, np.array([-1.0, 0.0])).tolist()
    [False, True]
    """

    kind: DomainKind
    interval: Interval = ALL_REALS
    values: tuple[float, ...] = ()
    excluded: tuple[float, ...] = ()
    note: str = ""
    shape: str = "(n,)"

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", DomainKind(self.kind))

    # -- questions --------------------------------------------------------------------------
    @property
    def rows(self) -> bool:
        """Entries are checked row by row (a row of probabilities must sum to 1)."""
        return self.kind in _ROW_KINDS

    @property
    def structural(self) -> bool:
        """The loss checks it with the other argument's shape (class indices in [0, k − 1])."""
        return self.kind in _STRUCTURAL_KINDS

    @property
    def unbounded(self) -> bool:
        """Every finite real number is allowed."""
        iv = self.interval
        return iv.low == -math.inf and iv.high == math.inf and not self.values and not self.excluded

    def contains(self, xp: Any, x: Any) -> Any:
        """Boolean mask of the entries (rows for row domains) of ``x`` inside the domain.

        ``xp`` is the array namespace of ``x`` (NumPy, PyTorch, JAX …); NaN is never inside.
        """
        iv = self.interval
        ok = (x >= iv.low) if iv.low_closed else (x > iv.low)
        ok = ok & ((x <= iv.high) if iv.high_closed else (x < iv.high))
        if self.values:
            hit = x == self.values[0]
            for v in self.values[1:]:
                hit = hit | (x == v)
            ok = ok & hit
        for v in self.excluded:
            ok = ok & (x != v)
        if self.rows and len(x.shape) == 2:
            ok = xp.all(ok, axis=1) & (xp.abs(xp.sum(x, axis=1) - 1.0) <= row_sum_tol(xp, x.dtype))
        return ok

    # -- words -----------------------------------------------------------------------------
    def describe(self) -> str:
        """The domain in the words error messages use (``"> -1"``, ``"in [0, 1]"`` …)."""
        if self.kind == DomainKind.DESCRIBED:
            return self.note
        if self.kind == DomainKind.LABEL and self.values:
            text = "labels in " + _label_sets(self.values)
        elif self.kind == DomainKind.PROBABILITY:
            text = "a probability " + _interval_words(self.interval)
        elif self.kind == DomainKind.PROBABILITY_ROW:
            text = f"rows of probabilities {_interval_words(self.interval)} summing to 1"
        elif self.kind == DomainKind.CLASS_TARGET:
            text = "class indices in [0, k-1] of shape (n,), or probability rows of shape (n, k)"
        elif self.kind in _NOUNS and self.unbounded:
            text = f"{_NOUNS[self.kind]} (any real number)"
        elif self.excluded and self.interval == ALL_REALS:
            text = "nonzero" if self.excluded == (0.0,) else "not " + ", ".join(map(_fmt, self.excluded))
        else:
            text = _interval_words(self.interval)
        return f"{text} {self.note}" if self.note else text

    def __str__(self) -> str:
        return self.describe()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        iv = self.interval
        return {
            "kind": str(self.kind),
            "interval": {
                "low": _json_float(iv.low),
                "high": _json_float(iv.high),
                "low_closed": iv.low_closed,
                "high_closed": iv.high_closed,
            },
            "values": list(self.values),
            "excluded": list(self.excluded),
            "shape": self.shape,
            "description": self.describe(),
        }


def _json_float(x: float) -> float | str:
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")


def _interval_words(iv: Interval) -> str:
    low, high = iv.low, iv.high
    if low == -math.inf and high == math.inf:
        return "any real number"
    if high == math.inf:
        return f"{'>=' if iv.low_closed else '>'} {_fmt(low)}"
    if low == -math.inf:
        return f"{'<=' if iv.high_closed else '<'} {_fmt(high)}"
    return f"in {iv}"


def _label_sets(values: tuple[float, ...]) -> str:
    vs = set(values)
    if vs == {-1.0, 0.0, 1.0}:
        return "{0, 1} or {-1, +1}"
    return "{" + ", ".join(_fmt(v) for v in sorted(vs)) + "}"


# -- the domains the built-in losses share ------------------------------------------------------
_INF = math.inf
REAL = Domain(DomainKind.REAL)
NONNEGATIVE = Domain(DomainKind.NONNEGATIVE, Interval(0.0, _INF, True, False))
POSITIVE = Domain(DomainKind.POSITIVE, Interval(0.0, _INF, False, False))
SOFT_LABEL = Domain(DomainKind.SOFT_LABEL, Interval(0.0, 1.0, True, True))
SIGNED_LABEL = Domain(DomainKind.LABEL, values=(-1.0, 0.0, 1.0))
LOGIT = Domain(DomainKind.LOGIT)
RAW_SCORE = Domain(DomainKind.RAW_SCORE)
PROBABILITY = Domain(DomainKind.PROBABILITY, Interval(0.0, 1.0, True, True), note="(from_logits=False)")
CLASS_TARGET = Domain(DomainKind.CLASS_TARGET, shape="(n,) or (n, k)")
PROBABILITY_ROWS = Domain(DomainKind.PROBABILITY_ROW, Interval(0.0, 1.0, True, True), shape="(n, k)")
LOGIT_ROWS = Domain(DomainKind.LOGIT, shape="(n, k)")
SCORE_ROWS = Domain(DomainKind.RAW_SCORE, shape="(n, k)")
PROBABILITY_ROWS_PRED = Domain(
    DomainKind.PROBABILITY_ROW, Interval(0.0, 1.0, True, True), note="(from_logits=False)", shape="(n, k)"
)
