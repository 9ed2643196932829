"""Parity with the anchors: PyTorch, scikit-learn and optax agree with losslab to 1e-12 in float64
on ordinary inputs, after the documented scaling; where an anchor is wrong at extreme inputs, a
test shows losslab right and the anchor wrong against an mpmath reference.

Each test needs only the losses it names and skips if one is not registered (yet).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
F = torch.nn.functional
sklearn_metrics = pytest.importorskip("sklearn.metrics")

RTOL = 1e-12


def need(name: str, **params) -> losslab.Loss:
    if name not in losslab.list_losses():
        pytest.skip(f"loss {name!r} is not registered")
    return losslab.get(name, **params)


def t64(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def torch_value_and_grad(fn, f, *args):
    """Per-sample values of a torch loss (reduction='none') and the gradient of their sum."""
    x = t64(f).requires_grad_(True)
    v = fn(x, *args)
    (g,) = torch.autograd.grad(v.sum(), x)
    return v.detach().numpy(), g.numpy()


def close(a, b, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-300)


# -- PyTorch ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "params", "module"),
    [
        ("mse", {}, lambda: torch.nn.MSELoss(reduction="none")),
        ("mae", {}, lambda: torch.nn.L1Loss(reduction="none")),
        ("huber", {"delta": 1.0}, lambda: torch.nn.HuberLoss(reduction="none", delta=1.0)),
        ("huber", {"delta": 0.3}, lambda: torch.nn.HuberLoss(reduction="none", delta=0.3)),
    ],
)
def test_torch_regression_losses(name, params, module) -> None:
    loss = need(name, **params)
    y, f = loss.example(64, seed=0)
    v, g = torch_value_and_grad(module(), f, t64(y))
    close(loss(y, f, reduction="none"), v)
    close(loss.gradient(y, f), g)
    close(float(loss(y, f)), float(module().__class__(**_kw(module))(t64(f), t64(y))))


def _kw(module) -> dict:
    m = module()
    return {"delta": m.delta} if hasattr(m, "delta") else {}


def test_torch_smooth_l1_is_huber_over_beta() -> None:
    loss = need("huber", delta=0.5)
    y, f = loss.example(64, seed=1)
    v, g = torch_value_and_grad(lambda x, t: F.smooth_l1_loss(x, t, reduction="none", beta=0.5), f, t64(y))
    close(loss(y, f, reduction="none") / 0.5, v)
    close(loss.gradient(y, f) / 0.5, g)


@pytest.mark.parametrize("pos_weight", [1.0, 3.0])
def test_torch_bce_with_logits(pos_weight: float) -> None:
    loss = need("binary_crossentropy", pos_weight=pos_weight)
    y, f = loss.example(64, seed=2)
    pw = t64([pos_weight])
    v, g = torch_value_and_grad(
        lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction="none"), f, t64(y)
    )
    close(loss(y, f, reduction="none"), v)
    close(loss.gradient(y, f), g)


def test_torch_bce_on_probabilities() -> None:
    loss = need("binary_crossentropy", from_logits=False)
    y, q = loss.example(64, seed=3)
    y = np.where(np.arange(64) % 4 == 0, 0.3, y)  # soft labels too
    v, g = torch_value_and_grad(lambda x, t: F.binary_cross_entropy(x, t, reduction="none"), q, t64(y))
    close(loss(y, q, reduction="none"), v)
    close(loss.gradient(y, q), g)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_torch_cross_entropy_labels_and_label_smoothing(smoothing: float) -> None:
    loss = need("categorical_crossentropy", label_smoothing=smoothing)
    y, z = loss.example(64, seed=4)
    labels = torch.tensor(y, dtype=torch.int64)
    v, g = torch_value_and_grad(
        lambda x: F.cross_entropy(x, labels, reduction="none", label_smoothing=smoothing), z
    )
    close(loss(y, z, reduction="none"), v)
    close(loss.gradient(y, z), g)


def test_torch_cross_entropy_probability_targets_class_weights_and_ignore_index() -> None:
    loss = need("categorical_crossentropy")
    y, z = loss.example(64, seed=5)
    probs = np.random.default_rng(0).dirichlet(np.ones(3), 64)
    v, g = torch_value_and_grad(lambda x: F.cross_entropy(x, t64(probs), reduction="none"), z)
    close(loss(probs, z, reduction="none"), v)
    close(loss.gradient(probs, z), g)
    # class weights: per-sample values agree; PyTorch's mean divides by Σ c_{y_i}, losslab's by n
    cw = [0.5, 2.0, 1.0]
    weighted = losslab.get("categorical_crossentropy", class_weight=cw)
    labels = torch.tensor(y, dtype=torch.int64)
    v = F.cross_entropy(t64(z), labels, weight=t64(cw), reduction="none").numpy()
    close(weighted(y, z, reduction="none"), v)
    torch_mean = F.cross_entropy(t64(z), labels, weight=t64(cw)).item()
    close(float(weighted(y, z, reduction="sum")) / np.take(cw, y).sum(), torch_mean)
    if "ignore_index" in loss.params:
        yi = np.where(np.arange(64) % 5 == 0, -100, y)
        ign = losslab.get("categorical_crossentropy", ignore_index=-100)
        ref = F.cross_entropy(t64(z), torch.tensor(yi), ignore_index=-100).item()
        close(float(ign(yi, z)), ref)


def test_torch_kl_div_batchmean() -> None:
    loss = need("kl_divergence")
    t, z = loss.example(64, seed=6)
    x = t64(z).requires_grad_(True)
    ref = F.kl_div(F.log_softmax(x, dim=1), t64(t), reduction="batchmean")
    (g,) = torch.autograd.grad(ref, x)
    close(float(loss(t, z)), ref.item())
    close(loss.gradient(t, z) / 64, g.numpy())


def test_torch_poisson_nll_differs_by_the_documented_constant() -> None:
    loss = need("poisson")
    y, s = loss.example(64, seed=7)
    v, g = torch_value_and_grad(
        lambda x, t: F.poisson_nll_loss(x, t, log_input=True, full=False, reduction="none"), s, t64(y)
    )
    const = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0) - y  # y log y − y
    close(loss(y, s, reduction="none"), v + const, rtol=1e-11)
    close(loss.gradient(y, s), g)


@pytest.mark.parametrize("full", [False, True])
def test_torch_gaussian_nll_with_log_variance(full: bool) -> None:
    loss = need("gaussian_nll", full=full)
    y, f = loss.example(64, seed=8)
    x = t64(f).requires_grad_(True)
    v = F.gaussian_nll_loss(x[:, 0], t64(y), torch.exp(x[:, 1]), full=full, reduction="none")
    (g,) = torch.autograd.grad(v.sum(), x)  # through var = exp(v): ∂/∂v = var·∂/∂var
    close(loss(y, f, reduction="none"), v.detach().numpy())
    close(loss.gradient(y, f), g.numpy())


def test_torch_multi_margin_is_weston_watkins_over_k() -> None:
    loss = need("multiclass_hinge", variant="weston_watkins")
    y, z = loss.example(64, seed=9)
    labels = torch.tensor(y, dtype=torch.int64)
    v, g = torch_value_and_grad(lambda x: F.multi_margin_loss(x, labels, reduction="none"), z)
    close(loss(y, z, reduction="none") / 3, v)
    close(loss.gradient(y, z) / 3, g)


# -- scikit-learn ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "params", "metric", "factor", "transform"),
    [
        ("mse", {}, "mean_squared_error", 1.0, None),
        ("mae", {}, "mean_absolute_error", 1.0, None),
        ("quantile", {"quantile": 0.8}, "mean_pinball_loss", 1.0, None),
        ("msle", {}, "mean_squared_log_error", 1.0, None),
        ("mape", {}, "mean_absolute_percentage_error", 1.0, None),
        ("poisson", {}, "mean_poisson_deviance", 2.0, np.exp),
        ("gamma", {}, "mean_gamma_deviance", 2.0, np.exp),
        ("tweedie", {"power": 1.5}, "mean_tweedie_deviance", 2.0, np.exp),
        ("tweedie", {"power": 3.0}, "mean_tweedie_deviance", 2.0, np.exp),
    ],
)
def test_sklearn_regression_metrics(name, params, metric, factor, transform) -> None:
    loss = need(name, **params)
    y, f = loss.example(64, seed=10)
    if name == "tweedie" and params["power"] >= 2:
        y = np.where(y > 0, y, 1.0)
    w = np.random.default_rng(1).uniform(0.5, 2.0, 64)
    kw = {"alpha": params["quantile"]} if name == "quantile" else {}
    if name == "tweedie":
        kw = {"power": params["power"]}
    pred = transform(f) if transform else f
    fn = getattr(sklearn_metrics, metric)
    close(factor * float(loss(y, f)), fn(y, pred, **kw), rtol=1e-11)
    close(factor * float(loss(y, f, sample_weight=w)), fn(y, pred, sample_weight=w, **kw), rtol=1e-11)


def test_sklearn_log_loss_binary_and_multiclass() -> None:
    bce = need("binary_crossentropy", from_logits=False)
    y, q = bce.example(64, seed=11)
    close(float(bce(y, q)), sklearn_metrics.log_loss(y, q))
    cce = need("categorical_crossentropy", from_logits=False)
    y, p = cce.example(64, seed=12)
    close(float(cce(y, p)), sklearn_metrics.log_loss(y, p, labels=[0, 1, 2]))
    # from logits: the same number, computed without forming the probabilities
    logits = losslab.get("binary_crossentropy")
    y, z = logits.example(64, seed=13)
    close(float(logits(y, z)), sklearn_metrics.log_loss(y, 1 / (1 + np.exp(-z))), rtol=1e-11)


def test_sklearn_hinge_loss() -> None:
    loss = need("hinge")
    y, f = loss.example(64, seed=14)
    close(float(loss(y, f)), sklearn_metrics.hinge_loss(y, f))


# -- optax (optional) --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def optax_x64():
    optax = pytest.importorskip("optax")
    import jax

    with jax.enable_x64(True):
        yield optax


@pytest.mark.parametrize(
    ("name", "params", "fn", "kw"),
    [
        ("mse", {}, "squared_error", {}),
        ("huber", {"delta": 0.7}, "huber_loss", {"delta": 0.7}),
        ("log_cosh", {}, "log_cosh", {}),
        ("binary_crossentropy", {}, "sigmoid_binary_cross_entropy", {}),
        ("binary_focal", {"gamma": 2.0, "alpha": 0.25}, "sigmoid_focal_loss", {"gamma": 2.0, "alpha": 0.25}),
        ("binary_focal", {"gamma": 0.5}, "sigmoid_focal_loss", {"gamma": 0.5}),
        ("categorical_crossentropy", {}, "softmax_cross_entropy_with_integer_labels", {}),
        ("kl_divergence", {}, "kl_divergence", {}),
        ("hinge", {}, "hinge_loss", {}),
        ("multiclass_hinge", {}, "multiclass_hinge_loss", {}),
    ],
)
def test_optax(optax_x64, name, params, fn, kw) -> None:
    import jax
    import jax.numpy as jnp

    optax = optax_x64
    loss = need(name, **params)
    y, f = loss.example(64, seed=15)
    target = y
    if name == "hinge":
        target = np.where(y > 0, 1.0, -1.0)
    anchor = getattr(optax.losses, fn)

    def per_sample(x):
        if name == "kl_divergence":
            return anchor(jax.nn.log_softmax(x), jnp.asarray(target))
        return anchor(x, jnp.asarray(target), **kw)

    v, vjp = jax.vjp(per_sample, jnp.asarray(f))
    (g,) = vjp(jnp.ones_like(v))
    # optax's multiclass hinge forms max(f + 1 − onehot) − f_y, which rounds an exact 0 to ±4e-16
    np.testing.assert_allclose(loss(y, f, reduction="none"), np.asarray(v), rtol=1e-11, atol=1e-15)
    np.testing.assert_allclose(loss.gradient(y, f), np.asarray(g), rtol=1e-10, atol=1e-300)


def test_optax_l2_loss_is_half_mse(optax_x64) -> None:
    import jax.numpy as jnp

    loss = need("mse")
    y, f = loss.example(32, seed=16)
    close(
        0.5 * loss(y, f, reduction="none"),
        np.asarray(optax_x64.losses.l2_loss(jnp.asarray(f), jnp.asarray(y))),
    )


# -- where the anchors are wrong: losslab vs mpmath -------------------------------------------
mpmath.mp.dps = 50


def mp_softplus(x: float) -> float:
    return float(mpmath.log1p(mpmath.exp(mpmath.mpf(x))))


def test_torch_bce_with_logits_loses_confident_negatives() -> None:
    # y = 0, x = −40: the loss is log(1 + e^−40) = 4.25e-18; PyTorch returns exactly 0
    loss = losslab.get("binary_crossentropy")
    exact = mp_softplus(-40.0)
    ours = float(loss([0.0], [-40.0]))
    theirs = F.binary_cross_entropy_with_logits(t64([-40.0]), t64([0.0])).item()
    assert ours == pytest.approx(exact, rel=1e-15)
    assert theirs == 0.0
    for x in (-60.0, -200.0, -700.0):
        assert float(loss([0.0], [x])) == pytest.approx(mp_softplus(x), rel=1e-15)


def test_torch_bce_clamps_the_log_at_minus_100() -> None:
    loss = losslab.get("binary_crossentropy", from_logits=False)
    q = 1e-50
    exact = float(-mpmath.log(mpmath.mpf(q)))  # 115.13
    theirs = F.binary_cross_entropy(t64([q]), t64([1.0])).item()
    assert float(loss([1.0], [q])) == pytest.approx(exact, rel=1e-15)
    assert theirs == 100.0
    # and its gradient −1/q is exact, where PyTorch's value and gradient disagree near the clamp
    assert float(loss.gradient([1.0], [q])[0]) == pytest.approx(-1e50, rel=1e-15)


def test_sklearn_log_loss_clips_probabilities() -> None:
    # y = 1 with q = 1e-20: −log q = 46.05; log_loss clips q to float64 eps and gives 36.04
    loss = losslab.get("binary_crossentropy", from_logits=False)
    exact = float(-mpmath.log(mpmath.mpf("1e-20")))
    ours = float(loss([1.0], [1e-20]))
    theirs = sklearn_metrics.log_loss([1, 0], [1e-20, 0.0], labels=[0, 1]) * 2  # mean of (x, 0)
    assert ours == pytest.approx(exact, rel=1e-15)
    assert abs(theirs - exact) > 5.0


def test_torch_gaussian_nll_clamps_small_variances() -> None:
    # var = 1e-9 < eps = 1e-6: PyTorch clamps var; losslab keeps the exact NLL
    loss = need("gaussian_nll")
    r, var = 1e-4, 1e-9
    exact = float(0.5 * (mpmath.log(var) + mpmath.mpf(r) ** 2 / var))
    ours = float(loss([r], [[0.0, math.log(var)]]))
    theirs = F.gaussian_nll_loss(t64([0.0]), t64([r]), t64([var])).item()
    assert ours == pytest.approx(exact, rel=1e-13)
    assert abs(theirs - exact) > 1.0


def test_focal_gamma_zero_is_cross_entropy_at_extreme_logits() -> None:
    # γ = 0 focal loss is BCE (optax#1267 had a NaN gradient here); value and gradient vs mpmath
    loss = need("binary_focal", gamma=0.0)
    for x, y in ((30.0, 1.0), (-30.0, 0.0), (40.0, 1.0), (1000.0, 1.0), (-1000.0, 1.0)):
        mx = mpmath.mpf(x)
        exact_v = float(mpmath.log1p(mpmath.exp(-mx)) if y == 1 else mpmath.log1p(mpmath.exp(mx)))
        exact_g = float(1 / (1 + mpmath.exp(-mx)) - y)
        assert float(loss([y], [x])) == pytest.approx(exact_v, rel=1e-14, abs=1e-300)
        assert float(loss.gradient([y], [x])[0]) == pytest.approx(exact_g, rel=1e-13, abs=1e-300)
