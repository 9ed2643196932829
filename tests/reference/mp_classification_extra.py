"""Exact rows for label-smoothed BCE, cost-sensitive BCE and cross-entropy with ignore_index."""

from __future__ import annotations

import mpmath
from grids import LOGITS, PROBS, div, grid, log_softmax, mpf, onehot, sigmoid, softmax, softplus

CASES: list[dict] = []

LABELS = (0.0, 1.0, 0.25)


# -- binary cross-entropy with label smoothing: y <- y (1 - eps) + eps / 2 --------------------------
def _bce_smoothed(eps: float) -> dict:
    e = mpf(eps)

    def sm(y):
        return y * (1 - e) + e / 2

    return {
        "loss": {"name": "binary_crossentropy", "label_smoothing": eps},
        "points": grid(LABELS, LOGITS),
        "value": lambda y, x: sm(y) * softplus(-x) + (1 - sm(y)) * softplus(x),
        "gradient": lambda y, x: -sm(y) * sigmoid(-x) + (1 - sm(y)) * sigmoid(x),
        "hessian": lambda y, x: sigmoid(x) * sigmoid(-x),
    }


CASES += [_bce_smoothed(0.1), _bce_smoothed(0.5)]


# -- cost-sensitive BCE: c_fn y softplus(-x) + c_fp (1 - y) softplus(x) --------------------------------
def _cost_logits(fp: float, fn: float) -> dict:
    cn, cp = mpf(fp), mpf(fn)
    return {
        "loss": {"name": "cost_sensitive_bce", "fp_cost": fp, "fn_cost": fn},
        "points": grid(LABELS, LOGITS),
        "value": lambda y, x: cp * y * softplus(-x) + cn * (1 - y) * softplus(x),
        "gradient": lambda y, x: -cp * y * sigmoid(-x) + cn * (1 - y) * sigmoid(x),
        "hessian": lambda y, x: (cp * y + cn * (1 - y)) * sigmoid(x) * sigmoid(-x),
    }


def _xlog(a, b):
    """a log b with 0 log anything = 0 and a log 0 = -inf."""
    if a == 0:
        return mpf(0)
    return -mpmath.inf if b == 0 else a * mpmath.log(b)


def _cost_probs(fp: float, fn: float) -> dict:
    cn, cp = mpf(fp), mpf(fn)
    pts = [(y, q) for y, q in grid(LABELS, PROBS) if not (q == 0.0 and y > 0) and not (q == 1.0 and y < 1)]
    return {
        "loss": {"name": "cost_sensitive_bce", "fp_cost": fp, "fn_cost": fn, "from_logits": False},
        "points": pts,
        "value": lambda y, q: -cp * _xlog(y, q) - cn * _xlog(1 - y, 1 - q),
        "gradient": lambda y, q: -cp * div(y, q) + cn * div(1 - y, 1 - q),
        "hessian": lambda y, q: cp * div(y, q * q) + cn * div(1 - y, (1 - q) ** 2),
    }


CASES += [_cost_logits(1.0, 5.0), _cost_logits(2.5, 0.5), _cost_probs(1.0, 5.0)]


# -- categorical cross-entropy with ignore_index -----------------------------------------------------
ROWS = [
    [0.0, 0.0, 0.0],
    [2.0, 0.0, -1.0],
    [37.0, 0.0, -37.0],
    [-745.0, 0.0, 745.0],
    [1e4, 0.0, -1e4],
    [1e-300, -1e-300, 0.5],
]


def _cce_ignore(ignore_index: int, labels: list) -> dict:
    def active(t):
        return not (isinstance(t, int) and t == ignore_index)

    def value(t, z):
        if not active(t):
            return mpf(0)
        a = onehot(t, len(z))
        return -mpmath.fsum(x * lp for x, lp in zip(a, log_softmax(z), strict=True))

    def gradient(t, z):
        if not active(t):
            return [mpf(0)] * len(z)
        a = onehot(t, len(z))
        s = mpmath.fsum(a)
        return [s * p - x for x, p in zip(a, softmax(z), strict=True)]

    def hessian(t, z):
        if not active(t):
            return [mpf(0)] * len(z)
        s = mpmath.fsum(onehot(t, len(z)))
        return [s * p * (1 - p) for p in softmax(z)]

    return {
        "loss": {"name": "categorical_crossentropy", "ignore_index": ignore_index},
        "points": grid(labels, ROWS),
        "value": value,
        "gradient": gradient,
        "hessian": hessian,
    }


CASES += [
    _cce_ignore(-100, [0, 2, -100, 1]),
    _cce_ignore(3, [3, 0, 1, 2]),
    _cce_ignore(-100, [[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]]),
]
