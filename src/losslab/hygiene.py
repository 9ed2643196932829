"""Data hygiene of a feature table: identifier columns, suspected leaks, free text, exposures.

One implementation shared by the advisor (`losslab.advise`'s diagnosis), `losslab.compare` and
``losslab train`` — it sits in the tabular layer, below all three, so that neither peer imports the
other. Every finding carries its evidence in words and numbers (``"645 distinct values in 699
rows, named like an identifier"``), never a bare label.

- **Identifiers** (`id_like_columns`): integer or text columns only — a float is a measurement,
  never an identifier. A column is ID-like when it is named like one (``id``, ``*_id``, ``ID``,
  ``index``, ``uuid``, ``key`` …) and distinct in at least half of the rows, or when it is near
  unique (distinct values / rows ≥ 0.95) and, for integers, also looks like a counter: consecutive
  values (their range at most twice the number of distinct values) or increasing with the row
  order. An integer measurement such as a population count is near unique too, but spread out.
  Two or more unsorted columns that are each a near permutation of the same integers are ranks
  (a table has one row number), not identifiers. `compare` and `train` drop identifier columns
  (kept on request); the advisor reports them.
- **Suspected leaks** (`suspected_leaks`): a feature that alone separates the whole target —
  each class in its own value range or levels (classification), Spearman |ρ| ≥ 0.999
  (regression) — and, for classification, a feature that takes one value in every row of a class
  and another value in ≥ 95% of the other rows (``0 for every negative and positive for 98% of the
  positives``: typically recorded after the outcome). Warned about, never dropped: only the user
  knows when a column was recorded.
- **Free text** (`free_text_columns`): a text column with ≥ 100 distinct values; one-hot encoding
  turns it into as many columns.
- **Exposures** (`exposure_candidates`): a positive column named like an exposure or a number of
  trials (``population``, ``exposure``, ``trials``, ``n``, ``size``, ``offset``, ``time_at_risk`` …)
  that a count target never exceeds, or whose scale the count's mean follows (log–log slope near 1),
  or of which a proportion target is a whole number of parts. Reported, never used unasked: the
  user passes ``exposure=`` to model the rate.

pandas is imported inside the functions.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._core.errors import DataError
from .tasks import is_categorical

__all__ = [
    "THRESHOLDS",
    "Finding",
    "Hygiene",
    "check_features",
    "exposure_candidates",
    "free_text_columns",
    "id_like_columns",
    "is_exposure_name",
    "is_id_name",
    "suspected_leaks",
]

#: The thresholds of the checks, with their reasons (the advisor's threshold table includes them).
THRESHOLDS: dict[str, tuple[float, str]] = {
    "id_unique_ratio": (
        0.95,
        "losslab choice: an integer/text column distinct in ≥ 95% of rows (integers also consecutive or "
        "increasing with the row order) is an identifier",
    ),
    "id_named_ratio": (0.5, "losslab choice: a column named like an identifier, distinct in ≥ 50% of rows"),
    "id_min_rows": (20, "losslab choice: no identifier is called in fewer than 20 rows"),
    "leak_corr": (0.999, "losslab choice: Spearman ρ ≥ 0.999 in absolute value with the target"),
    "leak_min_rows": (20, "losslab choice: leak checks need ≥ 20 rows with the feature present"),
    "leak_class_other_share": (
        0.95,
        "losslab choice: a feature constant in every row of a class (≥ 10 rows) and different in ≥ 95% of "
        "the other rows is a suspected leak",
    ),
    "leak_class_min_rows": (10, "losslab choice: a class needs ≥ 10 rows for 'constant within the class'"),
    "free_text_levels": (100, "losslab choice: a text column with ≥ 100 distinct values is free text"),
    "exposure_min_rows": (
        20,
        "losslab choice: an exposure is recognised in ≥ 20 rows with target and column",
    ),
    "exposure_bins": (
        5,
        "losslab choice: the count's mean is compared with the column's mean in 5 quantile bins of the "
        "column (zeros in single rows do not break the log scale)",
    ),
    "exposure_slope_low": (
        0.5,
        "losslab choice: the count's bin means grow at least as the column^0.5 (a rate per unit of exposure "
        "grows as the column^1; statsmodels' cancer deaths: 0.96)",
    ),
    "exposure_slope_high": (
        1.5,
        "losslab choice: and at most as the column^1.5 (a log of the exposure, a feature, gives slopes far "
        "above: 8.5 for cancer's log population)",
    ),
    "exposure_spearman": (
        0.3,
        "losslab choice: an exposure with ≥ 3 values has Spearman ρ ≥ 0.3 with the count (any small count "
        "stays below a large unrelated column; a slope alone could come from five noisy bins)",
    ),
    "exposure_whole_tol": (
        1e-6,
        "numerical tolerance: a proportion × the number of trials is a whole number within 1e-6 × trials",
    ),
}


def _t(key: str) -> float:
    return THRESHOLDS[key][0]


_ID_NAME = re.compile(r"(^|[_\W])(id|ids|uuid|guid|key|index|idx)($|[_\W])", re.IGNORECASE)
_ID_CAMEL = re.compile(r"[a-z0-9](Id|ID|Key|Index|Uuid|UUID)$")


def is_id_name(name: Any) -> bool:
    """Whether a column name reads like an identifier (``id``, ``row_id``, ``customerID``, ``uuid`` …).

    >>> [is_id_name(n) for n in ("id", "row_id", "customerID", "Index", "width", "valid", "keyboard")]
    [True, True, True, True, False, False, False]
    """
    text = str(name)
    return bool(_ID_NAME.search(text) or _ID_CAMEL.search(text))


@dataclass(frozen=True)
class Finding:
    """One column flagged by a check: ``kind`` (``"identifier"``, ``"leak"``, ``"free_text"``),
    the evidence in words, and the numbers behind it."""

    column: str
    kind: str
    evidence: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"column": self.column, "kind": self.kind, "evidence": self.evidence, **self.numbers}


def _is_bool(col: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_bool_dtype(col))


def _is_integer(col: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_integer_dtype(col)) and not _is_bool(col)


def _is_number(col: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(col)) and not _is_bool(col)


def _identifier(col: Any, name: str, n: int) -> Finding | None:
    integer, text = _is_integer(col), is_categorical(col)
    if not (integer or text) or n == 0:
        return None  # floats are measurements; booleans are flags
    distinct = int(col.nunique(dropna=True))
    ratio = distinct / n
    counts = f"{distinct} distinct values in {n} rows"
    numbers = {"distinct": distinct, "rows": n}
    if is_id_name(name) and ratio >= _t("id_named_ratio") and distinct > 1:
        return Finding(name, "identifier", f"{counts}, named like an identifier", numbers)
    if n < _t("id_min_rows") or ratio < _t("id_unique_ratio"):
        return None
    if text:
        return Finding(name, "identifier", counts, numbers)
    v = col.dropna().to_numpy(dtype=np.int64)
    lo, hi = int(v.min()), int(v.max())
    increasing = v.size > 1 and bool(np.all(np.diff(v) > 0))
    if hi - lo + 1 <= 2 * distinct:
        numbers = {**numbers, "low": lo, "high": hi, "increasing": increasing}
        return Finding(name, "identifier", f"{counts}, integers from {lo} to {hi}", numbers)
    if increasing:
        return Finding(name, "identifier", f"{counts}, increasing with the row order", numbers)
    return None  # a spread-out integer measurement (a population, an amount in cents)


def id_like_columns(X: Any) -> list[Finding]:
    """The columns of ``X`` (a DataFrame) that look like row identifiers, with their evidence.

    Two or more unsorted, unnamed columns that each run over the same consecutive integers are
    ranks (HistData's ``Guerry``: eight rankings of 86 departments), not row numbers: none of
    them is reported.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"row": range(50), "x": [0.5 * i for i in range(50)], "g": [1, 2] * 25})
    >>> [(f.column, f.evidence) for f in id_like_columns(X)]
    [('row', '50 distinct values in 50 rows, integers from 0 to 49')]
    """
    n = len(X)
    out = []
    for c in X.columns:
        found = _identifier(X[c], str(c), n)
        if found is not None:
            out.append(found)

    # a table has one row number; several unsorted permutations of one range are rankings
    def span(f: Finding) -> tuple[int, int] | None:
        unsorted = "low" in f.numbers and not f.numbers["increasing"]
        return (f.numbers["low"], f.numbers["high"]) if unsorted else None

    spans = [span(f) for f in out]
    return [f for f, s in zip(out, spans, strict=True) if s is None or spans.count(s) == 1]


def _label(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _separates(codes: np.ndarray, x: Any, labels: np.ndarray, k: int) -> str | None:
    """Evidence that one feature separates every class, or None.

    Few levels (under half the rows): each level occurs with one class only. Numbers with many
    values: sorted by the feature, the classes form k runs with no tie across classes.
    """
    n = codes.size
    levels = int(codes.max()) + 1
    if levels < 2:
        return None
    if levels < 0.5 * n:
        pairs = int(np.count_nonzero(np.bincount(codes * k + labels, minlength=levels * k)))
        if pairs == levels:  # each level with a single class
            return f"each of its {levels} values occurs with one class only, in {n} rows"
        return None
    if x is None:  # text with many levels: an identifier's business, not a leak's
        return None
    order = np.argsort(x, kind="stable")
    ls, xs = labels[order], x[order]
    change = np.flatnonzero(ls[1:] != ls[:-1]) + 1
    # k runs, and no value shared by two classes at a boundary
    if change.size == k - 1 and bool(np.all(xs[change] > xs[change - 1])):
        return f"its value ranges separate the {k} classes exactly, with no overlap in {n} rows"
    return None


def _constant_in_class(codes: np.ndarray, uniques: Any, labels: np.ndarray, classes: list[Any]) -> str | None:
    """Evidence that the feature is one value in every row of a class and another in nearly all others."""
    n_min = _t("leak_class_min_rows")
    for j, cls in enumerate(classes):
        inside = labels == j
        ni, no = int(inside.sum()), int((~inside).sum())
        if ni < n_min or no == 0:
            continue
        ci = codes[inside]
        if ci.min() != ci.max():
            continue
        other = codes[~inside]
        share = float(np.mean(other != ci[0]))
        if share >= _t("leak_class_other_share"):
            value = "missing" if ci[0] < 0 else repr(_label(uniques[ci[0]]))
            return (
                f"it is {value} in all {ni} rows of class {_label(cls)!r} and differs from that in "
                f"{share:.1%} of the {no} other rows"
            )
    return None


def _rank(a: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank)."""
    import pandas as pd

    return pd.Series(a).rank().to_numpy()


def _spearman(a: np.ndarray, rank_b: np.ndarray) -> float:
    """Spearman ρ of ``a`` with a variable whose average ranks are ``rank_b``: the Pearson correlation
    of the ranks (pandas ranks; the target is ranked once, not once per column)."""
    rank_a = _rank(a)
    if np.ptp(rank_a) == 0 or np.ptp(rank_b) == 0:
        return 0.0  # ρ is undefined
    return float(np.corrcoef(rank_a, rank_b)[0, 1])


def suspected_leaks(X: Any, y: Any, *, classification: bool) -> list[Finding]:
    """Features that predict the target (almost) perfectly on their own, with the evidence.

    Parameters
    ----------
    X : DataFrame
        The features.
    y : array-like
        The target, one value per row of ``X`` (no missing values).
    classification : bool
        Class labels (separation and constant-within-a-class checks) or numbers (Spearman ρ).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 200)
    >>> paid = np.where((y == 1) & (rng.random(200) > 0.03), rng.gamma(2, 50, 200), 0.0)
    >>> X = pd.DataFrame({"x": rng.normal(size=200), "paid": paid})
    >>> [(f.column, f.evidence) for f in suspected_leaks(X, y, classification=True)]
    [('paid', 'it is 0.0 in all 89 rows of class 0 and differs from that in 97.3% of the 111 other rows')]
    """
    import pandas as pd

    yv = pd.Series(np.asarray(y)).reset_index(drop=True)
    out: list[Finding] = []
    if classification:
        labels, classes = pd.factorize(yv, sort=True)
        k = len(classes)
        if k < 2:
            return out
    else:
        yf = pd.to_numeric(yv, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if not np.isfinite(yf).all():
            return out  # not a numeric target: nothing to rank against
        y_rank = _rank(yf)
    for c in X.columns:
        col = X[c].reset_index(drop=True)
        ok = col.notna().to_numpy()
        if ok.sum() < _t("leak_min_rows"):
            continue
        name = str(c)
        if classification:
            codes, uniques = pd.factorize(col, use_na_sentinel=True)
            sub = codes[ok]
            x = col[ok].to_numpy(dtype=float) if _is_number(col) else None
            ev = None
            if bool(np.all(np.bincount(labels[ok], minlength=k) > 0)):
                ev = _separates(sub, x, labels[ok], k)
            if ev is None:
                ev = _constant_in_class(codes, uniques, labels, list(classes))
            if ev is not None:
                out.append(Finding(name, "leak", ev, {"rows": int(ok.sum())}))
        elif _is_number(col):
            a = col[ok].to_numpy(dtype=float)
            rho = _spearman(a, y_rank if ok.all() else _rank(yf[ok]))
            if abs(rho) >= _t("leak_corr"):
                out.append(
                    Finding(
                        name,
                        "leak",
                        f"Spearman ρ = {rho:.4f} with the target over {int(ok.sum())} rows",
                        {"spearman": rho, "rows": int(ok.sum())},
                    )
                )
    return out


def free_text_columns(X: Any) -> list[Finding]:
    """Text columns with so many distinct values that one-hot encoding makes hundreds of columns.

    >>> import pandas as pd
    >>> X = pd.DataFrame({"note": [f"note {i % 150}" for i in range(600)], "colour": ["red", "blue"] * 300})
    >>> [(f.column, f.evidence) for f in free_text_columns(X)]
    [('note', '150 distinct values in 600 rows: one-hot encoding makes up to 150 columns of it')]
    """
    out = []
    for c in X.columns:
        col = X[c]
        if not is_categorical(col):
            continue
        distinct = int(col.nunique(dropna=True))
        if distinct >= _t("free_text_levels"):
            out.append(
                Finding(
                    str(c),
                    "free_text",
                    f"{distinct} distinct values in {len(col)} rows: one-hot encoding makes up to {distinct} "
                    "columns of it",
                    {"distinct": distinct, "rows": len(col)},
                )
            )
    return out


_EXPOSURE_WORDS = frozenset(
    {"population", "pop", "popul", "exposure", "exposures", "trials", "ntrials", "size", "offset", "holders"}
    | {"pyears", "personyears", "persontime", "atrisk"}
)
_EXPOSURE_PHRASES = (("at", "risk"), ("person", "years"), ("person", "time"), ("n", "trials"))


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)  # PopulationK → Population K
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def is_exposure_name(name: Any) -> bool:
    """Whether a column name reads like an exposure or a number of trials.

    >>> [is_exposure_name(n) for n in ("population", "PopulationK", "time_at_risk", "n", "n_trials",
    ...                                "Holders", "psize", "popularity", "income")]
    [True, True, True, True, True, True, False, False, False]
    """
    words = _words(str(name))
    if words == ["n"] or _EXPOSURE_WORDS.intersection(words):
        return True
    pairs = set(itertools.pairwise(words))
    return any(p in pairs for p in _EXPOSURE_PHRASES)


def _bin_slope(y: np.ndarray, e: np.ndarray) -> float | None:
    """Slope of log(mean target) on log(mean column) over quantile bins of the column, or None."""
    import pandas as pd

    bins = pd.qcut(e, int(_t("exposure_bins")), labels=False, duplicates="drop")
    if np.unique(bins).size < 3:
        return None  # too few distinct levels of the column to tell a scale
    frame = pd.DataFrame({"b": bins, "y": y, "e": e}).groupby("b").mean()
    frame = frame[frame["y"] > 0]
    if len(frame) < 3:
        return None
    return float(np.polyfit(np.log(frame["e"]), np.log(frame["y"]), 1)[0])


def _exposure_of_count(y: np.ndarray, e: np.ndarray, name: str) -> Finding | None:
    n = y.size
    bounded = bool(np.all(y <= e))
    slope = _bin_slope(y, e)
    rho = _spearman(y, _rank(e))
    tracks = slope is not None and _t("exposure_slope_low") <= slope <= _t("exposure_slope_high")
    # a column that varies must go with the count: a large unrelated column bounds any small count
    associated = rho >= _t("exposure_spearman") or np.unique(e).size < 3
    if not (associated and (bounded or tracks)):
        return None
    parts = []
    if bounded:
        parts.append(f"the count is at most it in all {n} rows (at most {float(np.max(y / e)):.3g} of it)")
    if slope is not None:
        parts.append(
            f"the count's mean grows as {name}^{slope:.2f} over {int(_t('exposure_bins'))} quantile bins "
            f"of it (Spearman ρ = {rho:.2f})"
        )
    elif np.unique(e).size >= 3:
        parts.append(f"Spearman ρ = {rho:.2f} with the count")
    evidence = (
        f"positive ({_span(e)}) and named like an exposure; "
        + "; ".join(parts)
        + f": a count per {name} — model the rate with exposure={name!r}"
    )
    numbers = {"target": "count", "rows": n, "bounded": bounded, "slope": slope, "spearman": rho}
    return Finding(name, "exposure", evidence, numbers)


def _trials_of_proportion(y: np.ndarray, e: np.ndarray, name: str) -> Finding | None:
    n = y.size
    if not np.all(e == np.round(e)):
        return None
    parts = y * e
    if np.max(np.abs(parts - np.round(parts)) / e) > _t("exposure_whole_tol"):
        return None
    evidence = (
        f"whole numbers ({_span(e)}), named like a number of trials; the target "
        f"times it is a whole number in all {n} rows: a proportion of {name} trials — weight by it with "
        f"exposure={name!r}"
    )
    return Finding(name, "exposure", evidence, {"target": "proportion", "rows": n})


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.4g}"


def _span(e: np.ndarray) -> str:
    lo, hi = float(e.min()), float(e.max())
    return f"{_num(lo)} in every row" if lo == hi else f"{_num(lo)} to {_num(hi)}"


def exposure_candidates(X: Any, y: Any, *, classification: bool = False) -> list[Finding]:
    """Columns of ``X`` that look like the exposure of a count target or the number of trials of a
    proportion target, with their evidence (kind ``"exposure"``).

    A candidate is positive in every row and named like an exposure (`is_exposure_name`). For a
    count target (non-negative whole numbers, not only 0 and 1) the count must stay at most the
    column in every row, or its mean must follow the column's scale: across quantile bins of the
    column, log mean count against log mean column has a slope between 0.5 and 1.5 (1 for a
    constant rate); either way a column with three or more values must go with the count
    (Spearman ρ ≥ 0.3), as any small count stays below a large unrelated column. For a
    proportion target (in [0, 1], not only 0 and 1) the column must be a whole number of which
    every proportion is a whole number of parts.
    Other targets have no exposure. Rows with the target or the column missing are left out.

    Parameters
    ----------
    X : DataFrame
        The feature columns.
    y : array-like
        The target, one value per row of ``X``.
    classification : bool
        Whether ``y`` holds class labels (integer labels 0, 1, 2 … look like counts): then no
        column is an exposure.

    Returns
    -------
    list of Finding
        ``numbers`` holds ``target`` (``"count"`` or ``"proportion"``), ``rows`` and, for counts,
        ``bounded``, ``slope`` and ``spearman``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> population = rng.integers(500, 50_000, 300)
    >>> X = pd.DataFrame({"population": population, "age": rng.normal(50, 10, 300)})
    >>> deaths = rng.poisson(0.004 * population)
    >>> (f,) = exposure_candidates(X, deaths)
    >>> f.column, f.numbers["bounded"], round(f.numbers["slope"], 1)
    ('population', True, 1.0)
    >>> exposure_candidates(X, rng.poisson(3.0, 300))  # a count that ignores it
    []
    """
    import pandas as pd

    if classification:
        return []
    yv = pd.to_numeric(pd.Series(np.asarray(y)), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if len(yv) != len(X):
        raise DataError(f"exposure_candidates: y has {len(yv)} values, expected one per row of X ({len(X)})")
    present = np.isfinite(yv)
    yp = yv[present]
    if yp.size == 0 or yp.min() < 0 or np.all(np.isin(yp, (0.0, 1.0))):
        return []  # no numbers, negative, or labels: no exposure
    if np.all(yp == np.round(yp)):
        judge = _exposure_of_count
    elif yp.max() <= 1:
        judge = _trials_of_proportion
    else:
        return []  # a positive amount: its weights are the user's call
    out = []
    for c in X.columns:
        col = X[c].reset_index(drop=True)
        if not (_is_number(col) and is_exposure_name(c)):
            continue
        e = col.to_numpy(dtype=float, na_value=np.nan)
        ok = present & np.isfinite(e)
        if ok.sum() < _t("exposure_min_rows") or np.any(e[ok] <= 0):
            continue
        found = judge(yv[ok], e[ok], str(c))
        if found is not None:
            out.append(found)
    return out


@dataclass
class Hygiene:
    """What `check_features` found and did: identifiers dropped or kept, leaks, free text, exposures.

    ``warnings`` holds one sentence per finding (and one for rows left out for a missing target),
    as the command line prints them.
    """

    X: Any = field(repr=False)
    dropped: list[Finding] = field(default_factory=list)
    kept: list[Finding] = field(default_factory=list)
    leaks: list[Finding] = field(default_factory=list)
    free_text: list[Finding] = field(default_factory=list)
    exposures: list[Finding] = field(default_factory=list)
    rows_missing_target: int = 0
    n_rows: int = 0
    target: str = ""

    @property
    def warnings(self) -> list[str]:
        """The findings as sentences, for the terminal and the report."""
        out = []
        if self.rows_missing_target:
            out.append(
                f"left out {self.rows_missing_target} of {self.n_rows} rows whose target {self.target!r} is "
                "missing"
            )
        for f in self.dropped:
            out.append(
                f"dropped column {f.column!r} as an identifier ({f.evidence}); keep it with "
                f"--keep-column {f.column}"
            )
        for f in self.kept:
            out.append(f"kept column {f.column!r} on request; it looks like an identifier ({f.evidence})")
        for f in self.leaks:
            out.append(
                f"suspected leak: column {f.column!r} alone predicts the target: {f.evidence}. Check that it "
                "is not computed from the target or recorded after the outcome (kept as a feature)"
            )
        for f in self.free_text:
            out.append(
                f"column {f.column!r} looks like free text ({f.evidence}); drop or encode it before fitting"
            )
        for f in self.exposures:
            out.append(f"column {f.column!r} looks like an exposure: {f.evidence} (kept as a feature)")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the table)."""
        return {
            "dropped": [f.to_dict() for f in self.dropped],
            "kept": [f.to_dict() for f in self.kept],
            "leaks": [f.to_dict() for f in self.leaks],
            "free_text": [f.to_dict() for f in self.free_text],
            "exposures": [f.to_dict() for f in self.exposures],
            "rows_missing_target": self.rows_missing_target,
            "warnings": self.warnings,
        }


def check_features(
    X: Any,
    y: Any,
    *,
    classification: bool,
    keep_columns: Iterable[str] = (),
    rows_missing_target: int = 0,
    target: str = "",
    exposures: bool = False,
) -> Hygiene:
    """Drop the identifier columns of ``X`` (unless kept), and find suspected leaks and free text.

    Parameters
    ----------
    X : DataFrame
        The feature columns (the target, group and exposure columns already taken out).
    y : array-like
        The target, aligned with ``X``.
    classification : bool
        Whether ``y`` holds class labels.
    keep_columns : iterable of str
        Columns to keep although they look like identifiers (``--keep-column``).
    rows_missing_target : int
        Rows already left out for a missing target, reported in the warnings.
    target : str
        The target's name, for the warnings.
    exposures : bool
        Also report columns that look like an exposure of the target (`exposure_candidates`) —
        for callers that accept one (``compare``'s ``exposure=``), after taking the given one out.

    Returns
    -------
    Hygiene
        With ``X`` the table without the dropped columns.

    Raises
    ------
    DataError
        A kept column that is not a feature column, or no feature column left after the drop.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"row_id": range(40), "x": [float(i % 7) for i in range(40)]})
    >>> h = check_features(X, [i % 2 for i in range(40)], classification=True)
    >>> list(h.X.columns)
    ['x']
    >>> print(h.warnings[0])  # doctest: +NORMALIZE_WHITESPACE
    dropped column 'row_id' as an identifier (40 distinct values in 40 rows, named like an identifier);
    keep it with --keep-column row_id
    """
    keep = [keep_columns] if isinstance(keep_columns, str) else [str(c) for c in keep_columns]
    names = [str(c) for c in X.columns]
    unknown = [c for c in keep if c not in names]
    if unknown:
        shown = ", ".join(map(repr, names[:12])) + (" …" if len(names) > 12 else "")
        raise DataError(
            f"--keep-column {unknown[0]!r} is not a feature column of the table; its feature columns are "
            f"{shown}."
        )
    ids = id_like_columns(X)
    dropped = [f for f in ids if f.column not in keep]
    kept = [f for f in ids if f.column in keep]
    drop_names = {f.column for f in dropped}
    rest = X[[c for c in X.columns if str(c) not in drop_names]]
    if rest.shape[1] == 0:
        raise DataError(
            "every feature column looks like an identifier ("
            + ", ".join(f"{f.column!r}: {f.evidence}" for f in dropped)
            + "); keep one with --keep-column (keep_columns=) if it is a real feature."
        )
    id_names = {f.column for f in ids}
    leaks = suspected_leaks(rest, y, classification=classification)
    text = free_text_columns(rest[[c for c in rest.columns if str(c) not in id_names]])
    found = exposure_candidates(rest, y, classification=classification) if exposures else []
    return Hygiene(
        X=rest,
        dropped=dropped,
        kept=kept,
        leaks=leaks,
        free_text=text,
        exposures=found,
        rows_missing_target=rows_missing_target,
        n_rows=len(X) + rows_missing_target,
        target=target,
    )
