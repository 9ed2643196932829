"""Exact value, gradient and Hessian of the negative binomial (NB2) and zero-inflated Poisson
losses with log link (see README.md). Raw score s, mean μ = e^s.

Near μ = y the values depend on s − log y beyond float precision (log y is not a float): as for
the Poisson rows, the general grid skips |s − log y| < 0.25 and `near_log_optimum` covers it.
"""

from __future__ import annotations

import math

import mpmath
from grids import mpf, near_log_optimum

CASES: list[dict] = []

SCORES = [
    -1e4, -800.0, -745.0, -710.0, -100.0, -37.0, -5.0, -1.0, -0.5, -1e-3, -1e-300, 0.0, 1e-300,
    1e-3, 0.5, 1.0, 2.0, 5.0, 37.0, 100.0, 709.78, 710.0, 745.0, 800.0, 1e4,
]  # fmt: skip
TARGETS = [1e-10, 0.5, 1.0, 2.0, 3.0, 17.0, 1e8, 1e30]


def _points(targets: list[float] = TARGETS) -> list[tuple[float, float]]:
    pts = [(0.0, s) for s in SCORES]
    for y in targets:
        for s in SCORES:
            if y != 1.0 and abs(s - math.log(y)) < 0.25:
                continue
            pts.append((y, s))
    pts += [(1.0, s) for s in (1e-8, -1e-8, 0.1, -0.1, 0.3, -0.3, 0.49, -0.49, 0.51, -0.51)]
    pts += [(y, math.log(y) + d) for y in (3.0, 1e8) for d in (-2.0, -0.6, 0.6, 2.0)]
    pts += near_log_optimum()
    return list(dict.fromkeys(pts))


# The negative binomial's value is (y + 1/α)(s + …) − y(s − …): at y = 1e300 the checks'
# 120-digit derivatives of it cancel 300 digits, so its targets stop at 1e30 (the zero-inflated
# Poisson, whose y s terms do not cancel, also takes y = 1e300).
# -- negative_binomial: (y + 1/α) log((1 + αμ)/(1 + αy)) − y log(μ/y) ------------------------------
def _nb(alpha: float) -> dict:
    a = mpf(alpha)

    def value(y, s):
        mu = mpmath.exp(s)
        if y == 0:
            return mpmath.log(1 + a * mu) / a
        return (y + 1 / a) * mpmath.log((1 + a * mu) / (1 + a * y)) - y * (s - mpmath.log(y))

    def gradient(y, s):
        mu = mpmath.exp(s)
        return (mu - y) / (1 + a * mu)

    def hessian(y, s):
        mu = mpmath.exp(s)
        return mu * (1 + a * y) / (1 + a * mu) ** 2

    spec = {"name": "negative_binomial", "alpha": alpha}
    return {"loss": spec, "points": _points(), "value": value, "gradient": gradient, "hessian": hessian}


CASES += [_nb(alpha) for alpha in (1.0, 0.5, 1e-6, 1e3)]


# -- zero_inflated_poisson: −log(π + (1 − π)e^{−μ}) at y = 0, the Poisson half deviance above -------
def _exp_neg(mu):
    """e^{−μ}; 0 beyond μ = 1e5, where it is below 1e-43000 (mpmath's argument reduction of
    e^{−1e347} would take hours, and every use below rounds it away in float64)."""
    return mpf(0) if mu > 1e5 else mpmath.exp(-mu)


def _zip(pi: float) -> dict:
    p = mpf(pi)

    def value(y, s):
        mu = mpmath.exp(s)
        if y == 0:
            return mu if p == 0 else -mpmath.log(p + (1 - p) * _exp_neg(mu))
        return y * mpmath.log(y / mu) - y + mu

    def _w(mu):
        """P(the zero came from the Poisson part)."""
        if p == 0:
            return mpf(1)
        e = (1 - p) * _exp_neg(mu)
        return e / (p + e)

    def gradient(y, s):
        mu = mpmath.exp(s)
        return mu * _w(mu) if y == 0 else mu - y

    def hessian(y, s):
        mu = mpmath.exp(s)
        if y != 0:
            return mu
        w = _w(mu)
        return mu * w * (1 - mu * (1 - w))

    def near_root(y, s):
        """A zero whose Hessian 1 − μ(1 − w) cancels to < 1%: ill-conditioned (left out)."""
        if y != 0 or pi == 0 or s > 5:
            return False
        mu = math.exp(s)
        w = 1 / (1 + pi / (1 - pi) * math.exp(mu))
        return abs(1 - mu * (1 - w)) < 0.01

    spec = {"name": "zero_inflated_poisson", "pi": pi}
    points = [pt for pt in _points([*TARGETS, 1e300]) if not near_root(*pt)]
    return {"loss": spec, "points": points, "value": value, "gradient": gradient, "hessian": hessian}


CASES += [_zip(pi) for pi in (0.1, 0.5, 1e-10, 0.999, 0.0)]
