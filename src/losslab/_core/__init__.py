"""losslab's core: the Loss base class, parameters, metadata, registry, validation, errors."""

from .domains import Domain, DomainKind
from .equivalence import equivalent
from .errors import (
    DataError,
    DomainError,
    DTypeError,
    LosslabError,
    ParameterError,
    ShapeError,
    UnknownLossError,
)
from .info import HessianKind, LinkKind, LossInfo, ParamRole, Task
from .loss import Loss
from .params import Interval, Param
from .registry import get, list_losses, loss_class, register
from .statistic import Estimand, Statistic

__all__ = [
    "DTypeError",
    "DataError",
    "Domain",
    "DomainError",
    "DomainKind",
    "Estimand",
    "HessianKind",
    "Interval",
    "LinkKind",
    "Loss",
    "LossInfo",
    "LosslabError",
    "Param",
    "ParamRole",
    "ParameterError",
    "ShapeError",
    "Statistic",
    "Task",
    "UnknownLossError",
    "equivalent",
    "get",
    "list_losses",
    "loss_class",
    "register",
]
