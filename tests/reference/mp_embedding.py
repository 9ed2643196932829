"""Exact values of the metric-learning losses (losslab/losses/embedding.py; see README.md).

``CASES`` holds the per-sample loss (``hinge_embedding``) in the usual protocol. The losses on
structured targets (`Pairs`, `Embeddings`) take a whole batch per point; their exact per-row
values are the functions ``ROWS[name](params, labels, rows)`` below (mpmath in, mpf list out),
which tests/test_embedding_losses.py evaluates at its batches (gradients: ``total_gradient``,
one-sided-free central ``mpmath.diff`` of the weighted total, away from every kink).
"""

from __future__ import annotations

from typing import Any

import mpmath
from grids import LOGITS, grid, mpf

CASES: list[dict] = []


# -- hinge_embedding: f if s = 1, max(0, m - f) if s = -1 ------------------------------------------
def _hinge_embedding(margin: float, labels: tuple[float, float]) -> dict:
    m = mpf(margin)
    edges = [margin * u for u in (1.0, 1 + 2**-52, 1 - 2**-53)] if margin else [0.0]
    scores = sorted(set(LOGITS) | set(edges))
    spec = {"name": "hinge_embedding"} if margin == 1.0 else {"name": "hinge_embedding", "margin": margin}
    return {
        "loss": spec,
        "points": grid(labels, scores),
        "value": lambda y, f: f if y > 0 else max(mpf(0), m - f),
        # the subgradient 0 at the kink f = m
        "gradient": lambda y, f: mpf(1) if y > 0 else (mpf(-1) if f < m else mpf(0)),
        "hessian": lambda y, f: mpf(0),
    }


CASES += [
    _hinge_embedding(1.0, (-1.0, 1.0)),
    _hinge_embedding(1.0, (0.0, 1.0)),
    _hinge_embedding(2.5, (-1.0, 1.0)),
    _hinge_embedding(0.0, (-1.0, 1.0)),
]


# -- exact building blocks -------------------------------------------------------------------------
def norm(v: list[Any], p: Any = 2) -> Any:
    p = mpf(p)
    total = mpmath.fsum(abs(x) ** p for x in v)
    return total ** (1 / p) if total else mpf(0)


def cosine(a: list[Any], b: list[Any]) -> Any:
    na, nb = norm(a), norm(b)
    if not na or not nb:
        return mpf(0)
    return mpmath.fsum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)


def _hinge(x: Any) -> Any:
    return x if x > 0 else mpf(0)


def _halves(row: list[Any]) -> tuple[list[Any], list[Any]]:
    k = len(row) // 2
    return row[:k], row[k:]


def _sign(label: int) -> int:
    return 1 if label > 0 else -1


# -- pairs (one row: a pair) -----------------------------------------------------------------------
def margin_ranking(params: dict, labels: list[int], rows: list[list[Any]]) -> list[Any]:
    m = mpf(params.get("margin", 0.0))
    return [_hinge(m - _sign(s) * (r[0] - r[1])) for s, r in zip(labels, rows, strict=True)]


def cosine_embedding(params: dict, labels: list[int], rows: list[list[Any]]) -> list[Any]:
    m = mpf(params.get("margin", 0.0))
    out = []
    for s, r in zip(labels, rows, strict=True):
        c = cosine(*_halves(r))
        out.append(1 - c if _sign(s) > 0 else _hinge(c - m))
    return out


def contrastive(params: dict, labels: list[int], rows: list[list[Any]]) -> list[Any]:
    m = mpf(params.get("margin", 1.0))
    out = []
    for s, r in zip(labels, rows, strict=True):
        a, b = _halves(r)
        d = norm([x - y for x, y in zip(a, b, strict=True)])
        out.append(d**2 if _sign(s) > 0 else _hinge(m - d) ** 2)
    return out


# -- labelled embeddings (one row: an embedding; pairs and triplets mined in the batch) -------------
def triplet_margin(params: dict, labels: list[int], rows: list[list[Any]]) -> list[Any]:
    m = mpf(params.get("margin", 1.0))
    p, eps = params.get("p", 2.0), mpf(params.get("eps", 0.0))
    swap, mining = params.get("swap", False), params.get("mining", "all")
    n = len(rows)

    def dist(i: int, j: int) -> Any:
        return norm([x - y + eps for x, y in zip(rows[i], rows[j], strict=True)], p)

    def d_neg(a: int, pos: int, q: int) -> Any:
        return min(dist(a, q), dist(pos, q)) if swap else dist(a, q)

    out = []
    for a in range(n):
        positives = [j for j in range(n) if j != a and labels[j] == labels[a]]
        negatives = [j for j in range(n) if labels[j] != labels[a]]
        if not positives or not negatives:
            out.append(mpf(0))
            continue
        if mining == "all":
            hs = [_hinge(dist(a, pp) - d_neg(a, pp, q) + m) for pp in positives for q in negatives]
            out.append(mpmath.fsum(hs) / len(hs))
        else:
            far = max(dist(a, pp) for pp in positives)
            hardest = [pp for pp in positives if dist(a, pp) == far]
            near = min(d_neg(a, pp, q) for pp in hardest for q in negatives)
            out.append(_hinge(far - near + m))
    return out


def _similarities(rows: list[list[Any]], tau: Any) -> list[list[Any]]:
    return [[cosine(a, b) / tau for b in rows] for a in rows]


def ntxent(params: dict, labels: list[int], rows: list[list[Any]]) -> list[Any]:
    s = _similarities(rows, mpf(params.get("temperature", 0.07)))
    n, out = len(rows), []
    for i in range(n):
        positives = [j for j in range(n) if j != i and labels[j] == labels[i]]
        negatives = [k for k in range(n) if labels[k] != labels[i]]
        if not positives:
            out.append(mpf(0))
            continue
        neg = mpmath.fsum(mpmath.exp(s[i][k]) for k in negatives)
        terms = [-mpmath.log(mpmath.exp(s[i][j]) / (mpmath.exp(s[i][j]) + neg)) for j in positives]
        out.append(mpmath.fsum(terms) / len(terms))
    return out


def supervised_contrastive(params: dict, labels: list[int], rows: list[list[Any]]) -> list[Any]:
    s = _similarities(rows, mpf(params.get("temperature", 0.07)))
    n, out = len(rows), []
    for i in range(n):
        positives = [j for j in range(n) if j != i and labels[j] == labels[i]]
        if not positives:
            out.append(mpf(0))
            continue
        log_den = mpmath.log(mpmath.fsum(mpmath.exp(s[i][a]) for a in range(n) if a != i))
        out.append(mpmath.fsum(log_den - s[i][j] for j in positives) / len(positives))
    return out


ROWS = {
    "margin_ranking": margin_ranking,
    "cosine_embedding": cosine_embedding,
    "contrastive": contrastive,
    "triplet_margin": triplet_margin,
    "ntxent": ntxent,
    "supervised_contrastive": supervised_contrastive,
}


def rows_values(name: str, params: dict, labels: list[int], rows: Any, dps: int = 60) -> list[float]:
    """Per-row values of loss ``name`` at a batch (float inputs), rounded to float64."""
    with mpmath.workdps(dps):
        mp_rows = [[mpf(float(x)) for x in r] for r in rows]
        return [float(v) for v in ROWS[name](params, [int(v) for v in labels], mp_rows)]


def total_gradient(
    name: str, params: dict, labels: list[int], rows: Any, weights: Any = None, dps: int = 60
) -> list[list[float]]:
    """∂(Σᵢ wᵢℓᵢ)/∂rows by central differences in mpmath (valid away from kinks)."""
    labels = [int(v) for v in labels]
    with mpmath.workdps(dps):
        base = [[mpf(float(x)) for x in r] for r in rows]
        w = [mpf(1)] * len(base) if weights is None else [mpf(float(v)) for v in weights]
        out = []
        for i, r in enumerate(base):
            g_row = []
            for j in range(len(r)):

                def total(x: Any, i: int = i, j: int = j) -> Any:
                    moved = [list(rr) for rr in base]
                    moved[i][j] = x
                    vals = ROWS[name](params, labels, moved)
                    return mpmath.fsum(wi * v for wi, v in zip(w, vals, strict=True))

                g_row.append(float(mpmath.diff(total, r[j])))
            out.append(g_row)
        return out
