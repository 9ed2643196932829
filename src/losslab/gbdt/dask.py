"""Boosting with a losslab loss on a Dask cluster (``xgboost.dask``, LightGBM's Dask estimators).

The objectives work on a cluster as they are: each worker calls the objective on its own rows,
which is all a gradient is, and the libraries sum the gradient histograms over workers. What
needs the whole dataset is done here, from the label and weight columns alone (one number a
row, read from the workers; the features stay where they are):

- **Init score.** ``loss.baseline(y, w)`` of *all* the labels, the same number as on one
  machine (`gather`). LightGBM's own ``boost_from_average`` on a cluster is the unweighted mean
  of each worker's init score (``Network::GlobalSyncUpByMean``), which is neither the global
  mean nor the global log-odds unless every worker holds the same number of rows.
- **Metric.** Under ``xgboost.dask`` the metric reduces Σwℓ and Σw over the workers
  (`xgboost_global_mean`); XGBoost would otherwise average the workers' means. LightGBM's Dask
  estimators report the metrics of the worker that returns the model, on its part of the
  evaluation data — its own built-in metrics included.
- **The ``smooth`` policy's scale** S (1 % of the labels' mean absolute deviation) is set from
  all the labels before the objective is shipped (`prime`). An objective whose S would come from
  one worker's labels refuses to run inside ``xgboost.dask`` (`check_smooth_scale`).
- **Leaf refit.** The per-round refit of median and quantile losses (`losslab.gbdt.refit`)
  needs every training row in one process: on a cluster it raises, or — by default in
  `losslab.xgboost.dask_train` — falls back to the ``smooth`` policy with a warning.

The Dask estimators (`xgboost_estimators`, `lightgbm_estimators`; public as
``losslab.xgboost.DaskXGBRegressor`` … and ``losslab.lightgbm.DaskLGBMRegressor`` …) are the
faces' estimators on the libraries' Dask ones. Nothing here imports dask, xgboost or lightgbm
at module level.
"""

from __future__ import annotations

import functools
import sys
import warnings
from types import SimpleNamespace
from typing import Any

import numpy as np

from .._core.errors import DataError, ParameterError
from .._core.loss import Loss
from .objective import as_loss, refit_recommended

__all__ = [
    "check_smooth_scale",
    "gather",
    "is_dask",
    "lightgbm_estimators",
    "prime",
    "rows_like",
    "smooth_scale",
    "xgboost_estimators",
    "xgboost_global_mean",
    "xgboost_train",
]


def is_dask(x: Any) -> bool:
    """``x`` is a Dask collection (array, DataFrame, Series), told by its module: no import."""
    return type(x).__module__.partition(".")[0] == "dask"


def gather(x: Any) -> Any:
    """A Dask collection's values as a NumPy array on the client (anything else as it is).

    Meant for label and weight columns: one value a row (k for probability labels).
    """
    if x is None or not is_dask(x):
        return x
    out = np.asarray(x.compute())
    return out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out


def rows_like(c: Any, like: Any) -> Any:
    """The constant ``c`` (a number or k numbers) once per row of ``like``: (n,) or (n, k).

    A NumPy array for array-likes; for a Dask collection, a Dask collection with ``like``'s
    partitions (what the Dask estimators want for ``init_score``), built on the workers.

    Examples
    --------
    >>> rows_like(0.5, [1, 2, 3]).tolist()
    [0.5, 0.5, 0.5]
    >>> rows_like(np.array([0.1, -0.1]), np.zeros(2)).tolist()
    [[0.1, -0.1], [0.1, -0.1]]
    """
    c = np.asarray(c, dtype=np.float64)
    if not is_dask(like):
        return _fill(np.shape(like)[0], c)
    if hasattr(like, "map_blocks"):  # dask.array: rows in the first axis
        if c.ndim == 0:
            return like.map_blocks(_fill_block, c, dtype=np.float64, drop_axis=list(range(1, like.ndim)))
        new = [1] if like.ndim == 1 else []
        return like.map_blocks(
            _fill_block,
            c,
            dtype=np.float64,
            drop_axis=list(range(2, like.ndim)),
            new_axis=new,
            chunks=(like.chunks[0], (c.size,)),
        )
    import pandas as pd

    meta = pd.Series([], dtype=np.float64) if c.ndim == 0 else pd.DataFrame(np.empty((0, c.size)))
    return like.map_partitions(_fill_frame, c, meta=meta)


def _fill(n: int, c: np.ndarray) -> np.ndarray:
    return np.full(n, float(c)) if c.ndim == 0 else np.tile(c, (n, 1))


def _fill_block(block: np.ndarray, c: np.ndarray) -> np.ndarray:
    return _fill(block.shape[0], c)


def _fill_frame(part: Any, c: np.ndarray) -> Any:
    import pandas as pd

    values = _fill(len(part), c)
    return pd.Series(values, index=part.index) if c.ndim == 0 else pd.DataFrame(values, index=part.index)


def _map_link(out: Any, inverse: Any) -> Any:
    """Dask predictions (raw scores) through a link's inverse, partition by partition."""
    if hasattr(out, "map_blocks"):
        return out.map_blocks(
            lambda b: np.asarray(inverse(np.asarray(b, dtype=np.float64))), dtype=np.float64
        )
    return out.map_partitions(
        lambda s: type(s)(np.asarray(inverse(s.to_numpy(dtype=np.float64))), index=s.index),
        meta=out._meta.astype(np.float64),
    )


# -- the smooth policy's scale ------------------------------------------------------------------


def smooth_scale(loss: Any, y: Any, sample_weight: Any = None) -> float:
    """The ``smooth`` Hessian policy's default scale S for labels ``y`` (Dask collections are
    gathered): 1 % of the weighted mean absolute deviation of y from its weighted median.

    For an objective handed to a Dask estimator as it is: ``objective(loss, hessian=f"smooth:{S!r}")``.

    Examples
    --------
    >>> smooth_scale("quantile", [1.0, 2.0, 3.0, 10.0])  # median 2.5, mean |y − 2.5| = 2.5
    0.025
    """
    from .objective import GradHess, resolve_policy

    loss = as_loss(loss)
    obj = SimpleNamespace(grad_hess=GradHess(loss, resolve_policy(loss, "smooth", False)))
    prime(obj, gather(y), gather(sample_weight))
    return float(obj.grad_hess._smooth_scale)


def prime(obj: Any, y: np.ndarray, w: np.ndarray | None) -> None:
    """Set the objective's ``smooth`` scale S from all the labels ``y`` and weights ``w`` (as one
    machine would on its first call), so the workers do not each take it from their own rows.
    Other policies have nothing to set."""
    gh = obj.grad_hess
    if gh.policy.kind == "smooth" and gh._smooth_scale is None:
        y = np.asarray(y, dtype=np.float64)
        gh._smooth(y, y, None if w is None else np.asarray(w, dtype=np.float64))


def check_smooth_scale(loss: Loss) -> None:
    """Raise inside a multi-worker ``xgboost.dask`` run: the ``smooth`` scale S about to be taken
    from the labels would be this worker's, not the dataset's (called where S is computed)."""
    if xgboost_world_size() > 1:
        raise ParameterError(
            f"hessian policy 'smooth' of loss {loss.name!r}: its scale S defaults to 1% of the labels' "
            "mean absolute deviation, but on a Dask cluster each worker sees only its own labels. Pass "
            "hessian=f'smooth:{S!r}' with S = losslab.gbdt.dask.smooth_scale(loss, y, w) of all the labels, "
            "or use losslab.xgboost.dask_train / DaskXGBRegressor, which set it."
        )


# -- xgboost.dask -------------------------------------------------------------------------------


def xgboost_world_size() -> int:
    """The number of workers of the running XGBoost collective (1 outside ``xgboost.dask``)."""
    collective = sys.modules.get("xgboost.collective")
    return 1 if collective is None else int(collective.get_world_size())


def xgboost_global_mean(loss: Loss, y: np.ndarray, f: np.ndarray, w: np.ndarray | None) -> float:
    """Σwℓ / Σw over the rows of every worker of the running XGBoost collective."""
    from xgboost import collective

    total = np.zeros(2)
    if y.shape[0]:  # a worker may hold no rows
        total[0] = float(loss(y, f, sample_weight=w, reduction="sum"))
        total[1] = float(np.sum(w)) if w is not None else float(y.shape[0])
    total = collective.allreduce(total, collective.Op.SUM)
    return float(total[0] / total[1])


def dmatrix_labels(client: Any, dtrain: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """The labels and weights of a ``DaskDMatrix``, read on the workers and gathered in
    partition order (the features are not moved)."""
    try:
        order = dtrain.partition_order
        parts = sorted((f for fs in dtrain.worker_map.values() for f in fs), key=lambda f: order[f.key])
    except (AttributeError, KeyError):  # another XGBoost version's internals
        raise DataError(
            "cannot read the labels of this XGBoost version's DaskDMatrix; call xgboost.dask.train(client, "
            "losslab.xgboost.params(loss, y, w, **params), dtrain, obj=losslab.xgboost.objective(loss), "
            "custom_metric=losslab.xgboost.metric(loss)) with the label and weight collections y, w."
        ) from None
    if client is None:
        from distributed import default_client

        client = default_client()
    pieces = client.gather(client.map(_part_labels, parts, pure=False))
    if any(y is None for y, _ in pieces):
        raise DataError("the DaskDMatrix has no label; pass label= (the targets) when building it.")
    y = np.concatenate([y for y, _ in pieces])
    ws = [w for _, w in pieces]
    w = (
        None
        if all(v is None for v in ws)
        else np.concatenate([np.ones(len(p[0])) if v is None else v for p, v in zip(pieces, ws, strict=True)])
    )
    return y, w


def _part_labels(part: dict[str, Any]) -> tuple[np.ndarray | None, np.ndarray | None]:
    def column(x: Any) -> np.ndarray | None:
        if x is None:
            return None
        x = np.asarray(x, dtype=np.float64)
        return x[:, 0] if x.ndim == 2 and x.shape[1] == 1 else x

    return column(part.get("label")), column(part.get("weight"))


def cluster_refit(loss: Loss, hessian: str | None, refit: bool | str | None) -> str | None:
    """The Hessian policy to use on a cluster, where the per-round leaf refit cannot run.

    ``refit`` other than None/False raises; None with a loss whose default is the refit (median
    and quantile losses) warns and trains without it, with ``hessian`` or else ``smooth``."""
    if refit not in (None, False):
        raise ParameterError(
            f"refit={refit!r} for loss {loss.name!r}: the leaf refit needs every training row in one "
            "process and cannot run on a Dask cluster. Pass refit=False (with hessian='smooth', the "
            "pseudo-Huber surrogate, for median and quantile losses), or train on one machine with "
            "losslab.xgboost.train."
        )
    if refit is None and refit_recommended(loss):
        chosen = "smooth" if hessian is None else hessian
        warnings.warn(
            f"loss {loss.name!r} is boosted with a leaf refit every round on one machine, which cannot run "
            f"on a Dask cluster; training with hessian={chosen!r} and no refit instead"
            + (" (the pseudo-Huber surrogate of the loss)" if hessian is None else "")
            + ". Pass refit=False to accept this without the warning, or train on one machine with "
            "losslab.xgboost.train for the refit.",
            UserWarning,
            stacklevel=4,
        )
        return chosen
    return hessian


def xgboost_train(
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
    """`losslab.xgboost.dask_train` (documented there)."""
    import xgboost.dask as dxgb

    from .. import xgboost as face

    loss = as_loss(loss)
    hessian = cluster_refit(loss, hessian, refit)
    obj = face.objective(
        loss,
        hessian=hessian,
        conventions=conventions,
        scale=scale,
        hessian_scale=hessian_scale,
        _booster_params=params,
    )
    y, w = dmatrix_labels(client, dtrain)
    prime(obj, y, w)
    p = face.params(loss, y, w, n_classes=params.get("num_class"), conventions=conventions, **params)
    return dxgb.train(client, p, dtrain, num_boost_round, obj=obj, custom_metric=face.metric(loss), **kwargs)


@functools.cache
def xgboost_estimators() -> dict[str, type]:
    """``DaskXGBRegressor`` and ``DaskXGBClassifier``: `losslab.xgboost.XGBRegressor` and
    ``XGBClassifier`` on ``xgboost.dask``'s estimators."""
    import xgboost.dask as dxgb

    from .. import xgboost as face
    from .estimators import encode_classes, losslab_init

    class DaskXGBRegressor(dxgb.DaskXGBRegressor):
        """``xgboost.dask.DaskXGBRegressor`` with a losslab loss (default ``"mse"``).

        ``fit`` takes Dask collections; the base score is the loss's baseline of all the labels
        and weights, the objective runs on each worker's rows; ``predict`` returns a Dask
        collection of responses through the loss's link (``output_margin=True``: raw margins).
        Otherwise as `losslab.xgboost.XGBRegressor`.
        """

        __init__ = losslab_init(dxgb.DaskXGBRegressor)
        _wrapper_params = face._ll_wrapper_params

        def fit(self, X: Any, y: Any, **kwargs: Any) -> DaskXGBRegressor:
            labels = (np.asarray(gather(y), dtype=np.float64), gather(kwargs.get("sample_weight")))
            return face._xgb_fit(self, None, X, y, labels[0], kwargs, labels)

        def predict(self, X: Any, output_margin: bool = False, **kwargs: Any) -> Any:
            out = super().predict(X, output_margin=True, **kwargs)
            return out if output_margin else _map_link(out, self._ll_loss.link.inverse)

    class DaskXGBClassifier(dxgb.DaskXGBClassifier):
        """``xgboost.dask.DaskXGBClassifier`` with a losslab loss (default binary_crossentropy for
        two classes, categorical_crossentropy for more): the base score from all the labels;
        ``predict_proba`` gives probabilities. Otherwise as `losslab.xgboost.XGBClassifier`.
        """

        __init__ = losslab_init(dxgb.DaskXGBClassifier)
        _wrapper_params = face._ll_wrapper_params

        def fit(self, X: Any, y: Any, **kwargs: Any) -> DaskXGBClassifier:
            classes, codes = encode_classes(gather(y))
            labels = (codes.astype(np.float64), gather(kwargs.get("sample_weight")))
            return face._xgb_fit(self, len(classes), X, y, codes, kwargs, labels)

    return _public(face.__name__, DaskXGBRegressor, DaskXGBClassifier)


@functools.cache
def lightgbm_estimators() -> dict[str, type]:
    """``DaskLGBMRegressor`` and ``DaskLGBMClassifier``: `losslab.lightgbm.LGBMRegressor` and
    ``LGBMClassifier`` on LightGBM's Dask estimators."""
    import lightgbm as lgb

    from .. import lightgbm as face
    from .estimators import encode_classes, library_base, losslab_init

    def _get_params(self: Any, deep: bool = True) -> dict[str, Any]:
        params = library_base(self, "lightgbm").get_params(self, deep)
        if getattr(self, "_ll_fitting", False):
            # what the workers' LightGBM estimators are built from: the objective, not the loss
            for key in ("loss", "hessian", "conventions"):
                params.pop(key, None)
            params["objective"] = getattr(self, "_ll_obj", params.get("objective"))
        return params

    def _fit(self: Any, n_classes: int | None, X: Any, y: Any, codes: Any, kwargs: dict[str, Any]) -> Any:
        labels = (np.asarray(codes, dtype=np.float64), gather(kwargs.get("sample_weight")))
        saved = self.objective
        self._ll_fitting = True
        try:
            face._ll_fit(self, n_classes, X, y, codes, kwargs, labels)
        finally:
            self._ll_fitting = False
            self.objective = saved  # LightGBM copies the workers' parameters back
        return self

    class DaskLGBMRegressor(lgb.DaskLGBMRegressor):
        """``lightgbm.DaskLGBMRegressor`` with a losslab loss (default ``"mse"``).

        ``fit`` takes Dask collections; the init score is the loss's baseline of all the labels
        and weights (handed over partitioned as ``y``) and is folded into the first tree;
        ``predict`` returns a Dask collection of responses through the loss's link
        (``raw_score=True``: raw scores); ``to_local()`` a `losslab.lightgbm.LGBMRegressor`.
        """

        __init__ = losslab_init(lgb.DaskLGBMRegressor)
        get_params = _get_params

        def fit(self, X: Any, y: Any, **kwargs: Any) -> DaskLGBMRegressor:
            return _fit(self, None, X, y, gather(y), kwargs)

        def to_local(self) -> Any:
            return self._lgb_dask_to_local(face.LGBMRegressor)

    class DaskLGBMClassifier(lgb.DaskLGBMClassifier):
        """``lightgbm.DaskLGBMClassifier`` with a losslab loss (default binary_crossentropy for two
        classes, categorical_crossentropy for more): the init score from all the labels;
        ``predict_proba`` gives probabilities (LightGBM's own returns raw scores for a callable
        objective), ``predict`` class labels; ``to_local()`` a `losslab.lightgbm.LGBMClassifier`.
        """

        __init__ = losslab_init(lgb.DaskLGBMClassifier)
        get_params = _get_params

        def fit(self, X: Any, y: Any, **kwargs: Any) -> DaskLGBMClassifier:
            classes, codes = encode_classes(gather(y))
            return _fit(self, len(classes), X, y, codes, kwargs)

        def to_local(self) -> Any:
            return self._lgb_dask_to_local(face.LGBMClassifier)

    return _public(face.__name__, DaskLGBMRegressor, DaskLGBMClassifier)


def _public(module: str, *classes: type) -> dict[str, type]:
    out: dict[str, type] = {}
    for cls in classes:
        cls.__module__, cls.__qualname__ = module, cls.__name__  # picklable as losslab.<face>.X
        out[cls.__name__] = cls
    return out
