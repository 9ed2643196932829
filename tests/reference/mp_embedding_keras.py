"""Exact values of Keras's Circle loss (losslab's ``circle``, losslab/losses/embedding.py), as
``"batch"`` cases: a point is a whole batch ``(labels, rows)``, the values per row and the
gradient of their sum (see mp_embedding.py and README.md)."""

from __future__ import annotations

from typing import Any

import mpmath
from grids import mpf
from mp_embedding import _batches, norm

CASES: list[dict] = []


def _hinge(x: Any) -> Any:
    return x if x > 0 else mpf(0)


def _lse(xs: list[Any]) -> Any:
    return mpmath.log(mpmath.fsum(mpmath.exp(x) for x in xs))


def circle(params: dict, labels: list[int], rows: list[list[Any]]) -> list[Any]:
    """softplus(LSE_P(−γ[m + d]₊(m − d)) + LSE_N(γ[1 + m − d]₊(1 − m − d))), d = [1 − s]₊."""
    g, m = mpf(params.get("gamma", 80.0)), mpf(params.get("margin", 0.4))
    keep_self = not params.get("remove_diagonal", True)
    if params.get("normalize", False):
        rows = [[x / norm(r) for x in r] for r in rows]
    n, out = len(rows), []
    for i in range(n):
        d = [_hinge(1 - mpmath.fsum(x * y for x, y in zip(rows[i], rows[j], strict=True))) for j in range(n)]
        pos = [j for j in range(n) if labels[j] == labels[i] and (j != i or keep_self)]
        neg = [k for k in range(n) if labels[k] != labels[i]]
        if not pos or not neg:
            out.append(mpf(0))
            continue
        a = [-g * _hinge(m + d[j]) * (m - d[j]) for j in pos]
        b = [g * _hinge(1 + m - d[k]) * (1 - m - d[k]) for k in neg]
        out.append(mpmath.log1p(mpmath.exp(_lse(a) + _lse(b))))
    return out


def _unit(rows: list[list[float]]) -> list[list[float]]:
    """Rows divided by their norms, rounded to float64 (Keras's input: UnitNormalization's output)."""
    with mpmath.workdps(50):
        return [[float(mpf(x) / norm([mpf(v) for v in r])) for x in r] for r in rows]


def _case(spec: dict) -> dict:
    params = {k: v for k, v in spec.items() if k != "name"}
    batches = _batches()
    if params.get("normalize", False):
        points = batches  # raw rows at scales 1, 1e-150, 1e150
    else:
        points = [(labels, _unit(rows)) for labels, rows in batches[:1]]
        # a batch whose pairs reach both hinges' far sides: opposite rows (d = 2), near-equal ones
        points.append(
            ([0, 0, 1, 1, 0], _unit([[1.0, 0.0], [0.999, 0.04], [-1.0, 0.001], [0.0, 1.0], [-0.2, -1.0]]))
        )
    return {
        "loss": spec,
        "batch": True,
        "points": points,
        "value": lambda labels, rows: circle(params, labels, rows),
    }


CASES += [
    _case({"name": "circle"}),
    _case({"name": "circle", "gamma": 1.0, "margin": 0.25}),
    _case({"name": "circle", "gamma": 2.0, "remove_diagonal": False}),
    _case({"name": "circle", "normalize": True}),
]

ROWS = {"circle": circle}
