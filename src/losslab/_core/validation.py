"""Input validation shared by every loss: array types, dtypes, shapes, domains, weights.

Every message names the loss, the argument, what was received (value and index) and what was
expected. Shape and dtype checks always run; value checks (NaN, domains, weights) run when
``check`` is true and the arrays are concrete (not JAX tracers).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DomainError, DTypeError, ShapeError
from .params import require_resolved
from .xp import array_namespace, detached, device, is_array, is_numpy_namespace, is_tracing, to_numpy

if TYPE_CHECKING:
    from .domains import Domain
    from .loss import Loss

__all__ = ["Prepared", "prepare", "report_bad"]

_LOW_PRECISION = ("float16", "bfloat16")


@dataclass
class Prepared:
    """Validated, converted inputs plus what is needed to shape the outputs."""

    xp: Any
    t: Any
    f: Any
    w: Any
    out_dtype: Any
    multiclass: bool
    coupled: bool = False  # the kernels applied the weights (rows interact: _core.targets)
    #: the data checks left to the loss's total (`prepare` with ``defer=True``): None, or the
    #: ``(scalars, bounds)`` of `_certificate` for the inputs the value cannot vouch for
    pending: tuple[list[Any], list[tuple[Any, int, Any]]] | None = None

    def settled(self, total: Any) -> bool:
        """True if the deferred checks pass given the loss's total Σℓ: it is finite (every
        argument the value vouches for was finite) and so is the rest of the certificate. One
        host sync. False also when Σℓ overflowed; the caller then takes the checked path."""
        if self.pending is None:
            return True
        scalars, bounds = self.pending
        total = detached(total)
        if not scalars:  # the total vouches for every argument: one number to read
            return math.isfinite(float(total))
        with np.errstate(over="ignore", invalid="ignore"):  # an overflowing NumPy sum: say no
            return _certified(self.xp, scalars, bounds, first=total)

    def errstate(self) -> Any:
        # NumPy warns on 0·inf and log(0) in branches that `where` discards; the kernels are
        # written so that no discarded branch reaches a result.
        if is_numpy_namespace(self.xp):
            return np.errstate(all="ignore")
        return contextlib.nullcontext()

    def cast(self, x: Any) -> Any:
        """``x`` in the output dtype (the input's: half precision is computed in float32)."""
        return x if x.dtype == self.out_dtype else self.xp.astype(x, self.out_dtype)

    def reduce(self, v: Any, reduction: str) -> Any:
        xp = self.xp
        if reduction == "mean" and self.w is not None:
            # Σwℓ/Σw with w scaled by the power of two nearest its maximum first (exact): a tiny
            # (subnormal) weight would otherwise round wℓ and push the mean outside [min ℓ, max ℓ]
            e = xp.floor(xp.log2(xp.max(self.w)))
            a = -xp.floor(e / 2.0)
            wn = (self.w * 2.0**a) * 2.0 ** (-e - a)
            total = xp.sum(v * wn) / xp.sum(wn)
        else:
            if self.w is not None:
                v = v * self.w
            if reduction == "none":
                return self.cast(v)
            total = xp.sum(v)
            if reduction == "mean":
                total = total / float(_size(v))
        total = self.cast(total)
        if is_numpy_namespace(xp):
            return total[()]
        return total

    def per_entry(self, g: Any) -> Any:
        if self.w is not None and not self.coupled:
            w = self.w
            for _ in range(len(g.shape) - len(w.shape)):  # a weight per row: (n, k), (n, T, C) …
                w = w[..., None]
            g = g * w
        return self.cast(g)


def _size(x: Any) -> int:
    n = 1
    for s in x.shape:
        n *= int(s)
    return n


def _as_array(loss: Loss, arg: str, x: Any, like: Any = None) -> Any:
    """Turn ``x`` into an array of ``like``'s namespace (NumPy for lists and scalars)."""
    if not is_array(x):
        try:
            x = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise DTypeError(f"{arg} for loss {loss.name!r} must be an array of numbers; {exc}") from None
    if isinstance(x, np.ndarray) and x.dtype.kind not in "biuf":
        kind = "complex" if x.dtype.kind == "c" else str(x.dtype)
        raise DTypeError(
            f"{arg} for loss {loss.name!r} must hold real numbers; got an array of dtype {kind}."
        )
    if like is None:
        return x
    xp = array_namespace(like)
    if array_namespace(x) is xp:
        return x
    if isinstance(x, np.ndarray):
        return xp.asarray(x, device=device(like))
    raise DTypeError(
        f"{arg} for loss {loss.name!r} is a {type(x).__module__}.{type(x).__name__} but y_pred is a "
        f"{type(like).__module__}.{type(like).__name__}; pass arrays of one library "
        "(NumPy inputs are converted)."
    )


def report_bad(loss_name: str, arg: str, x: Any, bad: Any, expected: str) -> None:
    """Raise `DomainError` if any entry of the boolean mask ``bad`` is set."""
    bad_np = to_numpy(bad)
    if not bad_np.any():
        return
    idx = np.argwhere(bad_np)[0]
    where = int(idx[0]) if bad_np.ndim == 1 else tuple(int(i) for i in idx)
    x_np = to_numpy(x)
    got = x_np[idx[0]] if (x_np.ndim >= 1 and bad_np.ndim == 1) else x_np[tuple(idx)] if x_np.ndim else x_np
    got_s = np.array2string(np.asarray(got), precision=6, threshold=8) if np.ndim(got) else repr(got.item())
    n = int(bad_np.sum())
    plural = "value" if n == 1 else "values"
    at = f" at index {where}" if bad_np.ndim else ""
    raise DomainError(
        f"{arg} for loss {loss_name!r} must be {expected}; got {got_s}{at} ({n} {plural} out of range)."
        + _flushed_note(x, x_np[bad_np] if x_np.shape == bad_np.shape else got)
    )


def _flushed_note(x: Any, bad_values: Any) -> str:
    """Why a subnormal JAX input fails a check it passes in NumPy (XLA on CPU flushes it to 0)."""
    vals = np.asarray(bad_values)
    if not type(x).__module__.startswith("jax") or not np.issubdtype(vals.dtype, np.floating):
        return ""
    tiny = np.finfo(vals.dtype).tiny
    if not np.any((vals != 0) & (np.abs(vals) < tiny)):
        return ""
    return (
        f" JAX on CPU flushes subnormal numbers (nonzero, below {tiny:.4g} in {vals.dtype}) to zero, "
        "so the loss sees 0 there; pass NumPy or PyTorch arrays for subnormal inputs, or rescale them."
    )


def _float_dtype(loss: Loss, xp: Any, f: Any) -> Any:
    dt = f.dtype
    if not xp.isdtype(dt, "real floating"):
        raise DTypeError(
            f"y_pred for loss {loss.name!r} must be a floating array (raw model output); got dtype "
            f"{_dtype_name(dt)}. Convert with .astype(float) if the integers are meant as scores."
        )
    return dt


def _dtype_name(dt: Any) -> str:
    return str(dt).replace("torch.", "")


def _scores(loss: Loss, y_pred: Any) -> tuple[Any, Any, Any]:
    """``(xp, f, out_dtype)``: y_pred as a floating array (half precision computed in float32)."""
    f = _as_array(loss, "y_pred", y_pred)
    xp = array_namespace(f)
    out_dtype = _float_dtype(loss, xp, f)
    if _dtype_name(out_dtype) in _LOW_PRECISION:
        # half precision overflows exp() at 11.1; compute in float32 and return the input dtype
        f = xp.astype(f, xp.float32)
    if _size(f) == 0:
        raise ShapeError(
            f"y_pred for loss {loss.name!r} is empty (shape {tuple(f.shape)}); need at least one sample."
        )
    return xp, f, out_dtype


def prepare(
    loss: Loss, y_true: Any, y_pred: Any, sample_weight: Any, check: bool, defer: bool = False
) -> Prepared:
    """Validate and convert ``(y_true, y_pred, sample_weight)`` for ``loss``'s kernels.

    ``defer=True`` (the caller will form the loss's total Σℓ and call `Prepared.settled` on it):
    the finiteness of the arguments whose NaN or inf the value propagates
    (``Loss._value_propagates``) is left to that total, and the reductions that vouch for the
    others are returned unread in ``pending``, so that one host sync serves every check. A
    caller whose total does not settle re-runs `prepare` without ``defer`` (which names the bad
    entry, if any).
    """
    require_resolved(loss)
    if loss.target_type is not None:
        return _prepare_structured(loss, y_true, y_pred, sample_weight, check)
    xp, f, out_dtype = _scores(loss, y_pred)
    t_raw = _as_array(loss, "y_true", y_true, like=f)
    sample_shape = _check_shapes(loss, t_raw, f)
    concrete = check and not is_tracing(f) and not is_tracing(t_raw)
    # the entry-by-entry checks below run only when a few reductions cannot vouch for the inputs
    pending = None
    if concrete and defer:
        pending = _certificate(loss, xp, t_raw, f, loss._value_propagates)
        exact = pending is None  # a domain that is no interval: no reduction can vouch for it
    else:
        exact = concrete and not _plainly_valid(loss, xp, t_raw, f)
    if exact:
        report_bad(loss.name, "y_pred", f, ~xp.isfinite(f), "finite (no NaN or inf)")
        if xp.isdtype(t_raw.dtype, "real floating"):
            report_bad(loss.name, "y_true", t_raw, ~xp.isfinite(t_raw), "finite (no NaN or inf)")
    t = loss._target(xp, t_raw, f, concrete)
    if concrete:
        info = loss.info
        for arg, x, domain, fn in (
            ("y_true", t_raw, info.y_true, loss._y_true_bad),
            ("y_pred", f, info.y_pred, loss._y_pred_bad),
        ):
            # the declared domain first, then what only the loss's code can say
            if exact and _checked(domain):
                report_bad(loss.name, arg, x, ~domain.contains(xp, x), domain.describe())
            res = fn(xp, t if arg == "y_true" else x)
            if res is not None:
                report_bad(loss.name, arg, x, res[0], res[1])
    w = _weights(loss, xp, f, sample_weight, sample_shape, check)
    # A loss may exclude samples (e.g. labels equal to ignore_index) with a hook
    # `_sample_mask(xp, y_true) -> bool array | None`: excluded samples get weight 0, so their
    # value, gradient and Hessian are 0 and the mean's denominator does not count them.
    mask_fn = getattr(loss, "_sample_mask", None)
    keep = mask_fn(xp, t_raw) if mask_fn is not None else None
    if keep is not None:
        keep = xp.astype(keep, f.dtype)
        w = keep if w is None else w * keep
        if concrete and not bool(xp.any(w > 0)):
            raise DomainError(
                f"y_true for loss {loss.name!r} leaves no sample to average: every sample is "
                "excluded by the loss (e.g. every label equals ignore_index) or has zero weight."
            )
    return Prepared(xp, t, f, w, out_dtype, loss.multiclass, pending=pending)


def _weights(
    loss: Loss, xp: Any, f: Any, sample_weight: Any, sample_shape: tuple[int, ...], check: bool
) -> Any:
    """``sample_weight`` checked (one per sample, finite, >= 0, a positive sum) in f's dtype."""
    if sample_weight is None:
        return None
    w = _as_array(loss, "sample_weight", sample_weight, like=f)
    if tuple(w.shape) != sample_shape:
        raise ShapeError(
            f"sample_weight for loss {loss.name!r} must have shape {sample_shape} (one weight per "
            f"sample); got shape {tuple(w.shape)}."
        )
    w = xp.astype(w, f.dtype)
    if check and not is_tracing(w) and not _weights_plainly_valid(xp, w):
        report_bad(loss.name, "sample_weight", w, ~xp.isfinite(w) | (w < 0), "finite and >= 0")
        if not bool(xp.any(w > 0)):
            raise DomainError(
                f"sample_weight for loss {loss.name!r} must have a positive sum; got all zeros."
            )
    return w


def _prepare_structured(loss: Loss, y_true: Any, y_pred: Any, sample_weight: Any, check: bool) -> Prepared:
    """`prepare` for a loss whose target is a `Structured` (``_core.targets``): the target is
    coerced, normalised to NumPy fields and checked there, then its fields are converted to
    ``y_pred``'s library, dtype and device. A coupled loss receives the weights as ``t.weight``."""
    xp, f, out_dtype = _scores(loss, y_pred)
    t = loss.target_type.coerce(loss, y_true).normalised(loss.name)
    n, fs = len(t), tuple(f.shape)
    want = f"({n}, n_outputs)" if loss.multiclass else f"({n},)"
    if t.PRED_NDIM is not None:  # the target fixes y_pred's layout (Sequences: (n, T, C))
        want = t.PRED_LAYOUT.format(n=n)
    if (len(fs) != (t.PRED_NDIM or (2 if loss.multiclass else 1))) or fs[0] != n:
        raise ShapeError(
            f"y_pred for loss {loss.name!r} must have shape {want}: one row per row of its "
            f"{type(t).__name__} target ({n} rows); got shape {fs}."
        )
    t = t.sized(loss.name, fs)
    concrete = check and not is_tracing(f)
    if concrete:
        with np.errstate(over="ignore", invalid="ignore"):
            finite = math.isfinite(float(xp.sum(detached(f))))
        if not finite:
            report_bad(loss.name, "y_pred", f, ~xp.isfinite(f), "finite (no NaN or inf)")
        t.check(loss.name)
        loss._check_target(t)
        domain = loss.info.y_pred
        if _checked(domain):
            report_bad(loss.name, "y_pred", f, ~domain.contains(xp, f), domain.describe())
    w = _weights(loss, xp, f, sample_weight, (n,), check)
    t = t.to(xp, f)
    if loss.coupled:
        t = replace(t, weight=w)  # w is in f's library and dtype (None: unweighted)
    return Prepared(xp, t, f, w, out_dtype, loss.multiclass, coupled=loss.coupled)


def _checked(domain: Domain) -> bool:
    """The declared domain is checked entry by entry here (not by the loss with the shapes)."""
    return not domain.unbounded and not domain.structural


def _plainly_valid(loss: Loss, xp: Any, t: Any, f: Any) -> bool:
    """True if the finiteness and domain checks of `prepare` would find nothing in ``t``, ``f``.

    A few reductions and one host sync in all, instead of a mask and a sync per check
    (``isfinite`` alone costs more than a loss's gradient in eager PyTorch). Sound by
    construction: a finite sum means no NaN or inf (either would propagate); for a domain that
    is an interval, the minimum and maximum are compared by the same `Domain.contains`, in the
    same dtype, and a comparison with a rounded bound is monotone, so every entry passes if the
    two extremes do (NaN propagates through min and max and fails it). False (also when a sum
    overflows) only sends the inputs through the entry-by-entry checks, which name the bad entry.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing sum only says "look closer"
        return _vouch(loss, xp, t, f)


def _vouch(loss: Loss, xp: Any, t: Any, f: Any) -> bool:
    cert = _certificate(loss, xp, t, f)
    return cert is not None and _certified(xp, *cert)


def _certificate(
    loss: Loss, xp: Any, t: Any, f: Any, propagated: frozenset[str] = frozenset()
) -> tuple[list[Any], list[tuple[Any, int, Any]]] | None:
    """``(scalars, bounds)``, unread: ``scalars`` 0-d arrays, each finite only if the inputs
    pass (a float argument's sum; an interval domain's minimum and maximum), ``bounds`` a
    ``(domain, i, dtype)`` per interval domain whose minimum and maximum are ``scalars[i]`` and
    ``scalars[i + 1]``; None if a domain is not an interval. Arguments named in ``propagated``
    with an unbounded domain are left out (the loss's total vouches for them)."""
    scalars: list[Any] = []
    bounds: list[tuple[Any, int, Any]] = []
    info = loss.info
    for arg, x, domain in (("y_true", t, info.y_true), ("y_pred", f, info.y_pred)):
        checked = _checked(domain)
        if not checked and arg in propagated:
            continue
        x = detached(x)  # no autograd graph for a check
        if checked:
            if domain.values or domain.excluded or domain.rows:
                return None  # not an interval: only the entry-by-entry check can say
            bounds.append((domain, len(scalars), x.dtype))
            scalars += _extremes(xp, x)
        elif xp.isdtype(x.dtype, "real floating"):
            scalars.append(xp.sum(x))
    return scalars, bounds


def _extremes(xp: Any, x: Any) -> list[Any]:
    """[min, max] of ``x`` (a PyTorch tensor's by one pass, ``aminmax``)."""
    if type(x).__module__.startswith("torch") and x.dtype.is_floating_point:
        import torch

        return list(torch.aminmax(x))
    return [xp.min(x), xp.max(x)]


def _certified(xp: Any, scalars: list[Any], bounds: list[tuple[Any, int, Any]], first: Any = None) -> bool:
    """The certificate of `_certificate` (after ``first``, a 0-d total that must be finite too)
    passes: every scalar finite, every interval's minimum and maximum inside it — compared by
    the same `Domain.contains` in their own dtype, on the host (a comparison with a rounded bound
    is monotone, so every entry passes if the two extremes do). One host sync for them all."""
    values = _host_values(xp, scalars if first is None else [first, *scalars])
    if values is None:
        return False
    if not all(math.isfinite(v) for v in values):
        return False
    off = 0 if first is None else 1
    for domain, i, dtype in bounds:
        name = _dtype_name(dtype)  # integers as NumPy compares them with a float bound: in float64
        ends = np.asarray(values[off + i : off + i + 2], dtype=name if "float" in name else "float64")
        if not bool(np.all(domain.contains(np, ends))):
            return False
    return True


def _host_values(xp: Any, scalars: list[Any]) -> list[Any] | None:
    """The 0-d arrays ``scalars`` as Python numbers by one transfer (None when a dtype has no
    NumPy counterpart: the entry-by-entry checks then decide)."""
    if not scalars:
        return []
    dtypes = {_dtype_name(s.dtype) for s in scalars}
    if any(d not in _NUMPY_DTYPES for d in dtypes):
        return None
    if len(dtypes) > 1:  # one transfer, in float64: exact for every float, and for integers
        # of up to 2⁵³; beyond, rounding keeps their order against the (small) interval bounds
        scalars = [xp.astype(s, xp.float64) for s in scalars]
    stacked = xp.stack(scalars)
    return stacked.tolist() if hasattr(stacked, "tolist") else np.asarray(stacked).tolist()


_NUMPY_DTYPES = frozenset(
    {"bool"}
    | {f"{k}{b}" for k in ("int", "uint") for b in (8, 16, 32, 64)}
    | {"float16", "float32", "float64"}
)


def _finite_and_true(xp: Any, total: Any, ok: Any) -> bool:
    """``total`` (a 0-d float or None) is finite and ``ok`` (a 0-d bool or None) is true, read
    with one host sync: a false ``ok`` divides ``total`` by 0, which is never finite."""
    if ok is None:
        return total is None or math.isfinite(float(total))
    if total is None:
        return bool(ok)
    if is_numpy_namespace(xp):  # no device to sync with (and no division warning)
        return bool(ok) and math.isfinite(float(total))
    return math.isfinite(float(total / ok))


def _weights_plainly_valid(xp: Any, w: Any) -> bool:
    """True if the weights are finite, >= 0 and not all 0 (min and max: one sync)."""
    w = detached(w)
    lo, hi = xp.min(w), xp.max(w)
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite_and_true(xp, lo + hi, (lo >= 0) & (hi > 0))


def _check_shapes(loss: Loss, t: Any, f: Any) -> tuple[int, ...]:
    fs, ts = tuple(f.shape), tuple(t.shape)
    if loss.multiclass:
        if len(fs) != 2 or fs[1] < 2:
            raise ShapeError(
                f"y_pred for loss {loss.name!r} must have shape (n_samples, n_classes) with at least "
                f"2 classes (one raw score per class); got shape {fs}."
            )
        if ts != fs and ts != fs[:1]:
            raise ShapeError(
                f"y_true for loss {loss.name!r} must have shape {fs[:1]} (class indices) or {fs} "
                f"(class probabilities) to match y_pred of shape {fs}; got shape {ts}."
            )
        return fs[:1]
    if ts != fs:
        hint = ""
        if len(ts) + len(fs) == 3 and sorted((len(ts), len(fs))) == [1, 2] and 1 in (ts + fs)[1:]:
            hint = " An (n,) vs (n, 1) pair would broadcast to (n, n) elsewhere; reshape one of them."
        raise ShapeError(
            f"y_true and y_pred for loss {loss.name!r} must have the same shape; got y_true {ts} and "
            f"y_pred {fs}.{hint}"
        )
    return fs
