"""Cost of the exact focal losses: against cross-entropy (NumPy) and optax (JAX), same run.

Run from the repository root::

    python benchmarks/focal.py [--n 100000] [--repeat 20]

NumPy (float64): value + gradient + Hessian of ``binary_focal``/``categorical_focal`` against
``binary_crossentropy``/``categorical_crossentropy`` (what the log-space focal factor costs).
JAX (float32, CPU): ``jit(value_and_grad(mean))`` of ``losslab.jax.binary_focal`` against
``optax.sigmoid_focal_loss`` (gamma = 2), when optax is installed. Prints medians and ratios.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from _timing import median_time

import losslab


def bench_numpy(n: int, repeat: int) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 3, n), rng.integers(0, 2, n).astype(float)
    z, labels = rng.normal(0, 3, (n // 10, 10)), rng.integers(0, 10, n // 10)
    print(
        f"NumPy {np.__version__}, float64, n = {n} (categorical: {n // 10} x 10): value + gradient + Hessian"
    )
    print(f"{'loss':<34}{'cross-entropy':>14}{'focal':>12}{'ratio':>8}")
    cases = [
        ("binary_focal(gamma=2)", "binary_crossentropy", "binary_focal", {"gamma": 2.0}, y, x),
        (
            "binary_focal(gamma=0.5, alpha=.25)",
            "binary_crossentropy",
            "binary_focal",
            {"gamma": 0.5, "alpha": 0.25},
            y,
            x,
        ),
        (
            "categorical_focal(gamma=2)",
            "categorical_crossentropy",
            "categorical_focal",
            {"gamma": 2.0},
            labels,
            z,
        ),
    ]
    for label, ce_name, focal_name, kw, yy, ff in cases:

        def step(loss: losslab.Loss, yy=yy, ff=ff) -> Callable[[], object]:
            return lambda: (loss(yy, ff, check=False), loss.gradient_hessian(yy, ff, check=False))

        t_ce = median_time(step(losslab.get(ce_name)), repeat)
        t_focal = median_time(step(losslab.get(focal_name, **kw)), repeat)
        print(f"{label:<34}{t_ce * 1e3:>12.2f}ms{t_focal * 1e3:>10.2f}ms{t_focal / t_ce:>8.2f}")


def bench_jax(n: int, repeat: int) -> None:
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        print("optax not installed: JAX comparison skipped")
        return
    import losslab.jax as lj

    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(0, 3, n), dtype=jnp.float32)
    y = jnp.asarray(rng.integers(0, 2, n), dtype=jnp.float32)
    print(f"\nJAX {jax.__version__} / optax {optax.__version__}, float32, n = {n}: jit(value_and_grad(mean))")
    print(f"{'loss':<34}{'optax':>14}{'losslab':>12}{'ratio':>8}")
    for gamma in (2.0, 0.5):

        def make(fn: Callable[..., object]) -> Callable[[], object]:
            step = jax.jit(jax.value_and_grad(lambda p: jnp.mean(fn(p))))
            return lambda: jax.block_until_ready(step(x))

        t_o = median_time(make(lambda p, g=gamma: optax.sigmoid_focal_loss(p, y, gamma=g)), repeat)
        t_l = median_time(make(lambda p, g=gamma: lj.binary_focal(p, y, gamma=g, check=False)), repeat)
        print(
            f"{f'binary_focal(gamma={gamma})':<34}{t_o * 1e3:>12.3f}ms{t_l * 1e3:>10.3f}ms{t_l / t_o:>8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    bench_numpy(args.n, args.repeat)
    bench_jax(args.n, args.repeat)


if __name__ == "__main__":
    main()
