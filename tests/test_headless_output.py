"""Headless output a user can rely on: the same bytes for the same command whatever the chunking,
a resumed run that counts like the uninterrupted one, late signals and failing logs that lose
nothing, and a session that does not burst after a reset."""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from tui_nn import chunks, exit_codes
from tui_nn import events as ev
from tui_nn.headless import Outputs, run_headless
from tui_nn.trainer import Trainer, TrainConfig

ROOT = Path(__file__).resolve().parents[1]

CONFIGS = {
    "hill-climb": dict(iterations=3000),
    "sgd-full-batch": dict(dataset="spiral", layers=(16,), optimizer="sgd", hyperparams={"lr": 1.0},
                           iterations=1500),
    "adam-minibatch-val": dict(dataset="spiral", layers=(16,), optimizer="adam", hyperparams={"lr": 0.02},
                               batch_size=32, dropout=0.1, val_split=0.2, epochs=12),
}


def headless(config: dict, fmt: str, tmp_path: Path, name: str, trainer: Trainer | None = None, **outputs):
    log = tmp_path / f"{name}.jsonl"
    stdout, stderr = io.StringIO(), io.StringIO()
    status = run_headless(trainer or Trainer(TrainConfig(**config)),
                          Outputs(fmt=fmt, log=str(log), progress=False, **outputs), stdout, stderr)
    return status, stdout.getvalue(), log.read_bytes()


@pytest.mark.parametrize("fmt", ["text", "jsonl", "csv"])
@pytest.mark.parametrize("name", CONFIGS)
def test_the_same_command_prints_the_same_bytes_whatever_the_chunking(name, fmt, tmp_path, monkeypatch):
    config = CONFIGS[name]
    outputs = {}
    for budget in (1e-7, 0.5):  # one-iteration chunks, then chunks as long as they may grow
        monkeypatch.setattr(chunks, "CHUNK_SECONDS", budget)
        outputs[budget] = headless(config, fmt, tmp_path, f"run{budget}", checkpoint=str(tmp_path / "c.npz"),
                                   checkpoint_every=250)
    (s1, out1, log1), (s2, out2, log2) = outputs.values()
    assert s1 == s2 == 0
    assert out1 == out2 and log1 == log2
    assert b"elapsed" not in log1 and "it/s" not in out1 and "elapsed" not in out1
    # lines in iteration order: an evaluation right after the iteration it evaluates
    its = [d["iteration"] for d in map(json.loads, log1.decode().splitlines()) if "iteration" in d]
    assert its == sorted(its)


def test_timing_is_there_when_asked_for(tmp_path):
    _, out, log = headless(CONFIGS["hill-climb"], "text", tmp_path, "t", timing=True)
    assert " it/s), optimizer hill-climb" in out and b'"elapsed"' in log


@pytest.mark.parametrize("stop", [1000, 1037])  # at an evaluation, and between two
def test_a_resumed_run_counts_like_the_uninterrupted_one(stop, tmp_path):
    config = dict(dataset="spiral", layers=(16,), optimizer="adam", hyperparams={"lr": 0.02}, batch_size=32,
                  dropout=0.2, iterations=2000, eval_every=100)
    _, whole, _ = headless(config, "jsonl", tmp_path, "whole")
    part = Trainer(TrainConfig(**config))
    part.start_events()
    part.advance(stop)
    part.save_checkpoint(tmp_path / "c.npz")
    _, resumed, _ = headless({}, "jsonl", tmp_path, "resumed", trainer=Trainer.from_checkpoint(tmp_path / "c.npz"))

    def after(text: str) -> list[str]:
        lines = text.splitlines()
        first = next(i for i, line in enumerate(lines)
                     if line.startswith(f'{{"event": "iteration", "iteration": {stop},'))
        return lines[first:]

    assert after(resumed) == after(whole)  # every line, the summary's improvements and best iteration too
    summary = json.loads(resumed.splitlines()[-1])
    assert summary["improvements"] == json.loads(whole.splitlines()[-1])["improvements"] > 0


def test_a_log_that_cannot_be_written_stops_the_run_like_ctrl_c(tmp_path):
    """ENOSPC: /dev/full accepts the open and fails the writes (the CLI refuses it up front)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    stdout, stderr = io.StringIO(), io.StringIO()
    ck, w = tmp_path / "c.npz", tmp_path / "w.npz"
    status = run_headless(Trainer(TrainConfig(iterations=2_000_000)),
                          Outputs(log="/dev/full", checkpoint=str(ck), save=str(w), progress=False), stdout, stderr)
    assert status == exit_codes.OUTPUT_FAILED == 4
    errors = [line for line in stderr.getvalue().splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "--log /dev/full: cannot write (No space left on device)" in errors[0]
    resumed = Trainer.from_checkpoint(ck)
    assert 0 < resumed.iteration < 2_000_000 and w.exists()
    assert f"continue with: tui-nn train --headless --resume {ck}" in stdout.getvalue()


def _tui_nn(args, **kw):
    code = "import sys; from tui_nn.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, "train", "--headless", *args], capture_output=True,
                          text=True, timeout=120, **kw)


def test_a_log_over_the_file_size_limit_stops_the_run_and_keeps_it(tmp_path):
    """EFBIG: ulimit -f in a real process; the checkpoint and weights (small) still fit."""
    limit = 2 << 20

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = _tui_nn(["--iterations", "2000000", "--log", "lg.jsonl", "--checkpoint", "lc.npz", "--save", "lw.npz"],
                     cwd=tmp_path, preexec_fn=small_files)
    assert result.returncode == 4, result.stderr
    assert "Error: --log lg.jsonl: cannot write (File too large)" in result.stderr
    assert "Traceback" not in result.stderr
    assert Trainer.from_checkpoint(tmp_path / "lc.npz").iteration > 0 and (tmp_path / "lw.npz").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_the_outputs_are_written_lets_them_finish_then_exits_130(sig, tmp_path):
    """The signal arrives at the start of --save, after the last iteration (a real signal in a
    real process): the weights, the checkpoint and the summary are all written, and a finished
    run is not offered a --resume."""
    code = (f"import os, signal, sys\n"
            f"from tui_nn import weights\n"
            f"save = weights.save\n"
            f"def late(net, path):\n"
            f"    os.kill(os.getpid(), {int(sig)})\n"
            f"    return save(net, path)\n"
            f"weights.save = late\n"
            f"from tui_nn.cli import main\n"
            f"sys.exit(main())\n")
    result = subprocess.run([sys.executable, "-c", code, "train", "--headless", "--iterations", "300",
                             "--save", "w.npz", "--checkpoint", "c.npz"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 130, result.stderr
    assert (tmp_path / "w.npz").exists() and Trainer.from_checkpoint(tmp_path / "c.npz").iteration == 300
    assert "Finished: 300 iterations" in result.stdout and "--resume" not in result.stdout + result.stderr


def test_a_reset_after_the_end_does_not_burst_at_a_set_speed(monkeypatch):
    """The session's pace restarts when a finished run becomes active again, however long it
    stood still (the wall clock here is a fake that jumps 1000 s while the run is finished)."""
    from tui_nn import runner

    now = [0.0]
    monkeypatch.setattr(runner, "time", SimpleNamespace(perf_counter=lambda: now[0]))
    finished, reset_seen, progressed = threading.Event(), threading.Event(), threading.Event()
    after_reset: list[int] = []

    def on_events(batch):
        for e in batch:
            if isinstance(e, ev.Finished):
                finished.set()
            elif isinstance(e, ev.ResetDone):
                reset_seen.set()
            elif isinstance(e, ev.Progress) and reset_seen.is_set():
                after_reset.append(len(e))
                if sum(after_reset) >= 5:
                    progressed.set()

    session = runner.Session(Trainer(TrainConfig(iterations=20, eval_every=100)), on_events, speed=100.0).start()
    ticker = threading.Thread(target=lambda: [_tick(now, finished) for _ in iter(lambda: finished.is_set(), True)])
    ticker.start()
    assert finished.wait(30)
    ticker.join()
    now[0] += 1000.0  # it stood finished for a long while
    session.send(ev.Reset())
    assert progressed.wait(30)
    session.send(ev.Pause())
    session.stop()
    # the fake clock stands still now: one iteration at a time, as due, never a catch-up chunk
    assert after_reset and set(after_reset) == {1}


def _tick(now, finished):
    finished.wait(0.002)  # lets the fake clock move on while the run goes at its set speed
    now[0] += 0.01


def test_one_progress_bar_for_train_and_sweep():
    from tui_nn.progress import ProgressBar

    drawn: list[str] = []
    bar = ProgressBar(drawn.append, lambda: 20)
    bar.draw(0.5, "it 5/10", force=True)
    bar.draw(0.6, "it 6/10")  # within a tenth of a second: not redrawn
    bar.clear()
    assert drawn == ["\r" + "█" * 12 + "·" * 8 + "\x1b[K", "\r\x1b[K"]  # cut to the terminal's 20 columns
    package = ROOT / "tui_nn"
    drawers = [p.relative_to(package).as_posix() for p in [*package.glob("*.py"), *package.glob("cli/*.py")]
               if "█" in p.read_text(encoding="utf-8")]
    assert drawers == ["progress.py"]  # no second bar beside it
