"""``losslab list`` and ``losslab show``: the catalogue from the registry, errors as one line."""

from __future__ import annotations

import pytest

typer_testing = pytest.importorskip("typer.testing")

import losslab  # noqa: E402
from losslab.cli import app  # noqa: E402

runner = typer_testing.CliRunner()
WIDE = {"NO_COLOR": "1"}  # the default 80 columns: names must still appear whole


def _listed(args: list[str]) -> list[str]:
    """The names in the first column of the table ``losslab list`` prints (wrapped rows skipped)."""
    result = runner.invoke(app, ["list", *args], env=WIDE)
    assert result.exit_code == 0, result.output
    cells = [line.split("│")[1].strip() for line in result.output.splitlines() if line.startswith("│")]
    return [c for c in cells if c]


def test_list_shows_exactly_the_registry() -> None:
    # the same names in the same order: nothing missing, nothing the registry does not hold
    assert _listed([]) == losslab.list_losses()


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_list_filters_by_task(task: str) -> None:
    assert _listed(["--task", task]) == losslab.list_losses(task=task)


def test_list_filter_separates_tasks() -> None:
    names = _listed(["--task", "regression"])
    assert "huber" in names and "binary_crossentropy" not in names


def test_show_huber() -> None:
    result = runner.invoke(app, ["show", "huber"], env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "huber" in out.lower() and "delta" in out
    assert "Huber, P. J. (1964)" in out  # references come from the metadata


def test_show_accepts_aliases() -> None:
    result = runner.invoke(app, ["show", "log_loss"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "binary_crossentropy" in result.output


def test_show_unknown_name_is_one_line_without_traceback() -> None:
    result = runner.invoke(app, ["show", "nosuch"], env=WIDE)
    assert result.exit_code == 1
    text = result.output.strip()  # stdout and stderr together
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "nosuch" in lines[0] and "Traceback" not in text
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_show_close_name_suggests() -> None:
    result = runner.invoke(app, ["show", "hubber"], env=WIDE)
    assert result.exit_code == 1
    assert "'huber'" in result.output
