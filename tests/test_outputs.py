"""Every output of every command is checked before any work (issue 11, items 1 and 8): two
options naming one file are refused (nothing is overwritten), and a place that cannot take a
file (/proc, /sys, a device such as /dev/full) is refused before training, not after it, even
for root, whom the permission bits never stop."""

from __future__ import annotations

import hashlib
import os

import pytest
from click.testing import CliRunner

from tui_nn.cli import main

from test_reliability import assert_one_error_line, small_data, tui_nn


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def checkpoint(tmp_path):
    """A finished small run's checkpoint, r.npz."""
    result = CliRunner().invoke(main, ["train", "--headless", "--iterations", "50", "--checkpoint",
                                       str(tmp_path / "r.npz")])
    assert result.exit_code == 0, result.output
    return tmp_path / "r.npz"


def test_a_log_over_the_training_data_is_refused_and_the_data_survive(tmp_path):
    data = small_data(tmp_path)
    before = digest(data)
    proc = tui_nn("train", "--headless", "--data", "d.csv", "--label", "2", "--log", "./d.csv", cwd=tmp_path)
    assert_one_error_line(proc, "--data and --log name the same file", "give each its own file")
    assert proc.stdout == ""  # nothing trained
    assert digest(data) == before


@pytest.mark.parametrize("first, second", [
    ("--resume", "--log"), ("--resume", "--save"), ("--log", "--save"), ("--save", "--checkpoint"),
    ("--data", "--save"),
])
def test_train_refuses_two_options_naming_one_file(tmp_path, checkpoint, first, second):
    shared = checkpoint if "--resume" in (first, second) else tmp_path / "same.npz"
    if first == "--data":
        shared = small_data(tmp_path).rename(tmp_path / "d.json")
    before = digest(shared) if shared.exists() else None
    args = ["train", "--headless", "--iterations", "20", first, str(shared), second, str(shared)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"Error: {first} and {second} name the same file ({shared}); give each its own file"
    assert (digest(shared) if shared.exists() else None) == before


def test_a_hard_link_or_a_symbolic_link_is_the_same_file(tmp_path):
    data = small_data(tmp_path)
    os.link(data, tmp_path / "hard.csv")
    os.symlink(data, tmp_path / "soft.csv")
    for other in ("hard.csv", "soft.csv"):
        result = CliRunner().invoke(main, ["train", "--headless", "--data", str(data), "--label", "2",
                                           "--log", str(tmp_path / other)])
        assert result.exit_code == 2 and "--data and --log name the same file" in result.output


def test_a_run_may_continue_into_its_own_checkpoint(checkpoint):
    result = CliRunner().invoke(main, ["train", "--headless", "--resume", str(checkpoint), "--iterations", "10",
                                       "--checkpoint", str(checkpoint)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("first, second", [("--out", "--save-best"), ("--history", "--save-best"),
                                           ("--grid", "--out")])
def test_sweep_refuses_two_options_naming_one_file(tmp_path, first, second):
    shared = tmp_path / "same.json"
    shared.write_text('{"nodes": [2, 3]}' if first == "--grid" else "keep me")
    args = ["sweep", "--headless", "--epochs", "1", "--jobs", "1", first, str(shared), second, str(shared)]
    if "--out" not in (first, second):
        args += ["--out", str(tmp_path / "r.csv")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert f"Error: {first} and {second} name the same file" in result.output
    assert shared.read_text() in ('{"nodes": [2, 3]}', "keep me")
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("option, path", [
    ("--save", "/proc/w.npz"), ("--save", "/sys/w.npz"), ("--checkpoint", "/proc/c.npz"),
    ("--log", "/proc/log.jsonl"), ("--log", "/sys/log.jsonl"), ("--log", "/dev/full"),
])
def test_train_refuses_unwritable_outputs_before_training(tmp_path, option, path):
    if not os.path.isdir(os.path.dirname(path)):
        pytest.skip(f"no {os.path.dirname(path)} here")
    proc = tui_nn("train", "--headless", "--iterations", "200", option, path, cwd=tmp_path)
    line = assert_one_error_line(proc, f"{option}: ", path)
    assert "choose another path" in line or "give the path of a file" in line
    assert proc.stdout == ""  # refused before training, not after it


def test_checkpoint_every_refuses_an_unwritable_checkpoint_before_training(tmp_path):
    result = CliRunner().invoke(main, ["train", "--headless", "--iterations", "200", "--checkpoint-every", "50",
                                       "--checkpoint", "/proc/c.npz"])
    assert result.exit_code == 2 and "--checkpoint: cannot write /proc/c.npz" in result.output
    assert "New set of weights" not in result.output


@pytest.mark.parametrize("option, path", [("--save-best", "/proc/b.npz"), ("--out", "/sys/r.csv"),
                                          ("--history", "/dev/full")])
def test_sweep_refuses_unwritable_outputs_before_training(tmp_path, option, path):
    args = ["sweep", "--headless", "--epochs", "1", "--jobs", "1", option, path]
    if option != "--out":
        args += ["--out", str(tmp_path / "r.csv")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert path in result.output and "Sweep:" not in result.output


@pytest.mark.parametrize("args", [
    ("train", "--headless", "--resume", ""), ("train", "--headless", "--log", ""),
    ("train", "--headless", "--save", ""), ("sweep", "--headless", "--grid", ""),
    ("sweep", "--headless", "--out", ""), ("sweep", "--headless", "--save-best", ""),
])
def test_an_empty_path_is_an_error_not_a_default(tmp_path, args):
    """An unset shell variable (--resume "$CKPT") must not start a fresh run or the default sweep."""
    proc = tui_nn(*args, cwd=tmp_path)
    assert_one_error_line(proc, f"{args[2]} is empty")
    assert proc.stdout == "" and list(tmp_path.iterdir()) == []
