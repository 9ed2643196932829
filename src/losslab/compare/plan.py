"""The experiment plan: candidates (loss × model), folds, and the flat list of tasks.

Every candidate is evaluated on the **same** folds, drawn once from ``seed`` with scikit-learn's
splitters (`StratifiedKFold` / `RepeatedStratifiedKFold` for classification, `KFold` /
`RepeatedKFold` otherwise). A task is one (candidate, repeat, fold): train on the fold's training
rows, predict its test rows. What is fitted where:

- preprocessing (scaling, one-hot, imputation) and the model: inside the estimator, on the training
  rows of the task only;
- loss parameters fitted from the data (a parameter given as ``"auto"``: Huber δ, Tweedie power,
  pos_weight …): fitted by the rule the parameter declares **on each training fold**
  (`losslab.compare.setup.fit_fold_losses`), so no test row ever informs them; other parameters
  are kept as given;
- the model's random initialisation: a seed derived from (``seed``, repeat, fold), the same for every
  candidate, so candidates differ only by their loss and model.

Each task carries a fingerprint (data, target, task, loss with its parameters, model and its
settings, the fold's rows, the seed): a results store reuses a finished task only when it matches.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .._core.errors import DataError

__all__ = ["Candidate", "Fold", "Plan", "TaskSpec", "data_fingerprint", "make_folds", "task_seed"]


@dataclass(frozen=True)
class Candidate:
    """A loss trained with a model: one row of the leaderboard."""

    name: str
    loss: dict[str, Any]
    model: str
    refit: bool = False

    @property
    def loss_label(self) -> str:
        return self.name.rsplit("/", 1)[0]


@dataclass(frozen=True)
class Fold:
    """Row positions of one resample."""

    repeat: int
    fold: int
    train: np.ndarray = field(repr=False)
    test: np.ndarray = field(repr=False)

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.train, dtype=np.int64).tobytes())
        h.update(b"|")
        h.update(np.ascontiguousarray(self.test, dtype=np.int64).tobytes())
        return h.hexdigest()[:16]


@dataclass(frozen=True)
class TaskSpec:
    """One unit of work, small and picklable: what to fit, on which rows, with which seed."""

    id: str
    key: str
    candidate: str
    loss: dict[str, Any]
    model: str
    model_params: dict[str, Any]
    repeat: int
    fold: int
    seed: int
    family: str
    train: np.ndarray = field(repr=False)
    test: np.ndarray = field(repr=False)
    classes: list[Any] | None = None
    threshold: float = 0.5

    def meta(self) -> dict[str, Any]:
        """JSON-ready description (without the row indices)."""
        d = asdict(self)
        d.pop("train")
        d.pop("test")
        d["n_train"] = int(self.train.size)
        d["n_test"] = int(self.test.size)
        return d


@dataclass
class Plan:
    """Candidates × folds → tasks (candidate-major order, so early results cover every fold)."""

    candidates: list[Candidate]
    folds: list[Fold]
    tasks: list[TaskSpec]
    fingerprint: str
    config: dict[str, Any]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float | int | str | bool) or obj is None:
        return obj
    return repr(obj)


def digest(obj: Any) -> str:
    """Short SHA-256 of a JSON-able object (stable across runs and machines)."""
    text = json.dumps(_jsonable(obj), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def data_fingerprint(X: Any, y: Any) -> str:
    """Content hash of the feature table and target (values, column names and dtypes)."""
    import pandas as pd

    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in X.dtypes.items()]).encode())
    h.update(np.ascontiguousarray(pd.util.hash_pandas_object(X, index=False).to_numpy()).tobytes())
    h.update(np.ascontiguousarray(pd.util.hash_pandas_object(pd.Series(y), index=False).to_numpy()).tobytes())
    return h.hexdigest()[:20]


def task_seed(seed: int, repeat: int, fold: int) -> int:
    """The model seed of a (repeat, fold): shared by every candidate, independent across folds."""
    return int(np.random.SeedSequence([int(seed), int(repeat), int(fold)]).generate_state(1)[0] % (2**31 - 1))


def make_folds(
    y: Any, family: str, cv: Any = 5, repeats: int = 1, seed: int = 0, groups: Any = None
) -> list[Fold]:
    """Folds from scikit-learn splitters, reproducible from ``seed``.

    ``cv`` is the number of folds, or any scikit-learn splitter (its splits are then taken as
    repeat 0, folds 0..n−1; ``groups`` is passed to its ``split``). With ``groups`` (one label per
    row) the folds keep each group whole: `StratifiedGroupKFold` for classification, `GroupKFold`
    otherwise, each repeat with the group order shuffled from ``seed``.

    >>> import numpy as np
    >>> folds = make_folds(np.array([0, 1] * 10), "classification", cv=5, seed=0)
    >>> len(folds), sorted(np.bincount(np.array([0, 1] * 10)[folds[0].test]).tolist())
    (5, [2, 2])
    >>> g = np.repeat(np.arange(10), 3)
    >>> folds = make_folds(np.arange(30.0), "regression", cv=5, repeats=2, groups=g)
    >>> all(set(g[f.train]).isdisjoint(g[f.test]) for f in folds), len(folds)
    (True, 10)
    """
    from sklearn.model_selection import KFold, RepeatedKFold, RepeatedStratifiedKFold, StratifiedKFold

    y = np.asarray(y)
    n = y.shape[0]
    if not isinstance(cv, (int, np.integer)):
        if not hasattr(cv, "split"):
            raise DataError(f"cv must be a number of folds or a scikit-learn splitter; got {cv!r}.")
        return [
            Fold(0, i, np.asarray(tr), np.asarray(te))
            for i, (tr, te) in enumerate(cv.split(np.zeros(n), y, groups))
        ]
    cv = int(cv)
    if cv < 2:
        raise DataError(f"cv must be at least 2 folds; got {cv}.")
    if repeats < 1:
        raise DataError(f"repeats must be at least 1; got {repeats}.")
    if n < 2 * cv:
        raise DataError(f"{n} rows are too few for {cv}-fold cross-validation (need at least {2 * cv}).")
    if groups is not None:
        return _group_folds(y, family, cv, repeats, seed, np.asarray(groups))
    if family == "classification":
        values, counts = np.unique(y, return_counts=True)
        if counts.min() < cv:
            rare = values[counts.argmin()]
            rare = rare.item() if isinstance(rare, np.generic) else rare
            raise DataError(
                f"class {rare!r} of the target has {counts.min()} rows, fewer than the {cv} folds; "
                "use fewer folds or merge rare classes."
            )
        splitter: Any = (
            StratifiedKFold(cv, shuffle=True, random_state=seed)
            if repeats == 1
            else RepeatedStratifiedKFold(n_splits=cv, n_repeats=repeats, random_state=seed)
        )
    else:
        splitter = (
            KFold(cv, shuffle=True, random_state=seed)
            if repeats == 1
            else RepeatedKFold(n_splits=cv, n_repeats=repeats, random_state=seed)
        )
    return [
        Fold(i // cv, i % cv, np.asarray(tr, dtype=np.int64), np.asarray(te, dtype=np.int64))
        for i, (tr, te) in enumerate(splitter.split(np.zeros(n), y))
    ]


def _group_folds(
    y: np.ndarray, family: str, cv: int, repeats: int, seed: int, groups: np.ndarray
) -> list[Fold]:
    """Group-aware folds: whole groups in each test fold; repeat r relabels the groups in a random
    order drawn from (``seed``, r), which is the order the splitters break ties in."""
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    _, codes = np.unique(groups, return_inverse=True)
    n_groups = int(codes.max()) + 1
    if n_groups < cv:
        raise DataError(f"the groups column has {n_groups} distinct groups, fewer than the {cv} folds.")
    out = []
    for r in range(repeats):
        rng = np.random.default_rng([int(seed), r])
        relabel = rng.permutation(n_groups)[codes]
        splitter: Any = (
            StratifiedGroupKFold(cv, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
            if family == "classification"
            else GroupKFold(cv)
        )
        for i, (tr, te) in enumerate(splitter.split(np.zeros(y.shape[0]), y, relabel)):
            out.append(Fold(r, i, np.asarray(tr, dtype=np.int64), np.asarray(te, dtype=np.int64)))
    return out


def loss_label(loss: Any, varying: set[str] | frozenset[str] = frozenset()) -> str:
    """``huber(delta=1.35)``: the loss name and its non-default parameters; a parameter re-chosen
    with different values on different folds shows as ``delta=per-fold``."""
    defaults = {p.name: p.default for p in type(loss).PARAMS}
    parts = []
    for k, v in loss.params.items():
        if k in varying:
            parts.append(f"{k}=per-fold")
        elif v != defaults.get(k):
            text = format(v, "g") if isinstance(v, float) else str(v)
            parts.append(f"{k}={text}")
    return f"{loss.name}({', '.join(parts)})" if parts else loss.name


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", text).strip("_")[:60]


def build_plan(
    *,
    losses: list[tuple[Any, bool]],
    models: list[str],
    folds: list[Fold],
    family: str,
    seed: int,
    base: dict[str, Any],
    model_params: dict[str, Any],
    fold_losses: dict[tuple[int, int], list[Any]] | None = None,
    classes: list[Any] | None = None,
    threshold: float = 0.5,
    baseline: Any = None,
) -> Plan:
    """Candidates and the flat task list.

    ``baseline``, a loss, adds the intercept-only candidate ``"<loss>/constant"`` (model
    ``"constant"``: the loss's best constant on each fold's training rows) after the others.

    ``losses`` holds ``(Loss, refit)`` pairs; ``fold_losses[(repeat, fold)]`` the per-fold losses
    (same order) for those with ``refit`` (``"auto"`` parameters fitted on the fold; the
    candidate's own loss then holds them as fitted on all rows, for display). ``base``
    (data fingerprint, target, task …) enters every task's fingerprint.
    """
    candidates: list[Candidate] = []
    loss_index: list[int] = []  # each candidate's position in ``losses`` (−1: the baseline)
    seen: set[str] = set()
    for li, (loss, refit) in enumerate(losses):
        varying: set[str] = set()
        shown = loss
        if refit and fold_losses:
            for key in loss.params:
                values = {repr(fl[li].params.get(key)) for fl in fold_losses.values()}
                if len(values) > 1:
                    varying.add(key)
            shown = next(iter(fold_losses.values()))[li]  # the value every fold agrees on
        label = loss_label(shown, varying)
        for model in models:
            name = f"{label}/{model}"
            if name in seen:
                raise DataError(f"candidate {name!r} is listed twice; give each loss once.")
            seen.add(name)
            candidates.append(Candidate(name, loss.to_dict(), model, refit))
            loss_index.append(li)
    if baseline is not None and f"{loss_label(baseline)}/constant" not in seen:
        candidates.append(Candidate(f"{loss_label(baseline)}/constant", baseline.to_dict(), "constant"))
        loss_index.append(-1)
    tasks: list[TaskSpec] = []
    for ci, cand in enumerate(candidates):
        li = loss_index[ci]
        for f in folds:
            loss_dict = cand.loss
            if cand.refit and fold_losses is not None:
                loss_dict = fold_losses[(f.repeat, f.fold)][li].to_dict()
            seed_f = task_seed(seed, f.repeat, f.fold)
            key = digest(
                {
                    **base,
                    "loss": loss_dict,
                    "model": cand.model,
                    "model_params": model_params,
                    "rows": f.digest,
                    "seed": seed_f,
                    "classes": classes,
                    "threshold": threshold,
                }
            )
            tid = f"{ci:02d}-{slug(cand.name)}-r{f.repeat}-f{f.fold}"
            tasks.append(
                TaskSpec(
                    tid,
                    key,
                    cand.name,
                    loss_dict,
                    cand.model,
                    dict(model_params),
                    f.repeat,
                    f.fold,
                    seed_f,
                    family,
                    f.train,
                    f.test,
                    classes,
                    threshold,
                )
            )
    config = {
        **base,
        "candidates": [asdict(c) for c in candidates],
        "model_params": model_params,
        "folds": [[f.repeat, f.fold, f.digest] for f in folds],
        "seed": seed,
    }
    return Plan(candidates, folds, tasks, digest(config), _jsonable(config))
