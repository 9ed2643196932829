"""scikit-learn estimators for the tasks whose target is structured (`losslab.targets`):
`LossSurvivalRegressor` (survival), `LossRanker` (ranking), `LossOrdinalClassifier` (ordinal).

Each trains a linear score f(x) = wᵀz + b (``model="linear"``, the default: `losslab.train.solve`
on all rows, L-BFGS for a coupled loss) or the intercept-only baseline (``model="constant"``) on a
loss chosen by its metadata: its task (``info.task``) must be the estimator's, and it receives the
target as its ``target_type`` reads it. A loss whose gradient is a recipe (LambdaRank, XE-NDCG:
``info.gradient == "recipe"``) cannot be minimised by the solver, which refuses it with a message
pointing to boosting (`losslab.lightgbm` / `losslab.xgboost` objectives).

What each predicts, from the loss's own prediction functions:

- survival: ``predict`` a risk score (higher: earlier event) — the raw score of a hazard model
  (target `Survival`, e.g. Cox), minus the raw score of a model of the (log) time (target
  `Bounds`, e.g. AFT); ``predict_survival_function(X, times)`` the loss's
  ``survival_function(y_train, f_train, f, times)`` (Breslow's baseline for Cox);
- ranking: ``predict`` the scores to sort each query's rows by;
- ordinal: ``predict_proba`` the loss's ``probabilities(f)`` (n, k) and ``predict`` the most
  probable level; the thresholds are the loss's ``fit_thresholds`` alternated with the linear fit.

Imports scikit-learn; PyTorch is imported when an estimator is fitted.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin

from .._core.errors import DataError, ParameterError
from .._core.info import Task
from .._core.targets import Bounds, Ordinal, Ranking, Structured, Survival
from .estimators import SOLVER, _evaluate, _LossEstimator, _sample_weight

__all__ = ["LossOrdinalClassifier", "LossRanker", "LossSurvivalRegressor", "fit_linear", "predictions_of"]

#: the models the structured estimators train
MODELS = ("linear", "constant")

#: alternation rounds of the ordinal fit (linear score, then thresholds) at most
ORDINAL_ROUNDS = 200


def _check_model(est: Any) -> None:
    """The model and optimiser a structured fit supports: the solver's linear model, or the constant."""
    if est.model not in MODELS:
        raise ParameterError(
            f"{type(est).__name__} trains model='linear' (the solver) or 'constant'; got "
            f"{est.model!r}. For trees boost the loss with its LightGBM/XGBoost objective "
            "(losslab.lightgbm, losslab.xgboost)."
        )
    if est.optimizer not in (None, "auto", SOLVER):
        raise ParameterError(
            f"{type(est).__name__} fits the linear model with the solver (optimizer='auto'); got "
            f"optimizer={est.optimizer!r}."
        )


def fit_linear(est: Any, X: Any, target: Structured, sample_weight: Any, loss: Any) -> np.ndarray:
    """Fit ``est`` (a losslab estimator) to a structured ``target``: preprocess X, fit the linear
    score with the solver (or the constant); returns the training rows' raw scores. Shared by the
    structured estimators and `LossRegressor` with a censored target (`Bounds`, e.g. Tobit)."""
    from ..train.models import build_model
    from ..train.preprocess import column_kinds, make_preprocessor, weight_scaling
    from ..train.solver import refuse_recipe, solve

    _check_model(est)
    X = est._check_X(X, reset=True)
    if len(target) != X.shape[0]:
        raise DataError(f"X has {X.shape[0]} rows but the target has {len(target)}.")
    w = _sample_weight(sample_weight, X)
    wl = None if bool(np.all(w == 1.0)) else w
    est.loss_ = loss
    est.n_outputs_ = 1
    refuse_recipe(loss, f"{type(est).__name__}'s linear model")
    init = float(loss.baseline(target, wl))  # the best constant score (0 for Cox, ranking)
    est.history_, est.best_epoch_ = [], 0
    if est.model == "constant":
        est.model_ = est.init_bias_ = np.asarray([init])
        est.n_iter_ = 0
        est.preprocessor_ = None
        return np.full(len(target), init)
    est.preprocessor_ = make_preprocessor(column_kinds(X))
    Z = np.asarray(est.preprocessor_.fit_transform(X), dtype=np.float64)
    if np.ptp(w) > 0:
        Z = weight_scaling(est.preprocessor_, Z, w)
    est.init_bias_ = init
    net = build_model("linear", Z.shape[1], 1, init_bias=init)
    result = solve(
        net,
        loss,
        Z,
        target,
        sample_weight=wl,
        tol=est.tol,
        max_iter=est.max_iter,
        l2=float(est.weight_decay),
        callback=_reporter(est),
    )
    if not result.converged:
        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(
            f"{type(est).__name__}: the solver stopped after max_iter={est.max_iter} iterations "
            f"before reaching tol={est.tol:g} with loss {loss.name!r}; raise max_iter.",
            ConvergenceWarning,
            stacklevel=3,
        )
    est._keep(net, result)
    return _raw_rows(est, Z)


def _reporter(est: Any) -> Any:
    def report(record: dict[str, Any]) -> None:
        if est.verbose:
            print(f"iteration {record['epoch']}: train_loss={record['train_loss']:.6g}", flush=True)

    return report


def _raw_rows(est: Any, Z: np.ndarray) -> np.ndarray:
    import torch

    est.model_.eval()
    with torch.no_grad():
        return est.model_(torch.as_tensor(Z)).detach().cpu().numpy().astype(np.float64)


class _StructuredEstimator(_LossEstimator):
    """Shared fit of the structured estimators (not public): the `_LossEstimator` parameters;
    ``model`` is ``"linear"`` (the solver) or ``"constant"``."""

    _task: Task = Task.SURVIVAL
    #: the loss without ``loss=`` (one the linear solver can minimise: no gradient recipe)
    _default_loss: str = "cox"

    def _resolve_loss(self) -> Any:
        import losslab

        loss = losslab.get(self._default_loss if self.loss in (None, "auto") else self.loss)
        if loss.info.task != self._task:
            raise ParameterError(
                f"{type(self).__name__} needs a {self._task} loss; loss {loss.name!r} is for task "
                f"{loss.info.task!r}."
            )
        if loss.multiclass:
            raise ParameterError(f"loss {loss.name!r} takes several raw outputs per row; this estimator one.")
        return loss

    def _target(self, loss: Any, y: Any) -> Structured:
        """``y`` as the loss's structured target, normalised and checked."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        t = loss.target_type.coerce(loss, y).normalised(loss.name)
        t.check(loss.name)
        return t

    @property
    def coef_(self) -> np.ndarray:
        """Coefficients of the linear score, in input-feature units (shape (n_features_out,))."""
        return self._linear_coef()[0][0]

    @property
    def intercept_(self) -> float:
        """Intercept of the linear score, in input units."""
        return float(self._linear_coef()[1][0])

    def _raw(self, X: Any) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        if self.model == "constant":
            X = self._check_X(X, reset=False)
            return np.full(int(X.shape[0]), float(np.asarray(self.model_).reshape(-1)[0]))
        return super()._raw(X)


class LossSurvivalRegressor(_StructuredEstimator):
    r"""A survival model trained on any losslab survival loss (Cox, AFT …): a linear score f(x).

    ``fit(X, y)`` takes ``y`` as the loss's target reads it: a `losslab.targets.Survival`
    (time, event), scikit-survival's structured array (``sksurv.util.Surv``), an (n, 2) array
    ``[time, event]``, or `Bounds` for interval-censored losses. ``predict`` returns a risk score
    (higher: earlier event) — the raw score for a hazard model (target `Survival`), minus it for a
    model of the log time (target `Bounds`: a larger location is a longer time) — and ``score`` is
    Harrell's C-index of it (`losslab.metrics`).

    ``predict_survival_function(X, times)`` returns S(t | x) at ``times``, (n, m), from the
    loss's ``survival_function(y_train, f_train, f, times)`` (for Cox, Breslow's baseline
    estimated on the training rows); a loss without one has no survival curves (AttributeError).

    Without ``loss=`` the loss is ``cox``. Parameters are those of
    `losslab.sklearn.LossRegressor`; ``model`` is ``"linear"`` (fitted to
    the optimum by `losslab.train.solve`: L-BFGS for a coupled loss such as Cox, whose Hessian is
    only the total's diagonal) or ``"constant"``; ``weight_decay`` adds ½·weight_decay·‖W‖².

    Examples
    --------
    >>> import numpy as np
    >>> from losslab.sklearn import LossSurvivalRegressor
    >>> LossSurvivalRegressor(loss="cox").get_params()["loss"]
    'cox'
    """

    _task = Task.SURVIVAL

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LossSurvivalRegressor:
        """Fit the linear score on all rows of ``(X, y)``."""
        loss = self._resolve_loss()
        target = self._target(loss, y)
        self.train_raw_ = fit_linear(self, X, target, sample_weight, loss)
        self.train_target_ = target
        self.train_weight_ = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        return self

    def _target(self, loss: Any, y: Any) -> Structured:
        if issubclass(loss.target_type, Bounds) and getattr(np.asarray(y).dtype, "names", None):
            y = Survival.coerce(loss, y)  # scikit-survival's (event, time) array, for an AFT loss
        return super()._target(loss, y)

    def _sign(self) -> float:
        """+1 when the raw score is a log hazard, −1 when it locates the (log) time (`Bounds`)."""
        return -1.0 if issubclass(self.loss_.target_type, Bounds) else 1.0

    def predict(self, X: Any) -> np.ndarray:
        """Risk scores: higher means an earlier event (what the C-index ranks)."""
        return self._sign() * self._raw(X)

    def predict_survival_function(self, X: Any, times: Any) -> np.ndarray:
        """S(t | x) at the increasing ``times``: shape (n, len(times)), from the loss's
        ``survival_function`` with the training rows' target and scores."""
        fn = getattr(self.loss_, "survival_function", None)
        if fn is None:
            raise AttributeError(
                f"loss {self.loss_.name!r} has no survival_function: it predicts a risk score only."
            )
        times = np.asarray(times, dtype=np.float64)
        raw = self._raw(X)
        return np.asarray(
            fn(self.train_target_, self.train_raw_, raw, times, sample_weight=self.train_weight_),
            dtype=np.float64,
        )

    def has_survival_function(self) -> bool:
        """Whether the fitted loss gives survival curves (`predict_survival_function`)."""
        return callable(getattr(getattr(self, "loss_", None), "survival_function", None))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Harrell's C-index of ``predict(X)`` against the survival target ``y`` (NaN where it is
        undefined: no event, or rows that are neither exact nor right censored)."""
        from ..metrics import Predictions, get_metric

        target = self._target(self.loss_, y)
        p = Predictions(y_true=np.zeros(len(target)), target=target, risk=self.predict(X))
        return _evaluate(get_metric("c_index"), p)


class LossRanker(_StructuredEstimator):
    r"""A ranker trained on any losslab ranking loss (pairwise, MAP …): a linear score f(x) that
    orders the rows of each query.

    ``fit(X, y, group=...)`` takes the relevance grades ``y`` with each row's query id ``group``
    (a query's rows adjacent), or ``y`` a `losslab.targets.Ranking`. ``predict`` returns the
    scores; ``score`` is NDCG@10 averaged over the queries (`losslab.metrics`). A gradient
    recipe (LambdaRank, XE-NDCG) has no value to minimise: it is refused here (boost it with its
    LightGBM/XGBoost objective). Without ``loss=`` the loss is ``pairwise`` (RankNet).

    Examples
    --------
    >>> from losslab.sklearn import LossRanker
    >>> LossRanker(loss="pairwise").get_params()["model"]
    'linear'
    """

    _task = Task.RANKING
    _default_loss = "pairwise"

    def _ranking(self, loss: Any, y: Any, group: Any) -> Structured:
        if group is not None:
            if isinstance(y, Structured):
                raise DataError("give the query ids either in the Ranking target or as group=, not both.")
            y = Ranking(np.asarray(y, dtype=np.float64), np.asarray(group))
        return self._target(loss, y)

    def fit(self, X: Any, y: Any, group: Any = None, sample_weight: Any = None) -> LossRanker:
        """Fit the linear score on all rows; ``group`` the query id of each row."""
        loss = self._resolve_loss()
        fit_linear(self, X, self._ranking(loss, y, group), sample_weight, loss)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Scores: within each query, rows with higher scores rank first."""
        return self._raw(X)

    def score(self, X: Any, y: Any, group: Any = None, sample_weight: Any = None) -> float:
        """NDCG@10 of ``predict(X)`` per query, averaged."""
        from ..metrics import Predictions, get_metric

        target = self._ranking(self.loss_, y, group)
        p = Predictions(
            y_true=np.asarray(target.relevance),
            target=target,
            value=self.predict(X),
            sample_weight=sample_weight,
        )
        return _evaluate(get_metric("ndcg:10"), p)


class LossOrdinalClassifier(ClassifierMixin, _StructuredEstimator):
    r"""An ordinal classifier trained on any losslab ordinal loss: a linear score η(x) and the
    loss's ordered thresholds, fitted by alternation.

    ``fit(X, y, levels=None)`` takes ``y`` as a `losslab.targets.Ordinal`, integer codes
    0 … k−1 (``levels`` = k, the level names, or None: k = the largest code + 1), or level
    values with ``levels`` giving their order. Each round fits η with the thresholds fixed
    (`losslab.train.solve`), then the
    thresholds with η fixed (the loss's ``fit_thresholds``: their maximum-likelihood values),
    until the loss no longer decreases (relative change below ``tol``, at most 200 rounds).
    Both steps lower the same likelihood, which is jointly convex for the cumulative logit.

    ``predict_proba`` returns the loss's level probabilities (n, k) (columns in level order,
    ``classes_``), ``predict`` the most probable level, ``predict_median`` the median level
    (the level minimising the expected absolute error in levels); ``score`` is the accuracy.
    Without ``loss=`` the loss is ``ordinal`` (the cumulative logit; its thresholds are learned).

    Examples
    --------
    >>> from losslab.sklearn import LossOrdinalClassifier
    >>> LossOrdinalClassifier(loss="ordinal").get_params()["loss"]
    'ordinal'
    """

    _task = Task.ORDINAL
    _default_loss = "ordinal"

    def _ordinal(self, y: Any, levels: Any) -> Ordinal:
        if isinstance(y, Ordinal):
            return y
        if levels is None or isinstance(levels, (int, np.integer)):
            codes = np.asarray(y)
            k = int(levels) if levels is not None else int(codes.max()) + 1
            return Ordinal(codes, levels=k)
        levels = list(levels)
        codes = np.asarray(y)
        if codes.dtype.kind in "iu" and not any(isinstance(v, (int, np.integer)) for v in levels):
            return Ordinal(codes, levels=tuple(levels))  # codes 0 … k−1 of named levels
        return Ordinal.from_values(y, levels)

    def fit(self, X: Any, y: Any, sample_weight: Any = None, levels: Any = None) -> LossOrdinalClassifier:
        """Fit η(x) and the thresholds by alternation (see the class docstring)."""
        from ..train.models import build_model
        from ..train.preprocess import column_kinds, make_preprocessor, weight_scaling
        from ..train.solver import refuse_recipe, solve

        _check_model(self)
        target = self._ordinal(y, levels).normalised("ordinal")
        target.check("ordinal")
        k = target.n_levels
        self.classes_ = np.asarray(
            list(target.levels) if not isinstance(target.levels, (int, np.integer)) else np.arange(k)
        )
        base = self._levels_of(self._resolve_loss(), k)
        refuse_recipe(base, f"{type(self).__name__}'s linear model")
        X = self._check_X(X, reset=True)
        if len(target) != X.shape[0]:
            raise DataError(f"X has {X.shape[0]} rows but the target has {len(target)}.")
        w = _sample_weight(sample_weight, X)
        wl = None if bool(np.all(w == 1.0)) else w
        n = len(target)
        loss = base.fit_thresholds(target, np.zeros(n), sample_weight=wl)
        self.n_outputs_, self.history_, self.best_epoch_, self.n_iter_ = 1, [], 0, 0
        if self.model == "constant":  # η = 0: the thresholds alone give the level shares
            self.loss_, self.model_, self.init_bias_, self.preprocessor_ = (
                loss,
                np.zeros(1),
                np.zeros(1),
                None,
            )
            return self
        self.preprocessor_ = make_preprocessor(column_kinds(X))
        Z = np.asarray(self.preprocessor_.fit_transform(X), dtype=np.float64)
        if np.ptp(w) > 0:
            Z = weight_scaling(self.preprocessor_, Z, w)
        net = build_model("linear", Z.shape[1], 1, init_bias=0.0)
        self.init_bias_ = 0.0
        previous = math.inf
        for _ in range(ORDINAL_ROUNDS):
            result = solve(
                net, loss, Z, target, sample_weight=wl, tol=self.tol, max_iter=self.max_iter,
                l2=float(self.weight_decay), callback=_reporter(self),
            )  # fmt: skip
            self.n_iter_ += result.n_epochs
            self.history_.extend(result.history)
            self.model_ = net
            eta = _raw_rows(self, Z)
            loss = loss.fit_thresholds(target, eta, sample_weight=wl)
            value = float(loss(target, eta, sample_weight=wl))
            if previous - value <= self.tol * max(abs(value), 1.0):
                break
            previous = value
        self.loss_ = loss
        self.best_epoch_ = self.n_iter_
        return self

    @staticmethod
    def _levels_of(loss: Any, k: int) -> Any:
        """``loss`` for k levels: a loss whose fixed ``thresholds`` define another number of levels
        gets ``thresholds="auto"`` (fitted to the target before the first round)."""
        import losslab

        have = getattr(loss, "n_levels", None)
        if have is None or have == k:
            return loss
        if "thresholds" not in loss.params:
            raise ParameterError(f"loss {loss.name!r} has {have} levels; the target has {k}.")
        return losslab.get({**loss.to_dict(), "thresholds": "auto"})

    def predict_proba(self, X: Any) -> np.ndarray:
        """Level probabilities (n, k), columns in the order of ``classes_``."""
        return np.asarray(self.loss_.probabilities(self._raw(X)), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable level of each row."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def predict_median(self, X: Any) -> np.ndarray:
        """The median level of each row: the first whose cumulative probability reaches ½."""
        return self.classes_[_median_codes(self.predict_proba(X))]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy of ``predict(X)``."""
        from ..metrics import Predictions, get_metric

        codes = np.asarray(self._ordinal(y, self._levels()).label)
        label = self.predict_proba(X).argmax(axis=1)
        p = Predictions(y_true=codes, label=label, n_classes=len(self.classes_), sample_weight=sample_weight)
        return _evaluate(get_metric("accuracy"), p)

    def _levels(self) -> Any:
        c = self.classes_
        return len(c) if np.issubdtype(c.dtype, np.integer) else list(c)


def _median_codes(proba: np.ndarray) -> np.ndarray:
    """Per row, the first level whose cumulative probability reaches ½."""
    return np.minimum((np.cumsum(proba, axis=1) < 0.5).sum(axis=1), proba.shape[1] - 1)


def predictions_of(est: Any, X: Any, train_y: Any = None, test_y: Any = None) -> dict[str, np.ndarray]:
    """What `losslab.metrics` reads from a fitted structured estimator on rows ``X``.

    Survival: ``risk``, and ``survival`` with its ``times`` when the loss gives survival curves
    (the grid: the 10th … 80th percentiles of the observed event times of ``test_y``, inside its
    follow-up, where the integrated Brier score is defined). Ranking: ``value`` (the scores).
    Ordinal: ``proba``, ``label`` (the most probable level code) and ``value`` (the median level
    code, what MAE on the levels rewards).
    """
    if isinstance(est, LossSurvivalRegressor):
        out = {"risk": est.predict(X)}
        if est.has_survival_function() and test_y is not None:
            times = survival_grid(test_y)
            if times.size >= 2:
                out["survival"] = est.predict_survival_function(X, times)
                out["times"] = times
        return out
    if isinstance(est, LossRanker):
        return {"value": est.predict(X)}
    if isinstance(est, LossOrdinalClassifier):
        proba = est.predict_proba(X)
        return {
            "proba": proba,
            "label": proba.argmax(axis=1).astype(np.int64),
            "value": _median_codes(proba).astype(np.float64),
        }
    raise TypeError(f"not a structured estimator: {type(est).__name__}")


def survival_grid(target: Any, n: int = 15) -> np.ndarray:
    """Up to ``n`` distinct times from the 10th to the 80th percentile of the observed event times
    of ``target`` (a `Survival`), strictly inside its follow-up (the integrated Brier score's range).

    >>> from losslab.targets import Survival
    >>> survival_grid(Survival([1.0, 2.0, 3.0, 4.0, 5.0], [1, 1, 0, 1, 1]), n=3).tolist()
    [1.3, 2.7, 4.4]
    """
    t = np.asarray(target.time, dtype=np.float64)
    e = np.asarray(target.event).astype(bool)
    if e.sum() < 2:
        return np.zeros(0)
    grid = np.unique(np.percentile(t[e], np.linspace(10, 80, n)))
    return grid[(grid >= t.min()) & (grid < t.max())]
