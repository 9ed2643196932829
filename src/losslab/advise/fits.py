r"""The quick fits behind the advisor's diagnosis: a robust linear fit, a Poisson
quasi-likelihood mean, the variance–mean power, the identity-vs-log link comparison and, for
ordinal levels, the numbers-vs-classes comparison.

They are small (a seeded sample of at most 20 000 rows, a few hundred columns) and run on one
BLAS/OpenMP thread (`one_thread`). `losslab.advise.diagnose` calls them and records what they
measure; the rules read only those records.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "level_comparison",
    "link_comparison",
    "mad_scale",
    "mean_model",
    "one_thread",
    "poisson_fit",
    "quadratic_design",
    "robust_fit",
    "variance_power",
    "variance_power_fit",
]


def mad_scale(v: Any) -> float:
    """1.4826 · median |v − median(v)| (the Gaussian-consistent MAD).

    The rounded 1.4826 of the docs and of Huber's δ = 1.345·σ̂, not scipy's ``scale="normal"``
    (1/Φ⁻¹(3/4) = 1.4826022…, 1.5e-6 larger).
    """
    from scipy import stats

    return float(1.4826 * stats.median_abs_deviation(np.asarray(v, dtype=float)))


def one_thread() -> Any:
    """Run the small fits on one BLAS and one OpenMP thread (threadpoolctl, when installed).

    The fits are small (≤ 20 000 × a few hundred); several threads only contend, most of all on a
    busy machine or inside `losslab.compare`'s parallel folds (measured with 2 threads under load:
    0.30 s → 0.044 s per 5000 × 201 normal-equation solve (OpenBLAS), 60–1600 ms → 1.5 ms per
    442 × 11 Poisson fit (scikit-learn's OpenMP loss kernels)). threadpoolctl limits only the
    libraries loaded when the limit is set, so `mean_model` sets it again after loading scikit-learn.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def link_comparison(Z: Any, y: Any, seed: int = 0) -> dict[str, Any]:
    """Held-out RMSE of a linear mean (least squares, identity link) and of a log-linear one
    (Poisson quasi-likelihood, log link) on the same features (and on their squares and products
    when there are enough rows, the better of the two designs for each link), 2-fold cross-fitted:
    ``log_link_gain`` = 1 − RMSE_log/RMSE_identity, and ``log_link_worse_z``, the z of the mean
    per-row difference of squared errors (> 0: the log link does worse).

    A mean-consistent deviance with a log link (Poisson, Gamma, Tweedie) goes ahead of squared
    error only when the log link does not predict significantly worse on the metric RMSE judges:
    under a misspecified model the losses consistent for the mean give different fits, and the one
    that matches the evaluation wins unless the other's shape of the mean is right (Gneiting 2011,
    §3; on the benchmark's doctor visits the log link was worse, z = 4.2).
    """

    def fit(link: str) -> Any:
        def predict(D: Any, yt: Any, Dt: Any) -> Any:
            if yt.mean() <= 0:
                return None
            if link == "identity":
                return Dt @ np.linalg.lstsq(D, yt, rcond=None)[0]
            return np.exp(np.clip(Dt @ poisson_fit(D, yt), -700, 700))

        return _held_out_errors(Z, y, seed, predict)

    e_id, e_log = fit("identity"), fit("log")
    if e_id is None or e_log is None:
        return {}
    r_id, r_log = (float(np.sqrt(e.mean())) for e in (e_id, e_log))
    return {
        "rmse_identity_link": r_id,
        "rmse_log_link": r_log,
        "log_link_gain": 1.0 - r_log / r_id if r_id > 0 else 0.0,
        "log_link_worse_z": _paired_z(e_log, e_id),
    }


def level_comparison(Z: Any, y: Any, seed: int = 0) -> dict[str, Any]:
    r"""Held-out RMSE of an ordinal target's mean level predicted two ways on the same features
    (and their squares and products when there are enough rows, as `link_comparison`), 2-fold
    cross-fitted: the levels read as numbers (least squares, what squared error fits) and as
    classes (a multinomial logit, what cross-entropy fits, its mean level
    :math:`\sum_k v_k \hat p_k`). ``levels_as_classes_worse_z`` is the z of the mean per-row
    difference of squared errors (> 0: the classes predict worse).

    Neither reading is right in general: the classes take K − 1 times the parameters and no
    order, the numbers a mean linear in the features with equal steps between the codes. On the
    benchmark's ordinal sets each won somewhere (issue 13).
    """
    LogisticRegression = _linear_model("LogisticRegression", "levels-as-classes test")

    def as_numbers(D: Any, yt: Any, Dt: Any) -> Any:
        return Dt @ np.linalg.lstsq(D, yt, rcond=None)[0]

    def as_classes(D: Any, yt: Any, Dt: Any) -> Any:
        if np.unique(yt).size < 2:
            return None
        clf = LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=100, tol=1e-8).fit(D[:, 1:], yt)
        return clf.predict_proba(Dt[:, 1:]) @ clf.classes_.astype(float)

    e_num = _held_out_errors(Z, y, seed, as_numbers)
    e_cls = _held_out_errors(Z, y, seed, as_classes)
    if e_num is None or e_cls is None:
        return {}
    return {
        "rmse_levels_as_numbers": float(np.sqrt(e_num.mean())),
        "rmse_levels_as_classes": float(np.sqrt(e_cls.mean())),
        "levels_as_classes_worse_z": _paired_z(e_cls, e_num),
    }


def _held_out_errors(Z: Any, y: Any, seed: int, predict: Any) -> Any:
    """Per-row squared errors of ``predict(D_train, y_train, D_test)``, 2-fold cross-fitted (the
    folds fixed by ``seed``), on ``Z`` and — with p ≤ 12 columns and 20 rows per coefficient — on
    `quadratic_design` (Z): those of the design with the lower mean; None when a fit is refused."""
    fold = np.random.default_rng(seed + 1).permutation(len(y)) % 2
    p = Z.shape[1] - 1
    designs = [Z]
    if p <= 12 and len(y) >= 20 * (1 + p + p * (p + 1) // 2):  # as the mean model: curved means too
        designs.append(quadratic_design(Z))
    best = None
    for D in designs:
        pred = np.empty(len(y))
        for k in (0, 1):
            tr = fold != k
            out = predict(D[tr], y[tr], D[~tr])
            if out is None:
                return None
            pred[~tr] = out
        e2 = (y - pred) ** 2
        if best is None or e2.mean() < best.mean():
            best = e2
    return best


def _paired_z(a: Any, b: Any) -> float:
    """z of the mean of a − b (per-row differences); 0 when they do not vary."""
    d = a - b
    se = float(d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else 0.0
    return float(d.mean() / se) if se > 0 else 0.0


def _solve(Z: Any, w: Any, z: Any) -> Any:
    A = Z.T @ (Z * w[:, None])
    ridge = 1e-8 * np.trace(A) / A.shape[0] + 1e-12
    A[np.diag_indices_from(A)] += ridge
    return np.linalg.solve(A, Z.T @ (w * z))


def robust_fit(Z: Any, y: Any, k: float = 1.345, iters: int = 30) -> tuple[Any, Any]:
    """Huber M-estimate of a linear model by IRLS: ``(residuals, OLS residuals)``.

    Weights wᵢ = min(1, k·s/|rᵢ|) with s = 1.4826·MAD(r) re-estimated each step.
    """
    # Kept by hand: statsmodels RLM(HuberT(1.345)) with this MAD scale is the same estimator (β agree
    # to 1e-7, tests/test_stats_libs.py) but solves each step by pinv: 20 000 × 91 fit 3.0 s vs 0.29 s,
    # advise on a 1e5-row frame 3.9 s vs 0.55 s. sklearn's HuberRegressor estimates the scale jointly
    # (Huber's proposal 2), a different estimator: diabetes residual scale −2.9%, claims' quadratic fit flips.
    w = np.ones(len(y))
    beta = _solve(Z, w, y)
    r_ols = y - Z @ beta
    r = r_ols
    for _ in range(iters):
        s = mad_scale(r)
        if s <= 0:
            break
        a = np.abs(r)
        w = np.where(a <= k * s, 1.0, k * s / np.where(a > 0, a, 1.0))
        new = _solve(Z, w, y)
        if np.allclose(new, beta, rtol=1e-8, atol=1e-10 * (1 + np.abs(beta).max())):
            beta = new
            break
        beta = new
        r = y - Z @ beta
    return y - Z @ beta, r_ols


def _linear_model(name: str = "PoissonRegressor", purpose: str = "mean model for y ≥ 0") -> Any:
    """scikit-learn's ``sklearn.linear_model.<name>``, or an ImportError saying what needs it."""
    try:
        import sklearn.linear_model as linear_model
    except ImportError:  # pragma: no cover - scikit-learn is an extra
        raise ImportError(
            f"losslab.advise's {purpose} needs scikit-learn: pip install 'losslab[advise]'"
        ) from None
    return getattr(linear_model, name)


def poisson_fit(Z: Any, y: Any, iters: int = 100) -> Any:
    """Coefficients β of a log-link Poisson quasi-likelihood fit (intercept first); μ̂ = exp(Zβ).

    The Poisson score equations give a consistent mean model for any variance function, so μ̂
    serves the variance–mean estimate for counts, Gamma-like and Tweedie-like data alike.
    scikit-learn's Newton–Cholesky solver does the fit; its β match the former hand-written IRLS
    to 4e-8 (tests/test_hand_values.py) at the same speed (65 ms for 20 000 × 91, one thread).
    """
    PoissonRegressor = _linear_model()
    if Z.shape[1] == 1:  # the intercept alone: the MLE is the log of the mean
        return np.array([math.log(float(y.mean()))])
    # A ridge of 1e-8 · mean(y), about 1e-8 of the Hessian's diagonal for standardized columns, keeps
    # collinear designs (squares of 0/1 columns) solvable, as the former IRLS's did.
    alpha = 1e-8 * float(y.mean())
    fit = PoissonRegressor(alpha=alpha, solver="newton-cholesky", tol=1e-8, max_iter=iters).fit(Z[:, 1:], y)
    return np.concatenate([[fit.intercept_], fit.coef_])


def _poisson_deviance(y: Any, mu: Any) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return float(2 * np.mean(t - (y - mu)))


def mean_model(Z: Any, y: Any, seed: int = 0) -> tuple[Any, str, dict[str, float]]:
    """Out-of-fold fitted means μ̂ for y ≥ 0 from the best of three mean models.

    Candidates: a log-linear and a log-quadratic Poisson quasi-likelihood fit, and the average
    of the k = 25 nearest neighbours in the standardized features (≤ 8 columns). Each is fitted on
    one half and predicts the other (2-fold cross-fitting); the one with the smallest held-out
    Poisson deviance wins (a winning Poisson fit is then refitted on all rows). Misfit of the mean
    would otherwise pose as variance and bias the variance–mean slope. Returns
    ``(μ̂, name, {name: held-out deviance})``.
    """
    _linear_model()  # loads scikit-learn's OpenMP runtime before the thread limit
    with one_thread():
        return _mean_model(Z, y, seed)


def _mean_model(Z: Any, y: Any, seed: int) -> tuple[Any, str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(y)) % 2
    designs = {"log-linear Poisson fit": Z}
    p = Z.shape[1] - 1
    if p <= 12 and len(y) >= 20 * (1 + p + p * (p + 1) // 2):
        designs["log-quadratic Poisson fit"] = quadratic_design(Z)
    preds: dict[str, Any] = {}
    floor = float(y.mean()) * 1e-6  # a held-out mean of exactly 0 would make the deviance infinite
    for name, D in designs.items():
        mu = np.empty(len(y))
        for k in (0, 1):
            tr = fold != k
            if y[tr].mean() <= 0:
                break
            beta = poisson_fit(D[tr], y[tr])
            mu[~tr] = np.exp(np.clip(D[~tr] @ beta, -700, 700))
        else:
            preds[name] = mu
    if 1 <= p <= 8 and len(y) >= 200:
        from scipy.spatial import cKDTree

        mu = np.empty(len(y))
        for k in (0, 1):
            tr = fold != k
            _, nn = cKDTree(Z[tr, 1:]).query(Z[~tr, 1:], k=25)
            mu[~tr] = np.maximum(y[tr][nn].mean(axis=1), floor)
        preds["25-nearest-neighbour average"] = mu
    scores = {name: _poisson_deviance(y, np.maximum(mu, floor)) for name, mu in preds.items()}
    best = min(scores, key=scores.get)
    if best in designs:  # a parametric winner is refitted on all rows (half-sample fits are noisier)
        D = designs[best]
        return np.exp(np.clip(D @ poisson_fit(D, y), -700, 700)), best, scores
    return np.maximum(preds[best], floor), best, scores


def variance_power(y: Any, mu: Any, bins: int | None = None) -> tuple[float | None, int, float]:
    """Slope p of log Var(y | μ̂-bin) against log mean, with the number of bins and the log10 span.

    Bins are quantiles of μ̂ (≥ 40 rows each, at most 20 bins); the variance in a bin is the mean
    of (y − μ̂)². Returns ``(None, bins, span)`` when the bin means span less than a factor 1.5
    (no leverage to estimate a slope). `variance_power_fit` adds its standard error.
    """
    fit = variance_power_fit(y, mu, bins)
    return fit["power"], fit["bins"], fit["span"]


def variance_power_fit(y: Any, mu: Any, bins: int | None = None, level: float = 0.95) -> dict[str, Any]:
    """`variance_power` with the slope's standard error and 95% interval.

    The standard error is the least-squares one of the log–log line, s/√Σ(x − x̄)² with s² the
    residual variance over bins − 2 degrees of freedom, so both the bins' sampling noise and any
    curvature of the variance function widen it; the interval uses the t quantile. Keys:
    ``power``, ``se``, ``ci`` (None when not measurable), ``bins``, ``span``.

    >>> rng = np.random.default_rng(0)
    >>> mu = np.exp(rng.normal(size=4000))
    >>> fit = variance_power_fit(rng.gamma(4.0, mu / 4.0), mu)
    >>> lo, hi = fit["ci"]
    >>> bool(lo < 2.0 < hi), fit["se"] < 0.2
    (True, True)
    """
    from scipy import stats

    none: dict[str, Any] = {"power": None, "se": None, "ci": None}
    n = len(y)
    nb = bins or int(min(20, n // 40))
    if nb < 4:
        return {**none, "bins": nb, "span": 0.0}
    edges = np.quantile(mu, np.linspace(0, 1, nb + 1))
    which = np.clip(np.searchsorted(edges, mu, side="right") - 1, 0, nb - 1)
    means, varis = [], []
    for b in range(nb):
        m = which == b
        if m.sum() < 10:
            continue
        mb = float(mu[m].mean())
        vb = float(np.mean((y[m] - mu[m]) ** 2))
        if mb > 0 and vb > 0:
            means.append(mb)
            varis.append(vb)
    m = len(means)
    if m < 4:
        return {**none, "bins": m, "span": 0.0}
    lm, lv = np.log(means), np.log(varis)
    span = float((lm.max() - lm.min()) / math.log(10))
    if span < math.log10(1.5):
        return {**none, "bins": m, "span": span}
    slope, icept = np.polyfit(lm, lv, 1)
    sxx = float(np.sum((lm - lm.mean()) ** 2))
    s2 = float(np.sum((lv - icept - slope * lm) ** 2)) / (m - 2)
    se = math.sqrt(s2 / sxx)
    half = float(stats.t.ppf(0.5 + level / 2, m - 2)) * se
    slope = float(slope)
    return {"power": slope, "se": se, "ci": (slope - half, slope + half), "bins": m, "span": span}


def quadratic_design(Z: Any) -> Any:
    """``Z`` (intercept first) with the squares and pairwise products of its columns appended."""
    F = Z[:, 1:]
    p = F.shape[1]
    extra = [F[:, i] * F[:, j] for i in range(p) for j in range(i, p)]
    return np.column_stack([Z, *extra]) if extra else Z
