"""The dashboard in a real pseudo-terminal (issue 13, defects 2 and 3): SIGTERM, Ctrl+C and q of
an unfinished run restore the terminal, save a checkpoint and print the summary with the command
that continues the run; a finished run just prints its summary."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

TUI_NN = Path(sys.executable).parent / "tui-nn"
LEAVE_ALTERNATE_SCREEN = b"\x1b[?1049l"
MOUSE_OFF = b"\x1b[?1000l"


class Terminal:
    """``tui-nn train ...`` (or ``command``) on a 120x40 pseudo-terminal; everything it writes
    is collected."""

    def __init__(self, cwd: Path, *args: str, command: str = "train"):
        if not TUI_NN.exists():
            pytest.skip("the tui-nn script is not installed next to this Python")
        self.master, slave = pty.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        for name in ("NO_COLOR", "COLUMNS", "LINES", "FORCE_COLOR"):  # the pseudo-terminal decides
            env.pop(name, None)
        env = {k: v for k, v in env.items() if not k.startswith(("TEXTUAL", "PYTEST_XDIST"))}
        self.proc = subprocess.Popen([str(TUI_NN), command, *args], stdin=slave, stdout=slave, stderr=slave,
                                     cwd=cwd, env=env, start_new_session=True)
        os.close(slave)
        self.output = bytearray()
        self.hung_up = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        idle = 0.0
        while not self.hung_up.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if not ready:
                idle += 0.2
                if idle > 120:
                    return
                continue
            idle = 0.0
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the other side has closed
                return
            if not data:
                return
            self.output += data

    def wait_for(self, text: bytes, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.output:  # polls what the reader thread collected, bounded
            assert time.monotonic() < deadline, f"{text!r} never appeared: {bytes(self.output[-3000:])!r}"
            assert self.proc.poll() is None, f"the dashboard ended early: {bytes(self.output[-2000:])!r}"
            time.sleep(0.05)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def hang_up(self) -> int:
        """The SSH connection drops: the terminal goes away and the program gets SIGHUP."""
        self.hung_up.set()
        self.reader.join(timeout=10)
        os.close(self.master)  # from now on the program's writes to its terminal fail (EIO)
        self.proc.send_signal(signal.SIGHUP)
        return self.proc.wait(timeout=60)

    def finish(self) -> tuple[int, str]:
        code = self.proc.wait(timeout=60)
        self.reader.join(timeout=10)
        os.close(self.master)
        return code, self.output.decode("utf-8", "replace")


def after_the_dashboard(out: str) -> str:
    """What the terminal shows once the dashboard has left the alternate screen."""
    return out.rsplit(LEAVE_ALTERNATE_SCREEN.decode(), 1)[-1]


@pytest.mark.parametrize("how", ["sigterm", "ctrl+c", "q"])
def test_stopping_an_unfinished_run_restores_the_terminal_and_saves_it(tmp_path, how):
    term = Terminal(tmp_path, "--iterations", "10000000", "--speed", "max")
    term.wait_for(b"New set of weights found")  # in the log panel: training runs
    if how == "sigterm":
        term.proc.send_signal(signal.SIGTERM)
    else:
        term.write(b"\x03" if how == "ctrl+c" else b"q")
    code, out = term.finish()
    assert code == (0 if how == "q" else 130), out[-2000:]
    assert LEAVE_ALTERNATE_SCREEN.decode() in out and MOUSE_OFF.decode() in out  # the terminal is back
    assert "Press ctrl+q" not in out
    ck = tmp_path / "tui-nn-vertical-hill-climb-seed0.ckpt.npz"
    assert ck.exists()
    shown = after_the_dashboard(out)
    assert ("Interrupted:" if how != "q" else "Stopped:") in shown
    assert f"checkpoint saved to {ck.name}; continue with: tui-nn train --resume {ck.name}" in shown
    resumed = subprocess.run([str(TUI_NN), "train", "--headless", "--resume", str(ck), "--iterations", "100"],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr


def test_quitting_a_finished_run_prints_its_summary_only(tmp_path):
    term = Terminal(tmp_path, "--iterations", "200", "--speed", "max")
    term.wait_for(b"FINISHED")
    term.write(b"q")
    code, out = term.finish()
    assert code == 0
    shown = after_the_dashboard(out)
    assert "Finished: 200 iterations, optimizer hill-climb" in shown and "best loss" in shown
    assert "checkpoint" not in shown and not list(tmp_path.glob("*.ckpt.npz"))


def test_a_dropped_connection_saves_the_run(tmp_path):
    """SIGHUP with the terminal gone (SSH dropped): Textual can no longer draw, yet the run is
    checkpointed and resumable, and the program ends (no process left spinning)."""
    term = Terminal(tmp_path, "--iterations", "10000000", "--speed", "max")
    term.wait_for(b"New set of weights found")
    assert term.hang_up() == 130
    ck = tmp_path / "tui-nn-vertical-hill-climb-seed0.ckpt.npz"
    assert ck.exists()
    resumed = subprocess.run([str(TUI_NN), "train", "--headless", "--resume", str(ck), "--iterations", "100"],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr


def test_the_sweep_dashboard_says_something_before_its_first_frame(tmp_path):
    """Planning, the data check and the workers' start come before the sweep dashboard's first
    frame (5.7 s of blank terminal on a busy machine): a line says what is happening first."""
    term = Terminal(tmp_path, "--nodes", "4,8", "--epochs", "1", "--samples", "60", "--jobs", "1",
                    command="sweep")
    term.wait_for(b"\x1b[?1049h")  # the dashboard has taken the screen
    term.wait_for(b"Leaderboard")
    term.write(b"q")
    term.finish()
    out = bytes(term.output)
    assert b"tui-nn sweep: planning the grid" in out
    assert out.index(b"tui-nn sweep: planning the grid") < out.index(b"\x1b[?1049h")


def sweep_args(*extra: str) -> list[str]:
    return ["--samples", "60", "--jobs", "1", "--out", "results.csv", *extra]


def left_running(session: int) -> list[str]:
    """The processes still in ``session`` (the program's own session: its workers too)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended meanwhile
            continue
        fields = text.rsplit(")", 1)[-1].split()
        if int(fields[3]) == session and fields[0] != "Z":  # field 6 of stat: the session id
            out.append(text[:80])
    return out


def nothing_left_running(session: int) -> bool:
    deadline = time.monotonic() + 20  # the workers end when they see the sweep's process gone
    while left_running(session):  # a bounded poll of /proc, not a guess at how long it takes
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_dropped_connection_stops_the_sweep_resumably(tmp_path):
    """The sweep dashboard on a dropped SSH connection (the terminal gone, SIGHUP) ends with 130
    as the training dashboard does: what finished is in the results file, no worker is left
    running, and --resume continues."""
    args = sweep_args("--nodes", "4,8,16", "--epochs", "20000")  # a few seconds each
    term = Terminal(tmp_path, *args, command="sweep")
    term.wait_for(b"Leaderboard")
    out = tmp_path / "results.csv"
    deadline = time.monotonic() + 120
    while not (out.exists() and len(out.read_text().splitlines()) >= 2):  # the first result is written
        assert time.monotonic() < deadline and term.proc.poll() is None, bytes(term.output[-2000:])
        time.sleep(0.05)
    assert term.hang_up() == 130
    assert nothing_left_running(term.proc.pid), left_running(term.proc.pid)
    rows = out.read_text().splitlines()
    resumed = subprocess.run([str(TUI_NN), "sweep", "--headless", *args, "--resume"],
                             capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"{len(rows) - 1} already in" in resumed.stdout
    assert len(out.read_text().splitlines()) == 4 and out.read_text().splitlines()[:len(rows)] == rows


@pytest.mark.parametrize("how", ["sigterm", "sighup", "ctrl+c"])
def test_stopping_the_sweep_dashboard_restores_the_terminal(tmp_path, how):
    """SIGTERM, SIGHUP (with the terminal still there) and Ctrl+C stop the sweep as q does, but
    exit 130: the terminal restored, the table so far and the --resume hint printed."""
    term = Terminal(tmp_path, *sweep_args("--nodes", "4,8", "--epochs", "1000000"), command="sweep")
    term.wait_for(b"Leaderboard")
    if how == "ctrl+c":
        term.write(b"\x03")
    else:
        term.proc.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGHUP)
    code, out = term.finish()
    assert code == 130, out[-2000:]
    assert LEAVE_ALTERNATE_SCREEN.decode() in out and MOUSE_OFF.decode() in out
    assert "Press ctrl+q" not in out and "Traceback" not in out
    shown = after_the_dashboard(out)  # (under load the signal may come before the workers have started)
    assert ("run the same command with --resume to continue" in shown
            or "Stopped before the sweep started: nothing ran" in shown), shown
    assert nothing_left_running(term.proc.pid), left_running(term.proc.pid)


def test_the_sweep_dashboard_shows_its_frame_before_checking_the_data(tmp_path):
    """The first full frame comes first; the data check (and the workers) after it: a broken
    data file is reported once the dashboard has shown its frame and given the terminal back,
    as one line, exit 2."""
    (tmp_path / "broken.csv").write_text("a,b,label\n1,2,x\nthree,4,y\n")
    term = Terminal(tmp_path, "--data", "broken.csv", "--nodes", "4,8", "--epochs", "1", command="sweep")
    code, out = term.finish()
    assert code == 2, out[-2000:]
    assert "Leaderboard" in out and out.index("Leaderboard") < out.index("Error: ")
    shown = after_the_dashboard(out)
    assert "Traceback" not in out and len([line for line in shown.splitlines() if line.strip()]) == 1, shown
