"""Web floor: plotly figures of the network view, as plain figure dicts. Node text is escaped: titles are text,
never markup.

The view is drawn for reading: nodes are spread so that no two overlap at the default zoom, and labels are placed
greedily (chosen genes and the open figure first, then figures, genes that link figures, bundles) where they
collide with no other label or node; a label that finds no free place shows on hover, or with "label all".

The dicts follow plotly's figure schema but skip `plotly.graph_objects` validation, which took 85% of a network
update (0.39 of 0.46 s for 300 nodes and 6,000 edges); the tests check the shape instead.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from dataclasses import dataclass

import networkx as nx
import numpy as np

from dashboard.analysis.graph import BUNDLE, FIGURE, GENE, layout_graph, spread_layout

WEBGL_FROM = 1_000  # nodes; above this the view is drawn with WebGL
FIGURE_COLOUR = "#e07b39"
GENE_COLOUR = "#3b75af"
BUNDLE_COLOUR = "#aebfd1"
OPEN_COLOUR = "#111827"
OTHER_COLOUR = "#b8b8b8"
EDGE_COLOUR = "rgba(120,120,120,0.35)"
# Chosen genes, each its own colour (none the figures' orange or the genes' blue), cycling past eight.
CHOSEN_COLOURS = ("#d62728", "#009e73", "#7a3b8f", "#0072b2", "#cc79a7", "#17becf", "#8c564b", "#000000")
ORGANISM_COLOURS = ("#e07b39", "#8c564b", "#2ca02c", "#9467bd", "#17becf", "#bcbd22", "#7f7f7f", "#d62728")
HOVER_TITLE = 90
SHORT_TITLE = 24  # characters of a figure's title in its label
DIGITS = 1  # coordinates are in (default-zoom) pixels: a tenth is finer than the eye
BOX = (640.0, 460.0)  # the drawing area a layout is fitted to, in pixels at the default zoom
FILL = 0.10  # share of the drawing area the nodes' discs may cover; marker sizes shrink to keep it
LABEL_ROOM = 0.25  # share of the drawing area that figures' label room may take
FONT = 11
CHAR_WIDTH = 6.6  # average width of a label character at FONT px
LINE_HEIGHT = 14
DISC_TOLERANCE = 4.0  # pixels a label may reach over other nodes' discs (its text has a halo); never over labels
MAX_LABEL_TRIES = 600  # labels tried in priority order; past these, nodes show their label on hover


@dataclass(frozen=True)
class ViewOptions:
    """How the network is drawn: figure colours, whether every node is labelled, and the open figure."""

    colour: str = "plain"
    label_all: bool = False
    open_figure: str | None = None


def _hover_text(text: str, limit: int = HOVER_TITLE) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text, quote=False)


def short_title(title: str, limit: int = SHORT_TITLE) -> str:
    """A figure's title cut at a word boundary to fit a label."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1].rsplit(" ", 1)[0] if " " in title[: limit - 1] else title[: limit - 1]
    return cut.rstrip(",;:.-– ") + "…"


def _size(graph: nx.Graph, node: str) -> float:
    data = graph.nodes[node]
    if data["kind"] == BUNDLE:
        return 8 + 2.2 * math.sqrt(data.get("count", 1))
    size = 7 + 3.2 * math.sqrt(graph.degree(node))
    return size * 1.35 if data.get("focus") else size


def _layout() -> dict:
    return {
        "margin": {"l": 6, "r": 6, "t": 24, "b": 6},
        "hovermode": "closest",
        "clickmode": "event",
        "dragmode": "pan",
        "legend": {"orientation": "h", "x": 0, "y": 0, "yanchor": "top", "font": {"size": 11}},
        "xaxis": {"visible": False},
        "yaxis": {"visible": False, "scaleanchor": "x"},
        "plot_bgcolor": "white",
        "uirevision": True,
        "font": {"size": FONT},
    }


def place_nodes(
    graph: nx.Graph, room: dict[str, float] | None = None
) -> tuple[list[str], np.ndarray, np.ndarray, float]:
    """Nodes, their positions, marker sizes (pixels) and the pixels per position unit at the default zoom.

    The force layout is fitted to the drawing area, sizes shrink so the discs cover at most FILL of it, then nodes
    are spread until no two discs overlap — nor come within `room` (pixels) of a node that needs space for its
    label. Spreading can widen the picture, which the default zoom then shows smaller: the spread is repeated at
    that scale until it holds on screen.
    """
    nodes = list(graph.nodes)
    positions = layout_graph(graph)
    xy = np.array([positions[n] for n in nodes], dtype=float).reshape(-1, 2)
    sizes = np.array([_size(graph, n) for n in nodes], dtype=float)
    scale = 1.0
    if len(nodes) > 1:
        span = np.ptp(xy, axis=0)
        span[span == 0] = 1.0
        xy = (xy - xy.min(axis=0)) / span.max() * min(BOX)
        area = float(np.sum(np.pi * (sizes / 2) ** 2))
        sizes *= min(1.0, math.sqrt(FILL * BOX[0] * BOX[1] / area)) if area else 1.0
        sizes = np.maximum(sizes, 5.0)
        reach = sizes / 2
        if room:
            # Label room shrinks when many nodes ask for it, so that the picture still fits the drawing area.
            wanted = float(sum(math.pi * r**2 for r in room.values()))
            shrink = min(1.0, math.sqrt(LABEL_ROOM * BOX[0] * BOX[1] / wanted)) if wanted else 1.0
            reach = np.maximum(reach, [room.get(n, 0.0) * shrink for n in nodes])
        for _ in range(4):
            xy = spread_layout(xy, reach / scale)
            fitted = display_scale(xy, sizes)
            if fitted >= scale * 0.98:
                break
            scale = fitted
        fitted = display_scale(xy, sizes)
        # The last spread kept the discs apart at `scale`; at a slightly smaller final scale they shrink with it.
        sizes *= min(1.0, fitted / scale)
        scale = fitted
    return nodes, np.round(xy, DIGITS), np.floor(sizes * 10) / 10, scale


def display_scale(xy: np.ndarray, sizes: np.ndarray) -> float:
    """Pixels per position unit when the drawing area shows the whole picture (at most 1)."""
    extent = np.ptp(xy, axis=0) + float(sizes.max()) + 2 * LINE_HEIGHT
    return float(min(1.0, BOX[0] / max(extent[0], 1e-9), BOX[1] / max(extent[1], 1e-9)))


_POSITIONS = (  # plotly textposition, and where its box lies relative to the node (unit offsets in x and y)
    ("middle right", 1, 0),
    ("middle left", -1, 0),
    ("top center", 0, 1),
    ("bottom center", 0, -1),
    ("top right", 1, 1),
    ("bottom right", 1, -1),
    ("top left", -1, 1),
    ("bottom left", -1, -1),
)


_POSITIONS_BELOW = (_POSITIONS[3], _POSITIONS[2], *_POSITIONS[:2], *_POSITIONS[4:])  # centred under, over, …


def _label_box(x: float, y: float, radius: float, width: float, dx: int, dy: int) -> tuple[float, ...]:
    """(x0, y0, x1, y1) of a label of the given width beside a node, in pixels with y upwards."""
    height = LINE_HEIGHT
    if dx > 0:
        x0 = x + radius + 1
    elif dx < 0:
        x0 = x - radius - 1 - width
    else:
        x0 = x - width / 2
    if dy > 0:
        y0 = y + radius
    elif dy < 0:
        y0 = y - radius - height
    else:
        y0 = y - height / 2
    return x0, y0, x0 + width, y0 + height


class _Grid:
    """A spatial hash of rectangles for the label placer's collision tests."""

    def __init__(self, cell: float = 48.0):
        self.cell = cell
        self.cells: dict[tuple[int, int], list[tuple[float, ...]]] = defaultdict(list)

    def _keys(self, box: tuple[float, ...]):
        c = self.cell
        for i in range(int(box[0] // c), int(box[2] // c) + 1):
            for j in range(int(box[1] // c), int(box[3] // c) + 1):
                yield i, j

    def add(self, box: tuple[float, ...]) -> None:
        for key in self._keys(box):
            self.cells[key].append(box)

    def overlap(self, box: tuple[float, ...]) -> float:
        """Total overlapping area with the rectangles stored (each counted once per shared cell)."""
        total = 0.0
        for key in self._keys(box):
            for other in self.cells.get(key, ()):
                w = min(box[2], other[2]) - max(box[0], other[0])
                h = min(box[3], other[3]) - max(box[1], other[1])
                if w > 0 and h > 0:
                    total += w * h
        return total


def place_labels(
    texts: list[str],
    xy: np.ndarray,
    sizes: np.ndarray,
    order: list[int],
    always: set[int],
    tolerance: dict[int, float] | None = None,
    below: set[int] | None = None,
) -> dict[int, str]:
    """Node index → plotly textposition for the labels that fit, in priority `order`: a label goes where it
    overlaps no placed label and reaches at most its `tolerance` (pixels; default DISC_TOLERANCE) over other
    nodes; nodes in `always` get their least crowded place regardless. Only the first MAX_LABEL_TRIES of the order
    are tried unless they are in `always`."""
    tolerance = tolerance or {}
    below = below or set()
    from scipy.spatial import cKDTree

    labels = _Grid()
    radii = sizes / 2
    tree = cKDTree(xy) if len(xy) else None
    reach = float(radii.max()) if len(radii) else 0.0
    placed: dict[int, str] = {}
    for tried, i in enumerate(order):
        if tried >= MAX_LABEL_TRIES and i not in always:
            continue
        width = CHAR_WIDTH * len(texts[i]) + 2
        x, y = xy[i]
        allowed = tolerance.get(i, DISC_TOLERANCE)
        best, best_cost = None, math.inf
        for position, dx, dy in _POSITIONS_BELOW if i in below else _POSITIONS:
            box = _label_box(x, y, radii[i], width, dx, dy)
            cost = labels.overlap(box) * 4 + _disc_overlap(tree, xy, radii, reach, box, i)
            if cost < best_cost:
                best, best_cost = (position, box), cost
            if cost <= allowed:
                break
        if best is not None and (best_cost <= allowed or i in always):
            placed[i] = best[0]
            labels.add(best[1])
    return placed


def _disc_overlap(tree, xy: np.ndarray, radii: np.ndarray, reach: float, box: tuple[float, ...], own: int) -> float:
    """How far other nodes' discs reach into a label box (sum of the depths, in pixels)."""
    if tree is None:
        return 0.0
    centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    half = math.hypot(box[2] - box[0], box[3] - box[1]) / 2
    near = [j for j in tree.query_ball_point(centre, half + reach) if j != own]
    if not near:
        return 0.0
    points = xy[near]
    nearest_x = np.clip(points[:, 0], box[0], box[2])
    nearest_y = np.clip(points[:, 1], box[1], box[3])
    depth = radii[near] - np.hypot(points[:, 0] - nearest_x, points[:, 1] - nearest_y)
    return float(depth[depth > 0].sum())


def _node_hover(graph: nx.Graph, node: str) -> str:
    data = graph.nodes[node]
    degree = graph.degree(node)
    if data["kind"] == GENE:
        organism = _hover_text(data.get("organism") or "", 40)
        chosen = " · chosen" if data.get("focus") else ""
        return (
            f"<b>{_hover_text(data['label'], 40)}</b> · {organism}{chosen}<br>in {degree} figure(s) shown"
            f"<br>NCBI Gene {_hover_text(str(data['key']), 20)}"
        )
    if data["kind"] == BUNDLE:
        return (
            f"<b>{data['count']:,} more gene(s)</b> of “{_hover_text(str(data.get('figure', '')), 60)}”<br>"
            "not drawn as nodes · click to show them"
        )
    year = data.get("year")
    organisms = _hover_text(str(data.get("organisms") or ""), 60)
    return (
        f"<b>{_hover_text(data['label'])}</b><br>{year or 'year unknown'} · {organisms}<br>"
        f"{sum(1 for n in graph[node] if graph.nodes[n]['kind'] == GENE)} gene(s) drawn · click to open"
    )


def _label_text(graph: nx.Graph, node: str) -> str:
    data = graph.nodes[node]
    if data["kind"] == FIGURE:
        return short_title(str(data["label"]))
    return str(data["label"])


def _figure_groups(graph: nx.Graph, figures: list[str], colour: str) -> list[tuple[str, list[str], dict]]:
    """Figure traces: (legend name, members, marker style) for the colour mode."""
    base = {"symbol": "square", "line": {"width": 0.6, "color": "white"}}
    if colour == "organism":
        first = {n: (str(graph.nodes[n].get("organisms") or "Unknown").split(", ")[0]) for n in figures}
        ranked = sorted({*first.values()}, key=lambda name: (-list(first.values()).count(name), name))
        named = [name for name in ranked if name != "Unknown"][: len(ORGANISM_COLOURS)]
        groups = []
        for index, name in enumerate(named):
            members = [n for n in figures if first[n] == name]
            groups.append((f"Figure · {name}", members, {**base, "color": ORGANISM_COLOURS[index]}))
        rest = [n for n in figures if first[n] not in named]
        if rest:
            groups.append(("Figure · no or another organism", rest, {**base, "color": OTHER_COLOUR}))
        return groups
    if colour == "year":
        known = [n for n in figures if graph.nodes[n].get("year")]
        unknown = [n for n in figures if not graph.nodes[n].get("year")]
        groups = []
        if known:
            years = [graph.nodes[n]["year"] for n in known]
            style = {
                **base,
                "color": years,
                "colorscale": "Viridis",
                "cmin": min(years),
                "cmax": max(years) if max(years) > min(years) else min(years) + 1,
                "showscale": True,
                "colorbar": {"title": {"text": "Year"}, "thickness": 10, "len": 0.6, "x": 1.0},
            }
            groups.append(("Figure (colour: year)", known, style))
        if unknown:
            groups.append(("Figure · year unknown", unknown, {**base, "color": OTHER_COLOUR}))
        return groups
    return [("Figure", figures, {**base, "color": FIGURE_COLOUR})]


def build_network_figure(graph: nx.Graph, options: ViewOptions | None = None) -> dict:
    """The bipartite graph drawn for reading: figures as squares, shared genes as circles, bundles of a figure's
    other genes as pale discs, chosen genes each in its own colour, the open figure ringed; labelled."""
    options = options or ViewOptions()
    room = {
        node: min(CHAR_WIDTH * len(short_title(str(data["label"]))) / 2, 70.0)
        for node, data in graph.nodes(data=True)
        if data["kind"] == FIGURE
    }
    nodes, xy, sizes, scale = place_nodes(graph, room)
    index = {node: i for i, node in enumerate(nodes)}
    kind = "scattergl" if len(nodes) > WEBGL_FROM else "scatter"

    ends = np.array([(index[u], index[v]) for u, v in graph.edges], dtype=np.int64).reshape(-1, 2)
    edge_x = np.full(3 * len(ends), None, dtype=object)
    edge_y = np.full(3 * len(ends), None, dtype=object)
    edge_x[0::3], edge_x[1::3] = xy[ends[:, 0], 0], xy[ends[:, 1], 0]
    edge_y[0::3], edge_y[1::3] = xy[ends[:, 0], 1], xy[ends[:, 1], 1]
    traces: list[dict] = [
        {
            "type": kind,
            "x": edge_x.tolist(),
            "y": edge_y.tolist(),
            "mode": "lines",
            "line": {"width": 0.6, "color": EDGE_COLOUR},
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "links",
        }
    ]

    kinds = {node: graph.nodes[node]["kind"] for node in nodes}
    figures = [n for n in nodes if kinds[n] == FIGURE]
    chosen = [n for n in nodes if kinds[n] == GENE and graph.nodes[n].get("focus")]
    shared = [n for n in nodes if kinds[n] == GENE and not graph.nodes[n].get("focus") and graph.degree(n) >= 2]
    private = [n for n in nodes if kinds[n] == GENE and not graph.nodes[n].get("focus") and graph.degree(n) < 2]
    bundles = [n for n in nodes if kinds[n] == BUNDLE]
    open_node = f"{FIGURE}:{options.open_figure}" if options.open_figure else None

    texts = [_label_text(graph, n) for n in nodes]
    always = {index[n] for n in chosen} | ({index[open_node]} if open_node in index else set())
    by_degree = sorted(range(len(nodes)), key=lambda i: (-graph.degree(nodes[i]), nodes[i]))
    rank = {FIGURE: 1, GENE: 2, BUNDLE: 3}
    order = sorted(always) + [
        i
        for i in sorted(by_degree, key=lambda i: rank[kinds[nodes[i]]])
        if i not in always and (options.label_all or nodes[i] not in set(private))
    ]
    # Every figure is labelled (users look for figures); a crowded one goes where it covers the fewest labels and
    # nodes, over which its text keeps a halo. Genes and bundles are labelled only where they fit.
    forced = always | {index[n] for n in figures} | (set(order) if options.label_all else set())
    positions = place_labels(texts, xy * scale, sizes, order, forced, below={index[n] for n in figures})

    textfont = {"size": FONT, "color": "#1f2933"}
    if kind == "scatter":  # a halo of the background colour keeps labels readable over links (SVG only)
        textfont["shadow"] = "auto"

    def trace(name: str, members: list[str], marker: dict, legend: bool = True, group: str | None = None) -> dict:
        rows = [index[n] for n in members]
        return {
            "type": kind,
            "x": xy[rows, 0].tolist(),
            "y": xy[rows, 1].tolist(),
            "mode": "markers+text",
            "name": name,
            "legendgroup": group or name,
            "showlegend": legend,
            "customdata": members,
            "text": [html.escape(texts[r], quote=False) if r in positions else "" for r in rows],
            "textposition": [positions.get(r, "middle right") for r in rows],
            "textfont": textfont,
            "hovertext": [_node_hover(graph, n) for n in members],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "marker": {"size": sizes[rows].tolist(), **marker},
        }

    for name, members, marker in _figure_groups(graph, figures, options.colour):
        traces.append(trace(name, members, marker))
    if shared:
        traces.append(trace("Gene in several figures", shared, {"color": GENE_COLOUR, "symbol": "circle"}))
    if private:
        style = {"color": GENE_COLOUR, "symbol": "circle", "opacity": 0.75}
        traces.append(trace("Gene of one figure (expanded)", private, style))
    if bundles:
        style = {"color": BUNDLE_COLOUR, "symbol": "circle", "line": {"width": 1, "color": GENE_COLOUR}}
        traces.append(trace("Bundle: a figure's other genes (click to show them)", bundles, style))
    for number, node in enumerate(chosen):
        colour = CHOSEN_COLOURS[number % len(CHOSEN_COLOURS)]
        style = {"color": colour, "symbol": "star", "line": {"width": 1, "color": "white"}}
        chosen_trace = trace(f"{graph.nodes[node]['label']} (chosen)", [node], style)
        chosen_trace["textfont"] = {**textfont, "size": FONT + 1, "color": colour}
        traces.append(chosen_trace)
    ring = [open_node] if open_node in index else []
    traces.append(open_figure_trace(kind, xy[[index[n] for n in ring]], sizes[[index[n] for n in ring]], ring))
    layout = _layout()
    layout["showlegend"] = True
    layout["meta"] = {"px_per_unit": round(scale, 4)}  # the scale the layout was spread and labelled for
    if len(nodes):
        layout["xaxis"]["range"], layout["yaxis"]["range"] = _ranges(xy, sizes, scale, texts, positions)
    return {"data": traces, "layout": layout}


def _ranges(
    xy: np.ndarray, sizes: np.ndarray, scale: float, texts: list[str], positions: dict[int, str]
) -> tuple[list[float], list[float]]:
    """Axis ranges that show every node and every placed label whole (plotly's autorange ignores text)."""
    offsets = {name: (dx, dy) for name, dx, dy in _POSITIONS}
    px = xy * scale
    boxes = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(px, sizes / 2, strict=True)]
    for i, position in positions.items():
        dx, dy = offsets[position]
        boxes.append(_label_box(px[i, 0], px[i, 1], sizes[i] / 2, CHAR_WIDTH * len(texts[i]) + 2, dx, dy))
    edges = np.array(boxes)
    pad = 6.0
    x = [round((edges[:, 0].min() - pad) / scale, DIGITS), round((edges[:, 2].max() + pad) / scale, DIGITS)]
    y = [round((edges[:, 1].min() - pad) / scale, DIGITS), round((edges[:, 3].max() + pad) / scale, DIGITS)]
    return x, y


def open_figure_trace(kind: str, xy: np.ndarray, sizes: np.ndarray, nodes: list[str]) -> dict:
    """A ring around the open figure (empty when none is open or it is not drawn)."""
    return {
        "type": kind,
        "x": xy[:, 0].tolist() if len(xy) else [],
        "y": xy[:, 1].tolist() if len(xy) else [],
        "mode": "markers",
        "name": "Open figure",
        "customdata": nodes,
        "hoverinfo": "skip",
        "showlegend": bool(nodes),
        "marker": {
            "size": (np.asarray(sizes) + 10).tolist(),
            "symbol": "square-open",
            "color": OPEN_COLOUR,
            "line": {"width": 2.5, "color": OPEN_COLOUR},
        },
    }


def build_message_figure(message: str) -> dict:
    """An empty view that says why it is empty."""
    layout = _layout()
    layout["annotations"] = [
        {
            "text": html.escape(message, quote=False),
            "x": 0.5,
            "y": 0.5,
            "xref": "paper",
            "yref": "paper",
            "showarrow": False,
        }
    ]
    layout["showlegend"] = False
    return {"data": [], "layout": layout}
