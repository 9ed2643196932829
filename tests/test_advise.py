"""losslab.advise: task inference, diagnostics, and the right top loss on data with known truth."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab import DataError, ParameterError
from losslab.advise import Advice, infer_task

N = 1500
METRICS = {
    "mae", "rmse", "r2", "msle", "pinball", "coverage", "poisson_deviance", "gamma_deviance",
    "tweedie_deviance", "accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss",
    "brier", "ece", "expected_cost",
}  # fmt: skip


def _features(seed: int = 0, n: int = N) -> tuple[np.ndarray, np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([1.0, -0.5, 0.3]), rng


def _tweedie(rng: np.random.Generator, mu: np.ndarray, p: float = 1.5, phi: float = 1.0) -> np.ndarray:
    """Compound Poisson–Gamma draws with mean mu and Var = phi·mu^p (1 < p < 2)."""
    lam = mu ** (2 - p) / (phi * (2 - p))
    shape = (2 - p) / (p - 1)
    scale = phi * (p - 1) * mu ** (p - 1)
    counts = rng.poisson(lam)
    return np.array([rng.gamma(shape, s, size=k).sum() for k, s in zip(counts, scale, strict=True)])


def _cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    X, lin, rng = _features()
    n = len(lin)
    return {
        "gaussian": (X, lin + rng.normal(size=n)),
        "student_t2": (X, lin + rng.standard_t(2, size=n)),
        "contaminated": (X, lin + np.where(rng.random(n) < 0.1, rng.normal(0, 10, n), rng.normal(size=n))),
        "lognormal": (X, np.exp(1 + 0.5 * lin) * rng.lognormal(0, 0.5, n)),
        "poisson": (X, rng.poisson(np.exp(0.5 + 0.4 * lin)).astype(float)),
        "tweedie": (X, _tweedie(rng, np.exp(0.3 * lin))),
    }


CASES = _cases()


def _imbalanced(seed: int = 1, n: int = 5100) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    p = 1 / (1 + np.exp(-(X @ [1.0, 1.0, 0.0, 0.0] - 5.0)))
    return X, (rng.random(n) < p).astype(int)


# ---------------------------------------------------------------------------------------------
# known truth → the right top recommendation


def test_gaussian_noise_gives_mse():
    advice = losslab.advise(*CASES["gaussian"][:1], y=CASES["gaussian"][1])
    assert advice.task == "regression"
    assert advice.best.name == "mse"
    assert advice.best.estimates == "mean"
    assert advice.best.metrics[0] == "rmse"


@pytest.mark.parametrize("case", ["student_t2", "contaminated"])
def test_heavy_tails_give_huber_or_mae(case):
    X, y = CASES[case]
    advice = losslab.advise(X, y=y)
    assert advice.best.name in ("huber", "mae")
    assert advice.diagnostics["residual_outlier_share_iqr"] > 0.02
    names = [r.name for r in advice.recommendations]
    assert names.index("mse") > names.index("huber")


def test_huber_delta_comes_from_the_robust_residual_scale():
    X, y = CASES["contaminated"]  # the clean part has unit noise
    advice = losslab.advise(X, y=y)
    huber = next(r for r in advice.recommendations if r.name == "huber")
    scale = advice.diagnostics["residual_scale"]
    assert huber.loss.delta == pytest.approx(1.345 * scale)
    assert 1.0 < scale < 1.6  # ≈ σ = 1 of the clean noise, slightly inflated by the 10% outliers


def test_lognormal_multiplicative_noise_gives_log_or_gamma_family():
    X, y = CASES["lognormal"]
    advice = losslab.advise(X, y=y)
    assert advice.task == "positive"
    top = advice.best
    assert top.name in ("gamma", "msle") or (top.name == "tweedie" and top.loss.power >= 1.8)
    assert 1.6 < advice.diagnostics["variance_power"] < 2.4


def test_poisson_counts_give_poisson():
    X, y = CASES["poisson"]
    advice = losslab.advise(X, y=y)
    assert advice.task == "count"
    assert advice.best.name == "poisson"
    assert advice.best.metrics[0] == "rmse"  # compare's headline for the mean (issue 12)
    assert 0.6 < advice.diagnostics["variance_power"] < 1.4


def test_zero_inflated_positive_gives_tweedie_with_power_between_1_and_2():
    X, y = CASES["tweedie"]
    advice = losslab.advise(X, y=y)
    assert advice.diagnostics["share_zero"] > 0.1
    assert advice.task == "positive"
    assert advice.best.name == "tweedie"
    assert 1.1 <= advice.best.loss.power <= 1.9
    assert abs(advice.diagnostics["variance_power"] - 1.5) < 0.35


def test_imbalance_with_costs_gives_cost_sensitive_loss_and_threshold():
    X, y = _imbalanced()
    assert 35 < np.bincount(y)[0] / np.bincount(y)[1] < 80  # about 1:50
    advice = losslab.advise(X, y=y, costs={"fp": 1, "fn": 10})
    assert advice.threshold == pytest.approx(1 / 11)
    assert advice.predict == "decision"
    top = advice.best
    cost_aware = top.name == "cost_sensitive_bce" or (
        top.name == "binary_crossentropy" and top.loss.pos_weight == pytest.approx(10.0)
    )
    assert cost_aware, top.label
    if top.name == "cost_sensitive_bce":
        assert (top.loss.fp_cost, top.loss.fn_cost) == (1.0, 10.0)
    assert any("0.09091" in reason for reason in top.reasons)
    assert "expected_cost" in top.metrics
    assert any(m.code.startswith("CLASS_IMBALANCE") for m in advice.messages)
    plain = [
        r for r in advice.recommendations if r.name == "binary_crossentropy" and r.loss.pos_weight == 1.0
    ]
    assert plain, "the calibrated log loss + threshold route is offered too"


def test_costs_with_predict_probability_keep_log_loss_first():
    X, y = _imbalanced()
    advice = losslab.advise(X, y=y, costs="fp=1,fn=10", predict="probability")
    assert advice.best.label == "binary_crossentropy"
    assert advice.threshold == pytest.approx(1 / 11)


def test_predict_quantile_gives_pinball_at_that_level():
    X, y = CASES["gaussian"]
    advice = losslab.advise(X, y=y, predict="quantile:0.9")
    assert advice.predict == "quantile(0.9)"
    assert advice.best.name == "quantile"
    assert advice.best.loss.quantile == 0.9
    assert advice.best.estimates == "quantile(0.9)"
    assert advice.best.metrics[:2] == ["pinball", "coverage"]


def test_predict_median_gives_mae():
    X, y = CASES["gaussian"]
    assert losslab.advise(X, y=y, predict="median").best.name == "mae"


def test_predict_expectile():
    if "expectile" not in losslab.list_losses():
        pytest.skip("the expectile loss is not registered in this build")
    X, y = CASES["gaussian"]
    advice = losslab.advise(X, y=y, predict="expectile:0.8")
    assert advice.best.name == "expectile"
    assert advice.best.loss.params["expectile"] == 0.8


def test_imbalanced_multiclass_gets_class_balanced_weights():
    rng = np.random.default_rng(3)
    codes = np.repeat([0, 1, 2], [900, 250, 40])
    X = rng.normal(size=(len(codes), 2)) + codes[:, None]
    # 0/1/2 codes this skewed look like small counts as much as classes: named as the alternative
    ambiguous = losslab.advise(X, y=codes)
    assert ambiguous.task == "count" and "multiclass" in ambiguous.alternatives
    for advice in (
        losslab.advise(X, y=codes, task="multiclass"),
        losslab.advise(X, y=np.array(list("abc"))[codes]),
    ):
        assert advice.task == "multiclass" and advice.best.name == "categorical_crossentropy"
        weighted = next(r for r in advice.recommendations if r.loss.params.get("class_weight") is not None)
        w = weighted.loss.class_weight
        assert w[0] < w[1] < w[2]  # classes in sorted label order: rarer class, larger weight
        assert any("recalibrate" in c for c in weighted.caveats)


# ---------------------------------------------------------------------------------------------
# every recommendation: a registered loss, a reason citing a measured value, known metrics


def _all_advice() -> list[Advice]:
    from sklearn.datasets import load_breast_cancer, load_iris

    out = [losslab.advise(X, y=y) for X, y in CASES.values()]
    out.append(losslab.advise(*_imbalanced(), costs={"fp": 1, "fn": 10}))
    out.append(losslab.advise(CASES["gaussian"], predict="quantile:0.9"))
    for loader in (load_iris, load_breast_cancer):
        b = loader()
        out.append(losslab.advise(b.data, y=b.target))
    return out


def test_every_recommendation_cites_a_measured_value():
    for advice in _all_advice():
        assert 3 <= len(advice.recommendations) <= 5, advice
        for rec in advice.recommendations:
            assert isinstance(rec.loss, losslab.Loss)
            assert rec.name in losslab.list_losses()
            assert rec.reasons, rec.label
            assert any(re.search(r"\d", reason) for reason in rec.reasons), (rec.label, rec.reasons)
            assert rec.metrics and set(rec.metrics) <= METRICS, rec.metrics
        scores = [r.score for r in advice.recommendations]
        assert scores == sorted(scores, reverse=True)
        assert [r.rank for r in advice.recommendations] == list(range(1, len(scores) + 1))


def test_non_proper_losses_carry_a_caveat():
    X, y = _imbalanced()
    advice = losslab.advise(X, y=y)
    for rec in advice.recommendations:
        weighted = rec.loss.params.get("pos_weight", 1.0) != 1.0
        if "focal" in rec.name or weighted or rec.name == "hinge":
            assert rec.caveats, rec.label


def test_to_dict_json_and_str():
    X, y = CASES["tweedie"]
    advice = losslab.advise(X, y=y)
    data = json.loads(advice.to_json())
    assert data["task"] == advice.task
    first = data["recommendations"][0]
    assert losslab.get(first["loss"]) == advice.best.loss
    assert first["reasons"] == advice.best.reasons
    assert isinstance(data["diagnostics"]["variance_power"], float)
    text = str(advice)
    assert advice.best.label in text and "task positive" in text
    assert advice.top(2) == [r.loss for r in advice.recommendations[:2]]


# ---------------------------------------------------------------------------------------------
# task inference


@pytest.mark.parametrize(
    ("loader", "task"),
    [
        ("load_iris", "multiclass"),
        ("load_breast_cancer", "binary"),
        ("load_diabetes", "regression"),
        ("load_wine", "multiclass"),
        ("load_digits", "multiclass"),
    ],
)
def test_task_of_sklearn_datasets(loader, task):
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    frame = bunch.frame
    advice = losslab.advise(frame, target="target")
    assert advice.task == task, advice.task_evidence
    assert advice.task_evidence


def test_ratings_are_ambiguous():
    rng = np.random.default_rng(0)
    inf = infer_task(pd.Series(rng.integers(1, 6, 800)))
    assert inf.task == "ordinal"
    assert inf.confidence == "low"
    assert {"multiclass", "regression"} <= set(inf.alternatives)


def test_small_counts_are_ambiguous():
    rng = np.random.default_rng(0)
    inf = infer_task(pd.Series(rng.poisson(0.7, 1200)))
    assert inf.task == "count"
    assert "multiclass" in inf.alternatives
    assert inf.confidence in ("low", "medium")


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["a", "b", "c", "a"] * 10, "multiclass"),
        ([0.0, 1.0] * 20, "binary"),
        ([True, False, True] * 10, "binary"),
        (["yes", "no"] * 10, "binary"),
        (list(np.linspace(0.01, 0.99, 50)), "proportion"),
        (list(np.random.default_rng(0).normal(size=200)), "regression"),
        (list(np.random.default_rng(0).lognormal(0, 1.5, 300)), "positive"),
    ],
)
def test_task_rules(values, task):
    assert infer_task(pd.Series(values)).task == task


def test_ordered_categorical_is_ordinal():
    y = pd.Series(pd.Categorical(["low", "mid", "high"] * 5, categories=["low", "mid", "high"], ordered=True))
    assert infer_task(y).task == "ordinal"


def test_explicit_task_overrides():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    y = rng.integers(1, 6, 600)
    advice = losslab.advise(X, y=y, task="regression")
    assert advice.task == "regression" and advice.task_confidence == "given"
    assert any("ordinal" in e for e in advice.task_evidence)
    with pytest.raises(DataError, match="task='binary' needs exactly 2 classes"):
        losslab.advise(X, y=y, task="binary")
    with pytest.raises(DataError, match="task must be one of"):
        losslab.advise(X, y=y, task="classification")


# ---------------------------------------------------------------------------------------------
# diagnostics of the features


def test_feature_diagnostics_flag_leakage_ids_constants_and_missing():
    X, y = CASES["gaussian"]
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["leak"] = 3 * y + 1
    frame["row_id"] = np.arange(len(y))
    frame["const"] = 7.0
    frame.loc[::10, "a"] = np.nan
    frame["y"] = y
    advice = losslab.advise(frame, target="y")
    d = advice.diagnostics
    assert [c["column"] for c in d["leakage_columns"]] == ["leak"]
    assert d["id_like_columns"] == ["row_id"]
    assert d["constant_columns"] == ["const"]
    assert d["missing_by_column"] == {"a": len(y) // 10}
    codes = {m.code for m in advice.messages}
    assert {"LEAKAGE_SUSPECTED", "ID_COLUMNS", "CONSTANT_COLUMNS", "FEATURES_MISSING"} <= codes
    assert advice.best.name == "mse"  # the leaking column is kept out of the residual fit


def test_classification_leak_and_label_noise():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    frame = pd.DataFrame({"x": rng.normal(size=400), "copy": np.where(y == 1, "pos", "neg"), "y": y})
    advice = losslab.advise(frame, target="y")
    assert [c["column"] for c in advice.diagnostics["leakage_columns"]] == ["copy"]

    g = rng.integers(0, 5, 600)  # only 5 distinct feature rows, labels drawn at random: conflicts
    noisy = pd.DataFrame({"g": g, "h": g * 2, "y": rng.integers(0, 2, 600)})
    advice = losslab.advise(noisy, target="y")
    assert advice.diagnostics["conflicting_duplicate_share"] > 0.9
    assert "LABEL_NOISE" in {m.code for m in advice.messages}
    assert any(r.loss.params.get("label_smoothing", 0) > 0 for r in advice.recommendations)


def test_target_missing_values_are_counted_and_dropped():
    X, y = CASES["gaussian"]
    y = y.copy()
    y[:15] = np.nan
    advice = losslab.advise(X, y=y)
    assert advice.diagnostics["target_missing"] == 15
    assert advice.diagnostics["n_rows_used"] == len(y) - 15


# ---------------------------------------------------------------------------------------------
# input forms


def test_input_forms_agree(tmp_path):
    X, y = CASES["poisson"]
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y)
    csv = tmp_path / "d.csv"
    frame.to_csv(csv, index=False)
    pq = tmp_path / "d.parquet"
    frame.to_parquet(pq)
    results = [
        losslab.advise(frame, target="y"),
        losslab.advise(csv, target="y"),
        losslab.advise(str(pq), target="y"),
        losslab.advise((X, y)),
        losslab.advise(X, y=y),
        losslab.advise(X=X, y=y),
    ]
    labels = {tuple(r.label for r in a.recommendations) for a in results}
    assert len(labels) == 1
    only_y = losslab.advise(y)
    assert only_y.task == "count" and only_y.best.name == "poisson"
    assert only_y.diagnostics["n_features"] == 0


def test_advise_stays_callable_after_importing_the_subpackage():
    import losslab.advise as module

    X, y = CASES["gaussian"]
    assert module.advise(X, y=y).best.name == losslab.advise(X, y=y).best.name == "mse"
    assert isinstance(losslab.Advice, type)


# ---------------------------------------------------------------------------------------------
# bad input


def test_bad_input_raises_clear_errors():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0.0, 1.0, 0.0]})
    with pytest.raises(DataError, match="target column 'z' is not in the table"):
        losslab.advise(frame, target="z")
    with pytest.raises(DataError, match="`target` is required"):
        losslab.advise(frame)
    with pytest.raises(DataError, match="empty"):
        losslab.advise(pd.DataFrame(), target="y")
    with pytest.raises(DataError, match="has no values"):
        losslab.advise(frame.assign(y=np.nan), target="y")
    with pytest.raises(DataError, match="single value"):
        losslab.advise(frame.assign(y=1), target="y")
    with pytest.raises(DataError, match="no such file"):
        losslab.advise("/nonexistent/file.csv", target="y")
    with pytest.raises(DataError, match="3 rows but y has 2"):
        losslab.advise(np.zeros((3, 2)), y=[1.0, 2.0])


def test_bad_intent_raises_clear_errors():
    X, y = CASES["gaussian"]
    with pytest.raises(ParameterError, match="cannot parse predict='average'"):
        losslab.advise(X, y=y, predict="average")
    with pytest.raises(ParameterError, match=r"must lie in \(0, 1\)"):
        losslab.advise(X, y=y, predict="quantile:1.5")
    with pytest.raises(ParameterError, match="cannot parse costs"):
        losslab.advise(X, y=y, costs="fp1")
    with pytest.raises(ParameterError, match="exactly the keys 'fp' and 'fn'"):
        losslab.advise(X, y=y, costs={"fp": 1})
    with pytest.raises(ParameterError, match="positive finite"):
        losslab.advise(X, y=y, costs={"fp": -1, "fn": 2})
    with pytest.raises(DataError, match="apply to a binary target"):
        losslab.advise(X, y=y, costs={"fp": 1, "fn": 2})
    with pytest.raises(DataError, match="needs a class target"):
        losslab.advise(X, y=y, predict="probability")
    Xc, yc = _imbalanced()
    with pytest.raises(DataError, match="needs a numeric target"):
        losslab.advise(Xc, y=yc, predict="quantile:0.9")


def test_positive_class_is_the_second_label_in_sorted_order():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=200), "t": ["yes"] * 20 + ["no"] * 180})
    advice = losslab.advise(frame, target="t")
    weighted = next(r for r in advice.recommendations if r.params.get("pos_weight"))
    assert weighted.loss.pos_weight == pytest.approx(9.0)  # n_neg/n_pos with 'yes' the positive class
    assert weighted.label == "binary_crossentropy(pos_weight=9)"


def test_tiny_data_does_not_fit_residuals():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "t": [0.5, 1.7, 3.2]})
    advice = losslab.advise(frame, target="t")
    assert "too few" in advice.diagnostics["residual_note"]
    huber = next(r for r in advice.recommendations if r.name == "huber")
    assert huber.loss.delta == pytest.approx(1.345 * 1.4826 * 1.2)  # MAD of y around its median


def test_nonlinear_mean_with_gaussian_noise_still_gives_mse():
    X, _, rng = _features(seed=4)
    y = np.sin(2 * X[:, 0]) * 2 + X[:, 1] ** 2 + X[:, 1] * X[:, 2] + rng.normal(size=len(X))
    advice = losslab.advise(X, y=y)
    assert advice.best.name == "mse"
    assert advice.diagnostics["residual_source"].startswith("robust (Huber) fit with squares")
    assert advice.diagnostics["quadratic_residual_scale"] < 0.9 * advice.diagnostics["linear_residual_scale"]


def test_heteroscedastic_noise_is_reported():
    X, lin, rng = _features(seed=5)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["y"] = lin + rng.normal(size=len(X)) * np.exp(X[:, 0])
    advice = losslab.advise(frame, target="y")
    assert advice.diagnostics["residual_heteroscedasticity"] > 0.3
    assert advice.diagnostics["residual_heteroscedasticity_with"] == "feature 'a'"
    assert "HETEROSCEDASTIC" in {m.code for m in advice.messages}
    huber = next(r for r in advice.recommendations if r.name == "huber")
    assert any("gaussian_nll" in c for c in huber.caveats)


def test_small_gaussian_samples_rarely_look_heavy_tailed():
    hits = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(100, 2))
        hits += losslab.advise(X, X @ [1.0, 1.0] + rng.normal(size=100)).best.name == "mse"
    assert hits >= 18  # 2 of 100 points outside the fences happen by chance (p = 0.155)


def test_ordinal_levels_as_classes_when_probabilities_are_asked():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 2))
    y = np.clip(np.round(3 + X[:, 0] + rng.normal(size=800)), 1, 5).astype(int)
    assert losslab.advise(X, y).best.name == "mse"
    advice = losslab.advise(X, y, predict="probability")
    assert advice.task == "ordinal" and advice.best.name == "categorical_crossentropy"
    assert any("unordered" in c for c in advice.best.caveats)
