r"""Learning to rank: losses over the rows of each query (target `losslab.targets.Ranking`).

y_true is a `Ranking` — a relevance grade ≥ 0 and a query (group) id per row, the rows of a
query adjacent — and y_pred one raw score fᵢ per row; only the order of the scores within a
query matters. The losses are coupled (``Loss.coupled``): a row's value depends on the other
rows of its query. Per-row values are a decomposition that sums to the query's total; gradient
and Hessian are those of the weighted total (`losslab._core.targets`).

=====================  ==============================  ==========================================
loss                   anchor                          gradient
=====================  ==============================  ==========================================
``pairwise``           XGBoost ``rank:pairwise``       the derivative of the value (RankNet)
``lambdarank``         LightGBM ``lambdarank``,        recipe: RankNet pairs weighted by |ΔNDCG|
                       XGBoost ``rank:ndcg``
``map``                XGBoost ``rank:map``            recipe: RankNet pairs weighted by |ΔMAP|
``xendcg``             LightGBM ``rank_xendcg``        recipe: LightGBM's approximate XE-NDCG step
``ranking_softmax``    optax ``ranking_softmax_loss``  the derivative of the value (listwise)
=====================  ==============================  ==========================================

**Pairs and their per-row split.** A pair (i, j) of one query with relevanceᵢ > relevanceⱼ
costs Ωᵢⱼ·log(1 + e^{−σ(fᵢ − fⱼ)}); half of it is charged to each of its two rows, so the
per-row values sum to the query's total. With ``sample_weight`` the weighted total
Σₐ wₐℓₐ gives the pair the weight (wᵢ + wⱼ)/2 — the query's weight when the weights are
constant within each query, which is what XGBoost's per-group weights and LightGBM's per-row
weights of a ranking set amount to (LightGBM multiplies row i's gradient by wᵢ; XGBoost by the
group's weight times n_groups/Σ w_g, a constant that does not change a tree's Newton leaves).

**Gradient recipes.** LambdaRank, ``rank:map`` and XE-NDCG are gradient recipes
(``info.gradient == "recipe"``): their gradient is not the derivative of a value. For
``lambdarank`` and ``map`` the value is the surrogate whose derivative the recipe is when the
pair weights Ωᵢⱼ (|Δmetric|, the score-distance and log₂ normalisations, all computed from the
current scores) are held fixed — the LambdaLoss view of Wang et al. (2018); the gradient and
Hessian equal that derivative exactly. For ``xendcg`` the value is the cross-entropy of
XE-NDCG and the gradient LightGBM's third-order approximation of its Newton step. Recipes keep
every generic property but the finite-difference and autodiff-parity ones (the weights move
with the ranks).

NDCG@k and MAP per query, averaged, are the metrics the recipes aim at; they are in the one
metrics table (`losslab.metrics.ranking_metric("ndcg:10", y, scores)`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core import Interval, Loss, LossInfo, Param, ParameterError, register
from .._core import special as sp
from .._core.domains import RAW_SCORE, Domain, DomainKind
from .._core.errors import DomainError
from .._core.info import Anchor, AnchorRow, GradientKind, HessianKind, Library, Task
from .._core.statistic import Statistic
from .._core.targets import Ranking
from .._core.xp import device, is_numpy_namespace, to_numpy
from ..links import IDENTITY
from .classification import weighted_ce_grad_hess

__all__ = [
    "XENDCG",
    "LambdaRank",
    "LambdaRankMAP",
    "Pairwise",
    "RankingSoftmax",
    "lightgbm_gammas",
]

RANKING_TARGET = Domain(
    DomainKind.STRUCTURED,
    Interval(0.0, math.inf, True, False),
    note="(a Ranking target: relevance >= 0 and a query id per row, each query's rows adjacent)",
    shape="Ranking(relevance, group)",
)


def _anchor(losslab: str, note: str, params: str = "") -> tuple[AnchorRow, ...]:
    """The conventions row: none of PyTorch, Keras 3, optax or scikit-learn has the loss."""
    return (AnchorRow(losslab, (Anchor(Library.SKLEARN, None, f"— ({note})"),), params=params),)


POSITIVE = Interval(0.0, math.inf, False, False)
AT_LEAST_ONE = Interval(1.0, math.inf, True, False)
NON_NEGATIVE = Interval(0.0, math.inf, True, False)
#: LightGBM's and XGBoost's score-distance normalisation: |ΔZ| / (0.01 + |fᵢ − fⱼ|)
_SCORE_NORM_EPS = 0.01
_REFERENCES_LTR = (
    "Burges, C. J. C. (2010). From RankNet to LambdaRank to LambdaMART: An Overview. Microsoft "
    "Research Technical Report MSR-TR-2010-82.",
    "Wang, X., Li, C., Golbandi, N., Bendersky, M. & Najork, M. (2018). The LambdaLoss "
    "Framework for Ranking Metric Optimization. CIKM.",
)


# -- the queries as padded blocks ------------------------------------------------------------------
@dataclass(frozen=True)
class _Block:
    """Queries of similar size padded to one width m: ``rows`` (q, m) row indices (a pad
    repeats the query's first row), ``valid`` (q, m), ``query`` (q,) query indices."""

    rows: np.ndarray
    valid: np.ndarray
    query: np.ndarray


@dataclass(frozen=True)
class _Queries:
    blocks: tuple[_Block, ...]
    where: np.ndarray  # row i's entry in the concatenation of the flattened blocks
    sizes: np.ndarray


def _queries(t: Ranking) -> _Queries:
    """The queries of ``t`` grouped into blocks of sizes within a factor of two (so padding
    costs at most 4× the pairs) — every computation is then a batched dense (q, m, m) one."""
    starts = t.starts()
    sizes = np.diff(starts)
    klass = np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.int64)
    blocks, where = [], np.empty(int(starts[-1]), dtype=np.int64)
    offset = 0
    for c in np.unique(klass):
        qs = np.flatnonzero(klass == c)
        m = int(sizes[qs].max())
        a = np.arange(m)
        valid = a[None, :] < sizes[qs][:, None]
        rows = np.where(valid, starts[qs][:, None] + a[None, :], starts[qs][:, None])
        flat = np.flatnonzero(valid.ravel())
        where[rows.ravel()[flat]] = offset + flat
        offset += valid.size
        blocks.append(_Block(rows, valid, qs))
    return _Queries(tuple(blocks), where, sizes)


def _index(xp: Any, a: np.ndarray, like: Any) -> Any:
    return xp.asarray(a) if is_numpy_namespace(xp) else xp.asarray(a, device=device(like))


def _as(xp: Any, a: np.ndarray, like: Any) -> Any:
    """A NumPy float array in ``like``'s library, dtype and device."""
    return xp.astype(_index(xp, a, like), like.dtype)


def _gather(xp: Any, x: Any, rows: np.ndarray) -> Any:
    """x[rows] for a (q, m) index block."""
    flat = xp.take(x, _index(xp, rows.ravel(), x), axis=0)
    return xp.reshape(flat, rows.shape)


def _scatter(xp: Any, q: _Queries, parts: list[Any], like: Any) -> Any:
    """Per-row values from one (q, m) array per block (pads dropped)."""
    flat = xp.concat([xp.reshape(p, (-1,)) for p in parts])
    return xp.take(flat, _index(xp, q.where, like), axis=0)


def _numpy_fields(t: Ranking) -> tuple[np.ndarray, np.ndarray | None]:
    rel = to_numpy(t.relevance).astype(np.float64)
    w = None if t.weight is None else to_numpy(t.weight).astype(np.float64)
    return rel, w


def _pair_mask(rel: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(q, m, m): row a of the query is more relevant than row b (both real rows)."""
    both = valid[:, :, None] & valid[:, None, :]
    return both & (rel[:, :, None] > rel[:, None, :])


def _pair_weights(xp: Any, t: Ranking, b: _Block, omega: Any, f: Any) -> Any:
    """Ω·(wₐ + w_b)/2: the pair weights of the weighted total (Ω unchanged if unweighted)."""
    if t.weight is None:
        return omega
    wb = _gather(xp, t.weight, b.rows)
    return omega * (0.5 * (wb[:, :, None] + wb[:, None, :]))


class _PairLoss(Loss):
    """Weighted RankNet pairs: ℓ = Σ over pairs Ωᵢⱼ·softplus(−σ(fᵢ − fⱼ)), half to each row.

    Subclasses give the pair weights Ω of a block (`_omega`): 1 for RankNet, |ΔNDCG| or |ΔMAP|
    for the LambdaRank recipes."""

    target_type = Ranking
    coupled = True
    link = IDENTITY

    @property
    def _sigma(self) -> float:
        return 1.0

    def _omega(self, xp: Any, t: Ranking, b: _Block, f: Any) -> Any:
        raise NotImplementedError

    def _blocks(self, xp: Any, t: Ranking, f: Any) -> tuple[_Queries, list[tuple[_Block, Any, Any]]]:
        """The queries, and per block: the block, the pair weights Ω and fₐ − f_b (q, m, m)."""
        q = _queries(t)
        out = []
        for b in q.blocks:
            d = _gather(xp, f, b.rows)
            out.append((b, self._omega(xp, t, b, f), d[:, :, None] - d[:, None, :]))
        return q, out

    def _value(self, xp: Any, t: Ranking, f: Any) -> Any:
        s = self._sigma
        parts = []
        q, blocks = self._blocks(xp, t, f)
        for _b, omega, d in blocks:
            c = omega * sp.softplus(xp, -s * d)
            parts.append(0.5 * (xp.sum(c, axis=2) + xp.sum(c, axis=1)))
        return _scatter(xp, q, parts, f)

    def _gradient_hessian(self, xp: Any, t: Ranking, f: Any) -> tuple[Any, Any]:
        s = self._sigma
        gs, hs = [], []
        q, blocks = self._blocks(xp, t, f)
        for b, omega, d in blocks:
            om = _pair_weights(xp, t, b, omega, f)
            k = om * (s * sp.sigmoid(xp, -s * d))
            h = om * (s * s * sp.sigmoid_pair_product(xp, s * d))
            gs.append(xp.sum(k, axis=1) - xp.sum(k, axis=2))
            hs.append(xp.sum(h, axis=2) + xp.sum(h, axis=1))
        return _scatter(xp, q, gs, f), _scatter(xp, q, hs, f)

    def _gradient(self, xp: Any, t: Ranking, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[0]

    def _hessian(self, xp: Any, t: Ranking, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[1]

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """A `Ranking` of queries of 2–8 rows with graded relevance 0–3 (0/1 for ``map``),
        and normal scores."""
        return _example(n, seed, binary=False)


def _example(n: int, seed: int, binary: bool) -> tuple[Ranking, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(min(rng.integers(2, 9), n - sum(sizes))))
    if len(sizes) > 1 and sizes[-1] == 1:
        sizes[-2] += 1
        sizes.pop()
    rel = rng.integers(0, 2 if binary else 4, n).astype(np.float64)
    return Ranking.from_sizes(rel, sizes), rng.normal(0.0, 2.0, n)


# -- RankNet ----------------------------------------------------------------------------------------
@register
class Pairwise(_PairLoss):
    r"""RankNet: the pairwise logistic loss over every pair of a query with different relevance.

    For each query and each pair (i, j) in it with relevanceᵢ > relevanceⱼ, and d = fᵢ − fⱼ:

    .. math::

        L_{ij} = \log(1 + e^{-d}),\qquad
        \frac{\partial L_{ij}}{\partial f_i} = -\sigma(-d) = -\frac{\partial L_{ij}}{\partial f_j},
        \qquad \frac{\partial^2 L_{ij}}{\partial f_i^2} = \sigma(d)\,\sigma(-d).

    Row a's value is ℓₐ = ½ Σ over the pairs containing a of L (half of each pair to each of
    its rows), so Σₐ ℓₐ is the query's RankNet loss. The gradient and the Hessian diagonal are
    those of the weighted total Σₐ wₐℓₐ = Σ_pairs ½(wᵢ + wⱼ)·Lᵢⱼ: exact derivatives, written in
    log space (softplus, σ(d)σ(−d) without cancellation). Pairs of equal relevance cost nothing.

    **XGBoost** ``rank:pairwise`` is this gradient when its pairs are all the pairs and its two
    normalisations are off: ``lambdarank_pair_method="topk"``, ``lambdarank_num_pair_per_sample``
    ≥ the largest query, ``lambdarank_normalization=False``,
    ``lambdarank_score_normalization=False``; its Hessian is twice this one. XGBoost takes one
    weight per query (``DMatrix.set_weight`` of length n_groups), which the bridge repeats per row.

    Examples
    --------
    >>> import losslab
    >>> from losslab.targets import Ranking
    >>> y = Ranking.from_sizes([2, 0, 1], [3])
    >>> loss = losslab.get("pairwise")
    >>> [round(v, 6) for v in loss(y, [0.0, 0.0, 0.0], reduction="none").tolist()]
    [0.693147, 0.693147, 0.693147]
    >>> loss.gradient(y, [0.0, 0.0, 0.0]).tolist()
    [-1.0, 1.0, 0.0]
    """

    name = "pairwise"
    aliases = ("rank:pairwise", "ranknet")
    INFO = LossInfo(
        task=Task.RANKING,
        statistic=Statistic.UNSPECIFIED,
        y_true=RANKING_TARGET,
        y_pred=RAW_SCORE,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        anchors=_anchor(
            "½ Σ over the row's pairs of log(1 + e^{−(fᵢ − fⱼ)}), relᵢ > relⱼ; derivatives of Σwℓ",
            "XGBoost `rank:pairwise` with all pairs and no normalisation: same gradient, Hessian × 2",
        ),
        references=(
            "Burges, C. et al. (2005). Learning to Rank using Gradient Descent. ICML.",
            *_REFERENCES_LTR[:1],
        ),
    )

    def _omega(self, xp: Any, t: Ranking, b: _Block, f: Any) -> Any:
        # in f's library (relevance may be a constant traced by jax.jit; the layout is static)
        r = _gather(xp, t.relevance, b.rows)
        both = _index(xp, b.valid[:, :, None] & b.valid[:, None, :], f)
        return xp.astype((r[:, :, None] > r[:, None, :]) & both, f.dtype)


# -- LambdaRank and LambdaMAP: |Δmetric|-weighted RankNet pairs, weights from the current ranks ----
def _ranks(scores: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Position of each row in its query sorted by score, descending; ties keep the row order
    (LightGBM's ``stable_sort``, XGBoost's stable ``ArgSort``); pads last."""
    key = np.where(valid, -scores, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    pos = np.empty_like(order)
    np.put_along_axis(pos, order, np.arange(order.shape[1])[None, :], axis=1)
    return pos


def _discount(pos: np.ndarray) -> np.ndarray:
    return 1.0 / np.log2(pos + 2.0)


def _gain(rel: np.ndarray) -> np.ndarray:
    """2^rel − 1 (LightGBM's default ``label_gain``, XGBoost's ``ndcg_exp_gain``)."""
    return np.expm1(np.maximum(rel, 0.0) * math.log(2.0))


class _Lambda(_PairLoss):
    """LambdaRank's recipe with a |Δmetric| given by `_delta` (NDCG or MAP)."""

    INFO: LossInfo

    @property
    def _sigma(self) -> float:
        return float(self.sigmoid)

    def _check_params(self) -> None:
        k = self.truncation_level
        if k != math.floor(k):
            raise ParameterError(
                f"parameter 'truncation_level' of loss {self.name!r} must be a whole number of "
                f"positions; got {k!r}."
            )

    def _delta(self, rel: np.ndarray, pos: np.ndarray, valid: np.ndarray, pairs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _omega(self, xp: Any, t: Ranking, b: _Block, f: Any) -> Any:
        # the weights come from the ranks: concrete scores, in NumPy (held fixed: no autograd)
        s = self._sigma
        rel = np.where(b.valid, _numpy_fields(t)[0][b.rows], -1.0)
        scores = to_numpy(f).astype(np.float64)[b.rows]
        pos = _ranks(scores, b.valid)
        top = np.minimum(pos[:, :, None], pos[:, None, :]) < int(self.truncation_level)
        pairs = _pair_mask(rel, b.valid) & top
        delta = np.where(pairs, np.abs(self._delta(rel, pos, b.valid, pairs)), 0.0)
        d = scores[:, :, None] - scores[:, None, :]
        if self.norm:
            lo = np.where(b.valid, scores, np.inf).min(axis=1)
            hi = np.where(b.valid, scores, -np.inf).max(axis=1)
            spread = (hi != lo)[:, None, None]
            delta = np.where(spread, delta / (_SCORE_NORM_EPS + np.abs(d)), delta)
            with np.errstate(over="ignore"):
                lam = 2.0 * s * (delta / (1.0 + np.exp(s * d))).sum(axis=(1, 2))
            factor = np.ones_like(lam)
            pos_sum = lam > 0
            # log₂(1 + Λ) by log1p: the anchors' log2(1 + Λ) is 0 once Λ < 1e-16
            factor[pos_sum] = np.log1p(lam[pos_sum]) / (math.log(2.0) * lam[pos_sum])
            delta = delta * factor[:, None, None]
        return _as(xp, delta, f)

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        return _example(n, seed, binary=False)


def _lambda_params(truncation: float) -> tuple[Param, ...]:
    return (
        Param(
            "truncation_level",
            truncation,
            "pairs with at least one row among the top k by score (and the IDCG at k)",
            interval=AT_LEAST_ONE,
        ),
        Param("sigmoid", 1.0, "σ of the pairs' logistic log(1 + e^{−σ(fᵢ − fⱼ)})", interval=POSITIVE),
        Param(
            "norm",
            True,
            "divide |ΔZ| by 0.01 + |fᵢ − fⱼ| and scale each query by log₂(1 + Σλ)/Σλ",
            kind="bool",
        ),
    )


@register
class LambdaRank(_Lambda):
    r"""LambdaRank (LambdaMART's gradients): RankNet pairs weighted by |ΔNDCG| — a gradient recipe.

    In each query rank the rows by score (descending; ties keep their order), position pᵢ from
    0. Each pair (i, j) with relevanceᵢ > relevanceⱼ and min(pᵢ, pⱼ) < k (``truncation_level``)
    gets

    .. math::

        \Omega_{ij} = (2^{r_i} - 2^{r_j})\,
        \Bigl|\frac{1}{\log_2(2 + p_i)} - \frac{1}{\log_2(2 + p_j)}\Bigr| \big/ \mathrm{IDCG@k},

    the |ΔNDCG@k| of swapping them. With ``norm`` (the default) Ω is divided by
    0.01 + |fᵢ − fⱼ| when the query's scores are not all equal, and the whole query is scaled by
    log₂(1 + Λ)/Λ, Λ = Σ 2σΩᵢⱼσ(−σ(fᵢ − fⱼ)). With Ω held fixed at the current scores:

    .. math::

        \ell = \sum_{ij} \Omega_{ij} \log(1 + e^{-\sigma(f_i - f_j)}),\qquad
        \frac{\partial \ell}{\partial f_i} = -\sigma\,\Omega_{ij}\,\sigma(-\sigma d),\qquad
        \frac{\partial^2 \ell}{\partial f_i^2} = \sigma^2\,\Omega_{ij}\,\sigma(d)\sigma(-d)

    summed over the pairs containing i (signs flipped for the less relevant row), half of each
    pair's value to each row. The gradient is LambdaRank's λ, not the derivative of the value
    (Ω moves with the ranks): ``info.gradient == "recipe"``.

    **LightGBM** ``objective="lambdarank"`` with its defaults (``lambdarank_truncation_level=30``,
    ``sigmoid=1``, ``lambdarank_norm=True``, ``label_gain`` 2^i − 1): the same gradient and
    Hessian (LightGBM reads σ from a 2²⁰-entry table, ~1e-5 apart; its per-row weights
    multiply row gradients, equal to losslab's pair weights when constant within a query).
    **XGBoost** ``rank:ndcg`` (≥ 2.0 defaults: ``lambdarank_pair_method="topk"``,
    ``lambdarank_num_pair_per_sample=32``, both normalisations on, ``ndcg_exp_gain=True``) is
    this with ``truncation_level=32`` and its Hessian doubled.

    Examples
    --------
    >>> import losslab
    >>> from losslab.targets import Ranking
    >>> y = Ranking.from_sizes([0, 1], [2])
    >>> losslab.get("lambdarank").gradient(y, [0.0, 0.0]).round(6).tolist()
    [0.226598, -0.226598]
    """

    name = "lambdarank"
    aliases = ("rank:ndcg", "lambda_rank")
    PARAMS = _lambda_params(30.0)
    INFO = LossInfo(
        task=Task.RANKING,
        statistic=Statistic.UNSPECIFIED,
        y_true=RANKING_TARGET,
        y_pred=RAW_SCORE,
        convex=False,
        smooth=False,
        robust=False,
        hessian=HessianKind.EXACT,
        gradient=GradientKind.RECIPE,
        anchors=_anchor(
            "½ Σ over the row's pairs of Ωᵢⱼ log(1 + e^{−σ(fᵢ − fⱼ)}), Ω = normalised |ΔNDCG@k| held fixed",
            "LightGBM `lambdarank`: same; XGBoost `rank:ndcg` (k = 32): same gradient, Hessian × 2",
            params="(k, σ)",
        ),
        references=_REFERENCES_LTR,
    )

    def _delta(self, rel: np.ndarray, pos: np.ndarray, valid: np.ndarray, pairs: np.ndarray) -> np.ndarray:
        k = int(self.truncation_level)
        gain = np.where(valid, _gain(rel), 0.0)
        ideal = -np.sort(-gain, axis=1)[:, :k]
        idcg = (ideal * _discount(np.arange(ideal.shape[1]))[None, :]).sum(axis=1)
        inv = np.where(idcg > 0, 1.0 / np.where(idcg > 0, idcg, 1.0), 0.0)
        disc = _discount(pos)
        dg = gain[:, :, None] - gain[:, None, :]
        return dg * np.abs(disc[:, :, None] - disc[:, None, :]) * inv[:, None, None]


@register
class LambdaRankMAP(_Lambda):
    r"""LambdaRank for mean average precision (XGBoost's ``rank:map``) — a gradient recipe.

    Relevance must be 0 or 1. As `LambdaRank` with Ωᵢⱼ = |ΔAP|, the change of the query's
    average precision when the rows at positions pᵢ and pⱼ swap: with N the query's relevant
    rows, nₖ the relevant rows at positions ≤ k and Aₖ = Σ_{m ≤ k} rel₍ₘ₎/(m + 1), for the
    earlier position p < the later q,

    .. math::

        \Delta AP = \frac{1}{N}\Bigl(\frac{n_p}{p+1} - \frac{n_q}{q+1} + A_{q-1} - A_p\Bigr)
        \text{ (relevant row first)},\qquad
        \frac{1}{N}\Bigl(\frac{n_q}{q+1} - \frac{n_p + 1}{p+1} - A_{q-1} + A_p\Bigr)\text{ (else)}

    (XGBoost's ``DeltaMAP``). Value, gradient and Hessian as in `LambdaRank`.

    **XGBoost** ``rank:map`` with its ≥ 2.0 defaults (``lambdarank_pair_method="topk"``,
    ``lambdarank_num_pair_per_sample=32``, both normalisations on): the same gradient, and a
    Hessian twice this one.

    Examples
    --------
    >>> import losslab
    >>> from losslab.targets import Ranking
    >>> y = Ranking.from_sizes([0, 1, 0], [3])
    >>> g = losslab.get("rank:map").gradient(y, [0.0, 0.0, 0.0])
    >>> bool(g[1] < 0), round(float(g.sum()), 12)
    (True, 0.0)
    """

    name = "map"
    aliases = ("rank:map", "lambdarank_map")
    PARAMS = _lambda_params(32.0)
    INFO = LossInfo(
        task=Task.RANKING,
        statistic=Statistic.UNSPECIFIED,
        y_true=RANKING_TARGET,
        y_pred=RAW_SCORE,
        convex=False,
        smooth=False,
        robust=False,
        hessian=HessianKind.EXACT,
        gradient=GradientKind.RECIPE,
        anchors=_anchor(
            "½ Σ over the row's pairs of Ωᵢⱼ log(1 + e^{−σ(fᵢ − fⱼ)}), Ω = normalised |ΔAP| held fixed",
            "XGBoost `rank:map`: same gradient, Hessian × 2",
            params="(k, σ)",
        ),
        references=_REFERENCES_LTR,
    )

    def _check_target(self, t: Any) -> None:
        rel = np.asarray(t.relevance)
        bad = (rel != 0) & (rel != 1)
        if bad.any():
            i = int(np.argmax(bad))
            raise DomainError(
                f"Ranking.relevance for loss {self.name!r} must be 0 or 1 (mean average precision "
                f"needs binary relevance); got {float(rel[i])!r} at row {i} ({int(bad.sum())} rows)."
            )

    def _delta(self, rel: np.ndarray, pos: np.ndarray, valid: np.ndarray, pairs: np.ndarray) -> np.ndarray:
        m = rel.shape[1]
        order = np.argsort(pos, axis=1)
        ranked = np.where(np.take_along_axis(valid, order, 1), np.take_along_axis(rel, order, 1), 0.0)
        n_rel = np.cumsum(ranked, axis=1)
        acc = np.cumsum(ranked / np.arange(1.0, m + 1.0)[None, :], axis=1)
        total = n_rel[:, -1]
        p = np.minimum(pos[:, :, None], pos[:, None, :])  # the earlier position of the pair
        q = np.maximum(pos[:, :, None], pos[:, None, :])
        qi = np.arange(rel.shape[0])[:, None, None]
        n_p, n_q = n_rel[qi, p], n_rel[qi, q]
        between = acc[qi, np.maximum(q - 1, 0)] - acc[qi, p]
        first_relevant = pos[:, :, None] < pos[:, None, :]  # row a (the relevant one) ranks first
        a = np.where(
            first_relevant,
            n_p / (p + 1) - n_q / (q + 1) + between,
            n_q / (q + 1) - (n_p + 1) / (p + 1) - between,
        )
        safe = np.where(total > 0, total, 1.0)[:, None, None]
        return np.where(pairs, a / safe, 0.0)

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """A `Ranking` with binary relevance (average precision needs 0/1) and normal scores."""
        return _example(n, seed, binary=True)


# -- XE-NDCG ----------------------------------------------------------------------------------------
_LCG_A, _LCG_C = np.uint32(214013), np.uint32(2531011)


def _lcg_skip(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The generators ``x`` advanced by ``n`` steps each (jump-ahead by repeated squaring)."""
    mult, plus = np.ones_like(x), np.zeros_like(x)
    cm, cp = np.full_like(x, _LCG_A), np.full_like(x, _LCG_C)
    n = n.astype(np.int64).copy()
    with np.errstate(over="ignore"):
        while (n > 0).any():
            odd = (n & 1) == 1
            mult, plus = np.where(odd, mult * cm, mult), np.where(odd, plus * cm + cp, plus)
            cp, cm = (cm + np.uint32(1)) * cp, cm * cm
            n >>= 1
        return mult * x + plus


def lightgbm_gammas(sizes: Any, seed: int = 5, draw: int = 0) -> np.ndarray:
    """The γᵢ ∈ [0, 1) LightGBM's ``rank_xendcg`` draws for each row in boosting round ``draw``.

    Query q has its own generator, LightGBM's ``Random(objective_seed + q)`` — the linear
    congruential x ← 214013x + 2531011 (mod 2³²), γ = ((x >> 16) & 0x7FFF)/32768 — which draws
    one γ per row of the query each round (round t starts after t·size draws).

    >>> lightgbm_gammas([2, 1], seed=5).tolist()
    [0.00164794921875, 0.875640869140625, 0.00177001953125]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    x = (np.int64(seed) + np.arange(sizes.size)).astype(np.uint32)
    if draw:
        x = _lcg_skip(x, draw * sizes)
    m = int(sizes.max()) if sizes.size else 0
    out = np.empty((sizes.size, m), dtype=np.float64)
    with np.errstate(over="ignore"):
        for i in range(m):
            x = x * _LCG_A + _LCG_C
            out[:, i] = ((x >> np.uint32(16)) & np.uint32(0x7FFF)).astype(np.float64) / 32768.0
    return out[np.arange(m)[None, :] < sizes[:, None]]


def _log_softmax(xp: Any, fb: Any, valid: np.ndarray, like: Any) -> Any:
    """log softmax over each block row's real entries: zⱼ − m − log1p(S), S the sum of e^{z−m}
    over the other entries (`losslab._core.special.log_softmax`), so that a near-certain row
    keeps full relative precision. Pads follow a query's rows, so its first maximum is real."""
    m = xp.max(fb, axis=1, keepdims=True)
    shifted = fb - m
    first = np.zeros(valid.shape)
    first[np.arange(valid.shape[0]), to_numpy(xp.argmax(fb, axis=1))] = 1.0
    keep = _as(xp, valid * (1.0 - first), like)
    return shifted - xp.log1p(xp.sum(xp.exp(shifted) * keep, axis=1, keepdims=True))


@register
class XENDCG(Loss):
    r"""XE-NDCG (LightGBM's ``rank_xendcg``): a cross-entropy to the NDCG-shaped target — a recipe.

    In each query, ρ = softmax(f) over its rows and the target distribution
    pᵢ = φᵢ/Σⱼφⱼ with φᵢ = 2^{rᵢ} − γᵢ, γᵢ ∈ [0, 1) drawn per row (`lightgbm_gammas`). The
    value is the cross-entropy, row i's share of it

    .. math::

        \ell_i = -p_i \log \rho_i,

    and the gradient LightGBM's approximation of the Newton step of that cross-entropy
    (Bruch 2021, eq. 7), to third order: with L¹ᵢ = ρᵢ − pᵢ, aᵢ = L¹ᵢ/(1 − ρᵢ),
    L²ᵢ = ρᵢ(Σⱼaⱼ − aᵢ), bᵢ = L²ᵢ/(1 − ρᵢ),

    .. math::

        g_i = L^1_i + L^2_i + \rho_i\Bigl(\sum_j b_j - b_i\Bigr),\qquad h_i = \rho_i(1 - \rho_i),

    times the row's weight (as LightGBM weights it). g is not the derivative of ℓ (that is ρ − p):
    ``info.gradient == "recipe"``; h is the cross-entropy's exact Hessian diagonal. Queries of
    one row contribute 0.

    **LightGBM** draws new γ every boosting round from ``Random(objective_seed + q)``
    (``objective_seed=5``); a losslab loss is a function of its inputs, so it uses the draws of
    round ``draw`` (0: LightGBM's first round) with ``seed`` = ``objective_seed``: its gradient
    and Hessian equal LightGBM's in that round.

    Examples
    --------
    >>> import losslab
    >>> from losslab.targets import Ranking
    >>> y = Ranking.from_sizes([1, 0], [2])
    >>> g = losslab.get("xendcg").gradient(y, [0.0, 0.0])
    >>> bool(g[0] < 0 < g[1])
    True
    """

    name = "xendcg"
    aliases = ("rank_xendcg", "xe_ndcg", "xendcg_mart", "xe_ndcg_mart")
    target_type = Ranking
    coupled = True
    link = IDENTITY
    PARAMS = (
        Param(
            "seed",
            5.0,
            "LightGBM's objective_seed: query q draws from Random(seed + q)",
            interval=NON_NEGATIVE,
        ),
        Param("draw", 0.0, "the boosting round whose γ draws are used (0: the first)", interval=NON_NEGATIVE),
    )
    INFO = LossInfo(
        task=Task.RANKING,
        statistic=Statistic.UNSPECIFIED,
        y_true=RANKING_TARGET,
        y_pred=RAW_SCORE,
        convex=False,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        gradient=GradientKind.RECIPE,
        anchors=_anchor(
            "−pᵢ log softmax(f)ᵢ, pᵢ ∝ 2^{relᵢ} − γᵢ; gradient LightGBM's third-order recipe",
            "LightGBM `rank_xendcg`: same in its first round (γ redrawn every round)",
        ),
        references=(
            "Bruch, S. (2021). An Alternative Cross Entropy Loss for Learning-to-Rank. The Web "
            "Conference (WWW). arXiv:1911.09798.",
        ),
    )

    def _check_params(self) -> None:
        for k in ("seed", "draw"):
            v = getattr(self, k)
            if v != math.floor(v) or v >= 2.0**31:
                raise ParameterError(
                    f"parameter {k!r} of loss {self.name!r} must be a whole number below 2**31; got {v!r}."
                )

    def _gammas(self, q: _Queries, b: _Block) -> np.ndarray:
        gam = lightgbm_gammas(q.sizes, int(self.seed), int(self.draw))
        g = np.zeros(b.valid.shape)
        g[b.valid] = gam[b.rows[b.valid]]  # gammas come in row order
        return g

    def _target_distribution(self, t: Ranking, q: _Queries, b: _Block, rel: np.ndarray) -> np.ndarray:
        phi = np.where(b.valid, np.exp2(rel) - self._gammas(q, b), 0.0)
        return phi / phi.sum(axis=1, keepdims=True)

    def _value(self, xp: Any, t: Ranking, f: Any) -> Any:
        q = _queries(t)
        parts = []
        for b in q.blocks:
            # in f's library: relevance may be a constant traced by jax.jit
            valid = _as(xp, b.valid.astype(np.float64), f)
            r = _gather(xp, t.relevance, b.rows)
            phi = (xp.exp(r * math.log(2.0)) - _as(xp, self._gammas(q, b), f)) * valid
            p = phi / xp.sum(phi, axis=1, keepdims=True)
            fb = _gather(xp, f, b.rows)  # pads repeat a row of their query: the max is the query's
            parts.append(-p * _log_softmax(xp, fb, b.valid, f))
        return _scatter(xp, q, parts, f)

    def _gradient_hessian(self, xp: Any, t: Ranking, f: Any) -> tuple[Any, Any]:
        q = _queries(t)
        rel_all, w = _numpy_fields(t)
        scores = to_numpy(f).astype(np.float64)
        gs, hs = [], []
        for b in q.blocks:
            rel = np.where(b.valid, rel_all[b.rows], 0.0)
            p = self._target_distribution(t, q, b, rel)
            fb = scores[b.rows]
            e = np.exp(fb - fb.max(axis=1, keepdims=True)) * b.valid
            total = e.sum(axis=1, keepdims=True)
            rho = e / total
            off = (1.0 - np.eye(e.shape[1]))[None]

            def others(x: np.ndarray, off: np.ndarray = off) -> np.ndarray:
                # Σ_{j≠i} x_j summed directly: LightGBM's Σx − xᵢ cancels when one ρ is near 1
                return (x[:, None, :] * off).sum(axis=2)

            rest = others(e) / total  # 1 − ρ without cancellation
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                l1 = rho - p
                a = np.where(rest > 0, l1 / rest, 0.0) * b.valid
                l2 = rho * others(a)
                c = np.where(rest > 0, l2 / rest, 0.0) * b.valid
                g = l1 + l2 + rho * others(c)
            h = rho * rest
            single = (b.valid.sum(axis=1) <= 1)[:, None]
            g, h = np.where(single | ~b.valid, 0.0, g), np.where(single | ~b.valid, 0.0, h)
            if w is not None:
                g, h = g * w[b.rows], h * w[b.rows]
            gs.append(_as(xp, g, f))
            hs.append(_as(xp, h, f))
        return _scatter(xp, q, gs, f), _scatter(xp, q, hs, f)

    def _gradient(self, xp: Any, t: Ranking, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[0]

    def _hessian(self, xp: Any, t: Ranking, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[1]

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """A `Ranking` of queries of 2–8 rows with graded relevance 0–3, and normal scores."""
        return _example(n, seed, binary=False)


# -- listwise softmax cross-entropy ---------------------------------------------------------------
def _block_log_softmax(xp: Any, fb: Any, valid: Any) -> Any:
    """log softmax over each block row's real entries, to full relative precision, in f's library.

    log pⱼ = fⱼ − f_a − log1p(Σ_{i ≠ a} e^{fᵢ − f_a}) with a the row's first maximal entry
    (real: pads follow a query's rows). For any fixed a this is fⱼ − log Σ e^{f}, so autograd
    differentiates it exactly; f_a is selected by a mask (a max would share its gradient among
    ties under JAX)."""
    width = int(fb.shape[1])
    cols = xp.reshape(xp.arange(width, device=device(fb)), (1, width))
    first = cols == xp.argmax(fb, axis=1, keepdims=True)
    zero = xp.zeros_like(fb)
    top = xp.sum(xp.where(first, fb, zero), axis=1, keepdims=True)
    shifted = xp.where(valid, fb - top, zero)  # pads: no overflow in a discarded entry
    rest = xp.sum(xp.where(valid & ~first, xp.exp(shifted), zero), axis=1, keepdims=True)
    return shifted - xp.log1p(rest)


@register
class RankingSoftmax(Loss):
    r"""Listwise softmax cross-entropy (optax's ``ranking_softmax_loss``): relevance against the
    softmax of the scores of each query.

    For a query with scores fᵢ, relevance yᵢ ≥ 0 and log pᵢ = fᵢ − log Σⱼ e^{fⱼ} (over the
    query's rows), row i's value is its term of the cross-entropy,

    .. math::

        \ell_i = -y_i \log p_i,

    so Σᵢ ℓᵢ is the query's loss. With weights wᵢ and S = Σᵢ wᵢyᵢ over the query, the weighted
    total Σᵢ wᵢℓᵢ has

    .. math::

        \frac{\partial}{\partial f_i} = S\,p_i - w_i y_i,\qquad
        \frac{\partial^2}{\partial f_i^2} = S\,p_i(1 - p_i)

    (the Hessian's diagonal; the full Hessian is S(diag p − ppᵀ), so the loss is convex). log p
    is fᵢ − f_max − log1p(Σ over the other rows of e^{fⱼ − f_max}) and 1 − pᵢ = −expm1(log pᵢ):
    a query whose relevant row dominates keeps its tiny loss and gradient (optax's
    ``jax.nn.log_softmax`` rounds log p to 0 there, and the loss with it). Rows of relevance 0
    cost 0 but enter every pᵢ. A query without relevant rows costs 0; a one-row query too.

    **optax** ``ranking_softmax_loss(scores, labels, where=None, weights=None, reduce_fn=sum)``
    on a (queries, list_size) padding is losslab's ``reduction="sum"``: its ``weights``
    multiply the labels, which is ``sample_weight`` (the weighted total above); its ``where``
    mask removes a row from the softmax — here, leave the row out of the `Ranking` (a zero
    ``sample_weight`` keeps it in the softmax); optax does not normalise the labels (rax and
    TF-Ranking's softmax loss divide them by their sum; ListNet takes softmax(y) as the
    target: neither is this loss). optax's default ``reduce_fn=jnp.mean`` averages over
    queries: losslab's ``"sum"`` divided by the number of queries (losslab's ``"mean"`` is
    Σwℓ/Σw over rows).

    Examples
    --------
    >>> import losslab
    >>> from losslab.targets import Ranking
    >>> y = Ranking.from_sizes([1.0, 0.0, 0.0], [3])
    >>> loss = losslab.get("ranking_softmax")
    >>> round(float(loss(y, [2.0, 1.0, 3.0], reduction="sum")), 6)  # optax's docstring: 1.408
    1.407606
    >>> [round(g, 3) for g in loss.gradient(y, [2.0, 1.0, 3.0]).tolist()]
    [-0.755, 0.09, 0.665]
    """

    name = "ranking_softmax"
    aliases = ("ranking_softmax_loss", "softmax_ranking", "listwise_softmax")
    target_type = Ranking
    coupled = True
    link = IDENTITY
    INFO = LossInfo(
        task=Task.RANKING,
        statistic=Statistic.UNSPECIFIED,
        y_true=RANKING_TARGET,
        y_pred=RAW_SCORE,
        convex=True,
        smooth=True,
        robust=False,
        hessian=HessianKind.EXACT,
        anchors=(
            AnchorRow(
                "−yᵢ log softmax(f)ᵢ over the query; derivatives of Σwℓ: S pᵢ − wᵢyᵢ, S pᵢ(1 − pᵢ)",
                (
                    Anchor(
                        Library.OPTAX,
                        "ranking_softmax_loss",
                        'reduce_fn=sum: `reduction="sum"`; weights: sample_weight; where: drop the rows',
                    ),
                ),
            ),
        ),
        references=(
            "Cao, Z., Qin, T., Liu, T.-Y., Tsai, M.-F. & Li, H. (2007). Learning to rank: from "
            "pairwise approach to listwise approach. ICML.",
            "Bruch, S., Wang, X., Bendersky, M. & Najork, M. (2019). An analysis of the softmax "
            "cross entropy loss for learning-to-rank with binary relevance. ICTIR.",
        ),
    )

    def _blocks(self, xp: Any, t: Ranking, f: Any) -> tuple[_Queries, list[tuple[Any, Any, Any]]]:
        """The queries, and per block: the real-row mask, the relevance and log p (q, m)."""
        q = _queries(t)
        out = []
        for b in q.blocks:
            valid = _index(xp, b.valid, f)
            rel = xp.where(valid, _gather(xp, t.relevance, b.rows), xp.zeros((), dtype=f.dtype))
            out.append((b, rel, _block_log_softmax(xp, _gather(xp, f, b.rows), valid)))
        return q, out

    def _value(self, xp: Any, t: Ranking, f: Any) -> Any:
        q, blocks = self._blocks(xp, t, f)
        return _scatter(xp, q, [sp.xmul(xp, rel, -logp) for _, rel, logp in blocks], f)

    def _gradient_hessian(self, xp: Any, t: Ranking, f: Any) -> tuple[Any, Any]:
        q, blocks = self._blocks(xp, t, f)
        gs, hs = [], []
        for b, rel, logp in blocks:
            a = rel if t.weight is None else rel * _gather(xp, t.weight, b.rows)
            g, h = weighted_ce_grad_hess(xp, a, logp)
            gs.append(g)
            hs.append(h)
        return _scatter(xp, q, gs, f), _scatter(xp, q, hs, f)

    def _gradient(self, xp: Any, t: Ranking, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[0]

    def _hessian(self, xp: Any, t: Ranking, f: Any) -> Any:
        return self._gradient_hessian(xp, t, f)[1]

    def example(self, n: int = 32, seed: int = 0) -> tuple[Any, Any]:
        """A `Ranking` of queries of 2–8 rows with graded relevance 0–3, and normal scores."""
        return _example(n, seed, binary=False)
