"""scikit-learn scorers and plain metric functions from losslab losses.

Public through `losslab.sklearn` (``losslab.sklearn.scorer``, ``losslab.sklearn.metric``).
Imports scikit-learn, never torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics._scorer import (  # the scorer base class make_scorer builds on
    _BaseScorer,
    _check_response_method,
    _get_response_method_name,
)

from .._core.errors import DataError, ParameterError
from .._core.info import LinkKind
from .._core.loss import Loss
from ..gbdt.objective import as_loss

__all__ = ["LossScorer", "metric", "scorer"]

RESPONSES = ("auto", "raw", "predict", "proba", "decision")
_METHODS = {
    "raw": "predict",
    "predict": "predict",
    "proba": "predict_proba",
    "decision": "decision_function",
}


def metric(loss: Any, **params: Any) -> Any:
    """``f(y_true, y_pred, sample_weight=None) -> float``: the loss's weighted mean.

    ``y_pred`` is the raw score the loss takes (logits for classification losses). The function
    is named after the loss and can be pickled.

    Examples
    --------
    >>> import losslab.sklearn as ls
    >>> ls.metric("mae")([1.0, 2.0], [1.5, 3.0])
    0.75
    """
    return _Metric(as_loss(loss, **params))


class _Metric:
    def __init__(self, loss: Loss) -> None:
        self.loss = loss
        self.__name__ = loss.name

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
        f = np.asarray(y_pred)
        if not np.issubdtype(f.dtype, np.floating):
            f = f.astype(np.float64)
        return float(self.loss(np.asarray(y_true), f, sample_weight=sample_weight))

    def __repr__(self) -> str:
        return f"losslab.sklearn.metric({self.loss!r})"


def _is_classification(loss: Loss) -> bool:
    return loss.info.task in ("binary", "multiclass")


class LossScorer(_BaseScorer):
    """A scikit-learn scorer: −(weighted mean loss) of an estimator's predictions.

    Built by `scorer`; see there for the ``response`` rules.
    """

    def __init__(self, loss: Loss, response: str) -> None:
        method = _METHODS.get(response, ("decision_function", "predict_proba"))
        if response == "auto" and not _is_classification(loss):
            method = "predict"
        super().__init__(score_func=_Metric(loss), sign=-1, kwargs={}, response_method=method)
        self.loss = loss
        self.response = response

    def __repr__(self) -> str:
        return f"losslab.sklearn.scorer({self.loss!r}, response={self.response!r})"

    def _score(self, method_caller: Any, estimator: Any, X: Any, y_true: Any, **kwargs: Any) -> float:
        loss = self.loss
        method = _check_response_method(estimator, self._response_method)
        name = _get_response_method_name(method)
        y = np.asarray(y_true)
        if self.response == "raw":
            raw = np.asarray(method_caller(estimator, name, X), dtype=np.float64)
            return -float(loss(y, raw, sample_weight=kwargs.get("sample_weight")))
        if _is_classification(loss):
            y = _class_indices(loss, estimator, y)
            out = np.asarray(method_caller(estimator, name, X))
            if name == "predict_proba":
                value = _on_probabilities(loss, y, out, kwargs.get("sample_weight"))
                return -value
            if name == "predict":
                raise ParameterError(
                    f"scorer for classification loss {loss.name!r} needs scores, not labels: use "
                    "response='decision' or 'proba' with an estimator that has decision_function or "
                    "predict_proba."
                )
            raw = out
            if loss.info.task == "binary" and raw.ndim == 2 and raw.shape[1] == 2:
                raw = raw[:, 1] - raw[:, 0]
        else:
            out = np.asarray(method_caller(estimator, name, X), dtype=np.float64)
            raw = out
            link = getattr(loss.link, "kind", LinkKind.IDENTITY)
            if self.response in ("predict", "auto") and link != LinkKind.IDENTITY:
                raw = loss.link.link(out)  # the estimator predicts the response (e.g. a mean)
        return -float(loss(y, np.asarray(raw, dtype=np.float64), sample_weight=kwargs.get("sample_weight")))


def _class_indices(loss: Loss, estimator: Any, y: np.ndarray) -> np.ndarray:
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        return y
    classes = np.asarray(classes)
    idx = np.searchsorted(classes, y)
    idx_c = np.clip(idx, 0, classes.size - 1)
    bad = classes[idx_c] != y
    if np.any(bad):
        raise DataError(
            f"y_true for scorer {loss.name!r} has labels {np.unique(y[bad])[:5].tolist()} the estimator "
            f"was not fitted on (classes_ = {classes.tolist()})."
        )
    return idx_c.astype(np.int64) if loss.multiclass else idx_c.astype(np.float64)


def _on_probabilities(loss: Loss, y: np.ndarray, proba: np.ndarray, w: Any) -> float:
    """The loss of predicted probabilities, exactly (its from_logits=False form when it has one)."""
    if loss.info.task == "binary" and proba.ndim == 2:
        proba = proba[:, -1]
    p = np.asarray(proba, dtype=np.float64)
    if "from_logits" in loss.params:
        prob_loss = type(loss)(**{**loss.params, "from_logits": False})
        if loss.multiclass:
            p = p / p.sum(axis=1, keepdims=True)  # rows summing to 1 up to rounding
        return float(prob_loss(y, p, sample_weight=w))
    with np.errstate(divide="ignore"):
        raw = loss.link.link(p)
    return float(loss(y, raw, sample_weight=w))


def scorer(loss: Any, *, response: str = "auto", **params: Any) -> LossScorer:
    """A scikit-learn scorer for ``cross_validate``, ``GridSearchCV`` … (greater is better).

    The score is −(weighted mean loss), so that larger is better as scikit-learn expects; the
    reported ``test_score`` is the negative loss.

    Parameters
    ----------
    loss : str, dict or Loss
    response : {"auto", "raw", "predict", "proba", "decision"}
        Which estimator output becomes the loss's raw score:

        - ``"decision"``: ``decision_function`` — logits for classification losses;
        - ``"proba"``: ``predict_proba``, evaluated with the loss's ``from_logits=False`` form
          (exact in probability space), or through its link otherwise;
        - ``"predict"``: ``predict``, read as the response and mapped to the raw score with the
          loss's link (log of a predicted mean for log-link losses; unchanged for identity);
        - ``"raw"``: ``predict``, already the raw score (a booster trained with a losslab
          objective predicts margins);
        - ``"auto"``: classification losses use ``decision_function`` if the estimator has it,
          else ``predict_proba``; other losses ``"predict"``.

    Class labels are mapped to indices through the estimator's ``classes_`` (the positive class
    of a binary loss is ``classes_[1]``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> import losslab.sklearn as ls
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 2)); y = (X[:, 0] > 0).astype(int)
    >>> s = cross_val_score(LogisticRegression(), X, y, cv=3, scoring=ls.scorer("binary_crossentropy"))
    >>> bool(np.all(s < 0))
    True
    """
    if response not in RESPONSES:
        raise ParameterError(
            f"response for scorer must be one of {', '.join(map(repr, RESPONSES))}; got {response!r}."
        )
    loss = as_loss(loss, **params)
    if _is_classification(loss) and response == "predict":
        raise ParameterError(
            f"loss {loss.name!r} is a classification loss on scores: use response='decision', 'proba' "
            "or 'auto' (predict returns labels), or 'raw' for a model whose predict gives raw scores."
        )
    return LossScorer(loss, response)
