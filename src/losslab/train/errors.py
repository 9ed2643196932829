"""The errors of training: a run that diverged, a loss it cannot train (kept free of heavy imports)."""

from __future__ import annotations

from .._core.errors import LosslabError, ParameterError

__all__ = ["DivergenceError", "RecipeError"]


class DivergenceError(LosslabError, ArithmeticError):
    """The training loss (or a parameter) became NaN or infinite.

    Attributes
    ----------
    epoch : int
        The 1-based epoch in which it happened.
    """

    def __init__(self, message: str, epoch: int) -> None:
        super().__init__(message)
        self.epoch = epoch


class RecipeError(ParameterError):
    """A loss whose gradient is a recipe (``info.gradient == "recipe"``: LambdaRank, XE-NDCG)
    was given to a trainer that minimises the loss's value (the linear solver)."""
