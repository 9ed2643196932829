"""The bad-input table of issue 2: every row raises a documented error with a useful message.

Each row gives the call, the exception class (a ``LosslabError`` that is also a ``ValueError``
or ``TypeError``), the words the message must contain — the loss, the argument, the received
value and, where relevant, its index — and whether the check is data-dependent (then
``check=False`` skips it) or structural (shape, dtype, parameters: always on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import losslab
from conftest import float_target, is_structured, n_rows, take_rows
from losslab import LosslabError
from losslab._core.errors import DomainError, DTypeError, ParameterError, ShapeError, UnknownLossError

NAN, INF = float("nan"), float("inf")
Z3 = np.zeros((3, 3))


@dataclass
class Row:
    id: str
    loss: Any  # a spec for losslab.get, or a callable building the loss
    y_true: Any = None
    y_pred: Any = None
    kwargs: dict = field(default_factory=dict)
    error: type = DomainError
    builtin: type = ValueError
    words: tuple[str, ...] = ()
    data_dependent: bool = True
    method: str = "__call__"


ROWS = [
    # -- shapes (always checked) --------------------------------------------------------------
    Row(
        "shape-mismatch",
        "mse",
        np.zeros(5),
        np.zeros(4),
        error=ShapeError,
        data_dependent=False,
        words=("'mse'", "y_true", "y_pred", "(5,)", "(4,)"),
    ),
    Row(
        "shape-n-vs-n1",
        "mse",
        np.zeros(5),
        np.zeros((5, 1)),
        error=ShapeError,
        data_dependent=False,
        words=("'mse'", "(5,)", "(5, 1)", "broadcast"),
    ),
    Row(
        "shape-n1-vs-n",
        "huber",
        np.zeros((5, 1)),
        np.zeros(5),
        error=ShapeError,
        data_dependent=False,
        words=("'huber'", "(5, 1)", "(5,)", "broadcast"),
    ),
    Row(
        "shape-labels-vs-rows",
        "categorical_crossentropy",
        np.zeros(4, int),
        Z3,
        error=ShapeError,
        data_dependent=False,
        words=("'categorical_crossentropy'", "y_true", "(4,)", "(3, 3)"),
    ),
    Row(
        "shape-1d-multiclass-pred",
        "categorical_crossentropy",
        np.zeros(3, int),
        np.zeros(3),
        error=ShapeError,
        data_dependent=False,
        words=("'categorical_crossentropy'", "y_pred", "(3,)"),
    ),
    Row(
        "shape-kl-labels",
        "kl_divergence",
        np.zeros(3, int),
        Z3,
        error=ShapeError,
        data_dependent=False,
        words=("'kl_divergence'", "y_true", "(3,)", "probability rows"),
    ),
    Row(
        "shape-gradient",
        "mse",
        np.zeros(5),
        np.zeros((5, 1)),
        error=ShapeError,
        data_dependent=False,
        method="gradient",
        words=("'mse'", "(5, 1)"),
    ),
    Row(
        "empty",
        "mse",
        np.zeros(0),
        np.zeros(0),
        error=ShapeError,
        data_dependent=False,
        words=("'mse'", "empty", "(0,)"),
    ),
    Row(
        "empty-multiclass",
        "categorical_crossentropy",
        np.zeros(0, int),
        np.zeros((0, 3)),
        error=ShapeError,
        data_dependent=False,
        words=("'categorical_crossentropy'", "empty"),
    ),
    # -- y_true outside the domain (data-dependent) --------------------------------------------
    Row(
        "msle-y-minus-one",
        "msle",
        [0.0, -1.0, 2.0],
        [0.0, 0.0, 0.0],
        words=("'msle'", "y_true", "> -1", "-1.0", "index 1"),
    ),
    Row(
        "msle-y-below",
        "msle",
        [0.0, 1.0, -3.0, -2.0],
        [0.0, 0.0, 0.0, 0.0],
        words=("'msle'", "y_true", "-3.0", "index 2", "2 values"),
    ),
    Row("msle-y-pred", "msle", [0.0, 1.0], [0.5, -1.5], words=("'msle'", "y_pred", "-1.5", "index 1")),
    Row("hinge-label-2", "hinge", [0, 1, 2], [0.0, 0.0, 0.0], words=("'hinge'", "y_true", "2", "index 2")),
    Row("hinge-label-half", "hinge", [0, 0.5], [0.0, 0.0], words=("'hinge'", "y_true", "0.5", "index 1")),
    Row(
        "hinge-mixed-encodings",
        "hinge",
        [0, 1, -1],
        [0.0, 0.0, 0.0],
        words=("'hinge'", "y_true", "-1", "index 2", "mixes"),
    ),
    Row(
        "bce-y-above-1",
        "binary_crossentropy",
        [0.0, 1.5],
        [0.0, 0.0],
        words=("'binary_crossentropy'", "y_true", "1.5", "index 1", "[0, 1]"),
    ),
    Row(
        "bce-y-negative",
        "binary_crossentropy",
        [-0.1, 1.0],
        [0.0, 0.0],
        words=("'binary_crossentropy'", "y_true", "-0.1", "index 0"),
    ),
    Row(
        "bce-prob-pred-above-1",
        {"name": "binary_crossentropy", "from_logits": False},
        [0.0, 1.0],
        [0.5, 1.2],
        words=("'binary_crossentropy'", "y_pred", "1.2", "index 1", "from_logits=False"),
    ),
    Row(
        "cce-label-out-of-range",
        "categorical_crossentropy",
        [0, 3, 1],
        Z3,
        words=("'categorical_crossentropy'", "y_true", "3", "index 1", "[0, 2]"),
    ),
    Row(
        "cce-label-negative",
        "categorical_crossentropy",
        [0, 1, -1],
        Z3,
        words=("'categorical_crossentropy'", "y_true", "-1", "index 2"),
    ),
    Row(
        "cce-label-non-integral",
        "categorical_crossentropy",
        [0.0, 1.5, 1.0],
        Z3,
        words=("'categorical_crossentropy'", "y_true", "1.5", "index 1", "integer"),
    ),
    Row(
        "cce-rows-outside-01",
        "categorical_crossentropy",
        np.array([[1.2, -0.2, 0.0]]),
        np.zeros((1, 3)),
        words=("'categorical_crossentropy'", "y_true", "1.2", "[0, 1]"),
    ),
    Row(
        "cce-rows-not-summing-to-1",
        "categorical_crossentropy",
        np.array([[0.5, 0.5, 0.0], [0.5, 0.2, 0.2]]),
        np.zeros((2, 3)),
        words=("'categorical_crossentropy'", "y_true", "0.5", "0.2", "index 1", "summing to 1"),
    ),
    Row(
        "kl-rows-not-summing-to-1",
        "kl_divergence",
        np.array([[0.3, 0.3, 0.3]]),
        np.zeros((1, 3)),
        words=("'kl_divergence'", "y_true", "0.3", "summing to 1"),
    ),
    Row(
        "cce-prob-pred-rows",
        {"name": "categorical_crossentropy", "from_logits": False},
        [0, 1],
        np.array([[0.5, 0.5, 0.0], [0.6, 0.6, 0.0]]),
        words=("'categorical_crossentropy'", "y_pred", "0.6", "index 1", "summing to 1"),
    ),
    # -- NaN and inf (data-dependent) ------------------------------------------------------------
    Row("nan-y-true", "mse", [0.0, NAN, 1.0], [0.0, 0.0, 0.0], words=("'mse'", "y_true", "nan", "index 1")),
    Row(
        "inf-y-true",
        "huber",
        [0.0, 1.0, -INF],
        [0.0, 0.0, 0.0],
        words=("'huber'", "y_true", "-inf", "index 2"),
    ),
    Row(
        "nan-y-pred",
        "binary_crossentropy",
        [0.0, 1.0],
        [NAN, 0.0],
        words=("'binary_crossentropy'", "y_pred", "nan", "index 0"),
    ),
    Row("inf-y-pred", "mse", [0.0, 1.0], [0.0, INF], words=("'mse'", "y_pred", "inf", "index 1")),
    Row(
        "nan-y-pred-multiclass",
        "categorical_crossentropy",
        [0, 1, 2],
        np.array([[0, 0, 0], [0, NAN, 0], [0, 0, 0]]),
        words=("'categorical_crossentropy'", "y_pred", "nan", "(1, 1)"),
    ),
    Row(
        "nan-y-pred-gradient",
        "mse",
        [0.0, 1.0],
        [0.0, NAN],
        method="hessian",
        words=("'mse'", "y_pred", "nan", "index 1"),
    ),
    Row(
        "nan-weight",
        "mse",
        [0.0, 1.0],
        [0.0, 0.0],
        kwargs={"sample_weight": [1.0, NAN]},
        words=("'mse'", "sample_weight", "nan", "index 1"),
    ),
    Row(
        "inf-weight",
        "mse",
        [0.0, 1.0],
        [0.0, 0.0],
        kwargs={"sample_weight": [INF, 1.0]},
        words=("'mse'", "sample_weight", "inf", "index 0"),
    ),
    # -- sample weights ------------------------------------------------------------------------
    Row(
        "negative-weight",
        "mae",
        [0.0, 1.0, 2.0],
        [0.0, 0.0, 0.0],
        kwargs={"sample_weight": [1.0, 2.0, -0.5]},
        words=("'mae'", "sample_weight", "-0.5", "index 2", ">= 0"),
    ),
    Row(
        "all-zero-weights",
        "mae",
        [0.0, 1.0],
        [0.0, 0.0],
        kwargs={"sample_weight": [0.0, 0.0]},
        words=("'mae'", "sample_weight", "all zeros"),
    ),
    Row(
        "weight-shape-n1",
        "mae",
        [0.0, 1.0],
        [0.0, 0.0],
        kwargs={"sample_weight": [[1.0], [1.0]]},
        error=ShapeError,
        data_dependent=False,
        words=("'mae'", "sample_weight", "(2,)", "(2, 1)"),
    ),
    Row(
        "weight-shape-short",
        "mae",
        [0.0, 1.0],
        [0.0, 0.0],
        kwargs={"sample_weight": [1.0]},
        error=ShapeError,
        data_dependent=False,
        words=("'mae'", "sample_weight", "(1,)"),
    ),
    Row(
        "weight-shape-multiclass",
        "categorical_crossentropy",
        [0, 1, 2],
        Z3,
        kwargs={"sample_weight": np.ones((3, 3))},
        error=ShapeError,
        data_dependent=False,
        words=("'categorical_crossentropy'", "sample_weight", "(3,)", "(3, 3)"),
    ),
    Row(
        "weight-strings",
        "mae",
        [0.0, 1.0],
        [0.0, 0.0],
        kwargs={"sample_weight": ["a", "b"]},
        error=DTypeError,
        builtin=TypeError,
        data_dependent=False,
        words=("'mae'", "sample_weight"),
    ),
    # -- dtypes of y_pred / y_true (always checked) -------------------------------------------------
    Row(
        "int-y-pred",
        "mse",
        [0.0, 1.0],
        np.array([0, 1]),
        error=DTypeError,
        builtin=TypeError,
        data_dependent=False,
        words=("'mse'", "y_pred", "int64", "floating"),
    ),
    Row(
        "bool-y-pred",
        "binary_crossentropy",
        [0.0, 1.0],
        np.array([False, True]),
        error=DTypeError,
        builtin=TypeError,
        data_dependent=False,
        words=("'binary_crossentropy'", "y_pred", "bool"),
    ),
    Row(
        "str-y-pred",
        "mse",
        [0.0, 1.0],
        ["a", "b"],
        error=DTypeError,
        builtin=TypeError,
        data_dependent=False,
        words=("'mse'", "y_pred", "U1"),
    ),
    Row(
        "complex-y-pred",
        "mse",
        [0.0, 1.0],
        np.array([1j, 2.0]),
        error=DTypeError,
        builtin=TypeError,
        data_dependent=False,
        words=("'mse'", "y_pred", "complex"),
    ),
    Row(
        "object-y-pred",
        "mse",
        [0.0, 1.0],
        np.array([None, 1.0], dtype=object),
        error=DTypeError,
        builtin=TypeError,
        data_dependent=False,
        words=("'mse'", "y_pred", "object"),
    ),
    Row(
        "ragged-y-pred",
        "mse",
        [0.0, 1.0],
        [[1.0], [1.0, 2.0]],
        error=DTypeError,
        builtin=TypeError,
        data_dependent=False,
        words=("'mse'", "y_pred"),
    ),
    Row(
        "str-y-true",
        "mse",
        ["a", "b"],
        [0.0, 1.0],
        error=DTypeError,
        builtin=TypeError,
        data_dependent=False,
        words=("'mse'", "y_true", "U1"),
    ),
    Row(
        "complex-y-true",
        "mse",
        np.array([1j, 2.0]),
        [0.0, 1.0],
        error=DTypeError,
        builtin=TypeError,
        data_dependent=False,
        words=("'mse'", "y_true", "complex"),
    ),
    Row(
        "int-y-pred-multiclass",
        "categorical_crossentropy",
        [0, 1],
        np.zeros((2, 3), int),
        error=DTypeError,
        builtin=TypeError,
        data_dependent=False,
        words=("'categorical_crossentropy'", "y_pred", "int64"),
    ),
    # -- reduction ------------------------------------------------------------------------------------
    Row(
        "bad-reduction",
        "mse",
        [0.0],
        [0.0],
        kwargs={"reduction": "avg"},
        error=ParameterError,
        data_dependent=False,
        words=("'mse'", "reduction", "'avg'", "'mean'", "'sum'", "'none'"),
    ),
    Row(
        "bad-reduction-batchmean",
        "kl_divergence",
        np.array([[0.5, 0.5]]),
        np.zeros((1, 2)),
        kwargs={"reduction": "batchmean"},
        error=ParameterError,
        data_dependent=False,
        words=("'kl_divergence'", "reduction", "'batchmean'"),
    ),
    # -- parameter depending on the data: class_weight length vs k (always checked) ------------------
    Row(
        "class-weight-length",
        {"name": "categorical_crossentropy", "class_weight": [1.0, 2.0]},
        [0, 1, 2],
        Z3,
        error=ParameterError,
        data_dependent=False,
        words=("'categorical_crossentropy'", "class_weight", "2", "3"),
    ),
]


def _call(row: Row, check: bool) -> Any:
    loss = losslab.get(row.loss)
    fn = getattr(loss, row.method)
    kwargs = dict(row.kwargs)
    if row.method != "__call__":
        kwargs.pop("reduction", None)
    return fn(row.y_true, row.y_pred, check=check, **kwargs)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_bad_input_raises_documented_error(row: Row) -> None:
    with pytest.raises(row.error) as info:
        _call(row, check=True)
    exc = info.value
    assert isinstance(exc, LosslabError) and isinstance(exc, row.builtin)
    msg = str(exc)
    missing = [w for w in row.words if w not in msg]
    assert not missing, f"message lacks {missing}: {msg}"
    assert "\n" not in msg


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_check_false_skips_only_data_dependent_checks(row: Row) -> None:
    if row.data_dependent:
        _call(row, check=False)  # the hot path trusts the data: no error
    else:
        with pytest.raises(row.error):
            _call(row, check=False)


# -- hyper-parameters ----------------------------------------------------------------------------
PARAM_ROWS = [
    ("huber", {"delta": 0.0}, ("'huber'", "'delta'", "0.0", "(0, inf)")),
    ("huber", {"delta": -1.5}, ("'huber'", "'delta'", "-1.5")),
    ("huber", {"delta": float("nan")}, ("'huber'", "'delta'", "nan")),
    ("huber", {"delta": "1"}, ("'huber'", "'delta'", "'1'", "real number")),
    ("huber", {"delta": True}, ("'huber'", "'delta'", "True")),
    ("quantile", {"quantile": 0.0}, ("'quantile'", "'quantile'", "0.0", "(0, 1)")),
    ("quantile", {"quantile": 1.0}, ("'quantile'", "'quantile'", "1.0", "(0, 1)")),
    ("quantile", {"quantile": 1.5}, ("'quantile'", "'quantile'", "1.5")),
    ("quantile", {"quantile": -0.1}, ("'quantile'", "'quantile'", "-0.1")),
    ("categorical_crossentropy", {"label_smoothing": -0.1}, ("'label_smoothing'", "-0.1", "[0, 1]")),
    ("categorical_crossentropy", {"label_smoothing": 1.5}, ("'label_smoothing'", "1.5", "[0, 1]")),
    ("categorical_crossentropy", {"class_weight": [1.0, -1.0]}, ("'class_weight'", "-1.0")),
    ("categorical_crossentropy", {"class_weight": "abc"}, ("'class_weight'", "'abc'")),
    ("categorical_crossentropy", {"class_weight": []}, ("'class_weight'", "[]")),
    ("binary_crossentropy", {"pos_weight": 0.0}, ("'binary_crossentropy'", "'pos_weight'", "0.0")),
    (
        "binary_crossentropy",
        {"from_logits": "yes"},
        ("'binary_crossentropy'", "'from_logits'", "'yes'", "True or False"),
    ),
    ("binary_crossentropy", {"from_logits": 1}, ("'from_logits'", "1")),
    ("hinge", {"margin": -1.0}, ("'hinge'", "'margin'", "-1.0", "[0, inf)")),
    ("mse", {"delta": 1.0}, ("'mse'", "'delta'", "no parameter", "none")),
    ("huber", {"dleta": 1.0}, ("'huber'", "'dleta'", "no parameter", "delta")),
    ("kl_divergence", {"label_smoothing": 0.1}, ("'kl_divergence'", "'label_smoothing'", "no parameter")),
]


@pytest.mark.parametrize(("name", "params", "words"), PARAM_ROWS, ids=[f"{n}-{p}" for n, p, _ in PARAM_ROWS])
def test_bad_hyper_parameter(name: str, params: dict, words: tuple[str, ...]) -> None:
    for build in (lambda: losslab.get(name, **params), lambda: losslab.get({"name": name, **params})):
        with pytest.raises(ParameterError) as info:
            build()
        assert isinstance(info.value, LosslabError) and isinstance(info.value, ValueError)
        missing = [w for w in words if w not in str(info.value)]
        assert not missing, f"message lacks {missing}: {info.value}"


# -- unknown names -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "closest"),
    [
        ("hubber", "'huber'"),
        ("mean_sqared_error", "'mean_squared_error'"),
        ("binary_crossentropi", "'binary_crossentropy'"),
        ("kl_divergance", "'kl_divergence'"),
        ("quantil", "'quantile'"),
    ],
)
def test_unknown_loss_lists_closest_names(name: str, closest: str) -> None:
    with pytest.raises(UnknownLossError) as info:
        losslab.get(name)
    assert isinstance(info.value, LosslabError) and isinstance(info.value, ValueError)
    msg = str(info.value)
    assert repr(name) in msg and closest in msg and "losslab list" in msg


def test_unknown_loss_without_close_match_still_says_what_exists() -> None:
    with pytest.raises(UnknownLossError, match="losslab list"):
        losslab.get("zzzzzz")
    with pytest.raises(UnknownLossError, match="'name'"):
        losslab.get({"delta": 1.0})
    with pytest.raises(UnknownLossError, match="int"):
        losslab.get(3)


# -- the same structural errors for every registered loss ----------------------------------------
def test_every_loss_rejects_nan_int_empty_and_mismatched_inputs(default_loss: Any) -> None:
    y, f = default_loss.example(6, 0)
    y, f = (y if is_structured(y) else np.asarray(y)), np.asarray(f, dtype=float)
    name = repr(default_loss.name)
    n = n_rows(y)

    bad = f.copy()
    bad.flat[3] = np.nan
    for method in (default_loss, default_loss.gradient, default_loss.hessian):
        with pytest.raises(DomainError, match="y_pred") as info:
            method(y, bad)
        assert name in str(info.value) and "nan" in str(info.value)
    with pytest.raises(DTypeError, match=f"y_pred for loss {name}"):
        default_loss(y, f.astype(np.int64))
    with pytest.raises(ShapeError, match=name):
        default_loss(take_rows(y, np.arange(0)), f[:0])
    with pytest.raises(ShapeError, match=name):
        default_loss(take_rows(y, np.arange(n - 1)), f)
    with pytest.raises(ShapeError, match=name):
        default_loss(y, f, sample_weight=np.ones(n + 1))
    with pytest.raises(DomainError, match="sample_weight"):
        default_loss(y, f, sample_weight=-np.ones(n))
    with pytest.raises(ParameterError, match="reduction"):
        default_loss(y, f, reduction="avg")
    if float_target(y):
        yb = y.copy()
        yb.flat[0] = np.inf
        with pytest.raises(DomainError, match="y_true"):
            default_loss(yb, f)


# -- the same table on torch tensors (the bridge users' arrays) ------------------------------------
def test_torch_inputs_get_the_same_errors() -> None:
    torch = pytest.importorskip("torch")
    mse = losslab.get("mse")
    cases = [
        (torch.zeros(2), np.zeros(2), DTypeError, ("'mse'", "y_true", "torch.Tensor", "numpy.ndarray")),
        (np.zeros(2), torch.zeros(2, dtype=torch.int64), DTypeError, ("'mse'", "y_pred", "int64")),
        (np.zeros(2), torch.tensor([0.0, float("nan")]), DomainError, ("'mse'", "y_pred", "nan", "index 1")),
        (torch.zeros(3), torch.zeros(3, 1), ShapeError, ("'mse'", "(3,)", "(3, 1)", "broadcast")),
    ]
    for y, f, error, words in cases:
        with pytest.raises(error) as info:
            mse(y, f)
        assert isinstance(info.value, LosslabError)
        missing = [w for w in words if w not in str(info.value)]
        assert not missing, f"message lacks {missing}: {info.value}"
    with pytest.raises(DomainError, match=r"'msle'.*-2\.0.*index 1"):
        losslab.get("msle")(torch.tensor([0.0, -2.0]), torch.zeros(2))
