"""Dice and Tversky (src/losslab/losses/segmentation.py): what the generic suite does not check.

The generic suite covers value/gradient/Hessian against mpmath (tests/reference/mp_segmentation.py),
finite differences, backends and autodiff. Here: Keras's documented numbers, the identities
between the losses and their parameters, empty masks, errors, the exactness where 1 − ratio
cancels, and parity with ``keras.losses.Dice``/``Tversky`` under each Keras backend (each in its
own process: tests/keras_segmentation_check.py).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

import losslab

HERE = Path(__file__).resolve().parent
# Keras's docstring example: two (2, 2, 1) images
KERAS_Y = np.array([[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]])
KERAS_P = np.array([[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]])


def _rows(a: np.ndarray) -> np.ndarray:
    return a.reshape(a.shape[0], -1)


def _mp_dice(
    y: Any, p: Any, s: float = 0.0, eps: float = 1e-7, a: int = 2, alpha: float = 1.0, beta: float = 1.0
) -> Any:
    """1 − (a·TP + s)/(a·TP + α·FP + β·FN + s + ε) of one image, at 60 digits."""
    with mpmath.workdps(60):
        y, p = [mpmath.mpf(float(v)) for v in y], [mpmath.mpf(float(v)) for v in p]
        tp = mpmath.fsum(u * q for u, q in zip(y, p, strict=True))
        fp = mpmath.fsum((1 - u) * q for u, q in zip(y, p, strict=True))
        fn = mpmath.fsum(u * (1 - q) for u, q in zip(y, p, strict=True))
        n = a * tp + s
        return float(1 - n / (n + alpha * fp + beta * fn + s + eps))


def test_keras_docstring_numbers() -> None:
    # keras.losses.Dice's example: [0.5, 0.75757575] per image (axis=(1, 2, 3)), 0.6164384 batch-wide
    dice = losslab.get("dice", from_logits=False)
    per_image = dice(_rows(KERAS_Y), _rows(KERAS_P), reduction="none")
    np.testing.assert_allclose(per_image, [0.5, 0.75757575], rtol=1e-7)
    batch = dice(KERAS_Y.reshape(1, -1), KERAS_P.reshape(1, -1))
    assert float(batch) == pytest.approx(0.6164384, rel=1e-7)
    for i in range(2):
        assert per_image[i] == pytest.approx(_mp_dice(_rows(KERAS_Y)[i], _rows(KERAS_P)[i]), rel=1e-15)


def test_logits_are_probabilities_through_the_sigmoid() -> None:
    rng = np.random.default_rng(0)
    y, x = (rng.uniform(size=(5, 12)) < 0.5).astype(float), rng.normal(0.0, 3.0, (5, 12))
    p = 1.0 / (1.0 + np.exp(-x))
    for name, kw in (("dice", {}), ("tversky", {"alpha": 0.2, "beta": 0.8, "smooth": 1.0})):
        lo, lp = losslab.get(name, **kw), losslab.get(name, from_logits=False, **kw)
        np.testing.assert_allclose(lo(y, x, reduction="none"), lp(y, p, reduction="none"), rtol=1e-13)
        # chain rule: ∂ℓ/∂x = ∂ℓ/∂p · p(1 − p)
        np.testing.assert_allclose(
            lo.gradient(y, x), lp.gradient(y, p) * p * (1 - p), rtol=1e-11, atol=1e-300
        )


def test_tversky_at_one_half_is_dice_with_doubled_smoothing() -> None:
    rng = np.random.default_rng(1)
    y, x = (rng.uniform(size=(6, 10)) < 0.3).astype(float), rng.normal(0.0, 2.0, (6, 10))
    tv = losslab.get("tversky", smooth=0.5, epsilon=1e-3)
    dice = losslab.get("dice", smooth=1.0, epsilon=2e-3)
    np.testing.assert_allclose(tv(y, x, reduction="none"), dice(y, x, reduction="none"), rtol=1e-14)
    g1, h1 = tv.gradient_hessian(y, x)
    g2, h2 = dice.gradient_hessian(y, x)
    np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(h1, h2, rtol=1e-10, atol=1e-300)


def test_alpha_weighs_false_positives() -> None:
    # y = [1, 0], p = [1, 1]: one false positive, no false negative
    y, p = np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]])
    fp_heavy = losslab.get("tversky", alpha=1.0, beta=0.0, from_logits=False, epsilon=0.0, smooth=1e-9)
    fn_heavy = losslab.get("tversky", alpha=0.0, beta=1.0, from_logits=False, epsilon=0.0, smooth=1e-9)
    assert float(fp_heavy(y, p)) == pytest.approx(0.5, rel=1e-8)
    assert float(fn_heavy(y, p)) == 0.0


def test_empty_masks() -> None:
    zeros = np.zeros((1, 8))
    x = np.linspace(-3.0, 3.0, 8)[None, :]
    # Keras's defaults (s = 0): an empty mask scores 1 whatever the prediction, gradient 0
    dice = losslab.get("dice")
    assert float(dice(zeros, x)) == 1.0
    assert np.all(dice.gradient(zeros, x) == 0.0)
    # smooth = 1: the loss is Σp/(Σp + 1), pushing every pixel down; 0 at p = 0 exactly (no 0/0)
    smooth = losslab.get("dice", smooth=1.0, epsilon=0.0)
    p = 1.0 / (1.0 + np.exp(-x))
    assert float(smooth(zeros, x)) == pytest.approx(p.sum() / (p.sum() + 1.0), rel=1e-14)
    assert np.all(smooth.gradient(zeros, x) > 0.0)
    assert float(smooth(zeros, np.full((1, 8), -1e4))) == 0.0
    probs = losslab.get("dice", smooth=1.0, epsilon=0.0, from_logits=False)
    assert float(probs(zeros, np.zeros((1, 8)))) == 0.0
    assert np.all(np.isfinite(probs.gradient_hessian(zeros, np.zeros((1, 8)))))


def test_classes_are_averaged_with_their_weights() -> None:
    rng = np.random.default_rng(2)
    n, pixels, c = 3, 9, 3
    y = np.eye(c)[rng.integers(0, c, (n, pixels))]  # (n, pixels, c) one-hot, channels-last
    x = rng.normal(0.0, 2.0, (n, pixels, c))
    one = losslab.get("dice", smooth=1.0)
    per_class = np.stack([one(y[..., k], x[..., k], reduction="none") for k in range(c)], axis=1)
    multi = losslab.get("dice", smooth=1.0, n_classes=c)
    np.testing.assert_allclose(
        multi(_rows(y), _rows(x), reduction="none"), per_class.mean(axis=1), rtol=1e-14
    )
    weighted = losslab.get("dice", smooth=1.0, n_classes=c, class_weight=[0.0, 1.0, 3.0])
    np.testing.assert_allclose(
        weighted(_rows(y), _rows(x), reduction="none"), per_class @ np.array([0.0, 0.25, 0.75]), rtol=1e-14
    )
    # the gradient of a class's entries is its share of that class's gradient
    g = weighted.gradient(_rows(y), _rows(x)).reshape(n, pixels, c)
    np.testing.assert_allclose(g[..., 2], 0.75 * one.gradient(y[..., 2], x[..., 2]), rtol=1e-13)
    assert np.all(g[..., 0] == 0.0)


def test_exact_where_one_minus_the_ratio_cancels() -> None:
    # a near-perfect image: ℓ ≈ 3e-9; Keras's 1 − 2TP/(Σy + Σp + ε) keeps ~8 digits of it
    rng = np.random.default_rng(3)
    y = (rng.uniform(size=64) < 0.4).astype(float)
    p = np.where(y == 1.0, 1.0 - 1e-9, 1e-9)
    ref = _mp_dice(y, p)
    ours = float(losslab.get("dice", from_logits=False)(y[None, :], p[None, :]))
    keras_formula = 1.0 - 2.0 * np.sum(y * p) / (np.sum(y) + np.sum(p) + 1e-7)
    assert ours == pytest.approx(ref, rel=1e-14)
    assert abs(keras_formula - ref) / ref > 1e-10
    # from logits, a confident right answer keeps its tiny loss (no p = 1 rounding)
    x = np.where(y == 1.0, 40.0, -40.0)
    with mpmath.workdps(60):
        p_exact = [1 / (1 + mpmath.exp(-mpmath.mpf(v))) for v in x]
        tp = mpmath.fsum(u * q for u, q in zip(y, p_exact, strict=True))
        e = mpmath.fsum((1 - u) * q + u * (1 - q) for u, q in zip(y, p_exact, strict=True))
        ref_logits = float(e / (2 * tp + e))
    exact = losslab.get("dice", smooth=0.0, epsilon=1e-300)
    assert float(exact(y[None, :], x[None, :])) == pytest.approx(ref_logits, rel=1e-14)


def test_bad_parameters_and_shapes_are_named() -> None:
    with pytest.raises(losslab.ParameterError, match="'smooth' and 'epsilon' of loss 'dice' are both 0"):
        losslab.get("dice", smooth=0.0, epsilon=0.0)
    with pytest.raises(
        losslab.ParameterError, match="'class_weight' of loss 'tversky' has 2 weights but n_classes is 3"
    ):
        losslab.get("tversky", n_classes=3, class_weight=[1.0, 2.0])
    with pytest.raises(losslab.ParameterError, match="n_classes"):
        losslab.get("dice", n_classes=0)
    with pytest.raises(
        losslab.ShapeError, match="rows of 10 values, not a whole number of pixels × 3 classes"
    ):
        losslab.get("dice", n_classes=3)(np.zeros((2, 10)), np.zeros((2, 10)))
    with pytest.raises(losslab.DomainError, match="y_true for loss 'dice'"):
        losslab.get("dice")(np.full((1, 4), 2.0), np.zeros((1, 4)))
    with pytest.raises(losslab.DomainError, match="y_pred for loss 'tversky'"):
        losslab.get("tversky", from_logits=False)(np.zeros((1, 4)), np.full((1, 4), 1.5))


def test_float32_in_float32_out() -> None:
    lo = losslab.get("tversky", alpha=0.3, beta=0.7)
    y, x = lo.example(6)
    v32 = lo(y.astype(np.float32), x.astype(np.float32), reduction="none")
    g32 = lo.gradient(y.astype(np.float32), x.astype(np.float32))
    assert v32.dtype == np.float32 and g32.dtype == np.float32
    np.testing.assert_allclose(v32, lo(y, x, reduction="none"), rtol=1e-5)
    np.testing.assert_allclose(g32, lo.gradient(y, x), rtol=1e-4, atol=1e-7)


def test_docs_example_runs_and_says_what_it_computes() -> None:
    text = (HERE.parent / "docs" / "segmentation.md").read_text(encoding="utf-8")
    block = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    ns: dict[str, Any] = {}
    exec(compile(block, "docs/segmentation.md", "exec"), ns)
    np.testing.assert_allclose(ns["per_image"], [0.1728, 1.0], atol=5e-5)
    np.testing.assert_allclose(ns["smoothed"], [0.1559, 0.4314], atol=5e-5)
    assert float(ns["batch"]) == pytest.approx(0.2358, abs=5e-5)
    assert ns["g"].shape == ns["h"].shape == (2, 16)


# -- Keras 3: keras.losses.Dice and Tversky, one process per backend ------------------------------
_KERAS = importlib.util.find_spec("keras") is not None
BACKENDS = [b for b in ("torch", "jax") if importlib.util.find_spec(b) is not None]


@pytest.mark.skipif(not _KERAS, reason="Keras 3 is not installed")
@pytest.mark.parametrize("backend", BACKENDS)
def test_keras_parity(backend: str, tmp_path: Path) -> None:
    out = tmp_path / "seg.json"
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": os.pathsep.join(
            [str(Path(losslab.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
        ),
        "KERAS_HOME": str(tmp_path / "keras_home"),
        "OMP_NUM_THREADS": "1",
    }
    proc = subprocess.run(
        [sys.executable, str(HERE / "keras_segmentation_check.py"), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    r = json.loads(out.read_text(encoding="utf-8"))
    assert r["backend"] == backend
    # values (every axis, reduction and sample weights) and autograd gradients, float64
    assert len(r["values"]) == 3 * (4 * 4 + 2 * 4)
    assert all(r["shapes"].values()), [k for k, v in r["shapes"].items() if not v]
    bad = {k: v for k, v in r["values"].items() if not v <= 1e-10}
    assert not bad, f"values off Keras's: {bad}"
    bad = {k: v for k, v in r["grads"].items() if not v <= 1e-10}
    assert not bad, f"gradients in y_pred off Keras's: {bad}"
    # Keras <= 3.15.1 swaps alpha and beta (compared above with them swapped back); fixed after
    major_minor_patch = tuple(int(v) for v in r["keras_version"].split(".")[:3])
    assert r["tversky_swapped"] == (major_minor_patch <= (3, 15, 1))
    # near-perfect images: losslab within 1e-14 of mpmath, Keras's 1 − ratio off by > 1e-10
    near = np.where(_rows(_near_y()) == 1.0, 1.0 - 1e-9, 1e-9)
    refs = [_mp_dice(y, p) for y, p in zip(_rows(_near_y()), near, strict=True)]
    ours_err = [abs(a - b) / b for a, b in zip(r["near"]["losslab"], refs, strict=True)]
    keras_err = [abs(a - b) / b for a, b in zip(r["near"]["keras"], refs, strict=True)]
    assert max(ours_err) <= 1e-14, ours_err
    assert max(keras_err) > 1e-10, keras_err
    # model.fit decreases the loss; weight gradients equal Keras's own; keras.saving round trip
    fit = r["fit"]
    hist = fit["history"]
    assert all(b < a for a, b in itertools.pairwise(hist)) and hist[-1] < 0.9 * hist[0], hist
    bad = {k: v for k, v in fit["grads"].items() if not v <= 1e-10}
    assert not bad, f"weight gradients off Keras's: {bad}"
    assert fit["loaded_type"] == "Dice" and fit["loaded_config_same"] and fit["loaded_axis"] == [1, 2, 3]
    assert fit["value_same"]
    err = r["errors"]
    assert err["axis_elsewhere"].startswith("ParameterError: axis is Keras's argument"), err
    assert err["axis_type"].startswith("ParameterError: axis of loss 'dice'"), err
    assert err["shapes"].startswith("ShapeError: y_true and y_pred for loss 'dice' (losslab.keras)"), err


def _near_y() -> np.ndarray:
    sys.path.insert(0, str(HERE))
    try:
        from keras_segmentation_check import inputs
    finally:
        sys.path.remove(str(HERE))
    return inputs()["y"]
