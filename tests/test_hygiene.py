"""Data hygiene (`losslab.hygiene`) and its use by advise, compare and train: identifier columns,
suspected leaks, free text, rows without a target, grouped folds and exposures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab._core.errors import DataError
from losslab.compare.plan import make_folds
from losslab.compare.setup import plan_experiment
from losslab.hygiene import (
    THRESHOLDS,
    check_features,
    exposure_candidates,
    free_text_columns,
    id_like_columns,
    is_exposure_name,
    suspected_leaks,
)

FAST = {"epochs": 40, "lr": 0.05}


# ---------------------------------------------------------------------------------------------
# the checks


def test_identifiers_are_integer_or_text_and_described_truthfully():
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame(
        {
            "row": rng.permutation(n),  # consecutive integers in shuffled order
            "ticket": np.sort(rng.choice(10**7, n, replace=False)),  # spread out but increasing
            "serial": [f"u{i:05d}" for i in rng.permutation(n)],
            "customerID": rng.integers(0, 300, n),  # named like one, 250-ish distinct values
            "height": rng.normal(170, 10, n),  # a float measurement: never an identifier
            "population": rng.integers(100, 10**7, n),  # a near-unique integer measurement, spread out
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )
    found = {f.column: f.evidence for f in id_like_columns(X)}
    assert set(found) == {"row", "ticket", "serial", "customerID"}
    assert found["row"] == "400 distinct values in 400 rows, integers from 0 to 399"
    assert found["ticket"] == "400 distinct values in 400 rows, increasing with the row order"
    assert found["serial"] == "400 distinct values in 400 rows"
    distinct = X["customerID"].nunique()
    assert found["customerID"] == f"{distinct} distinct values in 400 rows, named like an identifier"


def test_named_id_needs_many_values_and_tiny_tables_are_left_alone():
    X = pd.DataFrame({"store_id": [1, 2, 3, 4] * 25, "n": range(100)})
    assert [f.column for f in id_like_columns(X)] == ["n"]  # store_id: 4 values, a category
    assert id_like_columns(pd.DataFrame({"k": range(10)})) == []  # 10 rows: too few to tell


def _sklearn_frame(loader):
    data = loader(as_frame=True)
    return data.frame.drop(columns="target"), data.frame["target"]


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "diabetes"])
def test_real_features_survive_sklearn(name):
    from sklearn import datasets

    X, y = _sklearn_frame(getattr(datasets, f"load_{name}"))
    h = check_features(X, y, classification=name != "diabetes")
    assert list(h.X.columns) == list(X.columns)
    assert (h.dropped, h.leaks, h.free_text, h.warnings) == ([], [], [], [])


@pytest.mark.parametrize("target", ["species", "island", "sex", "body_mass_g"])
def test_real_features_survive_penguins(target):
    palmerpenguins = pytest.importorskip("palmerpenguins")
    frame = palmerpenguins.load_penguins()
    frame = frame[frame[target].notna()]
    X, y = frame.drop(columns=target), frame[target]
    h = check_features(X, y, classification=target != "body_mass_g")
    assert list(h.X.columns) == list(X.columns)
    assert (h.dropped, h.leaks, h.free_text) == ([], [], [])


def test_statsmodels_fertility_country_names_are_identifiers():
    sm = pytest.importorskip("statsmodels.api")
    frame = sm.datasets.fertility.load_pandas().data
    found = {f.column: f.evidence for f in id_like_columns(frame)}
    assert found == {
        "Country Name": "219 distinct values in 219 rows",
        "Country Code": "219 distinct values in 219 rows",
    }


def test_leak_separating_the_classes_and_regression_rank_copy():
    rng = np.random.default_rng(1)
    n = 300
    y = rng.integers(0, 3, n)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "score": y * 10 + rng.uniform(0, 5, n),  # three disjoint value ranges
            "code": np.array(["a", "b", "c"])[y],  # one level per class
        }
    )
    leaks = {f.column: f.evidence for f in suspected_leaks(X, y, classification=True)}
    assert leaks == {
        "score": "its value ranges separate the 3 classes exactly, with no overlap in 300 rows",
        "code": "each of its 3 values occurs with one class only, in 300 rows",
    }
    t = rng.normal(size=n)
    Xr = pd.DataFrame({"x": rng.normal(size=n), "t_cubed": t**3, "noisy": t + rng.normal(0, 0.3, n)})
    leaks = suspected_leaks(Xr, t, classification=False)
    assert [f.column for f in leaks] == ["t_cubed"]
    assert leaks[0].evidence == "Spearman ρ = 1.0000 with the target over 300 rows"


def test_leak_constant_within_one_class_recorded_after_the_outcome():
    rng = np.random.default_rng(2)
    n = 500
    y = rng.integers(0, 2, n)
    recovered = np.where((y == 1) & (rng.random(n) > 0.02), rng.gamma(2.0, 40.0, n), 0.0)
    X = pd.DataFrame({"x": rng.normal(size=n), "recovered": recovered})
    (leak,) = suspected_leaks(X, np.where(y == 1, "pos", "neg"), classification=True)
    negatives, positives = int((y == 0).sum()), int((y == 1).sum())
    share = float(np.mean(recovered[y == 1] != 0))
    assert leak.column == "recovered"
    assert leak.evidence == (
        f"it is 0.0 in all {negatives} rows of class 'neg' and differs from that in {share:.1%} of the "
        f"{positives} other rows"
    )
    # a value that is merely common in the other classes is no leak
    common = np.where(y == 1, rng.integers(0, 2, n), 0)
    assert suspected_leaks(pd.DataFrame({"c": common}), y, classification=True) == []


def test_leak_missing_in_every_row_of_a_class():
    # a date of churn, recorded only for those who churned
    rng = np.random.default_rng(4)
    n = 400
    y = rng.integers(0, 2, n)
    churned_on = np.where(y == 1, rng.integers(1, 365, n).astype(float), np.nan)
    X = pd.DataFrame({"churned_on": churned_on, "x": rng.normal(size=n)})
    (leak,) = suspected_leaks(X, y, classification=True)
    negatives, positives = int((y == 0).sum()), int((y == 1).sum())
    assert leak.column == "churned_on"
    assert leak.evidence == (
        f"it is missing in all {negatives} rows of class 0 and differs from that in 100.0% of the "
        f"{positives} other rows"
    )


@pytest.mark.parametrize(("elsewhere", "leak"), [(0.03, True), (0.2, False)])
def test_leak_constant_in_a_class_depends_on_how_rare_the_value_is_elsewhere(elsewhere, leak):
    # class 2 lives on one island; the other classes on it in a share `elsewhere` of their rows
    # (palmerpenguins: every Gentoo on Biscoe, 20.6% of the others too — a real feature)
    rng = np.random.default_rng(5)
    n = 600
    y = rng.integers(0, 3, n)
    island = np.where((y == 2) | (rng.random(n) < elsewhere), "Biscoe", rng.choice(["Dream", "Torgersen"], n))
    found = suspected_leaks(pd.DataFrame({"island": island}), y, classification=True)
    assert bool(found) is leak
    assert THRESHOLDS["leak_class_other_share"][0] == 0.95  # 1 − 0.03 above it, 1 − 0.2 below
    if leak:
        share = float(np.mean(island[y != 2] != "Biscoe"))
        assert found[0].evidence.startswith(f"it is 'Biscoe' in all {int((y == 2).sum())} rows of class 2")
        assert f"differs from that in {share:.1%}" in found[0].evidence


def test_near_separation_and_a_noisy_copy_are_no_leak():
    # (b) needs the whole target: one row of overlap, or ρ just under 0.999, is a strong feature
    rng = np.random.default_rng(6)
    n = 300
    y = np.repeat([0, 1], n // 2)
    score = np.where(y == 1, 10.0, 0.0) + rng.uniform(0, 5, n)
    score[0] = 12.0  # one negative among the positives
    assert suspected_leaks(pd.DataFrame({"score": score}), y, classification=True) == []
    score[0] = 4.0
    assert [f.column for f in suspected_leaks(pd.DataFrame({"score": score}), y, classification=True)] == [
        "score"
    ]
    t = rng.normal(size=n)
    close = t + rng.normal(0, 0.05, n)  # Spearman ρ ≈ 0.998
    rho = pd.Series(close).rank().corr(pd.Series(t).rank())
    assert 0.99 < rho < 0.999
    assert suspected_leaks(pd.DataFrame({"close": close}), t, classification=False) == []


def test_rankings_sharing_a_range_are_not_identifiers():
    # HistData's Guerry ranks 86 departments on eight criteria: 1..86 each, none a row number
    rng = np.random.default_rng(7)
    n = 86
    X = pd.DataFrame(
        {
            "dept": np.arange(1, n + 1),  # sorted: the row number
            "wealth": rng.permutation(n) + 1,
            "literacy": rng.permutation(n) + 1,
            "x": rng.normal(size=n),
        }
    )
    assert [(f.column, f.evidence) for f in id_like_columns(X)] == [
        ("dept", "86 distinct values in 86 rows, integers from 1 to 86")
    ]
    # a single shuffled counter is still an identifier
    assert [f.column for f in id_like_columns(X.drop(columns="literacy"))] == ["dept", "wealth"]


# ---------------------------------------------------------------------------------------------
# exposures


def test_exposure_names():
    named = ["population", "Population", "PopulationK", "exposure", "n_trials", "trials", "N", "size",
             "offset", "time_at_risk", "person_years", "pyears", "Holders", "popul"]  # fmt: skip
    other = ["psize", "popularity", "income", "index", "n_children", "risk_score", "years"]
    assert all(is_exposure_name(c) for c in named)
    assert not any(is_exposure_name(c) for c in other)


def _exposure_table(seed=8, n=400):
    rng = np.random.default_rng(seed)
    return rng, pd.DataFrame(
        {
            "population": rng.integers(200, 60_000, n),
            "age": rng.normal(45, 12, n),
            "log_population": np.log(rng.integers(200, 60_000, n)),
        }
    )


def test_exposure_of_a_count_bounded_by_it():
    rng, X = _exposure_table()
    deaths = rng.poisson(0.002 * X["population"].to_numpy() * np.exp(0.01 * (X["age"] - 45)))
    (f,) = exposure_candidates(X, deaths)
    assert f.column == "population" and f.kind == "exposure"
    assert f.numbers["target"] == "count" and f.numbers["bounded"] is True
    assert 0.8 < f.numbers["slope"] < 1.2 and f.numbers["spearman"] > 0.8
    lo, hi = X["population"].min(), X["population"].max()
    assert f.evidence.startswith(
        f"positive ({lo:,} to {hi:,}) and named like an exposure; the count is at most it in all 400 rows"
    )
    assert f"grows as population^{f.numbers['slope']:.2f} over 5 quantile bins" in f.evidence
    assert f.evidence.endswith("model the rate with exposure='population'")


def test_exposure_of_a_count_above_it_that_tracks_its_scale():
    # claims per policy-year can exceed 1: not bounded, but the mean follows the exposure
    rng = np.random.default_rng(9)
    n = 500
    years = rng.uniform(0.1, 3.0, n)
    X = pd.DataFrame({"exposure": years, "age": rng.normal(40, 10, n)})
    claims = rng.poisson(2.5 * years)
    (f,) = exposure_candidates(X, claims)
    assert f.numbers["bounded"] is False and 0.5 <= f.numbers["slope"] <= 1.5
    assert "at most it" not in f.evidence and "grows as exposure^" in f.evidence


def test_no_exposure_without_the_property():
    rng, X = _exposure_table()
    assert exposure_candidates(X, rng.poisson(3.0, len(X))) == []  # ignores the population
    size = rng.uniform(1.0, 5.0, len(X))
    cubed = rng.poisson(size**3)  # above the column, and its scale grows as size³: no rate of it
    assert exposure_candidates(pd.DataFrame({"size": size}), cubed) == []
    deaths = rng.poisson(0.002 * X["population"].to_numpy())
    assert exposure_candidates(X.rename(columns={"population": "income"}), deaths) == []  # not named
    assert exposure_candidates(X.assign(population=X["population"] - 1000), deaths) == []  # not positive
    assert exposure_candidates(X, (deaths > 50).astype(int)) == []  # a binary target has none
    assert exposure_candidates(X, deaths * 1.5 + 0.1) == []  # a positive amount: not a count


def test_trials_of_a_binomial_proportion():
    rng = np.random.default_rng(10)
    n = 300
    trials = rng.integers(5, 60, n)
    X = pd.DataFrame({"n_trials": trials, "dose": rng.uniform(0, 1, n)})
    share = rng.binomial(trials, 0.3) / trials
    (f,) = exposure_candidates(X, share)
    assert f.numbers == {"target": "proportion", "rows": n}
    assert f.evidence == (
        f"whole numbers ({trials.min()} to {trials.max()}), named like a number of trials; the target times "
        f"it is a whole number in all {n} rows: a proportion of n_trials trials — weight by it with "
        "exposure='n_trials'"
    )
    assert exposure_candidates(X, np.round(share, 2)) == []  # rounded shares are no whole parts
    assert exposure_candidates(X.assign(n_trials=trials + 0.5), share) == []  # not whole numbers


def test_check_features_reports_exposures_when_asked():
    rng, X = _exposure_table()
    deaths = rng.poisson(0.002 * X["population"].to_numpy())
    assert check_features(X, deaths, classification=False).exposures == []  # train takes no exposure
    h = check_features(X, deaths, classification=False, exposures=True)
    (f,) = h.exposures
    assert list(h.X.columns) == list(X.columns)  # reported, not dropped
    assert h.warnings == [f"column 'population' looks like an exposure: {f.evidence} (kept as a feature)"]
    assert h.to_dict()["exposures"] == [f.to_dict()]
    # integer class labels look like counts, but classes have no exposure
    labels = np.minimum(deaths // 40, 2)
    assert check_features(X, labels, classification=True, exposures=True).exposures == []
    assert exposure_candidates(X, labels) != [] and exposure_candidates(X, labels, classification=True) == []


def test_exposure_rows_with_missing_values_and_length_errors():
    rng, X = _exposure_table()
    deaths = rng.poisson(0.002 * X["population"].to_numpy()).astype(float)
    deaths[:5] = np.nan
    X = X.astype({"population": float})
    X.loc[5:9, "population"] = np.nan
    (f,) = exposure_candidates(X, deaths)
    assert f.numbers["rows"] == len(X) - 10
    with pytest.raises(DataError, match=r"y has 3 values, expected one per row of X \(400\)"):
        exposure_candidates(X, [1, 2, 3])


def test_free_text_is_named_with_its_count_and_identifiers_are_not_double_counted():
    rng = np.random.default_rng(3)
    n = 600
    X = pd.DataFrame(
        {
            "comment": [f"comment {i}" for i in rng.integers(0, 250, n)],
            "name": [f"person {i}" for i in range(n)],  # unique: an identifier, dropped
            "x": rng.normal(size=n),
        }
    )
    h = check_features(X, rng.normal(size=n), classification=False)
    assert [f.column for f in h.dropped] == ["name"]
    (text,) = h.free_text
    distinct = X["comment"].nunique()
    assert text.column == "comment" and text.numbers["distinct"] == distinct
    assert f"column 'comment' looks like free text ({distinct} distinct values in 600 rows" in h.warnings[-1]
    assert free_text_columns(X[["x"]]) == []


def test_keep_columns_must_name_a_feature_and_something_must_remain():
    X = pd.DataFrame({"id": range(30), "x": np.linspace(0, 1, 30)})
    with pytest.raises(DataError, match="--keep-column 'nope' is not a feature column"):
        check_features(X, np.zeros(30), classification=False, keep_columns=["nope"])
    with pytest.raises(DataError, match="every feature column looks like an identifier"):
        check_features(X[["id"]], np.zeros(30), classification=False)
    for keep in (["id"], "id"):  # a single name is one column, not its letters
        h = check_features(X, np.zeros(30), classification=False, keep_columns=keep)
        assert list(h.X.columns) == ["id", "x"] and [f.column for f in h.kept] == ["id"]


def test_advisor_reports_the_shared_findings():
    rng = np.random.default_rng(4)
    n = 300
    y = rng.normal(size=n)
    frame = pd.DataFrame({"a": rng.normal(size=n), "row_id": np.arange(n), "copy": 2 * y + 1, "y": y})
    advice = losslab.advise(frame, target="y")
    d = advice.diagnostics
    ids = id_like_columns(frame.drop(columns="y"))
    leaks = suspected_leaks(frame[["a", "copy"]], y, classification=False)
    assert d["id_like_columns"] == [f.column for f in ids] == ["row_id"]
    assert d["leakage_columns"] == [{"column": f.column, "evidence": f.evidence} for f in leaks]
    (msg,) = [m for m in advice.messages if m.code == "ID_COLUMNS"]
    assert "'row_id' (300 distinct values in 300 rows, named like an identifier)" in msg.message


# ---------------------------------------------------------------------------------------------
# compare and train


def _sorted_by_class(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame({"a": rng.normal(size=n) + 0.3 * y, "b": rng.normal(size=n), "y": y})
    frame = frame.sort_values("y", kind="stable").reset_index(drop=True)
    frame.insert(0, "row", np.arange(n))  # a row number: it separates the classes exactly
    return frame


def test_compare_drops_a_row_id_sorted_by_class_and_says_so():
    """Regression test: the row number used to give accuracy 1.0 ± 0, silently."""
    frame = _sorted_by_class()
    kw = {"losses": ["binary_crossentropy"], "models": "linear", "cv": 4, "metrics": ["accuracy"]}
    cmp = losslab.compare(frame, target="y", model_params=FAST, **kw)
    assert cmp.leaderboard["accuracy"].iloc[0] < 0.8
    assert cmp.warnings == [
        "dropped column 'row' as an identifier (240 distinct values in 240 rows, integers from 0 to 239); "
        "keep it with --keep-column row"
    ]
    assert cmp.config["hygiene"]["dropped"][0]["column"] == "row"
    assert cmp.to_dict()["warnings"] == cmp.warnings
    assert cmp.config["n_features"] == 2
    kept = losslab.compare(frame, target="y", model_params=FAST, keep_columns=["row"], **kw)
    assert kept.leaderboard["accuracy"].iloc[0] > 0.95  # the column is what made it perfect
    assert any(w.startswith("suspected leak: column 'row' alone predicts") for w in kept.warnings)


def test_compare_counts_rows_without_a_target():
    frame = _sorted_by_class().drop(columns="row").astype({"y": float})
    frame.loc[::10, "y"] = np.nan
    exp = plan_experiment(frame, "y", losses=["binary_crossentropy"], models="linear", cv=3)
    assert exp.warnings == ["left out 24 of 240 rows whose target 'y' is missing"]
    assert exp.hygiene.rows_missing_target == 24 and len(exp.y) == 216


def _grouped(n_groups: int = 30, per: int = 6, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), per)
    effect = rng.normal(0, 2, n_groups)[g]
    x = rng.normal(size=g.size)
    return pd.DataFrame(
        {"patient": [f"p{i}" for i in g], "x": x, "y": x + effect + rng.normal(0, 0.1, g.size)}
    )


@pytest.mark.parametrize("classification", [False, True])
def test_group_folds_never_split_a_group(classification):
    frame = _grouped()
    if classification:
        frame["y"] = (frame["y"] > 0).astype(int)
    exp = plan_experiment(
        frame,
        "y",
        losses=["binary_crossentropy" if classification else "mse"],
        models="linear",
        cv=5,
        repeats=2,
        groups="patient",
    )
    g = frame["patient"].to_numpy()
    assert "patient" not in exp.X.columns and exp.config["groups"] == "patient"
    assert len(exp.folds) == 10
    for f in exp.folds:
        assert set(g[f.train]).isdisjoint(g[f.test])
        assert len(f.train) + len(f.test) == len(frame)
    # the repeats shuffle the groups: the second repeat's folds differ from the first's
    first = {frozenset(g[f.test]) for f in exp.folds if f.repeat == 0}
    second = {frozenset(g[f.test]) for f in exp.folds if f.repeat == 1}
    assert first != second


def test_group_folds_without_groups_would_split_them():
    frame = _grouped()
    g = frame["patient"].to_numpy()
    folds = make_folds(frame["y"].to_numpy(), "regression", 5, seed=0)
    assert any(not set(g[f.train]).isdisjoint(g[f.test]) for f in folds)  # the test above can fail


def test_group_errors_name_the_flag_and_column():
    frame = _grouped(n_groups=3)
    with pytest.raises(DataError, match="3 distinct groups, fewer than the 5 folds"):
        plan_experiment(frame, "y", losses=["mse"], models="linear", cv=5, groups="patient")
    with pytest.raises(DataError, match="--groups column 'who' is not in the table"):
        plan_experiment(frame, "y", losses=["mse"], models="linear", cv=2, groups="who")
    frame.loc[3, "patient"] = None
    with pytest.raises(DataError, match="--groups column 'patient' is missing in 1 of 18 rows"):
        plan_experiment(frame, "y", losses=["mse"], models="linear", cv=2, groups="patient")


def _poisson_with_offset(n: int = 3000, seed: int = 6) -> tuple[pd.DataFrame, float, float]:
    """Counts with exposure e: y ~ Poisson(e · exp(a + b·x)); the true log rate is a + b·x."""
    rng = np.random.default_rng(seed)
    a, b = 0.5, 0.8
    x = rng.normal(size=n)
    e = rng.uniform(0.1, 10.0, n)
    y = rng.poisson(e * np.exp(a + b * x)).astype(float)
    return pd.DataFrame({"x": x, "years": e, "y": y}), a, b


def test_exposure_fits_the_rate_and_scores_counts():
    from losslab.compare.run import run_task

    frame, a, b = _poisson_with_offset()
    kw = {"losses": ["poisson"], "models": "linear", "cv": 3, "model_params": {"epochs": 200, "lr": 0.05}}
    exp = plan_experiment(frame, "y", exposure="years", **kw)
    assert "years" not in exp.X.columns and exp.config["exposure"] == "years"
    spec = exp.plan.tasks[0]
    rec = run_task(spec, exp.X, exp.y, exposure=exp.exposure)
    assert rec["status"] == "ok", rec["error"]
    pred = rec["predictions"]["value"]
    rate = pred / exp.exposure[spec.test]
    true_rate = np.exp(a + b * frame["x"].to_numpy()[spec.test])
    assert np.max(np.abs(np.log(rate / true_rate))) < 0.15  # the fitted rate is the true one
    metrics = ["poisson_deviance", "rmse"]
    with_e = losslab.compare(frame, target="y", exposure="years", metrics=metrics, **kw)
    without = losslab.compare(frame, target="y", metrics=metrics, **kw)
    assert (
        with_e.leaderboard["poisson_deviance"].iloc[0] < 0.8 * without.leaderboard["poisson_deviance"].iloc[0]
    )
    oof = with_e.oof["poisson/linear"]
    assert abs(oof["value"].mean() / oof["y_true"].mean() - 1) < 0.05  # predictions are counts


def test_exposure_on_statsmodels_cancer_counts():
    sm = pytest.importorskip("statsmodels.api")
    frame = sm.datasets.cancer.load_pandas().data.assign(log_pop=lambda d: np.log(d["population"]))
    cmp = losslab.compare(
        frame,
        target="cancer",
        losses=["poisson"],
        models="linear",
        cv=3,
        exposure="population",
        metrics=["poisson_deviance", "mae"],
        model_params={"epochs": 100, "lr": 0.05},
    )
    oof = cmp.oof["poisson/linear"]
    assert np.isfinite(cmp.leaderboard["poisson_deviance"].iloc[0])
    assert abs(oof["value"].sum() / oof["y_true"].sum() - 1) < 0.1  # on the scale of the counts
    assert cmp.config["n_features"] == 1


def test_exposure_errors_name_the_column_and_rows():
    frame, _, _ = _poisson_with_offset(n=60)
    frame.loc[[3, 7], "years"] = [0.0, -1.0]
    with pytest.raises(
        DataError, match=r"--exposure column 'years' must be a positive number in every row; 2 of 60"
    ):
        plan_experiment(frame, "y", losses=["poisson"], models="linear", cv=3, exposure="years")
    frame["label"] = (frame["y"] > 3).astype(int)
    with pytest.raises(
        DataError, match="--exposure applies to count and rate targets; target 'label' is binary"
    ):
        plan_experiment(frame.drop(columns="y"), "label", models="linear", cv=3, exposure="x")
    with pytest.raises(DataError, match="--groups and --exposure both name column 'years'"):
        plan_experiment(frame, "y", models="linear", cv=3, exposure="years", groups="years")


def test_exposure_enters_the_task_keys():
    frame, _, _ = _poisson_with_offset(n=90)
    kw = {"losses": ["poisson"], "models": "linear", "cv": 3}
    plain = plan_experiment(frame.drop(columns="years"), "y", **kw)
    with_e = plan_experiment(frame, "y", exposure="years", **kw)
    assert {t.key for t in plain.plan.tasks}.isdisjoint(t.key for t in with_e.plan.tasks)


def test_train_drops_identifiers_and_reports_missing_targets():
    from losslab.workflows.train_table import train_table

    frame = _sorted_by_class().astype({"y": float})
    frame.loc[:4, "y"] = np.nan
    report = train_table(frame, "y", epochs=20, lr=0.05)
    assert report.dropped_columns == ["row"]
    assert report.warnings[0] == "left out 5 of 240 rows whose target 'y' is missing"
    assert report.warnings[1].startswith("dropped column 'row' as an identifier (235 distinct values")
    assert list(report.estimator.feature_names_in_) == ["a", "b"]
    assert report.to_dict()["dropped_columns"] == ["row"]
    kept = train_table(frame, "y", epochs=20, lr=0.05, keep_columns=["row"])
    assert "row" in list(kept.estimator.feature_names_in_) and kept.dropped_columns == []


def test_exposure_reaches_joblib_and_dask_workers():
    distributed = pytest.importorskip("distributed")
    import logging

    frame, _, _ = _poisson_with_offset(n=240)
    kw = {
        "target": "y",
        "losses": ["poisson"],
        "models": "linear",
        "cv": 3,
        "exposure": "years",
        "metrics": ["poisson_deviance"],
        "model_params": {"epochs": 30, "lr": 0.05},
    }
    local = losslab.compare(frame, **kw).leaderboard["poisson_deviance"].iloc[0]
    loky = losslab.compare(frame, n_jobs=2, **kw).leaderboard["poisson_deviance"].iloc[0]
    with (
        distributed.LocalCluster(
            n_workers=1, processes=False, dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        dask = losslab.compare(frame, scheduler=client, **kw).leaderboard["poisson_deviance"].iloc[0]
    plain = losslab.compare(frame, **{**kw, "exposure": None}).leaderboard["poisson_deviance"].iloc[0]
    assert local == pytest.approx(loky, rel=1e-6) and local == pytest.approx(dask, rel=1e-6)
    assert local < plain  # the exposure was used on every path
