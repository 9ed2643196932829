"""Training time of losslab's GBDT objectives against the built-in objectives, in the same run.

For XGBoost and LightGBM and the losses mse, binary_crossentropy and quantile, trains the same
model with the library's built-in objective and with the losslab objective (through
``losslab.xgboost.train`` / ``losslab.lightgbm.train``: init score, objective, metric and —
for quantile — the leaf refit after every round, as the built-ins do) and prints the median
wall time of a few repeats and the ratio losslab / built-in (target: ≤ 1.3), and the same for
the process's CPU time (all threads), which varies much less than wall time on a shared machine.
The overhead columns give losslab's extra time per boosting round, ms (wall and CPU): the fixed
per-round cost of the custom objective and the leaf refit, which dominates at small sizes.

    python benchmarks/gbdt_objectives.py                    # 10⁴, 4.5·10⁴, 2·10⁵, 10⁶ rows × 20
    python benchmarks/gbdt_objectives.py --rows 10000,45000 --only quantile --repeats 5
    python benchmarks/gbdt_objectives.py --bare --only mse   # + a bare numpy objective
    python benchmarks/gbdt_objectives.py --weighted          # with sample weights

The timed region is training only (the Dataset/DMatrix is built once, outside). Each pair is
run alternately (built-in, losslab, built-in, …) so drifting machine load hits both alike; one
untimed warm-up pair runs first (imports, the numba kernels' cache load).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import losslab
import losslab.lightgbm as ll
import losslab.xgboost as lx

TAU = 0.9


def make_data(rows: int, features: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features)).astype(np.float32)
    signal = X[:, 0] + 0.5 * np.sin(3 * X[:, 1]) + 0.25 * X[:, 2] * X[:, 3]
    y_reg = signal + rng.normal(size=rows) * (1 + np.abs(X[:, 4]))
    y_bin = (signal + rng.logistic(size=rows) > 0).astype(np.float64)
    return {"X": X, "reg": y_reg, "bin": y_bin}


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process — all threads)."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def bare_objectives(y: np.ndarray, w: np.ndarray | None) -> tuple[Callable, Callable]:
    """The least a custom squared-error objective can do (no checks, no init score): what the
    libraries' custom-objective path costs by itself, against which losslab's overhead shows."""
    ww = np.ones(y.shape[0]) if w is None else w
    hess = ww.astype(np.float32)

    def xgb_obj(preds: np.ndarray, dtrain: Any) -> tuple[np.ndarray, np.ndarray]:
        return ((preds - y) * ww).astype(np.float32), hess

    def lgb_obj(preds: np.ndarray, train_set: Any) -> tuple[np.ndarray, np.ndarray]:
        return ((preds - y) * ww).astype(np.float32), hess

    return xgb_obj, lgb_obj


def cases(
    data: dict[str, Any], rounds: int, threads: int, bare: bool = False
) -> list[tuple[str, str, Callable, Callable]]:
    import lightgbm as lgb
    import xgboost as xgb

    X = data["X"]
    xp = {"max_depth": 6, "eta": 0.1, "tree_method": "hist", "nthread": threads, "max_bin": 256}
    lp = {"num_leaves": 63, "learning_rate": 0.1, "verbose": -1, "num_threads": threads, "max_bin": 255}
    w = data.get("w")  # --weighted: per-row sample weights in every dataset
    d_reg = xgb.DMatrix(X, label=data["reg"], weight=w, nthread=threads)
    d_bin = xgb.DMatrix(X, label=data["bin"], weight=w, nthread=threads)
    # LightGBM bins a Dataset once; reuse the constructed one (free_raw_data=False keeps X for the
    # refit's leaf indices)
    l_reg = lgb.Dataset(X, data["reg"], weight=w, params=lp, free_raw_data=False).construct()
    l_bin = lgb.Dataset(X, data["bin"], weight=w, params=lp, free_raw_data=False).construct()
    q = losslab.get("quantile", quantile=TAU)

    def lgb_ds(ds: Any) -> Any:
        ds.set_init_score(None)  # losslab.lightgbm.train sets it; the built-in must not see it
        return ds

    out: list[tuple[str, str, Callable, Callable]] = []
    if bare:  # in these rows the "losslab" columns time the bare objective
        xgb_obj, lgb_obj = bare_objectives(data["reg"], w)
        out = [
            (
                "xgboost",
                "mse (bare fobj)",
                lambda: xgb.train({**xp, "objective": "reg:squarederror"}, d_reg, rounds),
                lambda: xgb.train(xp, d_reg, rounds, obj=xgb_obj),
            ),
            (
                "lightgbm",
                "mse (bare fobj)",
                lambda: lgb.train({**lp, "objective": "regression"}, lgb_ds(l_reg), rounds),
                lambda: lgb.train({**lp, "objective": lgb_obj}, lgb_ds(l_reg), rounds),
            ),
        ]
    return [
        *out,
        (
            "xgboost",
            "mse",
            lambda: xgb.train({**xp, "objective": "reg:squarederror"}, d_reg, rounds),
            lambda: lx.train("mse", xp, d_reg, rounds),
        ),
        (
            "xgboost",
            "binary_crossentropy",
            lambda: xgb.train({**xp, "objective": "binary:logistic"}, d_bin, rounds),
            lambda: lx.train("binary_crossentropy", xp, d_bin, rounds),
        ),
        (
            "xgboost",
            f"quantile({TAU})",
            lambda: xgb.train({**xp, "objective": "reg:quantileerror", "quantile_alpha": TAU}, d_reg, rounds),
            lambda: lx.train(q, xp, d_reg, rounds),
        ),
        (
            "lightgbm",
            "mse",
            lambda: lgb.train({**lp, "objective": "regression"}, lgb_ds(l_reg), rounds),
            lambda: ll.train("mse", lp, lgb_ds(l_reg), rounds),
        ),
        (
            "lightgbm",
            "binary_crossentropy",
            lambda: lgb.train({**lp, "objective": "binary"}, lgb_ds(l_bin), rounds),
            lambda: ll.train("binary_crossentropy", lp, lgb_ds(l_bin), rounds),
        ),
        (
            "lightgbm",
            f"quantile({TAU})",
            lambda: lgb.train({**lp, "objective": "quantile", "alpha": TAU}, lgb_ds(l_reg), rounds),
            lambda: ll.train(q, lp, lgb_ds(l_reg), rounds),
        ),
    ]


def _rows(text: str) -> list[int]:
    return [int(float(v)) for v in text.split(",") if v.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=_rows, default=[10_000, 45_000, 200_000, 1_000_000], help="comma-separated row counts"
    )
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated library names or losses to run")
    parser.add_argument("--weighted", action="store_true", help="sample weights uniform on [0.5, 2]")
    parser.add_argument(
        "--bare", action="store_true", help="also time a bare numpy mse objective against the built-in"
    )
    args = parser.parse_args()

    import lightgbm
    import xgboost

    print(
        f"features={args.features} rounds={args.rounds} repeats={args.repeats} "
        f"weighted={args.weighted} "
        f"threads={args.threads}  xgboost {xgboost.__version__}, lightgbm {lightgbm.__version__}"
    )
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    print(
        f"{'rows':>9s} {'library':10s} {'loss':22s} {'built-in s':>11s} {'losslab s':>10s} {'ratio':>6s}"
        f" {'built-in cpu':>13s} {'losslab cpu':>12s} {'ratio':>6s} {'ms/round':>9s} {'cpu ms/round':>13s}"
    )
    for rows in args.rows:
        data = make_data(rows, args.features)
        if args.weighted:
            data["w"] = np.random.default_rng(1).uniform(0.5, 2.0, rows)
        for lib, name, builtin, ours in cases(data, args.rounds, args.threads, args.bare):
            if only and lib not in only and name.split("(")[0].strip() not in only:
                continue
            builtin(), ours()  # warm-up, untimed
            tb, to = [], []
            for _ in range(args.repeats):
                tb.append(timed(builtin))
                to.append(timed(ours))
            mb, mo = (statistics.median(t[0] for t in ts) for ts in (tb, to))
            cb, co = (statistics.median(t[1] for t in ts) for ts in (tb, to))
            per_round = 1e3 / args.rounds
            print(
                f"{rows:9,d} {lib:10s} {name:22s} {mb:11.2f} {mo:10.2f} {mo / mb:6.2f} {cb:13.2f} {co:12.2f}"
                f" {co / cb:6.2f} {(mo - mb) * per_round:9.2f} {(co - cb) * per_round:13.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
