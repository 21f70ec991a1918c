"""Target 3: the dashboard costs the trainer < 10%, and pause answers within 50 ms.

Both sides run ``hill-climb`` on ``vertical`` at full speed through the same background
:class:`~tui_nn.runner.Session`: headless (events counted and dropped), and under the dashboard
(``create_app(trainer, paused=False, speed=None)`` driven by Textual's ``App.run_test``, every
panel redrawing as it does for a user). Each window measures the trainer's own iteration count
over the same wall time; the windows alternate so the machine's load hits both alike.
Then, at full speed in the dashboard, space is pressed 50 times to pause (and again to resume):
the latency is from the key press to the session being paused (no further iteration runs).

    python benchmarks/bench_dashboard.py [--seconds 4] [--rounds 3] [--presses 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time

from _common import report, verdict

RATE_TARGET = 0.9
PAUSE_TARGET = 0.050
SIZE = (160, 48)  # wide and tall: every panel on screen at once
LONG = 10**9  # iterations: the run never ends inside a window


def trainer():
    from tui_nn.trainer import TrainConfig, Trainer

    return Trainer(TrainConfig(dataset="vertical", optimizer="hill-climb", iterations=LONG, seed=0))


def headless_rate(seconds: float) -> float:
    from tui_nn.runner import Session

    t = trainer()
    started = threading.Event()
    session = Session(t, lambda events: started.set(), paused=False, speed=None).start()
    started.wait()
    time.sleep(0.5)  # warm up: first batches, scratch arrays
    i0, t0 = t.iteration, time.perf_counter()
    time.sleep(seconds)
    i1, t1 = t.iteration, time.perf_counter()
    session.stop()
    return (i1 - i0) / (t1 - t0)


async def dashboard_rate(seconds: float) -> tuple[float, int]:
    from tui_nn.tui.app import create_app

    from tui_nn.tui.app import create_app

    t = trainer()
    app = create_app(t, paused=False, speed=None)
    redraws = 0
    original = app.flush

    def counting_flush():  # set before mounting, so the app's timer calls it
        nonlocal redraws
        redraws += 1
        original()

    app.flush = counting_flush
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.sleep(0.5)
        redraws = 0
        i0, t0, c0 = t.iteration, time.perf_counter(), time.thread_time()
        lags = []
        while time.perf_counter() - t0 < seconds:  # how late a 10 ms timer fires: the UI's stalls
            s0 = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - s0 - 0.01)
        i1, t1, c1 = t.iteration, time.perf_counter(), time.thread_time()
        await pilot.press("q")
    lags.sort()
    return ((i1 - i0) / (t1 - t0), redraws / (t1 - t0), (c1 - c0) / (t1 - t0),
            lags[int(0.95 * (len(lags) - 1))], lags[-1])


async def pause_latencies(presses: int) -> list[float]:
    """From the key press (posted as a user's key) to the session applying the pause: the trainer
    stops between two chunks, so no iteration runs after that instant."""
    from textual.events import Key

    from tui_nn import events as ev
    from tui_nn.tui.app import create_app

    t = trainer()
    app = create_app(t, paused=False, speed=None)
    out = []
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.sleep(0.5)
        session = app.session
        applied: dict[type, float] = {}
        apply = session._apply

        def timed_apply(cmd):  # runs in the session thread
            result = apply(cmd)
            applied[type(cmd)] = time.perf_counter()
            return result

        session._apply = timed_apply
        def press_space():  # as the terminal driver delivers a key (pilot.press would wait for an idle app)
            app.post_message(Key("space", " "))

        for _ in range(presses):
            applied.clear()
            t0 = time.perf_counter()
            press_space()
            while ev.Pause not in applied:
                await asyncio.sleep(0.0005)
            out.append(applied[ev.Pause] - t0)
            stopped_at = t.iteration
            await asyncio.sleep(0.05)
            assert t.iteration == stopped_at, "the trainer ran on after the pause"
            press_space()  # resume: full speed again
            while ev.Resume not in applied:
                await asyncio.sleep(0.0005)
            await asyncio.sleep(0.15)
        await pilot.press("q")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=4.0, help="length of each measuring window")
    ap.add_argument("--rounds", type=int, default=3, help="alternating headless/dashboard windows")
    ap.add_argument("--presses", type=int, default=50)
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="sys.setswitchinterval for the whole run (default: Python's 5 ms)")
    args = ap.parse_args(argv)
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    heads, dashes, redraws, ui_cpu, lag95, lagmax = [], [], [], [], [], []
    for _ in range(args.rounds):
        heads.append(headless_rate(args.seconds))
        rate, per_second, cpu, p95, worst = asyncio.run(dashboard_rate(args.seconds))
        dashes.append(rate)
        redraws.append(per_second)
        ui_cpu.append(cpu)
        lag95.append(p95)
        lagmax.append(worst)
    head, dash = statistics.median(heads), statistics.median(dashes)
    ratio = dash / head
    print(f"hill-climb on vertical, full speed, {args.rounds} alternating windows of {args.seconds:g} s")
    print(f"  headless   {head:>10,.0f} it/s  (windows: {', '.join(f'{r:,.0f}' for r in heads)})")
    print(f"  dashboard  {dash:>10,.0f} it/s  (windows: {', '.join(f'{r:,.0f}' for r in dashes)}); "
          f"{statistics.median(redraws):.1f} redraws/s; the UI thread (Textual) holds a CPU "
          f"{statistics.median(ui_cpu):.0%} of the time")
    print(f"  UI event loop: a 10 ms timer fires late by {statistics.median(lag95) * 1e3:.0f} ms at p95, "
          f"{max(lagmax) * 1e3:.0f} ms at worst (redraws block the loop that handles keys)")
    print(f"  ratio {ratio:.2f}")
    ok_rate = ratio >= RATE_TARGET
    verdict(f"dashboard: trainer speed >= {RATE_TARGET}x headless", ok_rate, f"{ratio:.2f}x")
    report("3-dashboard", "it/s with dashboard / headless",
           f"{dash:,.0f} vs {head:,.0f} it/s", ratio, ok_rate)

    lat = sorted(asyncio.run(pause_latencies(args.presses)))
    p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
    print(f"pause at full speed, {len(lat)} presses: median {statistics.median(lat) * 1e3:.1f} ms, "
          f"p95 {p95 * 1e3:.1f} ms, max {lat[-1] * 1e3:.1f} ms")
    ok_pause = p95 <= PAUSE_TARGET
    verdict(f"dashboard: pause p95 <= {PAUSE_TARGET * 1e3:.0f} ms at full speed", ok_pause, f"{p95 * 1e3:.1f} ms")
    report("3-pause", "pause key p95 at full speed", f"p95 {p95 * 1e3:.1f} ms", p95 / PAUSE_TARGET, ok_pause)
    return 0 if ok_rate and ok_pause else 1


if __name__ == "__main__":
    sys.exit(main())
