"""Embedded demo data sets: no download, ever.

``diabetes``, ``breast_cancer`` and ``wine`` are the small tables scikit-learn ships inside its
package (``sklearn/datasets/data``), returned as DataFrames with a named target column;
``heavy_tails`` and ``claims`` are generated deterministically from a seed.

>>> from losslab.datasets import load, target_of
>>> frame = load("diabetes")
>>> frame.shape, target_of("diabetes")
((442, 11), 'progression')
"""

from __future__ import annotations

from typing import Any

from ._core.errors import DataError

__all__ = ["DATASETS", "list_datasets", "load", "target_of"]

#: name → (target column, task, description)
DATASETS: dict[str, tuple[str, str, str]] = {
    "diabetes": (
        "progression",
        "regression",
        "442 patients, 10 baseline measurements; disease progression one year later "
        "(Efron et al. 2004; shipped with scikit-learn).",
    ),
    "breast_cancer": (
        "diagnosis",
        "binary",
        "569 tumours, 30 features of cell nuclei; diagnosis 'malignant' or 'benign' "
        "(Wisconsin diagnostic data; shipped with scikit-learn).",
    ),
    "wine": (
        "cultivar",
        "multiclass",
        "178 wines, 13 chemical measurements; one of three cultivars (shipped with scikit-learn).",
    ),
    "heavy_tails": (
        "y",
        "regression",
        "600 rows, 5 features, a linear signal plus Student-t (ν = 1.5) noise: outliers that "
        "squared error chases and Huber/absolute error resist (synthetic, seed 0).",
    ),
    "claims": (
        "claim_amount",
        "regression",
        "2000 policies, 4 features (one categorical, some missing); the amount is 0 for most and "
        "Gamma-distributed when a Poisson number of claims occurs — Tweedie territory (synthetic, seed 0).",
    ),
}


def list_datasets() -> list[str]:
    """Names of the embedded data sets."""
    return list(DATASETS)


def target_of(name: str) -> str:
    """The target column of data set ``name``."""
    return _entry(name)[0]


def _entry(name: str) -> tuple[str, str, str]:
    if name not in DATASETS:
        raise DataError(f"unknown data set {name!r}; the embedded ones are {', '.join(DATASETS)}.")
    return DATASETS[name]


def load(name: str = "diabetes") -> Any:
    """Data set ``name`` as a pandas DataFrame whose target column is `target_of(name)`.

    Raises
    ------
    DataError
        An unknown name.
    """
    import numpy as np
    import pandas as pd

    target = _entry(name)[0]
    if name in ("diabetes", "breast_cancer", "wine"):
        from sklearn import datasets as skd

        loader = {
            "diabetes": skd.load_diabetes,
            "breast_cancer": skd.load_breast_cancer,
            "wine": skd.load_wine,
        }
        bunch = loader[name](as_frame=True)
        frame = bunch.frame.rename(columns={"target": target})
        if name == "breast_cancer":
            frame[target] = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
        elif name == "wine":
            frame[target] = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
        return frame
    rng = np.random.default_rng(0)
    if name == "heavy_tails":
        n = 600
        X = rng.normal(size=(n, 5))
        y = X @ np.array([2.0, -1.0, 0.5, 0.0, 1.5]) + 3.0 + rng.standard_t(1.5, size=n)
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, 6)])
        frame[target] = y
        return frame
    n = 2000
    age = rng.uniform(18, 80, n)
    power = rng.gamma(4.0, 20.0, n)
    density = rng.lognormal(5.0, 1.0, n)
    region = rng.choice(np.array(["north", "south", "east", "west"]), n, p=[0.4, 0.3, 0.2, 0.1])
    eta = -2.2 + 0.012 * (age - 45) ** 2 / 10 + 0.004 * (power - 80) + 0.25 * (region == "south")
    counts = rng.poisson(np.exp(eta))
    severity = np.array(
        [
            rng.gamma(2.0, 600.0 * (1 + 0.2 * (r == "east")), c).sum()
            for c, r in zip(counts, region, strict=True)
        ]
    )
    frame = pd.DataFrame({"age": age, "vehicle_power": power, "density": density, "region": region})
    frame.loc[rng.random(n) < 0.03, "density"] = np.nan
    frame[target] = severity
    return frame
