"""Analysis floor: the bipartite figure–gene networkx graph of a selection, cut to a node budget, and its layout.

networkx holds only what the user explores (a few hundred to two thousand nodes); whole-corpus counts come from the
sparse incidence matrix in `model`. Node ids are `figure:<figid>`, `gene:<NCBI id>`, `bundle:<figid>` and, when
asked for, `term:chemicals|<key>` / `term:diseases|<key>` (the figures' chemicals and diseases, a third kind of
node); the `bipartite` attribute is 0 for figures and 1 for the rest, as networkx's bipartite algorithms expect.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from threading import Lock

import igraph
import networkx as nx
import numpy as np
from scipy import sparse

from dashboard.analysis.memo import Memo
from dashboard.analysis.model import (
    TERM_KINDS,
    UNSTATED,
    Corpus,
    Selection,
    figures_for_genes,
    first_in_order,
    gene_figure_counts,
)
from dashboard.analysis.selection import filter_selection
from dashboard.analysis.terms import term_index
from dashboard.corpus import columns as C
from dashboard.corpus.numbers import to_int

DEFAULT_BUDGET = 300
LAYOUT_ITERATIONS = 150  # igraph: 500 by default; 150 draw the same views to the eye as 250 did, in 60 % of the time
MAX_BUDGET = 2_000
MIN_BUDGET = 10
FIGURE_SHARE = 10  # one figure per this many nodes of the budget: 30 labelled figures at the default budget
GENES_PER_FIGURE = 4  # gene nodes per drawn figure at most (the most shared ones); the others go in bundles
MIN_GENE_NODES = 40
FIGURE = "figure"
GENE = "gene"
BUNDLE = "bundle"  # one node for a figure's genes that no other drawn figure holds
TERM = "term"  # a chemical or disease the drawn figures mention (only when asked for)
TERM_SHARE = 4  # with terms shown, at most this share of the room left after figures and chosen genes is theirs
TERMS_PER_FIGURE = 3  # and at most this many per drawn figure


def figure_node(figid: str) -> str:
    return f"{FIGURE}:{figid}"


def gene_node(gene_id: int) -> str:
    return f"{GENE}:{gene_id}"


def bundle_node(figid: str) -> str:
    return f"{BUNDLE}:{figid}"


def term_node(kind: str, key: str) -> str:
    return f"{TERM}:{kind}|{key}"


def parse_node(node: str) -> tuple[str, str] | None:
    """`figure:<figid>` / `gene:<id>` / `bundle:<figid>` / `term:<kind>|<key>` → (kind, key); None for anything
    else."""
    kind, _, key = node.partition(":")
    if kind in (FIGURE, GENE, BUNDLE, TERM) and key:
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
    total_genes: int = 0  # genes of the selection's figures
    shown_genes: int = 0  # genes of the drawn figures: nodes of their own, or inside a bundle
    other_species: int = 0  # genes of the selection's figures left out for being of a species not chosen

    @property
    def shown(self) -> int:
        """Nodes drawn (a bundle counts as one)."""
        return self.graph.number_of_nodes()

    @property
    def shown_figures(self) -> int:
        return sum(1 for _, kind in self.graph.nodes(data="kind") if kind == FIGURE)

    @property
    def gene_nodes(self) -> int:
        """Genes drawn as nodes of their own."""
        return sum(1 for _, kind in self.graph.nodes(data="kind") if kind == GENE)

    @property
    def bundles(self) -> int:
        return sum(1 for _, kind in self.graph.nodes(data="kind") if kind == BUNDLE)

    @property
    def term_nodes(self) -> int:
        return sum(1 for _, kind in self.graph.nodes(data="kind") if kind == TERM)

    @property
    def cut(self) -> bool:
        return self.shown_figures < self.total_figures or self.shown_genes < self.total_genes


def clamp_budget(budget: object) -> int:
    """A node budget within [MIN_BUDGET, MAX_BUDGET]; anything unusable (not a whole number) → the default."""
    value = to_int(budget)
    return DEFAULT_BUDGET if value is None else max(MIN_BUDGET, min(MAX_BUDGET, value))


def select_subgraph(
    corpus: Corpus,
    selection: Selection,
    budget: int = DEFAULT_BUDGET,
    expanded: tuple[str, ...] = (),
    centre: str | None = None,
    terms: bool = False,
) -> Subgraph:
    """The part of the selection to draw, structure first: a gene's (or a figure's) neighbourhood, or the most
    connected part of the filtered corpus. Genes that link drawn figures are nodes; each figure's genes that no
    other drawn figure holds are one bundle node (`+N genes`), except for the `expanded` figures. With no gene
    chosen, a `centre` figure puts that figure and the figures sharing most genes with it in view. With `terms`,
    the chemicals and diseases the drawn figures mention are nodes too, those of several figures first. At most
    `budget` nodes, bundles and terms included."""
    budget = clamp_budget(budget)
    mask = filter_selection(corpus, selection)
    matrix = corpus.matrix(selection.exact)
    focus = np.array(sorted(set(selection.genes)), dtype=np.int64)
    centre_row = corpus.figure_row(centre) if centre and not focus.size else None
    degree = None  # per gene, its figures among `figures` (counted below unless a branch already has it)
    if focus.size:
        figures = figures_for_genes(corpus, tuple(focus), selection.match, mask, selection.exact)
        # Figures holding more of the chosen genes first, then the most recent, then by id: deterministic.
        held = np.asarray(corpus.matrix_by_gene(selection.exact)[:, focus].sum(axis=1)).ravel()[figures]
        keys = (figures, -np.nan_to_num(corpus.years[figures], nan=0), -held)
        how = "figures holding the most chosen genes (then newest), and the genes they share most"
    elif centre_row is not None:
        own = matrix.indices[matrix.indptr[centre_row] : matrix.indptr[centre_row + 1]]
        shared = np.asarray(corpus.matrix_by_gene(selection.exact)[:, own].sum(axis=1)).ravel()
        shared[centre_row] = np.inf  # the figure itself first
        figures = np.flatnonzero(mask & (shared > 0))
        keys = (figures, -shared[figures])
        how = "the open figure and the figures sharing most genes with it"
    else:
        figures = np.flatnonzero(mask)
        degree = gene_figure_counts(corpus, figures, selection.exact)
        # A figure scores by the popularity of its genes: the densest, best-connected part of the selection.
        score = np.asarray(matrix @ degree.astype(np.float32)).ravel()[figures]  # no copy of the selected rows
        keys = (figures, -score)
        how = "the figures whose genes recur most, and the genes they share"
    sizes = corpus.figure_sizes(selection.exact)
    with_genes = sizes[figures] > 0
    geneless = int((~with_genes).sum())
    figures, keys = figures[with_genes], tuple(key[with_genes] for key in keys)
    # Figures without genes add to no gene's count: the selection's degrees are its counts.
    counts = degree if degree is not None else gene_figure_counts(corpus, figures, selection.exact)
    # With an organism chosen, only its genes are drawn (and counted in bundles) unless other species are asked for;
    # the chosen genes are drawn whatever their species.
    species = (
        np.isin(corpus.gene_organisms, selection.organisms)
        if selection.organisms and not selection.other_species
        else None
    )  # the genes that may be drawn; None: every gene
    other_species = 0
    if species is not None:
        other_species = int(np.count_nonzero(counts[~species]))
        counts = np.where(species, counts, 0)
    all_genes = np.flatnonzero(counts)
    total = len(figures) + len(all_genes)

    # A figure costs two nodes at most (itself and its bundle) and room for its label; the rest of the budget goes
    # to the genes that link figures. Only the figures drawn are put in order.
    figure_cap = min(len(figures), max(1, budget // FIGURE_SHARE))
    chosen_figures = figures[first_in_order(keys, figure_cap)]
    chosen_counts = gene_figure_counts(corpus, chosen_figures, selection.exact)
    if species is not None:
        drawable = species.copy()
        drawable[focus] = True
        chosen_counts = np.where(drawable, chosen_counts, 0)
    focus_in = np.intersect1d(focus, np.flatnonzero(chosen_counts))
    # Even the chosen genes give way to the budget when there are more of them than room (most figures first).
    focus_in = focus_in[np.lexsort((focus_in, -chosen_counts[focus_in]))][: max(0, budget - 2 * len(chosen_figures))]
    room = max(0, budget - 2 * len(chosen_figures) - len(focus_in))
    term_room = min(room // TERM_SHARE, TERMS_PER_FIGURE * len(chosen_figures)) if terms else 0
    room -= term_room
    core = min(room, max(MIN_GENE_NODES, GENES_PER_FIGURE * len(chosen_figures)))  # a readable core
    shared = np.setdiff1d(np.flatnonzero(chosen_counts >= 2), focus_in)
    shared = shared[np.lexsort((shared, -counts[shared], -chosen_counts[shared]))][:core]
    room -= len(shared)  # an opened bundle may use the whole budget
    private: list[np.ndarray] = []
    for figid in dict.fromkeys(expanded):
        row = corpus.figure_row(figid)
        if row is None or room <= 0 or row not in set(chosen_figures.tolist()):
            continue
        own = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
        own = own[species[own]] if species is not None else own
        own = np.setdiff1d(own, np.concatenate([focus_in, shared, *private]))
        own = own[np.lexsort((own, -counts[own]))][:room]
        private.append(own)
        room -= len(own)
    chosen_genes = np.unique(np.concatenate([focus_in, shared, *private]).astype(np.int64))
    graph = build_graph(corpus, chosen_figures, chosen_genes, selection.exact, focus=set(focus.tolist()))
    if species is not None:  # bundles hold the drawn figures' genes of the species
        sizes = species_sizes(matrix, species, chosen_figures)
    _add_bundles(corpus, graph, chosen_figures, sizes)
    if terms:
        _add_terms(corpus, graph, chosen_figures, term_room + max(0, room), TERMS_PER_FIGURE * len(chosen_figures))
    mark_unstated_species(graph)
    # A figure none of whose genes made the cut would float alone and say nothing: leave it out.
    graph.remove_nodes_from([n for n in list(nx.isolates(graph)) if graph.nodes[n]["kind"] == FIGURE])
    drawn = np.array([data["row"] for _, data in graph.nodes(data=True) if data["kind"] == FIGURE], dtype=np.int64)
    return Subgraph(
        graph=graph,
        total_nodes=total,
        total_figures=len(figures),
        how=how,
        geneless=geneless,
        total_genes=len(all_genes),
        shown_genes=int(
            np.count_nonzero(
                gene_figure_counts(corpus, drawn, selection.exact) * (species if species is not None else 1)
            )
        ),
        other_species=other_species,
    )


def species_sizes(matrix: sparse.csr_matrix, species: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The given figures' numbers of genes of the species (a mask over genes), in an array over every figure: only
    the figures drawn are counted, not the whole corpus on every draw."""
    sizes = np.zeros(matrix.shape[0], dtype=np.int64)
    sizes[rows] = np.asarray(matrix[rows] @ species.astype(np.float32)).ravel().astype(np.int64)
    return sizes


def mark_unstated_species(graph: nx.Graph) -> None:
    """Mark each drawn gene whose species none of its drawn figures states (`unstated_species`), where those
    figures state any: a mouse figure whose OCR read the fly's `rl` draws it marked."""
    for node, data in graph.nodes(data=True):
        if data["kind"] != GENE:
            continue
        stated = {
            name
            for figure in graph[node]
            if graph.nodes[figure]["kind"] == FIGURE
            for name in str(graph.nodes[figure].get("organisms") or "").split(", ")
            if name and name != UNSTATED
        }
        data["unstated_species"] = bool(stated) and data.get("organism") not in stated


def _add_bundles(corpus: Corpus, graph: nx.Graph, figure_rows: np.ndarray, sizes: np.ndarray) -> None:
    """One bundle node per drawn figure for its genes that are not drawn as nodes, sized by their number."""
    figids = corpus.figids[figure_rows]
    for row, figid in zip(figure_rows.tolist(), figids, strict=True):
        node = figure_node(figid)
        rest = int(sizes[row]) - graph.degree(node)
        if rest > 0:
            bundle = bundle_node(figid)
            graph.add_node(
                bundle,
                bipartite=1,
                kind=BUNDLE,
                label=f"+{rest:,} gene{'s' if rest > 1 else ''}",  # the figure's genes not drawn as nodes
                key=figid,
                count=rest,
                figure=graph.nodes[node]["label"],
            )
            graph.add_edge(node, bundle)


def _add_terms(corpus: Corpus, graph: nx.Graph, figure_rows: np.ndarray, room: int, most: int) -> None:
    """The chemicals and diseases the drawn figures mention, as nodes linked to those figures: first those that
    several drawn figures mention (more of them first), then those in more figures of the corpus; at most
    min(room, most) of them."""
    drawn = np.zeros(corpus.n_figures, dtype=bool)
    drawn[figure_rows] = True
    candidates = []  # (drawn figures, corpus figures, kind, term)
    for kind in TERM_KINDS:
        index = term_index(corpus, kind)
        if not len(index.keys):
            continue
        owner = np.repeat(np.arange(len(index.keys)), index.counts)
        inside = np.bincount(owner[drawn[index.figure_rows]], minlength=len(index.keys))
        for term in np.flatnonzero(inside):
            candidates.append((int(inside[term]), int(index.counts[term]), kind, int(term)))
    candidates.sort(key=lambda c: (-c[0], -c[1], c[2], c[3]))
    for _, _, kind, term in candidates[: max(0, min(room, most))]:
        index = term_index(corpus, kind)
        key = str(index.keys[term])
        node = term_node(kind, key)
        graph.add_node(
            node,
            bipartite=1,
            kind=TERM,
            label=str(index.names[term]),
            key=f"{kind}|{key}",
            term_kind=kind,
            ids=", ".join(index.ids[term]),
            figures=int(index.counts[term]),
        )
        rows = index.rows_of(term)
        graph.add_edges_from((node, figure_node(f)) for f in corpus.figids[rows[drawn[rows]]])


OVERLAP_LEFT = 0.5  # pixels two discs may still overlap when spreading stops: less than the eye sees


def spread_layout(positions: np.ndarray, radii: np.ndarray, gap: float = 2.0, rounds: int = 200) -> np.ndarray:
    """Move nodes apart until no two discs overlap (centres at least r_i + r_j + gap apart), keeping the layout's
    shape: each round pushes every overlapping pair apart along the line between them by half the shortfall.

    The pairs close enough to overlap are found with a k-d tree over a wider reach (a Verlet list: reach plus a
    skin) and reused while no node has moved half the skin since: rounds then cost a few array operations
    instead of a tree each (the tree was 80 % of a 200-node picture's time)."""
    from scipy.spatial import cKDTree  # imported on first use, as in `enrich`

    points = np.asarray(positions, dtype=float)
    if len(points) < 2:
        return points.copy()
    reach = 2 * float(radii.max()) + gap
    skin = max(0.25 * reach, 2 * gap)
    n = len(points)
    # The coordinates as two flat arrays: taking pairs' values from them is several times faster than from rows.
    x, y = points[:, 0].copy(), points[:, 1].copy()
    built_x = built_y = None
    for attempt in range(rounds):
        if built_x is None or 2 * float(np.hypot(x - built_x, y - built_y).max()) > skin:
            # A pair comes closer by at most twice the largest move since the list was made: within the skin, none
            # is missed. Kept: the pairs within their own reach (their radii) plus the skin.
            found = cKDTree(np.column_stack([x, y])).query_pairs(reach + skin, output_type="ndarray")
            i, j = found[:, 0], found[:, 1]
            need = radii[i] + radii[j] + gap
            near = np.hypot(x[j] - x[i], y[j] - y[i]) < need + skin
            i, j, need = i[near], j[near], need[near]
            built_x, built_y = x.copy(), y.copy()
            if not len(i):
                break
        dx, dy = x[j] - x[i], y[j] - y[i]
        distance = np.hypot(dx, dy)
        shortfall = need - distance
        if float(shortfall.max()) < OVERLAP_LEFT:
            break
        coincident = distance <= 1e-9
        if coincident.any():  # coincident nodes get a deterministic direction of their own
            angle = (i * 2.399963 + j * 0.618 + attempt) % (2 * np.pi)
            dx[coincident], dy[coincident] = np.cos(angle[coincident]), np.sin(angle[coincident])
            distance[coincident] = 1.0
        # Each overlapping pair is pushed apart by half its shortfall (and a hair more); the others not at all.
        step = np.where(shortfall > 0, shortfall / 2 + 0.01, 0.0) / distance
        # bincount sums the pushes per node far faster than np.add.at
        dx *= step
        dy *= step
        x += np.bincount(j, dx, minlength=n) - np.bincount(i, dx, minlength=n)
        y += np.bincount(j, dy, minlength=n) - np.bincount(i, dy, minlength=n)
    return np.column_stack([x, y])


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
    organisms = [", ".join(corpus.figure_organisms[row]) for row in figure_rows.tolist()]
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
                "organisms": organism,
            },
        )
        for row, figid, title, year, organism in zip(
            figure_rows.tolist(), figids, titles, years, organisms, strict=True
        )
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


LAYOUTS_KEPT = 64  # the same selection is drawn again on every filter round-trip
_layouts = Memo()  # a layout depends on the graph alone, not on its corpus: one memo for the process
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

    def lay_out() -> dict[str, tuple[float, float]]:
        with _igraph_lock:  # igraph draws its starting positions from one process-wide generator
            igraph.set_random_number_generator(random.Random(seed))  # noqa: S311 - layout, not security
            graph = igraph.Graph(n=len(nodes), edges=edges)
            coords = graph.layout_fruchterman_reingold(niter=LAYOUT_ITERATIONS).coords
        return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, coords, strict=True)}

    return _layouts.get("layouts", (key, seed), lay_out, keep=LAYOUTS_KEPT)
