"""The one progress bar of the command line (``train --headless`` and ``sweep --headless``).

A line redrawn in place on a terminal (stderr) at most ten times a second: a bar for the
fraction done, then the front end's text, cut to the terminal's width. Standard library only.
"""

from __future__ import annotations

import time
from typing import Callable

WIDTH = 24  # cells of the bar itself
REDRAW_SECONDS = 0.1


class ProgressBar:
    def __init__(self, write: Callable[[str], None], columns: Callable[[], int] | None = None):
        self.write = write  # writes and flushes (the caller handles a closed stream)
        self.columns = columns
        self.shown = False
        self.last = 0.0

    def draw(self, fraction: float, text: str, force: bool = False) -> None:
        """Redraw with ``fraction`` done (0..1) and ``text`` after the bar, unless it was
        redrawn less than REDRAW_SECONDS ago (``force``: now)."""
        now = time.perf_counter()
        if not force and now - self.last < REDRAW_SECONDS:
            return
        self.last = now
        filled = int(min(1.0, max(0.0, fraction)) * WIDTH)
        line = f"\r{'█' * filled}{'·' * (WIDTH - filled)} {text}"
        if self.columns is not None:
            line = line[: self.columns() + 1]
        self.write(line + "\x1b[K")
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.shown = False
            self.write("\r\x1b[K")
