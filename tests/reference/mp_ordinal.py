"""Exact value, gradient and Hessian of the ordinal (cumulative logit) loss (see README.md).

A point is (level code, η). With cuts θ₀ = −∞ < θ₁ < … < θ_{k−1} < θ_k = +∞ and a = θ_{y+1} − η,
b = θ_y − η: ℓ = −log(σ(a) − σ(b)), ∂ℓ/∂η = σ(−a) − σ(b), ∂²ℓ/∂η² = σ(a)σ(−a) + σ(b)σ(−b).
The thresholds are exact in float32 too (powers of two), so the float32 rows see the same cuts.
Grids: η over the logits' edges, at and next to each cut, and next to the optimum of an inner
level (η midway between its cuts, where the gradient vanishes and σ(−a) − σ(b) cancels).
"""

from __future__ import annotations

import itertools

import mpmath
from grids import LOGITS, mpf, sigmoid

CASES: list[dict] = []


def _cuts(thresholds: tuple[float, ...]) -> list:
    return [-mpmath.inf, *(mpf(t) for t in thresholds), mpmath.inf]


def _sig(x):
    """σ(x) with σ(±∞) = 1, 0."""
    if x == mpmath.inf:
        return mpf(1)
    if x == -mpmath.inf:
        return mpf(0)
    return sigmoid(x)


def _case(thresholds: tuple[float, ...]) -> dict:
    cuts = _cuts(thresholds)
    k = len(thresholds) + 1

    def ab(y, eta):
        j = int(y)
        return cuts[j + 1] - eta, cuts[j] - eta

    def value(y, eta):
        # σ(a) − σ(b) = (1 − e^{b−a})σ(a)σ(−b): the same number, without 1 − 1 when both are near 1
        a, b = ab(y, eta)
        gap = mpf(1) if b == -mpmath.inf or a == mpmath.inf else -mpmath.expm1(b - a)
        return -(mpmath.log(gap) + mpmath.log(_sig(a)) + mpmath.log(_sig(-b)))

    def gradient(y, eta):
        a, b = ab(y, eta)
        return _sig(-a) - _sig(b)

    def hessian(y, eta):
        a, b = ab(y, eta)
        return _sig(a) * _sig(-a) + _sig(b) * _sig(-b)

    etas = set(LOGITS)
    for t in thresholds:
        etas |= {t, t + 1e-9, t - 1e-9, t + 0.5, t - 0.5}
    for lo, hi in itertools.pairwise(thresholds):
        mid = lo / 2 + hi / 2
        etas |= {mid, mid + (hi - lo) * 1e-6, mid - (hi - lo) * 1e-3, mid + (hi - lo) * 0.25}
    etas = sorted(e for e in etas if abs(e) <= 1e4)
    points = [(float(y), eta) for y in range(k) for eta in etas]
    return {
        "loss": {"name": "ordinal", "thresholds": list(thresholds)},
        "points": points,
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [
    _case((-1.0, 1.0)),
    _case((0.0,)),  # two levels: the logistic loss of η against the cut
    _case((-30.0, 0.5, 2.0, 700.0)),  # far apart, one cut beyond exp's range
    _case((0.0, 2.0**-30, 2.0**-29)),  # cuts 1e-9 apart: the middle levels are nearly empty
    _case((5.0, 5.0 + 2.0**-20)),  # close cuts away from 0
]
