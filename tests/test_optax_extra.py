"""Parity with optax and torch.nn for kl_divergence_log_targets, convex_kl, ranking_softmax and
circle (float64, value and autograd gradient to 1e-10), and where an anchor is not accurate, a
test showing losslab exact against mpmath and the anchor off."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

import losslab
from losslab.targets import Embeddings, Ranking

RTOL = 1e-10
HERE = Path(__file__).resolve().parent


def _rel(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))


@pytest.fixture
def jax_x64():
    jax = pytest.importorskip("jax")
    pytest.importorskip("optax")
    with jax.enable_x64(True):
        yield jax


def _log_rows(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    t = rng.dirichlet(np.ones(k), n)
    return np.log(t)


# -- kl_divergence_log_targets ----------------------------------------------------------------------
@pytest.mark.parametrize("direction", ["forward", "reverse"])
def test_kl_log_targets_matches_torch(direction: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    s, z = _log_rows(rng, 40, 4), rng.normal(0.0, 2.0, (40, 4))
    loss = losslab.get("kl_divergence_log_targets", direction=direction)
    x = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    st = torch.tensor(s, dtype=torch.float64)
    lq = F.log_softmax(x, dim=1)
    if direction == "forward":
        theirs = F.kl_div(lq, st, reduction="none", log_target=True).sum(1)
    else:  # KL(q || t): the arguments swapped
        theirs = F.kl_div(st, lq, reduction="none", log_target=True).sum(1)
    (grad,) = torch.autograd.grad(theirs.sum(), x)
    assert _rel(loss(s, z, reduction="none"), theirs.detach().numpy()) < RTOL
    assert _rel(loss.gradient(s, z), grad.numpy()) < RTOL
    # KLDivLoss(reduction="batchmean", log_target=True) is losslab's mean
    module = torch.nn.KLDivLoss(reduction="batchmean", log_target=True)
    if direction == "forward":
        assert _rel(loss(s, z), module(lq, st).item()) < RTOL
    # losslab's value under autograd (its analytic gradient kernel) is the same gradient
    x2 = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    (mine,) = torch.autograd.grad(loss(torch.tensor(s), x2, reduction="sum"), x2)
    assert _rel(mine.numpy(), grad.numpy()) < RTOL


def test_kl_log_targets_matches_optax(jax_x64) -> None:
    import jax
    import jax.numpy as jnp
    import optax

    rng = np.random.default_rng(1)
    s, z = _log_rows(rng, 40, 5), rng.normal(0.0, 2.0, (40, 5))
    loss = losslab.get("kl_divergence_with_log_targets")  # optax's name
    assert loss.name == "kl_divergence_log_targets"

    def theirs(zz: Any) -> Any:
        return optax.losses.kl_divergence_with_log_targets(jax.nn.log_softmax(zz), jnp.asarray(s))

    assert _rel(loss(s, z, reduction="none"), theirs(jnp.asarray(z))) < RTOL
    grad = jax.grad(lambda zz: theirs(zz).sum())(jnp.asarray(z))
    assert _rel(loss.gradient(s, z), grad) < RTOL
    # and equal to kl_divergence on the probabilities e^s
    assert (
        _rel(loss(s, z, reduction="none"), losslab.get("kl_divergence")(np.exp(s), z, reduction="none"))
        < 1e-13
    )


def test_kl_log_targets_exact_where_the_anchors_log_softmax_rounds(jax_x64) -> None:
    import jax
    import jax.numpy as jnp
    import optax

    # a near-certain model: log q₀ = −log1p(e^{−30}) ≈ −9.4e-14, which log(Σ e^{z − max})
    # rounds to ~1e-3 of itself; the divergence (≈ 6e-10) inherits an absolute error of 1e-16
    s = np.log(np.array([[1.0 - 1e-10, 1e-10]]))
    z = np.array([[30.0, 0.0]])
    with mpmath.workdps(50):
        ss, zz = [mpmath.mpf(v) for v in s[0]], [mpmath.mpf(v) for v in z[0]]
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in zz))
        exact = float(mpmath.fsum(mpmath.exp(a) * (a - (b - lse)) for a, b in zip(ss, zz, strict=True)))
    ours = float(losslab.get("kl_divergence_log_targets")(s, z))
    theirs = float(
        optax.losses.kl_divergence_with_log_targets(jax.nn.log_softmax(jnp.asarray(z)), jnp.asarray(s))[0]
    )
    assert abs(ours - exact) <= 1e-13 * abs(exact)
    assert abs(theirs - exact) > 1e-9 * abs(exact)


def test_kl_log_targets_rejects_probabilities_and_bad_rows() -> None:
    loss = losslab.get("kl_divergence_log_targets")
    z = np.zeros((2, 3))
    with pytest.raises(losslab.DomainError, match=r"kl_divergence_log_targets.*log-probabilities"):
        loss(np.full((2, 3), 1.0 / 3.0), z)  # probabilities, not their logs
    with pytest.raises(losslab.ShapeError, match="log-probability rows"):
        loss(np.array([0, 1]), z)  # class indices


def test_kl_log_targets_baseline_is_kl_divergences() -> None:
    rng = np.random.default_rng(2)
    s = _log_rows(rng, 30, 3)
    for direction in ("forward", "reverse"):
        mine = losslab.get("kl_divergence_log_targets", direction=direction).baseline(s)
        theirs = losslab.get("kl_divergence", direction=direction).baseline(np.exp(s))
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


# -- convex_kl --------------------------------------------------------------------------------------
def _optax_convex_kl(optax: Any, f: Any, t: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # renamed generalized_kl_divergence
        return optax.losses.convex_kl_divergence(f, t)


def test_convex_kl_matches_optax(jax_x64) -> None:
    import jax
    import jax.numpy as jnp
    import optax

    loss = losslab.get("convex_kl_divergence")  # optax's name
    t, f = loss.example(50, seed=3)
    tj = jnp.asarray(t)
    assert _rel(loss(t, f, reduction="none"), _optax_convex_kl(optax, jnp.asarray(f), tj)) < RTOL
    assert (
        _rel(loss(t, f, reduction="none"), optax.losses.generalized_kl_divergence(jnp.asarray(f), tj)) < RTOL
    )
    grad = jax.grad(lambda ff: _optax_convex_kl(optax, ff, tj).sum())(jnp.asarray(f))
    assert _rel(loss.gradient(t, f), grad) < RTOL
    # losslab under jax.grad (its analytic kernel) is the same
    mine = jax.grad(lambda ff: loss(tj, ff, reduction="sum"))(jnp.asarray(f))
    assert _rel(mine, grad) < RTOL


def test_convex_kl_is_kl_on_the_simplex_and_poisson_per_entry() -> None:
    rng = np.random.default_rng(4)
    t, z = rng.dirichlet(np.ones(4), 20), rng.normal(size=(20, 4))
    logq = z - np.log(np.exp(z).sum(1, keepdims=True))
    ck = losslab.get("convex_kl")
    np.testing.assert_allclose(
        ck(t, logq, reduction="none"), losslab.get("kl_divergence")(t, z, reduction="none"), rtol=1e-12
    )
    y, f = ck.example(10, seed=5)
    pois = losslab.get("poisson")(y.ravel(), f.ravel(), reduction="none").reshape(y.shape).sum(1)
    np.testing.assert_allclose(ck(y, f, reduction="none"), pois, rtol=1e-15)


def test_convex_kl_exact_near_the_optimum_where_optax_cancels(jax_x64) -> None:
    import jax.numpy as jnp
    import optax

    # f = log t + 1e-8: the value is Σ t(e^d − 1 − d) ≈ t·5e-17, optax's t(log t − f) + e^f − t
    # is a difference of O(t) terms
    t = np.array([[3.0, 0.25, 7.5]])
    f = np.log(t) + 1e-8
    with mpmath.workdps(60):
        exact = float(
            mpmath.fsum(
                a * mpmath.log(a) - a * mpmath.mpf(b) - a + mpmath.exp(mpmath.mpf(b))
                for a, b in zip(map(mpmath.mpf, t[0]), f[0], strict=True)
            )
        )
    ours = float(losslab.get("convex_kl")(t, f))
    theirs = float(_optax_convex_kl(optax, jnp.asarray(f), jnp.asarray(t))[0])
    assert abs(ours - exact) <= 1e-12 * exact
    assert abs(theirs - exact) > 1e-2 * exact


def test_convex_kl_rejects_negative_masses() -> None:
    with pytest.raises(losslab.DomainError, match="convex_kl"):
        losslab.get("convex_kl")(np.array([[1.0, -0.5]]), np.zeros((1, 2)))


# -- ranking_softmax --------------------------------------------------------------------------------
def _padded(sizes: list[int], *cols: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each column as a (queries, max size) array, and the mask of real entries (optax's where)."""
    m = max(sizes)
    where = np.arange(m)[None, :] < np.asarray(sizes)[:, None]
    out = []
    for c in cols:
        a = np.zeros((len(sizes), m))
        a[where] = c
        out.append(a)
    return (*out, where)


def test_ranking_softmax_matches_optax(jax_x64) -> None:
    import jax
    import jax.numpy as jnp
    import optax

    rng = np.random.default_rng(6)
    sizes = [3, 7, 1, 5, 2, 8]
    n = sum(sizes)
    rel = rng.integers(0, 4, n).astype(float)
    f, w = rng.normal(0.0, 2.0, n), rng.uniform(0.2, 3.0, n)
    y = Ranking.from_sizes(rel, sizes)
    loss = losslab.get("ranking_softmax_loss")  # optax's name
    lab, sc, wt, where = _padded(sizes, rel, f, w)
    lab, sc, wt, wh = map(jnp.asarray, (lab, sc, wt, where))

    def theirs(s: Any, reduce_fn: Any = jnp.sum, weights: Any = None) -> Any:
        return optax.losses.ranking_softmax_loss(s, lab, where=wh, weights=weights, reduce_fn=reduce_fn)

    # per list: the sums of losslab's per-row values over each query
    per_list = np.add.reduceat(loss(y, f, reduction="none"), np.r_[0, np.cumsum(sizes)[:-1]])
    assert _rel(per_list, theirs(sc, None)) < RTOL
    # optax's weights are sample_weight; reduce_fn=sum is reduction="sum"; its mean is over lists
    assert _rel(loss(y, f, sample_weight=w, reduction="sum"), theirs(sc, weights=wt)) < RTOL
    assert _rel(loss(y, f, reduction="sum") / len(sizes), theirs(sc, jnp.mean)) < RTOL
    grad = np.asarray(jax.grad(lambda s: theirs(s, weights=wt))(sc))
    assert _rel(loss.gradient(y, f, sample_weight=w), grad[where]) < RTOL
    assert not grad[~where].any()  # padding has no gradient in optax either
    # the Hessian diagonal is that of the weighted total
    hess = np.asarray(jax.hessian(lambda s: theirs(s, weights=wt))(sc))
    diag = np.einsum("qmqm->qm", hess)[where]
    assert _rel(loss.hessian(y, f, sample_weight=w), diag) < RTOL


def test_ranking_softmax_where_is_dropping_rows_not_zero_weight(jax_x64) -> None:
    import jax.numpy as jnp
    import optax

    rel, f = np.array([2.0, 0.0, 1.0, 1.0]), np.array([0.3, 1.5, -0.2, 0.9])
    keep = np.array([True, True, False, True])
    theirs = float(
        optax.losses.ranking_softmax_loss(
            jnp.asarray(f), jnp.asarray(rel), where=jnp.asarray(keep), reduce_fn=jnp.sum
        )
    )
    loss = losslab.get("ranking_softmax")
    dropped = float(loss(Ranking.from_sizes(rel[keep], [3]), f[keep], reduction="sum"))
    zero_weight = float(
        loss(Ranking.from_sizes(rel, [4]), f, sample_weight=keep.astype(float), reduction="sum")
    )
    assert abs(dropped - theirs) <= RTOL * abs(theirs)
    assert abs(zero_weight - theirs) > 1e-3  # the masked row still takes softmax mass


def test_ranking_softmax_exact_for_a_dominant_row_where_optax_rounds_to_zero(jax_x64) -> None:
    import jax
    import jax.numpy as jnp
    import optax

    rel, f = np.array([1.0, 0.0, 0.0]), np.array([50.0, 0.0, -1.0])
    y = Ranking.from_sizes(rel, [3])
    with mpmath.workdps(60):
        e = [mpmath.exp(mpmath.mpf(v)) for v in f]
        p0 = e[0] / mpmath.fsum(e)
        value, g0 = float(-mpmath.log(p0)), float(p0 - 1)
    loss = losslab.get("ranking_softmax")
    assert abs(float(loss(y, f, reduction="sum")) - value) <= 1e-14 * value
    assert abs(float(loss.gradient(y, f)[0]) - g0) <= 1e-14 * abs(g0)

    def theirs(s: Any) -> Any:
        return optax.losses.ranking_softmax_loss(s, jnp.asarray(rel), reduce_fn=jnp.sum)

    assert float(theirs(jnp.asarray(f))) == 0.0  # exact: 2.6e-22
    assert float(jax.grad(theirs)(jnp.asarray(f))[0]) == 0.0  # exact: -2.6e-22


def test_ranking_softmax_documented_normalisation_differs_from_listnet() -> None:
    # ListNet's target is softmax(relevance); optax (and this loss) take the labels as they are:
    # scaling the labels scales the loss
    y1, y2 = Ranking.from_sizes([1.0, 0.0, 2.0], [3]), Ranking.from_sizes([2.0, 0.0, 4.0], [3])
    f = np.array([0.1, -0.4, 0.8])
    loss = losslab.get("ranking_softmax")
    assert float(loss(y2, f, reduction="sum")) == pytest.approx(
        2.0 * float(loss(y1, f, reduction="sum")), rel=1e-15
    )
    with pytest.raises(losslab.UnknownLossError):
        losslab.get("listnet")


# -- circle (Keras) ---------------------------------------------------------------------------------
sys.path.insert(0, str(HERE / "reference"))
import mp_embedding_keras as mp_circle  # noqa: E402

KERAS_BACKENDS = (
    [b for b in ("torch", "jax") if importlib.util.find_spec(b) is not None]
    if importlib.util.find_spec("keras") is not None  # find_spec: importing Keras fixes its backend
    else []
)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _angles(*a: float) -> np.ndarray:
    return np.array([[np.cos(t), np.sin(t)] for t in a])


def _threshold_batch() -> tuple[np.ndarray, np.ndarray, float]:
    """Four unit rows and the γ at which row 0's x = LSE_P + LSE_N is 22 (where a softplus
    that returns x past 20, PyTorch's, would be off by e^-22)."""
    labels, rows = np.array([0, 0, 1, 1]), _angles(0.0, 1.2, 0.6, 2.6)
    lo, hi = 1.0, 200.0
    for _ in range(200):
        g = 0.5 * (lo + hi)
        v = float(losslab.get("circle", gamma=g)(Embeddings(labels), rows, reduction="none")[0])
        lo, hi = (g, hi) if v < 22.0 else (lo, g)
    return labels, rows, 0.5 * (lo + hi)


def _circle_batches() -> list[tuple[np.ndarray, np.ndarray, float, float, bool]]:
    rng = np.random.default_rng(8)
    labels, rows = np.arange(12) % 4, _unit(rng.normal(size=(12, 5)))
    labels2, rows2 = np.array([0, 0, 0, 1, 1, 2, 2, 2, 3]), _unit(rng.normal(size=(9, 4)))
    tl, tr, tg = _threshold_batch()
    return [
        (labels, rows, 80.0, 0.4, True),  # Keras's defaults
        (labels, rows, 1.0, 0.25, True),
        (labels2, rows2, 2.0, 0.4, False),  # class 3 has no positive: 0
        (tl, tr, tg, 0.4, True),
    ]


def _circle_exact(labels: np.ndarray, rows: np.ndarray, params: dict) -> tuple[list[float], np.ndarray]:
    """mpmath per-row values and the gradient of their sum (central differences, 40 digits)."""
    with mpmath.workdps(40):
        z = [[mpmath.mpf(float(v)) for v in r] for r in rows]
        lab = [int(v) for v in labels]
        values = [float(v) for v in mp_circle.circle(params, lab, z)]
        grad = np.zeros(rows.shape)
        for i, j in np.ndindex(*rows.shape):

            def total(x: Any, i: int = i, j: int = j) -> Any:
                moved = [list(r) for r in z]
                moved[i][j] = x
                return mpmath.fsum(mp_circle.circle(params, lab, moved))

            grad[i, j] = float(mpmath.diff(total, z[i][j]))
    return values, grad


@pytest.mark.parametrize("backend", KERAS_BACKENDS)
def test_circle_matches_keras(backend: str, tmp_path: Path) -> None:
    batches = _circle_batches()
    arrays: dict[str, Any] = {"count": len(batches)}
    for i, (labels, rows, g, m, diag) in enumerate(batches):
        arrays |= {
            f"labels_{i}": labels,
            f"rows_{i}": rows,
            f"gamma_{i}": g,
            f"margin_{i}": m,
            f"diag_{i}": diag,
        }
    src, out = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez(src, **arrays)
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
        [sys.executable, str(HERE / "keras_circle_check.py"), str(src), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    res = np.load(out)
    for i, (labels, rows, g, m, diag) in enumerate(batches):
        loss = losslab.get("circle", gamma=g, margin=m, remove_diagonal=diag)
        ours = loss(Embeddings(labels), rows, reduction="none")
        grad = loss.gradient(Embeddings(labels), rows)
        # losslab.keras.Circle (Keras's defaults) gives keras.losses.Circle's per-sample values
        assert _rel(res[f"face_{i}"], res[f"keras_{i}"]) < (1e-6 if backend == "torch" else RTOL), i
        if backend == "jax":
            assert _rel(ours, res[f"value_{i}"]) < RTOL, i
            assert _rel(grad, res[f"grad_{i}"]) < RTOL, i
            continue
        # Keras's PyTorch backend multiplies in float32 whatever the input (its result_type maps
        # float64 to float32): off the exact values, losslab on them
        values, exact = _circle_exact(labels, rows, {"gamma": g, "margin": m, "remove_diagonal": diag})
        assert _rel(ours, values) < 1e-13 and _rel(grad, exact) < 1e-12, i
        assert 1e-9 < _rel(res[f"value_{i}"], values) < 1e-4, i
        assert 1e-9 < _rel(res[f"grad_{i}"], exact) < 1e-3, i


def test_circle_normalize_is_the_cosine_and_scale_free() -> None:
    rng = np.random.default_rng(9)
    labels, x = np.arange(10) % 3, rng.normal(size=(10, 4))
    y = Embeddings(labels)
    unit = losslab.get("circle")(y, _unit(x), reduction="none")
    for scale in (1.0, 1e-150, 1e150):
        np.testing.assert_allclose(
            losslab.get("circle", normalize=True)(y, scale * x, reduction="none"), unit, rtol=1e-13
        )


def test_circle_has_no_hessian_and_zero_rows() -> None:
    loss = losslab.get("circle")
    y = Embeddings([0, 0, 1])  # row 2 has no positive
    v = loss(y, _angles(0.0, 0.5, 2.0), reduction="none")
    assert v[2] == 0.0 and v[0] > 0.0
    assert loss.info.hessian == "none"
    with pytest.raises(losslab.UnsupportedError):
        loss.hessian(y, _angles(0.0, 0.5, 2.0))
