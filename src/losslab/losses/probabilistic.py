"""Probabilistic regression losses: the model predicts a distribution's parameters, not a point."""

from __future__ import annotations

import math
from typing import Any

from .._core import DomainError, Loss, LossInfo, Param, ShapeError, register
from .._core.domains import REAL, Domain, DomainKind
from .._core.info import Anchor, AnchorRow, HessianKind, Library, Task
from .._core.statistic import Statistic
from .._core.xp import to_numpy
from ..links import IDENTITY

__all__ = ["GaussianNLL"]

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
#: column 0 the mean, column 1 the log-variance, both unconstrained
MEAN_LOG_VARIANCE = Domain(DomainKind.PARAMETERS, note="(mean, log-variance)", shape="(n, 2)")


@register
class GaussianNLL(Loss):
    r"""Heteroscedastic Gaussian negative log-likelihood: the model predicts a mean and a variance.

    y_pred has shape (n, 2): column 0 is the mean m, column 1 the log-variance v = log σ² (both
    raw, unconstrained outputs). With r = y − m:

    .. math::

        \ell = \tfrac12\big(v + r^2 e^{-v}\big) \;[+\ \tfrac12\log 2\pi \text{ with full=True}],

        \frac{\partial\ell}{\partial m} = (m - y)e^{-v},\qquad
        \frac{\partial\ell}{\partial v} = \tfrac12\big(1 - r^2 e^{-v}\big),

        \frac{\partial^2\ell}{\partial m^2} = e^{-v},\qquad
        \frac{\partial^2\ell}{\partial v^2} = \tfrac12 r^2 e^{-v}.

    ``hessian`` returns this diagonal (shape (n, 2)); the full 2×2 Hessian has off-diagonal
    r e^{−v} and is indefinite, so the loss is not jointly convex (it is convex in m for fixed v
    and in v for fixed m). r² e^{−v} is formed as (|r|·e^{−v/4})·e^{−v/4} squared, so it
    neither overflows nor underflows unless the result does. y_true has shape (n,).

    Estimates the conditional **mean and variance** of y (the variance as e^v). Relation to
    ``torch.nn.GaussianNLLLoss(full, eps)``: with ``input`` = m, ``target`` = y and
    ``var`` = exp(v), PyTorch's value is ours whenever var ≥ eps (1e-6 by default; below it
    PyTorch clamps var without gradient). PyTorch differentiates with respect to var, we with
    respect to v = log var: ∂ℓ/∂v = var·∂ℓ/∂var, and log-variance needs no positivity
    constraint or clamp. Keras, optax, scikit-learn, XGBoost and LightGBM have no such loss.

    Examples
    --------
    >>> import losslab, numpy as np
    >>> nll = losslab.get("gaussian_nll")
    >>> f = np.array([[1.0, 0.0], [0.0, np.log(4.0)]])  # (mean, log-variance) per sample
    >>> nll([1.0, 2.0], f, reduction="none").round(12).tolist()
    [0.0, 1.193147180560]
    >>> nll.gradient([1.0, 2.0], f).round(12).tolist()
    [[0.0, 0.5], [-0.5, 0.0]]
    """

    name = "gaussian_nll"
    aliases = ("gaussian_nll_loss", "heteroscedastic_gaussian", "normal_nll")
    multiclass = True  # y_pred is (n, 2); y_true (n,) — see _target
    link = IDENTITY
    PARAMS = (Param("full", False, "add the constant ½·log(2π) (PyTorch's full=True)", kind="bool"),)
    INFO = LossInfo(
        task=Task.REGRESSION,
        statistic=Statistic.MEAN_AND_VARIANCE,
        y_true=REAL,
        y_pred=MEAN_LOG_VARIANCE,
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        zero_at_perfect=False,
        anchors=(
            AnchorRow(
                (
                    "½(v + (y − m)²e^{−v}) (+ ½ log 2π), y_pred = (m, v = log σ²) of shape (n, 2) ((m "
                    "− y)e^{−v}, ½(1 − (y − m)²e^{−v}))"
                ),
                (
                    Anchor(
                        Library.PYTORCH,
                        None,
                        (
                            "`GaussianNLLLoss(full, eps)` with var = eᵛ: same value for var ≥ eps; its "
                            "gradient is w.r.t. var (∂/∂v = var·∂/∂var)"
                        ),
                    ),
                ),
                params="(`full`)",
            ),
        ),
        references=(
            "Nix, D. A. & Weigend, A. S. (1994). Estimating the mean and variance of the target "
            "probability distribution. IEEE ICNN.",
            "Kendall, A. & Gal, Y. (2017). What uncertainties do we need in Bayesian deep learning "
            "for computer vision? NeurIPS.",
        ),
    )

    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        if int(f.shape[1]) != 2:
            raise ShapeError(
                f"y_pred for loss {self.name!r} must have shape (n_samples, 2): column 0 the mean, "
                f"column 1 the log-variance; got shape {tuple(f.shape)}."
            )
        if len(y_true.shape) != 1:
            raise ShapeError(
                f"y_true for loss {self.name!r} must have shape ({int(f.shape[0])},) (one real "
                f"target per sample); got shape {tuple(y_true.shape)}."
            )
        return super()._target(xp, y_true, f, check)

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        import numpy as np

        rng = np.random.default_rng(seed)
        y = rng.normal(0.0, 2.0, n)
        f = np.stack([rng.normal(0.0, 2.0, n), rng.normal(0.0, 1.0, n)], axis=1)
        return y, f

    def baseline(self, y_true: Any, sample_weight: Any = None) -> Any:
        """The best constant (mean, log-variance): the weighted mean and log of the weighted
        (biased) variance of ``y_true``."""
        import numpy as np

        y = np.asarray(to_numpy(y_true), dtype=float).ravel()
        w = np.ones_like(y) if sample_weight is None else np.asarray(to_numpy(sample_weight), float)
        m = float(np.sum(w * y) / np.sum(w))
        var = float(np.sum(w * (y - m) ** 2) / np.sum(w))
        if not var > 0.0:
            raise DomainError(
                f"y_true for loss {self.name!r} has zero variance (all targets equal {m!r}); the "
                "log-variance of the best constant prediction would be -inf."
            )
        return np.array([m, math.log(var)])

    # -- kernels --------------------------------------------------------------------------
    @staticmethod
    def _pieces(xp: Any, t: Any, f: Any) -> tuple[Any, Any, Any, Any]:
        """(r = y − m, v, q = |r|·e^{−v/2}, e^{−v/4}).

        v is floored where e^{−v/4} would overflow: there q is inf for any r ≠ 0 anyway (the
        smallest subnormal times e^{−v/2} is beyond the dtype's range), and r = 0 keeps q = 0.
        """
        m, v = f[:, 0], f[:, 1]
        r = t - m
        floor = -2800.0 if f.dtype == xp.float64 else -350.0
        h = xp.exp(-0.25 * xp.maximum(v, xp.full_like(v, floor)))
        q = (xp.abs(r) * h) * h
        return r, v, q, h

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        _, v, q, _ = self._pieces(xp, t, f)
        out = 0.5 * (v + q * q)
        return out + HALF_LOG_2PI if self.full else out

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        r, v, q, h = self._pieces(xp, t, f)
        gm = -(((r * h) * h) * h) * h  # (m − y)e^{−v}
        # ½(1 − q²); near q = 1 as −½·expm1(2 log|r| − v), exact when r and v are (r = 1, v → 0)
        near = (q > 0.5) & (q < 2.0)
        r_near = xp.where(near, xp.abs(r), xp.ones_like(r))
        v_near = xp.where(near, v, xp.zeros_like(v))
        gv = xp.where(near, -0.5 * xp.expm1(2.0 * xp.log(r_near) - v_near), 0.5 * ((1.0 - q) * (1.0 + q)))
        return xp.stack([gm, gv], axis=1)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        _, v, q, _ = self._pieces(xp, t, f)
        return xp.stack([xp.exp(-v), 0.5 * (q * q)], axis=1)
