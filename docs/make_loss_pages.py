"""Write docs/losses/ (one formula page per registered loss and an index) and the scaling table
of docs/conventions.md, from the registry.

Run ``python docs/make_loss_pages.py`` after adding or changing a loss; ``tests/test_docs_losses.py``
fails while a page is missing or stale, ``tests/test_metadata.py`` while the scaling table
between its markers differs from the losses' declared ``info.anchors``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import losslab
from losslab._core.describe import describe
from losslab._core.info import TASKS, Library
from losslab._core.registry import aliases_of, loss_class
from losslab.gbdt.objective import usage_section

OUT = Path(__file__).resolve().parent / "losses"
CONVENTIONS = Path(__file__).resolve().parent / "conventions.md"
BEGIN = "<!-- BEGIN SCALING TABLE: generated from each loss's info.anchors by docs/make_loss_pages.py -->"
END = "<!-- END SCALING TABLE -->"


def scaling_table() -> str:
    """The Markdown table of every loss's scaling next to PyTorch, Keras 3, optax, scikit-learn."""
    head = ["loss", "losslab value (gradient)", *(str(lib) for lib in Library)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in losslab.list_losses():
        for row in loss_class(name).INFO.anchors:
            cells = [c.replace("|", "\\|") for c in row.cells(name)]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def conventions(text: str) -> str:
    """``text`` (docs/conventions.md) with the generated table between its markers."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n\n" + scaling_table() + "\n" + text[end:]


def pages() -> dict[str, str]:
    """File name → Markdown text for every registered loss, plus ``index.md``."""
    out: dict[str, str] = {}
    rows = [
        "# The loss catalogue",
        "",
        "Generated from the registry by `python docs/make_loss_pages.py`; do not edit by hand.",
        "Each page gives value, gradient and Hessian formulas, domains, properties, parameters,",
        "references and how to use the loss in gradient boosting. One table per task; targets that",
        "are not one number per row (survival, ranking, ordinal …) are described in",
        "[conventions.md, section 9](../conventions.md#9-targets-that-are-not-one-number-per-row).",
    ]
    for task in TASKS:
        names = losslab.list_losses(task=task)
        if not names:
            continue
        rows += [
            "",
            f"## {task.capitalize()} ({len(names)})",
            "",
            "| loss | estimates | convex | robust | Hessian | parameters | aliases |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name in names:
            cls = loss_class(name)
            loss = cls()
            info = loss.info
            params = ", ".join(f"`{p.name}={p.default!r}`" for p in cls.PARAMS) or "—"
            rows.append(
                f"| [{name}]({name}.md) | {info.statistic} | {'yes' if info.convex else 'no'} "
                f"| {'yes' if info.robust else 'no'} | {info.hessian.replace('_', ' ')} | {params} "
                f"| {', '.join(aliases_of(name)) or '—'} |"
            )
            out[f"{name}.md"] = describe(loss, sections=(usage_section,))
    out["index.md"] = "\n".join(rows) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is missing or stale")
    args = parser.parse_args(argv)
    stale = []
    current = CONVENTIONS.read_text(encoding="utf-8")
    if args.check:
        if conventions(current) != current:
            stale.append("../conventions.md")
    else:
        CONVENTIONS.write_text(conventions(current), encoding="utf-8")
    for fname, text in pages().items():
        path = OUT / fname
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(fname)
        else:
            OUT.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale or missing pages in docs/losses/: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
