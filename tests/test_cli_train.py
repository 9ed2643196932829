"""`losslab train DATA --target COL --loss NAME`: metrics, saved model/curve/history, --trace, bad data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")

from losslab.cli import app  # noqa: E402

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    d = tmp_path_factory.mktemp("train")
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame({"a": rng.normal(size=n), "city": rng.choice(["paris", "lyon"], n)})
    df["y"] = 2.0 * df["a"] + (df["city"] == "paris") + rng.normal(0, 0.5, n)
    df["label"] = np.where(df["a"] + rng.logistic(size=n) > 0, "yes", "no")
    df.loc[::10, "a"] = np.nan
    paths = {"reg": d / "reg.csv", "clf": d / "clf.parquet"}
    df.drop(columns="label").to_csv(paths["reg"], index=False)
    df.drop(columns="y").to_parquet(paths["clf"])
    paths["empty_col"] = d / "empty_col.csv"
    df.drop(columns="label").assign(blank=np.nan).to_csv(paths["empty_col"], index=False)
    paths["one_class"] = d / "one_class.csv"
    df.assign(label="yes").drop(columns="y").to_csv(paths["one_class"], index=False)
    return paths


def test_train_regression_writes_model_curve_history_and_config(tables, tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(
        app,
        [
            "train",
            str(tables["reg"]),
            "--target",
            "y",
            "--loss",
            "huber:delta=1.0",
            "--epochs",
            "40",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "held-out metrics" in res.output and "huber" in res.output and "r2" in res.output
    files = {p.name for p in out.iterdir()}
    assert files == {"model.joblib", "model.pt", "config.json", "history.csv", "learning_curve.png"}
    assert (out / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    config = json.loads((out / "config.json").read_text())
    assert config["params"]["loss"] == {"name": "huber", "delta": 1.0}
    assert config["features_out"] == ["a", "city_lyon", "city_paris"]
    history = pd.read_csv(out / "history.csv")
    assert list(history.columns[:4]) == ["epoch", "train_loss", "val_loss", "lr"]
    assert len(history) == config["epochs_run"]
    import joblib

    est = joblib.load(out / "model.joblib")
    frame = pd.read_csv(tables["reg"])
    assert est.score(frame.drop(columns="y"), frame["y"]) > 0.7
    state = torch.load(out / "model.pt")
    assert set(state) == {"linear.weight", "linear.bias", "output_scale"}


def test_train_classification_from_parquet_with_trace(tables):
    res = runner.invoke(
        app,
        [
            "train",
            str(tables["clf"]),
            "-t",
            "label",
            "--model",
            "mlp",
            "--hidden",
            "8",
            "--epochs",
            "10",
            "--trace",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "binary_crossentropy" in res.output and "accuracy" in res.output and "roc_auc" in res.output
    for stage in ("1. Forward pass", "2. Loss", "3. Backpropagation", "4. Update", "L after the step"):
        assert stage in res.output


def test_train_gbdt_saves_the_booster(tables, tmp_path):
    out = tmp_path / "trees"
    res = runner.invoke(
        app, ["train", str(tables["reg"]), "-t", "y", "--model", "gbdt", "--epochs", "30", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} == {
        "model.joblib",
        "model.txt",
        "config.json",
        "history.csv",
        "learning_curve.png",
    }
    assert "r2" in res.output


@pytest.mark.parametrize(
    "key, args, message",
    [
        ("empty_col", ["--target", "y"], "feature column 'blank' has no values"),
        ("one_class", ["--target", "label"], "has one class only"),
        ("reg", ["--target", "y", "--loss", "binary_crossentropy"], "binary_crossentropy"),
        ("clf", ["--target", "label", "--loss", "mse"], "is not numeric"),
        ("reg", ["--target", "y", "--loss", "msle"], "msle' must be > -1"),
        ("reg", ["--target", "y", "--model", "gbdt", "--trace"], "model 'gbdt' boosts trees"),
    ],
)
def test_bad_data_is_one_clear_line_and_exit_code_1(tables, key, args, message):
    res = runner.invoke(app, ["train", str(tables[key]), "--epochs", "2", *args])
    assert res.exit_code == 1, res.output
    assert message in res.output.replace("\n", " ")
    assert "Traceback" not in res.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--target", "nope"], "Invalid value for '--target': column 'nope' is not in the table"),
        (["--target", "y", "--optimizer", "adma"], "unknown optimizer 'adma'. Did you mean 'adam'?"),
        (["--target", "y", "--model", "xgboost"], "unknown model 'xgboost'. Choose from linear, gbdt, mlp."),
        (["--target", "y", "--hidden", "64,x"], "Invalid value for '--hidden'"),
        (["--target", "y", "--test-fraction", "1"], "Invalid value for '--test-fraction'"),
        (["--target", "y", "--epochs", "0"], "Invalid value for '--epochs'"),
    ],
)
def test_bad_arguments_are_usage_errors_exit_2(tables, cli_text, args, message):
    res = runner.invoke(app, ["train", str(tables["reg"]), *args])
    assert res.exit_code == 2, res.output
    assert message in cli_text(res.output) and "Traceback" not in res.output
