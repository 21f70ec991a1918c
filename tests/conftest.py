"""Fixtures shared by the test modules."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MAGIC_PATH = PROJECT_ROOT.parent / "shared" / "data" / "magic04.data"


@pytest.fixture(scope="session")
def magic_path() -> Path:
    """The UCI MAGIC gamma telescope file, kept next to the project (never copied into it)."""
    if not MAGIC_PATH.is_file():
        pytest.skip(f"MAGIC data file not found at {MAGIC_PATH}")
    return MAGIC_PATH


SIGNALS = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]


@pytest.fixture(autouse=True, scope="session")
def ctrl_c_not_ignored():
    """A suite started in the background by a script (``pytest &`` ignores SIGINT) would pass
    the ignored SIGINT on to every run it starts, and runs rightly keep an ignored signal
    ignored (as under ``nohup``): the Ctrl-C tests would fail for the way pytest was started."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield


def _kernel_signal_state() -> dict:
    """The process's ignored and blocked signals as the kernel has them (Linux), which a child
    inherits whatever Python's own table of handlers says."""
    try:
        with open("/proc/self/status") as f:
            return {k: v.strip() for k, v in (line.split(":", 1) for line in f) if k in ("SigIgn", "SigBlk")}
    except OSError:
        return {}


@pytest.fixture(autouse=True)
def signals_left_as_found():
    """A test that leaves a signal ignored (or handled) in the test process breaks the tests run
    after it in the same worker: a child started with SIGINT ignored keeps it ignored (a run
    then never sees Ctrl-C). Fail the test that did it, and put the handlers back."""
    before = {sig: signal.getsignal(sig) for sig in SIGNALS}
    kernel = _kernel_signal_state()
    yield
    after = {sig: signal.getsignal(sig) for sig in SIGNALS}
    changed = [signal.Signals(sig).name for sig in SIGNALS if after[sig] != before[sig]]
    now = _kernel_signal_state()
    if now != kernel:
        changed.append(f"the kernel's signal state {kernel} -> {now}")
    for sig in SIGNALS:
        if after[sig] != before[sig] and before[sig] is not None:
            signal.signal(sig, before[sig])
    assert not changed, f"the test left {', '.join(changed)} changed in the test process"
