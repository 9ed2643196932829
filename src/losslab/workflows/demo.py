"""``losslab demo``: advise and compare on an embedded data set, then write the report.

The settings are chosen to finish in well under two minutes on two cores while still being a
fair experiment: the advisor's three best losses (data-fitted parameters refit on each training
fold, `losslab.workflows.advised`) × linear and gbdt (LightGBM) models, plus the constant
baseline, 60 epochs of Adam at lr 0.1 (60 boosting rounds at shrinkage 0.1) with early stopping,
and the folds × repeats that `compare` chooses for power within a time budget (``budget``,
default `losslab.compare.design.DEFAULT_BUDGET_SECONDS`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["DEMO_SETTINGS", "run_demo"]

DEMO_SETTINGS: dict[str, Any] = {
    "models": ("linear", "gbdt"),
    "budget": None,
    "top": 3,
    "seed": 0,
    "model_params": {"epochs": 60, "lr": 0.1},
}


def run_demo(
    out: str | os.PathLike[str] = "losslab-demo",
    dataset: str = "diabetes",
    n_jobs: int | None = None,
    progress: Callable[..., Any] | None = None,
    budget: float | None = None,
) -> tuple[Any, Any, str]:
    """Run the demo; returns ``(advice, comparison, report_path)``.

    ``n_jobs`` defaults to min(2, cores); ``budget`` (seconds for the cross-validation) to
    compare's default.
    """
    from losslab.datasets import load, target_of

    from ..report.html import write_report
    from .advised import advised_compare

    frame = load(dataset)
    target = target_of(dataset)
    n_jobs = n_jobs or min(2, os.cpu_count() or 1)
    s = DEMO_SETTINGS
    cmp = advised_compare(
        frame,
        target=target,
        models=s["models"],
        cv=s.get("cv"),  # None: the default design for the budget
        repeats=s.get("repeats"),
        budget=budget if budget is not None else s["budget"],
        top=s["top"],
        seed=s["seed"],
        model_params=dict(s["model_params"]),
        n_jobs=n_jobs,
        out=Path(out),
        progress=progress,
    )
    path = write_report(cmp, Path(out) / "report.html")
    return cmp.advice, cmp, path
