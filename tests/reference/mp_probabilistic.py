"""Exact value, gradient and Hessian diagonal of the heteroscedastic Gaussian NLL.

A point is (y, [m, v]): a float target and the row (mean, log-variance). With r = y − m:
ℓ = ½(v + r² e^{−v}) (+ ½ log 2π with full=True), ∂ℓ/∂m = (m − y)e^{−v},
∂ℓ/∂v = ½(1 − r² e^{−v}), ∂²ℓ/∂m² = e^{−v}, ∂²ℓ/∂v² = ½ r² e^{−v}.
"""

from __future__ import annotations

import math

import mpmath

CASES: list[dict] = []

RESID = [0.0, 1e-300, 1e-8, 0.5, 1.0, 3.0, 1e3, 1e8]
LOGVAR = [-3000.0, -700.0, -100.0, -10.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 10.0, 100.0, 700.0, 3000.0]


def _points() -> list[tuple[float, list[float]]]:
    """(y, [m, v]) rows; r²e^{−v} ≈ 1 (∂ℓ/∂v ≈ 0) only where it is exact (r = 1, v → 0)."""
    pts = []
    for y in (0.0, -2.5, 1e8):
        for r in RESID:
            for s in (1.0, -1.0):
                m = y - s * r
                if m - y == 0.0 and r != 0.0:
                    continue  # r lost to rounding next to a large y
                for v in LOGVAR:
                    rr = abs(y - m)
                    q2 = math.exp(min(2.0 * math.log(rr) - v, 700.0)) if rr > 0 else 0.0
                    if 0.25 < q2 < 4.0 and not (rr == 1.0 and abs(v) <= 1e-8):
                        continue
                    pts.append((y, [m, v]))
    pts += [(0.0, [1.0, math.log(4.0)]), (2.0, [0.0, 0.1]), (2.0, [0.0, 3.0])]
    return pts


def _case(full: bool) -> dict:
    const = mpmath.log(2 * mpmath.pi) / 2 if full else 0

    def value(y, z):
        m, v = z
        return (v + (y - m) ** 2 * mpmath.exp(-v)) / 2 + const

    def gradient(y, z):
        m, v = z
        return [(m - y) * mpmath.exp(-v), (1 - (y - m) ** 2 * mpmath.exp(-v)) / 2]

    def hessian(y, z):
        m, v = z
        return [mpmath.exp(-v), (y - m) ** 2 * mpmath.exp(-v) / 2]

    return {
        "loss": {"name": "gaussian_nll", "full": full},
        "points": _points(),
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [_case(False), _case(True)]
