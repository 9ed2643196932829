"""``torch.autograd.Function`` classes that make backward use a loss's analytic kernels.

Loaded only by `losslab._core.autodiff` when a torch tensor is being differentiated (so torch
is already imported; ``import losslab`` never loads this module). The classes are made on first
access of ``LossValue`` or ``LossGradient`` (a module ``__getattr__``) and kept as this module's
globals, so that the core imports no framework at module level while every later lookup, also
under torch.compile, finds one fixed class. See `losslab._core.autodiff` for what is supported.
"""

from __future__ import annotations

from typing import Any

from .xp import array_namespace

__all__ = ["LossGradient", "LossTotal", "LossValue"]  # noqa: F822 (made by __getattr__ on first access)


def _contract(multiclass: bool, upstream: Any, g: Any) -> Any:
    """Chain rule for per-sample outputs: upstream (n,) with a gradient (n, k), or elementwise."""
    return upstream[..., None] * g if multiclass else upstream * g


def __getattr__(name: str) -> Any:
    if name in __all__:
        globals().update(_build())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _build() -> dict[str, type]:
    import torch

    try:  # what Function.apply uses after binding its arguments (private: PyTorch's apply without)
        from torch._C import _are_functorch_transforms_active
        from torch._functorch.utils import unwrap_dead_wrappers
    except ImportError:  # pragma: no cover - another PyTorch version
        _are_functorch_transforms_active = unwrap_dead_wrappers = None

    class _Function(torch.autograd.Function):
        """``apply`` without ``Function.apply``'s per-call ``inspect.signature`` binding (~50 µs, as
        much as a loss kernel on 10⁵ floats): the arguments here are always positional and complete.
        Under ``torch.func`` transforms and ``torch.compile`` PyTorch's own ``apply`` runs."""

        @classmethod
        def apply(cls, *args: Any) -> Any:
            if (
                unwrap_dead_wrappers is None
                or _are_functorch_transforms_active()
                or torch.compiler.is_compiling()
            ):
                return super().apply(*args)
            # what Function.apply does after binding (dead functorch wrappers unwrapped first)
            return super(torch.autograd.Function, cls).apply(*unwrap_dead_wrappers(args))

    class LossValue(_Function):
        """Per-sample loss values and, in the same forward, the analytic gradient backward returns.

        The gradient is an extra (non-differentiable) output, saved for backward: eager PyTorch
        then runs the loss's kernels once per training step with no second pass over the inputs in
        backward. A backward that builds a graph (``create_graph=True``, ``torch.func`` transforms)
        takes the gradient from `LossGradient` instead, whose own backward is the Hessian.
        """

        generate_vmap_rule = True  # the kernels are plain torch operations

        @staticmethod
        def forward(f: Any, t: Any, loss: Any) -> tuple[Any, Any]:
            return loss._value_and_gradient_kernels(array_namespace(f), t, f)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[Any, Any]) -> None:
            f, t, loss = inputs
            ctx.mark_non_differentiable(output[1])
            ctx.set_materialize_grads(False)  # no zeros for the gradient output's (unused) grad
            ctx.save_for_backward(f, t, output[1])
            ctx.loss = loss

        @staticmethod
        def backward(ctx: Any, upstream: Any, _unused: Any) -> tuple[Any, None, None]:
            if upstream is None:
                return None, None, None
            f, t, g = ctx.saved_tensors
            if torch.is_grad_enabled():  # the engine enables grad in backward only for create_graph
                g = LossGradient.apply(f, t, ctx.loss)
            return _contract(ctx.loss.multiclass, upstream, g), None, None

    class LossTotal(_Function):
        """Σℓ over every sample divided by ``n`` (the mean's count, or 1 for the sum), and in the
        same forward the gradient that backward scales by the upstream scalar / n: what a
        reduced eager loss needs, with no per-sample values kept. A loss whose forward makes no
        gradient (`Loss._total_gradient` returns None for it) has it recomputed in backward and
        scaled in place; one that returns a function has it formed by that function of the
        scale and the saved inputs (saved: PyTorch's in-place modification check covers them).
        ``create_graph=True`` takes the gradient from `LossGradient`, as `LossValue` does."""

        @staticmethod
        def forward(f: Any, t: Any, loss: Any, n: int) -> tuple[Any, Any]:
            total, g = loss._total_and_gradient_kernels(array_namespace(f), t, f)
            return (total / n if n != 1 else total), g

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[Any, Any]) -> None:
            f, t, loss, n = inputs
            g = output[1]
            ctx.deferred = None
            if g is None or callable(g):
                ctx.save_for_backward(f, t)
                ctx.deferred = g
            else:
                ctx.mark_non_differentiable(g)
                ctx.save_for_backward(f, t, g)
            ctx.set_materialize_grads(False)
            ctx.loss, ctx.n = loss, n

        @staticmethod
        def backward(ctx: Any, upstream: Any, _unused: Any) -> tuple[Any, None, None, None]:
            if upstream is None:
                return None, None, None, None
            f, t, *saved = ctx.saved_tensors
            scale = upstream / ctx.n if ctx.n != 1 else upstream
            if torch.is_grad_enabled():
                return LossGradient.apply(f, t, ctx.loss) * scale, None, None, None
            if saved:
                return saved[0] * scale, None, None, None
            if ctx.deferred is not None:  # formed from the forward's intermediates
                return ctx.deferred(scale, f, t), None, None, None
            g = ctx.loss._gradient(array_namespace(f), t, f)  # a fresh array: scaled in place
            g *= scale
            return g, None, None, None

    class LossGradient(_Function):
        """The analytic gradient; its backward is the Hessian (diagonal, or a full HVP per row)."""

        generate_vmap_rule = True

        @staticmethod
        def forward(f: Any, t: Any, loss: Any) -> Any:
            return loss._gradient(array_namespace(f), t, f)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
            f, t, loss = inputs
            ctx.save_for_backward(f, t)
            ctx.loss = loss

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

    for cls in (LossValue, LossTotal, LossGradient):
        cls.__qualname__ = cls.__name__  # as if defined at module level
    return {"LossValue": LossValue, "LossTotal": LossTotal, "LossGradient": LossGradient}
