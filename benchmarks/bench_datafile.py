"""Reading a large --data file: peak memory <= 3x the file's size, and under 10 s for 200 MB.

A table of about ``--mb`` megabytes is written to a temporary folder (the MAGIC file repeated
when ``../shared/data/magic04.data`` is there, else seeded random rows of the same shape: ten
numbers and a class letter per row). Two child processes read it, one after the other:

- the reference: NumPy's own reader, ``np.loadtxt`` of the ten feature columns and then of
  the label column (what a user would write by hand, with no checks);
- ``tui_nn.data.load_file``: separator and header detection, every cell checked, line and
  column in every error, the SHA-256 of the bytes read.

Each child's peak resident memory comes from ``os.wait4``; each reports its own reading time.
Printed: peak RSS / file size (target <= 3), the reading time against 10 s per 200 MB (target
< 1), and, for scale, the time as a multiple of the reference's. (Before the streaming reader,
a 200 MB file took 55 s and 4.5 GB, 22x its size.)

    python benchmarks/bench_datafile.py [--mb 200]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, report, verdict

MAGIC = ROOT.parent / "shared" / "data" / "magic04.data"
MEMORY_TARGET = 3.0  # peak RSS / file size
SECONDS_PER_200MB = 10.0

REFERENCE = """
import sys, time
import numpy as np
t0 = time.perf_counter()
X = np.loadtxt(sys.argv[1], delimiter=",", usecols=range(10), dtype=np.float32)
y = np.loadtxt(sys.argv[1], delimiter=",", usecols=10, dtype=str)
print(time.perf_counter() - t0, X.shape[0])
"""

TUI_NN = """
import sys, time
from tui_nn.data import load_file
t0 = time.perf_counter()
ds = load_file(sys.argv[1])
print(time.perf_counter() - t0, ds.n_samples)
"""


def write_table(path: Path, mb: float) -> None:
    size = int(mb * 1e6)
    if MAGIC.is_file():
        block = MAGIC.read_bytes()
    else:
        import numpy as np

        rng = np.random.RandomState(0)
        values = rng.randn(20_000, 10) * 40
        labels = rng.choice(["g", "h"], 20_000)
        block = "".join(",".join(f"{v:.4f}" for v in row) + f",{c}\n" for row, c in zip(values, labels)).encode()
    with open(path, "wb") as f:
        for _ in range(-(-size // len(block))):
            f.write(block)


def run(code: str, path: Path) -> tuple[float, float, int]:
    """(peak RSS in MB, reading seconds, rows) of one child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, env=env, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"reading {path} failed")
    seconds, rows = out.split()
    return usage.ru_maxrss / 1024, float(seconds), int(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=200.0, help="size of the table in megabytes")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "table.data"
        write_table(path, args.mb)
        mb = path.stat().st_size / 2**20
        ref_peak, ref_s, ref_rows = run(REFERENCE, path)
        peak, seconds, rows = run(TUI_NN, path)
    assert rows == ref_rows, (rows, ref_rows)
    print(f"file {mb:.0f} MiB, {rows:,} rows")
    print(f"np.loadtxt reference: {ref_s:.2f} s, peak {ref_peak:.0f} MiB ({ref_peak / mb:.2f}x the file)")
    print(f"tui_nn load_file:     {seconds:.2f} s, peak {peak:.0f} MiB ({peak / mb:.2f}x the file); "
          f"{seconds / ref_s:.2f}x the reference's time")

    memory = peak / mb
    ok = memory <= MEMORY_TARGET
    verdict(f"data file: peak memory <= {MEMORY_TARGET:g}x the file's size", ok, f"{memory:.2f}x")
    report("7-data-memory", f"load_file of a {mb:.0f} MiB table", f"peak {peak:.0f} MiB", memory, ok)

    budget = SECONDS_PER_200MB * (path_mb := mb * 2**20 / 200e6)
    ratio = seconds / budget
    ok_time = ratio < 1
    verdict(f"data file: reading under {SECONDS_PER_200MB:g} s per 200 MB", ok_time,
            f"{seconds:.2f} s for {path_mb * 200:.0f} MB; {seconds / ref_s:.2f}x np.loadtxt")
    report("7-data-time", f"load_file of a {mb:.0f} MiB table",
           f"{seconds:.2f} s ({seconds / ref_s:.2f}x np.loadtxt's {ref_s:.2f} s)", ratio, ok_time)
    return 0 if ok and ok_time else 1


if __name__ == "__main__":
    sys.exit(main())
