"""Exact value, gradient and Hessian of the log-link deviances: Poisson, Gamma, Tweedie.

The raw score is s, the mean μ = e^s. Every loss is the Tweedie half deviance of power p with
a = 1 − p, b = 2 − p:  ℓ = y^b/(ab) − y μ^a/a + μ^b/b  (the limits p = 1, 2 written out),
∂ℓ/∂s = μ^a(μ − y), ∂²ℓ/∂s² = b μ^b − a y μ^a.
"""

from __future__ import annotations

import math

import mpmath
from grids import mpf, near_log_optimum

CASES: list[dict] = []

SCORES = [
    -1e4,
    -800.0,
    -745.0,
    -710.0,
    -700.0,
    -100.0,
    -37.0,
    -5.0,
    -1.0,
    -0.5,
    -1e-3,
    -1e-10,
    -1e-300,
    0.0,
    1e-300,
    1e-10,
    1e-3,
    0.5,
    1.0,
    5.0,
    37.0,
    100.0,
    700.0,
    709.78,
    710.0,
    745.0,
    800.0,
    1e4,
]
TARGETS = [1e-300, 1e-10, 0.5, 1.0, 3.0, 17.0, 1e8, 1e300]


def _points(power: float) -> list[tuple[float, float]]:
    """(y, s) pairs of the domain, leaving out the ill-conditioned ones.

    Near μ = y (s ≈ log y) the value and gradient depend on s − log y beyond float precision
    (log y is not a float): the grid of the other scores skips |s − log y| < 0.25 and
    `near_log_optimum` covers that region (losslab carries log y in double-double).
    For p > 2 the Hessian has a root at μ = y(p − 1)/(p − 2).
    """
    ys = ([0.0] if power < 2.0 else []) + TARGETS
    pts = []
    for y in ys:
        for s in SCORES:
            if y > 0 and y != 1.0:
                d = s - math.log(y)
                if abs(d) < 0.25:
                    continue
                if power > 2.0 and abs(d - math.log((power - 1.0) / (power - 2.0))) < 0.25:
                    continue
            pts.append((y, s))
    pts += [(1.0, s) for s in (1e-8, -1e-8, 0.1, -0.1, 0.3, -0.3, 0.49, -0.49, 0.51, -0.51)]
    pts += [(3.0, math.log(3.0) + d) for d in (-2.0, -0.6, 0.6, 2.0)]
    pts += [(1e8, math.log(1e8) + d) for d in (-2.0, -0.6, 0.6, 2.0)]
    pts += near_log_optimum()
    return list(dict.fromkeys(pts))


def _tweedie_case(spec: dict, power: float) -> dict:
    p = mpf(power)
    a, b = 1 - p, 2 - p

    def value(y, s):
        mu = mpmath.exp(s)
        if y == 0:
            return mu**b / b
        if power == 1.0:
            return y * mpmath.log(y / mu) - y + mu
        if power == 2.0:
            return mpmath.log(mu / y) + y / mu - 1
        return y**b / (a * b) - y * mu**a / a + mu**b / b

    def gradient(y, s):
        mu = mpmath.exp(s)
        return mu**a * (mu - y)

    def hessian(y, s):
        mu = mpmath.exp(s)
        return b * mu**b - a * y * mu**a

    return {"loss": spec, "points": _points(power), "value": value, "gradient": gradient, "hessian": hessian}


CASES.append(_tweedie_case({"name": "poisson"}, 1.0))
CASES.append(_tweedie_case({"name": "gamma"}, 2.0))
CASES += [
    _tweedie_case({"name": "tweedie", "power": p}, p)
    for p in (1.0, 1.0 + 1e-9, 1.2, 1.5, 1.8, 2.0 - 1e-9, 2.0, 3.0)
]
