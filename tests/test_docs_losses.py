"""Listings of the catalogue never drift from the registry: docs/losses/ (a current formula page for
every registered loss and the index, generated), the README's count and the reference rows.
`losslab list` is checked in tests/test_cli_catalogue.py."""

import importlib.util
import json
import re
from pathlib import Path

import losslab

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("make_loss_pages", DOCS / "make_loss_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_loss_has_a_current_page():
    expected = _generator().pages()
    assert set(expected) == {f"{n}.md" for n in losslab.list_losses()} | {"index.md"}
    stale = [
        name
        for name, text in expected.items()
        if not (DOCS / "losses" / name).is_file()
        or (DOCS / "losses" / name).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"regenerate with `python docs/make_loss_pages.py`: {stale}"


def test_pages_carry_the_formulas():
    text = (DOCS / "losses" / "huber.md").read_text(encoding="utf-8")
    assert "math::" in text and "delta" in text and "Hessian" in text


def test_no_page_without_a_registered_loss() -> None:
    # a removed or renamed loss leaves no page behind
    on_disk = {p.name for p in (DOCS / "losses").glob("*.md")}
    assert on_disk == {f"{n}.md" for n in losslab.list_losses()} | {"index.md"}


def test_index_lists_exactly_the_registry() -> None:
    text = (DOCS / "losses" / "index.md").read_text(encoding="utf-8")
    # task by task, in the order of the Task enumeration, each table sorted
    from losslab._core.info import TASKS

    expected = [n for t in TASKS for n in losslab.list_losses(task=t)]
    assert re.findall(r"^\| \[(\w+)\]\(\1\.md\)", text, flags=re.M) == expected


def test_readme_counts_the_registry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    counts = re.findall(r"The catalogue has (\d+) losses", readme)
    n = len(losslab.list_losses())
    assert counts == [str(n)], f"README.md: write 'The catalogue has {n} losses'; found {counts}"


def test_every_reference_row_names_a_registered_loss() -> None:
    # the other direction (every loss has rows) is in tests/test_reference.py
    cases = json.loads((ROOT / "tests" / "reference" / "values.json").read_text(encoding="utf-8"))
    stray = sorted({c["name"] for c in cases["cases"]} - set(losslab.list_losses()))
    assert not stray, f"tests/reference/values.json has rows for unregistered losses: {stray}"
