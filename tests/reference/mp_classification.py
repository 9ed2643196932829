"""Exact value, gradient and Hessian of the classification losses (see README.md)."""

from __future__ import annotations

import mpmath
from grids import LABELS01, LOGITS, PROBS, div, grid, log_softmax, mpf, onehot, sigmoid, softplus, xlogy

CASES: list[dict] = []


# -- binary cross-entropy on logits ----------------------------------------------------------
def _bce_logits(pos_weight: float) -> dict:
    w = mpf(pos_weight)
    spec = {"name": "binary_crossentropy"}
    if pos_weight != 1.0:
        spec["pos_weight"] = pos_weight
    return {
        "loss": spec,
        "points": grid(LABELS01, LOGITS),
        "value": lambda y, x: w * y * softplus(-x) + (1 - y) * softplus(x),
        "gradient": lambda y, x: -w * y * sigmoid(-x) + (1 - y) * sigmoid(x),
        "hessian": lambda y, x: (w * y + 1 - y) * sigmoid(x) * sigmoid(-x),
    }


CASES += [_bce_logits(1.0), _bce_logits(2.5), _bce_logits(0.3)]


# -- binary cross-entropy on probabilities ---------------------------------------------------
def _bce_probs(pos_weight: float) -> dict:
    w = mpf(pos_weight)
    spec = {"name": "binary_crossentropy", "from_logits": False}
    if pos_weight != 1.0:
        spec["pos_weight"] = pos_weight
    return {
        "loss": spec,
        "points": grid(LABELS01, PROBS),
        "value": lambda y, q: -w * xlogy(y, q) - xlogy(1 - y, 1 - q),
        "gradient": lambda y, q: -w * div(y, q) + div(1 - y, 1 - q),
        "hessian": lambda y, q: w * div(y, q * q) + div(1 - y, (1 - q) ** 2),
    }


CASES += [_bce_probs(1.0), _bce_probs(4.0)]


# -- categorical cross-entropy ---------------------------------------------------------------
def _targets(t, k: int, eps: float, class_weight):
    a = onehot(t, k)
    if eps:
        e = mpf(eps)
        a = [(1 - e) * v + e / k for v in a]
    if class_weight is not None:
        a = [mpf(c) * v for c, v in zip(class_weight, a, strict=True)]
    return a


#: logit rows (3 classes) from the adversarial grid: spreads, ties, overflow edges
_BIG = (0.0, 1e-300, 0.5, 5.0, 37.0, 100.0, 710.0, 745.0, 1e3, 1e4)
ROWS3 = [[a, 0.0, -a] for a in _BIG] + [[-a, 0.0, a] for a in _BIG[1:]]
ROWS3 += [[a, a, 0.0] for a in _BIG[1:]] + [[0.0, -a, -a] for a in _BIG[1:]]
ROWS3 += [[1e4, -1e4, 37.0], [-745.0, 710.0, -710.0], [2.0, 1.0, -3.5], [1e-10, -1e-10, 0.0]]
#: probability target rows (sums 1 in float64, zeros included)
TARGET_ROWS3 = [
    [1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0],
    [0.5, 0.5, 0.0],
    [0.7, 0.2, 0.1],
    [1e-300, 0.25, 0.75],
    [0.9999999999999999, 1e-16, 0.0],
]
#: probability rows for from_logits=False (y_pred), zeros and ones included
QROWS3 = [
    [1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0],
    [0.0, 0.0, 1.0],
    [0.5, 0.25, 0.25],
    [0.2, 0.3, 0.5],
    [1e-300, 0.5, 0.5],
    [1e-16, 0.9999999999999999, 0.0],
    [0.9999999999999999, 1e-16, 0.0],
]


def _symmetric_tie(t, z) -> bool:
    """A target split equally over tied maximal logits: the gradient there is an exact 0 plus
    e^(-gap) terms below float64's resolution of the O(1) terms it is the difference of, which
    no float algorithm resolves (e.g. t = [0.5, 0.5, 0], z = [710, 710, 0]); left out."""
    if isinstance(t, int):
        return False
    m = max(z)
    tied = [j for j, v in enumerate(z) if v == m]
    return len(tied) > 1 and len({t[j] for j in tied}) == 1 and t[tied[0]] > 0


def _cce(eps: float = 0.0, class_weight=None, from_logits: bool = True, k: int = 3) -> dict:
    spec: dict = {"name": "categorical_crossentropy"}
    if eps:
        spec["label_smoothing"] = eps
    if class_weight is not None:
        spec["class_weight"] = list(class_weight)
    if not from_logits:
        spec["from_logits"] = False

    def a_of(t, z):
        return _targets(t, len(z), eps, class_weight)

    if from_logits:
        rows = ROWS3 if k == 3 else [[*r, 0.25] for r in ROWS3]
        labels = list(range(k))
        points = [(t, z) for t in labels for z in rows] + [
            (t, z) for t in TARGET_ROWS3 for z in rows[::3] if not _symmetric_tie(t, z)
        ]
        if k != 3:
            points = [(t, z) for t in labels for z in rows]

        def value(t, z):
            a = a_of(t, z)
            return -mpmath.fsum(aj * lp for aj, lp in zip(a, log_softmax(z), strict=True))

        def gradient(t, z):
            a = a_of(t, z)
            s = mpmath.fsum(a)
            return [s * mpmath.exp(lp) - aj for aj, lp in zip(a, log_softmax(z), strict=True)]

        def hessian(t, z):
            s = mpmath.fsum(a_of(t, z))
            return [s * mpmath.exp(lp) * (1 - mpmath.exp(lp)) for lp in log_softmax(z)]

    else:
        points = [(t, q) for t in [0, 1, 2, *TARGET_ROWS3] for q in QROWS3]

        def value(t, q):
            return -mpmath.fsum(xlogy(aj, qj) for aj, qj in zip(a_of(t, q), q, strict=True))

        def gradient(t, q):
            return [-div(aj, qj) for aj, qj in zip(a_of(t, q), q, strict=True)]

        def hessian(t, q):
            return [div(aj, qj * qj) for aj, qj in zip(a_of(t, q), q, strict=True)]

    return {"loss": spec, "points": points, "value": value, "gradient": gradient, "hessian": hessian}


CASES += [
    _cce(),
    _cce(k=4),
    _cce(eps=0.1),
    _cce(eps=0.5),
    _cce(class_weight=(1.0, 2.5, 0.5)),
    _cce(eps=0.2, class_weight=(0.0, 3.0, 1.0)),
    _cce(from_logits=False),
    _cce(from_logits=False, eps=0.1, class_weight=(1.0, 2.5, 0.5)),
]
