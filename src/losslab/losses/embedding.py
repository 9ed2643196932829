r"""Metric-learning losses: explicit pairs, distances with a ±1 label, and labelled embeddings.

Three input layouts, all through the contract's one extension for structured targets
(`losslab.targets`):

- a distance (or any score) per row with a label ±1: ``hinge_embedding`` is an ordinary
  per-sample loss (y_true the label, y_pred the distance);
- explicit pairs, target `Pairs` (label ±1 per pair), one pair per row of ``y_pred``:
  ``margin_ranking`` takes two scores (shape (n, 2)), ``cosine_embedding`` and ``contrastive``
  two d-dimensional embeddings side by side, ``[x₁ | x₂]`` (shape (n, 2d));
- embeddings with class labels, target `Embeddings`, ``y_pred`` of shape (n, d): the positives
  and negatives of each row are mined in the batch (``triplet_margin``, ``ntxent``,
  ``supervised_contrastive``, ``circle``). Such a loss is *coupled*: row i's value depends on the other
  rows' embeddings; its gradient is that of the weighted total Σⱼ wⱼℓⱼ, and it has no
  per-sample Hessian (``info.hessian == "none"``; ``hessian()`` raises `UnsupportedError`).

Distances and cosines are computed exactly at any scale: a vector is divided by its largest
absolute entry before its norm is taken (no overflow or underflow of the squares), and a zero
vector has norm 0 with gradient 0 (the minimum-norm subgradient) instead of a NaN. Hinges
(max(0, ·)) take the subgradient 0 at their kink. Exactness is for these built-in distances.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._core import Interval, Loss, LossInfo, Param, register
from .._core import special as sp
from .._core.domains import RAW_SCORE, SCORE_ROWS, SIGNED_LABEL, Domain, DomainKind
from .._core.errors import ShapeError, UnsupportedError
from .._core.info import Anchor, AnchorRow, HessianKind, Library, ParamRole, Task
from .._core.statistic import Statistic
from .._core.targets import Embeddings, Pairs, Structured
from .._core.xp import device
from ..links import IDENTITY
from .margin import signed_labels

__all__ = [
    "Circle",
    "Contrastive",
    "CosineEmbedding",
    "HingeEmbedding",
    "MarginRanking",
    "NTXent",
    "SupervisedContrastive",
    "TripletMargin",
    "lp_norm",
    "unit_rows",
]

_REAL = Interval()
_POSITIVE = Interval(0.0, math.inf, False, False)
_NON_NEGATIVE = Interval(0.0, math.inf, True, False)
_PAIRS_TARGET = Domain(DomainKind.STRUCTURED, note="a Pairs target: a label ±1 per pair")
_EMBEDDINGS_TARGET = Domain(
    DomainKind.STRUCTURED, note="an Embeddings target: an integer class label per row"
)
_PAIR_ROWS = Domain(DomainKind.RAW_SCORE, shape="(n, 2d): the pair's two embeddings [x1 | x2]")
_REF_HADSELL = (
    "Hadsell, R., Chopra, S. & LeCun, Y. (2006). Dimensionality reduction by learning an invariant "
    "mapping. CVPR.",
)


# -- distances and cosines, exact at any scale ---------------------------------------------------
def lp_norm(xp: Any, x: Any, p: float = 2.0) -> Any:
    r"""‖x‖ₚ over the last axis, as M·(Σ|xⱼ/M|ᵖ)^{1/p} with M = maxⱼ|xⱼ| (no overflow or
    underflow of the powers); 0, with gradient 0, for a zero vector.

    >>> import numpy as np
    >>> float(lp_norm(np, np.array([3e200, 4e200])))
    5e+200
    """
    m = xp.max(xp.abs(x), axis=-1)
    pos = m > 0
    one = xp.ones_like(m)
    m_safe = xp.where(pos, m, one)
    u = x / m_safe[..., None]
    if p == 2.0:
        s = xp.sum(u * u, axis=-1)
    elif p == 1.0:
        s = xp.sum(xp.abs(u), axis=-1)
    else:
        s = xp.sum(xp.abs(u) ** p, axis=-1)
    s = xp.where(pos, s, one)  # s ≥ 1 where taken: the root's derivative stays finite
    root = xp.sqrt(s) if p == 2.0 else (s if p == 1.0 else s ** (1.0 / p))
    return xp.where(pos, m_safe * root, xp.zeros_like(m))


def unit_rows(xp: Any, x: Any) -> Any:
    """x / ‖x‖₂ over the last axis (exact at any scale); a zero vector stays 0."""
    n = lp_norm(xp, x)
    pos = n > 0
    return x / xp.where(pos, n, xp.ones_like(n))[..., None]


def _hinge(xp: Any, x: Any) -> Any:
    """max(0, x) with the subgradient 0 at the kink (``maximum`` would split it)."""
    return xp.where(x > 0, x, xp.zeros_like(x))


def _halves(loss: Loss, f: Any) -> tuple[Any, Any]:
    """The pair's two members from a row layout [x₁ | x₂] (an even number of columns)."""
    k = int(f.shape[1])
    if k % 2:
        raise ShapeError(
            f"y_pred for loss {loss.name!r} must have an even number of columns, the pair's two "
            f"embeddings side by side [x1 | x2] (shape (n, 2d)); got shape {tuple(f.shape)}."
        )
    return f[:, : k // 2], f[:, k // 2 :]


def _signs(xp: Any, t: Structured, f: Any) -> Any:
    """A Pairs target's labels as ±1 in f's dtype (one per row)."""
    one = xp.ones((int(f.shape[0]),), dtype=f.dtype, device=device(f))
    return xp.where(t.label > 0, one, -one)


def _pair_example(n: int, seed: int, k: int) -> tuple[Pairs, Any]:
    rng = np.random.default_rng(seed)
    return Pairs(rng.choice([-1, 1], n)), rng.normal(0.0, 1.0, (n, k))


def _batch_masks(xp: Any, t: Structured, f: Any) -> tuple[Any, Any]:
    """(positives, negatives) as (n, n) booleans: same label and j ≠ i; another label."""
    lab = t.label
    same = lab[:, None] == lab[None, :]
    idx = xp.arange(int(f.shape[0]), device=device(f))
    eye = idx[:, None] == idx[None, :]
    return same & ~eye, ~same


def _row_mean(xp: Any, total: Any, count: Any) -> Any:
    """total / count, and 0 where count is 0 (a row without a pair or triplet to average)."""
    c = xp.astype(count, total.dtype)
    has = c > 0
    return xp.where(has, total / xp.where(has, c, xp.ones_like(c)), xp.zeros_like(total))


class _Batch(Loss):
    """Losses over labelled embeddings (n, d): pairs or triplets mined in the batch."""

    target_type = Embeddings
    multiclass = True
    coupled = True
    link = IDENTITY

    def example(self, n: int = 12, seed: int = 0) -> tuple[Any, Any]:
        """Four classes of (about) equal size and 3-dimensional embeddings."""
        rng = np.random.default_rng(seed)
        return Embeddings(np.arange(n) % 4), rng.normal(0.0, 1.0, (n, 3))

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        raise UnsupportedError(
            f"loss {self.name!r} has no per-sample Hessian (info.hessian == 'none'): its pairs or "
            "triplets are mined in the batch, so every row's value depends on every row's "
            "embedding. Use its gradient (a first-order optimiser), or autodiff for Hessian-vector "
            "products."
        )


# -- a distance per row with a ±1 label ----------------------------------------------------------
@register
class HingeEmbedding(Loss):
    r"""Hinge embedding loss on a distance with a ±1 label (PyTorch's ``HingeEmbeddingLoss``).

    With s ∈ {−1, +1} the label (0 is read as −1), f the distance (or any score) of the row's
    pair and m the margin:

    .. math::

        \ell = f \text{ if } s = 1,\qquad \max(0, m - f) \text{ if } s = -1,\qquad
        \frac{\partial\ell}{\partial f} = 1 \text{ if } s = 1,\quad
        -\mathbb{1}[f < m] \text{ if } s = -1,\qquad
        \frac{\partial^2\ell}{\partial f^2} = 0.

    An ordinary per-sample loss (y_true the label, y_pred the distance): similar pairs are
    pulled to distance 0, dissimilar ones pushed beyond m. At the kink f = m the gradient is the
    subgradient 0. Same as ``torch.nn.HingeEmbeddingLoss`` (which takes only ±1 labels).

    Examples
    --------
    >>> import losslab
    >>> losslab.get("hinge_embedding")([1, -1, -1], [0.5, 0.25, 2.0], reduction="none").tolist()
    [0.5, 0.75, 0.0]
    """

    name = "hinge_embedding"
    aliases = ("hinge_embedding_loss", "hingeembeddingloss")
    PARAMS = (Param("margin", 1.0, "margin m a dissimilar pair's distance is pushed beyond", interval=_REAL),)
    link = IDENTITY
    INFO = LossInfo(
        task=Task.EMBEDDING,
        statistic=Statistic.UNSPECIFIED,
        y_true=SIGNED_LABEL,
        y_pred=RAW_SCORE,
        convex=True,
        smooth=False,
        robust=False,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        roles=((ParamRole.MARGIN, "margin"),),
        references=_REF_HADSELL,
        anchors=(
            AnchorRow(
                "f if s = 1, max(0, m − f) if s = −1",
                (Anchor(Library.PYTORCH, "HingeEmbeddingLoss", "same (±1 labels only)"),),
                params="(m)",
            ),
        ),
    )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """Labels ±1 and distances in (0, 2.5) (around the margin 1)."""
        rng = np.random.default_rng(seed)
        return rng.choice([-1.0, 1.0], n), rng.uniform(0.01, 2.5, n)

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        return signed_labels(self, xp, y_true, f, check)

    def _value(self, xp: Any, s: Any, f: Any) -> Any:
        return xp.where(s > 0, f, _hinge(xp, self.margin - f))

    def _gradient(self, xp: Any, s: Any, f: Any) -> Any:
        one = xp.ones_like(f)
        return xp.where(s > 0, one, xp.where(f < self.margin, -one, xp.zeros_like(f)))

    def _hessian(self, xp: Any, s: Any, f: Any) -> Any:
        return xp.zeros_like(f)


# -- explicit pairs --------------------------------------------------------------------------------
@register
class MarginRanking(Loss):
    r"""Margin ranking loss of a pair of scores (PyTorch's ``MarginRankingLoss``).

    Target `Pairs`: s = +1 if the first score should be the higher, −1 if the second; y_pred
    of shape (n, 2), the scores ``[x₁, x₂]``; m the margin:

    .. math::

        \ell = \max(0,\ m - s\,(x_1 - x_2)),\qquad
        \frac{\partial\ell}{\partial (x_1, x_2)} = (-s, s)\ \text{where}\ m - s(x_1 - x_2) > 0,
        \ \text{else } 0,\qquad \frac{\partial^2\ell}{\partial x^2} = 0.

    At the kink the gradient is the subgradient 0. ``torch.nn.MarginRankingLoss(margin)(x1, x2,
    s)`` is ``loss(Pairs(s), stack([x1, x2], axis=1))``.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Pairs
    >>> f = np.array([[2.0, 1.0], [2.0, 1.0]])
    >>> losslab.get("margin_ranking", margin=0.5)(Pairs([1, -1]), f, reduction="none").tolist()
    [0.0, 1.5]
    """

    name = "margin_ranking"
    aliases = ("margin_ranking_loss", "marginrankingloss")
    PARAMS = (Param("margin", 0.0, "margin m by which the preferred score should lead", interval=_REAL),)
    target_type = Pairs
    multiclass = True
    link = IDENTITY
    INFO = LossInfo(
        task=Task.EMBEDDING,
        statistic=Statistic.UNSPECIFIED,
        y_true=_PAIRS_TARGET,
        y_pred=Domain(DomainKind.RAW_SCORE, shape="(n, 2): the pair's two scores [x1, x2]"),
        convex=True,
        smooth=False,
        robust=False,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        roles=((ParamRole.MARGIN, "margin"),),
        anchors=(
            AnchorRow(
                "max(0, m − s·(x₁ − x₂)); Pairs(s), y_pred [x₁, x₂]",
                (Anchor(Library.PYTORCH, "MarginRankingLoss", "same (takes x1, x2, s)"),),
                params="(m)",
            ),
        ),
    )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """Labels ±1 and pairs of normal scores."""
        return _pair_example(n, seed, 2)

    def _gap(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        if int(f.shape[1]) != 2:
            raise ShapeError(
                f"y_pred for loss {self.name!r} must have shape (n, 2), the pair's two scores "
                f"[x1, x2]; got shape {tuple(f.shape)}."
            )
        s = _signs(xp, t, f)
        return s, self.margin - s * (f[:, 0] - f[:, 1])

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        return _hinge(xp, self._gap(xp, t, f)[1])

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        s, gap = self._gap(xp, t, f)
        g = xp.where(gap > 0, s, xp.zeros_like(s))
        return xp.stack([-g, g], axis=1)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        self._gap(xp, t, f)
        return xp.zeros_like(f)


@register
class CosineEmbedding(Loss):
    r"""Cosine embedding loss of a pair of embeddings (PyTorch's ``CosineEmbeddingLoss``).

    Target `Pairs` (s = +1 similar, −1 dissimilar); y_pred of shape (n, 2d), the two
    embeddings side by side ``[x₁ | x₂]``; c = cos(x₁, x₂), m the margin in [−1, 1]:

    .. math::

        \ell = 1 - c \text{ if } s = 1,\qquad \max(0,\ c - m) \text{ if } s = -1,\qquad
        \frac{\partial c}{\partial x_1} = \frac{\hat x_2 - c\,\hat x_1}{\lVert x_1\rVert},\qquad
        \frac{\partial^2 c}{\partial x_{1j}^2} =
        \frac{3c\,\hat x_{1j}^2 - 2\hat x_{1j}\hat x_{2j} - c}{\lVert x_1\rVert^2}

    (x̂ = x/‖x‖; symmetric in x₂). 1 − c is computed as ½‖x̂₁ − x̂₂‖², which keeps its relative
    precision for nearly parallel vectors, where 1 − c would cancel. A zero vector has cosine 0
    with anything and gradient 0 (PyTorch's limit). PyTorch adds 1e-12 to each squared norm,
    which is off for embeddings of norm near 1e-6 or below; losslab is exact there.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Pairs
    >>> f = np.array([[1.0, 0.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0]])  # 45 degrees apart
    >>> v = losslab.get("cosine_embedding")(Pairs([1, -1]), f, reduction="none")
    >>> np.round(v, 12).tolist()
    [0.292893218813, 0.707106781187]
    """

    name = "cosine_embedding"
    aliases = ("cosine_embedding_loss", "cosineembeddingloss")
    PARAMS = (
        Param(
            "margin",
            0.0,
            "cosine m above which a dissimilar pair is penalised",
            interval=Interval(-1.0, 1.0, True, True),
        ),
    )
    target_type = Pairs
    multiclass = True
    link = IDENTITY
    INFO = LossInfo(
        task=Task.EMBEDDING,
        statistic=Statistic.UNSPECIFIED,
        y_true=_PAIRS_TARGET,
        y_pred=_PAIR_ROWS,
        convex=False,
        smooth=False,
        robust=True,
        hessian=HessianKind.INDEFINITE,
        roles=((ParamRole.MARGIN, "margin"),),
        anchors=(
            AnchorRow(
                "1 − cos(x₁, x₂) if s = 1, max(0, cos − m) if s = −1; y_pred [x₁ | x₂]",
                (Anchor(Library.PYTORCH, "CosineEmbeddingLoss", "same up to its 1e-12 in the norms"),),
                params="(m)",
            ),
        ),
    )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """Labels ±1 and pairs of 3-dimensional normal embeddings."""
        return _pair_example(n, seed, 6)

    def _parts(self, xp: Any, t: Any, f: Any) -> tuple[Any, ...]:
        x1, x2 = _halves(self, f)
        u1, u2 = unit_rows(xp, x1), unit_rows(xp, x2)
        n1, n2 = lp_norm(xp, x1), lp_norm(xp, x2)
        c = xp.sum(u1 * u2, axis=1)
        d = u1 - u2
        one_minus_c = 0.5 * xp.sum(d * d, axis=1)
        # a zero vector: cosine 0 (1 − c = 1), gradient 0
        zero = (n1 == 0) | (n2 == 0)
        one_minus_c = xp.where(zero, xp.ones_like(c), one_minus_c)
        return _signs(xp, t, f), u1, u2, n1, n2, c, one_minus_c, zero

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        s, *_, c, one_minus_c, _ = self._parts(xp, t, f)
        return xp.where(s > 0, one_minus_c, _hinge(xp, c - self.margin))

    def _active(self, xp: Any, s: Any, c: Any, zero: Any) -> Any:
        """∂ℓ/∂c per row: −1 (similar), 1 (dissimilar above the margin), else 0."""
        one = xp.ones_like(c)
        dc = xp.where(s > 0, -one, xp.where(c > self.margin, one, xp.zeros_like(c)))
        return xp.where(zero, xp.zeros_like(c), dc)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        s, u1, u2, n1, n2, c, _, zero = self._parts(xp, t, f)
        dc = self._active(xp, s, c, zero)
        safe1 = xp.where(zero, xp.ones_like(n1), n1)[:, None]
        safe2 = xp.where(zero, xp.ones_like(n2), n2)[:, None]
        g1 = (u2 - c[:, None] * u1) / safe1
        g2 = (u1 - c[:, None] * u2) / safe2
        return xp.concat([dc[:, None] * g1, dc[:, None] * g2], axis=1)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        s, u1, u2, n1, n2, c, _, zero = self._parts(xp, t, f)
        dc = self._active(xp, s, c, zero)
        cc = c[:, None]
        safe1 = xp.where(zero, xp.ones_like(n1), n1)[:, None]
        safe2 = xp.where(zero, xp.ones_like(n2), n2)[:, None]
        h1 = ((3.0 * cc * u1 * u1 - 2.0 * u1 * u2 - cc) / safe1) / safe1
        h2 = ((3.0 * cc * u2 * u2 - 2.0 * u1 * u2 - cc) / safe2) / safe2
        return xp.concat([dc[:, None] * h1, dc[:, None] * h2], axis=1)


@register
class Contrastive(Loss):
    r"""Contrastive (margin) loss of a pair of embeddings (Hadsell, Chopra & LeCun 2006).

    Target `Pairs` (s = +1 similar, −1 dissimilar); y_pred of shape (n, 2d), ``[x₁ | x₂]``;
    D = ‖x₁ − x₂‖₂ and u = x₁ − x₂; m the margin:

    .. math::

        \ell = D^2 \text{ if } s = 1,\qquad \max(0,\ m - D)^2 \text{ if } s = -1,\qquad
        \frac{\partial\ell}{\partial x_1} = -\frac{\partial\ell}{\partial x_2} =
        2u \ \text{ or } -2\,(m - D)_+\,\frac{u}{D},

    with Hessian diagonal 2 (similar) or 2u_j²/D² − 2(m − D)₊(D² − u_j²)/D³ (dissimilar, D < m).
    A dissimilar pair at D = 0 has no gradient direction; losslab takes 0 there. Scaled as
    TensorFlow Addons' ``contrastive_loss`` (which takes D itself); Hadsell et al. write ½ before
    each term.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Pairs
    >>> f = np.array([[0.0, 0.0, 0.3, 0.4], [0.0, 0.0, 0.3, 0.4]])  # D = 0.5
    >>> losslab.get("contrastive")(Pairs([1, -1]), f, reduction="none").tolist()
    [0.25, 0.25]
    """

    name = "contrastive"
    aliases = ("contrastive_loss",)
    PARAMS = (
        Param("margin", 1.0, "distance m beyond which a dissimilar pair costs nothing", interval=_POSITIVE),
    )
    target_type = Pairs
    multiclass = True
    link = IDENTITY
    INFO = LossInfo(
        task=Task.EMBEDDING,
        statistic=Statistic.UNSPECIFIED,
        y_true=_PAIRS_TARGET,
        y_pred=_PAIR_ROWS,
        convex=False,
        smooth=False,
        robust=False,
        hessian=HessianKind.INDEFINITE,
        roles=((ParamRole.MARGIN, "margin"),),
        references=_REF_HADSELL,
        anchors=(
            AnchorRow(
                "D² if s = 1, max(0, m − D)² if s = −1; D = ‖x₁ − x₂‖₂, y_pred [x₁ | x₂]",
                (),
                params="(m)",
            ),
        ),
    )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """Labels ±1 and pairs of 3-dimensional embeddings (distances around the margin 1)."""
        y, f = _pair_example(n, seed, 6)
        return y, 0.4 * f

    def _parts(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any, Any, Any]:
        x1, x2 = _halves(self, f)
        u = x1 - x2
        return _signs(xp, t, f), u, lp_norm(xp, u), self.margin

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        s, _, d, m = self._parts(xp, t, f)
        gap = _hinge(xp, m - d)
        return xp.where(s > 0, d * d, gap * gap)

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        s, u, d, m = self._parts(xp, t, f)
        inside = (s < 0) & (d < m) & (d > 0)
        safe = xp.where(inside, d, xp.ones_like(d))
        coef = xp.where(
            s > 0, 2.0 * xp.ones_like(d), xp.where(inside, -2.0 * (m - d) / safe, xp.zeros_like(d))
        )
        g = coef[:, None] * u
        return xp.concat([g, -g], axis=1)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        s, u, d, m = self._parts(xp, t, f)
        inside = (s < 0) & (d < m) & (d > 0)
        safe = xp.where(inside, d, xp.ones_like(d))[:, None]
        r = u / safe  # u_j / D
        dis = 2.0 * r * r - 2.0 * (m - safe) * (1.0 - r * r) / safe
        sim = 2.0 * xp.ones_like(u)
        h = xp.where((s > 0)[:, None], sim, xp.where(inside[:, None], dis, xp.zeros_like(u)))
        return xp.concat([h, h], axis=1)


# -- labelled embeddings: pairs and triplets mined in the batch ----------------------------------
@register
class TripletMargin(_Batch):
    r"""Triplet margin loss over the triplets mined in a batch of labelled embeddings.

    Target `Embeddings` (a class label per row), y_pred (n, d). A triplet (a, p, q) has
    label(p) = label(a), p ≠ a, label(q) ≠ label(a); with d(x, y) = ‖x − y + ε‖ₚ and m the margin
    its loss is

    .. math::

        h(a, p, q) = \max\bigl(0,\ d(x_a, x_p) - d_-(a, p, q) + m\bigr),\qquad
        d_- = d(x_a, x_q) \text{ or, with swap, } \min(d(x_a, x_q), d(x_p, x_q)).

    Mining: ``"all"`` (default): row a's value is the mean of h over every valid triplet with
    anchor a; ``"hard"`` (batch-hard, Hermans et al. 2017): one triplet per anchor, its farthest
    positive and its nearest negative. A row with no positive or no negative has the value 0.
    Coupled (every row's embedding enters other rows' triplets): the gradient is that of Σwℓ
    (autodiff of this exact value), no Hessian; memory O(n³).

    ``torch.nn.TripletMarginLoss(margin, p, eps, swap)`` on the enumerated triplets of anchor a,
    averaged, is row a's value with ``eps=1e-6`` (PyTorch's default, added to the difference);
    losslab's default ε = 0 is the exact distance. optax's ``triplet_margin_loss`` adds its ε
    to Σ|·|ᵖ instead (the same with ε = 0).

    ``distance="cosine"`` takes d(x, y) = 1 − cos(x, y), computed as ½‖x/‖x‖ − y/‖y‖‖² (exact for
    nearly parallel rows; a zero row has cosine 0): ``torch.nn.TripletMarginWithDistanceLoss(
    distance_function=lambda a, b: 1 − F.cosine_similarity(a, b))``. For another distance write
    the loss with `losslab.custom` (exactness is claimed for these two only).

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Embeddings
    >>> x = np.array([[0.0, 0.0], [0.0, 0.5], [1.0, 0.0], [1.0, 0.5]])
    >>> v = losslab.get("triplet_margin")(Embeddings([0, 0, 1, 1]), x, reduction="none")
    >>> np.round(v, 6).tolist()  # (0.5 + (1.5 − √1.25)) / 2 for each anchor
    [0.440983, 0.440983, 0.440983, 0.440983]
    """

    name = "triplet_margin"
    aliases = ("triplet_margin_loss", "tripletmarginloss", "triplet")
    PARAMS = (
        Param(
            "margin",
            1.0,
            "margin m by which a negative should be farther than a positive",
            interval=_NON_NEGATIVE,
        ),
        Param("p", 2.0, "order p >= 1 of the distance's norm", interval=Interval(1.0, math.inf, True, False)),
        Param("eps", 0.0, "added to each difference before the norm (PyTorch: 1e-6)", interval=_NON_NEGATIVE),
        Param(
            "swap", False, "distance swap (Balntas et al.): the nearer of anchor and positive", kind="bool"
        ),
        Param(
            "mining",
            "all",
            "which triplets: 'all' valid ones, or the 'hard'est per anchor",
            kind="choice",
            choices=("all", "hard"),
        ),
        Param(
            "distance",
            "lp",
            "d(x, y): 'lp' the p-norm of x − y (+ ε), or 'cosine' 1 − cos(x, y)",
            kind="choice",
            choices=("lp", "cosine"),
        ),
    )
    INFO = LossInfo(
        task=Task.EMBEDDING,
        statistic=Statistic.UNSPECIFIED,
        y_true=_EMBEDDINGS_TARGET,
        y_pred=SCORE_ROWS,
        convex=False,
        smooth=False,
        robust=False,
        hessian=HessianKind.NONE,
        roles=((ParamRole.MARGIN, "margin"),),
        references=(
            "Balntas, V., Riba, E., Ponsa, D. & Mikolajczyk, K. (2016). Learning local feature "
            "descriptors with triplets and shallow convolutional neural networks. BMVC.",
            "Hermans, A., Beyer, L. & Leibe, B. (2017). In defense of the triplet loss for person "
            "re-identification. arXiv:1703.07737.",
        ),
        anchors=(
            AnchorRow(
                "mean over the anchor's triplets of max(0, d(a, p) − d(a, q) + m)",
                (
                    Anchor(
                        Library.PYTORCH,
                        "TripletMarginLoss, TripletMarginWithDistanceLoss",
                        "explicit triplets; eps=1e-6 in the distance; distance='cosine' for "
                        "1 − cosine_similarity",
                    ),
                    Anchor(
                        Library.OPTAX, "triplet_margin_loss", "explicit triplets; eps=1e-6 inside the root"
                    ),
                ),
                params="(m, p, ε, swap, mining, distance)",
            ),
        ),
    )

    def _distances(self, xp: Any, f: Any) -> Any:
        if self.distance == "cosine":  # 1 − cos = ½‖û − v̂‖², which keeps near-parallel pairs exact
            u = unit_rows(xp, f)
            diff = u[:, None, :] - u[None, :, :]
            return 0.5 * xp.sum(diff * diff, axis=-1)
        diff = f[:, None, :] - f[None, :, :]
        if self.eps:
            diff = diff + self.eps
        return lp_norm(xp, diff, self.p)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        dist = self._distances(xp, f)  # dist[i, j] = d(x_i, x_j)
        pos, neg = _batch_masks(xp, t, f)
        d_neg = dist[:, None, :]  # [a, p, q] = d(a, q)
        if self.swap:
            d_neg = xp.minimum(d_neg, dist[None, :, :])  # d(p, q)
        valid = pos[:, :, None] & neg[:, None, :]
        if self.mining == "all":
            h = _hinge(xp, dist[:, :, None] - d_neg + self.margin)
            total = xp.sum(xp.where(valid, h, xp.zeros_like(h)), axis=(1, 2))
            return _row_mean(xp, total, xp.sum(xp.astype(valid, f.dtype), axis=(1, 2)))
        # batch-hard: the farthest positive(s), then the nearest negative seen from them
        far = xp.max(xp.where(pos, dist, xp.full_like(dist, -math.inf)), axis=1)
        hardest = pos & (dist == far[:, None])
        ok = hardest[:, :, None] & neg[:, None, :]
        near = xp.min(xp.where(ok, d_neg, xp.full_like(d_neg, math.inf)), axis=(1, 2))
        has = xp.any(ok, axis=(1, 2))
        gap = xp.where(has, far, xp.zeros_like(far)) - xp.where(has, near, xp.zeros_like(near))
        return xp.where(has, _hinge(xp, gap + self.margin), xp.zeros_like(gap))


@register
class NTXent(_Batch):
    r"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (optax's ``ntxent``).

    Target `Embeddings`: rows with equal labels are positive pairs (two views of one image share
    a label). With sᵢⱼ = cos(xᵢ, xⱼ)/τ, Pᵢ the positives and Nᵢ the negatives of row i:

    .. math::

        \ell_i = \frac{1}{|P_i|}\sum_{j \in P_i}
        -\log\frac{e^{s_{ij}}}{e^{s_{ij}} + \sum_{k \in N_i} e^{s_{ik}}}
        = \frac{1}{|P_i|}\sum_{j \in P_i} \operatorname{softplus}\Bigl(\log\sum_{k\in N_i}
        e^{s_{ik}} - s_{ij}\Bigr).

    (0 for a row without positives; a row without negatives costs 0.) Each term is a
    softplus of a log-sum-exp, exact at any temperature. optax averages over all positive
    pairs; when every row has the same number of positives (SimCLR's two views) that is the
    mean of these rows. Coupled: gradient of Σwℓ by autodiff of this value; no Hessian.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Embeddings
    >>> x = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]])
    >>> v = losslab.get("ntxent", temperature=1.0)(Embeddings([0, 0, 1, 1]), x, reduction="none")
    >>> np.round(v, 6).tolist()
    [0.575545, 0.620071, 0.575545, 0.620071]
    """

    name = "ntxent"
    aliases = ("nt_xent", "ntxent_loss")
    PARAMS = (
        Param("temperature", 0.07, "temperature τ dividing the cosine similarities", interval=_POSITIVE),
    )
    INFO = LossInfo(
        task=Task.EMBEDDING,
        statistic=Statistic.UNSPECIFIED,
        y_true=_EMBEDDINGS_TARGET,
        y_pred=SCORE_ROWS,
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.NONE,
        references=(
            "Chen, T., Kornblith, S., Norouzi, M. & Hinton, G. (2020). A simple framework for "
            "contrastive learning of visual representations. ICML.",
        ),
        anchors=(
            AnchorRow(
                "mean over positives j of −log(e^{sᵢⱼ}/(e^{sᵢⱼ} + Σ_{negatives} e^{sᵢₖ}))",
                (Anchor(Library.OPTAX, "ntxent", "mean over all positive pairs"),),
                params="(τ)",
            ),
        ),
    )

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        u = unit_rows(xp, f)
        s = xp.matmul(u, xp.matrix_transpose(u)) / self.temperature
        pos, neg = _batch_masks(xp, t, f)
        lse = _masked_logsumexp(xp, s, neg)
        has_neg = xp.any(neg, axis=1)[:, None]
        terms = sp.softplus(xp, xp.where(has_neg, lse[:, None], s) - s)  # 0·… rows without negatives
        terms = xp.where(pos & has_neg, terms, xp.zeros_like(terms))
        return _row_mean(xp, xp.sum(terms, axis=1), xp.sum(xp.astype(pos, f.dtype), axis=1))


@register
class SupervisedContrastive(_Batch):
    r"""Supervised contrastive loss (Khosla et al. 2020, L^sup_out).

    Target `Embeddings`. With sᵢⱼ = cos(xᵢ, xⱼ)/τ and Pᵢ the other rows of row i's class:

    .. math::

        \ell_i = -\frac{1}{|P_i|}\sum_{p \in P_i}
        \log\frac{e^{s_{ip}}}{\sum_{a \ne i} e^{s_{ia}}}

    (0 for a row without positives). The log-softmax over a ≠ i is the one that keeps the
    relative precision of a near-certain positive (``losslab._core.special.log_softmax``). The
    reference implementation multiplies by τ/τ_base, 1 at its defaults (τ = τ_base = 0.07).
    Coupled: gradient of Σwℓ by autodiff of this value; no Hessian.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Embeddings
    >>> x = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]])
    >>> v = losslab.get("supervised_contrastive", temperature=1.0)(Embeddings([0, 0, 1, 1]), x)
    >>> round(float(v), 6)
    0.597808
    """

    name = "supervised_contrastive"
    aliases = ("supcon", "supervised_contrastive_loss")
    PARAMS = (
        Param("temperature", 0.07, "temperature τ dividing the cosine similarities", interval=_POSITIVE),
    )
    INFO = LossInfo(
        task=Task.EMBEDDING,
        statistic=Statistic.UNSPECIFIED,
        y_true=_EMBEDDINGS_TARGET,
        y_pred=SCORE_ROWS,
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.NONE,
        references=(
            "Khosla, P., Teterwak, P., Wang, C., Sarna, A., Tian, Y., Isola, P., Maschinot, A., Liu, C. "
            "& Krishnan, D. (2020). Supervised contrastive learning. NeurIPS.",
        ),
        anchors=(AnchorRow("−mean over positives p of log softmax_{a≠i}(sᵢₐ) at p", (), params="(τ)"),),
    )

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        u = unit_rows(xp, f)
        s = xp.matmul(u, xp.matrix_transpose(u)) / self.temperature
        pos, neg = _batch_masks(xp, t, f)
        others = pos | neg  # every a ≠ i
        logp = sp.log_softmax(xp, xp.where(others, s, xp.full_like(s, -math.inf)))
        terms = xp.where(pos, -logp, xp.zeros_like(s))
        return _row_mean(xp, xp.sum(terms, axis=1), xp.sum(xp.astype(pos, f.dtype), axis=1))


@register
class Circle(_Batch):
    r"""Circle loss (Sun et al. 2020) over the pairs of a batch of labelled embeddings (Keras's ``Circle``).

    Target `Embeddings`, y_pred (n, d). With sᵢⱼ = xᵢ·xⱼ the similarity (Keras's: the rows are
    expected L2-normalised, as a ``UnitNormalization`` layer makes them; with
    ``normalize=True`` the cosine of the raw rows), dᵢⱼ = max(1 − sᵢⱼ, 0), margin m and scale γ,
    the positives Pᵢ (same label, j ≠ i) and negatives Nᵢ (another label) of row i score

    .. math::

        a_{ij} = -\gamma\,[m + d_{ij}]_+\,(m - d_{ij}),\qquad
        b_{ik} = \gamma\,[1 + m - d_{ik}]_+\,(1 - m - d_{ik}),

    that is −γαₚ(sₚ − Δₚ) and γαₙ(sₙ − Δₙ) with the paper's αₚ = [1 + m − sₚ]₊,
    αₙ = [sₙ + m]₊, Δₚ = 1 − m, Δₙ = m, and row i's value is

    .. math::

        \ell_i = \operatorname{softplus}\Bigl(\log\sum_{j\in P_i} e^{a_{ij}}
        + \log\sum_{k\in N_i} e^{b_{ik}}\Bigr)
        = \log\Bigl(1 + \sum_{j\in P_i}\sum_{k\in N_i} e^{a_{ij} + b_{ik}}\Bigr),

    0 for a row without a positive or a negative. Both log-sum-exps and the softplus are taken
    in log space, exact at Keras's default γ = 80 (terms of e^{±100}). ``remove_diagonal=False``
    counts row i as its own positive (dᵢᵢ = 0 for a unit row), as Keras's option does.

    The weights α are differentiated (Keras's autograd does so); widely copied PyTorch
    implementations (TinyZeaMays/CircleLoss) hold them fixed with ``detach``, a gradient recipe.
    Coupled: the gradient is that of Σwℓ, by automatic differentiation of this value; no
    Hessian (the hinges make it piecewise anyway).

    **Keras** ``keras.losses.Circle(gamma=80, margin=0.4, remove_diagonal=True)``: the same
    per-sample values (``reduction=None``) and gradient; Keras masks rows whose value is 0 out
    of its ``"sum_over_batch_size"`` mean (Σwℓ over the rows with ℓ > 0), losslab's Keras face
    divides by n. Under Keras's PyTorch backend the similarities are computed in float32 even
    for float64 input (Keras's ``result_type`` maps float64 to float32 and its ``matmul`` casts
    to it): values and gradients off by ~1e-7 relative (tests/test_optax_extra.py).

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Embeddings
    >>> x = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
    >>> v = losslab.get("circle", gamma=1.0)(Embeddings([0, 0, 1, 1]), x, reduction="none")
    >>> np.round(v, 6).tolist()
    [0.971803, 1.043477, 1.043477, 0.971803]
    """

    name = "circle"
    aliases = ("circle_loss",)
    PARAMS = (
        Param("gamma", 80.0, "scale γ of the similarities (Keras's default 80)", interval=_POSITIVE),
        Param(
            "margin",
            0.4,
            "relaxation m: positives aim above 1 − m, negatives below m",
            interval=_NON_NEGATIVE,
        ),
        Param("remove_diagonal", True, "leave row i out of its own positives", kind="bool"),
        Param(
            "normalize",
            False,
            "L2-normalise the rows first (cosine similarity); Keras expects unit rows",
            kind="bool",
        ),
    )
    INFO = LossInfo(
        task=Task.EMBEDDING,
        statistic=Statistic.UNSPECIFIED,
        y_true=_EMBEDDINGS_TARGET,
        y_pred=SCORE_ROWS,
        convex=False,
        smooth=False,
        robust=False,
        hessian=HessianKind.NONE,
        roles=((ParamRole.MARGIN, "margin"),),
        references=(
            "Sun, Y., Cheng, C., Zhang, Y., Zhang, C., Zheng, L., Wang, Z. & Wei, Y. (2020). Circle "
            "loss: a unified perspective of pair similarity optimization. CVPR.",
        ),
        anchors=(
            AnchorRow(
                "softplus(LSE over positives of −γ[m + d]₊(m − d) + LSE over negatives of "
                "γ[1 + m − d]₊(1 − m − d)), d = max(1 − xᵢ·xⱼ, 0)",
                (
                    Anchor(
                        Library.KERAS,
                        "Circle",
                        "same per sample; its mean skips rows of value 0; torch backend: float32 "
                        "similarities",
                    ),
                ),
                params="(γ, m)",
            ),
        ),
    )

    def example(self, n: int = 12, seed: int = 0) -> tuple[Any, Any]:
        """Four classes of (about) equal size and unit 3-dimensional embeddings (Keras's input)."""
        labels, f = super().example(n, seed)
        return labels, f / np.linalg.norm(f, axis=1, keepdims=True)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        u = unit_rows(xp, f) if self.normalize else f
        d = _hinge(xp, 1.0 - xp.matmul(u, xp.matrix_transpose(u)))
        pos, neg = _batch_masks(xp, t, f)
        if not self.remove_diagonal:
            pos = ~neg  # the same label, i itself included
        m, g = self.margin, self.gamma
        a = (-g) * _hinge(xp, m + d) * (m - d)
        b = g * _hinge(xp, (1.0 + m) - d) * ((1.0 - m) - d)
        has = xp.any(pos, axis=1) & xp.any(neg, axis=1)
        x = _masked_logsumexp(xp, a, pos) + _masked_logsumexp(xp, b, neg)
        zero = xp.zeros_like(x)
        return xp.where(has, sp.softplus(xp, xp.where(has, x, zero)), zero)


def _masked_logsumexp(xp: Any, s: Any, keep: Any) -> Any:
    """log Σ_{j: keep} e^{sᵢⱼ} per row (0 for a row that keeps nothing; the caller masks it)."""
    m = xp.max(xp.where(keep, s, xp.full_like(s, -math.inf)), axis=1)
    has = xp.any(keep, axis=1)
    m = xp.where(has, m, xp.zeros_like(m))
    shifted = xp.where(keep, s - m[:, None], xp.zeros_like(s))  # no overflow in a discarded entry
    e = xp.sum(xp.where(keep, xp.exp(shifted), xp.zeros_like(s)), axis=1)
    return m + xp.log(xp.where(has, e, xp.ones_like(e)))
