"""The HTML report's Jinja2 templates: shipped as package data, autoescaped, answer first, the
verdict (the comparison's own or one read off its leaderboard), banners, diagnostics for people."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("jinja2")
tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11
pd = pytest.importorskip("pandas")

import losslab  # noqa: E402
from losslab.metrics import get_metric  # noqa: E402
from losslab.report import render_report  # noqa: E402
from losslab.report.html import _human, _label, plain_verdict, verdict_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "src" / "losslab" / "report" / "templates"
FAST = {"epochs": 3, "lr": 0.05, "hidden": (4,)}
TARGET = "y<script>alert(1)</script>"


@pytest.fixture(scope="module")
def cmp():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    frame = pd.DataFrame(X, columns=["a", "b&c"]).assign(**{TARGET: X @ [1.0, -1.0] + rng.normal(size=60)})
    return losslab.compare(
        frame, target=TARGET, models=["linear"], cv=3, losses=["mse", "mae", "huber"], model_params=FAST
    )


def test_every_template_is_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    files = sorted(p.relative_to(TEMPLATES.parents[1]).as_posix() for p in TEMPLATES.iterdir())
    assert "report/templates/report.html.j2" in files
    missing = [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns["losslab"])]
    assert not missing, f"templates a wheel would not ship: {missing}"


def test_report_escapes_names_and_renders_every_section_in_order(cmp) -> None:
    page = render_report(cmp, title='<img src=x onerror="boom">')
    assert "<script>alert(1)" not in page and "y&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=&#34;boom&#34;&gt;" in page
    order = ["verdict", "results", "diagnosis", "folds", "shapes", "diagnostics", "method"]
    at = [page.index(f'<section id="{s}">') for s in order]
    assert at == sorted(at), dict(zip(order, at, strict=True))
    assert page.count('src="data:image/png;base64,') >= 4
    assert len(re.findall(r"<tr class=\"(best)?\"><td>", page)) == len(cmp.leaderboard)
    assert page.rstrip().endswith("</body></html>")
    # the test status is an empty hidden element; no banner without warnings
    assert '<div id="render-status" hidden data-state="pending"></div>' in page
    assert 'class="banner' not in page


def test_plain_verdict_names_the_best_and_every_other_candidate(cmp) -> None:
    v = plain_verdict(cmp)
    assert v.best == cmp.best and v.headline == cmp.metrics[0].name
    others = set(v.equivalent) | set(v.undecided) | {c for c, *_ in v.worse} | {c for c, _ in v.unranked}
    assert others == set(cmp.leaderboard["candidate"]) - {cmp.best}
    assert v.text.startswith(f"On the headline metric {v.headline}") and f"Use {v.best}" in v.text
    assert verdict_of(cmp) == v  # no Comparison.verdict yet: the plain one


def _fake(values: dict[str, list[float]], marks: dict[str, str], metric: str = "rmse") -> SimpleNamespace:
    """A comparison with given per-fold headline values and marks (5 folds of 80/20 rows)."""
    m = get_metric(metric)
    scores = pd.DataFrame(
        [
            {"candidate": c, "metric": m.name, "repeat": 0, "fold": j, "value": v, "reason": None}
            | {"n_train": 80, "n_test": 20}
            for c, vals in values.items()
            for j, v in enumerate(vals)
        ]
    )
    board = pd.DataFrame(
        {
            "candidate": list(values),
            "mark": [marks[c] for c in values],
            m.name: [float(np.mean(v)) for v in values.values()],
            f"{m.name}_std": [float(np.std(v, ddof=1)) for v in values.values()],
            "n_folds": [len(v) for v in values.values()],
        }
    )
    empty = pd.DataFrame(columns=["candidate", "error_type"])
    return SimpleNamespace(metrics=[m], leaderboard=board, scores=scores, failures=empty, config={})


def test_plain_verdict_gives_worse_with_its_interval_and_never_calls_a_better_candidate_worse() -> None:
    base = [1.0, 1.2, 0.9, 1.1, 1.0]
    cmp = _fake(
        {
            "a": base,
            "b": [x + 0.5 + 0.01 * j for j, x in enumerate(base)],  # clearly worse
            "c": [x - 0.1 for x in base],  # better on every fold, yet marked "worse" (the sign bug)
        },
        {"a": "best", "b": "worse", "c": "worse"},
    )
    v = plain_verdict(cmp)
    assert [w[0] for w in v.worse] == ["b"]
    _, d, (lo, hi) = v.worse[0]
    assert d == pytest.approx(0.52) and 0 < lo < d < hi
    assert [u[0] for u in v.unranked] == ["c"] and "favour" in v.unranked[0][1]
    assert "b by +0.52 (interval +" in v.text


def test_plain_verdict_orients_greater_is_better_metrics() -> None:
    cmp = _fake(
        {"a": [0.9, 0.92, 0.91, 0.93, 0.9], "b": [0.8, 0.83, 0.8, 0.82, 0.81]},
        {"a": "best", "b": "worse"},
        metric="roc_auc",
    )
    v = plain_verdict(cmp)
    assert [w[0] for w in v.worse] == ["b"] and v.worse[0][1] < 0 and "higher is better" in v.text


def test_report_renders_the_comparisons_own_verdict_banners_and_partial(cmp, monkeypatch) -> None:
    others = [c for c in cmp.leaderboard["candidate"] if c != cmp.best]
    cmp.verdict = SimpleNamespace(
        text="Huber wins.\n\nUse it.",
        headline="rmse",
        best=cmp.best,
        equivalent=[],
        worse=[(others[0], 1.25, (0.5, 2.0))],
        unranked=[(others[1], "failed on every fold")],
    )
    cmp.warnings = ["column 'row_id' looks like a row identifier & was dropped"]
    monkeypatch.setattr(type(cmp), "partial", property(lambda self: True))  # as if tasks had failed
    old_warnings = cmp.warnings
    try:
        page = render_report(cmp)
    finally:
        del cmp.verdict
        cmp.warnings = old_warnings
    verdict = page[page.index('<section id="verdict">') : page.index('<section id="results">')]
    assert '<p class="verdict">Huber wins.</p>' in verdict and '<p class="verdict">Use it.</p>' in verdict
    assert "failed on every fold" in verdict
    row = re.search(rf"<td class=\"l cand\">{re.escape(others[0])}</td>.*?</tr>", page, re.S)
    assert row and "+1.25" in row.group(0) and "+0.5 to +2" in row.group(0)
    banners = page[: page.index('<section id="verdict">')]
    assert "row identifier &amp; was dropped" in banners and "Partial results" in banners


def test_diagnostics_are_words_and_peoples_numbers() -> None:
    assert _label("n_rows") == "Number of rows" and _label("residual_outlier_pvalue").endswith("p-value")
    assert _human("n_rows", 10000) == "10,000" and _human("n_rows", 10000.0) == "10,000"
    assert _human("integer_valued", True) == "yes" and _human("integer_valued", np.bool_(False)) == "no"
    assert _human("unique_ratio", 0.4841) == "48.4%" and _human("skewness", 0.43906) == "0.439"
    assert _human("residual_outlier_pvalue", 2.12e-13) == "2.12 × 10⁻¹³"
    assert _human("id_like_columns", ["row_id"]) == "row_id" and _human("constant_columns", []) == "none"


def test_plain_verdict_measures_coverage_by_its_distance_from_the_level() -> None:
    cmp = _fake(
        {"a": [0.9, 0.88, 0.91, 0.9, 0.89], "b": [0.99, 0.98, 0.99, 0.995, 0.985]},
        {"a": "best", "b": "worse"},
        metric="coverage:0.9",
    )
    v = plain_verdict(cmp)  # b covers more, which is worse here: 0.08 further from 0.9 on average
    assert [w[0] for w in v.worse] == ["b"] and v.worse[0][1] == pytest.approx(0.08)
    assert "closest to 0.9 is best" in v.text
