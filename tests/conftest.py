"""Shared fixtures: the loss instances of the generic suite, built from the registry.

Any test that takes an argument named ``any_loss`` runs once per instance: one default instance
of every registered loss, plus every parameter configuration that has reference rows in
``tests/reference/values.json`` (the curated interesting configurations: huber delta 0.5/1.5,
quantile 0.1/0.9, bce pos_weight and from_logits=False, cce label smoothing, class weights …).
``default_loss`` runs once per registered loss with its default parameters. Losses other
engineers add are covered automatically.
"""

from __future__ import annotations

import gc
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# Most of the suite's time under JAX is XLA compiling each primitive for each shape and dtype:
# JAX's own persistent cache lets the two xdist workers and the Keras subprocesses (they inherit
# the environment) compile each program once, and a second run reuse them.
_JAX_CACHE = Path(tempfile.gettempdir()) / f"losslab-tests-jax-cache-{os.getuid()}"
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(_JAX_CACHE))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")

import losslab  # noqa: E402

_VALUES = Path(__file__).resolve().parent / "reference" / "values.json"


def _reference_specs() -> list[dict[str, Any]]:
    if not _VALUES.exists():
        return []
    return [c["loss"] for c in json.loads(_VALUES.read_text())["cases"]]


def default_losses() -> list[Any]:
    """One default instance per registered loss."""
    return [losslab.get(name) for name in losslab.list_losses()]


def loss_instances() -> list[Any]:
    """Defaults plus the reference configurations, without duplicates, in registry order."""
    out: list[Any] = []
    registered = set(losslab.list_losses())
    for loss in default_losses():
        out.append(loss)
    for spec in _reference_specs():
        if spec.get("name") not in registered:
            continue  # a stale row; test_reference's integrity test reports it
        loss = losslab.get(spec)
        if loss not in out:
            out.append(loss)
    order = {n: i for i, n in enumerate(losslab.list_losses())}
    return sorted(out, key=lambda x: order[x.name])


def marked(loss: Any, offset: float) -> Any:
    """The same loss with its analytic gradient shifted by ``offset`` (an unregistered subclass)."""
    cls = type(loss)
    sub = type(
        "Marked" + cls.__name__,
        (cls,),
        {"_gradient": lambda self, xp, t, f: cls._gradient(self, xp, t, f) + offset},
    )
    return sub(**loss.params)


# -- structured targets (losslab._core.targets): what the loops over every loss need -----------
def is_structured(y: Any) -> bool:
    """True for a `losslab.targets.Structured` target (survival, bounds, ranking, ordinal …)."""
    from losslab._core.targets import Structured

    return isinstance(y, Structured)


def n_rows(y: Any) -> int:
    """Rows of a target: its length (a structured target's rows, an array's first axis)."""
    return len(y)


def take_rows(y: Any, rows: Any) -> Any:
    """The rows ``rows`` of a target (structured targets select every field)."""
    return y.take(rows) if is_structured(y) else y[rows]


def repeat_rows(y: Any, reps: Any) -> Any:
    """Each row repeated ``reps[i]`` times, in order (a query's rows stay adjacent)."""
    return take_rows(y, np.repeat(np.arange(n_rows(y)), reps))


def float_target(y: Any) -> bool:
    """A plain array of real-valued targets (not labels, not a structured target)."""
    return not is_structured(y) and np.issubdtype(np.asarray(y).dtype, np.floating)


def cast_target(y: Any, dtype: Any) -> Any:
    """Float targets in ``dtype``; labels and structured targets as they are (the loss casts
    a structured target's fields to y_pred's dtype)."""
    return y.astype(dtype) if float_target(y) else y


def map_target(y: Any, fn: Any) -> Any:
    """``fn`` applied to every per-row field of a structured target, or to ``y`` itself."""
    if not is_structured(y):
        return fn(y)
    from dataclasses import replace

    return replace(y, **{k: fn(v) for k, v in y.numpy().items()})


def loss_id(loss: Any) -> str:
    return repr(loss)


@pytest.fixture(scope="module")
def one_torch_thread():
    """PyTorch on one thread for a module's tests (small models; xdist runs two workers)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Collect the session's garbage now and freeze what survives, so a worker ends at once.

    Under xdist a worker still busy 5 s after it reported "finished" gets a SIGINT from execnet.
    What kept it busy was pytest's own closing garbage collection (5 full passes over a heap of
    torch, JAX, pandas … objects, seconds on a loaded machine), and the SIGINT landed in JAX's gc
    callback: the run ended with a KeyboardInterrupt traceback (PytestUnraisableExceptionWarning).
    This hook runs before xdist reports the worker finished; unraisable exceptions of this
    collection are still reported, and the later passes skip the frozen objects.
    """
    gc.collect()
    gc.freeze()


@pytest.fixture
def cli_text():
    """The words of a ``losslab`` command's output on one line: Rich's box borders (usage errors)
    and line wraps removed, so a message can be matched whole."""
    return lambda output: " ".join(re.sub(r"[│╭╮╰╯─]+", " ", output).split())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "any_loss" in metafunc.fixturenames:
        losses = loss_instances()
        metafunc.parametrize("any_loss", losses, ids=[loss_id(x) for x in losses])
    if "default_loss" in metafunc.fixturenames:
        losses = default_losses()
        metafunc.parametrize("default_loss", losses, ids=[x.name for x in losses])
