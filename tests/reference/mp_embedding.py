"""Exact values of the metric-learning losses (losslab/losses/embedding.py; see README.md).

``CASES`` (values.json): ``hinge_embedding`` in the per-sample protocol; the `Pairs` losses in
the multiclass one (a point: a label ±1 and the pair's row of y_pred); the batch losses on
`Embeddings` as ``"batch"`` cases, a point a whole batch ``(labels, rows)`` with the per-row
values and the gradient of their sum (``make_reference.build_batch_case``). The exact per-row
values are the functions ``ROWS[name](params, labels, rows)`` (mpmath in, mpf list out), which
tests/test_embedding_losses.py also evaluates at its own batches (``rows_values``,
``total_gradient``: central ``mpmath.diff`` of the weighted total, away from every kink).
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
        if params.get("distance", "lp") == "cosine":
            return 1 - cosine(rows[i], rows[j])
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


# -- reference rows (values.json) ------------------------------------------------------------------
# Pairs losses take the multiclass point format: (label ±1, the pair's row of y_pred).
_SCORES = (-1e4, -37.0, -1.0, -0.5, 0.0, 1e-300, 0.3, 1.0, 2.5, 1e4)


def _pair_case(spec: dict, points: list, with_derivatives: dict | None = None) -> dict:
    name = spec["name"]
    params = {k: v for k, v in spec.items() if k != "name"}

    def value(s: int, row: list) -> Any:
        return ROWS[name](params, [s], [row])[0]

    return {"loss": spec, "points": points, "value": value, **(with_derivatives or {})}


def _margin_ranking_case(margin: float) -> dict:
    m = mpf(margin)
    pts = [(s, [a, b]) for s in (-1, 1) for a in _SCORES for b in _SCORES]
    pts += [(1, [margin, 0.0]), (-1, [0.0, margin]), (1, [1.0 + margin, 1.0])]  # the kink

    def gradient(s: int, z: list) -> list:
        active = m - s * (z[0] - z[1]) > 0  # the subgradient 0 at the kink
        return [mpf(-s), mpf(s)] if active else [mpf(0), mpf(0)]

    return _pair_case(
        {"name": "margin_ranking", "margin": margin},
        pts,
        {"gradient": gradient, "hessian": lambda s, z: [mpf(0), mpf(0)]},
    )


def _vector_pairs(scale: float) -> list:
    # no nearly parallel pair here: its gradient ŷ − c x̂ cancels (its value is tested in
    # tests/test_embedding_losses.py); scales up to 1e±100 keep the Hessian (1/‖x‖²) finite
    rows = [
        [0.3, -1.2, 0.7, 0.4],
        [1.0, 0.1, 0.2, 1.0],
        [2.0, 1.0, -1.5, 0.25],
        [-0.5, 0.8, 0.6, -0.9],
    ]
    return [(s, [scale * v for v in r]) for s in (-1, 1) for r in rows]


def _cosine_derivatives(margin: float) -> dict:
    """∂c/∂x₁ = (x̂₂ − c x̂₁)/‖x₁‖, ∂²c/∂x₁ⱼ² = (3c x̂₁ⱼ² − 2x̂₁ⱼx̂₂ⱼ − c)/‖x₁‖² (x₂ alike), times
    ∂ℓ/∂c = −1 (similar) or 1 (dissimilar above the margin); analytic, since at 1e±200 the
    numerical derivative's steps do not scale."""
    m = mpf(margin)

    def parts(s: int, z: list) -> tuple:
        a, b = _halves(z)
        na, nb, c = norm(a), norm(b), cosine(a, b)
        ua, ub = [x / na for x in a], [x / nb for x in b]
        dc = mpf(-1) if s > 0 else (mpf(1) if c > m else mpf(0))
        return ua, ub, na, nb, c, dc

    def gradient(s: int, z: list) -> list:
        ua, ub, na, nb, c, dc = parts(s, z)
        return [dc * (y - c * x) / na for x, y in zip(ua, ub, strict=True)] + [
            dc * (x - c * y) / nb for x, y in zip(ua, ub, strict=True)
        ]

    def hessian(s: int, z: list) -> list:
        ua, ub, na, nb, c, dc = parts(s, z)
        return [dc * (3 * c * x * x - 2 * x * y - c) / na**2 for x, y in zip(ua, ub, strict=True)] + [
            dc * (3 * c * y * y - 2 * x * y - c) / nb**2 for x, y in zip(ua, ub, strict=True)
        ]

    return {"gradient": gradient, "hessian": hessian}


def _contrastive_derivatives(margin: float) -> dict:
    """2u (similar) or −2(m − D)u/D (dissimilar, D < m) for x₁, the negative for x₂; Hessian
    diagonal 2, or 2u_j²/D² − 2(m − D)(D² − u_j²)/D³."""
    m = mpf(margin)

    def parts(s: int, z: list) -> tuple:
        a, b = _halves(z)
        u = [x - y for x, y in zip(a, b, strict=True)]
        return u, norm(u)

    def gradient(s: int, z: list) -> list:
        u, d = parts(s, z)
        coef = mpf(2) if s > 0 else (-2 * (m - d) / d if d < m else mpf(0))
        return [coef * x for x in u] + [-coef * x for x in u]

    def hessian(s: int, z: list) -> list:
        u, d = parts(s, z)
        if s > 0:
            h = [mpf(2)] * len(u)
        elif d < m:
            h = [2 * x * x / d**2 - 2 * (m - d) * (d**2 - x * x) / d**3 for x in u]
        else:
            h = [mpf(0)] * len(u)
        return h + h

    return {"gradient": gradient, "hessian": hessian}


CASES += [_margin_ranking_case(0.0), _margin_ranking_case(0.5)]
CASES += [
    _pair_case(
        {"name": "cosine_embedding", "margin": margin},
        [p for scale in (1.0, 1e-100, 1e100) for p in _vector_pairs(scale)],
        _cosine_derivatives(margin),
    )
    for margin in (0.0, -0.3)
]
CASES += [
    _pair_case({"name": "contrastive", "margin": 1.0}, _vector_pairs(0.4), _contrastive_derivatives(1.0)),
    _pair_case({"name": "contrastive", "margin": 1e15}, _vector_pairs(1e15), _contrastive_derivatives(1e15)),
]


# Batch losses (coupled, on Embeddings): a point is a whole batch (labels, rows); "batch" cases
# store the per-row values and the gradient of their sum (make_reference: build_batch_case).
def _batches() -> list:
    rows = [
        [0.3, -1.2, 0.7],
        [1.1, 0.2, -0.4],
        [-0.8, 0.9, 0.5],
        [0.05, 1.3, -1.0],
        [1.6, -0.7, 0.2],
        [-1.4, -0.3, 0.9],
    ]
    labels = [0, 0, 1, 1, 2, 0]
    return [(labels, [[scale * v for v in r] for r in rows]) for scale in (1.0, 1e-150, 1e150)]


def _batch_case(spec: dict) -> dict:
    name = spec["name"]
    params = {k: v for k, v in spec.items() if k != "name"}
    scale_margin = "margin" in params or name == "triplet_margin"
    points = []
    for labels, rows in _batches():
        scale = abs(rows[0][0]) / 0.3
        if scale_margin and scale != 1.0:
            continue  # a margin is in the data's units: the scaled batches are cosine-only
        points.append((labels, rows))
    return {
        "loss": spec,
        "batch": True,
        "points": points,
        "value": lambda labels, rows: ROWS[name](params, labels, rows),
    }


CASES += [
    _batch_case({"name": "triplet_margin"}),
    _batch_case({"name": "triplet_margin", "swap": True, "p": 1.5, "margin": 0.5}),
    _batch_case({"name": "triplet_margin", "mining": "hard"}),
    _batch_case({"name": "triplet_margin", "distance": "cosine", "margin": 0.3}),
    _batch_case({"name": "ntxent", "temperature": 0.07}),
    _batch_case({"name": "ntxent", "temperature": 1.0}),
    _batch_case({"name": "supervised_contrastive", "temperature": 0.07}),
    _batch_case({"name": "supervised_contrastive", "temperature": 0.5}),
]


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
