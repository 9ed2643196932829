"""Exact rows for the PyTorch-convention likelihoods (src/losslab/losses/likelihood.py): nll on
log-probability rows, poisson_nll (see README.md).

Ill-posed points left out on purpose: poisson_nll crosses 0 where eˢ = y·s (μ = y log μ); there
its value is a cancellation of two O(eˢ) terms and only an absolute error of a few ulps of eˢ is
achievable, so the grids stay away from the crossings (the nearest grid value is ≥ 0.05 in size).
"""

from __future__ import annotations

import mpmath
from grids import grid, log_softmax, mpf, near_log_optimum, onehot, xlogy

CASES: list[dict] = []

# -- nll ------------------------------------------------------------------------------------------
_LOGIT_ROWS = [
    [0.0, 0.0, 0.0],
    [2.0, 1.0, -3.5],
    [37.0, 0.0, -37.0],
    [5.0, 5.0, 0.0],
    [1e4, 0.0, -1e4],
    [-745.0, 710.0, -710.0],
    [1e-10, -1e-10, 0.0],
    [100.0, 0.0, 0.0],
]
#: log_softmax of the rows, rounded to float64: valid log-probability rows (exps sum to 1)
LOGP_ROWS = [[float(v) for v in log_softmax([mpf(x) for x in row])] for row in _LOGIT_ROWS]
TARGET_ROWS = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.25, 0.75]]


def _nll_case(class_weight=None) -> dict:
    spec: dict = {"name": "nll"}
    if class_weight is not None:
        spec["class_weight"] = list(class_weight)

    def a_of(t, z):
        a = onehot(t, len(z))
        if class_weight is not None:
            a = [mpf(c) * v for c, v in zip(class_weight, a, strict=True)]
        return a

    return {
        "loss": spec,
        "points": grid([0, 1, 2], LOGP_ROWS) + grid(TARGET_ROWS, LOGP_ROWS),
        "value": lambda t, z: -mpmath.fsum(a * v for a, v in zip(a_of(t, z), z, strict=True)),
        "gradient": lambda t, z: [-a for a in a_of(t, z)],
        "hessian": lambda t, z: [mpf(0) for _ in z],
    }


CASES += [_nll_case(), _nll_case((1.0, 2.5, 0.5))]


# -- poisson_nll ----------------------------------------------------------------------------------
def _stirling(y):
    return y * mpmath.log(y) - y + mpmath.log(2 * mpmath.pi * y) / 2 if y > 1 else mpf(0)


Y = [0.0, 1e-5, 0.3, 1.0, 2.5, 7.0, 123.456, 1e10]
S = [-745.0, -37.0, -1.0, 0.0, 0.5, 2.0, 5.0, 37.0, 700.0]
MU = [1e-300, 1e-8, 0.3, 1.0, 2.5, 40.0, 1e10]


def _far_from_zero(value, terms, points):
    """Points whose value is not near a crossing of 0: at least 5% of its largest term."""
    keep = []
    for y, f in points:
        v = value(mpf(y), mpf(f))
        if abs(v) >= mpf("0.05") * max(abs(x) for x in terms(mpf(y), mpf(f))):
            keep.append((y, f))
    return keep


def _poisson_log(full: bool) -> dict:
    def value(y, s):
        return mpmath.exp(s) - y * s + (_stirling(y) if full else 0)

    pts = grid(Y, S) + [(y, s) for y, s in near_log_optimum() if y > 0]
    return {
        "loss": {"name": "poisson_nll", "full": full} if full else {"name": "poisson_nll"},
        "points": _far_from_zero(
            value, lambda y, s: (mpmath.exp(s), y * s, _stirling(y) if full else 0), pts
        ),
        "value": value,
        "gradient": lambda y, s: mpmath.exp(s) - y,
        "hessian": lambda y, s: mpmath.exp(s),
    }


def _poisson_rate(full: bool) -> dict:
    def value(y, mu):
        return mu - xlogy(y, mu) + (_stirling(y) if full else 0)

    pts = grid(Y, MU) + [(y, y * (1 + d)) for y in (0.3, 7.0, 1e10) for d in (1e-12, -1e-9, 1e-3)]
    spec: dict = {"name": "poisson_nll", "log_input": False}
    if full:
        spec["full"] = True
    return {
        "loss": spec,
        "points": _far_from_zero(value, lambda y, m: (m, xlogy(y, m), _stirling(y) if full else 0), pts),
        "value": value,
        "gradient": lambda y, mu: 1 - y / mu,
        "hessian": lambda y, mu: y / mu**2,
    }


CASES += [_poisson_log(False), _poisson_log(True), _poisson_rate(False), _poisson_rate(True)]


# -- multilabel (src/losslab/losses/multilabel.py) -------------------------------------------------
def _softplus(x):
    return mpmath.log(1 + mpmath.exp(x))


def _sig(x):
    return 1 / (1 + mpmath.exp(-x))


LABEL_ROWS = [[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0], [0.25, 1.0, 0.0, 0.5]]
SCORE_ROWS4 = [
    [0.1, 0.2, 0.4, 0.8],
    [0.0, 0.0, 0.0, 0.0],
    [37.0, -37.0, 745.0, -745.0],
    [1e4, -1e4, 1e-300, 5.0],
    [-710.0, 2.0, -0.5, 30.0],
]


def _soft_margin_case(class_weight=None) -> dict:
    spec: dict = {"name": "multilabel_soft_margin"}
    if class_weight is not None:
        spec["class_weight"] = list(class_weight)

    def c(j, k):
        return (mpf(1) if class_weight is None else mpf(class_weight[j])) / k

    def value(t, z):
        k = len(z)
        return mpmath.fsum(
            c(j, k) * (t[j] * _softplus(-z[j]) + (1 - t[j]) * _softplus(z[j])) for j in range(k)
        )

    return {
        "loss": spec,
        "points": grid(LABEL_ROWS, SCORE_ROWS4),
        "value": value,
        "gradient": lambda t, z: [c(j, len(z)) * (_sig(z[j]) - t[j]) for j in range(len(z))],
        "hessian": lambda t, z: [c(j, len(z)) * _sig(z[j]) * _sig(-z[j]) for j in range(len(z))],
    }


CASES += [_soft_margin_case(), _soft_margin_case((1.0, 2.0, 0.5, 3.0))]


def _margin_value(t, z):
    k = len(z)
    return (
        mpmath.fsum(
            max(mpf(0), 1 - z[j] + z[i]) for j in range(k) for i in range(k) if t[j] == 1 and t[i] == 0
        )
        / k
    )


def _margin_gradient(t, z):
    k = len(z)
    g = [mpf(0)] * k
    for j in range(k):
        for i in range(k):
            if t[j] == 1 and t[i] == 0 and 1 - z[j] + z[i] > 0:
                g[j] -= mpf(1) / k
                g[i] += mpf(1) / k
    return g


# 0/1 rows only; [1, 0, 0, 1] at [0.5, -0.5, 0, 1.5] has pairs exactly at the kink (subgradient 0)
CASES.append(
    {
        "loss": {"name": "multilabel_margin"},
        "points": [*grid(LABEL_ROWS[:3], SCORE_ROWS4), ([1.0, 0.0, 0.0, 1.0], [0.5, -0.5, 0.0, 1.5])],
        "value": _margin_value,
        "gradient": _margin_gradient,
        "hessian": lambda t, z: [mpf(0)] * len(z),
    }
)


# -- cosine_similarity (src/losslab/losses/similarity.py) -------------------------------------------
def _cos_parts(t, f):
    nt = mpmath.sqrt(mpmath.fsum(v * v for v in t))
    r = mpmath.sqrt(mpmath.fsum(v * v for v in f))
    th, fh = [v / nt for v in t], [v / r for v in f]
    return th, fh, r, mpmath.fsum(a * b for a, b in zip(th, fh, strict=True))


def _cos_gradient(t, f):
    th, fh, r, c = _cos_parts(t, f)
    return [(c * b - a) / r for a, b in zip(th, fh, strict=True)]


def _cos_hessian(t, f):
    th, fh, r, c = _cos_parts(t, f)
    return [(c + 2 * a * b - 3 * c * b * b) / r**2 for a, b in zip(th, fh, strict=True)]


# rows far from orthogonal to the targets (there c is a cancelling dot product: see the module)
COS_TARGETS = [[1.0, 2.0, -0.5], [1e-200, 3e-200, 0.0], [1e200, -1e200, 5e199], [0.0, 0.0, 4.0]]
COS_ROWS = [
    [1.0, 2.0, -0.5],
    [2.0, 1.0, 1.0],
    [1e-300, 2e-300, 1e-300],
    [1e300, 1e299, -1e299],
    [3.0, 7.0, 9.0],
]
CASES.append(
    {
        "loss": {"name": "cosine_similarity"},
        "points": [
            (t, f)
            for t, f in grid(COS_TARGETS, COS_ROWS)
            if abs(_cos_parts([mpf(v) for v in t], [mpf(v) for v in f])[3]) > 0.05
        ],
        "value": lambda t, f: -_cos_parts(t, f)[3],
        "gradient": _cos_gradient,
        "hessian": _cos_hessian,
    }
)
