"""The per-round refit loop's fixed costs, checked by what it calls (never by timing): the refit
is checked once per training, XGBoost's model is rewritten once (not per round) without losing
anything, and LightGBM's leaf predictions keep the booster's thread count."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import losslab
from losslab.gbdt import refit as _gbdt_refit


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(1500, 4))
    y = X[:, 0] + rng.standard_t(3, size=1500)
    return X, y, rng.uniform(0.5, 2.0, 1500)


def test_leaf_refit_checks_once_and_equals_refit_values(monkeypatch):
    with pytest.raises(losslab.ParameterError, match="leaf refit"):
        _gbdt_refit.LeafRefit(losslab.get("poisson"))
    q = losslab.get("quantile", quantile=0.7)
    refit = _gbdt_refit.LeafRefit(q)
    calls = []
    monkeypatch.setattr(_gbdt_refit, "check_refit", lambda loss: calls.append(loss))
    rng = np.random.default_rng(0)
    y, f, leaf = rng.normal(size=200), rng.normal(size=200), rng.integers(0, 5, 200)
    for w in (None, rng.uniform(0.1, 2, 200)):
        assert refit(y, f, w, leaf) == _gbdt_refit.LeafRefit(q)(y, f, w, leaf)
    assert len(calls) == 2  # only the two constructions in the loop above


def test_xgboost_writes_the_model_once_and_equals_the_per_round_rewrite(data, monkeypatch):
    xgb = pytest.importorskip("xgboost")
    import losslab.xgboost as lx

    X, y, w = data
    d = xgb.DMatrix(X, label=y, weight=w)
    params = {"max_depth": 3, "eta": 0.2, "nthread": 1}
    q = losslab.get("quantile", quantile=0.8)
    loads = []
    load_model = xgb.Booster.load_model
    monkeypatch.setattr(xgb.Booster, "load_model", lambda self, m: (loads.append(1), load_model(self, m))[1])
    once = lx.train(q, params, d, 12)
    assert len(loads) == 1  # one JSON round trip, after the last round
    loads.clear()
    log: dict = {}
    every = lx.train(q, params, d, 12, evals=[(d, "train")], evals_result=log)  # evals: every round
    assert len(loads) == 12
    np.testing.assert_array_equal(once.predict(d), every.predict(d))
    # the evaluation saw the refitted model: its last value is the final model's loss
    final = q(y, every.predict(d, output_margin=True).astype(np.float64), sample_weight=w)
    assert log["train"][q.name][-1] == pytest.approx(float(final), abs=1e-6)  # printed to 6 digits


def test_lightgbm_leaf_predictions_keep_the_thread_count(data, monkeypatch):
    lgb = pytest.importorskip("lightgbm")
    import losslab.lightgbm as ll

    X, y, _ = data
    monkeypatch.setattr(ll, "LEAVES_FROM_SCORES", False)  # every round predicts the leaves
    seen = []
    predict = lgb.Booster.predict

    def spy(self, data, *args, **kwargs):
        if kwargs.get("pred_leaf"):
            seen.append(kwargs.get("num_threads"))
        return predict(self, data, *args, **kwargs)

    monkeypatch.setattr(lgb.Booster, "predict", spy)
    q = losslab.get("quantile", quantile=0.6)
    params = {"num_leaves": 7, "verbose": -1, "nthread": 1}  # an alias of num_threads
    ll.train(q, params, lgb.Dataset(X, y, free_raw_data=False), 5)
    ll.train(q, params, lgb.Dataset(X, y, free_raw_data=False), 5, refit="post")
    assert seen == [1] * 5 + [1]
    seen.clear()
    ll.train(q, {"num_leaves": 7, "verbose": -1}, lgb.Dataset(X, y, free_raw_data=False), 2)
    assert seen == [None, None]  # not set: LightGBM's default, as in training


def test_a_long_loop_uses_the_kernels_below_the_row_threshold(monkeypatch):
    monkeypatch.setattr(_gbdt_refit, "NUMBA_MIN_ROWS", 50_000)
    monkeypatch.setattr(_gbdt_refit, "NUMBA_MIN_ROW_ROUNDS", 4_000_000)
    monkeypatch.delitem(sys.modules, "numba", raising=False)  # as if numba had not run yet
    q = losslab.get("mae")
    assert _gbdt_refit.kernels(45_000) is None
    assert _gbdt_refit.LeafRefit(q, 45_000, 80).kernels is None  # 3.6·10⁶ row-rounds
    assert _gbdt_refit.LeafRefit(q).kernels is None  # each call decides by its size
    loaded = _gbdt_refit._load_kernels()
    assert _gbdt_refit.kernels(45_000, 100) is loaded
    assert _gbdt_refit.LeafRefit(q, 45_000, 100).kernels is loaded
    monkeypatch.setattr(_gbdt_refit, "USE_NUMBA", False)
    assert _gbdt_refit.LeafRefit(q, 45_000, 100).kernels is None


def test_once_numba_runs_the_kernels_serve_small_data(monkeypatch):
    # the loss engine has loaded numba (any loss call on 2,048+ elements): the kernels' own load
    # is then a few ms, and they are faster than the numpy code from NUMBA_LOADED_MIN_ROWS rows
    loaded = _gbdt_refit._load_kernels()
    if loaded is None:
        pytest.skip("numba is not installed")
    q = losslab.get("quantile", quantile=0.9)
    monkeypatch.setattr(_gbdt_refit, "NUMBA_LOADED_MIN_ROWS", 2048)
    monkeypatch.setitem(sys.modules, "numba", sys.modules.get("numba") or object())
    assert _gbdt_refit.kernels(2048) is loaded
    assert _gbdt_refit.kernels(2047) is None
    monkeypatch.delitem(sys.modules, "numba")
    assert _gbdt_refit.kernels(2048) is None
    # a loop decides when the refit first runs, after the objective's first call
    refit = _gbdt_refit.LeafRefit(q, 10_000, 100)
    monkeypatch.setitem(sys.modules, "numba", object())
    assert refit.kernels is loaded


def test_lightgbm_leaf_values_without_the_model_string(data, tmp_path):
    # LGBM_BoosterGetLeafValue for each leaf, the count from the split-count importance: the
    # model string's values exactly, for trees of every size, read in any order
    lgb = pytest.importorskip("lightgbm")
    import losslab.lightgbm as ll

    X, y, _ = data
    for params in ({"num_leaves": 31}, {"num_leaves": 63, "min_data_in_leaf": 200}):
        booster = lgb.train({**params, "verbose": -1}, lgb.Dataset(X, y), 8)
        calls = ll._BoosterCalls(booster)
        for t in [0, 1, 2, 3, 7, 5, 6, 4]:
            expected = ll._leaf_values(booster.model_to_string(start_iteration=t, num_iteration=1))
            for k in (None, _gbdt_refit._load_kernels()):  # ctypes from Python, or from numba
                got = calls.leaf_values(t, k)
                assert got is not None and np.array_equal(got, expected), (params, t, k)
    forced = tmp_path / "forced.json"
    forced.write_text('{"feature": 1, "threshold": 0.0}')
    booster = lgb.train({"verbose": -1, "forcedsplits_filename": str(forced)}, lgb.Dataset(X, y), 2)
    assert ll._BoosterCalls(booster).leaf_values(1) is None  # a forced split may have no gain


def test_lightgbm_sets_leaves_from_python_and_from_numba(data):
    lgb = pytest.importorskip("lightgbm")
    import losslab.lightgbm as ll

    X, y, _ = data
    booster = lgb.train({"num_leaves": 15, "verbose": -1}, lgb.Dataset(X, y), 3)
    calls = ll._BoosterCalls(booster)
    for k in (None, _gbdt_refit._load_kernels()):
        n = calls.leaf_values(1).size
        values = np.arange(n) * 0.25 - (1.0 if k is None else 2.0)  # each pass its own values
        counts = np.ones(n, dtype=np.int64)
        counts[2] = 0  # a leaf without rows keeps its value
        before = booster.get_leaf_output(1, 2)
        calls.set_leaves(1, values, counts, k)
        got = [booster.get_leaf_output(1, j) for j in range(n)]
        assert got[2] == before and all(got[j] == values[j] for j in range(n) if j != 2), k
