"""The sweep dashboard: leaderboard order and highlight, the selected configuration's curves,
and the keys (pause/resume submissions, cancel the selected run, open the best)."""

from __future__ import annotations

import asyncio
import threading

from textual.widgets import DataTable, Static

from tui_nn.sweep import (ConfigProgress, InlineBackend, LocalPool, SweepFinished, SweepPaused, Sweep,
                          plan_sweep)
from tui_nn.tui.numbers import num
from tui_nn.tui.sweep_app import CurvesChart, SweepApp
from tui_nn.tui.widgets.event_log import EventLog
from tui_nn.tui.widgets.status_bar import StatusBar

GRID = {"dataset": "vertical", "samples": 60, "nodes": [8, 16], "optimizer": "adam", "lr": [0.05, 0.01],
        "batch_size": 32, "epochs": 40}


def when(sweep: Sweep, test) -> threading.Event:
    """An event set the first time the sweep emits an event for which ``test`` is true."""
    flag = threading.Event()
    sweep.subscribe(lambda e: flag.set() if test(e) else None)
    return flag


async def settle(app, pilot) -> None:
    await pilot.pause()
    app.flush()
    await pilot.pause()


def table_rows(app) -> list[list[str]]:
    table = app.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def test_leaderboard_pause_curves_and_open_best():
    asyncio.run(leaderboard_pause_curves_and_open_best())


async def leaderboard_pause_curves_and_open_best():
    sweep = Sweep(plan_sweep(GRID, seed=5), InlineBackend(), live=True)
    app = SweepApp(sweep)
    async with app.run_test(size=(130, 40)) as pilot:
        paused = when(sweep, lambda e: isinstance(e, SweepPaused) and e.paused)
        finished = when(sweep, lambda e: isinstance(e, SweepFinished))
        await pilot.press("p")  # before the sweep starts: nothing may be submitted
        thread = threading.Thread(target=sweep.run, daemon=True)
        thread.start()
        assert await asyncio.to_thread(paused.wait, 30)
        await settle(app, pilot)
        assert app.paused and "PAUSED" in str(app.query_one("#status", Static).render())
        assert sweep.running == {} and sweep.results == {} and app.query_one(DataTable).row_count == 0

        await pilot.press("p")
        assert await asyncio.to_thread(finished.wait, 60)
        await asyncio.to_thread(thread.join, 30)
        await settle(app, pilot)
        ranked = sweep.ranked()
        rows = table_rows(app)
        assert [int(row[1]) for row in rows] == [r.index for r in ranked]
        assert rows[0][0] == "★" and all(row[0] == "" for row in rows[1:])
        labels = [str(c.label) for c in app.query_one(DataTable).ordered_columns]
        assert labels[:4] == ["", "#", "nodes", "lr"]
        assert [float(row[labels.index("val_loss")]) for row in rows] == [float(f"{r.val_loss:.6g}") for r in ranked]
        status = str(app.query_one("#status", Static).render())
        assert "4/4 done" in status and f"best #{ranked[0].index}" in status

        loss = app.query_one("#loss", CurvesChart)
        assert loss.history == ranked[0].history and len(loss.history) == 41
        await pilot.press("down")
        assert app.selected == ranked[1].index
        assert app.query_one("#accuracy", CurvesChart).history == ranked[1].history
        assert f"#{ranked[1].index}" in loss.label

        await pilot.press("o")
    assert app.return_value == ("open", ranked[0].index)


def test_cancel_the_selected_running_configuration():
    asyncio.run(cancel_the_selected_running_configuration())


async def cancel_the_selected_running_configuration():
    # Configuration 0 would train for ~20 s: long enough to be cancelled while it runs.
    plan = plan_sweep({**GRID, "nodes": 8, "lr": 0.01, "epochs": [20000, 20]}, seed=5)
    sweep = Sweep(plan, LocalPool(1), live=True)
    app = SweepApp(sweep)
    async with app.run_test(size=(130, 40)) as pilot:
        running = when(sweep, lambda e: isinstance(e, ConfigProgress) and e.index == 0 and e.point["epoch"] >= 1)
        finished = when(sweep, lambda e: isinstance(e, SweepFinished))
        thread = threading.Thread(target=sweep.run, daemon=True)
        thread.start()
        assert await asyncio.to_thread(running.wait, 30)
        await settle(app, pilot)
        assert table_rows(app)[0][:2] == ["▶", "0"] and app.selected == 0
        await pilot.press("c")
        assert await asyncio.to_thread(finished.wait, 60)
        await asyncio.to_thread(thread.join, 30)
        await settle(app, pilot)
        assert {r.index: r.status for r in sweep.results.values()} == {0: "cancelled", 1: "ok"}
        assert [row[1] for row in table_rows(app)] == ["1", "0"]
        # It ran for epochs before it was cancelled: its row says how many and for how long (not 0.0 and blank).
        header = [str(c.label) for c in app.query_one(DataTable).columns.values()]
        row = dict(zip(header, table_rows(app)[1]))
        assert row["status"] == "cancelled" and int(row["epoch"].replace(",", "")) >= 1, row
        assert float(row["seconds"]) > 0 and row["train_loss"], row


def test_the_selection_follows_keys_pressed_between_rebuilds():
    asyncio.run(the_selection_follows_keys_pressed_between_rebuilds())


async def the_selection_follows_keys_pressed_between_rebuilds():
    """While configurations run the leaderboard is rebuilt every FLUSH_SECONDS; a rebuild that
    comes after a key moved the cursor but before the table's RowHighlighted message arrived
    must not put the cursor back where it was."""
    sweep = Sweep(plan_sweep(GRID, seed=5), InlineBackend())
    ranked = [r.index for r in sweep.run()]
    app = SweepApp(sweep)
    async with app.run_test(size=(130, 40)) as pilot:
        await settle(app, pilot)
        table = app.query_one(DataTable)
        assert app.selected == ranked[0]
        for move, expected in (("down", 1), ("down", 2), ("up", 1), ("down", 2), ("down", 3), ("up", 2)):
            getattr(table, f"action_cursor_{move}")()  # what the key does: the cursor moves now...
            app._dirty = True
            app.flush()  # ...and a rebuild runs before the message loop gets to RowHighlighted
            await pilot.pause()
            assert table.cursor_row == expected and app.selected == ranked[expected], move
            assert f"#{ranked[expected]} " in app.query_one("#loss", CurvesChart).label
        await pilot.press("up")  # the keys themselves, with a rebuild after each
        app._dirty = True
        app.flush()
        await pilot.pause()
        assert app.selected == ranked[1]


def test_open_best_shows_the_trained_model_in_the_training_dashboard(monkeypatch):
    """`o` leaves the sweep dashboard; the CLI then opens the training dashboard over the best
    configuration with its trained weights, finished, not an untrained network."""
    import tui_nn.tui.app as training
    from tui_nn.cli.sweep import _open_training_dashboard

    sweep = Sweep(plan_sweep(GRID, seed=5), LocalPool(2))
    sweep.run()
    opened, seen, real = [], [], training.create_app

    def create_app(trainer, **kwargs):
        app = real(trainer, **kwargs, separate_process=False)
        opened.append(app)

        class Runner:
            def run(self):
                async def look():
                    async with app.run_test(size=(130, 40)) as pilot:
                        await pilot.pause()
                        app.flush()
                        seen.append((app.query_one(EventLog).texts, str(app.query_one(StatusBar).render())))
                asyncio.run(look())
        return Runner()

    monkeypatch.setattr(training, "create_app", create_app)
    _open_training_dashboard(sweep, sweep.best.index)
    trainer = opened[0].trainer
    assert trainer.done and trainer.iteration == sweep.best.history[-1]["iteration"]
    assert trainer.metrics(trainer.X_val, trainer.y_val)[0] == sweep.best.val_loss
    # Its log and status read as a person's (they said 'best loss inf (iteration -1)').
    log, status = seen[0]
    best = min((p["train_loss"], p["iteration"]) for p in sweep.best.history)
    assert any(f"best loss {num(best[0], 7)} (iteration {best[1]:,})" in line for line in log), log
    assert "inf" not in " ".join(log) + status and "-1" not in " ".join(log)
    assert f"best (full) {num(best[0])}" in status  # (mini-batches)


def test_a_rebuild_keeps_the_leaderboard_scrolled_where_it_was():
    asyncio.run(a_rebuild_keeps_the_leaderboard_scrolled_where_it_was())


async def a_rebuild_keeps_the_leaderboard_scrolled_where_it_was():
    grid = {**GRID, "nodes": [4, 8, 16, 32], "lr": [0.05, 0.02, 0.01, 0.005, 0.002], "epochs": 5}
    sweep = Sweep(plan_sweep(grid, seed=5), InlineBackend())
    sweep.run()
    app = SweepApp(sweep)
    async with app.run_test(size=(130, 30)) as pilot:
        await settle(app, pilot)
        table = app.query_one(DataTable)
        for _ in range(12):
            await pilot.press("down")
        await pilot.press("up", "up", "up")  # the cursor in mid-view, the table scrolled down
        await pilot.pause()
        where, row = table.scroll_y, table.cursor_row
        assert where > 0 and row == 9
        app._dirty = True
        app.flush()
        await pilot.pause()
        assert (table.scroll_y, table.cursor_row) == (where, row)


def test_the_first_frame_comes_before_the_workers_start():
    asyncio.run(the_first_frame_comes_before_the_workers_start())


async def the_first_frame_comes_before_the_workers_start():
    """The CLI hands the app its plan and a ``start`` (data check, workers: seconds under load).
    The leaderboard, its columns and a status saying what is starting are on screen while
    ``start`` has not returned; the sweep's rows come once it has."""
    from tui_nn.tui.sweep_app import STARTING

    plan = plan_sweep(GRID, seed=5)
    called, release = threading.Event(), threading.Event()
    seen = {}

    def start():
        called.set()
        assert release.wait(60)
        sweep = Sweep(plan, InlineBackend(), live=True)
        seen["finished"] = when(sweep, lambda e: isinstance(e, SweepFinished))
        threading.Thread(target=sweep.run, daemon=True).start()
        return sweep

    app = SweepApp(plan=plan, start=start)
    async with app.run_test(size=(130, 40)) as pilot:
        assert await asyncio.to_thread(called.wait, 30)
        await pilot.pause()
        screen = app.export_screenshot()
        assert "Leaderboard" in screen and "val_loss" in screen, "no full first frame while starting"
        assert STARTING in str(app.query_one("#status", Static).render())
        await pilot.press("p")  # nothing to pause yet: says so, no error
        assert app.sweep is None
        release.set()
        await until(pilot, lambda: "finished" in seen)
        assert await asyncio.to_thread(seen["finished"].wait, 60)
        await until(pilot, lambda: app.finished and len(table_rows(app)) == 4)
        assert "4/4 done" in str(app.query_one("#status", Static).render())


async def until(pilot, condition, limit: int = 2000) -> None:
    for _ in range(limit):  # bounded: each pass lets the app handle its messages
        if condition():
            return
        await pilot.pause(0.01)
        pilot.app.flush()
    raise AssertionError("condition never held")


def test_a_start_that_fails_leaves_with_the_error():
    asyncio.run(a_start_that_fails_leaves_with_the_error())


async def a_start_that_fails_leaves_with_the_error():
    def start():
        raise ValueError("broken.csv: line 3: not a number")

    app = SweepApp(plan=plan_sweep(GRID, seed=5), start=start)
    async with app.run_test(size=(130, 40)) as pilot:
        await until(pilot, lambda: app.return_value is not None)
    assert app.return_value[0] == "error" and "line 3" in str(app.return_value[1])
