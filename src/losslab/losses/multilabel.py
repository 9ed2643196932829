r"""Multi-label losses: each row has k labels, any number of them positive.

y_true is an (n, k) array of 0/1 indicators (soft labels in [0, 1] where the loss allows them),
y_pred the (n, k) raw scores (logits); per-sample values have shape (n,), gradient and Hessian
(n, k). PyTorch's ``MultiLabelMarginLoss`` takes its targets as rows of class indices padded
with −1 instead: `indices_to_indicators` converts them.
"""

from __future__ import annotations

from typing import Any

from .._core import Loss, LossInfo, Param, ParameterError, register
from .._core import special as sp
from .._core.domains import SCORE_ROWS, SOFT_LABEL, Domain, DomainKind
from .._core.errors import ShapeError
from .._core.info import Anchor, AnchorRow, HessianKind, Library, Task
from .._core.params import Interval
from .._core.statistic import Statistic
from ..links import LOGIT
from .classification import BinaryCrossentropy

__all__ = ["MultilabelMargin", "MultilabelSoftMargin", "indices_to_indicators"]

#: (n, k) soft labels in [0, 1]
SOFT_LABEL_ROWS = Domain(SOFT_LABEL.kind, SOFT_LABEL.interval, shape="(n, k)")
#: (n, k) 0/1 indicators
INDICATOR_ROWS = Domain(DomainKind.LABEL, Interval(0.0, 1.0, True, True), values=(0.0, 1.0), shape="(n, k)")
_BCE = BinaryCrossentropy()  # its elementwise kernels on logits


def indices_to_indicators(target: Any, n_classes: int | None = None) -> Any:
    """PyTorch's ``MultiLabelMarginLoss`` targets (rows of class indices, the first −1 ending
    each row's list) as (n, k) 0/1 indicator rows (NumPy).

    Examples
    --------
    >>> indices_to_indicators([[3, 0, -1, 1]]).tolist()
    [[1.0, 0.0, 0.0, 1.0]]
    """
    import numpy as np

    idx = np.asarray(target)
    idx = idx.reshape(1, -1) if idx.ndim == 1 else idx
    k = idx.shape[1] if n_classes is None else n_classes
    out = np.zeros((idx.shape[0], k))
    for i, row in enumerate(idx):
        for j in row:
            if j < 0:
                break
            out[i, int(j)] = 1.0
    return out


class _Multilabel(Loss):
    """y_true must have y_pred's shape (n, k); per-class weights checked against k."""

    multiclass = True

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """0/1 indicator rows (k = 4, about a third positive) and normal logits."""
        import numpy as np

        rng = np.random.default_rng(seed)
        return (rng.uniform(size=(n, 4)) < 0.35).astype(float), rng.normal(0.0, 3.0, (n, 4))

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        if tuple(y_true.shape) != tuple(f.shape):
            raise ShapeError(
                f"y_true for loss {self.name!r} must be (n, k) label indicators of y_pred's shape "
                f"{tuple(f.shape)}; got shape {tuple(y_true.shape)} (class indices padded with -1, "
                "PyTorch's format, convert with losslab.losses.multilabel.indices_to_indicators)."
            )
        return super()._target(xp, y_true, f, check)


@register
class MultilabelSoftMargin(_Multilabel):
    r"""Mean over the k labels of binary cross-entropy on logits (PyTorch's
    ``MultiLabelSoftMarginLoss``).

    With x the row of k logits, y ∈ [0, 1]ᵏ and per-class weights c (``class_weight``, 1 by
    default), σ the sigmoid:

    .. math::

        \ell = \frac1k\sum_j c_j\bigl(y_j\operatorname{softplus}(-x_j)
            + (1-y_j)\operatorname{softplus}(x_j)\bigr),\qquad
        \frac{\partial\ell}{\partial x_j} = \frac{c_j}{k}\bigl(\sigma(x_j) - y_j\bigr),\qquad
        \frac{\partial^2\ell}{\partial x_j^2} = \frac{c_j}{k}\,\sigma(x_j)\sigma(-x_j),

    each term computed as ``binary_crossentropy`` computes it (log space, exact at any logit;
    PyTorch writes it with ``logsigmoid``, which is as exact). Estimates each label's
    **probability** P(y_j = 1 | x). Same as ``torch.nn.MultiLabelSoftMarginLoss(weight=c)``
    per sample. Keras's ``BinaryCrossentropy`` on (n, k) rows also averages over the last axis
    (without class weights); optax's ``sigmoid_binary_cross_entropy`` returns the (n, k) terms.

    Examples
    --------
    >>> import losslab
    >>> loss = losslab.get("multilabel_soft_margin")
    >>> float(loss([[1.0, 0.0]], [[0.0, 0.0]]))  # log 2
    0.6931471805599453
    """

    name = "multilabel_soft_margin"
    aliases = ("multilabel_soft_margin_loss", "multilabelsoftmarginloss")
    PARAMS = (Param("class_weight", None, "weight per class (label), multiplying its term", kind="vector"),)
    INFO = LossInfo(
        task=Task.MULTILABEL,
        statistic=Statistic.PROBABILITY,
        y_true=SOFT_LABEL_ROWS,
        y_pred=SCORE_ROWS,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        anchors=(
            AnchorRow(
                "(1/k) Σⱼ cⱼ BCE(yⱼ, xⱼ) ((cⱼ/k)(σ(xⱼ) − yⱼ))",
                (
                    Anchor(Library.PYTORCH, "MultiLabelSoftMarginLoss(weight=c)", "same"),
                    Anchor(
                        Library.KERAS, None, "`BinaryCrossentropy(from_logits=True)` on rows: same (no c)"
                    ),
                    Anchor(Library.OPTAX, None, "`sigmoid_binary_cross_entropy(...).mean(-1)`: same"),
                ),
            ),
        ),
        references=(
            "Tsoumakas, G. & Katakis, I. (2007). Multi-label classification: an overview. IJDWM 3(3).",
        ),
    )

    link = LOGIT

    def _scale(self, xp: Any, f: Any) -> Any:
        """cⱼ/k as a (1, k) row (1/k without class weights)."""
        k = int(f.shape[1])
        if self.class_weight is None:
            return 1.0 / k
        if len(self.class_weight) != k:
            raise ParameterError(
                f"parameter 'class_weight' of loss {self.name!r} has {len(self.class_weight)} "
                f"weights but y_pred has {k} labels."
            )
        c = xp.asarray(self.class_weight, dtype=f.dtype, device=sp._device(f))
        return xp.reshape(c, (1, k)) / k

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.sum(_BCE._value(xp, t, f) * self._scale(xp, f), axis=1)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return _BCE._gradient(xp, t, f) * self._scale(xp, f)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return _BCE._hessian(xp, t, f) * self._scale(xp, f)

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        g, h = _BCE._gradient_hessian(xp, t, f)
        c = self._scale(xp, f)
        return g * c, h * c


@register
class MultilabelMargin(_Multilabel):
    r"""Multi-label hinge on pairs (PyTorch's ``MultiLabelMarginLoss``): every positive label
    should score at least 1 above every negative one.

    With x the row of k scores, P the positive labels (yⱼ = 1) and N the negative ones:

    .. math::

        \ell = \frac1k\sum_{j\in P}\sum_{i\in N}\max(0,\ 1 - (x_j - x_i)),

        \frac{\partial\ell}{\partial x_m} = \frac1k\Bigl(
            \sum_{j\in P} [1 - x_j + x_m > 0]\,[m\in N]
            - \sum_{i\in N} [1 - x_m + x_i > 0]\,[m\in P]\Bigr),

    Hessian 0 (piecewise linear; at a kink, 1 − (x_j − x_i) = 0, the term's subgradient 0 is
    taken, as PyTorch does). A row with no positive or no negative label scores 0.

    y_true is (n, k) 0/1 indicators; PyTorch's target rows of class indices padded with −1 are
    converted by `indices_to_indicators` (``[[3, 0, -1, 1]]`` → ``[[1, 0, 0, 1]]``). Same
    scaling as ``torch.nn.MultiLabelMarginLoss`` (÷k per sample). Keras and optax have no
    counterpart. Estimates a **decision**: the positive labels ranked above the negative ones.

    Examples
    --------
    >>> import losslab
    >>> loss = losslab.get("multilabel_margin")
    >>> round(float(loss([[1.0, 0.0, 0.0, 1.0]], [[0.1, 0.2, 0.4, 0.8]])), 12)  # PyTorch's example
    0.85
    """

    name = "multilabel_margin"
    aliases = ("multilabel_margin_loss", "multilabelmarginloss")
    PARAMS = ()
    INFO = LossInfo(
        task=Task.MULTILABEL,
        statistic=Statistic.DECISION,
        y_true=INDICATOR_ROWS,
        y_pred=SCORE_ROWS,
        convex=True,
        smooth=False,
        robust=True,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        anchors=(
            AnchorRow(
                "(1/k) Σ_{j∈P, i∈N} max(0, 1 − xⱼ + xᵢ)",
                (
                    Anchor(
                        Library.PYTORCH,
                        "MultiLabelMarginLoss",
                        "same (targets: class indices padded with −1)",
                    ),
                ),
            ),
        ),
        references=(
            "Crammer, K. & Singer, Y. (2003). A family of additive online algorithms for category "
            "ranking. JMLR 3.",
        ),
    )

    def _pairs(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        """(n, k, k) pair weights y_j(1 − y_i) and margins 1 − x_j + x_i (j: axis 1, i: axis 2)."""
        pos = xp.expand_dims(t, axis=2) * xp.expand_dims(1.0 - t, axis=1)
        margin = 1.0 - xp.expand_dims(f, axis=2) + xp.expand_dims(f, axis=1)
        return pos, margin

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        pos, margin = self._pairs(xp, t, f)
        hinge = xp.maximum(margin, xp.zeros_like(margin))
        return xp.sum(xp.sum(pos * hinge, axis=2), axis=1) / float(f.shape[1])

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        pos, margin = self._pairs(xp, t, f)
        active = pos * xp.astype(margin > 0.0, f.dtype)
        # pair (j, i): −1 on x_j, +1 on x_i
        return (xp.sum(active, axis=1) - xp.sum(active, axis=2)) / float(f.shape[1])

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.zeros_like(f)
