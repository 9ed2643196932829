"""losslab.compare: statistics against hand computations, metrics, plan, failures, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import losslab
from losslab import metrics as M
from losslab.compare.plan import make_folds, task_seed
from losslab.compare.result import PartialResultWarning
from losslab.compare.stats import corrected_ttest, holm, summarize
from losslab.datasets import load as load_dataset

FAST = {"epochs": 4, "lr": 0.05, "hidden": (8,)}


# -- statistics ----------------------------------------------------------------------------------
def test_corrected_ttest_matches_hand_computation():
    d = np.array([0.02, 0.035, -0.01, 0.04, 0.015, 0.03])
    n_train, n_test = 80.0, 20.0
    J = d.size
    mean = d.sum() / J
    var = ((d - mean) ** 2).sum() / (J - 1)
    se = math.sqrt(var * (1 / J + n_test / n_train))
    t = mean / se
    p = 2 * (1 - sps.t.cdf(abs(t), J - 1))
    r = corrected_ttest(d, n_train, n_test, rope=0.01)
    assert r.df == J - 1
    assert r.t == pytest.approx(t, rel=1e-12)
    assert r.p_value == pytest.approx(p, rel=1e-9)
    # the uncorrected paired t-test is over-confident: its p-value is smaller
    assert sps.ttest_1samp(d, 0.0).pvalue < r.p_value
    # P(ROPE): Student-t posterior centred at the mean with the corrected scale
    post = sps.t(J - 1, loc=mean, scale=se)
    assert r.p_rope == pytest.approx(post.cdf(0.01) - post.cdf(-0.01), rel=1e-9)


def test_corrected_ttest_degenerate_cases():
    assert corrected_ttest([0.0, 0.0, 0.0], 10, 5).p_value == 1.0
    r = corrected_ttest([0.25, 0.25, 0.25], 10, 5, rope=0.05)
    assert r.p_value == 0.0 and r.p_rope == 0.0
    assert math.isnan(corrected_ttest([0.3], 10, 5).p_value)


def test_holm_adjustment():
    # hand: sorted 0.01, 0.03, 0.04 → 3·0.01, 2·0.03, max(0.06, 1·0.04)
    assert holm([0.04, 0.01, 0.03]).tolist() == pytest.approx([0.06, 0.03, 0.06])
    assert np.isnan(holm([np.nan, 0.2])[0])


def _scores(values: dict[str, list[float]], metric: str, n_train: int = 80, n_test: int = 20) -> pd.DataFrame:
    rows = []
    for cand, vals in values.items():
        for f, v in enumerate(vals):
            rows.append({"candidate": cand, "repeat": 0, "fold": f, "metric": metric, "value": v,
                         "n_train": n_train, "n_test": n_test})  # fmt: skip
    return pd.DataFrame(rows)


def test_summarize_marks_best_significant_and_equivalent():
    rmse = M.get_metric("rmse")
    scores = _scores(
        {
            "a": [1.00, 1.02, 0.98, 1.01, 0.99],
            "b": [1.001, 1.021, 0.981, 1.011, 0.991],  # tiny constant offset: practically equivalent
            "c": [2.00, 2.05, 1.95, 2.02, 1.98],  # clearly worse
            "d": [1.2, 0.8, 1.3, 0.7, 1.1],  # noisy: not significant
        },
        "rmse",
    )
    board, tests = summarize(scores, [rmse], ["a", "b", "c", "d"])
    marks = dict(zip(board["candidate"], board["mark"], strict=True))
    assert board["candidate"].iloc[0] == "a" and marks["a"] == "best"
    assert marks["b"] == "≈ best"
    assert marks["c"] == "worse"
    assert marks["d"] == "n.s."
    row = tests.set_index("candidate").loc["c"]
    assert row["delta"] == pytest.approx(np.mean([2.00, 2.05, 1.95, 2.02, 1.98]) - 1.0)


def test_summarize_direction_and_coverage():
    auc = M.get_metric("roc_auc")
    board, _ = summarize(
        _scores({"x": [0.7, 0.72, 0.71], "y": [0.9, 0.91, 0.92]}, "roc_auc"), [auc], ["x", "y"]
    )
    assert board["candidate"].iloc[0] == "y"
    cov = M.get_metric("coverage:0.9")
    board, _ = summarize(
        _scores({"x": [0.7, 0.72, 0.71], "y": [0.95, 0.97, 0.96]}, "coverage:0.9"), [cov], ["x", "y"]
    )
    assert board["candidate"].iloc[0] == "y"  # |0.96 − 0.9| < |0.71 − 0.9|


# -- metrics -------------------------------------------------------------------------------------
def test_metrics_against_references():
    from sklearn.metrics import log_loss, mean_pinball_loss, roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    logits = rng.normal(0, 2, 200)
    p1 = 1 / (1 + np.exp(-logits))
    proba = np.column_stack([1 - p1, p1])
    pred = M.Predictions(y_true=y, proba=proba, logits=logits, label=(p1 >= 0.5).astype(int), n_classes=2)
    assert M.get_metric("log_loss")(pred) == pytest.approx(log_loss(y, p1), rel=1e-10)
    assert M.get_metric("roc_auc")(pred) == pytest.approx(roc_auc_score(y, p1))
    # exact log loss from logits where sklearn's clipping would saturate
    far = M.Predictions(y_true=np.array([1]), logits=np.array([-800.0]), n_classes=2)
    assert M.get_metric("log_loss")(far) == pytest.approx(800.0)
    yr = rng.normal(size=100)
    v = yr + rng.normal(size=100)
    rp = M.Predictions(y_true=yr, value=v)
    assert M.get_metric("pinball:0.9")(rp) == pytest.approx(mean_pinball_loss(yr, v, alpha=0.9))
    assert M.get_metric("coverage:0.9")(rp) == pytest.approx(np.mean(yr <= v))


def test_expected_calibration_error_by_hand():
    y = np.array([1, 1, 0, 0])
    proba = np.array([[0.1, 0.9], [0.1, 0.9], [0.8, 0.2], [0.6, 0.4]])
    # bins (10): 0.9 → bin 9 (2 rows, |1 − 0.9|), 0.2 → bin 2 (|0 − 0.2|), 0.4 → bin 4 (|0 − 0.4|)
    expect = 0.5 * 0.1 + 0.25 * 0.2 + 0.25 * 0.4
    assert M.expected_calibration_error(y, proba) == pytest.approx(expect)


def test_expected_cost():
    pred = M.Predictions(y_true=np.array([0, 1, 1, 0]), label=np.array([1, 0, 1, 0]), n_classes=2,
                         costs={"fp": 1.0, "fn": 5.0})  # fmt: skip
    assert M.get_metric("expected_cost")(pred) == pytest.approx((1 * 1 + 5 * 1) / 4)


def test_metric_undefined_is_a_reason_not_zero():
    pred = M.Predictions(y_true=np.array([1, 1, 1]), label=np.array([1, 1, 1]), n_classes=2)
    with pytest.raises(M.MetricUndefined, match="probabilities"):
        M.get_metric("roc_auc")(pred)
    with pytest.raises(M.MetricUndefined, match="msle needs predictions"):
        M.get_metric("msle")(M.Predictions(y_true=np.array([1.0]), value=np.array([-2.0])))


def test_metric_names_and_tasks():
    with pytest.raises(losslab.DataError, match="unknown metric 'auc'"):
        M.get_metric("auc")
    with pytest.raises(losslab.DataError, match="'roc_auc' does not fit the task 'regression'"):
        M.resolve_metrics(["rmse", "roc_auc"], "regression")
    with pytest.raises(losslab.DataError, match="level"):
        M.get_metric("pinball:1.5")
    assert M.get_metric("rmse").direction == "↓" and M.get_metric("r2").direction == "↑"


# -- plan ----------------------------------------------------------------------------------------
def test_folds_stratified_reproducible_and_seeded():
    y = np.array([0] * 30 + [1] * 10)
    a = make_folds(y, "classification", cv=5, repeats=2, seed=3)
    b = make_folds(y, "classification", cv=5, repeats=2, seed=3)
    assert len(a) == 10
    for fa, fb in zip(a, b, strict=True):
        assert np.array_equal(fa.test, fb.test)
        assert np.bincount(y[fa.test]).tolist() == [6, 2]
    assert not np.array_equal(a[0].test, make_folds(y, "classification", cv=5, seed=4)[0].test)
    assert task_seed(0, 0, 1) != task_seed(0, 0, 2)
    with pytest.raises(losslab.DataError, match="class 1 of the target has 1 rows"):
        make_folds(np.array([0] * 10 + [1]), "classification", cv=3)


# -- compare end to end (tiny) --------------------------------------------------------------------
@pytest.fixture(scope="module")
def reg_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.3, 60)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["color"] = rng.choice(["red", "blue"], 60)
    frame["y"] = y
    return frame


def test_compare_regression_records_failures_and_writes_results(reg_frame, tmp_path):
    out = tmp_path / "out"
    with pytest.warns(PartialResultWarning, match="failed on every fold: poisson/linear"):
        cmp = losslab.compare(
            reg_frame, target="y", losses=["mse", "mae", "poisson"], models=["linear"], cv=3, seed=0,
            out=out, model_params=FAST, task="regression",
        )  # fmt: skip
    board = cmp.leaderboard
    assert list(board.columns[:5]) == ["rank", "candidate", "loss", "model", "mark"]
    assert set(board["candidate"]) == {"mse/linear", "mae/linear", "poisson/linear", "mse/constant"}
    # poisson cannot take the negative targets: its 3 tasks fail, are recorded, the rest go on
    assert len(cmp.failures) == 3 and set(cmp.failures["candidate"]) == {"poisson/linear"}
    pois = board.set_index("candidate").loc["poisson/linear"]
    assert pois["n_failed"] == 3 and pois["mark"] == "failed" and np.isnan(pois["rmse"])
    assert pois["reason"] == "training failed on 3 of 3 folds"
    assert board["mark"].iloc[0] == "best" and board["n_folds"].iloc[0] == 3
    # per-fold scores: the same (repeat, fold) pairs for every finished candidate
    s = cmp.scores[cmp.scores["metric"] == "rmse"]
    assert (
        sorted(s[s.candidate == "mse/linear"].fold)
        == sorted(s[s.candidate == "mae/linear"].fold)
        == [0, 1, 2]
    )
    # out-of-fold predictions cover every row once
    assert np.array_equal(np.sort(cmp.oof["mse/linear"]["index"]), np.arange(60))
    doc = json.loads((out / "results.json").read_text())
    for key in (
        "schema",
        "task",
        "metrics",
        "candidates",
        "leaderboard",
        "tests",
        "scores",
        "failures",
        "tasks",
    ):
        assert key in doc
    assert (
        doc["schema"] == "losslab.compare/1" and len(doc["tasks"]) == 12
    )  # 3 losses and the baseline × 3 folds
    assert pd.read_csv(out / "leaderboard.csv")["candidate"].tolist() == board["candidate"].tolist()
    assert len(list((out / "tasks").glob("*.json"))) == 12
    assert "failed task" in cmp.summary()


def test_compare_binary_hinge_has_nan_probability_metrics_with_reasons(tmp_path):
    frame = load_dataset("breast_cancer").iloc[::4, [0, 1, 2, 3, 30]]  # 143 rows
    cmp = losslab.compare(
        frame, target="diagnosis", losses=["binary_crossentropy", "hinge"], models=["linear"], cv=3,
        model_params=FAST,
    )  # fmt: skip
    assert cmp.task == "binary" and cmp.classes == ["benign", "malignant"]
    s = cmp.scores
    # ROC-AUC needs only a ranking: the hinge's decision scores give it (issue 12); log loss stays NaN
    hinge_auc = s[(s.candidate == "hinge/linear") & (s.metric == "roc_auc")]
    assert hinge_auc["value"].notna().all() and (hinge_auc["value"] > 0.5).all()
    hinge_ll = s[(s.candidate == "hinge/linear") & (s.metric == "log_loss")]
    assert hinge_ll["value"].isna().all() and hinge_ll["reason"].str.contains("probabilities").all()
    acc = s[(s.candidate == "hinge/linear") & (s.metric == "accuracy")]
    assert acc["value"].notna().all() and (acc["value"] > 0.5).all()
    assert cmp.leaderboard["candidate"].iloc[0] == "binary_crossentropy/linear"  # log loss ranks


def test_compare_resumes_and_fingerprint_invalidates(reg_frame, tmp_path):
    kw = {
        "target": "y",
        "losses": ["mse"],
        "models": ["linear"],
        "cv": 3,
        "task": "regression",
        "out": tmp_path,
    }
    first = losslab.compare(reg_frame, model_params=FAST, **kw)
    again = losslab.compare(reg_frame, model_params=FAST, **kw)
    assert again.n_reused == 6  # mse/linear and the mse/constant baseline
    pd.testing.assert_frame_equal(first.leaderboard, again.leaderboard)
    changed = losslab.compare(reg_frame, model_params={**FAST, "epochs": 5}, **kw)
    assert changed.n_reused == 0
    other = reg_frame.assign(y=reg_frame["y"] + 1.0)
    assert losslab.compare(other, model_params={**FAST, "epochs": 5}, **kw).n_reused == 0


def test_advised_compare_takes_the_advisors_losses_refit_per_fold(reg_frame):
    # the advisor's picks moved above compare (compare and advise are peers): losslab.workflows
    from losslab.workflows.advised import advised_compare

    cmp = advised_compare(reg_frame, target="y", models=["linear"], cv=3, top=2, model_params=FAST)
    assert cmp.advice is not None and cmp.task == cmp.advice.task
    names = [r.name for r in cmp.advice.recommendations[:2]]
    assert [c.loss["name"] for c in cmp.candidates if c.model != "constant"] == names
    # issue 12: the headline comes from the intent (the mean: RMSE), never from the advisor's top loss
    assert cmp.metrics[0].name == "rmse"
    assert losslab.compare(reg_frame, target="y", models=["linear"], cv=3, model_params=FAST).advice is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"target": "nope"}, "target column 'nope' is not in the table"),
        ({"target": "y", "losses": ["binary_crossentropy"]}, "binary loss; it does not fit the regression"),
        ({"target": "y", "losses": ["mse"], "metrics": ["roc_auc"]}, "'roc_auc' does not fit the task"),
        ({"target": "y", "losses": ["mse"], "metrics": ["rsme"]}, "unknown metric 'rsme'"),
        ({"target": "y", "losses": ["nope_loss"]}, "nope_loss"),
        ({"target": "y", "losses": ["mse"], "cv": 1}, "at least 2 folds"),
        ({"target": "y", "losses": ["mse"], "costs": "fp=1"}, "exactly the keys .fp. and .fn."),
    ],
)
def test_bad_input_raises_before_writing(reg_frame, tmp_path, kwargs, match):
    out = tmp_path / "never"
    with pytest.raises(losslab.LosslabError, match=match):
        losslab.compare(reg_frame, task="regression", models=["linear"], out=out, **kwargs)
    assert not out.exists()


def test_quantile_intent_sets_the_headline_level():
    frame = load_dataset("heavy_tails").iloc[:150]
    cmp = losslab.compare(
        frame, target="y", models=["linear"], cv=3, top=2, predict="quantile:0.9", model_params=FAST
    )
    assert [m.name for m in cmp.metrics[:2]] == ["pinball:0.9", "coverage:0.9"]
    assert cmp.candidates[0].loss == {"name": "quantile", "quantile": 0.9}


def test_default_metrics_respect_the_target_domain():
    y = np.array([0.0, 1.5, 3.0])
    assert "gamma_deviance" not in M.default_metrics("positive", y=y)
    assert M.default_metrics("positive", y=y + 1)[0] == "gamma_deviance"
    assert "msle" not in M.default_metrics("regression", y=np.array([-2.0, 1.0]))


def test_diverging_training_is_recorded_and_the_rest_go_on():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=X @ np.array([1.0, -2.0, 0.5]) * 1e3)
    params = {"epochs": 20, "lr": 1e12, "optimizer": "sgd"}
    kw = {"losses": ["mse", "mae"], "models": ["linear"], "cv": 3, "task": "regression"}
    with pytest.warns(PartialResultWarning):
        cmp = losslab.compare(frame, target="y", model_params=params, **kw)
    assert cmp.partial and cmp.failed_candidates == ["mse/linear"]
    assert set(cmp.failures["error_type"]) == {"DivergenceError"}
    assert set(cmp.failures["candidate"]) == {"mse/linear"}
    assert cmp.leaderboard.set_index("candidate").loc["mae/linear", "n_folds"] == 3


def test_loss_spec_may_name_a_users_module():
    from losslab.compare.spec import parse_loss

    assert losslab.get(parse_loss("losslab.losses.robust:LogCosh")) == losslab.get("log_cosh")
    assert losslab.get(parse_loss("losslab.losses.regression:Huber:delta=2")) == losslab.get("huber", delta=2)


def test_one_vs_rest_candidates_are_scored_on_normalised_probabilities() -> None:
    """multiclassova's σ(zⱼ) rows need not sum to 1: compare scores the classifier's normalised
    probabilities (log loss and Brier on a distribution; scikit-learn's metrics warn otherwise)."""
    import warnings

    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    frame = X.assign(cultivar=y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cmp = losslab.compare(
            frame,
            target="cultivar",
            losses=["categorical_crossentropy", "multiclassova"],
            models=["linear"],
            cv=3,
        )
    assert not [w for w in caught if "do not sum to one" in str(w.message)]
    oof = cmp.oof["multiclassova/linear"]["proba"]
    np.testing.assert_allclose(oof.sum(axis=1), 1.0, rtol=1e-12)
    board = cmp.leaderboard.set_index("candidate")
    assert np.isfinite(board.loc["multiclassova/linear", "brier"])
