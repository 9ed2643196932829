"""LaTeX math as plain Unicode text, for a terminal (``losslab show``).

The subset the loss docstrings use: Greek letters and symbols, ``\\frac``/``\\tfrac``, super- and
subscripts (Unicode forms where every character has one, else ``^(…)``/``_(…)``), operator names,
``\\text``, ``\\mathbb``, ``\\bar``, ``\\sqrt``, sizing commands (dropped), spacing, and the
``cases`` environment drawn on several lines. A command outside the subset is kept as written, so
nothing is lost silently. No dependency: the converters on PyPI either stop at one line
(no ``cases``) or are unmaintained.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["latex_to_unicode", "rst_math_to_unicode"]


def _pairs(text: str) -> dict[str, str]:
    """``"name char name char …"`` as a dict (tables kept compact and readable)."""
    words = text.split()
    return dict(zip(words[::2], words[1::2], strict=True))


_SYMBOLS = (
    _pairs(
        """
    alpha α beta β gamma γ delta δ epsilon ϵ varepsilon ε zeta ζ eta η theta θ vartheta ϑ
    iota ι kappa κ lambda λ mu μ nu ν xi ξ pi π rho ρ sigma σ tau τ upsilon υ phi ϕ varphi φ
    chi χ psi ψ omega ω Gamma Γ Delta Δ Theta Θ Lambda Λ Xi Ξ Pi Π Sigma Σ Phi Φ Psi Ψ Omega Ω
    ell ℓ partial ∂ nabla ∇ infty ∞ le ≤ leq ≤ ge ≥ geq ≥ ne ≠ neq ≠ approx ≈ sim ~ propto ∝
    equiv ≡ cdot · times × pm ± mp ∓ in ∈ notin ∉ to → rightarrow → leftarrow ← mapsto ↦
    sum Σ prod ∏ int ∫ mid | lvert | rvert | vert | lVert ‖ rVert ‖ ldots … cdots ⋯ dots …
    ast ∗ star ⋆ circ ∘ langle ⟨ rangle ⟩ lfloor ⌊ rfloor ⌋ lceil ⌈ rceil ⌉ forall ∀
    exists ∃ emptyset ∅ setminus ∖ cup ∪ cap ∩ subset ⊂ top ⊤ lbrace { rbrace }
    _ _ { { } } % % & & # # | ‖
    """
    )
    | {",": " ", ";": " ", ":": " ", ">": " ", " ": " ", "!": "", "\\": "\n"}
    | {
        "quad": "\u2003",  # an em space: marks where equations may go on lines of their own
        "qquad": "\u2003\u2003",
    }
)
_FUNCTIONS = set(
    "log ln exp max min sup inf sin cos tan sinh cosh tanh arg det sgn lim argmax argmin".split()
)
_DROPPED = set(  # sizing and style: the delimiters they decorate stay
    "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr displaystyle textstyle "
    "scriptstyle limits nolimits".split()
)
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ", "1": "𝟙"}
_ACCENTS = {"bar": "\u0304", "overline": "\u0305", "hat": "\u0302", "tilde": "\u0303", "vec": "\u20d7"}
_SUP = dict(
    zip(
        "0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδεθιφχ",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵅᵝᵞᵟᵋᶿᶥᵠᵡ",
        strict=True,
    )
)
_SUB = dict(
    zip(
        "0123456789+-−=()aehijklmnoprstuvxβγρφχ",
        "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ",
        strict=True,
    )
)
_SCRIPT_CHARS = set(_SUP.values()) | set(_SUB.values())
_FN = "\x00"  # marks the ends of an operator name: a space is put there before/after a letter


@dataclass
class _Block:
    """Lines of text with the row that lines up with the surrounding text."""

    lines: list[str]
    base: int = 0

    @property
    def width(self) -> int:
        return max(len(line) for line in self.lines)


def _tokens(tex: str) -> list[str]:
    return re.findall(r"\\[A-Za-z]+|\\.|\s+|.", tex, flags=re.S)


class _Parser:
    def __init__(self, tex: str) -> None:
        self.toks = _tokens(tex)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> str:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def skip_space(self) -> None:
        while (tok := self.peek()) is not None and tok.isspace():
            self.i += 1

    def argument(self) -> list[_Block | str]:
        """One argument of a command: a ``{group}`` or a single token."""
        self.skip_space()
        tok = self.peek()
        if tok is None:
            return []
        if tok == "{":
            self.take()
            return self.sequence(stop="}")
        return self.atom()

    def raw_argument(self) -> str:
        """A ``{group}`` as its source text (for ``\\text``, ``\\operatorname``, ``\\begin``)."""
        self.skip_space()
        if self.peek() != "{":
            return self.take() if self.peek() is not None else ""
        self.take()
        depth, out = 0, []
        while (tok := self.peek()) is not None:
            self.take()
            if tok == "}" and depth == 0:
                break
            depth += {"{": 1, "}": -1}.get(tok, 0)
            out.append(tok)
        return "".join(out)

    def sequence(self, stop: str | None = None) -> list[_Block | str]:
        out: list[_Block | str] = []
        while (tok := self.peek()) is not None:
            if tok == stop:
                self.take()
                break
            if stop is None and tok == "\\end":
                break
            out += self.atom()
        for k, x in enumerate(out[:-1]):
            nxt = out[k + 1]
            if isinstance(x, _Frac) and isinstance(nxt, str) and nxt and (nxt[0].isalnum() or nxt[0] in "(√"):
                out[k] = f"({x})"
        return out

    def atom(self) -> list[_Block | str]:
        tok = self.take()
        if tok.isspace():
            return [" "]
        if tok == "{":
            return self.sequence(stop="}")
        if tok in ("^", "_"):
            return [_script(_flat(self.argument()), sup=tok == "^")]
        if tok == "-":
            return ["−"]
        if not tok.startswith("\\"):
            return [tok]
        name = tok[1:]
        if name in ("frac", "tfrac", "dfrac"):
            return [_fraction(_flat(self.argument()), _flat(self.argument()))]
        if name in ("text", "textrm", "mathrm", "mathit", "mathbf", "textbf", "mbox"):
            return [self.raw_argument().replace("\\_", "_")]
        if name == "operatorname":
            return [_FN + self.raw_argument().replace("\\_", "_") + _FN]
        if name == "mathbb":
            arg = self.raw_argument()
            return ["".join(_BLACKBOARD.get(c, c) for c in arg)]
        if name in _ACCENTS:
            arg = _flat(self.argument())
            return [arg + _ACCENTS[name] if len(arg) == 1 else f"{arg}{_ACCENTS[name]}"]
        if name == "sqrt":
            arg = _flat(self.argument())
            return ["√" + (arg if _atomic(arg) else f"({arg})")]
        if name == "begin":
            return [self.environment(self.raw_argument())]
        if name in _DROPPED:
            return []
        if name in _FUNCTIONS:
            self.skip_space()
            if self.peek() in ("\\frac", "\\tfrac", "\\dfrac"):
                return [_FN + name + _FN, "(", *self.atom(), ")"]
            return [_FN + name + _FN]
        if name == "partial":
            self.skip_space()  # ∂f, not ∂ f
        if name in _SYMBOLS:
            return [_SYMBOLS[name]]
        return [tok]  # outside the subset: kept as written

    def environment(self, env: str) -> _Block | str:
        body = self.sequence()
        if self.peek() == "\\end":
            self.take()
            self.raw_argument()
        rows = [[cell.strip() for cell in row.split("&")] for row in _flat(body).split("\n")]
        rows = [r for r in rows if any(r)]
        if not rows:
            return ""
        ncol = max(len(r) for r in rows)
        widths = [max(len(r[c]) if c < len(r) else 0 for r in rows) for c in range(ncol)]
        lines = []
        for r in rows:
            cells = [(r[c] if c < len(r) else "").ljust(widths[c]) for c in range(ncol)]
            if env.startswith("cases") and len(r) > 1 and not re.match(r"(if|otherwise|else)\b", r[1]):
                cells[1] = "if " + cells[1]
            lines.append(("{ " if env.startswith("cases") else "") + "  ".join(cells).rstrip())
        return _Block(lines, 0)


def _flat(items: list[_Block | str]) -> str:
    """A sequence as one string (blocks inside scripts and fractions are joined by ``; ``)."""
    return _tidy("".join(x if isinstance(x, str) else "; ".join(x.lines) for x in items))


def _tidy(text: str) -> str:
    """Spaces: runs collapsed; around operator names, one where a letter would touch them."""
    parts = text.split(_FN)  # odd indices are operator names
    out = ""
    for k, part in enumerate(parts):
        if k % 2 == 0:
            out += part
            continue
        if out and not out[-1].isspace() and out[-1] not in "([{|,=−+/":
            out += " "
        out += part
        after = next((p for p in parts[k + 1 :] if p), "")
        if after and (after[0].isalnum() or after[0] in "∂√") and after[0] not in _SCRIPT_CHARS:
            out += " "
    return re.sub(r"(?<=\S) {2,}", " ", out)


def _script(arg: str, sup: bool) -> str:
    arg = arg.replace(" ", "")
    table = _SUP if sup else _SUB
    if arg and all(c in table for c in arg):
        return "".join(table[c] for c in arg)
    mark = "^" if sup else "_"
    return f"{mark}{arg}" if len(arg) == 1 else f"{mark}({arg})"


def _depth0(text: str) -> str:
    """The characters of ``text`` outside brackets and bars."""
    out, depth, bars = [], 0, False
    for c in text:
        if c in "([{⟨":
            depth += 1
        elif c in ")]}⟩":
            depth -= 1
        elif c == "|":
            bars = not bars
        elif depth == 0 and not bars:
            out.append(c)
    return "".join(out)


def _atomic(text: str) -> bool:
    return not any(c in _depth0(text) for c in " +−=,<>≤≥/·\u2003")


class _Frac(str):
    """A fraction's text: bracketed when a factor follows it directly (``(b/α)(z + 1)``)."""


def _fraction(num: str, den: str) -> str:
    if (num, den) == ("1", "2"):
        return "½"
    if not _atomic(num):
        num = f"({num})"
    if not _atomic(den) or not _one_factor(den):
        den = f"({den})"  # a/(b)(c) would read as (a/b)·c
    return _Frac(f"{num}/{den}")


def _one_factor(text: str) -> bool:
    """No bracket, or one bracket group that only scripts follow: ``μ``, ``(1 + f)²``."""
    text = text.removeprefix("√")
    if "(" not in text:
        return True
    if not text.startswith("("):
        return False
    depth = 0
    for i, c in enumerate(text):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth == 0:
            return all(ch in _SCRIPT_CHARS for ch in text[i + 1 :])
    return False


def _hcat(items: list[_Block | str]) -> _Block:
    """Strings and blocks side by side, aligned on their base rows."""
    parts: list[_Block] = []
    text = ""
    for x in items:
        if isinstance(x, str):
            text += x
        else:
            if text:
                parts.append(_Block([_tidy(text)]))
                text = ""
            parts.append(x)
    if text:
        parts.append(_Block([_tidy(text)]))
    if not parts:
        return _Block([""])
    above = max(p.base for p in parts)
    below = max(len(p.lines) - p.base for p in parts)
    lines = [""] * (above + below)
    for p in parts:
        w = p.width
        for row in range(above + below):
            k = row - above + p.base
            lines[row] += (p.lines[k] if 0 <= k < len(p.lines) else "").ljust(w)
    return _Block([line.rstrip() for line in lines], above)


def latex_to_unicode(tex: str) -> str:
    """One LaTeX formula as Unicode text; a ``cases`` environment spans several lines.

    Equations set apart by ``,\\quad`` or ``,\\qquad`` at the top level go on lines of their own.

    Parameters
    ----------
    tex : str
        LaTeX math (without ``$`` delimiters).

    Returns
    -------
    str
        The formula as text, lines joined by ``\\n``.

    Examples
    --------
    >>> print(latex_to_unicode(r"\\frac{\\partial^2\\ell}{\\partial f^2} = 2(f - y)^{2-p}"))
    ∂²ℓ/∂f² = 2(f − y)²⁻ᵖ
    >>> print(latex_to_unicode(r"\\ell = \\begin{cases} \\tfrac12 r^2 & |r| \\le \\delta \\\\ "
    ...                        r"\\delta(|r| - \\tfrac12\\delta) & |r| > \\delta \\end{cases},\\quad g = r"))
    ℓ = { ½ r²         if |r| ≤ δ
        { δ(|r| − ½δ)  if |r| > δ,
    g = r
    """
    parser = _Parser(tex.strip())
    items = parser.sequence()
    # top-level ",\quad" separates equations: one line each
    lines: list[list[_Block | str]] = [[]]
    for x in items:
        quad = isinstance(x, str) and x != "" and x.strip("\u2003") == ""
        if quad and _ends_with_comma(lines[-1]):
            lines.append([])
            continue
        lines[-1].append(x)
    out: list[str] = []
    for line in lines:
        line = _strip(line)
        for k, x in enumerate(line[:-1]):
            nxt = line[k + 1]
            if isinstance(x, _Block) and isinstance(nxt, str) and nxt[:1] in (",", ".", ";"):
                x.lines[-1] += nxt[0]
                line[k + 1] = nxt[1:]
        block = _hcat(line)
        out += [row.replace("\u2003", "  ").rstrip() for row in block.lines]
    return "\n".join(row for row in out if row.strip())


def _ends_with_comma(items: list[_Block | str]) -> bool:
    for x in reversed(items):
        if isinstance(x, str):
            if x.strip() == "":
                continue
            return x.rstrip().endswith(",")
        return False
    return False


def _strip(items: list[_Block | str]) -> list[_Block | str]:
    while items and isinstance(items[0], str) and not items[0].strip():
        items = items[1:]
    return items


_MATH_BLOCK = re.compile(r"^([ \t]*)\.\. math::[ \t]*\n((?:[ \t]*\n|\1[ \t]+\S.*\n?)*)", re.M)
_MATH_ROLE = re.compile(r":math:`([^`]*)`")


def rst_math_to_unicode(text: str) -> str:
    """Text with reStructuredText math (``.. math::`` blocks, ``:math:`` roles) as Unicode.

    Each block becomes a fenced ``text`` code block (Markdown) of its formulas, one paragraph of
    the block per formula.

    Examples
    --------
    >>> print(rst_math_to_unicode("With r:\\n\\n.. math::\\n\\n    \\\\ell = r^2\\n\\nand :math:`\\\\tau`."))
    With r:
    <BLANKLINE>
    ```text
    ℓ = r²
    ```
    <BLANKLINE>
    and τ.
    """

    def block(m: re.Match[str]) -> str:
        paragraphs = re.split(r"\n[ \t]*\n", m.group(2).strip("\n"))
        formulas = [latex_to_unicode(" ".join(p.split("\n"))) for p in paragraphs if p.strip()]
        return m.group(1) + "```text\n" + "\n".join(formulas) + "\n```\n\n"

    text = _MATH_BLOCK.sub(block, text)
    return _MATH_ROLE.sub(lambda m: latex_to_unicode(m.group(1)), text)
