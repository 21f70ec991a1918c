"""Recordings (``train --record``) and replay's reconstruction: the state at any iteration is the
straight run's, bit for bit; torn and foreign files are handled; the CLI refuses bad input in one line."""

from __future__ import annotations

import queue

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_nn import events as ev
from tui_nn.checkpoint import ARRAYS, OPTIONAL_ARRAYS, RUN_STATE
from tui_nn.recording import Recording, RecordingError, pack, unpack
from tui_nn.replay import Replayer
from tui_nn.runner import Session
from tui_nn.trainer import Trainer, TrainConfig

from test_checkpoint import CONFIGS as CHECKPOINT_CONFIGS
from test_cli_basics import assert_one_line_error, run

# the checkpoint tests' runs (their optimizers, mini-batches, dropout), longer
CONFIGS = {name: {**config, "iterations": 1500} for name, config in CHECKPOINT_CONFIGS.items()
           if name != "random-search"}


def record(path, config: dict, commands=(), snapshot_every: int = 97) -> None:
    """Record a whole run through a Session (as ``train --record`` does); ``commands`` are
    (iteration, command) pairs sent while the run is paused there."""
    t = Trainer(TrainConfig(**config))
    q: queue.SimpleQueue = queue.SimpleQueue()
    s = Session(t, q.put, record=str(path), snapshot_every=snapshot_every, paused=bool(commands)).start()
    for at, command in commands:
        while t.iteration < at:  # step to it (the trainer's iteration is read only)
            s.send(ev.Step())
            _wait(q, ev.Stepped)
        s.send(command)
    s.send(ev.Resume())
    _wait(q, ev.Finished, ev.Diverged)
    s.stop()


def _wait(q, *kinds):
    while True:
        batch = q.get(timeout=60)
        assert not any(isinstance(e, ev.Failed) for e in batch), [e for e in batch if isinstance(e, ev.Failed)]
        if any(isinstance(e, kinds) for e in batch):
            return


def straight(config: dict, iteration: int, commands=()) -> Trainer:
    """The same run, run straight to ``iteration`` in uneven chunks (commands at their iterations)."""
    t = Trainer(TrainConfig(**config))
    t.start_events()
    pending = list(commands)
    while t.iteration < iteration or (pending and pending[0][0] == t.iteration):
        if pending and pending[0][0] == t.iteration:
            _, c = pending.pop(0)
            if isinstance(c, ev.SwitchOptimizer):
                t.switch_optimizer(c.name, **c.hyperparams)
            else:
                t.set_hyperparam(c.name, c.value)
            continue
        stop = min([iteration, *(at for at, _ in pending)])
        t.advance(min(173, stop - t.iteration))
    return t


def assert_same_state(a: Trainer, b: Trainer) -> None:
    np.testing.assert_array_equal(a.net.params, b.net.params)
    np.testing.assert_array_equal(a.net.grads, b.net.grads)
    np.testing.assert_array_equal(a.rng.get_state()[1], b.rng.get_state()[1])
    assert a.rng.get_state()[2:] == b.rng.get_state()[2:]
    for k in ARRAYS + OPTIONAL_ARRAYS:
        x, y = getattr(a, k), getattr(b, k)
        assert (x is None) == (y is None), k
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=k)
    for k in RUN_STATE:
        if k not in ("evaluations", "elapsed"):
            assert getattr(a, k) == getattr(b, k), k
    sa, sb = a.optimizer.state_dict(), b.optimizer.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k], err_msg=k)
    assert (a.optimizer.name, a.optimizer.hp) == (b.optimizer.name, b.optimizer.hp)
    # and they go on the same way
    da = [e.to_dict(timing=False) for e in a.advance(150)]
    db = [e.to_dict(timing=False) for e in b.advance(150)]
    assert da == db


@pytest.mark.parametrize("name", CONFIGS)
def test_replay_reconstructs_the_exact_state_at_random_iterations(name, tmp_path):
    config = CONFIGS[name]
    record(tmp_path / "run.rec", config)
    rec = Recording.open(tmp_path / "run.rec")
    assert (rec.first, rec.end, rec.torn) == (0, 1500, False)
    replayer = Replayer(rec)
    cursors = [0, 1500, *np.random.default_rng(len(name)).integers(0, 1500, 4).tolist()]
    for c in cursors:
        assert_same_state(Replayer(rec).state_at(c) if c == 0 else replayer.state_at(c), straight(config, c))


def test_the_stream_holds_every_iterations_values(tmp_path):
    config = CONFIGS["hill-climb"]
    record(tmp_path / "run.rec", config)
    its, losses, accs, accepted = Recording.open(tmp_path / "run.rec").series()
    t = straight(config, 0)
    p = [e for e in t.advance(1500) if isinstance(e, ev.Progress)]
    np.testing.assert_array_equal(its, np.arange(1500))
    np.testing.assert_array_equal(losses, np.concatenate([e.losses for e in p]))
    np.testing.assert_array_equal(accs, np.concatenate([e.accuracies for e in p]))
    np.testing.assert_array_equal(accepted, np.concatenate([e.accepted for e in p]))


def test_replay_after_commands_of_a_live_run(tmp_path):
    """A switch of optimizer and a new learning rate mid-run: the state after them is the run's."""
    config = CONFIGS["hill-climb"]
    commands = [(300, ev.SwitchOptimizer("adam", {"lr": 0.01})), (700, ev.SetHyperparam("lr", 0.005))]
    record(tmp_path / "run.rec", config, commands)
    replayer = Replayer(Recording.open(tmp_path / "run.rec"))
    for c in (250, 300, 450, 700, 1111):
        assert_same_state(replayer.state_at(c), straight(config, c, commands))


def test_a_torn_tail_is_dropped_and_damage_is_reported(tmp_path):
    path = tmp_path / "run.rec"
    record(path, CONFIGS["hill-climb"])
    data = path.read_bytes()
    whole = Recording.open(path)
    cut = tmp_path / "cut.rec"
    cut.write_bytes(data[:len(data) - 100])  # killed mid-write: the last record is incomplete
    rec = Recording.open(cut)
    assert rec.torn and 0 < rec.end <= whole.end
    assert_same_state(Replayer(rec).state_at(rec.end - 1), straight(CONFIGS["hill-climb"], rec.end - 1))
    bad = bytearray(data)
    bad[len(data) // 2] ^= 0xFF  # a flipped byte in the middle is damage, not a torn end
    cut.write_bytes(bytes(bad))
    with pytest.raises(RecordingError, match="damaged recording"):
        Recording.open(cut)
    cut.write_bytes(b"PK\x03\x04 something else entirely")
    with pytest.raises(RecordingError, match="is not a tui-nn recording"):
        Recording.open(cut)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=0, max_size=300),
       st.integers(0, 5))
def test_packing_gives_back_every_bit(values, repeat):
    a = np.array([*values, -0.0, 0.0] * (repeat + 1), np.float64)
    flags = a > 0
    with np.errstate(all="ignore"):
        few = np.where(np.arange(len(a)) % 2, -0.0, np.round(np.nan_to_num(a), 1) % 3)  # an index of them
    with np.errstate(all="ignore"):
        meta, arrays = unpack(pack({"k": 1}, {"a": a, "f32": a.astype(np.float32), "flags": flags, "few": few}))
    assert meta == {"k": 1}
    with np.errstate(all="ignore"):
        expected = {"a": a, "f32": a.astype(np.float32), "flags": flags, "few": few}
    for k, v in expected.items():
        assert arrays[k].dtype == v.dtype and arrays[k].tobytes() == v.tobytes(), k


# --- the command line -----------------------------------------------------------------------------


def test_train_record_then_replay_headless(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("train", "--headless", "--iterations", "800", "--record", "run.rec")
    assert result.exit_code == 0, result.output
    result = run("replay", "run.rec", "--headless", "--at", "345")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("run.rec: hill-climb on vertical, seed 0, iterations 0 to 800")
    t = straight({"iterations": 800}, 345)
    loss, _ = t.metrics(t.X_train, t.y_train)
    assert lines[1].startswith(f"iteration 345: training loss {loss:.6g}")
    assert run("replay", "run.rec", "--headless", "--at", "345").output == result.output  # same bytes


def test_a_checkpoint_at_the_cursor_resumes_as_the_straight_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("train", "--headless", "--iterations", "800", "--record", "run.rec").exit_code == 0
    assert run("replay", "run.rec", "--headless", "--at", "345", "--checkpoint", "at.npz").exit_code == 0
    assert_same_state(Trainer.from_checkpoint("at.npz"), straight({"iterations": 800}, 345))


@pytest.mark.parametrize("args, fragments", [
    (("--at", "801"), ("iteration 801 is outside the recording", "0 to 800", "give an iteration")),
    (("--checkpoint", "run.rec"), ("RUN and --checkpoint name the same file",)),
    (("--checkpoint", "x.txt"), ("end the name with .npz",)),
])
def test_replay_refuses_bad_input_in_one_line(args, fragments, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("train", "--headless", "--iterations", "800", "--record", "run.rec").exit_code == 0
    before = (tmp_path / "run.rec").read_bytes()
    assert_one_line_error(run("replay", "run.rec", "--headless", *args), *fragments)
    assert (tmp_path / "run.rec").read_bytes() == before
    assert not (tmp_path / "x.txt").exists()


def test_replay_refuses_a_foreign_or_truncated_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("hello\n")
    assert_one_line_error(run("replay", "notes.txt", "--headless"), "notes.txt is not a tui-nn recording")
    assert_one_line_error(run("replay", "missing.rec", "--headless"), "no such file")
    assert run("train", "--headless", "--iterations", "300", "--record", "run.rec").exit_code == 0
    (tmp_path / "cut.rec").write_bytes((tmp_path / "run.rec").read_bytes()[:200])
    assert_one_line_error(run("replay", "cut.rec", "--headless"), "cut.rec", "record the run again")


def test_train_record_refuses_an_existing_file_and_shared_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.rec").write_bytes(b"precious")
    assert_one_line_error(run("train", "--headless", "--record", "old.rec"), "--record old.rec", "never written over")
    assert (tmp_path / "old.rec").read_bytes() == b"precious"
    assert_one_line_error(run("train", "--headless", "--record", "a.npz", "--checkpoint", "a.npz"),
                          "--checkpoint and --record name the same file")
    assert_one_line_error(run("train", "--headless", "--record", "nowhere/run.rec"), "--record", "does not exist")
