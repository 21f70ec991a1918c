"""The race dashboard: Pilot tests of its keys, the hand-over to the training dashboard, and
snapshots (four contenders on spiral, advanced before the app starts, then paused and stepped,
so the pictures are the same on every run)."""

from __future__ import annotations

import asyncio
import signal

import numpy as np
import pytest

from tui_nn.race_pool import available_cores
from tui_nn.race import Race, contender_config, parse_contenders
from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.race_app import RaceApp, RaceBoard
from tui_nn.tui.widgets.race_chart import RaceChart
from tui_nn.tui.numbers import num
from tui_nn.tui.widgets.race_table import RaceTable

from tui_helpers import scenario

CONTENDERS = "hill-climb,sgd,adam:lr=0.05,rmsprop"
CONFIG = TrainConfig(dataset="spiral", samples=40, layers=(16,), iterations=1_000_000, eval_every=200)


def paused_race(iterations: int = 600, contenders: str = CONTENDERS) -> Race:
    race = Race(CONFIG, parse_contenders(contenders), paused=True)
    for t in race.trainers:
        t.advance(iterations)
    return race


def race_app(iterations: int = 600, contenders: str = CONTENDERS) -> RaceApp:
    race = paused_race(iterations, contenders)
    return RaceApp(RaceBoard(race, paused=True))


async def wait_for(pilot, condition, seconds: float = 120) -> None:
    """Handle the contenders' events until ``condition()`` holds, looking after each batch that
    arrives; fail if it does not within ``seconds`` (a safety net, never a delay)."""
    app, loop = pilot.app, asyncio.get_running_loop()
    arrived = asyncio.Event()

    def listener() -> None:  # from a session's thread
        app.post_message(app.Arrived())
        loop.call_soon_threadsafe(arrived.set)

    app.board.listener = listener
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        arrived.clear()
        await pilot.pause(0)
        if condition():
            return
        try:
            await asyncio.wait_for(arrived.wait(), timeout=1.0)
        except asyncio.TimeoutError:  # events folded by a flush in between: look again
            pass
    assert condition(), "the race dashboard never reached the expected state"


async def ready(pilot) -> None:
    """Every contender's first events are in, then two steps of all."""
    app = pilot.app
    standings = app.race.standings
    await wait_for(pilot, lambda: all(s.state == "paused" for s in standings))
    for k in (1, 2):
        await pilot.press("n")
        await wait_for(pilot, lambda: all(v.iteration == 600 + k for v in app.board.views))
    app.flush()


@scenario
async def test_step_pause_and_drop_reach_every_contender():
    app = race_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        table = app.query_one(RaceTable)
        assert [table.get_row(str(k))[2] for k in range(4)] == ["602"] * 4
        # the loss and accuracy of that iteration, as the chart's (not the last evaluation's, at 600)
        views = app.board.views
        assert [table.get_row(str(k))[3:5] for k in range(4)] == [[num(v.train_loss), num(v.train_accuracy)]
                                                                   for v in views]
        assert any(table.get_row(str(k))[3] != num(app.race.standings[k].train_loss) for k in range(4))
        await pilot.press("space")  # resume all
        await wait_for(pilot, lambda: all(s.state == "running" or s.done for s in app.race.standings))
        await pilot.press("space")  # pause all
        await wait_for(pilot, lambda: all(s.state == "paused" or s.done for s in app.race.standings))
        await pilot.press("down", "x")  # drop the second contender
        await wait_for(pilot, lambda: not app.race.running(1))
        app.flush()
        assert app.race.standings[1].state == "dropped" and table.get_row("1")[-1] == "dropped"
        before = [s.iteration for s in app.race.standings]
        await pilot.press("n")
        await wait_for(pilot, lambda: app.race.standings[0].iteration == before[0] + 1
                       and app.race.standings[3].iteration == before[3] + 1)
        assert app.race.standings[1].iteration == before[1]  # out of the race
        await pilot.press("q")
    app.race.stop()


@scenario
async def test_the_chart_labels_every_contender_by_number_and_name_so_it_reads_without_colour():
    app = race_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        text = app.query_one(RaceChart).text()
        for k, label in enumerate(["hill-climb", "sgd", "adam lr=0.05", "rmsprop"], 1):
            assert f"{k} {label}" in text  # the legend
            assert text.count(str(k)) >= 3  # ... and the number along its curve
        titles = [app.query_one(f"#region-{k}").border_title for k in range(4)]
        assert titles == ["1 hill-climb", "2 sgd", "3 adam lr=0.05", "4 rmsprop"]
        await pilot.press("q")
    app.race.stop()


@scenario
async def test_open_hands_the_contender_over_exactly():
    app = race_app(contenders="hill-climb,adam:lr=0.05")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("down", "o")
    assert app.return_value == ("open", 1)
    race = app.race
    try:
        standing = race.standings[1]
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as folder:
            trainer = race.trainer(1, Path(folder) / "adam.ckpt.npz")
            assert trainer.iteration == standing.iteration == 602
            assert trainer.net.params.tobytes() == standing.params.tobytes()
            trainer.run_for(400)
            trainer.run()
    # (a run of --iterations 1002 evaluates at other iterations; evaluations change no weight)
    finally:
        race.stop()
    alone = Trainer(contender_config(CONFIG, race.contenders[1]), iterations=1002)
    alone.run()
    assert np.array_equal(trainer.net.params, alone.net.params)  # it carries on as the run would have


def test_race_dashboard(snap_compare):
    assert snap_compare(race_app(), terminal_size=(120, 40), run_before=ready)


def test_race_dashboard_small_terminal(snap_compare):
    assert snap_compare(race_app(), terminal_size=(80, 24), run_before=ready)


@pytest.mark.parametrize("how", ["sigterm", "ctrl+c", "q", "hang-up"])
def test_leaving_the_race_dashboard_restores_the_terminal_ends_every_contender_and_saves_them(tmp_path, how):
    """q, Ctrl+C, SIGTERM, or the terminal going away (SSH dropped): every contender's process
    ends, every unfinished contender is saved, and (but for the dead terminal) the terminal
    is restored and shows the final table."""
    import psutil

    from test_tui_terminal import LEAVE_ALTERNATE_SCREEN, Terminal, after_the_dashboard

    term = Terminal(tmp_path, "--optimizers", "hill-climb,adam", "--dataset", "spiral", "--samples", "40",
                    "--layers", "8", "--iterations", "100000000", command="race")
    term.wait_for(b"RUNNING")  # the status line: the contenders train
    children = psutil.Process(term.proc.pid).children(recursive=True)
    assert len(children) == min(available_cores(), 2)  # a worker per contender, up to the cores
    if how == "hang-up":
        code, out = term.hang_up(), ""
    elif how == "sigterm":
        term.proc.send_signal(signal.SIGTERM)
    else:
        term.write(b"\x03" if how == "ctrl+c" else b"q")
    if how != "hang-up":
        code, out = term.finish()
    _, alive = psutil.wait_procs(children, timeout=10)
    for p in alive:
        p.kill()
    assert alive == []  # no contender outlives the race
    assert code == (0 if how == "q" else 130), out[-2000:]
    saved = sorted(p.name for p in tmp_path.glob("*.ckpt.npz"))
    assert saved == ["tui-nn-spiral-adam-seed0.ckpt.npz", "tui-nn-spiral-hill-climb-seed0.ckpt.npz"]
    if how == "hang-up":
        return
    assert LEAVE_ALTERNATE_SCREEN.decode() in out
    shown = after_the_dashboard(out)
    assert "#  contender" in shown and ("interrupted" if how != "q" else "stopped") in shown
    assert f"continue it with tui-nn train --resume {saved[0]}" in shown
