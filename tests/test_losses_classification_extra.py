"""Per-loss properties of focal, cost-sensitive, label-smoothed, ignore_index, hinge and KL losses
that the generic suite does not state (parity with the anchors and identities between losses)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit, rel_entr, softmax

import losslab

GAMMAS = (0.0, 0.25, 0.5, 1.0, 2.0, 5.0)
EXTREME = np.array([-1e4, -1e3, -745.0, -37.0, -1.0, -1e-300, 0.0, 1e-300, 1.0, 37.0, 745.0, 1e3, 1e4])


def _rows(seed: int = 0, n: int = 40, k: int = 4, scale: float = 3.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, scale, (n, k))


# -- focal -----------------------------------------------------------------------------------------
def test_binary_focal_gamma0_is_bce_bit_for_bit() -> None:
    bce = losslab.get("binary_crossentropy")
    f0 = losslab.get("binary_focal", gamma=0.0)
    x = np.concatenate([EXTREME, np.random.default_rng(1).normal(0, 5, 200)])
    for y in (np.zeros_like(x), np.ones_like(x), np.random.default_rng(2).uniform(0, 1, x.shape)):
        assert np.array_equal(f0(y, x, reduction="none"), bce(y, x, reduction="none"))
        assert np.array_equal(f0.gradient(y, x), bce.gradient(y, x))
        # the Hessian is y·h + (1 − y)·h against (y + 1 − y)·h: equal up to one rounding
        np.testing.assert_allclose(f0.hessian(y, x), bce.hessian(y, x), rtol=4e-16, atol=0)
    assert f0.info.convex and f0.info.hessian == "exact"
    assert not losslab.get("binary_focal").info.convex
    assert losslab.get("binary_focal").info.hessian == "indefinite"


def test_categorical_focal_gamma0_is_cce_bit_for_bit() -> None:
    cce = losslab.get("categorical_crossentropy")
    f0 = losslab.get("categorical_focal", gamma=0.0)
    z = np.vstack([_rows(3), [[1e4, 0, -1e4, 3], [-745, 0, 745, 1], [800, 0, 0, 0]]])
    labels = np.arange(len(z)) % 4
    probs = softmax(_rows(4, len(z)), axis=1)
    for y in (labels, probs):
        assert np.array_equal(f0(y, z, reduction="none"), cce(y, z, reduction="none"))
        assert np.array_equal(f0.gradient(y, z), cce.gradient(y, z))
        assert np.array_equal(f0.hessian(y, z), cce.hessian(y, z))


@pytest.mark.parametrize("gamma", GAMMAS)
def test_focal_derivatives_finite_at_extreme_logits(gamma: float) -> None:
    # user pain A4: NaN gradients for gamma < 1 and at large logits
    bf = losslab.get("binary_focal", gamma=gamma)
    for y in (0.0, 1.0, 0.3):
        yy = np.full_like(EXTREME, y)
        v, (g, h) = bf(yy, EXTREME, reduction="none"), bf.gradient_hessian(yy, EXTREME)
        assert np.isfinite(v).all() and np.isfinite(g).all() and np.isfinite(h).all()
    # confidently wrong: the gradient is -1 (y = 1) whatever gamma, as the exact derivative says
    assert bf.gradient([1.0], [-1e3])[0] == -1.0
    cf = losslab.get("categorical_focal", gamma=gamma)
    z = np.array([[1e3, 0.0, -1e3], [-1e4, 0.0, 1e4], [745.0, -745.0, 0.0], [0.0, 0.0, 0.0]])
    for y in (np.array([0, 0, 1, 2]), np.array([2, 1, 0, 1])):
        g, h = cf.gradient_hessian(y, z)
        assert np.isfinite(cf(y, z, reduction="none")).all() and np.isfinite(g).all() and np.isfinite(h).all()


def test_binary_focal_matches_lin_et_al_formula_and_alpha() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(0, 3, 300), rng.integers(0, 2, 300).astype(float)
    p = expit(x)
    pt = np.where(y == 1, p, 1 - p)
    at = np.where(y == 1, 0.25, 0.75)
    expected = -at * (1 - pt) ** 2 * np.log(pt)  # RetinaNet's FL(p_t) = -α_t (1 − p_t)^γ log p_t
    got = losslab.get("binary_focal", gamma=2.0, alpha=0.25)(y, x, reduction="none")
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    plain = losslab.get("binary_focal", gamma=2.0)
    np.testing.assert_allclose(
        losslab.get("binary_focal", alpha=0.5)(y, x, reduction="none"),
        0.5 * plain(y, x, reduction="none"),
        rtol=1e-15,
    )


def test_binary_focal_probability_input_matches_logits() -> None:
    rng = np.random.default_rng(6)
    x, y = rng.normal(0, 2, 100), rng.uniform(0, 1, 100)
    q = expit(x)
    for gamma in (0.5, 2.0):
        a = losslab.get("binary_focal", gamma=gamma)
        b = losslab.get("binary_focal", gamma=gamma, from_logits=False)
        np.testing.assert_allclose(b(y, q, reduction="none"), a(y, x, reduction="none"), rtol=1e-12)
        # chain rule: d/dx = d/dq · q(1 − q)
        np.testing.assert_allclose(b.gradient(y, q) * q * (1 - q), a.gradient(y, x), rtol=1e-10, atol=1e-14)


def test_categorical_focal_alpha_vector_at_gamma0_is_class_weighted_cce() -> None:
    z, y = _rows(7, 30, 3), np.arange(30) % 3
    w = [0.5, 2.0, 1.0]
    a = losslab.get("categorical_focal", gamma=0.0, alpha=w)
    b = losslab.get("categorical_crossentropy", class_weight=w)
    np.testing.assert_array_equal(a(y, z, reduction="none"), b(y, z, reduction="none"))
    np.testing.assert_array_equal(a.gradient(y, z), b.gradient(y, z))
    with pytest.raises(losslab.ParameterError, match="alpha"):
        losslab.get("categorical_focal", alpha=[1.0, 2.0])(y, z)
    with pytest.raises(losslab.ParameterError, match="alpha"):
        losslab.get("binary_focal", alpha=1.5)


def test_categorical_focal_matches_keras_formula() -> None:
    z, y = _rows(8, 50, 5), np.arange(50) % 5
    p = softmax(z, axis=1)
    pt = p[np.arange(50), y]
    expected = -0.25 * (1 - pt) ** 2 * np.log(pt)  # keras CategoricalFocalCrossentropy(alpha=0.25, gamma=2)
    got = losslab.get("categorical_focal", gamma=2.0, alpha=0.25)(y, z, reduction="none")
    np.testing.assert_allclose(got, expected, rtol=1e-12)


# -- cost-sensitive BCE --------------------------------------------------------------------------
def test_cost_sensitive_bce_threshold_and_minimiser() -> None:
    loss = losslab.get("cost_sensitive_bce", fp_cost=1.0, fn_cost=4.0)
    assert loss.threshold == pytest.approx(0.2)
    assert loss.logit_shift == pytest.approx(np.log(4.0))
    # the best constant for a base rate eta is logit(eta) + log(c_fn / c_fp) ...
    y = np.array([1.0] * 15 + [0.0] * 85)  # eta = 0.15 < threshold 0.2
    x_star = loss.baseline(y)
    assert x_star == pytest.approx(logit(0.15) + np.log(4.0), abs=1e-6)
    # ... so the weighted model says "negative" (x* < 0) exactly when eta < threshold
    assert x_star < 0
    y2 = np.array([1.0] * 25 + [0.0] * 75)  # eta = 0.25 > 0.2
    assert loss.baseline(y2) > 0
    # and it is BCE with pos_weight = c_fn / c_fp, scaled by c_fp
    rng = np.random.default_rng(9)
    x, yy = rng.normal(0, 3, 50), rng.uniform(0, 1, 50)
    c2 = losslab.get("cost_sensitive_bce", fp_cost=2.0, fn_cost=6.0)
    bce = losslab.get("binary_crossentropy", pos_weight=3.0)
    np.testing.assert_allclose(c2(yy, x, reduction="none"), 2.0 * bce(yy, x, reduction="none"), rtol=1e-14)
    np.testing.assert_allclose(c2.gradient(yy, x), 2.0 * bce.gradient(yy, x), rtol=1e-14)


# -- label smoothing for BCE ---------------------------------------------------------------------
def test_bce_label_smoothing_is_keras_semantics() -> None:
    rng = np.random.default_rng(10)
    x, y = rng.normal(0, 4, 100), rng.integers(0, 2, 100).astype(float)
    eps = 0.2
    smooth = losslab.get("binary_crossentropy", label_smoothing=eps)
    plain = losslab.get("binary_crossentropy")
    ys = y * (1.0 - eps) + eps / 2.0  # keras: y_true * (1 - label_smoothing) + 0.5 * label_smoothing
    assert np.array_equal(smooth(y, x, reduction="none"), plain(ys, x, reduction="none"))
    assert np.array_equal(smooth.gradient(y, x), plain.gradient(ys, x))
    # the minimiser moves to the smoothed base rate: sigma(x*) = 0.3 (1 - eps) + eps / 2
    yb = np.array([1.0] * 3 + [0.0] * 7)
    assert expit(smooth.baseline(yb)) == pytest.approx(0.3 * (1 - eps) + eps / 2, abs=1e-9)
    # the domain is checked before smoothing (eps = 1 would map 1.5 into [0, 1])
    with pytest.raises(losslab.DomainError, match="y_true"):
        losslab.get("binary_crossentropy", label_smoothing=1.0)([1.5], [0.0])


# -- ignore_index --------------------------------------------------------------------------------
def test_ignore_index_matches_torch_cross_entropy() -> None:
    torch = pytest.importorskip("torch")
    z = _rows(11, 12, 5)
    y = np.array([0, 3, -100, 2, -100, 4, 1, 1, -100, 0, 2, 3])
    kept = int((y != -100).sum())
    for eps in (0.0, 0.1):
        loss = losslab.get("categorical_crossentropy", ignore_index=-100, label_smoothing=eps)
        zt = torch.tensor(z, requires_grad=True)
        ref = torch.nn.CrossEntropyLoss(ignore_index=-100, label_smoothing=eps)(zt, torch.tensor(y))
        ref.backward()
        assert float(loss(y, z)) == pytest.approx(ref.item(), rel=1e-13)
        # losslab's gradient is per sample; torch's is of the mean over the kept samples
        np.testing.assert_allclose(loss.gradient(y, z) / kept, zt.grad.numpy(), rtol=1e-12, atol=1e-17)
        none = loss(y, z, reduction="none")
        assert (none[y == -100] == 0).all() and (loss.hessian(y, z)[y == -100] == 0).all()
        # sample weights compose: the mean divides by the weights of the kept samples
        w = np.linspace(0.5, 2.0, len(y))
        expected = (w * none).sum() / w[y != -100].sum()
        assert float(loss(y, z, sample_weight=w)) == pytest.approx(expected, rel=1e-13)


def test_ignore_index_edge_cases() -> None:
    z = _rows(12, 4, 3)
    loss = losslab.get("categorical_crossentropy", ignore_index=-100)
    with pytest.raises(losslab.DomainError, match="ignore_index"):
        loss([-100, -100, -100, -100], z)
    with pytest.raises(losslab.DomainError, match="class indices"):
        loss([0, 1, 5, -100], z)  # other out-of-range labels still raise
    # a valid class can be the ignored one (Keras's ignore_class=0 for a background class)
    bg = losslab.get("categorical_crossentropy", ignore_index=0)
    plain = losslab.get("categorical_crossentropy")
    y = np.array([0, 1, 2, 0])
    assert float(bg(y, z)) == pytest.approx(float(plain(y[1:3], z[1:3])), rel=1e-14)
    # probability rows are taken as they are; mask them with sample_weight
    t = softmax(_rows(13, 4, 3), axis=1)
    assert float(loss(t, z)) == float(plain(t, z))
    mask = np.array([1.0, 0.0, 1.0, 1.0])
    assert float(plain(t, z, sample_weight=mask)) == pytest.approx(
        float(plain(t[[0, 2, 3]], z[[0, 2, 3]])), rel=1e-14
    )
    # the focal loss shares the behaviour
    foc = losslab.get("categorical_focal", ignore_index=-1)
    yf = np.array([2, -1, 0, 1])
    ref = losslab.get("categorical_focal")(yf[[0, 2, 3]], z[[0, 2, 3]])
    assert float(foc(yf, z)) == pytest.approx(float(ref), rel=1e-14)
    with pytest.raises(losslab.ParameterError, match="ignore_index"):
        losslab.get("categorical_crossentropy", ignore_index=1.5)


# -- KL directions -------------------------------------------------------------------------------
def test_kl_directions_match_scipy_rel_entr() -> None:
    rng = np.random.default_rng(14)
    z = rng.normal(0, 2, (30, 4))
    t = rng.dirichlet(np.ones(4), 30)
    q = softmax(z, axis=1)
    fwd = losslab.get("kl_divergence", direction="forward")
    rev = losslab.get("kl_divergence", direction="reverse")
    np.testing.assert_allclose(fwd(t, z, reduction="none"), rel_entr(t, q).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(rev(t, z, reduction="none"), rel_entr(q, t).sum(axis=1), rtol=1e-12)
    assert fwd == losslab.get("kl_divergence")  # forward is the default
    rev_p = losslab.get("kl_divergence", direction="reverse", from_logits=False)
    np.testing.assert_allclose(rev_p(t, q, reduction="none"), rel_entr(q, t).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(rev_p.gradient(t, q), np.log(q) - np.log(t) + 1.0, rtol=1e-12)
    with pytest.raises(losslab.DomainError, match="reverse"):
        rev(np.array([[0.5, 0.5, 0.0]]), np.zeros((1, 3)))
    assert rev.info.hessian == "indefinite" and not rev.info.convex
    assert fwd.info.hessian == "exact"


def test_reverse_kl_gradient_hessian_match_torch_autograd() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(15)
    z = rng.normal(0, 2, (20, 3))
    t = rng.dirichlet(np.ones(3), 20)
    rev = losslab.get("kl_divergence", direction="reverse")
    zt = torch.tensor(z, requires_grad=True)
    logq = torch.log_softmax(zt, dim=1)
    per = (logq.exp() * (logq - torch.log(torch.tensor(t)))).sum(dim=1)
    (g,) = torch.autograd.grad(per.sum(), zt, create_graph=True)
    np.testing.assert_allclose(rev.gradient(t, z), g.detach().numpy(), rtol=1e-11, atol=1e-15)
    h = np.stack(
        [torch.autograd.grad(g[:, j].sum(), zt, retain_graph=True)[0][:, j].numpy() for j in range(3)], 1
    )
    got = rev.hessian(t, z)
    np.testing.assert_allclose(got, h, rtol=1e-10, atol=1e-14)
    # the diagonal is negative somewhere: reverse KL is not convex in the logits
    big = np.array([[4.0, 0.0, 0.0]])
    assert (rev.hessian(np.array([[0.05, 0.05, 0.9]]), big) < 0).any()


# -- hinge family --------------------------------------------------------------------------------
def test_weston_watkins_matches_torch_multi_margin_times_k() -> None:
    torch = pytest.importorskip("torch")
    z, y = _rows(16, 40, 5, 1.0), np.arange(40) % 5
    for margin in (1.0, 0.5):
        ww = losslab.get("multiclass_hinge", variant="weston_watkins", margin=margin)
        zt = torch.tensor(z, requires_grad=True)
        ref = torch.nn.MultiMarginLoss(p=1, margin=margin, reduction="none")(zt, torch.tensor(y))
        ref.sum().backward()
        np.testing.assert_allclose(ww(y, z, reduction="none"), 5 * ref.detach().numpy(), rtol=1e-14)
        np.testing.assert_allclose(ww.gradient(y, z), 5 * zt.grad.numpy(), rtol=1e-14)


def test_crammer_singer_formula_ties_and_one_hot() -> None:
    z, y = _rows(17, 40, 4), np.arange(40) % 4
    cs = losslab.get("multiclass_hinge")
    other = np.where(np.eye(4, dtype=bool)[y], -np.inf, z)
    expected = np.maximum(0.0, 1.0 + other.max(axis=1) - z[np.arange(40), y])  # optax multiclass_hinge_loss
    np.testing.assert_allclose(cs(y, z, reduction="none"), expected, rtol=1e-15)
    np.testing.assert_array_equal(cs(np.eye(4)[y], z, reduction="none"), cs(y, z, reduction="none"))
    # ties between runner-up classes share the subgradient (minimum norm)
    assert cs.gradient([0], np.array([[2.0, 1.5, 1.5, -3.0]])).tolist() == [[-1.0, 0.5, 0.5, 0.0]]
    assert not cs.hessian(y, z).any()
    with pytest.raises(losslab.DomainError, match="one-hot"):
        cs(np.full((40, 4), 0.25), z)


def test_squared_hinge_matches_keras_formula() -> None:
    rng = np.random.default_rng(18)
    f, y = rng.normal(0, 2, 100), rng.integers(0, 2, 100).astype(float)
    s = 2 * y - 1
    sq = losslab.get("squared_hinge")
    np.testing.assert_allclose(sq(y, f, reduction="none"), np.maximum(1 - s * f, 0) ** 2, rtol=1e-15)
    np.testing.assert_array_equal(sq(s, f, reduction="none"), sq(y, f, reduction="none"))
    np.testing.assert_allclose(sq.gradient(y, f), -2 * s * np.maximum(1 - s * f, 0), rtol=1e-15)


@pytest.mark.parametrize("gamma", (0.0, 0.5, 2.0))
def test_two_class_softmax_focal_is_binary_focal(gamma: float) -> None:
    # softmax over [0, x] is sigmoid(x): the two focal losses must agree on the whole logit range
    x = np.array([-1e3, -745.0, -37.0, -3.0, -0.5, 0.0, 0.5, 3.0, 37.0, 745.0, 1e3])
    y = np.arange(x.size) % 2
    z = np.stack([np.zeros_like(x), x], axis=1)
    b, c = losslab.get("binary_focal", gamma=gamma), losslab.get("categorical_focal", gamma=gamma)
    np.testing.assert_allclose(c(y, z, reduction="none"), b(y.astype(float), x, reduction="none"), rtol=1e-13)
    np.testing.assert_allclose(
        c.gradient(y, z)[:, 1], b.gradient(y.astype(float), x), rtol=1e-13, atol=1e-300
    )
    np.testing.assert_allclose(c.hessian(y, z)[:, 1], b.hessian(y.astype(float), x), rtol=1e-13, atol=1e-300)


def test_focal_hessian_exact_where_optax_autodiff_is_not() -> None:
    # y = 0 at logit 40 (confidently wrong): the Hessian is a tiny difference of large terms.
    # References from mpmath (60 digits) of P''(-40) = s̄^γ[(1 + 2γ)s s̄ + γ s L (γ s − s̄)].
    ref = {0.0: 4.248354255291589e-18, 0.25: -3.6111011169978504e-17, 2.0: -3.1862656914686916e-16}
    for gamma, h in ref.items():
        got = losslab.get("binary_focal", gamma=gamma).hessian([0.0], [40.0])[0]
        assert got == pytest.approx(h, rel=1e-13)
    optax = pytest.importorskip("optax")
    jax = pytest.importorskip("jax")
    with jax.enable_x64(True):
        jnp = jax.numpy
        y = jnp.asarray(0.0, dtype=jnp.float64)
        fo = lambda z: optax.sigmoid_focal_loss(z, y, gamma=0.25)  # noqa: E731
        h_optax = float(jax.grad(jax.grad(fo))(jnp.asarray(40.0, dtype=jnp.float64)))
    assert abs(h_optax - ref[0.25]) > 1e-2 * abs(ref[0.25])  # optax 0.2.8: -4.14e-17, 15 % off


def test_baseline_leaves_ignored_samples_out():
    cce = losslab.get("categorical_crossentropy", ignore_index=-100)
    y = np.array([0, 1, 1, 2, -100, -100, -100])
    np.testing.assert_allclose(cce.baseline(y), losslab.get("categorical_crossentropy").baseline(y[:4]))
