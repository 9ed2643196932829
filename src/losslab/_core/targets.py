"""The contract's one extension for targets that are not one number per row.

A loss whose ``y_true`` is structured declares ``target_type``, a subclass of `Structured`:

- `Survival`: a time and an event flag per row (Cox's partial likelihood);
- `Bounds`: an interval ``[lower, upper]`` per row: exact (lower = upper), left (lower = −∞),
  right (upper = +∞) or interval censored (AFT, Tobit);
- `Ranking`: a relevance grade and a query (group) id per row, the rows of a query adjacent;
- `Ordinal`: ordered labels with known levels (level names optional).

The deep-learning catalogue adds its kinds here, as further subclasses (there is no second
mechanism):

- `Pairs`: a label ±1 per explicit pair, whose two members (two scores, or two embeddings side
  by side) are one row of ``y_pred`` (margin ranking, cosine embedding, contrastive);
- `Embeddings`: a class label per embedding row; the pairs or triplets are mined in the batch,
  as each loss documents (triplet margin, NT-Xent, supervised contrastive);
- `Sequences`: a label sequence per row, padded to a common width, with its length, the
  length of the row's input and the blank class (CTC); ``y_pred`` has one (T, C) matrix of
  scores per row, shape (n, T, C) (`Structured.PRED_NDIM`), and the target is fitted to that
  shape by `Structured.sized`.

Such a loss may declare ``multiclass = True`` for a row layout (n, k) of ``y_pred``: one row per
row of the target, its columns what the loss documents (``[x₁ | x₂]`` for a pair of
d-dimensional embeddings, k = 2d).

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

__all__ = [
    "Bounds",
    "Embeddings",
    "Ordinal",
    "Pairs",
    "Ranking",
    "Sequences",
    "Structured",
    "Survival",
    "TargetKind",
    "is_structured",
]


class TargetKind(StrEnum):
    """What a structured target holds."""

    SURVIVAL = "survival"  # time + event
    BOUNDS = "bounds"  # lower and upper bound (censored values)
    RANKING = "ranking"  # relevance + query id
    ORDINAL = "ordinal"  # ordered labels with known levels
    PAIRS = "pairs"  # a label ±1 per explicit pair (similar / dissimilar, first / second ranked higher)
    EMBEDDINGS = "embeddings"  # a class label per embedding row (pairs, triplets mined in the batch)
    SEQUENCES = "sequences"  # a label sequence per row with its length (CTC)


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
    #: an integer weight k on a row means the same as k copies of the row (False where a copy
    #: would interact with its original: in-batch mining pairs it with itself)
    REPEATS_AS_WEIGHTS: ClassVar[bool] = True
    #: the number of axes of y_pred when the target fixes it (None: (n,), or (n, k) for a loss
    #: with ``multiclass = True``), and the layout in words for the error message
    PRED_NDIM: ClassVar[int | None] = None
    PRED_LAYOUT: ClassVar[str] = ""

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

    def sized(self, loss_name: str, shape: tuple[int, ...]) -> Structured:
        """This (normalised) target fitted to ``y_pred``'s shape: defaults that depend on it
        filled in, and what must agree with it checked (always: it is structure, not data)."""
        return self

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
        # the weights of a coupled loss go along (autodiff moves a target to another library)
        names = (*self.data_fields(), *(("weight",) if self.weight is not None else ()))
        for n in names:
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


def _event_and_time(y: Any) -> tuple[Any, Any] | None:
    """(time, event) of a scikit-survival array whatever its field names (its data sets name them
    ``Status``/``Survival_in_days``, ``fstat``/``lenfol`` …): two fields, one boolean — the event."""
    a = np.asarray(y) if not is_array(y) else to_numpy(y)
    names = a.dtype.names
    if not names or len(names) != 2:
        return None
    flags = [n for n in names if a.dtype[n].kind == "b"]
    if len(flags) != 1:
        return None
    time = next(n for n in names if n != flags[0])
    return a[time], a[flags[0]]


@dataclass(frozen=True, eq=False)
class Survival(Structured):
    """Right-censored survival times: ``time`` > 0 and ``event`` (1 observed, 0 censored).

    Plain forms `coerce` accepts: an (n, 2) array ``[time, event]``, and scikit-survival's
    structured array (fields ``event`` and ``time``, as ``sksurv.util.Surv`` builds it, or any
    two fields one of which is boolean, as its data sets name them).

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
        if cols is None and not isinstance(y, Structured):
            cols = _event_and_time(y)
        if cols is None:
            return super().coerce(loss, y)
        return cls(time=cols[0], event=cols[1])

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
    REPEATS_AS_WEIGHTS: ClassVar[bool] = False  # a copy forms pairs with its original
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


def _plain_labels(cls: type, loss: Any, y: Any) -> Structured | None:
    """``cls(label=y)`` for a plain 1-D array of labels (None for anything else)."""
    if isinstance(y, Structured):
        return None
    a = to_numpy(y) if is_array(y) else np.asarray(y)
    return cls(label=a) if a.ndim == 1 and not a.dtype.names else None


@dataclass(frozen=True, eq=False)
class Pairs(Structured):
    """A label per explicit pair: +1 (similar; or the first member ranked higher) or −1
    (dissimilar; or the second ranked higher). 0 is read as −1 (a 0/1 encoding), but one
    vector may not mix 0 and −1.

    The pair itself is one row of ``y_pred``, laid out as the loss documents: two scores
    ``[x₁, x₂]`` (shape (n, 2), ``margin_ranking``) or two d-dimensional embeddings side by side
    ``[x₁ | x₂]`` (shape (n, 2d), ``cosine_embedding``, ``contrastive``). A plain 1-D array of
    labels is accepted for it.

    >>> from losslab.targets import Pairs
    >>> Pairs([1, -1, 0]).signs().tolist()
    [1, -1, -1]
    """

    kind: ClassVar[TargetKind] = TargetKind.PAIRS
    INTEGER: ClassVar[frozenset[str]] = frozenset({"label"})
    label: Any = None
    weight: Any = None

    def check(self, loss_name: str) -> None:
        lab = np.asarray(self.label)
        _bad(loss_name, "Pairs.label", lab, (lab != 1) & (lab != 0) & (lab != -1), "+1 or -1 (or 0 for -1)")
        if (lab == 0).any() and (lab == -1).any():
            _bad(
                loss_name,
                "Pairs.label",
                lab,
                lab == -1,
                "of one encoding, {0, 1} or {-1, +1} (this one mixes 0 and -1)",
            )

    def signs(self) -> np.ndarray:
        """The labels as +1 / −1 (NumPy)."""
        return np.where(to_numpy(self.label) > 0, 1, -1)

    @classmethod
    def coerce(cls, loss: Any, y: Any) -> Structured:
        if isinstance(y, cls):
            return y
        out = _plain_labels(cls, loss, y)
        return out if out is not None else super().coerce(loss, y)


@dataclass(frozen=True, eq=False)
class Embeddings(Structured):
    """A class label per embedding row (``y_pred`` of shape (n, d)); rows with equal labels are
    positives of each other, the others negatives. The loss mines its pairs or triplets in the
    batch and documents how (all valid ones, the hardest …); a row with no positive or no
    negative in the batch has the value 0. A plain 1-D array of integer labels is accepted.

    >>> from losslab.targets import Embeddings
    >>> Embeddings([0, 0, 1, 1, 2]).positives().sum(axis=1).tolist()
    [1, 1, 1, 1, 0]
    """

    kind: ClassVar[TargetKind] = TargetKind.EMBEDDINGS
    INTEGER: ClassVar[frozenset[str]] = frozenset({"label"})
    REPEATS_AS_WEIGHTS: ClassVar[bool] = False  # a copy of a row is its own positive
    label: Any = None
    weight: Any = None

    def positives(self) -> np.ndarray:
        """(n, n) boolean: j ≠ i has i's label (NumPy)."""
        lab = to_numpy(self.label)
        same = lab[:, None] == lab[None, :]
        np.fill_diagonal(same, False)
        return same

    @classmethod
    def coerce(cls, loss: Any, y: Any) -> Structured:
        if isinstance(y, cls):
            return y
        out = _plain_labels(cls, loss, y)
        return out if out is not None else super().coerce(loss, y)


def _lengths(loss_name: str, name: str, x: Any, n: int) -> np.ndarray:
    """A per-row length field: whole numbers, one per row."""
    a = _column(loss_name, "Sequences", name, x, integer=True)
    if a.shape[0] != n:
        raise ShapeError(
            f"Sequences.{name} for loss {loss_name!r} must have one entry per row of Sequences.labels "
            f"({n} rows); got {a.shape[0]}."
        )
    return a


@dataclass(frozen=True, eq=False)
class Sequences(Structured):
    """A label sequence per row (CTC): ``labels`` of shape (n, S), integer class ids padded to
    the common width S; ``target_length`` (n,), how many of a row's labels count (the rest is
    padding, of any value); ``input_length`` (n,), how many of ``y_pred``'s T time steps the
    row has (default: all T); ``blank``, the class id of the blank (default 0, as
    ``torch.nn.CTCLoss``, ``optax.ctc_loss`` and Keras 3's ``keras.losses.CTC``, whose labels
    are padded with 0; Keras 2's ``ctc_batch_cost`` used the last class).

    ``y_pred`` has shape (n, T, C): one row of C scores per time step (batch first).

    Without ``target_length``, a row's labels end at its first ``blank`` (Keras 3's packing:
    labels padded with the blank 0, so no label may be 0); a plain (n, S) integer array is read
    the same way. `from_lists` pads ragged sequences, `from_paddings` reads optax's padding
    masks. Errors name the field and the row: a label equal to the blank or outside 0 … C−1, a
    length outside its range, fields of different row counts.

    >>> from losslab.targets import Sequences
    >>> s = Sequences.from_lists([[1, 2, 2], [3]])
    >>> s.labels.tolist(), s.target_length.tolist(), s.min_frames().tolist()
    ([[1, 2, 2], [3, 0, 0]], [3, 1], [4, 1])
    >>> Sequences([[1, 2, 0], [3, 0, 0]]).normalised().target_length.tolist()  # Keras's packing
    [2, 1]
    """

    kind: ClassVar[TargetKind] = TargetKind.SEQUENCES
    INTEGER: ClassVar[frozenset[str]] = frozenset({"labels", "target_length", "input_length"})
    PRED_NDIM: ClassVar[int | None] = 3
    PRED_LAYOUT: ClassVar[str] = "({n}, T, n_classes): a row of class scores per time step"
    labels: Any = None
    target_length: Any = None
    input_length: Any = None  # None: every row has all T time steps of y_pred
    blank: int = 0
    weight: Any = None

    @classmethod
    def data_fields(cls) -> tuple[str, ...]:
        return ("labels", "target_length", "input_length")

    def _present(self) -> tuple[str, ...]:
        return tuple(n for n in self.data_fields() if getattr(self, n) is not None)

    def __len__(self) -> int:
        return int(np.shape(self.labels)[0])

    def _traced(self) -> bool:
        return any(is_tracing(getattr(self, n)) for n in self._present())

    def normalised(self, loss_name: str = "?") -> Structured:
        cls = "Sequences"
        if self.labels is None:
            raise ShapeError(f"Sequences.labels for loss {loss_name!r} is missing.")
        if self._traced():
            return self._traced_normalised(loss_name)
        if is_array(self.labels):
            lab = to_numpy(self.labels)
        else:
            try:
                lab = np.asarray(self.labels)
            except ValueError:  # NumPy refuses ragged nested lists
                raise ShapeError(
                    f"Sequences.labels for loss {loss_name!r} must be padded to one width (n, S); got "
                    "sequences of different lengths. Sequences.from_lists(...) pads them and records "
                    "their lengths."
                ) from None
        if lab.ndim != 2:
            raise ShapeError(
                f"Sequences.labels for loss {loss_name!r} must be two-dimensional (n, S): one padded "
                f"label sequence per row; got shape {lab.shape}."
            )
        n, width = lab.shape
        lab = _column(loss_name, cls, "labels", lab.reshape(-1), integer=True).reshape(n, width)
        blank = self.blank
        if isinstance(blank, bool) or not isinstance(blank, int | np.integer) or blank < 0:
            raise DomainError(
                f"Sequences.blank for loss {loss_name!r} must be a class id (an integer >= 0); got {blank!r}."
            )
        blank = int(blank)
        if self.target_length is None:
            # Keras 3's packing: a row's labels end at its first blank
            is_pad = np.concatenate([lab == blank, np.ones((n, 1), dtype=bool)], axis=1)
            tl = np.argmax(is_pad, axis=1).astype(np.int64)
            after = (lab != blank) & (np.arange(width)[None, :] >= tl[:, None])
            if after.any():
                i, j = (int(v) for v in np.argwhere(after)[0])
                raise DomainError(
                    f"Sequences.labels for loss {loss_name!r} without target_length are read as labels "
                    f"padded with the blank {blank} (Keras's packing); row {i} has the label "
                    f"{int(lab[i, j])} at position {j}, after a blank at position {int(tl[i])}. Pass "
                    "target_length, or pad with the blank only at the end."
                )
        else:
            tl = _lengths(loss_name, "target_length", self.target_length, n)
        il = None if self.input_length is None else _lengths(loss_name, "input_length", self.input_length, n)
        _bad(
            loss_name,
            "Sequences.target_length",
            tl,
            (tl < 0) | (tl > width),
            f"in 0 … {width} (labels' width)",
        )
        used = np.arange(width)[None, :] < tl[:, None]
        bad = used & (lab == blank)
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            raise DomainError(
                f"Sequences.labels for loss {loss_name!r} must not contain the blank {blank} within "
                f"target_length; got it at row {i}, position {j} ({int(bad.sum())} such labels)."
            )
        bad = used & (lab < 0)
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            raise DomainError(
                f"Sequences.labels for loss {loss_name!r} must be class ids >= 0; got {int(lab[i, j])} at "
                f"row {i}, position {j}."
            )
        return replace(self, labels=lab, target_length=tl, input_length=il, blank=blank)

    def _traced_normalised(self, loss_name: str) -> Structured:
        """Under a JAX transformation (Keras's jit-compiled training step): the fields as integer
        arrays, lengths inferred as in Keras's packing; the checks need concrete values and are
        skipped, as every data check is under tracing."""
        from .xp import array_namespace

        lab = self.labels
        xp = array_namespace(lab)
        if len(lab.shape) != 2:
            raise ShapeError(
                f"Sequences.labels for loss {loss_name!r} must be two-dimensional (n, S); got shape "
                f"{tuple(lab.shape)}."
            )
        if not xp.isdtype(lab.dtype, "integral"):
            lab = xp.astype(xp.round(lab), xp.int32)  # Keras passes y_true as floats
        tl = self.target_length
        if tl is None:
            pad = xp.concat([lab == int(self.blank), xp.ones_like(lab[:, :1], dtype=xp.bool)], axis=1)
            tl = xp.argmax(xp.astype(pad, xp.int32), axis=1)
        return replace(self, labels=lab, target_length=tl, blank=int(self.blank))

    def sized(self, loss_name: str, shape: tuple[int, ...]) -> Structured:
        _, steps, classes = shape
        if self._traced():
            il = np.full(len(self), steps, dtype=np.int64) if self.input_length is None else self.input_length
            return replace(self, input_length=il)
        lab, tl = np.asarray(self.labels), np.asarray(self.target_length)
        il = np.full(lab.shape[0], steps, dtype=np.int64) if self.input_length is None else self.input_length
        _bad(loss_name, "Sequences.input_length", il, (il < 1) | (il > steps), f"in 1 … {steps} (y_pred's T)")
        if self.blank >= classes:
            raise DomainError(
                f"Sequences.blank for loss {loss_name!r} must be a class of y_pred (0 … {classes - 1}); "
                f"got {self.blank}."
            )
        bad = (np.arange(lab.shape[1])[None, :] < tl[:, None]) & (lab >= classes)
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            raise DomainError(
                f"Sequences.labels for loss {loss_name!r} must be class ids in 0 … {classes - 1} (y_pred "
                f"has {classes} classes); got {int(lab[i, j])} at row {i}, position {j}."
            )
        return replace(self, input_length=il)

    def min_frames(self) -> np.ndarray:  # (concrete fields)
        """Per row, the fewest time steps that can emit its labels: their number plus one per
        pair of equal adjacent labels (a blank must separate them)."""
        lab, tl = np.asarray(self.labels), np.asarray(self.target_length)
        width = lab.shape[1]
        if width < 2:
            return tl.astype(np.int64)
        same = (lab[:, 1:] == lab[:, :-1]) & (np.arange(1, width)[None, :] < tl[:, None])
        return tl.astype(np.int64) + same.sum(axis=1)

    def take(self, rows: Any) -> Structured:
        rows = np.asarray(rows)
        return replace(self, **{n: np.asarray(getattr(self, n))[rows] for n in self._present()})

    def to(self, xp: Any, like: Any) -> Structured:
        # integer fields: NumPy for NumPy and JAX (static under JAX transformations, unless
        # they came traced), y_pred's device for PyTorch; the weights follow y_pred
        jax_like = is_tracing(like) or type(like).__module__.startswith("jax")
        out = {}
        for n in (*self._present(), *(("weight",) if self.weight is not None else ())):
            if is_tracing(getattr(self, n)):
                continue  # traced labels or lengths stay as they are (JAX)
            a = to_numpy(getattr(self, n))
            if n == "weight":
                arr = (
                    xp.asarray(a)
                    if isinstance(like, np.ndarray) or jax_like
                    else xp.asarray(a, device=device(like))
                )
                out[n] = xp.astype(arr, like.dtype)
            elif not (jax_like or isinstance(like, np.ndarray)):
                out[n] = xp.asarray(a, device=device(like))  # torch: on y_pred's device
        return replace(self, **out)

    def numpy(self) -> dict[str, np.ndarray]:
        return {n: to_numpy(getattr(self, n)) for n in self._present()}

    @classmethod
    def from_lists(cls, sequences: Any, *, input_length: Any = None, blank: int = 0) -> Sequences:
        """From ragged label sequences (lists of class ids), padded with ``blank``."""
        seqs = [list(np.asarray(s, dtype=np.int64).reshape(-1)) for s in sequences]
        width = max((len(s) for s in seqs), default=0)
        lab = np.full((len(seqs), width), blank, dtype=np.int64)
        for i, s in enumerate(seqs):
            lab[i, : len(s)] = s
        return cls(lab, np.array([len(s) for s in seqs], dtype=np.int64), input_length, blank)

    @classmethod
    def from_paddings(
        cls, labels: Any, label_paddings: Any, logit_paddings: Any = None, *, blank: int = 0
    ) -> Sequences:
        """From optax's layout: ``label_paddings`` (n, S) and ``logit_paddings`` (n, T) are 1.0
        at padding and 0.0 at the valid entries, which come first."""
        tl = np.sum(np.asarray(label_paddings) == 0, axis=1).astype(np.int64)
        il = (
            None
            if logit_paddings is None
            else np.sum(np.asarray(logit_paddings) == 0, axis=1).astype(np.int64)
        )
        return cls(labels, tl, il, blank)

    @classmethod
    def coerce(cls, loss: Any, y: Any) -> Structured:
        if isinstance(y, cls):
            return y
        if isinstance(y, Structured):
            return super().coerce(loss, y)
        if is_tracing(y) and len(y.shape) == 2:
            return cls(y)  # Keras's packing, traced (its jit-compiled training step)
        a = to_numpy(y) if is_array(y) else np.asarray(y)
        if a.ndim == 2 and a.dtype.kind in "iubf" and not a.dtype.names:
            return cls(a)  # Keras 3's packing: labels padded with the blank 0 (Keras passes floats)
        raise DTypeError(
            f"y_true for loss {loss.name!r} must be a losslab Sequences target (losslab.targets.Sequences) "
            f"or an (n, S) integer array of labels padded with the blank 0 (Keras's packing); got "
            f"{type(y).__name__} of shape {a.shape} and dtype {a.dtype}."
        )
