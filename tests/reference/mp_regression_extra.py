"""Exact value, gradient and Hessian of expectile and MAPE (regression.py, second half)."""

from __future__ import annotations

import mpmath
from grids import mpf, regression_points

CASES: list[dict] = []


# -- expectile: |tau - 1[y < f]| (y - f)^2; at f = y the Hessian is the documented 2·tau ------------
def _expectile(tau: float) -> dict:
    q = mpf(tau)

    def w(y, f):
        return 1 - q if y < f else q

    return {
        "loss": {"name": "expectile", "expectile": tau},
        "points": regression_points(),
        "value": lambda y, f: w(y, f) * (y - f) ** 2,
        "gradient": lambda y, f: 2 * w(y, f) * (f - y),
        "hessian": lambda y, f: 2 * w(y, f),
    }


CASES += [_expectile(0.5), _expectile(0.1), _expectile(0.9), _expectile(1e-3)]


# -- mape: |f - y| / |y| (y != 0), subgradient 0 at f = y -------------------------------------------
MAPE_POINTS = [(y, f) for y, f in regression_points() if y != 0.0]
MAPE_POINTS += [(1e-300, 1.0), (-1e-300, 1e8), (1e300, 0.0), (-3.0, 1e300), (2.5, -2.5)]
CASES.append(
    {
        "loss": {"name": "mape"},
        "points": list(dict.fromkeys(MAPE_POINTS)),
        "value": lambda y, f: abs(f - y) / abs(y),
        "gradient": lambda y, f: mpmath.sign(f - y) / abs(y),
        "hessian": lambda y, f: mpf(0),
    }
)
