"""LightGBM's ``cross_entropy_lambda`` and ``multiclassova`` objectives against LightGBM's built-ins.

One boosting round on two groups of rows (a stump with learning rate 1 and no regularisation)
makes each leaf LightGBM's Newton step −Σg/Σh of its rows, so the leaves compare gradients and
Hessians; LightGBM hands its trees float32 gradients, hence rtol 2e-5. multiclassova also trains
20 rounds through losslab's LightGBM face and lands on the built-in's model.
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab

lgb = pytest.importorskip("lightgbm")

STUMP = {
    "num_leaves": 2, "learning_rate": 1.0, "min_data_in_leaf": 1, "min_sum_hessian_in_leaf": 0.0,
    "lambda_l2": 0.0, "boost_from_average": False, "verbose": -1, "max_bin": 2, "num_threads": 1,
}  # fmt: skip


def _two_groups(n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.repeat([0.0, 1.0], n // 2)
    return x.reshape(-1, 1), rng


def _leaves(g: np.ndarray, h: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Newton leaf values −Σg/Σh of the two groups of x (summed over rows), per row."""
    out = np.empty(g.shape, dtype=np.float64)
    for v in (0.0, 1.0):
        m = x[:, 0] == v
        out[m] = -g[m].sum(axis=0) / h[m].sum(axis=0)
    return out


# -- cross_entropy_lambda ---------------------------------------------------------------------------
def _xent_data(seed: int = 0):
    x, rng = _two_groups(seed=seed)
    y = np.where(rng.random(x.shape[0]) < 0.3 + 0.4 * x[:, 0], 1.0, 0.0)
    y[::7] = rng.random(y[::7].shape[0])  # LightGBM takes labels in [0, 1]
    return x, y, rng.normal(0.0, 1.5, x.shape[0])


def _per_row(name: str, y: np.ndarray, f: np.ndarray, intensity: np.ndarray):
    """Gradient and Hessian of each row at its own intensity."""
    g, h = np.empty_like(f), np.empty_like(f)
    for w in np.unique(intensity):
        m = intensity == w
        g[m], h[m] = losslab.get(name, intensity=float(w)).gradient_hessian(y[m], f[m])
    return g, h


@pytest.mark.parametrize("weights", ["none", "constant 0.3", "constant 4", "varying"])
def test_cross_entropy_lambda_matches_lightgbm(weights: str) -> None:
    """LightGBM reads a row's weight as its intensity w; losslab's ``intensity=w`` gives the
    same gradient and Hessian (without weights LightGBM runs plain cross-entropy: w = 1)."""
    x, y, f0 = _xent_data()
    n = y.shape[0]
    if weights == "none":
        w = None
    elif weights == "varying":
        # LightGBM's Hessian is NaN where w·softplus(f) > 36 (its 1 − z rounds to 0, then
        # c/(c − 1)² is inf/inf); these weights stay below that (losslab's is exact there)
        w = np.random.default_rng(1).choice([0.2, 1.0, 3.0, 6.0], n)
    else:
        w = np.full(n, float(weights.split()[1]))
    ds = lgb.Dataset(x, y, weight=w, init_score=f0)
    booster = lgb.train({**STUMP, "objective": "cross_entropy_lambda"}, ds, num_boost_round=1)
    step = booster.predict(x, raw_score=True)
    g, h = _per_row("xentlambda", y, f0, np.ones(n) if w is None else w)
    np.testing.assert_allclose(step, _leaves(g, h, x), rtol=2e-5)


def test_cross_entropy_lambda_value_is_lightgbms_metric() -> None:
    """LightGBM's ``cross_entropy_lambda`` metric is Σᵢ ℓ(yᵢ, fᵢ; wᵢ)/n (row intensities)."""
    x, y, f0 = _xent_data(seed=2)
    w = np.random.default_rng(3).choice([0.5, 2.0, 7.0], y.shape[0])
    ds = lgb.Dataset(x, y, weight=w, init_score=f0)
    record: dict = {}
    params = {**STUMP, "objective": "cross_entropy_lambda", "metric": "cross_entropy_lambda"}
    booster = lgb.train(
        params, ds, num_boost_round=1, valid_sets=[ds], callbacks=[lgb.record_evaluation(record)]
    )
    f = f0 + booster.predict(x, raw_score=True)
    y = y.astype(np.float32).astype(np.float64)  # LightGBM stores labels as float32
    ours = np.concatenate(
        [
            losslab.get("xentlambda", intensity=float(v))(y[w == v], f[w == v], reduction="none")
            for v in (0.5, 2.0, 7.0)
        ]
    )
    lgb_value = record["training"]["cross_entropy_lambda"][0]
    # LightGBM's own formula on init_score + predict(raw_score) differs from its metric by ~2e-9
    # (its internal training scores are not exactly those), so the comparison is to 1e-8
    np.testing.assert_allclose(ours.sum() / y.shape[0], lgb_value, rtol=1e-8)


def test_cross_entropy_lambda_link_is_lightgbms_output() -> None:
    """LightGBM predicts the rate λ = softplus(raw); the probability at intensity w is
    1 − e^{−wλ}, which is the loss's link."""
    x, y, _ = _xent_data()
    booster = lgb.train({**STUMP, "objective": "cross_entropy_lambda"}, lgb.Dataset(x, y), num_boost_round=3)
    raw, lam = booster.predict(x, raw_score=True), booster.predict(x)
    for w in (1.0, 0.3, 4.0):
        p = losslab.get("cross_entropy_lambda", intensity=w).link.inverse(raw)
        np.testing.assert_allclose(p, -np.expm1(-w * lam), rtol=1e-12)
        np.testing.assert_allclose(losslab.get("xentlambda", intensity=w).link.link(p), raw, rtol=1e-9)


def test_cross_entropy_lambda_at_unit_intensity_is_binary_crossentropy() -> None:
    rng = np.random.default_rng(0)
    y, f = rng.random(50), rng.normal(0.0, 5.0, 50)
    a, b = losslab.get("xentlambda"), losslab.get("binary_crossentropy")
    for fn in ("__call__", "gradient", "hessian"):
        np.testing.assert_array_equal(getattr(a, fn)(y, f), getattr(b, fn)(y, f))
    # and the general formulas agree with it as the intensity tends to 1
    near = losslab.get("xentlambda", intensity=1.0 + 1e-9)
    np.testing.assert_allclose(near.gradient(y, f), b.gradient(y, f), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(near.hessian(y, f), b.hessian(y, f), rtol=1e-6)


def test_cross_entropy_lambda_baseline_is_the_constant_optimum() -> None:
    y = np.array([0.0, 0.0, 1.0, 1.0, 1.0])
    for w in (0.3, 1.0, 4.0):
        loss = losslab.get("xentlambda", intensity=w)
        c = loss.baseline(y)
        assert abs(float(loss.link.inverse(np.array([c]))[0]) - 0.6) < 1e-12
        assert abs(float(np.sum(loss.gradient(y, np.full(5, c))))) < 1e-12


# -- multiclassova ----------------------------------------------------------------------------------
@pytest.mark.parametrize("sigmoid", [1.0, 0.5, 3.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_multiclassova_matches_lightgbm_one_round(sigmoid: float, weighted: bool) -> None:
    x, rng = _two_groups()
    n, k = x.shape[0], 3
    y = rng.integers(0, k, n)
    f0 = rng.normal(0.0, 1.0, (n, k))
    w = rng.uniform(0.2, 3.0, n) if weighted else None
    params = {**STUMP, "objective": "multiclassova", "num_class": k, "sigmoid": sigmoid}
    booster = lgb.train(params, lgb.Dataset(x, y, weight=w, init_score=f0), num_boost_round=1)
    step = booster.predict(x, raw_score=True)
    g, h = losslab.get("ova", sigmoid=sigmoid).gradient_hessian(y, f0, sample_weight=w)
    np.testing.assert_allclose(step, _leaves(g, h, x), rtol=2e-5)
    # LightGBM's prediction is each column's σ(c·raw): the loss's link
    np.testing.assert_allclose(
        booster.predict(x), losslab.get("multiclassova", sigmoid=sigmoid).link.inverse(step), rtol=1e-12
    )


def test_multiclassova_trains_lightgbms_model() -> None:
    """20 rounds through losslab's LightGBM face (init score = the loss's best constant, which is
    LightGBM's boost-from-average logit(p̄ⱼ)/c) give the built-in's model."""
    import losslab.lightgbm as ll

    rng = np.random.default_rng(0)
    n, k = 600, 3
    X = rng.normal(size=(n, 4))
    y = np.argmax(X[:, :k] + rng.normal(0.0, 1.0, (n, k)), axis=1)
    w = rng.uniform(0.5, 2.0, n)
    params = {
        "num_leaves": 7, "learning_rate": 0.3, "verbose": -1, "min_data_in_leaf": 10, "num_threads": 1,
        "num_class": k, "deterministic": True, "force_row_wise": True,
    }  # fmt: skip
    ref = lgb.train({**params, "objective": "multiclassova", "sigmoid": 2.0}, lgb.Dataset(X, y, weight=w), 20)
    ours = ll.train({"name": "multiclassova", "sigmoid": 2.0}, params, lgb.Dataset(X, y, weight=w), 20)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X, raw_score=True), rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("xentlambda", "cross_entropy_lambda"),
        ("multiclass_ova", "multiclassova"),
        ("ova", "multiclassova"),
        ("ovr", "multiclassova"),
    ],
)
def test_lightgbm_names_are_aliases(alias: str, name: str) -> None:
    assert losslab.get(alias).name == name
