"""Adversarial input grids and mpmath helpers shared by the ``mp_*.py`` case modules.

Import with ``from grids import ...`` (make_reference.py puts this folder on ``sys.path``).
Everything here is exact: the helpers only spell out conventions (0·log 0 = 0, t/0 = ±inf)
that mpmath itself does not make.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import mpmath

#: logits (raw scores) from -1e4 to 1e4: exp over/underflow edges of float64 (±37 where
#: 1 + e^-x rounds to 1, ±709.78 / ±710 where e^x overflows, ±745 where e^-x underflows)
LOGITS = sorted(
    {
        s * x
        for s in (1.0, -1.0)
        for x in (
            0.0,
            1e-300,
            1e-10,
            1e-3,
            0.5,
            1.0,
            2.0,
            5.0,
            17.0,
            36.7,
            37.0,
            38.0,
            100.0,
            709.78,
            710.0,
            744.4,
            745.0,
            746.0,
            800.0,
            1e3,
            1e4,
        )
    }
)
#: probabilities, including exactly 0 and 1 and the floats nearest to them
PROBS = [0.0, 1e-300, 1e-100, 1e-16, 1e-8, 0.1, 0.5, 0.9, 1.0 - 1e-8, 1.0 - 1e-16, 1.0]
#: soft and hard binary labels
LABELS01 = [0.0, 1.0, 0.5, 0.1, 0.9999999999999999]
#: residuals f - y from 1e-300 to 1e8, both signs, and 0
RESIDUALS = sorted(
    {
        s * r
        for s in (1.0, -1.0)
        for r in (0.0, 1e-300, 1e-200, 1e-100, 1e-16, 1e-8, 0.1, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0, 1e3, 1e8)
    }
)


#: targets of the near-optimum grid of log-link losses (log y is not a float for any of them)
NEAR_LOG_TARGETS = (1e-5, 0.3, 2.5, 4.0, 7.0, 123.456, 1e10)


def near_log_optimum(targets: tuple[float, ...] = NEAR_LOG_TARGETS) -> list[tuple[float, float]]:
    """(y, s) next to a log-link loss's optimum s = log y: s = fl(log y), one and four ulps away,
    and log y ± 1e-10, 1e-6, 1e-3, 0.1. There the value is ∝ (s − log y)² and the gradient
    ∝ s − log y, so they need log y beyond float precision (at s = fl(log y) d is its rounding)."""
    pts = []
    for y in targets:
        ly = math.log(y)
        pts += [(y, ly), (y, math.nextafter(ly, math.inf)), (y, math.nextafter(ly, -math.inf))]
        pts += [(y, ly + 4.0 * math.ulp(ly)), (y, ly - 4.0 * math.ulp(ly))]
        pts += [(y, ly + d) for r in (1e-10, 1e-6, 1e-3, 0.1) for d in (r, -r)]
    return list(dict.fromkeys(pts))


def regression_points(kinks: tuple[float, ...] = ()) -> list[tuple[float, float]]:
    """(y, f) pairs: residuals around 0, around several targets, large targets, and the kinks."""
    pts = [(0.0, r) for r in RESIDUALS]
    for y in (1.0, -2.5, 1e8, -1e8, 3e-300):
        pts += [(y, y + r) for r in (-1e3, -1.5, -0.5, -1e-8, 0.0, 1e-8, 0.5, 1.5, 1e3)]
    pts += [(1e8, -1e8), (-3.0, 1e8), (1e-300, -1e-300), (5e-324, 0.0)]
    for k in kinks:
        # exactly at the kink, and one ulp-ish either side
        for y in (0.0, 2.0):
            for d in (k, -k):
                pts += [(y, y + d), (y, y + d * (1 + 2**-52)), (y, y + d * (1 - 2**-52))]
    return list(dict.fromkeys(pts))


def grid(*axes: Any) -> list[tuple[Any, ...]]:
    """Cartesian product as a list."""
    return list(itertools.product(*axes))


def mpf(x: Any) -> mpmath.mpf:
    return mpmath.mpf(x)


def xlogy(x: Any, y: Any) -> Any:
    """x·log(y) with 0·log(anything) = 0."""
    return mpmath.mpf(0) if x == 0 else x * mpmath.log(y)


def div(x: Any, y: Any) -> Any:
    """x / y with 0 / anything = 0 and x / 0 = ±inf."""
    if x == 0:
        return mpmath.mpf(0)
    if y == 0:
        return mpmath.inf if x > 0 else -mpmath.inf
    return x / y


def sigmoid(x: Any) -> Any:
    return 1 / (1 + mpmath.exp(-x))


def softplus(x: Any) -> Any:
    return mpmath.log(1 + mpmath.exp(x))


def log_softmax(z: list[Any]) -> list[Any]:
    lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in z))
    return [v - lse for v in z]


def softmax(z: list[Any]) -> list[Any]:
    return [mpmath.exp(v) for v in log_softmax(z)]


def onehot(t: Any, k: int) -> list[Any]:
    """A class index as a one-hot row of mpf; a row is returned as is."""
    if isinstance(t, int):
        return [mpmath.mpf(1 if j == t else 0) for j in range(k)]
    return list(t)
