"""The built-in losses, one module per family; importing a module registers its losses.

Family modules are found, not listed: every module of this package whose name does not start
with ``_`` is imported here, and its ``@register`` classes enter the registry. The classes are
exported by name from the registry (``from losslab.losses import Huber``), so adding a loss
touches no list in this file.
"""

from __future__ import annotations

import importlib
import pkgutil

from .._core.lazy import lazy_exports
from .._core.registry import list_losses, loss_class

FAMILIES: tuple[str, ...] = tuple(
    sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
)
for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")

# class name -> "losslab.losses.<family>:<class>" for every registered built-in loss
_EXPORTS = {
    cls.__name__: f"{cls.__module__}:{cls.__name__}"
    for cls in map(loss_class, list_losses())
    if cls.__module__.startswith(f"{__name__}.")
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
