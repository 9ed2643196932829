"""The contract's one extension for structured targets (losslab._core.targets), by itself.

The losses that use it are covered by the generic suite; this file holds what is about the
targets: the plain forms each kind accepts, the messages for malformed targets, row selection,
conversion to another array library, and what the base class does for a structured and a
coupled loss (checks, weights, baseline) — shown on two small losses defined here.
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab
from losslab._core import Loss, LossInfo
from losslab._core.domains import Domain, DomainKind
from losslab._core.registry import _unregister, register
from losslab._core.special import softplus
from losslab.targets import Bounds, Ordinal, Ranking, Survival

STRUCTURED = Domain(DomainKind.STRUCTURED)


class _Interval(Loss):
    r"""Soft distance to an interval, :math:`\ell = \log(1+e^{l-f}) + \log(1+e^{f-u})`."""

    name = "_test_interval"
    target_type = Bounds
    INFO = LossInfo(task="regression", statistic="mean", y_true=STRUCTURED, convex=True, smooth=True,
                    robust=False, hessian="exact")  # fmt: skip

    def _value(self, xp, t, f):
        return softplus(xp, t.lower - f) + softplus(xp, f - t.upper)

    def _check_target(self, t):
        if np.any(np.asarray(t.lower) < -100):
            raise losslab.DomainError(f"Bounds.lower for loss {self.name!r} must be >= -100.")


class _Centred(Loss):
    r"""Squared deviation from the weighted query mean, :math:`\ell_i = (d_i - \bar d_{g(i)})^2`."""

    name = "_test_centred"
    target_type = Ranking
    coupled = True
    INFO = LossInfo(task="ranking", statistic="mean", y_true=STRUCTURED, convex=True, smooth=True,
                    robust=False, hessian="exact")  # fmt: skip

    def _parts(self, t, f):
        d = f - t.relevance
        w = np.ones_like(d) if t.weight is None else t.weight
        ids = np.unique(t.group, return_inverse=True)[1]
        sw = np.bincount(ids, w)
        m = np.bincount(ids, w * d) / np.where(sw > 0, sw, 1.0)
        return d - m[ids], w, sw[ids]

    def _value(self, xp, t, f):
        e, _, _ = self._parts(t, f)
        return e * e

    def _gradient(self, xp, t, f):
        e, w, _ = self._parts(t, f)
        return 2 * w * e

    def _hessian(self, xp, t, f):
        _, w, sw = self._parts(t, f)
        return 2 * w * (1 - w / sw)


@pytest.fixture
def losses():
    for cls in (_Interval, _Centred):
        register(cls)
    yield _Interval(), _Centred()
    for cls in (_Interval, _Centred):
        _unregister(cls.name)


# -- the target kinds ------------------------------------------------------------------------------
def test_plain_forms_are_accepted(losses) -> None:
    interval, _ = losses
    y = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(Bounds.coerce(interval, y).upper, y)  # 1-D: exact values
    pairs = np.array([[1.0, 2.0], [0.0, np.inf]])
    b = Bounds.coerce(interval, pairs)
    assert b.censoring().tolist() == ["interval", "right"]
    s = Survival.coerce(interval, np.array([[5.0, 1.0], [3.0, 0.0]]))
    assert s.time.tolist() == [5.0, 3.0] and s.event.tolist() == [1.0, 0.0]
    sksurv = np.array([(True, 5.0), (False, 3.0)], dtype=[("event", "?"), ("time", "<f8")])
    s2 = Survival.coerce(interval, sksurv).normalised()
    assert s2.time.tolist() == [5.0, 3.0] and s2.event.tolist() == [1, 0]
    assert Bounds.coerce(interval, s2).censoring().tolist() == ["exact", "right"]
    r = Ranking.coerce(interval, np.array([[2.0, 7], [0.0, 7], [1.0, 9]])).normalised()
    assert r.sizes().tolist() == [2, 1]


MALFORMED = [
    (
        Survival([1.0, -2.0], [1, 0]),
        r"Survival.time for loss '_test_interval' must be finite and > 0; got -2.0",
    ),
    (Survival([1.0, 2.0], [1, 2]), r"Survival.event .* must be 0 \(censored\) or 1 \(observed\); got 2"),
    (Bounds([1.0, 3.0], [2.0, 2.5]), r"Bounds.lower .* must be <= Bounds.upper of its row; got 3.0"),
    (
        Bounds([1.0, np.nan], [2.0, 2.5]),
        r"Bounds.lower .* must be a number or -inf \(not NaN or \+inf\); got nan",
    ),
    (
        Ranking([1.0, 0.0, 2.0], [4, 5, 4]),
        r"must keep each query's rows adjacent \(sorted by query\); query 4 appears again",
    ),
    (Ranking([1.0, -1.0, 2.0], [4, 4, 5]), r"Ranking.relevance .* must be finite and >= 0; got -1.0"),
    (Ordinal([0, 3, 1], levels=3), r"Ordinal.label .* must be a level code in 0 … 2; got 3"),
]


@pytest.mark.parametrize(("target", "message"), MALFORMED)
def test_malformed_targets_are_clear_errors(target, message) -> None:
    t = target.normalised("_test_interval")
    with pytest.raises(losslab.DomainError, match=message + r" at row (1|2)\b"):
        t.check("_test_interval")


def test_field_shapes_and_kinds_are_checked() -> None:
    with pytest.raises(losslab.ShapeError, match="one entry per row each; got time: 3, event: 2"):
        Survival([1.0, 2.0, 3.0], [1, 0]).normalised("x")
    with pytest.raises(
        losslab.DomainError, match=r"Survival.event for loss 'x' must hold whole numbers; got 0.5 at row 1"
    ):
        Survival([1.0, 2.0], [1.0, 0.5]).normalised("x")
    with pytest.raises(losslab.ShapeError, match="must be one-dimensional"):
        Bounds(np.zeros((2, 2)), np.zeros((2, 2))).normalised("x")
    with pytest.raises(losslab.DomainError, match=r"Ordinal value 'huge' at row 1 is not one of the levels"):
        Ordinal.from_values(["low", "huge"], levels=["low", "high"])


def test_rows_are_selected_whole_and_queries_kept_adjacent() -> None:
    r = Ranking.from_sizes([2.0, 0.0, 1.0, 1.0, 0.0], [3, 2]).normalised()
    assert r.take([3, 4]).group.tolist() == [1, 1]
    with pytest.raises(losslab.DomainError, match="query 0 appears again"):
        r.take([0, 3, 1])  # a fold must keep each query's rows together
    s = Survival([1.0, 2.0, 3.0], [1, 0, 1]).take(np.array([True, False, True]))
    assert s.time.tolist() == [1.0, 3.0] and len(s) == 2


def test_fields_follow_y_pred_to_torch() -> None:
    torch = pytest.importorskip("torch")
    b = Bounds([0.0, 1.0], [1.0, np.inf]).normalised()
    f = torch.zeros(2, dtype=torch.float32)
    from losslab._core.xp import array_namespace

    t = b.to(array_namespace(f), f)
    assert isinstance(t.upper, torch.Tensor) and t.upper.dtype == torch.float32
    r = Ranking.from_sizes([1.0, 0.0], [2]).normalised().to(array_namespace(f), f)
    assert r.group.dtype == torch.int64  # ids stay integers


# -- what the base class does for structured and coupled losses ------------------------------------
def test_a_structured_loss_checks_its_target_and_its_own_rule(losses) -> None:
    interval, _ = losses
    f = np.zeros(2)
    assert float(interval(Bounds([-1.0, -1.0], [1.0, 1.0]), f)) == pytest.approx(2 * np.log1p(np.exp(-1.0)))
    with pytest.raises(
        losslab.DomainError,
        match=r"Bounds.lower for loss '_test_interval' must be <= Bounds.upper of its row; got 2.0 at row 0",
    ):
        interval(Bounds([2.0, -1.0], [1.0, 1.0]), f)
    with pytest.raises(losslab.DomainError, match="must be >= -100"):
        interval(Bounds([-200.0, -1.0], [1.0, 1.0]), f)
    with pytest.raises(losslab.ShapeError, match=r"shape \(2,\): one row per row of its Bounds target"):
        interval(Bounds([-1.0, -1.0], [1.0, 1.0]), np.zeros(3))
    with pytest.raises(losslab.DTypeError, match="must be a losslab Bounds target"):
        interval(Ranking([1.0], [0]), np.zeros(1))
    with pytest.raises(losslab.DomainError, match="y_pred for loss '_test_interval' must be finite"):
        interval(Bounds([-1.0, -1.0], [1.0, 1.0]), np.array([0.0, np.nan]))


def test_a_coupled_loss_gets_the_weights_inside_its_kernels(losses) -> None:
    _, centred = losses
    r = Ranking.from_sizes([2.0, 0.0, 1.0, 1.0, 0.0], [3, 2])
    f = np.array([0.5, -1.0, 2.0, 0.0, 3.0])
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    g = centred.gradient(r, f, sample_weight=w)
    # ∂(Σ wᵢeᵢ²)/∂f = 2·w·e with e the deviation from the *weighted* query mean: not w × unweighted
    d = f - np.array([2.0, 0.0, 1.0, 1.0, 0.0])
    m = np.r_[np.full(3, np.average(d[:3], weights=w[:3])), np.full(2, np.average(d[3:], weights=w[3:]))]
    np.testing.assert_allclose(g, 2 * w * (d - m), rtol=1e-14)
    assert not np.allclose(g, w * centred.gradient(r, f))
    # a coupled loss's best constant: 0 when shifting every score changes nothing
    assert centred.baseline(r, w) == 0.0


def test_a_structured_baseline_is_searched_from_its_target(losses) -> None:
    interval, _ = losses
    b = Bounds([10.0, 12.0, 14.0], [11.0, 13.0, 15.0])
    c = interval.baseline(b)
    assert c == pytest.approx(12.5, abs=1e-9)  # symmetric targets: the middle
    assert abs(float(np.sum(interval.gradient(b, np.full(3, c))))) < 1e-10


class _CentredValueOnly(_Centred):
    """The coupled loss above with its value only: derivatives by automatic differentiation."""

    name = "_test_centred_value_only"
    _gradient = Loss._gradient
    _hessian = Loss._hessian

    def _value(self, xp, t, f):
        onehot = xp.asarray((np.asarray(t.group)[:, None] == np.unique(t.group)[None, :]).astype(float))
        w = xp.ones_like(f) if t.weight is None else t.weight
        d = f - t.relevance
        m = (onehot.T @ (w * d)) / (onehot.T @ w)
        e = d - onehot @ m
        return e * e


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_derived_derivatives_of_a_coupled_loss_are_of_the_total(losses, backend) -> None:
    pytest.importorskip(backend)
    _, centred = losses
    derived = _CentredValueOnly()
    object.__setattr__(derived, "_autodiff_backend", backend)
    r = Ranking.from_sizes([2.0, 0.0, 1.0, 1.0, 0.0], [3, 2])
    f = np.array([0.5, -1.0, 2.0, 0.0, 3.0])
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    for kw in ({}, {"sample_weight": w}):
        np.testing.assert_allclose(derived.gradient(r, f, **kw), centred.gradient(r, f, **kw), rtol=1e-12)
        # the diagonal of the full Hessian, not its row sums (which are 0 here: shift invariance)
        np.testing.assert_allclose(derived.hessian(r, f, **kw), centred.hessian(r, f, **kw), rtol=1e-12)


def test_scikit_survivals_data_sets_are_read_whatever_their_field_names(losses) -> None:
    """scikit-survival's bundled data name the fields as they like (``Status`` and
    ``Survival_in_days``): the boolean field is the event, the other the time."""
    datasets = pytest.importorskip("sksurv.datasets")
    interval, _ = losses
    _, y = datasets.load_veterans_lung_cancer()
    t = Survival.coerce(interval, y).normalised()
    np.testing.assert_array_equal(t.time, y["Survival_in_days"])
    np.testing.assert_array_equal(t.event, y["Status"].astype(int))
