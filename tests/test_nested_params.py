"""Losses as nested scikit-learn parameters: get_params/set_params, clone, pickle, GridSearchCV."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import losslab
from losslab import ParameterError

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from losslab.sklearn import LossClassifier, LossRegressor  # noqa: E402

#: the linear model fitted to its optimum (full batch L-BFGS on all rows): deterministic and fast
EXACT = {"optimizer": "lbfgs", "validation_fraction": 0.0, "early_stopping": False, "epochs": 30}


def test_get_params_is_the_parameters_and_set_params_validates_like_the_constructor() -> None:
    h = losslab.get("huber")
    assert h.get_params() == h.get_params(deep=False) == {"delta": 1.0}
    assert h.set_params(delta=2) is h  # scikit-learn's protocol: in place, returns self
    assert h.delta == 2.0 and isinstance(h.delta, float) and h == losslab.get("huber", delta=2.0)
    assert hash(h) == hash(losslab.get("huber", delta=2.0))
    with pytest.raises(
        ParameterError, match=r"parameter 'delta' of loss 'huber' must be in \(0, inf\); got -1.0"
    ):
        h.set_params(delta=-1)
    assert h.delta == 2.0  # unchanged by the failed call
    with pytest.raises(
        ParameterError, match="loss 'huber' has no parameter 'alpha'; its parameters are: delta"
    ):
        h.set_params(alpha=1.0)
    assert h.set_params() is h and h.delta == 2.0
    with pytest.raises(AttributeError, match="immutable"):
        h.delta = 3.0  # plain assignment still refuses: set_params is the one way in


def test_set_params_drops_the_cached_metadata() -> None:
    q = losslab.get("quantile", quantile=0.5)
    assert q.statistic == "quantile(0.5)"  # info is computed and cached here
    q.set_params(quantile=0.9)
    assert q.statistic == "quantile(0.9)" and q.info.statistic.level == 0.9
    tw = losslab.get("tweedie", power=1.5)
    assert tw.info.convex and tw.info.variance_power == 1.5
    tw.set_params(power=3.0)
    assert not tw.info.convex and tw.info.variance_power == 3.0
    assert tw.info == losslab.get("tweedie", power=3.0).info


def test_clone_and_pickle_give_equal_independent_losses() -> None:
    for loss in (
        losslab.get("huber", delta=0.5),
        losslab.get("categorical_crossentropy", class_weight=[1, 2, 3]),
        losslab.get("huber", delta="auto"),
    ):
        for copy in (clone(loss), pickle.loads(pickle.dumps(loss))):
            assert copy == loss and copy is not loss and type(copy) is type(loss)
            assert copy.get_params() == loss.get_params()
    loss = losslab.get("huber", delta=0.5)
    twin = clone(loss)
    twin.set_params(delta=4.0)
    assert loss.delta == 0.5 and twin != loss
    assert pickle.loads(pickle.dumps(twin)) == losslab.get("huber", delta=4.0)


def test_estimators_expose_the_loss_parameters_and_clone() -> None:
    huber = losslab.get("huber")
    reg = LossRegressor(loss=huber)
    params = reg.get_params(deep=True)
    assert params["loss"] is huber and params["loss__delta"] == 1.0
    assert "loss__delta" not in reg.get_params(deep=False)
    twin = clone(reg)  # scikit-learn's identity check of constructor arguments passes
    assert twin.loss == huber and twin.loss is not huber
    clf = LossClassifier(loss=losslab.get("binary_crossentropy", pos_weight=2.0))
    assert clf.get_params()["loss__pos_weight"] == 2.0
    assert clone(clf).get_params()["loss__pos_weight"] == 2.0
    pipe = make_pipeline(StandardScaler(), LossRegressor(loss=losslab.get("quantile")))
    pipe.set_params(lossregressor__loss__quantile=0.8)
    assert pipe.get_params()["lossregressor__loss__quantile"] == 0.8
    with pytest.raises(ParameterError, match="'quantile' of loss 'quantile' must be in"):
        pipe.set_params(lossregressor__loss__quantile=1.5)


def test_the_fitted_loss_is_not_changed_by_later_set_params() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = X @ [1.0, -1.0] + rng.normal(size=40)
    reg = LossRegressor(loss=losslab.get("huber", delta=1.0), **EXACT).fit(X, y)
    reg.set_params(loss__delta=3.0)
    assert reg.loss.delta == 3.0
    assert reg.loss_.delta == 1.0  # the model was trained with δ = 1, and loss_ says so


def test_grid_search_over_huber_delta() -> None:
    # a linear signal, Laplace noise and 10% of gross outliers: the most robust δ predicts the
    # bulk best in absolute error, so the search must pick δ = 0.5 from [0.5, 1, 2]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.laplace(0.0, 1.0, 120)
    y[:12] += 25.0
    huber = losslab.get("huber")
    est = LossRegressor(loss=huber, model="linear", **EXACT)
    search = GridSearchCV(est, {"loss__delta": [0.5, 1, 2]}, cv=3, scoring="neg_mean_absolute_error")
    search.fit(X, y)
    assert search.best_params_ == {"loss__delta": 0.5}
    best = search.best_estimator_
    assert best.loss_ == losslab.get("huber", delta=0.5) and best.loss.delta == 0.5
    scores = search.cv_results_["mean_test_score"]
    assert len(set(np.round(scores, 12))) == 3  # each δ reached its fits: three different models
    assert list(search.cv_results_["param_loss__delta"]) == [0.5, 1, 2]
    assert huber.delta == 1.0  # the search worked on clones; the user's loss is untouched
    # the refit equals a direct fit with δ = 0.5
    direct = LossRegressor(loss=losslab.get("huber", delta=0.5), **EXACT).fit(X, y)
    np.testing.assert_allclose(best.predict(X), direct.predict(X), rtol=0, atol=1e-12)
