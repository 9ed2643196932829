"""The fast per-round leaf refit: grouped quantiles (numba and numpy, same convention as
`weighted_quantile`, bit for bit) and LightGBM leaf indices read from its training-score cache
(== ``predict(pred_leaf=True)``; the trained models equal the traversal path's)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import losslab
from losslab._core.baseline import weighted_quantile
from losslab.gbdt import refit as _gbdt_refit

lgb = pytest.importorskip("lightgbm")
import losslab.lightgbm as ll  # noqa: E402

PATHS = [
    pytest.param(
        True, id="numba", marks=pytest.mark.skipif(_gbdt_refit._load_kernels() is None, reason="numba")
    ),
    pytest.param(False, id="numpy"),
]


@pytest.fixture(autouse=True)
def numba_at_any_size(monkeypatch):
    monkeypatch.setattr(_gbdt_refit, "NUMBA_MIN_ROWS", 0)  # these tests use small data


@pytest.fixture(params=PATHS)
def use_numba(request, monkeypatch):
    monkeypatch.setattr(_gbdt_refit, "USE_NUMBA", request.param)
    return request.param


def _reference(group, r, w, tau):
    out = {}
    for g in np.unique(group):
        m = group == g
        if w is not None and not np.any(w[m] > 0):
            continue
        out[int(g)] = weighted_quantile(r[m], None if w is None else w[m], tau)
    return out


# -- grouped quantile --------------------------------------------------------------------------


@pytest.mark.parametrize("sort_rows", [0, 10**6], ids=["select", "sort"])  # numpy's two paths
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8])
def test_grouped_quantile_is_weighted_quantile_per_group(use_numba, dtype, sort_rows, monkeypatch):
    monkeypatch.setattr(_gbdt_refit, "SORT_MAX_ROWS", sort_rows)
    rng = np.random.default_rng(3)
    for trial in range(120):
        n = int(rng.integers(1, 80))
        group = rng.integers(0, int(rng.integers(1, 7)), n).astype(dtype)
        # ties (small integers), exact midpoints (τ·count integral) and continuous values
        r = rng.integers(-2, 3, n).astype(float) if trial % 2 else rng.normal(size=n)
        w = None if trial % 3 == 0 else rng.choice([0.0, 0.25, 0.5, 1.0, 2.0, 3.0], n)
        tau = [0.5, 0.9, 0.1, 0.25, 1 / 3, 0.75][trial % 6]
        got = _gbdt_refit.grouped_quantile(group, r, w, tau)
        assert got == _reference(group, r, w, tau), (trial, tau)  # bit for bit


@pytest.mark.parametrize("kind", ["continuous", "ties", "sorted", "constant"])
def test_grouped_quantile_paths_agree_on_large_groups(monkeypatch, kind):
    # groups above the kernel's sampling threshold: the bracketing sample, and its fallback when
    # ties overflow the bracket or the data are ordered
    kernels = pytest.importorskip("losslab.gbdt.kernels")
    rng = np.random.default_rng(4)
    n = 140_000
    assert n > kernels._SCATTER_ALL  # above it the large groups take the bracket
    group = rng.integers(0, 11, n).astype(np.int32)
    group[:5000] = 11  # one group of exactly 5000 rows: midpoints at τ = 0.5, 0.9
    y = {
        "continuous": rng.normal(size=n),
        "ties": np.round(rng.normal(size=n)),
        "sorted": np.sort(rng.normal(size=n)),
        "constant": np.full(n, 2.5),
    }[kind]
    f = np.zeros(n) if kind == "constant" else rng.normal(size=n) * 0.1
    w = rng.uniform(0.5, 2, n)
    for ww in (None, w):
        for tau in (0.5, 0.9, 0.01):
            fast = _gbdt_refit._grouped_quantile(group, y, f, ww, tau)
            monkeypatch.setattr(_gbdt_refit, "USE_NUMBA", False)
            slow = _gbdt_refit._grouped_quantile(group, y, f, ww, tau)
            monkeypatch.setattr(_gbdt_refit, "USE_NUMBA", True)
            assert fast == slow == _reference(group, y - f, ww, tau), (ww is None, tau)


def test_kernel_selection_puts_the_order_statistic_in_place():
    # the branch-free quickselect under the grouped quantile: every rank, on random values, on
    # few distinct values (ties must not make it quadratic: all-equal runs in one pass), sorted
    # and reversed runs, signed zeros; a[:k] <= a[k] <= a[k + 1:] after it
    kernels = pytest.importorskip("losslab.gbdt.kernels")
    rng = np.random.default_rng(3)
    cases = [
        rng.normal(size=700),
        rng.integers(0, 4, 700).astype(np.float64),
        np.full(5000, 2.5),
        np.arange(300.0),
        np.arange(300.0)[::-1].copy(),
        rng.choice([-0.0, 0.0, 1.0, -1.0], 400),
        rng.normal(size=17),
    ]
    for a in cases:
        ranks = range(a.size) if a.size <= 700 else [0, 1, a.size // 2, a.size - 2, a.size - 1]
        for k in ranks:
            b = a.copy()
            kernels._select(b, k)
            assert b[k] == np.sort(a)[k]
            assert np.all(b[:k] <= b[k]) and np.all(b[k + 1 :] >= b[k])
            assert np.array_equal(np.sort(b), np.sort(a))  # a permutation


def test_grouped_quantile_kernel_rejects_ids_out_of_range():
    kernels = pytest.importorskip("losslab.gbdt.kernels")
    empty = np.empty(0)
    with pytest.raises(ValueError, match="out of range"):
        kernels.grouped_quantile(np.array([0, 3], dtype=np.int32), np.ones(2), empty, empty, 3, 0.5)


def test_grouped_quantile_empty_and_zero_weight_groups(use_numba):
    g = np.array([0, 0, 2, 2], dtype=np.int64)
    r = np.array([1.0, 3.0, 5.0, 7.0])
    assert _gbdt_refit.grouped_quantile(g, r, np.array([1.0, 1.0, 0.0, 0.0]), 0.5) == {0: 2.0}
    assert _gbdt_refit.grouped_quantile(g, r, np.zeros(4), 0.5) == {}
    assert _gbdt_refit.grouped_quantile(g, r, None, 0.5) == {0: 2.0, 2: 6.0}


# -- leaf indices from scores ------------------------------------------------------------------


def _leaf_finders():
    out = [pytest.param(_gbdt_refit.leaf_from_scores, id="numpy")]
    if _gbdt_refit._load_kernels() is not None:
        out.append(pytest.param(_gbdt_refit._load_kernels().leaf_from_scores, id="numba"))
    return out


@pytest.mark.parametrize("find", _leaf_finders())
def test_leaf_from_scores_is_exact_or_declines(find):
    rng = np.random.default_rng(5)
    n = 50_000
    v = rng.normal(size=40) * 0.1
    v[3] = v[9]  # two leaves share a value
    v[11] = v[12] + 1e-16 * abs(v[12])  # within rounding of another value
    v[20] = v[21] * (1 + 1e-9)  # close but distinguishable
    v[30] = 0.0
    leaf = rng.integers(0, v.size, n)
    prev = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4, n)
    prev[:100] = 0.0
    new = prev + v[leaf]
    new[100:110] = np.nan
    values, first, inverse = np.unique(v, return_index=True, return_inverse=True)
    leaf_of = np.where(np.bincount(inverse) > 1, -1, first).astype(np.int32)
    out = np.empty(n, dtype=np.int32)
    scores = prev.copy()
    missed = find(scores, new, values, leaf_of, out)
    np.testing.assert_array_equal(scores, new)  # the cache copy moves on
    got = out >= 0
    assert missed == np.count_nonzero(~got)
    np.testing.assert_array_equal(out[got], leaf[got])  # never a wrong leaf
    assert not got[100:110].any()
    assert not got[np.isin(leaf, [3, 9])].any()  # a shared value: traversed instead
    unique_vals = ~np.isin(leaf, [3, 9, 11, 12]) & ~np.isnan(new)
    assert got[unique_vals].mean() > 0.99


def test_kernel_grid_constants_equal_the_numpy_ones():
    kernels = pytest.importorskip("losslab.gbdt.kernels")
    for name in ("_WINDOW", "_TINY", "_CELLS"):
        assert getattr(kernels, name) == getattr(_gbdt_refit, name), name


def test_leaf_from_scores_numpy_equals_kernel():
    # the same fast and slow paths: the same rows resolved, to the same leaves
    kernels = pytest.importorskip("losslab.gbdt.kernels")
    rng = np.random.default_rng(7)
    n = 20_000
    for trial in range(6):
        v = np.round(rng.normal(size=30), 2 + trial) * 0.1  # shared and near-equal values
        v[:3] = [0.0, -0.0, v[5] * (1 + 2.0**-50)]
        leaf = rng.integers(0, v.size, n)
        prev = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4, n)
        new = prev + v[leaf]
        values, first, inverse = np.unique(v, return_index=True, return_inverse=True)
        leaf_of = np.where(np.bincount(inverse) > 1, -1, first).astype(np.int32)
        a, b = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
        ma = _gbdt_refit.leaf_from_scores(prev.copy(), new, values, leaf_of, a)
        mb = kernels.leaf_from_scores(prev.copy(), new, values, leaf_of, b)
        np.testing.assert_array_equal(a, b)
        assert ma == mb


@pytest.mark.parametrize("find", _leaf_finders())
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_leaf_from_scores_with_a_non_finite_leaf_value(bad, find):
    rng = np.random.default_rng(6)
    v = np.array([-0.5, 0.1, 0.25, bad])
    leaf = rng.integers(0, v.size, 1000)
    prev = rng.normal(size=1000)
    new = prev + v[leaf]
    values, first, inverse = np.unique(v, return_index=True, return_inverse=True)
    leaf_of = np.where(np.bincount(inverse) > 1, -1, first).astype(np.int32)
    out = np.empty(1000, dtype=np.int32)
    find(prev.copy(), new, values, leaf_of, out)
    finite = leaf < 3
    np.testing.assert_array_equal(out[finite], leaf[finite])
    assert np.all(out[~finite] == -1)


# -- LightGBM ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lgb_data():
    rng = np.random.default_rng(0)
    n = 3000
    X = rng.normal(size=(n, 5))
    y = X[:, 0] + np.sin(3 * X[:, 1]) + rng.normal(size=n) * (1 + np.abs(X[:, 2]))
    y_int = np.round(np.clip(2 * X[:, 0] + rng.normal(size=n), -3, 3))  # ties, pure leaves
    w = rng.uniform(0.2, 3.0, n)
    return X, y, y_int, w


PARAMS = {"num_leaves": 31, "learning_rate": 0.1, "verbose": -1, "min_data_in_leaf": 5, "num_threads": 1}
CASES = {
    "plain": ({}, "y", False, True),
    "integer_targets": ({}, "y_int", False, True),
    "weights": ({}, "y", True, True),
    "integer_weighted": ({}, "y_int", True, True),
    "bagging": ({"bagging_fraction": 0.6, "bagging_freq": 1, "bagging_seed": 3}, "y", False, True),
    "goss": ({"data_sample_strategy": "goss"}, "y_int", False, True),
    "dart": ({"boosting": "dart", "drop_rate": 0.3, "seed": 1}, "y", False, False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_lightgbm_leaf_indices_equal_traversal(lgb_data, monkeypatch, case, use_numba):
    # both paths (numba kernel, numpy) read the cache; leaves sharing a value are traversed
    extra, target, weighted, cached = CASES[case]
    X, y, y_int, w = lgb_data
    yy = y if target == "y" else y_int
    seen = {"rounds": 0, "missed": 0}
    original = ll._RefitInTraining.leaf_indices

    def checked(self, booster, t):
        idx, n_leaves = original(self, booster, t)
        ref = booster.predict(self.X, start_iteration=t, num_iteration=1, pred_leaf=True)
        np.testing.assert_array_equal(idx, np.asarray(ref).ravel())
        assert self.use_cache is cached
        assert n_leaves is None or idx.max() < n_leaves
        seen["rounds"] += 1
        return idx, n_leaves

    traversed = []  # rows per leaf prediction (the wrapper, or the direct C call for a few rows)
    predict_leaves, direct = ll._predict_leaves, ll._BoosterCalls.predict_leaves

    def counted(booster, rows, t):
        traversed.append(rows.shape[0])
        return predict_leaves(booster, rows, t)

    def counted_direct(self, rows, t):
        traversed.append(rows.shape[0])
        got = direct(self, rows, t)
        np.testing.assert_array_equal(got, predict_leaves(self.booster, rows, t))
        return got

    monkeypatch.setattr(ll._RefitInTraining, "leaf_indices", checked)
    monkeypatch.setattr(ll, "_predict_leaves", counted)
    monkeypatch.setattr(ll._BoosterCalls, "predict_leaves", counted_direct)
    q = losslab.get("quantile", quantile=0.8)
    ds = lgb.Dataset(X, yy, weight=w if weighted else None, free_raw_data=False)
    ll.train(q, {**PARAMS, **extra}, ds, 12)
    assert seen["rounds"] == 12
    if not cached:
        assert traversed == [X.shape[0]] * 12
    elif case in ("integer_targets", "bagging"):  # leaves sharing a value: those rows traversed
        assert traversed and all(0 < m < X.shape[0] // 5 for m in traversed)


def _train(X, y, w, params, rounds, *, numba: bool, scores: bool, monkeypatch):
    # scores=False: the traversal path, predict(pred_leaf=True) for every row
    monkeypatch.setattr(_gbdt_refit, "USE_NUMBA", numba)
    monkeypatch.setattr(ll, "LEAVES_FROM_SCORES", scores)
    try:
        q = losslab.get("quantile", quantile=0.3)
        return ll.train(q, params, lgb.Dataset(X, y, weight=w, free_raw_data=False), rounds)
    finally:
        monkeypatch.setattr(_gbdt_refit, "USE_NUMBA", True)
        monkeypatch.setattr(ll, "LEAVES_FROM_SCORES", True)


@pytest.mark.parametrize("numba", [pytest.param(True, id="numba"), pytest.param(False, id="numpy")])
@pytest.mark.parametrize("case", ["integer_weighted", "bagging", "plain", "integer_targets"])
def test_lightgbm_refit_model_equals_traversal_path(lgb_data, monkeypatch, case, numba):
    if numba:
        pytest.importorskip("numba")
    extra, target, weighted, _ = CASES[case]
    X, y, y_int, w = lgb_data
    yy = y if target == "y" else y_int
    ww = w if weighted else None
    p = {**PARAMS, **extra}
    fast = _train(X, yy, ww, p, 15, numba=numba, scores=True, monkeypatch=monkeypatch)
    slow = _train(X, yy, ww, p, 15, numba=False, scores=False, monkeypatch=monkeypatch)
    np.testing.assert_allclose(fast.predict(X), slow.predict(X), rtol=0, atol=1e-12)


def test_lightgbm_refit_handles_a_dataframe(lgb_data):
    pd = pytest.importorskip("pandas")
    X, _, y_int, _ = lgb_data
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    q = losslab.get("mae")
    a = ll.train(q, PARAMS, lgb.Dataset(frame, y_int, free_raw_data=False), 8)
    b = ll.train(q, PARAMS, lgb.Dataset(X, y_int, free_raw_data=False), 8)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=0, atol=1e-12)


def test_numba_is_imported_lazily():
    probe = (
        "import sys, json, losslab, losslab.lightgbm, losslab.xgboost, losslab.gbdt.refit; "
        "print(json.dumps('numba' in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) is False


@pytest.mark.parametrize("weighted", [False, True])
def test_xgboost_refit_same_with_and_without_numba(lgb_data, monkeypatch, weighted):
    # the XGBoost bridge shares the grouped quantile (its leaf ids are node ids, int64)
    xgb = pytest.importorskip("xgboost")
    pytest.importorskip("numba")
    import losslab.xgboost as lx

    X, _, y_int, w = lgb_data
    d = xgb.DMatrix(X, label=y_int, weight=w if weighted else None)
    params = {"max_depth": 4, "eta": 0.1, "nthread": 1}
    q = losslab.get("quantile", quantile=0.7)
    fast = lx.train(q, params, d, 8).predict(d)
    monkeypatch.setattr(_gbdt_refit, "USE_NUMBA", False)
    slow = lx.train(q, params, d, 8).predict(d)
    np.testing.assert_array_equal(fast, slow)


def test_linear_trees_are_not_refitted():
    # a linear tree's leaf is a linear model, not a constant (and LightGBM 4.7 segfaults on the round
    # after set_leaf_output on one): no refit by default, a clear error when asked for
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = X[:, 0] + rng.standard_t(3, size=600)
    params = {"num_leaves": 7, "verbose": -1, "num_threads": 1, "linear_tree": True}
    q = losslab.get("quantile", quantile=0.5)
    booster = ll.train(q, params, lgb.Dataset(X, y), 5)
    assert np.all(np.isfinite(booster.predict(X)))
    for refit in ("train", "post", True):
        with pytest.raises(losslab.ParameterError, match="linear_tree"):
            ll.train(q, params, lgb.Dataset(X, y), 5, refit=refit)
    with pytest.raises(losslab.ParameterError, match="linear_tree"):
        ll.refit_leaves(booster, X, y, q)


def test_small_data_stays_on_numpy(monkeypatch):
    monkeypatch.setattr(_gbdt_refit, "NUMBA_MIN_ROWS", 50_000)
    monkeypatch.delitem(sys.modules, "numba", raising=False)  # numba not run in this process
    assert _gbdt_refit.kernels(49_999) is None
    if _gbdt_refit._load_kernels() is not None:
        assert _gbdt_refit.kernels(50_000) is not None
