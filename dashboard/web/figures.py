"""Web floor: plotly figures of the network view, as plain figure dicts. Node text is escaped: titles are text,
never markup.

The dicts follow plotly's figure schema but skip `plotly.graph_objects` validation, which took 85% of a network
update (0.39 of 0.46 s for 300 nodes and 6,000 edges); the tests check the shape instead.
"""

from __future__ import annotations

import html
import math

import networkx as nx
import numpy as np

from dashboard.analysis.graph import FIGURE, GENE, layout_graph

WEBGL_FROM = 1_000  # nodes; above this the view is drawn with WebGL
FIGURE_COLOUR = "#e07b39"
GENE_COLOUR = "#3b75af"
FOCUS_COLOUR = "#c0392b"
EDGE_COLOUR = "rgba(120,120,120,0.35)"
HOVER_TITLE = 90
DIGITS = 3  # coordinates are rounded: the picture does not change, the payload shrinks


def _hover_text(text: str, limit: int = HOVER_TITLE) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text, quote=False)


def _size(degree: int) -> float:
    return round(7 + 3.2 * math.sqrt(degree), 1)


def _layout() -> dict:
    return {
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "hovermode": "closest",
        "clickmode": "event",
        "dragmode": "pan",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {"visible": False},
        "yaxis": {"visible": False, "scaleanchor": "x"},
        "plot_bgcolor": "white",
        "uirevision": True,
    }


def build_network_figure(graph: nx.Graph) -> dict:
    """The bipartite graph drawn with a deterministic layout: figures as squares, genes as circles, by degree."""
    positions = layout_graph(graph)
    kind = "scattergl" if graph.number_of_nodes() > WEBGL_FROM else "scatter"
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    xy = np.round(np.array([positions[n] for n in nodes], dtype=float).reshape(-1, 2), DIGITS)

    ends = np.array([(index[u], index[v]) for u, v in graph.edges], dtype=np.int64).reshape(-1, 2)
    edge_x = np.full(3 * len(ends), None, dtype=object)
    edge_y = np.full(3 * len(ends), None, dtype=object)
    edge_x[0::3], edge_x[1::3] = xy[ends[:, 0], 0], xy[ends[:, 1], 0]
    edge_y[0::3], edge_y[1::3] = xy[ends[:, 0], 1], xy[ends[:, 1], 1]
    traces = [
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
    groups: dict[str, list[str]] = {"Figure": [], "Gene": [], "Chosen gene": []}
    for node, data in graph.nodes(data=True):
        if data["kind"] == FIGURE:
            groups["Figure"].append(node)
        elif data.get("focus"):
            groups["Chosen gene"].append(node)
        else:
            groups["Gene"].append(node)
    styles = {"Figure": (FIGURE_COLOUR, "square", 1.0), "Gene": (GENE_COLOUR, "circle", 1.0)}
    styles["Chosen gene"] = (FOCUS_COLOUR, "star", 1.4)
    for name, members in groups.items():
        if not members:
            continue
        colour, symbol, scale = styles[name]
        rows = [index[n] for n in members]
        degrees = [graph.degree(n) for n in members]
        traces.append(
            {
                "type": kind,
                "x": xy[rows, 0].tolist(),
                "y": xy[rows, 1].tolist(),
                "mode": "markers",
                "name": name,
                "customdata": members,
                "text": [_node_hover(graph, n, d) for n, d in zip(members, degrees, strict=True)],
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {
                    "size": [round(_size(d) * scale, 1) for d in degrees],
                    "color": colour,
                    "symbol": symbol,
                    "line": {"width": 0.5, "color": "white"},
                },
            }
        )
    return {"data": traces, "layout": _layout()}


def _node_hover(graph: nx.Graph, node: str, degree: int) -> str:
    data = graph.nodes[node]
    if data["kind"] == GENE:
        organism = _hover_text(data.get("organism") or "", 40)
        return f"<b>{_hover_text(data['label'], 40)}</b> · {organism}<br>in {degree} figure(s) shown"
    year = data.get("year")
    return f"<b>{_hover_text(data['label'])}</b><br>{year or 'year unknown'} · {degree} gene(s) shown"


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
