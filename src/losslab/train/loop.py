r"""The gradient-descent loop: mini-batches, optimiser, schedule, validation, early stopping.

One epoch visits the training rows once in a random order (a ``torch.Generator`` seeded from
``seed``), in mini-batches B. For each batch: the forward pass gives raw scores ŷ = f(X_B; θ), the
losslab loss gives the weighted mean L = Σ wᵢℓ(yᵢ, ŷᵢ)/Σ wᵢ, backpropagation gives ∇_θ L — its
first factor ∂L/∂ŷᵢ = wᵢ ℓ'(yᵢ, ŷᵢ)/Σ w is the loss's own analytic ``gradient`` — and the
optimiser updates θ (plain SGD: θ ← θ − η∇_θ L). After each epoch the model is evaluated on the
validation rows; with early stopping the weights of the best validation epoch are restored.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .._core.errors import ParameterError
from .._core.loss import Loss
from .errors import DivergenceError

__all__ = [
    "DEFAULT_LR",
    "OPTIMIZERS",
    "SCHEDULES",
    "TrainResult",
    "fit",
    "loss_fn",
    "split_validation",
]

#: optimiser names: plain SGD, SGD with (heavy-ball) momentum, Nesterov momentum, Adam, L-BFGS
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "lbfgs")
#: learning rate used when ``lr=None``
DEFAULT_LR = {"sgd": 0.01, "momentum": 0.01, "nesterov": 0.01, "adam": 0.01, "lbfgs": 1.0}
#: learning-rate schedules (per epoch): None/"constant", "step", "cosine", "exponential"
SCHEDULES = (None, "constant", "step", "cosine", "exponential")

Metric = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], float]


@dataclass
class TrainResult:
    """What a run of `fit` did.

    Attributes
    ----------
    history : list of dict
        One record per epoch: ``epoch`` (1-based), ``train_loss`` (weighted mean of the
        mini-batch losses met during the epoch), ``val_loss`` (weighted mean loss on the
        validation rows after the epoch; ``None`` without validation), ``lr`` (the learning
        rate used in the epoch) and one entry per metric (on the validation rows).
    best_epoch : int
        The epoch whose weights the model holds at the end (the last one without early stopping).
    n_epochs : int
        Epochs run.
    stopped_early : bool
        True when early stopping ended the run before ``epochs``.
    converged : bool
        For `losslab.train.solver.solve`: False when the iteration cap ended the run before a
        tolerance was met (the gradient-descent loop runs its epochs and leaves it True).
    max_abs_score : float
        For the solver: the largest |linear score| on the training rows (`losslab.train.solver.separated`).
    """

    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    n_epochs: int = 0
    stopped_early: bool = False
    converged: bool = True
    max_abs_score: float = 0.0


def loss_fn(loss: Loss) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    r"""``(raw, y, w) ↦`` the weighted mean loss Σwᵢℓᵢ/Σw as a differentiable torch scalar.

    A losslab loss called on a tensor that requires grad backpropagates with its own analytic
    gradient (see `losslab._core.autodiff`), so ∂L/∂rawᵢ = wᵢ·``loss.gradient``ᵢ/Σw — the very
    formula losslab documents and tests, not autograd through the kernel's branches. Data checks
    are off here (the estimators validate the targets once, before training).

    Examples
    --------
    >>> import torch, losslab
    >>> L = loss_fn(losslab.get("mse"))
    >>> raw = torch.tensor([1.0, 3.0], dtype=torch.float64, requires_grad=True)
    >>> value = L(raw, torch.tensor([0.0, 0.0], dtype=torch.float64), torch.ones(2, dtype=torch.float64))
    >>> value.backward(); value.item(), raw.grad.tolist()
    (5.0, [1.0, 3.0])
    """

    def fn(raw: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return loss(y, raw, sample_weight=w, reduction="mean", check=False)

    return fn


def split_validation(
    n: int, fraction: float, seed: int = 0, stratify: Any = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Indices ``(train, validation)`` holding out about ``fraction`` of ``n`` rows at random.

    With ``stratify`` (class labels) each class keeps its share in both parts and at least one
    row in training. Returns ``validation=None`` when ``fraction`` is 0 or the data are too few to
    leave two training rows and one validation row.

    Examples
    --------
    >>> tr, va = split_validation(10, 0.2, seed=0)
    >>> len(tr), len(va)
    (8, 2)
    >>> split_validation(2, 0.1)[1] is None
    True
    """
    if not (0.0 <= fraction < 1.0):
        raise ParameterError(f"validation_fraction must be in [0, 1); got {fraction!r}.")
    everything = np.arange(n)
    n_val = round(fraction * n)
    if fraction == 0.0 or n_val < 1 or n - n_val < 2:
        return everything, None
    rng = np.random.default_rng(seed)
    if stratify is not None:
        labels = np.asarray(stratify)
        val_parts = []
        for c in np.unique(labels):
            idx = np.flatnonzero(labels == c)
            k = min(round(fraction * idx.size), idx.size - 1)
            if k > 0:
                val_parts.append(rng.permutation(idx)[:k])
        if val_parts:
            val = np.sort(np.concatenate(val_parts))
            return np.setdiff1d(everything, val), val
    perm = rng.permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def _make_optimizer(name: str, params: Any, lr: float, momentum: float, weight_decay: float) -> Any:
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name in ("momentum", "nesterov"):
        mu = momentum if momentum > 0 else 0.9
        return torch.optim.SGD(
            params, lr=lr, momentum=mu, nesterov=name == "nesterov", weight_decay=weight_decay
        )
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "lbfgs":
        if weight_decay:
            raise ParameterError("optimizer 'lbfgs' does not take weight_decay; use 'adam' or 'sgd'.")
        return torch.optim.LBFGS(
            params,
            lr=lr,
            max_iter=20,
            history_size=20,
            tolerance_grad=1e-12,
            tolerance_change=1e-14,
            line_search_fn="strong_wolfe",
        )
    raise ParameterError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZERS))}; got {name!r}.")


def _make_schedule(name: str | None, opt: Any, epochs: int) -> Any:
    if name is None or name == "constant":
        return None
    sched = torch.optim.lr_scheduler
    if name == "step":
        return sched.StepLR(opt, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "cosine":
        return sched.CosineAnnealingLR(opt, T_max=max(1, epochs))
    if name == "exponential":
        return sched.ExponentialLR(opt, gamma=0.01 ** (1.0 / max(1, epochs)))
    raise ParameterError(f"schedule must be one of {', '.join(repr(s) for s in SCHEDULES)}; got {name!r}.")


def _as_tensor(x: Any, dtype: torch.dtype, device: Any) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.to(device=device, dtype=dtype)
    return torch.as_tensor(np.asarray(x), dtype=dtype, device=device)


def _target_tensor(loss: Loss, y: Any, dtype: torch.dtype, device: Any) -> torch.Tensor:
    t = y if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))
    if loss.multiclass and t.ndim == 1:
        return t.to(device=device, dtype=torch.int64)
    return t.to(device=device, dtype=dtype)


def _diverged(loss: Loss, epoch: int, what: str, value: float, lr: float, where: str = "") -> DivergenceError:
    domain = loss.info.y_pred
    hint = "" if domain.unbounded else f" Loss {loss.name!r} needs y_pred {domain.describe()}."
    return DivergenceError(
        f"training diverged in epoch {epoch}{where}: the {what} of loss {loss.name!r} became {value}. "
        f"Lower the learning rate (lr={lr:g}; try {lr / 10:g}), or scale the features and target.{hint}",
        epoch,
    )


def fit(
    model: torch.nn.Module,
    loss: Loss,
    X: Any,
    y: Any,
    *,
    sample_weight: Any = None,
    validation: tuple[Any, Any, Any] | None = None,
    optimizer: str = "adam",
    lr: float | None = None,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    schedule: str | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    early_stopping: bool = True,
    patience: int = 10,
    min_delta: float = 0.0,
    seed: int = 0,
    metrics: Mapping[str, Metric] | None = None,
    callback: Callable[[dict[str, Any]], None] | None = None,
) -> TrainResult:
    r"""Train ``model`` in place to minimise ``loss`` on ``(X, y)``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps an (n, d) tensor to raw scores of shape (n,) or (n, k) (see `losslab.train.models`).
    loss : Loss
        Any losslab loss; its ``y_pred`` is the model's raw output.
    X, y : array-like or tensor
        Features (n, d), already numeric; targets as the loss takes them (class indices for
        multiclass losses).
    sample_weight : array-like, optional
        Per-row weights; every loss is the weighted mean Σwℓ/Σw.
    validation : (X_val, y_val, w_val), optional
        Held-out rows evaluated after each epoch (``w_val`` may be None). Early stopping watches
        their loss; without them it watches the training loss.
    optimizer : {"sgd", "momentum", "nesterov", "adam", "lbfgs"}
        ``"sgd"`` is θ ← θ − η∇L (with ``momentum`` > 0 it is heavy-ball momentum);
        ``"momentum"``/``"nesterov"`` use ``momentum`` (0.9 if 0). ``"lbfgs"`` is full-batch
        L-BFGS with a strong-Wolfe line search, 20 iterations per epoch (``batch_size`` is
        ignored): the setting for exact optima of smooth convex problems.
    lr : float, optional
        Learning rate η; default `DEFAULT_LR` of the optimiser.
    schedule : {None, "constant", "step", "cosine", "exponential"}
        Per-epoch learning rate: step = ×0.1 every ⌊epochs/3⌋ epochs; cosine anneals to 0 at
        ``epochs``; exponential reaches η/100 at ``epochs``.
    epochs, batch_size : int
        Passes over the data; rows per mini-batch (default min(64, n)).
    early_stopping, patience, min_delta
        Stop when the monitored loss has not fallen below best − ``min_delta`` for ``patience``
        epochs, and restore the weights of the best epoch.
    seed : int
        Seeds the batch order and dropout (inside a forked torch RNG: the global state is left
        as it was).
    metrics : mapping of name → callable(y_val, raw_val, w_val) → float
        Evaluated on the validation rows after each epoch.
    callback : callable(record), optional
        Called with each epoch's history record (progress bars).

    Raises
    ------
    DivergenceError
        The training or validation loss, or a parameter, became NaN/inf; names the epoch.
    """
    if optimizer not in OPTIMIZERS:
        raise ParameterError(
            f"optimizer must be one of {', '.join(map(repr, OPTIMIZERS))}; got {optimizer!r}."
        )
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ParameterError(f"epochs must be a positive integer; got {epochs!r}.")
    if not isinstance(patience, (int, np.integer)) or patience < 1:
        raise ParameterError(f"patience must be a positive integer; got {patience!r}.")
    eta = DEFAULT_LR[optimizer] if lr is None else float(lr)
    if not (math.isfinite(eta) and eta > 0):
        raise ParameterError(f"lr must be a positive number; got {lr!r}.")
    if not (0.0 <= float(momentum) < 1.0):
        raise ParameterError(f"momentum must be in [0, 1); got {momentum!r}.")

    first = next(model.parameters())
    dtype, device = first.dtype, first.device
    Xt = _as_tensor(X, dtype, device)
    yt = _target_tensor(loss, y, dtype, device)
    n = int(Xt.shape[0])
    wt = (
        torch.ones(n, dtype=dtype, device=device)
        if sample_weight is None
        else _as_tensor(sample_weight, dtype, device)
    )
    val = None
    if validation is not None:
        Xv, yv, wv = validation
        Xv = _as_tensor(Xv, dtype, device)
        yv = _target_tensor(loss, yv, dtype, device)
        nv = int(Xv.shape[0])
        wv = torch.ones(nv, dtype=dtype, device=device) if wv is None else _as_tensor(wv, dtype, device)
        val = (Xv, yv, wv)
    if batch_size is None:
        batch_size = min(64, n)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ParameterError(f"batch_size must be a positive integer or None; got {batch_size!r}.")
    batch_size = min(int(batch_size), n)

    L = loss_fn(loss)
    opt = _make_optimizer(optimizer, model.parameters(), eta, float(momentum), float(weight_decay))
    sched = _make_schedule(schedule, opt, int(epochs))
    result = TrainResult()
    best = math.inf
    best_state: dict[str, torch.Tensor] | None = None
    bad_epochs = 0

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gen = torch.Generator(device="cpu").manual_seed(seed)
        for epoch in range(1, int(epochs) + 1):
            lr_now = float(opt.param_groups[0]["lr"])
            model.train()
            if optimizer == "lbfgs":
                train_loss = _lbfgs_epoch(model, L, opt, Xt, yt, wt, loss, epoch, lr_now)
            else:
                train_loss = _sgd_epoch(model, L, opt, Xt, yt, wt, batch_size, gen, loss, epoch, lr_now)
            for name, p in model.named_parameters():
                if not bool(torch.isfinite(p).all()):
                    raise _diverged(loss, epoch, f"parameter {name!r}", math.nan, lr_now)
            record: dict[str, Any] = {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": None,
                "lr": lr_now,
            }
            monitor = train_loss
            if val is not None:
                model.eval()
                with torch.no_grad():
                    raw_v = model(val[0])
                    v = float(loss(val[1], raw_v, sample_weight=val[2], check=False))
                if not math.isfinite(v):
                    raise _diverged(loss, epoch, "validation loss", v, lr_now)
                record["val_loss"] = monitor = v
                for name, metric in (metrics or {}).items():
                    record[name] = float(metric(val[1], raw_v, val[2]))
            result.history.append(record)
            result.n_epochs = epoch
            if callback is not None:
                callback(record)
            if sched is not None:
                sched.step()
            if monitor < best - min_delta:
                best, bad_epochs, result.best_epoch = monitor, 0, epoch
                if early_stopping:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                bad_epochs += 1
                if early_stopping and bad_epochs >= patience:
                    result.stopped_early = epoch < epochs
                    break
    if early_stopping and best_state is not None:
        model.load_state_dict(best_state)
    else:
        result.best_epoch = result.n_epochs
    model.eval()
    return result


def _sgd_epoch(
    model: torch.nn.Module,
    L: Callable[..., torch.Tensor],
    opt: Any,
    X: torch.Tensor,
    y: torch.Tensor,
    w: torch.Tensor,
    batch_size: int,
    gen: torch.Generator,
    loss: Loss,
    epoch: int,
    lr: float,
) -> float:
    n = int(X.shape[0])
    order = torch.randperm(n, generator=gen).to(X.device)
    n_batches = -(-n // batch_size)
    total, weight = 0.0, 0.0
    for b in range(n_batches):
        idx = order[b * batch_size : (b + 1) * batch_size]
        wb = w[idx]
        wsum = float(wb.sum())
        if wsum <= 0:
            continue  # a batch of zero-weight rows carries no gradient
        opt.zero_grad(set_to_none=True)
        value = L(model(X[idx]), y[idx], wb)
        v = float(value.detach())
        if not math.isfinite(v):
            raise _diverged(loss, epoch, "training loss", v, lr, f" (mini-batch {b + 1} of {n_batches})")
        value.backward()
        opt.step()
        total += v * wsum
        weight += wsum
    return total / weight if weight > 0 else math.nan


def _lbfgs_epoch(
    model: torch.nn.Module,
    L: Callable[..., torch.Tensor],
    opt: Any,
    X: torch.Tensor,
    y: torch.Tensor,
    w: torch.Tensor,
    loss: Loss,
    epoch: int,
    lr: float,
) -> float:
    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        value = L(model(X), y, w)
        if not bool(torch.isfinite(value)):
            raise _diverged(loss, epoch, "training loss", float(value), lr)
        value.backward()
        return value

    return float(opt.step(closure).detach())
