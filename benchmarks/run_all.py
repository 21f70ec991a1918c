"""Run the five performance benchmarks of tui-nn (and the sweep and data-file benchmarks) and print every ratio
with PASS/FAIL.

Each benchmark runs in its own process (``benchmarks/bench_*.py``; run one alone for its
details). Every target is a ratio against a reference measured in the same run, because the
machines are shared and noisy. With ``--results`` the table is also written to
``benchmarks/RESULTS.md``.

    python benchmarks/run_all.py [--quick] [--results]

``--quick`` shortens the runs (1M instead of 10M iterations for memory, fewer repeats); the
figures in RESULTS.md come from a full run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHMARKS = [
    ("bench_search.py", [], ["--repeats", "1"]),
    ("bench_gradient.py", [], ["--repeats", "1"]),
    ("bench_dashboard.py", [], ["--seconds", "1", "--rounds", "5", "--presses", "20"]),
    ("bench_panels.py", [], ["--repeats", "5", "--seconds", "1", "--rounds", "3"]),
    ("bench_startup.py", [], ["--runs", "3"]),
    ("bench_memory.py", [], ["--long", "1000000"]),
    ("bench_sweep.py", ["--repeat", "2"], ["--epochs", "3"]),
    ("bench_datafile.py", [], ["--mb", "50"]),
    ("bench_replay.py", [], ["--long", "1000000", "--repeats", "1", "--cursors", "20"]),
    ("bench_race.py", [], ["--repeats", "1"]),
]

TITLES = {
    "1-search": "1. Derivative-free search vs the book's loop (>= 15x at hidden 3, >= 3x at hidden 64, identical improvements)",
    "2-gradient": "2. Gradient descent vs scikit-learn (time per epoch <= 0.25x, accuracy within 1 point)",
    "3-dashboard": "3. Trainer speed under the dashboard vs headless (>= 0.9x)",
    "3-pause": "3. Pause key at full speed, p95 (<= 50 ms; ratio to 50 ms)",
    "13-cost-loss": "Live view: loss chart redraw at 200x60 (<= 15 ms; ratio to 15 ms)",
    "13-cost-accuracy": "Live view: accuracy chart redraw at 200x60 (<= 15 ms; ratio to 15 ms)",
    "13-rate-loss": "Live view: loss chart redraws at full speed (>= 4/s; ratio 4/s to it)",
    "13-rate-accuracy": "Live view: accuracy chart redraws at full speed (>= 4/s; ratio 4/s to it)",
    "13-rate-weights": "Live view: weights panel redraws at full speed (>= 4/s; ratio 4/s to it)",
    "13-rate-data": "Live view: data panel redraws at full speed (>= 4/s; ratio 4/s to it)",
    "13-rate-status": "Live view: status bar redraws at full speed (>= 4/s; ratio 4/s to it)",
    "13-rate-log": "Live view: log redraws at full speed while lines come (>= 4/s; ratio 4/s to it)",
    "14-cost-graph": "Inside the network: graph view redraw, 120x40 and 200x60, spiral and MAGIC (<= 15 ms; ratio to 15 ms)",
    "14-cost-neuron-map": "Inside the network: neuron map redraw, 120x40 and 200x60, spiral and MAGIC (<= 15 ms; ratio to 15 ms)",
    "14-cost-hidden-space": "Inside the network: hidden space redraw, 120x40 and 200x60, spiral and MAGIC (<= 15 ms; ratio to 15 ms)",
    "14-cost-confusion": "Inside the network: confusion matrices redraw, 120x40 and 200x60, spiral and MAGIC (<= 15 ms; ratio to 15 ms)",
    "13-trainer": "Live view: trainer speed under the dashboard, 120x40 and 200x60 (>= 0.9x headless)",
    "4-help": "4. `tui-nn --help` vs `import click` (<= 1.5x)",
    "4-frame": "4. Dashboard's first full frame (<= 0.6 s; ratio to 0.6 s)",
    "5-memory-headless": "5. Peak RSS, 10M vs 100k iterations, headless (<= 1.2x)",
    "5-memory-dashboard": "5. Peak RSS, 10M vs 100k iterations, dashboard (<= 1.2x)",
    "6-sweep-speedup": "Sweeps: 2 local jobs vs 1 (>= 1.8x, identical results)",
    "6-sweep-dask": "Sweeps: Dask path vs local pool (<= 1.05x)",
    "7-data-memory": "7. Reading a 200 MB --data file: peak RSS / file size (<= 3x)",
    "7-data-time": "7. Reading a 200 MB --data file in under 10 s (ratio to 10 s)",
    "15-record-size": "Replay: a 10M-iteration hill-climb recording (<= 50 MB; ratio to 50 MB)",
    "15-record-overhead": "Replay: recorded run vs plain run, CPU time (<= 1.1x)",
    "15-scrub": "Replay: state at any iteration of a 1M-iteration run (<= 100 ms CPU; ratio to 100 ms)",
    "15-race": "Race: four contenders' wall time vs their separate runs' over the cores used (<= 1.15x, identical weights)",
}


def blas() -> str:
    try:
        from threadpoolctl import threadpool_info

        import numpy  # noqa: F401  (loads the BLAS threadpoolctl reports)

        info = [f"{i['internal_api']} {i.get('version')} {i.get('architecture')} x{i['num_threads']}"
                for i in threadpool_info()]
        return ", ".join(info) or "none found"
    except Exception as e:  # noqa: BLE001 - informational only
        return f"unknown ({e})"


def machine() -> str:
    import numpy

    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, NumPy {numpy.__version__}, BLAS {blas()}"
            + (f", env {env}" if env else ""))


def write_results(rows: list[dict], header: str, command: str) -> Path:
    path = HERE / "RESULTS.md"
    date = datetime.date.today().isoformat()
    lines = [
        "# tui-nn performance results",
        "",
        "Every target is a ratio against a reference measured in the same run (the machines are",
        "shared and noisy; absolute times mean little). Regenerate this table with:",
        "",
        f"    {command}",
        "",
        f"Machine: {header}",
        "",
        "| target | case | figure | ratio | result | command | date |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        result = "SKIP" if r["passed"] is None else ("PASS" if r["passed"] else "FAIL")
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.3g}"
        lines.append(f"| {TITLES.get(r['target'], r['target'])} | {r['case']} | {r['figure']} | {ratio} | "
                     f"{result} | `{r['command']}` | {date} |")
    lines += ["", "What each benchmark measures, and what the figures mean: [README.md](README.md)."]
    # The dated sections below the table (each session's measurements and how they were made)
    # are the file's history: kept as they are, only the table is replaced.
    old = path.read_text() if path.exists() else ""
    at = old.find("\n## ")
    history = old[at:] if at >= 0 else ""
    path.write_text("\n".join(lines) + "\n" + history)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter runs (about 3 minutes)")
    ap.add_argument("--results", action="store_true", help="write benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    header = machine()
    print(f"tui-nn benchmarks on {header}\n", flush=True)
    rows: list[dict] = []
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "record.jsonl"
        env = {**os.environ, "TUI_NN_BENCH_RECORD": str(record)}
        for script, full, quick in BENCHMARKS:
            cmd = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
            print(f"== {script} {' '.join(quick if args.quick else full)}", flush=True)
            t0 = time.perf_counter()
            code = subprocess.run(cmd, env=env, cwd=HERE.parent).returncode
            print(f"   ({time.perf_counter() - t0:.0f} s, exit {code})\n", flush=True)
        if record.exists():
            rows = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
    print(f"== summary ({time.perf_counter() - t_all:.0f} s)")
    for r in rows:
        result = "SKIP" if r["passed"] is None else ("PASS" if r["passed"] else "FAIL")
        ratio = "   -  " if r["ratio"] is None else f"{r['ratio']:6.3g}"
        print(f"{result}  ratio {ratio}  {r['target']:<20} {r['case']}: {r['figure']}")
    if args.results:
        command = "python benchmarks/run_all.py --results" + (" --quick" if args.quick else "")
        print(f"wrote {write_results(rows, header, command)}")
    failed = [r for r in rows if r["passed"] is False]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
