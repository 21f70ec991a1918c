"""What happened, newest at the bottom: new bests, switches, edits, pauses, saves, errors."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.widgets import RichLog

from ..state import LogLine

MAX_LINES = 2000


class EventLog(RichLog):
    """The event log. New-best lines use the book's wording ("New set of weights found,
    iteration: N loss: L acc: A"); every line's kind picks its style from the CSS component
    classes (``event-log--error`` for errors and refusals, ``event-log--notice`` for the run's
    lifecycle, ``event-log--best`` for new bests)."""

    COMPONENT_CLASSES = {"event-log--best", "event-log--notice", "event-log--error"}
    STYLE_OF = {"best": "event-log--best", "error": "event-log--error", "refused": "event-log--error",
                "diverged": "event-log--error"}

    def __init__(self, **kwargs):
        super().__init__(max_lines=MAX_LINES, min_width=20, wrap=True, markup=False, highlight=False, **kwargs)
        self.texts: deque[str] = deque(maxlen=MAX_LINES)  # the lines as written, before wrapping

    def on_mount(self) -> None:
        self.border_title = "Log"

    def add(self, lines: list[LogLine]) -> None:
        for line in lines:
            self.texts.append(line.text)
            component = self.STYLE_OF.get(line.kind, "event-log--notice")
            self.write(Text(line.text, self.get_component_rich_style(component, partial=True)))
