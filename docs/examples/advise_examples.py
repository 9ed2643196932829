"""Worked examples of docs/choosing-a-loss.md.

``python docs/examples/advise_examples.py --write docs/choosing-a-loss.md`` regenerates the
guide's threshold table, rule table and examples in place; without arguments the examples are printed.

Each example draws synthetic data with a known truth, runs `losslab.advise` on it and prints the
call and ``str(advice)`` as Markdown; the guide pastes this output verbatim.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import losslab
from losslab.advise.rules import table_markdown


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


def examples_markdown() -> str:
    out = []
    for title, call, advice in examples():
        out += [f"### {title}\n", "```python", f">>> print({call})", str(advice), "```\n"]
    return "\n".join(out)


def thresholds_markdown() -> str:
    from losslab.advise import THRESHOLDS

    rows = ["| key | value | source |", "|---|---|---|"]
    rows += [f"| `{k}` | {v:g} | {src} |" for k, (v, src) in THRESHOLDS.items()]
    return "\n".join(rows) + "\n"


def _splice(text: str, name: str, body: str) -> str:
    begin, end = f"<!-- BEGIN generated: {name} -->", f"<!-- END generated: {name} -->"
    i, j = text.index(begin) + len(begin), text.index(end)
    return text[:i] + "\n" + body + text[j:]


def main() -> None:
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        path = sys.argv[2]
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        text = _splice(text, "thresholds", thresholds_markdown())
        text = _splice(text, "rules", table_markdown())
        text = _splice(text, "examples", examples_markdown())
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        print(examples_markdown())


if __name__ == "__main__":
    main()
