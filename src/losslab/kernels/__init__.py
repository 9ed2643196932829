"""Fused NumPy kernels: value, gradient and Hessian of the elementwise losses in one compiled pass.

`losslab._core.fastpath` sends a NumPy float32/float64 call here when the array is large enough
(see docs/speed.md); `run` answers it or returns ``None`` for the generic array-API kernels of
`losslab.losses`, which stay the reference. The table `SPECS` maps a loss class to the number
and parameters of its scalar kernel in `losslab.kernels._engine`; only those exact classes are
served (a subclass may change the formulas). numba is imported on the first call, not with this package.

The data checks (finite, inside the declared domains, weights finite and ≥ 0) run inside the
same pass; if one fails, `run` returns ``None`` and the generic path raises its usual message.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ..losses import counts, margin, regression, robust
from ..losses.classification import BinaryCrossentropy, CategoricalCrossentropy

__all__ = ["SPECS", "cheaper_up_to_target", "run", "supports"]

# kind numbers: mirror losslab.kernels._engine (kept numba-free here)
MSE, MAE, HUBER, QUANTILE, EXPECTILE, BCE, TWEEDIE, LOG_COSH, EPS_INSENSITIVE, SQ_EPS_INSENSITIVE = range(10)
SMOOTH_L1, PSEUDO_HUBER, FAIR, MAPE, MSLE = 10, 11, 12, 13, 14
HINGE, SQ_HINGE, PERCEPTRON, MOD_HUBER, EXPONENTIAL = 15, 16, 17, 18, 19

Spec = tuple[int, tuple[float, ...]]  # (kind, parameters)


def _tweedie(loss: Any) -> Spec:
    a, b = loss._ab()
    radius = counts._SERIES_RADIUS / max(1.0, abs(a), abs(b))
    return TWEEDIE, (a, b, radius, *loss._coefficients())


def _bce(loss: Any) -> Spec | None:
    if not loss.from_logits:
        return None  # the probability form takes the generic path
    return BCE, (float(loss.pos_weight), float(loss.label_smoothing))


SPECS: dict[type, Callable[[Any], Spec | None]] = {
    regression.MSE: lambda loss: (MSE, ()),
    regression.MAE: lambda loss: (MAE, ()),
    regression.Huber: lambda loss: (HUBER, (float(loss.delta),)),
    regression.Quantile: lambda loss: (QUANTILE, (float(loss.quantile),)),
    regression.Expectile: lambda loss: (EXPECTILE, (float(loss.expectile),)),
    # β = 0 is the absolute error, kernel and all (the generic path's branch)
    regression.SmoothL1: lambda loss: (SMOOTH_L1, (float(loss.beta),)) if loss.beta > 0 else (MAE, ()),
    robust.PseudoHuber: lambda loss: (PSEUDO_HUBER, (float(loss.delta),)),
    regression.MAPE: lambda loss: (MAPE, ()),
    regression.MSLE: lambda loss: (MSLE, ()),
    BinaryCrossentropy: _bce,
    counts.Poisson: _tweedie,
    counts.Gamma: _tweedie,
    counts.Tweedie: _tweedie,
    robust.LogCosh: lambda loss: (LOG_COSH, ()),
    robust.Fair: lambda loss: (FAIR, (float(loss.c), *robust._FAIR_SERIES)),
    robust.EpsilonInsensitive: lambda loss: (EPS_INSENSITIVE, (float(loss.epsilon),)),
    robust.SquaredEpsilonInsensitive: lambda loss: (SQ_EPS_INSENSITIVE, (float(loss.epsilon),)),
    margin.Hinge: lambda loss: (HINGE, (float(loss.margin),)),
    margin.SquaredHinge: lambda loss: (SQ_HINGE, (float(loss.margin),)),
    margin.Perceptron: lambda loss: (PERCEPTRON, ()),
    margin.ModifiedHuber: lambda loss: (MOD_HUBER, (1.0,)),
    margin.Sparsemax: lambda loss: (MOD_HUBER, (0.25,)),  # ¼ of the modified Huber loss
    margin.Exponential: lambda loss: (EXPONENTIAL, ()),
}
_SIGNED = (HINGE, SQ_HINGE, PERCEPTRON, MOD_HUBER, EXPONENTIAL)  # _engine.SIGNED

# "s": the value up to a function c of the target alone (`_engine.VALUE_UP_TO_Y`; the value itself
# where the kernel has no cheaper form); "c": that c(y), and "scgh" both sums with the gradient and
# Hessian, only where it has (`cheaper_up_to_target`; "scgh" reduced only)
_WANTS = {"g": (0, 1, 0), "h": (0, 0, 1), "gh": (0, 1, 1), "v": (1, 0, 0), "vg": (1, 1, 0), "vgh": (1, 1, 1)}
_WANTS.update({"s": (2, 0, 0), "sg": (2, 1, 0), "sgh": (2, 1, 1), "c": (3, 0, 0), "scgh": (2, 1, 1)})
# the value's form by the first letter of want (_engine.VALUE_UP_TO_Y, TARGET_TERM), for TWEEDIE (the
# kernels that have them; the others' value up to y is their value, summed as such)
_FORMS = {"s": 2, "c": 3}
_CHK_WIDTH = 7  # _engine.CHK_WIDTH
_prepared: dict[Any, Any] = {}  # loss -> (kind, prm, chk), or None if not served


def supports(loss: Any) -> bool:
    """True if the fused engine serves this loss (with its current parameters).

    >>> import losslab
    >>> from losslab import kernels
    >>> kernels.supports(losslab.get("poisson")), kernels.supports(losslab.get("bce", from_logits=False))
    (True, False)
    """
    return (_rows_plan(loss) if type(loss) is CategoricalCrossentropy else _plan(loss)) is not None


def cheaper_up_to_target(loss: Any) -> bool:
    """True if the engine computes the loss up to a function of y_true alone (want ``"s"``) by a
    cheaper form than the loss itself; for the others ``"s"`` gives the loss.

    The Tweedie family: ℓ = e^{bs}/b − y·e^{as}/a + y^b/(ab) (a = 1 − p, b = 2 − p) without the
    last term, so without the log of y that the exact deviance needs.

    >>> import losslab
    >>> from losslab import kernels
    >>> kernels.cheaper_up_to_target(losslab.get("poisson")), kernels.cheaper_up_to_target(losslab.get("mse"))
    (True, False)
    """
    plan = None if type(loss) is CategoricalCrossentropy else _plan(loss)
    return plan is not None and plan[0] == TWEEDIE  # the kernels with `_engine.TARGET_TERM`


def _domain_row(domain: Any) -> list[float] | None:
    """A domain as the engine's check row (see `_engine`), or None if it cannot say it."""
    if domain.rows or domain.structural or str(domain.kind) == "described":
        return None
    if len(domain.excluded) > 1 or len(domain.values) > 3:
        return None
    iv = domain.interval
    lo = iv.low if iv.low_closed and math.isfinite(iv.low) else math.nextafter(iv.low, math.inf)
    hi = iv.high if iv.high_closed and math.isfinite(iv.high) else math.nextafter(iv.high, -math.inf)
    values = [*domain.values, *([math.nan] * (3 - len(domain.values)))]
    row = [lo, hi, domain.excluded[0] if domain.excluded else math.nan, float(len(domain.values)), *values]
    assert len(row) == _CHK_WIDTH
    return row


def _plan(loss: Any) -> Any:
    try:
        return _prepared[loss]
    except (KeyError, TypeError):
        pass
    plan = None
    make = SPECS.get(type(loss))
    if make is not None and not any(v == "auto" for v in loss.params.values() if isinstance(v, str)):
        spec = make(loss)
        info = loss.info
        rows = (_domain_row(info.y_true), _domain_row(info.y_pred))
        if spec is not None and rows[0] is not None and rows[1] is not None:
            kind, prm = spec
            padded = (*prm, 0.0, 0.0, 0.0)[: max(3, len(prm))]  # the driver reads prm[0:3]
            plan = (kind, np.asarray(padded, np.float64), np.asarray(rows[0] + rows[1]))
    try:
        _prepared[loss] = plan
    except TypeError:
        pass
    return plan


def _same_shape_array(x: Any, like: np.ndarray) -> np.ndarray | None:
    """``x`` as a flat array of ``like``'s dtype, or None to let the generic path judge it."""
    if type(x) is not np.ndarray:
        try:
            x = np.asarray(x)
        except (ValueError, TypeError):
            return None
    if x.shape != like.shape or x.dtype.kind not in "biuf":
        return None
    if x.dtype != like.dtype:
        x = x.astype(like.dtype)
    return np.ascontiguousarray(x.reshape(-1))  # the kernels read it through its address


def run(
    loss: Any,
    y_true: Any,
    y_pred: np.ndarray,
    sample_weight: Any,
    check: bool,
    want: str,
    reduction: str,
    out: tuple[np.ndarray | None, np.ndarray | None],
    threads: int | None,
) -> Any:
    """Answer one call of ``loss`` in one pass, or return None for the generic path.

    ``out`` holds validated output arrays for the gradient and the Hessian (or None).
    """
    rows = type(loss) is CategoricalCrossentropy
    plan = _rows_plan(loss) if rows else _plan(loss)
    if (
        plan is None
        or ("c" in want and (rows or plan[0] != TWEEDIE))
        or (want == "scgh" and reduction == "none")
    ):
        return None  # not served; or c(y) of a loss whose value up to y is the value (c = 0)
    try:
        from . import _engine
    except ImportError:  # numba is not installed: the generic kernels answer
        return None
    if not _LOCK.acquire(blocking=False):
        return None  # another Python thread is in the engine: this call takes the generic path
    try:
        run_ = _run_rows if rows else _run
        return run_(_engine, plan, y_true, y_pred, sample_weight, check, want, reduction, out, threads)
    finally:
        _LOCK.release()


def _rows_plan(loss: Any) -> Any:
    """(class weights or None, ε) of a cross-entropy on logits with class-index targets."""
    if not loss.from_logits or loss.ignore_index is not None:
        return None
    cw = None if loss.class_weight is None else np.asarray(loss.class_weight, np.float64)
    return cw, float(loss.label_smoothing)


def _run_rows(
    _engine: Any,
    plan: Any,
    y_true: Any,
    y_pred: np.ndarray,
    sample_weight: Any,
    check: bool,
    want: str,
    reduction: str,
    out: tuple[np.ndarray | None, np.ndarray | None],
    threads: int | None,
) -> Any:
    """`run` for cross-entropy rows: y_pred (n, k), y_true class indices (n,)."""
    if y_pred.ndim != 2 or y_pred.shape[1] < 2:
        return None
    n, k = y_pred.shape
    labels = np.asarray(y_true) if type(y_true) is not np.ndarray else y_true
    if labels.shape != (n,) or labels.dtype.kind not in "iuf" or not labels.dtype.isnative:
        return None  # probability rows, a shape the generic path explains, or byte-swapped labels
    cw, eps = plan
    if cw is not None and cw.shape[0] != k:
        return None
    cw = np.ones(k) if cw is None else cw
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight)
        if w.shape != (n,) or w.dtype.kind not in "biuf":
            return None
        w = w.astype(y_pred.dtype, copy=False)
    f = np.ascontiguousarray(y_pred)
    dt = y_pred.dtype
    m = _engine.n_row_chunks(n)
    v_out, part_v, part_w, part_bad, g_out, h_out = _buffers(n, m, (n, k), dt, want, reduction, w, out)
    _set_threads(threads)
    _engine.softmax_ce(f, labels, w, True, cw, eps, v_out, g_out, h_out, part_v, part_w, part_bad)
    return _finish(_engine, n, dt, reduction, check, v_out, part_v, part_w, part_bad, g_out, h_out, (n,))


def _run(
    _engine: Any,
    plan: Any,
    y_true: Any,
    y_pred: np.ndarray,
    sample_weight: Any,
    check: bool,
    want: str,
    reduction: str,
    out: tuple[np.ndarray | None, np.ndarray | None],
    threads: int | None,
) -> Any:
    kind, prm, chk = plan
    dt = y_pred.dtype
    f = np.ascontiguousarray(y_pred).reshape(-1)  # a strided view is copied: read by address
    t = _same_shape_array(y_true, y_pred)
    if t is None:
        return None
    w = None
    if sample_weight is not None:
        w = _same_shape_array(sample_weight, y_pred)
        if w is None:
            return None
    n, shape = f.shape[0], y_pred.shape
    m = _engine.n_chunks(n)
    # the fused check always runs: it costs next to nothing; with check=False a bad entry still
    # goes to the generic path, which then computes without raising, as it always did
    sums = np.zeros((m, 3))  # per chunk: Σwℓ, Σw·c(y) (signed labels: which negatives), Σw
    v_out, part_v, part_w, part_bad, g_out, h_out = _buffers(n, m, shape, dt, want, reduction, w, out, sums)
    _set_threads(threads)
    g_flat = None if g_out is None else g_out.reshape(-1)
    h_flat = None if h_out is None else h_out.reshape(-1)
    given = (w, v_out, g_flat, h_flat, part_v)
    bits = (_engine.HAS_W, _engine.HAS_V, _engine.WANT_G, _engine.WANT_H, _engine.SUM_V)
    flags = sum(bit for bit, a in zip(bits, given, strict=True) if a is not None)
    empty = np.empty(0, dt)
    form = _FORMS.get(want[0], _engine.VALUE) if kind == TWEEDIE else _engine.VALUE
    w_, v_, g_, h_ = (empty if a is None else a for a in (w, v_out, g_flat, h_flat))
    _engine.elementwise(
        _engine.chunk_kernel(kind, dt, flags).address, kind, prm, t, f, w_, chk, v_, g_, h_, sums, part_bad,
        flags, _engine.VALUE_UP_TO_Y_AND_TERM if want == "scgh" else form,
    )  # fmt: skip
    if check and kind in _SIGNED:
        labels = sums[:, 1].astype(np.int64)  # per chunk: 1 if it holds a 0 label, 2 a −1
        if (labels & 1).any() and (labels & 2).any():
            return None  # 0 and −1 mixed: the generic path says so
    res = _finish(_engine, n, dt, reduction, check, v_out, part_v, part_w, part_bad, g_out, h_out, shape)
    if want != "scgh" or res is None:
        return res
    c = _engine.total(sums[:, 1])  # the mean as _finish takes it: by Σw (n without weights)
    if reduction == "mean":
        c = c / (_engine.total(part_w) if part_w is not None else float(n))
    return res[0], np.asarray(c, dt)[()], *res[1:]


def _buffers(
    n: int,
    m: int,
    shape: tuple[int, ...],
    dt: Any,
    want: str,
    reduction: str,
    w: Any,
    out: tuple[np.ndarray | None, np.ndarray | None],
    sums: np.ndarray | None = None,
) -> tuple[Any, ...]:
    """The outputs of a pass over n entries (or rows) in m chunks: per-entry values (reduction
    "none"), the chunks' partial sums of wℓ and w (columns 0 and 2 of ``sums`` if given) and
    their bad-entry flags, and the gradient and Hessian (``out``'s arrays where given), each
    None when not asked for."""
    want_v, want_g, want_h = _WANTS[want]
    v_out = np.empty(n, dt) if want_v and reduction == "none" else None
    part_v = (np.empty(m) if sums is None else sums[:, 0]) if want_v and reduction != "none" else None
    part_w = (np.empty(m) if sums is None else sums[:, 2]) if w is not None else None
    g_out = None if not want_g else (out[0] if out[0] is not None else np.empty(shape, dt))
    h_out = None if not want_h else (out[-1] if out[-1] is not None else np.empty(shape, dt))
    return v_out, part_v, part_w, np.empty(m, np.bool_), g_out, h_out


def _finish(
    _engine: Any,
    n: int,
    dt: Any,
    reduction: str,
    check: bool,
    v_out: Any,
    part_v: Any,
    part_w: Any,
    part_bad: Any,
    g_out: Any,
    h_out: Any,
    shape: tuple[int, ...],
) -> Any:
    """The results of a pass, or None where the generic path must answer (and explain)."""
    if part_bad.any():
        return None  # a bad entry: the generic path finds it and names it (or, unchecked, computes)
    sw = _engine.total(part_w) if part_w is not None else float(n)
    if check and not sw > 0:
        return None  # every weight is zero: the generic path raises
    results = []
    if v_out is not None:
        results.append(v_out.reshape(shape))
    elif part_v is not None:
        sv = _engine.total(part_v)
        if reduction == "mean":
            if not (sw > 1e-280 and math.isfinite(sw)):
                return None  # a subnormal or infinite total weight: the generic rescaling handles it
            sv = sv / sw
        with np.errstate(over="ignore"):  # float32: a sum beyond its range is inf, as in the generic path
            results.append(np.asarray(sv, dt)[()])
    if g_out is not None:
        results.append(g_out)
    if h_out is not None:
        results.append(h_out)
    return results[0] if len(results) == 1 else tuple(results)


# numba's "workqueue" threading layer: it does not share (and reset) the process's OpenMP thread
# count as the "omp" layer does (torch.get_num_threads() would change under the user), nor
# spin-wait against scikit-learn's OpenMP pool. It must not be entered by two threads at once:
# the lock sends a concurrent call to the generic kernels instead.
_LOCK = threading.Lock()
_numba_threads: list[int] = []


def _set_threads(threads: int | None) -> None:
    import numba

    if not _numba_threads:
        if not os.environ.get("NUMBA_THREADING_LAYER") and numba.config.THREADING_LAYER == "default":
            numba.config.THREADING_LAYER = "workqueue"  # before numba's first parallel launch
        _numba_threads.append(numba.config.NUMBA_NUM_THREADS)
    n = _numba_threads[0] if threads is None else min(threads, _numba_threads[0])
    if numba.get_num_threads() != n:
        numba.set_num_threads(n)
