"""Fork (issue 15): a branch continued from the state at the cursor with another optimizer or other
hyperparameters is, bit for bit, ``tui-nn train --resume`` of a checkpoint taken there."""

from __future__ import annotations

import numpy as np
import pytest

from tui_nn.recording import Recording, RecordingError
from tui_nn.replay import Replayer, fork
from tui_nn.trainer import Trainer

from test_cli_basics import assert_one_line_error, run
from test_recording import assert_same_state, record

CONFIG = dict(iterations=1500)


@pytest.fixture
def recording(tmp_path):
    path = tmp_path / "run.rec"
    record(path, CONFIG)
    return path


@pytest.mark.parametrize("optimizer, hyper, flags", [
    ("adam", {"lr": 0.01}, ["--optimizer", "adam", "--lr", "0.01"]),
    (None, {"scale": 0.2}, ["--scale", "0.2"]),
])
def test_a_fork_is_the_resumed_checkpoint_taken_there(optimizer, hyper, flags, recording, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("replay", "run.rec", "--headless", "--at", "700", "--checkpoint", "at.npz").exit_code == 0
    result = run("train", "--headless", "--resume", "at.npz", "--iterations", "400", "--checkpoint", "resumed.npz",
                 *flags)
    assert result.exit_code == 0, result.output
    resumed = Trainer.from_checkpoint("resumed.npz")

    branch = fork(Recording.open(recording), 700, "b", optimizer=optimizer, hyperparams=hyper, iterations=400,
                  snapshot_every=97)
    np.testing.assert_array_equal(branch.net.params, resumed.net.params)
    assert (branch.iteration, branch.best_loss, branch.optimizer.hp) == (1100, resumed.best_loss, resumed.optimizer.hp)

    # kept in the recording beside the original, and replayed exactly along it
    rec = Recording.open(recording, "b")
    assert (rec.first, rec.end, rec.current.at) == (0, 1100, 700)
    assert Recording.open(recording).end == 1500
    replayer = Replayer(rec)
    assert_same_state(replayer.state_at(1100), Trainer.from_checkpoint("resumed.npz"))
    middle = Trainer.from_checkpoint("at.npz")
    assert_same_state(replayer.state_at(500), Replayer(Recording.open(recording)).state_at(500))  # before the fork
    its, losses, _, _ = rec.series()
    main_its, main_losses, _, _ = Recording.open(recording).series()
    np.testing.assert_array_equal(its, np.arange(1100))
    np.testing.assert_array_equal(losses[:700], main_losses[:700])
    assert middle.iteration == 700


def test_the_cli_forks_and_opens_a_branch(recording, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("replay", "run.rec", "--headless", "--at", "700", "--fork", "fast", "--optimizer", "adam",
                 "--lr", "0.05", "--iterations", "300")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("run.rec: branch fast forked at iteration 700 with adam, iterations 700 to 1,000")
    result = run("replay", "run.rec", "--headless", "--branch", "fast", "--at", "900")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("run.rec: branch fast (forked at 700), hill-climb on vertical")
    assert "adam (lr 0.05" in result.output.splitlines()[1]
    before = (tmp_path / "run.rec").read_bytes()
    assert_one_line_error(run("replay", "run.rec", "--headless", "--branch", "slow"), "has no branch 'slow'", "fast")
    assert_one_line_error(run("replay", "run.rec", "--headless", "--at", "700", "--fork", "fast"),
                          "branch name 'fast'", "taken")
    assert_one_line_error(run("replay", "run.rec", "--headless", "--at", "700", "--fork", "x", "--lr", "0.1"),
                          "--lr does not apply to hill-climb")
    assert_one_line_error(run("replay", "run.rec", "--headless", "--fork", "x"), "--fork needs --at N")
    assert_one_line_error(run("replay", "run.rec", "--headless", "--at", "9999", "--fork", "x"), "outside the recording")
    assert (tmp_path / "run.rec").read_bytes() == before  # nothing written by a refused fork


def test_a_torn_recording_is_not_forked(recording, tmp_path):
    data = recording.read_bytes()
    recording.write_bytes(data[:-50])
    with pytest.raises(RecordingError, match="torn record"):
        fork(Recording.open(recording), 100, "b", optimizer="adam")
    assert recording.read_bytes() == data[:-50]
