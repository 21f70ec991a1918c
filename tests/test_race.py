"""`tui-nn race`: contenders from one start, each equal to a separate `tui-nn train`, one
deterministic headless stream, bad input on one line, and no process left behind."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tui_nn import events as ev
from tui_nn.cli import main
from tui_nn.race import Contender, Merge, Race, RaceError, contender_config, parse_contenders, parse_duration
from tui_nn.trainer import TrainConfig, Trainer

TUI_NN = [sys.executable, "-m", "tui_nn"]
SMALL = ["--dataset", "spiral", "--samples", "40", "--layers", "8", "--iterations", "300"]


def cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*TUI_NN, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def run_race(config: TrainConfig, contenders: list[Contender], **kwargs) -> Race:
    import queue

    done: queue.SimpleQueue = queue.SimpleQueue()
    race = Race(config, contenders, on_events=lambda i, batch: done.put(i), **kwargs).start()
    try:
        while not race.done:
            done.get(timeout=60)
    finally:
        race.stop()
    return race


# --- the same start, the same result as a separate run ---------------------------------------------


def test_every_contender_starts_from_the_same_weights_and_ends_with_a_separate_runs_weights():
    config = TrainConfig(dataset="spiral", samples=40, layers=(8,), iterations=400, seed=3)
    contenders = parse_contenders("hill-climb,sgd,adam:lr=0.05,rmsprop")
    race = run_race(config, contenders)
    starts = [s.start.params for s in race.standings]
    assert all(np.array_equal(starts[0], p) for p in starts[1:])  # one start
    assert all(np.array_equal(race.standings[0].start.data.X_train, s.start.data.X_train) for s in race.standings)
    for s, c in zip(race.standings, contenders):
        alone = Trainer(contender_config(config, c))
        alone.run()
        assert s.state == "finished" and s.iteration == 400
        assert s.params.tobytes() == alone.net.params.tobytes(), c.label  # bit for bit
        assert s.summary["best_loss"] == alone.best_loss


def test_a_contenders_jsonl_is_what_train_prints_for_its_options_and_the_stream_is_byte_identical(tmp_path):
    args = ["race", "--headless", "--format", "jsonl", "--optimizers", "hill-climb,adam:lr=0.05", *SMALL,
            "--every", "25"]
    first, second = cli(*args, cwd=tmp_path), cli(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout  # the same bytes, however the processes were scheduled
    train = cli("train", "--headless", "--format", "jsonl", "--optimizer", "adam", "--lr", "0.05", *SMALL,
                "--every", "25", cwd=tmp_path)
    tag = '{"contender": "adam lr=0.05", '
    mine = ["{" + line[len(tag):] for line in first.stdout.splitlines(keepends=True) if line.startswith(tag)]
    assert "".join(mine) == train.stdout
    records = [json.loads(line) for line in first.stdout.splitlines()]
    assert {r["contender"] for r in records} == {"hill-climb", "adam lr=0.05"}
    iterations = [r["iteration"] for r in records if r["event"] == "iteration"]
    assert iterations == sorted(iterations)  # one stream in iteration order
    assert [r["event"] for r in records[-2:]] == ["summary", "summary"]


def test_headless_text_prints_the_final_table_best_first():
    result = CliRunner().invoke(main, ["race", "--headless", "--optimizers", "hill-climb,adam:lr=0.05",
                                                       *SMALL])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("tui-nn race: 2 contenders on spiral") and "300 iterations each" in lines[0]
    assert lines[1].split()[:3] == ["#", "contender", "iterations"]
    assert [line.split()[0] for line in lines[2:]] == ["1", "2"]
    losses = [float(line.split()[-3]) for line in lines[2:]]
    assert losses == sorted(losses)
    assert all(line.rstrip().endswith("finished") for line in lines[2:])


def test_a_time_budget_gives_each_contender_its_cpu_time_and_a_result_equal_to_train_to_that_iteration():
    config = TrainConfig(dataset="spiral", samples=40, layers=(8,), seed=1)
    contenders = parse_contenders("hill-climb,adam")
    race = run_race(config, contenders, cpu_seconds=0.3)
    for s, c in zip(race.standings, contenders):
        assert s.state == "finished" and s.iteration > 0
        alone = Trainer(contender_config(config, c), iterations=s.iteration, eval_every=100)
        alone.run()
        assert s.params.tobytes() == alone.net.params.tobytes(), c.label


# --- contenders on the command line -----------------------------------------------------------------


def test_contenders_take_their_own_and_the_shared_hyperparameters():
    cs = parse_contenders("hill-climb, adam:lr=0.05:beta1=0.8,sgd", {"lr": 0.5, "scale": 0.1})
    assert [c.label for c in cs] == ["hill-climb scale=0.1", "adam lr=0.05 beta1=0.8", "sgd lr=0.5"]
    assert parse_contenders("adam:lr=0.01,adam:lr=0.05")[1].hyperparams == (("lr", 0.05),)


@pytest.mark.parametrize("text, shared, words", [
    ("hill-climb,adma", {}, ["unknown optimizer 'adma'", "choose from", "adam"]),
    ("adam:lr=-1", {}, ["lr must be in", "-1"]),
    ("adam:lr=fast", {}, ["lr must be a number"]),
    ("adam:momentum=0.9", {}, ["no hyperparameter 'momentum'", "beta1"]),
    ("adam:lr", {}, ["is not NAME=VALUE"]),
    ("adam,adam", {}, ["are the same contender", "different hyperparameters"]),
    ("adam,adam:lr=0.001", {}, ["are the same contender"]),  # the default, written out
    ("adam,,sgd", {}, ["empty item"]),
    ("hill-climb", {"lr": 0.1}, ["applies to none of the contenders"]),
])
def test_bad_contenders_say_what_is_wrong_and_how_to_fix_it(text, shared, words):
    with pytest.raises(RaceError) as err:
        parse_contenders(text, shared)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize("args, words", [
    (["--optimizers", "hill-climb,adma"], ["--optimizers: unknown optimizer 'adma'"]),
    (["--optimizers", "adam:lr=0"], ["--optimizers: in 'adam:lr=0', lr must be in (0"]),
    (["--optimizers", "sgd,sgd"], ["--optimizers: 'sgd' and 'sgd' are the same contender"]),
    (["--optimizers", "hill-climb", "--lr", "0.1"], ["--lr applies to none of the contenders"]),
    (["--time", "soon"], ["--time", "not a duration", "30s"]),
    (["--every", "5"], ["--every applies to --format jsonl"]),
    (["--iterations", "5", "--epochs", "2"], ["give --iterations or --epochs"]),
])
def test_bad_input_is_one_error_line_and_exit_2(args, words):
    result = CliRunner().invoke(main, ["race", "--headless", *args])
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    assert all(w in lines[0] for w in words), lines[0]


def test_durations():
    assert [parse_duration(t) for t in ("30s", "2m", "1.5h", "45", "500ms")] == [30, 120, 5400, 45, 0.5]
    for bad in ("0s", "-3s", "3 days", ""):
        with pytest.raises(RaceError):
            parse_duration(bad)


# --- one stream from several ------------------------------------------------------------------------


def test_the_merged_stream_does_not_depend_on_which_contender_sends_first():
    def records(i):  # contender i: an event at 0, then lines 0..9 with an event at 5
        out = [(0, "e0")] + [(2 * k + 1, f"line{k}") for k in range(5)] + [(10, "e5")]
        return [(key, f"{i}:{text}") for key, text in out + [(2 * k + 1, f"line{k}") for k in range(5, 10)]]

    def merged(seed):
        rng = random.Random(seed)
        out: list[str] = []
        merge = Merge(3, out.append)
        queues = {i: records(i) for i in range(3)}
        while queues:
            i = rng.choice(sorted(queues))
            key, text = queues[i].pop(0)
            merge.add(i, key, text)
            if not queues[i]:
                merge.advance(i, 2**63)
                del queues[i]
            merge.flush()
        return out

    first = merged(0)
    assert len(first) == 3 * 12 and all(merged(seed) == first for seed in range(1, 20))
    assert first[:3] == ["0:e0", "1:e0", "2:e0"]


# --- interrupts: nothing left running, nothing lost --------------------------------------------------


def training_children(proc: subprocess.Popen, contenders: int) -> list:
    """The race's worker processes (one per contender, up to the cores), once each has
    trained a while (at most a minute)."""
    import psutil

    from tui_nn.race_pool import available_cores

    n = min(available_cores(), contenders)
    race, children = psutil.Process(proc.pid), []
    for _ in range(600):
        try:
            children = race.children(recursive=True)
            # 0.3 s of training after numba's start in each worker (tui_nn.fast.warm_up, ~0.5-0.7 s)
            busy = [c for c in children if c.cpu_times().user > 1.3]
        except psutil.Error:  # one just started: look again
            continue
        if len(busy) == n or proc.poll() is not None:
            break
        psutil.wait_procs([race], timeout=0.1)
    assert len(children) == n, f"the race never had {n} workers training"
    return children


def test_sigterm_ends_every_contender_process_and_saves_each_unfinished_one(tmp_path):
    import psutil

    proc = subprocess.Popen([*TUI_NN, "race", "--headless", "--optimizers", "hill-climb,sgd,adam", "--dataset",
                             "spiral", "--samples", "40", "--layers", "8", "--iterations", "100000000"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children: list = []
    try:
        children = training_children(proc, 3)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    _, alive = psutil.wait_procs(children, timeout=5)
    for p in alive:
        p.kill()
    assert alive == []
    assert proc.returncode == 130, err
    saved = sorted(tmp_path.glob("*.ckpt.npz"))
    assert len(saved) == 3 and err.count("continue it with tui-nn train --headless --resume") == 3, err
    assert "interrupted" in out
    resumed = [Trainer.from_checkpoint(path) for path in saved]  # every one continues (three on two cores:
    assert max(t.iteration for t in resumed) > 0  # one may have waited for its turn all along)


def test_kill_9_of_the_race_ends_its_contenders(tmp_path):
    import psutil

    proc = subprocess.Popen([*TUI_NN, "race", "--headless", "--optimizers", "hill-climb,adam", "--dataset",
                             "spiral", "--samples", "40", "--layers", "8", "--iterations", "100000000"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list = []
    try:
        children = training_children(proc, 2)
    finally:
        proc.kill()
    proc.wait()
    _, alive = psutil.wait_procs(children, timeout=10)
    for p in alive:
        p.kill()
    assert alive == []


def test_a_dropped_contender_stops_and_the_others_race_on():
    import queue

    config = TrainConfig(dataset="spiral", samples=40, layers=(8,), iterations=300)
    arrived: queue.SimpleQueue = queue.SimpleQueue()
    race = Race(config, parse_contenders("hill-climb,adam"), on_events=lambda i, b: arrived.put((i, b)),
                paused=True).start()
    try:
        race.drop(0)
        race.send_all(ev.Resume())
        while not race.done:
            arrived.get(timeout=60)
        assert [s.state for s in race.standings] == ["dropped", "finished"]
        assert race.standings[1].iteration == 300 and race.standings[0].iteration == 0
    finally:
        race.stop()


def test_a_closed_standard_output_stops_the_race_and_saves_its_contenders(tmp_path):
    """`tui-nn race --headless --format jsonl | head -1`: one Error line, exit 4, every
    unfinished contender saved, no traceback."""
    proc = subprocess.Popen([*TUI_NN, "race", "--headless", "--format", "jsonl", "--optimizers", "hill-climb,adam",
                             "--dataset", "spiral", "--samples", "40", "--layers", "8", "--iterations", "100000000"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline().startswith(b'{"contender": ')
        proc.stdout.close()  # what head does once it has its line
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read().decode()
    assert code == 4, err
    assert err.count("\n") == 1 and err.startswith("Error: cannot write the standard output") and "Traceback" not in err
    assert len(list(tmp_path.glob("*.ckpt.npz"))) == 2
