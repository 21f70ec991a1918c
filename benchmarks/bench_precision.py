"""Book precision's cost: the same gradient runs with ``precision="book"`` and ``"fast"``.

Book precision multiplies as the book's ``nnfs.init()`` does (float64 products rounded to
float32) through the network's own plain forward/backward; fast precision multiplies in float32
and takes the lean step (``tui_nn/fast/step.py``). Two cases, each run in both modes in the
same process, alternating, best of ``--repeats``:

- the book's chapter-10 run: spiral (100 samples x 3 classes), Dense(2, 64), ReLU, Dense(64, 3),
  Adam lr 0.05 decay 5e-7, full batch (the default mode here is book);
- MAGIC (when ``../shared/data/magic04.data`` exists): hidden 64,64, Adam, batch 32 (default: fast).

It prints time per epoch in each mode and the ratio book / fast. There is no target: book mode
may be slower; the figure is reported (``benchmarks/RESULTS.md``).

    python benchmarks/bench_precision.py [--epochs 2000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import ROOT, report, verdict

DATA = ROOT.parent / "shared" / "data" / "magic04.data"


def cases(epochs: int, magic_epochs: int):
    yield "spiral 2-64-3 adam full batch", dict(dataset="spiral", layers=(64,), optimizer="adam",
                                                hyperparams={"lr": 0.05, "decay": 5e-7}, iterations=epochs)
    if DATA.exists():
        yield "MAGIC 10-64-64-1 adam batch 32", dict(data=str(DATA), layers=(64, 64), optimizer="adam",
                                                     hyperparams={"lr": 0.001}, batch_size=32, epochs=magic_epochs,
                                                     val_split=0.2, init="he", eval_every=10**9)


def per_epoch(config: dict, precision: str) -> float:
    from tui_nn.trainer import Trainer, TrainConfig

    t = Trainer(TrainConfig(**config, precision=precision))
    t0 = time.perf_counter()
    t.run()
    return (time.perf_counter() - t0) / max(1, t.epoch)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=2000, help="epochs of the spiral run")
    ap.add_argument("--magic-epochs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2, help="alternate the two modes N times; best time each")
    args = ap.parse_args(argv)
    print(f"{'case':34} {'book ms/epoch':>14} {'fast ms/epoch':>14} {'book/fast':>10}")
    for case, config in cases(args.epochs, args.magic_epochs):
        best = {"book": float("inf"), "fast": float("inf")}
        for _ in range(args.repeats):
            for precision in best:
                best[precision] = min(best[precision], per_epoch(config, precision))
        ratio = best["book"] / best["fast"]
        print(f"{case:34} {best['book'] * 1e3:14.3f} {best['fast'] * 1e3:14.3f} {ratio:9.2f}x")
        figure = f"book {best['book'] * 1e3:.3f} ms/epoch, fast {best['fast'] * 1e3:.3f} ms/epoch, {ratio:.2f}x"
        verdict(f"precision: {case}: book mode's cost reported", None if ratio != ratio else True, figure)
        report("precision", case, figure, ratio, True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
