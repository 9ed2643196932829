"""The HTML report's Jinja2 templates: shipped as package data, autoescaped, every section rendered."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jinja2")
tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11
pd = pytest.importorskip("pandas")

import losslab  # noqa: E402
from losslab.report import render_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "src" / "losslab" / "report" / "templates"
FAST = {"epochs": 3, "lr": 0.05, "hidden": (4,)}


def test_every_template_is_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    files = sorted(p.relative_to(TEMPLATES.parents[1]).as_posix() for p in TEMPLATES.iterdir())
    assert "report/templates/report.html.j2" in files
    missing = [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns["losslab"])]
    assert not missing, f"templates a wheel would not ship: {missing}"


def test_report_escapes_names_and_renders_every_section() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    target = "y<script>alert(1)</script>"
    frame = pd.DataFrame(X, columns=["a", "b&c"]).assign(**{target: X @ [1.0, -1.0] + rng.normal(size=60)})
    cmp = losslab.compare(
        frame, target=target, models=["linear"], cv=2, losses=["mse", "mae"], model_params=FAST
    )
    page = render_report(cmp, title='<img src=x onerror="boom">')
    assert "<script>alert(1)" not in page and "y&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=&#34;boom&#34;&gt;" in page
    for section in ("diagnosis", "results", "folds", "shapes", "diagnostics", "method"):
        assert f'<section id="{section}">' in page
    assert page.count('src="data:image/png;base64,') >= 4
    assert len(re.findall(r"<tr class=\"(best)?\"><td>", page)) == len(cmp.leaderboard)
    assert page.rstrip().endswith("</body></html>")
