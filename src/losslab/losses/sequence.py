r"""Sequence losses: connectionist temporal classification (CTC) on target `Sequences`.

``y_pred`` holds one row per sequence, the raw scores of its time steps: shape (n, T, C), T time
steps (padded to the longest input) of C classes, the blank among them. The target `Sequences`
gives each row's label sequence (padded), its length and its input length.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core import Loss, LossInfo, Param, register
from .._core import special as sp
from .._core.domains import Domain, DomainKind
from .._core.errors import DomainError, ParameterError, ShapeError, UnsupportedError
from .._core.info import Anchor, AnchorRow, HessianKind, Library, Task
from .._core.statistic import Statistic
from .._core.targets import Sequences
from .._core.xp import device, to_numpy
from ..links import SOFTMAX

__all__ = ["CTC"]


@dataclass(frozen=True)
class _Index(Param):
    """A class index: an integer >= 0."""

    def validate(self, loss_name: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ParameterError(
                f"parameter {self.name!r} of loss {loss_name!r} must be an integer >= 0; got {value!r}."
            )
        return int(value)

    def describe(self) -> str:
        return f"{self.name}={self.default!r} (an integer >= 0): {self.doc}"


def _logaddexp3(xp: Any, a: Any, b: Any, c: Any) -> Any:
    """log(eᵃ + eᵇ + eᶜ) entrywise, −inf where all three are −inf, with finite derivatives
    everywhere (no −inf − (−inf) and no log 0 in a branch autodiff goes through)."""
    m = xp.maximum(xp.maximum(a, b), c)
    finite = m > -math.inf
    m_safe = xp.where(finite, m, xp.zeros_like(m))
    s = xp.exp(a - m_safe) + xp.exp(b - m_safe) + xp.exp(c - m_safe)
    s_safe = xp.where(finite, s, xp.ones_like(s))
    return xp.where(finite, m_safe + xp.log(s_safe), m)


@register
class CTC(Loss):
    r"""Connectionist temporal classification: −log of the probability of a label sequence,
    summed over its alignments (Graves et al. 2006; PyTorch's ``CTCLoss``, Keras's ``CTC``,
    optax's ``ctc_loss``).

    Target `Sequences`: row b's labels l = (l₁ … l_S) (no blanks), input length T_b; y_pred of
    shape (n, T, C): raw scores, p_t = softmax(z_t) over the C classes (blank = ``blank``).
    With l′ = (∅, l₁, ∅, l₂, …, l_S, ∅) of length 2S + 1 and the forward variables

    .. math::

        \alpha_1(1) = \log p_1(\varnothing),\quad \alpha_1(2) = \log p_1(l_1),\qquad
        \alpha_t(s) = \log p_t(l'_s) + \operatorname{logsumexp}\bigl(\alpha_{t-1}(s),\
        \alpha_{t-1}(s-1),\ \alpha_{t-1}(s-2)\,[l'_s \ne \varnothing,\ l'_s \ne l'_{s-2}]\bigr),

    the value is ℓ_b = −logsumexp(α_{T_b}(2S + 1), α_{T_b}(2S)): the forward algorithm entirely
    in log space, exact where the textbook's rescaled probabilities underflow. A sequence no
    alignment fits (T_b shorter than S plus its repeated labels) has probability 0 and the value
    +inf (PyTorch's ``zero_infinity=False``). Time steps beyond T_b do not enter.

    Gradient: by automatic differentiation of this value (PyTorch or JAX), ∂ℓ_b/∂z_{t,c} =
    p_t(c) − γ_t(c), γ the posterior of the alignments through class c at t. There is no
    Hessian here (``info.hessian == "none"``).

    Per row the value is PyTorch's ``CTCLoss(reduction="none")`` (which takes log-probabilities:
    log_softmax of these scores) and optax's ``ctc_loss``; PyTorch's ``"mean"`` divides each
    row by its target length first, losslab's mean does not.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Sequences
    >>> z = np.zeros((1, 2, 3))  # two time steps, uniform over {blank, 1, 2}
    >>> t = Sequences([[1]], target_lengths=[1], input_lengths=[2])
    >>> v = losslab.get("ctc")(t, z, reduction="none")  # paths 1∅, ∅1, 11: 3/9
    >>> round(float(v[0]), 12) == round(float(np.log(3.0)), 12)
    True
    """

    name = "ctc"
    aliases = ("ctc_loss", "ctcloss", "connectionist_temporal_classification")
    PARAMS = (_Index("blank", 0, "index of the blank class among the C scores of a time step"),)
    target_type = Sequences
    multiclass = True
    link = SOFTMAX
    INFO = LossInfo(
        task=Task.SEQUENCE,
        statistic=Statistic.UNSPECIFIED,
        y_true=Domain(
            DomainKind.STRUCTURED, note="a Sequences target: labels, target lengths, input lengths"
        ),
        y_pred=Domain(DomainKind.LOGIT, shape="(n, T, C): raw scores of T time steps over C classes"),
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.NONE,
        references=(
            "Graves, A., Fernández, S., Gomez, F. & Schmidhuber, J. (2006). Connectionist temporal "
            "classification: labelling unsegmented sequence data with recurrent neural networks. ICML.",
        ),
        anchors=(
            AnchorRow(
                "−log Σ_alignments Π_t p_t(π_t) per sequence, p = softmax of the scores",
                (
                    Anchor(
                        Library.PYTORCH, "CTCLoss", "same with reduction='none' (takes log-probabilities)"
                    ),
                    Anchor(Library.KERAS, "CTC", "same per sequence"),
                    Anchor(Library.OPTAX, "ctc_loss", "same (padding masks instead of lengths)"),
                ),
            ),
        ),
    )

    def example(self, n: int = 6, seed: int = 0) -> tuple[Any, Any]:
        """Six sequences of up to 3 labels over 4 classes (blank 0), up to 7 time steps."""
        rng = np.random.default_rng(seed)
        c = max(4, self.blank + 2)
        labels = [k for k in range(c) if k != self.blank]
        lengths = rng.integers(1, 4, n)
        targets = [list(rng.choice(labels, int(k))) for k in lengths]
        inputs = rng.integers(5, 8, n)  # 5 steps fit any 3 labels (a repeat needs a blank between)
        return Sequences.from_lists(targets, input_lengths=inputs), rng.normal(0.0, 1.5, (n, 7, c))

    def _check_target(self, t: Any) -> None:
        lab, k = np.asarray(t.targets), np.asarray(t.target_lengths)
        inside = np.arange(lab.shape[1])[None, :] < k[:, None]
        bad = inside & (lab == self.blank)
        if bad.any():
            i = int(np.argmax(bad.any(axis=1)))
            raise DomainError(
                f"Sequences.targets for loss {self.name!r} must not hold the blank {self.blank} within "
                f"a sequence; row {i} does ({lab[i, : k[i]].tolist()})."
            )

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        raise UnsupportedError(
            f"loss {self.name!r} has no per-sample Hessian (info.hessian == 'none'); use its gradient."
        )

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        if len(f.shape) != 3:
            raise ShapeError(
                f"y_pred for loss {self.name!r} must have shape (n, T, C): raw scores of T time steps "
                f"over C classes per sequence; got shape {tuple(f.shape)}."
            )
        n, steps, classes = (int(s) for s in f.shape)
        if sp.eager(xp, f):
            self._check_sizes(t, steps, classes)
        logp = sp.log_softmax(xp, f)  # (n, T, C)
        dev = device(f)
        s_max = int(t.targets.shape[1])
        width = 2 * s_max + 1
        pos = xp.arange(width, device=dev)
        # l': blanks at even positions, label (s - 1) // 2 at odd ones
        lab_idx = xp.reshape(xp.clip((pos - 1) // 2, 0, max(s_max - 1, 0)), (1, width))
        labels = t.targets if s_max else xp.zeros((n, 1), dtype=t.targets.dtype, device=dev)
        gathered = xp.take_along_axis(labels, xp.broadcast_to(lab_idx, (n, width)), axis=1)
        odd = xp.reshape(pos % 2 == 1, (1, width))
        length = 2 * xp.astype(t.target_lengths, xp.int64) + 1  # (n,)
        valid = pos[None, :] < length[:, None]
        # padding beyond a row's length may hold anything: the blank stands in for it
        ext = xp.where(odd & valid, gathered, xp.full_like(gathered, self.blank))  # (n, width)
        # log p_t(l'_s) for every t and s: a gather along the class axis
        idx = xp.broadcast_to(xp.reshape(ext, (n, 1, width)), (n, steps, width))
        lp = xp.take_along_axis(logp, idx, axis=2)  # (n, T, width)
        prev2 = xp.concat([xp.full_like(ext[:, :2], -1), ext[:, :-2]], axis=1)
        skip = odd & (ext != prev2)  # may come from s - 2
        neg_inf = xp.full_like(lp[:, 0, :], -math.inf)
        start = valid & (pos[None, :] < 2)
        alpha = xp.where(start, lp[:, 0, :], neg_inf)
        t_len = xp.astype(t.input_lengths, xp.int64)
        pad = xp.full_like(alpha[:, :1], -math.inf)
        for step in range(1, steps):
            a1 = xp.concat([pad, alpha[:, :-1]], axis=1)
            a2 = xp.concat([pad, pad, alpha[:, :-2]], axis=1)
            a2 = xp.where(skip, a2, neg_inf)
            new = _logaddexp3(xp, alpha, a1, a2) + lp[:, step, :]
            new = xp.where(valid, new, neg_inf)
            alpha = xp.where((step < t_len)[:, None], new, alpha)
        last = (pos[None, :] == length[:, None] - 1) | (pos[None, :] == length[:, None] - 2)
        end = xp.where(last & valid, alpha, neg_inf)
        zeros = xp.full_like(end[:, :1], -math.inf)
        total = _logsumexp_rows(xp, xp.concat([end, zeros], axis=1))
        return -total

    def _check_sizes(self, t: Any, steps: int, classes: int) -> None:
        lab, k, tl = (to_numpy(x) for x in (t.targets, t.target_lengths, t.input_lengths))
        if self.blank >= classes:
            raise ShapeError(
                f"y_pred for loss {self.name!r} has {classes} classes, so the blank {self.blank} is not "
                "one of them."
            )
        inside = np.arange(lab.shape[1])[None, :] < k[:, None]
        bad = inside & ((lab < 0) | (lab >= classes))
        if bad.any():
            i = int(np.argmax(bad.any(axis=1)))
            raise DomainError(
                f"Sequences.targets for loss {self.name!r} must be class indices in [0, {classes - 1}] "
                f"(y_pred has {classes} classes); row {i} holds {lab[i, : k[i]].tolist()}."
            )
        if (tl > steps).any() or (tl < 1).any():
            i = int(np.argmax((tl > steps) | (tl < 1)))
            raise DomainError(
                f"Sequences.input_lengths for loss {self.name!r} must be in [1, {steps}] (y_pred has "
                f"{steps} time steps); got {int(tl[i])} at row {i}."
            )


def _logsumexp_rows(xp: Any, a: Any) -> Any:
    """log Σⱼ e^{aᵢⱼ} per row; −inf for a row of −inf, with finite derivatives."""
    m = xp.max(a, axis=1)
    finite = m > -math.inf
    m_safe = xp.where(finite, m, xp.zeros_like(m))
    s = xp.sum(xp.exp(a - m_safe[:, None]), axis=1)
    s_safe = xp.where(finite, s, xp.ones_like(s))
    return xp.where(finite, m_safe + xp.log(s_safe), m)
