"""Divergences between a target distribution (or measure) and the model's: Kullback–Leibler."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from .._core import Interval, Loss, LossInfo, Param, ShapeError, register
from .._core import special as sp
from .._core.domains import LOG_PROBABILITY_ROWS, LOGIT_ROWS, PROBABILITY_ROWS, Domain, DomainKind
from .._core.info import Anchor, AnchorRow, HessianKind, Library, Task
from .._core.statistic import Statistic
from ..links import LOG, SOFTMAX, unless_probabilities
from ._params import FROM_LOGITS
from .classification import LogitsOrProbabilities, class_targets, weighted_ce_grad_hess
from .counts import Poisson
from .focal import log1m_softmax

__all__ = ["ConvexKL", "KLDivergence", "KLDivergenceLogTargets"]

#: KL(q ‖ t) is infinite where a target entry is 0
POSITIVE_ROWS = Domain(
    DomainKind.PROBABILITY_ROW,
    Interval(0.0, 1.0, False, True),
    note="with direction='reverse' (KL(q || t) is infinite where t = 0)",
    shape="(n, k)",
)


@register
class KLDivergence(LogitsOrProbabilities, Loss):
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

    ``direction="reverse"`` gives KL(q ‖ t) instead: the model's distribution first, the
    *mode-seeking* direction (variational inference, policy distillation), which penalises
    mass the model puts where the target has little, and ignores target modes the model
    misses. With cⱼ = log qⱼ − log tⱼ:

    .. math::

        \ell = \sum_j q_j c_j,\qquad
        \frac{\partial\ell}{\partial z_i} = q_i\,(c_i - \ell),\qquad
        \frac{\partial^2\ell}{\partial z_i^2} = q_i\bigl[(1 - 2q_i)(c_i - \ell) + 1 - q_i\bigr]

    (from ∂qⱼ/∂zᵢ = qⱼ(δᵢⱼ − qᵢ) and Σⱼ ∂qⱼ/∂zᵢ = 0). It is not convex in the logits: the
    Hessian diagonal is negative where qᵢ > ½ and cᵢ − ℓ is large, so ``info.hessian`` is
    "indefinite". q > 0 everywhere, so every target entry must be > 0 (a zero tⱼ makes the loss
    +inf for every logit; losslab raises instead of returning inf and NaN gradients). With
    ``from_logits=False``: ℓ = Σ qⱼ log qⱼ − qⱼ log tⱼ, gradient log qⱼ − log tⱼ + 1 (−inf at
    qⱼ = 0), Hessian 1/qⱼ. Products of a tiny qᵢ with a large log factor are taken as
    ±exp(log qᵢ + log|factor|), so they stay accurate down to the subnormal range. In PyTorch
    the reverse direction is ``kl_div(log t, log_softmax(z), log_target=True)`` with the
    arguments swapped; optax's ``kl_divergence(log_predictions, targets)`` is forward only.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> kl = losslab.get("kl_divergence")
    >>> t = np.array([[0.5, 0.5, 0.0]])
    >>> float(kl(t, np.log(np.array([[0.25, 0.5, 0.25]]))))
    0.34657359027997264
    >>> rkl = losslab.get("kl_divergence", direction="reverse")  # KL(q || t) = log(2)/4
    >>> float(rkl(np.array([[0.25, 0.5, 0.25]]), np.log(np.array([[0.5, 0.25, 0.25]]))))
    0.17328679513998638
    """

    name = "kl_divergence"
    aliases = ("kl", "kld", "kullback_leibler")
    multiclass = True
    PARAMS = (
        FROM_LOGITS,
        Param(
            "direction",
            "forward",
            "forward: KL(target ‖ model) (mass-covering); reverse: KL(model ‖ target) (mode-seeking)",
            kind="choice",
            choices=("forward", "reverse"),
        ),
    )
    INFO = LossInfo(
        task=Task.DISTRIBUTION,
        statistic=Statistic.DISTRIBUTION,
        y_true=PROBABILITY_ROWS,
        y_pred=LOGIT_ROWS,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        anchors=(
            AnchorRow(
                "Σ tⱼ (log tⱼ − log qⱼ)",
                (
                    Anchor(Library.PYTORCH, 'KLDivLoss(reduction="batchmean")', "same"),
                    Anchor(Library.KERAS, "KLDivergence", "same up to its clipping"),
                    Anchor(Library.OPTAX, "kl_divergence", "same"),
                ),
            ),
            AnchorRow(
                "Σ qⱼ(log qⱼ − log tⱼ) (qᵢ(cᵢ − ℓ), cᵢ = log qᵢ − log tᵢ); needs t > 0; Hessian indefinite",
                (
                    Anchor(
                        Library.PYTORCH,
                        None,
                        "`kl_div(log t, log_softmax(z), log_target=True)` (arguments swapped)",
                    ),
                ),
                call='(direction="reverse")',
            ),
        ),
        references=(
            "Kullback, S. & Leibler, R. A. (1951). On information and sufficiency. Ann. Math. Stat. 22(1).",
        ),
    )

    def _info(self) -> LossInfo:
        """Metadata; the reverse direction is mode-seeking, needs targets > 0 and is not convex
        in the logits (indefinite Hessian)."""
        info = super()._info()
        if self.direction == "forward":
            return info
        info = replace(info, statistic=Statistic.MODE_SEEKING_DISTRIBUTION, y_true=POSITIVE_ROWS)
        if self.from_logits:
            return replace(info, convex=False, hessian=HessianKind.INDEFINITE)
        return info

    link = unless_probabilities(SOFTMAX)

    def baseline(self, y_true: Any, sample_weight: Any = None) -> Any:
        """The best constant prediction; for ``direction="reverse"`` in closed form.

        Σᵢ wᵢ KL(q ‖ tᵢ) is minimised over the simplex by the normalised weighted *geometric*
        mean of the targets, q ∝ exp(Σᵢ wᵢ log tᵢ / Σ w) (the forward direction gives the
        arithmetic mean); returned as centred logits, or as q with ``from_logits=False``.
        """
        if self.direction == "forward":
            return super().baseline(y_true, sample_weight)
        import numpy as np

        from .._core.xp import to_numpy

        t = np.asarray(to_numpy(y_true), dtype=np.float64)
        w = None if sample_weight is None else np.asarray(to_numpy(sample_weight), dtype=np.float64)
        if t.ndim != 2:
            raise ShapeError(
                f"y_true for loss {self.name!r} must be probability rows of shape (n, k); "
                f"got shape {t.shape}."
            )
        self(t, np.full(t.shape, 1.0 / t.shape[1]), sample_weight=w)  # the loss's own checks
        z = np.average(self._log_t(np, t), axis=0, weights=w)
        z = z - z.mean()
        if self.from_logits:
            return z
        e = np.exp(z - z.max())
        return e / e.sum()

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        if len(y_true.shape) != 2:
            raise ShapeError(
                f"y_true for loss {self.name!r} must be probability rows of shape {tuple(f.shape)}; "
                f"got shape {tuple(y_true.shape)}. Use categorical_crossentropy for class indices."
            )
        return class_targets(self, xp, y_true, f, check)

    def _log_t(self, xp: Any, t: Any) -> Any:
        """log t of the kernel's target (`KLDivergenceLogTargets` receives it as it is)."""
        return xp.log(t)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        if self.direction == "reverse":
            if not self.from_logits:
                return xp.sum(sp.xlogy(xp, f, f) - sp.xmul(xp, f, self._log_t(xp, t)), axis=1)
            logq = sp.finite_log(xp, sp.log_softmax(xp, f))
            return xp.sum(sp.signed_exp(xp, logq - self._log_t(xp, t), logq), axis=1)
        logq = sp.log_softmax(xp, f) if self.from_logits else None
        neg_entropy = sp.xlogy(xp, t, t)
        cross = sp.xmul_log_softmax(xp, t, f, logq) if logq is not None else sp.xlogy(xp, t, f)
        return xp.sum(neg_entropy - cross, axis=1)

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        if self.direction == "reverse":
            if not self.from_logits:
                return xp.log(f) - self._log_t(xp, t) + 1.0, 1.0 / f
            logq, log_r, dev = _reverse_parts(xp, self._log_t(xp, t), f)
            q, r = xp.exp(logq), xp.exp(log_r)
            return sp.signed_exp(xp, dev, logq), sp.signed_exp(xp, (r - q) * dev + r, logq)
        if self.from_logits:
            return weighted_ce_grad_hess(xp, t, sp.log_softmax(xp, f))
        return -sp.safe_div(xp, t, f), sp.safe_div2(xp, t, f)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[0]

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[1]


@register
class KLDivergenceLogTargets(KLDivergence):
    r"""Kullback–Leibler divergence KL(t ‖ q) with the target given as log-probabilities s = log t.

    `KLDivergence` with y_true rows of log-probabilities (finite, ≤ 0, exponentials summing to
    1): with log q = log_softmax(z),

    .. math::

        \ell = \sum_j e^{s_j}(s_j - \log q_j),\qquad
        \frac{\partial\ell}{\partial z_j} = q_j\textstyle\sum_i e^{s_i} - e^{s_j},\qquad
        \frac{\partial^2\ell}{\partial z_j^2} = q_j(1 - q_j)\textstyle\sum_i e^{s_i}.

    A target far below any float's range (s = −800) stays exact where t = e^s would underflow to
    0: each term e^{sⱼ}(sⱼ − log qⱼ) is one rounding of the product, subnormal results included.
    ``direction="reverse"`` gives KL(q ‖ t) = Σ qⱼ(log qⱼ − sⱼ), with the derivatives of
    `KLDivergence`'s reverse direction; ``from_logits=False`` takes probability rows q as there.

    This is ``torch.nn.KLDivLoss(reduction="batchmean", log_target=True)`` applied to
    ``(log_softmax(z), s)`` and ``optax.kl_divergence_with_log_targets(log_softmax(z), s)``.
    Both compute e^{s}(s − log q) as written, which is NaN for a zero probability (s = −inf:
    0·inf); losslab takes finite log targets (rows of log_softmax output).

    Examples
    --------
    >>> import losslab, numpy as np
    >>> kl = losslab.get("kl_divergence_with_log_targets")
    >>> s = np.log(np.array([[0.5, 0.25, 0.25]]))
    >>> float(kl(s, np.log(np.array([[0.25, 0.5, 0.25]]))))  # log(2)/4
    0.17328679513998632
    """

    name = "kl_divergence_log_targets"
    aliases = ("kl_divergence_with_log_targets", "kl_div_log_target", "kld_log_target")
    INFO = replace(
        KLDivergence.INFO,
        y_true=LOG_PROBABILITY_ROWS,
        anchors=(
            AnchorRow(
                "Σ e^{sⱼ}(sⱼ − log qⱼ), s = log t",
                (
                    Anchor(Library.PYTORCH, 'KLDivLoss(reduction="batchmean", log_target=True)', "same"),
                    Anchor(Library.OPTAX, "kl_divergence_with_log_targets", "same"),
                ),
            ),
            AnchorRow(
                "Σ qⱼ(log qⱼ − sⱼ); Hessian indefinite",
                (
                    Anchor(
                        Library.PYTORCH,
                        None,
                        "`kl_div(s, log_softmax(z), log_target=True)` (arguments swapped)",
                    ),
                ),
                call='(direction="reverse")',
            ),
        ),
    )

    def _info(self) -> LossInfo:
        """`KLDivergence`'s metadata; the log targets keep their domain in either direction."""
        return replace(super()._info(), y_true=LOG_PROBABILITY_ROWS)

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """Dirichlet rows as log-probabilities, and logits (or probability rows)."""
        import numpy as np

        t, f = super().example(n, seed)
        return np.log(np.clip(t, 1e-300, None)), f

    def baseline(self, y_true: Any, sample_weight: Any = None) -> Any:
        """`KLDivergence`'s best constant prediction for the targets e^s."""
        import numpy as np

        from .._core.xp import to_numpy

        s = np.asarray(to_numpy(y_true), dtype=np.float64)
        self(s, np.full(s.shape, 1.0 / s.shape[-1]) if s.ndim == 2 else s, sample_weight=sample_weight)
        if self.direction == "reverse":
            return super().baseline(s, sample_weight)  # the geometric mean, from s directly
        return KLDivergence(**self.params).baseline(np.exp(s), sample_weight)

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        if len(y_true.shape) != 2 or tuple(y_true.shape) != tuple(f.shape):
            raise ShapeError(
                f"y_true for loss {self.name!r} must be log-probability rows of shape {tuple(f.shape)}; "
                f"got shape {tuple(y_true.shape)}."
            )
        return xp.astype(y_true, f.dtype)

    def _log_t(self, xp: Any, t: Any) -> Any:
        return t

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        if self.direction == "reverse":
            return super()._value(xp, t, f)
        logq = sp.log_softmax(xp, f) if self.from_logits else xp.log(f)
        return xp.sum(sp.mul_exp(xp, t - logq, t), axis=1)

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        if self.direction == "reverse":
            return super()._gradient_hessian(xp, t, f)
        if self.from_logits:
            return weighted_ce_grad_hess(xp, xp.exp(t), sp.log_softmax(xp, f))
        logq = xp.log(f)
        return -xp.exp(t - logq), xp.exp(t - 2.0 * logq)


_POISSON = Poisson()  # its elementwise kernels are the generalized KL's terms

#: non-negative rows (unnormalised measures)
_MEASURE_ROWS = Domain(
    DomainKind.NONNEGATIVE,
    Interval(0.0, math.inf, True, False),
    note="(an unnormalised measure)",
    shape="(n, k)",
)
_LOG_MEASURE_ROWS = Domain(DomainKind.RAW_SCORE, note="(the log of the predicted measure)", shape="(n, k)")


@register
class ConvexKL(Loss):
    r"""Generalized (convex) Kullback–Leibler divergence between unnormalised measures.

    With t ≥ 0 a row of target masses (need not sum to 1) and y_pred the log of the predicted
    masses, μⱼ = e^{fⱼ}, no softmax:

    .. math::

        \ell = \sum_j \Bigl(t_j\log\frac{t_j}{\mu_j} - t_j + \mu_j\Bigr),\qquad
        \frac{\partial\ell}{\partial f_j} = \mu_j - t_j,\qquad
        \frac{\partial^2\ell}{\partial f_j^2} = \mu_j,

    with 0·log 0 = 0 (a zero target adds μⱼ). It is the Bregman divergence of x log x − x, ≥ 0,
    0 only at μ = t, convex in f, and the KL divergence when both rows sum to 1. Each term is the
    Poisson half deviance of (tⱼ, fⱼ) (`losslab`'s ``poisson``, computed as tⱼ(e^{d} − 1 − d)
    with d = fⱼ − log tⱼ): so a near-perfect prediction keeps full relative precision, where the
    anchors' t(log t − f) + e^f − t loses it to cancellation (≈1e-16 of t absolute).

    ``optax.convex_kl_divergence(f, t)`` (deprecated for its new name
    ``optax.generalized_kl_divergence``) is this, summed over the last axis.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> kl = losslab.get("convex_kl")
    >>> float(kl(np.array([[2.0, 0.0]]), np.log(np.array([[1.0, 0.5]]))))  # 2 log 2 − 2 + 1.5
    0.8862943611198906
    """

    name = "convex_kl"
    aliases = ("convex_kl_divergence", "generalized_kl_divergence", "generalized_kl")
    multiclass = True
    link = LOG
    INFO = LossInfo(
        task=Task.DISTRIBUTION,
        statistic=Statistic.MEAN,
        y_true=_MEASURE_ROWS,
        y_pred=_LOG_MEASURE_ROWS,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        anchors=(
            AnchorRow(
                "Σ tⱼ log(tⱼ/μⱼ) − tⱼ + μⱼ, μ = e^f (μ − t; Hessian μ)",
                (
                    Anchor(Library.OPTAX, "convex_kl_divergence", "same (= generalized_kl_divergence)"),
                    Anchor(
                        Library.PYTORCH,
                        None,
                        "— (`PoissonNLLLoss(log_input=True)` per entry, minus t log t − t)",
                    ),
                ),
            ),
        ),
        references=(
            "Bregman, L. M. (1967). The relaxation method of finding the common point of convex sets "
            "and its application to the solution of problems in convex programming. USSR Comput. "
            "Math. Math. Phys. 7(3).",
            "Lee, D. D. & Seung, H. S. (2000). Algorithms for non-negative matrix factorization. NIPS.",
        ),
    )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """Rows of 3 Gamma-distributed masses (some exact zeros) and their logs, perturbed."""
        import numpy as np

        rng = np.random.default_rng(seed)
        mu = rng.gamma(2.0, 1.0, (n, 3))
        t = np.where(rng.random((n, 3)) < 0.1, 0.0, rng.gamma(2.0, mu / 2.0))
        return t, np.log(mu) + rng.normal(0.0, 0.3, (n, 3))

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        if tuple(y_true.shape) != tuple(f.shape):
            raise ShapeError(
                f"y_true for loss {self.name!r} must be rows of target masses of y_pred's shape "
                f"{tuple(f.shape)}; got shape {tuple(y_true.shape)}."
            )
        return xp.astype(y_true, f.dtype)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        return xp.sum(_POISSON._value(xp, t, f), axis=1)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return _POISSON._gradient(xp, t, f)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return _POISSON._hessian(xp, t, f)


def _reverse_parts(xp: Any, log_t: Any, f: Any) -> tuple[Any, Any, Any]:
    """log q, log(1 − q) and cᵢ − ℓ for KL(q ‖ t), cⱼ = log qⱼ − log tⱼ, without cancellation.

    For the largest qᵢ (→ 1), cᵢ − ℓ = cᵢ(1 − qᵢ) − Σ_{j≠i} qⱼcⱼ (from Σ q = 1): the plain
    cᵢ − Σⱼ qⱼcⱼ would cancel. Each product qⱼcⱼ is ±exp(log qⱼ + log|cⱼ|).
    """
    logq, log_r = log1m_softmax(xp, f)
    logq = sp.finite_log(xp, logq)
    k = f.shape[-1]
    first = xp.reshape(xp.arange(k, device=sp._device(f)), (1, k)) == xp.argmax(f, axis=-1, keepdims=True)
    zero = xp.zeros_like(f)
    c = logq - log_t
    qc = sp.signed_exp(xp, c, logq)
    total = xp.sum(qc, axis=1, keepdims=True)
    others = xp.sum(xp.where(first, zero, qc), axis=1, keepdims=True)
    dev = xp.where(first, sp.signed_exp(xp, c, log_r) - others, c - total)
    return logq, log_r, dev
