"""losslab.keras's Dice and Tversky against ``keras.losses`` under one Keras backend.

Run by tests/test_segmentation.py in a fresh process per backend (Keras fixes its backend when
first imported): ``KERAS_BACKEND=torch python tests/keras_segmentation_check.py OUT.json``. The
script measures (float64) and writes the facts to OUT.json; the assertions are in the test.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

AXES = {"none": None, "image": (1, 2, 3), "image_class": (1, 2), "last": -1}
REDUCTIONS = (None, "sum_over_batch_size", "sum", "mean_with_sample_weight")
CONFIGS = {
    "dice": ("Dice", {}),
    "tversky": ("Tversky", {}),
    "tversky_37": ("Tversky", {"alpha": 0.3, "beta": 0.7}),
}


def inputs() -> dict[str, Any]:
    """Masks (one empty image), probabilities, weights, and a near-perfect prediction."""
    import numpy as np

    rng = np.random.default_rng(0)
    y = (rng.uniform(size=(4, 6, 6, 2)) < 0.4).astype(float)
    y[0] = 0.0
    p = rng.uniform(0.02, 0.98, y.shape)
    near = np.where(y == 1.0, 1.0 - 1e-9, 1e-9)
    return {"y": y, "p": p, "w": np.array([1.0, 0.5, 2.0, 0.0]), "near": near}


def main(out_path: str) -> None:
    backend = os.environ["KERAS_BACKEND"]
    if backend == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
    import keras
    import numpy as np

    import losslab.keras as lk
    from keras_backend_check import Backend, _np, _rel

    if backend == "torch":
        import torch

        torch.set_num_threads(1)
    keras.backend.set_floatx("float64")
    be = Backend(backend)
    d = inputs()
    y, p, w = d["y"], d["p"], d["w"]

    # Keras <= 3.15.1 weighs the false negatives by alpha (keras-team/keras#23333): y = [1, 0],
    # p = [1, 1] has one false positive and no false negative
    probe = float(
        _np(keras.losses.tversky(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]), alpha=1.0, beta=0.0))
    )
    swapped = probe < 0.25

    def theirs(cls: str, kw: dict[str, Any], **more: Any) -> Any:
        if swapped and "alpha" in kw:
            kw = {"alpha": kw["beta"], "beta": kw["alpha"]}
        return getattr(keras.losses, cls)(**kw, **more)

    values, shapes = {}, {}
    for key, (cls, kw) in CONFIGS.items():
        for ax_name, axis in AXES.items():
            for red in REDUCTIONS:
                for weighted in (False, True):
                    if weighted and ax_name not in ("none", "image"):
                        continue  # Keras broadcasts (n,) weights only against (n,)-shaped values
                    sw = w if weighted else None
                    ours = getattr(lk, cls)(axis=axis, reduction=red, **kw)
                    ref = theirs(cls, kw, axis=axis, reduction=red)
                    a, b = be.run(lambda yy, pp, o=ours, r=ref, s=sw: (o(yy, pp, s), r(yy, pp, s)), y, p)
                    name = f"{key}/{ax_name}/{red}/{'w' if weighted else '-'}"
                    values[name] = _rel(a, b)
                    shapes[name] = list(np.shape(a)) == list(np.shape(b))

    # autograd gradients in y_pred (reduction="sum"): losslab's analytic gradient vs Keras's autodiff
    def grad(fn: Any, yy: Any, pp: Any) -> Any:
        if backend == "torch":
            pt = torch.tensor(pp, requires_grad=True)
            (g,) = torch.autograd.grad(fn(torch.tensor(yy), pt), pt)
            return g.numpy()
        import jax

        return np.asarray(jax.jit(jax.grad(lambda q: fn(yy, q)))(pp))

    grads = {}
    for key, (cls, kw) in CONFIGS.items():
        for ax_name in ("none", "image", "image_class"):
            axis = AXES[ax_name]
            ours = getattr(lk, cls)(axis=axis, reduction="sum", **kw)
            ref = theirs(cls, kw, axis=axis, reduction="sum")
            grads[f"{key}/{ax_name}"] = _rel(grad(ours, y, p), grad(ref, y, p))
    # from logits: losslab on the raw scores, Keras on their sigmoid
    x = np.log(p) - np.log1p(-p)
    ours = lk.Dice(from_logits=True, axis=(1, 2, 3), reduction="sum")
    ref = keras.losses.Dice(axis=(1, 2, 3), reduction="sum")
    grads["dice/image/logits"] = _rel(
        grad(ours, y, x), grad(lambda yy, q: ref(yy, keras.ops.sigmoid(q)), y, x)
    )

    # a near-perfect prediction: Keras's 1 − ratio against losslab's E/D (the test has mpmath)
    near = {
        "keras": be.run(lambda yy, pp: keras.losses.dice(yy, pp, axis=(1, 2, 3)), y, d["near"]).tolist(),
        "losslab": be.run(
            lambda yy, pp: lk.Dice(axis=(1, 2, 3), reduction=None)(yy, pp), y, d["near"]
        ).tolist(),
    }

    result = {
        "backend": keras.backend.backend(),
        "keras_version": keras.version(),
        "tversky_swapped": swapped,
        "values": values,
        "shapes": shapes,
        "grads": grads,
        "near": near,
        "fit": fit(keras, lk, be, swapped),
        "errors": errors(lk, y, p),
    }
    Path(out_path).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")


def fit(keras: Any, lk: Any, be: Any, swapped: bool) -> dict[str, Any]:
    """A small per-pixel segmenter trained with losslab's Dice; weight gradients of one
    batch against Keras's own Dice/Tversky; a keras.saving round trip."""
    import numpy as np

    from keras_backend_check import _rel

    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 6, 6, 1))
    y = (x > 0.3).astype(float)
    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [
            keras.Input((6, 6, 1)),
            # per-pixel dense layers (PyTorch's float64 conv2d backward fails with Keras's own Dice too)
            keras.layers.Dense(4, activation="tanh"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    loss = lk.Dice(axis=(1, 2, 3))
    model.compile(optimizer=keras.optimizers.Adam(0.03), loss=loss)
    hist = model.fit(x, y, epochs=5, batch_size=16, verbose=0, shuffle=False)
    tversky_kw = {"alpha": 0.7, "beta": 0.3} if swapped else {"alpha": 0.3, "beta": 0.7}
    pairs = {
        "dice_image": (
            lk.Dice(axis=(1, 2, 3), reduction="sum"),
            keras.losses.Dice(axis=(1, 2, 3), reduction="sum"),
        ),
        "dice_batch": (lk.Dice(), keras.losses.Dice()),
        "tversky_image": (
            lk.Tversky(alpha=0.3, beta=0.7, axis=(1, 2, 3), reduction="sum"),
            keras.losses.Tversky(axis=(1, 2, 3), reduction="sum", **tversky_kw),
        ),
    }
    grads = {}
    for name, (ours, ref) in pairs.items():
        g = be.grads(model, x[:16], y[:16], [ours, ref])
        grads[name] = max(_rel(a, b) for a, b in zip(g[0], g[1], strict=True))
    path = Path(tempfile.mkdtemp()) / "seg.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    return {
        "history": [float(v) for v in hist.history["loss"]],
        "grads": grads,
        "loaded_type": type(loaded.loss).__name__,
        "loaded_config_same": loaded.loss.get_config() == loss.get_config(),
        "loaded_axis": list(loaded.loss.axis),
        "value_same": float(model.evaluate(x, y, verbose=0)) == float(loaded.evaluate(x, y, verbose=0)),
    }


def errors(lk: Any, y: Any, p: Any) -> dict[str, str]:
    """Messages of the face's errors."""
    out = {}
    for key, fn in (
        ("axis_elsewhere", lambda: lk.Huber(axis=1)),
        ("axis_type", lambda: lk.Dice(axis="rows")),
        ("shapes", lambda: lk.Dice()(y[..., :1], p)),
    ):
        try:
            fn()
            out[key] = "no error"
        except Exception as exc:  # noqa: BLE001 - the message is the result
            out[key] = f"{type(exc).__name__}: {exc}"
    return out


if __name__ == "__main__":
    main(sys.argv[1])
