"""GBDT bridges: parity with XGBoost/LightGBM built-ins, init scores, Hessian policies, leaf
refit, weights applied once, scikit-learn scorers."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import losslab
from losslab._core.baseline import weighted_quantile
from losslab.gbdt.objective import GradHess, default_policy, resolve_policy

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
import losslab.lightgbm as ll  # noqa: E402
import losslab.xgboost as lx  # noqa: E402

ROUNDS = 20


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 600
    X = rng.normal(size=(n, 5))
    y = 2 * X[:, 0] + np.sin(3 * X[:, 1]) + rng.normal(size=n) * 0.5 + 3
    yb = (X[:, 0] + rng.normal(size=n) > 0.3).astype(float)
    yc = np.digitize(X[:, 0] + 0.7 * rng.normal(size=n), [-0.5, 0.6])
    w = rng.uniform(0.5, 2.0, n)
    return X, y, yb, yc, w


XGB_PARAMS = {"max_depth": 3, "eta": 0.3, "nthread": 1}
LGB_PARAMS = {
    "num_leaves": 7,
    "learning_rate": 0.3,
    "verbose": -1,
    "min_data_in_leaf": 5,
    "deterministic": True,
    "num_threads": 1,
}


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# -- init score --------------------------------------------------------------------------------


def _one_sided(loss, y, c, w):
    d = 1e-7 * (1 + abs(c))
    lo = loss.gradient(y, np.full(len(y), c - d), sample_weight=w).sum() / w.sum()
    hi = loss.gradient(y, np.full(len(y), c + d), sample_weight=w).sum() / w.sum()
    return lo, hi


@pytest.mark.parametrize("name", losslab.list_losses())
def test_baseline_is_the_best_constant(name):
    loss = losslab.get(name)
    y, f = loss.example(300, seed=3)
    w = np.random.default_rng(1).uniform(0.2, 2.0, len(y))
    if loss.target_type is not None and loss.info.task in ("embedding", "sequence"):  # pairs, CTC
        with pytest.raises(losslab.UnsupportedError, match="no best constant prediction"):
            loss.baseline(y, w)
        return
    c = loss.baseline(y, w)
    if loss.multiclass:
        k = np.shape(f)[1]
        F = np.broadcast_to(c, np.shape(f)).copy()
        # log-probability rows: a minimum on the log-simplex Σ e^F = 1, where the gradient is
        # normal to it (∥ e^F) and the neighbours are taken back onto it
        on_simplex = loss.info.y_pred.kind == "log_probability_row"
        if loss.info.smooth:
            g = loss.gradient(y, F, sample_weight=w).sum(axis=0) / w.sum()
            if on_simplex:
                p = np.exp(c)
                g = g - p * (g @ p) / (p @ p)
            assert np.max(np.abs(g)) < 1e-7
        v = float(loss(y, F, sample_weight=w))
        for j in range(k):  # nothing nearby is better
            for d in (-1e-3, 1e-3):
                G = F.copy()
                G[:, j] += d
                if on_simplex:
                    G -= np.log(np.exp(G).sum(axis=1, keepdims=True))
                assert v <= float(loss(y, G, sample_weight=w)) + 1e-12
        return
    if loss.info.gradient == "recipe":
        pass  # its gradient is no derivative of the value: only the value's minimum is checked
    elif loss.info.smooth:
        g = loss.gradient(y, np.full(len(y), c), sample_weight=w).sum() / w.sum()
        assert abs(g) < 1e-8
    else:  # 0 lies in the subdifferential: the one-sided derivatives bracket it
        lo, hi = _one_sided(loss, y, c, w)
        assert lo <= 1e-12 and hi >= -1e-12
    # and nothing nearby is better
    v = float(loss(y, np.full(len(y), c), sample_weight=w))
    for dc in (-1e-3, 1e-3):
        assert v <= float(loss(y, np.full(len(y), c + dc), sample_weight=w)) + 1e-12


def test_baseline_closed_forms(data):
    _, y, yb, yc, w = data
    assert losslab.get("mse").baseline(y, w) == pytest.approx(np.average(y, weights=w), rel=1e-14)
    p = np.average(yb, weights=w)
    assert losslab.get("binary_crossentropy").baseline(yb, w) == pytest.approx(np.log(p / (1 - p)), rel=1e-13)
    freq = np.bincount(yc, weights=w) / w.sum()
    expected = np.log(freq) - np.log(freq).mean()
    np.testing.assert_allclose(losslab.get("categorical_crossentropy").baseline(yc, w), expected, rtol=1e-13)
    for tau in (0.1, 0.5, 0.8):
        got = losslab.get("quantile", quantile=tau).baseline(y)
        assert got == np.quantile(y, tau, method="averaged_inverted_cdf")
    assert losslab.get("mae").baseline([1.0, 2.0, 3.0, 10.0]) == 2.5


def test_baseline_falls_back_when_a_parameter_moves_the_optimum(data):
    _, _, yb, _, w = data
    # pos_weight changes the optimum: the closed form fails its check, the root search finds
    # log(w₊ p / (1 − p))
    p = np.average(yb, weights=w)
    got = losslab.get("binary_crossentropy", pos_weight=3.0).baseline(yb, w)
    assert got == pytest.approx(np.log(3.0 * p / (1 - p)), rel=1e-10)


def test_baseline_infinite_optimum_is_an_error():
    with pytest.raises(losslab.DataError, match="-inf"):
        losslab.get("binary_crossentropy").baseline([0.0, 0.0, 0.0])
    with pytest.raises(losslab.DataError, match="class 1"):
        losslab.get("categorical_crossentropy").baseline([0, 2, 2, 0])


def test_weighted_quantile_convention():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert weighted_quantile(y, None, 0.5) == 2.5  # C_j = τW exactly: midpoint
    assert weighted_quantile(y, [1, 1, 1, 5], 0.5) == 4.0
    assert weighted_quantile(y, [1, 0, 0, 1], 0.5) == 2.5  # zero weights ignored: (1 + 4)/2
    assert weighted_quantile(y, None, 0.3) == 2.0


# -- parity with the built-ins -----------------------------------------------------------------


def test_xgboost_parity_mse_bce_softprob(data):
    X, y, yb, yc, w = data
    d = xgb.DMatrix(X, label=y, weight=w)
    ref = xgb.train({**XGB_PARAMS, "objective": "reg:squarederror"}, d, ROUNDS)
    ours = lx.train("mse", XGB_PARAMS, d, ROUNDS, scale=0.5)
    np.testing.assert_allclose(ours.predict(d), ref.predict(d), rtol=0, atol=1e-6)

    d = xgb.DMatrix(X, label=yb, weight=w)
    ref = xgb.train({**XGB_PARAMS, "objective": "binary:logistic"}, d, ROUNDS)
    ours = lx.train("binary_crossentropy", XGB_PARAMS, d, ROUNDS)
    prob = 1 / (1 + np.exp(-ours.predict(d).astype(np.float64)))
    np.testing.assert_allclose(prob, ref.predict(d), rtol=0, atol=1e-6)

    d = xgb.DMatrix(X, label=yc, weight=w)
    ref = xgb.train({**XGB_PARAMS, "objective": "multi:softprob", "num_class": 3}, d, ROUNDS)
    ours = lx.train("categorical_crossentropy", XGB_PARAMS, d, ROUNDS, hessian_scale=2.0)
    prob = softmax(ours.predict(d, output_margin=True).astype(np.float64))
    np.testing.assert_allclose(prob, ref.predict(d), rtol=0, atol=1e-6)


def test_lightgbm_parity_regression_binary_multiclass(data):
    X, y, yb, yc, w = data
    ref = lgb.train({**LGB_PARAMS, "objective": "regression"}, lgb.Dataset(X, y, weight=w), ROUNDS)
    ours = ll.train("mse", LGB_PARAMS, lgb.Dataset(X, y, weight=w), ROUNDS, scale=0.5)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=0, atol=1e-6)

    ref = lgb.train({**LGB_PARAMS, "objective": "binary"}, lgb.Dataset(X, yb, weight=w), ROUNDS)
    ours = ll.train("binary_crossentropy", LGB_PARAMS, lgb.Dataset(X, yb, weight=w), ROUNDS)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X, raw_score=True), rtol=0, atol=1e-6)

    p = {**LGB_PARAMS, "num_class": 3}
    ref = lgb.train({**p, "objective": "multiclass"}, lgb.Dataset(X, yc, weight=w), ROUNDS)
    ours = ll.train("categorical_crossentropy", p, lgb.Dataset(X, yc, weight=w), ROUNDS, hessian_scale=1.5)
    np.testing.assert_allclose(softmax(ours.predict(X)), ref.predict(X), rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def heavy():
    rng = np.random.default_rng(0)
    n = 4000
    X = rng.normal(size=(n, 6))
    y = 2 * X[:, 0] + np.sin(3 * X[:, 1]) + rng.normal(size=n) * (1 + np.abs(X[:, 2]))  # heteroscedastic
    return X[:2000], y[:2000], X[2000:], y[2000:]


LGB_ROBUST = {"num_leaves": 15, "learning_rate": 0.1, "verbose": -1, "min_data_in_leaf": 20, "num_threads": 1}
XGB_ROBUST = {"max_depth": 4, "eta": 0.1, "nthread": 1}


@pytest.mark.parametrize("tau", [0.2, 0.5, 0.8])
def test_quantile_matches_builtin_heldout_pinball(heavy, tau):
    Xtr, ytr, Xte, yte = heavy
    q = losslab.get("quantile", quantile=tau)
    rounds = 30
    ref = lgb.train({**LGB_ROBUST, "objective": "quantile", "alpha": tau}, lgb.Dataset(Xtr, ytr), rounds)
    ours = ll.train(q, LGB_ROBUST, lgb.Dataset(Xtr, ytr), rounds)  # defaults: refit in every round
    assert q(yte, ours.predict(Xte)) <= 1.02 * q(yte, ref.predict(Xte))
    dtr, dte = xgb.DMatrix(Xtr, label=ytr), xgb.DMatrix(Xte)
    ref = xgb.train({**XGB_ROBUST, "objective": "reg:quantileerror", "quantile_alpha": tau}, dtr, rounds)
    ours = lx.train(q, XGB_ROBUST, dtr, rounds)
    assert q(yte, ours.predict(dte)) <= 1.02 * q(yte, ref.predict(dte))


def test_constant_hessian_with_refit_is_the_builtin_median(heavy):
    # the built-ins' own algorithm: sign gradient, Hessian 1, leaves renewed every round
    Xtr, ytr, *_ = heavy
    q = losslab.get("quantile", quantile=0.5)
    ref = lgb.train({**LGB_ROBUST, "objective": "quantile", "alpha": 0.5}, lgb.Dataset(Xtr, ytr), 10)
    ours = ll.train(q, LGB_ROBUST, lgb.Dataset(Xtr, ytr), 10, hessian="constant", refit="train")
    np.testing.assert_allclose(ours.predict(Xtr), ref.predict(Xtr), atol=1e-6)
    d = xgb.DMatrix(Xtr, label=ytr)
    ref = xgb.train({**XGB_ROBUST, "objective": "reg:quantileerror", "quantile_alpha": 0.5}, d, 10)
    ours = lx.train(q, XGB_ROBUST, d, 10, hessian="constant", refit="train")
    np.testing.assert_allclose(ours.predict(d), ref.predict(d), atol=1e-5)


def test_huber_matches_builtin_heldout_huber(heavy):
    Xtr, ytr, Xte, yte = heavy
    h = losslab.get("huber", delta=1.0)
    rounds = 50
    ref = lgb.train({**LGB_ROBUST, "objective": "huber", "alpha": 1.0}, lgb.Dataset(Xtr, ytr), rounds)
    ours = ll.train(h, LGB_ROBUST, lgb.Dataset(Xtr, ytr), rounds)  # default: majorizer Hessian
    assert h(yte, ours.predict(Xte)) <= 1.02 * h(yte, ref.predict(Xte))
    dtr, dte = xgb.DMatrix(Xtr, label=ytr), xgb.DMatrix(Xte)
    # XGBoost's Huber is the pseudo-Huber objective with the same slope
    ref = xgb.train({**XGB_ROBUST, "objective": "reg:pseudohubererror", "huber_slope": 1.0}, dtr, rounds)
    ours = lx.train(h, XGB_ROBUST, dtr, rounds)
    assert h(yte, ours.predict(dte)) <= 1.02 * h(yte, ref.predict(dte))


# -- sample weights, exactly once --------------------------------------------------------------


def _integer_data():
    rng = np.random.default_rng(5)
    X = rng.integers(0, 8, size=(200, 3)).astype(float)  # few distinct values: identical bins
    y = X[:, 0] - X[:, 1] + rng.normal(size=200)
    dup = rng.random(200) < 0.3
    return X, y, dup


def test_weight_two_equals_duplicated_rows():
    X, y, dup = _integer_data()
    w = np.where(dup, 2.0, 1.0)
    Xd = np.vstack([X, X[dup]])
    yd = np.concatenate([y, y[dup]])
    p = {"max_depth": 3, "eta": 0.3, "nthread": 1, "max_bin": 16}
    a = lx.train("mse", p, xgb.DMatrix(X, label=y, weight=w), 10)
    b = lx.train("mse", p, xgb.DMatrix(Xd, label=yd), 10)
    np.testing.assert_allclose(a.predict(xgb.DMatrix(X)), b.predict(xgb.DMatrix(X)), atol=1e-5)
    q = {**LGB_PARAMS, "min_data_in_leaf": 1, "min_sum_hessian_in_leaf": 0.0, "max_bin": 16}
    a = ll.train("mse", q, lgb.Dataset(X, y, weight=w), 10)
    b = ll.train("mse", q, lgb.Dataset(Xd, yd), 10)
    np.testing.assert_allclose(a.predict(X), b.predict(X), atol=1e-5)


def test_objectives_weight_once_in_every_api(data):
    X, y, _, _, w = data
    f = np.linspace(-1, 1, len(y))
    for obj_native, obj_skl, ds_native in (
        (lx.objective("huber"), lx.objective("huber", api="sklearn"), xgb.DMatrix(X, label=y, weight=w)),
        (
            ll.objective("huber"),
            ll.objective("huber", api="sklearn"),
            lgb.Dataset(X, y, weight=w).construct(),
        ),
    ):
        g0, h0 = obj_native(f, ds_native)
        # the libraries store labels and weights in float32: hand the scikit-learn form the same
        y32, w32 = ds_native.get_label(), ds_native.get_weight()
        g1, h1 = (
            obj_skl(y32, f, sample_weight=w32)
            if "xgboost" in type(obj_skl).__module__
            else obj_skl(y32, f, w32)
        )
        gu, hu = losslab.get("huber").gradient(y, f), np.minimum(1.0, 1.0 / np.maximum(np.abs(f - y), 1e-300))
        np.testing.assert_allclose(g0, (gu * w).astype(np.float32), rtol=1e-5)
        np.testing.assert_allclose(h0, (hu * w).astype(np.float32), rtol=1e-5)
        np.testing.assert_array_equal(g0, g1)
        np.testing.assert_array_equal(h0, h1)
        assert g0.dtype == np.float32 and h0.dtype == np.float32


def test_sklearn_apis_match_native(data):
    X, y, yb, _, w = data
    native = lx.train("mse", XGB_PARAMS, xgb.DMatrix(X, label=y, weight=w), ROUNDS)
    model = xgb.XGBRegressor(
        n_estimators=ROUNDS,
        max_depth=3,
        learning_rate=0.3,
        n_jobs=1,
        objective=lx.objective("mse", api="sklearn"),
        base_score=lx.base_score("mse", y, w),
    ).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.predict(X), native.predict(xgb.DMatrix(X)), atol=1e-6)

    clf = xgb.XGBClassifier(
        n_estimators=ROUNDS,
        max_depth=3,
        learning_rate=0.3,
        n_jobs=1,
        objective=lx.objective("binary_crossentropy", api="sklearn"),
        base_score=lx.base_score("binary_crossentropy", yb, w, objective="binary:logistic"),
    ).fit(X, yb, sample_weight=w)
    ref = xgb.train(
        {**XGB_PARAMS, "objective": "binary:logistic"}, xgb.DMatrix(X, label=yb, weight=w), ROUNDS
    )
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], ref.predict(xgb.DMatrix(X)), atol=1e-6)

    native = ll.train("mse", LGB_PARAMS, lgb.Dataset(X, y, weight=w), ROUNDS)
    init = ll.init_score("mse", y, w)
    model = lgb.LGBMRegressor(
        objective=ll.objective("mse", api="sklearn"), n_estimators=ROUNDS, **LGB_PARAMS
    ).fit(X, y, sample_weight=w, init_score=init)
    ll.fold_init_score(model.booster_, init)
    np.testing.assert_allclose(model.predict(X), native.predict(X), atol=1e-9)


# -- metrics -----------------------------------------------------------------------------------


def test_metrics_report_the_loss(data):
    X, y, _, _, w = data
    d = xgb.DMatrix(X, label=y, weight=w)
    log: dict = {}
    b = lx.train("huber", XGB_PARAMS, d, 3, evals=[(d, "train")], evals_result=log)
    assert list(log["train"]) == ["huber"]
    expected = float(losslab.get("huber")(y, b.predict(d).astype(np.float64), sample_weight=w))
    assert log["train"]["huber"][-1] == pytest.approx(expected, rel=1e-6)
    name, value, higher = ll.metric("huber")(np.full(len(y), 3.0), lgb.Dataset(X, y, weight=w).construct())
    assert (name, higher) == ("huber", False)
    assert value == pytest.approx(float(losslab.get("huber")(y, np.full(len(y), 3.0), sample_weight=w)))
    assert lx.metric("mae", api="sklearn")(y, np.full(len(y), 3.0)) == pytest.approx(np.mean(np.abs(y - 3)))


# -- Hessian policies --------------------------------------------------------------------------


def test_default_policies_follow_metadata():
    assert default_policy(losslab.get("mse")).spec == "exact"
    q = default_policy(losslab.get("quantile", quantile=0.9))
    assert (q.kind, q.refit) == ("smooth", True)
    assert default_policy(losslab.get("huber")).kind == "majorizer"
    assert default_policy(losslab.get("hinge")).kind == "constant"
    assert default_policy(losslab.get("msle")).kind == "floor"


def test_refitting_default_is_the_builtin_algorithm():
    q = losslab.get("quantile", quantile=0.9)
    assert lx.train.__module__ == "losslab.xgboost"
    policy = default_policy(q, refitting=True)
    assert (policy.kind, policy.refit) == ("constant", True)


def test_policy_is_logged_once(caplog):
    with caplog.at_level(logging.INFO, logger="losslab.gbdt"):
        lx.objective("mae")
    lines = [r.getMessage() for r in caplog.records if r.name == "losslab.gbdt"]
    assert len(lines) == 1 and "'smooth'" in lines[0] and "'mae'" in lines[0] and "median" in lines[0]


def test_policy_values():
    y = np.array([0.0, 0.0, 0.0, 0.0])
    f = np.array([-2.0, -0.5, 0.5, 3.0])
    q = losslab.get("quantile", quantile=0.8)
    g, h = GradHess(q, resolve_policy(q, "constant:2"))(y, f, None)
    np.testing.assert_array_equal(h, 2.0)
    np.testing.assert_allclose(g, [-0.8, -0.8, 0.2, 0.2], rtol=1e-6)
    g, h = GradHess(q, resolve_policy(q, "smooth:0.5"))(y, f, None)
    root = np.hypot(f, 0.5)
    np.testing.assert_allclose(g, -0.3 + 0.5 * f / root, rtol=1e-6)
    np.testing.assert_allclose(h, 0.5 / root, rtol=1e-6)
    m = losslab.get("msle")
    g, h = GradHess(m, resolve_policy(m, "floor:1e-3"))(np.array([0.0]), np.array([20.0]), None)
    assert h[0] == np.float32(1e-3)  # the exact Hessian is negative there
    hb = losslab.get("huber", delta=1.0)
    _, h = GradHess(hb, resolve_policy(hb, "majorizer"))(y, f, None)
    np.testing.assert_allclose(h, [0.5, 1.0, 1.0, 1 / 3], rtol=1e-6)
    _, h = GradHess(hb, resolve_policy(hb, "exact"), scale=0.5, hessian_scale=3.0)(y, f, np.full(4, 2.0))
    np.testing.assert_allclose(h, [0.0, 3.0, 3.0, 0.0])


@pytest.mark.parametrize(
    ("loss", "spec", "match"),
    [
        ("mse", "newton", "must be one of"),
        ("mse", "floor:-1", "> 0"),
        ("huber", "smooth", "constant on each side"),
        ("binary_crossentropy", "majorizer", "majorizer"),
        ("mse", "exact:3", "takes no number"),
    ],
)
def test_bad_policies_raise(loss, spec, match):
    with pytest.raises(losslab.ParameterError, match=match):
        lx.objective(loss, hessian=spec)


def test_bad_uses_raise(data):
    X, y, *_ = data
    with pytest.raises(losslab.ParameterError, match="from_logits"):
        ll.objective("binary_crossentropy", from_logits=False)
    with pytest.raises(losslab.ParameterError, match="api"):
        lx.objective("mse", api="keras")
    with pytest.raises(losslab.DomainError, match="y_true for loss 'binary_crossentropy'"):
        lx.train("binary_crossentropy", XGB_PARAMS, xgb.DMatrix(X, label=y), 2)
    with pytest.raises(losslab.DataError, match="num_class"):
        lx.objective("categorical_crossentropy")(np.zeros(len(y)), xgb.DMatrix(X, label=y))


# -- leaf refit --------------------------------------------------------------------------------


def test_lightgbm_refit_sets_leaves_to_residual_quantiles(heavy):
    Xtr, ytr, *_ = heavy
    q = losslab.get("quantile", quantile=0.7)
    w = np.random.default_rng(2).uniform(0.5, 2, len(ytr))
    b = ll.train(q, LGB_ROBUST, lgb.Dataset(Xtr, ytr, weight=w), 3, refit=False)
    init = q.baseline(ytr, w)
    # undo the folding of the init score so that the refit starts from it
    for leaf in range(b.dump_model()["tree_info"][0]["num_leaves"]):
        b.set_leaf_output(0, leaf, b.get_leaf_output(0, leaf) - init)
    ll.refit_leaves(b, Xtr, ytr, q, sample_weight=w, init=init)
    leaves = b.predict(Xtr, pred_leaf=True)
    f = np.full(len(ytr), init)
    for t in range(3):
        for leaf in np.unique(leaves[:, t]):
            rows = leaves[:, t] == leaf
            expected = 0.1 * weighted_quantile(ytr[rows] - f[rows], w[rows], 0.7)
            assert b.get_leaf_output(t, int(leaf)) == pytest.approx(expected, rel=1e-12, abs=1e-15)
        f = f + np.array([b.get_leaf_output(t, int(v)) for v in leaves[:, t]])


def test_xgboost_refit_sets_leaves_to_residual_quantiles(heavy):
    Xtr, ytr, *_ = heavy
    q = losslab.get("mae")
    d = xgb.DMatrix(Xtr, label=ytr)
    b = lx.train(q, XGB_ROBUST, d, 3)  # refit in training, on by default for a median loss
    leaves = b.predict(d, pred_leaf=True).astype(int)
    base = np.full(len(ytr), np.median(ytr))  # iteration_range=(0, 0) would mean every tree
    margins = [base] + [b.predict(d, iteration_range=(0, t), output_margin=True) for t in range(1, 4)]
    for t in range(3):
        step = margins[t + 1] - margins[t]
        for leaf in np.unique(leaves[:, t])[:5]:
            rows = leaves[:, t] == leaf
            expected = 0.1 * np.median(ytr[rows] - margins[t][rows])
            np.testing.assert_allclose(step[rows], expected, atol=1e-5)


# -- scikit-learn scorers ------------------------------------------------------------------------


def test_scorers_in_cross_validate_and_grid_search():
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.metrics import log_loss, mean_absolute_error
    from sklearn.model_selection import GridSearchCV, cross_validate

    import losslab.sklearn as ls

    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 3))
    y = np.where(X[:, 0] + rng.normal(size=240) > 0, "yes", "no")
    model = LogisticRegression().fit(X, y)
    expected = -log_loss(y, model.predict_proba(X))
    assert ls.scorer("binary_crossentropy")(model, X, y) == pytest.approx(expected, rel=1e-10)
    assert ls.scorer("log_loss", response="proba")(model, X, y) == pytest.approx(expected, rel=1e-10)
    grid = GridSearchCV(LogisticRegression(), {"C": [1e-3, 1.0]}, scoring=ls.scorer("bce"), cv=3).fit(X, y)
    assert grid.best_params_ == {"C": 1.0} and grid.best_score_ < 0

    yc = np.digitize(X[:, 1], [-0.3, 0.4])
    model = LogisticRegression().fit(X, yc)
    assert ls.scorer("categorical_crossentropy")(model, X, yc) == pytest.approx(
        -log_loss(yc, model.predict_proba(X)), rel=1e-10
    )

    yr = X @ [1.0, 2.0, -1.0] + rng.normal(size=240)
    res = cross_validate(LinearRegression(), X, yr, cv=3, scoring={"mae": ls.scorer("mae")})
    assert np.all(res["test_mae"] < 0)
    fitted = LinearRegression().fit(X, yr)
    assert ls.scorer("mae")(fitted, X, yr) == pytest.approx(-mean_absolute_error(yr, fitted.predict(X)))
    assert ls.metric("mae")(yr, fitted.predict(X)) == pytest.approx(
        mean_absolute_error(yr, fitted.predict(X))
    )
    with pytest.raises(losslab.ParameterError, match="response"):
        ls.scorer("mae", response="margin")


def test_show_has_gbdt_section():
    from losslab._core.describe import describe
    from losslab.gbdt.objective import usage_section

    text = describe(losslab.get("quantile", quantile=0.9), sections=(usage_section,))
    assert "## In XGBoost and LightGBM" in text and "`smooth`" in text and "quantile=0.9" in text


def test_init_score_helpers(data):
    _, y, _, yc, w = data
    p = lx.params("categorical_crossentropy", yc, w, max_depth=2)
    assert p["num_class"] == 3 and p["max_depth"] == 2 and p["disable_default_eval_metric"] == 1
    c = losslab.get("categorical_crossentropy").baseline(yc, w)
    assert p["base_score"] == "[" + ",".join(repr(float(v)) for v in c) + "]"
    np.testing.assert_array_equal(lx.base_margin("cce", yc, w), np.tile(c, (len(yc), 1)))
    prob = lx.base_score("bce", (yc > 0).astype(float), objective="binary:logistic")
    assert prob == pytest.approx(np.mean(yc > 0))
    np.testing.assert_array_equal(ll.init_score("mse", y, w), np.full(len(y), np.average(y, weights=w)))
