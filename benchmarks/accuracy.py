"""Worst float64 relative error of every loss against the mpmath references.

Run from the repository root::

    python benchmarks/accuracy.py

For each loss (all its parameter configurations in ``tests/reference/values.json``) it prints the
worst relative error of value, gradient and Hessian over the adversarial grids, and the overall
worst. Relative errors are taken where the reference is a normal float64 (|ref| >= 2.2e-308);
references below that (subnormal or 0) are reported separately as an absolute error in units of
the smallest subnormal (4.9e-324), and infinite references must be matched exactly.
"""

from __future__ import annotations

import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reference"))
from compare import QUANTITIES, SUBNORMAL64, entries, error64, load_cases


def main() -> float:
    t0 = time.perf_counter()
    rel: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(QUANTITIES, 0.0))
    sub: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    inf_bad: dict[str, int] = defaultdict(int)
    raised: list[str] = []
    for case in load_cases():
        name = case["name"]
        for e in entries(case, np.float64):
            if isinstance(e, tuple):
                raised.append(f"{name}: point {e[0]} raised {e[1]}")
                continue
            counts[name] += 1
            kind, err = error64(e)
            if kind == "rel":
                rel[name][e.quantity] = max(rel[name][e.quantity], err)
            elif kind == "abs":
                sub[name] = max(sub[name], err / SUBNORMAL64)
            elif err:
                inf_bad[name] += 1
    header = (
        f"{'loss':<26} {'numbers':>8} {'value':>10} {'gradient':>10} {'hessian':>10} {'subnormal ulps':>15}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name in sorted(counts):
        r = rel[name]
        worst = max(worst, *r.values())
        flag = f"  ({inf_bad[name]} inf mismatches)" if inf_bad[name] else ""
        print(
            f"{name:<26} {counts[name]:>8} {r['value']:>10.2e} {r['gradient']:>10.2e} {r['hessian']:>10.2e} "
            f"{sub[name]:>15.0f}{flag}"
        )
    total = sum(counts.values())
    print("-" * len(header))
    print(
        f"overall worst float64 relative error: {worst:.2e} ({total} reference numbers, {len(counts)} losses)"
    )
    if raised or any(inf_bad.values()):
        print(f"FAILURES: {len(raised)} points raised, {sum(inf_bad.values())} infinite references missed")
        for line in raised[:10]:
            print("  " + line)
    print(f"({time.perf_counter() - t0:.1f} s)")
    return worst if not raised and not any(inf_bad.values()) else math.inf


if __name__ == "__main__":
    sys.exit(0 if main() <= 1e-12 else 1)
