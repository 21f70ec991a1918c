"""Target 4: fast start.

- ``tui-nn --help`` within 1.5x of ``python -c "import click"`` (median wall time of fresh
  subprocesses, run alternately).
- The dashboard's first full frame within 0.6 s of launch (issue 16; 2x and 1.5 s before): ``tui-nn train --paused`` runs in a
  pseudo-terminal of 160x48; the clock runs from spawning the process until the screen it wrote
  shows every panel's title and the footer, and what the panels show once started (``FULL``):
  the charts drawn for their size, the optimizer's form, the run's first evaluation (on the
  status bar) and the log's first line, which come from the trainer's child process. (Titles
  and footer alone were seen ~0.25 s before the charts, the form and the trainer's numbers
  were.) What is written in the next half second is reported too: a frame that is complete
  and laid out once writes next to nothing after it.

Every subprocess runs without ``PYTHONDONTWRITEBYTECODE`` (some machines set it): an installed
package has its compiled ``.pyc`` files (pip writes them), so the first, warm-up run of each
command writes them as the install does, and the timed runs measure a start as users have it,
not Python compiling our modules from source each time (15-20 ms for ``--help`` alone).

    python benchmarks/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import re
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import report, verdict

HELP_TARGET = 1.5
FRAME_TARGET = 0.6
BIN = Path(sys.executable).parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # see the docstring
PANELS = ("─ Loss", "─ Accuracy", "─ Weights", "─ Optimizer", "─ Data", "─ Log", "q Quit")
FULL = PANELS + ("┤", "Accuracy · train", "pale: unsure", "scale", "dense1", "acc 0.", "Training on ")
ESCAPES = re.compile(rb"\x1b(\[[0-9;?<>=$]*[a-zA-Z~]|\][^\x07]*\x07|[()][0-9A-Za-z])")


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - t0


def first_frame(cmd: list[str], timeout: float = 20.0, size=(48, 160), after: float = 0.0,
                later: list | None = None) -> float:
    """Seconds from spawning ``cmd`` in a pseudo-terminal to a screen showing every panel and
    what it shows (``FULL``); the bytes written in the ``after`` seconds that follow are appended
    to ``later``."""
    import fcntl
    import pty
    import struct
    import termios

    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the dashboard, as a user starts it
        os.execve(cmd[0], cmd, ENV)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    buf, seen = b"", None
    try:
        while time.perf_counter() - t0 < timeout:
            ready, _, _ = select.select([fd], [], [], 0.01)
            if not ready:
                continue
            try:
                buf += os.read(fd, 1 << 16)
            except OSError:
                break
            text = ESCAPES.sub(b"", buf).decode("utf-8", "replace")
            if all(p in text for p in FULL):
                seen = time.perf_counter() - t0
                break
        written, until = 0, time.perf_counter() + after
        while seen is not None and time.perf_counter() < until:
            if select.select([fd], [], [], 0.01)[0]:
                written += len(os.read(fd, 1 << 16))
        if later is not None and seen is not None:
            later.append(written)
        os.write(fd, b"q")
        deadline = time.time() + 5
        while time.time() < deadline:
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
            try:
                select.select([fd], [], [], 0.05)[0] and os.read(fd, 1 << 16)
            except OSError:
                pass
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    finally:
        os.close(fd)
    if seen is None:
        raise RuntimeError(f"no full frame within {timeout} s")
    return seen


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    python, tui = str(BIN / "python"), str(BIN / "tui-nn")
    wall([tui, "--help"])  # warm the file cache for both (and write the .pyc files)
    wall([python, "-c", "import click"])
    first_frame([tui, "train", "--paused"])  # the dashboard's modules' .pyc files too
    helps, clicks = [], []
    for _ in range(args.runs):
        helps.append(wall([tui, "--help"]))
        clicks.append(wall([python, "-c", "import click"]))
    h, c = statistics.median(helps), statistics.median(clicks)
    ratio = h / c
    print(f"tui-nn --help          {h * 1e3:6.0f} ms (median of {args.runs})")
    print(f"python -c 'import click' {c * 1e3:4.0f} ms")
    ok_help = ratio <= HELP_TARGET
    verdict(f"start: tui-nn --help within {HELP_TARGET:g}x of importing click", ok_help, f"{ratio:.2f}x")
    report("4-help", "tui-nn --help / import click", f"{h * 1e3:.0f} ms vs {c * 1e3:.0f} ms", ratio, ok_help)

    later: list[int] = []
    frames = [first_frame([tui, "train", "--paused"], after=0.5, later=later) for _ in range(max(3, args.runs // 2))]
    f = statistics.median(frames)
    print(f"dashboard first full frame {f:.2f} s (median; runs: {', '.join(f'{x:.2f}' for x in frames)}); "
          f"written in the next 0.5 s: {', '.join(f'{n:,}' for n in later)} bytes")
    ok_frame = f <= FRAME_TARGET
    verdict(f"start: dashboard's first full frame within {FRAME_TARGET:g} s", ok_frame, f"{f:.2f} s")
    report("4-frame", "dashboard first full frame", f"{f:.2f} s", f / FRAME_TARGET, ok_frame)
    return 0 if ok_help and ok_frame else 1


if __name__ == "__main__":
    sys.exit(main())
