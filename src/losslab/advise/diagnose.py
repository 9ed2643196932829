r"""Diagnostics of a data set for choosing a loss: the task, the target's shape, the features.

Everything here measures; `recommend` decides. Task inference follows AutoGluon's
``infer_problem_type`` rules (unique-value ratio ≤ 0.05 for n > 1000 rows, ≤ 0.10 otherwise,
≤ 1000 classes) and adds losslab's subtypes (count, positive, proportion, ordinal), each with
its evidence, a confidence and the alternatives when the data cannot tell (integer ratings,
small counts).

The regression diagnostics look at *residuals*, not at y alone: a target can be far from
Gaussian only because its features move it. A quick robust linear fit (Huber IRLS,
k = 1.345) gives the residual scale, skewness, kurtosis and outlier share; for y ≥ 0 a
log-link Poisson quasi-likelihood fit gives fitted means μ̂, and the log–log slope of the
binned residual variance against the binned mean estimates the variance power p in
Var(y | x) ∝ μᵖ (0 Gaussian, 1 Poisson, 2 Gamma, in between Tweedie), with its standard error.

The readings the advisor's rules use (``Diagnosis.values``): ``integer_reading`` (count,
measurement or coded; `losslab.tasks.read_integers`), ``cap`` (a pile-up at the maximum or
minimum), ``coded_levels``, ``heavy_tails`` with ``huber_delta`` on a ``residual_scale`` that
does not collapse on zero-heavy targets, and ``variance_power_se`` / ``variance_power_ci``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core.errors import DataError
from ..hygiene import THRESHOLDS as HYGIENE_THRESHOLDS
from ..hygiene import exposure_candidates, id_like_columns, suspected_leaks
from ..tabular import load_xy as load
from ..tasks import SHARED_THRESHOLDS, TASK_THRESHOLDS, TASKS, TaskInference, infer_task, read_integers
from ..tasks import is_categorical as _is_categorical
from ..tasks import no_spread as _no_spread
from ..tasks import orders_of_magnitude as _orders
from ..tasks import skewness as _skew
from .fits import (
    level_comparison,
    link_comparison,
    mean_model,
    quadratic_design,
    robust_fit,
    variance_power_fit,
)
from .fits import mad_scale as _mad_scale
from .fits import one_thread as _one_thread

__all__ = ["TASKS", "THRESHOLDS", "Diagnosis", "TaskInference", "diagnose", "infer_task", "load"]

#: Every threshold the advisor uses, with its source (``docs/choosing-a-loss.md`` prints this table).
THRESHOLDS: dict[str, tuple[float, str]] = {
    **TASK_THRESHOLDS,  # the task inference's (losslab.tasks)
    "imbalance_warn": (0.10, "EvalML ClassImbalanceDataCheck threshold (minority/(minority+majority))"),
    "imbalance_severe_rows": (100, "EvalML ClassImbalanceDataCheck min_samples"),
    "max_weighted_classes": (50, "losslab choice: per-class weights are offered for at most 50 classes"),
    "min_class_rows": (6, "EvalML: 2 × num_cv_folds (3) rows per class"),
    **SHARED_THRESHOLDS,  # skew_high, dynamic_range_orders, zero_share (also used by losslab.tasks)
    "overdispersion": (2.0, "reference note §6: var/mean > 2 (chosen default)"),
    "iqr_fence": (1.5, "Tukey (1977) box-plot fences, EvalML OutliersDataCheck"),
    "outlier_share": (
        0.02,
        "losslab choice: the 1.5×IQR fences flag 0.70% of a Gaussian sample; ≥ 2% (about 3×) is heavy-tailed",
    ),
    "symmetric_quantile_skew": (
        0.1,
        "losslab choice: Kelly skewness within ±0.1 counts as symmetric (lognormal σ = 0.5 gives 0.31)",
    ),
    "outlier_pvalue": (
        0.01,
        "losslab choice: the outlier count must also be unlikely for a Gaussian sample of that size "
        "(Poisson tail p < 0.01), so 2 of 100 points do not count",
    ),
    "excess_kurtosis_support": (
        1.0,
        "losslab choice: an outlier share counts only with excess kurtosis > 1 as well (sample quartiles "
        "of small Gaussian samples can put 5% outside the fences)",
    ),
    "excess_kurtosis": (3.0, "losslab choice: excess kurtosis > 3 (Laplace's value) marks heavy tails"),
    "mad_z": (3.5, "Iglewicz & Hoaglin (1993) modified z-score cut-off"),
    "nonlinear_gain": (
        0.9,
        "losslab choice: residuals of the quadratic fit replace linear ones when their robust scale is < 90% "
        "of the linear fit's",
    ),
    "heteroscedasticity": (
        0.2,
        "losslab choice: Spearman ρ ≥ 0.2 between |residual| and a fitted value or feature marks a varying "
        "spread",
    ),
    "huber_k": (1.345, "Huber's 95%-efficiency constant under normality (sklearn HuberRegressor, gslnls)"),
    "mad_collapse": (
        0.5,
        "losslab choice: when over half the rows share one y value, a residual MAD under half the distance "
        "from it to the next y value measures the spread within that point mass (the MAD's implosion, "
        "Rousseeuw & Croux 1993); the other rows' distance from it replaces it",
    ),
    "cap_min_rows": (5, "losslab choice: a pile-up at the maximum or minimum needs ≥ 5 rows"),
    "cap_min_share": (
        0.01,
        "losslab choice: ≥ 1% of the rows at the extreme value (below that a cap moves a mean fit little)",
    ),
    "cap_ratio": (
        3.0,
        "losslab choice: the extreme value holds ≥ 3× the rows of any of the 5 values next to it "
        "(a smooth tail thins out towards its end)",
    ),
    "excess_zeros_share": (
        0.05,
        "losslab choice: zeros ≥ 5 points above the Poisson share at the fitted means, Σe^(−μ̂)/n (Lambert "
        "1992's zero-inflated Poisson is then worth a try)",
    ),
    "log_link_worse_z": (
        1.645,
        "one-sided 5% test: a log-link deviance goes ahead of squared error unless a log-linear mean "
        "predicts significantly worse than a linear one (z of the per-row difference of held-out squared "
        "errors, 2-fold)",
    ),
    "levels_as_classes_z": (
        1.645,
        "one-sided 5% test: cross-entropy on an ordinal target's levels goes ahead of squared error on "
        "its codes when the classes predict the mean level significantly better (z of the per-row "
        "difference of held-out squared errors, 2-fold); within ±1.645 the advice is unsure between them",
    ),
    "excess_zeros_z": (3.0, "losslab choice: and a binomial z of the excess ≥ 3 (not sampling noise)"),
    "variance_power_level": (0.95, "the usual 95% interval for p̂ (t quantile, bins − 2 degrees of freedom)"),
    **HYGIENE_THRESHOLDS,  # identifiers, leaks, free text (losslab.hygiene, shared with compare and train)
    "label_conflict_share": (0.01, "losslab choice: ≥ 1% of rows are duplicates with conflicting labels"),
    "max_fit_rows": (20000, "losslab choice: residual fits use a seeded sample of at most 20 000 rows"),
}


def _t(key: str) -> float:
    return THRESHOLDS[key][0]


@dataclass
class Diagnosis:
    """The measured data: target ``y`` (cleaned), features ``X`` (or None), the task and the values."""

    y: Any
    X: Any
    target: str | None
    task: TaskInference
    values: dict[str, Any]
    messages: list[Any] = field(default_factory=list)
    design: Any = None  # standardized numeric design matrix (sample) used by the fits
    sample: Any = None  # row positions of the fit sample
    seed: int = 0
    design_names: list[str] | None = None  # the design's column names (after the intercept)
    exposure: Any = None  # the exposure of each row (exposure=), or None


def _quantile_skew(v: Any) -> float:
    """Kelly's robust skewness (q90 + q10 − 2·median)/(q90 − q10): 0 when symmetric, in [−1, 1]."""
    q10, q50, q90 = np.quantile(np.asarray(v, dtype=float), [0.1, 0.5, 0.9])
    return float((q90 + q10 - 2 * q50) / (q90 - q10)) if q90 > q10 else 0.0


def _kurt(v: Any) -> float:
    """Excess kurtosis g₂ = m₄/m₂² − 3 (biased moments; 0 for a Gaussian, under 4 values or no spread)."""
    from scipy import stats

    v = np.asarray(v, dtype=float)
    if v.size < 4 or _no_spread(v):
        return 0.0
    return float(stats.kurtosis(v, fisher=True, bias=True))


def _outlier_shares(v: Any, scale: float | None = None) -> tuple[float, float]:
    """Share outside Tukey's 1.5×IQR fences, and share with |modified z| > 3.5 (MAD based).

    With ``scale`` (a robust σ̂ that replaces a collapsed MAD, see `residual_scale`) both use it:
    the fences become median ± (0.6745 + 1.5·1.349)·σ̂ (where Tukey's fences fall for a Gaussian)
    and the modified z is |v − median|/σ̂.
    """
    v = np.asarray(v, dtype=float)
    k = _t("iqr_fence")
    if scale is not None:
        d = np.abs(v - np.median(v))
        fence = (_GAUSS_Q3 + k * 2 * _GAUSS_Q3) * scale
        return float(np.mean(d > fence)), float(np.mean(d > _t("mad_z") * scale))
    q1, q3 = np.quantile(v, [0.25, 0.75])
    iqr = q3 - q1
    iqr_share = float(np.mean((v < q1 - k * iqr) | (v > q3 + k * iqr))) if iqr > 0 else 0.0
    mad = _mad_scale(v)
    mad_share = float(np.mean(np.abs(v - np.median(v)) > _t("mad_z") * mad)) if mad > 0 else 0.0
    return iqr_share, mad_share


#: Φ⁻¹(3/4): the upper quartile of a standard Gaussian
_GAUSS_Q3 = 0.6744897501960817


def residual_scale(r: Any, y: Any) -> tuple[float, str, bool]:
    """A robust residual scale σ̂ that does not collapse on zero-heavy targets: ``(σ̂, method, fallback)``.

    σ̂ = 1.4826·MAD(r) as a rule. When over half the rows share one value of y (the zeros of
    doctor visits), a robust fit can pass through that point mass and the MAD then measures the
    spread *within* it (3e-10 on real data) — the MAD's implosion — so that every other row
    counts as an outlier. The test: the MAD is under half the distance from y's commonest value
    to its nearest other value (y's resolution there; 1 for counts). Then σ̂ is 1.4826 × the
    median distance of the other rows' residuals from the residuals' median: their typical
    deviation from the mass, Gaussian-consistent for them and still robust (50% breakdown among
    them). The standard deviation would be the other choice, but one gross outlier inflates it,
    and the MAD of the other rows alone can tie again (at y = 1).

    >>> y = np.r_[np.zeros(80), np.arange(1.0, 21.0)]
    >>> r = y - np.where(y > 0, 0.5 * y, 1e-10)  # a fit through the zeros
    >>> s, how, fallback = residual_scale(r, y)
    >>> fallback, round(s, 3)
    (True, 7.783)
    """
    r = np.asarray(r, dtype=float)
    y = np.asarray(y, dtype=float)
    s = _mad_scale(r)
    method = "1.4826·MAD of the residuals"
    values, counts = np.unique(y, return_counts=True)
    j = int(np.argmax(counts))
    mode, share = float(values[j]), counts[j] / y.size
    off = y != mode
    if share >= 0.5 and off.sum() >= 2:
        step = float(np.min(np.abs(y[off] - mode)))
        if s < _t("mad_collapse") * step:
            s_off = float(1.4826 * np.median(np.abs(r[off] - np.median(r))))
            if s_off > 0:
                return (
                    s_off,
                    f"1.4826 × the median distance of the {int(off.sum())} residuals of rows with y ≠ "
                    f"{mode:.4g} from the residuals' median: {share:.0%} of the rows have y = {mode:.4g} "
                    f"and the MAD of all residuals ({s:.2g}) measured the spread within them",
                    True,
                )
    if s <= 0:
        sd = float(r.std())
        if sd > 0:
            return sd, "standard deviation of the residuals (their MAD is 0)", True
    return s, method, False


# ---------------------------------------------------------------------------------------------
# the full diagnosis


def diagnose(
    data: Any = None,
    target: Any = None,
    *,
    task: str | None = None,
    X: Any = None,
    y: Any = None,
    seed: int = 0,
    exposure: str | None = None,
) -> Diagnosis:
    """Load the data and measure everything the recommendation rules need.

    Parameters
    ----------
    data, target, X, y
        As for `losslab.advise`.
    task : str, optional
        Overrides the inferred task (checked against the data).
    seed : int
        Seed of the row sample used by the residual fits.

    Returns
    -------
    Diagnosis
    """
    from .advice import Message

    feats, ys, name, n_before = load(data, target, X=X, y=y)
    feats, exposure_values = _take_exposure(feats, exposure)
    inferred = infer_task(ys)
    if task is not None:
        inferred = _override(task, inferred, ys)
    values: dict[str, Any] = {
        "n_rows": n_before,
        "n_rows_used": len(ys),
        "target_missing": n_before - len(ys),
        "n_features": 0 if feats is None else int(feats.shape[1]),
        "target_dtype": str(ys.dtype),
        "n_unique": int(ys.nunique()),
        "unique_ratio": float(ys.nunique() / len(ys)),
    }
    messages: list[Message] = []
    if values["target_missing"]:
        messages.append(
            Message(
                "TARGET_MISSING",
                "warning",
                f"{values['target_missing']} of {n_before} rows have no target value; they were left out.",
                {"rows": values["target_missing"]},
            )
        )
    classification = inferred.task in ("binary", "multiclass")
    if classification:
        values.update(_class_values(ys, messages))
    else:
        values.update(_numeric_values(ys))
        messages.extend(_reading_messages(values))
        if inferred.task == "ordinal" and not _is_categorical(ys):
            values.update(_class_values(ys, []))  # the levels as classes, for predict="probability"
    if exposure_values is not None:
        values["exposure"] = {
            "column": exposure,
            "min": float(exposure_values.min()),
            "max": float(exposure_values.max()),
        }
    diag = Diagnosis(ys, feats, name, inferred, values, messages, seed=seed, exposure=exposure_values)
    with _one_thread():
        if feats is not None:
            _feature_values(diag, seed)
        if not classification:
            _residual_values(diag)
    return diag


def _take_exposure(feats: Any, exposure: str | None) -> tuple[Any, Any]:
    """``(features without the exposure column, its values)``; ``(feats, None)`` without one.

    The exposure (a population, time at risk) of a count is no feature: the rate count/exposure is
    what is modelled. Its logarithm enters the residual fits as a design column, the offset of a
    log-link count model.
    """
    if exposure is None:
        return feats, None
    if feats is None or exposure not in feats.columns:
        have = [] if feats is None else [str(c) for c in feats.columns]
        raise DataError(
            f"exposure={exposure!r} is not a column of the features; columns: "
            f"{', '.join(have[:20]) or 'none'}."
        )
    import pandas as pd

    col = pd.to_numeric(feats[exposure], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(col) & (col > 0))
    if bad.any():
        raise DataError(
            f"exposure column {exposure!r} must be a positive number in every row; {int(bad.sum())} of "
            f"{len(col)} rows are not (e.g. {feats[exposure].iloc[int(np.argmax(bad))]!r})."
        )
    return feats.drop(columns=[exposure]), col


def _excess_zeros(vals: dict[str, Any], y: Any, mu: Any) -> None:
    """Zeros of a count beyond what a Poisson law at the fitted means gives: Σᵢ e^(−μ̂ᵢ)/n expected,
    the share observed, and the binomial z of the difference (``excess_zeros``,
    ``excess_zeros_z``): a zero-inflated or overdispersed count when both are large."""
    expected = float(np.mean(np.exp(-mu)))
    observed = float(np.mean(y == 0))
    vals["zero_share_expected_poisson"] = expected
    vals["excess_zeros"] = observed - expected
    sd = math.sqrt(expected * (1.0 - expected) / len(y)) if 0.0 < expected < 1.0 else 0.0
    vals["excess_zeros_z"] = (observed - expected) / sd if sd > 0 else 0.0
    # overdispersion alone makes zeros commoner than Poisson's: the zeros a negative binomial with
    # the moment estimate α̂ = Σ((y − μ̂)² − y)/Σμ̂² (Cameron & Trivedi 2013) gives, and the excess over
    # those — a zero-inflated count has zeros beyond both
    alpha = max(float(np.sum((y - mu) ** 2 - y) / np.sum(mu**2)), 0.0)
    nb = float(np.mean(np.exp(-np.log1p(alpha * mu) / alpha))) if alpha > 1e-12 else expected
    sd_nb = math.sqrt(nb * (1.0 - nb) / len(y)) if 0.0 < nb < 1.0 else 0.0
    vals["nb_dispersion_moment"] = alpha
    vals["zero_share_expected_nb"] = nb
    vals["excess_zeros_nb_z"] = (observed - nb) / sd_nb if sd_nb > 0 else 0.0


def _reading_messages(values: dict[str, Any]) -> list[Any]:
    """CAPPED_TARGET, CODED_VALUES and INTEGER_MEASUREMENT from the target's readings."""
    from .advice import Message

    out = []
    cap = values.get("cap")
    if cap is not None:
        out.append(
            Message(
                "CAPPED_TARGET",
                "warning",
                f"{cap['evidence']}. A loss for the mean is biased towards the cap; a censored loss (or "
                "dropping the capped rows) treats them as 'at least' values.",
                {k: cap[k] for k in ("side", "value", "count", "share")},
            )
        )
    levels = values.get("coded_levels")
    if levels is not None and values.get("integer_reading") == "coded" and len(levels) >= 3:
        gaps = np.diff(levels)
        if np.any(gaps != gaps[0]):
            out.append(
                Message(
                    "CODED_VALUES",
                    "info",
                    f"{values['coded_evidence']}. Ordinal losses treat them as ordered levels; squared "
                    "error and count losses read the codes as amounts.",
                    {"levels": levels},
                )
            )
    if values.get("integer_reading") == "measurement":
        out.append(
            Message(
                "INTEGER_MEASUREMENT",
                "info",
                f"integer values read as a measurement, not counts: {values['integer_reading_evidence']}.",
                {"reading": "measurement"},
            )
        )
    return out


def _override(task: str, inferred: TaskInference, ys: Any) -> TaskInference:
    if task not in TASKS:
        raise DataError(f"task must be one of {', '.join(TASKS)}; got {task!r}.")
    k = int(ys.nunique())
    numeric = not _is_categorical(ys) and not _is_bool(ys)
    v = ys.to_numpy(dtype=float) if numeric else None
    if task == "binary" and k != 2:
        raise DataError(f"task='binary' needs exactly 2 classes; the target has {k} distinct values.")
    if task in ("regression", "count", "positive", "proportion") and not numeric:
        raise DataError(f"task={task!r} needs a numeric target; got dtype {ys.dtype}.")
    if v is not None:
        if task in ("count", "positive") and v.min() < 0:
            raise DataError(f"task={task!r} needs y ≥ 0; the target's minimum is {v.min():.4g}.")
        if task == "proportion" and (v.min() < 0 or v.max() > 1):
            raise DataError(
                f"task='proportion' needs y in [0, 1]; the target spans [{v.min():.4g}, {v.max():.4g}]."
            )
    evidence = [f"given by the user (task={task!r})"]
    if inferred.task != task:
        evidence.append(f"the data alone suggested {inferred.task!r} ({inferred.confidence} confidence)")
    return TaskInference(task, "given", evidence, [])


def _is_bool(ys: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_bool_dtype(ys))


def _class_values(ys: Any, messages: list[Any]) -> dict[str, Any]:
    from .advice import Message

    counts = ys.astype(str).value_counts() if _is_categorical(ys) else ys.value_counts()
    counts = counts.sort_values(ascending=False)
    majority = int(counts.iloc[0])
    minority = int(counts.iloc[-1])
    share = minority / (minority + majority)
    out = {
        "n_classes": len(counts),
        "class_counts": {_label(k): int(c) for k, c in counts.items()},
        "majority_class": _label(counts.index[0]),
        "minority_class": _label(counts.index[-1]),
        "minority_share": share,
        "imbalance_ratio": majority / minority,
        "class_shares": {_label(k): float(c / len(ys)) for k, c in counts.items()},
    }
    if share < _t("imbalance_warn"):
        severe = minority < _t("imbalance_severe_rows")
        messages.append(
            Message(
                "CLASS_IMBALANCE_SEVERE" if severe else "CLASS_IMBALANCE",
                "warning",
                f"class {out['minority_class']!r} has {minority} rows against {majority} of "
                f"{out['majority_class']!r} (ratio {share:.3f} < {_t('imbalance_warn'):g})"
                + (f" and fewer than {int(_t('imbalance_severe_rows'))} rows: severe." if severe else "."),
                {"minority_share": share, "minority_rows": minority},
            )
        )
    small = [(_label(k), int(c)) for k, c in counts.items() if c < _t("min_class_rows")]
    if small:
        messages.append(
            Message(
                "CLASS_TOO_SMALL",
                "error",
                f"{len(small)} class(es) have fewer than {int(_t('min_class_rows'))} rows "
                f"({', '.join(f'{k!r}: {c}' for k, c in small[:5])}): 3-fold stratified CV cannot place "
                "them.",
                {"classes": dict(small)},
            )
        )
    return out


def _label(k: Any) -> Any:
    """A class label as a plain JSON-ready Python value (integral floats become ints)."""
    if isinstance(k, (np.bool_, bool)):
        return bool(k)
    if isinstance(k, (np.integer, int)):
        return int(k)
    if isinstance(k, (np.floating, float)):
        return int(k) if float(k).is_integer() else float(k)
    return str(k)


def _numeric_values(ys: Any) -> dict[str, Any]:
    v = ys.to_numpy(dtype=float)
    mean = float(v.mean())
    var = float(v.var(ddof=1)) if v.size > 1 else 0.0
    iqr_share, mad_share = _outlier_shares(v)
    vmin = float(v.min())
    out: dict[str, Any] = {
        "integer_valued": bool(np.all(v == np.round(v))),
        "min": vmin,
        "max": float(v.max()),
        "mean": mean,
        "median": float(np.median(v)),
        "std": math.sqrt(var),
        "skewness": _skew(v),
        "quantile_skewness": _quantile_skew(v),
        "excess_kurtosis": _kurt(v),
        "share_zero": float(np.mean(v == 0)),
        "share_negative": float(np.mean(v < 0)),
        "sign": "positive"
        if vmin > 0
        else "non-negative"
        if vmin == 0
        else "negative"
        if v.max() < 0
        else "mixed",
        "dispersion_index": var / mean if mean > 0 and vmin >= 0 else None,
        "dynamic_range_orders": _orders(v),
        "outlier_share_iqr": iqr_share,
        "outlier_share_mad": mad_share,
        "mad_scale": _mad_scale(v),
    }
    if vmin > 0:
        lv = np.log(v)
        out["log_skewness"] = _skew(lv)
        out["log_excess_kurtosis"] = _kurt(lv)
    reading = read_integers(v)
    out["integer_reading"] = None if reading is None else reading.kind
    out["integer_reading_evidence"] = None if reading is None else reading.evidence
    coded = reading is not None and reading.kind == "coded"
    out["coded_levels"] = reading.levels if coded else None
    out["coded_evidence"] = reading.evidence if coded else None
    out["cap"] = target_cap(v)
    return out


def target_cap(v: Any) -> dict[str, Any] | None:
    """A pile-up of the target at its maximum or minimum (top-coding, censoring), or None.

    The extreme value must hold ≥ 5 rows, ≥ 1% of them, and ≥ 3 times the rows of any of the
    5 distinct values next to it. Targets with ≤ 20 distinct values (codes, ratings, small
    counts) are not read: their level frequencies say nothing of censoring. Zeros of a
    non-negative target are its zero mass (``share_zero``), not a cap.

    >>> v = np.r_[np.linspace(5.0, 49.0, 490), np.full(16, 50.0)]
    >>> cap = target_cap(v)
    >>> cap["side"], cap["value"], cap["count"]
    ('max', 50.0, 16)
    >>> target_cap(np.linspace(5.0, 50.0, 506)) is None
    True
    """
    v = np.asarray(v, dtype=float)
    levels, counts = np.unique(v, return_counts=True)
    if len(levels) <= _t("max_label_levels"):
        return None
    n = v.size
    found = []
    for side in ("max", "min"):
        if side == "min" and levels[0] == 0:
            continue
        c = int(counts[-1] if side == "max" else counts[0])
        near = counts[-6:-1] if side == "max" else counts[1:6]
        ref = int(near.max())
        if c >= _t("cap_min_rows") and c / n >= _t("cap_min_share") and c >= _t("cap_ratio") * ref:
            value = float(levels[-1] if side == "max" else levels[0])
            found.append(
                {
                    "side": side,
                    "value": value,
                    "count": c,
                    "share": c / n,
                    "evidence": f"{c} of {n} rows ({c / n:.1%}) sit at the {side}imum {value:.4g}, "
                    f"against at most {ref} at each of the 5 values next to it: the target looks "
                    f"{'top' if side == 'max' else 'bottom'}-coded or censored there",
                }
            )
    return max(found, key=lambda d: d["count"]) if found else None


def _feature_values(diag: Diagnosis, seed: int) -> None:
    """Missing values, constant, ID-like and leaking columns, label conflicts; builds the design."""
    from .advice import Message

    feats, ys, vals = diag.X, diag.y, diag.values
    n = len(feats)
    missing = {str(c): int(m) for c, m in feats.isna().sum().items() if m > 0}
    vals["missing_by_column"] = missing
    vals["missing_share"] = float(feats.isna().to_numpy().mean()) if feats.size else 0.0
    if missing:
        worst = max(missing, key=missing.get)
        diag.messages.append(
            Message(
                "FEATURES_MISSING",
                "info",
                f"{len(missing)} feature column(s) have missing values; the most is {worst!r} "
                f"({missing[worst]} of {n} rows).",
                {"columns": missing},
            )
        )
    constant = [str(c) for c in feats.columns if _is_constant(feats[c])]
    ids = [f for f in id_like_columns(feats) if f.column not in constant]  # the rule of losslab.hygiene
    id_like = [f.column for f in ids]
    vals["constant_columns"] = constant
    vals["id_like_columns"] = id_like
    if constant:
        diag.messages.append(
            Message(
                "CONSTANT_COLUMNS",
                "warning",
                f"constant column(s) carry no information: {', '.join(constant)}.",
                {"columns": constant},
            )
        )
    if id_like:
        diag.messages.append(
            Message(
                "ID_COLUMNS",
                "warning",
                "column(s) look like row identifiers: "
                + "; ".join(f"{f.column!r} ({f.evidence})" for f in ids)
                + "; drop them before fitting (losslab compare and train do).",
                {"columns": id_like},
            )
        )
    rng = np.random.default_rng(seed)
    cap = int(_t("max_fit_rows"))
    idx = np.sort(rng.choice(n, cap, replace=False)) if n > cap else np.arange(n)
    diag.sample = idx
    vals["n_rows_sampled"] = len(idx)
    usable = [c for c in feats.columns if str(c) not in constant and str(c) not in id_like]
    sub = feats.iloc[idx][usable]
    ysub = ys.iloc[idx].reset_index(drop=True)
    sub = sub.reset_index(drop=True)
    classification = diag.task.task in ("binary", "multiclass")
    found = suspected_leaks(sub.iloc[:, :500], ysub, classification=classification)
    leaks = [{"column": f.column, "evidence": f.evidence} for f in found]
    vals["leakage_columns"] = leaks
    if leaks:
        diag.messages.append(
            Message(
                "LEAKAGE_SUSPECTED",
                "warning",
                f"{len(leaks)} feature(s) predict the target (almost) perfectly on their own: "
                + "; ".join(f"{d['column']!r} ({d['evidence']})" for d in leaks[:3])
                + ". Check they are not computed from it.",
                {"columns": [d["column"] for d in leaks]},
            )
        )
    leak_names = {d["column"] for d in leaks}
    if diag.task.task in ("binary", "multiclass"):
        conflict = _label_conflicts(sub, ysub)
        vals["conflicting_duplicate_share"] = conflict
        if conflict >= _t("label_conflict_share"):
            diag.messages.append(
                Message(
                    "LABEL_NOISE",
                    "warning",
                    f"{conflict:.1%} of rows repeat a feature vector that appears with another label: label "
                    "noise "
                    "(or missing features).",
                    {"share": conflict},
                )
            )
    if diag.exposure is None and not classification:
        _exposure_candidates(diag, sub, ysub)
    design_frame = sub[[c for c in usable if str(c) not in leak_names]]
    if diag.exposure is not None:  # the log exposure: the offset of a log-link count model, as a column
        design_frame = design_frame.assign(**{"log(exposure)": np.log(diag.exposure[idx])})
    diag.design, diag.design_names = _design(design_frame)
    vals["n_design_columns"] = 0 if diag.design is None else diag.design.shape[1] - 1


def _exposure_candidates(diag: Diagnosis, sub: Any, ysub: Any) -> None:
    """Columns that look like the exposure of a count (or the trials of a proportion) →
    ``exposure_candidates`` and an EXPOSURE_SUSPECTED message (`losslab.hygiene.exposure_candidates`)."""
    from .advice import Message

    found = exposure_candidates(sub.iloc[:, :500], ysub, classification=False)
    diag.values["exposure_candidates"] = [{"column": f.column, "evidence": f.evidence} for f in found]
    for f in found:
        diag.messages.append(
            Message(
                "EXPOSURE_SUSPECTED",
                "warning",
                f"column {f.column!r} looks like an exposure: {f.evidence}. Pass exposure={f.column!r} "
                "(advise, compare) so the rate is modelled, not the column as a feature.",
                {"column": f.column},
            )
        )


def _is_constant(col: Any) -> bool:
    """One value in every row (missing counts as a value), without a full hash of float columns."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(col) and not _is_bool(col):
        miss = col.isna()
        if bool(miss.all()):
            return True
        if bool(miss.any()):
            return False
        return bool(col.min() == col.max())
    return bool(col.nunique(dropna=False) <= 1)


def _spearman(a: Any, b: Any) -> float:
    """Spearman ρ (average ranks for ties); 0 when either side is constant."""
    from scipy import stats

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0  # ρ is undefined; scipy would warn and return NaN
    return float(stats.spearmanr(a, b).statistic)


def _label_conflicts(sub: Any, ysub: Any) -> float:
    import pandas as pd

    if sub.shape[1] == 0:
        return 0.0
    keys = pd.util.hash_pandas_object(sub, index=False).to_numpy()
    frame = pd.DataFrame({"k": keys, "y": ysub.astype(str).to_numpy()})
    nlab = frame.groupby("k")["y"].transform("nunique")
    return float(np.mean(nlab.to_numpy() > 1))


def _design(sub: Any) -> tuple[Any, list[str]]:
    """Standardized numeric design with an intercept column (one-hot for ≤ 10-level text columns),
    and the names of its columns after the intercept."""
    import pandas as pd

    cols, names = [], []
    for c in sub.columns:
        col = sub[c]
        if _is_bool(col):
            cols.append(col.astype(float).to_numpy())
            names.append(str(c))
        elif pd.api.types.is_numeric_dtype(col):
            a = col.to_numpy(dtype=float, na_value=np.nan)
            med = np.nanmedian(a) if np.isfinite(a).any() else 0.0
            cols.append(np.where(np.isfinite(a), a, med))
            names.append(str(c))
        elif col.nunique() <= 10:
            for lv in col.dropna().unique()[1:]:
                cols.append((col == lv).to_numpy(dtype=float))
                names.append(f"{c}={lv}")
    if not cols:
        return None, []
    Z = np.column_stack(cols)
    sd = Z.std(axis=0)
    keep = sd > 0
    if not keep.any():
        return None, []
    names = [nm for nm, k in zip(names, keep, strict=True) if k]
    Z = (Z[:, keep] - Z[:, keep].mean(axis=0)) / sd[keep]
    cap = max(1, Z.shape[0] // 5)
    return np.column_stack([np.ones(Z.shape[0]), Z[:, :cap]]), names[:cap]


# ---------------------------------------------------------------------------------------------
# residual diagnostics for the numeric tasks


#: share of a Gaussian sample outside Tukey's 1.5×IQR fences: 2Φ(−4·0.6745) = 0.698%
GAUSSIAN_FENCE_SHARE = 0.006976603239280237


def outlier_pvalue(share: float, n: int) -> float:
    """P(at least share·n points outside the 1.5×IQR fences | Gaussian sample of n), Poisson approx.

    >>> round(outlier_pvalue(0.02, 100), 3)  # 2 of 100 happen by chance
    0.155
    """
    from scipy.special import pdtrc

    count = round(share * n)
    return float(pdtrc(count - 1, n * GAUSSIAN_FENCE_SHARE)) if count > 0 else 1.0


def _heavy_tails(vals: dict[str, Any], n: int) -> tuple[bool, str]:
    """Whether the residual tails are heavy, and the sentence that says why.

    Heavy: an outlier share (1.5×IQR fences, on the scale of `residual_scale`) ≥ 2% that a
    Gaussian sample of n would give with P < 0.01 and excess kurtosis > 1 to support it, or an
    excess kurtosis > 3 on its own.
    """
    share = vals["residual_outlier_share_iqr"]
    kurt = vals["residual_excess_kurtosis"]
    p = vals["residual_outlier_pvalue"]
    significant = p < _t("outlier_pvalue") and kurt > _t("excess_kurtosis_support")
    by_share = share >= _t("outlier_share") and significant
    by_kurt = kurt > _t("excess_kurtosis")
    heavy = by_share or by_kurt
    text = (
        f"residual outlier share {share:.1%} (Gaussian: 0.7%, flag ≥ {_t('outlier_share'):.0%}; P = {p:.2g} "
        f"for {n} Gaussian values) and excess kurtosis {kurt:.2f} (flag > {_t('excess_kurtosis'):g}, or "
        f"> {_t('excess_kurtosis_support'):g} with the share)"
    )
    verdict = "heavy tails" if heavy else "tails not heavy"
    return heavy, f"{verdict}: {text}"


def _design_name(diag: Diagnosis, j: int) -> str:
    names = diag.design_names or []
    return f"feature {names[j - 1]!r}" if 0 < j <= len(names) else f"design column {j}"


def _residual_values(diag: Diagnosis) -> None:
    from .advice import Message

    vals = diag.values
    y_all = diag.y.to_numpy(dtype=float)
    idx = diag.sample if diag.sample is not None else np.arange(len(y_all))
    y = y_all[idx]
    Z = diag.design
    if Z is not None and len(y) < max(20, 5 * Z.shape[1]):
        vals["residual_note"] = f"{len(y)} rows are too few to fit {Z.shape[1] - 1} feature column(s)"
        Z = None
    if Z is None:
        r = y - np.median(y)
        vals["residual_source"] = "y around its median (no usable features)"
        vals["linear_r2"] = None
    else:
        r, r_ols = robust_fit(Z, y)
        sst = float(np.sum((y - y.mean()) ** 2))
        vals["linear_r2"] = 1.0 - float(np.sum(r_ols**2)) / sst if sst > 0 else None
        vals["residual_source"] = f"robust (Huber) linear fit on {Z.shape[1] - 1} feature column(s)"
        vals["linear_residual_scale"] = residual_scale(r, y)[0]  # the scale that survives a point mass of y
        p = Z.shape[1] - 1
        if p <= 12 and len(y) >= 10 * (1 + p + p * (p + 1) // 2):
            rq = robust_fit(quadratic_design(Z), y)[0]
            vals["quadratic_residual_scale"] = residual_scale(rq, y)[0]
            if vals["quadratic_residual_scale"] < _t("nonlinear_gain") * vals["linear_residual_scale"]:
                r = rq
                vals["residual_source"] = (
                    f"robust (Huber) fit with squares and pairwise products of {p} feature column(s): its "
                    f"residual scale {vals['quadratic_residual_scale']:.4g} beats the linear fit's "
                    f"{vals['linear_residual_scale']:.4g}"
                )
    if Z is not None and len(y) >= 100:
        ar = np.abs(r - np.median(r))
        cands = {
            "fitted values": y - r,
            **{f"design column {j}": Z[:, j] for j in range(1, min(Z.shape[1], 13))},
        }
        rho = {k: _spearman(col, ar) for k, col in cands.items() if np.ptp(col) > 0}
        if rho:
            worst = max(rho, key=lambda k: abs(rho[k]))
            vals["residual_heteroscedasticity"] = abs(rho[worst])
            vals["residual_heteroscedasticity_with"] = (
                worst if not worst.startswith("design") else _design_name(diag, int(worst.split()[-1]))
            )
            if abs(rho[worst]) >= _t("heteroscedasticity") and diag.task.task in ("regression", "ordinal"):
                diag.messages.append(
                    Message(
                        "HETEROSCEDASTIC",
                        "info",
                        f"the residual spread changes with {vals['residual_heteroscedasticity_with']} "
                        f"(Spearman ρ of |residual| = {rho[worst]:.2f}): heavy tails may come from a varying "
                        "variance rather than outliers; gaussian_nll models the variance too.",
                        {"spearman": rho[worst]},
                    )
                )
    scale, method, fallback = residual_scale(r, y)
    iqr_share, mad_share = _outlier_shares(r, scale if fallback else None)
    vals["residual_outlier_pvalue"] = outlier_pvalue(iqr_share, len(r))
    vals["residual_scale"] = scale
    vals["residual_scale_method"] = method
    vals["huber_delta"] = _t("huber_k") * scale if scale > 0 else None
    vals["residual_skewness"] = _skew(r)
    vals["residual_quantile_skewness"] = _quantile_skew(r)
    vals["residual_excess_kurtosis"] = _kurt(r)
    vals["residual_outlier_share_iqr"] = iqr_share
    vals["residual_outlier_share_mad"] = mad_share
    vals["heavy_tails"], vals["heavy_tails_evidence"] = _heavy_tails(vals, len(r))
    if y.min() > 0:
        ly = np.log(y)
        lr = ly - np.median(ly) if Z is None else robust_fit(Z, ly)[0]
        ls, _, lfall = residual_scale(lr, y)
        vals["log_residual_scale"] = ls
        vals["log_residual_skewness"] = _skew(lr)
        vals["log_residual_excess_kurtosis"] = _kurt(lr)
        vals["log_residual_outlier_share_iqr"] = _outlier_shares(lr, ls if lfall else None)[0]
    if y.min() >= 0 and y.mean() > 0:
        if Z is None:
            vals["variance_power"] = None
            vals["variance_power_se"] = None
            vals["variance_power_ci"] = None
            vals["variance_power_note"] = "needs features (fitted means) to relate variance to mean"
            mu = np.full_like(y, y.mean())
        else:
            mu, how, _ = mean_model(Z, y, seed=diag.seed)
            vals["mean_model"] = how
            vals.update(link_comparison(Z, y, seed=diag.seed))
            fit = variance_power_fit(y, mu, level=_t("variance_power_level"))
            p, nb, span = fit["power"], fit["bins"], fit["span"]
            vals["variance_power"] = p
            vals["variance_power_se"] = fit["se"]
            vals["variance_power_ci"] = fit["ci"]
            vals["variance_power_bins"] = nb
            vals["variance_power_span_orders"] = span
            if p is None:
                vals["variance_power_note"] = f"fitted means span only {span:.2f} orders of magnitude"
        vals["pearson_dispersion"] = float(np.mean((y - mu) ** 2 / mu))
        if vals.get("integer_valued"):
            _excess_zeros(vals, y, mu)
        pw = vals.get("variance_power")
        pw = 1.0 if pw is None else min(max(pw, 0.0), 3.0)
        pr = (y - mu) / mu ** (pw / 2)
        vals["pearson_residual_outlier_share_iqr"] = _outlier_shares(pr)[0]
    if Z is not None and diag.task.task == "ordinal" and "class_counts" in vals:
        vals.update(level_comparison(Z, y, seed=diag.seed))  # the levels as numbers or as classes?
