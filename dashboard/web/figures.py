"""Web floor: plotly figures of the network view. Node text is escaped: titles are text, never markup."""

from __future__ import annotations

import html
import math

import networkx as nx
import plotly.graph_objects as go

from dashboard.analysis.graph import FIGURE, GENE, layout_graph

WEBGL_FROM = 1_000  # nodes; above this the view is drawn with WebGL
FIGURE_COLOUR = "#e07b39"
GENE_COLOUR = "#3b75af"
FOCUS_COLOUR = "#c0392b"
EDGE_COLOUR = "rgba(120,120,120,0.35)"
HOVER_TITLE = 90


def _hover_text(text: str, limit: int = HOVER_TITLE) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text, quote=False)


def _size(degree: int) -> float:
    return 7 + 3.2 * math.sqrt(degree)


def build_network_figure(graph: nx.Graph) -> go.Figure:
    """The bipartite graph drawn with a deterministic layout: figures as squares, genes as circles, by degree."""
    positions = layout_graph(graph)
    webgl = graph.number_of_nodes() > WEBGL_FROM
    scatter = go.Scattergl if webgl else go.Scatter

    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    for u, v in graph.edges:
        (x0, y0), (x1, y1) = positions[u], positions[v]
        edge_x += [round(x0, 3), round(x1, 3), None]
        edge_y += [round(y0, 3), round(y1, 3), None]
    traces = [
        scatter(
            x=edge_x,
            y=edge_y,
            mode="lines",
            line={"width": 0.6, "color": EDGE_COLOUR},
            hoverinfo="skip",
            showlegend=False,
            name="links",
        )
    ]
    groups = {
        "Figure": ([], FIGURE_COLOUR, "square"),
        "Gene": ([], GENE_COLOUR, "circle"),
        "Chosen gene": ([], FOCUS_COLOUR, "star"),
    }
    for node, data in graph.nodes(data=True):
        if data["kind"] == FIGURE:
            groups["Figure"][0].append(node)
        elif data.get("focus"):
            groups["Chosen gene"][0].append(node)
        else:
            groups["Gene"][0].append(node)
    for name, (nodes, colour, symbol) in groups.items():
        if not nodes:
            continue
        degrees = [graph.degree(n) for n in nodes]
        traces.append(
            scatter(
                x=[round(positions[n][0], 3) for n in nodes],
                y=[round(positions[n][1], 3) for n in nodes],
                mode="markers",
                name=name,
                customdata=nodes,
                text=[_node_hover(graph, n, d) for n, d in zip(nodes, degrees, strict=True)],
                hovertemplate="%{text}<extra></extra>",
                marker={
                    "size": [_size(d) * (1.4 if name == "Chosen gene" else 1) for d in degrees],
                    "color": colour,
                    "symbol": symbol,
                    "line": {"width": 0.5, "color": "white"},
                },
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        hovermode="closest",
        clickmode="event",
        dragmode="pan",
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="white",
        uirevision=True,
    )
    return figure


def _node_hover(graph: nx.Graph, node: str, degree: int) -> str:
    data = graph.nodes[node]
    if data["kind"] == GENE:
        organism = _hover_text(data.get("organism") or "", 40)
        return f"<b>{_hover_text(data['label'], 40)}</b> · {organism}<br>in {degree} figure(s) shown"
    year = data.get("year")
    return f"<b>{_hover_text(data['label'])}</b><br>{year or 'year unknown'} · {degree} gene(s) shown"


def build_message_figure(message: str) -> go.Figure:
    """An empty view that says why it is empty."""
    figure = go.Figure()
    figure.add_annotation(
        text=html.escape(message, quote=False), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False
    )
    figure.update_layout(
        xaxis={"visible": False}, yaxis={"visible": False}, plot_bgcolor="white", margin={"l": 10, "r": 10, "t": 10}
    )
    return figure
