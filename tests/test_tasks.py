"""losslab.tasks: one task inference for train, advise and compare; `losslab train` says what it chose;
one table loader."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.tasks import infer_task, task_family

torch = pytest.importorskip("torch")

from typer.testing import CliRunner  # noqa: E402

from losslab.cli import app  # noqa: E402
from losslab.workflows.train_table import train_table  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FAST = {"epochs": 2, "lr": 0.05, "hidden": (4,)}


def _frame(kind: str) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 120
    a = rng.normal(size=n)
    y = {
        "binary strings": np.where(a + rng.logistic(size=n) > 0, "yes", "no"),
        "3-level integers": rng.integers(0, 3, n),
        "continuous": 2 * a + rng.normal(size=n),
        "counts": rng.poisson(np.exp(0.5 + 0.4 * a)),
    }[kind]
    return pd.DataFrame({"a": a, "b": rng.normal(size=n), "y": y})


EXPECTED = {
    "binary strings": "binary",
    "3-level integers": "multiclass",
    "continuous": "regression",
    "counts": "count",
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_train_advise_and_compare_infer_the_same_task(kind):
    frame = _frame(kind)
    task = infer_task(frame["y"]).task
    assert task == EXPECTED[kind]
    assert losslab.advise(frame, target="y").task == task
    assert losslab.advise.infer_task(frame["y"]).task == task  # the re-export keeps working
    cmp = losslab.compare(frame, target="y", models=["linear"], cv=2, top=1, model_params=FAST)
    assert cmp.task == task
    report = train_table(frame, "y", epochs=2, seed=0)
    assert report.inferred_task == task
    assert report.task == task_family(task)


def test_integer_labels_now_train_a_classifier_and_say_so(tmp_path):
    """Before: a numeric target with 3+ values was always a regression; now the advisor's inference."""
    path = tmp_path / "labels.csv"
    _frame("3-level integers").to_csv(path, index=False)
    res = CliRunner().invoke(app, ["train", str(path), "--target", "y", "--epochs", "3"])
    assert res.exit_code == 0, res.output
    line = (
        "task: multiclass (inferred, medium confidence; alternative: regression — pass --loss mse to "
        "train a regression)"
    )
    assert line in " ".join(res.output.split())
    assert "accuracy" in res.output and "categorical_crossentropy" in res.output
    report = train_table(path, "y", epochs=2)
    assert report.task == "classification" and report.task_line == line
    assert report.to_dict()["inferred_task"] == "multiclass"
    # the alternative it names works
    reg = train_table(path, "y", loss="mse", epochs=2)
    assert reg.task == "regression" and reg.task_line == "task: regression (from the loss 'mse')"


def test_a_regression_with_a_classification_alternative_names_it():
    report = train_table(_frame("counts"), "y", epochs=2)
    assert report.task == "regression" and report.loss == "mse"
    assert report.task_line.startswith("task: count (inferred, ")
    assert "trained as a regression; alternative: multiclass — pass --loss categorical_crossentropy" in (
        report.task_line
    )
    clear = train_table(_frame("continuous"), "y", epochs=2)
    assert clear.task_line == "task: regression (inferred, high confidence)"


def test_infer_task_drops_missing_values_and_takes_arrays():
    y = pd.Series([0.5, np.nan, 1.5, np.inf, 0.5, 1.5])
    inf = infer_task(y)
    assert inf.task == "binary" and "in 4 rows" in inf.evidence[0]
    assert infer_task(["a", "b", "c", "a"]).task == "multiclass"
    with pytest.raises(losslab.DataError, match="single value"):
        infer_task([3, 3, np.nan])


def test_one_table_loader():
    """Only losslab.tabular reads files with pandas; advise's loader is tabular's."""
    import importlib

    from losslab import tabular

    assert importlib.import_module("losslab.advise.diagnose").load is tabular.load_xy
    readers = {"read_csv", "read_parquet", "read_table", "read_excel", "read_json"}
    src = Path(losslab.__file__).parent
    for path in src.rglob("*.py"):
        if path.name == "tabular.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in readers:
                owner = node.value
                assert not (isinstance(owner, ast.Name) and owner.id in ("pd", "pandas")), (
                    f"{path.relative_to(src)}:{node.lineno} reads a table itself; use losslab.tabular"
                )
