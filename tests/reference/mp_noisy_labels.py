"""Exact value, gradient and Hessian of the label-noise-robust classification losses
(src/losslab/losses/noisy_labels.py): generalized_cross_entropy, on logits and on probabilities."""

from __future__ import annotations

import mpmath
from grids import mpf
from mp_classification import QROWS3
from mp_frameworks import ONEHOTS3, ROWS3, _label, _p

CASES: list[dict] = []


# -- generalized_cross_entropy on logits: (1 - p_y^q)/q ---------------------------------------------
def _gce(q: float) -> dict:
    qq = mpf(q)

    def value(t, z):
        p = _p(z)
        return (1 - p[_label(t, len(z))] ** qq) / qq

    def gradient(t, z):
        p = _p(z)
        y = _label(t, len(z))
        return [p[y] ** qq * (p[j] - (j == y)) for j in range(len(z))]

    def hessian(t, z):
        p = _p(z)
        y = _label(t, len(z))
        c = p[y] ** qq
        return [
            c * (1 - p[j]) * (p[j] - qq * (1 - p[j])) if j == y else c * p[j] * (1 - p[j] - qq * p[j])
            for j in range(len(z))
        ]

    return {
        "loss": {"name": "generalized_cross_entropy", "q": q},
        "points": [(y, z) for y in (0, 1, 2) for z in ROWS3] + [(t, z) for t in ONEHOTS3 for z in ROWS3[::2]],
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [_gce(0.5), _gce(1.0), _gce(1e-3), _gce(0.7)]


# -- on probability rows u (Keras's input): (1 - u_y^q)/q ------------------------------------------
def _gce_prob(q: float) -> dict:
    qq = mpf(q)

    def value(t, u):
        return (1 - u[_label(t, len(u))] ** qq) / qq

    def _pow(u, e):
        return mpf(1) if e == 0 else (mpmath.inf if u == 0 else u**e)

    def gradient(t, u):
        y = _label(t, len(u))
        return [-_pow(u[y], qq - 1) if j == y else mpf(0) for j in range(len(u))]

    def hessian(t, u):
        y = _label(t, len(u))
        return [(1 - qq) * _pow(u[y], qq - 2) if j == y and qq != 1 else mpf(0) for j in range(len(u))]

    return {
        "loss": {"name": "generalized_cross_entropy", "q": q, "from_logits": False},
        "points": [(y, u) for y in (0, 1, 2) for u in QROWS3 if u[y] > 0 or q == 1.0],
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [_gce_prob(0.5), _gce_prob(1.0)]
