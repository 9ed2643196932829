"""Issue 16 (the per-sample losses of torch.nn, Keras and optax): each against its anchor's own
implementation in float64 (value and autograd gradient within 1e-10 relative), and, where the
anchor is not accurate, losslab against mpmath with the anchor off.

The generic suite and the mpmath rows (tests/reference/mp_nn.py) cover the properties; this file
holds parity, the documented differences and what no property says.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
F = torch.nn.functional
RTOL = 1e-10


def t64(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def torch_value_and_grad(fn, f, *args, **kw):
    """Per-sample values of a torch loss (reduction="none") and the autograd gradient of their sum."""
    x = t64(f).requires_grad_(True)
    v = fn(x, *args, reduction="none", **kw)
    (g,) = torch.autograd.grad(v.sum(), x)
    return v.detach().numpy(), g.numpy()


def losslab_value_and_autograd(loss, y, f, **kw):
    """losslab's per-sample values on torch tensors and torch's autograd gradient through them."""
    x = t64(f).requires_grad_(True)
    yt = torch.as_tensor(np.asarray(y))
    v = loss(yt, x, reduction="none", **kw)
    (g,) = torch.autograd.grad(v.sum(), x)
    return v.detach().numpy(), g.numpy()


def close(a, b, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-300)


# -- nll ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("class_weight", [None, (1.0, 2.5, 0.5)])
def test_nll_matches_torch_per_sample(class_weight) -> None:
    loss = losslab.get("nll", class_weight=class_weight)
    y, f = loss.example(64, seed=3)
    weight = None if class_weight is None else t64(class_weight)
    tv, tg = torch_value_and_grad(F.nll_loss, f, torch.as_tensor(y), weight=weight)
    close(loss(y, f, reduction="none"), tv)
    close(loss.gradient(y, f), tg)
    lv, lg = losslab_value_and_autograd(loss, y, f)
    close(lv, tv)
    close(lg, tg)
    close(
        loss(y, f, reduction="sum"),
        float(F.nll_loss(t64(f), torch.as_tensor(y), weight=weight, reduction="sum")),
    )


def test_nll_class_weighted_mean_is_torch_with_weights_as_sample_weight() -> None:
    # torch's weighted mean divides by Σ c_y; losslab's by n, or by Σ w with sample_weight = c_y
    cw = (1.0, 2.5, 0.5)
    loss = losslab.get("nll", class_weight=cw)
    y, f = loss.example(50, seed=1)
    torch_mean = float(F.nll_loss(t64(f), torch.as_tensor(y), weight=t64(cw)))
    plain = losslab.get("nll")
    close(plain(y, f, sample_weight=np.asarray(cw)[y]), torch_mean)
    assert float(loss(y, f)) != pytest.approx(torch_mean, rel=1e-3)  # the documented difference
    close(float(loss(y, f)), float(loss(y, f, reduction="sum")) / len(y))


def test_nll_ignore_index_matches_torch() -> None:
    loss = losslab.get("nll", ignore_index=-100)
    _, f = loss.example(40, seed=2)
    y = np.random.default_rng(0).integers(0, 3, 40)
    y[::4] = -100
    close(float(loss(y, f)), float(F.nll_loss(t64(f), torch.as_tensor(y), ignore_index=-100)))
    g = loss.gradient(y, f)
    assert np.all(g[::4] == 0.0) and np.all(loss(y, f, reduction="none")[::4] == 0.0)
    with pytest.raises(losslab.DomainError, match="ignore_index"):
        loss(np.full(3, -100), f[:3])


def test_nll_is_cross_entropy_on_log_probabilities() -> None:
    # the declared equivalence: CrossEntropyLoss = LogSoftmax + NLLLoss
    nll, cce = losslab.get("nll"), losslab.get("categorical_crossentropy")
    y, f = nll.example(30, seed=4)
    close(nll(y, f, reduction="none"), cce(y, f, reduction="none"), rtol=1e-12)
    assert losslab.equivalent(nll, cce)


def test_nll_rejects_logits_and_probabilities() -> None:
    nll = losslab.get("nll")
    with pytest.raises(losslab.DomainError, match="log-probabilities <= 0 whose exponentials sum to 1"):
        nll([0, 1], [[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    with pytest.raises(losslab.DomainError, match="log-probabilities"):
        nll([0], [[0.5, 0.25, 0.25]])


def test_nll_baseline_is_the_log_of_the_class_frequencies() -> None:
    nll = losslab.get("nll")
    y = np.array([0, 1, 1, 2, 1, 0])
    close(nll.baseline(y), np.log([2 / 6, 3 / 6, 1 / 6]), rtol=1e-14)
    close(
        losslab.get("nll", class_weight=(2.0, 1.0, 3.0)).baseline(y), np.log([4 / 10, 3 / 10, 3 / 10]), 1e-14
    )
    with pytest.raises(losslab.DataError, match=r"class\(es\) \[2\]"):
        losslab.get("nll", class_weight=(1.0, 1.0, 0.0)).baseline(y)


# -- poisson_nll ----------------------------------------------------------------------------------
def _log_rate_points():
    rng = np.random.default_rng(5)
    y = np.r_[rng.poisson(3.0, 40).astype(float), 0.0, 0.5, 1.0, 1.5, 40.0, 1e6]
    s = np.r_[rng.normal(1.0, 1.0, 40), -30.0, 0.0, 2.0, -1.0, 10.0, 13.0]
    return y, s


@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_log_input_matches_torch(full: bool) -> None:
    loss = losslab.get("poisson_nll", full=full)
    y, s = _log_rate_points()
    tv, tg = torch_value_and_grad(F.poisson_nll_loss, s, t64(y), log_input=True, full=full)
    v = loss(y, s, reduction="none")
    away = np.abs(tv) > 1e-3 * np.maximum(np.exp(s), np.abs(y * s))  # not at a crossing of 0
    close(v[away], tv[away])
    np.testing.assert_allclose(v, tv, rtol=0, atol=1e-12 * np.max(np.abs(tv)))
    close(loss.gradient(y, s), tg)
    close(losslab_value_and_autograd(loss, y, s)[1], tg)


@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_rate_matches_torch_without_its_epsilon(full: bool) -> None:
    loss = losslab.get("poisson_nll", log_input=False, full=full)
    y, s = _log_rate_points()
    mu = np.exp(s)
    tv, tg = torch_value_and_grad(F.poisson_nll_loss, mu, t64(y), log_input=False, full=full, eps=0.0)
    away = np.abs(tv) > 1e-3 * np.maximum(mu, np.abs(y * np.log(mu)))
    close(loss(y, mu, reduction="none")[away], tv[away])
    close(loss.gradient(y, mu), tg)
    close(losslab_value_and_autograd(loss, y, mu)[1], tg)


def test_poisson_nll_rate_torch_epsilon_is_off_and_losslab_exact() -> None:
    # μ − y log μ at μ = 1e-9, y = 3: torch's default eps = 1e-8 makes it log(1.1e-8)
    y, mu = 3.0, 1e-9
    mp = mpmath.mpf(mu) - 3 * mpmath.log(mpmath.mpf(mu))
    exact = float(mp)
    ours = float(losslab.get("poisson_nll", log_input=False)([y], [mu]))
    theirs = float(F.poisson_nll_loss(t64([mu]), t64([y]), log_input=False))
    assert ours == pytest.approx(exact, rel=1e-15)
    assert abs(theirs - exact) / exact > 0.1
    grad = float(losslab.get("poisson_nll", log_input=False).gradient([y], [mu])[0])
    assert grad == pytest.approx(float(1 - 3 / mpmath.mpf(mu)), rel=1e-15)


def test_poisson_nll_differs_from_poisson_by_a_constant() -> None:
    # same gradient and Hessian as the half deviance; values differ by y log y − y, so no
    # equivalence is declared (they compare values) and the advisor keeps `poisson`
    pn, pois = losslab.get("poisson_nll"), losslab.get("poisson")
    y, s = _log_rate_points()
    close(pn.gradient(y, s), pois.gradient(y, s), rtol=1e-14)
    close(pn.hessian(y, s), pois.hessian(y, s), rtol=1e-14)
    const = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0) - y
    np.testing.assert_allclose(
        pn(y, s, reduction="none") + const,
        pois(y, s, reduction="none"),
        rtol=1e-12,
        atol=1e-12 * np.abs(const).max(),
    )
    assert not losslab.equivalent(pn, pois)
    assert pn.info.zero_at_perfect is False and pn.link.name == "log"
    assert losslab.get("poisson_nll", log_input=False).link.name == "identity"


def test_poisson_nll_stirling_term_only_above_one() -> None:
    full, plain = losslab.get("poisson_nll", full=True), losslab.get("poisson_nll")
    y = np.array([0.0, 0.5, 1.0, 1.0 + 1e-12, 5.0])
    s = np.zeros(5)
    diff = full(y, s, reduction="none") - plain(y, s, reduction="none")
    assert np.all(diff[:3] == 0.0)
    assert diff[4] == pytest.approx(5 * math.log(5) - 5 + 0.5 * math.log(2 * math.pi * 5), rel=1e-14)


def test_poisson_nll_rate_domain_is_positive() -> None:
    with pytest.raises(losslab.DomainError, match="y_pred for loss 'poisson_nll' must be > 0"):
        losslab.get("poisson_nll", log_input=False)([1.0], [0.0])


# -- multi-label ----------------------------------------------------------------------------------
@pytest.mark.parametrize("class_weight", [None, (1.0, 2.0, 0.5, 3.0)])
def test_multilabel_soft_margin_matches_torch(class_weight) -> None:
    loss = losslab.get("multilabel_soft_margin", class_weight=class_weight)
    y, f = loss.example(64, seed=3)
    f[0] = [40.0, -40.0, 700.0, -700.0]  # log space: torch's logsigmoid is as exact here
    weight = None if class_weight is None else t64(class_weight)
    tv, tg = torch_value_and_grad(F.multilabel_soft_margin_loss, f, t64(y), weight=weight)
    close(loss(y, f, reduction="none"), tv)
    close(loss.gradient(y, f), tg)
    close(losslab_value_and_autograd(loss, y, f)[1], tg)


def test_multilabel_soft_margin_is_the_mean_of_binary_crossentropy() -> None:
    loss, bce = losslab.get("multilabel_soft_margin"), losslab.get("binary_crossentropy")
    y, f = loss.example(20, seed=1)
    close(
        loss(y, f, reduction="none"), bce(y.ravel(), f.ravel(), reduction="none").reshape(20, 4).mean(axis=1)
    )
    h = loss.hessian(y, f)
    close(h, bce.hessian(y.ravel(), f.ravel()).reshape(20, 4) / 4)


def test_multilabel_margin_matches_torch() -> None:
    from losslab.losses.multilabel import indices_to_indicators

    rng = np.random.default_rng(7)
    f = rng.normal(0.0, 1.0, (64, 5))
    # torch's targets: positive class indices, then -1
    idx = np.full((64, 5), -1)
    for i in range(64):
        pos = rng.permutation(5)[: rng.integers(0, 6)]
        idx[i, : len(pos)] = pos
    y = indices_to_indicators(idx)
    loss = losslab.get("multilabel_margin")
    tv, tg = torch_value_and_grad(F.multilabel_margin_loss, f, torch.as_tensor(idx))
    close(loss(y, f, reduction="none"), tv)
    close(loss.gradient(y, f), tg)
    close(losslab_value_and_autograd(loss, y, f)[1], tg)
    assert np.all(loss.hessian(y, f) == 0.0)


def test_multilabel_targets_must_be_indicator_rows() -> None:
    loss = losslab.get("multilabel_margin")
    with pytest.raises(losslab.ShapeError, match="indices_to_indicators"):
        loss([1, 0], [[0.1, 0.2, 0.3], [0.0, 0.0, 0.0]])
    with pytest.raises(losslab.DomainError, match="y_true for loss 'multilabel_margin'"):
        loss([[3.0, 0.0, -1.0]], [[0.1, 0.2, 0.3]])
    with pytest.raises(losslab.DomainError, match="y_true for loss 'multilabel_soft_margin'"):
        losslab.get("multilabel_soft_margin")([[1.5, 0.0]], [[0.1, 0.2]])


# -- cosine_similarity ----------------------------------------------------------------------------
def test_cosine_similarity_matches_torch_and_optax() -> None:
    loss = losslab.get("cosine_similarity")
    y, f = loss.example(64, seed=3)
    x = t64(f).requires_grad_(True)
    tv = -F.cosine_similarity(x, t64(y), dim=-1, eps=0.0)
    (tg,) = torch.autograd.grad(tv.sum(), x)
    close(loss(y, f, reduction="none"), tv.detach().numpy())
    close(loss.gradient(y, f), tg.numpy())
    close(losslab_value_and_autograd(loss, y, f)[1], tg.numpy())
    optax = pytest.importorskip("optax")
    jnp = pytest.importorskip("jax.numpy")
    # optax in float32 (this process keeps JAX's default): agreement to float32 precision
    ov = np.asarray(optax.losses.cosine_similarity(jnp.asarray(f, jnp.float32), jnp.asarray(y, jnp.float32)))
    np.testing.assert_allclose(-ov, loss(y, f, reduction="none"), rtol=1e-5)


def test_cosine_similarity_hessian_is_the_exact_diagonal() -> None:
    loss = losslab.get("cosine_similarity")
    y, f = loss.example(8, seed=1)
    diag = []
    for t, q in zip(y, f, strict=True):
        h = torch.autograd.functional.hessian(
            lambda r, t=t: -F.cosine_similarity(r, t64(t), dim=0, eps=0.0), t64(q)
        )
        diag.append(torch.diagonal(h).numpy())
    close(loss.hessian(y, f), np.array(diag))


def _keras_cosine(y, f):
    """keras.losses.cosine_similarity in NumPy (Keras 3 source: ops.normalize with order 2 is
    x * min(rsqrt(Σx²), 1/epsilon), epsilon = backend.epsilon() = 1e-7)."""

    def normalize(a):
        with np.errstate(divide="ignore", over="ignore"):
            return a * np.minimum(1.0 / np.sqrt(np.sum(np.square(a), axis=-1, keepdims=True)), 1e7)

    return -np.sum(normalize(y) * normalize(f), axis=-1)


def test_cosine_similarity_tiny_and_huge_rows_exact_where_keras_is_off() -> None:
    loss = losslab.get("cosine_similarity")
    y = np.array([[1e-9, 0.0, 0.0], [1e200, 2e200, -1e200], [1.0, 2.0, 0.5]])
    f = np.array([[1e-9, 1e-9, 0.0], [3e200, 1e200, 2e200], [0.5, 1.0, 3.0]])
    exact = [
        float(-mpmath.fdot(t, q) / (mpmath.norm(t) * mpmath.norm(q)))
        for t, q in ((list(map(mpmath.mpf, a)), list(map(mpmath.mpf, b))) for a, b in zip(y, f, strict=True))
    ]
    close(loss(y, f, reduction="none"), exact, rtol=1e-15)
    keras_value = _keras_cosine(y, f)
    close(keras_value[2], exact[2], rtol=1e-14)  # an ordinary row: the same
    assert abs(keras_value[0] - exact[0]) > 0.5  # -1e-4 instead of -0.7071
    assert keras_value[1] == 0.0 and exact[1] < -0.3  # Σx² overflowed
    with pytest.raises(losslab.DomainError, match="rows not all zero"):
        loss([[1.0, 0.0]], [[0.0, 0.0]])
