"""The generic suite: properties every registered loss must have (DESIGN.md, "The generic test suite").

Parametrised over ``any_loss`` (tests/conftest.py): one default instance per registered loss plus
the configurations with reference rows. Inputs come from ``loss.example(n, seed)``; no test
branches on a loss's name, only on its metadata (``info.smooth``, ``info.convex``,
``info.zero_at_perfect``, ``multiclass``), and boundary cases come from the declared domains
``info.y_true``/``info.y_pred``.

Structured targets (``losslab._core.targets``) go through the same tests: rows are selected,
repeated and cast by the helpers in conftest.py. Two kinds of loss differ by metadata:

- a coupled loss (``loss.coupled``: rows interact, Cox, ranking) has per-row values that sum to
  the total and derivatives of the weighted total Σwℓ; its derivatives are checked against finite
  differences of that total, one coordinate at a time, with weights; the properties that hold only
  row by row (a row's value times its weight, batch splitting) are replaced by what holds for
  the total (uniform weights scale the gradient);
- a gradient recipe (``info.gradient == "recipe"``: LambdaRank) has no derivative of its value
  to check; its Hessian is checked against its own gradient, and everything else holds.
"""

from __future__ import annotations

import copy
import itertools
import json
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import losslab
from conftest import cast_target, float_target, is_structured, n_rows, repeat_rows, take_rows

N = 48


def _example(loss: Any, n: int = N, seed: int = 0) -> tuple[Any, np.ndarray]:
    y, f = loss.example(n, seed)
    return (y if is_structured(y) else np.asarray(y)), np.asarray(f, dtype=np.float64)


def _recipe(loss: Any) -> bool:
    return loss.info.gradient == "recipe"


def _no_hessian(loss: Any) -> bool:
    """The loss declares no Hessian (``info.hessian == "none"``): ``hessian()`` must raise."""
    return loss.info.hessian == "none"


def _per_row(w: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Per-row numbers shaped to broadcast over y_pred's trailing axes."""
    return w.reshape((-1,) + (1,) * (f.ndim - 1))


def _none(loss: Any, y: Any, f: Any, **kw: Any) -> np.ndarray:
    return np.asarray(loss(y, f, reduction="none", **kw), dtype=np.float64)


def _columns(f: np.ndarray) -> list[tuple[int, ...] | None]:
    # every index of a row's trailing axes: (j,) for (n, k), (t, k) for (n, T, C)
    return [None] if f.ndim == 1 else list(np.ndindex(*f.shape[1:]))


def _shift(f: np.ndarray, col: tuple[int, ...] | None, d: np.ndarray) -> np.ndarray:
    out = f.copy()
    if col is None:
        out += d
    else:
        out[(slice(None), *col)] += d
    return out


def _col(a: np.ndarray, col: tuple[int, ...] | None) -> np.ndarray:
    return a if col is None else a[(slice(None), *col)]


def _fd(fun: Any, f: np.ndarray, col: int | None, h: np.ndarray) -> np.ndarray:
    """Fourth-order central difference of ``fun`` (per sample, or per entry) along ``col``."""

    def at(d: np.ndarray) -> np.ndarray:
        out = np.asarray(fun(_shift(f, col, d)), dtype=np.float64)
        return _col(out, col) if out.ndim >= 2 else out

    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)


def _check_derivative(
    loss: Any, f: np.ndarray, fun: Any, analytic: np.ndarray, scale: np.ndarray, what: str
) -> None:
    """``analytic`` (per entry, like f) against finite differences of ``fun``.

    Steps h and h/2 (h = 1e-4·max(|f|, 0.01)) are both taken; a point is compared where the two
    agree (away from kinks and domain edges), with a tolerance of 1e-6 relative plus four times
    their difference (Richardson's estimate of the error). For losses declared smooth at least
    90 % of the points must qualify, for the others a third — so the test cannot pass by
    skipping everything.
    """
    checked = total = 0
    bad = []
    for col in _columns(f):
        x = _col(f, col)
        h = 1e-4 * np.maximum(np.abs(x), 1e-2)
        with np.errstate(all="ignore"):
            d1 = _fd(fun, f, col, h)
            d2 = _fd(fun, f, col, h / 2)
        a = _col(analytic, col)
        sc = _col(scale, col) if scale.ndim >= 2 else scale
        atol = 1e-7 * np.maximum(1.0, np.abs(sc))
        gap = np.abs(d1 - d2)
        ok = np.isfinite(d1) & np.isfinite(d2) & (gap <= 1e-5 * np.abs(d2) + atol)
        total += x.size
        checked += int(ok.sum())
        err = np.abs(a - d2) > 1e-6 * np.abs(d2) + 4 * gap + atol
        for i in np.flatnonzero(ok & err)[:5]:
            where = f"{i}" if col is None else ", ".join(map(str, (i, *col)))
            bad.append(f"{what}[{where}] = {a[i]!r}, finite differences {d2[i]!r} at y_pred {x[i]!r}")
    assert not bad, f"{loss!r}: analytic {what} disagrees with finite differences:\n  " + "\n  ".join(bad)
    need = 0.9 if loss.info.smooth else 1 / 3
    assert checked >= need * total, f"{loss!r}: only {checked}/{total} points usable for the {what} check"


# -- derivatives -------------------------------------------------------------------------------
def _coupled_fd(loss: Any, f: np.ndarray, fun: Any, h: np.ndarray) -> np.ndarray:
    """Fourth-order central differences of ``fun(f, i)`` (a number) moving f's entry i alone."""
    out = np.empty(f.size)
    flat = f.reshape(-1)
    for i in range(flat.size):
        vals = []
        for d in (2.0, 1.0, -1.0, -2.0):
            ff = flat.copy()
            ff[i] += d * h.reshape(-1)[i]
            vals.append(fun(ff.reshape(f.shape), i))
        out[i] = (-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * h.reshape(-1)[i])
    return out.reshape(f.shape)


def _check_coupled(loss: Any, f: np.ndarray, fun: Any, analytic: np.ndarray, scale: float, what: str) -> None:
    """`_check_derivative` for a coupled loss: ``fun(f, i)`` is the total (gradient check) or
    the gradient's entry i (Hessian diagonal); steps h and h/2 as there."""
    h = 1e-4 * np.maximum(np.abs(f), 1e-2)
    with np.errstate(all="ignore"):
        d1, d2 = _coupled_fd(loss, f, fun, h), _coupled_fd(loss, f, fun, h / 2)
    atol = 1e-7 * max(1.0, abs(scale))
    gap = np.abs(d1 - d2)
    ok = np.isfinite(d1) & np.isfinite(d2) & (gap <= 1e-5 * np.abs(d2) + atol)
    err = ok & (np.abs(analytic - d2) > 1e-6 * np.abs(d2) + 4 * gap + atol)
    bad = [
        f"{what}[{i}] = {analytic.flat[i]!r}, finite differences {d2.flat[i]!r}"
        for i in np.flatnonzero(err)[:5]
    ]
    assert not bad, f"{loss!r}: analytic {what} disagrees with finite differences:\n  " + "\n  ".join(bad)
    need = 0.9 if loss.info.smooth else 1 / 3
    assert ok.sum() >= need * ok.size, (
        f"{loss!r}: only {ok.sum()}/{ok.size} points usable for the {what} check"
    )


def test_gradient_matches_finite_differences(any_loss: Any) -> None:
    y, f = _example(any_loss)
    g = np.asarray(any_loss.gradient(y, f), dtype=np.float64)
    assert g.shape == f.shape
    if _recipe(any_loss):
        pytest.skip("a gradient recipe is not the derivative of its value")
    if any_loss.coupled:
        w = np.random.default_rng(7).uniform(0.5, 2.0, n_rows(y))
        gw = np.asarray(any_loss.gradient(y, f, sample_weight=w), dtype=np.float64)
        for kw, analytic in (({}, g), ({"sample_weight": w}, gw)):
            total = float(any_loss(y, f, reduction="sum", **kw))
            _check_coupled(
                any_loss,
                f,
                lambda ff, i, kw=kw: float(any_loss(y, ff, reduction="sum", check=False, **kw)),
                analytic,
                total,
                "gradient",
            )
        return

    def value(ff: np.ndarray) -> np.ndarray:
        return _none(any_loss, y, ff, check=False)

    v = _none(any_loss, y, f)
    scale = v if f.ndim == 1 else _per_row(v, f) * np.ones_like(f)
    _check_derivative(any_loss, f, value, g, scale, "gradient")


def test_hessian_matches_finite_differences(any_loss: Any) -> None:
    y, f = _example(any_loss, seed=1)
    if _no_hessian(any_loss):
        with pytest.raises(losslab.UnsupportedError, match=f"loss '{any_loss.name}'"):
            any_loss.hessian(y, f)
        return
    hess = np.asarray(any_loss.hessian(y, f), dtype=np.float64)
    assert hess.shape == f.shape
    if _recipe(any_loss) and any_loss.coupled:
        # LambdaRank's and XE-NDCG's Hessian is the anchors' curvature with the recipe's pair
        # weights held fixed, not the derivative of the recipe gradient (whose weights move)
        pytest.skip("a coupled gradient recipe's Hessian is not the derivative of its gradient")
    if any_loss.coupled:
        w = np.random.default_rng(8).uniform(0.5, 2.0, n_rows(y))
        for kw in ({}, {"sample_weight": w}):
            g = np.asarray(any_loss.gradient(y, f, **kw), dtype=np.float64)
            _check_coupled(
                any_loss,
                f,
                lambda ff, i, kw=kw: float(np.asarray(any_loss.gradient(y, ff, check=False, **kw)).flat[i]),
                np.asarray(any_loss.hessian(y, f, **kw), dtype=np.float64),
                float(np.max(np.abs(g))),
                "hessian",
            )
        return

    def grad(ff: np.ndarray) -> np.ndarray:
        return np.asarray(any_loss.gradient(y, ff, check=False), dtype=np.float64)

    _check_derivative(any_loss, f, grad, hess, grad(f), "hessian")


def test_gradient_hessian_is_gradient_and_hessian(any_loss: Any) -> None:
    y, f = _example(any_loss, seed=2)
    w = np.random.default_rng(0).uniform(0.5, 2.0, n_rows(y))
    if _no_hessian(any_loss):
        with pytest.raises(losslab.UnsupportedError, match=f"loss '{any_loss.name}'"):
            any_loss.gradient_hessian(y, f)
        return
    for kw in ({}, {"sample_weight": w}):
        g, h = any_loss.gradient_hessian(y, f, **kw)
        np.testing.assert_allclose(g, any_loss.gradient(y, f, **kw), rtol=1e-14, atol=0)
        np.testing.assert_allclose(h, any_loss.hessian(y, f, **kw), rtol=1e-14, atol=0)


# -- shape of the loss -------------------------------------------------------------------------
def test_convexity_where_declared(any_loss: Any) -> None:
    if not any_loss.info.convex:
        pytest.skip("not declared convex")
    for seed in range(3):
        y, f = _example(any_loss, seed=seed)
        h = np.asarray(any_loss.hessian(y, f))
        assert np.all(h >= -1e-12 * np.maximum(1.0, np.abs(h))), f"{any_loss!r}: negative Hessian {h.min()}"
        _, f2 = _example(any_loss, seed=seed + 100)
        mid = 0.5 * (f + f2)
        lhs = _none(any_loss, y, mid)
        rhs = 0.5 * (_none(any_loss, y, f) + _none(any_loss, y, f2))
        if any_loss.coupled:  # convex is a property of the total when rows interact
            lhs, rhs = lhs.sum(keepdims=True), rhs.sum(keepdims=True)
        assert np.all(lhs <= rhs + 1e-12 * np.maximum(1.0, np.abs(rhs))), (
            f"{any_loss!r}: midpoint convexity fails"
        )


def test_minimum_at_perfect_prediction(any_loss: Any) -> None:
    if not any_loss.info.zero_at_perfect:
        pytest.skip("zero_at_perfect not declared")
    y, f = _example(any_loss, seed=3)
    if is_structured(y) or y.shape != f.shape:
        pytest.skip("y_true and y_pred live in different spaces")
    p = y.astype(f.dtype)
    v = _none(any_loss, y, p)
    np.testing.assert_allclose(v, 0.0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(any_loss.gradient(y, p)), 0.0, atol=1e-12)
    assert np.all(v <= _none(any_loss, y, f) + 1e-15)


# -- weights and reductions -----------------------------------------------------------------------
def _counted(loss: Any, y: np.ndarray) -> np.ndarray:
    """1.0 for samples that count, 0.0 for those the loss leaves out (e.g. an ignore_index label)."""
    hook = getattr(loss, "_sample_mask", None)
    mask = hook(np, y) if hook is not None else None
    return np.ones(n_rows(y)) if mask is None else np.asarray(mask, dtype=np.float64)


def _weights(n: int, seed: int = 0) -> np.ndarray:
    w = np.random.default_rng(seed).integers(0, 4, n).astype(np.float64)
    w[0] = max(w[0], 1.0)
    return w


def test_sample_weight_scales_value_gradient_hessian(any_loss: Any) -> None:
    y, f = _example(any_loss, seed=4)
    if any_loss.coupled:
        _check_coupled_weights(any_loss, y, f)
        return
    w = _weights(n_rows(y))
    wcol = _per_row(w, f)
    v = _none(any_loss, y, f)
    np.testing.assert_allclose(_none(any_loss, y, f, sample_weight=w), w * v, rtol=1e-14, atol=0)
    np.testing.assert_allclose(
        any_loss.gradient(y, f, sample_weight=w), wcol * any_loss.gradient(y, f), rtol=1e-14
    )
    if not _no_hessian(any_loss):
        np.testing.assert_allclose(
            any_loss.hessian(y, f, sample_weight=w), wcol * any_loss.hessian(y, f), rtol=1e-14
        )
    c = _counted(any_loss, y)
    np.testing.assert_allclose(
        float(any_loss(y, f, sample_weight=w)), np.sum(w * v) / np.sum(w * c), rtol=1e-12
    )
    np.testing.assert_allclose(
        float(any_loss(y, f, sample_weight=w, reduction="sum")), np.sum(w * v), rtol=1e-12
    )
    # uniform weights give the unweighted mean
    np.testing.assert_allclose(
        float(any_loss(y, f, sample_weight=np.full(n_rows(y), 3.0))), float(any_loss(y, f)), rtol=1e-13
    )


def _check_coupled_weights(loss: Any, y: Any, f: np.ndarray) -> None:
    """What weights do to a coupled loss: ``"none"`` values are the rows' terms times their
    weights (the weights also act inside the terms), ``"sum"`` and ``"mean"`` are Σ and Σ/Σw of
    them, and uniform weights c multiply the gradient and Hessian by c (weights count rows)."""
    w = _weights(n_rows(y))
    vw = _none(loss, y, f, sample_weight=w)
    np.testing.assert_allclose(float(loss(y, f, sample_weight=w, reduction="sum")), vw.sum(), rtol=1e-12)
    np.testing.assert_allclose(float(loss(y, f, sample_weight=w)), vw.sum() / w.sum(), rtol=1e-12)
    assert np.all(vw[w == 0] == 0.0), f"{loss!r}: a row of weight 0 has a nonzero weighted value"
    c = np.full(n_rows(y), 3.0)
    for d in (loss.gradient,) if _no_hessian(loss) else (loss.gradient, loss.hessian):
        ref = 3.0 * np.asarray(d(y, f))
        # an entry may be a cancellation of the rows' larger terms: its error is theirs
        np.testing.assert_allclose(
            d(y, f, sample_weight=c), ref, rtol=1e-12, atol=1e-14 * float(np.max(np.abs(ref))) + 1e-300
        )


def test_weighted_mean_with_tiny_and_huge_weights(default_loss: Any) -> None:
    """Uniform weights of any magnitude give the unweighted mean; tiny ones stay inside [min, max]."""
    y, f = _example(default_loss, n=7, seed=13)
    if default_loss.coupled:
        pytest.skip("rows interact: the weights act inside the terms (see _check_coupled_weights)")
    v = _none(default_loss, y, f)
    m = float(default_loss(y, f))
    for scale in (5e-324, 1e-310, 1e-200, 1e200, 1e300):
        np.testing.assert_allclose(float(default_loss(y, f, sample_weight=np.full(7, scale))), m, rtol=1e-13)
    w = np.array([5e-324, 1e-320, 0.0, 3e-310, 1e-300, 0.0, 2e-323])
    got = float(default_loss(y, f, sample_weight=w))
    keep = v[w > 0]
    assert keep.min() * (1 - 1e-12) <= got <= keep.max() * (1 + 1e-12) or keep.min() <= got <= keep.max()


def test_integer_weights_equal_repetition(any_loss: Any) -> None:
    y, f = _example(any_loss, seed=5)
    if _recipe(any_loss):
        pytest.skip("a gradient recipe's ranking metric does not treat a repeated row as a weight")
    if any_loss.target_type is not None and not any_loss.target_type.REPEATS_AS_WEIGHTS:
        pytest.skip("a repeated row is not a weighted row for this target (a copy pairs with itself)")
    reps = _weights(n_rows(y), seed=1).astype(int)
    yr, fr = repeat_rows(y, reps), np.repeat(f, reps, axis=0)
    w = reps.astype(float)
    np.testing.assert_allclose(float(any_loss(y, f, sample_weight=w)), float(any_loss(yr, fr)), rtol=1e-12)
    np.testing.assert_allclose(
        float(any_loss(y, f, sample_weight=w, reduction="sum")),
        float(any_loss(yr, fr, reduction="sum")),
        rtol=1e-12,
    )
    g_rep = np.asarray(any_loss.gradient(yr, fr))
    g_w = np.asarray(any_loss.gradient(y, f, sample_weight=w))
    np.testing.assert_allclose(np.sum(g_w, axis=0), np.sum(g_rep, axis=0), rtol=1e-10, atol=1e-12)


def test_reductions_agree(any_loss: Any) -> None:
    y, f = _example(any_loss, seed=6)
    v = _none(any_loss, y, f)
    assert v.shape == (n_rows(y),)
    s, m = float(any_loss(y, f, reduction="sum")), float(any_loss(y, f, reduction="mean"))
    np.testing.assert_allclose(s, v.sum(), rtol=1e-13)
    np.testing.assert_allclose(m, v.sum() / _counted(any_loss, y).sum(), rtol=1e-13)
    np.testing.assert_allclose(float(any_loss(y, f)), m, rtol=0)
    assert np.ndim(any_loss(y, f)) == 0 and np.ndim(any_loss(y, f, reduction="sum")) == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(any_loss: Any, dtype: Any) -> None:
    y, f = _example(any_loss, seed=7)
    f = f.astype(dtype)
    y = cast_target(y, dtype)
    for reduction in ("mean", "sum", "none"):
        assert np.asarray(any_loss(y, f, reduction=reduction)).dtype == dtype, reduction
    assert any_loss.gradient(y, f).dtype == dtype
    hessians = () if _no_hessian(any_loss) else (any_loss.hessian(y, f),)
    assert all(h.dtype == dtype for h in hessians)
    if hessians:
        g, h = any_loss.gradient_hessian(y, f)
        assert g.dtype == dtype and h.dtype == dtype
    w = np.ones(n_rows(y))  # float64 weights do not promote float32 results
    assert np.asarray(any_loss(y, f, sample_weight=w)).dtype == dtype
    assert any_loss.gradient(y, f, sample_weight=w).dtype == dtype
    if dtype == np.float32:
        for out in (any_loss(y, f, reduction="none"), any_loss.gradient(y, f), *hessians):
            assert np.all(np.isfinite(out)), f"{any_loss!r}: float32 result not finite on example inputs"


def test_float32_close_to_float64(any_loss: Any) -> None:
    y, f = _example(any_loss, seed=8)
    f32 = f.astype(np.float32)
    y32 = cast_target(y, np.float32)
    # compare with float64 at the same (float32-rounded) inputs
    y64 = cast_target(y32, np.float64)
    f64 = f32.astype(np.float64)
    try:
        ref = _none(any_loss, y64, f64)
    except losslab.LosslabError:
        pytest.skip("float32 rounding moved the example out of the domain")
    got = _none(any_loss, y32, f32)
    np.testing.assert_allclose(got, ref, rtol=2e-4, atol=1e-5 * max(1.0, float(np.max(np.abs(ref)))))


# -- extreme inputs ------------------------------------------------------------------------------
@pytest.mark.parametrize("factor", [1e-6, 10.0, 1e3, 1e6])
def test_extreme_predictions(any_loss: Any, factor: float) -> None:
    """Scaled predictions never give NaN; shrunk ones (×1e-6) stay finite.

    (Large ones may overflow where the true value does: a loss growing like exp(r²) at r = 60.)
    Inputs the scaling moves out of the loss's domain must raise a LosslabError (then nothing
    else is required)."""
    y, f = _example(any_loss, seed=9)
    fs = f * factor
    try:
        out = [
            _none(any_loss, y, fs),
            np.asarray(any_loss.gradient(y, fs), dtype=float),
            np.asarray(any_loss.hessian(y, fs), dtype=float),
        ]
    except losslab.LosslabError:
        return
    for name, a in zip(("value", "gradient", "hessian"), out, strict=True):
        assert not np.isnan(a).any(), f"{any_loss!r}: NaN {name} at y_pred × {factor:g}"
        if factor < 1.0:
            assert np.isfinite(a).all(), f"{any_loss!r}: non-finite {name} at y_pred × {factor:g}"
    # float32 at the same (rounded) inputs: finite wherever float64 is finite within float32's
    # range, and no NaN
    f32 = fs.astype(np.float32)
    y32 = cast_target(y, np.float32)
    if not np.isfinite(f32).all() or (float_target(y) and not np.isfinite(y32).all()):
        return
    y64 = cast_target(y32, np.float64)
    try:
        ref = [
            _none(any_loss, y64, f32.astype(np.float64)),
            np.asarray(any_loss.gradient(y64, f32.astype(np.float64)), dtype=float),
            np.asarray(any_loss.hessian(y64, f32.astype(np.float64)), dtype=float),
        ]
        got = [
            np.asarray(any_loss(y32, f32, reduction="none"), dtype=float),
            np.asarray(any_loss.gradient(y32, f32), dtype=float),
            np.asarray(any_loss.hessian(y32, f32), dtype=float),
        ]
    except losslab.LosslabError:
        return  # the float32 rounding left the domain
    big = float(np.finfo(np.float32).max)
    for name, r, g in zip(("value", "gradient", "hessian"), ref, got, strict=True):
        assert not np.isnan(g).any(), f"{any_loss!r}: float32 NaN {name} at y_pred × {factor:g}"
        must = np.isfinite(r) & (np.abs(r) < 0.5 * big)
        bad = must & ~np.isfinite(g)
        assert not bad.any(), (
            f"{any_loss!r}: float32 {name} not finite at y_pred × {factor:g} where float64 gives "
            f"{r[bad][:3]} (samples {np.flatnonzero(bad.reshape(bad.shape[0], -1).any(axis=1))[:3]})"
        )


def test_large_targets_and_predictions_no_nan(any_loss: Any) -> None:
    """Where y_true is real-valued, targets far from the predictions give no NaN."""
    y, f = _example(any_loss, seed=10)
    if not float_target(y) or y.ndim != 1 or f.ndim != 1:
        pytest.skip("targets are labels or rows")
    for ys in (y * 1e6, y + 1e8):
        try:
            out = [_none(any_loss, ys, f), any_loss.gradient(ys, f), any_loss.hessian(ys, f)]
        except losslab.LosslabError:
            continue
        for a in out:
            assert not np.isnan(np.asarray(a, dtype=float)).any(), f"{any_loss!r}: NaN for large y_true"


# -- identity and serialisation ----------------------------------------------------------------
def test_serialisation_round_trip(any_loss: Any) -> None:
    d = any_loss.to_dict()
    assert d["name"] == any_loss.name
    again = losslab.get(d)
    assert again == any_loss and hash(again) == hash(any_loss)
    assert losslab.get(json.loads(json.dumps(d))) == any_loss
    p = pickle.loads(pickle.dumps(any_loss))
    assert p == any_loss and hash(p) == hash(any_loss) and repr(p) == repr(any_loss)
    assert copy.deepcopy(any_loss) == any_loss
    assert losslab.get(any_loss) is any_loss
    y, f = _example(any_loss, seed=11)
    np.testing.assert_array_equal(_none(p, y, f), _none(any_loss, y, f))
    r = repr(any_loss)
    assert r.startswith(type(any_loss).__name__ + "(")
    defaults = type(any_loss)()
    for k, v in any_loss.params.items():
        if v != defaults.params[k]:
            assert f"{k}=" in r, f"{r} does not show the non-default parameter {k}"
    with pytest.raises(AttributeError):
        any_loss.foo = 1


def test_equality_distinguishes_losses(any_loss: Any) -> None:
    others = [losslab.get(n) for n in losslab.list_losses() if n != any_loss.name]
    assert all(o != any_loss for o in others)
    assert any_loss != any_loss.to_dict() and any_loss != any_loss.name


def test_registry_names_and_metadata(default_loss: Any) -> None:
    assert default_loss.name in losslab.list_losses()
    assert default_loss.name in losslab.list_losses(task=default_loss.info.task)
    for alias in losslab._core.registry.aliases_of(default_loss.name):
        assert type(losslab.get(alias)) is type(default_loss)
    info = default_loss.info.to_dict()
    json.dumps(info)
    assert isinstance(default_loss.statistic, str) and default_loss.statistic
    assert default_loss.__doc__ and "math" in default_loss.__doc__, "docstring must give the formulas"


# -- baseline -------------------------------------------------------------------------------------
def test_baseline_zeroes_the_mean_gradient(any_loss: Any) -> None:
    if not (any_loss.info.convex and any_loss.info.smooth):
        pytest.skip("baseline gradient check is for convex smooth losses")
    y, _ = _example(any_loss, n=64, seed=12)
    n = n_rows(y)
    w = np.random.default_rng(3).uniform(0.2, 3.0, n)
    for kw in ({}, {"sample_weight": w}):
        b = np.asarray(any_loss.baseline(y, **kw), dtype=np.float64)
        const = np.full(n, float(b)) if b.ndim == 0 else np.broadcast_to(b, (n, b.size)).copy()
        g = np.asarray(any_loss.gradient(y, const, **kw))
        total = np.sum(g, axis=0)
        if g.ndim == 2 and getattr(any_loss.link, "name", "") == "identity":
            # probability rows live on the simplex: only the tangential part must vanish
            total = total - total.mean()
        scale = np.sum(np.abs(g)) + 1e-300
        assert np.all(np.abs(total) <= 1e-8 * scale), f"{any_loss!r}: Σ gradient at the baseline = {total}"


# -- property-based ----------------------------------------------------------------------------
@given(data=st.data())
@settings(
    max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_random_inputs_finite_and_mean_bounded(default_loss: Any, data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 25), label="n")
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    y, f = default_loss.example(n, seed)
    v = _none(default_loss, y, f)
    assert np.isfinite(v).all()
    if _no_hessian(default_loss):
        g = h = np.asarray(default_loss.gradient(y, f))
    else:
        g, h = default_loss.gradient_hessian(y, f)
    assert np.isfinite(g).all() and np.isfinite(h).all()
    weights = data.draw(st.lists(st.floats(0.0, 10.0), min_size=n, max_size=n), label="w")
    w = np.asarray(weights)
    if not np.any(w > 0):
        w[0] = 1.0
    slack = 1e-12 * max(1.0, float(np.max(np.abs(v))))
    if default_loss.coupled:
        # the weights act inside a coupled loss's terms: its weighted mean is Σ(w·ℓ_w)/Σw
        vw = _none(default_loss, y, f, sample_weight=w)
        assert np.isfinite(vw).all()
        np.testing.assert_allclose(float(default_loss(y, f, sample_weight=w)), vw.sum() / w.sum(), rtol=1e-12)
        w = None
    for kw in ({}, {"sample_weight": w}) if w is not None else ({},):
        m = float(default_loss(y, f, **kw))
        keep = v if not kw else v[w > 0]
        assert keep.min() - slack <= m <= keep.max() + slack


@given(data=st.data())
@settings(
    max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_random_permutation_and_split_invariance(default_loss: Any, data: st.DataObject) -> None:
    """Per-sample values do not depend on the batch: permuting or splitting it changes nothing."""
    if default_loss.coupled:
        pytest.skip("rows interact: a row's value depends on the batch by definition")
    n = data.draw(st.integers(2, 25), label="n")
    y, f = default_loss.example(n, data.draw(st.integers(0, 2**31 - 1), label="seed"))
    perm = np.asarray(data.draw(st.permutations(list(range(n))), label="perm"))
    v = _none(default_loss, y, f)
    np.testing.assert_array_equal(_none(default_loss, take_rows(y, perm), f[perm]), v[perm])
    k = data.draw(st.integers(1, n - 1), label="split")
    head, tail = np.arange(k), np.arange(k, n)
    np.testing.assert_array_equal(
        np.concatenate(
            [_none(default_loss, take_rows(y, head), f[:k]), _none(default_loss, take_rows(y, tail), f[k:])]
        ),
        v,
    )
    g = np.asarray(default_loss.gradient(y, f))
    np.testing.assert_array_equal(np.asarray(default_loss.gradient(take_rows(y, perm), f[perm])), g[perm])


# -- declared domains -----------------------------------------------------------------------------
def _probes(domain: Any) -> tuple[list[float], list[float]]:
    """(values just inside, values just outside) every end of an elementwise domain.

    A closed end is inside and the next float beyond it outside; an open end is outside and the
    next float inward inside; an infinite end is probed at ±3 (inside). Excluded points are
    outside, their neighbours inside. A finite label set: its values inside, midpoints outside.
    """
    iv = domain.interval
    if domain.values:
        vs = sorted(domain.values)
        between = [(a + b) / 2 for a, b in itertools.pairwise(vs)]
        return list(vs), [*between, vs[0] - 0.5, vs[-1] + 0.5]
    inside: list[float] = []
    outside: list[float] = []
    for end, closed, inward in ((iv.low, iv.low_closed, np.inf), (iv.high, iv.high_closed, -np.inf)):
        if not np.isfinite(end):
            inside.append(-3.0 if inward > 0 else 3.0)
        elif closed:
            inside.append(end)
            outside.append(float(np.nextafter(end, -inward)))
        else:
            inside.append(float(np.nextafter(end, inward)))
            outside.append(end)
    for x in domain.excluded:
        outside.append(x)
        inside += [float(np.nextafter(x, np.inf)), float(np.nextafter(x, -np.inf))]
    return [v for v in inside if v in iv], outside


def _nearby_inside(domain: Any, v: float) -> float:
    """Another point of the domain close to v (towards its interior)."""
    step = 1e-3 * max(1.0, abs(v))
    up = v + step
    return up if up in domain.interval and up not in domain.excluded else v - step


def check_domain_boundaries(loss: Any) -> None:
    """The declared domains hold at their boundaries.

    Just inside each end the loss evaluates (value, gradient, Hessian; no NaN value) and, for a
    continuous target, the value depends on y_true there (a target the loss cannot tell from its
    neighbour is not in its domain); just outside it raises the loss's `DomainError`. Row domains
    (probabilities summing to 1) get a uniform row inside and an off-simplex row outside.
    """
    y0, f0 = _example(loss, n=8, seed=5)
    for arg in ("y_true", "y_pred"):
        domain = getattr(loss.info, arg)
        if domain.structural:
            continue
        base = y0 if arg == "y_true" else f0
        if domain.rows:
            k = base.shape[1]
            inside_rows = [np.full(k, 1.0 / k)]
            outside_rows = [np.r_[1.1, -0.1, np.zeros(k - 2)], np.full(k, 0.5 / k)]
            if domain.kind == "log_probability_row":  # the rows as logs (a positive entry outside)
                inside_rows = [np.log(r) for r in inside_rows]
                outside_rows = [np.r_[0.1, np.full(k - 1, -5.0)], np.log(outside_rows[1])]
            cases = [(r, True) for r in inside_rows] + [(r, False) for r in outside_rows]
        else:
            inside, outside = _probes(domain)
            cases = [(v, True) for v in inside] + [(v, False) for v in outside]
        for v, ok in cases:
            x = base.astype(np.float64).copy() if not (arg == "y_true" and loss.multiclass) else base.copy()
            if domain.rows:
                x[0] = v
            elif domain.values and ok:
                x[...] = v  # a label set may allow one encoding per vector ({0, 1} or {-1, +1})
            else:
                x.flat[0] = v
            y, f = (x, f0) if arg == "y_true" else (y0, x)
            what = f"{loss!r}: {arg} = {v!r} ({'inside' if ok else 'outside'} {domain.describe()!r})"
            if not ok:
                with pytest.raises(losslab.DomainError, match=f"{arg} for loss '{loss.name}'"):
                    loss(y, f)
                continue
            try:
                value = _none(loss, y, f)
                loss.gradient(y, f) if _no_hessian(loss) else loss.gradient_hessian(y, f)
            except losslab.DomainError as exc:  # pragma: no cover - the failure message
                raise AssertionError(f"{what} was rejected: {exc}") from None
            assert not np.isnan(value[0]), f"{what}: the value is NaN"
            if arg == "y_true" and not domain.rows and not domain.values:
                y2 = y.copy()
                y2.flat[0] = _nearby_inside(domain, v)
                assert _none(loss, y2, f)[0] != value[0], (
                    f"{what}: the loss does not change with y_true there ({value[0]!r} at "
                    f"{y2.flat[0]!r} too): the declared domain is wider than the loss"
                )


def test_declared_value_propagation(any_loss: Any) -> None:
    # `_value_propagates`: a NaN or inf in a declared argument makes that sample's value NaN or
    # inf, so that a reduced eager call may read the argument's finiteness off its total
    loss = any_loss
    args = loss._value_propagates
    if not args:
        pytest.skip("declares no propagation")
    y, f = _example(loss, n=8)
    assert not is_structured(y), "a structured target cannot declare propagation"
    for arg in sorted(args):
        for bad in (np.nan, np.inf, -np.inf):
            yy, ff = np.array(y, dtype=np.float64), f.copy()
            (yy if arg == "y_true" else ff).flat[0] = bad
            v = _none(loss, yy, ff, check=False)
            assert not np.isfinite(v[0]), (arg, bad, v[0])


def test_domain_boundaries(any_loss: Any) -> None:
    check_domain_boundaries(any_loss)
