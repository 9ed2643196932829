r"""Sequence losses: connectionist temporal classification (CTC).

Target `Sequences` (`losslab.targets`): per row a label sequence l of length U (class ids,
padded to a common width), the row's input length Tᵢ and the blank class; ``y_pred`` the raw
scores (logits) of shape (n, T, C), batch first. The loss sums over every alignment of l to
the Tᵢ time steps, computed by the forward algorithm in log space (no probability is formed in
linear space, so sequences of any length and logits of any size keep their precision).

The gradient with respect to the logits is the forward–backward (α–β) one, computed in log space:
it is not automatic differentiation of the recursion. NumPy runs a loop over time vectorised over
the batch, PyTorch the same loop in its own operations inside a ``torch.autograd.Function`` whose
backward is that gradient, and JAX a ``lax.scan`` inside a ``jax.custom_vjp`` whose backward is
that gradient (so ``jax.grad``, ``jit`` and ``vmap`` work; forward-mode ``jax.jvp`` does not: CTC
declares no Hessian), jitted and cached per configuration, so that eager calls compile once per
shape.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from .._core import Loss, LossInfo, Param, register
from .._core import special as sp
from .._core.domains import Domain, DomainKind
from .._core.errors import DomainError, UnsupportedError
from .._core.info import Anchor, AnchorRow, HessianKind, Library, Task
from .._core.statistic import Statistic
from .._core.targets import Sequences
from .._core.xp import device, is_tracing
from ..links import SOFTMAX

__all__ = ["CTC", "ctc_forward_backward"]

_NEG = -math.inf


def _is_jax(f: Any) -> bool:
    return is_tracing(f) or type(f).__module__.startswith("jax")


def _is_torch(f: Any) -> bool:
    return type(f).__module__.startswith("torch")


# -- the alignment lattice, built from the target in y_pred's library (traceable under jax.jit) -----
def _lattice(xp: Any, t: Sequences, arr: Any) -> dict[str, Any]:
    """The extended label sequence l' = (b, l₁, b, l₂, …, b) of 2U + 1 states per row and its masks.

    ``ext`` (n, 2S+1) the class of each state (the blank past a row's end), ``valid`` the states
    of the row, ``skip`` where a state may be entered from two states back (a label different
    from the previous label), ``last`` the final states (2U and 2U − 1), ``steps`` Tᵢ,
    ``length`` U. Built with array operations, so that labels and lengths may be traced.
    """
    lab, tl, il = arr(t.labels), arr(t.target_length), arr(t.input_length)
    n, width = (int(d) for d in lab.shape)
    states = 2 * width + 1
    blank = xp.full_like(lab, t.blank)
    used = arr(np.arange(width))[None, :] < tl[:, None]
    pairs = xp.stack([blank, xp.where(used, lab, blank)], axis=2)  # (n, S, 2): b, l
    ext = xp.concat(
        [xp.reshape(pairs, (n, 2 * width)), blank[:, :1] if width else arr(np.full((n, 1), t.blank))], axis=1
    )
    s = arr(np.arange(states))[None, :]
    valid = s < (2 * tl + 1)[:, None]
    before = xp.concat([arr(np.full((n, min(2, states)), -1)), ext[:, :-2]], axis=1)  # l'_{s−2}
    label_state = arr((np.arange(states) % 2 == 1) & (np.arange(states) >= 3))[None, :]
    skip = label_state & (ext != before) & valid
    last = (s == (2 * tl)[:, None]) | ((s == (2 * tl - 1)[:, None]) & (tl > 0)[:, None])
    return {"ext": ext, "valid": valid, "skip": skip, "last": last, "steps": il, "length": tl}


def _scan(xp: Any, step: Any, carry: Any, xs: tuple[Any, ...], reverse: bool = False) -> tuple[Any, Any]:
    """``carry, y = step(carry, x)`` over the leading axis of ``xs``: ``lax.scan`` for JAX, a
    Python loop over time (vectorised over the batch) for NumPy and PyTorch."""
    if xp.__name__.startswith("jax"):
        import jax

        return jax.lax.scan(step, carry, xs, reverse=reverse)
    steps = int(xs[0].shape[0])
    ys: list[Any] = [None] * steps
    for i in range(steps - 1, -1, -1) if reverse else range(steps):
        carry, ys[i] = step(carry, tuple(x[i] for x in xs))
    return carry, xp.stack(ys) if steps else None


def _shift(xp: Any, a: Any, k: int, neg: Any) -> Any:
    """``a`` moved k states right (k > 0: state s gets s − k) or left (k < 0), −∞ coming in."""
    fill = neg[:, : abs(k)]
    return xp.concat([fill, a[:, :-k]], axis=1) if k > 0 else xp.concat([a[:, -k:], fill], axis=1)


def ctc_forward_backward(xp: Any, t: Sequences, f: Any, *, beta: bool = True) -> dict[str, Any]:
    r"""log P(l | x) per row, and (with ``beta``) the gradient of −log P with respect to the logits.

    With y = softmax(z) over classes at each time step, αₜ(s) the log probability of the prefixes
    of the alignments in state s at time t (emissions 0 … t included) and βₜ(s) that of their
    completions (emissions t+1 … Tᵢ−1):

    .. math::

        \alpha_t(s) = \log y_{t,l'_s} + \operatorname{logsumexp}\bigl(\alpha_{t-1}(s),
        \alpha_{t-1}(s-1), [\text{skip}_s]\,\alpha_{t-1}(s-2)\bigr),\qquad
        \log P = \operatorname{logsumexp}(\alpha_{T_i-1}(2U), \alpha_{T_i-1}(2U-1)),

        \frac{\partial(-\log P)}{\partial z_{t,k}} = y_{t,k} - \sum_{s:\,l'_s = k}
        e^{\alpha_t(s) + \beta_t(s) - \log P}\quad (t < T_i;\ 0 \text{ beyond}).

    The class with the largest posterior occupancy at t takes the form
    (1 − occupancy) − (1 − y), each a sum over the other classes, which keeps its precision
    where both are near 1. Returns ``{"logp": (n,), "grad": (n, T, C)}``; rows without a
    feasible alignment have ``logp = −inf`` and gradient 0.
    """
    n, steps, classes = (int(d) for d in f.shape)
    arr = _converter(xp, f)
    lat = _lattice(xp, t, arr)
    ext, valid, skip, last, ti = lat["ext"], lat["valid"], lat["skip"], lat["last"], lat["steps"]
    states = int(ext.shape[1])
    logy = sp.log_softmax(xp, f)  # (n, T, C): exact for the largest class too
    idx = xp.broadcast_to(ext[:, None, :], (n, steps, states))
    emit = xp.permute_dims(xp.take_along_axis(logy, idx, axis=2), (1, 0, 2))  # (T, n, S')
    neg = arr(np.full((n, states), _NEG))
    neg = xp.astype(neg, f.dtype)
    times = arr(np.arange(steps, dtype=np.int64))
    first = arr(np.arange(states)[None, :] < 2)

    zero_n = xp.zeros_like(neg[:, 0])

    def normalise(a: Any) -> tuple[Any, Any]:
        """(a − c, c) with c = log Σₛ e^{a(s)} (0 where every state is −∞): the recursions carry
        log values of size O(1), so a long sequence's log P ~ −T does not cost precision in them."""
        m = xp.max(a, axis=1)
        m = xp.where(m > _NEG, m, zero_n)
        c = m + xp.log(xp.sum(xp.exp(a - m[:, None]), axis=1))
        c = xp.where(c > _NEG, c, zero_n)
        return a - c[:, None], c

    a0, c0 = normalise(xp.where(valid & first, emit[0], neg))

    def forward(carry: tuple[Any, Any], x: tuple[Any, Any]) -> tuple[Any, Any]:
        (a, total), (e, tt) = carry, x
        a2 = xp.where(skip, _shift(xp, a, 2, neg), neg)
        new, c = normalise(xp.where(valid, e + xp.logaddexp(xp.logaddexp(a, _shift(xp, a, 1, neg)), a2), neg))
        on = tt < ti  # frozen past the row's last step
        a = xp.where(on[:, None], new, a)
        return (a, total + xp.where(on, c, zero_n)), a

    (a_end, total), rest = _scan(xp, forward, (a0, c0), (emit[1:], times[1:]))
    tl = lat["length"]
    final = xp.take_along_axis(a_end, (2 * tl)[:, None], axis=1)[:, 0]
    before = xp.take_along_axis(a_end, xp.where(tl > 0, 2 * tl - 1, 0 * tl)[:, None], axis=1)[:, 0]
    # the two final states, b after the last label and the last label (only b for U = 0)
    logp = total + xp.logaddexp(final, xp.where(tl > 0, before, neg[:, 0]))
    out = {"logp": logp}
    if not beta:
        return out
    alphas = a0[None] if rest is None else xp.concat([a0[None], rest], axis=0)  # (T, n, S')

    zero = xp.zeros_like(neg)
    b_end = xp.where(last, zero, neg)
    skip_next = _shift(xp, skip, -2, xp.zeros_like(skip))  # may s go to s + 2

    def backward(b: Any, x: tuple[Any, Any]) -> tuple[Any, Any]:
        e, tt = x  # the emissions at t + 1
        c = e + b
        c2 = xp.where(skip_next, _shift(xp, c, -2, neg), neg)
        new = normalise(xp.where(valid, xp.logaddexp(xp.logaddexp(c, _shift(xp, c, -1, neg)), c2), neg))[0]
        b = xp.where((tt < ti - 1)[:, None], new, b_end)
        return b, b

    _, rest_b = _scan(xp, backward, b_end, (emit[1:], times[:-1]), reverse=True)
    betas = b_end[None] if rest_b is None else xp.concat([rest_b, b_end[None]], axis=0)

    # the posterior of state s at t, αₜ(s)βₜ(s)/P: P = Σₛ αₜ(s)βₜ(s) at every t, so each step
    # normalises its own (the scales dropped by `normalise` cancel)
    feasible = logp > _NEG
    live = (times[:, None] < ti[None, :]) & feasible[None, :]  # (T, n)
    both = alphas + betas
    m = xp.max(both, axis=2, keepdims=True)
    m = xp.where(m > _NEG, m, xp.zeros_like(m))
    post = xp.exp(both - m)
    post = post / xp.sum(post, axis=2, keepdims=True)
    post = xp.where(live[:, :, None], post, xp.zeros_like(post))
    onehot = xp.astype(ext[:, :, None] == arr(np.arange(classes))[None, None, :], f.dtype)  # (n, S', C)
    occ = xp.matmul(xp.permute_dims(post, (1, 0, 2)), onehot)  # (n, T, C)
    y = xp.exp(logy)
    top = arr(np.arange(classes))[None, None, :] == xp.argmax(occ, axis=2)[:, :, None]
    zc = xp.zeros_like(occ)
    rest_occ = xp.sum(xp.where(top, zc, occ), axis=2, keepdims=True)
    rest_y = xp.sum(xp.where(top, zc, y), axis=2, keepdims=True)
    grad = xp.where(top, rest_occ - rest_y, y - occ)
    out["grad"] = xp.where(xp.permute_dims(live, (1, 0))[:, :, None], grad, zc)
    return out


def _converter(xp: Any, f: Any) -> Any:
    """NumPy arrays (and arrays of f's library) as arrays of f's library, on f's device."""
    dev = None if isinstance(f, np.ndarray) or _is_jax(f) else device(f)

    def arr(a: Any) -> Any:
        if type(a) is type(f) or is_tracing(a):
            return a
        return xp.asarray(a) if dev is None else xp.asarray(a, device=dev)

    return arr


# -- PyTorch and JAX: the analytic gradient as the backward ---------------------------------------
_TORCH_FN: list[Any] = []


def _torch_function() -> Any:
    """A ``torch.autograd.Function`` (made once, when a tensor is at hand): forward computes the
    values and keeps the gradient, backward scales it by the incoming per-row gradient."""
    if not _TORCH_FN:
        import torch

        class CTCValue(torch.autograd.Function):
            @staticmethod
            def forward(ctx: Any, f: Any, loss: Any, t: Any) -> Any:
                v, g = loss._value_gradient_raw(f.detach(), t)
                ctx.save_for_backward(g)
                return v

            @staticmethod
            @torch.autograd.function.once_differentiable
            def backward(ctx: Any, gv: Any) -> tuple[Any, None, None]:
                (g,) = ctx.saved_tensors
                return gv[:, None, None] * g, None, None

        _TORCH_FN.append(CTCValue)
    return _TORCH_FN[0]


def _jax_value(loss: CTC, t: Sequences, f: Any) -> Any:
    """The per-row values as a compiled JAX function of (logits, labels, lengths), cached per
    loss configuration: an eager call compiles once per shape instead of re-tracing the scans
    every call; under an outer ``jit``, ``grad`` or ``vmap`` it is traced as a nested ``jit``."""
    fn = _jax_compiled(type(loss), loss.zero_infinity, loss.divide_by_length, int(t.blank))
    return fn(f, t.labels, t.target_length, t.input_length)  # lengths filled by Sequences.sized


@functools.cache
def _jax_compiled(cls: type, zero_infinity: bool, divide_by_length: bool, blank: int) -> Any:
    import jax

    loss = cls(zero_infinity=zero_infinity, divide_by_length=divide_by_length)

    # the integer fields are arguments, not closed over (a custom_vjp may not close over the
    # tracers of an enclosing trace); their cotangents are None: they are not differentiable
    @jax.custom_vjp
    def rows(f: Any, labels: Any, target_length: Any, input_length: Any) -> Any:
        t = Sequences(labels, target_length, input_length, blank)
        return loss._value_gradient_raw(f, t, beta=False)[0]

    def fwd(f: Any, labels: Any, target_length: Any, input_length: Any) -> tuple[Any, Any]:
        return loss._value_gradient_raw(f, Sequences(labels, target_length, input_length, blank))

    def bwd(g: Any, gv: Any) -> tuple[Any, None, None, None]:
        return gv[:, None, None] * g, None, None, None

    rows.defvjp(fwd, bwd)
    return jax.jit(rows)


_SEQ_TARGET = Domain(
    DomainKind.STRUCTURED,
    note="a Sequences target: padded label sequences (n, S), their lengths, input lengths, blank",
)
_SEQ_SCORES = Domain(DomainKind.LOGIT, shape="(n, T, C): a row of class logits per time step")


@register
class CTC(Loss):
    r"""Connectionist temporal classification (CTC): −log of the probability of a row's label
    sequence summed over its alignments (PyTorch's ``CTCLoss``, optax's ``ctc_loss``, Keras's
    ``CTC``).

    Target `Sequences`: labels l = (l₁ … l_U) (class ids, none equal to the blank b), the row's
    input length Tᵢ; ``y_pred`` z the logits, shape (n, T, C), batch first; y = softmax(z) over
    the C classes at each step. An alignment π of length Tᵢ over the classes collapses to l
    (B: merge repeats, then drop blanks):

    .. math::

        \ell = -\log \sum_{\pi \in B^{-1}(l)} \prod_{t=0}^{T_i-1} y_{t,\pi_t},\qquad
        \frac{\partial\ell}{\partial z_{t,k}} = y_{t,k} - \frac{1}{P}\sum_{s:\,l'_s = k}
        \alpha_t(s)\,\beta_t(s)

    (α, β the forward and backward probabilities over the extended sequence
    l' = (b, l₁, b, …, l_U, b), β without the emission at t; 0 for t ≥ Tᵢ), both recursions in
    log space (`ctc_forward_backward`). No per-sample Hessian (``info.hessian == "none"``).

    Lengths: a row needs at least U + r time steps (r the number of equal adjacent labels, which
    need a blank between them). A row with fewer has no alignment: losslab raises
    `DomainError` naming the row (PyTorch returns +inf, which turns the batch's gradient into
    NaN); ``zero_infinity=True`` gives such rows the value 0 and gradient 0, as PyTorch's option
    does. With ``check=False`` no row is refused: an infeasible row's value is +inf, its gradient
    0.

    ``divide_by_length=True`` divides each row's value (and gradient) by max(U, 1): then
    ``reduction="mean"`` is PyTorch's default ``'mean'`` (each loss divided by its target length,
    then averaged over the batch). PyTorch takes log-probabilities time first, (T, n, C): pass
    ``log_probs.permute(1, 0, 2)`` as y_pred (log-probabilities are logits whose softmax is the
    same). optax's paddings convert with `Sequences.from_paddings`; Keras 3's packing (labels
    padded with the blank 0, lengths inferred, all T steps) is a plain (n, S) integer y_true.
    optax uses −1e5 for log 0, so a row without an alignment gets ≈ 1e5 × steps instead of +inf.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> from losslab.targets import Sequences
    >>> z = np.zeros((1, 2, 3))  # two steps, three classes, uniform: y = 1/3 everywhere
    >>> v = losslab.get("ctc")(Sequences([[1]]), z, reduction="none")  # "1" = 1b, b1, 11
    >>> round(float(v[0]), 12) == round(float(np.log(3)), 12)  # −log(3 / 9): 3 of 9 paths
    True
    >>> g = losslab.get("ctc").gradient(Sequences([[1]]), z)
    >>> np.round(g[0], 6).tolist()  # y − posterior occupancy: blank 1/3, label 2/3 per step
    [[0.0, -0.333333, 0.333333], [0.0, -0.333333, 0.333333]]
    """

    name = "ctc"
    aliases = ("ctc_loss", "ctcloss", "connectionist_temporal_classification")
    PARAMS = (
        Param(
            "zero_infinity",
            False,
            "rows without an alignment (too few steps) cost 0 with gradient 0 instead of raising",
            kind="bool",
        ),
        Param(
            "divide_by_length",
            False,
            "divide each row's value by its label count max(U, 1) (PyTorch's 'mean')",
            kind="bool",
        ),
    )
    target_type = Sequences
    multiclass = True
    link = SOFTMAX
    INFO = LossInfo(
        task=Task.SEQUENCE,
        statistic=Statistic.UNSPECIFIED,
        y_true=_SEQ_TARGET,
        y_pred=_SEQ_SCORES,
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
                "−log Σ over alignments Π softmax(z)ₜ; Sequences target, y_pred (n, T, C) logits",
                (
                    Anchor(
                        Library.PYTORCH,
                        "CTCLoss",
                        "log-probabilities (T, n, C); 'mean' divides by target length "
                        "(divide_by_length=True)",
                    ),
                    Anchor(Library.KERAS, "CTC", "same; labels padded with the blank 0, all T steps"),
                    Anchor(Library.OPTAX, "ctc_loss", "same with paddings; −1e5 for log 0"),
                ),
                call="(zero_infinity, divide_by_length)",
            ),
        ),
    )

    def example(self, n: int = 8, seed: int = 0) -> tuple[Any, Any]:
        """Label sequences of 0–3 labels over classes 1–3 (some repeated), 6 steps, 4 classes."""
        rng = np.random.default_rng(seed)
        lengths = rng.integers(0, 4, n)
        labels = rng.integers(1, 4, (n, 3))
        labels[0, :2] = 2  # a repeat: needs a blank between
        lengths[0] = max(lengths[0], 2)
        steps = rng.integers(5, 7, n)
        return Sequences(labels, lengths, steps), rng.normal(0.0, 2.0, (n, 6, 4))

    def baseline(self, y_true: Any, sample_weight: Any = None) -> Any:
        raise UnsupportedError(
            f"loss {self.name!r} scores sequences of class scores: it has no best constant prediction "
            "(a boosting init score); y_pred is a (T, C) matrix per row."
        )

    def _check_target(self, t: Any) -> None:
        if self.zero_infinity or t._traced():
            return
        need, have = t.min_frames(), np.asarray(t.input_length)
        bad = need > have
        if bad.any():
            i = int(np.argmax(bad))
            u = int(np.asarray(t.target_length)[i])
            raise DomainError(
                f"Sequences.input_length for loss {self.name!r} must be at least the number of steps "
                f"the row's labels need; row {i} has {u} labels with {int(need[i]) - u} equal neighbours "
                f"(a blank between each), so it needs {int(need[i])} steps, but input_length is "
                f"{int(have[i])} ({int(bad.sum())} such rows). Such a row has no alignment (PyTorch "
                "returns inf); zero_infinity=True gives it the value 0."
            )

    # -- kernels ---------------------------------------------------------------------------------
    def _value_gradient_raw(self, f: Any, t: Any, beta: bool = True) -> tuple[Any, Any]:
        """(per-row values, gradient or None) in f's library, without the autodiff wrappers."""
        from .._core.xp import array_namespace

        xp = array_namespace(f)
        out = ctc_forward_backward(xp, t, f, beta=beta)
        logp = out["logp"]
        feasible = logp > _NEG
        v = 0.0 - logp
        g = out.get("grad")
        if self.zero_infinity:
            v = xp.where(feasible, v, xp.zeros_like(v))
        if self.divide_by_length:
            tl = _converter(xp, f)(t.target_length)
            scale = xp.astype(xp.where(tl > 1, tl, xp.ones_like(tl)), f.dtype)
            v = v / scale
            g = None if g is None else g / scale[:, None, None]
        return v, g

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        if _is_torch(f):
            import torch

            if torch.is_grad_enabled() and f.requires_grad:
                return _torch_function().apply(f, self, t)
        elif _is_jax(f):
            return _jax_value(self, t, f)
        return self._value_gradient_raw(f, t, beta=False)[0]

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        return self._value_gradient_raw(_plain(f), t)[1]

    def _value_gradient(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        return self._value_gradient_raw(_plain(f), t)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        raise UnsupportedError(
            f"loss {self.name!r} has no per-sample Hessian (info.hessian == 'none'): a time step's "
            "scores couple through the alignments. Use its gradient (a first-order optimiser), or "
            "autodiff for Hessian-vector products."
        )


def _plain(f: Any) -> Any:
    """``f`` outside an autograd graph (the gradient kernel computes, it does not record)."""
    return f.detach() if _is_torch(f) else f
