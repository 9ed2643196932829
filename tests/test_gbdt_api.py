"""GBDT objectives in any API: calling-convention detection, the built-ins reproduced with default
arguments (library conventions), the opt-out, and the thin scikit-learn estimators."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import losslab
from losslab.gbdt.conventions import builtin, convention

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
import losslab.lightgbm as ll  # noqa: E402
import losslab.xgboost as lx  # noqa: E402

N, ROUNDS = 2000, 15
XGB = {"max_depth": 4, "eta": 0.3, "nthread": 1}
LGB = {"num_leaves": 15, "learning_rate": 0.3, "verbose": -1, "num_threads": 1, "deterministic": True}
SKL_XGB = {"n_estimators": ROUNDS, "max_depth": 3, "n_jobs": 1}
SKL_LGB = {"n_estimators": ROUNDS, "num_leaves": 7, "verbose": -1, "n_jobs": 1, "deterministic": True}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 5))
    mu = np.exp(0.5 * X[:, 0] + 0.3 * np.sin(X[:, 1]))
    labels = {
        "mse": 2 * X[:, 0] + np.sin(3 * X[:, 1]) + rng.normal(size=N),
        "binary_crossentropy": (X[:, 0] + rng.normal(size=N) > 0.3).astype(float),
        "categorical_crossentropy": np.digitize(X[:, 0] + 0.7 * rng.normal(size=N), [-0.5, 0.6]),
        "poisson": rng.poisson(mu).astype(float),
        "gamma": rng.gamma(2.0, mu / 2),
        "tweedie": rng.poisson(mu) * rng.gamma(2.0, 0.5, N),
        "pseudo_huber": 2 * X[:, 0] + rng.standard_t(2, size=N),
    }
    return X, labels, rng.uniform(0.5, 2.0, N)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# -- (c) the built-ins reproduced with default arguments -------------------------------------------

XGB_BUILTINS = [
    ("mse", {"objective": "reg:squarederror"}),
    ("binary_crossentropy", {"objective": "binary:logistic"}),
    ("categorical_crossentropy", {"objective": "multi:softprob", "num_class": 3}),
    ("poisson", {"objective": "count:poisson"}),
    ("gamma", {"objective": "reg:gamma"}),
    ("tweedie", {"objective": "reg:tweedie", "tweedie_variance_power": 1.5}),
]


@pytest.mark.parametrize(("name", "ref_params"), XGB_BUILTINS, ids=[n for n, _ in XGB_BUILTINS])
def test_xgboost_train_reproduces_the_builtin_by_default(data, name, ref_params):
    X, labels, w = data
    d = xgb.DMatrix(X, label=labels[name], weight=w)
    ref = xgb.train({**XGB, **ref_params}, d, ROUNDS)
    ours = lx.train(name, XGB, d, ROUNDS)  # no adapter arguments
    a, b = ref.predict(d, output_margin=True), ours.predict(d, output_margin=True)
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-5)


def test_xgboost_pseudo_huber_reproduces_the_builtin(data):
    # unweighted: with weights XGBoost's own intercept is an approximate M-estimate (≈1e-4 rel.);
    # unweighted it agrees to float32, and the margins to 1e-5 relative
    X, labels, _ = data
    d = xgb.DMatrix(X, label=labels["pseudo_huber"])
    ref = xgb.train({**XGB, "objective": "reg:pseudohubererror", "huber_slope": 1.0}, d, ROUNDS)
    ours = lx.train("pseudo_huber", XGB, d, ROUNDS)
    np.testing.assert_allclose(ours.predict(d), ref.predict(d), rtol=1e-5, atol=1e-5)


LGB_BUILTINS = [
    ("mse", {"objective": "regression"}),
    ("binary_crossentropy", {"objective": "binary"}),
    ("categorical_crossentropy", {"objective": "multiclass", "num_class": 3}),
    ("poisson", {"objective": "poisson"}),
    ("gamma", {"objective": "gamma"}),
    ("tweedie", {"objective": "tweedie", "tweedie_variance_power": 1.5}),
]


@pytest.mark.parametrize(("name", "ref_params"), LGB_BUILTINS, ids=[n for n, _ in LGB_BUILTINS])
def test_lightgbm_train_reproduces_the_builtin_by_default(data, name, ref_params):
    X, labels, w = data
    y = labels[name]
    ref = lgb.train({**LGB, **ref_params}, lgb.Dataset(X, y, weight=w), ROUNDS)
    extra = {k: v for k, v in ref_params.items() if k != "objective"}
    ours = ll.train(name, {**LGB, **extra}, lgb.Dataset(X, y, weight=w), ROUNDS)
    a, b = ref.predict(X, raw_score=True), ours.predict(X)
    if name == "categorical_crossentropy":  # LightGBM starts from log p, losslab from centred log p
        a, b = softmax(a), softmax(b)
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-5)


def test_conventions_losslab_opts_out(data):
    X, labels, w = data
    y = labels["poisson"]
    d = xgb.DMatrix(X, label=y, weight=w)
    ref = xgb.train({**XGB, "objective": "count:poisson"}, d, ROUNDS).predict(d, output_margin=True)
    exact = lx.train("poisson", XGB, d, ROUNDS, conventions="losslab").predict(d, output_margin=True)
    assert np.abs(exact - ref).max() > 1e-2  # the exact Hessian takes other (undamped) steps
    # the exact objective is the loss's own derivatives, weighted once
    f = np.linspace(-1, 1, N)
    g, h = lx.objective("poisson", conventions="losslab")(f, d)
    loss = losslab.get("poisson")
    np.testing.assert_allclose(g, loss.gradient(y, f) * w, rtol=2e-6)
    np.testing.assert_allclose(h, loss.hessian(y, f) * w, rtol=2e-6)
    # the library form: Hessian × e^0.7; loss.hessian itself stays exact
    g2, h2 = lx.objective("poisson")(f, d)
    np.testing.assert_array_equal(g2, g)
    np.testing.assert_allclose(h2, h * np.exp(0.7), rtol=2e-6)
    with pytest.raises(losslab.ParameterError, match="conventions"):
        ll.objective("mse", conventions="sklearn")


def test_convention_table():
    mse = losslab.get("mse")
    assert convention(mse, "xgboost", "library").scale == 0.5
    assert convention(mse, "xgboost", "losslab").scale == 1.0
    assert convention(mse, "lightgbm", "library", scale=1.0).scale == 1.0  # explicit wins
    cce = convention(losslab.get("categorical_crossentropy"), "lightgbm", "library")
    assert cce.per_class and cce.hessian_scale == 1.0
    assert not convention(
        losslab.get("categorical_crossentropy"), "lightgbm", "library", hessian_scale=1.5
    ).per_class
    pois = convention(losslab.get("poisson"), "xgboost", "library", params={"max_delta_step": 0.2})
    assert pois.hessian_scale == pytest.approx(np.exp(0.2)) and pois.params == (("max_delta_step", 0.2),)
    # an equivalent loss takes the row of its canonical form, its factor dividing the scale
    assert builtin(losslab.get("tweedie", power=1.0), "xgboost")[0].objective == "count:poisson"
    assert builtin(losslab.get("binary_crossentropy", pos_weight=3.0), "xgboost") is None
    assert builtin(losslab.get("huber"), "lightgbm") is None
    assert convention(losslab.get("huber"), "lightgbm", "library").scale == 1.0


def test_per_class_factor_reads_k_from_the_scores(data):
    X, labels, _ = data
    y = labels["categorical_crossentropy"]
    ds = lgb.Dataset(X, y).construct()
    f = np.zeros((N, 3))
    _, h_lib = ll.objective("categorical_crossentropy")(f, ds)
    _, h_exact = ll.objective("categorical_crossentropy", conventions="losslab")(f, ds)
    np.testing.assert_allclose(h_lib, 1.5 * h_exact, rtol=1e-6)
    _, hx = lx.objective("categorical_crossentropy")(f, xgb.DMatrix(X, label=y))
    np.testing.assert_allclose(hx, 2.0 * h_exact, rtol=1e-6)


# -- (a) any API: the objective detects how it is called --------------------------------------------


def test_objective_detects_its_calling_convention(data):
    X, labels, w = data
    y = labels["mse"]
    f = np.linspace(-1, 1, N)
    for obj, native_set, sklearn_call in (
        (
            lx.objective("huber"),
            xgb.DMatrix(X, label=y, weight=w),
            lambda o, y, f, w: o(y, f, sample_weight=w),
        ),
        (ll.objective("huber"), lgb.Dataset(X, y, weight=w).construct(), lambda o, y, f, w: o(y, f, w)),
    ):
        g0, h0 = obj(f, native_set)
        y32, w32 = native_set.get_label(), native_set.get_weight()  # as the libraries store them
        g1, h1 = sklearn_call(obj, y32, f, w32)
        np.testing.assert_array_equal(g0, g1)
        np.testing.assert_array_equal(h0, h1)
        np.testing.assert_allclose(g0, losslab.get("huber").gradient(y, f) * w, rtol=1e-5)
    with pytest.raises(losslab.ParameterError, match="api"):
        lx.objective("mse", api="keras")
    assert lx.objective("mse", api="sklearn")(y, f)[0].shape == (N,)  # api= still accepted


def test_sklearn_regressors_take_the_objective_without_api(data):
    X, labels, w = data
    y = labels["mse"]
    model = xgb.XGBRegressor(objective=lx.objective("huber"), **SKL_XGB).fit(X, y, sample_weight=w)
    assert np.isfinite(model.predict(X)).all()
    # with the loss's base score the plain estimator is the built-in (a callable objective
    # does not estimate one: the wrappers below set it)
    ref = xgb.XGBRegressor(**SKL_XGB).fit(X, y, sample_weight=w)
    base = lx.base_score("mse", y, w)
    ours = xgb.XGBRegressor(objective=lx.objective("mse"), base_score=base, **SKL_XGB).fit(
        X, y, sample_weight=w
    )
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), atol=1e-5)
    model = lgb.LGBMRegressor(objective=ll.objective("mse"), **SKL_LGB).fit(X, y, sample_weight=w)
    assert np.isfinite(model.predict(X)).all()


# -- (b) classifiers give probabilities ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy"])
def test_classifier_wrappers_reproduce_the_builtin_classifiers(data, name):
    X, labels, w = data
    y = np.asarray(labels[name]).astype(int)
    y = np.array(["a", "b", "c"])[y]  # string classes: encoded as the libraries encode them
    ref = lgb.LGBMClassifier(**SKL_LGB).fit(X, y, sample_weight=w)
    ours = ll.LGBMClassifier(**SKL_LGB).fit(X, y, sample_weight=w)  # loss chosen by class count
    p = ours.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(p, ref.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    raw = ours.predict_proba(X, raw_score=True)
    assert raw.shape == ((N,) if name == "binary_crossentropy" else (N, 3))

    ref = xgb.XGBClassifier(**SKL_XGB).fit(X, labels[name].astype(int), sample_weight=w)
    ours = lx.XGBClassifier(name, **SKL_XGB).fit(X, labels[name].astype(int), sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert ours.objective == xgb.XGBClassifier().objective and ours.base_score is None  # params unchanged


def test_plain_lgbm_classifier_with_a_callable_objective_returns_raw_scores(data):
    # the limitation the wrapper exists for (documented in docs/gbdt.md)
    X, labels, _ = data
    y = labels["binary_crossentropy"].astype(int)
    plain = lgb.LGBMClassifier(objective=ll.objective("binary_crossentropy"), **SKL_LGB).fit(X, y)
    with pytest.warns(UserWarning, match="raw scores"):
        out = plain.predict_proba(X)
    assert out.ndim == 1 and (out < 0).any()


@pytest.mark.parametrize(
    ("name", "xgb_obj", "lgb_obj"), [("poisson", "count:poisson", "poisson"), ("mse", None, None)]
)
def test_regressor_wrappers_reproduce_the_builtin_regressors(data, name, xgb_obj, lgb_obj):
    X, labels, w = data
    y = labels[name]
    ref = xgb.XGBRegressor(**SKL_XGB, **({"objective": xgb_obj} if xgb_obj else {})).fit(
        X, y, sample_weight=w
    )
    ours = lx.XGBRegressor(name, **SKL_XGB).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-5, atol=1e-5)  # response scale
    assert ours.max_delta_step is None  # set for the fit only
    ref = lgb.LGBMRegressor(**SKL_LGB, **({"objective": lgb_obj} if lgb_obj else {})).fit(
        X, y, sample_weight=w
    )
    ours = ll.LGBMRegressor(name, **SKL_LGB).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-6, atol=1e-6)


def test_wrappers_clone_pickle_and_search(data):
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    X, labels, _ = data
    y = labels["binary_crossentropy"].astype(int)
    for est in (ll.LGBMClassifier("binary_focal", **SKL_LGB), lx.XGBClassifier("binary_focal", **SKL_XGB)):
        params = clone(est).get_params()
        assert params["loss"] == "binary_focal" and params["n_estimators"] == ROUNDS
        fitted = clone(est).fit(X[:500], y[:500])
        again = pickle.loads(pickle.dumps(fitted))
        np.testing.assert_array_equal(again.predict_proba(X[:20]), fitted.predict_proba(X[:20]))
        grid = GridSearchCV(est, {"conventions": ["library", "losslab"]}, cv=2).fit(X[:400], y[:400])
        assert grid.best_params_["conventions"] in ("library", "losslab")
    with pytest.raises(losslab.ParameterError, match="binary"):
        ll.LGBMClassifier("mse", **SKL_LGB).fit(X[:100], y[:100])
    with pytest.raises(losslab.ParameterError, match="probabilities"):
        ll.LGBMClassifier("hinge", **SKL_LGB).fit(X[:200], y[:200]).predict_proba(X[:5])


def test_faces_do_not_import_their_library_until_used():
    import subprocess
    import sys

    code = (
        "import sys, losslab.xgboost, losslab.lightgbm; "
        "print('xgboost' in sys.modules, 'lightgbm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("face", "name"),
    [(lx, "XGBRegressor"), (lx, "XGBClassifier"), (ll, "LGBMRegressor"), (ll, "LGBMClassifier")],
)
def test_estimator_docstring_examples_run(face, name):
    # built on first use, so --doctest-modules does not collect them
    import doctest

    cls = getattr(face, name)
    tests = doctest.DocTestFinder().find(cls, name, globs={}, extraglobs={})
    runner = doctest.DocTestRunner()
    examples = 0
    for t in tests:
        if t.name == name:  # the class docstring (not the inherited methods')
            examples += len(t.examples)
            runner.run(t)
    assert examples > 0 and runner.failures == 0


def test_show_section_names_the_reproduced_builtins():
    from losslab.gbdt.objective import usage_section

    text = usage_section(losslab.get("poisson"))
    assert "XGBoost's `count:poisson` and LightGBM's `poisson`" in text and "api=" not in text
    assert "lx.XGBRegressor(loss)" in text
    text = usage_section(losslab.get("categorical_crossentropy"))
    assert "`multi:softprob`" in text and "ll.LGBMClassifier(loss)" in text
    assert "conventions=" not in usage_section(losslab.get("huber"))  # no built-in to reproduce


def test_user_subclass_of_a_wrapper_and_params_helper(data):
    X, labels, w = data
    y = labels["poisson"]

    class Mine(ll.LGBMRegressor):
        pass

    mine = Mine("poisson", **SKL_LGB).fit(X, y, sample_weight=w)
    ref = ll.LGBMRegressor("poisson", **SKL_LGB).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(mine.predict(X), ref.predict(X))
    # by hand: lx.params carries the built-in's booster default, lx.objective its scaling
    p = lx.params("poisson", y, w, **XGB)
    assert p["max_delta_step"] == 0.7
    assert "max_delta_step" not in lx.params("poisson", y, w, conventions="losslab")
    d = xgb.DMatrix(X, label=y, weight=w)
    ours = xgb.train(p, d, ROUNDS, obj=lx.objective("poisson"))
    ref = xgb.train({**XGB, "objective": "count:poisson"}, d, ROUNDS)
    np.testing.assert_allclose(
        ours.predict(d, output_margin=True), ref.predict(d, output_margin=True), atol=1e-5
    )
