"""A proportion target takes the soft-label cross-entropy: estimators, compare, and the advice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.sklearn import LossRegressor
from losslab.tasks import soft_label_mean


def _shares(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    p = 1 / (1 + np.exp(-(X @ [1.0, -0.7])))
    return X, rng.binomial(30, p) / 30, p


def test_soft_label_mean_by_metadata() -> None:
    assert soft_label_mean(losslab.get("binary_crossentropy"))
    assert not soft_label_mean(losslab.get("hinge"))
    assert not soft_label_mean(losslab.get("binary_focal"))  # a distorted probability
    assert not soft_label_mean(losslab.get("mse"))


def test_regressor_fits_the_quasi_binomial_mean_by_default() -> None:
    """The linear default reaches the quasi-binomial GLM: its score equations hold at the fit."""
    X, y, _ = _shares()
    est = LossRegressor(loss="binary_crossentropy").fit(X, y)
    pred = est.predict(X)
    assert 0 < pred.min() and pred.max() < 1
    Z = np.column_stack([np.ones(len(y)), (X - X.mean(0)) / X.std(0)])
    assert np.max(np.abs(Z.T @ (pred - y))) / len(y) < 1e-8
    with pytest.raises(losslab.ParameterError, match="LossRegressor needs a regression loss"):
        LossRegressor(loss="hinge").fit(X, y)


def test_compare_runs_the_cross_entropy_on_a_proportion_and_refuses_a_margin_loss() -> None:
    X, y, _ = _shares(seed=1)
    frame = pd.DataFrame(X, columns=["a", "b"]).assign(share=y)
    cmp = losslab.compare(
        frame, target="share", losses=["mse", "binary_crossentropy"], models=["linear"], cv=3
    )
    assert cmp.task == "proportion"
    assert "binary_crossentropy/linear" in set(cmp.leaderboard["candidate"])
    with pytest.raises(losslab.DataError, match="hinge"):
        losslab.compare(frame, target="share", losses=["hinge"], models=["linear"], cv=3)
