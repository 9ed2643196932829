"""Build ``tests/reference/values.json`` from the ``mp_*.py`` case modules beside this script.

Run from the repository root::

    python tests/reference/make_reference.py            # all families
    python tests/reference/make_reference.py regression  # only mp_regression.py (others kept)

Each ``mp_<family>.py`` defines ``CASES: list[dict]`` (see README.md in this folder). For every
point the script

1. evaluates the case's exact formulas with mpmath at ``WORK_DPS`` significant digits and again at
   ``CHECK_DPS``; both must round to the same float64 (so a naive ``log(1 + exp(x))`` is fine:
   at 400 digits its absolute error is far below float64's smallest subnormal);
2. cross-checks the analytic gradient and Hessian against one-sided ``mpmath.diff`` derivatives
   of the value (of the gradient, for the Hessian): where the left and right derivatives agree the
   analytic one must equal them; where they differ (a kink) it must lie between them (a
   subgradient); where only one side exists (a domain boundary) it must equal that side;
3. repeats step 1 at the inputs rounded to float32, for the float32 tests (``null`` when the
   rounded inputs overflow or the formulas fail there).

Numbers are written as ``repr`` strings of float64 ("inf", "-inf"); class labels stay ints.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import mpmath
import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "values.json"
WORK_DPS = 400
CHECK_DPS = 480
DIFF_TOL = mpmath.mpf(10) ** -25  # analytic vs numerical derivative, relative to the scale
CROSS_DPS = 120  # precision of the derivative cross-check (a check of the formulas, not the data)
DIFF_FLOOR = mpmath.mpf(10) ** -(CROSS_DPS // 2)  # below this, one-sided differences are noise

sys.path.insert(0, str(HERE.parents[1] / "src"))
sys.path.insert(0, str(HERE))
import losslab  # noqa: E402


# -- number conversion --------------------------------------------------------------------------
def to_repr(x: Any) -> str:
    """A real mpf (or float) as the repr of the nearest float64 ("inf" beyond the range)."""
    if isinstance(x, mpmath.mpc):
        if x.imag != 0:
            raise ValueError(f"complex result {x}")
        x = x.real
    x = mpmath.mpf(x)
    if mpmath.isnan(x):
        raise ValueError("NaN reference value")
    if mpmath.isinf(x):
        return "inf" if x > 0 else "-inf"
    if abs(x) > mpmath.mpf(np.finfo(np.float64).max) * (1 + mpmath.mpf(2) ** -54):
        return "inf" if x > 0 else "-inf"
    return repr(float(x))


def fl(s: str) -> float:
    return float(s)


# -- cases --------------------------------------------------------------------------------------
def _source_hash(stem: str) -> str:
    """The case module's source (with grids.py): rows computed from an older source are stale."""
    import hashlib

    text = (HERE / f"{stem}.py").read_bytes() + (HERE / "grids.py").read_bytes()
    return hashlib.sha256(text).hexdigest()


def load_modules(only: list[str]) -> list[tuple[str, Any]]:
    mods = []
    for path in sorted(HERE.glob("mp_*.py")):
        family = path.stem[3:]
        if only and family not in only:
            continue
        spec = importlib.util.spec_from_file_location(f"_losslab_ref_{family}", path)
        mod = importlib.util.module_from_spec(spec)
        assert spec.loader is not None
        spec.loader.exec_module(mod)
        mods.append((path.stem, mod))
    return mods


def _inputs_mp(multiclass: bool, y: Any, f: Any) -> tuple[Any, Any]:
    if isinstance(y, tuple):  # a structured target's fields for one row (Bounds: lower, upper)
        return tuple(mpmath.mpf(v) for v in y), mpmath.mpf(f)
    if not multiclass:
        return mpmath.mpf(y), mpmath.mpf(f)
    # a row target: an int class label, a float (one real target per row) or a list
    t = y if isinstance(y, int) else mpmath.mpf(y) if isinstance(y, float) else [mpmath.mpf(v) for v in y]
    return t, [mpmath.mpf(v) for v in f]


def _is_real(x: Any) -> bool:
    if isinstance(x, mpmath.mpc):
        return x.imag == 0 and mpmath.isfinite(x.real)
    return mpmath.isfinite(x)


def _evaluate(case: dict, multiclass: bool, y: Any, f: Any, dps: int) -> dict[str, Any]:
    """value, gradient, hessian at one point as mpf (lists for multiclass)."""
    with mpmath.workdps(dps):
        t, z = _inputs_mp(multiclass, y, f)
        out = {"value": case["value"](t, z)}
        for key, order in (("gradient", 1), ("hessian", 2)):
            fn = case.get(key)
            if fn is not None:
                out[key] = fn(t, z)
            else:
                out[key] = _numeric(case["value"], t, z, multiclass, order, strict=True)
        return out


def _partial(fn: Any, t: Any, z: Any, multiclass: bool, j: int | None, component: int | None = None) -> Any:
    """fn restricted to one coordinate of z (and one output component for vector gradients)."""

    def g(x: Any) -> Any:
        if multiclass:
            zz = list(z)
            zz[j] = x
            r = fn(t, zz)
        else:
            r = fn(t, x)
        return r[component] if component is not None else r

    return g


def _sided(g: Any, x: Any, order: int) -> tuple[Any, Any]:
    res = []
    for direction in (-1, 1):
        try:
            # a step relative to |x|, with the digits a tiny |x| needs to stay visible beside 1
            extra = 2 * int(max(0, -mpmath.log10(abs(x)))) if x != 0 else 0
            with mpmath.extradps(extra):
                d = mpmath.diff(g, x, order, direction=direction, relative=x != 0)
            res.append(d if _is_real(d) else None)
        except (ValueError, ZeroDivisionError, TypeError):
            res.append(None)
    return res[0], res[1]


def _numeric(value: Any, t: Any, z: Any, multiclass: bool, order: int, strict: bool) -> Any:
    coords = range(len(z)) if multiclass else [None]
    out = []
    for j in coords:
        left, right = _sided(_partial(value, t, z, multiclass, j), z[j] if multiclass else z, order)
        if left is None or right is None or not _close(left, right, value(t, z)):
            if strict:
                raise ValueError("no analytic derivative given and the point is a kink or a boundary")
        out.append(left if left is not None else right)
    return out if multiclass else out[0]


def _close(a: Any, b: Any, scale: Any) -> bool:
    s = max(abs(a), abs(b), abs(scale) if _is_real(scale) else mpmath.mpf(0))
    return abs(a - b) <= DIFF_TOL * s + DIFF_FLOOR


def _jumps(g: Any, x: Any) -> bool:
    """True where ``g`` is discontinuous at ``x`` (a step, like sign(r) at r = 0)."""
    eps = mpmath.mpf(10) ** (-(CROSS_DPS // 3)) * max(mpmath.mpf(1), abs(x))
    try:
        mid = g(x)
        sides = [g(x - eps), g(x + eps)]
    except (ValueError, ZeroDivisionError, TypeError):
        return False
    if not _is_real(mid):
        return False
    scale = max(mpmath.mpf(1), abs(mid))
    return any(_is_real(s) and abs(s - mid) > mpmath.mpf(10) ** -(CROSS_DPS // 4) * scale for s in sides)


def _crosscheck(case: dict, multiclass: bool, y: Any, f: Any, ref: dict[str, Any]) -> list[str]:
    """Compare analytic derivatives with one-sided numerical ones; return notes (kinks)."""
    notes: list[str] = []
    with mpmath.workdps(CROSS_DPS):
        t, z = _inputs_mp(multiclass, y, f)
        n = len(z) if multiclass else 1
        for key, base_key, base in (("gradient", "value", case["value"]), ("hessian", "gradient", None)):
            if case.get(key) is None:
                continue
            # the Hessian is checked against the derivative of the analytic gradient when given
            if key == "hessian":
                if case.get("gradient") is not None:
                    base, order = case["gradient"], 1
                else:
                    base, order = case["value"], 2
            else:
                order = 1
            analytic = ref[key] if multiclass else [ref[key]]
            scale_all = ref[base_key] if key == "gradient" else ref["gradient"]
            for j in range(n):
                comp = j if (multiclass and base is case.get("gradient") and key == "hessian") else None
                g = _partial(base, t, z, multiclass, j if multiclass else None, comp)
                x = z[j] if multiclass else z
                where = f"{key}[{j}]" if multiclass else key
                if _jumps(g, x):
                    notes.append(f"{where}: the {base_key} jumps here; the reference is the chosen value")
                    continue
                left, right = _sided(g, x, order)
                a = analytic[j]
                if not _is_real(a):
                    continue  # an infinite reference (e.g. log 0) has no finite derivative to match
                sc = scale_all[j] if (multiclass and key == "hessian") else scale_all
                scale = max(abs(a), abs(sc) if _is_real(sc) else mpmath.mpf(0))
                tol = DIFF_TOL * max(scale, abs(left or 0), abs(right or 0)) + DIFF_FLOOR
                if left is None and right is None:
                    notes.append(f"{where}: no numerical derivative (domain boundary on both sides)")
                elif left is None or right is None:
                    side = right if left is None else left
                    if abs(side - a) > tol:
                        raise AssertionError(f"{where} = {a} but the one-sided derivative is {side}")
                elif abs(left - right) <= tol:
                    if abs(left - a) > tol and abs(right - a) > tol:
                        got = f"{mpmath.nstr(a, 20)} but d/df = {mpmath.nstr(left, 20)}"
                        raise AssertionError(f"{where} = {got}")
                else:
                    lo, hi = min(left, right), max(left, right)
                    if not (lo - tol <= a <= hi + tol):
                        raise AssertionError(
                            f"{where} = {a} at a kink is not between the one-sided derivatives "
                            f"{left}, {right}"
                        )
                    notes.append(f"{where}: kink, one-sided {mpmath.nstr(left, 6)} / {mpmath.nstr(right, 6)}")
    return notes


def _as_reprs(out: dict[str, Any], multiclass: bool) -> dict[str, Any]:
    res = {"value": to_repr(out["value"])}
    for key in ("gradient", "hessian"):
        res[key] = [to_repr(v) for v in out[key]] if multiclass else to_repr(out[key])
    return res


def _floats(d: dict[str, Any]) -> list[float]:
    out: list[float] = []
    for k in sorted(d):
        out += [float(v) for v in d[k]] if isinstance(d[k], list) else [float(d[k])]
    return out


def _agree(a: float, b: float) -> bool:
    """Equal up to an ulp: 400 digits can leave an exact float64 rounding tie undecided."""
    if a == b or (math.isinf(a) or math.isinf(b)):
        return a == b
    return abs(a - b) <= 2.0**-51 * max(abs(a), abs(b)) or abs(a - b) <= 1e-323


def _stable(case: dict, multiclass: bool, y: Any, f: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The references at CHECK_DPS digits, after checking that WORK_DPS digits agree."""
    lo = _as_reprs(_evaluate(case, multiclass, y, f, WORK_DPS), multiclass)
    hi = _evaluate(case, multiclass, y, f, CHECK_DPS)
    refs = _as_reprs(hi, multiclass)
    if not all(_agree(u, v) for u, v in zip(_floats(lo), _floats(refs), strict=True)):
        raise AssertionError(f"reference not stable between {WORK_DPS} and {CHECK_DPS} digits: {lo}, {refs}")
    return hi, refs


def _jumps_within_f32(case: dict, multiclass: bool, y: Any, f: Any, hi: dict[str, Any]) -> list[str]:
    """Quantities that jump (a step, not a slope) within float32 resolution of the point.

    float32 arithmetic also rounds the loss's parameters (delta = 0.001 becomes 0.00100000005),
    which moves a kink by a float32 ulp; there the float32 result may legitimately land on the
    other side, so the float32 test checks only that it is not NaN.
    """
    if multiclass or isinstance(y, tuple):
        return []
    out = []
    with mpmath.workdps(WORK_DPS):
        y0, f0 = mpmath.mpf(y), mpmath.mpf(f)
        width = mpmath.mpf(2) ** -21 * max(abs(f0), abs(y0))
        if width == 0:
            return []
        xs = [f0 + width * (k - 4) / 4 for k in range(9)]
        for q in ("value", "gradient", "hessian"):
            fn = case.get(q)
            if fn is None or not _is_real(hi[q]):
                continue
            try:
                vals = [fn(y0, x) for x in xs]
            except (ValueError, ZeroDivisionError, TypeError):
                continue
            if not all(_is_real(v) for v in vals):
                continue
            diffs = [abs(vals[k + 1] - vals[k]) for k in range(8)]
            big = max(diffs)
            k = diffs.index(big)
            rest = max(diffs[:k] + diffs[k + 1 :])
            # a step: one difference far larger than all others (a kink only bends the slope)
            if big > 3 * rest and big > mpmath.mpf(10) ** -30 * max(abs(v) for v in vals):
                out.append(q)
    return out


def _round32(multiclass: bool, y: Any, f: Any) -> tuple[Any, Any] | None:
    def r(v: float) -> float:
        with np.errstate(over="ignore"):
            x = float(np.float32(v))
        if not np.isfinite(x):
            raise OverflowError
        return x

    try:
        if isinstance(y, tuple):  # infinite bounds stay infinite
            return tuple(v if math.isinf(v) else r(v) for v in y), r(f)
        if not multiclass:
            return r(y), r(f)
        return (y if isinstance(y, int) else r(y) if isinstance(y, float) else [r(v) for v in y]), [
            r(v) for v in f
        ]
    except OverflowError:
        return None


def _input_reprs(multiclass: bool, y: Any, f: Any) -> tuple[Any, Any]:
    if isinstance(y, tuple):
        return [repr(float(v)) for v in y], repr(float(f))
    if not multiclass:
        return repr(float(y)), repr(float(f))
    yr = y if isinstance(y, int) else repr(y) if isinstance(y, float) else [repr(float(v)) for v in y]
    return yr, [repr(float(v)) for v in f]


def build_case(module: str, case: dict) -> dict[str, Any]:
    loss = losslab.get(case["loss"])
    if case.get("batch"):
        return build_batch_case(module, case, loss)
    if case.get("sequence"):
        return build_sequence_case(module, case, loss)
    if loss.coupled:
        return build_coupled_case(module, case, loss)
    multiclass = bool(loss.multiclass)
    rows = []
    for y, f in case["points"]:
        if isinstance(y, tuple):  # one row of a structured target (Bounds: (lower, upper))
            y, f = tuple(float(v) for v in y), float(f)
        elif multiclass:
            y = y if isinstance(y, (int, float)) else [float(v) for v in y]
            f = [float(v) for v in f]
        else:
            y, f = float(y), float(f)
        try:
            hi, refs = _stable(case, multiclass, y, f)
            notes = _crosscheck(case, multiclass, y, f, hi)
        except Exception as exc:
            raise AssertionError(f"{module}: {loss!r} at y_true={y!r}, y_pred={f!r}: {exc}") from exc
        yr, fr = _input_reprs(multiclass, y, f)
        row: dict[str, Any] = {"y_true": yr, "y_pred": fr, **refs}
        if notes:
            row["notes"] = notes
        r32 = _round32(multiclass, y, f)
        row["f32"] = None
        if r32 is not None:
            try:
                hi32, refs32 = _stable(case, multiclass, *r32)
                y32, f32 = _input_reprs(multiclass, *r32)
                row["f32"] = {"y_true": y32, "y_pred": f32, **refs32}
                jumps = _jumps_within_f32(case, multiclass, *r32, hi32)
                if jumps:
                    row["f32"]["jumps"] = jumps
            except (ValueError, ZeroDivisionError, AssertionError):
                row["f32"] = None
        rows.append(row)
    out = {
        "module": module,
        "name": loss.name,
        "loss": loss.to_dict(),
        "multiclass": multiclass,
        "points": rows,
    }
    if loss.target_type is not None:
        out["target"] = loss.target_type.kind.value
    return out


def build_coupled_case(module: str, case: dict, loss: Any) -> dict[str, Any]:
    """A coupled loss (rows interact: Cox): each point is a whole sample ``(fields, f)`` with
    ``fields`` the target's columns as lists; ``value`` gives the per-row values, ``gradient``
    and ``hessian`` those of the total. The gradient is cross-checked against ``mpmath.diff``
    of the total, the Hessian against that of the analytic gradient; no float32 rows."""
    rows = []
    for fields, f in case["points"]:
        fields = [[float(v) for v in col] for col in fields]
        f = [float(v) for v in f]

        def ev(dps: int, fields: list = fields, f: list = f) -> dict[str, Any]:
            with mpmath.workdps(dps):
                cols = [[mpmath.mpf(v) for v in col] for col in fields]
                z = [mpmath.mpf(v) for v in f]
                return {k: case[k](cols, z) for k in ("value", "gradient", "hessian")}

        lo = {k: [to_repr(v) for v in vs] for k, vs in ev(WORK_DPS).items()}
        hi = ev(CHECK_DPS)
        refs = {k: [to_repr(v) for v in vs] for k, vs in hi.items()}
        if not all(_agree(u, v) for u, v in zip(_floats(lo), _floats(refs), strict=True)):
            raise AssertionError(
                f"{module}: {loss!r}: reference not stable between {WORK_DPS} and {CHECK_DPS} digits"
            )
        # a gradient recipe (LambdaRank) is no derivative of the value: its rows are the recipe's
        recipe = loss.info.gradient == "recipe"
        with mpmath.workdps(CROSS_DPS):
            cols = [[mpmath.mpf(v) for v in col] for col in fields]
            z = [mpmath.mpf(v) for v in f]
            for j in range(0 if recipe else len(z)):
                for key, fn, order, comp in (
                    ("gradient", lambda c, zz: mpmath.fsum(case["value"](c, zz)), 1, None),
                    ("hessian", case["gradient"], 1, j),
                ):
                    d = _sided(_partial(fn, cols, z, True, j, comp), z[j], order)[0]
                    a = hi[key][j]
                    if abs(d - a) > DIFF_TOL * max(abs(a), abs(d), 1) + DIFF_FLOOR:
                        raise AssertionError(f"{module}: {loss!r}: {key}[{j}] = {a} but d/df = {d}")
        rows.append(
            {
                "y_true": [[repr(v) for v in col] for col in fields],
                "y_pred": [repr(v) for v in f],
                **refs,
                "f32": None,
            }
        )
    return {
        "module": module,
        "name": loss.name,
        "loss": loss.to_dict(),
        "multiclass": False,
        "target": loss.target_type.kind.value,
        "coupled": True,
        "points": rows,
    }


def build_batch_case(module: str, case: dict, loss: Any) -> dict[str, Any]:
    """A loss on labelled embeddings (rows mined in the batch: triplet, NT-Xent): each point is
    a whole batch ``(labels, rows)``; ``value(labels, rows)`` gives the per-row values, the
    gradient is that of their sum, by ``mpmath.diff`` (the points stay away from kinks), at a
    quarter of the usual digits (100 and 120: the numerical derivative costs a batch per
    entry; both must still round alike). No Hessian (the losses declare none), no float32 rows."""
    out_rows = []
    for labels, f in case["points"]:
        labels, f = [int(v) for v in labels], [[float(v) for v in r] for r in f]

        def ev(dps: int, labels: list = labels, f: list = f) -> dict[str, Any]:
            with mpmath.workdps(dps):
                z = [[mpmath.mpf(v) for v in r] for r in f]
                # steps relative to the batch's scale (mpmath's default step is absolute)
                h = max(abs(v) for r in z for v in r) * mpmath.mpf(10) ** (-(dps // 3))
                grad = []
                for i, r in enumerate(z):
                    g_row = []
                    for j in range(len(r)):

                        def total(x: Any, i: int = i, j: int = j) -> Any:
                            moved = [list(rr) for rr in z]
                            moved[i][j] = x
                            return mpmath.fsum(case["value"](labels, moved))

                        g_row.append(mpmath.diff(total, r[j], h=h))
                    grad.append(g_row)
                return {"value": case["value"](labels, z), "gradient": grad}

        def reprs(d: dict[str, Any]) -> dict[str, Any]:
            return {
                "value": [to_repr(v) for v in d["value"]],
                "gradient": [[to_repr(v) for v in r] for r in d["gradient"]],
            }

        lo, refs = reprs(ev(WORK_DPS // 4)), reprs(ev(CHECK_DPS // 4))
        flat = [*lo["value"], *(v for r in lo["gradient"] for v in r)]
        flat_hi = [*refs["value"], *(v for r in refs["gradient"] for v in r)]
        if not all(_agree(u, v) for u, v in zip(_floats({"x": flat}), _floats({"x": flat_hi}), strict=True)):
            raise AssertionError(f"{module}: {loss!r}: reference not stable between precisions")
        out_rows.append({"y_true": labels, "y_pred": [[repr(v) for v in r] for r in f], **refs, "f32": None})
    return {
        "module": module,
        "name": loss.name,
        "loss": loss.to_dict(),
        "multiclass": True,
        "target": loss.target_type.kind.value,
        "batch": True,
        "points": out_rows,
    }


def build_sequence_case(module: str, case: dict, loss: Any) -> dict[str, Any]:
    """A loss on a `Sequences` target (CTC): each point one sequence ``(labels, z)``, z its
    (T, C) logits; ``value`` and ``gradient`` (T × C) at 400 and 480 digits (they must round
    alike); the gradient cross-checked against central ``mpmath.diff`` of the value at 120
    digits where T·C ≤ 40 and |z| < 1e50. Stored like a batch (one point, one sample); no Hessian (CTC
    declares none), no float32 rows."""
    out_rows = []
    for labels, f in case["points"]:
        labels, f = [int(v) for v in labels], [[float(v) for v in r] for r in f]

        def ev(dps: int, labels: list = labels, f: list = f) -> dict[str, Any]:
            with mpmath.workdps(dps):
                z = [[mpmath.mpf(v) for v in r] for r in f]
                return {"value": [case["value"](labels, z)], "gradient": case["gradient"](labels, z)}

        def reprs(d: dict[str, Any]) -> dict[str, Any]:
            return {
                "value": [to_repr(v) for v in d["value"]],
                "gradient": [[to_repr(v) for v in r] for r in d["gradient"]],
            }

        lo, refs = reprs(ev(WORK_DPS)), reprs(ev(CHECK_DPS))
        flat = [*lo["value"], *(v for r in lo["gradient"] for v in r)]
        flat_hi = [*refs["value"], *(v for r in refs["gradient"] for v in r)]
        if not all(_agree(u, v) for u, v in zip(_floats({"x": flat}), _floats({"x": flat_hi}), strict=True)):
            raise AssertionError(f"{module}: {loss!r}: reference not stable between precisions")
        # absolute steps of 1e-40 (a step relative to a logit of 1e300 would cross a tie)
        if len(f) * len(f[0]) <= 40 and max(abs(v) for r in f for v in r) < 1e50:
            with mpmath.workdps(CROSS_DPS):
                z = [[mpmath.mpf(v) for v in r] for r in f]
                g = case["gradient"](labels, z)
                for t, row in enumerate(z):
                    for k in range(len(row)):

                        def moved(x: Any, t: int = t, k: int = k, z: list = z, labels: list = labels) -> Any:
                            zz = [list(r) for r in z]
                            zz[t][k] = x
                            return case["value"](labels, zz)

                        d = mpmath.diff(moved, row[k], h=mpmath.mpf(10) ** -40)
                        if abs(d - g[t][k]) > DIFF_TOL * max(abs(d), 1) + DIFF_FLOOR:
                            raise AssertionError(
                                f"{module}: {loss!r}: gradient[{t}][{k}] = {g[t][k]} but d/dz = {d}"
                            )
        out_rows.append({"y_true": labels, "y_pred": [[repr(v) for v in r] for r in f], **refs, "f32": None})
    return {
        "module": module,
        "name": loss.name,
        "loss": loss.to_dict(),
        "multiclass": True,
        "target": loss.target_type.kind.value,
        "batch": True,
        "points": out_rows,
    }


def main(argv: list[str]) -> None:
    only = argv[1:]
    computed: dict[str, list[dict[str, Any]]] = {}
    for module, mod in load_modules(only):
        source = _source_hash(module)
        t0 = time.perf_counter()
        npts = 0
        computed[module] = []
        for case in mod.CASES:
            computed[module].append({**build_case(module, case), "source_sha256": source})
            npts += len(case["points"])
        print(f"{module}: {len(mod.CASES)} cases, {npts} points, {time.perf_counter() - t0:.1f} s")
        if _source_hash(module) != source:
            # someone edited the module while this run computed it: do not write stale rows
            print(f"WARNING: {module}.py changed during the run; its rows were NOT written (rerun it)")
            del computed[module]
    write(computed)


def write(computed: dict[str, list[dict[str, Any]]]) -> None:
    """Replace the rows of the computed modules, keeping the others as they are on disk now.

    Several engineers regenerate at once: the file is re-read under a lock just before
    writing, so rows another run wrote meanwhile are kept (rows of deleted modules are dropped).
    """
    import fcntl
    import os

    existing = {p.stem for p in HERE.glob("mp_*.py")}
    import tempfile

    with open(Path(tempfile.gettempdir()) / "losslab-values-json.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = json.loads(OUT.read_text())["cases"] if OUT.exists() else []
        cases = [c for c in old if c["module"] not in computed and c["module"] in existing]
        for rows in computed.values():
            cases += rows
        cases.sort(key=lambda c: (c["module"], c["name"], json.dumps(c["loss"], sort_keys=True)))
        doc = {
            "generated_by": "python tests/reference/make_reference.py",
            "work_dps": WORK_DPS,
            "check_dps": CHECK_DPS,
            "cases": cases,
        }
        tmp = OUT.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, OUT)
    print(f"wrote {OUT} ({len(cases)} cases, {sum(len(c['points']) for c in cases)} points)")


if __name__ == "__main__":
    main(sys.argv)
