"""Never lose a run (issue 11): hostile paths, killed writers, two runs on one checkpoint.

Each test here keeps one promise of README's "Reliability" section, through the real command
line (a subprocess of the installed entry point where a hang, a signal or a second process is
part of the story).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUI_NN = [sys.executable, "-m", "tui_nn"]


def tui_nn(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """The command line in a subprocess; a hang fails the test (TimeoutExpired) instead of
    hanging the suite."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*TUI_NN, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


def assert_one_error_line(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def small_data(folder: Path) -> Path:
    path = folder / "d.csv"
    path.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 3},{i % 2}\n" for i in range(40)))
    return path


# --- item 5: pipes and devices are refused, never waited on ------------------------------------


@pytest.mark.parametrize("command", [
    ["summary", "--data", "{fifo}"],
    ["train", "--headless", "--iterations", "5", "--data", "{fifo}"],
    ["sweep", "--headless", "--optimizer", "sgd", "--lr", "0.1,0.2", "--data", "{fifo}"],
    ["sweep", "--headless", "--grid", "{fifo}"],
])
def test_a_named_pipe_without_a_writer_is_refused_at_once(tmp_path, command):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    proc = tui_nn(*(arg.format(fifo=fifo) for arg in command), cwd=tmp_path)
    assert_one_error_line(proc, "pipe.csv", "named pipe (FIFO), not a regular file")


def test_a_named_pipe_as_the_checkpoint_to_resume_is_refused_as_such(tmp_path):
    os.mkfifo(tmp_path / "c.npz")
    proc = tui_nn("train", "--headless", "--resume", "c.npz", "--iterations", "5", cwd=tmp_path)
    assert_one_error_line(proc, "c.npz", "named pipe (FIFO), not a regular file")


def test_an_endless_device_is_refused_not_read(tmp_path):
    proc = tui_nn("train", "--headless", "--iterations", "5", "--data", "/dev/zero", cwd=tmp_path)
    assert_one_error_line(proc, "/dev/zero", "character device, not a regular file")


@pytest.mark.parametrize("name, text", [
    ("deep.json", '{"lr": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ("deep.toml", "lr = " + "[" * 100_000 + "]" * 100_000),
], ids=["json", "toml"])
def test_a_deeply_nested_grid_file_is_one_error(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    proc = tui_nn("sweep", "--headless", "--grid", name, cwd=tmp_path)
    assert_one_error_line(proc, f"grid file {name}: nested too deeply")


# --- item 9: an empty --data is an error, not the default dataset ------------------------------


@pytest.mark.parametrize("command", [
    ["summary"],
    ["train", "--headless", "--iterations", "5", "--label", "1"],
    ["sweep", "--headless", "--optimizer", "sgd", "--lr", "0.1,0.2"],
])
def test_an_empty_data_path_is_an_error(tmp_path, command):
    proc = tui_nn(*command, "--data", "", cwd=tmp_path)
    assert_one_error_line(proc, "--data is empty")
    assert list(tmp_path.iterdir()) == []


# --- item 15: a writer killed mid-write leaves no temporary behind for long --------------------

KILLED_WRITER = """
import os, signal, sys
from tui_nn.atomic import atomic_write

def dying(f):
    f.write(b"half a checkpoint")
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)

atomic_write(sys.argv[1], dying)
"""


def test_temporaries_of_killed_writers_are_removed_by_the_next_save(tmp_path):
    target = tmp_path / "c.npz"
    target.write_bytes(b"the previous checkpoint")
    for _ in range(3):  # each write removes the temporary the previous killed one left
        proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(target)], cwd=ROOT, timeout=60)
        assert proc.returncode == -signal.SIGKILL
        temporaries = [p.name for p in tmp_path.iterdir() if p.name != "c.npz"]
        assert len(temporaries) == 1 and temporaries[0].startswith(".c.npz."), temporaries
    assert target.read_bytes() == b"the previous checkpoint"

    from tui_nn.atomic import atomic_write

    atomic_write(target, b"the next checkpoint")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]
    assert target.read_bytes() == b"the next checkpoint"


# --- item 16: one run at a time writes a checkpoint --------------------------------------------


def test_a_second_run_on_the_same_checkpoint_is_refused(tmp_path):
    data = small_data(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(
        [*TUI_NN, "train", "--headless", "--data", str(data), "--iterations", "100000000", "--every", "1000",
         "--checkpoint", "c.npz"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert first.stdout.readline()  # training has started, so the lock is held
        second = tui_nn("train", "--headless", "--data", str(data), "--iterations", "10",
                        "--checkpoint", "c.npz", cwd=tmp_path)
        assert_one_error_line(second, "--checkpoint c.npz", f"another run (process {first.pid}) is writing")
        resumed = tui_nn("train", "--headless", "--resume", "c.npz", "--iterations", "10", "--checkpoint", "c.npz",
                         cwd=tmp_path)
        assert resumed.returncode == 2 and "another run" in resumed.stderr
    finally:
        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    assert "checkpoint saved to c.npz" in err + out
    # the first run's checkpoint is whole, and its lock is gone with it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz", "d.csv"]
    after = tui_nn("train", "--headless", "--resume", "c.npz", "--iterations", "10", "--checkpoint", "c.npz",
                   cwd=tmp_path)
    assert after.returncode == 0, after.stderr


def test_an_empty_data_path_is_an_error_of_the_core_too():
    from tui_nn.data import DataError
    from tui_nn.trainer import Trainer, TrainConfig

    with pytest.raises(DataError, match="the data file name is empty"):
        Trainer(TrainConfig(data="", iterations=5))
