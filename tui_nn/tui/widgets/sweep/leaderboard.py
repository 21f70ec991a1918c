"""The sweep dashboard's leaderboard table."""

from __future__ import annotations

from textual.widgets import DataTable


class Leaderboard(DataTable):
    """The leaderboard. Its cursor follows the best configuration until the user moves it."""

    MOVE_KEYS = frozenset({"up", "down", "pageup", "pagedown", "home", "end", "ctrl+home", "ctrl+end"})
    user_moved = False

    def on_key(self, event) -> None:
        if event.key in self.MOVE_KEYS:
            self.user_moved = True

    def on_click(self, event) -> None:
        self.user_moved = True
