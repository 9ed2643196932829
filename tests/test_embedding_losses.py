"""The metric-learning losses (losslab/losses/embedding.py) on their structured targets.

Exactness against mpmath (tests/reference/mp_embedding.py) at batches the generic suite does not
draw (extreme scales, nearly parallel pairs); parity with torch.nn and optax in float64 (value
and autograd gradient within 1e-10 relative); where an anchor is inaccurate (PyTorch's 1e-6
added to a difference, its 1e-12 added to squared norms, optax's clipped norms), a test shows
the anchor off the mpmath value and losslab on it. Malformed targets raise clear errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import losslab
from losslab.targets import Embeddings, Pairs

sys.path.insert(0, str(Path(__file__).parent / "reference"))
import mp_embedding as mp

STRUCTURED = [
    "margin_ranking",
    "cosine_embedding",
    "contrastive",
    "triplet_margin",
    "ntxent",
    "supervised_contrastive",
]
BATCH = ["triplet_margin", "ntxent", "supervised_contrastive"]


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def _close(a: np.ndarray, b: np.ndarray, rtol: float, scale: float | None = None) -> None:
    """Relative to each entry, or to ``scale`` (the largest entry) for gradients with tiny parts."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    denom = np.maximum(np.abs(b), scale if scale is not None else 0.0)
    np.testing.assert_array_less(np.abs(a - b), rtol * denom + 1e-300)


# -- exact against mpmath --------------------------------------------------------------------------
def _batch(name: str, scale: float, seed: int = 3) -> tuple[object, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if name in BATCH:
        labels = np.array([0, 0, 1, 1, 2, 2, 0])
        return Embeddings(labels), labels, scale * rng.normal(size=(7, 3))
    labels = np.array([1, -1, 1, -1, -1, 1])
    k = 2 if name == "margin_ranking" else 6
    return Pairs(labels), labels, scale * rng.normal(size=(6, k))


CONFIGS = [
    ("margin_ranking", {"margin": 0.3}),
    ("cosine_embedding", {"margin": 0.2}),
    ("contrastive", {"margin": 1.0}),
    ("triplet_margin", {}),
    ("triplet_margin", {"swap": True, "p": 1.5}),
    ("triplet_margin", {"mining": "hard", "margin": 0.5}),
    ("ntxent", {"temperature": 0.5}),
    ("supervised_contrastive", {"temperature": 0.1}),
]


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=[f"{n}-{p}" for n, p in CONFIGS])
@pytest.mark.parametrize("scale", [1.0, 1e-150, 1e150])
def test_values_are_exact_at_any_scale(name: str, params: dict, scale: float) -> None:
    loss = losslab.get(name, **params)
    t, labels, f = _batch(name, scale)
    if name in ("margin_ranking", "contrastive", "triplet_margin") and scale != 1.0:
        # distances scale with the embeddings: keep the margin in the data's units
        loss = losslab.get(name, **{**params, "margin": params.get("margin", 1.0) * scale})
        ref = mp.rows_values(name, {**params, "margin": params.get("margin", 1.0) * scale}, labels, f)
    else:
        ref = mp.rows_values(name, params, labels, f)
    got = loss(t, f, reduction="none")
    assert np.all(np.isfinite(got))
    _close(got, ref, 1e-12, scale=max(np.max(np.abs(ref)), 1e-300) * 1e-3)


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=[f"{n}-{p}" for n, p in CONFIGS])
def test_gradients_of_the_weighted_total_are_exact(name: str, params: dict) -> None:
    loss = losslab.get(name, **params)
    t, labels, f = _batch(name, 1.0)
    w = np.linspace(0.5, 2.0, len(f))
    ref = np.array(mp.total_gradient(name, params, labels, f, w))
    _close(loss.gradient(t, f, sample_weight=w), ref, 1e-10, scale=np.max(np.abs(ref)))


def test_cosine_embedding_keeps_its_precision_for_nearly_parallel_pairs() -> None:
    """1 − cos of vectors 1e-6 rad apart is 5e-13: from cos it would keep 3 digits; from ½‖x̂₁ − x̂₂‖² all."""
    x1 = np.array([[1.0, 0.0, 0.0]])
    x2 = np.array([[np.cos(1e-6), np.sin(1e-6), 0.0]])
    f = np.concatenate([x1, x2], axis=1)
    ref = mp.rows_values("cosine_embedding", {}, [1], f)
    assert _rel(losslab.get("cosine_embedding")(Pairs([1]), f, reduction="none"), ref) < 1e-9


def test_rows_without_a_positive_or_negative_cost_nothing() -> None:
    f = np.random.default_rng(0).normal(size=(4, 2))
    for name in BATCH:
        v = losslab.get(name)(Embeddings([0, 0, 1, 2]), f, reduction="none")
        assert v[2] == 0.0 and v[3] == 0.0 and v[0] > 0.0, name
    for name in ("triplet_margin", "ntxent"):  # no negatives at all (supervised contrastive needs none)
        assert np.all(losslab.get(name)(Embeddings([5, 5, 5, 5]), f, reduction="none") == 0.0)


# -- parity with torch.nn ---------------------------------------------------------------------------
torch = pytest.importorskip("torch")


def _torch_grad(fn, f: np.ndarray) -> tuple[float, np.ndarray]:
    ft = torch.tensor(f, dtype=torch.float64, requires_grad=True)
    v = fn(ft)
    (g,) = torch.autograd.grad(v, ft)
    return float(v.detach()), g.numpy()


def _check_parity(loss, t, f: np.ndarray, anchor_total, w: np.ndarray) -> None:
    """losslab's Σwℓ and its gradient against the anchor's, both in float64."""
    v_ref, g_ref = anchor_total(f)
    v = float(loss(t, f, sample_weight=w, reduction="sum"))
    assert abs(v - v_ref) <= 1e-10 * abs(v_ref)
    _close(loss.gradient(t, f, sample_weight=w), g_ref, 1e-10, scale=np.max(np.abs(g_ref)))
    # and losslab's own autograd (torch tensors in) agrees with its analytic gradient
    v_t, g_t = _torch_grad(lambda ft: loss(t, ft, sample_weight=torch.tensor(w), reduction="sum"), f)
    assert abs(v_t - v_ref) <= 1e-10 * abs(v_ref)
    _close(g_t, g_ref, 1e-10, scale=np.max(np.abs(g_ref)))


@pytest.mark.parametrize("margin", [0.0, 0.7])
def test_margin_ranking_matches_torch(margin: float) -> None:
    rng = np.random.default_rng(1)
    f, s, w = rng.normal(size=(40, 2)), rng.choice([-1, 1], 40), rng.uniform(0.5, 2, 40)
    anchor = torch.nn.MarginRankingLoss(margin=margin, reduction="none")

    def total(x):
        return _torch_grad(
            lambda ft: (anchor(ft[:, 0], ft[:, 1], torch.tensor(s)) * torch.tensor(w)).sum(), x
        )

    _check_parity(losslab.get("margin_ranking", margin=margin), Pairs(s), f, total, w)


@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_matches_torch(margin: float) -> None:
    rng = np.random.default_rng(2)
    f, s, w = rng.uniform(0, 2, 40), rng.choice([-1.0, 1.0], 40), rng.uniform(0.5, 2, 40)
    loss = losslab.get("hinge_embedding", margin=margin)
    anchor = torch.nn.HingeEmbeddingLoss(margin=margin, reduction="none")
    v_ref, g_ref = _torch_grad(lambda ft: (anchor(ft, torch.tensor(s)) * torch.tensor(w)).sum(), f)
    assert abs(float(loss(s, f, sample_weight=w, reduction="sum")) - v_ref) <= 1e-12 * abs(v_ref)
    np.testing.assert_array_equal(loss.gradient(s, f, sample_weight=w), g_ref)


@pytest.mark.parametrize("margin", [0.0, 0.4, -0.3])
def test_cosine_embedding_matches_torch(margin: float) -> None:
    rng = np.random.default_rng(3)
    f, s, w = rng.normal(size=(40, 8)), rng.choice([-1, 1], 40), rng.uniform(0.5, 2, 40)
    anchor = torch.nn.CosineEmbeddingLoss(margin=margin, reduction="none")

    def total(x):
        return _torch_grad(
            lambda ft: (anchor(ft[:, :4], ft[:, 4:], torch.tensor(s)) * torch.tensor(w)).sum(), x
        )

    _check_parity(losslab.get("cosine_embedding", margin=margin), Pairs(s), f, total, w)


def test_cosine_embedding_torch_is_off_for_small_embeddings() -> None:
    """PyTorch adds 1e-12 to each squared norm: at norms near 1e-6 its cosine is far off."""
    rng = np.random.default_rng(4)
    f, s = 1e-6 * rng.normal(size=(10, 6)), np.ones(10, dtype=int)
    ref = np.array(mp.rows_values("cosine_embedding", {}, s, f))
    ours = losslab.get("cosine_embedding")(Pairs(s), f, reduction="none")
    theirs = torch.nn.CosineEmbeddingLoss(reduction="none")(
        torch.tensor(f[:, :3]), torch.tensor(f[:, 3:]), torch.tensor(s)
    ).numpy()
    assert _rel(ours, ref) < 1e-12
    assert _rel(theirs, ref) > 1e-3


def _triplets(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every valid (anchor, positive, negative) of a batch, in index arrays."""
    out = [
        (a, p, q)
        for a in range(len(labels))
        for p in range(len(labels))
        for q in range(len(labels))
        if p != a and labels[p] == labels[a] and labels[q] != labels[a]
    ]
    return tuple(np.array(c) for c in zip(*out, strict=True))


def _per_anchor_mean(h, a_idx: np.ndarray, n: int):
    counts = torch.bincount(torch.tensor(a_idx), minlength=n).to(h.dtype)
    sums = torch.zeros(n, dtype=h.dtype).index_add(0, torch.tensor(a_idx), h)
    return sums / counts.clamp(min=1)  # an anchor without triplets: 0, as in losslab


@pytest.mark.parametrize(
    ("p", "swap", "margin"), [(2.0, False, 1.0), (2.0, True, 0.5), (1.5, True, 1.0), (1.0, False, 2.0)]
)
def test_triplet_margin_matches_torch_on_the_enumerated_triplets(p: float, swap: bool, margin: float) -> None:
    """Row a of losslab = the mean of torch's TripletMarginLoss over anchor a's triplets (eps as torch's)."""
    rng = np.random.default_rng(5)
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 3])
    f, w = rng.normal(size=(9, 4)), rng.uniform(0.5, 2, 9)
    a, pp, q = _triplets(labels)
    anchor = torch.nn.TripletMarginLoss(margin=margin, p=p, eps=1e-6, swap=swap, reduction="none")

    def total(x):
        def fn(ft):
            h = anchor(ft[a], ft[pp], ft[q])
            return (_per_anchor_mean(h, a, len(labels)) * torch.tensor(w)).sum()

        return _torch_grad(fn, x)

    loss = losslab.get("triplet_margin", margin=margin, p=p, eps=1e-6, swap=swap)
    _check_parity(loss, Embeddings(labels), f, total, w)


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_cosine_distance_matches_torch_with_distance_function(swap: bool) -> None:
    """distance='cosine' = TripletMarginWithDistanceLoss(1 − cosine_similarity), per anchor."""
    rng = np.random.default_rng(7)
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 3])
    f, w = rng.normal(size=(9, 4)), rng.uniform(0.5, 2, 9)
    a, pp, q = _triplets(labels)
    anchor = torch.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda x, y: 1.0 - torch.nn.functional.cosine_similarity(x, y),
        margin=0.3,
        swap=swap,
        reduction="none",
    )

    def total(x):
        def fn(ft):
            h = anchor(ft[a], ft[pp], ft[q])
            return (_per_anchor_mean(h, a, len(labels)) * torch.tensor(w)).sum()

        return _torch_grad(fn, x)

    loss = losslab.get("triplet_margin", distance="cosine", margin=0.3, swap=swap)
    _check_parity(loss, Embeddings(labels), f, total, w)


def test_triplet_margin_torch_default_eps_is_off_and_losslab_exact() -> None:
    """PyTorch adds eps = 1e-6 to every difference: at distances near 1e-4 its triplet is off."""
    rng = np.random.default_rng(6)
    labels = np.array([0, 0, 1, 1])
    f = 1e-4 * rng.normal(size=(4, 3))
    params = {"margin": 1e-4}
    ref = np.array(mp.rows_values("triplet_margin", params, labels, f))
    ours = losslab.get("triplet_margin", **params)(Embeddings(labels), f, reduction="none")
    a, pp, q = _triplets(labels)
    h = torch.nn.TripletMarginLoss(margin=1e-4, reduction="none")(
        torch.tensor(f[a]), torch.tensor(f[pp]), torch.tensor(f[q])
    )
    theirs = _per_anchor_mean(h, a, 4).numpy()
    assert _rel(ours, ref) < 1e-12
    assert _rel(theirs, ref) > 1e-4


# -- parity with optax ------------------------------------------------------------------------------
@pytest.fixture
def jax_x64():
    jax = pytest.importorskip("jax")
    pytest.importorskip("optax")
    with jax.enable_x64(True):
        yield jax


def test_triplet_margin_matches_optax(jax_x64) -> None:
    import jax.numpy as jnp
    import optax

    rng = np.random.default_rng(7)
    labels = np.array([0, 0, 1, 1, 1, 2])
    f, w = rng.normal(size=(6, 5)), rng.uniform(0.5, 2, 6)
    a, pp, q = _triplets(labels)
    counts = np.maximum(np.bincount(a, minlength=6), 1)  # no triplet: 0

    def total(x):
        h = optax.losses.triplet_margin_loss(x[a], x[pp], x[q], margin=0.8, eps=0.0)
        return jnp.sum(jnp.zeros(6).at[a].add(h) / counts * w)

    x = jnp.asarray(f)
    v_ref, g_ref = float(total(x)), np.asarray(jax_x64.grad(total)(x))
    loss = losslab.get("triplet_margin", margin=0.8)
    assert abs(float(loss(Embeddings(labels), f, sample_weight=w, reduction="sum")) - v_ref) <= 1e-10 * v_ref
    _close(loss.gradient(Embeddings(labels), f, sample_weight=w), g_ref, 1e-10, scale=np.max(np.abs(g_ref)))
    # losslab on JAX arrays: jax.grad through it gives the same
    g_jax = jax_x64.grad(
        lambda e: loss(Embeddings(labels), e, sample_weight=jnp.asarray(w), reduction="sum")
    )(x)
    _close(np.asarray(g_jax), g_ref, 1e-10, scale=np.max(np.abs(g_ref)))


@pytest.mark.parametrize("temperature", [0.07, 0.5, 1.0])
def test_ntxent_matches_optax_when_every_row_has_one_positive(jax_x64, temperature: float) -> None:
    """optax averages over positive pairs; with two views per label that is the mean of the rows."""
    import jax.numpy as jnp
    import optax

    rng = np.random.default_rng(8)
    labels = np.repeat(np.arange(5), 2)
    f = rng.normal(size=(10, 4))
    x = jnp.asarray(f)

    def anchor(e):
        return optax.ntxent(e, jnp.asarray(labels), temperature)

    v_ref, g_ref = float(anchor(x)), np.asarray(jax_x64.grad(anchor)(x))
    loss = losslab.get("ntxent", temperature=temperature)
    assert abs(float(loss(Embeddings(labels), f)) - v_ref) <= 1e-10 * v_ref
    _close(loss.gradient(Embeddings(labels), f) / len(f), g_ref, 1e-10, scale=np.max(np.abs(g_ref)))
    g_jax = jax_x64.grad(lambda e: loss(Embeddings(labels), e))(x)
    _close(np.asarray(g_jax), g_ref, 1e-10, scale=np.max(np.abs(g_ref)))


def test_ntxent_optax_is_off_for_small_embeddings_and_losslab_exact(jax_x64) -> None:
    """optax clips each squared norm at machine epsilon: embeddings of norm 1e-9 lose their cosines."""
    import jax.numpy as jnp
    import optax

    rng = np.random.default_rng(9)
    labels = np.repeat(np.arange(3), 2)
    f = 1e-9 * rng.normal(size=(6, 3))
    ref = float(np.mean(mp.rows_values("ntxent", {"temperature": 0.5}, labels, f)))
    ours = float(losslab.get("ntxent", temperature=0.5)(Embeddings(labels), f))
    theirs = float(optax.ntxent(jnp.asarray(f), jnp.asarray(labels), 0.5))
    assert abs(ours - ref) <= 1e-12 * ref
    assert abs(theirs - ref) > 1e-3 * ref


# -- backends, dtypes, weights --------------------------------------------------------------------
@pytest.mark.parametrize("name", STRUCTURED)
def test_torch_and_float32_inputs_keep_their_type(name: str) -> None:
    loss = losslab.get(name)
    t, f = loss.example()
    ref = loss(t, f, reduction="none")
    out = loss(t, torch.tensor(f, dtype=torch.float32), reduction="none")
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-5)
    g = loss.gradient(t, f.astype(np.float32))
    assert g.dtype == np.float32 and g.shape == f.shape


@pytest.mark.parametrize("name", BATCH)
def test_batch_losses_are_coupled_and_weight_the_total(name: str) -> None:
    """Coupled: the gradient is that of Σwℓ, so a row's weight moves other rows' gradients."""
    loss = losslab.get(name)
    assert loss.coupled and loss.info.hessian == "none"
    t, f = loss.example()
    w = np.ones(len(f))
    w[0] = 3.0
    g1, gw = loss.gradient(t, f), loss.gradient(t, f, sample_weight=w)
    assert not np.allclose(g1[1:], gw[1:])  # row 0's triplets/pairs reach other rows


# -- errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", BATCH)
def test_batch_losses_have_no_hessian(name: str) -> None:
    loss = losslab.get(name)
    t, f = loss.example()
    with pytest.raises(losslab.UnsupportedError, match=f"'{name}' has no per-sample Hessian"):
        loss.hessian(t, f)
    with pytest.raises(NotImplementedError):
        loss.gradient_hessian(t, f)


def test_malformed_targets_and_layouts_raise_clear_errors() -> None:
    f = np.zeros((3, 4)) + np.arange(12).reshape(3, 4)
    cos = losslab.get("cosine_embedding")
    with pytest.raises(
        losslab.DomainError, match=r"Pairs.label for loss 'cosine_embedding' must be \+1 or -1"
    ):
        cos(Pairs([1, 2, -1]), f)
    with pytest.raises(losslab.DomainError, match="mixes 0 and -1"):
        cos(Pairs([1, 0, -1]), f)
    with pytest.raises(losslab.ShapeError, match=r"even number of columns.*\[x1 \| x2\]"):
        cos(Pairs([1, 1, -1]), f[:, :3])
    with pytest.raises(losslab.ShapeError, match=r"shape \(n, 2\), the pair's two scores"):
        losslab.get("margin_ranking")(Pairs([1, 1, -1]), f)
    with pytest.raises(losslab.ShapeError, match=r"one row per row of its Pairs target \(2 rows\)"):
        cos(Pairs([1, -1]), f)
    with pytest.raises(losslab.DTypeError, match="must be a losslab Embeddings target"):
        losslab.get("ntxent")({"label": [0, 1, 0]}, f)
    with pytest.raises(losslab.DTypeError, match=r"Embeddings\.label for loss 'ntxent' must hold integers"):
        losslab.get("ntxent")(Embeddings(np.array(["a", "b", "a"])), f)


def test_plain_label_arrays_are_accepted() -> None:
    f = np.random.default_rng(0).normal(size=(4, 4))
    for name, t in (("cosine_embedding", Pairs([1, -1, 1, 1])), ("ntxent", Embeddings([0, 0, 1, 1]))):
        loss = losslab.get(name)
        assert float(loss(np.asarray(t.label), f)) == float(loss(t, f))


def test_the_docs_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/examples/embedding.py (the new user's walk-through) runs, and its training loss falls."""
    import runpy

    runpy.run_path(str(Path(__file__).parents[1] / "docs" / "examples" / "embedding.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "supervised_contrastive while training" in out and "triplet_margin" in out
