"""Exact rows for the reverse direction of kl_divergence: KL(q || t) (see README.md)."""

from __future__ import annotations

import mpmath
from grids import grid, xlogy

CASES: list[dict] = []


def _softmax_parts(z):
    """q and log q without cancellation: log q_j = -log1p(sum_{i != j} e^{z_i - z_j})."""
    k = len(z)
    u = [mpmath.fsum(mpmath.exp(z[i] - z[j]) for i in range(k) if i != j) for j in range(k)]
    return [1 / (1 + v) for v in u], [-mpmath.log1p(v) for v in u]


def _reverse_logits(t, z):
    q, lq = _softmax_parts(z)
    c = [lq[j] - mpmath.log(t[j]) for j in range(len(z))]
    return q, c, mpmath.fsum(q[j] * c[j] for j in range(len(z)))


TARGETS = [[0.2, 0.3, 0.5], [0.98, 0.01, 0.01], [1e-300, 0.5, 0.5], [0.6, 0.1, 0.3]]
ROWS = [
    [0.0, 0.0, 0.0],
    [2.0, 0.0, -1.0],
    [5.0, 5.0, 0.0],
    [37.0, 0.0, -37.0],
    [-745.0, 0.0, 745.0],
    [800.0, 0.0, 0.0],
    [1e4, 0.0, -1e4],
    [1e-300, -1e-300, 0.5],
]


def _grad_logits(t, z):
    q, c, v = _reverse_logits(t, z)
    return [qj * (cj - v) for qj, cj in zip(q, c, strict=True)]


def _hess_logits(t, z):
    q, c, v = _reverse_logits(t, z)
    return [qj * ((1 - 2 * qj) * (cj - v) + 1 - qj) for qj, cj in zip(q, c, strict=True)]


CASES.append(
    {
        "loss": {"name": "kl_divergence", "direction": "reverse"},
        "points": grid(TARGETS, ROWS),
        "value": lambda t, z: _reverse_logits(t, z)[2],
        "gradient": _grad_logits,
        "hessian": _hess_logits,
    }
)


def _grad_probs(t, q):
    return [
        (-mpmath.inf if qj == 0 else mpmath.log(qj) - mpmath.log(tj) + 1) for tj, qj in zip(t, q, strict=True)
    ]


def _hess_probs(t, q):
    return [(mpmath.inf if qj == 0 else 1 / qj) for qj in q]


QROWS = [[0.2, 0.3, 0.5], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [1e-300, 0.5, 0.5], [0.98, 0.01, 0.01]]
CASES.append(
    {
        "loss": {"name": "kl_divergence", "direction": "reverse", "from_logits": False},
        "points": grid(TARGETS, QROWS),
        "value": lambda t, q: mpmath.fsum(xlogy(qj, qj) - xlogy(qj, tj) for tj, qj in zip(t, q, strict=True)),
        "gradient": _grad_probs,
        "hessian": _hess_probs,
    }
)
