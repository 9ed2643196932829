"""Evaluate losslab on the points of ``values.json`` and compare with the references.

Used by ``tests/test_reference.py`` and ``benchmarks/accuracy.py``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import losslab

VALUES = Path(__file__).resolve().parent / "values.json"
QUANTITIES = ("value", "gradient", "hessian")
TINY64 = float(np.finfo(np.float64).tiny)  # 2.2250738585072014e-308
SUBNORMAL64 = 5e-324
TINY32 = float(np.finfo(np.float32).tiny)
MAX32 = float(np.finfo(np.float32).max)


def load_cases() -> list[dict[str, Any]]:
    """The cases of values.json."""
    return json.loads(VALUES.read_text())["cases"]


def case_id(case: dict[str, Any]) -> str:
    return repr(losslab.get(case["loss"]))


@dataclass
class Entry:
    """One compared number: point index, quantity, component (multiclass), got, reference."""

    point: int
    quantity: str
    component: int | None
    got: float
    ref: float
    y_true: Any
    y_pred: Any

    def where(self) -> str:
        comp = "" if self.component is None else f"[{self.component}]"
        return f"{self.quantity}{comp} at y_true={self.y_true}, y_pred={self.y_pred}"


def _num(x: Any) -> Any:
    if isinstance(x, list):
        return [_num(v) for v in x]
    if isinstance(x, int):
        return x
    return float(x)


def _groups(case: dict[str, Any], key: str | None) -> Iterator[list[int]]:
    """Indices of points that can be evaluated as one batch (same label kind and row length)."""
    pts = case["points"]
    usable = [i for i, p in enumerate(pts) if (p if key is None else p[key]) is not None]
    if case.get("coupled") or case.get("batch"):  # each point is a whole sample (batch)
        yield from ([i] for i in usable)
        return
    if not case["multiclass"]:
        if usable:
            yield usable
        return
    seen: dict[tuple[Any, ...], list[int]] = {}
    for i in usable:
        p = pts[i] if key is None else pts[i][key]
        sig = (isinstance(p["y_true"], int), len(p["y_pred"]))
        seen.setdefault(sig, []).append(i)
    yield from seen.values()


def arrays(case: dict[str, Any], rows: list[dict[str, Any]], dtype: Any) -> tuple[Any, Any]:
    if case.get("target") == "sequences":  # one label sequence and its (T, C) logits
        from losslab.targets import Sequences

        (r,) = rows
        labels = np.asarray([r["y_true"]], dtype=np.int64).reshape(1, -1)
        f = np.asarray([_num(r["y_pred"])], dtype=np.float64).astype(dtype)
        return Sequences(labels, [labels.shape[1]]), f
    if case.get("batch"):  # one batch: its labels (an Embeddings target) and its rows
        from losslab.targets import Embeddings

        (r,) = rows
        return Embeddings(np.asarray(r["y_true"])), np.asarray(_num(r["y_pred"]), dtype=np.float64).astype(
            dtype
        )
    if case.get("target") in ("survival", "bounds", "ranking"):  # other kinds read plain labels (Pairs: ±1)
        return _structured(case, rows, dtype)
    ys = [_num(r["y_true"]) for r in rows]
    fs = [_num(r["y_pred"]) for r in rows]
    if case["multiclass"] and isinstance(ys[0], int):
        y = np.asarray(ys, dtype=np.int64)
    else:
        y = np.asarray(ys, dtype=np.float64).astype(dtype)
    return y, np.asarray(fs, dtype=np.float64).astype(dtype)


def _structured(case: dict[str, Any], rows: list[dict[str, Any]], dtype: Any) -> tuple[Any, Any]:
    """A structured target (``case["target"]``, `losslab.targets`) and y_pred: for a coupled
    loss one point's whole sample, else one row (the target's fields) per point."""
    from losslab._core.targets import Bounds, Ranking, Survival

    cls = {"survival": Survival, "bounds": Bounds, "ranking": Ranking}[case["target"]]
    if case.get("coupled"):
        (r,) = rows
        cols = _num(r["y_true"])
        return cls(*(np.asarray(c) for c in cols)), np.asarray(_num(r["y_pred"]), dtype=np.float64).astype(
            dtype
        )
    cols = np.asarray([_num(r["y_true"]) for r in rows], dtype=np.float64).T
    return cls(*cols), np.asarray([_num(r["y_pred"]) for r in rows], dtype=np.float64).astype(dtype)


def evaluate(loss: Any, y: Any, f: Any) -> dict[str, Any]:
    out = {"value": loss(y, f, reduction="none"), "gradient": loss.gradient(y, f)}
    if loss.info.hessian != "none":  # a loss without a Hessian raises (and its rows have none)
        out["hessian"] = loss.hessian(y, f)
    return out


def evaluate_torch_reduced(loss: Any, y: Any, f: Any) -> dict[str, Any]:
    """Value and gradient of one point by eager PyTorch's reduced path (``reduction="sum"`` of
    a tensor that requires grad: `Loss._total_gradient` in one autograd Function), as arrays
    like `evaluate`'s. ``y`` and ``f`` hold one point."""
    import torch

    x = torch.from_numpy(np.array(f)).requires_grad_(True)
    t = torch.from_numpy(np.array(y)) if isinstance(y, np.ndarray) else y
    v = loss(t, x, reduction="sum")
    v.backward()
    return {"value": v.detach().numpy().reshape(1), "gradient": x.grad.numpy()}


def entries(
    case: dict[str, Any], dtype: Any = np.float64, alone: bool = False, evaluator: Any = evaluate
) -> Iterator[Entry | tuple[int, Exception]]:
    """Compare losslab with the references of ``case`` at ``dtype``.

    float64 uses the points as given, float32 their ``f32`` rounding. Yields an `Entry` per
    number, or ``(point index, exception)`` when losslab raises on a point. ``alone``: each
    point in a batch of its own (the kernels' data-dependent shortcuts — all labels hard, no
    overflow — then take every point they can). ``evaluator``: `evaluate`, or another with its
    signature (`evaluate_torch_reduced`, with ``alone``).
    """
    loss = losslab.get(case["loss"])
    key = None if dtype == np.float64 else "f32"
    pts = case["points"]
    groups = _groups(case, key)
    for idx in ([i] for g in groups for i in g) if alone else groups:
        rows = [pts[i] if key is None else pts[i][key] for i in idx]
        try:
            batches = [(idx, rows, evaluator(loss, *arrays(case, rows, dtype)))]
        except losslab.LosslabError:
            # one point rejected: evaluate one by one to find which
            batches = []
            for i, r in zip(idx, rows, strict=True):
                try:
                    batches.append(([i], [r], evaluator(loss, *arrays(case, [r], dtype))))
                except losslab.LosslabError as exc:
                    yield i, exc
        for bidx, brows, out in batches:
            for q in (q for q in QUANTITIES if q in out):
                got = np.asarray(out[q])
                if got.dtype != dtype:
                    raise AssertionError(f"{loss!r}: {q} has dtype {got.dtype}, expected {np.dtype(dtype)}")
                for j, (i, r) in enumerate(zip(bidx, brows, strict=True)):
                    if q in r.get("jumps", ()):
                        # a step within float32 resolution: only "not NaN" is required
                        if np.isnan(got[j]).any():
                            yield Entry(i, q, None, float("nan"), 0.0, r["y_true"], r["y_pred"])
                        continue
                    ref = _num(r[q])
                    if case.get("coupled") or case.get("batch"):  # one point: a whole sample
                        for c, (gv, rv) in enumerate(zip(np.ravel(got), np.ravel(ref), strict=True)):
                            yield Entry(i, q, c, float(gv), float(rv), "sample", r["y_pred"])
                        continue
                    if isinstance(ref, list):
                        for c, rv in enumerate(ref):
                            yield Entry(i, q, c, float(got[j][c]), rv, r["y_true"], r["y_pred"])
                    else:
                        yield Entry(i, q, None, float(got[j]), ref, r["y_true"], r["y_pred"])


def error64(e: Entry) -> tuple[str, float]:
    """("rel", relative error) for normal references, ("abs", error) for subnormal/zero ones,
    ("inf", 0 or inf) for infinite references."""
    if math.isinf(e.ref):
        return "inf", 0.0 if e.got == e.ref else math.inf
    if math.isnan(e.got) or math.isinf(e.got):
        return ("rel" if abs(e.ref) >= TINY64 else "abs"), math.inf
    if abs(e.ref) >= TINY64:
        return "rel", abs(e.got - e.ref) / abs(e.ref)
    return "abs", abs(e.got - e.ref)


def check64(e: Entry, rtol: float = 1e-12, subnormal_ulps: int = 4) -> str | None:
    """A failure message, or None if the float64 result is within tolerance.

    Normal references: relative error <= rtol. Subnormal or zero references: absolute error
    within ``subnormal_ulps`` subnormal spacings (4.9e-324 each), or within rtol of the
    reference itself (a subnormal computed as exp(log p) carries log p's relative error).
    """
    kind, err = error64(e)
    ok = (
        err == 0.0
        if kind == "inf"
        else err <= rtol
        if kind == "rel"
        else err <= max(subnormal_ulps * SUBNORMAL64, rtol * abs(e.ref))
    )
    if ok:
        return None
    what = "relative error" if kind == "rel" else "absolute error"
    return f"{e.where()}: got {e.got!r}, reference {e.ref!r} ({what} {err:.3g})"


def check32(e: Entry, rtol: float = 1e-5) -> str | None:
    """A failure message, or None if the float32 result is acceptable (see README.md)."""
    ref, got = e.ref, e.got
    if math.isnan(got):
        return f"{e.where()}: float32 gave NaN, reference {ref!r}"
    if math.isinf(ref):
        return None if got == ref else f"{e.where()}: float32 gave {got!r}, reference {ref!r}"
    if abs(ref) > MAX32:
        return None  # beyond float32's range: inf or the largest float are both acceptable
    if not math.isfinite(got):
        return f"{e.where()}: float32 gave {got!r} where the reference {ref!r} is finite in float32"
    if abs(ref) >= TINY32:
        err = abs(got - ref) / abs(ref)
        msg = f"{e.where()}: float32 gave {got!r}, reference {ref!r} (rel {err:.3g})"
        return None if err <= rtol else msg
    err = abs(got - ref)
    ok = err <= rtol * TINY32
    return None if ok else f"{e.where()}: float32 gave {got!r}, reference {ref!r} (abs {err:.3g})"
