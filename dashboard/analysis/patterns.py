"""Analysis floor: patterns across figures — a selection's timeline, the co-occurrence network of its genes with
communities, and the shortest chains of figures that connect two genes.

Whole-corpus counts come from the sparse incidence matrix; networkx holds the small graphs the user sees (the
co-occurrence network of the top genes, the subgraph of shortest paths) and runs their algorithms (Louvain
communities, all shortest paths).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from dashboard.analysis.enrich import upper_tail
from dashboard.analysis.model import Corpus, count_years, gene_figure_counts

LOUVAIN_SEED = 7
MAX_PATHS = 5
MAX_PATH_LENGTH = 8  # genes → figures → … steps searched before saying there is no path


# --- timeline ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timeline:
    """Figures per year of a selection, the corpus' figures per year, and each gene's first year."""

    years: dict[int, int]  # year → figures of the selection
    corpus_years: dict[int, int]  # year → every figure of the corpus (for shares: the filters make the selection)
    first_year: dict[int, int | None]  # NCBI Gene id → first year it is in a figure under the filters

    def share(self, year: int) -> float | None:
        """The selection's share of all figures of the year; None in a year without any figure (0/0 is no value)."""
        total = self.corpus_years.get(year, 0)
        return self.years.get(year, 0) / total if total else None


def build_timeline(
    corpus: Corpus, figure_rows: np.ndarray, mask: np.ndarray, genes: tuple[int, ...] = (), exact: bool = False
) -> Timeline:
    """The timeline of the selection's figures with each year's share of all the corpus' figures of that year (a
    search, a chemical or an organism narrows the selection, not what it is a share of), and the first year of each
    chosen gene (row) among the filtered figures (`mask`)."""
    first: dict[int, int | None] = {}
    matrix = corpus.matrix_by_gene(exact)
    for gene in dict.fromkeys(genes):
        held = matrix.indices[matrix.indptr[gene] : matrix.indptr[gene + 1]]
        held = held[mask[held]]
        years = corpus.years[held]
        years = years[~np.isnan(years)]
        first[int(corpus.gene_ids[gene])] = int(years.min()) if years.size else None
    selected = count_years(corpus.years[figure_rows])
    return Timeline(years=selected, corpus_years=corpus.figures_per_year, first_year=first)


# --- co-occurrence -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cooccurrence:
    """Genes as nodes, an edge where two share figures, and their communities."""

    graph: nx.Graph  # nodes: gene rows (attributes symbol, ncbi_id, figures, community); edges: shared, jaccard, p
    communities: list[list[int]]  # gene rows, largest community first, each by figure count
    figures: int  # figures of the selection the counts come from


def build_cooccurrence(
    corpus: Corpus,
    figure_rows: np.ndarray,
    top: int = 60,
    exact: bool = False,
    min_shared: int = 2,
    species: str | None = None,
) -> Cooccurrence:
    """The co-occurrence network of the `top` genes in most of the selection's figures — of one species, if given
    (one OCR word is often read as genes of several species, which would then seem to "co-occur"): shared figures
    counted with a sparse product over those figures only, Jaccard index and the hypergeometric p of sharing that
    many; Louvain communities (networkx, fixed seed) over the shared-figure weights."""
    counts = gene_figure_counts(corpus, figure_rows, exact)
    candidates = np.flatnonzero((counts > 0) & corpus.species_mask(species))
    genes = candidates[np.lexsort((corpus.gene_ids[candidates], -counts[candidates]))][: max(1, top)]
    block = corpus.matrix(exact)[figure_rows][:, genes].tocsc()
    block.data[:] = 1.0
    shared = (block.T @ block).tocoo()
    graph = nx.Graph()
    for position, row in enumerate(genes.tolist()):
        graph.add_node(
            row,
            symbol=corpus.gene_label(row),
            ncbi_id=int(corpus.gene_ids[row]),
            organism=corpus.gene_organisms[row],
            figures=int(counts[row]),
            position=position,
        )
    keep = (shared.row < shared.col) & (shared.data >= min_shared)
    i, j, together = shared.row[keep], shared.col[keep], shared.data[keep].astype(np.int64)
    a, b = counts[genes[i]], counts[genes[j]]
    jaccard = together / np.maximum(a + b - together, 1)
    p_values = upper_tail(together, len(figure_rows), a, b)
    graph.add_edges_from(
        (int(genes[x]), int(genes[y]), {"shared": int(s), "jaccard": float(jac), "p_value": float(p)})
        for x, y, s, jac, p in zip(i, j, together, jaccard, p_values, strict=True)
    )
    communities = (
        nx.community.louvain_communities(graph, weight="shared", seed=LOUVAIN_SEED) if graph.number_of_edges() else []
    )
    ordered = sorted(
        ([*sorted(c, key=lambda r: (-graph.nodes[r]["figures"], graph.nodes[r]["ncbi_id"]))] for c in communities),
        key=lambda c: (-len(c), graph.nodes[c[0]]["ncbi_id"]),
    )
    for number, members in enumerate(ordered):
        for row in members:
            graph.nodes[row]["community"] = number
    for row in graph.nodes:
        graph.nodes[row].setdefault("community", None)
    return Cooccurrence(graph=graph, communities=ordered, figures=len(figure_rows))


def community_name(cooccurrence: Cooccurrence, number: int, genes: int = 3) -> str:
    """A community named by its genes in most figures: 'MAPK1 · MAPK3 · AKT1'."""
    members = cooccurrence.communities[number]
    return " · ".join(cooccurrence.graph.nodes[r]["symbol"] for r in members[:genes])


# --- paths ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Paths:
    """The shortest chains gene → figure → gene → … → gene between two genes (gene rows and figure rows)."""

    length: int | None  # figures on each path; None when the genes are not connected under the filters
    paths: list[list[tuple[str, int]]]  # each path: ("gene", row), ("figure", row), ("gene", row), …


def find_paths(
    corpus: Corpus, start: int, end: int, mask: np.ndarray, exact: bool = False, max_paths: int = MAX_PATHS
) -> Paths:
    """Shortest paths between two genes on the bipartite figure–gene graph of the filtered figures.

    A breadth-first search over the sparse incidence matrix finds the distance from both ends and so the nodes
    that lie on some shortest path (whole-corpus scale: no networkx graph of millions of links); networkx then
    enumerates the shortest paths of that small subgraph, in a deterministic order."""
    if start == end:
        return Paths(length=0, paths=[[("gene", start)]])
    by_figure = corpus.matrix(exact)[np.flatnonzero(mask)].tocsr()  # rows: filtered figures
    by_gene = by_figure.T.tocsr()
    figure_rows = np.flatnonzero(mask)

    def layers(source: int) -> tuple[dict[int, int], dict[int, int]]:
        """Gene → steps (figures crossed) and figure (filtered position) → steps from a gene."""
        gene_steps, figure_steps = {source: 0}, {}
        frontier = np.array([source])
        for step in range(1, MAX_PATH_LENGTH + 1):
            figures = np.unique(by_gene[frontier].indices)
            figures = figures[[f not in figure_steps for f in figures.tolist()]] if figures.size else figures
            if not figures.size:
                break
            figure_steps.update(dict.fromkeys(figures.tolist(), step))
            genes = np.unique(by_figure[figures].indices)
            genes = genes[[g not in gene_steps for g in genes.tolist()]] if genes.size else genes
            if not genes.size:
                break
            gene_steps.update(dict.fromkeys(genes.tolist(), step))
            frontier = genes
        return gene_steps, figure_steps

    from_start, figures_from_start = layers(start)
    if end not in from_start:
        return Paths(length=None, paths=[])
    length = from_start[end]
    from_end, figures_from_end = layers(end)
    on_path_genes = {g for g, s in from_start.items() if g in from_end and s + from_end[g] == length}
    on_path_figures = {
        f for f, s in figures_from_start.items() if f in figures_from_end and s + figures_from_end[f] == length + 1
    }
    graph = nx.Graph()
    for figure in on_path_figures:
        genes = by_figure.indices[by_figure.indptr[figure] : by_figure.indptr[figure + 1]]
        for gene in genes.tolist():
            if gene in on_path_genes:
                graph.add_edge(("gene", gene), ("figure", int(figure_rows[figure])))
    found: list[list[tuple[str, int]]] = []
    for path in nx.all_shortest_paths(graph, ("gene", start), ("gene", end)):
        found.append(path)
        if len(found) >= 50 * max_paths:  # enough to choose the best from
            break
    found.sort(key=lambda p: [(kind, corpus.gene_ids[r] if kind == "gene" else r) for kind, r in p])
    return Paths(length=length, paths=found[:max_paths])
