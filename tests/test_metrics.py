"""losslab.metrics: every metric of the table against scikit-learn or a hand value; direction,
undefined rules, aliases and did-you-mean; and the estimators' score, `losslab train`'s metrics and
compare's per-fold metrics agreeing on the same predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm

import losslab
from losslab import metrics as M

# -- a small case per kind of prediction ---------------------------------------------------------
Y_BIN = np.array([0, 1, 1, 0, 1, 0, 1, 1])
LOGIT_BIN = np.array([-1.2, 0.8, -0.3, -2.0, 2.5, 0.4, 1.1, 0.2])
P1 = 1 / (1 + np.exp(-LOGIT_BIN))
PROBA_BIN = np.column_stack([1 - P1, P1])
LABEL_BIN = (P1 >= 0.5).astype(int)
W = np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0, 0.25, 1.5])

Y_MC = np.array([0, 1, 2, 2, 1, 0, 2, 1])
LOGIT_MC = np.array(
    [[2.0, 0.1, -1], [0.2, 1.5, 0.3], [-0.5, 0.1, 1.9], [0.3, 0.9, 0.4], [0.1, 0.2, 1.3], [1.1, 0.0, 0.2],
     [-1.0, 0.5, 2.2], [0.0, 2.0, 0.1]]
)  # fmt: skip
PROBA_MC = np.exp(LOGIT_MC) / np.exp(LOGIT_MC).sum(axis=1, keepdims=True)
LABEL_MC = PROBA_MC.argmax(axis=1)

Y_REG = np.array([1.0, 2.5, 0.5, 4.0, 3.0, 0.2])
V_REG = np.array([1.5, 2.0, 0.7, 3.0, 3.5, 0.3])


def _bin(**kw):
    return M.Predictions(**{"y_true": Y_BIN, "label": LABEL_BIN, "proba": PROBA_BIN, "logits": LOGIT_BIN,
                            "n_classes": 2, **kw})  # fmt: skip


def _mc(**kw):
    return M.Predictions(**{"y_true": Y_MC, "label": LABEL_MC, "proba": PROBA_MC, "logits": LOGIT_MC,
                            "n_classes": 3, **kw})  # fmt: skip


def _reg(**kw):
    return M.Predictions(**{"y_true": Y_REG, "value": V_REG, **kw})


FP, FN = np.sum((LABEL_BIN == 1) & (Y_BIN == 0)), np.sum((LABEL_BIN == 0) & (Y_BIN == 1))


def _ece_by_hand(y, proba):
    # 10 equal-width bins of P(positive) (binary) or top-label confidence (multiclass)
    conf = proba[:, 1] if proba.shape[1] == 2 else proba.max(axis=1)
    hit = (y == 1) if proba.shape[1] == 2 else proba.argmax(axis=1) == y
    bins = np.minimum((conf * 10).astype(int), 9)
    return sum((bins == b).mean() * abs(hit[bins == b].mean() - conf[bins == b].mean()) for b in set(bins))


def _onehot(y, k):
    return np.eye(k)[y]


# structured targets (losslab.targets): survival, ranking, ordinal
SURV_T, SURV_E = np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([1, 0, 1, 1, 0])
RISK = np.array([0.9, 0.3, 0.5, 0.6, 0.1])
GRID = np.array([1.5, 2.5, 3.5])
CURVES = np.array([[0.4, 0.2, 0.1], [0.9, 0.7, 0.5], [0.8, 0.5, 0.3], [0.7, 0.6, 0.2], [0.95, 0.9, 0.8]])
REL, QUERY = np.array([3, 0, 1, 0, 2, 1, 0]), np.array([0, 0, 0, 1, 1, 1, 2])
SCORE = np.array([0.1, 0.9, 0.5, 0.3, 0.2, 0.4, 1.0])
Y_ORD, PROBA_ORD = np.array([0, 2, 1]), np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.7, 0.2]])


def _harrell(t, e, risk):
    """Concordant share of the pairs whose shorter time is an observed event (no ties here)."""
    pairs = [(i, j) for i in range(t.size) for j in range(t.size) if e[i] and t[i] < t[j]]
    return sum(risk[i] > risk[j] for i, j in pairs) / len(pairs)


def _brier_uncensored(t, curves, grid):
    """Every time observed: the censoring weights are 1 and the Brier score the plain mean."""
    b = [np.mean(np.where(t > s, (1 - curves[:, k]) ** 2, curves[:, k] ** 2)) for k, s in enumerate(grid)]
    return float(np.sum(np.diff(grid) * (np.array(b[1:]) + b[:-1]) / 2) / (grid[-1] - grid[0]))


def _dcg(gains):
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def _surv(event=SURV_E, **kw):
    from losslab.targets import Survival

    return M.Predictions(y_true=SURV_T, target=Survival(SURV_T, event), **kw)


def _rank():
    from losslab.targets import Ranking

    return M.Predictions(y_true=REL.astype(float), target=Ranking(REL, QUERY), value=SCORE)


# name → [(predictions, expected value)]: scikit-learn's own function or a hand value
REFERENCE = {
    "mae": [(_reg(), skm.mean_absolute_error(Y_REG, V_REG))],
    "rmse": [(_reg(), math.sqrt(np.mean((Y_REG - V_REG) ** 2)))],
    "mse": [(_reg(), skm.mean_squared_error(Y_REG, V_REG))],
    "r2": [(_reg(), skm.r2_score(Y_REG, V_REG))],
    "msle": [(_reg(), np.mean((np.log1p(Y_REG) - np.log1p(V_REG)) ** 2))],
    "pinball": [(_reg(), skm.mean_pinball_loss(Y_REG, V_REG, alpha=0.5))],
    "coverage": [(_reg(), 4 / 6)],  # 1 ≤ 1.5, 0.5 ≤ 0.7, 3 ≤ 3.5, 0.2 ≤ 0.3
    "poisson_deviance": [(_reg(), skm.mean_poisson_deviance(Y_REG, V_REG))],
    "gamma_deviance": [(_reg(), skm.mean_gamma_deviance(Y_REG, V_REG))],
    "tweedie_deviance": [(_reg(), skm.mean_tweedie_deviance(Y_REG, V_REG, power=1.5))],
    "accuracy": [(_bin(), np.mean(Y_BIN == LABEL_BIN)), (_mc(), np.mean(Y_MC == LABEL_MC))],
    "balanced_accuracy": [(_bin(), skm.balanced_accuracy_score(Y_BIN, LABEL_BIN))],
    "precision": [(_bin(), skm.precision_score(Y_BIN, LABEL_BIN)),
                  (_mc(), skm.precision_score(Y_MC, LABEL_MC, average="macro"))],
    "recall": [(_bin(), skm.recall_score(Y_BIN, LABEL_BIN)),
               (_mc(), skm.recall_score(Y_MC, LABEL_MC, average="macro"))],
    "f1": [(_bin(), skm.f1_score(Y_BIN, LABEL_BIN)), (_mc(), skm.f1_score(Y_MC, LABEL_MC, average="macro"))],
    "roc_auc": [(_bin(), skm.roc_auc_score(Y_BIN, P1)),
                (_mc(), skm.roc_auc_score(Y_MC, PROBA_MC, multi_class="ovr"))],
    "pr_auc": [(_bin(), skm.average_precision_score(Y_BIN, P1)),
               (_mc(), skm.average_precision_score(_onehot(Y_MC, 3), PROBA_MC))],
    "log_loss": [(_bin(), skm.log_loss(Y_BIN, P1)), (_mc(), skm.log_loss(Y_MC, PROBA_MC)),
                 (_bin(logits=None), skm.log_loss(Y_BIN, P1))],
    "brier": [(_bin(), np.mean((P1 - Y_BIN) ** 2)),
              (_mc(), np.mean(((PROBA_MC - _onehot(Y_MC, 3)) ** 2).sum(axis=1)))],
    "ece": [(_bin(), _ece_by_hand(Y_BIN, PROBA_BIN)), (_mc(), _ece_by_hand(Y_MC, PROBA_MC))],
    "expected_cost": [(_bin(costs={"fp": 1.0, "fn": 5.0}),
                       (1 * FP + 5 * FN) / Y_BIN.size)],
    "c_index": [(_surv(risk=RISK), _harrell(SURV_T, SURV_E, RISK))],
    "integrated_brier": [(_surv(event=np.ones(5, int), survival=CURVES, times=GRID),
                          _brier_uncensored(SURV_T, CURVES, GRID))],
    # query 0 ranked 1, 2, 0 (gains 0, 1, 7); query 1 ranked 5, 3, 4 (gains 1, 0, 3); query 2 has 1 row
    "ndcg": [(_rank(), (_dcg([0, 1, 7]) / _dcg([7, 1, 0]) + _dcg([1, 0, 3]) / _dcg([3, 1, 0])) / 2)],
    "map": [(_rank(), ((1 / 2 + 2 / 3) / 2 + (1 + 2 / 3) / 2) / 2)],
    "ordinal_log_loss": [(M.Predictions(y_true=Y_ORD, proba=PROBA_ORD, n_classes=3),
                          -np.mean(np.log([0.6, 0.6, 0.7])))],
}  # fmt: skip


def test_every_metric_of_the_table_has_a_reference_case():
    assert set(REFERENCE) == set(M.METRICS) == set(M.list_metrics())


@pytest.mark.parametrize("name", sorted(M.METRICS))
def test_metric_against_reference(name):
    for pred, expected in REFERENCE[name]:
        assert M.get_metric(name)(pred) == pytest.approx(expected, rel=1e-12, abs=1e-15), pred


# weighted: scikit-learn's sample_weight, or the weighted mean by hand
WEIGHTED = {
    "mae": lambda: skm.mean_absolute_error(Y_REG, V_REG, sample_weight=W[:6]),
    "r2": lambda: skm.r2_score(Y_REG, V_REG, sample_weight=W[:6]),
    "coverage": lambda: np.average(Y_REG <= V_REG, weights=W[:6]),
    "accuracy": lambda: skm.accuracy_score(Y_BIN, LABEL_BIN, sample_weight=W),
    "roc_auc": lambda: skm.roc_auc_score(Y_BIN, P1, sample_weight=W),
    "log_loss": lambda: skm.log_loss(Y_BIN, P1, sample_weight=W),
    "brier": lambda: skm.brier_score_loss(Y_BIN, P1, sample_weight=W),
}


@pytest.mark.parametrize("name", sorted(WEIGHTED))
def test_weighted_metric_matches_scikit_learn(name):
    regression = "regression" in M.METRICS[name].tasks
    pred = _reg(sample_weight=W[:6]) if regression else _bin(sample_weight=W)
    assert M.get_metric(name)(pred) == pytest.approx(WEIGHTED[name](), rel=1e-12)


def test_direction_is_data():
    higher = {"r2", "accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc",
              "c_index", "ndcg", "map"}  # fmt: skip
    for name, row in M.METRICS.items():
        if name == "coverage":
            assert row.greater_is_better is None
        else:
            assert row.greater_is_better is (name in higher), name
    assert M.get_metric("rmse").direction == "↓" and M.get_metric("roc_auc").direction == "↑"
    cov = M.get_metric("coverage:0.9")
    assert cov.direction == "→0.9" and cov.loss_value(0.85) == pytest.approx(0.05)
    assert M.get_metric("r2").loss_value(0.7) == -0.7


def test_table_rows_are_well_formed_and_every_undefined_rule_is_checkable():
    for row in M.METRICS.values():
        assert row.needs in M.NEEDS and row.tasks and row.description, row.name
        assert all(M.get_metric(a).base == row.name for a in row.aliases)
        for rule in row.undefined:
            assert rule.result in ("undefined", "+inf")
            assert rule.count(_reg()) >= 0 and rule.count(_bin()) >= 0  # parses: a bound or a named condition


@pytest.mark.parametrize(
    ("name", "pred", "reason"),
    [
        ("roc_auc", M.Predictions(y_true=np.array([1, 1]), proba=PROBA_BIN[:2], n_classes=2), "one class"),
        ("pr_auc", M.Predictions(y_true=np.array([0, 0]), proba=PROBA_BIN[:2], n_classes=2), "one class"),
        (
            "roc_auc",
            M.Predictions(y_true=np.array([0, 1, 0]), proba=PROBA_MC[:3], n_classes=3),
            "every class",
        ),
        ("precision", M.Predictions(y_true=Y_BIN, label=np.zeros(8, int), n_classes=2), "no positive label"),
        ("r2", M.Predictions(y_true=np.array([1.0]), value=np.array([2.0])), "two test samples"),
        ("msle", M.Predictions(y_true=np.array([1.0, 2.0]), value=np.array([-2.0, 1.0])), "1 are not"),
        ("msle", M.Predictions(y_true=np.array([-3.0, 2.0]), value=np.array([1.0, 1.0])), "targets > −1"),
        # issue 12: μ ≤ 0 only where y = 0 is undefined; where y > 0 it is +inf (test below)
        ("poisson_deviance", _reg(y_true=0 * Y_REG, value=-V_REG), "predictions > 0; 6 are not"),
        ("poisson_deviance", _reg(y_true=-Y_REG), "targets ≥ 0"),
        ("gamma_deviance", _reg(y_true=Y_REG - 1), "targets > 0"),
        ("tweedie_deviance", _reg(y_true=0 * Y_REG, value=V_REG - 1), "predictions > 0"),
        ("expected_cost", _bin(), "needs costs"),
        (
            "roc_auc",
            M.Predictions(y_true=Y_BIN, label=LABEL_BIN, n_classes=2),
            "probabilities or decision scores",
        ),
        ("mae", M.Predictions(y_true=Y_REG), "numeric predictions"),
        ("accuracy", M.Predictions(y_true=Y_BIN, n_classes=2), "predicted labels"),
    ],
)
def test_undefined_is_nan_with_a_reason(name, pred, reason):
    with pytest.raises(M.MetricUndefined, match=reason):
        M.get_metric(name)(pred)


def test_log_loss_is_inf_where_a_true_class_has_probability_zero_but_exact_from_logits():
    rule = M.METRICS["log_loss"].undefined[0]
    assert rule.result == "+inf"
    zero = M.Predictions(y_true=np.array([1, 0]), proba=np.array([[1.0, 0.0], [0.5, 0.5]]), n_classes=2)
    assert M.get_metric("log_loss")(zero) == math.inf
    far = M.Predictions(y_true=np.array([1]), logits=np.array([-800.0]), n_classes=2)
    assert M.get_metric("log_loss")(far) == pytest.approx(800.0)


@pytest.mark.parametrize("name", ["poisson_deviance", "gamma_deviance", "tweedie_deviance"])
def test_deviance_is_inf_where_a_positive_target_gets_a_prediction_at_or_below_zero(name):
    """Issue 12: the likelihood of y > 0 under a mean μ ≤ 0 is 0, so the deviance is truly +inf
    (the candidate ranks last), not undefined (which would unrank it)."""
    assert M.get_metric(name)(_reg(value=V_REG - 1)) == math.inf  # 0.7 − 1 < 0 where y = 0.5
    rules = [r.result for r in M.METRICS[name].undefined]
    assert "+inf" in rules


def test_every_metric_has_a_rope_on_its_scale():
    for row in M.METRICS.values():
        assert isinstance(row.rope, M.Rope) and 0 < row.rope.width <= 0.05, row.name
    assert M.get_metric("accuracy").rope == M.Rope(0.01)  # absolute: one point of accuracy
    assert M.get_metric("ece").rope.half_width(0.02) < M.get_metric("roc_auc").rope.half_width(0.9)
    assert M.get_metric("rmse").rope.half_width(50.0) == pytest.approx(0.5)  # relative to the best
    assert M.get_metric("brier").rope.half_width(0.1) == pytest.approx(0.002)  # far below 0.01


def test_probability_metrics_follow_from_logits_alone():
    only_logits = M.Predictions(y_true=Y_MC, logits=LOGIT_MC, n_classes=3)
    assert M.get_metric("roc_auc")(only_logits) == pytest.approx(M.get_metric("roc_auc")(_mc()), rel=1e-12)
    assert M.get_metric("brier")(only_logits) == pytest.approx(M.get_metric("brier")(_mc()), rel=1e-12)


def test_names_aliases_and_did_you_mean():
    assert M.get_metric("mean_absolute_error").name == "mae"
    assert M.get_metric("average_precision").name == "pr_auc"
    assert M.get_metric("Pinball_Loss:0.9").name == "pinball:0.9"
    with pytest.raises(losslab.DataError, match=r"unknown metric 'rmsee'.*Did you mean 'rmse'"):
        M.get_metric("rmsee")
    with pytest.raises(losslab.DataError, match="Did you mean 'log_loss'"):
        M.get_metric("logloss")
    with pytest.raises(losslab.DataError, match="takes no parameter"):
        M.get_metric("mae:2")
    with pytest.raises(losslab.DataError, match="Tweedie power"):
        M.get_metric("tweedie_deviance:0.5")
    assert M.list_metrics("count") == M.list_metrics("regression")
    assert "expected_cost" in M.list_metrics("binary") and "expected_cost" not in M.list_metrics("multiclass")
    with pytest.raises(losslab.DataError, match="unknown task"):
        M.list_metrics("clustering")


def test_metrics_import_no_scikit_learn_and_no_higher_layer():
    import subprocess
    import sys

    code = (
        "import sys, losslab.metrics, losslab.tasks, losslab.tabular; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sklearn', 'pandas', 'torch') "
        "or m.startswith(('losslab.compare', 'losslab.advise', 'losslab.sklearn', 'losslab.train'))]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- one table, three callers --------------------------------------------------------------------
class _OneFold:
    """A scikit-learn-style splitter with one fixed (train, test) split."""

    def __init__(self, train, test):
        self.train, self.test = train, test

    def split(self, X, y=None, groups=None):
        yield self.train, self.test

    def get_n_splits(self, *args, **kwargs):
        return 1


@pytest.mark.parametrize(
    ("kind", "loss", "names"),
    [
        (
            "binary",
            "binary_crossentropy",
            ["accuracy", "balanced_accuracy", "log_loss", "roc_auc", "brier", "f1"],
        ),
        ("multiclass", "categorical_crossentropy", ["accuracy", "balanced_accuracy", "log_loss", "roc_auc"]),
        ("regression", "quantile", ["rmse", "mae", "r2", "coverage"]),
    ],
)
@pytest.mark.usefixtures("one_torch_thread")
def test_estimator_score_train_metrics_and_compare_agree(kind, loss, names):
    pytest.importorskip("torch")
    import pandas as pd
    import torch

    from losslab.compare.plan import task_seed
    from losslab.sklearn import LossClassifier, LossRegressor
    from losslab.sklearn.estimators import _metric_functions
    from losslab.workflows.train_table import evaluate

    rng = np.random.default_rng(3)
    n = 120
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    z = X["a"] - 0.5 * X["b"] + rng.normal(0, 0.7, n)
    y = {"binary": (z > 0).astype(int), "multiclass": np.digitize(z, [-0.5, 0.5]), "regression": z}[kind]
    y = pd.Series(y, name="y")
    test = np.arange(0, n, 4)
    train = np.setdiff1d(np.arange(n), test)
    params = {"epochs": 15, "lr": 0.05, "validation_fraction": 0.0}
    cmp = losslab.compare(
        X.assign(y=y), target="y", losses=[loss], models=["linear"], cv=_OneFold(train, test),
        metrics=names, model_params=params, task=kind, seed=0,
    )  # fmt: skip
    per_fold = cmp.scores.query("model == 'linear'").set_index("metric")["value"]  # not the baseline

    cls = LossRegressor if kind == "regression" else LossClassifier
    est = cls(loss=losslab.get(loss), model="linear", seed=task_seed(0, 0, 0), **params)
    est.fit(X.iloc[train], y.iloc[train])
    Xte, yte = X.iloc[test], y.iloc[test]
    held_out = evaluate(est, Xte, yte)
    raw = torch.as_tensor(est.predict_raw(Xte))
    target = est._encode_target(yte.to_numpy()) if kind != "regression" else yte.to_numpy(dtype=float)
    per_epoch = {
        k: f(torch.tensor(np.array(target)), raw, torch.ones(len(test), dtype=torch.float64))
        for k, f in _metric_functions(est, names).items()
    }
    for name in names:
        compare_value = per_fold[M.get_metric(name).name]
        assert per_epoch[name] == pytest.approx(compare_value, rel=1e-9), name
        if name in held_out:
            assert held_out[name] == pytest.approx(compare_value, rel=1e-9), name
    headline = "r2" if kind == "regression" else "accuracy"
    assert est.score(Xte, yte) == pytest.approx(per_fold[headline], rel=1e-9)
    assert set(held_out) - {est.loss_.name} <= set(names)
