"""Sweeps (tui_nn.sweep): grids, seeds, identical results on every backend, dead workers,
resume, the results files and the best model."""

from __future__ import annotations

import csv
import json
import os
import signal

import numpy as np
import pytest

from tui_nn import weights
from tui_nn.sweep import (ConfigFinished, ConfigProgress, ConfigRetried, ConfigRunning, ConfigSubmitted,
                          InlineBackend, LocalPool, Result, ResultsFiles, Sweep, SweepError, SweepPaused,
                          config_seed, load_grid_file, plan_sweep, ranking)
from tui_nn.trainer import Trainer, TrainConfig

# 4 configurations on a small, easy set: about 0.05 s each.
GRID = {"dataset": "vertical", "samples": 60, "nodes": [8, 16], "optimizer": "adam", "lr": [0.05, 0.01],
        "batch_size": 32, "epochs": 40}


def outcome(results) -> list[tuple]:
    """Everything about the results that must not depend on where they ran (not the timings)."""
    return [(r.index, r.status, r.val_loss, r.val_accuracy, r.train_loss, r.train_accuracy, r.epochs, r.history)
            for r in sorted(results, key=lambda r: r.index)]


@pytest.fixture(scope="module")
def plan():
    return plan_sweep(GRID, seed=5)


@pytest.fixture(scope="module")
def reference(plan):
    """The grid run serially, in this process."""
    return Sweep(plan, InlineBackend()).run()


# --- grids and seeds -------------------------------------------------------------------------------


def test_grid_expands_in_order_last_key_fastest(plan):
    assert plan.total == 4 and plan.varying == ["nodes", "lr"]
    assert [c.params for c in plan.configurations] == [
        {"nodes": 8, "lr": 0.05}, {"nodes": 8, "lr": 0.01}, {"nodes": 16, "lr": 0.05}, {"nodes": 16, "lr": 0.01}]
    c = plan.configurations[3].config
    assert (c["layers"], c["hyperparams"], c["optimizer"], c["epochs"], c["val_split"]) == (
        [16], {"lr": 0.01}, "adam", 40, 0.2)


def test_nodes_and_depth_build_the_layers():
    plan = plan_sweep({"nodes": [16, 32], "depth": [1, 2], "optimizer": "adam"})
    assert [tuple(c.config["layers"]) for c in plan.configurations] == [(16,), (16, 16), (32,), (32, 32)]


@pytest.mark.parametrize("none", [0, "0", [0], []])
def test_layers_grid_key_takes_no_hidden_layer_as_train_does(none):
    # --layers 0 of train is a candidate architecture here too: logistic/softmax regression.
    plan = plan_sweep({"dataset": "vertical", "samples": 60, "layers": [none, [8], "8,8"], "optimizer": "adam",
                       "epochs": 2})
    assert [tuple(c.config["layers"]) for c in plan.configurations] == [(), (8,), (8, 8)]
    assert [c.params["layers"] for c in plan.configurations] == [(), (8,), (8, 8)]
    from tui_nn.sweep import show_value

    assert show_value(plan.configurations[0].params["layers"]) == "0"  # the table's and the CSV's word
    result = Sweep(plan_sweep({"dataset": "vertical", "samples": 60, "layers": [none], "optimizer": "adam",
                               "epochs": 2}), InlineBackend()).run()
    assert [r.status for r in result] == ["ok"]


def test_each_configuration_gets_its_own_seed_and_the_sweep_seed_for_its_data(plan):
    seeds = [c.seed for c in plan.configurations]
    assert len(set(seeds)) == 4
    assert all(c.config["data_seed"] == 5 and c.config["seed"] == c.seed for c in plan.configurations)
    # The seed is a function of the sweep seed and the configuration alone: not of the grid around it.
    alone = plan_sweep({**GRID, "nodes": 16, "lr": 0.01}, seed=5).configurations[0]
    assert alone.seed == plan.configurations[3].seed
    assert plan_sweep(GRID, seed=6).configurations[3].seed != alone.seed


def test_config_seed_is_pinned():
    """A stable hash (SHA-256 of canonical JSON): the same on every machine and Python version;
    fields left at their defaults do not count, so a new TrainConfig field changes no seed."""
    config = TrainConfig(optimizer="adam", hyperparams={"lr": 0.01}).to_dict()
    assert config_seed(0, config) == 2251133095
    assert config_seed(0, {"optimizer": "adam", "hyperparams": {"lr": 0.01}}) == 2251133095
    assert config_seed(1, config) != 2251133095


def test_every_configuration_trains_on_the_same_data(plan):
    a, b = (plan.trainer(c) for c in plan.configurations[1:3])
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_val, b.y_val)
    assert not np.array_equal(a.net.params[:16], b.net.params[:16])


def test_random_samples_are_drawn_from_the_seed():
    big = {"nodes": [4, 8, 16, 32], "dropout": [0.0, 0.1, 0.2], "optimizer": "adam", "lr": [0.1, 0.01, 0.001]}
    picks = [c.index for c in plan_sweep(big, seed=1, random=5).configurations]
    assert picks == [c.index for c in plan_sweep(big, seed=1, random=5).configurations]
    assert picks != [c.index for c in plan_sweep(big, seed=2, random=5).configurations]
    assert len(set(picks)) == 5 and picks == sorted(picks) and all(0 <= i < 36 for i in picks)
    full = plan_sweep(big, seed=1).configurations
    for c in plan_sweep(big, seed=1, random=5).configurations:
        assert c == full[c.index]  # same configuration, same seed as in the full grid
    assert len(plan_sweep(big, seed=1, random=100).configurations) == 36


@pytest.mark.parametrize("values, message", [
    ({"lr": []}, "lr: empty list"),
    ({"optimizer": "adam", "lr": [0.01, -0.01]}, "lr must be in (0"),
    ({"dropout": [0, 1]}, "dropout must be in [0, 1)"),
    ({"learning_rate": [0.1]}, "unknown option 'learning_rate'; did you mean 'lr'?"),
    ({"lr": [0.1, 0.1], "optimizer": "adam"}, "appears twice"),
    ({"val_split": 0}, "val_split must be above 0"),
    ({"layers": [8], "nodes": [8]}, "either layers or nodes"),
    ({"lr": 0.1}, "hill-climb has no hyperparameter 'lr'"),
    ({"batch_size": ["big"]}, "batch_size: 'big' is not an integer"),
    ({"layers": ["8,0"]}, "layers: '8,0' is not a list of hidden layer widths"),
    ({"layers": [[0, 8]]}, "or 0 for no hidden layer"),
])
def test_bad_grids_are_refused_with_one_line(values, message):
    with pytest.raises(SweepError) as err:
        plan_sweep(values)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_grid_files_toml_and_json(tmp_path):
    toml = tmp_path / "grid.toml"
    toml.write_text('nodes = [16, 32]\ndepth = 2\noptimizer = "adam"\nseed = 7\n[hyperparams]\nlr = [0.01, 0.001]\n')
    assert load_grid_file(toml) == {"nodes": [16, 32], "depth": 2, "optimizer": "adam", "seed": 7,
                                    "lr": [0.01, 0.001]}
    js = tmp_path / "grid.json"
    js.write_text(json.dumps({"layers": [[8], [8, 8]], "batch-size": [16]}))
    assert load_grid_file(js) == {"layers": [[8], [8, 8]], "batch_size": [16]}
    js.write_text(json.dumps({"lr": []}))
    with pytest.raises(SweepError, match="grid file .*grid.json: lr: empty list"):
        load_grid_file(js)
    toml.write_text("momentum = [0.9]\nbogus = 1\n")
    with pytest.raises(SweepError, match="grid file .*grid.toml: unknown option 'bogus'"):
        load_grid_file(toml)
    toml.write_text("lr = [0.1,\n")
    with pytest.raises(SweepError, match="not valid TOML"):
        load_grid_file(toml)


def test_ties_go_to_the_lowest_configuration_number():
    a, b, c = (Result(i, {}, 0, "ok", val_loss=0.5, val_accuracy=0.9) for i in (4, 2, 7))
    failed = Result(0, {}, 0, "failed")
    assert [r.index for r in ranking([a, failed, b, c], "val_loss")] == [2, 4, 7, 0]
    c.val_accuracy = 0.95
    assert [r.index for r in ranking([a, failed, b, c], "val_accuracy")] == [7, 2, 4, 0]


# --- running -------------------------------------------------------------------------------------


def test_results_match_a_plain_training_run(plan, reference):
    """A sweep's result for a configuration is what training that configuration gives."""
    c = plan.configurations[2]
    summary = Trainer(TrainConfig.from_dict(c.config)).run()
    r = next(r for r in reference if r.index == c.index)
    assert (r.status, r.val_loss, r.val_accuracy, r.train_loss) == (
        "ok", summary["val_loss"], summary["val_accuracy"], summary["train_loss"])
    assert r.epochs == 40 and len(r.history) == 41 and r.history[-1]["val_loss"] == r.val_loss
    assert ranking(reference, "val_loss") == reference  # run() returns them best first


def test_two_local_worker_processes_give_identical_results(plan, reference):
    results = Sweep(plan, LocalPool(2)).run()
    assert outcome(results) == outcome(reference)


def test_parallel_sweeps_start_the_longest_configurations_first():
    """So the sweep does not end with one long configuration running and the other workers idle."""
    grid = {"dataset": "vertical", "samples": 20, "nodes": [4, 64], "optimizer": "adam", "batch_size": [0, 8],
            "epochs": [1, 5]}
    plan = plan_sweep(grid)
    order = []
    Sweep(plan, LocalPool(2)).run(lambda e: order.append(e.index) if isinstance(e, ConfigSubmitted) else None)
    by_index = {c.index: c.params for c in plan.configurations}
    assert sorted(order) == list(range(8))
    assert by_index[order[0]] == {"nodes": 64, "batch_size": 8, "epochs": 5}  # most steps, widest
    assert by_index[order[-1]] == {"nodes": 4, "batch_size": 0, "epochs": 1}  # one full-batch step, narrow
    # one worker: grid order, as the table reads
    serial = []
    Sweep(plan, InlineBackend()).run(lambda e: serial.append(e.index) if isinstance(e, ConfigSubmitted) else None)
    assert serial == list(range(8))


def test_a_killed_worker_costs_only_its_configuration(plan, reference):
    """SIGKILL the worker process training configuration 2, once, mid-run: it is retried on a
    fresh worker, and the sweep ends with exactly the serial results."""
    events = []
    killed = []

    def on_event(e):
        events.append(e)
        if isinstance(e, ConfigRunning) and e.index == 2:
            pids[e.attempt] = e.pid
        if isinstance(e, ConfigProgress) and e.index == 2 and not killed:
            killed.append(pids[e.attempt])
            os.kill(pids[e.attempt], signal.SIGKILL)

    pids: dict[int, int] = {}
    long_plan = plan_sweep({**GRID, "epochs": 200}, seed=5)  # long enough that the kill lands mid-run
    results = Sweep(long_plan, LocalPool(2), live=True).run(on_event)
    retried = [e for e in events if isinstance(e, ConfigRetried)]
    assert [(e.index, e.attempt) for e in retried] == [(2, 1)]
    assert "died" in retried[0].reason and "-9" in retried[0].reason
    assert pids[1] != killed[0]
    assert {r.index: r.status for r in results} == {0: "ok", 1: "ok", 2: "ok", 3: "ok"}
    serial = Sweep(long_plan, InlineBackend()).run()
    assert outcome(results) == outcome(serial)


def test_a_configuration_that_keeps_killing_its_worker_fails_after_the_retries(plan, monkeypatch):
    """Each attempt's worker is killed: after 1 + retries attempts it is reported failed and the
    rest of the sweep completes."""
    long_plan = plan_sweep({**GRID, "epochs": 200}, seed=5)

    def on_event(e):
        if isinstance(e, ConfigProgress) and e.index == 1 and e.attempt not in killed:
            killed.add(e.attempt)
            os.kill(pids[e.attempt], signal.SIGKILL)
        elif isinstance(e, ConfigRunning) and e.index == 1:
            pids[e.attempt] = e.pid

    pids, killed = {}, set()
    results = Sweep(long_plan, LocalPool(2), retries=1, live=True).run(on_event)
    status = {r.index: r.status for r in results}
    assert status == {0: "ok", 1: "failed", 2: "ok", 3: "ok"} and killed == {0, 1}
    assert "died" in next(r.error for r in results if r.index == 1)


def test_cancel_a_running_and_a_waiting_configuration(plan):
    long_plan = plan_sweep({**GRID, "epochs": 200}, seed=5)
    sweep = Sweep(long_plan, LocalPool(1), live=True)
    submitted = []

    def on_event(e):
        if isinstance(e, ConfigSubmitted):
            submitted.append(e.index)
        if isinstance(e, ConfigProgress) and e.index == 0 and e.point["epoch"] == 0:
            sweep.cancel(0)  # running: its worker is stopped
            sweep.cancel(2)  # not started yet: it never runs

    results = sweep.run(on_event)
    assert {r.index: r.status for r in results} == {0: "cancelled", 1: "ok", 2: "cancelled", 3: "ok"}
    assert submitted == [0, 1, 3]
    assert results[0].status == "ok"  # cancelled ones rank last


def test_pause_holds_new_submissions_until_resume(plan):
    sweep = Sweep(plan, InlineBackend())
    log = []

    def on_event(e):
        log.append(type(e).__name__ if not isinstance(e, SweepPaused) else f"paused={e.paused}")
        if isinstance(e, ConfigFinished) and e.result.index == 0:
            sweep.pause()
        if isinstance(e, SweepPaused) and e.paused:
            assert sweep.running == {}
            sweep.resume()  # from another thread in real use; queued all the same

    sweep.run(on_event)
    i = log.index("paused=True")
    assert log[i - 1] == "ConfigFinished" and log[i + 1] == "paused=False" and log[i + 2] == "ConfigSubmitted"
    assert log.count("ConfigFinished") == 4


# --- files, resume and the best model -------------------------------------------------------------


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_results_files_hold_every_configuration(plan, reference, tmp_path):
    files = ResultsFiles(plan, tmp_path / "results.csv")
    assert files.history == tmp_path / "results.jsonl"
    Sweep(plan, InlineBackend(), files=files).run()
    rows = read_csv(tmp_path / "results.csv")
    assert list(rows[0]) == ["index", "nodes", "lr", "val_loss", "val_accuracy", "train_loss", "train_accuracy",
                             "test_accuracy", "epochs", "seconds", "status", "seed"]
    assert {row["test_accuracy"] for row in rows} == {""}  # no test split
    by_index = {r.index: r for r in reference}
    assert sorted(int(row["index"]) for row in rows) == [0, 1, 2, 3]
    for row in rows:
        r = by_index[int(row["index"])]
        assert (row["nodes"], row["lr"], row["status"], row["seed"]) == (
            str(r.params["nodes"]), repr(r.params["lr"]), "ok", str(r.seed))
        assert float(row["val_loss"]) == r.val_loss and float(row["val_accuracy"]) == r.val_accuracy
        assert float(row["epochs"]) == 40.0 and float(row["seconds"]) >= 0
    records = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(records) == 4
    for rec in records:
        r = by_index[rec["index"]]
        assert rec["history"] == r.history and rec["val_loss"] == r.val_loss and rec["params"] == r.params
        assert [p["epoch"] for p in rec["history"]] == list(range(41))


def test_existing_results_are_not_overwritten_without_resume(plan, tmp_path):
    (tmp_path / "results.csv").write_text("index\n")
    # The Python API names its own parameters; the command line says --resume and --out (test_sweep_cli).
    with pytest.raises(SweepError, match="already exists; pass resume to continue that sweep, or choose another out$"):
        ResultsFiles(plan, tmp_path / "results.csv")


def test_resume_after_an_interruption_runs_only_what_is_missing(plan, reference, tmp_path):
    out = tmp_path / "results.csv"
    # Interrupted: stopped after two results, with a third row cut short mid-write.
    sweep = Sweep(plan, InlineBackend(), files=ResultsFiles(plan, out))
    sweep.run(lambda e: sweep.stop() if isinstance(e, ConfigFinished) and len(sweep.results) == 2 else None)
    assert sweep.interrupted and len(read_csv(out)) == 2
    with open(out, "a") as f:
        f.write("3,16,0.01,0.29")
    with open(out.with_suffix(".jsonl"), "a") as f:
        f.write('{"index": 3, "hist')

    resumed = ResultsFiles(plan, out, resume=True)
    assert sorted(resumed.previous) == [0, 1]
    submitted = []
    sweep = Sweep(plan, InlineBackend(), files=resumed)
    results = sweep.run(lambda e: submitted.append(e.index) if isinstance(e, ConfigSubmitted) else None)
    assert submitted == [2, 3] and not sweep.interrupted
    assert outcome(results) == outcome(reference)
    assert [r.index for r in results] == [r.index for r in reference]
    rows = read_csv(out)
    assert sorted(int(row["index"]) for row in rows) == [0, 1, 2, 3]
    assert len((out.with_suffix(".jsonl")).read_text().splitlines()) == 4


def test_resume_refuses_results_of_another_sweep(plan, tmp_path):
    out = tmp_path / "results.csv"
    Sweep(plan, InlineBackend(), files=ResultsFiles(plan, out)).run()
    other = plan_sweep({**GRID, "epochs": 41}, seed=5)  # same columns, other options
    with pytest.raises(SweepError, match="configuration 0 was run with other options"):
        ResultsFiles(other, out, resume=True)
    with pytest.raises(SweepError, match="; resume needs the same grid, or choose another out$"):
        ResultsFiles(plan_sweep({**GRID, "dropout": [0.0, 0.1]}, seed=5), out, resume=True)


def test_best_model_weights(plan, reference, tmp_path):
    """The best configuration's weights, from the worker or retrained after a resume, are the
    same, and reproduce its validation loss."""
    out = tmp_path / "results.csv"
    sweep = Sweep(plan, InlineBackend(), files=ResultsFiles(plan, out))
    sweep.run()
    best = sweep.best
    assert best.index == reference[0].index
    from_worker = sweep.best_trainer()
    path = tmp_path / "best.npz"
    weights.save(from_worker.net, path)

    resumed = Sweep(plan, InlineBackend(), files=ResultsFiles(plan, out, resume=True))
    assert resumed.run() and resumed.best.index == best.index and resumed.best.weights is None
    retrained = resumed.best_trainer()
    net = weights.load(path)
    assert np.array_equal(net.params, retrained.net.params)
    val_loss, _ = retrained.metrics(retrained.X_val, retrained.y_val)
    assert val_loss == best.val_loss


def test_what_workers_print_goes_to_the_log_file(plan, tmp_path, monkeypatch, capfd):
    """With a log file (the dashboard's case) a worker's output, Python or C level, lands in the
    file and not on the terminal."""
    import tui_nn.sweep.worker as sw

    real = sw.run_configuration

    def noisy(config, report=None, should_stop=None):
        print("worker says hello", flush=True)
        os.write(2, b"C code complains\n")
        return real(config, report, should_stop)

    monkeypatch.setattr(sw, "run_configuration", noisy)  # a forked worker sees it
    log = tmp_path / "results.log"
    results = Sweep(plan, LocalPool(2, start_method="fork", log=log)).run()
    assert {r.status for r in results} == {"ok"}
    text = log.read_text()
    assert text.count("worker says hello") == 4 and text.count("C code complains") == 4
    out, err = capfd.readouterr()
    assert "hello" not in out + err and "complains" not in out + err


def test_diverging_runs_print_no_numpy_warnings():
    """Overflow in a diverging run is reported as divergence, not as RuntimeWarnings that would
    land over the dashboard or the progress bar."""
    import warnings

    plan = plan_sweep({"dataset": "vertical", "samples": 60, "nodes": 8, "activation": "sigmoid",
                       "optimizer": "sgd", "lr": [50.0, 500.0], "epochs": 300}, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sweep = Sweep(plan, InlineBackend())
        results = sweep.run()
        sweep._best_weights = None  # the best model retrained here, as after --resume
        sweep.best_trainer()
    assert {r.status for r in results} == {"diverged"}
    assert [str(w.message) for w in caught] == []


def test_workers_end_quietly_when_the_sweep_is_killed(tmp_path):
    """SIGKILL the process running a sweep: its local workers stop training at once and exit
    without a traceback (they used to finish their configuration, then fail to report it)."""
    import subprocess
    import sys

    import psutil

    grid = {**GRID, "nodes": 8, "lr": 0.01, "epochs": [100000, 100001]}  # two very long runs
    script = tmp_path / "sweep.py"
    script.write_text(
        "from tui_nn.sweep import ConfigProgress, LocalPool, Sweep, plan_sweep\n"
        "seen = set()\n"
        "def on_event(e):\n"
        "    if isinstance(e, ConfigProgress) and e.index not in seen:\n"
        "        seen.add(e.index)\n"
        "        print(e.index, flush=True)\n"
        "if __name__ == '__main__':\n"
        f"    Sweep(plan_sweep({grid!r}, seed=5), LocalPool(2), live=True).run(on_event)\n")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert {proc.stdout.readline().strip() for _ in range(2)} == {"0", "1"}  # both are training
        helpers = psutil.Process(proc.pid).children(recursive=True)  # fork server and workers
        assert len(helpers) >= 3
    finally:
        proc.kill()
    _, alive = psutil.wait_procs(helpers, timeout=20)
    assert alive == []
    _, stderr = proc.communicate(timeout=20)  # EOF: every process holding its stderr has ended
    assert "Traceback" not in stderr and "Error" not in stderr, stderr


def test_test_accuracy_in_the_results_and_resume_of_a_file_without_it(tmp_path):
    """With a test split each result has its test accuracy (CSV and JSON lines) as the trainer
    computes it; a results file written before that column existed still resumes."""
    plan = plan_sweep({**GRID, "test_split": 0.25}, seed=5)
    out = tmp_path / "results.csv"
    sweep = Sweep(plan, InlineBackend(), files=ResultsFiles(plan, out))
    sweep.run(lambda e: sweep.stop() if isinstance(e, ConfigFinished) and len(sweep.results) == 2 else None)
    rows = read_csv(out)
    for row in rows:
        trainer = plan.trainer(plan.configuration(int(row["index"])))
        trainer.run()
        assert float(row["test_accuracy"]) == trainer.summary()["test_accuracy"]
    records = [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()]
    assert [rec["test_accuracy"] for rec in records] == [float(row["test_accuracy"]) for row in rows]

    # The same file as an older version wrote it: no test_accuracy column.
    with open(out, newline="") as f:
        old = [r[:7] + r[8:] for r in csv.reader(f)]
    with open(out, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(old)
    resumed = ResultsFiles(plan, out, resume=True)
    assert sorted(resumed.previous) == sorted(int(row["index"]) for row in rows)
    assert all(r.test_accuracy is None and r.val_loss is not None for r in resumed.previous.values())
    Sweep(plan, InlineBackend(), files=resumed).run()
    rows = read_csv(out)
    assert list(rows[0])[7] == "test_accuracy" and len(rows) == 4
    assert sum(row["test_accuracy"] != "" for row in rows) == 2  # the two run after the resume


def test_the_best_configuration_opens_trained(plan, reference):
    """What `o` in the sweep dashboard opens: the best configuration's final weights at its last
    iteration, finished, with its history; the same as training it again when the weights are
    not in this session (a resumed sweep)."""
    sweep = Sweep(plan, LocalPool(2))
    sweep.run()
    best = sweep.best
    trainer = sweep.finished_trainer(best.index)
    assert trainer.done and trainer.state == "finished" and trainer.iteration == best.history[-1]["iteration"]
    assert trainer.metrics(trainer.X_val, trainer.y_val) == (best.val_loss, best.val_accuracy)
    assert [e["val_loss"] for e in trainer.evaluations] == [p["val_loss"] for p in best.history]

    sweep._best_weights = None
    again = sweep.finished_trainer(best.index)
    assert np.array_equal(again.net.params, trainer.net.params) and again.iteration == trainer.iteration
    assert again.evaluations == trainer.evaluations


def test_data_seed_gives_every_configuration_the_same_data_and_leaves_their_seeds():
    values = {"nodes": [4, 8], "epochs": 1}
    plain, other = plan_sweep(values, seed=5), plan_sweep(values, seed=5, data_seed=0)
    assert [c.config["data_seed"] for c in plain.configurations] == [5, 5]
    assert [c.config["data_seed"] for c in other.configurations] == [0, 0]
    assert [c.seed for c in plain.configurations] == [c.seed for c in other.configurations]


def test_a_worker_runs_its_configuration_as_a_session_and_stops_when_cancelled(plan, monkeypatch):
    """The worker drives the trainer through the same Session as headless runs and the
    dashboard: its evaluations and result are the trainer's own run's; asked to stop after an
    evaluation, it ends there, ``cancelled``, with the evaluations so far."""
    import tui_nn.runner
    from tui_nn.sweep import run_configuration

    config = plan.configurations[0].config
    sessions = []
    real_run = tui_nn.runner.Session.run
    monkeypatch.setattr(tui_nn.runner.Session, "run", lambda self: (sessions.append(self), real_run(self))[1])
    reported = []
    full = run_configuration(config, reported.append)
    assert len(sessions) == 1 and full["status"] == "ok" and reported == full["history"]
    alone = Trainer(TrainConfig.from_dict(config))
    summary = alone.run()
    assert full["summary"]["val_loss"] == summary["val_loss"]
    assert np.array_equal(full["weights"], alone.net.params)

    asked = []
    cancelled = run_configuration(config, should_stop=lambda: asked.append(1) or len(asked) == 3)
    assert cancelled["status"] == "cancelled" and len(asked) == 3
    assert cancelled["history"] == full["history"][:3]
