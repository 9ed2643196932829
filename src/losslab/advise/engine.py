"""The small engine that evaluates the advisor's rule table (`losslab.advise.rules`).

For each rule whose condition holds, the losses its `Pick` selects from the registry (at call
time) get the rule's score, reason, caveat, metrics and parameters. Then: candidates that are the
same loss up to a factor (`losslab.equivalent`, declared metadata) are merged into one; caveats
that follow from a loss's metadata (what it estimates, a Hessian zero almost everywhere, no
convexity) are added; the five best are ranked. Nothing here names a loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core.equivalence import restates
from .._core.errors import LosslabError
from .._core.info import HessianKind, LossInfo, ParamRole, Task
from .._core.statistic import Statistic
from ..intent import Intent
from ..tasks import level_distribution, soft_label_mean
from .advice import Recommendation
from .facts import Facts
from .rules import GLOBAL_CAVEATS, MEAN_METRICS, RULES, Pick, Rule, fact_value

__all__ = ["CloseCall", "evaluate", "resolve"]

_Call = tuple[Recommendation, Recommendation, str]  # the first, the one level with it, and why

TOP = 5


@dataclass
class _Cand:
    name: str
    params: dict[str, Any]
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


@dataclass
class CloseCall:
    """Two recommendations the data cannot tell apart, and the compare run that would.

    Attributes
    ----------
    between : tuple of str
        The two labels (``"mse"``, ``"gamma"``).
    why : str
        The measured reason (p̂'s interval covers both families' variance powers).
    settle : str
        The ``losslab compare`` command line that settles it.
    """

    between: tuple[str, str]
    why: str
    settle: str

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        return {"between": list(self.between), "why": self.why, "settle": self.settle}

    def lines(self) -> tuple[str, str]:
        """The two sentences the text forms print: which two and why, then how to settle it."""
        a, b = self.between
        return f"unsure between {a} and {b}: {self.why}", f"settle it with: {self.settle}"


def _info(name: str) -> LossInfo:
    from .._core.registry import default_info

    return default_info(name)


def _params_of(name: str) -> list[Any]:
    from .._core.registry import loss_class

    return list(loss_class(name).PARAMS)


def resolve(pick: Pick, f: Facts | None = None) -> list[str]:
    """The registered losses ``pick`` selects (for ``f``'s target, when given), by metadata only."""
    import losslab

    want_power = pick.variance_power
    if isinstance(want_power, str):
        want_power = None if f is None else getattr(f, want_power)
        if want_power is None and f is not None:
            return []
    y = None
    if f is not None and pick.task == Task.REGRESSION and f.y is not None and "min" in f.values:
        y = np.asarray(f.y, dtype=float)
    out = []
    for name in sorted(losslab.list_losses()):
        info = _info(name)
        if info.task != pick.task or info.statistic.statistic not in pick.statistics:
            continue
        if restates(info):  # smooth_l1 is huber/β: huber stands for it
            continue
        if pick.robust is not None and info.robust != pick.robust:
            continue
        if pick.smooth is not None and info.smooth != pick.smooth:
            continue
        if pick.role is not None and info.param(pick.role) is None:
            continue
        if pick.without_role is not None and info.param(pick.without_role) is not None:
            continue
        if want_power is not None and info.variance_power != want_power:
            continue
        if pick.soft_labels and not soft_label_mean(losslab.get(name)):
            continue
        if y is not None and not bool(np.all(info.y_true.contains(np, y))):
            continue
        out.append(name)
    if pick.simplest and out:
        out = [min(out, key=_simplest_first)]
    return out


def _simplest_first(name: str) -> tuple[int, bool, int]:
    # ties go to the loss registered first, so a loss added to the catalogue later (fair beside
    # pseudo_huber) does not change an existing pick
    from .._core.registry import _CLASSES

    scale = _info(name).param(ParamRole.SCALE)
    return (len(_params_of(name)) - (scale is not None), scale is None, list(_CLASSES).index(name))


def _clip_to(name: str, param: str, value: Any) -> Any:
    """``value`` moved inside the parameter's declared interval (a p̂ of 2.3 → Tweedie's bound)."""
    if not isinstance(value, float):
        return value
    p = next((p for p in _params_of(name) if p.name == param), None)
    return value if p is None or p.interval is None else p.interval.clip(value)


def _rule_params(rule: Rule, name: str, f: Facts) -> dict[str, Any] | None:
    """The rule's parameters for loss ``name``, or None when the loss lacks one or a fact is missing."""
    known = {p.name for p in _params_of(name)}
    out: dict[str, Any] = {}
    for key, path in rule.params:
        pname = _info(name).param(key) if isinstance(key, ParamRole) else key
        if pname is None or pname not in known:
            return None
        value = fact_value(f, path)
        if value is None:
            return None
        out[pname] = _clip_to(name, pname, value)
    return out


def evaluate(f: Facts, rules: tuple[Rule, ...] = RULES) -> list[Recommendation]:
    """Evaluate ``rules`` on the facts: the ranked recommendations (at most five)."""
    cands: dict[tuple[str, str], _Cand] = {}
    for rule in rules:
        if not rule.when(f):
            continue
        for name in resolve(rule.pick, f):
            params = _rule_params(rule, name, f)
            if params is None:
                continue
            key = (name, repr(sorted(params.items())))
            c = cands.setdefault(key, _Cand(name, params))
            c.score += rule.score
            c.rules.append(rule.id)
            reason = rule.reason.format(f=f, name=name)
            if reason not in c.reasons:
                c.reasons.append(reason)
            if rule.caveat:
                caveat = rule.caveat.format(f=f, name=name)
                if caveat not in c.caveats:
                    c.caveats.append(caveat)
            if not c.metrics:
                c.metrics = list(rule.metrics)
    general = [text.format(f=f) for _, when, _, text in GLOBAL_CAVEATS if when(f)]
    recs = _rank(_merge_equivalent(_build(cands.values())), f, general)
    keep_robust_in_top_three(recs, f)
    return recs


def _build(cands: Any) -> list[tuple[_Cand, Any]]:
    import losslab

    out = []
    for c in cands:
        try:
            out.append((c, losslab.get(c.name, **c.params)))
        except LosslabError:  # a parameter the data chose that the loss refuses: the rule does not apply
            continue
    out.sort(key=lambda cl: (-cl[0].score, cl[0].name))
    return out


def _merge_equivalent(built: list[tuple[_Cand, Any]]) -> list[tuple[_Cand, Any]]:
    """One candidate per loss up to a factor: the higher scored keeps its place and the other's reasons."""
    from .._core.equivalence import equivalent

    kept: list[tuple[_Cand, Any]] = []
    for c, loss in built:
        twin = next((k for k in kept if equivalent(k[1], loss)), None)
        if twin is None:
            kept.append((c, loss))
            continue
        for r in c.reasons:
            if r not in twin[0].reasons:
                twin[0].reasons.append(r)
        twin[0].rules.extend(c.rules)
    return kept


def _rank(built: list[tuple[_Cand, Any]], f: Facts, general: list[str]) -> list[Recommendation]:
    out = []
    for c, loss in built[:TOP]:
        out.append(
            Recommendation(
                loss=loss,
                name=c.name,
                score=round(c.score, 4),
                reasons=c.reasons,
                estimates=loss.statistic,
                caveats=c.caveats + meta_caveats(loss, f.intent, f.asked) + general,
                metrics=c.metrics or (list(MEAN_METRICS) if loss.info.task == "regression" else ["log_loss"]),
                params={k: loss.params[k] for k in c.params},
                rules=list(c.rules),
            )
        )
    for i, r in enumerate(out, 1):
        r.rank = i
    return out


#: statistics that answer a request for the mean or the median (M-estimates lie between both)
_FOR = {
    "mean": (Statistic.MEAN, Statistic.MEAN_AND_VARIANCE, Statistic.HUBER_LOCATION, Statistic.M_ESTIMATE),
    "median": (Statistic.MEDIAN, Statistic.HUBER_LOCATION, Statistic.M_ESTIMATE),
}
PROPER_PROBABILITIES = (Statistic.PROBABILITY, Statistic.CLASS_PROBABILITIES)


def meta_caveats(loss: Any, intent: Intent, asked: bool) -> list[str]:
    """Caveats that follow from ``loss.info`` alone: what it estimates against what is asked,
    distorted probabilities, a Hessian zero almost everywhere, no convexity."""
    info = loss.info
    out = []
    stat = loss.statistic
    if (
        intent.kind in ("mean", "median")
        and info.task == "regression"
        and info.statistic.statistic not in _FOR[intent.kind]
    ):
        target = "you asked for" if asked else "(the default target)"
        out.append(f"it estimates the {stat}, not the {intent.kind} {target}")
    if intent.kind == "probability" and info.task in ("binary", "multiclass"):
        weighted = any(
            (k == "pos_weight" and v != 1.0) or (k == "class_weight" and v is not None)
            for k, v in loss.params.items()
        )
        if info.statistic.statistic not in PROPER_PROBABILITIES:
            out.append(
                f"it estimates {stat}, not calibrated probabilities: recalibrate before reading scores as "
                "P(y=1)"
            )
        elif weighted:
            out.append(
                "class weights shift the predicted probabilities towards the up-weighted class: recalibrate"
            )
    if info.hessian == HessianKind.ZERO_ALMOST_EVERYWHERE:
        out.append(
            "its Hessian is 0 almost everywhere: gradient boosting needs a Hessian policy (leaf refit)"
        )
    if not info.convex:
        out.append("not convex in the prediction: optimisers can stall; start from the baseline")
    return out


def close_call(recs: list[Recommendation], f: Facts, target: str | None) -> CloseCall | None:
    """The two recommendations the data cannot tell apart, when one of them is first: two families
    whose variance powers p̂'s interval covers (`_family_close_call`), or else a log-link deviance
    first whose log-linear mean the held-out link test does not show better or worse than squared
    error's linear one (`_link_close_call`), or squared error first on an ordinal target whose
    levels as classes the held-out test does not show better or worse (`_levels_close_call`); else
    None. The other one moves up to second place
    (``recs`` is reordered in place): the data rank it level with the first."""
    if not recs:
        return None
    found = _family_close_call(recs, f) or _link_close_call(recs, f) or _levels_close_call(recs, f)
    if found is None:
        return None
    a, b, why = found
    recs.insert(1, recs.pop(recs.index(b)))
    keep_robust_in_top_three(recs, f)
    specs = " ".join(f"--loss {_spec(r)}" for r in (a, b))
    settle = f"losslab compare DATA --target {target or 'TARGET'} {specs}"
    return CloseCall((a.label, b.label), why, settle)


def _family_close_call(recs: list[Recommendation], f: Facts) -> _Call | None:
    if f.close is None:
        return None
    lo, hi = f.close

    def power(r: Recommendation) -> float | None:
        return r.loss.info.variance_power

    first = power(recs[0])
    if first not in (lo, hi):
        return None
    other = next((r for r in recs[1:] if power(r) in (lo, hi) and power(r) != first), None)
    if other is None:
        return None
    ci = f.p_ci or (f.p_hat, f.p_hat)
    why = (
        f"the variance–mean slope p̂ = {f.p_hat:.2f} has a 95% interval {ci[0]:.2f}…{ci[1]:.2f} that covers "
        f"both variance powers {lo:g} and {hi:g}: the data cannot tell these families apart"
    )
    return recs[0], other, why


def _link_close_call(recs: list[Recommendation], f: Facts) -> _Call | None:
    """A log-link deviance (a declared variance power > 0) is first, squared error (power 0, the
    loss RMSE judges) is listed, and the held-out link test is inconclusive (``f.link_text``). On
    real counts the linear squared-error fit was then often the better one (issue 13's
    benchmark), on data drawn from a log-linear mean the deviance: only a compare run can tell."""
    first = recs[0].loss.info.variance_power
    if not f.link_text or first is None or first <= 0:
        return None
    other = next((r for r in recs[1:] if r.loss.info.variance_power == 0.0 and not r.params), None)
    return None if other is None else (recs[0], other, f.link_text)


def _levels_close_call(recs: list[Recommendation], f: Facts) -> _Call | None:
    """Squared error is first on an ordinal target's codes, a cross-entropy on its levels
    (`losslab.tasks.level_distribution`) is listed, and the held-out numbers-vs-classes test is
    inconclusive (``f.levels_text``): on the benchmark's rating scales either won (issue 13)."""
    first = recs[0].loss.info
    if not f.levels_text or first.task != "regression" or first.variance_power != 0.0 or recs[0].params:
        return None
    other = next((r for r in recs[1:] if level_distribution(r.loss) and not r.params), None)
    return None if other is None else (recs[0], other, f.levels_text)


def keep_robust_in_top_three(recs: list[Recommendation], f: Facts) -> None:
    """Heavy residual tails keep a robust loss in the top three whatever else moved up (issue
    13's rule); then number the ranks again."""
    if f.heavy and not any(r.loss.info.robust for r in recs[:3]):
        robust = next((r for r in recs[3:] if r.loss.info.robust), None)
        if robust is not None:
            recs.insert(2, recs.pop(recs.index(robust)))
    for i, r in enumerate(recs, 1):
        r.rank = i


def _spec(r: Recommendation) -> str:
    """The command-line spec of a recommendation (``tweedie:power=1.4``)."""
    if not r.params:
        return r.name
    return (
        r.name
        + ":"
        + ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.params.items())
    )
