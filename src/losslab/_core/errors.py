"""Exception hierarchy: one root, each leaf also a builtin users already catch."""

from __future__ import annotations

__all__ = [
    "DTypeError",
    "DataError",
    "DomainError",
    "LosslabError",
    "ParameterError",
    "ShapeError",
    "UnknownLossError",
    "UnsupportedError",
]


class LosslabError(Exception):
    """Root of every error losslab raises on purpose."""


class ParameterError(LosslabError, ValueError):
    """A hyper-parameter is outside its interval or of the wrong kind."""


class ShapeError(LosslabError, ValueError):
    """Arrays whose shapes do not fit together (losslab never broadcasts silently)."""


class DomainError(LosslabError, ValueError):
    """A value outside the domain of a loss argument (NaN, inf, labels, ranges)."""


class DTypeError(LosslabError, TypeError):
    """An array of a dtype the argument cannot take (integer predictions, strings…)."""


class UnknownLossError(LosslabError, ValueError):
    """A loss name that is not registered."""


class DataError(LosslabError, ValueError):
    """A data set that cannot be used as asked (missing column, one class only…)."""


class UnsupportedError(LosslabError, NotImplementedError):
    """A call a loss declares it cannot answer (the Hessian of a loss whose metadata says none)."""
