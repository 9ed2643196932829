"""Structured targets read from a boosting library's dataset (`losslab._core.targets`).

A loss whose ``target_type`` is a `Structured` kind needs more of the dataset than its labels:

=============  ===============================================  ==============================
kind           XGBoost ``DMatrix``                              LightGBM ``Dataset``
=============  ===============================================  ==============================
survival       label = time, negative for a censored row         the same signed label
               (``survival:cox``'s convention)
bounds         ``label_lower_bound`` / ``label_upper_bound``     label = exact values only
               (``survival:aft``); without them, exact labels
ranking        ``group`` / ``qid`` (``group_ptr``)               ``group`` (sizes)
ordinal        integer codes 0 … k−1 as labels                   the same
=============  ===============================================  ==============================

Each reader returns the loss's target object; the bridges cache it per dataset like labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.errors import DataError
from .._core.loss import Loss
from .._core.targets import Bounds, Ordinal, Ranking, Survival, TargetKind

__all__ = ["from_lightgbm", "from_xgboost", "ranking_from_sizes", "row_weights", "signed_survival_label"]


def signed_survival_label(time: Any, event: Any) -> np.ndarray:
    """XGBoost's ``survival:cox`` label: the time, negated where the row is censored.

    >>> signed_survival_label([2.0, 3.0], [1, 0]).tolist()
    [2.0, -3.0]
    """
    t = np.asarray(time, dtype=np.float64)
    return np.where(np.asarray(event) == 1, t, -t)


def _survival(loss: Loss, y: np.ndarray) -> Survival:
    return Survival(time=np.abs(y), event=(y > 0).astype(np.int64))


def _ordinal(loss: Loss, y: np.ndarray) -> Ordinal:
    return Ordinal.coerce(loss, y)  # type: ignore[return-value]


def _ranking(loss: Loss, y: np.ndarray, sizes: Any, library: str) -> Ranking:
    if sizes is None or np.size(sizes) == 0:
        how = "DMatrix(..., group=sizes) or qid=" if library == "xgboost" else "Dataset(..., group=sizes)"
        raise DataError(
            f"loss {loss.name!r} ranks rows within queries, but the {library} dataset has no query "
            f"groups; pass them with {how}."
        )
    sizes = np.asarray(sizes, dtype=np.int64)
    if int(sizes.sum()) != y.shape[0]:
        raise DataError(
            f"the query groups of the {library} dataset for loss {loss.name!r} cover {int(sizes.sum())} "
            f"rows, but it has {y.shape[0]}."
        )
    return Ranking.from_sizes(y, sizes)


def ranking_from_sizes(loss: Loss, y: Any, sizes: Any, library: str) -> Ranking:
    """The `Ranking` of labels ``y`` and query sizes ``sizes`` (a scikit-learn API's ``group``),
    with a clear error when there are none or they do not cover the rows."""
    return _ranking(loss, np.asarray(y, dtype=np.float64), sizes, library)


def row_weights(target: Any, w: np.ndarray | None) -> np.ndarray | None:
    """Per-row weights: XGBoost's ranking weights are one per query (``DMatrix.set_weight``
    of length n_groups), repeated here over each query's rows; other weights pass through."""
    if w is None or not isinstance(target, Ranking):
        return w
    sizes = target.sizes()
    if w.shape[0] == sizes.shape[0] and w.shape[0] != len(target):
        return np.repeat(w, sizes)
    return w


def from_xgboost(loss: Loss, dtrain: Any, y: np.ndarray) -> Any:
    """The target of ``loss`` in the DMatrix ``dtrain`` whose float64 labels are ``y``."""
    kind = None if loss.target_type is None else loss.target_type.kind
    if kind is None:
        return y
    if kind == TargetKind.SURVIVAL:
        return _survival(loss, y)
    if kind == TargetKind.BOUNDS:
        lo = np.asarray(dtrain.get_float_info("label_lower_bound"), dtype=np.float64)
        hi = np.asarray(dtrain.get_float_info("label_upper_bound"), dtype=np.float64)
        if lo.size == 0 and hi.size == 0:
            return Bounds(y, y)
        n = y.shape[0] or lo.size  # XGBoost's AFT needs no label: the bounds may stand alone
        if lo.size != n or hi.size != n:
            raise DataError(
                f"loss {loss.name!r} needs both label_lower_bound and label_upper_bound on the DMatrix "
                f"(one per row, {n}); got {lo.size} and {hi.size}."
            )
        return Bounds(lo, hi)
    if kind == TargetKind.RANKING:
        ptr = np.asarray(dtrain.get_uint_info("group_ptr"), dtype=np.int64)
        return _ranking(loss, y, np.diff(ptr) if ptr.size else None, "xgboost")
    if kind == TargetKind.ORDINAL:
        return _ordinal(loss, y)
    raise DataError(f"loss {loss.name!r} takes a {kind} target, which XGBoost datasets cannot carry.")


def from_lightgbm(loss: Loss, dataset: Any, y: np.ndarray) -> Any:
    """The target of ``loss`` in the LightGBM ``dataset`` whose float64 labels are ``y``."""
    kind = None if loss.target_type is None else loss.target_type.kind
    if kind is None:
        return y
    if kind == TargetKind.SURVIVAL:
        return _survival(loss, y)
    if kind == TargetKind.BOUNDS:
        return Bounds(y, y)  # LightGBM has no bound fields: its labels are exact values
    if kind == TargetKind.RANKING:
        return _ranking(loss, y, dataset.get_group(), "lightgbm")
    if kind == TargetKind.ORDINAL:
        return _ordinal(loss, y)
    raise DataError(f"loss {loss.name!r} takes a {kind} target, which LightGBM datasets cannot carry.")
