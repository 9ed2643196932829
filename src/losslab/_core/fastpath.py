"""The hook from `Loss` to the fused NumPy engine (`losslab.kernels`), and its settings.

`Loss.gradient` and friends ask `fused` first: for NumPy float32/float64 inputs of at least
``min_size`` elements and a loss the engine knows (looked up by the loss's exact class), the
engine computes everything in one compiled pass; otherwise (small inputs, other array types,
custom losses, the engine or numba absent, or a bad entry found by the fused check) it returns
``None`` and the caller runs the generic array-API kernels, which raise today's messages.

The engine is a plugin of this layer, not a dependency: it lives above ``losses`` (it knows the
loss classes), so it is loaded by module name on the first call that could use it, never at
import time. Settings: ``LOSSLAB_FUSED=0`` disables it, ``LOSSLAB_NUM_THREADS`` caps its
threads; `configure` and `limit_threads` change both at run time.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["configure", "engine", "fused", "limit_threads", "settings"]

ENGINE_MODULE = "losslab.kernels"  # loaded lazily (see the module docstring)

# below this many elements the per-call overhead of the compiled pass (~10 µs) beats its gain
# (measured in benchmarks/core_speed.py; see docs/speed.md)
DEFAULT_MIN_SIZE = 2048


def _env_threads() -> int | None:
    raw = os.environ.get("LOSSLAB_NUM_THREADS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


_settings: dict[str, Any] = {
    "enabled": os.environ.get("LOSSLAB_FUSED", "1").strip().lower() not in ("0", "false", "no", "off"),
    "min_size": DEFAULT_MIN_SIZE,
    "threads": _env_threads(),
}
_local = threading.local()  # per-thread cap set by limit_threads
_engine: list[Any] = []  # [module] once loaded, [None] if it cannot be


def settings() -> dict[str, Any]:
    """The current settings: ``enabled``, ``min_size`` and ``threads`` (None: every core).

    >>> from losslab._core import fastpath
    >>> sorted(fastpath.settings())
    ['enabled', 'min_size', 'threads']
    """
    out = dict(_settings)
    cap = getattr(_local, "threads", None)
    if cap is not None:
        out["threads"] = cap if out["threads"] is None else min(cap, out["threads"])
    return out


def configure(*, enabled: bool | None = None, min_size: int | None = None, threads: int | None = 0) -> None:
    """Change the fused engine's settings for this process (None/omitted: unchanged).

    Parameters
    ----------
    enabled : bool, optional
        False sends every call to the generic kernels (same results, slower).
    min_size : int, optional
        Arrays with fewer elements take the generic kernels.
    threads : int or None, optional
        Cap on the engine's threads; ``None`` lifts the cap (every core numba sees).

    >>> from losslab._core import fastpath
    >>> fastpath.configure(min_size=4096); fastpath.settings()["min_size"]
    4096
    >>> fastpath.configure(min_size=fastpath.DEFAULT_MIN_SIZE)
    """
    if enabled is not None:
        _settings["enabled"] = bool(enabled)
    if min_size is not None:
        _settings["min_size"] = max(1, int(min_size))
    if threads != 0:
        _settings["threads"] = None if threads is None else max(1, int(threads))


@contextlib.contextmanager
def limit_threads(threads: int | None) -> Iterator[None]:
    """Within the block, the engine uses at most ``threads`` threads in this thread (None: no-op).

    >>> from losslab._core import fastpath
    >>> with fastpath.limit_threads(1):
    ...     fastpath.settings()["threads"]
    1
    """
    old = getattr(_local, "threads", None)
    if threads is not None:
        _local.threads = max(1, int(threads))
    try:
        yield
    finally:
        _local.threads = old


def engine() -> Any:
    """The engine module, or None if it (or numba) cannot be imported."""
    if not _engine:
        try:
            _engine.append(importlib.import_module(ENGINE_MODULE))
        except ImportError:
            _engine.append(None)
    return _engine[0]


def fused(
    loss: Any, y_true: Any, y_pred: Any, sample_weight: Any, check: bool, want: str, reduction: str, out: Any
) -> Any:
    """The engine's answer for one call, or None to take the generic path.

    ``want`` is a string of the parts asked for, in order: ``"g"``, ``"h"``, ``"gh"``, ``"v"``,
    ``"vg"``, ``"vgh"``; or ``"s"``, ``"sg"``, ``"sgh"``: the value up to a function of y_true
    alone, ℓ(y, f) − c(y), where the engine's kernel has a cheaper form of it (the Tweedie family:
    no log of y), else ℓ itself — enough for comparing predictions on fixed targets (a solver's
    line search), where ``c`` cancels; ``"c"``: that c(y) (y_pred only gives the shape), and
    ``"scgh"``: (value up to y, c(y), gradient, Hessian) from one loop, reduced — both served only
    where the form is cheaper (`losslab.kernels.cheaper_up_to_target`).
    """
    import numpy as np

    if type(y_pred) is not np.ndarray or y_pred.dtype.char not in "fd" or not _settings["enabled"]:
        return None
    if y_pred.size < _settings["min_size"]:
        return None
    eng = engine()
    if eng is None:
        return None
    return eng.run(loss, y_true, y_pred, sample_weight, check, want, reduction, out, settings()["threads"])
