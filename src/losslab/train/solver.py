r"""A linear model fitted to the optimum: all rows, Newton or L-BFGS, run to a tolerance.

For a `LinearModel` f(x) = s·(W z + b) (``s`` its fixed output scale; with a floor, f = floor +
exp(s·(W z + b))) and a loss ℓ, `solve` minimises the weighted mean

    L(W, b) = Σᵢ wᵢ ℓ(yᵢ, f(zᵢ)) / Σᵢ wᵢ

over every row. The gradient is backpropagation by hand: ∂L/∂fᵢ = wᵢ ℓ'(yᵢ, fᵢ)/Σw from the loss's
own ``gradient``, then ∂L/∂W = s·Σᵢ ∂L/∂uᵢ zᵢᵀ and ∂L/∂b = s·Σᵢ ∂L/∂uᵢ with u the affine output
(∂f/∂u = 1, or f − floor under a floor) — the chain rule `losslab.train.step_trace` shows, in NumPy.

Which method, from the loss's metadata (never its name):

- **Newton** when the model has one output and no floor and the loss is convex with an exact
  Hessian (``info.hessian`` exact or piecewise: mse, huber, cross-entropy, Poisson, gamma,
  Tweedie …): each point costs one pass of the loss's ``value_gradient_hessian``; the Hessian
  s²·Aᵀdiag(wℓ'')A/Σw (A = [Z, 1]) is formed only where a step is taken, the step is by its
  pseudo-inverse, the full step is kept when it passes Armijo's test, else a line search on the
  directional derivative brackets the line's minimum. mse is solved in one step; GLMs in a
  handful. Where the fused engine has a cheaper form of the loss up to a function of y alone
  (the Tweedie family: ℓ(y, f) − ℓ(y, 0), no log of y), the passes compute that and add the
  weighted mean of ℓ(y, 0), taken once: the same L, with no log per entry, used where it rounds
  like L (mean ℓ(y, 0) ≤ 10³·L₀); where it cannot resolve a decrease, the loss's own value decides.
- **L-BFGS** (SciPy's L-BFGS-B) otherwise — several outputs (softmax: the loss gives only the
  diagonal of each row's Hessian), a floor, a piecewise-linear loss (mae, quantile, hinge: the
  Hessian is 0), a non-convex one, a coupled one (``loss.coupled``: Cox, ranking — rows interact,
  and the loss's Hessian is only the diagonal of the total's, so a Newton step on it is not
  exact) — and where Newton finds no descent.

Structured targets (`losslab.targets`: survival, ranking, ordinal) are passed to the loss as they
are; a coupled loss returns the gradient of the weighted total Σⱼwⱼℓⱼ, which is what the chain
rule above needs. A gradient recipe (``info.gradient == "recipe"``: LambdaRank, XE-NDCG) is no
derivative of a value, so a line search on the value cannot minimise it: `solve` refuses it
(`losslab.train.RecipeError`) and points to gradient boosting, which steps along the recipe.

Both stop when every entry of ∇(L/|L₀|) is below ``tol`` (L₀ the loss at the start, so ``tol``
means the same whatever y's units), when L no longer decreases in float64, or at ``max_iter``;
Newton also when the Newton decrement λ² = ∇LᵀH⁺∇L is below ``tol``·|L₀|, after one last full
step (quadratic convergence puts its decrement near λ⁴: see `_newton`). A smooth convex loss
reaches its unique optimum; a piecewise-linear one its optimal value closely.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from .._core.errors import ParameterError
from .._core.loss import Loss
from .._core.targets import Structured
from ._arrays import transposed
from .errors import DivergenceError, RecipeError
from .loop import TrainResult

__all__ = ["DEFAULT_TOL", "SEPARATION_SCORE", "separated", "solve"]

#: default gradient tolerance of `solve`, relative to the starting loss |L₀|
DEFAULT_TOL = 1e-10


#: elements of a block of the design in `_Objective.hessian`: ~256 kB, in cache
_BLOCK = 32_768


class _Point(NamedTuple):
    """What one pass of the loss gives at θ: L(θ), ∇L(θ), the rows' wᵢℓ''ᵢ and the scores u."""

    theta: np.ndarray
    v: float
    grad: np.ndarray
    h: np.ndarray
    u: np.ndarray


class _Objective:
    """L(θ) and ∇L(θ) of a linear model on fixed data, θ = (W, b) flattened."""

    def __init__(self, model: Any, loss: Loss, Z: np.ndarray, y: Any, w: np.ndarray, l2: float = 0.0) -> None:
        self.loss = loss
        self.l2 = float(l2)  # ½·l2·‖W‖² added to the mean loss (the bias is not penalised)
        self.b0: np.ndarray | None = None  # the starting bias (set by `solve`)
        # L − (the engine's value up to a function of y), once `value_up_to_y` found it cheaper
        # (taken from the next pass); None: each pass computes L itself
        self.offset: float | None = None
        self._offset_next = False
        self._score: tuple[np.ndarray, float] | None = None  # (θ, max_abs_score(θ)) last computed
        self._ZT: np.ndarray | None = None  # Zᵀ, C-ordered, for Newton's products (made when first needed)
        self.Z = Z
        self.y = y
        # unit weights as None: the loss's plain mean skips the weighted reduction's passes
        self.w = None if bool(np.all(w == 1.0)) else w
        self.wsum = float(w.sum())
        self.k = int(model.n_outputs)
        self.p = int(model.n_features)
        self.scale = float(model.output_scale)
        self.floor = model.floor

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        W = theta[: self.k * self.p].reshape(self.k, self.p)
        return W, theta[self.k * self.p :]

    def raw(self, theta: np.ndarray, Z: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """(f, ∂f/∂u) for the rows ``Z`` (default: the training rows); ∂f/∂u is None for 1."""
        W, b = self.unpack(theta)
        u = ((self.Z if Z is None else Z) @ W.T + b) * self.scale
        if self.k == 1:
            u = u[:, 0]
        if self.floor is None:
            return u, None
        with np.errstate(over="ignore"):
            f = np.expm1(u) + (self.floor + 1.0) if self.floor != -1.0 else np.expm1(u)
            return f, np.exp(u)

    def penalty(self, theta: np.ndarray) -> float:
        """½·l2·‖W‖² (0 without a penalty)."""
        return 0.5 * self.l2 * float(theta[: self.k * self.p] @ theta[: self.k * self.p]) if self.l2 else 0.0

    def value(self, theta: np.ndarray, Z: Any = None, y: Any = None, w: Any = None) -> float:
        """The objective on the training rows (with the penalty); the plain mean loss on rows ``Z``."""
        f, _ = self.raw(theta, Z)
        with np.errstate(all="ignore"):
            v = float(
                self.loss(
                    self.y if y is None else y, f, sample_weight=self.w if w is None else w, check=False
                )
            )
        return v + self.penalty(theta) if Z is None else v

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        f, df_du = self.raw(theta)
        # value and gradient in one pass (the fused engine on large inputs); the targets were
        # validated once, by the caller
        with np.errstate(all="ignore"):
            v, g_u = self.loss.value_and_gradient(self.y, f, sample_weight=self.w, check=False)
            v = float(v)
            if not math.isfinite(v):  # outside the loss's domain or overflow: the line search backs off
                return math.inf, np.zeros_like(theta)
            g_u = g_u / self.wsum
            if df_du is not None:
                g_u = g_u * df_du
        g_u = g_u.reshape(-1, self.k)
        grad = np.concatenate([(g_u.T @ self.Z).reshape(-1), g_u.sum(axis=0)]) * self.scale
        if self.l2:
            grad[: self.k * self.p] += self.l2 * theta[: self.k * self.p]
        return v + self.penalty(theta), grad

    def newton_point(self, theta: np.ndarray) -> _Point:
        """L(θ), ∇L and the rows' weighted second derivatives wᵢℓ''ᵢ at θ (one output, no floor),
        from one pass of the loss (``value_gradient_hessian``); the Hessian is formed on demand
        (`hessian`), so a point where the iteration stops costs no Hessian product.

        Once `value_up_to_y` has set ``offset``, the pass computes the loss up to a function of
        the targets alone (cheaper where the fused engine has such a form: no log of y for the
        Tweedie family) and L is that plus ``offset``: the same function of θ, with the rounding
        of the cheaper form's terms."""
        if self._ZT is None:
            self._ZT = transposed(self.Z)  # products with Zᵀ read it in rows: ~2× faster than Z's
        ZT = self._ZT
        W, b = self.unpack(theta)
        # the scale applied to the (p+1) weights, not to the n scores
        u = (W[0] * self.scale) @ ZT + float(b[0]) * self.scale
        with np.errstate(all="ignore"):
            parts = None
            if self._offset_next:  # the first pass gives the offset too: mean c(y) from the same loop
                self._offset_next = False
                both = self._up_to_y(u, "scgh")
                if both is not None and math.isfinite(float(both[1])):
                    self.offset = float(both[1])
                    parts = (both[0], both[2], both[3])
            elif self.offset is not None:
                parts = self._up_to_y(u, "sgh")
            if parts is None:
                v, g, h = self.loss.value_gradient_hessian(self.y, u, sample_weight=self.w, check=False)
            else:
                v, g, h = parts
                v = float(v) + self.offset
        m = self.p
        grad = np.empty(m + 1)
        grad[:m] = ZT @ g
        grad[m] = g.sum()
        grad *= self.scale / self.wsum  # 1/Σw and the output scale on the (p+1)-sized result
        if self.l2:
            grad[:m] += self.l2 * theta[:m]
        return _Point(theta, float(v) + self.penalty(theta), grad, h, u)

    def _up_to_y(self, u: np.ndarray, want: str) -> Any:
        """The fused engine's pass ``want`` ("s…": the mean loss up to a function of y) at the
        scores ``u``, or None where it does not answer (see `losslab._core.fastpath.fused`)."""
        from .._core import fastpath

        return fastpath.fused(self.loss, self.y, u, self.w, False, want, "mean", (None, None))

    def value_up_to_y(self) -> None:
        """Let the passes compute the loss up to a function c(y) of the targets alone (which the
        line search's comparisons do not see) where the fused engine has a cheaper form of it:
        the next pass also gives ``offset``, the weighted mean of c(y), so that values stay L's
        (the history reports them)."""
        from .._core import fastpath

        eng = fastpath.engine()
        self._offset_next = (
            eng is not None and eng.cheaper_up_to_target(self.loss) and self.k == 1 and self.floor is None
        )

    def resolves(self, v0: float) -> bool:
        """Whether the value up to y, plus ``offset``, gives L ≈ ``v0`` to ~1e-13 relative: its terms
        ℓ(y, f) − c(y) with c(y) = ℓ(y, 0) ≥ 0 (the engine's forms vanish at f = 0) are at most
        ℓ + c, so it rounds like L + c̄ (c̄ = ``offset``, the mean of c): c̄ ≤ 10³·L keeps it near
        L's own rounding; larger counts (c̄ grows as y·log y) take the loss's value instead."""
        return math.isfinite(v0) and self.offset is not None and abs(self.offset) <= 1e3 * abs(v0)

    def exact_value(self, point: _Point) -> float:
        """L at ``point`` from the loss's own value (not up to a function of y)."""
        with np.errstate(all="ignore"):
            v = float(self.loss(self.y, point.u, sample_weight=self.w, check=False))
        return v + self.penalty(point.theta)

    def hessian(self, point: _Point) -> np.ndarray:
        """∇²L = s²·Aᵀ diag(wᵢℓ''ᵢ/Σw) A (A = [Z, 1]) at ``point``.

        Accumulated over blocks of rows from a transposed copy of Z (made at the first call):
        each block [h·Zᵀ; hᵀ] is formed in one reused buffer that stays in cache and multiplied
        by the block of Z, giving Zᵀdiag(h)Z and hᵀZ in one product — about twice as fast as
        (h·Z)ᵀZ over all rows at once, with no n-sized temporary. The copy is the size of Z,
        as the preprocessing's scratch copy was."""
        ZT, h, m = self._ZT, point.h, self.p  # Zᵀ made by `newton_point`
        n = ZT.shape[1]
        H = np.zeros((m + 1, m + 1))
        cols = max(256, _BLOCK // (m + 1))
        buf = np.empty((m + 1, min(cols, n)))
        part = np.empty((m + 1, m))
        for lo in range(0, n, cols):
            Zb, hb = ZT[:, lo : lo + cols], h[lo : lo + cols]
            B = buf[:, : Zb.shape[1]]
            np.multiply(Zb, hb, out=B[:m])
            B[m] = hb
            H[:, :m] += np.matmul(B, Zb.T, out=part)
        H[:m, m] = H[m, :m]
        H[m, m] = h.sum()
        H *= self.scale**2 / self.wsum
        if self.l2:
            H[np.arange(m), np.arange(m)] += self.l2
        return H

    def max_abs_score(self, theta: np.ndarray, u: np.ndarray | None = None) -> float:
        """The largest |s·(W z + b − b₀)| over the training rows: how far a score (a logit, a log
        mean) has moved from the starting constant b₀ (the loss's baseline, so y's units do not
        count: a log mean of 30 is an amount of 1e13, not a separation). ``u`` the scores
        s·(W z + b) at θ if already known (one output)."""
        if self._score is not None and np.array_equal(self._score[0], theta):
            return self._score[1]  # the record of θ's iteration computed it
        W, b = self.unpack(theta)
        b0 = np.zeros(self.k) if self.b0 is None else self.b0
        if u is None and self.k == 1 and self._ZT is not None:
            u = (W[0] * self.scale) @ self._ZT + float(b[0]) * self.scale
        if u is not None:
            c = float(b0[0]) * self.scale  # from the extremes: no n-sized temporaries
            score = max(float(u.max()) - c, c - float(u.min()))
        else:
            score = float(np.max(np.abs((self.Z @ W.T + (b - b0)) * self.scale)))
        self._score = (theta.copy(), score)  # a copy: SciPy's L-BFGS-B updates its x in place
        return score


def _newton_applies(model: Any, loss: Loss) -> bool:
    """Newton's method needs one output, no output floor and a convex loss whose ``hessian`` is exact."""
    from .._core.info import HessianKind

    kind = getattr(loss.info, "hessian", None)
    return (
        int(model.n_outputs) == 1
        and model.floor is None
        and not loss.coupled  # its Hessian is the total's diagonal only
        and bool(loss.info.convex)
        and kind in (HessianKind.EXACT, HessianKind.PIECEWISE)
    )


def refuse_recipe(loss: Loss, where: str) -> None:
    """Raise `RecipeError` for a loss whose gradient is a recipe (not the derivative of its value).

    >>> import losslab
    >>> refuse_recipe(losslab.get("mse"), "the solver")  # a derivative: nothing to refuse
    """
    from .._core.info import GradientKind

    if getattr(loss.info, "gradient", GradientKind.DERIVATIVE) == GradientKind.RECIPE:
        raise RecipeError(
            f"loss {loss.name!r} has a gradient recipe (info.gradient = 'recipe'), not the derivative of "
            f"its value, so {where} cannot minimise it by a line search on the value. Boost it instead: "
            "its gradient and Hessian are a LightGBM/XGBoost objective (losslab.lightgbm.objective, "
            "losslab.xgboost.objective), whose trees step along the recipe."
        )


def _newton_direction(H: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, bool]:
    """(−H⁺∇L, True): the pseudo-inverse, so a singular H (more weights than the rows pin down,
    or huber with every residual beyond δ) gives the least-norm step in its range; (−∇L, False)
    if that is no descent.
    """
    lam, V = np.linalg.eigh(H)
    keep = lam > 1e-12 * max(float(lam.max()), 0.0)
    if keep.any():
        d = -(V[:, keep] @ ((V[:, keep].T @ grad) / lam[keep]))
        if np.all(np.isfinite(d)) and float(grad @ d) < 0:
            return d, True
    return -grad, False


def _newton(
    obj: _Objective,
    point: _Point,
    norm: float,
    tol: float,
    max_iter: int,
    record: Callable[[Any], None],
) -> tuple[np.ndarray, float, bool]:
    """Newton's method from ``point`` with a line search; returns (θ, L(θ), converged).

    Each trial costs one pass of the loss's fused ``value_gradient_hessian`` (the value, the
    gradient and the rows' second derivatives); the Hessian product is formed only where a
    step is computed. The full step α = 1 is tried first and kept when it decreases L enough
    (Armijo: L(θ + d) ≤ L(θ) + 10⁻⁴∇L·d). Otherwise the line search works on the directional
    derivative: for a convex L, φ(α) = L(θ + αd) has an increasing derivative
    φ'(α) = ∇L(θ + αd)·d, and φ'(α) ≤ 0 means φ(α) < φ(0); past the minimum, a safeguarded
    secant on φ' brackets it.

    It stops when every entry of ∇L/|L₀| is below ``tol``, or when the Newton decrement
    λ² = −∇L·d = ∇LᵀH⁺∇L (twice the gap L − L* of the quadratic model) is below ``tol``·|L₀|:
    then the full step is taken without a further pass of the loss. Newton's quadratic
    convergence puts that point's decrement near λ⁴ (about tol²), far inside the tolerance,
    and its loss is L(θ) − λ²/2 up to O(λ³), below float64's resolution of L.
    """
    from types import SimpleNamespace

    for _ in range(max_iter):
        theta, v, grad = point.theta, point.v, point.grad
        if np.max(np.abs(grad)) / norm < tol:
            return theta, v, True
        d, newton_step = _newton_direction(obj.hessian(point), grad)
        slope0 = float(grad @ d)
        if newton_step and -slope0 <= tol * norm:
            theta, v = theta + d, v + 0.5 * slope0
            record(SimpleNamespace(x=theta, fun=v / norm))
            return theta, v, True
        lo, s_lo, hi, s_hi = 0.0, slope0, math.inf, math.inf
        alpha, accepted, at_lo = 1.0, None, None
        for _trial in range(40):
            trial = obj.newton_point(theta + alpha * d)
            # φ'(α) ≤ 0, up to the rounding of a gradient at the line's minimum (the full Newton
            # step of a quadratic lands there: φ'(1) is 0 plus noise of either sign)
            s = float(trial.grad @ d)
            s = min(s, 0.0) if abs(s) <= 1e-9 * abs(slope0) else s
            if math.isfinite(s) and s <= 0 and (hi == math.inf or s >= 0.5 * slope0):
                accepted = trial
                break
            if alpha == 1.0 and math.isfinite(s) and trial.v <= v + 1e-4 * slope0:
                accepted = trial
                break
            if math.isfinite(s) and s <= 0:
                lo, s_lo, at_lo = alpha, s, trial
            else:
                hi, s_hi = alpha, s
            if hi == math.inf:  # still descending at the full step: it was accepted above
                break
            width = hi - lo
            secant = lo - s_lo * width / (s_hi - s_lo) if math.isfinite(s_hi) else lo + 0.5 * width
            alpha = min(max(secant, lo + 0.1 * width), hi - 0.1 * width)
        if accepted is None:
            if at_lo is None:
                return theta, v, False  # no descent found: let the caller's L-BFGS take over
            accepted = at_lo
        step = accepted.theta - theta
        tiny = np.max(np.abs(step)) <= 1e-15 * (1.0 + np.max(np.abs(accepted.theta)))
        if not accepted.v < v and not tiny and obj.offset is not None:
            # the value up to a function of y, rounded in its own (larger) terms, may not resolve
            # the decrease: the loss's own value decides, here and from now on
            obj.offset = None
            v = obj.exact_value(point)
            accepted = accepted._replace(v=obj.exact_value(accepted))
        record(SimpleNamespace(x=accepted.theta, fun=accepted.v / norm, u=accepted.u))
        if not accepted.v < v or tiny:
            return accepted.theta, accepted.v, True  # no further decrease in float64: as close as it gets
        point = accepted
    return point.theta, point.v, False


def solve(
    model: Any,
    loss: Loss,
    X: Any,
    y: Any,
    *,
    sample_weight: Any = None,
    validation: tuple[Any, Any, Any] | None = None,
    tol: float = DEFAULT_TOL,
    max_iter: int = 200,
    metrics: Mapping[str, Callable[[Any, Any, Any], float]] | None = None,
    callback: Callable[[dict[str, Any]], None] | None = None,
    l2: float = 0.0,
) -> TrainResult:
    r"""Fit the `LinearModel` ``model`` in place to the minimum of ``loss`` on all of ``(X, y)``.

    Parameters
    ----------
    model : LinearModel
        Its current weights are the starting point (zero weights, bias at the loss's baseline).
    loss : Loss
    X, y : array-like
        Features (n, d), already numeric; targets as the loss takes them.
    sample_weight : array-like, optional
        Row weights; the objective is Σwℓ/Σw.
    validation : (X_val, y_val, w_val), optional
        Rows scored after each iteration (``val_loss`` and ``metrics`` in the history); they
        never steer the fit.
    tol : float
        Stop when every entry of ∇(L/|L₀|) is below ``tol`` in absolute value (Newton: or when
        the Newton decrement, relative to |L₀|, is, after one last full step).
    max_iter : int
        At most this many iterations (Newton and L-BFGS together).
    metrics : mapping of name → callable(y_val, raw_val, w_val) → float, optional
        Evaluated on the validation rows (torch tensors, as in `losslab.train.fit`).
    callback : callable(record), optional
        Called with each iteration's history record.
    l2 : float
        Ridge penalty: ½·l2·‖W‖² is added to the mean loss (the bias is not penalised); 0 for the
        unpenalised fit. See `separated` for when the unpenalised optimum does not exist.

    Returns
    -------
    TrainResult
        One history record per iteration (``epoch`` counts iterations, ``lr`` is None: a line
        search picks the step); ``stopped_early`` is False; ``converged`` tells whether
        a stopping rule other than ``max_iter`` ended the run.

    Raises
    ------
    DivergenceError
        The loss is not finite at the start or at the end.

    Examples
    --------
    >>> import numpy as np, losslab
    >>> from losslab.train import LinearModel
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([1.0, 3.0, 5.0, 7.0])
    >>> m = LinearModel(1, init_bias=float(y.mean()))
    >>> r = solve(m, losslab.get("mse"), X, y)
    >>> W, b = m.linear.weight.detach(), m.linear.bias.detach()
    >>> round(float(W), 8), round(float(b), 8), r.converged
    (2.0, 1.0, True)
    """
    import torch

    if not (isinstance(tol, (int, float)) and tol > 0):
        raise ParameterError(f"tol must be a positive number; got {tol!r}.")
    if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ParameterError(f"max_iter must be a positive integer; got {max_iter!r}.")
    refuse_recipe(loss, "the solver")
    Z = np.ascontiguousarray(_host(X))
    yt = _host_target(loss, y)
    w = np.ones(Z.shape[0]) if sample_weight is None else _host(sample_weight)
    if not (isinstance(l2, (int, float)) and l2 >= 0 and math.isfinite(l2)):
        raise ParameterError(f"l2 must be a finite number ≥ 0; got {l2!r}.")
    obj = _Objective(model, loss, Z, yt, w, l2)
    theta0 = np.concatenate(
        [model.linear.weight.detach().cpu().numpy().reshape(-1), model.linear.bias.detach().cpu().numpy()]
    ).astype(np.float64)
    obj.b0 = obj.unpack(theta0)[1].copy()
    newton = _newton_applies(model, loss)
    if newton:
        obj.value_up_to_y()  # Newton's passes: the cheaper value where the engine has one
    start = obj.newton_point(theta0) if newton else None  # its value is L₀: no separate pass
    if start is not None and obj.offset is not None and not obj.resolves(start.v):
        obj.offset = None  # the cheaper value is too coarse here (or overflowed): the loss's own
        start = obj.newton_point(theta0)
    v0 = obj.value(theta0) if start is None else start.v
    if not math.isfinite(v0):
        raise DivergenceError(f"the loss {loss.name!r} is not finite at the starting weights ({v0}).", 0)
    norm = abs(v0) if v0 != 0 else 1.0  # a scale-free objective: tol means the same for every y

    def scaled(theta: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = obj(theta)
        return v / norm, g / norm

    val = None
    if validation is not None:
        Xv, yv, wv = validation
        Zv = np.ascontiguousarray(_host(Xv))
        val = (Zv, _host_target(loss, yv), np.ones(Zv.shape[0]) if wv is None else _host(wv))
    result = TrainResult()

    watch = not l2 and _may_separate(loss)

    def record(intermediate_result: Any) -> None:
        theta = intermediate_result.x
        rec: dict[str, Any] = {
            "epoch": result.n_epochs + 1,
            "train_loss": float(intermediate_result.fun) * norm,
            "val_loss": None,
            "lr": None,
        }
        if val is not None:
            rec["val_loss"] = obj.value(theta, val[0], val[1], val[2])
            if metrics:
                raw_v = torch.as_tensor(obj.raw(theta, val[0])[0])
                yv_t, wv_t = torch.as_tensor(val[1]), torch.as_tensor(val[2])
                for name, metric in metrics.items():
                    rec[name] = float(metric(yv_t, raw_v, wv_t))
        result.history.append(rec)
        result.n_epochs += 1
        if callback is not None:
            callback(rec)
        if watch and obj.max_abs_score(theta, getattr(intermediate_result, "u", None)) > SEPARATION_SCORE:
            raise _Separating(theta)  # the optimum is at infinity: no point in following it there

    try:
        if start is not None:
            theta, v, done = _newton(obj, start, norm, float(tol), int(max_iter), record)
            if done or result.n_epochs >= int(max_iter):
                return _finish(model, loss, obj, theta, result, done, v)
            theta0 = theta  # Newton found no descent (a kink of a piecewise Hessian): L-BFGS from here
        return _lbfgs(scaled, theta0, model, loss, obj, result, record, float(tol), int(max_iter))
    except _Separating as stop:
        return _finish(model, loss, obj, stop.theta, result, False)


class _Separating(Exception):
    """Raised from an iteration's record when a score passes `SEPARATION_SCORE`."""

    def __init__(self, theta: np.ndarray) -> None:
        super().__init__()
        self.theta = theta


def _may_separate(loss: Loss) -> bool:
    """Whether the loss's optimum over a linear score can lie at infinity (a logit, softmax or log link)."""
    from .._core.info import LinkKind

    return getattr(getattr(loss, "link", None), "kind", None) in (
        LinkKind.LOGIT,
        LinkKind.SOFTMAX,
        LinkKind.LOG,
    )


def _lbfgs(
    scaled: Callable[[np.ndarray], tuple[float, np.ndarray]],
    theta0: np.ndarray,
    model: Any,
    loss: Loss,
    obj: _Objective,
    result: TrainResult,
    record: Callable[[Any], None],
    tol: float,
    max_iter: int,
) -> TrainResult:
    """SciPy's L-BFGS-B from ``theta0`` (the rest of `solve`)."""
    import scipy.optimize

    options = {"maxiter": max_iter - result.n_epochs, "gtol": tol, "ftol": 0.0, "maxcor": 20}
    opt = scipy.optimize.minimize(
        scaled, theta0, jac=True, method="L-BFGS-B", callback=record, options=options
    )
    if opt.nit == 0 and not opt.success:
        # The start is the best constant; for a piecewise-linear loss that puts many rows on a kink
        # at once (hinge: every row of the majority class at margin 1), where the gradient is one
        # subgradient and −∇L need not descend. Start again just off the kink.
        nudge = 1e-6 * np.random.default_rng(0).standard_normal(theta0.shape)
        opt = scipy.optimize.minimize(
            scaled, theta0 + nudge, jac=True, method="L-BFGS-B", callback=record, options=options
        )
    theta = opt.x if math.isfinite(float(opt.fun)) else theta0
    return _finish(model, loss, obj, theta, result, result.n_epochs < max_iter)


def _finish(
    model: Any,
    loss: Loss,
    obj: _Objective,
    theta: np.ndarray,
    result: TrainResult,
    done: bool,
    final: float | None = None,
) -> TrainResult:
    """Write θ into the model; the result's iteration counts and convergence flag."""
    import torch

    final = obj.value(theta) if final is None else final
    if not math.isfinite(final):
        raise DivergenceError(f"the loss {loss.name!r} became {final} while solving.", result.n_epochs)
    W, b = obj.unpack(theta)
    with torch.no_grad():
        model.linear.weight.copy_(torch.as_tensor(W))
        model.linear.bias.copy_(torch.as_tensor(b))
    model.eval()
    result.best_epoch = result.n_epochs
    result.converged = bool(done)
    result.max_abs_score = obj.max_abs_score(theta)
    return result


#: how far a linear score (a logit, a log mean) may move from the best constant before the fit is
#: taken to run off towards an optimum at infinity: e^30 ≈ 1e13, odds or means 1e13 times the
#: constant's (a finite maximum-likelihood fit does not put a row there; one that separates the
#: classes, or the zeros of a count, keeps growing towards it)
SEPARATION_SCORE = 30.0


def separated(loss: Loss, result: TrainResult) -> bool:
    """Whether an unpenalised fit ran off towards an optimum at infinity (the classes, or the zeros
    of a count, separable by a linear score): the loss's link is a logit, softmax or log and some
    training row's score moved more than `SEPARATION_SCORE` from the starting constant. The
    maximum-likelihood fit then does not exist (Albert & Anderson 1984): its weights grow without
    bound and held-out log loss explodes."""
    return _may_separate(loss) and float(getattr(result, "max_abs_score", 0.0)) > SEPARATION_SCORE


def _host(a: Any) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def _host_target(loss: Loss, y: Any) -> Any:
    if isinstance(y, Structured) or loss.target_type is not None:
        return y  # the loss coerces and converts it (to y_pred's library) itself
    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if loss.multiclass and y.ndim == 1:
        return y.astype(np.int64)
    return y.astype(np.float64, copy=False)  # read only
