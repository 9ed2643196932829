"""The fused NumPy engine (losslab.kernels) against the generic array-API kernels.

Every test forces the engine on small arrays (``min_size=1``) and checks that it answered (a
spy on `losslab.kernels.run`); the generic kernels, switched on by ``enabled=False``, are the
reference. Compiled variants are cached on disk by numba, so a warm run costs little.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import losslab
from losslab._core import fastpath

pytest.importorskip("numba")
from losslab import kernels

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from compare import case_id, check32, check64, entries, load_cases

# one instance per served class, with the parameter values that take other branches
SERVED = [
    losslab.get("mse"),
    losslab.get("mae"),
    losslab.get("huber", delta=0.7),
    losslab.get("quantile", quantile=0.9),
    losslab.get("expectile", expectile=0.2),
    losslab.get("binary_crossentropy"),
    losslab.get("binary_crossentropy", pos_weight=3.0, label_smoothing=0.1),
    losslab.get("poisson"),
    losslab.get("gamma"),
    losslab.get("tweedie", power=1.5),
    losslab.get("tweedie", power=3.0),
    losslab.get("log_cosh"),
    losslab.get("epsilon_insensitive", epsilon=0.5),
    losslab.get("squared_epsilon_insensitive", epsilon=0.5),
    losslab.get("squared_epsilon_insensitive", epsilon=0.0),
    losslab.get("smooth_l1", beta=0.5),
    losslab.get("smooth_l1", beta=0.0),  # the absolute error's kernel
    losslab.get("pseudo_huber", delta=0.7),
    losslab.get("pseudo_huber", delta=1e-3),
    losslab.get("fair", c=1.3),
    losslab.get("fair", c=1e-3),
    losslab.get("mape"),
    losslab.get("msle"),
    losslab.get("categorical_crossentropy"),
    losslab.get("categorical_crossentropy", label_smoothing=0.1, class_weight=(1.0, 2.5, 0.5)),
    losslab.get("hinge"),
    losslab.get("hinge", margin=0.5),
    losslab.get("squared_hinge"),
    losslab.get("perceptron"),
    losslab.get("modified_huber"),
    losslab.get("sparsemax"),
    losslab.get("exponential"),
]


class Spy:
    def __init__(self) -> None:
        self.served = 0


@pytest.fixture
def fused(monkeypatch: pytest.MonkeyPatch) -> Spy:
    """The engine on for every size; counts the calls it answered."""
    spy = Spy()
    real = kernels.run

    def run(*args, **kwargs):
        res = real(*args, **kwargs)
        spy.served += res is not None
        return res

    monkeypatch.setattr(kernels, "run", run)
    monkeypatch.setitem(fastpath._settings, "min_size", 1)
    monkeypatch.setitem(fastpath._settings, "enabled", True)
    return spy


def generic(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` on the generic kernels."""
    old = fastpath._settings["enabled"]
    fastpath._settings["enabled"] = False
    try:
        return fn(*args, **kwargs)
    finally:
        fastpath._settings["enabled"] = old


def inputs(loss, dtype, n=3000, seed=0):
    """Random valid inputs plus extreme ones inside the domains."""
    y, f = loss.example(n, seed)
    task = loss.info.task
    if loss.multiclass:
        fx = np.array(
            [
                [1e300, 0.0, -1e300],
                [-745.0, 0.0, 700.0],
                [0.0, 0.0, 0.0],
                [1e-300, -1e-300, 0.0],
                [36.0, -36.0, 1.0],
            ]
        )
        yx = np.array([0, 2, 1, 1, 1])
        with np.errstate(over="ignore"):
            keep = np.all(np.isfinite(fx.astype(dtype)), axis=1)
        return np.concatenate([y, yx[keep]]), np.concatenate([f, fx[keep]]).astype(dtype)
    if task == "binary":
        fx = np.array(
            [0.0, -0.0, 1e-300, -1e-300, 0.5, -0.99, 1.0, -1.0, 36.0, -36.0, 700.0, -745.0, 1e300, -1e300]
        )
        yx = np.resize([0.0, 1.0, 0.5, 1e-300, 1.0 - 1e-16], fx.size)
    elif loss.info.y_true.interval.low >= 0:
        positive = loss.info.y_true.interval.low_closed is False
        yx = np.array(
            [1e-300 if positive else 0.0, 1e-300, 1.0, 4.0, 1e300, 3.0, 0.5, 2.0, 7.0, 1e-10, 1.0, 2.5]
        )
        fx = np.array(
            [-700.0, 690.0, 0.0, np.log(4.0), -20.0, 1e-8, -1e-8, 700.0, np.log(7.0) + 1e-9, 5.0, 40.0, -40.0]
        )
    else:
        fx = np.array(
            [0.0, 1e-300, -1e300, 1e300, 0.7, -0.7, 0.7000000000000001, 3.0, -1e-8, 1e154, 5e-324, 2.0]
        )
        yx = np.array([0.0, 0.0, 0.0, 1e300, 0.0, 0.0, 0.0, 3.0, 1e-8, -1e154, 0.0, 2.0 + 2e-16])
    with np.errstate(over="ignore"):
        keep = np.isfinite(yx.astype(dtype)) & np.isfinite(fx.astype(dtype))
        keep &= (yx.astype(dtype) != 0) | (yx == 0)  # an underflow could leave a positive domain
        # inside the declared domains (mape's y ≠ 0, msle's y, f > −1)
        keep &= loss.info.y_true.contains(np, yx) & loss.info.y_pred.contains(np, fx)
        keep &= (np.abs(fx.astype(dtype)) < 1e38) | (dtype == np.float64)  # float32: f ** 2 overflows anyway
    y = np.concatenate([y, yx[keep]]).astype(dtype)
    f = np.concatenate([f, fx[keep]]).astype(dtype)
    return y, f


def terms(loss, y, f):
    """The size of the terms a result may cancel between (one ulp of exp in one of them is that
    much absolute error, in either path)."""
    if hasattr(loss, "_ab"):  # log-link deviances: μ^{1−p}((2−p)μ − (1−p)y) and the like
        a, b = loss._ab()
        with np.errstate(all="ignore"):
            return np.abs(b) * np.exp(b * f) + np.abs(a) * y * np.exp(a * f) + 1e-300
    cw = loss.params.get("class_weight") or (1.0,)
    return max(1.0, loss.params.get("pos_weight", 1.0), *cw)


def close(got, want, ulps, scale=1.0):
    """Equal within ``ulps`` units in the last place of ``got``'s dtype (inf and NaN exactly), or
    within ``ulps`` machine epsilons of ``scale``: where a result cancels between terms of size
    ``scale`` (a BCE gradient near its root), one ulp of exp in a term is that much."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    finite = np.isfinite(got) & np.isfinite(want)
    dt = np.asarray(got).dtype
    spacing = np.spacing(np.maximum(np.abs(got), np.abs(want)).astype(dt)).astype(np.float64)
    floor = np.maximum(np.finfo(dt).smallest_subnormal, np.finfo(dt).eps * np.asarray(scale, np.float64))
    with np.errstate(invalid="ignore"):
        ok = same | (finite & (np.abs(got - want) <= ulps * np.maximum(spacing, floor)))
    return bool(np.all(ok)), np.argwhere(~ok)[:5].ravel().tolist()


@pytest.mark.parametrize("loss", SERVED, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_matches_generic(fused: Spy, loss, dtype) -> None:
    y, f = inputs(loss, dtype)
    w = np.random.default_rng(1).uniform(0.0, 3.0, f.shape[0]).astype(dtype)
    ulps = 8
    # float32: the engine computes in float64 and rounds once; the reference is the float64
    # generic result rounded to float32 (the float32 generic path is less accurate)
    ref_dtype = np.float64
    yr, fr, wr = y if loss.multiclass else y.astype(ref_dtype), f.astype(ref_dtype), w.astype(ref_dtype)
    term = terms(loss, yr, fr)
    if hasattr(loss, "_ab"):
        # the generic Poisson gradient forms y as exp(log y), |log y| ulps off; the engine uses y
        with np.errstate(divide="ignore"):
            ulps = ulps * (1.0 + np.abs(np.log(np.where(yr > 0, yr, 1.0))))
    for sw, swr in ((None, None), (w, wr)):
        scale = term * (1.0 if sw is None else (swr[:, None] if loss.multiclass else swr))
        v, g, h = loss.value_gradient_hessian(y, f, sample_weight=sw, reduction="none")
        assert v.dtype == g.dtype == h.dtype == dtype
        for got, want in (
            (v, generic(loss, yr, fr, sample_weight=swr, reduction="none")),
            (g, generic(loss.gradient, yr, fr, sample_weight=swr)),
            (h, generic(loss.hessian, yr, fr, sample_weight=swr)),
        ):
            with np.errstate(over="ignore"):  # float32: beyond its range is inf on both sides
                ok, where = close(got, want.astype(dtype), ulps, scale)
            assert ok, (loss, where, got[where], want[where], y[where], f[where])
        # gradients and Hessians alone take their own loops (BCE, Tweedie): the same numbers
        gg, hh = loss.gradient_hessian(y, f, sample_weight=sw)
        np.testing.assert_array_equal(gg, g)
        np.testing.assert_array_equal(hh, h)
        for reduction in ("mean", "sum"):
            got = loss(y, f, sample_weight=sw, reduction=reduction)
            with np.errstate(over="ignore"):
                want = generic(loss, yr, fr, sample_weight=swr, reduction=reduction).astype(dtype)
            assert got.dtype == dtype
            assert np.isclose(float(got), float(want), rtol=1e-12 if dtype == np.float64 else 2e-7, atol=0)
    assert fused.served > 0


@pytest.mark.parametrize("loss", SERVED, ids=repr)
def test_every_entry_point_agrees(fused: Spy, loss) -> None:
    y, f = loss.example(5000, 3)
    v, g = loss.value_and_gradient(y, f, reduction="sum")
    gg, hh = loss.gradient_hessian(y, f)
    np.testing.assert_array_equal(g, gg)
    np.testing.assert_array_equal(g, loss.gradient(y, f))
    np.testing.assert_array_equal(hh, loss.hessian(y, f))
    assert v == loss(y, f, reduction="sum")
    served = fused.served
    gen = generic(loss.value_gradient_hessian, y, f, reduction="sum")
    assert fused.served == served  # the generic path did not call the engine
    ok, where = close(g, gen[1], 8, terms(loss, y, f))
    assert ok, where
    np.testing.assert_allclose(v, gen[0], rtol=1e-12)


FUSED_CASES = [c for c in load_cases() if kernels.supports(losslab.get(c["loss"]))]


@pytest.mark.parametrize("case", FUSED_CASES, ids=[f"{c['module']}-{case_id(c)}" for c in FUSED_CASES])
def test_reference_values_on_the_fused_path(fused: Spy, case: dict) -> None:
    failures = []
    for dtype, check in ((np.float64, check64), (np.float32, check32)):
        for e in entries(case, dtype):
            if isinstance(e, tuple):
                continue  # a point the loss rejects: the generic suite checks the rejection
            msg = check(e)
            if msg:
                failures.append(f"{np.dtype(dtype)}: {msg}")
    assert fused.served > 0
    assert not failures, f"{case_id(case)}: " + "\n".join(failures[:12])


def test_reference_cases_cover_the_served_losses() -> None:
    served = {type(loss) for loss in SERVED}
    assert served == {*kernels.SPECS, type(losslab.get("categorical_crossentropy"))}
    assert {type(losslab.get(c["loss"])) for c in FUSED_CASES} == served


@pytest.mark.parametrize("loss", [losslab.get("binary_crossentropy"), losslab.get("poisson")], ids=repr)
def test_same_result_on_one_and_two_threads(fused: Spy, loss) -> None:
    y, f = loss.example(100_003, 5)
    w = np.random.default_rng(2).uniform(0.0, 2.0, f.size)
    results = []
    for threads in (1, 2):
        with fastpath.limit_threads(threads):
            assert fastpath.settings()["threads"] == threads
            results.append(
                (loss(y, f, sample_weight=w), loss(y, f, reduction="sum"), *loss.gradient_hessian(y, f))
            )
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


BAD = [
    ("poisson", np.array([1.0, -1.0, 2.0]), np.zeros(3), None),
    ("poisson", np.array([1.0, 1.0, 2.0]), np.array([0.0, np.nan, 0.0]), None),
    ("gamma", np.array([1.0, 0.0, 2.0]), np.zeros(3), None),
    ("mse", np.array([1.0, np.inf, 2.0]), np.zeros(3), None),
    ("binary_crossentropy", np.array([1.0, 1.5, 0.0]), np.zeros(3), None),
    ("huber", np.zeros(3), np.array([0.0, -np.inf, 1.0]), None),
    ("mse", np.zeros(3), np.zeros(3), np.array([1.0, -1.0, 1.0])),
    ("mse", np.zeros(3), np.zeros(3), np.array([1.0, np.nan, 1.0])),
    ("mse", np.zeros(3), np.zeros(3), np.zeros(3)),
    ("hinge", np.array([0.0, -1.0, 1.0]), np.zeros(3), None),  # labels of two encodings
]


@pytest.mark.parametrize(("name", "y", "f", "w"), BAD)
@pytest.mark.parametrize("method", ["__call__", "gradient", "value_gradient_hessian"])
def test_bad_input_gives_the_generic_message(fused: Spy, name, y, f, w, method) -> None:
    loss = losslab.get(name)
    fn = getattr(loss, method)
    with pytest.raises(losslab.LosslabError) as generic_exc:
        generic(fn, y, f, sample_weight=w)
    with pytest.raises(type(generic_exc.value)) as fused_exc:
        fn(y, f, sample_weight=w)
    assert str(fused_exc.value) == str(generic_exc.value)
    assert fused.served == 0


@pytest.mark.parametrize("name", ["hinge", "exponential"])
def test_signed_labels_mixed_across_chunks_give_the_generic_message(fused: Spy, name) -> None:
    # a 0 in one chunk of the pass and a −1 in another: the engine sees each chunk alone
    loss = losslab.get(name)
    n = 3 * 4096
    y = np.ones(n)
    y[10], y[-10] = 0.0, -1.0
    f = np.zeros(n)
    with pytest.raises(losslab.LosslabError) as generic_exc:
        generic(loss.gradient, y, f)
    with pytest.raises(type(generic_exc.value)) as fused_exc:
        loss.gradient(y, f)
    assert str(fused_exc.value) == str(generic_exc.value)
    assert fused.served == 0
    y[-10] = 0.0  # one encoding: served, the same numbers as the generic path
    np.testing.assert_array_equal(loss.gradient(y, f), generic(loss.gradient, y, f))
    assert fused.served == 1


@pytest.mark.parametrize("name", ["mse", "huber", "poisson", "binary_crossentropy", "hinge"])
def test_strided_inputs(fused: Spy, name) -> None:
    # views with a stride (every other entry, a column) are read as such, not as the memory
    # that follows their first entry
    loss = losslab.get(name)
    y, f = inputs(loss, np.float64)
    y2, f2 = np.repeat(y, 2), np.stack([f, -f], axis=1)
    w = np.random.default_rng(2).uniform(0.5, 2.0, 2 * y.size)
    got = loss.value_gradient_hessian(y2[::2], f2[:, 0], sample_weight=w[::2], reduction="none")
    want = generic(loss.value_gradient_hessian, y, f, sample_weight=w[::2].copy(), reduction="none")
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=0)
    assert fused.served == 1


def test_byte_swapped_inputs_give_the_generic_results(fused: Spy) -> None:
    # numba cannot read a big-endian array on a little-endian machine (and vice versa): such
    # inputs are converted (targets, weights) or left to the generic path (scores), never a crash
    rng = np.random.default_rng(3)
    swapped = np.dtype(np.float64).newbyteorder()
    y, f, w = rng.normal(size=3000), rng.normal(size=3000), rng.uniform(0.5, 2.0, 3000)
    loss = losslab.get("huber")
    want = generic(loss.gradient_hessian, y, f, sample_weight=w)
    for yy, ff, ww, served in ((y.astype(swapped), f, w.astype(swapped), 1), (y, f.astype(swapped), w, 0)):
        before = fused.served
        got = loss.gradient_hessian(yy, ff, sample_weight=ww)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        assert fused.served - before == served
    ce = losslab.get("categorical_crossentropy")
    labels, logits = rng.integers(0, 4, 3000), rng.normal(size=(3000, 4))
    swapped_labels = labels.astype(np.dtype(np.int64).newbyteorder())
    np.testing.assert_allclose(ce(swapped_labels, logits), generic(ce, labels, logits), rtol=1e-14)


def test_check_false_skips_the_checks(fused: Spy) -> None:
    loss = losslab.get("poisson")
    y, f = np.array([1.0, -1.0]), np.zeros(2)
    g = loss.gradient(y, f, check=False)
    # the engine always checks; a bad entry sends even an unchecked call to the generic kernels,
    # which compute without raising, as they always did
    np.testing.assert_array_equal(g, generic(loss.gradient, y, f, check=False))
    assert fused.served == 0
    np.testing.assert_array_equal(loss.gradient(np.abs(y), f, check=False), [0.0, 0.0])
    assert fused.served == 1


@pytest.mark.parametrize("generic_path", [False, True])
def test_out_arrays(fused: Spy, generic_path: bool) -> None:
    loss = losslab.get("huber")
    y, f = loss.example(300, 1)
    run = generic if generic_path else (lambda fn, *a, **k: fn(*a, **k))
    g, h = np.empty_like(f), np.empty_like(f)
    rg, rh = run(loss.gradient_hessian, y, f, out=(g, h))
    assert rg is g and rh is h
    np.testing.assert_array_equal(g, loss.gradient(y, f))
    np.testing.assert_array_equal(h, loss.hessian(y, f))
    g2 = np.empty_like(f)
    v, rg2 = run(loss.value_and_gradient, y, f, out=g2)
    assert rg2 is g2
    assert float(v) == pytest.approx(float(loss(y, f)), rel=1e-14)
    assert run(loss.hessian, y, f, out=h) is h
    assert fused.served > 0 if not generic_path else True
    cases = [
        (np.empty(299), losslab.ShapeError, "shape"),
        (np.empty(300, np.float32), losslab.DTypeError, "dtype float64"),
        (np.empty(600)[::2], losslab.ParameterError, "C-contiguous"),
        ([0.0] * 300, losslab.DTypeError, "numpy.ndarray"),
    ]
    for bad, exc, words in cases:
        with pytest.raises(exc, match=words):
            run(loss.gradient, y, f, out=bad)
    with pytest.raises(losslab.ParameterError, match="pair"):
        run(loss.gradient_hessian, y, f, out=g)


def test_without_the_engine_results_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    loss = losslab.get("binary_crossentropy")
    y, f = loss.example(5000, 2)
    monkeypatch.setitem(fastpath._settings, "min_size", 1)
    with_engine = loss.value_gradient_hessian(y, f)
    monkeypatch.setattr(fastpath, "_engine", [None])  # as if numba were not installed
    called = []
    monkeypatch.setattr(kernels, "run", lambda *a, **k: called.append(1))
    without = loss.value_gradient_hessian(y, f)
    assert not called
    np.testing.assert_allclose(without[0], with_engine[0], rtol=1e-14)
    for a, b in zip(without[1:], with_engine[1:], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-300)


def test_not_served_keeps_the_generic_path(fused: Spy) -> None:
    class MyMSE(type(losslab.get("mse"))):
        pass

    loss = MyMSE()
    assert not kernels.supports(loss)
    assert not kernels.supports(losslab.get("bce", from_logits=False))
    assert not kernels.supports(losslab.get("huber", delta="auto"))
    y, f = np.zeros(10), np.ones(10)
    np.testing.assert_array_equal(loss.gradient(y, f), np.full(10, 2.0))
    loss.gradient(y, f.tolist())  # a list is not a NumPy array: generic path
    assert fused.served == 0


def test_below_the_size_threshold_the_generic_path_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    called = []
    monkeypatch.setattr(kernels, "run", lambda *a, **k: called.append(1))
    loss = losslab.get("mse")
    n = fastpath.settings()["min_size"] - 1
    loss.gradient(np.zeros(n), np.ones(n))
    assert not called


@pytest.mark.parametrize("name", losslab.list_losses())
def test_combined_calls_on_the_generic_path(name: str) -> None:
    loss = losslab.get(name)
    y, f = loss.example(16, 4)
    if loss.info.hessian == "none":  # declared without a Hessian: the combined call raises for it
        with pytest.raises(losslab.UnsupportedError):
            loss.value_gradient_hessian(y, f, reduction="none")
        g = loss.gradient(y, f)
    else:
        v, g, h = loss.value_gradient_hessian(y, f, reduction="none")
        np.testing.assert_array_equal(v, loss(y, f, reduction="none"))
        np.testing.assert_array_equal(g, loss.gradient(y, f))
        np.testing.assert_array_equal(h, loss.hessian(y, f))
    v2, g2 = loss.value_and_gradient(y, f)
    assert v2 == loss(y, f)
    np.testing.assert_array_equal(g2, g)


def test_concurrent_python_threads_get_correct_results(fused: Spy) -> None:
    from concurrent.futures import ThreadPoolExecutor

    loss = losslab.get("poisson")
    y, f = loss.example(200_000, 7)
    want = generic(loss.gradient_hessian, y, f)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: loss.gradient_hessian(y, f), range(8)))
    for g, h in results:  # each call ran in the engine or, while it was busy, the generic kernels
        np.testing.assert_allclose(g, want[0], rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(h, want[1], rtol=1e-13, atol=1e-300)
    assert fused.served > 0


def test_compare_workers_cap_the_engine_threads() -> None:
    from losslab.compare.run import limit_threads

    with limit_threads(1):
        assert fastpath.settings()["threads"] == 1
    assert fastpath.settings()["threads"] == fastpath._settings["threads"]


# where f − y or zⱼ − max overflows but the loss does not, and next to a log-link optimum: the
# fixes of the generic kernels (tests/test_numerics_regressions.py) hold on the fused path too
OVERFLOW_POINTS = [
    (losslab.get("huber", delta=0.1), 1.7e308, -1.7e308),
    (losslab.get("quantile", quantile=0.3), 1.7e308, -1.7e308),
    (losslab.get("expectile", expectile=0.1), 1.7e308, -1.7e308),
    (losslab.get("poisson"), 4.0, float(np.log(4.0))),
    (losslab.get("gamma"), 3.0, float(np.log(3.0)) + 1e-12),
    (losslab.get("tweedie", power=1.5), 7.0, float(np.log(7.0)) - 4e-16),
    (losslab.get("tweedie", power=3.0), 5e-324, -744.0),
    (losslab.get("binary_crossentropy", pos_weight=3.0), 5e-324, -30.0),
]


@pytest.mark.parametrize(
    ("loss", "y", "f"), OVERFLOW_POINTS, ids=lambda v: repr(v) if isinstance(v, losslab.Loss) else ""
)
def test_fused_keeps_the_generic_fixes_at_overflow_and_near_the_optimum(fused: Spy, loss, y, f) -> None:
    yy, ff = np.full(8, y), np.full(8, f)
    got = loss.value_gradient_hessian(yy, ff, reduction="none")
    want = generic(loss.value_gradient_hessian, yy, ff, reduction="none")
    assert fused.served
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=0.0)
        assert np.all(np.isfinite(g) == np.isfinite(w))


def test_fused_cross_entropy_at_logits_near_the_float_limit(fused: Spy) -> None:
    z = np.tile([1e308, 0.0, -1e308], (8, 1))
    ce = losslab.get("categorical_crossentropy", label_smoothing=0.1)
    for label in (0, 2):
        y = np.full(8, label)
        got = ce(y, z, reduction="none")
        want = generic(ce, y, z, reduction="none")
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=0.0)
        assert not np.any(np.isnan(got))
    assert fused.served


def test_vector_math_matches_mpmath() -> None:
    """The chunk-wide exp, expm1 and log1p (libmvec's where `_engine.VECTOR_MATH`, else libm's)
    within 4 ulps of mpmath (glibc's bound for its vector functions; libm's scalar ones are
    within 1) over the float64 range, at ±0, subnormals, the overflow edges, ±inf
    and NaN."""
    mpmath = pytest.importorskip("mpmath")
    from losslab.kernels import _engine

    rng = np.random.default_rng(5)
    edges = [0.0, -0.0, 5e-324, -5e-324, 1e-310, 1e-300, -1e-300, 1e-16, 709.78, 709.79, -708.4, -745.1]
    edges += [-745.2, 1e308, -1e308, -1.0, -0.5, 0.5, 1.0, np.inf, -np.inf, np.nan]
    x = np.concatenate([edges, rng.uniform(-745, 709.7, 4000), rng.normal(0, 1, 4000), [0.0, 0.0]])
    x = x[: x.size // 4 * 4]
    for op, ref, dom in (
        (_engine.EXP, mpmath.exp, x),
        (_engine.EXPM1, mpmath.expm1, x),
        (_engine.LOG1P, mpmath.log1p, np.abs(x) * np.where(np.arange(x.size) % 2, 1.0, 1e-300)),
    ):
        got = np.empty_like(dom)
        _engine._vector(op, dom, got)
        with mpmath.workdps(40):
            want = np.array([float(ref(mpmath.mpf(v))) if np.isfinite(v) else np.nan for v in dom])
        finite = np.isfinite(dom)
        numpy_op = {_engine.EXP: np.exp, _engine.EXPM1: np.expm1, _engine.LOG1P: np.log1p}[op]
        with np.errstate(over="ignore", invalid="ignore"):
            want[~finite] = numpy_op(dom[~finite])
        same = (got == want) | (np.isnan(got) & np.isnan(want))
        ulps = np.abs(got - want) / np.spacing(np.abs(want))
        bad = ~same & ~(ulps <= 4.0)
        assert not np.any(bad), (op, dom[bad][:5], got[bad][:5], want[bad][:5])
