"""Reading a table and splitting off its target: the one loader train, advise and compare share.

pandas (and pyarrow for Parquet) are imported here, lazily, never by ``import losslab``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ._core.errors import DataError

__all__ = ["load_xy", "missing_mask", "read_columns", "read_table", "split_structured", "split_target"]

_READERS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}


def read_table(data: Any) -> Any:
    """A pandas DataFrame from a DataFrame, a CSV/TSV/Parquet path, or a dict of columns.

    Raises
    ------
    DataError
        The file is missing, unreadable, of an unsupported format, or empty.
    """
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, (str, Path)):
        path, kind = _file_kind(data)
        try:
            if kind == "parquet":
                frame = pd.read_parquet(path)
            else:
                frame = pd.read_csv(path, sep="\t" if kind == "tsv" else ",")
        except Exception as exc:  # noqa: BLE001 - any parser failure is the user's file
            raise DataError(f"cannot read {str(path)!r} as {kind}: {exc}") from None
    elif isinstance(data, dict):
        frame = pd.DataFrame(data)
    else:
        raise DataError(
            f"data must be a pandas DataFrame or a path to a .csv/.parquet file; got {type(data).__name__}."
        )
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(f"the table is empty (shape {frame.shape}).")
    return frame


def _file_kind(data: str | Path) -> tuple[Path, str]:
    path = Path(data)
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"cannot read {str(path)!r}: unsupported format {path.suffix or '(no suffix)'!r}; "
            "expected .csv, .tsv or .parquet."
        )
    if not path.is_file():
        raise DataError(f"cannot read {str(path)!r}: no such file.")
    return path, kind


def read_columns(path: str | Path) -> list[str]:
    """The column names `read_table` would give a CSV/TSV/Parquet file, from its header alone.

    Lets a caller check column arguments before loading any rows (the ``losslab`` command).

    Raises
    ------
    DataError
        As `read_table`: the file is missing, of an unsupported format, or unreadable.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "t.csv")
    ...     _ = open(p, "w").write("a,b,y\\n1,2,3\\n")
    ...     read_columns(p)
    ['a', 'b', 'y']
    """
    import pandas as pd

    path, kind = _file_kind(path)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            schema = pq.read_schema(path)
            index = {c for c in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)}
            return [name for name in schema.names if name not in index]
        return [str(c) for c in pd.read_csv(path, sep="\t" if kind == "tsv" else ",", nrows=0).columns]
    except Exception as exc:  # noqa: BLE001 - any parser failure is the user's file
        raise DataError(f"cannot read {str(path)!r} as {kind}: {exc}") from None


def split_target(frame: Any, target: str) -> tuple[Any, Any]:
    """``(X, y)``: the feature columns and the target column ``target``.

    Rows whose target is missing are dropped; a target that is entirely missing, or a table
    without feature columns, is an error.
    """
    if target not in frame.columns:
        cols = ", ".join(map(repr, list(frame.columns)[:12]))
        more = " …" if frame.shape[1] > 12 else ""
        raise DataError(f"target column {target!r} is not in the table; its columns are {cols}{more}.")
    y = frame[target]
    keep = y.notna()
    if not bool(keep.any()):
        raise DataError(f"target column {target!r} has no values (all {len(y)} are missing).")
    X = frame.drop(columns=[target]).loc[keep]
    if X.shape[1] == 0:
        raise DataError(f"the table has no feature columns besides the target {target!r}.")
    return X, y.loc[keep]


def _column(frame: Any, name: str, role: str) -> Any:
    if name not in frame.columns:
        cols = ", ".join(map(repr, list(frame.columns)[:12])) + (" …" if frame.shape[1] > 12 else "")
        raise DataError(f"{role} column {name!r} is not in the table; its columns are {cols}.")
    return frame[name]


def _numbers(col: Any, name: str, role: str) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(values) & col.notna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{role} column {name!r} must hold numbers; got {col.iloc[i]!r} in row {col.index[i]!r}."
        )
    return values


def _level_codes(col: Any, name: str, levels: Any) -> tuple[np.ndarray, Any]:
    """Level codes of an ordinal column: ``levels`` a number k (codes 0 … k−1 in the column) or
    the level names in order (matched as numbers when the column is numeric, else as text)."""
    import pandas as pd

    from ._core.targets import Ordinal

    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        codes = _numbers(col, name, "the ordinal target")
        bad = (codes != np.round(codes)) | (codes < 0) | (codes >= int(levels))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"ordinal target {name!r} with {int(levels)} levels must hold the codes "
                f"0 … {int(levels) - 1}; got {col.iloc[i]!r} in row {col.index[i]!r}."
            )
        return codes.astype(np.int64), int(levels)
    names = [str(v).strip() for v in (levels.split(",") if isinstance(levels, str) else levels)]
    if len(names) < 2 or len(set(names)) != len(names):
        raise DataError(f"levels must name at least 2 distinct levels in order; got {names}.")
    if pd.api.types.is_numeric_dtype(col):
        try:
            keys: list[Any] = [float(v) for v in names]
        except ValueError:
            raise DataError(
                f"ordinal target {name!r} is numeric; its levels {names} are not all numbers."
            ) from None
        values: Any = col.to_numpy(dtype=float)
    else:
        keys, values = names, col.astype(str).str.strip().to_numpy()
    try:
        codes = Ordinal.from_values(values, keys).label
    except ValueError as exc:
        raise DataError(f"ordinal target {name!r}: {exc}") from None
    return codes, tuple(names)


def split_structured(
    frame: Any,
    task: str,
    *,
    target: str | None = None,
    time: str | None = None,
    event: str | None = None,
    group: str | None = None,
    levels: Any = None,
) -> tuple[Any, Any, np.ndarray, str]:
    """``(X, y, y_eval, name)`` of a structured task (`losslab.tasks.STRUCTURED_TASKS`).

    ``y`` is the `losslab.targets` target (`Survival` from the ``time`` and ``event`` columns,
    `Ranking` from the relevance column ``target`` and the query column ``group``, `Ordinal` from
    ``target`` and its ``levels``); ``y_eval`` the one number per row the folds and plots read
    (the time, the relevance, the level code); ``name`` the target's name; ``X`` the other columns.
    Rows with a missing value in a target column are dropped; a ranking table's rows are
    reordered (stably) so that each query's rows are adjacent, as `Ranking` requires.

    Raises
    ------
    DataError
        A missing column, an event flag outside {0, 1}, a time ≤ 0, a negative relevance, a value
        that is not one of the levels.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"x": [1.0, 2.0, 3.0], "months": [5.0, 2.0, 9.0], "died": [1, 0, 1]})
    >>> X, y, y_eval, name = split_structured(t, "survival", time="months", event="died")
    >>> list(X.columns), y.event.tolist(), name
    (['x'], [1, 0, 1], 'months')
    """
    import pandas as pd

    from ._core.errors import LosslabError
    from ._core.targets import Ordinal, Ranking, Survival

    if task == "survival":
        if time is None or event is None:
            raise DataError("a survival target needs time= and event= (the time and event columns).")
        cols, roles, name = [time, event], ("time", "event"), time
    elif task == "ranking":
        if target is None or group is None:
            raise DataError(
                "a ranking target needs target= (the relevance column) and the query column groups=."
            )
        cols, roles, name = [target, group], ("relevance", "query (groups)"), target
    elif task == "ordinal":
        if target is None or levels is None:
            raise DataError("an ordinal target needs target= and its levels (levels=).")
        cols, roles, name = [target], ("target",), target
    else:
        raise DataError(f"task {task!r} has no structured target; expected survival, ranking or ordinal.")
    parts = {c: _column(frame, c, role) for c, role in zip(cols, roles, strict=True)}
    if len(set(cols)) != len(cols):
        raise DataError(f"the {task} target's columns must differ; got {cols}.")
    keep = np.logical_and.reduce([parts[c].notna().to_numpy() for c in cols])
    if not keep.any():
        raise DataError(f"the {task} target columns {cols} have no complete row.")
    frame = frame.loc[keep]
    X = frame.drop(columns=cols)
    if X.shape[1] == 0:
        raise DataError(f"the table has no feature columns besides the {task} target columns {cols}.")
    try:
        if task == "survival":
            t = _numbers(frame[time], time, "time")
            e = _numbers(frame[event], event, "event")
            y: Any = Survival(t, e).normalised("compare")
            y.check(f"{task} target ({time}, {event})")
            y_eval = t
        elif task == "ranking":
            rel = _numbers(frame[target], target, "relevance")
            ids = pd.factorize(frame[group])[0]
            order = np.argsort(ids, kind="stable")  # each query's rows adjacent, order kept
            X, rel, ids = X.iloc[order], rel[order], ids[order]
            y = Ranking(rel, ids).normalised("compare")
            y.check(f"{task} target ({target}, query {group})")
            y_eval = rel
        else:
            codes, lv = _level_codes(frame[target], target, levels)
            y, y_eval = Ordinal(codes, levels=lv), codes
    except LosslabError as exc:
        raise DataError(str(exc).replace("for loss ", "in ")) from None
    return X.reset_index(drop=True), y, np.asarray(y_eval), name


def load_xy(
    data: Any = None, target: Any = None, X: Any = None, y: Any = None
) -> tuple[Any, Any, str | None, int]:
    """``(features DataFrame or None, target Series, target name, rows before dropping missing)``.

    The flexible entry of `losslab.advise` (and its `diagnose`): a table is read by `read_table`
    and checked by `split_target`; missing targets (NaN, ±inf) are left out.

    Accepts ``(frame_or_path, "col")``, ``((X, y), None)``, ``(X, y=y)``, ``(None, y=y)`` and a
    1-D array or Series alone (the target without features).

    Raises
    ------
    DataError
        A missing or all-missing target, an empty table, unreadable input.
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is an extra
        raise ImportError(
            "reading a table needs pandas: pip install 'losslab[pandas]' "
            "(advising also needs scikit-learn: 'losslab[advise]')"
        ) from None

    positional_y = target is not None and not isinstance(target, (str, int, float, tuple))
    if positional_y and y is None and (np.ndim(target) == 1 or np.shape(target)[1:] == (1,)):
        y, target = target, None  # advise(X, y) positionally
    if isinstance(data, tuple) and len(data) == 2 and y is None and X is None:
        X, y = data
        data = None
    if data is not None and X is not None:
        raise DataError("pass the data once: either `data` or `X=`, not both.")
    if data is not None and y is not None:
        X, data = data, None
    if data is not None:
        if isinstance(data, (pd.Series, np.ndarray, list)) and np.ndim(np.asarray(data, dtype=object)) == 1:
            if target is not None:
                raise DataError("`target` names a column of a table; a 1-D array is the target itself.")
            ys = data if isinstance(data, pd.Series) else pd.Series(np.asarray(data))
            return None, *_clean_target(ys, ys.name if ys.name is not None else None)
        frame = read_table(data)
        if target is None:
            cols = ", ".join(map(repr, list(frame.columns)[:12]))
            raise DataError(f"`target` is required with a table: name one of its columns ({cols}).")
        n_before = len(frame)
        if target in frame.columns and frame.shape[1] == 1:
            feats = None
            ys = frame[target]
        else:
            split_target(frame, target)  # raises the shared, clear errors (missing column, all NaN)
            feats = frame.drop(columns=[target])
            ys = frame[target]
        missing = missing_mask(ys)
        if bool(missing.all()):
            raise DataError(f"target column {target!r} has no values (all {len(ys)} are missing).")
        feats = None if feats is None else feats.loc[~missing.to_numpy()].reset_index(drop=True)
        return feats, ys.loc[~missing.to_numpy()].reset_index(drop=True), target, n_before
    if y is None:
        raise DataError("no data: pass a DataFrame or a path with `target=`, an (X, y) pair, or `y=`.")
    shape = np.shape(y)
    if len(shape) == 2 and shape[1] == 1:
        y = np.asarray(y).reshape(-1)  # a column vector
    elif len(shape) != 1:
        raise DataError(f"y must be 1-D (n,) or a column (n, 1); got shape {shape}.")
    ys = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    name = str(ys.name) if ys.name is not None else (target if isinstance(target, str) else None)
    feats = None
    if X is not None:
        if not isinstance(X, pd.DataFrame) and np.ndim(X) != 2:
            raise DataError(f"X must be 2-D (n_rows, n_features); got shape {np.shape(X)}.")
        feats = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
        if len(feats) != len(ys):
            raise DataError(f"X has {len(feats)} rows but y has {len(ys)}; they must match.")
        feats = feats.reset_index(drop=True)
        feats.columns = [str(c) if not isinstance(c, str) else c for c in feats.columns]
        if all(isinstance(c, str) and c.isdigit() for c in feats.columns):
            feats.columns = [f"x{c}" for c in feats.columns]
    if len(ys) == 0:
        raise DataError("the target is empty (0 rows).")
    missing = missing_mask(ys.reset_index(drop=True))
    if bool(missing.all()):
        raise DataError(f"the target has no values (all {len(ys)} are missing).")
    n_before = len(ys)
    ys = ys.reset_index(drop=True).loc[~missing.to_numpy()].reset_index(drop=True)
    if feats is not None:
        feats = feats.loc[~missing.to_numpy()].reset_index(drop=True)
        if feats.shape[1] == 0:
            feats = None
    return feats, ys, name, n_before


def _clean_target(ys: Any, name: Any) -> tuple[Any, str | None, int]:
    if len(ys) == 0:
        raise DataError("the target is empty (0 rows).")
    missing = missing_mask(ys.reset_index(drop=True))
    if bool(missing.all()):
        raise DataError(f"the target has no values (all {len(ys)} are missing).")
    n = len(ys)
    return ys.reset_index(drop=True).loc[~missing.to_numpy()].reset_index(drop=True), name, n


def missing_mask(ys: Any) -> Any:
    """Boolean Series (0..n−1 index): the values that are missing — NaN/None, and ±inf in numbers."""
    import pandas as pd

    mask = ys.isna()
    if pd.api.types.is_numeric_dtype(ys) and not pd.api.types.is_bool_dtype(ys):
        mask = mask | ~np.isfinite(ys.to_numpy(dtype=float, na_value=np.nan))
    return pd.Series(np.asarray(mask, dtype=bool))
