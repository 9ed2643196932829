"""``report.html``: one self-contained page (inline CSS, images as base64 PNG, no external URL).

The page is a Jinja2 template (``report/templates/report.html.j2`` with its CSS and scripts beside
it), rendered with autoescape on: this module only gathers plain data from the `Comparison`.
It opens offline by double-click. A small inline script records JavaScript errors and images that
fail to load into ``<div id="render-status">`` (attributes ``data-errors``, ``data-images``,
``data-images-ok``), which the browser test reads back.
"""

from __future__ import annotations

import base64
import functools
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import plots

__all__ = ["render_report", "write_report"]


@functools.cache
def _environment() -> Any:
    try:
        import jinja2
    except ImportError:  # pragma: no cover - jinja2 is an extra
        raise ImportError("losslab's HTML report needs jinja2: pip install 'losslab[plot]'") from None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("losslab.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _num
    return env


def _num(v: Any, digits: int = 4) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(f):
        return "—" if math.isnan(f) else ("∞" if f > 0 else "−∞")
    if f != 0 and (abs(f) >= 1e5 or abs(f) < 1e-3):
        return f"{f:.{digits - 1}e}"
    return f"{f:.{digits}g}"


def _img(fig: Any, alt: str) -> dict[str, str] | None:
    if fig is None:
        return None
    return {"alt": alt, "data": base64.b64encode(plots.png_bytes(fig)).decode("ascii")}


_MARK_CLASS = {"best": "mark-best", "≈ best": "mark-eq", "n.s.": "mark-ns", "worse": "mark-worse"}


def _leaderboard(cmp: Any) -> list[dict[str, Any]]:
    board = cmp.leaderboard
    best_vals = {}
    for m in cmp.metrics:
        vals = {c: v for c, v in zip(board["candidate"], board[m.name], strict=True) if np.isfinite(v)}
        if vals:
            best_vals[m.name] = min(vals, key=lambda c: m.loss_value(vals[c]))
    rows = []
    for row in board.to_dict(orient="records"):
        mark = str(row["mark"])
        rank = row["rank"]
        rows.append(
            {
                "rank": "—" if rank is None or (isinstance(rank, float) and math.isnan(rank)) else int(rank),
                "candidate": row["candidate"],
                "mark": mark,
                "mark_class": _MARK_CLASS.get(mark, "mark-na"),
                "cells": [
                    {
                        "mean": _num(row[m.name]),
                        "std": _num(row[m.name + "_std"], 2),
                        "bold": best_vals.get(m.name) == row["candidate"],
                    }
                    for m in cmp.metrics
                ],
                "delta": _num(row["delta"]),
                "p_holm": _num(row["p_holm"], 3),
                "p_rope": _num(row["p_rope"], 3),
                "n_folds": int(row["n_folds"]),
                "n_failed": int(row["n_failed"]),
                "fit_seconds": _num(row["fit_seconds"], 3),
            }
        )
    return rows


def _diagnosis(cmp: Any) -> dict[str, Any] | None:
    if cmp.advice is None:
        return None
    d = cmp.advice.to_dict()
    flat = []
    for k, v in (d.get("diagnostics") or {}).items():
        if isinstance(v, dict):
            flat.extend((f"{k}.{k2}", v2) for k2, v2 in v.items() if not isinstance(v2, (dict, list)))
        elif not isinstance(v, list):
            flat.append((k, v))
    return {
        "task": d.get("task"),
        "task_confidence": d.get("task_confidence"),
        "predict": d.get("predict"),
        "predict_source": d.get("predict_source"),
        "evidence": d.get("task_evidence") or [],
        "alternatives": d.get("alternatives") or [],
        "threshold": d.get("threshold"),
        "messages": [
            {"level": m.get("level", ""), "message": m.get("message", "")} for m in d.get("messages") or []
        ],
        "diagnostics": [
            {"key": k, "value": _num(v) if isinstance(v, (int, float)) else v} for k, v in flat[:40]
        ],
        "recommendations": [
            {
                "rank": r.get("rank"),
                "label": r.get("label"),
                "estimates": r.get("estimates"),
                "reasons": r.get("reasons") or [],
                "caveats": r.get("caveats") or [],
            }
            for r in d.get("recommendations") or []
        ],
    }


def _undefined(cmp: Any) -> list[dict[str, Any]]:
    s = cmp.scores
    if not len(s):
        return []
    bad = s[s["reason"].notna()]
    if not len(bad):
        return []
    items = (
        bad.groupby(["candidate", "metric"])["reason"]
        .agg(lambda r: f"{len(r)} fold(s): {r.iloc[0]}")
        .reset_index()
    )
    return items.to_dict(orient="records")


def _figures(cmp: Any) -> list[dict[str, Any]]:
    """The plot sections, in page order, each with the images that could be drawn."""
    import losslab

    losses, labels, seen = [], [], set()
    for c in cmp.candidates:
        if c.loss_label not in seen:
            seen.add(c.loss_label)
            losses.append(losslab.get(dict(c.loss)))
            labels.append(c.loss_label)
    sections = [
        (
            "folds",
            "Per-fold scores",
            "Each point is one fold; the folds are identical for every candidate, so the comparison is "
            "paired.",
            [_img(plots.fold_distributions(cmp), "per-fold score distributions")],
        )
    ]
    curves = plots.learning_curves(cmp)
    if curves is not None:
        sections.append(
            (
                "curves",
                "Learning curves",
                "Training and validation loss per epoch (each candidate's own loss, so levels are "
                "comparable within a panel, not across panels).",
                [_img(curves, "learning curves")],
            )
        )
    sections.append(
        (
            "shapes",
            "Loss shapes",
            "Value, gradient and Hessian of each compared loss along the raw prediction (parameters as "
            "fitted on the full data).",
            [_img(plots.loss_shapes(losses, labels), "loss shapes")],
        )
    )
    if cmp.family == "classification":
        images = [
            _img(plots.calibration_curves(cmp), "calibration curves"),
            _img(plots.pr_curves(cmp), "precision-recall curves"),
        ]
        note = "Pooled out-of-fold probabilities of repeat 0 (a model without probabilities is left out)."
    else:
        images = [
            _img(plots.predicted_vs_actual(cmp), "predicted vs actual"),
            _img(plots.residual_plots(cmp), "residuals"),
        ]
        note = "Pooled out-of-fold predictions of repeat 0."
    sections.append(("diagnostics", "Diagnostics plots", note, images))
    return [
        {"id": i, "heading": h, "note": n, "images": [im for im in ims if im is not None]}
        for i, h, n, ims in sections
    ]


def render_report(cmp: Any, title: str | None = None) -> str:
    """The report of a `Comparison` as one HTML string."""
    import losslab

    cfg = cmp.config
    context = {
        "title": title or f"losslab compare — {cmp.target}",
        "task": cmp.task,
        "target": cmp.target,
        "n_candidates": len(cmp.candidates),
        "best": cmp.best,
        "version": losslab.__version__,
        "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "advice": _diagnosis(cmp),
        "head": cmp.metrics[0].name,
        "metrics": [
            {"name": m.name, "direction": m.direction, "description": m.description} for m in cmp.metrics
        ],
        "rows": _leaderboard(cmp),
        "missing_metrics": _undefined(cmp),
        "failures": cmp.failures.to_dict(orient="records") if len(cmp.failures) else [],
        "figures": _figures(cmp),
        "cfg": {
            "n_folds": cfg.get("n_folds"),
            "repeats": cfg.get("repeats"),
            "cv": cfg.get("cv"),
            "split": "stratified" if cmp.family == "classification" else "shuffled",
            "seed": cfg.get("seed"),
            "n_rows": cfg.get("n_rows"),
            "n_features": cfg.get("n_features"),
            "model_params": cfg.get("model_params") or {},
        },
    }
    return _environment().get_template("report.html.j2").render(context)


def write_report(cmp: Any, out: str | Path | None = None) -> str:
    """Write ``report.html`` for a `Comparison` (default: into its ``out`` directory); returns the path."""
    from losslab._core.errors import DataError
    from losslab.compare.store import atomic_write_text

    if out is None:
        root = cmp.paths.get("out")
        if not root:
            raise DataError("write_report needs out= (the comparison was run without an out directory).")
        out = Path(root) / "report.html"
    path = Path(out)
    if path.suffix.lower() not in (".html", ".htm"):
        path = path / "report.html"
    atomic_write_text(path, render_report(cmp))
    cmp.paths["report"] = str(path)
    return str(path)
