"""What no generic property says about log_cosh, pseudo_huber, barron, expectile, mape, poisson,
gamma, tweedie and gaussian_nll: limits and continuity in their parameters, the bias of MAPE,
and parity with the anchors (PyTorch, scikit-learn, optax) after their documented scaling."""

from __future__ import annotations

import math

import numpy as np
import pytest

import losslab

RNG = np.random.default_rng(7)
R = np.concatenate([RNG.normal(0.0, 3.0, 40), [0.0, 1e-8, -1e-8, 50.0, -1e4]])
Y0 = np.zeros_like(R)


def _all(loss, y, f):
    return loss(y, f, reduction="none"), loss.gradient(y, f), loss.hessian(y, f)


# -- barron ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1.0, 0.3, 25.0])
def test_barron_alpha_2_is_scaled_l2(scale):
    v, g, h = _all(losslab.get("barron", alpha=2.0, scale=scale), Y0, R)
    mv, mg, mh = _all(losslab.get("mse"), Y0, R)
    c2 = 2.0 * scale * scale
    np.testing.assert_allclose(v, mv / c2, rtol=1e-15)
    np.testing.assert_allclose(g, mg / c2, rtol=1e-15)
    np.testing.assert_allclose(h, mh / c2, rtol=1e-15)


def test_barron_alpha_1_is_pseudo_huber_over_c_squared():
    c = 2.5
    v, g, h = _all(losslab.get("barron", alpha=1.0, scale=c), Y0, R)
    pv, pg, ph = _all(losslab.get("pseudo_huber", delta=c), Y0, R)
    np.testing.assert_allclose(v * c * c, pv, rtol=1e-13)
    np.testing.assert_allclose(g * c * c, pg, rtol=1e-13)
    np.testing.assert_allclose(h * c * c, ph, rtol=1e-13)


@pytest.mark.parametrize(
    ("special", "nearby", "rtol"),
    [
        (2.0, [2.0 - 1e-9, 2.0 + 1e-9], 1e-7),
        (0.0, [1e-12, -1e-12], 1e-10),
        (-math.inf, [-1e12], 1e-7),
        (math.inf, [1e12], 1e-7),
    ],
)
def test_barron_is_continuous_at_its_special_alphas(special, nearby, rtol):
    r = R[np.abs(R) < 20]  # e^{x²/2} at alpha = +inf
    ref = _all(losslab.get("barron", alpha=special), np.zeros_like(r), r)
    for a in nearby:
        got = _all(losslab.get("barron", alpha=a), np.zeros_like(r), r)
        for x, y in zip(got, ref, strict=True):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-300)


def test_barron_metadata_follows_alpha():
    assert losslab.get("barron", alpha=1.0).info.convex
    assert losslab.get("barron", alpha=2.0).statistic == "mean"
    welsch = losslab.get("barron", alpha=-math.inf).info
    assert (welsch.convex, welsch.robust, welsch.hessian) == (False, True, "indefinite")
    assert not losslab.get("barron", alpha=4.0).info.robust
    # and the Hessian really is negative where the metadata says indefinite
    assert np.any(losslab.get("barron", alpha=0.0).hessian(Y0, R) < 0)


def test_barron_round_trips_infinite_alpha():
    loss = losslab.get("barron", alpha=-math.inf, scale=0.5)
    assert losslab.get(loss.to_dict()) == loss


# -- log_cosh and pseudo_huber ---------------------------------------------------------------------
def test_log_cosh_matches_optax_and_tails():
    optax = pytest.importorskip("optax")
    import jax

    r = R[np.abs(R) < 100]
    ours = losslab.get("log_cosh")(np.zeros_like(r), r, reduction="none")
    with jax.enable_x64(True):  # process-wide flag: only for this block
        theirs = np.asarray(optax.losses.log_cosh(r))
        tiny = float(optax.losses.log_cosh(np.array(1e-9)))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    # a tiny residual keeps r²/2 where logaddexp(r, -r) - log 2 rounds to 0
    assert float(losslab.get("log_cosh")([0.0], [1e-9])) == pytest.approx(5e-19, rel=1e-12)
    assert tiny == 0.0


def test_pseudo_huber_tails_are_delta_times_abs_residual():
    d = 0.5
    loss = losslab.get("pseudo_huber", delta=d)
    r = np.array([1e10, -1e300])
    np.testing.assert_allclose(loss(np.zeros(2), r, reduction="none"), d * np.abs(r), rtol=1e-10)
    np.testing.assert_allclose(loss.gradient(np.zeros(2), r), d * np.sign(r), rtol=1e-15)


# -- expectile -------------------------------------------------------------------------------------
@pytest.mark.parametrize("tau", [0.5, 0.1, 0.9])
def test_expectile_best_constant_is_the_sample_expectile(tau):
    y = np.random.default_rng(1).exponential(2.0, 500)
    loss = losslab.get("expectile", expectile=tau)
    c = loss.baseline(y)
    # first-order condition of the τ-expectile: τ·E[(y - c)+] = (1 - τ)·E[(c - y)+]
    assert tau * np.mean(np.maximum(y - c, 0)) == pytest.approx((1 - tau) * np.mean(np.maximum(c - y, 0)))
    if tau == 0.5:  # the mean, at half the mse
        assert c == pytest.approx(y.mean(), rel=1e-8)
        f = y + np.random.default_rng(2).normal(0.0, 1.0, 500)
        assert float(loss(y, f)) == pytest.approx(0.5 * float(losslab.get("mse")(y, f)), rel=1e-14)


def test_expectile_hessian_jumps_at_the_target():
    e = losslab.get("expectile", expectile=0.9)
    h = e.hessian([1.0, 1.0, 1.0], [0.0, 1.0, 2.0])
    assert h.tolist() == [1.8, 1.8, pytest.approx(0.2)]


# -- mape ------------------------------------------------------------------------------------------
def test_mape_is_biased_low():
    y = np.random.default_rng(3).lognormal(0.0, 1.0, 2001)
    best = losslab.get("mape").baseline(y)
    # the minimiser is the median of y reweighted by 1/y, well below the plain median
    order = np.argsort(y)
    w = 1.0 / y[order]
    weighted_median = y[order][np.searchsorted(np.cumsum(w), 0.5 * w.sum())]
    assert best == pytest.approx(weighted_median, rel=2e-2)
    assert best < 0.6 * np.median(y)
    assert float(losslab.get("mape")(y, np.full_like(y, best))) < float(
        losslab.get("mape")(y, np.full_like(y, np.median(y)))
    )


def test_mape_rejects_zero_targets_and_matches_sklearn():
    with pytest.raises(losslab.DomainError, match=r"mape.*nonzero.*index 1"):
        losslab.get("mape")([1.0, 0.0], [1.0, 2.0])
    from sklearn.metrics import mean_absolute_percentage_error

    y = np.array([1.0, -2.0, 50.0, 1e-3])
    f = np.array([1.5, 0.0, 40.0, 2e-3])
    assert float(losslab.get("mape")(y, f)) == pytest.approx(mean_absolute_percentage_error(y, f), rel=1e-14)


# -- poisson, gamma, tweedie -----------------------------------------------------------------------
COUNT_Y = np.array([0.0, 1.0, 2.0, 7.0, 0.5, 30.0])
COUNT_S = np.array([0.3, -2.0, 0.7, 2.0, 5.0, 3.4])


def test_tweedie_at_one_and_two_is_poisson_and_gamma():
    y, s = COUNT_Y, COUNT_S
    for q in zip(
        _all(losslab.get("tweedie", power=1.0), y, s), _all(losslab.get("poisson"), y, s), strict=True
    ):
        np.testing.assert_array_equal(*q)
    yp, sp_ = y[y > 0], s[y > 0]
    for q in zip(
        _all(losslab.get("tweedie", power=2.0), yp, sp_), _all(losslab.get("gamma"), yp, sp_), strict=True
    ):
        np.testing.assert_array_equal(*q)


@pytest.mark.parametrize(("limit", "name"), [(1.0, "poisson"), (2.0, "gamma")])
@pytest.mark.parametrize("eps", [1e-6, 1e-9, 1e-12])
def test_tweedie_is_continuous_in_power(limit, name, eps):
    y, s = COUNT_Y[COUNT_Y > 0], COUNT_S[COUNT_Y > 0]
    ref = _all(losslab.get(name), y, s)
    for p in (limit - eps, limit + eps):
        if p < 1.0:
            continue
        got = _all(losslab.get("tweedie", power=p), y, s)
        for x, r in zip(got, ref, strict=True):
            # the loss moves by O(eps) with p, and nothing cancels as p → 1 or 2 (the textbook
            # formula y^{2-p}/((1-p)(2-p)) - ... loses ~1e-16/eps relative digits there)
            np.testing.assert_allclose(x, r, rtol=1e3 * eps, atol=1e-300)


@pytest.mark.parametrize(
    ("spec", "sk"),
    [
        ({"name": "poisson"}, ("HalfPoissonLoss", {})),
        ({"name": "gamma"}, ("HalfGammaLoss", {})),
        ({"name": "tweedie", "power": 1.5}, ("HalfTweedieLoss", {"power": 1.5})),
        ({"name": "tweedie", "power": 3.0}, ("HalfTweedieLoss", {"power": 3.0})),
    ],
)
def test_counts_match_sklearn_half_losses_plus_constant(spec, sk):
    from sklearn._loss import loss as skloss

    ref = getattr(skloss, sk[0])(**sk[1])
    y, s = (
        (COUNT_Y, COUNT_S)
        if spec["name"] in ("poisson", "tweedie") and spec.get("power", 1) < 2
        else (
            COUNT_Y[COUNT_Y > 0],
            COUNT_S[COUNT_Y > 0],
        )
    )
    loss = losslab.get(spec)
    v, g, h = _all(loss, y, s)
    sv = ref.loss(y, s) + ref.constant_to_optimal_zero(y)
    sg, sh = ref.gradient_hessian(y, s)
    np.testing.assert_allclose(v, sv, rtol=1e-10, atol=1e-13)  # sklearn's sum of large terms cancels
    np.testing.assert_allclose(g, sg, rtol=1e-12)
    np.testing.assert_allclose(h, sh, rtol=1e-12)


def test_counts_match_sklearn_deviance_metrics():
    from sklearn.metrics import mean_gamma_deviance, mean_poisson_deviance, mean_tweedie_deviance

    y, s = COUNT_Y[COUNT_Y > 0], COUNT_S[COUNT_Y > 0]
    mu = np.exp(s)
    assert 2 * float(losslab.get("poisson")(y, s)) == pytest.approx(mean_poisson_deviance(y, mu), rel=1e-12)
    assert 2 * float(losslab.get("gamma")(y, s)) == pytest.approx(mean_gamma_deviance(y, mu), rel=1e-12)
    got = 2 * float(losslab.get("tweedie", power=1.7)(y, s))
    assert got == pytest.approx(mean_tweedie_deviance(y, mu, power=1.7), rel=1e-12)


def test_poisson_matches_torch_poisson_nll_up_to_its_constant():
    torch = pytest.importorskip("torch")
    y, s = COUNT_Y, COUNT_S
    st = torch.tensor(s, requires_grad=True)
    ref = torch.nn.PoissonNLLLoss(log_input=True, full=False, reduction="none")(st, torch.tensor(y))
    ref.sum().backward()
    const = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0) - y  # xlogy(y, y) - y
    loss = losslab.get("poisson")
    np.testing.assert_allclose(
        loss(y, s, reduction="none"), ref.detach().numpy() + const, rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(loss.gradient(y, s), st.grad.numpy(), rtol=1e-12)


def test_poisson_stays_finite_past_exp_overflow():
    # s = 720 > 709.78 where e^s overflows, y = e^719: the deviance y(e - 2) is finite
    y = np.array([math.exp(709.0)])
    s = np.array([710.0])
    v = float(losslab.get("poisson")(y, s))
    assert math.isfinite(v)
    assert v == pytest.approx(y[0] * (math.e - 2.0), rel=1e-12)
    assert math.isinf(float(losslab.get("poisson")([1.0], [710.0])))  # e^710 - 1 - 710 is beyond float64


def test_count_domains_are_checked():
    with pytest.raises(losslab.DomainError, match=r"poisson.*>= 0"):
        losslab.get("poisson")([1.0, -1.0], [0.0, 0.0])
    with pytest.raises(losslab.DomainError, match=r"gamma.*> 0"):
        losslab.get("gamma")([1.0, 0.0], [0.0, 0.0])
    with pytest.raises(losslab.DomainError, match=r"tweedie.*> 0"):
        losslab.get("tweedie", power=2.5)([0.0], [0.0])
    assert np.isfinite(float(losslab.get("tweedie", power=1.5)([0.0], [0.0])))
    with pytest.raises(losslab.ParameterError, match="power"):
        losslab.get("tweedie", power=0.5)
    assert losslab.get("tweedie", power=3.0).info.hessian == "indefinite"


# -- gaussian_nll ----------------------------------------------------------------------------------
def test_gaussian_nll_matches_torch_after_conversion():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    y = rng.normal(0.0, 2.0, 20)
    f = np.stack([rng.normal(0.0, 2.0, 20), rng.normal(0.0, 1.0, 20)], axis=1)
    for full in (False, True):
        m = torch.tensor(f[:, 0], requires_grad=True)
        var = torch.tensor(np.exp(f[:, 1]), requires_grad=True)
        ref = torch.nn.GaussianNLLLoss(full=full, eps=1e-300, reduction="none")(m, torch.tensor(y), var)
        ref.sum().backward()
        loss = losslab.get("gaussian_nll", full=full)
        np.testing.assert_allclose(loss(y, f, reduction="none"), ref.detach().numpy(), rtol=1e-12)
        g = loss.gradient(y, f)
        np.testing.assert_allclose(g[:, 0], m.grad.numpy(), rtol=1e-12)
        # ∂ℓ/∂v = var·∂ℓ/∂var: losslab differentiates with respect to the log-variance
        np.testing.assert_allclose(g[:, 1], np.exp(f[:, 1]) * var.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_gaussian_nll_shapes_and_baseline():
    loss = losslab.get("gaussian_nll")
    with pytest.raises(losslab.ShapeError, match=r"\(n_samples, 2\)"):
        loss([1.0, 2.0], np.zeros((2, 3)))
    with pytest.raises(losslab.ShapeError, match="one real target per sample"):
        loss(np.zeros((2, 2)), np.zeros((2, 2)))
    y = np.random.default_rng(2).normal(3.0, 2.0, 300)
    m, v = loss.baseline(y)
    assert m == pytest.approx(y.mean()) and v == pytest.approx(np.log(y.var()))
    best = float(loss(y, np.tile([m, v], (300, 1))))
    for dm, dv in ((0.01, 0.0), (0.0, 0.01), (-0.01, -0.01)):
        assert float(loss(y, np.tile([m + dm, v + dv], (300, 1)))) > best
    with pytest.raises(losslab.DomainError, match="zero variance"):
        loss.baseline(np.ones(5))
    assert loss.gradient(y[:4], np.zeros((4, 2))).shape == (4, 2)
    assert loss(y[:4], np.zeros((4, 2)), reduction="none").shape == (4,)
