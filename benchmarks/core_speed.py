"""Speed of losslab's NumPy losses against scikit-learn's Cython losses and a memory bound.

Run from the repository root::

    python benchmarks/core_speed.py [--sizes 10000 1000000 10000000] [--repeats 7] [--quick]

For every loss scikit-learn has (``sklearn._loss``, ``n_threads=2``), the same work on both
sides: gradient + Hessian (``gradient_hessian``) and per-sample value + gradient (losslab's
``value_and_gradient(reduction="none")`` against sklearn's ``loss_gradient``), at each size,
float64 and float32. losslab runs with its default ``check=True`` (the fused check included) on
the fused engine's two threads. Table 1: both sides allocate fresh outputs; table 2: both write
into preallocated arrays (``out=`` / ``*_out=``). The STREAM-like bound is ``a + b`` into a fresh
array (table 1) or ``np.add(a, b, out=c)`` (table 2): one pass that reads two arrays and writes
one, single-threaded NumPy. Each number is the median of ``--repeats`` runs, the two sides
alternating run by run; the ratio is losslab / scikit-learn (below 1 is faster). sklearn's
"half" losses are half of losslab's (mse = 2·HalfSquaredError …): the work is the same.
A last table gives losslab's ``check=True`` / ``check=False`` time at 10⁶ elements, and
losslab alone for losses scikit-learn lacks.

OpenMP threads wait passively (``OMP_WAIT_POLICY=PASSIVE`` unless set): with the default
spin-wait, scikit-learn's two OpenMP threads keep spinning after each call and take the two
cores from the call that follows it (losslab's, or the next one), which made every 10⁴-element
call on either side cost ~3.7 ms.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before OpenMP starts (see the docstring)

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

import losslab

DISTRIBUTIONS = {
    "regression": "y ~ N(0, 1), f ~ N(0, 1)",
    "binary": "y ~ Bernoulli(1/2), f ~ N(0, 3²) (logits)",
    "poisson": "s ~ N(0.5, 0.5²), y ~ Poisson(e^s)",
    "gamma": "s ~ N(0.5, 0.5²), y ~ Gamma(shape 2, mean e^s)",
    "tweedie": "s ~ N(0.5, 0.5²), y ~ compound Poisson-Gamma (power 1.5, mean e^s)",
    "multiclass": "5 classes, labels uniform, logits N(0, 3²); n elements = n/5 rows",
    "msle": "y, f ~ e^N(1, 1) − 1 independently (both > −1)",
}


def data(kind: str, n: int, dtype: Any, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "regression":
        y, f = rng.normal(size=n), rng.normal(size=n)
    elif kind == "binary":
        y, f = rng.integers(0, 2, n).astype(float), rng.normal(0.0, 3.0, n)
    elif kind == "multiclass":
        m = n // 5
        y, f = rng.integers(0, 5, m).astype(float), rng.normal(0.0, 3.0, (m, 5))
    else:
        y, f = losslab.get(kind).example(n, seed)  # poisson, gamma, tweedie, msle: their own examples
    return y.astype(dtype), np.ascontiguousarray(f.astype(dtype))


def sklearn_cases() -> list[tuple[str, str, Any, Any]]:
    from sklearn._loss import loss as sk

    return [
        ("mse", "regression", losslab.get("mse"), sk.HalfSquaredError()),
        ("mae", "regression", losslab.get("mae"), sk.AbsoluteError()),
        ("quantile(0.9)", "regression", losslab.get("quantile", quantile=0.9), sk.PinballLoss(quantile=0.9)),
        ("huber(1)", "regression", losslab.get("huber", delta=1.0), sk.HuberLoss(delta=1.0)),
        ("binary_crossentropy", "binary", losslab.get("binary_crossentropy"), sk.HalfBinomialLoss()),
        ("poisson", "poisson", losslab.get("poisson"), sk.HalfPoissonLoss()),
        ("gamma", "gamma", losslab.get("gamma"), sk.HalfGammaLoss()),
        ("tweedie(1.5)", "tweedie", losslab.get("tweedie", power=1.5), sk.HalfTweedieLoss(power=1.5)),
        ("exponential", "binary", losslab.get("exponential"), sk.ExponentialLoss()),
        (
            "categorical_crossentropy",
            "multiclass",
            losslab.get("categorical_crossentropy"),
            sk.HalfMultinomialLoss(n_classes=5),
        ),
    ]


ALONE = [
    ("expectile(0.2)", "regression", losslab.get("expectile", expectile=0.2)),
    ("tweedie(3)", "gamma", losslab.get("tweedie", power=3.0)),
    ("smooth_l1(0.5)", "regression", losslab.get("smooth_l1", beta=0.5)),
    ("pseudo_huber(1)", "regression", losslab.get("pseudo_huber", delta=1.0)),
    ("fair(1)", "regression", losslab.get("fair", c=1.0)),
    ("mape", "regression", losslab.get("mape")),
    ("msle", "msle", losslab.get("msle")),
    ("hinge", "binary", losslab.get("hinge")),
    ("squared_hinge", "binary", losslab.get("squared_hinge")),
    ("perceptron", "binary", losslab.get("perceptron")),
    ("modified_huber", "binary", losslab.get("modified_huber")),
]


def alternating(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median times of ``fns``, run in turn ``repeats`` times after one warm-up each."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def calls(
    loss: Any, sk: Any, y: np.ndarray, f: np.ndarray, work: str, out: bool
) -> tuple[Callable, Callable]:
    """(losslab call, sklearn call) doing ``work`` ("gh" or "vg"), into fresh or given arrays."""
    g = np.empty_like(f)
    if work == "gh":
        h = np.empty_like(f)
        lab = partial(loss.gradient_hessian, y, f, out=(g, h) if out else None)
        skl = partial(sk.gradient_hessian, y, f, n_threads=2)
        return lab, partial(skl, gradient_out=g, hessian_out=h) if out else skl
    lab = partial(loss.value_and_gradient, y, f, reduction="none", out=g if out else None)
    skl = partial(sk.loss_gradient, y, f, n_threads=2)
    v = np.empty(f.shape[0], f.dtype)
    return lab, partial(skl, loss_out=v, gradient_out=g) if out else skl


def stream(n: int, dtype: Any, out: bool, repeats: int) -> float:
    a, b = np.ones(n, dtype), np.ones(n, dtype)
    c = np.empty(n, dtype)
    fn = (lambda: np.add(a, b, out=c)) if out else (lambda: a + b)
    return alternating([fn], repeats)[0]


def ms(t: float) -> str:
    return f"{t * 1e3:.3g}" if t < 1 else f"{t:.3g} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    args = parser.parse_args()
    import numba
    import sklearn
    import threadpoolctl

    print(f"losslab {losslab.__version__}, scikit-learn {sklearn.__version__}, numba {numba.__version__}, "
          f"NumPy {np.__version__}; numba threads {numba.get_num_threads()}; "
          f"{threadpoolctl.threadpool_info()[0].get('num_threads', '?')} BLAS/OpenMP threads")  # fmt: skip
    print("inputs: " + "; ".join(f"{k}: {v}" for k, v in DISTRIBUTIONS.items()))
    cases = sklearn_cases()
    for out in (False, True):
        title = "outputs into preallocated arrays (out=)" if out else "fresh outputs on both sides"
        print(f"\n## {title}; times in ms, median of {args.repeats} alternating runs\n")
        print("| loss | work | dtype | n | losslab | scikit-learn | ratio | STREAM-like | losslab / STREAM |")
        print("|---|---|---|---|---|---|---|---|---|")
        for dtype in args.dtypes:
            for n in args.sizes:
                bound = stream(n, dtype, out, args.repeats)
                for name, kind, loss, sk in cases:
                    y, f = data(kind, n, dtype)
                    for work in ("gh", "vg"):
                        lab, skl = calls(loss, sk, y, f, work, out)
                        t_l, t_s = alternating([lab, skl], args.repeats)
                        label = "grad + Hessian" if work == "gh" else "value + grad"
                        print(f"| {name} | {label} | {dtype} | {n:.0e} | {ms(t_l)} | {ms(t_s)} | "
                              f"{t_l / t_s:.2f} | {ms(bound)} | {t_l / bound:.2f} |", flush=True)  # fmt: skip
    n = 1_000_000
    print(f"\n## check=True against check=False, n = {n:.0e}, float64, fresh outputs\n")
    print("| loss | work | check=True | check=False | overhead |")
    print("|---|---|---|---|---|")
    for name, kind, loss in [(c[0], c[1], c[2]) for c in cases] + ALONE:
        y, f = data(kind, n, "float64")
        for work, label in (("gh", "grad + Hessian"), ("vg", "value + grad")):
            if work == "gh":
                on, off = (
                    partial(loss.gradient_hessian, y, f),
                    partial(loss.gradient_hessian, y, f, check=False),
                )
            else:
                on = partial(loss.value_and_gradient, y, f, reduction="none")
                off = partial(loss.value_and_gradient, y, f, reduction="none", check=False)
            t_on, t_off = alternating([on, off], args.repeats)
            print(
                f"| {name} | {label} | {ms(t_on)} | {ms(t_off)} | {100 * (t_on / t_off - 1):+.0f}% |",
                flush=True,
            )


if __name__ == "__main__":
    main()
