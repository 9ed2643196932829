"""PyTorch: autograd uses each loss's analytic gradient and Hessian; the nn.Module face trains."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special

import losslab

torch = pytest.importorskip("torch")
import losslab.torch as lt  # noqa: E402
from conftest import map_target, marked  # noqa: E402

NAMES = losslab.list_losses()


def hessian_diagonal(
    g: torch.Tensor, x: torch.Tensor, multiclass: bool, coupled: bool = False
) -> torch.Tensor:
    if not g.requires_grad:  # autograd through a piecewise-linear value kernel: the Hessian is 0
        return torch.zeros_like(x)
    if coupled:  # rows interact: entry i of the Hessian's row i, one backward per row
        return torch.stack([torch.autograd.grad(g[i], x, retain_graph=True)[0][i] for i in range(x.shape[0])])
    if not multiclass:
        (h,) = torch.autograd.grad(g.sum(), x)
        return h
    cols = []
    for j in range(x.shape[1]):
        (h,) = torch.autograd.grad(g[:, j].sum(), x, retain_graph=True)
        cols.append(h[:, j])
    return torch.stack(cols, dim=1)


@pytest.mark.parametrize("name", NAMES)
def test_autograd_gradient_and_double_backward_equal_the_analytic_ones(name: str) -> None:
    loss = losslab.get(name)
    y, f = loss.example(16, seed=2)
    if loss.info.gradient == "recipe":
        pytest.skip("a gradient recipe is not the derivative of its value")
    w = np.random.default_rng(0).uniform(0.5, 2.0, f.shape[:1] if loss.multiclass else f.shape)
    x = torch.tensor(f, requires_grad=True)
    total = loss(map_target(y, torch.from_numpy), x, sample_weight=torch.from_numpy(w), reduction="sum")
    (g,) = torch.autograd.grad(total, x, create_graph=True)
    np.testing.assert_allclose(
        g.detach().numpy(), loss.gradient(y, f, sample_weight=w), rtol=1e-12, atol=1e-300
    )
    if loss.info.hessian == "none":  # declared without a Hessian: hessian() raises (test_generic.py)
        return
    h = hessian_diagonal(g, x, loss.multiclass, loss.coupled)
    np.testing.assert_allclose(h.numpy(), loss.hessian(y, f, sample_weight=w), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("name", NAMES)
def test_reduced_call_gradient_and_double_backward_equal_the_analytic_ones(name: str, reduction: str) -> None:
    # unweighted mean or sum: the reduced path (one Function from `Loss._total_gradient`, whose
    # gradient may be saved, recomputed or formed in backward); twice, as a training loop does
    loss = losslab.get(name)
    if loss.info.gradient == "recipe" or loss.target_type is not None:
        pytest.skip("not the reduced path's: a gradient recipe or a structured target")
    y, f = loss.example(16, seed=2)
    n = f.shape[0] if (loss.multiclass or loss.coupled) else f.size
    scale = 1.0 / n if reduction == "mean" else 1.0
    want = np.asarray(loss.gradient(y, f)) * scale
    t = map_target(y, torch.from_numpy)
    for _ in range(2):
        x = torch.tensor(f, requires_grad=True)
        loss(t, x, reduction=reduction).backward()
        np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12, atol=1e-300)
    x = torch.tensor(f, requires_grad=True)
    (g,) = torch.autograd.grad(loss(t, x, reduction=reduction), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), want, rtol=1e-12, atol=1e-300)
    if loss.info.hessian != "none":
        h = hessian_diagonal(g, x, loss.multiclass, loss.coupled)
        np.testing.assert_allclose(h.numpy(), np.asarray(loss.hessian(y, f)) * scale, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_backward_runs_the_analytic_gradient_kernel(name: str) -> None:
    # a loss whose _gradient is shifted by 0.25: autograd must return the shifted values, which
    # proves backward calls the kernel instead of differentiating the value formula
    loss = marked(losslab.get(name), 0.25)
    y, f = loss.example(8, seed=1)
    if loss.target_type is not None:
        pytest.skip("a structured target's autodiff runs through the value kernels (_core.autodiff)")
    x = torch.tensor(f, requires_grad=True)
    loss(torch.from_numpy(y), x, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), loss.gradient(y, f), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(
        x.grad.numpy() - 0.25, losslab.get(name).gradient(y, f), rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize("name", [n for n in NAMES if losslab.get(n).info.task != "regression"])
def test_gradients_stay_exact_and_finite_at_extreme_logits(name: str) -> None:
    loss = losslab.get(name)
    y, f = loss.example(16, seed=4)
    if loss.params.get("from_logits", True) is False:
        pytest.skip("probability inputs")
    if loss.info.gradient == "recipe":
        pytest.skip("a gradient recipe is not the derivative of its value")
    f = f * 200.0  # logits up to about ±2000
    if loss.info.y_pred.kind == "log_probability_row":  # back onto the log-simplex
        f = f - scipy.special.logsumexp(f, axis=1, keepdims=True)
    x = torch.tensor(f, requires_grad=True)
    loss(map_target(y, torch.from_numpy), x, reduction="sum").backward()
    exact = np.asarray(loss.gradient(y, f))
    # finite wherever the true gradient is (the exponential loss's e^{|f|} overflows with it)
    assert torch.isfinite(x.grad[torch.from_numpy(np.isfinite(exact))]).all()
    # a structured target's autodiff runs through the value kernels (_core.autodiff)
    rtol = 1e-12 if loss.target_type is None else 1e-9
    np.testing.assert_allclose(x.grad.numpy(), exact, rtol=rtol, atol=1e-300)


def test_bce_backward_beats_naive_autograd_in_float32() -> None:
    # the gradient σ(x) − y at x = 30, y = 1 is −9.4e-14; autograd of the sigmoid-then-log form
    # multiplies by 1 − σ(30), which is 0 in float32, and loses it entirely
    loss = losslab.get("binary_crossentropy")
    x = torch.tensor([-30.0, 30.0], dtype=torch.float32, requires_grad=True)
    y = torch.tensor([0.0, 1.0])
    loss(y, x, reduction="sum").backward()
    naive = torch.tensor([-30.0, 30.0], requires_grad=True)
    p = torch.sigmoid(naive)
    (-(y * torch.log(p) + (1 - y) * torch.log(1 - p))).sum().backward()
    exact = np.array([1 / (1 + np.exp(30.0)), -1 / (1 + np.exp(30.0))])
    np.testing.assert_allclose(x.grad.numpy(), exact, rtol=1e-6)
    assert not np.allclose(naive.grad.numpy(), exact, rtol=1e-2)


def test_target_requiring_grad_falls_back_to_autograd_through_the_kernels() -> None:
    loss = losslab.get("kl_divergence")
    y, f = loss.example(6, seed=0)
    t = torch.tensor(y, requires_grad=True)
    x = torch.tensor(f, requires_grad=True)
    loss(t, x, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), loss.gradient(y, f), rtol=1e-12)
    # d/dt Σ t (log t − log q) = log t + 1 − log q
    logq = torch.log_softmax(torch.tensor(f), dim=1).numpy()
    np.testing.assert_allclose(t.grad.numpy(), np.log(y) + 1 - logq, rtol=1e-10)


def test_module_takes_input_target_in_pytorch_order() -> None:
    crit = lt.Loss("quantile", quantile=0.9)
    inp, target = (
        torch.tensor([8.0, 12.0], dtype=torch.float64),
        torch.tensor([10.0, 10.0], dtype=torch.float64),
    )
    assert crit(inp, target).item() == pytest.approx((0.9 * 2 + 0.1 * 2) / 2)
    none = lt.Loss("quantile", quantile=0.9, reduction="none")(inp, target)
    np.testing.assert_allclose(none.numpy(), [1.8, 0.2])
    w = torch.tensor([1.0, 3.0], dtype=torch.float64)
    assert crit(inp, target, weight=w).item() == pytest.approx((1.8 + 0.6) / 4)
    assert crit(inp, target, sample_weight=w).item() == pytest.approx((1.8 + 0.6) / 4)
    assert lt.Loss("quantile", reduction="sum")(inp, target).item() == pytest.approx(2.0)
    assert "Quantile(quantile=0.9)" in repr(crit) and "reduction='mean'" in repr(crit)
    assert lt.loss("huber", inp, target, delta=1.0).item() == pytest.approx(1.5)
    with pytest.raises(losslab.ParameterError, match="reduction"):
        lt.Loss("mse", reduction="batchmean")
    with pytest.raises(losslab.ParameterError, match="delta"):
        lt.Loss("huber", delta=-1.0)


def test_module_keeps_dtype_and_device_and_runs_under_autocast() -> None:
    crit = lt.Loss("binary_crossentropy")
    x = torch.randn(8, dtype=torch.bfloat16, requires_grad=True)
    y = (torch.rand(8) > 0.5).float()
    out = crit(x, y)
    assert out.dtype == torch.bfloat16 and out.device == x.device
    out.backward()
    assert x.grad.dtype == torch.bfloat16 and torch.isfinite(x.grad).all()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        layer = torch.nn.Linear(3, 1)
        z = layer(torch.randn(8, 3)).squeeze(1)
        assert z.dtype == torch.bfloat16
        v = crit(z, y)
    v.backward()
    assert torch.isfinite(layer.weight.grad).all()


def _train(criterion, steps: int = 25, compile_step: bool = False):
    torch.manual_seed(0)
    X = torch.randn(64, 3, dtype=torch.float64)
    y = X @ torch.tensor([1.5, -2.0, 0.5], dtype=torch.float64) + 0.1 * torch.randn(64, dtype=torch.float64)
    model = torch.nn.Linear(3, 1).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step():
        opt.zero_grad()
        out = criterion(model(X).squeeze(1), y)
        out.backward()
        return out

    if compile_step:
        # fullgraph: no graph breaks (checks are skipped under compile); inductor gives the same
        # numbers but takes ~20 s to compile, so the test uses the aot_eager backend
        forward = torch.compile(
            lambda: criterion(model(X).squeeze(1), y), backend="aot_eager", fullgraph=True
        )

        def step():  # the compiled forward, eager optimizer
            opt.zero_grad()
            out = forward()
            out.backward()
            return out

    losses = []
    for _ in range(steps):
        losses.append(step().item())
        opt.step()
    return np.array(losses), model.weight.detach().numpy().copy()


@pytest.mark.parametrize(
    ("spec", "reference"),
    [
        ({"spec": "mse"}, torch.nn.MSELoss()),
        ({"spec": "huber", "delta": 0.5}, torch.nn.HuberLoss(delta=0.5)),
        ({"spec": "mae"}, torch.nn.L1Loss()),
    ],
)
def test_training_loop_matches_torch_nn(spec, reference) -> None:
    ours, w_ours = _train(lt.Loss(**spec))
    theirs, w_theirs = _train(reference)
    assert ours[-1] < 0.6 * ours[0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(w_ours, w_theirs, rtol=1e-12)


def test_classifier_trains_with_bce_like_bce_with_logits() -> None:
    torch.manual_seed(1)
    X = torch.randn(128, 2, dtype=torch.float64)
    y = (X[:, 0] - X[:, 1] > 0).double()

    def run(crit):
        torch.manual_seed(2)
        model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        hist = []
        for _ in range(30):
            opt.zero_grad()
            out = crit(model(X).squeeze(1), y)
            out.backward()
            opt.step()
            hist.append(out.item())
        return np.array(hist)

    ours = run(lt.Loss("binary_crossentropy", pos_weight=2.0))
    theirs = run(torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(2.0, dtype=torch.float64)))
    assert ours[-1] < 0.5 * ours[0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_torch_compile_gives_the_eager_numbers() -> None:
    # checks are skipped under compile (like JAX tracing), so the graph has no host syncs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eager, w_eager = _train(lt.Loss("huber", delta=0.5), steps=5)
        compiled, w_compiled = _train(lt.Loss("huber", delta=0.5), steps=5, compile_step=True)
    np.testing.assert_allclose(compiled, eager, rtol=1e-12)
    np.testing.assert_allclose(w_compiled, w_eager, rtol=1e-12)


@pytest.mark.parametrize("name", ["huber", "categorical_crossentropy", "multiclass_hinge"])
def test_torch_func_transforms(name: str) -> None:
    from torch.func import grad, jacrev, vmap

    loss = need_loss(name)
    y, f = loss.example(8, seed=0)
    yt, ft = torch.from_numpy(y), torch.from_numpy(f)
    g = grad(lambda a: loss(yt, a, reduction="sum"))(ft)
    np.testing.assert_allclose(g.numpy(), loss.gradient(y, f), rtol=1e-12)
    # per-example gradients: vmap over the analytic Function (generate_vmap_rule)
    per = vmap(grad(lambda a, b: loss(b[None], a[None], reduction="sum")))(ft, yt)
    np.testing.assert_allclose(per.numpy(), loss.gradient(y, f), rtol=1e-12)
    # Hessian by jacrev(grad): its diagonal is loss.hessian
    H = jacrev(grad(lambda a: loss(yt, a, reduction="sum")))(ft).numpy()
    if loss.multiclass:
        n, k = f.shape
        diag = np.array([[H[i, j, i, j] for j in range(k)] for i in range(n)])
    else:
        diag = np.diag(H)
    np.testing.assert_allclose(diag, loss.hessian(y, f), rtol=1e-12, atol=1e-15)


def need_loss(name: str) -> losslab.Loss:
    if name not in NAMES:
        pytest.skip(f"loss {name!r} is not registered")
    return losslab.get(name)


def test_torch_compile_prints_no_dynamo_warnings_and_has_no_graph_break(caplog) -> None:
    # array-api-compat's functools.lru_cache helpers made Dynamo warn seven times for one loss;
    # torch tensors now take a direct path. fullgraph=True turns any graph break into an error.
    # Dynamo warns once per message and process: forget earlier warnings, start from no cache
    import logging

    from torch._dynamo import utils as dynamo_utils

    dynamo_utils.warn_once_cache.clear()
    torch._dynamo.reset()
    torch.manual_seed(0)
    x = torch.randn(32, dtype=torch.float64, requires_grad=True)
    y = torch.randn(32, dtype=torch.float64)
    w = torch.rand(32, dtype=torch.float64) + 0.5
    logits = torch.randn(32, 3, dtype=torch.float64, requires_grad=True)
    labels = torch.randint(0, 3, (32,))
    huber = lt.Loss("huber", delta=0.5)  # check=True: data checks are skipped inside the graph
    bce = lt.Loss("binary_crossentropy", pos_weight=2.0)
    cce = lt.Loss("categorical_crossentropy")

    def run(x, y, w, logits, labels):
        return (
            huber(x, y, w)
            + bce(x, (y > 0).double())
            + cce(logits, labels)
            + lt.loss("quantile", x, y, quantile=0.9)  # a loss built inside the compiled function
        )

    compiled = torch.compile(run, backend="aot_eager", fullgraph=True)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, logger="torch"):
        warnings.simplefilter("always")
        got = compiled(x, y, w, logits, labels)
        got.backward()
    dynamo = [str(m.message) for m in caught if not issubclass(m.category, DeprecationWarning)]
    assert dynamo == [], dynamo
    assert [r.getMessage() for r in caplog.records if r.name.startswith("torch")] == []
    g_x, g_logits = x.grad.clone(), logits.grad.clone()
    x.grad, logits.grad = None, None
    want = run(x, y, w, logits, labels)
    want.backward()
    assert got.detach().item() == pytest.approx(want.detach().item(), rel=1e-12)
    torch.testing.assert_close(g_x, x.grad, rtol=1e-12, atol=0)
    torch.testing.assert_close(g_logits, logits.grad, rtol=1e-12, atol=0)
