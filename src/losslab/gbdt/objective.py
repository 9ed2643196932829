"""What the XGBoost and LightGBM bridges share: Hessian policies and the gradient kernel.

Gradient boosting fits each tree to per-sample pairs (gᵢ, hᵢ) of the loss's first and second
derivative in the raw score and sets every leaf to the Newton step −Σg/(Σh + λ). Losses whose
Hessian is zero (mae, quantile, hinge), zero on part of the domain (huber) or negative
somewhere (msle) need a *policy* for h:

``"exact"``
    The loss's own Hessian.
``"floor"`` / ``"floor:EPS"``
    max(h, EPS) per unit of sample weight (EPS = 1e-6 by default, XGBoost's floor for
    ``reg:squaredlogerror``); for Hessians that are exact but may be tiny or negative.
``"constant"`` / ``"constant:C"``
    h = C, the same for every sample (the gradient is unchanged). C defaults to the loss's
    Hessian at a perfect prediction when positive (1 for huber, as LightGBM's ``huber``),
    else 1 (LightGBM's ``l1``/``quantile``). With it the Newton leaf is −mean(g)/C — a
    bounded step; pair it with the leaf refit for median and quantile losses.
``"smooth"`` / ``"smooth:S"``
    For losses that are piecewise linear with one kink at the perfect prediction (mae,
    quantile): the gradient of the pseudo-Huber surrogate of the same loss, in r = f − y with
    slopes a (r < 0) and b (r > 0),

    .. math::

        \\tilde\\ell(r) = \\tfrac{a+b}{2} r + \\tfrac{b-a}{2}\\left(\\sqrt{r^2+S^2} - S\\right),\\qquad
        \\tilde g = \\tfrac{a+b}{2} + \\tfrac{b-a}{2}\\,\\frac{r}{\\sqrt{r^2+S^2}},\\qquad
        \\tilde h = \\frac{b-a}{2\\sqrt{r^2+S^2}},

    where h̃ is the surrogate's majorising curvature (≥ its second derivative S²(b−a)/(2(r²+S²)^{3/2})),
    so the Newton leaf is the iteratively-reweighted (MM) step of Hunter & Lange (2000), the
    same device as XGBoost's ``reg:absoluteerror`` since 3.4. It never vanishes. S defaults to
    1 % of the weighted mean absolute deviation of y from its weighted median (computed once from
    the training labels); ℓ̃ → ℓ as S → 0.

``"majorizer"``
    h = g/(f − y), the curvature of the quadratic that touches the loss at f and majorises it
    (for losses of f − y alone minimised at f = y, e.g. huber: min(1, δ/|f − y|)). The Newton
    leaf is then the iteratively-reweighted least-squares step towards the loss's M-estimate;
    it never vanishes and equals the exact Hessian where the loss is quadratic.

The default comes from the loss's metadata (``loss.info.hessian``) and probes of its own
gradient, never its name:

======================  =====================================================================
Hessian kind            default policy
======================  =====================================================================
exact                   ``exact``
zero_almost_everywhere  ``smooth`` if the gradient is constant on each side of one kink at
                        f = y (mae, quantile), else ``constant``. For losses of f − y that
                        estimate a median or quantile the bridges' ``train`` refits the leaves
                        every round, and then uses ``constant`` (the built-ins' algorithm)
piecewise               ``majorizer`` for losses of f − y minimised at f = y (huber), else
                        ``constant`` (a floor would leave Newton steps g/EPS in the flat part)
indefinite              ``floor``
======================  =====================================================================

The choice is logged at INFO level on the ``losslab.gbdt`` logger.

Nothing here imports xgboost or lightgbm.
"""

from __future__ import annotations

import logging
import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.errors import LosslabError, ParameterError
from .._core.info import HessianKind, LinkKind, Task, link_kind
from .._core.loss import Loss
from .._core.registry import get as get_loss
from .._core.statistic import Statistic
from .fast import fast_kernel

__all__ = ["GradHess", "HessianPolicy", "as_loss", "check_raw_scores", "default_policy", "resolve_policy"]

log = logging.getLogger("losslab.gbdt")

POLICIES = ("exact", "floor", "constant", "smooth", "majorizer")
DEFAULT_FLOOR = 1e-6
REFIT_STATISTICS = (Statistic.MEDIAN, Statistic.QUANTILE)


@dataclass(frozen=True)
class HessianPolicy:
    """A resolved Hessian policy: its kind, its number (EPS, C or S; None = default) and why.

    ``refit`` says whether the leaf refit is recommended for this loss (it estimates a median or
    quantile and its Hessian carries no information).
    """

    kind: str
    value: float | None
    reason: str
    refit: bool = False

    @property
    def spec(self) -> str:
        """The policy as a string ``hessian=`` accepts (``"floor:1e-06"``)."""
        return self.kind if self.value is None else f"{self.kind}:{self.value:g}"


def as_loss(loss: Any, **params: Any) -> Loss:
    """A `Loss` from a name, dict or instance (``params`` apply to names and dicts)."""
    if isinstance(loss, Loss) and not params:
        return loss
    return get_loss(loss, **params)


def refit_recommended(loss: Loss) -> bool:
    """The loss estimates a median or quantile of y − f alone, so a leaf's optimum is a weighted
    quantile of the residuals (and its Hessian carries no information)."""
    return (
        loss.info.statistic.statistic in REFIT_STATISTICS
        and loss.info.hessian == HessianKind.ZERO_ALMOST_EVERYWHERE
        and translation_invariant(loss)
    )


def translation_invariant(loss: Loss) -> bool:
    """ℓ(y, f) depends on f − y only (probed on a grid): a regression loss on an identity link
    whose leaf optimum is the loss's baseline of the residuals."""
    if loss.multiclass or link_kind(loss) != LinkKind.IDENTITY or loss.info.task != Task.REGRESSION:
        return False
    r = np.array([-7.0, -1.0, -0.25, 0.0, 0.5, 2.0, 30.0])
    try:
        ref = np.asarray(loss(np.zeros_like(r) + 0.5, r + 0.5, reduction="none"), dtype=float)
        for c in (3.0, -11.0, 250.0):
            v = np.asarray(loss(np.full_like(r, c), r + c, reduction="none"), dtype=float)
            if not np.allclose(v, ref, rtol=1e-9, atol=1e-12):
                return False
    except LosslabError:
        return False
    return True


def _smooth_applies(loss: Loss) -> bool:
    try:
        _kink_slopes(loss)
    except LosslabError:
        return False
    return True


def _majorizer_applies(loss: Loss) -> bool:
    return loss.info.zero_at_perfect and translation_invariant(loss)


def default_policy(loss: Loss, refitting: bool = False) -> HessianPolicy:
    """The default policy for ``loss``, from ``loss.info.hessian`` (and probes of its gradient).

    ``refitting``: the caller refits the leaves after every round (the bridges' ``train``), so
    the Hessian only shapes the splits; a constant one then reproduces the built-in median and
    quantile objectives.
    """
    kind = loss.info.hessian
    refit = refit_recommended(loss)
    if kind == HessianKind.EXACT:
        return HessianPolicy("exact", None, "its Hessian is exact and positive")
    if kind == HessianKind.ZERO_ALMOST_EVERYWHERE:
        why = "its Hessian is zero almost everywhere"
        if refit and refitting:
            why += (
                f"; it estimates the {loss.statistic}: every round's leaves are refitted to it, as the "
                "built-in objectives do"
            )
            return HessianPolicy("constant", None, why, refit)
        if _smooth_applies(loss):
            policy, why = "smooth", why + " and it has one kink at the perfect prediction"
        else:
            policy = "constant"
        if refit:
            why += f"; it estimates the {loss.statistic}, so its leaves should be refitted"
        return HessianPolicy(policy, None, why, refit)
    if kind == HessianKind.PIECEWISE:
        why = "its Hessian is zero on part of the domain (a floor would give huge Newton steps)"
        if _majorizer_applies(loss):
            return HessianPolicy("majorizer", None, why + "; g/(f − y) majorises the loss")
        return HessianPolicy("constant", None, why)
    return HessianPolicy("floor", None, "its Hessian can be negative")


def parse_policy(spec: str, loss: Loss) -> tuple[str, float | None]:
    """Split ``"kind[:number]"`` and check both parts."""
    if not isinstance(spec, str):
        raise ParameterError(
            f"hessian policy for loss {loss.name!r} must be a string such as 'exact', 'floor:1e-6', "
            f"'constant' or 'smooth:0.1'; got {spec!r}."
        )
    kind, _, num = spec.partition(":")
    kind = kind.strip().lower()
    if kind not in POLICIES:
        raise ParameterError(
            f"hessian policy for loss {loss.name!r} must be one of {', '.join(map(repr, POLICIES))} "
            f"(optionally 'floor:EPS', 'constant:C', 'smooth:S'); got {spec!r}."
        )
    if not num:
        return kind, None
    if kind == "exact":
        raise ParameterError(f"hessian policy 'exact' takes no number; got {spec!r}.")
    try:
        value = float(num)
    except ValueError:
        raise ParameterError(
            f"hessian policy {spec!r} for loss {loss.name!r}: {num!r} is not a number."
        ) from None
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(
            f"hessian policy {spec!r} for loss {loss.name!r}: the number must be finite and > 0."
        )
    return kind, value


def resolve_policy(loss: Loss, hessian: str | None, refitting: bool = False) -> HessianPolicy:
    """The policy to use (``hessian=None`` → the default), logged once at INFO level."""
    if hessian is None:
        policy = default_policy(loss, refitting)
        source = "default for"
    else:
        kind, value = parse_policy(hessian, loss)
        policy = HessianPolicy(kind, value, "chosen by the caller", refit_recommended(loss))
        source = "requested for"
    if policy.kind == "smooth":
        _kink_slopes(loss)  # raises if the loss has no single kink at the perfect prediction
    if policy.kind == "majorizer" and not _majorizer_applies(loss):
        raise ParameterError(
            f"hessian policy 'majorizer' needs a regression loss of f − y alone (identity link) that "
            f"is minimised at the perfect prediction; loss {loss.name!r} is not one. Use 'constant' "
            "or 'floor'."
        )
    log.info(
        "losslab.gbdt: Hessian policy %r %s loss %r (Hessian kind %s): %s",
        policy.spec,
        source,
        loss.name,
        loss.info.hessian,
        policy.reason,
    )
    return policy


_PROBE = np.array([1e-3, 0.5, 1.0, 7.0, 1e3])


def _kink_slopes(loss: Loss) -> tuple[float, float]:
    """Slopes (a, b) of a loss that is linear in r = f − y on each side of r = 0, else raise."""
    if loss.multiclass or link_kind(loss) != LinkKind.IDENTITY or loss.info.task != Task.REGRESSION:
        raise ParameterError(
            f"hessian policy 'smooth' needs a regression loss on an identity link that is piecewise "
            f"linear with its kink at the perfect prediction (mae, quantile); loss {loss.name!r} is "
            "not. Use 'constant' or 'floor'."
        )
    tiny = np.array([5e-324, 1e-300, 1e-9])  # a dead zone |r| ≤ ε (epsilon_insensitive) is no kink
    for y0, d in ((0.0, np.concatenate([tiny, _PROBE])), (3.0, _PROBE), (-250.0, _PROBE)):
        y = np.full(2 * d.size, y0)
        f = np.concatenate([y0 - d, y0 + d])
        try:
            g = np.asarray(loss.gradient(y, f), dtype=float)
        except LosslabError as exc:
            raise ParameterError(
                f"hessian policy 'smooth' cannot probe loss {loss.name!r}: {exc} Use 'constant' or 'floor'."
            ) from None
        left, right = g[: d.size], g[d.size :]
        if not (np.all(left == left[0]) and np.all(right == right[0]) and right[0] > left[0]):
            raise ParameterError(
                f"hessian policy 'smooth' needs a loss whose gradient is constant on each side of the "
                f"perfect prediction (mae, quantile); loss {loss.name!r} has gradient "
                f"{np.round(g, 4).tolist()} at residuals ±{d.tolist()}. Use 'constant' or 'floor'."
            )
    return float(left[0]), float(right[0])


def weighted_median(y: np.ndarray, w: np.ndarray | None) -> float:
    from .._core.baseline import weighted_quantile

    return weighted_quantile(y, w, 0.5)


class GradHess:
    """Per-sample ``(grad, hess)`` of a loss in the raw score under a Hessian policy.

    Parameters
    ----------
    loss : Loss
    policy : HessianPolicy
    scale : float
        Multiplies gradient and Hessian (0.5 turns ``mse`` into XGBoost's and LightGBM's
        half-squared error).
    hessian_scale : float
        Multiplies the Hessian only (2 reproduces XGBoost's ``multi:softprob``).
    per_class : bool
        Also multiply the Hessian of k-class scores by k/(k − 1) (LightGBM's ``multiclass``);
        k is read from the scores at each call.

    Calling it with ``(y, f, w)`` — labels, raw scores (n,) or (n, k), weights or None — returns
    float32 arrays shaped like ``f``. Weights multiply both arrays exactly once, after the
    policy. Inputs are not re-validated (the hot path): the bridges call `validate` once per
    dataset.
    """

    def __init__(
        self,
        loss: Loss,
        policy: HessianPolicy,
        scale: float = 1.0,
        hessian_scale: float = 1.0,
        per_class: bool = False,
    ):
        for name, v in (("scale", scale), ("hessian_scale", hessian_scale)):
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ParameterError(f"{name} for loss {loss.name!r} must be a finite number > 0; got {v!r}.")
        self.loss = loss
        self.policy = policy
        self.scale = float(scale)
        self.hessian_scale = float(hessian_scale)
        self.per_class = bool(per_class)
        self._const: float | None = None
        self._slopes: tuple[float, float] | None = None
        self._smooth_scale: float | None = policy.value if policy.kind == "smooth" else None
        if policy.kind == "smooth":
            self._slopes = _kink_slopes(loss)
        if policy.kind == "constant":
            self._const = policy.value if policy.value is not None else _perfect_hessian(loss)
        self._fast = fast_kernel(loss, policy.kind, self._const, _slopes_or_none(loss, policy.kind))

    def validate(self, y: np.ndarray, f: np.ndarray, w: np.ndarray | None) -> None:
        """Check labels, weights and scores once per dataset with the loss's own checks."""
        self.loss(y, np.asarray(f, dtype=np.float64), sample_weight=w, check=True)

    def __call__(self, y: np.ndarray, f: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        loss = self.loss
        kind = self.policy.kind
        # compute in the scores' precision: XGBoost hands float32 margins (and stores labels and
        # weights in float32), LightGBM float64 scores
        f = np.asarray(f)
        if f.dtype not in (np.float32, np.float64):
            f = f.astype(np.float64)
        fast = self._fast
        hs = self.scale * self.hessian_scale
        if self.per_class and f.ndim == 2 and f.shape[1] > 1:
            hs *= f.shape[1] / (f.shape[1] - 1)
        if loss.coupled:  # rows interact: the kernels weight (∂Σwℓ/∂f), so weights go in, once
            return self._coupled(y, f, w, hs)
        if fast is not None and f.ndim == 1 and f.shape == np.shape(y):
            out = fast(y, w, self.scale, hs, f)
            if out is not None:
                return out
        if kind == "smooth":
            g, h = self._smooth(y, f, w)
        else:
            p = loss._prepared(y, f, None, check=False)
            with np.errstate(all="ignore"):
                if kind == "constant":
                    g = loss._gradient(p.xp, p.t, p.f)
                    h = None
                else:
                    g, h = loss._gradient_hessian(p.xp, p.t, p.f)
                    if kind == "majorizer":
                        r = p.f - p.t
                        nz = r != 0
                        h = np.where(nz, g / np.where(nz, r, 1.0), h)
                    elif kind == "floor":
                        eps = self.policy.value if self.policy.value is not None else DEFAULT_FLOOR
                        h = np.maximum(h, eps)
        g = np.asarray(g)
        ww = None
        if w is not None:
            ww = np.asarray(w).astype(g.dtype, copy=False)
            if g.ndim == 2:
                ww = ww[:, None]
        if self.scale != 1.0:
            g = g * self.scale
        if ww is not None:
            g = g * ww
        if h is None:
            c = self._const * hs  # type: ignore[operator]
            if ww is None:
                return g.astype(np.float32, copy=False), np.full(g.shape, c, dtype=np.float32)
            return g.astype(np.float32, copy=False), np.broadcast_to(ww * c, g.shape).astype(np.float32)
        h = np.asarray(h)
        if hs != 1.0:
            h = h * hs
        if ww is not None:
            h = h * ww
        return g.astype(np.float32, copy=False), h.astype(np.float32, copy=False)

    def _coupled(
        self, y: Any, f: np.ndarray, w: np.ndarray | None, hs: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(grad, hess) of a coupled loss (Cox, ranking): of the weighted total, so the weights
        enter the kernels; the exact and floor policies only (no per-row surrogate applies)."""
        loss, kind = self.loss, self.policy.kind
        if kind not in ("exact", "floor"):
            raise ParameterError(
                f"loss {loss.name!r} couples rows (its gradient is that of the weighted total); the "
                f"Hessian policy {self.policy.spec!r} is per row. Use 'exact' or 'floor'."
            )
        p = loss._prepared(y, f, w, check=False)
        with np.errstate(all="ignore"):
            g, h = loss._gradient_hessian(p.xp, p.t, p.f)
        if kind == "floor":
            eps = self.policy.value if self.policy.value is not None else DEFAULT_FLOOR
            h = np.maximum(h, eps)
        g, h = np.asarray(g) * self.scale, np.asarray(h) * hs
        return g.astype(np.float32, copy=False), h.astype(np.float32, copy=False)

    def _smooth(self, y: np.ndarray, f: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        a, b = self._slopes  # type: ignore[misc]
        if self._smooth_scale is None:
            from .dask import check_smooth_scale

            check_smooth_scale(self.loss)  # on a cluster, S from this worker's labels would differ
            med = weighted_median(y, w)
            dev = np.abs(y - med)
            mad = float(np.average(dev, weights=w))
            self._smooth_scale = 0.01 * mad if mad > 0 else 1e-3
            log.info(
                "losslab.gbdt: smooth surrogate of loss %r uses scale S = %.6g (1%% of the weighted "
                "mean absolute deviation of y)",
                self.loss.name,
                self._smooth_scale,
            )
        s = self._smooth_scale
        r = f - np.asarray(y, dtype=np.float64)
        root = np.hypot(r, s)
        half = 0.5 * (b - a)
        return 0.5 * (a + b) + half * (r / root), half / root


def _slopes_or_none(loss: Loss, kind: str) -> tuple[float, float] | None:
    """The two slopes of a piecewise-linear loss under a constant Hessian (the fast kernel's case)."""
    if kind != "constant" or loss.info.hessian != HessianKind.ZERO_ALMOST_EVERYWHERE:
        return None
    try:
        return _kink_slopes(loss)
    except ParameterError:
        return None


def _perfect_hessian(loss: Loss) -> float:
    """The loss's Hessian at a perfect prediction if positive (1 for huber), else 1."""
    if loss.info.task == Task.REGRESSION and loss.info.zero_at_perfect and not loss.multiclass:
        y = np.asarray(loss.example(5, seed=0)[0], dtype=float)  # targets in the loss's domain
        h = np.asarray(loss.hessian(y, y.copy()), dtype=float)
        if np.all(h == h[0]) and h[0] > 0 and math.isfinite(h[0]):
            return float(h[0])
    return 1.0


class BridgeObjective:
    """What both libraries' objectives share: the loss, its `GradHess`, the dataset's labels read
    once, validation once per label array, pickling without the caches. Subclasses define
    ``__call__`` in their library's calling convention and ``library`` for the repr."""

    library = ""

    def __init__(self, loss: Loss, gh: GradHess) -> None:
        self.loss = loss
        self.grad_hess = gh
        self._cache = LabelCache()
        self._validated: Any = None

    def _grad_hess(self, y: np.ndarray, f: np.ndarray, w: np.ndarray | None, key: Any) -> Any:
        """(grad, hess), validating the inputs with the loss's checks the first time ``key`` is seen."""
        if self._validated != key:
            self.grad_hess.validate(y, f, w)
            self._validated = key
        return self.grad_hess(y, f, w)

    def __getstate__(self) -> dict[str, Any]:
        return {"loss": self.loss, "grad_hess": self.grad_hess}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["loss"], state["grad_hess"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"losslab.{self.library}.objective({self.loss!r}, hessian={self.grad_hess.policy.spec!r})"


def objective_parts(
    loss: Any,
    hessian: str | None,
    scale: float | None,
    hessian_scale: float | None,
    refitting: bool,
    params: dict[str, Any],
    *,
    library: str,
    conventions: str = "library",
    booster_params: dict[str, Any] | None = None,
) -> tuple[Loss, GradHess]:
    """The loss (checked to take raw scores) and its `GradHess` under the resolved policy and
    the library's scaling (`losslab.gbdt.conventions`)."""
    from .conventions import convention

    loss = as_loss(loss, **params)
    check_raw_scores(loss)
    conv = convention(loss, library, conventions, scale, hessian_scale, booster_params)
    if conv.source and conv.source != "no built-in objective":
        log.info("losslab.gbdt: loss %r scaled as %s (conventions='library')", loss.name, conv.source)
    policy = resolve_policy(loss, hessian, refitting)
    return loss, GradHess(loss, policy, conv.scale, conv.hessian_scale, conv.per_class)


class LabelCache:
    """Labels and weights of one dataset object, read once (float64) and reused every round.

    The entry is one tuple, read and replaced whole, so an objective called from two threads on
    two datasets never pairs one's labels with the other.
    """

    def __init__(self) -> None:
        self._entry: tuple[Any, np.ndarray, np.ndarray | None] | None = None

    def get(self, dataset: Any, read: Any) -> tuple[np.ndarray, np.ndarray | None]:
        entry = self._entry
        if entry is not None and entry[0]() is dataset:
            return entry[1], entry[2]
        y, w = read(dataset)
        try:
            self._entry = (weakref.ref(dataset), y, w)
        except TypeError:  # not weak-referenceable: read every time
            self._entry = None
        return y, w


def usage_section(loss: Loss) -> str:
    """Markdown for ``losslab show`` and the loss pages: how to use ``loss`` in XGBoost and
    LightGBM (pass it to ``describe(loss, sections=(usage_section,))``)."""
    if loss.params.get("from_logits", True) is False:
        return (
            "## In XGBoost and LightGBM\n\n"
            "Boosters output unbounded raw scores: use this loss with from_logits=True.\n"
        )
    if loss.info.task == Task.EMBEDDING:
        return (
            "## In XGBoost and LightGBM\n\n"
            "Not a boosting objective: a metric-learning loss scores embeddings (or a pair's scores, "
            "or distances), which a booster does not output.\n"
        )
    if loss.info.task == Task.SEGMENTATION:
        return (
            "## In XGBoost and LightGBM\n\n"
            "Not a boosting objective: a row is an image whose value depends on all its pixels, "
            "and a booster's rows are separate samples.\n"
        )
    try:
        policy = default_policy(loss)
    except LosslabError:  # pragma: no cover - metadata probes of a custom loss failed
        return ""
    spec = dict(loss.to_dict())
    name = spec.pop("name")
    args = "".join(f", {k}={v!r}" for k, v in spec.items() if v != _param_default(loss, k))
    lines = [
        "## In XGBoost and LightGBM",
        "",
        f"Default Hessian policy: `{policy.spec}` — {policy.reason}. Override with "
        "`hessian='exact' | 'floor:EPS' | 'constant:C' | 'smooth:S' | 'majorizer'`."
        + (
            " `lx.train`/`ll.train` use `constant` and refit the leaves every round (the built-in "
            "median/quantile algorithm)."
            if policy.refit
            else ""
        ),
        "",
        "```python",
        "import losslab, losslab.xgboost as lx, losslab.lightgbm as ll",
        f'loss = losslab.get("{name}"{args})',
        "booster = lx.train(loss, params, dtrain, 100)     # xgboost.train + init score",
        "booster = ll.train(loss, params, train_set, 100)  # lightgbm.train + init score",
    ]
    kind = "Classifier" if loss.info.task in (Task.BINARY, Task.MULTICLASS) else "Regressor"
    if loss.info.task == Task.RANKING:  # datasets with group=sizes; XGBRanker takes no callable
        lines += [
            "model = lightgbm.LGBMRanker(objective=ll.objective(loss)).fit(X, y, group=sizes)",
            "# xgboost.XGBRanker refuses a custom objective: lx.train with DMatrix(..., group=sizes)",
        ]
    else:
        lines += [
            f"model = lx.XGB{kind}(loss).fit(X, y)   # scikit-learn API: objective + init score",
            f"model = ll.LGBM{kind}(loss).fit(X, y)"
            + ("  # predict_proba: probabilities" if kind == "Classifier" else ""),
            f"model = xgboost.XGB{kind}(objective=lx.objective(loss))  # the objective alone: no init score",
        ]
    lines.append("```")
    if loss.multiclass:
        lines += ["", "Multiclass: margins and gradients are (n, k); `train` sets num_class."]
    lines += _builtin_lines(loss)
    return "\n".join(lines) + "\n"


def _builtin_lines(loss: Loss) -> list[str]:
    """The built-in objectives the defaults reproduce (`losslab.gbdt.conventions`)."""
    from .conventions import builtin

    found = [(title, builtin(loss, lib)) for lib, title in (("xgboost", "XGBoost"), ("lightgbm", "LightGBM"))]
    names = [f"{title}'s `{b[0].objective}`" for title, b in found if b is not None]
    if not names:
        return []
    return [
        "",
        f"With default arguments the objective scales gradient and Hessian as {' and '.join(names)} "
        "do, so `train` reproduces the built-in's model; `conventions='losslab'` hands over the "
        "exact derivatives.",
    ]


def _param_default(loss: Loss, key: str) -> Any:
    for p in type(loss).PARAMS:
        if p.name == key:
            return p.default
    return None


def check_raw_scores(loss: Loss) -> None:
    """Refuse losses on probabilities: a booster's raw scores are unbounded."""
    if loss.params.get("from_logits", True) is False:
        raise ParameterError(
            f"loss {loss.name!r} with from_logits=False takes probabilities, but a booster's raw "
            "scores are unbounded; use from_logits=True (the default) in gradient boosting."
        )
