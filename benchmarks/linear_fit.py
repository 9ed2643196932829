"""Speed of the default linear fit against scikit-learn's linear models, measured in the same run.

`LossRegressor(loss=...)` / `LossClassifier()` with no other argument (model="linear", the solver:
all rows, Newton to tolerance, preprocessing inside the estimator) against scikit-learn's
`LinearRegression` (mse), `LogisticRegression` (binary cross-entropy) and `PoissonRegressor`
(poisson) with their defaults, on the same n × d Gaussian features. Both sides run on one thread
(torch and BLAS via threadpoolctl) so that the ratio does not depend on the machine's other load.
Prints the median of ``--repeats`` fits (after a warm-up), the ratio ours/scikit-learn, our
iteration count, the time and ratio of the anchor run to the same accuracy as ours (no penalty,
tol=1e-12; scikit-learn's defaults stop at tol=1e-4 with an L2 penalty for LogisticRegression
and alpha=1 for PoissonRegressor), and the largest prediction difference from that exact run (in
units of std(y), or in probability).

    python benchmarks/linear_fit.py [--n 100000] [--d 10] [--repeats 5]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from _timing import median_time
from sklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegressor
from threadpoolctl import threadpool_limits

from losslab.sklearn import LossClassifier, LossRegressor


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
    print(f"n={args.n} d={args.d} repeats={args.repeats} (median seconds, one thread)")
    print(
        f"{'loss':22s} {'losslab':>9s} {'sklearn':>9s} {'ratio':>6s} {'iters':>5s} "
        f"{'exact':>9s} {'ratio':>6s} {'max |Δpred|':>12s}"
    )
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        for name, ours, anchor, exact in cases:
            X, y = sets[name]
            t_ours = median_time(lambda ours=ours, X=X, y=y: ours.fit(X, y), args.repeats)
            t_anchor = median_time(lambda anchor=anchor, X=X, y=y: anchor.fit(X, y), args.repeats)
            t_exact = median_time(lambda exact=exact, X=X, y=y: exact.fit(X, y), args.repeats)
            if hasattr(exact, "predict_proba"):
                diff = np.abs(ours.predict_proba(X) - exact.predict_proba(X)).max()
            else:
                diff = np.abs(ours.predict(X) - exact.predict(X)).max() / y.std()
            print(
                f"{name:22s} {t_ours:9.4f} {t_anchor:9.4f} {t_ours / t_anchor:6.2f} "
                f"{ours.n_iter_:5d} {t_exact:9.4f} {t_ours / t_exact:6.2f} {diff:12.2e}"
            )


if __name__ == "__main__":
    main()
