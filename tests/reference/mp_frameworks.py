"""Exact value, gradient and Hessian of the losses taken from the framework catalogues (issue 16):
smooth_l1 (regression.py) and soft_margin (margin.py)."""

from __future__ import annotations

from grids import LOGITS, grid, mpf, regression_points, sigmoid, softplus

CASES: list[dict] = []


# -- smooth_l1: huber(delta=beta)/beta; beta = 0 is |r| with subgradient 0 at r = 0 ---------------
def _smooth_l1(beta: float) -> dict:
    b = mpf(beta)

    def value(y, f):
        a = abs(f - y)
        if b == 0:
            return a
        return a * a / (2 * b) if a < b else a - b / 2

    def gradient(y, f):
        if b == 0:
            return mpf((f > y) - (f < y))
        return min(max(f - y, -b), b) / b

    def hessian(y, f):
        if b == 0:
            return mpf(0)
        return 1 / b if abs(f - y) <= b else mpf(0)  # the quadratic side at |r| = beta

    return {
        "loss": {"name": "smooth_l1", "beta": beta},
        "points": regression_points(kinks=(beta,) if beta else (0.0,)),
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [_smooth_l1(1.0), _smooth_l1(0.5), _smooth_l1(1e-3), _smooth_l1(0.0)]


# -- soft_margin: softplus(-s f) on signed labels -----------------------------------------------------
CASES.append(
    {
        "loss": {"name": "soft_margin"},
        "points": grid([-1.0, 0.0, 1.0], LOGITS),
        "value": lambda y, f: softplus(-(1 if y > 0 else -1) * f),
        "gradient": lambda y, f: -(1 if y > 0 else -1) * sigmoid(-(1 if y > 0 else -1) * f),
        "hessian": lambda y, f: sigmoid(f) * sigmoid(-f),
    }
)
