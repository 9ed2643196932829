"""Let a subpackage double as the function it is named after (``losslab.advise(...)``).

Importing ``losslab.advise`` binds the *package* to the attribute ``losslab.advise``, shadowing
the lazily exported function of the same name; giving the module a ``__call__`` keeps both.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["make_callable"]


def make_callable(module_name: str, fn: Callable[..., Any]) -> None:
    """Make the module ``module_name`` callable as ``fn``."""

    class _CallableModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

    _CallableModule.__doc__ = f"Module {module_name} that calls {fn.__name__} when called."
    sys.modules[module_name].__class__ = _CallableModule
