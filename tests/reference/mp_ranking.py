"""Exact values of the ranking losses (losslab/losses/ranking.py; see README.md).

The ranking losses take a whole `Ranking` per point (rows interact within a query): each case's
point is a whole sample ``((relevance, group), scores)``, and ``value``/``gradient``/``hessian``
give the per-row values and the derivatives of the total (make_reference.py's coupled cases).
The functions ``ROWS[name](params, relevance, sizes, scores, weights)`` below (floats or mpf in,
mpf lists out) are also evaluated with weights by tests/test_ranking.py at ``POINTS``. For the
gradient recipes (lambdarank, map, xendcg) the "gradient" is the recipe's value, written out
from its definition: the pair weights Ω are formed from the scores as the anchors form them,
then everything is exact.
"""

from __future__ import annotations

from typing import Any

import mpmath
from grids import mpf

CASES: list[dict] = []


def _sigmoid(x: Any) -> Any:
    return 1 / (1 + mpmath.exp(-x))


def _softplus(x: Any) -> Any:
    return mpmath.log1p(mpmath.exp(x))


def _queries(sizes: list[int]) -> list[range]:
    out, s = [], 0
    for m in sizes:
        out.append(range(s, s + m))
        s += m
    return out


def _ranks(scores: list[float], rows: range) -> dict[int, int]:
    """Position of each row in its query by score, descending, ties in row order."""
    order = sorted(rows, key=lambda i: (-scores[i], i))
    return {i: p for p, i in enumerate(order)}


def _pairs(
    omega: dict[tuple[int, int], Any], f: list[Any], w: list[Any], sigma: Any, n: int
) -> tuple[list, list, list]:
    """Per-row values (half of each pair to each row, unweighted), gradient and Hessian diagonal
    of Σ_pairs ½(wᵢ + wⱼ)·Ωᵢⱼ·softplus(−σ(fᵢ − fⱼ))."""
    v, g, h = [mpf(0)] * n, [mpf(0)] * n, [mpf(0)] * n
    for (i, j), om in omega.items():
        d = f[i] - f[j]
        loss = om * _softplus(-sigma * d)
        v[i] += loss / 2
        v[j] += loss / 2
        pw = (w[i] + w[j]) / 2 * om
        gi = -sigma * pw * _sigmoid(-sigma * d)
        hi = sigma**2 * pw * _sigmoid(sigma * d) * _sigmoid(-sigma * d)
        g[i] += gi
        g[j] -= gi
        h[i] += hi
        h[j] += hi
    return v, g, h


def pairwise(
    params: dict, rel: list[float], sizes: list[int], scores: list[float], weights: list[float]
) -> tuple:
    f, w = [mpf(x) for x in scores], [mpf(x) for x in weights]
    omega = {(i, j): mpf(1) for q in _queries(sizes) for i in q for j in q if rel[i] > rel[j]}
    return _pairs(omega, f, w, mpf(1), len(f))


def _gain(r: float) -> Any:
    return mpf(2) ** mpf(r) - 1


def _disc(p: int) -> Any:
    return 1 / mpmath.log(p + 2, 2)


def _ndcg_delta(rel: list[float], q: range, pos: dict[int, int], k: int) -> dict[tuple[int, int], Any]:
    ideal = sorted((_gain(rel[i]) for i in q), reverse=True)[:k]
    idcg = mpmath.fsum(g * _disc(p) for p, g in enumerate(ideal))
    inv = 1 / idcg if idcg else mpf(0)
    return {
        (i, j): (_gain(rel[i]) - _gain(rel[j])) * abs(_disc(pos[i]) - _disc(pos[j])) * inv
        for i in q
        for j in q
        if rel[i] > rel[j] and min(pos[i], pos[j]) < k
    }


def _ap_delta(rel: list[float], q: range, pos: dict[int, int], k: int) -> dict[tuple[int, int], Any]:
    """XGBoost's DeltaMAP of swapping the rows at two positions (relevance 0/1)."""
    ranked = [mpf(rel[i]) for i in sorted(q, key=lambda i: pos[i])]
    n_rel, acc, run, a = [], [], mpf(0), mpf(0)
    for m, r in enumerate(ranked):
        run += r
        a += r / (m + 1)
        n_rel.append(run)
        acc.append(a)
    total = n_rel[-1]
    out = {}
    for i in q:
        for j in q:
            if not (rel[i] > rel[j] and min(pos[i], pos[j]) < k):
                continue
            p, r = min(pos[i], pos[j]), max(pos[i], pos[j])
            between = acc[r - 1] - acc[p]
            if pos[i] < pos[j]:  # the relevant row first
                d = n_rel[p] / (p + 1) - n_rel[r] / (r + 1) + between
            else:
                d = n_rel[r] / (r + 1) - (n_rel[p] + 1) / (p + 1) - between
            out[(i, j)] = abs(d / total)
    return out


def _lambda(
    delta: Any, params: dict, rel: list[float], sizes: list[int], scores: list[float], weights: list[float]
):
    k = int(params.get("truncation_level", 30))
    sigma = mpf(params.get("sigmoid", 1.0))
    norm = params.get("norm", True)
    f, w = [mpf(x) for x in scores], [mpf(x) for x in weights]
    omega: dict[tuple[int, int], Any] = {}
    for q in _queries(sizes):
        pos = _ranks(scores, q)
        part = delta(rel, q, pos, k)
        if norm:
            if max(scores[i] for i in q) != min(scores[i] for i in q):
                part = {ij: om / (mpf("0.01") + abs(f[ij[0]] - f[ij[1]])) for ij, om in part.items()}
            lam = mpmath.fsum(
                2 * sigma * om * _sigmoid(-sigma * (f[i] - f[j])) for (i, j), om in part.items()
            )
            if lam > 0:
                factor = mpmath.log(1 + lam, 2) / lam
                part = {ij: om * factor for ij, om in part.items()}
        omega.update(part)
    return _pairs(omega, f, w, sigma, len(f))


def lambdarank(
    params: dict, rel: list[float], sizes: list[int], scores: list[float], weights: list[float]
) -> tuple:
    return _lambda(_ndcg_delta, {"truncation_level": 30, **params}, rel, sizes, scores, weights)


def lambdarank_map(
    params: dict, rel: list[float], sizes: list[int], scores: list[float], weights: list[float]
):
    return _lambda(_ap_delta, {"truncation_level": 32, **params}, rel, sizes, scores, weights)


def _gammas(sizes: list[int], seed: int) -> list[Any]:
    """LightGBM's Random(seed + q).NextFloat() per row of query q (its first round)."""
    out = []
    for q, m in enumerate(sizes):
        x = (seed + q) % 2**32
        for _ in range(m):
            x = (214013 * x + 2531011) % 2**32
            out.append(mpf((x >> 16) & 0x7FFF) / 32768)
    return out


def xendcg(
    params: dict, rel: list[float], sizes: list[int], scores: list[float], weights: list[float]
) -> tuple:
    """Value −pᵢ log ρᵢ; LightGBM's third-order recipe and ρ(1 − ρ), times the row weight."""
    gam = _gammas(sizes, int(params.get("seed", 5)))
    f, w = [mpf(x) for x in scores], [mpf(x) for x in weights]
    n = len(f)
    v, g, h = [mpf(0)] * n, [mpf(0)] * n, [mpf(0)] * n
    for q in _queries(sizes):
        phi = {i: mpf(2) ** mpf(rel[i]) - gam[i] for i in q}
        total_phi = mpmath.fsum(phi.values())
        lse = mpmath.log(mpmath.fsum(mpmath.exp(f[i]) for i in q))
        rho = {i: mpmath.exp(f[i] - lse) for i in q}
        for i in q:
            v[i] = -phi[i] / total_phi * (f[i] - lse)
        if len(q) <= 1:
            continue
        l1 = {i: rho[i] - phi[i] / total_phi for i in q}
        a = {i: l1[i] / (1 - rho[i]) for i in q}
        sa = mpmath.fsum(a.values())
        l2 = {i: rho[i] * (sa - a[i]) for i in q}
        b = {i: l2[i] / (1 - rho[i]) for i in q}
        sb = mpmath.fsum(b.values())
        for i in q:
            g[i] = (l1[i] + l2[i] + rho[i] * (sb - b[i])) * w[i]
            h[i] = rho[i] * (1 - rho[i]) * w[i]
    return v, g, h


ROWS = {"pairwise": pairwise, "lambdarank": lambdarank, "map": lambdarank_map, "xendcg": xendcg}

#: (relevance, sizes, scores): small queries with adversarial scores — ties (the anchors' stable
#: order decides the ranks), gaps of 1e-12 and 40 (σ(−40) ≈ 4e-18), ±300 apart (e^−600),
#: a one-row query, a query without relevant rows, a long query beyond the truncation level
POINTS: list[tuple[list[float], list[int], list[float]]] = [
    ([2, 0, 1, 3, 0, 1, 1, 0, 2], [4, 5], [0.0, 0.0, 0.0, 0.0, 0.5, -1.25, 3.0, 1e-12, 0.0]),
    ([1, 0, 0, 2, 3, 0], [3, 1, 2], [40.0, -40.0, 1e-12, 7.0, -300.0, 300.0]),
    ([0, 0, 0, 1, 0, 3, 2], [3, 4], [0.1, -0.2, 0.3, 2.5, -2.5, 1e-3, -1e-3]),
    (
        [float((7 * i) % 4) for i in range(36)],
        [36],
        [((13 * i) % 17 - 8) / 3.0 for i in range(36)],
    ),
]

#: MAP needs 0/1 relevance: the same points with relevance > 1 read as 1
POINTS_BINARY = [([float(r > 0) for r in rel], sizes, f) for rel, sizes, f in POINTS]

#: the parameter configurations checked, per loss
CONFIGS: dict[str, list[dict]] = {
    "pairwise": [{}],
    "lambdarank": [{}, {"truncation_level": 2.0, "sigmoid": 0.5}, {"norm": False}],
    "map": [{}, {"truncation_level": 3.0, "norm": False}],
    "xendcg": [{}, {"seed": 11.0}],
}


def _sizes(group: list[Any]) -> list[int]:
    sizes: list[int] = []
    for i, g in enumerate(group):
        if i and g == group[i - 1]:
            sizes[-1] += 1
        else:
            sizes.append(1)
    return sizes


def _case(name: str, params: dict, points: list) -> dict:
    fn = ROWS[name]

    def part(k: int) -> Any:
        def out(cols: list[list[Any]], z: list[Any]) -> list[Any]:
            rel, group = [float(v) for v in cols[0]], cols[1]
            return fn(params, rel, _sizes(group), list(z), [1.0] * len(z))[k]

        return out

    pts = [
        ((list(map(float, rel)), [float(q) for q, m in enumerate(sz) for _ in range(m)]), f)
        for rel, sz, f in points
    ]
    return {
        "loss": {"name": name, **params},
        "points": pts,
        "value": part(0),
        "gradient": part(1),
        "hessian": part(2),
    }


CASES += [
    _case(name, params, POINTS_BINARY if name == "map" else POINTS)
    for name, configs in CONFIGS.items()
    for params in configs
]
