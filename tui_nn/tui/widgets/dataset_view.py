"""The data and what the model makes of it: decision regions, a projection, or a fitted curve."""

from __future__ import annotations

import numpy as np
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from ...activations import OUTLIER_PERCENTILES, clip_outliers
from ..canvas import BRAILLE_BITS
from ..colors import class_palette, marker, theme_color
from ..numbers import count, exact
from ..state import RunView
from .strips import StripPanel

# NO_COLOR: each predicted class gets its own texture where the model is sure, none near the
# boundary (so the boundary shows as a blank band); past four classes the textures repeat.
TEXTURES = "·:∴⁘"
SHADES = 6  # confidence levels of the region colours, pale (near the boundary) to deep
PALE, DEEP = 0.18, 0.62  # how far a region's colour goes from the background to the class colour
PALE_256, DEEP_256 = 0.35, 0.75  # 256 colours: paler shades would snap to greys of no class
UPPER_HALF = "▀"
UNSURE = 0.2  # NO_COLOR: below this confidence no texture (the boundary shows as a blank band)
VIEW_PERCENTILES = (1.0, 99.0)  # ... and the view spans these of the projected points


class DatasetView(StripPanel):
    """Four ways to draw the data, chosen from its shape:

    - *regions* (classification, two features): the training points (filled markers, one shape
      per class) and validation points (hollow markers) over the model's decision regions,
      computed from the current weights on a grid of two pixels per character cell (the upper
      and lower half of a ``▀``), each shaded by the model's confidence: pale near the
      boundary, deep far from it. Without colour, a texture per class where the model is sure;
    - *projection* (classification, other feature counts): the points' first two principal
      components (of the features clipped to their 0.5-99.5th percentiles, so one outlier
      cannot squeeze the rest; an axis that a few points still stretch past three times its
      1st-99th percentile span shows that span, those points on its edge; the title says so),
      each point coloured by the class the model predicts (its shape is the true class);
    - *curve* (regression, one feature): the points and the model's curve, in braille dots;
    - *fit* (other regression): predicted against actual value, with the diagonal.
    """

    COMPONENT_CLASSES = {"dataset--muted"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.view: RunView | None = None
        self.mode = ""
        self._projection: np.ndarray | None = None  # (n_train + n_val, 2), from a worker
        self._projecting = False
        self._markers: np.ndarray | None = None  # projection: each point's marker
        self.regions: np.ndarray | None = None  # the predicted class of each pixel, last drawn
        self.confidence: np.ndarray | None = None  # ... and how sure the model is, 0 to 1
        self._strips: list[Strip] = []
        self._styles: dict = {}
        self._view_bounds = None  # projection: the axes' ranges (robust to outliers)
        self.outliers = 0  # projection: points beyond them, drawn on the edge

    def show(self, view: RunView) -> None:
        first = self.view is None
        self.view = view
        if first:
            self.mode = self._pick_mode(view)
            self.border_title = {"regions": "Data · decision regions", "projection": "Data · PCA projection",
                                 "curve": "Data · model curve", "fit": "Data · predicted vs actual"}[self.mode]
            self.border_subtitle = self._subtitle(view)
            if self.mode == "projection" and not self._projecting:
                self._projecting = True
                self.run_worker(self._project, thread=True, exclusive=True, group="projection")
        self.redraw()

    @staticmethod
    def _pick_mode(view: RunView) -> str:
        d = view.X_train.shape[1]
        if view.task == "regression":
            return "curve" if d == 1 and view.widths[-1] == 1 else "fit"
        return "regions" if d == 2 else "projection"

    def _subtitle(self, view: RunView) -> str:
        """The longest of a few wordings that fits the panel's border (never cut mid-word)."""
        n = f"{count(view.n_train)} train" + (f" · {count(view.n_val)} val (hollow)" if view.n_val else "")
        short = count(view.n_train) + (f"+{count(view.n_val)} val" if view.n_val else "")
        if self.mode == "projection":
            options = [f"{n} · colour: predicted · shape: true class", f"{short} · colour: predicted · shape: true",
                       "colour: predicted · shape: true", "colour: predicted"]
        elif self.mode == "regions":
            options = [f"{n} · pale: unsure", f"{short} · pale: unsure", n, short]
        else:
            options = [n, short]
        room = self.size.width - 6
        return next((o for o in options if len(o) <= room), options[-1])

    def _project(self) -> None:
        """PCA (scikit-learn, ~0.7 s to import the first time) off the UI thread, of the features
        clipped to their 0.5-99.5th percentiles: digits has a pixel at 75.8 standard deviations,
        which alone would set the first component and squeeze the rest into two rows."""
        from ...data import project_2d

        v = self.view
        X = clip_outliers(np.concatenate([v.X_train, v.X_val]).astype(np.float64))
        P = project_2d(X)
        self.app.call_from_thread(self._projected, np.asarray(P, float))

    def _projected(self, P: np.ndarray) -> None:
        self._projection = P
        self._view_bounds = self._robust_bounds(P)
        lo, hi = self._view_bounds
        self.outliers = int(np.count_nonzero(((P < lo) | (P > hi)).any(axis=1)))
        low, high = (exact(q) for q in OUTLIER_PERCENTILES)
        self.border_title = f"Data · PCA (features clipped at {low}–{high}%)" + (
            f" · {count(self.outliers)} outliers on the edge" if self.outliers else "")
        self.redraw()

    @staticmethod
    def _robust_bounds(P: np.ndarray):
        """The full range of each axis, unless a few points stretch it beyond three times the
        1st-99th percentile span: then that span (the stragglers are drawn on the edge)."""
        lo, hi = P.min(axis=0), P.max(axis=0)
        if len(P) > 1:
            plo, phi = np.percentile(P, VIEW_PERCENTILES, axis=0)
            spread = np.maximum(phi - plo, 1e-12)
            stretched = (hi - lo) > 3 * spread
            pad = spread * 0.1
            lo = np.where(stretched, plo - pad, lo)
            hi = np.where(stretched, phi + pad, hi)
        pad = (hi - lo) * 0.04 + 1e-9
        return lo - pad, hi + pad

    # -- drawing --------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Draw the data again (StripPanel calls it on every resize too)."""
        v = self.view
        w, h = self.size.width, self.size.height
        if v is None or w < 4 or h < 2 or not self.is_mounted:
            self._strips = []
            return
        self.border_subtitle = self._subtitle(v)  # the longest wording that fits this width
        v.net.params[...] = v.params  # the app's private copy of the network
        if self.mode == "regions":
            self._strips = self._regions(v, w, h)
        elif self.mode == "projection":
            self._strips = self._projection_plot(v, w, h)
        else:
            self._strips = self._regression(v, w, h)
        self.refresh()

    def _palette(self, n: int) -> list[Color]:
        return class_palette(self.app, max(n, 1))

    def _eight_bit(self) -> bool:
        return self.app.console.color_system == "256"

    def _style(self, key, make) -> Style:
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = make()
        return style

    def _bounds(self, P: np.ndarray):
        lo, hi = P.min(axis=0), P.max(axis=0)
        pad = (hi - lo) * 0.04 + 1e-9
        return lo - pad, hi + pad

    @staticmethod
    def _cells(P: np.ndarray, lo, hi, w: int, h: int):
        """Character cell (column, row) of each 2-D point; row 0 is the top (outside: the edge)."""
        cx = np.clip(((P[:, 0] - lo[0]) / (hi[0] - lo[0]) * w).astype(int), 0, w - 1)
        cy = np.clip(((hi[1] - P[:, 1]) / (hi[1] - lo[1]) * h).astype(int), 0, h - 1)
        return cx, cy

    def _shades(self, colors: list[Color], base: Color) -> np.ndarray:
        """(classes, SHADES) region colours, pale to deep. In 256 colours each is snapped to the
        palette, and a shade where two classes would snap to one entry is deepened until they
        differ (blended with the dark background, two hues otherwise meet in one dark cyan)."""
        out = np.empty((len(colors), SHADES), dtype=object)
        pale, deep = (PALE_256, DEEP_256) if self._eight_bit() else (PALE, DEEP)
        for s in range(SHADES):
            alpha = pale + (deep - pale) * s / max(1, SHADES - 1)
            for _ in range(12):
                row = [base.blend(c, alpha) for c in colors]
                if not self._eight_bit():
                    break
                row = [_snap(c) for c in row]
                if len({c.rgb for c in row}) == len(row) or alpha >= 0.95:
                    break
                alpha = min(0.95, alpha + 0.07)
            out[:, s] = row
        return out

    @staticmethod
    def predict_plane(v: RunView, lo, hi, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
        """The model's class and confidence (0 to 1) at the centres of a ``w`` x ``h`` raster of
        the data's plane between ``lo`` and ``hi``, row 0 at the top."""
        xs = lo[0] + (np.arange(w) + 0.5) / w * (hi[0] - lo[0])
        ys = hi[1] - (np.arange(h) + 0.5) / h * (hi[1] - lo[1])
        gx, gy = np.meshgrid(xs, ys)
        grid = v.inputs(np.c_[gx.ravel(), gy.ravel()].astype(np.float32))  # through --features, as the data
        out = np.asarray(v.net.forward(grid), np.float64)
        out = out.reshape(h * w, -1)
        if out.shape[1] == 1:  # one sigmoid output: class 1 when above 0.5
            p = out[:, 0]
            pred = (p > 0.5).astype(np.int64)
            conf = np.abs(2 * p - 1)
        else:
            k = out.shape[1]
            pred = np.argmax(out, axis=1)
            conf = (out.max(axis=1) - 1 / k) / (1 - 1 / k)
        return pred.reshape(h, w), np.nan_to_num(np.clip(conf, 0, 1)).reshape(h, w)

    def _regions(self, v: RunView, w: int, h: int) -> list[Strip]:
        X = np.concatenate([v.X_train, v.X_val]).astype(np.float64)
        lo, hi = self._bounds(X)
        H = 2 * h  # two pixels per cell: the upper and lower half
        pred, conf = self.predict_plane(v, lo, hi, w, H)
        self.regions, self.confidence = pred, conf
        n_classes = max(len(v.class_names), int(pred.max()) + 1, int(v.y_train.max(initial=0)) + 1)
        colors = self._palette(n_classes)
        base = self.background_colors[1]
        shade = np.minimum((conf * SHADES).astype(np.int64), SHADES - 1)
        no_color = self.app.no_color
        # Each cell: a glyph and a style key (upper pixel, lower pixel, point class or -1).
        upper, lower = pred[0::2] * SHADES + shade[0::2], pred[1::2] * SHADES + shade[1::2]
        chars = np.full((h, w), UPPER_HALF, dtype="<U1")
        if no_color:
            sure = conf[0::2] >= UNSURE
            chars = np.where(sure, np.array(list(TEXTURES))[pred[0::2] % len(TEXTURES)], " ")
        point = np.full((h, w), -1)
        for Xp, yp, is_val in ((v.X_train, v.y_train, False), (v.X_val, v.y_val, True)):
            if len(Xp) == 0:
                continue
            cx, cy = self._cells(np.asarray(Xp, float), lo, hi, w, h)
            ids = np.asarray(yp).reshape(-1).astype(int)
            for c in np.unique(ids):
                sel = ids == c
                chars[cy[sel], cx[sel]] = marker(int(c), n_classes, is_val)
                point[cy[sel], cx[sel]] = c
        shades = self._shades(colors, base)
        eight_bit = self._eight_bit()

        def make(up: int, down: int, p: int) -> Style:
            top, bottom = shades[up // SHADES, up % SHADES], shades[down // SHADES, down % SHADES]
            if p < 0:
                if no_color:
                    return Style(color=(top.get_contrast_text(0.5)).rich_color, bgcolor=top.rich_color)
                return Style(color=top.rich_color, bgcolor=bottom.rich_color)
            # A point: its class's full colour, bold, on a cell darkened towards the background
            # (a hole in the region), so it stands out even on a deep region of its own class.
            under = base.blend(top.blend(bottom, 0.5), 0.3)
            fg = colors[p % len(colors)]
            if eight_bit:
                fg, under = _snap(fg), _snap(under)
            return Style(color=fg.rich_color, bgcolor=under.rich_color, bold=True)

        keys = (upper.astype(np.int64) * 4096 + lower) * 64 + (point + 1)
        return _strips(chars, keys, lambda key: self._style(
            ("r", no_color, eight_bit, key), lambda: make(int(key // 64 // 4096), int(key // 64 % 4096),
                                                          int(key % 64) - 1)), self.rich_style)

    def _projection_plot(self, v: RunView, w: int, h: int) -> list[Strip]:
        if self._projection is None:
            text = f"projecting {count(v.n_train + v.n_val)} points on their first two principal components…"
            style = self.rich_style + self.get_component_rich_style("dataset--muted")
            return [Strip([Segment(text[:w].ljust(w), style)], w)] + [Strip.blank(w, self.rich_style)] * (h - 1)
        P = self._projection
        lo, hi = self._view_bounds
        X = np.concatenate([v.X_train, v.X_val])
        truth = np.concatenate([v.y_train.reshape(-1), v.y_val.reshape(-1)]).astype(int)
        pred = np.asarray(v.net.predict(X)).reshape(-1).astype(int)
        is_val = np.r_[np.zeros(len(v.X_train), bool), np.ones(len(v.X_val), bool)]
        n_classes = max(len(v.class_names), int(truth.max(initial=0)) + 1, int(pred.max(initial=0)) + 1)
        colors = self._palette(n_classes)
        if self._markers is None or len(self._markers) != len(P):
            self._markers = np.array([marker(int(t), n_classes, bool(s)) for t, s in zip(truth, is_val)])
        cx, cy = self._cells(P, lo, hi, w, h)
        chars = np.full((h, w), " ", dtype="<U1")
        fg = np.full((h, w), -1)
        chars[cy, cx] = self._markers  # a later point overwrites an earlier one in a shared cell
        fg[cy, cx] = pred
        base = self.background_colors[1]
        eight_bit = self._eight_bit()

        def make(k: int) -> Style:
            if k < 0:
                return Style()
            c = base + colors[k % len(colors)]
            return Style(color=(_snap(c) if eight_bit else c).rich_color, bold=True)

        return _strips(chars, fg, lambda k: self._style(("p", eight_bit, int(k)), lambda: make(int(k))),
                       self.rich_style)

    def _regression(self, v: RunView, w: int, h: int) -> list[Strip]:
        X = np.concatenate([v.X_train, v.X_val]).astype(np.float64)
        y = np.concatenate([_first_column(v.y_train), _first_column(v.y_val)])
        W, H = w * 2, h * 4  # braille dots
        if self.mode == "curve":
            xs = X[:, 0]
            grid = np.linspace(xs.min(), xs.max(), W)
            model = np.asarray(v.net.forward(grid[:, None].astype(np.float32)), float).reshape(W, -1)[:, 0]
            pts = np.c_[xs, y]
            line = np.c_[grid, model]
        else:  # predicted against actual
            pred = np.asarray(v.net.forward(X.astype(np.float32)), float).reshape(len(X), -1)[:, 0]
            pts = np.c_[y, pred]
            ends = np.array([min(y.min(), pred.min()), max(y.max(), pred.max())])
            t = np.linspace(0, 1, W)
            line = np.c_[ends[0] + t * (ends[1] - ends[0]), ends[0] + t * (ends[1] - ends[0])]
        finite = np.isfinite(line).all(axis=1)
        both = np.concatenate([pts, line[finite]]) if finite.any() else pts
        lo, hi = self._bounds(both)
        data_dots = self._dots(pts, lo, hi, W, H)
        line_dots = self._dots(self._densify(line[finite]), lo, hi, W, H) if finite.any() else np.zeros((H, W), bool)
        data_code = (data_dots.reshape(h, 4, w, 2) * BRAILLE_BITS[None, :, None, :]).sum(axis=(1, 3))
        line_code = (line_dots.reshape(h, 4, w, 2) * BRAILLE_BITS[None, :, None, :]).sum(axis=(1, 3))
        code = data_code | line_code
        chars = np.where(code > 0, np.vectorize(lambda k: chr(0x2800 + int(k)))(code), " ")
        kind = np.where(line_code > 0, 2, np.where(data_code > 0, 1, 0))
        base = self.background_colors[1]
        point_color = theme_color(self.app, "primary")
        curve_color = theme_color(self.app, "warning")
        styles = {0: Style(), 1: Style(color=(base + point_color).rich_color),
                  2: Style(color=(base + curve_color).rich_color, bold=True)}
        return _strips(chars, kind, lambda k: styles[int(k)], self.rich_style)

    @staticmethod
    def _densify(line: np.ndarray, factor: int = 4) -> np.ndarray:
        """More points along a polyline, so steep parts of the curve stay connected."""
        if len(line) < 2:
            return line
        t = np.linspace(0, len(line) - 1, (len(line) - 1) * factor + 1)
        return np.c_[np.interp(t, np.arange(len(line)), line[:, 0]), np.interp(t, np.arange(len(line)), line[:, 1])]

    @staticmethod
    def _dots(P: np.ndarray, lo, hi, W: int, H: int) -> np.ndarray:
        grid = np.zeros((H, W), bool)
        if len(P) == 0:
            return grid
        P = P[np.isfinite(P).all(axis=1)]
        cx = np.clip(((P[:, 0] - lo[0]) / (hi[0] - lo[0]) * W).astype(int), 0, W - 1)
        cy = np.clip(((hi[1] - P[:, 1]) / (hi[1] - lo[1]) * H).astype(int), 0, H - 1)
        grid[cy, cx] = True
        return grid


def _strips(chars: np.ndarray, keys: np.ndarray, style_of, base: Style) -> list[Strip]:
    """Rows of characters into Strips, one segment per run of equal ``keys``. Each distinct key's
    style is looked up once per redraw (a region picture has a run per cell: ~2,000 segments at
    200x60, so the per-segment work is kept to a slice and a list index)."""
    h, w = chars.shape
    distinct, codes = np.unique(keys, return_inverse=True)
    styles = [base + style_of(k) for k in distinct]
    codes = codes.reshape(h, w)
    out = []
    for r in range(h):
        text, k = "".join(chars[r].tolist()), codes[r]
        cuts = (np.flatnonzero(k[1:] != k[:-1]) + 1).tolist()
        starts, ends = [0, *cuts], [*cuts, w]
        out.append(Strip([Segment(text[a:b], styles[c]) for a, b, c in zip(starts, ends, k[starts].tolist())], w))
    return out


def _snap(color: Color) -> Color:
    """The colour a 256-colour terminal will show for ``color``."""
    rc = color.rich_color.downgrade(ColorSystem.EIGHT_BIT)
    r, g, b = rc.get_truecolor()
    return Color(r, g, b)


def _first_column(y: np.ndarray) -> np.ndarray:
    """The first target of each sample, as float64 (empty arrays welcome)."""
    y = np.asarray(y, np.float64)
    return y.reshape(len(y), -1)[:, 0] if y.size else np.zeros(0)
