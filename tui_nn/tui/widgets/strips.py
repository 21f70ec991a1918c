"""A panel drawn as a list of ready-made lines (``Strip``s): the network views share it.

A subclass builds ``self._strips`` in ``redraw`` (called again on every resize); a view of
activations paints with :meth:`StripPanel.heat_painter`, made for the theme's styles on first use
and dropped when they change.
"""

from __future__ import annotations

from textual.strip import Strip
from textual.widget import Widget

from ..heat import HeatPainter


class StripPanel(Widget):
    _strips: list[Strip]
    _painter = None

    def redraw(self) -> None:  # pragma: no cover - every panel draws its own
        raise NotImplementedError

    def render_line(self, y: int) -> Strip:
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width, self.rich_style)

    def text(self) -> str:
        """What the panel shows, as plain text (for tests)."""
        return "\n".join(strip.text for strip in self._strips)

    def on_resize(self) -> None:
        self.redraw()

    def heat_painter(self) -> HeatPainter:
        """The painter for the theme's current styles (made on first use)."""
        if self._painter is None:
            self._painter = HeatPainter(self)
        return self._painter

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._painter = None
