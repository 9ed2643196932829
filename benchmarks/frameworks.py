"""Speed of the framework faces against the frameworks' own losses: eager, compiled and jitted.

Run from the repository root::

    python benchmarks/frameworks.py [--n 100000] [--repeat 30] [--modes eager,compile,jit] [--clock cpu]
        [--processes 5]

One training step's loss work, forward + backward of the mean loss, float32 on the CPU, one
thread for PyTorch, measured in the same run with the anchor and losslab alternating:

- eager: ``losslab.torch.Loss(name)`` (the default ``check=True``; also ``check=False``)
  against the ``torch.nn`` loss with the same definition, ``loss(x, y).backward()``. "ops" is
  the same loss as a textbook composition of torch operations under autograd (not exact at
  extreme inputs): what any loss not fused into one ATen kernel costs in eager PyTorch.
- compile: the same step with the loss call ``torch.compile``d (inductor, ``fullgraph=True``)
  for both; backward runs AOTAutograd's compiled backward. Data checks are skipped inside a
  compiled graph, as under JAX tracing.
- jit: ``jax.jit(jax.value_and_grad(mean of losslab.jax.<name>))`` against the same for
  optax's function of the same mathematics: ``squared_error`` (optax's ``l2_loss`` is half of
  it), ``huber_loss`` (same scaling as losslab's), ``sigmoid_binary_cross_entropy`` and
  ``softmax_cross_entropy_with_integer_labels``.

Cross-entropy uses n/10 rows of 10 classes (n scores in all) and integer labels. Prints the
median time of each and the ratio losslab / anchor (below 1 is faster).

``--processes K`` repeats the whole measurement in K fresh processes and prints, per cell, the
median over the processes of the times and of the ratios, and the range of each eager ratio:
eager PyTorch's figures move by ±0.15× from one process to the next (the allocator's state;
each fresh 400 kB array faults in its pages), more than within one process.

- triplet: ``triplet_margin`` on a batch of 64 labelled embeddings (8 classes of 8, d = 32,
  every valid triplet, 64·7·56 = 25,088) against ``torch.nn.TripletMarginLoss`` (eager) and
  optax's ``triplet_margin_loss`` (jit) on the same triplets, enumerated beforehand (the
  anchors' mining is not timed; losslab's is), averaged per anchor as losslab's rows are.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

LOSSES = ("mse", "huber", "binary_crossentropy", "categorical_crossentropy")
PARAMS = {"huber": {"delta": 1.0}}


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def alternating_medians(
    fns: dict[str, Callable[[], object]], repeat: int, warmup: int = 3
) -> dict[str, float]:
    """Median time of each function (``clock``), the functions called in turn ``repeat`` times."""
    for fn in fns.values():
        for _ in range(warmup):  # compile, and any recompile after the first call
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = clock()
            fn()
            times[k].append(clock() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


# -- PyTorch ---------------------------------------------------------------------------------
def torch_data(n: int) -> dict[str, tuple[object, object]]:
    import torch

    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, generator=g)
    y_reg = torch.randn(n, generator=g)
    y_bin = (torch.rand(n, generator=g) > 0.5).float()
    z = torch.randn(n // 10, 10, generator=g)
    labels = torch.randint(0, 10, (n // 10,), generator=g)
    return {
        "mse": (x, y_reg),
        "huber": (x, y_reg),
        "binary_crossentropy": (x, y_bin),
        "categorical_crossentropy": (z, labels),
    }


def torch_anchor(name: str) -> Callable:
    import torch

    return {
        "mse": torch.nn.MSELoss(),
        "huber": torch.nn.HuberLoss(delta=1.0),
        "binary_crossentropy": torch.nn.BCEWithLogitsLoss(),
        "categorical_crossentropy": torch.nn.CrossEntropyLoss(),
    }[name]


def torch_ops(name: str) -> Callable:
    """The loss as a textbook composition of torch operations (autograd differentiates it)."""
    import torch
    from torch.nn import functional as F

    def huber(a, y):
        r = (a - y).abs()
        return torch.where(r < 1.0, 0.5 * r * r, r - 0.5).mean()

    return {
        "mse": lambda a, y: ((a - y) ** 2).mean(),
        "huber": huber,
        "binary_crossentropy": lambda a, y: (y * F.softplus(-a) + (1 - y) * F.softplus(a)).mean(),
        "categorical_crossentropy": lambda a, y: -F.log_softmax(a, dim=1).gather(1, y[:, None]).mean(),
    }[name]


def step(crit: Callable, inp: object, target: object) -> Callable[[], None]:
    def run() -> None:
        a = inp.clone().requires_grad_(True)
        crit(a, target).backward()

    return run


def bench_eager(n: int, repeat: int) -> dict[str, dict[str, float]]:
    import losslab.torch as lt

    out = {}
    for name, (inp, target) in torch_data(n).items():
        fns = {
            "anchor": step(torch_anchor(name), inp, target),
            "ours": step(lt.Loss(name, **PARAMS.get(name, {})), inp, target),
            "unchecked": step(lt.Loss(name, check=False, **PARAMS.get(name, {})), inp, target),
            "ops": step(torch_ops(name), inp, target),
        }
        out[name] = alternating_medians(fns, repeat)
    return out


def bench_compile(n: int, repeat: int) -> dict[str, dict[str, float]]:
    import torch

    import losslab.torch as lt

    out = {}
    for name, (inp, target) in torch_data(n).items():
        fns = {}
        for side, crit in (("anchor", torch_anchor(name)), ("ours", lt.Loss(name, **PARAMS.get(name, {})))):
            compiled = torch.compile(lambda a, b, crit=crit: crit(a, b), fullgraph=True)
            fns[side] = step(compiled, inp, target)
        out[name] = alternating_medians(fns, repeat)
    return out


# -- JAX -------------------------------------------------------------------------------------
def bench_jit(n: int, repeat: int) -> dict[str, dict[str, float]] | None:
    import jax
    import jax.numpy as jnp

    import losslab.jax as lj

    try:
        import optax
    except ImportError:
        print("optax not installed: the jit comparison is skipped")
        return None
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=n), dtype=jnp.float32)
    y_reg = jnp.asarray(rng.normal(size=n), dtype=jnp.float32)
    y_bin = jnp.asarray(rng.integers(0, 2, n), dtype=jnp.float32)
    z = jnp.asarray(rng.normal(size=(n // 10, 10)), dtype=jnp.float32)
    labels = jnp.asarray(rng.integers(0, 10, n // 10), dtype=jnp.int32)
    cases = {
        "mse": (lj.mse, optax.losses.squared_error, x, y_reg),
        "huber": (lj.huber, optax.losses.huber_loss, x, y_reg),
        "binary_crossentropy": (lj.binary_crossentropy, optax.losses.sigmoid_binary_cross_entropy, x, y_bin),
        "categorical_crossentropy": (
            lj.categorical_crossentropy,
            optax.losses.softmax_cross_entropy_with_integer_labels,
            z,
            labels,
        ),
    }
    out = {}
    for name, (ours, anchor, pred, target) in cases.items():

        def make(fn: Callable, pred=pred, target=target) -> Callable[[], object]:
            # the target is an argument, not a constant XLA could fold into the program
            run = jax.jit(jax.value_and_grad(lambda p, t: jnp.mean(fn(p, t))))
            return lambda: jax.block_until_ready(run(pred, target))

        out[name] = alternating_medians({"anchor": make(anchor), "ours": make(ours)}, repeat)
    return out


# -- a loss over labelled embeddings ---------------------------------------------------------
def triplet_batch(n: int = 64, d: int = 32, classes: int = 8) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Embeddings, labels and the (anchor, positive, negative) index arrays of every valid triplet."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(classes), n // classes)
    same = labels[:, None] == labels[None, :]
    pos = same & ~np.eye(n, dtype=bool)
    a, p, q = np.nonzero(pos[:, :, None] & ~same[:, None, :])
    return rng.normal(size=(n, d)).astype(np.float32), labels, (a, p, q)


def bench_triplet(repeat: int) -> dict[str, dict[str, float]]:
    import torch

    import losslab.torch as lt
    from losslab.targets import Embeddings

    f, labels, (a, p, q) = triplet_batch()
    n = len(labels)
    counts = torch.bincount(torch.as_tensor(a), minlength=n).float()
    ia, ip, iq = (torch.as_tensor(i) for i in (a, p, q))
    anchor = torch.nn.TripletMarginLoss(margin=1.0, eps=0.0, reduction="none")

    def torch_anchor(x, _):
        rows = torch.zeros(n).index_add(0, ia, anchor(x[ia], x[ip], x[iq])) / counts
        return rows.mean()

    x, target = torch.as_tensor(f), Embeddings(labels)
    out = {
        "eager": alternating_medians(
            {"anchor": step(torch_anchor, x, None), "ours": step(lt.Loss("triplet_margin"), x, target)},
            repeat,
        )
    }
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        return out
    import losslab.jax as lj

    ja, jp, jq = (jnp.asarray(i) for i in (a, p, q))
    jcounts = jnp.asarray(counts.numpy())

    def optax_rows(e):
        h = optax.losses.triplet_margin_loss(e[ja], e[jp], e[jq], eps=0.0)
        return jnp.zeros(n, e.dtype).at[ja].add(h) / jcounts

    def make(fn: Callable) -> Callable[[], object]:
        run = jax.jit(jax.value_and_grad(lambda e: jnp.mean(fn(e))))
        e = jnp.asarray(f)
        return lambda: jax.block_until_ready(run(e))

    ours = lambda e: lj.triplet_margin(e, target, check=False)  # noqa: E731 - the labels are closed over
    out["jit"] = alternating_medians({"anchor": make(optax_rows), "ours": make(ours)}, repeat)
    return out


def print_triplet(r: dict[str, dict[str, float]]) -> None:
    print("triplet_margin, 64 x 32 embeddings, 8 classes, all 25,088 triplets, float32, forward + backward:")
    for mode, anchor in (("eager", "torch.nn.TripletMarginLoss"), ("jit", "optax triplet_margin_loss")):
        if mode in r:
            t = r[mode]
            print(
                f"  {mode:<6} {anchor:<28} {ms(t['anchor'])} ms, losslab {ms(t['ours'])} ms, "
                f"ratio {t['ours'] / t['anchor']:.2f}"
            )


# -- the table -------------------------------------------------------------------------------
def ms(t: float) -> str:
    return f"{t * 1e3:.3f}"


def across_processes(args: argparse.Namespace, modes: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    """Run the table's modes in ``args.processes`` fresh processes; per cell the median time, and
    ``ratio:<key>`` the median of the per-process ratios (``range:<key>`` their min and max)."""
    runs = []
    for _ in range(args.processes):
        cmd = [sys.executable, __file__, "--n", str(args.n), "--repeat", str(args.repeat)]
        cmd += ["--modes", ",".join(modes), "--clock", args.clock, "--json"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    merged: dict[str, dict[str, dict[str, float]]] = {}
    for mode in runs[0]:
        if runs[0][mode] is None:
            continue
        merged[mode] = {}
        for name, cell in runs[0][mode].items():
            row: dict[str, Any] = {k: statistics.median(r[mode][name][k] for r in runs) for k in cell}
            for k in cell:
                ratios = [r[mode][name][k] / r[mode][name]["anchor"] for r in runs]
                row[f"ratio:{k}"] = statistics.median(ratios)
                row[f"range:{k}"] = (min(ratios), max(ratios))
            merged[mode][name] = row
    return merged


def print_table(results: dict[str, dict[str, dict[str, float]] | None]) -> None:
    heads = {
        "eager": ("torch.nn", "losslab", "ratio", "unchecked", "ratio", "ops", "ratio"),
        "compile": ("torch.nn", "losslab", "ratio"),
        "jit": ("optax", "losslab", "ratio"),
    }
    shown = [m for m in heads if results.get(m)]
    line1 = f"{'':<26}" + "".join(f"| {m:<{10 * len(heads[m]) - 2}}" for m in shown)
    line2 = f"{'loss':<26}" + "".join("|" + "".join(f"{h:>10}" for h in heads[m])[1:] for m in shown)
    print(line1.rstrip())
    print(line2)
    for name in LOSSES:
        cells = []
        for m in shown:
            r = results[m][name]
            a = r["anchor"]

            def ratio(k: str, r: dict[str, Any] = r, a: float = a) -> str:
                return f"{r.get('ratio:' + k, r[k] / a):.2f}"

            row = [ms(a), ms(r["ours"]), ratio("ours")]
            if m == "eager":
                row += [ms(r["unchecked"]), ratio("unchecked"), ms(r["ops"]), ratio("ops")]
            cells.append("".join(f"{c:>10}" for c in row)[1:])
        print(f"{name:<26}|" + "|".join(cells))
    print("times in ms (medians); ratio = losslab (or ops) / anchor")
    eager = results.get("eager") or {}
    if eager and "range:ours" in next(iter(eager.values())):
        print("ratios: medians over the processes; eager ranges (checked; unchecked):")
        for name, r in eager.items():
            (a, b), (c, d) = r["range:ours"], r["range:unchecked"]
            print(f"  {name:<26} {a:.2f}–{b:.2f}; {c:.2f}–{d:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--modes", default="eager,compile,jit,triplet", help="comma-separated: eager, compile, jit, triplet"
    )
    parser.add_argument(
        "--clock",
        choices=tuple(CLOCKS),
        default="wall",
        help="cpu: process CPU time, steadier on a loaded machine",
    )
    parser.add_argument("--processes", type=int, default=1, help="repeat in this many fresh processes")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one process's results
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    warnings.simplefilter("ignore")
    results: dict[str, dict[str, dict[str, float]] | None] = {}
    header = [f"n = {args.n} float32 scores (cross-entropy: {args.n // 10} x 10, integer labels), CPU"]
    table_modes = [m for m in modes if m in ("eager", "compile", "jit")]
    if args.processes > 1 and table_modes:
        results.update(across_processes(args, table_modes))
        modes = [m for m in modes if m not in table_modes]
        header.append(f"{args.processes} processes")
    if {"eager", "compile", "triplet"} & {*modes, *table_modes}:
        import torch

        torch.set_num_threads(1)
        header.append(f"PyTorch {torch.__version__} (1 thread)")
    if "eager" in modes:
        results["eager"] = bench_eager(args.n, args.repeat)
    if "compile" in modes:
        results["compile"] = bench_compile(args.n, args.repeat)
    if "jit" in {*modes, *table_modes}:
        import jax

        if "jit" in modes:
            results["jit"] = bench_jit(args.n, args.repeat)
        try:
            import optax

            header.append(f"JAX {jax.__version__} / optax {optax.__version__}")
        except ImportError:
            pass
    if args.json:
        print(json.dumps(results))
        return
    print(
        ", ".join(header)
        + f"; forward + backward, median {args.clock} time of {args.repeat} alternating runs"
    )
    if results:
        print_table(results)
    if "triplet" in modes:
        print_triplet(bench_triplet(args.repeat))


if __name__ == "__main__":
    main()
