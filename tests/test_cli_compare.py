"""`losslab compare`, `losslab plot`, `losslab demo`: outputs, and one-line errors with exit code 1
that leave nothing written."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from losslab.cli import app

runner = CliRunner()
FAST = ["--epochs", "4", "--lr", "0.05"]


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_compare")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    reg = pd.DataFrame(X, columns=["a", "b"]).assign(y=X @ [1.0, -1.0] + rng.normal(0, 0.3, 60))
    paths = {"reg": d / "reg.csv", "pq": d / "reg.parquet", "txt": d / "reg.txt", "bad": d / "bad.parquet"}
    reg.to_csv(paths["reg"], index=False)
    reg.to_parquet(paths["pq"])
    paths["txt"].write_text("a b y\n")
    paths["bad"].write_text("not parquet")
    return paths


def test_compare_writes_report_and_prints_leaderboard(tables, tmp_path):
    out = tmp_path / "out"
    args = ["compare", str(tables["pq"]), "--target", "y", "--loss", "mse", "--loss", "huber:delta=0.5"]
    res = runner.invoke(app, [*args, "--model", "linear", "--folds", "3", "--out", str(out), *FAST])
    assert res.exit_code == 0, res.output
    assert "leaderboard" in res.output and "huber(delta=0.5)/linear" in res.output
    assert "report:" in res.output
    for name in ("report.html", "results.json", "leaderboard.csv", "experiment.json"):
        assert (out / name).is_file()
    doc = json.loads((out / "results.json").read_text())
    assert [c["name"] for c in doc["candidates"]] == ["mse/linear", "huber(delta=0.5)/linear", "mse/constant"]
    assert doc["candidates"][1]["loss"] == {"name": "huber", "delta": 0.5}
    # the same command again resumes from the store
    res2 = runner.invoke(app, [*args, "--model", "linear", "--folds", "3", "--out", str(out), *FAST])
    assert res2.exit_code == 0 and "9 reused" in res2.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["{reg}", "--target", "y", "--loss", "binary_crossentropy"],
            "does not fit the regression target 'y'",
        ),
        (
            ["{reg}", "--target", "y", "--loss", "mse", "--metric", "roc_auc"],
            "'roc_auc' does not fit the task",
        ),
    ],
)
def test_data_errors_one_line_exit_1_nothing_written(tables, tmp_path, args, message):
    out = tmp_path / "out"
    paths = {k: str(v) for k, v in tables.items()}
    argv = ["compare", *[a.format(**paths) for a in args], "--task", "regression", "--out", str(out), *FAST]
    res = runner.invoke(app, argv)
    assert res.exit_code == 1, res.output
    assert message in " ".join(res.output.split())
    assert "Traceback" not in res.output
    assert len([line for line in res.output.splitlines() if line.strip()]) <= 3  # one wrapped line
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{reg}", "--target", "nope"], "Invalid value for '--target': column 'nope' is not in the table"),
        (["{missing}", "--target", "y"], "no such file"),
        (["{txt}", "--target", "y"], "unsupported format '.txt'"),
        (["{bad}", "--target", "y"], "cannot read"),
        (["{reg}", "--target", "y", "--loss", "nope"], "Invalid value for '--loss': unknown loss 'nope'"),
        (["{reg}", "--target", "y", "--metric", "rsme"], "Did you mean 'rmse'?"),
        (["{reg}", "--target", "y", "--rope", "rmse"], "Invalid value for '--rope'"),
        (["{reg}", "--target", "y", "--jobs", "0"], "Invalid value for '--jobs'"),
        (["{reg}", "--target", "y", "--lr", "0"], "Invalid value for '--lr': must be > 0"),
    ],
)
def test_bad_arguments_usage_error_exit_2_nothing_written(tables, tmp_path, cli_text, args, message):
    out = tmp_path / "out"
    paths = {**{k: str(v) for k, v in tables.items()}, "missing": str(tmp_path / "missing.csv")}
    res = runner.invoke(app, ["compare", *[a.format(**paths) for a in args], "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert message in cli_text(res.output) and "Traceback" not in res.output
    assert "Try 'losslab compare --help' for help." in cli_text(res.output)
    assert not out.exists()


def test_plot_writes_a_figure(tmp_path):
    out = tmp_path / "shapes.svg"
    res = runner.invoke(app, ["plot", "mse", "huber:delta=0.5", "binary_crossentropy", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text().lstrip().startswith("<?xml") and "<svg" in out.read_text()[:2000]
    bad = runner.invoke(app, ["plot", "nope", "--out", str(tmp_path / "x.png")])
    assert bad.exit_code == 2 and "nope" in bad.output
    fmt = runner.invoke(app, ["plot", "mse", "--out", str(tmp_path / "x.gif")])
    assert fmt.exit_code == 1 and "unsupported format" in fmt.output


def test_demo_wiring(tmp_path, monkeypatch):
    """`losslab demo` end to end on the embedded data (settings shrunk here; the full demo is timed in
    docs/compare.md)."""
    from losslab.workflows import demo

    small = {
        **demo.DEMO_SETTINGS,
        "repeats": 1,
        "top": 2,
        "models": ("linear",),
        "model_params": {"epochs": 3},
    }
    monkeypatch.setattr(demo, "DEMO_SETTINGS", small)
    out = tmp_path / "demo"
    res = runner.invoke(app, ["demo", "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert "advisor: task regression" in res.output
    assert f"report:{out / 'report.html'}" in "".join(res.output.split())
    assert (out / "report.html").stat().st_size > 50_000
    bad = runner.invoke(app, ["demo", "--dataset", "diabetis", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and not (tmp_path / "x").exists()
    assert "unknown data set 'diabetis'. Did you mean 'diabetes'?" in " ".join(
        bad.output.replace("│", " ").split()
    )


def test_compare_auto_parameter_and_store_version(tables, tmp_path):
    out = tmp_path / "auto"
    args = ["compare", str(tables["reg"]), "--target", "y", "--loss", "huber:delta=auto", "--model", "linear"]
    res = runner.invoke(app, [*args, "--folds", "3", "--out", str(out), *FAST])
    assert res.exit_code == 0, res.output
    assert "huber(delta=per-fold)/linear" in res.output
    doc = json.loads((out / "results.json").read_text())
    assert doc["format_version"] == 2 and doc["candidates"][0]["refit"] is True
    assert (
        len({t["loss"].get("delta") for t in doc["tasks"] if "delta" in t["loss"]}) == 3
    )  # δ per training fold
    exp = out / "experiment.json"
    exp.write_text(json.dumps({**json.loads(exp.read_text()), "format_version": 99}))
    res2 = runner.invoke(app, [*args, "--folds", "3", "--out", str(out), *FAST])
    assert res2.exit_code == 1 and "format_version 99" in " ".join(res2.output.split())
    assert "Traceback" not in res2.output


def test_compare_prints_the_merge_notes(tables, tmp_path):
    args = ["compare", str(tables["reg"]), "--target", "y", "--loss", "mse", "--loss", "expectile"]
    res = runner.invoke(
        app, [*args, "--model", "linear", "--folds", "3", "--epochs", "3", "--out", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    assert "note expectile is mse: ran once" in " ".join(res.output.split())
