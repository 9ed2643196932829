"""Classification losses on logits (or probabilities): binary and categorical cross-entropy."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from .._core import Interval, Loss, LossInfo, Param, ParameterError, register
from .._core import special as sp
from .._core.domains import (
    CLASS_TARGET,
    LOGIT,
    LOGIT_ROWS,
    PROBABILITY,
    PROBABILITY_ROWS_PRED,
    SOFT_LABEL,
    row_sum_tol,
)
from .._core.info import Anchor, AnchorRow, Equivalence, HessianKind, Library, ParamRole, Task
from .._core.params import balance_pos_weight
from .._core.statistic import Statistic
from .._core.validation import report_bad
from .._core.xp import array_namespace
from ..links import LOGIT as LOGIT_LINK
from ..links import SOFTMAX, LogitLink, unless_probabilities
from ._params import FROM_LOGITS, OptionalInt

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CostSensitiveBCE",
    "PolyLoss",
    "bce_probability_gradient",
    "class_targets",
    "ignorable_targets",
    "ignored_mask",
]

POSITIVE = Interval(0.0, math.inf, False, False)
UNIT_CLOSED = Interval(0.0, 1.0, True, True)


class LogitsOrProbabilities:
    """Mixin of the losses with ``from_logits``: with False, y_pred's declared domain becomes
    probabilities in [0, 1] (rows summing to 1 for multiclass losses) instead of logits."""

    from_logits: bool
    multiclass: bool

    def _info(self) -> LossInfo:
        info = super()._info()  # type: ignore[misc]
        if self.from_logits:
            return info
        return replace(info, y_pred=PROBABILITY_ROWS_PRED if self.multiclass else PROBABILITY)


@register
class BinaryCrossentropy(LogitsOrProbabilities, Loss):
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

    ``label_smoothing`` ε replaces the targets by y(1 − ε) + ε/2 before the loss (Keras's
    ``BinaryCrossentropy(label_smoothing=ε)``; the formulas above then hold with the smoothed y,
    whose minimiser is the smoothed probability, squeezed towards ½).

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
        FROM_LOGITS,
        Param(
            "pos_weight",
            1.0,
            "weight of the positive-class term (PyTorch's pos_weight)",
            interval=POSITIVE,
            fit=balance_pos_weight,
        ),
        Param(
            "label_smoothing", 0.0, "targets y become y(1 − ε) + ε/2 (Keras semantics)", interval=UNIT_CLOSED
        ),
    )
    INFO = LossInfo(
        task=Task.BINARY,
        statistic=Statistic.PROBABILITY,
        y_true=SOFT_LABEL,
        y_pred=LOGIT,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        anchors=(
            AnchorRow(
                "w₊ y softplus(−x) + (1 − y) softplus(x) (−w₊ y s(−x) + (1 − y) s(x))",
                (
                    Anchor(Library.PYTORCH, "BCEWithLogitsLoss(pos_weight)", "same"),
                    Anchor(Library.KERAS, None, "same (no `pos_weight`)"),
                    Anchor(Library.OPTAX, None, "same (no weight)"),
                    Anchor(Library.SKLEARN, "HalfBinomialLoss", 'same ("half" refers to the deviance)'),
                ),
                params="(w₊)",
            ),
            AnchorRow(
                "BCE at y(1 − ε) + ε/2",
                (
                    Anchor(Library.KERAS, "BinaryCrossentropy(label_smoothing=ε)", "same"),
                    Anchor(Library.OPTAX, None, "`smooth_labels` on one-hot rows: same"),
                ),
                call="(label_smoothing=ε)",
            ),
        ),
        references=(
            "Cox, D. R. (1958). The regression analysis of binary sequences. JRSS B 20(2).",
            "Mächler, M. (2012). Accurately computing log(1 - exp(-|a|)). Rmpfr vignette.",
        ),
    )

    link = unless_probabilities(LOGIT_LINK)

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        # the declared domain is checked on y_true itself, before smoothing
        t = super()._target(xp, y_true, f, check)
        eps = self.label_smoothing
        return t * (1.0 - eps) + eps / 2.0 if eps else t

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        w = self.pos_weight
        if self.from_logits:
            if _hard_labels(xp, t):
                return _bce_hard(xp, t, f, w, gradient=False)[0]
            # (y·softplus)·w: a subnormal y is not rounded after multiplying by w, nor w·softplus
            # overflowed before y = 0 multiplies it
            return (t * sp.softplus(xp, -f)) * w + (1.0 - t) * sp.softplus(xp, f)
        return -w * sp.xlogy(xp, t, f) - sp.xlog1my(xp, 1.0 - t, f)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        w = self.pos_weight
        if self.from_logits:
            return bce_logit_gradient(xp, t, f, w)
        if w == 1.0:
            return bce_probability_gradient(xp, t, f)
        return -w * sp.safe_div(xp, t, f) + sp.safe_div(xp, 1.0 - t, 1.0 - f)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        w = self.pos_weight
        if self.from_logits:
            return (w * t + (1.0 - t)) * sp.sigmoid_pair_product(xp, f)
        return w * sp.safe_div2(xp, t, f) + sp.safe_div2(xp, 1.0 - t, 1.0 - f)

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        if not self.from_logits:
            return self._gradient(xp, t, f), self._hessian(xp, t, f)
        # one e^{-|x|} for both: the GBDT objectives call this once per boosting round
        w = self.pos_weight
        e = xp.exp(-xp.abs(f))
        one_e = 1.0 + e
        g = bce_logit_gradient(xp, t, f, w, e)
        return g, (w * t + (1.0 - t)) * (e / (one_e * one_e))

    def _value_gradient(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        if not self.from_logits:
            return super()._value_gradient(xp, t, f)
        return self._logit_value_gradient(xp, t, f, _hard_labels(xp, t))

    def _logit_value_gradient(self, xp: Any, t: Any, f: Any, hard: bool) -> tuple[Any, Any]:
        # one e^{-|x|} and one log1p for the value's two softplus terms and the gradient (the
        # same operations as `_value` and `_gradient`: softplus(±x) = max(±x, 0) + log1p(e));
        # ``hard``: `_hard_labels` said every label is 0 or 1
        w = self.pos_weight
        if hard:
            return _bce_hard(xp, t, f, w)
        e = xp.exp(-xp.abs(f))
        l1p = xp.log1p(e)
        zero = xp.zeros_like(f)
        v = (t * (xp.maximum(-f, zero) + l1p)) * w + (1.0 - t) * (xp.maximum(f, zero) + l1p)
        return v, _bce_logit_gradient(xp, t, f, w, e)

    def _total_gradient(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        if not self.from_logits:
            return super()._total_gradient(xp, t, f)
        hard = _hard_labels(xp, t)  # once, for whichever kernel runs
        if hard and self.pos_weight == 1.0 and sp.torch_eager(xp, f):
            return _bce_hard_total_torch(t, f)
        v, g = self._logit_value_gradient(xp, t, f, hard)
        return xp.sum(v), g


def bce_probability_gradient(xp: Any, t: Any, q: Any) -> Any:
    r"""−y/q + (1 − y)/(1 − q) = (q − y)/(q(1 − q)) for 0 < q < 1, which keeps a soft label's
    tiny gradient next to its own probability (q − y is exact there); the separate terms (with
    0/0 = 0 and y/0 = inf) at q = 0 and q = 1."""
    inside = (q > 0.0) & (q < 1.0)
    q_in = xp.where(inside, q, xp.full_like(q, 0.5))
    near = ((q_in - t) / q_in) / (1.0 - q_in)
    return xp.where(inside, near, -sp.safe_div(xp, t, q) + sp.safe_div(xp, 1.0 - t, 1.0 - q))


def bce_logit_gradient(xp: Any, t: Any, x: Any, w: float, e: Any = None) -> Any:
    """BCE's gradient in the logit (pos_weight w; ``e`` = e^{−|x|} if at hand): the hard-label
    kernel when every label is 0 or 1 (eager), else the soft-label one. Losses equal to BCE
    (focal with γ = 0) call this, so that they stay equal bit for bit."""
    if _hard_labels(xp, t):
        return _bce_hard(xp, t, x, w, e, value=False)[1]
    return _bce_logit_gradient(xp, t, x, w, e)


def _hard_labels(xp: Any, t: Any) -> bool:
    """Every label 0 or 1, checked in eager NumPy or PyTorch by one sum and a sync; traced
    arrays take the soft-label kernels. Σ y(1 − y) = 0 exactly: for y in [0, 1] every term is
    ≥ 0 and 0 only at 0 and 1 (no product of such y rounds to 0), and a sum of terms ≥ 0 is 0
    only if each is; NaN says no. (Labels outside [0, 1] are the checks' to report, before the
    kernels run or, for a reduced eager call, before its result is returned.)"""
    return sp.eager(xp, t) and float(xp.sum(t * (1.0 - t))) == 0.0


def _bce_hard(
    xp: Any, t: Any, x: Any, w: float, e: Any = None, value: bool = True, gradient: bool = True
) -> tuple[Any, Any]:
    r"""BCE value and gradient for labels 0 and 1 in a few arithmetic operations (eager PyTorch
    runs comparisons, masks and ``where`` 5–30× slower than a multiply): with
    z = (1 − 2y)x the logit of the wrong class and c = w for y = 1, 1 for y = 0,

    .. math::

        \ell = c\,(\max(z, 0) + \operatorname{log1p}(e)),\qquad
        \frac{\partial\ell}{\partial x} = (1 - 2y)\,c\,\frac{e^{\min(z, 0)}}{1 + e},
        \qquad e = e^{-|x|},

    exact (e^{min(z,0)} is 1 or e itself): one of the soft-label kernel's two terms is 0, so
    nothing cancels. Returns (value, gradient), each None unless asked for.
    """
    s = 1.0 - 2.0 * t  # ±1 exactly
    z = s * x
    e = xp.exp(-xp.abs(x)) if e is None else e
    c = s if w == 1.0 else s * (1.0 + (w - 1.0) * t)  # (1 − 2y)·c
    g = c * (xp.exp(xp.minimum(z, xp.zeros_like(z))) / (1.0 + e)) if gradient else None
    v = None
    if value:
        v = xp.maximum(z, xp.zeros_like(z)) + xp.log1p(e)
        v = v if w == 1.0 else v * xp.abs(c)
    return v, g


def _bce_hard_total_torch(t: Any, x: Any) -> tuple[Any, Any]:
    r"""Σℓ, and the gradient as a function of the upstream scale, for labels 0 and 1 (pos_weight
    1) in eager PyTorch, by its fused softplus and softplus backward: with z = (1 − 2y)x,
    ℓ = softplus(z) and ∂ℓ/∂x = (1 − 2y)σ(z).

    PyTorch computes them as log1p(e^z) and e^z/(e^z + 1) below the threshold, 40 here (exact:
    nothing cancels, e^z cannot overflow), and as z and 1 above it, where the terms left out,
    e^{−z} < 4.3·10⁻¹⁸ of z resp. of 1, are below either dtype's rounding. Three arrays in all
    (z, the softplus summed, the gradient), where the array-API kernel makes a dozen.
    """
    import torch

    z = torch.addcmul(x, t, x, value=-2.0)  # x − 2yx = ±x, exactly
    total = torch.sum(torch.nn.functional.softplus(z, beta=1.0, threshold=_SOFTPLUS_THRESHOLD))

    def gradient(scale: Any, x: Any, t: Any) -> Any:
        g = torch.ops.aten.softplus_backward(scale, z, 1.0, _SOFTPLUS_THRESHOLD)  # σ(z)·scale
        return g.addcmul_(t, g, value=-2.0)  # ·(1 − 2y), exactly

    return total, gradient


_SOFTPLUS_THRESHOLD = 40.0


def _bce_logit_gradient(xp: Any, t: Any, x: Any, w: float, e: Any = None) -> Any:
    r"""−w y σ(−x) + (1 − y) σ(x) over the common denominator 1 + e with e = e^{−|x|}.

    The numerator is (1 − y) − w y e for x ≥ 0 and (1 − y) e − w y for x < 0; for |x| < 1 it is
    written c − w y expm1(−|x|) resp. c + (1 − y) expm1(−|x|) with c = 1 − y − w y, so that a
    soft label near its own logit (y = ½, x → 0) keeps its tiny gradient to full precision.
    The branches are selected with 0/1 masks (every branch is finite for finite x), not
    ``where``, which eager PyTorch runs slowly.
    """
    ax = xp.abs(x)
    e = xp.exp(-ax) if e is None else e
    em = xp.expm1(-ax)
    p = sp.mask(xp, x >= 0, x)
    a, b = 1.0 - t, w * t
    c = 2.0 * (0.5 - t) if w == 1.0 else a - b
    far = a * xp.maximum(e, p) - b * xp.maximum(e, 1.0 - p)  # (1 − y)·u − w y·v, u/v = 1 or e
    near = c + em * (a * (1.0 - p) - b * p)
    q = sp.mask(xp, ax < 1.0, x)
    return (near * q + far * (1.0 - q)) / (1.0 + e)


def class_targets(loss: Loss, xp: Any, y_true: Any, f: Any, check: bool, boolean: bool = False) -> Any:
    """Targets of a multiclass loss as an (n, k) array of ``f``'s dtype.

    Integer labels (or integral floats) of shape (n,) become one-hot rows (booleans with
    ``boolean=True``); (n, k) inputs must be probability rows. Labels out of range and rows off
    the simplex raise `DomainError`.
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
        hot = xp.reshape(labels, (-1, 1)) == cols
        return hot if boolean else xp.astype(hot, f.dtype)
    t = xp.astype(y_true, f.dtype)
    if check:
        report_bad(loss.name, "y_true", t, (t < 0.0) | (t > 1.0), "class probabilities in [0, 1]")
        off = xp.abs(xp.sum(t, axis=1) - 1.0) > row_sum_tol(xp, f.dtype)
        report_bad(loss.name, "y_true", t, off, "rows of class probabilities summing to 1")
    return t


def ignorable_targets(loss: Loss, xp: Any, y_true: Any, f: Any, check: bool, ignore_index: int | None) -> Any:
    """`class_targets`, where integer labels equal to ``ignore_index`` become all-zero rows.

    Such rows contribute 0 to value, gradient and Hessian; `ignored_mask` also gives them weight
    0, so they leave the mean's denominator too. Probability rows (n, k) are taken as they are
    (as in PyTorch, ``ignore_index`` applies to class indices only; mask rows with
    ``sample_weight``).
    """
    if ignore_index is None or len(y_true.shape) != 1:
        return class_targets(loss, xp, y_true, f, check)
    ignored = y_true == ignore_index
    t = class_targets(loss, xp, xp.where(ignored, xp.zeros_like(y_true), y_true), f, check)
    return xp.where(xp.reshape(ignored, (-1, 1)), xp.zeros_like(t), t)


def ignored_mask(xp: Any, y_true: Any, ignore_index: int | None) -> Any:
    """The samples that count (label ≠ ``ignore_index``), or None when nothing is ignored."""
    if ignore_index is None or len(y_true.shape) != 1:
        return None
    return y_true != ignore_index


def weighted_ce_grad_hess(xp: Any, a: Any, logp: Any, hessian: bool = True) -> tuple[Any, Any]:
    r"""Gradient and Hessian diagonal of −Σⱼ aⱼ log softmax(z)ⱼ with respect to z (the Hessian
    None with ``hessian=False``).

    ∂/∂zⱼ = (s − aⱼ)pⱼ + aⱼ expm1(log pⱼ) with s = Σ a — the split keeps pⱼ − 1 exact when
    pⱼ → 1 — and ∂²/∂zⱼ² = s pⱼ (1 − pⱼ) with 1 − pⱼ = −expm1(log pⱼ).
    """
    p = xp.exp(logp)
    s = xp.sum(a, axis=1, keepdims=True)
    one_minus_p = 0.0 - xp.expm1(logp)  # 0.0 - avoids a signed -0.0 at p = 1
    # s − aⱼ cancels where aⱼ holds almost all of s (a soft target like [1 − 1e-16, 1e-16, 0]):
    # for an aⱼ above s/2 (at most one per row, the entries being ≥ 0) sum the other entries
    # instead; below, s − aⱼ ≥ s/2 does not cancel
    top = a > 0.5 * s
    rest = xp.sum(xp.where(top, xp.zeros_like(a), a), axis=1, keepdims=True)
    others = xp.where(top, rest, s - a)
    return others * p - a * one_minus_p, (s * p * one_minus_p if hessian else None)


@register
class CategoricalCrossentropy(LogitsOrProbabilities, Loss):
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

    ``ignore_index``: samples whose integer label equals it (any integer, e.g. PyTorch's −100 or
    a background class) contribute 0 to value, gradient and Hessian and are excluded from the
    mean's denominator, as in ``torch.nn.CrossEntropyLoss(ignore_index=…)`` and Keras's
    ``ignore_class``. For probability-row targets use ``sample_weight`` as the mask (0 = left
    out; the mean divides by Σw, like optax's ``where=``).

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
        FROM_LOGITS,
        Param(
            "label_smoothing", 0.0, "mix ε of the uniform distribution into the targets", interval=UNIT_CLOSED
        ),
        Param("class_weight", None, "weight per class, multiplying its term", kind="vector"),
        OptionalInt("ignore_index", None, "integer label whose samples are left out (weight 0)"),
    )
    INFO = LossInfo(
        task=Task.MULTICLASS,
        statistic=Statistic.CLASS_PROBABILITIES,
        y_true=CLASS_TARGET,
        y_pred=LOGIT_ROWS,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        anchors=(
            AnchorRow(
                "−Σ aⱼ log pⱼ (s pⱼ − aⱼ), aⱼ = cⱼ·smoothed tⱼ, s = Σ a",
                (
                    Anchor(Library.PYTORCH, "CrossEntropyLoss(weight, label_smoothing)", "same per sample"),
                    Anchor(Library.KERAS, None, "same"),
                    Anchor(Library.OPTAX, None, "same"),
                    Anchor(Library.SKLEARN, "HalfMultinomialLoss", "same"),
                ),
            ),
            AnchorRow(
                "label i: value, gradient, Hessian 0, left out of the mean's denominator",
                (
                    Anchor(
                        Library.PYTORCH,
                        "CrossEntropyLoss(ignore_index=i)",
                        "same (with class weights torch divides by Σ c_y)",
                    ),
                    Anchor(Library.KERAS, "SparseCategoricalCrossentropy(ignore_class=i)", "same"),
                    Anchor(Library.OPTAX, None, "`where=` mask: same"),
                ),
                call="(ignore_index=i)",
            ),
        ),
        references=(
            "Good, I. J. (1952). Rational decisions. JRSS B 14(1).",
            "Szegedy, C. et al. (2016). Rethinking the Inception architecture (label smoothing). CVPR.",
        ),
    )

    link = unless_probabilities(SOFTMAX)

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        if self._one_hot_mask(y_true, f):
            # rows that select one class: booleans, so the kernels pick log p_y, p_j and p_y − 1
            # (`_one_hot_value`, `_one_hot_gradient`) with no sum of the targets, no soft-target
            # guard (under torch.compile 0.9× torch.nn's cross-entropy, 1.2–1.3× before; under
            # jax.jit 1.4× optax, 1.9–2.0× before; made as booleans: a float one-hot cast to
            # booleans measured 1.3× under compile)
            return class_targets(self, xp, y_true, f, check, boolean=True)
        t = ignorable_targets(self, xp, y_true, f, check, self.ignore_index)
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

    def _sample_mask(self, xp: Any, y_true: Any) -> Any:
        return ignored_mask(xp, y_true, self.ignore_index)

    def _one_hot_mask(self, y_true: Any, f: Any) -> bool:
        """Class indices for logits, with no label smoothing, class weights or ignore_index, in
        PyTorch or JAX (eager, compiled or traced): the target is kept as a boolean one-hot mask.
        Known from the shapes and parameters alone, so it holds under tracing too. (NumPy keeps
        0.0/1.0 rows: its large arrays take the fused engine, which reads the labels.)"""
        return (
            self.from_logits
            and len(y_true.shape) == 1
            and not self.label_smoothing
            and self.class_weight is None
            and self.ignore_index is None
            and type(f).__module__.startswith(("torch", "jax"))
        )

    def _value(self, xp: Any, a: Any, f: Any) -> Any:
        if self.from_logits:
            if a.dtype == xp.bool:
                return _one_hot_value(xp, a, sp.log_softmax(xp, f))
            # also where z − max overflowed (log p = −inf; a zero target contributes 0)
            return 0.0 - xp.sum(sp.xmul_log_softmax(xp, a, f, sp.log_softmax(xp, f)), axis=1)
        return 0.0 - xp.sum(sp.xlogy(xp, a, f), axis=1)

    def _gradient_hessian(self, xp: Any, a: Any, f: Any) -> tuple[Any, Any]:
        if self.from_logits:
            return weighted_ce_grad_hess(xp, _soft(xp, a, f), sp.log_softmax(xp, f))
        return -sp.safe_div(xp, a, f), sp.safe_div2(xp, a, f)

    def _gradient(self, xp: Any, a: Any, f: Any) -> Any:
        if self.from_logits:
            if a.dtype == xp.bool:
                return _one_hot_gradient(xp, a, sp.log_softmax(xp, f))
            return weighted_ce_grad_hess(xp, a, sp.log_softmax(xp, f), hessian=False)[0]
        return -sp.safe_div(xp, a, f)

    def _hessian(self, xp: Any, a: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, a, f)[1]

    def _value_gradient(self, xp: Any, a: Any, f: Any) -> tuple[Any, Any]:
        if not self.from_logits:
            return super()._value_gradient(xp, a, f)
        logp = sp.log_softmax(xp, f)  # once for both
        if a.dtype == xp.bool:
            return _one_hot_value(xp, a, logp), _one_hot_gradient(xp, a, logp)
        v = 0.0 - xp.sum(sp.xmul_log_softmax(xp, a, f, logp), axis=1)
        return v, weighted_ce_grad_hess(xp, a, logp, hessian=False)[0]


def _soft(xp: Any, a: Any, f: Any) -> Any:
    """A boolean one-hot target (`CategoricalCrossentropy._one_hot_mask`) as 0.0/1.0 rows."""
    return xp.astype(a, f.dtype) if a.dtype == xp.bool else a


def _one_hot_value(xp: Any, a: Any, logp: Any) -> Any:
    """−log p_y, selected by the boolean one-hot row ``a`` (+inf where z_y − max overflowed)."""
    return 0.0 - xp.sum(xp.where(a, logp, xp.zeros_like(logp)), axis=1)


def _one_hot_gradient(xp: Any, a: Any, logp: Any) -> Any:
    """pⱼ − [j = y]: e^{log pⱼ} off the label, expm1(log p_y) = −(1 − p_y) on it (exact as p_y → 1)."""
    return xp.where(a, xp.expm1(logp), xp.exp(logp))


@register
class CostSensitiveBCE(LogitsOrProbabilities, Loss):
    r"""Binary cross-entropy weighted by the costs of a false positive and a false negative.

    With x the logit, σ the sigmoid, y ∈ [0, 1], c₊ = ``fn_cost`` (the cost of missing a
    positive) and c₋ = ``fp_cost`` (the cost of a false alarm):

    .. math::

        \ell = c_+\, y\operatorname{softplus}(-x) + c_-\,(1-y)\operatorname{softplus}(x),

        \frac{\partial\ell}{\partial x} = -c_+\, y\,\sigma(-x) + c_-\,(1-y)\,\sigma(x),\qquad
        \frac{\partial^2\ell}{\partial x^2} = \bigl(c_+ y + c_-(1-y)\bigr)\,\sigma(x)\,\sigma(-x).

    **What the weighting does.** For η = P(y = 1 | x) the expected loss is minimised by
    p* = σ(x*) = c₊η / (c₊η + c₋(1 − η)), i.e. x* = logit(η) + log(c₊/c₋): the model's
    probabilities are shifted by the log cost ratio (they are *not* calibrated unless
    c₊ = c₋). The shift is exactly the one that makes ½ the right cut: p* > ½ ⟺
    η > c₋/(c₋ + c₊), which is Elkan's (2001) Bayes threshold for costs c_FP = c₋, c_FN = c₊
    (correct decisions cost 0). So with a model trained on this loss, predict positive where
    x > 0; with a calibrated model (plain cross-entropy), predict positive where
    η > ``threshold``. The calibrated probability is recovered as η = σ(x − ``logit_shift``).
    Only the ratio c₊/c₋ matters for the minimiser; the scale multiplies the loss.

    With ``from_logits=False`` y_pred is q ∈ [0, 1]: ℓ = −c₊y log q − c₋(1 − y) log1p(−q),
    gradient −c₊y/q + c₋(1 − y)/(1 − q), Hessian c₊y/q² + c₋(1 − y)/(1 − q)², 0·log 0 = 0.

    Same as ``torch.nn.BCEWithLogitsLoss(pos_weight=c₊/c₋)`` times c₋, XGBoost's
    ``scale_pos_weight = c₊/c₋`` times c₋, or ``class_weight={0: c₋, 1: c₊}`` in scikit-learn
    (which divides the weighted mean by Σ weights of the samples, not by n as losslab's
    ``"mean"`` without ``sample_weight`` does).

    Examples
    --------
    >>> import losslab
    >>> loss = losslab.get("cost_sensitive_bce", fp_cost=1.0, fn_cost=9.0)
    >>> loss.threshold  # decide positive when P(y=1|x) > 0.1
    0.1
    >>> float(loss([1.0, 0.0], [0.0, 0.0], reduction="sum"))  # (9 + 1)·log 2
    6.931471805599453
    """

    name = "cost_sensitive_bce"
    aliases = ("cost_sensitive_binary_crossentropy", "cost_sensitive_log_loss")
    PARAMS = (
        Param("fp_cost", 1.0, "cost c₋ of a false positive (weight of the y = 0 term)", interval=POSITIVE),
        Param("fn_cost", 1.0, "cost c₊ of a false negative (weight of the y = 1 term)", interval=POSITIVE),
        FROM_LOGITS,
    )
    INFO = LossInfo(
        task=Task.BINARY,
        statistic=Statistic.COST_WEIGHTED_PROBABILITY,
        y_true=SOFT_LABEL,
        y_pred=LOGIT,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        equivalences=(
            Equivalence(
                "binary_crossentropy",
                when=(("fp_cost", 1.0), ("fn_cost", 1.0)),
                carry=(("from_logits", "from_logits"),),
            ),
        ),
        anchors=(
            AnchorRow(
                "c_FN·y·softplus(−x) + c_FP·(1 − y)·softplus(x); `threshold` = c_FP/(c_FP + c_FN) (Elkan)",
                (
                    Anchor(Library.PYTORCH, None, "c_FP × `BCEWithLogitsLoss(pos_weight=c_FN/c_FP)`"),
                    Anchor(Library.KERAS, None, "— (`class_weight` in `fit`)"),
                    Anchor(
                        Library.SKLEARN, None, "`class_weight={0: c_FP, 1: c_FN}` (mean divides by Σ weights)"
                    ),
                ),
                params="(c_FP, c_FN)",
            ),
        ),
        references=(
            "Elkan, C. (2001). The foundations of cost-sensitive learning. IJCAI.",
            "Cox, D. R. (1958). The regression analysis of binary sequences. JRSS B 20(2).",
        ),
    )

    @property
    def threshold(self) -> float:
        """Bayes threshold c_FP/(c_FP + c_FN) on the calibrated probability P(y = 1 | x)."""
        return self.fp_cost / (self.fp_cost + self.fn_cost)

    @property
    def logit_shift(self) -> float:
        """log(c_FN/c_FP): the minimiser's logit minus logit(P(y = 1 | x))."""
        return math.log(self.fn_cost / self.fp_cost)

    link = unless_probabilities(LOGIT_LINK)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        cp, cn = self.fn_cost, self.fp_cost
        if self.from_logits:
            return (t * sp.softplus(xp, -f)) * cp + cn * (1.0 - t) * sp.softplus(xp, f)
        return -cp * sp.xlogy(xp, t, f) - cn * sp.xlog1my(xp, 1.0 - t, f)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        cp, cn = self.fn_cost, self.fp_cost
        if self.from_logits:  # c₋ times BCE's gradient with pos_weight c₊/c₋ (exact near its root)
            return cn * _bce_logit_gradient(xp, t, f, cp / cn)
        return -cp * sp.safe_div(xp, t, f) + cn * sp.safe_div(xp, 1.0 - t, 1.0 - f)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        cp, cn = self.fn_cost, self.fp_cost
        if self.from_logits:
            return (cp * t + cn * (1.0 - t)) * sp.sigmoid_pair_product(xp, f)
        return cp * sp.safe_div2(xp, t, f) + cn * sp.safe_div2(xp, 1.0 - t, 1.0 - f)


@register
class PolyLoss(Loss):
    r"""Poly-1 loss (Leng et al. 2022; optax's ``poly_loss_cross_entropy``): cross-entropy plus
    ε times the probability left off the true class.

    With z the row of k logits, p = softmax(z), y the true class and ε = ``epsilon``:

    .. math::

        \ell = -\log p_y + \varepsilon\,(1 - p_y),\qquad
        \frac{\partial\ell}{\partial z_j} = (1 + \varepsilon p_y)(p_j - [j = y]),

        \frac{\partial^2\ell}{\partial z_j^2} = p_j(1 - p_j)
            - \varepsilon\,p_j\,([j = y] - p_y)(1 - 2p_j).

    1 − p_y is −expm1(log p_y) and p_y − 1 likewise, so a confident correct row keeps its tiny
    value and gradient. ε > 0 pushes harder on rows that are already nearly right, ε < 0 less
    (ε = −1 is the paper's least; below it the loss would reward lowering p_y). ε = 0 is the
    cross-entropy (declared equivalent). Targets are class indices or one-hot rows (for soft
    targets use ``categorical_crossentropy``). Estimates a **distorted** version of the class
    probabilities (ε ≠ 0 moves the minimiser off them), and is not convex in z for ε ≠ 0.
    Same as ``optax.poly_loss_cross_entropy(logits, one_hot, epsilon)``.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> poly = losslab.get("poly_loss", epsilon=2.0)
    >>> z = np.array([[2.0, 0.0, -1.0]])
    >>> poly([0], z).round(6)
    np.float64(0.482257)
    """

    name = "poly_loss"
    aliases = ("poly1", "poly_loss_cross_entropy", "poly1_cross_entropy")
    multiclass = True
    link = SOFTMAX
    PARAMS = (
        Param(
            "epsilon",
            2.0,
            "weight of the 1 − p_y term (0: cross-entropy)",
            interval=Interval(-1.0, math.inf, True, False),
        ),
    )
    INFO = LossInfo(
        task=Task.MULTICLASS,
        statistic=Statistic.DISTORTED_CLASS_PROBABILITIES,
        y_true=CLASS_TARGET,
        y_pred=LOGIT_ROWS,
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        equivalences=(Equivalence("categorical_crossentropy", when=(("epsilon", 0.0),)),),
        anchors=(
            AnchorRow(
                "−log p_y + ε(1 − p_y) ((1 + ε p_y)(p − e_y))",
                (Anchor(Library.OPTAX, "poly_loss_cross_entropy(epsilon)", "same (one-hot labels)"),),
                params="(ε)",
            ),
        ),
        references=(
            "Leng, Z. et al. (2022). PolyLoss: a polynomial expansion perspective of classification loss "
            "functions. ICLR.",
        ),
    )

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        t = class_targets(self, xp, y_true, f, check)
        if check and len(y_true.shape) == 2:
            report_bad(self.name, "y_true", t, (t != 0.0) & (t != 1.0), "one-hot rows (0s and a single 1)")
        return t

    def _parts(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        """log p and log p_y (an (n, 1) column)."""
        lp = sp.log_softmax(xp, f)
        return lp, xp.sum(t * lp, axis=1, keepdims=True)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        # −x − ε(eˣ − 1) with x = log p_y ≤ 0, as −(1 + ε)x − ε(eˣ − 1 − x): for ε ∈ [−1, 0] both
        # terms are ≥ 0, so ε = −1 keeps its ≈ x²/2 near a perfect row
        eps = self.epsilon
        _, lpy = self._parts(xp, t, f)
        return xp.reshape(-(1.0 + eps) * lpy - eps * sp.expm1mx(xp, lpy), (-1,))

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        # qⱼ = 1 − pⱼ, c = 1 + ε p_y, rⱼ = Σ_{i ∉ {j, y}} pᵢ:
        #   gⱼ = c (pⱼ − [j = y]),  h_y = p_y q_y (1 + ε − 2ε q_y),  hⱼ = pⱼ (p_y (1 + ε − 2ε pⱼ) + rⱼ);
        # each factor is written as a sum of terms of one sign for the sign of ε, so for
        # ε ∈ [−1, 1] nothing cancels (beyond, a factor's zero is the true Hessian's)
        eps = self.epsilon
        lp, lpy = self._parts(xp, t, f)
        p, py, qy = xp.exp(lp), xp.exp(lpy), 0.0 - xp.expm1(lpy)
        yes = t == 1.0
        em = xp.expm1(lp)  # p − 1, exact as p → 1
        q = 0.0 - em
        if eps >= 0.0:
            c = 1.0 + eps * py
            fy = (1.0 - eps) + 2.0 * eps * py
            fj = (1.0 - eps) + 2.0 * eps * q
        else:
            c = (1.0 + eps) - eps * qy
            fy = (1.0 + eps) - 2.0 * eps * qy
            fj = (1.0 + eps) - 2.0 * eps * p
        g = c * xp.where(yes, em, p)
        h_other = p * (py * fj + _rest(xp, p, yes))
        return g, xp.where(yes, p * q * fy, h_other)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[0]

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[1]


def _rest(xp: Any, p: Any, yes: Any) -> Any:
    """rⱼ = Σ_{i ∉ {j, y}} pᵢ per entry (y where ``yes``): the total over i ≠ y minus pⱼ, except
    for the largest such pⱼ, whose rest is summed directly (the difference would cancel)."""
    zero = xp.zeros_like(p)
    others = xp.where(yes, zero, p)
    k = p.shape[1]
    cols = xp.reshape(xp.arange(k, device=sp._device(p)), (1, k))
    top = cols == xp.argmax(others, axis=1, keepdims=True)
    direct = xp.sum(xp.where(top, zero, others), axis=1, keepdims=True)
    return xp.where(top, direct, xp.sum(others, axis=1, keepdims=True) - p)


# -- LightGBM's cross_entropy_lambda and multiclassova --------------------------------------------
class _IntensityLink(LogitLink):
    """response p = 1 − e^{−w·softplus(raw)}: the probability of at least one event of a Poisson
    process of rate softplus(raw) over intensity (exposure) w; w = 1 is the logit link."""

    def __init__(self, intensity: float) -> None:
        self.intensity = float(intensity)

    def inverse(self, raw: Any) -> Any:
        xp = array_namespace(raw)
        return -xp.expm1(-self.intensity * sp.softplus(xp, raw))

    def link(self, mu: Any) -> Any:
        xp = array_namespace(mu)
        lam = -xp.log1p(-mu) / self.intensity
        return lam + xp.log(-xp.expm1(-lam))  # log(expm1(λ)), the inverse of softplus

    def __repr__(self) -> str:
        return f"<link p = 1 - exp(-{self.intensity:g} softplus(raw))>"


class _ScaledLogitLink(LogitLink):
    """response σ(c·raw), entry by entry (LightGBM's ``sigmoid`` parameter c)."""

    def __init__(self, scale: float) -> None:
        self.scale = float(scale)

    def inverse(self, raw: Any) -> Any:
        return sp.sigmoid(array_namespace(raw), self.scale * raw)

    def log_inverse(self, raw: Any) -> Any:
        return sp.log_sigmoid(array_namespace(raw), self.scale * raw)

    def link(self, mu: Any) -> Any:
        return super().link(mu) / self.scale

    def __repr__(self) -> str:
        return f"<link logit, raw scaled by {self.scale:g}>"


#: x and log u (u = w·softplus(x)) below which the series in eˣ and u are exact to their first
#: terms: softplus(x) = eˣ − e^{2x}/2, log(1 − e^{−u}) = log u − u/2 (the next terms are < 1e-34)
_XENT_TAIL = -40.0


def _log1pmx(xp: Any, z: Any) -> Any:
    r"""log(1 + z) − z for −½ ≤ z ≤ 0, without cancellation: with s = z/(2 + z),
    −z²/(2 + z) + 2(s³/3 + s⁵/5 + …) (every term ≤ 0; |s| ≤ ⅓, 16 terms reach 1e-17)."""
    s = z / (2.0 + z)
    s2 = s * s
    acc = xp.zeros_like(z) + 1.0 / 33.0
    for k in range(15, 0, -1):  # Horner: 1/3 + s²/5 + s⁴/7 + … + s³⁰/33
        acc = 1.0 / (2 * k + 1) + s2 * acc
    return -(z * z) / (2.0 + z) + 2.0 * s * s2 * acc


_LN2 = math.log(2.0)
_BCE = BinaryCrossentropy()


@register
class CrossEntropyLambda(Loss):
    r"""LightGBM's ``cross_entropy_lambda`` (``xentlambda``): cross-entropy in the intensity
    parameterisation.

    The raw score x gives a rate λ = softplus(x) = log(1 + eˣ); over intensity w (``intensity``)
    the probability of a positive is p = 1 − e^{−wλ} (at least one event of a Poisson process).
    With u = wλ and y ∈ [0, 1]:

    .. math::

        \ell = (1 - y)\,u - y\log(1 - e^{-u}),\qquad
        \frac{\partial\ell}{\partial x} = \frac{w\,\sigma(x)}{p}\,(p - y),

        \frac{\partial^2\ell}{\partial x^2} = \frac{w\,\sigma(x)}{p}\Big(\sigma(-x)(p - y)
            + y\,e^{-u}\,\frac{w\,\sigma(x)}{p}\Big).

    log p = log(1 − e^{−u}) is formed as log(−expm1(−u)) or log1p(−e^{−u}), and from log u
    where u underflows (x → −∞), so ℓ is a sum of two non-negative terms exact at any x; the
    ratio wσ(x)/p is exp(log w + log σ(x) − log p), and p − y is (1 − y) − e^{−u} where p > ½.
    At w = 1, p = σ(x) and the loss is ``binary_crossentropy`` (declared equivalent; its
    kernels are used). Convex in x (1 − p is the survival function of a log-concave
    generalised logistic law); estimates the probability p through the intensity link.

    **LightGBM reads each row's Dataset weight as its intensity w** and does not multiply by it
    (without weights it runs plain cross-entropy); its metric averages over rows, not weights.
    losslab keeps ``sample_weight`` a multiplier (the contract), so LightGBM's rows of weight w
    are this loss with ``intensity=w``: same gradient and Hessian (tests/test_lightgbm_objectives.py).
    LightGBM's ``predict`` returns λ, not p.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> xl = losslab.get("xentlambda", intensity=2.0)
    >>> x = np.array([0.0])
    >>> float(xl.link.inverse(x)[0])  # 1 - exp(-2 log 2) = 3/4
    0.75
    >>> xl([1.0], x, reduction="none").round(12).tolist()  # -log(3/4)
    [0.287682072452]
    >>> xl.gradient([0.75], x).round(15).tolist()  # p = y: the optimum
    [0.0]
    """

    name = "cross_entropy_lambda"
    aliases = ("xentlambda", "cross_entropy_lambda_lightgbm")
    PARAMS = (
        Param(
            "intensity",
            1.0,
            "intensity (exposure) w: p = 1 − exp(−w·softplus(x)); LightGBM's row weight",
            interval=POSITIVE,
        ),
    )
    INFO = LossInfo(
        task=Task.BINARY,
        statistic=Statistic.PROBABILITY,
        y_true=SOFT_LABEL,
        y_pred=LOGIT,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        roles=((ParamRole.INTENSITY, "intensity"),),
        equivalences=(Equivalence("binary_crossentropy", when=(("intensity", 1.0),)),),
        anchors=(
            AnchorRow(
                "(1 − y)u − y log(1 − e^{−u}), u = w softplus(x) ((wσ(x)/p)(p − y))",
                (
                    Anchor(
                        Library.SKLEARN,
                        None,
                        "— (LightGBM `cross_entropy_lambda`: same, its row weight = w)",
                    ),
                ),
                params="(w)",
            ),
        ),
        references=(
            "LightGBM src/objective/xentropy_objective.hpp, class CrossEntropyLambda.",
            "Mächler, M. (2012). Accurately computing log(1 - exp(-|a|)). Rmpfr vignette.",
        ),
    )

    @property
    def link(self) -> Any:  # type: ignore[override]
        return LOGIT_LINK if self.intensity == 1.0 else _IntensityLink(self.intensity)

    def _parts(self, xp: Any, x: Any) -> dict[str, Any]:
        """The pieces of value and derivatives, each to full relative precision:
        u = w·softplus(x), log p, σ(x), C − 1 and B − 1 with C = σ(x)/softplus(x) and
        B = u/p (so that wσ(x)/p = B·C), and the tail mask (x and log u below −40)."""
        w = self.intensity
        zero, one = xp.zeros_like(x), xp.ones_like(x)
        lam = sp.softplus(xp, x)
        sig = sp.sigmoid(xp, x)
        small = x < _XENT_TAIL
        xs = xp.where(small, x, zero)
        # softplus(x) = eˣ(1 − eˣ/2 + …): from exp once, also where it is subnormal
        u = xp.where(small, sp.mul_exp(xp, xp.full_like(x, w), xs) * (1.0 - 0.5 * xp.exp(xs)), w * lam)
        log_lam = xp.where(small, xs - 0.5 * xp.exp(xs), xp.log(xp.where(small, one, lam)))
        log_u = math.log(w) + log_lam
        tiny = log_u < _XENT_TAIL
        ub = xp.where(tiny, one, u)
        near = ub < _LN2
        log_big = xp.where(
            near,
            xp.log(-xp.expm1(-xp.where(near, ub, one))),
            xp.log1p(-xp.exp(-xp.where(near, one, ub))),
        )
        log_p = xp.where(tiny, log_u - 0.5 * u, log_big)
        # C − 1 = (σ − softplus)/softplus; for x < 0, σ − softplus = log1p(−σ) + σ (series)
        neg = x < 0.0
        lam_safe = xp.where(small, one, lam)
        c_neg = xp.where(small, -0.5 * xp.exp(xs), _log1pmx(xp, -xp.where(neg, sig, zero)) / lam_safe)
        c_pos = sig / lam_safe
        cm1 = xp.where(neg, c_neg, c_pos - 1.0)
        # B − 1 = (e^{−u} − 1 + u)/p = u/2 + u²/12 − … for tiny u
        p_big = -xp.expm1(-ub)
        bm1 = xp.where(ub < 1e-4, 0.5 * u + u * u / 12.0, sp.expm1mx(xp, -ub) / p_big)
        bm1 = xp.where(tiny, 0.5 * u, bm1)
        c = xp.where(neg, 1.0 + cm1, c_pos)  # C itself, not 1 + (C − 1), where C is small
        return {"u": u, "log_p": log_p, "sig": sig, "c": c, "cm1": cm1, "bm1": bm1, "tail": small & tiny}

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        if self.intensity == 1.0:
            return _BCE._value(xp, t, f)
        q = self._parts(xp, f)
        return (1.0 - t) * q["u"] - sp.xmul(xp, t, q["log_p"])

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        if self.intensity == 1.0:
            return _BCE._gradient(xp, t, f), _BCE._hessian(xp, t, f)
        w = self.intensity
        q = self._parts(xp, f)
        u, log_p, sig, c, cm1, bm1 = q["u"], q["log_p"], q["sig"], q["c"], q["cm1"], q["bm1"]
        ratio = (1.0 + bm1) * c  # wσ(x)/p
        e_u = xp.exp(-u)  # 1 − p
        p_minus_y = xp.where(log_p < -_LN2, xp.exp(log_p) - t, (1.0 - t) - e_u)
        g = ratio * p_minus_y
        # H = (1 − y) wσ(x)σ(−x) + y e^{−u} r (r − σ(−x)), r − σ(−x) = (B − 1)C + (C − 1) + σ(x)
        # for x < 0 (where r and σ(−x) both near 1 would cancel)
        a = xp.where(f < 0.0, bm1 * c + cm1 + sig, ratio - sp.sigmoid(xp, -f))
        # (1 − y)wσ(x)σ(−x) is (1 − y)w e^{−x}(1 + O(e^{−x})) on the right: rounded once
        right = f > -_XENT_TAIL
        spp = xp.where(
            right,
            sp.mul_exp(xp, (1.0 - t) * w, -xp.where(right, f, xp.zeros_like(f))),
            (1.0 - t) * (w * sp.sigmoid_pair_product(xp, f)),
        )
        h = spp + sp.mul_exp(xp, t * (ratio * a), -u)
        # far left: H = eˣ((1 − y)w + y(w + 1)/2)(1 + O(eˣ, u)), rounded once
        tail = q["tail"]
        h_tail = sp.mul_exp(xp, (1.0 - t) * w + t * (0.5 * (w + 1.0)), xp.where(tail, f, xp.zeros_like(f)))
        return g, xp.where(tail, h_tail, h)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[0]

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[1]


@register
class MulticlassOVA(Loss):
    r"""One-vs-all multiclass loss (LightGBM's ``multiclassova``): k independent binary
    cross-entropies, one per class column.

    With z the row of k raw scores, c = ``sigmoid`` and tⱼ = [y = j] (or a probability row):

    .. math::

        \ell = \sum_j t_j\operatorname{softplus}(-c z_j) + (1 - t_j)\operatorname{softplus}(c z_j),

        \frac{\partial\ell}{\partial z_j} = c\,\big(\sigma(c z_j) - t_j\big),\qquad
        \frac{\partial^2\ell}{\partial z_j^2} = c^2\,\sigma(c z_j)\,\sigma(-c z_j).

    The columns do not interact, so the Hessian is exactly diagonal. Each column is
    ``binary_crossentropy`` at the logit c·zⱼ, with its exact kernels. Convex; estimates each
    class's probability σ(c zⱼ) one against the rest (LightGBM's ``predict``; statistic
    ``one_vs_rest_probabilities``): a row of them need not sum to 1 (`losslab.sklearn.
    LossClassifier`'s ``predict_proba`` divides them by their sum, as scikit-learn's one-vs-rest
    classifiers do, and `losslab.compare` scores that distribution). LightGBM's
    ``multiclassova`` with ``sigmoid`` = c (and ``num_class`` = k) has this gradient and Hessian;
    its labels are class indices.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> ova = losslab.get("multiclassova")
    >>> z = np.array([[0.0, 0.0, 0.0]])
    >>> ova([1], z).round(12)  # 3 log 2
    np.float64(2.079441541680)
    >>> ova.gradient([1], z).tolist()
    [[0.5, -0.5, 0.5]]
    """

    name = "multiclassova"
    aliases = ("multiclass_ova", "ova", "ovr")
    multiclass = True
    PARAMS = (
        Param(
            "sigmoid",
            1.0,
            "scale c of the raw score in each column's sigmoid σ(c z) (LightGBM's sigmoid)",
            interval=POSITIVE,
        ),
    )
    INFO = LossInfo(
        task=Task.MULTICLASS,
        statistic=Statistic.ONE_VS_REST_PROBABILITIES,
        y_true=CLASS_TARGET,
        y_pred=LOGIT_ROWS,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        anchors=(
            AnchorRow(
                "Σⱼ BCE(tⱼ, c zⱼ) (c(σ(c z) − t))",
                (Anchor(Library.SKLEARN, None, "— (LightGBM `multiclassova`, `sigmoid` = c: same)"),),
                params="(c)",
            ),
        ),
        references=(
            "LightGBM src/objective/multiclass_objective.hpp, class MulticlassOVA.",
            "Rifkin, R. & Klautau, A. (2004). In defense of one-vs-all classification. JMLR 5.",
        ),
    )

    @property
    def link(self) -> Any:  # type: ignore[override]
        return LOGIT_LINK if self.sigmoid == 1.0 else _ScaledLogitLink(self.sigmoid)

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        return class_targets(self, xp, y_true, f, check)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.sum(_BCE._value(xp, t, self.sigmoid * f), axis=1)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return self.sigmoid * _bce_logit_gradient(xp, t, self.sigmoid * f, 1.0)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        c = self.sigmoid
        return (c * c) * sp.sigmoid_pair_product(xp, c * f)
