"""Speed of training with losslab against the anchors, measured in the same run.

1. The loop: `losslab.train.fit` with a losslab loss against a hand-written PyTorch loop with
   PyTorch's own loss (same MLP, data, Adam, batch size, epochs; no validation split, no early
   stopping) — the overhead of losslab's loss and loop per epoch.
2. The estimator: `LossRegressor(model="mlp")` against scikit-learn's `MLPRegressor` with the same
   architecture, solver, batch size and number of epochs (both from fit() to fitted).

Both use one thread (torch.set_num_threads(1), threadpoolctl) so that the ratio does not depend
on the machine's other load. Prints medians of ``--repeats`` runs and the ratios.

    python benchmarks/train_speed.py [--n 4000] [--epochs 20] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

import losslab
from losslab.train import MLP, fit


def torch_loop(
    X: torch.Tensor, y: torch.Tensor, crit: torch.nn.Module, epochs: int, bs: int, seed: int
) -> float:
    torch.manual_seed(seed)
    net = MLP(X.shape[1], hidden=(64,), init_bias=float(y.mean()))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    n = X.shape[0]
    for _ in range(epochs):
        net.train()
        order = torch.randperm(n, generator=gen)
        for b in range(0, n, bs):
            idx = order[b : b + bs]
            opt.zero_grad(set_to_none=True)
            loss = crit(net(X[idx]), y[idx])
            if not torch.isfinite(loss):  # the same divergence check losslab does
                raise RuntimeError("diverged")
            loss.backward()
            opt.step()
    return time.perf_counter() - t0


def losslab_loop(X: torch.Tensor, y: torch.Tensor, name: str, epochs: int, bs: int, seed: int) -> float:
    torch.manual_seed(seed)
    net = MLP(X.shape[1], hidden=(64,), init_bias=float(y.mean()))
    t0 = time.perf_counter()
    fit(net, losslab.get(name), X, y, lr=1e-3, epochs=epochs, batch_size=bs, early_stopping=False, seed=seed)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    Xn = rng.normal(size=(args.n, 10))
    yn = Xn[:, 0] - 2 * Xn[:, 1] ** 2 + rng.normal(size=args.n)
    X = torch.as_tensor(Xn)
    y = torch.as_tensor(yn)
    yb = (y > y.median()).to(torch.float64)
    bs = 64
    print(
        f"n={args.n}, 10 features, MLP(64), Adam, batch {bs}, {args.epochs} epochs, "
        f"{args.repeats} repeats, 1 thread"
    )
    print(f"{'what':44s} {'median s':>9s} {'anchor s':>9s} {'ratio':>6s}")
    with threadpool_limits(1):
        # warm-up: first calls import torch's compile-detection machinery and fill caches
        losslab_loop(X[:256], y[:256], "mse", 1, bs, 0)
        torch_loop(X[:256], y[:256], torch.nn.MSELoss(), 1, bs, 0)
        for name, crit, target in (
            ("mse", torch.nn.MSELoss(), y),
            ("binary_crossentropy", torch.nn.BCEWithLogitsLoss(), yb),
        ):
            ours = [losslab_loop(X, target, name, args.epochs, bs, s) for s in range(args.repeats)]
            theirs = [torch_loop(X, target, crit, args.epochs, bs, s) for s in range(args.repeats)]
            a, b = statistics.median(ours), statistics.median(theirs)
            print(f"{'losslab.train.fit ' + name + ' vs torch loop':44s} {a:9.3f} {b:9.3f} {a / b:6.2f}")

        from sklearn.neural_network import MLPRegressor

        from losslab.sklearn import LossRegressor

        ours, theirs = [], []
        for s in range(args.repeats):
            est = LossRegressor(
                model="mlp",
                hidden=(64,),
                lr=1e-3,
                epochs=args.epochs,
                batch_size=bs,
                early_stopping=False,
                validation_fraction=0.0,
                seed=s,
            )
            t0 = time.perf_counter()
            est.fit(Xn, yn)
            ours.append(time.perf_counter() - t0)
            ref = MLPRegressor(
                hidden_layer_sizes=(64,),
                solver="adam",
                learning_rate_init=1e-3,
                batch_size=bs,
                max_iter=args.epochs,
                tol=0.0,
                n_iter_no_change=10**9,
                alpha=0.0,
                random_state=s,
            )
            t0 = time.perf_counter()
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter reached, as asked
                ref.fit(Xn, yn)
            theirs.append(time.perf_counter() - t0)
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"{'LossRegressor(mlp) vs sklearn MLPRegressor':44s} {a:9.3f} {b:9.3f} {a / b:6.2f}")


if __name__ == "__main__":
    main()
