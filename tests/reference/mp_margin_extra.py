"""Exact value, gradient and Hessian of squared hinge and multiclass hinge (see README.md)."""

from __future__ import annotations

from grids import LOGITS, grid, mpf

CASES: list[dict] = []


# -- squared_hinge: max(0, m - s f)^2 -------------------------------------------------------------
def _squared_hinge(margin: float, labels: tuple[float, float]) -> dict:
    m = mpf(margin)

    def sign(y):
        return mpf(1) if y > 0 else mpf(-1)

    edges = [margin * u for u in (1.0, 1 + 2**-52, 1 - 2**-53)]
    scores = sorted(set(LOGITS) | set(edges) | {-e for e in edges})
    spec = {"name": "squared_hinge"} if margin == 1.0 else {"name": "squared_hinge", "margin": margin}
    return {
        "loss": spec,
        "points": grid(labels, scores),
        "value": lambda y, f: max(mpf(0), m - sign(y) * f) ** 2,
        "gradient": lambda y, f: -2 * sign(y) * max(mpf(0), m - sign(y) * f),
        # the Hessian jumps from 2 to 0 at s f = m; losslab takes 0 there
        "hessian": lambda y, f: mpf(2) if sign(y) * f < m else mpf(0),
    }


CASES += [
    _squared_hinge(1.0, (0.0, 1.0)),
    _squared_hinge(1.0, (-1.0, 1.0)),
    _squared_hinge(0.5, (0.0, 1.0)),
    _squared_hinge(0.0, (-1.0, 1.0)),
]


# -- multiclass_hinge ------------------------------------------------------------------------------
def _label(t, k):
    return t if isinstance(t, int) else max(range(k), key=lambda j: t[j])


def _multiclass(margin: float, variant: str) -> dict:
    m = mpf(margin)

    def value(t, z):
        k = len(z)
        y = _label(t, k)
        d = [m + z[j] - z[y] for j in range(k) if j != y]
        if variant == "weston_watkins":
            return sum(max(mpf(0), v) for v in d)
        return max(mpf(0), max(d))

    def gradient(t, z):
        k = len(z)
        y = _label(t, k)
        g = [mpf(0)] * k
        if variant == "weston_watkins":
            for j in range(k):
                if j != y and m + z[j] - z[y] > 0:  # subgradient 0 on the margin
                    g[j] += 1
                    g[y] -= 1
            return g
        worst = max(z[j] for j in range(k) if j != y)
        if m + worst - z[y] <= 0:  # inactive, or exactly on the margin: subgradient 0
            return g
        tied = [j for j in range(k) if j != y and z[j] == worst]
        for j in tied:  # ties between runner-up classes share the +1 equally
            g[j] = mpf(1) / len(tied)
        g[y] = mpf(-1)
        return g

    rows = [
        [2.0, 1.5, 1.5],
        [0.0, 3.0, -1.0],
        [0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [37.0, 36.0, 0.0],
        [1e4, 0.0, -1e4],
        [-745.0, 0.0, 745.0],
        [1e-300, 0.0, -1e-300],
        [0.5, -0.25, 0.75],
    ]
    onehots = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    rows4 = [[1.0, 2.0, 2.0, -3.0], [0.25, 0.0, 0.0, 0.0]]
    spec = {"name": "multiclass_hinge", "variant": variant}
    if margin != 1.0:
        spec["margin"] = margin
    return {
        "loss": spec,
        "points": grid([0, 1, 2], rows) + grid(onehots, rows) + grid([0, 3], rows4),
        "value": value,
        "gradient": gradient,
        "hessian": lambda t, z: [mpf(0)] * len(z),
    }


CASES += [_multiclass(mg, v) for v in ("crammer_singer", "weston_watkins") for mg in (1.0, 0.5, 0.0)]
