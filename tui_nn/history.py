"""Bounded-memory series for display and checkpoints.

A :class:`Series` keeps at most ``capacity`` buckets. Each bucket covers ``width``
consecutive iterations and stores their minimum, maximum and last value, so a spike stays
visible however long the run. When the buckets fill up, neighbours merge and the width
doubles: memory stays flat while every value still counts towards some bucket.
"""

from __future__ import annotations

import numpy as np


class Series:
    def __init__(self, capacity: int = 2048):
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number >= 2")
        self.capacity = capacity
        self.width = 1
        self.start = np.zeros(capacity, np.int64)  # first iteration of each bucket
        self.lo = np.zeros(capacity)
        self.hi = np.zeros(capacity)
        self.last = np.zeros(capacity)
        self.n = 0  # complete buckets
        self.count = 0  # values seen
        self.next_iteration = 0
        self._clear_pending()

    def _clear_pending(self) -> None:
        # The incomplete bucket, as running statistics: memory does not grow with its width.
        self._p_n, self._p_start = 0, 0
        self._p_lo = self._p_hi = self._p_last = np.nan

    def __len__(self) -> int:
        return self.n + (1 if self._p_n else 0)

    def extend(self, first_iteration: int, values) -> None:
        """Append values for iterations first_iteration, first_iteration + 1, ..."""
        values = np.asarray(values, dtype=np.float64).ravel()
        size = values.size
        if size == 0:
            return
        self.count += size
        self.next_iteration = first_iteration + size
        i = 0
        while i < size:
            w = self.width
            if self._p_n == 0 and size - i >= w:
                # Whole buckets straight from the chunk (_put merges, and doubles the width,
                # when the buckets fill up).
                k = min((size - i) // w, self.capacity - self.n)
                block = values[i:i + k * w].reshape(k, w)
                self._put(first_iteration + i, k, np.fmin.reduce(block, axis=1),
                          np.fmax.reduce(block, axis=1), block[:, -1])
                i += k * w
                continue
            take = values[i:i + w - self._p_n]
            if self._p_n == 0:
                self._p_start = first_iteration + i
            self._p_lo = np.fmin(self._p_lo, np.fmin.reduce(take))
            self._p_hi = np.fmax(self._p_hi, np.fmax.reduce(take))
            self._p_last = take[-1]
            self._p_n += take.size
            i += take.size
            if self._p_n == w:
                lo, hi, last, start = self._p_lo, self._p_hi, self._p_last, self._p_start
                self._clear_pending()
                self._put(start, 1, lo, hi, last)

    def _put(self, first_iteration: int, k: int, lo, hi, last) -> None:
        sl = slice(self.n, self.n + k)
        self.start[sl] = first_iteration + np.arange(k) * self.width
        self.lo[sl], self.hi[sl], self.last[sl] = lo, hi, last
        self.n += k
        if self.n == self.capacity:
            self._merge()

    def _merge(self) -> None:
        """Halve the number of buckets by merging neighbours (width doubles). Called when the
        buckets are full (an even number), so every bucket has a partner and the incomplete
        bucket, which starts right after them, stays aligned to the new width."""
        half = self.n // 2
        self.start[:half] = self.start[: 2 * half: 2]
        self.lo[:half] = np.fmin(self.lo[: 2 * half: 2], self.lo[1: 2 * half: 2])
        self.hi[:half] = np.fmax(self.hi[: 2 * half: 2], self.hi[1: 2 * half: 2])
        self.last[:half] = self.last[1: 2 * half: 2]
        self.n = half
        self.width *= 2

    def arrays(self):
        """(iterations, lo, hi, last) for plotting: one entry per bucket, the incomplete one too."""
        it, lo, hi, last = self.start[: self.n], self.lo[: self.n], self.hi[: self.n], self.last[: self.n]
        if self._p_n:
            it = np.append(it, self._p_start)
            lo, hi, last = np.append(lo, self._p_lo), np.append(hi, self._p_hi), np.append(last, self._p_last)
        return it.copy(), lo.copy(), hi.copy(), last.copy()

    def to_arrays(self) -> dict[str, np.ndarray]:
        sl = slice(0, self.n)
        return {"start": self.start[sl].copy(), "lo": self.lo[sl].copy(), "hi": self.hi[sl].copy(),
                "last": self.last[sl].copy(),
                "meta": np.array([self.width, self.count, self.next_iteration, self.capacity,
                                  self._p_n, self._p_start], np.int64),
                "pending": np.array([self._p_lo, self._p_hi, self._p_last])}

    @classmethod
    def from_arrays(cls, d: dict[str, np.ndarray]) -> "Series":
        width, count, nxt, capacity, p_n, p_start = (int(v) for v in d["meta"])
        s = cls(capacity)
        k = len(d["start"])
        s.start[:k], s.lo[:k], s.hi[:k], s.last[:k] = d["start"], d["lo"], d["hi"], d["last"]
        s.n, s.width, s.count, s.next_iteration = k, width, count, nxt
        s._p_n, s._p_start = p_n, p_start
        s._p_lo, s._p_hi, s._p_last = (float(v) for v in d["pending"])
        return s
