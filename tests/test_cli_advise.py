"""`losslab advise DATA --target COL`: Rich tables, --json, and one-line errors with exit code 1."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from losslab.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    d = tmp_path_factory.mktemp("advise")
    rng = np.random.default_rng(0)
    n = 600
    X = rng.normal(size=(n, 2))
    paths = {}
    reg = pd.DataFrame(X, columns=["a", "b"]).assign(y=X @ [1.0, -1.0] + rng.standard_t(2, n))
    paths["reg"] = d / "reg.csv"
    reg.to_csv(paths["reg"], index=False)
    p = 1 / (1 + np.exp(-(X @ [1.0, 1.0] - 3.5)))
    clf = pd.DataFrame(X, columns=["a", "b"]).assign(label=(rng.random(n) < p).astype(int))
    paths["clf"] = d / "clf.parquet"
    clf.to_parquet(paths["clf"])
    pos = pd.DataFrame(X, columns=["a", "b"]).assign(price=np.exp(X[:, 0]) * rng.lognormal(0, 0.5, n))
    paths["pos"] = d / "pos.csv"
    pos.to_csv(paths["pos"], index=False)
    paths["empty"] = d / "empty.csv"
    paths["empty"].write_text("a,y\n")
    paths["nan"] = d / "nan.csv"
    pd.DataFrame({"a": [1.0, 2.0], "y": [np.nan, np.nan]}).to_csv(paths["nan"], index=False)
    paths["one"] = d / "one.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [1, 1, 1]}).to_csv(paths["one"], index=False)
    return paths


def test_tables_with_reasons(tables):
    result = runner.invoke(app, ["advise", str(tables["reg"]), "--target", "y"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "task regression" in out
    assert "diagnosis" in out and "residual_outlier_share_iqr" in out
    assert "recommended losses" in out and "huber(delta=" in out
    assert "predict: mean (default)" in out


def test_costs_print_the_threshold(tables):
    result = runner.invoke(app, ["advise", str(tables["clf"]), "-t", "label", "--costs", "fp=1,fn=5"])
    assert result.exit_code == 0, result.output
    assert "p* = c_fp/(c_fp + c_fn) = 0.1667" in result.output
    assert "cost_sensitive_bce" in result.output


def test_text_with_brackets_is_not_read_as_markup(tables, monkeypatch):
    import losslab.cli

    monkeypatch.setattr(losslab.cli.console, "width", 400)  # one line per cell
    result = runner.invoke(app, ["advise", str(tables["pos"]), "--target", "price"])
    assert result.exit_code == 0, result.output
    assert "exp(E[log(1+y)]) − 1" in result.output  # the MSLE caveat, brackets intact


def test_json_is_json_only(tables):
    result = runner.invoke(
        app, ["advise", str(tables["reg"]), "--target", "y", "--predict", "quantile:0.9", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["predict"] == "quantile(0.9)"
    assert data["recommendations"][0]["loss"] == {"name": "quantile", "quantile": 0.9}
    assert data["task"] == "regression"


def test_task_override(tables):
    args = ["advise", str(tables["clf"]), "-t", "label", "--task", "regression", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["task"] == "regression"


@pytest.mark.parametrize(
    ("case", "args", "message"),
    [
        ("empty", ["--target", "y"], "empty"),
        ("nan", ["--target", "y"], "has no values"),
        ("one", ["--target", "y"], "single value"),
    ],
)
def test_bad_data_is_one_line_and_exit_1(tables, case, args, message):
    result = runner.invoke(app, ["advise", str(tables[case]), *args])
    assert result.exit_code == 1
    text = result.stderr
    assert message in " ".join(text.split())
    assert "Traceback" not in result.output
    assert text.strip().startswith("error:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "nope"], "Invalid value for '--target': column 'nope' is not in the table."),
        (["--target", "Y"], "Did you mean 'y'?"),
        ([], "Missing option '--target' / '-t'. Name the target column. Its 3 columns: 'a', 'b', 'y'."),
        (["--target", "y", "--costs", "fp=1,fn=oops"], "'--costs': cost 'fn' must be a number"),
        (["--target", "y", "--predict", "quantile:2"], "must lie in (0, 1)"),
        (["--target", "y", "--predict", "mode"], "'--predict': cannot parse predict='mode'"),
        (["--target", "y", "--task", "regresion"], "unknown task 'regresion'. Did you mean 'regression'?"),
    ],
)
def test_bad_arguments_are_usage_errors_exit_2(tables, cli_text, args, message):
    result = runner.invoke(app, ["advise", str(tables["reg"]), *args])
    assert result.exit_code == 2
    text = cli_text(result.output)
    assert message in text and "Traceback" not in text
    assert "`target`" not in text  # flags, never the Python parameter names


def test_missing_file_is_a_usage_error(tmp_path, cli_text):
    result = runner.invoke(app, ["advise", str(tmp_path / "missing.csv"), "--target", "y"])
    assert result.exit_code == 2
    assert "Invalid value for 'DATA'" in cli_text(result.output) and "no such file" in result.output


def test_exposure_flag_and_confidence(tmp_path):
    rng = np.random.default_rng(4)
    n = 600
    x = rng.normal(size=n)
    population = np.round(np.exp(rng.uniform(6, 11, n)))
    frame = pd.DataFrame({"x": x, "population": population, "deaths": rng.poisson(population * 1e-3)})
    path = tmp_path / "deaths.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(app, ["advise", str(path), "-t", "deaths", "--exposure", "population"])
    assert result.exit_code == 0, result.output
    assert "confidence in the first:" in result.output
    as_json = runner.invoke(app, ["advise", str(path), "-t", "deaths", "--exposure", "population", "--json"])
    advice = json.loads(as_json.output)
    assert advice["diagnostics"]["exposure"]["column"] == "population"
    assert any("offset log population" in r for r in advice["recommendations"][0]["reasons"])
    assert advice["confidence"] in ("high", "medium", "low")
    bad = runner.invoke(app, ["advise", str(path), "-t", "deaths", "--exposure", "Population"])
    assert bad.exit_code == 2 and "--exposure" in bad.output
