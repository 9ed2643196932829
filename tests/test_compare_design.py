"""compare's default design (`choose_design`) and its family-wise test (`compare_to_best`)."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from scipy import stats

from losslab.compare.design import (
    MARK_BEST,
    MARK_NOT_SHOWN,
    MARK_WORSE,
    MAX_REPEATS,
    MIN_FOLDS,
    choose_design,
    compare_to_best,
    corrected_t,
    design_power,
    design_score,
    design_seconds,
    holm_adjust,
)

BUDGETS = [1, 5, 8, 10, 14, 15, 20, 25, 30, 44, 45, 60, 75, 80, 100, 1000]


# --------------------------------------------------------------------------- choose_design
@pytest.mark.parametrize("n_rows", [60, 149, 150, 200, 299, 300, 5000])
@pytest.mark.parametrize("budget", BUDGETS)
def test_design_respects_budget_and_minimum_folds(n_rows: int, budget: float) -> None:
    spf, k, jobs = 0.5, 6, 2
    folds, repeats = choose_design(n_rows, spf, k, budget, jobs)
    assert folds >= MIN_FOLDS and 1 <= repeats <= MAX_REPEATS
    cost = design_seconds(folds, repeats, k, spf, jobs)
    if design_seconds(MIN_FOLDS, 1, k, spf, jobs) <= budget:
        assert cost <= budget
    else:
        assert (folds, repeats) == (MIN_FOLDS, 1)


@pytest.mark.parametrize("n_rows", [100, 200, 300, 10_000])
def test_more_budget_never_less_power(n_rows: int) -> None:
    scores = [design_score(*choose_design(n_rows, 0.3, 4, b, 1)) for b in np.geomspace(1, 500, 60)]
    assert all(b >= a for a, b in itertools.pairwise(scores))
    assert scores[-1] > scores[0]


def test_small_data_keeps_30_test_rows() -> None:
    for n_rows in range(150, 400, 7):
        folds, _ = choose_design(n_rows, 0.01, 3, 1e6)
        assert n_rows / folds >= 30, (n_rows, folds)
    assert choose_design(1000, 0.01, 3, 1e6) == (10, MAX_REPEATS)
    assert choose_design(100, 0.01, 3, 1e6)[0] == MIN_FOLDS  # too small for 30 rows: still 5 folds


def test_design_path_follows_the_simulation() -> None:
    # budget in fits per candidate → design (docstring of choose_design)
    path = {b: choose_design(300, 1.0, 1, b) for b in (5, 10, 15, 20, 30, 40, 50, 500)}
    assert path == {
        5: (5, 1),
        10: (5, 2),
        15: (5, 3),
        20: (10, 2),
        30: (10, 3),
        40: (10, 4),
        50: (10, 5),
        500: (10, 5),
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_rows": 0},
        {"seconds_per_fit": -1.0},
        {"n_candidates": 0},
        {"budget_seconds": math.nan},
        {"n_jobs": 0},
    ],
)
def test_design_bad_input(kwargs: dict) -> None:
    args = {"n_rows": 300, "seconds_per_fit": 1.0, "n_candidates": 3, "budget_seconds": 60, "n_jobs": 1}
    args.update(kwargs)
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        choose_design(**args)


def test_design_power_matches_issue_figures_and_simulation() -> None:
    # the issue's figures (test's own model, effect 1 sd): 25%, 76%, 52%
    assert design_power(5, 1) == pytest.approx(0.25, abs=0.01)
    assert design_power(10, 3) == pytest.approx(0.76, abs=0.01)
    assert design_power(5, 5) == pytest.approx(0.51, abs=0.01)
    assert design_power(10, 3, effect=0.0) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="model"):
        design_power(5, 1, model="bootstrap")


def _row_noise(
    rng: np.random.Generator, reps: int, n: int, folds: int, repeats: int, mu: float
) -> np.ndarray:
    e = mu + rng.standard_normal((reps, n))
    out = []
    for _ in range(repeats):
        perm = np.argsort(rng.random((reps, n)), axis=1)
        out.append(np.take_along_axis(e, perm, axis=1).reshape(reps, folds, -1).mean(axis=2))
    return np.concatenate(out, axis=1)


def test_row_noise_power_formula_matches_monte_carlo() -> None:
    rng = np.random.default_rng(3)
    reps, n = 3000, 200
    for folds, repeats in ((5, 2), (10, 1)):
        d = _row_noise(rng, reps, n, folds, repeats, mu=2.6 / math.sqrt(n))
        _, _, p, _ = corrected_t(d, n * (folds - 1) / folds, n / folds)
        hit = float(np.mean(p < 0.05))
        exact = design_power(folds, repeats, effect=2.6, model="row-noise")
        assert abs(hit - exact) < 3 * math.sqrt(exact * (1 - exact) / reps) + 0.01, (folds, repeats)


# --------------------------------------------------------------------------- statistics
def test_corrected_t_reduces_to_student_t() -> None:
    d = np.random.default_rng(0).normal(0.3, 1.0, 12)
    mean, se, p, df = corrected_t(d, n_train=1e12, n_test=1.0)
    ref = stats.ttest_1samp(d, 0.0)
    assert df == 11
    assert float(mean / se) == pytest.approx(ref.statistic, rel=1e-9)
    assert float(p) == pytest.approx(ref.pvalue, rel=1e-9)


def test_corrected_t_bad_input() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        corrected_t([1.0], 8, 2)
    with pytest.raises(ValueError, match="finite"):
        corrected_t([1.0, math.nan], 8, 2)
    with pytest.raises(ValueError, match="n_train"):
        corrected_t([1.0, 2.0], 0, 2)


def test_holm_matches_statsmodels() -> None:
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(1)
    for m in (1, 2, 5, 15, 45):
        p = rng.uniform(0, 0.2, m) ** 2
        ref = multitest.multipletests(p, method="holm")[1]
        np.testing.assert_allclose(holm_adjust(p), ref, rtol=1e-12)
    with pytest.raises(ValueError, match="p-values"):
        holm_adjust([0.1, math.nan])


# --------------------------------------------------------------------------- compare_to_best
def test_candidate_better_on_every_fold_is_best_never_worse() -> None:
    # the issue's case: a candidate 0.1 RMSE better on every shared fold was marked "worse"
    rng = np.random.default_rng(2)
    base = rng.normal(5.0, 0.5, 10)
    res = compare_to_best(np.stack([base, base - 0.1]), n_train=270, n_test=30)
    assert res.best == 1
    assert res.mark.tolist() == [MARK_WORSE, MARK_BEST]
    assert res.delta[0] == pytest.approx(0.1) and res.ci_low[0] > 0
    for _ in range(50):  # random k × J matrices with one candidate better on every resample
        k, J = int(rng.integers(2, 8)), int(rng.integers(5, 31))
        s = rng.normal(size=(k, J))
        c = int(rng.integers(k))
        s[c] = s.min(axis=0) - rng.uniform(0.001, 1.0, J)
        res = compare_to_best(s, 100, 20)
        assert res.mark[c] == MARK_BEST
        assert set(res.mark.tolist()) <= {MARK_BEST, MARK_WORSE, MARK_NOT_SHOWN}
        assert np.all(res.delta >= 0)


def test_worse_than_a_close_relative_counts() -> None:
    # c = 2 is a precise 0.05 worse than candidate 1 on every fold, while its difference to the
    # best (0), whose predictions are unrelated, is noisy: c is still shown not to be the best
    rng = np.random.default_rng(8)
    one = rng.normal(1.05, 0.3, 20)
    other = rng.normal(1.0, 0.3, 20)
    best = other - other.mean() + one.mean() - 0.01  # best by a hair, unrelated to 1 and 2
    s = np.stack([best, one, one + 0.05 + rng.normal(0, 0.001, 20)])
    res = compare_to_best(s, 270, 30)
    assert res.best == 0
    assert res.mark.tolist() == [MARK_BEST, MARK_NOT_SHOWN, MARK_WORSE]
    assert res.worse_than.tolist() == [-1, -1, 1]
    # the interval is against the best, and is wide here
    assert res.ci_low[2] < 0 < res.ci_high[2]


def test_equal_candidates_not_worse() -> None:
    base = np.random.default_rng(4).normal(1.0, 0.2, 30)
    same = compare_to_best(np.stack([base, base.copy(), base.copy()]), 270, 30)
    assert same.mark.tolist() == [MARK_BEST, MARK_NOT_SHOWN, MARK_NOT_SHOWN]
    # equal up to float rounding: ties, not evidence
    rounded = compare_to_best(np.stack([base, (base * 3.0) / 3.0 + 1e-15]), 270, 30)
    assert rounded.mark.tolist()[1] != MARK_WORSE


def test_orientation() -> None:
    rng = np.random.default_rng(5)
    auc = 0.8 + rng.normal(0, 0.01, (3, 20))
    auc[2] -= 0.05  # clearly lower AUC: worse
    auc[1] += 0.02  # higher AUC: best
    res = compare_to_best(auc, 270, 30, greater_is_better=True)
    assert res.best == 1 and res.mark[2] == MARK_WORSE
    assert res.mean[1] == pytest.approx(auc[1].mean())  # means in the metric's own direction
    assert res.delta[2] == pytest.approx(auc[1].mean() - auc[2].mean())
    flipped = compare_to_best(-auc, 270, 30)
    assert flipped.mark.tolist() == res.mark.tolist()
    np.testing.assert_allclose(flipped.p_adjusted, res.p_adjusted)


def test_batch_equals_one_by_one() -> None:
    rng = np.random.default_rng(6)
    s = rng.normal(size=(7, 4, 10)) + np.array([0.0, 0.3, 0.6, 1.2])[:, None]
    batch = compare_to_best(s, 90, 10)
    for b in range(7):
        one = compare_to_best(s[b], 90, 10)
        assert batch.mark[b].tolist() == one.mark.tolist()
        np.testing.assert_allclose(batch.p_adjusted[b], one.p_adjusted, equal_nan=True)
        np.testing.assert_allclose(batch.ci_high[b], one.ci_high)
    assert batch.n_pairs == 6


def test_single_candidate_and_bad_input() -> None:
    res = compare_to_best(np.ones((1, 5)), 8, 2)
    assert res.mark.tolist() == [MARK_BEST] and res.n_pairs == 0
    with pytest.raises(ValueError, match="finite"):
        compare_to_best(np.array([[1.0, np.nan], [1.0, 2.0]]), 8, 2)
    with pytest.raises(ValueError, match="shape"):
        compare_to_best(np.ones(5), 8, 2)
    with pytest.raises(ValueError, match="alpha"):
        compare_to_best(np.ones((2, 5)), 8, 2, alpha=1.5)


def _nb_scores(rng: np.random.Generator, reps: int, k: int, folds: int, repeats: int) -> np.ndarray:
    """Candidate scores whose pairwise differences have the Nadeau–Bengio correlation 1/folds."""
    rho, J = 1.0 / folds, folds * repeats
    own = math.sqrt(rho) * rng.standard_normal((reps, k, 1)) + math.sqrt(1 - rho) * rng.standard_normal(
        (reps, k, J)
    )
    return rng.standard_normal((reps, 1, J)) + own


def test_monte_carlo_type_one_and_family_wise_error() -> None:
    t0 = time.perf_counter()
    rng = np.random.default_rng(7)
    reps, alpha = 2000, 0.05
    bound = alpha + 3 * math.sqrt(alpha * (1 - alpha) / reps)
    # type-I error of the corrected t-test under its own model (exact: α)
    for folds, repeats in ((5, 1), (10, 3)):
        d = _nb_scores(rng, reps, 2, folds, repeats)
        _, _, p, _ = corrected_t(d[:, 0] - d[:, 1], 270, 300 / folds)
        assert np.mean(p < alpha) <= bound
    # family-wise error with k equal candidates, whichever is best after the fact
    for k in (4, 10):
        res = compare_to_best(_nb_scores(rng, reps, k, 10, 3), 270, 30, alpha=alpha)
        assert np.mean((res.mark == MARK_WORSE).any(axis=1)) <= bound
    # ...and the procedure finds a truly worse candidate (1 sd: power ≈ 0.6 for k = 6)
    s = _nb_scores(rng, 500, 6, 10, 3)
    s[:, -1] += math.sqrt(2.0)  # pairwise differences have sd √2 here
    assert np.mean(compare_to_best(s, 270, 30).mark[:, -1] == MARK_WORSE) > 0.5
    assert time.perf_counter() - t0 < 5.0
