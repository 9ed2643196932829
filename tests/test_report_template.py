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
from losslab.report import render_report  # noqa: E402
from losslab.report.html import _human, _label  # noqa: E402

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


def test_report_renders_the_comparisons_own_verdict_banners_and_partial(cmp, monkeypatch) -> None:
    """The page shows `Comparison.verdict` as it is (one implementation of the verdict, in
    losslab.compare.summary) and the leaderboard's own Δ and interval columns."""
    others = [c for c in cmp.leaderboard["candidate"] if c != cmp.best]
    verdict = SimpleNamespace(
        text="Huber wins.\nUse it.",
        headline="rmse",
        best=cmp.best,
        equivalent=[],
        worse=[(others[0], 1.25, (0.5, 2.0))],
        unranked=[(others[1], "failed on every fold")],
    )
    board = cmp.leaderboard.copy()
    row0 = board["candidate"] == others[0]
    board.loc[row0, ["delta", "ci_low", "ci_high", "mark"]] = [1.25, 0.5, 2.0, "worse"]
    monkeypatch.setattr(cmp, "verdict", verdict)
    monkeypatch.setattr(cmp, "leaderboard", board)
    monkeypatch.setattr(cmp, "warnings", ["column 'row_id' looks like a row identifier & was dropped"])
    monkeypatch.setattr(type(cmp), "partial", property(lambda self: True))  # as if tasks had failed
    page = render_report(cmp)
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


def test_the_advisors_confidence_and_close_call_are_shown(cmp) -> None:
    from losslab.advise.engine import CloseCall

    advice = losslab.advise(*_counts_frame(), target="visits")
    advice.confidence = "low"
    advice.close_call = CloseCall(
        ("mse", "poisson"), "p̂ = 0.6 <covers> both", "losslab compare DATA --target visits"
    )
    page = render_report(_with_advice(cmp, advice))
    assert "Confidence in the advisor's first pick: <b>low</b>" in page
    assert "Unsure between mse and poisson: p̂ = 0.6 &lt;covers&gt; both" in page
    assert "<code>losslab compare DATA --target visits</code>" in page


def _counts_frame():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 2))
    return (pd.DataFrame(X, columns=["a", "b"]).assign(visits=rng.poisson(np.exp(0.5 * X[:, 0]))),)


def _with_advice(cmp, advice):
    import copy

    out = copy.copy(cmp)
    out.advice = advice
    return out


def test_fold_plot_leaves_out_infinite_folds_without_a_warning() -> None:
    """Was: "invalid value encountered in subtract" from the box plot's quantiles when a candidate's
    deviance was +inf on a fold (squared error's negative predictions on real counts, rwm1984)."""
    import warnings

    from losslab.metrics import get_metric
    from losslab.report.plots import fold_distributions

    scores = pd.DataFrame(
        {"candidate": ["a"] * 3 + ["b"] * 3, "metric": "poisson_deviance",
         "value": [1.0, np.inf, 1.2, 0.9, 1.0, 1.1]}
    )  # fmt: skip
    cmp = SimpleNamespace(metrics=[get_metric("poisson_deviance")], scores=scores,
                          leaderboard=pd.DataFrame({"candidate": ["b", "a"]}))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = fold_distributions(cmp)
    xs = np.concatenate([c.get_offsets()[:, 0] for c in fig.axes[0].collections])
    assert np.isfinite(xs).all() and xs.size == 5
