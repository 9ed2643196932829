"""Classification losses on logits (or probabilities): binary and categorical cross-entropy."""

from __future__ import annotations

import math
from typing import Any

from .._core import Interval, Loss, LossInfo, Param, ParameterError, register
from .._core import special as sp
from .._core.validation import report_bad
from ..links import IDENTITY, LOGIT, SOFTMAX

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "class_targets"]

POSITIVE = Interval(0.0, math.inf, False, False)
UNIT_CLOSED = Interval(0.0, 1.0, True, True)


def _row_sum_tol(xp: Any, dtype: Any) -> float:
    return 1e-6 if dtype == xp.float64 else 1e-4


@register
class BinaryCrossentropy(Loss):
    r"""Binary cross-entropy (log loss) on logits, or on probabilities with ``from_logits=False``.

    With x the logit, σ the sigmoid, w₊ = ``pos_weight`` and y ∈ [0, 1]:

    .. math::

        \ell = w_+\, y\,\operatorname{softplus}(-x) + (1-y)\operatorname{softplus}(x),

        \frac{\partial\ell}{\partial x} = -w_+\,y\,\sigma(-x) + (1-y)\,\sigma(x),\qquad
        \frac{\partial^2\ell}{\partial x^2} = (w_+ y + 1 - y)\,\sigma(x)\,\sigma(-x).

    softplus(x) = log(1 + eˣ) is evaluated as max(x, 0) + log1p(e^{−|x|}), and σ(x)σ(−x) as
    e^{−|x|}/(1 + e^{−|x|})², so value, gradient and Hessian keep full relative precision at
    any logit (PyTorch's ``BCEWithLogitsLoss`` returns 0 for y = 0, x = −40).

    With ``from_logits=False``, q = y_pred is a probability in [0, 1]:
    ℓ = −w₊ y log q − (1 − y) log(1 − q), gradient −w₊y/q + (1 − y)/(1 − q), Hessian
    w₊y/q² + (1 − y)/(1 − q)²; 0·log 0 = 0 and nothing is clipped (PyTorch's ``BCELoss`` clamps
    the log at −100, Keras clips q to [1e-7, 1 − 1e-7]); q = 0 with y = 1 gives +inf.

    Estimates the **probability** P(y = 1 | x) (with ``pos_weight`` ≠ 1 a reweighted one).
    Same scaling as ``torch.nn.BCEWithLogitsLoss(pos_weight=…)``, ``keras.losses.
    BinaryCrossentropy(from_logits=True)`` and ``sklearn.metrics.log_loss``; scikit-learn's
    ``HalfBinomialLoss`` is the same (its "half" refers to the deviance).

    Examples
    --------
    >>> import losslab
    >>> bce = losslab.get("binary_crossentropy")
    >>> float(bce([0.0], [-40.0]))  # log1p(exp(-40)); PyTorch gives 0.0
    4.248354255291589e-18
    >>> float(bce.gradient([1.0], [-1000.0])[0])
    -1.0
    """

    name = "binary_crossentropy"
    aliases = ("log_loss", "bce", "binary_cross_entropy", "logistic")
    PARAMS = (
        Param("from_logits", True, "y_pred holds logits (True) or probabilities (False)", kind="bool"),
        Param(
            "pos_weight", 1.0, "weight of the positive-class term (PyTorch's pos_weight)", interval=POSITIVE
        ),
    )
    INFO = LossInfo(
        task="binary",
        estimates="probability",
        y_true="in [0, 1] (labels 0/1 or soft labels)",
        y_pred="logit (any real number), or probability in [0, 1] with from_logits=False",
        convex=True,
        smooth=True,
        robust=False,
        hessian="exact",
        references=(
            "Cox, D. R. (1958). The regression analysis of binary sequences. JRSS B 20(2).",
            "Mächler, M. (2012). Accurately computing log(1 - exp(-|a|)). Rmpfr vignette.",
        ),
    )

    @property
    def link(self) -> Any:  # type: ignore[override]
        return LOGIT if self.from_logits else IDENTITY

    def _y_true_bad(self, xp: Any, t: Any) -> tuple[Any, str]:
        return (t < 0.0) | (t > 1.0), "in [0, 1]"

    def _y_pred_bad(self, xp: Any, f: Any) -> tuple[Any, str] | None:
        if self.from_logits:
            return None
        return (f < 0.0) | (f > 1.0), "a probability in [0, 1] (from_logits=False)"

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        w = self.pos_weight
        if self.from_logits:
            return w * t * sp.softplus(xp, -f) + (1.0 - t) * sp.softplus(xp, f)
        return -w * sp.xlogy(xp, t, f) - sp.xlog1my(xp, 1.0 - t, f)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        w = self.pos_weight
        if self.from_logits:
            return _bce_logit_gradient(xp, t, f, w)
        return -w * sp.safe_div(xp, t, f) + sp.safe_div(xp, 1.0 - t, 1.0 - f)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        w = self.pos_weight
        if self.from_logits:
            return (w * t + (1.0 - t)) * sp.sigmoid_pair_product(xp, f)
        return w * sp.safe_div2(xp, t, f) + sp.safe_div2(xp, 1.0 - t, 1.0 - f)


def _bce_logit_gradient(xp: Any, t: Any, x: Any, w: float) -> Any:
    r"""−w y σ(−x) + (1 − y) σ(x) over the common denominator 1 + e with e = e^{−|x|}.

    The numerator is (1 − y) − w y e for x ≥ 0 and (1 − y) e − w y for x < 0; for |x| < 1 it is
    written c − w y expm1(−|x|) resp. c + (1 − y) expm1(−|x|) with c = 1 − y − w y, so that a
    soft label near its own logit (y = ½, x → 0) keeps its tiny gradient to full precision.
    """
    ax = xp.abs(x)
    e = xp.exp(-ax)
    em = xp.expm1(-ax)
    pos = x >= 0
    c = 2.0 * (0.5 - t) if w == 1.0 else (1.0 - t) - w * t
    far = xp.where(pos, (1.0 - t) - w * t * e, (1.0 - t) * e - w * t)
    near = xp.where(pos, c - w * t * em, c + (1.0 - t) * em)
    return xp.where(ax < 1.0, near, far) / (1.0 + e)


def class_targets(loss: Loss, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
    """Targets of a multiclass loss as an (n, k) array of ``f``'s dtype.

    Integer labels (or integral floats) of shape (n,) become one-hot rows; (n, k) inputs must
    be probability rows. Labels out of range and rows off the simplex raise `DomainError`.
    """
    k = int(f.shape[1])
    if len(y_true.shape) == 1:
        if check:
            if xp.isdtype(y_true.dtype, "real floating"):
                report_bad(loss.name, "y_true", y_true, xp.floor(y_true) != y_true, "integer class indices")
            report_bad(
                loss.name, "y_true", y_true, (y_true < 0) | (y_true >= k), f"class indices in [0, {k - 1}]"
            )
        labels = xp.astype(y_true, xp.int64)
        cols = xp.reshape(xp.arange(k, dtype=xp.int64, device=sp._device(f)), (1, k))
        return xp.astype(xp.reshape(labels, (-1, 1)) == cols, f.dtype)
    t = xp.astype(y_true, f.dtype)
    if check:
        report_bad(loss.name, "y_true", t, (t < 0.0) | (t > 1.0), "class probabilities in [0, 1]")
        off = xp.abs(xp.sum(t, axis=1) - 1.0) > _row_sum_tol(xp, f.dtype)
        report_bad(loss.name, "y_true", t, off, "rows of class probabilities summing to 1")
    return t


def _check_prob_rows(loss: Loss, xp: Any, f: Any) -> tuple[Any, str]:
    bad = xp.any((f < 0.0) | (f > 1.0), axis=1) | (
        xp.abs(xp.sum(f, axis=1) - 1.0) > _row_sum_tol(xp, f.dtype)
    )
    return bad, "rows of probabilities in [0, 1] summing to 1 (from_logits=False)"


def weighted_ce_grad_hess(xp: Any, a: Any, logp: Any) -> tuple[Any, Any]:
    r"""Gradient and Hessian diagonal of −Σⱼ aⱼ log softmax(z)ⱼ with respect to z.

    ∂/∂zⱼ = (s − aⱼ)pⱼ + aⱼ expm1(log pⱼ) with s = Σ a — the split keeps pⱼ − 1 exact when
    pⱼ → 1 — and ∂²/∂zⱼ² = s pⱼ (1 − pⱼ) with 1 − pⱼ = −expm1(log pⱼ).
    """
    p = xp.exp(logp)
    s = xp.sum(a, axis=1, keepdims=True)
    one_minus_p = 0.0 - xp.expm1(logp)  # 0.0 - avoids a signed -0.0 at p = 1
    # s − aⱼ cancels where aⱼ holds almost all of s (a soft target like [1 − 1e-16, 1e-16, 0]):
    # for the largest aⱼ of each row, sum the other entries instead
    k = a.shape[1]
    cols = xp.reshape(xp.arange(k, device=sp._device(a)), (1, k))
    is_top = cols == xp.argmax(a, axis=1, keepdims=True)
    rest = xp.sum(xp.where(is_top, xp.zeros_like(a), a), axis=1, keepdims=True)
    others = xp.where(is_top, rest, s - a)
    return others * p - a * one_minus_p, s * p * one_minus_p


@register
class CategoricalCrossentropy(Loss):
    r"""Categorical cross-entropy on logits (softmax inside), or on probabilities.

    With z the row of k logits, log p = log_softmax(z), targets t (one-hot from integer labels,
    or probability rows), label smoothing ε (t ← (1 − ε)t + ε/k) and class weights c
    (aⱼ = cⱼtⱼ, s = Σⱼ aⱼ):

    .. math::

        \ell = -\sum_j a_j \log p_j,\qquad
        \frac{\partial\ell}{\partial z_j} = s\,p_j - a_j,\qquad
        \frac{\partial^2\ell}{\partial z_j^2} = s\,p_j(1 - p_j)

    (the Hessian is the diagonal of the full matrix s(diag p − ppᵀ)). log softmax is
    z − max − log1p(Σ others), and pⱼ − 1 is −(1 − pⱼ) = expm1(log pⱼ), so a confident correct
    row keeps its tiny loss and gradient exactly. With ``from_logits=False`` y_pred rows are
    probabilities q: ℓ = −Σ aⱼ log qⱼ, gradient −aⱼ/qⱼ, Hessian aⱼ/qⱼ².

    Estimates the class **probabilities**. Same scaling as ``torch.nn.CrossEntropyLoss`` and
    ``keras.losses.CategoricalCrossentropy``, except that with class weights PyTorch's mean
    divides by Σ c_{yᵢ} whereas losslab's weighted mean divides by Σ sample weights (n without
    them). XGBoost's ``multi:softprob`` uses Hessian 2p(1 − p), LightGBM's k/(k−1)·p(1 − p).

    Examples
    --------
    >>> import losslab, numpy as np
    >>> cce = losslab.get("categorical_crossentropy")
    >>> z = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    >>> cce([0, 2], z, reduction="none").round(6).tolist()
    [0.169846, 1.098612]
    """

    name = "categorical_crossentropy"
    aliases = ("cross_entropy", "cce", "softmax_cross_entropy", "sparse_categorical_crossentropy")
    multiclass = True
    PARAMS = (
        Param("from_logits", True, "y_pred holds logits (True) or probabilities (False)", kind="bool"),
        Param(
            "label_smoothing", 0.0, "mix ε of the uniform distribution into the targets", interval=UNIT_CLOSED
        ),
        Param("class_weight", None, "weight per class, multiplying its term", kind="vector"),
    )
    INFO = LossInfo(
        task="multiclass",
        estimates="class probabilities",
        y_true="class indices in [0, k-1] of shape (n,), or probability rows of shape (n, k)",
        y_pred="logits of shape (n, k), or probability rows with from_logits=False",
        convex=True,
        smooth=True,
        robust=False,
        hessian="exact",
        references=(
            "Good, I. J. (1952). Rational decisions. JRSS B 14(1).",
            "Szegedy, C. et al. (2016). Rethinking the Inception architecture (label smoothing). CVPR.",
        ),
    )

    @property
    def link(self) -> Any:  # type: ignore[override]
        return SOFTMAX if self.from_logits else IDENTITY

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        t = class_targets(self, xp, y_true, f, check)
        k = int(f.shape[1])
        eps = self.label_smoothing
        if eps:
            t = (1.0 - eps) * t + eps / k
        if self.class_weight is not None:
            if len(self.class_weight) != k:
                raise ParameterError(
                    f"parameter 'class_weight' of loss {self.name!r} has {len(self.class_weight)} "
                    f"weights but y_pred has {k} classes."
                )
            cw = xp.asarray(self.class_weight, dtype=f.dtype, device=sp._device(f))
            t = t * xp.reshape(cw, (1, k))
        return t

    def _y_pred_bad(self, xp: Any, f: Any) -> tuple[Any, str] | None:
        return None if self.from_logits else _check_prob_rows(self, xp, f)

    def _value(self, xp: Any, a: Any, f: Any) -> Any:
        if self.from_logits:
            return 0.0 - xp.sum(a * sp.log_softmax(xp, f), axis=1)
        return 0.0 - xp.sum(sp.xlogy(xp, a, f), axis=1)

    def _gradient_hessian(self, xp: Any, a: Any, f: Any) -> tuple[Any, Any]:
        if self.from_logits:
            return weighted_ce_grad_hess(xp, a, sp.log_softmax(xp, f))
        return -sp.safe_div(xp, a, f), sp.safe_div2(xp, a, f)

    def _gradient(self, xp: Any, a: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, a, f)[0]

    def _hessian(self, xp: Any, a: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, a, f)[1]
