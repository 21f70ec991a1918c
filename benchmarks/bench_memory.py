"""Target 5: flat memory over long runs.

A 10-million-iteration ``hill-climb`` run holds its peak resident memory within 20% of a
100,000-iteration run: headless (``tui-nn train --headless``), and under the dashboard
(``create_app(..., speed=None)`` driven by ``App.run_test`` until the run finishes). Every run is
its own subprocess; its peak RSS comes from ``os.wait4``'s resource usage of that child. The
dashboard's trainer runs in a process of its own: its peak (the dashboard process's reaped
child) is added to the dashboard's, so the figure is what the run holds in all.

    python benchmarks/bench_memory.py [--long 10000000] [--short 100000] [--no-dashboard]
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

TARGET = 1.2
BIN = Path(sys.executable).parent
DASHBOARD = """
import asyncio, resource, sys
from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.app import create_app

async def main(n):
    trainer = Trainer(TrainConfig(dataset="vertical", optimizer="hill-climb", iterations=n))
    app = create_app(trainer, paused=False, speed=None)
    async with app.run_test(size=(160, 48)) as pilot:
        while app.view.state != "finished":
            await asyncio.sleep(0.2)
        await pilot.pause(0.5)  # the last events drawn
        await pilot.press("q")
    assert app.view.iteration == n and app.view.losses.count == n, (app.view.iteration, app.view.losses.count)
    # the trainer's process, reaped when the app quit
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)

asyncio.run(main(int(sys.argv[1])))
"""


def peak_rss(cmd: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of one child process."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, cwd=ROOT)
        out = proc.stdout.read()  # to the end; the process is left for wait4 to reap
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err.read().decode()[-2000:]}")
    kilobytes = usage.ru_maxrss  # Linux reports kilobytes
    if cmd[0] == sys.executable:  # the dashboard: add its trainer process's peak, which it printed
        kilobytes += int(out.split()[-1])
    return kilobytes / 1024, seconds


def headless(n: int) -> list[str]:
    return [str(BIN / "tui-nn"), "train", "--headless", "--dataset", "vertical", "--optimizer", "hill-climb",
            "--iterations", str(n), "--every", str(n)]


def dashboard(n: int) -> list[str]:
    return [sys.executable, "-c", DASHBOARD, str(n)]


def compare(name: str, build, short: int, long: int) -> bool:
    small, t_small = peak_rss(build(short))
    big, t_big = peak_rss(build(long))
    ratio = big / small
    print(f"{name}: {short:,} iterations peak {small:.1f} MB ({t_small:.1f} s); "
          f"{long:,} iterations peak {big:.1f} MB ({t_big:.1f} s, {long / t_big:,.0f} it/s); ratio {ratio:.3f}")
    passed = ratio <= TARGET
    verdict(f"memory: {name} {long:,} iterations within {TARGET - 1:.0%} of {short:,}", passed, f"{ratio:.3f}x")
    report(f"5-memory-{name}", f"peak RSS {long:,} vs {short:,} iterations", f"{big:.1f} MB vs {small:.1f} MB",
           ratio, passed)
    return passed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--long", type=int, default=10_000_000)
    ap.add_argument("--short", type=int, default=100_000)
    ap.add_argument("--no-dashboard", action="store_true", help="headless runs only")
    args = ap.parse_args(argv)
    ok = compare("headless", headless, args.short, args.long)
    if not args.no_dashboard:
        ok &= compare("dashboard", dashboard, args.short, args.long)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
