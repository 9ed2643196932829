"""docs/losses/ holds a current formula page for every registered loss (generated from the registry)."""

import importlib.util
from pathlib import Path

import losslab

DOCS = Path(__file__).resolve().parents[1] / "docs"


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
