"""The best constant raw prediction of a loss (the init score of gradient boosting).

``baseline(loss, y, w)`` = argmin over constants c of Σᵢ wᵢ ℓ(yᵢ, c) / Σ w.

A closed form is chosen from the loss's **typed metadata** (``info.statistic`` and the kind of
its link, ``loss.link.kind``),
never from its name, and then *verified* with the loss's own gradient; when the check fails —
because a parameter such as ``pos_weight`` or ``class_weight`` moves the optimum — or no closed
form applies, a one-dimensional root search on the weighted mean gradient (a quasi-Newton
search for multiclass losses) finds the minimiser to machine precision.

=============================  =========  ======================================================
``info.statistic``             link       closed form
=============================  =========  ======================================================
MEAN                           identity   weighted mean ȳ = Σwy/Σw
MEAN                           log        log ȳ
MEDIAN                         identity   weighted median (convention below)
QUANTILE, level τ              identity   weighted τ-quantile (convention below)
PROBABILITY                    logit      log(ȳ/(1 − ȳ))
CLASS_PROBABILITIES,           softmax    centred log of the weighted class frequencies
DISTRIBUTION                              (row means of probability targets): log p̄ⱼ − mean log p̄
=============================  =========  ======================================================

**Weighted quantile convention.** Sort y, accumulate the weights to Cⱼ, and let W = Σw. The
pinball loss is minimised by every point of [y₍ⱼ₎, y₍ⱼ₊₁₎] when Cⱼ = τW exactly, and by y₍ⱼ₎
alone otherwise (the first j with Cⱼ > τW). losslab returns the midpoint of the set of
minimisers — for unit weights this is NumPy's ``quantile(method="averaged_inverted_cdf")``, and
for τ = ½ the ordinary median (mean of the two middle values for even n). Zero-weight samples
are ignored.

An optimum at infinity (every label 0 or 1, a class with no weight, a log-link mean of 0) has
no finite raw score: `DataError` says so.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DataError, ShapeError, UnsupportedError
from .info import LinkKind, Task, link_kind
from .statistic import Statistic
from .xp import to_numpy

if TYPE_CHECKING:
    from .loss import Loss

__all__ = ["baseline", "closed_form", "weighted_quantile"]

_ROWS = (Statistic.CLASS_PROBABILITIES, Statistic.DISTRIBUTION)


def weighted_quantile(y: Any, sample_weight: Any, q: float) -> float:
    """The weighted q-quantile of y: the midpoint of the pinball loss's minimisers.

    Examples
    --------
    >>> weighted_quantile([1.0, 2.0, 3.0, 4.0], None, 0.5)
    2.5
    >>> weighted_quantile([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 5.0], 0.5)
    4.0
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    if sample_weight is None:
        w = np.ones_like(y)
    else:
        w = np.asarray(sample_weight, dtype=np.float64).ravel()
        keep = w > 0
        y, w = y[keep], w[keep]
    if y.size == 0:
        raise DataError("a weighted quantile needs at least one sample with positive weight.")
    order = np.argsort(y, kind="stable")
    ys, cw = y[order], np.cumsum(w[order])
    total = cw[-1]
    target = q * total
    j = min(int(np.searchsorted(cw, target, side="left")), ys.size - 1)
    # C_j == τW up to rounding (of τW or of the cumulative sum): every point of
    # [y_j, y_{j+1}] minimises; the crossing may sit one index before the search's
    if j > 0 and math.isclose(cw[j - 1], target, rel_tol=1e-12, abs_tol=0.0):
        return float(0.5 * (ys[j - 1] + ys[j]))
    if j + 1 < ys.size and math.isclose(cw[j], target, rel_tol=1e-12, abs_tol=0.0):
        return float(0.5 * (ys[j] + ys[j + 1]))
    return float(ys[j])


def closed_form(loss: Loss, y: np.ndarray, w: np.ndarray | None, k: int | None = None) -> Any:
    """The metadata's closed-form candidate (unverified), or None if there is none."""
    link = link_kind(loss)
    stat, tau = loss.info.statistic.statistic, loss.info.statistic.level
    if loss.multiclass:
        if stat not in _ROWS or link not in (LinkKind.SOFTMAX, LinkKind.IDENTITY):
            return None
        rows = _target_rows(loss, y, k)
        freq = np.average(rows, axis=0, weights=w)
        if link == LinkKind.IDENTITY:  # probability rows predicted directly
            return freq
        _check_classes(loss, freq)
        logf = np.log(freq)
        return logf - logf.mean()
    if stat in (Statistic.MEAN, Statistic.PROBABILITY) and link == LinkKind.IDENTITY:
        return float(np.average(y, weights=w))
    if stat == Statistic.MEAN and link == LinkKind.LOG:
        m = float(np.average(y, weights=w))
        if not m > 0:
            raise DataError(
                f"the best constant raw score of loss {loss.name!r} is log(mean y) = log({m:g}), "
                "which is not finite; the weighted mean of y must be > 0."
            )
        return math.log(m)
    if stat == Statistic.MEDIAN and link == LinkKind.IDENTITY:
        return weighted_quantile(y, w, 0.5)
    if stat == Statistic.QUANTILE and tau is not None and link == LinkKind.IDENTITY:
        return weighted_quantile(y, w, tau)
    if stat == Statistic.PROBABILITY and link == LinkKind.LOGIT:
        p = float(np.average(y, weights=w))
        if not 0.0 < p < 1.0:
            side = "-inf" if p <= 0 else "+inf"
            raise DataError(
                f"the best constant raw score of loss {loss.name!r} is {side}: the weighted mean of "
                f"y_true is {p:g}. Boosting a probability needs both classes in the data."
            )
        return math.log(p) - math.log1p(-p)
    return None


def _target_rows(loss: Loss, y: np.ndarray, k: int | None) -> np.ndarray:
    if y.ndim == 2:
        return y.astype(np.float64)
    if k is None:
        k = int(y.max()) + 1
    if y.size and (y.min() < 0 or y.max() >= k or np.any(np.floor(y) != y)):
        raise DataError(f"y_true for loss {loss.name!r} must be class indices in [0, {k - 1}].")
    rows = np.zeros((y.shape[0], k))
    rows[np.arange(y.shape[0]), y.astype(np.int64)] = 1.0
    return rows


def _check_classes(loss: Loss, freq: np.ndarray) -> None:
    empty = np.flatnonzero(freq <= 0)
    if empty.size:
        raise DataError(
            f"the best constant raw score of loss {loss.name!r} is -inf for class "
            f"{', '.join(map(str, empty.tolist()))}: it has no weight in y_true. Every class in "
            f"[0, {freq.size - 1}] needs at least one sample with positive weight."
        )


def _mean_grad(loss: Loss, y: Any, w: np.ndarray | None, c: float) -> float:
    return _mean_derivative(loss, loss.gradient, y, w, c)


def _mean_derivative(loss: Loss, derivative: Any, y: Any, w: np.ndarray | None, c: float) -> float:
    """The weighted mean of ``derivative`` at the constant c (a coupled loss weights inside its
    kernels: its derivatives are of Σwℓ, so they are summed and divided by Σw)."""
    if loss.coupled:
        d = np.asarray(derivative(y, np.full(len(y), c), sample_weight=w, check=False), dtype=np.float64)
        return float(d.sum() / (len(y) if w is None else w.sum()))
    d = derivative(y, np.full(len(y), c), check=False)
    return float(np.average(np.asarray(d, dtype=np.float64), weights=w))


def _is_optimum(loss: Loss, y: Any, w: np.ndarray | None, c: float) -> bool:
    """First-order check: 0 lies between the one-sided mean derivatives at c."""
    tol = 1e-10
    if loss.info.smooth:
        if loss.coupled:
            g = _mean_grad(loss, y, w, c)
            h = _mean_derivative(loss, loss.hessian, y, w, c)
        else:  # both from one pass of the loss
            gh = loss.gradient_hessian(y, np.full(len(y), c), check=False)
            g, h = (float(np.average(np.asarray(d, dtype=np.float64), weights=w)) for d in gh)
        if h > 0:
            return abs(g / h) <= tol * (1.0 + abs(c))
        return abs(g) <= tol
    d = 1e-9 * (1.0 + abs(c))
    return _mean_grad(loss, y, w, c - d) <= tol and _mean_grad(loss, y, w, c + d) >= -tol


def _root_search(loss: Loss, y: np.ndarray, w: np.ndarray | None, start: float | None) -> float:
    """The root of the weighted mean gradient, bracketed around ``start`` (or the data range)."""
    from scipy import optimize  # searches only: no closed form (keeps imports light)

    link = link_kind(loss)
    if start is None or not math.isfinite(start):
        if link == LinkKind.IDENTITY and loss.info.zero_at_perfect:
            lo, hi = float(np.min(y)), float(np.max(y))
            start = 0.5 * (lo + hi)
        else:
            start = 0.0
    lo = hi = start
    g_lo = g_hi = _mean_grad(loss, y, w, start)
    if g_lo == 0.0:
        return start
    plain = isinstance(y, np.ndarray) and y.ndim == 1
    step = 1.0 if link != LinkKind.IDENTITY or not plain else max(1.0, float(np.max(np.abs(y - start))))
    for _ in range(80):
        if g_lo > 0:
            hi, g_hi = lo, g_lo
            lo = lo - step
            g_lo = _mean_grad(loss, y, w, lo)
        elif g_hi < 0:
            lo, g_lo = hi, g_hi
            hi = hi + step
            g_hi = _mean_grad(loss, y, w, hi)
        if g_lo <= 0 <= g_hi:
            break
        step *= 2.0
    else:
        raise DataError(
            f"the best constant raw score of loss {loss.name!r} is not finite for these labels "
            f"(the mean gradient keeps its sign up to {lo:g}…{hi:g})."
        )
    if g_lo == 0.0:
        return lo
    if g_hi == 0.0:
        return hi
    return float(
        optimize.brentq(lambda c: _mean_grad(loss, y, w, c), lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps)
    )


def _simplex_search(loss: Loss, y: np.ndarray, w: np.ndarray | None, k: int, q0: Any) -> np.ndarray:
    """The best constant probability row, minimised over s with q = softmax(s)."""
    from scipy import optimize

    n = y.shape[0]
    wsum = float(w.sum()) if w is not None else float(n)

    def softmax(s: np.ndarray) -> np.ndarray:
        e = np.exp(s - s.max())
        return e / e.sum()

    def fun(s: np.ndarray) -> tuple[float, np.ndarray]:
        q = softmax(s)
        f = np.broadcast_to(q, (n, k)).copy()
        v = float(loss(y, f, sample_weight=w, check=False))
        g = np.asarray(loss.gradient(y, f, sample_weight=w, check=False)).sum(axis=0) / wsum
        return v, q * (g - float(q @ g))  # chain rule through the softmax

    q0 = np.asarray(q0, dtype=np.float64) if q0 is not None else np.full(k, 1.0 / k)
    s0 = np.log(np.maximum(q0, np.finfo(np.float64).tiny))  # a starting point only
    res = optimize.minimize(fun, s0, jac=True, method="L-BFGS-B", options={"gtol": 1e-14, "ftol": 1e-16})
    return softmax(res.x)


def _multiclass_search(loss: Loss, y: np.ndarray, w: np.ndarray | None, k: int, x0: np.ndarray) -> np.ndarray:
    from scipy import optimize

    n = y.shape[0]
    wsum = float(w.sum()) if w is not None else float(n)

    def fun(c: np.ndarray) -> tuple[float, np.ndarray]:
        f = np.broadcast_to(c, (n, k)).copy()
        v = float(loss(y, f, sample_weight=w, check=False))
        g = np.asarray(loss.gradient(y, f, sample_weight=w, check=False)).sum(axis=0) / wsum
        return v, g

    if loss.info.smooth:
        res = optimize.minimize(fun, x0, jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15})
    else:  # kinks: a derivative-free search on the mean loss itself
        res = optimize.minimize(
            lambda c: fun(c)[0], x0, method="Powell", options={"xtol": 1e-10, "ftol": 1e-15, "maxfev": 20000}
        )
    if link_kind(loss) == LinkKind.SOFTMAX:  # only differences of logits matter
        return res.x - res.x.mean()
    return res.x


def _kept(loss: Loss, y: np.ndarray) -> np.ndarray | None:
    """The loss's own mask of the samples it keeps (its ``_sample_mask`` hook), or None."""
    import array_api_compat.numpy as xnp

    mask_fn = getattr(loss, "_sample_mask", None)
    keep = mask_fn(xnp, y) if mask_fn is not None else None
    return None if keep is None else np.asarray(keep, dtype=bool)


def baseline(loss: Loss, y_true: Any, sample_weight: Any = None, *, n_classes: int | None = None) -> Any:
    """argmin over constants c of the weighted mean loss Σwᵢℓ(yᵢ, c)/Σw.

    Parameters
    ----------
    loss : Loss
    y_true : array-like
        Targets (validated by the loss).
    sample_weight : array-like, optional
    n_classes : int, optional
        For multiclass losses with integer labels: the number of classes (default max + 1).

    Returns
    -------
    A float for losses on one output; an array of k centred raw scores for multiclass losses.

    Examples
    --------
    >>> import losslab
    >>> losslab.get("quantile", quantile=0.25).baseline([1.0, 2.0, 3.0, 4.0, 5.0])
    2.0
    >>> round(losslab.get("binary_crossentropy").baseline([0, 0, 0, 1]), 12)  # log(1/3)
    -1.098612288668
    """
    if loss.info.task == Task.RANKING:
        # only the order of the scores within a query counts: every constant is optimal (and a
        # recipe's gradient at a constant need not vanish, so no search could find one)
        return 0.0
    if loss.target_type is not None and loss.info.task == "embedding":
        raise UnsupportedError(
            f"loss {loss.name!r} scores pairs or embeddings: it has no best constant prediction "
            "(a boosting init score); y_pred is an embedding, not a prediction of y."
        )
    w = None if sample_weight is None else np.asarray(to_numpy(sample_weight), dtype=np.float64)
    if loss.target_type is not None and not loss.multiclass:
        return _structured(loss, y_true, w)
    y = np.asarray(to_numpy(y_true))
    if loss.multiclass:
        keep = _kept(loss, y)
        if keep is not None:
            # samples the loss excludes (labels equal to ignore_index) take no part in the optimum
            w = keep.astype(np.float64) if w is None else w * keep
            y = np.where(keep, y, 0) if y.ndim == 1 else y
        if y.ndim == 1:
            k = n_classes if n_classes is not None else int(np.max(y)) + 1
        elif y.ndim == 2:
            k = y.shape[1]
        else:
            raise ShapeError(f"y_true for loss {loss.name!r} must be 1-D labels or 2-D rows; got {y.shape}.")
        if k < 2:
            raise DataError(f"loss {loss.name!r} needs at least 2 classes; y_true has {k}.")
        # validates labels/weights with the loss's own messages
        loss(y, np.full((y.shape[0], k), 1.0 / k), sample_weight=w)
        c = closed_form(loss, y.astype(np.float64) if y.ndim == 2 else y, w, k)
        if c is not None:
            f = np.broadcast_to(c, (y.shape[0], k)).copy()
            g = np.asarray(loss.gradient(y, f, sample_weight=w, check=False)).sum(axis=0)
            scale = float(w.sum()) if w is not None else float(y.shape[0])
            if link_kind(loss) == LinkKind.IDENTITY:
                g = g - g.mean()  # probability rows live on the simplex: only the tangential part vanishes
            if np.max(np.abs(g)) / scale <= 1e-10:
                return c
        rows = loss.info.statistic.statistic in _ROWS
        if link_kind(loss) == LinkKind.IDENTITY and rows:
            # probability rows with class weights or smoothing: the optimum is not the class
            # frequency; search the simplex through q = softmax(s)
            return _simplex_search(loss, y, w, k, c)
        if c is not None and link_kind(loss) != LinkKind.SOFTMAX:
            raise DataError(f"the closed-form baseline of loss {loss.name!r} failed its optimality check.")
        return _multiclass_search(loss, y, w, k, np.zeros(k) if c is None else c)
    y = y.astype(np.float64).ravel()
    if w is not None:
        w = w.ravel()
    loss(y, _any_valid_pred(loss, y), sample_weight=w)  # the loss's own label/weight checks
    c = closed_form(loss, y, w)
    if c is not None and _is_optimum(loss, y, w, c):
        return c
    if link_kind(loss) == LinkKind.IDENTITY and loss.info.statistic.statistic == Statistic.PROBABILITY:
        return _probability_search(loss, y, w)
    return _root_search(loss, y, w, c)


def _structured(loss: Loss, y_true: Any, w: np.ndarray | None) -> float:
    """The best constant for a structured target (`losslab._core.targets`): 0 when it is
    already optimal (every loss that only compares rows: Cox, ranking), else the root of the
    weighted mean gradient, searched from 0."""
    t = loss.target_type.coerce(loss, y_true).normalised(loss.name)  # type: ignore[union-attr]
    loss(t, np.zeros(len(t)), sample_weight=w)  # the loss's own target and weight checks
    if _is_optimum(loss, t, w, 0.0):
        return 0.0
    return _root_search(loss, t, w, 0.0)


def _probability_search(loss: Loss, y: np.ndarray, w: np.ndarray | None) -> float:
    """The optimal constant probability q = σ(s), searched over s so that q stays in (0, 1)."""
    from scipy import optimize
    from scipy.special import expit

    def g(s: float) -> float:
        return _mean_grad(loss, y, w, float(expit(s)))

    lo, hi = -1.0, 1.0
    for _ in range(10):
        if g(lo) <= 0.0 <= g(hi):
            break
        lo, hi = 2.0 * lo, 2.0 * hi
    else:
        raise DataError(
            f"the best constant probability of loss {loss.name!r} is 0 or 1 for these labels; "
            "y_true needs both classes."
        )
    return float(expit(optimize.brentq(g, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps)))


def _any_valid_pred(loss: Loss, y: np.ndarray) -> np.ndarray:
    """A raw prediction in the loss's y_pred domain, to validate y alone."""
    if link_kind(loss) == LinkKind.IDENTITY and loss.info.zero_at_perfect:
        return y.copy()
    domain = loss.info.y_pred
    if domain.structural or bool(domain.contains(np, np.zeros(1))[0]):
        return np.zeros_like(y)
    iv = domain.interval  # 0 is outside (a rate μ > 0): a point inside the interval
    if math.isinf(iv.high) or math.isinf(iv.low):
        return np.full_like(y, iv.low + 1.0 if math.isinf(iv.high) else iv.high - 1.0)
    return np.full_like(y, (iv.low + iv.high) / 2)
