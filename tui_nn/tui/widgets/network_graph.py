"""The network as TensorFlow Playground draws it: layers as columns of neurons, every weight an
edge, each neuron's activation over the input plane as a small map beside its name."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.style import Style
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from ...activations import Plane, neuron_maps, scaled
from ..canvas import BRAILLE, BRAILLE_BITS, Canvas
from ..heat import to_strips
from ..numbers import count, num
from ..state import RunView
from .weights_view import BIG_NUDGE, NUDGE, NUDGE_GROUP, WeightsView
from .strips import StripPanel

# Node sizes tried, largest first: (map rows, map columns, blank rows between nodes).
NODE_SIZES = [(3, 6, 1), (2, 4, 1), (1, 4, 1), (1, 2, 1), (1, 2, 0)]
MIN_EDGE_SPAN = 6  # columns between two layers' nodes, at least
EDGE_LEVELS = 6  # shades of each sign for the edges
THICK = 0.5  # an edge at least this fraction of its layer's largest is drawn two dots thick
MAX_EDGES = 48  # per layer: the strongest are drawn, the rest counted as hidden
SELECTED = 2 * EDGE_LEVELS + 1  # the canvas layer of the selected edge, over all others
LABEL, LABEL_SELECTED, MUTED = 1000, 1001, 1002  # style keys of text cells
MAP_KEYS = 2000  # heat map cells: MAP_KEYS + the painter's key


@dataclass
class Layout:
    """Where everything goes for one size of the panel and one selection."""

    rows: int
    map_rows: int
    map_cols: int
    label: int  # characters of a neuron's name, with a space
    xs: list[int]  # each layer's first column
    shown: list[np.ndarray]  # per layer: the neurons drawn, in order
    tops: list[np.ndarray]  # ... and the row each one starts at
    hidden: list[int]  # per layer: neurons not drawn


class NetworkGraph(StripPanel, can_focus=True):
    """Layers as columns, inputs on the left. An edge's line is solid when its weight is
    positive, dashed when negative; its colour (primary / error) is stronger and the line two
    dots thick the larger the weight against its layer's largest. The selected weight (shared
    with the weights panel) is drawn over all others in reverse video; the arrows move it (up
    and down: its source neuron, left and right: its target, on into the next layer), a click
    on an edge or a neuron selects that edge or the neuron's bias, and ``[ ] { }`` nudge it
    while paused, as in the weights panel. Layers taller than the panel show their neurons with
    the strongest weights; layers with many weights draw their strongest edges; the title says
    how many of each are hidden. Each neuron's map is its activation over the input plane (the
    data's two features, or its first two principal components), scaled by its largest.
    """

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("left_square_bracket", f"nudge(-{NUDGE})", "Weight −", key_display="[", group=NUDGE_GROUP),
        Binding("right_square_bracket", f"nudge({NUDGE})", "Weight +", key_display="]", group=NUDGE_GROUP),
        Binding("right_curly_bracket", f"nudge({BIG_NUDGE})", "Weight ++", show=False),
        Binding("left_curly_bracket", f"nudge(-{BIG_NUDGE})", "Weight −−", show=False),
    ]

    cursor: reactive[int] = reactive(0)

    @dataclass
    class Selected(Message):
        """The user selected weight ``index`` in the graph."""

        index: int

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.view: RunView | None = None
        self.plane: Plane | None = None
        self.layout_: Layout | None = None
        self.hidden_edges = 0
        self._edges = None  # (flat index, x0, y0, x1, y1) of the drawn edges, in dots
        self._strips: list[Strip] = []
        self._styles: dict[int, Style] = {}
        self._computed = None  # (weights version, map size, the neuron maps) last computed

    # -- data ------------------------------------------------------------------------------------
    def show(self, view: RunView) -> None:
        if self.view is not view:
            self.view = view
            self.plane = Plane.of(np.concatenate([view.X_train, view.X_val]))
        self.redraw()

    def blocks(self) -> list[tuple[int, int, int]]:
        """(first flat index, inputs, neurons) of each dense layer."""
        out, start = [], 0
        w = self.view.widths
        for k in range(len(w) - 1):
            out.append((start, w[k], w[k + 1]))
            start += (w[k] + 1) * w[k + 1]
        return out

    def position(self, index: int) -> tuple[int, int, int]:
        """(dense layer, source neuron or n_in for the bias, target neuron) of a flat index."""
        for k, (start, n_in, n_out) in enumerate(self.blocks()):
            off = index - start
            if 0 <= off < (n_in + 1) * n_out:
                if off >= n_in * n_out:
                    return k, n_in, off - n_in * n_out
                i, j = divmod(off, n_out)
                return k, i, j
        return 0, 0, 0

    def index(self, k: int, i: int, j: int) -> int:
        start, n_in, n_out = self.blocks()[k]
        return start + n_in * n_out + j if i == n_in else start + i * n_out + j

    @property
    def selected_neuron(self) -> tuple[int, int]:
        """(layer, neuron) the selected weight or bias leads into (layer 1: the first hidden)."""
        k, _, j = self.position(self.cursor)
        return k + 1, j

    # -- keys and clicks --------------------------------------------------------------------------
    def action_move(self, d_row: int, d_col: int) -> None:
        if self.view is None:
            return
        blocks = self.blocks()
        k, i, j = self.position(self.cursor)
        i = min(max(i + d_row, 0), blocks[k][1])
        j += d_col
        if j < 0 and k > 0:
            k -= 1
            j, i = blocks[k][2] - 1, min(i, blocks[k][1])
        elif j >= blocks[k][2] and k < len(blocks) - 1:
            k += 1
            j, i = 0, min(i, blocks[k][1])
        j = min(max(j, 0), blocks[k][2] - 1)
        self.select(self.index(k, i, j))

    def action_nudge(self, delta: float) -> None:
        self.post_message(WeightsView.Nudge(self.cursor, delta))

    def select(self, index: int, announce: bool = True) -> None:
        if self.cursor != index:
            self.cursor = index
            if announce:
                self.post_message(self.Selected(index))

    def watch_cursor(self) -> None:
        self.redraw()

    def on_click(self, event) -> None:
        offset = event.get_content_offset(self)
        lay = self.layout_
        if offset is None or lay is None:
            return
        self.focus()
        x, y = offset.x, offset.y
        for layer, (x0, shown, tops) in enumerate(zip(lay.xs, lay.shown, lay.tops)):
            if x0 <= x < x0 + lay.label + lay.map_cols:
                hit = np.flatnonzero((tops <= y) & (y < tops + lay.map_rows))
                if hit.size:
                    self.select(self._neuron_index(layer, int(shown[hit[0]])))
                    return
        if self._edges is not None and len(self._edges[0]):
            idx, x0, y0, x1, y1 = self._edges
            px, py = 2 * x + 1, 4 * y + 2
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((px - x0) * dx + (py - y0) * dy) / np.maximum(dx * dx + dy * dy, 1), 0, 1)
            dist = np.hypot(x0 + t * dx - px, y0 + t * dy - py)
            best = int(np.argmin(dist))
            if dist[best] <= 4:
                self.select(int(idx[best]))

    def _neuron_index(self, layer: int, n: int) -> int:
        """A neuron's own parameter: its bias; an input's: its first weight."""
        if layer == 0:
            return self.index(0, n, 0)
        return self.index(layer - 1, self.blocks()[layer - 1][1], n)

    # -- layout ------------------------------------------------------------------------------------
    def _layout(self, w: int, h: int) -> Layout:
        v = self.view
        widths = v.widths
        L = len(widths)
        names = [v.unit_name(k, n - 1) for k, n in enumerate(widths)] + [v.unit_name(0, i) for i in range(widths[0])]
        label = 1 + max(map(len, names))
        size = NODE_SIZES[-1]
        for size in NODE_SIZES:
            mh, mw, gap = size
            cap = (h + gap) // (mh + gap)
            if L * (label + mw) + (L - 1) * MIN_EDGE_SPAN <= w and max(widths) <= cap:
                break
        mh, mw, gap = size
        if L * (label + mw) + (L - 1) * MIN_EDGE_SPAN > w:
            mw = 2 if L * (label + 2) + (L - 1) * 2 <= w else 0
        cap = max(1, (h + gap) // (mh + gap))
        col = label + mw
        xs = [round(k * (w - col) / max(1, L - 1)) for k in range(L)]
        k_sel, i_sel, j_sel = self.position(self.cursor)
        must = {k_sel + 1: j_sel}
        if i_sel < widths[k_sel]:
            must[k_sel] = i_sel
        shown, tops, hidden = [], [], []
        for k, n in enumerate(widths):
            if n <= cap:
                keep = np.arange(n)
            else:
                keep = self._strongest_neurons(k, max(1, cap - 1), must.get(k))
            rows = len(keep) * (mh + gap) - gap + (1 if len(keep) < n else 0)
            top = max(0, (h - rows) // 2)
            shown.append(keep)
            tops.append(top + np.arange(len(keep)) * (mh + gap))
            hidden.append(n - len(keep))
        return Layout(h, mh, mw, label, xs, shown, tops, hidden)

    def _strongest_neurons(self, layer: int, count: int, must: int | None) -> np.ndarray:
        """The ``count`` neurons of a layer with the largest weights in and out (``must`` kept)."""
        params = self.view.params
        score = np.zeros(self.view.widths[layer])
        blocks = self.blocks()
        if layer > 0:
            start, n_in, n_out = blocks[layer - 1]
            score += np.abs(params[start:start + n_in * n_out].reshape(n_in, n_out)).sum(axis=0)
        if layer < len(blocks):
            start, n_in, n_out = blocks[layer]
            score += np.abs(params[start:start + n_in * n_out].reshape(n_in, n_out)).sum(axis=1)
        score = np.nan_to_num(score, nan=np.inf)
        keep = np.argsort(-score, kind="stable")[:count]
        if must is not None and must not in keep:
            keep[-1] = must
        return np.sort(keep)

    # -- drawing -----------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}

    def redraw(self) -> None:
        v = self.view
        w, h = self.size.width, self.size.height
        if v is None or w < 8 or h < 2 or not self.is_mounted:
            self._strips = []
            return
        lay = self.layout_ = self._layout(w, h)
        canvas = Canvas(w, h)
        self._draw_edges(canvas, lay)
        glyphs = BRAILLE[canvas.bits]
        keys = np.where(canvas.bits > 0, canvas.layer, 0).astype(np.int64)
        self._draw_nodes(glyphs, keys, lay)
        self._strips = to_strips(glyphs, keys, self._style, self.rich_style)
        self._titles(lay)
        self.refresh()

    def _draw_edges(self, canvas: Canvas, lay: Layout) -> None:
        params = self.view.params
        all_idx, segs = [], []
        self.hidden_edges = 0
        for k, (start, n_in, n_out) in enumerate(self.blocks()):
            src, dst = lay.shown[k], lay.shown[k + 1]
            W = params[start:start + n_in * n_out].reshape(n_in, n_out)
            idx = (start + src[:, None] * n_out + dst[None, :]).ravel()
            vals = W[np.ix_(src, dst)].ravel()
            if idx.size > MAX_EDGES:
                top = np.argsort(-np.nan_to_num(np.abs(vals), nan=np.inf), kind="stable")[:MAX_EDGES]
                idx, vals = idx[top], vals[top]
            self.hidden_edges += n_in * n_out - idx.size
            biggest = float(np.max(np.abs(W[np.isfinite(W)]), initial=0.0)) or 1.0
            off = idx - start
            i, j = off // n_out, off % n_out
            x0 = np.full(idx.size, 2 * (lay.xs[k] + lay.label + lay.map_cols), np.int64)
            x1 = np.full(idx.size, 2 * lay.xs[k + 1] - 2, np.int64)
            y0 = 4 * lay.tops[k][np.searchsorted(src, i)] + 2 * lay.map_rows - 1
            y1 = 4 * lay.tops[k + 1][np.searchsorted(dst, j)] + 2 * lay.map_rows - 1
            strength = np.nan_to_num(np.abs(vals) / biggest, nan=1.0)
            level = np.minimum((strength * EDGE_LEVELS).astype(np.int64), EDGE_LEVELS - 1)
            layer = 1 + 2 * level + (vals < 0)
            order = np.argsort(layer, kind="stable")  # stronger edges over weaker ones
            _rasterise(canvas, x0[order], y0[order], x1[order], y1[order], layer[order],
                       dashed=(vals < 0)[order], thick=(strength >= THICK)[order])
            all_idx.append(idx)
            segs.append(np.c_[x0, y0, x1, y1])
        if all_idx:
            idx = np.concatenate(all_idx)
            seg = np.concatenate(segs).astype(float)
            self._edges = (idx, seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3])
            hit = np.flatnonzero(idx == self.cursor)
            if hit.size:
                x0, y0, x1, y1 = seg[hit[0]].astype(np.int64)
                _rasterise(canvas, np.array([x0]), np.array([y0]), np.array([x1]), np.array([y1]),
                           np.array([SELECTED]), dashed=np.array([False]), thick=np.array([True]))

    def _draw_nodes(self, glyphs: np.ndarray, keys: np.ndarray, lay: Layout) -> None:
        v = self.view
        L = len(v.widths)
        sel_layer, sel_neuron = self.selected_neuron
        k_sel, i_sel, _ = self.position(self.cursor)
        src_neuron = (k_sel, i_sel) if i_sel < v.widths[k_sel] else None
        maps = self._maps(lay) if lay.map_cols else None
        h, w = glyphs.shape
        for k, (x0, shown, tops) in enumerate(zip(lay.xs, lay.shown, lay.tops)):
            if maps is not None:
                cells, cell_keys = self.heat_painter().cells(scaled(maps[k][:, :, shown], axis=(0, 1)).transpose(2, 0, 1)
                                                       .reshape(-1, lay.map_cols))
                cells = cells.reshape(len(shown), lay.map_rows, lay.map_cols)
                cell_keys = cell_keys.reshape(len(shown), lay.map_rows, lay.map_cols)
            for p, (n, top) in enumerate(zip(shown.tolist(), tops.tolist())):
                name = self.view.unit_name(k, n).ljust(lay.label)
                mid = top + (lay.map_rows - 1) // 2
                key = LABEL_SELECTED if (k, n) in ((sel_layer, sel_neuron), src_neuron) else LABEL
                _put(glyphs, keys, mid, x0, name, key)
                if maps is not None:
                    r0, r1 = top, min(h, top + lay.map_rows)
                    c0, c1 = x0 + lay.label, min(w, x0 + lay.label + lay.map_cols)
                    glyphs[r0:r1, c0:c1] = cells[p, :r1 - r0, :c1 - c0]
                    keys[r0:r1, c0:c1] = MAP_KEYS + cell_keys[p, :r1 - r0, :c1 - c0]
            if lay.hidden[k]:
                last = int(tops[-1]) + lay.map_rows if len(tops) else 0
                _put(glyphs, keys, min(h - 1, last), x0, f"+{count(lay.hidden[k])}", MUTED)

    def _maps(self, lay: Layout) -> list[np.ndarray]:
        """Every neuron's map at the layout's size, computed once per weights version
        (``view.params`` is replaced, never changed in place, when the weights change)."""
        v = self.view
        key = (lay.map_cols, lay.map_rows)
        if self._computed is None or self._computed[0] is not v.params or self._computed[1] != key:
            v.net.params[...] = v.params
            self._computed = (v.params, key, neuron_maps(v.net, self.plane, lay.map_cols, 2 * lay.map_rows,
                                                         inputs=v.inputs))
        return self._computed[2]

    def _style(self, key) -> Style:
        key = int(key)
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = self._make_style(key)
        return style

    def _make_style(self, key: int) -> Style:
        painter = self.heat_painter()
        if key >= MAP_KEYS:
            return painter.style(key - MAP_KEYS)
        if key == LABEL:
            return Style(bold=True)
        if key == LABEL_SELECTED:
            return Style(bold=True, reverse=True)
        if key == MUTED:
            return Style(dim=True)
        if key == SELECTED:
            return Style(bold=True, reverse=True)
        if key == 0 or painter.no_color:
            return Style()
        level, negative = divmod(key - 1, 2)
        colour = painter.neg if negative else painter.pos
        return Style(color=painter.base.blend(colour, 0.3 + 0.7 * level / (EDGE_LEVELS - 1)).rich_color)

    def _titles(self, lay: Layout) -> None:
        v = self.view
        shape = "→".join(map(str, v.widths))
        over = "maps over the PCA plane" if self.plane.is_pca else "maps over the inputs"
        hidden = sum(lay.hidden)
        what = [f"{count(hidden)} neurons"] if hidden else []
        what += [f"{count(self.hidden_edges)} {'weaker ' if not hidden else ''}edges"] if self.hidden_edges else []
        room = max(10, self.size.width - 4)
        title = f"Network {shape}"
        for part in ([" and ".join(what) + " hidden"] if what else []) + ([over] if lay.map_cols else []):
            if len(title) + 3 + len(part) <= room:
                title += " · " + part
        self.border_title = title
        value = float(v.params[self.cursor])
        name = v.weight_name(self.cursor)
        legend = "solid +, dashed −"
        options = [f"{name} = {num(value)} · {legend} · [ ] nudge", f"{name} = {num(value)} · {legend}",
                   f"{name} = {num(value)}", name]
        self.border_subtitle = next((o for o in options if len(o) <= room), options[-1])


def _put(glyphs: np.ndarray, keys: np.ndarray, row: int, col: int, text: str, key: int) -> None:
    h, w = glyphs.shape
    if not 0 <= row < h:
        return
    text = text[: max(0, w - col)]
    if text:
        glyphs[row, col:col + len(text)] = list(text)
        keys[row, col:col + len(text)] = key


def _rasterise(canvas: Canvas, x0, y0, x1, y1, layer, dashed, thick) -> None:
    """Straight lines between dot coordinates, all at once; ``dashed`` lines keep two dots of
    every four, ``thick`` ones get a second dot below each."""
    if not len(x0):
        return
    dx, dy = x1 - x0, y1 - y0
    steps = np.maximum(np.abs(dx), np.abs(dy)) + 1
    seg = np.repeat(np.arange(len(x0)), steps)
    s = np.arange(seg.size) - np.repeat(np.cumsum(steps) - steps, steps)
    t = s / np.maximum(steps[seg] - 1, 1)
    xs = np.rint(x0[seg] + t * dx[seg]).astype(np.int64)
    ys = np.rint(y0[seg] + t * dy[seg]).astype(np.int64)
    keep = ~dashed[seg] | (s % 4 < 2)
    xs, ys, seg = xs[keep], ys[keep], seg[keep]
    extra = thick[seg]
    xs = np.r_[xs, xs[extra]]
    ys = np.r_[ys, ys[extra] + 1]
    lay = np.r_[layer[seg], layer[seg][extra]]
    ok = (xs >= 0) & (xs < canvas.width) & (ys >= 0) & (ys < canvas.height)
    xs, ys, lay = xs[ok], ys[ok], lay[ok]
    r, c = ys >> 2, xs >> 1
    np.bitwise_or.at(canvas.bits, (r, c), BRAILLE_BITS[ys & 3, xs & 1])
    np.maximum.at(canvas.layer, (r, c), lay)
