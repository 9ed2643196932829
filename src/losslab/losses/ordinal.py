r"""Ordinal regression: the cumulative logit (proportional odds) model with ordered thresholds.

A row's label is one of k ordered levels 0 … k−1 (an `Ordinal` target, or integer codes); the
model gives one score η per row, and k − 1 strictly increasing thresholds θ₁ < … < θ_{k−1}
cut the latent logistic variable η + ε into the levels: P(y ≤ j) = σ(θ_{j+1} − η).

How a model learns the thresholds with its scores
    The negative log-likelihood is jointly convex in (θ, η) (McCullagh 1980; Pratt 1981). With
    the thresholds fixed, η is fitted like any other loss's raw score (gradient and Hessian of
    `OrdinalLogistic`); with η fixed, `OrdinalLogistic.fit_thresholds` returns the loss with
    the maximum-likelihood thresholds. Alternating the two (fit η, refit θ, …) decreases the
    joint objective at every step and converges to the joint optimum; start from
    ``thresholds="auto"`` (the marginal cumulative proportions, `ordinal_thresholds`). A
    linear model with an intercept should drop it (it is not identified beside the thresholds).
    `OrdinalLogistic.probabilities` turns scores into class probabilities.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core import (
    DataError,
    DomainError,
    Interval,
    Loss,
    LossInfo,
    Param,
    ParameterError,
    ShapeError,
    register,
)
from .._core import special as sp
from .._core.domains import RAW_SCORE, Domain, DomainKind
from .._core.info import Anchor, AnchorRow, HessianKind, Library, Task
from .._core.params import AUTO
from .._core.statistic import Statistic
from .._core.targets import Ordinal, Structured
from .._core.xp import array_namespace, is_array, to_numpy
from ..links import IDENTITY

__all__ = ["OrdinalLogistic", "Thresholds", "ordinal_thresholds"]

#: structural: which codes are allowed depends on k, so the loss checks them (`_check_target`)
LEVEL_CODES = Domain(
    DomainKind.CLASS_TARGET,
    Interval(0.0, math.inf, True, False),
    note="(ordered level codes 0 … k−1: an Ordinal target or integer codes)",
    shape="(n,)",
)
_LN2 = math.log(2.0)
#: pseudo-count added to every level by the "auto" rule, so an empty level keeps finite cuts
_SMOOTHING = 0.5


@dataclass(frozen=True)
class Thresholds(Param):
    """k − 1 ≥ 1 finite, strictly increasing cut points (a tuple), or ``"auto"``."""

    def validate(self, loss_name: str, value: Any) -> Any:
        where = f"parameter {self.name!r} of loss {loss_name!r}"
        if isinstance(value, str):
            if value == AUTO:
                return AUTO
            raise ParameterError(
                f"{where} must be 'auto' or a sequence of increasing numbers; got {value!r}."
            )
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            value = (value,)
        try:
            vals = tuple(float(v) for v in np.asarray(value, dtype=np.float64).ravel())
        except (TypeError, ValueError):
            raise ParameterError(
                f"{where} must be 'auto' or a sequence of k − 1 increasing numbers; got {value!r}."
            ) from None
        if not vals:
            raise ParameterError(f"{where} must hold at least one threshold (two levels); got {value!r}.")
        bad = [v for v in vals if not math.isfinite(v)]
        if bad:
            raise ParameterError(f"{where} must hold finite numbers; got {bad[0]!r} in {value!r}.")
        for j in range(1, len(vals)):
            if not vals[j] > vals[j - 1]:
                raise ParameterError(
                    f"{where} must be strictly increasing (θ₁ < θ₂ < …); got θ{j + 1} = {vals[j]!r} "
                    f"<= θ{j} = {vals[j - 1]!r}."
                )
        return vals

    def describe(self) -> str:
        return (
            f"{self.name}={self.default!r} (k − 1 strictly increasing numbers, or 'auto': fitted from "
            f"data by {getattr(self.fit, '__name__', 'its rule')}): {self.doc}"
        )


def _codes(y: Any) -> tuple[np.ndarray, int | None]:
    """Integer codes and the number of levels (None when the target does not say)."""
    if isinstance(y, Structured):
        if not isinstance(y, Ordinal):
            raise DomainError(f"an ordinal loss needs an Ordinal target; got {type(y).__name__}.")
        t = y.normalised("ordinal")
        return np.asarray(t.label), t.n_levels
    a = to_numpy(y) if is_array(y) else np.asarray(y)
    a = np.asarray(a, dtype=np.float64).ravel()
    if not np.all(np.isfinite(a) & (a >= 0) & (a == np.round(a))):
        i = int(np.argmin(np.isfinite(a) & (a >= 0) & (a == np.round(a))))
        raise DomainError(f"ordinal level codes must be whole numbers >= 0; got {a[i]!r} at row {i}.")
    return a.astype(np.int64), None


def ordinal_thresholds(
    y: Any, X: Any = None, n_levels: int | None = None, sample_weight: Any = None
) -> tuple:
    r"""Thresholds fitted from the labels alone: θⱼ = logit P̂(y ≤ j − 1), j = 1 … k − 1.

    P̂ are the (weighted) cumulative proportions with ½ added to every level's count, so that an
    empty level (often the top one in a cross-validation fold) gives finite, strictly increasing
    cuts. Without the ½ this is the maximum-likelihood estimate at η = 0 (the intercept-only
    model). ``X`` is not used. k is ``n_levels``, the target's levels (an `Ordinal`), or the
    largest code + 1.

    >>> ordinal_thresholds([0, 0, 1, 2, 2, 2])
    (-0.6931471805599452, 0.13353139262452252)
    """
    codes, k_target = _codes(y)
    k = n_levels or k_target or int(codes.max()) + 1
    if k < 2:
        raise ParameterError(
            "cannot fit thresholds of loss 'ordinal': the labels hold a single level; at least two "
            "levels are needed (pass an Ordinal target with its levels)."
        )
    if codes.size and codes.max() >= k:
        raise DomainError(
            f"cannot fit thresholds of loss 'ordinal': label {int(codes.max())} is beyond the "
            f"{k} levels 0 … {k - 1}."
        )
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).ravel()
    counts = np.bincount(codes, weights=w, minlength=k)[:k] + _SMOOTHING
    cum = np.cumsum(counts)
    # logit(c/total) = log c − log(total − c), with total − c summed from above (no cancellation)
    above = np.cumsum(counts[::-1])[::-1][1:]
    return tuple(float(v) for v in np.log(cum[:-1]) - np.log(above))


def _log1mexp(xp: Any, x: Any) -> Any:
    """log(1 − eˣ) for x < 0 (Mächler 2012: expm1 near 0, log1p beyond −log 2)."""
    near = x > -_LN2
    xn = xp.where(near, x, -xp.ones_like(x))
    xf = xp.where(near, -xp.ones_like(x), x)
    return xp.where(near, xp.log(-xp.expm1(xn)), xp.log1p(-xp.exp(xf)))


def _sigmoid_difference(xp: Any, x: Any, y: Any, d: Any) -> Any:
    r"""σ(x) − σ(y) = sinh(d/2)/(2 cosh(x/2) cosh(y/2)), d = x − y given exactly, in log space:
    log|·| = −[x, y of one sign]·min(|x|, |y|) + log(1 − e^{−|d|}) − log1p(e^{−|x|}) − log1p(e^{−|y|})
    (each term ≤ 0, so nothing cancels and nothing overflows)."""
    ax, ay = xp.abs(x), xp.abs(y)
    same = (x >= 0) == (y >= 0)
    shared = xp.where(same, xp.minimum(ax, ay), xp.zeros_like(ax))
    ad = xp.abs(d)
    nz = ad > 0
    log_gap = _log1mexp(xp, -xp.where(nz, ad, xp.ones_like(ad)))
    mag = xp.exp(-shared + log_gap - xp.log1p(xp.exp(-ax)) - xp.log1p(xp.exp(-ay)))
    return xp.where(nz, xp.where(d > 0, mag, -mag), xp.zeros_like(mag))


@register
class OrdinalLogistic(Loss):
    r"""Ordinal logistic loss (cumulative logit, proportional odds; McCullagh 1980).

    Levels 0 … k − 1, one score η per row, thresholds θ₁ < … < θ_{k−1} (``thresholds``), with
    θ₀ = −∞ and θ_k = +∞. For a row of level y, a = θ_{y+1} − η and b = θ_y − η (so a > b):

    .. math::

        \ell = -\log\big(\sigma(a) - \sigma(b)\big)
             = \operatorname{softplus}(-a) + \operatorname{softplus}(b) - \log\big(1 - e^{\,b - a}\big),

        \frac{\partial\ell}{\partial\eta} = \sigma(-a) - \sigma(b),\qquad
        \frac{\partial^2\ell}{\partial\eta^2} = \sigma(a)\sigma(-a) + \sigma(b)\sigma(-b);

    at the ends ℓ = softplus(−a) (level 0) and softplus(b) (level k − 1). The value is a sum of
    three non-negative terms, b − a = θ_y − θ_{y+1} is formed from the thresholds alone, and the
    gradient, which vanishes where η is midway between the cuts, is
    σ(x) − σ(y) = sinh((x − y)/2)/(2 cosh(x/2) cosh(y/2)) (x = −a, y = b, x − y = 2η − θ_y − θ_{y+1}
    by an exact two-sum) in log space: exact to a few ulps for any η and thresholds however
    close. Convex in η (the Hessian is positive); smooth.

    The target is an `Ordinal` (``Ordinal(codes, levels=k)`` or ``Ordinal.from_values(names,
    levels)``) or integer codes 0 … k − 1; k = len(thresholds) + 1 is ``n_levels``. A code
    outside 0 … k − 1, or a target with another number of levels, is an error.
    ``thresholds="auto"`` fits them from the labels' cumulative proportions
    (`ordinal_thresholds`, via `fit_auto`); `fit_thresholds` gives the maximum-likelihood
    thresholds for fixed scores and `probabilities` the k class probabilities of a score.
    The link is the identity: η is the location of the latent logistic variable.

    statsmodels' ``OrderedModel(distr="logit")`` maximises the same likelihood with η = Xβ
    (its thresholds are θ₁ and log-increments log(θⱼ − θⱼ₋₁)); mord's ``LogisticAT`` fits it
    with an L2 penalty. PyTorch, Keras, optax, scikit-learn, XGBoost and LightGBM have no
    ordinal loss.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> loss = losslab.get("ordinal", thresholds=[-1.0, 1.0])
    >>> loss.n_levels
    3
    >>> loss([0, 1, 2], np.array([0.0, 0.0, 0.0]), reduction="none").round(12).tolist()
    [1.313261687518, 0.771936832905, 1.313261687518]
    >>> loss.gradient([1], np.array([0.0])).tolist()  # midway between the cuts: the optimum
    [0.0]
    >>> loss.probabilities(np.array([0.0])).round(6).tolist()
    [[0.268941, 0.462117, 0.268941]]
    """

    name = "ordinal"
    aliases = ("cumulative_logit", "ordinal_logistic", "proportional_odds")
    target_type = Ordinal
    link = IDENTITY
    PARAMS = (
        Thresholds(
            "thresholds",
            (-1.0, 1.0),
            "cut points θ₁ < … < θ_{k−1} of the latent logistic scale (k levels)",
            fit=ordinal_thresholds,
        ),
    )
    INFO = LossInfo(
        task=Task.ORDINAL,
        statistic=Statistic.CUMULATIVE_PROBABILITIES,
        y_true=LEVEL_CODES,
        y_pred=RAW_SCORE,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        anchors=(
            AnchorRow(
                "−log(σ(θ_{y+1} − η) − σ(θ_y − η)) (σ(−a) − σ(b))",
                (
                    Anchor(
                        Library.SKLEARN,
                        None,
                        "— (statsmodels `OrderedModel(distr='logit')`: same likelihood; mord `LogisticAT`)",
                    ),
                ),
                params="(θ)",
            ),
        ),
        references=(
            "McCullagh, P. (1980). Regression models for ordinal data. Journal of the Royal Statistical "
            "Society B 42(2).",
            "Pratt, J. W. (1981). Concavity of the log likelihood. Journal of the American Statistical "
            "Association 76(373).",
            "Pedregosa, F., Bach, F. & Gramfort, A. (2017). On the consistency of ordinal regression "
            "methods. JMLR 18 (mord).",
        ),
    )

    # -- levels and thresholds ---------------------------------------------------------------
    @property
    def n_levels(self) -> int | None:
        """k, the number of levels (None while ``thresholds`` is ``"auto"``)."""
        th = self.thresholds
        return None if th == AUTO else len(th) + 1

    def fit_auto(self, y: Any, X: Any = None) -> Loss:
        """This loss with ``thresholds="auto"`` fitted by `ordinal_thresholds` on the labels
        ``y`` (an `Ordinal`, whose levels fix k, or codes); unchanged otherwise.

        >>> import losslab
        >>> from losslab.targets import Ordinal
        >>> losslab.get("ordinal", thresholds="auto").fit_auto(Ordinal([0, 1, 1], levels=3)).n_levels
        3
        """
        if self.thresholds != AUTO:
            return self
        return type(self)(thresholds=ordinal_thresholds(y, X))

    def _check_target(self, t: Structured) -> None:
        k = self.n_levels
        lab = np.asarray(t.label)  # type: ignore[attr-defined]
        if t.n_levels is not None and t.n_levels != k:  # type: ignore[attr-defined]
            raise ShapeError(
                f"y_true for loss {self.name!r} has {t.n_levels} levels, but the loss's "  # type: ignore[attr-defined]
                f"{k - 1} thresholds define {k}; pass thresholds of length {t.n_levels - 1} "  # type: ignore[attr-defined,operator]
                "(or 'auto')."
            )
        bad = (lab < 0) | (lab >= k)
        if bad.any():
            i = int(np.argmax(bad))
            raise DomainError(
                f"Ordinal.label for loss {self.name!r} must be a level code in 0 … {k - 1} (the loss has "
                f"{k - 1} thresholds); got {int(lab[i])} at row {i} ({int(bad.sum())} rows out of range)."
            )

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """An `Ordinal` target with levels drawn uniformly, each row's score near its level's
        interval of the latent scale (the middle of an inner level, one unit beyond the cut of an
        end level)."""
        rng = np.random.default_rng(seed)
        th = np.asarray((-1.0, 1.0) if self.thresholds == AUTO else self.thresholds)
        centres = np.r_[th[0] - 1.0, (th[:-1] + th[1:]) / 2.0, th[-1] + 1.0]
        y = rng.integers(0, th.size + 1, n)
        return Ordinal(label=y, levels=th.size + 1), centres[y] + rng.normal(0.0, 1.0, n)

    # -- kernels ---------------------------------------------------------------------------------
    def _cuts(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any, Any, Any]:
        """(lower cut θ_y, upper cut θ_{y+1}, has a lower cut, has an upper cut) per row; a
        missing cut (±∞) holds a finite stand-in that the kernels mask out."""
        th = xp.asarray(self.thresholds, dtype=f.dtype, device=sp._device(f))
        m = len(self.thresholds)
        lab = t.label
        zero = xp.zeros_like(lab)
        top = xp.full_like(lab, m - 1)
        lo = xp.take(th, xp.minimum(xp.maximum(lab - 1, zero), top), axis=0)
        hi = xp.take(th, xp.minimum(lab, top), axis=0)
        return lo, hi, lab > 0, lab < m

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        lo, hi, has_lo, has_hi = self._cuts(xp, t, f)
        zero = xp.zeros_like(f)
        upper = xp.where(has_hi, sp.softplus(xp, f - hi), zero)  # softplus(−a)
        lower = xp.where(has_lo, sp.softplus(xp, lo - f), zero)  # softplus(b)
        both = has_lo & has_hi
        gap = xp.where(both, lo - hi, -xp.ones_like(f))  # b − a < 0, from the thresholds alone
        middle = xp.where(both, -_log1mexp(xp, gap), zero)
        return upper + lower + middle

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        lo, hi, has_lo, has_hi = self._cuts(xp, t, f)
        x, y = f - hi, lo - f  # −a, b
        s, e = sp._two_sum(hi, lo)
        d = (2.0 * f - s) - e  # x − y = 2η − θ_y − θ_{y+1}, exactly where it is small
        inner = _sigmoid_difference(xp, x, y, d)
        ends = xp.where(has_hi, sp.sigmoid(xp, x), -sp.sigmoid(xp, y))
        return xp.where(has_lo & has_hi, inner, ends)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        lo, hi, has_lo, has_hi = self._cuts(xp, t, f)
        zero = xp.zeros_like(f)
        upper = xp.where(has_hi, sp.sigmoid_pair_product(xp, f - hi), zero)
        lower = xp.where(has_lo, sp.sigmoid_pair_product(xp, lo - f), zero)
        return upper + lower

    # -- what a model needs beside the loss ----------------------------------------------------
    def _resolved(self, what: str) -> tuple[float, ...]:
        if self.thresholds == AUTO:
            raise ParameterError(
                f"loss {self.name!r} cannot compute {what} while thresholds='auto'; fit them with "
                "loss.fit_auto(y) or loss.fit_thresholds(y, eta), or pass numbers."
            )
        return self.thresholds

    def log_probabilities(self, eta: Any) -> Any:
        r"""log P(y = j | η) for j = 0 … k − 1, shape (n, k), in η's array library and dtype:
        log(1 − e^{θⱼ − θⱼ₊₁}) + log σ(θⱼ₊₁ − η) + log σ(η − θⱼ) (one-sided at the ends).

        >>> import losslab, numpy as np
        >>> lp = losslab.get("ordinal", thresholds=[0.0]).log_probabilities(np.array([800.0]))
        >>> lp.tolist()
        [[-800.0, 0.0]]
        """
        th = self._resolved("probabilities")
        if not is_array(eta):
            eta = np.asarray(eta, dtype=np.float64)
        xp = array_namespace(eta)
        f = xp.reshape(eta, (-1, 1))
        if not xp.isdtype(f.dtype, "real floating"):
            f = xp.astype(f, xp.float64)
        k = len(th) + 1
        cuts = xp.asarray(th, dtype=f.dtype, device=sp._device(f))
        cols = []
        for j in range(k):
            col = xp.zeros_like(f)
            if j < k - 1:
                col = col - sp.softplus(xp, f - cuts[j])  # log σ(θⱼ₊₁ − η)
            if j > 0:
                col = col - sp.softplus(xp, cuts[j - 1] - f)  # log σ(η − θⱼ)
            if 0 < j < k - 1:
                col = col + _log1mexp(xp, cuts[j - 1] - cuts[j])
            cols.append(col)
        return xp.concat(cols, axis=1)

    def probabilities(self, eta: Any) -> Any:
        """P(y = j | η), shape (n, k): ``exp(log_probabilities(eta))``; rows sum to 1.

        >>> import losslab, numpy as np
        >>> p = losslab.get("ordinal", thresholds=[-1.0, 0.5, 2.0]).probabilities(np.array([0.3, -4.0]))
        >>> p.sum(axis=1).round(15).tolist()
        [1.0, 1.0]
        """
        lp = self.log_probabilities(eta)
        return array_namespace(lp).exp(lp)

    def fit_thresholds(
        self, y: Any, eta: Any, sample_weight: Any = None, *, tol: float = 1e-12
    ) -> OrdinalLogistic:
        r"""This loss with the maximum-likelihood thresholds for fixed scores ``eta``.

        Minimises Σᵢ wᵢ ℓ(yᵢ, ηᵢ; θ) over θ₁ < … < θ_{k−1} by Newton's method (the objective is
        convex in θ, its Hessian tridiagonal), halving a step until the thresholds stay strictly
        increasing and the objective does not rise; it starts from the current thresholds (or
        `ordinal_thresholds` shifted by the weighted mean score when ``"auto"``). k is
        `n_levels`, else the target's levels, else the largest code + 1. A level without rows (or
        weight) has no finite maximum-likelihood cuts: that is an error (use
        ``thresholds="auto"``, which smooths, or merge levels).

        With a linear η = Xβ and β from statsmodels' ``OrderedModel(distr="logit")``, this
        returns its thresholds (tests/test_ordinal.py).

        >>> import losslab, numpy as np
        >>> loss = losslab.get("ordinal", thresholds="auto")
        >>> fitted = loss.fit_thresholds([0, 0, 1, 2, 2, 2], np.zeros(6))
        >>> np.round(fitted.thresholds, 10).tolist()  # logit of the cumulative proportions 1/3, 1/2
        [-0.6931471806, 0.0]
        """
        codes, k_target = _codes(y)
        k = self.n_levels or k_target or int(codes.max()) + 1
        f = to_numpy(eta) if is_array(eta) else np.asarray(eta)
        f = np.asarray(f, dtype=np.float64).ravel()
        if f.shape[0] != codes.shape[0]:
            raise ShapeError(
                f"eta for loss {self.name!r} must have one score per label ({codes.shape[0]}); got "
                f"{f.shape[0]}."
            )
        if not np.all(np.isfinite(f)):
            raise DomainError(f"eta for loss {self.name!r} must be finite.")
        w = np.ones_like(f) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).ravel()
        if w.shape != f.shape or not np.all(np.isfinite(w) & (w >= 0)):
            raise DomainError(
                f"sample_weight for loss {self.name!r} must be finite, >= 0 and one per row ({f.shape[0]})."
            )
        if codes.size and (codes.max() >= k or codes.min() < 0):
            raise DomainError(f"labels for loss {self.name!r} must be level codes in 0 … {k - 1}.")
        mass = np.bincount(codes, weights=w, minlength=k)
        empty = np.flatnonzero(mass <= 0)
        if empty.size:
            raise DomainError(
                f"cannot fit the thresholds of loss {self.name!r}: level {int(empty[0])} has no rows (or "
                "zero weight), so its cuts have no finite maximum-likelihood value; use "
                "thresholds='auto' (smoothed) or merge the level with a neighbour."
            )
        if self.thresholds != AUTO and len(self.thresholds) == k - 1:
            theta = np.asarray(self.thresholds, dtype=np.float64)
        else:
            shift = float(np.sum(w * f) / np.sum(w))
            theta = np.asarray(ordinal_thresholds(codes, n_levels=k, sample_weight=w)) + shift
        theta = _newton_thresholds(codes, f, w, theta, tol)
        return type(self)(thresholds=tuple(float(v) for v in theta))

    def baseline(self, y_true: Any, sample_weight: Any = None) -> Any:
        """The best constant score η for the labels: Newton's method on the convex Σwℓ(η),
        each step halved until Σwℓ does not rise.

        >>> import losslab
        >>> round(losslab.get("ordinal", thresholds=[-1.0, 1.0]).baseline([0, 1, 1, 2]), 12)
        0.0
        """
        codes, _ = _codes(y_true)
        th = self._resolved("a baseline")
        n = codes.shape[0]
        w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).ravel()
        for end, side in ((0, "+inf"), (len(th), "-inf")):
            if np.sum(w[codes != end]) <= 0:
                raise DataError(
                    f"the best constant score of loss {self.name!r} is {side}: every row (with weight) "
                    f"is level {end}, an end of the scale. A baseline needs rows of another level."
                )

        def total(eta: float) -> float:
            return float(np.sum(w * self(codes, np.full(n, eta), reduction="none")))

        eta, value = 0.0, total(0.0)
        for _ in range(200):
            e = np.full(n, eta)
            g, h = self.gradient_hessian(codes, e, sample_weight=w)
            step, t = float(np.sum(g)) / float(np.sum(h)), 1.0
            while total(eta - t * step) > value and t > 1e-30:
                t *= 0.5
            eta -= t * step
            value = total(eta)
            if abs(t * step) <= 1e-14 * (1.0 + abs(eta)):
                break
        return eta


def _nll_parts(codes: np.ndarray, f: np.ndarray, w: np.ndarray, theta: np.ndarray, derivatives: bool):
    """Σwℓ over the rows, and its gradient and (tridiagonal, dense) Hessian in θ."""
    m = theta.size
    ext = np.concatenate(([-np.inf], theta, [np.inf]))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        a = ext[codes + 1] - f
        b = ext[codes] - f
        has_hi, has_lo = codes < m, codes > 0
        log_p = np.where(has_hi, -np.logaddexp(0.0, -a), 0.0) + np.where(has_lo, -np.logaddexp(0.0, b), 0.0)
        both = has_hi & has_lo
        gap = np.where(both, ext[codes] - ext[codes + 1], -1.0)
        log_p = log_p + np.where(both, _log1mexp(np, gap), 0.0)
        total = float(-np.sum(w * log_p))
        if not derivatives:
            return total, None, None
        # r = σ'(cut − η)/P per side, from logs (P may be tiny far in a tail)
        ra = np.where(has_hi, np.exp(-np.logaddexp(0.0, -a) - np.logaddexp(0.0, a) - log_p), 0.0)
        rb = np.where(has_lo, np.exp(-np.logaddexp(0.0, -b) - np.logaddexp(0.0, b) - log_p), 0.0)
        sa = np.where(has_hi, np.tanh(a / 2.0), 0.0)  # σ(a) − σ(−a)
        sb = np.where(has_lo, np.tanh(b / 2.0), 0.0)
    up, low = np.minimum(codes, m - 1), np.maximum(codes - 1, 0)
    grad = np.bincount(up, weights=-w * ra, minlength=m) + np.bincount(low, weights=w * rb, minlength=m)
    hess = np.zeros((m, m))
    diag = np.bincount(up, weights=w * (ra * sa + ra * ra), minlength=m)
    diag += np.bincount(low, weights=w * (rb * rb - rb * sb), minlength=m)
    hess[np.arange(m), np.arange(m)] = diag
    if m > 1:
        off = np.bincount(low[both], weights=-(w * ra * rb)[both], minlength=m)[: m - 1]
        hess[np.arange(m - 1), np.arange(1, m)] = off
        hess[np.arange(1, m), np.arange(m - 1)] = off
    return total, grad, hess


def _newton_thresholds(codes: np.ndarray, f: np.ndarray, w: np.ndarray, theta: np.ndarray, tol: float):
    """Newton's method on the thresholds, each step halved until they stay ordered and Σwℓ does
    not rise; stops when a step moves no threshold by more than ``tol``·(1 + |θ|)."""
    value, grad, hess = _nll_parts(codes, f, w, theta, True)
    for _ in range(200):
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            cand = theta - t * step
            if np.all(np.diff(cand) > 0):
                new_value = _nll_parts(codes, f, w, cand, False)[0]
                if new_value <= value + 1e-15 * abs(value):
                    break
            t *= 0.5
            if t < 1e-30:
                return theta
        moved = np.max(np.abs(cand - theta) / (1.0 + np.abs(theta)))
        theta = cand
        value, grad, hess = _nll_parts(codes, f, w, theta, True)
        if moved <= tol:
            break
    return theta
