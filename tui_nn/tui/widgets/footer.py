"""Textual's footer, kept to what fits on one line, and rebuilt once per change of the key
bindings rather than once per signal.

*What fits.* Textual's ``Footer`` lays every key out in a row and cuts off whatever passes the
right edge: at 80 columns the dashboard lost ``q Quit``, the views and the command palette. This
footer chooses instead. Each key has a rank (``ranks``: action -> 0 the essentials, 1, 2, 3 ...;
1 for a key the table does not name, such as a focused panel's own): the keys are taken rank by
rank, in their own order within a rank, while they fit, and shown in their own order. When some
are left out, the help key (``?``) says ``More``: the help screen lists every key. Below 100
columns the footer is compact (no padding around a key), so the essentials and the views fit at
80. The width of an entry follows from Textual's footer styles (and the few rules below).

*Rebuilt once.* Textual's ``Footer`` rebuilds its keys after the next screen refresh each time
the screen says its bindings changed. At start-up that happens three times (the first focus, the
screen stack, a callback) and each rebuild costs 70-180 ms here, so the dashboard's first full
frame waited for one full render without keys and then for three rebuilds. This footer rebuilds
at once (before the first render) and coalesces the signals that arrive while a rebuild is
queued; a change of width rebuilds it too (what fits changes).

:meth:`KeysFooter.relabel` changes what one key says (``space Pause`` while running, ``space
Resume`` while paused) in place: only that key is drawn again, the footer is not rebuilt, as
long as the new label fits the room laid out for the key. ``labels`` gives the labels to show
from the first frame and ``room`` every label a key may take (its widest is laid out from the
start): the dashboard's first redraw relabelled ``space`` from its binding's ``Pause`` to
``Resume``, a wider label, and the rebuild that followed held the first full frame back by
~150 ms (Textual draws nothing while a widget recomposes: the render before it was thrown away).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

COMPACT_BELOW = 100  # columns: narrower footers drop the padding around each key
DEFAULT_RANK = 1
PALETTE_RANK = 3  # ctrl+p: in the help screen too
MORE = "More"  # what the help key says when some keys did not fit


@dataclass
class _Entry:
    """One footer entry: a key, or a group of keys sharing one label."""

    bindings: list[tuple[Binding, bool, str]]  # (binding, enabled, tooltip)
    label: str
    rank: int
    grouped: bool


def _key(compact: bool, *args, **kwargs) -> FooterKey:
    """A footer key, compact or not from the start. Textual's footer binds each key's ``compact``
    to its own, and each key, compact by default, restyled itself twice as it was mounted (into
    compact, then out of it): ~35 ms of the first frame's CPU for ~25 keys. Compact is decided
    per rebuild (``fit``), so a plain value is enough."""
    key = FooterKey(*args, **kwargs)
    key.set_reactive(FooterKey.compact, compact)
    key.set_class(compact, "-compact", update=False)
    return key


class KeysFooter(Footer):
    DEFAULT_CSS = """
    KeysFooter.-compact FooterLabel {
        margin: 0 1 0 0;
    }
    """

    _queued = False
    _shown: tuple | None = None  # the keys and the width of the last rebuild

    def __init__(self, *args, ranks: dict[str, int] | None = None, labels: dict[str, str] | None = None,
                 room: dict[str, tuple[str, ...]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels: dict[str, str] = dict(labels or {})  # action -> what its key says now, over the binding's own
        self.ranks = dict(ranks or {})
        self.left_out: list[str] = []  # the actions of the keys that did not fit, at the last rebuild
        # action -> the widest label it was given or may be given (room is kept for it)
        self._widest: dict[str, int] = {action: max(map(cell_len, (*room_for, self.labels.get(action, ""))))
                                        for action, room_for in (room or {}).items()}
        for action, label in self.labels.items():
            self._widest[action] = max(self._widest.get(action, 0), cell_len(label))

    def relabel(self, action: str, label: str) -> None:
        if self.labels.get(action) == label:
            return
        self.labels[action] = label
        if cell_len(label) > self._widest.get(action, 0):  # laid out narrower: make room once
            self._widest[action] = cell_len(label)
            if self._shown is not None and not self._queued:
                self._shown = None
                self._queued = True
                self.call_later(self._rebuild)
        self._apply_labels()

    def _apply_labels(self) -> None:
        for key in self.query(FooterKey):
            label = self.labels.get(key.action)
            if label is not None and key.description and key.description != label:
                key.description = label
                key.refresh(layout=True)

    # -- what fits ---------------------------------------------------------------------------------
    def _width(self) -> int:
        return self.app.size.width

    def _entries(self) -> list[_Entry]:
        """The footer's entries in their own order, as Textual's footer groups them."""
        by_action: dict[str, list] = {}
        # The app's (and screen's) keys first, then the focused panel's own.
        active = sorted(self.screen.active_bindings.values(),
                        key=lambda a: not (a.node is self.app or isinstance(a.node, Screen)))
        for _, binding, enabled, tooltip in active:
            if binding.show:
                by_action.setdefault(binding.action, []).append((binding, enabled, tooltip))
        entries = []
        for group, same in groupby(by_action.values(), lambda b: b[0][0].group):
            same = list(same)
            rank = min(self.ranks.get(b[0][0].action, DEFAULT_RANK) for b in same)
            if group is not None and len(same) > 1:
                entries.append(_Entry([b[0] for b in same], group.description, rank, True))
            else:
                for b in same:
                    binding = b[0][0]
                    label = self.labels.get(binding.action, binding.description)
                    entries.append(_Entry([b[0]], label, self.ranks.get(binding.action, DEFAULT_RANK), False))
        return entries

    def _entry_width(self, entry: _Entry, compact: bool) -> int:
        keys = [cell_len(self.app.get_key_display(b)) for b, _, _ in entry.bindings]
        if entry.grouped:  # a padded group of bare keys, then its label
            return 1 + sum(keys) + 1 + cell_len(entry.label) + 1
        binding = entry.bindings[0][0]
        label = max(cell_len(entry.label), cell_len(binding.description), self._widest.get(binding.action, 0),
                    cell_len(MORE) if binding.action == "help" else 0)
        return keys[0] + label + (2 if compact else 3)

    def _palette(self, compact: bool):
        """(binding, enabled, tooltip, width) of the command palette's key, or None."""
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return None
        try:
            _, binding, enabled, tooltip = self.screen.active_bindings[self.app.COMMAND_PALETTE_BINDING]
        except KeyError:
            return None
        width = cell_len(self.app.get_key_display(binding)) + cell_len(binding.description) + (2 if compact else 5)
        return binding, enabled, tooltip, width

    def fit(self, width: int) -> tuple[list[_Entry], bool, bool]:
        """(the entries shown, whether the palette's key is, whether the footer is compact)."""
        compact = width < COMPACT_BELOW
        entries = self._entries()
        palette = self._palette(compact)
        candidates = [(e.rank, i, self._entry_width(e, compact)) for i, e in enumerate(entries)]
        if palette is not None:
            candidates.append((PALETTE_RANK, len(entries), palette[3]))
        room, keep = width, set()
        for rank, i, w in sorted(candidates):
            if w <= room:
                keep.add(i)
                room -= w
            elif rank == 0:  # an essential that cannot fit: nothing after it either
                break
        shown = [e for i, e in enumerate(entries) if i in keep]
        self.left_out = [e.bindings[0][0].action for i, e in enumerate(entries) if i not in keep]
        return shown, palette is not None and len(entries) in keep, compact

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        shown, with_palette, compact = self.fit(self._width())
        self.set_reactive(Footer.compact, compact)
        self.set_class(compact, "-compact")
        for entry in shown:
            if entry.grouped:
                with KeyGroup(classes="-compact"):
                    for binding, enabled, tooltip in entry.bindings:
                        yield _key(compact, binding.key, self.app.get_key_display(binding), "", binding.action,
                                   disabled=not enabled, tooltip=tooltip or binding.description, classes="-grouped")
                yield FooterLabel(entry.label)
                continue
            binding, enabled, tooltip = entry.bindings[0]
            label = MORE if binding.action == "help" and self.left_out else entry.label
            yield _key(compact, binding.key, self.app.get_key_display(binding), label, binding.action,
                       disabled=not enabled, tooltip=tooltip)
        palette = self._palette(compact)
        if with_palette and palette is not None:
            binding, enabled, tooltip, _ = palette
            yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                            classes="-command-palette", disabled=not enabled,
                            tooltip=binding.tooltip or binding.description)

    # -- rebuilding --------------------------------------------------------------------------------
    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen or self._queued:
            return
        self._queued = True
        self.call_later(self._rebuild)

    def on_resize(self) -> None:
        if self._bindings_ready and self._shown is not None and self._shown[-1] != self._width() and not self._queued:
            self._queued = True
            self.call_later(self._rebuild)

    def _keys_now(self) -> tuple:
        return tuple((key, binding.action, binding.description, binding.show, enabled, tooltip)
                     for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()) + (self._width(),)

    def up_to_date(self) -> bool:
        """Whether the footer shows the keys bound now, at the width now."""
        return not self._queued and self._shown == self._keys_now()

    async def _rebuild(self) -> None:
        self._queued = False
        keys = self._keys_now()
        if keys != self._shown:
            self._shown = keys
            await self.recompose()
            self._apply_labels()
