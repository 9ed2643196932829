"""The built-in losses, one module per family; importing a module registers its losses."""

from .classification import BinaryCrossentropy, CategoricalCrossentropy
from .counts import Gamma, Poisson, Tweedie
from .divergence import KLDivergence
from .margin import Hinge
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
    "CategoricalCrossentropy",
    "Expectile",
    "Gamma",
    "GaussianNLL",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Poisson",
    "PseudoHuber",
    "Quantile",
    "Tweedie",
]
