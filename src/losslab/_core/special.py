"""Numerically exact building blocks, written once for any array namespace ``xp``.

Every probabilistic loss is built from these. None of them clips to an epsilon: each uses the
branch of the formula that does not cancel or overflow for its range of inputs.
"""

from __future__ import annotations

import functools
import math
from typing import Any

__all__ = [
    "clip_own",
    "cumlogsumexp",
    "eager",
    "expm1mx",
    "finite_log",
    "half_diff",
    "log1m",
    "log1mexp",
    "log_dd",
    "log_ndtr",
    "log_ratio",
    "log_sigmoid",
    "log_softmax",
    "mask",
    "mul_exp",
    "safe_div",
    "safe_div2",
    "sigmoid",
    "sigmoid_pair_product",
    "signed_exp",
    "softplus",
    "torch_eager",
    "xlog1my",
    "xlogy",
    "xmul",
    "xmul_log_softmax",
]


def softplus(xp: Any, x: Any) -> Any:
    r"""log(1 + eˣ) = max(x, 0) + log1p(e^{−|x|}), without overflow or loss of relative precision.

    Written without ``where``: selections here are ``maximum`` or products with 0/1 masks of
    finite values, which eager PyTorch runs ~20× faster than its CPU ``where``.
    """
    return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def log_sigmoid(xp: Any, x: Any) -> Any:
    r"""log σ(x) = −softplus(−x)."""
    return -softplus(xp, -x)


def sigmoid(xp: Any, x: Any) -> Any:
    r"""σ(x) = u/(1 + e) with e = e^{−|x|} and u = 1 for x ≥ 0, e below, so neither side
    overflows; u = max(e, 1[x ≥ 0]) selects exactly since 0 < e ≤ 1."""
    e = xp.exp(-xp.abs(x))
    return xp.maximum(e, mask(xp, x >= 0, x)) / (1.0 + e)


def mask(xp: Any, cond: Any, like: Any) -> Any:
    """``cond`` as 0.0/1.0 in ``like``'s dtype, for exact arithmetic selection of finite values."""
    return xp.astype(cond, like.dtype)


def sigmoid_pair_product(xp: Any, x: Any) -> Any:
    r"""σ(x)·σ(−x) = e^{−|x|}/(1 + e^{−|x|})², exact in the tails where 1 − σ would cancel."""
    e = xp.exp(-xp.abs(x))
    return e / ((1.0 + e) * (1.0 + e))


def log_softmax(xp: Any, z: Any) -> Any:
    r"""Row-wise log softmax of ``z`` of shape (n, k), accurate for the largest entry too.

    log pⱼ = zⱼ − m − log1p(S) with m the row maximum and S the sum of e^{z−m} over all but the
    (first) maximal entry, so that log p of a near-certain class keeps full relative precision
    (the plain m + log Σ e^{z−m} would round 1 + S to 1).
    """
    m = xp.max(z, axis=-1, keepdims=True)
    shifted = z - m
    # the maxima's terms are exactly 1: sum the others, then add 1 per maximum but one (cheaper
    # than locating the first maximum with argmax, which eager PyTorch runs slowly)
    at_max = mask(xp, shifted == 0.0, shifted)
    e = xp.exp(shifted) * (1.0 - at_max)  # e ≤ 1: exact selection
    s = xp.sum(e, axis=-1, keepdims=True) + (xp.sum(at_max, axis=-1, keepdims=True) - 1.0)
    return shifted - xp.log1p(s)


def xlogy(xp: Any, x: Any, y: Any) -> Any:
    r"""x·log y with the convention 0·log 0 = 0 (and 0·log y = 0 for any y ≥ 0)."""
    zero = x == 0
    safe_y = xp.where(zero, xp.ones_like(y), y)
    return xp.where(zero, xp.zeros_like(x), x * xp.log(safe_y))


def signed_exp(xp: Any, c: Any, log_mag: Any) -> Any:
    """c·exp(log_mag) as sign(c)·exp(log|c| + log_mag): no underflow of an intermediate factor."""
    return xp.sign(c) * xp.exp(xp.log(xp.abs(c)) + log_mag)


def finite_log(xp: Any, logp: Any) -> Any:
    """log p with −inf (z − max overflowed in a log softmax) as the dtype's lowest float: p = 0
    and p·c = 0 for any finite c either way, and products with log p stay free of 0·inf."""
    return xp.maximum(logp, xp.full_like(logp, xp.finfo(logp.dtype).min))


def half_diff(xp: Any, f: Any, t: Any) -> Any:
    """(f − t)/2 as f/2 − t/2: finite for finite f, t, also where f − t overflows (there both
    halvings are exact, so it is rounded once, like f − t). Losses that grow like |f − t| use it
    to stay finite where their value is (huber with δ < 1 at f = 1.7e308, y = −1.7e308)."""
    return f * 0.5 - t * 0.5


def mul_exp(xp: Any, v: Any, L: Any) -> Any:
    """v·e^L, finite wherever the product is although e^L overflows, and rounded once where
    e^L is subnormal: e^L itself while it is normal, else (v·e^{L/2})·e^{L/2}, and beyond that
    sign(v)·exp(L + log|v|) (computed only if some |L| is that large, in eager NumPy/PyTorch)."""
    lim = 708.0 if v.dtype == xp.float64 else 87.0
    if eager(xp, L) and at_most(xp, xp.abs(L), lim):
        return v * xp.exp(L)  # every e^L normal: the common case, without masks
    direct = xp.abs(L) <= lim
    out = v * xp.exp(xp.where(direct, L, xp.zeros_like(L)))
    halves = (~direct) & (xp.abs(L) <= 2.0 * lim)
    h = xp.exp(0.5 * xp.where(halves, L, xp.zeros_like(L)))
    far = signed_exp(xp, v, xp.where(direct | halves, xp.zeros_like(L), L))
    return xp.where(direct, out, xp.where(halves, (v * h) * h, far))


def at_most(xp: Any, a: Any, bound: float) -> bool:
    """Every entry of ``a`` ≤ ``bound`` (False if one is NaN), by one reduction and a host sync
    (eager arrays only): comparisons, boolean reductions and ``where`` cost eager PyTorch
    5–30× a multiply, a max about two."""
    return math.prod(a.shape) == 0 or bool(float(xp.max(a)) <= bound)


def eager(xp: Any, x: Any) -> bool:
    """NumPy, or PyTorch outside tracing: data-dependent shortcuts and subsets are allowed."""
    from .xp import is_numpy_namespace, is_tracing

    return is_numpy_namespace(xp) or (type(x).__module__.startswith("torch") and not is_tracing(x))


def torch_eager(xp: Any, x: Any) -> bool:
    """PyTorch outside tracing (`eager` for a torch tensor): the kernels may call PyTorch's own
    fused operations."""
    return type(x).__module__.startswith("torch") and eager(xp, x)


def clip_own(xp: Any, x: Any, lo: float, hi: float) -> Any:
    """``clip(x, lo, hi)`` of an array the caller made (in place for NumPy and eager PyTorch: one
    array fewer)."""
    import numpy as np

    if type(x).__module__.startswith("torch") and not x.requires_grad:
        return x.clamp_(lo, hi)
    if type(x) is np.ndarray and x.ndim:
        return np.clip(x, lo, hi, out=x)
    return xp.clip(x, lo, hi)


def xmul(xp: Any, x: Any, y: Any) -> Any:
    r"""x·y with 0·y = 0 for every y, also ±inf (t·log q of a zero target where log q = −inf)."""
    return xp.where(x == 0, xp.zeros_like(y), x * y)


def log1m(xp: Any, y: Any) -> Any:
    r"""log(1 − y) for y ≤ 1: log1p(−y), and −y itself where |y| < 2⁻⁶⁰ (the next term, y²/2, is
    below half an ulp): PyTorch's CPU log1p returns 0 at −5e-324."""
    return xp.where(xp.abs(y) < 2.0**-60, -y, xp.log1p(-y))


def xmul_log_softmax(xp: Any, a: Any, z: Any, logp: Any) -> Any:
    r"""a·log pⱼ for logp = log_softmax(z) (rows), with 0·log p = 0 also where log p = −inf.

    log p is −inf only where zⱼ − max overflowed (|z| near 1e308), where a·log p may still be
    finite (a = 0.1: −1.5e307): there it is 2a·(zⱼ/2 − max/2) (the log1p term of log p is
    below its last bit).
    """
    if eager(xp, logp) and at_most(xp, -logp, float(xp.finfo(logp.dtype).max)):
        return a * logp  # the common case: no log p = −inf, no 0·inf to guard
    half = half_diff(xp, z, xp.max(z, axis=-1, keepdims=True))
    return xp.where(xp.isinf(logp), (a * half) * 2.0, xmul(xp, a, logp))


def xlog1my(xp: Any, x: Any, y: Any) -> Any:
    r"""x·log(1 − y) through log1p (exact for tiny y), with 0·log 0 = 0."""
    zero = x == 0
    safe_y = xp.where(zero, xp.zeros_like(y), y)
    return xp.where(zero, xp.zeros_like(x), x * log1m(xp, safe_y))


def safe_div2(xp: Any, num: Any, den: Any) -> Any:
    """num/den² as (num/den)/den, so that den² cannot underflow to 0 (or overflow) on the way."""
    return safe_div(xp, safe_div(xp, num, den), den)


def safe_div(xp: Any, num: Any, den: Any) -> Any:
    """num/den with 0/anything = 0 (used for t/q terms where t = 0 must contribute nothing)."""
    zero = num == 0
    safe_den = xp.where(zero, xp.ones_like(den), den)
    return xp.where(zero, xp.zeros_like(num), num / safe_den)


def _device(x: Any) -> Any:
    from .xp import device

    return device(x)


#: 1/k! for k = 2 .. 17: the series of eˣ − 1 − x, used for |x| < ½ (the next term is < 1e-18)
_E2_SERIES = tuple(1.0 / math.factorial(k) for k in range(2, 18))
_E2_RADIUS = 0.5


def expm1mx(xp: Any, x: Any) -> Any:
    r"""eˣ − 1 − x ≥ 0 to full relative precision: its Taylor series for |x| < ½ (where
    expm1(x) − x would cancel), expm1(x) − x beyond."""
    small = xp.abs(x) < _E2_RADIUS
    xs = xp.where(small, x, xp.zeros_like(x))
    acc = xp.zeros_like(x)
    for c in reversed(_E2_SERIES):
        acc = acc * xs + c
    xb = xp.where(small, xp.ones_like(x), x)
    return xp.where(small, acc * xs * xs, xp.expm1(xb) - xb)


# -- log y in double-double: hi + lo to ~2⁻¹⁰⁰ relative (float32: ~2⁻⁴⁶) -----------------------
#: table spacing: y = 2^e·m with m ∈ [√½, √2) is reduced by the nearest c = 1 + j/_TABLE
_TABLE = 1024
_J_LO, _J_HI = -300, 425  # round((√½ − 1)·1024), round((√2 − 1)·1024)


def _two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """(s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a: Any, b: Any, split: float) -> tuple[Any, Any]:
    """(p, e) with p = fl(a·b) and p + e = a·b exactly (Dekker; |a|, |b| moderate)."""
    p = a * b
    ca, cb = split * a, split * b
    a_hi, b_hi = ca - (ca - a), cb - (cb - b)
    a_lo, b_lo = a - a_hi, b - b_hi
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


@functools.lru_cache(maxsize=4)
def _log_tables(bits: int) -> tuple[Any, Any, tuple[float, ...], tuple[float, float]]:
    """log c_j as (hi, lo) arrays rounded to ``bits``-bit floats, ln 2 as three parts whose first
    two have ≤ bits − 11 significant bits (e·part exact for |e| ≤ 1075), and 2/3 as (hi, lo)."""
    from decimal import Decimal, localcontext

    import numpy as np

    dtype = np.float64 if bits == 53 else np.float32

    def rnd(x: Decimal, nbits: int = bits) -> float:
        if x == 0:
            return 0.0
        e = math.frexp(float(x))[1]
        q = Decimal(2) ** (nbits - e)
        return float(dtype((x * q).to_integral_value() / q))

    with localcontext() as ctx:
        ctx.prec = 60
        logs = [(Decimal(1) + Decimal(j) / _TABLE).ln() for j in range(_J_LO, _J_HI + 1)]
        hi = np.array([rnd(v) for v in logs], dtype=dtype)
        lo = np.array([rnd(v - Decimal(float(h))) for v, h in zip(logs, hi, strict=True)], dtype=dtype)
        ln2 = Decimal(2).ln()
        a = rnd(ln2, bits - 11)
        b = rnd(ln2 - Decimal(a), bits - 11)
        c = rnd(ln2 - Decimal(a) - Decimal(b))
        t_hi = rnd(Decimal(2) / 3)
        t_lo = rnd(Decimal(2) / 3 - Decimal(t_hi))
    return hi, lo, (a, b, c), (t_hi, t_lo)


def log_dd(xp: Any, y: Any) -> tuple[Any, Any]:
    r"""log y for finite y > 0 as an unevaluated sum hi + lo, accurate to about 2⁻¹⁰⁰ relative in
    float64 (2⁻⁴⁶ in float32); hi is log y rounded (within an ulp).

    Near a log-link loss's optimum the value is ∝ d² and the gradient ∝ d with d = s − log y;
    as s − fl(log y), d would carry an absolute error of half an ulp of log y (at y = 4,
    s = fl(log 4): d = −4.6e-17, but s − fl(log 4) = 0). As (s − hi) − lo it is exact to the
    last bit: s − hi is exact wherever it is small (Sterbenz). y = 2ᵉ·m with
    m ∈ [√½, √2) (``frexp``), m = c·(1 + u)/(1 − u) with c = 1 + j/1024 the nearest table point
    (|u| ≤ 2⁻¹¹·⁵), and log y = e·ln 2 + log c + 2 atanh u, the large parts added in
    double-double arithmetic (Knuth's two-sum, Dekker's product), the small ones in floats.
    """
    f64 = y.dtype == xp.float64
    hi_t, lo_t, (l2a, l2b, l2c), (t_hi, t_lo) = _log_tables(53 if f64 else 24)
    split = 134217729.0 if f64 else 4097.0
    dev = _device(y)
    m, e = xp.frexp(y)
    e = xp.astype(e, y.dtype)
    low = m < 0.7071067811865476
    m = xp.where(low, 2.0 * m, m)
    e = xp.where(low, e - 1.0, e)
    j = xp.round((m - 1.0) * _TABLE)
    j = xp.minimum(xp.maximum(j, xp.full_like(j, _J_LO)), xp.full_like(j, _J_HI))
    idx = xp.reshape(xp.astype(j - _J_LO, xp.int64), (-1,))
    shape = y.shape
    lc_hi = xp.reshape(xp.take(xp.asarray(hi_t, device=dev), idx), shape)
    lc_lo = xp.reshape(xp.take(xp.asarray(lo_t, device=dev), idx), shape)
    c = 1.0 + j / _TABLE
    # u = (m − c)/(m + c) as u_hi + u_lo: m − c is exact, m + c a two-sum, the quotient corrected
    num = m - c
    den, den_lo = _two_sum(m, c)
    u = num / den
    p, p_lo = _two_prod(u, den, split)
    u_lo = (((num - p) - p_lo) - u * den_lo) / den
    # (2/3)u³ in double-double; the higher odd terms (< 2⁻⁵⁰ of the total) in floats
    s, s_lo = _two_prod(u, u, split)
    s_lo = s_lo + 2.0 * u * u_lo
    cube, cube_lo = _two_prod(s, u, split)
    cube_lo = cube_lo + (s_lo * u + s * u_lo)
    b, b_lo = _two_prod(cube, xp.full_like(cube, t_hi), split)
    b_lo = b_lo + (cube * t_lo + cube_lo * t_hi)
    rest = cube * (s * (0.4 + s * (2.0 / 7.0 + s * (2.0 / 9.0))))
    h, lo = _two_sum(e * l2a, lc_hi)
    for term in (e * l2b, 2.0 * u, b):
        h, err = _two_sum(h, term)
        lo = lo + err
    lo = lo + ((e * l2c + lc_lo) + (2.0 * u_lo + (b_lo + rest)))
    hi = h + lo
    return hi, lo - (hi - h)


def log_ratio(xp: Any, s: Any, y: Any) -> tuple[Any, Any]:
    r"""(log y, d = s − log y) for finite y > 0 (same shapes), d to full relative precision.

    s − fl(log y) is off by up to an ulp of log y, which matters only where |d| is small against
    |log y| (next to a log-link loss's optimum): there d = (s − hi) − lo with log y = hi + lo
    from `log_dd`. Elsewhere the rounding of log y costs d less than 2⁻⁴⁶ of itself. In eager
    NumPy and PyTorch `log_dd` runs on those entries only (it costs ~100 array operations);
    under JAX or tracing, where shapes must be static, on all of them.
    """
    ly = xp.log(y)
    d = s - ly
    need = xp.abs(d) < xp.abs(ly) * 2.0**-6
    if eager(xp, y):
        if not bool(xp.any(need)):
            return ly, d
        hi, lo = log_dd(xp, y[need])
        d = xp.asarray(d, copy=True)
        d[need] = (s[need] - hi) - lo
        return ly, d
    hi, lo = log_dd(xp, y)
    return ly, xp.where(need, (s - hi) - lo, d)


# -- functions the array API lacks: each library's own implementation --------------------------
def _library(xp: Any) -> str:
    """ "numpy", "torch" or "jax" for a namespace (array-api-compat's wrappers included)."""
    name = getattr(xp, "__name__", "")
    for lib in ("torch", "jax"):
        if lib in name:
            return lib
    return "numpy"


def log_ndtr(xp: Any, x: Any) -> Any:
    r"""log Φ(x), Φ the standard normal CDF, accurate in both tails: the library's ``log_ndtr``
    (SciPy, PyTorch, JAX) for x ≤ 0, where it follows −x²/2 − log(−x√(2π)) …, and
    log1p(−Φ(−x)) above, with Φ(−x) from the lower tail (JAX's log_ndtr takes log Φ there, which
    keeps only absolute precision: 4e-12 relative at x = 4). Differentiable by each library's
    autograd (d/dx log Φ = φ/Φ)."""
    lib = _library(xp)
    if lib == "torch":
        import torch

        log_ndtr_ = torch.special.log_ndtr
    elif lib == "jax":
        from jax.scipy.special import erfc
        from jax.scipy.special import log_ndtr as jax_log_ndtr

        def log_ndtr_(v: Any) -> Any:
            # JAX's asymptotic series below −20 keeps only ~1e-11 down to −37: log(erfc/2) there
            mid = v > -37.0
            vm = xp.where(mid, v, xp.zeros_like(v))
            return xp.where(
                mid,
                xp.log(0.5 * erfc(-vm * 0.7071067811865476)),
                jax_log_ndtr(xp.where(mid, -xp.ones_like(v), v)),
            )
    else:
        from scipy.special import log_ndtr as log_ndtr_
    pos = x > 0
    zero = xp.zeros_like(x)
    # Φ(−x) from the lower tail, where every library's log_ndtr is exact (also subnormal Φ(−x))
    upper = xp.exp(log_ndtr_(-xp.where(pos, x, zero)))
    return xp.where(pos, xp.log1p(-upper), log_ndtr_(xp.where(pos, zero, x)))


def cumlogsumexp(xp: Any, x: Any) -> Any:
    r"""Running log Σ_{j ≤ i} e^{x_j} of a 1-D array, exact over any spread of x (no common
    shift that could underflow a term): NumPy's ``logaddexp.accumulate``, PyTorch's
    ``logcumsumexp``, JAX's ``lax.cumlogsumexp``; −inf entries (zero weights) add nothing."""
    lib = _library(xp)
    if lib == "torch":
        import torch

        return torch.logcumsumexp(x, dim=0)
    if lib == "jax":
        from jax import lax

        return lax.cumlogsumexp(x, axis=0)
    import numpy as np

    return np.logaddexp.accumulate(x)


def log1mexp(xp: Any, a: Any) -> Any:
    r"""log(1 − eᵃ) for a ≤ 0 (Mächler's rule): log(−expm1(a)) for a > −log 2, log1p(−eᵃ)
    below, each where it does not cancel; −inf at a = 0."""
    near = a > -math.log(2.0)
    a_near = xp.where(near, a, -xp.ones_like(a))
    a_far = xp.where(near, -xp.ones_like(a), a)
    return xp.where(near, xp.log(-xp.expm1(a_near)), xp.log1p(-xp.exp(a_far)))
