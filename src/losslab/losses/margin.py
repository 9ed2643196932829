"""Margin losses for binary classification on a raw score: hinge."""

from __future__ import annotations

import math
from typing import Any

from .._core import Interval, Loss, LossInfo, Param, register
from .._core.validation import report_bad
from ..links import IDENTITY

__all__ = ["Hinge", "signed_labels"]

NON_NEGATIVE = Interval(0.0, math.inf, True, False)


def signed_labels(loss: Loss, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
    """Labels in {0, 1} or {−1, +1} as signs s ∈ {−1, +1} of ``f``'s dtype.

    0 and −1 both mean the negative class; a vector that mixes 0 and −1 is an error, since one of
    the two cannot be what the user meant.
    """
    if check:
        ok = (y_true == 0) | (y_true == 1) | (y_true == -1)
        report_bad(loss.name, "y_true", y_true, ~ok, "labels in {0, 1} or {-1, +1}")
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
    with m = 1; XGBoost's ``binary:hinge`` uses a Hessian of FLT_MIN where the margin holds.

    Examples
    --------
    >>> import losslab
    >>> losslab.get("hinge")([1, 0, 0], [0.5, 0.5, -2.0], reduction="none").tolist()
    [0.5, 1.5, 0.0]
    """

    name = "hinge"
    aliases = ("hinge_loss", "svm")
    link = IDENTITY
    PARAMS = (
        Param("margin", 1.0, "the score s·f beyond which a sample costs nothing", interval=NON_NEGATIVE),
    )
    INFO = LossInfo(
        task="binary",
        estimates="decision (sign of the score)",
        y_true="labels in {0, 1} or {-1, +1}",
        y_pred="raw score (any real number)",
        convex=True,
        smooth=False,
        robust=True,
        hessian="zero_almost_everywhere",
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
