"""Hyper-parameter declarations: a name, a default, the interval it must lie in, and optionally
a rule that fits it from data.

A parameter declared with ``fit=`` accepts the value ``"auto"``: the loss is then a template whose
parameter is chosen from a target sample by `fit_auto` (`Loss.fit_auto`), e.g. on the training
rows of each cross-validation fold. Evaluating a loss whose parameter is still ``"auto"`` raises
`ParameterError`. The fitting rules below are shared by the loss modules that declare them.

>>> import losslab, numpy as np
>>> h = losslab.get("huber", delta="auto")
>>> h.fit_auto(np.array([0.0, 1.0, 2.0, 3.0, 100.0]))
Huber(delta=1.994)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ParameterError
from .xp import is_array, is_tracing

if TYPE_CHECKING:
    from .loss import Loss

__all__ = [
    "AUTO",
    "Interval",
    "Param",
    "auto_params",
    "balance_pos_weight",
    "fit_auto",
    "require_resolved",
    "robust_delta",
]

#: the parameter value that asks for a data-fitted value (see `Param.fit`)
AUTO = "auto"

#: Huber's 95%-efficiency constant under normality (the advisor's δ = 1.345·σ̂)
HUBER_K = 1.345


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

    def clip(self, x: float) -> float:
        """``x`` moved to the nearest value inside the interval (an open end: the next float in).

        >>> Interval(1.0, 2.0, True, False).clip(2.3), Interval(0.0, 1.0).clip(0.5)
        (1.9999999999999998, 0.5)
        """
        lo = self.low if self.low_closed else math.nextafter(self.low, math.inf)
        hi = self.high if self.high_closed else math.nextafter(self.high, -math.inf)
        return float(min(max(x, lo), hi))

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
    (an optional sequence of non-negative finite floats, stored as a tuple). ``fit``, when
    given, is the rule that chooses the value from a target sample (``fit(y, X=None) -> value``,
    y a 1-d float array: the regression target, or class indices 0/1 for binary losses; X the
    features of the same rows when the caller has them, for rules that need a fitted mean); the
    parameter then accepts ``"auto"``.
    """

    name: str
    default: Any
    doc: str
    kind: str = "float"
    interval: Interval = Interval()
    choices: tuple[Any, ...] = ()
    fit: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    def validate(self, loss_name: str, value: Any) -> Any:
        """Return ``value`` normalised to its stored form, or raise `ParameterError`."""
        where = f"parameter {self.name!r} of loss {loss_name!r}"
        if _is_auto(value) and self.kind != "choice":
            if self.fit is None:
                raise ParameterError(
                    f"{where} has no rule to fit it from data, so it cannot be 'auto'; pass a value."
                )
            return AUTO
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
        if not isinstance(value, numbers.Real):
            if is_tracing(value):
                return _traced_scalar(where, value)
            if is_array(value) and tuple(getattr(value, "shape", (0,))) == ():
                value = value.item()  # a concrete 0-d array (NumPy, JAX, torch) is its number
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
        if self.fit is not None:
            allowed += f", or 'auto': fitted from data by {getattr(self.fit, '__name__', 'its rule')}"
        return f"{self.name}={self.default!r} ({allowed}): {self.doc}"


# -- parameters fitted from data ---------------------------------------------------------------
def auto_params(loss: Loss) -> list[str]:
    """Names of ``loss``'s parameters that are ``"auto"`` (to be fitted from data)."""
    values = loss._params  # type: ignore[attr-defined]
    return [p.name for p in type(loss).PARAMS if p.fit is not None and _is_auto(values[p.name])]


def _is_auto(value: Any) -> bool:
    return isinstance(value, str) and value == AUTO


def fit_auto(loss: Loss, y: Any, X: Any = None) -> Loss:
    """``loss`` with each ``"auto"`` parameter replaced by its declared rule's value on ``y``
    (and the features ``X`` of the same rows, for a rule that needs them: tweedie's power).

    A loss without ``"auto"`` parameters is returned as is. The fitted value is validated like
    any other (a rule that lands outside the parameter's interval raises `ParameterError`).

    >>> import losslab, numpy as np
    >>> fit_auto(losslab.get("binary_crossentropy", pos_weight="auto"), np.array([0, 0, 0, 1]))
    BinaryCrossentropy(pos_weight=3.0)
    """
    names = auto_params(loss)
    if not names:
        return loss
    import numpy as np

    if loss.target_type is not None:
        y = loss.target_type.coerce(loss, y)  # a structured target goes to its rule as it is
    else:
        y = np.asarray(y, dtype=float).ravel()
    if len(y) == 0:
        raise ParameterError(f"cannot fit {', '.join(names)} of loss {loss.name!r} on an empty target.")
    decl = {p.name: p for p in type(loss).PARAMS}
    fitted = {k: decl[k].fit(y, X) for k in names}  # type: ignore[misc]
    return type(loss)(**{**loss.params, **fitted})


def require_resolved(loss: Loss) -> None:
    """Raise `ParameterError` if a parameter of ``loss`` is still ``"auto"``."""
    if AUTO not in loss._params.values():  # type: ignore[attr-defined]  # hot path: every evaluation
        return
    for k in auto_params(loss)[:1]:  # a choice named "auto" is a value, not a request
        raise ParameterError(
            f"parameter {k!r} of loss {loss.name!r} is 'auto': fit it with loss.fit_auto(y) or pass a number."
        )


def robust_delta(y: Any, X: Any = None) -> float:
    """Huber's δ = 1.345·σ̂, σ̂ the Gaussian-consistent MAD of y about its median (the advisor's
    rule without features; ``X`` is not used); the standard deviation when the MAD is 0, 1 when
    y is constant.

    >>> import numpy as np
    >>> round(robust_delta(np.array([0.0, 1.0, 2.0, 3.0, 100.0])), 4)
    1.9941
    """
    import numpy as np

    y = np.asarray(y, dtype=float)
    scale = 1.4826 * float(np.median(np.abs(y - np.median(y))))
    scale = scale if scale > 0 else float(np.std(y))
    return HUBER_K * scale if scale > 0 else 1.0


def balance_pos_weight(y: Any, X: Any = None) -> float:
    """pos_weight = n_neg/n_pos (XGBoost's ``scale_pos_weight`` rule) of labels in {0, 1}; ``X`` unused.

    >>> import numpy as np
    >>> balance_pos_weight(np.array([0, 0, 0, 1]))
    3.0
    """
    import numpy as np

    y = np.asarray(y, dtype=float)
    n_pos = float(np.sum(y == 1))
    n_neg = float(np.sum(y == 0))
    if n_pos == 0 or n_neg == 0:
        raise ParameterError(
            f"cannot fit pos_weight = n_neg/n_pos: the labels hold {int(n_pos)} positives and "
            f"{int(n_neg)} negatives; both classes are needed."
        )
    return round(n_neg / n_pos, 4)


def _traced_scalar(where: str, value: Any) -> Any:
    """A JAX tracer for a real parameter (``jit``/``grad`` over it), kept as is.

    Its shape and dtype are checked; its value cannot be (the interval check needs a concrete
    number), so a traced parameter outside its interval gives NaN or wrong values, not an error.
    Metadata (``Loss.info``) keeps the class's declared values while a parameter is traced.
    """
    dtype = str(getattr(value, "dtype", ""))
    if tuple(getattr(value, "shape", ())) != () or not dtype.startswith(("float", "int")):
        raise ParameterError(
            f"{where} must be a real scalar; got a traced array of shape "
            f"{tuple(getattr(value, 'shape', ()))} and dtype {dtype or 'unknown'}."
        )
    return value


def _is_np_bool(value: Any) -> bool:
    return type(value).__name__ == "bool_"
