"""The live charts (issue 13): drawn on a NumPy braille canvas, every panel in every redraw, the
same iteration's numbers in titles and status bar, legends in words, glyphs that differ without
colour, and axes that make sense (no negative loss ticks)."""

from __future__ import annotations

import functools

import pytest

import numpy as np

from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.app import create_app as create_app_in_a_child_process
from tui_nn.tui.canvas import Canvas, nice_steps
from tui_nn.tui.numbers import count, fmt_tick, num
from tui_nn.tui.widgets.accuracy_chart import AccuracyChart
from tui_nn.tui.widgets.loss_chart import LossChart

from tui_helpers import running, scenario, settle, status, until

create_app = functools.partial(create_app_in_a_child_process, separate_process=False)

@pytest.fixture(autouse=True)
def _in_a_fresh_folder(tmp_path, monkeypatch):
    """q of an unfinished run saves a checkpoint in the working folder: keep it out of the tree."""
    monkeypatch.chdir(tmp_path)



def test_a_steep_line_stays_connected():
    canvas = Canvas(10, 5)  # 20 x 20 dots
    canvas.line([0, 19], [19, 0], layer=1)
    rows, cols = np.nonzero(canvas.bits)
    assert canvas.bits[4, 0] and canvas.bits[0, 9]
    # every character cell on the diagonal has a dot: no gap however steep the step
    assert len(set(cols.tolist())) == 10 and len(set(rows.tolist())) == 5


def test_numbers_read_the_same_everywhere():
    assert num(7.285e-05) == "0.00007285"  # never scientific notation
    assert num(58_670.3) == "58,670" and num(10_000.0) == "10,000"
    assert num(0.25) == "0.2500" and num(-0.0000001, 2) == "-0.00000010"
    assert num(-0.0) == "0" and count(3301) == "3,301"
    assert [fmt_tick(t, [0.0, 0.25, 0.5]) for t in (0.0, 0.25, 0.5)] == ["0.00", "0.25", "0.50"]
    assert fmt_tick(-0.0, [-0.0, 1.0]) == "0"  # no "-0.00"
    assert nice_steps(0.16, 1.1, 5) == [0.2, 0.4, 0.6, 0.8, 1.0]


@scenario
async def test_every_panel_redraws_in_every_redraw_and_shows_the_same_iteration():
    trainer = Trainer(TrainConfig(dataset="spiral", optimizer="adam", iterations=100_000, seed=0))
    app = create_app(trainer, paused=False, speed=None)
    shown: dict[str, int] = {}
    async with running(app, size=(200, 60)) as pilot:
        await settle(pilot)
        for cls, name in ((LossChart, "loss"), (AccuracyChart, "accuracy")):
            widget = app.query_one(cls)
            original = widget.show
            widget.show = lambda view, _o=original, _n=name: (shown.__setitem__(_n, shown.get(_n, 0) + 1), _o(view))
        await until(pilot, lambda: app.view.iteration > 500 and app.view.train_accuracy is not None)
        for _ in range(3):
            await until(pilot, lambda: True)
            app._dirty |= {"series", "status"}
            app.flush()
            view = app.view
            loss_title = str(app.query_one(LossChart).border_title)
            acc_title = str(app.query_one(AccuracyChart).border_title)
            bar = status(app)
            assert f"best {num(view.best_loss)}" in loss_title and f"best {num(view.best_loss)}" in bar
            assert f"train {num(view.train_accuracy)}" in acc_title and f"acc {num(view.train_accuracy)}" in bar
        assert shown["loss"] >= 3 and shown["accuracy"] >= 3  # no panel waits for its turn
        await pilot.press("q")


@scenario
async def test_search_chart_shows_the_best_so_far_and_faint_candidates_in_words():
    trainer = Trainer(TrainConfig(dataset="sine", optimizer="hill-climb", seed=0))
    trainer.advance(1500)
    app = create_app(trainer, paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        app.flush()
        text = app.query_one(LossChart).text()
        assert "best so far" in text and "candidates" in text
        assert "max" not in text and "min" not in text
        tick_labels = [line.split("┤")[0] for line in text.splitlines() if "┤" in line]
        assert tick_labels and not any("-" in t for t in tick_labels)  # a loss axis never goes below 0


@scenario
async def test_mini_batch_loss_and_full_data_best_are_labelled_apart(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    trainer = Trainer(TrainConfig(dataset="spiral", optimizer="adam", batch_size=32, epochs=30, seed=0))
    trainer.advance(200)
    app = create_app(trainer, paused=True)
    async with running(app, size=(160, 48)) as pilot:
        await settle(pilot)
        app.flush()
        text = app.query_one(LossChart).text()
        assert "batch loss" in text and "best (full data)" in text
        # without colour the series still differ: solid braille, faint braille, a rule, points
        legend = next(line for line in text.splitlines() if "batch loss" in line)
        glyphs = [legend[legend.index(word) - 2] for word in ("batch loss", "best (full data)")]
        assert len(set(glyphs)) == 2


@scenario
async def test_switch_labels_stay_inside_the_chart_in_the_muted_colour():
    trainer = Trainer(TrainConfig(dataset="spiral", optimizer="hill-climb", seed=0))
    trainer.advance(400)
    app = create_app(trainer, paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await until(pilot, lambda: app.view.optimizer == "adam")
        await pilot.press("n", "n")
        await until(pilot, lambda: app.view.iteration >= 402)
        app.flush()
        chart = app.query_one(LossChart)
        row = next(s for s in chart._strips if "adam" in s.text)
        assert row.cell_length == chart.size.width  # no band past the chart's right border
        seg = next(seg for seg in row if "adam" in seg.text)
        fg, bg = seg.style.color.triplet, seg.style.bgcolor.triplet
        assert bg == chart.background_colors[1].rich_color.triplet  # the chart's own background
        assert sum(abs(a - b) for a, b in zip(fg, bg)) > 120  # legible against it


@scenario
async def test_the_status_bar_of_a_mini_batch_run_fits_one_line_at_120_columns():
    trainer = Trainer(TrainConfig(dataset="spiral", optimizer="adam", batch_size=32, epochs=2000, seed=0))
    trainer.advance(300)
    app = create_app(trainer, paused=True)
    async with running(app, size=(120, 40)) as pilot:
        await settle(pilot)
        app.flush()
        bar = status(app)
        assert len(bar) <= 118 and "\n" not in bar.strip()
        assert "batch loss" in bar and "best (full)" in bar and "e+" not in bar


@scenario
async def test_the_legend_hides_no_point_of_the_curves():
    """The legend had the top or the bottom row, whichever the curves crossed less, and still
    covered the first points (a loss starts high, an accuracy low). With room it has a row of
    its own: no dot of any series is drawn in it and its words are all there."""
    for optimizer, size in (("adam", (120, 40)), ("hill-climb", (200, 60))):
        trainer = Trainer(TrainConfig(dataset="spiral", optimizer=optimizer, seed=0))
        trainer.advance(600)
        app = create_app(trainer, paused=True)
        async with running(app, size=size) as pilot:
            await settle(pilot)
            app.flush()
            for chart in (app.query_one(LossChart), app.query_one(AccuracyChart)):
                lines = chart.text().splitlines()
                legend, plot = lines[0], lines[1:-1]
                assert any(word in legend for word in ("train loss", "best so far", "train")), legend
                assert not any(0x2800 < ord(ch) <= 0x28FF for ch in legend.split("│", 1)[-1]
                               if ch not in "⣿⡁"), legend  # only the legend's own glyphs
                assert any(0x2800 < ord(ch) <= 0x28FF for line in plot for ch in line), plot
            # the loss starts at the top left, where the legend was: its first points are drawn
            plot = app.query_one(LossChart).text().splitlines()[1:-1]
            assert any(0x2800 < ord(line.split("│")[-1].split("┤")[-1][0]) <= 0x28FF for line in plot), plot
