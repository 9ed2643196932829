"""The results store in ``out/``: one file pair per finished task, written atomically.

Layout::

    out/
      experiment.json          the configuration and its fingerprint (rewritten each run)
      tasks/<id>.npz           out-of-fold predictions of one task (test-row positions + arrays)
      tasks/<id>.json          the task: spec, status, error, scores, learning curve, timings
      leaderboard.csv          written by compare() at the end
      results.json             written by compare() at the end (schema: docs/compare.md)
      report.html              written by losslab.report.write_report

Each file is written to a temporary name in the same directory, flushed, fsync'ed and moved into
place with ``os.replace`` (atomic on POSIX), the ``.npz`` before the ``.json``: the JSON is the
completion mark. A process killed at any instant leaves either a complete task or none (stray
``*.tmp`` files are removed on the next start). A task is reused only when its stored fingerprint
equals the planned one, so a changed experiment never picks up stale results.

Format version: ``experiment.json``, each task JSON and ``results.json`` carry ``format_version``
(`FORMAT_VERSION`). A store written before versions existed has none and counts as version 1; its
task files have the same layout, so it is read. A store of a version this losslab cannot read
(a newer one, or one below `READABLE_VERSIONS`) is refused with `StoreVersionError` before
anything in it is touched.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import DataError

__all__ = [
    "FORMAT_VERSION",
    "READABLE_VERSIONS",
    "Store",
    "StoreVersionError",
    "atomic_write_bytes",
    "atomic_write_text",
    "to_json",
]

#: the layout written by this losslab (2: ``format_version`` recorded; 1: the unversioned layout)
FORMAT_VERSION = 2
#: versions read (1 differs from 2 only by the missing field)
READABLE_VERSIONS = (1, 2)


class StoreVersionError(DataError):
    """A results store written in a format this losslab does not read."""


def to_json(obj: Any) -> Any:
    """Plain JSON types (NaN/inf → None, numpy → Python)."""
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_json(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _atomic(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are ordinary files
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file + ``os.replace``)."""
    _atomic(Path(path), lambda fh: fh.write(data))


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


class Store:
    """Finished tasks of one output directory."""

    def __init__(self, out: str | Path) -> None:
        self.root = Path(out)
        self.tasks_dir = self.root / "tasks"

    def format_version(self) -> int | None:
        """The format version of an existing store (1 when unversioned), None for a new directory."""
        path = self.root / "experiment.json"
        if not path.exists():
            return 1 if self.tasks_dir.is_dir() and any(self.tasks_dir.glob("*.json")) else None
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreVersionError(
                f"results store {str(self.root)!r} has an unreadable experiment.json ({exc}); "
                "use a new out directory."
            ) from None
        version = doc.get("format_version", 1) if isinstance(doc, dict) else None
        if not isinstance(version, int) or isinstance(version, bool):
            raise StoreVersionError(
                f"results store {str(self.root)!r} has format_version {version!r}; expected an integer in "
                f"{list(READABLE_VERSIONS)}. Use a new out directory."
            )
        return version

    def check_version(self) -> None:
        """Refuse a store whose format version this losslab cannot read (`StoreVersionError`).

        >>> import tempfile, pathlib, json
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (root / "experiment.json").write_text(json.dumps({"format_version": 99}))
        >>> try:
        ...     Store(root).check_version()
        ... except StoreVersionError as exc:
        ...     print(str(exc).split(";")[0].split(" has ")[1])
        format_version 99, written by a newer losslab
        """
        version = self.format_version()
        if version is None or version in READABLE_VERSIONS:
            return
        newer = "a newer losslab" if version > FORMAT_VERSION else "an older losslab"
        raise StoreVersionError(
            f"results store {str(self.root)!r} has format_version {version}, written by {newer}; this "
            f"losslab reads versions {', '.join(map(str, READABLE_VERSIONS))} (writes {FORMAT_VERSION}). "
            "Use a new out directory (--out), or the losslab that wrote it."
        )

    def open(self, config: dict[str, Any], fingerprint: str) -> None:
        """Check the format version, create the directory, drop stray temporaries, record the experiment."""
        self.check_version()
        self.tasks_dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.tasks_dir.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
        atomic_write_text(
            self.root / "experiment.json",
            json.dumps(
                {"format_version": FORMAT_VERSION, "fingerprint": fingerprint, "config": to_json(config)},
                indent=2,
            ),
        )

    def load(self, task_id: str, key: str) -> dict[str, Any] | None:
        """The stored record of ``task_id`` if it is complete and has fingerprint ``key``."""
        meta_path = self.tasks_dir / f"{task_id}.json"
        try:
            record = json.loads(meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if record.get("key") != key or record.get("format_version", 1) not in READABLE_VERSIONS:
            return None
        if record.get("status") == "ok":
            try:
                with np.load(self.tasks_dir / f"{task_id}.npz", allow_pickle=False) as z:
                    record["predictions"] = {k: z[k] for k in z.files}
            except (OSError, ValueError):
                return None
        return record

    def save(self, record: dict[str, Any]) -> None:
        """Persist one finished task: predictions first, then the JSON completion mark."""
        import io

        record = {**record, "format_version": FORMAT_VERSION}
        preds = record.pop("predictions", None)
        tid = record["id"]
        if preds is not None:
            buf = io.BytesIO()
            np.savez(buf, **{k: np.asarray(v) for k, v in preds.items() if v is not None})
            atomic_write_bytes(self.tasks_dir / f"{tid}.npz", buf.getvalue())
        atomic_write_text(self.tasks_dir / f"{tid}.json", json.dumps(to_json(record), indent=1))

    def stored_ids(self) -> list[str]:
        """Ids of every task JSON in the store (planned or not)."""
        if not self.tasks_dir.is_dir():
            return []
        return sorted(p.stem for p in self.tasks_dir.glob("*.json"))
