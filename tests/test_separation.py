"""A linear model on separable classes: the unpenalised optimum is at infinity, so the default fit
warns and uses scikit-learn's LogisticRegression default penalty instead of running off."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from losslab.sklearn import LossClassifier, SeparationWarning


@pytest.mark.parametrize("load", [load_breast_cancer, load_iris], ids=["breast_cancer", "iris"])
def test_separable_classes_warn_and_get_the_default_ridge(load) -> None:
    X, y = load(return_X_y=True)
    with pytest.warns(SeparationWarning, match="no finite optimum"):
        est = LossClassifier().fit(X, y)
    # it is scikit-learn's default logistic regression (C = 1) on the standardised features
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000)).fit(X, y)
    assert np.max(np.abs(est.predict_proba(X) - ref.predict_proba(X))) < 1e-5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        held_out = -cross_val_score(
            LossClassifier(), X, y, cv=KFold(5, shuffle=True, random_state=0), scoring="neg_log_loss"
        ).mean()
    assert held_out < 0.25  # the unpenalised fit gave 1.7 (breast cancer) and 0.52 (iris)


def test_overlapping_classes_keep_the_unpenalised_fit() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = (X[:, 0] + rng.normal(size=600) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        est = LossClassifier().fit(X, y)
    ref = LogisticRegression(penalty=None, tol=1e-12, max_iter=10_000).fit(X, y)
    assert np.max(np.abs(est.predict_proba(X) - ref.predict_proba(X))) < 1e-6


def test_a_chosen_penalty_is_used_as_given() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    n = len(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        est = LossClassifier(weight_decay=10.0 / n).fit(X, y)
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, tol=1e-12, max_iter=10_000)).fit(X, y)
    assert np.max(np.abs(est.predict_proba(X) - ref.predict_proba(X))) < 1e-5
