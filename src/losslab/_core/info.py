"""Machine-readable metadata every loss declares (used by bridges, advisor, plots and docs).

Every field a consumer reads is typed: enumerations (`Task`, `HessianKind`, `Statistic`,
`ParamRole`, `Library`), intervals with a kind (`Domain`), relations to other losses
(`Equivalence`) and per-library conventions (`AnchorRow`). Consumers query these; none parses
words or branches on a loss's name.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from .domains import Domain, DomainKind
from .params import Interval
from .statistic import Estimand, Statistic

__all__ = [
    "HESSIAN_KINDS",
    "TASKS",
    "Anchor",
    "AnchorRow",
    "Equivalence",
    "GradientKind",
    "HessianKind",
    "Library",
    "LinkKind",
    "LossInfo",
    "ParamRole",
    "Task",
    "domain_from",
    "link_kind",
]


class _Words(StrEnum):
    """A str enum that formats and reprs as its text, so messages built with ``!r`` stay as they were."""

    def __repr__(self) -> str:
        return repr(self.value)


class Task(_Words):
    """The prediction problem a loss is for."""

    REGRESSION = "regression"
    BINARY = "binary"
    MULTICLASS = "multiclass"
    MULTILABEL = "multilabel"  # several 0/1 labels per row: y_true (n, k) indicators
    DISTRIBUTION = "distribution"
    SURVIVAL = "survival"  # time to an event, censored (target `_core.targets.Survival`/`Bounds`)
    RANKING = "ranking"  # an order of the rows within each query (target `Ranking`)
    ORDINAL = "ordinal"  # ordered levels (target `Ordinal`, or integer codes)
    # metric learning: y_pred is an embedding, a distance or a pair's scores, not a prediction of
    # y (targets `Pairs`, `Embeddings`, or a ±1 label per distance)
    EMBEDDING = "embedding"
    # overlap of a predicted mask with the true one, one value per image: y_true and y_pred are
    # (n, d) rows, an image's pixels (× classes) flattened (losses/segmentation.py)
    SEGMENTATION = "segmentation"
    SEQUENCE = "sequence"  # a label sequence per input sequence, alignment unknown (CTC; target `Sequences`)


class GradientKind(_Words):
    """What ``loss.gradient`` is."""

    DERIVATIVE = "derivative"  # the derivative of the value (checked against finite differences)
    # a gradient recipe (LambdaRank, XE-NDCG): a descent direction for a metric that has no
    # useful derivative, not the derivative of the reported value
    RECIPE = "recipe"


class HessianKind(_Words):
    """What ``loss.hessian`` returns, for Newton-type optimisers (GBDT)."""

    EXACT = "exact"  # the true second derivative, positive where the loss is strictly convex
    ZERO_ALMOST_EVERYWHERE = "zero_almost_everywhere"  # piecewise linear: 0 except at kinks
    PIECEWISE = "piecewise"  # exact, but 0 on part of the domain (huber outside delta)
    INDEFINITE = "indefinite"  # exact, but negative somewhere (msle, non-convex robust losses)
    # none: ``hessian()`` raises. A coupled loss whose every row's value depends on every row's
    # y_pred (losses mined in a batch: triplet, NT-Xent) has no per-sample Hessian, and the
    # diagonal of its total's Hessian would take one Hessian-vector product per entry
    NONE = "none"


class LinkKind(_Words):
    """The link from raw score to response (``loss.link.kind``; see `losslab.links`)."""

    IDENTITY = "identity"
    LOG = "log"
    LOGIT = "logit"
    HALF_LOGIT = "half_logit"  # response σ(2·raw): the exponential (AdaBoost) loss's probability
    SOFTMAX = "softmax"


class ParamRole(_Words):
    """What a hyper-parameter does, so that callers can set it without knowing its name."""

    LEVEL = "level"  # τ of a quantile or expectile, in (0, 1)
    SCALE = "scale"  # residual size, in y's units, where the loss turns from quadratic to linear
    SHAPE = "shape"  # a shape parameter of a family (Barron's α)
    FOCUSING = "focusing"  # focal γ: down-weights well-classified samples
    VARIANCE_POWER = "variance_power"  # Tweedie p
    MARGIN = "margin"  # margin of a hinge
    TOLERANCE = "tolerance"  # half-width ε of a dead zone in y's units (ε-insensitive losses)
    DISPERSION = "dispersion"  # overdispersion α of a count model (Var = μ + αμ²)
    ZERO_SHARE = "zero_share"  # share π of structural zeros (zero-inflated models)
    INTENSITY = "intensity"  # exposure w of a rate λ: p = 1 − e^{−wλ} (LightGBM's cross_entropy_lambda)


class Library(_Words):
    """The libraries whose conventions losslab documents side by side."""

    PYTORCH = "PyTorch"
    KERAS = "Keras 3"
    OPTAX = "optax"
    SKLEARN = "scikit-learn"


TASKS = tuple(t.value for t in Task)
HESSIAN_KINDS = tuple(h.value for h in HessianKind)


@dataclass(frozen=True)
class Anchor:
    """One library's counterpart of a loss: its API name (None: no single name) and a note."""

    library: Library
    name: str | None = None
    note: str = ""

    def cell(self) -> str:
        """The Markdown table cell (``"`MSELoss`: same"``)."""
        if self.name is None:
            return self.note
        return f"`{self.name}`: {self.note}" if self.note else f"`{self.name}`"


@dataclass(frozen=True)
class AnchorRow:
    """One row of the scaling table in ``docs/conventions.md``.

    ``call`` follows the loss name inside the code span (``"(label_smoothing=ε)"``), ``params``
    after it (``"(δ)"``); ``losslab`` gives the value (and gradient); ``anchors`` the libraries
    that have it (the others get "—").
    """

    losslab: str
    anchors: tuple[Anchor, ...] = ()
    call: str = ""
    params: str = ""

    def cells(self, name: str) -> list[str]:
        label = f"`{name}{self.call}`" + (f" {self.params}" if self.params else "")
        by_lib = {a.library: a.cell() for a in self.anchors}
        return [label, self.losslab, *(by_lib.get(lib, "—") for lib in Library)]


@dataclass(frozen=True)
class Equivalence:
    """``ℓ_self = factor · ℓ_other`` whenever this loss's parameters match ``when``.

    Parameters
    ----------
    other : str
        Registered name of the other loss.
    when : tuple of (name, value)
        This loss's parameters that must have these values.
    carry : tuple of (other's name, this loss's name)
        Parameters of the other loss taken from this one (``("from_logits", "from_logits")``).
    factor : float
        Constant factor; times ``params[factor_param] ** factor_power`` if ``factor_param`` is set.
    fixed : tuple of (name, value)
        Parameters of the other loss at fixed values (``multiclass_perceptron`` is
        ``multiclass_hinge(margin=0)``).

    Equal up to a positive factor means the same minimiser, gradient direction and Newton step.
    """

    other: str
    when: tuple[tuple[str, Any], ...] = ()
    carry: tuple[tuple[str, str], ...] = ()
    factor: float = 1.0
    factor_param: str | None = None
    factor_power: float = 1.0
    fixed: tuple[tuple[str, Any], ...] = ()

    def applies(self, params: dict[str, Any]) -> bool:
        return all(params.get(k) == v for k, v in self.when)

    def other_params(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**dict(self.fixed), **{theirs: params[mine] for theirs, mine in self.carry}}

    def factor_for(self, params: dict[str, Any]) -> float:
        if self.factor_param is None:
            return self.factor
        return self.factor * float(params[self.factor_param]) ** self.factor_power


_REAL = Domain(DomainKind.REAL)


@dataclass(frozen=True, init=False)
class LossInfo:
    """What a loss is for and how it behaves.

    Attributes
    ----------
    task : Task
        ``"regression"``, ``"binary"``, ``"multiclass"`` or ``"distribution"`` (a str enum).
    statistic : Estimand
        The statistic the loss is consistent for, with its level for quantiles and expectiles
        (instances fill the level from their parameters). ``estimates`` is its words.
    y_true, y_pred : Domain
        The domains, as intervals with a kind; ``str(domain)`` gives the words error messages use.
    convex, smooth, robust : bool
        Convex in ``y_pred``; twice continuously differentiable; bounded influence of outliers.
    hessian : HessianKind
        A str enum: ``info.hessian == "exact"`` works.
    gradient : GradientKind
        ``"derivative"`` (every loss but the gradient recipes) or ``"recipe"``: the gradient is
        a descent direction that is not the derivative of the value (LambdaRank). A recipe is
        exempt from the finite-difference and autodiff-parity properties and keeps the others.
    zero_at_perfect : bool
        ℓ(y, y) = 0 and it is the minimum, for losses where ``y_pred`` lives in ``y_true``'s space.
    variance_power : float or None
        p when the loss is the deviance of the Tweedie family whose variance function is
        Var(y | x) ∝ μᵖ (0 squared error, 1 Poisson, 2 Gamma; a Tweedie instance fills in its own
        power); None for a loss that is no such deviance. The advisor matches it to the variance
        power it measures.
    references : tuple of str
    roles : tuple of (ParamRole, parameter name)
        What the hyper-parameters do (the level τ, a residual scale, focal γ …).
    equivalences : tuple of Equivalence
        Parameter values at which this loss is another one up to a factor.
    anchors : tuple of AnchorRow
        The loss's names and scaling in PyTorch, Keras 3, optax and scikit-learn.

    Old-style declarations (``estimates="mean"``, ``y_true="any real number"``) are read once,
    here, into the typed fields.
    """

    task: Task
    statistic: Estimand
    y_true: Domain
    y_pred: Domain
    convex: bool
    smooth: bool
    robust: bool
    hessian: HessianKind
    gradient: GradientKind = GradientKind.DERIVATIVE
    zero_at_perfect: bool = False
    variance_power: float | None = None
    references: tuple[str, ...] = field(default_factory=tuple)
    roles: tuple[tuple[ParamRole, str], ...] = ()
    equivalences: tuple[Equivalence, ...] = ()
    anchors: tuple[AnchorRow, ...] = ()

    def __init__(
        self,
        *,
        task: Task | str,
        statistic: Estimand | Statistic | str | None = None,
        estimates: str | None = None,
        y_true: Domain | str = _REAL,
        y_pred: Domain | str = _REAL,
        convex: bool,
        smooth: bool,
        robust: bool,
        hessian: HessianKind | str,
        gradient: GradientKind | str = GradientKind.DERIVATIVE,
        zero_at_perfect: bool = False,
        variance_power: float | None = None,
        references: tuple[str, ...] = (),
        roles: tuple[tuple[ParamRole | str, str], ...] = (),
        equivalences: tuple[Equivalence, ...] = (),
        anchors: tuple[AnchorRow, ...] = (),
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}; got {task!r}")
        if hessian not in HESSIAN_KINDS:
            raise ValueError(f"hessian must be one of {HESSIAN_KINDS}; got {hessian!r}")
        if statistic is None:
            statistic = "unspecified" if estimates is None else estimates
        s = object.__setattr__
        s(self, "task", Task(task))
        s(self, "statistic", Estimand.coerce(statistic))
        s(self, "y_true", domain_from(y_true))
        s(self, "y_pred", domain_from(y_pred))
        s(self, "convex", bool(convex))
        s(self, "smooth", bool(smooth))
        s(self, "robust", bool(robust))
        s(self, "hessian", HessianKind(hessian))
        s(self, "gradient", GradientKind(gradient))
        s(self, "zero_at_perfect", bool(zero_at_perfect))
        s(self, "variance_power", None if variance_power is None else float(variance_power))
        s(self, "references", tuple(references))
        s(self, "roles", tuple((ParamRole(r), str(p)) for r, p in roles))
        s(self, "equivalences", tuple(equivalences))
        s(self, "anchors", tuple(anchors))

    @property
    def estimates(self) -> str:
        """The statistic in words (``"quantile(0.9)"``), for people; query ``statistic``."""
        return str(self.statistic)

    def param(self, role: ParamRole | str) -> str | None:
        """The name of the hyper-parameter playing ``role``, or None."""
        role = ParamRole(role)
        return next((p for r, p in self.roles if r == role), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-ready)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("y_true", "y_pred", "statistic"):
                out[f.name] = v.to_dict()
            elif f.name in ("task", "hessian", "gradient"):
                out[f.name] = str(v)
            elif f.name == "roles":
                out[f.name] = {str(r): p for r, p in v}
            elif f.name == "equivalences":
                out[f.name] = [
                    {
                        "other": e.other,
                        "when": dict(e.when),
                        "carry": dict(e.carry),
                        "factor": e.factor,
                        "factor_param": e.factor_param,
                        "factor_power": e.factor_power,
                    }
                    for e in v
                ]
            elif f.name == "anchors":
                out[f.name] = [
                    {
                        "call": a.call,
                        "params": a.params,
                        "losslab": a.losslab,
                        "anchors": [
                            {"library": str(x.library), "name": x.name, "note": x.note} for x in a.anchors
                        ],
                    }
                    for a in v
                ]
            elif isinstance(v, tuple):
                out[f.name] = list(v)
            else:
                out[f.name] = v
        out["estimates"] = self.estimates
        return out


_CMP = re.compile(r"^(>=|>|<=|<)\s*(-?[0-9.eE+-]+|-?inf)$")
_IN = re.compile(r"^in\s*([\[(])\s*(-?[0-9.eE+-]+|-?inf)\s*,\s*(-?[0-9.eE+-]+|-?inf)\s*([\])])$")


def domain_from(value: Domain | str) -> Domain:
    """A `Domain` from a Domain or, for old-style declarations, its words.

    Understood words: ``"any real number"``, ``"> a"``, ``">= a"``, ``"< b"``, ``"<= b"``,
    ``"in [a, b]"`` (any brackets), ``"nonzero"`` — each optionally followed by words in
    parentheses, kept as the note. Other words become a ``DESCRIBED`` domain that is shown but
    not checked (what old-style declarations did).
    """
    if isinstance(value, Domain):
        return value
    text = str(value).strip()
    head, _, rest = text.partition(" (")
    note = f"({rest}" if rest else ""
    head = head.split(",")[0].strip() if head.startswith("any real number") else head.strip()
    if head == "any real number":
        return Domain(DomainKind.REAL, note=note)
    if head == "nonzero":
        return Domain(DomainKind.NONZERO, excluded=(0.0,), note=note)
    m = _CMP.match(head)
    if m:
        op, x = m.group(1), float(m.group(2))
        if op.startswith(">"):
            iv = Interval(x, math.inf, op == ">=", False)
        else:
            iv = Interval(-math.inf, x, False, op == "<=")
        return Domain(DomainKind.REAL, iv, note=note)
    m = _IN.match(head)
    if m:
        iv = Interval(float(m.group(2)), float(m.group(3)), m.group(1) == "[", m.group(4) == "]")
        return Domain(DomainKind.REAL, iv, note=note)
    # other words were never checked: keep them, unchecked, as before
    return Domain(DomainKind.DESCRIBED, note=text)


def link_kind(loss: Any) -> LinkKind | None:
    """The typed kind of ``loss.link`` (identity when the loss declares none; None for a link
    of another kind)."""
    link = getattr(loss, "link", None)
    if link is None:
        return LinkKind.IDENTITY
    kind = getattr(link, "kind", None)
    return LinkKind(kind) if kind in tuple(LinkKind) else None
