"""Numerically exact building blocks, written once for any array namespace ``xp``.

Every probabilistic loss is built from these. None of them clips to an epsilon: each uses the
branch of the formula that does not cancel or overflow for its range of inputs.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "expm1mx",
    "log_sigmoid",
    "log_softmax",
    "mask",
    "safe_div",
    "safe_div2",
    "sigmoid",
    "sigmoid_pair_product",
    "softplus",
    "xlog1my",
    "xlogy",
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


_EXPM1MX_TERMS = 16  # x^2/2! .. x^17/17!: the next term is < 2^-53 of the sum for |x| < 1/2


def expm1mx(xp: Any, x: Any) -> Any:
    r"""eˣ − 1 − x without cancellation: ``expm1(x) − x`` where |x| ≥ ½ and its Taylor series
    Σ_{k≥2} xᵏ/k! (Horner) below, where the difference would lose the digits of x.

    >>> import numpy as np
    >>> float(expm1mx(np, np.float64(1e-10)))  # x²/2 + x³/6; expm1(x) - x gives 0
    5.000000000166667e-21
    """
    small = xp.abs(x) < 0.5
    xs = xp.where(small, x, xp.zeros_like(x))
    acc = xp.zeros_like(x)
    for k in range(_EXPM1MX_TERMS + 1, 1, -1):
        acc = (acc + 1.0 / math.factorial(k)) * xs
    return xp.where(small, acc * xs, xp.expm1(x) - x)


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
    k = z.shape[-1]
    first_max = xp.argmax(z, axis=-1, keepdims=True)
    cols = xp.reshape(xp.arange(k, device=_device(z)), (1, k))
    is_first_max = cols == first_max
    e = xp.exp(shifted) * (1.0 - mask(xp, is_first_max, shifted))  # e ≤ 1: exact selection
    s = xp.sum(e, axis=-1, keepdims=True)
    return shifted - xp.log1p(s)


def xlogy(xp: Any, x: Any, y: Any) -> Any:
    r"""x·log y with the convention 0·log 0 = 0 (and 0·log y = 0 for any y ≥ 0)."""
    zero = x == 0
    safe_y = xp.where(zero, xp.ones_like(y), y)
    return xp.where(zero, xp.zeros_like(x), x * xp.log(safe_y))


def xlog1my(xp: Any, x: Any, y: Any) -> Any:
    r"""x·log(1 − y) through log1p (exact for tiny y), with 0·log 0 = 0."""
    zero = x == 0
    safe_y = xp.where(zero, xp.zeros_like(y), y)
    return xp.where(zero, xp.zeros_like(x), x * xp.log1p(-safe_y))


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
