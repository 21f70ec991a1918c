"""`tui-nn sweep`: bad grids refused up front, the headless run and its files, grid files,
--scheduler local, and a real interrupted-then-resumed sweep in a subprocess."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tui_nn import weights
from tui_nn.cli import main
from tui_nn.sweep import InlineBackend, Result, Sweep, plan_sweep

FLAGS = ["--dataset", "vertical", "--samples", "60", "--nodes", "8,16", "--optimizer", "adam", "--lr", "0.05,0.01",
         "--batch-size", "32", "--epochs", "40", "--seed", "5"]
GRID = {"dataset": "vertical", "samples": 60, "nodes": [8, 16], "optimizer": "adam", "lr": [0.05, 0.01],
        "batch_size": 32, "epochs": 40}


def run(*args: str):
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        runner = CliRunner()  # click >= 8.2 keeps stderr apart by default
    return runner.invoke(main, ["sweep", *args], prog_name="tui-nn")


def read_csv(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def untimed(rows: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in row.items() if k != "seconds"} for row in rows), key=lambda r: int(r["index"]))


@pytest.fixture(scope="module")
def reference():
    return {r.index: r for r in Sweep(plan_sweep(GRID, seed=5), InlineBackend()).run()}


# --- bad input --------------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


@pytest.mark.parametrize("args, grid, fragment", [
    (["--lr", ""], None, "--lr: empty list"),
    (["--dropout", "0,,0.2"], None, "--dropout: empty value"),
    ([], "lr = []\noptimizer = 'adam'\n", "grid.toml: lr: empty list"),
    (["--optimizer", "adam", "--lr", "0.01,-0.01"], None, "lr must be in (0"),
    ([], '{"optimizer": "sgd", "lr": [-1]}', "lr must be in (0"),
    (["--dropout", "0,1"], None, "dropout must be in [0, 1)"),
    ([], "dropout = [0.5, 1.5]\n", "dropout must be in [0, 1)"),
    ([], "learning_rate = [0.01]\n", "grid.toml: unknown option 'learning_rate'; did you mean 'lr'?"),
    ([], '{"nodes": [8], "activations": ["relu"]}', "unknown option 'activations'; did you mean 'activation'?"),
    (["--param", "warmup=1,2"], None, "unknown option 'warmup'"),
    (["--optimizer", "adam", "--param", "beta1=0.9,1.5"], None, "Error: --param beta1: beta1 must be in [0, 1)"),
    ([], '{"optimizer": "adam", "beta1": [1.5]}', "grid.json: beta1: beta1 must be in [0, 1)"),
    (["--optimizer", "adam", "--beta1", "0.9,1.5"], None, "Error: --beta1 must be in [0, 1)"),
    (["--nodes", "8", "--scheduler", "tcp://127.0.0.1:{port}"], None, "cannot reach the Dask scheduler"),
    # Paths that look writable to root but refuse new files: refused before anything runs.
    (["--nodes", "8", "--history", "/proc/h.jsonl"], None, "cannot write /proc/h.jsonl"),
    (["--nodes", "8", "--save-best", "/sys/best.npz"], None, "--save-best: cannot write /sys/best.npz"),
])
def test_bad_grids_are_refused_up_front(tmp_path, args, grid, fragment):
    if grid is not None:
        path = tmp_path / ("grid.json" if grid.startswith("{") else "grid.toml")
        path.write_text(grid)
        args = [*args, "--grid", str(path)]
    args = [a.format(port=closed_port()) for a in args]
    out = tmp_path / "results.csv"
    result = run("--headless", "--out", str(out), *args)
    assert result.exit_code == 2, result.output + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_existing_results_need_resume(tmp_path):
    out = tmp_path / "results.csv"
    out.write_text("index,val_loss\n")
    result = run("--headless", "--out", str(out), "--nodes", "8")
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("already exists; pass --resume to continue that sweep, or choose another --out")
    assert out.read_text() == "index,val_loss\n"


@pytest.mark.parametrize("where", ["/proc/r.csv", "/sys/r.csv"])
def test_an_unwritable_out_is_refused_up_front_and_an_existing_save_best_kept(tmp_path, where):
    best = tmp_path / "best.json"
    best.write_text("an earlier model")
    result = run("--headless", "--out", where, "--nodes", "8", "--save-best", str(best))
    assert result.exit_code == 2, result.output + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot write {where} (") and "choose another" in lines[0]
    assert best.read_text() == "an earlier model"


# --- headless runs -----------------------------------------------------------------------------------


def test_headless_sweep_prints_lines_table_and_best_and_writes_its_files(tmp_path, reference):
    out, best = tmp_path / "results.csv", tmp_path / "best.json"
    result = run("--headless", *FLAGS, "--jobs", "2", "--out", str(out), "--save-best", str(best))
    assert result.exit_code == 0, result.output + result.stderr
    text = result.output
    assert "\r" not in text and "\x1b" not in text  # plain lines in a pipe
    assert text.startswith("Sweep: 4 configurations over nodes (2) x lr (2) on 2 local worker processes\n")
    assert sum(line.startswith(("[1/4]", "[2/4]", "[3/4]", "[4/4]")) for line in text.splitlines()) == 4
    ranked = sorted(reference.values(), key=lambda r: (r.val_loss, r.index))
    table = text.split("   #  nodes")[1].splitlines()[1:5]
    assert [int(line.split()[1 if line.startswith("*") else 0]) for line in table] == [r.index for r in ranked]
    assert table[0].startswith("*")
    b = ranked[0]
    assert f"Best: #{b.index} nodes={b.params['nodes']} lr={b.params['lr']!r}: val_loss {b.val_loss:.6g}" in text
    assert f"Saved its weights to {best}" in text and "Total params:" in text

    rows = read_csv(out)
    assert len(rows) == 4
    for row in rows:
        r = reference[int(row["index"])]
        assert float(row["val_loss"]) == r.val_loss and float(row["train_accuracy"]) == r.train_accuracy
    history = [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()]
    assert {h["index"]: h["history"] for h in history} == {i: r.history for i, r in reference.items()}

    net = weights.load(best)
    trainer = plan_sweep(GRID, seed=5).trainer(plan_sweep(GRID, seed=5).configurations[b.index])
    trainer.net.params[...] = net.params
    assert trainer.metrics(trainer.X_val, trainer.y_val)[0] == pytest.approx(b.val_loss, rel=1e-6)


def test_grid_file_gives_the_same_sweep_and_flags_win(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text('dataset = "vertical"\nsamples = 60\nnodes = [8, 16]\noptimizer = "adam"\n'
                    'lr = [0.05, 0.01]\nbatch_size = 32\nepochs = 5\nseed = 5\n')
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run("--headless", *FLAGS, "--jobs", "1", "--out", str(a)).exit_code == 0
    result = run("--headless", "--grid", str(grid), "--epochs", "40", "--jobs", "1", "--out", str(b))
    assert result.exit_code == 0, result.stderr
    assert untimed(read_csv(a)) == untimed(read_csv(b))


def test_scheduler_local_gives_the_local_pool_results(tmp_path):
    a, b = tmp_path / "pool.csv", tmp_path / "dask.csv"
    assert run("--headless", *FLAGS, "--jobs", "2", "--out", str(a)).exit_code == 0
    result = run("--headless", *FLAGS, "--jobs", "2", "--scheduler", "local", "--out", str(b))
    assert result.exit_code == 0, result.stderr
    assert "on a local Dask cluster of 2 worker processes" in result.output
    assert untimed(read_csv(a)) == untimed(read_csv(b))


@pytest.mark.parametrize("backend", [[], ["--scheduler", "local"]], ids=["local-pool", "dask"])
def test_interrupted_sweep_resumes_where_it_stopped(tmp_path, backend):
    """A real `tui-nn sweep` gets Ctrl-C (SIGINT to its whole process group, workers included)
    after its first result: it exits 130 keeping what finished, without a traceback or a log
    line from any worker, and --resume runs only the rest."""
    out = tmp_path / "results.csv"
    args = [sys.executable, "-m", "tui_nn", "sweep", *FLAGS, "--epochs", "150", "--jobs", "1", "--out", str(out),
            *backend]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=tmp_path)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("[1/4]"):
            os.killpg(proc.pid, signal.SIGINT)
            break
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert "Interrupted: 1 of 4 configurations done" in stdout and "--resume" in stdout
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert [line for line in stderr.splitlines() if "running headless" not in line] == []  # no worker chatter
    first = read_csv(out)
    assert len(first) == 1

    done = subprocess.run([*args, "--resume"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 already in" in done.stdout
    assert sum(line.startswith("[") for line in done.stdout.splitlines()) == 3  # [2/4] .. [4/4]
    rows = read_csv(out)
    assert len(rows) == 4 and rows[0] == first[0]
    plan = plan_sweep({**GRID, "epochs": 150}, seed=5)
    expected = {r.index: r.val_loss for r in Sweep(plan, InlineBackend()).run()}
    assert {int(r["index"]): float(r["val_loss"]) for r in rows} == expected


def test_headless_bar_on_a_terminal():
    """On a terminal: one bar redrawn in place (no line per result), cleared before the table."""
    import io

    from tui_nn.cli.sweep import _Report

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    sweep = Sweep(plan_sweep(GRID, seed=5), InlineBackend())
    screen = Terminal()
    report = _Report(sweep, screen)
    sweep.run(report)
    report.clear()
    text = screen.getvalue()
    assert text.startswith("Sweep: 4 configurations") and "[1/4]" not in text
    bars = text.split("\r")
    assert any(" 4/4 " in bar and f"best #{sweep.best.index}" in bar for bar in bars)
    assert text.endswith("\x1b[K\r\x1b[K")  # the last bar, then wiped for the table


def test_scheduler_without_dask_installed_says_how_to_get_it(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    out = tmp_path / "results.csv"
    result = run("--headless", "--out", str(out), "--nodes", "8", "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Dask is not installed" in lines[0] and "pip install 'tui-nn[dask]'" in lines[0]
    assert not out.exists()


def test_dashboard_on_sigterm_restores_the_terminal_and_says_how_to_resume(tmp_path):
    """A real dashboard in a pseudo-terminal. A diverging configuration (overflow in exp) writes
    nothing over the screen; SIGTERM then acts as Ctrl-C: the alternate screen is left, the
    --resume hint printed, exit status 130."""
    import pty
    import select
    import time

    out = tmp_path / "results.csv"
    args = [sys.executable, "-m", "tui_nn", "sweep", "--dataset", "vertical", "--samples", "60", "--nodes", "8",
            "--activation", "sigmoid", "--optimizer", "sgd", "--lr", "500,0.001", "--epochs", "100000",
            "--jobs", "1", "--out", str(out)]
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command on the pseudo-terminal
        os.chdir(tmp_path)
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
        os.execv(sys.executable, args)
    screen, deadline, sent = b"", time.monotonic() + 60, False
    try:
        while time.monotonic() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # the child has gone
                    break
                if not data:
                    break
                screen += data
            # Configuration 0 diverged at once and 1 trains for long: stop while it runs.
            if not sent and b"running" in screen and out.exists() and len(read_csv(out)) == 1:
                os.kill(pid, signal.SIGTERM)
                sent = True
    finally:
        if not sent or time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        os.close(fd)
    text = screen.decode(errors="replace")
    assert sent and status == 130, text[-2000:]
    after = text[text.rindex("\x1b[?1049l"):]  # what is printed once the alternate screen is left
    assert "Stopped: run the same command with --resume to continue" in after
    assert "Warning" not in text and "Traceback" not in text
    assert read_csv(out)[0]["status"] == "diverged"
    assert not (tmp_path / "results.log").exists()  # the workers printed nothing


def test_final_table_shows_the_test_accuracy_with_a_test_split(tmp_path):
    result = run("--headless", *FLAGS, "--test-split", "0.25", "--jobs", "1", "--out", str(tmp_path / "a.csv"))
    assert result.exit_code == 0, result.output + result.stderr
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[:1] == ["#"])
    header = lines[at].split()
    assert header[header.index("train_acc") + 1] == "test_acc"
    expected = {row["index"]: float(row["test_accuracy"]) for row in read_csv(tmp_path / "a.csv")}
    for line in lines[at + 1:at + 5]:
        cells = line.split()
        cells = cells[1:] if cells[0] == "*" else cells
        assert float(cells[header.index("test_acc")]) == pytest.approx(expected[cells[0]], abs=1e-4)
    plain = run("--headless", *FLAGS, "--jobs", "1", "--out", str(tmp_path / "b.csv"))
    assert "test_acc" not in plain.output


def test_header_counts_one_configuration_and_the_grid_of_a_random_draw(tmp_path):
    one = run("--headless", "--dataset", "vertical", "--samples", "60", "--nodes", "8", "--epochs", "2",
              "--out", str(tmp_path / "one.csv"))
    assert one.exit_code == 0 and one.output.startswith("Sweep: 1 configuration on 1 local worker process\n")
    drawn = run("--headless", *FLAGS, "--random", "3", "--jobs", "1", "--out", str(tmp_path / "drawn.csv"))
    assert drawn.exit_code == 0
    assert drawn.output.startswith("Sweep: 3 configurations drawn at random from the 4 of nodes (2) x lr (2) on ")


def test_a_closed_output_pipe_stops_the_sweep_with_the_resume_hint(tmp_path):
    """`tui-nn sweep --headless ... | head -3`: when the reader goes, the sweep stops and says on
    stderr how to continue (it used to end silently with status 1)."""
    out = tmp_path / "results.csv"
    args = [sys.executable, "-m", "tui_nn", "sweep", "--headless", *FLAGS, "--epochs", "150", "--jobs", "1",
            "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    head = [proc.stdout.readline() for _ in range(3)]
    proc.stdout.close()  # as `head -3` does
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 130
    assert head[2].startswith("[1/4]")
    assert stderr.startswith("Stopped: the output was closed; ") and "--resume" in stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert 1 <= len(read_csv(out)) < 4


def test_data_seed_changes_the_shared_data_but_not_the_configurations_seeds(tmp_path):
    """--data-seed gives every configuration the data and split of that seed; --seed still
    derives each configuration's own seed (the CSV's seed column)."""
    small = ["--dataset", "moons", "--nodes", "4,8", "--optimizer", "adam", "--epochs", "2", "--seed", "5",
             "--headless", "--jobs", "1"]
    assert run(*small, "--out", str(tmp_path / "a.csv")).exit_code == 0
    assert run(*small, "--data-seed", "5", "--out", str(tmp_path / "b.csv")).exit_code == 0
    assert run(*small, "--data-seed", "7", "--out", str(tmp_path / "c.csv")).exit_code == 0
    a, b, c = (untimed(read_csv(tmp_path / f"{x}.csv")) for x in "abc")
    assert a == b  # the default data seed is --seed
    assert [r["seed"] for r in a] == [r["seed"] for r in c]
    assert [r["val_loss"] for r in a] != [r["val_loss"] for r in c]


def test_kill_9_of_a_headless_sweep_ends_its_workers_fork_server_and_resource_tracker(tmp_path):
    """kill -9 of `tui-nn sweep --headless --jobs 2` while both workers train (headless, so they
    report nothing until a configuration ends): the workers, the fork server they come from and
    the resource tracker all end within a few seconds, not after their configurations."""
    import psutil

    out = tmp_path / "k9.csv"
    proc = subprocess.Popen([sys.executable, "-m", "tui_nn", "sweep", "--headless", "--dataset", "vertical",
                             "--samples", "60", "--nodes", "8", "--optimizer", "adam", "--lr", "0.01,0.001",
                             "--epochs", "1000000000", "--jobs", "2", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sweep = psutil.Process(proc.pid)
    try:
        def training_workers():
            try:
                helpers = sweep.children(recursive=True)
                workers = [p for p in helpers if p.ppid() != proc.pid]  # forked by the fork server
                busy = [w for w in workers if w.cpu_times().user > 0.5]
            except psutil.Error:  # one just started or ended: look again
                return None
            return helpers if len(busy) == 2 else None

        helpers = None
        for _ in range(600):  # until both workers are well into their configurations (at most a minute)
            helpers = training_workers()
            if helpers or proc.poll() is not None:
                break
            psutil.wait_procs([sweep], timeout=0.1)
        assert helpers, "the sweep never had two workers training"
    finally:
        proc.kill()
    proc.wait()
    _, alive = psutil.wait_procs(helpers, timeout=5)
    left = [" ".join(p.cmdline())[:80] for p in alive]
    for p in alive:
        p.kill()  # a failed test leaves nothing training
    assert left == []


# --- damaged results files (issue 11, items 12 and 13) -----------------------------------------------


@pytest.mark.parametrize("damaged", ["csv", "jsonl"])
def test_resume_drops_a_torn_last_line_with_a_warning_and_runs_that_configuration_again(tmp_path, damaged):
    """A sweep killed while it appended a result leaves the last line cut short (here inside its
    last column): --resume says so, drops it, runs that configuration again and ends with the
    table and histories an uninterrupted sweep writes."""
    whole, out = tmp_path / "whole.csv", tmp_path / "cut.csv"
    assert run(*FLAGS, "--headless", "--jobs", "1", "--out", str(whole)).exit_code == 0
    assert run(*FLAGS, "--headless", "--jobs", "1", "--out", str(out)).exit_code == 0
    path = out if damaged == "csv" else out.with_suffix(".jsonl")
    last = path.read_bytes().splitlines(keepends=True)[-1]
    path.write_bytes(path.read_bytes()[:-3])  # the newline and two characters of the last value
    result = run(*FLAGS, "--headless", "--jobs", "1", "--out", str(out), "--resume")
    assert result.exit_code == 0, result.output + result.stderr
    index = json.loads(last)["index"] if damaged == "jsonl" else int(last.split(b",")[0])
    assert f"Warning: {path}: dropped its last line, cut short" in result.stderr, result.stderr
    assert "3 already in" in result.stdout
    assert untimed(read_csv(out)) == untimed(read_csv(whole))
    histories = {json.loads(line)["index"]: json.loads(line)["history"]
                 for line in out.with_suffix(".jsonl").read_text().splitlines()}
    expected = {json.loads(line)["index"]: json.loads(line)["history"]
                for line in whole.with_suffix(".jsonl").read_text().splitlines()}
    assert histories == expected and histories[index]


@pytest.mark.parametrize("which", ["grid", "csv", "jsonl"])
def test_a_file_that_is_not_utf8_is_named_in_one_error_line(tmp_path, which):
    out = tmp_path / "results.csv"
    if which != "grid":
        assert run(*FLAGS, "--headless", "--jobs", "1", "--out", str(out)).exit_code == 0
    grid = tmp_path / "grid.toml"
    grid.write_bytes("# Réseau\nlr = [0.05, 0.01]\n".encode("latin-1"))
    bad = {"grid": grid, "csv": out, "jsonl": out.with_suffix(".jsonl")}[which]
    if which != "grid":
        bad.write_bytes(b"\xff\xfegarbage\x00,\x93\n" + bad.read_bytes())
    args = ["--grid", str(grid)] if which == "grid" else [*FLAGS, "--resume"]
    result = run(*args, "--headless", "--out", str(out))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and str(bad) in lines[0] and "UTF-8" in lines[0], lines


def test_a_giant_grid_is_counted_not_expanded():
    """A grid of 10**12 configurations (six options of 100 values) is refused at once, naming its
    size, the limit and --random; with --random 3 three of them run, drawn without listing it."""
    from tui_nn.sweep import MAX_CONFIGURATIONS

    values = ",".join(str(v) for v in range(1, 101))
    giant = ["--dataset", "vertical", "--samples", "60", "--optimizer", "adam", "--epochs", "1",
             "--nodes", values, "--depth", values, "--batch-size", values, "--lr", ",".join(f"0.{v:03d}" for v in
                                                                                          range(1, 101)),
             "--decay", ",".join(f"{v}e-6" for v in range(1, 101)), "--dropout", ",".join(str(v / 100) for v in range(100))]
    result = run(*giant, "--headless", "--out", "giant.csv")
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"Error: the grid has 1,000,000,000,000 configurations, more than a sweep runs "
                                     f"({MAX_CONFIGURATIONS:,}); give fewer values, or draw N of them to train "
                                     "with --random=N")
    plan = plan_sweep({"dataset": "vertical", "samples": 60, "optimizer": "adam", "epochs": 1,
                       "nodes": list(range(1, 101)), "depth": list(range(1, 101)),
                       "batch_size": list(range(1, 101)), "lr": [v / 1000 for v in range(1, 101)],
                       "decay": [v * 1e-6 for v in range(1, 101)], "dropout": [v / 100 for v in range(100)]},
                      seed=0, random=3)
    assert plan.total == 10**12 and len(plan.configurations) == 3
    assert run(*giant, "--random", "10001", "--headless", "--out", "g.csv").stderr.strip() == \
        "Error: --random must be at most 10,000, got 10001"


def test_the_final_table_counts_epochs_in_full():
    """30,000 epochs read as a count, not 3e+04 (issue 13, defect 6: no scientific notation for counts)."""
    from tui_nn.cli.sweep import _final_table

    plan = plan_sweep({**GRID, "epochs": 30000}, seed=5)
    result = Result(index=0, params=plan.configuration(0).params, status="ok", seed=1, val_loss=0.1, val_accuracy=0.9,
                    train_loss=0.1, train_accuracy=0.9, epochs=30000.0, seconds=1.0)
    table = _final_table([result], plan)
    assert "30,000" in table and "e+0" not in table, table


def test_a_sweep_over_epochs_resumes(tmp_path):
    """A grid over epochs writes two `epochs` columns (the option, then the epochs each
    configuration ran); --resume must read them by position, not refuse its own table."""
    out = tmp_path / "results.csv"
    flags = ["--headless", "--dataset", "vertical", "--samples", "30", "--nodes", "4", "--epochs", "1,2",
             "--seed", "3", "--out", str(out)]
    first = run(*flags)
    assert first.exit_code == 0, first.stderr
    table = out.read_text()
    assert table.splitlines()[0].split(",").count("epochs") == 2
    again = run(*flags, "--resume")
    assert again.exit_code == 0, again.stderr
    assert "2 already in" in again.output
    assert sorted(out.read_text().splitlines()) == sorted(table.splitlines())
