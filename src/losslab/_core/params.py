"""Hyper-parameter declarations: a name, a default, and the interval it must lie in."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from .errors import ParameterError

__all__ = ["Interval", "Param"]


@dataclass(frozen=True)
class Interval:
    """A real interval with open or closed ends, e.g. ``Interval(0, 1, False, False)`` = (0, 1)."""

    low: float = -math.inf
    high: float = math.inf
    low_closed: bool = False
    high_closed: bool = False

    def __contains__(self, x: float) -> bool:
        lo_ok = x >= self.low if self.low_closed else x > self.low
        hi_ok = x <= self.high if self.high_closed else x < self.high
        return bool(lo_ok and hi_ok)

    def __str__(self) -> str:
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"{left}{_fmt(self.low)}, {_fmt(self.high)}{right}"


def _fmt(x: float) -> str:
    if x == math.inf:
        return "inf"
    if x == -math.inf:
        return "-inf"
    return f"{x:g}"


@dataclass(frozen=True)
class Param:
    """Declaration of one hyper-parameter of a loss.

    ``kind`` is ``"float"``, ``"bool"``, ``"choice"`` (one of ``choices``) or ``"vector"``
    (an optional sequence of non-negative finite floats, stored as a tuple).
    """

    name: str
    default: Any
    doc: str
    kind: str = "float"
    interval: Interval = Interval()
    choices: tuple[Any, ...] = ()

    def validate(self, loss_name: str, value: Any) -> Any:
        """Return ``value`` normalised to its stored form, or raise `ParameterError`."""
        where = f"parameter {self.name!r} of loss {loss_name!r}"
        if self.kind == "bool":
            if not isinstance(value, (bool,)) and not _is_np_bool(value):
                raise ParameterError(f"{where} must be True or False; got {value!r}.")
            return bool(value)
        if self.kind == "choice":
            if value not in self.choices:
                raise ParameterError(
                    f"{where} must be one of {', '.join(map(repr, self.choices))}; got {value!r}."
                )
            return value
        if self.kind == "vector":
            if value is None:
                return None
            try:
                vals = tuple(float(v) for v in value)
            except (TypeError, ValueError):
                raise ParameterError(
                    f"{where} must be a sequence of numbers or None; got {value!r}."
                ) from None
            bad = [v for v in vals if not (math.isfinite(v) and v >= 0)]
            if not vals or bad:
                raise ParameterError(
                    f"{where} must be a non-empty sequence of finite numbers >= 0; got {value!r}."
                )
            return vals
        # float
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ParameterError(f"{where} must be a real number in {self.interval}; got {value!r}.")
        value = float(value)
        if math.isnan(value) or value not in self.interval:
            raise ParameterError(f"{where} must be in {self.interval}; got {value!r}.")
        return value

    def describe(self) -> str:
        """One line: name, default and what is allowed."""
        if self.kind == "float":
            allowed = f"in {self.interval}"
        elif self.kind == "choice":
            allowed = "one of " + ", ".join(map(repr, self.choices))
        elif self.kind == "vector":
            allowed = "per-class weights or None"
        else:
            allowed = "True/False"
        return f"{self.name}={self.default!r} ({allowed}): {self.doc}"


def _is_np_bool(value: Any) -> bool:
    return type(value).__name__ == "bool_"
