"""The one place losses are registered and looked up by name."""

from __future__ import annotations

import difflib
import functools
import importlib
import sys
from typing import TYPE_CHECKING, Any

from .errors import UnknownLossError

if TYPE_CHECKING:
    from .info import LossInfo
    from .loss import Loss

__all__ = ["aliases_of", "default_info", "get", "list_losses", "loss_class", "register"]

_CLASSES: dict[str, type[Loss]] = {}
_ALIASES: dict[str, str] = {}


def register(cls: type[Loss]) -> type[Loss]:
    """Class decorator: make a loss findable by its ``name`` and ``aliases``."""
    name = cls.name
    info = getattr(cls, "INFO", None)
    if info is not None:
        declared = {p.name for p in cls.PARAMS}
        bad = [p for _, p in info.roles if p not in declared]
        if bad:
            raise ValueError(f"loss {name!r} declares roles for parameters it does not have: {bad}")
    for key in (name, *cls.aliases):
        owner = _ALIASES.get(key)
        if owner is not None and _CLASSES[owner] is not cls:
            raise ValueError(f"loss name {key!r} is already registered by {_CLASSES[owner]!r}")
    _CLASSES[name] = cls
    for key in (name, *cls.aliases):
        _ALIASES[key] = name
    return cls


def _unregister(name: str) -> None:
    """Remove the loss ``name`` and its aliases (tests register throwaway losses)."""
    key = _ALIASES.get(name, name)
    _CLASSES.pop(key, None)
    for alias in [a for a, n in _ALIASES.items() if n == key]:
        del _ALIASES[alias]


def _ensure_builtin() -> None:
    # The built-in families register themselves when imported.
    if "losslab.losses" not in sys.modules:  # also a cheap check when torch.compile traces a lookup
        importlib.import_module("losslab.losses")


def loss_class(name: str) -> type[Loss]:
    """The class registered under ``name`` or one of its aliases.

    ``"package.module:attr"`` imports a user's module first, so its losses register. A
    registered name or alias is looked up first, so an anchor's name with a colon
    (``"binary:hinge"``) is never read as an import path.
    """
    _ensure_builtin()
    key = _registered(name)
    if key is None and ":" in name:
        return _from_import_path(name)
    if key is None:
        close = difflib.get_close_matches(name, list(_ALIASES), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownLossError(
            f"unknown loss {name!r}.{hint} `losslab list` shows all {len(_CLASSES)} losses."
        )
    return _CLASSES[key]


def _registered(name: str) -> str | None:
    """The registered name behind ``name`` or one of its aliases (any case, ``-`` for ``_``)."""
    return _ALIASES.get(name) or _ALIASES.get(name.lower().replace("-", "_"))


def _from_import_path(path: str) -> type[Loss]:
    from .loss import Loss

    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnknownLossError(f"cannot import module {module_name!r} for loss {path!r}: {exc}") from None
    obj = getattr(module, attr, None)
    if isinstance(obj, type) and issubclass(obj, Loss):
        return obj
    if isinstance(obj, Loss):
        return type(obj)
    raise UnknownLossError(
        f"{path!r} does not name a losslab Loss class or instance; got {type(obj).__name__}."
    )


def get(spec: Any, **params: Any) -> Loss:
    """Look up a loss by name, dict or instance and build it with ``params``.

    Parameters
    ----------
    spec : str, dict or Loss
        A registered name or alias (``"huber"``, ``"binary:hinge"``: aliases come before import
        paths), ``"package.module:name"``, a dict as produced by
        `Loss.to_dict` (``{"name": "huber", "delta": 1.5}``), or a Loss (returned as is, or
        rebuilt with ``params`` if any are given).
    **params
        Hyper-parameters; they override those in a dict spec.

    Examples
    --------
    >>> import losslab
    >>> losslab.get("huber", delta=1.5)
    Huber(delta=1.5)
    >>> losslab.get({"name": "quantile", "quantile": 0.9})
    Quantile(quantile=0.9)
    """
    from .loss import Loss

    if isinstance(spec, Loss):
        return spec if not params else type(spec)(**{**spec.params, **params})
    _ensure_builtin()  # the registry is complete before a name is told from an import path
    if isinstance(spec, dict):
        spec = dict(spec)
        name = spec.pop("name", None)
        if not isinstance(name, str):
            raise UnknownLossError(f"a loss dict needs a string 'name' key; got {name!r}.")
        if ":" in name and _registered(name) is None:
            # a custom loss instance exported by a module keeps its own definition
            obj = _instance_at(name)
            if obj is not None:
                return obj
        return loss_class(name)(**{**spec, **params})
    if isinstance(spec, str):
        if ":" in spec and _registered(spec) is None:
            obj = _instance_at(spec)
            if obj is not None:
                return obj if not params else type(obj)(**{**obj.params, **params})
        return loss_class(spec)(**params)
    raise UnknownLossError(
        f"a loss is named by a string, a dict or a Loss instance; got {type(spec).__name__}."
    )


def _instance_at(path: str) -> Loss | None:
    from .loss import Loss

    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    obj = getattr(module, attr, None)
    return obj if isinstance(obj, Loss) else None


def list_losses(task: str | None = None) -> list[str]:
    """Sorted names of the registered losses (aliases excluded), optionally of one task.

    Examples
    --------
    >>> import losslab
    >>> "huber" in losslab.list_losses()
    True
    >>> "mse" in losslab.list_losses(task="binary")
    False
    """
    _ensure_builtin()
    return sorted(n for n, c in _CLASSES.items() if task is None or c.INFO.task == task)


def aliases_of(name: str) -> list[str]:
    """The aliases registered for the loss ``name``."""
    _ensure_builtin()
    return sorted(a for a, n in _ALIASES.items() if n == name and a != name)


def default_info(name: str) -> LossInfo:
    """The metadata (`LossInfo`) of the registered loss ``name`` with its default parameters.

    Cached per class (the metadata is frozen), so queries over the whole registry — the advisor's
    rule table asks it for every loss on every rule — build each default instance once; a class
    registered under a reused name is a new key.
    """
    return _default_info(loss_class(name))


@functools.cache
def _default_info(cls: type[Loss]) -> LossInfo:
    return cls().info
