"""The data panel in real pixels (``tui-nn train --pixels``): the decision regions and the points
as an image, shown with ``textual-image`` on terminals that speak a pixel graphics protocol
(kitty's, sixel; iTerm2 through sixel).

An option, never a requirement: ``textual-image`` (and Pillow) come with ``pip install
'tui-nn[pixels]'``; the character rendering (:class:`DatasetView`) stays the default and is what
the tests snapshot. :func:`pixel_widget` is called by ``create_app`` before the dashboard starts (the
library asks the terminal what it supports, which it cannot do once Textual reads the keys) and
says in one line why pixels cannot be had. :class:`PixelDataView` draws everything a
:class:`DatasetView` draws (its text stays the panel's description for tests) and, for the
decision regions, puts an image of ``SCALE`` x ``SCALE`` pixels per half-cell over it: each pixel
shaded by the model's confidence, each training point a filled disc of its class's colour and
each validation point a ring. The other views (projection, curves) stay characters.
"""

from __future__ import annotations

import numpy as np
from textual.color import Color

from ..state import RunView
from .dataset_view import DEEP, PALE, DatasetView

SCALE = 4  # image pixels per half-cell in each direction (a 60x20 panel: 240x160 pixels)
RADIUS = 3.5  # a point's disc, in image pixels


class PixelsUnavailable(ValueError):
    """Pixels were asked for and cannot be had; the message says why and what to do (the CLI
    prints it as one ``Error:`` line, exit 2, as every ValueError)."""


def pixel_widget() -> type:
    """The ``textual-image`` widget class for this terminal. Call it before the app runs.

    Raises :class:`PixelsUnavailable` (one line) when the package is missing or the terminal
    shows no pixel graphics (``textual-image`` would fall back to characters of its own)."""
    try:
        # Deferred, and only with --pixels: ~0.1 s with Pillow, and it queries the terminal.
        import textual_image.renderable as renderables
        import textual_image.widget as widgets
    except ImportError:
        raise PixelsUnavailable("--pixels needs the optional package textual-image: "
                                "pip install 'tui-nn[pixels]' (or leave out --pixels)") from None
    if renderables.Image not in (renderables.TGPImage, renderables.SixelImage):  # half cells or characters
        raise PixelsUnavailable("--pixels: this terminal shows no pixel graphics (kitty's protocol or sixel); "
                                "leave out --pixels for the character rendering")
    return widgets.Image


def region_pixels(pred: np.ndarray, conf: np.ndarray, colors: list[Color], base: Color) -> np.ndarray:
    """(h, w, 3) uint8: each pixel the colour of its predicted class, blended with the
    background from pale (confidence 0, the boundary) to deep (confidence 1)."""
    palette = np.array([c.rgb for c in colors], np.float64)
    alpha = (PALE + (DEEP - PALE) * conf)[..., None]
    back = np.array(base.rgb, np.float64)
    return np.round(back + (palette[pred % len(palette)] - back) * alpha).astype(np.uint8)


def stamp_points(image: np.ndarray, x: np.ndarray, y: np.ndarray, color, outline, hollow: bool,
                 radius: float = RADIUS) -> None:
    """Draw a disc (or a ring when ``hollow``) of ``color`` with a one-pixel ``outline`` at each
    pixel position ``(x, y)`` of ``image``, in place; parts outside the image are cut off."""
    if len(x) == 0:
        return
    h, w = image.shape[:2]
    r = int(np.ceil(radius)) + 1
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    dist = np.hypot(dx, dy).ravel()
    dy, dx = dy.ravel(), dx.ravel()
    cx, cy = np.round(x).astype(int)[:, None], np.round(y).astype(int)[:, None]
    for keep, paint in ((dist <= radius + 1, outline), (dist <= radius, color)):
        px, py = cx + dx[keep], cy + dy[keep]
        inside = (px >= 0) & (px < w) & (py >= 0) & (py < h)
        image[py[inside], px[inside]] = paint
    if hollow:
        keep = dist <= radius - 1.5
        px, py = cx + dx[keep], cy + dy[keep]
        inside = (px >= 0) & (px < w) & (py >= 0) & (py < h)
        image[py[inside], px[inside]] = outline


class PixelDataView(DatasetView):
    """A :class:`DatasetView` with an image of the decision regions over it. ``image_class`` is
    the widget that shows an image (``textual-image``'s, from :func:`pixel_widget`); it gets
    ``image`` set to a Pillow image on every redraw."""

    DEFAULT_CSS = """
    PixelDataView > .data-pixels { width: 100%; height: 100%; }
    PixelDataView > .data-pixels.-off { display: none; }
    """

    def __init__(self, image_class: type, **kwargs):
        super().__init__(**kwargs)
        self.image_class = image_class
        self.pixels: np.ndarray | None = None  # the last image drawn, (height, width, 3)

    def compose(self):
        yield self.image_class(classes="data-pixels -off")

    def redraw(self) -> None:
        super().redraw()
        v = self.view
        if v is None or not self.is_mounted or not self.children:
            return
        image = self.children[0]
        on = self.mode == "regions" and bool(self._strips)
        image.set_class(not on, "-off")
        if on:
            self.pixels = self.draw_pixels(v, self.size.width, self.size.height)
            image.image = self.as_image(self.pixels)

    @staticmethod
    def as_image(pixels: np.ndarray):
        from PIL import Image  # comes with textual-image

        return Image.fromarray(pixels, "RGB")

    def draw_pixels(self, v: RunView, w: int, h: int) -> np.ndarray:
        X = np.concatenate([v.X_train, v.X_val]).astype(np.float64)
        lo, hi = self._bounds(X)
        W, H = w * SCALE, 2 * h * SCALE
        pred, conf = self.predict_plane(v, lo, hi, W, H)
        n_classes = max(len(v.class_names), int(pred.max()) + 1, int(v.y_train.max(initial=0)) + 1)
        colors = self._palette(n_classes)
        base = self.background_colors[1]
        image = region_pixels(pred, conf, colors, base)
        outline = np.array(base.rgb, np.uint8)
        for Xp, yp, hollow in ((v.X_train, v.y_train, False), (v.X_val, v.y_val, True)):
            if len(Xp) == 0:
                continue
            P = np.asarray(Xp, np.float64)
            x = (P[:, 0] - lo[0]) / (hi[0] - lo[0]) * W
            y = (hi[1] - P[:, 1]) / (hi[1] - lo[1]) * H
            ids = np.asarray(yp).reshape(-1).astype(int)
            for c in np.unique(ids):
                sel = ids == c
                stamp_points(image, x[sel], y[sel], np.array(colors[c % len(colors)].rgb, np.uint8), outline,
                             hollow)
        return image
