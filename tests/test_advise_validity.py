"""The advisor's validity benchmark (`benchmarks/advise_validity.py`, issue 13): its per-set run on
one small real data set gives a complete record, and its held-out sets are real entries."""

from __future__ import annotations

import doctest
import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("pandas")
pytest.importorskip("sklearn")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "advise_validity.py"
_spec = importlib.util.spec_from_file_location("advise_validity", _PATH)
bench = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules.setdefault("advise_validity", bench)
_spec.loader.exec_module(bench)  # type: ignore[union-attr]

MARKS = {"best", "≈ best", "n.s.", "worse", "unranked", "n/a"}


def test_doctests_and_held_out_sets() -> None:
    assert doctest.testmod(bench).failed == 0
    names = {d.name for d in bench.DATASETS}
    assert len(bench.HELD_OUT) >= 4 and bench.HELD_OUT <= names


def test_a_pick_of_another_task_family_is_not_comparable() -> None:
    import losslab

    losses, _ = bench.candidate_losses("multiclass", [0, 1, 2])
    assert not bench._fits(losslab.get("mse"), losses, "multiclass")
    assert bench._fits(losslab.get("categorical_crossentropy"), losses, "multiclass")


def test_run_set_on_iris_gives_one_complete_record_per_model() -> None:
    import losslab

    d = next(d for d in bench.DATASETS if d.name == "iris")
    (rec,) = bench.run_set(d, ("linear",), budget=3.0, jobs=1, cv=3, repeats=1)
    assert rec["name"] == "iris" and rec["model"] == "linear" and rec["error"] is None
    assert rec["true_task"] == "multiclass" and not rec["held_out"]
    advice = losslab.advise(d.load(), target=d.target, seed=bench.SEED)
    assert rec["task"] == advice.task and rec["confidence"] == advice.task_confidence
    assert rec["task_ok"] == bench.task_verdict("multiclass", advice.task, advice.task_confidence,
                                                list(advice.alternatives))  # fmt: skip
    assert rec["pick"] == repr(advice.best.loss)
    assert rec["headline"] == "log_loss"  # the default intent for classes: probabilities
    assert rec["baseline"] == "CategoricalCrossentropy()"
    assert rec["pick_mark"] in MARKS and rec["baseline_mark"] in MARKS - {"n/a"}
    assert rec["best"] != "None" and rec["n_losses"] >= 3 and rec["seconds"] > 0
    assert rec["rows"] == len(d.load()) < bench.MIN_GRADED_ROWS  # reported apart: too few to grade
    order = bench.MARK_ORDER.index
    for factor in bench.ROPE_FACTORS:  # a wider ROPE never makes a mark worse
        assert order(rec[f"pick_mark_{factor:g}"]) <= order(rec["pick_mark"])
        assert order(rec[f"baseline_mark_{factor:g}"]) <= order(rec["baseline_mark"])


def test_marks_at_the_default_rope_are_compares_own() -> None:
    """`marks_at_rope` at factor 1 recomputes compare's verdict from the fold scores; at a wide
    ROPE the candidates the data cannot tell apart become practically equivalent."""
    import losslab

    d = next(d for d in bench.DATASETS if d.name == "engel")
    cmp = losslab.compare(d.load(), target=d.target, losses=["mse", "gamma", "mae"], models=["linear"],
                          task=d.task, cv=5, repeats=2, seed=0, n_jobs=1)  # fmt: skip
    labels = {c.name: c.name for c in cmp.candidates}
    same = bench.marks_at_rope(cmp, labels, 1.0)
    assert same == {c: bench.mark_of(cmp.verdict, c) for c in labels}
    wide = bench.marks_at_rope(cmp, labels, 1000.0)
    assert all(m in bench.BEST_MARKS for c, m in wide.items() if same[c] != "worse")
    assert bench.marks_at_rope(cmp, {"x": None}, 2.0) == {"x": "n/a"}


def test_marks_at_rope_without_a_ranked_candidate_keep_compares_marks() -> None:
    from types import SimpleNamespace as V

    verdict = V(best=None, equivalent=[], not_shown=[], worse=[], unranked=["a"])
    cmp = V(metrics=[V(name="rmse")], verdict=verdict)
    assert bench.marks_at_rope(cmp, {"x": "a", "y": None}, 2.0) == {"x": "unranked", "y": "n/a"}
