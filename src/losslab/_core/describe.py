"""Plain-text (Markdown) description of a loss, from its docstring and metadata.

Used by ``losslab show`` and by the generated formula pages in ``docs/losses/``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .loss import Loss

__all__ = ["SECTIONS", "describe", "docstring_body"]

#: extra sections other layers add (e.g. the GBDT bridges' usage); each takes a loss, returns text
SECTIONS: list[Callable[[Loss], str]] = []


def docstring_body(cls: type) -> str:
    """The class docstring without its Examples section."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    return re.split(r"\n\s*Examples\n\s*-{3,}\n", doc)[0].strip()


def describe(loss: Loss) -> str:
    """A Markdown description: formulas, domains, properties, parameters, references."""
    from .registry import aliases_of

    cls = type(loss)
    info = loss.info
    lines = [f"# {cls.name} — {cls.__name__}", "", docstring_body(cls), ""]
    aliases = aliases_of(cls.name)
    lines += [
        "## Properties",
        "",
        f"- task: {info.task}",
        f"- estimates: {loss.statistic}",
        f"- y_true: {info.y_true}",
        f"- y_pred: {info.y_pred}",
        f"- convex in y_pred: {'yes' if info.convex else 'no'}",
        f"- smooth (twice differentiable): {'yes' if info.smooth else 'no'}",
        f"- robust to outliers: {'yes' if info.robust else 'no'}",
        f"- Hessian: {info.hessian.replace('_', ' ')}",
        f"- link (raw score → response): {getattr(loss.link, 'name', 'identity')}",
    ]
    if aliases:
        lines.append(f"- aliases: {', '.join(aliases)}")
    lines += ["", "## Parameters", ""]
    if cls.PARAMS:
        lines += [f"- {p.describe()}  (now {loss.params[p.name]!r})" for p in cls.PARAMS]
    else:
        lines.append("none")
    if info.references:
        lines += ["", "## References", ""] + [f"- {r}" for r in info.references]
    for section in SECTIONS:
        text = section(loss)
        if text:
            lines += ["", text.rstrip()]
    return "\n".join(lines) + "\n"
