"""The data panel in real pixels (``tui-nn train --pixels``, issue 13): an option, never a
requirement. None of these needs a graphics terminal: the picture is checked as an array, the
widget that shows it is a stand-in, and the optional package and the terminal's answer are
simulated to see the one-line refusals."""

from __future__ import annotations

import functools
import sys
import types

import numpy as np
import pytest
from click.testing import CliRunner
from textual.color import Color
from textual.widget import Widget

from tui_nn.cli import main
from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.app import create_app as create_app_in_a_child_process
from tui_nn.tui.widgets import data_pixels
from tui_nn.tui.widgets.data_pixels import (DEEP, PALE, SCALE, PixelDataView, PixelsUnavailable, pixel_widget,
                                             region_pixels, stamp_points)
from tui_nn.tui.widgets.dataset_view import DatasetView

from tui_helpers import running, scenario, settle

create_app = functools.partial(create_app_in_a_child_process, separate_process=False)


class ShownImage(Widget):
    """Stands in for textual-image's widget: keeps what it was given."""

    image = None


@pytest.fixture
def without_pillow(monkeypatch):
    """The stand-in takes the array itself (Pillow comes only with the optional package)."""
    monkeypatch.setattr(PixelDataView, "as_image", staticmethod(lambda pixels: pixels))


def test_regions_are_shaded_from_pale_to_deep():
    red, blue, base = Color(200, 0, 0), Color(0, 0, 200), Color(0, 0, 0)
    pred = np.array([[0, 0], [1, 1]])
    conf = np.array([[0.0, 1.0], [0.0, 1.0]])
    image = region_pixels(pred, conf, [red, blue], base)
    assert image.shape == (2, 2, 3) and image.dtype == np.uint8
    assert image[0, 0].tolist() == [round(200 * PALE), 0, 0] and image[0, 1].tolist() == [round(200 * DEEP), 0, 0]
    assert image[1, 1].tolist() == [0, 0, round(200 * DEEP)]


def test_points_are_discs_and_validation_points_rings():
    image = np.zeros((20, 40, 3), np.uint8)
    white, grey = np.array([255, 255, 255], np.uint8), np.array([9, 9, 9], np.uint8)
    stamp_points(image, np.array([10.0]), np.array([10.0]), white, grey, hollow=False)
    stamp_points(image, np.array([30.0]), np.array([10.0]), white, grey, hollow=True)
    stamp_points(image, np.array([0.0]), np.array([19.0]), white, grey, hollow=False)  # cut at the corner
    assert image[10, 10].tolist() == [255] * 3 and image[10, 13].tolist() == [255] * 3  # filled to its radius
    assert image[10, 30].tolist() == [9] * 3 and image[10, 33].tolist() == [255] * 3  # a ring: hollow inside
    assert image[10, 15].tolist() == [9] * 3 or image[10, 15].tolist() == [0] * 3  # outlined, then nothing
    assert image[19, 0].tolist() == [255] * 3


@scenario
async def test_the_pixel_panel_draws_the_regions_and_keeps_the_characters(without_pillow):
    trainer = Trainer(TrainConfig(dataset="spiral", optimizer="adam", layers=(64,), seed=0))
    trainer.advance(1500)
    app = create_app(trainer, paused=True, pixels=ShownImage)
    async with running(app) as pilot:
        await settle(pilot)
        app.flush()
        await pilot.pause()
        panel = app.query_one(DatasetView)
        assert isinstance(panel, PixelDataView)
        shown = panel.query_one(ShownImage)
        w, h = panel.size.width, panel.size.height
        assert shown.image is panel.pixels and shown.image.shape == (2 * h * SCALE, w * SCALE, 3)
        assert shown.display and shown.region.width == w  # over the whole panel
        # the classes' colours are in it, and so are the points (the class colour at full strength)
        colours = {tuple(c.rgb) for c in panel._palette(3)}
        seen = {tuple(p) for p in shown.image.reshape(-1, 3).tolist()}
        assert colours <= seen
        # the characters are still drawn underneath: the description tests and snapshots read
        assert panel.regions.shape == (2 * h, w) and "▀" in panel.text()


@scenario
async def test_views_without_regions_stay_characters(without_pillow):
    trainer = Trainer(TrainConfig(dataset="sine", optimizer="adam", seed=0))
    trainer.advance(50)
    app = create_app(trainer, paused=True, pixels=ShownImage)
    async with running(app) as pilot:
        await settle(pilot)
        app.flush()
        await pilot.pause()
        panel = app.query_one(DatasetView)
        assert panel.mode == "curve" and not panel.query_one(ShownImage).display and panel.pixels is None


def fake_textual_image(monkeypatch, renderer: str) -> None:
    """``textual_image`` as installed on a terminal whose best renderer is ``renderer``."""
    package = types.ModuleType("textual_image")
    renderable = types.ModuleType("textual_image.renderable")
    widget = types.ModuleType("textual_image.widget")
    for name in ("TGPImage", "SixelImage", "HalfcellImage", "UnicodeImage"):
        setattr(renderable, name, type(name, (), {}))
    renderable.Image = getattr(renderable, renderer)
    widget.Image = ShownImage
    package.renderable, package.widget = renderable, widget
    monkeypatch.setitem(sys.modules, "textual_image", package)
    monkeypatch.setitem(sys.modules, "textual_image.renderable", renderable)
    monkeypatch.setitem(sys.modules, "textual_image.widget", widget)


def test_pixels_need_a_terminal_that_shows_them(monkeypatch):
    fake_textual_image(monkeypatch, "SixelImage")
    assert pixel_widget() is ShownImage
    fake_textual_image(monkeypatch, "TGPImage")
    assert pixel_widget() is ShownImage
    for renderer in ("HalfcellImage", "UnicodeImage"):  # textual-image's own character fallbacks
        fake_textual_image(monkeypatch, renderer)
        with pytest.raises(PixelsUnavailable, match="this terminal shows no pixel graphics"):
            pixel_widget()


def train_on_a_terminal(monkeypatch, *args: str):
    """``tui-nn train ARGS`` as if on a terminal, stopping where the dashboard would run."""
    import tui_nn.cli as cli
    import tui_nn.tui.app as app_module

    opened = {}

    class Opened:
        outcome, exit_status, return_code = None, 0, 0

        def __init__(self, trainer, **kwargs):
            opened.update(kwargs)

        def run(self):
            return None

    monkeypatch.setattr(cli, "_is_terminal", lambda: True)
    monkeypatch.setattr(app_module, "TuiNNApp", Opened)
    result = CliRunner().invoke(main, ["train", "--iterations", "10", *args])
    return result, opened


@pytest.mark.parametrize("installed", [False, "HalfcellImage"])
def test_asking_for_pixels_that_cannot_be_had_is_one_line(monkeypatch, installed):
    if installed:
        fake_textual_image(monkeypatch, installed)
    else:
        monkeypatch.setitem(sys.modules, "textual_image", None)  # not installed: import fails
        monkeypatch.setitem(sys.modules, "textual_image.renderable", None)
    result, opened = train_on_a_terminal(monkeypatch, "--pixels")
    assert result.exit_code == 2 and not opened, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --pixels") and "Traceback" not in result.output
    assert ("pip install 'tui-nn[pixels]'" in lines[0]) == (not installed)


def test_pixels_go_to_the_dashboard_when_the_terminal_shows_them(monkeypatch):
    fake_textual_image(monkeypatch, "SixelImage")
    result, opened = train_on_a_terminal(monkeypatch, "--pixels")
    assert result.exit_code == 0, result.output
    assert opened["pixels"] is ShownImage
    result, opened = train_on_a_terminal(monkeypatch)
    assert opened["pixels"] is None  # characters unless asked: the default


def test_the_module_imports_textual_image_only_when_asked():
    assert "textual_image" not in vars(data_pixels)
