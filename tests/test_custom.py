"""Custom losses from their value alone (torch or JAX autodiff), subclasses, and losslab.check."""

from __future__ import annotations

import pickle
import textwrap

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


@pytest.fixture(autouse=True)
def _restore_registry():
    # custom losses registered here must not leak into other tests that walk the registry
    from losslab._core import registry

    losslab.list_losses()  # built-ins first
    classes, aliases = dict(registry._CLASSES), dict(registry._ALIASES)
    yield
    registry._CLASSES.clear()
    registry._CLASSES.update(classes)
    registry._ALIASES.clear()
    registry._ALIASES.update(aliases)


# module-level so that pickling by reference works
def cauchy(y_true, y_pred, c=1.0):
    """Cauchy (Lorentzian) loss log(1 + (r/c)²)."""
    r = (y_pred - y_true) / c
    return torch.log1p(r * r)


def cauchy_jax(y_true, y_pred, c=1.0):
    r = (y_pred - y_true) / c
    return jnp.log1p(r * r)


def softmax_ce(y_true, logits):
    onehot = torch.nn.functional.one_hot(y_true.long(), logits.shape[1]).to(logits.dtype)
    return -(onehot * torch.log_softmax(logits, dim=1)).sum(dim=1)


def cauchy_grad(y, f, c):
    r = f - y
    return 2 * r / (c * c + r * r)


def cauchy_hess(y, f, c):
    r = f - y
    return 2 * (c * c - r * r) / (c * c + r * r) ** 2


@pytest.fixture
def cauchy_loss():
    return losslab.custom(cauchy, name="test_cauchy", params={"c": 1.0}, robust=True, zero_at_perfect=True)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_value_alone_gives_exact_gradient_and_hessian(backend: str) -> None:
    fn = cauchy if backend == "torch" else cauchy_jax
    loss = losslab.custom(
        fn, name=f"test_cauchy_{backend}", params={"c": 2.0}, backend=backend, register=False
    )
    y, f = loss.example(32, seed=0)
    np.testing.assert_allclose(loss(y, f, reduction="none"), np.log1p(((f - y) / 2.0) ** 2), rtol=1e-14)
    np.testing.assert_allclose(loss.gradient(y, f), cauchy_grad(y, f, 2.0), rtol=1e-13)
    np.testing.assert_allclose(loss.hessian(y, f), cauchy_hess(y, f, 2.0), rtol=1e-12, atol=1e-15)
    assert loss.gradient(y, f).dtype == np.float64  # float64 even with jax_enable_x64 off
    report = losslab.check(loss)
    assert report.passed, report


def test_custom_loss_is_a_full_loss(cauchy_loss) -> None:
    loss = cauchy_loss
    assert isinstance(loss, losslab.Loss)
    assert losslab.get("test_cauchy") == loss
    assert losslab.get("test_cauchy", c=3.0).c == 3.0
    assert losslab.get({"name": "test_cauchy", "c": 3.0}) == losslab.get("test_cauchy", c=3.0)
    assert loss.to_dict() == {"name": "test_cauchy", "c": 1.0}
    assert loss.info.robust and loss.info.task == "regression"
    assert "test_cauchy" in losslab.list_losses(task="regression")
    assert "Cauchy" in type(loss).__doc__
    y, f = np.array([0.0, 1.0]), np.array([1.0, 1.0])
    w = np.array([2.0, 1.0])
    assert float(loss(y, f, sample_weight=w)) == pytest.approx(2 * np.log(2) / 3)
    np.testing.assert_allclose(loss.gradient(y, f, sample_weight=w), [2.0, 0.0])
    with pytest.raises(losslab.DomainError, match="test_cauchy"):
        loss(y, np.array([np.nan, 1.0]))
    back = pickle.loads(pickle.dumps(loss))
    assert back == loss
    np.testing.assert_allclose(back.gradient(y, f), loss.gradient(y, f))


def test_custom_loss_on_torch_and_jax_inputs(cauchy_loss) -> None:
    y, f = cauchy_loss.example(8, seed=1)
    x = torch.tensor(f, requires_grad=True)
    out = cauchy_loss(torch.from_numpy(y), x, reduction="sum")
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), cauchy_grad(y, f, 1.0), rtol=1e-13)
    g = cauchy_loss.gradient(torch.from_numpy(y), torch.from_numpy(f))
    assert isinstance(g, torch.Tensor)
    np.testing.assert_allclose(g.numpy(), cauchy_grad(y, f, 1.0), rtol=1e-13)
    with pytest.raises(losslab.DTypeError, match="written with torch"):
        cauchy_loss(jnp.asarray(y), jnp.asarray(f))
    jloss = losslab.custom(cauchy_jax, name="test_cauchy_j", backend="jax", register=False)
    with jax.enable_x64(True):
        gj = jax.jit(jax.grad(lambda a: jloss(jnp.asarray(y), a, reduction="sum")))(jnp.asarray(f))
        np.testing.assert_allclose(np.asarray(gj), cauchy_grad(y, f, 1.0), rtol=1e-13)
        np.testing.assert_allclose(
            np.asarray(jloss.hessian(jnp.asarray(y), jnp.asarray(f))), cauchy_hess(y, f, 1.0), rtol=1e-12
        )


def test_custom_loss_in_the_torch_module_trains(cauchy_loss) -> None:
    import losslab.torch as lt

    torch.manual_seed(0)
    X = torch.randn(64, 2, dtype=torch.float64)
    y = X @ torch.tensor([1.0, -1.0], dtype=torch.float64)
    model = torch.nn.Linear(2, 1).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    crit = lt.Loss("test_cauchy")
    hist = []
    for _ in range(40):
        opt.zero_grad()
        out = crit(model(X).squeeze(1), y)
        out.backward()
        opt.step()
        hist.append(out.item())
    assert hist[-1] < 0.1 * hist[0]


def test_multiclass_custom_loss_matches_the_builtin() -> None:
    loss = losslab.custom(softmax_ce, name="test_ce", task="multiclass", estimates="class probabilities")
    ref = losslab.get("categorical_crossentropy")
    y, f = ref.example(16, seed=0)
    assert loss.multiclass
    np.testing.assert_allclose(loss(y, f, reduction="none"), ref(y, f, reduction="none"), rtol=1e-13)
    np.testing.assert_allclose(loss.gradient(y, f), ref.gradient(y, f), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(loss.hessian(y, f), ref.hessian(y, f), rtol=1e-12, atol=1e-16)
    assert losslab.check(loss).passed


def test_subclass_writing_only_the_value() -> None:
    class LogCosh(losslab.Loss):
        """log cosh(f − y), written once with the array namespace."""

        name = "test_logcosh_subclass"
        INFO = losslab.LossInfo(
            task="regression",
            estimates="mean (approximately)",
            y_true="any real number",
            y_pred="any real number",
            convex=True,
            smooth=True,
            robust=True,
            hessian="exact",
        )

        def _value(self, xp, t, f):
            r = f - t
            return xp.logaddexp(r, -r) - np.log(2.0)

    loss = LogCosh()
    y, f = loss.example(16, seed=0)
    np.testing.assert_allclose(loss.gradient(y, f), np.tanh(f - y), rtol=1e-13)
    np.testing.assert_allclose(loss.hessian(y, f), 1 / np.cosh(f - y) ** 2, rtol=1e-12)
    assert losslab.check(loss).passed
    # on JAX arrays the subclass's derivatives come from JAX itself
    with jax.enable_x64(True):
        g = loss.gradient(jnp.asarray(y), jnp.asarray(f))
        assert isinstance(g, jax.Array)
        np.testing.assert_allclose(np.asarray(g), np.tanh(f - y), rtol=1e-13)


def test_import_path_lookup_for_the_cli(tmp_path, monkeypatch) -> None:
    (tmp_path / "my_test_losses.py").write_text(
        textwrap.dedent(
            """
            import torch
            import losslab

            def fair(y_true, y_pred, c=1.0):
                a = (y_pred - y_true).abs() / c
                return c * c * (a - torch.log1p(a))

            fair_loss = losslab.custom(fair, name="test_fair", params={"c": 1.0}, robust=True)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    loss = losslab.get("my_test_losses:fair_loss")
    assert loss.name == "test_fair"
    assert losslab.get("test_fair") == loss  # registered on import
    y, f = np.array([0.0]), np.array([2.0])
    np.testing.assert_allclose(loss.gradient(y, f), [2.0 / 3.0], rtol=1e-14)  # c·r/(c + |r|)
    assert pickle.loads(pickle.dumps(loss)) == loss


def test_bad_definitions_are_clear_errors() -> None:
    with pytest.raises(losslab.ParameterError, match="taken by the built-in loss 'huber'"):
        losslab.custom(cauchy, name="huber")
    with pytest.raises(losslab.ParameterError, match="backend"):
        losslab.custom(cauchy, name="test_x", backend="tensorflow")
    with pytest.raises(losslab.ParameterError, match="task"):
        losslab.custom(cauchy, name="test_x", task="ranking", register=False)
    mean_only = losslab.custom(lambda y, f: ((f - y) ** 2).mean(), name="test_mean", register=False)
    with pytest.raises(losslab.ShapeError, match="one value per sample"):
        mean_only(np.zeros(3), np.ones(3))
    # redefining a custom loss under its name replaces it (notebooks re-run cells)
    a = losslab.custom(cauchy, name="test_redefined")
    b = losslab.custom(cauchy, name="test_redefined", params={"c": 2.0})
    assert losslab.get("test_redefined") == b != a


@pytest.mark.parametrize("name", losslab.list_losses())
def test_check_passes_for_every_registered_loss(name: str) -> None:
    if losslab.get(name).info.gradient == "recipe":
        pytest.skip("a gradient recipe (LambdaRank) is not the derivative of its value: check says so")
    report = losslab.check(name, n=32)
    assert report.passed, report
    assert report.gradient.n_skipped <= report.gradient.n_checked // 10  # kinks are rare


def test_check_finds_a_wrong_gradient_and_reports_the_worst_points() -> None:
    class HalfGradient(type(losslab.get("mse"))):
        def _gradient(self, xp, t, f):
            return f - t  # should be 2(f − t)

    report = losslab.check(HalfGradient(), np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, -2.0]))
    assert not report.passed and not bool(report)
    assert report.gradient.n_failed == 2  # the entry with f = y has gradient 0 either way
    worst = report.gradient.worst[0]
    assert worst["index"] == 2 and worst["y_true"] == 2.0 and worst["y_pred"] == -2.0
    assert worst["analytic"] == pytest.approx(-4.0) and worst["numeric"] == pytest.approx(-8.0)
    assert report.hessian.passed is False  # the Hessian 2 disagrees with the halved gradient's slope 1
    text = repr(report)
    assert "FAILED" in text and "at 2: y_true=2, y_pred=-2" in text


def test_check_skips_kinks_instead_of_failing() -> None:
    y = np.array([0.0, 0.0, 0.0])
    f = np.array([0.0, 1e-9, 2.0])  # on and next to the kink of |f − y|
    report = losslab.check("mae", y, f)
    assert report.passed, report
    # on the kink the symmetric quotient is 0, the minimum-norm subgradient mae returns; next
    # to it, steps h and h/2 disagree and the entry is skipped (after smaller steps also fail)
    assert report.gradient.n_skipped == 1 and report.gradient.n_checked == 2
    assert "1 skipped" in repr(report)


def test_check_argument_errors() -> None:
    with pytest.raises(losslab.ParameterError, match="both y_true and y_pred"):
        losslab.check("mse", y_true=np.zeros(3))
    with pytest.raises(losslab.UnknownLossError):
        losslab.check("no_such_loss")


def test_linear_value_has_zero_hessian() -> None:
    for backend in ("torch", "jax"):
        loss = losslab.custom(lambda y, f: 3.0 * f - y, name="test_linear", backend=backend, register=False)
        np.testing.assert_array_equal(loss.gradient([0.0, 1.0], [1.0, 2.0]), [3.0, 3.0])
        np.testing.assert_array_equal(loss.hessian([0.0, 1.0], [1.0, 2.0]), [0.0, 0.0])
