"""The race's live table: where every contender stands."""

from __future__ import annotations

import math

from textual.widgets import DataTable

from ...race import Standing
from ..numbers import count, num

COLUMNS = ("#", "contender", "iteration", "loss", "accuracy", "best at", "it/s", "state")


class RaceTable(DataTable):
    """One row per contender, in contender order (its number is the one on the chart): its
    iteration, loss and accuracy now, from the same view as the chart draws (a search's last
    accepted candidate, a gradient run's last step, a newer evaluation's), so the table and the
    chart show the same iteration; the iteration of its best loss,
    iterations per second and its state. The cursor row is the contender that ``x`` drops and
    ``o`` opens."""

    DEFAULT_CSS = "RaceTable { height: auto; }"

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = False
        for name in COLUMNS:
            self.add_column(name, key=name)

    def show_all(self, standings: list[Standing], views: list) -> None:
        for s, view in zip(standings, views):
            row = _row(s, view)
            key = str(s.index)
            if key not in self.rows:
                self.add_row(*row, key=key)
            else:
                for name, value in zip(COLUMNS, row):
                    self.update_cell(key, name, value, update_width=True)


def _row(s: Standing, view) -> tuple[str, ...]:
    loss = num(view.train_loss) if view.train_loss is None or math.isfinite(view.train_loss) else "—"
    best = count(s.best_iteration) if s.best_iteration >= 0 else "—"
    its = num(s.its_per_sec, 3) if s.state == "running" and s.its_per_sec > 0 else "—"
    return (str(s.index + 1), s.contender.label, count(view.iteration), loss, num(view.train_accuracy), best, its,
            s.state)
