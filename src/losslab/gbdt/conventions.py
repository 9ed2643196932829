"""How XGBoost's and LightGBM's built-in objectives scale the losses losslab also has.

A built-in objective and losslab's loss of the same name can minimise the same function and
still grow different trees: the boosters see gradient and Hessian through the regularisation
(λ, ``min_child_weight``, ``min_sum_hessian_in_leaf``) and some built-ins inflate the Hessian
on purpose. With ``conventions="library"`` (the default of the GBDT faces) the objective hands
the booster the built-in's own numbers, so ``lx.train``/``ll.train`` reproduce the built-in's
model; ``conventions="losslab"`` hands over the loss's exact derivatives. ``loss.gradient`` and
``loss.hessian`` stay exact either way.

==========================  ==========================  ======================================
losslab loss                XGBoost 3.2                 LightGBM 4.7
==========================  ==========================  ======================================
mse = (f − y)²              ``reg:squarederror``:       ``regression``: same as XGBoost
                            gradient and Hessian × ½
binary_crossentropy         ``binary:logistic``: same   ``binary``: same
categorical_crossentropy    ``multi:softprob``:         ``multiclass``: Hessian × k/(k − 1)
                            Hessian × 2
poisson                     ``count:poisson``: Hessian  ``poisson``: Hessian × e^0.7
                            × e^0.7 and the booster's   (``poisson_max_delta_step``)
                            ``max_delta_step`` = 0.7
gamma                       ``reg:gamma``: same         ``gamma``: same
tweedie(power=p)            ``reg:tweedie``: same       ``tweedie``: same
pseudo_huber(delta=δ)       ``reg:pseudohubererror``:   —
                            same
pairwise, lambdarank, map   ``rank:pairwise``,          ``lambdarank``: same
                            ``rank:ndcg``, ``rank:map``:
                            Hessian × 2
xendcg                      —                           ``rank_xendcg``: same
==========================  ==========================  ======================================

A loss matches a row when its canonical form (`losslab._core.equivalence.canonical`) is the
row's loss with the loss's own parameters — so ``tweedie(power=1)`` takes the Poisson row —
and a declared factor k (ℓ = k·ℓ_row) divides the gradient scale. Nothing here imports xgboost
or lightgbm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .._core.equivalence import canonical
from .._core.errors import ParameterError
from .._core.loss import Loss
from .._core.registry import get as get_loss

__all__ = ["CONVENTIONS", "Builtin", "Convention", "builtin", "check_conventions", "convention"]

CONVENTIONS = ("library", "losslab")
XGBOOST, LIGHTGBM = "xgboost", "lightgbm"
#: The default ``max_delta_step`` of XGBoost's ``count:poisson`` and LightGBM's
#: ``poisson_max_delta_step``: both multiply the Poisson Hessian by e^0.7.
POISSON_DELTA_STEP = 0.7


@dataclass(frozen=True)
class Builtin:
    """One library's built-in objective for a loss and how it scales the derivatives.

    ``carry`` maps the built-in's parameters to the loss's (``("huber_slope", "delta")``);
    ``delta_step`` names the parameter v whose value multiplies the Hessian by eᵛ (default
    `POISSON_DELTA_STEP`); ``booster_delta_step``: the library also clips every leaf to ±v
    with it (XGBoost's learner sets ``max_delta_step`` = 0.7 for ``count:poisson``).
    """

    library: str
    loss: str
    objective: str
    scale: float = 1.0
    hessian_scale: float = 1.0
    per_class: bool = False
    delta_step: str | None = None
    booster_delta_step: bool = False
    carry: tuple[tuple[str, str], ...] = ()

    def params(self, loss: Loss) -> dict[str, Any]:
        """The library parameters that select this built-in for ``loss`` (for comparisons)."""
        out: dict[str, Any] = {"objective": self.objective}
        out.update({theirs: loss.params[mine] for theirs, mine in self.carry})
        return out


BUILTINS: tuple[Builtin, ...] = (
    Builtin(XGBOOST, "mse", "reg:squarederror", scale=0.5),
    Builtin(XGBOOST, "binary_crossentropy", "binary:logistic"),
    Builtin(XGBOOST, "categorical_crossentropy", "multi:softprob", hessian_scale=2.0),
    Builtin(XGBOOST, "poisson", "count:poisson", delta_step="max_delta_step", booster_delta_step=True),
    Builtin(XGBOOST, "gamma", "reg:gamma"),
    Builtin(XGBOOST, "tweedie", "reg:tweedie", carry=(("tweedie_variance_power", "power"),)),
    Builtin(XGBOOST, "pseudo_huber", "reg:pseudohubererror", carry=(("huber_slope", "delta"),)),
    Builtin(XGBOOST, "pairwise", "rank:pairwise", hessian_scale=2.0),
    Builtin(XGBOOST, "lambdarank", "rank:ndcg", hessian_scale=2.0),
    Builtin(XGBOOST, "map", "rank:map", hessian_scale=2.0),
    Builtin(LIGHTGBM, "mse", "regression", scale=0.5),
    Builtin(LIGHTGBM, "binary_crossentropy", "binary"),
    Builtin(LIGHTGBM, "categorical_crossentropy", "multiclass", per_class=True),
    Builtin(LIGHTGBM, "poisson", "poisson", delta_step="poisson_max_delta_step"),
    Builtin(LIGHTGBM, "gamma", "gamma"),
    Builtin(LIGHTGBM, "tweedie", "tweedie", carry=(("tweedie_variance_power", "power"),)),
    Builtin(LIGHTGBM, "lambdarank", "lambdarank"),
    Builtin(LIGHTGBM, "xendcg", "rank_xendcg"),
)


def check_conventions(conventions: str) -> None:
    if conventions not in CONVENTIONS:
        raise ParameterError(
            f"conventions must be 'library' (the built-in objectives' gradient and Hessian scaling) or "
            f"'losslab' (the loss's exact derivatives); got {conventions!r}."
        )


def builtin(loss: Loss, library: str) -> tuple[Builtin, float] | None:
    """The library's built-in objective for ``loss`` and the factor k with ℓ = k·ℓ_builtin's loss,
    or None if the library has none.

    Examples
    --------
    >>> import losslab
    >>> b, k = builtin(losslab.get("tweedie", power=1.0), "lightgbm")
    >>> b.objective, k
    ('poisson', 1.0)
    >>> builtin(losslab.get("huber"), "xgboost") is None
    True
    """
    c, k = canonical(loss)
    for row in BUILTINS:
        if row.library != library:
            continue
        try:
            ref = get_loss(row.loss, **{mine: c.params[mine] for _, mine in row.carry})
        except KeyError:
            continue
        if ref == c:
            return row, k
    return None


@dataclass(frozen=True)
class Convention:
    """Resolved scaling: gradient and Hessian × ``scale``, Hessian × ``hessian_scale`` (× k/(k − 1)
    for k classes if ``per_class``); ``params``: booster parameters the built-in sets
    (XGBoost Poisson's ``max_delta_step``). ``source`` names the built-in, or says why none."""

    scale: float = 1.0
    hessian_scale: float = 1.0
    per_class: bool = False
    params: tuple[tuple[str, float], ...] = ()
    source: str = ""


def convention(
    loss: Loss,
    library: str,
    conventions: str,
    scale: float | None = None,
    hessian_scale: float | None = None,
    params: dict[str, Any] | None = None,
) -> Convention:
    """The scaling for ``loss`` in ``library``: the built-in's under ``conventions="library"``,
    none under ``"losslab"``; an explicit ``scale``/``hessian_scale`` replaces that part (and
    an explicit ``hessian_scale`` also the per-class factor). ``params``: the booster
    parameters, where a Poisson ``max_delta_step`` is read."""
    check_conventions(conventions)
    found = builtin(loss, library) if conventions == "library" else None
    if found is None:
        base = Convention(source="" if conventions == "losslab" else "no built-in objective")
    else:
        row, k = found
        h, extra = row.hessian_scale, ()
        if row.delta_step is not None:
            v = (params or {}).get(row.delta_step)
            v = POISSON_DELTA_STEP if v is None else float(v)
            if not (math.isfinite(v) and v >= 0):
                raise ParameterError(f"{row.delta_step} must be a finite number ≥ 0; got {v!r}.")
            h *= math.exp(v)
            if row.booster_delta_step:
                extra = ((row.delta_step, v),)
        base = Convention(row.scale / k, h, row.per_class, extra, f"{library} {row.objective!r}")
    return Convention(
        base.scale if scale is None else scale,
        base.hessian_scale if hessian_scale is None else hessian_scale,
        base.per_class and hessian_scale is None,
        base.params,
        base.source,
    )
