"""The advisor's statistics and fits, and Holm, against the values of the hand-written code.

``tests/data/hand_values.json`` was written by this module (``python tests/test_hand_values.py``)
from the hand-written ``_skew``, ``_kurt``, ``_spearman``, ``_mad_scale``, IRLS Huber and Poisson
fits and Holm step-down of commit 3ec84f1, before any of them was replaced by a library. A
replacement must reproduce these numbers on the same fixed inputs: the scalar statistics, the fit
coefficients and every diagnosis value on the embedded data sets.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pandas")
pytest.importorskip("sklearn")

D = importlib.import_module("losslab.advise.diagnose")
F = importlib.import_module("losslab.advise.fits")

GOLDEN = Path(__file__).resolve().parent / "data" / "hand_values.json"
# the library fits stop at their own tolerances: Poisson β agree to ~4e-7 relative
REL = 1e-6


def _arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    return {
        "normal": rng.normal(size=200),
        "lognormal": rng.lognormal(size=500),
        "t3": rng.standard_t(3, size=1000),
        "ints": rng.poisson(2.0, size=300).astype(float),
        "three": np.array([1.0, 2.0, 7.0]),
        "four": np.array([1.0, 2.0, 3.0, 10.0]),
    }


def _pairs() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(13)
    x = rng.normal(size=300)
    return {
        "cubic": (x, x**3),
        "noisy": (x, x + rng.normal(size=300)),
        "ties": (np.round(x), np.round(2 * x + rng.normal(size=300))),
        "negative": (x, -np.exp(x) + 0.1 * rng.normal(size=300)),
    }


def _fit_inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(12)
    n = 600
    Z = np.column_stack([np.ones(n), rng.normal(size=(n, 4))])
    y = Z @ np.array([1.0, 2.0, -1.0, 0.5, 0.0]) + rng.standard_t(2.0, size=n)
    mu = np.exp(Z @ np.array([0.5, 0.3, -0.2, 0.1, 0.0]))
    return Z, y, rng.poisson(mu).astype(float), rng.gamma(2.0, mu / 2.0)


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_plain(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v) if math.isfinite(v) else None
    return v


def measure() -> dict[str, Any]:
    """Every value the golden file holds, computed by the current code."""
    from losslab.compare.stats import holm
    from losslab.datasets import list_datasets, load, target_of

    out: dict[str, Any] = {}
    arrays = _arrays()
    out["skew"] = {k: D._skew(v) for k, v in arrays.items()}
    out["kurt"] = {k: D._kurt(v) for k, v in arrays.items()}
    out["mad"] = {k: F.mad_scale(v) for k, v in arrays.items()}
    out["spearman"] = {k: D._spearman(a, b) for k, (a, b) in _pairs().items()}
    Z, y, ycount, ygamma = _fit_inputs()
    Q = F.quadratic_design(Z)
    r, r_ols = F.robust_fit(Z, y)
    out["huber_beta"] = np.linalg.lstsq(Z, y - r, rcond=None)[0]
    out["ols_beta"] = np.linalg.lstsq(Z, y - r_ols, rcond=None)[0]
    out["huber_quad_scale"] = F.mad_scale(F.robust_fit(Q, y)[0])
    out["poisson_count_beta"] = F.poisson_fit(Z, ycount)
    out["poisson_gamma_beta"] = F.poisson_fit(Z, ygamma)
    out["poisson_quad_beta"] = F.poisson_fit(Q, ycount)
    out["holm"] = {
        "a": holm([0.01, 0.04, 0.03, 0.005]),
        "b": holm([0.2, np.nan, 0.01, 0.5, 0.049]),
        "ties": holm([0.02, 0.02, 0.5, 0.001]),
        "capped": holm([0.4, 0.3, 0.9]),
    }
    out["diagnose"] = {}
    for name in list_datasets():
        values = D.diagnose(load(name), target_of(name)).values
        out["diagnose"][name] = {
            k: v for k, v in values.items() if v is None or isinstance(v, (int, float, str, np.number))
        }
    return _plain(out)


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, dict):
        return {k2: v2 for k, v in d.items() for k2, v2 in _flatten(v, f"{prefix}{k}.").items()}
    if isinstance(d, list):
        return {k2: v2 for i, v in enumerate(d) for k2, v2 in _flatten(v, f"{prefix}{i}.").items()}
    return {prefix.rstrip("."): d}


@pytest.fixture(scope="module")
def measured() -> dict[str, Any]:
    return _flatten(measure())


GOLD = _flatten(json.loads(GOLDEN.read_text(encoding="utf-8"))) if GOLDEN.exists() else {}
SECTIONS = sorted({k.split(".")[0] for k in GOLD} | ({"diagnose"} if not GOLD else set()))


@pytest.mark.parametrize("section", SECTIONS)
def test_matches_hand_written_values(measured: dict[str, Any], section: str) -> None:
    gold = {k: v for k, v in GOLD.items() if k.split(".")[0] == section}
    assert gold, f"{GOLDEN} has no {section!r} values"
    now = {k: v for k, v in measured.items() if k.split(".")[0] == section}
    assert set(gold) <= set(now)  # later diagnostics add keys; the hand-written values must stay
    bad = []
    for k, g in gold.items():
        v = now[k]
        if isinstance(g, float) and isinstance(v, (int, float)) and not isinstance(v, bool):
            # coefficients near zero are compared on the scale of their neighbours
            if not math.isclose(v, g, rel_tol=REL, abs_tol=1e-7):
                bad.append(f"{k}: {v!r} != {g!r} (rel {abs(v - g) / max(abs(g), 1e-300):.2e})")
        elif v != g:
            bad.append(f"{k}: {v!r} != {g!r}")
    assert not bad, "\n".join(bad)


if __name__ == "__main__":  # pragma: no cover - regenerates the golden file from the current code
    if "--write" not in sys.argv:
        sys.exit("usage: python tests/test_hand_values.py --write  (only from the hand-written code)")
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(measure(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
