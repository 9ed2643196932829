"""The default linear fit's Newton path: where it stops, what it records, how many passes it makes.

The agreement with the closed forms and the anchors (lstsq, LogisticRegression, PoissonRegressor,
statsmodels' GLM and RLM) is in tests/test_estimators.py; these tests check the solver's own
bookkeeping: the final point is stationary in the input units, the last history record is the
loss at the fitted predictions (also when the last Newton step is taken without a further pass),
the loss is evaluated once per iteration and the Hessian formed only where a step is taken, and
the preprocessing that feeds it keeps its statistics.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

import losslab
from losslab.sklearn import LossClassifier, LossRegressor
from losslab.train import solver
from losslab.train.preprocess import NumericColumns, column_kinds, make_preprocessor


def _data(name: str, n: int = 3000, p: int = 5, seed: int = 3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 4.0, p) + rng.normal(0, 3, p)
    eta = (X - X.mean(axis=0)) / X.std(axis=0) @ (rng.normal(size=p) * 0.4) + 0.3
    w = rng.uniform(0.2, 2.0, n)
    if name == "binary_crossentropy":
        return X, (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int), w
    if name == "poisson":
        return X, rng.poisson(np.exp(eta)).astype(float), w
    if name == "gamma":
        return X, rng.gamma(2.0, np.exp(eta) / 2.0), w
    return X, 2.0 * eta + rng.standard_t(3, n), w  # mse, huber


def _fit(name: str, X, y, w=None):
    est = LossClassifier() if name == "binary_crossentropy" else LossRegressor(loss=name)
    return est.fit(X, y, sample_weight=w)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", ["mse", "huber", "binary_crossentropy", "poisson", "gamma"])
def test_the_default_fit_stops_at_a_stationary_point_and_records_its_loss(name, weighted):
    X, y, w = _data(name)
    w = w if weighted else None
    est = _fit(name, X, y, w)
    loss = losslab.get(name)
    raw = est.predict_raw(X)
    wt = np.ones(len(y)) if w is None else w
    A = np.c_[X, np.ones(len(y))]
    # the gradient of Σwℓ/Σw in the input units, against its size at the best constant
    grad = A.T @ (np.asarray(loss.gradient(y.astype(float), raw)) * wt) / wt.sum()
    start = (
        A.T @ (np.asarray(loss.gradient(y.astype(float), np.full(len(y), est.init_bias_))) * wt) / wt.sum()
    )
    assert np.max(np.abs(grad)) < 1e-9 * np.max(np.abs(start))
    # the last record is the loss at the fitted weights, whether or not a pass computed it
    at_fit = float(loss(y.astype(float), raw, sample_weight=w))
    assert est.history_[-1]["train_loss"] == pytest.approx(at_fit, rel=1e-12)
    losses = [r["train_loss"] for r in est.history_]
    assert all(b <= a for a, b in pairwise(losses))  # descent (to rounding)


@pytest.mark.parametrize("name", ["binary_crossentropy", "poisson", "gamma"])
def test_newton_makes_one_pass_of_the_loss_per_iteration_and_a_hessian_per_step(name, monkeypatch):
    passes, hessians = [], []
    point, hessian = solver._Objective.newton_point, solver._Objective.hessian
    monkeypatch.setattr(solver._Objective, "newton_point", lambda o, t: passes.append(1) or point(o, t))
    monkeypatch.setattr(solver._Objective, "hessian", lambda o, pt: hessians.append(1) or hessian(o, pt))
    X, y, _ = _data(name, seed=5)
    est = _fit(name, X, y)
    assert est.n_iter_ >= 3
    # the start's pass gives L₀ (no separate value pass); full steps pass Armijo, so each
    # iteration costs one pass, and the last one none (the Newton decrement was below tol)
    assert len(passes) <= est.n_iter_
    assert len(hessians) == est.n_iter_  # none where the iteration stops


def test_a_huge_newton_decrement_never_skips_the_check():
    # mse: one Newton step lands on the optimum; its decrement is large, so the pass after it
    # (which finds the gradient zero) is made, and the recorded loss is the computed one
    X, y, _ = _data("mse", seed=6)
    est = LossRegressor(loss="mse").fit(X, y)
    assert est.n_iter_ == 1
    raw = est.predict_raw(X)
    assert est.history_[0]["train_loss"] == pytest.approx(float(np.mean((y - raw) ** 2)), rel=1e-13)


def test_numeric_columns_screen_missing_values_by_column_sums():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(501, 4))
    X[[3, 77, 400], 1] = np.nan
    X[0, 2], X[1, 2] = np.inf, -np.inf  # a NaN sum without a missing value: nothing imputed
    step = NumericColumns()
    Z = step.fit_transform(X)
    assert step.statistics_[1] == np.median(X[~np.isnan(X[:, 1]), 1])
    assert step.statistics_[[0, 3]].tolist() == np.median(X[:, [0, 3]], axis=0).tolist()
    assert not np.isnan(Z[:, [0, 1, 3]]).any() and np.isnan(Z[:, 2]).all()  # inf − inf: the mean is NaN
    np.testing.assert_allclose(Z[:, 0], (X[:, 0] - X[:, 0].mean()) / X[:, 0].std(), rtol=1e-12)
    filled = np.where(np.isnan(X[:, 1]), step.statistics_[1], X[:, 1])
    np.testing.assert_allclose(Z[:, 1], (filled - filled.mean()) / filled.std(), rtol=1e-12)
    even = NumericColumns(scale=False).fit(X[:500, [0]])
    assert even.statistics_[0] == np.median(X[:500, 0])


def test_all_numeric_arrays_are_selected_without_a_copy_and_named_as_before():
    X = np.arange(12.0).reshape(4, 3)
    pre = make_preprocessor(column_kinds(X))
    pre.fit(X)
    assert pre.get_feature_names_out().tolist() == ["x0", "x1", "x2"]
    with pytest.raises(losslab.DataError, match="feature column 1 has no values"):
        column_kinds(np.c_[X[:, :1], np.full(4, np.nan)])


def test_the_linear_model_leaves_torch_random_state_alone():
    import torch

    X, y, _ = _data("mse", n=200, seed=8)
    state = torch.random.get_rng_state()
    LossRegressor().fit(X, y)
    assert torch.equal(state, torch.random.get_rng_state())


_CHEAPER = [("poisson", {}), ("gamma", {}), ("tweedie", {"power": 1.5}), ("tweedie", {"power": 2.5})]


@pytest.mark.parametrize(("name", "params"), _CHEAPER)
def test_the_value_up_to_y_is_the_loss_less_a_function_of_the_targets(name, params):
    pytest.importorskip("numba")
    from losslab import kernels
    from losslab._core import fastpath

    loss = losslab.get(name, **params)
    assert kernels.cheaper_up_to_target(loss)
    rng = np.random.default_rng(11)
    n = 4 * fastpath.DEFAULT_MIN_SIZE
    f1 = rng.normal(0.3, 0.8, n)
    f2 = f1 + rng.normal(0.0, 0.5, n)
    y = rng.gamma(2.0, np.exp(f1) / 2.0)
    if name != "gamma" and params.get("power", 1.0) < 2:
        y = np.where(rng.uniform(size=n) < 0.3, 0.0, np.round(y) if name == "poisson" else y)
    w = rng.uniform(0.5, 2.0, n)

    def fused(want, f, reduction="none", weights=None):
        out = fastpath.fused(loss, y, f, weights, False, want, reduction, (None, None))
        assert out is not None
        return np.asarray(out)

    c = fused("c", f1)
    for f in (f1, f2):
        exact = np.asarray(loss(y, f, reduction="none"))
        low = fused("s", f)
        # entry by entry: ℓ = (the value up to y) + c(y), c the same for every prediction
        np.testing.assert_allclose(low + c, exact, rtol=0, atol=1e-12 * (1 + np.abs(low) + np.abs(c)).max())
        # the weighted means (what the solver adds), and the gradient and Hessian as the loss's own
        mean = float(fused("s", f, "mean", w)) + float(fused("c", f, "mean", w))
        assert mean == pytest.approx(float(loss(y, f, sample_weight=w)), rel=1e-12)
        v, g, h = (np.asarray(a) for a in fastpath.fused(loss, y, f, w, False, "sgh", "none", (None, None)))
        _, g0, h0 = loss.value_gradient_hessian(y, f, sample_weight=w, reduction="none")
        assert np.array_equal(g, np.asarray(g0)) and np.array_equal(h, np.asarray(h0))
        np.testing.assert_array_equal(v, low * w)
        # both sums from one pass (the solver's first point), as from their own passes
        s2, c2, g2, h2 = fastpath.fused(loss, y, f, w, False, "scgh", "mean", (None, None))
        assert float(s2) == pytest.approx(float(fused("s", f, "mean", w)), rel=1e-14)
        assert float(c2) == pytest.approx(float(fused("c", f, "mean", w)), rel=1e-14)
        assert np.array_equal(g2, g) and np.array_equal(h2, h)


@pytest.mark.parametrize("name", ["mse", "binary_crossentropy", "huber"])
def test_losses_without_a_cheaper_form_give_their_value(name):
    pytest.importorskip("numba")
    from losslab import kernels
    from losslab._core import fastpath

    loss = losslab.get(name)
    rng = np.random.default_rng(12)
    n = 2 * fastpath.DEFAULT_MIN_SIZE
    y = (rng.uniform(size=n) < 0.4).astype(float)
    f = rng.normal(size=n)
    assert not kernels.cheaper_up_to_target(loss)
    for want in ("c", "scgh"):
        assert fastpath.fused(loss, y, f, None, False, want, "mean", (None, None)) is None
    s = fastpath.fused(loss, y, f, None, False, "s", "mean", (None, None))
    assert float(s) == float(fastpath.fused(loss, y, f, None, False, "v", "mean", (None, None)))


@pytest.mark.parametrize("name", ["poisson", "gamma"])
def test_the_cheaper_value_fits_and_reports_as_the_loss_itself(name):
    # the same fit with the fused engine off (every pass the loss's own value): same predictions,
    # same recorded losses to rounding
    pytest.importorskip("numba")
    from losslab._core import fastpath

    X, y, w = _data(name, n=3 * fastpath.DEFAULT_MIN_SIZE, seed=13)
    fast = _fit(name, X, y, w)
    fastpath.configure(enabled=False)
    try:
        plain = _fit(name, X, y, w)
    finally:
        fastpath.configure(enabled=True)
    assert fast.n_iter_ == plain.n_iter_
    np.testing.assert_allclose(fast.predict(X), plain.predict(X), rtol=1e-9)
    for a, b in zip(fast.history_, plain.history_, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-12)


def test_large_counts_take_the_loss_itself_and_stop_at_a_stationary_point():
    # counts near 10⁶: the value up to y has terms ≈ y·log y ≈ 10⁷ against a deviance of ~1 per row
    # (c̄ ≫ 10³·L₀), too coarse for the last decreases and the history: the loss's own value
    pytest.importorskip("numba")
    rng = np.random.default_rng(14)
    n = 20_000
    X = rng.normal(size=(n, 4))
    y = rng.poisson(np.exp(X @ np.array([0.02, -0.01, 0.015, 0.0]) + 13.8)).astype(float)
    est = LossRegressor(loss="poisson").fit(X, y)
    loss = losslab.get("poisson")
    A = np.c_[X, np.ones(n)]
    grad = A.T @ np.asarray(loss.gradient(y, est.predict_raw(X))) / n
    start = A.T @ np.asarray(loss.gradient(y, np.full(n, est.init_bias_))) / n
    assert np.max(np.abs(grad)) < 1e-9 * np.max(np.abs(start))
    assert est.history_[-1]["train_loss"] == pytest.approx(float(loss(y, est.predict_raw(X))), rel=1e-12)


def test_a_cheaper_value_that_cannot_resolve_a_decrease_hands_over_to_the_loss(monkeypatch):
    # every pass of the value up to y adds 10⁻³ more than the last (a rounding error as large as
    # the later decreases): the first step it cannot resolve switches to the loss's own value,
    # which decides and is recorded from then on
    pytest.importorskip("numba")
    from losslab._core import fastpath

    up_to_y = solver._Objective._up_to_y
    calls = []

    def coarse(obj, u, want):
        out = up_to_y(obj, u, want)
        if want != "sgh" or out is None:
            return out
        calls.append(1)
        return (out[0] + 1e-3 * len(calls), *out[1:])

    monkeypatch.setattr(solver._Objective, "_up_to_y", coarse)
    X, y, _ = _data("poisson", n=3 * fastpath.DEFAULT_MIN_SIZE, seed=15)
    est = _fit("poisson", X, y)
    assert calls  # the cheaper value was used, then given up
    loss = losslab.get("poisson")
    raw = est.predict_raw(X)
    A = np.c_[X, np.ones(len(y))]
    grad = A.T @ np.asarray(loss.gradient(y, raw)) / len(y)
    start = A.T @ np.asarray(loss.gradient(y, np.full(len(y), est.init_bias_))) / len(y)
    assert np.max(np.abs(grad)) < 1e-9 * np.max(np.abs(start))
    assert est.history_[-1]["train_loss"] == pytest.approx(float(loss(y, raw)), rel=1e-12)
