"""One definition on every array library: each registered loss on torch and JAX equals NumPy.

Value (every reduction, with and without weights), gradient and Hessian on torch tensors and
JAX arrays match the NumPy result in float64 to 1e-12; array type, dtype and device in = out,
including float16/bfloat16, which are computed in float32 and returned in their own dtype.
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab
from conftest import is_structured, map_target

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

NAMES = losslab.list_losses()
BACKENDS = ("torch", "jax")


@pytest.fixture(autouse=True, scope="module")
def _x64():
    # jax_enable_x64 is process-wide: enable it for this module only and restore it after
    with jax.enable_x64(True):
        yield


def to_backend(backend: str, a, dtype=None):
    if is_structured(a):  # a structured target's fields (the loss casts floats to y_pred's dtype)
        return map_target(a, lambda x: to_backend(backend, x))
    a = np.asarray(a)
    if backend == "torch":
        t = torch.from_numpy(np.ascontiguousarray(a))
        return t.to(getattr(torch, dtype)) if dtype else t
    x = jnp.asarray(a)
    return x.astype(dtype) if dtype else x


def to_np(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().to(torch.float64).cpu().numpy() if x.is_floating_point() else x.cpu().numpy()
    return np.asarray(x.astype(jnp.float64) if jnp.issubdtype(x.dtype, jnp.floating) else x)


def is_backend_array(backend: str, x) -> bool:
    return isinstance(x, torch.Tensor) if backend == "torch" else isinstance(x, jax.Array)


def dtype_name(x) -> str:
    return str(x.dtype).replace("torch.", "")


def device_of(x):
    return x.device if isinstance(x, torch.Tensor) else x.devices()


def all_outputs(loss: losslab.Loss, y, f, w) -> dict:
    out = {}
    for red in ("none", "mean", "sum"):
        out[red] = loss(y, f, reduction=red)
        out[red + "_w"] = loss(y, f, reduction=red, sample_weight=w)
    out["gradient"] = loss.gradient(y, f, sample_weight=w)
    out["hessian"] = loss.hessian(y, f, sample_weight=w)
    out["gradient_hessian"] = loss.gradient_hessian(y, f)
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", NAMES)
def test_float64_matches_numpy(name: str, backend: str) -> None:
    loss = losslab.get(name)
    y, f = loss.example(16, seed=3)
    w = np.random.default_rng(1).uniform(0.1, 2.0, f.shape[:1] if loss.multiclass else f.shape)
    ref = all_outputs(loss, y, f, w)
    yb, fb, wb = to_backend(backend, y), to_backend(backend, f), to_backend(backend, w)
    got = all_outputs(loss, yb, fb, wb)
    for key, r in ref.items():
        for o, rr in zip(got[key], r, strict=True) if key == "gradient_hessian" else [(got[key], r)]:
            assert is_backend_array(backend, o), key
            assert dtype_name(o) == "float64", key
            assert tuple(o.shape) == np.shape(rr), key
            np.testing.assert_allclose(to_np(o), rr, rtol=1e-12, atol=1e-300, err_msg=key)


@pytest.mark.parametrize("backend", BACKENDS)
def test_numpy_targets_are_converted_to_the_prediction_library(backend: str) -> None:
    for name in NAMES:
        loss = losslab.get(name)
        y, f = loss.example(16, seed=0)
        out = loss.gradient(y, to_backend(backend, f))  # y_true stays NumPy
        assert is_backend_array(backend, out)
        np.testing.assert_allclose(to_np(out), loss.gradient(y, f), rtol=1e-12, atol=1e-300)


# half precision overflows exp() at 11.1, so these are computed in float32 and cast back
TOLERANCE = {"float32": 2e-5, "float16": 2e-3, "bfloat16": 1.6e-2}


@pytest.mark.parametrize("dtype", list(TOLERANCE))
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", NAMES)
def test_low_precision_in_is_low_precision_out(name: str, backend: str, dtype: str) -> None:
    loss = losslab.get(name)
    y, f = loss.example(16, seed=5)
    fb = to_backend(backend, f, dtype)
    yb = to_backend(backend, y)
    f_rounded = to_np(fb)  # the inputs as the low-precision dtype holds them
    tol = TOLERANCE[dtype]

    def outputs(a, b):
        return (
            loss(a, b, reduction="none", check=False),
            loss(a, b, check=False),
            loss.gradient(a, b, check=False),
            loss.hessian(a, b, check=False),
        )

    got = outputs(yb, fb)
    refs = outputs(y, f_rounded)
    for what, out, ref in zip(("value", "mean", "gradient", "hessian"), got, refs, strict=True):
        assert is_backend_array(backend, out), what
        assert dtype_name(out) == dtype, (what, out.dtype)
        assert device_of(out) == device_of(fb), what
        got = to_np(out)
        assert np.all(np.isfinite(got)), what
        # float32 computation, then one rounding to the output dtype
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * max(1.0, float(np.max(np.abs(ref)))))


@pytest.mark.parametrize("backend", BACKENDS)
def test_half_precision_is_upcast_where_float16_would_overflow(backend: str) -> None:
    # exp(12) overflows float16; binary cross-entropy at logit 12 must still be exact-ish
    loss = losslab.get("binary_crossentropy")
    f = np.array([-12.0, 12.0, 30.0, -30.0])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    out = loss(to_backend(backend, y), to_backend(backend, f, "float16"), reduction="none")
    assert dtype_name(out) == "float16"
    np.testing.assert_allclose(to_np(out), loss(y, f, reduction="none"), rtol=1e-3, atol=6e-8)
    g = loss.gradient(to_backend(backend, y), to_backend(backend, f, "float16"))
    np.testing.assert_allclose(to_np(g), loss.gradient(y, f), rtol=1e-3, atol=1e-7)


def test_mixing_torch_and_jax_arrays_is_a_clear_error() -> None:
    loss = losslab.get("mse")
    with pytest.raises(losslab.DTypeError, match="pass arrays of one library"):
        loss(jnp.zeros(3), torch.zeros(3))
