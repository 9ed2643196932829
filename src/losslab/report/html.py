"""``report.html``: one self-contained page (inline CSS, images as base64 PNG, no external URL).

The page is a Jinja2 template (``report/templates/report.html.j2`` with its CSS and scripts beside
it), rendered with autoescape on: this module only gathers plain data from the `Comparison`.
It opens offline by double-click. The page answers first: data-hygiene banners, the verdict in plain
words (``Comparison.verdict``, `losslab.compare.result.Verdict`), the leaderboard of
the headline metric, the other metrics; then the advisor's diagnosis (measurements folded in
``<details>``), the plots and the method. A small inline script records JavaScript errors and
images that fail to load into the hidden ``<div id="render-status">`` (attributes ``data-errors``,
``data-images``, ``data-images-ok``), which the browser test reads back; nothing of it is visible.
"""

from __future__ import annotations

import base64
import functools
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..compare.stats import LEGEND
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
    """A number of the leaderboard to ``digits`` significant digits (`_sig`); text unchanged."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return _sig(f, digits)


def _img(fig: Any, alt: str) -> dict[str, str] | None:
    if fig is None:
        return None
    return {"alt": alt, "data": base64.b64encode(plots.png_bytes(fig)).decode("ascii")}


_MARK_CLASS = {
    "best": "mark-best",
    "≈ best": "mark-eq",
    "n.s.": "mark-ns",
    "worse": "mark-worse",
    "failed": "mark-worse",
}


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sig(x: float, digits: int = 3, sign: bool = False) -> str:
    """``x`` to ``digits`` significant digits, thousands separated, × 10ⁿ outside [1e-3, 1e6).

    >>> _sig(56.74253), _sig(12345.6), _sig(-0.000012), _sig(1.5, sign=True), _sig(float("nan"))
    ('56.7', '12,346', '-1.2 × 10⁻⁵', '+1.5', '—')
    """
    if not math.isfinite(x):
        return "—" if math.isnan(x) else ("∞" if x > 0 else "−∞")
    plus = "+" if sign and x > 0 else ""
    a = abs(x)
    if a != 0 and (a < 1e-3 or a >= 1e6):
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        power = str(int(exponent)).translate(_SUPERSCRIPT)
        return f"{plus}{float(mantissa):.{digits}g} × 10{power}"
    if a >= 10 ** (digits - 1):
        return f"{plus}{x:,.0f}"
    return f"{plus}{x:.{digits}g}"


# -- the leaderboard --------------------------------------------------------------------------------
def _leaderboard(cmp: Any) -> list[dict[str, Any]]:
    """Rows of the headline table: rank, mark, headline mean ± sd, Δ vs the best with its interval
    (``delta``, ``ci_low``, ``ci_high`` of `losslab.compare.stats`: how much worse, ≥ 0), tests."""
    head = cmp.metrics[0].name
    rows = []
    for row in cmp.leaderboard.to_dict(orient="records"):
        mark = str(row.get("mark", "unranked"))
        rank = row.get("rank")
        cand = str(row["candidate"])
        delta = float(row.get("delta", math.nan))
        lo, hi = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
        d = (delta, (lo, hi)) if not math.isnan(delta) and mark != "best" else None
        rows.append(
            {
                "rank": "—" if rank is None or (isinstance(rank, float) and math.isnan(rank)) else int(rank),
                "candidate": cand,
                "mark": mark,
                "mark_class": _MARK_CLASS.get(mark, "mark-na"),
                "mean": _num(row.get(head, math.nan)),
                "std": _num(row.get(head + "_std", math.nan), 2),
                "delta": _sig(d[0], sign=True) if d else ("0" if mark == "best" else "—"),
                "interval": (
                    f"{_sig(lo, sign=True)} to {_sig(hi, sign=True)}" if d and not math.isnan(lo) else ""
                ),
                "p_holm": _num(row.get("p_holm", math.nan), 3),
                "p_rope": _num(row.get("p_rope", math.nan), 3),
                "n_folds": int(row.get("n_folds") or 0),
                "n_failed": int(row.get("n_failed") or 0),
                "fit_seconds": _num(row.get("fit_seconds", math.nan), 3),
            }
        )
    return rows


def _other_metrics(cmp: Any) -> list[dict[str, Any]]:
    """Rows of the exploratory table: every metric but the headline, mean (sd in the cell's title)."""
    board = cmp.leaderboard
    best_vals = {}
    for m in cmp.metrics[1:]:
        vals = {c: v for c, v in zip(board["candidate"], board[m.name], strict=True) if np.isfinite(v)}
        if vals:
            best_vals[m.name] = min(vals, key=lambda c: m.loss_value(vals[c]))
    return [
        {
            "candidate": row["candidate"],
            "cells": [
                {
                    "mean": _num(row[m.name]),
                    "std": _num(row[m.name + "_std"], 2),
                    "bold": best_vals.get(m.name) == row["candidate"],
                }
                for m in cmp.metrics[1:]
            ],
        }
        for row in board.to_dict(orient="records")
    ]


def _banners(cmp: Any) -> list[dict[str, str]]:
    """A partial leaderboard and data-hygiene warnings, shown above the verdict."""
    out = []
    if getattr(cmp, "partial", False):
        n_tasks = len(cmp.tasks) or (len(cmp.candidates) * int(cmp.config.get("n_folds") or 0))
        out.append(
            {
                "level": "error",
                "text": f"Partial results: {len(cmp.failures)} of {n_tasks or '?'} tasks failed; the "
                "ranking below uses only what finished (see Failures).",
            }
        )
    out.extend({"level": "warn", "text": str(w)} for w in getattr(cmp, "warnings", None) or [])
    return out


# -- the advisor's diagnosis, for people ------------------------------------------------------------
#: words for the tokens of diagnostic keys (``n_rows`` → "number of rows")
_WORDS = {
    "n": "number of",
    "iqr": "IQR",
    "mad": "MAD",
    "r2": "R²",
    "pvalue": "p-value",
    "dtype": "type",
    "id": "ID",
    "std": "standard deviation",
    "min": "minimum",
    "max": "maximum",
}
#: keys whose words read badly token by token
_LABELS = {
    "n_unique": "Distinct values",
    "share_zero": "Share of zeros",
    "share_negative": "Share below zero",
    "unique_ratio": "Distinct values / rows",
}

#: diagnostic groups by key prefix, first match wins; the rest describe the target
_GROUPS = (
    ("Residuals of a linear fit", ("residual_", "log_residual_", "linear_", "pearson_")),
    ("Mean and variance", ("mean_model", "variance_", "dispersion_")),
    (
        "Columns",
        ("n_features", "n_design_", "missing_", "constant_", "id_like_", "leakage_", "n_rows_sampled"),
    ),
)


def _label(key: str) -> str:
    """A diagnostic key in words.

    >>> _label("n_rows_used"), _label("outlier_share_iqr"), _label("linear_r2"), _label("mad_scale")
    ('Number of rows used', 'Outlier share IQR', 'Linear R²', 'MAD scale')
    """
    if key in _LABELS:
        return _LABELS[key]
    tokens = key.split("_")
    text = " ".join(_WORDS.get(w, w) if i == 0 or w != "n" else w for i, w in enumerate(tokens))
    return text[:1].upper() + text[1:]


def _human(key: str, v: Any) -> str:
    """A diagnostic value for people: yes/no, integers as integers, shares as percentages.

    >>> _human("n_rows", 10000), _human("integer_valued", True), _human("share_zero", 0.0123)
    ('10,000', 'yes', '1.23%')
    >>> _human("skewness", 0.43906639), _human("leakage_columns", []), _human("mean", 152.13)
    ('0.439', 'none', '152')
    """
    if isinstance(v, bool) or isinstance(v, np.bool_):
        return "yes" if v else "no"
    if v is None:
        return "—"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v) if v else "none"
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_human(key, x)}" for k, x in v.items()) if v else "none"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if ("share" in key or key.endswith("ratio")) and 0.0 <= f <= 1.0:
            return f"{_sig(100 * f)}%"
        if f.is_integer() and abs(f) < 1e15:
            return f"{int(f):,}"
        return _sig(f)
    return str(v)


def _diagnostic_groups(diagnostics: dict[str, Any]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, str]]] = {"The target": []}
    for name, _ in _GROUPS:
        groups[name] = []
    for k, v in diagnostics.items():
        name = next((n for n, prefixes in _GROUPS if k.startswith(prefixes)), "The target")
        groups[name].append({"key": _label(k), "value": _human(k, v)})
    return [{"name": n, "items": items} for n, items in groups.items() if items]


def _diagnosis(cmp: Any) -> dict[str, Any] | None:
    if cmp.advice is None:
        return None
    d = cmp.advice.to_dict()
    diagnostics = d.get("diagnostics") or {}
    return {
        "task": d.get("task"),
        "task_confidence": d.get("task_confidence"),
        "predict": d.get("predict"),
        "predict_source": d.get("predict_source"),
        "evidence": d.get("task_evidence") or [],
        "alternatives": d.get("alternatives") or [],
        "threshold": d.get("threshold"),
        "confidence": d.get("confidence"),
        "close_call": d.get("close_call"),
        "messages": [
            {"level": m.get("level", ""), "message": m.get("message", "")} for m in d.get("messages") or []
        ],
        "n_diagnostics": len(diagnostics),
        "groups": _diagnostic_groups(diagnostics),
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
            loss = losslab.get(dict(c.loss))
            if loss.target_type is None:  # a structured target has no curve along one raw score
                losses.append(loss)
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
    if losses:
        sections.append(
            (
                "shapes",
                "Loss shapes",
                "Value, gradient and Hessian of each compared loss along the raw prediction (parameters "
                "as fitted on the full data).",
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
    verdict = cmp.verdict
    head = cmp.metrics[0]
    context = {
        "title": title or f"losslab compare — {cmp.target}",
        "task": cmp.task,
        "target": cmp.target,
        "n_candidates": len(cmp.candidates),
        "version": losslab.__version__,
        "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "banners": _banners(cmp),
        "verdict": {
            "paragraphs": [p for p in str(verdict.text).split("\n") if p.strip()] if verdict else [],
            "headline": verdict.headline if verdict else head.name,
            "unranked": [{"candidate": c, "reason": why} for c, why in (verdict.unranked if verdict else [])],
        },
        "advice": _diagnosis(cmp),
        "head": {"name": head.name, "direction": head.direction, "description": head.description},
        "level": round(100 * (1 - float(cfg.get("alpha", 0.05) or 0.05))),
        "metrics": [
            {"name": m.name, "direction": m.direction, "description": m.description} for m in cmp.metrics
        ],
        "rows": _leaderboard(cmp),
        "legend": {**LEGEND, "failed": "every task of the candidate failed: listed, never ranked"},
        "other_rows": _other_metrics(cmp),
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
