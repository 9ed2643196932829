"""LossRegressor / LossClassifier: scikit-learn's estimator checks and the scikit-learn tools."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pd = pytest.importorskip("pandas")
sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_validate  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import PolynomialFeatures  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import losslab  # noqa: E402
from losslab.sklearn import LossClassifier, LossRegressor, expected_failed_checks  # noqa: E402

FAST = dict(epochs=20, lr=0.05, batch_size=32, patience=5)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@parametrize_with_checks(
    [
        LossRegressor(),  # the defaults: the linear model fitted to the optimum by the solver
        LossClassifier(),
        LossClassifier(loss="hinge"),
        LossRegressor(optimizer="adam", **FAST),  # mini-batch gradient descent with a hold-out
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_sample_weight_equals_repetition_in_the_deterministic_setting():
    # the check expected to fail above holds exactly for full-batch L-BFGS without a validation split
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ [1.0, -1.0, 0.5] + rng.normal(size=60)
    w = rng.integers(0, 3, 60)
    exact = dict(optimizer="lbfgs", validation_fraction=0.0, early_stopping=False, epochs=30)
    a = LossRegressor(loss="huber", **exact).fit(X, y, sample_weight=w)
    # repetition changes the preprocessing's mean/scale in the same way as the weights do not, so
    # compare in the original units
    b = LossRegressor(loss="huber", **exact).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-5, atol=1e-6)


def _mixed_frame(n=240, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "count": pd.array(rng.integers(0, 10, n), dtype="Int64"),
            "city": rng.choice(["paris", "lyon", "nice"], n).astype(object),
            "kind": pd.Categorical(rng.choice(["a", "b"], n)),
            "flag": rng.uniform(size=n) > 0.5,
        }
    )
    df.loc[::7, "num"] = np.nan
    df.loc[::11, "count"] = pd.NA
    df.loc[::13, "city"] = None
    y = 2.0 * df["num"].fillna(0) + (df["city"] == "paris") * 3.0 + df["flag"] + rng.normal(0, 0.1, n)
    return df, y.to_numpy()


def test_dataframe_with_categories_and_missing_values():
    df, y = _mixed_frame()
    reg = LossRegressor(loss="mse", optimizer="lbfgs", validation_fraction=0.0, epochs=20).fit(df, y)
    names = list(reg.preprocessor_.get_feature_names_out())
    assert names[:3] == ["num", "count", "flag"]
    assert {"city_paris", "city_lyon", "city_nice", "city___missing__", "kind_a", "kind_b"} <= set(names)
    assert reg.coef_.shape == (len(names),)
    coef = dict(zip(names, reg.coef_, strict=True))
    assert coef["city_paris"] - coef["city_lyon"] == pytest.approx(3.0, abs=0.1)
    assert reg.score(df, y) > 0.9
    new = df.head(3).copy()
    new.loc[new.index[0], "city"] = "marseille"  # unseen category → all-zero one-hot
    assert np.isfinite(reg.predict(new)).all()
    assert list(reg.feature_names_in_) == list(df.columns)


def test_preprocessing_is_fitted_on_training_rows_only():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 2))
    y = X[:, 0]
    reg = LossRegressor(epochs=2, validation_fraction=0.2).fit(X, y)
    from losslab.train import split_validation

    tr, _ = split_validation(100, 0.2, seed=0)
    scaler = reg.preprocessor_.named_transformers_["num"][-1]
    np.testing.assert_allclose(scaler.mean_, X[tr].mean(axis=0))


def test_classifier_labels_of_any_type_and_probabilities():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 2))
    labels = np.array(["cat", "dog", "emu"], dtype=object)
    y = labels[np.argmax(X @ [[2.0, -1.0, 0.0], [0.0, 1.0, -2.0]] + rng.gumbel(size=(300, 3)), axis=1)]
    clf = LossClassifier(epochs=40).fit(X, y)
    assert clf.loss_.name == "categorical_crossentropy"
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(P), rtol=1e-10)
    assert set(clf.predict(X)) <= set(labels)
    assert clf.decision_function(X).shape == (300, 3)
    assert clf.coef_.shape == (3, 2) and clf.intercept_.shape == (3,)
    assert clf.score(X, y) > 0.6


def test_binary_labels_and_kl_divergence_style_losses():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 2))
    y = np.where(X[:, 0] + rng.logistic(size=200) > 0, True, False)
    clf = LossClassifier(epochs=20).fit(X, y)
    assert clf.loss_.name == "binary_crossentropy" and list(clf.classes_) == [False, True]
    assert clf.decision_function(X).shape == (200,)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[(clf.decision_function(X) > 0).astype(int)])
    kl = LossClassifier(loss="kl_divergence", epochs=20).fit(X, y)  # labels become one-hot rows
    assert kl.predict_proba(X).shape == (200, 2)


def test_hinge_has_decision_function_but_no_probabilities():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    clf = LossClassifier(loss="hinge", epochs=60, lr=0.05)
    assert not hasattr(clf, "predict_proba") and not hasattr(clf, "predict_log_proba")
    clf.fit(X, y)
    assert not hasattr(clf, "predict_proba")
    assert clf.score(X, y) > 0.9
    assert hasattr(LossClassifier(), "predict_proba")
    with pytest.raises(losslab.DataError, match="Only binary classification is supported by loss 'hinge'"):
        LossClassifier(loss="hinge", epochs=2).fit(X, np.arange(200) % 3)


def test_regression_predicts_the_statistic_of_the_loss():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2000, 1))
    y = X[:, 0] + rng.exponential(1.0, 2000)  # skewed noise: median < mean
    kw = dict(
        epochs=40, lr=0.1, batch_size=250, validation_fraction=0.0, early_stopping=False, schedule="cosine"
    )
    mean = LossRegressor(loss="mse", **kw).fit(X, y).predict(X)
    median = LossRegressor(loss="mae", **kw).fit(X, y).predict(X)
    q = LossRegressor(loss={"name": "quantile", "quantile": 0.25}, **kw).fit(X, y).predict(X)
    resid = y - X[:, 0]
    assert np.mean(mean - X[:, 0]) == pytest.approx(resid.mean(), abs=0.05)
    assert np.mean(median - X[:, 0]) == pytest.approx(np.median(resid), abs=0.05)
    assert np.mean(y <= q) == pytest.approx(0.25, abs=0.03)


def test_pipeline_cross_validate_and_grid_search():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(150, 2))
    y = X[:, 0] ** 2 + X[:, 1] + rng.normal(0, 0.1, 150)
    pipe = make_pipeline(PolynomialFeatures(2), LossRegressor(epochs=30, lr=0.05))
    cv = cross_validate(pipe, X, y, cv=3, scoring="r2")
    assert np.all(cv["test_score"] > 0.8)
    grid = GridSearchCV(
        LossRegressor(epochs=15, lr=0.05), {"loss": ["mse", "huber"], "model": ["linear", "mlp"]}, cv=2
    ).fit(X, y)
    assert grid.best_params_["model"] == "mlp"  # y is not linear in X
    yc = (y > np.median(y)).astype(int)
    clf_cv = cross_validate(LossClassifier(epochs=15), X, yc, cv=3, scoring=("accuracy", "neg_log_loss"))
    assert np.all(clf_cv["test_accuracy"] > 0.6)


def test_clone_pickle_and_joblib_round_trip(tmp_path):
    import pickle

    import joblib

    df, y = _mixed_frame(n=80)
    reg = LossRegressor(model="mlp", hidden=(8,), epochs=5).fit(df, y)
    again = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(again.predict(df), reg.predict(df))
    joblib.dump(reg, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").predict(df), reg.predict(df))
    assert not hasattr(clone(reg), "model_")


def test_bad_data_raises_clear_losslab_errors():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(50, 2))
    with pytest.raises(losslab.DataError, match="one class only"):
        LossClassifier(epochs=1).fit(X, np.ones(50))
    with pytest.raises(losslab.DomainError, match="msle"):
        LossRegressor(loss="msle", epochs=1).fit(X, np.full(50, -3.0))
    with pytest.raises(losslab.ParameterError, match="cannot take the model's raw scores"):
        LossClassifier(loss={"name": "binary_crossentropy", "from_logits": False}, epochs=1).fit(
            X, np.arange(50) % 2
        )  # the model outputs logits, not probabilities in [0, 1]
    Xn = X.copy()
    Xn[:, 1] = np.nan
    with pytest.raises(losslab.DataError, match="feature column 1 has no values"):
        LossRegressor(epochs=1).fit(Xn, X[:, 0])
    with pytest.raises(losslab.ParameterError, match="regression loss"):
        LossClassifier(loss="mse").fit(X, np.arange(50) % 2)
    with pytest.raises(losslab.ParameterError, match="needs a regression loss"):
        LossRegressor(loss="hinge").fit(X, X[:, 0])
    with pytest.raises(losslab.ParameterError, match="model must be 'linear', 'mlp', 'gbdt' or 'constant'"):
        LossRegressor(model="forest").fit(X, X[:, 0])
    with pytest.raises(losslab.ParameterError, match="gaussian_nll"):
        LossRegressor(loss="gaussian_nll").fit(X, X[:, 0])
    with pytest.raises(losslab.UnknownLossError):
        LossRegressor(loss="no_such_loss").fit(X, X[:, 0])


def test_gbdt_with_mse_and_bce_is_lightgbm_itself():
    lgb = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(8)
    X = rng.normal(size=(500, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + rng.normal(0, 0.3, 500)
    same = dict(n_estimators=20, verbose=-1, deterministic=True, force_row_wise=True, num_threads=1)
    ours = dict(model="gbdt", epochs=20, validation_fraction=0.0, early_stopping=False)
    reg = LossRegressor(**ours).fit(X, y)
    ref = lgb.LGBMRegressor(**same).fit(X, y)  # half-MSE: the same Newton leaves
    np.testing.assert_allclose(reg.predict(X), ref.predict(X), atol=1e-7)
    yc = (y > 1).astype(int)
    clf = LossClassifier(**ours).fit(X, yc)
    np.testing.assert_allclose(
        clf.predict_proba(X), lgb.LGBMClassifier(**same).fit(X, yc).predict_proba(X), atol=1e-9
    )
    assert reg.n_iter_ == len(reg.history_) == 20
    with pytest.raises(AttributeError):
        reg.coef_


def test_gbdt_early_stopping_quantile_multiclass_and_tiny_data():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(600, 2))
    y = X[:, 0] + rng.normal(size=600)
    reg = LossRegressor(model="gbdt", loss={"name": "quantile", "quantile": 0.8}, epochs=300, patience=5)
    reg.fit(X, y)
    assert reg.n_iter_ < 300 and reg.best_epoch_ <= reg.n_iter_
    assert all(r["val_loss"] is not None for r in reg.history_)
    assert np.mean(y <= reg.predict(X)) == pytest.approx(0.8, abs=0.05)
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    clf = LossClassifier(model="gbdt", epochs=30).fit(X, y3)
    assert clf.predict_proba(X).shape == (600, 3) and clf.score(X, y3) > 0.8
    tiny = LossRegressor(model="gbdt", epochs=5, validation_fraction=0.0).fit(X[:8], y[:8])  # the constant
    np.testing.assert_allclose(tiny.predict(X[:3]), np.mean(y[:8]), rtol=1e-6)
