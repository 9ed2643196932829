"""Exact value, gradient and Hessian of scikit-learn's SGD classification losses (modified Huber,
perceptron) and AdaBoost's exponential loss (see README.md)."""

from __future__ import annotations

import mpmath
from grids import LOGITS, grid, mpf

CASES: list[dict] = []


def _sign(y):
    return mpf(1) if y > 0 else mpf(-1)


def _around(*kinks: float) -> list[float]:
    """The logits, and each kink with its neighbours an ulp away (both signs)."""
    edges = [k * u for k in kinks for u in (1.0, 1 + 2**-52, 1 - 2**-53)]
    return sorted(set(LOGITS) | set(edges) | {-e for e in edges})


# -- modified_huber: 0 (z >= 1), (1 - z)^2 (-1 <= z < 1), -4z (z < -1), z = s f --------------------
def _mh_value(y, f):
    z = _sign(y) * f
    if z >= 1:
        return mpf(0)
    return (1 - z) ** 2 if z >= -1 else -4 * z


def _mh_gradient(y, f):
    s = _sign(y)
    z = s * f
    if z >= 1:
        return mpf(0)
    return -2 * s * (1 - z) if z >= -1 else -4 * s


def _mh_hessian(y, f):
    z = _sign(y) * f
    return mpf(2) if -1 <= z < 1 else mpf(0)  # scikit-learn's branches: 0 at z = 1, 2 at z = -1


CASES += [
    {
        "loss": {"name": "modified_huber"},
        "points": grid(labels, _around(1.0)),
        "value": _mh_value,
        "gradient": _mh_gradient,
        "hessian": _mh_hessian,
    }
    for labels in ((0.0, 1.0), (-1.0, 1.0))
]


# -- perceptron: max(0, -s f), gradient -s at s f = 0 (scikit-learn's choice) ---------------------
CASES += [
    {
        "loss": {"name": "perceptron"},
        "points": grid(labels, LOGITS),
        "value": lambda y, f: max(mpf(0), -_sign(y) * f),
        "gradient": lambda y, f: -_sign(y) if _sign(y) * f <= 0 else mpf(0),
        "hessian": lambda y, f: mpf(0),
    }
    for labels in ((0.0, 1.0), (-1.0, 1.0))
]


# -- exponential: e^{-s f} ------------------------------------------------------------------------
CASES += [
    {
        "loss": {"name": "exponential"},
        "points": grid(labels, LOGITS),
        "value": lambda y, f: mpmath.exp(-_sign(y) * f),
        "gradient": lambda y, f: -_sign(y) * mpmath.exp(-_sign(y) * f),
        "hessian": lambda y, f: mpmath.exp(-_sign(y) * f),
    }
    for labels in ((0.0, 1.0), (-1.0, 1.0))
]
