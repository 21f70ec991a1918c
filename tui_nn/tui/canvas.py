"""A NumPy braille canvas for the live charts: whole series drawn with a few array operations,
turned straight into Textual :class:`~textual.strip.Strip` rows (no ANSI text to parse back).

Why not plotext here: at 200x60 one plotext loss chart cost about 86 ms per redraw (plotext's
per-point Python building the figure, ~25 ms; textual-plotext turning its ANSI output back into
Rich text and segments, the rest). This canvas draws the same chart in a few milliseconds, so
every panel can redraw several times a second. plotext stays for the headless ``--plot``.

A character cell holds 2x4 braille dots. Each series has a *layer* (its index in the style
list, later layers on top): a cell takes the colour of the highest layer with a dot in it.
Text (axis labels, legends, markers) is written over the dots.
"""

from __future__ import annotations

import math

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

# Braille dot bits for (row 0-3, column 0-1) inside one character cell.
BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], np.uint8)
BRAILLE = np.array([" "] + [chr(0x2800 + k) for k in range(1, 256)])


class Canvas:
    """``cols`` x ``rows`` character cells, ``2*cols`` x ``4*rows`` dots; (0, 0) is top left."""

    def __init__(self, cols: int, rows: int):
        self.cols, self.rows = max(cols, 0), max(rows, 0)
        self.bits = np.zeros((self.rows, self.cols), np.uint8)
        self.layer = np.zeros((self.rows, self.cols), np.int16)  # 0: the background style
        self.chars = np.full((self.rows, self.cols), "", dtype="<U1")  # text over the dots ("" none)
        self.text_layer = np.zeros((self.rows, self.cols), np.int16)

    @property
    def width(self) -> int:
        return 2 * self.cols

    @property
    def height(self) -> int:
        return 4 * self.rows

    def dots(self, x, y, layer: int) -> None:
        """Set the dots at integer dot coordinates ``x``, ``y`` (arrays; outside ones ignored)."""
        x, y = np.asarray(x, np.int64), np.asarray(y, np.int64)
        ok = (x >= 0) & (x < self.width) & (y >= 0) & (y < self.height)
        x, y = x[ok], y[ok]
        if not x.size:
            return
        r, c = y >> 2, x >> 1
        np.bitwise_or.at(self.bits, (r, c), BRAILLE_BITS[y & 3, x & 1])
        np.maximum.at(self.layer, (r, c), layer)

    def line(self, x, y, layer: int, sparse: bool = False) -> None:
        """A polyline through dot coordinates (floats welcome): every step between two points
        filled, so steep parts stay connected; ``sparse`` keeps only every other dot column (a
        faint line that reads apart from a solid one without colour)."""
        x, y = np.rint(np.asarray(x, float)), np.rint(np.asarray(y, float))
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        if x.size < 2:
            self.dots(x, y, layer)
            return
        # Clamp far outside points (a spike off the chart) so the step count stays bounded.
        x = np.clip(x, -1, self.width)
        y = np.clip(y, -1, self.height)
        dx, dy = np.diff(x), np.diff(y)
        steps = np.maximum(np.abs(dx), np.abs(dy)).astype(np.int64) + 1
        seg = np.repeat(np.arange(dx.size), steps)
        t = (np.arange(seg.size) - np.repeat(np.cumsum(steps) - steps, steps)) / np.repeat(steps, steps)
        xs = np.r_[np.rint(x[seg] + t * dx[seg]), x[-1:]]
        ys = np.r_[np.rint(y[seg] + t * dy[seg]), y[-1:]]
        if sparse:
            keep = xs % 2 == 0
            xs, ys = xs[keep], ys[keep]
        self.dots(xs, ys, layer)

    def hline(self, y: float, layer: int, dotted: bool = False) -> None:
        xs = np.arange(0, self.width, 2 if dotted else 1)
        self.dots(xs, np.full(xs.size, round(y)), layer)

    def vline(self, x: float, layer: int) -> None:
        ys = np.arange(self.height)
        self.dots(np.full(ys.size, round(x)), ys, layer)

    def text(self, col: int, row: int, s: str, layer: int) -> None:
        """Write ``s`` from cell (``col``, ``row``), clipped at the canvas's edges."""
        if not 0 <= row < self.rows:
            return
        for k, ch in enumerate(s):
            c = col + k
            if 0 <= c < self.cols:
                self.chars[row, c] = ch
                self.text_layer[row, c] = layer

    def strips(self, styles: list[Style]) -> list[Strip]:
        """One Strip per row; ``styles[layer]`` styles a cell of that layer (0: empty cells)."""
        glyphs = BRAILLE[self.bits]
        written = self.chars != ""
        glyphs = np.where(written, self.chars, glyphs)
        layers = np.where(written, self.text_layer, np.where(self.bits > 0, self.layer, 0))
        out = []
        for r in range(self.rows):
            out.append(Strip(_runs(glyphs[r], layers[r], styles), self.cols))
        return out


def _runs(glyphs: np.ndarray, layers: np.ndarray, styles: list[Style]) -> list[Segment]:
    if not glyphs.size:
        return []
    cuts = np.flatnonzero(np.diff(layers)) + 1
    starts = np.r_[0, cuts]
    ends = np.r_[cuts, glyphs.size]
    return [Segment("".join(glyphs[a:b]), styles[layers[a]]) for a, b in zip(starts.tolist(), ends.tolist())]


def nice_steps(low: float, high: float, n: int = 5) -> list[float]:
    """Round tick values covering [low, high] (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(1, n)  # about n steps: at least n - 1 ticks inside
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    k = 0
    while first + k * step <= high + step * 1e-9:
        ticks.append(round(first + k * step, 12) + 0.0)  # + 0.0: never "-0"
        k += 1
    return ticks
