"""``import losslab`` stays cheap: no heavy framework is imported (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "torch",
    "jax",
    "jaxlib",
    "keras",
    "pandas",
    "matplotlib",
    "sklearn",
    "xgboost",
    "lightgbm",
    "typer",
    "rich",
    "dask",
)


def _loaded_after(code: str) -> list[str]:
    probe = f"""
import sys, json
{code}
heavy = {list(HEAVY)!r}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        "import losslab",
        "import losslab; losslab.get('bce')",
        "import losslab, numpy as np; losslab.get('huber', delta=1.5).gradient(np.zeros(3), np.ones(3))",
        "import losslab; losslab.list_losses(); [losslab.get(n) for n in losslab.list_losses()]",
        "import losslab; losslab.get('categorical_crossentropy').baseline([0, 1, 2, 1])",
    ],
)
def test_no_heavy_imports(code: str) -> None:
    loaded = _loaded_after(code)
    assert not loaded, f"`{code}` imported {loaded}"


def test_import_losslab_loads_only_the_core() -> None:
    # the family modules load on the first lookup by name (the registry imports losslab.losses),
    # the rest of the package on first use of a lazy export
    probe = "import sys, json, losslab; print(json.dumps(sorted(m for m in sys.modules if 'losslab' in m)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "losslab._core.registry" in loaded
    assert [m for m in loaded if m.split(".")[:2] not in (["losslab"], ["losslab", "_core"])] == []
