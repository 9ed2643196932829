"""Plain-text (Markdown) description of a loss, from its docstring and metadata.

Used by ``losslab show`` and by the generated formula pages in ``docs/losses/``. Higher layers
pass their own sections explicitly (``describe(loss, sections=(usage_section,))`` for the GBDT
bridges); nothing registers itself here.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .info import link_kind

if TYPE_CHECKING:
    from .domains import Domain
    from .loss import Loss

__all__ = ["describe", "docstring_body"]

#: an extra section: takes a loss, returns Markdown (or "" to add nothing)
Section = Callable[["Loss"], str]


def docstring_body(cls: type) -> str:
    """The class docstring without its Examples section."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    return re.split(r"\n\s*Examples\n\s*-{3,}\n", doc)[0].strip()


def _domain(d: Domain) -> str:
    return f"{d.describe()} — {d.kind}, shape {d.shape}"


def describe(loss: Loss, sections: Iterable[Section] = ()) -> str:
    """A Markdown description: formulas, domains, properties, parameters, references.

    Parameters
    ----------
    loss : Loss
    sections : iterable of callables
        Extra sections from higher layers, each ``section(loss) -> str`` (Markdown, or "" for
        none), appended in order.

    Examples
    --------
    >>> import losslab
    >>> text = describe(losslab.get("huber"), sections=(lambda loss: "## Extra",))
    >>> "- estimates: huber location" in text and text.rstrip().endswith("## Extra")
    True
    """
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
        f"- y_true: {_domain(info.y_true)}",
        f"- y_pred: {_domain(info.y_pred)}",
        f"- convex in y_pred: {'yes' if info.convex else 'no'}",
        f"- smooth (twice differentiable): {'yes' if info.smooth else 'no'}",
        f"- robust to outliers: {'yes' if info.robust else 'no'}",
        f"- Hessian: {info.hessian.replace('_', ' ')}",
        f"- link (raw score → response): {link_kind(loss) or getattr(loss.link, 'name', 'other')}",
    ]
    roles = ", ".join(f"{p} ({role})" for role, p in info.roles)
    if roles:
        lines.append(f"- parameter roles: {roles}")
    for eq in info.equivalences:
        when = ", ".join(f"{k}={v!r}" for k, v in eq.when)
        factor = f"{eq.factor:g}" + (f"·{eq.factor_param}^{eq.factor_power:g}" if eq.factor_param else "")
        carry = ", ".join(f"{theirs}={mine}" for theirs, mine in eq.carry)
        same = "is" if factor == "1" else f"is {factor} ×"
        lines.append(f"- equivalence: with {when} it {same} `{eq.other}`" + (f"({carry})" if carry else ""))
    if aliases:
        lines.append(f"- aliases: {', '.join(aliases)}")
    lines += ["", "## Parameters", ""]
    if cls.PARAMS:
        lines += [f"- {p.describe()}  (now {loss.params[p.name]!r})" for p in cls.PARAMS]
    else:
        lines.append("none")
    if info.references:
        lines += ["", "## References", ""] + [f"- {r}" for r in info.references]
    for section in sections:
        text = section(loss)
        if text:
            lines += ["", text.rstrip()]
    return "\n".join(lines) + "\n"
