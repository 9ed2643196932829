"""The built-in losses, one module per family; importing a module registers its losses."""

from .classification import BinaryCrossentropy, CategoricalCrossentropy
from .divergence import KLDivergence
from .margin import Hinge
from .regression import MAE, MSE, MSLE, Huber, Quantile

__all__ = [
    "MAE",
    "MSE",
    "MSLE",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "Hinge",
    "Huber",
    "KLDivergence",
    "Quantile",
]
