"""The ordinal (cumulative logit) loss: targets and their errors, probabilities, the thresholds
(``"auto"`` and `fit_thresholds`), and parity with statsmodels' ``OrderedModel(distr="logit")``."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

import losslab
from losslab.losses.ordinal import ordinal_thresholds
from losslab.targets import Ordinal

ROOT = Path(__file__).resolve().parents[1]
TH = (-1.5, 0.2, 1.0, 3.0)  # five levels


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _data(n: int = 500, seed: int = 0, thresholds=TH):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    beta = np.array([1.0, -0.5, 0.25])
    eta = X @ beta
    y = np.searchsorted(np.asarray(thresholds), eta + rng.logistic(size=n))
    return X, y, eta


# -- targets and their errors ------------------------------------------------------------------------
def test_codes_and_ordinal_targets_agree() -> None:
    loss = losslab.get("ordinal", thresholds=TH)
    assert loss.n_levels == 5
    _, y, eta = _data(50)
    names = ["none", "low", "mid", "high", "top"]
    target = Ordinal.from_values([names[i] for i in y], levels=names)
    np.testing.assert_array_equal(loss(y, eta, reduction="none"), loss(target, eta, reduction="none"))
    np.testing.assert_array_equal(loss.gradient(y, eta), loss.gradient(target, eta))
    for alias in ("cumulative_logit", "ordinal_logistic", "proportional_odds"):
        assert losslab.get(alias, thresholds=TH) == loss


def test_unknown_level_is_an_error() -> None:
    with pytest.raises(losslab.DomainError, match=r"'medium' at row 1 is not one of the levels"):
        Ordinal.from_values(["low", "medium"], levels=["low", "mid", "high"])


@pytest.mark.parametrize("bad", [[0, 5, 1], [0, -1, 1], np.array([0.0, 5.0, 1.0])])
def test_a_label_beyond_the_levels_is_an_error(bad) -> None:
    loss = losslab.get("ordinal", thresholds=TH)
    with pytest.raises(losslab.DomainError, match=r"ordinal.*0 … 4.*at row 1"):
        loss(bad, np.zeros(3))


def test_a_target_with_other_levels_is_an_error() -> None:
    loss = losslab.get("ordinal", thresholds=(-1.0, 1.0))  # three levels
    with pytest.raises(losslab.ShapeError, match=r"has 4 levels, but the loss's 2 thresholds define 3"):
        loss(Ordinal([0, 1, 2], levels=4), np.zeros(3))
    with pytest.raises(losslab.DomainError, match=r"level code in 0 … 2"):
        loss(Ordinal([0, 3, 1]), np.zeros(3))  # levels not given: the loss's k is checked
    with pytest.raises(losslab.DomainError, match="whole numbers"):
        loss([0.5, 1.0, 2.0], np.zeros(3))


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ((1.0, 0.5), r"strictly increasing .*θ2 = 0.5 <= θ1 = 1.0"),
        ((0.0, 0.0), r"strictly increasing"),
        ((), r"at least one threshold"),
        ((0.0, float("nan")), r"finite"),
        ((0.0, float("inf")), r"finite"),
        ("sorted", r"'auto' or a sequence"),
    ],
)
def test_thresholds_not_increasing_are_an_error(thresholds, message) -> None:
    with pytest.raises(losslab.ParameterError, match=message):
        losslab.get("ordinal", thresholds=thresholds)


def test_auto_thresholds_must_be_fitted_before_use() -> None:
    loss = losslab.get("ordinal", thresholds="auto")
    assert loss.n_levels is None
    with pytest.raises(losslab.ParameterError, match="'auto'"):
        loss([0, 1], np.zeros(2))
    with pytest.raises(losslab.ParameterError, match="thresholds='auto'"):
        loss.probabilities(np.zeros(2))


def test_serialisation_round_trip() -> None:
    loss = losslab.get("ordinal", thresholds=[-1, 2])
    assert loss.thresholds == (-1.0, 2.0)
    assert losslab.get(loss.to_dict()) == loss
    import pickle

    assert pickle.loads(pickle.dumps(loss)) == loss


# -- values, derivatives, probabilities ----------------------------------------------------------------
def test_value_is_minus_log_probability_of_the_level() -> None:
    loss = losslab.get("ordinal", thresholds=TH)
    _, y, eta = _data(200)
    cuts = np.r_[-np.inf, TH, np.inf]
    p = _sigmoid(cuts[y + 1] - eta) - _sigmoid(cuts[y] - eta)
    np.testing.assert_allclose(loss(y, eta, reduction="none"), -np.log(p), rtol=1e-13)
    probs = loss.probabilities(eta)
    np.testing.assert_allclose(probs[np.arange(y.size), y], p, rtol=1e-13)
    np.testing.assert_allclose(
        loss(y, eta, reduction="none"), -np.log(probs[np.arange(y.size), y]), rtol=1e-13
    )


def test_probabilities_are_rows_summing_to_one_also_far_out() -> None:
    loss = losslab.get("ordinal", thresholds=TH)
    eta = np.array([-1e4, -800.0, -40.0, -1.0, 0.0, 0.6, 2.0, 40.0, 800.0, 1e4])
    p = loss.probabilities(eta)
    assert p.shape == (eta.size, 5)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15, atol=0)
    lp = loss.log_probabilities(np.array([800.0]))  # level 0 has log σ(θ₁ − 800) = θ₁ − 800
    assert lp[0, 0] == TH[0] - 800.0 and lp[0, -1] == 0.0
    assert losslab.get("ordinal", thresholds=[0.0]).probabilities([0.0]).tolist() == [[0.5, 0.5]]


def test_gradient_vanishes_midway_between_close_cuts() -> None:
    """σ(−a) − σ(b) cancels completely at the midpoint of an inner level; the sinh form keeps
    its tiny values next to it (here checked against the Hessian: g ≈ h·(η − mid))."""
    lo, hi = 5.0, 5.0 + 2.0**-20
    loss = losslab.get("ordinal", thresholds=(lo, hi))
    mid = lo / 2 + hi / 2
    d = np.array([0.0, 1e-12, -1e-9, 1e-7])
    g = loss.gradient(np.ones(4, dtype=int), mid + d)
    h = loss.hessian(np.ones(4, dtype=int), mid + d)
    assert g[0] == 0.0
    np.testing.assert_allclose(g[1:], h[1:] * ((mid + d[1:]) - mid), rtol=1e-6)


def test_autodiff_of_the_value_is_the_gradient() -> None:
    torch = pytest.importorskip("torch")
    loss = losslab.get("ordinal", thresholds=TH)
    _, y, eta = _data(64)
    f = torch.tensor(eta, requires_grad=True)
    loss(torch.tensor(y), f, reduction="sum").backward()
    np.testing.assert_allclose(f.grad.numpy(), loss.gradient(y, eta), rtol=1e-12, atol=1e-15)


def test_baseline_is_the_best_constant() -> None:
    loss = losslab.get("ordinal", thresholds=TH)
    _, y, _ = _data(300)
    c = loss.baseline(y)
    assert abs(float(np.sum(loss.gradient(y, np.full(y.size, c))))) < 1e-9


# -- thresholds: "auto" and fit_thresholds ----------------------------------------------------------------
def test_auto_thresholds_are_smoothed_cumulative_logits() -> None:
    th = ordinal_thresholds([0, 0, 1, 2, 2, 2])
    counts = np.array([2.5, 1.5, 3.5])
    cum = np.cumsum(counts)[:-1] / counts.sum()
    np.testing.assert_allclose(th, np.log(cum / (1 - cum)), rtol=1e-15)
    # an empty top level (a fold without it) still gives finite increasing cuts
    fitted = losslab.get("ordinal", thresholds="auto").fit_auto(Ordinal([0, 1, 1, 0], levels=4))
    assert fitted.n_levels == 4 and np.all(np.isfinite(fitted.thresholds))
    assert np.all(np.diff(fitted.thresholds) > 0)
    assert losslab.get("ordinal", thresholds="auto").fit_auto(np.array([0, 2, 1])).n_levels == 3
    with pytest.raises(losslab.ParameterError, match="single level"):
        ordinal_thresholds([0, 0, 0])


def test_fit_thresholds_at_zero_scores_is_the_cumulative_logit() -> None:
    y = np.array([0, 0, 1, 2, 2, 2, 3, 1])
    fitted = losslab.get("ordinal", thresholds="auto").fit_thresholds(y, np.zeros(y.size))
    cum = np.cumsum(np.bincount(y))[:-1] / y.size
    np.testing.assert_allclose(fitted.thresholds, np.log(cum / (1 - cum)), rtol=1e-12, atol=1e-14)


def test_fit_thresholds_is_the_maximum_likelihood() -> None:
    """At the fitted thresholds the total loss is stationary (central differences in each θⱼ),
    weights act as replicated rows, and the fit is the same from any start."""
    _, y, eta = _data(400, seed=3)
    w = np.random.default_rng(4).integers(1, 4, y.size).astype(float)
    start = losslab.get("ordinal", thresholds=(-5.0, -4.0, 6.0, 7.0))
    fitted = start.fit_thresholds(y, eta, sample_weight=w)
    th = np.asarray(fitted.thresholds)
    for j in range(th.size):
        e = np.zeros(th.size)
        e[j] = 1e-5
        up = losslab.get("ordinal", thresholds=th + e)(y, eta, sample_weight=w, reduction="sum")
        down = losslab.get("ordinal", thresholds=th - e)(y, eta, sample_weight=w, reduction="sum")
        assert abs(up - down) / 2e-5 < 1e-6
    rep = np.repeat(np.arange(y.size), w.astype(int))
    replicated = losslab.get("ordinal", thresholds="auto").fit_thresholds(y[rep], eta[rep])
    np.testing.assert_allclose(replicated.thresholds, fitted.thresholds, rtol=1e-9, atol=1e-12)


def test_fit_thresholds_refuses_an_empty_level() -> None:
    loss = losslab.get("ordinal", thresholds=TH)
    with pytest.raises(losslab.DomainError, match="level 2 has no rows"):
        loss.fit_thresholds([0, 1, 3, 4, 4], np.zeros(5))
    with pytest.raises(losslab.ShapeError, match="one score per label"):
        loss.fit_thresholds([0, 1, 2], np.zeros(4))


def test_alternating_fits_learn_thresholds_and_scores_jointly() -> None:
    """The documented recipe: fit η with θ fixed, refit θ with η fixed, repeat; the joint
    negative log-likelihood decreases at every step and lands on statsmodels' optimum."""
    pytest.importorskip("statsmodels")
    from scipy.optimize import minimize

    X, y, _ = _data(400, seed=5)
    loss = losslab.get("ordinal", thresholds="auto").fit_auto(y)
    beta = np.zeros(X.shape[1])
    last = np.inf
    for _ in range(30):
        res = minimize(
            lambda b, lo=loss: (lo(y, X @ b, reduction="sum"), X.T @ lo.gradient(y, X @ b)),
            beta,
            jac=True,
            method="BFGS",
            options={"gtol": 1e-10},
        )
        beta = res.x
        loss = loss.fit_thresholds(y, X @ beta)
        total = float(loss(y, X @ beta, reduction="sum"))
        assert total <= last + 1e-9
        last = total
    ref = _statsmodels_fit(X, y)
    np.testing.assert_allclose(beta, ref["beta"], atol=1e-5)
    np.testing.assert_allclose(loss.thresholds, ref["thresholds"], atol=1e-5)


# -- statsmodels' OrderedModel ---------------------------------------------------------------------------
def _statsmodels_fit(X, y):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    model = OrderedModel(y, X, distr="logit")
    res = model.fit(method="bfgs", disp=False, maxiter=5000, gtol=1e-8)
    assert res.mle_retvals["converged"]
    p = X.shape[1]
    cuts = model.transform_threshold_params(res.params)[1:-1]
    return {"model": model, "params": res.params, "beta": res.params[:p], "thresholds": cuts}


def test_loglikelihood_is_statsmodels_ordered_logit() -> None:
    pytest.importorskip("statsmodels")
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    X, y, _ = _data(300, seed=1)
    model = OrderedModel(y, X, distr="logit")
    rng = np.random.default_rng(2)
    for _ in range(5):
        beta = rng.normal(size=X.shape[1])
        th = np.sort(rng.normal(0.0, 2.0, 4))
        # statsmodels' threshold parameters: θ₁ and the log-increments log(θⱼ − θⱼ₋₁)
        params = np.r_[beta, th[0], np.log(np.diff(th))]
        ours = losslab.get("ordinal", thresholds=th)(y, X @ beta, reduction="sum")
        np.testing.assert_allclose(model.loglike(params), -ours, rtol=1e-12)


def test_fit_thresholds_reproduces_statsmodels_thresholds() -> None:
    pytest.importorskip("statsmodels")
    X, y, _ = _data(500, seed=0)
    ref = _statsmodels_fit(X, y)
    fitted = losslab.get("ordinal", thresholds="auto").fit_thresholds(y, X @ ref["beta"])
    np.testing.assert_allclose(fitted.thresholds, ref["thresholds"], atol=1e-6)
    assert fitted.n_levels == 5


# -- the docs example ------------------------------------------------------------------------------------
def test_docs_example_runs() -> None:
    out = runpy.run_path(str(ROOT / "docs" / "examples" / "ordinal.py"), run_name="__main__")
    assert out["accuracy"] > out["majority"] + 0.15 and out["mae_levels"] < 0.8
    np.testing.assert_allclose(out["proba"].sum(axis=1), 1.0, rtol=1e-12)
