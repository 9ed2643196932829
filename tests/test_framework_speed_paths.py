"""The fast paths of the framework faces give the results and errors of the plain ones.

- PyTorch: one autograd Function computes the value and the analytic gradient in its forward
  and saves the gradient for backward; backward that builds a graph recomputes it through
  `LossGradient` (whose backward is the Hessian). Both give the analytic gradient.
- PyTorch, a reduced call (mean or sum, no weights): one autograd Function forms the total and
  the gradient (`Loss._total_gradient`), and its checks are read off that total.
- Validation: a few reductions and one host sync vouch for the inputs; only when they cannot
  do the entry-by-entry checks run, so every error message is the one they give.
- torch.compile traces the four common losses with no graph break.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import losslab
from losslab._core import validation

torch = pytest.importorskip("torch")
import losslab.torch as lt  # noqa: E402
from conftest import float_target, is_structured, map_target  # noqa: E402

FOUR = ("mse", "huber", "binary_crossentropy", "categorical_crossentropy")
REDUCTIONS = ("mean", "sum", "none")


def _data(name: str, dtype: Any, n: int = 24, seed: int = 0) -> tuple[Any, Any, Any]:
    loss = losslab.get(name)
    y, f = loss.example(n, seed=seed)
    w = np.random.default_rng(seed + 1).uniform(0.5, 2.0, f.shape[:1])
    return torch.from_numpy(np.asarray(y)), torch.tensor(f, dtype=dtype), torch.tensor(w, dtype=dtype)


def _expected_grad(loss: Any, y: Any, f: Any, w: Any, reduction: str, upstream: Any) -> np.ndarray:
    """d(reduced loss)/df from the analytic per-entry gradient (NumPy, float64)."""
    yn, fn = y.numpy(), f.detach().numpy().astype(np.float64)
    wn = None if w is None else w.numpy().astype(np.float64)
    g = np.asarray(loss.gradient(yn, fn, sample_weight=wn))
    scale = np.ones(fn.shape[0]) if reduction == "sum" else upstream.numpy().astype(np.float64)
    if reduction == "mean":
        scale = np.full(fn.shape[0], 1.0 / (fn.shape[0] if wn is None else wn.sum()))
    return g * (scale[:, None] if loss.multiclass else scale)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", FOUR)
def test_fused_forward_gives_the_analytic_value_and_gradient(name, dtype, reduction, weighted) -> None:
    loss = losslab.get(name)
    y, f, w = _data(name, dtype)
    w = w if weighted else None
    x = f.clone().requires_grad_(True)
    out = loss(y, x, sample_weight=w, reduction=reduction)
    plain = loss(y, f, sample_weight=w, reduction=reduction)  # no autograd: the kernels alone
    assert out.dtype == dtype
    if reduction == "none" or weighted:
        torch.testing.assert_close(out.detach(), plain, rtol=0, atol=0)
    else:  # the reduced path (`Loss._total_gradient`) sums its own per-entry values
        eps = torch.finfo(dtype).eps
        torch.testing.assert_close(out.detach(), plain, rtol=4 * eps, atol=0)
    upstream = torch.linspace(0.5, 1.5, f.shape[0], dtype=dtype)
    (out if reduction != "none" else (out * upstream).sum()).backward()
    assert x.grad.dtype == dtype
    want = _expected_grad(loss, y, f, w, reduction, upstream)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=tol, atol=tol * 1e-3)


@pytest.mark.parametrize("name", FOUR)
def test_gradient_agrees_with_finite_differences(name) -> None:
    loss = losslab.get(name)
    y, f, w = _data(name, torch.float64, n=6, seed=3)
    x = f.clone().requires_grad_(True)
    loss(y, x, sample_weight=w).backward()
    h = 1e-6
    fd = np.zeros(f.numel())
    for i in range(f.numel()):
        e = torch.zeros(f.numel(), dtype=torch.float64)
        e[i] = h
        e = e.reshape(f.shape)
        fd[i] = (loss(y, f + e, sample_weight=w) - loss(y, f - e, sample_weight=w)).item() / (2 * h)
    np.testing.assert_allclose(x.grad.numpy().ravel(), fd, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", FOUR)
def test_saved_and_recomputed_gradients_are_identical(name) -> None:
    # backward() uses the gradient saved by the forward; create_graph=True recomputes it through
    # LossGradient (for the Hessian). The two must agree bit for bit, also on a second backward.
    loss = losslab.get(name)
    y, f, w = _data(name, torch.float32)
    x = f.clone().requires_grad_(True)
    out = loss(y, x, sample_weight=w)
    out.backward(retain_graph=True)
    saved = x.grad.clone()
    out.backward()  # the saved gradient is not changed by the first backward
    torch.testing.assert_close(x.grad, 2 * saved, rtol=0, atol=0)
    (recomputed,) = torch.autograd.grad(loss(y, x, sample_weight=w), x, create_graph=True)
    torch.testing.assert_close(recomputed.detach(), saved, rtol=0, atol=0)


def test_one_forward_runs_each_kernel_once() -> None:
    calls = {"value": 0, "gradient": 0}
    base = type(losslab.get("huber"))

    class Counted(base):  # unregistered subclass counting kernel calls
        def _value(self, xp, t, f):
            calls["value"] += 1
            return super()._value(xp, t, f)

        def _gradient(self, xp, t, f):
            calls["gradient"] += 1
            return super()._gradient(xp, t, f)

    x = torch.randn(16, requires_grad=True)
    Counted()(torch.zeros(16), x).backward()
    assert calls == {"value": 1, "gradient": 1}


# -- the checks: one sync when the inputs are fine, the old messages when they are not ---------
def _bad_variants(loss: Any) -> list[tuple[str, Any, Any]]:
    """Inputs with one bad entry each: NaN, inf, and values just outside each declared interval."""
    y, f = loss.example(12, seed=5)
    y, f = (y if is_structured(y) else np.array(y)), np.array(f, dtype=np.float64)
    out = [("good", y, f)]
    bad_f = f.copy()
    bad_f.flat[3] = np.nan
    out.append(("nan y_pred", y, bad_f))
    bad_f = f.copy()
    bad_f.flat[2] = -np.inf
    out.append(("inf y_pred", y, bad_f))
    if float_target(y):
        bad_y = y.copy()
        bad_y.flat[1] = np.inf
        out.append(("inf y_true", bad_y, f))
    for arg, domain in (("y_true", loss.info.y_true), ("y_pred", loss.info.y_pred)):
        iv = domain.interval
        for edge, closed, step in ((iv.low, iv.low_closed, -1.0), (iv.high, iv.high_closed, 1.0)):
            if not math.isfinite(edge) or domain.structural:
                continue
            x = (y if arg == "y_true" else f).astype(np.float64).copy()
            x.flat[4] = edge if not closed else edge + step * 1e-3
            out.append((f"{arg} outside at {edge}", x if arg == "y_true" else y, x if arg == "y_pred" else f))
    return out


def _outcome(loss: Any, y: Any, f: Any, w: Any = None) -> str:
    try:
        validation.prepare(loss, y, f, w, True)
    except losslab.LosslabError as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok"


@pytest.mark.parametrize("backend", ["numpy", "torch32", "torch64", "jax"])
def test_quick_checks_raise_exactly_the_entry_by_entry_messages(backend, monkeypatch) -> None:
    def convert(a: Any) -> Any:
        if backend == "numpy" or is_structured(a):  # a structured target is converted by the loss
            return a
        if backend == "jax":
            return jnp.asarray(a)
        t = torch.from_numpy(np.asarray(a))
        return t.to(torch.float32) if backend == "torch32" and t.is_floating_point() else t

    names = losslab.list_losses()
    if backend == "jax":  # each JAX operation dispatches slowly: a few losses of each domain kind
        jnp = pytest.importorskip("jax.numpy")
        names = [n for n in (*FOUR, "poisson") if n in names]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # JAX: int64 labels become int32 without jax_enable_x64
        for name in names:
            loss = losslab.get(name)
            if loss.target_type is not None:
                continue  # a structured target is checked by its own `check`, not by these sums
            for label, y, f in _bad_variants(loss):
                y, f = convert(y), convert(f)
                fast = _outcome(loss, y, f)
                with monkeypatch.context() as m:
                    m.setattr(validation, "_plainly_valid", lambda *a: False)
                    slow = _outcome(loss, y, f)
                assert fast == slow, (name, label)
                if label != "good" and not is_structured(y):  # (structured targets: no quick check)
                    assert not validation._plainly_valid(loss, array_ns(f), y, f), (name, label)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_reduced_eager_calls_raise_exactly_the_messages_of_numpy(reduction) -> None:
    # a reduced call on a tensor that requires grad reads its checks off the loss's total
    # (`prepare(defer=True)`, `Prepared.settled`); a bad entry must still get NumPy's message
    def outcome(loss: Any, y: Any, f: Any) -> str:
        try:
            loss(y, f, reduction=reduction)
        except losslab.LosslabError as exc:
            return f"{type(exc).__name__}: {exc}"
        return "ok"

    for name in losslab.list_losses():
        loss = losslab.get(name)
        if loss.target_type is not None or loss.coupled:
            continue
        for label, y, f in _bad_variants(loss):
            want = outcome(loss, y, f)
            t = torch.from_numpy(np.asarray(y))
            x = torch.from_numpy(np.asarray(f)).requires_grad_(True)
            assert outcome(loss, t, x) == want, (name, label)


def array_ns(x: Any) -> Any:
    from losslab._core.xp import array_namespace

    return array_namespace(x)


def test_quick_checks_vouch_for_good_inputs_and_fall_back_on_an_overflowing_sum() -> None:
    mse, bce = losslab.get("mse"), losslab.get("binary_crossentropy")
    x = torch.randn(100)
    assert validation._plainly_valid(mse, array_ns(x), torch.randn(100), x)
    assert validation._plainly_valid(bce, array_ns(x), (torch.rand(100) > 0.5).float(), x)
    # float32 entries near the top of the range: the sum overflows, so the quick check cannot
    # vouch; the entry-by-entry check then finds every entry finite and no error is raised
    big = torch.full((4,), 3e38)
    assert not validation._plainly_valid(mse, array_ns(big), big, big)
    assert torch.isfinite(mse(big, big, reduction="none")).all()
    # a label 1 + 2⁻²³ in float32 is outside [0, 1]: the min/max summary sees it
    y = torch.tensor([0.0, 1.0 + 2.0**-23])
    assert not validation._plainly_valid(bce, array_ns(y), y, torch.zeros(2))
    with pytest.raises(losslab.DomainError, match=r"'binary_crossentropy'.*index 1"):
        bce(y, torch.zeros(2))


@pytest.mark.parametrize(
    ("weights", "words"),
    [
        (
            [1.0, float("nan"), 1.0],
            "sample_weight for loss 'mse' must be finite and >= 0; got nan at index 1",
        ),
        ([1.0, -1.0, 1.0], "must be finite and >= 0; got -1.0 at index 1"),
        ([0.0, 0.0, 0.0], "must have a positive sum; got all zeros"),
        ([float("inf"), 1.0, 1.0], "must be finite and >= 0; got inf at index 0"),
    ],
)
def test_bad_weights_keep_their_messages(weights, words) -> None:
    with pytest.raises(losslab.DomainError) as info:
        losslab.get("mse")(torch.zeros(3), torch.zeros(3), sample_weight=torch.tensor(weights))
    assert words in str(info.value)


# -- torch.compile -----------------------------------------------------------------------------
def test_torch_compile_traces_the_four_losses_in_one_graph() -> None:
    data = {name: _data(name, torch.float32) for name in FOUR}
    crits = {name: lt.Loss(name) for name in FOUR}  # check=True: data checks skipped in the graph

    def run(xs: dict[str, Any]) -> Any:
        return sum(crits[n](xs[n], data[n][0], data[n][2]) for n in FOUR)

    def leaves() -> dict[str, Any]:
        return {n: data[n][1].clone().requires_grad_(True) for n in FOUR}

    torch._dynamo.reset()
    explained = torch._dynamo.explain(run)(leaves())
    assert explained.graph_break_count == 0, explained.break_reasons
    assert explained.graph_count == 1
    compiled = torch.compile(run, backend="aot_eager", fullgraph=True)  # a graph break would raise
    xs = leaves()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = compiled(xs)
        got.backward()
    # no Dynamo warning (PyTorch's own DeprecationWarning about instantiating a Function aside)
    assert [str(m.message) for m in caught if not issubclass(m.category, DeprecationWarning)] == []
    xs_eager = leaves()
    want = run(xs_eager)
    want.backward()
    torch.testing.assert_close(got.detach(), want.detach(), rtol=1e-6, atol=0)
    for n in FOUR:
        torch.testing.assert_close(xs[n].grad, xs_eager[n].grad, rtol=1e-6, atol=1e-12)


def test_a_compiled_loss_does_not_recompile_when_other_losses_are_first_used() -> None:
    # the kernels' dispatch state is per class, fixed at class creation: a module-level cache
    # that grew as losses were first used changed a global Dynamo guards on, so one compiled
    # function recompiled (and with fullgraph=True failed at the recompile limit) each time
    name = FOUR[0]
    y, f0, w = _data(name, torch.float32)
    crit = lt.Loss(name)
    compiled = torch.compile(lambda x: crit(x, y, w), backend="aot_eager", fullgraph=True)
    compiled(f0.clone().requires_grad_(True)).backward()

    class Fresh(type(losslab.get("huber"))):  # a loss class never used before
        pass

    Fresh()(torch.zeros(3), torch.ones(3, requires_grad=True)).backward()
    y2, f2, _ = _data(FOUR[-1], torch.float32)
    lt.Loss(FOUR[-1])(f2.requires_grad_(True), y2).backward()
    with torch._dynamo.config.patch(error_on_recompile=True):
        compiled(f0.clone().requires_grad_(True)).backward()


@pytest.mark.parametrize("name", losslab.list_losses())
def test_shared_value_gradient_kernel_equals_the_two_kernels(name: str) -> None:
    # losses that compute value and gradient together (one log-softmax, one e^{-|x|}) give the
    # same bits as their separate kernels, on NumPy and torch
    loss = losslab.get(name)
    y, f = loss.example(64, seed=7)
    for yy, ff in ((y, f), (map_target(y, torch.from_numpy), torch.from_numpy(np.asarray(f)))):
        p = loss._prepared(yy, ff)
        v, g = loss._value_and_gradient_kernels(p.xp, p.t, p.f)
        assert np.array_equal(np.asarray(v), np.asarray(loss._value(p.xp, p.t, p.f)))
        assert np.array_equal(np.asarray(g), np.asarray(loss._gradient(p.xp, p.t, p.f)))


@pytest.mark.parametrize("name", ["mse", "huber", "binary_crossentropy"])
def test_reduced_path_catches_a_target_changed_before_backward(name) -> None:
    # the reduced path's backward reads the saved inputs: PyTorch's version check must see an
    # in-place change of the target, as it does for any saved tensor (cross-entropy saves the
    # one-hot rows it made from the labels, which a later change of the labels does not touch)
    loss = losslab.get(name)
    y, f, _ = _data(name, torch.float64)
    x = f.clone().requires_grad_(True)
    out = loss(y, x)
    y.add_(0.0) if y.is_floating_point() else y.mul_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_cross_entropy_on_class_indices_keeps_a_boolean_one_hot_target_with_exact_results() -> None:
    """Class indices with no smoothing, class weights or ignore_index: PyTorch's target is a
    boolean one-hot mask (known from shapes and parameters, so under torch.compile too), and
    value, gradient and Hessian equal NumPy's float kernels, also at a near-certain row (loss
    1e-13), at logits of ±1e308 and where the label's probability underflows (loss 800)."""
    loss = losslab.get("categorical_crossentropy")
    z = np.array([[30.0, 0.0, -2.0], [1e308, 0.0, -1e308], [0.0, 800.0, 0.0], [0.3, -0.2, 0.1]])
    y = np.array([0, 0, 0, 2])
    zt, yt = torch.tensor(z), torch.tensor(y)
    assert loss._target(lt_xp(), yt, zt, True).dtype == torch.bool
    smoothed = losslab.get("categorical_crossentropy", label_smoothing=0.1)
    assert smoothed._target(lt_xp(), yt, zt, True).dtype == torch.float64
    v = loss(yt, zt, reduction="none").numpy()
    np.testing.assert_array_equal(v, loss(y, z, reduction="none"))
    assert 0 < v[0] < 1e-12 and v[1] == 0.0 and v[2] == 800.0  # p_y = e^−800 underflows, log p_y does not
    np.testing.assert_array_equal(loss.gradient(yt, zt).numpy(), loss.gradient(y, z))
    np.testing.assert_array_equal(loss.hessian(yt, zt).numpy(), loss.hessian(y, z))
    compiled = torch.compile(lambda a, b: loss(b, a, reduction="sum"), backend="aot_eager", fullgraph=True)
    a = zt[[0, 1, 3]].clone().requires_grad_(True)
    total = compiled(a, yt[[0, 1, 3]])
    total.backward()
    assert float(total) == pytest.approx(float(loss(y[[0, 1, 3]], z[[0, 1, 3]], reduction="sum")), rel=1e-15)
    np.testing.assert_array_equal(a.grad.numpy(), loss.gradient(y[[0, 1, 3]], z[[0, 1, 3]]))


def lt_xp() -> Any:
    import array_api_compat.torch as xp

    return xp
