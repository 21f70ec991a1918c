"""The data panel (issue 13): decision regions at two pixels per cell shaded by the model's
confidence, classes apart in truecolor, 256 colours and without colour, points on top, and a
PCA view that one outlier cannot squeeze."""

from __future__ import annotations

import functools

import numpy as np
from rich.color import ColorSystem

from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.app import create_app as create_app_in_a_child_process
from tui_nn.tui.colors import FILLED
from tui_nn.tui.widgets.dataset_view import SHADES, DatasetView

from tui_helpers import running, scenario, settle

create_app = functools.partial(create_app_in_a_child_process, separate_process=False)


def trained(dataset="spiral", iterations=1500, **overrides):
    trainer = Trainer(TrainConfig(dataset=dataset, optimizer="adam", layers=(64,), seed=0, **overrides))
    trainer.advance(iterations)
    return create_app(trainer, paused=True)


def cell_colours(panel: DatasetView):
    """(glyph, foreground, background) of every cell drawn."""
    return [(seg.text[i], seg.style.color, seg.style.bgcolor)
            for strip in panel._strips for seg in strip for i in range(len(seg.text))]


@scenario
async def test_regions_have_two_pixels_per_cell_shaded_by_confidence():
    app = trained()
    async with running(app) as pilot:
        await settle(pilot)
        app.flush()
        panel = app.query_one(DatasetView)
        h, w = panel.size.height, panel.size.width
        assert panel.regions.shape == (2 * h, w)  # an upper and a lower pixel per character
        # upper and lower halves differ along the boundary: the picture is finer than a cell
        assert (panel.regions[0::2] != panel.regions[1::2]).any()
        conf = panel.confidence
        assert conf.min() < 0.3 and conf.max() > 0.9
        # deep far from the boundary, pale near it: the shade's distance from the background grows
        base = panel.background_colors[1]
        shades = panel._shades(panel._palette(3), base)
        for k in range(3):
            distance = [sum(abs(a - b) for a, b in zip(shades[k, s].rgb, base.rgb)) for s in range(SHADES)]
            assert distance == sorted(distance) and distance[-1] > 2 * distance[0]
        # every point is drawn on top, bold, in its class's colour
        glyphs = [g for g, _, _ in cell_colours(panel)]
        assert sum(g in FILLED for g in glyphs) > 100


@scenario
async def test_classes_stay_apart_in_256_colours(monkeypatch):
    import textual.constants

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "256")
    app = trained(dataset="vertical")
    async with running(app) as pilot:
        await settle(pilot)
        assert app.console.color_system == "256"
        panel = app.query_one(DatasetView)
        base = panel.background_colors[1]
        shades = panel._shades(panel._palette(3), base)
        for s in range(SHADES):  # at every confidence, three classes give three palette entries
            numbers = {shades[k, s].rich_color.downgrade(ColorSystem.EIGHT_BIT).number for k in range(3)}
            assert len(numbers) == 3
        app.flush()
        drawn = {str(bg) for _, _, bg in cell_colours(panel)}
        assert len(drawn) >= 3


@scenario
async def test_without_colour_each_class_has_its_texture_and_the_boundary_shows(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = trained(dataset="vertical")
    async with running(app) as pilot:
        await settle(pilot)
        app.flush()
        panel = app.query_one(DatasetView)
        text = panel.text()
        assert all(ch in text for ch in "·:∴")  # three classes, three textures
        assert all(m in text for m in "●▲■")  # three classes, three point shapes


@scenario
async def test_pca_view_survives_an_outlier():
    # digits: one standardised pixel at |z| = 75.8 used to squeeze 99% of the points into two rows
    app = trained(dataset="digits", iterations=0)
    async with running(app, size=(160, 48)) as pilot:
        await settle(pilot)
        panel = app.query_one(DatasetView)
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.flush()
        assert "clipped" in str(panel.border_title)
        lines = panel.text().splitlines()
        rows_with_points = [i for i, line in enumerate(lines) if line.strip()]
        assert len(rows_with_points) >= 0.6 * len(lines)
