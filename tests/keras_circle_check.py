"""Keras's Circle loss under one backend, run by tests/test_optax_extra.py in a fresh process.

``KERAS_BACKEND=torch python tests/keras_circle_check.py IN.npz OUT.npz``: for each batch in
IN.npz (``labels_i``, ``rows_i``, ``gamma_i``, ``margin_i``, ``diag_i``) it writes Keras's
per-sample values (``keras.losses.circle``, float64) and the gradient of their sum in the rows
(the backend's autograd), and ``losslab.keras.Circle``'s per-sample values (``face_i``), all in
float64. Keras fixes its backend when first imported, hence the process.
"""

from __future__ import annotations

import os
import sys


def main(src: str, out: str) -> None:
    import numpy as np

    backend = os.environ["KERAS_BACKEND"]
    if backend == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
    import keras

    import losslab.keras as lk

    keras.backend.set_floatx("float64")  # the PyTorch backend casts float64 tensors to floatx

    data = np.load(src)
    result = {}
    for i in range(int(data["count"])):
        labels, rows = data[f"labels_{i}"], data[f"rows_{i}"]
        kw = {
            "gamma": float(data[f"gamma_{i}"]),
            "margin": float(data[f"margin_{i}"]),
            "remove_diagonal": bool(data[f"diag_{i}"]),
        }

        def total(x: object, kw: dict = kw, labels: object = labels) -> object:
            return keras.ops.sum(keras.losses.circle(labels, x, **kw))

        if backend == "torch":
            import torch

            x = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
            value = keras.losses.circle(labels, x, **kw)
            (grad,) = torch.autograd.grad(value.sum(), x)
            value, grad = value.detach().numpy(), grad.numpy()
        else:
            import jax

            x = jax.numpy.asarray(rows)
            value, grad = np.asarray(keras.losses.circle(labels, x, **kw)), np.asarray(jax.grad(total)(x))
        result[f"value_{i}"], result[f"grad_{i}"] = value, grad
        face = lk.Circle(reduction=None, **kw)(labels, rows)
        result[f"face_{i}"] = keras.ops.convert_to_numpy(face)
        result[f"keras_{i}"] = keras.ops.convert_to_numpy(
            keras.losses.Circle(reduction=None, **kw)(labels, rows)
        )
    np.savez(out, **result)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
