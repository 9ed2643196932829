"""Links between a model's raw score and the response it predicts (sklearn's link.py shape).

``inverse(raw)`` maps a raw score to the response (mean, probability…); ``link(mu)`` goes back.
"""

from __future__ import annotations

from typing import Any

from ._core import special
from ._core.info import LinkKind
from ._core.xp import array_namespace

__all__ = ["HALF_LOGIT", "IDENTITY", "LOG", "LOGIT", "SOFTMAX", "Link", "ScaledLogLink", "get_link"]


class Link:
    """Base class: ``kind``, ``name``, ``inverse`` (raw → response) and ``link`` (response → raw).

    ``kind`` is the typed fact consumers query (`losslab._core.info.LinkKind`, a str enum);
    ``name`` is the same text.
    """

    kind: LinkKind
    name = "link"

    def inverse(self, raw: Any) -> Any:
        raise NotImplementedError

    def link(self, mu: Any) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<link {self.name}>"


class IdentityLink(Link):
    """raw = response."""

    kind = LinkKind.IDENTITY
    name = "identity"

    def inverse(self, raw: Any) -> Any:
        return raw

    def link(self, mu: Any) -> Any:
        return mu


class LogLink(Link):
    """response = exp(raw), for positive responses (counts, Gamma, Tweedie)."""

    kind = LinkKind.LOG
    name = "log"

    def inverse(self, raw: Any) -> Any:
        return array_namespace(raw).exp(raw)

    def link(self, mu: Any) -> Any:
        return array_namespace(mu).log(mu)


class ScaledLogLink(LogLink):
    """response = c·exp(raw), c > 0: a log link whose raw score is the log of a mean c times too
    small (zero-inflated Poisson: raw = log λ, mean (1 − π)λ)."""

    def __init__(self, scale: float) -> None:
        self.scale = float(scale)

    def inverse(self, raw: Any) -> Any:
        return self.scale * array_namespace(raw).exp(raw)

    def link(self, mu: Any) -> Any:
        return array_namespace(mu).log(mu / self.scale)

    def __repr__(self) -> str:
        return f"<link log, response scaled by {self.scale:g}>"


class LogitLink(Link):
    """response = σ(raw), a probability; computed without overflow."""

    kind = LinkKind.LOGIT
    name = "logit"

    def inverse(self, raw: Any) -> Any:
        return special.sigmoid(array_namespace(raw), raw)

    def log_inverse(self, raw: Any) -> Any:
        """log σ(raw) = −softplus(−raw), in log space (no underflow to log 0)."""
        return special.log_sigmoid(array_namespace(raw), raw)

    def link(self, mu: Any) -> Any:
        xp = array_namespace(mu)
        return xp.log(mu) - xp.log1p(-mu)


class HalfLogitLink(Link):
    """response = σ(2·raw): the probability behind the exponential loss's minimiser ½ log(η/(1 − η))."""

    kind = LinkKind.HALF_LOGIT
    name = "half_logit"

    def inverse(self, raw: Any) -> Any:
        return special.sigmoid(array_namespace(raw), 2.0 * raw)

    def link(self, mu: Any) -> Any:
        xp = array_namespace(mu)
        return 0.5 * (xp.log(mu) - xp.log1p(-mu))


class SoftmaxLink(Link):
    """response = softmax(raw) row-wise; ``link`` returns centred log-probabilities."""

    kind = LinkKind.SOFTMAX
    name = "softmax"

    def inverse(self, raw: Any) -> Any:
        xp = array_namespace(raw)
        return xp.exp(special.log_softmax(xp, raw))

    def link(self, mu: Any) -> Any:
        xp = array_namespace(mu)
        logp = xp.log(mu)
        return logp - xp.mean(logp, axis=-1, keepdims=True)


IDENTITY = IdentityLink()
LOG = LogLink()
LOGIT = LogitLink()
SOFTMAX = SoftmaxLink()
HALF_LOGIT = HalfLogitLink()
_LINKS = {lk.name: lk for lk in (IDENTITY, LOG, LOGIT, SOFTMAX, HALF_LOGIT)}


def get_link(name: str) -> Link:
    """The link called ``name`` (identity, log, logit, softmax, half_logit)."""
    return _LINKS[name]


class unless_probabilities:  # lower-case: used like a value, link = unless_probabilities(LOGIT)
    """Class attribute of losses with ``from_logits``: ``raw`` on logits, identity on probabilities."""

    def __init__(self, raw: Link) -> None:
        self.raw = raw

    def __get__(self, loss: Any, owner: type | None = None) -> Link:
        if loss is None or loss.from_logits:
            return self.raw
        return IDENTITY
