"""Failures and the store (issue 12, item 7): partial results and their exit code, damaged store
entries recomputed, one live run per ``--out`` (lock with PID, stale locks taken over, other runs'
temporaries left alone), and no worker alive after its parent was killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import losslab
from losslab.cli import app
from losslab.compare import run as run_mod
from losslab.compare.result import PartialResultWarning
from losslab.compare.store import (
    LOCK_NAME,
    Store,
    StoreLockedError,
    StoreWarning,
    atomic_write_text,
    pid_alive,
)

runner = CliRunner()
FAST = {"epochs": 3, "lr": 0.05}
KW = {"target": "y", "models": ["linear"], "cv": 3, "task": "regression", "model_params": FAST, "seed": 0}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    return pd.DataFrame(X, columns=["a", "b"]).assign(y=X @ [1.0, -1.0] + rng.normal(0, 0.3, 60))


@pytest.fixture(scope="module")
def csv(frame, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("store") / "reg.csv"
    frame.to_csv(path, index=False)
    return path


def _cli(*args: str) -> list[str]:
    return [*args, "--task", "regression", "--model", "linear", "--folds", "3", "--epochs", "3"]


def _quiet_compare(frame: pd.DataFrame, **kw):
    """compare with every warning turned into an error (a healthy run warns about nothing)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return losslab.compare(frame, **{**KW, **kw})


# -- partial results --------------------------------------------------------------------------------
def test_candidate_failing_every_fold_is_listed_failed_and_the_result_partial(frame, tmp_path):
    out = tmp_path / "out"
    with pytest.warns(PartialResultWarning) as caught:
        cmp = losslab.compare(frame, losses=["mse", "mae", "poisson"], out=out, **KW)
    note = str(caught[0].message)
    assert note.startswith("partial result: 3 of 12 tasks failed (25%); failed on every fold: poisson/linear")
    assert "(DomainError: y_true for loss 'poisson' must be >= 0" in note
    assert cmp.partial and cmp.failed_candidates == ["poisson/linear"] and cmp.n_failed_tasks == 3
    assert cmp.failures_by_candidate["mse/linear"] == {"n_tasks": 3, "n_failed": 0, "first_error": None}
    board = cmp.leaderboard.set_index("candidate")
    assert board.loc["poisson/linear", "mark"] == "failed" and np.isnan(board.loc["poisson/linear", "rank"])
    assert sorted(board["rank"].dropna()) == [1, 2, 3]  # the others (and the constant baseline) are ranked
    assert cmp.summary().startswith("PARTIAL — partial result: 3 of 12 tasks failed")
    doc = json.loads((out / "results.json").read_text())
    assert doc["partial"] is True and doc["n_failed_tasks"] == 3
    [failed] = doc["failed_candidates"]
    assert failed["candidate"] == "poisson/linear" and failed["n_failed"] == failed["n_tasks"] == 3
    assert failed["first_error"].startswith("DomainError: y_true for loss 'poisson'")
    csv_board = pd.read_csv(out / "leaderboard.csv").set_index("candidate")
    assert csv_board.loc["poisson/linear", "mark"] == "failed"
    assert not (out / LOCK_NAME).exists()  # released after the results were written


def _failing_run_task(fail: set[tuple[str, int]]):
    real = run_mod.run_task

    def run_task(spec, X, y, threads=None, exposure=None):
        rec = real(spec, X, y, threads, exposure)
        if (spec.candidate, spec.fold) in fail:  # a model that raises on this fold
            rec.pop("predictions", None)
            rec.update(
                status="failed", error={"type": "RuntimeError", "message": "model raised", "traceback": ""}
            )
        return rec

    return run_task


@pytest.mark.parametrize(("n_failed", "partial"), [(1, False), (2, True)])
def test_partial_when_more_than_ten_percent_of_tasks_failed(frame, monkeypatch, n_failed, partial):
    # 3 candidates (with the constant baseline) × 6 folds = 18 tasks: 1 failed is 6% (a full result),
    # 2 failed are 11% (partial)
    fail = {("mse/linear", 0), ("mae/linear", 1)}
    monkeypatch.setattr(run_mod, "run_task", _failing_run_task(set(sorted(fail)[:n_failed])))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cmp = losslab.compare(frame, losses=["mse", "mae"], **{**KW, "cv": 6})
    assert cmp.n_failed_tasks == n_failed and not cmp.failed_candidates
    assert cmp.partial is partial
    assert any(issubclass(w.category, PartialResultWarning) for w in caught) is partial
    assert cmp.to_dict()["partial"] is partial
    assert cmp.failure_note().startswith(("partial result: " if partial else "") + f"{n_failed} of 18 tasks")
    assert set(cmp.leaderboard["mark"]) & {"failed"} == set()


def test_cli_exits_3_on_a_partial_result_after_writing_everything(csv, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(
        app, _cli("compare", str(csv), "-t", "y", "-l", "mse", "-l", "poisson", "--out", str(out))
    )
    assert res.exit_code == 3, res.output  # 2 is a usage error
    text = " ".join(res.output.split())
    assert (
        "partial result: 3 of 9 tasks failed (33%); failed on every fold: poisson/linear (DomainError:"
        in text
    )
    assert "PARTIAL" in text and "Traceback" not in res.output
    for name in ("report.html", "results.json", "leaderboard.csv"):
        assert (out / name).is_file()
    assert json.loads((out / "results.json").read_text())["partial"] is True
    assert "3 partial result" in " ".join(runner.invoke(app, ["compare", "--help"]).output.split())


def test_lost_loky_workers_make_failed_transient_tasks(frame, tmp_path):
    """Every worker process dies (here: on unpickling the data): the run still ends, each task is a
    failed record that is not stored (the next run retries it), and the result is partial."""
    from losslab.compare.score import Scorer, collect_scores
    from losslab.compare.setup import plan_experiment
    from losslab.compare.summary import summarise

    class KillsTheWorker:
        def __reduce__(self):
            return (os._exit, (3,))

    exp = plan_experiment(frame, "y", losses=["mse"], models=["linear"], cv=3, task="regression")
    scorer = Scorer.of(exp)
    ran = run_mod.run_plan(
        exp.plan, KillsTheWorker(), exp.y, score=scorer.score, out=tmp_path / "o", n_jobs=2
    )
    assert len(ran.records) == len(exp.plan.tasks) == 6  # mse/linear and the constant baseline
    assert all(r["status"] == "failed" and r["transient"] for r in ran.records.values())
    assert not list((tmp_path / "o" / "tasks").glob("*.json"))
    cmp = summarise(exp, collect_scores(exp.plan, ran.records, ran.reused, scorer))
    assert cmp.partial and "mse/linear" in cmp.failed_candidates


# -- damaged entries ---------------------------------------------------------------------------------
def _damage(tasks: Path) -> dict[str, str]:
    """Damage five of the six stored tasks in five ways; the damaged files and what was done."""
    ids = sorted(p.stem for p in tasks.glob("*.json"))
    a, b, c, d, e = ids[:5]
    npz = tasks / f"{a}.npz"
    npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])  # truncated
    (tasks / f"{b}.npz").write_bytes(b"")  # empty
    (tasks / f"{c}.json").write_text("")  # empty JSON
    doc = json.loads((tasks / f"{d}.json").read_text())
    doc["fit_seconds"] = 0.0  # tampered: its digest no longer matches
    (tasks / f"{d}.json").write_text(json.dumps(doc))
    other = json.loads((tasks / f"{a}.json").read_text())  # the JSON of another task under e's name
    (tasks / f"{e}.json").write_text(json.dumps(other))
    return {
        f"{a}.npz": "its content does not match the digest",
        f"{b}.npz": "empty",
        f"{c}.json": "empty",
        f"{d}.json": "does not match its digest",
        f"{e}.json": f"it describes task {a!r}",
    }


def test_damaged_store_entries_are_reported_and_recomputed(frame, tmp_path):
    out = tmp_path / "out"
    clean = _quiet_compare(frame, losses=["mse", "mae"], out=out)
    damaged = _damage(out / "tasks")
    with pytest.warns(StoreWarning) as caught:
        again = losslab.compare(frame, losses=["mse", "mae"], out=out, **KW)
    lines = [str(w.message) for w in caught]
    assert len(lines) == len(damaged)
    for name, reason in damaged.items():
        [line] = [m for m in lines if f"{name}'" in m]
        assert reason in line and line.endswith("the task is recomputed.") and "\n" not in line
    assert again.n_reused == len(again.tasks) - len(damaged) and not again.partial
    drop = ["fit_seconds"]
    pd.testing.assert_frame_equal(again.leaderboard.drop(columns=drop), clean.leaderboard.drop(columns=drop))
    # the store is healthy again: everything reused, nothing to report
    healthy = _quiet_compare(frame, losses=["mse", "mae"], out=out)
    assert healthy.n_reused == len(healthy.tasks)


def test_record_that_describes_another_fold_is_damaged(frame, tmp_path):
    """Without a digest (as in stores written before digests), content that does not fit the task's
    key is still caught: another fold, or predictions for other rows."""
    out = tmp_path / "out"
    _quiet_compare(frame, losses=["mse"], out=out)
    first, second = sorted((out / "tasks").glob("*.json"))[:2]
    for path, change in ((first, {"fold": 2}), (second, {})):
        doc = json.loads(path.read_text())
        doc.pop("digest")
        doc.pop("npz_sha256")
        path.write_text(json.dumps({**doc, **change}))
    z = dict(np.load(second.with_suffix(".npz")))
    np.savez(second.with_suffix(".npz"), **{**z, "index": z["index"][::-1]})
    with pytest.warns(StoreWarning) as caught:
        cmp = losslab.compare(frame, losses=["mse"], out=out, **KW)
    text = " ".join(str(w.message) for w in caught)
    assert "its fold is 2, the planned task's is 0" in text
    assert "predictions are for other rows" in text and cmp.n_reused == len(cmp.tasks) - 2


def test_cli_reports_a_damaged_entry_in_one_line(csv, tmp_path):
    out = tmp_path / "out"
    args = _cli("compare", str(csv), "-t", "y", "-l", "mse", "--out", str(out))
    assert runner.invoke(app, args).exit_code == 0
    npz = sorted((out / "tasks").glob("*.npz"))[0]
    npz.write_bytes(b"")
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    [line] = [x for x in res.output.splitlines() if "damaged entry" in x]
    assert line.startswith("warning: results store: damaged entry") and npz.name in res.output
    assert "5 reused" in res.output and "Aborted" not in res.output  # 6 tasks with the constant baseline


# -- one live run per directory -----------------------------------------------------------------------
HOLDER = textwrap.dedent(
    """
    import sys, time
    from losslab.compare.store import Store
    Store(sys.argv[1]).open({}, "held")
    print("locked", flush=True)
    time.sleep(120)
    """
)


@pytest.fixture
def holder(tmp_path):
    """A live process holding the lock of ``tmp_path / "out"``; killed (SIGKILL) at the end."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"  # type: ignore[union-attr]
        yield out, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()  # type: ignore[union-attr]


def test_out_in_use_by_a_live_run_is_refused_then_taken_over_once_it_died(frame, holder, csv):
    out, proc = holder
    with pytest.raises(StoreLockedError) as e:
        losslab.compare(frame, losses=["mse"], out=out, **KW)
    msg = str(e.value)
    assert f"PID {proc.pid} on host" in msg and f"lock file {str(out / LOCK_NAME)!r}" in msg
    assert "in use by another losslab run" in msg and "--out" in msg
    assert not list((out / "tasks").glob("*.json"))  # nothing computed
    res = runner.invoke(app, _cli("compare", str(csv), "-t", "y", "-l", "mse", "--out", str(out)))
    assert res.exit_code == 1 and f"PID {proc.pid}" in res.output and "Traceback" not in res.output
    # SIGKILL: the holder cannot clean up; its lock file stays and is taken over with a note
    proc.kill()
    proc.wait(timeout=30)
    assert (out / LOCK_NAME).exists()
    with pytest.warns(StoreWarning, match=f"took over the stale lock .*PID {proc.pid} on host"):
        cmp = losslab.compare(frame, losses=["mse"], out=out, **KW)
    assert len(cmp.tasks) == 6 and not (out / LOCK_NAME).exists()


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_lock_is_released_on_error_and_interrupt(frame, tmp_path, error):
    out = tmp_path / "out"

    def progress(done, total, record):
        if record is not None:
            raise error("stop")

    with pytest.raises(error):
        losslab.compare(frame, losses=["mse"], out=out, progress=progress, **KW)
    assert not (out / LOCK_NAME).exists()
    assert _quiet_compare(frame, losses=["mse"], out=out).n_reused == 1  # no stale-lock note


def test_open_removes_only_temporaries_of_this_or_dead_processes(tmp_path):
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert pid_alive(live.pid) and not pid_alive(dead_pid)
        names = {
            "own": f".a.json.pid{os.getpid()}.x1.tmp",
            "dead": f".b.npz.pid{dead_pid}.x2.tmp",
            "live": f".c.json.pid{live.pid}.x3.tmp",
            "unknown": ".d.json.x4.tmp",  # written before temporaries carried a PID
        }
        for name in names.values():
            (tasks / name).write_text("partial")
        (tmp_path / f".results.json.pid{dead_pid}.x5.tmp").write_text("partial")
        store = Store(tmp_path)
        store.open({}, "fp")
        store.close()
        left = sorted(p.name for p in tmp_path.rglob(".*.tmp"))
        assert left == sorted([names["live"], names["unknown"]])
    finally:
        live.kill()
        live.wait(timeout=30)


def test_temporaries_carry_the_writers_pid(tmp_path, monkeypatch):
    from losslab.compare import store as store_mod

    seen = []

    def fail_replace(src, dst):
        seen.append(Path(src).name)
        raise OSError("disk full")

    monkeypatch.setattr(store_mod.os, "replace", fail_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(tmp_path / "x.json", "{}")
    assert seen[0].startswith(f".x.json.pid{os.getpid()}.") and seen[0].endswith(".tmp")
    assert not list(tmp_path.iterdir())  # the failed write left nothing behind


# -- no worker outlives its parent ---------------------------------------------------------------------
def _descendants(pid: int) -> set[int]:
    """PIDs of every live descendant of ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _in_a_task(pid: int) -> bool:
    """Whether a worker has torch loaded, which only a running task imports."""
    try:
        return "libtorch" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_no_worker_is_alive_5s_after_a_jobs_2_run_was_sigkilled(csv, tmp_path):
    out = tmp_path / "out"
    argv = [sys.executable, "-c", "from losslab.cli import app; app()", "compare", str(csv), "-t", "y"]
    argv += ["-l", "mse", "-l", "mae", "--model", "linear", "--folds", "10", "--repeats", "3"]
    argv += ["--epochs", "2000", "--jobs", "2", "--task", "regression", "--out", str(out)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        # wait until both loky workers run tasks (torch loaded, or the first task files stored)
        busy: list[int] = []
        while len(busy) < 2 and not list((out / "tasks").glob("*.json")):
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, f"no worker ran a task in time ({workers})"
            workers = {p for p in _descendants(proc.pid) if "LokyProcess" in _cmdline(p)}
            busy = [p for p in workers if _in_a_task(p)]
            time.sleep(0.05)
        assert len(workers) == 2
        children = _descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        killed = time.monotonic()
        while any(pid_alive(p) for p in children) and time.monotonic() < killed + 5:
            time.sleep(0.1)
        alive = {p: _cmdline(p) for p in children if pid_alive(p)}
        assert not alive, f"alive 5 s after their parent was killed: {alive}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for p in children | workers:  # only the processes this run started
            if pid_alive(p) and sys.executable in _cmdline(p):
                os.kill(p, signal.SIGKILL)
