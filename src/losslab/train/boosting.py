"""Gradient-boosted trees with any losslab loss (LightGBM through `losslab.lightgbm`).

The estimators' ``model="gbdt"``: each boosting round fits a tree to the loss's gradient and
Hessian at the current raw scores (Newton step per leaf), starting from the loss's best constant
(`Loss.baseline`, folded into the first tree). One round plays the role of an epoch: the history
has one record per round with the training and validation loss, and early stopping keeps the
best round. LightGBM is imported inside `fit_gbdt`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.errors import ParameterError
from .._core.loss import Loss
from .errors import DivergenceError

__all__ = ["DEFAULT_GBDT_PARAMS", "fit_gbdt", "predict_gbdt"]

#: LightGBM parameters used unless ``params`` overrides them
DEFAULT_GBDT_PARAMS: dict[str, Any] = {"num_leaves": 31, "min_data_in_leaf": 20, "verbose": -1}


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
    train_set = lgb.Dataset(
        X,
        label=y.astype(np.float64),
        weight=sample_weight,
        free_raw_data=False,
        params={"feature_pre_filter": False},
    )
    valid_sets, valid_names = [train_set], ["train"]
    if validation is not None:
        Xv, yv, wv = validation
        valid_sets.append(lgb.Dataset(Xv, label=yv.astype(np.float64), weight=wv, reference=train_set))
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


def predict_gbdt(booster: Any, X: np.ndarray) -> np.ndarray:
    """Raw scores of a booster from `fit_gbdt` at its best round: (n,) or (n, k)."""
    return np.asarray(booster.predict(X, num_iteration=booster.best_iteration or None), dtype=np.float64)
