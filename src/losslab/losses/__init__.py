"""The built-in losses, one module per family; importing a module registers its losses."""

from .classification import BinaryCrossentropy, CategoricalCrossentropy, CostSensitiveBCE
from .counts import Gamma, Poisson, Tweedie
from .divergence import KLDivergence
from .focal import BinaryFocal, CategoricalFocal
from .margin import Hinge, MulticlassHinge, SquaredHinge
from .probabilistic import GaussianNLL
from .regression import MAE, MAPE, MSE, MSLE, Expectile, Huber, Quantile
from .robust import Barron, LogCosh, PseudoHuber

__all__ = [
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "Barron",
    "BinaryCrossentropy",
    "BinaryFocal",
    "CategoricalCrossentropy",
    "CategoricalFocal",
    "CostSensitiveBCE",
    "Expectile",
    "Gamma",
    "GaussianNLL",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "MulticlassHinge",
    "Poisson",
    "PseudoHuber",
    "Quantile",
    "SquaredHinge",
    "Tweedie",
]
