"""An ordinal target with numeric levels (coded answers 0/1/2) in `compare`: the regression losses
on the codes and a classifier on the levels, scored by its mean level Σ vₖ p̂ₖ."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.compare.defaults import candidate_losses
from losslab.intent import Intent
from losslab.sklearn import LossClassifier
from losslab.tasks import level_distribution


def _answers(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Levels 0, 1, 4 (unequal steps) whose probabilities move non-monotonically with x: the mean
    level is not linear in x, a multinomial logit on x and x² is the true model."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=n)
    logits = np.column_stack([np.zeros(n), 2.0 - 1.5 * x**2, 1.5 * x])
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    levels = np.array([0.0, 1.0, 4.0])
    y = levels[(rng.random(n)[:, None] > np.cumsum(p, 1)).sum(1)]
    return pd.DataFrame({"x": x, "x2": x**2, "answer": y})


def test_level_distribution_by_metadata() -> None:
    assert level_distribution(losslab.get("categorical_crossentropy"))
    for name in ("categorical_focal", "multiclass_hinge", "poly_loss", "mse", "binary_crossentropy"):
        assert not level_distribution(losslab.get(name)), name


def test_default_candidates_of_an_ordinal_target_put_the_level_classifier_second() -> None:
    y = np.array([0.0, 1.0, 2.0, 1.0])
    names = [loss.name for loss in candidate_losses("ordinal", None, y)]
    assert names[:2] == ["mse", "categorical_crossentropy"] and len(names) == 3
    assert [loss.name for loss in candidate_losses("ordinal", None, y, top=1)] == ["mse"]
    many = np.arange(25.0)  # more levels than classes a coded answer has: numbers only
    assert "categorical_crossentropy" not in [loss.name for loss in candidate_losses("ordinal", None, many)]
    median = candidate_losses("ordinal", Intent("median"), y)
    assert all(loss.info.task == "regression" for loss in median)
    assert "categorical_crossentropy" not in [loss.name for loss in candidate_losses("count", None, y)]


def test_compare_scores_the_classifier_by_its_mean_level() -> None:
    frame = _answers()
    cmp = losslab.compare(
        frame, target="answer", task="ordinal", losses=["mse", "categorical_crossentropy"],
        models=["linear"], cv=3, seed=0,
    )  # fmt: skip
    assert cmp.task == "ordinal" and cmp.n_failed_tasks == 0
    oof = cmp.oof["categorical_crossentropy/linear"]
    # every out-of-fold value is a mean of the levels 0, 1, 4: inside [0, 4], and not a level itself
    assert np.all((oof["value"] > 0) & (oof["value"] < 4))
    assert np.mean(np.isin(oof["value"], [0.0, 1.0, 4.0])) == 0
    rmse = cmp.leaderboard.set_index("candidate")["rmse"]
    # the levels' classifier is the true model here; squared error on the codes is not
    assert rmse["categorical_crossentropy/linear"] < rmse["mse/linear"]


def test_level_mean_equals_the_classifiers_expected_level() -> None:
    from losslab.compare.run import _level_mean

    frame = _answers(300, seed=1)
    X, y = frame[["x", "x2"]], frame["answer"]
    est = LossClassifier(loss="categorical_crossentropy").fit(X, y)
    assert est.classes_.tolist() == [0.0, 1.0, 4.0]
    p = est.predict_proba(X)
    np.testing.assert_allclose(_level_mean(est, X), p[:, 1] * 1.0 + p[:, 2] * 4.0, rtol=1e-15)


def test_a_loss_that_is_not_a_level_distribution_is_refused_by_name() -> None:
    frame = _answers(200)
    with pytest.raises(losslab.DataError, match="categorical_focal"):
        losslab.compare(frame, target="answer", task="ordinal", losses=["categorical_focal"], cv=3)
    with pytest.raises(losslab.DataError, match="median intent needs a regression loss"):
        losslab.compare(
            frame, target="answer", task="ordinal", losses=["categorical_crossentropy"], predict="median",
            cv=3,
        )  # fmt: skip
