"""Every registered loss against high-precision references (tests/reference/README.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import losslab

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from compare import arrays, case_id, check32, check64, entries, evaluate_torch_reduced, load_cases

CASES = load_cases()


def _report(loss_id: str, failures: list[str], n: int) -> str:
    shown = "\n  ".join(failures[:12])
    more = f"\n  ... and {len(failures) - 12} more" if len(failures) > 12 else ""
    return f"{loss_id}: {len(failures)} of {n} reference numbers off:\n  {shown}{more}"


@pytest.mark.parametrize("case", CASES, ids=[f"{c['module']}-{case_id(c)}" for c in CASES])
def test_float64_matches_reference(case: dict) -> None:
    failures, n = [], 0
    for e in entries(case, np.float64):
        if isinstance(e, tuple):
            i, exc = e
            p = case["points"][i]
            failures.append(f"raised at y_true={p['y_true']}, y_pred={p['y_pred']}: {exc}")
            continue
        n += 1
        msg = check64(e)
        if msg:
            failures.append(msg)
    assert n > 0
    assert not failures, _report(case_id(case), failures, n)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c['module']}-{case_id(c)}" for c in CASES])
def test_each_point_alone_matches_reference(case: dict, dtype: type) -> None:
    # a batch of one point takes the kernels' data-dependent shortcuts wherever they apply (hard
    # labels, no overflow), which a mixed batch of the grid never does
    check = check64 if dtype == np.float64 else check32
    failures, n = [], 0
    for e in entries(case, dtype, alone=True):
        if isinstance(e, tuple):
            continue  # rejected points: the batch tests above hold their errors
        n += 1
        msg = check(e)
        if msg:
            failures.append(msg)
    assert n > 0 or dtype == np.float32  # float32 may round every point out of the domain
    assert not failures, _report(case_id(case), failures, n)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c['module']}-{case_id(c)}" for c in CASES])
def test_each_point_alone_by_eager_torch_reduced_matches_reference(case: dict, dtype: type) -> None:
    # the reduced eager PyTorch path (value and gradient from `Loss._total_gradient`, whose
    # overrides call PyTorch's own fused operations) meets the same rows, point by point
    pytest.importorskip("torch")
    loss = losslab.get(case["loss"])
    if loss.target_type is not None or loss.coupled:
        pytest.skip("a structured target: eager PyTorch differentiates through the kernels")
    # PyTorch's CPU log1p returns 0 for a subnormal argument (NumPy: the argument), so a value
    # of c·log1p(5e-324) is c subnormal spacings low; hence 16 spacings, not 4, for subnormals
    check = (lambda e: check64(e, subnormal_ulps=16)) if dtype == np.float64 else check32
    failures, n = [], 0
    for e in entries(case, dtype, alone=True, evaluator=evaluate_torch_reduced):
        if isinstance(e, tuple) or e.quantity == "hessian":
            continue
        n += 1
        msg = check(e)
        if msg:
            failures.append(msg)
    assert n > 0 or dtype == np.float32
    assert not failures, _report(case_id(case), failures, n)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['module']}-{case_id(c)}" for c in CASES])
def test_float32_finite_and_close(case: dict) -> None:
    loss = losslab.get(case["loss"])
    failures, n = [], 0
    for e in entries(case, np.float32):
        if isinstance(e, tuple):
            # the float32 rounding may leave the domain (-1 + 1e-15 -> -1 for msle); then
            # float64 must reject the same rounded inputs too
            i, exc = e
            p = case["points"][i]["f32"]
            y, f = arrays(case, [p], np.float64)
            try:
                loss(y, f)
            except losslab.LosslabError:
                continue
            failures.append(f"float32 raised at y_true={p['y_true']}, y_pred={p['y_pred']}: {exc}")
            continue
        n += 1
        msg = check32(e)
        if msg:
            failures.append(msg)
    assert not failures, _report(case_id(case), failures, n)


@pytest.mark.parametrize("name", losslab.list_losses())
def test_every_registered_loss_has_reference_rows(name: str) -> None:
    covered = {c["name"] for c in CASES}
    assert name in covered, (
        f"loss {name!r} is registered but has no case in tests/reference/values.json; add one to "
        "tests/reference/mp_<family>.py and run python tests/reference/make_reference.py "
        "(see tests/reference/README.md)"
    )


def test_reference_points_are_float64_exact() -> None:
    # inputs are stored as repr strings so that the reference is evaluated at the exact float
    for case in CASES:
        for p in case["points"]:
            for key in ("y_true", "y_pred"):
                vals = p[key] if isinstance(p[key], list) else [p[key]]
                # a coupled loss's point holds the target's columns (lists)
                vals = [u for v in vals for u in (v if isinstance(v, list) else [v])]
                for v in vals:
                    assert isinstance(v, (int, str)) and (isinstance(v, int) or repr(float(v)) == v)


def test_values_json_is_up_to_date_with_the_case_modules() -> None:
    """Rows carry the hash of their mp_*.py (and grids.py) source: an edited module whose rows
    were not regenerated fails here, naming the command to run."""
    import hashlib

    here = Path(__file__).resolve().parent / "reference"
    stale = set()
    for case in CASES:
        expected = case.get("source_sha256")
        path = here / f"{case['module']}.py"
        if expected is None:
            continue
        if not path.exists():
            stale.add(f"{case['module']} (module deleted)")
            continue
        text = path.read_bytes() + (here / "grids.py").read_bytes()
        if hashlib.sha256(text).hexdigest() != expected:
            stale.add(case["module"])
    assert not stale, "values.json is stale for: " + ", ".join(
        f"{m} (run python tests/reference/make_reference.py {m[3:]})" for m in sorted(stale)
    )
