"""Train on a table end to end — read, split, fit, evaluate, save — for ``losslab train``.

`train_table` reads a CSV/Parquet file or DataFrame (`losslab.tabular`), holds out a test share
(stratified for classification), fits a `losslab.sklearn.LossRegressor` or `LossClassifier` with
the chosen loss on the rest (which splits its own validation rows for early stopping), reports
metrics on the held-out test rows, and can write everything to a directory. Before fitting, the
data hygiene of `losslab.hygiene` runs: identifier columns are dropped (unless kept), suspected
leaks and free-text columns are warned about, and rows without a target are counted; each is a
sentence in ``TrainReport.warnings``. Files written:

- ``model.joblib`` — the fitted estimator (``joblib.load`` it and call ``predict``);
- ``model.pt`` — the torch ``state_dict`` of the network (``model.txt``, LightGBM's text
  format, for ``model="gbdt"``), with ``config.json`` (loss, estimator parameters, features,
  classes, metrics) enough to rebuild it;
- ``history.csv`` — one row per epoch; ``learning_curve.png`` — training and validation loss.

pandas, scikit-learn, torch and matplotlib are imported inside the functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import DataError, ParameterError
from .._core.registry import get

__all__ = ["TrainReport", "plot_history", "train_table"]


@dataclass
class TrainReport:
    """What `train_table` did: the estimator, its test metrics, and where files went.

    ``task`` is ``"classification"`` or ``"regression"`` (the estimator's); ``inferred_task`` the
    task `losslab.tasks.infer_task` found (None when the loss decided), and ``task_line`` one line
    saying which task was chosen and the alternative, e.g. ``task: multiclass (inferred, medium
    confidence; alternative: regression — pass --loss mse to train a regression)``.
    """

    estimator: Any
    task: str
    target: str
    loss: str
    metrics: dict[str, float]
    n_train: int
    n_test: int
    history: list[dict[str, Any]]
    files: dict[str, str] = field(default_factory=dict)
    trace: Any = None
    inferred_task: str | None = None
    task_line: str = ""
    warnings: list[str] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no estimator)."""
        return {
            "warnings": self.warnings,
            "dropped_columns": self.dropped_columns,
            "task": self.task,
            "inferred_task": self.inferred_task,
            "task_line": self.task_line,
            "target": self.target,
            "loss": self.loss,
            "metrics": self.metrics,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "epochs": len(self.history),
            "files": self.files,
        }


def _choose_task(loss_spec: Any, y: Any, target: str) -> tuple[bool, str | None, str]:
    """``(classify, inferred task or None, the task line)``: from the loss, else `losslab.tasks`.

    Without a loss the task is the one the advisor and `compare` infer (`losslab.tasks.infer_task`);
    the line says which it chose and how to get the other kind of model when the data are ambiguous.
    """
    from pandas.api import types as pdt

    from ..tasks import CLASSIFICATION_TASKS, REGRESSION_TASKS, infer_task, task_family

    if loss_spec not in (None, "auto"):
        loss = get(loss_spec)
        classify = loss.info.task != "regression"
        kind = "classification" if classify else "regression"
        return classify, None, f"task: {kind} (from the loss {loss.name!r})"
    if y.nunique() < 2:
        raise DataError(
            f"target column {target!r} has one class only ({y.iloc[0]!r}); a classifier needs two or more."
        )
    inferred = infer_task(y)
    numeric = pdt.is_numeric_dtype(y.dtype) and not pdt.is_bool_dtype(y.dtype)
    classify = task_family(inferred.task) == "classification" or not numeric
    how = f"inferred, {inferred.confidence} confidence"
    if classify and inferred.task not in CLASSIFICATION_TASKS:
        how += "; trained as a classifier: the values are not numbers"
    elif not classify and inferred.task != "regression":
        how += "; trained as a regression"
    if classify and numeric and any(a in REGRESSION_TASKS for a in inferred.alternatives):
        how += "; alternative: regression — pass --loss mse to train a regression"
    elif not classify:
        other = next((a for a in inferred.alternatives if a in CLASSIFICATION_TASKS), None)
        if other is not None:
            name = "binary_crossentropy" if other == "binary" else "categorical_crossentropy"
            how += f"; alternative: {other} — pass --loss {name} to train a classifier"
    return classify, inferred.task, f"task: {inferred.task} ({how})"


def train_table(
    data: Any,
    target: str,
    *,
    loss: Any = None,
    model: str = "linear",
    hidden: tuple[int, ...] = (64,),
    epochs: int = 200,
    lr: float | None = None,
    optimizer: str = "auto",
    batch_size: int | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    out: str | Path | None = None,
    trace: bool = False,
    callback: Callable[[dict[str, Any]], None] | None = None,
    keep_columns: Any = (),
) -> TrainReport:
    """Fit a model with ``loss`` on the table ``data`` to predict column ``target``.

    Parameters
    ----------
    data : path or DataFrame
        A .csv/.tsv/.parquet file or a DataFrame.
    target : str
        The column to predict; rows where it is missing are dropped.
    loss : str, dict or Loss, optional
        The training loss. A regression loss makes a regressor, a classification loss a
        classifier. Default: by the task `losslab.tasks.infer_task` finds (the advisor's and
        `losslab.compare`'s): ``binary/categorical_crossentropy`` for a binary or multiclass
        target (also any non-numeric one), else ``mse``; ``report.task_line`` says which and
        names the alternative when the target is ambiguous (e.g. integer labels 0, 1, 2).
    model, hidden, epochs, lr, optimizer, batch_size, seed
        As in `losslab.sklearn.LossRegressor` (``model`` is linear, mlp or gbdt).
    test_fraction : float
        Share of rows held out for the reported metrics (0: report on the training rows).
    out : path, optional
        Directory for model.joblib, model.pt, config.json, history.csv, learning_curve.png.
    trace : bool
        Also record the first gradient-descent step (from the initial weights, on the first
        four training rows) in ``report.trace``.
    callback : callable(record), optional
        Called after each epoch with the history record.
    keep_columns : list of str
        Columns to keep although they look like row identifiers (``--keep-column``); the other
        identifier-like columns are dropped and named in ``report.warnings``.

    Raises
    ------
    DataError
        Missing target column, one class only, all-missing feature columns, a non-numeric target
        for a regression loss.
    DomainError
        Targets the loss cannot take.
    """
    from ..hygiene import check_features
    from ..sklearn import LossClassifier, LossRegressor
    from ..tabular import read_table, split_target

    if trace and model == "gbdt":
        raise ParameterError(
            "--trace lays open a gradient-descent step of a network; model 'gbdt' boosts trees."
        )
    frame = read_table(data)
    X, y = split_target(frame, target)
    if not (0.0 <= test_fraction < 1.0):
        raise ParameterError(f"test_fraction must be in [0, 1); got {test_fraction!r}.")
    classify, inferred, task_line = _choose_task(loss, y, target)
    if classify:
        from sklearn.utils.multiclass import type_of_target

        kind = type_of_target(y.to_numpy())
        if kind.startswith("continuous"):
            name = get(loss).name if loss is not None else "a classification loss"
            raise DataError(
                f"target column {target!r} has continuous values (e.g. {y.iloc[0]!r}); loss {name!r} "
                "needs class labels. Use a regression loss (mse, huber, quantile …)."
            )
        n_classes = int(y.nunique())
        if n_classes < 2:
            raise DataError(
                f"target column {target!r} has one class only ({y.iloc[0]!r}); a classifier needs "
                "two or more."
            )
        est = LossClassifier(loss=loss, model=model, hidden=hidden, epochs=epochs, lr=lr, optimizer=optimizer)
    else:
        from pandas.api import types as pdt

        if not pdt.is_numeric_dtype(y.dtype) or pdt.is_bool_dtype(y.dtype):
            example = y.iloc[0]
            name = get(loss if loss is not None else "mse").name
            raise DataError(
                f"target column {target!r} is not numeric (e.g. {example!r}); loss {name!r} is a "
                "regression loss. Use a classification loss for labels."
            )
        est = LossRegressor(
            loss=loss if loss is not None else "mse",
            model=model,
            hidden=hidden,
            epochs=epochs,
            lr=lr,
            optimizer=optimizer,
        )
    est.set_params(batch_size=batch_size, seed=seed)
    hygiene = check_features(
        X,
        y,
        classification=classify,
        keep_columns=keep_columns,
        rows_missing_target=len(frame) - len(y),
        target=target,
    )
    X = hygiene.X
    train_idx, test_idx = _holdout(y, test_fraction, seed, classify)
    Xtr, ytr = X.iloc[train_idx], y.iloc[train_idx]
    est.fit(Xtr, ytr, callback=callback)
    Xte, yte = (X.iloc[test_idx], y.iloc[test_idx]) if test_idx is not None else (Xtr, ytr)
    metrics = evaluate(est, Xte, yte)
    report = TrainReport(
        estimator=est,
        task="classification" if classify else "regression",
        target=target,
        loss=est.loss_.name,
        metrics=metrics,
        n_train=len(train_idx),
        n_test=len(test_idx) if test_idx is not None else 0,
        history=list(est.history_),
        inferred_task=inferred,
        task_line=task_line,
        warnings=hygiene.warnings,
        dropped_columns=[f.column for f in hygiene.dropped],
    )
    if trace:
        report.trace = est.step_trace(Xtr.iloc[:4], ytr.iloc[:4], initial=True)
    if out is not None:
        report.files = save(est, Path(out), target=target, metrics=metrics, dropped=report.dropped_columns)
    return report


def _holdout(y: Any, fraction: float, seed: int, stratify: bool) -> tuple[np.ndarray, np.ndarray | None]:
    from ..train.loop import split_validation

    labels = None
    if stratify:
        labels = np.unique(y.astype(str).to_numpy(), return_inverse=True)[1]
    tr, te = split_validation(len(y), fraction, seed + 1, labels)
    return tr, te


def evaluate(est: Any, X: Any, y: Any) -> dict[str, float]:
    """The training loss and the standard metrics of a fitted estimator on ``(X, y)``.

    The metrics come from the table `losslab.metrics` on the estimator's predictions, so they are
    the numbers `losslab.compare` and the estimators' ``score`` give; one that is undefined on
    these rows (ROC-AUC with a class missing) is left out.
    """
    from ..metrics import MetricUndefined, get_metric
    from ..sklearn import LossClassifier

    raw = est.predict_raw(X)
    if isinstance(est, LossClassifier):
        target = est._encode_target(np.asarray(y))
        names = ["accuracy", "balanced_accuracy", "log_loss", "roc_auc"]
    else:
        target = np.asarray(y, dtype=np.float64)
        names = ["rmse", "mae", "r2"]
        if est.loss_.info.statistic.statistic.has_level:  # a quantile or an expectile
            names.append("coverage")
    out: dict[str, float] = {est.loss_.name: float(est.loss_(target, raw))}
    pred = est._predictions(raw, target)
    for name in names:
        metric = get_metric(name)
        if metric.needs == "probability" and pred.proba is None:
            continue  # a margin loss: no probabilities to score
        try:
            with np.errstate(all="ignore"):
                out[name] = float(metric(pred))
        except MetricUndefined:
            if name == "r2":
                out[name] = float("nan")  # one held-out row: kept in the table as NaN, as before
    return out


def save(
    est: Any, out: Path, *, target: str, metrics: dict[str, float], dropped: list[str] | None = None
) -> dict[str, str]:
    """Write model.joblib, model.pt (model.txt for trees), config.json, history.csv, learning_curve.png."""
    import joblib
    import pandas as pd
    import torch

    out.mkdir(parents=True, exist_ok=True)
    trees = est.model == "gbdt"
    files = {
        "model": out / "model.joblib",
        ("booster" if trees else "state_dict"): out / ("model.txt" if trees else "model.pt"),
        "config": out / "config.json",
        "history": out / "history.csv",
        "learning_curve": out / "learning_curve.png",
    }
    joblib.dump(est, files["model"])
    if trees:
        est.model_.save_model(str(files["booster"]))  # LightGBM's text format (raw scores)
    else:
        torch.save(est.model_.state_dict(), files["state_dict"])
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in est.get_params().items()}
    params["loss"] = est.loss_.to_dict()
    config = {
        "estimator": type(est).__name__,
        "params": params,
        "target": target,
        "features_in": [str(c) for c in getattr(est, "feature_names_in_", [])],
        "dropped_columns": list(dropped or []),  # identifier columns left out before fitting
        "features_out": [str(c) for c in est.preprocessor_.get_feature_names_out()],
        "classes": [_jsonable(c) for c in getattr(est, "classes_", [])],
        "n_outputs": int(est.n_outputs_),
        "epochs_run": int(est.n_iter_),
        "best_epoch": int(est.best_epoch_),
        "metrics": metrics,
    }
    files["config"].write_text(json.dumps(config, indent=2, default=str) + "\n")
    pd.DataFrame(est.history_).to_csv(files["history"], index=False)
    plot_history(est.history_, files["learning_curve"], title=f"{est.loss_.name} — {target}")
    return {k: str(v) for k, v in files.items()}


def _jsonable(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def plot_history(history: list[dict[str, Any]], path: str | Path, title: str = "") -> None:
    """Training and validation loss per epoch as a PNG (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    try:
        ax.plot(epochs, [r["train_loss"] for r in history], label="training loss")
        val = [r.get("val_loss") for r in history]
        if any(v is not None for v in val):
            ax.plot(epochs, [np.nan if v is None else v for v in val], label="validation loss")
            best = int(np.nanargmin([np.nan if v is None else v for v in val]))
            ax.axvline(epochs[best], color="grey", linestyle=":", label=f"best epoch {epochs[best]}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        if title:
            ax.set_title(title)
        ax.legend()
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
