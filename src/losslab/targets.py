"""Targets that are not one number per row: survival, censored values, rankings, ordinal labels,
pairs, labelled embeddings and label sequences (CTC).

The one extension of the loss contract for them (defined in ``losslab._core.targets``; see
docs/conventions.md, "Structured targets"). A loss that takes one declares it as
``loss.target_type``; ``loss(target, y_pred)`` then works as for any loss.

>>> import numpy as np, losslab
>>> from losslab.targets import Bounds
>>> Bounds.coerce(losslab.get("mse"), np.array([1.0, 2.0])).censoring().tolist()
['exact', 'exact']
"""

from ._core.targets import (
    Bounds,
    Embeddings,
    Ordinal,
    Pairs,
    Ranking,
    Sequences,
    Structured,
    Survival,
    TargetKind,
    is_structured,
)

__all__ = [
    "Bounds",
    "Embeddings",
    "Ordinal",
    "Pairs",
    "Ranking",
    "Sequences",
    "Structured",
    "Survival",
    "TargetKind",
    "is_structured",
]
