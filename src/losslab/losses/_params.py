"""Parameter kinds the core `Param` does not cover: optional numbers, integers, scalar-or-vector.

Each is a `Param` whose ``validate`` accepts ``None`` (the parameter is off) besides its kind;
values are stored in the same plain forms as `Param` (float, int, tuple of floats), so
``to_dict``, equality, hashing and pickling work unchanged.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from .._core import Interval, Param, ParameterError

__all__ = ["FROM_LOGITS", "OptionalFloat", "OptionalInt", "ScalarOrVector"]


def _where(param: Param, loss_name: str) -> str:
    return f"parameter {param.name!r} of loss {loss_name!r}"


@dataclass(frozen=True)
class OptionalFloat(Param):
    """A real number in ``interval``, or ``None``."""

    def validate(self, loss_name: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ParameterError(
                f"{_where(self, loss_name)} must be None or a real number in {self.interval}; got {value!r}."
            )
        value = float(value)
        if math.isnan(value) or value not in self.interval:
            raise ParameterError(
                f"{_where(self, loss_name)} must be None or in {self.interval}; got {value!r}."
            )
        return value

    def describe(self) -> str:
        return f"{self.name}={self.default!r} (None or in {self.interval}): {self.doc}"


@dataclass(frozen=True)
class OptionalInt(Param):
    """An integer (any sign), or ``None``."""

    def validate(self, loss_name: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ParameterError(f"{_where(self, loss_name)} must be None or an integer; got {value!r}.")
        return int(value)

    def describe(self) -> str:
        return f"{self.name}={self.default!r} (None or an integer): {self.doc}"


@dataclass(frozen=True)
class ScalarOrVector(Param):
    """``None``, one real number in ``interval``, or a non-empty sequence of them (a tuple)."""

    def validate(self, loss_name: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return OptionalFloat(self.name, None, self.doc, interval=self.interval).validate(loss_name, value)
        try:
            vals = tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"{_where(self, loss_name)} must be None, a number or a sequence of numbers in "
                f"{self.interval}; got {value!r}."
            ) from None
        bad = [v for v in vals if math.isnan(v) or v not in self.interval]
        if not vals or bad:
            raise ParameterError(
                f"{_where(self, loss_name)} must be a non-empty sequence of numbers in {self.interval}; "
                f"got {value!r}."
            )
        return vals

    def describe(self) -> str:
        return (
            f"{self.name}={self.default!r} (None, a number or one number per class, in {self.interval}): "
            f"{self.doc}"
        )


NON_NEGATIVE = Interval(0.0, math.inf, True, False)
UNIT_CLOSED = Interval(0.0, 1.0, True, True)
#: The switch of the losses that take logits or probabilities (bce, cce, kl, focal, cost-sensitive).
FROM_LOGITS = Param("from_logits", True, "y_pred holds logits (True) or probabilities (False)", kind="bool")
