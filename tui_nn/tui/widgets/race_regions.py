"""The race's decision regions: one small data panel per contender, side by side."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal

from ..state import RunView
from .dataset_view import DatasetView


class RaceRegions(Horizontal):
    """A :class:`DatasetView` (the data panel's own renderer) per contender, titled with its
    number and name, each drawn from that contender's weights."""

    def __init__(self, labels: list[str], **kwargs):
        super().__init__(**kwargs)
        self.labels = labels

    def compose(self) -> ComposeResult:
        for k, _label in enumerate(self.labels):
            yield DatasetView(id=f"region-{k}", classes="race-region")

    def show_all(self, views: list[RunView], which: set[int] | None = None) -> None:
        for k, view in enumerate(views):
            if which is not None and k not in which:
                continue
            panel = self.query_one(f"#region-{k}", DatasetView)
            panel.show(view)
            panel.border_title = f"{k + 1} {self.labels[k]}"
            panel.border_subtitle = ""
