r"""Survival and censored targets: Cox's partial likelihood, accelerated failure time, Tobit.

- `Cox` (``survival:cox``): negative log partial likelihood (Breslow ties) of a `Survival`
  target; rows are coupled through their risk sets. `breslow` gives the baseline hazard and
  the survival curves S(t | x) the fitted scores imply.
- `AFT` (``survival:aft``): log T = y_pred + σZ with Z normal, logistic or extreme-value;
  a `Bounds` target on the time scale (exact, left, right or interval censored).
- `Tobit`: y = y_pred + σZ with Z normal on y's own scale, observed through `Bounds` (a capped
  target); the predicted statistic is the latent mean.

AFT and Tobit share one censored negative log-likelihood (`_censored_nll`): for standardised
bounds z_l ≤ z_u it is −log(F(z_u) − F(z_l)), formed in log space from the side of the
distribution where the probability is small (so neither tail cancels), with the gradient and
Hessian from hazard ratios that are exact in the tails (a continued fraction for the normal's
Mills ratio).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core import Interval, Loss, LossInfo, Param, ParameterError, register
from .._core import special as sp
from .._core.domains import RAW_SCORE, REAL, Domain, DomainKind
from .._core.errors import DomainError
from .._core.info import Anchor, AnchorRow, HessianKind, Library, ParamRole, Task
from .._core.statistic import Statistic
from .._core.targets import Bounds, Survival
from .._core.xp import to_numpy
from ..links import IDENTITY

__all__ = ["AFT", "BreslowBaseline", "Cox", "Tobit", "breslow", "tobit_sigma"]

POSITIVE = Interval(0.0, math.inf, False, False)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
#: the normal's hazard ratio φ/Q − z by Laplace's continued fraction from z = 3 on (64 levels:
#: converged to the last bit there), directly below (no cancellation for z < 3)
_CF_FROM, _CF_DEPTH = 3.0, 64


# -- the three error distributions ------------------------------------------------------------
# Each gives, for standardised z: log f, log F, log S = log(1 − F), ψ = (log f)′, ψ′, the hazard
# ρ⁺ = f/S with e⁺ = ρ⁺ + ψ, and the reversed hazard ρ⁻ = f/F with e⁻ = ρ⁻ − ψ; e± are formed
# without the cancellation of ρ and ψ in the tails (the Hessians of the censored rows are ρe).
class _Normal:
    name = "normal"

    @staticmethod
    def logpdf(xp: Any, z: Any) -> Any:
        return -0.5 * (z * z) - _LOG_SQRT_2PI

    @staticmethod
    def logcdf(xp: Any, z: Any) -> Any:
        return sp.log_ndtr(xp, z)

    @staticmethod
    def logsf(xp: Any, z: Any) -> Any:
        return sp.log_ndtr(xp, -z)

    @staticmethod
    def psi(xp: Any, z: Any) -> Any:
        return -z

    @staticmethod
    def dpsi(xp: Any, z: Any) -> Any:
        return -xp.ones_like(z)

    @classmethod
    def hazard(cls, xp: Any, z: Any) -> tuple[Any, Any]:
        far = z >= _CF_FROM
        zf = xp.where(far, z, xp.full_like(z, _CF_FROM))
        c = zf
        for k in range(_CF_DEPTH, 1, -1):
            c = zf + k / c
        e_far = 1.0 / c  # φ/Q − z = 1/(z + 2/(z + 3/(z + …)))
        zn = xp.where(far, xp.zeros_like(z), z)
        rho_near = xp.exp(cls.logpdf(xp, zn) - cls.logsf(xp, zn))
        rho = xp.where(far, z + e_far, rho_near)
        return rho, xp.where(far, e_far, rho_near - zn)

    @classmethod
    def rev_hazard(cls, xp: Any, z: Any) -> tuple[Any, Any]:
        return cls.hazard(xp, -z)  # φ/Φ at z is φ/Q at −z


class _Logistic:
    name = "logistic"

    @staticmethod
    def logpdf(xp: Any, z: Any) -> Any:
        return -sp.softplus(xp, z) - sp.softplus(xp, -z)

    @staticmethod
    def logcdf(xp: Any, z: Any) -> Any:
        return sp.log_sigmoid(xp, z)

    @staticmethod
    def logsf(xp: Any, z: Any) -> Any:
        return sp.log_sigmoid(xp, -z)

    @staticmethod
    def psi(xp: Any, z: Any) -> Any:
        return -xp.tanh(0.5 * z)

    @staticmethod
    def dpsi(xp: Any, z: Any) -> Any:
        return -2.0 * sp.sigmoid_pair_product(xp, z)

    @staticmethod
    def hazard(xp: Any, z: Any) -> tuple[Any, Any]:
        return sp.sigmoid(xp, z), sp.sigmoid(xp, -z)

    @staticmethod
    def rev_hazard(xp: Any, z: Any) -> tuple[Any, Any]:
        return sp.sigmoid(xp, -z), sp.sigmoid(xp, z)


#: 1/k! − 1/(k+1)! … as (k − 1)/k! for k = 2 … 18: 1 + eˣ(x − 1) = Σ (k − 1)xᵏ/k! for x < ½
_G_SERIES = tuple((k - 1) / math.factorial(k) for k in range(2, 19))


class _Extreme:
    """The minimum extreme-value (Gumbel) law XGBoost's ``extreme`` is: F(z) = 1 − exp(−eᶻ)."""

    name = "extreme"

    @staticmethod
    def logpdf(xp: Any, z: Any) -> Any:
        return z - xp.exp(z)

    @staticmethod
    def logcdf(xp: Any, z: Any) -> Any:
        # log(1 − e^{−x}), x = eᶻ; for z < −20 as z + log1p(−x/2 + x²/6) (next term x³/24 is
        # below 1e-27), which stays finite where x underflows to 0
        low = z < -20.0
        zl = xp.where(low, z, xp.zeros_like(z))
        xl = xp.exp(zl)
        zh = xp.where(low, xp.zeros_like(z), z)
        return xp.where(low, zl + xp.log1p(xl * (xl / 6.0 - 0.5)), sp.log1mexp(xp, -xp.exp(zh)))

    @staticmethod
    def logsf(xp: Any, z: Any) -> Any:
        return -xp.exp(z)

    @staticmethod
    def psi(xp: Any, z: Any) -> Any:
        return -xp.expm1(z)

    @staticmethod
    def dpsi(xp: Any, z: Any) -> Any:
        return -xp.exp(z)

    @staticmethod
    def hazard(xp: Any, z: Any) -> tuple[Any, Any]:
        return xp.exp(z), xp.ones_like(z)

    @staticmethod
    def rev_hazard(xp: Any, z: Any) -> tuple[Any, Any]:
        # x = eᶻ: ρ⁻ = x/(eˣ − 1), e⁻ = (1 + eˣ(x − 1))/(eˣ − 1); for x > 1 divided through by eˣ
        x = xp.exp(z)
        big = x > 1.0
        xb = xp.where(big, x, xp.full_like(x, 2.0))
        xs = xp.where(big, xp.full_like(x, 0.5), x)
        den_b = -xp.expm1(-xb)
        rho_b = xp.exp(xp.where(big, z, xp.zeros_like(z)) - xb) / den_b  # x e^{−x}: 0, not inf·0
        e_b = ((xb - 1.0) + xp.exp(-xb)) / den_b
        den_s = xp.expm1(xs)
        zero_x = xs == 0.0  # eᶻ underflowed: x/(eˣ − 1) → 1
        ratio = xs / xp.where(zero_x, xp.ones_like(xs), den_s)
        ratio = xp.where(zero_x, xp.ones_like(xs), ratio)
        tiny = xs < 0.5
        xt = xp.where(tiny, xs, xp.zeros_like(xs))
        acc = xp.zeros_like(xs)
        for c in reversed(_G_SERIES):
            acc = acc * xt + c
        e_s = xp.where(
            tiny, acc * xt * ratio, (1.0 + xp.exp(xs) * (xs - 1.0)) / xp.where(tiny, xp.ones_like(xs), den_s)
        )
        return xp.where(big, rho_b, ratio), xp.where(big, e_b, e_s)


DISTRIBUTIONS = {d.name: d for d in (_Normal, _Logistic, _Extreme)}


def _mul0(xp: Any, a: Any, b: Any) -> Any:
    """a·b with 0·b = 0 also for b = inf (a hazard that underflowed times an excess that did
    not: the product is 0 to float64's range)."""
    return xp.where(a == 0.0, xp.zeros_like(a), a * b)


def _censored_nll(xp: Any, dist: Any, zl: Any, zu: Any, exact: Any, want: str) -> tuple[Any, ...]:
    r"""The censored negative log-likelihood of standardised bounds and its derivatives.

    Per row, with z_l ≤ z_u (z_l = −inf: left censored, z_u = +inf: right censored) or an
    exact row (``exact``, z = z_l): ``"v"`` gives −log(F(z_u) − F(z_l)) or −log f(z);
    ``"g"`` ĝ = ∂/∂μ and ``"h"`` ĥ = ∂²/∂μ² for z = (y − μ)·1 (the caller divides by σ, σ²).

    Interval rows take the side where the probability is small: with p = F(z_l)/F(z_u),
    P = F(z_u)(1 − p) when F(z_u) ≤ S(z_l), else P = S(z_l)(1 − q), q = S(z_u)/S(z_l), each
    ``log1mexp`` of a log ratio; r_u = f(z_u)/P and r_l = f(z_l)/P follow from the (reversed)
    hazards, ĝ = r_u − r_l and ĥ = (r_u − r_l)² − r_uψ_u + r_lψ_l, regrouped (side A) as
    r_u e⁻_u − r_l e⁻_l + p(ρ⁻_u − ρ⁻_l)²/(1 − p)², with ρ⁻ = f/F and e⁻ = ρ⁻ − ψ formed
    without cancellation (side B mirrors it with ρ⁺ = f/S, e⁺ = ρ⁺ + ψ), so that no two large
    terms cancel in the tails.
    """
    left = xp.isinf(zl) & ~exact
    right = xp.isinf(zu) & ~exact
    both = left & right  # no information: P = 1
    interval = ~(left | right | exact)
    zero, one = xp.zeros_like(zl), xp.ones_like(zl)
    z_x = xp.where(exact, zl, zero)
    zu_s = xp.where(right | exact, zero, zu)  # finite upper bounds (left and interval rows)
    zl_s = xp.where(left | exact, zero, zl)  # finite lower bounds (right and interval rows)
    zl_i = xp.where(interval, zl, -one)
    zu_i = xp.where(interval, zu, one)
    lF_u, lS_l = dist.logcdf(xp, zu_i), dist.logsf(xp, zl_i)
    side_a = lF_u <= lS_l  # the probability sits in the lower tail: form it from F
    base = xp.where(side_a, lF_u, lS_l)
    la = xp.where(side_a, dist.logcdf(xp, zl_i) - lF_u, dist.logsf(xp, zu_i) - lS_l)
    # the whole interval beyond float64's tail (the extreme law's e^z overflowed): P = 0 there
    gone = xp.isinf(base)
    la = xp.where(gone, xp.full_like(la, -math.inf), la)
    l1m = sp.log1mexp(xp, la)
    out: list[Any] = []
    if "v" in want:
        v_int = xp.where(side_a, lF_u, lS_l) + l1m
        v = xp.where(exact, dist.logpdf(xp, z_x), xp.where(left, dist.logcdf(xp, zu_s), dist.logsf(xp, zl_s)))
        v = xp.where(interval, v_int, v)
        out.append(-xp.where(both, zero, v))
    if "g" in want or "h" in want:
        rho_m, e_m = dist.rev_hazard(xp, xp.where(interval, zu_i, zu_s))  # at z_u
        rho_p, e_p = dist.hazard(xp, xp.where(interval, zl_i, zl_s))  # at z_l
        odds = xp.exp(la - l1m)  # p/(1 − p) or q/(1 − q)
        # interval rows: side A has r_u = ρ⁻_u(1 + odds), r_l = ρ⁻_l·odds; side B mirrors it
        rho_m_l, e_m_l = dist.rev_hazard(xp, zl_i)
        rho_p_u, e_p_u = dist.hazard(xp, zu_i)
        none = odds == 0.0  # the far bound adds nothing (also where its hazard overflowed)
        r_u = xp.where(side_a, rho_m * (1.0 + odds), xp.where(none, zero, rho_p_u * odds))
        r_l = xp.where(side_a, xp.where(none, zero, rho_m_l * odds), rho_p * (1.0 + odds))
        g_int = r_u - r_l
        g = xp.where(exact, dist.psi(xp, z_x), xp.where(left, rho_m, -rho_p))
        g = xp.where(interval, g_int, xp.where(both, zero, g))
        if "g" in want:
            out.append(g)
        if "h" in want:
            # side A: ĥ = r_u e⁻_u − r_l e⁻_l + odds(1 + odds)(ρ⁻_u − ρ⁻_l)², side B its mirror:
            # (r_u − r_l)² − r_uψ_u + r_lψ_l regrouped so that no two O(r²) terms cancel
            d_a, d_b = rho_m - rho_m_l, rho_p - rho_p_u
            d = xp.where(side_a, d_a, d_b)
            spread = xp.where(none, zero, (odds * d) * ((1.0 + odds) * d))
            far_a = xp.where(none, zero, _mul0(xp, r_l, e_m_l))
            far_b = xp.where(none, zero, _mul0(xp, r_u, e_p_u))
            h_int = xp.where(side_a, _mul0(xp, r_u, e_m) - far_a, _mul0(xp, r_l, e_p) - far_b) + spread
            h = xp.where(
                exact, -dist.dpsi(xp, z_x), xp.where(left, _mul0(xp, rho_m, e_m), _mul0(xp, rho_p, e_p))
            )
            h = xp.where(interval, h_int, xp.where(both, zero, h))
            out.append(h)
    return tuple(out)


# -- Cox ---------------------------------------------------------------------------------------
def _risk_order(xp: Any, time: Any) -> tuple[Any, Any, Any, Any]:
    """(descending order, index in it of each row's risk-set end, ascending order, index in it
    of the last row with time ≤ each row's time): sorted once, ties resolved to the group end.
    Written in ``xp`` (argsort, searchsorted) so that it also runs under a JAX trace."""
    desc = xp.argsort(-time, stable=True)
    neg_td = -xp.take(time, desc)  # ascending
    # the risk set {j : t_j ≥ t_i} ends at the last position of i's tie group in descending order
    end_desc = xp.searchsorted(neg_td, -time, side="right") - 1
    asc = xp.flip(desc)
    end_asc = xp.searchsorted(xp.take(time, asc), time, side="right") - 1
    return desc, end_desc, asc, end_asc


@register
class Cox(Loss):
    r"""Cox proportional hazards: negative log partial likelihood with Breslow's ties.

    Target `Survival` (time tᵢ > 0, event δᵢ ∈ {0, 1}), raw score fᵢ = log relative hazard,
    weights wᵢ (1 if none). Per row, with the weighted risk sum Rᵢ = Σ_{j: tⱼ ≥ tᵢ} wⱼ e^{fⱼ}:

    .. math::

        \ell_i = \delta_i\,(\log R_i - f_i),\qquad
        \frac{\partial \sum_i w_i\ell_i}{\partial f_k} = w_k e^{f_k} A_k - w_k\delta_k,\qquad
        \frac{\partial^2 \sum_i w_i\ell_i}{\partial f_k^2} = w_k e^{f_k} A_k - w_k^2 e^{2f_k} B_k,

    with A_k = Σ_{i: tᵢ ≤ t_k} wᵢδᵢ/Rᵢ and B_k = Σ_{i: tᵢ ≤ t_k} wᵢδᵢ/Rᵢ². The loss is
    *coupled*: values are a per-row decomposition of the total Σwᵢℓᵢ, and gradient and Hessian
    (its diagonal) are those of the weighted total (`losslab.targets`). Ties share one risk
    set (Breslow). O(n log n): one sort by time, then running log-sum-exps in log space
    (log Rᵢ, log A_k, log B_k), so no e^{f} is formed where it would overflow. Where one row
    dominates a risk set (its share p = w e^{f}/R ≈ 1), p(1 − p) in its Hessian and 1 − p in
    its gradient are formed as differences and keep absolute, not relative, precision (as
    XGBoost's do); values, and every other row's derivatives, keep relative precision.

    Convex in f; invariant to adding a constant to every score (the baseline is 0). Without
    weights and ties, value, gradient and Hessian are XGBoost's ``survival:cox`` (its label is
    the time, negative where censored); XGBoost multiplies each row's gradient by its weight
    but leaves the weights out of the risk sums, and handles ties in row order.
    `breslow` turns fitted scores into survival curves.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Survival
    >>> cox = losslab.get("survival:cox")
    >>> t = Survival([1.0, 2.0, 3.0], [1, 0, 1])
    >>> f = np.zeros(3)
    >>> cox(t, f, reduction="none").round(12).tolist()  # [log 3, 0, log 1]
    [1.098612288668, 0.0, 0.0]
    >>> cox.gradient(t, f).round(12).tolist()  # [1/3 − 1, 1/3, 1/3 + 1 − 1]
    [-0.666666666667, 0.333333333333, 0.333333333333]
    """

    name = "cox"
    aliases = ("survival:cox", "coxph", "cox_ph")
    link = IDENTITY
    target_type = Survival
    coupled = True
    INFO = LossInfo(
        task=Task.SURVIVAL,
        statistic=Statistic.UNSPECIFIED,
        y_true=Domain(
            DomainKind.STRUCTURED,
            POSITIVE,
            note="(a Survival target: time > 0, event 0 or 1)",
            shape="Survival(time, event)",
        ),
        y_pred=RAW_SCORE,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        anchors=(
            AnchorRow(
                "δᵢ(log Σ_{tⱼ ≥ tᵢ} wⱼe^{fⱼ} − fᵢ), Breslow ties; derivatives of Σwℓ (coupled rows)",
                (
                    Anchor(
                        Library.SKLEARN,
                        None,
                        "— (scikit-survival `CoxPHSurvivalAnalysis(ties='breslow')`: the same partial "
                        "likelihood; XGBoost `survival:cox`)",
                    ),
                ),
            ),
        ),
        references=(
            "Cox, D. R. (1972). Regression models and life-tables. JRSS B 34(2), 187-220.",
            "Breslow, N. (1974). Covariance analysis of censored survival data. Biometrics 30(1), 89-99.",
            "XGBoost objective survival:cox (src/objective/regression_obj.cu, CoxRegression).",
        ),
    )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        rng = np.random.default_rng(seed)
        f = rng.normal(0.0, 1.0, n)
        time = rng.exponential(np.exp(-f)) + 1e-3
        event = (rng.random(n) < 0.7).astype(np.int64)
        event[0] = 1
        return Survival(time, event), f + rng.normal(0.0, 0.3, n)

    # the pieces, shared by value, gradient and Hessian
    def _log_risk(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any, Any]:
        """(log wᵢ + fᵢ, log Rᵢ, the orders) — log R by a running log-sum-exp over time, descending."""
        order = _risk_order(xp, t.time)
        desc, end_desc = order[0], order[1]
        lw = None if t.weight is None else xp.log(t.weight)
        a = f if lw is None else f + lw
        cum = sp.cumlogsumexp(xp, xp.take(a, desc))
        log_r = xp.take(cum, end_desc)
        return a, log_r, order

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        _, log_r, _ = self._log_risk(xp, t, f)
        event = xp.astype(xp.asarray(t.event), f.dtype)
        # R = 0 only for a zero-weight row whose risk set weighs nothing: it contributes 0
        some = xp.isfinite(log_r)
        return event * xp.where(some, log_r - xp.where(some, f, log_r), xp.zeros_like(f))

    def _parts(self, xp: Any, t: Any, f: Any, hessian: bool) -> tuple[Any, Any, Any, Any]:
        a, log_r, order = self._log_risk(xp, t, f)
        _, _, asc, end_asc = order
        dw = xp.astype(xp.asarray(t.event), f.dtype)
        if t.weight is not None:
            dw = dw * t.weight
        # log(wᵢδᵢ) is −inf for censored rows: they add nothing to A and B
        log_dw = xp.where(dw > 0, xp.log(xp.where(dw > 0, dw, xp.ones_like(dw))), xp.full_like(dw, -math.inf))
        idx_asc, idx_end = asc, end_asc
        # rows with wδ = 0 add nothing (their R may be 0 too: −inf − (−inf) must not be formed)
        minus_inf = xp.full_like(dw, -math.inf)
        log_r = xp.where(dw > 0, log_r, xp.zeros_like(log_r))
        log_a = xp.take(
            sp.cumlogsumexp(xp, xp.take(xp.where(dw > 0, log_dw - log_r, minus_inf), idx_asc)), idx_end
        )
        p = xp.exp(a + log_a)  # w_k e^{f_k} A_k (0 where A_k is empty: e^{−inf})
        q = None
        if hessian:
            log_b = xp.take(
                sp.cumlogsumexp(xp, xp.take(xp.where(dw > 0, log_dw - 2.0 * log_r, minus_inf), idx_asc)),
                idx_end,
            )
            q = xp.exp(2.0 * a + log_b)
        return p, q, dw, a

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        p, _, dw, _ = self._parts(xp, t, f, False)
        return p - dw

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        p, q, _, _ = self._parts(xp, t, f, True)
        return p - q

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        p, q, dw, _ = self._parts(xp, t, f, True)
        return p - dw, p - q

    def survival_function(
        self, y_train: Any, f_train: Any, f: Any, times: Any, sample_weight: Any = None
    ) -> np.ndarray:
        r"""S(t | x) = exp(−H₀(t)·e^{f(x)}) at ``times`` for the scores ``f``, with Breslow's
        baseline H₀ from the training targets and scores (`breslow`); shape (len(f), len(times)).

        >>> import numpy as np
        >>> from losslab.targets import Survival
        >>> Cox().survival_function(Survival([1.0, 2.0], [1, 1]), np.zeros(2), [0.0], [1.5]).round(6)
        array([[0.606531]])
        """
        return breslow(y_train, f_train, sample_weight).survival(f, times)


@dataclass(frozen=True)
class BreslowBaseline:
    r"""Breslow's cumulative baseline hazard H₀ of a Cox model, a step function of time.

    Attributes
    ----------
    time : ndarray
        The distinct event times, ascending.
    cumulative_hazard : ndarray
        H₀ at those times (right-continuous steps; 0 before the first).
    """

    time: np.ndarray
    cumulative_hazard: np.ndarray

    def hazard_at(self, times: Any) -> np.ndarray:
        """H₀(t) at ``times``: the sum of the steps at event times ≤ t."""
        times = np.asarray(times, dtype=np.float64)
        k = np.searchsorted(self.time, times, side="right")
        return np.concatenate([[0.0], self.cumulative_hazard])[k]

    def survival(self, scores: Any, times: Any = None) -> np.ndarray:
        r"""S(t | x) = exp(−H₀(t)·e^{f(x)}) for each score (rows) at each time (columns;
        default: the event times), formed as exp(−exp(log H₀ + f)) so e^{f} never overflows.

        Returns an array of shape (len(scores), len(times)).
        """
        f = np.asarray(to_numpy(scores), dtype=np.float64).reshape(-1, 1)
        h = self.hazard_at(self.time if times is None else times).reshape(1, -1)
        with np.errstate(divide="ignore"):
            return np.exp(-np.exp(np.log(h) + f))


def breslow(y_true: Any, scores: Any, sample_weight: Any = None) -> BreslowBaseline:
    r"""Breslow's estimator of the cumulative baseline hazard of a fitted Cox model.

    From the training targets (tᵢ, δᵢ), weights wᵢ and fitted scores fᵢ (log relative hazards):

    .. math::

        H_0(t) = \sum_{s \le t} \frac{d_s}{\sum_{j:\, t_j \ge s} w_j e^{f_j}},\qquad
        S(t \mid x) = \exp\!\bigl(-H_0(t)\, e^{f(x)}\bigr),

    where s runs over the distinct event times and d_s = Σ_{i: tᵢ = s} wᵢδᵢ is the weighted
    number of events at s. The denominators are formed in log space (a running log-sum-exp),
    so large scores do not overflow. It is the baseline that goes with the `Cox` loss's
    weighted Breslow likelihood (scikit-survival's ``BreslowEstimator`` without weights).

    Parameters
    ----------
    y_true : Survival or array-like
        Training targets (a `Survival`, an (n, 2) array [time, event] or scikit-survival's
        structured array).
    scores : array-like, shape (n,)
        The fitted raw scores f of the same rows.
    sample_weight : array-like, optional

    Returns
    -------
    BreslowBaseline
        ``.time``, ``.cumulative_hazard``; ``.survival(scores, times)`` gives S(t | x).

    Examples
    --------
    >>> import numpy as np
    >>> from losslab.targets import Survival
    >>> b = breslow(Survival([1.0, 2.0, 2.0, 3.0], [1, 1, 0, 1]), np.zeros(4))
    >>> b.time.tolist(), b.cumulative_hazard.round(12).tolist()  # 1/4, + 1/3, + 1/1
    ([1.0, 2.0, 3.0], [0.25, 0.583333333333, 1.583333333333])
    >>> b.survival([0.0, np.log(2.0)], [2.0]).round(6).tolist()
    [[0.558035], [0.311403]]
    """
    cox = Cox()
    t = Survival.coerce(cox, y_true).normalised("cox")
    t.check("cox")
    f = np.asarray(to_numpy(scores), dtype=np.float64)
    if f.shape != (len(t),):
        raise DomainError(f"scores for breslow must have shape ({len(t)},), one per row; got {f.shape}.")
    w = np.ones(len(t)) if sample_weight is None else np.asarray(to_numpy(sample_weight), dtype=np.float64)
    time, event = np.asarray(t.time, dtype=np.float64), np.asarray(t.event)
    with np.errstate(divide="ignore"):
        _, log_r, _ = cox._log_risk(np, Survival(time, event, weight=w), f)
    ev = (event == 1) & (w > 0)
    if not ev.any():
        raise DomainError("breslow needs at least one observed event (event = 1 with weight > 0).")
    uniq = np.unique(time[ev])
    # one step per distinct event time: d_s / R_s (every row tied at s has the same log R)
    pos = np.searchsorted(uniq, time[ev])
    d = np.bincount(pos, weights=w[ev], minlength=uniq.size)
    first = np.zeros(uniq.size, dtype=np.int64)
    first[pos] = np.flatnonzero(ev)
    return BreslowBaseline(uniq, np.cumsum(np.exp(np.log(d) - log_r[first])))


# -- AFT and Tobit -----------------------------------------------------------------------------
class _Censored(Loss):
    """What AFT and Tobit share: standardised bounds, then `_censored_nll`."""

    target_type = Bounds
    link = IDENTITY

    def _dist(self) -> Any:
        return _Normal

    def _sigma(self) -> float:
        return float(self.sigma)

    def _bounds(self, xp: Any, t: Any) -> tuple[Any, Any, Any]:
        """(lower, upper, exact) on the scale of y_pred (log times for AFT)."""
        return t.lower, t.upper, t.lower == t.upper

    def _constant(self, xp: Any, t: Any, lo: Any) -> Any:
        """The term an exact row adds to −log f(z): log σ (+ log t for AFT)."""
        return xp.full_like(lo, math.log(self._sigma()))

    def _z(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any, Any, Any]:
        lo, hi, exact = self._bounds(xp, t)
        s = self._sigma()
        # −inf − f and inf − f stay infinite; exact rows use the lower bound
        return (lo - f) / s, (hi - f) / s, exact, lo

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        zl, zu, exact, lo = self._z(xp, t, f)
        (v,) = _censored_nll(xp, self._dist(), zl, zu, exact, "v")
        lo_x = xp.where(exact, lo, xp.ones_like(lo))
        return v + xp.where(exact, self._constant(xp, t, lo_x), xp.zeros_like(v))

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        zl, zu, exact, _ = self._z(xp, t, f)
        (g,) = _censored_nll(xp, self._dist(), zl, zu, exact, "g")
        return g / self._sigma()

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        zl, zu, exact, _ = self._z(xp, t, f)
        (h,) = _censored_nll(xp, self._dist(), zl, zu, exact, "h")
        s = self._sigma()
        return h / (s * s)

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        zl, zu, exact, _ = self._z(xp, t, f)
        g, h = _censored_nll(xp, self._dist(), zl, zu, exact, "gh")
        s = self._sigma()
        return g / s, h / (s * s)


_DIST_PARAM = Param(
    "distribution",
    "normal",
    "the law of the error Z in log T = y_pred + σZ (XGBoost's aft_loss_distribution)",
    kind="choice",
    choices=("normal", "logistic", "extreme"),
)


@register
class AFT(_Censored):
    r"""Accelerated failure time: log T = y_pred + σZ, negative log-likelihood of censored times.

    Target `Bounds` on the time scale: exact rows (lower = upper = t > 0), right censored
    (upper = +inf), left censored (lower = 0), interval censored otherwise; a `Survival` target
    converts (censored rows are right censored). y_pred = predicted log time; Z is ``normal``,
    ``logistic`` or ``extreme`` (minimum extreme value, F(z) = 1 − exp(−eᶻ)), σ = ``sigma``.
    With z = (log t − y_pred)/σ:

    .. math::

        \ell = \begin{cases}
            -\log f(z) + \log(\sigma t) & \text{exact (the density of } T\text{)}\\
            -\log\bigl(F(z_u) - F(z_l)\bigr) & \text{censored to } [t_l, t_u]
        \end{cases},\qquad
        \frac{\partial\ell}{\partial y_{pred}} = \frac{\psi(z)}{\sigma}\ \text{or}\
        \frac{r_u - r_l}{\sigma},

    ψ = (log f)′, r = f(z)/(F(z_u) − F(z_l)) at each bound; the Hessian is −ψ′(z)/σ² or
    ((r_u − r_l)² − r_uψ(z_u) + r_lψ(z_l))/σ². Normal: ψ = −z; logistic: ψ = −tanh(z/2);
    extreme: ψ = 1 − eᶻ.

    **Exactness.** The interval probability is formed in log space from the tail where it is
    small (log F(z_u) + log(1 − F(z_l)/F(z_u)), or the survival-side analogue), the normal's
    log Φ by ``log_ndtr``; censored rows' Hessians are hazard × excess products (the normal's
    φ/Q − z by Laplace's continued fraction) — exact in float64 from the optimum to |z| = 1e3.
    An interval much narrower than the spread of the distribution where it lies loses digits in
    its Hessian (a difference of nearly equal hazard ratios); its value and gradient keep them.

    **Convex** in y_pred for all three laws (their densities are log-concave, so each interval
    probability is log-concave in the location). **XGBoost** (``survival:aft``,
    ``aft_loss_distribution``, ``aft_loss_distribution_scale``): the same value (it includes
    log(σt) for exact rows), gradient and Hessian, except that XGBoost clips the gradient to
    [−15, 15], the Hessian to [1e-16, 15] and the probability below at 1e-12 — losslab does not.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Bounds
    >>> aft = losslab.get("survival:aft", distribution="normal", sigma=1.0)
    >>> y = Bounds([1.0, 2.0, 0.0], [1.0, np.inf, 3.0])  # exact, right, left censored
    >>> aft(y, np.zeros(3), reduction="none").round(12).tolist()
    [0.918938533205, 1.410142088006, 0.14614617709]
    """

    name = "aft"
    aliases = ("survival:aft",)
    PARAMS = (
        _DIST_PARAM,
        Param("sigma", 1.0, "scale σ of the error in log time", interval=POSITIVE),
    )
    INFO = LossInfo(
        task=Task.SURVIVAL,
        statistic=Statistic.UNSPECIFIED,
        y_true=Domain(
            DomainKind.STRUCTURED,
            Interval(0.0, math.inf, True, False),
            note="(Bounds on times: 0 <= lower <= upper <= inf, upper > 0)",
            shape="Bounds(lower, upper)",
        ),
        y_pred=RAW_SCORE,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        roles=((ParamRole.SCALE, "sigma"),),
        anchors=(
            AnchorRow(
                "−log f(z) + log(σt) exact, −log(F(z_u) − F(z_l)) censored, z = (log t − f)/σ",
                (Anchor(Library.SKLEARN, None, "— (XGBoost `survival:aft`: the same, clipped derivatives)"),),
                params="(distribution, σ)",
            ),
        ),
        references=(
            "Kalbfleisch, J. D. & Prentice, R. L. (2002). The Statistical Analysis of Failure Time "
            "Data, 2nd ed., ch. 2-3. Wiley.",
            "Barnwal, A., Cho, H. & Hocking, T. (2022). Survival regression with accelerated failure "
            "time model in XGBoost. JCGS 31(4). arXiv:2006.04920.",
        ),
    )

    def _dist(self) -> Any:
        return DISTRIBUTIONS[self.distribution]

    def _check_target(self, t: Any) -> None:
        lo, hi = np.asarray(t.lower), np.asarray(t.upper)
        bad = lo < 0
        if bad.any():
            i = int(np.argmax(bad))
            raise DomainError(
                f"Bounds.lower for loss {self.name!r} must be a time >= 0 (0: left censored); got "
                f"{lo[i]!r} at row {i} ({int(bad.sum())} rows out of range)."
            )
        bad = hi <= 0
        if bad.any():
            i = int(np.argmax(bad))
            raise DomainError(
                f"Bounds.upper for loss {self.name!r} must be a time > 0; got {hi[i]!r} at row {i} "
                f"({int(bad.sum())} rows out of range)."
            )

    def _z(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any, Any, Any]:
        # z = (log t − f)/σ with log t − f from `log_ratio` (exact next to the optimum, where
        # f − fl(log t) would be off by an ulp of log t)
        s = self._sigma()
        exact = t.lower == t.upper
        pos = t.lower > 0
        fin = xp.isfinite(t.upper)
        one = xp.ones_like(f)
        log_lo, d_lo = sp.log_ratio(xp, f, xp.where(pos, t.lower, one))
        _, d_hi = sp.log_ratio(xp, f, xp.where(fin, t.upper, one))
        zl = xp.where(pos, -d_lo / s, xp.full_like(f, -math.inf))
        zu = xp.where(fin, -d_hi / s, xp.full_like(f, math.inf))
        return zl, zu, exact, xp.where(pos, log_lo, xp.zeros_like(f))

    def _constant(self, xp: Any, t: Any, lo: Any) -> Any:
        return lo + math.log(self._sigma())  # log(σt), lo = log t

    def survival_function(
        self, y_train: Any, f_train: Any, f: Any, times: Any, sample_weight: Any = None
    ) -> np.ndarray:
        r"""S(t | x) = 1 − F((log t − f(x))/σ) at ``times`` (> 0) for the scores ``f``, in closed
        form (the training rows are not needed; the signature is the one survival estimators
        call); shape (len(f), len(times)). Computed as exp(log S) from the log survival function.

        >>> import numpy as np
        >>> AFT(distribution="logistic").survival_function(None, None, [0.0], [1.0, np.e]).round(6)
        array([[0.5     , 0.268941]])
        """
        f = np.asarray(to_numpy(f), dtype=np.float64).reshape(-1, 1)
        t = np.asarray(to_numpy(times), dtype=np.float64).reshape(1, -1)
        if np.any(t <= 0):
            raise DomainError(f"times for loss {self.name!r} must be > 0; got {float(t.min())!r}.")
        z = (np.log(t) - f) / self._sigma()
        return np.exp(np.asarray(self._dist().logsf(np, z), dtype=np.float64))

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        rng = np.random.default_rng(seed)
        f = rng.normal(1.0, 0.7, n)
        time = np.exp(f + 0.5 * rng.normal(size=n))
        kind = rng.integers(0, 4, n)
        kind[: min(n, 4)] = np.arange(min(n, 4))
        lower = np.where(kind == 2, 0.0, np.where(kind == 3, 0.5 * time, time))
        upper = np.where(kind == 1, np.inf, np.where(kind == 3, 2.0 * time, time))
        return Bounds(lower, upper), f + rng.normal(0.0, 0.3, n)


def tobit_sigma(y: Any, X: Any = None) -> float:
    r"""Tobit's σ fitted from data: the maximum-likelihood scale of the intercept-only censored
    normal model (μ and σ maximise Σ log-likelihood of the `Bounds` rows; exact rows only give
    the sample standard deviation). ``X`` is not used: features that explain y make this
    marginal σ larger than the residual σ of a fitted model. Rounded to 4 significant digits.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(2.0, 1.5, 20000)
    >>> from losslab.targets import Bounds
    >>> tobit_sigma(Bounds(np.minimum(y, 3.0), np.where(y >= 3.0, np.inf, y)))  # capped at 3
    1.504
    """
    from scipy import optimize

    t = Bounds.coerce(Tobit(), y).normalised("tobit")
    t.check("tobit")
    lo, hi = np.asarray(t.lower, dtype=np.float64), np.asarray(t.upper, dtype=np.float64)
    finite = np.concatenate([lo[np.isfinite(lo)], hi[np.isfinite(hi)]])
    if finite.size == 0:
        raise ParameterError("cannot fit sigma of loss 'tobit': no finite bound in y.")
    s0 = float(np.std(finite)) or 1.0
    m0 = float(np.mean(finite))
    exact = lo == hi

    def nll(theta: np.ndarray) -> float:
        mu, log_s = float(theta[0]), float(theta[1])
        s = math.exp(log_s)
        with np.errstate(all="ignore"):
            (v,) = _censored_nll(np, _Normal, (lo - mu) / s, (hi - mu) / s, exact, "v")
        return float(np.sum(v) + exact.sum() * log_s)

    res = optimize.minimize(
        nll, np.array([m0, math.log(s0)]), method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10}
    )
    if not (res.success and np.isfinite(res.x).all()):
        raise ParameterError("cannot fit sigma of loss 'tobit': the likelihood has no finite maximum.")
    return float(f"{math.exp(float(res.x[1])):.4g}")


@register
class Tobit(_Censored):
    r"""Censored Gaussian regression (Tobit): y = y_pred + σZ, Z standard normal, observed
    through `Bounds` on y's own scale.

    Target `Bounds`: exact rows (lower = upper = y), left censored (lower = −inf, upper = the
    cap from below), right censored (upper = +inf: a value capped at its maximum), interval
    censored otherwise; a plain 1-D y means every row is exact (then this is the Gaussian
    negative log-likelihood with fixed σ, (y − y_pred)²/(2σ²) + log σ + ½log 2π). With
    z = (y − y_pred)/σ:

    .. math::

        \ell = \begin{cases}
            \tfrac12 z^2 + \log\sigma + \tfrac12\log 2\pi & \text{exact}\\
            -\log\bigl(\Phi(z_u) - \Phi(z_l)\bigr) & \text{censored to } [y_l, y_u]
        \end{cases},\qquad
        \frac{\partial\ell}{\partial y_{pred}} = -\frac{z}{\sigma}\ \text{or}\ \frac{r_u - r_l}{\sigma},

    r = φ(z)/(Φ(z_u) − Φ(z_l)) at each bound; Hessian 1/σ² or ((r_u − r_l)² + r_u z_u −
    r_l z_l)/σ². It shares its censored likelihood with `AFT` (normal errors, no log
    transform): the same log-space interval probability and tail-exact hazards.

    Estimates the **latent mean** of y given x (the uncensored regression line), not the mean
    of the capped y. Convex in y_pred. ``sigma="auto"`` fits σ by `tobit_sigma`.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Bounds
    >>> tobit = losslab.get("tobit", sigma=2.0)
    >>> y = Bounds([1.0, 5.0], [1.0, np.inf])  # an exact 1, a value capped at 5
    >>> tobit(y, np.array([0.0, 5.0]), reduction="none").round(12).tolist()
    [1.737085713765, 0.69314718056]
    """

    name = "tobit"
    aliases = ("censored_gaussian", "tobit_regression")
    PARAMS = (
        Param(
            "sigma", 1.0, "scale σ of the Gaussian error, in y's units", interval=POSITIVE, fit=tobit_sigma
        ),
    )
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.MEAN,
        y_true=Domain(
            DomainKind.STRUCTURED,
            note="(Bounds: lower <= upper, -inf/inf for censored sides; or exact values)",
            shape="Bounds(lower, upper) or (n,)",
        ),
        y_pred=REAL,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        roles=((ParamRole.SCALE, "sigma"),),
        anchors=(
            AnchorRow(
                "z²/2 + log σ + ½log 2π exact, −log(Φ(z_u) − Φ(z_l)) censored, z = (y − f)/σ",
                (Anchor(Library.SKLEARN, None, "— (statsmodels/R `AER::tobit`: the same likelihood)"),),
                params="(σ)",
            ),
        ),
        references=(
            "Tobin, J. (1958). Estimation of relationships for limited dependent variables. "
            "Econometrica 26(1), 24-36.",
            "Amemiya, T. (1984). Tobit models: a survey. Journal of Econometrics 24(1-2), 3-61.",
        ),
    )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        rng = np.random.default_rng(seed)
        f = rng.normal(0.0, 1.5, n)
        y = f + rng.normal(size=n)
        cap, floor = 1.0, -1.5
        lower = np.where(y <= floor, -np.inf, np.minimum(y, cap))
        upper = np.where(y >= cap, np.inf, np.maximum(y, floor))
        k = min(n, 2)  # an interval and an exact row for sure
        lower[:k], upper[:k] = np.array([-0.5, 0.3])[:k], np.array([0.5, 0.3])[:k]
        return Bounds(lower, upper), f + rng.normal(0.0, 0.3, n)
