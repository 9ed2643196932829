"""``report.html``: one self-contained page (inline CSS, images as base64 PNG, no external URL).

It opens offline by double-click. A small inline script records JavaScript errors and images that
fail to load into ``<div id="render-status">`` (attributes ``data-errors``, ``data-images``,
``data-images-ok``), which the browser test reads back.
"""

from __future__ import annotations

import base64
import html
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import plots

__all__ = ["render_report", "write_report"]

_CSS = """
:root { --fg:#1d2330; --muted:#5d6677; --line:#dde2ea; --accent:#2456a6; --good:#1e7b34; --bad:#a32020; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 0; background: #f6f7f9; }
header { background: #18263f; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #c9d3e6; }
main { max-width: 1280px; margin: 0 auto; padding: 8px 32px 48px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 18px 0;
          padding: 14px 20px; }
h2 { font-size: 18px; margin: 4px 0 10px; color: var(--accent); }
h3 { font-size: 15px; margin: 14px 0 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: right; white-space: nowrap; }
th { background: #eef2f8; position: sticky; top: 0; }
td.l, th.l { text-align: left; }
tr.best td { background: #eef8f0; }
.mark { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; }
.mark-best { background: #1e7b34; color: #fff; }
.mark-eq { background: #cdebd3; color: #1e5a2a; }
.mark-ns { background: #e6e9ef; color: #3a4252; }
.mark-worse { background: #f6d5d5; color: #8a1c1c; }
.mark-na { background: #eee; color: #777; }
.pm { color: var(--muted); font-size: 12px; }
.wrap { overflow-x: auto; }
img { max-width: 100%; height: auto; display: block; margin: 8px 0; }
.note { color: var(--muted); font-size: 13px; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; font-size: 13px; }
.kv div:nth-child(odd) { color: var(--muted); }
ul { margin: 4px 0 8px 18px; padding: 0; }
code { background: #f0f2f6; padding: 0 4px; border-radius: 3px; }
.fail { color: var(--bad); }
"""

_HEAD_SCRIPT = """
window.__losslabErrors = [];
window.addEventListener('error', function (e) {
  var t = e.target;
  if (t && t.tagName === 'IMG') { window.__losslabErrors.push('image failed: ' + (t.alt || '?')); }
  else { window.__losslabErrors.push('js error: ' + (e.message || String(e))); }
}, true);
(function () {
  var orig = console.error;
  console.error = function () {
    window.__losslabErrors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return orig.apply(console, arguments);
  };
})();
"""

_TAIL_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img');
  var ok = 0, bad = [];
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; } else { bad.push(imgs[i].alt); }
  }
  var s = document.getElementById('render-status');
  s.setAttribute('data-images', String(imgs.length));
  s.setAttribute('data-images-ok', String(ok));
  s.setAttribute('data-bad-images', bad.join('|'));
  s.setAttribute('data-errors', window.__losslabErrors.join('|'));
  s.setAttribute('data-state', 'loaded');
  s.textContent = 'rendered: ' + ok + '/' + imgs.length + ' images, ' +
    window.__losslabErrors.length + ' errors';
});
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(v: Any, digits: int = 4) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _e(v)
    if not math.isfinite(f):
        return "—" if math.isnan(f) else ("∞" if f > 0 else "−∞")
    if f != 0 and (abs(f) >= 1e5 or abs(f) < 1e-3):
        return f"{f:.{digits - 1}e}"
    return f"{f:.{digits}g}"


def _img(fig: Any, alt: str) -> str:
    if fig is None:
        return ""
    data = base64.b64encode(plots.png_bytes(fig)).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


_MARK_CLASS = {"best": "mark-best", "≈ best": "mark-eq", "n.s.": "mark-ns", "worse": "mark-worse"}


def _leaderboard(cmp: Any) -> str:
    board = cmp.leaderboard
    head = cmp.metrics[0]
    best_vals = {}
    for m in cmp.metrics:
        vals = {c: v for c, v in zip(board["candidate"], board[m.name], strict=True) if np.isfinite(v)}
        if vals:
            best_vals[m.name] = min(vals, key=lambda c: m.loss_value(vals[c]))
    cols = "".join(
        f'<th title="{_e(m.description)}">{_e(m.name)} {_e(m.direction)}</th>' for m in cmp.metrics
    )
    out = [
        '<div class="wrap"><table id="leaderboard"><thead><tr><th>rank</th><th class="l">candidate</th>'
        f'<th class="l">vs best ({_e(head.name)})</th>{cols}<th>Δ</th><th>p (Holm)</th><th>P(ROPE)</th>'
        "<th>folds</th><th>failed</th><th>fit s</th></tr></thead><tbody>"
    ]
    for row in board.to_dict(orient="records"):
        mark = str(row["mark"])
        cls = _MARK_CLASS.get(mark, "mark-na")
        cells = []
        for m in cmp.metrics:
            text = f'{_num(row[m.name])} <span class="pm">± {_num(row[m.name + "_std"], 2)}</span>'
            if best_vals.get(m.name) == row["candidate"]:
                text = f"<b>{text}</b>"
            cells.append(f"<td>{text}</td>")
        rank = row["rank"]
        rank_txt = "—" if rank is None or (isinstance(rank, float) and math.isnan(rank)) else str(int(rank))
        out.append(
            f'<tr class="{"best" if mark == "best" else ""}"><td>{rank_txt}</td>'
            f'<td class="l">{_e(row["candidate"])}</td>'
            f'<td class="l"><span class="mark {cls}">{_e(mark)}</span></td>{"".join(cells)}'
            f"<td>{_num(row['delta'])}</td><td>{_num(row['p_holm'], 3)}</td><td>{_num(row['p_rope'], 3)}</td>"
            f"<td>{int(row['n_folds'])}</td><td>{int(row['n_failed'])}</td>"
            f"<td>{_num(row['fit_seconds'], 3)}</td></tr>"
        )
    out.append("</tbody></table></div>")
    out.append(
        '<p class="note">Marks compare each candidate with the best on the headline metric '
        f"<b>{_e(head.name)}</b> over the same folds: <b>best</b>; <b>≈ best</b> practically equivalent "
        "(posterior mass ≥ 0.95 inside the region of practical equivalence); <b>n.s.</b> not significantly "
        "different (Holm-adjusted corrected resampled t-test, p ≥ α); <b>worse</b> significantly worse. "
        "Bold: best mean per metric. Values are means over folds ± standard deviation.</p>"
    )
    return "".join(out)


def _diagnosis(cmp: Any) -> str:
    adv = cmp.advice
    if adv is None:
        return (
            f'<p class="note">No advisor run: the losses and the task (<code>{_e(cmp.task)}</code>) '
            "were given explicitly.</p>"
        )
    d = adv.to_dict()
    parts = [
        f"<p>Task <b>{_e(d.get('task'))}</b> (confidence {_e(d.get('task_confidence'))}); predict "
        f"<b>{_e(d.get('predict'))}</b> ({_e(d.get('predict_source'))}).</p>"
    ]
    ev = d.get("task_evidence") or []
    if ev:
        parts.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in ev) + "</ul>")
    if d.get("alternatives"):
        parts.append(f'<p class="note">Alternatives: {_e(", ".join(map(str, d["alternatives"])))}</p>')
    if d.get("threshold") is not None:
        parts.append(f"<p>Decision threshold p* = c_fp/(c_fp + c_fn) = {_num(d['threshold'])}</p>")
    msgs = d.get("messages") or []
    if msgs:
        parts.append("<h3>Findings</h3><ul>")
        parts.extend(f"<li><b>{_e(m.get('level', ''))}</b> {_e(m.get('message', ''))}</li>" for m in msgs)
        parts.append("</ul>")
    diag = d.get("diagnostics") or {}
    flat = []
    for k, v in diag.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                if not isinstance(v2, (dict, list)):
                    flat.append((f"{k}.{k2}", v2))
        elif not isinstance(v, list):
            flat.append((k, v))
    if flat:
        parts.append('<h3>Diagnostics</h3><div class="kv">')
        for k, v in flat[:40]:
            parts.append(f"<div>{_e(k)}</div><div>{_num(v) if isinstance(v, (int, float)) else _e(v)}</div>")
        parts.append("</div>")
    recs = d.get("recommendations") or []
    if recs:
        parts.append(
            '<h3>Recommendations</h3><div class="wrap"><table><thead><tr><th>#</th><th class="l">loss</th>'
            '<th class="l">estimates</th><th class="l">reasons</th><th class="l">caveats</th></tr></thead>'
            "<tbody>"
        )
        for r in recs:
            parts.append(
                f"<tr><td>{_e(r.get('rank'))}</td><td class='l'>{_e(r.get('label'))}</td>"
                f"<td class='l' style='white-space:normal'>{_e(r.get('estimates'))}</td>"
                f"<td class='l' style='white-space:normal'>{_e('; '.join(r.get('reasons') or []))}</td>"
                f"<td class='l' style='white-space:normal'>{_e('; '.join(r.get('caveats') or []))}</td></tr>"
            )
        parts.append("</tbody></table></div>")
    return "".join(parts)


def _failures(cmp: Any) -> str:
    if not len(cmp.failures):
        return '<p class="note">Every task finished.</p>'
    rows = "".join(
        f"<tr><td class='l'>{_e(f['candidate'])}</td><td>{f['repeat']}</td><td>{f['fold']}</td>"
        f"<td class='l fail'>{_e(f['error_type'])}</td><td class='l' style='white-space:normal'>"
        f"{_e(f['message'])}</td></tr>"
        for f in cmp.failures.to_dict(orient="records")
    )
    return (
        '<div class="wrap"><table id="failures"><thead><tr><th class="l">candidate</th><th>repeat</th>'
        f'<th>fold</th><th class="l">error</th><th class="l">message</th></tr></thead><tbody>{rows}'
        "</tbody></table></div>"
    )


def _undefined(cmp: Any) -> str:
    s = cmp.scores
    if not len(s):
        return ""
    bad = s[s["reason"].notna()]
    if not len(bad):
        return ""
    items = (
        bad.groupby(["candidate", "metric"])["reason"]
        .agg(lambda r: f"{len(r)} fold(s): {r.iloc[0]}")
        .reset_index()
    )
    lis = "".join(
        f"<li><b>{_e(r.candidate)}</b> · {_e(r.metric)}: {_e(r.reason)}</li>" for r in items.itertuples()
    )
    return f"<h3>Metrics without a value (NaN, never 0)</h3><ul>{lis}</ul>"


def render_report(cmp: Any, title: str | None = None) -> str:
    """The report of a `Comparison` as one HTML string."""
    import losslab

    title = title or f"losslab compare — {cmp.target}"
    cfg = cmp.config
    sections: list[str] = []
    sections.append(f'<section id="diagnosis"><h2>Data diagnosis</h2>{_diagnosis(cmp)}</section>')
    sections.append(
        f'<section id="results"><h2>Leaderboard</h2>{_leaderboard(cmp)}{_undefined(cmp)}'
        f"<h3>Failures</h3>{_failures(cmp)}</section>"
    )
    sections.append(
        '<section id="folds"><h2>Per-fold scores</h2><p class="note">Each point is one fold; the folds are '
        "identical for every candidate, so the comparison is paired.</p>"
        f"{_img(plots.fold_distributions(cmp), 'per-fold score distributions')}</section>"
    )
    curves = plots.learning_curves(cmp)
    if curves is not None:
        sections.append(
            '<section id="curves"><h2>Learning curves</h2><p class="note">Training and validation loss per '
            "epoch (each candidate's own loss, so levels are comparable within a panel, not across panels)."
            f"</p>{_img(curves, 'learning curves')}</section>"
        )
    losses = []
    labels = []
    seen = set()
    for c in cmp.candidates:
        key = c.loss_label
        if key not in seen:
            seen.add(key)
            losses.append(losslab.get(dict(c.loss)))
            labels.append(key)
    sections.append(
        '<section id="shapes"><h2>Loss shapes</h2><p class="note">Value, gradient and Hessian of each '
        "compared loss along the raw prediction (parameters as fitted on the full data).</p>"
        f"{_img(plots.loss_shapes(losses, labels), 'loss shapes')}</section>"
    )
    diag_imgs = []
    if cmp.family == "classification":
        diag_imgs.append(_img(plots.calibration_curves(cmp), "calibration curves"))
        diag_imgs.append(_img(plots.pr_curves(cmp), "precision-recall curves"))
        note = "Pooled out-of-fold probabilities of repeat 0 (a model without probabilities is left out)."
    else:
        diag_imgs.append(_img(plots.predicted_vs_actual(cmp), "predicted vs actual"))
        diag_imgs.append(_img(plots.residual_plots(cmp), "residuals"))
        note = "Pooled out-of-fold predictions of repeat 0."
    sections.append(
        f'<section id="diagnostics"><h2>Diagnostics plots</h2><p class="note">{note}</p>'
        f"{''.join(diag_imgs)}</section>"
    )
    metrics_li = "".join(
        f"<li><b>{_e(m.name)}</b> {_e(m.direction)} — {_e(m.description)}</li>" for m in cmp.metrics
    )
    sections.append(
        '<section id="method"><h2>Method</h2>'
        f"<p>{cfg.get('n_folds')} folds ({cfg.get('repeats')} repeat(s) of {_e(cfg.get('cv'))}-fold, "
        f"{'stratified' if cmp.family == 'classification' else 'shuffled'}, seed {_e(cfg.get('seed'))}); "
        f"{cfg.get('n_rows')} rows, {cfg.get('n_features')} features. Models use the same preprocessing "
        "(fitted inside each training fold) and the same settings "
        f"<code>{_e(cfg.get('model_params') or {})}</code>: not tuned per loss. Loss parameters the "
        "advisor chose from the data are re-chosen on each training fold.</p>"
        "<p>Paired comparison with the best: corrected resampled t-test (Nadeau &amp; Bengio 2003), "
        "variance × (1/J + n_test/n_train), df = J − 1, Holm-adjusted across candidates; practical "
        "equivalence from the Bayesian correlated t-test posterior (Benavoli et al. 2017).</p>"
        f"<ul>{metrics_li}</ul></section>"
    )
    created = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    subtitle = (
        f"{_e(cmp.task)} target <b>{_e(cmp.target)}</b> · {len(cmp.candidates)} candidates · "
        f"best: <b>{_e(cmp.best)}</b> · losslab {_e(losslab.__version__)} · {created}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style><script>{_HEAD_SCRIPT}</script></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{subtitle}</p></header><main>{''.join(sections)}"
        '<div id="render-status" class="note" data-state="pending"></div></main>'
        f"<script>{_TAIL_SCRIPT}</script></body></html>\n"
    )


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
