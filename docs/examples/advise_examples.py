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
    out = []

    y = lin + rng.normal(size=n)
    out.append(
        (
            "Gaussian noise",
            "losslab.advise(frame.assign(y=y), target='y')",
            losslab.advise(frame.assign(y=y), target="y"),
        )
    )

    y = lin + np.where(rng.random(n) < 0.1, rng.normal(0, 10, n), rng.normal(size=n))
    out.append(
        (
            "10% gross outliers",
            "losslab.advise(frame.assign(y=y), target='y')",
            losslab.advise(frame.assign(y=y), target="y"),
        )
    )

    y = rng.poisson(np.exp(0.5 + 0.4 * lin)).astype(float)
    out.append(
        (
            "Poisson counts",
            "losslab.advise(frame.assign(claims=y), target='claims')",
            losslab.advise(frame.assign(claims=y), target="claims"),
        )
    )

    y = np.exp(1 + 0.5 * lin) * rng.lognormal(0, 0.5, n)
    out.append(
        (
            "Multiplicative log-normal noise",
            "losslab.advise(frame.assign(price=y), target='price')",
            losslab.advise(frame.assign(price=y), target="price"),
        )
    )

    y = _tweedie(rng, np.exp(0.3 * lin))
    out.append(
        (
            "Zero-inflated positive amounts (Tweedie p = 1.5)",
            "losslab.advise(frame.assign(loss_cost=y), target='loss_cost')",
            losslab.advise(frame.assign(loss_cost=y), target="loss_cost"),
        )
    )

    Xc = rng.normal(size=(5100, 4))
    p = 1 / (1 + np.exp(-(Xc @ [1.0, 1.0, 0.0, 0.0] - 5.0)))
    yc = (rng.random(5100) < p).astype(int)
    out.append(
        (
            "1:50 imbalance, a missed positive costs 10× a false alarm",
            "losslab.advise(Xc, yc, costs={'fp': 1, 'fn': 10})",
            losslab.advise(Xc, yc, costs={"fp": 1, "fn": 10}),
        )
    )

    y = lin + rng.normal(size=n)
    out.append(
        (
            "The 90th percentile",
            "losslab.advise(X, y, predict='quantile:0.9')",
            losslab.advise(X, y, predict="quantile:0.9"),
        )
    )

    ratings = np.clip(np.round(3 + lin + rng.normal(size=n)), 1, 5).astype(int)
    out.append(("Ratings 1–5 (ambiguous)", "losslab.advise(X, ratings)", losslab.advise(X, ratings)))
    return out


def main() -> None:
    for title, call, advice in examples():
        print(f"### {title}\n")
        print("```python")
        print(f">>> print({call})")
        print(str(advice))
        print("```\n")


if __name__ == "__main__":
    main()
