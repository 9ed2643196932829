"""Robust regression losses: log-cosh, pseudo-Huber, Barron's general robust loss, Fair, and the
ε-insensitive losses of support vector regression.

Each kernel picks, per entry, the branch of its formula that neither cancels nor overflows, and
feeds the branch it does not take a harmless input, so that no inf/NaN of a discarded branch
reaches a value or an autodiff gradient (the ``xp.where`` pitfall).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from .._core import Interval, Loss, LossInfo, Param, register
from .._core import special as sp
from .._core.domains import REAL
from .._core.info import Anchor, AnchorRow, Equivalence, HessianKind, Library, ParamRole, Task
from .._core.params import HUBER_K, robust_delta
from .._core.statistic import Statistic
from ..links import IDENTITY

__all__ = [
    "Barron",
    "EpsilonInsensitive",
    "Fair",
    "LogCosh",
    "PseudoHuber",
    "SquaredEpsilonInsensitive",
    "fair_scale",
]

POSITIVE = Interval(0.0, math.inf, False, False)
EXTENDED_REALS = Interval(-math.inf, math.inf, True, True)
LOG2 = math.log(2.0)


@register
class LogCosh(Loss):
    r"""Log-cosh loss: quadratic near zero, linear in the tails.

    With r = f − y:

    .. math::

        \ell = \log\cosh r = \operatorname{logaddexp}(r, -r) - \log 2,\qquad
        \frac{\partial\ell}{\partial f} = \tanh r,\qquad
        \frac{\partial^2\ell}{\partial f^2} = 1 - \tanh^2 r = \frac{4e^{-2|r|}}{(1 + e^{-2|r|})^2}.

    Estimates an M-estimate of location between the mean and the median (ℓ ≈ r²/2 for small r,
    |r| − log 2 for large r); robust, like Huber with δ = 1, but twice differentiable. The value
    is log1p(2 sinh²(r/2)) for |r| < 1 (no cancellation of log 2 against log(e^r + e^{−r}) as
    r → 0, so tiny residuals keep their r²/2) and |r| + log1p(e^{−2|r|}) − log 2 beyond; the
    Hessian is written through e^{−2|r|} so it never forms 1 − tanh² (which is 0 in float32
    from |r| ≈ 9, and NaN-prone at |r| = 1e4 elsewhere).

    Same scaling as ``keras.losses.LogCosh`` and ``optax.losses.log_cosh`` (Keras averages over
    the last axis first; PyTorch has no log-cosh loss).

    Examples
    --------
    >>> import losslab
    >>> lc = losslab.get("log_cosh")
    >>> [float(f"{v:.15g}") for v in lc([0.0, 0.0], [1e-8, 1e4], reduction="none")]
    [5e-17, 9999.30685281944]
    >>> float(lc.hessian([0.0], [30.0])[0])
    3.502604305078608e-26
    """

    name = "log_cosh"
    aliases = ("logcosh",)
    link = IDENTITY
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.M_ESTIMATE,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=True,
        robust=True,
        hessian=HessianKind.EXACT,
        zero_at_perfect=True,
        anchors=(
            AnchorRow(
                "log cosh r (tanh r); Hessian 4e^{−2|r|}/(1 + e^{−2|r|})², never 1 − tanh²",
                (
                    Anchor(Library.KERAS, "LogCosh", "same"),
                    Anchor(Library.OPTAX, "log_cosh", "same (returns 0 for |r| ≲ 1e-8, losslab r²/2)"),
                ),
            ),
        ),
        references=(
            "Chen, P., Chen, G. & Zhang, S. (2019). Log hyperbolic cosine loss improves variational "
            "auto-encoder. ICLR (OpenReview).",
            "Keras LogCosh; optax.losses.log_cosh.",
        ),
    )

    _value_propagates = frozenset({"y_true", "y_pred"})

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        a = xp.abs(f - t)
        small = a < 1.0
        a_small = xp.where(small, a, xp.zeros_like(a))
        a_large = xp.where(small, xp.ones_like(a), a)
        sh = xp.sinh(0.5 * a_small)
        near = xp.log1p(2.0 * sh * sh)
        far = (a_large - LOG2) + xp.log1p(xp.exp(-2.0 * a_large))
        return xp.where(small, near, far)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.tanh(f - t)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return 4.0 * sp.sigmoid_pair_product(xp, 2.0 * (f - t))


@register
class PseudoHuber(Loss):
    r"""Pseudo-Huber loss (Charbonnier loss): a smooth Huber with slope ``delta`` in the tails.

    With r = f − y and δ = ``delta``:

    .. math::

        \ell = \delta^2\Big(\sqrt{1 + (r/\delta)^2} - 1\Big),\qquad
        \frac{\partial\ell}{\partial f} = \frac{r}{\sqrt{1 + (r/\delta)^2}},\qquad
        \frac{\partial^2\ell}{\partial f^2} = \Big(1 + (r/\delta)^2\Big)^{-3/2}.

    Estimates an M-estimate of location between the mean (ℓ ≈ r²/2 for |r| ≪ δ) and the
    median (ℓ ≈ δ|r| for |r| ≫ δ). The value is computed as δ|r|·q with
    q = (|r|/δ)/(1 + √(1 + (r/δ)²)) for |r| ≤ δ and q = 1/(u + √(1 + u²)), u = δ/|r|, beyond:
    no cancellation of √(1 + x²) − 1 for small r, no overflow of (r/δ)² for huge r (the value
    is finite up to |r| = 1.8e308/δ).

    Same scaling as XGBoost's ``reg:pseudohubererror`` (``huber_slope`` = δ), whose gradient
    and Hessian are these; LightGBM's ``huber`` is the non-smooth Huber with Hessian 1.
    PyTorch, Keras, optax and scikit-learn have no pseudo-Huber loss. ``barron`` with
    α = 1 and scale c is this loss with δ = c divided by c².

    Examples
    --------
    >>> import losslab
    >>> ph = losslab.get("pseudo_huber", delta=1.0)
    >>> ph([0.0, 0.0, 0.0], [1e-10, 3.0, 1e200], reduction="none").tolist()
    [5e-21, 2.1622776601683795, 1e+200]
    >>> ph.gradient([0.0], [1e200]).tolist()
    [1.0]
    """

    name = "pseudo_huber"
    aliases = ("pseudohuber", "charbonnier", "smooth_huber")
    link = IDENTITY
    PARAMS = (
        Param(
            "delta",
            1.0,
            "slope of the linear tails (and width of the quadratic bowl)",
            interval=POSITIVE,
            fit=robust_delta,
        ),
    )
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.M_ESTIMATE,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=True,
        robust=True,
        hessian=HessianKind.EXACT,
        zero_at_perfect=True,
        roles=((ParamRole.SCALE, "delta"),),
        anchors=(
            AnchorRow(
                "δ²(√(1 + (r/δ)²) − 1) (r/√(1 + (r/δ)²))",
                (
                    Anchor(
                        Library.SKLEARN,
                        None,
                        "— (XGBoost `reg:pseudohubererror`, `huber_slope` = δ: same gradient and Hessian)",
                    ),
                ),
                params="(δ)",
            ),
        ),
        references=(
            "Charbonnier, P., Blanc-Féraud, L., Aubert, G. & Barlaud, M. (1994). Two deterministic "
            "half-quadratic regularization algorithms for computed imaging. ICIP.",
            "Hartley, R. & Zisserman, A. (2003). Multiple View Geometry, 2nd ed., appendix A6.8.",
        ),
    )

    def _split(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any, Any, Any]:
        """(r, big, x = |r|/δ on the small side, u = δ/|r| on the big side), branch-safe."""
        d = self.delta
        r = f - t
        a = xp.abs(r)
        big = a > d
        x = xp.where(big, xp.zeros_like(a), a) / d
        u = d / xp.where(big, a, xp.full_like(a, d))
        return r, big, x, u

    _value_propagates = frozenset({"y_true", "y_pred"})

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        r, big, x, u = self._split(xp, t, f)
        q_small = x / (1.0 + xp.sqrt(1.0 + x * x))
        q_big = 1.0 / (u + xp.sqrt(1.0 + u * u))
        q = xp.where(big, q_big, q_small)
        # where r = f − y overflows, δ|r|·q as 2·(δ|r/2|·q): finite for δ < 1
        over = ((self.delta * xp.abs(sp.half_diff(xp, f, t))) * q) * 2.0
        return xp.where(xp.isfinite(r), (self.delta * xp.abs(r)) * q, over)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        r, big, x, u = self._split(xp, t, f)
        g_small = xp.where(big, xp.zeros_like(r), r) / xp.sqrt(1.0 + x * x)
        g_big = xp.sign(r) * (self.delta / xp.sqrt(1.0 + u * u))
        return xp.where(big, g_big, g_small)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        _, big, x, u = self._split(xp, t, f)
        s = 1.0 + x * x
        h_small = 1.0 / (s * xp.sqrt(s))
        q = u / xp.sqrt(1.0 + u * u)
        return xp.where(big, q * q * q, h_small)


@register
class Barron(Loss):
    r"""Barron's general and adaptive robust loss ρ(x, α, c) with shape α and scale c.

    With x = f − y, c = ``scale``, α = ``alpha``, z = (x/c)² and b = |α − 2|:

    .. math::

        \rho = \frac{b}{\alpha}\left(\Big(\frac{z}{b} + 1\Big)^{\alpha/2} - 1\right),\qquad
        \frac{\partial\rho}{\partial f} = \frac{x}{c^2}\Big(\frac{z}{b} + 1\Big)^{\alpha/2 - 1},

        \frac{\partial^2\rho}{\partial f^2} = \frac{1}{c^2}\Big(\frac{z}{b} + 1\Big)^{\alpha/2 - 2}
            \Big(1 + (\alpha - 1)\frac{z}{b}\Big),

    with the limits ρ = z/2 at α = 2 (scaled L2), log(1 + z/2) at α = 0 (Cauchy/Lorentzian),
    1 − e^{−z/2} at α = −∞ (Welsch/Leclerc) and e^{z/2} − 1 at α = +∞. α = 1 is the
    pseudo-Huber/Charbonnier loss √(z + 1) − 1, α = −2 Geman–McClure 2z/(z + 4).

    The family is evaluated as ρ = b·(L/2)·expm1(u)/u with L = log1p(z/b) and u = αL/2, which
    is exact through α → 0 (no 0/0) and α → 2 (z/b is large but L and u stay moderate), so ρ is
    continuous in α to the last digit; log1p(z/b) is split as 2 log(|x|/c) − log b +
    log1p(b/z) when z > b, so no (x/c)² overflows. The paper's reference implementation
    (``robust_loss``) instead clamps |α| and |α − 2| to float32's epsilon, which is inexact
    within 1e-7 of those values. α is a fixed hyper-parameter here (the adaptive version learns
    α through the distribution's log-partition function, which this loss does not include).

    Robust (bounded influence) for α ≤ 1; convex in f for α ≥ 1; its Hessian is negative for
    |x| > c·√(b/(1 − α)) when α < 1 (``info`` reports the instance's properties). Estimates an
    M-estimate of location; the mean at α = 2. ``barron(alpha=2, scale=c)`` is ``mse``/(2c²).
    No other library in PyTorch, Keras, optax, scikit-learn, XGBoost or LightGBM has it (kornia
    has the special cases Cauchy, Charbonnier, Geman–McClure and Welsch).

    Examples
    --------
    >>> import losslab
    >>> cauchy = losslab.get("barron", alpha=0.0, scale=1.0)
    >>> cauchy([0.0, 0.0], [2.0, 1e8], reduction="none").round(12).tolist()
    [1.098612288668, 36.148214307345]
    >>> near = losslab.get("barron", alpha=1e-12, scale=1.0)
    >>> round(float(near([0.0], [2.0])), 12)  # continuous in alpha
    1.098612288669
    """

    name = "barron"
    aliases = ("general_robust", "barron_robust", "adaptive_robust")
    link = IDENTITY
    PARAMS = (
        Param(
            "alpha",
            1.0,
            "shape: 2 = L2, 1 = pseudo-Huber, 0 = Cauchy, -inf = Welsch",
            interval=EXTENDED_REALS,
        ),
        Param("scale", 1.0, "scale c of the quadratic bowl around x = 0", interval=POSITIVE),
    )
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.M_ESTIMATE,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=True,
        robust=True,
        hessian=HessianKind.EXACT,
        zero_at_perfect=True,
        roles=((ParamRole.SHAPE, "alpha"), (ParamRole.SCALE, "scale")),
        equivalences=(
            Equivalence("mse", when=(("alpha", 2.0),), factor=0.5, factor_param="scale", factor_power=-2.0),
            Equivalence(
                "pseudo_huber",
                when=(("alpha", 1.0),),
                carry=(("delta", "scale"),),
                factor_param="scale",
                factor_power=-2.0,
            ),
        ),
        anchors=(
            AnchorRow(
                (
                    "(b/α)(((r/c)²/b + 1)^{α/2} − 1), b = |α − 2|, limits at α = 2, 0, ±∞; α = 2 is "
                    "`mse`/(2c²), α = 1 is `pseudo_huber`(δ = c)/c²; Hessian indefinite for α < 1"
                ),
                params="(α, c)",
            ),
        ),
        references=(
            "Barron, J. T. (2019). A general and adaptive robust loss function. CVPR, eq. (1)-(3).",
            "google-research/google-research robust_loss/general.py (reference implementation).",
        ),
    )

    def _info(self) -> LossInfo:
        alpha = self.alpha
        return dataclasses.replace(
            self.INFO,
            statistic=Statistic.MEAN if alpha == 2.0 else self.INFO.statistic,
            convex=alpha >= 1.0,
            robust=alpha <= 1.0,
            hessian=HessianKind.EXACT if alpha >= 1.0 else HessianKind.INDEFINITE,
        )

    # -- shared pieces --------------------------------------------------------------------
    def _log1p_zb(self, xp: Any, a: Any, log_a: Any) -> tuple[Any, Any, Any]:
        """(L = log1p(a²/b), small = a² ≤ b, R = (1 + (α−1)s)/(1 + s) with s = a²/b)."""
        b = abs(self.alpha - 2.0)
        am1 = self.alpha - 1.0
        a2 = a * a
        small = a2 <= b
        a2_small = xp.where(small, a2, xp.zeros_like(a2))
        a_big = xp.where(small, xp.ones_like(a), a)
        inv_s = b / (a_big * a_big)  # 0 when a² overflows
        L_small = xp.log1p(a2_small / b)
        L_big = (2.0 * xp.where(small, xp.zeros_like(a), log_a) - math.log(b)) + xp.log1p(inv_s)
        # (b + (α−1)a²)/(b + a²): no rounding of s = a²/b before the cancellation near the root
        R_small = (b + am1 * a2_small) / (b + a2_small)
        R_big = (inv_s + am1) / (inv_s + 1.0)
        return xp.where(small, L_small, L_big), small, xp.where(small, R_small, R_big)

    def _scaled(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        c = self.scale
        x = f - t
        return x, xp.abs(x) / c

    def _log_a(self, xp: Any, t: Any, f: Any, a: Any) -> Any:
        """log a = log(|f − y|/c), also where f − y or |f − y|/c overflows (ρ grows like a^α)."""
        over = ~xp.isfinite(a)
        a_fin = xp.where(over, xp.ones_like(a), a)
        half = xp.where(over, xp.abs(sp.half_diff(xp, f, t)), xp.ones_like(a))
        return xp.where(over, xp.log(half) + (math.log(2.0) - math.log(self.scale)), xp.log(a_fin))

    # -- kernels --------------------------------------------------------------------------
    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        alpha = self.alpha
        _, a = self._scaled(xp, t, f)
        if alpha == 2.0:
            return 0.5 * (a * a)
        if alpha == -math.inf:
            return -xp.expm1(-0.5 * (a * a))
        if alpha == math.inf:
            return xp.expm1(0.5 * (a * a))
        b = abs(alpha - 2.0)
        L, _, _ = self._log1p_zb(xp, a, self._log_a(xp, t, f, a))
        u = (0.5 * alpha) * L
        moderate = xp.abs(u) <= 1.0
        u_mod = xp.where(moderate & (u != 0.0), u, xp.ones_like(u))
        rel = xp.where(u == 0.0, xp.ones_like(u), xp.expm1(u_mod) / u_mod)  # expm1(u)/u
        near = (b * 0.5) * L * rel
        if alpha == 0.0:
            return near  # u = 0
        # |u| > 1: (b/α)·expm1(u); for u > 1 as exp(log(b/α) + log(e^u − 1)), finite wherever ρ is
        up = u > 1.0
        u_up = xp.where(up, u, xp.ones_like(u))
        u_down = xp.where(up | moderate, -xp.ones_like(u), u)
        far_up = xp.exp((math.log(b) - math.log(abs(alpha))) + u_up + xp.log(-xp.expm1(-u_up)))
        far_down = (b / alpha) * xp.expm1(u_down)
        return xp.where(moderate, near, xp.where(up, far_up, far_down))

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        alpha, c = self.alpha, self.scale
        x, a = self._scaled(xp, t, f)
        xc = (x / c) / c
        if alpha == 2.0:
            return xc
        if alpha == -math.inf:  # e^{−a²/2} = 0 times an overflowed x/c² is 0
            return sp.xmul(xp, xp.exp(-0.5 * (a * a)), xc)
        if alpha == math.inf:
            return xc * xp.exp(0.5 * (a * a))
        log_a = self._log_a(xp, t, f, a)
        L, _, _ = self._log1p_zb(xp, a, log_a)
        e = (0.5 * alpha - 1.0) * L
        # x/c²·e^e as a product while e^e is in range; else as sign(x)·exp(log(|x|/c) − log c + e),
        # so that a huge |x| times a vanishing power keeps its finite product
        direct = (xp.abs(e) <= (700.0 if f.dtype == xp.float64 else 80.0)) & xp.isfinite(a)
        e_direct = xp.where(direct, e, xp.zeros_like(e))
        e_log = xp.where(direct, xp.zeros_like(e), e)
        via_log = xp.sign(x) * xp.exp((xp.where(direct, xp.zeros_like(a), log_a) - math.log(c)) + e_log)
        return xp.where(direct, ((x / c) * xp.exp(e_direct)) / c, via_log)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        alpha, c = self.alpha, self.scale
        _, a = self._scaled(xp, t, f)
        if alpha == 2.0:
            return xp.full_like(a, (1.0 / c) / c)
        if alpha == -math.inf:
            z = xp.minimum(a * a, xp.full_like(a, 4096.0))
            return ((1.0 - z) * xp.exp(-0.5 * z)) / c / c
        if alpha == math.inf:
            z = a * a
            return ((1.0 + z) * xp.exp(0.5 * z)) / c / c
        L, _, R = self._log1p_zb(xp, a, self._log_a(xp, t, f, a))
        return (xp.exp((0.5 * alpha - 1.0) * L) * R) / c / c


NON_NEGATIVE = Interval(0.0, math.inf, True, False)


class _EpsilonBase(Loss):
    """Shared declarations of the ε-insensitive losses (scikit-learn's SGD/SVR regression losses)."""

    link = IDENTITY
    PARAMS = (
        Param(
            "epsilon",
            0.1,
            "half-width of the dead zone: residuals |f − y| ≤ ε cost nothing",
            interval=NON_NEGATIVE,
        ),
    )

    def _excess(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        """(r = f − y rounded, max(0, |f − y| − ε) from the exact residual).

        The rounding error of f − y (Knuth's two-sum) is added after ε is subtracted, so a
        residual that rounds onto the edge of the dead zone (y = 3e-300, f = −½, ε = ½) keeps
        its excess.
        """
        r = f - t
        b = r - f
        err = (f - (r - b)) + (-t - b)
        err = xp.where(xp.isfinite(err), err, xp.zeros_like(err))  # r overflowed: nothing to add
        excess = (xp.abs(r) - self.epsilon) + xp.sign(r) * err
        return r, xp.maximum(excess, xp.zeros_like(r))


@register
class EpsilonInsensitive(_EpsilonBase):
    r"""ε-insensitive loss of support vector regression (``SGDRegressor(loss="epsilon_insensitive")``).

    With r = f − y and ε = ``epsilon``:

    .. math::

        \ell = \max(0,\; |r| - \varepsilon),\qquad
        \frac{\partial\ell}{\partial f} = \begin{cases} \operatorname{sign} r & |r| > \varepsilon \\
            0 & |r| \le \varepsilon\end{cases},\qquad
        \frac{\partial^2\ell}{\partial f^2} = 0.

    At the kinks |r| = ε the gradient is 0 (the minimum-norm subgradient, and scikit-learn's
    ``py_dloss``). With ε = 0 it is ``mae`` and estimates the median; with ε > 0 its minimiser
    is a point where P(y > f + ε) = P(y < f − ε) — the centre of a symmetric noise
    distribution, an M-estimate of location in general. Robust (bounded influence), convex.
    Same values and gradients as ``sklearn.linear_model._sgd_fast.EpsilonInsensitive`` and
    ``LinearSVR(loss="epsilon_insensitive")`` per sample.

    Examples
    --------
    >>> import losslab
    >>> eps = losslab.get("epsilon_insensitive", epsilon=0.5)
    >>> eps([0.0, 0.0, 0.0], [0.2, -1.5, 3.0], reduction="none").tolist()
    [0.0, 1.0, 2.5]
    """

    name = "epsilon_insensitive"
    aliases = ("eps_insensitive", "svr")
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.M_ESTIMATE,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        zero_at_perfect=True,
        roles=((ParamRole.TOLERANCE, "epsilon"),),
        equivalences=(Equivalence("mae", when=(("epsilon", 0.0),)),),
        anchors=(
            AnchorRow(
                "max(0, |r| − ε) (sign r outside the dead zone, 0 on it and at its edges)",
                (Anchor(Library.SKLEARN, 'SGDRegressor(loss="epsilon_insensitive")', "same"),),
                params="(ε)",
            ),
        ),
        references=(
            "Vapnik, V. (1995). The Nature of Statistical Learning Theory. Springer, ch. 5.",
            "scikit-learn sklearn/linear_model/_sgd_fast.pyx.tp, class EpsilonInsensitive.",
        ),
    )

    def _info(self) -> LossInfo:
        if self.epsilon == 0.0:
            return dataclasses.replace(self.INFO, statistic=Statistic.MEDIAN)
        return self.INFO

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        return self._excess(xp, t, f)[1]

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        r, e = self._excess(xp, t, f)
        return xp.where(e > 0.0, xp.sign(r), xp.zeros_like(r))

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.zeros_like(f)


@register
class SquaredEpsilonInsensitive(_EpsilonBase):
    r"""Squared ε-insensitive loss (``SGDRegressor(loss="squared_epsilon_insensitive")``).

    With r = f − y and ε = ``epsilon``:

    .. math::

        \ell = \max(0,\; |r| - \varepsilon)^2,\qquad
        \frac{\partial\ell}{\partial f} = 2\operatorname{sign}(r)\max(0,\; |r| - \varepsilon),\qquad
        \frac{\partial^2\ell}{\partial f^2} = \begin{cases} 2 & |r| > \varepsilon \\
            0 & |r| \le \varepsilon\end{cases}.

    Once continuously differentiable; the Hessian jumps from 0 to 2 at |r| = ε and losslab takes
    0 there (the dead zone's side). With ε = 0 it is ``mse`` (the mean); with ε > 0 an
    M-estimate of location that ignores residuals within ε. Same scaling as scikit-learn's
    ``SquaredEpsilonInsensitive`` (no ½) and ``LinearSVR(loss="squared_epsilon_insensitive")``.

    Examples
    --------
    >>> import losslab
    >>> sq = losslab.get("squared_epsilon_insensitive", epsilon=0.5)
    >>> sq([0.0, 0.0, 0.0], [0.2, -1.5, 3.0], reduction="none").tolist()
    [0.0, 1.0, 6.25]
    >>> sq.gradient([0.0], [-1.5]).tolist()
    [-2.0]
    """

    name = "squared_epsilon_insensitive"
    aliases = ("squared_eps_insensitive", "l2_svr")
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.M_ESTIMATE,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=False,
        robust=False,
        hessian=HessianKind.PIECEWISE,
        zero_at_perfect=True,
        roles=((ParamRole.TOLERANCE, "epsilon"),),
        equivalences=(Equivalence("mse", when=(("epsilon", 0.0),)),),
        anchors=(
            AnchorRow(
                "max(0, |r| − ε)² (2 sign(r)·max(0, |r| − ε)); Hessian 2 or 0 (0 at |r| = ε)",
                (Anchor(Library.SKLEARN, 'SGDRegressor(loss="squared_epsilon_insensitive")', "same"),),
                params="(ε)",
            ),
        ),
        references=(
            "Ho, C.-H. & Lin, C.-J. (2012). Large-scale linear support vector regression. JMLR 13.",
            "scikit-learn sklearn/linear_model/_sgd_fast.pyx.tp, class SquaredEpsilonInsensitive.",
        ),
    )

    def _info(self) -> LossInfo:
        if self.epsilon == 0.0:
            return dataclasses.replace(
                self.INFO, statistic=Statistic.MEAN, smooth=True, hessian=HessianKind.EXACT
            )
        return self.INFO

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        e = self._excess(xp, t, f)[1]
        return e * e

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        r, e = self._excess(xp, t, f)
        return 2.0 * xp.sign(r) * e

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        if self.epsilon == 0.0:  # mse: no dead zone, no jump
            return xp.full_like(f, 2.0)
        _, e = self._excess(xp, t, f)
        return xp.where(e > 0.0, xp.full_like(f, 2.0), xp.zeros_like(f))


#: Fair's 95%-efficiency constant under normality (c = 1.3998·σ; Rey 1983)
FAIR_K = 1.3998
#: coefficients of (a − log1p(a))/(2u²) in powers of u = a/(2 + a): 1 for even, (k−1)/k for odd k
_FAIR_SERIES = tuple(1.0 if k % 2 == 0 else (k - 1) / k for k in range(2, 22))
_FAIR_SERIES_A = 0.25  # series for a = |r|/c below this (u < 1/9: 20 terms reach 1e-19)


def fair_scale(y: Any, X: Any = None) -> float:
    """Fair's c = 1.3998·σ̂ (its 95% efficiency under normality), σ̂ the Gaussian-consistent MAD
    of y (the standard deviation when the MAD is 0; 1.3998/1.345 for a constant y); ``X`` is unused.

    >>> import numpy as np
    >>> round(fair_scale(np.array([0.0, 1.0, 2.0, 3.0, 100.0])), 4)
    2.0753
    """
    return FAIR_K / HUBER_K * robust_delta(y, X)


@register
class Fair(Loss):
    r"""Fair loss (LightGBM's ``fair``): quadratic near zero, linear in the tails, C².

    With r = f − y, c = ``c`` and a = |r|/c:

    .. math::

        \ell = c^2\big(a - \log(1 + a)\big) = c|r| - c^2\log\Big(1 + \frac{|r|}{c}\Big),\qquad
        \frac{\partial\ell}{\partial f} = \frac{c\,r}{|r| + c},\qquad
        \frac{\partial^2\ell}{\partial f^2} = \frac{c^2}{(|r| + c)^2}.

    ℓ ≈ r²/2 for |r| ≪ c and c|r| for |r| ≫ c; the gradient is bounded by c (robust), the
    Hessian positive everywhere (strictly convex), and continuous at r = 0 (the third
    derivative is not). An M-estimate of location; c = 1.3998σ gives 95% efficiency under
    Gaussian noise, the rule ``c="auto"`` applies to y. For a < ¼ the value is the series
    2(|r|/(2 + a))²·Σ cₖuᵏ⁻² in u = a/(2 + a) (positive coefficients, no cancellation of a
    against log(1 + a)), beyond it c(|r| − c·log(1 + a)) with log(1 + a) taken as
    log|r| − log c + log1p(c/|r|) for a > 1, so nothing overflows before the value does.

    LightGBM's ``fair`` objective (``fair_c`` = c) has this gradient and Hessian, and its
    ``fair`` metric this value; XGBoost, scikit-learn, PyTorch, Keras and optax have no Fair loss.

    Examples
    --------
    >>> import losslab
    >>> fair = losslab.get("fair", c=1.0)
    >>> [float(f"{v:.15g}") for v in fair([0.0, 0.0, 0.0], [1e-8, 1.0, -1e6], reduction="none")]
    [4.99999996666667e-17, 0.306852819440055, 999986.184488442]
    >>> fair.gradient([0.0], [1.0]).tolist(), fair.hessian([0.0], [1.0]).tolist()
    ([0.5], [0.25])
    """

    name = "fair"
    aliases = ("fair_loss", "regression_fair")
    link = IDENTITY
    PARAMS = (
        Param(
            "c",
            1.0,
            "scale where the loss turns from quadratic to linear (LightGBM's fair_c)",
            interval=POSITIVE,
            fit=fair_scale,
        ),
    )
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.M_ESTIMATE,
        y_true=REAL,
        y_pred=REAL,
        convex=True,
        smooth=True,
        robust=True,
        hessian=HessianKind.EXACT,
        zero_at_perfect=True,
        roles=((ParamRole.SCALE, "c"),),
        anchors=(
            AnchorRow(
                "c|r| − c² log(1 + |r|/c) (c·r/(|r| + c); Hessian c²/(|r| + c)²)",
                (
                    Anchor(
                        Library.SKLEARN, None, "— (LightGBM `fair`, `fair_c` = c: same gradient and Hessian)"
                    ),
                ),
                params="(c)",
            ),
        ),
        references=(
            "Fair, R. C. (1974). On the robust estimation of econometric models. Annals of Economic and "
            "Social Measurement 3(4).",
            "Rey, W. J. J. (1983). Introduction to Robust and Quasi-Robust Statistical Methods. Springer.",
            "LightGBM src/objective/regression_objective.hpp, class RegressionFairLoss.",
        ),
    )

    def _split(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any, Any]:
        """(r, |r|, a = |r|/c)."""
        r = f - t
        ab = xp.abs(r)
        return r, ab, ab / self.c

    _value_propagates = frozenset({"y_true", "y_pred"})

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        c = self.c
        _, ab, a = self._split(xp, t, f)
        series = a < _FAIR_SERIES_A
        a_s = xp.where(series, a, xp.zeros_like(a))
        u = a_s / (2.0 + a_s)
        acc = xp.zeros_like(u)
        for k in reversed(_FAIR_SERIES):
            acc = acc * u + k
        q = xp.where(series, ab, xp.zeros_like(ab)) / (2.0 + a_s)
        near = 2.0 * q * q * acc
        big = a > 1.0
        ab_big = xp.where(big, ab, xp.full_like(ab, c))
        # log|r| also where r = f − y overflows (from r/2), and there c(|r| − cL) = 2c(|r/2| − cL/2)
        fin = xp.isfinite(ab)
        h = xp.abs(sp.half_diff(xp, f, t))
        log_ab = xp.where(fin, xp.log(ab_big), xp.log(xp.where(fin, xp.ones_like(h), h)) + math.log(2.0))
        L = xp.where(
            big,
            (log_ab - math.log(c)) + xp.log1p(c / ab_big),
            xp.log1p(xp.where(big, xp.zeros_like(a), a)),
        )
        far = xp.where(fin, c * (ab - c * L), (2.0 * c) * (h - (0.5 * c) * L))
        return xp.where(series, near, far)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        c = self.c
        r, ab, a = self._split(xp, t, f)
        big = a > 1.0
        small = r / (1.0 + xp.where(big, xp.zeros_like(a), a))
        inv = c / xp.where(big, ab, xp.full_like(ab, c))
        return xp.where(big, xp.sign(r) * (c / (1.0 + inv)), small)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        _, _, a = self._split(xp, t, f)
        q = 1.0 / (1.0 + a)
        return q * q
