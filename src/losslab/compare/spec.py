"""Parsing command-line specs: losses (``huber:delta=2``) and costs (``fp=1,fn=5``).

>>> parse_loss("huber:delta=1.5")
{'name': 'huber', 'delta': 1.5}
>>> parse_loss("quantile:quantile=0.9")
{'name': 'quantile', 'quantile': 0.9}
>>> parse_costs("fp=1,fn=5")
{'fp': 1.0, 'fn': 5.0}
"""

from __future__ import annotations

from typing import Any

from .._core.errors import DataError

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
    """``"name"`` or ``"name:param=value,param=value"`` → a name or a `losslab.get` dict."""
    name, _, rest = spec.strip().partition(":")
    if not name:
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


def parse_costs(spec: Any) -> dict[str, float] | None:
    """``"fp=1,fn=5"`` or a dict → ``{"fp": 1.0, "fn": 5.0}`` (both positive)."""
    if spec is None:
        return None
    if isinstance(spec, dict):
        items = list(spec.items())
    elif isinstance(spec, str):
        items = []
        for part in spec.split(","):
            key, eq, val = part.partition("=")
            if not eq:
                raise DataError(f"cannot read costs {spec!r}; expected fp=1,fn=5.")
            items.append((key.strip().lower(), val))
    else:
        raise DataError(f"costs must be a dict or a string like 'fp=1,fn=5'; got {type(spec).__name__}.")
    out: dict[str, float] = {}
    for key, val in items:
        if key not in ("fp", "fn"):
            raise DataError(f"costs has an unknown key {key!r}; expected fp and fn.")
        try:
            v = float(val)
        except (TypeError, ValueError):
            raise DataError(f"costs[{key!r}] must be a number; got {val!r}.") from None
        if not v > 0 or v == float("inf"):
            raise DataError(f"costs[{key!r}] must be a positive number; got {val!r}.")
        out[key] = v
    if set(out) != {"fp", "fn"}:
        raise DataError(f"costs need both fp and fn; got {spec!r}.")
    return out
