"""PyTorch face of losslab: every registered loss as an ``nn.Module`` in PyTorch's argument order.

>>> import torch, losslab.torch
>>> crit = losslab.torch.Loss("huber", delta=1.0)
>>> x = torch.tensor([0.5, 3.0], requires_grad=True)
>>> out = crit(x, torch.zeros(2))          # (input, target), like torch.nn losses
>>> out.backward()
>>> round(out.item(), 4), x.grad.tolist()  # mean of [0.125, 2.5]; grad clip(r, -1, 1) / 2
(1.3125, [0.25, 0.5])

Backward uses the loss's analytic gradient (a ``torch.autograd.Function``; see
`losslab._core.autodiff`), so it is exact at extreme logits, and double backward
(``create_graph=True``) differentiates it with the analytic Hessian.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._core.loss import REDUCTIONS
from ._core.loss import Loss as _Loss
from ._core.registry import _ensure_builtin, get

__all__ = ["Loss", "loss"]

# the built-in losses are registered now, not on the first lookup: a lookup inside a function
# torch.compile traces (the functional `loss`) must not import modules
_ensure_builtin()


class Loss(nn.Module):
    r"""A losslab loss as a ``torch.nn.Module``: ``forward(input, target, weight=None)``.

    Parameters
    ----------
    spec : str, dict or losslab.Loss
        The loss (``"huber"``, ``{"name": "quantile", "quantile": 0.9}``, an instance, or
        ``"package.module:name"`` for a custom one).
    reduction : {"mean", "sum", "none"}
        ``"mean"`` is Σwℓ/Σw (Σℓ/n without weights); ``"none"`` gives per-sample values. For
        losses with one row of k scores per sample (cross-entropy, KL) per-sample means per row,
        so ``"mean"`` is PyTorch's ``"batchmean"`` for ``KLDivLoss``.
    check : bool
        Data-dependent checks (NaN, domains) on each call. They are skipped automatically under
        ``torch.compile`` and ``torch.func`` transforms; turn them off to save a host sync.
    **params
        Hyper-parameters of the loss (``delta=1.0``).

    Notes
    -----
    The argument order is PyTorch's, ``(input, target)``: ``input`` is the raw model output
    (logits for classification), ``target`` the labels or values. ``weight`` (alias
    ``sample_weight``) holds one non-negative weight per sample. Outputs have ``input``'s dtype
    and device; float16/bfloat16 inputs are computed in float32 and cast back.
    """

    def __init__(self, spec: Any, *, reduction: str = "mean", check: bool = True, **params: Any) -> None:
        super().__init__()
        loss = get(spec, **params)
        if reduction not in REDUCTIONS:
            from ._core.errors import ParameterError

            raise ParameterError(
                f"reduction for loss {loss.name!r} must be one of {', '.join(map(repr, REDUCTIONS))}; "
                f"got {reduction!r}."
            )
        self.loss: _Loss = loss
        self.reduction = reduction
        self.check = check

    def forward(
        self,
        input: torch.Tensor,
        target: Any,
        weight: Any = None,
        *,
        sample_weight: Any = None,
    ) -> torch.Tensor:
        """The loss of ``input`` (raw output) against ``target``, reduced as configured."""
        w = weight if sample_weight is None else sample_weight
        return self.loss(target, input, sample_weight=w, reduction=self.reduction, check=self.check)

    def extra_repr(self) -> str:
        return f"{self.loss!r}, reduction={self.reduction!r}"


def loss(
    spec: Any,
    input: torch.Tensor,
    target: Any,
    weight: Any = None,
    *,
    reduction: str = "mean",
    check: bool = True,
    **params: Any,
) -> torch.Tensor:
    """Functional form: ``losslab.torch.loss("huber", input, target, delta=2.0)``."""
    return get(spec, **params)(target, input, sample_weight=weight, reduction=reduction, check=check)
