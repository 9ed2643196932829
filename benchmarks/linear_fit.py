"""Speed of the default linear fit against scikit-learn's linear models, measured in the same run.

`LossRegressor(loss=...)` / `LossClassifier()` with no other argument (model="linear", the solver:
all rows, Newton to tolerance, preprocessing inside the estimator) against scikit-learn's
`LinearRegression` (mse), `LogisticRegression` (binary cross-entropy) and `PoissonRegressor`
(poisson) with their defaults, on the same n × d Gaussian features. Both sides run on one thread
(torch, BLAS and OpenMP via threadpoolctl, losslab's fused loss engine via
``losslab._core.fastpath.limit_threads``; ``--engine-threads 0`` lets the engine use every core)
so that the ratio does not depend on the machine's other load.
Prints the median wall time of ``--repeats`` fits (after a warm-up), the ratio ours/scikit-learn,
the same ratio in CPU time (median process time: steadier on a loaded machine), our iteration
count, the time and ratio of the anchor run to the same accuracy as ours (no penalty, tol=1e-12;
scikit-learn's defaults stop at tol=1e-4 with an L2 penalty for LogisticRegression and alpha=1
for PoissonRegressor), and the largest prediction difference from that exact run (in units of
std(y), or in probability).

    python benchmarks/linear_fit.py [--n 100000] [--d 10] [--repeats 5] [--engine-threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from _timing import median_time
from sklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegressor
from threadpoolctl import threadpool_limits

from losslab._core import fastpath
from losslab.sklearn import LossClassifier, LossRegressor


def cpu_time(fn: Callable[[], object], repeat: int) -> float:
    """Median process (CPU) time of ``repeat`` calls of ``fn``, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def data(n: int, d: int, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    eta = X @ (rng.normal(size=d) * 0.3)
    return {
        "mse": (X, 2.0 * eta + 1.0 + rng.normal(size=n)),
        "binary_crossentropy": (X, (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)),
        "poisson": (X, rng.poisson(np.exp(eta)).astype(float)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--engine-threads", type=int, default=1, help="losslab's fused engine (0: every core)")
    args = ap.parse_args()
    sets = data(args.n, args.d)
    cases = [
        ("mse", LossRegressor(loss="mse"), LinearRegression(), LinearRegression()),
        (
            "binary_crossentropy",
            LossClassifier(),
            LogisticRegression(),
            LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000),
        ),
        ("poisson", LossRegressor(loss="poisson"), PoissonRegressor(), PoissonRegressor(alpha=0, tol=1e-12)),
    ]
    engine = args.engine_threads if args.engine_threads > 0 else None
    print(
        f"n={args.n} d={args.d} repeats={args.repeats} (median seconds; torch and BLAS on one "
        f"thread, the fused engine on {engine or 'every core'})"
    )
    print(
        f"{'loss':22s} {'losslab':>9s} {'sklearn':>9s} {'ratio':>6s} {'cpu ratio':>9s} {'iters':>5s} "
        f"{'exact':>9s} {'ratio':>6s} {'max |Δpred|':>12s}"
    )
    torch.set_num_threads(1)
    with threadpool_limits(limits=1), fastpath.limit_threads(engine):
        for name, ours, anchor, exact in cases:
            X, y = sets[name]
            t_ours = median_time(lambda ours=ours, X=X, y=y: ours.fit(X, y), args.repeats)
            t_anchor = median_time(lambda anchor=anchor, X=X, y=y: anchor.fit(X, y), args.repeats)
            cpu = cpu_time(lambda ours=ours, X=X, y=y: ours.fit(X, y), args.repeats) / cpu_time(
                lambda anchor=anchor, X=X, y=y: anchor.fit(X, y), args.repeats
            )
            t_exact = median_time(lambda exact=exact, X=X, y=y: exact.fit(X, y), args.repeats)
            if hasattr(exact, "predict_proba"):
                diff = np.abs(ours.predict_proba(X) - exact.predict_proba(X)).max()
            else:
                diff = np.abs(ours.predict(X) - exact.predict(X)).max() / y.std()
            print(
                f"{name:22s} {t_ours:9.4f} {t_anchor:9.4f} {t_ours / t_anchor:6.2f} {cpu:9.2f} "
                f"{ours.n_iter_:5d} {t_exact:9.4f} {t_ours / t_exact:6.2f} {diff:12.2e}"
            )


if __name__ == "__main__":
    main()
