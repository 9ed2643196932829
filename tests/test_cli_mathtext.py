"""The LaTeX → Unicode converter behind ``losslab show``: the subset the docstrings use, and every
registered loss's formulas converted without a LaTeX command left over."""

from __future__ import annotations

import re

import pytest

import losslab
from losslab._core.describe import docstring_body
from losslab._core.mathtext import latex_to_unicode, rst_math_to_unicode
from losslab._core.registry import loss_class


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"\alpha + \beta \le \infty", "α + β ≤ ∞"),
        (r"r^2 + x_i - e^{-v}", "r² + xᵢ − e⁻ᵛ"),
        (r"\mu^{1-p}", "μ¹⁻ᵖ"),
        (r"e^{-2|r|}", "e^(−2|r|)"),  # no superscript bar: the script stays readable
        (r"\sum_{j\ne i} a_j", "Σ_(j≠i) aⱼ"),
        (r"\frac{\partial^2\ell}{\partial f^2}", "∂²ℓ/∂f²"),
        (r"\tfrac12 r^2", "½ r²"),
        (r"\frac{2(1-d)}{(1+f)^2}", "2(1−d)/(1+f)²"),
        (r"\frac{y}{(1-p)(2-p)}", "y/((1−p)(2−p))"),  # not y/(1−p)·(2−p)
        (r"\frac{a + b}{c}", "(a + b)/c"),
        (r"\frac{b}{\alpha}\Big(z + 1\Big)", "(b/α)(z + 1)"),  # not b/(α(z + 1))
        (r"\log\frac{y}{\mu}", "log(y/μ)"),
        (r"\log\cosh r", "log cosh r"),
        (r"y\operatorname{softplus}(-x)", "y softplus(−x)"),
        (r"\mathbb{1}[|r| \le \delta]", "𝟙[|r| ≤ δ]"),
        (r"\sqrt{1 + r^2}", "√(1 + r²)"),
        (r"\bar s", "s̄"),
        (r"\text{with full=True}", "with full=True"),
        (r"\max(0,\; m)", "max(0, m)"),
        (r"\unknowncommand x", r"\unknowncommand x"),  # kept as written, never dropped
    ],
)
def test_one_line_formulas(tex: str, text: str) -> None:
    assert latex_to_unicode(tex) == text


def test_cases_are_rows_aligned_on_their_conditions() -> None:
    out = latex_to_unicode(r"g = \begin{cases} -\tau & f < y \\ 0 & f = y \\ 1 - \tau & f > y\end{cases}.")
    assert out.splitlines() == [
        "g = { −τ     if f < y",
        "    { 0      if f = y",
        "    { 1 − τ  if f > y.",
    ]


def test_comma_quad_separates_equations_onto_lines() -> None:
    out = latex_to_unicode(r"\ell = r^2,\qquad \frac{\partial\ell}{\partial f} = 2r,\quad h = 2")
    assert out.splitlines() == ["ℓ = r²,", "∂ℓ/∂f = 2r,", "h = 2"]
    assert latex_to_unicode(r"\text{a:}\quad b") == "a:   b"  # a quad after a label only spaces


def test_rst_blocks_become_code_blocks_and_roles_text() -> None:
    doc = "With r:\n\n.. math::\n\n    \\ell = r^2\n\n    g = 2r\n\nThe level :math:`\\tau`.\n"
    out = rst_math_to_unicode(doc)
    assert "```text\nℓ = r²\ng = 2r\n```" in out and "The level τ." in out and ".. math::" not in out


@pytest.mark.parametrize("name", losslab.list_losses())
def test_every_loss_formula_converts_completely(name: str) -> None:
    body = docstring_body(loss_class(name))
    out = rst_math_to_unicode(body)
    assert ".. math::" not in out
    formulas = "\n".join(re.findall(r"```text\n(.*?)```", out, flags=re.S))
    assert formulas.strip() or ".. math::" not in body
    assert not re.search(r"\\[A-Za-z]", formulas), formulas  # no LaTeX command left over
    assert not re.search(r"[{}]", formulas.replace("{ ", "")), formulas  # no stray group braces
