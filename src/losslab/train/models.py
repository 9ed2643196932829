"""The models losslab trains: a linear model and a multilayer perceptron (PyTorch modules).

Both map an (n, d) float tensor to raw scores: shape (n,) for one output, (n, k) for k outputs
(one per class for multiclass losses). The raw score is what every losslab loss takes as
``y_pred``; the loss's link turns it into the response (probability, mean, …).

A loss whose declared ``y_pred`` domain is bounded below while its link is the identity (``msle``:
f > −1) cannot take any real number, and a network trained on it leaves the domain and diverges.
For such a loss (`output_floor`) the models output f = low + exp(s), s the affine output, so f
stays in the domain by construction (for ``msle`` f = expm1(s) and log1p(f) = s exactly).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .._core.errors import ParameterError

__all__ = ["ACTIVATIONS", "MLP", "LinearModel", "build_model", "output_floor"]

#: activation names accepted by `MLP`
ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "silu": nn.SiLU,
    "identity": nn.Identity,
}


def output_floor(loss: Any) -> float | None:
    """The lower bound a model's output must exceed for ``loss``, or None when any real number will do.

    From metadata: the finite lower end of the loss's declared ``y_pred`` domain when its link is
    the identity (a non-identity link already maps every real score into the domain).

    >>> import losslab
    >>> [output_floor(losslab.get(name)) for name in ("msle", "mse", "poisson")]
    [-1.0, None, None]
    """
    from .._core.info import LinkKind

    domain = getattr(loss.info, "y_pred", None)
    low = getattr(getattr(domain, "interval", None), "low", -math.inf)
    if loss.link.kind != LinkKind.IDENTITY or not math.isfinite(low):
        return None
    return float(low)


def _squeeze(out: torch.Tensor, n_outputs: int) -> torch.Tensor:
    return out[:, 0] if n_outputs == 1 else out


def _floored(s: torch.Tensor, floor: float | None) -> torch.Tensor:
    """f = floor + exp(s), written (floor + 1) + expm1(s) so that floor −1 gives expm1(s) exactly."""
    if floor is None:
        return s
    return torch.expm1(s) + (floor + 1.0) if floor != -1.0 else torch.expm1(s)


def _floor_bias(init_bias: Any, floor: float | None) -> Any:
    """The affine output's start s₀ with floor + exp(s₀) = ``init_bias`` (the loss's best constant)."""
    if floor is None or init_bias is None:
        return init_bias
    b = torch.as_tensor(init_bias, dtype=torch.float64) - floor
    if not bool((b > 0).all()):
        raise ParameterError(f"init_bias must exceed the output floor {floor:g}; got {init_bias!r}.")
    return torch.log(b)


class LinearModel(nn.Module):
    r"""f(x) = W x + b: one affine layer from ``n_features`` inputs to ``n_outputs`` raw scores.

    Weights start at zero (the loss is convex in them for convex losses, so the start does not
    matter for the optimum, and zero makes runs independent of the random state); the output
    starts at ``init_bias`` — pass the loss's best constant (``loss.baseline(y)``), so that the
    first step starts from the intercept-only model.

    ``output_scale`` s (a fixed buffer) multiplies the layer: f(x) = s·(W x + b). With s the
    target's standard deviation, the parameters live in standardised units, where optimisers'
    default step sizes fit, while the loss is still computed on f in the target's own units.

    ``floor`` (see `output_floor`) makes the output f = floor + exp(s·(W x + b)), always above
    ``floor``; ``init_bias`` is still the starting f.

    Examples
    --------
    >>> import torch
    >>> m = LinearModel(3, init_bias=0.5)
    >>> m(torch.zeros(2, 3, dtype=torch.float64)).tolist()
    [0.5, 0.5]
    >>> LinearModel(3, init_bias=0.5, floor=-1.0)(torch.zeros(1, 3, dtype=torch.float64)).tolist()
    [0.5]
    """

    def __init__(
        self,
        n_features: int,
        n_outputs: int = 1,
        *,
        init_bias: Any = None,
        output_scale: float = 1.0,
        floor: float | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        _check_sizes(n_features, n_outputs)
        self.n_features = int(n_features)
        self.n_outputs = int(n_outputs)
        self.floor = None if floor is None else float(floor)
        # no random initialisation to overwrite: the weights are set below, the RNG is not drawn
        self.linear = nn.utils.skip_init(nn.Linear, self.n_features, self.n_outputs, dtype=dtype)
        self.register_buffer("output_scale", _scale(output_scale, dtype))
        with torch.no_grad():
            self.linear.weight.zero_()
            _set_bias(self.linear, _floor_bias(init_bias, self.floor), float(output_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _floored(_squeeze(self.linear(x) * self.output_scale, self.n_outputs), self.floor)


class MLP(nn.Module):
    r"""A multilayer perceptron: (Linear → activation → dropout) per hidden layer, then Linear.

    hₗ = dropout(φ(Wₗ hₗ₋₁ + bₗ)) for each hidden size, f = W_out h_L + b_out. Hidden layers use
    PyTorch's default (Kaiming-uniform) initialisation drawn from the current torch random state;
    the output bias starts at ``init_bias`` (the loss's best constant), and ``output_scale``
    multiplies the output layer as in `LinearModel`.

    Parameters
    ----------
    n_features, n_outputs : int
    hidden : sequence of int
        Hidden layer sizes, e.g. ``(64,)`` or ``(128, 64)``; empty gives a linear model.
    activation : str
        One of `ACTIVATIONS`.
    dropout : float
        Dropout probability after each hidden activation, in [0, 1).
    floor : float, optional
        Keep the output above it: f = floor + exp(s) (see `output_floor`).

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> net = MLP(4, 3, hidden=(8, 8), activation="tanh")
    >>> net(torch.zeros(5, 4, dtype=torch.float64)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        n_features: int,
        n_outputs: int = 1,
        *,
        hidden: Sequence[int] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        init_bias: Any = None,
        output_scale: float = 1.0,
        floor: float | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        _check_sizes(n_features, n_outputs)
        self.floor = None if floor is None else float(floor)
        if isinstance(hidden, int):
            hidden = (hidden,)
        hidden = tuple(hidden)
        for h in hidden:
            if not isinstance(h, int) or isinstance(h, bool) or h < 1:
                raise ParameterError(f"hidden layer sizes must be positive integers; got {hidden!r}.")
        if activation not in ACTIVATIONS:
            raise ParameterError(
                f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}; got {activation!r}."
            )
        if not (isinstance(dropout, (int, float)) and 0.0 <= dropout < 1.0):
            raise ParameterError(f"dropout must be a probability in [0, 1); got {dropout!r}.")
        self.n_features = int(n_features)
        self.n_outputs = int(n_outputs)
        self.hidden = hidden
        self.activation = activation
        layers: list[nn.Module] = []
        width = self.n_features
        for h in hidden:
            layers.append(nn.Linear(width, h, dtype=dtype))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(float(dropout)))
            width = h
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(width, self.n_outputs, dtype=dtype)
        self.register_buffer("output_scale", _scale(output_scale, dtype))
        with torch.no_grad():
            _set_bias(self.out, _floor_bias(init_bias, self.floor), float(output_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _floored(_squeeze(self.out(self.body(x)) * self.output_scale, self.n_outputs), self.floor)


def build_model(
    kind: str,
    n_features: int,
    n_outputs: int = 1,
    *,
    hidden: Sequence[int] = (64,),
    activation: str = "relu",
    dropout: float = 0.0,
    init_bias: Any = None,
    output_scale: float = 1.0,
    floor: float | None = None,
    dtype: torch.dtype = torch.float64,
) -> nn.Module:
    """A `LinearModel` (``kind="linear"``) or an `MLP` (``kind="mlp"``); ``floor`` see `output_floor`."""
    if kind == "linear":
        return LinearModel(
            n_features, n_outputs, init_bias=init_bias, output_scale=output_scale, floor=floor, dtype=dtype
        )
    if kind == "mlp":
        return MLP(
            n_features,
            n_outputs,
            hidden=hidden,
            activation=activation,
            dropout=dropout,
            init_bias=init_bias,
            output_scale=output_scale,
            floor=floor,
            dtype=dtype,
        )
    raise ParameterError(f"model must be 'linear' or 'mlp'; got {kind!r}.")


def _check_sizes(n_features: int, n_outputs: int) -> None:
    if int(n_features) < 1 or int(n_outputs) < 1:
        raise ParameterError(
            f"a model needs at least one feature and one output; got n_features={n_features}, "
            f"n_outputs={n_outputs}."
        )


def _scale(output_scale: float, dtype: torch.dtype) -> torch.Tensor:
    s = float(output_scale)
    if not (s > 0 and s < float("inf")):
        raise ParameterError(f"output_scale must be a positive finite number; got {output_scale!r}.")
    return torch.tensor(s, dtype=dtype)


def _set_bias(layer: nn.Linear, init_bias: Any, scale: float = 1.0) -> None:
    """Set the layer's bias so that the scaled output starts at ``init_bias``."""
    if init_bias is None:
        layer.bias.zero_()
        return
    b = torch.as_tensor(init_bias, dtype=torch.float64).reshape(-1) / scale
    if b.numel() == 1:
        layer.bias.fill_(float(b[0]))
    elif b.numel() == layer.bias.numel():
        layer.bias.copy_(b)
    else:
        raise ParameterError(
            f"init_bias has {b.numel()} values but the model has {layer.bias.numel()} outputs."
        )
