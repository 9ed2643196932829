"""The boosting hot path's in-place kernels equal the losses' own kernels, for every loss they cover."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import losslab
from losslab.gbdt.objective import GradHess, resolve_policy

POLICIES = ("exact", "constant", "floor", "smooth", "majorizer")
# logits far out in both tails, and ±0 (-0.0 from -1 × 0.0)
EXTREMES = [s * v for v in (0.0, 1e-30, 1e-8, 0.5, 17.0, 40.0, 88.0, 800.0) for s in (1.0, -1.0)]


def _grad_hess(loss, kind):
    try:
        return GradHess(loss, resolve_policy(loss, kind))
    except losslab.LosslabError:
        return None


def _covered():
    """Every registered loss (defaults and the reference configurations) × policy with a kernel."""
    from conftest import loss_instances

    out = []
    for loss in loss_instances():
        for kind in POLICIES:
            gh = _grad_hess(loss, kind)
            if gh is not None and gh._fast is not None:
                out.append(pytest.param(loss, kind, id=f"{loss!r}-{kind}"))
    return out


def _inputs(loss, dtype, n=4000, seed=0):
    y, f = loss.example(n, seed)
    y, f = np.asarray(y, dtype=np.float64), np.asarray(f, dtype=np.float64) * 4.0
    if loss.info.task == "binary":
        f[: len(EXTREMES)] = EXTREMES  # logits far out in both tails, and ±0
    else:
        f[:50] = y[:50]  # residual exactly 0: the kink of mae/quantile
        f[50:60] = y[50:60] + np.array([1e-300, -1e-300, 1e-12, -1e-12, 1e3, -1e3, 1e-7, -1e-7, 3.0, -3.0])
    y = y.astype(dtype).astype(np.float64)  # labels as the library stores them (XGBoost: float32)
    return y, f.astype(dtype), np.random.default_rng(seed).uniform(0.0, 3.0, n)


def _ulps(a, b):
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ia, ib = a.view(np.int32).astype(np.int64), b.view(np.int32).astype(np.int64)
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia)  # ordered: ±0 are one value, neighbours one apart
    ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    return int(np.abs(ia - ib).max())


@pytest.mark.parametrize(("loss", "kind"), _covered())
def test_fast_kernel_equals_the_loss_kernel(loss, kind):
    gh = _grad_hess(loss, kind)
    fast = gh._fast
    for dtype, tol in ((np.float64, 1), (np.float32, 8)):
        y, f, w = _inputs(loss, dtype)
        for weights in (None, w):
            for scale in (1.0, 0.5, 3.0):
                g = GradHess(loss, gh.policy, scale=scale, hessian_scale=1.5)
                assert g._fast is not None
                got = g(y, f, weights)
                g._fast = None  # the generic path, computed in float64 as the reference
                ref = g(y, f.astype(np.float64), weights)
                for a, b in zip(got, ref, strict=True):
                    assert a.dtype == np.float32 and a.shape == f.shape
                    assert _ulps(a, b) <= tol, (dtype, weights is not None, scale)
    assert fast(y, None, 1.0, 1.0, f) is not None  # the kernel took these labels


def test_the_hot_losses_have_fast_kernels():
    covered = {
        "binary_crossentropy": "exact",
        "mse": "exact",
        "quantile": "constant",
        "mae": "constant",
    }
    for name, kind in covered.items():
        loss = losslab.get(name)
        assert GradHess(loss, resolve_policy(loss, kind))._fast is not None, name


def test_soft_labels_take_the_exact_generic_path():
    bce = losslab.get("binary_crossentropy")
    gh = GradHess(bce, resolve_policy(bce, None))
    y = np.array([0.5, 0.25, 1.0, 0.0])
    f = np.array([0.0, -np.log(3.0), 2.0, -2.0])
    g, h = gh(y, f, None)
    assert gh._fast(y, None, 1.0, 1.0, f) is None
    np.testing.assert_array_equal(g, np.asarray(bce.gradient(y, f), dtype=np.float32))
    np.testing.assert_array_equal(h, np.asarray(bce.hessian(y, f), dtype=np.float32))


def test_new_labels_are_read_again():
    # the cache is keyed by the label array's identity: a second dataset is not served stale constants
    mse = losslab.get("mse")
    gh = GradHess(mse, resolve_policy(mse, None))
    f = np.zeros(3)
    assert gh(np.array([1.0, 2.0, 3.0]), f, None)[0].tolist() == [-2.0, -4.0, -6.0]
    assert gh(np.array([0.0, 1.0, 0.0]), f, None)[0].tolist() == [0.0, -2.0, 0.0]
    w = np.array([1.0, 2.0, 0.5])
    y = np.array([0.0, 1.0, 0.0])
    assert gh(y, f, w)[0].tolist() == [0.0, -4.0, 0.0]
    assert gh(y, f, None)[0].tolist() == [0.0, -2.0, 0.0]
    state = gh._fast._state
    assert gh(y.copy(), f, None)[0].tolist() == [0.0, -2.0, 0.0]  # equal copy: constants kept
    assert gh._fast._state is state


def test_pickles_without_its_cache():
    bce = losslab.get("binary_crossentropy")
    gh = GradHess(bce, resolve_policy(bce, None))
    y = (np.arange(10_000) % 2).astype(float)
    gh(y, np.zeros(10_000), None)
    blob = pickle.dumps(gh)
    assert len(blob) < 10_000  # the per-row constants and scratch are not pickled
    again = pickle.loads(blob)
    np.testing.assert_array_equal(again(y, np.ones(10_000), None)[0], gh(y, np.ones(10_000), None)[0])


def test_one_objective_in_two_threads():
    # the scratch buffers are shared: calls on two datasets at once must not mix them
    from concurrent.futures import ThreadPoolExecutor

    bce = losslab.get("binary_crossentropy")
    gh = GradHess(bce, resolve_policy(bce, None))
    rng = np.random.default_rng(3)
    data = [((rng.random(200_000) < p).astype(float), rng.normal(size=200_000)) for p in (0.2, 0.7)]
    expected = [gh(y, f, None) for y, f in data]
    with ThreadPoolExecutor(2) as pool:
        for _ in range(3):
            got = list(pool.map(lambda yf: gh(*yf, None), data * 4))
            for i, (g, h) in enumerate(got):
                np.testing.assert_array_equal(g, expected[i % 2][0])
                np.testing.assert_array_equal(h, expected[i % 2][1])


@pytest.mark.parametrize("name", ["mae", "quantile"])
def test_kinked_gradient_in_numba_equals_numpy_bit_for_bit(monkeypatch, name):
    from losslab.gbdt import refit as _refit

    if _refit._load_kernels() is None:
        pytest.skip("numba is not installed")
    loss = losslab.get(name)
    y, f, w = _inputs(loss, np.float64, n=5000)
    f[60] = np.nan
    monkeypatch.setattr(_refit, "NUMBA_MIN_ROWS", 0)  # whatever else the process loaded
    calls = []
    kernel = _refit._load_kernels().kinked_gradient
    monkeypatch.setattr(_refit._load_kernels(), "kinked_gradient", lambda *a: (calls.append(1), kernel(*a)))
    for weights in (None, w):
        for scale in (1.0, 0.3):
            policy = resolve_policy(loss, "constant")
            fast = GradHess(loss, policy, scale=scale)(y, f, weights)  # (decided per dataset)
            monkeypatch.setattr(_refit, "USE_NUMBA", False)
            slow = GradHess(loss, policy, scale=scale)(y, f, weights)
            monkeypatch.setattr(_refit, "USE_NUMBA", True)
            for a, b in zip(fast, slow, strict=True):
                assert a.dtype == b.dtype == np.float32
                assert np.array_equal(a.view(np.int32), b.view(np.int32))
    assert len(calls) == 4  # the numba path ran for each fast call, the NumPy one for each slow
