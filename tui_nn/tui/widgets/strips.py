"""A panel drawn as a list of ready-made lines (``Strip``s): the network views share it.

A subclass builds ``self._strips`` in ``redraw`` (called again on every resize); a view of
activations paints with :meth:`StripPanel.heat_painter`, made for the theme's styles on first use
and dropped when they change.
"""

from __future__ import annotations

from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from ..heat import HeatPainter


class StripPanel(Widget):
    _strips: list[Strip]
    _painter = None
    _drawn_for = None  # the size of the last redraw (for a resize or a first render)
    _rendering = False

    def redraw(self) -> None:  # pragma: no cover - every panel draws its own
        raise NotImplementedError

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._drawn_for != self.size:
            # Laid out since the last redraw, and the Resize event has not arrived yet: draw for
            # this size now, before the border (its subtitle) and the lines are rendered. At
            # start-up the first frame is painted before the panels hear of their size, so it
            # showed them empty (or drawn for a stale size) for a beat.
            self._rendering = True  # (what it asks to repaint is being rendered now)
            try:
                self.on_resize()
            finally:
                self._rendering = False
        return super().render_lines(crop)

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False):
        if self._rendering and not (layout or recompose):
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def render_line(self, y: int) -> Strip:
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width, self.rich_style)

    def text(self) -> str:
        """What the panel shows, as plain text (for tests)."""
        return "\n".join(strip.text for strip in self._strips)

    def on_resize(self) -> None:
        if self._drawn_for != self.size:  # (drawn for this size already by the first render)
            self._drawn_for = self.size
            self.redraw()

    def heat_painter(self) -> HeatPainter:
        """The painter for the theme's current styles (made on first use)."""
        if self._painter is None:
            self._painter = HeatPainter(self)
        return self._painter

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._painter = None
