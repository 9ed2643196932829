r"""One gradient-descent step laid open as data: forward pass → loss → backpropagation → update.

For a batch (X, y, w) and parameters θ:

1. **forward**: raw scores ŷ = f(X; θ) (and the output of every layer on the way);
2. **loss**: per-sample ℓᵢ = ℓ(yᵢ, ŷᵢ) and L = Σ wᵢℓᵢ / Σ w;
3. **backpropagation**: it starts from ∂L/∂ŷᵢ = wᵢ ℓ'(yᵢ, ŷᵢ)/Σ w, where ℓ' is the loss's own
   ``gradient``, and the chain rule carries it to every parameter: ∂L/∂θ = Σᵢ ∂L/∂ŷᵢ · ∂ŷᵢ/∂θ;
4. **update**: θ' = θ − η ∂L/∂θ (plain gradient descent), and L at θ'.

`step_trace` records all of it without changing the model; ``str(trace)`` prints it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .._core.errors import ParameterError
from .._core.loss import Loss
from .loop import _target_tensor, loss_fn

__all__ = ["ParamStep", "StepTrace", "step_trace"]


@dataclass
class ParamStep:
    """One parameter tensor through the step: θ, ∂L/∂θ and θ − η∂L/∂θ."""

    name: str
    value: np.ndarray
    grad: np.ndarray
    updated: np.ndarray


@dataclass
class StepTrace:
    """A gradient-descent step as data (NumPy arrays; see the module docstring for the math).

    Attributes
    ----------
    loss_name : str
    lr : float
        η.
    X, y, sample_weight : ndarray
        The batch (X as the model sees it, i.e. after preprocessing).
    activations : list of (name, ndarray)
        Output of each layer of the forward pass, in order (the last is ŷ).
    raw : ndarray
        ŷ, the model's raw output, (n,) or (n, k).
    per_sample_loss : ndarray
        ℓᵢ (unweighted), (n,).
    loss : float
        L = Σwᵢℓᵢ/Σw.
    loss_gradient : ndarray
        ℓ'(yᵢ, ŷᵢ) = ``loss.gradient(y, ŷ)`` (unweighted), shaped like ŷ.
    raw_gradient : ndarray
        ∂L/∂ŷᵢ from backpropagation (= wᵢ ℓ'ᵢ / Σw), shaped like ŷ.
    params : list of ParamStep
    loss_after : float
        L at the updated parameters θ − η∂L/∂θ.
    features : list of str, optional
        Names of X's columns.
    output_scale : float
        The fixed factor s of the output layer (``model.output_scale``; 1 if none): the models of
        `losslab.train.models` compute ŷ = s·(W h + b).
    """

    loss_name: str
    lr: float
    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    activations: list[tuple[str, np.ndarray]]
    raw: np.ndarray
    per_sample_loss: np.ndarray
    loss: float
    loss_gradient: np.ndarray
    raw_gradient: np.ndarray
    params: list[ParamStep]
    loss_after: float
    features: list[str] | None = field(default=None)
    output_scale: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and floats (JSON-ready)."""
        return {
            "loss": self.loss_name,
            "lr": self.lr,
            "X": self.X.tolist(),
            "y": self.y.tolist(),
            "sample_weight": self.sample_weight.tolist(),
            "activations": [[name, a.tolist()] for name, a in self.activations],
            "raw": self.raw.tolist(),
            "per_sample_loss": self.per_sample_loss.tolist(),
            "loss_value": self.loss,
            "loss_gradient": self.loss_gradient.tolist(),
            "raw_gradient": self.raw_gradient.tolist(),
            "params": [
                {
                    "name": p.name,
                    "value": p.value.tolist(),
                    "grad": p.grad.tolist(),
                    "updated": p.updated.tolist(),
                }
                for p in self.params
            ],
            "loss_after": self.loss_after,
            "features": self.features,
            "output_scale": self.output_scale,
        }

    def __str__(self) -> str:
        n = self.X.shape[0]
        weighted = not np.all(self.sample_weight == 1.0)
        lines = [
            f"One gradient-descent step: loss {self.loss_name!r}, learning rate η = {self.lr:g}, "
            f"{n} sample{'s' if n != 1 else ''}",
            "",
            "1. Forward pass  ŷ = f(X; θ)",
        ]
        if self.features:
            lines.append("   features: " + ", ".join(self.features))
        for i in range(n):
            w = f"  w={_fmt(self.sample_weight[i])}" if weighted else ""
            lines.append(f"   [{i}] x={_fmt(self.X[i])}  y={_fmt(self.y[i])}{w}")
        for name, a in self.activations[:-1]:
            lines.append(f"   {name}: {_fmt(a)}")
        if self.output_scale != 1.0:
            lines.append(f"   output layer × s = {self.output_scale:.6g} (ŷ = s·(W h + b), s fixed)")
        lines.append(f"   ŷ = {_fmt(self.raw)}")
        lines += [
            "",
            "2. Loss  ℓᵢ = ℓ(yᵢ, ŷᵢ),  L = Σ wᵢ ℓᵢ / Σ w",
            f"   ℓ = {_fmt(self.per_sample_loss)}",
            f"   L = {self.loss:.6g}",
            "",
            "3. Backpropagation  ∂L/∂θ = Σᵢ ∂L/∂ŷᵢ · ∂ŷᵢ/∂θ",
            f"   ∂ℓ/∂ŷ (loss.gradient)   = {_fmt(self.loss_gradient)}",
            f"   ∂L/∂ŷ = w ∂ℓ/∂ŷ / Σ w   = {_fmt(self.raw_gradient)}",
        ]
        for p in self.params:
            lines.append(f"   ∂L/∂{p.name} = {_fmt(p.grad)}")
        lines += ["", "4. Update  θ ← θ − η ∂L/∂θ"]
        for p in self.params:
            lines.append(f"   {p.name}: {_fmt(p.value)} → {_fmt(p.updated)}")
        lines.append(f"   L after the step = {self.loss_after:.6g} (before: {self.loss:.6g})")
        return "\n".join(lines)


def _fmt(a: Any) -> str:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 0:
        return f"{float(arr):.4g}"
    return np.array2string(
        arr, precision=4, suppress_small=False, threshold=24, edgeitems=3, max_line_width=100, separator=", "
    ).replace("\n", "\n      ")


def step_trace(
    model: torch.nn.Module,
    loss: Loss,
    X: Any,
    y: Any,
    *,
    lr: float = 0.1,
    sample_weight: Any = None,
    features: Sequence[str] | None = None,
) -> StepTrace:
    r"""Lay open one plain gradient-descent step of ``model`` under ``loss`` on ``(X, y)``.

    The model is run in evaluation mode (dropout off) and left unchanged: its parameters and
    their ``.grad`` are as before.

    Parameters
    ----------
    model : torch.nn.Module
        Returns raw scores (n,) or (n, k), e.g. `LinearModel` or `MLP`.
    loss : Loss
    X, y : array-like or tensor
        A (small) batch; targets as the loss takes them.
    lr : float
        η of the update θ − η∂L/∂θ.
    sample_weight : array-like, optional
    features : sequence of str, optional
        Column names, for printing.

    Examples
    --------
    >>> import torch, numpy as np, losslab
    >>> from losslab.train import LinearModel, step_trace
    >>> m = LinearModel(2)
    >>> t = step_trace(m, losslab.get("mse"), np.array([[1.0, 2.0], [3.0, 0.0]]), [1.0, -1.0], lr=0.1)
    >>> t.raw_gradient.tolist(), t.params[0].grad.tolist()  # 2(ŷ − y)/n, then Xᵀ of that
    ([-1.0, 1.0], [[2.0, -2.0]])
    >>> round(t.loss, 6), round(t.loss_after, 6)  # θ' = (−0.2, 0.2), ŷ' = (0.2, −0.6)
    (1.0, 0.4)
    """
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ParameterError(f"lr must be a positive number; got {lr!r}.")
    first = next(model.parameters())
    dtype, device = first.dtype, first.device
    Xt = (X if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X, dtype=np.float64))).to(
        device=device, dtype=dtype
    )
    yt = _target_tensor(loss, y, dtype, device)
    n = int(Xt.shape[0])
    if sample_weight is None:
        wt = torch.ones(n, dtype=dtype, device=device)
    else:
        wt = torch.as_tensor(np.asarray(sample_weight, dtype=np.float64)).to(device=device, dtype=dtype)
    # validate the targets against the loss's domain once, with the full checks
    with torch.no_grad():
        loss(yt, model.eval()(Xt), sample_weight=wt)

    was_training = model.training
    model.eval()
    saved_grads = {name: p.grad for name, p in model.named_parameters()}
    activations: list[tuple[str, np.ndarray]] = []
    hooks = []
    for name, module in model.named_modules():
        if name and not list(module.children()):
            label = f"{name} ({type(module).__name__})"

            def hook(mod: Any, inp: Any, out: Any, label: str = label) -> None:
                activations.append((label, out.detach().cpu().numpy().astype(np.float64)))

            hooks.append(module.register_forward_hook(hook))
    try:
        for p in model.parameters():
            p.grad = None
        raw = model(Xt)
        raw.retain_grad()
        value = loss_fn(loss)(raw, yt, wt)
        value.backward()
        params = []
        new_state = {}
        for name, p in model.named_parameters():
            g = p.grad.detach().clone()
            upd = p.detach() - lr * g
            new_state[name] = upd
            params.append(
                ParamStep(
                    name,
                    p.detach().cpu().numpy().astype(np.float64).copy(),
                    g.cpu().numpy().astype(np.float64),
                    upd.cpu().numpy().astype(np.float64),
                )
            )
        raw_grad = raw.grad.detach().cpu().numpy().astype(np.float64)
    finally:
        for h in hooks:
            h.remove()
        for name, p in model.named_parameters():
            p.grad = saved_grads[name]
        model.train(was_training)
    raw_d = raw.detach()
    with torch.no_grad():
        per_sample = loss(yt, raw_d, reduction="none", check=False)
        lgrad = loss.gradient(yt, raw_d, check=False)
        after_model = copy.deepcopy(model).eval()
        for name, p in after_model.named_parameters():
            p.copy_(new_state[name])
        loss_after = float(loss(yt, after_model(Xt), sample_weight=wt, check=False))

    def host(t: torch.Tensor) -> np.ndarray:
        return t.detach().cpu().numpy().astype(np.float64)

    return StepTrace(
        loss_name=loss.name,
        lr=float(lr),
        X=host(Xt),
        y=yt.detach().cpu().numpy(),
        sample_weight=host(wt),
        activations=activations,
        raw=host(raw_d),
        per_sample_loss=host(per_sample),
        loss=float(value.detach()),
        loss_gradient=host(lgrad),
        raw_gradient=raw_grad,
        params=params,
        loss_after=loss_after,
        features=list(features) if features is not None else None,
        output_scale=float(getattr(model, "output_scale", 1.0)),
    )
