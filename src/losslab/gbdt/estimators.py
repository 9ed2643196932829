"""What the thin scikit-learn estimators of the GBDT faces share (no xgboost/lightgbm import).

``losslab.xgboost.XGBRegressor``/``XGBClassifier`` and ``losslab.lightgbm.LGBMRegressor``/
``LGBMClassifier`` subclass the libraries' own estimators and add three parameters — ``loss``,
``hessian`` and ``conventions`` — so that a losslab loss gets what a built-in objective gets
for free: the init score (the loss's baseline), predictions in the response scale (``predict``
through the loss's link; ``predict_proba`` probabilities) and the built-in's scaling. The
faces build the classes on first use (`losslab.xgboost.__getattr__`), so importing a face
does not import its library.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.errors import ParameterError
from .._core.info import LinkKind, Task, link_kind
from .._core.loss import Loss
from .objective import as_loss

__all__ = ["encode_classes", "estimator_loss", "library_base", "losslab_init", "probabilities"]


def losslab_init(base: type) -> Any:
    """An ``__init__`` taking ``loss``, ``hessian`` and ``conventions`` and passing the library's
    own parameters on to ``base``.

    Defined on the subclass itself: the libraries' ``get_params`` read the subclass's
    signature and then their own (``__bases__[0]``), so all are reported and ``clone`` and
    ``GridSearchCV`` work.
    """

    def __init__(
        self: Any,
        loss: Any = None,
        *,
        hessian: str | None = None,
        conventions: str = "library",
        **kwargs: Any,
    ) -> None:
        self.loss = loss
        self.hessian = hessian
        self.conventions = conventions
        base.__init__(self, **kwargs)

    return __init__


def library_base(obj: Any, package: str) -> type:
    """The first class of ``package`` (``"lightgbm"``, ``"xgboost"``) in ``obj``'s hierarchy: the
    estimator the losslab one extends (also when a user subclasses the losslab one)."""
    return next(c for c in type(obj).__mro__ if c.__module__.partition(".")[0] == package)


def estimator_loss(spec: Any, n_classes: int | None) -> Loss:
    """The estimator's loss: ``spec``, or by default mse (regressors, ``n_classes`` None),
    binary_crossentropy (2 classes), categorical_crossentropy (more)."""
    if spec is None:
        spec = (
            "mse"
            if n_classes is None
            else ("binary_crossentropy" if n_classes == 2 else "categorical_crossentropy")
        )
    loss = as_loss(spec)
    if n_classes is not None:
        want = Task.BINARY if n_classes == 2 else Task.MULTICLASS
        if loss.info.task != want:
            raise ParameterError(
                f"a classifier with {n_classes} classes needs a {want} loss; loss {loss.name!r} is for "
                f"{loss.info.task}."
            )
    return loss


def encode_classes(y: Any) -> tuple[np.ndarray, np.ndarray]:
    """(classes, codes): the sorted distinct labels and each row's index among them (the
    libraries' own label encoding)."""
    classes, codes = np.unique(np.asarray(y), return_inverse=True)
    return classes, codes.ravel()


def probabilities(loss: Loss, raw: np.ndarray) -> np.ndarray:
    """Class probabilities (n, k) from raw scores through the loss's link (sigmoid or softmax)."""
    kind = link_kind(loss)
    if kind not in (LinkKind.LOGIT, LinkKind.SOFTMAX):
        raise ParameterError(
            f"loss {loss.name!r} has the {kind} link: its scores are not log-odds, so there are no "
            "probabilities to report; use predict (class labels) or decision scores (raw_score=True)."
        )
    p = np.asarray(loss.link.inverse(np.asarray(raw, dtype=np.float64)))
    return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p
