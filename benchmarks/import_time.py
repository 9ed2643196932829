"""Time of ``import losslab`` in a fresh interpreter, against ``import numpy`` in the same run.

DESIGN.md's target is under 100 ms. Each statement runs in a new process, alternating, and the
time is measured inside the process around the import (interpreter start-up excluded); medians.

    python benchmarks/import_time.py --repeat 20
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

TIMED = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
CASES = {
    "numpy": "import numpy",
    "losslab": "import losslab",
    "numpy, then losslab": "import numpy; import losslab",  # losslab's own share
}
HEAVY = ("torch", "jax", "pandas", "matplotlib", "xgboost", "lightgbm", "numba", "sklearn", "dask")


def once(stmt: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", TIMED.format(stmt=stmt)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeat):
        for name, stmt in CASES.items():
            times[name].append(once(stmt))
    anchor = statistics.median(times["numpy"])
    print(f"{'import':20s} {'median ms':>10s} {'vs numpy':>9s}")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"{name:20s} {1e3 * m:10.1f} {m / anchor:9.2f}")
    check = f"import sys, losslab; print(sorted(m for m in {HEAVY} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    print(f"heavy modules loaded by import losslab: {loaded.stdout.strip()}")


if __name__ == "__main__":
    main()
