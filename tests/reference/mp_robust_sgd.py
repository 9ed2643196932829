"""Exact value, gradient and Hessian of the ε-insensitive losses and the Fair loss (see README.md)."""

from __future__ import annotations

import mpmath
from grids import grid, mpf, regression_points

CASES: list[dict] = []


# -- epsilon_insensitive and squared_epsilon_insensitive ------------------------------------------
def _excess(eps, y, f):
    return max(mpf(0), abs(f - y) - eps)


def _epsilon(epsilon: float) -> list[dict]:
    e = mpf(epsilon)
    kinks = (epsilon,) if epsilon > 0 else ()
    points = regression_points(kinks=kinks)
    return [
        {
            "loss": {"name": "epsilon_insensitive", "epsilon": epsilon},
            "points": points,
            "value": lambda y, f: _excess(e, y, f),
            # 0 on the dead zone and at its edges (the minimum-norm subgradient)
            "gradient": lambda y, f: mpmath.sign(f - y) if abs(f - y) > e else mpf(0),
            "hessian": lambda y, f: mpf(0),
        },
        {
            "loss": {"name": "squared_epsilon_insensitive", "epsilon": epsilon},
            "points": points,
            "value": lambda y, f: _excess(e, y, f) ** 2,
            "gradient": lambda y, f: 2 * mpmath.sign(f - y) * _excess(e, y, f),
            # the Hessian jumps from 0 to 2 at |r| = epsilon > 0; losslab takes 0 there
            "hessian": lambda y, f: mpf(2) if abs(f - y) > e or e == 0 else mpf(0),
        },
    ]


# ε exact in float32 too: the float32 rows round ε with the inputs (0.1 → 0.10000000149), which
# moves the dead zone's edge by more than the tiny excess right beside it
for _eps in (0.5, 0.25, 2.0**-10, 0.0):
    CASES += _epsilon(_eps)


# -- fair: c|r| - c^2 log(1 + |r|/c) --------------------------------------------------------------
def _fair(c: float) -> dict:
    cm = mpf(c)
    # branch switches of the kernel: a = |r|/c at 1/4 (series) and 1, either side
    switches = [c * k * u for k in (0.25, 1.0) for u in (1.0, 1 + 2**-52, 1 - 2**-52)]
    points = regression_points(kinks=(c,)) + grid([0.0], switches + [-x for x in switches])
    return {
        "loss": {"name": "fair", "c": c},
        "points": list(dict.fromkeys(points)),
        "value": lambda y, f: cm * abs(f - y) - cm**2 * mpmath.log(1 + abs(f - y) / cm),
        "gradient": lambda y, f: cm * (f - y) / (abs(f - y) + cm),
        "hessian": lambda y, f: cm**2 / (abs(f - y) + cm) ** 2,
    }


CASES += [_fair(c) for c in (1.0, 0.5, 1e-3, 1e3)]
