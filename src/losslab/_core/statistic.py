"""The statistic of y given x a loss estimates: an enumeration, with a level where it has one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["Estimand", "Statistic"]


class Statistic(Enum):
    """What minimising a loss estimates; the value is the statistic in words."""

    MEAN = "mean"
    MEDIAN = "median"
    QUANTILE = "quantile"
    EXPECTILE = "expectile"
    HUBER_LOCATION = "huber location (between mean and median)"
    M_ESTIMATE = "M-estimate of location (between mean and median)"
    GEOMETRIC_MEAN_1P = "geometric mean of 1 + y, minus 1"
    RELATIVE_MEDIAN = "median of y reweighted by 1/|y| (biased low)"
    MEAN_AND_VARIANCE = "mean and variance"
    PROBABILITY = "probability"
    DISTORTED_PROBABILITY = "distorted probability (classification-calibrated, not proper)"
    COST_WEIGHTED_PROBABILITY = "cost-weighted probability (its 1/2 cut is the Bayes decision for the costs)"
    CLASS_PROBABILITIES = "class probabilities"
    DISTORTED_CLASS_PROBABILITIES = "distorted class probabilities (not proper)"
    ONE_VS_REST_PROBABILITIES = "one-vs-rest class probabilities (a row need not sum to 1)"
    CUMULATIVE_PROBABILITIES = "cumulative class probabilities P(y <= j) of ordered levels"
    DECISION = "decision (the Bayes classifier: sign or argmax of the scores)"
    DISTRIBUTION = "target distribution"
    MODE_SEEKING_DISTRIBUTION = "target distribution (mode-seeking)"
    UNSPECIFIED = "unspecified"

    @property
    def has_level(self) -> bool:
        """The statistic needs a level τ (quantile, expectile)."""
        return self in (Statistic.QUANTILE, Statistic.EXPECTILE)

    @property
    def key(self) -> str:
        """Short lower-case identifier (``"quantile"``, ``"class_probabilities"``)."""
        return self.name.lower()

    def __str__(self) -> str:
        return self.value

    @classmethod
    def coerce(cls, value: Any) -> Statistic:
        """A member from a member, its name or its words (``"MEDIAN"``, ``"median"``)."""
        if isinstance(value, cls):
            return value
        text = str(value).strip()
        for m in cls:
            if text in (m.value, m.name, m.key):
                return m
        head = text.split("(")[0].strip()
        for m in cls:
            if head and head in (m.value, m.name, m.key):
                return m
        raise ValueError(
            f"statistic must be one of {', '.join(m.key for m in cls)} (losslab.Statistic); got {value!r}"
        )


_LEVEL = re.compile(r"^(quantile|expectile)\(\s*([0-9.eE+-]+)\s*\)$")


@dataclass(frozen=True)
class Estimand:
    """A statistic with its level: ``Estimand(Statistic.QUANTILE, 0.9)`` reads "quantile(0.9)".

    Examples
    --------
    >>> str(Estimand(Statistic.QUANTILE, 0.9))
    'quantile(0.9)'
    >>> Estimand.coerce("median").statistic is Statistic.MEDIAN
    True
    """

    statistic: Statistic
    level: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "statistic", Statistic.coerce(self.statistic))
        if self.level is not None:
            object.__setattr__(self, "level", float(self.level))

    def __str__(self) -> str:
        if self.level is not None:
            return f"{self.statistic.value}({self.level:g})"
        return self.statistic.value

    @classmethod
    def coerce(cls, value: Any) -> Estimand:
        """From an Estimand, a Statistic, or words (``"quantile(0.9)"``; declarations only)."""
        if isinstance(value, Estimand):
            return value
        if isinstance(value, Statistic):
            return cls(value)
        m = _LEVEL.match(str(value).strip())
        if m:
            return cls(Statistic.coerce(m.group(1)), float(m.group(2)))
        return cls(Statistic.coerce(value))

    def to_dict(self) -> dict[str, Any]:
        return {"statistic": self.statistic.key, "level": self.level, "words": str(self)}
