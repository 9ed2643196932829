"""The error of a training run that diverged (kept free of heavy imports)."""

from __future__ import annotations

from .._core.errors import LosslabError

__all__ = ["DivergenceError"]


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
