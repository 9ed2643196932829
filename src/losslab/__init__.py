"""losslab — the loss functions of machine learning, exact, on every framework.

>>> import losslab
>>> loss = losslab.get("huber", delta=1.5)
>>> float(loss([0.0, 1.0], [0.5, 4.0]))
1.75
"""

from __future__ import annotations

from ._core.errors import (
    DataError,
    DomainError,
    DTypeError,
    LosslabError,
    ParameterError,
    ShapeError,
    UnknownLossError,
)
from ._core.info import LossInfo
from ._core.loss import Loss
from ._core.params import Interval, Param
from ._core.registry import get, list_losses, register

__version__ = "0.1.0"

__all__ = [
    "DTypeError",
    "DataError",
    "DomainError",
    "Interval",
    "Loss",
    "LossInfo",
    "LosslabError",
    "Param",
    "ParameterError",
    "ShapeError",
    "UnknownLossError",
    "__version__",
    "get",
    "list_losses",
    "register",
]
