"""Reference cases for src/losslab/losses/segmentation.py: dice and tversky, one image per row.

Each point is one image of 4 pixels (or 2 pixels × 2 classes, channels-last): a mask row and a
row of logits (probabilities with from_logits=False). The formulas are the plain definitions,
ℓ = 1 − N/D per class with N = a·TP + s and D = N + α·FP + β·FN + ε, p = 1/(1 + e^{−x}), and
their quotient-rule derivatives in p times p' = p(1 − p), p'' = p'(1 − 2p).

Left out on purpose (ill-posed): soft-label rows where ∂ℓ/∂p_j, a difference
α(1 − y_j)N − y_j(βN + aE), nearly cancels, and logits x < 0 where the Hessian's two terms
(1 − 2p) and 2D'p'/D nearly cancel; only an absolute error of ~1e-16 times the terms is
achievable there by a float64 algorithm. The grids below keep |result| ≥ 1e-3 × terms.
"""

from __future__ import annotations

import mpmath
from grids import grid, mpf

CASES: list[dict] = []

MASKS = [
    [0.0, 0.0, 0.0, 0.0],  # empty mask: smooth decides (no 0/0: epsilon or smooth > 0)
    [1.0, 1.0, 1.0, 1.0],
    [1.0, 0.0, 0.0, 1.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.25, 1.0, 0.0, 0.75],  # soft labels
]
LOGIT_ROWS = [
    [0.0, 0.0, 0.0, 0.0],
    [2.0, -1.0, -3.0, 5.0],
    [37.0, -37.0, -745.0, 1e4],  # a confident, correct prediction of [1, 0, 0, 1]
    [-710.0, 36.7, 0.5, -1e-3],
    [-1e4, -800.0, -745.0, -100.0],  # everything off
    [17.0, 38.0, 100.0, 709.78],  # everything on
    [1e-300, -2.0, 1.0, -17.0],
]
PROB_ROWS = [
    [0.0, 0.0, 0.0, 0.0],
    [0.5, 0.1, 0.9, 1.0],
    [1.0, 1e-16, 1e-300, 1.0 - 1e-16],
    [1e-8, 1.0, 0.25, 0.0],
    [1.0, 1.0, 1.0, 1.0],
]


def _sig(x):
    return 1 / (1 + mpmath.exp(-x))


def _case(spec: dict, a, alpha, beta, points) -> dict:
    """The case of one configuration: (a, α, β) = (2, 1, 1) for dice, (1, α, β) for tversky."""
    logits = spec.get("from_logits", True)
    s = mpf(spec.get("smooth", 0.0))
    eps = mpf(spec.get("epsilon", 1e-7))
    c = spec.get("n_classes") or 1
    cw = [mpf(w) for w in spec.get("class_weight") or [1.0] * c]
    a, alpha, beta = mpf(a), mpf(alpha), mpf(beta)

    def probs(z):
        return [_sig(x) for x in z] if logits else list(z)

    def parts(t, z, k):
        """N, D of class k and its pixel indices."""
        p = probs(z)
        idx = [j for j in range(len(z)) if j % c == k]
        tp = mpmath.fsum(t[j] * p[j] for j in idx)
        fp = mpmath.fsum((1 - t[j]) * p[j] for j in idx)
        fn = mpmath.fsum(t[j] * (1 - p[j]) for j in idx)
        n = a * tp + s
        return n, n + alpha * fp + beta * fn + eps, idx

    def share(k):
        return cw[k] / mpmath.fsum(cw)

    def value(t, z):
        return mpmath.fsum(share(k) * (1 - parts(t, z, k)[0] / parts(t, z, k)[1]) for k in range(c))

    def derivs(t, z):
        """ℓ_x (or ℓ_p) and the diagonal ℓ_xx per entry."""
        p = probs(z)
        g, h = [mpf(0)] * len(z), [mpf(0)] * len(z)
        for k in range(c):
            n, d, idx = parts(t, z, k)
            for j in idx:
                dn = a * t[j]
                dd = dn + alpha * (1 - t[j]) - beta * t[j]
                lp = -(dn * d - n * dd) / d**2
                lpp = 2 * dd * (dn * d - n * dd) / d**3
                if logits:
                    d1 = p[j] * (1 - p[j])
                    g[j] = share(k) * lp * d1
                    h[j] = share(k) * (lpp * d1**2 + lp * d1 * (1 - 2 * p[j]))
                else:
                    g[j], h[j] = share(k) * lp, share(k) * lpp
        return g, h

    def well_posed(t, z) -> bool:
        """Keep points whose gradient and Hessian entries do not cancel (module docstring)."""
        t, z = [mpf(v) for v in t], [mpf(v) for v in z]
        g, h = derivs(t, z)
        p = probs(z)
        for k in range(c):
            n, d, idx = parts(t, z, k)
            for j in idx:
                plus, minus = alpha * (1 - t[j]) * n, t[j] * (beta * n + a * (d - n))
                if abs(plus - minus) < 1e-3 * (plus + minus):
                    return False
        for j in range(len(z)):
            if not logits or g[j] == 0:
                continue
            d1 = p[j] * (1 - p[j])
            scale = abs(g[j]) * (abs(1 - 2 * p[j]) + 2 * d1)
            if abs(h[j]) < 1e-3 * scale:
                return False
        return True

    return {
        "loss": spec,
        "points": [pt for pt in points if well_posed(*pt)],
        "value": value,
        "gradient": lambda t, z: derivs(t, z)[0],
        "hessian": lambda t, z: derivs(t, z)[1],
    }


_LOGIT_POINTS = grid(MASKS, LOGIT_ROWS)
_PROB_POINTS = grid(MASKS, PROB_ROWS)

CASES += [
    _case({"name": "dice"}, 2, 1, 1, _LOGIT_POINTS),
    _case({"name": "dice", "smooth": 1.0, "epsilon": 0.0}, 2, 1, 1, _LOGIT_POINTS),
    _case({"name": "dice", "from_logits": False}, 2, 1, 1, _PROB_POINTS),
    _case(
        {"name": "dice", "n_classes": 2, "class_weight": [1.0, 3.0], "smooth": 1.0}, 2, 1, 1, _LOGIT_POINTS
    ),
    _case({"name": "tversky"}, 1, 0.5, 0.5, _LOGIT_POINTS),
    _case({"name": "tversky", "alpha": 0.3, "beta": 0.7}, 1, 0.3, 0.7, _LOGIT_POINTS),
    _case({"name": "tversky", "smooth": 1e-5, "epsilon": 0.0}, 1, 0.5, 0.5, _LOGIT_POINTS),
    _case(
        {"name": "tversky", "alpha": 0.7, "beta": 0.3, "from_logits": False, "smooth": 1.0},
        1,
        0.7,
        0.3,
        _PROB_POINTS,
    ),
]
