"""losslab's core: the Loss base class, parameters, metadata, registry, validation, errors."""

from .errors import (
    DataError,
    DomainError,
    DTypeError,
    LosslabError,
    ParameterError,
    ShapeError,
    UnknownLossError,
)
from .info import LossInfo
from .loss import Loss
from .params import Interval, Param
from .registry import get, list_losses, loss_class, register

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
    "get",
    "list_losses",
    "loss_class",
    "register",
]
