"""Reading a table and splitting off its target: the one loader train, advise and compare share.

pandas (and pyarrow for Parquet) are imported here, lazily, never by ``import losslab``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._core.errors import DataError

__all__ = ["read_table", "split_target"]

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
        path = Path(data)
        kind = _READERS.get(path.suffix.lower())
        if kind is None:
            raise DataError(
                f"cannot read {str(path)!r}: unsupported format {path.suffix or '(no suffix)'!r}; "
                "expected .csv, .tsv or .parquet."
            )
        if not path.is_file():
            raise DataError(f"cannot read {str(path)!r}: no such file.")
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
