"""Textual's footer, rebuilt once per change of the key bindings rather than once per signal.

Textual's ``Footer`` rebuilds its ~30 keys after the next screen refresh each time the screen
says its bindings changed. At start-up that happens three times (the first focus, the screen
stack, a callback) and each rebuild costs 70-180 ms here, so the dashboard's first full frame
waited for one full render without keys and then for three rebuilds. This footer rebuilds at
once (before the first render) and coalesces the signals that arrive while a rebuild is queued.

:meth:`KeysFooter.relabel` changes what one key says (``space Pause`` while running, ``space
Resume`` while paused) in place: only that key is drawn again, the footer is not rebuilt.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeysFooter(Footer):
    _queued = False
    _shown: tuple | None = None  # the keys of the last rebuild

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels: dict[str, str] = {}  # action -> what its key says now, over the binding's own

    def relabel(self, action: str, label: str) -> None:
        if self.labels.get(action) == label:
            return
        self.labels[action] = label
        self._apply_labels()

    def _apply_labels(self) -> None:
        for key in self.query(FooterKey):
            label = self.labels.get(key.action)
            if label is not None and key.description and key.description != label:
                key.description = label
                key.refresh(layout=True)

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen or self._queued:
            return
        self._queued = True
        self.call_later(self._rebuild)

    async def _rebuild(self) -> None:
        self._queued = False
        keys = tuple((key, binding.action, binding.description, binding.show, enabled, tooltip)
                     for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items())
        if keys != self._shown:
            self._shown = keys
            await self.recompose()
            self._apply_labels()
