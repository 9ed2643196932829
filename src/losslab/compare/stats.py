r"""Honest statistics over cross-validation folds: the ranking of `compare`.

For each metric, every candidate (a loss trained with a model) is first **classified on all the
folds** of the experiment, by the rules the metrics table declares (`losslab.metrics.Undefined`):

- a finite value on every fold → *ranked* and tested;
- +∞ on some fold (the metric's loss is truly infinite there: a deviance with a prediction ≤ 0
  where the target is > 0, a log loss with probability 0 on the true class) and finite elsewhere →
  ranked **last**, mean +∞, marked ``worse``;
- undefined on some fold (NaN with a reason) or no result on some fold (its training failed) →
  *unranked* on that metric, with a reason from `REASONS`. It is never ranked on the folds left.

No NaN decides an order. The ranked candidates are then compared on **the same paired folds**,
with every score oriented "lower is better" before anything is computed (−score for accuracy or
AUC, |coverage − τ| per fold for coverage), by `losslab.compare.design.compare_to_best`:

Corrected resampled t-test (Nadeau & Bengio 2003)
-------------------------------------------------
Folds share most of their training data, so the fold scores are correlated and the plain paired
t-test is far too confident. With dⱼ the oriented score difference on resample j = 1..J (J = k·r
folds over r repeats), n₁ the training and n₂ the test size,

.. math::

    \bar d = \frac1J\sum_j d_j,\quad
    \hat\sigma^2 = \frac{1}{J-1}\sum_j (d_j-\bar d)^2,\quad
    t = \frac{\bar d}{\sqrt{\left(\frac1J + \frac{n_2}{n_1}\right)\hat\sigma^2}},\quad
    \text{df} = J - 1,

and the two-sided p-value is 2·P(T_df > |t|) (`design.corrected_t`, the one implementation).

Family-wise error
-----------------
Every pair of ranked candidates is tested and the k(k − 1)/2 p-values are Holm-adjusted together
(``p_holm``); a candidate is ``worse`` when it is shown worse than any other candidate. The chance
of calling any candidate worse wrongly stays ≤ α whatever the number of candidates (testing only
"versus the best chosen after the fact" does not: see `losslab.compare.design`). ``delta`` is how
much worse than the best a candidate is (≥ 0, in the metric's units; for coverage in units of
|coverage − τ|), with a simultaneous 1 − α interval ``[ci_low, ci_high]``.

Practical equivalence (ROPE)
----------------------------
The Bayesian correlated t-test (Benavoli et al. 2017) gives the posterior of the mean difference
to the best as a Student t with df = J − 1, location d̄ and the corrected scale above. ``p_rope``
is its mass inside the region of practical equivalence [−ρ, ρ]; a candidate with
``p_rope ≥ 0.95`` is *practically equivalent* to the best (``≈ best``). ρ is in the metric's
units: the metric's default from the metrics table (`losslab.metrics.Rope`: 0.01 for accuracy or
AUC, 0.005 for ECE, 1% of the best's value for RMSE or log loss …) unless ``rope={metric: ρ}``.

Marks
-----
``best``; ``≈ best`` (practically equivalent); ``n.s.`` (not shown different: neither worse nor
equivalent — the data cannot tell); ``worse`` (Holm-adjusted p < α over all pairs, or +∞);
``unranked`` (with its ``reason``). The headline metric (the first) is the confirmatory one; the
others are exploratory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..metrics import Metric
from .design import MARK_WORSE, compare_to_best, corrected_t, holm_adjust

__all__ = [
    "EQUIVALENCE_MASS",
    "LEGEND",
    "MARKS",
    "REASONS",
    "TTest",
    "corrected_ttest",
    "holm",
    "rope_width",
    "summarize",
]

EQUIVALENCE_MASS = 0.95

#: the marks of a leaderboard row, in the order a legend explains them
MARKS = ("best", "≈ best", "n.s.", "worse", "unranked")

#: what each mark means, for the terminal's legend and the report
LEGEND = {
    "best": "lowest mean loss on the headline metric, over the same paired folds",
    "≈ best": "practically equivalent to the best: P(|difference| < ROPE) ≥ 0.95",
    "n.s.": "not shown different from the best, nor shown equivalent: the data cannot tell",
    "worse": "shown worse than another candidate (corrected t-test, Holm over all pairs, p < α), "
    "or infinitely wrong on some fold",
    "unranked": "not ranked on this metric: undefined or failed on some fold (reason given)",
}

#: why a candidate is not ranked normally on a metric: the fixed list of reasons
REASONS = {
    "failed": "training failed on {n} of {J} folds",
    "no_fold": "no fold finished for any candidate",
    "undefined": "{metric} is undefined on {n} of {J} folds: {detail}",
    "infinite": "{metric} is +inf on {n} of {J} folds: {detail}",
}


def _reason(code: str, **kw: Any) -> str:
    return REASONS[code].format(**kw)


@dataclass(frozen=True)
class TTest:
    """Result of `corrected_ttest` (differences as given: positive = first worse for a loss metric)."""

    mean: float
    std: float
    se: float
    t: float
    df: int
    p_value: float
    p_rope: float


def corrected_ttest(diff: Any, n_train: float, n_test: float, rope: float = 0.0) -> TTest:
    r"""Nadeau–Bengio corrected resampled t-test of paired fold differences, and P(ROPE).

    Non-finite differences are left out; with fewer than two left every field but ``mean`` is NaN.
    The test itself is `losslab.compare.design.corrected_t`.

    Parameters
    ----------
    diff : array of shape (J,)
        Paired differences of a score over J resamples (folds × repeats), J ≥ 2.
    n_train, n_test : float
        Training and test sizes of a fold (means over folds if they differ by one).
    rope : float
        Half-width ρ of the region of practical equivalence.

    Examples
    --------
    >>> r = corrected_ttest([1.0, 2.0, 3.0], n_train=8, n_test=4)
    >>> round(r.t, 6), r.df                      # 2 / sqrt(1 · (1/3 + 1/2))
    (2.19089, 2)
    >>> round(r.p_value, 4)
    0.1599
    """
    d = np.asarray(diff, dtype=float)
    d = d[np.isfinite(d)]
    J = d.size
    if J < 2:
        nan = math.nan
        return TTest(float(d.mean()) if J else nan, nan, nan, nan, max(J - 1, 0), nan, nan)
    mean, se, p, df = corrected_t(d, n_train, n_test)
    mean, se = float(mean), float(se)
    t = mean / se if se > 0 else (0.0 if mean == 0 else math.copysign(math.inf, mean))
    return TTest(mean, float(d.std(ddof=1)), se, t, df, float(p), _p_rope(mean, se, df, rope))


def _p_rope(mean: float, se: float, df: int, rope: float) -> float:
    """Posterior mass of [−rope, rope] of a Student t (df, loc=mean, scale=se)."""
    from scipy import stats

    if se == 0.0:
        return 1.0 if abs(mean) <= rope else 0.0
    if rope <= 0:
        return 0.0
    post = stats.t(df, loc=mean, scale=se)
    return float(post.cdf(rope) - post.cdf(-rope))


def holm(p_values: Any) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values over the finite ones (NaN stays NaN).

    The adjustment is `losslab.compare.design.holm_adjust`, the one implementation (equal to
    statsmodels' ``multipletests(method="holm")``, tests/test_stats_libs.py).

    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = holm_adjust(p[ok])
    return out


def _infinite_order(folds: Any) -> tuple[int, float]:
    """Sort key of a candidate whose metric is +inf on some folds: fewer such folds first, then the
    mean of its finite folds (+inf when every fold is infinite, so no empty mean).

    >>> _infinite_order(np.array([1.0, np.inf, 3.0])), _infinite_order(np.array([np.inf, np.inf]))
    ((1, 2.0), (2, inf))
    """
    finite = folds[np.isfinite(folds)]
    return int(np.sum(folds == math.inf)), float(finite.mean()) if finite.size else math.inf


def rope_width(metric: Metric, best_mean: float, override: dict[str, float] | None = None) -> float:
    """Half-width of the region of practical equivalence for ``metric``, in its units.

    ``override`` (``{"rmse": 0.5}``, by name or base name) wins; else the metric's default
    (`losslab.metrics.Rope`), relative ones scaled by the best candidate's mean.

    >>> from losslab.metrics import get_metric
    >>> rope_width(get_metric("rmse"), 4.0), rope_width(get_metric("roc_auc"), 0.9)
    (0.04, 0.01)
    >>> rope_width(get_metric("rmse"), 4.0, {"rmse": 0.5})
    0.5
    """
    if override and metric.name in override:
        return float(override[metric.name])
    if override and metric.base in override:
        return float(override[metric.base])
    return metric.rope.half_width(best_mean)


def _oriented(metric: Metric, values: np.ndarray) -> np.ndarray:
    """Per-fold scores as "lower is better": −score, |score − τ| for coverage, or as they are."""
    if metric.greater_is_better is None:
        return np.abs(values - float(metric.param))  # type: ignore[arg-type]
    return -values if metric.greater_is_better else values


def _fold_matrix(scores: Any, metric: Metric, candidates: list[str], folds: list[tuple[int, int]]) -> tuple:
    """``(values, reasons, present)``: arrays (k, J) of the metric per candidate and fold."""
    k, J = len(candidates), len(folds)
    values = np.full((k, J), np.nan)
    present = np.zeros((k, J), dtype=bool)
    reasons = np.full((k, J), None, dtype=object)
    if not len(scores):
        return values, reasons, present
    sub = scores[scores["metric"] == metric.name]
    ci = {c: i for i, c in enumerate(candidates)}
    fj = {f: j for j, f in enumerate(folds)}
    has_reason = "reason" in sub.columns
    for row in sub.itertuples(index=False):
        i, j = ci.get(row.candidate), fj.get((row.repeat, row.fold))
        if i is None or j is None:
            continue
        values[i, j] = float(row.value) if row.value is not None else math.nan
        present[i, j] = True
        reasons[i, j] = getattr(row, "reason", None) if has_reason else None
    return values, reasons, present


def _common_reason(reasons: Any) -> str:
    texts = [str(r) for r in reasons if r]
    if not texts:
        return "no value"
    uniq, counts = np.unique(texts, return_counts=True)
    return str(uniq[int(np.argmax(counts))])


def _summarize_metric(
    metric: Metric,
    values: np.ndarray,
    reasons: np.ndarray,
    present: np.ndarray,
    candidates: list[str],
    n_train: float,
    n_test: float,
    alpha: float,
    rope: dict[str, float] | None,
) -> list[dict[str, Any]]:
    k, J = values.shape
    oriented = _oriented(metric, values)
    status: dict[int, tuple[str, str | None]] = {}
    for i in range(k):
        missing = int((~present[i]).sum())
        infinite = present[i] & (oriented[i] == math.inf)
        undefined = present[i] & ~np.isfinite(oriented[i]) & ~infinite
        kw = {"J": J, "metric": metric.name}
        if J == 0:  # every task failed: nothing to rank, nothing to average
            status[i] = ("unranked", _reason("no_fold"))
        elif missing:
            status[i] = ("unranked", _reason("failed", n=missing, **kw))
        elif undefined.any():
            detail = _common_reason(reasons[i][undefined])
            status[i] = ("unranked", _reason("undefined", n=int(undefined.sum()), detail=detail, **kw))
        elif infinite.any():
            # the table's own words after "<metric> is +inf: ", not repeated
            detail = _common_reason(reasons[i][infinite]).split(" is +inf: ", 1)[-1]
            status[i] = ("infinite", _reason("infinite", n=int(infinite.sum()), detail=detail, **kw))
        else:
            status[i] = ("finite", None)
    fin = [i for i in range(k) if status[i][0] == "finite"]
    inf = sorted(
        (i for i in range(k) if status[i][0] == "infinite"), key=lambda i: _infinite_order(oriented[i])
    )
    rows: dict[int, dict[str, Any]] = {}
    nan = math.nan
    for i in range(k):
        v = values[i]
        ok = np.isfinite(v)
        rows[i] = {
            "metric": metric.name,
            "candidate": candidates[i],
            "mean": float(v.mean()) if status[i][0] in ("finite", "infinite") and J else nan,
            "std": float(v[ok].std(ddof=1)) if status[i][0] == "finite" and ok.sum() > 1 else nan,
            "n_folds": int(present[i].sum()),
            "rank": nan,
            "best": None,
            "delta": nan,
            "ci_low": nan,
            "ci_high": nan,
            "p_value": nan,
            "p_holm": nan,
            "rope": nan,
            "p_rope": nan,
            "significant": False,
            "equivalent": False,
            "worse_than": None,
            "mark": "unranked",
            "reason": status[i][1],
        }
        if status[i][0] == "infinite":
            rows[i]["mean"] = math.inf if metric.greater_is_better is not True else -math.inf
    best_name = None
    if fin:
        s = oriented[fin]
        best_i = fin[int(np.argmin(s.mean(axis=1)))]
        best_name = candidates[best_i]
        best_mean = float(values[best_i].mean())
        width = rope_width(metric, best_mean, rope)
        if J >= 2:
            res = compare_to_best(s, n_train, n_test, alpha=alpha)
            best_i = fin[int(res.best)]
            best_name = candidates[best_i]
            order = sorted(range(len(fin)), key=lambda a: (float(res.delta[a]), a))
            for pos, a in enumerate(order):
                i = fin[a]
                r = rows[i]
                diff = s[a] - s[int(res.best)]
                test = corrected_ttest(diff, n_train, n_test, rope=width) if i != best_i else None
                eq = bool(test is not None and test.p_rope >= EQUIVALENCE_MASS)
                worse = res.mark[a] == MARK_WORSE
                mark = "best" if i == best_i else "≈ best" if eq else "worse" if worse else "n.s."
                partner = int(res.worse_than[a])
                r.update(
                    rank=pos + 1,
                    delta=float(res.delta[a]),
                    ci_low=float(res.ci_low[a]) if i != best_i else 0.0,
                    ci_high=float(res.ci_high[a]) if i != best_i else 0.0,
                    p_value=float(res.p_value[a]),
                    p_holm=float(res.p_adjusted[a]),
                    rope=width,
                    p_rope=test.p_rope if test is not None else nan,
                    significant=bool(worse),
                    equivalent=eq,
                    worse_than=candidates[fin[partner]] if partner >= 0 else None,
                    mark=mark,
                )
        else:  # one resample: a ranking by the mean, nothing to test
            means = s.mean(axis=1)
            for pos, a in enumerate(np.argsort(means - means.min(), kind="stable")):
                i = fin[int(a)]
                delta = float(means[a] - means.min())
                rows[i].update(rank=pos + 1, delta=delta, rope=width, mark="best" if i == best_i else "n.s.")
        for i in inf:
            rows[i].update(rope=width)
    for pos, i in enumerate(inf):
        rows[i].update(
            rank=len(fin) + pos + 1, delta=math.inf, ci_low=math.inf, ci_high=math.inf, mark="worse",
            significant=True,
        )  # fmt: skip
    for r in rows.values():
        r["best"] = best_name
    return [rows[i] for i in range(k)]


def summarize(
    scores: Any,
    metrics: list[Metric],
    candidates: list[str],
    *,
    alpha: float = 0.05,
    rope: dict[str, float] | None = None,
) -> tuple[Any, Any]:
    """Leaderboard and paired tests from the long per-fold score table (see the module text).

    Parameters
    ----------
    scores : DataFrame
        Columns ``candidate, repeat, fold, metric, value, n_train, n_test`` and optionally
        ``reason`` (one row per finished task and metric; failed tasks have no rows). The folds of
        the experiment are those that appear in it.
    metrics : list of Metric
        The first one (the headline, confirmatory) orders the leaderboard.
    candidates : list of str
        Every planned candidate (those with no finished fold appear unranked).
    alpha : float
        Family-wise error rate of the ``worse`` marks, per metric.
    rope : dict, optional
        ``{metric: ρ}`` half-widths of the region of practical equivalence, in the metric's units.

    Returns
    -------
    leaderboard : DataFrame
        One row per candidate, best first by the headline metric, unranked last: ``{metric}`` (mean
        over all folds; NaN when unranked) and ``{metric}_std`` for each metric, then the headline
        metric's ``rank``, ``delta`` (how much worse than the best, ≥ 0), ``ci_low``, ``ci_high``,
        ``p_value``, ``p_holm``, ``rope``, ``p_rope``, ``significant``, ``equivalent``,
        ``worse_than``, ``mark``, ``reason`` and ``n_folds``.
    tests : DataFrame
        One row per metric and candidate: the same columns for every metric.

    Examples
    --------
    The regression case of issue 12: B undefined on a fold is unranked, not "between" A and C.

    >>> import pandas as pd
    >>> from losslab.metrics import get_metric
    >>> rows = [{"candidate": c, "repeat": 0, "fold": f, "metric": "mae", "value": v, "reason": None,
    ...          "n_train": 80, "n_test": 20}
    ...         for c, vals in {"A": [2.1, 2.3, 2.2], "B": [1.0, float("nan"), 1.1],
    ...                         "C": [1.2, 1.3, 1.1]}.items() for f, v in enumerate(vals)]
    >>> board, _ = summarize(pd.DataFrame(rows), [get_metric("mae")], ["A", "B", "C"])
    >>> board[["candidate", "rank", "mark"]].values.tolist()
    [['C', 1.0, 'best'], ['A', 2.0, 'worse'], ['B', nan, 'unranked']]
    """
    import pandas as pd

    folds: list[tuple[int, int]] = []
    n_train = n_test = math.nan
    if len(scores):
        keys = scores[["repeat", "fold"]].drop_duplicates().sort_values(["repeat", "fold"])
        folds = [(int(r), int(f)) for r, f in keys.itertuples(index=False)]
        sizes = scores.groupby(["repeat", "fold"])[["n_train", "n_test"]].first()
        n_train, n_test = float(sizes["n_train"].mean()), float(sizes["n_test"].mean())
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        values, reasons, present = _fold_matrix(scores, metric, candidates, folds)
        rows += _summarize_metric(metric, values, reasons, present, candidates, n_train, n_test, alpha, rope)
    tests = pd.DataFrame(rows)
    head = metrics[0].name
    lead = tests[tests["metric"] == head].set_index("candidate").loc[candidates]
    board = pd.DataFrame(index=pd.Index(candidates, name="candidate"))
    for metric in metrics:
        t = tests[tests["metric"] == metric.name].set_index("candidate")
        board[metric.name] = t["mean"]
        board[f"{metric.name}_std"] = t["std"]
    for col in (
        "rank",
        "delta",
        "ci_low",
        "ci_high",
        "p_value",
        "p_holm",
        "rope",
        "p_rope",
        "significant",
        "equivalent",
        "worse_than",
        "mark",
        "reason",
        "n_folds",
    ):
        board[col] = lead[col]
    board = board.sort_values(["rank"], na_position="last", kind="stable")
    return board.reset_index(), tests
