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
        self._pending: list[np.ndarray] = []  # values of the incomplete bucket
        self._pending_start = 0
        self.count = 0  # values seen
        self.next_iteration = 0

    def __len__(self) -> int:
        return self.n + (1 if self._pending else 0)

    def extend(self, first_iteration: int, values) -> None:
        """Append values for iterations first_iteration, first_iteration + 1, ..."""
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size == 0:
            return
        if not self._pending and not self.n:
            self._pending_start = first_iteration
        self.count += values.size
        self.next_iteration = first_iteration + values.size
        while values.size:
            if not self._pending:
                self._pending_start = first_iteration
            have = sum(p.size for p in self._pending)
            need = self.width - have
            if have == 0 and values.size >= self.width:
                # Whole buckets straight from the chunk.
                w = self.width  # _put may merge and double self.width
                k = min(values.size // w, self.capacity - self.n)
                if k == 0:
                    self._merge()
                    continue
                block = values[: k * w].reshape(k, w)
                self._put(first_iteration, k, np.fmin.reduce(block, axis=1),
                          np.fmax.reduce(block, axis=1), block[:, -1])
                values = values[k * w:]
                first_iteration += k * w
                continue
            take = values[:need]
            self._pending.append(take)
            values = values[need:]
            first_iteration += take.size
            if have + take.size == self.width:
                if self.n == self.capacity:
                    self._merge()
                block = np.concatenate(self._pending)
                self._pending = []
                self._put(self._pending_start, 1, np.array([np.fmin.reduce(block)]),
                          np.array([np.fmax.reduce(block)]), block[-1:])

    def _put(self, first_iteration: int, k: int, lo, hi, last) -> None:
        sl = slice(self.n, self.n + k)
        self.start[sl] = first_iteration + np.arange(k) * self.width
        self.lo[sl], self.hi[sl], self.last[sl] = lo, hi, last
        self.n += k
        if self.n == self.capacity:
            self._merge()

    def _merge(self) -> None:
        """Halve the number of buckets by merging neighbours (width doubles)."""
        half = self.n // 2
        self.start[:half] = self.start[: 2 * half: 2]
        self.lo[:half] = np.fmin(self.lo[: 2 * half: 2], self.lo[1: 2 * half: 2])
        self.hi[:half] = np.fmax(self.hi[: 2 * half: 2], self.hi[1: 2 * half: 2])
        self.last[:half] = self.last[1: 2 * half: 2]
        odd = self.n % 2
        if odd:  # the unpaired last bucket becomes the start of the pending one
            self.start[half] = self.start[self.n - 1]
            self.lo[half], self.hi[half], self.last[half] = self.lo[self.n - 1], self.hi[self.n - 1], self.last[self.n - 1]
        self.n = half + odd
        self.width *= 2
        # A pending bucket shorter than the new width simply keeps filling.

    def arrays(self):
        """(iterations, lo, hi, last) for plotting: one entry per bucket, pending included."""
        it, lo, hi, last = self.start[: self.n], self.lo[: self.n], self.hi[: self.n], self.last[: self.n]
        if self._pending:
            block = np.concatenate(self._pending)
            it = np.append(it, self._pending_start)
            lo = np.append(lo, np.fmin.reduce(block))
            hi = np.append(hi, np.fmax.reduce(block))
            last = np.append(last, block[-1])
        return it.copy(), lo.copy(), hi.copy(), last.copy()

    def to_arrays(self) -> dict[str, np.ndarray]:
        it, lo, hi, last = self.arrays()
        return {"start": it, "lo": lo, "hi": hi, "last": last,
                "meta": np.array([self.width, self.count, self.next_iteration, self.capacity], np.int64)}

    @classmethod
    def from_arrays(cls, d: dict[str, np.ndarray]) -> "Series":
        width, count, nxt, capacity = (int(v) for v in d["meta"])
        s = cls(capacity)
        k = len(d["start"])
        s.start[:k], s.lo[:k], s.hi[:k], s.last[:k] = d["start"], d["lo"], d["hi"], d["last"]
        s.n, s.width, s.count, s.next_iteration = k, width, count, nxt
        m = nxt - int(s.start[k - 1]) if k else 0
        if 0 < m < width:
            # The last bucket was still filling: make it pending again, with m values that have
            # its min, max and last, so later values land in the same buckets as without a break.
            lo, hi, last = s.lo[k - 1], s.hi[k - 1], s.last[k - 1]
            block = np.full(m, last)
            if m == 2:
                block[0] = lo if hi == last else hi
            elif m > 2:
                block[:2] = lo, hi
            s.n, s._pending, s._pending_start = k - 1, [block], int(s.start[k - 1])
        return s
