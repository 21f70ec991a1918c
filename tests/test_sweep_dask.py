"""Sweeps on a Dask cluster of worker processes on the loopback interface: the same results as
serially, and a killed worker costs only its running configuration."""

from __future__ import annotations

import os
import signal

import pytest

pytest.importorskip("distributed")

from distributed import LocalCluster  # noqa: E402

from tui_nn.sweep import ConfigProgress, ConfigRunning, DaskBackend, InlineBackend, Sweep, plan_sweep  # noqa: E402

GRID = {"dataset": "vertical", "samples": 60, "nodes": [8, 16], "optimizer": "adam", "lr": [0.05, 0.01],
        "batch_size": 32, "epochs": 40}


def outcome(results) -> list[tuple]:
    """Everything about the results that must not depend on where they ran (not the timings)."""
    return [(r.index, r.status, r.val_loss, r.val_accuracy, r.train_loss, r.train_accuracy, r.epochs, r.history)
            for r in sorted(results, key=lambda r: r.index)]


@pytest.fixture(scope="module")
def cluster():
    """A cluster of its own, with Dask's default allowed-failures (3): DaskBackend("local"),
    run earlier in the same test process (another test, or `sweep --scheduler local` through
    CliRunner), sets it to 0 for the whole process, and a short configuration merely queued on
    a killed worker would then fail with KilledWorker and count a retry."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 3}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address=None) as cluster:
        yield cluster


def test_dask_gives_the_serial_results(cluster):
    plan = plan_sweep(GRID, seed=5)
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    backend = DaskBackend(cluster.scheduler_address, jobs=2)
    assert backend.capacity == 2
    results = Sweep(plan, backend).run()
    assert outcome(results) == outcome(Sweep(plan, InlineBackend()).run())


def test_a_killed_dask_worker_costs_only_its_configuration(cluster):
    """SIGKILL the worker process running configuration 2 mid-run: the scheduler runs it again
    on a worker that is alive, and the results are the serial ones."""
    plan = plan_sweep({**GRID, "epochs": 200}, seed=5)
    pids, running = {}, []

    def on_event(e):
        if isinstance(e, ConfigRunning) and e.index == 2:
            running.append(e.pid)
            pids.setdefault("first", e.pid)
        if isinstance(e, ConfigProgress) and e.index == 2 and "killed" not in pids:
            pids["killed"] = pids["first"]
            os.kill(pids["first"], signal.SIGKILL)

    results = Sweep(plan, DaskBackend(cluster.scheduler_address, jobs=2), live=True).run(on_event)
    assert len(running) == 2 and running[0] == pids["killed"] and running[1] != pids["killed"]
    assert {r.index: r.status for r in results} == {0: "ok", 1: "ok", 2: "ok", 3: "ok"}
    assert outcome(results) == outcome(Sweep(plan, InlineBackend()).run())


def test_a_local_cluster_sends_its_workers_output_to_the_log_file(tmp_path, capfd):
    """--scheduler local under the dashboard: the workers (forked here, so they share this
    terminal) write to the log file instead."""
    import sys

    log = tmp_path / "results.log"
    backend = DaskBackend("local", jobs=1, log=log)
    try:
        said = backend.client.submit(lambda: print("worker says hello", file=sys.stderr, flush=True) or 1)
        assert said.result() == 1
    finally:
        backend.close()
    assert "worker says hello" in log.read_text()
    out, err = capfd.readouterr()
    assert "hello" not in out + err


def test_a_local_cluster_serves_no_http_and_does_not_warn_about_port_8787():
    """--scheduler local starts no web server (Dask's scheduler would take port 8787, or warn
    that it is in use and take another)."""
    import socket
    import warnings

    import psutil

    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 8787))
        taken.listen()
    except OSError:
        pass  # already taken by something else: just as good
    try:
        me = psutil.Process()
        before = {c.laddr.port for c in me.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            backend = DaskBackend("local", jobs=1)
        try:
            listening = {c.laddr.port for c in me.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
            comms = {backend.cluster.scheduler.port, *(n.port for n in backend.cluster.workers.values())}
            assert listening - before == comms  # the scheduler's and the nannies' comms only
            assert backend.client.submit(sum, [1, 2]).result() == 3
        finally:
            backend.close()
    finally:
        taken.close()
    assert [str(w.message) for w in caught if "8787" in str(w.message)] == []


# Configuration 1 of this grid would train for days, so a worker killed while it runs is always
# killed in the middle of it: a kill that landed after a short configuration had finished (as it
# could when a loaded machine delivered the event late) lost a result that was already computed,
# and the scheduler computed it again instead of reporting a dead worker.
ENDLESS = {**GRID, "nodes": 8, "lr": 0.05, "epochs": [300, 10**9, 301]}


def test_retries_count_on_a_local_cluster():
    """--scheduler local with --retries 1: each attempt's worker is killed, the sweep reports one
    retry, then the configuration as failed (Dask does not rerun it behind the sweep's back),
    and the rest of the sweep completes."""
    from tui_nn.sweep import ConfigRetried

    plan = plan_sweep(ENDLESS, seed=5)
    pids, killed, retried = {}, [], []

    def on_event(e):
        if isinstance(e, ConfigRunning) and e.index == 1:
            pids[e.attempt] = e.pid
        elif isinstance(e, ConfigProgress) and e.index == 1 and e.attempt not in killed:
            killed.append(e.attempt)
            os.kill(pids[e.attempt], signal.SIGKILL)
        elif isinstance(e, ConfigRetried):
            retried.append((e.index, e.attempt))

    results = Sweep(plan, DaskBackend("local", jobs=2, retries=1), retries=1, live=True).run(on_event)
    assert retried == [(1, 1)] and killed == [0, 1]
    assert {r.index: r.status for r in results} == {0: "ok", 1: "failed", 2: "ok"}
    assert "died" in next(r.error for r in results if r.index == 1)


def test_the_readme_gives_dask_workers_the_local_cluster_settings():
    """The README's tui-nn-dask.yaml is what --scheduler local sets, in a form Dask reads back
    with the same keys (MALLOC_TRIM_THRESHOLD_ unset)."""
    from pathlib import Path

    import dask
    import yaml

    from tui_nn.sweep import LOCAL_DASK_CONFIG

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block.startswith("# tui-nn-dask.yaml")
    with dask.config.set(yaml.safe_load(block)):
        for key, value in LOCAL_DASK_CONFIG.items():
            assert dask.config.get(key) == value, key
        assert dask.config.get("distributed.scheduler.allowed-failures") == 0
        from distributed.nanny import _get_env_variables

        assert "MALLOC_TRIM_THRESHOLD_" not in _get_env_variables("distributed.nanny.pre-spawn-environ")


def test_retries_count_on_a_cluster_that_reruns_tasks_itself(cluster):
    """A cluster of its own reruns a task whose worker died (allowed-failures, 3 by default):
    the sweep counts each rerun against --retries, reports it, and gives up after them."""
    from tui_nn.sweep import ConfigRetried

    plan = plan_sweep(ENDLESS, seed=5)
    killed, retried = [], []

    def on_event(e):  # headless (no progress events): kill the worker as soon as it starts
        if isinstance(e, ConfigRunning) and e.index == 1:
            killed.append(e.pid)
            os.kill(e.pid, signal.SIGKILL)
        elif isinstance(e, ConfigRetried):
            retried.append((e.index, e.attempt))

    results = Sweep(plan, DaskBackend(cluster.scheduler_address, jobs=2), retries=1).run(on_event)
    assert retried == [(1, 1)] and len(killed) == 2
    assert {r.index: r.status for r in results} == {0: "ok", 1: "failed", 2: "ok"}
    failed = next(r for r in results if r.index == 1)
    assert "died" in failed.error and failed.attempts == 2
