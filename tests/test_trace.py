"""The step trace against backpropagation done by hand in NumPy from losslab's own loss.gradient."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import losslab  # noqa: E402
from losslab.train import MLP, LinearModel, step_trace  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _params(model):
    return {k: v.detach().numpy().copy() for k, v in model.named_parameters()}


@pytest.mark.parametrize(
    "name, y",
    [
        ("mse", np.array([0.5, -1.0, 2.0, 0.0, 1.5])),
        ("huber", np.array([0.5, -1.0, 2.0, 0.0, 1.5])),
        ("quantile", np.array([0.5, -1.0, 2.0, 0.0, 1.5])),
        ("binary_crossentropy", np.array([1.0, 0.0, 1.0, 1.0, 0.0])),
        ("hinge", np.array([1.0, 0.0, 1.0, 1.0, 0.0])),
    ],
)
def test_linear_step_matches_hand_computation(name, y):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, 3))
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    loss = losslab.get(name)
    model = LinearModel(3, init_bias=0.25)
    with torch.no_grad():
        model.linear.weight.copy_(torch.tensor([[0.3, -0.7, 0.2]], dtype=torch.float64))
    before = _params(model)
    eta = 0.3
    trace = step_trace(model, loss, X, y, lr=eta, sample_weight=w)

    # by hand: forward, loss, dL/dŷ = w ℓ' / Σw, then the chain rule through ŷ = X Wᵀ + b
    W, b = before["linear.weight"], before["linear.bias"]
    f = X @ W[0] + b[0]
    g = loss.gradient(y, f)
    dL_df = w * g / w.sum()
    dW = (dL_df @ X)[None, :]
    db = np.array([dL_df.sum()])
    np.testing.assert_allclose(trace.raw, f, rtol=1e-13)
    np.testing.assert_allclose(trace.per_sample_loss, loss(y, f, reduction="none"), rtol=1e-13)
    assert trace.loss == pytest.approx(float(loss(y, f, sample_weight=w)), rel=1e-13)
    np.testing.assert_allclose(trace.loss_gradient, g, rtol=1e-13)
    np.testing.assert_allclose(trace.raw_gradient, dL_df, rtol=1e-13, atol=1e-16)
    grads = {p.name: p for p in trace.params}
    np.testing.assert_allclose(grads["linear.weight"].grad, dW, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["linear.bias"].grad, db, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["linear.weight"].updated, W - eta * dW, rtol=1e-13)
    np.testing.assert_allclose(grads["linear.bias"].updated, b - eta * db, rtol=1e-13)
    f_new = X @ (W - eta * dW)[0] + (b - eta * db)[0]
    assert trace.loss_after == pytest.approx(float(loss(y, f_new, sample_weight=w)), rel=1e-12)
    # the model is left as it was
    for k, v in _params(model).items():
        np.testing.assert_array_equal(v, before[k])
        assert dict(model.named_parameters())[k].grad is None


def _tanh_net_by_hand(p, X, y, loss, eta):
    """Forward and backward of f = W2 tanh(W1 x + b1) + b2 by hand (one or k outputs)."""
    W1, b1, W2, b2 = p["body.0.weight"], p["body.0.bias"], p["out.weight"], p["out.bias"]
    a = X @ W1.T + b1
    h = np.tanh(a)
    z = h @ W2.T + b2
    f = z[:, 0] if W2.shape[0] == 1 else z
    g = loss.gradient(y, f)
    dz = (g / len(X)).reshape(z.shape)
    dW2 = dz.T @ h
    db2 = dz.sum(axis=0)
    dh = dz @ W2
    da = dh * (1.0 - h**2)
    dW1 = da.T @ X
    db1 = da.sum(axis=0)
    return f, g, {"body.0.weight": dW1, "body.0.bias": db1, "out.weight": dW2, "out.bias": db2}, h


@pytest.mark.parametrize("name", ["mse", "binary_crossentropy", "categorical_crossentropy"])
def test_one_hidden_layer_step_matches_hand_backprop(name):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(6, 3))
    loss = losslab.get(name)
    k = 3 if loss.multiclass else 1
    if name == "mse":
        y = rng.normal(size=6)
    elif name == "binary_crossentropy":
        y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    else:
        y = np.array([0, 2, 1, 1, 0, 2])
    torch.manual_seed(3)
    model = MLP(3, k, hidden=(4,), activation="tanh")
    p = _params(model)
    eta = 0.5
    trace = step_trace(model, loss, X, y, lr=eta)
    f, g, grads, h = _tanh_net_by_hand(p, X, y, loss, eta)
    np.testing.assert_allclose(trace.raw, f, rtol=1e-12)
    np.testing.assert_allclose(trace.loss_gradient, g, rtol=1e-12)
    assert [name for name, _ in trace.activations][:2] == ["body.0 (Linear)", "body.1 (Tanh)"]
    np.testing.assert_allclose(trace.activations[1][1], h, rtol=1e-12)
    for step in trace.params:
        np.testing.assert_allclose(step.grad, grads[step.name], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(
            step.updated, p[step.name] - eta * grads[step.name], rtol=1e-12, atol=1e-14
        )
    assert trace.loss_after < trace.loss  # a small enough step on a smooth loss descends


def test_trace_prints_the_four_stages_and_serialises():
    model = LinearModel(2, init_bias=0.0)
    trace = step_trace(
        model,
        losslab.get("mse"),
        np.array([[1.0, 2.0], [3.0, 0.0]]),
        [1.0, -1.0],
        lr=0.1,
        features=["a", "b"],
    )
    text = str(trace)
    for stage in ("1. Forward pass", "2. Loss", "3. Backpropagation", "4. Update", "features: a, b"):
        assert stage in text
    assert "L after the step = 0.4 (before: 1)" in text
    d = trace.to_dict()
    assert d["params"][0]["grad"] == [[2.0, -2.0]]
    assert d["loss"] == "mse"


def test_trace_rejects_bad_targets_and_lr():
    model = LinearModel(1)
    with pytest.raises(losslab.DomainError, match="binary_crossentropy"):
        step_trace(model, losslab.get("binary_crossentropy"), [[1.0]], [2.0])
    with pytest.raises(losslab.ParameterError, match="lr"):
        step_trace(model, losslab.get("mse"), [[1.0]], [2.0], lr=-1.0)


def test_estimator_trace_starts_from_the_initial_weights_and_shows_the_output_scale():
    pytest.importorskip("sklearn")
    from losslab.sklearn import LossRegressor

    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 2))
    y = 50.0 + 20.0 * X[:, 0] + rng.normal(size=40)
    reg = LossRegressor(epochs=3, validation_fraction=0.0).fit(X, y)
    first = reg.step_trace(X[:4], y[:4], initial=True)
    weight, bias = first.params
    np.testing.assert_array_equal(weight.value, 0.0)  # linear models start at zero weights …
    s = first.output_scale
    assert s == pytest.approx(np.std(y))
    assert bias.value[0] * s == pytest.approx(float(losslab.get("mse").baseline(y)), rel=1e-12)  # … and ŷ = ȳ
    np.testing.assert_allclose(first.raw, np.mean(y), rtol=1e-12)
    assert f"output layer × s = {s:.6g}" in str(first)
    # the chain rule through ŷ = s·(W z + b): ∂L/∂b = s·Σ ∂L/∂ŷ
    assert bias.grad[0] == pytest.approx(s * first.raw_gradient.sum(), rel=1e-12)
    trained = reg.step_trace(X[:4], y[:4])
    assert not np.array_equal(trained.params[0].value, 0.0)
