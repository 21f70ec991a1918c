"""Issue 15: a race uses the cores, and its contenders are the separate runs.

The four contenders of the README's race (hill-climb, sgd, adam, rmsprop on spiral, 64 hidden
units) raced for ``--iterations`` each (``tui_nn.race.Race``: a pool of min(cores, contenders)
worker processes, one BLAS thread each, shared fairly by CPU time in segments of 0.1 s), against
the same four runs trained one after another in this process (one BLAS thread): the race's
wall time over the separate runs' total divided by the cores the race can use (min(cores,
contenders)), <= 1.15, timed from when every contender has started and is paused (the workers'
start-up, an interpreter each, is not throughput). Four contenders on two cores was 1.18 with a
process per contender left to the kernel's scheduler; the pool runs no more processes than
cores. The final weights of every contender must equal its separate run's, bit for bit (else
FAIL whatever the time). Wall time: parallelism is the point, so run it on a quiet machine
(``run_all.py`` does).

    python benchmarks/bench_race.py [--iterations 3000] [--repeats 2]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as each contender's process has it

import argparse  # noqa: E402
import time  # noqa: E402

from _common import report, verdict  # noqa: E402

TARGET = 1.15
CONTENDERS = "hill-climb,sgd,adam,rmsprop"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=3000)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    import numpy as np

    from tui_nn import events as ev
    from tui_nn.race import Race, contender_config, parse_contenders
    from tui_nn.race_pool import available_cores
    from tui_nn.trainer import Trainer, TrainConfig

    config = TrainConfig(dataset="spiral", layers=(64,), iterations=args.iterations)
    contenders = parse_contenders(CONTENDERS)
    separate, raced, finals = [], [], None
    for _ in range(args.repeats):  # interleaved; the best of each
        t0 = time.perf_counter()
        finals = []
        for c in contenders:
            t = Trainer(contender_config(config, c))
            t.run()
            finals.append(t.net.params.copy())
        separate.append(time.perf_counter() - t0)
        race = Race(config, contenders, paused=True).start()
        while not all(s.state == "paused" for s in race.standings):  # every worker up (not timed)
            time.sleep(0.01)  # a benchmark's poll, not a test's synchronisation
        t0 = time.perf_counter()
        race.send_all(ev.Resume())
        while not race.done:
            time.sleep(0.01)
        raced.append(time.perf_counter() - t0)
        same = all(np.array_equal(s.params, f) for s, f in zip(race.standings, finals))
        race.stop()
    used = min(available_cores(), len(contenders))
    separate, raced = min(separate), min(raced)
    ratio = raced / (separate / used)
    print(f"{len(contenders)} contenders x {args.iterations:,} iterations on spiral: separate runs {separate:.2f} s "
          f"in all, the race {raced:.2f} s on {used} cores (ideal {separate / used:.2f} s); final weights "
          f"{'identical' if same else 'DIFFERENT'}")
    ok = ratio <= TARGET and same
    verdict(f"race time / (separate runs' time / {used} cores) <= {TARGET}, identical weights", ok, f"{ratio:.3f}")
    report("15-race", f"{CONTENDERS} spiral 64, {args.iterations:,} it", f"{raced:.2f} s vs {separate:.2f} s / {used}",
           ratio, ok)


if __name__ == "__main__":
    main()
