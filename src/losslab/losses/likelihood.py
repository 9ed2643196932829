r"""Negative log-likelihoods in PyTorch's conventions: ``nll`` (log-probability rows) and
``poisson_nll`` (a Poisson rate, as log-rate or rate).

They restate losses losslab has in its own conventions (``categorical_crossentropy`` on logits,
the ``poisson`` half deviance) with the inputs and constants of ``torch.nn.NLLLoss`` and
``torch.nn.PoissonNLLLoss``, so that a model ported from PyTorch keeps its numbers.
"""

from __future__ import annotations

import math
from typing import Any

from .._core import Loss, LossInfo, Param, ParameterError, register
from .._core import special as sp
from .._core.domains import CLASS_TARGET, LOG_PROBABILITY_ROWS, NONNEGATIVE, POSITIVE, RAW_SCORE
from .._core.errors import DataError
from .._core.info import Anchor, AnchorRow, Equivalence, HessianKind, Library, Task
from .._core.statistic import Statistic
from ..links import IDENTITY, LOG, SOFTMAX
from ._params import OptionalInt
from .classification import ignorable_targets, ignored_mask
from .counts import Poisson

__all__ = ["NLL", "PoissonNLL"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def class_weighted(loss: Loss, xp: Any, t: Any, f: Any, class_weight: Any) -> Any:
    """Target rows ``t`` (n, k) times the class weights (None: unchanged), checked against k."""
    if class_weight is None:
        return t
    k = int(f.shape[1])
    if len(class_weight) != k:
        raise ParameterError(
            f"parameter 'class_weight' of loss {loss.name!r} has {len(class_weight)} weights but "
            f"y_pred has {k} classes."
        )
    return t * xp.reshape(xp.asarray(class_weight, dtype=f.dtype, device=sp._device(f)), (1, k))


@register
class NLL(Loss):
    r"""Negative log-likelihood of log-probability rows (PyTorch's ``NLLLoss``).

    y_pred holds rows of k log-probabilities log pⱼ (the output of a ``log_softmax`` layer,
    checked: entries ≤ 0 whose exponentials sum to 1), y_true class indices (n,) or
    probability rows (n, k); with class weights c, aⱼ = cⱼtⱼ:

    .. math::

        \ell = -\sum_j a_j \log p_j,\qquad
        \frac{\partial\ell}{\partial \log p_j} = -a_j,\qquad
        \frac{\partial^2\ell}{\partial (\log p_j)^2} = 0.

    The loss is linear in y_pred (the derivatives are with respect to the log-probabilities as
    given, not through a softmax: that is ``categorical_crossentropy`` on logits, whose value
    equals this one at y_pred = log_softmax(z)). Its Hessian is 0: for Newton steps or boosting
    use ``categorical_crossentropy``. It is not declared convex: its domain, the log-simplex, is
    not a convex set (the midpoint of two log-probability rows is not one). The best constant
    prediction (`baseline`) is the log of the (class- and sample-weighted) class frequencies,
    the minimiser on the log-simplex.

    Its values are those of ``categorical_crossentropy`` at the same rows (log_softmax leaves a
    log-probability row as it is: PyTorch's ``CrossEntropyLoss`` is ``LogSoftmax`` + ``NLLLoss``),
    declared as an equivalence, so the advisor and compare propose ``categorical_crossentropy``
    (a model's logits) rather than this loss; the derivatives differ, being taken with respect
    to different inputs.

    ``ignore_index``: samples whose integer label equals it contribute 0 and leave the mean's
    denominator, as in ``torch.nn.NLLLoss(ignore_index=…)`` (PyTorch's default −100 is not on
    by default here: pass it). **Class weights and the mean**: with ``class_weight`` PyTorch's
    ``reduction="mean"`` divides Σ c_{yᵢ}ℓᵢ by Σ c_{yᵢ}, losslab's by the number of samples (Σ of
    the sample weights), as for ``categorical_crossentropy``; to get PyTorch's number pass the
    class weights as ``sample_weight`` (wᵢ = c_{yᵢ}) instead. Per sample and with
    ``reduction="sum"`` both agree. Keras and optax have no loss on log-probabilities.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> nll = losslab.get("nll")
    >>> logp = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]))
    >>> nll([0, 2], logp, reduction="none").round(6).tolist()
    [0.693147, 0.223144]
    >>> nll.gradient([0, 2], logp).tolist()
    [[-1.0, -0.0, -0.0], [-0.0, -0.0, -1.0]]
    """

    name = "nll"
    aliases = ("nll_loss", "negative_log_likelihood", "nllloss")
    multiclass = True
    PARAMS = (
        Param("class_weight", None, "weight per class, multiplying its term", kind="vector"),
        OptionalInt("ignore_index", None, "integer label whose samples are left out (weight 0)"),
    )
    INFO = LossInfo(
        task=Task.MULTICLASS,
        statistic=Statistic.CLASS_PROBABILITIES,
        y_true=CLASS_TARGET,
        y_pred=LOG_PROBABILITY_ROWS,
        convex=False,  # linear, but on the log-simplex, which is not a convex set
        smooth=True,
        robust=False,
        hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
        # on log-probability rows log_softmax is the identity, so the values are those of
        # categorical_crossentropy (PyTorch: CrossEntropyLoss = LogSoftmax + NLLLoss); the
        # derivatives differ (with respect to log-probabilities here, to logits there)
        equivalences=(
            Equivalence(
                "categorical_crossentropy",
                carry=(("class_weight", "class_weight"), ("ignore_index", "ignore_index")),
            ),
        ),
        anchors=(
            AnchorRow(
                "−Σ cⱼtⱼ log pⱼ of log-probability rows (−cⱼtⱼ)",
                (
                    Anchor(
                        Library.PYTORCH,
                        "NLLLoss(weight, ignore_index)",
                        "same per sample (its weighted mean divides by Σ c_y)",
                    ),
                ),
            ),
        ),
        references=("Good, I. J. (1952). Rational decisions. JRSS B 14(1).",),
    )

    link = SOFTMAX  # softmax(log p) = p

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """Class indices and log_softmax rows of normal logits (k = 3)."""
        import numpy as np

        rng = np.random.default_rng(seed)
        z = rng.normal(0.0, 3.0, (n, 3))
        m = z.max(axis=1, keepdims=True)
        logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        return rng.integers(0, 3, n), logp

    def baseline(self, y_true: Any, sample_weight: Any = None) -> Any:
        """log p̄: the log of the weighted class frequencies (aⱼ = cⱼtⱼ averaged over the samples
        that count), the minimiser of the mean loss over constant log-probability rows."""
        import numpy as np

        y = np.asarray(y_true)
        if y.ndim == 2:
            k = y.shape[1]
        else:
            counted = y[y != self.ignore_index] if self.ignore_index is not None else y
            k = max(int(np.max(counted, initial=0)) + 1, 2, len(self.class_weight or ()))
        p = self._prepared(y, np.full((y.shape[0], k), -math.log(k)), sample_weight)
        a = np.asarray(p.t, dtype=np.float64)
        w = np.ones(a.shape[0]) if p.w is None else np.asarray(p.w, dtype=np.float64)
        freq = w @ a
        if not np.all(freq > 0):
            raise DataError(
                f"the best constant prediction of loss {self.name!r} is log 0 = -inf for class(es) "
                f"{np.flatnonzero(freq <= 0).tolist()}: they have no (weighted) samples."
            )
        return np.log(freq) - math.log(float(np.sum(freq)))

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        t = ignorable_targets(self, xp, y_true, f, check, self.ignore_index)
        return class_weighted(self, xp, t, f, self.class_weight)

    def _sample_mask(self, xp: Any, y_true: Any) -> Any:
        return ignored_mask(xp, y_true, self.ignore_index)

    def _value(self, xp: Any, a: Any, f: Any) -> Any:
        return 0.0 - xp.sum(a * f, axis=1)  # f is finite (checked), so a zero target adds 0

    def _gradient(self, xp: Any, a: Any, f: Any) -> Any:
        return 0.0 - a

    def _hessian(self, xp: Any, a: Any, f: Any) -> Any:
        return xp.zeros_like(f)

    def _gradient_hessian(self, xp: Any, a: Any, f: Any) -> tuple[Any, Any]:
        return self._gradient(xp, a, f), self._hessian(xp, a, f)


_POISSON = Poisson()  # its kernels: μ − y and μ of a log-rate, exact next to the minimiser


@register
class PoissonNLL(Loss):
    r"""Poisson negative log-likelihood in PyTorch's form (``PoissonNLLLoss``).

    With ``log_input=True`` (default) y_pred is the log-rate s, μ = eˢ; with ``log_input=False``
    it is the rate μ > 0 itself:

    .. math::

        \ell = e^{s} - y\,s \quad(\partial_s\ell = e^s - y,\ \partial_s^2\ell = e^s),\qquad
        \ell = \mu - y\log\mu \quad(\partial_\mu\ell = 1 - y/\mu,\ \partial_\mu^2\ell = y/\mu^2),

    plus, with ``full=True``, the Stirling approximation of log y!,
    y log y − y + ½ log(2πy), for y > 1 only (0 for y ≤ 1), as PyTorch adds it. 0·log 0 = 0.

    **Against losslab's ``poisson``** (the half deviance of the log-rate): the same minimiser,
    gradient and Hessian for ``log_input=True``; the values differ by y log y − y, a term
    constant in s, so ``poisson`` is 0 at a perfect prediction and this loss is not (it crosses
    0 where eˢ = y·s, e.g. y = e at s = 1, and is negative around there for y > e). Near that
    crossing the value has an absolute, not a relative, error of a few ulps of eˢ: it is the
    difference of two rounded terms. Because the values differ, it is not declared an
    equivalence of ``poisson`` (which compares values); the advisor and compare use ``poisson``.

    **Against PyTorch**: with ``log_input=False`` PyTorch computes μ − y log(μ + 1e-8); losslab
    adds no epsilon, takes μ > 0 as the domain (μ = 0 with y > 0 has infinite loss) and is exact
    where the epsilon biases PyTorch (μ ≲ 1e-6). With ``log_input=True`` the two agree.
    ``keras.losses.Poisson`` is μ − y log(μ + 1e-7), this loss with ``log_input=False`` up to its
    epsilon.

    Examples
    --------
    >>> import losslab, math
    >>> pn = losslab.get("poisson_nll")
    >>> float(pn([2.0], [math.log(2.0)])[()])  # 2 − 2 log 2
    0.6137056388801094
    >>> float(losslab.get("poisson_nll", log_input=False)([3.0], [1.5]))  # 1.5 − 3 log 1.5
    0.28360467567550685
    """

    name = "poisson_nll"
    aliases = ("poisson_nll_loss", "poissonnllloss")
    PARAMS = (
        Param("log_input", True, "y_pred is the log-rate s (True) or the rate μ > 0 (False)", kind="bool"),
        Param("full", False, "add the Stirling term y log y − y + ½log(2πy) for y > 1", kind="bool"),
    )
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.MEAN,
        y_true=NONNEGATIVE,
        y_pred=RAW_SCORE,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        zero_at_perfect=False,
        anchors=(
            AnchorRow(
                "eˢ − y·s (eˢ − y; Hessian eˢ)",
                (Anchor(Library.PYTORCH, "PoissonNLLLoss(log_input=True)", "same"),),
            ),
            AnchorRow(
                "μ − y log μ, μ > 0 (1 − y/μ)",
                (
                    Anchor(Library.PYTORCH, "PoissonNLLLoss(log_input=False)", "μ − y log(μ + 1e-8)"),
                    Anchor(Library.KERAS, "Poisson", "μ − y log(μ + 1e-7)"),
                ),
                call="(log_input=False)",
            ),
            AnchorRow(
                "+ y log y − y + ½ log(2πy) where y > 1",
                (Anchor(Library.PYTORCH, "PoissonNLLLoss(full=True)", "same"),),
                call="(full=True)",
            ),
        ),
        references=(
            "Nelder, J. A. & Wedderburn, R. W. M. (1972). Generalized linear models. JRSS A 135(3).",
        ),
    )

    def _info(self) -> LossInfo:
        from dataclasses import replace

        info = super()._info()
        return info if self.log_input else replace(info, y_pred=POSITIVE)

    @property
    def link(self) -> Any:  # type: ignore[override]
        return LOG if self.log_input else IDENTITY

    def _stirling(self, xp: Any, t: Any) -> Any:
        big = t > 1.0
        y = xp.where(big, t, xp.full_like(t, 2.0))
        term = y * (xp.log(y) - 1.0) + 0.5 * xp.log(y) + _HALF_LOG_2PI
        return xp.where(big, term, xp.zeros_like(t))

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        if self.log_input:
            v = xp.exp(f) - sp.xmul(xp, t, f)
        else:
            v = f - sp.xlogy(xp, t, f)
        return v + self._stirling(xp, t) if self.full else v

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        if self.log_input:
            return _POISSON._gradient(xp, t, f)
        return (f - t) / f  # μ − y is exact where μ ≈ y (Sterbenz): one rounding

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        if self.log_input:
            return _POISSON._hessian(xp, t, f)
        return (t / f) / f  # not t/μ²: μ² under- or overflows first
