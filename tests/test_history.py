"""The bounded history Series: flat memory, spikes kept, every value counted, exact round trips."""

from __future__ import annotations

import numpy as np
import pytest

from tui_nn.history import Series


def feed(series, values, rng, first=0, max_chunk=5000):
    """Extend ``series`` with ``values`` in random chunk sizes; check the bound after each."""
    i = 0
    while i < len(values):
        k = int(rng.randint(1, max_chunk + 1))
        series.extend(first + i, values[i:i + k])
        i += k
        assert len(series) <= series.capacity
        assert len(series.arrays()[0]) == len(series)


def check_buckets(series, values, first=0):
    """Each bucket's min, max and last equal those of the values it covers."""
    it, lo, hi, last = series.arrays()
    ends = np.append(it[1:], first + len(values))
    assert it[0] == first
    assert np.all(np.diff(it) > 0)
    for s, e, l, h, z in zip(it, ends, lo, hi, last):
        block = values[s - first:e - first]
        assert len(block) > 0
        assert (l, h, z) == (block.min(), block.max(), block[-1])


def test_memory_stays_bounded_over_millions_of_values():
    rng = np.random.RandomState(0)
    s = Series(capacity=512)
    values = rng.rand(3_000_000)
    feed(s, values, rng, max_chunk=60_000)
    assert s.count == len(values)
    assert s.next_iteration == len(values)
    assert len(s) <= 512
    assert s.width >= len(values) / 512  # buckets widened instead of growing in number
    it = s.arrays()[0]
    assert it[0] == 0 and np.all(np.diff(it) > 0)


@pytest.mark.parametrize("seed", range(4))
def test_every_bucket_summarises_exactly_the_values_it_covers(seed):
    rng = np.random.RandomState(seed)
    n = int(rng.randint(20_000, 60_000))
    values = rng.randn(n)
    first = int(rng.randint(0, 1000))
    s = Series(capacity=64)
    feed(s, values, rng, first=first, max_chunk=int(rng.choice([3, 50, 3000])))
    check_buckets(s, values, first)
    assert s.count == n


@pytest.mark.parametrize("where", ["first", "last", "random"])
def test_a_single_spike_and_dip_stay_visible(where):
    rng = np.random.RandomState(len(where))
    n = 400_003
    values = rng.rand(n)
    spike = {"first": 0, "last": n - 1, "random": int(rng.randint(n))}[where]
    dip = (spike + n // 2) % n
    values[spike], values[dip] = 1e6, -1e6
    s = Series(capacity=128)
    feed(s, values, rng, max_chunk=20_000)
    it, lo, hi, last = s.arrays()
    assert hi.max() == 1e6 and lo.min() == -1e6
    b_spike = np.searchsorted(it, spike, side="right") - 1
    b_dip = np.searchsorted(it, dip, side="right") - 1
    assert hi[b_spike] == 1e6  # in the bucket that covers that iteration
    assert lo[b_dip] == -1e6
    assert np.sum(hi == 1e6) == 1 and np.sum(lo == -1e6) == 1


def test_small_series_keeps_every_value():
    s = Series(capacity=8)
    s.extend(5, [3.0, 1.0, 2.0])
    it, lo, hi, last = s.arrays()
    assert it.tolist() == [5, 6, 7]
    assert lo.tolist() == hi.tolist() == last.tolist() == [3.0, 1.0, 2.0]
    assert len(s) == 3 and s.count == 3


def test_empty_chunks_change_nothing():
    s = Series(capacity=8)
    s.extend(0, [])
    assert len(s) == 0 and s.count == 0
    assert [a.tolist() for a in s.arrays()] == [[], [], [], []]


@pytest.mark.parametrize("split", [0, 1, 777, 4096, 10_001, 29_999])
def test_round_trip_then_continue_matches_an_unbroken_series(split):
    rng = np.random.RandomState(split)
    values = rng.randn(30_000)
    whole = Series(capacity=64)
    feed(whole, values, np.random.RandomState(1), max_chunk=700)
    part = Series(capacity=64)
    feed(part, values[:split], np.random.RandomState(2), max_chunk=700)
    saved = part.to_arrays()
    back = Series.from_arrays({k: v.copy() for k, v in saved.items()})
    for a, b in zip(part.arrays(), back.arrays()):
        np.testing.assert_array_equal(a, b)
    assert (back.count, back.next_iteration, back.width) == (part.count, part.next_iteration, part.width)
    feed(back, values[split:], np.random.RandomState(3), first=split, max_chunk=700)
    for a, b in zip(whole.arrays(), back.arrays()):
        np.testing.assert_array_equal(a, b)
    assert back.count == whole.count == 30_000
    check_buckets(back, values)


def test_round_trip_of_a_partly_filled_bucket_of_two_values():
    s = Series(capacity=4)
    s.extend(0, np.arange(8.0))  # fills and merges: width 2
    s.extend(8, [9.0])
    s.extend(9, [-1.0])  # completes a bucket of two
    s.extend(10, [4.0])  # a pending bucket of one
    back = Series.from_arrays(s.to_arrays())
    s.extend(11, [2.0])
    back.extend(11, [2.0])
    for a, b in zip(s.arrays(), back.arrays()):
        np.testing.assert_array_equal(a, b)


def test_capacity_must_be_even_and_at_least_two():
    for bad in (0, 1, 3, 7):
        with pytest.raises(ValueError, match="capacity must be an even number >= 2"):
            Series(bad)
