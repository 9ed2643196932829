"""A compare run killed with a real SIGKILL part-way resumes: no finished task repeated, none lost,
and the results equal an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np, pandas as pd
    import losslab

    def experiment():
        rng = np.random.default_rng(0)
        X = rng.normal(size=(80, 3))
        frame = pd.DataFrame(X, columns=["a", "b", "c"])
        frame["y"] = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.3, 80)
        kwargs = dict(
            target="y", losses=["mse", "huber"], models=["linear", "mlp"], cv=3, task="regression",
            seed=1, threads=1, model_params={"epochs": 4, "lr": 0.05, "hidden": (8,)},
        )
        return frame, kwargs

    if __name__ == "__main__":
        out, slow = sys.argv[1], sys.argv[2] == "slow"

        def progress(done, total, record):
            if slow and record is not None:
                time.sleep(0.3)  # widen the window between stored tasks so the kill lands mid-run

        frame, kwargs = experiment()
        losslab.compare(frame, out=out, progress=progress, **kwargs)
        print("finished")
    """
)
N_TASKS = 2 * 2 * 3 + 3  # two losses × two models × 3 folds, and the constant baseline


def _run(script: Path, out: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), str(out), mode],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _task_files(out: Path) -> dict[str, float]:
    return (
        {p.name: p.stat().st_mtime_ns for p in (out / "tasks").glob("*.json")}
        if (out / "tasks").is_dir()
        else {}
    )


def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path):
    script = tmp_path / "run_compare.py"
    script.write_text(SCRIPT)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(out), "slow"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 180
    while len(_task_files(out)) < 3:
        assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "no task finished in time"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = _task_files(out)
    assert 3 <= len(before) < N_TASKS, f"the kill did not land mid-run ({len(before)} of {N_TASKS} stored)"

    resumed = _run(script, out, "fast")
    assert resumed.returncode == 0, resumed.stderr
    after = _task_files(out)
    # every task exactly once; no stray temporaries; finished tasks were not run again
    assert len(after) == N_TASKS
    assert not list((out / "tasks").glob(".*.tmp"))
    for name, mtime in before.items():
        assert after[name] == mtime, f"{name} was run again"
    doc = json.loads((out / "results.json").read_text())
    ids = [t["id"] for t in doc["tasks"]]
    assert len(ids) == len(set(ids)) == N_TASKS
    assert sum(t["reused"] for t in doc["tasks"]) == len(before)

    # the uninterrupted reference run (in this process: same settings, one thread per task)
    import losslab

    namespace: dict[str, object] = {}
    exec(compile(SCRIPT, "run_compare.py", "exec"), namespace)
    frame, kwargs = namespace["experiment"]()  # type: ignore[operator]
    clean = tmp_path / "clean"
    losslab.compare(frame, out=clean, **kwargs)
    a = pd.read_csv(out / "leaderboard.csv")
    b = pd.read_csv(clean / "leaderboard.csv")
    pd.testing.assert_frame_equal(a.drop(columns=["fit_seconds"]), b.drop(columns=["fit_seconds"]))
    sa = pd.DataFrame(doc["scores"]).sort_values(["task_id", "metric"]).reset_index(drop=True)
    sb = pd.DataFrame(json.loads((clean / "results.json").read_text())["scores"])
    sb = sb.sort_values(["task_id", "metric"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(sa, sb)
    for name in before:
        za = np.load(out / "tasks" / name.replace(".json", ".npz"))
        zb = np.load(clean / "tasks" / name.replace(".json", ".npz"))
        assert np.array_equal(za["value"], zb["value"])
