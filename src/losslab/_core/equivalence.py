"""Which losses are the same loss: typed relations declared in ``info.equivalences``.

Each loss may declare parameter values at which it *is* another registered loss up to a positive
factor (``tweedie(power=1) ≡ poisson``, ``quantile(quantile=0.5) = ½·mae``). Following those
relations from any instance reaches a canonical instance; two losses are equivalent — same
minimiser, gradient direction and Newton step — when their canonical instances are equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .info import LossInfo
    from .loss import Loss

__all__ = ["canonical", "equivalent", "relation", "restates"]


def canonical(loss: Loss) -> tuple[Loss, float]:
    """``(c, k)`` with ℓ_loss = k·ℓ_c, following the declared equivalences to their end.

    Examples
    --------
    >>> import losslab
    >>> canonical(losslab.get("quantile", quantile=0.5))
    (MAE(), 0.5)
    """
    from .registry import get

    factor = 1.0
    seen = {loss}
    while True:
        params = loss.params
        for eq in loss.info.equivalences:
            if eq.applies(params):
                factor *= eq.factor_for(params)
                loss = get(eq.other, **eq.other_params(params))
                break
        else:
            return loss, factor
        if loss in seen:  # a cycle of declarations: stop at the first repeat
            return loss, factor
        seen.add(loss)


def relation(a: Loss, b: Loss) -> float | None:
    """The factor k with ℓ_a = k·ℓ_b if the declared equivalences relate them, else None.

    Examples
    --------
    >>> import losslab
    >>> relation(losslab.get("tweedie", power=1.0), losslab.get("poisson"))
    1.0
    >>> relation(losslab.get("quantile", quantile=0.9), losslab.get("mae")) is None
    True
    """
    ca, ka = canonical(a)
    cb, kb = canonical(b)
    if ca != cb:
        return None
    return ka / kb


def equivalent(a: Loss, b: Loss) -> bool:
    """Whether ``a`` and ``b`` are the same loss up to a positive factor (same minimiser).

    Examples
    --------
    >>> import losslab
    >>> equivalent(losslab.get("binary_focal", gamma=0.0), losslab.get("binary_crossentropy"))
    True
    >>> equivalent(losslab.get("huber"), losslab.get("pseudo_huber"))
    False
    """
    return relation(a, b) is not None


def restates(info: LossInfo, params: dict[str, Any] | None = None) -> bool:
    """Whether a loss is another registered loss in other words at *every* parameter value (an
    equivalence declared without conditions: ``smooth_l1`` = ``huber``/β, ``soft_margin`` =
    ``binary_crossentropy`` on ±1 labels). Such a loss is in the catalogue for its anchor's name
    and conventions; the consumers that choose candidates by metadata (the advisor, compare's
    defaults) take the loss it restates instead.

    Examples
    --------
    >>> import losslab
    >>> restates(losslab.get("soft_margin").info), restates(losslab.get("tweedie").info)
    (True, False)

    With ``params``, also a loss that is another one at *these* parameter values
    (``cross_entropy_lambda`` at intensity 1 is ``binary_crossentropy``):

    >>> xl = losslab.get("cross_entropy_lambda")
    >>> restates(xl.info), restates(xl.info, xl.params)
    (False, True)
    """
    if params is None:
        return any(not eq.when for eq in info.equivalences)
    return any(eq.applies(params) for eq in info.equivalences)
