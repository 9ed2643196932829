"""The compiled pass over the elements (numba, ``parallel=True``, cached on disk), and the
scalar float64 kernels of the elementwise losses it runs.

The scalar kernels return ``(value, gradient, Hessian)`` of one entry, computing only the parts
asked for, with the branches of the loss's array kernel in `losslab.losses` (same operations in
the same order, so float64 results agree within an ulp or so of a different ``exp``). The
kernel of a loss is chosen by its kind number (`_poly_kernel`, `_transcendental`).

The elements are cut into fixed chunks of `CHUNK`; threads take whole chunks (``prange``) and
each chunk writes its partial sums (Σwℓ, Σw) and whether it met a bad entry into its own slot.
The caller adds the slots in order, so a reduction does not depend on how many threads ran.
Inputs of either float dtype are read as float64 and outputs rounded once on store.

Everything compiled lives in this one file on purpose: numba's disk cache is invalidated by
the file of the cached function only, so a kernel in another module could be served stale.

The exp/log kernels take their exponentials a block at a time before the per-entry code
(`_vector`): with glibc's vector math library (libmvec, AVX2) four at a time, else one at a
time from libm.
"""

from __future__ import annotations

import math
import platform

import llvmlite.binding as ll
import numpy as np
from llvmlite import ir
from numba import carray, cfunc, njit, prange, types
from numba.core import cgutils, config
from numba.extending import intrinsic

from .._core.special import _J_HI, _J_LO, _TABLE, _log_tables

# kind numbers (the engine's table in losslab.kernels maps loss classes to them)
MSE, MAE, HUBER, QUANTILE, EXPECTILE, BCE, TWEEDIE, LOG_COSH, EPS_INSENSITIVE, SQ_EPS_INSENSITIVE = range(10)
SMOOTH_L1, PSEUDO_HUBER, FAIR, MAPE, MSLE = 10, 11, 12, 13, 14
HINGE, SQ_HINGE, PERCEPTRON, MOD_HUBER, EXPONENTIAL = 15, 16, 17, 18, 19
#: kinds whose labels are signs: y > 0 is +1, 0 and −1 are −1 (`losses.margin.signed_labels`)
SIGNED = (HINGE, SQ_HINGE, PERCEPTRON, MOD_HUBER, EXPONENTIAL)

# the value a pass computes: the loss ℓ(y, f); ℓ(y, f) − c(y) for a function c of the target alone
# where the kernel has a cheaper form of it (Tweedie family: no log of y; there c(y) = ℓ(y, 0)),
# else ℓ; or that c(y)
VALUE, VALUE_UP_TO_Y, TARGET_TERM = 1, 2, 3
VALUE_UP_TO_Y_AND_TERM = 4  # both sums in one pass (`_chunk`)

# TWEEDIE's prm layout: a = 1 − p, b = 2 − p, series radius, then the series coefficients
TW_A, TW_B, TW_RADIUS, TW_COEF = 0, 1, 2, 3
_HALF_EXP_LIMIT = 1400.0
_LOG2 = math.log(2.0)  # |x| up to which e^{x/2} is finite and normal in float64


def _load_libmvec() -> bool:
    """Whether the compiled code may call libmvec's 4-wide AVX2 functions (``_ZGVdN4v_exp`` …):
    x86-64 with AVX2 in the target numba compiles for (not a CPU name or features forced by
    ``NUMBA_CPU_NAME``, whose code may lack AVX2), and glibc's libmvec loadable. The answer
    depends on the machine only, as numba's disk cache (keyed by the CPU) needs."""
    if platform.machine() not in ("x86_64", "AMD64") or config.CPU_NAME or config.CPU_FEATURES:
        return False
    try:
        if not ll.get_host_cpu_features().get("avx2", False):
            return False
        ll.load_library_permanently("libmvec.so.1")
    except RuntimeError:  # features unknown to LLVM here, or no libmvec (musl, an old glibc)
        return False
    return True


VECTOR_MATH = _load_libmvec()


def _vector4(name, scalar):
    """An intrinsic (a, b, c, d) → (fn(a), fn(b), fn(c), fn(d)): one call of libmvec's
    ``_ZGVdN4v_<name>`` (within 4 ulps, glibc's bound for them; 3 measured for exp, libm's
    scalar exp 1), or numba's scalar ``math.<name>`` four times without it."""

    @intrinsic
    def fn4(typingctx, a, b, c, d):
        f8 = types.float64
        sig = types.UniTuple(f8, 4)(f8, f8, f8, f8)

        def codegen(context, builder, signature, args):
            if VECTOR_MATH:
                vt = ir.VectorType(ir.DoubleType(), 4)
                callee = cgutils.get_or_insert_function(
                    builder.module, ir.FunctionType(vt, [vt]), "_ZGVdN4v_" + name
                )
                x = ir.Constant(vt, ir.Undefined)
                for k, arg in enumerate(args):
                    x = builder.insert_element(x, arg, ir.Constant(ir.IntType(32), k))
                r = builder.call(callee, [x])
                outs = [builder.extract_element(r, ir.Constant(ir.IntType(32), k)) for k in range(4)]
            else:
                impl = context.get_function(scalar, f8(f8))
                outs = [impl(builder, [arg]) for arg in args]
            return context.make_tuple(builder, signature.return_type, outs)

        return sig, codegen

    return fn4


_exp4 = _vector4("exp", math.exp)
_expm14 = _vector4("expm1", math.expm1)
_log1p4 = _vector4("log1p", math.log1p)
EXP, EXPM1, LOG1P = 0, 1, 2


@njit(cache=True, error_model="numpy")
def _vector(op, x, out):
    """out[j] = op(x[j]) for the rows x, out of a chunk's scratch (their length a multiple of 4,
    so that every entry takes the same function)."""
    for j in range(0, x.shape[0], 4):
        if op == EXP:
            r = _exp4(x[j], x[j + 1], x[j + 2], x[j + 3])
        elif op == EXPM1:
            r = _expm14(x[j], x[j + 1], x[j + 2], x[j + 3])
        else:
            r = _log1p4(x[j], x[j + 1], x[j + 2], x[j + 3])
        out[j], out[j + 1], out[j + 2], out[j + 3] = r


# -- the building blocks of losslab._core.special, per entry (same operations, same tables) ---------
_LOG_HI, _LOG_LO, (_L2A, _L2B, _L2C), (_T_HI, _T_LO) = _log_tables(53)
_SPLIT = 134217729.0  # 2^27 + 1, Dekker's split of a float64
_EXP_LIMIT = 708.0  # |L| up to which e^L is finite and normal in float64
_MAX = float(np.finfo(np.float64).max)
_TINY = float(np.finfo(np.float64).tiny)  # the smallest normal float64


@njit(cache=True, error_model="numpy", inline="always")
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@njit(cache=True, error_model="numpy", inline="always")
def _neumaier(total, err, x):
    """(total + x, err + its rounding error): a step of Neumaier's compensated sum."""
    s = total + x
    return s, err + (((total - s) + x) if abs(total) >= abs(x) else ((x - s) + total))


@njit(cache=True, error_model="numpy", inline="always")
def _two_prod(a, b):
    p = a * b
    ca = _SPLIT * a
    cb = _SPLIT * b
    a_hi = ca - (ca - a)
    b_hi = cb - (cb - b)
    a_lo = a - a_hi
    b_lo = b - b_hi
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


@njit(cache=True, error_model="numpy")
def _log_dd(y):
    """`losslab._core.special.log_dd` of one float64 y > 0: (hi, lo), bit for bit."""
    m, ei = math.frexp(y)
    e = float(ei)
    if m < 0.7071067811865476:
        m = 2.0 * m
        e = e - 1.0
    j = min(max(np.round((m - 1.0) * _TABLE), float(_J_LO)), float(_J_HI))
    idx = int(j) - _J_LO
    c = 1.0 + j / _TABLE
    num = m - c
    den, den_lo = _two_sum(m, c)
    u = num / den
    p, p_lo = _two_prod(u, den)
    u_lo = (((num - p) - p_lo) - u * den_lo) / den
    sq, sq_lo = _two_prod(u, u)
    sq_lo = sq_lo + 2.0 * u * u_lo
    cube, cube_lo = _two_prod(sq, u)
    cube_lo = cube_lo + (sq_lo * u + sq * u_lo)
    b, b_lo = _two_prod(cube, _T_HI)
    b_lo = b_lo + (cube * _T_LO + cube_lo * _T_HI)
    rest = cube * (sq * (0.4 + sq * (2.0 / 7.0 + sq * (2.0 / 9.0))))
    h, lo = _two_sum(e * _L2A, _LOG_HI[idx])
    h, err = _two_sum(h, e * _L2B)
    lo = lo + err
    h, err = _two_sum(h, 2.0 * u)
    lo = lo + err
    h, err = _two_sum(h, b)
    lo = lo + err
    lo = lo + ((e * _L2C + _LOG_LO[idx]) + (2.0 * u_lo + (b_lo + rest)))
    hi = h + lo
    return hi, lo - (hi - h)


@njit(cache=True, error_model="numpy", inline="always")
def _log_ratio(s, y):
    """`special.log_ratio`: (log y, s − log y), the difference from log y in double-double where
    it is small against log y (next to a log-link loss's optimum)."""
    ly = math.log(y)
    d = s - ly
    if abs(d) < abs(ly) * 2.0**-6:
        hi, lo = _log_dd(y)
        d = (s - hi) - lo
    return ly, d


@njit(cache=True, error_model="numpy", inline="always")
def _mul_exp(v, L):
    """`special.mul_exp`: v·e^L, finite wherever the product is, rounded once where e^L is
    subnormal."""
    if abs(L) <= _EXP_LIMIT:
        return v * math.exp(L)
    if abs(L) <= 2.0 * _EXP_LIMIT:
        h = math.exp(0.5 * L)
        return (v * h) * h
    if v == 0.0:
        return 0.0 * v
    return math.copysign(math.exp(L + math.log(abs(v))), v)


@njit(cache=True, error_model="numpy", inline="always")
def _bce(t, x, w, want_v, want_g, want_h, ex):
    """ex: e^{−|x|}, log1p(e^{−|x|}) (for the value), expm1(−|x|) (for the gradient), from
    `_exponentials`."""
    v = g = h = 0.0
    ax = abs(x)
    e = ex[0]
    if want_v:
        # softplus(±x) = max(±x, 0) + log1p(e^{−|x|}): one log1p serves both
        lp = ex[1]
        v = w * t * (max(-x, 0.0) + lp) + (1.0 - t) * (max(x, 0.0) + lp)
    if want_g:
        # losslab.losses.classification._bce_logit_gradient, branch by branch
        p = 1.0 if x >= 0 else 0.0
        a, b = 1.0 - t, w * t
        if ax < 1.0:
            c = 2.0 * (0.5 - t) if w == 1.0 else a - b
            num = c + ex[2] * (a * (1.0 - p) - b * p)
        else:
            num = a * max(e, p) - b * max(e, 1.0 - p)
        g = num / (1.0 + e)
    if want_h:
        one_e = 1.0 + e
        h = (w * t + (1.0 - t)) * (e / (one_e * one_e))
    return v, g, h


@njit(cache=True, error_model="numpy", inline="always")
def _huber(t, f, d, want_v, want_g, want_h):
    v = g = h = 0.0
    if want_v:
        a = abs(f - t)
        if math.isinf(a):  # f − y overflows: 2(δ|r/2| − δ²/4), finite for δ < 1
            v = (d * abs(f * 0.5 - t * 0.5) - 0.25 * d * d) * 2.0
        else:
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


@njit(cache=True, error_model="numpy", inline="always")
def _smooth_l1(t, f, b, want_v, want_g, want_h):
    """losslab.losses.regression.SmoothL1 with β = b > 0 (β = 0 is served as MAE)."""
    r = f - t
    a = abs(r)
    v = h = 0.0
    if want_v:
        q = min(a, b)
        v = (0.5 / b) * (q * q) + (a - q)
    if want_h:  # regression._within: the side of the kink from the exact residual
        bb = r - f
        err = (f - (r - bb)) - (t + bb)
        h = (1.0 if (a < b) or (a == b and r * err <= 0.0) else 0.0) / b
    return v, min(max(r, -b), b) / b, h


@njit(cache=True, error_model="numpy", inline="always")
def _pseudo_huber(t, f, d, want_v, want_g, want_h):
    """losslab.losses.robust.PseudoHuber: x = |r|/δ up to δ, u = δ/|r| beyond (no cancellation,
    no overflow of (r/δ)²)."""
    r = f - t
    a = abs(r)
    big = a > d
    x = 0.0 if big else a / d
    u = d / a if big else 1.0
    v = g = h = 0.0
    if want_v:
        q = 1.0 / (u + math.sqrt(1.0 + u * u)) if big else x / (1.0 + math.sqrt(1.0 + x * x))
        if math.isinf(r):  # f − y overflows: 2·(δ|r/2|·q), finite for δ < 1
            v = ((d * abs(f * 0.5 - t * 0.5)) * q) * 2.0
        else:
            v = (d * a) * q
    if want_g:
        g = _sign(r) * (d / math.sqrt(1.0 + u * u)) if big else r / math.sqrt(1.0 + x * x)
    if want_h:
        if big:
            q = u / math.sqrt(1.0 + u * u)
            h = q * q * q
        else:
            s = 1.0 + x * x
            h = 1.0 / (s * math.sqrt(s))
    return v, g, h


@njit(cache=True, error_model="numpy", inline="always")
def _fair(t, f, c, prm, want_v, want_g, want_h):
    """losslab.losses.robust.Fair (prm[1:]: its series coefficients): the series in
    u = a/(2 + a) for a = |r|/c < ¼, else c(|r| − c·log(1 + a)) with log(1 + a) from log|r| for
    a > 1 (from r/2 where f − y overflows)."""
    r = f - t
    ab = abs(r)
    a = ab / c
    v = g = h = 0.0
    if want_v:
        if a < 0.25:
            u = a / (2.0 + a)
            acc = 0.0
            for k in range(prm.shape[0] - 1, 0, -1):
                acc = acc * u + prm[k]
            q = ab / (2.0 + a)
            v = 2.0 * q * q * acc
        else:
            fin = math.isfinite(ab)
            hh = abs(f * 0.5 - t * 0.5)
            if a > 1.0:
                log_ab = math.log(ab) if fin else math.log(hh) + _LOG2
                L = (log_ab - math.log(c)) + math.log1p(c / ab)
            else:
                L = math.log1p(a)
            v = c * (ab - c * L) if fin else (2.0 * c) * (hh - (0.5 * c) * L)
    if want_g:
        g = _sign(r) * (c / (1.0 + c / ab)) if a > 1.0 else r / (1.0 + a)
    if want_h:
        q = 1.0 / (1.0 + a)
        h = q * q
    return v, g, h


@njit(cache=True, error_model="numpy", inline="always")
def _msle(t, f, want_v, want_g, want_h):
    """losslab.losses.regression.MSLE: d = log(1 + f) − log(1 + y) as log1p((f − y)/(1 + y)) where
    |f − y| ≤ (1 + y)/2 (no cancellation next to the optimum)."""
    one_t = 1.0 + t
    diff = f - t
    d = math.log1p(diff / one_t) if abs(diff) <= 0.5 * one_t else math.log1p(f) - math.log1p(t)
    one_f = 1.0 + f
    return d * d, 2.0 * d / one_f, (2.0 / one_f) * ((1.0 - d) / one_f)


@njit(cache=True, error_model="numpy", inline="always")
def _sign(x):
    """NumPy's sign (±0 and NaN kept), from the two comparisons as numbers: random signs make a
    branch on them mispredict half the time; the rare x = ±0 or NaN takes the branch."""
    s = np.float64(x > 0.0) - np.float64(x < 0.0)
    return s if s != 0.0 else x


@njit(cache=True, error_model="numpy", inline="always")
def _log_cosh(t, f, want_v, want_g, want_h):
    """losslab.losses.robust.LogCosh."""
    r = f - t
    v = h = 0.0
    if want_v:
        a = abs(r)
        if a < 1.0:
            sh = math.sinh(0.5 * a)
            v = math.log1p(2.0 * sh * sh)
        else:
            v = (a - _LOG2) + math.log1p(math.exp(-2.0 * a))
    if want_h:  # 4σ(2r)σ(−2r)
        e = math.exp(-abs(2.0 * r))
        h = 4.0 * (e / ((1.0 + e) * (1.0 + e)))
    return v, math.tanh(r), h


@njit(cache=True, error_model="numpy", inline="always")
def _excess(t, f, eps):
    """losslab.losses.robust.EpsilonInsensitive._excess: (r, max(0, |f − y| − ε)) with the
    two-sum error of f − y added after ε is subtracted."""
    r = f - t
    b = r - f
    err = (f - (r - b)) + (-t - b)
    if not math.isfinite(err):
        err = 0.0
    return r, max((abs(r) - eps) + _sign(r) * err, 0.0)


@njit(cache=True, error_model="numpy", inline="always")
def _tw_g(L0, x, d):
    """G = e^{L0}·expm1(x·d)/x (e^{L0}·d at x = 0), d ≠ 0 (`_LogLinkDeviance._g`'s first part)."""
    if x == 0.0:
        return _mul_exp(d, L0)
    w = x * d
    if w <= 1.0:
        return _mul_exp(math.expm1(w) / x, L0)
    return math.exp(L0 + (w + math.log(-math.expm1(-w)))) / x


@njit(cache=True, error_model="numpy", inline="always")
def _tw_log_g(L0, x, d):
    """log|G| of `_tw_g`, finite where G overflows (asked for only then: logs cost)."""
    if x == 0.0:
        return L0 + math.log(abs(d))
    w = x * d
    if w <= 1.0:
        return L0 + math.log(abs(math.expm1(w))) - math.log(abs(x))
    return L0 + (w + math.log(-math.expm1(-w))) - math.log(abs(x))


@njit(cache=True, error_model="numpy", inline="always")
def _tweedie(t, s, a, b, radius, prm, want_v, want_g, want_h, form, ex):
    """losslab.losses.counts._LogLinkDeviance: value, gradient, Hessian (a = 1 − p, b = 2 − p).
    ex: e^s, e^{as}, e^{bs}, e^{(a/2)s}, expm1(bs), expm1(as), those `_exponentials` computed for
    the call's flags (the others unread)."""
    ypos = t > 0.0
    v = g = h = 0.0
    fast_g = False
    if want_v and form == TARGET_TERM:
        # c(y) = ℓ − (the value up to y below) = ℓ(y, 0) = 1/b − y/a + y^b/(ab), limits at a, b = 0
        if not ypos:
            v = 1.0 / b  # y = 0 only where b > 0
        elif a == 0.0:
            v = (1.0 - t) + t * math.log(t)
        elif b == 0.0:
            v = (t - math.log(t)) - 1.0
        else:
            v = (1.0 / b - t / a) + math.exp(b * math.log(t)) / (a * b)
        return v, g, h
    up_to_y = want_v and form == VALUE_UP_TO_Y
    eb = ex[0] if b == 1.0 else ex[2]  # e^{bs}
    mu = ex[0] if (want_g and ypos) or ((want_g or want_h or up_to_y) and b == 1.0) else 0.0
    if up_to_y and a == 0.0 and mu <= _MAX:
        # p = 1, the solver's pass: the branches below for these flags, in short (same results)
        dd = mu - t
        if not ypos or (abs(dd) >= t * 0.015625 and _TINY <= mu and _TINY <= abs(dd) <= _MAX):
            return (mu - 1.0) - (t * s if ypos else 0.0), (dd if ypos else mu), mu
    if want_g and ypos:
        # g = e^{(1−p)s}·(e^s − y): away from the optimum (|e^s − y| ≥ y/64) the difference loses at
        # most 65 ulps, so the logs of the exact form are needed only near it
        dd = mu - t
        if abs(dd) >= t * 0.015625 and _TINY <= mu <= _MAX:
            gg = dd if a == 0.0 else dd * ex[1]
            if _TINY <= abs(gg) <= _MAX:
                g = gg
                fast_g = True
    ly = d = 0.0
    if ypos and ((want_v and not up_to_y) or (want_g and not fast_g)):
        ly, d = _log_ratio(s, t)  # d exact near s = log y
    if up_to_y:
        # ℓ = e^{bs}/b − y·e^{as}/a + y^b/(ab): the terms in s as expm1(xs)/x (→ s at x = 0), which
        # differ from them by functions of y alone; no log of y, no series
        first = mu - 1.0 if b == 1.0 else (ex[4] / b if b != 0.0 else s)
        second = 0.0
        if ypos:
            second = t * s if a == 0.0 else t * (ex[5] / a)
        v = first - second
    elif want_v:
        if not ypos and b > 0.0:
            v = eb / b
        elif abs(d) < radius:
            acc = 0.0
            for k in range(prm.shape[0] - 1, TW_COEF - 1, -1):
                acc = (acc + prm[k]) * d
            v = _mul_exp(acc * d, b * ly)  # y^{2−p} may overflow where ℓ does not
        else:
            L0 = b * ly
            gb = _tw_g(L0, b, d)
            ga = _tw_g(L0, a, d)
            if math.isfinite(gb) and math.isfinite(ga):
                v = gb - ga
            else:  # a term overflows (p > 2, d ≪ 0): difference of magnitudes in log space
                lb = _tw_log_g(L0, b, d)
                la = _tw_log_g(L0, a, d)
                hi = max(la, lb)
                v = math.exp(hi + math.log(-math.expm1(min(la, lb) - hi)))
    if want_g and not fast_g:
        if not ypos:
            g = eb
        elif d <= 1.0:
            # e^{log y + (1−p)s}·expm1(d); for p = 1 the factor is y itself (no exp∘log rounding)
            g = t * math.expm1(d) if a == 0.0 else _mul_exp(math.expm1(d), ly + a * s)
        else:
            g = math.exp(b * s + math.log(-math.expm1(-d)))
    if want_h:
        first = eb if b == 1.0 else (b * eb if b != 0.0 else 0.0)
        if a == 0.0:
            h = first
        else:
            second = 0.0
            if ypos:
                if abs(a * s) <= _HALF_EXP_LIMIT:
                    hh = ex[3]
                    second = ((a * t) * hh) * hh
                else:
                    second = a * math.exp(math.log(t) + a * s)
            if b >= 0.0 or (math.isfinite(first) and math.isfinite(second)):
                h = first - second
            else:  # p > 2 and both terms overflow: subtract magnitudes in log space
                l_first = math.log(-b) + b * s
                l_second = math.log(-a) + math.log(t) + a * s
                hi = max(l_first, l_second)
                sign = 1.0 if l_second >= l_first else -1.0
                h = sign * math.exp(hi + math.log(-math.expm1(min(l_first, l_second) - hi)))
    return v, g, h


@njit(cache=True, error_model="numpy", inline="always")
def _transcendental(kind, p0, p1, p2, prm, t, f, want_v, want_g, want_h, form, ex):
    """The kernels built on exp/log (``form``: which value, see `VALUE`; ``ex``: the entry's
    exponentials from `_exponentials`), inlined into `_chunk` only (see there)."""
    if kind == BCE:  # p0 = pos_weight, p1 = label smoothing ε: t → t(1 − ε) + ε/2
        tt = t * (1.0 - p1) + p1 / 2.0 if p1 != 0.0 else t
        return _bce(tt, f, p0, want_v, want_g, want_h, ex)
    if kind == TWEEDIE:
        return _tweedie(t, f, p0, p1, p2, prm, want_v, want_g, want_h, form, ex)
    if kind == LOG_COSH:
        return _log_cosh(t, f, want_v, want_g, want_h)
    if kind == FAIR:
        return _fair(t, f, p0, prm, want_v, want_g, want_h)
    if kind == MSLE:
        return _msle(t, f, want_v, want_g, want_h)
    return math.nan, math.nan, math.nan


# the piecewise-polynomial kernels: (value, gradient, Hessian) of one entry (float64); p0, p1, p2
# are prm[0:3] (scalars the compiler keeps in registers). One function per kind, so that a chunk
# kernel compiles the one it runs (`_poly_kernel`), not all of them


def _entry(fn):
    return njit(cache=True, error_model="numpy", inline="always")(fn)


@_entry
def _point_mse(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    r = f - t
    return r * r, 2.0 * (f - t), 2.0


@_entry
def _point_mae(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    r = f - t
    return abs(r), _sign(r), 0.0


@_entry
def _point_eps(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    r, e = _excess(t, f, p0)
    return e, (_sign(r) if e > 0.0 else 0.0), 0.0


@_entry
def _point_sq_eps(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    r, e = _excess(t, f, p0)
    return e * e, 2.0 * _sign(r) * e, (2.0 if (p0 == 0.0 or e > 0.0) else 0.0)


@_entry
def _point_huber(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    return _huber(t, f, p0, want_v, want_g, want_h)


@_entry
def _point_smooth_l1(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    return _smooth_l1(t, f, p0, want_v, want_g, want_h)


@_entry
def _point_pseudo_huber(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    return _pseudo_huber(t, f, p0, want_v, want_g, want_h)


@_entry
def _point_mape(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    # |f − y|/|y|; where f − y overflows, 2·|f/2 − y/2|/|y|
    x = f - t
    at = abs(t)
    v = abs(x) / at if not math.isinf(x) else (abs(f * 0.5 - t * 0.5) / at) * 2.0
    return v, _sign(x) / at, 0.0


@_entry
def _point_quantile(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    tau = p0
    r = t - f
    g = (1.0 - tau) * np.float64(f > t) - tau * np.float64(f < t)  # exact: x·1 − 0, 0 − τ·1, 0
    if math.isinf(r):  # t − f overflows: twice the value at r/2 = t/2 − f/2
        hh = t * 0.5 - f * 0.5
        return 2.0 * max(tau * hh, (tau - 1.0) * hh), g, 0.0
    return max(tau * r, (tau - 1.0) * r), g, 0.0


@_entry
def _point_expectile(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    tau = p0
    wq = (1.0 - tau) if t < f else tau
    r = f - t
    a = abs(r)
    # 2w·r = 4w·(r/2) where r overflows (finite for w < ¼·max/|r/2|)
    g = 2.0 * wq * r if not math.isinf(r) else (wq * (f * 0.5 - t * 0.5)) * 4.0
    return (wq * a) * a, g, 2.0 * wq


# the margin losses of `losses.margin` (z = s·f with the sign s of the label; same operations)


@_entry
def _point_hinge(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    s = 1.0 if t > 0.0 else -1.0
    return max(p0 - s * f, 0.0), (-s if s * f < p0 else 0.0), 0.0


@_entry
def _point_sq_hinge(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    s = 1.0 if t > 0.0 else -1.0
    d = max(p0 - s * f, 0.0)
    return d * d, -2.0 * s * d, (2.0 if s * f < p0 else 0.0)


@_entry
def _point_perceptron(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    s = 1.0 if t > 0.0 else -1.0
    return max(-s * f, 0.0), (-s if s * f <= 0.0 else 0.0), 0.0


@_entry
def _point_mod_huber(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    # p0: the scale (1, or ¼ for the binary sparsemax loss)
    s = 1.0 if t > 0.0 else -1.0
    z = s * f
    d = max(1.0 - z, 0.0)
    v = -4.0 * z if z < -1.0 else d * d
    g = -4.0 * s if z < -1.0 else -2.0 * s * d
    h = 2.0 if (z >= -1.0) & (z < 1.0) else 0.0
    return p0 * v, p0 * g, p0 * h


@_entry
def _point_exponential(p0, p1, p2, prm, t, f, want_v, want_g, want_h):
    s = 1.0 if t > 0.0 else -1.0
    e = math.exp(-s * f)
    return e, -s * e, e


CHUNK = 4096
BLOCK = 256  # entries whose exponentials `_chunk` computes at a time (rows of 2 kB, in L1)


@njit(cache=True, error_model="numpy", inline="always")
def _poly_body(point, prm, t, f, w, lo, hi, v_out, g_out, h_out, part_v):
    """The kernel ``point`` (one of the `_point_*`) over entries lo:hi: (Σwℓ, Σw), per-entry
    outputs stored where given. The optional arrays may be None, so the loop is compiled for
    one kernel and one set of outputs (see `chunk_kernel`)."""
    p0, p1, p2 = prm[0], prm[1], prm[2]
    want_v = v_out is not None or part_v is not None
    sv = 0.0
    sw = 0.0
    for i in range(lo, hi):
        ti, fi = np.float64(t[i]), np.float64(f[i])
        v, g, h = point(p0, p1, p2, prm, ti, fi, want_v, g_out is not None, h_out is not None)
        if w is not None:
            wi = np.float64(w[i])
            v = v * wi
            g = g * wi
            h = h * wi
            sw += wi
        if v_out is not None:
            v_out[i] = v
        if part_v is not None:
            sv += v
        if g_out is not None:
            g_out[i] = g
        if h_out is not None:
            h_out[i] = h
    return sv, sw


@njit(cache=True, error_model="numpy")
def _fill(op, c, f, lo, hi, rows, k, absolute=False):
    """rows[k, j] = op(c·f[lo + j]) (op(c·|f[lo + j]|) if ``absolute``) for j < hi − lo,
    through the argument row rows[0] (padded with 0 to a multiple of 4), which keeps it."""
    m4 = (hi - lo + 3) // 4 * 4
    x = rows[0, :m4]
    for j in range(hi - lo):
        fj = np.float64(f[lo + j])
        x[j] = c * (abs(fj) if absolute else fj)
    for j in range(hi - lo, m4):
        x[j] = 0.0
    _vector(op, x, rows[k])


@njit(cache=True, error_model="numpy")
def _exponentials(kind, p0, p1, f, lo, hi, want_v, want_g, want_h, form, rows):
    """The exponentials of entries lo:hi (at most `BLOCK`) a kernel of `_transcendental` takes,
    into ``rows`` 1–6 (as ``ex`` in order; rows a call does not read are left unset), computed
    by `_vector`: four at a time, where the scalar code would call libm once per entry.
    BCE: e^{−|x|}, then log1p of it and expm1(−|x|); Tweedie (a = p0, b = p1): e^s, e^{as},
    e^{bs}, e^{(a/2)s}, expm1(bs), expm1(as). Every one the kernel may need is computed, also for
    entries whose branch does not use it: a vector call costs less than the scalar one saved."""
    m4 = (hi - lo + 3) // 4 * 4
    if kind == BCE:
        _fill(EXP, -1.0, f, lo, hi, rows, 1, True)  # argument row rows[0] = −|x|
        if want_v:
            _vector(LOG1P, rows[1, :m4], rows[2])
        if want_g:
            _vector(EXPM1, rows[0, :m4], rows[3])
    elif kind == TWEEDIE and form != TARGET_TERM:
        a, b = p0, p1
        up_to_y = want_v and form == VALUE_UP_TO_Y
        if want_g or (b == 1.0 and (want_h or want_v)):
            _fill(EXP, 1.0, f, lo, hi, rows, 1)
        if want_g and a != 0.0:
            _fill(EXP, a, f, lo, hi, rows, 2)
        if b != 0.0 and b != 1.0 and (want_g or want_h or (want_v and not up_to_y)):
            _fill(EXP, b, f, lo, hi, rows, 3)
        if want_h and a != 0.0:
            _fill(EXP, 0.5 * a, f, lo, hi, rows, 4)
        if up_to_y and b != 0.0 and b != 1.0:
            _fill(EXPM1, b, f, lo, hi, rows, 5)
        if up_to_y and a != 0.0:
            _fill(EXPM1, a, f, lo, hi, rows, 6)


@njit(cache=True, error_model="numpy")
def _chunk_loop(kind, prm, t, f, w, lo, hi, v_out, g_out, h_out, want_v, want_g, want_h, sum_v, form):
    """`_chunk` for every kernel and every set of outputs, entry by entry."""
    p0, p1, p2 = prm[0], prm[1], prm[2]
    has_w = w.shape[0] > 0
    per_v = v_out.shape[0] > 0
    plain = form == VALUE
    both = form == VALUE_UP_TO_Y_AND_TERM
    vform = VALUE_UP_TO_Y if both else form
    sv = 0.0
    sv_err = 0.0
    sc = 0.0
    sc_err = 0.0
    sw = 0.0
    rows = np.ones((7, BLOCK))  # rows a call leaves unset stay 1: never a subnormal operand
    for b_lo in range(lo, hi, BLOCK):
        b_hi = min(hi, b_lo + BLOCK)
        _exponentials(kind, p0, p1, f, b_lo, b_hi, want_v, want_g, want_h, vform, rows)
        for i in range(b_lo, b_hi):
            j = i - b_lo
            ti = np.float64(t[i])
            ex = (rows[1, j], rows[2, j], rows[3, j], rows[4, j], rows[5, j], rows[6, j])
            v, g, h = _transcendental(
                kind, p0, p1, p2, prm, ti, np.float64(f[i]), want_v, want_g, want_h, vform, ex
            )
            cv = (
                _transcendental(kind, p0, p1, p2, prm, ti, 0.0, True, False, False, TARGET_TERM, ex)[0]
                if both
                else 0.0
            )
            if has_w:
                wi = np.float64(w[i])
                v = v * wi
                g = g * wi
                h = h * wi
                cv = cv * wi
                sw += wi
            if both:
                sc, sc_err = _neumaier(sc, sc_err, cv)
            if per_v:
                v_out[i] = v
            if sum_v:
                if plain:
                    sv += v
                else:
                    sv, sv_err = _neumaier(sv, sv_err, v)
            if want_g:
                g_out[i] = g
            if want_h:
                h_out[i] = h
    return sv + sv_err, sc + sc_err, sw


@njit(cache=True, error_model="numpy")
def _chunk(kind, prm, t, f, w, lo, hi, v_out, g_out, h_out, want_g, want_h, sum_v, form):
    """Entries lo:hi of `elementwise` for the kernels built on exp/log: (Σwℓ, Σw·c(y), Σw) over
    them (Σw·c(y) for `VALUE_UP_TO_Y_AND_TERM`, which sums the value up to y as Σwℓ), per-entry
    values, gradients and Hessians stored where their arrays are not empty (``w`` empty: unit
    weights).

    A function of its own, not inlined into the pass: its arguments are arrays and flags only,
    so it compiles once per dtype, not once per variant of the pass, and those kernels (inlined
    here) are optimised once; called per chunk, not per entry, so the loop pays no call.
    Gradients and Hessians alone of BCE and the Tweedie family take loops of their own
    (`_derivatives`): in the loop for every kernel, the value's code, though not run, made
    such a pass 4× slower."""
    want_v = v_out.shape[0] > 0 or sum_v
    if not want_v and kind == BCE:
        return _bce_derivatives(prm, t, f, w, lo, hi, g_out, h_out, want_g, want_h)
    if not want_v and kind == TWEEDIE:
        return _tweedie_derivatives(prm, t, f, w, lo, hi, g_out, h_out, want_g, want_h)
    return _chunk_loop(kind, prm, t, f, w, lo, hi, v_out, g_out, h_out, want_v, want_g, want_h, sum_v, form)


# `_chunk`'s cases for gradients and Hessians alone, each compiled on its own (compile time)


@njit(cache=True, error_model="numpy")
def _bce_derivatives(prm, t, f, w, lo, hi, g_out, h_out, want_g, want_h):
    return _derivatives(BCE, prm, t, f, w, lo, hi, g_out, h_out, want_g, want_h)


@njit(cache=True, error_model="numpy")
def _tweedie_derivatives(prm, t, f, w, lo, hi, g_out, h_out, want_g, want_h):
    return _derivatives(TWEEDIE, prm, t, f, w, lo, hi, g_out, h_out, want_g, want_h)


@njit(cache=True, error_model="numpy", inline="always")
def _derivatives(kind, prm, t, f, w, lo, hi, g_out, h_out, want_g, want_h):
    """`_chunk` for gradients and Hessians (no value) of BCE and the Tweedie family. Per block:
    the exponentials (`_exponentials`); a loop without calls or branches (selects only, so
    the compiler vectorises it; hence ``error_model="numpy"``, whose division has no
    exception exit) storing each entry's result where the scalar kernel takes the same
    branch — all of BCE, the Tweedie entries away from their optimum and from overflow —
    and marking the others, which the scalar kernel then computes (a few percent of the
    entries on count data). Results go to rows 8 and 9 (float64), then, times the weights if
    any, to the outputs: no loop reads the weights conditionally, and a float32 output is
    still rounded once."""
    p0, p1, p2 = prm[0], prm[1], prm[2]
    has_w = w.shape[0] > 0
    rows = np.ones((10, BLOCK))  # 1–6 as in `_exponentials`, 7 entries left to the kernel, 8–9 g, h
    sw = 0.0
    for b_lo in range(lo, hi, BLOCK):
        b_hi = min(hi, b_lo + BLOCK)
        _exponentials(kind, p0, p1, f, b_lo, b_hi, False, want_g, want_h, VALUE, rows)
        if kind == BCE:
            for i in range(b_lo, b_hi):
                j = i - b_lo
                ti = np.float64(t[i])
                tt = ti * (1.0 - p1) + p1 / 2.0 if p1 != 0.0 else ti
                ex = (rows[1, j], 0.0, rows[3, j], 0.0, 0.0, 0.0)
                _, rows[8, j], rows[9, j] = _bce(tt, np.float64(f[i]), p0, False, want_g, want_h, ex)
        else:
            _tweedie_fast(p0, p1, t, f, b_lo, b_hi, want_g, want_h, rows)
            for i in range(b_lo, b_hi):
                j = i - b_lo
                if rows[7, j] != 0.0:
                    ex = (rows[1, j], rows[2, j], rows[3, j], rows[4, j], rows[5, j], rows[6, j])
                    ti = np.float64(t[i])
                    _, rows[8, j], rows[9, j] = _tweedie(
                        ti, np.float64(f[i]), p0, p1, p2, prm, False, want_g, want_h, VALUE, ex
                    )
        if has_w:
            for i in range(b_lo, b_hi):
                wi = np.float64(w[i])
                sw += wi
                rows[8, i - b_lo] *= wi
                rows[9, i - b_lo] *= wi
        for i in range(b_lo, b_hi):
            if want_g:
                g_out[i] = rows[8, i - b_lo]
            if want_h:
                h_out[i] = rows[9, i - b_lo]
    return 0.0, 0.0, sw


@njit(cache=True, error_model="numpy", inline="always")
def _tweedie_fast(a, b, t, f, lo, hi, want_g, want_h, rows):
    """`_tweedie`'s gradient and Hessian into rows 8 and 9 where it takes its first branches
    (a = 1 − p, b = 2 − p), the same operations; rows[7] marks the entries it leaves to
    `_tweedie`."""
    for i in range(lo, hi):
        j = i - lo
        ti = np.float64(t[i])
        ypos = ti > 0.0
        mu = rows[1, j]
        eb = mu if b == 1.0 else rows[3, j]
        left = False
        g = h = 0.0
        if want_g:
            dd = mu - ti
            gg = dd if a == 0.0 else dd * rows[2, j]
            fast = (abs(dd) >= ti * 0.015625) & (_TINY <= mu) & (mu <= _MAX)
            fast = fast & (_TINY <= abs(gg)) & (abs(gg) <= _MAX)
            g = gg if ypos else eb
            left = left | (ypos & (not fast))
        if want_h:
            first = eb if b == 1.0 else (b * eb if b != 0.0 else 0.0)
            if a == 0.0:
                h = first
            else:
                hh = rows[4, j]
                second = ((a * ti) * hh) * hh if ypos else 0.0
                h = first - second
                big = abs(a * np.float64(f[i])) > _HALF_EXP_LIMIT
                left = left | (ypos & big)
                left = left | ((b < 0.0) & ((abs(first) > _MAX) | (abs(second) > _MAX) | (h != h)))
        rows[8, j] = g
        rows[9, j] = h
        rows[7, j] = np.float64(left)


# layout of the check vector ``chk`` (y_true at 0, y_pred at CHK_F), prepared by losslab.kernels
# so that the test is branch-free: x ≥ LO and x ≤ HI with open ends moved to the next float in
# (an infinite end becomes ±max float, so ±inf and NaN fail), x ≠ EXCLUDED (NaN if none), and,
# for label domains (N_VALUES > 0), x equal to one of VALUES (padded with NaN)
LO, HI, EXCLUDED, N_VALUES, VALUES = 0, 1, 2, 3, 4
CHK_WIDTH = 7  # VALUES holds up to 3 label values
CHK_F = CHK_WIDTH


@njit(cache=True, error_model="numpy", inline="always")
def _inside(x, lo, hi, excluded, labels, v0, v1, v2):
    """x lies in the domain (NaN and ±inf never do), without branches."""
    ok = (x >= lo) & (x <= hi) & (x != excluded)
    if labels:  # loop-invariant: hoisted by the compiler
        ok = ok & ((x == v0) | (x == v1) | (x == v2))
    return ok


@njit(cache=True, error_model="numpy", parallel=True)
def elementwise(kernel, kind, prm, t, f, w, chk, v_out, g_out, h_out, res, part_bad, flags, form):
    """One pass: per chunk c of `CHUNK` entries (threads take whole chunks), ``kernel`` (the
    address of a chunk kernel of `chunk_kernel`) stores the per-entry values,
    gradients and Hessians and writes (Σwℓ, Σw·c(y), Σw) over the chunk into ``res[c]`` (for the
    `SIGNED` kinds, the middle one says which negative labels the chunk holds); then
    the entries are checked against ``chk`` (see `LO` …) and the weights (finite, ≥ 0), and
    ``part_bad[c]`` says whether one failed (the caller then takes the generic path, which
    names the entry).

    Every array is given (an empty one where absent; ``flags`` says which: `HAS_W` …), so this
    function compiles once per dtype, and no kernel is compiled into it: a kernel linked into
    the pass would be optimised again in every variant of the pass (≈ 40 s each, cold).
    """
    n = f.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    has_w = (flags & HAS_W) != 0
    m = prm.shape[0]
    t_lo, t_hi, t_ex, t_lab = chk[LO], chk[HI], chk[EXCLUDED], chk[N_VALUES] > 0
    t_v0, t_v1, t_v2 = chk[VALUES], chk[VALUES + 1], chk[VALUES + 2]
    o = CHK_F
    f_lo, f_hi, f_ex, f_lab = chk[o + LO], chk[o + HI], chk[o + EXCLUDED], chk[o + N_VALUES] > 0
    f_v0, f_v1, f_v2 = chk[o + VALUES], chk[o + VALUES + 1], chk[o + VALUES + 2]
    for c in prange(n_chunks):
        lo = c * CHUNK
        hi = min(n, lo + CHUNK)
        _call(
            kernel, kind, _ptr(prm), m, _ptr(t), _ptr(f), _ptr(w), _ptr(v_out), _ptr(g_out),
            _ptr(h_out), n, lo, hi, flags, form, _ptr(res[c]),
        )  # fmt: skip
        bad = False
        for i in range(lo, hi):
            ok = _inside(np.float64(t[i]), t_lo, t_hi, t_ex, t_lab, t_v0, t_v1, t_v2)
            bad = bad | (not (ok & _inside(np.float64(f[i]), f_lo, f_hi, f_ex, f_lab, f_v0, f_v1, f_v2)))
        if has_w:  # the weights: finite and ≥ 0
            for i in range(lo, hi):
                wc = np.float64(w[i])
                bad = bad | (not ((wc >= 0.0) & (wc <= _MAX)))
        part_bad[c] = bad


# -- chunk kernels: compiled apart and called through their address --------------------------------
# flags of a pass: which optional arrays `elementwise` and the kernels are given
HAS_W, HAS_V, WANT_G, WANT_H, SUM_V = 1, 2, 4, 8, 16
#: by kind: those built on exp/log, computed by `_chunk`; the others by `_poly_body`
BY_CHUNK = (BCE, TWEEDIE, LOG_COSH, FAIR, MSLE)


@intrinsic
def _ptr(typingctx, arr):
    """The address of an array's first entry, as a typed pointer (a chunk kernel's argument)."""

    def codegen(context, builder, signature, args):
        return context.make_array(arr)(context, builder, args[0]).data

    return types.CPointer(arr.dtype)(arr), codegen


@intrinsic
def _call(typingctx, addr, kind, prm, m, t, f, w, v, g, h, n, lo, hi, flags, form, res):
    """Call the chunk kernel at address ``addr`` (an integer) with the other arguments: a
    plain indirect call (numba's first-class functions unbox the function object on each call of
    the pass: +40 µs at 10⁴ entries, +100 µs at 10⁵, measured)."""

    def codegen(context, builder, signature, llargs):
        fnty = ir.FunctionType(ir.VoidType(), [context.get_value_type(a) for a in signature.args[1:]])
        builder.call(builder.inttoptr(llargs[0], fnty.as_pointer()), llargs[1:])
        return context.get_dummy_value()

    return types.void(addr, kind, prm, m, t, f, w, v, g, h, n, lo, hi, flags, form, res), codegen


def _signature(dtype: np.dtype) -> types.Signature:
    """A chunk kernel's C signature for arrays of ``dtype``: (kind, prm, len(prm), t, f, w, v, g,
    h, n, lo, hi, flags, form, res) → void, res receiving (Σwℓ, Σw·c(y), Σw) of entries lo:hi
    (`SIGNED` kinds: 1 if a label is 0, + 2 if one is −1, in place of Σw·c(y))."""
    x = types.CPointer(types.float32 if dtype == np.float32 else types.float64)
    p, i = types.CPointer(types.float64), types.intp
    return types.void(i, p, i, x, x, x, x, x, x, i, i, i, i, i, p)


_kernels: dict[tuple, object] = {}


def chunk_kernel(kind: int, dtype: np.dtype, flags: int) -> object:
    """The compiled chunk kernel (a numba ``cfunc``, cached on disk) for loss ``kind`` on arrays
    of ``dtype`` with the outputs ``flags`` names, made on first use.

    The exp/log kernels share one per dtype (`_chunk`: kind and flags read at run time); the
    piecewise-polynomial ones get one per kind and set of outputs, their loop compiled for it:
    its data-dependent choices (a sign, a side of the kink) become selects, where a loop that
    tests the kind or output flags per entry kept them as branches that random data mispredicts
    (≈ 5× the time for mae, quantile and huber)."""
    by_chunk = kind in BY_CHUNK
    key = ("chunk", dtype.char) if by_chunk else (kind, dtype.char, flags)
    made = _kernels.get(key)
    if made is None:
        body = _exp_log_kernel if by_chunk else _poly_kernel(kind, flags)
        made = _kernels[key] = cfunc(_signature(dtype), cache=True, error_model="numpy")(body)
    return made


def _exp_log_kernel(kind, prm_p, m, t_p, f_p, w_p, v_p, g_p, h_p, n, lo, hi, flags, form, res_p):
    # the exp/log losses' chunk kernel body: kind and flags read at run time (`_chunk`)
    res = carray(res_p, 3)
    res[0], res[1], res[2] = _chunk(
        kind, carray(prm_p, m), carray(t_p, n), carray(f_p, n),
        carray(w_p, n if flags & HAS_W else 0), lo, hi, carray(v_p, n if flags & HAS_V else 0),
        carray(g_p, n if flags & WANT_G else 0), carray(h_p, n if flags & WANT_H else 0),
        (flags & WANT_G) != 0, (flags & WANT_H) != 0, (flags & SUM_V) != 0, form,
    )  # fmt: skip


def _poly_kernel(k: int, flags: int):
    # constants of the closure: numba prunes the branches they decide, so the optional arrays
    # are None where absent
    has_w, has_v, want_g, want_h, sum_v = (bool(flags & b) for b in (HAS_W, HAS_V, WANT_G, WANT_H, SUM_V))
    signed = k in SIGNED

    def kernel(kind, prm_p, m, t_p, f_p, w_p, v_p, g_p, h_p, n, lo, hi, flags, form, res_p):
        res = carray(res_p, 3)
        w = carray(w_p, n) if has_w else None
        v_out = carray(v_p, n) if has_v else None
        g_out = carray(g_p, n) if want_g else None
        h_out = carray(h_p, n) if want_h else None
        part = res if sum_v else None
        prm, t, f = carray(prm_p, m), carray(t_p, n), carray(f_p, n)
        # one branch survives: k is a constant of the closure (a tuple of the kernels indexed by
        # k would be typed as function pointers, which the loop would call, not inline)
        if k == MSE:
            sv, sw = _poly_body(_point_mse, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == MAE:
            sv, sw = _poly_body(_point_mae, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == HUBER:
            sv, sw = _poly_body(_point_huber, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == QUANTILE:
            sv, sw = _poly_body(_point_quantile, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == EXPECTILE:
            sv, sw = _poly_body(_point_expectile, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == EPS_INSENSITIVE:
            sv, sw = _poly_body(_point_eps, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == SQ_EPS_INSENSITIVE:
            sv, sw = _poly_body(_point_sq_eps, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == SMOOTH_L1:
            sv, sw = _poly_body(_point_smooth_l1, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == PSEUDO_HUBER:
            sv, sw = _poly_body(_point_pseudo_huber, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == MAPE:
            sv, sw = _poly_body(_point_mape, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == HINGE:
            sv, sw = _poly_body(_point_hinge, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == SQ_HINGE:
            sv, sw = _poly_body(_point_sq_hinge, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == PERCEPTRON:
            sv, sw = _poly_body(_point_perceptron, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        elif k == MOD_HUBER:
            sv, sw = _poly_body(_point_mod_huber, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        else:
            sv, sw = _poly_body(_point_exponential, prm, t, f, w, lo, hi, v_out, g_out, h_out, part)
        labels = 0.0
        if signed:  # which negative labels the chunk holds: 1 for a 0, 2 for a −1 (not both, checked)
            zero = minus = False
            for i in range(lo, hi):
                zero = zero | (t[i] == 0.0)
                minus = minus | (t[i] == -1.0)
            labels = np.float64(zero) + 2.0 * np.float64(minus)
        res[0], res[1], res[2] = sv, labels, sw

    return kernel


def n_chunks(n: int) -> int:
    return (n + CHUNK - 1) // CHUNK


def total(part_column: np.ndarray) -> float:
    """The chunk sums added in chunk order (independent of the thread count)."""
    return math.fsum(part_column.tolist())


ROWS = 512  # rows per chunk of the per-row (multiclass) pass


@njit(cache=True, error_model="numpy", parallel=True)
def softmax_ce(f, labels, w, check, cw, eps, v_out, g_out, h_out, part_v, part_w, part_bad):
    """Cross-entropy of logit rows ``f`` (n, k) against class indices ``labels`` (as floats),
    with label smoothing ``eps`` and class weights ``cw`` (k,): the target row is
    a = ((1 − ε)·onehot + ε/k)·c. Same chunked layout and outputs as `elementwise`, per row.

    losslab.losses.classification: log softmax with log1p of the non-maximal terms
    (`_core.special.log_softmax`), then `weighted_ce_grad_hess`: gradient (s − aⱼ)pⱼ −
    aⱼ(1 − pⱼ) with s − a_top summed from the other entries, Hessian s·pⱼ(1 − pⱼ), 1 − pⱼ as
    −expm1(log pⱼ). The chunk's exponentials and logs are computed first, each over the whole
    chunk by `_vector` (`_row_exponentials`).
    """
    n, k = f.shape
    n_chunks = (n + ROWS - 1) // ROWS
    want_v = v_out is not None or part_v is not None
    want_gh = g_out is not None or h_out is not None
    for c in prange(n_chunks):
        lo = c * ROWS
        hi = min(n, lo + ROWS)
        a = np.empty(k)
        logp = np.empty(k)
        sv = 0.0
        sw = 0.0
        bad = False
        z, top_at, l1p_at, p_at, omp_at = _row_exponentials(f, lo, hi, want_gh)
        for i in range(lo, hi):
            lab = np.float64(labels[i])
            if check:
                ok = (lab >= 0.0) & (lab <= k - 1) & (np.floor(lab) == lab)
                for j in range(k):
                    x = np.float64(f[i, j])
                    ok = ok & (x - x == 0.0)
                if w is not None:
                    wc = np.float64(w[i])
                    ok = ok & (wc >= 0.0) & (wc <= _MAX)
                if not ok:
                    bad = True
                    continue
            li = int(lab)
            r = (i - lo) * k
            m = top_at[i - lo]  # the row maximum
            l1p = l1p_at[i - lo]  # log1p(Σ_{j ≠ jm} e^{z_j − m}), jm the maximum's first index
            s = 0.0
            top = 0
            for j in range(k):
                logp[j] = z[r + j] - l1p
                aj = (
                    (1.0 - eps) * (1.0 if j == li else 0.0) + eps / k
                    if eps != 0.0
                    else (1.0 if j == li else 0.0)
                )
                aj = aj * cw[j]
                a[j] = aj
                s += aj
                if aj > a[top]:
                    top = j
            wi = np.float64(w[i]) if w is not None else 1.0
            if want_v:
                acc = 0.0
                for j in range(k):
                    if a[j] == 0.0:
                        continue  # 0·log p = 0, also where log p = −inf
                    lp = logp[j]
                    if math.isinf(lp):  # zⱼ − max overflowed: 2a·(zⱼ/2 − max/2)
                        acc += (a[j] * (np.float64(f[i, j]) * 0.5 - m * 0.5)) * 2.0
                    else:
                        acc += a[j] * lp
                v = (0.0 - acc) * wi
                if v_out is not None:
                    v_out[i] = v
                if part_v is not None:
                    sv += v
            if g_out is not None or h_out is not None:
                rest = 0.0
                for j in range(k):
                    if j != top:
                        rest += a[j]
                for j in range(k):
                    p = p_at[r + j]  # e^{log pⱼ}
                    omp = 0.0 - omp_at[r + j]  # −expm1(log pⱼ)
                    if g_out is not None:
                        others = rest if j == top else s - a[j]
                        g_out[i, j] = (others * p - a[j] * omp) * wi
                    if h_out is not None:
                        h_out[i, j] = (s * p * omp) * wi
            if part_w is not None:
                sw += wi
        if part_v is not None:
            part_v[c] = sv
        if part_w is not None:
            part_w[c] = sw
        if part_bad is not None:
            part_bad[c] = bad


@njit(cache=True, error_model="numpy")
def _row_exponentials(f, lo, hi, want_gh):
    """For rows lo:hi of logits f (n, k), flat over the rows: z_j − m (m the row maximum),
    the row maxima, log1p(Σ_{j ≠ jm} e^{z_j − m}) per row (jm the maximum's first index, the sum
    in column order), and, if ``want_gh``, e^{log pⱼ} and expm1(log pⱼ) with
    log pⱼ = (z_j − m) − log1p(…). Each function over the chunk by `_vector`."""
    k = f.shape[1]
    nr = hi - lo
    size = (nr * k + 3) // 4 * 4
    z = np.zeros(size)
    e = np.empty(size)
    tops = np.empty(nr)
    jms = np.empty(nr, np.int64)
    rest = np.zeros((nr + 3) // 4 * 4)
    l1p = np.empty(rest.shape[0])
    for i in range(lo, hi):
        r = (i - lo) * k
        jm = 0
        m = np.float64(f[i, 0])
        for j in range(1, k):  # selects, not branches: where the maximum lies is random
            x = np.float64(f[i, j])
            up = x > m
            m = x if up else m
            jm = j if up else jm
        tops[i - lo] = m
        jms[i - lo] = jm
        for j in range(k):
            z[r + j] = np.float64(f[i, j]) - m
    _vector(EXP, z, e)
    for i in range(nr):
        acc = 0.0
        for j in range(k):
            acc += e[i * k + j] if j != jms[i] else 0.0  # acc + 0 = acc: the maximum left out
        rest[i] = acc
    _vector(LOG1P, rest, l1p)
    p = np.empty(0)
    om = np.empty(0)
    if want_gh:
        lp = np.zeros(size)
        for i in range(nr):
            for j in range(k):
                lp[i * k + j] = z[i * k + j] - l1p[i]
        p = np.empty(size)
        om = np.empty(size)
        _vector(EXP, lp, p)
        _vector(EXPM1, lp, om)
    return z, tops, l1p, p, om


def n_row_chunks(n: int) -> int:
    return (n + ROWS - 1) // ROWS
