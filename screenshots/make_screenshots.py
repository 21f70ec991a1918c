"""Regenerate the dashboard screenshots in this folder (SVG, as Textual exports them).

Run from the project root::

    .venv/bin/python screenshots/make_screenshots.py

Each screenshot is the real app (``tui_nn.tui.app.create_app``) driven headlessly with
``App.run_test``: a fixed configuration and seed, a fixed number of iterations run in one go before the
app starts, their events handed to the app (so the pictures do not depend on the machine's
speed), the app started paused, then a few key presses. The clock and iterations-per-second fields read "0:00" and "—" for the
same reason. Files written:

- ``default.svg``: the book's chapter-6 run (vertical data, hill-climb, seed 0) after 10,000
  iterations, at 120x36;
- ``spiral-adam.svg``: spiral data, a 64-unit hidden layer, Adam (lr 0.05) for 3,000 steps;
- ``magic.svg``: the UCI MAGIC gamma telescope data (``--data ../shared/data/magic04.data``
  relative to the project root), hidden layer of 8, Adam, 300 mini-batch steps; skipped with a
  message if the file is absent;
- ``paused-weight-selected.svg``: the default run paused after 2,000 iterations with a weight
  selected in the Weights panel and nudged;
- ``narrow.svg``: the default run at 80x24 (panels become tabs);
- ``help.svg``: the ``?`` screen;
- ``replay.svg``: ``tui-nn replay`` of the default run recorded for 10,000 iterations, the cursor
  at 4,321;
- ``replay-fork.svg``: the same recording forked at 3,000 with Adam (lr 0.05), the fork shown
  and the original beside it on the loss chart;
- ``race.svg``: ``tui-nn race`` of hill-climb, sgd, adam and rmsprop on spiral with a 64-unit
  hidden layer, every contender 2,000 iterations from the same start, at 120x40;
- ``graph.svg``: spiral data, a 2-8-3 network, Adam (lr 0.05) for 1,000 steps, the network
  graph (``v``) with the weight x2 → h3 selected;
- ``neuron-map.svg``: the same run, the map of neuron h3 large in the data panel's place (``m``);
- ``hidden-space.svg``: spiral data, a 2-16-16-3 network, Adam (lr 0.05) for 1,500 steps, the
  second hidden layer's space (``h``, then ``→``).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MAGIC = ROOT.parent / "shared" / "data" / "magic04.data"
sys.path.insert(0, str(ROOT))

from tui_nn.trainer import TrainConfig, Trainer  # noqa: E402
from tui_nn.tui.app import create_app  # noqa: E402


async def shoot(name: str, config: TrainConfig, iterations: int, *, size=(120, 36), keys=(), before=None) -> None:
    trainer = Trainer(config)
    # The trainer in a thread of this process, so the script can wait on it directly (the picture
    # is the same as with the CLI's trainer process).
    app = create_app(trainer, paused=True, separate_process=False)
    # Run the iterations here, in one go, and hand the app their events as the session would:
    # the picture (log lines included) is then the same on every machine.
    app.view.apply(trainer.start_events() + trainer.advance(iterations))
    async with app.run_test(size=size) as pilot:
        for _ in range(1000):  # the session's first events (bounded, no sleeping)
            if app.view.started:
                break
            await pilot.pause()
        await app.workers.wait_for_complete()  # e.g. the PCA projection
        if before is not None:
            await before(app, pilot)
        if keys:
            await pilot.press(*keys)
        for _ in range(50):  # whatever the keys asked of the trainer has come back
            await pilot.pause()
            if not app.session.commands.qsize():
                break
        app.flush()
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        app.clear_notifications()
        await pilot.pause()
        path = app.save_screenshot(filename=f"{name}.svg", path=str(HERE))
    print(f"wrote {Path(path).relative_to(ROOT)}")


async def shoot_race(name: str = "race", size=(120, 40)) -> None:
    """The race dashboard: every contender run the same iterations before the app starts, in
    its own process, started paused (the same picture on every machine)."""
    from tui_nn.race import Race, parse_contenders
    from tui_nn.tui.race_app import create_race_app

    race = Race(TrainConfig(dataset="spiral", layers=(64,), iterations=10_000),
                parse_contenders("hill-climb,sgd,adam,rmsprop"), paused=True)
    for trainer in race.trainers:
        trainer.advance(2_000)
    app = create_race_app(race, paused=True)
    try:
        async with app.run_test(size=size) as pilot:
            for _ in range(100_000):  # every contender's first events (bounded)
                if all(s.state == "paused" for s in race.standings):
                    break
                await pilot.pause(0.01)
            app.flush()
            await pilot.pause()
            path = app.save_screenshot(filename=f"{name}.svg", path=str(HERE))
    finally:
        race.stop()
    print(f"wrote {Path(path).relative_to(ROOT)}")


async def select_weight(app, pilot) -> None:
    """Select dense1's weight from input x2 to neuron h3 and nudge it up by 0.1."""
    index = 1 * 3 + 2
    start = float(app.trainer.net.params[index])
    await pilot.press("down", "right", "right", "right_square_bracket", "right_square_bracket")
    for _ in range(1000):  # until the trainer has both nudges (bounded, no sleeping)
        if abs(float(app.trainer.net.params[index]) - (start + 0.1)) < 1e-6 and app.view.log == []:
            break
        await pilot.pause()


async def shoot_replay(name: str, path: Path, cursor: int, branch: str = "main") -> None:
    from tui_nn.recording import Recording
    from tui_nn.replay import Replayer
    from tui_nn.tui.replay_app import create_replay_app

    app = create_replay_app(Replayer(Recording.open(path, branch)), cursor=cursor)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(1000):  # the state at the cursor has come (bounded, no sleeping)
            if app.view.iteration == cursor and app.branch == branch:
                break
            await pilot.pause()
        await app.workers.wait_for_complete()
        app.flush()
        await pilot.pause()
        out = app.save_screenshot(filename=f"{name}.svg", path=str(HERE))
    print(f"wrote {Path(out).relative_to(ROOT)}")


async def replays() -> None:
    import queue
    import tempfile

    from tui_nn import events as ev
    from tui_nn.recording import Recording
    from tui_nn.replay import fork
    from tui_nn.runner import Session

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.rec"
        q: queue.SimpleQueue = queue.SimpleQueue()
        session = Session(Trainer(TrainConfig()), q.put, record=str(path), snapshot_every=500).start()
        while not any(isinstance(e, ev.Finished) for e in q.get()):
            pass
        session.stop()
        await shoot_replay("replay", path, 4_321)
        fork(Recording.open(path), 3_000, "adam-3000", optimizer="adam", hyperparams={"lr": 0.05}, snapshot_every=500)
        await shoot_replay("replay-fork", path, 6_000, branch="adam-3000")


async def main() -> None:
    await shoot("default", TrainConfig(), 10_000)
    await shoot("spiral-adam", TrainConfig(dataset="spiral", layers=(64,), optimizer="adam",
                                           hyperparams={"lr": 0.05}, iterations=10_000), 3_000)
    if MAGIC.is_file():
        await shoot("magic", TrainConfig(data=str(MAGIC), layers=(8,), optimizer="adam", batch_size=256,
                                         hyperparams={"lr": 0.01}, iterations=2_000), 300)
    else:
        print(f"skipped magic.svg: {MAGIC} not found (the UCI MAGIC gamma telescope data)")
    await shoot("paused-weight-selected", TrainConfig(), 2_000, before=select_weight)
    await shoot("narrow", TrainConfig(), 10_000, size=(80, 24))
    await shoot("help", TrainConfig(), 10_000, keys=("question_mark",))
    await replays()
    await shoot_race()
    spiral = TrainConfig(dataset="spiral", layers=(8,), optimizer="adam", hyperparams={"lr": 0.05}, iterations=10_000)
    await shoot("graph", spiral, 1_000, keys=("v", "down", "right", "right"))
    await shoot("neuron-map", spiral, 1_000, keys=("v", "down", "right", "right", "m"))
    deep = TrainConfig(dataset="spiral", layers=(16, 16), optimizer="adam", hyperparams={"lr": 0.05},
                       iterations=10_000)
    await shoot("hidden-space", deep, 1_500, keys=("h", "right"))


if __name__ == "__main__":
    asyncio.run(main())
