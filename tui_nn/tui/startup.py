"""What the dashboard does so that its first frame is its full frame (issue 16).

Textual paints the first frame before the screen hears of its size (its Resize event comes
a moment later), so the screen's breakpoint classes (``-wide``, ``-very-wide``, ``-tall`` ...)
were not set for the first layout: the panels were laid out as on a middling terminal, painted,
and laid out again a beat later, their charts redrawn for the new sizes (a visible jump, and
~100 ms more before the frame was complete). :func:`breakpoint_classes` gives the classes for
the terminal's size now, so the app sets them before the first layout. (The panels that draw
for their size do so at their first render too: ``widgets/strips.py``.)

:func:`start_session_early` starts the trainer's child process before Textual is imported
(``run_dashboard``), so that the run's first events are on the first frame too.
"""

from __future__ import annotations

import os
import threading

from .speeds import DEFAULT_SPEED


def breakpoint_classes(app) -> dict[str, bool]:
    """Each of the app's breakpoint classes, and whether it applies at the app's size now (as
    Textual's screen decides it on a resize: the largest breakpoint at or below the size)."""
    horizontal, vertical = app.HORIZONTAL_BREAKPOINTS or [], app.VERTICAL_BREAKPOINTS or []
    classes = {name: False for _, name in horizontal + vertical}
    for size, points in ((app.size.width, horizontal), (app.size.height, vertical)):
        for at, name in sorted(points, reverse=True):
            if size >= at:
                classes[name] = True
                break
    return classes


class HeldEvents:
    """A session's ``on_events`` until the app takes them: the events it sends before the app
    is mounted are held, then handed over in order (:meth:`attach`), and later ones go straight
    to the app. Called in the session's reader thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._held: list = []
        self._target = None

    def __call__(self, events: list) -> None:
        with self._lock:
            if self._target is None:
                self._held.extend(events)
                return
        self._target(events)

    @property
    def attached(self) -> bool:
        return self._target is not None

    def attach(self, target) -> None:
        with self._lock:  # (the reader waits: nothing overtakes the held events)
            held, self._held, self._target = self._held, [], target
            if held:
                target(held)


def start_session_early(trainer, *, paused: bool = False, speed=DEFAULT_SPEED, record: str | None = None,
                        **_options):
    """The dashboard's trainer in its child process, started now (before Textual is imported),
    or None where the dashboard starts its own (not POSIX, a speed it will refuse).

    The child takes ~250 ms to start (a fresh interpreter importing NumPy and tui_nn, the
    trainer unpickled, its first evaluation); started once the first frame was out, its first
    events (the run's first loss and accuracy, the log's first line) came ~0.45 s after the
    first frame. Started here it starts on the other core while this process imports Textual
    and lays the dashboard out, and its first events are there for the first frame."""
    if os.name != "posix" or (speed is not None and not speed > 0):
        return None
    from ..runner import ProcessSession

    return ProcessSession(trainer, HeldEvents(), paused=paused, speed=speed, record=record).start()
