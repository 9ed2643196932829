"""Exact values of the CTC loss (losslab/losses/sequence.py; see README.md).

``CASES`` in the sequence protocol (``make_reference.build_sequence_case``): a point is one
sequence ``(labels, z)`` with z the (T, C) logits (all T steps are the row's input); the
reference is the value and the gradient with respect to z. Both come from the forward–backward
algorithm in *linear* space with mpmath numbers (whose exponent range is unbounded, so nothing
underflows): P = Σ over alignments Π y, the gradient yₜₖ − Σ_{s: l'ₛ = k} αₜ(s)βₜ(s)/P. The
builder cross-checks that gradient against ``mpmath.diff`` of the value on the small points.

The points: small sequences with repeated labels (a blank between them), the empty label
sequence, a sequence exactly as long as its labels need, long ones (T = 260: log P < −745,
below float64's range in linear space), and extreme logits (±1e4, ±1e300). Left out: long
sequences with many free steps, where gradient entries yₜₖ − occupancy cancel by factors of
1e3 (a class whose occupancy nearly equals its probability): the recursions carry an absolute
error of ~1e-14 after hundreds of steps, so only absolute accuracy is achievable there (README,
"ill-posed points"; tests/test_ctc.py checks such a sequence at the gradient's scale).
"""

from __future__ import annotations

import random
from typing import Any

import mpmath
from grids import mpf

CASES: list[dict] = []


def _softmax(row: list[Any]) -> list[Any]:
    m = max(row)
    e = [mpmath.exp(v - m) for v in row]
    s = mpmath.fsum(e)
    return [v / s for v in e]


def _lattice(labels: list[int], blank: int = 0) -> tuple[list[int], list[bool]]:
    ext = [blank]
    for lab in labels:
        ext += [lab, blank]
    skip = [s >= 2 and ext[s] != blank and ext[s] != ext[s - 2] for s in range(len(ext))]
    return ext, skip


def forward_backward(labels: list[int], z: list[list[Any]]) -> tuple[Any, list[list[Any]]]:
    """(P, gradient of −log P with respect to z), exact (linear space, mpmath)."""
    y = [_softmax(r) for r in z]
    ext, skip = _lattice(labels)
    steps, states = len(z), len(ext)
    zero = mpf(0)
    alpha = [[zero] * states for _ in range(steps)]
    alpha[0][0] = y[0][ext[0]]
    if states > 1:
        alpha[0][1] = y[0][ext[1]]
    for t in range(1, steps):
        for s in range(states):
            a = alpha[t - 1][s] + (alpha[t - 1][s - 1] if s >= 1 else zero)
            if skip[s]:
                a += alpha[t - 1][s - 2]
            alpha[t][s] = a * y[t][ext[s]]
    ends = [states - 1] + ([states - 2] if states > 1 else [])
    p = mpmath.fsum(alpha[-1][s] for s in ends)
    beta = [[zero] * states for _ in range(steps)]  # emissions after t
    for s in ends:
        beta[-1][s] = mpf(1)
    for t in range(steps - 2, -1, -1):
        for s in range(states):
            b = beta[t + 1][s] * y[t + 1][ext[s]]
            if s + 1 < states:
                b += beta[t + 1][s + 1] * y[t + 1][ext[s + 1]]
            if s + 2 < states and skip[s + 2]:
                b += beta[t + 1][s + 2] * y[t + 1][ext[s + 2]]
            beta[t][s] = b
    grad = []
    for t in range(steps):
        occ = [zero] * len(z[0])
        for s in range(states):
            occ[ext[s]] += alpha[t][s] * beta[t][s]
        grad.append([y[t][k] - occ[k] / p for k in range(len(z[0]))])
    return p, grad


def value(labels: list[int], z: list[list[Any]]) -> Any:
    return -mpmath.log(forward_backward(labels, z)[0])


def gradient(labels: list[int], z: list[list[Any]]) -> list[list[Any]]:
    return forward_backward(labels, z)[1]


def _logits(rng: random.Random, steps: int, classes: int, scale: float) -> list[list[float]]:
    return [[round(rng.gauss(0.0, scale), 6) for _ in range(classes)] for _ in range(steps)]


_rng = random.Random(16)
_POINTS = [
    ([1], _logits(_rng, 2, 3, 1.0)),
    ([], _logits(_rng, 3, 3, 1.0)),
    ([1, 1], _logits(_rng, 3, 3, 1.5)),  # exactly the 3 steps two equal labels need
    ([2, 1, 1, 2], _logits(_rng, 6, 4, 2.0)),
    ([3, 3, 3], _logits(_rng, 7, 4, 1.0)),
    ([1, 2, 3, 1], _logits(_rng, 9, 5, 3.0)),
    # extreme logits: the likely path takes ±1e4 (or ±1e300) at each step, so every other
    # probability underflows to 0 in float64 and the value is a sum of huge, exact terms
    ([1, 2], [[-1e4, 1e4, 0.0], [1e4, -1e4, 37.0], [0.0, -1e4, 1e4], [1e4, 0.5, -0.5]]),
    ([2], [[1e300, -1e300, 0.0], [-1e300, 0.0, 1e300]]),
    ([1], [[1e300, 1e300, -1e300], [2.0, 1.0, 0.0]]),  # tied maxima
    # ... and against them: the labels take the unlikely classes (values ≈ 2e4, ≈ 3e300)
    ([1, 2], [[0.0, -1e4, 1e4], [1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]]),
    ([2, 1], [[1e300, 0.0, -1e300], [0.0, -1e300, 1e300]]),
    # long: P far below float64's smallest number (log P < −745); with exactly the steps the
    # labels need (one alignment) and one step more (every shift of one blank)
    ([1 + (i % 4) for i in range(260)], _logits(_rng, 260, 5, 2.5)),
    ([1 + (i % 4) for i in range(260)], _logits(_rng, 261, 5, 2.5)),
]

CASES.append(
    {
        "loss": {"name": "ctc"},
        "sequence": True,
        "points": _POINTS,
        "value": value,
        "gradient": gradient,
    }
)
