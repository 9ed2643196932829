"""JAX: jit, grad (analytic, via custom_jvp), Hessians, vmap, and the optax-style functions."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import scipy.special

import losslab

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
import losslab.jax as lj  # noqa: E402
from conftest import is_structured, map_target, marked  # noqa: E402

NAMES = losslab.list_losses()


@pytest.fixture(autouse=True, scope="module")
def _x64():
    # jax_enable_x64 is process-wide: enable it for this module only and restore it after
    with jax.enable_x64(True):
        yield


def derivatives(loss: losslab.Loss, y, f):
    """Mean value, autodiff gradient of the sum and the Hessian diagonal, in one jit."""

    def total(a):
        return loss(y, a, reduction="sum")

    grad = jax.grad(total)
    if loss.info.hessian == "none":  # declared without a Hessian: hessian() raises (test_generic.py)
        hess = jnp.zeros_like(f)
    elif loss.coupled:  # rows interact: the diagonal of the full Hessian of the total
        hess = jnp.diagonal(jax.hessian(total)(f))
    elif not loss.multiclass:
        hess = jax.grad(lambda a: jnp.sum(grad(a)))(f)
    else:  # column j of the diagonal: entry j of H·e_j (forward over reverse)
        eye = jnp.eye(f.shape[1], dtype=f.dtype)
        cols = [jax.jvp(grad, (f,), (jnp.broadcast_to(eye[j], f.shape),))[1][:, j] for j in range(f.shape[1])]
        hess = jnp.stack(cols, axis=1)
    return loss(y, f), grad(f), hess


@pytest.mark.parametrize("name", NAMES)
def test_jit_grad_and_hessian_equal_the_analytic_ones(name: str) -> None:
    loss = losslab.get(name)
    y, f = loss.example(8, seed=2)
    if loss.info.gradient == "recipe":
        pytest.skip("a gradient recipe is not the derivative of its value")
    if is_structured(y):  # a structured target is closed over (it is no pytree), its fields concrete
        yj = map_target(y, jnp.asarray)
        v, g, h = jax.jit(lambda b: derivatives(loss, yj, b))(jnp.asarray(f))
    else:
        v, g, h = jax.jit(lambda a, b: derivatives(loss, a, b))(jnp.asarray(y), jnp.asarray(f))
    assert v.dtype == g.dtype == h.dtype == jnp.float64
    np.testing.assert_allclose(float(v), loss(y, f), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(g), loss.gradient(y, f), rtol=1e-12, atol=1e-300)
    if loss.info.hessian != "none":
        np.testing.assert_allclose(np.asarray(h), loss.hessian(y, f), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_grad_runs_the_analytic_gradient_kernel(name: str) -> None:
    loss = marked(losslab.get(name), 0.25)
    y, f = loss.example(8, seed=1)
    if loss.target_type is not None:
        pytest.skip("a structured target's autodiff runs through the value kernels (_core.autodiff)")
    g = jax.jit(jax.grad(lambda a: loss(jnp.asarray(y), a, reduction="sum")))(jnp.asarray(f))
    np.testing.assert_allclose(np.asarray(g), loss.gradient(y, f), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(np.asarray(g) - 0.25, losslab.get(name).gradient(y, f), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", [n for n in NAMES if losslab.get(n).info.task != "regression"])
def test_no_nan_gradients_at_extreme_logits(name: str) -> None:
    loss = losslab.get(name)
    if loss.params.get("from_logits", True) is False:
        pytest.skip("probability inputs")
    y, f = loss.example(8, seed=4)
    if loss.info.gradient == "recipe":
        pytest.skip("a gradient recipe is not the derivative of its value")
    f = f * 200.0
    if loss.info.y_pred.kind == "log_probability_row":  # back onto the log-simplex
        f = f - scipy.special.logsumexp(f, axis=1, keepdims=True)
    yj = map_target(y, jnp.asarray)
    g = jax.jit(jax.grad(lambda a: loss(yj, a, reduction="sum")))(jnp.asarray(f))
    exact = np.asarray(loss.gradient(y, f))
    # finite wherever the true gradient is (the exponential loss's e^{|f|} overflows with it)
    assert bool(jnp.all(jnp.isfinite(g[np.isfinite(exact)])))
    # a structured target's autodiff runs through the value kernels (_core.autodiff): through
    # the libraries' own log_ndtr and cumulative log-sum-exp derivatives, not the analytic ones
    rtol = 1e-12 if loss.target_type is None else 1e-9
    # a gradient entry that is a difference of near-equal tiny probabilities (CTC's softmax minus
    # posterior occupancy of an unlikely class) is exact only to ~1e-16 of the terms: absolute
    # accuracy at the gradient's scale for the losses whose y_pred is a matrix per row
    atol = 1e-300 if f.ndim < 3 else 1e-14 * float(np.max(np.abs(exact)))
    np.testing.assert_allclose(np.asarray(g), exact, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", NAMES)
def test_vmap_over_batches(name: str) -> None:
    loss = losslab.get(name)
    y, f = loss.example(8, seed=0)
    if is_structured(y):
        pytest.skip("a batch of structured targets is no array to vmap over")
    yb, fb = y.reshape(2, 4, *y.shape[1:]), f.reshape(2, 4, *f.shape[1:])

    @jax.jit
    def batched(a, b):
        return jax.vmap(lambda a, b: loss(a, b))(a, b), jax.vmap(jax.grad(lambda b, a: loss(a, b)))(b, a)

    out, grads = batched(jnp.asarray(yb), jnp.asarray(fb))
    ref = [loss(yb[i], fb[i]) for i in range(2)]
    np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-12)
    ref = np.stack([loss.gradient(yb[i], fb[i]) / 4 for i in range(2)])
    np.testing.assert_allclose(np.asarray(grads), ref, rtol=1e-12, atol=1e-300)


def test_checks_run_eagerly_and_are_skipped_under_jit() -> None:
    loss = losslab.get("msle")
    bad = jnp.asarray([-2.0, 1.0])
    with pytest.raises(losslab.DomainError, match="y_pred for loss 'msle' must be > -1"):
        loss(jnp.asarray([0.0, 0.0]), bad)
    out = jax.jit(lambda b: loss(jnp.asarray([0.0, 0.0]), b, reduction="none"))(bad)
    assert bool(jnp.isnan(out[0]))  # no error under tracing: the math of log1p(-1) is NaN
    with pytest.raises(losslab.ShapeError):  # shape checks always run, traced or not
        jax.jit(lambda b: loss(jnp.zeros(3), b))(jnp.zeros(2))


def test_targets_can_be_differentiated_too() -> None:
    loss = losslab.get("mse")
    y, f = jnp.asarray([0.0, 1.0]), jnp.asarray([0.5, -1.0])
    gy = jax.grad(lambda t: loss(t, f, reduction="sum"))(y)
    np.testing.assert_allclose(np.asarray(gy), -2 * (np.asarray(f) - np.asarray(y)))
    gy, gf = jax.grad(lambda t, a: loss(t, a, reduction="sum"), argnums=(0, 1))(y, f)
    np.testing.assert_allclose(np.asarray(gy), -np.asarray(gf))


@pytest.mark.parametrize("name", NAMES)
def test_optax_style_function_for_every_loss(name: str) -> None:
    loss = losslab.get(name)
    fn = getattr(lj, name)
    sig = inspect.signature(fn)
    assert list(sig.parameters)[:2] == ["predictions", "targets"]
    for p in loss.PARAMS:
        assert sig.parameters[p.name].kind is inspect.Parameter.KEYWORD_ONLY
        assert sig.parameters[p.name].default == p.default
    y, f = loss.example(8, seed=0)
    if loss.info.gradient == "recipe" and is_structured(y):
        pytest.skip("a ranking recipe's pair weights come from the ranks of concrete scores")
    if is_structured(y):
        yj = map_target(y, jnp.asarray)
        out = jax.jit(lambda b: fn(b, yj))(jnp.asarray(f))
        np.testing.assert_allclose(np.asarray(out), loss(y, f, reduction="none"), rtol=1e-12, atol=1e-300)
        return
    out = jax.jit(fn)(jnp.asarray(f), jnp.asarray(y))
    np.testing.assert_allclose(np.asarray(out), loss(y, f, reduction="none"), rtol=1e-12, atol=1e-300)
    if loss.multiclass:  # any leading shape (..., k)
        k = f.shape[1]
        out = jax.jit(fn)(jnp.asarray(f).reshape(2, 4, k), jnp.asarray(y).reshape(2, 4, *y.shape[1:]))
        assert out.shape == (2, 4)
        np.testing.assert_allclose(np.asarray(out).ravel(), loss(y, f, reduction="none"), rtol=1e-12)
        one = jax.jit(fn)(jnp.asarray(f[0]), jnp.asarray(y[0]))  # a single example, as under vmap
        np.testing.assert_allclose(float(one), loss(y[:1], f[:1], reduction="none")[0], rtol=1e-12)


def test_optax_style_hyper_parameters_and_errors() -> None:
    f, y = jnp.asarray([0.5, 3.0]), jnp.zeros(2)
    np.testing.assert_allclose(np.asarray(lj.huber(f, y, delta=2.0)), [0.125, 4.0])
    with pytest.raises(TypeError):
        lj.huber(f, y, 2.0)  # keyword-only
    with pytest.raises(losslab.ParameterError, match="delta"):
        lj.huber(f, y, delta=-1.0)
    bound = lj.loss("quantile", quantile=0.9)
    np.testing.assert_allclose(np.asarray(bound(jnp.asarray([8.0]), jnp.asarray([10.0]))), [1.8])
    assert lj.pinball is not None  # aliases work
    with pytest.raises(AttributeError, match="unknown loss"):
        lj.no_such_loss
    assert "huber" in dir(lj)


def test_linear_model_trains_under_jit() -> None:
    rng = np.random.default_rng(0)
    X = jnp.asarray(rng.normal(size=(128, 3)))
    w_true = jnp.asarray([1.0, -2.0, 0.5])
    y = X @ w_true + jnp.asarray(rng.standard_t(2, size=128))  # heavy-tailed noise

    def objective(w, fn):
        return jnp.mean(fn(X @ w, y))

    def reference_huber(pred, target, delta=1.0):
        r = jnp.abs(pred - target)
        return jnp.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))

    def train(fn):
        step = jax.jit(lambda w: w - 0.2 * jax.grad(objective)(w, fn))
        w, hist = jnp.zeros(3), []
        for _ in range(60):
            hist.append(float(objective(w, fn)))
            w = step(w)
        return np.array(hist), np.asarray(w)

    ours, w_ours = train(lj.huber)
    ref, w_ref = train(reference_huber)
    assert ours[-1] < 0.5 * ours[0]
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    np.testing.assert_allclose(w_ours, w_ref, rtol=1e-10)
    np.testing.assert_allclose(w_ours, w_true, atol=0.3)


# -- traced hyper-parameters: jit over δ, grad with respect to δ ---------------------------------
def _param_derivative(name: str, p: float, y: np.ndarray, f: np.ndarray) -> np.ndarray:
    """∂ℓᵢ/∂p by hand: huber (|r| − δ)·[|r| > δ]; pseudo-Huber 2δ(s − 1) − r²/(δs), s = √(1 + (r/δ)²);
    quantile (pinball of τ) y − f."""
    r = f - y
    if name == "huber":
        return np.where(np.abs(r) > p, np.abs(r) - p, 0.0)
    if name == "pseudo_huber":
        s = np.sqrt(1.0 + (r / p) ** 2)
        return 2.0 * p * (s - 1.0) - r * r / (p * s)
    return y - f


TRACEABLE = [("huber", "delta", 0.8), ("pseudo_huber", "delta", 0.7), ("quantile", "quantile", 0.3)]


@pytest.mark.parametrize(("name", "param", "p"), TRACEABLE)
def test_jit_over_a_hyper_parameter_equals_the_concrete_one(name: str, param: str, p: float) -> None:
    rng = np.random.default_rng(3)
    y, f = rng.normal(0.0, 2.0, 64), rng.normal(0.0, 2.0, 64)
    yj, fj = jnp.asarray(y), jnp.asarray(f)
    concrete = losslab.get(name, **{param: p})

    @jax.jit
    def value(q, ff):  # the loss built inside, from the traced parameter
        return losslab.get(name, **{param: q})(yj, ff, sample_weight=jnp.linspace(0.5, 1.5, 64))

    got = float(value(p, fj))
    want = float(concrete(y, f, sample_weight=np.linspace(0.5, 1.5, 64)))
    assert abs(got - want) <= 1e-12 * abs(want)
    # the optax-style function and losslab.jax.loss take traced parameters too
    per_example = jax.jit(lambda q: getattr(lj, name)(fj, yj, **{param: q}))(p)
    np.testing.assert_allclose(per_example, concrete(y, f, reduction="none"), rtol=1e-12, atol=0)
    bound = jax.jit(lambda q: lj.loss(concrete, **{param: q})(fj, yj))(p)
    np.testing.assert_allclose(bound, concrete(y, f, reduction="none"), rtol=1e-12, atol=0)
    # vmap over several values of the parameter
    ps = jnp.asarray([p, 0.5 * p, 0.9])
    swept = jax.vmap(lambda q: losslab.get(name, **{param: q})(yj, fj))(ps)
    want_sweep = [float(losslab.get(name, **{param: float(q)})(y, f)) for q in ps]
    np.testing.assert_allclose(swept, want_sweep, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("name", "param", "p"), TRACEABLE)
def test_grad_with_respect_to_a_hyper_parameter(name: str, param: str, p: float) -> None:
    rng = np.random.default_rng(4)
    y, f = rng.normal(0.0, 2.0, 64), rng.normal(0.0, 2.0, 64)
    yj, fj = jnp.asarray(y), jnp.asarray(f)
    want = _param_derivative(name, p, y, f).mean()

    def mean_loss(q, ff):
        return losslab.get(name, **{param: q})(yj, ff)

    # eager with concrete data, and jit with the predictions traced too (the custom_jvp path)
    assert abs(float(jax.grad(mean_loss)(p, fj)) - want) <= 1e-12 * max(1.0, abs(want))
    dq, df = jax.jit(jax.grad(mean_loss, argnums=(0, 1)))(p, fj)
    assert abs(float(dq) - want) <= 1e-12 * max(1.0, abs(want))
    # the gradient in f is still the analytic one of the concrete loss
    np.testing.assert_allclose(
        df, losslab.get(name, **{param: p}).gradient(y, f) / 64, rtol=1e-12, atol=1e-300
    )
    # mixed second derivative ∂/∂p of Σ ∂ℓ/∂f (through the analytic gradient kernel)
    mixed = jax.grad(lambda q: jnp.sum(jax.grad(mean_loss, argnums=1)(q, fj)))(p)
    h = 1e-5
    fd = (
        losslab.get(name, **{param: p + h}).gradient(y, f).sum()
        - losslab.get(name, **{param: p - h}).gradient(y, f).sum()
    ) / (2 * h * 64)
    assert abs(float(mixed) - fd) <= 1e-6 * max(1.0, abs(fd))


def test_traced_parameters_are_checked_when_concrete_and_refused_where_the_kernel_branches() -> None:
    y, f = jnp.asarray([1.0, 2.0, 4.0]), jnp.asarray([0.0, 0.5, 1.0])
    # a concrete out-of-range value is still an error, also from a 0-d JAX array
    with pytest.raises(losslab.ParameterError, match=r"'delta' of loss 'huber' must be in \(0, inf\)"):
        losslab.get("huber", delta=jnp.asarray(-1.0))
    assert losslab.get("huber", delta=jnp.asarray(2.0)) == losslab.get("huber", delta=2.0)
    with pytest.raises(losslab.ParameterError, match="must be a real scalar; got a traced array of shape"):
        jax.jit(lambda d: losslab.get("huber", delta=d)(y, f))(jnp.ones(3))
    # tweedie's kernels branch on p in Python (exact series coefficients): a clear error
    with pytest.raises(losslab.ParameterError, match="loss 'tweedie' cannot take a traced 'power'"):
        jax.jit(lambda p: losslab.get("tweedie", power=p)(y, f))(1.5)
    # ... while a static power works under jit
    static = jax.jit(lambda ff, p: losslab.get("tweedie", power=p)(y, ff), static_argnums=1)(f, 1.5)
    assert float(static) == pytest.approx(
        float(losslab.get("tweedie", power=1.5)(np.asarray(y), np.asarray(f)))
    )
    # metadata of a traced loss is the class's declared one (no value to refine it with)
    seen = []
    jax.jit(lambda q: seen.append(losslab.get("quantile", quantile=q).info) or q)(0.9)
    assert seen[0] == losslab.get("quantile").INFO


def _real_params() -> list[tuple[str, str]]:
    from losslab._core.params import Param

    out = []
    for name in NAMES:
        cls = losslab.get(name).__class__
        out += [(name, p.name) for p in cls.PARAMS if type(p) is Param and p.kind == "float"]
    return out


@pytest.mark.parametrize(("name", "param"), _real_params())
def test_every_real_parameter_is_traceable_or_refused_clearly(name: str, param: str) -> None:
    # under jit a real parameter either gives the concrete value or a ParameterError naming it
    # (kernels that branch on it in Python); never a raw tracer error
    loss = losslab.get(name)
    y, f = loss.example(16)
    yj, fj = map_target(y, jnp.asarray), jnp.asarray(f)
    p = loss.params[param]
    if not isinstance(p, float):  # e.g. a default of "auto"
        pytest.skip(f"default {p!r}")
    try:
        got = jax.jit(lambda q: type(loss)(**{param: q})(yj, fj))(p)
    except losslab.ParameterError as exc:
        assert f"loss {name!r} cannot take a traced {param!r}" in str(exc)
        return
    want = loss(y, f)
    assert abs(float(got) - float(want)) <= 1e-12 * abs(float(want)) + 1e-300
