"""Machine-readable metadata every loss declares (used by bridges, advisor, plots and docs)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["HESSIAN_KINDS", "TASKS", "LossInfo"]

TASKS = ("regression", "binary", "multiclass", "distribution")
HESSIAN_KINDS = (
    "exact",  # the true second derivative, positive where the loss is strictly convex
    "zero_almost_everywhere",  # piecewise linear loss: 0 except at kinks (mae, quantile, hinge)
    "piecewise",  # exact, but 0 on part of the domain (huber outside delta)
    "indefinite",  # exact, but negative somewhere (msle, non-convex robust losses)
)


@dataclass(frozen=True)
class LossInfo:
    """What a loss is for and how it behaves.

    Attributes
    ----------
    task : {"regression", "binary", "multiclass", "distribution"}
    estimates : str
        The statistic the loss is consistent for (``"mean"``, ``"median"``, ``"quantile"``,
        ``"probability"`` …); instances may refine it (``"quantile(0.9)"``).
    y_true, y_pred : str
        The domains, in words, as error messages state them.
    convex, smooth, robust : bool
        Convex in ``y_pred``; twice continuously differentiable; bounded influence of outliers.
    hessian : str
        One of ``HESSIAN_KINDS``.
    zero_at_perfect : bool
        ℓ(y, y) = 0 and it is the minimum, for losses where ``y_pred`` lives in ``y_true``'s space.
    references : tuple of str
    """

    task: str
    estimates: str
    y_true: str
    y_pred: str
    convex: bool
    smooth: bool
    robust: bool
    hessian: str
    zero_at_perfect: bool = False
    references: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}; got {self.task!r}")
        if self.hessian not in HESSIAN_KINDS:
            raise ValueError(f"hessian must be one of {HESSIAN_KINDS}; got {self.hessian!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-ready)."""
        d = asdict(self)
        d["references"] = list(self.references)
        return d
