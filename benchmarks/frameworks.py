"""Speed of the framework faces against the frameworks' own losses, measured in the same run.

Run from the repository root::

    python benchmarks/frameworks.py [--n 100000] [--repeat 30] [--compile]

PyTorch (CPU, float32): forward + backward of ``losslab.torch.Loss(name)`` against the
``torch.nn`` loss with the same definition (``check=False`` and ``check=True``); the backward
runs the analytic gradient through a ``torch.autograd.Function``. With ``--compile`` also the
same step under ``torch.compile`` for both.
JAX (CPU, float32): ``jax.jit(jax.value_and_grad(mean of losslab.jax.<name>))`` against the
same for optax's function, when optax is installed.

Prints the median time of each and the ratio losslab / anchor (below 1 is faster).
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable

import numpy as np
from _timing import median_time


def torch_cases(n: int) -> list[tuple[str, dict, object, object, object]]:
    import torch

    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, generator=g)
    y_reg = torch.randn(n, generator=g)
    y_bin = (torch.rand(n, generator=g) > 0.5).float()
    z = torch.randn(n // 10, 10, generator=g)
    labels = torch.randint(0, 10, (n // 10,), generator=g)
    return [
        ("mse", {}, torch.nn.MSELoss(), x, y_reg),
        ("huber", {"delta": 1.0}, torch.nn.HuberLoss(delta=1.0), x, y_reg),
        ("binary_crossentropy", {}, torch.nn.BCEWithLogitsLoss(), x, y_bin),
        ("categorical_crossentropy", {}, torch.nn.CrossEntropyLoss(), z, labels),
    ]


def bench_torch(n: int, repeat: int) -> None:
    import torch

    import losslab.torch as lt

    torch.set_num_threads(1)
    print(f"PyTorch {torch.__version__}, float32, n = {n} (CE: {n // 10} x 10), 1 thread")
    print(f"{'loss':<26}{'torch.nn':>12}{'losslab':>12}{'ratio':>8}{'check=True':>12}{'ratio':>8}")
    for name, params, anchor, inp, target in torch_cases(n):

        def run(crit: Callable, inp=inp, target=target) -> None:
            a = inp.clone().requires_grad_(True)
            crit(a, target).backward()

        t_anchor = median_time(lambda anchor=anchor: run(anchor), repeat)
        ours = lt.Loss(name, check=False, **params)
        checked = lt.Loss(name, check=True, **params)
        t_ours = median_time(lambda ours=ours: run(ours), repeat)
        t_checked = median_time(lambda checked=checked: run(checked), repeat)
        print(
            f"{name:<26}{t_anchor * 1e3:>10.2f}ms{t_ours * 1e3:>10.2f}ms{t_ours / t_anchor:>8.2f}"
            f"{t_checked * 1e3:>10.2f}ms{t_checked / t_anchor:>8.2f}"
        )


def bench_torch_compiled(n: int, repeat: int) -> None:
    import torch

    import losslab.torch as lt

    print("\ntorch.compile (inductor), the same step compiled for both")
    print(f"{'loss':<26}{'torch.nn':>12}{'losslab':>12}{'ratio':>8}")
    for name, params, anchor, inp, target in torch_cases(n):

        def make(crit: Callable, inp=inp, target=target) -> Callable:
            compiled = torch.compile(lambda a, b: crit(a, b))

            def run() -> None:
                a = inp.clone().requires_grad_(True)
                compiled(a, target).backward()

            return run

        t_anchor = median_time(make(anchor), repeat)
        t_ours = median_time(make(lt.Loss(name, check=False, **params)), repeat)
        print(f"{name:<26}{t_anchor * 1e3:>10.2f}ms{t_ours * 1e3:>10.2f}ms{t_ours / t_anchor:>8.2f}")


def bench_jax(n: int, repeat: int) -> None:
    import jax
    import jax.numpy as jnp

    import losslab.jax as lj

    try:
        import optax
    except ImportError:
        print("optax not installed: JAX comparison skipped")
        return
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=n), dtype=jnp.float32)
    y_reg = jnp.asarray(rng.normal(size=n), dtype=jnp.float32)
    y_bin = jnp.asarray(rng.integers(0, 2, n), dtype=jnp.float32)
    z = jnp.asarray(rng.normal(size=(n // 10, 10)), dtype=jnp.float32)
    labels = jnp.asarray(rng.integers(0, 10, n // 10))
    cases = [
        ("mse", lj.mse, optax.losses.squared_error, x, y_reg),
        ("huber", lj.huber, optax.losses.huber_loss, x, y_reg),
        ("log_cosh", lj.log_cosh, optax.losses.log_cosh, x, y_reg),
        ("binary_crossentropy", lj.binary_crossentropy, optax.losses.sigmoid_binary_cross_entropy, x, y_bin),
        (
            "categorical_crossentropy",
            lj.categorical_crossentropy,
            optax.losses.softmax_cross_entropy_with_integer_labels,
            z,
            labels,
        ),
    ]
    print(f"\nJAX {jax.__version__} / optax {optax.__version__}, float32, n = {n}: jit(value_and_grad(mean))")
    print(f"{'loss':<26}{'optax':>12}{'losslab':>12}{'ratio':>8}")
    for name, ours, anchor, pred, target in cases:

        def make(fn: Callable, pred=pred, target=target) -> Callable:
            step = jax.jit(jax.value_and_grad(lambda p: jnp.mean(fn(p, target))))
            return lambda: jax.block_until_ready(step(pred))

        t_anchor = median_time(make(anchor), repeat)
        t_ours = median_time(make(ours), repeat)
        print(f"{name:<26}{t_anchor * 1e3:>10.3f}ms{t_ours * 1e3:>10.3f}ms{t_ours / t_anchor:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--compile", action="store_true", help="also torch.compile (slow to compile)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    bench_torch(args.n, args.repeat)
    if args.compile:
        bench_torch_compiled(args.n, args.repeat)
    bench_jax(args.n, args.repeat)


if __name__ == "__main__":
    main()
