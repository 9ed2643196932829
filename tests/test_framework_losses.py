"""Issue 16 (framework catalogues): the losses taken from PyTorch and optax against the anchors'
own implementations in float64 (value and autodiff gradient), and, where an anchor is not
accurate, losslab against mpmath with the anchor off.

The generic suite and the mpmath rows (tests/reference/mp_frameworks.py) cover the properties;
this file holds only parity and the documented differences.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
F = torch.nn.functional


def t64(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def torch_value_and_grad(fn, f, *args):
    x = t64(f).requires_grad_(True)
    v = fn(x, *args)
    (g,) = torch.autograd.grad(v.sum(), x)
    return v.detach().numpy(), g.numpy()


def close(a, b, rtol: float = 1e-12) -> None:
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-300)


# -- PyTorch ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("beta", [1.0, 0.5, 1e-3, 0.0])
def test_smooth_l1_matches_torch(beta: float) -> None:
    loss = losslab.get("smooth_l1", beta=beta)
    y, f = loss.example(64, seed=3)
    f = np.concatenate([f, y[:4] + beta, y[4:8]])  # at the kink, and at r = 0
    y = np.concatenate([y, y[:4], y[4:8]])
    v, g = torch_value_and_grad(lambda x, t: F.smooth_l1_loss(x, t, reduction="none", beta=beta), f, t64(y))
    close(loss(y, f, reduction="none"), v)
    close(loss.gradient(y, f), g)
    assert float(loss(y, f)) == pytest.approx(float(F.smooth_l1_loss(t64(f), t64(y), beta=beta)), rel=1e-13)


def test_smooth_l1_is_huber_over_beta_and_mae_at_zero() -> None:
    assert losslab.get("smooth_l1", beta=0.0).info.equivalences  # declared, checked numerically by
    # tests/test_metadata.py; here the alias-level facts a user looks up
    assert losslab.get(
        "SmoothL1Loss".lower().replace("loss", "_loss").replace("smoothl1", "smooth_l1")
    ).name == ("smooth_l1")
    from losslab._core.equivalence import relation

    assert relation(losslab.get("smooth_l1", beta=0.5), losslab.get("huber", delta=0.5)) == 2.0
    assert relation(losslab.get("smooth_l1", beta=0.0), losslab.get("mae")) == 1.0


def test_soft_margin_matches_torch_on_signed_labels() -> None:
    loss = losslab.get("soft_margin")
    rng = np.random.default_rng(4)
    s = np.where(rng.random(64) < 0.5, -1.0, 1.0)
    f = rng.normal(0.0, 4.0, 64)
    v, g = torch_value_and_grad(lambda x, t: F.soft_margin_loss(x, t, reduction="none"), f, t64(s))
    close(loss(s, f, reduction="none"), v)
    close(loss.gradient(s, f), g)
    close(loss((s > 0).astype(float), f, reduction="none"), v)  # 0/1 labels read as −1/+1


# -- optax -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def optax_x64():
    optax = pytest.importorskip("optax")
    import jax

    with jax.enable_x64(True):
        yield optax


def _optax_value_and_grad(fn, f):
    import jax
    import jax.numpy as jnp

    v, vjp = jax.vjp(fn, jnp.asarray(f))
    (g,) = vjp(jnp.ones_like(v))
    return np.asarray(v), np.asarray(g)


def test_multiclass_perceptron_matches_optax(optax_x64) -> None:
    import jax.numpy as jnp

    loss = losslab.get("multiclass_perceptron")
    y, f = loss.example(64, seed=5)
    v, g = _optax_value_and_grad(lambda z: optax_x64.losses.multiclass_perceptron_loss(z, jnp.asarray(y)), f)
    close(loss(y, f, reduction="none"), v)
    close(loss.gradient(y, f), g)


def test_multiclass_perceptron_takes_the_minimum_norm_subgradient_at_a_tie_with_the_true_class(
    optax_x64,
) -> None:
    import jax.numpy as jnp

    loss = losslab.get("multiclass_perceptron")
    z = np.array([[2.0, 2.0, -1.0]])
    _, g = _optax_value_and_grad(
        lambda r: optax_x64.losses.multiclass_perceptron_loss(r, jnp.asarray([0])), z
    )
    assert float(loss([0], z)) == 0.0
    assert np.all(loss.gradient([0], z) == 0.0)  # 0 is in the subdifferential: the minimum norm
    assert np.abs(g).sum() > 0  # optax's autodiff of max splits the tie: a non-zero subgradient


@pytest.mark.parametrize("epsilon", [2.0, 1.0, 0.0, -1.0])
def test_poly_loss_matches_optax(optax_x64, epsilon: float) -> None:
    import jax.numpy as jnp

    loss = losslab.get("poly_loss", epsilon=epsilon)
    y, f = loss.example(64, seed=6)
    onehot = np.eye(f.shape[1])[y]
    v, g = _optax_value_and_grad(
        lambda z: optax_x64.losses.poly_loss_cross_entropy(z, jnp.asarray(onehot), epsilon=epsilon), f
    )
    close(loss(y, f, reduction="none"), v, rtol=1e-11)
    close(loss(onehot, f, reduction="none"), v, rtol=1e-11)
    close(loss.gradient(y, f), g, rtol=1e-10)


def test_poly_loss_is_exact_on_a_confident_row_where_optax_cancels(optax_x64) -> None:
    # ε = −1: −log p − (1 − p) ≈ (1 − p)²/2 = 3.6e-33 at z = [37, 0, −37]; optax subtracts two
    # numbers that agree to every digit
    import jax.numpy as jnp

    z = [37.0, 0.0, -37.0]
    with mpmath.workdps(60):
        zm = [mpmath.mpf(v) for v in z]
        p0 = mpmath.exp(zm[0]) / sum(mpmath.exp(v) for v in zm)
        exact = float(-mpmath.log(p0) - (1 - p0))
    ours = float(losslab.get("poly_loss", epsilon=-1.0)([0], np.array([z]), reduction="none")[0])
    theirs = float(
        optax_x64.losses.poly_loss_cross_entropy(
            jnp.asarray([z]), jnp.asarray([[1.0, 0.0, 0.0]]), epsilon=-1.0
        )[0]
    )
    assert ours == pytest.approx(exact, rel=1e-14)
    assert abs(theirs - exact) > 0.5 * exact


def test_sparsemax_losses_match_optax(optax_x64) -> None:
    import jax.numpy as jnp

    binary = losslab.get("sparsemax")
    y, f = binary.example(64, seed=7)
    f = np.concatenate([f, [1.0, -1.0, 0.5]])  # the kinks, and the quadratic piece
    y = np.concatenate([y, [1.0, 1.0, 0.0]])
    v, g = _optax_value_and_grad(lambda x: optax_x64.losses.sparsemax_loss(x, jnp.asarray(y)), f)
    close(binary(y, f, reduction="none"), v)
    close(binary.gradient(y, f), g)
    multi = losslab.get("multiclass_sparsemax")
    y, f = multi.example(64, seed=8)
    v, g = _optax_value_and_grad(lambda z: optax_x64.losses.multiclass_sparsemax_loss(z, jnp.asarray(y)), f)
    np.testing.assert_allclose(multi(y, f, reduction="none"), v, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(multi.gradient(y, f), g, rtol=1e-12, atol=1e-15)
