"""Module attributes that import their module on first use (PEP 562), so imports stay cheap."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

__all__ = ["lazy_exports"]


def lazy_exports(
    module_name: str, table: dict[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for module ``module_name``: each name in ``table`` maps to
    ``"package.module"`` (the attribute of the same name) or ``"package.module:attribute"``."""

    def __getattr__(name: str) -> object:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr or name)

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[module_name])) | set(table))

    return __getattr__, __dir__
