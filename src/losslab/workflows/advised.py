"""Advise, then compare: the advisor's top losses cross-validated on the user's data.

This is what ``losslab compare`` without ``--loss`` and ``losslab demo`` run. It sits above both
`losslab.advise` and `losslab.compare`, which never import each other: the advisor reads the whole
table and ranks losses; each pick whose parameters were fitted from the data is handed to
`compare` with those parameters as ``"auto"``, so `compare` refits them by the rule each parameter
declares on every training fold (no test row informs them). The headline metric is *not* the
advisor's: it comes from what the user wants predicted (`losslab.compare.defaults.headline_metric`,
chosen inside `compare`), so a loss cannot win by being judged on its own metric.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["advised_compare", "advised_losses"]


def advised_losses(recommendations: list[Any], costs: dict[str, float] | None = None) -> list[Any]:
    """The recommended losses with their data-fitted parameters set to ``"auto"``.

    A parameter counts as data-fitted when it declares a fitting rule (`Param.fit`) and the
    advisor moved it from its default, unless it is the cost ratio c_fn/c_fp (the user's
    costs, not the data, chose it). Duplicates after the change are dropped.

    >>> import losslab
    >>> from types import SimpleNamespace as R
    >>> recs = [R(loss=losslab.get("huber", delta=0.7)), R(loss=losslab.get("mse"))]
    >>> advised_losses(recs)
    [Huber(delta='auto'), MSE()]
    """
    from losslab._core.params import AUTO

    out: list[Any] = []
    for rec in recommendations:
        loss = rec.loss
        auto = {}
        for p in type(loss).PARAMS:
            value = loss.params[p.name]
            if p.fit is None or value == p.default:
                continue
            if costs and isinstance(value, float) and math.isclose(value, costs["fn"] / costs["fp"]):
                continue
            auto[p.name] = AUTO
        loss = type(loss)(**{**loss.params, **auto}) if auto else loss
        if loss not in out:
            out.append(loss)
    return out


def advised_compare(
    data: Any,
    target: str,
    *,
    predict: str | None = None,
    costs: Any = None,
    task: str | None = None,
    top: int = 3,
    metrics: Any = None,
    **kwargs: Any,
) -> Any:
    """Run the advisor on ``data``, then `losslab.compare` its ``top`` losses.

    ``kwargs`` go to `losslab.compare` (models, cv, repeats, n_jobs, out, progress …). The result
    keeps the advice (``comparison.advice``) for the report.

    Raises
    ------
    DataError
        As `losslab.advise.advise` and `losslab.compare.compare`, or when the advisor has nothing
        to recommend.
    """
    import losslab
    from losslab.advise import advise
    from losslab.intent import parse_costs
    from losslab.tabular import read_table, split_target

    frame = read_table(data)
    X, y = split_target(frame, target)  # compare's own checks and messages, before the advisor's
    parsed_costs = parse_costs(costs)
    exposure = kwargs.get("exposure")
    advice = advise(
        X.assign(**{target: y}),
        target=target,
        predict=predict,
        costs=parsed_costs,
        task=task,
        exposure=exposure,
    )
    recs = list(advice.recommendations[:top])
    if not recs:
        raise losslab.DataError(f"the advisor has no loss to recommend for target {target!r}; pass losses.")
    pred = predict or advice.predict
    return losslab.compare(
        frame,
        target=target,
        losses=advised_losses(recs, parsed_costs),
        metrics=metrics,
        costs=parsed_costs,
        predict=pred,
        task=advice.task,
        advice=advice,
        **kwargs,
    )
