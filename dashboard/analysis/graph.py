"""Analysis floor: the bipartite figure–gene networkx graph of a selection, cut to a node budget, and its layout.

networkx holds only what the user explores (a few hundred to two thousand nodes); whole-corpus counts come from the
sparse incidence matrix in `model`. Node ids are `figure:<figid>` and `gene:<NCBI id>`; the `bipartite` attribute
is 0 for figures and 1 for genes, as networkx's bipartite algorithms expect.
"""

from __future__ import annotations

import hashlib
import random
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

import igraph
import networkx as nx
import numpy as np

from dashboard.analysis.model import Corpus, Selection, figures_for_genes, filter_selection, gene_figure_counts
from dashboard.corpus import columns as C

DEFAULT_BUDGET = 300
LAYOUT_ITERATIONS = 250  # igraph's default is 500; past 250 the picture barely changes and the time doubles
MAX_BUDGET = 2_000
MIN_BUDGET = 10
FIGURE = "figure"
GENE = "gene"


def figure_node(figid: str) -> str:
    return f"{FIGURE}:{figid}"


def gene_node(gene_id: int) -> str:
    return f"{GENE}:{gene_id}"


def parse_node(node: str) -> tuple[str, str] | None:
    """`figure:<figid>` / `gene:<id>` → (kind, key); None for anything else."""
    kind, _, key = node.partition(":")
    if kind in (FIGURE, GENE) and key:
        return kind, key
    return None


@dataclass(frozen=True)
class Subgraph:
    """The graph to draw and what it leaves out."""

    graph: nx.Graph
    total_nodes: int  # nodes in the whole selection before the budget cut (figures with genes, and their genes)
    total_figures: int  # figures of the selection that hold at least one gene
    how: str  # how the nodes were chosen, for the user
    geneless: int = 0  # figures of the selection without any gene: nothing to draw

    @property
    def shown(self) -> int:
        return self.graph.number_of_nodes()

    @property
    def cut(self) -> bool:
        return self.shown < self.total_nodes


def clamp_budget(budget: object) -> int:
    """A node budget within [MIN_BUDGET, MAX_BUDGET]; anything unusable → the default."""
    try:
        value = int(budget)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_BUDGET
    return max(MIN_BUDGET, min(MAX_BUDGET, value))


def select_subgraph(corpus: Corpus, selection: Selection, budget: int = DEFAULT_BUDGET) -> Subgraph:
    """The part of the selection to draw: a gene's neighbourhood, or the most connected part of the filtered corpus."""
    budget = clamp_budget(budget)
    mask = filter_selection(corpus, selection)
    matrix = corpus.matrix(selection.exact)
    focus = np.array(sorted(set(selection.genes)), dtype=np.int64)
    if focus.size:
        figures = figures_for_genes(corpus, tuple(focus), selection.match, mask, selection.exact)
        # Figures holding more of the chosen genes first, then the most recent, then by id: deterministic.
        held = np.asarray(corpus.matrix_by_gene(selection.exact)[:, focus].sum(axis=1)).ravel()[figures]
        order = np.lexsort((figures, -np.nan_to_num(corpus.years[figures], nan=0), -held))
        how = "figures holding the most chosen genes (then newest), and the genes they share most"
    else:
        figures = np.flatnonzero(mask)
        degree = gene_figure_counts(corpus, figures, selection.exact)
        # A figure scores by the popularity of its genes: the densest, best-connected part of the selection.
        score = np.asarray(matrix @ degree.astype(np.float32)).ravel()[figures]  # no copy of the selected rows
        order = np.lexsort((figures, -score))
        how = "the figures whose genes recur most, and their most shared genes"
    figures = figures[order]
    with_genes = corpus.figure_sizes(selection.exact)[figures] > 0
    geneless = int((~with_genes).sum())
    figures = figures[with_genes]
    counts = gene_figure_counts(corpus, figures, selection.exact)
    all_genes = np.flatnonzero(counts)
    total = len(figures) + len(all_genes)

    figure_cap = min(len(figures), max(1, budget // 4) if focus.size else max(1, budget // 3))
    if len(figures) + len(all_genes) <= budget:
        figure_cap = len(figures)
    chosen_figures = figures[:figure_cap]
    chosen_counts = gene_figure_counts(corpus, chosen_figures, selection.exact)
    candidates = np.flatnonzero(chosen_counts)
    focus_in = np.intersect1d(focus, candidates)
    others = np.setdiff1d(candidates, focus_in)
    # Even the chosen genes give way to the budget when there are more of them than room (most figures first).
    focus_in = focus_in[np.lexsort((focus_in, -chosen_counts[focus_in]))][: max(0, budget - len(chosen_figures))]
    others = others[np.lexsort((others, -counts[others], -chosen_counts[others]))]
    room = max(0, budget - len(chosen_figures) - len(focus_in))
    chosen_genes = np.concatenate([focus_in, others[:room]])
    graph = build_graph(corpus, chosen_figures, chosen_genes, selection.exact, focus=set(focus.tolist()))
    # A figure none of whose genes made the cut would float alone and say nothing: leave it out.
    graph.remove_nodes_from([n for n in list(nx.isolates(graph)) if graph.nodes[n]["kind"] == FIGURE])
    return Subgraph(graph=graph, total_nodes=total, total_figures=len(figures), how=how, geneless=geneless)


def build_graph(
    corpus: Corpus,
    figure_rows: np.ndarray | None = None,
    gene_rows: np.ndarray | None = None,
    exact: bool = False,
    focus: set[int] | None = None,
) -> nx.Graph:
    """The bipartite graph of the given figures and genes (all of them when None), with node attributes."""
    figure_rows = np.arange(corpus.n_figures) if figure_rows is None else np.asarray(figure_rows)
    gene_rows = np.arange(corpus.n_genes) if gene_rows is None else np.asarray(gene_rows)
    focus = focus or set()
    graph = nx.Graph()
    figure_rows, gene_rows = np.sort(figure_rows), np.sort(gene_rows)
    figids = corpus.figids[figure_rows]
    titles = corpus.figures[C.TITLE].iloc[figure_rows].fillna("").to_numpy(dtype=object)
    years = corpus.years[figure_rows]
    graph.add_nodes_from(
        (
            figure_node(figid),
            {
                "bipartite": 0,
                "kind": FIGURE,
                "label": title or figid,
                "key": figid,
                "row": int(row),
                "year": None if np.isnan(year) else int(year),
            },
        )
        for row, figid, title, year in zip(figure_rows.tolist(), figids, titles, years, strict=True)
    )
    gene_ids = corpus.gene_ids[gene_rows]
    graph.add_nodes_from(
        (
            gene_node(int(gene_id)),
            {
                "bipartite": 1,
                "kind": GENE,
                "label": corpus.gene_label(row),
                "key": str(gene_id),
                "row": row,
                "organism": corpus.gene_organisms[row],
                "focus": row in focus,
            },
        )
        for row, gene_id in zip(gene_rows.tolist(), gene_ids.tolist(), strict=True)
    )
    block = corpus.matrix(exact)[figure_rows][:, gene_rows].tocoo()
    figure_names = [figure_node(f) for f in figids]
    gene_names = [gene_node(g) for g in gene_ids.tolist()]
    graph.add_edges_from(
        (figure_names[i], gene_names[j]) for i, j in zip(block.row.tolist(), block.col.tolist(), strict=True)
    )
    return graph


class _LayoutCache:
    """A small LRU of layouts: the same selection is drawn again on every filter round-trip."""

    def __init__(self, size: int = 64):
        self.size = size
        self.items: OrderedDict[bytes, dict[str, tuple[float, float]]] = OrderedDict()
        self.lock = Lock()

    def get(self, key: bytes) -> dict[str, tuple[float, float]] | None:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: bytes, value: dict[str, tuple[float, float]]) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_layouts = _LayoutCache()
_igraph_lock = Lock()


def layout_graph(graph: nx.Graph, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Deterministic positions: a seeded force-directed layout (the same graph always gets the same picture).

    networkx's spring layout is pure Python and takes seconds at 2,000 nodes; igraph's Fruchterman–Reingold is C
    and takes a tenth of a second, so the graph is handed to igraph for its coordinates only.
    """
    if graph.number_of_nodes() == 0:
        return {}
    nodes = list(graph.nodes)
    position = {node: i for i, node in enumerate(nodes)}
    edges = [(position[u], position[v]) for u, v in graph.edges]
    # The cache is keyed on a digest of the graph, not the graph itself: a key of thousands of edge tuples
    # would hold about a megabyte per entry.
    key = hashlib.blake2b(repr((nodes, edges)).encode(), digest_size=16).digest()
    cached = _layouts.get(key)
    if cached is not None:
        return cached
    with _igraph_lock:  # igraph draws its starting positions from one process-wide generator
        igraph.set_random_number_generator(random.Random(seed))  # noqa: S311 - layout, not security
        coords = igraph.Graph(n=len(nodes), edges=edges).layout_fruchterman_reingold(niter=LAYOUT_ITERATIONS).coords
    result = {node: (float(x), float(y)) for node, (x, y) in zip(nodes, coords, strict=True)}
    _layouts.put(key, result)
    return result
