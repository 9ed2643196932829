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


def test_sample_weight_equals_repetition_with_the_defaults():
    # the check expected to fail above for mini-batch training holds for the default solver
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ [1.0, -1.0, 0.5] + rng.normal(size=60)
    w = rng.integers(0, 3, 60)
    a = LossRegressor(loss="huber").fit(X, y, sample_weight=w)
    b = LossRegressor(loss="huber").fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-7)


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
    reg = LossRegressor(validation_fraction=0.2).fit(X, y)
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


# -- the defaults converge: model="linear" with no other argument is the closed form / the anchor --


def _glm_data(n=1500, p=6, seed=11):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3.0, p) + rng.normal(0, 2, p)
    eta = (X - X.mean(axis=0)) / X.std(axis=0) @ (rng.normal(size=p) * 0.3) + 0.5
    return rng, X, eta


def _worst(a, b, scale=1.0):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / scale)


def test_default_mse_is_least_squares_also_weighted():
    rng, X, eta = _glm_data()
    y = 3.0 * eta + rng.standard_t(4, len(eta))
    A = np.c_[X, np.ones(len(y))]
    reg = LossRegressor(loss="mse").fit(X, y)
    assert _worst(reg.predict(X), A @ np.linalg.lstsq(A, y, rcond=None)[0], y.std()) < 1e-6
    w = rng.uniform(0.0, 3.0, len(y))
    reg = LossRegressor(loss="mse").fit(X, y, sample_weight=w)
    sw = np.sqrt(w)
    exact = A @ np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)[0]
    assert _worst(reg.predict(X), exact, y.std()) < 1e-6
    # all rows, no hold-out, no early stopping; the history is one record per solver iteration
    assert reg.history_[-1]["val_loss"] is None and reg.best_epoch_ == reg.n_iter_ == len(reg.history_)
    np.testing.assert_allclose(reg.preprocessor_.named_transformers_["num"][-1].mean_, np.average(X, 0, w))


def test_default_binary_crossentropy_is_unpenalised_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng, X, eta = _glm_data(seed=12)
    y = np.where(rng.uniform(size=len(eta)) < 1 / (1 + np.exp(-2 * eta)), "yes", "no")
    clf = LossClassifier().fit(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    assert _worst(clf.predict_proba(X), ref.predict_proba(X)) < 1e-6
    w = rng.uniform(0.0, 3.0, len(y))
    clf = LossClassifier(loss="binary_crossentropy").fit(X, y, sample_weight=w)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=w)
    assert _worst(clf.predict_proba(X), ref.predict_proba(X)) < 1e-6


def test_default_categorical_crossentropy_is_multinomial_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng, X, eta = _glm_data(seed=13)
    logits = np.c_[eta, -eta, 0.5 * eta**2] + rng.gumbel(size=(len(eta), 3))
    y = logits.argmax(axis=1)
    clf = LossClassifier().fit(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    assert _worst(clf.predict_proba(X), ref.predict_proba(X)) < 1e-6


def test_default_poisson_is_the_unpenalised_poisson_glm():
    from sklearn.linear_model import PoissonRegressor

    rng, X, eta = _glm_data(seed=14)
    y = rng.poisson(np.exp(eta)).astype(float)
    reg = LossRegressor(loss="poisson").fit(X, y)
    ref = PoissonRegressor(alpha=0, tol=1e-12, max_iter=10_000).fit(X, y)
    assert _worst(reg.predict(X), ref.predict(X), y.std()) < 1e-6


@pytest.mark.parametrize("name", ["gamma", "tweedie"])
def test_default_gamma_and_tweedie_are_statsmodels_glms(name):
    sm = pytest.importorskip("statsmodels.api")
    rng, X, eta = _glm_data(seed=15)
    mu = np.exp(eta)
    if name == "gamma":
        y = rng.gamma(2.0, mu / 2.0)
        family = sm.families.Gamma(sm.families.links.Log())
    else:  # compound Poisson–gamma, with exact zeros
        y = np.array([rng.gamma(2.0, 0.5, k).sum() for k in rng.poisson(mu)])
        family = sm.families.Tweedie(sm.families.links.Log(), var_power=losslab.get(name).params["power"])
    A = np.c_[np.ones(len(y)), X]
    ref = sm.GLM(y, A, family=family).fit(tol=1e-13, maxiter=1000)
    reg = LossRegressor(loss=name).fit(X, y)
    assert _worst(reg.predict(X), ref.predict(A), y.std()) < 1e-6


@pytest.mark.parametrize("delta", [1.0, 0.5])
def test_default_huber_is_statsmodels_rlm_with_huber_t(delta):
    sm = pytest.importorskip("statsmodels.api")
    rng, X, eta = _glm_data(seed=16)
    y = 2.0 * eta + rng.standard_t(2, len(eta))
    A = np.c_[np.ones(len(y)), X]
    # losslab's δ is in y's units; RLM's t is in units of its scale, so fix the scale at 1
    ref = sm.RLM(y, A, M=sm.robust.norms.HuberT(t=delta)).fit(
        update_scale=False, start_scale=1.0, conv="coefs", tol=1e-13, maxiter=1000
    )
    reg = LossRegressor(loss={"name": "huber", "delta": delta}).fit(X, y)
    assert _worst(reg.predict(X), ref.predict(A), y.std()) < 1e-6


@pytest.mark.parametrize(
    "loss", ["mae", {"name": "quantile", "quantile": 0.2}, {"name": "quantile", "quantile": 0.9}]
)
def test_default_mae_and_quantile_reach_the_linear_program_optimum(loss):
    from sklearn.linear_model import QuantileRegressor

    rng, X, eta = _glm_data(seed=17)
    y = 2.0 * eta + rng.standard_t(2, len(eta))
    loss = losslab.get(loss)
    tau = loss.params.get("quantile", 0.5)
    ref = QuantileRegressor(quantile=tau, alpha=0, solver="highs").fit(X, y)
    best = float(loss(y, ref.predict(X)))
    ours = float(loss(y, LossRegressor(loss=loss).fit(X, y).predict(X)))
    assert ours == pytest.approx(best, rel=1e-4)


def test_default_hinge_reaches_the_linear_program_optimum():
    from scipy.optimize import linprog

    rng, X, eta = _glm_data(seed=18)
    y = (rng.uniform(size=len(eta)) < 1 / (1 + np.exp(-2 * eta))).astype(int)
    n, p = X.shape
    s = 2.0 * y - 1.0
    A = np.c_[np.ones(n), X]
    # min Σξ/n  s.t.  ξᵢ ≥ 1 − sᵢ(Aᵢβ), ξ ≥ 0
    lp = linprog(
        np.r_[np.zeros(p + 1), np.full(n, 1.0 / n)],
        A_ub=np.c_[-s[:, None] * A, -np.eye(n)],
        b_ub=-np.ones(n),
        bounds=[(None, None)] * (p + 1) + [(0, None)] * n,
        method="highs",
    )
    clf = LossClassifier(loss="hinge").fit(X, y)
    ours = float(losslab.get("hinge")(y.astype(float), clf.decision_function(X)))
    assert ours == pytest.approx(lp.fun, rel=1e-4)


def test_networks_and_boosting_keep_the_hold_out_and_early_stopping():
    rng = np.random.default_rng(19)
    X = rng.normal(size=(300, 2))
    y = X[:, 0] + rng.normal(size=300)
    mlp = LossRegressor(model="mlp", hidden=(4,), epochs=3).fit(X, y)
    assert mlp._optimizer() == "adam" and mlp._validation_fraction() == 0.1 and mlp._early_stopping()
    assert all(r["val_loss"] is not None for r in mlp.history_)
    gbdt = LossRegressor(model="gbdt", epochs=3)
    assert gbdt._validation_fraction() == 0.1 and gbdt._early_stopping()
    lin = LossRegressor()
    assert lin._optimizer() == "solver" and lin._validation_fraction() == 0.0 and not lin._early_stopping()
    # gradient descent stays available for the linear model, with its hold-out and early stopping
    sgd = LossRegressor(optimizer="sgd", epochs=3).fit(X, y)
    assert sgd._validation_fraction() == 0.1 and sgd.history_[0]["lr"] == 0.01
    assert sgd.history_[0]["val_loss"] is not None


def test_solver_hold_out_is_scored_and_wrong_combinations_fail_fast():
    rng = np.random.default_rng(20)
    X = rng.normal(size=(200, 2))
    y = X[:, 0] + rng.normal(size=200)
    reg = LossRegressor(validation_fraction=0.25, metrics=("rmse",)).fit(X, y)
    assert all(r["val_loss"] is not None and r["rmse"] > 0 for r in reg.history_)
    with pytest.raises(losslab.ParameterError, match="early_stopping=True needs epochs"):
        LossRegressor(early_stopping=True).fit(X, y)
    with pytest.raises(losslab.ParameterError, match="fits model='linear' only"):
        LossRegressor(model="mlp", optimizer="solver").fit(X, y)
    from sklearn.exceptions import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match="max_iter=2 iterations"):
        LossRegressor(loss="mae", max_iter=2).fit(X, y)
    assert LossRegressor(loss="mae", epochs=1).fit(X, y).n_iter_ > 1  # epochs are gradient descent's


def test_step_trace_of_the_default_fit():
    rng = np.random.default_rng(21)
    X = rng.normal(size=(100, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=100)
    reg = LossRegressor().fit(X, y)
    start = reg.step_trace(X, y, initial=True)  # the first gradient step from the baseline model
    assert start.lr == 0.01 and start.loss_after < start.loss
    at_optimum = reg.step_trace(X, y)  # the solver stopped where the gradient vanishes
    assert max(np.abs(p.grad).max() for p in at_optimum.params) < 1e-6 * start.loss
    assert at_optimum.loss == pytest.approx(reg.history_[-1]["train_loss"], rel=1e-12)


@pytest.mark.parametrize("sigmoid", [1.0, 2.0])
def test_one_vs_rest_probabilities_are_normalised_as_scikit_learns_ovr(sigmoid: float) -> None:
    """multiclassova estimates σ(c zⱼ) per class against the rest, rows need not sum to 1: the
    classifier's predict_proba divides by their sum (scikit-learn's one-vs-rest normalisation),
    predict_log_proba is its log in log space, and the log loss scores that distribution."""
    from losslab._core import special
    from losslab.metrics import get_metric
    from losslab.sklearn.estimators import class_logits

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X @ [1.0, -1.0, 0.5] + rng.logistic(size=300) > 0).astype(int) + (X[:, 0] + rng.normal(size=300) > 1)
    est = LossClassifier(loss={"name": "multiclassova", "sigmoid": sigmoid}).fit(X, y)
    raw = est.decision_function(X)
    s = 1.0 / (1.0 + np.exp(-sigmoid * raw))
    p = s / s.sum(1, keepdims=True)
    np.testing.assert_allclose(est.predict_proba(X), p, rtol=1e-13)
    np.testing.assert_allclose(est.predict_log_proba(X), np.log(p), rtol=1e-12)
    # σ(−800 c) underflows to 0; its normalised log probability is exact in log space
    far = np.array([[-800.0, 0.0, 5.0]])
    rest = np.log(np.sum(1.0 / (1.0 + np.exp(-sigmoid * far[0, 1:]))))
    log_p = special.log_softmax(np, class_logits(est.loss_, far))
    assert np.isclose(log_p[0, 0], -800.0 * sigmoid - rest, rtol=1e-15, atol=0)
    assert get_metric("log_loss")(est._predictions(raw, y)) == pytest.approx(
        -np.mean(np.log(p[np.arange(300), y]))
    )
