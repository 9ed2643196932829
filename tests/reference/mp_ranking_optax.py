"""Exact rows of optax's listwise ranking loss, ``ranking_softmax`` (see README.md and
mp_ranking.py for the coupled point format: a point is a whole sample ``((relevance, group),
scores)``; the value is per row, gradient and Hessian those of the total)."""

from __future__ import annotations

from typing import Any

import mpmath
from grids import mpf
from mp_ranking import POINTS, _queries, _sizes

CASES: list[dict] = []


def ranking_softmax(
    params: dict, rel: list[float], sizes: list[int], scores: list[float], weights: list[float]
) -> tuple[list, list, list]:
    """−yᵢ log pᵢ per row (p the softmax of the query's scores); derivatives of Σ wᵢℓᵢ:
    S pᵢ − wᵢyᵢ and S pᵢ(1 − pᵢ), S = Σ wy over the query."""
    f, w = [mpf(x) for x in scores], [mpf(x) for x in weights]
    n = len(f)
    v, g, h = [mpf(0)] * n, [mpf(0)] * n, [mpf(0)] * n
    for q in _queries(sizes):
        lse = mpmath.log(mpmath.fsum(mpmath.exp(f[i]) for i in q))
        s = mpmath.fsum(w[i] * rel[i] for i in q)
        for i in q:
            p = mpmath.exp(f[i] - lse)
            v[i] = -mpf(rel[i]) * (f[i] - lse)
            g[i] = s * p - w[i] * rel[i]
            h[i] = s * p * (1 - p)
    return v, g, h


#: mp_ranking's points, and queries whose relevant row dominates (a loss of e^−50, e^−800)
#: or is far below the others
EXTRA: list[tuple[list[float], list[int], list[float]]] = [
    ([1, 0, 0, 2, 0], [3, 2], [50.0, 0.0, -1.0, 800.0, 0.0]),
    ([3, 1, 0, 0], [4], [-700.0, 0.0, 1e-300, 36.0]),
    ([0.5, 0.25, 0.25, 0, 0], [2, 3], [1e-10, -1e-10, 2.0, 2.0, 2.0]),
]
ROWS = {"ranking_softmax": ranking_softmax}


def _case(points: list) -> dict:
    def part(k: int) -> Any:
        def out(cols: list[list[Any]], z: list[Any]) -> list[Any]:
            rel, group = [float(v) for v in cols[0]], cols[1]
            return ranking_softmax({}, rel, _sizes(group), list(z), [1.0] * len(z))[k]

        return out

    pts = [
        ((list(map(float, rel)), [float(q) for q, m in enumerate(sz) for _ in range(m)]), f)
        for rel, sz, f in points
    ]
    return {
        "loss": {"name": "ranking_softmax"},
        "points": pts,
        **{k: part(i) for i, k in enumerate(("value", "gradient", "hessian"))},
    }


CASES.append(_case(POINTS + EXTRA))
