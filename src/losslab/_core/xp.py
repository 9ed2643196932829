"""Array-namespace helpers: one loss code path for NumPy, PyTorch and JAX arrays.

Nothing here imports torch or jax; array-api-compat looks at the array's type.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from array_api_compat import array_namespace as _compat_namespace
from array_api_compat import device as _compat_device

__all__ = [
    "array_namespace",
    "detached",
    "device",
    "float_dtype_name",
    "is_array",
    "is_numpy_namespace",
    "is_tracing",
    "to_numpy",
]


def array_namespace(*xs: Any) -> Any:
    """The array-API namespace of ``xs`` (array-api-compat's), with torch tensors looked up
    directly: array-api-compat's ``functools.lru_cache`` helpers make ``torch.compile`` warn
    once per helper (seven warnings for one loss), so the torch path avoids them."""
    if xs and all(type(x).__module__.startswith("torch") for x in xs):
        import array_api_compat.torch as compat  # a plain import: no guard on sys.modules

        return compat
    return _compat_namespace(*xs)


def detached(x: Any) -> Any:
    """``x`` outside any autograd graph (a torch tensor's ``detach()``; others as they are)."""
    return x.detach() if type(x).__module__.startswith("torch") else x


def device(x: Any) -> Any:
    """The device of array ``x`` (a torch tensor's own, else array-api-compat's answer)."""
    if type(x).__module__.startswith("torch"):
        return x.device
    return _compat_device(x)


def is_numpy_namespace(xp: Any) -> bool:
    """True for NumPy or its array-api-compat wrapper (uncached, so ``torch.compile`` traces it)."""
    return getattr(xp, "__name__", "") in ("numpy", "array_api_compat.numpy")


def is_array(x: Any) -> bool:
    """True for an array of a library array-api-compat knows (NumPy, torch, JAX, …)."""
    if isinstance(x, np.ndarray):
        return True
    try:
        array_namespace(x)
    except TypeError:
        return False
    return not isinstance(x, (int, float, complex, bool, list, tuple))


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of an array on the host (only used for error messages and reports)."""
    if isinstance(x, np.ndarray):
        return x
    mod = type(x).__module__
    if mod.startswith("torch"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def is_tracing(x: Any) -> bool:
    """True when ``x`` is an abstract JAX tracer (inside ``jit``/``grad``/``vmap``), or a torch
    tensor seen by ``torch.compile`` or wrapped by a ``torch.func`` transform.

    Data-dependent checks need concrete values, so they are skipped under tracing.
    """
    if type(x).__module__.startswith("torch"):
        torch = sys.modules["torch"]
        if torch.compiler.is_compiling():
            return True
        wrapped = getattr(getattr(torch._C, "_functorch", None), "is_functorch_wrapped_tensor", None)
        return bool(wrapped is not None and wrapped(x))
    if "jax" not in sys.modules:
        return False
    import jax

    return isinstance(x, jax.core.Tracer)


def float_dtype_name(xp: Any, dtype: Any) -> str:
    """Short name of a dtype for messages (``float32``, ``int64`` …)."""
    name = str(dtype)
    return name.replace("torch.", "").replace("dtype(", "").replace(")", "").strip("'\"")
