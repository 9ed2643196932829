"""Issue 12, item 6: the candidates compare runs.

Equivalent losses merged by metadata, ``tweedie:power=auto`` fitted per fold from features, msle
trainable with defaults (its output floored by construction), decision losses ranked by ROC-AUC
from their scores, an intercept-only baseline always shown, and the default models. Real data
from statsmodels and scikit-learn's bundled sets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.compare.plan import make_folds
from losslab.compare.setup import plan_experiment
from losslab.losses.counts import tweedie_power
from losslab.metrics import Predictions, get_metric

FAST = {"epochs": 8}


@pytest.fixture(scope="module")
def randhie() -> pd.DataFrame:
    """RAND health insurance experiment: doctor visits (counts with many zeros) and 9 covariates."""
    sm = pytest.importorskip("statsmodels.api")
    return sm.datasets.randhie.load_pandas().data.sample(1500, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="module")
def diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True).frame  # target: disease progression, 25 … 346


# -- 1. equivalent candidates merged -----------------------------------------------------------
def test_tweedie_power_1_is_merged_into_poisson_with_a_note(randhie):
    exp = plan_experiment(
        randhie, "mdvis", losses=["poisson", "tweedie:power=1", "mse"], models="linear", cv=3
    )
    assert [loss.name for loss in exp.losses] == ["poisson", "mse"]
    assert exp.notes == ["tweedie(power=1) is poisson: ran once"]
    assert not any(c.name.startswith("tweedie") for c in exp.plan.candidates)


def test_merge_note_reaches_the_comparison_and_results_json(randhie, tmp_path):
    from losslab.compare.result import PartialResultWarning

    with pytest.warns(PartialResultWarning, match="failed on every fold: gamma/linear"):
        cmp = losslab.compare(randhie, target="mdvis", losses=["tweedie:power=2", "gamma", "poisson"],
                              models="linear", cv=3, model_params=FAST, out=tmp_path / "o",
                              task="regression", metrics=["rmse"])  # fmt: skip
    # mdvis has zeros: gamma cannot take them, but the merge is decided from metadata before any run;
    # of the two the canonical one (gamma) stays, in the first one's place
    assert cmp.notes == ["tweedie(power=2) is gamma: ran once"]
    assert "note: tweedie(power=2) is gamma: ran once" in cmp.summary()
    import json

    assert json.loads((tmp_path / "o" / "results.json").read_text())["notes"] == cmp.notes


def test_different_losses_and_auto_parameters_are_not_merged(randhie):
    exp = plan_experiment(randhie, "mdvis", losses=["poisson", "tweedie:power=auto", "tweedie:power=1.5"],
                          models="linear", cv=3)  # fmt: skip
    assert len(exp.losses) == 3 and exp.notes == []


# -- 2. tweedie:power=auto --------------------------------------------------------------------
def test_tweedie_power_auto_is_fitted_on_each_training_fold_from_the_features(randhie):
    exp = plan_experiment(randhie, "mdvis", losses=["tweedie:power=auto"], models="linear", cv=3)
    folds = make_folds(exp.target.y_eval, "regression", 3)
    expected = [tweedie_power(exp.target.y_eval[f.train], exp.X.iloc[f.train]) for f in folds]
    got = [t.loss["power"] for t in exp.plan.tasks if t.model == "linear"]
    assert got == expected
    assert len(set(got)) > 1  # each fold's own rows
    # the counts are overdispersed (Var ≫ mean) yet have zeros: 1 < p < 2
    assert all(1.0 < p < 2.0 for p in got)


def test_tweedie_power_rule_snaps_clips_and_needs_features(diabetes, randhie):
    y = diabetes["target"].to_numpy()
    p = tweedie_power(y, diabetes.drop(columns="target"))
    assert p in (1.0, 2.0) or (1.1 <= p <= 1.9 or 2.1 <= p <= 3.0)
    assert tweedie_power(y) == 1.5  # no features: the loss's default
    assert tweedie_power(y, diabetes[["sex"]].astype(str)) == 1.5  # no numeric feature
    # zeros in y: never ≥ 2, which could not take y = 0
    assert tweedie_power(randhie["mdvis"], randhie.drop(columns="mdvis")) < 2.0
    # a rule that needs X still resolves through the loss API
    fitted = losslab.get("tweedie", power="auto").fit_auto(y, diabetes.drop(columns="target"))
    assert fitted.power == p


# -- 3. msle trains with defaults -------------------------------------------------------------
@pytest.mark.parametrize("model", ["linear", "mlp", "gbdt"])
def test_msle_trains_with_default_settings_and_predicts_above_minus_one(model, randhie, diabetes):
    from losslab.sklearn import LossRegressor

    for frame, target in ((randhie, "mdvis"), (diabetes, "target")):
        X, y = frame.drop(columns=target), frame[target]
        est = LossRegressor(loss="msle", model=model).fit(X, y)  # no lr, no epochs: the defaults
        assert all(np.isfinite(r["train_loss"]) for r in est.history_)
        pred = est.predict(X)
        assert np.all(pred > -1.0) and np.all(np.isfinite(pred))
        # it learnt something: better than its own constant on log1p scale
        const = LossRegressor(loss="msle", model="constant").fit(X, y).predict(X)
        msle = losslab.get("msle")
        assert msle(y.to_numpy(), pred) < msle(y.to_numpy(), const)


def test_msle_output_is_expm1_of_the_affine_score():
    import torch

    from losslab.train.models import LinearModel, output_floor

    assert output_floor(losslab.get("msle")) == -1.0
    m = LinearModel(1, floor=-1.0, init_bias=0.0)
    with torch.no_grad():
        m.linear.weight.fill_(1.0)
    s = torch.tensor([[-30.0], [-2.0], [0.0], [3.0]], dtype=torch.float64)
    f = m(s)
    assert torch.all(f > -1.0)  # (float64 rounds expm1(s) to −1 only below s ≈ −37)
    assert torch.allclose(torch.log1p(f[1:]), s[1:, 0], rtol=1e-12)  # log1p(f) = s


# -- 4. decision losses ranked by ROC-AUC from scores -----------------------------------------
def test_hinge_gets_roc_and_pr_auc_from_decision_scores_but_no_probability_metrics():
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import roc_auc_score

    frame = load_breast_cancer(as_frame=True).frame
    cmp = losslab.compare(frame, target="target", losses=["hinge", "binary_crossentropy"], models="linear",
                          cv=3, model_params=FAST, task="binary",
                          metrics=["roc_auc", "pr_auc", "log_loss", "brier"])  # fmt: skip
    board = cmp.leaderboard.set_index("candidate")
    assert board.loc["hinge/linear", "roc_auc"] > 0.95 and board.loc["hinge/linear", "pr_auc"] > 0.95
    assert np.isnan(board.loc["hinge/linear", "log_loss"])
    reasons = cmp.scores.query("candidate == 'hinge/linear' and metric == 'brier'")["reason"]
    assert reasons.str.contains("margin loss such as hinge").all()
    # the per-fold ROC-AUC is sklearn's on the stored decision scores
    rec = cmp.scores.query("candidate == 'hinge/linear' and metric == 'roc_auc'").iloc[0]
    assert 0.5 < rec["value"] <= 1.0
    z = np.array([-2.0, 0.5, 1.0, -0.1])
    y = np.array([0, 1, 1, 0])
    assert get_metric("roc_auc")(Predictions(y_true=y, score=z, n_classes=2)) == roc_auc_score(y, z)


def test_multiclass_hinge_roc_auc_is_one_vs_rest_macro_on_scores():
    from sklearn.datasets import load_iris
    from sklearn.metrics import roc_auc_score

    frame = load_iris(as_frame=True).frame
    cmp = losslab.compare(frame, target="target", losses=["multiclass_hinge"], models="linear", cv=3,
                          model_params=FAST, metrics=["roc_auc", "log_loss"])  # fmt: skip
    auc = cmp.scores.query("candidate == 'multiclass_hinge/linear' and metric == 'roc_auc'")["value"]
    assert (auc > 0.75).all()  # the linear model at the hinge optimum: 0.80–0.84 one-vs-rest per fold
    rng = np.random.default_rng(0)
    y, s = np.arange(30) % 3, rng.normal(size=(30, 3))
    got = get_metric("roc_auc")(Predictions(y_true=y, score=s, n_classes=3))
    assert got == pytest.approx(np.mean([roc_auc_score(y == k, s[:, k]) for k in range(3)]))
    assert get_metric("roc_auc").needs == "score" and get_metric("log_loss").needs == "probability"


# -- 5. the intercept-only baseline -----------------------------------------------------------
def test_baseline_constant_is_the_headline_metrics_own_loss_and_is_ranked(diabetes):
    cmp = losslab.compare(diabetes, target="target", losses=["mse"], models="linear", cv=3,
                          model_params=FAST, metrics=["mae", "rmse"])  # fmt: skip
    assert [c.name for c in cmp.candidates] == ["mse/linear", "mae/constant"]
    board = cmp.leaderboard.set_index("candidate")
    assert board.loc["mae/constant", "model"] == "constant" and np.isfinite(board.loc["mae/constant", "rank"])
    # on each fold it predicts the training rows' median: the MAE's best constant
    y = diabetes["target"].to_numpy()
    oof = cmp.oof["mae/constant"]
    for f in make_folds(y, "regression", 3):
        rows = np.isin(oof["index"], f.test)
        assert np.allclose(oof["value"][rows], np.median(y[f.train]))
    assert board.loc["mse/linear", "rank"] < board.loc["mae/constant", "rank"]  # features help here


def test_baseline_for_classification_predicts_the_class_priors():
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    cmp = losslab.compare(frame, target="target", losses=["categorical_crossentropy"], models="linear", cv=3,
                          model_params=FAST, metrics=["log_loss"])  # fmt: skip
    base = cmp.oof["categorical_crossentropy/constant"]
    assert np.allclose(base["proba"], 1 / 3, atol=0.02)  # iris: 50 of each class
    lead = cmp.scores.query("candidate == 'categorical_crossentropy/constant'")["value"]
    assert np.allclose(lead, np.log(3), atol=0.01)


# -- 6. default models ------------------------------------------------------------------------
def test_default_models_are_linear_and_gbdt(diabetes):
    pytest.importorskip("lightgbm")
    exp = plan_experiment(diabetes, "target", losses=["mse"], cv=3)
    assert [c.name for c in exp.plan.candidates] == ["mse/linear", "mse/gbdt", "mse/constant"]
    from losslab.workflows.demo import DEMO_SETTINGS

    assert DEMO_SETTINGS["models"] == ("linear", "gbdt")


def test_compare_help_names_the_models():
    from typer.testing import CliRunner

    from losslab.cli import app

    res = CliRunner().invoke(app, ["compare", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert "linear, gbdt (LightGBM) or mlp" in res.output and "linear and/or mlp" not in res.output


def test_auto_candidate_fitted_to_an_existing_one_on_every_fold_runs_once():
    """The demo's case: the advisor's tweedie with power 'auto' is fitted to 1 on every training
    fold of diabetes, which is poisson: it ran next to poisson, a third of the demo's compute."""
    from losslab.datasets import load

    frame = load("diabetes")
    exp = plan_experiment(
        frame, "progression", losses=["poisson", "tweedie:power=auto"], models="linear", cv=3
    )
    assert [loss.name for loss in exp.losses] == ["poisson"]
    assert exp.notes == ["tweedie(power=auto) was fitted to poisson on every fold: ran once"]
    assert not any(c.name.startswith("tweedie") for c in exp.plan.candidates)
