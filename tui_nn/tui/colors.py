"""Colours taken from the running Textual theme, so every panel (charts included) follows it.

Under ``NO_COLOR`` Textual turns the whole screen monochrome; the panels therefore never rely
on colour alone (weights show their sign and value, classes have their own marker shapes).
"""

from __future__ import annotations

from textual.app import App
from textual.color import Color

# Used after the theme's own distinct colours run out (many classes): Okabe–Ito, colour-blind safe.
EXTRA = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]
# One shape per class, so classes stay apart without colour: filled for training points,
# hollow for validation points. Past five classes, the class number (0-9, then letters).
FILLED, HOLLOW = "●▲■◆▼", "○△□◇▽"
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
THEME_ORDER = ("primary", "warning", "success", "error", "accent", "secondary")


def theme_color(app: App, name: str, fallback: str = "#888888") -> Color:
    value = app.theme_variables.get(name)
    try:
        return Color.parse(value) if value else Color.parse(fallback)
    except Exception:  # noqa: BLE001 - a theme variable that is not a plain colour
        return Color.parse(fallback)


def rgb(color: Color) -> tuple[int, int, int]:
    """An (r, g, b) tuple, the form plotext takes."""
    return color.rgb


def class_palette(app: App, n: int) -> list[Color]:
    """``n`` distinct colours: the theme's named colours first (near-duplicates skipped)."""
    out: list[Color] = []
    candidates = [theme_color(app, name) for name in THEME_ORDER] + [Color.parse(c) for c in EXTRA]
    for c in candidates:
        if all(_distance(c, o) > 60 for o in out):
            out.append(c)
        if len(out) == n:
            return out
    while len(out) < n:  # more classes than colours: repeat (the markers still differ)
        out.append(out[len(out) % max(1, len(out))])
    return out


def marker(i: int, n_classes: int, validation: bool = False) -> str:
    """The marker of class ``i``: a shape (filled: training, hollow: validation) or a digit."""
    if n_classes <= len(FILLED):
        return (HOLLOW if validation else FILLED)[i % len(FILLED)]
    return DIGITS[i % len(DIGITS)]


def _distance(a: Color, b: Color) -> float:
    return sum((x - y) ** 2 for x, y in zip(a.rgb, b.rgb)) ** 0.5
