"""Throwaway structured losses for the task-side tests (survival, ranking, ordinal).

Written plainly in NumPy, the way a textbook states them, so that the estimators, metrics and
compare can be tested before the library's own losses arrive. `registered()` registers them
under names no code has seen and unregisters them afterwards.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from scipy.stats import norm

from losslab._core import Loss, LossInfo, registry
from losslab._core.domains import REAL
from losslab._core.info import GradientKind, HessianKind, Task
from losslab._core.statistic import Statistic
from losslab._core.targets import Bounds, Ordinal, Ranking, Survival


def _w(t: Any, n: int) -> np.ndarray:
    return np.ones(n) if t.weight is None else np.asarray(t.weight, dtype=np.float64)


class PlainCox(Loss):
    """Cox's negative log partial likelihood with Breslow's ties: row i's share
    eᵢ·(log Σ_{j: tⱼ ≥ tᵢ} wⱼ e^{fⱼ} − fᵢ); the weighted total Σ wᵢ·share."""

    name = "test_plain_cox"
    target_type = Survival
    coupled = True
    INFO = LossInfo(
        task=Task.SURVIVAL, statistic=Statistic.UNSPECIFIED, y_true="time and event", y_pred=REAL,
        convex=True, smooth=True, robust=False, hessian=HessianKind.EXACT,
    )  # fmt: skip

    @staticmethod
    def _parts(t: Any, f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        time, e = np.asarray(t.time, dtype=np.float64), np.asarray(t.event, dtype=np.float64)
        w = _w(t, f.size)
        at_risk = time[None, :] >= time[:, None]  # [i, j]: j in the risk set of i
        ef = w * np.exp(f - f.max())
        S = at_risk @ ef
        return e, w, at_risk, ef / S[:, None] * at_risk  # p[i, j] = w_j e^{f_j} / S_i

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        f = np.asarray(f, dtype=np.float64)
        e, w, at_risk, _ = self._parts(t, f)
        logS = np.log(at_risk @ (w * np.exp(f - f.max()))) + f.max()
        return e * (logS - f)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        f = np.asarray(f, dtype=np.float64)
        e, w, _, p = self._parts(t, f)
        return (w * e) @ p - w * e

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        f = np.asarray(f, dtype=np.float64)
        e, w, _, p = self._parts(t, f)
        return (w * e) @ (p - p * p)

    def survival_function(
        self, y: Any, f_train: Any, f: Any, times: Any, sample_weight: Any = None
    ) -> np.ndarray:
        """Breslow: H₀(t) = Σ_{events tᵢ ≤ t} 1/Σ_{tⱼ ≥ tᵢ} e^{fⱼ}; S(t | x) = exp(−H₀(t) e^{f(x)})."""
        time, e = np.asarray(y.time, dtype=np.float64), np.asarray(y.event)
        f_train = np.asarray(f_train, dtype=np.float64)
        denom = np.array([np.exp(f_train[time >= ti]).sum() for ti in time])
        jumps = np.where(e == 1, 1.0 / denom, 0.0)
        H0 = np.array([jumps[time <= s].sum() for s in np.asarray(times, dtype=np.float64)])
        return np.exp(-np.exp(np.asarray(f, dtype=np.float64))[:, None] * H0[None, :])


class PlainAFT(Loss):
    """Log-normal accelerated failure time, σ = 1, exact and right-censored rows: with
    z = log t − f, ℓ = ½z² + log t + ½log 2π (observed) or −log Φ̄(z) (censored at t)."""

    name = "test_plain_aft"
    target_type = Bounds
    INFO = LossInfo(
        task=Task.SURVIVAL, statistic=Statistic.UNSPECIFIED, y_true="time bounds", y_pred=REAL,
        convex=True, smooth=True, robust=False, hessian=HessianKind.EXACT,
    )  # fmt: skip

    @staticmethod
    def _z(t: Any, f: Any) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.asarray(t.lower, dtype=np.float64), np.asarray(t.upper, dtype=np.float64)
        if np.any((lo != hi) & np.isfinite(hi)):
            raise ValueError("test_plain_aft takes exact and right-censored rows only")
        return np.log(lo) - np.asarray(f, dtype=np.float64), lo == hi

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        z, exact = self._z(t, f)
        return np.where(exact, 0.5 * z * z + z + np.asarray(f) + 0.5 * np.log(2 * np.pi), -norm.logsf(z))

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        z, exact = self._z(t, f)
        return np.where(exact, -z, -np.exp(norm.logpdf(z) - norm.logsf(z)))

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        z, exact = self._z(t, f)
        h = np.exp(norm.logpdf(z) - norm.logsf(z))
        return np.where(exact, 1.0, h * (h - z))


class PlainTobit(Loss):
    """Censored Gaussian regression, σ = 1: ½(y − f)² + ½log 2π for an exact row, −log Φ̄(c − f)
    right censored at c, −log Φ(c − f) left censored at c."""

    name = "test_plain_tobit"
    target_type = Bounds
    INFO = LossInfo(
        task=Task.REGRESSION, statistic=Statistic.MEAN, y_true="bounds", y_pred=REAL,
        convex=True, smooth=True, robust=False, hessian=HessianKind.EXACT,
    )  # fmt: skip

    @staticmethod
    def _parts(t: Any, f: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        lo, hi = np.asarray(t.lower, dtype=np.float64), np.asarray(t.upper, dtype=np.float64)
        f = np.asarray(f, dtype=np.float64)
        right, left = np.isposinf(hi), np.isneginf(lo)
        c = np.where(right, lo, hi)
        return c - f, lo == hi, right, left

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        z, exact, right, left = self._parts(t, f)
        return np.select(
            [exact, right, left], [0.5 * z * z + 0.5 * np.log(2 * np.pi), -norm.logsf(z), -norm.logcdf(z)]
        )

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        z, exact, right, left = self._parts(t, f)
        hr, hl = np.exp(norm.logpdf(z) - norm.logsf(z)), np.exp(norm.logpdf(z) - norm.logcdf(z))
        return np.select([exact, right, left], [-z, -hr, hl])

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        z, exact, right, left = self._parts(t, f)
        hr, hl = np.exp(norm.logpdf(z) - norm.logsf(z)), np.exp(norm.logpdf(z) - norm.logcdf(z))
        return np.select([exact, right, left], [np.ones_like(z), hr * (hr - z), hl * (hl + z)])


class PlainPairwise(Loss):
    """RankNet's pairwise logistic loss: log(1 + e^{−(fᵢ − fⱼ)}) for every pair of one query
    with relᵢ > relⱼ, the pair's value given to its more relevant row i."""

    name = "test_plain_pairwise"
    target_type = Ranking
    coupled = True
    INFO = LossInfo(
        task=Task.RANKING, statistic=Statistic.UNSPECIFIED, y_true="relevance and query", y_pred=REAL,
        convex=True, smooth=True, robust=False, hessian=HessianKind.EXACT,
    )  # fmt: skip

    @staticmethod
    def _pairs(t: Any, f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rel, g = np.asarray(t.relevance, dtype=np.float64), np.asarray(t.group)
        w = _w(t, f.size)
        better = (rel[:, None] > rel[None, :]) & (g[:, None] == g[None, :])
        return better, f[:, None] - f[None, :], w

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        f = np.asarray(f, dtype=np.float64)
        better, d, _ = self._pairs(t, f)
        return np.where(better, -log_expit(d), 0.0).sum(axis=1)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        f = np.asarray(f, dtype=np.float64)
        better, d, w = self._pairs(t, f)
        s = np.where(better, w[:, None] * expit(-d), 0.0)  # the pair's weight is its better row's
        return s.T.sum(axis=1) - s.sum(axis=1)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        f = np.asarray(f, dtype=np.float64)
        better, d, w = self._pairs(t, f)
        h = np.where(better, w[:, None] * expit(d) * expit(-d), 0.0)
        return h.sum(axis=1) + h.T.sum(axis=1)


class PlainRecipe(PlainPairwise):
    """The pairwise loss declared as a gradient recipe (to test that the solver refuses it)."""

    name = "test_plain_recipe"
    INFO = dataclasses.replace(PlainPairwise.INFO, gradient=GradientKind.RECIPE)


class PlainOrdinal(Loss):
    """The cumulative logit: P(y ≤ j | η) = σ(θⱼ − η), ℓ = −log(σ(θ_y − η) − σ(θ_{y−1} − η))."""

    name = "test_plain_ordinal"
    target_type = Ordinal
    INFO = LossInfo(
        task=Task.ORDINAL, statistic=Statistic.CLASS_PROBABILITIES, y_true="ordered levels", y_pred=REAL,
        convex=True, smooth=True, robust=False, hessian=HessianKind.EXACT,
    )  # fmt: skip
    thresholds: tuple[float, ...] = ()  # unfitted: fit_thresholds sets them

    @property
    def n_levels(self) -> int | None:
        return len(self.thresholds) + 1 if self.thresholds else None

    def _cuts(self, t: Any, f: Any) -> tuple[np.ndarray, np.ndarray]:
        th = np.r_[-np.inf, np.asarray(self.thresholds, dtype=np.float64), np.inf]
        y = np.asarray(t.label)
        f = np.asarray(f, dtype=np.float64)
        return th[y + 1] - f, th[y] - f

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        a, b = self._cuts(t, f)
        return -np.log(expit(a) - expit(b))

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        a, b = self._cuts(t, f)
        p = expit(a) - expit(b)
        return (expit(a) * expit(-a) - expit(b) * expit(-b)) / p

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        a, b = self._cuts(t, f)
        p = expit(a) - expit(b)
        d1 = expit(a) * expit(-a) - expit(b) * expit(-b)
        d2 = expit(a) * expit(-a) * (1 - 2 * expit(a)) - expit(b) * expit(-b) * (1 - 2 * expit(b))
        return -d2 / p + (d1 / p) ** 2

    def probabilities(self, eta: Any) -> np.ndarray:
        th = np.asarray(self.thresholds, dtype=np.float64)
        cum = expit(th[None, :] - np.asarray(eta, dtype=np.float64)[:, None])
        return np.diff(np.c_[np.zeros(len(cum)), cum, np.ones(len(cum))], axis=1)

    def fit_thresholds(self, y: Any, eta: Any, sample_weight: Any = None) -> PlainOrdinal:
        y = y if isinstance(y, Ordinal) else Ordinal(np.asarray(y), levels=self.n_levels)
        k = y.n_levels or int(np.max(y.label)) + 1
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        eta = np.asarray(eta, dtype=np.float64)

        def at(u: np.ndarray) -> PlainOrdinal:  # increasing thresholds from free parameters
            out = PlainOrdinal()
            object.__setattr__(out, "thresholds", tuple(np.cumsum(np.r_[u[0], np.exp(u[1:])])))
            return out

        def nll(u: np.ndarray) -> float:
            return float(at(u)(y, eta, sample_weight=w, check=False))

        return at(minimize(nll, np.r_[-1.0, np.zeros(k - 2)], method="BFGS").x)


@contextlib.contextmanager
def registered() -> Iterator[None]:
    """The plain losses registered for the duration of the block."""
    classes = (PlainCox, PlainAFT, PlainTobit, PlainPairwise, PlainRecipe, PlainOrdinal)
    for cls in classes:
        registry.register(cls)
    try:
        yield
    finally:
        for cls in classes:
            registry._unregister(cls.name)
