"""Exact value, gradient and Hessian of the focal losses (see README.md)."""

from __future__ import annotations

import mpmath
from grids import LOGITS, PROBS, grid, mpf

CASES: list[dict] = []

GAMMAS = (0.0, 0.25, 0.5, 1.0, 2.0, 5.0)


def _sig(x):
    return 1 / (1 + mpmath.exp(-x))


def _sp(x):
    return mpmath.log1p(mpmath.exp(x))


# -- binary_focal on logits: alpha1 y P(x) + alpha0 (1 - y) P(-x), P(x) = sigma(-x)^g softplus(-x) --
def _binary(gamma: float, alpha: float | None) -> dict:
    g = mpf(gamma)
    a1, a0 = (mpf(1), mpf(1)) if alpha is None else (mpf(alpha), 1 - mpf(alpha))

    def p0(x):
        return _sig(-x) ** g * _sp(-x)

    def p1(x):
        s, sn, big_l = _sig(x), _sig(-x), _sp(-x)
        return -(sn**g) * (sn + g * s * big_l)

    def p2(x):
        s, sn, big_l = _sig(x), _sig(-x), _sp(-x)
        return sn**g * ((1 + 2 * g) * s * sn + g * s * big_l * (g * s - sn))

    spec = {"name": "binary_focal", "gamma": gamma}
    if alpha is not None:
        spec["alpha"] = alpha
    return {
        "loss": spec,
        "points": grid((0.0, 1.0, 0.25), LOGITS),
        "value": lambda y, x: a1 * y * p0(x) + a0 * (1 - y) * p0(-x),
        "gradient": lambda y, x: a1 * y * p1(x) - a0 * (1 - y) * p1(-x),
        "hessian": lambda y, x: a1 * y * p2(x) + a0 * (1 - y) * p2(-x),
    }


CASES += [_binary(g, None) for g in GAMMAS]
CASES += [_binary(2.0, 0.25), _binary(0.5, 0.6)]


# -- binary_focal on probabilities: y P(q) + (1 - y) P(1 - q), P(q) = (1 - q)^g (-log q) ---------
def _pq(g, c, q, order):
    """c * d^order/dq^order of (1 - q)^g (-log q), with 0 * anything = 0 and the limits at q = 0, 1."""
    if c == 0:
        return mpf(0)
    r = 1 - q
    if q == 0:
        return [mpmath.inf, -mpmath.inf, mpmath.inf][order] * c
    a = -mpmath.log(q)
    if r == 0:  # q = 1: value 0, gradient -r^g/q -> 0 (g > 0), Hessian limit
        if order == 0:
            return mpf(0)
        if order == 1:
            return -c if g == 0 else mpf(0)
        return c * (1 if g == 0 else (2 if g == 1 else (mpmath.inf if g < 1 else 0)))
    if order == 0:
        return c * r**g * a
    if order == 1:
        return -c * (g * r ** (g - 1) * a + r**g / q)
    return c * (g * (g - 1) * r ** (g - 2) * a + 2 * g * r ** (g - 1) / q + r**g / q**2)


def _binary_prob(gamma: float) -> dict:
    g = mpf(gamma)
    return {
        "loss": {"name": "binary_focal", "gamma": gamma, "from_logits": False},
        "points": [
            (y, q)
            for y, q in grid((0.0, 1.0, 0.25), PROBS)
            if not (q == 0.0 and y > 0) and not (q == 1.0 and y < 1)
        ],
        "value": lambda y, q: _pq(g, y, q, 0) + _pq(g, 1 - y, 1 - q, 0),
        "gradient": lambda y, q: _pq(g, y, q, 1) - _pq(g, 1 - y, 1 - q, 1),
        "hessian": lambda y, q: _pq(g, y, q, 2) + _pq(g, 1 - y, 1 - q, 2),
    }


CASES += [_binary_prob(0.0), _binary_prob(0.5), _binary_prob(1.0), _binary_prob(2.0)]


# -- categorical_focal on logits: sum_j a_j (1 - p_j)^g (-log p_j) -------------------------------------
def _parts(z):
    """p, 1 - p and log p per entry, without cancellation: u_j = sum_{i != j} e^{z_i - z_j}."""
    k = len(z)
    u = [mpmath.fsum(mpmath.exp(z[i] - z[j]) for i in range(k) if i != j) for j in range(k)]
    p = [1 / (1 + v) for v in u]
    r = [v / (1 + v) for v in u]
    lp = [-mpmath.log1p(v) for v in u]
    return p, r, lp


def _categorical(gamma: float, alpha=None) -> dict:
    g = mpf(gamma)

    def weights(t, k):
        row = [mpf(1 if j == t else 0) for j in range(k)] if isinstance(t, int) else list(t)
        if alpha is None:
            return row
        al = [mpf(alpha)] * k if isinstance(alpha, float) else [mpf(v) for v in alpha]
        return [a * b for a, b in zip(al, row, strict=True)]

    def value(t, z):
        a = weights(t, len(z))
        _, r, lp = _parts(z)
        return mpmath.fsum(a[j] * r[j] ** g * (-lp[j]) for j in range(len(z)))

    def gradient(t, z):
        k = len(z)
        a = weights(t, k)
        p, r, lp = _parts(z)
        rho = [-lp[j] / r[j] for j in range(k)]
        m = [r[j] ** g * (1 + g * p[j] * rho[j]) for j in range(k)]
        s = mpmath.fsum(a[j] * m[j] for j in range(k))
        return [(s - a[i] * m[i]) * p[i] - a[i] * m[i] * r[i] for i in range(k)]

    def hessian(t, z):
        k = len(z)
        a = weights(t, k)
        p, r, lp = _parts(z)
        rho = [-lp[j] / r[j] for j in range(k)]
        m = [r[j] ** g * (1 + g * p[j] * rho[j]) for j in range(k)]
        s = mpmath.fsum(a[j] * m[j] for j in range(k))
        d = [g * p[j] * r[j] ** (g - 1) * (lp[j] + 2 + (g - 1) * p[j] * rho[j]) for j in range(k)]
        return [
            s * p[i] * r[i]
            + a[i] * d[i] * r[i] ** 2
            + p[i] ** 2 * mpmath.fsum(a[j] * d[j] for j in range(k) if j != i)
            for i in range(k)
        ]

    spec = {"name": "categorical_focal", "gamma": gamma}
    if alpha is not None:
        spec["alpha"] = alpha
    rows = [
        [0.0, 0.0, 0.0],
        [2.0, 0.0, -1.0],
        [5.0, 5.0, 0.0],
        [37.0, 0.0, -37.0],
        [-745.0, 0.0, 745.0],
        [800.0, 0.0, 0.0],
        [1e4, 0.0, -1e4],
        [1e-300, -1e-300, 0.5],
        [17.0, 36.7, -710.0],
    ]
    targets = [0, 1, 2, [0.2, 0.3, 0.5], [0.0, 1.0, 0.0]]
    return {
        "loss": spec,
        "points": grid(targets, rows),
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [_categorical(g) for g in GAMMAS]
CASES += [_categorical(2.0, 0.25), _categorical(0.5, [0.25, 1.0, 2.0])]
