"""compare as plan → run → score → summarise; 'auto' parameters fitted per fold; the store's format
version; compare and advise never import each other."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.compare.defaults import candidate_losses, choose_metrics, metric_for
from losslab.compare.run import run_plan
from losslab.compare.score import SCORE_COLUMNS, Scorer, collect_scores
from losslab.compare.setup import fit_fold_losses, plan_experiment
from losslab.compare.store import FORMAT_VERSION, Store, StoreVersionError
from losslab.compare.summary import summarise
from losslab.intent import Intent
from losslab.metrics import get_metric

FAST = {"epochs": 3, "lr": 0.05, "hidden": (8,)}


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = X @ np.array([1.5, -1.0]) + rng.standard_t(2, 60)
    return pd.DataFrame(X, columns=["a", "b"]).assign(y=y)


# -- step 1: plan ----------------------------------------------------------------------------------
def test_plan_fixes_target_candidates_metrics_folds_and_tasks(frame):
    exp = plan_experiment(frame, "y", losses=["mse", "mae"], models=["linear"], cv=3, task="regression")
    assert exp.target.task == "regression" and exp.target.family == "regression"
    assert exp.target.y_eval.dtype == np.float64 and exp.target.y_eval.shape == (60,)
    assert [loss.name for loss in exp.losses] == ["mse", "mae"]
    assert [m.name for m in exp.metrics] == ["rmse", "mae", "r2"]
    assert len(exp.folds) == 3 and len(exp.plan.tasks) == 3 * 3  # + the mse/constant baseline
    assert [c.name for c in exp.plan.candidates] == ["mse/linear", "mae/linear", "mse/constant"]


def test_plan_encodes_classes_and_costs_set_threshold_and_headline():
    y = np.array(["no", "yes"] * 15)
    data = pd.DataFrame({"x": np.arange(30.0), "y": y})
    exp = plan_experiment(data, "y", losses=["binary_crossentropy"], models="linear", cv=3, costs="fp=1,fn=3")
    assert exp.target.task == "binary" and exp.target.classes == ["no", "yes"]
    assert exp.target.y_eval.tolist() == [0, 1] * 15
    assert exp.threshold == pytest.approx(0.25) and exp.metrics[0].name == "expected_cost"


def test_plan_rejects_bad_input_naming_it(frame):
    with pytest.raises(losslab.DataError, match="'roc_auc' does not fit the task"):
        plan_experiment(frame, "y", losses=["mse"], metrics=["roc_auc"], task="regression")
    with pytest.raises(losslab.DataError, match="binary loss; it does not fit the regression"):
        plan_experiment(frame, "y", losses=["binary_crossentropy"], task="regression")


def test_default_candidates_come_from_the_registry_by_statistic_and_domain():
    y_real = np.array([-1.0, 0.5, 2.0, 3.0])
    assert [x.name for x in candidate_losses("regression", None, y_real)] == ["mse"]
    positive = [x.name for x in candidate_losses("positive", None, y_real + 2, top=5)]
    assert "mse" in positive and "gamma" in positive and "mae" not in positive
    assert [x.name for x in candidate_losses("regression", Intent("median"), y_real)] == ["mae"]
    assert candidate_losses("regression", Intent("quantile", 0.8), y_real) == [
        losslab.get("quantile", quantile=0.8)
    ]
    # cross_entropy_lambda at its default intensity 1 *is* binary_crossentropy: not a candidate
    assert [x.name for x in candidate_losses("binary", None, np.array([0, 1]))] == ["binary_crossentropy"]
    assert [x.name for x in candidate_losses("multiclass", None, np.array([0, 1, 2]))] == [
        "categorical_crossentropy"
    ]


def test_metric_knowledge_lives_in_defaults():
    assert metric_for("pinball", Intent("quantile", 0.8)) == "pinball:0.8"
    assert metric_for("pinball", None, losslab.get("quantile", quantile=0.3)) == "pinball:0.3"
    assert metric_for("tweedie_deviance", None, losslab.get("tweedie", power=1.2)) == "tweedie_deviance:1.2"
    assert metric_for("pinball:0.1", Intent("quantile", 0.8)) == "pinball:0.1"  # given stays
    y = np.array([1.0, 2.0])
    # issue 12: the headline comes from the intent only (no headline= from a candidate any more)
    assert choose_metrics("regression", Intent("quantile", 0.9), None, y)[0] == "pinball:0.9"
    assert choose_metrics("positive", None, None, y)[0] == "rmse"


# -- steps 2-4: run, score, summarise ---------------------------------------------------------------
def test_run_score_summarise_chain_and_resume(frame, tmp_path):
    exp = plan_experiment(frame, "y", losses=["mse", "huber"], models=["linear"], cv=3, task="regression",
                          model_params=FAST)  # fmt: skip
    scorer = Scorer(exp.target.y_eval, exp.metrics)
    calls = []
    ran = run_plan(exp.plan, exp.X, exp.y, score=scorer.score, out=tmp_path / "o",
                   progress=lambda d, t, r: calls.append((d, t)))  # fmt: skip
    assert calls[0] == (0, 9) and calls[-1] == (9, 9) and not ran.reused
    assert all(set(r["scores"]) == {"rmse", "mae", "r2"} for r in ran.records.values())
    scored = collect_scores(exp.plan, ran.records, ran.reused, scorer)
    assert list(scored.scores.columns) == SCORE_COLUMNS and len(scored.scores) == 3 * 3 * 3
    assert np.array_equal(np.sort(scored.oof["mse/linear"]["index"]), np.arange(60))
    cmp = summarise(exp, scored, alpha=0.05)
    assert set(cmp.leaderboard["candidate"]) == {"mse/linear", "huber/linear", "mse/constant"}
    assert cmp.best in ("mse/linear", "huber/linear", "mse/constant") and cmp.config["alpha"] == 0.05
    again = run_plan(exp.plan, exp.X, exp.y, score=scorer.score, out=tmp_path / "o")
    assert again.reused == set(ran.records)
    pd.testing.assert_frame_equal(collect_scores(exp.plan, again.records, again.reused, scorer).scores,
                                  scored.scores)  # fmt: skip


def test_scorer_records_undefined_metrics_as_nan_with_reason():
    s = Scorer(np.array([0, 1, 0]), [get_metric("roc_auc"), get_metric("accuracy")], n_classes=2)
    rec = {"status": "ok", "predictions": {"index": np.array([0, 2]), "label": np.array([0, 0])}}
    out = s.score(rec)
    assert np.isnan(out["roc_auc"]["value"]) and out["roc_auc"]["reason"]
    assert out["accuracy"] == {"value": 1.0, "reason": None}
    assert s.score({"status": "failed"}) == {}


# -- 'auto' parameters ------------------------------------------------------------------------------
def test_unresolved_auto_raises_and_fit_auto_resolves():
    h = losslab.get("huber", delta="auto")
    for call in (h, h.gradient, h.hessian, h.gradient_hessian):
        with pytest.raises(losslab.ParameterError, match="parameter 'delta' of loss 'huber' is 'auto'"):
            call([0.0, 1.0], [0.5, 0.5])
    y = np.array([0.0, 1.0, 2.0, 3.0, 100.0])
    fitted = h.fit_auto(y)
    assert fitted.delta == pytest.approx(1.345 * 1.4826 * 1.0)  # MAD of y about its median is 1
    assert float(fitted([0.0], [0.5])) == pytest.approx(0.125)
    assert losslab.get("mse").fit_auto(y) == losslab.get("mse")
    bce = losslab.get("binary_crossentropy", pos_weight="auto").fit_auto(np.array([0, 0, 0, 1]))
    assert bce.pos_weight == 3.0
    with pytest.raises(losslab.ParameterError, match="no rule to fit it from data"):
        losslab.get("quantile", quantile="auto")
    assert "'auto'" in type(h).PARAMS[0].describe()


def test_auto_parameters_are_fitted_per_fold_on_training_rows(frame):
    y = frame["y"].to_numpy()
    from losslab.compare.plan import make_folds

    folds = make_folds(y, "regression", 3)
    per = fit_fold_losses([losslab.get("pseudo_huber", delta="auto")], y, folds)
    deltas = [per[(f.repeat, f.fold)][0].delta for f in folds]
    assert len(set(deltas)) == 3  # different training rows, different δ
    for f, d in zip(folds, deltas, strict=True):
        assert d == pytest.approx(losslab.get("pseudo_huber", delta="auto").fit_auto(y[f.train]).delta)
    cmp = losslab.compare(frame, target="y", losses=["huber:delta=auto"], models=["linear"], cv=3,
                          task="regression", model_params=FAST)  # fmt: skip
    assert cmp.candidates[0].name == "huber(delta=per-fold)/linear" and cmp.candidates[0].refit
    task_deltas = sorted(t["loss"]["delta"] for t in cmp.tasks if t["loss"]["name"] == "huber")
    assert task_deltas == pytest.approx(sorted(deltas))


def test_auto_pos_weight_is_n_neg_over_n_pos_of_each_training_fold():
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x": rng.normal(size=90), "y": [0] * 70 + [1] * 20})
    cmp = losslab.compare(data, target="y", losses=[losslab.get("binary_crossentropy", pos_weight="auto")],
                          models=["linear"], cv=3, task="binary", model_params=FAST)  # fmt: skip
    from losslab.compare.plan import make_folds

    y = data["y"].to_numpy()
    expected = sorted(round(np.sum(y[f.train] == 0) / np.sum(y[f.train] == 1), 4)
                      for f in make_folds(y, "classification", 3))  # fmt: skip
    assert (
        sorted(t["loss"]["pos_weight"] for t in cmp.tasks if t["candidate"].endswith("/linear")) == expected
    )
    assert cmp.candidates[0].loss["pos_weight"] == 3.5  # as fitted on all rows, for display


# -- the store's format version ---------------------------------------------------------------------
def _run(frame, out):
    return losslab.compare(frame, target="y", losses=["mse"], models=["linear"], cv=3, task="regression",
                           out=out, model_params=FAST)  # fmt: skip


def test_store_and_results_carry_the_format_version(frame, tmp_path):
    out = tmp_path / "o"
    _run(frame, out)
    assert json.loads((out / "experiment.json").read_text())["format_version"] == FORMAT_VERSION
    assert json.loads((out / "results.json").read_text())["format_version"] == FORMAT_VERSION
    for p in (out / "tasks").glob("*.json"):
        assert json.loads(p.read_text())["format_version"] == FORMAT_VERSION


def test_unversioned_store_is_read(frame, tmp_path):
    out = tmp_path / "o"
    _run(frame, out)
    for p in [out / "experiment.json", *(out / "tasks").glob("*.json")]:  # as written before versions
        doc = json.loads(p.read_text())
        for key in ("format_version", "digest", "npz_sha256"):
            doc.pop(key, None)
        p.write_text(json.dumps(doc))
    assert Store(out).format_version() == 1
    assert _run(frame, out).n_reused == 6  # mse/linear and the mse/constant baseline


@pytest.mark.parametrize(("version", "who"), [(FORMAT_VERSION + 1, "newer"), (0, "older")])
def test_store_of_another_version_is_refused_untouched(frame, tmp_path, version, who):
    out = tmp_path / "o"
    _run(frame, out)
    exp = out / "experiment.json"
    exp.write_text(json.dumps({**json.loads(exp.read_text()), "format_version": version}))
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    with pytest.raises(
        StoreVersionError, match=f"format_version {version}, written by an? {who} losslab"
    ) as e:
        _run(frame, out)
    assert "reads versions 1, 2" in str(e.value) and "Use a new out directory" in str(e.value)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


# -- the peers do not import each other -------------------------------------------------------------
ISOLATION = textwrap.dedent(
    """
    import sys
    import numpy as np, pandas as pd
    import {first}
    def loaded(prefix):
        return sorted(m for m in sys.modules if m == prefix or m.startswith(prefix + "."))
    assert not loaded("{other}"), loaded("{other}")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({{"x": rng.normal(size=40)}}).assign(y=lambda d: d.x + rng.normal(size=40))
    {run}
    assert not loaded("{other}"), loaded("{other}")
    print("ok")
    """
)
RUNS = {
    "losslab.compare": (
        "losslab.compare(frame, target='y', losses=['mse', 'huber:delta=auto'], models='linear', cv=3, "
        "task={task}, model_params={{'epochs': 2}})"
    ),
    "losslab.advise": "losslab.advise(frame, target='y')",
}


def _isolated(first: str, other: str, task: str = "'regression'") -> None:
    code = ISOLATION.format(first=first, other=other, run="import losslab; " + RUNS[first].format(task=task))
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]


def test_compare_imports_no_advise_module():
    _isolated("losslab.compare", "losslab.advise")


def test_advise_imports_no_compare_module():
    _isolated("losslab.advise", "losslab.compare")


def test_compare_inferring_the_task_imports_no_advise_module():
    _isolated("losslab.compare", "losslab.advise", task="None")


# -- advise, then compare (the workflow above both) ---------------------------------------------------
def test_advised_losses_make_data_fitted_parameters_auto():
    from types import SimpleNamespace

    from losslab.workflows.advised import advised_losses

    recs = [
        SimpleNamespace(loss=losslab.get("binary_crossentropy", pos_weight=5.0)),  # = c_fn/c_fp: the costs'
        SimpleNamespace(loss=losslab.get("binary_crossentropy", pos_weight=2.5)),  # from the class counts
        SimpleNamespace(loss=losslab.get("binary_focal", gamma=2.0)),  # no fitting rule: kept
    ]
    out = advised_losses(recs, {"fp": 1.0, "fn": 5.0})
    assert [x.params.get("pos_weight", x.params.get("gamma")) for x in out] == [5.0, "auto", 2.0]


@pytest.mark.parametrize(("package", "peer"), [("compare", "advise"), ("advise", "compare")])
def test_no_import_statement_between_the_peers(package, peer):
    """Module- and function-level imports alike (ast), absolute or relative."""
    import ast
    from pathlib import Path

    root = Path(losslab.__file__).parent
    bad = []
    for path in sorted((root / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = "losslab." + package if node.level == 1 else "losslab" if node.level == 2 else ""
                mod = ".".join(x for x in (base, node.module or "") if x)
                names = [mod, *(f"{mod}.{a.name}" for a in node.names)]
            else:
                continue
            if any(n == f"losslab.{peer}" or n.startswith(f"losslab.{peer}.") for n in names):
                bad.append(f"{path.name}:{node.lineno}")
    assert not bad, f"losslab.{package} imports losslab.{peer} at {bad}"
