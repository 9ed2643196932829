"""report.html renders in headless Chromium: leaderboard present, every image loaded, no JS errors.

The page records image failures and JavaScript/console errors into ``#render-status`` on load; the
test reads them back from ``--dump-dom`` and saves a screenshot under ``artifacts/``.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.report import write_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FAST = {"epochs": 4, "lr": 0.05, "hidden": (8,)}

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


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
        return frame, {"losses": ["binary_crossentropy", "hinge"]}
    frame["t"] = score + rng.standard_t(2.0, 90)
    return frame, {"losses": ["mse", "huber", "mae"]}


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_report_renders_in_headless_chromium(kind, tmp_path):
    frame, kw = _frame(kind)
    cmp = losslab.compare(
        frame, target="t", models=["linear"], cv=3, out=tmp_path / "out", model_params=FAST, **kw
    )
    path = Path(write_report(cmp))
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

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / ("report.png" if kind == "binary" else f"report-{kind}.png")
    args = ["--virtual-time-budget=15000", "--window-size=1280,2000", f"--screenshot={shot}", path.as_uri()]
    res = _chromium(tmp_path / "profile", *args)
    assert res.returncode == 0 and shot.stat().st_size > 10_000, res.stderr[-2000:]
    print(f"screenshot: {shot}")
