"""losslab losses as LightGBM objectives and evaluation metrics (LightGBM ≥ 4; tested on 4.7).

>>> import numpy as np, lightgbm as lgb, losslab.lightgbm as ll
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 3)); y = X[:, 0] + rng.normal(size=200)
>>> booster = ll.train("mse", {"num_leaves": 4, "verbose": -1}, lgb.Dataset(X, y), 5)
>>> booster.predict(X).shape                   # the init score is folded into the first tree
(200,)
>>> ds = lgb.Dataset(X, y, init_score=ll.init_score("mse", y))       # or by hand, native API
>>> params = {"objective": ll.objective("mse"), "num_leaves": 4, "verbose": -1, "metric": "None"}
>>> booster = lgb.train(params, ds, 5, feval=ll.metric("mse"))
>>> raw = booster.predict(X) + ll.init_score("mse", y)[0]  # LightGBM does not store init_score
>>> model = lgb.LGBMRegressor(objective=ll.objective("mse"), n_estimators=5,
...                           num_leaves=4, verbose=-1).fit(X, y)       # scikit-learn API
>>> model = ll.LGBMRegressor("mse", n_estimators=5, num_leaves=4, verbose=-1).fit(X, y)  # + init

What the adapter owns:

- **Sign and order.** Native: ``fobj(preds, train_set) -> (grad, hess)`` of the raw score;
  scikit-learn API: ``objective(y_true, y_pred, weight)`` — three positional arguments, because
  LightGBM silently drops the weights of a two-argument objective. One objective serves both
  (it tells a Dataset from an array).
- **Weights, exactly once**, after the Hessian policy; LightGBM does not weight a custom
  objective's output.
- **Init score.** A custom objective starts from 0 (``boost_from_average`` is ignored).
  `init_score` gives ``loss.baseline(y, w)`` per row for ``Dataset(init_score=…)``; `train`
  sets it and then folds it into the first tree(s) with ``Booster.set_leaf_output``, so
  ``predict`` includes it (`fold_init_score` does the same for a booster you trained).
- **Scale.** ``conventions="library"`` (the default) hands LightGBM the built-in objective's
  numbers where there is one (`losslab.gbdt.conventions`): ``regression`` is half-MSE,
  ``multiclass`` scales the Hessian by k/(k − 1), ``poisson`` by e^``poisson_max_delta_step``
  (0.7). ``conventions="losslab"``: the exact derivatives.
- **Estimators.** `LGBMRegressor`/`LGBMClassifier` (built on first use) add ``loss``,
  ``hessian`` and ``conventions``, set and fold the init score in ``fit`` and predict through the
  loss's link — LightGBM's own classifier returns raw scores from ``predict_proba`` when its
  objective is a callable.
- **Multiclass layout.** Scores arrive as (n, k); gradients go back as (n, k) float32.
- **Leaf refit** for median and quantile losses (`refit_leaves`), which LightGBM does only for
  its built-in ``l1``, ``quantile`` and ``mape`` objectives.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

import numpy as np

from ._core.errors import DataError, ParameterError
from ._core.loss import Loss
from ._core.targets import Ranking, Structured
from .gbdt.objective import (
    BridgeObjective,
    as_loss,
    check_raw_scores,
    objective_parts,
    refit_recommended,
)
from .gbdt.refit import LeafRefit, kernels, leaf_from_scores
from .gbdt.targets import from_lightgbm, ranking_from_sizes

__all__ = [
    "fold_init_score",
    "init_score",
    "metric",
    "objective",
    "refit_leaves",
    "train",
]

log = logging.getLogger("losslab.gbdt")
APIS = ("native", "sklearn")


def _check_api(api: str) -> None:
    if api not in APIS:
        raise ParameterError(
            f"api must be 'native' (lightgbm.train) or 'sklearn' (LGBMRegressor…); got {api!r}."
        )


def _as_weight(w: Any) -> np.ndarray | None:
    if w is None:
        return None
    w = np.asarray(w, dtype=np.float64)
    return w if w.size else None


def _read_dataset(ds: Any) -> tuple[np.ndarray, np.ndarray | None]:
    y = ds.get_label()
    if y is None:
        raise DataError("the LightGBM Dataset has no label; pass label= (the targets) when building it.")
    return np.asarray(y, dtype=np.float64), _as_weight(ds.get_weight())


def _read_target(loss: Loss, ds: Any) -> tuple[Any, np.ndarray | None]:
    """Labels and weights, the labels as ``loss``'s structured target if it takes one."""
    y, w = _read_dataset(ds)
    return from_lightgbm(loss, ds, y), w


def _layout(loss: Loss, preds: np.ndarray) -> np.ndarray:
    preds = np.asarray(preds)
    if loss.multiclass and (preds.ndim != 2 or preds.shape[1] < 2):
        raise DataError(
            f"loss {loss.name!r} is multiclass but LightGBM passed scores of shape {preds.shape}; set "
            "params['num_class'] = k."
        )
    if not loss.multiclass and preds.ndim != 1:
        raise DataError(
            f"loss {loss.name!r} takes one score per sample but LightGBM passed shape {preds.shape}; "
            "drop num_class."
        )
    return preds


class LGBObjective(BridgeObjective):
    """A losslab loss as a LightGBM objective, in either calling convention.

    ``lightgbm.train`` calls ``fobj(preds, train_set)``; the scikit-learn API calls
    ``objective(y_true, y_pred, weight, group)`` (four parameters: LightGBM silently drops the
    weights of a two-parameter objective, and hands the query sizes — ``LGBMRanker``'s
    ``group``, None for the other estimators — only to a four-parameter one). The second
    argument tells them apart: a ``Dataset`` (anything with ``get_label``) or an array.
    """

    library = "lightgbm"

    def __call__(
        self, first: Any, second: Any, weight: Any = None, group: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if hasattr(second, "get_label"):  # native: (preds, train_set)
            y, w = self._cache.get(second, functools.partial(_read_target, self.loss))
            return self._grad_hess(y, _layout(self.loss, first), w, id(y))
        y = np.asarray(first, dtype=np.float64)
        if self.loss.target_type is Ranking:  # LGBMRanker hands the query sizes as a 4th argument
            ranked = ranking_from_sizes(self.loss, y, group, "lightgbm")
            return self._grad_hess(ranked, _layout(self.loss, second), _as_weight(weight), "sklearn")
        # the scikit-learn API hands the labels again every round: checked on the first call only
        return self._grad_hess(y, _layout(self.loss, second), _as_weight(weight), "sklearn")


#: The former name of the scikit-learn form; one class now serves both APIs.
LGBSklearnObjective = LGBObjective


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
) -> LGBObjective:
    """The LightGBM objective of a losslab loss, for ``lightgbm.train`` and the scikit-learn API.

    Parameters
    ----------
    loss : str, dict or Loss
    hessian : {"exact", "floor[:EPS]", "constant[:C]", "smooth[:S]", "majorizer"}, optional
        The Hessian policy; default from ``loss.info.hessian`` (logged at INFO level).
    api : {"native", "sklearn"}, optional
        Accepted for compatibility and checked; the objective detects its calling convention
        (``fobj(preds, train_set)`` or ``objective(y_true, y_pred, weight)``) itself.
    conventions : {"library", "losslab"}
        ``"library"``: scale gradient and Hessian as LightGBM's built-in objective for this loss
        does (``mse`` × ½ as ``regression``, the ``multiclass`` Hessian × k/(k − 1), the
        ``poisson`` Hessian × e^0.7; see `losslab.gbdt.conventions`). ``"losslab"``: the
        loss's exact derivatives.
    scale, hessian_scale : float, optional
        Multiply gradient and Hessian / the Hessian only, replacing the convention's factor.

    Returns
    -------
    A picklable callable returning float32 ``(grad, hess)`` shaped like the scores.

    Examples
    --------
    >>> import numpy as np, lightgbm as lgb
    >>> X = np.arange(40.0).reshape(20, 2); y = X[:, 0] / 10
    >>> model = lgb.LGBMRegressor(n_estimators=3, min_child_samples=2, verbose=-1,
    ...                           objective=objective("mse")).fit(X, y)
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
        library="lightgbm",
        conventions=conventions,
        booster_params=_booster_params,
    )
    return LGBObjective(*parts)


class LGBMetric:
    """A losslab loss as a LightGBM evaluation metric: ``(name, value, False)``."""

    def __init__(self, loss: Loss, name: str, api: str) -> None:
        self.loss = loss
        self.name = name
        self.api = api

    def _value(self, y: np.ndarray, preds: np.ndarray, w: np.ndarray | None) -> float:
        return float(self.loss(y, np.asarray(preds, dtype=np.float64), sample_weight=w))

    def __call__(self, *args: Any) -> tuple[str, float, bool]:
        if self.api == "native":
            preds, ds = args
            y, w = _read_target(self.loss, ds)
            return self.name, self._value(y, _layout(self.loss, preds), w), False
        y_true, y_pred, weight = args
        return (
            self.name,
            self._value(np.asarray(y_true, dtype=np.float64), _layout(self.loss, y_pred), _as_weight(weight)),
            False,
        )

    def __repr__(self) -> str:
        return f"losslab.lightgbm.metric({self.loss!r})"


class _SklearnMetric(LGBMetric):
    def __call__(self, y_true: Any, y_pred: Any, weight: Any) -> tuple[str, float, bool]:  # type: ignore[override]
        return super().__call__(y_true, y_pred, weight)


def metric(loss: Any, *, api: str = "native", name: str | None = None, **params: Any) -> LGBMetric:
    """The loss's weighted mean as a LightGBM evaluation metric (``is_higher_better=False``).

    Native: ``feval(preds, eval_data) -> (name, value, False)``; sklearn:
    ``metric(y_true, y_pred, weight)``. LightGBM passes raw scores to a metric when the
    objective is custom; with a built-in objective it passes transformed predictions, which this
    metric does not expect. Scores of a dataset with an ``init_score`` include it.
    """
    _check_api(api)
    loss = as_loss(loss, **params)
    check_raw_scores(loss)
    return (LGBMetric if api == "native" else _SklearnMetric)(loss, name or loss.name, api)


def init_score(
    loss: Any, y: Any, sample_weight: Any = None, *, n_classes: int | None = None, **params: Any
) -> np.ndarray:
    """``loss.baseline(y, w)`` repeated per row: (n,) or (n, k), for ``Dataset(init_score=…)``.

    With Dask collections the baseline is that of all the labels and weights, and the result a
    Dask collection partitioned as ``y``, for the Dask estimators' ``fit(init_score=…)``.

    Examples
    --------
    >>> init_score("binary_crossentropy", [0, 0, 0, 1]).round(6).tolist()
    [-1.098612, -1.098612, -1.098612, -1.098612]
    """
    from ._core.baseline import baseline
    from .gbdt.dask import gather, rows_like

    loss = as_loss(loss, **params)
    yy, w = gather(y), gather(sample_weight)  # Dask collections: all the labels
    if loss.multiclass:
        c = np.asarray(baseline(loss, yy, w, n_classes=n_classes), dtype=np.float64)
    else:
        c = np.float64(baseline(loss, yy, w))
    if isinstance(yy, Structured):
        return np.full(len(yy), c)
    return rows_like(c, y)  # partitioned as y when y is a Dask collection


def fold_init_score(booster: Any, init: Any, num_class: int | None = None) -> Any:
    """Add a constant init score to the first tree (one per class) so ``predict`` includes it.

    ``init`` is a float or k floats (or a per-row init score whose rows are all equal). This is
    what LightGBM does with its own ``boost_from_average``. Returns the booster.
    """
    c = np.asarray(init, dtype=np.float64)
    if c.ndim >= 1 and c.shape[0] > 1 and (c.ndim == 2 or num_class in (None, 1)):
        rows = c.reshape(c.shape[0], -1)
        if not np.all(rows == rows[:1]):
            raise DataError("fold_init_score needs a constant init score (all rows equal).")
        c = rows[0]
    c = np.atleast_1d(c).ravel()
    k = booster.num_model_per_iteration()
    if c.size != k:
        raise DataError(f"the booster has {k} tree(s) per round but the init score has {c.size} value(s).")
    if booster.num_trees() < k:
        raise DataError("fold_init_score needs a booster with at least one round of trees.")
    dump = booster.dump_model(num_iteration=1)
    for j in range(k):
        n_leaves = dump["tree_info"][j]["num_leaves"]
        for leaf in range(n_leaves):
            booster.set_leaf_output(j, leaf, booster.get_leaf_output(j, leaf) + float(c[j]))
    return booster


def train(
    loss: Any,
    params: dict[str, Any],
    train_set: Any,
    num_boost_round: int = 100,
    *,
    hessian: str | None = None,
    conventions: str = "library",
    scale: float | None = None,
    hessian_scale: float | None = None,
    refit: bool | str | None = None,
    valid_sets: list[Any] | None = None,
    **kwargs: Any,
) -> Any:
    """``lightgbm.train`` with a losslab loss: init score, objective, metric, refit, folding.

    Sets the training (and validation) ``init_score`` to the loss's baseline unless the
    Dataset has one, ``num_class`` for multiclass losses, the objective and the metric (lower is
    better), and ``metric="None"`` for LightGBM's own. Finally the init score is folded into the
    first tree(s), so ``booster.predict(X)`` is the full raw score.

    ``conventions="library"`` (the default): where LightGBM has a built-in objective for the
    loss (mse, binary_crossentropy, categorical_crossentropy, poisson, gamma, tweedie), gradient
    and Hessian are scaled as the built-in scales them (the Poisson Hessian by
    e^``poisson_max_delta_step``, 0.7 unless ``params`` has it), so the model is the built-in's.
    ``conventions="losslab"``: the loss's exact derivatives. ``scale``/``hessian_scale``
    replace the convention's factors.

    ``refit`` — the leaf refit of median and quantile losses (``None``: when the Hessian policy
    recommends it, ``"train"``, or ``"post"`` if there are ``valid_sets``):

    - ``"train"``: after every round, as LightGBM's ``RenewTreeOutput`` does for its built-in
      ``quantile``: the new tree's leaves become η × the weighted quantile of the residuals, and
      the next gradients are taken at the refitted scores (losslab keeps them, since
      LightGBM's own score cache still holds the pre-refit leaves — which is also why it does
      not combine with ``valid_sets``). With ``hessian="constant"`` this is LightGBM's
      built-in algorithm.
    - ``True`` / ``"post"``: after training, tree by tree (`refit_leaves`).
    - ``False``: no refit.

    The refit needs the raw features (a Dataset built from an array or frame, not a file), and
    constant leaves: with ``linear_tree=True`` the default is no refit, and asking for one raises.
    """
    import lightgbm as lgb

    loss = as_loss(loss)
    if refit is None:  # the recommendation: in training unless validation scores matter
        recommended = refit_recommended(loss) and not _linear_trees(params)
        refit = ("post" if valid_sets else "train") if recommended else False
    mode = _refit_mode(refit, valid_sets)
    if mode:
        _check_constant_leaves(params)
    obj = objective(
        loss,
        hessian=hessian,
        conventions=conventions,
        scale=scale,
        hessian_scale=hessian_scale,
        _refitting=mode == "train",
        _booster_params=params,
    )
    raw_X = train_set.data
    if train_set.label is None:
        raise DataError("the LightGBM Dataset has no label; pass label= (the targets) when building it.")
    y, w = np.asarray(train_set.label, dtype=np.float64).ravel(), _as_weight(train_set.weight)
    if mode and (raw_X is None or isinstance(raw_X, (str, bytes)) or hasattr(raw_X, "__fspath__")):
        raise DataError(
            "the leaf refit needs the raw training features, but the Dataset was built from a file; "
            "build it from an array or DataFrame, or call refit_leaves(booster, X, y, loss)."
        )
    p = dict(params)
    p["objective"] = obj
    p.setdefault("metric", "None")
    k = None
    if loss.multiclass:
        k = int(p.get("num_class") or int(np.max(y)) + 1)
        p["num_class"] = k
    own_init = getattr(train_set, "init_score", None)
    has_own = own_init is not None and bool(np.size(own_init))
    target = y if loss.target_type is None else from_lightgbm(loss, train_set, y)  # survival …
    init = None if has_own else init_score(loss, target, w, n_classes=k)
    if init is not None:
        train_set.set_init_score(init)
        for vs in valid_sets or []:
            if vs is not train_set and (
                getattr(vs, "init_score", None) is None or not np.size(vs.init_score)
            ):
                m = np.shape(vs.label)[0]
                vs.set_init_score(np.tile(init[0], (m, 1)) if k else np.full(m, init[0]))
    base = np.asarray(own_init if has_own else init, dtype=np.float64)
    callbacks = list(kwargs.pop("callbacks", None) or [])
    if mode == "train":
        eta = _learning_rate(p)
        state = _RefitInTraining(loss, obj, raw_X, y, w, base, eta, num_boost_round)
        p["objective"] = state.objective
        callbacks.append(state.after_iteration)
    booster = lgb.train(
        p,
        train_set,
        num_boost_round,
        valid_sets=valid_sets,
        feval=metric(loss),
        callbacks=callbacks,
        **kwargs,
    )
    if mode == "post":
        refit_leaves(booster, raw_X, y, loss, sample_weight=w, init=base)
    if init is not None:
        fold_init_score(booster, init[0], k)
    return booster


def _refit_mode(refit: bool | str, valid_sets: Any) -> str:
    if refit is False:
        return ""
    mode = "post" if refit is True else refit
    if mode not in ("train", "post"):
        raise ParameterError(f"refit must be True, False, None, 'post' or 'train'; got {refit!r}.")
    if mode == "train" and valid_sets:
        raise ParameterError(
            "refit='train' leaves LightGBM's cached validation scores stale; with valid_sets use "
            "refit='post' (the default) or refit=False."
        )
    return mode


def _linear_trees(params: dict[str, Any]) -> bool:
    for key in ("linear_tree", "linear_trees"):
        v = params.get(key, False)
        if v is True or str(v).strip().lower() in ("1", "true", "+"):
            return True
    return False


def _check_constant_leaves(params: dict[str, Any]) -> None:
    # a refit sets each leaf's constant; a linear tree's leaf is a linear model (and LightGBM 4.7
    # crashes when the next round follows set_leaf_output on one)
    if _linear_trees(params):
        raise ParameterError(
            "the leaf refit sets constant leaf values, but linear_tree=True gives each leaf a linear "
            "model; pass refit=False (the default with linear trees)."
        )


_LR_ALIASES = ("learning_rate", "shrinkage_rate", "eta")


def _learning_rate(params: dict[str, Any]) -> float:
    for key in _LR_ALIASES:
        if key in params:
            return float(params[key])
    return 0.1  # LightGBM's default


class _RefitInTraining:
    """Scores kept by losslab so that each round's gradients see the refitted leaves.

    The new tree's leaf of every row comes from LightGBM's own training-score cache when that is
    exact (plain ``gbdt``, no linear trees): LightGBM adds the tree's leaf value to each row's
    cached score, fl(s₀ + v), so a row whose new score matches exactly one leaf value is in that
    leaf (`losslab.gbdt.refit.leaf_from_scores`, or its numba kernel in a loop large enough to
    use them); the rest — leaves sharing a value, or no match — are traversed with
    ``predict(pred_leaf=True)`` on those rows only. Otherwise every row is traversed.
    """

    def __init__(
        self, loss: Loss, obj: LGBObjective, X: Any, y: np.ndarray, w: Any, base: Any, eta: float, rounds: int
    ):
        self.loss, self.obj, self.X, self.y, self.w, self.eta = loss, obj, X, y, w, eta
        self.refit = LeafRefit(loss, y.size, rounds)  # checked once, not every round
        self.f = np.broadcast_to(base, y.shape).astype(np.float64).copy()
        self.cached: np.ndarray | None = None  # LightGBM's cached scores before this round
        self.use_cache: bool | None = None  # decided in the first round
        self.calls: _BoosterCalls | None = None  # bound to the booster in the first round

    def __deepcopy__(self, memo: dict[int, Any]) -> _RefitInTraining:
        return self  # lightgbm.train deep-copies params: the objective must share these scores

    def objective(self, preds: np.ndarray, train_set: Any) -> tuple[np.ndarray, np.ndarray]:
        if self.cached is None:  # LightGBM's scores before the first round (its init score)
            self.cached = np.array(preds, dtype=np.float64).ravel()
        return self.obj(self.f, train_set)

    def after_iteration(self, env: Any) -> None:
        t = env.iteration
        booster = env.model
        if booster.current_iteration() <= t:
            return  # LightGBM dropped this round's tree (no split met the requirements)
        if self.calls is None or self.calls.booster is not booster:
            self.calls = _BoosterCalls(booster)
        idx, n_leaves = self.leaf_indices(booster, t)
        _refit_tree(booster, t, self.refit, self.y, self.f, self.w, idx, self.eta, n_leaves, self.calls)

    def leaf_indices(self, booster: Any, t: int) -> tuple[np.ndarray, int | None]:
        """Tree t's leaf of every training row (int32), and its number of leaves if read."""
        if self.use_cache is False:
            return _predict_leaves(booster, self.X, t), None
        calls = self.calls if self.calls is not None else _BoosterCalls(booster)
        leaf_values = None
        if self.use_cache is None:
            model = calls.tree_string(t)
            self.use_cache = _cache_is_exact(model) and LEAVES_FROM_SCORES
            leaf_values = _leaf_values(model)
        new = _cached_scores(booster) if self.use_cache else None
        if new is None or self.cached is None or new.shape != self.cached.shape:
            self.use_cache = False
            return _predict_leaves(booster, self.X, t), None
        if leaf_values is None:
            leaf_values = calls.leaf_values(t, self.refit.kernels)
        if leaf_values is None:  # printed exactly (%.17g), as get_leaf_output reads them
            leaf_values = _leaf_values(calls.tree_string(t))
        n_leaves = leaf_values.size
        idx = np.empty(new.shape[0], dtype=np.int32)
        k = self.refit.kernels
        if k is not None:
            rows = k.match_leaves(self.cached, new, leaf_values, idx)
        else:
            # the distinct values sorted, and the leaf of each (−1: several leaves share it);
            # NaNs last and never matched
            first = np.argsort(leaf_values, kind="stable")
            values = leaf_values[first]
            same = values[1:] == values[:-1]
            shared = np.zeros(n_leaves, dtype=bool)
            shared[1:] |= same
            shared[:-1] |= same
            leaf_of = np.where(shared, -1, first).astype(np.int32)
            missed = leaf_from_scores(self.cached, new, values, leaf_of, idx)
            rows = np.flatnonzero(idx < 0) if missed else _NO_ROWS
        if rows.size:
            part = _take_rows(self.X, rows)
            if part is None:
                return _predict_leaves(booster, self.X, t), n_leaves
            idx[rows] = calls.predict_leaves(part, t)
            if idx[rows].max() >= n_leaves:  # a split the importance missed (see leaf_values)
                return idx, None
        return idx, n_leaves


#: Leaf indices from LightGBM's score cache where exact (`_RefitInTraining`); False: traverse
#: every row (the reference path the tests compare with).
LEAVES_FROM_SCORES = True


class _BoosterCalls:
    """The LightGBM C calls of every refit round, without the Python wrappers' per-call cost: a
    tree's model string (into a buffer kept across rounds, where ``model_to_string`` allocates
    1 MB each call), ``LGBM_BoosterSetLeafValue`` (once per leaf) and the leaf prediction of a
    few rows, through prototypes with argument types. Falls back to the public methods if LightGBM's internals
    differ; an error is re-raised by the public method, with LightGBM's message."""

    def __init__(self, booster: Any) -> None:
        import ctypes

        self.booster = booster
        self._buf: Any = None
        self._set: Any = None
        self._save: Any = None
        self._predict: Any = None
        self._get: Any = None
        self._get64: Any = None
        self._set64: Any = None
        try:
            from lightgbm.basic import _LIB  # private: guarded

            handle = booster._handle
            i32, i64, ptr = ctypes.c_int, ctypes.c_int64, ctypes.c_void_p
            setter = ctypes.CFUNCTYPE(i32, ptr, i32, i32, ctypes.c_double)(("LGBM_BoosterSetLeafValue", _LIB))
            saver = ctypes.CFUNCTYPE(i32, ptr, i32, i32, i32, i64, ctypes.POINTER(i64), ctypes.c_char_p)(
                ("LGBM_BoosterSaveModelToString", _LIB)
            )
            predictor = ctypes.CFUNCTYPE(
                i32,
                ptr,
                ptr,
                i32,
                ctypes.c_int32,
                ctypes.c_int32,
                i32,
                i32,
                i32,
                i32,
                ctypes.c_char_p,
                ctypes.POINTER(i64),
                ptr,
            )(("LGBM_BoosterPredictForMat", _LIB))
        except (ImportError, AttributeError, TypeError):
            return
        self._handle, self._set, self._save, self._len = handle, setter, saver, i64(0)
        self._predict = predictor
        try:
            self._get = ctypes.CFUNCTYPE(i32, ptr, i32, i32, ctypes.POINTER(ctypes.c_double))(
                ("LGBM_BoosterGetLeafValue", _LIB)
            )
            importance = ctypes.CFUNCTYPE(i32, ptr, i32, i32, ptr)
            self._importance = importance(("LGBM_BoosterFeatureImportance", _LIB))
            self._splits = np.zeros(booster.num_feature(), dtype=np.float64)
            # for the numba kernels' loops over the leaves (one C call per leaf at C cost): the
            # handle and pointer arguments as 64-bit integers, which is how they are passed
            if ctypes.sizeof(ptr) == 8:
                self._h64 = handle.value
                self._get64 = ctypes.CFUNCTYPE(i32, i64, i32, i32, i64)(("LGBM_BoosterGetLeafValue", _LIB))
                self._set64 = ctypes.CFUNCTYPE(i32, i64, i32, i32, ctypes.c_double)(
                    ("LGBM_BoosterSetLeafValue", _LIB)
                )
        except (AttributeError, TypeError):
            self._get = None
        self._split_total: tuple[int, float] = (0, 0.0)  # (trees, their splits) last counted
        params = booster.params
        if any(params.get(k) for k in _FORCED_SPLITS):  # forced splits may have no gain
            self._get = None
        threads = _threads(booster.params)
        self._pred_params = "".join(f"{k}={v}" for k, v in threads.items()).encode()

    def predict_leaves(self, X: Any, t: int) -> np.ndarray:
        """Tree t's leaf of each row of ``X`` (int32), as `_predict_leaves`; a C-ordered float32 or
        float64 array goes straight to ``LGBM_BoosterPredictForMat`` (the rows in leaves sharing
        a value, every round: the wrapper's per-call cost was most of it)."""
        import ctypes

        direct = (
            self._save is not None
            and isinstance(X, np.ndarray)
            and X.ndim == 2
            and X.dtype in (np.float32, np.float64)
            and X.flags.c_contiguous
            and 0 < X.shape[0] < 2**31
        )
        if direct:
            out = np.empty(X.shape[0], dtype=np.float64)
            n = ctypes.c_int64(0)
            dtype = 0 if X.dtype == np.float32 else 1  # C_API_DTYPE_FLOAT32 / FLOAT64
            rc = self._predict(
                self._handle,
                X.ctypes.data,
                dtype,
                X.shape[0],
                X.shape[1],
                1,
                2,
                t,
                1,
                self._pred_params,
                ctypes.byref(n),
                out.ctypes.data,
            )  # row-major, C_API_PREDICT_LEAF_INDEX, trees [t, t + 1)
            if rc == 0 and n.value == X.shape[0]:
                return out.astype(np.int32)
        return _predict_leaves(self.booster, X, t)

    def leaf_values(self, t: int, k: Any = None) -> np.ndarray | None:
        """Tree t's leaf values by ``LGBM_BoosterGetLeafValue``, or None (then parse
        `tree_string`): a third of the model string's cost. The number of leaves is one more
        than the tree's splits, counted as the growth of the split-count feature importance
        (which counts the splits of positive gain: all of them, as LightGBM grows a tree only
        by such splits — but for forced splits, where this is not used). ``k``: the numba
        kernels, which make the calls from compiled code."""
        import ctypes

        if self._get is None:
            return None
        counted, total = self._split_total
        if counted != t:
            if self._importance(self._handle, t, 0, self._splits.ctypes.data) != 0:
                return None
            total = float(self._splits.sum()) if t else 0.0
        if self._importance(self._handle, t + 1, 0, self._splits.ctypes.data) != 0:
            return None
        now = float(self._splits.sum())
        self._split_total = (t + 1, now)
        out = np.empty(int(now - total) + 1, dtype=np.float64)
        if k is not None and self._get64 is not None:
            return out if k.read_leaves(self._get64, self._h64, t, out) == out.size else None
        value = ctypes.c_double()
        ref = ctypes.byref(value)
        for leaf in range(out.size):
            if self._get(self._handle, t, leaf, ref) != 0:
                return None
            out[leaf] = value.value
        return out

    def set_leaves(self, t: int, values: np.ndarray, counts: np.ndarray, k: Any = None) -> None:
        """Set tree t's leaf j to ``values[j]`` where ``counts[j]`` > 0 (one C call each, from
        compiled code with the numba kernels ``k``)."""
        start = 0
        if k is not None and self._set64 is not None:
            start = k.write_leaves(self._set64, self._h64, t, values, counts)
            if start < 0:
                return
        for leaf in np.flatnonzero(counts[start:]).tolist():  # (raises LightGBM's error)
            self.set_leaf(t, start + leaf, float(values[start + leaf]))

    def set_leaf(self, t: int, leaf: int, value: float) -> None:
        if self._set is None or self._set(self._handle, t, leaf, value) != 0:
            self.booster.set_leaf_output(t, leaf, value)  # (raises LightGBM's error if it failed)

    def tree_string(self, t: int) -> str:
        """``model_to_string(start_iteration=t, num_iteration=1)``."""
        import ctypes

        if self._save is not None:
            for _ in range(2):  # grown once if too short
                if self._buf is None or self._len.value > len(self._buf):
                    self._buf = ctypes.create_string_buffer(max(self._len.value, 1 << 16))
                size = len(self._buf)
                if self._save(self._handle, t, 1, 0, size, ctypes.byref(self._len), self._buf) != 0:
                    break
                if self._len.value <= size:
                    return self._buf.value.decode("utf-8")
        return self.booster.model_to_string(start_iteration=t, num_iteration=1)


_LEAF_VALUES = re.compile(r"^leaf_value=(.*)$", re.M)


_FORCED_SPLITS = (
    "forcedsplits_filename",
    "fs",
    "forced_splits_filename",
    "forced_splits_file",
    "forced_splits",
)


def _leaf_values(model: str) -> np.ndarray:
    """The leaf values of the one tree in a ``model_to_string(num_iteration=1)``."""
    return np.array(_LEAF_VALUES.search(model).group(1).split(), dtype=np.float64)  # type: ignore[union-attr]


def _cache_is_exact(model: str) -> bool:
    """Each round adds the new tree's leaf values to LightGBM's cached training scores and
    nothing else: plain gradient boosting with constant leaves (not dart, rf, linear trees).
    ``model`` is a ``model_to_string``, whose parameters are resolved (no aliases)."""
    params = dict(re.findall(r"^\[(\w+): (.*)\]$", model, re.M))
    return params.get("boosting") == "gbdt" and params.get("linear_tree") == "0"


def _cached_scores(booster: Any) -> np.ndarray | None:
    """LightGBM's cached training scores (its buffer, refilled each round), or None."""
    inner = getattr(booster, "_Booster__inner_predict", None)  # private: guarded
    if inner is None or booster.num_model_per_iteration() != 1:
        return None
    try:
        return np.asarray(inner(data_idx=0), dtype=np.float64).ravel()
    except (TypeError, ValueError, AttributeError):  # another LightGBM version's internals
        return None


def _predict_leaves(booster: Any, X: Any, t: int) -> np.ndarray:
    idx = np.asarray(
        booster.predict(X, start_iteration=t, num_iteration=1, pred_leaf=True, **_threads(booster.params))
    )
    return idx.reshape(idx.shape[0], -1)[:, 0].astype(np.int32, copy=False)


_THREAD_ALIASES = ("num_threads", "num_thread", "nthread", "nthreads", "n_jobs")


def _threads(params: dict[str, Any]) -> dict[str, Any]:
    """The booster's thread count for ``predict``: a prediction without one sets LightGBM's
    OpenMP threads to all cores, and the next training rounds then run on them."""
    for key in _THREAD_ALIASES:
        if params.get(key) is not None:
            return {"num_threads": int(params[key])}
    return {}


_EMPTY = np.empty(0, dtype=np.float64)
_NO_ROWS = np.empty(0, dtype=np.intp)


def _take_rows(X: Any, rows: np.ndarray) -> Any:
    """Rows of a NumPy array, SciPy sparse matrix or pandas DataFrame (else None)."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if hasattr(X, "tocsr"):
        return X.tocsr()[rows]
    if isinstance(X, np.ndarray):
        return X[rows]
    return None


def refit_leaves(
    booster: Any,
    X: Any,
    y: Any,
    loss: Any,
    *,
    sample_weight: Any = None,
    init: Any = 0.0,
    learning_rate: float | None = None,
) -> Any:
    """Set every leaf to the loss's own optimum on its training rows, tree by tree (in place).

    For tree t and leaf L the value becomes η·argmin_c Σ_{i∈L} wᵢ ℓ(yᵢ, Fᵢ + c) with F the init
    score plus the already refitted trees and η the learning rate — the weighted quantile of the
    residuals for mae and quantile, as LightGBM's ``RenewTreeOutput`` does for its built-ins.
    ``init`` is the init score the booster was trained from (not folded in). Leaf indices come
    from ``predict(X, pred_leaf=True)`` and values are set with ``set_leaf_output``.
    Single-output losses with an identity link. Returns the booster.
    """
    loss = as_loss(loss)
    if booster.num_model_per_iteration() != 1:
        raise DataError("refit_leaves supports single-output boosters (one tree per round).")
    _check_constant_leaves(booster.params)
    yy = np.asarray(y, dtype=np.float64)
    w = _as_weight(sample_weight)
    eta = float(learning_rate) if learning_rate is not None else _learning_rate(booster.params)
    leaves = np.asarray(booster.predict(X, pred_leaf=True, **_threads(booster.params)), dtype=np.int64)
    if leaves.ndim == 1:
        leaves = leaves[:, None]
    f = np.broadcast_to(np.asarray(init, dtype=np.float64), yy.shape).copy()
    refit = LeafRefit(loss)
    for t in range(leaves.shape[1]):
        _refit_tree(booster, t, refit, yy, f, w, leaves[:, t], eta)
    return booster


def _refit_tree(
    booster: Any,
    t: int,
    refit: LeafRefit,
    y: np.ndarray,
    f: np.ndarray,
    w: np.ndarray | None,
    idx: np.ndarray,
    eta: float,
    n_leaves: int | None = None,
    calls: _BoosterCalls | None = None,
) -> None:
    """Set tree t's leaves to η × their refit values and add them to the scores ``f`` (in place)."""
    k = refit.kernels
    if k is not None and refit.tau is not None and n_leaves is not None and calls is not None:
        # one kernel call (the values, η × them, f += them), then one C call per leaf
        lut, counts = k.refit_step(
            idx, y, f, _EMPTY if w is None else w, n_leaves, float(refit.tau), float(eta)
        )
        calls.set_leaves(t, lut, counts, k)
        return
    values = refit(y, f, w, idx, n_leaves)
    lut = np.zeros(n_leaves if n_leaves is not None else int(idx.max()) + 1)
    set_leaf = booster.set_leaf_output if calls is None else calls.set_leaf
    for leaf, v in values.items():
        set_leaf(t, leaf, eta * v)
        lut[leaf] = eta * v
    k = (refit.kernels or kernels(idx.size)) if n_leaves is not None else None
    if k is not None:  # leaf ids checked by the grouped quantile
        k.add_leaf_values(f, idx, lut)
    else:
        f += lut[idx]


# -- scikit-learn estimators -------------------------------------------------------------------

ESTIMATORS = ("LGBMRegressor", "LGBMClassifier")
DASK_ESTIMATORS = ("DaskLGBMRegressor", "DaskLGBMClassifier")


def __getattr__(name: str) -> Any:
    """``LGBMRegressor`` and ``LGBMClassifier`` (and their Dask forms, `losslab.gbdt.dask`), built
    (and lightgbm imported) on first use."""
    if name in ESTIMATORS:
        return _estimators()[name]
    if name in DASK_ESTIMATORS:
        from .gbdt.dask import lightgbm_estimators

        return lightgbm_estimators()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _ll_fit(
    self: Any,
    n_classes: int | None,
    X: Any,
    y: Any,
    codes: Any,
    kwargs: dict[str, Any],
    labels: tuple[np.ndarray, np.ndarray | None] | None = None,
) -> Any:
    """fit with the loss's objective and init score, folded into the model afterwards.

    ``labels``: a Dask fit's labels and weights gathered on the client (`losslab.gbdt.dask`):
    the init score and the ``smooth`` policy's scale come from all of them, and the init score
    is handed over partitioned as ``y``."""
    from .gbdt.dask import prime, rows_like
    from .gbdt.estimators import estimator_loss, library_base

    loss = estimator_loss(self.loss, n_classes)
    k = n_classes if loss.multiclass else None
    self._ll_loss = loss
    self._ll_obj = objective(
        loss, hessian=self.hessian, conventions=self.conventions, _booster_params=self.get_params()
    )
    if labels is not None:
        prime(self._ll_obj, *labels)
    init = None
    if kwargs.get("init_score") is None:
        w = kwargs.get("sample_weight") if labels is None else labels[1]
        init = init_score(loss, codes, w, n_classes=k)[0]
        kwargs["init_score"] = rows_like(init, y)
        if kwargs.get("eval_init_score") is None:
            evals = kwargs.get("eval_set")  # or eval_X/eval_y, LightGBM 4.7's names for it
            ys = [vy for _, vy in ([evals] if isinstance(evals, tuple) else evals or ())]
            eval_y = kwargs.get("eval_y")
            ys += [] if eval_y is None else list(eval_y) if isinstance(eval_y, (tuple, list)) else [eval_y]
            if ys:
                kwargs["eval_init_score"] = [rows_like(init, vy) for vy in ys]
    library_base(self, "lightgbm").fit(self, X, y, **kwargs)
    if init is not None:
        fold_init_score(self.booster_, init, k)
    return self


@functools.cache
def _estimators() -> dict[str, type]:
    import lightgbm as lgb

    from .gbdt.estimators import encode_classes, library_base, losslab_init, probabilities

    def _ll_process_params(self: Any, stage: str) -> dict[str, Any]:
        # LightGBM reads 'loss' as an alias of 'objective', and would pass 'hessian' and
        # 'conventions' to its C++ core: hidden from the parameters it builds
        if stage == "fit":
            self._objective = self._ll_obj
        self._ll_hide = True
        try:
            return library_base(self, "lightgbm")._process_params(self, stage)
        finally:
            self._ll_hide = False

    def _ll_get_params(self: Any, deep: bool = True) -> dict[str, Any]:
        params = library_base(self, "lightgbm").get_params(self, deep)
        if getattr(self, "_ll_hide", False):
            for key in ("loss", "hessian", "conventions"):
                params.pop(key, None)
        return params

    class LGBMRegressor(lgb.LGBMRegressor):
        """``lightgbm.LGBMRegressor`` with a losslab loss (default ``"mse"``).

        ``fit`` sets the objective (`objective`, with ``hessian`` and ``conventions``) and the
        init score ``loss.baseline(y, w)`` (unless given), folded into the first tree;
        ``predict`` returns the response through the loss's link (the mean of a Poisson loss),
        ``predict(X, raw_score=True)`` the raw score — as the built-in objectives do.

        Examples
        --------
        >>> import numpy as np, losslab.lightgbm as ll
        >>> X = np.arange(60.0).reshape(30, 2); y = X[:, 0] / 10
        >>> model = ll.LGBMRegressor("huber", n_estimators=3, min_child_samples=2, verbose=-1)
        >>> model.fit(X, y).predict(X).shape
        (30,)
        """

        __init__ = losslab_init(lgb.LGBMRegressor)
        _process_params = _ll_process_params
        get_params = _ll_get_params

        def fit(self, X: Any, y: Any, **kwargs: Any) -> LGBMRegressor:
            return _ll_fit(self, None, X, y, np.asarray(y, dtype=np.float64), kwargs)

        def predict(self, X: Any, raw_score: bool = False, **kwargs: Any) -> Any:
            out = super().predict(X, raw_score=raw_score, **kwargs)
            if raw_score or kwargs.get("pred_leaf") or kwargs.get("pred_contrib"):
                return out
            return np.asarray(self._ll_loss.link.inverse(np.asarray(out, dtype=np.float64)))

    class LGBMClassifier(lgb.LGBMClassifier):
        """``lightgbm.LGBMClassifier`` with a losslab loss (default binary_crossentropy for two
        classes, categorical_crossentropy for more).

        LightGBM's own classifier returns raw scores from ``predict_proba`` and ``predict``
        when its objective is a callable (it cannot know the link). This one sets the
        objective and the init score, and maps raw scores through the loss's link: ``predict_proba``
        gives probabilities (n, k), ``predict`` class labels, ``raw_score=True`` the raw scores.

        Examples
        --------
        >>> import numpy as np, losslab.lightgbm as ll
        >>> X = np.arange(60.0).reshape(30, 2); y = np.where(X[:, 0] > 25, "yes", "no")
        >>> clf = ll.LGBMClassifier(n_estimators=3, min_child_samples=2, verbose=-1).fit(X, y)
        >>> clf.predict_proba(X).shape, clf.predict(X[:1]).tolist()
        ((30, 2), ['no'])
        """

        __init__ = losslab_init(lgb.LGBMClassifier)
        _process_params = _ll_process_params
        get_params = _ll_get_params

        def fit(self, X: Any, y: Any, **kwargs: Any) -> LGBMClassifier:
            classes, codes = encode_classes(y)
            return _ll_fit(self, len(classes), X, y, codes, kwargs)

        def predict_proba(self, X: Any, raw_score: bool = False, **kwargs: Any) -> Any:
            other = kwargs.get("pred_leaf") or kwargs.get("pred_contrib")
            out = super().predict_proba(X, raw_score=True, **kwargs)  # a callable objective: raw
            return out if raw_score or other else probabilities(self._ll_loss, out)

        def predict(self, X: Any, raw_score: bool = False, **kwargs: Any) -> Any:
            if raw_score or kwargs.get("pred_leaf") or kwargs.get("pred_contrib"):
                return super().predict(X, raw_score=raw_score, **kwargs)
            return self._le.inverse_transform(np.argmax(self.predict_proba(X, **kwargs), axis=1))

    out: dict[str, type] = {}
    for cls in (LGBMRegressor, LGBMClassifier):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__  # picklable as losslab.lightgbm.X
        out[cls.__name__] = cls
    return out
