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
import textwrap
from collections import Counter
from dataclasses import dataclass

import networkx as nx
import numpy as np

from dashboard.analysis.graph import BUNDLE, FIGURE, GENE, TERM, layout_graph, spread_layout
from dashboard.analysis.model import UNSTATED
from dashboard.analysis.organisms import (
    NO_ORGANISM_COLOUR,
    ORGANISM_COLOURS,
    OTHER_ORGANISM_COLOUR,
    SEVERAL_ORGANISMS_COLOUR,
)

WEBGL_FROM = 1_000  # nodes; above this the view is drawn with WebGL
SPREAD_FULLY = 450  # nodes; up to this many, spreading runs until no two overlap at the default zoom
FIGURE_COLOUR = "#e07b39"
GENE_COLOUR = "#3b75af"
BUNDLE_COLOUR = "#aebfd1"
# Chemicals and diseases (a third kind of node, when asked for): their own shapes and colours.
TERM_STYLES = {
    "chemicals": ("Chemical (click to filter by it)", {"color": "#4d9221", "symbol": "diamond"}),
    "diseases": ("Disease (click to filter by it)", {"color": "#8e0152", "symbol": "triangle-up"}),
}
OPEN_COLOUR = "#111827"
YEAR_UNKNOWN_COLOUR = "#b8b8b8"
EDGE_COLOUR = "rgba(120,120,120,0.35)"
# A label's leader line: dotted, thin and pale, from the marker's edge — never mistaken for an edge (solid, centre to
# centre).
LEADER_LINE = {"width": 0.5, "color": "rgba(150,150,150,0.7)", "dash": "dot"}
# Chosen genes, each its own colour (none the figures' orange or the genes' blue), cycling past eight.
CHOSEN_COLOURS = ("#d62728", "#009e73", "#7a3b8f", "#0072b2", "#cc79a7", "#17becf", "#8c564b", "#000000")
HOVER_TITLE = 90
UNSTATED_SPECIES = "Gene of a species its figure does not state"  # the ring's legend line
UNSTATED_SPECIES_COLOUR = "#b45309"
SHORT_TITLE = 40  # characters of a figure's title in its label, on two lines where it is longer than one
LABEL_LINE = 22  # characters a label's line holds before a title goes on a second line
CROWDED_TITLE = 24  # characters of a figure's title, on one line, where its two lines found no free place
DIGITS = 1  # coordinates are in (default-zoom) pixels: a tenth is finer than the eye
BOX = (600.0, 420.0)  # the drawing area a layout is fitted to, in pixels at the default zoom
FILL = 0.10  # share of the drawing area the nodes' discs may cover; marker sizes shrink to keep it
LABEL_ROOM = 0.25  # share of the drawing area that figures' label room may take
FONT = 11
NARROW = frozenset(" .,;:!'|()[]/-ijlrtfI1")
LINE_HEIGHT = 13
LABEL_MARGIN = 3.0  # pixels kept free around a placed label
DISC_TOLERANCE = 4.0  # pixels a label may reach over other nodes' discs (its text has a halo); never over labels
MAX_LABEL_TRIES = 600  # labels tried in priority order; past these, nodes show their label on hover


@dataclass(frozen=True)
class ViewOptions:
    """How the network is drawn: figure colours, whether every node is labelled, and the open figure."""

    colour: str = "plain"
    label_all: bool = False
    open_figure: str | None = None


def text_width(text: str) -> float:
    """A label's width in pixels at FONT px in the page's sans-serif (measured in Chromium: capitals and digits
    7.6, narrow letters and punctuation 3.6, other letters 6.0), with 5% and two pixels to spare; of its longest
    line when it has several (lines are separated by newlines)."""
    return max(
        2 + 1.05 * sum(3.6 if c in NARROW else 7.6 if c.isupper() or c.isdigit() else 6.0 for c in line)
        for line in text.split("\n")
    )


def text_height(text: str) -> float:
    """A label's height in pixels: LINE_HEIGHT a line."""
    return LINE_HEIGHT * (text.count("\n") + 1)


def _hover_text(text: str, limit: int = HOVER_TITLE) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text, quote=False)


def whole_title(title: str, width: int = 60) -> str:
    """A figure's whole title for its hover box: escaped, in lines of about `width` characters."""
    return "<br>".join(html.escape(line, quote=False) for line in textwrap.wrap(" ".join(title.split()), width))


def short_title(title: str, limit: int = SHORT_TITLE, line: int = LABEL_LINE) -> str:
    """A figure's title cut at a word boundary to fit a label, and set on two lines (at the space nearest the middle)
    when it is longer than one line holds."""
    title = " ".join(title.split())
    if len(title) > limit:
        cut = title[: limit - 1].rsplit(" ", 1)[0] if " " in title[: limit - 1] else title[: limit - 1]
        title = cut.rstrip(",;:.-– ") + "…"
    if len(title) <= line or " " not in title:
        return title
    spaces = [i for i, c in enumerate(title) if c == " "]
    middle = min(spaces, key=lambda i: (abs(i - len(title) / 2), i))
    return title[:middle] + "\n" + title[middle + 1 :]


def _size(graph: nx.Graph, node: str) -> float:
    data = graph.nodes[node]
    if data["kind"] == BUNDLE:
        return 8 + 2.2 * math.sqrt(data.get("count", 1))
    size = 7 + 3.2 * math.sqrt(graph.degree(node))
    return size * 1.35 if data.get("focus") else size


_SHAPE_REACH = {"star": 1.4, "square": 1.2, "diamond": 1.2, "triangle-up": 1.3}


def _shape(graph: nx.Graph, node: str) -> str:
    data = graph.nodes[node]
    if data["kind"] == FIGURE:
        return "square"
    if data["kind"] == TERM:
        return TERM_STYLES[data["term_kind"]][1]["symbol"]
    return "star" if data.get("focus") else "circle"


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
        # A star's points and a square's corners reach past half the marker size.
        reach = sizes / 2 * np.array([_SHAPE_REACH.get(_shape(graph, n), 1.0) for n in nodes])
        if room:
            # Label room shrinks when many nodes ask for it, so that the picture still fits the drawing area.
            wanted = float(sum(math.pi * r**2 for r in room.values()))
            shrink = min(1.0, math.sqrt(LABEL_ROOM * BOX[0] * BOX[1] / wanted)) if wanted else 1.0
            reach = np.maximum(reach, [room.get(n, 0.0) * shrink for n in nodes])
        # Past SPREAD_FULLY nodes a picture without overlaps at the default zoom is out of reach anyway (the user
        # zooms in): spread less, and answer in time.
        big = len(nodes) > SPREAD_FULLY
        for _ in range(1 if big else 3):
            xy = spread_layout(xy, reach / scale, rounds=40 if big else 200)
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
    extent = np.ptp(xy, axis=0) + float(sizes.max()) + 4 * LINE_HEIGHT
    return float(min(1.0, BOX[0] / max(extent[0], 1e-9), BOX[1] / max(extent[1], 1e-9)))


_DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1))  # right, left, over, …
_DIRECTIONS_BELOW = ((0, -1), (0, 1), (1, 0), (-1, 0), (1, -1), (-1, -1), (1, 1), (-1, 1))  # a figure's: under first
_GAPS = (1.0, 8.0, 16.0)  # pixels between a node and its label: beside it, then a little away (with a leader line)


def _candidate_boxes(
    x: np.ndarray, y: np.ndarray, radius: np.ndarray, width: np.ndarray, height: np.ndarray, directions: np.ndarray
):
    """For each node (arrays of its centre, radius and label width and height, and its (8 × 2) directions), the
    (gaps × directions × 4) boxes (x0, y0, x1, y1) its label may take, `gap` pixels away in each direction, in pixels
    with y up."""
    x, y, radius, width, height = (np.asarray(v, dtype=float)[:, None, None] for v in (x, y, radius, width, height))
    gaps = np.array(_GAPS)[None, :, None]
    dx, dy = directions[:, None, :, 0], directions[:, None, :, 1]
    x0 = np.where(dx > 0, x + radius + gaps, np.where(dx < 0, x - radius - gaps - width, x - width / 2))
    y0 = np.where(dy > 0, y + radius + gaps - 1, np.where(dy < 0, y - radius - gaps + 1 - height, y - height / 2))
    return np.stack(np.broadcast_arrays(x0, y0, x0 + width, y0 + height), axis=-1)


def _label_crossing(boxes: np.ndarray, placed: np.ndarray) -> np.ndarray:
    """For each candidate box, the area it shares with the labels placed (each with its margin)."""
    b = boxes[..., None, :]
    w = np.minimum(b[..., 2], placed[:, 2]) - np.maximum(b[..., 0], placed[:, 0])
    h = np.minimum(b[..., 3], placed[:, 3]) - np.maximum(b[..., 1], placed[:, 1])
    return (np.clip(w, 0, None) * np.clip(h, 0, None)).sum(axis=-1)


DEPTH_CELLS = 500_000  # (place, disc) pairs weighed at once: bounds the temporary arrays (~40 MB) of big pictures


def _disc_depths(
    boxes: np.ndarray, hulls: np.ndarray, near: list[list[int]], tried: list[int], xy: np.ndarray, radii: np.ndarray
) -> np.ndarray:
    """For each tried node's candidate boxes (nodes × candidates × 4), how far the discs of the other nodes near it
    reach into each (the sum of the depths, in pixels): the (node, disc) pairs of every node at once, those whose
    disc reaches into the hull of the node's candidates only."""
    lengths = np.fromiter((len(found) for found in near), dtype=np.int64, count=len(near))
    owner = np.repeat(np.arange(len(near)), lengths)
    other = np.concatenate([np.asarray(found, dtype=np.int64) for found in near])
    hull = hulls[owner]
    px, py = xy[other, 0], xy[other, 1]
    reaches = (
        np.hypot(px - np.clip(px, hull[:, 0], hull[:, 2]), py - np.clip(py, hull[:, 1], hull[:, 3])) < radii[other]
    )
    keep = np.flatnonzero(reaches & (other != np.asarray(tried)[owner]))
    depths = np.zeros(boxes.shape[:-1])
    step = max(1, DEPTH_CELLS // boxes.shape[1])
    for low in range(0, len(keep), step):
        pairs = keep[low : low + step]
        b, mine, theirs = boxes[owner[pairs]], owner[pairs], other[pairs]
        px, py = xy[theirs, 0][:, None], xy[theirs, 1][:, None]
        depth = radii[theirs][:, None] - np.hypot(
            px - np.clip(px, b[..., 0], b[..., 2]), py - np.clip(py, b[..., 1], b[..., 3])
        )
        found, starts = np.unique(mine, return_index=True)  # pairs are grouped by node
        depths[found] += np.add.reduceat(np.clip(depth, 0, None), starts, axis=0)
    return depths


def place_labels(
    texts: list[str],
    xy: np.ndarray,
    sizes: np.ndarray,
    order: list[int],
    always: set[int],
    below: set[int] | None = None,
) -> dict[int, tuple[float, float, float, float]]:
    """Node index → the box (pixels) of its label, for the labels that fit, in priority `order`: beside the node
    or a little away from it, where the label overlaps no placed label and reaches at most DISC_TOLERANCE over
    other nodes; nodes in `always` get their least crowded place regardless. Only the first MAX_LABEL_TRIES of the
    order are tried unless they are in `always`; `below` nodes try under and over themselves first.

    Every node's 24 places and how far the discs near it reach into each are weighed at once, as arrays (one k-d
    tree query for all nodes); only the labels already placed are weighed node by node, in priority order."""
    from scipy.spatial import cKDTree

    below = below or set()
    tried = [i for rank, i in enumerate(order) if rank < MAX_LABEL_TRIES or i in always]
    if not tried:
        return {}
    radii = sizes / 2
    widths = np.array([text_width(texts[i]) for i in tried])
    heights = np.array([text_height(texts[i]) for i in tried])
    # Every candidate of node i lies within √2 (a diagonal place) × (its radius and the largest gap), and its
    # label's diagonal, of it; a disc reaching into one is centred within the largest radius more.
    extent = np.sqrt(2) * (radii[tried] + _GAPS[-1]) + np.hypot(widths, heights) + float(radii.max())
    near_lists = cKDTree(xy).query_ball_point(xy[tried], extent)
    directions = np.array([_DIRECTIONS_BELOW if i in below else _DIRECTIONS for i in tried], dtype=float)
    boxes = _candidate_boxes(xy[tried, 0], xy[tried, 1], radii[tried], widths, heights, directions)
    flat_boxes = boxes.reshape(len(tried), -1, 4)
    hull_array = np.hstack([flat_boxes[..., :2].min(axis=1), flat_boxes[..., 2:].max(axis=1)])
    depths = _disc_depths(flat_boxes, hull_array, near_lists, tried, xy, radii)
    costs = depths.reshape(boxes.shape[:-1]) + np.array(_GAPS)[:, None] / 100
    hulls = hull_array.tolist()
    per_gap = boxes.shape[2]
    labels = np.zeros((len(tried), 4))
    count = 0
    placed: dict[int, tuple[float, float, float, float]] = {}
    for k, i in enumerate(tried):
        cost = costs[k]
        if count:
            x0, y0, x1, y1 = hulls[k]
            others = labels[:count]
            others = others[(others[:, 0] < x1) & (others[:, 2] > x0) & (others[:, 1] < y1) & (others[:, 3] > y0)]
            if len(others):
                cost = cost + _label_crossing(boxes[k], others) * 4
        # As if tried gap by gap, nearest first, stopping at the first gap with a place that fits.
        flat = cost.reshape(-1)
        for gap in range(len(_GAPS)):
            best = int(np.argmin(flat[: (gap + 1) * per_gap]))
            if flat[best] <= DISC_TOLERANCE:
                break
        if flat[best] <= DISC_TOLERANCE or i in always:
            box = tuple(flat_boxes[k, best].tolist())
            placed[i] = box
            # Kept apart by a margin: the page may draw the picture a little smaller than the drawing area.
            labels[count] = (box[0] - LABEL_MARGIN, box[1] - LABEL_MARGIN, box[2] + LABEL_MARGIN, box[3] + LABEL_MARGIN)
            count += 1
    return placed


def crossing_labels(boxes: dict[int, tuple[float, float, float, float]]) -> set[int]:
    """The labels whose boxes overlap another's (by more than a pixel each way)."""
    if len(boxes) < 2:
        return set()
    keys = list(boxes)
    b = np.array([boxes[k] for k in keys])
    w = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
    h = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
    crossed = (w > 1) & (h > 1)
    np.fill_diagonal(crossed, False)
    return {keys[i] for i in np.flatnonzero(crossed.any(axis=1))}


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
    if data["kind"] == TERM:
        ids = f"<br>{_hover_text(str(data.get('ids') or ''), 60)}" if data.get("ids") else ""
        return (
            f"<b>{_hover_text(data['label'], 60)}</b> · {data['term_kind'][:-1]}{ids}<br>in {degree} figure(s) "
            f"shown, {data.get('figures', 0):,} in the corpus · click to filter by it"
        )
    if data["kind"] == BUNDLE:
        return (
            f"<b>{data['count']:,} more gene(s)</b> of “{_hover_text(str(data.get('figure', '')), 60)}”<br>"
            "not drawn as nodes · click to show them"
        )
    year = data.get("year")
    stated = figure_organisms(graph, node)
    named = f"{len(stated)} organisms: {', '.join(stated)}" if len(stated) > 1 else None
    organisms = _hover_text(named or (stated or ["no organism stated"])[0], 90)
    return (
        f"<b>{whole_title(str(data['label']))}</b><br>{year or 'year unknown'} · {organisms}<br>"
        f"{sum(1 for n in graph[node] if graph.nodes[n]['kind'] == GENE)} gene(s) drawn · click to open"
    )


def _label_text(graph: nx.Graph, node: str, repeated: set[str]) -> str:
    """A node's label: a figure's short title; a gene's symbol, with its species where another drawn gene has the
    same symbol (mouse and rat Mapk8)."""
    data = graph.nodes[node]
    if data["kind"] in (FIGURE, TERM):
        return short_title(str(data["label"]))
    if data["kind"] == GENE and str(data["label"]) in repeated:
        words = str(data.get("organism") or "").split()
        return f"{data['label']} ({words[0][:1]}. {words[1]})" if len(words) >= 2 else str(data["label"])
    return str(data["label"])


def figure_organisms(graph: nx.Graph, node: str) -> list[str]:
    """The organisms a drawn figure's record states, each once ("no organism stated" is none)."""
    names = str(graph.nodes[node].get("organisms") or "").split(", ")
    return [name for name in dict.fromkeys(names) if name and name != UNSTATED]


def _figure_groups(graph: nx.Graph, figures: list[str], colour: str) -> list[tuple[str, list[str], dict]]:
    """Figure traces: (legend name, members, marker style) for the colour mode."""
    base = {"symbol": "square", "line": {"width": 0.6, "color": "white"}}
    if colour == "organism":
        stated = {n: figure_organisms(graph, n) for n in figures}
        single = {n: names[0] for n, names in stated.items() if len(names) == 1}
        counts = Counter(single.values())
        ranked = sorted(counts, key=lambda name: (-counts[name], name))
        named = ranked[: len(ORGANISM_COLOURS)]
        groups = []
        for index, name in enumerate(named):
            members = [n for n in figures if single.get(n) == name]
            groups.append((f"Figure · {name}", members, {**base, "color": ORGANISM_COLOURS[index]}))
        several = [n for n in figures if len(stated[n]) > 1]
        if several:
            style = {**base, "color": SEVERAL_ORGANISMS_COLOUR}
            groups.append(("Figure · several organisms (hover: which)", several, style))
        rest = [n for n in figures if len(stated[n]) == 1 and single[n] not in named]
        if rest:
            groups.append(("Figure · another organism", rest, {**base, "color": OTHER_ORGANISM_COLOUR}))
        unstated = [n for n in figures if not stated[n]]
        if unstated:
            # Pale, with a grey edge so that it is not lost on the white.
            style = {**base, "color": NO_ORGANISM_COLOUR, "line": {"width": 0.8, "color": OTHER_ORGANISM_COLOUR}}
            groups.append(("Figure · no organism stated", unstated, style))
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
            groups.append(("Figure · year unknown", unknown, {**base, "color": YEAR_UNKNOWN_COLOUR}))
        return groups
    return [("Figure", figures, {**base, "color": FIGURE_COLOUR})]


def build_network_figure(graph: nx.Graph, options: ViewOptions | None = None) -> dict:
    """The bipartite graph drawn for reading: figures as squares, shared genes as circles, bundles of a figure's
    other genes as pale discs, chosen genes each in its own colour, the open figure ringed; labelled."""
    options = options or ViewOptions()
    room = {
        node: min(text_width(short_title(str(data["label"]))) / 2, 70.0)
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
    terms = [n for n in nodes if kinds[n] == TERM]
    open_node = f"{FIGURE}:{options.open_figure}" if options.open_figure else None

    symbols = Counter(str(graph.nodes[n]["label"]) for n in nodes if kinds[n] == GENE)
    repeated = {symbol for symbol, count in symbols.items() if count > 1}
    texts = [_label_text(graph, n, repeated) for n in nodes]
    always = {index[n] for n in chosen} | ({index[open_node]} if open_node in index else set())
    by_degree = sorted(range(len(nodes)), key=lambda i: (-graph.degree(nodes[i]), nodes[i]))
    rank = {FIGURE: 1, GENE: 2, TERM: 2, BUNDLE: 3}
    order = sorted(always) + [
        i
        for i in sorted(by_degree, key=lambda i: rank[kinds[nodes[i]]])
        if i not in always and (options.label_all or nodes[i] not in set(private))
    ]
    # Every figure is labelled (users look for figures); a crowded one goes where it covers the fewest labels and
    # nodes, over which its text keeps a halo. Genes and bundles are labelled only where they fit.
    forced = always | {index[n] for n in figures} | (set(order) if options.label_all else set())
    below = {index[n] for n in figures}
    boxes = place_labels(texts, xy * scale, sizes, order, forced, below)
    # A figure's two-line title that found no free place is set again as one short line, where it fits better.
    crowded = crossing_labels(boxes) & {index[n] for n in figures}
    if crowded and not options.label_all:
        for i in crowded:
            texts[i] = short_title(str(graph.nodes[nodes[i]]["label"]), CROWDED_TITLE, CROWDED_TITLE)
        boxes = place_labels(texts, xy * scale, sizes, order, forced, below)

    def trace(name: str, members: list[str], marker: dict, legend: bool = True, group: str | None = None) -> dict:
        rows = [index[n] for n in members]
        return {
            "type": kind,
            "x": xy[rows, 0].tolist(),
            "y": xy[rows, 1].tolist(),
            "mode": "markers",
            "name": name,
            "legendgroup": group or name,
            "showlegend": legend,
            "customdata": members,
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
    for term_kind, (name, style) in TERM_STYLES.items():
        members = [n for n in terms if graph.nodes[n]["term_kind"] == term_kind]
        if members:
            traces.append(trace(name, members, {**style, "line": {"width": 0.6, "color": "white"}}))
    for number, node in enumerate(chosen):
        colour = CHOSEN_COLOURS[number % len(CHOSEN_COLOURS)]
        style = {"color": colour, "symbol": "star", "line": {"width": 1, "color": "white"}}
        traces.append(trace(f"{graph.nodes[node]['label']} (chosen)", [node], style))
    # Genes of a species their figures do not state, ringed (a mouse figure's fly `rl`), with a legend line.
    unstated = [n for n in nodes if kinds[n] == GENE and graph.nodes[n].get("unstated_species")]
    if unstated:
        rows = [index[n] for n in unstated]
        traces.append(
            {
                "type": kind,
                "x": xy[rows, 0].tolist(),
                "y": xy[rows, 1].tolist(),
                "mode": "markers",
                "name": UNSTATED_SPECIES,
                "customdata": unstated,
                "hoverinfo": "skip",
                "marker": {
                    "size": (sizes[rows] + 6).tolist(),
                    "symbol": "circle-open",
                    "color": UNSTATED_SPECIES_COLOUR,
                    "line": {"width": 2, "color": UNSTATED_SPECIES_COLOUR},
                },
            }
        )
    colours = {index[n]: CHOSEN_COLOURS[k % len(CHOSEN_COLOURS)] for k, n in enumerate(chosen)}
    traces[1:1] = label_traces(kind, nodes, xy, sizes, scale, texts, boxes, colours)
    ring = [open_node] if open_node in index else []
    traces.append(open_figure_trace(kind, xy[[index[n] for n in ring]], sizes[[index[n] for n in ring]], ring))
    layout = _layout()
    layout["showlegend"] = True
    layout["meta"] = {"px_per_unit": round(scale, 4)}  # the scale the layout was spread and labelled for
    if len(nodes):
        layout["xaxis"]["range"], layout["yaxis"]["range"] = _ranges(xy, sizes, scale, boxes)
    return {"data": traces, "layout": layout}


def label_traces(
    kind: str,
    nodes: list[str],
    xy: np.ndarray,
    sizes: np.ndarray,
    scale: float,
    texts: list[str],
    boxes: dict[int, tuple[float, float, float, float]],
    colours: dict[int, str],
) -> list[dict]:
    """The placed labels as one text trace (customdata: the node each names), and thin leader lines from a node to
    a label set a little away from it."""
    placed = sorted(boxes)
    centres = np.array([((boxes[i][0] + boxes[i][2]) / 2, (boxes[i][1] + boxes[i][3]) / 2) for i in placed])
    centres = centres.reshape(-1, 2) / scale
    textfont = {"size": FONT, "color": [colours.get(i, "#1f2933") for i in placed]}
    if kind == "scatter":  # a halo of the background colour keeps labels readable over links (SVG only)
        textfont["shadow"] = "auto"
    line_x: list[float | None] = []
    line_y: list[float | None] = []
    for i in placed:
        x0, y0, x1, y1 = boxes[i]
        px, py = xy[i] * scale
        nearest = (min(max(px, x0), x1), min(max(py, y0), y1))
        away = math.hypot(nearest[0] - px, nearest[1] - py)
        if away > sizes[i] / 2 + 6:  # set away: draw the leader, from the marker's edge (an edge runs from its centre)
            start = (px + (nearest[0] - px) * sizes[i] / 2 / away, py + (nearest[1] - py) * sizes[i] / 2 / away)
            line_x += [round(start[0] / scale, DIGITS), round(nearest[0] / scale, DIGITS), None]
            line_y += [round(start[1] / scale, DIGITS), round(nearest[1] / scale, DIGITS), None]
    return [
        {
            "type": kind,
            "x": line_x,
            "y": line_y,
            "mode": "lines",
            "line": LEADER_LINE,
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "label lines",
        },
        {
            "type": kind,
            "x": np.round(centres[:, 0], DIGITS).tolist(),
            "y": np.round(centres[:, 1], DIGITS).tolist(),
            "mode": "text",
            "text": ["<br>".join(html.escape(line, quote=False) for line in texts[i].split("\n")) for i in placed],
            "textposition": "middle center",
            "textfont": textfont,
            "customdata": [nodes[i] for i in placed],
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "labels",
        },
    ]


def _ranges(
    xy: np.ndarray, sizes: np.ndarray, scale: float, boxes: dict[int, tuple[float, float, float, float]]
) -> tuple[list[float], list[float]]:
    """Axis ranges that show every node and every placed label whole (plotly's autorange ignores text)."""
    px = xy * scale
    edges = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(px, sizes / 2, strict=True)]
    edges = np.array(edges + list(boxes.values()))
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
        "showlegend": False,  # a legend row appearing on open would shrink the plot under the user
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
