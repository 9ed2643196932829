"""Parsing command-line specs: losses (``huber:delta=2``) and costs (``fp=1,fn=5``).

>>> parse_loss("huber:delta=1.5")
{'name': 'huber', 'delta': 1.5}
>>> parse_loss("quantile:quantile=0.9")
{'name': 'quantile', 'quantile': 0.9}
>>> parse_loss("my_package.losses:cauchy")
'my_package.losses:cauchy'
>>> parse_costs("fp=1,fn=5")
{'fp': 1.0, 'fn': 5.0}
"""

from __future__ import annotations

from typing import Any

from .._core.errors import DataError
from ..intent import parse_costs

__all__ = ["parse_costs", "parse_loss"]


def _value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(text) if low.lstrip("+-").isdigit() else float(text)
    except ValueError:
        return text.strip()


def parse_loss(spec: str) -> str | dict[str, Any]:
    """A loss spec from the command line → a name or a `losslab.get` dict.

    ``"name"``, ``"name:param=value,param=value"``, or a user's loss ``"package.module:attr"``
    (optionally followed by ``":param=value,…"``): a part after the last ``:`` holding ``=``
    is the parameters, everything before it the name.
    """
    spec = spec.strip()
    name, _, rest = spec.rpartition(":")
    if not name or "=" not in rest:
        name, rest = spec, ""
    if not name or name.startswith(":"):
        raise DataError(f"cannot read loss {spec!r}; expected NAME or NAME:param=value[,param=value].")
    if not rest:
        return name
    out: dict[str, Any] = {"name": name}
    for part in rest.split(","):
        key, eq, val = part.partition("=")
        if not eq or not key.strip():
            raise DataError(f"cannot read loss {spec!r}: {part!r} is not param=value.")
        out[key.strip()] = _value(val)
    return out
