r"""Counts beyond the Poisson: the negative binomial (NB2) and the zero-inflated Poisson, log link.

y_pred is the raw score s. Both losses are negative log-likelihoods **minus terms free of the
prediction** (the log-factorials, the log-gamma terms of the negative binomial, −log(1 − π) of a
positive count of the zero-inflated Poisson, and the saturated model's likelihood), chosen so
that each sample's infimum over s is 0, like the Poisson half deviance (`poisson`). Differences
of values between two predictions, gradients and Hessians are those of the full likelihood;
comparing two values of the dispersion α or the zero share π by these numbers is not a
likelihood comparison (the dropped terms depend on them).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from .._core import Interval, Loss, LossInfo, Param, ParameterError, register
from .._core import special as sp
from .._core.domains import NONNEGATIVE
from .._core.info import Anchor, AnchorRow, Equivalence, HessianKind, Library, ParamRole, Task
from .._core.statistic import Statistic
from ..links import LOG, ScaledLogLink
from .counts import LOG_MEAN, Poisson, _numeric_features

__all__ = ["NegativeBinomial", "ZeroInflatedPoisson", "nb_dispersion", "zip_zero_share"]

POSITIVE = Interval(0.0, math.inf, False, False)
ZERO_SHARE = Interval(0.0, 1.0, True, False)

#: per dtype (float64, float32): |d| = |s − log y| up to which the negative binomial's sum form
#: has no overflowing exponential, and |s + log α| beyond which its Hessian is formed in log
#: space (σ(t)σ(−t) near underflow)
_NB_DIRECT = (700.0, 80.0)
_NB_HESSIAN_LOG = (500.0, 60.0)
#: s + log α below which log1p(αμ)/α is μ(1 − αμ/2) (the next term, (αμ)²/3, is below 1e-26)
_NB_SMALL = -30.0
#: raw scores beyond which a zero-inflated zero's gradient and Hessian are exactly 0 in float64
#: (μ = e^50 makes e^{c − μ} vanish for every representable π > 0)
_ZIP_FLAT = 50.0
_DISPERSION_FLOOR = 1e-6


def _logaddexp(xp: Any, a: Any, b: Any) -> Any:
    """log(eᵃ + eᵇ) for finite ``a`` (``b`` may be −inf)."""
    hi = xp.maximum(a, b)
    return hi + xp.log1p(xp.exp(xp.minimum(a, b) - hi))


def _significant(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


# -- the negative binomial -----------------------------------------------------------------------
def nb_dispersion(y: Any, X: Any = None) -> float:
    r"""The NB2 dispersion α fitted from data: the moment estimator of Cameron & Trivedi (1990),

    .. math:: \hat\alpha = \frac{\sum_i (y_i - \hat\mu_i)^2 - y_i}{\sum_i \hat\mu_i^2},

    from E[(y − μ)² − y] = αμ². μ̂ is a Poisson GLM of y on the numeric columns of ``X``
    (median-imputed, standardised; scikit-learn's ``PoissonRegressor``, lightly penalised) when
    there are any, else the mean of y (then the estimate also counts the spread of the means
    the features would explain). Floored at 1e-6 (no overdispersion: the loss is then the
    Poisson deviance to six digits), rounded to 4 significant digits.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.negative_binomial(2.0, 2.0 / (2.0 + 5.0), size=20000).astype(float)  # mean 5, α = 1/2
    >>> nb_dispersion(y)
    0.4951
    """
    import numpy as np

    y = np.asarray(y, dtype=np.float64).ravel()
    if np.any(y < 0) or not np.all(np.isfinite(y)):
        raise ParameterError("cannot fit alpha of loss 'negative_binomial': y must be finite counts >= 0.")
    mean = float(np.mean(y))
    if mean <= 0:
        raise ParameterError(
            "cannot fit alpha of loss 'negative_binomial': every y is 0, so the dispersion is not identified."
        )
    mu = np.full_like(y, mean)
    Z = _numeric_features(X, y.size)
    if Z is not None and y.size >= 10:
        from sklearn.linear_model import PoissonRegressor

        mu = PoissonRegressor(alpha=1e-4, max_iter=300).fit(Z, y).predict(Z)
    alpha = float(np.sum((y - mu) ** 2 - y) / np.sum(mu * mu))
    return _significant(max(alpha, _DISPERSION_FLOOR))


@register
class NegativeBinomial(Loss):
    r"""Negative binomial (NB2) loss with log link: overdispersed counts, Var(y) = μ + αμ².

    Raw score s, mean μ = eˢ, dispersion α = ``alpha`` > 0, r = 1/α:

    .. math::

        \ell = (y + r)\log\frac{1 + \alpha\mu}{1 + \alpha y} - y\log\frac{\mu}{y},\qquad
        \frac{\partial\ell}{\partial s} = \frac{\mu - y}{1 + \alpha\mu},\qquad
        \frac{\partial^2\ell}{\partial s^2} = \frac{\mu(1 + \alpha y)}{(1 + \alpha\mu)^2},

    with 0·log 0 = 0 (ℓ = r·log(1 + αμ) at y = 0). This is the negative log-likelihood
    −log Γ(y + r) + log Γ(r) + log y! + (y + r) log(1 + αμ) − y log(αμ) minus the same at
    μ = y: the log-gamma and factorial terms are dropped (free of the prediction) and a perfect
    prediction scores 0 — half the NB2 deviance. As α → 0 it tends to ``poisson``.

    **Exactness.** With d = s − log y, q = αy/(1 + αy) and E(x) = eˣ − 1 − x ≥ 0,
    ℓ = (y + r)·log1p((1 − q)E(−qd) + qE((1 − q)d)): a sum of non-negative terms, so neither a
    near-perfect prediction (ℓ ≈ μ(1 + αy)d²/2… in relative precision) nor a large αy loses
    digits; beyond |d| = 700 it is (y + r)·logaddexp(log(1 − q) − qd, log q + (1 − q)d). The
    gradient is (σ(t)/α)(1 − y/μ) or y(e^d − 1)σ(−t), t = s + log α, and the Hessian
    (y + r)σ(t)σ(−t), so nothing overflows before the true value does.

    Strictly convex in s (the Hessian is positive); estimates the conditional **mean** through
    the log link. ``alpha="auto"`` fits α by `nb_dispersion`. It is not a one-parameter Tweedie
    deviance (its variance μ + αμ² is not a power of μ), so ``info.variance_power`` is None.
    statsmodels' ``NegativeBinomial`` (NB2) and ``GLM(family=NegativeBinomial(alpha))`` maximise
    the same likelihood; PyTorch, Keras, optax, scikit-learn, XGBoost and LightGBM have no
    negative binomial loss.

    Examples
    --------
    >>> import losslab, math
    >>> nb = losslab.get("negative_binomial", alpha=0.5)
    >>> nb([2.0, 0.0], [math.log(2.0), 0.0], reduction="none").round(12).tolist()
    [0.0, 0.810930216216]
    >>> nb.gradient([3.0], [0.0]).tolist()  # (mu - y)/(1 + alpha mu)
    [-1.3333333333333333]
    """

    name = "negative_binomial"
    aliases = ("negbin", "nb2", "negative_binomial_nll")
    link = LOG
    PARAMS = (
        Param(
            "alpha",
            1.0,
            "dispersion α: Var(y) = μ + αμ² (α → 0 is the Poisson)",
            interval=POSITIVE,
            fit=nb_dispersion,
        ),
    )
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.MEAN,
        y_true=NONNEGATIVE,
        y_pred=LOG_MEAN,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        roles=((ParamRole.DISPERSION, "alpha"),),
        anchors=(
            AnchorRow(
                (
                    "half NB2 deviance (y + 1/α) log((1 + αμ)/(1 + αy)) − y log(μ/y), μ = eˢ "
                    "((μ − y)/(1 + αμ)); log-gamma terms dropped"
                ),
                (
                    Anchor(
                        Library.SKLEARN,
                        None,
                        "— (statsmodels `NegativeBinomial` NB2: same likelihood up to terms free of μ)",
                    ),
                ),
                params="(α)",
            ),
        ),
        references=(
            "Cameron, A. C. & Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed., ch. 3.",
            "Cameron, A. C. & Trivedi, P. K. (1990). Regression-based tests for overdispersion in the "
            "Poisson model. Journal of Econometrics 46(3).",
            "Hilbe, J. M. (2011). Negative Binomial Regression, 2nd ed. Cambridge University Press.",
        ),
    )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        import numpy as np

        rng = np.random.default_rng(seed)
        mu = np.exp(rng.normal(0.5, 0.5, n))
        alpha = 1.0 if self.alpha == "auto" else self.alpha
        r = 1.0 / alpha
        y = rng.negative_binomial(r, r / (r + mu)).astype(float)
        return y, np.log(mu) + rng.normal(0.0, 0.3, n)

    def _parts(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any, Any, Any, Any]:
        """(y > 0, log y (0 at y = 0), d = s − log y (0 at y = 0), αy, t = s + log α)."""
        ypos = t > 0.0
        ly, d = sp.log_ratio(xp, f, xp.where(ypos, t, xp.ones_like(t)))  # d exact near s = log y
        d = xp.where(ypos, d, xp.zeros_like(f))
        return ypos, ly, d, self.alpha * t, f + math.log(self.alpha)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        alpha = self.alpha
        ypos, ly, d, ay, ta = self._parts(xp, t, f)
        weight = t + 1.0 / alpha
        p1 = 1.0 / (1.0 + ay)  # 1 − q, formed without the cancellation of 1 − q
        # q = αy/(1 + αy); αy overflows for y near 1e308 (inf·0 = NaN): q = 1 there
        ay_inf = xp.isinf(ay)
        q = xp.where(ay_inf, xp.ones_like(ay), ay * xp.where(ay_inf, xp.zeros_like(p1), p1))
        # the sum form needs q = αy/(1 + αy) normal (a subnormal q has lost its digits) and αy finite
        tiny = xp.finfo(f.dtype).tiny
        direct = (xp.abs(d) <= _NB_DIRECT[f.dtype != xp.float64]) & (ay >= tiny) & ~ay_inf
        dd = xp.where(direct, d, xp.zeros_like(d))
        s_sum = p1 * sp.expm1mx(xp, -q * dd) + q * sp.expm1mx(xp, p1 * dd)
        near = weight * xp.log1p(s_sum)
        df = xp.where(direct, xp.zeros_like(d), d)
        log_p1 = xp.where(ay_inf, -(ly + math.log(alpha)), -xp.log1p(ay))  # log(1/(1 + αy))
        # log(αy/(1 + αy)) without cancellation: −log1p(1/(αy)), and from log y where 1/(αy) may
        # overflow (y = 5e-324)
        big_ay = ay >= 1.0
        log_q = xp.where(
            big_ay,
            -xp.log1p(1.0 / xp.where(big_ay, ay, xp.ones_like(ay))),
            (ly + math.log(alpha)) - xp.log1p(xp.where(big_ay, xp.zeros_like(ay), ay)),
        )
        # q·d from log q where q = αy/(1 + αy) is subnormal or underflowed (y = 5e-324, s = −1e8)
        normal_q = ay >= tiny
        qd = q * df
        if not (sp.eager(xp, f) and bool(xp.all(normal_q | ~ypos))):
            qd = xp.where(normal_q, qd, sp.signed_exp(xp, df, log_q))
        far = weight * _logaddexp(xp, log_p1 - qd, log_q + p1 * df)
        # αy overflowed: (y + 1/α)·log1p(S) with S < 1e-300 is (1/α)(e^{−d} − 1 + d) + y·O((d/αy)²)
        # (weight·(1 − q) = 1/α); near the optimum, where the log-sum-exp form cancels
        if not (sp.eager(xp, f) and not bool(xp.any(ay_inf))):
            near_inf = xp.abs(d) <= 20.0
            inf_near = sp.expm1mx(xp, -xp.where(near_inf, d, xp.zeros_like(d))) / alpha
            far = xp.where(ay_inf & near_inf, inf_near, far)
        # log1p(αμ)/α; for tiny αμ as μ(1 − αμ/2), so that neither is rounded as a subnormal
        small = ta < _NB_SMALL
        ta_small = xp.where(small, ta, xp.zeros_like(ta))
        zero_small = xp.exp(xp.where(small, f, xp.zeros_like(f))) * (1.0 - 0.5 * xp.exp(ta_small))
        zero = xp.where(small, zero_small, sp.softplus(xp, ta) / alpha)
        return xp.where(ypos, xp.where(direct, near, far), zero)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        ypos, _, d, _, ta = self._parts(xp, t, f)
        up = d >= 0.0
        d_up = xp.where(up, d, xp.zeros_like(d))
        d_down = xp.where(up, xp.zeros_like(d), d)
        share = xp.where(ypos, -xp.expm1(-d_up), xp.ones_like(d))  # 1 − y/μ
        # μ/(1 + αμ) as σ(t)/α where μ may overflow, as μσ(−t) where σ(t) may be subnormal
        neg = ta < 0.0
        mu_neg = xp.exp(xp.where(neg, f, xp.zeros_like(f)))
        ratio = xp.where(neg, mu_neg * sp.sigmoid(xp, -ta), sp.sigmoid(xp, ta) / self.alpha)
        g_up = ratio * share
        v = t * xp.expm1(d_down)
        # σ(−t) subnormal (αy near the float range): v·e^{−softplus(t)} rounded once
        deep = ta > (700.0 if f.dtype == xp.float64 else 85.0)
        g_down = v * sp.sigmoid(xp, -ta)
        if not (sp.eager(xp, f) and not bool(xp.any(deep))):
            g_down = xp.where(deep, sp.mul_exp(xp, v, -sp.softplus(xp, ta)), g_down)
        return xp.where(ypos & ~up, g_down, g_up)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        ta = f + math.log(self.alpha)
        weight = t + 1.0 / self.alpha
        # (y + r)σ(t)σ(−t); in the tails through logs, so a subnormal σσ is not rounded before
        # a large y + r multiplies it
        tail = xp.abs(ta) > _NB_HESSIAN_LOG[f.dtype != xp.float64]
        at = xp.where(tail, xp.abs(ta), xp.zeros_like(ta))
        via_log = xp.exp(xp.log(weight) - at - 2.0 * xp.log1p(xp.exp(-at)))
        return xp.where(tail, via_log, weight * sp.sigmoid_pair_product(xp, ta))


# -- the zero-inflated Poisson -------------------------------------------------------------------
def zip_zero_share(y: Any, X: Any = None) -> float:
    r"""The zero share π of a zero-inflated Poisson fitted from data: the maximum-likelihood
    (equally, method-of-moments) estimate of the intercept-only model.

    With p₀ the share of zeros and ȳ the mean, the model's P(0) = π + (1 − π)e^{−λ} and
    E[y] = (1 − π)λ give λ/(1 − e^{−λ}) = ȳ/(1 − p₀), solved for λ (the left side increases
    from 1), then π = 1 − ȳ/λ. When p₀ ≤ e^{−ȳ} there are no excess zeros and π = 0 (the
    Poisson). ``X`` is not used: features that move λ also move the expected zeros, so with
    strong features this marginal rule overstates π. Rounded to 4 significant digits.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> n = 20000
    >>> y = np.where(rng.random(n) < 0.3, 0.0, rng.poisson(2.5, n))
    >>> zip_zero_share(y)
    0.2888
    """
    import numpy as np
    from scipy.optimize import brentq

    y = np.asarray(y, dtype=np.float64).ravel()
    if np.any(y < 0) or not np.all(np.isfinite(y)):
        raise ParameterError("cannot fit pi of loss 'zero_inflated_poisson': y must be finite counts >= 0.")
    mean = float(np.mean(y))
    p0 = float(np.mean(y == 0))
    if mean <= 0:
        raise ParameterError(
            "cannot fit pi of loss 'zero_inflated_poisson': every y is 0, so the zero share would be 1."
        )
    if p0 <= math.exp(-mean):
        return 0.0
    target = mean / (1.0 - p0)

    def excess(lam: float) -> float:
        return lam / -math.expm1(-lam) - target

    lam = brentq(excess, 1e-12, target + 1.0, xtol=1e-14, rtol=1e-14)
    return _significant(max(0.0, 1.0 - mean / lam))


_POISSON = Poisson()


@register
class ZeroInflatedPoisson(Loss):
    r"""Zero-inflated Poisson loss with log link: a share π of structural zeros, Poisson(λ) else.

    Raw score s, Poisson mean λ = eˢ, zero share π = ``pi`` ∈ [0, 1); the model's mean is
    (1 − π)λ (``link.inverse``). With c = log((1 − π)/π):

    .. math::

        y = 0:\quad \ell = -\log\big(\pi + (1 - \pi)e^{-\lambda}\big),\qquad
            \frac{\partial\ell}{\partial s} = \lambda\,\sigma(c - \lambda),\qquad
            \frac{\partial^2\ell}{\partial s^2} = \lambda\sigma(c - \lambda)
                \big((1 - \lambda)\sigma(\lambda - c) + \sigma(c - \lambda)\big);

        y > 0:\quad \ell = y\log\frac{y}{\lambda} - y + \lambda,\qquad
            \frac{\partial\ell}{\partial s} = \lambda - y,\qquad
            \frac{\partial^2\ell}{\partial s^2} = \lambda\quad(\text{the Poisson half deviance}).

    The negative log-likelihood minus terms free of the prediction (−log(1 − π) + log y! and the
    saturated Poisson's y log y − y for y > 0): each sample's infimum over s is 0. λσ(c − λ) is
    λ times the posterior probability that a zero came from the Poisson part. A zero is
    −log1p(−(1 − π)(1 − e^{−λ})) while (1 − π)(1 − e^{−λ}) ≤ ½, else
    −logaddexp(log π, log(1 − π) − λ), and its derivatives go through log σ, so π near 0 or 1
    and λ up to overflow keep their digits.

    **Not convex** for π > 0: a zero's Hessian is negative once λσ(λ − c) > 1 + … (large λ
    predicted for a zero), so ``hessian`` is ``indefinite``. At π = 0 it is ``poisson``.
    Estimates the conditional **mean** (1 − π)λ; ``pi="auto"`` fits π by `zip_zero_share`.
    Here π is one number for all rows (the zero-inflation model of Lambert 1992 with a constant
    inflation); statsmodels' ``ZeroInflatedPoisson`` with a constant inflation model maximises
    the same likelihood. No library among PyTorch, Keras, optax, scikit-learn, XGBoost and
    LightGBM has it.

    Examples
    --------
    >>> import losslab, math, numpy as np
    >>> zip_ = losslab.get("zero_inflated_poisson", pi=0.25)
    >>> zip_([0.0, 2.0], [0.0, math.log(2.0)], reduction="none").round(12).tolist()
    [0.642625980491, 0.0]
    >>> zip_.link.inverse(np.log([2.0])).round(12).tolist()  # the mean (1 - pi) lambda
    [1.5]
    """

    name = "zero_inflated_poisson"
    aliases = ("zip", "zero_inflated_poisson_nll")
    PARAMS = (
        Param(
            "pi",
            0.1,
            "share π of structural zeros (0 is the Poisson)",
            interval=ZERO_SHARE,
            fit=zip_zero_share,
        ),
    )
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.MEAN,
        y_true=NONNEGATIVE,
        y_pred=LOG_MEAN,
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.INDEFINITE,
        roles=((ParamRole.ZERO_SHARE, "pi"),),
        equivalences=(Equivalence("poisson", when=(("pi", 0.0),)),),
        anchors=(
            AnchorRow(
                (
                    "−log(π + (1 − π)e^{−λ}) at y = 0, the Poisson half deviance at y > 0, λ = eˢ; "
                    "mean (1 − π)λ; Hessian indefinite for π > 0"
                ),
                (
                    Anchor(
                        Library.SKLEARN,
                        None,
                        "— (statsmodels `ZeroInflatedPoisson`, constant inflation: same likelihood "
                        "up to terms free of λ)",
                    ),
                ),
                params="(π)",
            ),
        ),
        references=(
            "Lambert, D. (1992). Zero-inflated Poisson regression, with an application to defects in "
            "manufacturing. Technometrics 34(1).",
        ),
    )

    @property
    def link(self) -> Any:  # type: ignore[override]
        pi = self.pi
        return LOG if pi == "auto" or pi == 0.0 else ScaledLogLink(1.0 - pi)

    def _info(self) -> LossInfo:
        if self.pi == 0.0:
            return replace(self.INFO, convex=True, hessian=HessianKind.EXACT, variance_power=1.0)
        return self.INFO

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        import numpy as np

        rng = np.random.default_rng(seed)
        lam = np.exp(rng.normal(0.5, 0.5, n))
        pi = 0.1 if self.pi == "auto" else self.pi
        y = np.where(rng.random(n) < pi, 0.0, rng.poisson(lam)).astype(float)
        return y, np.log(lam) + rng.normal(0.0, 0.3, n)

    def _zero_parts(self, xp: Any, f: Any) -> tuple[Any, Any]:
        """(λ at s capped at 50, log σ(c − λ)) for the derivatives at y = 0 (π > 0)."""
        pi = self.pi
        c = math.log1p(-pi) - math.log(pi)
        s = xp.minimum(f, xp.full_like(f, _ZIP_FLAT))
        lam = xp.exp(s)
        return lam, c - lam

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        pi = self.pi
        pois = _POISSON._value(xp, t, f)
        if pi == 0.0:
            return pois
        lam = xp.exp(f)
        x = (1.0 - pi) * -xp.expm1(-lam)
        near = x <= 0.5
        near_zero = -xp.log1p(-xp.where(near, x, xp.zeros_like(x)))
        lam_far = xp.where(near, xp.ones_like(lam), lam)
        far_zero = -_logaddexp(xp, xp.full_like(f, math.log(pi)), math.log1p(-pi) - lam_far)
        return xp.where(t > 0.0, pois, xp.where(near, near_zero, far_zero))

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        pois = _POISSON._gradient(xp, t, f)
        if self.pi == 0.0:
            return pois
        s = xp.minimum(f, xp.full_like(f, _ZIP_FLAT))
        _, arg = self._zero_parts(xp, f)
        zero = xp.exp(s + sp.log_sigmoid(xp, arg))
        return xp.where(t > 0.0, pois, xp.where(f > _ZIP_FLAT, xp.zeros_like(f), zero))

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        pois = _POISSON._hessian(xp, t, f)
        if self.pi == 0.0:
            return pois
        s = xp.minimum(f, xp.full_like(f, _ZIP_FLAT))
        lam, arg = self._zero_parts(xp, f)
        g0 = xp.exp(s + sp.log_sigmoid(xp, arg))
        factor = (1.0 - lam) * sp.sigmoid(xp, -arg) + sp.sigmoid(xp, arg)
        zero = g0 * factor
        return xp.where(t > 0.0, pois, xp.where(f > _ZIP_FLAT, xp.zeros_like(f), zero))
