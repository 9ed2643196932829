r"""Honest statistics over cross-validation folds.

Per metric and candidate (a loss trained with a model): mean ± standard deviation over folds and the
rank of the mean; then a **paired comparison of every candidate against the best** on the same folds.

Corrected resampled t-test (Nadeau & Bengio 2003)
-------------------------------------------------
Folds share most of their training data, so the fold scores are correlated and the plain paired
t-test is far too confident. With dⱼ the score difference on resample j = 1..J (J = k·r folds over
r repeats), n₁ the training and n₂ the test size,

.. math::

    \bar d = \frac1J\sum_j d_j,\quad
    \hat\sigma^2 = \frac{1}{J-1}\sum_j (d_j-\bar d)^2,\quad
    t = \frac{\bar d}{\sqrt{\left(\frac1J + \frac{n_2}{n_1}\right)\hat\sigma^2}},\quad
    \text{df} = J - 1,

and the two-sided p-value is 2·P(T_df > |t|). p-values against the best are Holm-adjusted within a
metric; a difference is *significant* when the adjusted p-value is below ``alpha``.

Practical equivalence (ROPE)
----------------------------
The Bayesian correlated t-test (Benavoli et al. 2017) gives the posterior of the mean difference as
a Student t with df = J − 1, location d̄ and the corrected scale above. ``p_rope`` is its mass inside
the region of practical equivalence [−ρ, ρ]; a candidate with ``p_rope ≥ 0.95`` is *practically
equivalent* to the best. ρ defaults to 0.01 for metrics on a unit scale (accuracy, AUCs, F1, Brier,
ECE, R², coverage) and to 1% of the best mean for unbounded ones (MAE, RMSE, log loss, deviances…).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..metrics import Metric

__all__ = [
    "UNIT_SCALE",
    "TTest",
    "corrected_ttest",
    "holm",
    "rope_width",
    "summarize",
]

#: metrics on a [0, 1]-like scale, whose ROPE is absolute (0.01)
UNIT_SCALE = frozenset(
    {"accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "brier", "ece", "r2", "coverage"}
)
EQUIVALENCE_MASS = 0.95


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
    from scipy import stats

    d = np.asarray(diff, dtype=float)
    d = d[np.isfinite(d)]
    J = d.size
    if J < 2:
        return TTest(
            float(d.mean()) if J else math.nan,
            math.nan,
            math.nan,
            math.nan,
            max(J - 1, 0),
            math.nan,
            math.nan,
        )
    mean = float(d.mean())
    var = float(d.var(ddof=1))
    se = math.sqrt((1.0 / J + n_test / n_train) * var)
    df = J - 1
    if se == 0.0:
        t = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
        p = 1.0 if mean == 0.0 else 0.0
        p_rope = 1.0 if abs(mean) <= rope else 0.0
    else:
        t = mean / se
        p = float(2.0 * stats.t.sf(abs(t), df))
        post = stats.t(df, loc=mean, scale=se)
        p_rope = float(post.cdf(rope) - post.cdf(-rope)) if rope > 0 else 0.0
    return TTest(mean, math.sqrt(var), se, t, df, p, p_rope)


def holm(p_values: Any) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (NaN stays NaN).

    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    # Kept by hand (equal to statsmodels' multipletests(method="holm"), tests/test_stats_libs.py):
    # statsmodels runs gc.collect() on every Holm call, 229 ms each in a process with torch, pandas
    # and scikit-learn loaded, against 7 µs here; summarize calls it once per metric.
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for i, idx in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[idx]))
        out[idx] = running
    return out


def rope_width(metric: Metric, best_mean: float, override: dict[str, float] | None = None) -> float:
    """Half-width of the region of practical equivalence for ``metric`` (see the module text)."""
    if override and metric.name in override:
        return float(override[metric.name])
    if override and metric.base in override:
        return float(override[metric.base])
    if metric.base in UNIT_SCALE:
        return 0.01
    return 0.01 * abs(best_mean) if np.isfinite(best_mean) else 0.0


def summarize(
    scores: Any,
    metrics: list[Metric],
    candidates: list[str],
    *,
    alpha: float = 0.05,
    rope: dict[str, float] | None = None,
) -> tuple[Any, Any]:
    """Leaderboard and paired tests from the long per-fold score table.

    Parameters
    ----------
    scores : DataFrame
        Columns ``candidate, repeat, fold, metric, value, n_train, n_test`` (one row per finished
        task and metric; failed tasks have no rows).
    metrics : list of Metric
        The first one orders the leaderboard.
    candidates : list of str
        Every planned candidate (those with no finished fold appear with NaN).

    Returns
    -------
    leaderboard : DataFrame
        One row per candidate, best first by the headline metric: ``{metric}`` (mean) and
        ``{metric}_std`` for each metric, ``rank``, ``delta`` (mean difference to the best, in the
        metric's units), ``p_value``, ``p_holm``, ``p_rope``, ``significant``, ``equivalent``,
        ``mark`` and ``n_folds``.
    tests : DataFrame
        One row per metric and candidate: the same test columns for every metric.
    """
    import pandas as pd

    rows = []
    for metric in metrics:
        sub = scores[scores["metric"] == metric.name] if len(scores) else scores
        table = (
            sub.pivot_table(index=["repeat", "fold"], columns="candidate", values="value", aggfunc="first")
            if len(sub)
            else pd.DataFrame()
        )
        sizes = sub.groupby(["repeat", "fold"])[["n_train", "n_test"]].first() if len(sub) else None
        means = {
            c: (float(np.nanmean(table[c])) if c in table and table[c].notna().any() else math.nan)
            for c in candidates
        }
        stds = {
            c: (float(np.nanstd(table[c], ddof=1)) if c in table and table[c].notna().sum() > 1 else math.nan)
            for c in candidates
        }
        nfold = {c: int(table[c].notna().sum()) if c in table else 0 for c in candidates}
        lossv = {c: metric.loss_value(means[c]) for c in candidates}
        ranked = [c for c in sorted(candidates, key=lambda c: lossv[c]) if np.isfinite(lossv[c])]
        best = ranked[0] if ranked else None
        ranks = {c: (ranked.index(c) + 1 if c in ranked else math.nan) for c in candidates}
        best_mean = means[best] if best else math.nan
        width = rope_width(metric, best_mean, rope)
        res: dict[str, TTest | None] = {}
        for c in candidates:
            if best is None or c == best or nfold[c] == 0:
                res[c] = None
                continue
            pair = table[[c, best]].dropna()
            if metric.greater_is_better is None:
                diff = np.abs(pair[c] - metric.param) - np.abs(pair[best] - metric.param)
            else:
                diff = pair[c] - pair[best]
            # differences at the level of float rounding are ties, not evidence
            scale = max(1.0, float(np.nanmax(np.abs(pair.to_numpy()))))
            diff = diff.where(np.abs(diff) > 1e-12 * scale, 0.0)
            n_train = float(sizes.loc[pair.index, "n_train"].mean())  # type: ignore[union-attr]
            n_test = float(sizes.loc[pair.index, "n_test"].mean())  # type: ignore[union-attr]
            res[c] = corrected_ttest(diff.to_numpy(), n_train, n_test, rope=width)
        others = [c for c in candidates if res[c] is not None]
        adj = dict(zip(others, holm([res[c].p_value for c in others]), strict=True))  # type: ignore[union-attr]
        for c in candidates:
            r = res[c]
            p_holm = adj.get(c, math.nan)
            sig = bool(np.isfinite(p_holm) and p_holm < alpha)
            eq = bool(r is not None and np.isfinite(r.p_rope) and r.p_rope >= EQUIVALENCE_MASS)
            if c == best:
                mark = "best"
            elif r is None or not np.isfinite(r.p_value):
                mark = "n/a"
            elif eq:
                mark = "≈ best"
            elif sig:
                mark = "worse"
            else:
                mark = "n.s."
            rows.append(
                {
                    "metric": metric.name,
                    "candidate": c,
                    "mean": means[c],
                    "std": stds[c],
                    "n_folds": nfold[c],
                    "rank": ranks[c],
                    "best": best,
                    "delta": (means[c] - best_mean) if best else math.nan,
                    "t": r.t if r else math.nan,
                    "df": r.df if r else math.nan,
                    "p_value": r.p_value if r else math.nan,
                    "p_holm": p_holm,
                    "rope": width,
                    "p_rope": r.p_rope if r else math.nan,
                    "significant": sig,
                    "equivalent": eq,
                    "mark": mark,
                }
            )
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
        "p_value",
        "p_holm",
        "p_rope",
        "significant",
        "equivalent",
        "mark",
        "n_folds",
    ):
        board[col] = lead[col]
    board = board.sort_values(["rank"], na_position="last", kind="stable")
    return board.reset_index(), tests
