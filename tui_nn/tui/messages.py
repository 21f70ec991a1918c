"""App-wide messages. Messages that one widget sends live in that widget's class."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from .. import events as ev


@dataclass
class TrainerEvents(Message):
    """A batch of trainer events, posted from the session thread (``post_message`` is thread-safe).

    The session may keep appending to ``events`` until the app claims the batch, so one message
    can carry many chunks: nothing is dropped, and the app handles at most one message per
    batch instead of one per chunk.
    """

    events: list[ev.Event]
