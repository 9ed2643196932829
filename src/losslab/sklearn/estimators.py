"""scikit-learn estimators that train with any loss: `LossRegressor`, `LossClassifier`.

Imports scikit-learn; PyTorch is imported when an estimator is fitted.
"""

from __future__ import annotations

from typing import Any as _Any

import numpy as _np
from sklearn.base import BaseEstimator as _BaseEstimator
from sklearn.base import ClassifierMixin as _ClassifierMixin
from sklearn.base import RegressorMixin as _RegressorMixin
from sklearn.base import clone as _clone
from sklearn.utils.metaestimators import available_if as _available_if

from .._core.errors import DataError as _DataError
from .._core.errors import ParameterError as _ParameterError
from .._core.info import LinkKind as _LinkKind

#: the checks of ``sklearn.utils.estimator_checks`` an estimator trained by mini-batch gradient
#: descent is expected to fail, and why (pass
#: ``expected_failed_checks=losslab.sklearn.expected_failed_checks`` to ``parametrize_with_checks``).
#: The default linear model (the solver) passes them all.
EXPECTED_FAILED_CHECKS: dict[str, str] = {
    "check_sample_weight_equivalence_on_dense_data": (
        "training is stochastic: a weight of 2 and a duplicated row give the same loss and gradient "
        "for every full batch, but the random mini-batch order, the random validation split and "
        "early stopping see different row sets, so the fitted weights differ beyond the check's "
        "tolerance (the default solver of model='linear' fits all rows to the optimum, and passes)."
    ),
}


def expected_failed_checks(estimator: _Any) -> dict[str, str]:
    """The scikit-learn checks ``estimator`` is expected to fail, with the reason for each.

    None for the solver (``model="linear"`` with ``optimizer="auto"``); `EXPECTED_FAILED_CHECKS`
    for training by epochs of gradient descent or boosting.

    >>> from losslab.sklearn import LossRegressor
    >>> expected_failed_checks(LossRegressor()), list(expected_failed_checks(LossRegressor(model="mlp")))
    ({}, ['check_sample_weight_equivalence_on_dense_data'])
    """
    solver = getattr(estimator, "model", None) == "linear" and estimator._optimizer() == SOLVER
    return {} if solver else dict(EXPECTED_FAILED_CHECKS)


_PROBA_LINKS = (_LinkKind.LOGIT, _LinkKind.SOFTMAX)

#: the optimiser name of the full-batch fit to the optimum (`losslab.train.solve`: Newton or
#: L-BFGS), the default (``optimizer="auto"``) for ``model="linear"``
SOLVER = "solver"


class SeparationWarning(UserWarning):
    """The unpenalised linear fit has no finite optimum (separable classes); a ridge penalty was used."""


def _is_frame(X: _Any) -> bool:
    return hasattr(X, "iloc") and hasattr(X, "columns") and hasattr(X, "dtypes")


class _LossEstimator(_BaseEstimator):
    """Shared machinery of `LossRegressor` and `LossClassifier` (not public)."""

    _default_loss = "mse"

    def __init__(
        self,
        loss: _Any = None,
        model: str = "linear",
        hidden: tuple[int, ...] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        optimizer: str = "auto",
        lr: float | None = None,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        schedule: str | None = None,
        epochs: int = 200,
        batch_size: int | None = None,
        validation_fraction: float | str = "auto",
        early_stopping: bool | str = "auto",
        patience: int = 10,
        tol: float = 1e-10,
        max_iter: int = 1000,
        metrics: tuple[str, ...] | None = None,
        gbdt_params: dict[str, _Any] | None = None,
        dtype: str = "float64",
        seed: int = 0,
        device: str = "cpu",
        verbose: bool = False,
    ) -> None:
        self.loss = loss
        self.model = model
        self.hidden = hidden
        self.activation = activation
        self.dropout = dropout
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.tol = tol
        self.max_iter = max_iter
        self.metrics = metrics
        self.gbdt_params = gbdt_params
        self.dtype = dtype
        self.seed = seed
        self.device = device
        self.verbose = verbose

    # -- tags ---------------------------------------------------------------------------------
    def __sklearn_tags__(self) -> _Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # imputed (median / "__missing__") inside the estimator
        tags.input_tags.string = True  # string columns are one-hot encoded
        tags.input_tags.categorical = True
        tags.input_tags.sparse = False
        tags.non_deterministic = False  # fixed by `seed`
        return tags

    # -- input handling -----------------------------------------------------------------------
    def _check_X(self, X: _Any, *, reset: bool) -> _Any:
        """Validate X; return a DataFrame (kept as is) or a 2-D NumPy array."""
        from sklearn.utils.validation import _check_feature_names, _check_n_features, validate_data

        if _is_frame(X):
            _check_feature_names(self, X, reset=reset)
            _check_n_features(self, X, reset=reset)
            if X.shape[0] < 1:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
                )
            numeric = X.select_dtypes(include="number")
            if numeric.shape[1]:
                inf = _np.isinf(numeric.to_numpy(dtype=_np.float64, na_value=_np.nan))
                if inf.any():
                    col = numeric.columns[_np.flatnonzero(inf.any(axis=0))[0]]
                    raise ValueError(f"Input X contains infinity in column {col!r}; expected finite values.")
            return X
        X = validate_data(
            self, X, reset=reset, dtype=None, ensure_all_finite="allow-nan", accept_sparse=False
        )
        if X.dtype.kind == "O":
            for v in X.reshape(-1):
                if isinstance(v, float) and _np.isinf(v):
                    raise ValueError("Input X contains infinity; expected finite values.")
        if not reset and hasattr(self, "feature_names_in_"):
            import pandas as pd

            X = pd.DataFrame(X, columns=self.feature_names_in_)
        return X

    def _design(self, X: _Any) -> _Any:
        """Preprocessed features as a float tensor of the model's dtype."""
        import torch

        Z = self.preprocessor_.transform(X)
        return torch.as_tensor(_np.asarray(Z, dtype=_np.float64), dtype=_torch_dtype(self.dtype)).to(
            self.device
        )

    def _raw(self, X: _Any) -> _np.ndarray:
        """Raw model scores for X: (n,) or (n, k)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        X = self._check_X(X, reset=False)
        if self.model == "constant":  # the intercept-only model: the loss's best constant everywhere
            const = _np.asarray(self.model_, dtype=_np.float64).reshape(-1)
            n = int(X.shape[0])
            return _np.full(n, const[0]) if self.n_outputs_ == 1 else _np.tile(const, (n, 1))
        if self.model == "gbdt":
            from ..train.boosting import predict_gbdt
            from ..train.models import output_floor

            Z = _np.asarray(self.preprocessor_.transform(X), dtype=_np.float64)
            return predict_gbdt(self.model_, Z, output_floor(self.loss_))
        import torch

        Z = self._design(X)
        self.model_.eval()
        with torch.no_grad():
            raw = self.model_(Z)
        return raw.detach().cpu().numpy().astype(_np.float64)

    # -- the shared fit -----------------------------------------------------------------------
    def _check_common_params(self) -> None:
        if self.model not in ("linear", "mlp", "gbdt", "constant"):
            raise _ParameterError(f"model must be 'linear', 'mlp', 'gbdt' or 'constant'; got {self.model!r}.")
        if self.dtype not in ("float64", "float32"):
            raise _ParameterError(f"dtype must be 'float64' or 'float32'; got {self.dtype!r}.")
        if self._optimizer() == SOLVER and self.model != "linear":
            raise _ParameterError(
                f"optimizer {SOLVER!r} fits model='linear' only; model={self.model!r} trains with "
                "'adam', 'sgd', 'momentum', 'nesterov' or 'lbfgs' (or optimizer='auto')."
            )
        if self._optimizer() == SOLVER and self.early_stopping is True:
            raise _ParameterError(
                f"early_stopping=True needs epochs of gradient descent; optimizer {SOLVER!r} runs to "
                "the optimum (tol). Leave early_stopping='auto' (or False), or pick optimizer='adam'."
            )

    def _optimizer(self) -> str:
        """The optimiser ``"auto"`` stands for: the solver for a linear model, Adam for a network."""
        if self.optimizer in (None, "auto"):
            return SOLVER if self.model == "linear" else "adam"
        return str(self.optimizer)

    def _validation_fraction(self) -> float:
        """``"auto"``: no hold-out for the solver (it fits all rows to the optimum), else 10%."""
        if isinstance(self.validation_fraction, str) and self.validation_fraction == "auto":
            return 0.0 if self._optimizer() == SOLVER else 0.1
        return float(self.validation_fraction)

    def _early_stopping(self) -> bool:
        """``"auto"``: early stopping for epochs of gradient descent and boosting, none for the solver."""
        if isinstance(self.early_stopping, str) and self.early_stopping == "auto":
            return self._optimizer() != SOLVER
        return bool(self.early_stopping)

    def _fit_model(
        self,
        X: _Any,
        target: _np.ndarray,
        sample_weight: _np.ndarray,
        n_outputs: int,
        init_bias: _Any,
        stratify: _Any,
        callback: _Any,
    ) -> None:

        from ..train.loop import fit as train_fit
        from ..train.loop import split_validation
        from ..train.preprocess import column_kinds, make_preprocessor, weight_scaling
        from ..train.solver import separated, solve

        if self.model == "constant":  # nothing to learn but the loss's best constant on every row
            self.n_outputs_ = int(n_outputs)
            self.init_bias_ = self.model_ = _np.asarray(init_bias, dtype=_np.float64)
            self.history_, self.n_iter_, self.best_epoch_ = [], 0, 0
            return
        n = target.shape[0]
        train_idx, val_idx = split_validation(n, self._validation_fraction(), int(self.seed), stratify)
        if val_idx is not None and (sample_weight[val_idx].sum() <= 0 or sample_weight[train_idx].sum() <= 0):
            train_idx, val_idx = _np.arange(n), None
        kinds = column_kinds(X)  # on all rows: an all-missing column is an error, not a split artefact
        X_train = X if val_idx is None else _take(X, train_idx)  # all rows: no copy
        rows = slice(None) if val_idx is None else train_idx  # (of targets and weights too)
        self.preprocessor_ = make_preprocessor(kinds, scale=self.model != "gbdt")
        Z_train = _np.asarray(self.preprocessor_.fit_transform(X_train), dtype=_np.float64)
        w_train = sample_weight[rows]
        if self.model != "gbdt" and _np.ptp(w_train) > 0:  # weights count in the scaling too
            Z_train = weight_scaling(self.preprocessor_, Z_train, w_train)
        validation = None
        if val_idx is not None:
            Z_val = _np.asarray(self.preprocessor_.transform(_take(X, val_idx)), dtype=_np.float64)
            validation = (Z_val, target[val_idx], sample_weight[val_idx])
        self.n_outputs_ = int(n_outputs)
        self.init_bias_ = init_bias

        def report(record: dict[str, _Any]) -> None:
            if self.verbose:
                shown = ", ".join(
                    f"{k}={v:.6g}" for k, v in record.items() if k != "epoch" and isinstance(v, float)
                )
                print(f"epoch {record['epoch']}: {shown}", flush=True)
            if callback is not None:
                callback(record)

        if self.model == "gbdt":
            self._fit_gbdt(Z_train, target[train_idx], sample_weight[train_idx], validation, report)
            return
        net = self._initial_model(Z_train.shape[1])
        metrics = _metric_functions(self, self.metrics)
        if self._optimizer() == SOLVER:
            import warnings

            def run(l2: float) -> _Any:
                return solve(
                    net,
                    self.loss_,
                    Z_train,
                    target[rows],
                    sample_weight=w_train,
                    validation=validation,
                    tol=self.tol,
                    max_iter=self.max_iter,
                    metrics=metrics,
                    callback=report,
                    l2=l2,
                )

            result = run(float(self.weight_decay))
            if not self.weight_decay and separated(self.loss_, result):
                # no finite optimum: scikit-learn's LogisticRegression default (C = 1) on the
                # standardised features, ½‖W‖²/n added to the mean loss
                l2 = 1.0 / len(train_idx)
                warnings.warn(
                    f"{type(self).__name__}: the training rows are separable by a linear score, so the "
                    f"unpenalised fit of loss {self.loss_.name!r} has no finite optimum (a score reached "
                    f"{result.max_abs_score:.3g} and kept growing); refitted with the ridge penalty "
                    f"½‖W‖²/n = weight_decay {l2:.3g} (scikit-learn's LogisticRegression default, C = 1). "
                    "Pass weight_decay= to choose it.",
                    SeparationWarning,
                    stacklevel=3,
                )
                net = self._initial_model(Z_train.shape[1])
                result = run(l2)
            if not result.converged:
                from sklearn.exceptions import ConvergenceWarning

                warnings.warn(
                    f"{type(self).__name__}: the solver stopped after max_iter={self.max_iter} iterations "
                    f"before reaching tol={self.tol:g} with loss {self.loss_.name!r}; raise max_iter "
                    "(or check the features for near-duplicate columns).",
                    ConvergenceWarning,
                    stacklevel=3,
                )
            self._keep(net, result)
            return
        result = train_fit(
            net,
            self.loss_,
            Z_train,
            target[train_idx],
            sample_weight=sample_weight[train_idx],
            validation=validation,
            optimizer=self._optimizer(),
            lr=self.lr,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            schedule=self.schedule,
            epochs=self.epochs,
            batch_size=self.batch_size,
            early_stopping=self._early_stopping(),
            patience=self.patience,
            seed=int(self.seed),
            metrics=metrics,
            callback=report,
        )
        self._keep(net, result)

    def _keep(self, net: _Any, result: _Any) -> None:
        self.model_ = net
        self.history_ = result.history
        self.n_iter_ = result.n_epochs
        self.best_epoch_ = result.best_epoch

    def _fit_gbdt(self, Z: _Any, target: _Any, w: _Any, validation: _Any, report: _Any) -> None:
        import torch

        from ..train.boosting import fit_gbdt

        if self.metrics:
            raise _ParameterError(
                "per-epoch metrics are recorded for model='linear' and 'mlp'; with model='gbdt' the "
                "history has the training and validation loss per boosting round. Drop metrics=."
            )
        booster, history, n, best = fit_gbdt(
            self.loss_,
            Z,
            target,
            sample_weight=w,
            validation=validation,
            rounds=self.epochs,
            lr=self.lr,
            early_stopping=self._early_stopping(),
            patience=self.patience,
            seed=int(self.seed),
            threads=torch.get_num_threads(),
            params=self.gbdt_params,
            n_classes=self.n_outputs_ if self.loss_.multiclass else None,
            callback=report,
        )
        self.model_ = booster
        self.history_ = history
        self.n_iter_ = n
        self.best_epoch_ = best

    def _initial_model(self, n_features: int) -> _Any:
        """The network as training starts: seeded initialisation, output bias at the loss's baseline."""
        import torch

        from ..train.models import build_model, output_floor

        hidden = (self.hidden,) if isinstance(self.hidden, int) else tuple(self.hidden)

        def build() -> _Any:
            return build_model(
                self.model,
                n_features,
                self.n_outputs_,
                hidden=hidden,
                activation=self.activation,
                dropout=float(self.dropout),
                init_bias=self.init_bias_,
                output_scale=getattr(self, "output_scale_", 1.0),
                floor=output_floor(self.loss_),  # msle: f = expm1(s) > −1 by construction
                dtype=_torch_dtype(self.dtype),
            ).to(self.device)

        if self.model == "linear":
            return build()  # zero weights: nothing random to seed (and seeding torch costs ~2 ms)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self.seed))
            return build()

    def predict_raw(self, X: _Any) -> _np.ndarray:
        """The model's raw output f(x), what the loss takes as ``y_pred``: shape (n,) or (n, k)."""
        return self._raw(X)

    # -- linear coefficients ------------------------------------------------------------------
    def _linear_coef(self) -> tuple[_np.ndarray, _np.ndarray]:
        """(coef (k, p), intercept (k,)) of a linear model in unscaled feature units."""
        from sklearn.utils.validation import check_is_fitted

        from ..train.preprocess import numeric_scaling

        check_is_fitted(self, "model_")
        if self.model != "linear":
            raise AttributeError(
                f"coef_ exists for model='linear' only; this estimator has model={self.model!r}."
            )
        scale = float(self.model_.output_scale)
        W = self.model_.linear.weight.detach().cpu().numpy().astype(_np.float64) * scale
        b = self.model_.linear.bias.detach().cpu().numpy().astype(_np.float64) * scale
        m, mean, scale = numeric_scaling(self.preprocessor_)
        W[:, :m] = W[:, :m] / scale
        b = b - W[:, :m] @ mean
        return W, b

    def step_trace(
        self,
        X: _Any,
        y: _Any,
        *,
        lr: float | None = None,
        sample_weight: _Any = None,
        initial: bool = False,
    ) -> _Any:
        """One plain gradient-descent step θ − η∇L on ``(X, y)``, laid open (`losslab.train.StepTrace`).

        The rows are preprocessed as in training. With ``initial=True`` the step starts from the
        weights training started from (same seed, output bias at the loss's baseline), else from
        the fitted weights; the fitted model is not changed. ``lr`` defaults to the estimator's.
        """
        from sklearn.utils.validation import check_is_fitted

        from ..train.trace import step_trace

        check_is_fitted(self, "model_")
        if self.model in ("gbdt", "constant"):
            raise _ParameterError(
                f"step_trace lays open a gradient-descent step of a network; model={self.model!r} has none."
            )
        X = self._check_X(X, reset=False)
        target = self._encode_target(y)
        eta = lr if lr is not None else _default_lr(self._optimizer(), self.lr)
        names = list(self.preprocessor_.get_feature_names_out())
        Z = self._design(X)
        model = self._initial_model(int(Z.shape[1])) if initial else self.model_
        return step_trace(
            model,
            self.loss_,
            Z,
            target,
            lr=eta,
            sample_weight=sample_weight,
            features=names,
        )


def _output_scale(loss: _Any, y: _np.ndarray, w: _np.ndarray) -> float:
    """The target's weighted standard deviation for identity-link losses (1 otherwise).

    The network's output layer is multiplied by it (`losslab.train.LinearModel`), so the
    weights are learnt in standardised units while the loss sees predictions in y's units. A loss
    whose output is floored (`losslab.train.models.output_floor`) learns on a log scale: 1.
    """
    from ..train.models import output_floor

    if (
        getattr(loss.link, "kind", None) != _LinkKind.IDENTITY
        or w.sum() <= 0
        or output_floor(loss) is not None
    ):
        return 1.0
    mean = _np.average(y, weights=w)
    sd = float(_np.sqrt(_np.average((y - mean) ** 2, weights=w)))
    return sd if _np.isfinite(sd) and sd > 0 else 1.0


def _check_raw_scores(loss: _Any, n_classes: int) -> None:
    """The models output raw scores (any real number); a loss on probabilities cannot take them."""
    from .._core.errors import DomainError

    k = n_classes if loss.multiclass else None
    y = _np.zeros(2, dtype=_np.int64) if loss.multiclass else _np.zeros(2)
    if loss.info.task == "distribution":
        y = _np.eye(n_classes)[[0, 0]]
    raw = _np.array([-30.0, 30.0]) if k is None else _np.full((2, k), 30.0) * [[-1.0], [1.0]]
    try:
        loss(y, raw)
    except DomainError as exc:
        raise _ParameterError(
            f"loss {loss.name!r} cannot take the model's raw scores (any real number): {exc} "
            "Use the loss on logits (from_logits=True)."
        ) from None


def _is_structured_y(y: _Any) -> bool:
    """A structured target (`losslab.targets`), or a NumPy structured array or (n, 2) array a
    structured loss reads as one (a 1-D y stays the plain target every regressor takes)."""
    from .._core.targets import Structured

    if isinstance(y, Structured):
        return True
    a = _np.asarray(y) if not hasattr(y, "to_numpy") else y.to_numpy()
    return bool(a.dtype.names) or a.ndim == 2


def _require_y(est: _Any, y: _Any) -> None:
    if y is None:
        raise ValueError(
            f"{type(est).__name__} requires y to be passed, but the target y is None; pass the targets."
        )


def _default_lr(optimizer: str, lr: float | None) -> float:
    from ..train.loop import DEFAULT_LR

    return float(lr) if lr is not None else DEFAULT_LR.get(optimizer, 0.01)


def _torch_dtype(name: str) -> _Any:
    import torch

    return torch.float32 if name == "float32" else torch.float64


def _take(X: _Any, idx: _np.ndarray) -> _Any:
    return X.iloc[idx] if _is_frame(X) else X[idx]


def _unit(w: _np.ndarray) -> bool:
    """All weights 1 (the default ``sample_weight``)."""
    return bool(_np.all(w == 1.0))


def _sample_weight(sample_weight: _Any, X: _Any) -> _np.ndarray:
    from sklearn.utils.validation import _check_sample_weight

    return _np.asarray(
        _check_sample_weight(sample_weight, X, dtype=_np.float64, ensure_non_negative=True), dtype=_np.float64
    )


def _n_samples(X: _Any) -> int:
    from sklearn.utils.validation import _num_samples

    return int(_num_samples(X))


def _metric_functions(est: _Any, names: _Any) -> dict[str, _Any]:
    """Per-epoch validation metrics: callables (y, raw, w) on torch tensors → float."""
    if not names:
        return {}
    if isinstance(names, str):
        names = (names,)
    out = {}
    for name in names:
        out[str(name)] = _metric(est, str(name))
    return out


def _metric(est: _Any, name: str) -> _Any:
    """A metric of the table (`losslab.metrics`) that fits the estimator's task, else a losslab loss.

    A table metric is computed on the estimator's predictions (response, labels, probabilities,
    logits) and is NaN where the table says it is undefined; a loss is evaluated on raw scores.
    """
    import losslab

    from ..metrics import get_metric, list_metrics

    def np_(t: _Any) -> _np.ndarray:
        return t.detach().cpu().numpy()

    task = _task_of(est)
    try:
        metric = get_metric(name)
    except _DataError:
        metric = None
    if metric is not None and task in metric.tasks:
        if metric.needs == "probability" and not est._has_proba():
            raise _ParameterError(f"metric {name!r} needs probabilities; loss {est.loss_.name!r} gives none.")
        return lambda y, raw, w: _evaluate(metric, est._predictions(np_(raw), np_(y), np_(w)))
    try:
        other = losslab.get(name)
    except Exception:  # noqa: BLE001 - reported below with the valid names
        raise _ParameterError(
            f"unknown metric {name!r}; use one of {', '.join(list_metrics(task))} or a losslab loss name."
        ) from None
    return lambda y, raw, w: float(other(np_(y), np_(raw).astype(_np.float64), sample_weight=np_(w)))


def _task_of(est: _Any) -> str:
    """The estimator's task, which its class names: regression, or binary/multiclass by its classes."""
    if isinstance(est, LossClassifier):
        return "binary" if len(est.classes_) == 2 else "multiclass"
    return "regression"


def _evaluate(metric: _Any, pred: _Any) -> float:
    """The metric's value, NaN where the table says it is undefined (e.g. ROC-AUC on one class)."""
    from ..metrics import MetricUndefined

    try:
        with _np.errstate(all="ignore"):
            return float(metric(pred))
    except MetricUndefined:
        return float("nan")


def _score(est: _Any, name: str, X: _Any, y: _Any, sample_weight: _Any) -> float:
    """``score``: metric ``name`` of the table on ``predict(X)`` (scikit-learn's score convention)."""
    from ..metrics import Predictions, get_metric

    k = len(est.classes_) if isinstance(est, LossClassifier) else 0
    y = _np.asarray(y) if k else _np.asarray(y, dtype=_np.float64)
    w = None if sample_weight is None else _np.asarray(sample_weight, dtype=_np.float64)
    pred = est.predict(X)
    if k:  # labels compared as given, so a label unseen in fit just counts as wrong
        p = Predictions(y_true=y, label=pred, n_classes=k, sample_weight=w)
    else:
        p = Predictions(y_true=y, value=pred, sample_weight=w)
    return _evaluate(get_metric(name), p)


class LossRegressor(_RegressorMixin, _LossEstimator):
    r"""A regressor trained on any losslab regression loss (by default a linear model at the optimum).

    The model (``"linear"`` or ``"mlp"``, PyTorch) outputs a raw score f(x); training minimises
    the weighted mean loss Σwᵢℓ(yᵢ, f(xᵢ))/Σw. By default a linear model is fitted on all rows
    to the optimum by Newton's method or L-BFGS (`losslab.train.solve`; for a smooth convex loss the
    unique minimiser, the answer of least squares, a GLM or a robust regression), and a network
    by mini-batch Adam with a 10% hold-out and early stopping. ``predict`` returns the
    loss's response ``loss.link.inverse(f(x))``: the conditional mean for ``mse``, the median for
    ``mae``, the τ-quantile for ``quantile`` — whatever the loss estimates (``loss_.statistic``).

    Features are preprocessed inside the estimator, fitted on the training rows only: numeric
    columns median-imputed and standardised (to the weighted mean and standard deviation when
    ``sample_weight`` is given, so that a weight of 2 is a repeated row), other columns
    (strings, categories) one-hot encoded with missing values as their own category. X may be
    a NumPy array or a pandas DataFrame.

    Parameters
    ----------
    loss : str, dict or losslab.Loss, default "mse"
        A regression loss (``"huber"``, ``{"name": "quantile", "quantile": 0.9}``, an instance).
        A loss that reads censored values (``target_type`` `losslab.targets.Bounds`: Tobit) also
        takes ``y`` as a `Bounds` (or an (n, 2) array [lower, upper]); the model is then the
        linear one fitted by the solver (or ``"constant"``).
    model : {"linear", "mlp", "gbdt", "constant"}
        A linear model, a multilayer perceptron (PyTorch, trained by the loop of
        `losslab.train`), gradient-boosted trees (LightGBM with the loss as its objective and
        the loss's best constant as init score; `losslab.train.boosting`), or the intercept-only
        baseline (``"constant"``: the loss's best constant ``loss.baseline(y)`` on every row). For ``"gbdt"``
        ``epochs`` counts boosting rounds, ``lr`` is the shrinkage (default 0.1), ``patience``
        applies to rounds, and ``gbdt_params`` passes LightGBM parameters (``num_leaves``…);
        the network parameters (hidden, optimizer, batch_size, …) are unused.
    hidden, activation, dropout
        MLP hidden sizes, activation (relu, tanh, sigmoid, gelu, elu, leaky_relu, silu) and
        dropout probability.
    optimizer : {"auto", "solver", "adam", "sgd", "momentum", "nesterov", "lbfgs"}
        ``"auto"`` is ``"solver"`` for ``model="linear"`` and ``"adam"`` otherwise.
        ``"solver"`` (linear model only) is `losslab.train.solve` on all training rows — Newton
        with the loss's exact Hessian for one-output convex losses that have one, SciPy's
        L-BFGS-B otherwise — run until the largest gradient entry of L/|L₀| is below ``tol``
        (Newton: or its decrement ∇LᵀH⁺∇L/|L₀|, then with one last full step) or for
        ``max_iter`` iterations
        (``lr``, ``batch_size``, ``schedule``, ``epochs`` and ``patience`` do not apply). The others
        are epochs of the gradient-descent loop `losslab.train.fit`: ``"sgd"`` is plain
        θ ← θ − η∇L (heavy-ball if ``momentum`` > 0); ``"lbfgs"`` is PyTorch's full-batch
        L-BFGS, 20 iterations an epoch.
    lr : float, optional
        Learning rate (default 0.01; 1.0 for lbfgs); unused by the solver.
    momentum, weight_decay : float
        SGD momentum; L2 penalty (0: unpenalised). With the solver (a linear model's default) it
        adds ½·weight_decay·‖W‖² to the mean loss. At 0, when the rows are separable by a linear
        score (the classes, or the zeros of a count) the unpenalised optimum is at infinity: the
        fit warns (`SeparationWarning`) and uses weight_decay = 1/n, scikit-learn's
        LogisticRegression default (C = 1).
    schedule : {None, "step", "cosine", "exponential"}
        Per-epoch learning-rate schedule.
    epochs, batch_size : int
        Passes over the data (boosting rounds for gbdt) and rows per mini-batch (default
        min(64, n)).
    validation_fraction, early_stopping, patience
        Held-out share of rows (0 disables validation); stop after ``patience`` epochs without
        improvement of the validation loss (training loss without validation) and restore the
        best weights. ``"auto"`` (the default): no hold-out and no early stopping for the solver,
        which fits all rows to the optimum; a 10% hold-out and early stopping otherwise. With the
        solver a hold-out is only scored (``val_loss`` per iteration), and early stopping is
        an error.
    tol, max_iter
        The solver's tolerance on the gradient of L/|L₀| (L₀ the loss of the starting model; for
        Newton also on its decrement) and its iteration cap (a ``ConvergenceWarning`` when the
        cap comes first).
    metrics : tuple of str, optional
        Validation metrics per epoch in ``history_``: any regression metric of the table
        `losslab.metrics` (rmse, mse, mae, r2, coverage, pinball …; the same numbers ``losslab
        train`` and `losslab.compare` report), or any losslab loss name (evaluated on raw
        scores); linear and mlp models only.
    gbdt_params : dict, optional
        LightGBM parameters for ``model="gbdt"`` (defaults ``num_leaves=31``,
        ``min_data_in_leaf=20``).
    dtype : {"float64", "float32"}
    seed : int
        Seeds initialisation, batch order, dropout and the validation split; the global torch
        random state is left untouched and the torch thread setting is honoured.
    device : str
        Torch device.
    verbose : bool
        Print one line per epoch.

    Attributes
    ----------
    loss_ : losslab.Loss
    model_ : torch.nn.Module
    preprocessor_ : sklearn.compose.ColumnTransformer
    history_ : list of dict
        Per epoch (per iteration for the solver): ``epoch``, ``train_loss``, ``val_loss`` (None
        without validation), ``lr`` (None for the solver, whose line search picks the step) and
        the metrics.
    n_iter_ : int
        Epochs (solver iterations) run.
    best_epoch_ : int
        The epoch whose weights the model holds.
    coef_, intercept_
        For ``model="linear"``: coefficients in the units of the input features (one-hot
        columns for categories, ordered as ``preprocessor_.get_feature_names_out()``).

    Examples
    --------
    >>> import numpy as np
    >>> from losslab.sklearn import LossRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = X @ [1.5, -2.0] + 0.5 + rng.normal(0, 0.1, 200)
    >>> reg = LossRegressor(loss="mse").fit(X, y)  # least squares, to float precision
    >>> np.round(reg.coef_, 2).tolist(), round(float(reg.intercept_), 2)
    ([1.5, -2.0], 0.5)
    >>> A = np.c_[X, np.ones(200)]; exact = A @ np.linalg.lstsq(A, y, rcond=None)[0]
    >>> bool(np.abs(reg.predict(X) - exact).max() < 1e-8 * y.std())
    True
    """

    def __init__(
        self,
        loss: _Any = "mse",
        model: str = "linear",
        hidden: tuple[int, ...] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        optimizer: str = "auto",
        lr: float | None = None,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        schedule: str | None = None,
        epochs: int = 200,
        batch_size: int | None = None,
        validation_fraction: float | str = "auto",
        early_stopping: bool | str = "auto",
        patience: int = 10,
        tol: float = 1e-10,
        max_iter: int = 1000,
        metrics: tuple[str, ...] | None = None,
        gbdt_params: dict[str, _Any] | None = None,
        dtype: str = "float64",
        seed: int = 0,
        device: str = "cpu",
        verbose: bool = False,
    ) -> None:
        super().__init__(
            loss=loss,
            model=model,
            hidden=hidden,
            activation=activation,
            dropout=dropout,
            optimizer=optimizer,
            lr=lr,
            momentum=momentum,
            weight_decay=weight_decay,
            schedule=schedule,
            epochs=epochs,
            batch_size=batch_size,
            validation_fraction=validation_fraction,
            early_stopping=early_stopping,
            patience=patience,
            tol=tol,
            max_iter=max_iter,
            metrics=metrics,
            gbdt_params=gbdt_params,
            dtype=dtype,
            seed=seed,
            device=device,
            verbose=verbose,
        )

    def _resolve_loss(self) -> _Any:
        import losslab

        from ..tasks import soft_label_mean

        loss = losslab.get(self._default_loss if self.loss in (None, "auto") else self.loss)
        # a soft-label cross-entropy with a logit link fits the mean of a proportion in [0, 1]
        if loss.info.task != "regression" and not soft_label_mean(loss):
            raise _ParameterError(
                f"LossRegressor needs a regression loss (or a soft-label cross-entropy for proportions); "
                f"loss {loss.name!r} is for task {loss.info.task!r} (use LossClassifier)."
            )
        if loss.multiclass:
            raise _ParameterError(
                f"loss {loss.name!r} takes several raw outputs per sample (y_pred "
                f"{loss.info.y_pred.describe()}, shape {loss.info.y_pred.shape}); "
                "LossRegressor trains models with one raw output per sample."
            )
        return loss

    def _encode_target(self, y: _Any) -> _np.ndarray:
        from sklearn.utils.validation import check_array, column_or_1d

        y = check_array(y, ensure_2d=False, dtype="numeric", ensure_all_finite=True, input_name="y")
        return column_or_1d(y, warn=True).astype(_np.float64)

    def fit(self, X: _Any, y: _Any, sample_weight: _Any = None, *, callback: _Any = None) -> LossRegressor:
        """Train on ``(X, y)``; ``callback(record)`` is called after every epoch.

        Raises
        ------
        DomainError
            A target the loss cannot take (e.g. y ≤ −1 for ``msle``).
        DivergenceError
            The loss became NaN/inf (names the epoch; lower ``lr``).
        """
        from sklearn.utils.validation import check_consistent_length

        self._check_common_params()
        loss = self._resolve_loss()
        _require_y(self, y)
        if loss.target_type is not None and _is_structured_y(y):
            # a censored target (Bounds: Tobit) for a loss that reads one: the linear solver
            from .structured import fit_linear

            target = loss.target_type.coerce(loss, y).normalised(loss.name)
            target.check(loss.name)
            self.loss_ = loss = _clone(loss)
            fit_linear(self, X, target, sample_weight, loss)
            return self
        X = self._check_X(X, reset=True)
        y = self._encode_target(y)
        check_consistent_length(X, y)
        w = _sample_weight(sample_weight, X)
        self.loss_ = loss = _clone(loss)  # a copy: set_params(loss__…) leaves the fitted loss
        # also validates y against the loss's domain; unit weights as None (no weighted reductions)
        init = loss.baseline(y, None if _unit(w) else w)
        self.output_scale_ = _output_scale(loss, y, w)
        self._fit_model(X, y, w, 1, init, None, callback)
        return self

    def predict(self, X: _Any) -> _np.ndarray:
        """The loss's statistic of y given x: ``loss_.link.inverse(raw)`` (mean, median, quantile…)."""
        raw = self._raw(X)
        return _np.asarray(self.loss_.link.inverse(raw), dtype=_np.float64)

    def score(self, X: _Any, y: _Any, sample_weight: _Any = None) -> float:
        """R² of ``predict(X)`` against ``y`` (``r2`` of `losslab.metrics`; NaN with one sample)."""
        return _score(self, "r2", X, y, sample_weight)

    def _predictions(self, raw: _Any, y: _Any, w: _Any = None) -> _Any:
        """`losslab.metrics.Predictions` of raw scores against targets ``y``: the response values."""
        from ..metrics import Predictions

        value = _np.asarray(self.loss_.link.inverse(_np.asarray(raw, dtype=_np.float64)), dtype=_np.float64)
        return Predictions(y_true=_np.asarray(y, dtype=_np.float64), value=value, sample_weight=w)

    @property
    def coef_(self) -> _np.ndarray:
        """Coefficients of a linear model, in input-feature units (shape (n_features_out,))."""
        return self._linear_coef()[0][0]

    @property
    def intercept_(self) -> float:
        """Intercept of a linear model, in input units."""
        return float(self._linear_coef()[1][0])


def class_logits(loss: _Any, raw: _np.ndarray) -> _np.ndarray:
    r"""Raw scores as logits whose softmax is the classifier's ``predict_proba`` (a binary
    score, one per row, as it is): the scores of a softmax link; for a link that maps each
    column on its own (one-vs-rest, σ(c zⱼ): ``multiclassova``) log σ(c zⱼ), whose softmax
    σ(c zⱼ)/Σₖ σ(c zₖ) is scikit-learn's normalisation of one-vs-rest probabilities — so the
    log loss and the Brier score see a distribution, and the log loss is exact in log space.
    """
    link = loss.link
    if raw.ndim == 2 and link.kind == _LinkKind.LOGIT:
        return _np.asarray(link.log_inverse(raw), dtype=_np.float64)
    return raw


def _clf_has_proba(self: _Any) -> bool:
    return self._has_proba()


class LossClassifier(_ClassifierMixin, _LossEstimator):
    r"""A classifier trained on any losslab classification loss (by default a linear model at the optimum).

    Labels of any type (strings, integers, …) are encoded as ``classes_``. With ``loss=None``
    (or ``"auto"``) the loss is ``binary_crossentropy`` for two classes and
    ``categorical_crossentropy`` for more. A binary loss uses one raw score f (class
    ``classes_[1]`` when f > 0); a multiclass loss one score per class.

    ``predict_proba`` applies the loss's link (sigmoid for logits, softmax): the probabilities
    are those the loss estimates — calibrated by construction for proper scoring rules such as
    cross-entropy, with no reweighting. A loss without a probabilistic link (``hinge``) has no
    ``predict_proba`` (``hasattr`` is False) but has ``decision_function``.

    Parameters are those of `LossRegressor` (same preprocessing, models, optimisers and
    defaults: the linear model is fitted on all rows to the optimum — for
    ``binary_crossentropy`` unpenalised logistic regression); ``metrics`` takes accuracy,
    balanced_accuracy, f1, log_loss, roc_auc, brier, or a losslab loss name. A validation
    split is stratified by class.

    Attributes
    ----------
    classes_ : ndarray
    loss_, model_, preprocessor_, history_, n_iter_, best_epoch_
        As in `LossRegressor`.
    coef_, intercept_
        For ``model="linear"``: shape (1, p) and (1,) for a binary loss, (k, p) and (k,) for a
        multiclass one, in input-feature units.

    Examples
    --------
    >>> import numpy as np
    >>> from losslab.sklearn import LossClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2))
    >>> y = np.where(X[:, 0] - X[:, 1] + rng.logistic(size=300) > 0, "yes", "no")
    >>> clf = LossClassifier(epochs=50).fit(X, y)
    >>> clf.classes_.tolist(), clf.loss_.name
    (['no', 'yes'], 'binary_crossentropy')
    >>> clf.predict_proba(X[:2]).sum(axis=1).round(12).tolist()
    [1.0, 1.0]
    """

    def __sklearn_tags__(self) -> _Any:
        tags = super().__sklearn_tags__()
        try:
            spec = self._loss_spec(3)
            tags.classifier_tags.multi_class = spec.info.task != "binary"
        except Exception:  # noqa: BLE001 - an invalid loss is reported by fit, not by tags
            pass
        return tags

    def _loss_spec(self, n_classes: int) -> _Any:
        import losslab

        if self.loss is None or self.loss == "auto":
            return losslab.get("binary_crossentropy" if n_classes == 2 else "categorical_crossentropy")
        return losslab.get(self.loss)

    def _resolve_loss(self, n_classes: int) -> _Any:
        loss = self._loss_spec(n_classes)
        task = loss.info.task
        if task == "regression":
            raise _ParameterError(
                f"LossClassifier needs a classification loss; loss {loss.name!r} is a regression loss "
                "(use LossRegressor)."
            )
        if not loss.multiclass and n_classes > 2:
            raise _DataError(
                f"Only binary classification is supported by loss {loss.name!r}; y has {n_classes} "
                "classes. Use 'categorical_crossentropy' (or loss=None to choose by the number of classes)."
            )
        return loss

    def _has_proba(self) -> bool:
        loss = getattr(self, "loss_", None)
        if loss is None:
            try:
                loss = self._loss_spec(2)
            except Exception:  # noqa: BLE001 - an invalid loss is reported by fit
                return True
        link = getattr(loss, "link", None)
        return getattr(link, "kind", None) in _PROBA_LINKS

    def _encode_target(self, y: _Any) -> _np.ndarray:
        """Labels → the loss's target: 0/1 floats (binary), class indices, or one-hot rows."""
        from sklearn.utils.validation import column_or_1d

        y = column_or_1d(_np.asarray(y), warn=True)
        idx = _np.searchsorted(self.classes_, y)
        idx = _np.clip(idx, 0, len(self.classes_) - 1)
        bad = self.classes_[idx] != y
        if _np.any(bad):
            raise _DataError(
                f"label {y[_np.flatnonzero(bad)[0]]!r} was not seen in fit; the classes are "
                f"{self.classes_.tolist()}."
            )
        return self._target_from_index(idx)

    def _target_from_index(self, idx: _np.ndarray) -> _np.ndarray:
        if not self.loss_.multiclass:
            return idx.astype(_np.float64)
        if self.loss_.info.task == "distribution":
            return _np.eye(len(self.classes_))[idx]
        return idx.astype(_np.int64)

    def fit(self, X: _Any, y: _Any, sample_weight: _Any = None, *, callback: _Any = None) -> LossClassifier:
        """Train on ``(X, y)``; ``callback(record)`` is called after every epoch.

        Raises
        ------
        DataError
            y has fewer than two classes (after dropping zero-weight rows).
        DivergenceError
            The loss became NaN/inf (names the epoch; lower ``lr``).
        """
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import check_consistent_length, column_or_1d

        self._check_common_params()
        _require_y(self, y)
        X = self._check_X(X, reset=True)
        y = column_or_1d(_np.asarray(y) if not hasattr(y, "to_numpy") else y.to_numpy(), warn=True)
        check_classification_targets(y)
        check_consistent_length(X, y)
        w = _sample_weight(sample_weight, X)
        classes, idx = _np.unique(y, return_inverse=True)
        present = _np.unique(idx[w > 0])
        if len(classes) < 2 or len(present) < 2:
            only = classes[present[0]] if len(present) else classes[0]
            what = "y has" if len(classes) < 2 else "the rows with positive sample_weight have"
            raise _DataError(
                f"LossClassifier needs at least two classes; {what} one class only (label {only!r})."
            )
        self.classes_ = classes
        loss = self._resolve_loss(len(classes))
        _check_raw_scores(loss, len(classes))
        self.loss_ = loss = _clone(loss)  # a copy: set_params(loss__…) leaves the fitted loss
        n_outputs = len(classes) if loss.multiclass else 1
        target = self._target_from_index(idx)
        # also validates the targets against the loss's domain; unit weights as None
        init = loss.baseline(target, None if _unit(w) else w)
        self._fit_model(X, target, w, n_outputs, init, idx, callback)
        return self

    def decision_function(self, X: _Any) -> _np.ndarray:
        """Raw scores: shape (n,) for a binary loss (f > 0 → ``classes_[1]``), (n, k) otherwise."""
        return self._raw(X)

    def _labels_from_raw(self, raw: _np.ndarray) -> _np.ndarray:
        if raw.ndim == 1:
            return (raw > 0).astype(_np.int64)
        return raw.argmax(axis=1)

    def _proba_from_raw(self, raw: _np.ndarray) -> _np.ndarray:
        link = self.loss_.link
        if raw.ndim == 1:
            # [σ(−f), σ(f)]: each computed directly, so neither column loses precision
            return _np.stack([link.inverse(-raw), link.inverse(raw)], axis=1)
        if link.kind == _LinkKind.LOGIT:  # one-vs-rest σ(zⱼ): normalised, as scikit-learn's OvR
            from .._core import special

            return _np.exp(special.log_softmax(_np, class_logits(self.loss_, raw)))
        return _np.asarray(link.inverse(raw))

    def predict(self, X: _Any) -> _np.ndarray:
        """The class with the highest score (``classes_[1]`` when a binary score is > 0)."""
        labels = self._labels_from_raw(self._raw(X))
        return self.classes_[labels]

    def score(self, X: _Any, y: _Any, sample_weight: _Any = None) -> float:
        """Share of ``predict(X)`` equal to ``y`` (``accuracy`` of `losslab.metrics`)."""
        return _score(self, "accuracy", X, y, sample_weight)

    def _predictions(self, raw: _Any, y: _Any, w: _Any = None) -> _Any:
        """`losslab.metrics.Predictions` of raw scores against loss targets ``y`` (0/1, indices or one-hot).

        Class indices, predicted labels, probabilities (a logit/softmax link) and the raw scores as
        logits, so the log loss is exact.
        """
        from ..metrics import Predictions

        raw = _np.asarray(raw, dtype=_np.float64)
        y = _np.asarray(y)
        idx = y.argmax(axis=1) if y.ndim == 2 else y.astype(_np.int64)
        proba = self._proba_from_raw(raw) if self._has_proba() else None
        return Predictions(
            y_true=idx,
            label=self._labels_from_raw(raw),
            proba=proba,
            logits=class_logits(self.loss_, raw) if proba is not None else None,
            score=raw if proba is None else None,  # a margin loss: its scores still rank (ROC-AUC)
            n_classes=len(self.classes_),
            sample_weight=w,
        )

    @_available_if(_clf_has_proba)
    def predict_proba(self, X: _Any) -> _np.ndarray:
        """Class probabilities from the loss's link (sigmoid or softmax of the raw scores)."""
        return self._proba_from_raw(self._raw(X))

    @_available_if(_clf_has_proba)
    def predict_log_proba(self, X: _Any) -> _np.ndarray:
        """log of `predict_proba`, computed in log space (log-sigmoid, log-softmax)."""
        from .._core import special

        raw = self._raw(X)
        if raw.ndim == 1:
            return _np.stack([special.log_sigmoid(_np, -raw), special.log_sigmoid(_np, raw)], axis=1)
        return special.log_softmax(_np, class_logits(self.loss_, raw))

    @property
    def coef_(self) -> _np.ndarray:
        """Coefficients of a linear model, (1, p) for a binary loss or (k, p), in input units."""
        return self._linear_coef()[0]

    @property
    def intercept_(self) -> _np.ndarray:
        """Intercepts of a linear model, (1,) or (k,)."""
        return self._linear_coef()[1]
