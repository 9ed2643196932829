"""Typed loss metadata (issue 11): no free text for consumers, domains that tests derive from,
equivalences, per-library anchors, and a loss no code has seen that every consumer picks up."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losslab
from conftest import loss_instances
from losslab._core import registry
from losslab._core.describe import describe
from losslab._core.domains import NONNEGATIVE, REAL, Domain, DomainKind
from losslab._core.equivalence import canonical, equivalent, relation
from losslab._core.info import (
    AnchorRow,
    Equivalence,
    HessianKind,
    LossInfo,
    ParamRole,
    Task,
)
from losslab._core.statistic import Estimand, Statistic
from losslab.losses import Poisson
from losslab.losses._params import OptionalInt
from test_generic import check_domain_boundaries

DOCS = Path(__file__).resolve().parents[1] / "docs"
INSTANCES = loss_instances()


# -- no free text -------------------------------------------------------------------------------
#: the one field of words for people: bibliographic references, which no consumer reads
FOR_PEOPLE = {"references"}


@pytest.mark.parametrize("loss", INSTANCES, ids=repr)
def test_no_field_a_consumer_reads_is_free_text(loss: Any) -> None:
    info = loss.info
    for f in dataclasses.fields(LossInfo):
        value = getattr(info, f.name)
        if f.name in FOR_PEOPLE:
            continue
        assert type(value) is not str, f"{loss!r}: info.{f.name} is free text {value!r}"
    assert isinstance(info.task, Task) and isinstance(info.hessian, HessianKind)
    assert isinstance(info.statistic, Estimand) and isinstance(info.statistic.statistic, Statistic)
    assert (info.statistic.level is not None) == info.statistic.statistic.has_level
    assert isinstance(info.y_true, Domain) and isinstance(info.y_pred, Domain)
    assert DomainKind.DESCRIBED not in (info.y_true.kind, info.y_pred.kind), "a domain in words only"
    params = {p.name for p in type(loss).PARAMS}
    for role, name in info.roles:
        assert isinstance(role, ParamRole) and name in params, f"{loss!r}: role {role} of unknown {name!r}"
    for eq in info.equivalences:
        assert isinstance(eq, Equivalence) and eq.other in losslab.list_losses()
        assert {k for k, _ in eq.when} <= params and {mine for _, mine in eq.carry} <= params
    assert all(isinstance(a, AnchorRow) for a in info.anchors)
    # the words users read are built from the typed values
    assert loss.statistic == str(info.statistic) == info.estimates
    assert isinstance(info.to_dict()["statistic"], dict)


def test_typed_values_keep_the_old_comparisons() -> None:
    q = losslab.get("quantile", quantile=0.9)
    assert q.statistic == "quantile(0.9)" and q.info.statistic == Estimand(Statistic.QUANTILE, 0.9)
    assert q.info.task == "regression" and q.info.hessian == "zero_almost_everywhere"
    assert f"{q.info.task!r}" == "'regression'"
    assert losslab.get("expectile", expectile=0.2).info.statistic.level == 0.2
    assert losslab.get("barron", alpha=2.0).info.statistic.statistic is Statistic.MEAN
    assert losslab.get("binary_focal", gamma=0.0).info.statistic.statistic is Statistic.PROBABILITY
    rev = losslab.get("kl_divergence", direction="reverse")
    assert rev.info.statistic.statistic is Statistic.MODE_SEEKING_DISTRIBUTION
    assert losslab.get("tweedie", power=3.0).info.y_true.interval.low_closed is False
    probs = losslab.get("binary_crossentropy", from_logits=False).info.y_pred
    assert probs.describe() == "a probability in [0, 1] (from_logits=False)"
    # an old-style declaration is read once into the typed fields
    old = LossInfo(
        task="regression",
        estimates="median",
        y_true=">= 0",
        convex=True,
        smooth=False,
        robust=True,
        hessian="exact",
    )
    assert old.statistic.statistic is Statistic.MEDIAN and old.y_true == dataclasses.replace(
        NONNEGATIVE, kind=old.y_true.kind
    )
    words = LossInfo(
        task="binary", y_true="labels 0/1", convex=True, smooth=True, robust=False, hessian="exact"
    )
    assert words.y_true.kind is DomainKind.DESCRIBED and words.y_true.unbounded  # shown, never checked
    assert str(words.y_true) == "labels 0/1"


# -- domains ------------------------------------------------------------------------------------
@pytest.fixture
def throwaway():
    """Register test losses under names no code has seen; unregister them afterwards."""
    names: list[str] = []

    def add(cls: type) -> type:
        registry.register(cls)
        names.append(cls.name)
        return cls

    yield add
    for name in names:
        registry._unregister(name)
    assert not set(names) & set(losslab.list_losses())


def test_widening_a_domain_fails_the_generic_checks(throwaway) -> None:
    check_domain_boundaries(losslab.get("poisson"))  # the true declaration passes

    @throwaway
    class WidePoisson(Poisson):
        """Poisson deviance declared, wrongly, for every real target."""

        name = "zz_wide_poisson"
        aliases = ()
        INFO = dataclasses.replace(Poisson.INFO, y_true=REAL)

    wide = losslab.get("zz_wide_poisson")
    wide(np.array([-2.0, 1.0]), np.zeros(2))  # the wrong declaration lets negative counts through
    with pytest.raises(AssertionError, match="does not change with y_true"):
        check_domain_boundaries(wide)


def test_narrowing_a_domain_fails_the_generic_checks(throwaway) -> None:
    @throwaway
    class NarrowMSE(losslab.get("mse").__class__):
        """mse declared, wrongly, for targets >= 0: its example targets are negative too."""

        name = "zz_narrow_mse"
        aliases = ()
        INFO = dataclasses.replace(losslab.get("mse").INFO, y_true=NONNEGATIVE)

    with pytest.raises(losslab.DomainError, match="y_true for loss 'zz_narrow_mse' must be >= 0"):
        losslab.get("zz_narrow_mse")([-1.0, 2.0], [0.0, 0.0])


# -- equivalences -------------------------------------------------------------------------------
PAIRS = [
    (("tweedie", {"power": 1.0}), ("poisson", {}), 1.0),
    (("tweedie", {"power": 2.0}), ("gamma", {}), 1.0),
    (("quantile", {"quantile": 0.5}), ("mae", {}), 0.5),
    (("expectile", {"expectile": 0.5}), ("mse", {}), 0.5),
    (("binary_focal", {"gamma": 0.0}), ("binary_crossentropy", {}), 1.0),
    (
        ("binary_focal", {"gamma": 0.0, "from_logits": False}),
        ("binary_crossentropy", {"from_logits": False}),
        1.0,
    ),
    (("categorical_focal", {"gamma": 0.0}), ("categorical_crossentropy", {}), 1.0),
    (("barron", {"alpha": 2.0, "scale": 2.0}), ("mse", {}), 1.0 / 8.0),
    (("barron", {"alpha": 1.0, "scale": 3.0}), ("pseudo_huber", {"delta": 3.0}), 1.0 / 9.0),
    (("cost_sensitive_bce", {}), ("binary_crossentropy", {}), 1.0),
    (("barron", {"alpha": 2.0, "scale": 1.0}), ("expectile", {"expectile": 0.5}), 1.0),  # through mse
]
NOT = [
    (("huber", {}), ("pseudo_huber", {})),
    (("quantile", {"quantile": 0.9}), ("mae", {})),
    (("binary_focal", {"gamma": 2.0}), ("binary_crossentropy", {})),
    (("binary_focal", {"gamma": 0.0, "alpha": 0.25}), ("binary_crossentropy", {})),
    (("binary_focal", {"gamma": 0.0}), ("binary_crossentropy", {"from_logits": False})),
    (("tweedie", {"power": 1.5}), ("poisson", {})),
    (("categorical_focal", {"gamma": 0.0, "ignore_index": -100}), ("categorical_crossentropy", {})),
]


def _get(spec: tuple[str, dict]) -> Any:
    return losslab.get(spec[0], **spec[1])


@pytest.mark.parametrize(("a", "b", "factor"), PAIRS, ids=lambda x: str(x))
def test_declared_equivalences(a, b, factor) -> None:
    la, lb = _get(a), _get(b)
    assert equivalent(la, lb) and equivalent(lb, la)
    assert relation(la, lb) == pytest.approx(factor) and relation(lb, la) == pytest.approx(1.0 / factor)
    y, f = la.example(32, seed=3)
    np.testing.assert_allclose(
        la(y, f, reduction="none"), factor * lb(y, f, reduction="none"), rtol=1e-9, atol=1e-15
    )


@pytest.mark.parametrize(("a", "b"), NOT, ids=lambda x: str(x))
def test_not_equivalent(a, b) -> None:
    assert not equivalent(_get(a), _get(b)) and relation(_get(a), _get(b)) is None


@pytest.mark.parametrize("name", losslab.list_losses())
def test_every_declared_equivalence_holds_numerically(name: str) -> None:
    """ℓ_self = factor·ℓ_other on example inputs, for each equivalence a loss declares (a wrong
    declaration fails here)."""
    cls = losslab._core.registry.loss_class(name)
    for eq in cls.INFO.equivalences:
        params = dict(eq.when)
        if eq.factor_param is not None:
            params.setdefault(eq.factor_param, 1.7)
        for mine, value in _carried_values(cls, eq):
            this = losslab.get(name, **{**params, mine: value} if mine else params)
            _, k = canonical(this)
            direct = losslab.get(eq.other, **eq.other_params(this.params))
            y, f = this.example(24, seed=1)
            np.testing.assert_allclose(
                this(y, f, reduction="none"),
                eq.factor_for(this.params) * direct(y, f, reduction="none"),
                rtol=1e-9,
                atol=1e-15,
                err_msg=f"{this!r} declared {eq}",
            )
            assert equivalent(this, direct) and k > 0


def _carried_values(cls: type, eq: Equivalence) -> list[tuple[str | None, Any]]:
    """Each carried parameter at a non-default value (plus the defaults)."""
    out: list[tuple[str | None, Any]] = [(None, None)]
    for _, mine in eq.carry:
        p = next(p for p in cls.PARAMS if p.name == mine)
        if p.kind == "bool":
            out.append((mine, not p.default))
        elif type(p) is OptionalInt:
            out.append((mine, -100))
        elif p.kind == "float":
            out.append((mine, 0.7))
    return out


# -- anchors and the conventions table ----------------------------------------------------------
def _generator():
    spec = importlib.util.spec_from_file_location("make_loss_pages", DOCS / "make_loss_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_conventions_table_is_generated() -> None:
    text = (DOCS / "conventions.md").read_text(encoding="utf-8")
    assert _generator().conventions(text) == text, "regenerate with `python docs/make_loss_pages.py`"


@pytest.mark.parametrize("name", losslab.list_losses())
def test_every_loss_has_its_anchor_row(name: str) -> None:
    info = losslab._core.registry.loss_class(name).INFO
    assert info.anchors, f"{name}: declare info.anchors (its row of docs/conventions.md)"
    assert all(row.losslab for row in info.anchors)


# -- a loss no code has seen --------------------------------------------------------------------
def test_new_loss_with_declared_metadata_only(throwaway) -> None:
    """Baseline, GBDT policy, advisor queries and `losslab show` read its metadata, nothing else."""
    from losslab.advise.engine import resolve
    from losslab.advise.rules import FOCAL, MARGIN, MEDIAN, SMOOTH_ROBUST, Pick
    from losslab.gbdt.objective import default_policy, usage_section

    @throwaway
    class DoubleAbsolute(losslab.Loss):
        r"""Twice the absolute error, 2|f − y| (a new name, declared facts only).

        .. math:: \ell = 2|f - y|
        """

        name = "zz_double_absolute"
        INFO = LossInfo(
            task=Task.REGRESSION,
            statistic=Statistic.MEDIAN,
            y_true=REAL,
            y_pred=REAL,
            convex=True,
            smooth=False,
            robust=True,
            hessian=HessianKind.ZERO_ALMOST_EVERYWHERE,
            zero_at_perfect=True,
        )

        def _value(self, xp, t, f):
            return 2.0 * xp.abs(f - t)

        def _gradient(self, xp, t, f):
            return 2.0 * xp.sign(f - t)

        def _hessian(self, xp, t, f):
            return xp.zeros_like(f)

    @throwaway
    class Cauchy(losslab.Loss):
        r"""Cauchy loss c² log(1 + (r/c)²)/2: smooth, robust, an M-estimate of location.

        .. math:: \ell = \tfrac{c^2}{2}\log(1 + (r/c)^2)
        """

        name = "zz_cauchy"
        PARAMS = (losslab.Param("c", 1.0, "scale"),)
        INFO = LossInfo(
            task=Task.REGRESSION,
            statistic=Statistic.M_ESTIMATE,
            convex=False,
            smooth=True,
            robust=True,
            hessian=HessianKind.INDEFINITE,
            zero_at_perfect=True,
            roles=((ParamRole.SCALE, "c"),),
        )

        def _value(self, xp, t, f):
            r = (f - t) / self.c
            return 0.5 * self.c**2 * xp.log1p(r * r)

    loss = losslab.get("zz_double_absolute")
    y = np.array([0.0, 1.0, 2.0, 10.0, 11.0])
    # the baseline: the closed form of a median on an identity link, verified
    assert loss.baseline(y) == 2.0
    check_domain_boundaries(loss)
    # the GBDT bridges' default Hessian policy and leaf refit
    policy = default_policy(loss)
    assert policy.kind == "smooth" and policy.refit
    assert default_policy(loss, refitting=True).kind == "constant"
    # the advisor's metadata queries
    assert "zz_double_absolute" in resolve(MEDIAN)
    assert "zz_cauchy" in resolve(Pick(Task.REGRESSION, (Statistic.M_ESTIMATE,), robust=True, smooth=True))
    assert resolve(SMOOTH_ROBUST) == ["pseudo_huber"]  # the simplest with a scale: no extra shape parameter
    assert "zz_cauchy" not in resolve(FOCAL) and "zz_double_absolute" not in resolve(MARGIN)
    # describe / `losslab show`
    text = describe(loss, sections=(usage_section,))
    assert "- estimates: median" in text and "## In XGBoost and LightGBM" in text
    assert "smooth" in text  # the policy, chosen from the metadata
    typer_testing = pytest.importorskip("typer.testing")
    from losslab.cli import app

    result = typer_testing.CliRunner().invoke(app, ["show", "zz_cauchy"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "M-estimate of location" in result.output
    assert "c (scale)" in result.output and "In XGBoost and LightGBM" in result.output


# -- custom losses --------------------------------------------------------------------------------
def test_custom_losses_carry_typed_metadata() -> None:
    torch = pytest.importorskip("torch")

    def absolute(y_true, y_pred):
        return (y_pred - y_true).abs()

    def cauchy(y_true, y_pred):
        return torch.log1p((y_pred - y_true) ** 2)

    a = losslab.custom(
        absolute,
        name="zz_custom_abs",
        estimates="median",
        y_true=">= 0",
        convex=None,
        zero_at_perfect=None,
        hessian="zero_almost_everywhere",
        smooth=False,
        register=False,
    )
    assert a.info.statistic.statistic is Statistic.MEDIAN and a.info.y_true.interval.low == 0.0
    assert a.info.convex and a.info.zero_at_perfect  # probed
    with pytest.raises(losslab.DomainError, match="zz_custom_abs"):
        a([-1.0], [0.0])
    assert a.baseline(np.array([1.0, 2.0, 7.0])) == 2.0
    c = losslab.custom(cauchy, name="zz_custom_cauchy", convex=None, zero_at_perfect=None, register=False)
    assert not c.info.convex and c.info.zero_at_perfect
    with pytest.raises(losslab.ParameterError, match="statistic must be one of"):
        losslab.custom(cauchy, name="zz_bad", estimates="the vibe", register=False)
    with pytest.raises(losslab.ParameterError, match="roles"):
        losslab.custom(cauchy, name="zz_bad", roles=(("scale", "c"),), register=False)


def test_info_of_a_loss_with_an_unfitted_auto_parameter():
    """tweedie(power='auto').info raised TypeError ('auto' < 2.0) in the instance refinement; an
    unfitted parameter leaves the class's declared facts, and equivalence queries work."""
    loss = losslab.get("tweedie", power="auto")
    assert loss.info == type(loss).INFO
    assert not losslab.equivalent(loss, losslab.get("poisson"))
    fitted = loss.fit_auto(np.array([0.0, 1.0, 2.0, 5.0, 9.0]), np.arange(5.0)[:, None])
    assert fitted.info.convex is (fitted.power <= 2.0)
