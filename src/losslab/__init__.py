"""losslab — the loss functions of machine learning, exact, on every framework.

>>> import losslab
>>> loss = losslab.get("huber", delta=1.5)
>>> float(loss([0.0, 1.0], [0.5, 4.0]))
1.75
"""

from __future__ import annotations

# NumPy first, at the shallowest import depth: imported at the bottom of losslab's chain of
# imports, its typing modules took ~30 ms longer (benchmarks/import_time.py: 108 → 65 ms).
import numpy  # noqa: F401

from ._core.errors import (
    DataError,
    DomainError,
    DTypeError,
    LosslabError,
    ParameterError,
    ShapeError,
    UnknownLossError,
    UnsupportedError,
)
from ._core.info import LossInfo
from ._core.lazy import lazy_exports as _lazy_exports
from ._core.loss import Loss
from ._core.params import Interval, Param
from ._core.registry import get, list_losses, register

__version__ = "0.1.0"

# Heavier entry points load on first use, so `import losslab` stays cheap.
_LAZY = {
    "advise": "losslab.advise:advise",
    "Advice": "losslab.advise:Advice",
    "compare": "losslab.compare:compare",
    "custom": "losslab.custom:custom",
    "check": "losslab.custom:check",
    "equivalent": "losslab._core.equivalence:equivalent",
    "Survival": "losslab._core.targets:Survival",
    "Bounds": "losslab._core.targets:Bounds",
    "Ranking": "losslab._core.targets:Ranking",
    "Ordinal": "losslab._core.targets:Ordinal",
    "Pairs": "losslab._core.targets:Pairs",
    "Embeddings": "losslab._core.targets:Embeddings",
}


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY)

__all__ = [
    "Bounds",
    "DTypeError",
    "DataError",
    "DomainError",
    "Embeddings",
    "Interval",
    "Loss",
    "LossInfo",
    "LosslabError",
    "Ordinal",
    "Pairs",
    "Param",
    "ParameterError",
    "Ranking",
    "ShapeError",
    "Survival",
    "UnknownLossError",
    "UnsupportedError",
    "__version__",
    "advise",
    "check",
    "compare",
    "custom",
    "equivalent",
    "get",
    "list_losses",
    "register",
]
