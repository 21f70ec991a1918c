"""The dashboard's speed ladder (640 iterations a second, doubled or halved with > and <) and what
the space key says it does. No Textual here: the CLI and the tests use these too.
"""

from __future__ import annotations

DEFAULT_SPEED = 640.0  # iterations per second: the book's 10,000 iterations in about 16 s
MIN_SPEED = 1.25  # 640 halved nine times: each accept or reject can be followed by eye
MAX_SPEED = 81_920.0  # 640 doubled seven times; one more doubling is full speed ("max")


def slower(speed: float | None, measured: float = 0.0) -> float:
    """Half the rate. From full speed: the step of the ladder (640 doubled or halved) at or
    below half the measured rate, so the first press slows down visibly (not 81,920/s when the
    trainer only manages 30,000/s); MAX_SPEED when nothing was measured yet."""
    if speed is None:
        if measured <= 0:
            return MAX_SPEED
        ladder = [MIN_SPEED * 2 ** k for k in range(17)]  # 1.25 ... 81,920
        return max([s for s in ladder if s <= measured / 2] or [MIN_SPEED])
    return max(MIN_SPEED, speed / 2)


SPACE_LABELS = {"running": "Pause", "finished": "Run on", "paused": "Resume"}  # what space does now


def space_label(state: str) -> str:
    """What space does now: pause a running run, resume a paused one, run a finished one on."""
    return SPACE_LABELS.get(state, "Resume")


def faster(speed: float | None) -> float | None:
    if speed is None or speed * 2 > MAX_SPEED:
        return None
    return speed * 2
