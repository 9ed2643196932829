"""Regenerate the worked examples of docs/choosing-a-loss.md: ``python docs/examples/advise_examples.py``.

Each example draws synthetic data with a known truth, runs `losslab.advise` on it and prints the
call and ``str(advice)`` as Markdown; the guide pastes this output verbatim.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import losslab


def _tweedie(rng: np.random.Generator, mu: np.ndarray, p: float = 1.5, phi: float = 1.0) -> np.ndarray:
    lam = mu ** (2 - p) / (phi * (2 - p))
    shape, scale = (2 - p) / (p - 1), phi * (p - 1) * mu ** (p - 1)
    counts = rng.poisson(lam)
    return np.array([rng.gamma(shape, s, size=k).sum() for k, s in zip(counts, scale, strict=True)])


def examples() -> list[tuple[str, str, losslab.Advice]]:
    rng = np.random.default_rng(0)
    n = 2000
    X = rng.normal(size=(n, 3))
    lin = X @ np.array([1.0, -0.5, 0.3])
    frame = pd.DataFrame(X, columns=["x1", "x2", "x3"])
    Xc = rng.normal(size=(5100, 4))
    p = 1 / (1 + np.exp(-(Xc @ [1.0, 1.0, 0.0, 0.0] - 5.0)))
    data = {
        "gauss": lin + rng.normal(size=n),
        "outliers": lin + np.where(rng.random(n) < 0.1, rng.normal(0, 10, n), rng.normal(size=n)),
        "claims": rng.poisson(np.exp(0.5 + 0.4 * lin)).astype(float),
        "price": np.exp(1 + 0.5 * lin) * rng.lognormal(0, 0.5, n),
        "loss_cost": _tweedie(rng, np.exp(0.3 * lin)),
        "yc": (rng.random(5100) < p).astype(int),
        "y": lin + rng.normal(size=n),
        "ratings": np.clip(np.round(3 + lin + rng.normal(size=n)), 1, 5).astype(int),
    }
    calls = [
        ("Gaussian noise", "losslab.advise(frame.assign(y=gauss), target='y')"),
        ("10% gross outliers", "losslab.advise(frame.assign(y=outliers), target='y')"),
        ("Poisson counts", "losslab.advise(frame.assign(claims=claims), target='claims')"),
        ("Multiplicative log-normal noise", "losslab.advise(frame.assign(price=price), target='price')"),
        (
            "Zero-inflated positive amounts (Tweedie p = 1.5)",
            "losslab.advise(frame.assign(loss_cost=loss_cost), target='loss_cost')",
        ),
        (
            "1:50 imbalance, a missed positive costs 10× a false alarm",
            "losslab.advise(Xc, yc, costs={'fp': 1, 'fn': 10})",
        ),
        ("The 90th percentile", "losslab.advise(X, y, predict='quantile:0.9')"),
        ("Ratings 1–5 (ambiguous)", "losslab.advise(X, ratings)"),
    ]
    scope = {"losslab": losslab, "frame": frame, "X": X, "Xc": Xc, **data}
    return [(title, call, eval(call, scope)) for title, call in calls]


def main() -> None:
    for title, call, advice in examples():
        print(f"### {title}\n")
        print("```python")
        print(f">>> print({call})")
        print(str(advice))
        print("```\n")


if __name__ == "__main__":
    main()
