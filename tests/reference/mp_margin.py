"""Exact value, gradient and Hessian of the margin losses (see README.md)."""

from __future__ import annotations

from grids import LOGITS, grid, mpf

CASES: list[dict] = []


def _hinge(margin: float, labels: tuple[float, float]) -> dict:
    m = mpf(margin)

    def sign(y):
        return mpf(1) if y > 0 else mpf(-1)

    def gradient(y, f):
        s = sign(y)
        return -s if s * f < m else mpf(0)  # minimum-norm subgradient 0 at s*f = m

    edges = [margin * u for u in (1.0, 1 + 2**-52, 1 - 2**-53)]
    scores = sorted(set(LOGITS) | set(edges) | {-e for e in edges})
    spec = {"name": "hinge"} if margin == 1.0 else {"name": "hinge", "margin": margin}
    return {
        "loss": spec,
        "points": grid(labels, scores),
        "value": lambda y, f: max(mpf(0), m - sign(y) * f),
        "gradient": gradient,
        "hessian": lambda y, f: mpf(0),
    }


CASES += [
    _hinge(1.0, (0.0, 1.0)),
    _hinge(1.0, (-1.0, 1.0)),
    _hinge(0.5, (0.0, 1.0)),
    _hinge(0.0, (-1.0, 1.0)),
    _hinge(2.5, (-1.0, 1.0)),
]
