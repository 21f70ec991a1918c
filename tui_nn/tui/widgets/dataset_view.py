"""The data and what the model makes of it: decision regions, a projection, or a fitted curve."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.widget import Widget

from ..colors import class_palette, marker, theme_color
from ..state import RunView

# Braille dot bits for (row 0-3, column 0-1) inside one character cell.
BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], np.int64)
REGION_CHARS = " ·:∴"  # NO_COLOR: each predicted class gets a faint texture instead of a tint


class DatasetView(Widget):
    """Four ways to draw the data, chosen from its shape:

    - *regions* (classification, two features): the training points (filled markers, one shape
      per class) and validation points (hollow markers) over the model's decision regions,
      computed from the current weights on a grid, one prediction per character cell;
    - *projection* (classification, other feature counts): the points' first two principal
      components, each point coloured by the class the model predicts (its shape is the true
      class);
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
        self.regions: np.ndarray | None = None  # the predicted class of each cell, last drawn

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
        self.refresh()

    @staticmethod
    def _pick_mode(view: RunView) -> str:
        d = view.X_train.shape[1]
        if view.task == "regression":
            return "curve" if d == 1 and view.widths[-1] == 1 else "fit"
        return "regions" if d == 2 else "projection"

    def _subtitle(self, view: RunView) -> str:
        n = f"{view.n_train} train" + (f" · {view.n_val} val (hollow)" if view.n_val else "")
        if self.mode == "projection":
            return f"{n} · colour: predicted, shape: true class"
        return n

    def _project(self) -> None:
        """PCA (scikit-learn, ~0.7 s to import the first time) off the UI thread."""
        from ...data import project_2d

        v = self.view
        P = project_2d(np.concatenate([v.X_train, v.X_val]).astype(np.float64))
        self.app.call_from_thread(self._projected, np.asarray(P, float))

    def _projected(self, P: np.ndarray) -> None:
        self._projection = P
        self.refresh()

    # -- drawing --------------------------------------------------------------------------------
    def render(self) -> Text:
        v = self.view
        w, h = self.size.width, self.size.height
        if v is None or w < 4 or h < 2:
            return Text("")
        v.net.params[...] = v.params  # the app's private copy of the network
        if self.mode == "regions":
            return self._regions(v, w, h)
        if self.mode == "projection":
            return self._projection_plot(v, w, h)
        return self._regression(v, w, h)

    def _palette(self, n: int) -> list[Color]:
        return class_palette(self.app, max(n, 1))

    def _bounds(self, P: np.ndarray):
        lo, hi = P.min(axis=0), P.max(axis=0)
        pad = (hi - lo) * 0.04 + 1e-9
        return lo - pad, hi + pad

    @staticmethod
    def _cells(P: np.ndarray, lo, hi, w: int, h: int):
        """Character cell (column, row) of each 2-D point; row 0 is the top."""
        cx = np.clip(((P[:, 0] - lo[0]) / (hi[0] - lo[0]) * w).astype(int), 0, w - 1)
        cy = np.clip(((hi[1] - P[:, 1]) / (hi[1] - lo[1]) * h).astype(int), 0, h - 1)
        return cx, cy

    def _regions(self, v: RunView, w: int, h: int) -> Text:
        X = np.concatenate([v.X_train, v.X_val]).astype(np.float64)
        lo, hi = self._bounds(X)
        xs = lo[0] + (np.arange(w) + 0.5) / w * (hi[0] - lo[0])
        ys = hi[1] - (np.arange(h) + 0.5) / h * (hi[1] - lo[1])
        gx, gy = np.meshgrid(xs, ys)
        grid = np.c_[gx.ravel(), gy.ravel()]
        pred = np.asarray(v.net.predict(grid)).reshape(h, w).astype(int)
        self.regions = pred
        n_classes = max(len(v.class_names), int(pred.max()) + 1, int(v.y_train.max(initial=0)) + 1)
        colors = self._palette(n_classes)
        base = self.background_colors[1]
        no_color = self.app.no_color
        chars = np.full((h, w), " ", dtype="<U1")
        fg = np.full((h, w), -1)
        if no_color:
            chars[:] = np.array(list(REGION_CHARS))[pred % len(REGION_CHARS)]
        for Xp, yp, is_val in ((v.X_train, v.y_train, False), (v.X_val, v.y_val, True)):
            if len(Xp) == 0:
                continue
            cx, cy = self._cells(np.asarray(Xp, float), lo, hi, w, h)
            ids = np.asarray(yp).reshape(-1).astype(int)
            for c in np.unique(ids):
                sel = ids == c
                chars[cy[sel], cx[sel]] = marker(int(c), n_classes, is_val)
                fg[cy[sel], cx[sel]] = c
        region_bg = [base.blend(c, 0.35) for c in colors]
        styles: dict[tuple[int, int], Style] = {}

        def style(p: int, f: int) -> Style:
            key = (p, f)
            if key not in styles:
                bg = region_bg[p % len(region_bg)]
                color = colors[f % len(colors)] if f >= 0 else bg.get_contrast_text(0.35)
                styles[key] = Style(color=(bg + color).rich_color, bgcolor=bg.rich_color, bold=f >= 0)
            return styles[key]

        return self._assemble(chars, lambda r, c: style(int(pred[r, c]), int(fg[r, c])), pred * 1000 + fg)

    def _projection_plot(self, v: RunView, w: int, h: int) -> Text:
        if self._projection is None:
            return Text(f"projecting {v.n_train + v.n_val:,} points on their first two principal components…",
                        style=self.get_component_rich_style("dataset--muted"))
        P = self._projection
        lo, hi = self._bounds(P)
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
        styles = [Style(color=(base + c).rich_color, bold=True) for c in colors]
        plain = Style()
        return self._assemble(chars, lambda r, c: styles[fg[r, c] % len(styles)] if fg[r, c] >= 0 else plain, fg)

    def _regression(self, v: RunView, w: int, h: int) -> Text:
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
        return self._assemble(chars, lambda r, c: styles[int(kind[r, c])], kind)

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

    @staticmethod
    def _assemble(chars: np.ndarray, style_at, keys: np.ndarray) -> Text:
        """Rows of characters into Text, one span per run of equal ``keys``."""
        text = Text(no_wrap=True, overflow="crop")
        h, w = chars.shape
        for r in range(h):
            row = chars[r]
            k = keys[r]
            start = 0
            for c in range(1, w + 1):
                if c == w or k[c] != k[start]:
                    text.append("".join(row[start:c]), style_at(r, start))
                    start = c
            if r < h - 1:
                text.append("\n")
        return text


def _first_column(y: np.ndarray) -> np.ndarray:
    """The first target of each sample, as float64 (empty arrays welcome)."""
    y = np.asarray(y, np.float64)
    return y.reshape(len(y), -1)[:, 0] if y.size else np.zeros(0)
