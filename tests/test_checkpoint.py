"""Checkpoints: atomic writes, bit-identical resumes (also after a real SIGKILL), clear refusals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tui_nn import weights
from tui_nn import events as ev
from tui_nn.trainer import Trainer, TrainConfig

ROOT = Path(__file__).resolve().parents[1]

CONFIGS = {
    "hill-climb": dict(iterations=600),
    "random-search": dict(optimizer="random-search", iterations=600),
    "anneal": dict(optimizer="anneal", hyperparams={"temperature": 0.05}, iterations=600),
    "adam-minibatch-dropout": dict(optimizer="adam", hyperparams={"lr": 0.02}, layers=(16,), dropout=0.2,
                                   batch_size=32, iterations=600),
    "sgd-momentum-spiral": dict(dataset="spiral", layers=(8, 8), optimizer="sgd",
                                hyperparams={"lr": 0.5, "momentum": 0.9, "decay": 1e-3}, batch_size=64,
                                iterations=600),
}
N, M = 237, 300  # N is neither an evaluation point nor an epoch boundary


def started(config: dict) -> Trainer:
    t = Trainer(TrainConfig(**config))
    t.start_events()
    return t


def dicts(events):
    return [e.to_dict(timing=False) for e in events]


def assert_same_trainer(a: Trainer, b: Trainer):
    np.testing.assert_array_equal(a.net.params, b.net.params)
    np.testing.assert_array_equal(a.best_params, b.best_params)
    for k in ("iteration", "best_loss", "best_iteration", "improvements", "accepted_total", "epoch",
              "batch_pos", "limit", "state", "evaluations", "switches"):
        assert getattr(a, k) == getattr(b, k), k
    for name in ("losses", "accuracies"):
        for x, y in zip(getattr(a, name).arrays(), getattr(b, name).arrays()):
            np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.snapshot().to_dict() == b.snapshot().to_dict()


@pytest.mark.parametrize("name", CONFIGS)
def test_resume_continues_bit_identically(name, tmp_path):
    config = CONFIGS[name]
    whole = started(config)
    whole.advance(N)
    rest_whole = whole.advance(M)

    part = started(config)
    for _ in range(N // 50):  # chunking differs from the unbroken run on purpose
        part.advance(50)
    part.advance(N % 50)
    saved = part.save_checkpoint(tmp_path / "run.ckpt")
    assert saved == ev.CheckpointSaved(N, str(tmp_path / "run.ckpt"))
    resumed = Trainer.from_checkpoint(tmp_path / "run.ckpt")
    assert resumed.iteration == N
    assert_same_trainer(part, resumed)
    rest_resumed = resumed.advance(M)

    assert dicts(rest_resumed) == dicts(rest_whole)  # Progress arrays, evaluations, finished
    assert_same_trainer(whole, resumed)
    assert resumed.optimizer.state_dict().keys() == whole.optimizer.state_dict().keys()


def test_resume_after_a_switch_and_a_weight_change(tmp_path):
    def prepare():
        t = started(dict(iterations=500, batch_size=64))
        t.advance(120)
        t.switch_optimizer("rmsprop", lr=0.01)
        t.advance(33)
        t.set_weight(2, 0.3)
        t.advance(10)
        return t

    whole = prepare()
    rest_whole = whole.advance(200)
    part = prepare()
    part.save_checkpoint(tmp_path / "c.npz")
    resumed = Trainer.from_checkpoint(tmp_path / "c.npz")
    assert resumed.optimizer.name == "rmsprop" and resumed.optimizer.hp["lr"] == 0.01
    assert resumed.switches == [(0, "hill-climb"), (120, "rmsprop")]
    assert dicts(resumed.advance(200)) == dicts(rest_whole)
    assert_same_trainer(whole, resumed)


def test_a_finished_run_resumes_finished(tmp_path):
    t = started(dict(iterations=100))
    list(t.events())
    t.save_checkpoint(tmp_path / "done.npz")
    back = Trainer.from_checkpoint(tmp_path / "done.npz")
    assert back.state == "finished" and back.done and back.iteration == 100
    assert back.summary()["best_loss"] == t.summary()["best_loss"]
    assert back.advance(10) == []


# -- atomic writes ----------------------------------------------------------------------------


def test_a_failed_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "run.ckpt.npz"
    t = started(dict(iterations=400))
    t.advance(100)
    t.save_checkpoint(path)
    before = path.read_bytes()
    t.advance(50)

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04 the first part of a zip")  # half written, then the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="No space left on device"):
        t.save_checkpoint(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.ckpt.npz"]  # no temporary file left
    monkeypatch.undo()
    assert Trainer.from_checkpoint(path).iteration == 100
    t.save_checkpoint(path)  # and the next save works
    assert Trainer.from_checkpoint(path).iteration == 150


CHILD = r"""
import json, os, signal, sys
import numpy as np
from tui_nn.trainer import Trainer, TrainConfig

path, config, n = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
t = Trainer(TrainConfig(**config))
t.start_events()
t.advance(n)
t.save_checkpoint(path)
t.advance(40)

def dying_savez(f, **arrays):  # killed in the middle of writing the next checkpoint
    f.write(b"PK\x03\x04 half a checkpoint")
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)

np.savez = dying_savez
t.save_checkpoint(path)
print("not reached")
"""


@pytest.mark.parametrize("name", ["hill-climb", "adam-minibatch-dropout"])
def test_resume_after_the_process_is_killed(name, tmp_path):
    config = CONFIGS[name]
    path = tmp_path / "run.ckpt"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), json.dumps(config), str(N)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "not reached" not in proc.stdout
    # the checkpoint from before the kill is whole; only a hidden temporary file is left beside it
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["run.ckpt"]

    resumed = Trainer.from_checkpoint(path)
    assert resumed.iteration == N
    rest_resumed = resumed.advance(M)
    whole = started(config)
    whole.advance(N)
    rest_whole = whole.advance(M)
    assert dicts(rest_resumed) == dicts(rest_whole)
    assert_same_trainer(whole, resumed)


# -- refusals ---------------------------------------------------------------------------------


def make_bad_files(folder: Path) -> dict[str, Path]:
    t = started(dict(iterations=50))
    t.advance(10)
    good = t.save_checkpoint(folder / "good.npz").path
    data = Path(good).read_bytes()
    files = {
        "text": folder / "notes.txt",
        "empty": folder / "empty.npz",
        "truncated": folder / "truncated.npz",
        "damaged": folder / "damaged.npz",
        "plain npz": folder / "arrays.npz",
        "weights": folder / "weights.npz",
        "json meta list": folder / "list.npz",
        "missing": folder / "missing.npz",
        "folder": folder,
    }
    files["text"].write_text("epoch,loss\n1,0.5\n")
    files["empty"].write_bytes(b"")
    files["truncated"].write_bytes(data[: len(data) // 2])
    damaged = bytearray(data)
    damaged[len(data) // 3: len(data) // 3 + 64] = b"x" * 64
    files["damaged"].write_bytes(bytes(damaged))
    np.savez(files["plain npz"], a=np.ones(3))
    weights.save(t.net, files["weights"])
    np.savez(files["json meta list"], meta=np.array(json.dumps([1, 2])))
    return files


def test_a_file_that_is_not_a_checkpoint_is_refused_in_one_line(tmp_path):
    for what, path in make_bad_files(tmp_path).items():
        with pytest.raises(ValueError) as e:
            Trainer.from_checkpoint(path)
        msg = str(e.value)
        assert msg.startswith(f"{path} is not a tui-nn checkpoint"), what
        assert msg.endswith("give a checkpoint that tui-nn saved"), what
        assert "--" not in msg, what  # the Python API has no options
        assert "\n" not in msg, what
