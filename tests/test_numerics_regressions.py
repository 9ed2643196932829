"""Regression tests for numerical defects found by fuzzing (issue 14, item 5).

Each point is checked against the loss's exact mpmath formulas (the ``tests/reference/mp_*.py``
case of the same configuration, evaluated here at the point's float inputs) in float64 and
float32, on NumPy, PyTorch and (where XLA on CPU can represent the inputs) JAX.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import sys
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

REF = Path(__file__).resolve().parent / "reference"
sys.path.insert(0, str(REF))

F64_MAX, F32_MAX = float(np.finfo(np.float64).max), float(np.finfo(np.float32).max)
F64_MIN, F32_MIN = -F64_MAX, -F32_MAX


@pytest.fixture(autouse=True, scope="module")
def _x64():
    # jax_enable_x64 is process-wide: enable it for this module only and restore it after
    with jax.enable_x64(True):
        yield


@functools.cache
def _module(family: str) -> Any:
    path = REF / f"mp_{family}.py"
    mod_spec = importlib.util.spec_from_file_location(f"_regress_{family}", path)
    mod = importlib.util.module_from_spec(mod_spec)
    assert mod_spec.loader is not None
    mod_spec.loader.exec_module(mod)
    return mod


def _case(family: str, spec: dict) -> dict:
    """The reference case of ``spec`` in tests/reference/mp_<family>.py (barron: its builder)."""
    mod = _module(family)
    if spec["name"] == "barron":
        return mod._barron(spec["alpha"], spec["scale"])
    loss = losslab.get(spec)
    for case in mod.CASES:
        if losslab.get(case["loss"]) == loss:
            return case
    raise LookupError(f"no case {spec} in mp_{family}.py")


def _float(x: Any) -> Any:
    if isinstance(x, list):
        return [_float(v) for v in x]
    x = mpmath.mpf(x)
    if mpmath.isinf(x) or abs(x) > mpmath.mpf(F64_MAX) * (1 + mpmath.mpf(2) ** -54):
        return math.inf if x > 0 else -math.inf
    return float(x)


_REFERENCES: dict[str, dict[str, Any]] = {}  # shared by the backends of one point


def _reference(case: dict, y: Any, f: Any, multiclass: bool) -> dict[str, Any]:
    key = repr((case["loss"], y, f))
    if key not in _REFERENCES:
        _REFERENCES[key] = _evaluate(case, y, f, multiclass)
    return _REFERENCES[key]


def _evaluate(case: dict, y: Any, f: Any, multiclass: bool) -> dict[str, Any]:
    with mpmath.workdps(400):  # 1 − 5e-324 needs 330 digits
        if multiclass:
            t = y if isinstance(y, int) else [mpmath.mpf(v) for v in y]
            z = [mpmath.mpf(v) for v in f]
        else:
            t, z = mpmath.mpf(y), mpmath.mpf(f)
        return {k: _float(case[k](t, z)) for k in ("value", "gradient", "hessian")}


def _to(backend: str, a: np.ndarray) -> Any:
    if backend == "torch":
        return torch.from_numpy(np.ascontiguousarray(a))
    if backend == "jax":
        return jnp.asarray(a)
    return a


def _np(x: Any) -> np.ndarray:
    return x.detach().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _close(got: float, want: float, dtype: Any, backend: str) -> bool:
    fi = np.finfo(dtype)
    rel = 1e-12 if dtype == np.float64 else 1e-5
    if abs(want) > float(fi.max) * (1.0 + float(fi.eps) / 2):  # beyond the dtype's range
        return got == math.copysign(math.inf, want)
    if not math.isfinite(got):
        return False
    if abs(want) < fi.tiny:  # subnormal or 0: a few spacings of the smallest subnormal
        if backend == "jax":  # XLA on CPU flushes subnormal results to 0
            return abs(got) < fi.tiny
        return abs(got - want) <= 4 * fi.smallest_subnormal + rel * abs(want)
    return abs(got - want) <= rel * abs(want)


def _check(family: str, spec: dict, y: Any, f: Any, dtype: Any, backend: str) -> None:
    """value, gradient and Hessian of ``spec`` at (y, f) rounded to ``dtype`` vs mpmath."""
    loss = losslab.get(spec)
    mc = loss.multiclass
    if mc:
        y_np = np.array([y]) if isinstance(y, int) else np.array([y], dtype=dtype)
        f_np = np.array([f], dtype=dtype)
    else:
        y_np, f_np = np.array([y], dtype=dtype), np.array([f], dtype=dtype)
    # the reference at the inputs as rounded to dtype
    y_in = y if isinstance(y, int) else y_np[0].tolist()
    want = _reference(_case(family, spec), y_in, f_np[0].tolist(), mc)
    yy, ff = _to(backend, y_np), _to(backend, f_np)
    got = {
        "value": _np(loss(yy, ff, reduction="none")).ravel().tolist(),
        "gradient": _np(loss.gradient(yy, ff)).ravel().tolist(),
        "hessian": _np(loss.hessian(yy, ff)).ravel().tolist(),
    }
    bad = []
    for key in ("value", "gradient", "hessian"):
        w = want[key] if isinstance(want[key], list) else [want[key]]
        for g, r in zip(got[key], w, strict=True):
            if not _close(g, r, dtype, backend):
                bad.append(f"{key}: got {g!r}, exact {r!r}")
    assert not bad, f"{spec} at y={y_in}, f={f_np[0].tolist()} ({backend}, {np.dtype(dtype)}): " + "; ".join(
        bad
    )


DTYPES = (np.float64, np.float32)
#: (dtype, backend): NumPy and torch in both precisions, JAX (slow op by op) in float64
COMBOS = [(d, b) for b in ("numpy", "torch") for d in DTYPES] + [(np.float64, "jax")]
COMBO_IDS = [f"{np.dtype(d)}-{b}" for d, b in COMBOS]


# -- softmax losses at a masked logit (finfo.min) and where z − max overflows ----------------------
def _lowest(dtype: Any) -> float:
    return F64_MIN if dtype == np.float64 else F32_MIN


SOFTMAX_CASES = [
    ("classification", {"name": "categorical_crossentropy"}),
    ("focal", {"name": "categorical_focal", "gamma": 2.0}),
    ("focal", {"name": "categorical_focal", "gamma": 0.5}),
]


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
@pytest.mark.parametrize(("family", "spec"), SOFTMAX_CASES, ids=lambda v: str(v))
def test_softmax_losses_at_a_masked_logit(family: str, spec: dict, dtype: Any, backend: str) -> None:
    # categorical_focal's Hessian was NaN where a logit is finfo(dtype).min (a masked class)
    for label in (0, 1):
        _check(family, spec, label, [1.0, 0.0, _lowest(dtype)], dtype, backend)


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
@pytest.mark.parametrize(("family", "spec"), SOFTMAX_CASES, ids=lambda v: str(v))
def test_softmax_losses_where_the_shift_overflows(family: str, spec: dict, dtype: Any, backend: str) -> None:
    # values were NaN at logits [1e308, 0, -1e308]: log p = -inf times a zero target
    big = 1e308 if dtype == np.float64 else 3e38
    for label in (0, 1):
        _check(family, spec, label, [big, 0.0, -big], dtype, backend)


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
@pytest.mark.parametrize(("family", "spec"), SOFTMAX_CASES, ids=lambda v: str(v))
def test_softmax_losses_at_tied_maxima_and_a_near_certain_class(
    family: str, spec: dict, dtype: Any, backend: str
) -> None:
    # log softmax counts each tied maximum once (its term is exactly 1) and keeps the tiny
    # loss of a near-certain class: the sum over the others is not rounded against 1
    for label in (0, 2):
        _check(family, spec, label, [3.0, 3.0, -40.0], dtype, backend)
        _check(family, spec, label, [30.0, 30.0, 30.0, -5.0], dtype, backend)
    _check(family, spec, 0, [60.0, 0.0, -1.0], dtype, backend)


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
def test_cross_entropy_gradient_of_soft_targets_around_half_the_mass(dtype: Any, backend: str) -> None:
    # ∂/∂zⱼ = (s − aⱼ)pⱼ − aⱼ(1 − pⱼ): an entry above s/2 takes the sum of the others for s − aⱼ
    # (no cancellation next to s), the rest s − aⱼ ≥ s/2 directly; ties at s/2 included
    spec = {"name": "categorical_crossentropy"}
    targets = [[1.0 - 2.0**-40, 2.0**-40, 0.0], [0.5, 0.5, 0.0], [0.5, 0.25, 0.25], [0.25, 0.5, 0.25]]
    for t in targets:
        _check("classification", spec, t, [2.0, 1.0, -3.0], dtype, backend)


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
def test_kl_divergence_where_the_shift_overflows(dtype: Any, backend: str) -> None:
    big = 1e308 if dtype == np.float64 else 3e38
    spec = {"name": "kl_divergence"}
    _check("divergence", spec, [1.0, 0.0, 0.0], [big, 0.0, -big], dtype, backend)
    _check("divergence", spec, [0.25, 0.75, 0.0], [1.0, 0.0, _lowest(dtype)], dtype, backend)


# -- overflow of intermediate terms where the result is finite -------------------------------------
@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
def test_barron_where_the_scaled_residual_overflows(dtype: Any, backend: str) -> None:
    # barron(alpha=0.5, scale=0.1) at y = 3, f = -1.7e308 was inf/NaN (true 1.12e155, -3.3e-154)
    top = 1.7e308 if dtype == np.float64 else 3.4e38
    for alpha in (0.5, 1.0, 0.0, -2.0, -math.inf):
        spec = {"name": "barron", "alpha": alpha, "scale": 0.1}
        _check("robust", spec, 3.0, -top, dtype, backend)
        _check("robust", spec, -top, top, dtype, backend)  # f − y itself overflows


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
def test_mape_where_the_residual_overflows(dtype: Any, backend: str) -> None:
    # mape at y = -1.7e308, f = 1.7e308 was inf (true 2)
    top = 1.7e308 if dtype == np.float64 else 3.4e38
    _check("regression_extra", {"name": "mape"}, -top, top, dtype, backend)
    _check("regression_extra", {"name": "mape"}, top, -top / 2, dtype, backend)


@pytest.mark.parametrize("backend", ("numpy", "torch"))  # y is subnormal: JAX flushes it
@pytest.mark.parametrize("dtype", DTYPES)
def test_tweedie_where_y_to_the_2_minus_p_overflows(dtype: Any, backend: str) -> None:
    # tweedie(power=3) near its optimum at y = 5e-324 was inf (true 6.2e304 at s = log y + 7.4e-10)
    y = 5e-324 if dtype == np.float64 else 1e-45
    ly = float(mpmath.log(mpmath.mpf(float(np.array(y, dtype=dtype)))))
    for d in (7.4e-10, 1e-6, -1e-6):
        s = float(np.array(ly + d, dtype=dtype))
        _check("counts", {"name": "tweedie", "power": 3.0}, y, s, dtype, backend)


# -- log-link losses next to their optimum ---------------------------------------------------------
NEAR_CASES = [
    ("counts", {"name": "poisson"}),
    ("counts", {"name": "gamma"}),
    ("counts", {"name": "tweedie", "power": 1.5}),
    ("counts", {"name": "tweedie", "power": 3.0}),
    ("overdispersed", {"name": "negative_binomial", "alpha": 0.5}),
    ("overdispersed", {"name": "zero_inflated_poisson", "pi": 0.1}),
]


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
@pytest.mark.parametrize(("family", "spec"), NEAR_CASES, ids=lambda v: str(v))
def test_log_link_losses_next_to_their_optimum(family: str, spec: dict, dtype: Any, backend: str) -> None:
    # poisson at y = 4, s = fl(log 4) returned 0 and 0 (true 4.3e-33, -1.86e-16); relative
    # error 1.7e-10 at |s - log y| = 1e-6 (float32: 3.6e-2)
    for y in (4.0, 0.3, 123.456):
        ly = float(np.array(math.log(y), dtype=dtype))
        for s in (ly, float(np.nextafter(np.array(ly, dtype=dtype), dtype(9.0))), ly + 1e-6, ly - 1e-6):
            _check(family, spec, y, float(np.array(s, dtype=dtype)), dtype, backend)


def test_poisson_at_the_rounded_log_of_its_target_is_tiny_not_zero() -> None:
    pois = losslab.get("poisson")
    s = np.array([math.log(4.0)])
    assert float(pois(np.array([4.0]), s)) == pytest.approx(4.3023825e-33, rel=1e-7)
    assert float(pois.gradient(np.array([4.0]), s)[0]) == pytest.approx(-1.85523745e-16, rel=1e-8)


# -- subnormal inputs ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", ("numpy", "torch"))
def test_binary_focal_on_probabilities_at_a_subnormal_q(dtype: Any, backend: str) -> None:
    # torch gave gradient 2.22e-162 (true 3.33e-162): its log1p(-5e-324) is 0
    q = 5e-324 if dtype == np.float64 else 1e-45
    spec = {"name": "binary_focal", "gamma": 0.5, "from_logits": False}
    _check("focal", spec, 0.0, q, dtype, backend)
    _check("focal", spec, 1.0, 1.0 - q if dtype == np.float64 else 0.5, dtype, backend)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spec", [{"name": "mape"}, {"name": "gamma"}, {"name": "tweedie", "power": 3.0}])
def test_jax_names_its_flushing_of_subnormal_targets(spec: dict, dtype: Any) -> None:
    loss = losslab.get(spec)
    for y in (5e-324, 1e-310) if dtype == np.float64 else (1e-40,):
        yy = jnp.asarray(np.array([y, 2.0], dtype=dtype))
        ff = jnp.asarray(np.array([0.5, 0.5], dtype=dtype))
        with pytest.raises(losslab.LosslabError, match="JAX on CPU flushes subnormal numbers"):
            loss(yy, ff)
        # NumPy and torch take the same targets
        loss(np.array([y, 2.0], dtype=dtype), np.array([0.5, 0.5], dtype=dtype))
        loss(torch.tensor([y, 2.0], dtype=getattr(torch, np.dtype(dtype).name)), torch.tensor([0.5, 0.5]))


def test_jax_domain_errors_without_subnormals_say_nothing_about_flushing() -> None:
    with pytest.raises(losslab.LosslabError) as info:
        losslab.get("gamma")(jnp.asarray([-1.0, 2.0]), jnp.asarray([0.5, 0.5]))
    assert "flushes" not in str(info.value)


# -- found by fuzzing every loss over extreme inputs (±max, subnormals, 0) -------------------------
LINEAR_GROWTH = [
    ("regression", {"name": "huber", "delta": 0.5}),
    ("regression", {"name": "quantile", "quantile": 0.1}),
    ("regression_extra", {"name": "expectile", "expectile": 0.9}),
    ("robust", {"name": "pseudo_huber", "delta": 0.001}),
    ("robust_sgd", {"name": "fair", "c": 0.5}),
]


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
@pytest.mark.parametrize(("family", "spec"), LINEAR_GROWTH, ids=lambda v: str(v))
def test_losses_finite_where_the_residual_overflows(
    family: str, spec: dict, dtype: Any, backend: str
) -> None:
    # f − y overflowed to inf (fair: inf − inf = NaN) where the loss itself is finite
    top = 1.7e308 if dtype == np.float64 else 3.4e38
    for y, f in ((-top, top), (top, -top), (-top / 2, top)):
        _check(family, spec, y, f, dtype, backend)


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
@pytest.mark.parametrize("spec", [{"name": "categorical_crossentropy", "label_smoothing": 0.1}])
def test_soft_targets_where_the_shift_overflows(spec: dict, dtype: Any, backend: str) -> None:
    # a·log p with log p = −inf (z − max overflowed) but a < 1: finite (was inf)
    big = 1e308 if dtype == np.float64 else 3e38
    _check("classification", spec, 0, [big, 0.0, -big], dtype, backend)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", ("numpy", "torch"))  # subnormal targets: JAX flushes them
@pytest.mark.parametrize(
    ("family", "spec"),
    [
        ("overdispersed", {"name": "negative_binomial", "alpha": 0.5}),
        ("overdispersed", {"name": "negative_binomial", "alpha": 1.0}),
        ("classification", {"name": "binary_crossentropy", "pos_weight": 0.3}),
        ("classification_extra", {"name": "cost_sensitive_bce", "fp_cost": 2.5, "fn_cost": 0.5}),
    ],
    ids=lambda v: str(v),
)
def test_subnormal_targets(family: str, spec: dict, dtype: Any, backend: str) -> None:
    # negative_binomial at y = 5e-324 gave -3.7e-321 or 0 (true 0.049 at s = -3); BCE with
    # pos_weight 0.3 rounded w·y to 0 before the softplus
    y = 5e-324 if dtype == np.float64 else 1e-45
    top = 1.7e308 if dtype == np.float64 else 3.4e38
    for f in (-3.0, -1.0, 0.5, -1e8 if dtype == np.float64 else -1e4, -top):
        _check(family, spec, y, f, dtype, backend)
    _check(family, spec, 0.0, -top, dtype, backend)  # y·softplus before the weight: no 0·inf


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
@pytest.mark.parametrize("spec", [{"name": "binary_focal", "gamma": 2.0, "alpha": 0.25}])
def test_binary_focal_hessian_at_huge_logits(spec: dict, dtype: Any, backend: str) -> None:
    # the Hessian was NaN or -inf at x = ±1.7e308 (γR(γs − s̄) overflowed; true 0)
    top = 1.7e308 if dtype == np.float64 else 3.4e38
    for y, f in ((0.0, -top), (0.0, top), (1.0, -top), (0.25, top)):
        _check("focal", spec, y, f, dtype, backend)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", ("numpy", "torch"))  # subnormal inputs: JAX flushes them
def test_binary_focal_subnormal_label_and_probability(dtype: Any, backend: str) -> None:
    # from_logits=False: 1/q overflowed at q = 1e-310 (gradient -inf, true -4.9e-14); with α a
    # subnormal y was rounded to 0 after multiplying by α (value 0, true 2.2e-16 at x = -1.8e308)
    tiny = (5e-324, 1e-310) if dtype == np.float64 else (1e-45, 1e-40)
    prob = {"name": "binary_focal", "gamma": 0.5, "from_logits": False}
    for y in tiny:
        for q in tiny:
            _check("focal", prob, y, q, dtype, backend)
    top = 1.7e308 if dtype == np.float64 else 3.4e38
    _check("focal", {"name": "binary_focal", "gamma": 2.0, "alpha": 0.25}, tiny[0], -top, dtype, backend)
    _check("focal", {"name": "binary_focal", "gamma": 0.5, "alpha": 0.6}, tiny[0], -1e8, dtype, backend)


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
def test_reverse_kl_where_the_shift_overflows(dtype: Any, backend: str) -> None:
    # KL(q || t) was NaN at logits [1e308, 0, -1e308] (q·log q with log q = -inf)
    big = 1e308 if dtype == np.float64 else 3e38
    spec = {"name": "kl_divergence", "direction": "reverse"}
    _check("divergence_extra", spec, [1e-30, 0.5, 0.5 - 1e-30], [big, 0.0, -big], dtype, backend)


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
@pytest.mark.parametrize(
    ("family", "spec"),
    [
        ("classification", {"name": "binary_crossentropy", "from_logits": False}),
        ("focal", {"name": "binary_focal", "gamma": 0.0, "from_logits": False}),
    ],
    ids=lambda v: str(v),
)
def test_soft_label_next_to_its_probability(family: str, spec: dict, dtype: Any, backend: str) -> None:
    # −y/q + (1 − y)/(1 − q) cancelled: relative error 6.7e-7 at y = 0.3, q = 0.3(1 + 1e-10)
    for y in (0.3, 0.9):
        for rel in (1e-10, -1e-6, 1e-3):
            q = float(np.array(y * (1.0 + rel), dtype=dtype))
            _check(family, spec, y, q, dtype, backend)


@pytest.mark.parametrize(("dtype", "backend"), COMBOS, ids=COMBO_IDS)
def test_negative_binomial_where_alpha_y_overflows(dtype: Any, backend: str) -> None:
    # α = 1000, y = 1.7e308: αy = inf gave q = inf·0 = NaN (true 3.4e306 at s = -3)
    y = 1.7e308 if dtype == np.float64 else 3.4e38
    ly = math.log(y)
    spec = {"name": "negative_binomial", "alpha": 1000.0}
    for s in (-3.0, ly - 0.7, ly + 0.3, ly - 15.0):
        _check("overdispersed", spec, y, float(np.array(s, dtype=dtype)), dtype, backend)
