"""Compare losses under cross-validation: plan → run (joblib / Dask) → score → summarise; store, statistics.

``losslab.compare(data, target=...)`` is the entry point; see `losslab.compare.api.compare` and
``docs/compare.md``. The HTML report is `losslab.report.write_report`. This package never imports
`losslab.advise` (its peer); `losslab.workflows.advised` runs the two together.
"""

from __future__ import annotations

from .._core.callable_module import make_callable
from ..metrics import METRICS, Metric, get_metric
from .api import Comparison, compare
from .stats import corrected_ttest

__all__ = ["METRICS", "Comparison", "Metric", "compare", "corrected_ttest", "get_metric"]

make_callable(__name__, compare)
