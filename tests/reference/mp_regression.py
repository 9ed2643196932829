"""Exact value, gradient and Hessian of the regression losses (see README.md)."""

from __future__ import annotations

import mpmath
from grids import grid, mpf, regression_points

CASES: list[dict] = []

# -- mse: (f - y)^2 --------------------------------------------------------------------------
CASES.append(
    {
        "loss": {"name": "mse"},
        "points": regression_points(),
        "value": lambda y, f: (f - y) ** 2,
        "gradient": lambda y, f: 2 * (f - y),
        "hessian": lambda y, f: mpf(2),
    }
)

# -- mae: |f - y|, subgradient 0 at the kink -------------------------------------------------
CASES.append(
    {
        "loss": {"name": "mae"},
        "points": regression_points(),
        "value": lambda y, f: abs(f - y),
        "gradient": lambda y, f: mpmath.sign(f - y),
        "hessian": lambda y, f: mpf(0),
    }
)


# -- huber -------------------------------------------------------------------------------------
def _huber(delta: float) -> dict:
    d = mpf(delta)

    def value(y, f):
        a = abs(f - y)
        return a * a / 2 if a <= d else d * (a - d / 2)

    def gradient(y, f):
        return min(max(f - y, -d), d)

    def hessian(y, f):
        return mpf(1) if abs(f - y) <= d else mpf(0)  # the quadratic side at |r| = delta

    return {
        "loss": {"name": "huber", "delta": delta},
        "points": regression_points(kinks=(delta,)),
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [_huber(1.0), _huber(0.5), _huber(1.5), _huber(1e-3)]


# -- msle: (log(1+f) - log(1+y))^2 ----------------------------------------------------------------
def _msle_d(y, f):
    return mpmath.log(1 + f) - mpmath.log(1 + y)


NEAR_MINUS_ONE = [-1 + 1e-15, -0.999999, -0.9, -0.5]
MSLE_AXIS = [*NEAR_MINUS_ONE, 0.0, 1e-300, 1e-16, 0.5, 1.0, 2.718281828459045, 1e3, 1e10, 1e100, 1e300]
MSLE_POINTS = [
    *grid(MSLE_AXIS, MSLE_AXIS),
    (1.0, 1.0 + 1e-15),
    (1e300, 1e300 * (1 + 2**-52)),
    (-0.999999, -0.999999 + 1e-12),
    (0.0, -1e-300),
]
CASES.append(
    {
        "loss": {"name": "msle"},
        "points": MSLE_POINTS,
        "value": lambda y, f: _msle_d(y, f) ** 2,
        "gradient": lambda y, f: 2 * _msle_d(y, f) / (1 + f),
        "hessian": lambda y, f: 2 * (1 - _msle_d(y, f)) / (1 + f) ** 2,
    }
)


# -- quantile (pinball), r = y - f, subgradient 0 at the kink -----------------------------------
def _quantile(tau: float) -> dict:
    q = mpf(tau)

    def gradient(y, f):
        if f < y:
            return -q
        if f > y:
            return 1 - q
        return mpf(0)

    return {
        "loss": {"name": "quantile", "quantile": tau},
        "points": regression_points(),
        "value": lambda y, f: max(q * (y - f), (q - 1) * (y - f)),
        "gradient": gradient,
        "hessian": lambda y, f: mpf(0),
    }


CASES += [_quantile(0.5), _quantile(0.1), _quantile(0.9), _quantile(0.01)]
