"""Type-I error, power and family-wise error of ``compare``'s tests under cross-validation designs.

Run: ``python benchmarks/compare_power.py [--reps-model 20000] [--reps-real 200] [--reps-fwe 4000]
[--reps-fwe-real 150] [--parts abc] [--seed 0]``

(a) The corrected resampled t-test's own model: per-resample differences dⱼ = μ + σ(√ρ Z₀ +
    √(1 − ρ) εⱼ) with ρ = n_test / (n_train + n_test) = 1/folds — the Nadeau–Bengio correlation,
    under which the test is exact. Type-I error at μ = 0 and power at μ = 1σ (one sd of a per-fold
    difference, the issue's effect), against the exact power from the noncentral t.
    (a2) A row-noise model: each row carries its own loss difference eᵢ ~ N(μ, 1), fixed for the
    data set; a fold's difference is the mean of eᵢ over its test rows (n = 300, RepeatedKFold-like
    partitions). Here a fold's sd grows as folds shrink, so the effect is stated per row
    (μ = 0.15 sd of a row's difference).
(b) Real learners: data sets of n = 300 rows drawn from one population (y = x₀ + x₁ + x₂ +
    0.5 x₃ + 0.5 x₄ + ε, all N(0, 1)), scikit-learn ``RepeatedKFold`` and ``Ridge``/
    ``DecisionTreeRegressor(max_depth=4)``, fold MSE. Null pair: the learner on (x₀, x₁, x₂, x₃)
    against the same learner on (x₀, x₁, x₂, x₄) — equal expected error by exchangeability. Power
    pair: (x₀, x₁, x₂, x₃) against (x₀ + s z, x₁, x₂, x₃), x₀ measured with noise (s = 0.5 for
    Ridge, 1.5 for the tree, so that both are in the range where designs differ). Designs are
    prefixes of 5×5 and 10×5 ``RepeatedKFold`` runs (same seed), so every design sees the same
    data sets.
(c) Family-wise error with k = 2, 4, 6, 10 equal candidates — under the model of (a) (candidate
    scores whose pairwise differences have the Nadeau–Bengio correlation) and with k Ridge learners
    on the core (x₀, x₁, x₂) plus one of k exchangeable features — for: "vs the best chosen after
    the fact + Holm over k − 1" (``compare`` today), Hsu's MCB with the corrected variance, and
    `losslab.compare.design.compare_to_best` (Holm over all pairs). Power: one candidate truly
    worse (model: by 1 sd of a pairwise per-fold difference; real: the first candidate with x₀
    measured with noise, x₀ + 1.5 z, in place of the k-th).

Monte-Carlo standard errors are √(p(1 − p)/reps).
"""

from __future__ import annotations

import argparse
import math
import time
from functools import cache

import numpy as np

from losslab.compare.design import (
    MARK_WORSE,
    REFERENCE_EFFECTS,
    choose_design,
    compare_to_best,
    corrected_t,
    design_power,
    design_score,
    holm_adjust,
)

ALPHA = 0.05
DESIGNS = [(5, 1), (5, 2), (5, 5), (10, 1), (10, 2), (10, 3), (10, 5)]
BUDGETS = [  # (n_rows, seconds per fit, candidates, budget s, jobs): the default for a few budgets
    (300, 0.5, 6, 10, 2),
    (300, 0.5, 6, 20, 2),
    (300, 0.5, 6, 45, 2),
    (300, 0.5, 6, 120, 2),
    (2000, 2.0, 6, 120, 2),
    (200, 0.2, 4, 120, 2),
]
N_ROWS = 300


def rate(hits: np.ndarray) -> str:
    p = float(np.mean(hits))
    return f"{p:.3f}±{math.sqrt(p * (1 - p) / hits.size):.3f}"


def sizes(folds: int, n: int = N_ROWS) -> tuple[float, float]:
    return n * (folds - 1) / folds, n / folds


# ----------------------------------------------------------------------------------------- (a)
def nb_diffs(rng: np.random.Generator, reps: int, folds: int, repeats: int, mu: float) -> np.ndarray:
    rho = 1.0 / folds
    J = folds * repeats
    return (
        mu
        + math.sqrt(rho) * rng.standard_normal((reps, 1))
        + math.sqrt(1 - rho) * rng.standard_normal((reps, J))
    )


def row_diffs(rng: np.random.Generator, reps: int, folds: int, repeats: int, mu: float) -> np.ndarray:
    e = mu + rng.standard_normal((reps, N_ROWS))
    out = []
    for _ in range(repeats):
        perm = np.argsort(rng.random((reps, N_ROWS)), axis=1)
        out.append(np.take_along_axis(e, perm, axis=1).reshape(reps, folds, -1).mean(axis=2))
    return np.concatenate(out, axis=1)


def part_a(args: argparse.Namespace, rng: np.random.Generator) -> None:
    R = args.reps_model
    print(f"\n(a) the test's own model, {R} reps; power at 1 sd of a per-fold difference")
    print("    (a2) row-noise model, n = 300, power at 0.15 sd of a row's difference")
    head = f"{'design':>7} {'J':>3} {'type-I':>12} {'power':>12} {'exact':>6}"
    print(head + f" {'a2 type-I':>12} {'a2 power':>12} {'exact':>6} {'score':>6}")
    for folds, repeats in DESIGNS:
        n_tr, n_te = sizes(folds)
        cols = []
        for gen, mu in ((nb_diffs, 0.0), (nb_diffs, 1.0), (row_diffs, 0.0), (row_diffs, 0.15)):
            _, _, p, _ = corrected_t(gen(rng, R, folds, repeats, mu), n_tr, n_te)
            cols.append(rate(p < ALPHA))
        exact = [design_power(folds, repeats, e, ALPHA, model) for model, e in REFERENCE_EFFECTS.items()]
        print(
            f"{folds:>4}×{repeats:<2} {folds * repeats:>3} {cols[0]:>12} {cols[1]:>12} {exact[0]:>6.3f} ",
            end="",
        )
        print(f"{cols[2]:>12} {cols[3]:>12} {exact[1]:>6.3f} {min(exact):>6.3f}")


# ----------------------------------------------------------------------------------------- (b)
def population(rng: np.random.Generator, n: int, n_extra: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Columns: x0, x1, x2, ``n_extra`` exchangeable features, x0 + 0.5 z and x0 + 1.5 z (noisy x0)."""
    X = rng.standard_normal((n, 3 + n_extra))
    y = X[:, :3].sum(axis=1) + 0.5 * X[:, 3:].sum(axis=1) + rng.standard_normal(n)
    noisy = X[:, :1] + np.array([[0.5, 1.5]]) * rng.standard_normal((n, 2))
    return np.hstack([X, noisy]), y


def fold_mse(X: np.ndarray, y: np.ndarray, feature_sets: list[list[int]], make, splits) -> np.ndarray:
    out = np.empty((len(feature_sets), len(splits)))
    for j, (tr, te) in enumerate(splits):
        for c, cols in enumerate(feature_sets):
            model = make().fit(X[np.ix_(tr, cols)], y[tr])
            out[c, j] = np.mean((model.predict(X[np.ix_(te, cols)]) - y[te]) ** 2)
    return out


def learners() -> dict:
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeRegressor

    return {
        "ridge": lambda: Ridge(alpha=1.0),
        "tree": lambda: DecisionTreeRegressor(max_depth=4, random_state=0),
    }


def part_b(args: argparse.Namespace, rng: np.random.Generator) -> None:
    from sklearn.model_selection import RepeatedKFold

    R = args.reps_real
    # A, A' (exchangeable with A), A with x0 measured with noise (sd 0.5 for ridge, 1.5 for the tree)
    noisy = {"ridge": 5, "tree": 6}
    print(f"\n(b) real learners, {R} data sets of n = {N_ROWS}; two-sided corrected t-test at α = {ALPHA}")
    for name, make in learners().items():
        if name not in args.learners:
            continue
        null = {d: np.zeros(R, bool) for d in DESIGNS}
        power = {d: np.zeros(R, bool) for d in DESIGNS}
        sd = {5: [], 10: []}
        gap = []
        sets = [[0, 1, 2, 3], [0, 1, 2, 4], [noisy[name], 1, 2, 3]]
        for rep in range(R):
            X, y = population(rng, N_ROWS)
            seed = int(rng.integers(2**31))
            for folds in (5, 10):
                splits = list(RepeatedKFold(n_splits=folds, n_repeats=5, random_state=seed).split(X))
                mse = fold_mse(X, y, sets, make, splits)
                sd[folds].append(np.std(mse[0] - mse[2], ddof=1))
                if folds == 10:
                    gap.append(np.mean(mse[2] - mse[0]))
                for f, r in DESIGNS:
                    if f != folds:
                        continue
                    n_tr, n_te = sizes(f)
                    J = f * r
                    _, _, p0, _ = corrected_t(mse[0, :J] - mse[1, :J], n_tr, n_te)
                    m1, _, p1, _ = corrected_t(mse[2, :J] - mse[0, :J], n_tr, n_te)
                    null[(f, r)][rep] = p0 < ALPHA
                    power[(f, r)][rep] = (p1 < ALPHA) & (m1 > 0)
        print(
            f"  {name}: mean gap {np.mean(gap):.3f} MSE; sd of a per-fold difference "
            f"{np.mean(sd[5]):.3f} (5 folds), {np.mean(sd[10]):.3f} (10 folds)"
        )
        print(f"  {'design':>7} {'type-I':>12} {'power':>12}")
        for f, r in DESIGNS:
            print(f"  {f:>4}×{r:<2} {rate(null[(f, r)]):>12} {rate(power[(f, r)]):>12}")


# ----------------------------------------------------------------------------------------- (c)
@cache
def mcb_critical(k: int, df: int, alpha: float = ALPHA, draws: int = 200_000) -> float:
    """One-sided Dunnett quantile for k − 1 comparisons with correlation 1/2 (Hsu's MCB)."""
    rng = np.random.default_rng(12345)
    z = (rng.standard_normal((draws, 1)) + rng.standard_normal((draws, k - 1))) / math.sqrt(2)
    s = np.sqrt(rng.chisquare(df, (draws, 1)) / df)
    return float(np.quantile((z / s).max(axis=1), 1 - alpha))


def procedures(scores: np.ndarray, n_tr: float, n_te: float) -> dict[str, np.ndarray]:
    """Boolean (reps, k): candidate called worse than the best, by each procedure."""
    reps, k, _ = scores.shape
    mean = scores.mean(axis=2)
    best = np.argmin(mean, axis=1)
    diff = scores - np.take_along_axis(scores, best[:, None, None], axis=1)
    d, se, p, df = corrected_t(diff, n_tr, n_te)
    others = np.arange(k)[None, :] != best[:, None]
    # today: Holm over the k − 1 comparisons with the observed best
    p_others = np.where(others, p, -1.0)  # the best sorts first and is dropped
    adj = holm_adjust(np.sort(p_others, axis=1)[:, 1:]) if k > 1 else p_others
    today = np.zeros((reps, k), bool)
    order = np.argsort(p_others, axis=1, kind="stable")[:, 1:]
    np.put_along_axis(today, order, adj < ALPHA, axis=1)
    safe = np.where(se > 0, se, 1.0)
    mcb = others & (d / safe > mcb_critical(k, df))
    res = compare_to_best(scores, n_tr, n_te, alpha=ALPHA)
    return {"today": today, "MCB": mcb, "all pairs": res.mark == MARK_WORSE}


def model_scores(rng: np.random.Generator, reps: int, k: int, folds: int, repeats: int) -> np.ndarray:
    """Candidate scores whose pairwise differences have sd 1 and the Nadeau–Bengio correlation."""
    rho, J = 1.0 / folds, folds * repeats
    own = math.sqrt(rho) * rng.standard_normal((reps, k, 1)) + math.sqrt(1 - rho) * rng.standard_normal(
        (reps, k, J)
    )
    return rng.standard_normal((reps, 1, J)) + own / math.sqrt(2)


def part_c(args: argparse.Namespace, rng: np.random.Generator, design: tuple[int, int]) -> None:
    ks = (2, 4, 6, 10)
    names = ("today", "MCB", "all pairs")
    for folds, repeats in sorted({(5, 1), design}):
        n_tr, n_te = sizes(folds)
        R = args.reps_fwe
        print(
            f"\n(c) model, design {folds}×{repeats}, {R} reps: "
            "family-wise error (k equal) | power (one worse)"
        )
        print(
            f"  {'k':>3} " + " ".join(f"{n:>12}" for n in names) + " | " + " ".join(f"{n:>12}" for n in names)
        )
        for k in ks:
            s0 = model_scores(rng, R, k, folds, repeats)
            fwe = procedures(s0, n_tr, n_te)
            s1 = model_scores(rng, R, k, folds, repeats)
            s1[:, -1] += 1.0
            pw = procedures(s1, n_tr, n_te)
            print(
                f"  {k:>3} "
                + " ".join(f"{rate(fwe[n].any(axis=1)):>12}" for n in names)
                + " | "
                + " ".join(f"{rate(pw[n][:, -1]):>12}" for n in names)
            )
    if args.reps_fwe_real <= 0:
        return
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import RepeatedKFold

    folds, repeats = design
    n_tr, n_te = sizes(folds)
    R = args.reps_fwe_real
    kmax = max(ks)
    sets = [[0, 1, 2, 3 + c] for c in range(kmax)] + [[4 + kmax, 1, 2, 3]]  # last: x0 + 1.5 z
    fwe = {n: {k: np.zeros(R, bool) for k in ks} for n in names}
    pw = {n: {k: np.zeros(R, bool) for k in ks} for n in names}
    for rep in range(R):
        X, y = population(rng, N_ROWS, n_extra=kmax)
        splits = list(RepeatedKFold(n_splits=folds, n_repeats=repeats, random_state=rep).split(X))
        mse = fold_mse(X, y, sets, lambda: Ridge(alpha=1.0), splits)
        for k in ks:
            f0 = procedures(mse[None, :k], n_tr, n_te)
            f1 = procedures(np.concatenate([mse[None, : k - 1], mse[None, -1:]], axis=1), n_tr, n_te)
            for n in names:
                fwe[n][k][rep] = f0[n].any()
                pw[n][k][rep] = f1[n][0, -1]
    print(f"\n(c) Ridge learners, design {folds}×{repeats}, {R} data sets: family-wise error | power")
    print(f"  {'k':>3} " + " ".join(f"{n:>12}" for n in names) + " | " + " ".join(f"{n:>12}" for n in names))
    for k in ks:
        print(
            f"  {k:>3} "
            + " ".join(f"{rate(fwe[n][k]):>12}" for n in names)
            + " | "
            + " ".join(f"{rate(pw[n][k]):>12}" for n in names)
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps-model", type=int, default=20000)
    ap.add_argument("--reps-real", type=int, default=200)
    ap.add_argument("--reps-fwe", type=int, default=4000)
    ap.add_argument("--reps-fwe-real", type=int, default=150)
    ap.add_argument("--learners", default="ridge,tree")
    ap.add_argument("--parts", default="abc")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    print("default designs (choose_design):")
    for n, spf, k, budget, jobs in BUDGETS:
        f, r = choose_design(n, spf, k, budget, jobs)
        print(
            f"  n={n:>5} fit={spf:>4}s candidates={k} budget={budget:>4}s jobs={jobs} → {f}×{r}"
            f"  (score {design_score(f, r):.3f})"
        )
    default = choose_design(*BUDGETS[2])
    if "a" in args.parts:
        part_a(args, rng)
    if "b" in args.parts:
        part_b(args, rng)
    if "c" in args.parts:
        part_c(args, rng, default)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
