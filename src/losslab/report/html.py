"""``report.html``: one self-contained page (inline CSS, images as base64 PNG, no external URL).

The page is a Jinja2 template (``report/templates/report.html.j2`` with its CSS and scripts beside
it), rendered with autoescape on: this module only gathers plain data from the `Comparison`.
It opens offline by double-click. The page answers first: data-hygiene banners, the verdict in plain
words (`verdict_of`: ``Comparison.verdict`` or, without one, `plain_verdict`), the leaderboard of
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import plots

__all__ = ["PlainVerdict", "plain_verdict", "render_report", "verdict_of", "write_report"]


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


_MARK_CLASS = {"best": "mark-best", "≈ best": "mark-eq", "n.s.": "mark-ns", "worse": "mark-worse"}


# -- the verdict ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlainVerdict:
    """The verdict of a comparison in plain words, read off its leaderboard and per-fold scores.

    It has the fields of ``Comparison.verdict`` (`verdict_of` prefers that one when present),
    plus ``undecided``: candidates neither practically equivalent to the best nor worse than it.

    Attributes
    ----------
    text : str
        A few sentences: the best on the headline metric, the equivalent, the worse by how much
        (interval), the unranked, and what to use.
    headline : str
        The headline metric.
    best : str or None
        The best candidate (None when none could be ranked).
    equivalent : list of str
    worse : list of (str, float, (float, float))
        Candidate, mean paired difference to the best in the metric's units (candidate − best),
        and its ``1 − alpha`` interval from the corrected resampled t-test.
    unranked : list of (str, str)
        Candidate and the reason it has no rank.
    undecided : list of str
    """

    text: str
    headline: str
    best: str | None
    equivalent: list[str]
    worse: list[tuple[str, float, tuple[float, float]]]
    unranked: list[tuple[str, str]]
    undecided: list[str]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def verdict_of(cmp: Any) -> Any:
    """``cmp.verdict`` when the comparison carries one, else `plain_verdict` of it."""
    found = getattr(cmp, "verdict", None)
    return found if found is not None else plain_verdict(cmp)


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


def _paired_intervals(cmp: Any, best: str | None) -> dict[str, tuple[float, tuple[float, float]]]:
    """Per candidate, the mean paired headline difference to ``best`` (candidate − best, in the
    metric's units — for coverage, of the distance |coverage − τ| — on the finite folds both have)
    and its ``1 − alpha`` corrected-t interval."""
    from scipy import stats

    from losslab.compare.stats import corrected_ttest

    out: dict[str, tuple[float, tuple[float, float]]] = {}
    s = cmp.scores
    head = cmp.metrics[0]
    if best is None or not len(s):
        return out
    sub = s[s["metric"] == head.name]
    table = sub.pivot_table(index=["repeat", "fold"], columns="candidate", values="value", aggfunc="first")
    if head.greater_is_better is None:  # coverage: the distance from the nominal level is what counts
        table = (table - float(head.param)).abs()
    sizes = sub.groupby(["repeat", "fold"])[["n_train", "n_test"]].first()
    level = 1.0 - float(cmp.config.get("alpha", 0.05) or 0.05) / 2
    for c in table.columns:
        if c == best or best not in table:
            continue
        pair = table[[c, best]].replace([np.inf, -np.inf], np.nan).dropna()
        if len(pair) < 2:
            continue
        r = corrected_ttest(
            (pair[c] - pair[best]).to_numpy(),
            float(sizes.loc[pair.index, "n_train"].mean()),
            float(sizes.loc[pair.index, "n_test"].mean()),
        )
        half = float(stats.t.ppf(level, r.df)) * r.se if np.isfinite(r.se) else math.nan
        out[c] = (r.mean, (r.mean - half, r.mean + half))
    return out


def _unranked_reason(cmp: Any, cand: str, n_folds: int) -> str:
    s, head = cmp.scores, cmp.metrics[0].name
    if len(s):
        why = s[(s["candidate"] == cand) & (s["metric"] == head) & s["reason"].notna()]["reason"]
        if len(why):
            return f"{head} undefined on {len(why)} fold(s): {why.iloc[0]}"
    f = cmp.failures
    if len(f) and (f["candidate"] == cand).any():
        first = f[f["candidate"] == cand].iloc[0]
        return f"failed on {int((f['candidate'] == cand).sum())} fold(s): {first['error_type']}"
    if n_folds < 2:
        return f"{head} has a value on {n_folds} fold(s); a paired test needs 2"
    return "no paired test against the best"


def plain_verdict(cmp: Any) -> PlainVerdict:
    """The verdict read off ``cmp.leaderboard`` (marks), ``cmp.tests`` (ROPE) and ``cmp.scores``.

    A "worse" mark whose paired difference favours the candidate is not called worse: it is
    listed as unranked with that reason.
    """
    head = cmp.metrics[0]
    rows = cmp.leaderboard.to_dict(orient="records")
    best_rows = [r for r in rows if r.get("mark") == "best"]
    best = str(best_rows[0]["candidate"]) if best_rows else None
    ci = _paired_intervals(cmp, best)
    lower_better = head.greater_is_better is not True
    equivalent, undecided = [], []
    worse: list[tuple[str, float, tuple[float, float]]] = []
    unranked: list[tuple[str, str]] = []
    for r in rows:
        c, mark = str(r["candidate"]), r.get("mark")
        if c == best:
            continue
        if mark == "≈ best":
            equivalent.append(c)
        elif mark == "n.s.":
            undecided.append(c)
        elif mark == "worse" and c not in ci and np.isinf(r.get(head.name, math.nan)):
            worse.append((c, math.inf, (math.inf, math.inf)))  # infinitely wrong on a fold
        elif mark == "worse" and c in ci:
            d, (lo, hi) = ci[c]
            if (d > 0) == lower_better and d != 0:
                worse.append((c, d, (lo, hi)))
            else:
                unranked.append((c, "differs significantly from the best, but in its favour on shared folds"))
        else:
            unranked.append((c, _unranked_reason(cmp, c, int(r.get("n_folds") or 0))))
    return PlainVerdict(
        _verdict_text(cmp, best, equivalent, undecided, worse, unranked),
        head.name,
        best,
        equivalent,
        worse,
        unranked,
        undecided,
    )


def _verdict_text(
    cmp: Any,
    best: str | None,
    equivalent: list[str],
    undecided: list[str],
    worse: list[tuple[str, float, tuple[float, float]]],
    unranked: list[tuple[str, str]],
) -> str:
    head = cmp.metrics[0]
    goal = {True: "higher is better", False: "lower is better"}.get(
        head.greater_is_better, f"closest to {head.direction[1:]} is best"
    )
    if best is None:
        return f"No candidate could be ranked on the headline metric {head.name} ({goal})."
    b = cmp.leaderboard.set_index("candidate").loc[best]
    out = [
        f"On the headline metric {head.name} ({goal}), {best} is best: "
        f"{_sig(float(b[head.name]), 4)} ± {_sig(float(b[head.name + '_std']), 2)} "
        f"over {int(b.get('n_folds', 0))} folds."
    ]
    if equivalent:
        out.append(f"Practically equivalent to it: {', '.join(equivalent)}.")
    if undecided:
        out.append(
            f"Not distinguishable from it (neither shown equivalent nor significantly worse): "
            f"{', '.join(undecided)}."
        )
    if worse:
        level = round(100 * (1 - float(cmp.config.get("alpha", 0.05) or 0.05)))
        parts = [
            f"{c} by {_sig(d, sign=True)} (interval {_sig(lo, sign=True)} to {_sig(hi, sign=True)})"
            for c, d, (lo, hi) in worse
        ]
        out.append(f"Worse ({head.name}, candidate − best, {level}% interval): {'; '.join(parts)}.")
    if unranked:
        out.append(f"Not ranked on {head.name}: {', '.join(c for c, _ in unranked)}.")
    if undecided:
        out.append(
            f"Use {best}; these data do not separate it from {', '.join(undecided)} "
            "(more folds or repeats might)."
        )
    elif equivalent:
        out.append(f"Use {best}, or any candidate practically equivalent to it.")
    else:
        out.append(f"Use {best}.")
    return " ".join(out)


# -- the leaderboard --------------------------------------------------------------------------------
def _leaderboard(cmp: Any, intervals: dict[str, tuple[float, tuple[float, float]]]) -> list[dict[str, Any]]:
    """Rows of the headline table: rank, mark, headline mean ± sd, paired Δ with its interval, tests."""
    head = cmp.metrics[0].name
    rows = []
    for row in cmp.leaderboard.to_dict(orient="records"):
        mark = str(row.get("mark", "n/a"))
        rank = row.get("rank")
        cand = str(row["candidate"])
        d = intervals.get(cand)
        rows.append(
            {
                "rank": "—" if rank is None or (isinstance(rank, float) and math.isnan(rank)) else int(rank),
                "candidate": cand,
                "mark": mark,
                "mark_class": _MARK_CLASS.get(mark, "mark-na"),
                "mean": _num(row.get(head, math.nan)),
                "std": _num(row.get(head + "_std", math.nan), 2),
                "delta": _sig(d[0], sign=True) if d else ("0" if mark == "best" else "—"),
                "interval": f"{_sig(d[1][0], sign=True)} to {_sig(d[1][1], sign=True)}" if d else "",
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
    verdict = verdict_of(cmp)
    head = cmp.metrics[0]
    intervals = _paired_intervals(cmp, verdict.best)
    # the verdict's own differences win, so the table and the sentence agree
    intervals.update({c: (d, (lo, hi)) for c, d, (lo, hi) in getattr(verdict, "worse", None) or []})
    context = {
        "title": title or f"losslab compare — {cmp.target}",
        "task": cmp.task,
        "target": cmp.target,
        "n_candidates": len(cmp.candidates),
        "version": losslab.__version__,
        "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "banners": _banners(cmp),
        "verdict": {
            "paragraphs": [p for p in str(verdict.text).split("\n\n") if p.strip()],
            "headline": getattr(verdict, "headline", None) or head.name,
            "unranked": [
                {"candidate": c, "reason": why} for c, why in getattr(verdict, "unranked", None) or []
            ],
        },
        "advice": _diagnosis(cmp),
        "head": {"name": head.name, "direction": head.direction, "description": head.description},
        "level": round(100 * (1 - float(cfg.get("alpha", 0.05) or 0.05))),
        "metrics": [
            {"name": m.name, "direction": m.direction, "description": m.description} for m in cmp.metrics
        ],
        "rows": _leaderboard(cmp, intervals),
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
