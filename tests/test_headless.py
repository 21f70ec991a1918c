"""`tui-nn train --headless`: the book's numbers, stream formats, files, signals and exit codes."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tui_nn import weights
from tui_nn.cli import main

TUI_NN = Path(sys.executable).parent / "tui-nn"


def run(*args: str):
    return CliRunner().invoke(main, ["train", "--headless", *args], catch_exceptions=False)


def spawn(*args: str, **kw) -> subprocess.Popen:
    if not TUI_NN.exists():
        pytest.skip("the tui-nn script is not installed next to this Python")
    return subprocess.Popen([str(TUI_NN), "train", "--headless", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def read_terminal(master: int) -> str:
    """Everything written to a pseudo-terminal until its other side closes (then close it)."""
    import select

    chunks = []
    while select.select([master], [], [], 60)[0]:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return b"".join(chunks).decode(errors="replace")


# -- the book, through the front door ----------------------------------------------------------


@pytest.mark.parametrize("args, last_line, improvements", [
    ((), "New set of weights found, iteration: 9397 loss: 0.1727971 acc: 0.93", 243),
    (("--optimizer", "random-search"), "New set of weights found, iteration: 9450 loss: 1.0964295 acc: 0.3333", 10),
    (("--dataset", "spiral"), "New set of weights found, iteration: 5415 loss: 1.0790575 acc: 0.39", 71),
])
def test_book_chapter_6_runs(args, last_line, improvements):
    result = run("--dataset", "vertical", "--iterations", "10000", "--seed", "0", *args) if "--dataset" not in args \
        else run("--iterations", "10000", "--seed", "0", *args)
    assert result.exit_code == 0, result.output
    found = [l for l in result.output.splitlines() if l.startswith("New set of weights found")]
    assert len(found) == improvements
    assert found[-1] == last_line
    assert re.search(rf"improvements\s+{improvements} ", result.output)
    assert "Finished: 10,000 iterations" in result.output


def test_a_dataset_name_in_another_case_is_the_same_run():
    result = run("--dataset", "Spiral", "--iterations", "10000")
    assert result.exit_code == 0, result.output
    assert "hill-climb on spiral (300 training, 0 validation samples)" in result.output
    assert "New set of weights found, iteration: 5415 loss: 1.0790575 acc: 0.39" in result.output


# -- stream formats -------------------------------------------------------------------------------


def test_jsonl_stream_has_every_iteration_and_a_summary():
    result = run("--iterations", "300", "--format", "jsonl")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.output.splitlines()]
    its = [r["iteration"] for r in records if r["event"] == "iteration"]
    assert its == list(range(300))
    summary = records[-1]
    assert summary["event"] == "summary" and summary["iterations"] == 300 and summary["status"] == 0
    assert any(r["event"] == "evaluation" for r in records)


def test_csv_stream_every_n_with_running_best():
    result = run("--iterations", "1000", "--format", "csv", "--every", "100")
    assert result.exit_code == 0
    lines = [l for l in result.stdout.splitlines() if l and not l[0].isalpha() or l.startswith("iteration,")]
    assert lines[0] == "iteration,loss,accuracy,accepted,best_loss"
    rows = [l.split(",") for l in lines[1:]]
    assert [int(r[0]) for r in rows] == list(range(0, 1000, 100))
    best = [float(r[4]) for r in rows]
    assert best == sorted(best, reverse=True)  # the best loss never gets worse
    assert all(float(r[4]) <= float(r[1]) or r[3] == "0" for r in rows)


def test_gradient_text_stream_prints_epochs_and_lr():
    """tui-nn's own evaluation lines (the book's setup in book precision prints the book's lines
    instead: tests/test_book_chapter10.py)."""
    result = run("--optimizer", "adam", "--lr", "0.02", "--layers", "16", "--epochs", "40", "--dataset", "spiral",
                 "--precision", "fast")
    assert result.exit_code == 0, result.output
    epochs = [l for l in result.output.splitlines() if l.startswith("epoch:")]
    assert 10 <= len(epochs) <= 25  # about 20 lines, not one per iteration
    assert "lr: 0.02" in epochs[-1]
    first, last = (float(re.search(r"loss: ([\d.]+)", l).group(1)) for l in (epochs[0], epochs[-1]))
    assert last < first


# -- files ------------------------------------------------------------------------------------------


def test_log_keeps_every_iteration_and_save_writes_weights(tmp_path):
    log, weights_json, weights_npz = tmp_path / "run.jsonl", tmp_path / "w.json", tmp_path / "w.npz"
    result = run("--iterations", "2000", "--log", str(log), "--save", str(weights_json))
    assert result.exit_code == 0
    records = [json.loads(l) for l in log.read_text().splitlines()]
    assert [r["iteration"] for r in records if r["event"] == "iteration"] == list(range(2000))
    assert {"started", "evaluation", "finished"} <= {r["event"] for r in records}
    readable = json.loads(weights_json.read_text())
    assert [l["units"] for l in readable["layers"]] == [3, 3]
    assert run("--iterations", "2000", "--save", str(weights_npz)).exit_code == 0
    a, b = weights.load(weights_json), weights.load(weights_npz)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-6)
    # The saved best weights score the best loss the run reported.
    best = [r for r in records if r["event"] == "finished"][0]["summary"]["best_loss"]
    from tui_nn.trainer import Trainer
    t = Trainer(iterations=2000)
    t.net.params[...] = b.params
    assert t.metrics(t.X_train, t.y_train)[0] == pytest.approx(best, abs=2e-7)


def test_checkpoint_every_then_resume_is_bit_identical(tmp_path):
    ck, straight, resumed = tmp_path / "c.npz", tmp_path / "straight.npz", tmp_path / "resumed.npz"
    args = ("--optimizer", "adam", "--dataset", "moons", "--layers", "8", "--batch-size", "16",
            "--dropout", "0.1", "--init", "he")
    assert run(*args, "--iterations", "300", "--save", str(straight)).exit_code == 0
    result = run(*args, "--iterations", "120", "--checkpoint", str(ck), "--checkpoint-every", "50")
    assert result.exit_code == 0 and ck.exists()
    assert run("--resume", str(ck), "--iterations", "180", "--save", str(resumed)).exit_code == 0
    assert np.array_equal(weights.load(straight).params, weights.load(resumed).params)


def test_resume_continues_with_another_optimizer_or_rate_but_refuses_to_change_the_run(tmp_path):
    ck = tmp_path / "c.npz"
    assert run("--iterations", "500", "--checkpoint", str(ck)).exit_code == 0
    switched = run("--resume", str(ck), "--optimizer", "adam", "--lr", "0.01", "--iterations", "50")
    assert switched.exit_code == 0, switched.output
    assert "resuming at iteration 500 of 550 with adam" in switched.output
    scaled = run("--resume", str(ck), "--scale", "0.01", "--epochs", "20")
    assert scaled.exit_code == 0 and "resuming at iteration 500 of 520 with hill-climb" in scaled.output
    for args, message in [
        (("--layers", "8"), "--layers cannot change on --resume"),
        (("--dataset", "spiral", "--seed", "3"), "--dataset, --seed cannot change on --resume"),
        (("--batch-size", "16"), "--batch-size cannot change on --resume"),
        (("--lr", "0.1", "--iterations", "10"), "--lr does not apply to hill-climb (the checkpoint's optimizer)"),
        (("--iterations", "10", "--epochs", "3"), "not both"),
        ((), "that run already finished; add --iterations N or --epochs N"),
    ]:
        result = run("--resume", str(ck), *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output


def test_resume_finds_its_data_file_from_any_folder_and_refuses_changed_data(tmp_path, monkeypatch):
    data = tmp_path / "d.csv"
    rng = np.random.RandomState(0)
    data.write_text("".join(f"{a:.3f},{b:.3f},{int(a > b)}\n" for a, b in rng.rand(60, 2)))
    monkeypatch.chdir(tmp_path)
    assert run("--data", "d.csv", "--iterations", "100", "--checkpoint", "c.npz").exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run("--resume", "../c.npz", "--iterations", "50").exit_code == 0
    data.write_text(data.read_text() + "0.5,0.25,1\n")
    result = run("--resume", "../c.npz", "--iterations", "50")
    assert result.exit_code == 2
    assert "d.csv has changed since this checkpoint was saved" in result.output


def test_target_loss_stops_early():
    result = run("--iterations", "10000", "--target-loss", "0.5")
    assert result.exit_code == 0
    n = int(re.search(r"Finished: ([\d,]+) iterations", result.output).group(1).replace(",", ""))
    assert n < 10000
    best = float(re.search(r"best loss\s+([\d.]+)", result.output).group(1))
    assert best <= 0.5


# -- exit statuses and bad input ------------------------------------------------------------------


def test_divergence_exits_3_and_keeps_finite_weights(tmp_path):
    out = tmp_path / "w.npz"
    result = run("--dataset", "sine", "--optimizer", "sgd", "--lr", "1e6", "--layers", "16",
                 "--iterations", "200", "--save", str(out))
    assert result.exit_code == 3
    assert "Diverged at iteration" in result.output and "Lower the learning rate" in result.output
    assert np.isfinite(weights.load(out).params).all()


@pytest.mark.parametrize("args, message", [
    (("--lr", "0.1"), "--lr does not apply to hill-climb"),
    (("--iterations", "10", "--epochs", "2"), "not both"),
    (("--log", "/nonexistent-dir/x.jsonl"), "--log: folder /nonexistent-dir does not exist"),
    (("--save", "/nonexistent-dir/w.npz"), "--save: folder /nonexistent-dir does not exist"),
    (("--save", "weights.txt"), "use a .json (readable) or .npz (exact) file name"),
    (("--checkpoint", "/nonexistent-dir/c.npz"), "--checkpoint: folder /nonexistent-dir does not exist"),
    (("--resume", "/nonexistent-dir/c.npz"), "no such file"),
    (("--optimizer", "adam", "--lr", "-1"), "lr must be in"),
    (("--dataset", "nope"), "nope"),
    (("--layers", "3,0"), "positive integers"),
    (("--scale", "0"), "scale must be in"),
    (("--layers", "99999999999"), "599,999,999,997 parameters"),
    (("--batch-size", "32"), "--batch-size applies to gradient optimizers; hill-climb scores every candidate"),
    (("--dataset", "iris", "--task", "regression"), "iris is a classification dataset; drop --task regression"),
    (("--dataset", "sine", "--task", "classification"), "sine is a regression dataset"),
])
def test_bad_input_is_one_line_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert "New set of weights" not in result.output  # refused before training


def test_not_a_checkpoint_is_refused(tmp_path):
    bogus = tmp_path / "c.npz"
    bogus.write_text("not numpy")
    result = run("--resume", str(bogus))
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line
    assert line.startswith(f"Error: {bogus} is not a tui-nn checkpoint")
    assert line.endswith("give a checkpoint that tui-nn saved")


def test_refused_run_leaves_existing_files_alone(tmp_path):
    log = tmp_path / "keep.jsonl"
    log.write_text("precious\n")
    result = run("--log", str(log), "--save", str(tmp_path / "missing" / "w.npz"))
    assert result.exit_code == 2
    assert log.read_text() == "precious\n"


# -- real processes: pipes, terminals, signals ---------------------------------------------------------


def test_pipe_output_has_no_control_characters():
    proc = spawn("--iterations", "3000", "--plot")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "\x1b" not in out and "\r" not in out
    assert "\x1b" not in err and "\r" not in err
    assert "New set of weights found" in out and "Finished: 3,000 iterations" in out
    assert "loss" in out.split("Finished:")[1]  # the plotext chart follows the summary


def test_progress_bar_on_a_terminal():
    if not TUI_NN.exists():
        pytest.skip("the tui-nn script is not installed next to this Python")
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(TUI_NN), "train", "--headless", "--iterations", "20000"],
                            stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    out, _ = proc.communicate(timeout=120)
    tty = read_terminal(master)
    assert proc.returncode == 0
    assert "\r" in tty and "it/s" in tty  # a bar redrawn in place on the terminal
    assert "\r" not in out  # the piped stream stays plain


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_saves_checkpoint_and_exits_130(tmp_path, sig):
    proc = spawn("--iterations", "100000000", cwd=tmp_path)
    first = proc.stdout.readline()  # the header: training has started
    assert first.startswith("tui-nn: hill-climb on vertical")
    proc.stdout.readline()  # and the first new-best line: the loop is running
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    ck = tmp_path / "tui-nn-vertical-hill-climb-seed0.ckpt.npz"
    assert ck.exists()
    assert f"checkpoint saved to {ck.name}" in out
    assert "Interrupted:" in out
    resumed = subprocess.run([str(TUI_NN), "train", "--headless", "--resume", str(ck), "--iterations", "500"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming at iteration" in resumed.stdout


def interrupt_after_first_line(tmp_path, *args) -> subprocess.CompletedProcess:
    proc = spawn("--iterations", "100000000", *args, cwd=tmp_path)
    proc.stdout.readline()  # the header
    proc.stdout.readline()  # the first new-best line: the loop is running
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_an_interrupted_run_never_overwrites_another_runs_checkpoint(tmp_path):
    interrupt_after_first_line(tmp_path)
    first = tmp_path / "tui-nn-vertical-hill-climb-seed0.ckpt.npz"
    before = first.read_bytes()
    second = interrupt_after_first_line(tmp_path)
    assert first.read_bytes() == before
    again = tmp_path / "tui-nn-vertical-hill-climb-seed0-2.ckpt.npz"
    assert again.exists() and f"checkpoint saved to {again.name}" in second.stdout
    # a resumed run saves back to the file it came from
    resumed = interrupt_after_first_line(tmp_path, "--resume", first.name)
    assert f"checkpoint saved to {first.name}" in resumed.stdout
    assert first.read_bytes() != before
    assert not (tmp_path / "tui-nn-vertical-hill-climb-seed0-3.ckpt.npz").exists()


def test_interrupt_that_cannot_save_still_prints_the_summary_and_exits_130(tmp_path, monkeypatch):
    from tui_nn import headless
    from tui_nn.trainer import Trainer, TrainConfig

    import io
    import re

    from tui_nn.signals import Interrupts

    interrupts = Interrupts()
    interrupts.signum = signal.SIGINT  # as if Ctrl-C came as training started
    out, err = io.StringIO(), io.StringIO()
    missing = tmp_path / "gone" / "c.ckpt.npz"
    try:  # the caller's interrupts stay installed (run_headless's contract): put them back
        status = headless.run_headless(Trainer(TrainConfig(iterations=100_000)),
                                       headless.Outputs(checkpoint=str(missing)), out, err, interrupts=interrupts)
    finally:
        interrupts.restore()
    assert status == 130
    assert "Interrupted: could not save the checkpoint" in err.getvalue() and str(missing) in err.getvalue()
    assert re.search(r"^Interrupted: [\d,]+ iterations", out.getvalue(), re.M) and "best loss" in out.getvalue()
    assert "checkpoint saved" not in out.getvalue()


def test_diverged_run_saves_the_last_good_weights_to_its_checkpoint(tmp_path):
    ck = tmp_path / "dv.ckpt.npz"
    result = run("--optimizer", "sgd", "--lr", "1e6", "--iterations", "500", "--checkpoint", str(ck))
    assert result.exit_code == 3
    assert f"checkpoint (the last good weights) saved to {ck}" in result.output
    from tui_nn.trainer import Trainer

    resumed = Trainer.from_checkpoint(ck)
    assert resumed.state == "diverged" and np.isfinite(resumed.net.params).all()


def test_plot_goes_to_stderr_when_stdout_is_machine_readable():
    for fmt in ("jsonl", "csv"):
        result = CliRunner().invoke(main, ["train", "--headless", "--iterations", "300", "--format", fmt, "--plot"])
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        if fmt == "jsonl":
            assert all(isinstance(json.loads(line), dict) for line in lines)
        else:
            assert {len(line.split(",")) for line in lines} == {5}
        assert "loss (min/max per bucket)" in result.stderr


def test_bar_and_lines_share_a_terminal_without_running_together():
    if not TUI_NN.exists():
        pytest.skip("the tui-nn script is not installed next to this Python")
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(TUI_NN), "train", "--headless", "--iterations", "300000"],
                            stdout=slave, stderr=slave)
    os.close(slave)
    tty = read_terminal(master)  # read while it runs: a full terminal buffer would block it
    assert proc.wait(timeout=60) == 0
    assert "it/s" in tty
    found = 0
    for line in tty.replace("\r\n", "\n").split("\n"):
        if "New set of weights found" in line:
            found += 1
            # whatever the bar drew on this line was erased (CR, ESC [K) before the text
            text = line.split("\r")[-1].replace("\x1b[K", "")
            assert text.startswith("New set of weights found"), repr(line)
    assert found > 200


def test_without_a_terminal_train_runs_headless():
    if not TUI_NN.exists():
        pytest.skip("the tui-nn script is not installed next to this Python")
    proc = subprocess.run([str(TUI_NN), "train", "--iterations", "500"], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0
    assert "not a terminal, running headless" in proc.stderr
    assert "Finished: 500 iterations" in proc.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_data_loads_exits_130(monkeypatch, sig):
    from tui_nn import cli

    def loading(*args, **kwargs):
        os.kill(os.getpid(), sig)  # arrives while the trainer is being built
        raise AssertionError("the signal should have stopped the load")

    monkeypatch.setattr(cli, "_make_trainer", loading)
    result = CliRunner().invoke(main, ["train", "--headless"])
    assert result.exit_code == 130
    assert "interrupted before training started; nothing to save" in result.stderr
    assert signal.getsignal(signal.SIGINT) is not None  # handlers restored


def test_one_chunking_rule_about_10_ms_of_work():
    """Headless, the dashboard and Trainer.events() all size chunks with tui_nn.chunks."""
    from tui_nn.chunks import CHUNK_SECONDS, MAX_CHUNK, next_chunk

    assert next_chunk(64, 3.0) == 1  # wide layers: a signal waits one iteration, not 3 s
    assert next_chunk(64, 64 * CHUNK_SECONDS / 1000) == 128  # at most 2x growth per chunk
    assert next_chunk(1000, CHUNK_SECONDS) == 1000
    assert next_chunk(MAX_CHUNK, 0.0) == MAX_CHUNK
    import tui_nn.headless
    import tui_nn.runner

    for module in (tui_nn.headless, tui_nn.runner):  # no second rule beside it
        assert not hasattr(module, "CHUNK_SECONDS") and not hasattr(module, "_next_chunk")


def test_data_seed_flag_keeps_the_data_and_reseeds_the_run():
    """--data-seed 0 --seed 3: seed 0's data, the run from seed 3 (as TrainConfig(data_seed=0, seed=3))."""
    from tui_nn import events as ev
    from tui_nn.trainer import TrainConfig, Trainer

    result = run("--data-seed", "0", "--seed", "3", "--iterations", "300", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    losses = [json.loads(line)["loss"] for line in result.output.splitlines()
              if line.startswith('{"event": "iteration"')]
    t = Trainer(TrainConfig(data_seed=0, seed=3, iterations=300))
    expected = np.concatenate([e.losses for e in t.events() if isinstance(e, ev.Progress)])
    assert losses == [float(x) for x in expected]
    plain = run("--seed", "3", "--iterations", "300", "--format", "jsonl").output
    assert plain != result.output  # --seed alone reseeds the data too


def test_a_closed_standard_output_stops_the_run_and_saves_it(tmp_path):
    """The reader of the output goes away (``| head``, or the terminal of a ``nohup`` run hung
    up): the run stops with the checkpoint saved and one line saying how to continue, instead of
    a traceback and a lost run."""
    proc = subprocess.Popen([str(TUI_NN), "train", "--headless", "--iterations", "100000000", "--every", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    assert proc.stdout.readline().startswith(b"tui-nn: hill-climb on vertical")
    proc.stdout.close()  # as `head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 4, err
    ck = tmp_path / "tui-nn-vertical-hill-climb-seed0.ckpt.npz"
    assert ck.exists()
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert err.startswith("Error: standard output: cannot write"), err
    assert f"continue with --resume {ck.name}" in err
    resumed = subprocess.run([str(TUI_NN), "train", "--headless", "--resume", str(ck), "--iterations", "100"],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
