"""Margin losses on raw scores: hinge, squared hinge, multiclass hinge (Crammer–Singer, Weston–Watkins)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from .._core import Interval, Loss, LossInfo, Param, register
from .._core import special as sp
from .._core.domains import CLASS_TARGET, RAW_SCORE, SCORE_ROWS, SIGNED_LABEL
from .._core.domains import LOGIT as LOGIT_DOMAIN
from .._core.info import Anchor, AnchorRow, Equivalence, HessianKind, Library, ParamRole, Task
from .._core.statistic import Statistic
from .._core.validation import report_bad
from ..links import HALF_LOGIT, IDENTITY, LOGIT
from .classification import class_targets

__all__ = [
    "Exponential",
    "Hinge",
    "ModifiedHuber",
    "MulticlassHinge",
    "MulticlassPerceptron",
    "MulticlassSparsemax",
    "Perceptron",
    "SoftMargin",
    "Sparsemax",
    "SquaredHinge",
    "signed_labels",
]

NON_NEGATIVE = Interval(0.0, math.inf, True, False)


def signed_labels(loss: Loss, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
    """Labels in {0, 1} or {−1, +1} as signs s ∈ {−1, +1} of ``f``'s dtype.

    0 and −1 both mean the negative class; a vector that mixes 0 and −1 is an error, since one of
    the two cannot be what the user meant (the values themselves are the declared domain,
    ``SIGNED_LABEL``, which the base class checks).
    """
    if check:
        if bool(xp.any(y_true == 0)) and bool(xp.any(y_true == -1)):
            report_bad(
                loss.name,
                "y_true",
                y_true,
                y_true == -1,
                "labels of one encoding, {0, 1} or {-1, +1} (this vector mixes 0 and -1)",
            )
    pos = y_true > 0
    one = xp.ones_like(f)
    return xp.where(pos, one, -one)


@register
class Hinge(Loss):
    r"""Hinge loss of a linear SVM on a raw score f.

    With s ∈ {−1, +1} the signed label (0 is read as −1) and m = ``margin``:

    .. math::

        \ell = \max(0,\; m - s f),\qquad
        \frac{\partial\ell}{\partial f} = \begin{cases} -s & s f < m \\ 0 & s f \ge m\end{cases},
        \qquad \frac{\partial^2\ell}{\partial f^2} = 0.

    At the kink s·f = m the gradient is the minimum-norm subgradient, 0. Estimates the Bayes
    **decision** sign(P(y = 1 | x) − ½), not a probability. Same as ``keras.losses.Hinge``
    (which converts {0, 1} labels only when every label is 0 or 1) and ``optax.hinge_loss``
    with m = 1. XGBoost's ``binary:hinge`` (an alias here) has the same labels ({0, 1} read as
    ∓1), value and gradient with m = 1, including 0 at the kink s·f = 1; its Hessian is a Newton
    surrogate, 1 where s·f < 1 and FLT_MIN where the margin holds, and it predicts the class
    1[f > 0] rather than the score. scikit-learn's ``SGDClassifier(loss="hinge")`` takes −s at
    the kink instead of 0.

    Examples
    --------
    >>> import losslab
    >>> losslab.get("hinge")([1, 0, 0], [0.5, 0.5, -2.0], reduction="none").tolist()
    [0.5, 1.5, 0.0]
    """

    name = "hinge"
    aliases = ("hinge_loss", "svm", "binary:hinge")
    link = IDENTITY
    PARAMS = (
        Param("margin", 1.0, "the score s·f beyond which a sample costs nothing", interval=NON_NEGATIVE),
    )
    INFO = LossInfo(
        task=Task.BINARY,
        statistic=Statistic.DECISION,
        y_true=SIGNED_LABEL,
        y_pred=RAW_SCORE,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        roles=((ParamRole.MARGIN, "margin"),),
        anchors=(
            AnchorRow(
                "max(0, m − s·f), s = ±1",
                (
                    Anchor(Library.PYTORCH, None, "(`HingeEmbeddingLoss` has other semantics)"),
                    Anchor(Library.KERAS, "Hinge", "same with m = 1"),
                    Anchor(Library.OPTAX, "hinge_loss", "same with m = 1"),
                    Anchor(
                        Library.SKLEARN,
                        'SGDClassifier(loss="hinge")',
                        "same with m = 1 (gradient −s at the kink; XGBoost `binary:hinge`: same, Hessian 1)",
                    ),
                ),
                params="(m)",
            ),
        ),
        references=("Cortes, C. & Vapnik, V. (1995). Support-vector networks. Machine Learning 20.",),
    )

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        return signed_labels(self, xp, y_true, f, check)

    def _value(self, xp: Any, s: Any, f: Any) -> Any:
        return xp.maximum(self.margin - s * f, xp.zeros_like(f))

    def _gradient(self, xp: Any, s: Any, f: Any) -> Any:
        return xp.where(s * f < self.margin, -s, xp.zeros_like(f))

    def _hessian(self, xp: Any, s: Any, f: Any) -> Any:
        return xp.zeros_like(f)


@register
class SquaredHinge(Loss):
    r"""Squared hinge loss (L2-SVM) on a raw score f.

    With s ∈ {−1, +1} the signed label (0 is read as −1) and m = ``margin``:

    .. math::

        \ell = \max(0,\; m - s f)^2,\qquad
        \frac{\partial\ell}{\partial f} = -2 s \max(0,\; m - s f),\qquad
        \frac{\partial^2\ell}{\partial f^2} = \begin{cases} 2 & s f < m \\ 0 & s f \ge m\end{cases}.

    The loss is once continuously differentiable; at s·f = m the Hessian jumps from 2 to 0 and
    losslab takes 0 there (the side where the margin holds). Estimates the Bayes **decision**;
    unlike the hinge its minimiser f* = m(2η − 1) (for m > 0) is a monotone function of
    η = P(y = 1 | x), so scores rank like probabilities. Same as
    ``keras.losses.SquaredHinge`` (which converts {0, 1} labels only when every label is 0 or 1)
    with m = 1, and scikit-learn's ``LinearSVC(loss="squared_hinge")`` per sample.

    Examples
    --------
    >>> import losslab
    >>> losslab.get("squared_hinge")([1, 0, 0], [0.5, 0.5, -2.0], reduction="none").tolist()
    [0.25, 2.25, 0.0]
    """

    name = "squared_hinge"
    aliases = ("l2_hinge", "squared_hinge_loss")
    link = IDENTITY
    PARAMS = (
        Param("margin", 1.0, "the score s·f beyond which a sample costs nothing", interval=NON_NEGATIVE),
    )
    INFO = LossInfo(
        task=Task.BINARY,
        statistic=Statistic.DECISION,
        y_true=SIGNED_LABEL,
        y_pred=RAW_SCORE,
        convex=True,
        smooth=False,
        robust=False,
        hessian=HessianKind.PIECEWISE,
        roles=((ParamRole.MARGIN, "margin"),),
        anchors=(
            AnchorRow(
                "max(0, m − s·f)² (−2s·max(0, m − s·f)); Hessian 2 or 0 (0 at the kink)",
                (
                    Anchor(Library.KERAS, "SquaredHinge", "same with m = 1"),
                    Anchor(Library.SKLEARN, 'LinearSVC(loss="squared_hinge")', "same per sample"),
                ),
                params="(m)",
            ),
        ),
        references=(
            "Mangasarian, O. L. & Musicant, D. R. (2001). Lagrangian support vector machines. JMLR 1.",
            "Lee, C.-P. & Lin, C.-J. (2013). A study on L2-loss (squared hinge-loss) multiclass SVM. "
            "Neural Computation 25(5).",
        ),
    )

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        return signed_labels(self, xp, y_true, f, check)

    def _value(self, xp: Any, s: Any, f: Any) -> Any:
        d = xp.maximum(self.margin - s * f, xp.zeros_like(f))
        return d * d

    def _gradient(self, xp: Any, s: Any, f: Any) -> Any:
        return -2.0 * s * xp.maximum(self.margin - s * f, xp.zeros_like(f))

    def _hessian(self, xp: Any, s: Any, f: Any) -> Any:
        return xp.where(s * f < self.margin, xp.full_like(f, 2.0), xp.zeros_like(f))


@register
class ModifiedHuber(Loss):
    r"""Modified Huber loss of a raw score f (scikit-learn's ``SGDClassifier(loss="modified_huber")``).

    With s ∈ {−1, +1} the signed label (0 is read as −1) and z = s·f:

    .. math::

        \ell = \begin{cases} 0 & z \ge 1 \\ (1 - z)^2 & -1 \le z < 1 \\ -4z & z < -1\end{cases},\qquad
        \frac{\partial\ell}{\partial f} = \begin{cases} 0 & z \ge 1 \\ -2s(1 - z) & -1 \le z < 1 \\
            -4s & z < -1\end{cases},

    and Hessian 2 on −1 ≤ z < 1, 0 elsewhere: the squared hinge, continued linearly (slope −4)
    below z = −1, so it is once continuously differentiable and robust (the gradient is bounded
    by 4). At the two kinks of the Hessian losslab takes scikit-learn's branches: 0 at z = 1, 2 at
    z = −1. Its minimiser f* = clip(2η − 1, −1, 1), η = P(y = 1 | x), is what scikit-learn's
    ``predict_proba`` inverts ((clip(f, −1, 1) + 1)/2); as a statistic losslab declares the
    Bayes **decision**, which every minimiser gets right (Zhang 2004). Same values and gradients
    as ``sklearn.linear_model._sgd_fast.ModifiedHuber`` (``py_loss``/``py_dloss``).

    Examples
    --------
    >>> import losslab
    >>> losslab.get("modified_huber")([1, 1, 0, 1], [2.0, 0.5, 0.5, -3.0], reduction="none").tolist()
    [0.0, 0.25, 2.25, 12.0]
    """

    name = "modified_huber"
    aliases = ("modified_huber_loss", "modifiedhuber")
    link = IDENTITY
    INFO = LossInfo(
        task=Task.BINARY,
        statistic=Statistic.DECISION,
        y_true=SIGNED_LABEL,
        y_pred=RAW_SCORE,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.PIECEWISE,
        anchors=(
            AnchorRow(
                "0 (z ≥ 1), (1 − z)² (−1 ≤ z < 1), −4z (z < −1), z = s·f; Hessian 2 on [−1, 1)",
                (Anchor(Library.SKLEARN, 'SGDClassifier(loss="modified_huber")', "same"),),
            ),
        ),
        references=(
            "Zhang, T. (2004). Solving large scale linear prediction problems using stochastic gradient "
            "descent algorithms. ICML.",
            "scikit-learn sklearn/linear_model/_sgd_fast.pyx.tp, class ModifiedHuber.",
        ),
    )

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        return signed_labels(self, xp, y_true, f, check)

    def _value(self, xp: Any, s: Any, f: Any) -> Any:
        z = s * f
        d = xp.maximum(1.0 - z, xp.zeros_like(f))
        return xp.where(z < -1.0, -4.0 * z, d * d)

    def _gradient(self, xp: Any, s: Any, f: Any) -> Any:
        z = s * f
        inner = -2.0 * s * xp.maximum(1.0 - z, xp.zeros_like(f))
        return xp.where(z < -1.0, -4.0 * s, inner)

    def _hessian(self, xp: Any, s: Any, f: Any) -> Any:
        z = s * f
        return xp.where((z >= -1.0) & (z < 1.0), xp.full_like(f, 2.0), xp.zeros_like(f))


@register
class Perceptron(Loss):
    r"""Perceptron criterion on a raw score f (scikit-learn's ``SGDClassifier(loss="perceptron")``).

    With s ∈ {−1, +1} the signed label (0 is read as −1):

    .. math::

        \ell = \max(0,\; -s f),\qquad
        \frac{\partial\ell}{\partial f} = \begin{cases} -s & s f \le 0 \\ 0 & s f > 0\end{cases},
        \qquad \frac{\partial^2\ell}{\partial f^2} = 0.

    The hinge with margin 0 in value, but not declared equivalent to it: at the kink s·f = 0
    the gradient is −s (scikit-learn's choice, ``Hinge(threshold=0).py_dloss``), not the
    minimum-norm 0 that ``hinge`` takes, so a perceptron (or a boosted model) started at a zero
    score moves. Estimates the Bayes
    **decision** only on separable data; it has no preference among separating scores (f and
    2f cost the same), so it is not classification-calibrated in the strict sense.

    Examples
    --------
    >>> import losslab
    >>> p = losslab.get("perceptron")
    >>> p([1, 0, 1], [0.5, 0.5, -2.0], reduction="none").tolist()
    [0.0, 0.5, 2.0]
    >>> p.gradient([1, 0], [0.0, 0.0]).tolist()
    [-1.0, 1.0]
    """

    name = "perceptron"
    aliases = ("perceptron_loss", "perceptron_criterion")
    link = IDENTITY
    INFO = LossInfo(
        task=Task.BINARY,
        statistic=Statistic.DECISION,
        y_true=SIGNED_LABEL,
        y_pred=RAW_SCORE,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        anchors=(
            AnchorRow(
                "max(0, −s·f) (−s where s·f ≤ 0, 0 beyond)",
                (Anchor(Library.SKLEARN, 'SGDClassifier(loss="perceptron")', "same"),),
            ),
        ),
        references=(
            "Rosenblatt, F. (1958). The perceptron: a probabilistic model for information storage and "
            "organization in the brain. Psychological Review 65(6).",
        ),
    )

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        return signed_labels(self, xp, y_true, f, check)

    def _value(self, xp: Any, s: Any, f: Any) -> Any:
        return xp.maximum(-s * f, xp.zeros_like(f))

    def _gradient(self, xp: Any, s: Any, f: Any) -> Any:
        return xp.where(s * f <= 0.0, -s, xp.zeros_like(f))

    def _hessian(self, xp: Any, s: Any, f: Any) -> Any:
        return xp.zeros_like(f)


@register
class Exponential(Loss):
    r"""Exponential loss of AdaBoost on a raw score f.

    With s ∈ {−1, +1} the signed label (0 is read as −1):

    .. math::

        \ell = e^{-s f},\qquad
        \frac{\partial\ell}{\partial f} = -s\,e^{-s f},\qquad
        \frac{\partial^2\ell}{\partial f^2} = e^{-s f}.

    Its minimiser is f* = ½ log(η/(1 − η)), η = P(y = 1 | x), so the score gives the
    probability through the half-logit link η = σ(2f) (``loss.link``, ``links.HALF_LOGIT``;
    Friedman, Hastie & Tibshirani 2000). The declared statistic is the Bayes **decision**
    sign(f), as for the margin losses: the consumers that pick probability losses (the
    advisor, compare's default candidates, the estimators' ``predict_proba``) read scores
    through the logit and class weights through ``pos_weight``, neither of which this loss has.
    Convex and smooth but not robust: a badly misclassified sample costs e^{|f|}. The value
    overflows to inf where the true value does (s·f < −709.78). Same values and gradients
    as scikit-learn's ``ExponentialLoss`` (``sklearn._loss.loss``, used by
    ``GradientBoostingClassifier(loss="exponential")``), whose raw prediction is this f.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> e = losslab.get("exponential")
    >>> e([1, 0], [0.0, 1.0], reduction="none").round(12).tolist()
    [1.0, 2.718281828459]
    >>> e.link.inverse(np.array([0.5 * np.log(3.0)])).round(12).tolist()  # P(y = 1) = sigma(2f)
    [0.75]
    """

    name = "exponential"
    aliases = ("exponential_loss", "adaboost")
    link = HALF_LOGIT
    INFO = LossInfo(
        task=Task.BINARY,
        statistic=Statistic.DECISION,
        y_true=SIGNED_LABEL,
        y_pred=RAW_SCORE,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        anchors=(
            AnchorRow(
                "e^{−s·f} (−s·e^{−s·f}; Hessian e^{−s·f}); probability σ(2f)",
                (
                    Anchor(
                        Library.SKLEARN,
                        None,
                        '`ExponentialLoss`, `GradientBoostingClassifier(loss="exponential")`: same',
                    ),
                ),
            ),
        ),
        references=(
            "Freund, Y. & Schapire, R. E. (1997). A decision-theoretic generalization of on-line learning "
            "and an application to boosting. JCSS 55(1).",
            "Friedman, J., Hastie, T. & Tibshirani, R. (2000). Additive logistic regression: a statistical "
            "view of boosting. Annals of Statistics 28(2).",
        ),
    )

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        return signed_labels(self, xp, y_true, f, check)

    def _value(self, xp: Any, s: Any, f: Any) -> Any:
        return xp.exp(-s * f)

    def _gradient(self, xp: Any, s: Any, f: Any) -> Any:
        return -s * xp.exp(-s * f)

    def _hessian(self, xp: Any, s: Any, f: Any) -> Any:
        return xp.exp(-s * f)


VARIANTS = ("crammer_singer", "weston_watkins")


@register
class MulticlassHinge(Loss):
    r"""Multiclass hinge loss on a row of k raw scores: Crammer–Singer or Weston–Watkins.

    With y the true class, f the scores and m = ``margin``:

    .. math::

        \text{crammer\_singer:}\quad \ell = \max\bigl(0,\; m + \max_{j\ne y} f_j - f_y\bigr),

        \text{weston\_watkins:}\quad \ell = \sum_{j\ne y} \max(0,\; m + f_j - f_y).

    Gradients: Weston–Watkins has ∂ℓ/∂fⱼ = 1 for every active j ≠ y (m + fⱼ − f_y > 0) and
    ∂ℓ/∂f_y = −(number of active j). Crammer–Singer, when active, has ∂ℓ/∂f_y = −1 and +1 on the
    runner-up class; **at ties** between several runner-up classes the +1 is split equally among
    them (the minimum-norm subgradient, which is also what JAX's autodiff of ``max`` gives), and
    on the margin itself (m + max − f_y = 0, or mⱼ = 0 for a Weston–Watkins term) the term's
    subgradient is 0. The Hessian is 0 almost everywhere (piecewise linear).

    Scaling elsewhere: ``torch.nn.MultiMarginLoss(p=1, margin=m)`` is Weston–Watkins **divided
    by k**; ``optax.multiclass_hinge_loss`` is Crammer–Singer with m = 1;
    ``keras.losses.CategoricalHinge`` is max(0, 1 + max_j((1 − tⱼ)fⱼ) − f_y) — Crammer–Singer
    except that the true class enters the max as 0, so it differs when every other score is
    negative. scikit-learn's ``LinearSVC(multi_class="crammer_singer")`` uses the same loss.
    y_true holds class indices (n,) or one-hot rows (n, k).

    Estimates the Bayes **decision** (argmax); Weston–Watkins is not Fisher-consistent for
    k > 2 without a dominant class (Liu 2007), Crammer–Singer neither — use cross-entropy for
    probabilities.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> z = np.array([[2.0, 1.5, 1.5], [0.0, 3.0, -1.0]])
    >>> losslab.get("multiclass_hinge")([0, 0], z, reduction="none").tolist()
    [0.5, 4.0]
    >>> losslab.get("multiclass_hinge").gradient([0, 0], z).tolist()
    [[-1.0, 0.5, 0.5], [-1.0, 1.0, 0.0]]
    >>> losslab.get("multiclass_hinge", variant="weston_watkins")([0, 0], z, reduction="none").tolist()
    [1.0, 4.0]
    """

    name = "multiclass_hinge"
    aliases = ("multiclass_hinge_loss", "multi_class_hinge")
    multiclass = True
    link = IDENTITY
    PARAMS = (
        Param(
            "margin", 1.0, "the score gap f_y − f_j beyond which a class costs nothing", interval=NON_NEGATIVE
        ),
        Param(
            "variant",
            "crammer_singer",
            "crammer_singer: only the runner-up class; weston_watkins: sum over classes",
            kind="choice",
            choices=VARIANTS,
        ),
    )
    INFO = LossInfo(
        task=Task.MULTICLASS,
        statistic=Statistic.DECISION,
        y_true=CLASS_TARGET,
        y_pred=SCORE_ROWS,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        roles=((ParamRole.MARGIN, "margin"),),
        anchors=(
            AnchorRow(
                "max(0, m + max_{j≠y} fⱼ − f_y); tied runner-up classes share the +1",
                (
                    Anchor(
                        Library.KERAS,
                        "CategoricalHinge",
                        "same unless every other score is < 0 (the true class enters its max as 0)",
                    ),
                    Anchor(Library.OPTAX, "multiclass_hinge_loss", "same with m = 1"),
                    Anchor(Library.SKLEARN, 'LinearSVC(multi_class="crammer_singer")'),
                ),
                params='(m, `variant="crammer_singer"`)',
            ),
            AnchorRow(
                "Σ_{j≠y} max(0, m + fⱼ − f_y)",
                (Anchor(Library.PYTORCH, None, "`MultiMarginLoss(p=1, margin=m)` × k (torch divides by k)"),),
                params='(m, `variant="weston_watkins"`)',
            ),
        ),
        references=(
            "Crammer, K. & Singer, Y. (2001). On the algorithmic implementation of multiclass kernel-based "
            "vector machines. JMLR 2.",
            "Weston, J. & Watkins, C. (1999). Support vector machines for multi-class pattern recognition. "
            "ESANN.",
        ),
    )

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        t = class_targets(self, xp, y_true, f, check)
        if check and len(y_true.shape) == 2:
            report_bad(self.name, "y_true", t, (t != 0.0) & (t != 1.0), "one-hot rows (0s and a single 1)")
        return t

    def _margins(self, xp: Any, t: Any, f: Any) -> Any:
        """m + fⱼ − f_y per class; the true class's entry is irrelevant (masked by callers)."""
        fy = xp.sum(t * f, axis=1, keepdims=True)
        return self.margin + (f - fy)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        d = self._margins(xp, t, f)
        zero = xp.zeros_like(f)
        other = t == 0
        if self.variant == "weston_watkins":
            return xp.sum(xp.where(other, xp.maximum(d, zero), zero), axis=1)
        fill = xp.min(d, axis=1, keepdims=True)
        worst = xp.max(xp.where(other, d, fill), axis=1)
        return xp.maximum(worst, xp.zeros_like(worst))

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        other = t == 0
        if self.variant == "weston_watkins":
            d = self._margins(xp, t, f)
            act = xp.astype(other & (d > 0), f.dtype)
            return act - t * xp.sum(act, axis=1, keepdims=True)
        # runner-up classes are found on the scores themselves (exact ties), not on the rounded d
        fo = xp.where(other, f, xp.min(f, axis=1, keepdims=True))
        runner_up = xp.max(fo, axis=1, keepdims=True)
        tied = xp.astype(other & (f == runner_up), f.dtype)
        share = tied / xp.sum(tied, axis=1, keepdims=True)
        fy = xp.sum(t * f, axis=1, keepdims=True)
        active = xp.astype(self.margin + (runner_up - fy) > 0, f.dtype)
        return active * (share - t)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.zeros_like(f)


@register
class SoftMargin(Loss):
    r"""Soft-margin (logistic) loss on a raw score with signed labels (PyTorch's ``SoftMarginLoss``).

    With s ∈ {−1, +1} the signed label (0 is read as −1) and σ the sigmoid:

    .. math::

        \ell = \log(1 + e^{-s f}) = \operatorname{softplus}(-s f),\qquad
        \frac{\partial\ell}{\partial f} = -s\,\sigma(-s f),\qquad
        \frac{\partial^2\ell}{\partial f^2} = \sigma(f)\,\sigma(-f).

    The binary cross-entropy on logits written for labels in {−1, +1}, declared equivalent to
    ``binary_crossentropy``; softplus, σ and σ(f)σ(−f) are evaluated in the forms that keep full
    relative precision at any score (``losslab._core.special``). Estimates the **probability**
    P(y = 1 | x) = σ(f). Same as ``torch.nn.SoftMarginLoss`` (which takes only ±1 labels).

    Examples
    --------
    >>> import losslab
    >>> m = losslab.get("soft_margin")
    >>> m([-1, 1], [0.0, 40.0], reduction="none").tolist()  # log 2, and e^{-40} to full precision
    [0.6931471805599453, 4.248354255291589e-18]
    """

    name = "soft_margin"
    aliases = ("soft_margin_loss", "softmarginloss")
    link = LOGIT
    INFO = LossInfo(
        task=Task.BINARY,
        statistic=Statistic.PROBABILITY,
        y_true=SIGNED_LABEL,
        y_pred=LOGIT_DOMAIN,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        equivalences=(Equivalence("binary_crossentropy"),),
        anchors=(
            AnchorRow(
                "log(1 + e^{−s·f}) (−s·σ(−s·f)) on labels ±1",
                (Anchor(Library.PYTORCH, "SoftMarginLoss", "same (±1 labels only)"),),
            ),
        ),
    )

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        return signed_labels(self, xp, y_true, f, check)

    def _value(self, xp: Any, s: Any, f: Any) -> Any:
        return sp.softplus(xp, -s * f)

    def _gradient(self, xp: Any, s: Any, f: Any) -> Any:
        return -s * sp.sigmoid(xp, -s * f)

    def _hessian(self, xp: Any, s: Any, f: Any) -> Any:
        return sp.sigmoid_pair_product(xp, f)


@register
class MulticlassPerceptron(MulticlassHinge):
    r"""Multiclass perceptron loss on a row of k raw scores (optax's ``multiclass_perceptron_loss``).

    With y the true class and f the scores:

    .. math::

        \ell = \max_j f_j - f_y,\qquad
        \frac{\partial\ell}{\partial f} = \mathbb{1}_{\text{top}}/|\text{top}| - e_y
        \text{ if } f_y < \max_j f_j, \text{ else } 0,\qquad
        \frac{\partial^2\ell}{\partial f^2} = 0,

    where "top" are the classes with the highest score other than y (tied classes share the
    +1). It is ``multiclass_hinge(margin=0)`` (Crammer–Singer; declared equivalent) and takes its
    kernels: at a tie between y and the best other class the gradient is the minimum-norm
    subgradient 0, where optax's autodiff of ``max`` gives the tied classes equal shares
    (a non-zero subgradient). Estimates the Bayes **decision** argmaxⱼ fⱼ only on separable
    data, like the binary ``perceptron``.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> p = losslab.get("multiclass_perceptron")
    >>> z = np.array([[2.0, 0.0, -1.0], [0.0, 3.0, 3.0]])
    >>> p([0, 0], z, reduction="none").tolist()
    [0.0, 3.0]
    >>> (p.gradient([0, 0], z) + 0.0).tolist()
    [[0.0, 0.0, 0.0], [-1.0, 0.5, 0.5]]
    """

    name = "multiclass_perceptron"
    aliases = ("multiclass_perceptron_loss",)
    PARAMS = ()
    margin = 0.0
    variant = "crammer_singer"
    INFO = LossInfo(
        task=Task.MULTICLASS,
        statistic=Statistic.DECISION,
        y_true=CLASS_TARGET,
        y_pred=SCORE_ROWS,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        equivalences=(
            Equivalence("multiclass_hinge", fixed=(("margin", 0.0), ("variant", "crammer_singer"))),
        ),
        anchors=(
            AnchorRow(
                "maxⱼ fⱼ − f_y; tied top classes share the +1, 0 at a tie with y",
                (Anchor(Library.OPTAX, "multiclass_perceptron_loss", "same (autodiff splits a tie with y)"),),
            ),
        ),
        references=(
            "Collins, M. (2002). Discriminative training methods for hidden Markov models: theory and "
            "experiments with perceptron algorithms. EMNLP.",
        ),
    )


@register
class Sparsemax(ModifiedHuber):
    r"""Binary sparsemax loss (optax's ``sparsemax_loss``; Blondel et al. 2020, § 4.4).

    With s ∈ {−1, +1} the signed label (0 is read as −1) and z = s·f:

    .. math::

        \ell = \begin{cases} 0 & z \ge 1 \\ \tfrac14 (1 - z)^2 & -1 \le z < 1 \\ -z & z < -1\end{cases}
        = \operatorname{sparse\_plus}(-z),

    gradient −s(1 − z)/2 on [−1, 1), −s below, 0 above; Hessian ½ on [−1, 1). It is
    ``modified_huber`` divided by 4 (declared equivalent; the same branches at the kinks), the
    Fenchel–Young loss of the sparse sigmoid p = clip((f + 1)/2, 0, 1): zero exactly when that
    p equals the label. As a statistic losslab declares the Bayes **decision**, like the
    modified Huber loss.

    Examples
    --------
    >>> import losslab
    >>> losslab.get("sparsemax")([1, 1, 0, 1], [2.0, 0.5, 0.5, -3.0], reduction="none").tolist()
    [0.0, 0.0625, 0.5625, 3.0]
    """

    name = "sparsemax"
    aliases = ("sparsemax_loss", "binary_sparsemax")
    INFO = dataclasses.replace(
        ModifiedHuber.INFO,
        equivalences=(Equivalence("modified_huber", factor=0.25),),
        anchors=(
            AnchorRow(
                "sparse_plus(−s·f): 0 (z ≥ 1), (1 − z)²/4, −z (z < −1); Hessian ½ on [−1, 1)",
                (Anchor(Library.OPTAX, "sparsemax_loss", "same"),),
            ),
        ),
        references=(
            "Blondel, M., Martins, A. F. T. & Niculae, V. (2020). Learning with Fenchel-Young losses. "
            "JMLR 21.",
        ),
    )

    # a quarter of the modified Huber loss: the scaling by 2⁻² is exact
    def _value(self, xp: Any, s: Any, f: Any) -> Any:
        return 0.25 * super()._value(xp, s, f)

    def _gradient(self, xp: Any, s: Any, f: Any) -> Any:
        return 0.25 * super()._gradient(xp, s, f)

    def _hessian(self, xp: Any, s: Any, f: Any) -> Any:
        return 0.25 * super()._hessian(xp, s, f)


@register
class MulticlassSparsemax(Loss):
    r"""Multiclass sparsemax loss (Martins & Astudillo 2016; optax's ``multiclass_sparsemax_loss``).

    With z the row of k scores, y the true class, p = sparsemax(z) = max(z − τ, 0) (the Euclidean
    projection of z onto the simplex; τ makes p sum to 1) and S its support:

    .. math::

        \ell = -z_y + \tfrac12 \sum_{j\in S} (z_j^2 - \tau^2) + \tfrac12
             = \tfrac12 \sum_{j \ne y} p_j^2 + \tfrac12 (1 - p_y)^2 + \max(0,\, \tau - z_y),

        \frac{\partial\ell}{\partial z} = p - e_y,\qquad
        \frac{\partial^2\ell}{\partial z_j^2} = [j \in S]\,(1 - 1/|S|).

    The second form is a sum of non-negative terms, with 1 − p_y summed as Σ_{j≠y} pⱼ, so a row
    whose sparsemax is the label scores exactly 0 and a nearly right row keeps its small value;
    τ is found on the scores minus their maximum (exact for the support). An entry pⱼ next to
    the edge of the support (zⱼ ≈ τ) has absolute, not relative, accuracy there. Estimates the
    Bayes **decision** argmaxⱼ and sparse class probabilities (zero off the support): the loss
    is 0 exactly when sparsemax(z) is the one-hot label. Same as optax's
    ``multiclass_sparsemax_loss``. Targets are class indices or one-hot rows.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> sm = losslab.get("multiclass_sparsemax")
    >>> z = np.array([[2.0, 0.5, -1.0], [0.0, 0.25, 0.0]])
    >>> sm([0, 0], z, reduction="none").tolist()
    [0.0, 0.4375]
    >>> (sm.gradient([0, 0], z) + 0.0).tolist()  # sparsemax(z) − e_y: p = [1, 0, 0], [¼, ½, ¼]
    [[0.0, 0.0, 0.0], [-0.75, 0.5, 0.25]]
    """

    name = "multiclass_sparsemax"
    aliases = ("multiclass_sparsemax_loss", "sparsemax_multiclass")
    multiclass = True
    link = IDENTITY
    INFO = LossInfo(
        task=Task.MULTICLASS,
        statistic=Statistic.DECISION,
        y_true=CLASS_TARGET,
        y_pred=SCORE_ROWS,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.PIECEWISE,
        anchors=(
            AnchorRow(
                "½Σ_{j≠y} pⱼ² + ½(1 − p_y)² + max(0, τ − z_y), p = sparsemax(z) (p − e_y)",
                (Anchor(Library.OPTAX, "multiclass_sparsemax_loss", "same"),),
            ),
        ),
        references=(
            "Martins, A. F. T. & Astudillo, R. F. (2016). From softmax to sparsemax: a sparse model of "
            "attention and multi-label classification. ICML.",
        ),
    )

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        t = class_targets(self, xp, y_true, f, check)
        if check and len(y_true.shape) == 2:
            report_bad(self.name, "y_true", t, (t != 0.0) & (t != 1.0), "one-hot rows (0s and a single 1)")
        return t

    def _projection(self, xp: Any, f: Any) -> tuple[Any, Any, Any, Any]:
        """Scores minus the row maximum, τ on that scale, p = sparsemax and the support size."""
        z = f - xp.max(f, axis=1, keepdims=True)
        zs = xp.sort(z, axis=1, descending=True)
        cs = xp.cumulative_sum(zs, axis=1)
        k = xp.reshape(xp.arange(1, f.shape[1] + 1, dtype=f.dtype, device=sp._device(f)), (1, -1))
        in_support = 1.0 + k * zs > cs  # a prefix of the sorted row
        size = xp.sum(xp.astype(in_support, f.dtype), axis=1, keepdims=True)
        last = xp.sum(xp.where(in_support, zs, xp.zeros_like(zs)), axis=1, keepdims=True)
        tau = (last - 1.0) / size
        p = xp.maximum(z - tau, xp.zeros_like(z))
        return z, tau, p, size

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        z, tau, p, _ = self._projection(xp, f)
        yes = t == 1.0
        others = xp.where(yes, xp.zeros_like(p), p)
        off = xp.sum(others, axis=1)  # 1 − p_y
        zy = xp.sum(xp.where(yes, z, xp.zeros_like(z)), axis=1)
        gap = xp.maximum(xp.reshape(tau, (-1,)) - zy, xp.zeros_like(zy))
        return 0.5 * xp.sum(others * others, axis=1) + 0.5 * off * off + gap

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        _, _, p, size = self._projection(xp, f)  # once for both
        yes = t == 1.0
        off = xp.sum(xp.where(yes, xp.zeros_like(p), p), axis=1, keepdims=True)
        g = xp.where(yes, 0.0 - off, p)  # p_y − 1 = −Σ_{j≠y} pⱼ
        return g, xp.astype(p > 0.0, f.dtype) * (1.0 - 1.0 / size)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[0]

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[1]
