"""losslab objectives, metrics and init scores on a Dask cluster (loopback, two worker processes):
``xgboost.dask`` (``dask_train``, the Dask estimators, the objective handed as it is) and
LightGBM's Dask estimators give the built-in objective's model on the same cluster; init scores
are the statistic of all the labels; the refit and the ``smooth`` scale never differ silently."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")  # the dask extra; CI installs it
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
dxgb = pytest.importorskip("xgboost.dask")
pd = pytest.importorskip("pandas")  # dask.dataframe and lightgbm.dask need pandas and scikit-learn
pytest.importorskip("sklearn")

import losslab  # noqa: E402
import losslab.lightgbm as ll  # noqa: E402
import losslab.xgboost as lx  # noqa: E402
from losslab._core.errors import ParameterError  # noqa: E402
from losslab.gbdt.dask import rows_like, smooth_scale  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:lightgbm")  # its Dask port notices

TOL = 1e-5  # float32 resolution
N = 3000
ROUNDS = 10
LGB = {"n_estimators": ROUNDS, "num_leaves": 7, "verbose": -1}


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def data(client):
    """Local arrays and their Dask forms in *unequal* partitions (2,000 + 1,000 rows), persisted
    once so every fit sees the same placement on the workers.

    The features take 21 values, each many times in every partition: distributed LightGBM finds
    each feature's bins on the rows of one worker, chosen by rank, and ranks follow Dask's
    worker order, which may change between two fits — with continuous features two fits of the
    same built-in on the same cluster can differ. With these, every worker finds the same bins.
    """
    rng = np.random.default_rng(0)
    X = rng.integers(-10, 11, size=(N, 5)) / 5.0
    local = {
        "X": X,
        "y": X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=N),
        "w": rng.uniform(0.5, 2.0, N),
        "yb": (X[:, 0] - 0.5 * X[:, 2] + rng.normal(size=N) > 0.4).astype(np.float64),
        "counts": rng.poisson(np.exp(0.3 * X[:, 0] + 0.2)).astype(np.float64),
        "classes": np.digitize(X[:, 0] + rng.normal(size=N), [-0.5, 0.6]).astype(np.float64),
    }
    # one partition on each worker, placed explicitly: left to the scheduler, both may land on one
    # worker, and xgboost.dask then trains on that worker alone (a collective of one)
    workers = sorted(client.scheduler_info()["workers"])
    cut = 2000

    def placed(v: np.ndarray) -> Any:
        parts = [client.persist(da.from_array(p, chunks=p.shape), workers=[w]) for p, w in
                 zip((v[:cut], v[cut:]), workers, strict=True)]  # fmt: skip
        distributed.wait(parts)
        held = client.who_has(parts)
        assert len({w for ws in held.values() for w in ws}) == 2, held
        return da.concatenate(parts, axis=0)

    return local, {k: placed(v) for k, v in local.items()}


def _close(a, b, tol=TOL):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    assert np.max(np.abs(a - b)) < tol, np.max(np.abs(a - b))


# -- init scores: the statistic of all the labels ------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "label"),
    [("mse", "y"), ("binary_crossentropy", "yb"), ("poisson", "counts"), ("quantile", "y")],
)
def test_init_scores_are_the_statistic_of_all_labels(data, loss, label):
    local, dask = data
    y, w = local[label], local["w"]
    assert lx.base_score(loss, dask[label], dask["w"]) == lx.base_score(loss, y, w)
    init = ll.init_score(loss, dask[label], dask["w"])
    assert isinstance(init, da.Array) and init.chunks == dask[label].chunks  # partitioned as y
    np.testing.assert_array_equal(init.compute(), ll.init_score(loss, y, w))
    # not a per-partition statistic: the first partition alone gives another number
    assert lx.base_score(loss, y[:2000], w[:2000]) != lx.base_score(loss, y, w)


def test_rows_like_follows_the_partitions_of_frames_and_arrays():
    frame = dd.from_pandas(pd.DataFrame({"a": np.arange(10.0), "b": np.ones(10)}), npartitions=3)
    one = rows_like(2.5, frame["a"])
    assert one.npartitions == 3
    np.testing.assert_array_equal(one.compute().to_numpy(), np.full(10, 2.5))
    many = rows_like(np.array([0.1, 0.2, -0.3]), frame["a"]).compute().to_numpy()
    np.testing.assert_array_equal(many, np.tile([0.1, 0.2, -0.3], (10, 1)))
    arr = da.ones(7, chunks=3)
    assert rows_like(np.array([1.0, 2.0]), arr).chunks == ((3, 3, 1), (2,))


# -- xgboost.dask -----------------------------------------------------------------------------------

XGB_CASES = [
    ("mse", "y", {"objective": "reg:squarederror"}),
    ("binary_crossentropy", "yb", {"objective": "binary:logistic"}),
    ("poisson", "counts", {"objective": "count:poisson"}),
    ("categorical_crossentropy", "classes", {"objective": "multi:softprob", "num_class": 3}),
]


@pytest.mark.parametrize(("loss", "label", "builtin"), XGB_CASES, ids=[c[0] for c in XGB_CASES])
def test_dask_train_reproduces_the_builtin_on_the_cluster(client, data, loss, label, builtin):
    _, dask = data
    dtrain = dxgb.DaskDMatrix(client, dask["X"], dask[label], weight=dask["w"])
    params = {"max_depth": 3}
    ours = lx.dask_train(loss, client, params, dtrain, ROUNDS)
    ref = dxgb.train(client, {**params, **builtin}, dtrain, ROUNDS)
    margin = dxgb.predict(client, ours["booster"], dask["X"], output_margin=True).compute()
    expected = dxgb.predict(client, ref["booster"], dask["X"], output_margin=True).compute()
    _close(margin, expected)


def test_dask_train_metric_is_the_weighted_mean_over_all_workers(client, data):
    local, dask = data
    dtrain = dxgb.DaskDMatrix(client, dask["X"], dask["y"], weight=dask["w"])
    out = lx.dask_train("huber", client, {"max_depth": 3}, dtrain, 5, evals=[(dtrain, "train")])
    margin = dxgb.predict(client, out["booster"], dask["X"], output_margin=True).compute()
    expected = losslab.get("huber")(local["y"], margin.astype(np.float64), sample_weight=local["w"])
    # XGBoost alone would report the mean of the two workers' means (2,000 and 1,000 rows)
    assert out["history"]["train"]["huber"][-1] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("cls", "ref_cls", "loss", "label", "builtin"),
    [
        ("DaskXGBRegressor", "DaskXGBRegressor", "mse", "y", "reg:squarederror"),
        ("DaskXGBRegressor", "DaskXGBRegressor", "poisson", "counts", "count:poisson"),
        ("DaskXGBClassifier", "DaskXGBClassifier", "binary_crossentropy", "yb", "binary:logistic"),
    ],
)
def test_dask_estimators_reproduce_the_builtin(client, data, cls, ref_cls, loss, label, builtin):
    local, dask = data
    kw = {"n_estimators": ROUNDS, "max_depth": 3}
    ours = getattr(lx, cls)(loss, **kw).fit(dask["X"], dask[label], sample_weight=dask["w"])
    ref = getattr(dxgb, ref_cls)(objective=builtin, **kw).fit(dask["X"], dask[label], sample_weight=dask["w"])
    if cls.endswith("Classifier"):
        _close(ours.predict_proba(dask["X"]).compute(), ref.predict_proba(dask["X"]).compute())
        np.testing.assert_array_equal(ours.predict(dask["X"]).compute(), ref.predict(dask["X"]).compute())
    else:
        pred = ours.predict(dask["X"])
        assert isinstance(pred, da.Array)  # responses through the link, still distributed
        _close(pred.compute(), ref.predict(dask["X"]).compute(), tol=TOL * max(1.0, local[label].max()))
    assert ours.objective is None and ours.base_score is None  # fit does not change parameters


def test_objective_handed_to_the_dask_estimator_as_it_is(client, data):
    _, dask = data
    kw = {"n_estimators": ROUNDS, "max_depth": 3}
    plain = dxgb.DaskXGBRegressor(
        objective=lx.objective("mse"), base_score=lx.base_score("mse", dask["y"], dask["w"]), **kw
    ).fit(dask["X"], dask["y"], sample_weight=dask["w"])
    ref = dxgb.DaskXGBRegressor(objective="reg:squarederror", **kw).fit(
        dask["X"], dask["y"], sample_weight=dask["w"]
    )
    _close(plain.predict(dask["X"]).compute(), ref.predict(dask["X"]).compute())


def test_sklearn_metric_is_global_on_the_cluster(client, data):
    local, dask = data
    model = lx.DaskXGBRegressor(
        "mse", n_estimators=5, max_depth=3, eval_metric=lx.metric("mse", api="sklearn")
    ).fit(dask["X"], dask["y"], eval_set=[(dask["X"], dask["y"])])
    margin = model.predict(dask["X"], output_margin=True).compute()
    expected = float(np.mean((local["y"] - margin.astype(np.float64)) ** 2))
    assert model.evals_result()["validation_0"]["mse"][-1] == pytest.approx(expected, rel=1e-6)


# -- LightGBM's Dask estimators --------------------------------------------------------------------


def test_lightgbm_mse_reproduces_the_builtin_with_default_arguments(client):
    # LightGBM's own init score on a cluster is the unweighted mean of the workers' means: the
    # global mean only with equal partitions and no weights, as here
    rng = np.random.default_rng(3)
    X = rng.integers(-10, 11, size=(2000, 4)) / 5.0  # bins independent of the ranks (see data)
    y = X[:, 0] + rng.normal(size=2000)
    dX, dy = client.persist([da.from_array(X, chunks=(1000, -1)), da.from_array(y, chunks=1000)])
    ours = ll.DaskLGBMRegressor(**LGB).fit(dX, dy)
    ref = lgb.DaskLGBMRegressor(**LGB).fit(dX, dy)
    _close(ours.predict(dX).compute(), ref.predict(dX).compute())


LGB_CASES = [
    ("DaskLGBMRegressor", "mse", "y", "regression"),
    ("DaskLGBMRegressor", "poisson", "counts", "poisson"),
    ("DaskLGBMClassifier", "binary_crossentropy", "yb", "binary"),
    ("DaskLGBMClassifier", "categorical_crossentropy", "classes", "multiclass"),
]


@pytest.mark.parametrize(("cls", "loss", "label", "builtin"), LGB_CASES, ids=[c[1] for c in LGB_CASES])
def test_lightgbm_dask_reproduces_the_builtin_from_the_global_init_score(
    client, data, cls, loss, label, builtin
):
    # weighted, unequal partitions: the built-in is given the init score of all the labels (its
    # own would be the mean of the workers' init scores), losslab's estimator computes it itself
    local, dask = data
    ours = getattr(ll, cls)(loss, **LGB).fit(dask["X"], dask[label], sample_weight=dask["w"])
    init = ll.init_score(loss, dask[label], dask["w"])
    ref = getattr(lgb, cls)(objective=builtin, **LGB).fit(
        dask["X"], dask[label], sample_weight=dask["w"], init_score=init
    )
    c = ll.init_score(loss, local[label], local["w"])[0]  # LightGBM does not store an init score
    raw = ours.predict(dask["X"], raw_score=True).compute()
    _close(raw, ref.predict(dask["X"], raw_score=True).compute() + c)
    if cls.endswith("Classifier"):
        proba = ours.predict_proba(dask["X"]).compute()
        assert proba.shape == (N, len(np.unique(local[label])))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        np.testing.assert_array_equal(ours.predict(dask["X"]).compute(), ours.classes_[proba.argmax(axis=1)])
    else:
        inverse = losslab.get(loss).link.inverse
        _close(ours.predict(dask["X"]).compute(), inverse(raw), tol=1e-12)
    local_model = ours.to_local()
    assert isinstance(local_model, ll.LGBMClassifier if cls.endswith("Classifier") else ll.LGBMRegressor)


def test_lightgbm_objective_as_it_is_and_frames(client, data):
    local, _ = data
    X = dd.from_pandas(pd.DataFrame(local["X"], columns=list("abcde")), npartitions=2)
    y = dd.from_pandas(pd.Series(local["y"], name="y"), npartitions=2)
    X, y = client.persist([X, y])
    init = ll.init_score("mse", y)
    assert isinstance(init, dd.Series) and init.npartitions == y.npartitions
    plain = lgb.DaskLGBMRegressor(objective=ll.objective("mse"), **LGB).fit(X, y, init_score=init)
    ours = ll.DaskLGBMRegressor("mse", **LGB).fit(X, y)
    c = float(np.mean(local["y"]))
    _close(ours.predict(X).compute(), plain.predict(X).compute() + c)


def test_xgboost_frames_predict_through_the_link(client, data):
    local, _ = data
    X = dd.from_pandas(pd.DataFrame(local["X"], columns=list("abcde")), npartitions=2)
    y = dd.from_pandas(pd.Series(local["counts"], name="counts"), npartitions=2)
    X, y = client.persist([X, y])
    kw = {"n_estimators": ROUNDS, "max_depth": 3}
    ours = lx.DaskXGBRegressor("poisson", **kw).fit(X, y)
    ref = dxgb.DaskXGBRegressor(objective="count:poisson", **kw).fit(X, y)
    pred = ours.predict(X)
    assert isinstance(pred, dd.Series)  # the link mapped partition by partition
    _close(pred.compute(), ref.predict(X).compute(), tol=TOL * local["counts"].max())


def test_lightgbm_metric_matches_lightgbms_own_on_the_cluster(client, data):
    # LightGBM reports the metrics of the worker that returns the model, on its part of the
    # evaluation data; losslab's metric there agrees with LightGBM's own l2 round by round
    _, dask = data
    model = ll.DaskLGBMRegressor("mse", metric="l2", **LGB).fit(
        dask["X"],
        dask["y"],
        eval_X=(dask["X"],),
        eval_y=(dask["y"],),
        eval_metric=ll.metric("mse", api="sklearn"),
    )
    history = model.evals_result_["valid_0"]
    np.testing.assert_allclose(history["mse"], history["l2"], rtol=1e-9)
    assert history["mse"][-1] < history["mse"][0]


@pytest.mark.filterwarnings("ignore:The argument 'eval_set' is deprecated")
@pytest.mark.parametrize("how", ["eval_set", "eval_X"])
def test_lightgbm_eval_scores_include_the_init_score(how):
    # one machine: the validation scores start from the init score too, however they are passed
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 3))
    y = 5.0 + X[:, 0] + rng.normal(size=400)
    Xv, yv = X[:100] + 0.1, y[:100]  # validation rows of their own
    kw = {"eval_set": [(Xv, yv)]} if how == "eval_set" else {"eval_X": (Xv,), "eval_y": (yv,)}
    model = ll.LGBMRegressor("mse", n_estimators=3, num_leaves=4, verbose=-1).fit(
        X, y, eval_metric=ll.metric("mse", api="sklearn"), **kw
    )
    expected = losslab.get("mse")(yv, model.predict(Xv, raw_score=True))
    assert model.evals_result_["valid_0"]["mse"][-1] == pytest.approx(expected, rel=1e-6)


def test_dask_estimators_clone_and_pickle(client, data):
    sklearn_base = pytest.importorskip("sklearn.base")
    for est in (
        ll.DaskLGBMRegressor("huber", hessian="majorizer", **LGB),
        lx.DaskXGBClassifier("binary_focal"),
    ):
        params = sklearn_base.clone(est).get_params()
        assert params["loss"] == est.loss and params["hessian"] == est.hessian
    _, dask = data
    model = ll.DaskLGBMRegressor("huber", **LGB).fit(dask["X"], dask["y"])
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(dask["X"]).compute(), model.predict(dask["X"]).compute())


# -- what cannot run distributed --------------------------------------------------------------------


@pytest.mark.parametrize("refit", [True, "train", "post"])
def test_dask_train_refuses_the_leaf_refit(client, data, refit):
    _, dask = data
    dtrain = dxgb.DaskDMatrix(client, dask["X"], dask["y"])
    with pytest.raises(ParameterError, match=r"(?s)loss 'quantile'.*refit=False.*losslab.xgboost.train"):
        lx.dask_train("quantile", client, {}, dtrain, 2, refit=refit)


def test_dask_train_falls_back_to_smooth_with_a_warning(client, data):
    local, dask = data
    dtrain = dxgb.DaskDMatrix(client, dask["X"], dask["y"], weight=dask["w"])
    with pytest.warns(UserWarning, match=r"(?s)loss 'quantile'.*hessian='smooth'.*refit=False"):
        fallback = lx.dask_train("quantile", client, {"max_depth": 3}, dtrain, 5)
    # the surrogate's scale is that of all the labels, as on one machine
    s = smooth_scale("quantile", dask["y"], dask["w"])
    assert s == smooth_scale("quantile", local["y"], local["w"])
    explicit = lx.dask_train(
        "quantile", client, {"max_depth": 3}, dtrain, 5, hessian=f"smooth:{s!r}", refit=False
    )
    a = dxgb.predict(client, fallback["booster"], dask["X"]).compute()
    b = dxgb.predict(client, explicit["booster"], dask["X"]).compute()
    np.testing.assert_array_equal(a, b)


def test_dask_train_warns_when_an_explicit_policy_goes_without_the_refit(client, data):
    _, dask = data
    dtrain = dxgb.DaskDMatrix(client, dask["X"], dask["y"])
    with pytest.warns(UserWarning, match=r"(?s)loss 'quantile'.*hessian='constant' and no refit"):
        lx.dask_train("quantile", client, {"max_depth": 2}, dtrain, 2, hessian="constant")
    with pytest.raises(ParameterError, match="dask_train"):
        lx.train("mse", {}, dtrain)


def test_objective_refuses_a_per_worker_smooth_scale(client, data):
    _, dask = data
    dtrain = dxgb.DaskDMatrix(client, dask["X"], dask["y"])
    with pytest.raises(
        ParameterError, match=r"(?s)'smooth' of loss 'quantile'.*each worker.*smooth_scale\(loss, y, w\)"
    ):
        dxgb.train(client, {"max_depth": 2}, dtrain, 2, obj=lx.objective("quantile"))


@pytest.mark.parametrize("face", ["xgboost", "lightgbm"])
def test_dask_estimators_take_the_smooth_scale_from_all_labels(client, data, face):
    local, dask = data
    s = smooth_scale("quantile", local["y"], local["w"])
    if face == "xgboost":
        make = lambda **kw: lx.DaskXGBRegressor("quantile", n_estimators=5, max_depth=3, **kw)  # noqa: E731
    else:
        make = lambda **kw: ll.DaskLGBMRegressor("quantile", **{**LGB, "n_estimators": 5}, **kw)  # noqa: E731
    default = make().fit(dask["X"], dask["y"], sample_weight=dask["w"])
    explicit = make(hessian=f"smooth:{s!r}").fit(dask["X"], dask["y"], sample_weight=dask["w"])
    np.testing.assert_array_equal(default.predict(dask["X"]).compute(), explicit.predict(dask["X"]).compute())
    # a scale from the first partition alone would give another model
    s0 = smooth_scale("quantile", local["y"][:2000], local["w"][:2000])
    assert s0 != s
    other = make(hessian=f"smooth:{s0!r}").fit(dask["X"], dask["y"], sample_weight=dask["w"])
    assert np.max(np.abs(other.predict(dask["X"]).compute() - default.predict(dask["X"]).compute())) > 0
