"""Exact rows for optax's divergences: KL with log-probability targets and the convex
(generalized) KL between unnormalised measures (see README.md)."""

from __future__ import annotations

import math
from typing import Any

import mpmath
from grids import grid, xlogy
from mp_classification import QROWS3, ROWS3
from mp_divergence_extra import _softmax_parts

CASES: list[dict] = []

#: log-probability target rows s = log t (finite, exps summing to 1 in float64): entries far
#: below float64's exp range (t = e^-800 underflows; its terms do not) and ordinary ones
LOG_TARGETS = [
    [math.log(0.5), math.log(0.25), math.log(0.25)],
    [-800.0, math.log(0.25), math.log(0.75)],
    [0.0, -800.0, -1e4],
    [math.log(0.2), math.log(0.3), math.log(0.5)],
    [-1e-16, -30.0, -40.0],
]


def _forward_value(s, z):
    _, lq = _softmax_parts(z)
    return mpmath.fsum(mpmath.exp(sj) * (sj - lj) for sj, lj in zip(s, lq, strict=True))


def _well_posed(value, gradient, terms) -> Any:
    """A filter of the points where value and gradient are not a cancellation of their terms.

    Where KL(t || q) or a gradient entry qⱼΣt − tⱼ is below 1e-2 of the terms it is the
    difference of (t ≈ softmax(z)), float64 log q cannot carry it (the log targets are rounded
    logs: e^s sums to 1 only to an ulp, so the exact value may even be a negative 1e-17), and
    float32 loses the relative precision the float32 test asks for: such points are left out.
    """

    def ok(s, z) -> bool:
        with mpmath.workdps(60):
            ss, zz = [mpmath.mpf(v) for v in s], [mpmath.mpf(v) for v in z]
            v, g, (tv, tg) = value(ss, zz), gradient(ss, zz), terms(ss, zz)
            small = mpmath.mpf("1e-2")
            return v > small * tv and all(abs(gj) > small * tj for gj, tj in zip(g, tg, strict=True))

    return ok


def _forward_terms(s, z):
    q, lq = _softmax_parts(z)
    total = mpmath.fsum(mpmath.exp(sj) for sj in s)
    value_terms = mpmath.fsum(abs(mpmath.exp(sj) * lj) for sj, lj in zip(s, lq, strict=True))
    return value_terms, [qj * total + mpmath.exp(sj) for qj, sj in zip(q, s, strict=True)]


def _forward_gradient(s, z):
    q, _ = _softmax_parts(z)
    total = mpmath.fsum(mpmath.exp(sj) for sj in s)
    return [qj * total - mpmath.exp(sj) for qj, sj in zip(q, s, strict=True)]


def _forward_hessian(s, z):
    q, _ = _softmax_parts(z)
    total = mpmath.fsum(mpmath.exp(sj) for sj in s)
    return [qj * (1 - qj) * total for qj in q]


CASES.append(
    {
        "loss": {"name": "kl_divergence_log_targets"},
        "points": [
            (s, z)
            for s in LOG_TARGETS
            for z in ROWS3
            if _well_posed(_forward_value, _forward_gradient, _forward_terms)(s, z)
        ],
        "value": _forward_value,
        "gradient": _forward_gradient,
        "hessian": _forward_hessian,
    }
)


def _div_exp(s, q, power):
    """e^s / q^power, +inf at q = 0 (e^s > 0 in exact arithmetic)."""
    return mpmath.inf if q == 0 else mpmath.exp(s) / q**power


def _prob_value(s, q):
    return mpmath.fsum(mpmath.exp(sj) * (sj - mpmath.log(qj)) for sj, qj in zip(s, q, strict=True))


def _prob_terms(s, q):
    return mpmath.fsum(abs(mpmath.exp(sj) * mpmath.log(qj)) for sj, qj in zip(s, q, strict=True)), [0] * 3


CASES.append(
    {
        "loss": {"name": "kl_divergence_log_targets", "from_logits": False},
        "points": [
            (s, q)
            for s in LOG_TARGETS
            for q in QROWS3
            if 0 not in q and _well_posed(_prob_value, lambda s, q: [mpmath.mpf(1)] * 3, _prob_terms)(s, q)
        ],
        "value": lambda s, q: mpmath.fsum(
            mpmath.exp(sj) * (sj - mpmath.log(qj)) for sj, qj in zip(s, q, strict=True)
        ),
        "gradient": lambda s, q: [-_div_exp(sj, qj, 1) for sj, qj in zip(s, q, strict=True)],
        "hessian": lambda s, q: [_div_exp(sj, qj, 2) for sj, qj in zip(s, q, strict=True)],
    }
)


def _reverse(s, z):
    q, lq = _softmax_parts(z)
    c = [lq[j] - s[j] for j in range(len(z))]
    return q, c, mpmath.fsum(q[j] * c[j] for j in range(len(z)))


REVERSE_ROWS = [
    [0.0, 0.0, 0.0],
    [2.0, 0.0, -1.0],
    [37.0, 0.0, -37.0],
    [-745.0, 0.0, 745.0],
    [1e4, 0.0, -1e4],
    [1e-300, -1e-300, 0.5],
]
CASES.append(
    {
        "loss": {"name": "kl_divergence_log_targets", "direction": "reverse"},
        "points": grid(LOG_TARGETS, REVERSE_ROWS),
        "value": lambda s, z: _reverse(s, z)[2],
        "gradient": lambda s, z: [
            qj * (cj - _reverse(s, z)[2]) for qj, cj in zip(*_reverse(s, z)[:2], strict=True)
        ],
        "hessian": lambda s, z: [
            qj * ((1 - 2 * qj) * (cj - _reverse(s, z)[2]) + 1 - qj)
            for qj, cj in zip(*_reverse(s, z)[:2], strict=True)
        ],
    }
)


# -- convex (generalized) KL: Σ t log(t/μ) − t + μ, μ = e^f ---------------------------------------
#: target masses: zeros, tiny, large, unnormalised
MEASURES = [
    [0.0, 1.0, 2.5],
    [1e-300, 0.3, 7.0],
    [4.0, 4.0, 4.0],
    [1e10, 0.0, 123.456],
    [math.exp(700.0), 1e-5, 0.0],
]


def _log_preds(t: list[float]) -> list[list[float]]:
    """Rows of log masses: at and next to log t (the optimum, where the value is ∝ d²), far from
    it both ways, past e^709.78 (μ overflows where the value may not)."""
    near = [(math.log(x) if x > 0 else -5.0) for x in t]
    rows = [near, [v + 1e-6 for v in near], [math.nextafter(v, math.inf) for v in near]]
    rows += [[v - 3.0 for v in near], [0.0, 0.0, 0.0], [-745.0, 2.0, 37.0], [710.0, -1e4, 1.0]]
    return rows


def _convex_value(t, f):
    return mpmath.fsum(xlogy(tj, tj) - tj * fj - tj + mpmath.exp(fj) for tj, fj in zip(t, f, strict=True))


CASES.append(
    {
        "loss": {"name": "convex_kl"},
        "points": [(t, f) for t in MEASURES for f in _log_preds(t)],
        "value": _convex_value,
        "gradient": lambda t, f: [mpmath.exp(fj) - tj for tj, fj in zip(t, f, strict=True)],
        "hessian": lambda t, f: [mpmath.exp(fj) for fj in f],
    }
)
