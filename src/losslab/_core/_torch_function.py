"""``torch.autograd.Function`` classes that make backward use a loss's analytic kernels.

Imported only by `losslab._core.autodiff` when a torch tensor is being differentiated (so
torch is already imported; ``import losslab`` never loads this module). See that module for
what is supported.
"""

from __future__ import annotations

from typing import Any

import torch

from .xp import array_namespace

__all__ = ["LossGradient", "LossValue"]


def _contract(multiclass: bool, upstream: Any, g: Any) -> Any:
    """Chain rule for per-sample outputs: upstream (n,) with a gradient (n, k), or elementwise."""
    return upstream[..., None] * g if multiclass else upstream * g


class _LossFunction(torch.autograd.Function):
    """Saves (f, t) and the loss for backward: the inputs of both Functions below."""

    generate_vmap_rule = True  # the kernels are plain torch operations

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        f, t, loss = inputs
        ctx.save_for_backward(f, t)
        ctx.loss = loss


class LossValue(_LossFunction):
    """Per-sample loss values; backward is the loss's analytic gradient."""

    @staticmethod
    def forward(f: Any, t: Any, loss: Any) -> Any:
        return loss._value(array_namespace(f), t, f)

    @staticmethod
    def backward(ctx: Any, upstream: Any) -> tuple[Any, None, None]:
        f, t = ctx.saved_tensors
        g = LossGradient.apply(f, t, ctx.loss)
        return _contract(ctx.loss.multiclass, upstream, g), None, None


class LossGradient(_LossFunction):
    """The analytic gradient; its backward is the Hessian (diagonal, or a full HVP per row)."""

    @staticmethod
    def forward(f: Any, t: Any, loss: Any) -> Any:
        return loss._gradient(array_namespace(f), t, f)

    @staticmethod
    def backward(ctx: Any, upstream: Any) -> tuple[Any, None, None]:
        f, t = ctx.saved_tensors
        loss = ctx.loss
        if not loss.multiclass:
            return upstream * loss._hessian(array_namespace(f), t, f), None, None
        # one row per sample: a row's Hessian is a full (k, k) block; differentiate the analytic
        # gradient kernel for the exact Hessian-vector product. torch.func.vjp also works inside
        # torch.func transforms (where requires_grad_ is not allowed), and gives zeros for a
        # piecewise-constant gradient (multiclass hinge)
        _, vjp = torch.func.vjp(lambda ff: loss._gradient(array_namespace(ff), t, ff), f)
        (hvp,) = vjp(upstream)
        return hvp, None, None
