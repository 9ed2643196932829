"""Exact value, gradient and Hessian of the losses taken from the framework catalogues (issue 16):
smooth_l1 (regression.py), soft_margin, multiclass_perceptron, sparsemax and multiclass_sparsemax
(margin.py), poly_loss (classification.py)."""

from __future__ import annotations

import mpmath
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


# -- multiclass rows ---------------------------------------------------------------------------------
_BIG = [0.0, 1.0, 37.0, 710.0, 745.0, 1e4]
ROWS3 = [[a, 0.0, -a] for a in _BIG] + [[-a, 0.0, a] for a in _BIG[1:]] + [[a, a, 0.0] for a in _BIG[1:]]
ROWS3 += [[1e4, -1e4, 37.0], [-745.0, 710.0, -710.0], [2.0, 1.0, -3.5], [1e-10, -1e-10, 0.0], [2.0, 1.5, 1.5]]
ONEHOTS3 = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


def _p(z):
    m = max(z)
    e = [mpmath.exp(v - m) for v in z]
    s = sum(e)
    return [v / s for v in e]


def _label(t, k):
    return t if isinstance(t, int) else max(range(k), key=lambda j: t[j])


# -- multiclass_perceptron: max_j z_j - z_y; tied top classes share the +1, 0 at a tie with y --------
def _perceptron_gradient(t, z):
    k = len(z)
    y = _label(t, k)
    g = [mpf(0)] * k
    worst = max(z[j] for j in range(k) if j != y)
    if worst <= z[y]:
        return g
    tied = [j for j in range(k) if j != y and z[j] == worst]
    for j in tied:
        g[j] = mpf(1) / len(tied)
    g[y] = mpf(-1)
    return g


CASES.append(
    {
        "loss": {"name": "multiclass_perceptron"},
        "points": grid([0, 1, 2], ROWS3) + grid(ONEHOTS3, ROWS3[::2]),
        "value": lambda t, z: max(z) - z[_label(t, len(z))],
        "gradient": _perceptron_gradient,
        "hessian": lambda t, z: [mpf(0)] * len(z),
    }
)


# -- poly_loss: -log p_y + eps (1 - p_y) ---------------------------------------------------------------
def _poly(eps: float) -> dict:
    e = mpf(eps)

    def value(t, z):
        p = _p(z)
        y = _label(t, len(z))
        return -mpmath.log(p[y]) + e * (1 - p[y])

    def gradient(t, z):
        p = _p(z)
        y = _label(t, len(z))
        return [(1 + e * p[y]) * (p[j] - (j == y)) for j in range(len(z))]

    def hessian(t, z):
        p = _p(z)
        y = _label(t, len(z))
        return [p[j] * (1 - p[j]) - e * p[j] * ((j == y) - p[y]) * (1 - 2 * p[j]) for j in range(len(z))]

    return {
        "loss": {"name": "poly_loss", "epsilon": eps},
        "points": grid([0, 1, 2], ROWS3) + grid(ONEHOTS3, ROWS3[::2]),
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [_poly(2.0), _poly(1.0), _poly(-1.0), _poly(0.0)]


# -- sparsemax (binary): modified_huber / 4 ------------------------------------------------------------
def _sparse_plus(x):
    if x <= -1:
        return mpf(0)
    if x >= 1:
        return x
    return (x + 1) ** 2 / 4


def _sparsemax_gradient(y, f):
    s = 1 if y > 0 else -1
    z = s * f
    if z >= 1:
        return mpf(0)
    if z < -1:
        return mpf(-s)
    return -s * (1 - z) / 2


CASES.append(
    {
        "loss": {"name": "sparsemax"},
        "points": grid([-1.0, 0.0, 1.0], [*LOGITS, -1.0 - 2**-52, 1.0 - 2**-52, 0.999, -0.999]),
        "value": lambda y, f: _sparse_plus(-(1 if y > 0 else -1) * f),
        "gradient": _sparsemax_gradient,
        # the modified Huber loss's branches at the kinks: 0 at z = 1, ½ at z = −1
        "hessian": lambda y, f: mpf(1) / 2 if -1 <= (1 if y > 0 else -1) * f < 1 else mpf(0),
    }
)


# -- multiclass_sparsemax: -z_y + ½ Σ_S (z_j² − τ²) + ½, gradient sparsemax(z) − e_y -------------------
def _sparsemax(z):
    zs = sorted(z, reverse=True)
    cs, size, acc = mpf(0), 0, mpf(0)
    for k, v in enumerate(zs, start=1):
        acc += v
        if 1 + k * v > acc:
            size, cs = k, acc
    tau = (cs - 1) / size
    return [max(v - tau, mpf(0)) for v in z], tau


def _sm_value(t, z):
    p, tau = _sparsemax(z)
    y = _label(t, len(z))
    return -z[y] + sum(v * v - tau * tau for v, q in zip(z, p, strict=True) if q > 0) / 2 + mpf(1) / 2


def _sm_gradient(t, z):
    p, _ = _sparsemax(z)
    y = _label(t, len(z))
    return [p[j] - (j == y) for j in range(len(z))]


def _sm_hessian(t, z):
    p, _ = _sparsemax(z)
    size = sum(1 for q in p if q > 0)
    return [(1 - mpf(1) / size) if q > 0 else mpf(0) for q in p]


# rows away from the edge of the support (no pⱼ within 1e-3 of 0 but exact zeros): there pⱼ has
# absolute accuracy only (documented)
SPARSE_ROWS = [
    [2.0, 0.5, -1.0],
    [0.0, 0.25, 0.0],
    [0.0, 0.0, 0.0],
    [1e8, 1e8 + 0.5, -1e8],
    [-1e4, 1e4, 37.0],
    [0.3, 0.2, 0.1],
    [1e-10, -1e-10, 0.0],
    [745.0, 744.5, 744.75],
    [-3.0, -3.25, 5.0],
]
CASES.append(
    {
        "loss": {"name": "multiclass_sparsemax"},
        "points": grid([0, 1, 2], SPARSE_ROWS) + grid(ONEHOTS3, SPARSE_ROWS),
        "value": _sm_value,
        "gradient": _sm_gradient,
        "hessian": _sm_hessian,
    }
)
