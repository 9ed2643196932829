"""Compare losses under cross-validation: plan, run (joblib / Dask), store, statistics.

``losslab.compare(data, target=...)`` is the entry point; see `losslab.compare.api.compare` and
``docs/compare.md``. The HTML report is `losslab.report.write_report`.
"""

from __future__ import annotations

from .api import Comparison, compare
from .metrics import METRICS, Metric, get_metric
from .stats import corrected_ttest

__all__ = ["METRICS", "Comparison", "Metric", "compare", "corrected_ttest", "get_metric"]


class _CallableModule(__import__("types").ModuleType):
    """``losslab.compare`` is both this package and the function: importing a submodule binds the
    package as the attribute ``losslab.compare``, so the package itself is made callable."""

    def __call__(self, *args: object, **kwargs: object) -> Comparison:
        return compare(*args, **kwargs)  # type: ignore[arg-type]


__import__("sys").modules[__name__].__class__ = _CallableModule
