r"""The task inference: what kind of target a column is, with evidence, a confidence and alternatives.

One inference for the whole library: `losslab.advise`, `losslab.compare` and `losslab train`
all call `infer_task`, so they name the same task for the same target. The rules follow
AutoGluon's ``infer_problem_type`` (unique-value ratio ≤ 0.05 for n > 1000 rows, ≤ 0.10 otherwise,
≤ 1000 classes) and add losslab's subtypes (count, positive, proportion, ordinal), each with its
evidence, a confidence and the alternatives when the data cannot tell (integer ratings, small
counts). The thresholds and their sources are `TASK_THRESHOLDS`.

pandas (and scipy for the skewness) are imported inside the functions.

>>> infer_task([0, 1, 2, 1, 0, 2, 1, 0] * 10).task
'multiclass'
>>> task_family("count")
'regression'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._core.errors import DataError

__all__ = [
    "CLASSIFICATION_TASKS",
    "REGRESSION_TASKS",
    "TASKS",
    "TASK_THRESHOLDS",
    "TaskInference",
    "infer_task",
    "is_categorical",
    "no_spread",
    "orders_of_magnitude",
    "skewness",
    "task_family",
]

CLASSIFICATION_TASKS = ("binary", "multiclass")
REGRESSION_TASKS = ("regression", "count", "positive", "proportion", "ordinal")
TASKS = ("binary", "multiclass", "regression", "count", "positive", "proportion", "ordinal")

#: The thresholds of the task inference, with their sources (the advisor's table includes them).
TASK_THRESHOLDS: dict[str, tuple[float, str]] = {
    "large_data_rows": (1000, "AutoGluon LARGE_DATA_THRESHOLD (core/constants.py)"),
    "unique_ratio_large": (0.05, "AutoGluon infer_problem_type, n > 1000 rows"),
    "unique_ratio_small": (0.10, "AutoGluon infer_problem_type, n ≤ 1000 rows"),
    "max_classes": (1000, "AutoGluon MULTICLASS_UPPER_LIMIT"),
    "max_label_levels": (20, "PyCaret get_ml_task / mljar: ≤ 20 integer levels read as classes"),
    "label_balance": (
        0.2,
        "losslab choice: 0-based labels whose rarest level has ≥ 20% of the commonest look like "
        "encoded classes; counts tail off",
    ),
    "ordinal_max_level": (10, "losslab choice: rating scales 1–5, 1–7, 1–10"),
}

#: Thresholds the inference shares with the advisor's target diagnostics.
SHARED_THRESHOLDS: dict[str, tuple[float, str]] = {
    "skew_high": (
        1.0,
        "the usual 'highly skewed' cut-off, skewness > 1 (Bulmer 1979; 'memory' in the reference note)",
    ),
    "dynamic_range_orders": (
        2.0,
        "sklearn MSLE doc 'exponential growth'; reference: ≥ 2 orders of magnitude",
    ),
    "zero_share": (0.10, "reference note §6: zeros ≥ 10% (chosen default; H2O/sklearn Tweedie examples)"),
}


def _t(key: str) -> float:
    return (TASK_THRESHOLDS.get(key) or SHARED_THRESHOLDS[key])[0]


def task_family(task: str) -> str:
    """``"classification"`` or ``"regression"`` for a task name.

    >>> task_family("binary"), task_family("ordinal")
    ('classification', 'regression')
    """
    if task in CLASSIFICATION_TASKS:
        return "classification"
    if task in REGRESSION_TASKS:
        return "regression"
    raise DataError(
        f"unknown task {task!r}; expected one of {', '.join(CLASSIFICATION_TASKS + REGRESSION_TASKS)}."
    )


@dataclass
class TaskInference:
    """The inferred task with its evidence, confidence and alternatives."""

    task: str
    confidence: str
    evidence: list[str]
    alternatives: list[str] = field(default_factory=list)


def is_categorical(ys: Any) -> bool:
    """Whether a pandas Series holds text or categories (not numbers)."""
    import pandas as pd

    return bool(
        isinstance(ys.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(ys)
        or pd.api.types.is_string_dtype(ys)
    )


def orders_of_magnitude(v: Any) -> float:
    """Orders of magnitude spanned by the positive values (1st to 99th percentile).

    >>> round(orders_of_magnitude([1.0, 10.0, 100.0]), 2)
    1.92
    """
    pos = np.asarray(v, dtype=float)
    pos = pos[pos > 0]
    if pos.size < 2:
        return 0.0
    lo, hi = np.quantile(pos, [0.01, 0.99])
    return float(math.log10(hi / lo)) if lo > 0 else 0.0


def no_spread(v: Any) -> bool:
    """True when v has no spread beyond rounding: scipy's moments would warn and return NaN."""
    m = float(v.mean())
    d = v - m
    eps = np.finfo(float).eps
    return bool(np.max(np.abs(d)) <= 10 * eps * abs(m) or np.mean(d * d) <= (eps * m) ** 2)


def skewness(v: Any) -> float:
    """Sample skewness g₁ = m₃/m₂^1.5 (scipy's biased estimator); 0 for fewer than 3 values or no spread."""
    from scipy.stats import skew

    v = np.asarray(v, dtype=float)
    if v.size < 3 or no_spread(v):
        return 0.0
    return float(skew(v, bias=True))


def _numeric_strings(y: Any) -> bool:
    import pandas as pd

    sample = y.astype(str).head(200)
    return bool(pd.to_numeric(sample, errors="coerce").notna().mean() > 0.95)


def _observed(y: Any) -> Any:
    """A pandas Series of the target without missing values (NaN, and ±inf in a numeric target)."""
    import pandas as pd

    from .tabular import missing_mask

    ys = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    missing = missing_mask(ys)
    if bool(missing.any()):
        ys = ys.loc[~missing.to_numpy()]
    if len(ys) == 0:
        raise DataError("the target has no values (all missing); there is no task to infer.")
    return ys


def infer_task(y: Any) -> TaskInference:
    """The task of a target, with evidence and alternatives.

    ``y`` is a pandas Series or 1-D array; missing values (NaN, ±inf) are left out first.

    Rules in order (first match wins): two distinct values → binary; text/categorical →
    multiclass (ordered categorical → ordinal); integer-valued with few distinct values
    (unique ratio ≤ 0.05 for n > 1000, ≤ 0.10 otherwise; AutoGluon) → ordinal when the
    levels are a 1…≤10 scale, multiclass when they are 0…k−1 labels of comparable frequency,
    count otherwise (non-negative); values in [0, 1] → proportion; y ≥ 0 and skewed, zero-heavy
    or spanning ≥ 2 orders of magnitude → positive; other numbers → regression.

    Raises
    ------
    DataError
        A target with a single value (nothing to learn) or no values.

    Examples
    --------
    >>> import pandas as pd
    >>> infer_task(pd.Series([1, 5, 3, 4, 2, 5, 4, 3] * 20)).task
    'ordinal'
    >>> infer_task(pd.Series(["cat", "dog", "owl", "cat"])).task
    'multiclass'
    """
    import pandas as pd

    y = _observed(y)
    n = len(y)
    uniq = pd.unique(y)
    k = len(uniq)
    if k < 2:
        raise DataError(
            f"the target has a single value ({uniq[0]!r} in all {n} rows): there is nothing to learn; "
            "a classifier needs at least 2 classes."
        )
    thr = _t("unique_ratio_large") if n > _t("large_data_rows") else _t("unique_ratio_small")
    ratio = k / n
    if k == 2:
        levels = sorted(map(str, uniq)) if is_categorical(y) else sorted(uniq.tolist())
        return TaskInference(
            "binary", "high", [f"exactly 2 distinct values ({levels[0]!r}, {levels[1]!r}) in {n} rows"]
        )
    if isinstance(y.dtype, pd.CategoricalDtype) and y.dtype.ordered:
        return TaskInference(
            "ordinal",
            "high",
            [f"ordered categorical with {k} levels"],
            ["multiclass"],
        )
    if is_categorical(y) or pd.api.types.is_bool_dtype(y):
        conf = "high" if k <= _t("max_classes") else "low"
        ev = [f"text/categorical values ({k} distinct in {n} rows)"]
        alts = []
        if k > _t("max_classes"):
            ev.append(f"{k} classes exceeds AutoGluon's limit of {int(_t('max_classes'))}")
        elif ratio > thr:
            ev.append(f"unique ratio {ratio:.3f} > {thr:g}: many classes for the rows")
            conf = "medium"
        if _numeric_strings(y):
            alts.append("regression")
            ev.append("the strings parse as numbers: the column may be numeric stored as text")
            conf = "low"
        return TaskInference("multiclass", conf, ev, alts)
    v = y.to_numpy(dtype=float)
    vmin, vmax = float(v.min()), float(v.max())
    integral = bool(np.all(v == np.round(v)))
    few = ratio <= thr and k <= _t("max_classes")
    if integral and few:
        levels = np.sort(np.unique(v))
        counts = np.array([(v == lv).sum() for lv in levels])
        contiguous = levels[-1] - levels[0] + 1 == k
        balance = counts.min() / counts.max()
        span = (
            f"integer levels {int(levels[0])}…{int(levels[-1])} ({k} distinct, unique ratio {ratio:.3f} "
            f"≤ {thr:g})"
        )
        if vmin >= 1 and vmax <= _t("ordinal_max_level") and contiguous:
            return TaskInference(
                "ordinal",
                "low",
                [span, f"a contiguous 1…{int(vmax)} scale, like ratings: ordered levels"],
                ["multiclass", "regression"],
            )
        if vmin == 0 and contiguous and k <= _t("max_label_levels") and balance >= _t("label_balance"):
            return TaskInference(
                "multiclass",
                "medium",
                [
                    span,
                    f"0-based contiguous labels; the rarest level has {balance:.0%} of the commonest's rows "
                    f"(≥ {_t('label_balance'):.0%}): encoded classes rather than counts",
                ],
                ["count", "ordinal"],
            )
        if vmin >= 0:
            skew = skewness(v)
            conf = "low" if k <= 5 else "medium"
            ev = [
                span,
                f"non-negative integers whose frequencies tail off (rarest/commonest {balance:.2f}, "
                f"skewness {skew:.2f})",
            ]
            return TaskInference("count", conf, ev, ["multiclass", "ordinal"] if k <= 5 else ["multiclass"])
        return TaskInference(
            "multiclass",
            "medium",
            [span, "integer labels including negatives (AutoGluon reads few integer levels as classes)"],
            ["regression"],
        )
    if integral and vmin >= 0:
        share_zero = float(np.mean(v == 0))
        skew = skewness(v)
        span = f"non-negative integers with {k} distinct values (unique ratio {ratio:.3f} > {thr:g})"
        if share_zero > 0 or skew > _t("skew_high"):
            return TaskInference(
                "count",
                "low",
                [span, f"zeros {share_zero:.1%}, skewness {skew:.2f}: counts with a wide range"],
                ["regression"],
            )
        return TaskInference(
            "regression",
            "medium",
            [span, f"no zeros, skewness {skew:.2f}: an integer-valued measurement"],
            ["count"],
        )
    if not integral and vmin >= 0 and vmax <= 1:
        inner = float(np.mean((v > 0) & (v < 1)))
        return TaskInference(
            "proportion",
            "high" if inner >= 0.5 else "medium",
            [f"all values in [0, 1] ({inner:.0%} strictly inside), not just 0/1: a fraction or soft label"],
            ["regression"],
        )
    if not integral and vmin >= 0:
        share_zero = float(np.mean(v == 0))
        skew = skewness(v)
        orders = orders_of_magnitude(v)
        why = []
        if share_zero >= _t("zero_share"):
            why.append(f"{share_zero:.1%} exact zeros (≥ {_t('zero_share'):.0%}) with continuous positives")
        if skew > _t("skew_high"):
            why.append(f"right-skewed (skewness {skew:.2f} > {_t('skew_high'):g})")
        if orders >= _t("dynamic_range_orders"):
            why.append(f"spans {orders:.1f} orders of magnitude (≥ {_t('dynamic_range_orders'):g})")
        if why:
            return TaskInference(
                "positive",
                "medium",
                [f"non-negative continuous values (min {vmin:.4g})", *why],
                ["regression"],
            )
        return TaskInference(
            "regression",
            "high",
            [
                f"non-negative continuous values, skewness {skew:.2f}, {orders:.1f} orders of magnitude: "
                "symmetric enough"
            ],
            ["positive"],
        )
    ev = [f"real values from {vmin:.4g} to {vmax:.4g} ({k} distinct in {n} rows)"]
    alts = []
    conf = "high"
    if integral:
        ev.append(f"integer-valued with negatives; unique ratio {ratio:.3f} > {thr:g}")
        conf = "medium"
    return TaskInference("regression", conf, ev, alts)
