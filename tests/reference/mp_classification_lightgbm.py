"""Exact rows for LightGBM's cross_entropy_lambda (xentlambda) and multiclassova (see README.md).

cross_entropy_lambda: u = w·softplus(x), p = 1 − e^{−u}, ℓ = (1 − y)u − y log p. For w ≠ 1 and
a soft label the gradient (p − y)·wσ(x)/p vanishes at p = y, where it is known only to the
rounding of u (p − y has no exact form in float64): the grid skips |p − y| < 1e-3·min(p, 1 − p)
there. At w = 1 (plain cross-entropy) nothing is skipped.

multiclassova: Σⱼ tⱼ softplus(−c zⱼ) + (1 − tⱼ) softplus(c zⱼ), tⱼ = [y = j].
"""

from __future__ import annotations

import mpmath
from grids import LABELS01, LOGITS, grid, mpf, onehot, sigmoid, softplus

CASES: list[dict] = []


def _rate(x):
    """softplus(x) = log1p(eˣ) with its relative precision at x = −1e4 (grids.softplus's
    log(1 + eˣ) is 0 there at 400 digits, and p = 1 − e^{−w·softplus} is ∝ it)."""
    return mpmath.log1p(mpmath.exp(x))


# -- cross_entropy_lambda --------------------------------------------------------------------------
def _xentlambda(intensity: float) -> dict:
    w = mpf(intensity)

    def p_of(x):
        return -mpmath.expm1(-w * _rate(x))

    def value(y, x):
        u = w * _rate(x)
        log_p = mpmath.log(-mpmath.expm1(-u))
        return (1 - y) * u - (y * log_p if y != 0 else 0)

    def gradient(y, x):
        p = p_of(x)
        return w * sigmoid(x) * (p - y) / p

    def hessian(y, x):
        u = w * _rate(x)
        p = -mpmath.expm1(-u)
        r = w * sigmoid(x) / p
        return r * (sigmoid(-x) * (p - y) + y * mpmath.exp(-u) * r)

    points = []
    for y, x in grid(LABELS01, LOGITS):
        if intensity != 1.0 and y not in (0.0, 1.0):
            p = p_of(mpf(x))
            if abs(p - mpf(y)) < mpf("1e-3") * min(p, 1 - p):
                continue
        points.append((y, x))
    return {
        "loss": {"name": "cross_entropy_lambda", "intensity": intensity},
        "points": points,
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [_xentlambda(w) for w in (1.0, 0.3, 4.0, 1e-3, 50.0)]


# -- multiclassova ---------------------------------------------------------------------------------
ROWS = [
    [0.0, 0.0, 0.0],
    [2.0, 0.0, -1.0],
    [37.0, 0.0, -37.0],
    [-745.0, 0.0, 745.0],
    [1e4, 0.5, -1e4],
    [1e-300, -1e-300, 0.5],
    [-800.0, -36.7, 709.78],
]


def _ova(c: float) -> dict:
    s = mpf(c)

    def value(t, z):
        a = onehot(t, len(z))
        terms = (y * softplus(-s * x) + (1 - y) * softplus(s * x) for y, x in zip(a, z, strict=True))
        return mpmath.fsum(terms)

    def gradient(t, z):
        a = onehot(t, len(z))
        return [s * (sigmoid(s * x) - y) for y, x in zip(a, z, strict=True)]

    def hessian(t, z):
        return [s * s * sigmoid(s * x) * sigmoid(-s * x) for x in z]

    return {
        "loss": {"name": "multiclassova", "sigmoid": c},
        "points": grid([0, 1, 2], ROWS),
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [_ova(c) for c in (1.0, 0.5, 3.0)]
