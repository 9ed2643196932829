"""Custom losses from their value alone, and a finite-difference checker for any loss.

`custom` turns a per-sample function written with PyTorch or JAX operations into a full
`losslab.Loss`: gradient and Hessian diagonal by automatic differentiation, metadata,
registration (``losslab.get(name)``, ``--loss package.module:attr`` in the CLI), pickling when
the function is importable, and every bridge (torch module, JAX functions, GBDT objectives).

`check` compares any loss's ``gradient`` with finite differences of its value and its
``hessian`` with finite differences of its gradient, and reports the worst points.

>>> import torch, losslab
>>> def cauchy(y_true, y_pred, c=1.0):
...     return torch.log1p(((y_pred - y_true) / c) ** 2)
>>> loss = losslab.custom(cauchy, name="doc_cauchy", params={"c": 2.0}, robust=True, register=False)
>>> loss.gradient([0.0], [2.0]).round(6).tolist()    # 2r/(c² + r²) = 4/8
[0.5]
>>> losslab.check(loss).passed
True
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from ._core import registry as _registry
from ._core.callable_module import make_callable
from ._core.domains import Domain
from ._core.errors import DTypeError, LosslabError, ParameterError, ShapeError
from ._core.info import LossInfo, ParamRole, Task
from ._core.loss import Loss
from ._core.params import Param
from ._core.statistic import Estimand, Statistic
from ._core.targets import is_structured
from ._core.xp import is_tracing, to_numpy

__all__ = ["CheckReport", "CustomLoss", "DerivativeCheck", "check", "custom"]

BACKENDS = ("torch", "jax")
_PLAIN_TASKS = ("regression", "binary", "multiclass", "distribution")
MULTI_TASKS = ("multiclass", "distribution")


class CustomLoss(Loss):
    """Base of the classes `custom` builds: the value is a user function, derivatives are derived.

    Class attributes set by `custom`: ``_fn`` (the function), ``_backend`` (``"torch"`` or
    ``"jax"``), ``_spec`` (the keyword arguments of `custom`, for pickling).
    """

    _fn: Callable[..., Any]
    _backend: str = "torch"
    _spec: dict[str, Any] = {}  # noqa: RUF012 - replaced per class

    @property
    def _autodiff_backend(self) -> str:
        return self._backend

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        kind = _framework(f)
        if kind == "numpy":
            return self._value_via_backend(xp, t, f)
        if kind != self._backend:
            raise DTypeError(
                f"custom loss {self.name!r} is written with {self._backend} operations but got "
                f"{kind} arrays; pass NumPy or {self._backend} arrays (or define it with backend={kind!r})."
            )
        out = self._fn(t, f, **self._params)
        return self._check_shape(out, f)

    def _value_via_backend(self, xp: Any, t: Any, f: Any) -> Any:
        t_np, f_np = np.asarray(t), np.asarray(f)
        if self._backend == "torch":
            import torch

            out = self._fn(torch.from_numpy(t_np), torch.from_numpy(f_np), **self._params)
            out = self._check_shape(out, f_np)
            return xp.asarray(out.detach().cpu().numpy())
        import jax
        import jax.numpy as jnp

        with jax.enable_x64(f_np.dtype == np.float64):
            out = self._fn(jnp.asarray(t_np), jnp.asarray(f_np), **self._params)
            out = self._check_shape(out, f_np)
            return xp.asarray(np.asarray(out))

    def _check_shape(self, out: Any, f: Any) -> Any:
        want = tuple(f.shape[:1]) if self.multiclass else tuple(f.shape)
        got = tuple(getattr(out, "shape", ()))
        if got != want:
            raise ShapeError(
                f"custom loss {self.name!r} must return one value per sample, shape {want}; its "
                f"function returned shape {got}. Return the per-sample values (no mean or sum)."
            )
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_custom, (self._fn, self._spec, self._params))


def _framework(x: Any) -> str:
    mod = type(x).__module__
    if mod.startswith("torch"):
        return "torch"
    if mod.startswith("jax") or mod.startswith("jaxlib") or is_tracing(x):
        return "jax"
    return "numpy"


def _default_backend() -> str:
    for name in BACKENDS:
        if name in sys.modules:
            return name
    for name in BACKENDS:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        return name
    raise ParameterError(
        "losslab.custom derives gradients with PyTorch or JAX, and neither is installed; "
        "pip install 'losslab[torch]' or 'losslab[jax]'."
    )


def custom(
    fn: Callable[..., Any],
    *,
    name: str,
    task: str = "regression",
    estimates: Statistic | Estimand | str = "unspecified",
    params: dict[str, float] | None = None,
    y_true: Domain | str = "any real number",
    y_pred: Domain | str = "any real number",
    convex: bool | None = False,
    smooth: bool = True,
    robust: bool = False,
    hessian: str = "exact",
    zero_at_perfect: bool | None = False,
    references: tuple[str, ...] = (),
    roles: tuple[tuple[ParamRole | str, str], ...] = (),
    aliases: tuple[str, ...] = (),
    link: Any = None,
    backend: str | None = None,
    register: bool = True,
) -> CustomLoss:
    r"""A loss from its per-sample value; gradient and Hessian by automatic differentiation.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, **params)`` returning per-sample values ℓᵢ, written with
        ``torch`` or ``jax.numpy`` operations (per ``backend``): shape like ``y_pred`` for
        elementwise losses, ``(n,)`` for ``task`` "multiclass"/"distribution" (``y_pred`` of
        shape (n, k)). ``y_true`` arrives cast to ``y_pred``'s dtype.
    name : str
        Registry name (``losslab.get(name)``).
    task, estimates, y_true, y_pred, convex, smooth, robust, hessian, zero_at_perfect, references, roles
        Metadata, the same typed facts every built-in loss declares (`losslab.LossInfo`):
        ``estimates`` a `Statistic` (or its name, ``"median"``, ``"quantile(0.9)"``);
        ``y_true``/``y_pred`` a `Domain` (or ``"any real number"``, ``"> a"``, ``">= a"``,
        ``"in [a, b]"``, ``"nonzero"``), checked on every call; ``roles`` pairs of
        (`ParamRole`, parameter name). ``convex=None`` / ``zero_at_perfect=None``: probed
        numerically on the loss's example inputs (second differences along y_pred; value 0 and
        a minimum at y_pred = y_true).
    params : dict, optional
        Hyper-parameters with their defaults, passed to ``fn`` as keywords and settable through
        ``losslab.get(name, c=2.0)``.
    aliases : tuple of str
        More registry names.
    link : losslab.links.Link, optional
        Raw score → response (default identity for regression, logit/softmax otherwise).
    backend : {"torch", "jax"}, optional
        The framework ``fn`` is written with (default: torch if installed, else JAX). NumPy
        inputs are converted; arrays of the other framework raise `DTypeError`.
    register : bool
        Register under ``name`` (replacing an earlier custom loss of that name, never a
        built-in one).

    Returns
    -------
    CustomLoss
        A `losslab.Loss` instance with default parameters. Derivatives: the gradient is
        ∇(Σᵢ ℓᵢ) (each ℓᵢ depends on its own sample only), the Hessian diagonal is
        ∂/∂fᵢ of that gradient (per class column for multiclass losses).

    Notes
    -----
    To export a custom loss to the CLI, define it at module level (``my_losses.py``:
    ``cauchy = losslab.custom(...)``) and pass ``--loss my_losses:cauchy``. Pickling works when
    ``fn`` is importable (a module-level function). `check` verifies the derivatives.
    """
    if backend is None:
        backend = _default_backend()
    if backend not in BACKENDS:
        raise ParameterError(f"backend for custom loss {name!r} must be 'torch' or 'jax'; got {backend!r}.")
    if not isinstance(name, str) or not name or ":" in name:
        raise ParameterError(f"a custom loss needs a plain string name; got {name!r}.")
    if not callable(fn):
        raise ParameterError(f"fn for custom loss {name!r} must be callable; got {type(fn).__name__}.")
    if task not in _PLAIN_TASKS:
        raise ParameterError(
            f"task for custom loss {name!r} must be one of {', '.join(_PLAIN_TASKS)} (a value function "
            f"of one target per row); got {task!r}. Structured targets (survival, ranking, ordinal) "
            "need a Loss subclass with a target_type (docs/conventions.md, section 9)."
        )
    spec = {
        "name": name,
        "task": task,
        "estimates": estimates,
        "params": dict(params or {}),
        "y_true": y_true,
        "y_pred": y_pred,
        "convex": convex,
        "smooth": smooth,
        "robust": robust,
        "hessian": hessian,
        "zero_at_perfect": zero_at_perfect,
        "references": tuple(references),
        "roles": tuple(roles),
        "aliases": tuple(aliases),
        "link": link,
        "backend": backend,
        "register": register,
    }
    cls = _build_class(fn, spec)
    if register:
        _register_replacing(cls)
    return cls()


def _build_class(fn: Callable[..., Any], spec: dict[str, Any]) -> type[CustomLoss]:
    from . import links

    try:
        info = LossInfo(
            task=spec["task"],
            statistic=spec["estimates"],
            y_true=spec["y_true"],
            y_pred=spec["y_pred"],
            convex=bool(spec["convex"]),
            smooth=spec["smooth"],
            robust=spec["robust"],
            hessian=spec["hessian"],
            zero_at_perfect=bool(spec["zero_at_perfect"]),
            references=spec["references"],
            roles=spec.get("roles", ()),
        )
    except ValueError as exc:
        raise ParameterError(f"custom loss {spec['name']!r}: {exc}") from None
    unknown = [p for _, p in info.roles if p not in spec["params"]]
    if unknown:
        raise ParameterError(
            f"custom loss {spec['name']!r}: roles name parameters {unknown} it does not have; its "
            f"parameters are: {', '.join(spec['params']) or 'none'}."
        )
    multiclass = spec["task"] in MULTI_TASKS
    link = spec["link"]
    if link is None:
        link = {"regression": links.IDENTITY, "binary": links.LOGIT}.get(spec["task"], links.SOFTMAX)
    params = tuple(Param(k, float(v), "custom parameter") for k, v in spec["params"].items())
    doc = (fn.__doc__ or "").strip() or f"Custom loss {spec['name']!r} defined by {_qualname(fn)}."
    attrs = {
        "__doc__": doc,
        "__module__": getattr(fn, "__module__", __name__),
        "name": spec["name"],
        "aliases": spec["aliases"],
        "PARAMS": params,
        "INFO": info,
        "multiclass": multiclass,
        "link": link,
        "_fn": staticmethod(fn),
        "_backend": spec["backend"],
        "_spec": spec,
    }
    class_name = "".join(part.capitalize() for part in spec["name"].split("_")) or "Custom"
    cls = type(class_name, (CustomLoss,), attrs)
    cls.__qualname__ = class_name
    if spec["convex"] is None or spec["zero_at_perfect"] is None:
        convex, zero = _probe(cls())
        cls.INFO = replace(
            info,
            convex=convex if spec["convex"] is None else spec["convex"],
            zero_at_perfect=zero if spec["zero_at_perfect"] is None else spec["zero_at_perfect"],
        )
    return cls


def _probe(loss: Loss) -> tuple[bool, bool]:
    """(convex, zero at the perfect prediction) measured on the loss's example inputs.

    Convex: every second difference ℓ(f + h) + ℓ(f − h) − 2ℓ(f) along y_pred is ≥ 0 (relative
    tolerance 1e-9) for h in {1e-2, 0.3, 2}; shifts that leave the y_pred domain are skipped.
    Zero at perfect: a regression loss on one output with ℓ(y, y) = 0 ≤ ℓ(y, y ± h).
    """
    y, f = loss.example(48, seed=0)
    f = np.asarray(f, dtype=np.float64)

    def per_sample(yy: Any, ff: Any) -> np.ndarray | None:
        try:
            return np.asarray(loss(yy, ff, reduction="none"), dtype=np.float64)
        except LosslabError:
            return None

    v0 = per_sample(y, f)
    if v0 is None or not np.all(np.isfinite(v0)):
        return False, False
    direction = np.sign(np.random.default_rng(1).normal(size=f.shape))
    convex, tested = True, False
    for h in (1e-2, 0.3, 2.0):
        vp, vm = per_sample(y, f + h * direction), per_sample(y, f - h * direction)
        if vp is None or vm is None:
            continue
        tested = True
        tol = 1e-9 * (np.abs(vp) + np.abs(vm) + 2.0 * np.abs(v0) + 1e-300)
        convex = convex and bool(np.all(vp + vm - 2.0 * v0 >= -tol))
    zero = False
    if loss.info.task == Task.REGRESSION and not loss.multiclass:
        yf = np.asarray(y, dtype=np.float64)
        at = per_sample(yf, yf)
        if at is not None and np.all(np.abs(at) <= 1e-12):
            zero = True
            for h in (1e-3, 0.5):
                for side in (yf + h, yf - h):
                    v = per_sample(yf, side)
                    zero = zero and (v is None or bool(np.all(v >= at)))
    return convex and tested, zero


def _qualname(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _register_replacing(cls: type[CustomLoss]) -> None:
    for key in (cls.name, *cls.aliases):
        owner = _registry._ALIASES.get(key)
        if owner is None:
            continue
        old = _registry._CLASSES[owner]
        if not issubclass(old, CustomLoss):
            raise ParameterError(
                f"custom loss name {key!r} is taken by the built-in loss {owner!r}; choose another name."
            )
        _registry._CLASSES.pop(owner, None)
        for alias in [a for a, n in _registry._ALIASES.items() if n == owner]:
            del _registry._ALIASES[alias]
    _registry.register(cls)


def _rebuild_custom(fn: Callable[..., Any], spec: dict[str, Any], params: dict[str, Any]) -> CustomLoss:
    # reuse the class already registered for this definition, so unpickled losses compare equal
    cls: Any = None
    current = _registry._CLASSES.get(spec["name"])
    if current is not None and issubclass(current, CustomLoss):
        if current._fn is fn and current._spec == spec:
            cls = current
    if cls is None:
        cls = _build_class(fn, spec)
        if spec.get("register"):
            _register_replacing(cls)
    return cls(**params)


# -- the finite-difference checker ---------------------------------------------------------------
@dataclass
class DerivativeCheck:
    """Agreement of one derivative with its finite-difference estimate.

    Attributes
    ----------
    what : str
        ``"gradient"`` (vs differences of the value) or ``"hessian"`` (vs differences of the
        gradient).
    max_abs_error, max_rel_error : float
        Over the checked entries; relative to max(|analytic|, |numeric|).
    n_checked, n_skipped : int
        Entries compared; entries skipped because the difference quotient was unstable there
        (a kink or a domain boundary within the stencil).
    n_failed : int
        Entries with |analytic − numeric| > atol + rtol·max(|analytic|, |numeric|) + 2·(estimate
        of the numeric error).
    worst : list of dict
        The worst entries: index, y_true, y_pred, analytic, numeric, abs_error, rel_error.
    """

    what: str
    max_abs_error: float
    max_rel_error: float
    n_checked: int
    n_skipped: int
    n_failed: int
    worst: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.n_failed == 0 and self.n_checked > 0


@dataclass
class CheckReport:
    """Result of `check`: one `DerivativeCheck` for the gradient and one for the Hessian."""

    loss: str
    gradient: DerivativeCheck
    hessian: DerivativeCheck | None
    rtol: float
    atol: float

    @property
    def passed(self) -> bool:
        return self.gradient.passed and (self.hessian is None or self.hessian.passed)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        status = "PASSED" if self.passed else "FAILED"
        lines = [
            f"losslab.check({self.loss}): {status} (rtol={self.rtol:g}, atol={self.atol:g}; skipped = "
            "unstable difference quotient, i.e. a kink or domain edge within the stencil)"
        ]
        for d in (self.gradient, self.hessian):
            if d is None:
                continue
            lines.append(
                f"  {d.what:<8}  max abs error {d.max_abs_error:.3g}, max rel error {d.max_rel_error:.3g}; "
                f"{d.n_checked} entries checked, {d.n_failed} failed, {d.n_skipped} skipped"
            )
            # all worst entries when failing, the single worst one otherwise
            for w in d.worst if not d.passed else d.worst[:1]:
                lines.append(
                    f"    at {w['index']}: y_true={_fmt(w['y_true'])}, y_pred={_fmt(w['y_pred'])}: "
                    f"analytic {w['analytic']:.10g} vs numeric {w['numeric']:.10g} "
                    f"(abs error {w['abs_error']:.2g})"
                )
        return "\n".join(lines)


def _fmt(x: Any) -> str:
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(f"{v:.4g}" for v in x) + "]"
    return f"{x:.6g}"


_STENCIL = ((-2.0, 1.0), (-1.0, -8.0), (1.0, 8.0), (2.0, -1.0))  # 5-point, error O(h⁴)


def check(
    loss: Any,
    y_true: Any = None,
    y_pred: Any = None,
    *,
    n: int = 64,
    seed: int = 0,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    step: float | None = None,
    hessian: bool = True,
    worst: int = 5,
) -> CheckReport:
    r"""Check a loss's gradient and Hessian against finite differences, in float64.

    The gradient is compared with the 5-point difference quotient of the per-sample value,
    (−ℓ(f+2h) + 8ℓ(f+h) − 8ℓ(f−h) + ℓ(f−2h)) / 12h (error O(h⁴)), and the Hessian diagonal with
    the same quotient of the gradient, entry by entry (column by column for losses with one
    row of k scores per sample). Each entry is estimated with steps h and h/2; their difference
    estimates the numerical error, and entries where it is large (a kink or a domain edge
    inside the stencil) are retried with smaller steps and then skipped, and counted.

    Parameters
    ----------
    loss : losslab.Loss, str or dict
        Any loss, built-in or custom.
    y_true, y_pred : array-like, optional
        Points to check (converted to float64 NumPy); default ``loss.example(n, seed)``.
    n, seed : int
        Size and seed of the default points.
    rtol, atol : float
        An entry fails if |analytic − numeric| > atol + rtol·max(|analytic|, |numeric|) plus
        twice the estimated error of the numeric value.
    step : float, optional
        Relative step h/max(|f|, 1e-2); default ε^{1/5} ≈ 7.4e-4.
    hessian : bool
        Also check the Hessian (not done for a loss whose ``info.hessian`` is ``"none"``).
    worst : int
        How many of the worst entries to keep in the report.

    Returns
    -------
    CheckReport
        ``passed``, and per derivative the maximum absolute and relative errors and the worst
        entries with their inputs; its ``repr`` is a readable table.

    Examples
    --------
    >>> import losslab
    >>> report = losslab.check("huber")
    >>> report.passed, report.gradient.n_failed
    (True, 0)
    """
    from ._core.registry import get

    lo = get(loss)
    if (y_true is None) != (y_pred is None):
        raise ParameterError("losslab.check needs both y_true and y_pred, or neither (for loss.example).")
    if y_true is None:
        y_true, y_pred = lo.example(n, seed)
    if is_structured(y_true):
        y = y_true
    else:
        y = np.asarray(to_numpy(y_true) if not isinstance(y_true, (list, tuple)) else y_true)
        if y.dtype.kind == "f":
            y = y.astype(np.float64)
    f = np.asarray(to_numpy(y_pred) if not isinstance(y_pred, (list, tuple)) else y_pred, dtype=np.float64)
    base = (np.finfo(np.float64).eps ** 0.2) if step is None else float(step)
    scale = np.maximum(np.abs(f), 1e-2)

    def compare(what: str, primitive: Callable[..., Any], derivative: Callable[..., Any], total: bool) -> Any:
        """Finite differences of ``primitive`` in f against the analytic ``derivative`` (of the
        total of ``primitive``'s entries where ``total`` and the loss couples its rows)."""
        exact = np.asarray(to_numpy(derivative(y, f)), dtype=np.float64)
        return _check_one(
            what,
            lambda ff: np.asarray(to_numpy(primitive(y, ff, check=False)), dtype=np.float64),
            exact,
            lo.multiclass,
            y=y,
            f=f,
            base=base,
            scale=scale,
            rtol=rtol,
            atol=atol,
            worst=worst,
            coupled=lo.coupled,
            total=total,
        )

    gcheck = compare("gradient", partial(lo, reduction="none"), lo.gradient, True)
    has_hessian = lo.info.hessian != "none"  # a loss that declares no Hessian raises for it
    hcheck = compare("hessian", lo.gradient, lo.hessian, False) if hessian and has_hessian else None
    return CheckReport(repr(lo), gcheck, hcheck, rtol, atol)


def _quotient(fun: Callable[[Any], Any], f: Any, shift: Any, h: Any, pick: Callable[[Any], Any]) -> Any:
    """5-point difference quotient of ``pick(fun(f + s·shift))`` (``h``: the step per entry)."""
    acc = np.zeros(h.shape)
    with np.errstate(all="ignore"):
        for s, c in _STENCIL:
            try:
                out = fun(f + s * shift)
            except Exception:  # noqa: BLE001 - a point out of the domain: no estimate here
                return np.full(h.shape, np.nan)
            acc = acc + c * pick(out)
        return acc / (12.0 * h)


def _check_one(
    what: str,
    fun: Callable[[Any], Any],
    analytic: Any,
    multiclass: bool,
    *,
    y: Any,
    f: Any,
    base: float,
    scale: Any,
    rtol: float,
    atol: float,
    worst: int,
    coupled: bool = False,
    total: bool = False,
) -> DerivativeCheck:
    numeric = np.full(f.shape, np.nan)
    err_est = np.full(f.shape, np.inf)
    # elementwise losses: every entry at once (ℓᵢ depends on fᵢ only); row losses: column by
    # column; coupled losses (rows interact): entry by entry, the total or the entry itself
    # (a coupled loss's entries are its rows' single entries, or each (row, column) of (n, k))
    # (rows of (T, C) score matrices, CTC: each (t, c) of a row)
    units = (
        list(np.ndindex(f.shape))
        if coupled
        else list(np.ndindex(*f.shape[1:]))
        if multiclass and f.ndim > 2
        else range(f.shape[1])
        if multiclass
        else [None]
    )
    for j in units:
        direction = np.ones_like(f)
        if coupled:
            direction = np.zeros_like(f)
            direction[j] = 1.0
            sel: tuple[Any, ...] = j
        elif j is not None:
            direction = np.zeros_like(f)
            direction[(slice(None), *np.atleast_1d(j))] = 1.0
        if not coupled:
            sel = (slice(None),) if j is None else (slice(None), *np.atleast_1d(j))

        def pick(a: Any, sel: tuple[Any, ...] = sel) -> Any:
            if coupled:  # the total (gradient check) or this entry (Hessian diagonal)
                return np.sum(a) if total else a[sel]
            # a per-row value (n,) is already the entry; an (n, k) gradient gives its column j
            return a if a.ndim == 1 or len(sel) == 1 else a[sel]

        pending = np.ones(numeric[sel].shape, dtype=bool)
        rel = base
        for _ in range(4):
            h = rel * scale
            d1 = _quotient(fun, f, h * direction, h[sel], pick)
            d2 = _quotient(fun, f, h * direction / 2.0, h[sel] / 2.0, pick)
            est = np.abs(d1 - d2)
            with np.errstate(invalid="ignore"):
                stable = np.isfinite(d1) & np.isfinite(d2) & (est <= 1e-4 * np.maximum(np.abs(d2), 1.0))
            take = pending & stable
            numeric[sel] = np.where(take, d2, numeric[sel])
            err_est[sel] = np.where(take, est, err_est[sel])
            pending &= ~stable
            if not pending.any():
                break
            rel /= 8.0
    checked = np.isfinite(numeric)
    a = analytic
    diff = np.abs(a - numeric)
    big = np.maximum(np.abs(a), np.abs(numeric))
    allowed = atol + rtol * big + 2.0 * np.where(checked, err_est, 0.0)
    failed = checked & ~(diff <= allowed)  # NaN analytic values fail
    with np.errstate(all="ignore"):
        relerr = np.where(big > 0, diff / big, 0.0)
    diff_c = np.where(checked, diff, -1.0)
    order = np.argsort(-np.where(checked, diff / allowed, -1.0), axis=None)[:worst]
    worst_rows = []
    for flat in order:
        idx = np.unravel_index(flat, f.shape)
        if not checked[idx]:
            continue
        row = idx[0]
        worst_rows.append(
            {
                "index": int(idx[0]) if len(idx) == 1 else tuple(int(i) for i in idx),
                "y_true": f"row {row} of the target"
                if is_structured(y)
                else _plain(y[row] if multiclass else y[idx]),
                "y_pred": _plain(f[row] if multiclass else f[idx]),
                "analytic": float(a[idx]),
                "numeric": float(numeric[idx]),
                "abs_error": float(diff[idx]),
                "rel_error": float(relerr[idx]),
            }
        )
    n_checked = int(checked.sum())
    return DerivativeCheck(
        what=what,
        max_abs_error=float(diff_c.max()) if n_checked else math.nan,
        max_rel_error=float(np.where(checked, relerr, 0.0).max()) if n_checked else math.nan,
        n_checked=n_checked,
        n_skipped=int(checked.size - n_checked),
        n_failed=int(failed.sum()),
        worst=worst_rows,
    )


def _plain(x: Any) -> Any:
    arr = np.asarray(x)
    return arr.tolist() if arr.ndim else float(arr)


make_callable(__name__, custom)
