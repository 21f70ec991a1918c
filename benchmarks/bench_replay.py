"""Issue 15: recordings stay small and cheap, and replay scrubs fast.

- size: a ``--long``-iteration (10M) ``hill-climb`` run on vertical recorded headless
  (``tui-nn train --record``'s Session and Recorder) fits in 50 MB (ratio size / 50 MB; a
  shorter run's size is scaled to 10M iterations and says so);
- overhead: the same run without a recording, interleaved in this process (``--repeats``, the
  best of each): the recorded run's CPU time over the plain one's (<= 1.1);
- scrub: a 1M-iteration recording of the same run; ``Replayer.state_at`` at random iterations
  (the cursor jumping anywhere, so each answer restores a snapshot and recomputes) answers
  within 100 ms of CPU time (ratio: the slowest answer / 100 ms).

Times are CPU times of this process (``time.process_time``; the session's thread does the
work while the main thread waits), so a busy machine does not pass for a slow recorder.

    python benchmarks/bench_replay.py [--long 10000000] [--scrub 1000000] [--cursors 40] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import queue
import tempfile
import time

from _common import report, verdict

SIZE_MB, OVERHEAD, SCRUB_MS, FULL = 50.0, 1.1, 100.0, 10_000_000


def run(n: int, record: str | None) -> float:
    """CPU seconds to run ``n`` hill-climb iterations on vertical through a Session."""
    from tui_nn import events as ev
    from tui_nn.runner import Session
    from tui_nn.trainer import Trainer

    t = Trainer(dataset="vertical", optimizer="hill-climb", iterations=n)
    q: queue.SimpleQueue = queue.SimpleQueue()
    t0 = time.process_time()
    s = Session(t, q.put, record=record).start()
    while not any(isinstance(e, (ev.Finished, ev.Diverged, ev.Failed)) for e in q.get()):
        pass
    s.stop()
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--long", type=int, default=FULL)
    ap.add_argument("--scrub", type=int, default=1_000_000)
    ap.add_argument("--cursors", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    import numpy as np

    from tui_nn.recording import Recording
    from tui_nn.replay import Replayer

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "long.rec")
        plain, recorded = [], []
        for k in range(args.repeats):  # interleaved; the best of each (the machine is shared)
            plain.append(run(args.long, None))
            if k:
                os.unlink(path)
            recorded.append(run(args.long, path))
        plain, recorded = min(plain), min(recorded)
        size = os.path.getsize(path) / 1e6
        rec = Recording.open(path)
        scaled = size * FULL / args.long
        note = "" if args.long == FULL else f", {scaled:.1f} MB scaled to 10M"
        print(f"{args.long:,} iterations: {size:.1f} MB, {len(rec.snapshots):,} snapshots{note}; "
              f"{plain:.1f} s plain, {recorded:.1f} s recorded (CPU)")
        ok = scaled <= SIZE_MB
        verdict(f"recording of a 10M-iteration hill-climb <= {SIZE_MB:g} MB", ok, f"{scaled:.1f} MB")
        report("15-record-size", f"hill-climb vertical {args.long:,} it", f"{size:.1f} MB{note}",
               scaled / SIZE_MB, ok)
        ratio = recorded / plain
        ok = ratio <= OVERHEAD
        verdict(f"recorded run / plain run <= {OVERHEAD}", ok, f"{ratio:.3f}")
        report("15-record-overhead", f"hill-climb vertical {args.long:,} it", f"{recorded:.1f} s / {plain:.1f} s",
               ratio, ok)

        if args.scrub != args.long:
            path = os.path.join(tmp, "scrub.rec")
            run(args.scrub, path)
        rec = Recording.open(path)
        replayer = Replayer(rec)
        replayer.state_at(0)  # the data loaded, the code warm
        rng = np.random.default_rng(0)
        gaps = np.diff([s.iteration for s in rec.snapshots])
        # random cursors, and the worst place: just before the widest-spaced snapshot
        worst = rec.snapshots[int(np.argmax(gaps)) + 1].iteration - 1
        cursors = [*rng.integers(rec.first, rec.end + 1, args.cursors).tolist(), worst]
        times = []
        for c in cursors:
            t0 = time.process_time()
            replayer.state_at(int(c))
            times.append((time.process_time() - t0) * 1000)
        slowest, median = max(times), float(np.median(times))
        print(f"scrubbing a {rec.end:,}-iteration recording ({len(rec.snapshots):,} snapshots, widest gap "
              f"{int(gaps.max()):,}): median {median:.1f} ms, slowest {slowest:.1f} ms (CPU)")
        ok = slowest <= SCRUB_MS
        verdict(f"replay answers anywhere within {SCRUB_MS:g} ms", ok, f"slowest {slowest:.1f} ms")
        report("15-scrub", f"hill-climb vertical {rec.end:,} it", f"slowest {slowest:.1f} ms, median {median:.1f} ms",
               slowest / SCRUB_MS, ok)


if __name__ == "__main__":
    main()
