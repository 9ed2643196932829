"""Issue 12, build items 1–4: the headline metric from the intent, every fold counted, power by
default, a verdict in plain words. The crash, the NaN order and the dropped folds seen on real data
are regression tests here."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import losslab
from losslab import metrics as M
from losslab.compare import design, setup
from losslab.compare.setup import plan_experiment
from losslab.compare.stats import LEGEND, MARKS, REASONS, corrected_ttest, holm, summarize
from losslab.compare.summary import verdict
from losslab.datasets import load as load_dataset
from losslab.datasets import target_of

FAST = {"epochs": 4, "lr": 0.05, "hidden": (8,)}


def _scores(
    values: dict[str, list[float]], metric: str, reasons: dict[str, str] | None = None
) -> pd.DataFrame:
    """Long score table; a value ``None`` is a fold with no row (its task failed)."""
    rows = []
    for cand, vals in values.items():
        for f, v in enumerate(vals):
            if v is None:
                continue
            why = (reasons or {}).get(cand) if not np.isfinite(v) else None
            rows.append({"candidate": cand, "repeat": 0, "fold": f, "metric": metric, "value": v,
                         "reason": why, "n_train": 80, "n_test": 20})  # fmt: skip
    return pd.DataFrame(rows)


def _marks(board: pd.DataFrame) -> dict[str, str]:
    return dict(zip(board["candidate"], board["mark"], strict=True))


# -- item 2: every fold counted -----------------------------------------------------------------
def test_regression_no_shared_fold_does_not_crash():
    """Was: ValueError 'zero-size array to reduction operation fmax' (a deviance defined on one fold
    for two candidates with no shared fold)."""
    dev = M.get_metric("poisson_deviance")
    nan = math.nan
    scores = _scores(
        {"a": [1.0, nan, nan], "b": [nan, 1.2, nan], "c": [nan, nan, nan]},
        dev.name,
        {c: "poisson_deviance needs predictions > 0; 3 are not" for c in "abc"},
    )
    board, _ = summarize(scores, [dev], ["a", "b", "c"])
    assert set(board["mark"]) == {"unranked"} and board["rank"].isna().all()
    assert board.set_index("candidate").loc["a", "reason"] == (
        "poisson_deviance is undefined on 2 of 3 folds: poisson_deviance needs predictions > 0; 3 are not"
    )
    v = verdict(board, dev)
    assert v.best is None and len(v.unranked) == 3 and "No candidate could be ranked" in v.text


def test_regression_nan_mean_never_decides_the_order():
    """Was: means A = 2.2, B = NaN, C = 1.2 (lower better) sorted to A "best", C "worse"."""
    mae = M.get_metric("mae")
    nan = math.nan
    scores = _scores(
        {"A": [2.1, 2.3, 2.2, 2.25, 2.15], "B": [nan] * 5, "C": [1.2, 1.3, 1.1, 1.25, 1.15]},
        "mae",
        {"B": "mae needs numeric predictions; the model gave none"},
    )
    board, _ = summarize(scores, [mae], ["A", "B", "C"])
    assert board["candidate"].tolist() == ["C", "A", "B"]
    assert _marks(board) == {"C": "best", "A": "worse", "B": "unranked"}
    assert not board.loc[board["mark"] != "unranked", "mae"].isna().any()  # no NaN in a ranked position


def test_regression_a_candidate_is_never_ranked_on_the_folds_left():
    """Was: a candidate undefined on 3 of 5 folds ranked first on the mean of the 2 left."""
    dev = M.get_metric("gamma_deviance")
    nan = math.nan
    scores = _scores(
        {
            "lucky": [0.10, nan, nan, 0.11, nan],
            "steady": [0.30, 0.31, 0.29, 0.30, 0.32],
            "other": [0.35, 0.36, 0.34, 0.37, 0.35],
        },
        dev.name,
        {"lucky": "gamma_deviance needs predictions > 0; 2 are not"},
    )
    board, _ = summarize(scores, [dev], ["lucky", "steady", "other"])
    row = board.set_index("candidate").loc["lucky"]
    assert row["mark"] == "unranked" and math.isnan(row["rank"]) and math.isnan(row[dev.name])
    assert row["reason"].startswith("gamma_deviance is undefined on 3 of 5 folds")
    assert board["candidate"].iloc[0] == "steady"


def test_a_deviance_on_real_counts_ranks_a_negative_mean_last_with_the_tables_reason():
    """statsmodels' affairs (counts with many zeros): a linear model fitted by MAE predicts μ ≤ 0 for
    some rows with y > 0, where the Poisson deviance is truly +inf; poisson/linear cannot."""
    sm = pytest.importorskip("statsmodels.api")
    frame = sm.datasets.fair.load_pandas().data.iloc[:300]
    cmp = losslab.compare(frame, target="affairs", losses=["mae", "poisson"], models="linear", cv=3,
                          metrics=["poisson_deviance", "rmse"], model_params=FAST)  # fmt: skip
    by = cmp.leaderboard.set_index("candidate")
    assert by.loc["poisson/linear", "mark"] == "best"
    mae = by.loc["mae/linear"]
    assert (
        mae["poisson_deviance"] == math.inf and mae["mark"] == "worse" and mae["rank"] == by["rank"].max()
    )  # last
    assert "predictions ≤ 0 where the target is > 0" in mae["reason"]
    ranked = cmp.tests[cmp.tests["mark"] != "unranked"]
    assert not ranked["mean"].isna().any()  # no NaN in a ranked position, on any metric


def test_failed_folds_unrank_and_statistics_never_crash_on_missing_pairs():
    rmse = M.get_metric("rmse")
    scores = _scores(
        {"a": [1.0, 1.1, None, 1.0], "b": [1.5, 1.6, 1.4, 1.5], "c": [1.2, None, None, None]}, "rmse"
    )
    board, _ = summarize(scores, [rmse], ["a", "b", "c"])
    r = board.set_index("candidate")
    assert r.loc["a", "reason"] == "training failed on 1 of 4 folds" and r.loc["a", "mark"] == "unranked"
    assert r.loc["c", "reason"] == "training failed on 3 of 4 folds"
    assert r.loc["b", "mark"] == "best"


def test_infinite_loss_ranks_last_and_is_worse():
    ll = M.get_metric("log_loss")
    scores = _scores(
        {"p0": [0.2, math.inf, 0.21, 0.19], "good": [0.3, 0.31, 0.29, 0.30], "ok": [0.4, 0.41, 0.39, 0.4]},
        "log_loss",
        {"p0": "log_loss is +inf: a true class has probability 0"},
    )
    board, _ = summarize(scores, [ll], ["p0", "good", "ok"])
    assert board["candidate"].tolist() == ["good", "ok", "p0"]
    row = board.set_index("candidate").loc["p0"]
    assert row["mark"] == "worse" and row["rank"] == 3 and row["log_loss"] == math.inf
    assert row["reason"] == "log_loss is +inf on 1 of 4 folds: a true class has probability 0"
    v = verdict(board, ll)
    assert ("p0", math.inf, (math.inf, math.inf)) in v.worse and "p0 infinitely" in v.text


def test_candidates_infinite_on_every_fold_rank_last_without_a_warning():
    """Was: "Mean of empty slice" (a NaN sort key) when a candidate was +inf on every fold, as the
    gamma deviance of a linear fit predicting negative prices is on real data (Ecdat's Computers)."""
    ll = M.get_metric("log_loss")
    why = {c: "log_loss is +inf: a true class has probability 0" for c in ("all_inf", "some_inf")}
    scores = _scores(
        {"all_inf": [math.inf] * 4, "some_inf": [0.2, math.inf, 0.2, 0.2], "good": [0.3, 0.31, 0.29, 0.3]},
        "log_loss",
        why,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        board, _ = summarize(scores, [ll], ["all_inf", "some_inf", "good"])
    assert board["candidate"].tolist() == ["good", "some_inf", "all_inf"]


def test_a_difference_in_the_candidates_favour_is_never_worse():
    """Was: a candidate 0.1 RMSE better on every shared fold was marked "worse" (same for ROC-AUC)."""
    rmse, auc = M.get_metric("rmse"), M.get_metric("roc_auc")
    base = np.array([1.0, 1.2, 0.9, 1.1, 1.05, 0.95])
    board, _ = summarize(_scores({"a": list(base), "b": list(base - 0.1)}, "rmse"), [rmse], ["a", "b"])
    assert _marks(board) == {"b": "best", "a": "worse"}
    assert board.set_index("candidate").loc["a", "delta"] == pytest.approx(0.1)
    aucs = np.array([0.80, 0.82, 0.79, 0.81, 0.80, 0.83])
    board, _ = summarize(_scores({"x": list(aucs), "y": list(aucs + 0.05)}, "roc_auc"), [auc], ["x", "y"])
    assert _marks(board) == {"y": "best", "x": "worse"}
    x = board.set_index("candidate").loc["x"]
    assert x["delta"] == pytest.approx(0.05) and x["ci_low"] > 0  # "how much worse", positive


def test_coverage_is_ranked_and_tested_on_the_same_oriented_scores():
    """Was: ranked by |mean − τ| but tested on mean |cov − τ|. Now both on |cov − τ| per fold."""
    cov = M.get_metric("coverage:0.9")
    swing = [0.8, 1.0] * 4  # mean 0.9 exactly, but 0.1 off τ on every fold
    near = [0.95, 0.94, 0.96, 0.95, 0.95, 0.94, 0.96, 0.95]
    board, _ = summarize(_scores({"swing": swing, "near": near}, cov.name), [cov], ["swing", "near"])
    assert board["candidate"].iloc[0] == "near"
    assert board.set_index("candidate").loc["swing", "delta"] == pytest.approx(0.1 - 0.05, abs=1e-9)


def test_holm_over_all_pairs_and_the_one_implementation():
    rng = np.random.default_rng(3)
    vals = {c: list(1.0 + 0.2 * i + rng.normal(0, 0.05, 10)) for i, c in enumerate("abcd")}
    board, _ = summarize(_scores(vals, "rmse"), [M.get_metric("rmse")], list("abcd"))
    ref = design.compare_to_best(np.array([vals[c] for c in "abcd"]), 80, 20)
    by = board.set_index("candidate")
    for i, c in enumerate("abcd"):
        if c != "a":
            assert by.loc[c, "p_holm"] == pytest.approx(ref.p_adjusted[i])
            assert by.loc[c, "ci_low"] == pytest.approx(ref.ci_low[i])
    d = rng.normal(0.1, 0.2, 8)
    assert corrected_ttest(d, 80, 20).p_value == pytest.approx(
        float(design.corrected_t(d, 80, 20)[2]), rel=1e-15
    )
    p = np.array([0.01, 0.2, np.nan, 0.04])
    ok = np.isfinite(p)
    assert np.array_equal(holm(p)[ok], design.holm_adjust(p[ok])) and np.isnan(holm(p)[2])


def test_rope_defaults_fit_the_metric_and_can_be_set():
    ece = M.get_metric("ece")
    vals = {"a": [0.020, 0.022, 0.018, 0.021, 0.019], "b": [0.028, 0.030, 0.026, 0.029, 0.027]}
    board, _ = summarize(_scores(vals, "ece"), [ece], ["a", "b"])
    # 0.008 of ECE is a real calibration difference: the old absolute ROPE of 0.01 called it equivalent
    assert board.set_index("candidate").loc["b", "rope"] == 0.005 and _marks(board)["b"] != "≈ best"
    board, _ = summarize(_scores(vals, "ece"), [ece], ["a", "b"], rope={"ece": 0.02})
    assert _marks(board)["b"] == "≈ best"


def test_marks_and_reasons_are_fixed_lists():
    assert set(MARKS) == set(LEGEND)
    assert set(REASONS) == {"failed", "undefined", "infinite", "no_fold"}


# -- item 1: headline from the intent -----------------------------------------------------------
@pytest.mark.parametrize(
    ("predict", "task", "costs", "head"),
    [
        (None, "regression", None, "rmse"),
        ("mean", "count", None, "rmse"),
        ("median", "positive", None, "mae"),
        ("quantile:0.9", "regression", None, "pinball:0.9"),
        (None, "binary", None, "log_loss"),
        ("probability", "multiclass", None, "log_loss"),
        (None, "binary", {"fp": 1.0, "fn": 5.0}, "expected_cost"),
    ],
)
def test_headline_metric_from_the_intent(predict, task, costs, head):
    from losslab.compare.defaults import headline_metric
    from losslab.intent import parse_predict

    assert headline_metric(task, parse_predict(predict), costs) == head


def test_identical_headline_whichever_losses_are_passed():
    """Was: --loss mse --loss huber --loss mae --loss poisson on a positive target ranked by Poisson
    deviance, the poisson candidate's own metric."""
    frame = load_dataset("claims").iloc[:120]
    target = target_of("claims")
    heads = set()
    for losses in (["mse", "huber", "mae", "poisson"], ["poisson"], ["mae", "mse"], None):
        exp = plan_experiment(frame, target, losses=losses, models="linear", cv=3)
        heads.add(exp.metrics[0].name)
        assert len(exp.metrics) > 1  # the others are shown beside it
    assert heads == {"rmse"}


# -- items 3 and 4: default design, verdict -------------------------------------------------------
def test_default_design_within_the_budget_is_reused_by_a_rerun(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 2))
    frame = pd.DataFrame(X, columns=["a", "b"]).assign(y=X @ [1.0, -1.0] + rng.normal(0, 0.5, 150))
    kw = {"target": "y", "losses": ["mse", "mae"], "models": "linear", "model_params": FAST, "out": tmp_path}
    calls = []
    probe = setup._probe_seconds
    monkeypatch.setattr(setup, "_probe_seconds", lambda *a: calls.append(1) or probe(*a))
    first = losslab.compare(frame, budget=1e-3, **kw)  # nothing fits: the least a comparison needs
    d = first.config["design"]
    assert d["chosen"] and (d["folds"], d["repeats"]) == (5, 1) and first.config["n_folds"] == 5
    assert calls == [1] and json.loads((tmp_path / "design.json").read_text())["key"] == d["key"]
    again = losslab.compare(frame, budget=1e-3, **kw)
    assert calls == [1] and again.n_reused == len(again.tasks) == 15  # (2 losses + constant) × 5 folds
    assert losslab.compare(frame, cv=3, **kw).config["design"] == {"chosen": False, "key": d["key"]}


def test_chosen_folds_respect_the_rarest_class(monkeypatch):
    frame = load_dataset("breast_cancer").iloc[:, [0, 1, 30]]
    y = frame[target_of("breast_cancer")]
    rare = pd.concat([frame[y == "benign"], frame[y == "malignant"].iloc[:7]])  # 357 + 7 rows
    monkeypatch.setattr(setup, "_probe_seconds", lambda *a: 1e-3)  # a generous budget: 10 folds wanted
    exp = plan_experiment(rare, target_of("breast_cancer"), losses=["binary_crossentropy"], models="linear")
    assert exp.config["design"]["chosen"] and exp.config["cv"] == 7 == len({f.fold for f in exp.folds})


def test_verdict_in_summary_and_results_json(tmp_path):
    frame = load_dataset("breast_cancer").iloc[::4, [0, 1, 2, 3, 30]]
    cmp = losslab.compare(
        frame, target="diagnosis", losses=["binary_crossentropy", "hinge"], models=["linear"], cv=3,
        model_params=FAST, out=tmp_path,
    )  # fmt: skip
    v = cmp.verdict
    assert v.headline == "log_loss" and v.best == "binary_crossentropy/linear"
    assert v.unranked == [("hinge/linear", "log_loss is undefined on 3 of 3 folds: log_loss needs class "
                           "probabilities; this model has no predict_proba (a margin loss such as hinge "
                           "gives scores, not probabilities)")]  # fmt: skip
    assert cmp.summary().startswith(v.text) and "exploratory" in cmp.summary()
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["verdict"]["best"] == v.best and doc["verdict"]["unranked"][0]["candidate"] == "hinge/linear"
    assert set(doc["verdict"]) >= {"text", "headline", "best", "equivalent", "worse", "unranked"}


def test_cli_prints_verdict_exploratory_metrics_legend_and_takes_rope(tmp_path, monkeypatch):
    from losslab import cli
    from losslab.cli import app

    monkeypatch.setattr(cli.console, "width", 160)  # a wide terminal shows other metrics beside it
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    path = tmp_path / "reg.csv"
    pd.DataFrame(X, columns=["a", "b"]).assign(y=X @ [1.0, -1.0] + rng.normal(0, 0.3, 60)).to_csv(path)
    args = ["compare", str(path), "--target", "y", "--loss", "mse", "--loss", "mae", "--model", "linear",
            "--folds", "3", "--epochs", "4", "--rope", "rmse=10", "--out", str(tmp_path / "o")]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "verdict" in out and "Headline metric: rmse" in out and "exploratory" in out
    assert "≈ best" in out and "marks: best =" in out and "mae ↓" in out  # a second metric beside it
    bad = CliRunner().invoke(app, [*args[:-4], "--rope", "rmse", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "'--rope': expected METRIC=WIDTH" in " ".join(bad.output.split())
    assert not (tmp_path / "x").exists()
