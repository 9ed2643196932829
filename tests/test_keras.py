"""losslab.keras under each installed Keras backend, each in its own process.

Keras fixes its backend when first imported, so this test never imports Keras itself: it runs
tests/keras_backend_check.py with ``KERAS_BACKEND`` set, once per backend, and checks the facts
that script measured: small models fit (the training loss decreases) and round-trip through
``keras.saving``; the gradients of one batch in the model's weights equal those of Keras's own
loss; Keras's reductions and sample-weight convention; Keras's names and defaults; the errors;
the docstring and docs/frameworks.md examples.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import losslab

# find_spec, not importorskip: importing Keras here would fix its backend for this process
if importlib.util.find_spec("keras") is None:
    pytest.skip("Keras 3 is not installed (pip install 'losslab[keras]')", allow_module_level=True)

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "keras_backend_check.py"
BACKENDS = [b for b in ("torch", "jax") if importlib.util.find_spec(b) is not None]
GRAD_RTOL = 1e-6


def _run(backend: str, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"{backend}.json"
    src = str(Path(losslab.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
        "KERAS_HOME": str(tmp_path / "keras_home"),  # no ~/.keras/keras.json written or read
        "OMP_NUM_THREADS": "1",
    }
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(out)], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"{backend} backend script failed:\n{proc.stderr[-4000:]}"
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_keras_backend(backend: str, tmp_path: Path) -> None:
    r = _run(backend, tmp_path)
    assert r["backend"] == backend

    # the module's doctests and the docs' Keras examples run; the docs' table is the code's
    assert r["doctests"]["attempted"] >= 5 and r["doctests"]["failed"] == 0, r["doctests"]
    docs = r["docs"]
    assert docs["blocks"] == 3 and docs["table_in_step"], docs
    assert docs["checks"]["check_round_trip"] is True
    assert docs["checks"]["check_means"] == [0.65625, 1.3125]  # Σwℓ/n and losslab's Σwℓ/Σw
    assert docs["checks"]["check_defaults"] == [
        "BinaryCrossentropy(from_logits=False)",
        "BinaryCrossentropy()",
        "BinaryCrossentropy()",
    ]
    assert docs["history"][-1] < docs["history"][0]

    # model.fit: the loss decreases, backward runs the analytic gradient kernel; keras.saving
    for name, fit in r["fits"].items():
        hist = fit["history"]
        assert hist[-1] < 0.9 * hist[0] and all(b < a for a, b in itertools.pairwise(hist)), (name, hist)
        assert fit["gradient_kernel_calls"] > 0, name
        assert (
            fit["loaded_type"]
            == {
                "huber": "Huber",
                "sparse_cce": "SparseCategoricalCrossentropy",
                "cce": "CategoricalCrossentropy",
            }[name]
        )
        assert fit["loaded_same_loss"] and fit["loaded_config"] == fit["config"], fit
        assert fit["prediction_diff"] == 0.0
        assert fit["loaded_value"] == pytest.approx(fit["value"], rel=1e-6)
    assert r["fits"]["huber"]["config"]["loss"] == {"name": "huber", "delta": 1.0}
    assert r["analytic"] == {"bce": True, "keras_face": True}

    # gradients of one batch in the weights, losslab vs Keras's own loss (float64)
    grads = r["gradients"]
    assert len(grads) == 14, sorted(grads)
    bad = {k: v for k, v in grads.items() if not v <= GRAD_RTOL}
    assert not bad, f"gradients differ from Keras's by more than {GRAD_RTOL}: {bad}"

    # Keras's reductions; its Σwℓ/n against losslab's Σwℓ/Σw (reduction="mean_with_sample_weight")
    red = r["reductions"]
    assert red["sequence_shape_ok"] == 1.0
    bad = {k: v for k, v in red.items() if k != "sequence_shape_ok" and not v <= 1e-6}
    assert not bad, f"reductions off: {bad}"

    # Keras's names: each table entry equals Keras's loss with Keras's defaults on valid inputs
    names = r["keras_names"]
    bad = {k: v for k, v in names["errors"].items() if not v <= 1e-6}
    assert not bad, f"Keras names that do not compute Keras's loss: {bad}"
    assert all(names["function_is_class"].values()), names["function_is_class"]
    assert all(names["registry"].values()) and len(names["registry"]) == 19, names["registry"]
    assert all(names["shorts"].values()) and len(names["shorts"]) >= 10, names["shorts"]
    assert names["uncovered"] == [], "Keras losses missing from KERAS_NAMES/KERAS_DIFFERS/KERAS_MISSING"
    assert names["stale"] == [], "names in losslab.keras's tables that Keras does not have"
    assert names["missing_but_registered"] == [], "now in losslab: move them to KERAS_NAMES or KERAS_DIFFERS"

    # a user's loss (losslab.custom) through losslab.keras.Loss and Keras's serialisation
    assert r["custom"]["round_trip"] is True
    assert r["custom"]["value"] == pytest.approx(r["custom"]["expected"], rel=1e-6)

    # clear errors naming the loss
    err = r["errors"]
    assert err["elementwise"].startswith("ShapeError: y_true and y_pred for loss 'huber'"), err
    assert "(3, 2)" in err["elementwise"] and "(3, 1)" in err["elementwise"]
    assert err["rows"].startswith("ShapeError: y_true for loss 'categorical_crossentropy'"), err
    assert "(3, 1) (class indices)" in err["rows"]
    assert err["one_column"].startswith("ShapeError: y_pred for loss 'categorical_crossentropy'"), err
    assert err["categorical_hinge"].startswith("UnknownLossError"), err
    assert "Crammer–Singer" in err["categorical_hinge"]
    assert err["domain"].startswith("DomainError: y_pred for loss 'binary_crossentropy'"), err
    # Circle mines its labels on the host: it trains under PyTorch, and JAX's traced labels get a
    # clear error instead of JAX's TracerArrayConversionError
    if backend == "torch":
        assert r["circle_fit"] == "ok", r["circle_fit"]
    else:
        assert r["circle_fit"].startswith("UnsupportedError: loss 'circle' needs the values of y_true")


def test_import_losslab_keras_names_the_backend_problem(tmp_path: Path) -> None:
    # Keras 3 defaults to TensorFlow; without it, the error says what to set
    if importlib.util.find_spec("tensorflow") is not None:
        pytest.skip("TensorFlow is installed")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["KERAS_HOME"] = str(tmp_path)  # no keras.json choosing a backend
    env["PYTHONPATH"] = str(Path(losslab.__file__).resolve().parents[1])
    proc = subprocess.run(
        [sys.executable, "-c", "import losslab.keras"], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode != 0
    assert "set KERAS_BACKEND=torch or KERAS_BACKEND=jax" in proc.stderr
