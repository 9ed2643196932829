"""Keras 3 face of losslab: every per-sample registered loss as a ``keras.losses.Loss``.

>>> import numpy as np, keras, losslab.keras
>>> crit = losslab.keras.Loss("huber", delta=1.0)
>>> y_true, y_pred = np.zeros((2, 1)), np.array([[0.5], [3.0]])
>>> round(float(keras.ops.convert_to_numpy(crit(y_true, y_pred))), 4)  # mean of [0.125, 2.5]
1.3125
>>> w = np.array([1.0, 0.0])
>>> round(float(keras.ops.convert_to_numpy(crit(y_true, y_pred, sample_weight=w))), 4)  # Σwℓ / n
0.0625
>>> bce = losslab.keras.BinaryCrossentropy()  # Keras's name: Keras's default from_logits=False
>>> bce.loss
BinaryCrossentropy(from_logits=False)
>>> losslab.keras.Loss("bce", from_logits=True).loss  # explicit parameters win
BinaryCrossentropy()

The arguments are Keras's: ``loss(y_true, y_pred, sample_weight=None)``, with Keras's
``reduction`` (``"sum_over_batch_size"`` by default) and Keras's sample-weight convention,
Σwℓ/n, applied by Keras's own `keras.losses.Loss.__call__` (losslab's own mean is Σwℓ/Σw;
Keras's ``reduction="mean_with_sample_weight"`` gives that). Per-sample values follow Keras: an
elementwise loss is averaged over the last axis (``(n, 1)`` columns give ``(n,)``), a loss with
one row of k scores per sample gives one value per row; ``ctc`` takes Keras's CTC packing (labels
padded with the blank 0, y_pred of shape (n, T, C)) and gives one value per sequence.

Under the PyTorch backend Keras's tensors are torch tensors, so backward runs the loss's
analytic gradient (losslab's ``torch.autograd.Function``); under the JAX backend the loss is a
``jax.custom_jvp`` with the analytic gradient (see `losslab._core.autodiff`). TensorFlow is not
supported. Names Keras has (``"binary_crossentropy"``, ``"BinaryCrossentropy"``, ``"bce"`` …)
take Keras's defaults where Keras's loss is losslab's with other parameter values
(`KERAS_NAMES`); docs/frameworks.md ("Keras 3") has the table, including the names whose Keras
definition differs.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

try:
    import keras
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name == "tensorflow":
        raise ModuleNotFoundError(
            "losslab.keras: Keras 3 is set to its TensorFlow backend, which is not installed; set "
            "KERAS_BACKEND=torch or KERAS_BACKEND=jax before Keras is first imported.",
            name=exc.name,
        ) from exc
    if exc.name == "keras":
        raise ModuleNotFoundError(
            "losslab.keras needs Keras 3: pip install 'losslab[keras]'.", name=exc.name
        ) from exc
    raise

from ._core.errors import ParameterError, ShapeError, UnknownLossError, UnsupportedError
from ._core.info import Task
from ._core.loss import Loss as _Loss
from ._core.registry import _ensure_builtin, get, list_losses, loss_class
from ._core.xp import array_namespace

__all__ = ["KERAS_DIFFERS", "KERAS_MISSING", "KERAS_NAMES", "KerasName", "Loss", "keras_name", "names_table"]

if not keras.version().startswith("3."):  # pragma: no cover - depends on the environment
    raise ImportError(f"losslab.keras needs Keras 3; found Keras {keras.version()}.")

_ensure_builtin()
_PACKAGE = "losslab"

_JAX_CONCRETE_ERRORS = frozenset(
    {
        "TracerArrayConversionError",
        "ConcretizationTypeError",
        "TracerIntegerConversionError",
        "TracerBoolConversionError",
    }
)

try:  # Keras's shape inference scope (no public name for it in Keras 3.x)
    from keras.src.backend.common.symbolic_scope import in_symbolic_scope as _in_symbolic_scope
except ImportError:  # pragma: no cover - another Keras layout

    def _in_symbolic_scope() -> bool:
        return False


@dataclass(frozen=True)
class KerasName:
    """A Keras loss whose definition is a losslab loss with some parameter values.

    ``function`` and ``cls`` are Keras's names (``keras.losses.huber``, ``keras.losses.Huber``),
    ``loss`` the registered losslab loss and ``defaults`` Keras's defaults written as losslab's
    parameters; ``note`` says where the numbers differ (Keras's clipping), in words.
    """

    function: str
    cls: str
    loss: str
    defaults: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    note: str = "same"
    short: tuple[str, ...] = ()  # Keras's short names (``"bce"``)


def _kn(
    function: str, cls: str, loss: str, note: str = "same", short: tuple[str, ...] = (), **d: Any
) -> KerasName:
    return KerasName(function, cls, loss, MappingProxyType(d), note, short)


_AXIS_NOTE = (
    "with Keras's `axis` (None, its default: one overlap over the whole batch; (1, 2, 3): one per "
    "image); losslab's own default takes logits and reads rows as images (docs/segmentation.md)"
)
_CLIPS_Q = "Keras clips probabilities to [1e-7, 1 − 1e-7]; losslab does not (use logits near 0 and 1)"

#: Keras's losses that are a losslab loss, with Keras's defaults; the keys of `_BY_NAME` are
#: every spelling Keras's ``keras.losses.get`` accepts for them.
KERAS_NAMES: tuple[KerasName, ...] = (
    _kn("mean_squared_error", "MeanSquaredError", "mse", short=("mse",)),
    _kn("mean_absolute_error", "MeanAbsoluteError", "mae", short=("mae",)),
    _kn(
        "mean_squared_logarithmic_error",
        "MeanSquaredLogarithmicError",
        "msle",
        "same for y, y_pred ≥ 0; Keras replaces values below 1e-7 by 1e-7, losslab checks y_pred > −1",
        short=("msle",),
    ),
    _kn("huber", "Huber", "huber"),
    _kn("log_cosh", "LogCosh", "log_cosh"),
    _kn(
        "hinge",
        "Hinge",
        "hinge",
        "same; Keras reads {0, 1} labels as ∓1 only when every label is 0 or 1, losslab always",
    ),
    _kn("squared_hinge", "SquaredHinge", "squared_hinge", "same (labels as for hinge)"),
    _kn(
        "binary_crossentropy",
        "BinaryCrossentropy",
        "binary_crossentropy",
        f"same with from_logits=True; {_CLIPS_Q}",
        short=("bce",),
        from_logits=False,
    ),
    _kn(
        "binary_focal_crossentropy",
        "BinaryFocalCrossentropy",
        "binary_focal",
        "same for 0/1 labels; Keras's alpha acts only with apply_class_balancing=True (losslab: "
        f"alpha=None is off), Keras goes through clipped probabilities even from logits; {_CLIPS_Q}",
        from_logits=False,
    ),
    _kn(
        "categorical_crossentropy",
        "CategoricalCrossentropy",
        "categorical_crossentropy",
        f"same; Keras renormalises probability rows, losslab checks they sum to 1; {_CLIPS_Q}",
        from_logits=False,
    ),
    _kn(
        "sparse_categorical_crossentropy",
        "SparseCategoricalCrossentropy",
        "categorical_crossentropy",
        "same; Keras's ignore_class is ignore_index",
        from_logits=False,
    ),
    _kn(
        "categorical_focal_crossentropy",
        "CategoricalFocalCrossentropy",
        "categorical_focal",
        f"same; {_CLIPS_Q}",
        from_logits=False,
        alpha=0.25,
    ),
    _kn(
        "categorical_generalized_cross_entropy",
        "CategoricalGeneralizedCrossEntropy",
        "generalized_cross_entropy",
        "same for integer labels (n,) and probability rows; Keras's own broadcasts (n, 1) labels to an "
        "(n, n) result, losslab takes them (and one-hot rows)",
        from_logits=False,
        q=0.5,
    ),
    _kn(
        "cosine_similarity",
        "CosineSimilarity",
        "cosine_similarity",
        "same for rows with 1e-7 ≤ ‖x‖ ≲ 1e154 (Keras floors the norm at 1e-7, and its Σx² "
        "overflows beyond); losslab rejects zero rows",
    ),
    _kn(
        "dice",
        "Dice",
        "dice",
        f"same, {_AXIS_NOTE}",
        from_logits=False,
    ),
    _kn(
        "tversky",
        "Tversky",
        "tversky",
        "same as documented (α weighs false positives; Keras ≤ 3.15.1 computes it with α and β "
        f"swapped, keras-team/keras#23333), {_AXIS_NOTE}",
        from_logits=False,
    ),
    _kn(
        "ctc",
        "CTC",
        "ctc",
        "same; y_true the labels padded with the blank 0 (lengths inferred), y_pred (n, T, C) logits, "
        "all T steps (losslab.targets.Sequences for lengths and another blank)",
    ),
    _kn(
        "circle",
        "Circle",
        "circle",
        "same per sample (y_true integer labels, y_pred the unit embeddings); Keras's mean skips rows "
        "of value 0, this face divides by n; the labels are mined in NumPy: the PyTorch backend and "
        "eager JAX; model.fit under the JAX backend (which traces y_true) raises a clear error",
    ),
    _kn(
        "kl_divergence",
        "KLDivergence",
        "kl_divergence",
        "same for targets > 0; Keras clips both arguments to [1e-7, 1] (a zero target adds ≈1e-7·log 1e-7)",
        short=("kld",),
        from_logits=False,
    ),
)

#: Keras losses losslab has under the same name with another definition (the name keeps losslab's
#: meaning in this face), with the difference in words.
KERAS_DIFFERS: MappingProxyType[str, str] = MappingProxyType(
    {
        "poisson": "Keras's y_pred is the mean μ, μ − y log(μ + 1e-7); losslab's `poisson` takes log μ "
        "(a linear last layer, not an exponential one) and is the half deviance, + y log y − y: same "
        "gradients in the model's weights",
        "mean_absolute_percentage_error": "Keras's (and its `mape`) is ×100 and divides by max(abs(y), "
        "1e-7); losslab's `mape` is a fraction and checks y ≠ 0",
        "categorical_hinge": "Keras's max(0, 1 + max_j (1 − t_j) f_j − f_y) has 0 inside the max; losslab's "
        "`multiclass_hinge` (Crammer–Singer) takes the best wrong class only",
    }
)

#: Keras losses with no losslab counterpart yet.
KERAS_MISSING: tuple[str, ...] = ()


def names_table() -> str:
    """The Markdown table of Keras's loss names in this face (docs/frameworks.md shows it)."""
    rows = ["| Keras | losslab | Keras's defaults applied | differences |", "| --- | --- | --- | --- |"]
    for e in KERAS_NAMES:
        names = ", ".join(f"`{n}`" for n in (e.function, e.cls, *e.short))
        defaults = ", ".join(f"`{k}={v!r}`" for k, v in e.defaults.items()) or "—"
        rows.append(f"| {names} | `{e.loss}` | {defaults} | {e.note} |")
    for name, note in KERAS_DIFFERS.items():
        rows.append(f"| `{name}` | not mapped | — | {note} |")
    if KERAS_MISSING:
        rows.append(f"| {', '.join(f'`{n}`' for n in KERAS_MISSING)} | none yet | — | — |")
    return "\n".join(rows) + "\n"


_BY_NAME: dict[str, KerasName] = {}
for _k in KERAS_NAMES:
    for _key in (_k.function, _k.cls, *_k.short):
        _BY_NAME[_key] = _BY_NAME[_key.lower()] = _k


def keras_name(spec: Any) -> KerasName | None:
    """The `KerasName` entry for a Keras name (any spelling ``keras.losses.get`` accepts), or None."""
    if isinstance(spec, dict):
        spec = spec.get("name")
    if not isinstance(spec, str):
        return None
    return _BY_NAME.get(spec) or _BY_NAME.get(spec.lower().replace("-", "_"))


def _build(spec: Any, params: dict[str, Any]) -> _Loss:
    """``losslab.get(spec, **params)`` with Keras's defaults when ``spec`` is a Keras name."""
    entry = keras_name(spec)
    if entry is None:
        try:
            return get(spec, **params)
        except UnknownLossError as exc:
            differs = KERAS_DIFFERS.get(spec) if isinstance(spec, str) else None
            if differs is None:
                raise
            raise UnknownLossError(f"{exc} Keras's {spec!r} is not a losslab loss: {differs}.") from None
    given = dict(spec) if isinstance(spec, dict) else {}
    given.pop("name", None)
    return get(entry.loss, **{**entry.defaults, **given, **params})


@keras.saving.register_keras_serializable(package=_PACKAGE, name="Loss")
class Loss(keras.losses.Loss):
    r"""A losslab loss as a ``keras.losses.Loss``: ``loss(y_true, y_pred, sample_weight=None)``.

    Parameters
    ----------
    spec : str, dict or losslab.Loss
        The loss: a registered name or alias (``"huber"``), a Keras name (``"binary_crossentropy"``,
        ``"SparseCategoricalCrossentropy"``, ``"kld"``: Keras's defaults, see `KERAS_NAMES`), a dict
        (``{"name": "quantile", "quantile": 0.9}``) or an instance (taken as it is).
    reduction : {"sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None}
        Keras's: ``"sum_over_batch_size"`` (and ``"mean"``) is Σwℓ/n over the per-sample values,
        ``"mean_with_sample_weight"`` is Σwℓ/Σw (losslab's own ``"mean"``), ``"sum"`` Σwℓ,
        ``"none"``/None the per-sample values wℓ.
    name : str, optional
        Keras's name of the loss object (default: the losslab name).
    dtype : str, optional
        Keras's compute dtype (default ``keras.backend.floatx()``).
    check : bool
        losslab's data-dependent checks (NaN, domains) on eager calls; they are skipped
        automatically under ``jax.jit`` (Keras's JAX trainer), and cost a host sync per step
        under the PyTorch backend.
    axis : int or tuple of int, optional
        Keras's argument of the segmentation losses (``Dice``, ``Tversky``): the axes the overlap
        sums run over, the others kept as separate values. None (Keras's default) sums over the
        whole batch: one value, whose gradient couples the images; ``(1, 2, 3)`` gives one value
        per (H, W, C) image, losslab's own per-row form; ``(1, 2)`` one per image and class.
    **params
        Hyper-parameters of the loss (``delta=1.5``); they override a Keras name's defaults.

    Notes
    -----
    Per-sample values follow Keras: for an elementwise loss the mean over the last axis of
    y_pred (``(n, 1)`` model outputs give ``(n,)``; y_true ``(n,)`` is matched to ``(n, 1)`` as
    Keras does); for a loss with one row of k scores per sample (cross-entropy, KL), one value
    per row, with y_true as class indices ``(n,)`` or ``(n, 1)`` or as probability rows
    ``(n, k)``. Leading axes beyond the batch (sequences) are kept.

    The object is serialisable (``get_config``/``from_config``, registered with
    ``keras.saving.register_keras_serializable(package="losslab")``), so a compiled model saved
    with ``model.save("m.keras")`` loads with ``keras.saving.load_model``.
    """

    #: set on the generated named classes (``losslab.keras.Huber``): the loss they build
    _entry: ClassVar[tuple[str, dict[str, Any]] | None] = None

    def __init__(
        self,
        spec: Any,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        check: bool = True,
        axis: Any = None,
        **params: Any,
    ) -> None:
        lo = _build(spec, params)
        super().__init__(name=name or lo.name, reduction=reduction, dtype=dtype)
        self.loss: _Loss = lo
        self.check = bool(check)
        self.axis = _axis(lo, axis)

    def _checks(self) -> bool:
        """Check the data, except while Keras infers output shapes (``compute_output_spec``: under
        the PyTorch backend it calls the loss on tensors of ones, which are no class
        probabilities, so a checked target would refuse the model's build)."""
        return self.check and not _in_symbolic_scope()

    # -- Keras's Loss protocol -----------------------------------------------------------------
    def call(self, y_true: Any, y_pred: Any) -> Any:
        """Per-sample values (Keras's shapes); Keras's ``__call__`` weights and reduces them."""
        try:
            return self._call(y_true, y_pred)
        except Exception as exc:
            # JAX's "a traced value was needed as a concrete one" errors, raised by a loss that
            # reads its labels' values on the host (the in-batch mining of the embedding losses)
            if type(exc).__name__ not in _JAX_CONCRETE_ERRORS:
                raise
            raise UnsupportedError(
                f"loss {self.loss.name!r} needs the values of y_true (it reads its labels on the host), "
                "which Keras's JAX backend traces in its train step (also with jit_compile=False): train "
                "with the PyTorch backend, or call the loss outside model.fit."
            ) from exc

    def _call(self, y_true: Any, y_pred: Any) -> Any:
        if self.loss.info.task == Task.SEGMENTATION:
            return self._overlap(y_true, y_pred)
        if self.loss.target_type is not None and self.loss.target_type.PRED_NDIM is not None:
            # a target that fixes y_pred's layout takes Keras's arrays as they are (CTC: Keras's
            # packing, labels (n, S) padded with the blank 0, y_pred (n, T, C))
            return self.loss(y_true, y_pred, reduction="none", check=self._checks())
        if self.loss.multiclass:
            return self._per_row(y_true, y_pred)
        return self._elementwise(y_true, y_pred)

    def get_config(self) -> dict[str, Any]:
        """Keras's config plus the losslab loss as a dict (``Loss.to_dict``) and ``check``."""
        config = super().get_config()
        config.update(loss=self.loss.to_dict(), check=self._checks())
        if self.loss.info.task == Task.SEGMENTATION:
            config["axis"] = None if self.axis is None else list(self.axis)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """Rebuild from `get_config`'s dict (every parameter is explicit there)."""
        config = dict(config)
        spec = dict(config.pop("loss"))
        if cls._entry is None:
            return cls(spec, **config)
        spec.pop("name", None)
        return cls(**spec, **config)

    def __repr__(self) -> str:
        return f"losslab.keras.{type(self).__name__}({self.loss!r}, reduction={self.reduction!r})"

    # -- shapes ----------------------------------------------------------------------------------
    def _elementwise(self, y_true: Any, y_pred: Any) -> Any:
        xp = array_namespace(y_pred)  # the backend's arrays: keras.ops.mean rounds float64 under JAX
        ts, fs = tuple(y_true.shape), tuple(y_pred.shape)
        # Keras's rule (squeeze_or_expand_to_same_rank): ranks one apart with a trailing 1
        if len(fs) == len(ts) + 1 and fs[-1] == 1:
            y_true = xp.expand_dims(y_true, axis=-1) if len(ts) == 1 else y_true
            y_pred = y_pred if len(ts) == 1 else xp.squeeze(y_pred, axis=-1)
        elif len(ts) == len(fs) + 1 and ts[-1] == 1:
            y_pred = xp.expand_dims(y_pred, axis=-1) if len(fs) == 1 else y_pred
            y_true = y_true if len(fs) == 1 else xp.squeeze(y_true, axis=-1)
        if tuple(y_true.shape) != tuple(y_pred.shape) or not fs:
            raise ShapeError(
                f"y_true and y_pred for loss {self.loss.name!r} (losslab.keras) must have the same shape "
                f"(or differ by a trailing axis of 1, as Keras allows), with a batch axis; got y_true {ts} "
                f"and y_pred {fs}."
            )
        v = self.loss(y_true, y_pred, reduction="none", check=self._checks())
        return xp.mean(v, axis=-1)  # Keras's per-sample value: the mean over the last axis

    def _per_row(self, y_true: Any, y_pred: Any) -> Any:
        xp = array_namespace(y_pred)
        ts, fs = tuple(y_true.shape), tuple(y_pred.shape)
        if len(fs) < 1 or fs[-1] < 2:
            raise ShapeError(
                f"y_pred for loss {self.loss.name!r} (losslab.keras) must have one column per class "
                f"(shape (..., k), k ≥ 2); got shape {fs}."
            )
        k, lead = fs[-1], fs[:-1]
        if ts == (*lead, 1):
            y_true, ts = xp.squeeze(y_true, axis=-1), lead  # sparse labels as a column
        if ts not in (lead, fs):
            raise ShapeError(
                f"y_true for loss {self.loss.name!r} (losslab.keras) must have shape {lead} or "
                f"{(*lead, 1)} (class indices) or {fs} (one row of probabilities per sample) to match "
                f"y_pred of shape {fs}; got shape {tuple(y_true.shape)}."
            )
        if len(lead) == 1:
            return self.loss(y_true, y_pred, reduction="none", check=self._checks())
        f = xp.reshape(y_pred, (-1, k))
        t = xp.reshape(y_true, (-1, k) if ts == fs else (-1,))
        return xp.reshape(self.loss(t, f, reduction="none", check=self._checks()), lead)

    def _overlap(self, y_true: Any, y_pred: Any) -> Any:
        """Keras's ``axis`` for the segmentation losses: the axes summed over become one row
        each (in their order, so a class axis that is the last of them stays channels-last), the
        other axes are kept; None sums over every axis (one value for the batch, Keras's default)."""
        xp = array_namespace(y_pred)
        ts, fs = tuple(y_true.shape), tuple(y_pred.shape)
        if ts != fs:
            raise ShapeError(
                f"y_true and y_pred for loss {self.loss.name!r} (losslab.keras) must have the same shape "
                f"(a mask value per predicted value); got y_true {ts} and y_pred {fs}."
            )
        nd = len(fs)
        summed = tuple(range(nd)) if self.axis is None else tuple(sorted({a % nd for a in self.axis}))
        kept = tuple(a for a in range(nd) if a not in summed)
        order = (*kept, *summed)
        lead = tuple(fs[a] for a in kept)
        rows = 1
        for k in lead:
            rows *= k
        if order != tuple(range(nd)):
            y_true, y_pred = xp.permute_dims(y_true, order), xp.permute_dims(y_pred, order)
        f = xp.reshape(y_pred, (rows, -1))
        t = xp.reshape(xp.astype(y_true, y_pred.dtype), (rows, -1))
        return xp.reshape(self.loss(t, f, reduction="none", check=self._checks()), lead)


def _axis(lo: _Loss, axis: Any) -> tuple[int, ...] | None:
    """Keras's ``axis`` of a segmentation loss as a tuple (None: every axis)."""
    if axis is None:
        return None
    if lo.info.task != Task.SEGMENTATION:
        raise ParameterError(
            f"axis is Keras's argument of the segmentation losses (Dice, Tversky); loss {lo.name!r} "
            f"takes none; got axis={axis!r}."
        )
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        raise ParameterError(
            f"axis of loss {lo.name!r} (losslab.keras) must be None, an int or a non-empty tuple of "
            f"ints (Keras's); got {axis!r}."
        )
    return axes


# -- named classes, generated from the registry -----------------------------------------------------
_NAMED: dict[str, type[Loss]] = {}


def _named_class(
    class_name: str, loss_name: str, defaults: dict[str, Any], keras_entry: KerasName | None
) -> type[Loss]:
    cls = loss_class(loss_name)
    defaults = {**{p.name: p.default for p in cls.PARAMS}, **defaults}

    def __init__(
        self: Loss,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        check: bool = True,
        **params: Any,
    ) -> None:
        Loss.__init__(
            self,
            loss_name,
            reduction=reduction,
            name=name,
            dtype=dtype,
            check=check,
            **{**defaults, **params},
        )

    kw = inspect.Parameter.KEYWORD_ONLY
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
            *(inspect.Parameter(k, kw, default=v) for k, v in defaults.items()),
            inspect.Parameter("reduction", kw, default="sum_over_batch_size"),
            inspect.Parameter("name", kw, default=None),
            inspect.Parameter("dtype", kw, default=None),
            inspect.Parameter("check", kw, default=True),
            *([inspect.Parameter("axis", kw, default=None)] if cls.INFO.task == Task.SEGMENTATION else []),
        ]
    )
    head = (cls.__doc__ or loss_name).strip().splitlines()[0]
    origin = (
        f"Keras's ``keras.losses.{keras_entry.cls}`` as losslab's {loss_name!r} ({keras_entry.note})"
        if keras_entry
        else f"losslab's {loss_name!r} loss"
    )
    doc = (
        f"{head}\n\n{origin} as a ``keras.losses.Loss``; hyper-parameters are keyword-only: "
        f"{', '.join(f'{k}={v!r}' for k, v in defaults.items()) or 'none'}. See `losslab.keras.Loss`."
    )
    new = type(
        class_name,
        (Loss,),
        {"__init__": __init__, "__doc__": doc, "__module__": __name__, "_entry": (loss_name, defaults)},
    )
    new.__qualname__ = class_name
    return keras.saving.register_keras_serializable(package=_PACKAGE, name=class_name)(new)


def _refresh() -> None:
    """Named classes for every registered per-sample loss not yet covered (custom ones too)."""
    for entry in KERAS_NAMES:
        if entry.cls not in _NAMED:
            _NAMED[entry.cls] = _named_class(entry.cls, entry.loss, dict(entry.defaults), entry)
    for loss_name in list_losses():
        cls = loss_class(loss_name)
        class_name = cls.__name__
        if class_name in _NAMED or not class_name.isidentifier() or class_name in globals():
            continue  # a Keras class of the same name (Keras's defaults) comes first
        _NAMED[class_name] = _named_class(class_name, loss_name, {}, None)


_refresh()


def __getattr__(name: str) -> type[Loss]:
    if name.startswith("_"):
        raise AttributeError(f"module 'losslab.keras' has no attribute {name!r}")
    if name not in _NAMED:
        _refresh()  # a loss registered after the import (losslab.custom)
    try:
        return _NAMED[name]
    except KeyError:
        raise AttributeError(
            f"module 'losslab.keras' has no attribute {name!r}; named classes are the losslab class names "
            f"and Keras's ({', '.join(sorted(_NAMED)[:6])} …), or use losslab.keras.Loss(name)."
        ) from None


def __dir__() -> list[str]:
    _refresh()
    return sorted({*globals(), *_NAMED})


del _k, _key
