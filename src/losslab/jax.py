"""JAX face of losslab: every registered loss as a pure function in optax's style.

``losslab.jax.<name>(predictions, targets, *, **hyper_parameters)`` returns per-example values
(elementwise for elementwise losses, one per row of scores for multiclass losses, whose
predictions may have any leading shape ``(..., k)``). Functions are built from the registry on
first use, so losses added later (including custom ones) appear too.

>>> import jax.numpy as jnp, losslab.jax
>>> losslab.jax.huber(jnp.array([0.5, 3.0]), jnp.zeros(2), delta=1.0).tolist()
[0.125, 2.5]
>>> pinball = losslab.jax.loss("quantile", quantile=0.9)
>>> round(float(pinball(jnp.array([8.0]), jnp.array([10.0]))[0]), 4)
1.8

They work under ``jax.jit``, ``jax.grad`` and ``jax.vmap``; data-dependent checks run only on
concrete arrays. ``jax.grad`` uses the loss's analytic gradient (a ``jax.custom_jvp``), and
second derivatives its analytic Hessian.

Real hyper-parameters may be traced (``jax.jit``/``jax.grad``/``jax.vmap`` over δ): pass the
traced value as the keyword; it is validated when concrete, checked only for shape and dtype
when traced, and a loss whose kernels need it concretely (Tweedie's power) raises
`losslab.ParameterError` naming it (docs/frameworks.md, "Traced hyper-parameters").
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ._core.errors import UnknownLossError
from ._core.loss import Loss
from ._core.registry import _ALIASES, get, list_losses, loss_class

__all__ = ["loss"]


def _per_example(lo: Loss, predictions: Any, targets: Any, check: bool) -> Any:
    if not lo.multiclass or lo.target_type is not None:  # a structured target fixes the layout
        return lo(targets, predictions, reduction="none", check=check)
    shape = tuple(predictions.shape)
    if len(shape) == 2:
        return lo(targets, predictions, reduction="none", check=check)
    if len(shape) < 1:  # let the core say what shape it needs
        return lo(targets, predictions, reduction="none", check=check)
    import jax.numpy as jnp

    k = shape[-1]
    lead = shape[:-1]
    f = jnp.reshape(predictions, (-1, k))
    t = jnp.asarray(targets)
    t = jnp.reshape(t, (-1, k)) if tuple(t.shape) == shape else jnp.reshape(t, (-1,))
    return jnp.reshape(lo(t, f, reduction="none", check=check), lead)


def loss(spec: Any, *, check: bool = True, **params: Any) -> Callable[..., Any]:
    """A pure function ``fn(predictions, targets)`` → per-example values, params bound.

    Parameters
    ----------
    spec : str, dict or losslab.Loss
        The loss.
    check : bool
        Data-dependent checks on concrete arrays (always skipped under tracing).
    **params
        Hyper-parameters.
    """
    lo = get(spec, **params)

    def fn(predictions: Any, targets: Any) -> Any:
        return _per_example(lo, predictions, targets, check)

    fn.__name__ = lo.name
    fn.__qualname__ = lo.name
    fn.__doc__ = f"Per-example {lo!r} of ``predictions`` against ``targets``."
    return fn


def _make(name: str) -> Callable[..., Any]:
    cls = loss_class(name)
    defaults = {p.name: p.default for p in cls.PARAMS}

    def fn(predictions: Any, targets: Any, *, check: bool = True, **params: Any) -> Any:
        return _per_example(cls(**{**defaults, **params}), predictions, targets, check)

    kw = [
        inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v)
        for k, v in (*defaults.items(), ("check", True))
    ]
    pos = [inspect.Parameter(a, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in ("predictions", "targets")]
    fn.__signature__ = inspect.Signature([*pos, *kw])  # type: ignore[attr-defined]
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    head = (cls.__doc__ or cls.name).strip().splitlines()[0]
    fn.__doc__ = (
        f"{head}\n\nPer-example values of losslab's {cls.name!r} loss on JAX arrays "
        f"(``predictions`` = raw model output, ``targets``); hyper-parameters are keyword-only: "
        f"{', '.join(f'{k}={v!r}' for k, v in defaults.items()) or 'none'}."
    )
    return fn


_CACHE: dict[str, tuple[type[Loss], Callable[..., Any]]] = {}


def __getattr__(name: str) -> Callable[..., Any]:
    if name.startswith("_") or ":" in name:
        raise AttributeError(f"module 'losslab.jax' has no attribute {name!r}")
    try:
        cls = loss_class(name)
    except UnknownLossError as exc:
        raise AttributeError(f"module 'losslab.jax' has no attribute {name!r}: {exc}") from None
    hit = _CACHE.get(name)
    if hit is None or hit[0] is not cls:  # a custom loss may be redefined under its name
        hit = _CACHE[name] = (cls, _make(name))
    return hit[1]


def __dir__() -> list[str]:
    list_losses()
    return sorted({*globals(), *_ALIASES})
