r"""Similarity losses on rows of vectors: ``cosine_similarity`` (Keras's ``CosineSimilarity``).

y_true and y_pred are (n, d) rows (embeddings, directions, unnormalised spectra …); the loss
compares each pair of rows. Per-sample values have shape (n,), gradient and Hessian diagonal
(n, d).
"""

from __future__ import annotations

from typing import Any

from .._core import Loss, LossInfo, register
from .._core.domains import Domain, DomainKind
from .._core.errors import DataError
from .._core.info import Anchor, AnchorRow, HessianKind, Library, Task
from .._core.statistic import Statistic

__all__ = ["CosineSimilarity"]

#: (n, d) rows of real numbers, none all zero (a zero row has no direction)
VECTOR_ROWS = Domain(DomainKind.REAL, note="(rows not all zero)", shape="(n, d)")


def _unit_rows(xp: Any, x: Any) -> tuple[Any, Any]:
    """(x/‖x‖, ‖x‖) per row, with the row scaled by its largest |entry| first, so that the
    squared norm neither overflows nor underflows."""
    m = xp.max(xp.abs(x), axis=1, keepdims=True)
    m = xp.where(m > 0.0, m, xp.ones_like(m))  # a zero row is rejected by the checks
    s = x / m
    norm_s = xp.sqrt(xp.sum(s * s, axis=1, keepdims=True))
    return s / norm_s, m * norm_s


@register
class CosineSimilarity(Loss):
    r"""Negative cosine similarity of each row pair (Keras's ``CosineSimilarity``).

    With t the target row and f the predicted row, t̂ = t/‖t‖, f̂ = f/‖f‖, c = t̂·f̂ and r = ‖f‖:

    .. math::

        \ell = -c = -\frac{t\cdot f}{\lVert t\rVert\,\lVert f\rVert},\qquad
        \frac{\partial\ell}{\partial f_j} = -\frac{\hat t_j - c\,\hat f_j}{r},\qquad
        \frac{\partial^2\ell}{\partial f_j^2} = \frac{c + 2\hat t_j\hat f_j - 3c\hat f_j^2}{r^2}

    (the Hessian is the exact diagonal of the full d × d matrix; the gradient is formed from
    t̂ ∓ f̂, so that it is exactly 0 when f is parallel to t). ℓ ∈ [−1, 1]: −1 when f points
    along t, whatever its length, so only the direction of y_pred is learned (the gradient is
    orthogonal to f). Rows are scaled by their largest entry before the norms, so any finite
    nonzero row is fine (``1e-200`` or ``1e200`` entries); rows that are all 0 are rejected (they
    have no direction). Where t and f are nearly orthogonal, c is a cancelling dot product:
    its absolute error is a few ulps, its relative one is not bounded (any float dot product).

    **Against Keras**: ``keras.losses.CosineSimilarity(axis=-1)`` is the same for rows of
    moderate length; Keras normalises with x·min(1/√Σx², 1/ε), ε = ``backend.epsilon()`` = 1e-7,
    so rows shorter than 1e-7 get a too small |c| (and a zero row gives 0 rather than an
    error), and Σx² overflows for entries beyond ~1e154, where Keras returns 0.
    optax's ``cosine_similarity`` is +c (a similarity, not a loss; ``cosine_distance`` is 1 − c)
    with an epsilon on the norms; ``torch.nn.functional.cosine_similarity`` is +c with norms
    clamped to ≥ 1e-8.

    Not convex (ℓ is scale-invariant in f); the statistic is a direction (the mean direction
    of the unit targets), not one of the enumeration's: unspecified.

    Examples
    --------
    >>> import losslab
    >>> cos = losslab.get("cosine_similarity")
    >>> cos([[1.0, 0.0], [0.0, 2.0]], [[3.0, 0.0], [1.0, 1.0]], reduction="none").round(12).tolist()
    [-1.0, -0.707106781187]
    """

    name = "cosine_similarity"
    aliases = ()
    multiclass = True  # y_pred is (n, d)
    PARAMS = ()
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.UNSPECIFIED,
        y_true=VECTOR_ROWS,
        y_pred=VECTOR_ROWS,
        convex=False,
        smooth=True,
        robust=True,
        hessian=HessianKind.INDEFINITE,
        zero_at_perfect=False,
        anchors=(
            AnchorRow(
                "−t·f/(‖t‖‖f‖) per row (−(t̂ − c f̂)/‖f‖)",
                (
                    Anchor(
                        Library.KERAS, "CosineSimilarity", "same (norms floored at 1e-7; Σx² may overflow)"
                    ),
                    Anchor(Library.OPTAX, None, "`cosine_similarity`: +c (`cosine_distance`: 1 − c)"),
                    Anchor(Library.PYTORCH, None, "`F.cosine_similarity`: +c (norms clamped ≥ 1e-8)"),
                ),
            ),
        ),
        references=("Salton, G. & McGill, M. J. (1983). Introduction to Modern Information Retrieval.",),
    )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """Normal rows (d = 4) and noisy copies of them."""
        import numpy as np

        rng = np.random.default_rng(seed)
        t = rng.normal(0.0, 1.0, (n, 4))
        return t, 2.0 * t + rng.normal(0.0, 1.0, (n, 4))

    def baseline(self, y_true: Any, sample_weight: Any = None) -> Any:
        """The best constant row: the direction of Σᵢ wᵢ t̂ᵢ (the mean unit target), as a unit row."""
        import numpy as np

        y = np.asarray(y_true, dtype=np.float64)
        p = self._prepared(y, np.ones_like(y), sample_weight)  # the loss's own checks
        th, _ = _unit_rows(np, y)
        s = (np.ones(len(y)) if p.w is None else np.asarray(p.w, dtype=np.float64)) @ th
        norm = float(np.linalg.norm(s))
        if not norm > 0.0:
            raise DataError(
                f"the best constant prediction of loss {self.name!r} has no direction: the "
                "weighted unit targets sum to 0."
            )
        return s / norm

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        if tuple(y_true.shape) != tuple(f.shape):
            from .._core.errors import ShapeError

            raise ShapeError(
                f"y_true for loss {self.name!r} must be (n, d) rows of y_pred's shape {tuple(f.shape)}; "
                f"got shape {tuple(y_true.shape)}."
            )
        return super()._target(xp, y_true, f, check)

    def _y_true_bad(self, xp: Any, t: Any) -> tuple[Any, str] | None:
        return xp.all(t == 0.0, axis=1), "rows not all zero (a zero row has no direction)"

    def _y_pred_bad(self, xp: Any, f: Any) -> tuple[Any, str] | None:
        return xp.all(f == 0.0, axis=1), "rows not all zero (a zero row has no direction)"

    def _parts(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any, Any, Any]:
        th, _ = _unit_rows(xp, t)
        fh, r = _unit_rows(xp, f)
        return th, fh, r, xp.sum(th * fh, axis=1, keepdims=True)

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        return 0.0 - self._parts(xp, t, f)[3][:, 0]

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        th, fh, r, c = self._parts(xp, t, f)
        return _grad(xp, th, fh, r, c)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        th, fh, r, c = self._parts(xp, t, f)
        return (c + 2.0 * th * fh - 3.0 * c * fh * fh) / r / r

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        th, fh, r, c = self._parts(xp, t, f)
        return _grad(xp, th, fh, r, c), (c + 2.0 * th * fh - 3.0 * c * fh * fh) / r / r


def _grad(xp: Any, th: Any, fh: Any, r: Any, c: Any) -> Any:
    """−(t̂ − c f̂)/r written as −((t̂ − s f̂) + s·½‖t̂ − s f̂‖² f̂)/r, s = ±1 the sign of c (the
    same for unit vectors, as c − s = −s·½‖t̂ − s f̂‖²): the difference of nearly (anti)parallel
    directions is formed before it is scaled, so y_pred ∥ y_true gives 0, not c's rounding."""
    sgn = xp.where(c < 0.0, -xp.ones_like(c), xp.ones_like(c))
    d = th - sgn * fh
    half_sq = 0.5 * xp.sum(d * d, axis=1, keepdims=True)
    return (0.0 - (d + sgn * half_sq * fh)) / r
