r"""Classification losses that bound the pull of mislabelled samples.

Generalized cross-entropy (Zhang & Sabuncu 2018) replaces −log p by the Box–Cox transform
(1 − p^q)/q: q → 0 is cross-entropy, q = 1 is 1 − p (the mean absolute error of the probability
vector, halved). p^q is exp(q·log p) with log p an exact log-softmax, so a confident correct row
keeps its tiny value and gradient, and a masked class (logit −inf) costs nothing.
"""

from __future__ import annotations

from typing import Any

from .._core import Interval, Loss, LossInfo, Param, register
from .._core import special as sp
from .._core.domains import CLASS_TARGET, LOGIT_ROWS
from .._core.info import Anchor, AnchorRow, HessianKind, Library, Task
from .._core.statistic import Statistic
from .._core.validation import report_bad
from ..links import SOFTMAX, unless_probabilities
from ._params import FROM_LOGITS
from .classification import LogitsOrProbabilities, class_targets

__all__ = ["GeneralizedCrossEntropy"]


@register
class GeneralizedCrossEntropy(LogitsOrProbabilities, Loss):
    r"""Generalized cross-entropy (GCE; Zhang & Sabuncu 2018), Keras's
    ``CategoricalGeneralizedCrossEntropy``.

    With z the row of k logits, log p = log_softmax(z), y the true class and q = ``q`` ∈ (0, 1]:

    .. math::

        \ell = \frac{1 - p_y^{\,q}}{q} = -\frac{\operatorname{expm1}(q \log p_y)}{q},\qquad
        \frac{\partial\ell}{\partial z_j} = p_y^{\,q}\,(p_j - [j = y]),

        \frac{\partial^2\ell}{\partial z_y^2} = p_y^{\,q}\,(1 - p_y)\,\bigl(p_y - q\,(1 - p_y)\bigr),
        \qquad
        \frac{\partial^2\ell}{\partial z_j^2} = p_y^{\,q}\,p_j\,\bigl(1 - p_j - q\,p_j\bigr)\quad(j \ne y).

    1 − pⱼ is −expm1(log pⱼ), so the factors near p → 1 keep full relative precision (the
    textbook q·p − q·p² cancels). q → 0 approaches cross-entropy; q = 1 is 1 − p_y. The loss is
    bounded by 1/q, which is what limits a mislabelled sample's pull (the gradient carries the
    factor p_y^q), and is not convex. Its minimiser for class probabilities π is pⱼ ∝ πⱼ^{1/(1−q)}:
    a **distorted** (sharpened) version of the class probabilities.

    With ``from_logits=False`` y_pred rows are probabilities u (Keras's input):
    ℓ = (1 − u_y^q)/q, ∂ℓ/∂u_y = −u_y^{q−1} (−inf at u_y = 0 for q < 1), ∂²ℓ/∂u_y² =
    (1 − q)u_y^{q−2}, and 0 for the other entries. Targets are class indices or one-hot rows.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> gce = losslab.get("generalized_cross_entropy", q=0.5)
    >>> z = np.array([[2.0, 0.0, -1.0]])
    >>> float(gce([0], z).round(6))  # (1 − √p₀)/0.5
    0.162834
    >>> u = np.array([[0.25, 0.75]])
    >>> float(losslab.get("generalized_cross_entropy", from_logits=False)([1], u).round(6))
    0.267949
    """

    name = "generalized_cross_entropy"
    aliases = ("gce", "categorical_generalized_cross_entropy")
    multiclass = True
    PARAMS = (
        Param(
            "q",
            0.5,
            "Box–Cox exponent q of (1 − p^q)/q: towards 0 cross-entropy, 1 the absolute error 1 − p",
            interval=Interval(0.0, 1.0, False, True),
        ),
        FROM_LOGITS,
    )
    INFO = LossInfo(
        task=Task.MULTICLASS,
        statistic=Statistic.DISTORTED_CLASS_PROBABILITIES,
        y_true=CLASS_TARGET,
        y_pred=LOGIT_ROWS,
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.INDEFINITE,
        anchors=(
            AnchorRow(
                "(1 − p_y^q)/q (gradient p_y^q (p − e_y))",
                (
                    Anchor(
                        Library.KERAS,
                        "CategoricalGeneralizedCrossEntropy(q)",
                        "same on probabilities (Keras's input: from_logits=False)",
                    ),
                ),
                params="(q)",
            ),
        ),
        references=(
            "Zhang, Z. & Sabuncu, M. R. (2018). Generalized cross entropy loss for training deep neural "
            "networks with noisy labels. NeurIPS.",
        ),
    )

    link = unless_probabilities(SOFTMAX)

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        t = class_targets(self, xp, y_true, f, check)
        if check and len(y_true.shape) == 2:
            report_bad(self.name, "y_true", t, (t != 0.0) & (t != 1.0), "one-hot rows (0s and a single 1)")
        return t

    def _log_py(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        """log p (or log u) of every entry, and log p_y as an (n, 1) column."""
        if self.from_logits:
            lp = sp.log_softmax(xp, f)
        else:
            lp = xp.log(f)
        zero = xp.zeros_like(lp)
        return lp, xp.sum(xp.where(t == 1.0, lp, zero), axis=1, keepdims=True)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        q = self.q
        _, lpy = self._log_py(xp, t, f)
        return xp.reshape(0.0 - xp.expm1(q * lpy) / q, (-1,))

    def _gradient_hessian(self, xp: Any, t: Any, f: Any, hessian: bool = True) -> tuple[Any, Any]:
        q = self.q
        lp, lpy = self._log_py(xp, t, f)
        yes = t == 1.0
        zero = xp.zeros_like(lp)
        if not self.from_logits:
            # only the true entry depends on u: −u^{q−1} and (1 − q)u^{q−2}, from its log
            # (q = 1: −1 and 0, also at u_y = 0, where (q − 1)·log u would be 0·(−inf))
            lpy_row = xp.where(yes, lp, zero)
            one = xp.ones_like(lp)
            g = xp.where(yes, 0.0 - (xp.exp((q - 1.0) * lpy_row) if q != 1.0 else one), zero)
            if not hessian:
                return g, None
            return g, (xp.where(yes, (1.0 - q) * xp.exp((q - 2.0) * lpy_row), zero) if q != 1.0 else zero)
        c = xp.exp(q * lpy)  # p_y^q
        p = xp.exp(lp)
        em = xp.expm1(lp)  # p − 1, exact as p → 1
        g = c * xp.where(yes, em, p)
        if not hessian:
            return g, None
        r = 0.0 - em
        # the factors p_y − q(1 − p_y) and (1 − pⱼ) − q pⱼ change sign at p_y = q/(1 + q) and
        # pⱼ = 1/(1 + q) ≥ ½ (for q = ½ and three classes the uniform row, for q = 1 a tie of the
        # two top classes); their differences cancel there, so they are taken from
        # S_c = Σ_{i≠c} e^{zᵢ − z_c} (`_others`): p_y(1 − qS_y), and pⱼ(S_j − q) for the two largest
        # other classes (a third has pⱼ ≤ ⅓, where nothing cancels)
        zero = xp.zeros_like(f)
        k = f.shape[1]
        cols = xp.reshape(xp.arange(k, device=sp._device(f)), (1, k))
        low = xp.full_like(f, -xp.inf)
        first = (cols == xp.argmax(xp.where(yes, low, f), axis=1, keepdims=True)) & ~yes
        second = (cols == xp.argmax(xp.where(yes | first, low, f), axis=1, keepdims=True)) & ~yes & ~first
        h_other = r - q * p
        for mask in (first, second):
            n, s, ok = _others(xp, f, mask)
            p_c = xp.sum(xp.where(mask, p, zero), axis=1, keepdims=True)
            h_other = xp.where(mask & ok, p_c * ((n - q) + s), h_other)
        n, s, ok = _others(xp, f, yes)
        p_y = xp.sum(xp.where(yes, p, zero), axis=1, keepdims=True)
        f_y = xp.where(ok, p_y * ((1.0 - q * n) - q * s), p - q * r)
        return g, c * xp.where(yes, r * f_y, p * h_other)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f, hessian=False)[0]

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[1]


def _others(xp: Any, f: Any, center: Any) -> tuple[Any, Any, Any]:
    """S = Σ_{i≠c} e^{zᵢ − z_c} per row (c the entry marked in ``center``) as n + s, in parts that do
    not cancel: n = #{i : |dᵢ| ≤ 1}, s = Σ_{|dᵢ|≤1} (dᵢ + e^{dᵢ} − 1 − dᵢ) + Σ_{dᵢ<−1} e^{dᵢ}; and
    whether no dᵢ exceeds 1 (else the parts are not used)."""
    zero = xp.zeros_like(f)
    d = f - xp.sum(xp.where(center, f, zero), axis=1, keepdims=True)
    ok = xp.max(xp.where(center, zero, d), axis=1, keepdims=True) <= 1.0
    small = (xp.abs(d) <= 1.0) & ~center
    big = ~small & ~center & ok
    ds = xp.where(small, d, zero)
    n = xp.sum(xp.where(small, xp.ones_like(f), zero), axis=1, keepdims=True)
    s = xp.sum(ds, axis=1, keepdims=True) + xp.sum(sp.expm1mx(xp, ds), axis=1, keepdims=True)
    s = s + xp.sum(xp.where(big, xp.exp(xp.where(big, d, zero)), zero), axis=1, keepdims=True)
    return n, s, ok
