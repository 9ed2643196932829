"""Exact value, gradient and Hessian of the divergences (see README.md)."""

from __future__ import annotations

import mpmath
from grids import div, log_softmax, xlogy
from mp_classification import QROWS3, ROWS3, TARGET_ROWS3

CASES: list[dict] = []

TARGETS = [*TARGET_ROWS3, [0.25, 0.25, 0.5], [1.0 / 3, 1.0 / 3, 0.33333333333333337]]


def _kl_logits_value(t, z):
    return mpmath.fsum(xlogy(tj, tj) - tj * lq for tj, lq in zip(t, log_softmax(z), strict=True))


def _kl_logits_gradient(t, z):
    s = mpmath.fsum(t)
    return [s * mpmath.exp(lq) - tj for tj, lq in zip(t, log_softmax(z), strict=True)]


def _kl_logits_hessian(t, z):
    s = mpmath.fsum(t)
    return [s * mpmath.exp(lq) * (1 - mpmath.exp(lq)) for lq in log_softmax(z)]


def _well_posed(t, z) -> bool:
    """False where KL(t || q) is below 1e-6 of the t·log terms it is the difference of.

    There (t ≈ softmax(z), e.g. t = [0.5, 0.5, 0] against z = [37, 37, 0]) float64 log q cannot
    carry the divergence: only an absolute error of ~1e-16 times the terms is achievable by any
    implementation that forms log q, so a relative-error reference is meaningless; left out.
    """
    with mpmath.workdps(60):
        tt = [mpmath.mpf(v) for v in t]
        lq = log_softmax([mpmath.mpf(v) for v in z])
        value = _kl_logits_value(tt, [mpmath.mpf(v) for v in z])
        terms = mpmath.fsum(abs(tj * lj) for tj, lj in zip(tt, lq, strict=True))
        return value > mpmath.mpf("1e-6") * terms


CASES.append(
    {
        "loss": {"name": "kl_divergence"},
        "points": [(t, z) for t in TARGETS for z in ROWS3 if _well_posed(t, z)],
        "value": _kl_logits_value,
        "gradient": _kl_logits_gradient,
        "hessian": _kl_logits_hessian,
    }
)

CASES.append(
    {
        "loss": {"name": "kl_divergence", "from_logits": False},
        "points": [(t, q) for t in TARGETS for q in QROWS3 if t != q],
        "value": lambda t, q: mpmath.fsum(xlogy(tj, tj) - xlogy(tj, qj) for tj, qj in zip(t, q, strict=True)),
        "gradient": lambda t, q: [-div(tj, qj) for tj, qj in zip(t, q, strict=True)],
        "hessian": lambda t, q: [div(tj, qj * qj) for tj, qj in zip(t, q, strict=True)],
    }
)
