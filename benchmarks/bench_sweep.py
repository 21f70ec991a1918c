"""Sweep benchmark: the course grid on the MAGIC file, 1 vs 2 local jobs, local pool vs Dask.

The course grid is 54 configurations (hidden nodes 16/32/64 in two layers, dropout 0/0.2,
learning rate 0.01/0.005/0.001, batch size 32/64/128, Adam), here with fewer epochs each (20 by
default: about a minute serially on 2 cores, so the fixed cost of starting a sweep, about 2 s,
stays a small share of it, as in a real sweep of 100 epochs).
Each run is the real command, ``tui-nn sweep --headless``, timed from start to exit, so the
figures include everything a user waits for: starting the workers (or the Dask cluster),
loading the data, training, writing the results. The three runs must give the same table.

Targets: 2 local jobs at least 1.8x faster than 1 (on 2 cores), and ``--scheduler local``
(a Dask cluster of 2 worker processes) at most 10% slower than the local pool of 2.

    .venv/bin/python benchmarks/bench_sweep.py [--epochs N] [--repeat N]

Exits 1 if a target is missed, 0 otherwise (also when the MAGIC file is absent: it skips).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import report, verdict

ROOT = Path(__file__).resolve().parents[1]
MAGIC = ROOT.parent / "shared" / "data" / "magic04.data"
COURSE_GRID = ["--nodes", "16,32,64", "--depth", "2", "--dropout", "0,0.2", "--lr", "0.01,0.005,0.001",
               "--batch-size", "32,64,128", "--optimizer", "adam"]
SPEEDUP_TARGET = 1.8
DASK_OVERHEAD_TARGET = 0.05  # issue 16 (0.10 before)


def sweep(out: Path, epochs: int, *extra: str) -> float:
    """Wall time of one headless sweep; its results land in ``out``."""
    cmd = [sys.executable, "-m", "tui_nn", "sweep", "--headless", "--data", str(MAGIC), *COURSE_GRID,
           "--epochs", str(epochs), "--out", str(out), *extra]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=out.parent)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {done.returncode}\n{done.stderr}")
    return elapsed


def table(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        rows = [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]
    return sorted(rows, key=lambda r: int(r["index"]))


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20, help="epochs per configuration (default 20)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each setting; the fastest counts")
    args = parser.parse_args()
    if not MAGIC.is_file():
        verdict("sweep benchmark", None, f"the MAGIC data file is not at {MAGIC}")
        return 0
    print(f"Course grid (54 configurations, {args.epochs} epochs each) on {MAGIC.name}, "
          f"{os.cpu_count()} CPUs, best of {args.repeat}; load average before: {_load()}")
    settings = {"1 local job": ["--jobs", "1"], "2 local jobs": ["--jobs", "2"],
                "Dask, 2 local workers": ["--jobs", "2", "--scheduler", "local"]}
    times = {name: float("inf") for name in settings}
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):  # interleaved, so a busy spell does not hit one setting only
            for name, extra in settings.items():
                out = Path(tmp) / f"{name.replace(' ', '-').replace(',', '')}-{i}.csv"
                elapsed = sweep(out, args.epochs, *extra)
                times[name] = min(times[name], elapsed)
                tables[name] = table(out)
                print(f"  {name:<22} {elapsed:7.2f} s")
    print(f"Load average after: {_load()} (other work on the machine slows the parallel runs most)")
    same = all(t == tables["1 local job"] for t in tables.values())
    speedup = times["1 local job"] / times["2 local jobs"]
    overhead = times["Dask, 2 local workers"] / times["2 local jobs"] - 1
    print(f"Identical results in the three runs: {'yes' if same else 'NO'}")
    print(f"Speed-up of 2 local jobs over 1: {speedup:.2f}x (target >= {SPEEDUP_TARGET}x)")
    print(f"Overhead of Dask over the local pool: {overhead:+.1%} (target <= {DASK_OVERHEAD_TARGET:.0%})")
    checks = [("speed-up", speedup >= SPEEDUP_TARGET), ("Dask overhead", overhead <= DASK_OVERHEAD_TARGET),
              ("identical results", same)]
    for name, ok in checks:
        verdict(name, ok)
    report("6-sweep-speedup", f"course grid on MAGIC, {args.epochs} epochs: 2 local jobs vs 1",
           f"{times['2 local jobs']:.1f} s vs {times['1 local job']:.1f} s; identical results: {'yes' if same else 'NO'}",
           speedup, speedup >= SPEEDUP_TARGET and same)
    report("6-sweep-dask", f"course grid on MAGIC, {args.epochs} epochs: Dask (2 local workers) vs local pool of 2",
           f"{times['Dask, 2 local workers']:.1f} s vs {times['2 local jobs']:.1f} s ({overhead:+.1%})",
           1 + overhead, overhead <= DASK_OVERHEAD_TARGET and same)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
