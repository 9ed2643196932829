"""losslab losses as XGBoost objectives and evaluation metrics (XGBoost ≥ 2; tested on 3.2).

>>> import numpy as np, xgboost as xgb, losslab.xgboost as lx
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 3)); y = X[:, 0] + rng.normal(size=200)
>>> dtrain = xgb.DMatrix(X, label=y)
>>> booster = lx.train("mse", {"max_depth": 2}, dtrain, 5)           # init score, objective, metric
>>> booster.predict(dtrain).shape
(200,)
>>> params = {"base_score": lx.base_score("mse", y), "max_depth": 2}  # or by hand, native API
>>> booster = xgb.train(params, dtrain, 5, obj=lx.objective("mse"), custom_metric=lx.metric("mse"),
...                     verbose_eval=False)
>>> model = xgb.XGBRegressor(n_estimators=5, objective=lx.objective("mse"),
...                          base_score=lx.base_score("mse", y)).fit(X, y)   # scikit-learn API
>>> model = lx.XGBRegressor("mse", n_estimators=5).fit(X, y)   # the same, base score included

What the adapter owns, so users don't get it wrong:

- **Sign and order.** XGBoost's native objective is ``obj(preds, dtrain) -> (grad, hess)`` of the
  raw margin; the scikit-learn API calls ``objective(y_true, y_pred, *, sample_weight)``. One
  objective serves both (it tells a DMatrix from an array) and returns ∂ℓ/∂margin and the
  policy's Hessian of the losslab loss.
- **Weights, exactly once.** The DMatrix weights (or ``sample_weight``) multiply gradient and
  Hessian after the Hessian policy; XGBoost itself does not weight a custom objective's output.
- **Init score.** A custom objective starts from ``base_score``; `base_score` gives
  ``loss.baseline(y, w)`` in the form XGBoost wants (a margin, a probability under the
  classifier's internal ``binary:logistic``, or ``"[c0,c1,…]"`` for multiclass).
- **Scale.** ``conventions="library"`` (the default) hands XGBoost the built-in objective's
  numbers where there is one (`losslab.gbdt.conventions`): losslab's ``mse`` is (f − y)²,
  ``reg:squarederror`` half of it; ``multi:softprob`` doubles the Hessian; ``count:poisson``
  multiplies it by e^0.7 and clips leaves with ``max_delta_step`` = 0.7 (set by `train`,
  `params` and `XGBRegressor`). ``conventions="losslab"``: the exact derivatives.
- **Estimators.** `XGBRegressor`/`XGBClassifier` (built on first use) add ``loss``, ``hessian``
  and ``conventions`` to XGBoost's own and set the base score in ``fit``.
- **Multiclass layout.** Margins arrive as (n, k) and gradients go back as (n, k) float32 arrays.
- **Hessian policy.** ``hessian=None`` picks one from the loss's metadata and logs it
  (see `losslab.gbdt.objective`); the leaf refit (`refit_leaves`, ``train(..., refit=True)``) sets the
  leaves of median and quantile losses to weighted quantiles of the residuals.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import numpy as np

from ._core.errors import DataError, ParameterError
from ._core.loss import Loss
from .gbdt.conventions import convention
from .gbdt.objective import (
    BridgeObjective,
    as_loss,
    check_raw_scores,
    objective_parts,
    refit_recommended,
)
from .gbdt.refit import LeafRefit
from .gbdt.targets import from_xgboost, row_weights

__all__ = [
    "base_margin",
    "base_score",
    "dask_train",
    "metric",
    "objective",
    "params",
    "refit_leaves",
    "train",
]

log = logging.getLogger("losslab.gbdt")
APIS = ("native", "sklearn")


def _check_api(api: str) -> None:
    if api not in APIS:
        raise ParameterError(
            f"api must be 'native' (xgboost.train) or 'sklearn' (XGBRegressor…); got {api!r}."
        )


def _read_dmatrix(dtrain: Any) -> tuple[np.ndarray, np.ndarray | None]:
    y = np.asarray(dtrain.get_label(), dtype=np.float64)
    w = dtrain.get_weight()
    return y, (np.asarray(w, dtype=np.float64) if w.size else None)


def _read_target(loss: Loss, dtrain: Any) -> tuple[Any, np.ndarray | None]:
    """Labels and weights, the labels as ``loss``'s structured target if it takes one."""
    y, w = _read_dmatrix(dtrain)
    target = from_xgboost(loss, dtrain, y)
    return target, row_weights(target, w)  # ranking: XGBoost's weights are one per query


class XGBObjective(BridgeObjective):
    """A losslab loss as an XGBoost objective, in either calling convention.

    ``xgboost.train(obj=…)`` calls ``obj(preds, dtrain)``; the scikit-learn API calls
    ``objective(y_true, y_pred)`` or, with sample weights, ``objective(y_true, y_pred,
    sample_weight=w)``. The second argument tells them apart: a ``DMatrix`` (anything with
    ``get_label``) or an array.
    """

    library = "xgboost"

    def __call__(
        self, first: Any, second: Any, *, sample_weight: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if hasattr(second, "get_label"):  # native: (preds, dtrain)
            y, w = self._cache.get(second, functools.partial(_read_target, self.loss))
            return self._grad_hess(y, _layout(self.loss, first, len(y)), w, id(y))
        y = np.asarray(first, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        w = None if sample_weight is None or np.size(sample_weight) == 0 else np.asarray(sample_weight, float)
        # the scikit-learn API hands a fresh label copy every round: checked on the first call only
        return self._grad_hess(y, _layout(self.loss, second, y.shape[0]), w, "sklearn")


#: The former name of the scikit-learn form; one class now serves both APIs.
XGBSklearnObjective = XGBObjective


def _layout(loss: Loss, preds: np.ndarray, n: int) -> np.ndarray:
    preds = np.asarray(preds)
    if loss.multiclass:
        if preds.ndim == 1:  # XGBoost < 2.1 passed a flat, row-major (n·k,) vector
            preds = preds.reshape(n, -1)
        if preds.ndim != 2 or preds.shape[1] < 2:
            raise DataError(
                f"loss {loss.name!r} is multiclass but XGBoost passed margins of shape {preds.shape}; "
                "set num_class (params['num_class'] = k) so that there is one margin per class."
            )
        return preds
    if preds.ndim == 2:
        if preds.shape[1] != 1:
            raise DataError(
                f"loss {loss.name!r} takes one margin per sample but XGBoost passed shape {preds.shape}; "
                "drop num_class / multi-target settings."
            )
        preds = preds[:, 0]
    return preds


def objective(
    loss: Any,
    *,
    hessian: str | None = None,
    api: str | None = None,
    conventions: str = "library",
    scale: float | None = None,
    hessian_scale: float | None = None,
    _refitting: bool = False,
    _booster_params: dict[str, Any] | None = None,
    **params: Any,
) -> XGBObjective:
    """The XGBoost objective of a losslab loss, for ``xgboost.train`` and the scikit-learn API.

    Parameters
    ----------
    loss : str, dict or Loss
        The loss (``params`` are its parameters when given by name).
    hessian : {"exact", "floor[:EPS]", "constant[:C]", "smooth[:S]", "majorizer"}, optional
        The Hessian policy; default from ``loss.info.hessian`` (logged at INFO level).
    api : {"native", "sklearn"}, optional
        Accepted for compatibility and checked; the objective detects its calling convention
        (``obj(preds, dtrain)`` or ``objective(y_true, y_pred, *, sample_weight=None)``) itself.
    conventions : {"library", "losslab"}
        ``"library"``: scale gradient and Hessian as XGBoost's built-in objective for this loss
        does (``mse`` × ½ as ``reg:squarederror``, the ``multi:softprob`` Hessian × 2, the
        ``count:poisson`` Hessian × e^0.7; see `losslab.gbdt.conventions`), so the model is
        the built-in's. ``"losslab"``: the loss's exact derivatives.
    scale, hessian_scale : float, optional
        Multiply gradient and Hessian / the Hessian only, replacing the convention's factor.

    Returns
    -------
    A picklable callable returning float32 ``(grad, hess)`` shaped like the margins
    ((n,) or (n, k)), weighted once by the data's sample weights.

    Examples
    --------
    >>> import numpy as np, xgboost as xgb
    >>> X = np.arange(40.0).reshape(20, 2); y = X[:, 0] / 10
    >>> model = xgb.XGBRegressor(n_estimators=3, objective=objective("huber")).fit(X, y)
    >>> model.predict(X).shape
    (20,)
    """
    if api is not None:
        _check_api(api)
    parts = objective_parts(
        loss,
        hessian,
        scale,
        hessian_scale,
        _refitting,
        params,
        library="xgboost",
        conventions=conventions,
        booster_params=_booster_params,
    )
    return XGBObjective(*parts)


class XGBMetric:
    """A losslab loss as an XGBoost evaluation metric (lower is better)."""

    def __init__(self, loss: Loss, name: str, api: str) -> None:
        self.loss = loss
        self.__name__ = name  # the sklearn API names the metric after the callable
        self.api = api

    def value(self, y: np.ndarray, preds: np.ndarray, w: np.ndarray | None) -> float:
        from .gbdt.dask import xgboost_world_size

        f = _layout(self.loss, preds, len(y)).astype(np.float64)
        if xgboost_world_size() > 1:  # a worker of xgboost.dask: the mean over all workers' rows
            from .gbdt.dask import xgboost_global_mean

            return xgboost_global_mean(self.loss, y, f, w)
        return float(self.loss(y, f, sample_weight=w))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.api == "native":
            preds, dmat = args
            y, w = _read_target(self.loss, dmat)
            return self.__name__, self.value(y, preds, w)
        y_true, y_pred = args
        w = kwargs.get("sample_weight")
        return self.value(np.asarray(y_true, dtype=np.float64), y_pred, w)

    def __repr__(self) -> str:
        return f"losslab.xgboost.metric({self.loss!r})"


def metric(loss: Any, *, api: str = "native", name: str | None = None, **params: Any) -> XGBMetric:
    """The loss's weighted mean as an XGBoost evaluation metric on raw margins.

    Native: ``custom_metric(preds, dtrain) -> (name, value)`` for ``xgboost.train(custom_metric=…)``;
    sklearn: ``metric(y_true, y_pred, *, sample_weight=None) -> value`` for ``eval_metric=``.
    Lower is better: pass ``maximize=False`` to ``xgboost.train`` (the default; XGBoost only
    maximises names such as ``auc``). XGBoost hands a custom metric raw margins when the
    objective is custom; with a built-in objective it passes transformed predictions, which
    this metric does not expect.
    """
    _check_api(api)
    loss = as_loss(loss, **params)
    check_raw_scores(loss)
    return XGBMetric(loss, name or loss.name, api)


def _baseline(loss: Loss, y: Any, sample_weight: Any, n_classes: int | None) -> Any:
    from ._core.baseline import baseline
    from .gbdt.dask import gather

    y, sample_weight = gather(y), gather(sample_weight)  # Dask collections: all the labels

    return (
        baseline(loss, y, sample_weight, n_classes=n_classes)
        if loss.multiclass
        else baseline(loss, y, sample_weight)
    )


def base_score(
    loss: Any,
    y: Any,
    sample_weight: Any = None,
    *,
    objective: str = "reg:squarederror",
    n_classes: int | None = None,
    **params: Any,
) -> float | str:
    """``loss.baseline(y, w)`` as XGBoost's ``base_score`` parameter.

    ``objective`` is the objective the booster holds internally: ``xgboost.train(obj=…)`` keeps
    ``reg:squarederror`` (base_score = the margin); ``XGBClassifier`` with a callable objective
    switches to ``binary:logistic`` (base_score = the probability σ(margin)) or
    ``multi:softprob`` (a vector of margins, returned as the string ``"[c0,c1,…]"``).
    """
    loss = as_loss(loss, **params)
    c = _baseline(loss, y, sample_weight, n_classes)
    if loss.multiclass:
        return "[" + ",".join(repr(float(v)) for v in np.asarray(c)) + "]"
    if objective == "binary:logistic":
        return float(1.0 / (1.0 + np.exp(-c)))
    return float(c)


def base_margin(
    loss: Any, y: Any, sample_weight: Any = None, *, n_classes: int | None = None, **params: Any
) -> np.ndarray:
    """The baseline repeated per row ((n,) or (n, k)), for ``DMatrix(base_margin=…)``.

    Unlike ``base_score`` it is not stored in the model: pass it again at prediction time.
    """
    loss = as_loss(loss, **params)
    c = _baseline(loss, y, sample_weight, n_classes)
    n = np.shape(y)[0]
    if loss.multiclass:
        return np.tile(np.asarray(c, dtype=np.float64), (n, 1))
    return np.full(n, c, dtype=np.float64)


def params(
    loss: Any,
    y: Any,
    sample_weight: Any = None,
    *,
    n_classes: int | None = None,
    conventions: str = "library",
    **extra: Any,
) -> dict[str, Any]:
    """Booster parameters for a custom losslab objective: ``base_score``, ``num_class``,
    ``disable_default_eval_metric`` (the default metric would be RMSE of the margins) and,
    under ``conventions="library"``, the built-in's booster defaults (``max_delta_step`` = 0.7
    for Poisson), then ``extra``."""
    loss = as_loss(loss)
    out: dict[str, Any] = {"disable_default_eval_metric": 1}
    out.update(convention(loss, "xgboost", conventions, params=extra).params)
    if loss.multiclass:
        k = (
            n_classes
            if n_classes is not None
            else (int(np.max(y)) + 1 if np.ndim(y) == 1 else np.shape(y)[1])
        )
        out["num_class"] = k
        out["base_score"] = base_score(loss, y, sample_weight, n_classes=k)
    else:
        out["base_score"] = base_score(loss, y, sample_weight)
    out.update(extra)
    return out


def train(
    loss: Any,
    params: dict[str, Any],
    dtrain: Any,
    num_boost_round: int = 10,
    *,
    hessian: str | None = None,
    conventions: str = "library",
    scale: float | None = None,
    hessian_scale: float | None = None,
    refit: bool | str | None = None,
    evals: Any = (),
    verbose_eval: Any = False,
    **kwargs: Any,
) -> Any:
    """``xgboost.train`` with a losslab loss: init score, objective, metric and leaf refit.

    Sets ``base_score`` to the loss's baseline of the DMatrix labels and weights (unless
    ``params`` has one), ``num_class`` for multiclass losses, the objective and the metric
    (reported under the loss's name for ``evals``, lower is better). Other keyword arguments go
    to ``xgboost.train``.

    ``conventions="library"`` (the default): where XGBoost has a built-in objective for the loss
    (mse, binary_crossentropy, categorical_crossentropy, poisson, gamma, tweedie,
    pseudo_huber), gradient and Hessian are scaled as the built-in scales them and its booster
    defaults are set (``max_delta_step`` = 0.7 for Poisson, unless ``params`` has one), so the
    model is the built-in's to float32 resolution. ``conventions="losslab"``: the loss's exact
    derivatives. ``scale``/``hessian_scale`` replace the convention's factors.

    ``refit`` — the leaf refit of median and quantile losses (``None``: ``"train"`` when the
    Hessian policy recommends it):

    - ``True`` / ``"post"``: after training, tree by tree (`refit_leaves`).
    - ``"train"`` (the default when recommended): after every round, as XGBoost's
      ``reg:quantileerror``/``reg:absoluteerror`` do with ``UpdateTreeLeaf``; losslab runs the
      boosting loop (``Booster.boost`` with its own gradients at the refitted scores) and, as
      XGBoost has no leaf setter, writes the refitted leaves into the model's JSON after the
      last round (with ``evals``: every round, since the evaluation reads the model; row or
      column subsampling then draws another, equally valid, sample sequence, because loading a
      model resets XGBoost's sampler). ``evals`` and ``evals_result`` work; early stopping and
      callbacks need ``"post"``.
    - ``False``: no refit.
    """
    import xgboost as xgb

    if type(dtrain).__name__ == "DaskDMatrix":
        raise ParameterError(
            "train got a DaskDMatrix; use losslab.xgboost.dask_train(loss, client, params, dtrain)."
        )
    loss = as_loss(loss)
    mode = ("train" if refit_recommended(loss) else "") if refit is None else refit
    mode = "post" if mode is True else (mode or "")
    if mode not in ("", "post", "train"):
        raise ParameterError(f"refit must be True, False, None, 'post' or 'train'; got {refit!r}.")
    obj = objective(
        loss,
        hessian=hessian,
        conventions=conventions,
        scale=scale,
        hessian_scale=hessian_scale,
        _refitting=mode == "train",
        _booster_params=params,
    )
    y, w = _read_dmatrix(dtrain)
    p = dict(params)
    for key, value in convention(loss, "xgboost", conventions, scale, hessian_scale, params).params:
        p.setdefault(key, value)
    k = p.get("num_class")
    if loss.multiclass and k is None:
        k = int(np.max(y)) + 1
        p["num_class"] = k
    if "base_score" not in p:
        target = y if loss.target_type is None else from_xgboost(loss, dtrain, y)  # survival, bounds …
        p["base_score"] = base_score(loss, target, w, n_classes=k)
    p.setdefault("disable_default_eval_metric", 1)
    if mode == "train":
        if loss.multiclass:
            raise ParameterError("the leaf refit is for single-output losses.")
        return _train_with_refit(loss, obj, p, dtrain, y, w, num_boost_round, evals, verbose_eval, kwargs)
    booster = xgb.train(
        p,
        dtrain,
        num_boost_round,
        obj=obj,
        custom_metric=metric(loss),
        maximize=False,
        evals=evals,
        verbose_eval=verbose_eval,
        **kwargs,
    )
    if mode == "post":
        refit_leaves(booster, dtrain, loss)
    return booster


def dask_train(
    loss: Any,
    client: Any,
    params: dict[str, Any],
    dtrain: Any,
    num_boost_round: int = 10,
    *,
    hessian: str | None = None,
    conventions: str = "library",
    scale: float | None = None,
    hessian_scale: float | None = None,
    refit: bool | str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """``xgboost.dask.train`` with a losslab loss: init score, objective and metric on a cluster.

    As `train`, for a ``xgboost.dask.DaskDMatrix``: ``base_score`` is the loss's baseline of
    *all* the labels and weights (read from the workers, one column each; not per partition),
    ``num_class`` is set for multiclass losses, the objective and the metric (its value is the
    weighted mean over every worker's rows) are passed, with the built-in's scaling under
    ``conventions="library"``. Other keyword arguments (``evals``, ``early_stopping_rounds``,
    ``verbose_eval`` …) go to ``xgboost.dask.train``, whose result it returns:
    ``{"booster": Booster, "history": {...}}``.

    The per-round leaf refit of median and quantile losses needs every training row in one
    process: ``refit=True``/``"train"``/``"post"`` raise, and the default (``refit=None``) falls
    back to the ``smooth`` Hessian policy with a warning (``refit=False`` accepts it silently);
    see `losslab.gbdt.dask`.
    """
    from .gbdt.dask import xgboost_train

    return xgboost_train(
        loss,
        client,
        params,
        dtrain,
        num_boost_round,
        hessian=hessian,
        conventions=conventions,
        scale=scale,
        hessian_scale=hessian_scale,
        refit=refit,
        **kwargs,
    )


def _train_with_refit(
    loss: Loss,
    obj: XGBObjective,
    params: dict[str, Any],
    dtrain: Any,
    y: np.ndarray,
    w: np.ndarray | None,
    rounds: int,
    evals: Any,
    verbose_eval: Any,
    kwargs: dict[str, Any],
) -> Any:
    """The boosting loop with a leaf refit after every round (losslab keeps the scores).

    The next tree depends only on the gradients, which losslab computes at its own refitted
    scores, so the refitted leaves are written into the model once, after the last round (one
    JSON round trip rather than one per round, whose cost grows with the trees). With ``evals``
    the model is rewritten every round, because the evaluation reads it.
    """
    import xgboost as xgb

    unsupported = sorted(k for k, v in kwargs.items() if v is not None and k != "evals_result")
    if unsupported:
        raise ParameterError(
            f"refit='train' runs its own boosting loop and does not take {', '.join(unsupported)}; "
            "use refit='post' for xgboost.train's full interface."
        )
    evals = list(evals or ())
    booster = xgb.Booster(params, [dtrain] + [d for d, _ in evals])
    f = np.full(y.shape[0], float(params["base_score"]))
    eta = _param_eta(params)
    # checked once, not every round; each round's call decides on the kernels by its size
    refit = LeafRefit(loss)
    feval = metric(loss)
    history = kwargs.get("evals_result")
    pending: dict[int, dict[int, float]] = {}  # tree → refit leaf values not yet in the model
    for t in range(rounds):
        g, h = obj(f, dtrain)
        booster.boost(dtrain, t, grad=g, hess=h)
        idx = np.asarray(booster[t : t + 1].predict(dtrain, pred_leaf=True))  # a one-tree slice
        idx = idx.reshape(idx.shape[0], -1)[:, 0].astype(np.intp)
        values = refit(y, f, w, idx)
        lut = np.zeros(int(idx.max()) + 1)
        lut[list(values)] = [eta * v for v in values.values()]
        f += lut[idx]
        pending[t] = values
        if evals:
            _write_leaves(booster, pending, eta, params)
            msg = booster.eval_set(evals, t, feval=feval, output_margin=True)
            if history is not None:
                for item in msg.split("\t")[1:]:
                    key, value = item.rsplit(":", 1)
                    data, name = key.split("-", 1)
                    history.setdefault(data, {}).setdefault(name, []).append(float(value))
            if verbose_eval and (verbose_eval is True or t % int(verbose_eval) == 0):
                log.info("%s", msg)
    _write_leaves(booster, pending, eta, params)
    return booster


def _write_leaves(
    booster: Any, pending: dict[int, dict[int, float]], eta: float, params: dict[str, Any]
) -> None:
    """Write η × the refit values of the ``pending`` trees into the model (emptied)."""
    if not pending:
        return
    model = json.loads(booster.save_raw("json"))
    trees = model["learner"]["gradient_booster"]["model"]["trees"]
    for t, values in pending.items():
        _set_leaves(trees[t], values, eta)
    booster.load_model(bytearray(json.dumps(model).encode()))
    booster.set_param(params)  # loading a model resets the training parameters
    pending.clear()


def _set_leaves(tree: dict[str, Any], values: dict[int, float], eta: float) -> np.ndarray:
    """Write η × value into the leaves of a JSON tree (XGBoost has no leaf setter); return the
    per-node lookup table of the new leaf values (0 elsewhere)."""
    lut = np.zeros(len(tree["split_conditions"]))
    for node, v in values.items():
        tree["split_conditions"][node] = eta * v
        tree["base_weights"][node] = eta * v
        lut[node] = eta * v
    return lut


def _param_eta(params: dict[str, Any]) -> float:
    for key in ("eta", "learning_rate"):
        if params.get(key) is not None:
            return float(params[key])
    return 0.3  # XGBoost's default


def _eta(booster: Any) -> float:
    cfg = json.loads(booster.save_config())
    gb = cfg["learner"]["gradient_booster"]
    for key in ("tree_train_param", "updater"):
        node = gb.get(key)
        if isinstance(node, dict) and "eta" in node:
            return float(node["eta"])
    for upd in gb.get("updater", {}).values() if isinstance(gb.get("updater"), dict) else []:
        if isinstance(upd, dict) and "train_param" in upd and "eta" in upd["train_param"]:
            return float(upd["train_param"]["eta"])
    return 0.3


def refit_leaves(booster: Any, dtrain: Any, loss: Any, *, learning_rate: float | None = None) -> Any:
    """Set every leaf to the loss's own optimum on its training rows, tree by tree (in place).

    For tree t with leaf L, the new value is η·argmin_c Σ_{i∈L} wᵢ ℓ(yᵢ, Fᵢ + c), where F is
    the margin of the base score and the already refitted trees 0…t−1 and η the learning rate —
    a weighted quantile of the residuals for median and quantile losses, as LightGBM's
    ``RenewTreeOutput`` does for its built-in ``l1``/``quantile`` objectives. Leaf indices come
    from ``predict(pred_leaf=True)``; the new values are written into the model's JSON and loaded
    back (XGBoost has no leaf setter). Single-output losses with an identity link only.

    Returns the booster.
    """
    loss = as_loss(loss)
    y, w = _read_dmatrix(dtrain)
    leaves = np.asarray(booster.predict(dtrain, pred_leaf=True), dtype=np.int64)
    if leaves.ndim == 1:
        leaves = leaves[:, None]
    model = json.loads(booster.save_raw("json"))
    learner = model["learner"]
    trees = learner["gradient_booster"]["model"]["trees"]
    if len(trees) != leaves.shape[1]:
        raise DataError(
            f"refit_leaves supports one tree per round (gbtree, single output); the model has "
            f"{len(trees)} trees and {leaves.shape[1]} leaf columns."
        )
    base = learner["learner_model_param"]["base_score"]
    base = float(json.loads(base)[0]) if base.startswith("[") else float(base)
    # a single-output booster of a custom objective keeps reg:squarederror: base_score is a margin
    eta = _eta(booster) if learning_rate is None else float(learning_rate)
    f = np.full(y.shape[0], base)
    refit = LeafRefit(loss)
    for t, tree in enumerate(trees):
        idx = leaves[:, t]
        f = f + _set_leaves(tree, refit(y, f, w, idx), eta)[idx]
    booster.load_model(bytearray(json.dumps(model).encode()))
    return booster


# -- scikit-learn estimators -------------------------------------------------------------------

ESTIMATORS = ("XGBRegressor", "XGBClassifier")
DASK_ESTIMATORS = ("DaskXGBRegressor", "DaskXGBClassifier")


def __getattr__(name: str) -> Any:
    """``XGBRegressor`` and ``XGBClassifier`` (and their Dask forms, `losslab.gbdt.dask`), built
    (and xgboost imported) on first use."""
    if name in ESTIMATORS:
        return _estimators()[name]
    if name in DASK_ESTIMATORS:
        from .gbdt.dask import xgboost_estimators

        return xgboost_estimators()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _xgb_fit(
    self: Any,
    n_classes: int | None,
    X: Any,
    y: Any,
    codes: Any,
    kwargs: dict[str, Any],
    labels: tuple[np.ndarray, np.ndarray | None] | None = None,
) -> Any:
    """fit with the loss's objective, base score and the built-in's booster defaults; the
    estimator's own parameters are restored afterwards (``fit`` does not change them).

    ``labels``: a Dask fit's labels and weights gathered on the client (`losslab.gbdt.dask`):
    the base score and the ``smooth`` policy's scale come from all of them, not one worker's."""
    from .gbdt.estimators import estimator_loss, library_base

    loss = estimator_loss(self.loss, n_classes)
    k = n_classes if loss.multiclass else None
    self._ll_loss = loss
    booster = self.get_xgb_params()
    obj = objective(loss, hessian=self.hessian, conventions=self.conventions, _booster_params=booster)
    if labels is not None:
        from .gbdt.dask import prime

        prime(obj, *labels)
    saved = {name: getattr(self, name) for name in ("objective", "base_score", "max_delta_step")}
    self.objective = obj
    if self.base_score is None:
        internal = "binary:logistic" if n_classes == 2 else "reg:squarederror"
        w = kwargs.get("sample_weight") if labels is None else labels[1]
        self.base_score = base_score(loss, codes, w, objective=internal, n_classes=k)
    for key, value in convention(loss, "xgboost", self.conventions, params=booster).params:
        if getattr(self, key, None) is None:
            setattr(self, key, value)
    try:
        library_base(self, "xgboost").fit(self, X, y, **kwargs)
    finally:
        for name, value in saved.items():
            setattr(self, name, value)
    return self


def _ll_wrapper_params(self: Any) -> set[str]:
    from .gbdt.estimators import library_base

    # losslab's parameters are not the booster's
    return library_base(self, "xgboost")._wrapper_params(self) | {"loss", "hessian", "conventions"}


@functools.cache
def _estimators() -> dict[str, type]:
    import xgboost as xgb

    from .gbdt.estimators import encode_classes, losslab_init

    class XGBRegressor(xgb.XGBRegressor):
        """``xgboost.XGBRegressor`` with a losslab loss (default ``"mse"``).

        ``fit`` sets the objective (`objective`, with ``hessian`` and ``conventions``), the
        ``base_score`` ``loss.baseline(y, w)`` unless given, and the built-in's booster defaults
        (``max_delta_step`` = 0.7 for Poisson); ``predict`` returns the response through the
        loss's link (the mean of a Poisson loss), ``output_margin=True`` the raw margin.

        Examples
        --------
        >>> import numpy as np, losslab.xgboost as lx
        >>> X = np.arange(60.0).reshape(30, 2); y = X[:, 0] / 10
        >>> lx.XGBRegressor("huber", n_estimators=3).fit(X, y).predict(X).shape
        (30,)
        """

        __init__ = losslab_init(xgb.XGBRegressor)
        _wrapper_params = _ll_wrapper_params

        def fit(self, X: Any, y: Any, **kwargs: Any) -> XGBRegressor:
            return _xgb_fit(self, None, X, y, np.asarray(y, dtype=np.float64), kwargs)

        def predict(self, X: Any, output_margin: bool = False, **kwargs: Any) -> Any:
            out = super().predict(X, output_margin=True, **kwargs)
            return (
                out if output_margin else np.asarray(self._ll_loss.link.inverse(np.asarray(out, np.float64)))
            )

    class XGBClassifier(xgb.XGBClassifier):
        """``xgboost.XGBClassifier`` with a losslab loss (default binary_crossentropy for two
        classes, categorical_crossentropy for more).

        ``fit`` sets the objective and the ``base_score`` in the form the classifier's internal
        ``binary:logistic``/``multi:softprob`` wants (without it a callable objective starts
        from probability ½); ``predict_proba`` gives probabilities, ``predict`` class labels.

        Examples
        --------
        >>> import numpy as np, losslab.xgboost as lx
        >>> X = np.arange(60.0).reshape(30, 2); y = (X[:, 0] > 25).astype(int)
        >>> lx.XGBClassifier(n_estimators=3).fit(X, y).predict_proba(X).shape
        (30, 2)
        """

        __init__ = losslab_init(xgb.XGBClassifier)
        _wrapper_params = _ll_wrapper_params

        def fit(self, X: Any, y: Any, **kwargs: Any) -> XGBClassifier:
            classes, codes = encode_classes(y)
            return _xgb_fit(self, len(classes), X, y, codes, kwargs)

    out: dict[str, type] = {}
    for cls in (XGBRegressor, XGBClassifier):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__  # picklable as losslab.xgboost.X
        out[cls.__name__] = cls
    return out
