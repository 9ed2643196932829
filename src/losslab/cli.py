"""The ``losslab`` command: thin Typer + Rich shells over library functions.

Every command turns a `LosslabError` into one red line and exit code 1; anything unexpected
keeps its traceback.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

import losslab
from losslab._core.errors import LosslabError

app = typer.Typer(
    name="losslab",
    help="The loss functions of machine learning: catalogue, train, advise, compare.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a Typer command whose LosslabErrors become one red line and exit code 1."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*a: Any, **k: Any) -> Any:
            try:
                return fn(*a, **k)
            except LosslabError as exc:
                err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
                raise typer.Exit(code=1) from None

        run.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
        return app.command(*args, **kwargs)(run)

    return wrap


def _version(value: bool) -> None:
    if value:
        console.print(f"losslab {losslab.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """losslab: pick, implement and compare loss functions, exactly."""


def _params_text(cls: type[losslab.Loss]) -> str:
    return ", ".join(f"{p.name}={p.default!r}" for p in cls.PARAMS) or "—"


@command("list")
def list_cmd(
    task: Annotated[
        str | None,
        typer.Option(help="Only losses of this task (regression, binary, multiclass, distribution)."),
    ] = None,
) -> None:
    """The catalogue as a table: name, task, what it estimates, parameters."""
    from losslab._core.registry import aliases_of, loss_class

    table = Table(title="losslab losses", show_lines=False)
    for col in ("name", "task", "estimates", "parameters", "aliases"):
        table.add_column(col, overflow="fold")
    names = losslab.list_losses(task=task)
    if not names:
        raise losslab.DataError(
            f"no loss has task {task!r}; tasks are regression, binary, multiclass, distribution."
        )
    for name in names:
        cls = loss_class(name)
        table.add_row(name, cls.INFO.task, cls.INFO.estimates, _params_text(cls), ", ".join(aliases_of(name)))
    console.print(table)


@command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="A loss name or alias, or package.module:name.")],
) -> None:
    """One loss: formulas, domains, properties, parameters, references."""
    from rich.markdown import Markdown

    from losslab._core.describe import describe

    console.print(Markdown(describe(losslab.get(name))))


def main() -> None:
    """Entry point of the ``losslab`` console script."""
    app()


if __name__ == "__main__":
    main()
