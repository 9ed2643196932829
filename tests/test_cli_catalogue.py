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


def test_list_shows_exactly_the_registry_grouped_by_task() -> None:
    # the same names, task by task in the order of the Task enumeration, each group sorted:
    # nothing missing, nothing the registry does not hold
    from losslab._core.info import TASKS

    assert _listed([]) == [n for t in TASKS for n in losslab.list_losses(task=t)]
    result = runner.invoke(app, ["list"], env=WIDE)
    titles = [line.strip() for line in result.output.splitlines() if line.strip().endswith(")")]
    assert titles[0] == f"regression losses ({len(losslab.list_losses(task='regression'))})"


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_list_filters_by_task(task: str) -> None:
    assert _listed(["--task", task]) == losslab.list_losses(task=task)


def test_list_filter_separates_tasks() -> None:
    names = _listed(["--task", "regression"])
    assert "huber" in names and "binary_crossentropy" not in names


def test_list_unknown_task_is_a_usage_error(cli_text) -> None:
    result = runner.invoke(app, ["list", "--task", "regresion"], env=WIDE)
    assert result.exit_code == 2
    assert "Invalid value for '--task': unknown task 'regresion'. Did you mean 'regression'?" in cli_text(
        result.output
    )


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


def test_show_unknown_name_is_a_usage_error(cli_text) -> None:
    result = runner.invoke(app, ["show", "nosuch"], env=WIDE)
    assert result.exit_code == 2  # as Typer's own usage errors
    text = cli_text(result.output)
    assert "Invalid value for 'NAME': unknown loss 'nosuch'" in text and "Traceback" not in text
    assert isinstance(result.exception, SystemExit)


def test_show_close_name_suggests(cli_text) -> None:
    result = runner.invoke(app, ["show", "hubber"], env=WIDE)
    assert result.exit_code == 2
    assert "Did you mean 'huber'" in cli_text(result.output)


def test_show_prints_formulas_as_text_not_latex() -> None:
    out = runner.invoke(app, ["show", "huber"], env=WIDE).output
    assert ".. math::" not in out and "\\begin" not in out and "\\frac" not in out
    assert "∂ℓ/∂f = clip(r, −δ, δ)" in out and "∂²ℓ/∂f² = 𝟙[|r| ≤ δ]" in out
    # the cases of the value on two aligned rows
    rows = [line for line in out.splitlines() if "if |r|" in line]
    assert len(rows) == 2 and "½ r²" in rows[0] and "δ(|r| − ½δ)" in rows[1]
    assert rows[0].index("if |r| ≤ δ") == rows[1].index("if |r| > δ")


def test_show_latex_keeps_the_docstring_formulas() -> None:
    out = runner.invoke(app, ["show", "huber", "--latex"], env=WIDE).output
    assert "\\begin{cases}" in out and "\\frac{\\partial\\ell}{\\partial f}" in out
