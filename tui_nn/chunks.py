"""The one chunking rule: how many iterations a driver asks the trainer for at a time.

Chunks of about ``CHUNK_SECONDS`` of work keep commands and signals responsive and the events
few; the length adapts to the measured time per iteration, doubling at most per chunk. Where the
chunks fall changes no result: the trainer gives the same events whatever the chunking.
"""

from __future__ import annotations

CHUNK_SECONDS = 0.01  # target duration of one chunk of work at full speed
MAX_CHUNK = 1 << 16


def next_chunk(n: int, seconds: float) -> int:
    """The chunk after one of ``n`` iterations that took ``seconds``."""
    if seconds <= 0:
        return min(n * 2, MAX_CHUNK)
    target = max(1, int(CHUNK_SECONDS * n / seconds))
    return max(1, min(target, n * 2, MAX_CHUNK))
