"""Helpers for driving the dashboard in tests: run an async test, wait on trainer events."""

from __future__ import annotations

import asyncio
import functools
from contextlib import asynccontextmanager

from tui_nn.tui.messages import TrainerEvents
from tui_nn.tui.widgets.event_log import EventLog
from tui_nn.tui.widgets.status_bar import StatusBar

SIZE = (120, 36)


def scenario(test):
    """Run an ``async`` test body in its own event loop (no pytest asyncio plugin needed)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


@asynccontextmanager
async def running(app, size=SIZE):
    """``app.run_test`` whose pilot also knows when a batch of trainer events arrives."""
    arrived = asyncio.Event()

    def hook(message):
        if isinstance(message, TrainerEvents):
            arrived.set()

    async with app.run_test(size=size, message_hook=hook) as pilot:
        pilot.arrived = arrived
        yield pilot


async def until(pilot, condition, batches: int = 5000) -> None:
    """Handle the trainer's events until ``condition()`` holds; fail if it still does not after
    ``batches`` batches (or if no batch comes at all)."""
    for _ in range(batches):
        pilot.arrived.clear()
        await pilot.pause(0)  # handle what is queued (no sleeping)
        if condition():
            return
        await asyncio.wait_for(pilot.arrived.wait(), timeout=30)  # a safety net, never a delay
    assert condition(), "the dashboard never reached the expected state"


def status(app) -> str:
    return str(app.query_one(StatusBar).render())


def log_text(app) -> str:
    return "\n".join(app.query_one(EventLog).texts)


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


async def settle(pilot) -> None:
    """The session's first events have arrived (and, being lifecycle events, are on screen)."""
    await until(pilot, lambda: pilot.app.view.started)
