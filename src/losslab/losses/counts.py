r"""Deviances of counts and positive amounts with a log link: Poisson, Gamma and Tweedie.

y_pred is the raw score s and the predicted mean is μ = e^s (``links.LOG``). All three are the
Tweedie half deviance of power p (Poisson p = 1, Gamma p = 2), written once in terms of
d = s − log y, the log ratio of prediction to target, so that p → 1 and p → 2 are continuous
and near-perfect predictions keep their tiny values:

.. math::

    \ell = y^{2-p} B_p(d),\qquad
    B_p(d) = \frac{e^{(2-p)d} - 1}{2-p} - \frac{e^{(1-p)d} - 1}{1-p}
           = \sum_{k\ge2} \frac{(2-p)^{k-1} - (1-p)^{k-1}}{k!}\, d^k

(each fraction read as d at its removable singularity). The series is used for |d| small
(coefficients computed exactly from p's binary value), the closed form elsewhere, with every
exponential formed from the exponents of the terms it stands for (e^{(2−p)s}, y·e^{(1−p)s}),
so nothing overflows unless the true value does.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from typing import Any

from .._core import Interval, Loss, LossInfo, Param, register
from .._core import special as sp
from .._core.domains import NONNEGATIVE, POSITIVE, Domain, DomainKind
from .._core.info import Anchor, AnchorRow, Equivalence, HessianKind, Library, ParamRole, Task
from .._core.statistic import Statistic
from ..links import LOG

__all__ = ["Gamma", "Poisson", "Tweedie"]

_N_SERIES = 17  # terms k = 2 .. 18 of the series of B_p(d)
_SERIES_RADIUS = 0.5  # series where |d|·max(1, |1-p|, |2-p|) < this

#: the raw score s = log μ
LOG_MEAN = Domain(DomainKind.RAW_SCORE, note="(s = log of the mean)")


def _half_exp_limit(xp: Any, f: Any) -> float:
    """|x| up to which e^{x/2} is finite and normal in ``f``'s dtype (float64, else float32)."""
    return 1400.0 if f.dtype == xp.float64 else 170.0


class _LogLinkDeviance(Loss):
    """Shared kernels of the Tweedie half deviance with log link (power from `_power`)."""

    link = LOG

    @property
    def _power(self) -> float:
        raise NotImplementedError

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        import numpy as np

        rng = np.random.default_rng(seed)
        mu = np.exp(rng.normal(0.5, 0.5, n))
        p = self._power
        if p == 1.0:
            y = rng.poisson(mu).astype(float)
        elif p >= 2.0:
            y = rng.gamma(2.0, mu / 2.0)
        else:  # compound Poisson-Gamma with dispersion 1
            lam = mu ** (2.0 - p) / (2.0 - p)
            shape = (2.0 - p) / (p - 1.0)
            scale = (p - 1.0) * mu ** (p - 1.0)
            counts = rng.poisson(lam)
            y = np.where(counts > 0, rng.gamma(shape * np.maximum(counts, 1), scale), 0.0)
        return y, np.log(mu) + rng.normal(0.0, 0.3, n)

    # -- the Tweedie pieces -------------------------------------------------------------------
    def _ab(self) -> tuple[float, float]:
        p = self._power
        return 1.0 - p, 2.0 - p

    def _coefficients(self) -> list[float]:
        """(b^{k−1} − a^{k−1})/k! for k = 2 .. 18, exact rationals rounded once."""
        p = Fraction(self._power)
        a, b = 1 - p, 2 - p
        out = []
        fact = 1
        for k in range(2, 2 + _N_SERIES):
            fact *= k
            out.append(float((b ** (k - 1) - a ** (k - 1)) / fact))
        return out

    def _parts(self, xp: Any, t: Any, s: Any) -> tuple[Any, Any, Any]:
        """(y > 0 mask, log y (0 where y = 0), d = s − log y (0 where y = 0))."""
        ypos = t > 0.0
        ly, d = sp.log_ratio(xp, s, xp.where(ypos, t, xp.ones_like(t)))  # d exact near s = log y
        return ypos, ly, xp.where(ypos, d, xp.zeros_like(s))

    @staticmethod
    def _g(xp: Any, L0: Any, x: float, d: Any) -> tuple[Any, Any]:
        """(G, log|G|) for G = e^{L0}·expm1(x·d)/x (e^{L0}·d at x = 0), d ≠ 0.

        G overflows only where the result does; log|G| is finite even then.
        """
        if x == 0.0:
            return sp.mul_exp(xp, d, L0), L0 + xp.log(xp.abs(d))
        w = x * d
        low = w <= 1.0
        w_low = xp.where(low, w, xp.ones_like(w))
        w_high = xp.where(low, xp.ones_like(w), w)
        em = xp.expm1(w_low)
        high_log = w_high + xp.log(-xp.expm1(-w_high))  # log(e^w - 1) for w > 1
        g_low = sp.mul_exp(xp, em / x, L0)
        g_high = xp.exp(L0 + high_log) / x
        log_abs = L0 + xp.where(low, xp.log(xp.abs(em)), high_log) - math.log(abs(x))
        return xp.where(low, g_low, g_high), log_abs

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        a, b = self._ab()
        ypos, ly, d = self._parts(xp, t, f)
        L0 = b * ly  # log y^{2-p}
        radius = _SERIES_RADIUS / max(1.0, abs(a), abs(b))
        series = xp.abs(d) < radius
        d_s = xp.where(series, d, xp.zeros_like(d))
        acc = xp.zeros_like(d)
        for c in reversed(self._coefficients()):
            acc = (acc + c) * d_s
        near = sp.mul_exp(xp, acc * d_s, L0)  # y^{2−p} may overflow where ℓ does not
        d_far = xp.where(series, xp.ones_like(d), d)
        gb, lb = self._g(xp, L0, b, d_far)
        ga, la = self._g(xp, L0, a, d_far)
        # ℓ = G_b − G_a ≥ 0 (both have the sign of d); where a term overflows (p > 2, d ≪ 0)
        # take the difference of magnitudes in log space: e^{hi}(1 − e^{lo − hi})
        direct_ok = xp.isfinite(gb) & xp.isfinite(ga)
        hi = xp.maximum(la, lb)
        lo = xp.minimum(la, lb)
        gap = xp.where(direct_ok, -xp.ones_like(hi), lo - hi)
        via_log = xp.exp(hi + xp.log(-xp.expm1(gap)))
        far = xp.where(direct_ok, gb - ga, via_log)
        pos = xp.where(series, near, far)
        if b > 0.0:  # y = 0 is in the domain: ℓ = μ^{2−p}/(2−p)
            zero = xp.exp(b * xp.where(ypos, xp.zeros_like(f), f)) / b
            return xp.where(ypos, pos, zero)
        return pos

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        # μ^{1−p}(μ − y)
        a, b = self._ab()
        ypos, ly, d = self._parts(xp, t, f)
        low = d <= 1.0
        d_low = xp.where(low, d, xp.zeros_like(d))
        d_high = xp.where(low, xp.ones_like(d), d)
        g_low = sp.mul_exp(xp, xp.expm1(d_low), ly + a * f)
        g_high = xp.exp(b * f + xp.log(-xp.expm1(-d_high)))
        pos = xp.where(low, g_low, g_high)
        return xp.where(ypos, pos, xp.exp(b * f))

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        # μ^{1−p}((2−p)μ − (1−p)y) = (2−p)e^{(2−p)s} − (1−p)·y·e^{(1−p)s}
        a, b = self._ab()
        ypos = t > 0.0
        ly = xp.log(xp.where(ypos, t, xp.ones_like(t)))
        first = b * xp.exp(b * f) if b != 0.0 else xp.zeros_like(f)
        if a == 0.0:
            return first
        # y·e^{(1−p)s} as (y·h)·h with h = e^{(1−p)s/2} while h is in range (no rounding of
        # log y; a subnormal result is rounded once), else through log y
        moderate = xp.abs(a * f) <= _half_exp_limit(xp, f)
        h = xp.exp((0.5 * a) * xp.where(moderate, f, xp.zeros_like(f)))
        by_product = ((a * t) * h) * h
        by_log = a * xp.exp(ly + a * xp.where(moderate, xp.zeros_like(f), f))
        second = xp.where(ypos, xp.where(moderate, by_product, by_log), xp.zeros_like(f))
        if b >= 0.0:
            return first - second  # p ≤ 2: a sum of two non-negative terms
        # p > 2: |a|·y·e^{as} − |b|·e^{bs}; where both overflow, subtract magnitudes in log space
        direct_ok = xp.isfinite(first) & xp.isfinite(second)
        l_first = math.log(-b) + b * f
        l_second = math.log(-a) + ly + a * f
        hi = xp.maximum(l_first, l_second)
        gap = xp.where(direct_ok, -xp.ones_like(hi), xp.minimum(l_first, l_second) - hi)
        sign = xp.where(l_second >= l_first, xp.ones_like(f), -xp.ones_like(f))
        via_log = sign * xp.exp(hi + xp.log(-xp.expm1(gap)))
        return xp.where(direct_ok, first - second, via_log)


@register
class Poisson(_LogLinkDeviance):
    r"""Poisson half deviance with log link: raw score s, predicted mean μ = e^s.

    .. math::

        \ell = y\log\frac{y}{\mu} - y + \mu = \mu - y s + (y\log y - y),\qquad
        \frac{\partial\ell}{\partial s} = \mu - y,\qquad
        \frac{\partial^2\ell}{\partial s^2} = \mu,

    with 0·log 0 = 0. The Poisson negative log-likelihood is μ − y·s + log y!; ℓ drops log y!
    and adds y log y − y, so that a perfect prediction (μ = y) scores 0: the *deviance form*
    (half the unit Poisson deviance). It is computed as y·(e^d − 1 − d) with d = s − log y
    (series for small d), so near-perfect predictions keep full relative precision, and it
    stays finite past s = 709.78 (where e^s overflows) wherever the true value is finite
    (y = e^709, s = 710 gives y(e − 2)).

    Estimates the conditional **mean** of a count (or any y ≥ 0) through the log link.
    Scaling: gradient and Hessian are those of ``torch.nn.PoissonNLLLoss(log_input=True,
    full=False)``, sklearn's ``HalfPoissonLoss`` and XGBoost's ``count:poisson``; the values
    differ by the constant y log y − y: PyTorch returns e^s − y·s, sklearn's ``loss`` the same
    (its ``constant_to_optimal_zero`` is our constant), and ``sklearn.metrics.
    mean_poisson_deviance`` is twice ours. XGBoost ≤ 3.4 and LightGBM damp the Hessian to
    e^{s + 0.7} (``max_delta_step``); XGBoost's 3.5 development branch uses ½(μ + y). ``keras.losses.Poisson``
    takes μ itself (not s) and computes μ − y·log(μ + 1e-7).

    Examples
    --------
    >>> import losslab, math
    >>> pois = losslab.get("poisson")
    >>> pois([2.0, 0.0], [math.log(2.0), 0.0], reduction="none").tolist()
    [0.0, 1.0]
    >>> float(pois.gradient([3.0], [0.0])[0])  # mu - y
    -2.0
    """

    name = "poisson"
    aliases = ("poisson_deviance", "half_poisson", "count_poisson")
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.MEAN,
        y_true=NONNEGATIVE,
        y_pred=LOG_MEAN,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        zero_at_perfect=False,
        variance_power=1.0,
        anchors=(
            AnchorRow(
                "half deviance y log(y/μ) − y + μ of the raw score s, μ = eˢ (μ − y; Hessian μ); 0 at μ = y",
                (
                    Anchor(
                        Library.PYTORCH,
                        "PoissonNLLLoss(log_input=True)",
                        "eˢ − y·s = losslab − (y log y − y); same gradient",
                    ),
                    Anchor(Library.KERAS, "Poisson", "takes μ, μ − y log(μ + 1e-7)"),
                    Anchor(
                        Library.SKLEARN,
                        None,
                        (
                            "`HalfPoissonLoss` + `constant_to_optimal_zero`: same; `mean_poisson_deviance`: "
                            "2× (XGBoost/LightGBM: same gradient, Hessian e^{s + 0.7})"
                        ),
                    ),
                ),
            ),
        ),
        references=(
            "Nelder, J. A. & Wedderburn, R. W. M. (1972). Generalized linear models. JRSS A 135(3).",
            "McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., ch. 6.",
        ),
    )

    @property
    def _power(self) -> float:
        return 1.0


@register
class Gamma(_LogLinkDeviance):
    r"""Gamma half deviance with log link: raw score s, predicted mean μ = e^s.

    With d = s − log y = log(μ/y):

    .. math::

        \ell = \log\frac{\mu}{y} + \frac{y}{\mu} - 1 = d + e^{-d} - 1,\qquad
        \frac{\partial\ell}{\partial s} = 1 - \frac{y}{\mu},\qquad
        \frac{\partial^2\ell}{\partial s^2} = \frac{y}{\mu}.

    Requires y > 0 (checked). Estimates the conditional **mean** of a positive amount whose
    spread grows with its mean (constant coefficient of variation); the loss depends only on
    the ratio μ/y, so it is scale-free. e^{−d} − 1 + d is evaluated by its series near d = 0.

    Scaling: the half deviance, as sklearn's ``HalfGammaLoss`` plus its
    ``constant_to_optimal_zero`` (−1 − log y); ``sklearn.metrics.mean_gamma_deviance`` is
    twice ours. XGBoost's ``reg:gamma`` and LightGBM's ``gamma`` have this gradient and Hessian
    (XGBoost's ``gamma-nloglik`` metric adds the dispersion terms). PyTorch, Keras and optax
    have no Gamma loss.

    Examples
    --------
    >>> import losslab, math
    >>> gam = losslab.get("gamma")
    >>> gam([2.0, 1.0], [math.log(2.0), 1.0], reduction="none").round(12).tolist()
    [0.0, 0.367879441171]
    """

    name = "gamma"
    aliases = ("gamma_deviance", "half_gamma")
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.MEAN,
        y_true=POSITIVE,
        y_pred=LOG_MEAN,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        zero_at_perfect=False,
        variance_power=2.0,
        anchors=(
            AnchorRow(
                "log(μ/y) + y/μ − 1, μ = eˢ, y > 0 (1 − y/μ; Hessian y/μ)",
                (
                    Anchor(
                        Library.SKLEARN,
                        None,
                        (
                            "`HalfGammaLoss` + constant: same; `mean_gamma_deviance`: 2× (XGBoost "
                            "`reg:gamma`, LightGBM `gamma`: same)"
                        ),
                    ),
                ),
            ),
        ),
        references=("McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., ch. 8.",),
    )

    @property
    def _power(self) -> float:
        return 2.0


#: the fitted power's range and snapping: 3 (inverse Gaussian) is as far as data usually go
_POWER_MAX = 3.0
_POWER_SNAP = 0.1
_POWER_BINS = 10


def tweedie_power(y: Any, X: Any = None) -> float:
    r"""Tweedie's variance power p fitted from data: Var(y | x) ∝ μ(x)^p, so p is the slope of
    log variance on log mean.

    μ̂ is a Poisson GLM of y on the numeric columns of ``X`` (median-imputed, standardised;
    scikit-learn's ``PoissonRegressor``, lightly penalised), fitted on the rows given (a
    training fold). The rows are cut into 10 bins of equal size by μ̂; p is the least-squares
    slope of log(var y) on log(mean y) over the bins with positive mean and variance, weighted by
    their sizes. It is clipped to [1, 3], capped at 1.9 when y has zeros (p ≥ 2 cannot take
    y = 0), and snapped to 1 (Poisson) or 2 (Gamma) within 0.1. Without usable features (no
    ``X``, no numeric column, or fewer than 3 usable bins) it is 1.5, the loss's default.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(0, 2, size=(4000, 1))
    >>> tweedie_power(rng.poisson(np.exp(1 + x[:, 0])).astype(float), x)
    1.0
    >>> tweedie_power(rng.gamma(2.0, np.exp(x[:, 0]) / 2.0), x)
    2.0
    """
    import numpy as np

    y = np.asarray(y, dtype=np.float64).ravel()
    fallback = 1.5
    Z = _numeric_features(X, y.size)
    if Z is None or y.size < 3 * _POWER_BINS or np.any(y < 0):
        return fallback
    from sklearn.linear_model import PoissonRegressor

    mu = PoissonRegressor(alpha=1e-4, max_iter=300).fit(Z, y).predict(Z)
    order = np.argsort(mu, kind="stable")
    means, variances, sizes = [], [], []
    for idx in np.array_split(order, _POWER_BINS):
        m, v = float(np.mean(y[idx])), float(np.var(y[idx], ddof=1)) if idx.size > 1 else 0.0
        if m > 0 and v > 0:
            means.append(m)
            variances.append(v)
            sizes.append(idx.size)
    if len(means) < 3 or np.ptp(np.log(means)) < 1e-8:
        return fallback
    slope = float(np.polyfit(np.log(means), np.log(variances), 1, w=np.sqrt(sizes))[0])
    p = min(max(slope, 1.0), _POWER_MAX)
    if np.any(y == 0):
        p = min(p, 2.0 - _POWER_SNAP)
    for anchor in (1.0, 2.0):
        if abs(p - anchor) < _POWER_SNAP:
            p = anchor
    return round(p, 3)


def _numeric_features(X: Any, n: int) -> Any:
    """The numeric columns of X as a standardised float array with medians for missing values."""
    import numpy as np

    if X is None:
        return None
    if hasattr(X, "select_dtypes"):  # a DataFrame: its numeric columns (booleans count as 0/1)
        X = X.select_dtypes(include=["number", "bool"]).to_numpy(dtype=np.float64)
    try:
        Z = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):  # text columns in an array: no numeric features to use
        return None
    Z = Z.reshape(n, -1) if Z.ndim != 2 else Z
    if Z.shape[0] != n or Z.shape[1] == 0:
        return None
    with np.errstate(all="ignore"):
        med = np.nanmedian(Z, axis=0)
    Z = np.where(np.isnan(Z), np.nan_to_num(med), Z)
    sd = Z.std(axis=0)
    keep = sd > 0
    if not keep.any():
        return None
    return (Z[:, keep] - Z[:, keep].mean(axis=0)) / sd[keep]


@register
class Tweedie(_LogLinkDeviance):
    r"""Tweedie half deviance of power p with log link: raw score s, predicted mean μ = e^s.

    .. math::

        \ell = \frac{y^{2-p}}{(1-p)(2-p)} - \frac{y\,\mu^{1-p}}{1-p} + \frac{\mu^{2-p}}{2-p},\qquad
        \frac{\partial\ell}{\partial s} = \mu^{1-p}(\mu - y),\qquad
        \frac{\partial^2\ell}{\partial s^2} = (2-p)\mu^{2-p} - (1-p)\,y\,\mu^{1-p}.

    ``power`` p ∈ [1, ∞): p = 1 is exactly ``poisson``, p = 2 exactly ``gamma``, 1 < p < 2 the
    compound Poisson–Gamma (zero-inflated positive amounts: insurance claims, rainfall), p = 3
    the inverse Gaussian. The loss is continuous in p through 1 and 2: it is evaluated as
    y^{2−p}·B(d) with d = s − log y and B written with expm1(x·d)/x (see the module
    docstring), never as a difference of the large terms 1/((1 − p)(2 − p)) and y μ^{1−p}/(1 − p)
    that cancel as p → 1 or 2. y ≥ 0 for p < 2 (y = 0 gives μ^{2−p}/(2 − p)), y > 0 for p ≥ 2.
    Convex in s for p ≤ 2; for p > 2 the Hessian is negative where μ > y(p − 1)/(p − 2)
    (``info`` reports the instance's properties).

    ``power="auto"`` fits p on the training rows by `tweedie_power` (the slope of log variance on
    log mean over bins of a Poisson GLM's fitted means; it needs the features).

    Estimates the conditional **mean**. Scaling: sklearn's ``HalfTweedieLoss(power=p)`` plus its
    ``constant_to_optimal_zero`` (any p; it switches formulas at exactly p = 0, 1, 2, so it is
    discontinuous in p); ``sklearn.metrics.mean_tweedie_deviance`` is twice ours. XGBoost's
    ``reg:tweedie`` and LightGBM's ``tweedie`` (``tweedie_variance_power`` ∈ [1, 2)) have this
    gradient; their Hessian is the same expression. PyTorch, Keras and optax have none.

    Examples
    --------
    >>> import losslab, math
    >>> tw = losslab.get("tweedie", power=1.5)
    >>> tw([0.0, 4.0], [0.0, math.log(4.0)], reduction="none").tolist()
    [2.0, 0.0]
    >>> p1 = losslab.get("tweedie", power=1.0 + 1e-12)  # continuous at p = 1
    >>> float(abs(p1([3.0], [0.5]) - losslab.get("poisson")([3.0], [0.5]))) < 1e-11
    True
    """

    name = "tweedie"
    aliases = ("tweedie_deviance", "half_tweedie")
    PARAMS = (
        Param(
            "power",
            1.5,
            "variance power p: 1 Poisson, (1, 2) compound Poisson-Gamma, 2 Gamma, 3 inverse Gaussian",
            interval=Interval(1.0, math.inf, True, False),
            fit=tweedie_power,
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
        zero_at_perfect=False,
        roles=((ParamRole.VARIANCE_POWER, "power"),),
        equivalences=(
            Equivalence("poisson", when=(("power", 1.0),)),
            Equivalence("gamma", when=(("power", 2.0),)),
        ),
        anchors=(
            AnchorRow(
                (
                    "y^{2−p}/((1−p)(2−p)) − yμ^{1−p}/(1−p) + μ^{2−p}/(2−p) (μ^{1−p}(μ − y)), "
                    "continuous at p = 1 (`poisson`) and 2 (`gamma`); Hessian indefinite for p > 2"
                ),
                (
                    Anchor(
                        Library.SKLEARN,
                        None,
                        (
                            "`HalfTweedieLoss(power)` + constant: same (but discontinuous at p = 1, 2); "
                            "`mean_tweedie_deviance`: 2× (XGBoost/LightGBM `tweedie`, p ∈ [1, 2): same)"
                        ),
                    ),
                ),
                params="(p ∈ [1, ∞))",
            ),
        ),
        references=(
            "Tweedie, M. C. K. (1984). An index which distinguishes between some important "
            "exponential families. Indian Statistical Institute Golden Jubilee Conference.",
            "Jørgensen, B. (1987). Exponential dispersion models. JRSS B 49(2).",
        ),
    )

    @property
    def _power(self) -> float:
        return self.power

    def _info(self) -> LossInfo:
        p = self.power
        y_true = NONNEGATIVE if p < 2.0 else replace(POSITIVE, note=f"(power {p:g} >= 2)")
        return replace(
            self.INFO,
            y_true=y_true,
            convex=p <= 2.0,
            hessian=HessianKind.EXACT if p <= 2.0 else HessianKind.INDEFINITE,
        )
