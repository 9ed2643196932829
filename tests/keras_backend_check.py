"""Checks of ``losslab.keras`` under one Keras backend, run by tests/test_keras.py in a fresh process.

Keras fixes its backend when first imported, so each backend gets its own interpreter:
``KERAS_BACKEND=torch python tests/keras_backend_check.py OUT.json``. The script measures and
writes facts (errors, loss curves, …) to OUT.json; the assertions are in tests/test_keras.py.
Everything runs inside ``main`` so that pytest's doctest collection can import this file
without importing Keras.
"""

from __future__ import annotations

import contextlib
import doctest
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
N = 256  # rows of the fitted models
WEIGHTED = ("mse", "bce_logits", "sparse_cce", "poisson_log_link")  # parity also with sample weights


def _rel(a: Any, b: Any) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _np(x: Any) -> Any:
    import keras

    return keras.ops.convert_to_numpy(x)


class Backend:
    """The active backend's way to differentiate and to run a function of arrays.

    Under JAX both are jit-compiled: one compilation is several times cheaper than eager JAX,
    which compiles each primitive on its first call.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` (arrays in, a tree of arrays out) as NumPy."""
        import numpy as np

        if self.name == "jax":
            import jax

            return jax.tree_util.tree_map(np.asarray, jax.jit(fn)(*args))
        import keras

        return keras.tree.map_structure(_np, fn(*args))

    def grads(self, model: Any, x: Any, y: Any, fns: list[Any]) -> list[list[Any]]:
        """For each scalar loss ``fn(y, model(x))`` in ``fns``, its gradients in the weights."""
        if self.name == "torch":
            import torch

            params = [v.value for v in model.trainable_variables]
            out = model(x)
            return [
                [g.numpy() for g in torch.autograd.grad(fn(y, out), params, retain_graph=True)] for fn in fns
            ]
        import jax

        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]

        def all_grads(tv: Any, xx: Any, yy: Any) -> list[Any]:
            def total(t: Any, fn: Any) -> Any:
                return fn(yy, model.stateless_call(t, frozen, xx)[0])

            return [jax.grad(total)(tv, fn) for fn in fns]

        return self.run(all_grads, trainable, x, y)

    def uses_analytic_gradient(self, loss: Any, y: Any, f: Any) -> bool:
        """True if differentiating ``loss`` goes through losslab's autograd Function / custom_jvp."""
        if self.name == "torch":
            import torch

            x = torch.tensor(f, requires_grad=True)
            out = loss(torch.tensor(y), x)
            seen, stack = set(), [out.grad_fn]
            while stack:
                node = stack.pop()
                if node is None or node in seen:
                    continue
                seen.add(node)
                if type(node).__name__ in ("LossValueBackward", "LossTotalBackward"):
                    return True
                stack.extend(n for n, _ in node.next_functions)
            return False
        import jax
        import jax.numpy as jnp

        jaxpr = jax.make_jaxpr(jax.grad(lambda ff: loss(jnp.asarray(y), ff)))(jnp.asarray(f))
        return "custom_jvp_call" in str(jaxpr)


def _model(keras: Any, n_in: int, n_out: int, seed: int) -> Any:
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((n_in,)),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Dense(n_out),
        ]
    )


def _data(seed: int) -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, 4))
    lin = x @ np.array([1.0, -2.0, 0.5, 0.0])
    scores = np.stack([lin, -lin, 0.5 * x[:, 2]], axis=1)
    labels = np.argmax(scores + rng.gumbel(size=(N, 3)), axis=1)
    return {
        "x": x,
        "y_reg": (lin + rng.standard_t(3, size=N))[:, None],
        "y_bin": (lin + rng.logistic(size=N) > 0).astype(float)[:, None],
        "y_count": rng.poisson(np.exp(0.3 * lin))[:, None].astype(float),
        "labels": labels,
        "onehot": np.eye(3)[labels],
        "soft": rng.dirichlet(np.ones(3), N),
        "w": rng.uniform(0.5, 3.0, N),  # Σw/n ≈ 1.75: Keras's Σwℓ/n is far from Σwℓ/Σw
    }


def gradient_parity(keras: Any, lk: Any, be: Backend) -> dict[str, float]:
    """Max relative difference between the weight gradients of a losslab loss and Keras's own."""
    ops, kl = keras.ops, keras.losses
    d = _data(1)
    softmax = keras.activations.softmax
    # (losslab loss, Keras loss, targets, outputs, map from the model's output to Keras's y_pred)
    # reduction="sum" on both sides: Keras's torch backend returns its mean reductions in float32
    # (divide_no_nan), which would hide float64 differences
    r = {"reduction": "sum"}
    cases = {
        "mse": (lk.Loss("mse", **r), kl.MeanSquaredError(**r), "y_reg", 1, None),
        "huber": (lk.Huber(delta=1.5, **r), kl.Huber(delta=1.5, **r), "y_reg", 1, None),
        "log_cosh": (lk.LogCosh(**r), kl.LogCosh(**r), "y_reg", 1, None),
        "hinge": (lk.Hinge(**r), kl.Hinge(**r), "y_bin", 1, None),
        "bce_logits": (
            lk.BinaryCrossentropy(from_logits=True, **r),
            kl.BinaryCrossentropy(from_logits=True, **r),
            "y_bin",
            1,
            None,
        ),
        "bce_probabilities": (lk.BinaryCrossentropy(**r), kl.BinaryCrossentropy(**r), "y_bin", 1, "sigmoid"),
        "cce": (
            lk.CategoricalCrossentropy(from_logits=True, **r),
            kl.CategoricalCrossentropy(from_logits=True, **r),
            "onehot",
            3,
            None,
        ),
        "sparse_cce": (
            lk.Loss("sparse_categorical_crossentropy", from_logits=True, **r),
            kl.SparseCategoricalCrossentropy(from_logits=True, **r),
            "labels",
            3,
            None,
        ),
        "kl_divergence": (lk.KLDivergence(**r), kl.KLDivergence(**r), "soft", 3, "softmax"),
        # Keras's Poisson takes μ = exp(output); losslab's takes the output log μ itself
        "poisson_log_link": (lk.Poisson(**r), kl.Poisson(**r), "y_count", 1, "exp"),
    }
    acts = {"sigmoid": keras.activations.sigmoid, "softmax": softmax, "exp": ops.exp}
    out: dict[str, float] = {}
    # Keras adds its epsilon inside logs (Poisson's log(μ + ε)) and clips probabilities to
    # [ε, 1 − ε]; with ε = 0 its losses are the exact formulas, comparable to 1e-6
    epsilon = keras.config.epsilon()
    keras.config.set_epsilon(0.0)
    for name, (ours, theirs, target, n_out, act) in cases.items():
        model = _model(keras, 4, n_out, seed=2)
        x, y = d["x"], d[target]
        y = y if target != "labels" else y[:, None]  # sparse labels as a column, as Keras passes them
        # losslab's Poisson takes the raw output (log μ); every other pair sees the same y_pred
        fn_ours = _on(ours, None if act == "exp" else acts.get(act))
        fn_theirs = _on(theirs, acts.get(act))
        fns = [fn_ours, fn_theirs]
        if name in WEIGHTED:  # Keras's Σwℓ/n on both sides
            fns += [
                lambda yy, ff, fn=fn_ours, w=d["w"]: fn(yy, ff, w),
                lambda yy, ff, fn=fn_theirs, w=d["w"]: fn(yy, ff, w),
            ]
        g = be.grads(model, x, y, fns)
        out[name] = max(_rel(a, b) for a, b in zip(g[0], g[1], strict=True))
        if name in WEIGHTED:
            out[name + "_weighted"] = max(_rel(a, b) for a, b in zip(g[2], g[3], strict=True))
    keras.config.set_epsilon(epsilon)
    return out


def _on(loss: Any, act: Any) -> Any:
    def fn(y: Any, f: Any, w: Any = None) -> Any:
        return loss(y, f if act is None else act(f), sample_weight=w)

    return fn


def reductions(keras: Any, lk: Any, losslab: Any, be: Backend) -> dict[str, float]:
    """Keras's reductions and sample-weight convention against losslab's own numbers."""
    import numpy as np

    d = _data(3)
    y, f, w = d["y_reg"], d["y_reg"] * 0.5 + 0.3, d["w"]
    z = np.stack([f[:, 0], -f[:, 0], 0.1 * f[:, 0]], axis=1)
    zz = np.stack([z, z[::-1]], axis=1)  # a sequence axis: (n, 2, 3)
    lab = np.stack([d["labels"], d["labels"][::-1]], axis=1)
    reductions = ("sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none", None)
    scce = lk.SparseCategoricalCrossentropy(from_logits=True)

    def compute(
        y: Any, f: Any, w: Any, labels: Any, onehot: Any, z: Any, zz: Any, lab: Any
    ) -> dict[str, Any]:
        kh = keras.losses.Huber
        return {
            **{str(r): lk.Huber(delta=1.5, reduction=r)(y, f, sample_weight=w) for r in reductions},
            **{f"keras_{r}": kh(delta=1.5, reduction=r)(y, f, sample_weight=w) for r in reductions},
            # y_true (n,) against y_pred (n, 1), as Keras allows; sparse labels as (n,) and (n, 1)
            "vector": lk.Huber()(y[:, 0], f),
            "column": lk.Huber()(y, f),
            "sparse_column": scce(labels[:, None], z),
            "sparse": scce(labels, z),
            "onehot": lk.Loss("cce")(onehot, z),
            "sequence": lk.SparseCategoricalCrossentropy(from_logits=True, reduction=None)(lab, zz),
            "keras_sequence": keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)(
                lab, zz
            ),
        }

    got = be.run(compute, y, f, w, d["labels"], d["onehot"], z, zz, lab)
    core = losslab.get("huber", delta=1.5)
    per = np.asarray(core(y[:, 0], f[:, 0], reduction="none"))
    expected = {
        "sum_over_batch_size": np.sum(w * per) / N,
        "mean": np.sum(w * per) / N,
        "sum": np.sum(w * per),
        "mean_with_sample_weight": float(core(y[:, 0], f[:, 0], sample_weight=w)),  # losslab's Σwℓ/Σw
        "none": w * per,
        "None": w * per,
    }
    out = {key: _rel(got[key], value) for key, value in expected.items()}
    out.update({f"keras_{r}": _rel(got[str(r)], got[f"keras_{r}"]) for r in reductions})
    out["column_vs_vector"] = _rel(got["vector"], got["column"])
    out["sparse_column"] = _rel(got["sparse_column"], got["sparse"])
    out["sparse_vs_onehot"] = _rel(got["sparse"], got["onehot"])
    out["sequence_shape_ok"] = float(got["sequence"].shape == (N, 2))
    out["sequence"] = _rel(got["sequence"], got["keras_sequence"])
    return out


def keras_names(keras: Any, lk: Any, be: Backend) -> dict[str, Any]:
    """Every entry of KERAS_NAMES against Keras's class with its defaults, on valid inputs."""
    import numpy as np

    rng = np.random.default_rng(4)
    n = 64
    probs = rng.dirichlet(np.ones(3) * 2.0, n)
    labels = rng.integers(0, 3, n)
    normal = rng.normal(size=(n, 4))
    data = {
        "regression": (rng.normal(size=(n, 2)), rng.normal(size=(n, 2))),
        "positive": (rng.uniform(0.1, 3.0, (n, 2)), rng.uniform(0.1, 3.0, (n, 2))),
        "binary": (rng.integers(0, 2, (n, 2)).astype(float), rng.normal(size=(n, 2))),
        "binary_p": (rng.integers(0, 2, (n, 2)).astype(float), rng.uniform(0.05, 0.95, (n, 2))),
        "onehot": (np.eye(3)[labels], probs),
        "sparse": (labels[:, None].astype(float), probs),
        "labels": (labels.astype(float), probs),
        "rows": (rng.dirichlet(np.ones(3), n), probs),
        # Keras's CTC packing: labels 1 … 4 padded with the blank 0, logits (n, T, C)
        "sequences": (
            np.where(np.arange(3)[None, :] < rng.integers(0, 4, n)[:, None], rng.integers(1, 5, (n, 3)), 0),
            rng.normal(size=(n, 8, 5)),
        ),
        "embeddings": (labels, normal / np.linalg.norm(normal, axis=1, keepdims=True)),
    }
    kind = {
        "mse": "regression",
        "mae": "regression",
        "huber": "regression",
        "log_cosh": "regression",
        "msle": "positive",
        "hinge": "binary",
        "squared_hinge": "binary",
        "binary_crossentropy": "binary_p",
        "binary_focal": "binary_p",
        "categorical_crossentropy": "onehot",
        "categorical_focal": "onehot",
        "kl_divergence": "rows",
        "cosine_similarity": "regression",
        "generalized_cross_entropy": "labels",  # Keras's own broadcasts (n, 1) labels to (n, n)
        "dice": "binary_p",
        "tversky": "binary_p",
        "ctc": "sequences",
        "circle": "embeddings",
    }
    which = {e.cls: "sparse" if e.cls.startswith("Sparse") else kind[e.loss] for e in lk.KERAS_NAMES}

    def compute(data: dict[str, Any], which: dict[str, str]) -> dict[str, Any]:
        out = {}
        for cls, key in which.items():
            y, f = data[key]
            out[cls] = (
                getattr(lk, cls)(reduction=None)(y, f),
                getattr(keras.losses, cls)(reduction=None)(y, f),
            )
        return out

    # a structured target (Circle's labels) is read in NumPy: eager, outside JAX's jit
    from losslab._core.registry import loss_class

    eager = {e.cls for e in lk.KERAS_NAMES if loss_class(e.loss).target_type is not None}
    values = be.run(lambda d: compute(d, {c: k for c, k in which.items() if c not in eager}), data)
    values |= keras.tree.map_structure(_np, compute(data, {c: k for c, k in which.items() if c in eager}))
    errors = {cls: _rel(ours, theirs) for cls, (ours, theirs) in values.items()}
    # the function name and the class name build the same loss
    same = {e.cls: lk.Loss(e.function).loss == getattr(lk, e.cls)().loss for e in lk.KERAS_NAMES}
    import inspect

    import keras.src.losses as kls

    from losslab import get
    from losslab._core.registry import _registered

    # Keras's public loss functions (its short names "bce", "MSE" … point to some of them)
    helpers = {"deserialize", "get", "serialize"}
    functions = sorted(n for n, _ in inspect.getmembers(keras.losses, inspect.isfunction) if n not in helpers)
    covered = {e.function for e in lk.KERAS_NAMES} | set(lk.KERAS_DIFFERS) | set(lk.KERAS_MISSING)
    shorts = {
        k: v.__name__ for k, v in kls.ALL_OBJECTS_DICT.items() if not isinstance(v, type) and k != v.__name__
    }
    # Keras's function names are registry aliases of the same losses (with losslab's defaults)
    registry = {e.function: get(e.function).name == e.loss for e in lk.KERAS_NAMES}
    return {
        "errors": errors,
        "function_is_class": same,
        "registry": registry,
        "uncovered": sorted(set(functions) - covered),
        "stale": sorted(covered - set(functions)),
        # a missing loss that losslab now registers belongs in KERAS_NAMES or KERAS_DIFFERS
        "missing_but_registered": [n for n in lk.KERAS_MISSING if _registered(n) is not None],
        # Keras's short names resolve here to the same loss as the function they stand for
        "shorts": {k: lk.keras_name(k) == lk.keras_name(v) for k, v in shorts.items() if lk.keras_name(v)},
    }


@contextlib.contextmanager
def _counting_gradient(cls: type) -> Any:
    """Count calls of the analytic gradient kernels of ``cls`` inside the block: ``_gradient``
    and ``_value_gradient`` (value and gradient from one kernel, which an autograd forward uses
    when the loss shares work between them)."""
    calls: list[int] = []
    originals = {name: cls.__dict__.get(name) for name in ("_gradient", "_value_gradient")}

    def counting(kernel: Any) -> Any:
        def counted(self: Any, xp: Any, t: Any, f: Any) -> Any:
            calls.append(1)
            return kernel(self, xp, t, f)

        return counted

    for name in originals:
        setattr(cls, name, counting(getattr(cls, name)))
    try:
        yield calls
    finally:
        for name, original in originals.items():
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)


def fits(keras: Any, lk: Any) -> dict[str, Any]:
    """Small models trained with losslab losses; a keras.saving round trip of each."""
    import numpy as np

    d = _data(5)
    # one-hot rows: a checked target that Keras's shape inference (PyTorch backend) feeds ones
    d["onehot"] = np.eye(3)[np.asarray(d["labels"]).astype(int).ravel()]
    out: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp())
    for name, loss, target, n_out, weights in (
        ("huber", lk.Huber(delta=1.0), "y_reg", 1, "w"),
        ("sparse_cce", lk.SparseCategoricalCrossentropy(from_logits=True), "labels", 3, None),
        ("cce", lk.CategoricalCrossentropy(from_logits=True), "onehot", 3, None),
    ):
        model = _model(keras, 4, n_out, seed=6)
        model.compile(optimizer=keras.optimizers.Adam(0.02), loss=loss)
        kw = {"sample_weight": d[weights]} if weights else {}
        with _counting_gradient(type(loss.loss)) as calls:
            hist = model.fit(d["x"], d[target], epochs=4, batch_size=64, verbose=0, shuffle=False, **kw)
        path = tmp / f"{name}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        again = keras.saving.load_model(path, custom_objects={type(loss).__name__: type(loss)})
        pred, pred2 = model.predict(d["x"], verbose=0), loaded.predict(d["x"], verbose=0)
        eval_kw = {"sample_weight": d[weights]} if weights else {}
        value = model.evaluate(d["x"], d[target], verbose=0, **eval_kw)
        value2 = loaded.evaluate(d["x"], d[target], verbose=0, **eval_kw)
        out[name] = {
            "history": [float(v) for v in hist.history["loss"]],
            # fit's backward evaluated the loss's analytic gradient kernel (traced once under JAX)
            "gradient_kernel_calls": len(calls),
            "loaded_type": type(loaded.loss).__name__,
            "loaded_same_loss": loaded.loss.loss == loss.loss and again.loss.loss == loss.loss,
            "loaded_config": loaded.loss.get_config(),
            "config": loss.get_config(),
            "prediction_diff": float(np.max(np.abs(pred - pred2))),
            "value": float(value),
            "loaded_value": float(value2),
        }
    return out


def circle_fit(keras: Any, lk: Any) -> str:
    """model.fit with Circle (labels mined on the host): "ok", or the error's type and message."""
    import numpy as np

    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(64, 4)), rng.integers(0, 4, 64)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.UnitNormalization()])
    model.compile(optimizer="adam", loss=lk.Circle())
    from losslab import UnsupportedError

    try:
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    except UnsupportedError as exc:  # the JAX backend traces y_true: a clear losslab error
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def errors(lk: Any) -> dict[str, str]:
    """Messages of the clear errors: mismatched shapes, a Keras name losslab does not have."""
    import numpy as np

    out = {}
    for key, call in (
        ("elementwise", lambda: lk.Huber()(np.zeros((3, 2)), np.zeros((3, 1)))),
        ("rows", lambda: lk.SparseCategoricalCrossentropy()(np.zeros((3, 2)), np.full((3, 3), 1 / 3))),
        ("one_column", lambda: lk.CategoricalCrossentropy()(np.zeros((3, 1)), np.zeros((3, 1)))),
        ("categorical_hinge", lambda: lk.Loss("categorical_hinge")),
        ("domain", lambda: lk.BinaryCrossentropy()(np.ones((3, 1)), np.full((3, 1), 2.0))),
    ):
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - the message is the fact
            out[key] = f"{type(exc).__name__}: {exc}"
        else:
            out[key] = "no error"
    return out


def custom(keras: Any, lk: Any, losslab: Any) -> dict[str, Any]:
    """A user's loss (losslab.custom, value only) through the face and Keras's serialisation."""
    import numpy as np

    def cauchy(y_true: Any, y_pred: Any, c: float = 1.0) -> Any:
        r = (y_pred - y_true) / c
        return keras.ops.log1p(r * r)  # the backend's arrays, so the backend's autodiff

    lo = losslab.custom(cauchy, name="keras_check_cauchy", params={"c": 1.0}, backend=keras.backend.backend())
    crit = lk.Loss("keras_check_cauchy", c=2.0)
    back = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(crit))
    y, f = np.zeros((3, 1)), np.array([[1.0], [2.0], [-4.0]])
    return {
        "value": float(_np(crit(y, f))),
        "expected": float(np.mean(np.log1p((f / 2.0) ** 2))),
        "round_trip": type(back).__name__ == "Loss" and back.loss == lo.__class__(c=2.0),
    }


def docs(keras: Any) -> dict[str, Any]:
    """The ```python keras blocks of docs/frameworks.md, run in order in one namespace."""
    text = (ROOT / "docs" / "frameworks.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python keras\n(.*?)```", text, re.S)
    ns: dict[str, Any] = {}
    cwd = os.getcwd()
    os.chdir(tempfile.mkdtemp())
    try:
        exec(compile("\n".join(blocks), "docs/frameworks.md (Keras 3)", "exec"), ns)
    finally:
        os.chdir(cwd)
    import losslab.keras as lk

    table = re.search(r"<!-- keras-names:start -->\n(.*?)<!-- keras-names:end -->", text, re.S)
    return {
        "blocks": len(blocks),
        "checks": {k: v for k, v in ns.items() if k.startswith("check_")},
        "table_in_step": table is not None and table.group(1) == lk.names_table(),
        "history": [float(v) for v in ns["history"].history["loss"]],
    }


def main(out_path: str) -> None:
    backend = os.environ.get("KERAS_BACKEND")
    if backend == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)  # float64 models below; float32 stays the default
    import keras

    import losslab
    import losslab.keras as lk

    if backend == "torch":
        import torch

        torch.set_num_threads(1)
    result: dict[str, Any] = {"backend": keras.backend.backend()}
    failures, tried = doctest.testmod(lk, optionflags=doctest.NORMALIZE_WHITESPACE)
    result["doctests"] = {"failed": failures, "attempted": tried}
    result["docs"] = docs(keras)
    result["errors"] = errors(lk)
    result["custom"] = custom(keras, lk, losslab)
    result["fits"] = fits(keras, lk)
    result["circle_fit"] = circle_fit(keras, lk)
    keras.backend.set_floatx("float64")
    be = Backend(keras.backend.backend())
    import numpy as np

    y, f = np.array([0.0, 1.0, 1.0]), np.array([0.3, -2.0, 4.0])
    result["analytic"] = {
        "bce": be.uses_analytic_gradient(losslab.get("bce"), y, f),
        "keras_face": be.uses_analytic_gradient(
            lambda yy, ff: lk.BinaryCrossentropy(from_logits=True)(yy[:, None], ff[:, None]), y, f
        ),
    }
    result["gradients"] = gradient_parity(keras, lk, be)
    result["reductions"] = reductions(keras, lk, losslab, be)
    result["keras_names"] = keras_names(keras, lk, be)
    Path(out_path).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
