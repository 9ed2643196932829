"""Where losslab keeps its own numerics next to a library, they agree; library calls keep our edges.

The advisor's Huber IRLS is kept by hand (statsmodels' RLM is the same estimator but several times
slower, see ``robust_fit``): it must give RLM's coefficients. Holm's step-down is kept too
(statsmodels collects garbage on every call, see ``holm``): it must equal ``multipletests``.
The scipy-backed moments and Spearman ρ keep the hand-written edge behaviour: 0 for short,
constant or rounding-level samples, without warnings.
"""

from __future__ import annotations

import gc
import importlib
import warnings

import numpy as np
import pytest

D = importlib.import_module("losslab.advise.diagnose")
F = importlib.import_module("losslab.advise.fits")


def _huber_data(seed: int, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    Z = np.column_stack([np.ones(n), rng.normal(size=(n, 4))])
    y = Z @ np.array([1.0, 2.0, -1.0, 0.5, 0.0]) + rng.standard_t(2.0, size=n)
    return Z, y


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("quadratic", [False, True])
def test_robust_fit_matches_statsmodels_rlm(seed: int, quadratic: bool) -> None:
    sm = pytest.importorskip("statsmodels.api")
    from scipy import stats

    Z, y = _huber_data(seed)
    if quadratic:
        Z = F.quadratic_design(Z)
    r, r_ols = F.robust_fit(Z, y)
    ours = np.linalg.lstsq(Z, y - r, rcond=None)[0]

    def mad_scale(model: object, resid: np.ndarray) -> float:  # the median-centred MAD robust_fit uses
        return 1.4826 * stats.median_abs_deviation(resid)

    rlm = sm.RLM(y, Z, M=sm.robust.norms.HuberT(t=1.345)).fit(scale_est=mad_scale, tol=1e-10, maxiter=100)
    assert np.max(np.abs(ours - rlm.params)) < 1e-6
    ols = sm.OLS(y, Z).fit()
    np.testing.assert_allclose(r_ols, ols.resid, rtol=0, atol=1e-6)  # _solve adds a 1e-8 ridge


def test_holm_equals_multipletests_on_random_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    from losslab.compare.stats import holm

    monkeypatch.setattr(gc, "collect", lambda *a: 0)  # multipletests collects on every Holm call

    rng = np.random.default_rng(7)
    for _ in range(200):
        m = int(rng.integers(1, 12))
        p = rng.uniform(0, 1, size=m) ** rng.uniform(0.5, 4)
        p[rng.random(m) < 0.2] = np.nan
        ours = holm(p)
        ok = np.isfinite(p)
        assert np.array_equal(np.isnan(ours), ~ok)  # NaN stays NaN and does not count as a test
        if ok.any():
            ref = multitest.multipletests(p[ok], method="holm")[1]
            np.testing.assert_allclose(ours[ok], ref, rtol=0, atol=1e-15)
            assert np.all(ours[ok] >= p[ok]) and np.all(ours[ok] <= 1.0)


@pytest.mark.parametrize(
    "v",
    [
        np.array([]),
        np.array([2.0]),
        np.array([1.0, 3.0]),
        np.full(50, 7.0),
        np.full(50, 0.0),
        np.r_[np.full(99, 1e8), 1e8 + 1e-7],  # spread lost in rounding: scipy warns and gives NaN
    ],
)
def test_moments_are_zero_without_spread_and_never_warn(v: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert D._skew(v) == 0.0
        assert D._kurt(v) == 0.0


def test_moments_follow_the_biased_convention() -> None:
    v = np.array([1.0, 2.0, 3.0, 10.0])
    d = v - v.mean()
    m2, m3, m4 = (np.mean(d**k) for k in (2, 3, 4))
    assert D._skew(v) == pytest.approx(m3 / m2**1.5, rel=1e-14)
    assert D._kurt(v) == pytest.approx(m4 / m2**2 - 3.0, rel=1e-14)
    assert F.mad_scale(v) == pytest.approx(1.4826 * 1.0, rel=1e-15)  # median 2.5, |d| = 1.5 1.5 .5 7.5


def test_spearman_constant_input_is_zero_without_warning() -> None:
    x = np.arange(10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert D._spearman(x, np.ones(10)) == 0.0
        assert D._spearman(np.zeros(10), x) == 0.0
    assert D._spearman(x, x**3) == pytest.approx(1.0)
    assert D._spearman([1.0, 2.0, 2.0, 3.0], [1.0, 3.0, 2.0, 4.0]) == pytest.approx(0.9486832980505138)


def test_poisson_fit_handles_collinear_and_intercept_only_designs() -> None:
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(3)
    n = 500
    b = rng.integers(0, 2, size=n).astype(float)
    z = (b - b.mean()) / b.std()
    y = rng.poisson(np.exp(0.2 + 0.4 * z)).astype(float)
    Z = F.quadratic_design(np.column_stack([np.ones(n), z]))  # z² is a linear function of z
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        beta = F.poisson_fit(Z, y)
        only = F.poisson_fit(Z[:, :1], y)
    mu = np.exp(Z @ beta)
    for level in (0.0, 1.0):  # fitted means equal the group means (the score equations)
        assert mu[b == level].mean() == pytest.approx(y[b == level].mean(), rel=1e-6)
    assert only == pytest.approx([np.log(y.mean())])
