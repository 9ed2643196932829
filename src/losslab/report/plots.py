"""Plots of a comparison and of loss shapes (matplotlib, Agg; no pyplot global state).

Every function returns a `matplotlib.figure.Figure`; `png_bytes` renders one. The figures are
built with ``Figure()`` directly, so they are safe to draw from any thread and never open a window.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np

from .._core.info import LinkKind, Task, link_kind

__all__ = [
    "calibration_curves",
    "fold_distributions",
    "learning_curves",
    "loss_shapes",
    "plot_losses",
    "png_bytes",
    "pr_curves",
    "predicted_vs_actual",
    "residual_plots",
    "shape_data",
]

_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"]


def _figure(width: float, height: float) -> Any:
    """A figure with margins fixed in inches (`_margins`): a layout engine costs ~3× the drawing."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    _margins(fig)
    return fig


def _margins(fig: Any, left: float = 0.75, right: float = 0.2, top: float = 0.4, bottom: float = 0.55,
             wspace: float = 0.75, hspace: float = 0.85) -> None:  # fmt: skip
    """Margins and gaps in inches, converted to the figure fractions subplots_adjust takes."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h)
    fig._losslab_gaps = (wspace, hspace)


def _gaps(fig: Any, rows: int, cols: int) -> None:
    """Turn the inch gaps into subplots_adjust's fractions of the mean axes size."""
    wspace, hspace = getattr(fig, "_losslab_gaps", (0.75, 0.85))
    sp = fig.subplotpars
    w, h = fig.get_size_inches()
    ax_w = ((sp.right - sp.left) * w - wspace * (cols - 1)) / cols
    ax_h = ((sp.top - sp.bottom) * h - hspace * (rows - 1)) / rows
    fig.subplots_adjust(wspace=wspace / max(ax_w, 0.1), hspace=hspace / max(ax_h, 0.1))


def png_bytes(fig: Any, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (Agg)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    rows, cols = getattr(fig, "_losslab_grid", (1, 1))
    _gaps(fig, rows, cols)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _grid(n: int, max_cols: int = 3) -> tuple[int, int]:
    cols = min(max_cols, max(1, n))
    return math.ceil(n / cols), cols


def _panels(n: int, width: float, height: float, max_cols: int = 3) -> tuple[Any, list[Any], int]:
    """A figure of ``n`` panels on a grid (``width`` × ``height`` inches each): (fig, axes, cols)."""
    rows, cols = _grid(n, max_cols)
    fig = _figure(width * cols, height * rows)
    fig._losslab_grid = (rows, cols)
    return fig, [fig.add_subplot(rows, cols, i + 1) for i in range(n)], cols


def _style(ax: Any, title: str, xlabel: str, ylabel: str | None = None) -> None:
    """The small-multiple look: 9 pt title, 8 pt labels, 7 pt ticks, a light grid."""
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=8)
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


# -- comparison plots ----------------------------------------------------------------------------
def fold_distributions(cmp: Any, metrics: list[Any] | None = None) -> Any:
    """Per-fold scores of every candidate, one panel per metric (box + points; best first)."""
    metrics = list(metrics or cmp.metrics[:4])
    order = list(cmp.leaderboard["candidate"])
    fig, axes, cols = _panels(len(metrics), 6.2, 0.45 * len(order) + 1.0, max_cols=2)
    _margins(fig, left=0.25 + 0.065 * max(len(c) for c in order), wspace=0.4, hspace=0.8)
    for i, (m, ax) in enumerate(zip(metrics, axes, strict=True)):
        sub = cmp.scores[cmp.scores["metric"] == m.name]
        # finite folds only: a +inf fold (a deviance at an impossible prediction) has no place on
        # the axis, and the leaderboard names it
        data = [
            v[np.isfinite(v)] for v in (sub.loc[sub["candidate"] == c, "value"].to_numpy() for c in order)
        ]
        pos = np.arange(len(order))[::-1]
        nonempty = [j for j, d in enumerate(data) if d.size]
        if nonempty:
            ax.boxplot(
                [data[j] for j in nonempty],
                positions=pos[nonempty],
                orientation="horizontal",
                widths=0.5,
                showfliers=False,
                medianprops={"color": "#444"},
            )
        for j, d in enumerate(data):
            jitter = np.linspace(-0.12, 0.12, d.size) if d.size > 1 else np.zeros(d.size)
            ax.scatter(d, pos[j] + jitter, s=14, color=_COLORS[j % len(_COLORS)], zorder=3)
        ax.set_yticks(pos, order if i % cols == 0 else [""] * len(order), fontsize=8)
        ax.set_title(f"{m.name} ({m.direction})", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    return fig


def learning_curves(cmp: Any, max_panels: int = 12) -> Any | None:
    """Training and validation loss per epoch of every candidate (one line per fold)."""
    names = [c for c in cmp.leaderboard["candidate"] if cmp.histories.get(c)][:max_panels]
    if not names:
        return None
    fig, axes, _ = _panels(len(names), 4.2, 2.8)
    drawn = False
    for i, (name, ax) in enumerate(zip(names, axes, strict=True)):
        for h in cmp.histories[name]:
            hist = h["history"]
            ep = [r.get("epoch", k) for k, r in enumerate(hist)]
            for key, color in (("train_loss", "#1f77b4"), ("val_loss", "#d62728")):
                vals = [r.get(key) for r in hist]
                if any(isinstance(v, (int, float)) for v in vals):
                    y = np.array([np.nan if v is None else float(v) for v in vals])
                    label = key.replace("_", " ") if h is cmp.histories[name][0] else None
                    ax.plot(ep, y, color=color, alpha=0.6, lw=1.2, label=label)
                    drawn = True
        _style(ax, name, "epoch")
        if i == 0:
            ax.legend(fontsize=7)
    return fig if drawn else None


def calibration_curves(cmp: Any, n_bins: int = 10) -> Any | None:
    """Reliability diagram of the pooled out-of-fold probabilities (binary: P(positive);
    multiclass: top-label confidence)."""
    items = [(c, o) for c, o in cmp.oof.items() if "proba" in o]
    if not items:
        return None
    fig = _figure(5.2, 4.4)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], ls="--", color="#888", lw=1, label="perfectly calibrated")
    for j, (name, o) in enumerate(items):
        p, y = o["proba"], o["y_true"]
        conf, hit = (p[:, 1], y == 1) if p.shape[1] == 2 else (p.max(axis=1), p.argmax(axis=1) == y)
        bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
        xs, ys = [], []
        for b in range(n_bins):
            m = bins == b
            if m.any():
                xs.append(conf[m].mean())
                ys.append(hit[m].mean())
        ax.plot(xs, ys, marker="o", ms=3, lw=1.3, color=_COLORS[j % len(_COLORS)], label=name)
    ax.set_xlabel("predicted probability" if items[0][1]["proba"].shape[1] == 2 else "top-label confidence")
    ax.set_ylabel("observed frequency")
    ax.set_title("Calibration (out-of-fold)", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return fig


def pr_curves(cmp: Any) -> Any | None:
    """Precision–recall curves of the pooled out-of-fold probabilities (multiclass: micro-average)."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    items = [(c, o) for c, o in cmp.oof.items() if "proba" in o]
    if not items:
        return None
    fig = _figure(5.2, 4.4)
    ax = fig.add_subplot(1, 1, 1)
    for j, (name, o) in enumerate(items):
        p, y = o["proba"], o["y_true"]
        if p.shape[1] == 2:
            score, truth = p[:, 1], (y == 1).astype(int)
        else:
            score, truth = p.ravel(), np.eye(p.shape[1], dtype=int)[y].ravel()
        prec, rec, _ = precision_recall_curve(truth, score)
        ap = average_precision_score(truth, score)
        ax.plot(rec, prec, lw=1.3, color=_COLORS[j % len(_COLORS)], label=f"{name} (AP {ap:.3f})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("Precision–recall (out-of-fold)", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return fig


def _value_items(cmp: Any, max_panels: int, max_points: int = 4000) -> list[tuple[str, dict[str, Any]]]:
    """Candidates with numeric predictions; scatter plots show a fixed random subset of ≤ max_points."""
    names = [c for c in cmp.leaderboard["candidate"] if "value" in cmp.oof.get(c, {})]
    out = []
    for c in names[:max_panels]:
        o = cmp.oof[c]
        n = o["y_true"].shape[0]
        if n > max_points:
            keep = np.sort(np.random.default_rng(0).choice(n, max_points, replace=False))
            o = {"y_true": o["y_true"][keep], "value": o["value"][keep]}
        out.append((c, o))
    return out


def predicted_vs_actual(cmp: Any, max_panels: int = 9) -> Any | None:
    """Out-of-fold prediction against the target, one panel per candidate."""
    items = _value_items(cmp, max_panels)
    if not items:
        return None
    fig, axes, _ = _panels(len(items), 3.8, 3.4)
    lo = min(float(np.nanmin(o["y_true"])) for _, o in items)
    hi = max(float(np.nanmax(o["y_true"])) for _, o in items)
    for i, ((name, o), ax) in enumerate(zip(items, axes, strict=True)):
        ax.scatter(o["y_true"], o["value"], s=6, alpha=0.5, color=_COLORS[i % len(_COLORS)])
        ax.plot([lo, hi], [lo, hi], ls="--", color="#888", lw=1)
        _style(ax, name, "actual", "predicted")
    return fig


def residual_plots(cmp: Any, max_panels: int = 9) -> Any | None:
    """Residuals y − ŷ against ŷ (out-of-fold), one panel per candidate."""
    items = _value_items(cmp, max_panels)
    if not items:
        return None
    fig, axes, _ = _panels(len(items), 3.8, 3.2)
    for i, ((name, o), ax) in enumerate(zip(items, axes, strict=True)):
        ax.scatter(o["value"], o["y_true"] - o["value"], s=6, alpha=0.5, color=_COLORS[i % len(_COLORS)])
        ax.axhline(0.0, ls="--", color="#888", lw=1)
        _style(ax, name, "predicted", "residual y − ŷ")
    return fig


# -- loss shapes ---------------------------------------------------------------------------------
def shape_data(loss: Any, n: int = 401) -> dict[str, Any]:
    """Value, gradient and Hessian of ``loss`` along one raw-prediction axis.

    Regression: y_true fixed at the median of ``loss.example`` targets, y_pred on a grid around it
    (x = y_pred − y_true; for a log link the raw score around log y_true). Binary: y_true = the
    positive label, logits (or probabilities with ``from_logits=False``) on a grid. Multiclass and
    distributions: y_true = class 0 (or the first example row), raw scores (z, 0, 0) with z on a
    grid, curves for the first component. Points outside the loss's domain are left out (NaN).
    """
    yt, yp = loss.example(256, seed=0)
    task = loss.info.task
    link = link_kind(loss)
    multi = bool(getattr(loss, "multiclass", False))
    from_logits = loss.params.get("from_logits", True)
    if multi:
        z = np.linspace(-6.0, 6.0, n)
        f = np.zeros((n, np.asarray(yp).shape[1]))
        f[:, 0] = z
        if not from_logits:
            f = np.exp(f) / np.exp(f).sum(axis=1, keepdims=True)
        t0 = np.asarray(yt)[0]
        t = np.repeat(t0[None, ...], n, axis=0) if np.ndim(t0) else np.zeros(n, dtype=np.int64)
        x, xlabel, pick = z, "raw score of class 0 (others 0)", 0
    elif task == Task.BINARY:
        t = np.full(n, float(np.max(yt)))
        if from_logits:
            x = np.linspace(-6.0, 6.0, n)
            xlabel = "logit (y_true = positive)"
        else:
            x = np.linspace(0.001, 0.999, n)
            xlabel = "probability (y_true = positive)"
        f, pick = x, None
    else:
        t0 = float(np.median(yt))
        if link == LinkKind.LOG:
            center = math.log(t0) if t0 > 0 else 0.0
            x = center + np.linspace(-3.0, 3.0, n)
            xlabel = "raw score (log scale) − log y_true"
            f, pick = x, None
            x = x - center
        else:
            with np.errstate(all="ignore"):
                ok0 = np.isfinite(np.asarray(loss(np.zeros(1), np.zeros(1), reduction="none", check=False)))
            t0 = 0.0 if bool(np.all(ok0)) else t0
            x = np.linspace(-3.0, 3.0, n)
            f, pick = t0 + x, None
            xlabel = "y_pred − y_true"
        t = np.full(n, t0)
    with np.errstate(all="ignore"):
        v = np.asarray(loss(t, f, reduction="none", check=False), dtype=float)
        g = np.asarray(loss.gradient(t, f, check=False), dtype=float)
        h = np.asarray(loss.hessian(t, f, check=False), dtype=float)
    if pick is not None:
        g, h = g[:, pick], h[:, pick]
    out = {"x": x, "value": v, "gradient": g, "hessian": h, "xlabel": xlabel, "task": task}
    if task == Task.REGRESSION and link != LinkKind.LOG and t0 != 0.0:
        out["note"] = f"y_true = {t0:.3g}"
    for k in ("value", "gradient", "hessian"):
        out[k] = np.where(np.isfinite(out[k]), out[k], np.nan)
    return out


def loss_shapes(losses: list[Any], labels: list[str] | None = None) -> Any:
    """Loss, gradient and Hessian curves of ``losses`` side by side (one row per task group)."""
    from losslab.compare.plan import loss_label

    labels = labels or [loss_label(x) for x in losses]
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for loss, label in zip(losses, labels, strict=True):
        data = shape_data(loss)
        key = data["task"] if not getattr(loss, "multiclass", False) else "multiclass"
        groups.setdefault(key, []).append((label, data))
    fig = _figure(13.0, 3.4 * len(groups))
    fig._losslab_grid = (len(groups), 3)
    titles = ("loss ℓ", "gradient ∂ℓ/∂ŷ", "Hessian ∂²ℓ/∂ŷ²")
    for r, (task, items) in enumerate(groups.items()):
        for c, key in enumerate(("value", "gradient", "hessian")):
            ax = fig.add_subplot(len(groups), 3, 3 * r + c + 1)
            lows: list[np.ndarray] = []
            for j, (label, d) in enumerate(items):
                text = f"{label} ({d['note']})" if d.get("note") else label
                ax.plot(d["x"], d[key], lw=1.6, color=_COLORS[j % len(_COLORS)], label=text)
                lows.append(d[key][np.isfinite(d[key])])
            pooled = np.concatenate(lows) if lows else np.array([])
            if pooled.size:  # robust limits: a pole (msle at ŷ → −1) must not flatten the rest
                lo, hi = float(np.quantile(pooled, 0.03)), float(np.quantile(pooled, 0.97))
                lo, hi = min(lo, 0.0), max(hi, 0.0)
                pad = 0.15 * (hi - lo) if hi > lo else 0.5
                ax.set_ylim(lo - pad, hi + pad)
            ax.set_title(f"{titles[c]} — {task}", fontsize=9)
            xlabels = {d["xlabel"] for _, d in items}
            xlabel = xlabels.pop() if len(xlabels) == 1 else "raw score − link(y_true) (identity: ŷ − y)"
            ax.set_xlabel(xlabel, fontsize=8)
            ax.axhline(0.0, color="#bbb", lw=0.8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
            if c == 0:
                ax.legend(fontsize=7)
    return fig


def plot_losses(names: list[Any], out: str | None = None) -> str:
    """Draw loss, gradient and Hessian of the named losses side by side; save to ``out``.

    ``out`` ends in ``.png``, ``.svg`` or ``.pdf`` (default ``losses.png``); returns the path.

    Raises
    ------
    UnknownLossError, ParameterError
        A name that is not a loss.
    DataError
        An unsupported file suffix.
    """
    from pathlib import Path

    import losslab
    from losslab._core.errors import DataError

    if not names:
        raise DataError("plot needs at least one loss name.")
    losses = [losslab.get(n) for n in names]
    path = Path(out or "losses.png")
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise DataError(
            f"cannot write {str(path)!r}: unsupported format {path.suffix or '(none)'!r}; "
            "use .png, .svg or .pdf."
        )
    fig = loss_shapes(losses)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    _gaps(fig, *fig._losslab_grid)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=fmt, dpi=110)
    return str(path)
