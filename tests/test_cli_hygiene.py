"""`losslab compare` and `losslab train` with data hygiene: identifier columns dropped and said so,
--keep-column, --groups, --exposure, and one-line errors naming the flag."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from losslab.cli import app

runner = CliRunner()
FAST = ["--epochs", "30", "--lr", "0.05"]


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_hygiene")
    rng = np.random.default_rng(7)
    n = 160
    y = rng.integers(0, 2, n)
    cls = pd.DataFrame({"a": rng.normal(size=n) + 0.3 * y, "b": rng.normal(size=n), "y": y})
    cls = cls.sort_values("y", kind="stable").reset_index(drop=True)
    cls.insert(0, "row_id", np.arange(1, n + 1))
    cls["y"] = cls["y"].astype(float)
    cls.loc[::20, "y"] = np.nan
    x = rng.normal(size=n)
    years = rng.uniform(0.5, 5.0, n)
    counts = pd.DataFrame(
        {
            "firm": np.repeat([f"f{i}" for i in range(20)], n // 20),
            "x": x,
            "years": years,
            "claims": rng.poisson(years * np.exp(0.3 + 0.5 * x)),
        }
    )
    paths = {"cls": d / "cls.csv", "counts": d / "counts.csv"}
    cls.to_csv(paths["cls"], index=False)
    counts.to_csv(paths["counts"], index=False)
    return paths


def test_compare_prints_the_dropped_identifier_and_keeps_it_on_request(tables, tmp_path):
    base = [
        "compare",
        str(tables["cls"]),
        "--target",
        "y",
        "--loss",
        "binary_crossentropy",
        "--model",
        "linear",
    ]
    res = runner.invoke(app, [*base, "--folds", "3", "--out", str(tmp_path / "a"), *FAST])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "left out 8 of 160 rows whose target 'y' is missing" in text
    assert (
        "dropped column 'row_id' as an identifier (152 distinct values in 152 rows, named like an "
        "identifier); keep it with --keep-column row_id" in text
    )
    doc = json.loads((tmp_path / "a" / "results.json").read_text())
    assert len(doc["warnings"]) == 2 and doc["config"]["n_features"] == 2
    res = runner.invoke(
        app, [*base, "--folds", "3", "--out", str(tmp_path / "b"), "--keep-column", "row_id", *FAST]
    )
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "kept column 'row_id' on request" in text and "suspected leak: column 'row_id'" in text


def test_compare_groups_and_exposure(tables, tmp_path):
    args = ["compare", str(tables["counts"]), "--target", "claims", "--loss", "poisson", "--model", "linear"]
    args += ["--groups", "firm", "--exposure", "years", "--folds", "4", "--out", str(tmp_path / "o"), *FAST]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "o" / "results.json").read_text())
    assert doc["config"]["groups"] == "firm" and doc["config"]["exposure"] == "years"
    assert doc["config"]["n_features"] == 1  # x only: the group and exposure columns are not features


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--exposure", "nope"], 2, "Invalid value for '--exposure': column 'nope' is not in the table."),
        (["--exposure", "Years"], 2, "Did you mean 'years'?"),
        (["--groups", "claims"], 1, "--groups 'claims' is the target column"),
        (
            ["--keep-column", "nope"],
            2,
            "Invalid value for '--keep-column': column 'nope' is not in the table",
        ),
    ],
)
def test_compare_hygiene_errors_name_the_flag(tables, tmp_path, cli_text, extra, code, message):
    out = tmp_path / "never"
    args = ["compare", str(tables["counts"]), "--target", "claims", "--loss", "poisson", "--out", str(out)]
    res = runner.invoke(app, [*args, *extra])
    assert res.exit_code == code
    assert message in cli_text(res.output) and "Traceback" not in res.output
    assert not out.exists()


def test_train_prints_the_dropped_identifier(tables, tmp_path):
    res = runner.invoke(app, ["train", str(tables["cls"]), "--target", "y", "--epochs", "10"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "left out 8 of 160 rows whose target 'y' is missing" in text
    assert "dropped column 'row_id' as an identifier" in text
    out = tmp_path / "m"
    res = runner.invoke(
        app,
        [
            "train",
            str(tables["cls"]),
            "--target",
            "y",
            "--epochs",
            "10",
            "--keep-column",
            "row_id",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "dropped column" not in res.output
    assert "row_id" in json.loads((out / "config.json").read_text())["features_in"]
