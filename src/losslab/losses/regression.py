"""Regression losses on real targets: squared, absolute, Huber, squared-log and pinball."""

from __future__ import annotations

import math
from typing import Any

from .._core import Interval, Loss, LossInfo, Param, register
from .._core import special as sp
from .._core.domains import REAL, Domain, DomainKind
from .._core.info import Anchor, AnchorRow, Equivalence, HessianKind, Library, ParamRole, Task
from .._core.params import robust_delta
from .._core.statistic import Statistic
from ..links import IDENTITY

__all__ = ["MAE", "MAPE", "MSE", "MSLE", "Expectile", "Huber", "Quantile", "SmoothL1"]

POSITIVE = Interval(0.0, math.inf, False, False)
NONNEGATIVE = Interval(0.0, math.inf, True, False)
UNIT_OPEN = Interval(0.0, 1.0, False, False)
ABOVE_MINUS_ONE = Domain(DomainKind.REAL, Interval(-1.0, math.inf, False, False))
NONZERO_DIVISOR = Domain(DomainKind.NONZERO, excluded=(0.0,), note="(MAPE divides by |y_true|)")


@register
class MSE(Loss):
    r"""Mean squared error.

    .. math::

        \ell(y, f) = (f - y)^2, \qquad
        \frac{\partial\ell}{\partial f} = 2(f - y), \qquad
        \frac{\partial^2\ell}{\partial f^2} = 2.

    Estimates the conditional **mean**. Scaling: the full square, as ``torch.nn.MSELoss`` and
    ``keras.losses.MeanSquaredError``; scikit-learn's ``HalfSquaredError``, optax's ``l2_loss``
    and XGBoost's ``reg:squarederror`` gradient use half of it (gradient ``f − y``, Hessian 1).

    Examples
    --------
    >>> import losslab
    >>> mse = losslab.get("mse")
    >>> float(mse([1.0, 2.0], [1.5, 2.0]))
    0.125
    >>> mse.gradient([1.0, 2.0], [1.5, 2.0]).tolist()
    [1.0, 0.0]
    """

    name = "mse"
    aliases = ("squared_error", "l2", "mean_squared_error")
    link = IDENTITY
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.MEAN,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        zero_at_perfect=True,
        variance_power=0.0,
        anchors=(
            AnchorRow(
                "r² (2r)",
                (
                    Anchor(Library.PYTORCH, "MSELoss", "same"),
                    Anchor(Library.KERAS, "MeanSquaredError", "same"),
                    Anchor(Library.OPTAX, "squared_error", "same; `l2_loss`: r²/2"),
                    Anchor(
                        Library.SKLEARN, "HalfSquaredError", "r²/2 (r); metric `mean_squared_error`: same"
                    ),
                ),
            ),
        ),
        references=("Gauss, C. F. (1809). Theoria motus corporum coelestium.",),
    )

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        r = f - t
        return r * r

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        r = f - t
        r *= 2.0  # in place: one array
        return r

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.full_like(f, 2.0)

    _value_propagates = frozenset({"y_true", "y_pred"})

    def _value_gradient(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        r = f - t  # once for both
        return r * r, 2.0 * r

    def _total_gradient(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        # one array in forward (r², squared in place); in backward r again, times 2·scale in
        # place (measured: an array fewer beats the pass saved; PyTorch's own mse_loss with
        # reduction="sum" was slower here)
        r = f - t
        r *= r

        def gradient(scale: Any, f: Any, t: Any) -> Any:
            g = f - t
            g *= 2.0 * scale
            return g

        return xp.sum(r), gradient


@register
class MAE(Loss):
    r"""Mean absolute error.

    .. math::

        \ell(y, f) = |f - y|, \qquad
        \frac{\partial\ell}{\partial f} = \operatorname{sign}(f - y), \qquad
        \frac{\partial^2\ell}{\partial f^2} = 0.

    Estimates the conditional **median**. At the kink f = y the gradient is the minimum-norm
    subgradient, 0 (as ``numpy.sign``); the Hessian is 0 everywhere it exists, so gradient
    boosting needs a Hessian policy (see the GBDT bridges). Same scaling as ``torch.nn.L1Loss``,
    ``keras.losses.MeanAbsoluteError`` and ``sklearn.metrics.mean_absolute_error``.

    Examples
    --------
    >>> import losslab
    >>> float(losslab.get("mae")([0.0, 0.0], [1.0, -3.0]))
    2.0
    """

    name = "mae"
    aliases = ("absolute_error", "l1", "mean_absolute_error")
    link = IDENTITY
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.MEDIAN,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        zero_at_perfect=True,
        anchors=(
            AnchorRow(
                "|r| (sign r, 0 at r = 0)",
                (
                    Anchor(Library.PYTORCH, "L1Loss", "same"),
                    Anchor(Library.KERAS, "MeanAbsoluteError", "same"),
                    Anchor(Library.SKLEARN, None, "`AbsoluteError` (Hessian forced to 1); metric same"),
                ),
            ),
        ),
        references=("Laplace, P.-S. (1774). Mémoire sur la probabilité des causes par les évènements.",),
    )

    _value_propagates = frozenset({"y_true", "y_pred"})

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.abs(f - t)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.sign(f - t)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.zeros_like(f)


@register
class Huber(Loss):
    r"""Huber loss: quadratic for small residuals, linear beyond ``delta``.

    With r = f − y and δ = ``delta``:

    .. math::

        \ell = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\
                             \delta(|r| - \tfrac12\delta) & |r| > \delta \end{cases},\quad
        \frac{\partial\ell}{\partial f} = \operatorname{clip}(r, -\delta, \delta),\quad
        \frac{\partial^2\ell}{\partial f^2} = \mathbb{1}[|r| \le \delta].

    Estimates Huber's M-estimate of location (between the mean and the median); robust to
    outliers beyond δ. Same scaling as ``torch.nn.HuberLoss(delta)`` and ``keras.losses.Huber``;
    ``torch.nn.SmoothL1Loss(beta)`` is this divided by β, and scikit-learn's ``HuberRegressor``
    uses a scale-invariant ε instead of δ. The Hessian at |r| = δ is taken from the quadratic
    side (1).

    Examples
    --------
    >>> import losslab
    >>> h = losslab.get("huber", delta=1.0)
    >>> h([0.0, 0.0], [0.5, 3.0], reduction="none").tolist()
    [0.125, 2.5]
    """

    name = "huber"
    aliases = ("huber_loss",)
    link = IDENTITY
    PARAMS = (
        Param("delta", 1.0, "residual size where the loss turns linear", interval=POSITIVE, fit=robust_delta),
    )
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.HUBER_LOCATION,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.PIECEWISE,
        zero_at_perfect=True,
        roles=((ParamRole.SCALE, "delta"),),
        anchors=(
            AnchorRow(
                "r²/2 for |r| ≤ δ, δ(|r| − δ/2) beyond (clip(r, −δ, δ))",
                (
                    Anchor(Library.PYTORCH, "HuberLoss(delta)", "same; `SmoothL1Loss(beta)` = Huber/β"),
                    Anchor(Library.KERAS, "Huber(delta)", "same"),
                    Anchor(Library.OPTAX, "huber_loss(delta)", "same"),
                    Anchor(Library.SKLEARN, "HuberLoss", "δ from a quantile of |r|"),
                ),
                params="(δ)",
            ),
        ),
        references=(
            "Huber, P. J. (1964). Robust estimation of a location parameter. Ann. Math. Stat. 35(1).",
        ),
    )

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        a = xp.abs(f - t)
        d = self.delta
        # optax's split: quadratic part min(|r|, δ), linear part the rest (no doubled gradient)
        q = xp.minimum(a, xp.full_like(a, d))
        main = 0.5 * q * q + d * (a - q)
        if sp.eager(xp, a) and sp.at_most(xp, a, float(xp.finfo(a.dtype).max)):
            return main  # no f − y overflowed (the common case: one check, not the branch below)
        # where f − y overflows: δ|r| − δ²/2 = 2(δ|r/2| − δ²/4), finite for δ < 1
        over = (d * xp.abs(sp.half_diff(xp, f, t)) - 0.25 * d * d) * 2.0
        return xp.where(xp.isfinite(a), main, over)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        d = self.delta
        return sp.clip_own(xp, f - t, -d, d)

    _value_propagates = frozenset({"y_true", "y_pred"})

    def _total_gradient(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        if not sp.torch_eager(xp, f):
            return super()._total_gradient(xp, t, f)
        # PyTorch's fused huber_loss: |r| < δ ? r²/2 : δ(|r| − δ/2), `_value`'s two branches (the
        # linear one rounded within an ulp or two of it); the gradient is recomputed in backward.
        # When some f − y overflowed (Σ not finite): the kernels and their overflow branch
        import torch

        total = torch.nn.functional.huber_loss(f, t, reduction="sum", delta=self.delta)
        if not math.isfinite(float(total)):
            return super()._total_gradient(xp, t, f)
        return total, None

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.astype(_within(xp, t, f, self.delta), f.dtype)


def _within(xp: Any, t: Any, f: Any, d: float) -> Any:
    """|f − t| ≤ d decided on the exact residual: where the rounded r equals d, the rounding
    error of f − t (TwoSum) says on which side of the kink it lies."""
    r = f - t
    b = r - f
    err = (f - (r - b)) - (t + b)
    a = xp.abs(r)
    return (a < d) | ((a == d) & (r * err <= 0.0))


@register
class SmoothL1(Loss):
    r"""Smooth L1 loss (PyTorch's ``SmoothL1Loss(beta)``): Huber divided by its threshold.

    With r = f − y and β = ``beta``:

    .. math::

        \ell = \begin{cases} \dfrac{r^2}{2\beta} & |r| < \beta \\
                             |r| - \tfrac12\beta & |r| \ge \beta \end{cases},\quad
        \frac{\partial\ell}{\partial f} = \frac{\operatorname{clip}(r, -\beta, \beta)}{\beta},\quad
        \frac{\partial^2\ell}{\partial f^2} = \frac{\mathbb{1}[|r| \le \beta]}{\beta}.

    ``huber(delta=β)`` divided by β (declared equivalent: same minimiser, the gradient scaled),
    so its slope in the tails is 1 whatever β, where Huber's is δ; β = 0 is the absolute error
    (``mae``, with its minimum-norm subgradient 0 at r = 0), as in PyTorch. Estimates Huber's
    M-estimate of location. Used for bounding-box regression (Fast R-CNN). Same as
    ``torch.nn.SmoothL1Loss(beta)`` and ``torch.nn.functional.smooth_l1_loss``.

    Examples
    --------
    >>> import losslab
    >>> s = losslab.get("smooth_l1", beta=0.5)
    >>> s([0.0, 0.0], [0.25, 3.0], reduction="none").tolist()
    [0.0625, 2.75]
    """

    name = "smooth_l1"
    aliases = ("smooth_l1_loss", "smoothl1")
    link = IDENTITY
    PARAMS = (
        Param(
            "beta",
            1.0,
            "residual size where the loss turns linear (0: absolute error)",
            interval=NONNEGATIVE,
            fit=robust_delta,
        ),
    )
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.HUBER_LOCATION,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.PIECEWISE,
        zero_at_perfect=True,
        roles=((ParamRole.SCALE, "beta"),),
        equivalences=(
            Equivalence("mae", when=(("beta", 0.0),)),
            Equivalence("huber", carry=(("delta", "beta"),), factor_param="beta", factor_power=-1.0),
        ),
        anchors=(
            AnchorRow(
                "r²/(2β) for |r| < β, |r| − β/2 beyond (clip(r, −β, β)/β)",
                (
                    Anchor(Library.PYTORCH, "SmoothL1Loss(beta)", "same; β = 0 is `L1Loss`"),
                    Anchor(Library.OPTAX, None, "`huber_loss(delta=β)`/β"),
                ),
                params="(β)",
            ),
        ),
        references=("Girshick, R. (2015). Fast R-CNN. ICCV.",),
    )

    _value_propagates = frozenset({"y_true", "y_pred"})

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        a = xp.abs(f - t)
        b = self.beta
        if b == 0.0:
            return a
        q = xp.minimum(a, xp.full_like(a, b))
        return (0.5 / b) * (q * q) + (a - q)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        b = self.beta
        if b == 0.0:
            return xp.sign(f - t)
        return xp.clip(f - t, -b, b) / b

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        b = self.beta
        if b == 0.0:
            return xp.zeros_like(f)
        return xp.astype(_within(xp, t, f, b), f.dtype) / b


@register
class MSLE(Loss):
    r"""Mean squared logarithmic error.

    With d = log(1 + f) − log(1 + y):

    .. math::

        \ell = d^2,\qquad
        \frac{\partial\ell}{\partial f} = \frac{2d}{1+f},\qquad
        \frac{\partial^2\ell}{\partial f^2} = \frac{2(1-d)}{(1+f)^2}.

    Estimates exp(E[log(1+y)]) − 1, the geometric mean of 1 + y, minus one: suited to targets
    that grow exponentially or whose errors are relative. Requires y > −1 and f > −1 (both are
    checked, never clipped: Keras silently clips negatives to 1e-7). The Hessian is negative
    where d > 1, so the loss is not convex in f (XGBoost's ``reg:squaredlogerror`` floors it).
    d is computed as log1p((f − y)/(1 + y)) when f and y are close, so no digits cancel.
    Same scaling as ``keras.losses.MeanSquaredLogarithmicError`` and
    ``sklearn.metrics.mean_squared_log_error``.

    Examples
    --------
    >>> import losslab, math
    >>> v = float(losslab.get("msle")([0.0], [math.e - 1]))
    >>> round(v, 12)
    1.0
    """

    name = "msle"
    aliases = ("squared_log_error", "mean_squared_logarithmic_error")
    link = IDENTITY
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.GEOMETRIC_MEAN_1P,
        y_true=ABOVE_MINUS_ONE,
        y_pred=ABOVE_MINUS_ONE,
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.INDEFINITE,
        zero_at_perfect=True,
        anchors=(
            AnchorRow(
                "(log1p f − log1p y)²",
                (
                    Anchor(Library.KERAS, "MeanSquaredLogarithmicError", "same, but clips y and f at 1e-7"),
                    Anchor(Library.SKLEARN, None, "metric `mean_squared_log_error`: same (errors on y ≤ −1)"),
                ),
            ),
        ),
        references=("Keras MeanSquaredLogarithmicError; scikit-learn mean_squared_log_error.",),
    )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        import numpy as np

        rng = np.random.default_rng(seed)
        return np.expm1(rng.normal(1.0, 1.0, n)), np.expm1(rng.normal(1.0, 1.0, n))

    @staticmethod
    def _log_ratio(xp: Any, t: Any, f: Any) -> Any:
        one_t = 1.0 + t
        diff = f - t
        near = xp.abs(diff) <= 0.5 * one_t
        safe = xp.where(near, diff / one_t, xp.zeros_like(diff))
        return xp.where(near, xp.log1p(safe), xp.log1p(f) - xp.log1p(t))

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        d = self._log_ratio(xp, t, f)
        return d * d

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return 2.0 * self._log_ratio(xp, t, f) / (1.0 + f)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        one_f = 1.0 + f
        # (2/(1+f)) * ((1-d)/(1+f)) avoids overflowing (1+f)**2 for f near -1
        return (2.0 / one_f) * ((1.0 - self._log_ratio(xp, t, f)) / one_f)

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        d = self._log_ratio(xp, t, f)
        one_f = 1.0 + f
        return 2.0 * d / one_f, (2.0 / one_f) * ((1.0 - d) / one_f)


@register
class Quantile(Loss):
    r"""Quantile (pinball) loss at level τ = ``quantile``.

    With r = y − f:

    .. math::

        \ell = \max(\tau r, (\tau - 1) r),\qquad
        \frac{\partial\ell}{\partial f} = \begin{cases} -\tau & f < y \\ 0 & f = y \\
                                                      1 - \tau & f > y\end{cases},\qquad
        \frac{\partial^2\ell}{\partial f^2} = 0.

    Estimates the conditional **τ-quantile**; τ = 0.5 gives half the absolute error. At the kink
    f = y the gradient is the minimum-norm subgradient, 0 (LightGBM uses 1 − τ there). Same
    scaling as ``sklearn.metrics.mean_pinball_loss(alpha=τ)``; no deep-learning framework has it.

    Examples
    --------
    >>> import losslab
    >>> q = losslab.get("quantile", quantile=0.9)
    >>> q([10.0, 10.0], [8.0, 12.0], reduction="none").tolist()
    [1.8, 0.19999999999999996]
    """

    name = "quantile"
    aliases = ("pinball", "pinball_loss", "quantile_loss")
    link = IDENTITY
    PARAMS = (Param("quantile", 0.5, "the level τ of the quantile to estimate", interval=UNIT_OPEN),)
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.QUANTILE,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        zero_at_perfect=True,
        roles=((ParamRole.LEVEL, "quantile"),),
        equivalences=(Equivalence("mae", when=(("quantile", 0.5),), factor=0.5),),
        anchors=(
            AnchorRow(
                "max(τ(y − f), (τ − 1)(y − f))",
                (Anchor(Library.SKLEARN, None, "`PinballLoss`, `mean_pinball_loss(alpha=τ)`: same"),),
                params="(τ)",
            ),
        ),
        references=("Koenker, R. & Bassett, G. (1978). Regression quantiles. Econometrica 46(1).",),
    )

    _value_propagates = frozenset({"y_true", "y_pred"})

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        r = t - f
        tau = self.quantile
        h = sp.half_diff(xp, t, f)  # r/2, finite where r overflows
        over = 2.0 * xp.maximum(tau * h, (tau - 1.0) * h)
        return xp.where(xp.isfinite(r), xp.maximum(tau * r, (tau - 1.0) * r), over)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        tau = self.quantile  # 1 − τ above the target, −τ below, 0 at it (masks, not where)
        return (1.0 - tau) * sp.mask(xp, f > t, f) - tau * sp.mask(xp, f < t, f)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.zeros_like(f)


@register
class Expectile(Loss):
    r"""Expectile loss (asymmetric squared error) at level τ = ``expectile``.

    With r = y − f and w = |τ − 1[y < f]| (τ where the prediction is below the target,
    1 − τ where it is above):

    .. math::

        \ell = w\,r^2,\qquad
        \frac{\partial\ell}{\partial f} = -2w\,r = 2w\,(f - y),\qquad
        \frac{\partial^2\ell}{\partial f^2} = 2w.

    Estimates the conditional **τ-expectile**, the squared-error analogue of the quantile
    (τ = 0.5 gives the mean, at half the ``mse`` scale). The loss is convex and once
    differentiable; its Hessian jumps from 2τ (f ≤ y) to 2(1 − τ) (f > y) at f = y, where the
    value 2τ is reported. Scaling: XGBoost's ``reg:expectileerror`` (``expectile_alpha`` = τ,
    XGBoost ≥ 3.4) uses half of these derivatives (gradient w(f − y), Hessian w) and the weight
    1 − τ at f = y; sklearn, PyTorch, Keras, optax and LightGBM have no expectile loss.

    Examples
    --------
    >>> import losslab
    >>> e = losslab.get("expectile", expectile=0.9)
    >>> e([10.0, 10.0], [8.0, 12.0], reduction="none").round(12).tolist()
    [3.6, 0.4]
    >>> e.gradient([10.0, 10.0], [8.0, 12.0]).round(12).tolist()
    [-3.6, 0.4]
    """

    name = "expectile"
    aliases = ("expectile_loss", "asymmetric_squared_error")
    link = IDENTITY
    PARAMS = (Param("expectile", 0.5, "the level τ of the expectile to estimate", interval=UNIT_OPEN),)
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.EXPECTILE,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=False,
        robust=False,
        hessian=HessianKind.EXACT,
        zero_at_perfect=True,
        roles=((ParamRole.LEVEL, "expectile"),),
        equivalences=(Equivalence("mse", when=(("expectile", 0.5),), factor=0.5),),
        anchors=(
            AnchorRow(
                "|τ − 1[y < f]|·r² (2|τ − 1[y < f]|·r); τ = 0.5 is `mse`/2; Hessian 2τ at r = 0",
                (
                    Anchor(
                        Library.SKLEARN,
                        None,
                        (
                            "— (XGBoost ≥ 3.4 `reg:expectileerror`: gradient and Hessian ×½, weight 1 − τ at "
                            "r = 0)"
                        ),
                    ),
                ),
                params="(τ)",
            ),
        ),
        references=(
            "Newey, W. K. & Powell, J. L. (1987). Asymmetric least squares estimation and testing. "
            "Econometrica 55(4).",
        ),
    )

    def _weight(self, xp: Any, t: Any, f: Any) -> Any:
        tau = self.expectile
        above = sp.mask(xp, t < f, f)
        return (1.0 - tau) * above + tau * (1.0 - above)

    _value_propagates = frozenset({"y_true", "y_pred"})

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        a = xp.abs(f - t)
        return (self._weight(xp, t, f) * a) * a  # w·|r| first: no overflow unless the value does

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        r = f - t
        w = self._weight(xp, t, f)
        # 2w·r = 4w·(r/2) where r overflows (finite for w < ¼·max/|r/2|)
        return xp.where(xp.isfinite(r), 2.0 * w * r, (w * sp.half_diff(xp, f, t)) * 4.0)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return 2.0 * self._weight(xp, t, f)


@register
class MAPE(Loss):
    r"""Mean absolute percentage error, as a fraction (not ×100).

    .. math::

        \ell = \frac{|f - y|}{|y|},\qquad
        \frac{\partial\ell}{\partial f} = \frac{\operatorname{sign}(f - y)}{|y|},\qquad
        \frac{\partial^2\ell}{\partial f^2} = 0.

    Requires y ≠ 0 (checked: Keras and scikit-learn silently divide by max(|y|, ε)). Minimising
    it does **not** estimate the median: the best constant is the median of y reweighted by
    1/|y|, which for positive targets lies below the median — MAPE is biased low, rewarding
    under-prediction (a prediction of 0 never costs more than 1 per sample, an over-prediction
    costs without bound). At f = y the gradient is the subgradient 0; the Hessian is 0 wherever
    it exists. Scaling: ×1 like ``sklearn.metrics.mean_absolute_percentage_error`` and
    LightGBM's ``mape`` objective (which divides by max(1, |y|)); ``keras.losses.
    MeanAbsolutePercentageError`` is ×100. PyTorch and optax have none.

    Examples
    --------
    >>> import losslab
    >>> m = losslab.get("mape")
    >>> m([100.0, -4.0], [90.0, -5.0], reduction="none").tolist()
    [0.1, 0.25]
    """

    name = "mape"
    aliases = ("mean_absolute_percentage_error", "absolute_percentage_error")
    link = IDENTITY
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.RELATIVE_MEDIAN,
        y_true=NONZERO_DIVISOR,
        y_pred=REAL,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        zero_at_perfect=True,
        anchors=(
            AnchorRow(
                "|r|/|y| (sign r/|y|), y = 0 is an error; biased low",
                (
                    Anchor(Library.KERAS, "MeanAbsolutePercentageError", "×100, |y| floored at 1e-7"),
                    Anchor(
                        Library.SKLEARN,
                        "mean_absolute_percentage_error",
                        "same, |y| floored at eps (LightGBM `mape` divides by max(1, |y|))",
                    ),
                ),
            ),
        ),
        references=(
            "de Myttenaere, A., Golden, B., Le Grand, B. & Rossi, F. (2016). Mean absolute percentage "
            "error for regression models. Neurocomputing 192.",
            "Tofallis, C. (2015). A better measure of relative prediction accuracy for model selection "
            "and model estimation. J. Oper. Res. Soc. 66(8).",
        ),
    )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        import numpy as np

        rng = np.random.default_rng(seed)
        y = np.exp(rng.normal(1.0, 0.5, n))
        return y, y + rng.normal(0.0, 1.0, n)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        x = f - t
        # where f − y overflows, |f/2 − y/2|/|y|·2 (the value may be finite)
        half = xp.abs(sp.half_diff(xp, f, t))
        return xp.where(xp.isfinite(x), xp.abs(x) / xp.abs(t), (half / xp.abs(t)) * 2.0)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.sign(f - t) / xp.abs(t)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.zeros_like(f)
