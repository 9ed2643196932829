"""The ``losslab`` command checks every argument before any work: a wrong one is a usage error
(exit code 2) that names its flag and suggests the right value, with no data loaded, nothing
fitted and no progress bar drawn."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import losslab
import losslab.tabular
from losslab.cli import MODEL_HELP, MODELS, app, columns_text, did_you_mean

runner = CliRunner()
BOSTON = ["crim", "zn", "indus", "chas", "nox", "rm", "age", "dis", "rad", "tax", "ptratio"]
BOSTON += ["b", "lstat", "extra", "medv"]  # the target 15th: a list cut at 12 would miss it


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    d = tmp_path_factory.mktemp("fail_fast")
    rng = np.random.default_rng(3)
    paths = {"boston": d / "boston.csv", "wide": d / "wide.csv", "blank": d / "blank.csv"}
    pd.DataFrame(rng.normal(size=(40, 15)), columns=BOSTON).to_csv(paths["boston"], index=False)
    wide = [f"feature_{i:02d}" for i in range(30)] + ["SalePrice"]
    pd.DataFrame(rng.normal(size=(40, 31)), columns=wide).to_csv(paths["wide"], index=False)
    frame = pd.DataFrame({"a": rng.normal(size=40), "blank": np.nan, "y": rng.normal(size=40)})
    frame.to_csv(paths["blank"], index=False)
    return paths


@pytest.fixture
def reads(monkeypatch):
    """What the command read: ``"header"`` for the column names, ``"rows"`` for the table."""
    seen: list[str] = []
    header, table = losslab.tabular.read_columns, losslab.tabular.read_table

    def read_columns(path):
        seen.append("header")
        return header(path)

    def read_table(data):
        seen.append("rows")
        return table(data)

    monkeypatch.setattr(losslab.tabular, "read_columns", read_columns)
    monkeypatch.setattr(losslab.tabular, "read_table", read_table)
    return seen


@pytest.fixture
def without_lightgbm(monkeypatch):
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # `import lightgbm` now fails


def _no_progress(output: str) -> bool:
    return not any(word in output for word in ("training", "epoch ", "tasks", "━"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "{boston}", "-t", "medv", "--folds", "1"], "Invalid value for '--folds'"),
        (["compare", "{boston}", "-t", "medv", "--repeats", "0"], "Invalid value for '--repeats'"),
        (["compare", "{boston}", "-t", "medv", "--model", "xgboost"], "unknown model 'xgboost'"),
        (["compare", "{boston}", "-t", "medv", "--model", "gdbt"], "Did you mean 'gbdt'?"),
        (["compare", "{boston}", "-t", "medv", "--loss", "hubber"], "Did you mean 'huber'"),
        (["compare", "{boston}", "-t", "medv", "--metric", "rsme"], "Did you mean 'rmse'?"),
        (["compare", "{boston}", "-t", "medv", "--predict", "modal"], "Invalid value for '--predict'"),
        (["train", "{boston}", "-t", "medv", "--model", "xgboost"], "Choose from linear, gbdt, mlp."),
        (["train", "{boston}", "-t", "medv", "--loss", "hubber"], "Did you mean 'huber'"),
        (["plot", "hubber"], "Did you mean 'huber'"),
        (["show", "hubber"], "Did you mean 'huber'"),
    ],
)
def test_a_wrong_argument_fails_before_reading_the_data(tables, reads, cli_text, tmp_path, args, message):
    argv = [a.format(**{k: str(v) for k, v in tables.items()}) for a in args]
    res = runner.invoke(app, [*argv, *(["--out", str(tmp_path / "o")] if args[0] != "show" else [])])
    assert res.exit_code == 2, res.output
    assert message in cli_text(res.output) and "Traceback" not in res.output
    assert reads == []  # not even the header
    assert _no_progress(res.output) and not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["compare", "train"])
def test_a_model_whose_package_is_missing_fails_before_any_work(
    tables, reads, without_lightgbm, cli_text, command
):
    res = runner.invoke(app, [command, str(tables["boston"]), "-t", "medv", "--model", "gbdt"])
    assert res.exit_code == 2, res.output
    text = cli_text(res.output)
    assert "Invalid value for '--model': model 'gbdt' needs lightgbm, which is not installed" in text
    assert "pip install 'losslab[lightgbm]'" in text
    assert reads == [] and _no_progress(res.output)


def test_compare_default_models_leave_out_gbdt_without_lightgbm(tables, without_lightgbm, monkeypatch):
    seen = {}

    def fake_compare(**kwargs):
        seen.update(kwargs)
        raise losslab.DataError("stopped by the test")

    monkeypatch.setattr(losslab, "compare", fake_compare)
    res = runner.invoke(app, ["compare", str(tables["boston"]), "-t", "medv", "-l", "mse", "--out", "x"])
    assert res.exit_code == 1 and "stopped by the test" in res.output
    assert seen["models"] == ["linear"]


@pytest.mark.parametrize("command", ["advise", "compare", "train"])
def test_target_suggested_ignoring_case_among_all_columns(tables, reads, cli_text, command):
    res = runner.invoke(app, [command, str(tables["boston"]), "--target", "MEDV"])
    assert res.exit_code == 2
    text = cli_text(res.output)
    assert "Invalid value for '--target': column 'MEDV' is not in the table. Did you mean 'medv'?" in text
    assert "Its 15 columns: 'crim', 'zn'," in text and "'extra', 'medv'." in text  # all 15
    assert reads == ["header"]  # the column names, no rows
    assert _no_progress(res.output)


def test_a_wide_table_lists_the_closest_columns_not_all(tables, cli_text):
    res = runner.invoke(app, ["train", str(tables["wide"]), "--target", "sale_price"])
    assert res.exit_code == 2
    text = cli_text(res.output)
    assert "Did you mean 'SalePrice'? It has 31 columns; the closest to 'sale_price': 'SalePrice'" in text
    assert "feature_00" not in text


@pytest.mark.parametrize("command", ["advise", "compare", "train"])
def test_a_missing_target_names_the_flag_and_lists_the_columns(tables, cli_text, command):
    res = runner.invoke(app, [command, str(tables["boston"])])
    assert res.exit_code == 2
    text = cli_text(res.output)
    assert "Missing option '--target' / '-t'. Name the target column. Its 15 columns: 'crim'," in text
    assert "`target`" not in text and "is required" not in text


def test_train_draws_no_bar_before_a_data_error(tables):
    res = runner.invoke(app, ["train", str(tables["blank"]), "--target", "y", "--epochs", "3"])
    assert res.exit_code == 1
    assert "feature column 'blank' has no values" in " ".join(res.output.split())
    assert _no_progress(res.output)


@pytest.mark.parametrize("command", ["compare", "train"])
def test_help_lists_every_model(cli_text, command):
    text = cli_text(runner.invoke(app, [command, "--help"]).output)
    assert "linear, gbdt (LightGBM) or mlp" in text
    assert list(MODELS) == ["linear", "gbdt", "mlp"] and all(m in MODEL_HELP for m in MODELS)


def test_compare_help_states_the_exit_codes(cli_text):
    text = cli_text(runner.invoke(app, ["compare", "--help"]).output)
    assert "2 usage error" in text and "3 partial result" in text and "130 interrupted" in text


def test_suggestions_and_column_lists():
    assert did_you_mean("MEDV", ["crim", "medv"]) == ["medv"]
    assert did_you_mean("huber", ["mse", "mae"]) == []
    many = [f"c{i}" for i in range(25)]
    assert columns_text(many).startswith("It has 25 columns: 'c0', 'c1',") and "'c24'" in columns_text(many)
    assert "none spelled like 'zzz'" in columns_text(many, near="zzz")


def test_an_interrupted_compare_exits_130_and_says_how_to_resume(tables, monkeypatch, cli_text):
    def interrupted(progress, **kwargs):
        progress(0, 4, None)  # the bar starts, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(losslab, "compare", interrupted)
    res = runner.invoke(app, ["compare", str(tables["boston"]), "-t", "medv", "-l", "mse", "--out", "x"])
    assert res.exit_code == 130
    assert "interrupted: finished tasks are stored; run the same command again to resume." in cli_text(
        res.output
    )
    assert "Traceback" not in res.output
