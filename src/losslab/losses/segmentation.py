r"""Segmentation (overlap) losses: Dice and Tversky, one value per image.

A row of the contract is one image: y_pred is ``(n, d)``, the raw scores (logits) of an image's
d pixels flattened into its row, y_true the ``(n, d)`` mask (0/1, or soft labels in [0, 1]).
Unlike an elementwise loss, an image's value depends on all its pixels at once (like
cross-entropy over a row of classes), so the gradient and the Hessian are ``(n, d)``: ∂ℓᵢ/∂xᵢⱼ
and the diagonal ∂²ℓᵢ/∂xᵢⱼ². Images of shape (H, W) or (H, W, C) are passed as
``y.reshape(n, -1)``; with ``n_classes = C`` the row is read channels-last (pixel by pixel, the C
class scores of a pixel adjacent, what ``reshape`` gives for Keras's (n, H, W, C) layout), each
class gets its own overlap score and the image's loss is their (``class_weight``-)weighted mean.

Probabilities are p = σ(x) by default (1 − p = σ(−x), both to full relative precision at any
logit); with ``from_logits=False`` y_pred holds the probabilities themselves (Keras's Dice and
Tversky take the model's probabilities). Both losses are computed as
ℓ = E/(A + E) with E = α·FP + β·FN + ε and A = a·TP + s, sums of non-negative terms, so a
nearly perfect image keeps its small loss to full precision instead of 1 − (something ≈ 1).
docs/segmentation.md compares them with Keras, MONAI and segmentation-models-pytorch.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from .._core import Interval, Loss, LossInfo, Param, ParameterError, register
from .._core import special as sp
from .._core.domains import SOFT_LABEL, Domain, DomainKind
from .._core.errors import ShapeError
from .._core.info import Anchor, AnchorRow, HessianKind, Library, Task
from .._core.statistic import Statistic
from ..links import LOGIT, unless_probabilities
from ._params import FROM_LOGITS, OptionalInt

__all__ = ["Dice", "Tversky"]

NON_NEGATIVE = Interval(0.0, math.inf, True, False)
#: (n, d) masks: 0/1 or soft labels per pixel
MASK_ROWS = Domain(SOFT_LABEL.kind, SOFT_LABEL.interval, shape="(n, d)")
#: (n, d) pixel logits
PIXEL_LOGIT_ROWS = Domain(DomainKind.LOGIT, shape="(n, d)")
#: (n, d) pixel probabilities (from_logits=False); rows need not sum to 1
PIXEL_PROBABILITY_ROWS = Domain(
    DomainKind.PROBABILITY, Interval(0.0, 1.0, True, True), note="(from_logits=False)", shape="(n, d)"
)

_SMOOTH = Param(
    "smooth",
    0.0,
    "s, added to numerator and denominator of the overlap ratio (an empty mask then scores 0 at p = 0)",
    interval=NON_NEGATIVE,
)
_EPSILON = Param(
    "epsilon",
    1e-7,
    "ε, added to the denominator only (Keras's backend.epsilon())",
    interval=NON_NEGATIVE,
)
_N_CLASSES = OptionalInt(
    "n_classes",
    None,
    "C: each row is pixels × C classes, channels-last; the loss is the weighted mean over classes "
    "(None: one class, the whole row)",
)
_CLASS_WEIGHT = Param("class_weight", None, "weight per class in the mean over classes", kind="vector")


class _Overlap(Loss):
    """ℓ = E/(A + E) per image and class, E = α FP + β FN + ε, A = a TP + s (a, α, β from
    `_coefficients`), averaged over classes with the class weights."""

    multiclass = True  # rows of pixels: one value per row, (n, d) derivatives

    def _coefficients(self) -> tuple[float, float, float]:
        """(a, α, β)."""
        raise NotImplementedError

    def _info(self) -> LossInfo:
        info = super()._info()
        return info if self.from_logits else replace(info, y_pred=PIXEL_PROBABILITY_ROWS)

    def _check_params(self) -> None:
        if self.smooth + self.epsilon <= 0.0:
            raise ParameterError(
                f"parameters 'smooth' and 'epsilon' of loss {self.name!r} are both 0: an empty mask "
                "predicted empty would be 0/0; set smooth > 0 (e.g. 1) or epsilon > 0."
            )
        if self.n_classes is not None and self.n_classes < 1:
            raise ParameterError(
                f"parameter 'n_classes' of loss {self.name!r} must be None or an integer >= 1; "
                f"got {self.n_classes!r}."
            )
        cw = self.class_weight
        if cw is not None:
            if self.n_classes is None and len(cw) != 1:
                raise ParameterError(
                    f"parameter 'class_weight' of loss {self.name!r} has {len(cw)} weights but "
                    "n_classes is None (one class); set n_classes."
                )
            if self.n_classes is not None and len(cw) != self.n_classes:
                raise ParameterError(
                    f"parameter 'class_weight' of loss {self.name!r} has {len(cw)} weights but "
                    f"n_classes is {self.n_classes}."
                )
            if sum(cw) <= 0.0:
                raise ParameterError(
                    f"parameter 'class_weight' of loss {self.name!r} must have a positive sum; got {cw!r}."
                )

    link = unless_probabilities(LOGIT)

    def example(self, n: int = 8, seed: int = 0) -> tuple[Any, Any]:
        """Random 4×4 masks (one blob each, some empty) and logits near them (or probabilities)."""
        import numpy as np

        rng = np.random.default_rng(seed)
        c = self.n_classes or 1
        y = (rng.uniform(size=(n, 16, c)) < 0.4).astype(float)
        y[0] = 0.0  # an empty mask: what `smooth` is for
        raw = rng.normal(0.0, 2.0, y.shape) + 3.0 * (y - 0.5)
        f = raw if self.from_logits else 1.0 / (1.0 + np.exp(-raw))
        return y.reshape(n, -1), f.reshape(n, -1)

    # -- shapes ----------------------------------------------------------------------------------
    def _classes(self, f: Any) -> int:
        c = self.n_classes or 1
        d = int(f.shape[1])
        if d % c:
            raise ShapeError(
                f"y_pred for loss {self.name!r} has rows of {d} values, not a whole number of pixels "
                f"× {c} classes (n_classes={c}); pass (n, pixels × classes) rows, channels-last."
            )
        return c

    def _cube(self, xp: Any, x: Any, c: int) -> Any:
        """(n, d) → (n, d/c, c): pixels on axis 1, classes on axis 2."""
        return xp.reshape(x, (int(x.shape[0]), -1, c))

    def _weights(self, xp: Any, f: Any, c: int) -> Any:
        """(1, c) class weights summing to 1 (1/c each without ``class_weight``)."""
        if self.class_weight is None:
            return 1.0 / c
        w = xp.asarray(self.class_weight, dtype=f.dtype, device=sp._device(f))
        return xp.reshape(w / xp.sum(w), (1, c))

    # -- the pieces --------------------------------------------------------------------------------
    def _parts(self, xp: Any, t: Any, f: Any) -> dict[str, Any]:
        """Per-pixel p, 1 − p (and for logits p' = σσ(−x)) as (n, m, c) cubes; per image and
        class the sums A = a·TP + s and E = α·FP + β·FN + ε as (n, 1, c)."""
        a, alpha, beta = self._coefficients()
        c = self._classes(f)
        y, x = self._cube(xp, t, c), self._cube(xp, f, c)
        if self.from_logits:
            p, q = sp.sigmoid(xp, x), sp.sigmoid(xp, -x)
        else:
            p, q = x, 1.0 - x
        tp = xp.sum(y * p, axis=1, keepdims=True)
        fp = xp.sum((1.0 - y) * p, axis=1, keepdims=True)
        fn = xp.sum(y * q, axis=1, keepdims=True)
        big_a = a * tp + self.smooth
        big_e = alpha * fp + beta * fn + self.epsilon
        return {"y": y, "x": x, "A": big_a, "E": big_e, "D": big_a + big_e, "c": c}

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        q = self._parts(xp, t, f)
        _, alpha, beta = self._coefficients()
        y, x, d = q["y"], q["x"], q["D"]
        if self.from_logits:
            # E/D = Σ(α(1 − y)p + β y(1 − p))/D + ε/D with p/D formed by one rounding of e^x,
            # so that a loss made of subnormal probabilities is not amplified by a small D
            r = 1.0 / d
            terms = alpha * (1.0 - y) * _scaled_sigmoid(xp, x, r) + beta * y * _scaled_sigmoid(xp, -x, r)
            ratio = xp.sum(terms, axis=1, keepdims=True) + self.epsilon * r
        else:
            ratio = q["E"] / d
        per_class = xp.reshape(ratio, (int(f.shape[0]), q["c"]))
        return xp.sum(per_class * self._weights(xp, f, q["c"]), axis=1)

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        # ℓ = E/D with E and D linear in each p_j: ∂ℓ/∂p_j = (E'_j A − a y_j E)/D² where
        # E'_j = α(1 − y_j) − β y_j, and ∂²ℓ/∂p_j² = −2 (∂ℓ/∂p_j) D'_j/D with D'_j = a y_j + E'_j
        a, alpha, beta = self._coefficients()
        q = self._parts(xp, t, f)
        y, x, big_a, big_e, d = q["y"], q["x"], q["A"], q["E"], q["D"]
        # α(1 − y)A − y(βA + aE): the two signs apart (one of them is 0 for a 0/1 mask)
        g_p = ((alpha * big_a) * (1.0 - y) - y * (beta * big_a + a * big_e)) / d / d
        d_prime = alpha * (1.0 - y) + (a - beta) * y
        h_p = -2.0 * g_p * d_prime / d
        if self.from_logits:
            # ∂²ℓ/∂x² = ∂²ℓ/∂p² p'² + ∂ℓ/∂p p'' with p' = σ(x)σ(−x) = e/(1 + e)², e = e^{−|x|},
            # and p'' = p'(1 − 2σ(x)) = −p' tanh(x/2); e multiplies last, rounded once where
            # it is subnormal
            e = xp.exp(-xp.abs(x))
            over = 1.0 / ((1.0 + e) * (1.0 + e))
            dp = e * over
            bracket = -xp.tanh(0.5 * x) - 2.0 * d_prime * dp / d
            ax = xp.abs(x)
            g = _times_exp(xp, g_p * over, ax)
            h = _times_exp(xp, (g_p * bracket) * over, ax)
        else:
            g, h = g_p, h_p
        w = self._weights(xp, f, q["c"])
        w = w if isinstance(w, float) else xp.reshape(w, (1, 1, q["c"]))
        shape = (int(f.shape[0]), int(f.shape[1]))
        return xp.reshape(g * w, shape), xp.reshape(h * w, shape)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[0]

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[1]


def _times_exp(xp: Any, k: Any, ax: Any) -> Any:
    """k·e^{−ax} for ax ≥ 0, rounded once also where e^{−ax} is subnormal (there as
    sign(k)·exp(log|k| − ax)). Autograd-safe: the branch not taken is finite, with its own
    arguments (k = 0 and small ax never reach the log), so its zero weight gives no NaN."""
    lim = 700.0 if k.dtype == xp.float64 else 80.0
    near = ax <= lim
    direct = k * xp.exp(-xp.where(near, ax, xp.zeros_like(ax)))
    one = xp.ones_like(k)
    k_safe = xp.where(k == 0.0, one, k)
    far = xp.sign(k) * xp.exp(xp.log(xp.abs(k_safe)) - xp.where(near, lim * one, ax))
    return xp.where(near, direct, far)


def _scaled_sigmoid(xp: Any, x: Any, c: Any) -> Any:
    """c·σ(x) = c/(1 + e)·e^{−max(−x, 0)} with e = e^{−|x|}, the small exponential applied last
    (`_times_exp`), so that c·σ(x) is rounded once where σ(x) alone would be subnormal."""
    e = xp.exp(-xp.abs(x))
    return _times_exp(xp, c / (1.0 + e), xp.maximum(-x, xp.zeros_like(x)))


_COMMON = (FROM_LOGITS, _SMOOTH, _EPSILON, _N_CLASSES, _CLASS_WEIGHT)
_REFERENCES = (
    "Milletari, F., Navab, N. & Ahmadi, S.-A. (2016). V-Net: fully convolutional neural networks "
    "for volumetric medical image segmentation. 3DV.",
    "Sudre, C. H. et al. (2017). Generalised Dice overlap as a deep learning loss function for "
    "highly unbalanced segmentations. DLMIA.",
)


@register
class Dice(_Overlap):
    r"""Dice loss (soft Dice, 1 − the Dice coefficient) of each image's mask, from logits.

    With p = σ(x) the pixel probabilities of one image (``from_logits=False``: p = y_pred), y its
    mask, TP = Σ y p, FP = Σ (1 − y) p, FN = Σ y (1 − p), s = ``smooth`` and ε = ``epsilon``:

    .. math::

        \ell = 1 - \frac{2\sum y p + s}{\sum y + \sum p + s + \varepsilon}
             = \frac{E}{2\,TP + s + E},\qquad E = FP + FN + \varepsilon,

        \frac{\partial\ell}{\partial x_j} = \frac{(1 - y_j)(2TP + s) - y_j(2TP + s + 2E)}{D^2}\,
            \sigma(x_j)\sigma(-x_j),\qquad D = 2TP + s + E,

        \frac{\partial^2\ell}{\partial x_j^2} = \frac{\partial\ell}{\partial x_j}
            \Bigl(-\tanh\frac{x_j}{2} - \frac{2\,\sigma(x_j)\sigma(-x_j)}{D}\Bigr)

    (the Hessian is the diagonal of the image's Hessian: ℓ depends on all its pixels). With
    ``n_classes`` = C each class of the row (channels-last) has its own ℓ_c and the image's value
    is Σ w_c ℓ_c / Σ w_c (``class_weight`` w, 1 each by default: the per-class mean).

    Defaults are Keras's (``keras.losses.Dice``: s = 0, ε = 1e-7, per image there with
    ``axis=(1, 2, 3)``); MONAI's ``DiceLoss(smooth_nr, smooth_dr)`` is s = smooth_nr,
    ε = smooth_dr − smooth_nr (its defaults: ``smooth=1e-5, epsilon=0``). With s = 0 an empty mask
    scores 1 whatever the prediction (nothing to learn from it); ``smooth=1`` is the common fix.
    Not convex in the logits. Its minimiser is no statistic of y given x (not a probability:
    the overlap of a whole image is scored, metadata ``unspecified``); threshold p at ½ for a mask.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> dice = losslab.get("dice", from_logits=False)
    >>> y = np.array([[1.0, 1.0, 0.0, 0.0]])
    >>> round(float(dice(y, np.array([[0.0, 1.0, 0.0, 1.0]]))), 9)  # 1 - 2/(2 + 2 + 1e-7)
    0.500000013
    >>> float(losslab.get("dice", smooth=1.0)(np.zeros((1, 4)), np.full((1, 4), -800.0)))
    0.0
    """

    name = "dice"
    aliases = ("dice_loss", "soft_dice")
    PARAMS = _COMMON
    INFO = LossInfo(
        task=Task.SEGMENTATION,
        statistic=Statistic.UNSPECIFIED,
        y_true=MASK_ROWS,
        y_pred=PIXEL_LOGIT_ROWS,
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.INDEFINITE,
        anchors=(
            AnchorRow(
                "1 − (2Σyp + s)/(Σy + Σp + s + ε) per image",
                (
                    Anchor(Library.KERAS, "Dice(axis=…)", "same on probabilities (s = 0, ε = 1e-7)"),
                    Anchor(
                        Library.PYTORCH,
                        None,
                        "— (MONAI `DiceLoss`: smooth_nr = s, smooth_dr = s + ε; smp `DiceLoss`: "
                        "clamps the denominator)",
                    ),
                ),
                params="(s, ε)",
            ),
        ),
        references=_REFERENCES,
    )

    def _coefficients(self) -> tuple[float, float, float]:
        return 2.0, 1.0, 1.0


@register
class Tversky(_Overlap):
    r"""Tversky loss of each image's mask, from logits: Dice with false positives and false
    negatives weighted by α and β.

    With p = σ(x) (``from_logits=False``: p = y_pred), TP = Σ y p, FP = Σ (1 − y) p,
    FN = Σ y (1 − p), s = ``smooth``, ε = ``epsilon``:

    .. math::

        \ell = 1 - \frac{TP + s}{TP + \alpha FP + \beta FN + s + \varepsilon}
             = \frac{E}{TP + s + E},\qquad E = \alpha FP + \beta FN + \varepsilon,

        \frac{\partial\ell}{\partial x_j} = \frac{\alpha(1 - y_j)(TP + s) - y_j\bigl(\beta(TP + s)
            + E\bigr)}{D^2}\,\sigma(x_j)\sigma(-x_j),\qquad D = TP + s + E,

        \frac{\partial^2\ell}{\partial x_j^2} = \frac{\partial\ell}{\partial x_j}
            \Bigl(-\tanh\frac{x_j}{2} - \frac{2\,(\alpha(1 - y_j) + (1 - \beta)y_j)\,
            \sigma(x_j)\sigma(-x_j)}{D}\Bigr).

    α = β = ½ is ``dice`` with s and ε doubled. ``n_classes`` and ``class_weight`` as for
    ``dice``. Defaults are Keras's (``keras.losses.Tversky``: α = β = 0.5, s = 0, ε = 1e-7);
    MONAI's ``TverskyLoss`` (α = β = 0.5, smooth_nr = smooth_dr = 1e-5) is
    ``smooth=1e-5, epsilon=0``. Not convex; no statistic (as ``dice``).

    Examples
    --------
    >>> import losslab, numpy as np
    >>> tv = losslab.get("tversky", alpha=0.3, beta=0.7, from_logits=False, epsilon=0.0, smooth=1.0)
    >>> y, p = np.array([[1.0, 1.0, 0.0, 0.0]]), np.array([[0.0, 1.0, 0.0, 1.0]])
    >>> round(float(tv(y, p)), 12)  # 1 - (1 + 1)/(1 + 0.3 + 0.7 + 1)
    0.333333333333
    """

    name = "tversky"
    aliases = ("tversky_loss",)
    PARAMS = (
        Param("alpha", 0.5, "α, the weight of the false positives", interval=NON_NEGATIVE),
        Param("beta", 0.5, "β, the weight of the false negatives", interval=NON_NEGATIVE),
        *_COMMON,
    )
    INFO = LossInfo(
        task=Task.SEGMENTATION,
        statistic=Statistic.UNSPECIFIED,
        y_true=MASK_ROWS,
        y_pred=PIXEL_LOGIT_ROWS,
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.INDEFINITE,
        anchors=(
            AnchorRow(
                "1 − (TP + s)/(TP + αFP + βFN + s + ε) per image",
                (
                    Anchor(
                        Library.KERAS,
                        "Tversky(alpha, beta, axis=…)",
                        "same on probabilities (s = 0, ε = 1e-7)",
                    ),
                    Anchor(
                        Library.PYTORCH,
                        None,
                        "— (MONAI `TverskyLoss`: smooth_nr = s, smooth_dr = s + ε)",
                    ),
                ),
                params="(α, β, s, ε)",
            ),
        ),
        references=(
            "Salehi, S. S. M., Erdogmus, D. & Gholipour, A. (2017). Tversky loss function for image "
            "segmentation using 3D fully convolutional deep networks. MLMI.",
            *_REFERENCES[:1],
        ),
    )

    def _coefficients(self) -> tuple[float, float, float]:
        return 1.0, self.alpha, self.beta
