"""scikit-learn face of losslab: estimators that train with any loss, and scorers.

- `LossRegressor`, `LossClassifier` — estimators (``losslab.sklearn.estimators``);
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

__all__ = [
    "EXPECTED_FAILED_CHECKS",
    "LossClassifier",
    "LossRegressor",
    "LossScorer",
    "SeparationWarning",
    "expected_failed_checks",
    "metric",
    "scorer",
]
