"""Shared helpers for the benchmark scripts: PASS/FAIL lines and a machine-readable record.

Each script prints its figures and one ``PASS``/``FAIL`` line per target. When the environment
variable ``TUI_NN_BENCH_RECORD`` names a file, every target's result is also appended to it as
one JSON line, which ``run_all.py`` collects.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from anywhere without installing
    sys.path.insert(0, str(ROOT))


def verdict(target: str, passed: bool | None, figure: str = "") -> None:
    word = "SKIP" if passed is None else ("PASS" if passed else "FAIL")
    print(f"{word}: {target}" + (f" ({figure})" if figure else ""), flush=True)


def report(target: str, case: str, figure: str, ratio: float | None, passed: bool | None, **extra) -> None:
    path = os.environ.get("TUI_NN_BENCH_RECORD")
    if not path:
        return
    row = {"target": target, "case": case, "figure": figure, "ratio": ratio, "passed": passed,
           "command": " ".join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]]), **extra}
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


def median_time(cmd: list[str], runs: int, **kw) -> float:
    """Median wall time of a subprocess, in seconds."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
