"""In-place NumPy kernels for the boosting hot path: labels fixed, one call per round.

`GradHess` asks `fast_kernel` once per objective. A kernel turns one dataset's labels, weights
and scales into per-row constants once, then every round computes g and h from the scores in
reused scratch buffers (in the scores' dtype) and writes fresh float32 arrays — the generic
path allocates and page-faults a new array per operation, which at 10⁶ rows costs more than
the arithmetic. The formulas are the losses' own; `tests/test_gbdt_fast.py` checks every
kernel against the generic path in float64 to ≤ 1 float32 ulp (≤ 8 for float32 scores, which
are computed in float32). Anything not covered here (soft labels, other policies, multiclass)
takes the generic path.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .._core.loss import Loss

__all__ = ["FastKernel", "fast_kernel"]


class FastKernel:
    """Per-dataset constants and scratch space; subclasses define `_labels` and `_run`."""

    buffers = 0  # scratch arrays of n rows that `_run` uses

    def __init__(self, loss: Loss) -> None:
        self.loss = loss
        self._key: tuple[Any, ...] | None = None
        self._state: dict[str, Any] | None = None
        self._lock = threading.Lock()  # one objective called from two threads shares the scratch

    def __call__(
        self, y: np.ndarray, w: np.ndarray | None, gscale: float, hscale: float, f: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Float32 (g, h) shaped like the scores ``f`` (n,), or None if the kernel does not apply
        to these labels (the caller takes the generic path)."""
        with self._lock:
            if not self._prepare(y, w, gscale, hscale, f.dtype):
                return None
            g = np.empty(f.shape, dtype=np.float32)
            h = np.empty(f.shape, dtype=np.float32)
            self._run(self._state, f, g, h)  # type: ignore[arg-type]
            return g, h

    def _prepare(self, y: np.ndarray, w: np.ndarray | None, gscale: float, hscale: float, dtype: Any) -> bool:
        """Cache the per-row constants of these labels (same objects as last time: reuse).

        Constants and scratch are in the scores' dtype — the generic path's precision (XGBoost
        hands float32 margins and stores labels in float32; LightGBM float64 scores).
        """
        key = (y, w, gscale, hscale, np.dtype(dtype))
        old = self._key
        if old is not None and old[2:] == key[2:] and _same(old[0], y) and _same(old[1], w):
            self._key = key
            return self._state is not None
        t = np.asarray(y, dtype=dtype).ravel()
        ww = None if w is None else np.asarray(w, dtype=np.float64).ravel()
        state = self._labels(t.astype(np.float64), ww, gscale, hscale)
        if state is not None:
            state = {k: v.astype(dtype) if isinstance(v, np.ndarray) else v for k, v in state.items()}
            state["buf"] = [np.empty(t.shape[0], dtype=dtype) for _ in range(self.buffers)]
        self._key, self._state = key, state
        return state is not None

    def __getstate__(self) -> dict[str, Any]:
        state = {**self.__dict__, "_key": None, "_state": None}  # a cache, not state
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    def _labels(self, t: np.ndarray, w: np.ndarray | None, gs: float, hs: float) -> dict[str, Any] | None:
        raise NotImplementedError

    def _run(self, s: dict[str, Any], f: np.ndarray, g: np.ndarray, h: np.ndarray) -> None:
        raise NotImplementedError


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """The same labels: the same object, or equal values (XGBoost's scikit-learn API reads a
    fresh copy of the labels every round)."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _times(w: np.ndarray | None, c: float) -> np.ndarray | float:
    return c if w is None else w * c


def _store(src: np.ndarray, c: np.ndarray | float, out: np.ndarray) -> None:
    """out = src · c (float32), one pass; skips the multiply when c is 1."""
    if isinstance(c, float) and c == 1.0:
        np.copyto(out, src, casting="same_kind")
    else:
        np.multiply(src, c, out=out, casting="same_kind")


def _fill(out: np.ndarray, c: np.ndarray | float) -> None:
    """out = c: a constant Hessian, per unit weight or per row."""
    if isinstance(c, float):
        out.fill(c)
    else:
        np.copyto(out, c, casting="same_kind")


class _LogisticHard(FastKernel):
    r"""binary_crossentropy on logits with labels in {0, 1} (any ``pos_weight``).

    With e = e^{−|x|} and s = 1 − 2y the gradient is s·k·u/(1 + e), u = 1 where s·x ≥ 0 else e,
    k = 1 (y = 0) or w⁺ (y = 1) — the loss's own far form, exact for hard labels — and the
    Hessian (w⁺y + 1 − y)·e/(1 + e)². u = max(e, 1[s·x ≥ 0]) selects without a masked write.
    """

    buffers = 3

    def _labels(self, t: np.ndarray, w: np.ndarray | None, gs: float, hs: float) -> dict[str, Any] | None:
        pos = t == 1.0
        if not np.all(pos | (t == 0.0)):
            return None  # soft labels: the generic kernel keeps their tiny gradients exact
        pw = float(self.loss.pos_weight)
        sign = np.where(pos, -1.0, 1.0)
        k = sign if pw == 1.0 else np.where(pos, -pw, 1.0)
        hk = None if pw == 1.0 else np.where(pos, pw, 1.0)
        return {
            "sign": sign,
            "gk": k * _times(w, gs),
            "hk": _times(w, hs) if hk is None else hk * _times(w, hs),
        }

    def _run(self, s: dict[str, Any], f: np.ndarray, g: np.ndarray, h: np.ndarray) -> None:
        e, d, u = s["buf"]
        np.multiply(f, s["sign"], out=u)
        np.greater_equal(u, 0.0, out=u)  # 1[s·x ≥ 0] as 0.0 / 1.0
        np.abs(f, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)
        np.add(e, 1.0, out=d)
        np.maximum(e, u, out=u)
        np.divide(u, d, out=u)
        _store(u, s["gk"], g)
        np.divide(e, d, out=e)
        np.divide(e, d, out=e)
        _store(e, s["hk"], h)


class _Kinked(FastKernel):
    """Piecewise-linear losses of r = f − y (mae, quantile) with a constant Hessian C.

    g = b·1[r > 0] + a·1[r < 0] with the slopes a < b of the two sides (0 at r = 0, as the loss's
    own kernel); h = C.
    """

    buffers = 3

    def __init__(self, loss: Loss, slopes: tuple[float, float], const: float) -> None:
        super().__init__(loss)
        self.slopes, self.const = slopes, const

    def _labels(self, t: np.ndarray, w: np.ndarray | None, gs: float, hs: float) -> dict[str, Any] | None:
        return {"t": t, "gk": _times(w, gs), "hk": _times(w, self.const * hs)}

    def _run(self, s: dict[str, Any], f: np.ndarray, g: np.ndarray, h: np.ndarray) -> None:
        a, b = self.slopes
        _fill(h, s["hk"])
        if "kernels" not in s:  # decided once per dataset
            s["kernels"] = _numba_kernels(f)
        k = s["kernels"]
        if k is not None:  # one pass instead of six; the same float64 products, cast alike
            gk = s["gk"]
            k.kinked_gradient(f, s["t"], a, b, gk if isinstance(gk, np.ndarray) else np.array([gk]), g)
            return
        gt, lt, _ = s["buf"]
        np.greater(f, s["t"], out=gt)
        np.less(f, s["t"], out=lt)
        np.multiply(gt, b, out=gt)
        np.multiply(lt, a, out=lt)
        np.add(gt, lt, out=gt)
        _store(gt, s["gk"], g)


def _numba_kernels(f: np.ndarray) -> Any:
    """The refit's numba kernels for float64 scores (LightGBM's) where `refit.kernels` would use
    them, else None; float32 scores keep the NumPy code (its float32 products)."""
    if f.dtype != np.float64 or f.ndim != 1:
        return None
    from .refit import kernels  # (refit imports this module's importers)

    return kernels(f.shape[0])


class _Squared(FastKernel):
    """mse: g = 2(f − y), h = 2."""

    buffers = 1

    def _labels(self, t: np.ndarray, w: np.ndarray | None, gs: float, hs: float) -> dict[str, Any] | None:
        return {"t": t, "gk": _times(w, 2.0 * gs), "hk": _times(w, 2.0 * hs)}

    def _run(self, s: dict[str, Any], f: np.ndarray, g: np.ndarray, h: np.ndarray) -> None:
        (r,) = s["buf"]
        np.subtract(f, s["t"], out=r)
        _store(r, s["gk"], g)
        _fill(h, s["hk"])


def fast_kernel(
    loss: Loss, kind: str, const: float | None, slopes: tuple[float, float] | None
) -> FastKernel | None:
    """The in-place kernel for ``loss`` under Hessian policy ``kind``, or None (generic path).

    Chosen by the loss's class and parameters, which fix its formulas: the kernels restate them.
    """
    from ..losses.classification import BinaryCrossentropy
    from ..losses.regression import MSE

    if loss.multiclass:
        return None
    if type(loss) is BinaryCrossentropy and kind == "exact":
        if loss.from_logits and not loss.label_smoothing:
            return _LogisticHard(loss)
    elif type(loss) is MSE and kind == "exact":
        return _Squared(loss)
    elif kind == "constant" and slopes is not None and loss.info.hessian == "zero_almost_everywhere":
        return _Kinked(loss, slopes, float(const))  # type: ignore[arg-type]
    return None
