"""Analytic derivatives inside automatic differentiation, and derivatives for value-only losses.

Two jobs, both generic over every loss (no loss is named here):

1. `value` evaluates a loss's per-sample values so that PyTorch autograd and JAX transforms use
   the loss's own ``_gradient`` kernel (and, for the second derivative of elementwise losses, its
   ``_hessian`` kernel) instead of differentiating the value formula operation by operation. The
   analytic kernels keep full precision where a chain of primitive derivatives would not (e.g.
   the BCE gradient σ(x) − y at extreme logits) and never produce NaN from a ``where`` branch
   that was not taken.

   - PyTorch: when ``y_pred`` requires grad (and the target does not), a
     ``torch.autograd.Function`` whose backward is ``_gradient``; that backward is itself a
     ``Function`` whose backward is ``_hessian`` (elementwise losses: the Hessian is diagonal)
     or autograd of ``_gradient`` (losses with one row per sample: the full Hessian-vector
     product). So ``create_graph=True`` double backward is exact. If the target requires grad
     too, plain autograd through the kernels is used (both derivatives are then correct).
   - JAX: under tracing, a ``jax.custom_jvp`` whose tangent is ``_gradient``·ḟ (plus the
     ordinary JVP in the target's direction when the target is differentiated), with the
     gradient itself a ``custom_jvp`` using ``_hessian``; ``jax.grad`` (reverse mode, by
     transposition), ``jax.hessian``, ``jit`` and ``vmap`` all go through it.

2. `derived_gradient` / `derived_hessian`: gradient and Hessian diagonal of a loss that only
   defines ``_value`` (a subclass of `Loss`, or `losslab.custom`), by automatic
   differentiation with PyTorch or JAX.

Frameworks are imported inside functions only, and only when an array of theirs is already
at hand (or when a value-only loss needs differentiating), so ``import losslab`` stays light.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .errors import DTypeError
from .targets import is_structured
from .xp import array_namespace, is_tracing

if TYPE_CHECKING:
    from .loss import Loss
    from .validation import Prepared

__all__ = [
    "derived_gradient",
    "derived_hessian",
    "has_analytic_gradient",
    "reduced_eligible",
    "total",
    "value",
]


def has_analytic_gradient(loss: Loss) -> bool:
    """True if ``loss``'s class defines its own ``_gradient`` kernel."""
    from .loss import Loss

    return type(loss)._gradient is not Loss._gradient


def _is_torch(x: Any) -> bool:
    return "torch" in sys.modules and type(x).__module__.startswith("torch")


def value(loss: Loss, p: Prepared) -> Any:
    """Per-sample values of ``loss`` on prepared inputs, differentiable through its kernels."""
    f, t = p.f, p.t
    if loss.target_type is not None:
        # a structured target is no tensor to save or pytree to trace: autodiff runs through
        # the kernels (written for it: log space, no discarded branch that could be NaN)
        return loss._value(p.xp, t, f)
    if has_analytic_gradient(loss):
        if _is_torch(f):
            import torch

            if torch.is_grad_enabled() and f.requires_grad and not t.requires_grad:
                return _torch_value_fn().apply(f, t, loss)[0]  # [1] is the gradient, kept for backward
        elif is_tracing(f) or is_tracing(t) or loss._traced():
            return _jax_value(loss, p.xp, t, f)
    return loss._value(p.xp, t, f)


def reduced_eligible(loss: Loss, y_true: Any, y_pred: Any, sample_weight: Any) -> bool:
    """True for an eager PyTorch call whose mean or sum `total` can form: ``y_pred`` requires
    grad (the target does not), no weights, one number per sample, an analytic gradient."""
    if sample_weight is not None or loss.target_type is not None or loss.coupled or not _is_torch(y_pred):
        return False
    import torch

    return (
        torch.is_grad_enabled()
        and y_pred.requires_grad
        and not getattr(y_true, "requires_grad", False)
        and not is_tracing(y_pred)
        and not loss._traced()
        and has_analytic_gradient(loss)
    )


def total(loss: Loss, p: Prepared, reduction: str) -> Any:
    """The mean or sum of every sample's loss for a `reduced_eligible` call (unweighted, 0-d,
    in the kernels' dtype), differentiable: one autograd Function whose forward also forms the
    gradient (`Loss._total_gradient`), so no array of per-sample values is made or kept."""
    from ._torch_function import LossTotal

    n = 1
    if reduction == "mean":
        n = p.f.numel() // int(p.f.shape[-1]) if loss.multiclass else p.f.numel()
    return LossTotal.apply(p.f, p.t, loss, n)[0]  # [1] is the gradient, kept for backward


# -- PyTorch ---------------------------------------------------------------------------------
def _torch_value_fn() -> Any:
    # The autograd.Function classes are made on first access, here, when a torch tensor is
    # already at hand (so torch is already imported), and kept as that module's globals: one
    # fixed class per name, which lets torch.compile trace calls with fullgraph=True.
    from ._torch_function import LossValue

    return LossValue


# -- JAX -------------------------------------------------------------------------------------
def _jax_value(loss: Loss, xp: Any, t: Any, f: Any) -> Any:
    import jax
    from jax.custom_derivatives import SymbolicZero

    def is_zero(x: Any) -> bool:
        return isinstance(x, SymbolicZero)

    # traced hyper-parameters (jit/grad over δ) are explicit arguments q, not closed over: a
    # custom_jvp cannot be differentiated with respect to a value it closes over. Their tangent
    # is the ordinary JVP of the kernel in q's direction.
    q0 = {k: v for k, v in loss._params.items() if is_tracing(v)}

    def at(q: dict[str, Any]) -> Loss:
        return loss._with_values(q) if q else loss

    def q_jvp(kernel: Any, t: Any, f: Any, q: dict[str, Any], q_dot: dict[str, Any]) -> Any:
        if all(is_zero(v) for v in q_dot.values()):
            return None
        q_dot = {k: (xp.zeros_like(q[k]) if is_zero(v) else v) for k, v in q_dot.items()}
        return jax.jvp(lambda qq: kernel(at(qq), xp, t, f), (q,), (q_dot,))[1]

    @jax.custom_jvp
    def grad_fn(t: Any, f: Any, q: dict[str, Any]) -> Any:
        return at(q)._gradient(xp, t, f)

    def grad_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        t, f, q = primals
        t_dot, f_dot, q_dot = tangents
        lo = at(q)
        g = lo._gradient(xp, t, f)
        out = xp.zeros_like(g)
        if not is_zero(f_dot):
            if lo.multiclass:
                _, hvp = jax.jvp(lambda ff: lo._gradient(xp, t, ff), (f,), (f_dot,))
                out = out + hvp
            else:
                out = out + lo._hessian(xp, t, f) * f_dot
        if not is_zero(t_dot):
            _, dt = jax.jvp(lambda tt: lo._gradient(xp, tt, f), (t,), (t_dot,))
            out = out + dt
        dq = q_jvp(type(lo)._gradient, t, f, q, q_dot)
        return g, out if dq is None else out + dq

    grad_fn.defjvp(grad_jvp, symbolic_zeros=True)

    @jax.custom_jvp
    def value_fn(t: Any, f: Any, q: dict[str, Any]) -> Any:
        return at(q)._value(xp, t, f)

    def value_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        t, f, q = primals
        t_dot, f_dot, q_dot = tangents
        lo = at(q)
        v = lo._value(xp, t, f)
        out = xp.zeros_like(v)
        if not is_zero(f_dot):
            g = grad_fn(t, f, q)
            out = out + (xp.sum(g * f_dot, axis=-1) if lo.multiclass else g * f_dot)
        if not is_zero(t_dot):
            _, dt = jax.jvp(lambda tt: lo._value(xp, tt, f), (t,), (t_dot,))
            out = out + dt
        dq = q_jvp(type(lo)._value, t, f, q, q_dot)
        return v, out if dq is None else out + dq

    value_fn.defjvp(value_jvp, symbolic_zeros=True)
    return value_fn(t, f, q0)


# -- derivatives of value-only losses --------------------------------------------------------
def _backend_for(loss: Loss, f: Any) -> str:
    preferred = getattr(loss, "_autodiff_backend", None)
    if _is_torch(f):
        return "torch"
    mod = type(f).__module__
    if mod.startswith("jax") or is_tracing(f):
        return "jax"
    if preferred:
        return preferred
    for name in ("torch", "jax"):
        try:
            __import__(name)
        except ImportError:
            continue
        return name
    raise DTypeError(
        f"loss {loss.name!r} defines only its value; its gradient needs automatic differentiation "
        "from PyTorch or JAX, and neither is installed (pip install 'losslab[torch]')."
    )


def _derive(loss: Loss, xp: Any, t: Any, f: Any, order: int) -> Any:
    backend = _backend_for(loss, f)
    if backend == "torch":
        return _torch_derive(loss, xp, t, f, order)
    return _jax_derive(loss, xp, t, f, order)


def derived_gradient(loss: Loss, xp: Any, t: Any, f: Any) -> Any:
    """∂ℓᵢ/∂fᵢ of a value-only loss by automatic differentiation (grad of Σℓ)."""
    return _derive(loss, xp, t, f, 1)


def derived_hessian(loss: Loss, xp: Any, t: Any, f: Any) -> Any:
    """∂²ℓᵢ/∂fᵢ² (the diagonal) of a value-only loss by differentiating the gradient again
    (for a coupled loss: the diagonal of the full Hessian of Σwℓ)."""
    return _derive(loss, xp, t, f, 2)


def _total(loss: Loss, xp: Any, t: Any, x: Any) -> Any:
    """What the derived gradient differentiates: Σℓ, or Σwℓ for a coupled loss (whose kernels
    apply the weights themselves, `losslab._core.targets`)."""
    v = loss._value(xp, t, x)
    w = getattr(t, "weight", None) if loss.coupled else None
    return xp.sum(v if w is None else v * w)


def _torch_derive(loss: Loss, xp: Any, t: Any, f: Any, order: int) -> Any:
    import numpy as np
    import torch

    native = _is_torch(f)
    ff = f.detach() if native else torch.from_numpy(np.asarray(f))
    txp = array_namespace(ff)
    if is_structured(t):
        tt = t.to(txp, ff)
    else:
        tt = t.detach() if native else torch.from_numpy(np.asarray(t))
    with torch.enable_grad():
        x = ff.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(_total(loss, txp, tt, x), x, create_graph=order > 1)
        if order == 1:
            out = g.detach()
        elif not g.requires_grad:  # the gradient does not depend on f: a zero Hessian
            out = torch.zeros_like(x)
        elif loss.coupled:  # rows interact: entry i of row i of the full Hessian, one pass per entry
            flat = g.reshape(-1)
            diag = []
            for i in range(flat.shape[0]):
                (hi,) = torch.autograd.grad(flat[i], x, retain_graph=True, allow_unused=True)
                diag.append(torch.zeros((), dtype=x.dtype) if hi is None else hi.reshape(-1)[i])
            out = torch.stack(diag).reshape(x.shape)
        elif not loss.multiclass:
            (h,) = torch.autograd.grad(g.sum(), x, allow_unused=True)
            out = torch.zeros_like(x) if h is None else h
        else:
            cols = []
            for j in range(int(x.shape[1])):
                (hj,) = torch.autograd.grad(g[:, j].sum(), x, retain_graph=True, allow_unused=True)
                cols.append(torch.zeros_like(x[:, j]) if hj is None else hj[:, j])
            out = torch.stack(cols, dim=1)
    out = out.detach()
    return out if native else xp.asarray(out.numpy())


def _jax_derive(loss: Loss, xp: Any, t: Any, f: Any, order: int) -> Any:
    import jax
    import jax.numpy as jnp

    native = type(f).__module__.startswith("jax") or is_tracing(f)
    if native:
        return _jax_derive_native(loss, t, f, order)
    import numpy as np

    f_np = np.asarray(f)
    # NumPy float64 in: differentiate in float64 even when jax_enable_x64 is off
    with jax.enable_x64(f_np.dtype == np.float64):
        ff = jnp.asarray(f_np)
        tt = t.to(array_namespace(ff), ff) if is_structured(t) else jnp.asarray(np.asarray(t))
        out = _jax_derive_native(loss, tt, ff, order)
        return xp.asarray(np.asarray(out))


def _jax_derive_native(loss: Loss, tt: Any, ff: Any, order: int) -> Any:
    import jax
    import jax.numpy as jnp

    jxp = array_namespace(ff)

    def total(x: Any) -> Any:
        return _total(loss, jxp, tt, x)

    grad = jax.grad(total)
    if order == 1:
        out = grad(ff)
    elif loss.coupled:  # rows interact: the diagonal of the full Hessian
        n = int(ff.size)
        out = jnp.diagonal(jax.hessian(total)(ff).reshape(n, n)).reshape(ff.shape)
    elif not loss.multiclass:
        out = jax.grad(lambda x: jnp.sum(grad(x)))(ff)
    else:
        k = int(ff.shape[1])
        eye = jnp.eye(k, dtype=ff.dtype)
        # column j of the Hessian diagonal: the j-th entry of H·e_j, one forward-over-reverse pass
        cols = [jax.jvp(grad, (ff,), (jnp.broadcast_to(eye[j], ff.shape),))[1][:, j] for j in range(k)]
        out = jnp.stack(cols, axis=1)
    return out
