r"""The task inference: what kind of target a column is, with evidence, a confidence and alternatives.

One inference for the whole library: `losslab.advise`, `losslab.compare` and `losslab train`
all call `infer_task`, so they name the same task for the same target. The rules follow
AutoGluon's ``infer_problem_type`` (unique-value ratio ≤ 0.05 for n > 1000 rows, ≤ 0.10 otherwise,
≤ 1000 classes) and add losslab's subtypes (count, positive, proportion, ordinal), each with its
evidence, a confidence and the alternatives when the data cannot tell (integer ratings, small
counts). Integer values are read first (`read_integers`): codes, counts near zero, or a
measurement in whole units (prices, grams, days), which is not a count. The thresholds and their
sources are `TASK_THRESHOLDS`.

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
    "ALL_TASKS",
    "CLASSIFICATION_TASKS",
    "REGRESSION_TASKS",
    "STRUCTURED_TASKS",
    "TASKS",
    "TASK_THRESHOLDS",
    "IntegerReading",
    "TaskInference",
    "infer_task",
    "is_categorical",
    "level_distribution",
    "no_spread",
    "orders_of_magnitude",
    "read_integers",
    "skewness",
    "skewness_se",
    "soft_label_mean",
    "sorted_labels",
    "structured_task",
    "task_family",
]

CLASSIFICATION_TASKS = ("binary", "multiclass")
REGRESSION_TASKS = ("regression", "count", "positive", "proportion", "ordinal")
TASKS = ("binary", "multiclass", "regression", "count", "positive", "proportion", "ordinal")
#: tasks with a structured target (`losslab.targets`): asked for, never inferred from one column
STRUCTURED_TASKS = ("survival", "ranking", "ordinal")
#: every task `losslab.compare` takes: the inferred ones and the structured ones
ALL_TASKS = (*TASKS, "survival", "ranking")

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
    "count_small_value": (
        10,
        "losslab choice: counts live near zero; values 1…10 are 'small' (a Poisson count of mean 10 has a "
        "relative spread of 32%, so the unit step still matters)",
    ),
    "count_small_share": (
        0.10,
        "losslab choice: a count has ≥ 10% of its rows at the small values 1…10 (Poisson/negative binomial "
        "with zeros do); amounts in whole units (prices, grams) have none",
    ),
    "count_dispersion_min": (
        0.5,
        "losslab choice: a count's variance is about its mean or larger (Poisson, overdispersion); under "
        "half the mean only bounded (binomial-like) counts, so the count reading loses confidence",
    ),
    "grid_min_levels": (
        10,
        "losslab choice: all of ≥ 10 distinct non-zero values multiples of g ≥ 2 (chance 2⁻¹⁰ for counts) "
        "is a measurement rounded to g units",
    ),
    "coded_gap_pvalue": (
        0.001,
        "losslab choice: an empty run of integers between two well-filled levels, improbable (P < 0.001) "
        "for a unimodal count, whose frequencies between two levels are at least the smaller of theirs "
        "(taken at its 99.9% Poisson lower bound)",
    ),
    "skew_se_z": (
        1.96,
        "95% two-sided normal quantile: skewness within 1.96 standard errors of the cut-off cannot be told "
        "from it (SE² = 6(n−2)/((n+1)(n+3)), D'Agostino 1970)",
    ),
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
    """``"classification"`` or ``"regression"`` for a task name; ``"survival"`` and ``"ranking"``
    are families of their own (their targets are structured).

    >>> task_family("binary"), task_family("ordinal"), task_family("survival")
    ('classification', 'regression', 'survival')
    """
    if task in CLASSIFICATION_TASKS:
        return "classification"
    if task in REGRESSION_TASKS:
        return "regression"
    if task in ("survival", "ranking"):
        return task
    raise DataError(f"unknown task {task!r}; expected one of {', '.join(ALL_TASKS)}.")


def structured_task(
    task: str | None = None,
    *,
    time: str | None = None,
    event: str | None = None,
    group: str | None = None,
    levels: Any = None,
) -> str | None:
    """The structured task that ``task`` and the columns given ask for, or None (an ordinary
    target: `infer_task` names its task).

    A time and an event column ask for survival; ``task="ranking"`` for ranking, whose query
    column is ``group``; declared ``levels`` (names in order, or a number k of integer codes
    0 … k−1) for an ordinal target with the ordinal losses. A single numeric column is never
    read as one of them.

    Raises
    ------
    DataError
        Columns that contradict the task, or a structured task without the columns it needs.

    Examples
    --------
    >>> structured_task(time="months", event="died"), structured_task(levels=["lo", "hi"])
    ('survival', 'ordinal')
    >>> structured_task("ranking", group="query"), structured_task("regression") is None
    ('ranking', True)
    """
    if (time is None) != (event is None) and task in (None, "survival"):
        given, missing = ("time", "event") if time is not None else ("event", "time")
        raise DataError(
            f"a survival target needs a time column and an event column; got {given}= but no {missing}=."
        )
    asked = "survival" if time is not None else "ordinal" if levels is not None else None
    if asked is not None and task not in (None, asked):
        what = "time= and event=" if asked == "survival" else "levels="
        raise DataError(f"{what} ask for a {asked} target; task={task!r} contradicts it.")
    if task == "survival" and time is None:
        raise DataError(
            "task 'survival' needs the time column and the event column (time=, event=; "
            "--time, --event on the command line)."
        )
    if task == "ranking" and group is None:
        raise DataError(
            "task 'ranking' needs the query column: groups= (--group on the command line) names the "
            "column whose value is each row's query id."
        )
    return asked or (task if task in ("survival", "ranking") else None)


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
    multiclass (ordered categorical → ordinal); integer values are read by `read_integers`:
    codes (few distinct values, unique ratio ≤ 0.05 for n > 1000, ≤ 0.10 otherwise; AutoGluon)
    → ordinal for a 1…≤10 scale or bins with gaps, multiclass for 0…k−1 labels of comparable
    frequency; counts (near zero) → count; measurements in whole units → as continuous values.
    Values in [0, 1] → proportion; y ≥ 0 with ≥ 10% zeros, ≥ 2 orders of magnitude or a
    skewness above 1 by more than 1.96 standard errors → positive (within the noise: regression,
    low confidence, positive the alternative); other numbers → regression.

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
    reading = read_integers(v)
    if reading is not None:
        return _integer_task(v, reading)
    if vmin >= 0 and vmax <= 1:
        inner = float(np.mean((v > 0) & (v < 1)))
        return TaskInference(
            "proportion",
            "high" if inner >= 0.5 else "medium",
            [f"all values in [0, 1] ({inner:.0%} strictly inside), not just 0/1: a fraction or soft label"],
            ["regression"],
        )
    if vmin >= 0:
        return _amount(v, f"non-negative continuous values (min {vmin:.4g})", integral=False)
    return TaskInference(
        "regression", "high", [f"real values from {vmin:.4g} to {vmax:.4g} ({k} distinct in {n} rows)"], []
    )


def skewness_se(n: int) -> float:
    """Standard error of the sample skewness of n Gaussian values, √(6(n−2)/((n+1)(n+3))).

    >>> round(skewness_se(506), 3)
    0.108
    """
    return math.sqrt(6 * (n - 2) / ((n + 1) * (n + 3))) if n > 2 else math.inf


def _amount(v: Any, first: str, integral: bool) -> TaskInference:
    """positive or regression for y ≥ 0 measured values; the other is the alternative.

    A subtype needs evidence beyond sampling noise: "positive" when zeros are common, the values
    span ≥ 2 orders of magnitude, or the skewness exceeds the cut-off by more than 1.96 standard
    errors. A skewness above the cut-off but within the noise names "regression" at low confidence
    (the general task, whose losses fit any y) with "positive" as the alternative.
    """
    n = len(v)
    share_zero = float(np.mean(v == 0))
    skew = skewness(v)
    orders = orders_of_magnitude(v)
    se = skewness_se(n)
    z, cut = _t("skew_se_z"), _t("skew_high")
    extra = ["count"] if integral else []
    why = []
    if share_zero >= _t("zero_share"):
        why.append(f"{share_zero:.1%} exact zeros (≥ {_t('zero_share'):.0%}) with spread-out positives")
    if skew > cut + z * se:
        why.append(f"right-skewed (skewness {skew:.2f} > {cut:g} by more than {z:g}·SE, SE {se:.2f})")
    if orders >= _t("dynamic_range_orders"):
        why.append(f"spans {orders:.1f} orders of magnitude (≥ {_t('dynamic_range_orders'):g})")
    if why:
        return TaskInference("positive", "medium", [first, *why], ["regression", *extra])
    if skew > cut:
        return TaskInference(
            "regression",
            "low",
            [
                first,
                f"skewness {skew:.2f} exceeds {cut:g} by less than {z:g} standard errors (SE {se:.2f} for "
                f"n = {n}) and the values span {orders:.1f} orders of magnitude: the data cannot tell a "
                "right-skewed positive target from a symmetric one",
            ],
            ["positive", *extra],
        )
    near = skew > cut - z * se
    ev = f"skewness {skew:.2f}, {orders:.1f} orders of magnitude: symmetric enough"
    if near:
        ev += f" (but within {z:g} standard errors, SE {se:.2f}, of the cut-off {cut:g})"
    conf = "medium" if near or integral else "high"
    return TaskInference("regression", conf, [first, ev], ["positive", *extra])


@dataclass
class IntegerReading:
    """How an integer-valued numeric target reads: ``kind`` "count", "measurement" or "coded".

    ``rule`` names the rule that decided (``"rating"``, ``"labels"``, ``"gaps"``,
    ``"signed labels"``, ``"count"``, ``"grid"``, ``"large"``, ``"signed"``); ``levels`` holds the
    distinct values of a coded target; ``stats`` the measured values the evidence cites.
    """

    kind: str
    rule: str
    evidence: str
    levels: list[float] | None = None
    stats: dict[str, float] = field(default_factory=dict)


def _few_levels(n: int, k: int) -> bool:
    """Few distinct values for the rows: AutoGluon's unique-ratio rule for integer classes."""
    thr = _t("unique_ratio_large") if n > _t("large_data_rows") else _t("unique_ratio_small")
    return k / n <= thr and k <= _t("max_classes")


def _empty_gap_pvalue(levels: Any, counts: Any) -> tuple[float, int]:
    """The chance (an upper bound) that a run of missing integers between two levels is empty.

    Under a unimodal count distribution the frequency of every integer between two levels is at
    least the smaller of theirs. A level seen c times has an expected frequency of at least
    L(c), the one-sided 99.9% Poisson lower bound (Garwood: χ²₀.₀₀₁(2c)/2; 0.001 for c = 1, so a
    thin tail with single rows beyond a gap gives no evidence), and a run of m missing integers
    expects ≥ m·min(L(c₁), L(c₂)) rows: P(empty) ≤ exp(−m·min(L(c₁), L(c₂))). Returns
    ``(p, index of the gap)`` for the gap of smallest p.
    """
    from scipy.stats import chi2

    best, where = 1.0, -1
    for j in range(len(levels) - 1):
        missing = int(levels[j + 1] - levels[j]) - 1
        if missing < 1:
            continue
        c = float(min(counts[j], counts[j + 1]))
        p = math.exp(-missing * float(chi2.ppf(0.001, 2 * c)) / 2)
        if p < best:
            best, where = p, j
    return best, where


def read_integers(y: Any) -> IntegerReading | None:
    """Read an integer-valued numeric target as a count, a measurement in whole units, or codes.

    None when the values are not all integers. Codes (few distinct values, AutoGluon's unique
    ratio): a contiguous 1…≤10 rating scale, 0-based labels of comparable frequency, levels with
    an improbable empty run of integers between well-filled neighbours (survey bins such as
    {0, 1, 2, 3, 7, 12}), or labels including negatives. Otherwise a count lives near zero:
    ≥ 10% of the rows at 1…10, and zeros present or a median ≤ 10. Values all on a grid of
    g ≥ 2, amounts without small values (prices, grams) and values away from zero with no zeros
    (durations in days, whole ppb) are measurements; so are integers with negatives.

    Examples
    --------
    >>> read_integers([0, 1, 2, 3, 7, 12] * 40 + [0] * 100).kind
    'coded'
    >>> read_integers(np.random.default_rng(0).poisson(2.0, 500)).kind
    'count'
    >>> read_integers(np.random.default_rng(0).integers(120_000, 900_000, 500)).kind
    'measurement'
    >>> read_integers([0.5, 1.0, 2.0]) is None
    True
    """
    v = np.asarray(y, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2 or not bool(np.all(v == np.round(v))):
        return None
    n = v.size
    levels, counts = np.unique(v, return_counts=True)
    k = len(levels)
    vmin, vmax = float(levels[0]), float(levels[-1])
    mean = float(v.mean())
    var = float(v.var(ddof=1))
    S = _t("count_small_value")
    stats = {
        "n_levels": float(k),
        "median": float(np.median(v)),
        "share_zero": float(np.mean(v == 0)),
        "share_small": float(np.mean((v >= 1) & (v <= S))),
        "dispersion_index": var / mean if mean > 0 and vmin >= 0 else math.nan,
    }
    few = _few_levels(n, k)
    span = f"integer levels {int(vmin)}…{int(vmax)} ({k} distinct in {n} rows)"
    if few:
        contiguous = vmax - vmin + 1 == k
        balance = float(counts.min() / counts.max())
        stats["balance"] = balance
        lv = [float(x) for x in levels]
        if vmin >= 1 and vmax <= _t("ordinal_max_level") and contiguous:
            return IntegerReading(
                "coded", "rating", f"{span}: a contiguous 1…{int(vmax)} scale, like ratings", lv, stats
            )
        if vmin == 0 and contiguous and k <= _t("max_label_levels") and balance >= _t("label_balance"):
            return IntegerReading(
                "coded",
                "labels",
                f"{span}: 0-based contiguous labels; the rarest level has {balance:.0%} of the commonest's "
                f"rows (≥ {_t('label_balance'):.0%}), encoded classes rather than counts",
                lv,
                stats,
            )
        if k <= _t("max_label_levels"):
            p, j = _empty_gap_pvalue(levels, counts)
            stats["gap_pvalue"] = p
            if p < _t("coded_gap_pvalue"):
                a, b = int(levels[j]), int(levels[j + 1])
                return IntegerReading(
                    "coded",
                    "gaps",
                    f"only {k} values {{{', '.join(str(int(x)) for x in levels)}}}: no row at "
                    f"{a + 1}…{b - 1} between {a} ({counts[j]} rows) and {b} ({counts[j + 1]} rows) "
                    f"(P ≤ {p:.1e} for a unimodal count): codes or bins, not counts",
                    lv,
                    stats,
                )
        if vmin < 0 and k <= _t("max_label_levels"):
            return IntegerReading(
                "coded", "signed labels", f"{span}: few integer labels including negatives", lv, stats
            )
    if vmin < 0:
        return IntegerReading(
            "measurement", "signed", f"{span} with negatives: a measurement in whole units", None, stats
        )
    disp = stats["dispersion_index"]
    shape = (
        f"{span}, median {stats['median']:.4g}, zeros {stats['share_zero']:.1%}, "
        f"{stats['share_small']:.0%} at 1…{int(S)}, variance {disp:.3g}× the mean"
    )
    nonzero = levels[levels > 0]
    exact = nonzero.size and nonzero[-1] < 2.0**53  # integers a float64 holds exactly
    g = int(np.gcd.reduce(nonzero.astype(np.int64))) if exact else 1
    stats["grid"] = float(g)
    if g >= 2 and nonzero.size >= _t("grid_min_levels"):
        return IntegerReading(
            "measurement",
            "grid",
            f"{shape}; every value a multiple of {g}: a measurement rounded to {g} units, not a count",
            None,
            stats,
        )
    small = stats["share_small"] >= _t("count_small_share")
    near_zero = stats["share_zero"] > 0 or stats["median"] <= S
    if small and near_zero:
        tail = (
            " (under half the mean: bounded, binomial-like counts?)"
            if disp < _t("count_dispersion_min")
            else ""
        )
        return IntegerReading("count", "count", f"{shape}{tail}: counts near zero", None, stats)
    why = (
        f"no value at 1…{int(S)} besides the zeros"
        if not small and stats["share_zero"] > 0
        else f"fewer than {_t('count_small_share'):.0%} of the rows at 1…{int(S)}"
        if not small
        else f"no zeros and a median above {int(S)}"
    )
    return IntegerReading(
        "measurement",
        "large" if not small else "away from zero",
        f"{shape}; {why}: a measurement in whole units (prices, grams, days), not a count",
        None,
        stats,
    )


def _integer_task(v: Any, reading: IntegerReading) -> TaskInference:
    """The task an integer reading gives (`infer_task` for integer-valued numeric targets)."""
    st = reading.stats
    k = int(st["n_levels"])
    if reading.rule == "rating":
        return TaskInference(
            "ordinal", "low", [reading.evidence, "ordered levels"], ["multiclass", "regression"]
        )
    if reading.rule == "labels":
        return TaskInference("multiclass", "medium", [reading.evidence], ["count", "ordinal"])
    if reading.rule == "gaps":
        alts = ["count", "multiclass"] if v.min() >= 0 else ["multiclass", "regression"]
        return TaskInference("ordinal", "low", [reading.evidence, "ordered codes of unequal steps"], alts)
    if reading.rule == "signed labels":
        return TaskInference(
            "multiclass",
            "medium",
            [reading.evidence, "AutoGluon reads few integer levels as classes"],
            ["regression"],
        )
    if reading.kind == "count":
        few = _few_levels(len(v), k)
        lively = st["share_zero"] >= _t("zero_share") and st["dispersion_index"] >= _t("count_dispersion_min")
        if few:
            conf = "low" if k <= 5 or st["dispersion_index"] < _t("count_dispersion_min") else "medium"
            alts = ["multiclass", "ordinal"] if k <= 5 else ["multiclass"]
        else:
            conf = "medium" if lively else "low"
            alts = ["positive", "regression"]
        return TaskInference("count", conf, [reading.evidence], alts)
    if reading.rule == "signed":
        return TaskInference("regression", "medium", [reading.evidence], [])
    return _amount(v, reading.evidence, integral=True)


def level_distribution(loss: Any) -> bool:
    r"""Whether a multiclass ``loss`` estimates class probabilities (a proper score with a softmax
    link), so that a classifier trained with it on the levels :math:`v_1 < \dots < v_K` of an
    ordinal target predicts their distribution :math:`\hat p`, and
    :math:`\hat\mu = \sum_k v_k \hat p_k` its mean. `losslab.compare` trains such a loss on an
    ordinal target with numeric levels (coded answers 0/1/2) beside the regression losses.

    >>> import losslab
    >>> level_distribution(losslab.get("categorical_crossentropy"))
    True
    >>> level_distribution(losslab.get("multiclass_hinge")), level_distribution(losslab.get("mse"))
    (False, False)
    """
    from ._core.info import LinkKind, Task
    from ._core.statistic import Statistic

    info = loss.info
    if info.task != Task.MULTICLASS or info.statistic.statistic != Statistic.CLASS_PROBABILITIES:
        return False
    return getattr(getattr(loss, "link", None), "kind", None) == LinkKind.SOFTMAX


def soft_label_mean(loss: Any) -> bool:
    """Whether a binary ``loss`` is also a loss of the mean of a proportion in [0, 1]: it estimates
    a probability (a proper score), takes soft labels in (0, 1) and has a logit link, so that
    fitting it to proportions is the quasi-binomial fit of their mean (LightGBM's
    ``cross_entropy`` objective). `losslab.sklearn.LossRegressor` and `losslab.compare` train such
    a loss on a proportion target.

    >>> import losslab
    >>> soft_label_mean(losslab.get("binary_crossentropy")), soft_label_mean(losslab.get("hinge"))
    (True, False)
    """
    from ._core.info import LinkKind, Task
    from ._core.statistic import Statistic

    info = loss.info
    if info.task != Task.BINARY or info.statistic.statistic != Statistic.PROBABILITY:
        return False
    if getattr(getattr(loss, "link", None), "kind", None) != LinkKind.LOGIT:
        return False
    return bool(np.all(info.y_true.contains(np, np.array([0.25, 0.5, 0.75]))))


def sorted_labels(values: Any) -> list[Any]:
    """The distinct class labels in sorted order (by their text when they do not compare): the
    order scikit-learn, `losslab.compare` and the advisor use, whose second label of two is the
    positive class.

    >>> sorted_labels([1, 0, 1]), sorted_labels(["yes", "no"]), sorted_labels([1, "a"])
    ([0, 1], ['no', 'yes'], [1, 'a'])
    """
    labels = list(dict.fromkeys(values))
    try:
        return sorted(labels)
    except TypeError:
        return sorted(labels, key=str)
