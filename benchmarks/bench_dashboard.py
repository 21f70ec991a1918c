"""Target 3: the dashboard costs the trainer < 10%, and pause answers within 50 ms.

Both sides run ``hill-climb`` on ``vertical`` at full speed: headless through a
:class:`~tui_nn.runner.Session` in a thread of this process (events dropped), and under the
dashboard as the CLI opens it (``create_app(trainer, paused=False, speed=None)``: the trainer in
a child process, driven by Textual's ``App.run_test``, every panel redrawing as it does for a
user). Both live in one process and take turns: short windows alternate (the side not
measured is paused, and a paused dashboard draws nothing), each counts the iterations its
trainer reports over its wall time, and the ratio is the median over neighbouring pairs, so a
change in the machine's load hits both alike. Then, at full speed in the dashboard,
space is pressed 50 times to pause (and again to resume): the latency is from the key press to
the trainer's Paused event arriving back in the dashboard's process (a full round trip), and no
iteration may run after it.

    python benchmarks/bench_dashboard.py [--seconds 2] [--rounds 7] [--presses 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from _common import report, verdict

RATE_TARGET = 0.9
PAUSE_TARGET = 0.050
SIZE = (160, 48)  # wide and tall: every panel on screen at once
LONG = 10**9  # iterations: the run never ends inside a window


def trainer():
    from tui_nn.trainer import TrainConfig, Trainer

    return Trainer(TrainConfig(dataset="vertical", optimizer="hill-climb", iterations=LONG, seed=0))


async def wait_for(condition) -> None:
    while not condition():
        await asyncio.sleep(0.001)


PANELS = {"loss": ("LossChart", "show"), "accuracy": ("AccuracyChart", "show"), "weights": ("WeightsView", "show"),
          "data": ("DatasetView", "show"), "status": ("StatusBar", "show"), "log": ("EventLog", "add")}


def count_panel_redraws(app, counts: dict) -> None:
    """Count each panel's redraws (its ``show``, the log's ``add``) into ``counts``."""
    from tui_nn.tui import widgets  # noqa: F401

    for panel, (cls_name, method) in PANELS.items():
        widget = next(w for w in app.query("*") if type(w).__name__ == cls_name)
        original = getattr(widget, method)

        def counted(*args, _original=original, _panel=panel, **kwargs):
            counts[_panel] = counts.get(_panel, 0) + 1
            return _original(*args, **kwargs)

        setattr(widget, method, counted)


async def interleaved_rates(seconds: float, rounds: int, size: tuple[int, int] = SIZE) -> dict:
    """Alternate short windows of the same run headless and under the dashboard, in one process.

    The headless side is a :class:`~tui_nn.runner.Session` in a thread of this process with its
    events dropped; the dashboard side is the app as the CLI opens it (trainer in a child
    process, every panel redrawing). While one side runs the other is paused (a paused dashboard
    draws nothing), so both see the machine in the same state, window after window; both runs
    advance alike, so neither is measured at an easier stage of training."""
    from tui_nn import events as ev
    from tui_nn.runner import Session
    from tui_nn.tui.app import create_app

    head_trainer = trainer()
    head = Session(head_trainer, lambda events: None, paused=True, speed=None).start()
    app = create_app(trainer(), paused=True, speed=None)
    redraws = 0
    original = app.flush

    def counting_flush(*args, **kwargs):  # set before mounting, so the app's timer calls it
        nonlocal redraws
        redraws += 1
        original(*args, **kwargs)

    app.flush = counting_flush
    out = {"head": [], "dash": [], "redraws": [], "ui_cpu": [], "lags": [], "panels": []}
    counts: dict[str, int] = {}
    async with app.run_test(size=size) as pilot:
        dash = app.session
        await wait_for(lambda: app.view.started)
        count_panel_redraws(app, counts)

        async def dash_window(length: float) -> None:
            nonlocal redraws
            app.send(ev.Resume())
            await wait_for(lambda: not dash.paused)
            await asyncio.sleep(0.2)  # the first redraws after a resume are not steady state
            redraws = 0
            counts.clear()
            i0, t0, c0 = dash.iteration, time.perf_counter(), time.thread_time()
            while time.perf_counter() - t0 < length:  # how late a 10 ms timer fires: the UI's stalls
                s0 = time.perf_counter()
                await asyncio.sleep(0.01)
                out["lags"].append(time.perf_counter() - s0 - 0.01)
            i1, t1, c1 = dash.iteration, time.perf_counter(), time.thread_time()
            app.send(ev.Pause())
            await wait_for(lambda: dash.paused)
            out["dash"].append((i1 - i0) / (t1 - t0))
            out["redraws"].append(redraws / (t1 - t0))
            out["panels"].append({p: counts.get(p, 0) / (t1 - t0) for p in PANELS})
            out["ui_cpu"].append((c1 - c0) / (t1 - t0))

        async def head_window(length: float) -> None:
            head.send(ev.Resume())
            await asyncio.sleep(0.2)
            i0, t0 = head_trainer.iteration, time.perf_counter()
            await asyncio.sleep(length)
            i1, t1 = head_trainer.iteration, time.perf_counter()
            head.send(ev.Pause())
            await asyncio.sleep(0.05)
            out["head"].append((i1 - i0) / (t1 - t0))

        await dash_window(0.5)  # warm up both: first batches, scratch arrays, plots
        await head_window(0.5)
        out = {k: [] for k in out}
        for _ in range(rounds):
            await head_window(seconds)
            await dash_window(seconds)
        await pilot.press("q")
    head.stop()
    return out


async def pause_latencies(presses: int) -> list[float]:
    """From the key press (posted as a user's key) to the trainer's Paused event arriving back in
    this process: the trainer stops between two chunks, so no iteration runs after it."""
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
        forward = session.on_events

        def timed_events(events):  # runs in the session's reader thread, as events arrive
            now = time.perf_counter()
            for e in events:
                if isinstance(e, (ev.Paused, ev.Resumed)):
                    applied[type(e)] = now
            forward(events)

        session.on_events = timed_events
        def press_space():  # as the terminal driver delivers a key (pilot.press would wait for an idle app)
            app.post_message(Key("space", " "))

        for _ in range(presses):
            applied.clear()
            t0 = time.perf_counter()
            press_space()
            while ev.Paused not in applied:
                await asyncio.sleep(0.0005)
            out.append(applied[ev.Paused] - t0)
            stopped_at = session.iteration
            await asyncio.sleep(0.05)
            assert session.iteration == stopped_at, "the trainer ran on after the pause"
            press_space()  # resume: full speed again
            while ev.Resumed not in applied:
                await asyncio.sleep(0.0005)
            await asyncio.sleep(0.15)
        await pilot.press("q")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="length of each measuring window")
    ap.add_argument("--rounds", type=int, default=7, help="pairs of alternating headless/dashboard windows")
    ap.add_argument("--presses", type=int, default=50)
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="sys.setswitchinterval for the whole run (default: Python's 5 ms)")
    args = ap.parse_args(argv)
    # Quitting an unfinished run saves a checkpoint in the working folder: not in the project's.
    import os
    import tempfile

    os.chdir(tempfile.mkdtemp(prefix="tui-nn-bench-"))
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    got = asyncio.run(interleaved_rates(args.seconds, args.rounds))
    heads, dashes = got["head"], got["dash"]
    lags = sorted(got["lags"])
    head, dash = statistics.median(heads), statistics.median(dashes)
    ratio = statistics.median(d / h for d, h in zip(dashes, heads))  # each window with its neighbour
    print(f"hill-climb on vertical, full speed, {args.rounds} pairs of alternating windows of {args.seconds:g} s")
    print(f"  headless   {head:>10,.0f} it/s  (windows: {', '.join(f'{r:,.0f}' for r in heads)})")
    print(f"  dashboard  {dash:>10,.0f} it/s  (windows: {', '.join(f'{r:,.0f}' for r in dashes)}); "
          f"{statistics.median(got['redraws']):.1f} redraws/s; the UI thread (Textual) holds a CPU "
          f"{statistics.median(got['ui_cpu']):.0%} of the time")
    print(f"  UI event loop: a 10 ms timer fires late by {lags[int(0.95 * (len(lags) - 1))] * 1e3:.0f} ms at p95, "
          f"{lags[-1] * 1e3:.0f} ms at worst (redraws block the loop that handles keys)")
    print(f"  ratio {ratio:.2f} (median over the pairs of neighbouring windows)")
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
