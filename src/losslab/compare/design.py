r"""The cross-validation design and the family-wise test that ``compare`` uses by default.

Two choices, both made by simulation (``benchmarks/compare_power.py``; figures in
``docs/benchmarks.md``, section "Compare: power and the default design"):

* `choose_design` — how many folds and repeats a time budget buys;
* `compare_to_best` — which candidates are shown to be worse than the best, with a family-wise
  error ≤ α whatever the number of candidates.

Corrected resampled t-test (Nadeau & Bengio 2003)
-------------------------------------------------
For paired score differences dⱼ over J = folds × repeats resamples, with n₁ training and n₂ test
rows per fold,

.. math::

    t = \frac{\bar d}{\sqrt{\left(\frac1J + \frac{n_2}{n_1}\right) s^2}},\qquad
    s^2 = \frac{1}{J-1}\sum_j (d_j - \bar d)^2,\qquad \text{df} = J - 1 .

It is exact when the dⱼ are normal with a common correlation ρ = n₂ / (n₁ + n₂) (= 1/folds) — the
test's own model. The term n₂/n₁ = 1/(folds − 1) is a floor that repeats cannot lower: with
σ the standard deviation of one dⱼ, Var(d̄) = σ²((1 − ρ)/J + ρ).

Multiple comparisons with the best chosen after the fact
--------------------------------------------------------
Testing each candidate against the best *as observed* and Holm-adjusting those k − 1 p-values is
not a valid family: the observed best is the luckiest of k, so its differences are biased upwards.
With k equal candidates that procedure calls one of them "worse" 8%, 10% and 14% of the time at
α = 0.05 for k = 4, 6, 10 (10 × 3 folds, the test's own model; 11% for k = 10 at 5 × 1).

`compare_to_best` instead tests **every pair** with the corrected t-test and Holm-adjusts the
k(k − 1)/2 p-values together; a candidate is "worse" when it is shown worse than any other
candidate (then it cannot be the best). Holm controls the family-wise error over all pairs for any
dependence between the tests, so every such claim is covered whichever candidate the data make the
best (a claim's sign comes from its two-sided test; Holm's control of sign errors is proven for
independent tests and here shown by simulation): family-wise error 0.038–0.048 for k = 2 … 10
(10 × 3, the test's own model) and 0.00–0.02 with Ridge learners. Hsu's multiple comparisons with
the best (MCB) is more powerful, but its guarantee is about "c is not *strictly* the best": with
tied candidates it calls equal candidates "worse" far more often than α (0.10 for k = 2, 0.22 for
k = 6, 0.34 for k = 10; 0.13 for k = 10 Ridge learners), which is exactly the error ``compare``
must not make. The price of validity, with one candidate truly worse by 1 sd of a pairwise per-fold
difference (10 × 3): found 77% of the time for k = 2, 74% for k = 4, 71% for k = 6, 68% for k = 10.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_BUDGET_SECONDS",
    "MARK_BEST",
    "MARK_NOT_SHOWN",
    "MARK_WORSE",
    "REFERENCE_EFFECTS",
    "BestComparison",
    "choose_design",
    "compare_to_best",
    "corrected_t",
    "design_power",
    "design_score",
    "design_seconds",
    "holm_adjust",
]

MARK_BEST = "best"
MARK_NOT_SHOWN = "not shown different"
MARK_WORSE = "worse"
#: differences smaller than this fraction of the scores' magnitude are float rounding, not evidence
_TIE = 1e-12


def corrected_t(diff: Any, n_train: float, n_test: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    r"""Nadeau–Bengio corrected resampled t statistic over the last axis.

    Parameters
    ----------
    diff : array of shape (..., J)
        Paired differences over J ≥ 2 resamples (finite).
    n_train, n_test : float
        Training and test rows of one fold (means over folds if they differ by one).

    Returns
    -------
    mean, se, p_value : arrays of shape (...)
        d̄, its corrected standard error √((1/J + n_test/n_train) s²) and the two-sided p-value
        2 P(T_{J−1} > |t|). A zero variance gives p = 0 for a non-zero mean and p = 1 for a zero one.
    df : int
        J − 1.

    Examples
    --------
    >>> mean, se, p, df = corrected_t([1.0, 2.0, 3.0], n_train=8, n_test=4)
    >>> float(mean), round(float(mean / se), 5), round(float(p), 4), df   # 2 / √((1/3 + 1/2) · 1)
    (2.0, 2.19089, 0.1599, 2)
    """
    from scipy import stats

    d = np.asarray(diff, dtype=float)
    J = d.shape[-1] if d.ndim else 0
    if J < 2:
        raise ValueError(f"corrected_t needs at least 2 resamples on the last axis, got shape {d.shape}")
    if not np.all(np.isfinite(d)):
        raise ValueError("corrected_t: the differences must be finite (got NaN or inf)")
    if n_train <= 0 or n_test <= 0:
        raise ValueError(f"corrected_t: n_train and n_test must be > 0, got {n_train} and {n_test}")
    mean = d.mean(axis=-1)
    se = np.sqrt((1.0 / J + n_test / n_train) * d.var(axis=-1, ddof=1))
    df = J - 1
    safe = np.where(se > 0, se, 1.0)
    t = np.where(se > 0, np.abs(mean) / safe, np.where(mean == 0, 0.0, np.inf))
    p = 2.0 * stats.t.sf(t, df)
    return mean, se, np.minimum(p, 1.0), df


def holm_adjust(p_values: Any) -> np.ndarray:
    """Holm step-down adjusted p-values over the last axis (each row its own family).

    Parameters
    ----------
    p_values : array of shape (..., m)

    Examples
    --------
    >>> holm_adjust([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    >>> holm_adjust([[0.01, 0.5], [0.2, 0.02]]).tolist()
    [[0.02, 0.5], [0.2, 0.04]]
    """
    p = np.asarray(p_values, dtype=float)
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("holm_adjust: p-values must lie in [0, 1] (got NaN or out of range)")
    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1) * (m - np.arange(m))
    adjusted = np.minimum(np.maximum.accumulate(ranked, axis=-1), 1.0)
    out = np.empty_like(adjusted)
    np.put_along_axis(out, order, adjusted, axis=-1)
    return out


@dataclass(frozen=True)
class BestComparison:
    """Result of `compare_to_best`; arrays have the input's batch shape (…) then k candidates.

    Attributes
    ----------
    best : ndarray of int, shape (...)
        Index of the best candidate (lowest mean of the oriented scores; the first one on ties).
    mean : ndarray, shape (..., k)
        Mean score over the resamples, in the metric's own units and direction.
    delta : ndarray, shape (..., k)
        How much worse than the best (≥ 0, in the metric's units; 0 for the best).
    ci_low, ci_high : ndarray, shape (..., k)
        Simultaneous 1 − α interval for delta (Bonferroni over all k(k − 1)/2 pairs; Holm's
        step-down may call a difference significant whose simultaneous interval touches 0).
    p_value, p_adjusted : ndarray, shape (..., k)
        Corrected t-test, raw and Holm-adjusted over all pairs, of the pair (candidate, j) with
        the smallest adjusted p-value among the candidates j with a lower mean (j is often the
        best); NaN for the best, 1 for a candidate tied with it.
    mark : ndarray of str, shape (..., k)
        ``"best"``, ``"worse"`` (p_adjusted < α) or ``"not shown different"``. A candidate better
        than the best cannot exist: the best has the lowest mean over the same resamples.
    worse_than : ndarray of int, shape (..., k)
        For a ``"worse"`` candidate, the candidate it is shown worse than (−1 otherwise).
    alpha : float
    n_pairs : int
        k(k − 1)/2, the size of the family.
    """

    best: np.ndarray
    mean: np.ndarray
    delta: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray
    mark: np.ndarray
    worse_than: np.ndarray
    alpha: float
    n_pairs: int


def compare_to_best(
    scores: Any,
    n_train: float,
    n_test: float,
    *,
    alpha: float = 0.05,
    greater_is_better: bool = False,
) -> BestComparison:
    r"""Which candidates are worse than the best, with family-wise error ≤ α for any k.

    Every pair (i, j) of the k candidates is tested with the corrected resampled t-test (see
    `corrected_t`) on its paired differences; the k(k − 1)/2 p-values are Holm-adjusted together.
    The best is the candidate with the lowest mean (scores oriented lower-is-better); a candidate
    is ``"worse"`` when it is shown worse than at least one other candidate (adjusted p < α with
    the higher mean) — then it cannot be the best. Since Holm controls the family-wise error over
    all pairs, the chance of calling a truly best candidate worse is ≤ α whichever candidate the
    data make the best and whatever k. Pairs other than (candidate, best) add power when two
    candidates make similar predictions, so that their difference is measured precisely.

    Parameters
    ----------
    scores : array of shape (..., k, J)
        Score of each of k ≥ 1 candidates on each of J ≥ 2 resamples (folds × repeats, the same
        resamples for every candidate). Leading axes are independent problems (for simulation).
    n_train, n_test : float
        Training and test rows of one fold.
    alpha : float
        Family-wise error rate.
    greater_is_better : bool
        True for scores such as accuracy or ROC-AUC: they are negated before testing, so that
        ``delta`` is always "how much worse" and positive.

    Returns
    -------
    BestComparison

    Examples
    --------
    Three candidates on 10 folds × 1 repeat (n = 300 rows): the third is worse on every fold.

    >>> rng = np.random.default_rng(0)
    >>> base = rng.normal(1.0, 0.1, size=10)
    >>> scores = np.stack([base, base + 0.01 * np.tile([1, -1], 5), base + 0.05])
    >>> res = compare_to_best(scores, n_train=270, n_test=30)
    >>> res.mark.tolist()
    ['best', 'not shown different', 'worse']
    >>> round(float(res.delta[2]), 3), res.n_pairs
    (0.05, 3)

    Orientation: the same scores read as accuracies make the third candidate the best.

    >>> compare_to_best(scores, 270, 30, greater_is_better=True).mark.tolist()[2]
    'best'
    """
    from scipy import stats

    s = np.asarray(scores, dtype=float)
    if s.ndim < 2:
        raise ValueError(f"compare_to_best: scores must have shape (..., k, J), got shape {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError(
            "compare_to_best: scores must be finite; rank candidates with NaN or inf scores "
            "separately before testing"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"compare_to_best: alpha must lie in (0, 1), got {alpha}")
    k = s.shape[-2]
    oriented = -s if greater_is_better else s
    mean = oriented.mean(axis=-1)
    best = np.argmin(mean, axis=-1)
    batch = s.shape[:-2]
    nan = np.full((*batch, k), np.nan)
    m = k * (k - 1) // 2
    if k == 1:
        marks = np.full((*batch, 1), MARK_BEST, dtype=object)
        zero = np.zeros((*batch, 1))
        none = np.full((*batch, 1), -1)
        return BestComparison(best, s.mean(axis=-1), zero, zero, zero, nan, nan, marks, none, alpha, 0)

    ii, jj = np.triu_indices(k, 1)
    diff = oriented[..., ii, :] - oriented[..., jj, :]
    scale = np.maximum(1.0, np.abs(s).max(axis=(-2, -1)))[..., None, None]
    diff = np.where(np.abs(diff) > _TIE * scale, diff, 0.0)
    _, se, p, df = corrected_t(diff, n_train, n_test)
    p_adj = holm_adjust(p)

    pair = np.full((k, k), -1)
    pair[ii, jj] = pair[jj, ii] = np.arange(m)
    full = np.where(pair >= 0, pair, 0)
    # c is worse than the best as soon as it is shown worse than any candidate j
    looks_worse = (mean[..., :, None] > mean[..., None, :]) & (pair >= 0)
    cand = np.where(looks_worse, p_adj[..., full], np.inf)
    partner = np.argmin(cand, axis=-1)
    p_adj_c = np.take_along_axis(cand, partner[..., None], axis=-1)[..., 0]
    has = np.isfinite(p_adj_c)
    p_c = np.take_along_axis(p[..., full], partner[..., None], axis=-1)[..., 0]
    is_best = np.arange(k) == best[..., None]
    no_test = np.where(is_best, np.nan, 1.0)  # tied with the best: nothing to test
    p_c = np.where(has, p_c, no_test)
    p_adj_c = np.where(has, p_adj_c, no_test)
    worse = has & (p_adj_c < alpha)
    worse_than = np.where(worse, partner, -1)

    vs_best = np.take_along_axis(se[..., full], best[..., None, None], axis=-1)[..., 0]
    se_c = np.where(is_best, 0.0, vs_best)
    delta = mean - np.take_along_axis(mean, best[..., None], axis=-1)
    half = float(stats.t.ppf(1.0 - alpha / (2.0 * m), df)) * se_c
    marks = np.where(is_best, MARK_BEST, np.where(worse, MARK_WORSE, MARK_NOT_SHOWN)).astype(object)
    return BestComparison(
        best=best,
        mean=s.mean(axis=-1),
        delta=delta,
        ci_low=delta - half,
        ci_high=delta + half,
        p_value=p_c,
        p_adjusted=p_adj_c,
        mark=marks,
        worse_than=worse_than,
        alpha=float(alpha),
        n_pairs=m,
    )


def _check_positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"choose_design: {name} must be a positive number, got {value!r}")


def design_power(
    folds: int,
    repeats: int,
    effect: float = 1.0,
    alpha: float = 0.05,
    model: str = "nadeau-bengio",
) -> float:
    r"""Power of the two-sided corrected t-test for a design, under one of two models.

    ``"nadeau-bengio"`` (the test's own model): per-resample differences with sd σ and common
    correlation ρ = 1/folds; the effect is μ/σ and t is noncentral t with df J − 1 and
    ncp = (μ/σ) / √((1 − ρ)/J + ρ). ``"row-noise"``: each row carries its own difference
    (sd τ, fixed for the data set) and a fold's difference is the mean over its test rows. Then
    d̄ is the mean of all n rows whatever the design (variance τ²/n), every repeat's folds
    average to that same d̄ (so s² has J − repeats degrees of freedom), E s² = (τ²/n)·folds·
    (J − repeats)/(J − 1), and the corrected variance is (τ²/n)(J + folds − 1)/(J − 1) — too
    large, so the test is conservative. The effect is μ√n/τ and the power
    P(|T'| > c·√((J + folds − 1)/(J − 1))) with T' noncentral t (df J − repeats,
    ncp = effect) and c the t critical value at df J − 1.

    Examples
    --------
    >>> round(design_power(5, 1), 2), round(design_power(10, 3), 2), round(design_power(5, 5), 2)
    (0.25, 0.76, 0.51)
    """
    from scipy import stats

    J = folds * repeats
    df = J - 1
    crit = stats.t.ppf(1.0 - alpha / 2.0, df)
    if model == "nadeau-bengio":
        rho = 1.0 / folds
        ncp = effect / math.sqrt((1.0 - rho) / J + rho)
    elif model == "row-noise":
        # every repeat's folds average to the same d̄, so s² has J − repeats degrees of freedom,
        # and the corrected variance overstates the true τ²/n by (J + folds − 1)/(J − 1): the test
        # is conservative, which acts as a larger critical value
        ncp = effect
        crit *= math.sqrt((J + folds - 1) / (J - 1))
        df = J - repeats
    else:
        raise ValueError(f"design_power: model must be 'nadeau-bengio' or 'row-noise', got {model!r}")
    nct = stats.nct(df, ncp)
    return float(nct.sf(crit) + nct.cdf(-crit))


#: reference effects at which `design_score` compares designs (see `design_power`): one sd of a
#: per-fold difference under the Nadeau–Bengio model; 2.6 standard errors of the full-data mean
#: difference (0.15 sd of a row's difference at n = 300) under the row-noise model
REFERENCE_EFFECTS = {"nadeau-bengio": 1.0, "row-noise": 0.15 * math.sqrt(300)}
MIN_FOLDS = 5
MAX_FOLDS = 10
MAX_REPEATS = 5
MIN_TEST_ROWS = 30
#: default time budget of ``compare``'s cross-validation when the user sets no folds or repeats:
#: ``losslab demo`` (6 candidates, 2 workers) then runs 10 × 3, the design the power simulation
#: favours, in well under two minutes (docs/compare.md, "losslab demo")
DEFAULT_BUDGET_SECONDS = 30.0


@lru_cache(maxsize=1024)
def design_score(folds: int, repeats: int, alpha: float = 0.05) -> float:
    """The smaller of the two models' powers at their reference effects (see `choose_design`).

    Examples
    --------
    >>> round(design_score(10, 1), 2), round(design_score(5, 2), 2), round(design_score(10, 3), 2)
    (0.32, 0.39, 0.59)
    """
    return min(design_power(folds, repeats, e, alpha, model) for model, e in REFERENCE_EFFECTS.items())


def design_seconds(
    folds: int, repeats: int, n_candidates: int, seconds_per_fit: float, n_jobs: int = 1
) -> float:
    """Wall time of a design: one fit per candidate and resample, spread over ``n_jobs`` workers.

    >>> design_seconds(10, 3, n_candidates=6, seconds_per_fit=0.5, n_jobs=2)
    45.0
    """
    return folds * repeats * n_candidates * seconds_per_fit / n_jobs


def choose_design(
    n_rows: int, seconds_per_fit: float, n_candidates: int, budget_seconds: float, n_jobs: int = 1
) -> tuple[int, int]:
    r"""Folds and repeats of the cross-validation that ``compare`` runs by default.

    Among the designs whose `design_seconds` fit the budget — folds ∈ {5, f_max} with
    f_max = the number of folds that keeps ≥ 30 test rows (between 5 and 10), repeats 1 … 5 —
    the one with the highest `design_score`, the cheaper one on ties. When even 5 × 1 exceeds the
    budget, 5 × 1 (the least a comparison needs). Since the set of affordable designs only grows
    with the budget, more budget never gives a lower score.

    Why this rule (``benchmarks/compare_power.py``, n = 300, α = 0.05):

    * Under the corrected t-test's own model (correlation 1/folds) 10 folds beat 5 at any cost:
      power at 1 sd is 0.54 for 10×1 against 0.39 for 5×2, 0.76 for 10×3 against 0.51 for 5×5,
      because the variance floor n_test/n_train = 1/(folds − 1) does not shrink with repeats.
    * With Ridge (a stable learner) the per-fold noise comes from the test rows, and the
      row-noise model of `design_power` fits the simulation within Monte-Carlo error: there 5×2
      (0.70 with Ridge) beats 10×1 (0.54), and 5×5 (0.86) ≈ 10×3 (0.87). With a depth-4 tree
      (unstable) 10 folds win: 10×1 0.17 against 5×2 0.10, 10×3 0.28 against 5×5 0.24.
    * Taking, per design, the worse of the two models (`design_score`) gives 5×1 → 5×2 → 5×3 →
      10×2 → 10×3 → 10×4 → 10×5 as the budget grows (5, 10, 15, 20, 30, 40, 50 fits per
      candidate). At 10 fits that trades 0.07 of power with the tree for 0.16 with Ridge; from
      20 fits on it is the best design for both learners. Repeats stop at 5: from 10×3 to 10×5
      power gains 3–6 points for 67% more time, from 10×5 to 10×10 the score only 0.65 → 0.70
      for twice the time.
    * Type-I error stays ≤ α for every design within Monte-Carlo error: α under the test's own
      model, 0.000–0.065 ± 0.017 with Ridge and trees (mostly below α: the corrected variance
      overstates the true one when the noise comes from the test rows).

    Parameters
    ----------
    n_rows : int
        Rows of the data set (after dropping missing targets).
    seconds_per_fit : float
        Wall time of fitting and scoring one candidate on one training fold (the slowest
        candidate's, or a mean).
    n_candidates : int
        Candidates to cross-validate.
    budget_seconds : float
        Time the comparison may take.
    n_jobs : int
        Parallel workers.

    Returns
    -------
    folds, repeats : int

    Examples
    --------
    >>> choose_design(300, seconds_per_fit=0.5, n_candidates=6, budget_seconds=45, n_jobs=2)
    (10, 3)
    >>> choose_design(300, 0.5, 6, budget_seconds=20, n_jobs=2)     # 5×2 and 10×1 both cost 15 s
    (5, 2)
    >>> choose_design(200, 0.01, 4, budget_seconds=600)              # 200 rows: 6 folds of 33
    (6, 5)
    >>> choose_design(10_000, 60.0, 6, budget_seconds=60)            # over budget: the minimum
    (5, 1)
    """
    for name, value in (
        ("n_rows", n_rows),
        ("seconds_per_fit", seconds_per_fit),
        ("n_candidates", n_candidates),
        ("budget_seconds", budget_seconds),
        ("n_jobs", n_jobs),
    ):
        _check_positive(name, value)
    f_max = min(MAX_FOLDS, max(MIN_FOLDS, int(n_rows) // MIN_TEST_ROWS))
    best, best_key = (MIN_FOLDS, 1), (-1.0, 0.0)
    for folds in sorted({MIN_FOLDS, f_max}):
        for repeats in range(1, MAX_REPEATS + 1):
            cost = design_seconds(folds, repeats, n_candidates, seconds_per_fit, n_jobs)
            if cost > budget_seconds:
                break
            key = (round(design_score(folds, repeats), 12), -cost)
            if key > best_key:
                best, best_key = (folds, repeats), key
    return best
