"""CTC (losses/sequence.py) on its `Sequences` target: parity with torch.nn.functional.ctc_loss,
optax.ctc_loss and Keras 3 (each backend in its own process) in float64, exactness against mpmath
where the anchors are off, the errors, and the target's plain forms.

The generic suite (test_generic.py, test_reference.py …) covers what every loss must do; this file
covers what only a sequence loss has.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import losslab
from losslab.targets import Sequences

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
import mp_sequence

RTOL = 1e-10  # the parity tolerance, relative, where the anchor is accurate


def _batch(seed: int = 0, n: int = 6, steps: int = 12, classes: int = 5, width: int = 4):
    """Padded labels (some repeated), target lengths 0 … width, input lengths ≤ steps."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(1, classes, (n, width))
    labels[0, 1] = labels[0, 0]  # a repeat: needs a blank between
    tl = rng.integers(0, width + 1, n)
    tl[0] = width
    il = rng.integers(2 * width + 1, steps + 1, n)
    il[1] = steps
    return labels, tl, il, rng.normal(0.0, 2.0, (n, steps, classes))


def _close(got, want, rtol=RTOL):
    """Elementwise relative error ≤ rtol, entries below 1e-12 of the largest at that scale."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-12 * float(np.max(np.abs(want))))


def _mp_row(labels, z, dps=50):
    """(value, gradient) of one sequence by mpmath (tests/reference/mp_sequence.py)."""
    import mpmath

    with mpmath.workdps(dps):
        zz = [[mpmath.mpf(float(v)) for v in r] for r in z]
        p, g = mp_sequence.forward_backward([int(v) for v in labels], zz)
        return float(-mpmath.log(p)), np.array([[float(v) for v in r] for r in g])


# -- PyTorch ---------------------------------------------------------------------------------------
torch_only = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch")


def _torch_ctc(labels, tl, il, z, **kw):
    import torch

    zt = torch.tensor(z, requires_grad=True)
    logp = torch.log_softmax(zt, dim=-1).permute(1, 0, 2)  # torch: (T, n, C) log-probabilities
    v = torch.nn.functional.ctc_loss(logp, torch.tensor(labels), torch.tensor(il), torch.tensor(tl), **kw)
    (v.sum() if v.ndim else v).backward()
    return v.detach().numpy(), zt.grad.numpy()


@torch_only
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_matches_torch_ctc_loss(reduction: str) -> None:
    labels, tl, il, z = _batch()
    t = Sequences(labels, tl, il)
    v_ref, g_ref = _torch_ctc(labels, tl, il, z, reduction=reduction)
    # torch's 'mean' divides each row by its target length first: divide_by_length=True
    loss = losslab.get("ctc", divide_by_length=reduction == "mean")
    _close(loss(t, z, reduction=reduction), v_ref)
    if reduction == "none":
        _close(loss.gradient(t, z), g_ref)  # ∂Σℓ/∂z
    else:
        scale = 1.0 / len(tl) if reduction == "mean" else 1.0
        _close(loss.gradient(t, z) * scale, g_ref)


@torch_only
def test_torch_backward_is_the_analytic_gradient() -> None:
    import torch

    labels, tl, il, z = _batch(1)
    t = Sequences(labels, tl, il)
    loss = losslab.get("ctc")
    zt = torch.tensor(z, requires_grad=True)
    v = loss(t, zt, reduction="sum")
    assert "CTCValue" in type(v.grad_fn).__name__ or "CTCValue" in str(v.grad_fn.next_functions)
    v.backward()
    _close(zt.grad.numpy(), loss.gradient(t, z), rtol=1e-13)  # the same kernel in torch's operations
    _, g_ref = _torch_ctc(labels, tl, il, z, reduction="sum")
    _close(zt.grad.numpy(), g_ref)
    # float32 tensors: float32 out, computed in log space (no underflow over long inputs)
    z32 = torch.tensor(np.random.default_rng(2).normal(0, 3, (2, 2000, 6)), dtype=torch.float32)
    long = Sequences(np.tile(np.arange(1, 6), (2, 20)), [100, 100])
    v32 = loss(long, z32, reduction="none")
    assert v32.dtype == torch.float32 and bool(torch.isfinite(v32).all())
    _close(v32.numpy(), loss(long, z32.double().numpy(), reduction="none"), rtol=1e-5)


@torch_only
def test_zero_infinity_as_torch_and_infeasible_rows_raise() -> None:
    labels = np.array([[1, 1, 2], [1, 2, 3], [2, 0, 0]])
    tl, il = np.array([3, 3, 1]), np.array([3, 3, 4])  # row 0 needs 4 steps (a blank between 1, 1)
    z = np.random.default_rng(3).normal(size=(3, 4, 4))
    t = Sequences(labels, tl, il)
    v_ref, g_ref = _torch_ctc(labels, tl, il, z, reduction="none", zero_infinity=True)
    loss = losslab.get("ctc", zero_infinity=True)
    assert v_ref[0] == 0.0 and loss(t, z, reduction="none")[0] == 0.0
    _close(loss(t, z, reduction="none"), v_ref)
    _close(loss.gradient(t, z), g_ref)
    assert not loss.gradient(t, z)[0].any()
    with pytest.raises(
        losslab.DomainError, match=r"row 0 has 3 labels with 1 equal neighbours.*needs 4 steps"
    ):
        losslab.get("ctc")(t, z)
    # without the check, torch's +inf (its default zero_infinity=False)
    v_inf, _ = _torch_ctc(labels, tl, il, z, reduction="none")
    got = losslab.get("ctc")(t, z, reduction="none", check=False)
    assert got[0] == v_inf[0] == np.inf
    _close(got[1:], v_inf[1:])


# -- optax ---------------------------------------------------------------------------------------
@pytest.fixture
def jax_x64():
    jax = pytest.importorskip("jax")
    pytest.importorskip("optax")
    with jax.enable_x64(True):
        yield jax


def _optax(labels, tl, il, z):
    import jax.numpy as jnp
    import optax

    lpad = (np.arange(labels.shape[1])[None, :] >= tl[:, None]).astype(np.float64)
    zpad = (np.arange(z.shape[1])[None, :] >= il[:, None]).astype(np.float64)
    return (
        (lambda x: optax.ctc_loss(x, jnp.asarray(zpad), jnp.asarray(labels), jnp.asarray(lpad))),
        lpad,
        zpad,
    )


def test_matches_optax_ctc_loss(jax_x64) -> None:
    import jax.numpy as jnp

    labels, tl, il, z = _batch(4)
    fn, lpad, zpad = _optax(labels, tl, il, z)
    v_ref = np.asarray(fn(jnp.asarray(z)))
    g_ref = np.asarray(jax_x64.grad(lambda x: fn(x).sum())(jnp.asarray(z)))
    t = Sequences.from_paddings(labels, lpad, zpad)  # optax's layout
    loss = losslab.get("ctc")
    _close(loss(t, z, reduction="none"), v_ref)
    _close(loss.gradient(t, z), g_ref)
    # and through JAX: jax.grad runs the custom_vjp (lax.scan forward, analytic backward), jitted
    g_jax = jax_x64.jit(jax_x64.grad(lambda x: loss(t, x, reduction="sum")))(jnp.asarray(z))
    _close(g_jax, g_ref)
    # Keras's packing, traced labels: the lattice is built inside the jitted function
    keras_like = np.where(np.arange(labels.shape[1])[None, :] < tl[:, None], labels, 0)
    full = jnp.asarray(z[:, : int(il.min())])
    f = jax_x64.jit(lambda y, x: loss(y, x, reduction="none"))
    _close(f(jnp.asarray(keras_like), full), loss(Sequences(labels, tl), np.asarray(full), reduction="none"))


def test_eager_jax_calls_reuse_one_compiled_function(jax_x64) -> None:
    """An eager call on JAX arrays runs a cached jitted function: the scans are traced and
    compiled once per shape, not at every call (the value and gradient stay the NumPy ones)."""
    import jax.numpy as jnp

    from losslab.losses.sequence import _jax_compiled

    loss = losslab.get("ctc")
    t = Sequences.from_lists([[1, 2], [3], [1, 1, 2]])
    zs = [np.random.default_rng(k).normal(size=(3, 7, 4)) for k in range(3)]
    fn = _jax_compiled(type(loss), False, False, 0)
    sizes = []
    for z in zs:
        _close(loss(t, jnp.asarray(z), reduction="none"), loss(t, z, reduction="none"))
        _close(jax_x64.grad(lambda x: loss(t, x, reduction="sum"))(jnp.asarray(z)), loss.gradient(t, z))
        sizes.append(fn._cache_size())
    # one entry for this shape, made by the first call at most (other tests in this process may
    # have compiled other shapes before: the cache is per loss configuration)
    assert sizes[0] == sizes[-1], sizes


def test_optax_is_off_at_huge_logits_and_losslab_exact(jax_x64) -> None:
    """optax's −1e5 for log 0 meets log-probabilities of −2e300: its value is off by 75 % and
    its gradient by O(1); losslab is exact (mpmath)."""
    import jax.numpy as jnp

    labels, z = np.array([[2, 1]]), np.array([[[1e300, 0.0, -1e300], [0.0, -1e300, 1e300]]])
    v_mp, g_mp = _mp_row(labels[0], z[0], dps=700)
    fn, _, _ = _optax(labels, np.array([2]), np.array([2]), z)
    v_opt = float(fn(jnp.asarray(z))[0])
    g_opt = np.asarray(jax_x64.grad(lambda x: fn(x).sum())(jnp.asarray(z)))[0]
    assert abs(v_opt - v_mp) > 0.5 * v_mp and np.max(np.abs(g_opt - g_mp)) > 0.5
    loss = losslab.get("ctc")
    assert float(loss(Sequences(labels), z)) == pytest.approx(v_mp, rel=1e-15)
    np.testing.assert_allclose(loss.gradient(Sequences(labels), z)[0], g_mp, rtol=1e-15, atol=0)


@torch_only
def test_anchor_gradients_off_at_logits_1e4_and_losslab_exact(jax_x64) -> None:
    """At logits ±1e4 that the labels go against, torch's and optax's gradients are off by
    ~1e-12 relative; losslab's complement form is exact (mpmath)."""
    import jax.numpy as jnp

    labels = np.array([[1, 2]])
    z = np.array([[[0.0, -1e4, 1e4], [1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]]])
    _, g_mp = _mp_row(labels[0], z[0], dps=100)
    _, g_torch = _torch_ctc(labels, np.array([2]), np.array([3]), z, reduction="sum")
    fn, _, _ = _optax(labels, np.array([2]), np.array([3]), z)
    g_opt = np.asarray(jax_x64.grad(lambda x: fn(x).sum())(jnp.asarray(z)))
    rel = lambda g: float(np.max(np.abs(g[0] - g_mp) / np.maximum(np.abs(g_mp), 1e-300)))  # noqa: E731
    assert rel(g_torch) > 1e-13 and rel(g_opt) > 1e-13
    assert rel(losslab.get("ctc").gradient(Sequences(labels), z)) <= 1e-15


# -- exactness where linear probabilities underflow ------------------------------------------------
def test_long_sequence_exact_at_the_gradients_scale() -> None:
    """T = 500 free steps: P < e^−745, below float64's range; the value to 1e-14 relative and
    the gradient to 1e-13 of its scale (entries where softmax and occupancy nearly cancel are
    exact only absolutely)."""
    rng = np.random.default_rng(5)
    labels = rng.integers(1, 5, 30)
    z = rng.normal(0.0, 2.0, (500, 5))
    v_mp, g_mp = _mp_row(labels, z, dps=40)
    assert v_mp > 745
    loss = losslab.get("ctc")
    t = Sequences(labels[None, :])
    assert float(loss(t, z[None])) == pytest.approx(v_mp, rel=1e-14)
    np.testing.assert_allclose(loss.gradient(t, z[None])[0], g_mp, rtol=0, atol=1e-13 * np.max(np.abs(g_mp)))


def test_divide_by_length_and_weights() -> None:
    labels, tl, il, z = _batch(6)
    t = Sequences(labels, tl, il)
    plain, per = losslab.get("ctc"), losslab.get("ctc", divide_by_length=True)
    u = np.maximum(tl, 1)
    np.testing.assert_allclose(per(t, z, reduction="none"), plain(t, z, reduction="none") / u, rtol=1e-15)
    np.testing.assert_allclose(per.gradient(t, z), plain.gradient(t, z) / u[:, None, None], rtol=1e-15)
    w = np.linspace(0.5, 2.0, len(tl))
    v = plain(t, z, reduction="none")
    assert float(plain(t, z, sample_weight=w)) == pytest.approx(np.sum(w * v) / np.sum(w), rel=1e-14)
    np.testing.assert_allclose(plain.gradient(t, z, sample_weight=w), w[:, None, None] * plain.gradient(t, z))
    # steps past a row's input length get no gradient
    g = plain.gradient(t, z)
    for i, n_steps in enumerate(il):
        assert not g[i, n_steps:].any()


# -- the target: errors and plain forms -------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "shape", "match"),
    [
        (
            Sequences([[1, 0, 2]], [3]),
            (1, 6, 4),
            r"Sequences.labels for loss 'ctc' must not contain the blank 0.*row 0, position 1",
        ),
        (
            Sequences([[1, 7]], [2]),
            (1, 6, 4),
            r"Sequences.labels .* class ids in 0 … 3 .*got 7 at row 0, position 1",
        ),
        (Sequences([[1, -2]], [2]), (1, 6, 4), r"class ids >= 0; got -2 at row 0, position 1"),
        (
            Sequences([[1, 2]], [3]),
            (1, 6, 4),
            r"Sequences.target_length for loss 'ctc' must be in 0 … 2.*got 3 at row 0",
        ),
        (
            Sequences([[1, 2], [1, 2]], [2, 2], [6, 0]),
            (2, 6, 4),
            r"Sequences.input_length .* in 1 … 6.*got 0 at row 1",
        ),
        (Sequences([[1, 2]], [2], [7]), (1, 6, 4), r"Sequences.input_length .* in 1 … 6.*got 7 at row 0"),
        (
            Sequences([[1, 2], [1, 2]], [2]),
            (2, 6, 4),
            r"Sequences.target_length .* one entry per row .*\(2 rows\); got 1",
        ),
        (
            Sequences([[1, 2]], [2], blank=4),
            (1, 6, 4),
            r"Sequences.blank for loss 'ctc' must be a class of y_pred",
        ),
        (
            Sequences([[1, 2], [1, 2]], [2, 2]),
            (3, 6, 4),
            r"y_pred for loss 'ctc' must have shape \(2, T, n_classes\)",
        ),
        (Sequences([[1, 2]], [2]), (1, 4), r"y_pred for loss 'ctc' must have shape \(1, T, n_classes\)"),
        (
            Sequences([[1, 2], [3]]),
            (2, 6, 4),
            r"Sequences.labels for loss 'ctc' must be padded .* Sequences.from_lists",
        ),
        (
            Sequences([[1, 0, 2]]),
            (1, 6, 4),
            r"row 0 has the label 2 at position 2, after a blank at position 1",
        ),
    ],
)
def test_clear_errors(target, shape, match) -> None:
    with pytest.raises(losslab.LosslabError, match=match):
        losslab.get("ctc")(target, np.zeros(shape))


def test_plain_forms_of_the_target() -> None:
    z = np.random.default_rng(8).normal(size=(3, 5, 4))
    loss = losslab.get("ctc")
    ref = loss(Sequences([[1, 2], [3, 0], [0, 0]], [2, 1, 0]), z, reduction="none")
    # Keras's packing: an (n, S) array padded with the blank 0 (floats too: Keras's y_true)
    np.testing.assert_array_equal(loss(np.array([[1, 2], [3, 0], [0, 0]]), z, reduction="none"), ref)
    np.testing.assert_array_equal(
        loss(np.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]), z, reduction="none"), ref
    )
    np.testing.assert_array_equal(loss(Sequences.from_lists([[1, 2], [3], []]), z, reduction="none"), ref)
    # another blank (the last class, as Keras 2's ctc_batch_cost): the same problem relabelled
    moved = np.concatenate([z[:, :, 1:], z[:, :, :1]], axis=2)  # class k → k − 1, blank 0 → 3
    other = Sequences([[0, 1], [2, 3], [3, 3]], [2, 1, 0], blank=3)
    np.testing.assert_allclose(loss(other, moved, reduction="none"), ref, rtol=1e-15)
    # rows of a fold
    part = Sequences([[1, 2], [3, 0], [0, 0]], [2, 1, 0]).take([2, 0])
    np.testing.assert_array_equal(loss(part, z[[2, 0]], reduction="none"), ref[[2, 0]])
    with pytest.raises(losslab.LosslabError, match="must be a losslab Sequences target"):
        loss(np.array([1, 2, 3]), z)


# -- Keras 3, each backend in its own process -------------------------------------------------------
_KERAS_SCRIPT = r"""
import json, sys
import numpy as np, keras
from keras import ops
import losslab, losslab.keras
from losslab.targets import Sequences

rng = np.random.default_rng(9)
n, T, C, S = 5, 9, 5, 3
tl = np.array([3, 2, 0, 1, 3])
labels = np.where(np.arange(S)[None, :] < tl[:, None], rng.integers(1, C, (n, S)), 0)
z = rng.normal(0, 2, (n, T, C))
backend = keras.backend.backend()
keras.backend.set_floatx("float64")  # NumPy float64 arrays would otherwise become float32
if backend == "jax":
    import jax
    jax.config.update("jax_enable_x64", True)

def grad_of(fn):
    if backend == "jax":
        import jax.numpy as jnp
        return np.asarray(jax.grad(lambda x: jnp.sum(fn(x)))(jnp.asarray(z)))
    import torch
    x = torch.tensor(z, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()

ops_fn = lambda x: ops.ctc_loss(labels.astype("int32"), x, tl.astype("int32"), np.full(n, T, dtype="int32"))
cls_fn = lambda x: keras.losses.CTC(reduction=None, dtype="float64")(labels.astype("float64"), x)
face_fn = lambda x: losslab.keras.CTC(reduction=None, dtype="float64")(labels.astype("float64"), x)
loss = losslab.get("ctc")
t = Sequences(labels, tl)
out = {"value": loss(t, z, reduction="none").tolist(), "gradient": loss.gradient(t, z).tolist()}
out.update(labels=labels.tolist(), lengths=tl.tolist(), z=z.tolist())
for name, fn in (("ops", ops_fn), ("class", cls_fn), ("face", face_fn)):
    out[name] = {
        "value": np.asarray(ops.convert_to_numpy(fn(z))).astype(float).tolist(),
        "gradient": grad_of(fn).tolist(),
    }
json.dump(out, open(sys.argv[1], "w"))
"""


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="needs Keras 3")
@pytest.mark.parametrize("backend", [b for b in ("torch", "jax") if importlib.util.find_spec(b)])
def test_matches_keras_ctc_under_each_backend(backend: str, tmp_path: Path) -> None:
    out = tmp_path / "keras.json"
    src = str(Path(losslab.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
        "KERAS_HOME": str(tmp_path / "keras_home"),
        "OMP_NUM_THREADS": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-c", _KERAS_SCRIPT, str(out)], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    r = json.loads(out.read_text())
    # losslab.keras.CTC (Keras's packing) is losslab's CTC
    _close(r["face"]["value"], r["value"])
    _close(r["face"]["gradient"], r["gradient"])
    # keras.ops.ctc_loss, and keras.losses.CTC even with dtype="float64", compute float64 logits
    # in float32 (Keras's result_type(float64, "float32") is float32): off by ~1e-7, the same
    # loss to float32's precision; losslab's values are exact (mpmath)
    for name in ("ops", "class"):
        err = np.max(np.abs(np.subtract(r[name]["value"], r["value"])) / np.abs(r["value"]))
        assert 1e-9 < err < 1e-5, (name, err)
        _close(r[name]["gradient"], r["gradient"], rtol=1e-4)
    for lab, u, zz, v in zip(r["labels"], r["lengths"], r["z"], r["value"], strict=True):
        assert v == pytest.approx(_mp_row(lab[:u], zz)[0], rel=1e-14)


def test_empty_label_sequences_and_a_single_step() -> None:
    """Width 0 (no labels at all): −Σₜ log y_blank; one step: −log y_label."""
    import scipy.special

    z = np.random.default_rng(10).normal(size=(2, 3, 4))
    logy = scipy.special.log_softmax(z, axis=2)
    loss = losslab.get("ctc")
    empty = Sequences(np.zeros((2, 0), dtype=np.int64), [0, 0])
    np.testing.assert_allclose(loss(empty, z, reduction="none"), -logy[:, :, 0].sum(axis=1), rtol=1e-15)
    one = Sequences([[2], [3]], [1, 1])
    np.testing.assert_allclose(loss(one, z[:, :1], reduction="none"), -logy[[0, 1], 0, [2, 3]], rtol=1e-15)
    g = np.exp(logy[:, :1])
    g[[0, 1], 0, [2, 3]] -= 1.0
    np.testing.assert_allclose(loss.gradient(one, z[:, :1]), g, rtol=1e-14, atol=1e-16)
