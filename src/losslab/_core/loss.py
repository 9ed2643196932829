"""The Loss base class: validation, dtype policy, weighting and reduction around three kernels.

A loss supplies metadata and ``_value``/``_gradient``/``_hessian`` kernels written against an
array namespace ``xp``; everything users call lives here, once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from . import autodiff, fastpath
from .errors import DTypeError, ParameterError, ShapeError
from .info import LossInfo, ParamRole
from .params import Interval, Param, auto_params, fit_auto
from .statistic import Estimand
from .targets import Structured
from .validation import Prepared, prepare
from .xp import is_tracing

__all__ = ["Loss"]

REDUCTIONS = ("mean", "sum", "none")


class Loss:
    """Base class of every loss.

    Subclasses declare ``name``, ``aliases``, ``PARAMS``, ``INFO`` and, for losses whose
    ``y_pred`` has one column per class, ``multiclass = True``; they implement the kernels

    - ``_value(xp, t, f)``: per-sample values,
    - ``_gradient(xp, t, f)``: ∂ℓᵢ/∂fᵢ, shaped like ``f``,
    - ``_hessian(xp, t, f)``: ∂²ℓᵢ/∂fᵢ², shaped like ``f`` (the diagonal),

    where ``f`` is ``y_pred`` as a floating array and ``t`` is the target as `_target` prepared
    it (by default ``y_true`` cast to ``f``'s dtype). Inputs are checked against the declared
    domains ``info.y_true`` and ``info.y_pred``; ``_y_true_bad``/``_y_pred_bad`` add checks a
    domain cannot express, returning a mask of bad entries and the expected values in words.
    """

    name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    PARAMS: ClassVar[tuple[Param, ...]] = ()
    INFO: ClassVar[LossInfo]
    multiclass: ClassVar[bool] = False
    #: the `Structured` target class (``_core.targets``) for a loss whose y_true is not one
    #: number per row (survival, ranking, ordinal …); None for the others
    target_type: ClassVar[type[Structured] | None] = None
    #: rows interact (Cox, ranking): values decompose the total, derivatives are of Σwℓ
    coupled: ClassVar[bool] = False
    #: the link from raw score to the response (set by each loss; see losslab.links)
    link: Any = None
    #: arguments ("y_true", "y_pred") a NaN or inf entry of which makes that sample's value NaN
    #: or inf: the checks of a reduced eager call then read them off the total (`prepare`'s
    #: ``defer``). Verified for every loss by the generic suite; cleared for a subclass that
    #: overrides ``_value`` without declaring it again.
    _value_propagates: ClassVar[frozenset[str]] = frozenset()

    # -- construction -------------------------------------------------------------------------
    def __init__(self, **params: Any) -> None:
        self._assign(self._validated(params))
        if not self._traced():
            self._check_params()

    def _validated(self, params: dict[str, Any]) -> dict[str, Any]:
        """Every declared parameter validated and normalised (defaults for those not given)."""
        known = {p.name: p for p in self.PARAMS}
        unknown = sorted(set(params) - set(known))
        if unknown:
            valid = ", ".join(known) or "none"
            raise ParameterError(
                f"loss {self.name!r} has no parameter {', '.join(map(repr, unknown))}; "
                f"its parameters are: {valid}."
            )
        values = {}
        for p in self.PARAMS:
            given = params.get(p.name, p.default)
            value = p.validate(self.name, given)
            # keep the caller's object when validation did not change it (a tuple stays the same
            # tuple): scikit-learn's clone checks parameters by identity
            values[p.name] = given if _same(given, value) else value
        return values

    def _assign(self, values: dict[str, Any]) -> None:
        """Install validated parameter values, dropping whatever was derived from the old ones."""
        object.__setattr__(self, "_params", values)
        for key, value in values.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_has_tracer", any(map(_is_tracer, values.values())))
        self.__dict__.pop("_info_cache", None)

    def _with_values(self, values: dict[str, Any]) -> Loss:
        """A copy with some parameter values replaced, unvalidated: for traced values inside a
        JAX transformation (`losslab._core.autodiff`), which were validated as they came in."""
        new = object.__new__(type(self))
        new._assign({**self._params, **values})
        return new

    def _traced(self) -> bool:
        """True if a parameter is a JAX tracer (jit/grad over a hyper-parameter)."""
        return self._has_tracer  # set once by _assign: this runs on every call, also under torch.compile

    def _untraceable(self, exc: TypeError) -> None:
        """Raise `ParameterError` if ``exc`` came from a traced parameter the kernels need
        concretely (they branch on its value in Python, e.g. Tweedie's power)."""
        traced = [k for k, v in self._params.items() if _is_tracer(v)]
        if traced:
            raise ParameterError(
                f"loss {self.name!r} cannot take a traced {', '.join(map(repr, traced))}: its kernels "
                f"need a concrete value ({type(exc).__name__}: {str(exc).splitlines()[0]}). Pass a "
                "number, or make the argument static (jax.jit(..., static_argnames=...))."
            ) from exc

    def _check_params(self) -> None:
        """Hook for checks that involve several parameters (skipped while a parameter is traced)."""

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(
            f"loss objects are immutable; use losslab.get({self.name!r}, {key}=...) for a new one, "
            "or set_params"
        )

    # -- scikit-learn's parameter protocol ------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The hyper-parameters as a dict, scikit-learn's protocol (``deep`` has no effect).

        An estimator holding a loss exposes them as ``loss__<name>`` (``loss__delta``), so
        ``GridSearchCV`` and ``clone`` handle a loss like a nested estimator.

        >>> import losslab
        >>> losslab.get("huber", delta=2).get_params()
        {'delta': 2.0}
        """
        return dict(self._params)

    def set_params(self, **params: Any) -> Loss:
        """Change hyper-parameters in place and return ``self`` (scikit-learn's protocol).

        The new values are validated as the constructor validates them (all or nothing: on an
        error the loss is unchanged), and metadata derived from the old ones (``info``) is
        dropped. This is the one mutation a loss allows, because scikit-learn's nested
        ``set_params`` (``loss__delta=...``) ignores a returned copy; ``losslab.get(loss,
        delta=...)`` gives a new loss instead. Equality and hash follow the parameters, so do
        not change a loss that is a dict key.

        >>> import losslab
        >>> h = losslab.get("huber")
        >>> h.set_params(delta=0.5) is h, h.info.statistic.level, h
        (True, None, Huber(delta=0.5))
        >>> try:
        ...     h.set_params(delta=-1)
        ... except losslab.ParameterError as exc:
        ...     print(exc, h)
        parameter 'delta' of loss 'huber' must be in (0, inf); got -1.0. Huber(delta=0.5)
        """
        if not params:
            return self
        old = self._params
        self._assign(self._validated({**old, **params}))
        try:
            if not self._traced():
                self._check_params()
        except Exception:
            self._assign(old)
            raise
        return self

    def __sklearn_clone__(self) -> Loss:
        # a fresh loss with equal parameters, built the way pickling rebuilds it (custom losses too)
        rebuild, args = self.__reduce__()[:2]
        return rebuild(*args)

    @property
    def params(self) -> dict[str, Any]:
        """The hyper-parameters as a dict (a copy)."""
        return dict(self._params)

    @property
    def info(self) -> LossInfo:
        """Machine-readable metadata (`LossInfo`) of this instance: ``INFO`` refined by the
        parameters (the level τ of a quantile, the convexity of a Tweedie power …). While a
        parameter is still ``"auto"`` (not yet fitted), or a JAX tracer, the class's declared
        ``INFO`` stands."""
        cached = self.__dict__.get("_info_cache")
        if cached is None and self._traced():
            return self.INFO  # a traced parameter has no value to refine the metadata with
        if cached is None:
            unfitted = auto_params(self)
            cached = self.INFO if unfitted else self._info()
            level = cached.param(ParamRole.LEVEL)
            if level is not None and level not in unfitted and cached.statistic.statistic.has_level:
                cached = replace(cached, statistic=Estimand(cached.statistic.statistic, self._params[level]))
            power = cached.param(ParamRole.VARIANCE_POWER)
            if power is not None and power not in unfitted:
                cached = replace(cached, variance_power=float(self._params[power]))
            object.__setattr__(self, "_info_cache", cached)
        return cached

    def _info(self) -> LossInfo:
        """Hook: the instance's metadata before the level is filled in (default ``INFO``)."""
        return self.INFO

    @property
    def statistic(self) -> str:
        """The statistic of y given x this loss estimates, in words (``"quantile(0.9)"``).

        Built from the typed ``info.statistic`` (a `Statistic` with its level).
        """
        return str(self.info.statistic)

    def fit_auto(self, y: Any, X: Any = None) -> Loss:
        """This loss with its ``"auto"`` parameters fitted on the target sample ``y`` (and features
        ``X`` of the same rows, for rules that need them) by the rules their `Param` declares
        (e.g. Huber's δ from a robust scale of y); unchanged if none."""
        return fit_auto(self, y, X)

    # -- serialisation and identity -----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """``{"name": ..., **params}``; ``losslab.get(d)`` rebuilds an equal loss."""
        out: dict[str, Any] = {"name": self.name}
        for k, v in self._params.items():
            out[k] = list(v) if isinstance(v, tuple) else v
        return out

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._params == self._params  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, tuple(sorted(self._params.items()))))

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in self.PARAMS}
        shown = ", ".join(f"{k}={v!r}" for k, v in self._params.items() if _differs(v, defaults.get(k)))
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._params))

    # -- the public contract -----------------------------------------------------------------
    def __call__(
        self,
        y_true: Any,
        y_pred: Any,
        *,
        sample_weight: Any = None,
        reduction: str = "mean",
        check: bool = True,
    ) -> Any:
        """Loss of ``y_pred`` against ``y_true``.

        Parameters
        ----------
        y_true : array-like
            Targets, in the loss's domain (see ``info.y_true``).
        y_pred : array
            Raw model output (logits for classification unless ``from_logits=False``), floating.
        sample_weight : array-like, optional
            Non-negative weights, one per sample; they multiply each per-sample value.
        reduction : {"mean", "sum", "none"}
            ``"mean"`` is the weighted mean Σwℓ/Σw; ``"none"`` returns per-sample values (times
            the weights, if given).
        check : bool
            Data-dependent checks (NaN, domains); turn off on hot paths. Shape, dtype and
            parameter checks always run.

        Returns
        -------
        A scalar (NumPy scalar, or 0-d tensor/array of the input's type) for ``"mean"`` and
        ``"sum"``, an array of per-sample values for ``"none"``; in ``y_pred``'s dtype.

        Large NumPy float inputs of the built-in elementwise losses take the fused engine
        (`losslab.kernels`, docs/speed.md); the results are the same.
        """
        return self._compute("v", y_true, y_pred, sample_weight, check, reduction, None)

    def gradient(
        self, y_true: Any, y_pred: Any, *, sample_weight: Any = None, check: bool = True, out: Any = None
    ) -> Any:
        """∂ℓᵢ/∂y_predᵢ per sample (times ``sample_weight``), shaped and typed like ``y_pred``.

        ``out``, if given, is an array like the result (same array type, shape and dtype;
        C-contiguous for NumPy) that receives it and is returned.
        """
        return self._compute("g", y_true, y_pred, sample_weight, check, "none", out)

    def hessian(
        self, y_true: Any, y_pred: Any, *, sample_weight: Any = None, check: bool = True, out: Any = None
    ) -> Any:
        """∂²ℓᵢ/∂y_predᵢ² per sample (the diagonal; times ``sample_weight``), like ``y_pred``;
        ``out`` as in `gradient`."""
        return self._compute("h", y_true, y_pred, sample_weight, check, "none", out)

    def gradient_hessian(
        self, y_true: Any, y_pred: Any, *, sample_weight: Any = None, check: bool = True, out: Any = None
    ) -> tuple[Any, Any]:
        """``(gradient, hessian)`` in one pass over the inputs; ``out`` a pair of arrays (or None)."""
        return self._compute("gh", y_true, y_pred, sample_weight, check, "none", out)

    def value_and_gradient(
        self,
        y_true: Any,
        y_pred: Any,
        *,
        sample_weight: Any = None,
        reduction: str = "mean",
        check: bool = True,
        out: Any = None,
    ) -> tuple[Any, Any]:
        """``(loss(y_true, y_pred, reduction=...), gradient(y_true, y_pred))`` in one pass.

        The value is reduced as `__call__` reduces it; the gradient is per entry (times
        ``sample_weight``), as `gradient` returns it, written into ``out`` if given. What a
        training step needs: on the fused path the inputs are read once.

        >>> import losslab, numpy as np
        >>> v, g = losslab.get("mse").value_and_gradient(np.array([0.0, 1.0]), np.array([1.0, 1.0]))
        >>> float(v), g.tolist()
        (0.5, [2.0, 0.0])
        """
        return self._compute("vg", y_true, y_pred, sample_weight, check, reduction, out)

    def value_gradient_hessian(
        self,
        y_true: Any,
        y_pred: Any,
        *,
        sample_weight: Any = None,
        reduction: str = "mean",
        check: bool = True,
        out: Any = None,
    ) -> tuple[Any, Any, Any]:
        """``(value, gradient, hessian)`` in one pass: `value_and_gradient` plus the Hessian's
        diagonal; ``out`` a pair of arrays for the gradient and the Hessian (or None).

        >>> import losslab, numpy as np
        >>> v, g, h = losslab.get("poisson").value_gradient_hessian(np.array([1.0]), np.array([0.0]))
        >>> float(v), g.tolist(), h.tolist()
        (0.0, [0.0], [1.0])
        """
        return self._compute("vgh", y_true, y_pred, sample_weight, check, reduction, out)

    def _compute(
        self, want: str, y_true: Any, y_pred: Any, sample_weight: Any, check: bool, reduction: str, out: Any
    ) -> Any:
        """The parts ``want`` ("v", "g", "h", "gh", "vg", "vgh") by the fused engine if it serves
        the call, else by the kernels; ``out`` receives the gradient and/or Hessian."""
        if "v" in want and reduction not in REDUCTIONS:
            raise ParameterError(
                f"reduction for loss {self.name!r} must be one of {', '.join(map(repr, REDUCTIONS))}; "
                f"got {reduction!r}."
            )
        eligible = want == "v" and reduction != "none"
        if eligible and autodiff.reduced_eligible(self, y_true, y_pred, sample_weight):
            res = self._reduced(y_true, y_pred, check, reduction)
            if res is not None:
                return res
        outs = _out_pair(self, want, out)
        if not self._has_tracer and _fast_candidate(y_pred):
            for o in outs:
                if o is not None:
                    _check_out(self, o, y_pred)
            res = fastpath.fused(self, y_true, y_pred, sample_weight, check, want, reduction, outs)
            if res is not None:
                return res
        try:
            p = self._prepared(y_true, y_pred, sample_weight, check)
            with p.errstate():
                parts: list[Any] = []
                if "v" in want:
                    # under autograd/JAX tracing, backward uses the analytic _gradient (_core.autodiff)
                    parts.append(p.reduce(autodiff.value(self, p), reduction))
                if "g" in want and "h" in want:
                    g, h = self._gradient_hessian(p.xp, p.t, p.f)
                    parts += [p.per_entry(g), p.per_entry(h)]
                elif "g" in want:
                    parts.append(p.per_entry(self._gradient(p.xp, p.t, p.f)))
                elif "h" in want:
                    parts.append(p.per_entry(self._hessian(p.xp, p.t, p.f)))
        except TypeError as exc:
            self._untraceable(exc)
            raise
        arrays = parts[1:] if "v" in want else parts
        for i, o in enumerate(outs):
            if o is not None:
                _check_out(self, o, arrays[i])
                o[...] = arrays[i]
                arrays[i] = o
        parts = parts[:1] + arrays if "v" in want else arrays
        return parts[0] if len(parts) == 1 else tuple(parts)

    def _reduced(self, y_true: Any, y_pred: Any, check: bool, reduction: str) -> Any:
        """The mean or sum of an eager PyTorch call being differentiated, formed by one autograd
        Function from the loss's total (`_total_gradient`; for a loss that excludes samples, the
        weighted mean of its per-sample values), the checks settled on that total with one host
        sync; None to take the general path (a check did not settle: that path names the bad
        entry or computes the overflow)."""
        try:
            p = prepare(self, y_true, y_pred, None, check, defer=True)
            if p.w is not None:  # the loss excludes samples (`_sample_mask`): a weighted mean
                total = p.reduce(autodiff.value(self, p), reduction)
            else:
                total = p.cast(autodiff.total(self, p, reduction))
        except TypeError as exc:
            self._untraceable(exc)
            raise
        # (a weight 0 keeps a NaN or inf value: NaN·0 is NaN, so the total still vouches)
        return total if p.settled(total) else None

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """Random valid ``(y_true, y_pred)`` NumPy inputs for this loss (tests, docs, plots).

        The default draws by task: real targets and scores inside the declared domains (normal,
        shifted log-normal above a lower end, uniform in a bounded interval); 0/1 labels and
        logits; class indices and (n, 3) logits; Dirichlet rows and logits. Losses whose domains
        say less than that override it.
        """
        import numpy as np

        rng = np.random.default_rng(seed)
        task = self.info.task
        if task == "regression":
            return _draw(rng, self.info.y_true.interval, n), _draw(rng, self.info.y_pred.interval, n)
        if task == "binary":
            y = rng.integers(0, 2, n).astype(float)
            raw = rng.normal(0.0, 3.0, n)
            return y, (1.0 / (1.0 + np.exp(-raw)) if _is_prob(self) else raw)
        k = 3
        raw = rng.normal(0.0, 3.0, (n, k))
        f = raw if not _is_prob(self) else np.exp(raw) / np.exp(raw).sum(axis=1, keepdims=True)
        if task == "multiclass":
            return rng.integers(0, k, n), f
        return rng.dirichlet(np.ones(k), n), f

    def baseline(self, y_true: Any, sample_weight: Any = None) -> Any:
        """The best constant raw prediction for ``y_true`` (the init score of boosting)."""
        from .baseline import baseline

        return baseline(self, y_true, sample_weight)

    # -- kernels (subclasses) -----------------------------------------------------------------
    def _target(self, xp: Any, y_true: Any, f: Any, check: bool) -> Any:
        """Turn a validated ``y_true`` into the kernel's target (default: cast to ``f``'s dtype)."""
        if xp.isdtype(y_true.dtype, "complex floating"):
            raise DTypeError(f"y_true for loss {self.name!r} must be real numbers; got dtype {y_true.dtype}.")
        return xp.astype(y_true, f.dtype, copy=False)  # no copy when the dtype is already right

    def _y_true_bad(self, xp: Any, t: Any) -> tuple[Any, str] | None:
        return None

    def _check_target(self, t: Structured) -> None:
        """Hook: checks of a structured target (NumPy fields) only this loss can make (AFT's
        times > 0, a label beyond this loss's levels); raise `DomainError`."""

    def _y_pred_bad(self, xp: Any, f: Any) -> tuple[Any, str] | None:
        return None

    def _value(self, xp: Any, t: Any, f: Any) -> Any:
        raise NotImplementedError

    def _gradient(self, xp: Any, t: Any, f: Any) -> Any:
        # a loss that defines only _value gets its derivatives by automatic differentiation
        return autodiff.derived_gradient(self, xp, t, f)

    def _hessian(self, xp: Any, t: Any, f: Any) -> Any:
        return autodiff.derived_hessian(self, xp, t, f)

    def _gradient_hessian(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        return self._gradient(xp, t, f), self._hessian(xp, t, f)

    def _value_gradient(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        # a loss whose value and gradient share work (a log-softmax, an e^{−|x|}) overrides this
        # to do it once; callers go through `_value_and_gradient_kernels`
        return self._value(xp, t, f), self._gradient(xp, t, f)

    def _total_gradient(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        """(Σℓ over every sample, unweighted, as a 0-d array; the per-entry gradient, or None to
        have backward recompute it with `_gradient` (which then must return a new array: it is
        scaled in place), or a function ``(scale, f, t)`` of the
        upstream scale (a 0-d array) and the saved inputs that forms the scaled gradient, also
        from the forward's intermediates) for the forward of a reduced eager PyTorch call. A
        loss that forms the sum without an array of per-sample values overrides it (eager
        PyTorch pays ~20 µs per fresh 10⁵-float array); an override is as exact as the kernels,
        or returns the default's answer. Callers go through `_total_and_gradient_kernels`."""
        v, g = self._value_and_gradient_kernels(xp, t, f)
        return xp.sum(v), g

    def _total_and_gradient_kernels(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        """`_total_gradient`, unless a subclass below its owner overrides a kernel it stands for
        (then the default, built on that kernel)."""
        if type(self)._shares_total_gradient:
            return self._total_gradient(xp, t, f)
        return Loss._total_gradient(self, xp, t, f)

    def _value_and_gradient_kernels(self, xp: Any, t: Any, f: Any) -> tuple[Any, Any]:
        """Per-entry values and gradient (one autograd forward computes both): the shared
        ``_value_gradient`` unless a subclass below the class that defines it overrides
        ``_value`` or ``_gradient`` (then those two, so the override counts)."""
        if type(self)._shares_value_gradient:
            return self._value_gradient(xp, t, f)
        return self._value(xp, t, f), self._gradient(xp, t, f)

    #: set per class at its creation (a class attribute, not a global cache: a cache that
    #: grows as losses are first used would fail torch.compile's guards and recompile)
    _shares_value_gradient: bool = True
    _shares_total_gradient: bool = True  # the same for `_total_gradient`

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        mro = cls.__mro__

        def below(method: str, kernels: tuple[str, ...]) -> bool:
            owner = next(i for i, c in enumerate(mro) if method in c.__dict__)
            return any(k in c.__dict__ for c in mro[:owner] for k in kernels)

        cls._shares_value_gradient = not below("_value_gradient", ("_value", "_gradient"))
        cls._shares_total_gradient = not below("_total_gradient", ("_value", "_gradient", "_value_gradient"))
        if "_value" in cls.__dict__ and "_value_propagates" not in cls.__dict__:
            cls._value_propagates = frozenset()

    def _prepared(self, y_true: Any, y_pred: Any, sample_weight: Any = None, check: bool = True) -> Prepared:
        """Validated inputs for bridges that call the kernels themselves.

        Data-dependent checks are skipped while a parameter is traced: the loss is then inside a
        JAX transformation, where even closed-over arrays give traced masks.
        """
        return prepare(self, y_true, y_pred, sample_weight, check and not self._traced())


def _fast_candidate(y_pred: Any) -> bool:
    """A NumPy floating array in the machine's byte order: the only input the fused engine
    takes (checked without NumPy; numba cannot read a byte-swapped array)."""
    return (
        type(y_pred).__module__ == "numpy"
        and type(y_pred).__name__ == "ndarray"
        and y_pred.dtype.char in "fd"
        and y_pred.dtype.isnative
    )


def _out_pair(loss: Loss, want: str, out: Any) -> tuple[Any, ...]:
    """``out`` as one slot per array result (gradient and/or Hessian) of ``want``."""
    n = ("g" in want) + ("h" in want)
    if out is None:
        return (None,) * n
    if n == 2:
        if not (isinstance(out, tuple | list) and len(out) == 2):
            raise ParameterError(
                f"out for loss {loss.name!r} must be a pair (gradient array, Hessian array) or None; "
                f"got {type(out).__name__}."
            )
        return tuple(out)
    if n == 0:
        raise ParameterError(f"out for loss {loss.name!r} is for gradients and Hessians; the value has none.")
    return (out,)


def _check_out(loss: Loss, out: Any, like: Any) -> None:
    """``out`` can receive a result shaped and typed like ``like`` in place."""
    if type(out) is not type(like):
        raise DTypeError(
            f"out for loss {loss.name!r} must be a {type(like).__module__}.{type(like).__name__} like "
            f"y_pred; got {type(out).__module__}.{type(out).__name__}."
        )
    if tuple(out.shape) != tuple(like.shape):
        raise ShapeError(
            f"out for loss {loss.name!r} must have shape {tuple(like.shape)}; got {tuple(out.shape)}."
        )
    if out.dtype != like.dtype:
        raise DTypeError(f"out for loss {loss.name!r} must have dtype {like.dtype}; got {out.dtype}.")
    flags = getattr(out, "flags", None)
    if flags is not None and not (flags.c_contiguous and flags.writeable):
        raise ParameterError(
            f"out for loss {loss.name!r} must be a writeable C-contiguous array; got "
            f"{'a read-only' if not flags.writeable else 'a non-contiguous'} one."
        )


def _draw(rng: Any, iv: Interval, n: int) -> Any:
    """n values strictly inside the interval ``iv``."""
    import math

    lo, hi = iv.low, iv.high
    if math.isinf(lo) and math.isinf(hi):
        return rng.normal(0.0, 2.0, n)
    if math.isinf(hi):
        return lo + rng.lognormal(0.0, 1.0, n)
    if math.isinf(lo):
        return hi - rng.lognormal(0.0, 1.0, n)
    return rng.uniform(lo + 0.01 * (hi - lo), hi - 0.01 * (hi - lo), n)


def _is_prob(loss: Loss) -> bool:
    return loss.params.get("from_logits", True) is False


def _rebuild(cls: type[Loss], params: dict[str, Any]) -> Loss:
    return cls(**params)


_PLAIN = (bool, int, float, str, tuple, type(None))


def _is_tracer(value: Any) -> bool:
    """True for a JAX tracer; plain parameter values are recognised without asking the array
    libraries (cheap, and traceable by torch.compile when a loss is built inside a compiled function)."""
    return not isinstance(value, _PLAIN) and is_tracing(value)


def _same(given: Any, value: Any) -> bool:
    """True if the validated ``value`` is ``given`` unchanged (same type, equal)."""
    if type(given) is not type(value) or _is_tracer(value):
        return False
    try:
        return bool(given == value)
    except Exception:  # noqa: BLE001 - arrays compare elementwise
        return False


def _differs(a: Any, b: Any) -> bool:
    try:
        return bool(a != b)
    except Exception:  # noqa: BLE001 - arrays compare elementwise
        return True
