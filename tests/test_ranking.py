"""Ranking losses (losses/ranking.py): values, derivatives, errors, and parity with the anchors.

Gradient parity reads the built-ins' own gradient and Hessian: for each row i, one boosting
round on a single indicator feature (row i vs the rest) gives a stump whose row-i leaf is
−gᵢ/(hᵢ + λ); two values of λ solve for gᵢ and hᵢ. Rows the library does not split off are
left out (the test requires most rows).
"""

from __future__ import annotations

import itertools
import runpy
from pathlib import Path

import numpy as np
import pytest

import losslab
from losslab import DataError, DomainError
from losslab.losses.ranking import lightgbm_gammas
from losslab.metrics import ranking_metric
from losslab.targets import Ranking

RANKING = ("pairwise", "lambdarank", "map", "xendcg")
LAMS = (0.5, 2.0)
ROOT = Path(__file__).resolve().parents[1]


def _queries(
    seed: int = 1, sizes: tuple[int, ...] = (5, 8, 4, 6)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Graded relevance 0–3 with every grade in each query (so every row is in a pair), scores."""
    rng = np.random.default_rng(seed)
    rel = np.concatenate([rng.permutation(np.r_[0, 1, 2, 3, rng.integers(0, 4, s - 4)]) for s in sizes])
    return rel.astype(float), np.array(sizes), rng.normal(0.0, 1.0, int(sum(sizes)))


def _solve(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = LAMS
    h = (b * r[1] - a * r[0]) / (r[0] - r[1])
    return -r[0] * (h + a), h


def _lightgbm_gh(objective: str, rel: np.ndarray, sizes: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, ...]:
    lgb = pytest.importorskip("lightgbm")
    n = rel.size
    r = np.full((2, n), np.nan)
    for i in range(n):
        X = (np.arange(n) == i).astype(float)[:, None]
        for k, lam in enumerate(LAMS):
            p = {
                "objective": objective,
                "num_leaves": 2,
                "min_data_in_leaf": 1,
                "min_sum_hessian_in_leaf": 0.0,
                "lambda_l2": lam,
                "learning_rate": 1.0,
                "verbose": -1,
                "min_data_in_bin": 1,
                "feature_pre_filter": False,
                "num_threads": 1,
            }
            b = lgb.train(p, lgb.Dataset(X, rel, group=sizes, init_score=f, params=p), 1)
            if b.dump_model()["tree_info"][0]["num_leaves"] == 2:
                r[k, i] = b.predict(X[i : i + 1])[0]
    g, h = _solve(r)
    return g, h, np.isfinite(g)


def _xgboost_gh(
    objective: str,
    rel: np.ndarray,
    sizes: np.ndarray,
    f: np.ndarray,
    weights: np.ndarray | None = None,
    **extra,
) -> tuple[np.ndarray, ...]:
    xgb = pytest.importorskip("xgboost")
    n = rel.size
    r = np.full((2, n), np.nan)
    for i in range(n):
        X = (np.arange(n) == i).astype(float)[:, None]
        d = xgb.DMatrix(X, rel, base_margin=f)
        d.set_group(sizes)
        if weights is not None:
            d.set_weight(weights)
        for k, lam in enumerate(LAMS):
            p = {
                "objective": objective,
                "tree_method": "exact",
                "max_depth": 1,
                "min_child_weight": 0,
                "lambda": lam,
                "eta": 1.0,
                "base_score": 0.0,
                "nthread": 1,
                **extra,
            }
            b = xgb.train(p, d, 1)
            leaves = b.predict(d, pred_leaf=True).ravel()
            if np.unique(leaves).size == 2 and (leaves == leaves[i]).sum() == 1:
                r[k, i] = b.predict(xgb.DMatrix(X[i : i + 1], base_margin=[0.0]), output_margin=True)[0]
    g, h = _solve(r)
    return g, h, np.isfinite(g)


def _close(got: np.ndarray, want: np.ndarray, rows: np.ndarray, rtol: float) -> None:
    scale = np.abs(want).max()
    np.testing.assert_allclose(got[rows], want[rows], rtol=0, atol=rtol * scale)


#: XGBoost's rank:pairwise as plain RankNet: every pair, no normalisations
XGB_RANKNET = {
    "lambdarank_pair_method": "topk",
    "lambdarank_num_pair_per_sample": 64,
    "lambdarank_normalization": False,
    "lambdarank_score_normalization": False,
}


# -- values and derivatives ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["pairwise", "lambdarank", "map"])
def test_per_row_values_sum_to_the_query_totals(name: str) -> None:
    loss = losslab.get(name)
    y, f = loss.example(40, seed=3)
    per_row = loss(y, f, reduction="none")
    total = 0.0
    for s, e in zip(y.starts()[:-1], y.starts()[1:], strict=True):
        part = y.take(np.arange(s, e))
        total += float(loss(part, f[s:e], reduction="sum"))
    assert float(per_row.sum()) == pytest.approx(total, rel=1e-12)
    assert np.all(per_row >= 0)


def test_xendcg_value_is_the_cross_entropy_to_its_target() -> None:
    rel, sizes, f = _queries()
    y = Ranking.from_sizes(rel, sizes)
    gam = lightgbm_gammas(sizes, seed=5)
    total = 0.0
    for a, b in itertools.pairwise(y.starts()):
        phi = 2.0 ** rel[a:b] - gam[a:b]
        p = phi / phi.sum()
        total -= float(np.sum(p * (f[a:b] - np.logaddexp.reduce(f[a:b]))))
    per_row = losslab.get("xendcg")(y, f, reduction="none")
    assert float(per_row.sum()) == pytest.approx(total, rel=1e-13)
    assert np.all(per_row >= 0)


def test_pairwise_is_ranknet_over_all_pairs() -> None:
    rel, sizes, f = _queries()
    y = Ranking.from_sizes(rel, sizes)
    total = 0.0
    for s, e in zip(y.starts()[:-1], y.starts()[1:], strict=True):
        for i in range(s, e):
            for j in range(s, e):
                if rel[i] > rel[j]:
                    total += np.logaddexp(0.0, -(f[i] - f[j]))
    assert float(losslab.get("rank:pairwise")(y, f, reduction="sum")) == pytest.approx(total, rel=1e-13)


def test_pairwise_derivatives_are_those_of_the_weighted_total() -> None:
    rel, sizes, f = _queries()
    y = Ranking.from_sizes(rel, sizes)
    w = np.random.default_rng(0).uniform(0.5, 2.0, rel.size)
    loss = losslab.get("ranknet")
    g, h = loss.gradient_hessian(y, f, sample_weight=w)
    eps = 1e-5
    for i in range(rel.size):
        e = np.zeros_like(f)
        e[i] = eps
        up = float(loss(y, f + e, sample_weight=w, reduction="sum"))
        down = float(loss(y, f - e, sample_weight=w, reduction="sum"))
        assert g[i] == pytest.approx((up - down) / (2 * eps), rel=1e-7, abs=1e-9)
        dg = loss.gradient(y, f + e, sample_weight=w) - loss.gradient(y, f - e, sample_weight=w)
        assert h[i] == pytest.approx(dg[i] / (2 * eps), rel=1e-7, abs=1e-9)
    assert losslab.get("pairwise").info.gradient == "derivative"


@pytest.mark.parametrize("name", ["lambdarank", "map"])
def test_lambda_recipes_are_the_derivative_with_the_pair_weights_held_fixed(name: str) -> None:
    """Autograd of the value (whose pair weights come from detached scores) is the recipe."""
    torch = pytest.importorskip("torch")
    loss = losslab.get(name)
    y, f = loss.example(48, seed=2)
    ft = torch.tensor(f, requires_grad=True)
    loss(y, ft, reduction="sum").backward()
    np.testing.assert_allclose(ft.grad.numpy(), loss.gradient(y, f), rtol=1e-12, atol=1e-15)
    assert loss.info.gradient == "recipe"


@pytest.mark.parametrize("name", ["lambdarank", "map", "xendcg"])
def test_recipes_are_not_the_derivative_of_their_value(name: str) -> None:
    loss = losslab.get(name)
    y, f = loss.example(48, seed=4)
    g = loss.gradient(y, f)
    eps = 1e-6
    fd = np.array(
        [
            (float(loss(y, f + eps * e, reduction="sum")) - float(loss(y, f - eps * e, reduction="sum")))
            / (2 * eps)
            for e in np.eye(f.size)
        ]
    )
    assert np.abs(fd - g).max() > 1e-3  # a recipe: declared, and it is one


def test_lambdarank_pairs_beyond_the_truncation_level_do_not_count() -> None:
    y = Ranking.from_sizes([0.0, 0.0, 1.0, 0.0], [4])
    f = np.array([3.0, 2.0, 1.0, 0.0])  # the relevant row ranks third
    g1 = losslab.get("lambdarank", truncation_level=1).gradient(y, f)
    assert g1[1] == 0.0 and g1[3] == 0.0 and g1[0] > 0 > g1[2]  # only the pair with the top row
    g3 = losslab.get("lambdarank", truncation_level=3).gradient(y, f)
    assert g3[1] > 0 and g3[3] > 0


def test_queries_of_very_different_sizes() -> None:
    """Blocks of padded queries give what each query gives on its own."""
    rng = np.random.default_rng(5)
    sizes = [1, 2, 40, 3, 17, 5]
    rel = rng.integers(0, 4, sum(sizes)).astype(float)
    f = rng.normal(size=sum(sizes))
    y = Ranking.from_sizes(rel, sizes)
    for name in RANKING:
        loss = losslab.get(name)
        if name == "map":
            y = Ranking.from_sizes((rel > 1).astype(float), sizes)
        v, (g, h) = loss(y, f, reduction="none"), loss.gradient_hessian(y, f)
        for s, e in zip(y.starts()[:-1], y.starts()[1:], strict=True):
            alone = Ranking.from_sizes(np.asarray(y.relevance)[s:e], [e - s])
            if name == "xendcg":
                continue  # xendcg draws its γ by query index
            np.testing.assert_allclose(loss(alone, f[s:e], reduction="none"), v[s:e], rtol=1e-13, atol=1e-300)
            gg, hh = loss.gradient_hessian(alone, f[s:e])
            np.testing.assert_allclose(gg, g[s:e], rtol=1e-13, atol=1e-300)
            np.testing.assert_allclose(hh, h[s:e], rtol=1e-13, atol=1e-300)


def test_lightgbm_gammas_follow_its_generator_across_rounds() -> None:
    first = lightgbm_gammas([4, 2], seed=5)
    two = lightgbm_gammas([2, 1], seed=5, draw=0)
    nxt = lightgbm_gammas([2, 1], seed=5, draw=1)
    np.testing.assert_array_equal(first[:2], two[:2])  # query 0: Random(5)
    np.testing.assert_array_equal(first[2:4], nxt[:2])  # its round 1 continues the stream
    assert np.all((first >= 0) & (first < 1))


# -- errors --------------------------------------------------------------------------------------------
def test_unsorted_groups_are_a_clear_error() -> None:
    y = Ranking([1.0, 0.0, 2.0, 1.0], group=[0, 1, 0, 1])
    with pytest.raises(DomainError, match=r"query 0 appears again at row 2.*Sort the rows by query"):
        losslab.get("lambdarank")(y, np.zeros(4))


def test_relevance_and_map_labels_are_checked() -> None:
    with pytest.raises(DomainError, match=r"Ranking.relevance.*>= 0"):
        losslab.get("pairwise")(Ranking.from_sizes([1.0, -1.0], [2]), np.zeros(2))
    with pytest.raises(DomainError, match=r"'map' must be 0 or 1.*got 2.0 at row 1"):
        losslab.get("rank:map")(Ranking.from_sizes([1.0, 2.0], [2]), np.zeros(2))


def test_group_sizes_must_cover_the_rows() -> None:
    lgb = pytest.importorskip("lightgbm")
    import losslab.lightgbm as ll

    X = np.arange(12.0)[:, None]
    rel = np.tile([0.0, 1.0, 2.0], 4)
    with pytest.raises(DataError, match=r"no query groups"):
        ll.objective("lambdarank")(np.zeros(12), lgb.Dataset(X, rel).construct())
    with pytest.raises(DataError, match=r"cover 10 rows, but it has 12"):
        ll.objective("lambdarank")(rel, np.zeros(12), None, np.array([5, 5]))


def test_xgboost_groups_missing_or_short() -> None:
    xgb = pytest.importorskip("xgboost")
    import losslab.xgboost as lx

    d = xgb.DMatrix(np.arange(6.0)[:, None], np.array([0.0, 1, 2, 0, 1, 2]))
    with pytest.raises(DataError, match=r"no query groups; pass them with DMatrix"):
        lx.objective("rank:pairwise")(np.zeros(6), d)


# -- metrics ---------------------------------------------------------------------------------------
def test_ndcg_and_map_match_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    sizes = [5, 8, 6]
    rel = np.concatenate([rng.permutation(np.r_[0, 1, 3, rng.integers(0, 4, s - 3)]) for s in sizes]).astype(
        float
    )
    s = rng.normal(size=rel.size)
    y = Ranking.from_sizes(rel, sizes)
    cuts = np.cumsum([0, *sizes])
    for k in (3, 10):
        want = np.mean(
            [  # scikit-learn's gain is the label itself: hand it 2^rel − 1
                metrics.ndcg_score([2.0 ** rel[a:b] - 1], [s[a:b]], k=k) for a, b in itertools.pairwise(cuts)
            ]
        )
        assert ranking_metric(f"ndcg:{k}", y, s) == pytest.approx(want, rel=1e-12)
    hit = (rel > 1).astype(float)
    want = np.mean([metrics.average_precision_score(hit[a:b], s[a:b]) for a, b in itertools.pairwise(cuts)])
    assert ranking_metric("map", Ranking.from_sizes(hit, sizes), s) == pytest.approx(want, rel=1e-12)


# -- parity with the built-ins: gradient and Hessian on fixed scores ----------------------------------
def test_lambdarank_gradient_is_lightgbms() -> None:
    rel, sizes, f = _queries()
    g, h, rows = _lightgbm_gh("lambdarank", rel, sizes, f)
    assert rows.sum() >= rel.size // 3
    G, H = losslab.get("lambdarank").gradient_hessian(Ranking.from_sizes(rel, sizes), f)
    _close(g, G, rows, 2e-5)  # LightGBM's σ comes from a 2²⁰-entry table; float32 sums
    _close(h, H, rows, 2e-5)


def test_xendcg_gradient_is_lightgbms_first_round() -> None:
    rel, sizes, f = _queries()
    g, h, rows = _lightgbm_gh("rank_xendcg", rel, sizes, f)
    assert rows.sum() >= rel.size // 3
    G, H = losslab.get("rank_xendcg").gradient_hessian(Ranking.from_sizes(rel, sizes), f)
    _close(g, G, rows, 1e-6)
    _close(h, H, rows, 1e-6)


def test_rank_ndcg_and_map_gradients_are_xgboosts() -> None:
    rel, sizes, f = _queries()
    g, h, rows = _xgboost_gh("rank:ndcg", rel, sizes, f)
    assert rows.sum() >= rel.size - 2
    G, H = losslab.get("rank:ndcg", truncation_level=32).gradient_hessian(Ranking.from_sizes(rel, sizes), f)
    _close(g, G, rows, 1e-5)
    _close(h, 2 * H, rows, 1e-5)  # XGBoost's Hessian is twice the second derivative
    hit = (rel >= 2).astype(float)
    g, h, rows = _xgboost_gh("rank:map", hit, sizes, f)
    G, H = losslab.get("rank:map").gradient_hessian(Ranking.from_sizes(hit, sizes), f)
    _close(g, G, rows, 1e-5)
    _close(h, 2 * H, rows, 1e-5)


def test_pairwise_gradient_is_xgboosts_ranknet_with_group_weights() -> None:
    rel, sizes, f = _queries()
    wq = np.array([1.0, 2.0, 0.5, 3.0])
    g, h, rows = _xgboost_gh("rank:pairwise", rel, sizes, f, weights=wq, **XGB_RANKNET)
    assert rows.sum() >= rel.size - 2
    # XGBoost scales its per-query weights to mean 1 (n_groups / Σw)
    w = np.repeat(wq, sizes) * sizes.size / wq.sum()
    G, H = losslab.get("rank:pairwise").gradient_hessian(Ranking.from_sizes(rel, sizes), f, sample_weight=w)
    _close(g, G, rows, 1e-6)
    _close(h, 2 * H, rows, 1e-6)


# -- parity: trained models ------------------------------------------------------------------------------
def _ranking_set(seed: int = 0, n_queries: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Queries of 5–29 rows; relevance 0–3 from within-query quantiles of a noisy score."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 30, n_queries)
    n = int(sizes.sum())
    X = rng.normal(size=(n, 8))
    u = X[:, 0] + 0.5 * X[:, 1] - 0.5 * X[:, 2] ** 2 + rng.normal(0.0, 1.0, n)
    rel = np.empty(n)
    for s, e in zip(np.r_[0, np.cumsum(sizes)[:-1]], np.cumsum(sizes), strict=True):
        q = u[s:e].argsort().argsort() / (e - s)
        rel[s:e] = np.digitize(q, [0.5, 0.8, 0.95])
    return X, rel, sizes


@pytest.fixture(scope="module")
def ranking_set() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, rel, sizes = _ranking_set()
    y = Ranking.from_sizes(rel, sizes)
    assert (
        ranking_metric("ndcg:10", y, np.random.default_rng(1).normal(size=rel.size)) <= 0.6
    )  # a hard enough set
    return X, rel, sizes


@pytest.mark.parametrize(("ours", "builtin"), [("lambdarank", "lambdarank"), ("xendcg", "rank_xendcg")])
def test_lightgbm_models_match_the_builtins_ndcg(ranking_set, ours: str, builtin: str) -> None:
    lgb = pytest.importorskip("lightgbm")
    import losslab.lightgbm as ll

    X, rel, sizes = ranking_set
    y = Ranking.from_sizes(rel, sizes)
    p = {"num_leaves": 15, "learning_rate": 0.1, "verbose": -1, "num_threads": 1, "deterministic": True}
    theirs = lgb.train({**p, "objective": builtin}, lgb.Dataset(X, rel, group=sizes), 30)
    mine = ll.train(ours, p, lgb.Dataset(X, rel, group=sizes), 30)
    a, b = ranking_metric("ndcg:10", y, theirs.predict(X)), ranking_metric("ndcg:10", y, mine.predict(X))
    assert b == pytest.approx(a, rel=0.01)


def test_lgbm_ranker_passes_groups_to_the_objective(ranking_set) -> None:
    lgb = pytest.importorskip("lightgbm")
    import losslab.lightgbm as ll

    X, rel, sizes = ranking_set
    y = Ranking.from_sizes(rel, sizes)
    kw = {"n_estimators": 20, "num_leaves": 15, "verbose": -1, "n_jobs": 1, "deterministic": True}
    theirs = lgb.LGBMRanker(objective="lambdarank", **kw).fit(X, rel, group=sizes)
    mine = lgb.LGBMRanker(objective=ll.objective("lambdarank"), **kw).fit(X, rel, group=sizes)
    assert ranking_metric("ndcg:10", y, mine.predict(X)) == pytest.approx(
        ranking_metric("ndcg:10", y, theirs.predict(X)), rel=0.01
    )


def test_xgboost_pairwise_model_matches_rank_pairwise(ranking_set) -> None:
    xgb = pytest.importorskip("xgboost")
    import losslab.xgboost as lx

    X, rel, sizes = ranking_set
    y = Ranking.from_sizes(rel, sizes)
    d = xgb.DMatrix(X, rel)
    d.set_group(sizes)
    p = {"max_depth": 4, "eta": 0.1, "nthread": 1}
    theirs = xgb.train({**p, "objective": "rank:pairwise", **XGB_RANKNET}, d, 30)
    mine = lx.train("rank:pairwise", p, d, 30)  # conventions="library": XGBoost's Hessian is 2×
    assert ranking_metric("ndcg:10", y, mine.predict(d)) == pytest.approx(
        ranking_metric("ndcg:10", y, theirs.predict(d)), rel=0.01
    )


def test_new_user_example_runs() -> None:
    out = runpy.run_path(str(ROOT / "docs" / "examples" / "ranking.py"), run_name="__main__")
    assert out["ndcg_model"] > out["ndcg_random"] + 0.2


# -- exact references (tests/reference/mp_ranking.py) -----------------------------------------------
def _mp_ranking():
    import importlib.util
    import sys

    here = ROOT / "tests" / "reference"
    sys.path.insert(0, str(here))
    try:
        spec = importlib.util.spec_from_file_location("_losslab_ref_ranking", here / "mp_ranking.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(here))
    return mod


MP = _mp_ranking()


@pytest.mark.parametrize(
    ("name", "params"), [(name, p) for name, ps in MP.CONFIGS.items() for p in ps], ids=str
)
@pytest.mark.parametrize("weighted", [False, True])
def test_values_gradients_and_hessians_match_mpmath(name: str, params: dict, weighted: bool) -> None:
    import mpmath

    loss = losslab.get(name, **params)
    points = MP.POINTS_BINARY if name == "map" else MP.POINTS
    for rel, sizes, f in points:
        n = len(f)
        w = [0.5 + (i % 3) for i in range(n)] if weighted else [1.0] * n
        with mpmath.workdps(400):  # e^−600 beside 1 in the softmax
            v, g, h = (np.array([float(x) for x in part]) for part in MP.ROWS[name](params, rel, sizes, f, w))
        y = Ranking.from_sizes(rel, sizes)
        sw = np.array(w) if weighted else None
        got_v = loss(y, np.array(f), reduction="none")  # unweighted per-row values
        got_g, got_h = loss.gradient_hessian(y, np.array(f), sample_weight=sw)
        for got, want in ((got_v, v), (got_g, g), (got_h, h)):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
