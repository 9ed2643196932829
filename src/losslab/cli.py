"""The ``losslab`` command: thin Typer + Rich shells over library functions.

Arguments are checked before any work (no data loaded, no progress bar): a wrong argument is a
usage error that names its flag, suggests the closest valid value, and exits with code 2, as
Typer's own usage errors do. A `LosslabError` raised while working becomes one red line and exit
code 1; anything unexpected keeps its traceback. ``compare`` exits with 3 on a partial result and
130 when interrupted.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import inspect
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

import losslab
from losslab._core.errors import LosslabError
from losslab._core.info import TASKS as LOSS_TASKS
from losslab.tasks import TASKS

app = typer.Typer(
    name="losslab",
    help="The loss functions of machine learning: catalogue, train, advise, compare.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def fail(message: str) -> NoReturn:
    """One red line on stderr and exit code 1."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=True)
    raise typer.Exit(code=1)


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a Typer command whose LosslabErrors become one red line and exit code 1, and whose
    usage errors (`usage_error`) are shown with the command's usage line, exit code 2."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*a: Any, losslab_ctx: typer.Context, **k: Any) -> Any:
            try:
                return fn(*a, **k)
            except LosslabError as exc:
                fail(escape(str(exc)))
            except typer.BadParameter as exc:
                if exc.ctx is None:  # raised by a check below the command: show its usage line
                    exc.ctx, exc.cmd = losslab_ctx, losslab_ctx.command
                raise

        sig = inspect.signature(fn, eval_str=True)
        ctx = inspect.Parameter("losslab_ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
        run.__signature__ = sig.replace(parameters=[*sig.parameters.values(), ctx])  # type: ignore[attr-defined]
        return app.command(*args, **kwargs)(run)

    return wrap


# ---- argument checks: before any work, as usage errors (exit code 2) naming the flag ------------

#: the models the commands train, and the package each needs (import name, pip extra)
MODELS: dict[str, tuple[str, str]] = {
    "linear": ("torch", "losslab[torch]"),
    "gbdt": ("lightgbm", "losslab[lightgbm]"),
    "mlp": ("torch", "losslab[torch]"),
}
MODEL_HELP = "linear, gbdt (LightGBM) or mlp"  # MODELS in words (a test keeps them in step)
#: a table with more columns than this gets the closest names in a message, not all of them
LIST_COLUMNS_UP_TO = 20
DATA_HELP = "A .csv, .tsv or .parquet file."
TARGET_HELP = "The target column (required)."


class MissingOption(typer.BadParameter):
    """A required option left out: ``Missing option '--target' / '-t'. <how to fill it in>``."""

    def format_message(self) -> str:
        return f"Missing option {self.param_hint}. {self.message}"


def usage_error(flag: str, message: str) -> NoReturn:
    """Raise a usage error for ``flag`` (``Invalid value for '--target': …``; exit code 2)."""
    raise typer.BadParameter(message, param_hint=f"'{flag}'")


def did_you_mean(value: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices closest to ``value``: equal ignoring case first, then `difflib`'s close matches.

    >>> did_you_mean("MEDV", ["crim", "medv", "age"]), did_you_mean("rsme", ["rmse", "mae"])
    (['medv'], ['rmse'])
    """
    choices = list(dict.fromkeys(choices))
    same = [c for c in choices if c.casefold() == value.casefold()]
    if same:
        return same[:n]
    folded = {c.casefold(): c for c in reversed(choices)}
    return [folded[c] for c in difflib.get_close_matches(value.casefold(), list(folded), n=n, cutoff=0.6)]


def _quoted(names: Sequence[str], joiner: str = ", ") -> str:
    return joiner.join(map(repr, names))


def unknown_value(what: str, value: str, choices: Sequence[str]) -> str:
    """``unknown model 'xgb'; did you mean 'gbdt'? Choose from …`` (every choice: lists are short)."""
    close = did_you_mean(value, choices)
    hint = f" Did you mean {_quoted(close, ' or ')}?" if close else ""
    return f"unknown {what} {value!r}.{hint} Choose from {', '.join(choices)}."


def missing_column(value: str, columns: Sequence[str]) -> str:
    """Why ``value`` is not a column: a suggestion (ignoring case, then by spelling) and the columns.

    >>> missing_column("MEDV", ["crim", "medv"])
    "column 'MEDV' is not in the table. Did you mean 'medv'? Its 2 columns: 'crim', 'medv'."
    """
    close = did_you_mean(value, columns)
    hint = f" Did you mean {_quoted(close, ' or ')}?" if close else ""
    return f"column {value!r} is not in the table.{hint} {columns_text(columns, value)}"


def columns_text(columns: Sequence[str], near: str | None = None) -> str:
    """The columns, all of them when the table is narrow; when it is wide, the closest to ``near``
    (or the first and last few).

    >>> columns_text(["a", "b"])
    "Its 2 columns: 'a', 'b'."
    >>> columns_text([f"x{i}" for i in range(30)] + ["price"], near="Price")
    "It has 31 columns; the closest to 'Price': 'price'."
    """
    n = len(columns)
    if n <= LIST_COLUMNS_UP_TO:
        return f"Its {n} columns: {_quoted(columns)}."
    if near is None:
        return f"It has {n} columns: {_quoted(columns[:8])}, …, {_quoted(columns[-4:])}."
    by_fold = {c.casefold(): c for c in reversed(columns)}
    closest = [by_fold[c] for c in difflib.get_close_matches(near.casefold(), list(by_fold), n=5, cutoff=0.5)]
    if not closest:
        return f"It has {n} columns, none spelled like {near!r}: {_quoted(columns[:8])}, …"
    return f"It has {n} columns; the closest to {near!r}: {_quoted(closest)}."


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, found without importing it."""
    if module in sys.modules:
        return sys.modules[module] is not None  # None: import blocked
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_models(flag: str, models: Sequence[str]) -> list[str]:
    """Known models whose package is installed, in order without repeats."""
    out = []
    for model in models:
        if model not in MODELS:
            usage_error(flag, unknown_value("model", model, list(MODELS)))
        module, extra = MODELS[model]
        if not installed(module):
            usage_error(
                flag, f"model {model!r} needs {module}, which is not installed: pip install '{extra}'."
            )
        out.append(model)
    return list(dict.fromkeys(out))


def check_losses(flag: str, specs: Sequence[str]) -> list[Any]:
    """Each ``name[:param=value,…]`` parsed and built once (unknown names get suggestions)."""
    from losslab.compare.spec import parse_loss

    out = []
    for spec in specs:
        try:
            parsed = parse_loss(spec)
            losslab.get(parsed)
        except LosslabError as exc:
            usage_error(flag, str(exc))
        out.append(parsed)
    return out


def check_metrics(flag: str, specs: Sequence[str]) -> None:
    """Each metric spec (``rmse``, ``pinball:0.9``) known, with its parameter in range."""
    from losslab.metrics import get_metric

    for spec in specs:
        try:
            get_metric(spec)
        except LosslabError as exc:
            usage_error(flag, str(exc))


def check_intent(predict: str | None, costs: str | None, task: str | None) -> None:
    """``--predict``, ``--costs`` and ``--task`` read by the parsers the library uses."""
    from losslab.intent import parse_costs, parse_predict

    for flag, value, parse in (("--predict", predict, parse_predict), ("--costs", costs, parse_costs)):
        if value is not None:
            try:
                parse(value)
            except LosslabError as exc:
                usage_error(flag, str(exc))
    if task is not None and task not in TASKS:
        usage_error("--task", unknown_value("task", task, TASKS))


def check_table(data: str, target: str | None, **columns: str | Sequence[str] | None) -> list[str]:
    """The file's columns (its header only: no rows are loaded), with ``--target`` and every
    other column flag (``groups="firm"``, ``keep_column=[…]``) checked against them."""
    from losslab.tabular import read_columns

    try:
        names = read_columns(data)
    except LosslabError as exc:
        usage_error("DATA", str(exc))
    if target is None:
        raise MissingOption(f"Name the target column. {columns_text(names)}", param_hint="'--target' / '-t'")
    for key, values in {"target": target, **columns}.items():
        for value in [values] if isinstance(values, str) else values or ():
            if value not in names:
                usage_error("--" + key.replace("_", "-"), missing_column(value, names))
    return names


def check_positive(**values: float | None) -> None:
    """Numbers that must be > 0 (``lr=0.0`` → ``--lr must be > 0``)."""
    for key, value in values.items():
        if value is not None and not value > 0:
            usage_error("--" + key.replace("_", "-"), f"must be > 0; got {value}.")


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
        typer.Option(help=f"Only losses of this task ({', '.join(LOSS_TASKS)})."),
    ] = None,
) -> None:
    """The catalogue, one table per task: name, what it estimates, parameters, aliases."""
    from losslab._core.registry import aliases_of, loss_class

    if task is not None and task not in LOSS_TASKS:
        usage_error("--task", unknown_value("task", task, LOSS_TASKS))
    for each in LOSS_TASKS if task is None else (task,):
        names = losslab.list_losses(task=each)
        if not names:
            continue
        table = Table(title=f"{each} losses ({len(names)})", show_lines=False)
        for col in ("name", "estimates", "parameters", "aliases"):
            table.add_column(col, overflow="fold", no_wrap=col == "name")  # names stay copy-pastable
        for name in names:
            cls = loss_class(name)
            table.add_row(name, str(cls.INFO.statistic), _params_text(cls), ", ".join(aliases_of(name)))
        console.print(table)


@command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="A loss name or alias, or package.module:name.")],
    latex: Annotated[
        bool, typer.Option("--latex", help="Print the formulas as LaTeX (as in the docstring), not as text.")
    ] = False,
) -> None:
    """One loss: formulas, domains, properties, parameters, references."""
    from rich.markdown import Markdown

    from losslab._core.describe import describe
    from losslab._core.mathtext import rst_math_to_unicode
    from losslab.gbdt.objective import usage_section

    try:
        loss = losslab.get(name)
    except LosslabError as exc:
        usage_error("NAME", str(exc))
    text = describe(loss, sections=(usage_section,))
    console.print(Markdown(text if latex else rst_math_to_unicode(text)))


@command("advise")
def advise_cmd(
    data: Annotated[str, typer.Argument(help=DATA_HELP)],
    target: Annotated[str | None, typer.Option("--target", "-t", help=TARGET_HELP)] = None,
    predict: Annotated[
        str | None,
        typer.Option(help="mean, median, quantile:0.9, expectile:0.8, probability or decision."),
    ] = None,
    costs: Annotated[str | None, typer.Option(help="Misclassification costs, e.g. fp=1,fn=5.")] = None,
    task: Annotated[
        str | None,
        typer.Option(help=f"Override the inferred task: {', '.join(TASKS)}."),
    ] = None,
    exposure: Annotated[
        str | None,
        typer.Option(
            help="Column of positive exposures (time, population) of a count target: the rate is advised."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the advice as JSON only.")] = False,
) -> None:
    """Which loss for this data, and why: the diagnosis and the ranked losses with reasons."""
    check_intent(predict, costs, task)
    check_table(data, target, exposure=exposure)
    from losslab.advise import advise

    adv = advise(data, target, predict=predict, costs=costs, task=task, exposure=exposure)
    if json_out:
        typer.echo(adv.to_json())
        return
    d = adv.diagnostics
    console.print(
        f"[bold]{escape(str(adv.target))}[/]: task [bold]{adv.task}[/] (confidence {adv.task_confidence})"
        + (f"; alternatives: {', '.join(adv.alternatives)}" if adv.alternatives else ""),
        highlight=False,
    )
    for ev in adv.task_evidence:
        console.print(f"  • {escape(ev)}", highlight=False)
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
        diag.add_row(key, escape(str(value)))
    console.print(diag)
    for m in adv.messages:
        color = {"error": "red", "warning": "yellow"}.get(m.level, "cyan")
        console.print(f"[{color}]{m.level}[/] {escape(m.message)}", highlight=False)
    console.print(f"predict: [bold]{adv.predict}[/] ({adv.predict_source})", highlight=False)
    if adv.threshold is not None:
        console.print(
            f"decision threshold p* = c_fp/(c_fp + c_fn) = [bold]{adv.threshold:.4g}[/]", highlight=False
        )
    ranking = Table(title="recommended losses", show_lines=True)
    ranking.add_column("#")
    ranking.add_column("loss → estimates; judge with", overflow="fold", min_width=20)
    for col in ("why", "caveats"):
        ranking.add_column(col, overflow="fold")
    for r in adv.recommendations:
        ranking.add_row(
            str(r.rank),
            f"[bold]{escape(r.label)}[/]\n→ {escape(r.estimates)}\n[dim]{', '.join(r.metrics)}[/]",
            "\n".join(f"• {escape(x)}" for x in r.reasons),
            "\n".join(f"• {escape(x)}" for x in r.caveats),
        )
    console.print(ranking)
    console.print(f"confidence in the first: [bold]{adv.confidence}[/]", highlight=False)
    if adv.close_call is not None:
        for line in adv.close_call.lines():
            console.print(escape(line), highlight=False)


class LazyProgress:
    """A Rich progress display that starts on its first update: nothing is drawn while the
    arguments and the data are checked, so an error is never printed under a bar."""

    def __init__(self, *columns: Any) -> None:
        self.columns = columns
        self.progress: Any = None

    def start(self) -> Any:
        if self.progress is None:
            from rich.progress import Progress

            self.progress = Progress(*self.columns, console=err_console, transient=False)
            self.progress.start()
        return self.progress

    def __enter__(self) -> LazyProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


def _compare_progress(lazy: LazyProgress) -> Callable[..., None]:
    """A `losslab.compare` progress callback driving a Rich progress bar."""
    state: dict[str, Any] = {}

    def update(done: int, total: int, record: dict[str, Any] | None) -> None:
        progress = lazy.start()
        if "task" not in state:
            state["task"] = progress.add_task("tasks", total=total, completed=done)
            return
        desc = "tasks"
        if record is not None and record.get("status") != "ok":
            desc = f"tasks ([red]failed:[/] {escape(str(record.get('candidate')))})"
        progress.update(state["task"], completed=done, description=desc)

    return update


def _run_with_progress(fn: Callable[..., Any], **kwargs: Any) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    try:
        with LazyProgress(*columns) as lazy:
            return fn(progress=_compare_progress(lazy), **kwargs)
    except KeyboardInterrupt:
        err_console.print(
            "[yellow]interrupted:[/] finished tasks are stored; run the same command again to resume.",
            highlight=False,
        )
        raise typer.Exit(code=130) from None


def _print_leaderboard(cmp: Any) -> None:
    """The verdict, then the leaderboard: the headline metric (confirmatory) with the difference to
    the best and its interval, the other metrics beside it (exploratory), reasons, a legend."""
    import math

    from rich import box

    from losslab.compare.stats import LEGEND

    def num(v: Any, digits: int = 4) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "—"
        return "+∞" if v == math.inf else "−∞" if v == -math.inf else f"{v:.{digits}g}"

    head = cmp.metrics[0]
    narrow = console.width < 100
    n_other = 0 if narrow else 1 if console.width < 130 else 3
    others = cmp.metrics[1 : 1 + n_other]
    failed = bool(len(cmp.failures))
    if cmp.verdict is not None:
        console.print(Panel(cmp.verdict.text, title="verdict", expand=False), highlight=False)
    table = Table(
        title=f"leaderboard — {cmp.task} target {cmp.target!r}; {head.name} {head.direction} ranks "
        "(confirmatory), other metrics exploratory" + (" — PARTIAL" if cmp.partial else ""),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("#", no_wrap=True, min_width=2)
    table.add_column("candidate", no_wrap=True, overflow="ellipsis", max_width=26 if narrow else 34)
    table.add_column("mark", no_wrap=True, min_width=6)
    table.add_column(f"{head.name} {head.direction}", no_wrap=True)
    table.add_column("Δ vs best [interval]", no_wrap=True)
    table.add_column("p (Holm)", no_wrap=True, min_width=8)
    for m in others:
        table.add_column(f"[dim]{m.name} {m.direction}[/]", no_wrap=True)
    if failed:
        table.add_column("failed", no_wrap=True)
    style = {
        "best": "bold green",
        "≈ best": "green",
        "n.s.": "yellow",
        "worse": "red",
        "unranked": "dim",
        "failed": "bold red",
    }
    tests = cmp.tests.set_index(["metric", "candidate"]) if len(cmp.tests) else None
    for row in cmp.leaderboard.to_dict(orient="records"):
        mark = str(row["mark"])
        rank = row["rank"]
        delta = row["delta"]
        if mark == "best":
            dtxt = "—"
        elif isinstance(delta, float) and math.isfinite(delta) and math.isfinite(row["ci_low"]):
            dtxt = f"{num(delta, 3)} [{num(row['ci_low'], 2)}, {num(row['ci_high'], 2)}]"
        else:
            dtxt = num(delta, 3)
        cells = [
            "—" if rank is None or rank != rank else str(int(rank)),
            str(row["candidate"]),
            f"[{style.get(mark, 'dim')}]{mark}[/]",
            num(row[head.name]) if narrow else f"{num(row[head.name])} ± {num(row[head.name + '_std'], 2)}",
            dtxt,
            num(row["p_holm"], 3),
        ]
        for m in others:
            other_mark = tests.loc[(m.name, row["candidate"]), "mark"] if tests is not None else ""
            value = "n/a" if other_mark == "unranked" else num(row[m.name])
            cells.append(f"[dim]{value}[/]")
        table.add_row(*cells, *([str(row["n_failed"])] if failed else []))
    console.print(table)
    for row in cmp.leaderboard.to_dict(orient="records"):
        if row["mark"] in ("unranked", "worse") and row.get("reason"):
            console.print(f"[dim]{row['mark']}:[/] {row['candidate']} — {row['reason']}", highlight=False)
    console.print(
        "[dim]marks: "
        + "; ".join(f"{k} = {v}" for k, v in LEGEND.items())
        + f". Δ = how much worse than the best in {head.name} with its simultaneous "
        f"{100 * (1 - float(cmp.config.get('alpha', 0.05))):g}% interval; exploratory metrics: "
        "n/a = undefined on some fold.[/]",
        highlight=False,
    )
    for f in cmp.failures.to_dict(orient="records"):
        console.print(
            f"[red]failed[/] {f['candidate']} repeat {f['repeat']} fold {f['fold']}: "
            f"{f['error_type']}: {f['message']}",
            highlight=False,
            soft_wrap=True,
        )


def _print_warnings(warnings: list[str], notes: list[str] = ()) -> None:
    """The data hygiene findings (dropped identifiers, suspected leaks, free text), one yellow line
    each, and what the plan changed about the candidates (merged equivalents), one dim line each."""
    for text in warnings:
        console.print(f"[yellow]warning[/] {escape(text)}", highlight=False, soft_wrap=True)
    for text in notes:
        console.print(f"[dim]note[/] {escape(text)}", highlight=False, soft_wrap=True)


def _parse_rope(items: list[str] | None) -> dict[str, float] | None:
    """``--rope rmse=0.5`` (repeatable) as ``{"rmse": 0.5}``."""
    if not items:
        return None
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            width = float(value)
        except ValueError:
            width = math.nan
        if not sep or not name.strip() or not (width >= 0 and math.isfinite(width)):
            usage_error(
                "--rope",
                f"expected METRIC=WIDTH with a width ≥ 0 in the metric's units, e.g. rmse=0.5; got {item!r}.",
            )
        out[name.strip().lower()] = width
    return out


@command("compare")
def compare_cmd(
    data: Annotated[str, typer.Argument(help=DATA_HELP)],
    target: Annotated[str | None, typer.Option("--target", "-t", help=TARGET_HELP)] = None,
    loss: Annotated[
        list[str] | None,
        typer.Option("--loss", "-l", help="A loss to compare (repeatable), e.g. huber or huber:delta=2."),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help=f"Model to train each loss with: {MODEL_HELP}; repeat the flag for several. Default: "
            "linear and gbdt (gbdt left out when LightGBM is not installed). A constant baseline is "
            "always added.",
        ),
    ] = None,
    folds: Annotated[
        int | None,
        typer.Option(min=2, help="Cross-validation folds, ≥ 2 (default: chosen for power within --budget)."),
    ] = None,
    repeats: Annotated[
        int | None,
        typer.Option(min=1, help="Repeats of k-fold with new shuffles (default: chosen with --folds)."),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(help="Seconds the cross-validation may take when --folds/--repeats are not given (30)."),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            help="Evaluation metric (repeatable); the first is the headline that ranks "
            "(default from --predict: mean rmse, median mae, quantile pinball, probability log_loss).",
        ),
    ] = None,
    rope: Annotated[
        list[str] | None,
        typer.Option(
            "--rope",
            help="Practical-equivalence half-width in the metric's units (repeatable), e.g. rmse=0.5.",
        ),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel tasks (-1: every core).")] = 1,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address (tcp://host:8786): run the tasks there.")
    ] = None,
    out: Annotated[str, typer.Option(help="Results directory (resumable).")] = "losslab-compare",
    seed: Annotated[int, typer.Option(help="Seed of the folds and the models.")] = 0,
    predict: Annotated[str | None, typer.Option(help="mean, median, quantile:0.9, probability.")] = None,
    costs: Annotated[str | None, typer.Option(help="Misclassification costs, e.g. fp=1,fn=5.")] = None,
    task: Annotated[str | None, typer.Option(help=f"Override the inferred task: {', '.join(TASKS)}.")] = None,
    top: Annotated[int, typer.Option(min=1, help="Advisor recommendations to compare without --loss.")] = 3,
    epochs: Annotated[int | None, typer.Option(min=1, help="Training epochs per fold.")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate.")] = None,
    keep_column: Annotated[
        list[str] | None,
        typer.Option(
            "--keep-column", help="Keep this column although it looks like a row identifier (repeatable)."
        ),
    ] = None,
    groups: Annotated[
        str | None,
        typer.Option(
            help="Column of group labels (patient, firm …): no group is split across train and test."
        ),
    ] = None,
    exposure: Annotated[
        str | None,
        typer.Option(help="Column of positive exposures (time, population) for count and rate targets."),
    ] = None,
) -> None:
    """Cross-validate losses on DATA: leaderboard with paired statistics, report.html, results.json.

    Exit codes: 0 done; 1 error (nothing run; e.g. --out in use by a live run); 2 usage error (a
    wrong argument, found before any work); 3 partial result (more than 10% of the tasks failed or
    a candidate failed on every fold: the leaderboard, results.json and report are still written,
    marked partial); 130 interrupted.
    """
    import warnings
    from pathlib import Path

    # every argument first: nothing is loaded, fitted or drawn before they all pass
    if model:
        models = check_models("--model", model)
    else:  # the default pair, without gbdt where LightGBM is missing
        models = [m for m in ("linear", "gbdt") if installed(MODELS[m][0])] or check_models(
            "--model", ["linear"]
        )
    losses = check_losses("--loss", loss) if loss else None
    check_metrics("--metric", metric or ())
    rope_widths = _parse_rope(rope)
    check_intent(predict, costs, task)
    check_positive(budget=budget, lr=lr)
    if jobs == 0 or jobs < -1:
        usage_error("--jobs", f"must be a positive number of tasks or -1 (every core); got {jobs}.")
    if scheduler is not None and not installed("distributed"):
        usage_error(
            "--scheduler", "needs dask.distributed, which is not installed: pip install 'losslab[dask]'."
        )
    if Path(out).exists() and not Path(out).is_dir():
        usage_error("--out", f"{out!r} is a file; name a directory for the results.")
    check_table(data, target, groups=groups, exposure=exposure, keep_column=keep_column)

    import losslab
    from losslab.compare.result import PartialResultWarning
    from losslab.report import write_report
    from losslab.workflows.advised import advised_compare

    params = {k: v for k, v in (("epochs", epochs), ("lr", lr)) if v is not None}
    # without --loss: the advisor's top picks, their data-fitted parameters refit on each fold
    run, picks = (losslab.compare, {"losses": losses}) if losses else (advised_compare, {})
    with warnings.catch_warnings():
        # one line per warning (a damaged store entry, a stale lock); partial results get their own line
        warnings.showwarning = _warning_line
        warnings.simplefilter("ignore", PartialResultWarning)
        cmp = _run_with_progress(
            run,
            data=data,
            target=target,
            **picks,
            models=models,
            cv=folds,
            repeats=repeats,
            budget=budget,
            rope=rope_widths,
            metrics=metric or None,
            n_jobs=jobs,
            seed=seed,
            out=out,
            scheduler=scheduler,
            costs=costs,
            predict=predict,
            task=task,
            top=top,
            model_params=params,
            keep_columns=keep_column or (),
            groups=groups,
            exposure=exposure,
        )
    report = write_report(cmp)
    _print_warnings(cmp.warnings, cmp.notes)
    _print_leaderboard(cmp)
    reused = f" ({cmp.n_reused} reused from the store)" if cmp.n_reused else ""
    console.print(f"{len(cmp.tasks)} tasks{reused}; report: [bold]{report}[/]", highlight=False)
    paths = cmp.paths
    console.print(f"results: {paths['results']}  leaderboard: {paths['leaderboard']}", highlight=False)
    if cmp.partial:
        err_console.print(f"[bold red]{escape(cmp.failure_note())}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(code=PARTIAL_EXIT_CODE)


#: ``losslab compare``'s exit code for a partial result (2 is a usage error, as in Click)
PARTIAL_EXIT_CODE = 3


def _warning_line(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """Show a warning as one yellow line on stderr (no source line)."""
    err_console.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)


@command("plot")
def plot_cmd(
    names: Annotated[list[str], typer.Argument(help="Loss names (or name:param=value).")],
    out: Annotated[str, typer.Option(help="Output file (.png, .svg or .pdf).")] = "losses.png",
) -> None:
    """Loss, gradient and Hessian curves of losses side by side."""
    losses = check_losses("NAMES", names)
    from losslab.report import plot_losses

    console.print(plot_losses(losses, out), highlight=False)


@command("demo")
def demo_cmd(
    out: Annotated[str, typer.Option(help="Output directory.")] = "losslab-demo",
    dataset: Annotated[
        str, typer.Option(help="Embedded data set: diabetes, breast_cancer, wine, heavy_tails, claims.")
    ] = "diabetes",
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Parallel tasks (default 2).")] = None,
    budget: Annotated[
        float | None, typer.Option(help="Seconds the cross-validation may take (30); sets folds × repeats.")
    ] = None,
) -> None:
    """Advise and compare on an embedded data set (no download), write the report, open nothing."""
    from losslab.datasets import DATASETS, target_of
    from losslab.workflows.demo import DEMO_SETTINGS, run_demo

    if dataset not in DATASETS:
        usage_error("--dataset", unknown_value("data set", dataset, list(DATASETS)))
    if jobs is not None and (jobs == 0 or jobs < -1):
        usage_error("--jobs", f"must be a positive number of tasks or -1 (every core); got {jobs}.")
    check_positive(budget=budget)
    s = DEMO_SETTINGS
    for model in s["models"]:
        module, extra = MODELS[model]
        if not installed(module):
            fail(f"the demo trains the {model} model, which needs {module}: pip install '{extra}'.")
    console.print(
        f"losslab demo: data set [bold]{dataset}[/] (target {target_of(dataset)!r}, embedded); advisor's "
        f"top {s['top']} losses × {', '.join(s['models'])}; folds × repeats chosen for power within "
        f"the time budget",
        highlight=False,
    )
    adv, cmp, report = _run_with_progress(run_demo, out=out, dataset=dataset, n_jobs=jobs, budget=budget)
    _print_warnings(cmp.warnings, cmp.notes)
    console.print(
        f"advisor: task [bold]{adv.task}[/]; recommends "
        + ", ".join(f"{r.rank}. {r.label}" for r in adv.recommendations[: s["top"]])
        + f"; cross-validation {cmp.config['n_folds']} resamples ({cmp.config['cv']} folds × "
        f"{cmp.config['repeats']} repeats)",
        highlight=False,
    )
    _print_leaderboard(cmp)
    console.print(f"report: [bold]{report}[/]", highlight=False)


@command("train")
def train_cmd(
    data: Annotated[str, typer.Argument(help=DATA_HELP)],
    target: Annotated[str | None, typer.Option("--target", "-t", help=TARGET_HELP)] = None,
    loss: Annotated[
        str | None,
        typer.Option(
            "--loss", "-l", help="Training loss, e.g. huber or quantile:quantile=0.9 (default by target)."
        ),
    ] = None,
    model: Annotated[str, typer.Option(help=f"The model: {MODEL_HELP}.")] = "linear",
    hidden: Annotated[str, typer.Option(help="MLP hidden sizes, e.g. 64,32.")] = "64",
    epochs: Annotated[int, typer.Option(min=1, help="Maximum passes over the data (boosting rounds).")] = 200,
    lr: Annotated[float | None, typer.Option(help="Learning rate (default 0.01; 1 for lbfgs).")] = None,
    optimizer: Annotated[
        str,
        typer.Option(
            help="auto (the solver to the optimum for linear, adam for mlp), adam, sgd, momentum, nesterov "
            "or lbfgs."
        ),
    ] = "auto",
    batch_size: Annotated[int | None, typer.Option(min=1, help="Rows per mini-batch (default 64).")] = None,
    test_fraction: Annotated[
        float, typer.Option(help="Share of rows held out for the metrics, in [0, 1).")
    ] = 0.2,
    seed: Annotated[int, typer.Option(help="Random seed (initialisation, batches, splits).")] = 0,
    out: Annotated[
        str | None, typer.Option(help="Directory for the model, config, history CSV and learning curve.")
    ] = None,
    trace: Annotated[
        bool, typer.Option("--trace", help="Print the first gradient-descent step laid open.")
    ] = False,
    keep_column: Annotated[
        list[str] | None,
        typer.Option(
            "--keep-column", help="Keep this column although it looks like a row identifier (repeatable)."
        ),
    ] = None,
) -> None:
    """Train a model with a loss: progress, held-out metrics, and the model and learning curve saved."""
    # every argument first: nothing is loaded, fitted or drawn before they all pass
    check_models("--model", [model])
    losses = check_losses("--loss", [loss]) if loss else [None]
    check_positive(lr=lr)
    if not 0.0 <= test_fraction < 1.0:
        usage_error("--test-fraction", f"must be in [0, 1); got {test_fraction}.")
    try:
        sizes = tuple(int(h) for h in hidden.split(",") if h.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        usage_error("--hidden", f"expected positive layer sizes like 64,32; got {hidden!r}.")
    if model != "gbdt":  # boosting has no optimizer
        from losslab.train.loop import OPTIMIZERS

        if optimizer != "auto" and optimizer not in OPTIMIZERS:
            usage_error("--optimizer", unknown_value("optimizer", optimizer, ("auto", *OPTIMIZERS)))
    check_table(data, target, keep_column=keep_column)

    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

    from losslab.workflows.train_table import train_table

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    bar: list[Any] = []  # the task id, once the first epoch has run
    with LazyProgress(*columns) as lazy:

        def on_epoch(rec: dict[str, Any]) -> None:
            progress = lazy.start()
            if not bar:
                bar.append(progress.add_task("training", total=epochs))
            val = rec.get("val_loss")
            shown = f"train {rec['train_loss']:.4g}" + (f"  val {val:.4g}" if val is not None else "")
            progress.update(bar[0], completed=rec["epoch"], description=f"epoch {rec['epoch']}: {shown}")

        report = train_table(
            data,
            target,
            loss=losses[0],
            model=model,
            hidden=sizes,
            epochs=epochs,
            lr=lr,
            optimizer=optimizer,
            batch_size=batch_size,
            test_fraction=test_fraction,
            seed=seed,
            out=out,
            trace=trace,
            callback=on_epoch,
            keep_columns=keep_column or (),
        )
        if bar:
            lazy.progress.update(bar[0], total=report.estimator.n_iter_)
    est = report.estimator
    stopped = " (early stopping)" if est.n_iter_ < epochs else ""
    console.print(report.task_line, highlight=False, markup=False)
    _print_warnings(report.warnings)
    console.print(
        f"[bold]{report.task}[/] of {target!r} with loss [bold]{report.loss}[/] ({est.loss_.statistic}), "
        f"model {model}: {est.n_iter_} epochs{stopped}, best epoch {est.best_epoch_}; "
        f"{report.n_train} training rows, {report.n_test} held out",
        highlight=False,
    )
    table = Table(title="held-out metrics" if report.n_test else "training metrics")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in report.metrics.items():
        table.add_row(name, f"{value:.6g}")
    console.print(table)
    if report.trace is not None:
        console.print(str(report.trace), highlight=False, markup=False)
    for kind, path in report.files.items():
        console.print(f"{kind}: {path}", highlight=False)


def main() -> None:
    """Entry point of the ``losslab`` console script."""
    app()


if __name__ == "__main__":
    main()
