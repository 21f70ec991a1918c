"""The dashboard's footer keeps to one line: at every width it shows whole keys only, the
essentials first (space, n, s, q, ?, r), then the views, then what still fits; when keys are
left out, ? says More (the help screen lists them all)."""

from __future__ import annotations

import functools

import pytest
from textual.widgets._footer import FooterKey, FooterLabel

from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.app import create_app as create_app_in_a_child_process
from tui_nn.tui.keys import KEYS
from tui_nn.tui.widgets.footer import KeysFooter

from tui_helpers import running, scenario, settle

create_app = functools.partial(create_app_in_a_child_process, separate_process=False)
ESSENTIALS = ["space", "n", "s", "q", "question_mark", "r"]
VIEWS = ["v", "m", "h", "x"]


@pytest.fixture(autouse=True)
def _in_a_fresh_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def on_screen(app, width: int) -> list:
    """The footer's keys and labels that are drawn, left to right; each must lie wholly inside."""
    footer = app.query_one(KeysFooter)
    drawn = [w for w in footer.query("FooterKey, FooterLabel") if w.region.width]
    for w in drawn:
        assert 0 <= w.region.x and w.region.right <= width, (w, w.region)
    keys = [w for w in drawn if isinstance(w, FooterKey) and "-command-palette" not in w.classes]
    ordinary = [w for w in keys if "-grouped" not in w.classes]
    for a, b in zip(drawn, drawn[1:]):  # nothing overlaps (the palette's key is docked on the right)
        if "-command-palette" not in a.classes and "-command-palette" not in b.classes:
            assert a.region.right <= b.region.x, (a, b)
    palette = [w for w in drawn if "-command-palette" in w.classes]
    if palette:
        assert all(w.region.right <= palette[0].region.x for w in drawn if w is not palette[0])
    return [w.key for w in keys], {w.key: w.description for w in ordinary}, [w for w in drawn if isinstance(w, FooterLabel)]


async def footer_settled(pilot) -> None:
    """The footer has been rebuilt for the current width and keys, and laid out (a bounded
    number of UI turns, no sleeping)."""
    app = pilot.app
    footer = app.query_one(KeysFooter)
    for _ in range(200):
        await pilot.pause()
        keys = footer.query(FooterKey)
        if footer.up_to_date() and keys and all(k.region.width for k in keys):
            return
    raise AssertionError("the footer was not rebuilt")


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
@scenario
async def test_the_footer_shows_whole_keys_essentials_first_then_the_views(size):
    app = create_app(Trainer(TrainConfig(samples=30, iterations=300, seed=0)), paused=True)
    width = size[0]
    async with running(app, size) as pilot:
        await settle(pilot)
        for focus in (None, "#weights"):  # the weights panel adds its own nudge keys
            app.set_focus(app.query_one(focus) if focus else None)
            await footer_settled(pilot)
            keys, labels, _ = on_screen(app, width)
            assert keys[:len(ESSENTIALS)] == ESSENTIALS, keys  # in the table's order
            assert labels["space"] == "Resume"  # paused
            shown_views = [k for k in VIEWS if k in keys]
            footer = app.query_one(KeysFooter)
            if width >= 120:
                assert shown_views == VIEWS
            else:
                assert shown_views == VIEWS[:3]  # x Confusion: in the tabs at 80 columns ("Conf x")
                assert "Conf x" in str(app.query_one("#tab-confusion").label)
            left_out = [k for k in KEYS if k.show and k.action in footer.left_out]
            # ? says More exactly when some key did not fit, and every one left out is in the help.
            assert labels["question_mark"] == ("More" if footer.left_out else "Help")
            assert (width == 200) == (not left_out)
            assert not {k.action for k in left_out if k.rank == 0}


@scenario
async def test_the_footer_refits_when_the_terminal_is_resized():
    app = create_app(Trainer(TrainConfig(samples=30, iterations=300, seed=0)), paused=True)
    async with running(app, (200, 60)) as pilot:
        await settle(pilot)
        app.set_focus(None)
        await footer_settled(pilot)
        assert "x" in on_screen(app, 200)[0] and "g" in on_screen(app, 200)[0]
        await pilot.resize_terminal(80, 24)
        await footer_settled(pilot)
        keys, labels, _ = on_screen(app, 80)
        assert "g" not in keys and labels["question_mark"] == "More"
        await pilot.resize_terminal(200, 60)
        await footer_settled(pilot)
        assert "g" in on_screen(app, 200)[0]


@scenario
async def test_space_is_relabelled_without_rebuilding_the_footer(monkeypatch):
    # Room is kept for every label of space (Pause, Resume, Run on) from the start: relabelling
    # it redraws that key only. (The first redraw relabelled it, and the rebuild that followed
    # held the first frame back: Textual draws nothing while a widget is rebuilt.)
    builds = []
    compose = KeysFooter.compose

    def counted(self):
        keys = list(compose(self))
        builds.append(len(keys))
        yield from keys

    monkeypatch.setattr(KeysFooter, "compose", counted)
    app = create_app(Trainer(TrainConfig(samples=30, iterations=10**9, seed=0)), paused=False, speed=2.5)
    async with running(app, (160, 48)) as pilot:
        await settle(pilot)
        app.set_focus(None)
        await footer_settled(pilot)
        footer = app.query_one(KeysFooter)
        assert {k.key: k.description for k in footer.query(FooterKey)}["space"] == "Pause"
        built = len(builds)
        await pilot.press("space")
        await footer_settled(pilot)
        for _ in range(5):
            await pilot.pause()
        assert {k.key: k.description for k in footer.query(FooterKey)}["space"] == "Resume"
        assert len(builds) == built
