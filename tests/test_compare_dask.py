"""compare on a real Dask cluster on loopback (scheduler + two worker processes) gives the same
leaderboard as the local run with the same seed."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import losslab

distributed = pytest.importorskip("distributed")  # the dask extra; CI installs it


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    ) as c:
        yield c


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(90, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["label"] = np.where(X @ np.array([1.5, -1.0, 0.5]) + rng.normal(0, 0.7, 90) > 0, "yes", "no")
    return frame


KW = {
    "target": "label",
    "losses": ["binary_crossentropy", "hinge"],
    "models": ["mlp"],
    "cv": 3,
    "seed": 7,
    "threads": 1,
    "model_params": {"epochs": 4, "lr": 0.05, "hidden": (8,)},
}


def test_dask_cluster_matches_local_run(cluster, tmp_path):
    local = losslab.compare(_frame(), out=tmp_path / "local", **KW)
    # a scheduler address (tcp://127.0.0.1:port): compare opens and closes its own client
    remote = losslab.compare(_frame(), scheduler=cluster.scheduler_address, out=tmp_path / "dask", **KW)
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert remote.config["scheduler"] == cluster.scheduler_address
    drop = ["fit_seconds"]
    pd.testing.assert_frame_equal(local.leaderboard.drop(columns=drop), remote.leaderboard.drop(columns=drop))
    key = ["task_id", "metric"]
    a = local.scores.sort_values(key).reset_index(drop=True)
    b = remote.scores.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert len(remote.failures) == 0 and len(remote.tasks) == 9  # with the constant baseline


def test_dask_existing_client_runs_on_the_workers(cluster):
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        kw = {**KW, "losses": ["binary_crossentropy"], "models": ["linear"]}
        cmp = losslab.compare(_frame(), scheduler=client, **kw)
        # the tasks ran on the cluster's worker processes (their keys are in the scheduler's log)
        story = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.transition_log))
        assert any("losslab-" in str(entry[0]) for entry in story)
        assert client.status == "running"  # a client passed in is not closed
    assert len(cmp.tasks) == 6 and cmp.leaderboard["n_folds"].iloc[0] == 3  # + baseline
