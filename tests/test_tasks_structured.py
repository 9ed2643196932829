"""The task side of structured targets: metrics, task inference and loading, estimators, compare.

The library's survival, ranking and ordinal losses arrive separately; these tests register plain
ones written in `structured_losses` (Cox's partial likelihood, RankNet's pairwise loss, the
cumulative logit) and unregister them afterwards, so everything here is reached by metadata.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab._core.errors import DataError
from losslab.metrics import Predictions, default_metrics, get_metric, list_metrics
from losslab.targets import Bounds, Ranking, Survival

sksurv = pytest.importorskip("sksurv")

from structured_losses import PlainCox, PlainOrdinal, registered  # noqa: E402


@pytest.fixture
def plain():
    with registered():
        yield
    assert "test_plain_cox" not in losslab.list_losses()


def _survival_data(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An exponential proportional-hazards model, λ(t | x) = e^{xβ}, censored by Exp(½)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    beta = np.array([1.0, -0.5, 0.0])
    T = rng.exponential(1.0 / np.exp(X @ beta))
    C = rng.exponential(2.0, n)
    return X, beta, np.minimum(T, C), (T <= C).astype(np.int64)


def _ranking_data(
    n_queries: int = 40, size: int = 8, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_queries * size, 3))
    rel = np.clip(np.round(X @ [1.0, 0.5, 0.0] + rng.normal(0, 0.5, len(X)) + 1), 0, 3)
    return X, rel, np.repeat(np.arange(n_queries), size)


def _ordinal_data(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, np.digitize(X @ [1.5, -1.0, 0.0] + rng.logistic(size=n), [-1.0, 1.0])


# -- metrics ------------------------------------------------------------------------------------
def test_metric_rows_declare_tasks_direction_and_needs() -> None:
    rows = {m: get_metric(m) for m in ("c_index", "integrated_brier", "ndcg", "map", "ordinal_log_loss")}
    assert {m: (r.tasks, r.greater_is_better, r.needs) for m, r in rows.items()} == {
        "c_index": (("survival",), True, "risk"),
        "integrated_brier": (("survival",), False, "survival"),
        "ndcg": (("ranking",), True, "value"),
        "map": (("ranking",), True, "value"),
        "ordinal_log_loss": (("ordinal",), False, "probability"),
    }
    assert [get_metric(a).name for a in ("cindex", "ibs", "ndcg_score", "ndcg:5")] == [
        "c_index", "integrated_brier", "ndcg:10", "ndcg:5",
    ]  # fmt: skip
    assert list_metrics("survival") == ["c_index", "integrated_brier"]
    assert {"accuracy", "mae", "ordinal_log_loss"} <= set(list_metrics("ordinal"))
    with pytest.raises(DataError, match="whole number"):
        get_metric("ndcg:2.5")


def test_c_index_is_harrells_with_censoring() -> None:
    # comparable pairs: (0,1) (0,2) (0,3) with row 0's event first, (2,3); row 1 is censored at 2
    t = Survival([1.0, 2.0, 3.0, 4.0], [1, 0, 1, 0])
    risk = np.array([4.0, 1.0, 2.0, 3.0])  # right on 3 of the 4 pairs: (2,3) is wrong
    p = Predictions(y_true=np.asarray(t.time), target=t, risk=risk)
    assert get_metric("c_index")(p) == pytest.approx(3 / 4, abs=1e-15)
    # scikit-survival's structured array and an (n, 2) array are read alike
    from sksurv.util import Surv

    for y in (Surv.from_arrays([True, False, True, False], [1.0, 2.0, 3.0, 4.0]), np.c_[t.time, t.event]):
        assert get_metric("c_index")(Predictions(y_true=np.zeros(4), target=y, risk=risk)) == 0.75


def test_c_index_undefined_without_events_and_with_weights() -> None:
    m = get_metric("c_index")
    t = Survival([1.0, 2.0, 3.0], [0, 0, 0])
    from losslab.metrics import MetricUndefined

    with pytest.raises(MetricUndefined, match="every row is censored"):
        m(Predictions(y_true=np.zeros(3), target=t, risk=np.arange(3.0)))
    t = Survival([1.0, 2.0, 3.0], [1, 1, 0])
    with pytest.raises(MetricUndefined, match="no sample weights"):
        m(Predictions(y_true=np.zeros(3), target=t, risk=np.arange(3.0), sample_weight=np.array([1.0, 2, 1])))
    # Bounds: exact and right-censored rows read as events and censorings; others refused
    b = Bounds([1.0, 2.0, 3.0], [1.0, np.inf, 3.0])
    assert m(Predictions(y_true=np.zeros(3), target=b, risk=np.array([3.0, 2.0, 1.0]))) == 1.0
    with pytest.raises(MetricUndefined, match="interval censored"):
        m(Predictions(y_true=np.zeros(2), target=Bounds([1.0, 2.0], [1.5, 2.0]), risk=np.zeros(2)))


def test_integrated_brier_rewards_the_true_survival_curves() -> None:
    X, beta, time, event = _survival_data(400)
    t = Survival(time, event)
    from losslab.sklearn.structured import survival_grid

    grid = survival_grid(t)
    true = np.exp(-np.exp(X @ beta)[:, None] * grid[None, :])  # S(t | x) = exp(−t e^{xβ})
    km = np.tile(np.exp(-grid * np.mean(np.exp(X @ beta))), (len(X), 1))  # one curve for all rows
    ibs = get_metric("integrated_brier")
    good = ibs(Predictions(y_true=time, target=t, survival=true, times=grid))
    flat = ibs(Predictions(y_true=time, target=t, survival=km, times=grid))
    assert 0 < good < flat < 0.25
    from sksurv.metrics import integrated_brier_score
    from sksurv.util import Surv

    y = Surv.from_arrays(event.astype(bool), time)
    assert good == integrated_brier_score(y, y, true, grid)
    # the censoring distribution from other (training) rows when given
    train = Survival(time[:200], event[:200])
    half = ibs(Predictions(y_true=time, target=t, survival=true, times=grid, train_target=train))
    assert half == integrated_brier_score(
        Surv.from_arrays(event[:200].astype(bool), time[:200]), y, true, grid
    )
    from losslab.metrics import MetricUndefined

    with pytest.raises(MetricUndefined, match="survival curves"):
        ibs(Predictions(y_true=time, target=t, risk=np.zeros(len(time))))


def test_ndcg_and_map_per_query() -> None:
    r = Ranking([3, 0, 1, 0, 2, 0, 0], [0, 0, 0, 1, 1, 2, 2])  # query 2 has no relevant row
    score = np.array([0.1, 0.9, 0.5, 0.3, 0.2, 0.0, 1.0])
    p = Predictions(y_true=np.asarray(r.relevance, dtype=float), target=r, value=score)

    def dcg(gains: list[float]) -> float:
        return sum(g / math.log2(i + 2) for i, g in enumerate(gains))

    q0 = dcg([0, 1, 7]) / dcg([7, 1, 0])  # order by score: rows 1, 2, 0; gains 2^rel − 1
    q1 = dcg([0, 3]) / dcg([3, 0])
    assert get_metric("ndcg")(p) == pytest.approx((q0 + q1) / 2, rel=1e-14)
    assert get_metric("ndcg:1")(p) == pytest.approx(0.0)
    ap0 = (1 / 2 + 2 / 3) / 2  # relevant rows 2 and 0 at ranks 2 and 3
    assert get_metric("map")(p) == pytest.approx((ap0 + 1 / 2) / 2, rel=1e-14)
    from losslab.metrics import MetricUndefined

    with pytest.raises(MetricUndefined, match="needs the query"):
        get_metric("map")(Predictions(y_true=np.ones(3), value=np.zeros(3)))


def test_ordinal_metrics_read_levels_and_probabilities() -> None:
    y = np.array([0, 2, 1, 1])
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3], [0.5, 0.4, 0.1]])
    p = Predictions(y_true=y, proba=proba, label=proba.argmax(1), value=np.array([0.0, 2, 1, 1]), n_classes=3)
    assert get_metric("ordinal_log_loss")(p) == pytest.approx(-np.mean(np.log([0.7, 0.6, 0.5, 0.4])))
    assert get_metric("accuracy")(p) == 0.75 and get_metric("mae")(p) == 0.0
    assert default_metrics("ordinal") == ["mae", "rmse", "r2"]  # the regression subtype stays as it was
    assert default_metrics("ordinal", structured=True)[0] == "ordinal_log_loss"
    assert default_metrics("ordinal", "median", structured=True)[0] == "mae"


# -- task inference and loading ------------------------------------------------------------------
def test_structured_tasks_are_asked_for_never_guessed() -> None:
    from losslab.tasks import infer_task, structured_task, task_family

    assert structured_task(time="t", event="e") == "survival"
    assert structured_task("ranking", group="q") == "ranking"
    assert structured_task(levels=3) == "ordinal"
    assert structured_task() is None and structured_task("ordinal") is None
    assert infer_task(np.random.default_rng(0).exponential(size=200)).task != "survival"
    assert task_family("survival") == "survival" and task_family("ordinal") == "regression"
    with pytest.raises(DataError, match="no event="):
        structured_task(time="t")
    with pytest.raises(DataError, match="query column"):
        structured_task("ranking")
    with pytest.raises(DataError, match="contradicts"):
        structured_task("ranking", time="t", event="e")


def test_split_structured_reads_each_target() -> None:
    from losslab.tabular import split_structured

    frame = pd.DataFrame({"x": [1.0, 2, 3, 4], "t": [2.0, 1, np.nan, 3], "e": [1, 0, 1, 1]})
    X, y, y_eval, name = split_structured(frame, "survival", time="t", event="e")
    assert name == "t" and y_eval.tolist() == [2.0, 1.0, 3.0]
    assert isinstance(y, Survival) and y.event.tolist() == [1, 0, 1] and list(X.columns) == ["x"]
    with pytest.raises(DataError, match=r"Survival.event .*row 1"):
        split_structured(frame.assign(e=[1, 2, 0, 1]), "survival", time="t", event="e")
    # a ranking table whose queries are interleaved: rows regrouped, order within a query kept
    rank = pd.DataFrame({"x": [0.0, 1, 2, 3, 4], "rel": [1, 0, 2, 0, 1], "q": ["b", "a", "b", "a", "c"]})
    X, y, y_eval, _ = split_structured(rank, "ranking", target="rel", group="q")
    assert X["x"].tolist() == [0.0, 2.0, 1.0, 3.0, 4.0] and y.sizes().tolist() == [2, 2, 1]
    assert y_eval.tolist() == [1.0, 2.0, 0.0, 0.0, 1.0] and "q" not in X.columns
    grades = pd.DataFrame({"x": [0.0, 1, 2], "g": ["mid", "low", "high"]})
    _, y, y_eval, _ = split_structured(grades, "ordinal", target="g", levels="low,mid,high")
    assert y_eval.tolist() == [1, 0, 2] and y.levels == ("low", "mid", "high")
    with pytest.raises(DataError, match="'top' at row 0 is not one of the levels"):
        split_structured(grades.assign(g=["top", "low", "mid"]), "ordinal", target="g", levels="low,mid,high")
    codes = pd.DataFrame({"x": [0.0, 1, 2], "g": [0, 3, 1]})
    with pytest.raises(DataError, match="codes 0 … 2"):
        split_structured(codes, "ordinal", target="g", levels=3)


# -- the solver and the estimators -----------------------------------------------------------------
def test_solver_uses_lbfgs_for_coupled_losses() -> None:
    from losslab.train.models import build_model
    from losslab.train.solver import _newton_applies

    model = build_model("linear", 3, 1)
    assert _newton_applies(model, losslab.get("mse"))
    assert PlainCox.INFO.convex and not _newton_applies(model, PlainCox())


def test_cox_estimator_matches_scikit_survival(plain) -> None:
    from sksurv.linear_model import CoxPHSurvivalAnalysis
    from sksurv.util import Surv

    from losslab.sklearn import LossSurvivalRegressor

    X, _, time, event = _survival_data()
    y = Surv.from_arrays(event.astype(bool), time)  # scikit-survival's structured array
    est = LossSurvivalRegressor(loss="test_plain_cox").fit(X, y)
    ref = CoxPHSurvivalAnalysis(ties="breslow").fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6)
    np.testing.assert_allclose(
        est.predict(X) - est.predict(X).mean(), ref.predict(X) - ref.predict(X).mean(), atol=1e-6
    )
    grid = np.array([0.2, 0.5, 1.0, 1.5])
    mine = est.predict_survival_function(X[:5], grid)
    theirs = np.array([fn(grid) for fn in ref.predict_survival_function(X[:5])])
    np.testing.assert_allclose(mine, theirs, rtol=1e-5)
    assert est.score(X, Survival(time, event)) > 0.7
    assert math.isnan(est.score(X[:3], Survival(time[:3], [0, 0, 0])))  # no event: NaN, as in compare


def test_aft_risk_is_minus_the_log_time_score(plain) -> None:
    """A loss of the (log) time (target `Bounds`) predicts longer times with larger scores: its
    risk is −f, read from the target type, so the C-index of a good fit is above ½."""
    from scipy.optimize import minimize
    from sksurv.util import Surv

    from losslab.sklearn import LossSurvivalRegressor

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    T = np.exp(0.5 + X @ [0.8, -0.4] + rng.normal(size=300))
    C = np.exp(rng.normal(1.5, 1.0, 300))
    time, event = np.minimum(T, C), (T <= C).astype(int)
    y = Surv.from_arrays(event.astype(bool), time)  # read as Survival, then as Bounds
    est = LossSurvivalRegressor(loss="test_plain_aft").fit(X, y)
    aft = losslab.get("test_plain_aft")
    b = Survival(time, event).bounds()
    ref = minimize(
        lambda th: float(aft(b, X @ th[:2] + th[2])), np.zeros(3), method="BFGS", options={"gtol": 1e-10}
    ).x
    np.testing.assert_allclose(np.r_[est.coef_, est.intercept_], ref, atol=1e-5)
    np.testing.assert_allclose(est.predict(X), -(X @ ref[:2] + ref[2]), atol=1e-5)
    assert est.score(X, Survival(time, event)) > 0.65
    assert not est.has_survival_function()
    with pytest.raises(AttributeError, match="risk score only"):
        est.predict_survival_function(X, [1.0, 2.0])


def test_regressor_takes_censored_bounds(plain) -> None:
    """A regression loss that reads `Bounds` (Tobit) fits a target capped at its maximum: the
    censored likelihood recovers the slope that least squares on the capped values shrinks."""
    from scipy.optimize import minimize

    from losslab.sklearn import LossRegressor

    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 1))
    latent = 1.0 + 2.0 * x[:, 0] + rng.normal(size=400)
    cap = 2.0
    y = Bounds(np.minimum(latent, cap), np.where(latent >= cap, np.inf, latent))
    est = LossRegressor(loss="test_plain_tobit").fit(x, y)
    tobit = losslab.get("test_plain_tobit")
    ref = minimize(lambda th: float(tobit(y, th[0] + th[1] * x[:, 0])), np.zeros(2), method="BFGS").x
    np.testing.assert_allclose([est.intercept_, est.coef_[0]], ref, atol=1e-5)
    capped = LossRegressor(loss="mse").fit(x, np.minimum(latent, cap))
    assert abs(est.coef_[0] - 2.0) < 0.15 < abs(capped.coef_[0] - 2.0)
    same = LossRegressor(loss="test_plain_tobit").fit(x, np.c_[y.lower, y.upper])  # [lower, upper]
    np.testing.assert_allclose(same.coef_, est.coef_)


def test_ranker_fits_pairwise_and_refuses_recipes(plain) -> None:
    from losslab.sklearn import LossRanker
    from losslab.train import RecipeError

    X, rel, g = _ranking_data()
    est = LossRanker(loss="test_plain_pairwise").fit(X, rel, group=g)
    assert est.coef_[0] > est.coef_[1] > abs(est.coef_[2])
    assert est.score(X, rel, group=g) > 0.9
    same = LossRanker(loss="test_plain_pairwise").fit(X, Ranking(rel, g))
    np.testing.assert_allclose(same.coef_, est.coef_)
    with pytest.raises(RecipeError, match=r"gradient recipe.*LightGBM/XGBoost objective"):
        LossRanker(loss="test_plain_recipe").fit(X, rel, group=g)
    with pytest.raises(losslab.LosslabError, match="needs a ranking loss"):
        LossRanker(loss="mse").fit(X, rel, group=g)


def test_ordinal_classifier_alternation_reaches_the_joint_optimum(plain) -> None:
    from losslab.sklearn import LossOrdinalClassifier

    X, lab = _ordinal_data()
    names = np.array(["lo", "mid", "hi"])
    est = LossOrdinalClassifier(loss="test_plain_ordinal").fit(X, names[lab], levels=["lo", "mid", "hi"])
    assert est.classes_.tolist() == ["lo", "mid", "hi"]
    proba = est.predict_proba(X)
    assert proba.shape == (300, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert set(est.predict(X)) <= set(names) and est.score(X, names[lab]) > 0.5
    # the joint maximum-likelihood fit of the cumulative logit (statsmodels' OrderedModel)
    om = pytest.importorskip("statsmodels.miscmodels.ordinal_model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' own convergence chatter
        ref = om.OrderedModel(lab, X, distr="logit").fit(method="bfgs", disp=False, gtol=1e-10).params
    np.testing.assert_allclose(est.coef_, ref[:3], atol=1e-4)
    cuts = np.array(est.loss_.thresholds) - est.intercept_
    np.testing.assert_allclose(cuts, [ref[3], ref[3] + np.exp(ref[4])], atol=1e-4)
    from sklearn.base import is_classifier
    from sklearn.model_selection import cross_val_score

    folds = cross_val_score(est, X, names[lab], cv=3, params={"levels": ["lo", "mid", "hi"]})
    assert is_classifier(est) and folds.shape == (3,) and folds.min() > 0.4  # accuracy per fold
    fixed = PlainOrdinal()  # two levels fixed, no thresholds parameter to free: a clear error
    object.__setattr__(fixed, "thresholds", (0.0,))
    with pytest.raises(losslab.LosslabError, match="has 2 levels; the target has 3"):
        LossOrdinalClassifier(loss=fixed).fit(X, lab)
    const = LossOrdinalClassifier(loss="test_plain_ordinal", model="constant").fit(X, lab)
    np.testing.assert_allclose(const.predict_proba(X[:1])[0], np.bincount(lab) / len(lab), atol=1e-4)


# -- compare ---------------------------------------------------------------------------------------
def _means(cmp) -> dict[tuple[str, str], float]:
    return cmp.scores.groupby(["candidate", "metric"])["value"].mean().to_dict()


def test_compare_survival_end_to_end(plain) -> None:
    X, _, time, event = _survival_data(240)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(months=time, died=event)
    plain = ["test_plain_cox", "test_plain_aft"]  # the library's own survival losses may be registered too
    cmp = losslab.compare(frame, time="months", event="died", cv=3, losses=plain)
    assert [m.name for m in cmp.metrics] == ["c_index", "integrated_brier"]
    means = _means(cmp)
    # both survival losses compete, found by their task: Cox (target Survival) and AFT (Bounds)
    assert (
        means[("test_plain_cox/linear", "c_index")] > 0.7
        and means[("test_plain_aft/linear", "c_index")] > 0.7
    )
    constant = next(c.name for c in cmp.candidates if c.model == "constant")
    assert means[(constant, "c_index")] == 0.5
    assert means[("test_plain_cox/linear", "integrated_brier")] < 0.2
    no_curves = cmp.scores.query("candidate == 'test_plain_aft/linear' and metric == 'integrated_brier'")
    assert no_curves["value"].isna().all() and no_curves["reason"].str.contains("survival curves").all()
    assert cmp.scores.query("metric == 'c_index'")["reason"].isna().all()
    # folds stratified by the event: each test fold holds the event share of the whole
    from losslab.compare.setup import plan_experiment

    exp = plan_experiment(frame, None, time="months", event="died", cv=3, top=50)
    names = {c.name.split("/")[0] for c in exp.plan.candidates}  # every survival loss, by its task
    assert {"test_plain_cox", "test_plain_aft"} <= names and not names & {"test_plain_pairwise", "mse"}
    shares = [event[f.test].mean() for f in exp.folds]
    assert max(shares) - min(shares) < 0.02
    # patients with several rows: groups= keeps each patient's rows in one fold, not a feature
    patients = frame.assign(patient=np.arange(len(frame)) // 3)
    exp = plan_experiment(patients, None, time="months", event="died", cv=3, groups="patient")
    g = patients["patient"].to_numpy()
    assert all(set(g[f.train]).isdisjoint(g[f.test]) for f in exp.folds) and "patient" not in exp.X.columns


def test_compare_ranking_keeps_queries_whole(plain) -> None:
    from losslab.compare.setup import plan_experiment

    X, rel, g = _ranking_data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(rel=rel, query=g).sample(frac=1, random_state=0)
    exp = plan_experiment(frame, "rel", task="ranking", groups="query", cv=4, top=50)
    q = exp.y.group
    assert all(set(q[f.train]).isdisjoint(q[f.test]) for f in exp.folds)
    names = [c.name for c in exp.plan.candidates]
    assert "test_plain_pairwise/linear" in names and not any("test_plain_recipe" in n for n in names)
    assert any("test_plain_recipe is a gradient recipe" in n for n in exp.notes)
    cmp = losslab.compare(frame, "rel", task="ranking", groups="query", cv=4, losses="test_plain_pairwise")
    means = _means(cmp)
    assert cmp.metrics[0].name == "ndcg:10"
    assert (
        means[("test_plain_pairwise/linear", "ndcg:10")]
        > 0.9
        > means[("test_plain_pairwise/constant", "ndcg:10")]
    )


def test_compare_ordinal_headline_follows_the_intent(plain) -> None:
    X, lab = _ordinal_data(240)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(grade=np.array(["lo", "mid", "hi"])[lab])
    cmp = losslab.compare(frame, "grade", levels="lo,mid,hi", cv=3, losses=["test_plain_ordinal"])
    assert [m.name for m in cmp.metrics] == ["ordinal_log_loss", "mae", "accuracy"]
    means = _means(cmp)
    assert (
        means[("test_plain_ordinal/linear", "ordinal_log_loss")]
        < means[("test_plain_ordinal/constant", "ordinal_log_loss")]
    )
    med = losslab.compare(
        frame, "grade", levels=["lo", "mid", "hi"], cv=3, predict="median", losses=["test_plain_ordinal"]
    )
    assert med.metrics[0].name == "mae"
    with pytest.raises(DataError, match="does not fit"):
        losslab.compare(frame, "grade", levels="lo,mid,hi", cv=3, losses=["mse"])


def test_compare_cli_survival(plain, tmp_path) -> None:
    from typer.testing import CliRunner

    from losslab.cli import app

    X, _, time, event = _survival_data(150)
    path = tmp_path / "surv.csv"
    pd.DataFrame(X, columns=["a", "b", "c"]).assign(months=time, died=event).to_csv(path, index=False)
    out = tmp_path / "out"
    args = ["compare", str(path), "--time", "months", "--event", "died", "--folds", "3", "--out", str(out),
            "--loss", "test_plain_cox", "--loss", "test_plain_aft"]  # fmt: skip
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "c_index" in r.output and (out / "report.html").exists()
    again = CliRunner().invoke(app, args)
    assert "9 reused from the store" in again.output  # cox, aft and the constant × 3 folds
    bad = CliRunner().invoke(app, ["compare", str(path), "--time", "months", "--folds", "3"])
    assert bad.exit_code == 2 and "event" in bad.output
    # --target names the time column as well; an unknown column is a usage error before any work
    same = [*args[:2], "--target", "months", *args[4:]]
    assert "9 reused from the store" in CliRunner().invoke(app, same).output
    missing = CliRunner().invoke(app, ["compare", str(path), "--time", "months", "--event", "dead"])
    assert missing.exit_code == 2 and "dead" in missing.output


def test_compare_survival_with_the_catalogues_cox_and_aft() -> None:
    """The registered survival losses, chosen by their task with no losses= given: both give
    survival curves (Breslow's baseline for Cox, the closed form for AFT), so both get the
    integrated Brier score, weighted by the censoring of the training rows."""
    X, _, time, event = _survival_data(240)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(months=time, died=event)
    cmp = losslab.compare(frame, time="months", event="died", cv=3)
    means = _means(cmp)
    for name in ("cox/linear", "aft/linear"):
        assert means[(name, "c_index")] > 0.7, name
        assert 0.0 < means[(name, "integrated_brier")] < 0.2, name
    assert cmp.scores.query("metric == 'integrated_brier' and candidate != 'constant'")["reason"].isna().all()


def test_compare_cli_takes_the_anchors_names_with_parameters(tmp_path) -> None:
    """``--loss survival:aft:distribution=normal``: an alias with a colon, then a parameter."""
    from typer.testing import CliRunner

    from losslab.cli import app

    X, _, time, event = _survival_data(150)
    path = tmp_path / "surv.csv"
    pd.DataFrame(X, columns=["a", "b", "c"]).assign(months=time, died=event).to_csv(path, index=False)
    args = ["compare", str(path), "--time", "months", "--event", "died", "--folds", "3",
            "--out", str(tmp_path / "out"), "--loss", "survival:cox",
            "--loss", "survival:aft:distribution=extreme"]  # fmt: skip
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    import json

    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [c["name"] for c in results["candidates"]][:2] == [
        "cox/linear",
        "aft(distribution=extreme)/linear",
    ]
    assert all(s["value"] is not None for s in results["scores"] if s["metric"] == "c_index")
