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
completion mark. A process killed at any instant leaves either a complete task or none. Temporary
names carry the writer's PID (``.<name>.pid<PID>.<random>.tmp``); the next start removes only its
own and those of processes no longer alive. A task is reused only when its stored fingerprint
equals the planned one, so a changed experiment never picks up stale results.

Damage: each task JSON carries the SHA-256 of its own content (``digest``) and of its ``.npz``
(``npz_sha256``). An entry that cannot be read, fails its digests, or describes another task than
the planned one is reported (`StoreWarning`, naming the file) and recomputed; it never stops a run.

Lock: `Store.open` takes ``out/losslab.lock`` — an advisory ``flock`` held for the run, the file
holding the PID, host and start time. A second run on the same directory while the first is alive
is refused with `StoreLockedError`; a lock left by a process that died is taken over with a note.

Format version: ``experiment.json``, each task JSON and ``results.json`` carry ``format_version``
(`FORMAT_VERSION`). A store written before versions existed has none and counts as version 1; its
task files have the same layout, so it is read. A store of a version this losslab cannot read
(a newer one, or one below `READABLE_VERSIONS`) is refused with `StoreVersionError` before
anything in it is touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import socket
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import DataError

__all__ = [
    "FORMAT_VERSION",
    "LOCK_NAME",
    "READABLE_VERSIONS",
    "Store",
    "StoreLockedError",
    "StoreVersionError",
    "StoreWarning",
    "atomic_write_bytes",
    "atomic_write_text",
    "to_json",
]

#: the layout written by this losslab (2: ``format_version`` recorded; 1: the unversioned layout)
FORMAT_VERSION = 2
#: versions read (1 differs from 2 only by the missing field)
READABLE_VERSIONS = (1, 2)


#: the lock file of a store in use
LOCK_NAME = "losslab.lock"


class StoreVersionError(DataError):
    """A results store written in a format this losslab does not read."""


class StoreLockedError(DataError):
    """The results store is in use by another live run."""


class StoreWarning(UserWarning):
    """A damaged store entry (recomputed) or a stale lock (taken over)."""


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


_TMP_OWNER = re.compile(r"\.pid(\d+)\.[^.]*\.tmp$")


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host and is not a zombie.

    >>> pid_alive(os.getpid()), pid_alive(0)
    (True, False)
    """
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill would end the process there; an unknown one counts as alive
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    with contextlib.suppress(OSError, IndexError):  # Linux: a killed, unreaped child is a zombie
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    return True


def _atomic(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # the PID in the name tells a later run whether the writer may still be at work
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.pid{os.getpid()}.", suffix=".tmp")
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


class StoreLock:
    """The lock of a results store: an advisory ``flock`` on ``out/losslab.lock``, held for the run.

    The kernel drops a ``flock`` when its process dies (SIGKILL included), so a live holder is
    never mistaken for a dead one, and a reused PID never keeps a dead run's lock. The file holds
    the PID, host, start time and command, for the message of a refused run.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> lock = StoreLock(root / LOCK_NAME)
    >>> lock.acquire() is None  # no stale lock taken over
    True
    >>> try:
    ...     StoreLock(root / LOCK_NAME).acquire()
    ... except StoreLockedError as exc:
    ...     print("in use by another losslab run", f"PID {os.getpid()}" in str(exc))
    in use by another losslab run True
    >>> lock.release(); (root / LOCK_NAME).exists()
    False
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> str | None:
        """Take the lock; the note to show when a dead run's lock was taken over, else None.

        Raises `StoreLockedError` naming the live holder's PID and the lock file. Where there is no
        ``flock`` (Windows) the directory is not locked.
        """
        try:
            import fcntl
        except ImportError:
            return None
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666 & ~_UMASK)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read_lock(fd)
                os.close(fd)
                raise StoreLockedError(_locked_message(self.path, holder)) from None
            try:  # the holder may have released (unlinked) it between our open and our flock
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        previous = _read_lock(fd)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "command": " ".join(sys.argv)[:300],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode("utf-8"), 0)
        os.fsync(fd)
        self._fd = fd
        if not previous:
            return None
        return (
            f"results store: took over the stale lock {str(self.path)!r} of {_holder_text(previous)}, "
            "which is no longer running."
        )

    def release(self) -> None:
        """Remove the lock file and drop the lock (no-op when not held)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                os.unlink(self.path)
        os.close(fd)


def _read_lock(fd: int) -> dict[str, Any]:
    try:
        doc = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _holder_text(holder: dict[str, Any]) -> str:
    if not holder:
        return "a run that left no details"
    text = f"PID {holder.get('pid', '?')} on host {holder.get('host', '?')}"
    return text + (f", started {holder['started']}" if holder.get("started") else "")


def _locked_message(path: Path, holder: dict[str, Any]) -> str:
    return (
        f"results directory {str(path.parent)!r} is in use by another losslab run ({_holder_text(holder)}; "
        f"lock file {str(path)!r}). Wait for it to finish or use another --out; remove the lock file "
        "only if that process is gone."
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest(record: dict[str, Any]) -> str:
    """SHA-256 of a task record's JSON content without its ``digest`` field."""
    body = {k: v for k, v in record.items() if k != "digest"}
    return _sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8"))


class DamagedEntry(Exception):
    """Internal: why a stored task cannot be used (reported, then recomputed)."""


class Store:
    """Finished tasks of one output directory.

    `open` takes the directory's lock and `close` releases it (also as a context manager); reading
    and writing tasks needs no lock, but two runs never share a directory.
    """

    def __init__(self, out: str | Path) -> None:
        self.root = Path(out)
        self.tasks_dir = self.root / "tasks"
        self.lock = StoreLock(self.root / LOCK_NAME)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        """Check the format version, take the lock, drop dead runs' temporaries, record the experiment.

        Raises `StoreVersionError` or `StoreLockedError` before anything in the directory is changed.
        A stale lock taken over is reported with a `StoreWarning`.
        """
        self.check_version()
        self.root.mkdir(parents=True, exist_ok=True)
        note = self.lock.acquire()
        try:
            if note:
                warnings.warn(note, StoreWarning, stacklevel=3)
            self.tasks_dir.mkdir(parents=True, exist_ok=True)
            self.remove_stray_temporaries()
            atomic_write_text(
                self.root / "experiment.json",
                json.dumps(
                    {"format_version": FORMAT_VERSION, "fingerprint": fingerprint, "config": to_json(config)},
                    indent=2,
                ),
            )
        except BaseException:
            self.lock.release()
            raise

    def close(self) -> None:
        """Release the lock taken by `open` (no-op if not held)."""
        self.lock.release()

    def remove_stray_temporaries(self) -> list[Path]:
        """Remove temporaries left by this process or by dead processes; those of live ones stay.

        A temporary whose name carries no PID (written before PIDs were recorded) is left alone:
        its writer cannot be told. Returns the files removed.
        """
        removed = []
        for folder in (self.root, self.tasks_dir):
            for tmp in folder.glob(".*.tmp"):
                owner = _TMP_OWNER.search(tmp.name)
                if owner is None:
                    continue
                pid = int(owner.group(1))
                if pid == os.getpid() or not pid_alive(pid):
                    with contextlib.suppress(OSError):
                        tmp.unlink()
                        removed.append(tmp)
        return removed

    def load(self, task_id: str, key: str, spec: Any = None) -> dict[str, Any] | None:
        """The stored record of ``task_id`` if it is complete and has fingerprint ``key``.

        None when the task is not stored or belongs to another experiment (another key). A damaged
        entry — unreadable or empty files, a digest that does not match, content that does not
        describe the task (``spec``: the planned `TaskSpec`, whose candidate, fold, seed and test
        rows must match) — is reported with a `StoreWarning` naming the file, and is None too, so
        the task is recomputed.
        """
        meta_path = self.tasks_dir / f"{task_id}.json"
        try:
            text = meta_path.read_text("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            return self._damaged(meta_path, f"unreadable ({exc})")
        try:
            record = json.loads(text)
        except ValueError as exc:
            return self._damaged(meta_path, "empty" if not text.strip() else f"not valid JSON ({exc})")
        if not isinstance(record, dict):
            return self._damaged(meta_path, f"a JSON {type(record).__name__}, not a task record")
        if record.get("id") != task_id:
            return self._damaged(meta_path, f"it describes task {record.get('id')!r}, not {task_id!r}")
        if record.get("key") != key:
            return None  # another experiment's task (or an older fingerprint): left alone, not used
        if record.get("format_version", 1) not in READABLE_VERSIONS:
            return None
        try:
            _check_record(record, task_id, spec)
        except DamagedEntry as exc:
            return self._damaged(meta_path, str(exc))
        if record.get("status") == "ok":
            npz_path = self.tasks_dir / f"{task_id}.npz"
            try:
                record["predictions"] = _load_predictions(npz_path, record.get("npz_sha256"), spec)
            except DamagedEntry as exc:
                return self._damaged(npz_path, str(exc))
        return record

    def _damaged(self, path: Path, reason: str) -> None:
        warnings.warn(
            f"results store: damaged entry {str(path)!r} ({reason}); the task is recomputed.",
            StoreWarning,
            stacklevel=3,
        )
        return None

    def save(self, record: dict[str, Any]) -> None:
        """Persist one finished task: predictions first, then the JSON completion mark with digests."""
        record = {**record, "format_version": FORMAT_VERSION}
        preds = record.pop("predictions", None)
        record.pop("digest", None)
        record.pop("npz_sha256", None)
        tid = record["id"]
        if preds is not None:
            buf = io.BytesIO()
            np.savez(buf, **{k: np.asarray(v) for k, v in preds.items() if v is not None})
            data = buf.getvalue()
            record["npz_sha256"] = _sha256(data)
            atomic_write_bytes(self.tasks_dir / f"{tid}.npz", data)
        doc = to_json(record)
        doc["digest"] = _digest(doc)
        atomic_write_text(self.tasks_dir / f"{tid}.json", json.dumps(doc, indent=1))

    def stored_ids(self) -> list[str]:
        """Ids of every task JSON in the store (planned or not)."""
        if not self.tasks_dir.is_dir():
            return []
        return sorted(p.stem for p in self.tasks_dir.glob("*.json"))


def _check_record(record: dict[str, Any], task_id: str, spec: Any) -> None:
    """Raise `DamagedEntry` if ``record`` is not a sound record of the task ``task_id``/``spec``."""
    if "digest" in record and record["digest"] != _digest(record):
        raise DamagedEntry("its content does not match its digest: edited or corrupted")
    status = record.get("status")
    if status not in ("ok", "failed"):
        raise DamagedEntry(f"status {status!r}, expected 'ok' or 'failed'")
    if status == "failed" and not isinstance(record.get("error"), dict):
        raise DamagedEntry("a failed task without its error")
    if spec is not None:
        for name in ("candidate", "repeat", "fold", "seed"):
            if record.get(name) != getattr(spec, name):
                raise DamagedEntry(
                    f"its {name} is {record.get(name)!r}, the planned task's is {getattr(spec, name)!r}"
                )


#: prediction arrays that hold a grid shared by the task's rows (``survival`` is read at ``times``)
# arrays of a task that are not one entry per test row: the survival curves' time grid, and the
# training rows whose censoring the integrated Brier score weighs by
GRID_ARRAYS = frozenset({"times", "train_index"})


def _load_predictions(path: Path, sha256: Any, spec: Any) -> dict[str, np.ndarray]:
    """The arrays of a task's ``.npz``, checked against the recorded digest and the task's test rows."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DamagedEntry(f"missing or unreadable ({type(exc).__name__})") from None
    if not data:
        raise DamagedEntry("empty")
    if sha256 is not None and _sha256(data) != sha256:
        raise DamagedEntry(
            "its content does not match the digest in its JSON: truncated, edited or corrupted"
        )
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            preds = {k: z[k] for k in z.files}
    except Exception as exc:  # noqa: BLE001 - zipfile, pickle and format errors alike mean "damaged"
        raise DamagedEntry(f"not a readable .npz ({type(exc).__name__}: {exc})") from None
    index = preds.get("index")
    if index is None or index.ndim != 1:
        raise DamagedEntry("no 1-d 'index' of test rows")
    if spec is not None and not np.array_equal(index, np.asarray(spec.test)):
        raise DamagedEntry("its predictions are for other rows than the task's test rows")
    for name, arr in preds.items():
        if name in GRID_ARRAYS:  # one per task, not one per test row
            continue
        if arr.ndim == 0 or arr.shape[0] != index.shape[0]:
            raise DamagedEntry(f"{name!r} has shape {arr.shape}, expected {index.shape[0]} rows")
    return preds
