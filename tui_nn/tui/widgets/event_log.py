"""What happened, newest at the bottom: new bests, switches, edits, pauses, saves, errors."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from ..state import LogLine

MAX_LINES = 2000


class EventLog(RichLog):
    """The event log. New-best lines use the book's wording ("New set of weights found,
    iteration: N loss: L acc: A"); every line's kind picks its style from the CSS component
    classes (``event-log--error`` for errors and refusals, ``event-log--notice`` for the run's
    lifecycle, ``event-log--best`` for new bests).

    Lines wrap at the panel's width. The lines are kept as written, so when that width changes
    (a resize, or the Log tab shown again on a small terminal: a hidden panel has no width)
    they are wrapped again for the new one; while hidden, lines are only kept."""

    COMPONENT_CLASSES = {"event-log--best", "event-log--notice", "event-log--error"}
    STYLE_OF = {"best": "event-log--best", "error": "event-log--error", "refused": "event-log--error",
                "diverged": "event-log--error"}

    def __init__(self, **kwargs):
        super().__init__(max_lines=MAX_LINES, min_width=20, wrap=True, markup=False, highlight=False, **kwargs)
        self.lines_written: deque[LogLine] = deque(maxlen=MAX_LINES)
        self._wrapped_at = 0  # the width the lines on screen were wrapped for (0: none written)

    @property
    def texts(self) -> list[str]:
        """The lines as written, before wrapping."""
        return [line.text for line in self.lines_written]

    def on_mount(self) -> None:
        self.border_title = "Log"

    def add(self, lines: list[LogLine]) -> None:
        self.lines_written.extend(lines)
        width = self.scrollable_content_region.width
        if width != self._wrapped_at:
            self._rewrap(width)
        elif width:
            for line in lines:
                self._write(line)

    def replace(self, lines: list[LogLine]) -> None:
        """Show ``lines`` instead of what was written (the replay's log at its cursor)."""
        self.lines_written.clear()
        self._wrapped_at = -1  # every line wrapped again
        self.add(lines)

    def on_resize(self, event: Resize) -> None:
        # (RichLog's own handler runs too: it writes what came before the size was known.)
        self._rewrap(self.scrollable_content_region.width)

    def _rewrap(self, width: int) -> None:
        if not width:
            self._wrapped_at = 0  # hidden: the lines wait, and are all wrapped again when shown
            return
        if width == self._wrapped_at:
            return
        self._wrapped_at = width
        self.clear()
        for line in self.lines_written:
            self._write(line)

    def _write(self, line: LogLine) -> None:
        component = self.STYLE_OF.get(line.kind, "event-log--notice")
        self.write(Text(line.text, self.get_component_rich_style(component, partial=True)))
