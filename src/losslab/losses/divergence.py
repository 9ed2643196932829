"""Divergences between a target distribution and the model's: Kullback–Leibler."""

from __future__ import annotations

from typing import Any

from .._core import Loss, LossInfo, Param, ShapeError, register
from .._core import special as sp
from ..links import IDENTITY, SOFTMAX
from .classification import _check_prob_rows, class_targets, weighted_ce_grad_hess

__all__ = ["KLDivergence"]


@register
class KLDivergence(Loss):
    r"""Kullback–Leibler divergence KL(t ‖ q) of the model's distribution q from the target t.

    With t a row of target probabilities and log q = log_softmax(z) of the logits z:

    .. math::

        \ell = \sum_j t_j(\log t_j - \log q_j),\qquad
        \frac{\partial\ell}{\partial z_j} = q_j\textstyle\sum_i t_i - t_j,\qquad
        \frac{\partial^2\ell}{\partial z_j^2} = q_j(1 - q_j)\textstyle\sum_i t_i,

    with 0·log 0 = 0 (a zero target contributes nothing, and no NaN gradient as in optax). With
    ``from_logits=False`` y_pred rows are probabilities q: gradient −tⱼ/qⱼ, Hessian tⱼ/qⱼ²; a
    zero qⱼ under a positive tⱼ gives +inf. This is the "forward" direction used for
    distillation: ``torch.nn.functional.kl_div(log_softmax(z), t, reduction="batchmean")`` (note
    PyTorch's reversed argument order and log-space input) and ``keras.losses.KLDivergence``
    (which clips both arguments to [1e-7, 1]). Per-sample values are summed over classes;
    losslab's ``"mean"`` is PyTorch's ``"batchmean"``.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> kl = losslab.get("kl_divergence")
    >>> t = np.array([[0.5, 0.5, 0.0]])
    >>> float(kl(t, np.log(np.array([[0.25, 0.5, 0.25]]))))
    0.34657359027997264
    """

    name = "kl_divergence"
    aliases = ("kl", "kld", "kullback_leibler")
    multiclass = True
    PARAMS = (Param("from_logits", True, "y_pred holds logits (True) or probabilities (False)", kind="bool"),)
    INFO = LossInfo(
        task="distribution",
        estimates="target distribution",
        y_true="probability rows of shape (n, k) summing to 1",
        y_pred="logits of shape (n, k), or probability rows with from_logits=False",
        convex=True,
        smooth=True,
        robust=False,
        hessian="exact",
        references=(
            "Kullback, S. & Leibler, R. A. (1951). On information and sufficiency. Ann. Math. Stat. 22(1).",
        ),
    )

    @property
    def link(self) -> Any:  # type: ignore[override]
        return SOFTMAX if self.from_logits else IDENTITY

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        if len(y_true.shape) != 2:
            raise ShapeError(
                f"y_true for loss {self.name!r} must be probability rows of shape {tuple(f.shape)}; "
                f"got shape {tuple(y_true.shape)}. Use categorical_crossentropy for class indices."
            )
        return class_targets(self, xp, y_true, f, check)

    def _y_pred_bad(self, xp: Any, f: Any) -> tuple[Any, str] | None:
        return None if self.from_logits else _check_prob_rows(self, xp, f)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        logq = sp.log_softmax(xp, f) if self.from_logits else None
        neg_entropy = sp.xlogy(xp, t, t)
        cross = t * logq if logq is not None else sp.xlogy(xp, t, f)
        return xp.sum(neg_entropy - cross, axis=1)

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        if self.from_logits:
            return weighted_ce_grad_hess(xp, t, sp.log_softmax(xp, f))
        return -sp.safe_div(xp, t, f), sp.safe_div2(xp, t, f)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[0]

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[1]
