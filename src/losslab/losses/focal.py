r"""Focal losses (Lin et al. 2017): cross-entropy down-weighted on well-classified samples.

Both are computed from log-sigmoid / log-softmax: the modulating factor (1 − p)^γ is
exp(γ·log(1 − p)) with log(1 − p) itself evaluated in log space, so that value, gradient and
Hessian stay finite and accurate at any logit and for any γ ≥ 0 (including γ < 1, where the
textbook derivative of (1 − p)^γ has a pole at p = 1), and γ = 0 gives cross-entropy exactly.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from .._core import Loss, LossInfo, Param, ParameterError, register
from .._core import special as sp
from .._core.domains import CLASS_TARGET, LOGIT, LOGIT_ROWS, SOFT_LABEL
from .._core.info import Anchor, AnchorRow, Equivalence, HessianKind, Library, ParamRole, Task
from .._core.statistic import Statistic
from ..links import LOGIT as LOGIT_LINK
from ..links import SOFTMAX, unless_probabilities
from ._params import FROM_LOGITS, NON_NEGATIVE, UNIT_CLOSED, OptionalFloat, OptionalInt, ScalarOrVector
from .classification import (
    LogitsOrProbabilities,
    bce_logit_gradient,
    bce_probability_gradient,
    ignorable_targets,
    ignored_mask,
    weighted_ce_grad_hess,
)

__all__ = ["BinaryFocal", "CategoricalFocal", "log1m_softmax"]

_REFS = (
    "Lin, T.-Y., Goyal, P., Girshick, R., He, K. & Dollár, P. (2017). Focal loss for dense object "
    "detection. ICCV.",
    "Charoenphakdee, N., Vongkulbhisal, J., Chairatanakul, N. & Sugiyama, M. (2021). On focal loss "
    "for class-posterior probability estimation: a theoretical perspective. CVPR.",
)


# -- building blocks ------------------------------------------------------------------------------
def _softplus_over_sigmoid(xp: Any, x: Any) -> Any:
    """R(x) = softplus(−x)/σ(−x), bounded by 1 + |x|: log1p(ε)/ε·(1 + ε) with ε = e^{−x} for x > 0."""
    pos = x > 0
    xn = xp.where(pos, xp.zeros_like(x), x)
    left = sp.softplus(xp, -xn) * (1.0 + xp.exp(xn))
    eps = xp.exp(-xp.where(pos, x, xp.zeros_like(x)))
    tiny = eps == 0
    eps_s = xp.where(tiny, xp.ones_like(eps), eps)
    right = xp.where(tiny, xp.ones_like(eps), xp.log1p(eps_s) / eps_s) * (1.0 + eps)
    return xp.where(pos, right, left)


def _pos_logit_terms(
    xp: Any, x: Any, gamma: float, spx: Any, spmx: Any, s: Any, sn: Any, want: str
) -> tuple[Any, Any, Any]:
    r"""P(x) = σ(−x)^γ·softplus(−x) and its first two derivatives in x (the y = 1 term).

    ``spx``, ``spmx``, ``s``, ``sn`` are softplus(±x) and σ(±x), computed once and shared with
    the y = 0 term (evaluated at −x with the pairs swapped); ``want`` holds "v", "g", "h" for
    the parts to compute (the others are None). With L = softplus(−x) = −log s and R = L/s̄:
    P′ = −s̄^{γ+1}(1 + γ s R) and P″ = s̄^{γ+1} s C with C = 1 + 2γ + γ R (γ s − s̄).
    Both are evaluated as ±exp(sum of logs) — log s̄ = −softplus(x), log s = −softplus(−x) —
    so they keep full precision down to the subnormal range (a product of an underflowed σ
    with a large factor would not). At γ = 0 they are −σ(−x) and σ(x)σ(−x) bit for bit.
    """
    value = xp.exp(gamma * -spx) * spmx if "v" in want else None
    grad = hess = None
    if gamma == 0:
        if "g" in want:
            grad = -sn
        if "h" in want:
            hess = sp.sigmoid_pair_product(xp, x)
        return value, grad, hess
    if "g" in want or "h" in want:
        ratio = _softplus_over_sigmoid(xp, x)
        if "g" in want:
            grad = -xp.exp((gamma + 1.0) * -spx + xp.log1p(gamma * s * ratio))
        if "h" in want:
            w = gamma * s - sn
            c = (1.0 + 2.0 * gamma) + gamma * ratio * w
            # where γRw overflows (|x| near 1e308, R ≈ |x|), log|C| = log γ + log R + log|w|
            fin = xp.isfinite(c)
            log_c = xp.where(
                fin,
                xp.log(xp.abs(xp.where(fin, c, xp.ones_like(c)))),
                (math.log(gamma) + xp.log(ratio)) + xp.log(xp.abs(w)),
            )
            sign_c = xp.where(fin, xp.sign(c), xp.sign(w))
            hess = sign_c * xp.exp((gamma + 1.0) * -spx - spmx + log_c)
    return value, grad, hess


def _prob_terms(xp: Any, c: Any, q: Any, r: Any, gamma: float) -> tuple[Any, Any, Any]:
    r"""c·P(q), c·P′(q), c·P″(q) for P(q) = (1 − q)^γ·(−log q), derivatives in q.

    ``r`` is 1 − q (passed in because one of q, 1 − q is exact). With A = −log q:
    P′ = −r^γ (γ A/r + 1/q), P″ = γ r^{γ−1}((γ − 1) A/r + 2/q) + r^γ/q²; A/r → 1 as q → 1.
    Entries with c = 0 contribute exactly 0 (0·log 0 = 0); q = 0 with c > 0 gives +inf, −inf,
    +inf, and q = 1 with γ < 1 an infinite Hessian (the true limits).
    """
    zero_c = c == 0
    half = xp.full_like(q, 0.5)
    q = xp.where(zero_c, half, q)
    r = xp.where(zero_c, half, r)
    big = q > 0.5
    zero_q = q == 0
    zero_r = r == 0
    # -log q, accurate on both halves: log1p(-r) where r = 1 - q is the exact one
    a = xp.where(
        big, -sp.log1m(xp, xp.where(big, r, xp.zeros_like(r))), -xp.log(xp.where(big, xp.ones_like(q), q))
    )
    if gamma == 0:
        return c * a, -sp.safe_div(xp, c, q), sp.safe_div2(xp, c, q)
    one = xp.ones_like(q)
    ratio = xp.where(zero_r | zero_q, one, a / xp.where(zero_r | zero_q, one, r))
    q_s = xp.where(zero_q, one, q)
    r_g = r**gamma
    value = c * (r_g * a)
    cq = c / q_s  # c/q first: 1/q overflows for a subnormal q where c/q does not
    grad = -(c * (r_g * (gamma * ratio)) + cq * r_g)
    grad = xp.where(zero_q, xp.full_like(q, -math.inf), grad)
    r_s = xp.where(zero_r, one, r)
    r_g1 = xp.where(
        zero_r, xp.full_like(r, 0.0 if gamma > 1 else (1.0 if gamma == 1 else math.inf)), r_s ** (gamma - 1.0)
    )
    hess = (gamma * r_g1) * (c * ((gamma - 1.0) * ratio) + 2.0 * cq) + r_g * (cq / q_s)
    hess = xp.where(zero_q, xp.full_like(q, math.inf), hess)
    return value, grad, hess


def log1m_softmax(xp: Any, z: Any) -> tuple[Any, Any]:
    r"""``(log p, log(1 − p))`` of p = softmax(z) row-wise, both to full relative precision.

    For the (first) largest entry 1 − p = S/(1 + S) with S the sum of e^{zⱼ − max} over the other
    entries, so log(1 − p) = log S − log1p(S), with log S taken relative to the second largest
    logit (it stays exact when S underflows: logits 800 apart give log(1 − p) ≈ −800, not −inf).
    Every other entry has p ≤ ½ and uses log1p(−p).
    """
    logp = sp.log_softmax(xp, z)
    k = z.shape[-1]
    m = xp.max(z, axis=-1, keepdims=True)
    shifted = z - m
    first = xp.reshape(xp.arange(k, device=sp._device(z)), (1, k)) == xp.argmax(z, axis=-1, keepdims=True)
    zero = xp.zeros_like(shifted)
    others = xp.where(first, xp.min(shifted, axis=-1, keepdims=True), shifted)
    m2 = xp.max(others, axis=-1, keepdims=True)
    s2 = xp.sum(xp.where(first, zero, xp.exp(others - m2)), axis=-1, keepdims=True)
    s = xp.sum(xp.where(first, zero, xp.exp(shifted)), axis=-1, keepdims=True)
    log_r_max = (m2 + xp.log(s2)) - xp.log1p(s)
    log_r_rest = sp.log1m(xp, xp.exp(xp.where(first, xp.full_like(logp, -1.0), logp)))
    return logp, xp.where(first, log_r_max, log_r_rest)


def _rho(xp: Any, lp: Any) -> Any:
    """ρ = log p / (p − 1) = lp / expm1(lp) > 0 (1 at p = 1)."""
    zero = lp == 0
    safe = xp.where(zero, xp.full_like(lp, -1.0), lp)
    return xp.where(zero, xp.ones_like(lp), safe / xp.expm1(safe))


# -- binary ----------------------------------------------------------------------------------------
@register
class BinaryFocal(LogitsOrProbabilities, Loss):
    r"""Binary focal loss on logits (Lin et al. 2017), or on probabilities with ``from_logits=False``.

    With x the logit, p = σ(x), y ∈ [0, 1], γ = ``gamma`` and class weights α₁ = α, α₀ = 1 − α
    (α₁ = α₀ = 1 when ``alpha`` is None):

    .. math::

        \ell = \alpha_1\, y\,(1-p)^\gamma\,(-\log p) + \alpha_0\,(1-y)\,p^\gamma\,(-\log(1-p))
             = \alpha_1\, y\, P(x) + \alpha_0\,(1-y)\, P(-x),

    with P(x) = σ(−x)^γ softplus(−x) and s = σ(x), s̄ = σ(−x), L = softplus(−x):

    .. math::

        P'(x) = -\bar s^{\gamma}\,(\bar s + \gamma\, s\, L),\qquad
        P''(x) = \bar s^{\gamma}\,\bigl[(1+2\gamma)\, s\,\bar s + \gamma\, s\, L\,(\gamma s - \bar s)\bigr],

        \frac{\partial\ell}{\partial x} = \alpha_1 y P'(x) - \alpha_0 (1-y) P'(-x),\qquad
        \frac{\partial^2\ell}{\partial x^2} = \alpha_1 y P''(x) + \alpha_0 (1-y) P''(-x).

    The factor s̄^γ = (1 − p)^γ is exp(−γ·softplus(x)) — log(1 − p) is the log-sigmoid of the
    negated logit — and P′, P″ are evaluated as ±exp(sum of logs) (P′ = −s̄^{γ+1}(1 + γsL/s̄),
    P″ = s̄^{γ+1}s·C), so no power of a rounded probability is taken, nothing is clipped,
    gradient and Hessian are finite at any logit for any γ ≥ 0 (the p-space derivative of
    (1 − p)^γ has a pole at p = 1 for γ < 1; in logit space the pole cancels). **γ = 0 is
    binary cross-entropy exactly** (value and gradient bit for bit, the Hessian too for 0/1
    labels and within one rounding for soft labels). For γ > 0 the loss is not convex:
    P″ < 0 for confidently wrong logits (x ≲ −(1 + 2γ)/γ for y = 1), so the Hessian is
    indefinite; Newton-type optimisers (GBDT) need a floored Hessian there.

    With ``from_logits=False`` y_pred is q = p itself and derivatives are in q:
    P(q) = (1 − q)^γ(−log q), P′ = −(1 − q)^γ(γ A/(1 − q) + 1/q) with A = −log q,
    P″ = γ(1 − q)^{γ−1}((γ − 1)A/(1 − q) + 2/q) + (1 − q)^γ/q² (+inf at q = 1 for γ < 1).

    Estimates: a **distorted probability**. For γ > 0 the loss is classification-calibrated
    (the minimiser is on the right side of ½) but not strictly proper: the minimising p is not
    P(y = 1 | x) (Charoenphakdee et al. 2021), so recalibrate before reading probabilities.

    Conventions elsewhere: ``keras.losses.BinaryFocalCrossentropy`` defaults to γ = 2 and
    applies α only with ``apply_class_balancing=True``; from logits it takes a sigmoid and the
    ε-clipped probability loss (loss 16.1 instead of 30 at y = 1, x = −30, gradient ≈ 0 instead
    of −1). ``optax.sigmoid_focal_loss(alpha=None, gamma=2)`` works in log space. Both use
    (1 − p_t)^γ·BCE(y, p) with p_t = yp + (1 − y)(1 − p), which equals this loss for 0/1
    labels; for soft labels losslab takes the expectation of the 0/1 loss over the label (linear
    in y), which keeps γ = 0 equal to cross-entropy. PyTorch core has no focal loss
    (``torchvision.ops.sigmoid_focal_loss`` uses the same form with α = 0.25 by default).

    Examples
    --------
    >>> import losslab
    >>> focal = losslab.get("binary_focal", gamma=2.0)
    >>> float(focal([1.0], [-30.0]))  # ≈ 30: log space, no clipping (Keras: 16.1)
    29.999999999994476
    >>> float(focal.gradient([1.0], [-30.0])[0])  # Keras: about -3e-12
    -1.000000000005334
    >>> bce = losslab.get("binary_crossentropy")
    >>> g0 = losslab.get("binary_focal", gamma=0.0)
    >>> bool(g0([0.0, 1.0], [3.0, -700.0]) == bce([0.0, 1.0], [3.0, -700.0]))
    True
    """

    name = "binary_focal"
    aliases = ("focal", "binary_focal_loss", "sigmoid_focal_loss", "binary_focal_crossentropy")
    PARAMS = (
        Param("gamma", 2.0, "focusing exponent γ of the factor (1 − p_t)^γ", interval=NON_NEGATIVE),
        OptionalFloat(
            "alpha",
            None,
            "weight α of the positive class (1 − α of the negative); None: no weights",
            interval=UNIT_CLOSED,
        ),
        FROM_LOGITS,
    )
    INFO = LossInfo(
        task=Task.BINARY,
        statistic=Statistic.DISTORTED_PROBABILITY,
        y_true=SOFT_LABEL,
        y_pred=LOGIT,
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.INDEFINITE,
        roles=((ParamRole.FOCUSING, "gamma"),),
        equivalences=(
            Equivalence(
                "binary_crossentropy",
                when=(("gamma", 0.0), ("alpha", None)),
                carry=(("from_logits", "from_logits"),),
            ),
        ),
        anchors=(
            AnchorRow(
                (
                    "α₁y(1 − p)^γ(−log p) + α₀(1 − y)p^γ(−log(1 − p)), α₁ = α, α₀ = 1 − α (both 1 "
                    "with α = None); γ = 0 is `binary_crossentropy` bit for bit; Hessian indefinite "
                    "for γ > 0"
                ),
                (
                    Anchor(Library.PYTORCH, None, "— (torchvision `sigmoid_focal_loss`: α = 0.25 default)"),
                    Anchor(
                        Library.KERAS,
                        "BinaryFocalCrossentropy",
                        (
                            "same for 0/1 labels; α only with `apply_class_balancing=True`; from logits via "
                            "clipped probabilities"
                        ),
                    ),
                    Anchor(
                        Library.OPTAX,
                        "sigmoid_focal_loss(alpha=None, gamma=2)",
                        "same for 0/1 labels (soft labels: (1 − p_t)^γ·BCE, losslab is linear in y)",
                    ),
                ),
                params="(γ, α)",
            ),
        ),
        references=_REFS,
    )

    def _info(self) -> LossInfo:
        """Metadata; with γ = 0 the loss is cross-entropy (convex, proper, positive Hessian)."""
        info = super()._info()
        if self.gamma == 0:
            return replace(info, statistic=Statistic.PROBABILITY, convex=True, hessian=HessianKind.EXACT)
        return info

    link = unless_probabilities(LOGIT_LINK)

    def _weights(self) -> tuple[float, float]:
        return (1.0, 1.0) if self.alpha is None else (self.alpha, 1.0 - self.alpha)

    def _terms(self, xp: Any, t: Any, f: Any, want: str) -> tuple[Any, Any, Any]:
        """Value, gradient, Hessian (those named in ``want``; the others None)."""
        w1, w0 = self._weights()
        c1 = t if self.alpha is None else w1 * t
        c0 = (1.0 - t) if self.alpha is None else w0 * (1.0 - t)
        if not self.from_logits:
            one_q = 1.0 - f
            v1, g1, h1 = _prob_terms(xp, c1, f, one_q, self.gamma)
            v0, g0, h0 = _prob_terms(xp, c0, one_q, f, self.gamma)
            if self.gamma == 0 and self.alpha is None:  # cross-entropy's, exact next to q = y
                return v1 + v0, bce_probability_gradient(xp, t, f), h1 + h0
            return v1 + v0, g1 - g0, h1 + h0
        # cross-entropy's own gradient kernel is exact also where a soft label's terms cancel
        ce_grad = self.gamma == 0 and self.alpha is None and "g" in want
        inner = want.replace("g", "") if ce_grad else want
        spx, spmx = sp.softplus(xp, f), sp.softplus(xp, -f)
        s = sn = None
        if "g" in inner or "h" in inner:
            s, sn = sp.sigmoid(xp, f), sp.sigmoid(xp, -f)
        v1, g1, h1 = _pos_logit_terms(xp, f, self.gamma, spx, spmx, s, sn, inner)
        v0, g0, h0 = _pos_logit_terms(xp, -f, self.gamma, spmx, spx, sn, s, inner)
        # with α: (y·P)·α₁, so that a subnormal y is not rounded after multiplying by α₁
        value = (c1 * v1 if self.alpha is None else (t * v1) * w1) + c0 * v0 if "v" in want else None
        grad = bce_logit_gradient(xp, t, f, 1.0) if ce_grad else (c1 * g1 - c0 * g0 if "g" in want else None)
        hess = c1 * h1 + c0 * h0 if "h" in want else None
        return value, grad, hess

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        return self._terms(xp, t, f, "v")[0]

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return self._terms(xp, t, f, "g")[1]

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return self._terms(xp, t, f, "h")[2]

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        _, g, h = self._terms(xp, t, f, "gh")
        return g, h


# -- categorical -----------------------------------------------------------------------------------
@register
class CategoricalFocal(LogitsOrProbabilities, Loss):
    r"""Categorical (softmax) focal loss on logits, or on probability rows.

    With z a row of k logits, log p = log_softmax(z), targets t (one-hot from integer labels, or
    probability rows), per-class weights αⱼ (``alpha``: None = 1, a number, or one per class),
    aⱼ = αⱼtⱼ and F(p) = −(1 − p)^γ log p:

    .. math::

        \ell = \sum_j a_j\,(1-p_j)^\gamma\,(-\log p_j).

    With rⱼ = 1 − pⱼ, ρⱼ = log pⱼ/(pⱼ − 1) (= 1 at p = 1), the modulation
    mⱼ = rⱼ^γ(1 + γ pⱼ ρⱼ) (so that pⱼF′(pⱼ) = −mⱼ) and S = Σⱼ aⱼmⱼ:

    .. math::

        \frac{\partial\ell}{\partial z_i} = (S - a_i m_i)\,p_i - a_i m_i\, r_i,

        \frac{\partial^2\ell}{\partial z_i^2} = S\,p_i r_i + a_i D_i r_i^2
            + p_i^2 \sum_{j\ne i} a_j D_j,\qquad
        D_j = \gamma\, p_j\, r_j^{\gamma-1}\bigl[\log p_j + 2 + (\gamma-1)\,p_j\rho_j\bigr]

    (the diagonal of the Hessian; Dⱼ = pⱼ d(pF′)/dp). log(1 − pⱼ) is computed in log space for
    every entry (for the largest as log S − log1p(S) over the other logits), (1 − p)^γ as
    exp(γ log(1 − p)), and the terms with r^{γ−1} only where they are bounded (aᵢDᵢrᵢ² and
    pᵢ²Dⱼ with pᵢ ≤ rⱼ are combined in log space), so value, gradient and Hessian are finite
    for any logits and γ ≥ 0. **γ = 0 is categorical cross-entropy exactly**: m = 1, D = 0.
    For γ > 0 the Hessian is indefinite (not convex).

    With ``from_logits=False`` y_pred rows are probabilities q and the loss is separable:
    derivatives −aⱼ(1 − qⱼ)^γ(γA/(1 − qⱼ) + 1/qⱼ) with A = −log qⱼ, and the Hessian of the
    binary focal loss's probability form.

    ``ignore_index``: samples whose integer label equals it contribute 0 to value, gradient and
    Hessian and are left out of the mean's denominator (as ``torch.nn.CrossEntropyLoss``).

    Estimates: distorted class probabilities (not a proper scoring rule for γ > 0).
    ``keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0)`` computes the same
    formula from clipped softmax probabilities (with its default α = 0.25 every value is a
    quarter of losslab's default); optax and PyTorch core have no categorical focal loss.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> z = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    >>> losslab.get("categorical_focal", gamma=2.0)([0, 2], z, reduction="none").round(6).tolist()
    [0.004144, 0.488272]
    >>> g0 = losslab.get("categorical_focal", gamma=0.0)
    >>> cce = losslab.get("categorical_crossentropy")
    >>> bool((g0.gradient([0, 2], z) == cce.gradient([0, 2], z)).all())
    True
    """

    name = "categorical_focal"
    aliases = ("softmax_focal_loss", "categorical_focal_crossentropy", "multiclass_focal")
    multiclass = True
    PARAMS = (
        Param("gamma", 2.0, "focusing exponent γ of the factor (1 − p)^γ", interval=NON_NEGATIVE),
        ScalarOrVector(
            "alpha",
            None,
            "class weights α (a number, or one per class); None: no weights",
            interval=NON_NEGATIVE,
        ),
        FROM_LOGITS,
        OptionalInt("ignore_index", None, "integer label whose samples are left out (weight 0)"),
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
        roles=((ParamRole.FOCUSING, "gamma"),),
        equivalences=(
            Equivalence(
                "categorical_crossentropy",
                when=(("gamma", 0.0), ("alpha", None)),
                carry=(("from_logits", "from_logits"), ("ignore_index", "ignore_index")),
            ),
        ),
        anchors=(
            AnchorRow(
                "−Σⱼ αⱼtⱼ(1 − pⱼ)^γ log pⱼ; γ = 0 is `categorical_crossentropy`",
                (
                    Anchor(
                        Library.KERAS,
                        "CategoricalFocalCrossentropy",
                        "same formula, default α = 0.25 (¼ of losslab's default)",
                    ),
                ),
                params="(γ, α)",
            ),
        ),
        references=_REFS,
    )

    def _info(self) -> LossInfo:
        """Metadata; with γ = 0 the loss is cross-entropy (convex, proper, positive Hessian)."""
        info = super()._info()
        if self.gamma == 0:
            return replace(
                info, statistic=Statistic.CLASS_PROBABILITIES, convex=True, hessian=HessianKind.EXACT
            )
        return info

    link = unless_probabilities(SOFTMAX)

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        t = ignorable_targets(self, xp, y_true, f, check, self.ignore_index)
        alpha = self.alpha
        if alpha is None:
            return t
        if isinstance(alpha, float):
            return alpha * t
        k = int(f.shape[1])
        if len(alpha) != k:
            raise ParameterError(
                f"parameter 'alpha' of loss {self.name!r} has {len(alpha)} class weights but y_pred "
                f"has {k} classes."
            )
        return t * xp.reshape(xp.asarray(alpha, dtype=f.dtype, device=sp._device(f)), (1, k))

    def _sample_mask(self, xp: Any, y_true: Any) -> Any:
        return ignored_mask(xp, y_true, self.ignore_index)

    def _value(self, xp: Any, a: Any, f: Any) -> Any:
        gamma = self.gamma
        if not self.from_logits:
            return xp.sum(_prob_terms(xp, a, f, 1.0 - f, gamma)[0], axis=1)
        logp, log_r = log1m_softmax(xp, f)
        return 0.0 - xp.sum(sp.xmul_log_softmax(xp, a * xp.exp(gamma * log_r), f, logp), axis=1)

    def _gradient_hessian(self, xp: Any, a: Any, f: Any, hessian: bool = True) -> tuple[Any, Any]:
        gamma = self.gamma
        if not self.from_logits:
            _, g, h = _prob_terms(xp, a, f, 1.0 - f, gamma)
            return g, h
        logp, log_r = log1m_softmax(xp, f)
        if gamma == 0:  # cross-entropy, with its kernel (exact also for nearly one-hot soft targets)
            return weighted_ce_grad_hess(xp, a, logp)
        logp = sp.finite_log(xp, logp)  # every term below stays finite where z − max overflowed
        p = xp.exp(logp)
        r = 0.0 - xp.expm1(logp)
        rho = _rho(xp, logp)
        am = a * (xp.exp(gamma * log_r) * (1.0 + gamma * p * rho))
        s = xp.sum(am, axis=1, keepdims=True)
        # S − aᵢmᵢ cancels where one entry holds almost all of S: sum the others for that entry
        k = f.shape[-1]
        cols = xp.reshape(xp.arange(k, device=sp._device(f)), (1, k))
        zero = xp.zeros_like(f)
        is_top = cols == xp.argmax(am, axis=1, keepdims=True)
        rest = xp.sum(xp.where(is_top, zero, am), axis=1, keepdims=True)
        grad = xp.where(is_top, rest, s - am) * p - am * r
        if not hessian:
            return grad, None
        # Every term of the Hessian is ±exp(sum of logs): the products of tiny pⱼ, rⱼ with
        # large log factors stay accurate down to the subnormal range.
        first = cols == xp.argmax(f, axis=-1, keepdims=True)
        # aⱼDⱼ/(pⱼ rⱼ^{γ−1}) = aⱼγ·bⱼ as sign(bⱼ) and log(aⱼγ) + log|bⱼ|: aⱼγbⱼ itself overflows
        # for a masked class (log p = finfo.min), and its products with e^{log p} are 0
        bracket = logp + 2.0 + (gamma - 1.0) * p * rho
        sgn, log_ae = xp.sign(bracket), xp.log(a * gamma) + xp.log(xp.abs(bracket))
        # S pᵢ rᵢ and aᵢDᵢrᵢ² (bounded for every entry)
        hess = xp.exp(xp.log(s) + logp + log_r) + sgn * xp.exp(log_ae + (logp + (gamma + 1.0) * log_r))
        # pᵢ² Σ_{j≠i} aⱼDⱼ: entries other than the largest have rⱼ ≥ ½, so their Dⱼ is bounded
        expo_rest = logp + (gamma - 1.0) * xp.where(first, zero, log_r)
        d_rest = xp.where(first, zero, sgn * xp.exp(log_ae + expo_rest))
        hess = hess + sp.signed_exp(xp, xp.sum(d_rest, axis=1, keepdims=True) - d_rest, 2.0 * logp)
        # ... and the largest entry's term pᵢ² p* r*^{γ−1}, with pᵢ ≤ r*, in log space
        sgn_star = xp.sum(xp.where(first, sgn, zero), axis=1, keepdims=True)
        log_ae_star = xp.sum(xp.where(first, log_ae, zero), axis=1, keepdims=True)
        lp_star = xp.sum(xp.where(first, logp, zero), axis=1, keepdims=True)
        log_r_star = xp.sum(xp.where(first, log_r, zero), axis=1, keepdims=True)
        expo = xp.where(first, zero, 2.0 * logp + lp_star + (gamma - 1.0) * log_r_star)
        hess = hess + xp.where(first, zero, sgn_star * xp.exp(log_ae_star + expo))
        return grad, hess

    def _gradient(self, xp: Any, a: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, a, f, hessian=False)[0]

    def _hessian(self, xp: Any, a: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, a, f)[1]
