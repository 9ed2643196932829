"""scikit-learn face of losslab: estimators that train with any loss, and scorers.

- `LossRegressor`, `LossClassifier` — estimators (``losslab.sklearn.estimators``);
- `LossSurvivalRegressor`, `LossRanker`, `LossOrdinalClassifier` — estimators for the structured
  targets of `losslab.targets` (``losslab.sklearn.structured``);
- `scorer`, `metric`, `LossScorer` — a loss as a scorer or a metric function
  (``losslab.sklearn.scorers``).

``import losslab.sklearn`` imports scikit-learn; PyTorch is imported when an estimator is fitted.
"""

from __future__ import annotations

from .estimators import (
    EXPECTED_FAILED_CHECKS,
    LossClassifier,
    LossRegressor,
    SeparationWarning,
    expected_failed_checks,
)
from .scorers import LossScorer, metric, scorer
from .structured import LossOrdinalClassifier, LossRanker, LossSurvivalRegressor

__all__ = [
    "EXPECTED_FAILED_CHECKS",
    "LossClassifier",
    "LossOrdinalClassifier",
    "LossRanker",
    "LossRegressor",
    "LossScorer",
    "LossSurvivalRegressor",
    "SeparationWarning",
    "expected_failed_checks",
    "metric",
    "scorer",
]
