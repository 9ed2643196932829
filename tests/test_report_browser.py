"""report.html in headless Chromium: every image loaded, no JS errors, and the page answers first.

The page records image failures and JavaScript/console errors into the hidden ``#render-status`` on
load; the test reads them back from ``--dump-dom``. For the layout, a copy of the page gets a probe
script (test-only, never shipped) that measures the laid-out page at a 1280×900 viewport — section
order, the leaderboard's width, folded diagnostics, visible text — into ``#layout-probe``.
Screenshots go under ``artifacts/``.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.report import write_report
from losslab.workflows.advised import advised_compare

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FAST = {"epochs": 4, "lr": 0.05, "hidden": (8,)}

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

#: measures the page after load; JSON into #layout-probe's data-layout
PROBE = """<script>
window.addEventListener('load', function () {
  function top(sel) {
    var e = document.querySelector(sel);
    return e ? e.getBoundingClientRect().top + scrollY : null;
  }
  function box(sel) {
    var e = document.querySelector(sel);
    if (!e) { return null; }
    var r = e.getBoundingClientRect();
    return {scrollWidth: e.scrollWidth, right: r.right, wrapWidth: e.parentElement.clientWidth};
  }
  var folded = Array.prototype.map.call(document.querySelectorAll('#diagnosis details'), function (d) {
    var inner = d.querySelectorAll('.kv, table').length;
    var height = d.getBoundingClientRect().height, summary = d.querySelector('summary');
    var summaryHeight = summary ? summary.getBoundingClientRect().height : 0;
    return {id: d.id, open: d.open, inner: inner, height: height, summaryHeight: summaryHeight};
  });
  var status = document.getElementById('render-status');
  var out = {
    innerWidth: window.innerWidth,
    pageScrollWidth: document.documentElement.scrollWidth,
    leaderboard: box('#leaderboard'),
    otherMetrics: box('#other-metrics'),
    verdict: top('#verdict'), results: top('#leaderboard'), diagnosis: top('#diagnosis'),
    folded: folded,
    statusBoxes: status ? status.getClientRects().length : -1,
    text: document.body.innerText
  };
  var probe = document.createElement('div');
  probe.id = 'layout-probe';
  probe.hidden = true;
  probe.setAttribute('data-layout', JSON.stringify(out));
  document.body.appendChild(probe);
});
</script>"""


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def _frame(kind: str) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    score = X @ np.array([1.5, -1.0, 0.5])
    if kind == "binary":
        frame["t"] = np.where(score + rng.normal(0, 0.8, 90) > 0, "yes", "no")
        # long candidate names and every binary metric: the widest leaderboard the page must hold
        losses = ["binary_crossentropy", "hinge", "binary_crossentropy:pos_weight=3", "focal"]
        return frame, {"losses": losses}
    frame["t"] = score + rng.standard_t(2.0, 90)
    return frame, {}


@pytest.fixture(scope="module", params=["binary", "regression"])
def report(request, tmp_path_factory) -> tuple[str, object, Path]:
    """(kind, comparison, report path): binary with given losses, regression through the advisor."""
    kind = request.param
    tmp = tmp_path_factory.mktemp(kind)
    frame, kw = _frame(kind)
    common = {"models": ["linear"], "cv": 3, "out": tmp / "out", "model_params": FAST}
    if kind == "binary":
        cmp = losslab.compare(frame, target="t", **common, **kw)
    else:
        cmp = advised_compare(frame, target="t", top=3, **common)
    return kind, cmp, Path(write_report(cmp))


def test_report_renders_in_headless_chromium(report, tmp_path):
    _, cmp, path = report
    source = path.read_text("utf-8")
    # self-contained: no external URL in any src/href/url(), images inline
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", source)
    assert "url(http" not in source and "@import" not in source
    assert source.count('src="data:image/png;base64,') >= 4

    dom = _chromium(tmp_path / "profile", "--virtual-time-budget=15000", "--dump-dom", path.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    status = re.search(r'<div id="render-status"([^>]*)>', dom.stdout)
    assert status, "render-status element missing from the rendered DOM"
    attrs = {k: html.unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', status.group(1))}
    assert attrs.get("data-state") == "loaded", attrs
    assert int(attrs["data-images"]) >= 4
    assert attrs["data-images-ok"] == attrs["data-images"], f"images failed: {attrs.get('data-bad-images')}"
    assert attrs["data-errors"] == "", attrs["data-errors"]
    table = re.search(r'<table id="leaderboard">(.*?)</table>', dom.stdout, re.S)
    assert table, "leaderboard table missing"
    for cand in cmp.leaderboard["candidate"]:
        assert html.escape(cand) in table.group(1)


def _layout(path: Path, profile: Path) -> dict:
    probed = path.with_name("probed.html")
    probed.write_text(path.read_text("utf-8").replace("</body>", PROBE + "</body>"), "utf-8")
    args = ["--virtual-time-budget=15000", "--window-size=1280,900", "--dump-dom", probed.as_uri()]
    dom = _chromium(profile, *args)
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<div id="layout-probe" hidden="" data-layout="([^"]*)"', dom.stdout)
    assert found, "the layout probe did not run"
    return json.loads(html.unescape(found.group(1)))


def test_report_answers_first_and_fits_1280px(report, tmp_path):
    kind, cmp, path = report
    lay = _layout(path, tmp_path / "profile")
    assert lay["innerWidth"] == 1280, lay["innerWidth"]
    # verdict, then leaderboard, then the advisor's diagnosis
    assert lay["verdict"] is not None and lay["results"] is not None and lay["diagnosis"] is not None
    assert lay["verdict"] < lay["results"] < lay["diagnosis"], lay
    # no horizontal overflow: neither the page nor the tables scroll sideways
    assert lay["pageScrollWidth"] <= 1280, lay["pageScrollWidth"]
    for name in ("leaderboard", "otherMetrics"):
        t = lay[name]
        assert t is not None, f"{name} table missing"
        assert t["scrollWidth"] <= t["wrapWidth"] and t["right"] <= 1280, (name, t)
    # the measurements and recommendations are folded
    if kind == "regression":
        ids = {d["id"]: d for d in lay["folded"]}
        assert "diagnostics-details" in ids, lay["folded"]
        for d in lay["folded"]:
            # closed: only the summary line takes room on the page
            assert not d["open"] and d["inner"] > 0 and d["height"] <= d["summaryHeight"] + 1, d
    # the verdict names the best candidate; nothing meant for tests is visible
    text = lay["text"]
    assert "Verdict" in text and str(cmp.best) in text.split("Leaderboard")[0]
    assert lay["statusBoxes"] == 0
    for leak in ("rendered:", "render-status", "data-state", "data-images", "pending"):
        assert leak not in text, leak
    # the diagnostics are words and people's numbers, never raw keys or exponents
    if kind == "regression":
        source = path.read_text("utf-8")
        assert "n_rows" not in source and "integer_valued" not in source
        assert not re.search(r"<div>-?\d(\.\d+)?e[+-]?\d+</div>", source)

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / ("report.png" if kind == "binary" else f"report-{kind}.png")
    args = ["--virtual-time-budget=15000", "--window-size=1280,900", f"--screenshot={shot}", path.as_uri()]
    res = _chromium(tmp_path / "shot-profile", *args)  # a fresh profile: no half-painted tiles
    assert res.returncode == 0 and shot.stat().st_size > 10_000, res.stderr[-2000:]
    print(f"screenshot: {shot}")
