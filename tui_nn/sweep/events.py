"""The sweep's one vocabulary: what backends report, what the sweep tells front ends, and the
commands front ends send it. All are small dataclasses (picklable: local workers send theirs
through a pipe).

- Backends report :class:`ConfigRunning`, :class:`ConfigProgress`, :class:`ConfigDone`,
  :class:`WorkerLost`, :class:`ConfigCancelled` and :class:`ConfigRerun` for the attempt they
  ran. The sweep passes the first two on to its listeners as they are and turns the others
  into :class:`ConfigFinished` or :class:`ConfigRetried`.
- The sweep adds :class:`SweepStarted`, :class:`ConfigSubmitted`, :class:`SweepPaused` and
  :class:`SweepFinished`.
- Commands (:class:`Pause`, :class:`Resume`, :class:`Cancel`, :class:`Stop`) go the other way,
  from any thread, through ``Sweep.pause()`` and its siblings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .results import Result


@dataclass
class SweepEvent:
    pass


# --- reported by backends (and passed on by the sweep where a front end needs them) --------------


@dataclass
class ConfigRunning(SweepEvent):
    """A worker started the configuration (``pid`` of the worker process, ``host`` where known)."""

    index: int
    attempt: int
    pid: int | None
    host: str | None = None


@dataclass
class ConfigProgress(SweepEvent):
    index: int
    attempt: int
    point: dict  # epoch, iteration, train/val loss and accuracy


@dataclass
class ConfigDone(SweepEvent):
    """The attempt ended with a result (``worker.run_configuration``'s dict: ok, diverged, failed
    or cancelled by its own check)."""

    index: int
    attempt: int
    outcome: dict


@dataclass
class WorkerLost(SweepEvent):
    """The worker running the attempt died (killed, out of memory): the sweep may retry it."""

    index: int
    attempt: int
    reason: str


@dataclass
class ConfigCancelled(SweepEvent):
    """The attempt was stopped because the sweep cancelled it."""

    index: int
    attempt: int


@dataclass
class ConfigRerun(SweepEvent):
    """The backend started the attempt again itself (a Dask scheduler after a worker died): the
    sweep counts it as a retry."""

    index: int
    attempt: int
    reason: str


# --- from the sweep to front ends ----------------------------------------------------------------


@dataclass
class SweepStarted(SweepEvent):
    total: int  # configurations in this sweep (after --random)
    todo: int  # still to run (the others came from --resume)
    backend: str  # e.g. "2 local worker processes"
    capacity: int


@dataclass
class ConfigSubmitted(SweepEvent):
    index: int
    attempt: int


@dataclass
class ConfigFinished(SweepEvent):
    result: Result
    best: Result | None  # the best so far, after this one


@dataclass
class ConfigRetried(SweepEvent):
    index: int
    attempt: int  # the attempt that is starting now (1 = the first retry)
    reason: str


@dataclass
class SweepPaused(SweepEvent):
    paused: bool


@dataclass
class SweepFinished(SweepEvent):
    results: list[Result]  # ranked, best first
    interrupted: bool


# --- commands, from front ends to the sweep ------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Cancel:
    index: int


@dataclass(frozen=True)
class Stop:
    pass
