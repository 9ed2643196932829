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

        run.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
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

    import losslab.xgboost  # registers the "In XGBoost and LightGBM" section of describe()
    from losslab._core.describe import describe

    console.print(Markdown(describe(losslab.get(name))))


@command("advise")
def advise_cmd(
    data: Annotated[str, typer.Argument(help="A .csv, .tsv or .parquet file.")],
    target: Annotated[str | None, typer.Option("--target", "-t", help="The target column.")] = None,
    predict: Annotated[
        str | None,
        typer.Option(help="mean, median, quantile:0.9, expectile:0.8, probability or decision."),
    ] = None,
    costs: Annotated[str | None, typer.Option(help="Misclassification costs, e.g. fp=1,fn=5.")] = None,
    task: Annotated[
        str | None,
        typer.Option(help="Override: binary, multiclass, regression, count, positive, proportion, ordinal."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the advice as JSON only.")] = False,
) -> None:
    """Which loss for this data, and why: the diagnosis and the ranked losses with reasons."""
    from losslab.advise import advise

    adv = advise(data, target, predict=predict, costs=costs, task=task)
    if json_out:
        typer.echo(adv.to_json())
        return
    d = adv.diagnostics
    console.print(
        f"[bold]{adv.target}[/]: task [bold]{adv.task}[/] (confidence {adv.task_confidence})"
        + (f"; alternatives: {', '.join(adv.alternatives)}" if adv.alternatives else ""),
        highlight=False,
    )
    for ev in adv.task_evidence:
        console.print(f"  • {ev}", highlight=False)
    diag = Table(title="diagnosis", show_header=True)
    diag.add_column("measure")
    diag.add_column("value", overflow="fold")
    for key, value in d.items():
        if value is None or value == [] or value == {} or key.endswith("_note"):
            continue
        if isinstance(value, float):
            value = f"{value:.4g}"
        elif isinstance(value, dict):
            value = ", ".join(
                f"{k}: {v:.3g}" if isinstance(v, float) else f"{k}: {v}" for k, v in value.items()
            )
        elif isinstance(value, list):
            value = ", ".join(v["column"] if isinstance(v, dict) else str(v) for v in value)
        diag.add_row(key, str(value))
    console.print(diag)
    for m in adv.messages:
        color = {"error": "red", "warning": "yellow"}.get(m.level, "cyan")
        console.print(f"[{color}]{m.level}[/] {m.message}", highlight=False)
    console.print(f"predict: [bold]{adv.predict}[/] ({adv.predict_source})", highlight=False)
    if adv.threshold is not None:
        console.print(
            f"decision threshold p* = c_fp/(c_fp + c_fn) = [bold]{adv.threshold:.4g}[/]", highlight=False
        )
    ranking = Table(title="recommended losses", show_lines=True)
    for col in ("#", "loss", "estimates", "why", "caveats", "judge with"):
        ranking.add_column(col, overflow="fold")
    for r in adv.recommendations:
        ranking.add_row(
            str(r.rank),
            r.label,
            r.estimates,
            "\n".join(f"• {x}" for x in r.reasons),
            "\n".join(f"• {x}" for x in r.caveats),
            ", ".join(r.metrics),
        )
    console.print(ranking)


def main() -> None:
    """Entry point of the ``losslab`` console script."""
    app()


if __name__ == "__main__":
    main()
