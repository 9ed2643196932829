"""Scalar float64 kernels of the elementwise losses, one function per loss (numba, inlined).

Each returns ``(value, gradient, Hessian)`` of one entry, computing only the parts asked for,
with the branches of the loss's array kernel in `losslab.losses` (same operations in the same
order, so float64 results agree to the last bit or within an ulp of a fused multiply-add).
`point` dispatches on the loss's kind number; its parameters come in ``prm``.
"""

from __future__ import annotations

import math

from numba import njit

# kind numbers (the engine's table in losslab.kernels maps loss classes to them)
MSE, MAE, HUBER, QUANTILE, EXPECTILE, BCE, TWEEDIE = 0, 1, 2, 3, 4, 5, 6

# TWEEDIE's prm layout: a = 1 − p, b = 2 − p, series radius, then the series coefficients
TW_A, TW_B, TW_RADIUS, TW_COEF = 0, 1, 2, 3
_HALF_EXP_LIMIT = 1400.0  # |x| up to which e^{x/2} is finite and normal in float64


@njit(cache=True, inline="always")
def _bce(t, x, w, want_v, want_g, want_h):
    v = g = h = 0.0
    ax = abs(x)
    e = math.exp(-ax)
    if want_v:
        # softplus(±x) = max(±x, 0) + log1p(e^{−|x|}): one log1p serves both
        lp = math.log1p(e)
        v = w * t * (max(-x, 0.0) + lp) + (1.0 - t) * (max(x, 0.0) + lp)
    if want_g:
        # losslab.losses.classification._bce_logit_gradient, branch by branch
        p = 1.0 if x >= 0 else 0.0
        a, b = 1.0 - t, w * t
        if ax < 1.0:
            c = 2.0 * (0.5 - t) if w == 1.0 else a - b
            num = c + math.expm1(-ax) * (a * (1.0 - p) - b * p)
        else:
            num = a * max(e, p) - b * max(e, 1.0 - p)
        g = num / (1.0 + e)
    if want_h:
        one_e = 1.0 + e
        h = (w * t + (1.0 - t)) * (e / (one_e * one_e))
    return v, g, h


@njit(cache=True, inline="always")
def _huber(t, f, d, want_v, want_g, want_h):
    v = g = h = 0.0
    if want_v:
        a = abs(f - t)
        q = min(a, d)
        v = 0.5 * q * q + d * (a - q)
    r = f - t
    if want_g:
        g = min(max(r, -d), d)
    if want_h:
        # |f − t| ≤ δ on the exact residual (TwoSum error decides at the rounded kink)
        b = r - f
        err = (f - (r - b)) - (t + b)
        a = abs(r)
        h = 1.0 if (a < d) or (a == d and r * err <= 0.0) else 0.0
    return v, g, h


@njit(cache=True, inline="always")
def _tw_g(L0, x, d):
    """(G, log|G|) for G = e^{L0}·expm1(x·d)/x (e^{L0}·d at x = 0), d ≠ 0."""
    if x == 0.0:
        return math.exp(L0) * d, L0 + math.log(abs(d))
    w = x * d
    if w <= 1.0:
        em = math.expm1(w)
        return math.exp(L0) * (em / x), L0 + math.log(abs(em)) - math.log(abs(x))
    high_log = w + math.log(-math.expm1(-w))
    return math.exp(L0 + high_log) / x, L0 + high_log - math.log(abs(x))


@njit(cache=True, inline="always")
def _tweedie(t, s, a, b, radius, prm, want_v, want_g, want_h):
    """losslab.losses.counts._LogLinkDeviance: value, gradient, Hessian (a = 1 − p, b = 2 − p)."""
    ypos = t > 0.0
    ly = math.log(t) if ypos else 0.0
    d = s - ly if ypos else 0.0
    v = g = h = 0.0
    if want_v:
        if not ypos and b > 0.0:
            v = math.exp(b * s) / b
        elif abs(d) < radius:
            acc = 0.0
            for k in range(prm.shape[0] - 1, TW_COEF - 1, -1):
                acc = (acc + prm[k]) * d
            v = math.exp(b * ly) * (acc * d)
        else:
            L0 = b * ly
            gb, lb = _tw_g(L0, b, d)
            ga, la = _tw_g(L0, a, d)
            if math.isfinite(gb) and math.isfinite(ga):
                v = gb - ga
            else:  # a term overflows (p > 2, d ≪ 0): difference of magnitudes in log space
                hi = max(la, lb)
                v = math.exp(hi + math.log(-math.expm1(min(la, lb) - hi)))
    if want_g:
        if not ypos:
            g = math.exp(b * s)
        elif d <= 1.0:
            # e^{log y + (1−p)s}·expm1(d); for p = 1 the factor is y itself (no exp∘log rounding)
            g = (t if a == 0.0 else math.exp(ly + a * s)) * math.expm1(d)
        else:
            g = math.exp(b * s + math.log(-math.expm1(-d)))
    if want_h:
        first = b * math.exp(b * s) if b != 0.0 else 0.0
        if a == 0.0:
            h = first
        else:
            second = 0.0
            if ypos:
                if abs(a * s) <= _HALF_EXP_LIMIT:
                    hh = math.exp((0.5 * a) * s)
                    second = ((a * t) * hh) * hh
                else:
                    second = a * math.exp(ly + a * s)
            if b >= 0.0 or (math.isfinite(first) and math.isfinite(second)):
                h = first - second
            else:  # p > 2 and both terms overflow: subtract magnitudes in log space
                l_first = math.log(-b) + b * s
                l_second = math.log(-a) + ly + a * s
                hi = max(l_first, l_second)
                sign = 1.0 if l_second >= l_first else -1.0
                h = sign * math.exp(hi + math.log(-math.expm1(min(l_first, l_second) - hi)))
    return v, g, h


@njit(cache=True, inline="always")
def point(kind, p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    """(value, gradient, Hessian) of loss ``kind`` at one entry (float64); p0, p1, p2 are
    prm[0:3] (scalars the compiler keeps in registers)."""
    if kind == BCE:  # p0 = pos_weight, p1 = label smoothing ε: t → t(1 − ε) + ε/2
        tt = t * (1.0 - p1) + p1 / 2.0 if p1 != 0.0 else t
        return _bce(tt, f, p0, want_v, want_g, want_h)
    if kind == TWEEDIE:
        return _tweedie(t, f, p0, p1, p2, prm, want_v, want_g, want_h)
    if kind == MSE:
        r = f - t
        return r * r, 2.0 * (f - t), 2.0
    if kind == MAE:
        r = f - t
        return abs(r), (1.0 if r > 0 else (-1.0 if r < 0 else r)), 0.0
    if kind == HUBER:
        return _huber(t, f, p0, want_v, want_g, want_h)
    if kind == QUANTILE:
        tau = p0
        r = t - f
        g = (1.0 - tau) if f > t else (-tau if f < t else 0.0)
        return max(tau * r, (tau - 1.0) * r), g, 0.0
    if kind == EXPECTILE:
        tau = p0
        wq = (1.0 - tau) if t < f else tau
        a = abs(f - t)
        return (wq * a) * a, 2.0 * wq * (f - t), 2.0 * wq
    return math.nan, math.nan, math.nan
