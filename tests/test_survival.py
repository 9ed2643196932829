"""Issue 15 (survival and censored targets): cox, aft and tobit — what no generic property says.

Parity with XGBoost's ``survival:cox`` and ``survival:aft`` (each distribution) through
``losslab.xgboost.train`` on a generated censored set; the gradient/Hessian of the weighted
Cox total against a direct O(n²) computation (with ties); Breslow's baseline against a hand
computation and scikit-survival; Tobit's limits; LightGBM custom objectives; the data-fitted
σ; clear errors for malformed targets.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import losslab
from losslab.losses.survival import breslow, tobit_sigma
from losslab.targets import Bounds, Survival


def _cox_data(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    eta = X[:, 0] - 0.5 * X[:, 1]
    time = rng.exponential(np.exp(-eta))
    cens = rng.exponential(2.0, n)
    return X, np.minimum(time, cens), (time <= cens).astype(np.int64), eta


def _aft_data(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact, right, left and interval censored rows, a quarter each."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    T = np.exp(1.0 + 0.5 * X[:, 0] - 0.3 * X[:, 1] + 0.5 * rng.normal(size=n))
    kind = rng.integers(0, 4, n)
    lo = np.where(kind == 2, 0.0, np.where(kind == 3, 0.6 * T, T))
    hi = np.where(kind == 1, np.inf, np.where(kind == 3, 1.5 * T, T))
    return X, lo, hi


# -- Cox -----------------------------------------------------------------------------------------
def _cox_direct(time, event, f, w):
    """Value rows, gradient and Hessian diagonal of Σwℓ by the O(n²) definition."""
    n = time.size
    at_risk = time[None, :] >= time[:, None]  # [i, j]: j in the risk set of i
    R = (at_risk * (w * np.exp(f))[None, :]).sum(axis=1)
    rows = event * (np.log(R) - f)
    c = w * event
    p = at_risk * (w * np.exp(f))[None, :] / R[:, None]  # p[i, k]
    g = (c[:, None] * p).sum(axis=0) - c
    h = (c[:, None] * p * (1.0 - p)).sum(axis=0)
    assert g.shape == (n,)
    return rows, g, h


def test_cox_matches_the_direct_definition_with_ties_and_weights() -> None:
    rng = np.random.default_rng(3)
    n = 60
    time = np.round(rng.exponential(1.0, n), 1) + 0.1  # many ties
    event = rng.integers(0, 2, n)
    f = rng.normal(0.0, 2.0, n)
    w = rng.uniform(0.2, 3.0, n)
    rows, g, h = _cox_direct(time, event, f, w)
    cox = losslab.get("survival:cox")
    t = Survival(time, event)
    np.testing.assert_allclose(cox(t, f, sample_weight=w, reduction="none"), w * rows, rtol=1e-12)
    gg, hh = cox.gradient_hessian(t, f, sample_weight=w)
    np.testing.assert_allclose(gg, g, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(hh, h, rtol=1e-11, atol=1e-14)
    # translation invariance: the total gradient vanishes, the baseline is 0
    assert abs(float(np.sum(gg))) < 1e-12 * float(np.sum(np.abs(gg)))
    assert cox.baseline(t) == 0.0


def test_cox_scores_far_apart_stay_finite() -> None:
    """Scores 1e3 apart: e^f would overflow, the log-space risk sums do not."""
    t = Survival([1.0, 2.0, 3.0, 4.0], [1, 1, 0, 1])
    f = np.array([800.0, -800.0, 0.0, 750.0])
    cox = losslab.get("cox")
    v = cox(t, f, reduction="none")
    g, h = cox.gradient_hessian(t, f)
    assert np.isfinite(v).all() and np.isfinite(g).all() and np.isfinite(h).all()
    assert v[0] == pytest.approx(0.0, abs=1e-12)  # row 1 dominates its own risk set
    assert v[1] == pytest.approx(1550.0, rel=1e-15)  # log(e^-800 + e^0 + e^750) + 800


def test_cox_matches_xgboost_survival_cox() -> None:
    xgb = pytest.importorskip("xgboost")
    import losslab.xgboost as lx
    from losslab.gbdt.targets import signed_survival_label

    X, time, event, _ = _cox_data()
    d = xgb.DMatrix(X, label=signed_survival_label(time, event))
    params = {"max_depth": 3, "eta": 0.3, "tree_method": "exact", "nthread": 1}
    theirs = xgb.train({**params, "objective": "survival:cox"}, d, 5)
    ours = lx.train("survival:cox", params, d, 5)
    assert json.loads(ours.save_config())["learner"]["learner_model_param"]["base_score"] == "[0E0]"
    p1, p2 = theirs.predict(d, output_margin=True), ours.predict(d, output_margin=True)
    np.testing.assert_allclose(p2, p1, rtol=0, atol=1e-5)  # float32 resolution
    trees_theirs = [t.split("leaf")[0] for t in theirs.get_dump()]
    trees_ours = [t.split("leaf")[0] for t in ours.get_dump()]
    assert trees_theirs == trees_ours


def test_cox_xgboost_gradient_is_ours_without_ties() -> None:
    """XGBoost's CoxRegression gradient and Hessian (unweighted, no ties) in closed form."""
    _, time, event, _ = _cox_data(80, seed=1)
    f = np.random.default_rng(2).normal(size=time.size)
    order = np.argsort(time)
    g_x, h_x = np.empty_like(f), np.empty_like(f)
    exp_sum = np.exp(f).sum()
    r = s = 0.0
    for i in order:  # XGBoost's loop (src/objective/regression_obj.cu, CoxRegression)
        if event[i]:
            r += 1.0 / exp_sum
            s += 1.0 / exp_sum**2
        g_x[i] = np.exp(f[i]) * r - event[i]
        h_x[i] = np.exp(f[i]) * r - np.exp(2 * f[i]) * s
        exp_sum -= np.exp(f[i])
    g, h = losslab.get("cox").gradient_hessian(Survival(time, event), f)
    np.testing.assert_allclose(g, g_x, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(h, h_x, rtol=1e-10, atol=1e-13)


def test_cox_as_lightgbm_objective_learns_the_risk() -> None:
    lgb = pytest.importorskip("lightgbm")
    import losslab.lightgbm as ll
    from losslab.gbdt.targets import signed_survival_label

    X, time, event, eta = _cox_data()
    ds = lgb.Dataset(X, label=signed_survival_label(time, event))
    booster = ll.train("cox", {"verbose": -1, "num_leaves": 7, "learning_rate": 0.1}, ds, 30)
    f = booster.predict(X, raw_score=True)
    cox = losslab.get("cox")
    t = Survival(time, event)
    assert cox(t, f) < cox(t, np.zeros_like(f)) - 0.2
    assert np.corrcoef(f, eta)[0, 1] > 0.85


# -- Breslow ---------------------------------------------------------------------------------------
def test_breslow_by_hand_with_weights_and_ties() -> None:
    time = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    event = np.array([1, 1, 1, 0, 1])
    f = np.array([0.5, -1.0, 0.0, 2.0, 1.0])
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    b = breslow(Survival(time, event), f, sample_weight=w)
    e = w * np.exp(f)
    R1, R2, R5 = e.sum(), e[1:].sum(), e[4]
    want = np.cumsum([1.0 / R1, (2.0 + 0.5) / R2, 3.0 / R5])
    np.testing.assert_allclose(b.time, [1.0, 2.0, 5.0])
    np.testing.assert_allclose(b.cumulative_hazard, want, rtol=1e-14)
    np.testing.assert_allclose(
        b.hazard_at([0.5, 1.0, 4.0, 9.0]), [0.0, want[0], want[1], want[2]], rtol=1e-14
    )
    S = b.survival([0.0, 1.0], [2.0])
    np.testing.assert_allclose(S[:, 0], np.exp(-want[1] * np.exp([0.0, 1.0])), rtol=1e-14)
    # huge scores: no overflow, S = 0 or 1 where it is
    assert np.isfinite(breslow(Survival(time, event), f + 800.0).cumulative_hazard).all()


def test_breslow_matches_scikit_survival() -> None:
    sksurv = pytest.importorskip("sksurv.linear_model.coxph")
    X, time, event, _ = _cox_data(200, seed=4)
    f = 0.7 * X[:, 0] - 0.2 * X[:, 1]
    est = sksurv.BreslowEstimator().fit(f, event.astype(bool), time)
    b = breslow(Survival(time, event), f)
    grid = np.unique(time[event == 1])
    np.testing.assert_allclose(b.hazard_at(grid), est.cum_baseline_hazard_(grid), rtol=1e-10)
    surv = est.get_survival_function(f[:3])
    np.testing.assert_allclose(b.survival(f[:3], grid), np.array([s(grid) for s in surv]), rtol=1e-10)


# -- AFT ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("distribution", ["normal", "logistic", "extreme"])
def test_aft_matches_xgboost_survival_aft(distribution: str) -> None:
    xgb = pytest.importorskip("xgboost")
    import losslab.xgboost as lx

    X, lo, hi = _aft_data()
    d = xgb.DMatrix(X)
    d.set_float_info("label_lower_bound", lo)
    d.set_float_info("label_upper_bound", hi)
    loss = losslab.get("survival:aft", distribution=distribution, sigma=1.0)
    c = loss.baseline(Bounds(lo, hi))
    # XGBoost's clipping (|g| ≤ 15, h ≤ 15) does not bind on this set at the start
    g, h = loss.gradient_hessian(Bounds(lo, hi), np.full(lo.size, c))
    assert np.abs(g).max() < 15 and h.max() < 15
    params = {"max_depth": 3, "eta": 0.3, "tree_method": "exact", "nthread": 1}
    theirs = xgb.train(
        {
            **params,
            "objective": "survival:aft",
            "aft_loss_distribution": distribution,
            "aft_loss_distribution_scale": 1.0,
            "base_score": float(np.exp(c)),  # survival:aft reads base_score as a time
        },
        d,
        5,
    )
    ours = lx.train(loss, params, d, 5)
    np.testing.assert_allclose(
        ours.predict(d, output_margin=True), theirs.predict(d, output_margin=True), rtol=0, atol=1e-5
    )
    assert [t.split("leaf")[0] for t in theirs.get_dump()] == [t.split("leaf")[0] for t in ours.get_dump()]


@pytest.mark.parametrize("distribution", ["normal", "logistic", "extreme"])
def test_aft_values_match_xgboost_metric(distribution: str) -> None:
    """XGBoost's aft-nloglik (the mean loss) includes log(σt) for exact rows, as losslab does.
    (The metric reads the distribution from the booster but not its scale, at 1 here.)"""
    xgb = pytest.importorskip("xgboost")
    X, lo, hi = _aft_data(120, seed=5)
    d = xgb.DMatrix(X)
    d.set_float_info("label_lower_bound", lo)
    d.set_float_info("label_upper_bound", hi)
    booster = xgb.train(
        {
            "objective": "survival:aft",
            "aft_loss_distribution": distribution,
            "aft_loss_distribution_scale": 1.0,
            "eval_metric": "aft-nloglik",
            "base_score": 2.0,
        },
        d,
        1,
    )
    f = booster.predict(d, output_margin=True).astype(np.float64)
    theirs = float(booster.eval_set([(d, "t")]).split("aft-nloglik:")[1])
    ours = float(losslab.get("aft", distribution=distribution, sigma=1.0)(Bounds(lo, hi), f))
    assert ours == pytest.approx(theirs, rel=1e-5)


def test_aft_exact_rows_near_the_optimum_keep_their_digits() -> None:
    """z = (log t − f)/σ from a double-double log t: at f = fl(log 2) the gradient is the
    tiny true residual, not 0."""
    aft = losslab.get("aft")
    f = np.array([np.log(2.0)])
    g = aft.gradient(Bounds([2.0], [2.0]), f)
    assert g[0] == pytest.approx(-2.3190468138462996e-17, rel=1e-12)


def test_aft_far_tails_are_finite_and_convex() -> None:
    lo = np.array([1.0, 2.0, 0.0, 1.0, 2.0])
    hi = np.array([1.0, np.inf, 3.0, 2.0, 2.0])
    for dist in ("normal", "logistic", "extreme"):
        aft = losslab.get("aft", distribution=dist, sigma=0.5)
        for f in (-300.0, -50.0, 0.0, 50.0, 300.0):
            ff = np.full(lo.size, f)
            v, g, h = aft.value_gradient_hessian(Bounds(lo, hi), ff, reduction="none")
            assert not np.isnan(v).any() and not np.isnan(g).any() and not np.isnan(h).any()
            assert (h >= 0).all()


def test_a_survival_target_converts_to_right_censored_bounds() -> None:
    t = Survival([1.0, 2.0], [1, 0])
    aft = losslab.get("aft")
    f = np.array([0.3, -0.2])
    np.testing.assert_array_equal(
        aft(t, f, reduction="none"), aft(Bounds([1.0, 2.0], [1.0, np.inf]), f, reduction="none")
    )


# -- Tobit -----------------------------------------------------------------------------------------
def test_tobit_is_gaussian_nll_on_exact_rows_and_a_tail_probability_when_capped() -> None:
    from scipy.stats import norm

    tobit = losslab.get("censored_gaussian", sigma=1.7)
    y = np.array([0.3, -1.0, 2.0])
    f = np.array([0.1, 0.5, -0.4])
    np.testing.assert_allclose(tobit(y, f, reduction="none"), -norm.logpdf(y, loc=f, scale=1.7), rtol=1e-14)
    b = Bounds([2.0, -np.inf, -1.0], [np.inf, -1.0, 1.0])
    want = -np.log(
        [norm.sf(2.0, f[0], 1.7), norm.cdf(-1.0, f[1], 1.7), norm.cdf(1, f[2], 1.7) - norm.cdf(-1, f[2], 1.7)]
    )
    np.testing.assert_allclose(tobit(b, f, reduction="none"), want, rtol=1e-13)


def test_tobit_sigma_auto_is_fitted_from_censored_data() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(2.0, 1.5, 5000)
    b = Bounds(np.minimum(y, 3.0), np.where(y >= 3.0, np.inf, y))
    s = tobit_sigma(b)
    assert s == pytest.approx(1.5, rel=0.05)
    # the naive standard deviation of the capped values is biased low; the fit is not
    assert np.std(np.minimum(y, 3.0)) < 0.9 * s
    loss = losslab.get("tobit", sigma="auto").fit_auto(b)
    assert loss.sigma == s
    assert loss.baseline(b) == pytest.approx(2.0, abs=0.1)


def test_tobit_as_lightgbm_objective() -> None:
    lgb = pytest.importorskip("lightgbm")
    import losslab.lightgbm as ll

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + rng.normal(size=300)
    booster = ll.train(
        losslab.get("tobit", sigma=1.0), {"verbose": -1, "num_leaves": 7}, lgb.Dataset(X, label=y), 30
    )
    assert np.corrcoef(booster.predict(X, raw_score=True), X[:, 0])[0, 1] > 0.9


# -- malformed targets -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "target", "words"),
    [
        ("cox", Survival([1.0, 2.0], [1, 2]), "Survival.event"),
        ("cox", Survival([1.0, 0.0], [1, 0]), "Survival.time"),
        ("cox", Survival([1.0, -2.0], [1, 0]), "Survival.time"),
        ("aft", Bounds([3.0, 1.0], [2.0, 1.0]), "Bounds.lower"),
        ("aft", Bounds([-1.0, 1.0], [2.0, 1.0]), "time >= 0"),
        ("aft", Bounds([0.0, 1.0], [0.0, 1.0]), "time > 0"),
        ("tobit", Bounds([3.0, 1.0], [2.0, 1.0]), "Bounds.lower"),
        ("tobit", Bounds([np.nan, 1.0], [2.0, 1.0]), "Bounds.lower"),
    ],
)
def test_malformed_targets_are_clear_errors(name: str, target, words: str) -> None:
    loss = losslab.get(name)
    with pytest.raises(losslab.DomainError, match=words) as exc:
        loss(target, np.zeros(2))
    assert repr(name) in str(exc.value) and "row" in str(exc.value)


def test_a_plain_array_is_no_survival_target() -> None:
    with pytest.raises(losslab.LosslabError, match="Survival"):
        losslab.get("cox")(np.array([1.0, 2.0]), np.zeros(2))


# -- the docs' example -------------------------------------------------------------------------
def test_docs_example_runs_and_learns() -> None:
    """docs/examples/survival.py (the new-user example of docs/structured.md)."""
    pytest.importorskip("xgboost")
    import runpy
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "examples" / "survival.py"
    ns = runpy.run_path(str(path), run_name="example")
    cox = ns["cox_example"]()
    assert cox["partial_nll_fitted"] < cox["partial_nll_at_zero"] - 0.2
    assert cox["corr_with_true_risk"] > 0.9 and 0.0 < cox["S(1 | row 0)"] < 1.0
    aft = ns["aft_example"]()
    assert aft["nll_fitted"] < aft["nll_at_baseline"] - 0.3
    tobit = ns["tobit_example"]()
    assert tobit["sigma"] == pytest.approx(1.3, rel=0.15)  # the marginal σ: √(1 + Var x₀) ≈ 1.41
    assert tobit["mean_prediction_top_decile"] > 3.0  # above the cap: the latent mean
