"""The contract's one extension for targets that are not one number per row.

A loss whose ``y_true`` is structured declares ``target_type``, a subclass of `Structured`:

- `Survival`: a time and an event flag per row (Cox's partial likelihood);
- `Bounds`: an interval ``[lower, upper]`` per row: exact (lower = upper), left (lower = −∞),
  right (upper = +∞) or interval censored (AFT, Tobit);
- `Ranking`: a relevance grade and a query (group) id per row, the rows of a query adjacent;
- `Ordinal`: ordered labels with known levels (level names optional).

The deep-learning catalogue adds its kinds (pairs, embeddings with labels, sequences) here, as
further subclasses; there is no second mechanism.

What stays the same
    ``y_pred`` is the model's raw output, one row per row of the target (shape (n,) or (n, k));
    ``sample_weight`` has one weight per row; ``reduction="none"`` returns one value per row,
    ``"mean"`` is Σwℓ/Σw and ``"sum"`` Σwℓ.

What a structured loss adds
    A target object. ``loss(Survival(time, event), f)``; plain forms are accepted where they are
    unambiguous (see each class's `coerce`: an (n, 2) array, scikit-survival's structured array,
    a 1-D array of exact values for `Bounds`, integer codes for `Ordinal`).

Coupled losses (``Loss.coupled = True``: Cox, ranking) let rows interact: row i's value depends
on other rows' scores. Their per-row values are a decomposition that sums to the total; their
gradient and Hessian are those of the weighted total, ``∂(Σⱼ wⱼℓⱼ)/∂fᵢ`` and its diagonal
``∂²(Σⱼ wⱼℓⱼ)/∂fᵢ²`` — which for an uncoupled loss is exactly ``wᵢ·∂ℓᵢ/∂fᵢ``, the rule every loss
follows, so boosting libraries receive the same thing from both kinds. A coupled loss's kernels
see the weights as ``t.weight`` (None when unweighted) and apply them themselves.

Errors: a malformed target (lower > upper, an event flag outside {0, 1}, a query whose rows are
not adjacent, an unknown level, fields of different lengths) raises `DomainError` or
`ShapeError` naming the loss, the field, the row and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np

from .errors import DomainError, DTypeError, ShapeError
from .xp import device, is_array, is_tracing, to_numpy

__all__ = ["Bounds", "Ordinal", "Ranking", "Structured", "Survival", "TargetKind", "is_structured"]


class TargetKind(StrEnum):
    """What a structured target holds."""

    SURVIVAL = "survival"  # time + event
    BOUNDS = "bounds"  # lower and upper bound (censored values)
    RANKING = "ranking"  # relevance + query id
    ORDINAL = "ordinal"  # ordered labels with known levels


def is_structured(y: Any) -> bool:
    """True for a `Structured` target."""
    return isinstance(y, Structured)


def _column(loss_name: str, cls: str, name: str, x: Any, *, integer: bool = False) -> np.ndarray:
    """One field as a 1-D NumPy array (floats, or integers for ids, flags and codes)."""
    if x is None:
        raise ShapeError(f"{cls}.{name} for loss {loss_name!r} is missing.")
    a = to_numpy(x) if is_array(x) else np.asarray(x)
    if a.ndim != 1:
        raise ShapeError(
            f"{cls}.{name} for loss {loss_name!r} must be one-dimensional (one entry per row); got "
            f"shape {a.shape}."
        )
    if integer:
        if a.dtype.kind == "b":
            return a.astype(np.int64)
        if a.dtype.kind == "f":
            whole = np.isfinite(a) & (a == np.round(a))
            if not whole.all():
                i = int(np.argmin(whole))
                raise DomainError(
                    f"{cls}.{name} for loss {loss_name!r} must hold whole numbers; got {a[i].item()!r} "
                    f"at row {i}."
                )
            return a.astype(np.int64)
        if a.dtype.kind not in "iu":
            raise DTypeError(
                f"{cls}.{name} for loss {loss_name!r} must hold integers; got an array of dtype {a.dtype}."
            )
        return a.astype(np.int64, copy=False)
    if a.dtype.kind not in "biuf":
        raise DTypeError(
            f"{cls}.{name} for loss {loss_name!r} must hold real numbers; got an array of dtype {a.dtype}."
        )
    return a.astype(np.float64, copy=False) if a.dtype.kind != "f" else a


def _bad(loss_name: str, what: str, x: np.ndarray, bad: np.ndarray, expected: str) -> None:
    if not bad.any():
        return
    i = int(np.argmax(bad))
    n = int(bad.sum())
    raise DomainError(
        f"{what} for loss {loss_name!r} must be {expected}; got {x[i].item()!r} at row {i} "
        f"({n} {'row' if n == 1 else 'rows'} out of range)."
    )


@dataclass(frozen=True, eq=False)
class Structured:
    """Base of the structured targets: named fields, each an array with one entry per row.

    Subclasses are frozen dataclasses whose fields are the per-row arrays followed by
    ``weight: Any = None``; they declare ``kind``, the integer fields in ``INTEGER`` and
    implement `check`. The base gives the row count, row selection (`take`, for
    cross-validation folds) and the conversion of float fields to ``y_pred``'s array
    library, dtype and device (`to`).
    ``weight`` is filled by the base class from ``sample_weight`` for coupled losses.
    """

    kind: ClassVar[TargetKind]
    INTEGER: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def data_fields(cls) -> tuple[str, ...]:
        """The per-row fields, in order (every dataclass field but ``weight``)."""
        return tuple(f.name for f in fields(cls) if f.name != "weight")

    def __len__(self) -> int:
        return int(np.shape(getattr(self, self.data_fields()[0]))[0])

    def normalised(self, loss_name: str = "?") -> Structured:
        """This target with every field a 1-D NumPy array of one length (floats or integers)."""
        cls = type(self).__name__
        cols = {
            n: _column(loss_name, cls, n, getattr(self, n), integer=n in self.INTEGER)
            for n in self.data_fields()
        }
        lengths = {n: c.shape[0] for n, c in cols.items()}
        if len(set(lengths.values())) > 1:
            raise ShapeError(
                f"the fields of {cls} for loss {loss_name!r} must have one entry per row each; got "
                + ", ".join(f"{n}: {k}" for n, k in lengths.items())
                + "."
            )
        return replace(self, **cols)

    def check(self, loss_name: str) -> None:
        """Raise `DomainError` if the (normalised) target is malformed."""

    def take(self, rows: Any) -> Structured:
        """The rows ``rows`` (indices or a boolean mask), as a target of the same kind."""
        rows = np.asarray(rows)
        return replace(self, **{n: np.asarray(getattr(self, n))[rows] for n in self.data_fields()})

    def to(self, xp: Any, like: Any) -> Structured:
        """Float fields as arrays of ``like``'s library, dtype and device; integer fields as
        int64 arrays of that library (NumPy arrays for JAX, so that jit and grad see the
        structure — query ids, event flags, level codes — as static)."""
        out = {}
        jax_like = is_tracing(like) or type(like).__module__.startswith("jax")
        for n in self.data_fields():
            a = to_numpy(getattr(self, n))
            if n in self.INTEGER and jax_like:
                out[n] = a  # structure (ids, flags, codes) stays static under JAX transformations
                continue
            if isinstance(like, np.ndarray) or jax_like:
                arr = xp.asarray(a)  # under a JAX trace: a concrete constant, not a traced copy
            else:
                arr = xp.asarray(a, device=device(like))
            out[n] = arr if n in self.INTEGER else xp.astype(arr, like.dtype)
        return replace(self, **out)

    def numpy(self) -> dict[str, np.ndarray]:
        """The fields as NumPy arrays (for bridges and metrics)."""
        return {n: to_numpy(getattr(self, n)) for n in self.data_fields()}

    @classmethod
    def coerce(cls, loss: Any, y: Any) -> Structured:
        """``y`` as this kind of target: an instance is taken as it is; subclasses accept the
        plain forms they document."""
        if isinstance(y, cls):
            return y
        raise DTypeError(
            f"y_true for loss {loss.name!r} must be a losslab {cls.__name__} target "
            f"(losslab.targets.{cls.__name__}); got {type(y).__name__}."
        )


def _two_columns(loss: Any, cls: type, y: Any, names: tuple[str, str]) -> tuple[Any, Any] | None:
    """(a, b) from an (n, 2) array or a NumPy structured array with the two named fields."""
    a = np.asarray(y) if not is_array(y) else to_numpy(y)
    if a.dtype.names:
        lowered = {n.lower(): n for n in a.dtype.names}
        return tuple(a[lowered[k]] for k in names) if all(k in lowered for k in names) else None
    if a.ndim == 2 and a.shape[1] == 2:
        return a[:, 0], a[:, 1]
    return None


@dataclass(frozen=True, eq=False)
class Survival(Structured):
    """Right-censored survival times: ``time`` > 0 and ``event`` (1 observed, 0 censored).

    Plain forms `coerce` accepts: an (n, 2) array ``[time, event]``, and scikit-survival's
    structured array (fields ``event`` and ``time``, as ``sksurv.util.Surv`` builds it).

    >>> from losslab.targets import Survival
    >>> len(Survival([2.0, 3.5, 1.0], [1, 0, 1]))
    3
    """

    kind: ClassVar[TargetKind] = TargetKind.SURVIVAL
    INTEGER: ClassVar[frozenset[str]] = frozenset({"event"})
    time: Any = None
    event: Any = None
    weight: Any = None

    def check(self, loss_name: str) -> None:
        t, e = np.asarray(self.time), np.asarray(self.event)
        with np.errstate(invalid="ignore"):
            _bad(loss_name, "Survival.time", t, ~(np.isfinite(t) & (t > 0)), "finite and > 0")
        _bad(loss_name, "Survival.event", e, (e != 0) & (e != 1), "0 (censored) or 1 (observed)")

    @classmethod
    def coerce(cls, loss: Any, y: Any) -> Structured:
        if isinstance(y, cls):
            return y
        cols = None if isinstance(y, Structured) else _two_columns(loss, cls, y, ("time", "event"))
        if cols is None:
            return super().coerce(loss, y)
        a = np.asarray(y) if not is_array(y) else to_numpy(y)
        return cls(*cols) if not a.dtype.names else cls(time=cols[0], event=cols[1])

    def bounds(self) -> Bounds:
        """The same data as `Bounds`: observed ``[t, t]``, censored ``[t, +∞)``."""
        t = np.asarray(self.time, dtype=np.float64)
        upper = np.where(np.asarray(self.event) == 1, t, np.inf)
        return Bounds(t, upper, weight=self.weight)


@dataclass(frozen=True, eq=False)
class Bounds(Structured):
    """A value known to lie in ``[lower, upper]`` per row: exact where ``lower == upper``, left
    censored where ``lower = −∞`` (or 0 for times), right censored where ``upper = +∞``,
    interval censored otherwise (XGBoost's ``label_lower_bound``/``label_upper_bound``).

    Plain forms `coerce` accepts: an (n, 2) array ``[lower, upper]``, a 1-D array of exact
    values, and a `Survival` target.

    >>> import numpy as np
    >>> from losslab.targets import Bounds
    >>> b = Bounds([1.0, 2.0, -np.inf], [1.0, np.inf, 0.5])
    >>> b.exact.tolist(), b.censoring().tolist()
    ([True, False, False], ['exact', 'right', 'left'])
    """

    kind: ClassVar[TargetKind] = TargetKind.BOUNDS
    lower: Any = None
    upper: Any = None
    weight: Any = None

    def check(self, loss_name: str) -> None:
        lo, hi = np.asarray(self.lower), np.asarray(self.upper)
        _bad(
            loss_name, "Bounds.lower", lo, np.isnan(lo) | (lo == np.inf), "a number or -inf (not NaN or +inf)"
        )
        _bad(
            loss_name,
            "Bounds.upper",
            hi,
            np.isnan(hi) | (hi == -np.inf),
            "a number or +inf (not NaN or -inf)",
        )
        _bad(loss_name, "Bounds.lower", lo, lo > hi, "<= Bounds.upper of its row")

    @property
    def exact(self) -> np.ndarray:
        """Rows whose value is known exactly."""
        return np.asarray(self.lower) == np.asarray(self.upper)

    def censoring(self) -> np.ndarray:
        """Per row: ``"exact"``, ``"left"``, ``"right"`` or ``"interval"``."""
        lo, hi = np.asarray(self.lower), np.asarray(self.upper)
        return np.select([lo == hi, np.isneginf(lo), np.isposinf(hi)], ["exact", "left", "right"], "interval")

    @classmethod
    def coerce(cls, loss: Any, y: Any) -> Structured:
        if isinstance(y, cls):
            return y
        if isinstance(y, Survival):
            return y.bounds()
        if isinstance(y, Structured):
            return super().coerce(loss, y)
        a = np.asarray(y) if not is_array(y) else to_numpy(y)
        if a.ndim == 1 and not a.dtype.names:
            return cls(a, a)
        cols = _two_columns(loss, cls, y, ("lower", "upper"))
        if cols is None:
            raise ShapeError(
                f"y_true for loss {loss.name!r} must be a Bounds target, an (n, 2) array [lower, upper] "
                f"or a 1-D array of exact values; got shape {a.shape}."
            )
        return cls(*cols)


@dataclass(frozen=True, eq=False)
class Ranking(Structured):
    """Relevance grades with the query (group) each row belongs to; a query's rows adjacent.

    ``relevance`` ≥ 0 (graded: 0, 1, 2 …; NDCG uses 2^rel − 1); ``group`` an integer id per row.
    `from_sizes` builds it from the group sizes XGBoost and LightGBM take.

    >>> from losslab.targets import Ranking
    >>> r = Ranking.from_sizes([2, 0, 1, 1, 0], [3, 2])
    >>> r.group.tolist(), r.sizes().tolist()
    ([0, 0, 0, 1, 1], [3, 2])
    """

    kind: ClassVar[TargetKind] = TargetKind.RANKING
    INTEGER: ClassVar[frozenset[str]] = frozenset({"group"})
    relevance: Any = None
    group: Any = None
    weight: Any = None

    def check(self, loss_name: str) -> None:
        rel, g = np.asarray(self.relevance), to_numpy(self.group)
        with np.errstate(invalid="ignore"):
            _bad(loss_name, "Ranking.relevance", rel, ~(np.isfinite(rel) & (rel >= 0)), "finite and >= 0")
        if g.size == 0:
            return
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        ids = g[starts]
        if np.unique(ids).size != ids.size:
            seen: set[int] = set()
            for s, q in zip(starts, ids, strict=True):
                if int(q) in seen:
                    raise DomainError(
                        f"Ranking.group for loss {loss_name!r} must keep each query's rows adjacent "
                        f"(sorted by query); query {int(q)} appears again at row {int(s)}. Sort the "
                        "rows by query id first."
                    )
                seen.add(int(q))

    def starts(self) -> np.ndarray:
        """Row offsets of the queries, with the total row count appended (length queries + 1)."""
        g = to_numpy(self.group)
        if g.size == 0:
            return np.zeros(1, dtype=np.int64)
        return np.r_[np.flatnonzero(np.r_[True, g[1:] != g[:-1]]), g.shape[0]]

    def sizes(self) -> np.ndarray:
        """Rows per query, in order (XGBoost's ``group``, LightGBM's ``group``)."""
        return np.diff(self.starts())

    @classmethod
    def from_sizes(cls, relevance: Any, sizes: Any) -> Ranking:
        """From relevance grades and the number of rows of each consecutive query."""
        sizes = np.asarray(sizes, dtype=np.int64)
        return cls(relevance=relevance, group=np.repeat(np.arange(sizes.size), sizes))

    def take(self, rows: Any) -> Structured:
        out = super().take(rows)
        out.check("?")  # a fold that splits a query would interleave it with another
        return out

    @classmethod
    def coerce(cls, loss: Any, y: Any) -> Structured:
        if isinstance(y, cls):
            return y
        cols = None if isinstance(y, Structured) else _two_columns(loss, cls, y, ("relevance", "group"))
        if cols is None:
            return super().coerce(loss, y)
        return cls(*cols)


@dataclass(frozen=True, eq=False)
class Ordinal(Structured):
    """Ordered labels: codes 0 … k−1 in ``label``, with ``levels`` naming them (low to high).

    Built from codes (``Ordinal([0, 2, 1], levels=3)``) or from level names in order
    (``Ordinal.from_values(["low", "high"], levels=["low", "mid", "high"])``); a value that is
    not a level is an error. A loss with k levels also accepts integer codes directly.

    >>> from losslab.targets import Ordinal
    >>> Ordinal.from_values(["mid", "low"], levels=["low", "mid", "high"]).label.tolist()
    [1, 0]
    """

    kind: ClassVar[TargetKind] = TargetKind.ORDINAL
    INTEGER: ClassVar[frozenset[str]] = frozenset({"label"})
    label: Any = None
    levels: Any = None  # an int k, or the k level names in order
    weight: Any = None

    @classmethod
    def data_fields(cls) -> tuple[str, ...]:
        return ("label",)

    @property
    def n_levels(self) -> int | None:
        if self.levels is None:
            return None
        return int(self.levels) if isinstance(self.levels, int | np.integer) else len(self.levels)

    def check(self, loss_name: str) -> None:
        lab, k = np.asarray(self.label), self.n_levels
        if k is None:
            return
        _bad(loss_name, "Ordinal.label", lab, (lab < 0) | (lab >= k), f"a level code in 0 … {k - 1}")

    @classmethod
    def from_values(cls, values: Any, levels: Any) -> Ordinal:
        """Codes from level names (or numbers) given in order; an unknown value is an error."""
        levels = list(levels)
        index = {v: i for i, v in enumerate(levels)}
        vals = to_numpy(values) if is_array(values) else np.asarray(values, dtype=object)
        codes = np.empty(vals.shape[0], dtype=np.int64)
        for i, v in enumerate(vals.tolist()):
            if v not in index:
                raise DomainError(f"Ordinal value {v!r} at row {i} is not one of the levels {levels}.")
            codes[i] = index[v]
        return cls(label=codes, levels=tuple(levels))

    @classmethod
    def coerce(cls, loss: Any, y: Any) -> Structured:
        if isinstance(y, cls):
            return y
        if isinstance(y, Structured):
            return super().coerce(loss, y)
        k = getattr(loss, "n_levels", None)
        return cls(label=y, levels=None if k is None else int(k))
