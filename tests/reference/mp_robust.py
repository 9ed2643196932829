"""Exact value, gradient and Hessian of the robust losses: log-cosh, pseudo-Huber, Barron."""

from __future__ import annotations

import math

import mpmath
from grids import mpf, regression_points

CASES: list[dict] = []

# -- log_cosh: log cosh(f - y) -------------------------------------------------------------------
LOGCOSH_POINTS = [*regression_points(), (0.0, 1e4), (0.0, -1e4), (0.0, 0.999), (0.0, 1.001), (3.0, 2.0)]
CASES.append(
    {
        "loss": {"name": "log_cosh"},
        "points": list(dict.fromkeys(LOGCOSH_POINTS)),
        "value": lambda y, f: mpmath.log(mpmath.cosh(f - y)),
        "gradient": lambda y, f: mpmath.tanh(f - y),
        "hessian": lambda y, f: 1 / mpmath.cosh(f - y) ** 2,
    }
)


# -- pseudo_huber: delta^2 (sqrt(1 + (r/delta)^2) - 1) ------------------------------------------
def _pseudo_huber(delta: float) -> dict:
    d = mpf(delta)

    def value(y, f):
        r = f - y
        return d * d * (mpmath.sqrt(1 + (r / d) ** 2) - 1)

    def gradient(y, f):
        r = f - y
        return r / mpmath.sqrt(1 + (r / d) ** 2)

    def hessian(y, f):
        r = f - y
        return (1 + (r / d) ** 2) ** mpf(-1.5)

    pts = regression_points(kinks=(delta,))  # around |r| = delta, where the branches switch
    pts += [(0.0, 1e300), (0.0, -1e300), (0.0, 1e200 * delta)]
    return {
        "loss": {"name": "pseudo_huber", "delta": delta},
        "points": list(dict.fromkeys(pts)),
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [_pseudo_huber(1.0), _pseudo_huber(1e-3), _pseudo_huber(100.0)]


# -- barron: rho(x, alpha, c) with its limits at alpha = 2, 0, +-inf ------------------------------
def _barron(alpha: float, scale: float, far: bool = True) -> dict:
    c = mpf(scale)
    al = mpf(alpha)

    def z_of(y, f):
        return ((f - y) / c) ** 2

    def value(y, f):
        z = z_of(y, f)
        if alpha == 2.0:
            return z / 2
        if alpha == 0.0:
            return mpmath.log(z / 2 + 1)
        if alpha == -math.inf:
            return 1 - mpmath.exp(-z / 2)
        if alpha == math.inf:
            return mpmath.exp(z / 2) - 1
        b = abs(al - 2)
        return b / al * ((z / b + 1) ** (al / 2) - 1)

    def gradient(y, f):
        x = f - y
        z = z_of(y, f)
        if alpha == 2.0:
            return x / c**2
        if alpha == -math.inf:
            return x / c**2 * mpmath.exp(-z / 2)
        if alpha == math.inf:
            return x / c**2 * mpmath.exp(z / 2)
        b = abs(al - 2)
        return x / c**2 * (z / b + 1) ** (al / 2 - 1)

    def hessian(y, f):
        z = z_of(y, f)
        if alpha == 2.0:
            return 1 / c**2
        if alpha == -math.inf:
            return mpmath.exp(-z / 2) * (1 - z) / c**2
        if alpha == math.inf:
            return mpmath.exp(z / 2) * (1 + z) / c**2
        b = abs(al - 2)
        return (z / b + 1) ** (al / 2 - 2) * (1 + (al - 1) * z / b) / c**2

    pts = regression_points()
    if not far:  # e^{z/2} at alpha = +inf: keep |x/c| where the 400-digit diff is quick
        pts = [(y, f) for y, f in pts if abs(f - y) <= 40 * scale]
        pts += [(0.0, 37.0 * scale), (0.0, 38.0 * scale), (0.0, -40.0 * scale)]
    pts += [(0.0, 0.7 * scale), (0.0, 1.3 * scale), (0.0, 1e150), (0.0, -1e200)] if far else []
    return {
        "loss": {"name": "barron", "alpha": alpha, "scale": scale},
        "points": list(dict.fromkeys(pts)),
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


BARRON_ALPHAS = [
    2.0,
    2.0 - 1e-9,
    2.0 + 1e-9,
    2.0 - 2**-52,
    1.0,
    1e-12,
    0.0,
    -1e-12,
    -2.0,
    -1e3,
    -math.inf,
    4.0,
    0.5,
]
CASES += [_barron(a, 1.0) for a in BARRON_ALPHAS]
CASES += [_barron(math.inf, 1.0, far=False), _barron(0.0, 1e-2), _barron(-2.0, 100.0), _barron(1.0, 3.0)]
