"""Gradient-boosted trees with any losslab loss (LightGBM through `losslab.lightgbm`).

The estimators' ``model="gbdt"``: each boosting round fits a tree to the loss's gradient and
Hessian at the current raw scores (Newton step per leaf), starting from the loss's best constant
(`Loss.baseline`, folded into the first tree). One round plays the role of an epoch: the history
has one record per round with the training and validation loss, and early stopping keeps the
best round. LightGBM is imported inside `fit_gbdt`.

A loss whose model output must stay above a floor (`losslab.train.models.output_floor`: msle's
f > −1) is boosted on s with f = low + exp(s), as the networks do: the trees fit the gradient
and Hessian of ℓ(y, low + eˢ) in s (chain rule: g·eˢ, h·e²ˢ + g·eˢ), and `predict_gbdt` with
``floor`` returns f.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.errors import ParameterError
from .._core.loss import Loss
from .errors import DivergenceError

__all__ = ["DEFAULT_GBDT_PARAMS", "fit_gbdt", "floored_loss", "predict_gbdt"]

#: LightGBM parameters used unless ``params`` overrides them
DEFAULT_GBDT_PARAMS: dict[str, Any] = {"num_leaves": 31, "min_data_in_leaf": 20, "verbose": -1}


def floored_loss(loss: Loss, floor: float) -> Loss:
    """``loss`` as a function of s where its prediction is f = floor + exp(s): any real s is valid.

    Same name, parameters and metadata but for ``y_pred`` (a raw score) and a Hessian that is no
    longer exact-convex (``INDEFINITE``).

    >>> import losslab, numpy as np
    >>> m = floored_loss(losslab.get("msle"), -1.0)
    >>> y = np.array([0.0, 3.0])
    >>> bool(np.allclose(m(y, np.log1p(y), reduction="none"), 0.0))  # s = log1p(y): perfect
    True
    >>> m.gradient(y, np.array([0.0, 0.0])).round(6).tolist()  # 2(s − log1p y)
    [0.0, -2.772589]
    """
    from dataclasses import replace

    from .._core.domains import RAW_SCORE
    from .._core.info import HessianKind

    base = type(loss)
    one = floor + 1.0

    def response(xp: Any, s: Any) -> Any:
        return xp.expm1(s) + one if one != 0.0 else xp.expm1(s)

    class Floored(base):  # type: ignore[valid-type, misc]
        INFO = replace(base.INFO, y_pred=RAW_SCORE, hessian=HessianKind.INDEFINITE)

        def baseline(self, y_true: Any, sample_weight: Any = None) -> Any:
            # the original loss's best constant c, as the score s = log(c − floor) that gives it
            return np.log(np.asarray(loss.baseline(y_true, sample_weight), dtype=np.float64) - floor)

        def _value(self, xp: Any, t: Any, s: Any) -> Any:
            return base._value(self, xp, t, response(xp, s))

        def _gradient(self, xp: Any, t: Any, s: Any) -> Any:
            return base._gradient(self, xp, t, response(xp, s)) * xp.exp(s)

        def _hessian(self, xp: Any, t: Any, s: Any) -> Any:
            return self._gradient_hessian(xp, t, s)[1]

        def _gradient_hessian(self, xp: Any, t: Any, s: Any) -> tuple[Any, Any]:
            g, h = base._gradient_hessian(self, xp, t, response(xp, s))
            e = xp.exp(s)
            return g * e, h * e * e + g * e

    Floored.__name__ = Floored.__qualname__ = f"Floored{base.__name__}"
    return Floored(**loss.params)


def fit_gbdt(
    loss: Loss,
    X: np.ndarray,
    y: np.ndarray,
    *,
    sample_weight: np.ndarray | None = None,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None,
    rounds: int = 200,
    lr: float | None = None,
    early_stopping: bool = True,
    patience: int = 10,
    seed: int = 0,
    threads: int | None = None,
    params: dict[str, Any] | None = None,
    n_classes: int | None = None,
    callback: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[Any, list[dict[str, Any]], int, int]:
    """Boost ``rounds`` trees on ``loss``; returns ``(booster, history, n_rounds, best_round)``.

    ``lr`` is LightGBM's shrinkage (default 0.1). ``threads`` sets ``num_threads`` (the
    estimators pass the current torch thread setting, so one setting governs both model kinds).
    Multiclass losses take class indices (``n_classes`` of them); ``booster.predict`` returns raw
    scores including the init score. Median and quantile losses get LightGBM-style leaf refits
    (the Hessian policy of `losslab.lightgbm`).
    """
    import lightgbm as lgb

    from .. import lightgbm as llgb
    from .models import output_floor

    floor = output_floor(loss)
    if floor is not None:  # boost s, with f = floor + exp(s) always in the loss's domain
        loss = floored_loss(loss, floor)
    if not isinstance(rounds, (int, np.integer)) or rounds < 1:
        raise ParameterError(f"epochs (boosting rounds) must be a positive integer; got {rounds!r}.")
    if y.ndim != 1:
        raise ParameterError(
            f"model='gbdt' needs one target value per row; loss {loss.name!r} was given targets of shape "
            f"{y.shape}. Use model='linear' or 'mlp'."
        )
    eta = 0.1 if lr is None else float(lr)
    if not (math.isfinite(eta) and eta > 0):
        raise ParameterError(f"lr must be a positive number; got {lr!r}.")
    p = {**DEFAULT_GBDT_PARAMS, **(params or {})}
    p.update({"learning_rate": eta, "seed": int(seed), "deterministic": True, "force_row_wise": True})
    if threads is not None:
        p["num_threads"] = int(threads)
    if loss.multiclass:
        p["num_class"] = int(n_classes) if n_classes is not None else int(np.max(y)) + 1
    # feature_pre_filter=False: LightGBM aborts a custom objective whose features were all
    # pre-filtered (too few rows for min_data_in_leaf, constant columns); unfiltered, such a
    # run ends with the constant model, as LightGBM's built-in objectives do.
    p["feature_pre_filter"] = False
    # a floored loss starts from the original loss's best constant (its own init score, folded below)
    s0 = None if floor is None else float(np.ravel(loss.baseline(y, sample_weight))[0])
    train_set = lgb.Dataset(
        X,
        label=y.astype(np.float64),
        weight=sample_weight,
        init_score=None if s0 is None else np.full(len(y), s0),
        free_raw_data=False,
        params={"feature_pre_filter": False},
    )
    valid_sets, valid_names = [train_set], ["train"]
    if validation is not None:
        Xv, yv, wv = validation
        init_v = None if s0 is None else np.full(len(yv), s0)
        valid_sets.append(
            lgb.Dataset(Xv, label=yv.astype(np.float64), weight=wv, init_score=init_v, reference=train_set)
        )
        valid_names.append("valid")
    evals: dict[str, dict[str, list[float]]] = {}
    callbacks: list[Any] = [lgb.record_evaluation(evals)]
    if callback is not None:
        callbacks.append(_progress(callback, loss.name, eta))
    if early_stopping and validation is not None:
        callbacks.append(lgb.early_stopping(int(patience), first_metric_only=True, verbose=False))
    booster = llgb.train(
        loss,
        p,
        train_set,
        int(rounds),
        valid_sets=valid_sets,
        valid_names=valid_names,
        refit=_refit(llgb, loss, validation is not None),
        callbacks=callbacks,
    )
    if s0 is not None:  # lightgbm leaves a Dataset's own init score out of predict: fold it in
        llgb.fold_init_score(booster, s0)
    train_curve = evals.get("train", {}).get(loss.name, [])
    val_curve = evals.get("valid", {}).get(loss.name, [])
    history = []
    for i, v in enumerate(train_curve):
        if not math.isfinite(v):
            raise DivergenceError(
                f"boosting diverged in round {i + 1}: the training loss of loss {loss.name!r} became {v}. "
                f"Lower the learning rate (lr={eta:g}; try {eta / 10:g}).",
                i + 1,
            )
        history.append(
            {
                "epoch": i + 1,
                "train_loss": float(v),
                "val_loss": float(val_curve[i]) if i < len(val_curve) else None,
                "lr": eta,
            }
        )
    n = len(history) if history else booster.current_iteration()
    best = booster.best_iteration if booster.best_iteration > 0 else n
    return booster, history, n, best


def _refit(llgb: Any, loss: Loss, has_validation: bool) -> Any:
    """The leaf refit the loss's Hessian policy recommends; after training when validating."""
    if not has_validation:
        return None
    return "post" if llgb.objective(loss).grad_hess.policy.refit else False


def _progress(callback: Callable[[dict[str, Any]], None], name: str, eta: float) -> Callable[[Any], None]:
    def cb(env: Any) -> None:
        rec: dict[str, Any] = {
            "epoch": env.iteration + 1,
            "train_loss": math.nan,
            "val_loss": None,
            "lr": eta,
        }
        for data_name, metric_name, value, _ in env.evaluation_result_list or []:
            if metric_name == name:
                rec["train_loss" if data_name == "train" else "val_loss"] = float(value)
        callback(rec)

    return cb


def predict_gbdt(booster: Any, X: np.ndarray, floor: float | None = None) -> np.ndarray:
    """Raw scores of a booster from `fit_gbdt` at its best round: (n,) or (n, k); with the loss's
    ``floor`` (`losslab.train.models.output_floor`), the prediction floor + exp(s)."""
    s = np.asarray(booster.predict(X, num_iteration=booster.best_iteration or None), dtype=np.float64)
    return s if floor is None else np.expm1(s) + (floor + 1.0)
