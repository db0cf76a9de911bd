"""Web floor: what the current selection exports as — figures (CSV), figure gene sets (GMT), the drawn subgraph
(GraphML, and Cytoscape.js JSON for Cytoscape and NDEx) and enrichment results (TSV) — and one figure's genes (TSV),
with file names that say what they hold."""

from __future__ import annotations

import io
import json
import math
import re

import networkx as nx
import numpy as np
import pandas as pd

from dashboard.analysis.enrich import DEFAULT_MIN_SIZE, SET_SIZES_KEPT, Enrichment
from dashboard.analysis.graph import BUNDLE, DEFAULT_BUDGET, FIGURE, GENE, TERM, Subgraph, select_subgraph
from dashboard.analysis.model import Corpus, Selection, figure_table, genes_of_figure, main_species
from dashboard.analysis.selection import selection_figures
from dashboard.analysis.terms import term_index
from dashboard.corpus import columns as C
from dashboard.web.state import ViewState, gene_token, to_query, to_selection

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def export_name(
    corpus: Corpus,
    state: ViewState,
    what: str,
    extension: str,
    species: str | None = None,
    listed: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
) -> str:
    """`pfocr-<what>[_<species>][_list-…][_genes-…][_organisms-…][_years-…][_exact][_<extra>…].<ext>`, safe for
    any file system; `listed` names a gene list (an enrichment query) by its first genes and its size, `extra`
    adds parts of the export's own (see `network_export_name`)."""
    parts = [f"pfocr-{what}"]
    if species:
        parts.append(species)
    if listed:
        more = f"-etc-{len(listed)}-genes" if len(listed) > 3 else ""
        parts.append("list-" + "+".join(listed[:3]) + more)
    if state.genes:
        genes = "+".join(gene_token(corpus, g) for g in state.genes[:5])
        parts.append(f"genes-{genes}" + ("-etc" if len(state.genes) > 5 else "") + f"-{state.match}")
    if state.organisms:
        parts.append("organisms-" + "+".join(state.organisms[:3]) + ("-etc" if len(state.organisms) > 3 else ""))
    if state.years:
        parts.append(f"years-{state.years[0]}-{state.years[1]}")
    if state.exact:
        parts.append("exact")
    parts.extend(extra)
    return _UNSAFE.sub("-", "_".join(parts))[:180] + f".{extension}"


def network_export_name(corpus: Corpus, state: ViewState, extension: str) -> str:
    """`export_name` of the drawn network, plus what only the network depends on: the figure it centres on (with no
    gene chosen), the bundles opened, chemicals and diseases shown, a budget other than the default — e.g.
    `pfocr-network_genes-TP53-any_terms.cyjs`."""
    extra = []
    if state.figure and not state.genes:
        extra.append(f"figure-{state.figure}")
    if state.expanded:
        extra.append(f"expand-{len(state.expanded)}")
    if state.show_terms:
        extra.append("terms")
    if state.budget != DEFAULT_BUDGET:
        extra.append(f"budget-{state.budget}")
    return export_name(corpus, state, "network", extension, extra=tuple(extra))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)
    get a leading apostrophe, as OWASP advises for CSV exports; numbers and other text are left alone."""
    table = table.copy()
    for column in table.columns:
        if table[column].dtype == object or pd.api.types.is_string_dtype(table[column]):
            table[column] = [
                f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_START) else value
                for value in table[column]
            ]
    return table


def to_figures_csv(corpus: Corpus, state: ViewState) -> str:
    """The selection's figures with their fields and gene counts, as CSV."""
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, selection)
    table = figure_table(corpus, selection, rows)
    fields = corpus.figures[[C.PMCID, C.PAPER_TITLE, C.REFTEXT, C.FIGURE_URL, C.DOI_URL]].iloc[rows]
    table = pd.concat([table.reset_index(drop=True), fields.reset_index(drop=True)], axis=1)
    table[C.YEAR] = table[C.YEAR].astype("Int64")
    return defuse_formulas(table).to_csv(index=False)


def to_gmt(corpus: Corpus, state: ViewState) -> tuple[str | None, str]:
    """The selection's figure gene sets as GMT (name = figid, description = figure link, then symbols), in one
    species — that of the chosen genes, else of most links — so that GSEA can use them: each symbol once per
    set, genes without a symbol left out, no empty sets. Returns (species, text)."""
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, selection)
    species = main_species(corpus, selection, rows)
    if species is None:
        return None, ""
    own = corpus.species_mask(species)
    matrix = corpus.matrix(state.exact)[rows].tocsr()
    urls = corpus.figures[C.FIGURE_URL].iloc[rows].fillna("").to_numpy(dtype=object)
    lines = []
    for position, row in enumerate(rows):
        genes = matrix.indices[matrix.indptr[position] : matrix.indptr[position + 1]]
        symbols = sorted({corpus.symbols[g] for g in genes if own[g] and corpus.symbols[g]}, key=str.casefold)
        if symbols:
            lines.append("\t".join([str(corpus.figids[row]), urls[position] or "na", *symbols]))
    return species, "\n".join(lines) + ("\n" if lines else "")


def drawn_subgraph(corpus: Corpus, state: ViewState) -> Subgraph:
    """The subgraph the network view draws for a view state (what every network export holds)."""
    selection = to_selection(corpus, state)
    return select_subgraph(corpus, selection, state.budget, state.expanded, state.figure, state.show_terms)


def to_graphml(corpus: Corpus, state: ViewState) -> str:
    """The subgraph the network view draws for this selection, as GraphML (attributes without missing values)."""
    graph = drawn_subgraph(corpus, state).graph
    clean = nx.Graph()
    for node, data in graph.nodes(data=True):
        clean.add_node(node, **{k: v for k, v in data.items() if v is not None and k != "row"})
    clean.add_edges_from(graph.edges)
    return "\n".join(nx.generate_graphml(clean))


CYTOSCAPE_KINDS = ("figure", "gene", "bundle", "chemical", "disease")  # `kind` of a node, in the file's order
_TERM_KIND = {"chemicals": "chemical", "diseases": "disease"}


def _cytoscape_node(corpus: Corpus, node: str, data: dict, members: dict[str, list[dict]]) -> dict:
    """One node's Cytoscape.js `data`: id, kind, label and what the kind has to say, all JSON-native; a bundle's
    `members` are the genes it stands for (see `bundle_members`)."""
    kind = data["kind"]
    if kind == FIGURE:
        row = int(data["row"])
        return {
            "id": node,
            "kind": "figure",
            "label": str(data["label"]),  # the whole title (the figid where it has none)
            "figid": str(data["key"]),
            "year": None if data["year"] is None else int(data["year"]),
            "organisms": [str(o) for o in corpus.figure_organisms[row]],
        }
    if kind == GENE:
        row = int(data["row"])
        return {
            "id": node,
            "kind": "gene",
            "label": corpus.gene_label(row),
            "ncbi_id": int(corpus.gene_ids[row]),
            "organism": str(corpus.gene_organisms[row]),
            "chosen": bool(data["focus"]),
        }
    if kind == BUNDLE:
        return {
            "id": node,
            "kind": "bundle",
            "label": str(data["label"]),
            "figid": str(data["key"]),
            "genes": int(data["count"]),
            "members": members.get(node, []),
        }
    if kind == TERM:
        term_kind = str(data["term_kind"])
        key = str(data["key"]).partition("|")[2]
        index = term_index(corpus, term_kind)
        term = index.position.get(key.lower())
        return {
            "id": node,
            "kind": _TERM_KIND[term_kind],
            "label": str(data["label"]),
            "term_id": key,  # what `chemicals=` / `diseases=` take
            "ids": [] if term is None else [str(i) for i in index.ids[term]],
            "figures": int(data["figures"]),  # figures of the corpus mentioning it
        }
    raise ValueError(f"node {node!r} is of no known kind ({kind!r})")


def bundle_members(corpus: Corpus, state: ViewState, graph: nx.Graph) -> dict[str, list[dict]]:
    """Each bundle node → the genes it stands for, `{"ncbi_id", "label", "organism"}` by symbol: its figure's genes
    (under the exact switch; with an organism chosen and other species not asked for, those of the chosen
    organisms, as the bundle counts them) that are not drawn as nodes next to the figure."""
    matrix = corpus.matrix(state.exact)
    species = np.isin(corpus.gene_organisms, state.organisms) if state.organisms and not state.other_species else None
    found: dict[str, list[dict]] = {}
    for node, data in graph.nodes(data=True):
        if data["kind"] != BUNDLE:
            continue
        figure = f"{FIGURE}:{data['key']}"
        row = int(graph.nodes[figure]["row"])
        own = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
        if species is not None:
            own = own[species[own]]
        drawn = {int(graph.nodes[n]["row"]) for n in graph[figure] if graph.nodes[n]["kind"] == GENE}
        rows = sorted((int(g) for g in own if int(g) not in drawn), key=lambda g: (corpus.gene_label(g).casefold(), g))
        found[node] = [
            {
                "ncbi_id": int(corpus.gene_ids[g]),
                "label": corpus.gene_label(g),
                "organism": str(corpus.gene_organisms[g]),
            }
            for g in rows
        ]
    return found


def _node_order(element: dict) -> tuple:
    data = element["data"]
    return CYTOSCAPE_KINDS.index(data["kind"]), data.get("ncbi_id", 0), data["id"]


def to_cytoscape_json(corpus: Corpus, state: ViewState) -> dict:
    """The subgraph the network view draws for this view state, in Cytoscape.js's JSON (`cy.json()`), which
    Cytoscape imports and sends on to NDEx: `{"data": {"name", "view"}, "elements": {"nodes": [{"data": {"id",
    "kind", "label", …}}], "edges": [{"data": {"id", "source", "target"}}]}}`. Node ids are the graph's
    (`figure:<figid>`, `gene:<NCBI id>`, `bundle:<figid>`, `term:<chemicals|diseases>|<key>`); every edge runs from
    a figure to its gene, bundle, chemical or disease. A bundle keeps the genes it stands for in `members` (each
    `{"ncbi_id", "label", "organism"}`), so that no gene is lost on the way to Cytoscape. Nodes by kind (figures,
    genes, bundles, chemicals, diseases) then id, edges in their nodes' order: the same view always gives the same
    file."""
    graph = drawn_subgraph(corpus, state).graph
    members = bundle_members(corpus, state, graph)
    nodes = sorted(
        ({"data": _cytoscape_node(corpus, n, d, members)} for n, d in graph.nodes(data=True)), key=_node_order
    )
    position = {element["data"]["id"]: i for i, element in enumerate(nodes)}
    ends = []
    for u, v in graph.edges:
        source, target = (u, v) if graph.nodes[u]["kind"] == FIGURE else (v, u)
        ends.append((position[source], position[target], source, target))
    ends.sort()
    edges = [{"data": {"id": f"{source}~{target}", "source": source, "target": target}} for *_, source, target in ends]
    name = network_export_name(corpus, state, "cyjs").removesuffix(".cyjs")
    return {"data": {"name": name, "view": to_query(corpus, state)}, "elements": {"nodes": nodes, "edges": edges}}


def to_cyjs(corpus: Corpus, state: ViewState) -> str:
    """`to_cytoscape_json` as the text of a `.cyjs` file (UTF-8, names as written)."""
    return json.dumps(to_cytoscape_json(corpus, state), ensure_ascii=False, indent=1) + "\n"


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def to_enrichment_tsv(result: Enrichment, query: dict | None = None) -> str:
    """Enrichment results as TSV (overlapping genes and their NCBI ids comma-separated), after `#` comment lines
    that say what was tested: the list, its species, the background and the smallest set size."""
    table = result.results.drop(columns=["row"]).copy()
    table[C.YEAR] = pd.array([None if np.isnan(y) else int(y) for y in table[C.YEAR]], dtype="Int64")
    table["overlap_genes"] = [",".join(genes) for genes in table["overlap_genes"]]
    table["overlap_ids"] = [",".join(map(str, genes)) for genes in table["overlap_ids"]]
    if "overlap_entries" in table:  # the list's own entries behind each overlapping gene, `;` between genes
        table["overlap_entries"] = [";".join(entries) for entries in table["overlap_entries"]]
    query = query or {}
    background = "given list" if result.background is not None else "the species' genes in the filtered figures"
    header = [
        f"# PFOCR figure enrichment: {result.genes.entries:,} entries, {len(result.genes.rows):,} genes recognised",
        f"# species: {result.species or 'none'}" + (" (named by most entries)" if result.genes.inferred else ""),
        f"# background: {background}, {result.background_size:,} genes",
        f"# smallest set tested: {query.get('min_size', DEFAULT_MIN_SIZE)}; figure gene sets tested: {result.tested:,}",
        "# genes (symbol:NCBI id): " + " ".join(result.query_genes),
    ]
    if result.orthologs is not None:
        mapping = result.orthologs
        header.insert(
            2,
            f"# list species: {mapping.list_species or 'none'}, mapped through orthologs ({mapping.source}): "
            + " ".join(f"{m.entry}>{m.ortholog_symbol}:{m.ortholog_ncbi_id}" for m in mapping.mapped),
        )
    buffer = io.StringIO()
    buffer.write("\n".join(header) + "\n")
    defuse_formulas(table).to_csv(buffer, sep="\t", index=False)
    return buffer.getvalue()


def to_enrichment_records(result: Enrichment, limit: int) -> list[dict]:
    """The top results as JSON-ready dicts (an infinite or undefined odds ratio becomes null)."""
    records = []
    for row in result.results.head(limit).to_dict("records"):
        records.append(
            {
                "figid": row[C.FIGID],
                "title": row[C.TITLE],
                "year": None if np.isnan(row[C.YEAR]) else int(row[C.YEAR]),
                "overlap": int(row["overlap"]),
                "set_size": int(row["set_size"]),
                "p_value": float(row["p_value"]),
                "fdr": float(row["fdr"]),
                "odds_ratio": _finite(row["odds_ratio"]),
                "overlap_genes": list(row["overlap_genes"]),
                "overlap_ids": list(row["overlap_ids"]),
                **({"overlap_entries": list(row["overlap_entries"])} if "overlap_entries" in row else {}),
            }
        )
    return records


FAMILY_SOURCES = frozenset({"famplex_relations", "bioentities_symbol"})  # a family name read as its member genes
NCBI_GENE_URL = "https://www.ncbi.nlm.nih.gov/gene/{}"


def match_kind(exact: bool, sources: list[str]) -> str:
    """How a gene was read in a figure: `exact` (its own symbol), `family` (a family name expanded to its member
    genes) or `alias` (a synonym or previous symbol)."""
    if exact:
        return "exact"
    return "family" if FAMILY_SOURCES.intersection(sources) else "alias"


def to_figure_genes_tsv(corpus: Corpus, figid: str, exact: bool = False) -> str | None:
    """A figure's genes as TSV, after a `#` line naming the figure: symbol, organism, NCBI Gene id and link, the
    words printed in the figure (`;`-separated), how the gene was matched and through which sources. None for a
    figure that is not in the corpus."""
    row = corpus.figure_row(figid)
    if row is None:
        return None
    genes = genes_of_figure(corpus, row, exact)
    table = pd.DataFrame(
        {
            "symbol": genes[C.SYMBOL],
            "organism": genes[C.ORGANISM],
            "ncbi_gene_id": genes[C.GENE_ID],
            "ncbi_gene_url": [NCBI_GENE_URL.format(g) for g in genes[C.GENE_ID]],
            "printed_as": [";".join(w for w in words if w) for words in genes[C.WORDS]],
            "match": [match_kind(e, s) for e, s in zip(genes[C.EXACT], genes[C.SOURCES], strict=True)],
            "sources": [";".join(s) for s in genes[C.SOURCES]],
        }
    )
    buffer = io.StringIO()
    buffer.write(f"# PFOCR figure {figid}: {len(table):,} genes" + (", exact symbol matches only" if exact else ""))
    buffer.write("\n")
    defuse_formulas(table).to_csv(buffer, sep="\t", index=False, lineterminator="\n")
    return buffer.getvalue()


def figure_genes_name(figid: str, exact: bool = False) -> str:
    """`pfocr-genes_<figid>[_exact].tsv`, safe for any file system."""
    return _UNSAFE.sub("-", f"pfocr-genes_{figid}" + ("_exact" if exact else ""))[:180] + ".tsv"


def has_gene_sets(corpus: Corpus, selection: Selection, rows: np.ndarray) -> bool:
    """Whether the GMT of a selection (its figure `rows`) holds a set: some figure has a gene with a symbol in the
    file's species (what `to_gmt` tests, without writing the file)."""
    species = main_species(corpus, selection, rows)
    if species is None or not len(rows):
        return False
    return bool(_figures_with_symbols(corpus, species, selection.exact)[rows].any())


def _figures_with_symbols(corpus: Corpus, species: str, exact: bool) -> np.ndarray:
    """Per figure, whether it holds a gene with a symbol of the species: one product over the whole matrix per
    species and switch, kept (read-only) for every later selection, instead of one per selection change."""

    def find() -> np.ndarray:
        usable = (corpus.species_mask(species) & (corpus.symbols != "")).astype(np.float32)
        found = np.asarray(corpus.matrix(exact) @ usable).ravel() > 0
        found.flags.writeable = False
        return found

    return corpus.memo.get("figures with symbols", (species, exact), find, keep=SET_SIZES_KEPT)


def export_blockers(corpus: Corpus, state: ViewState, query: dict | None) -> dict[str, str]:
    """Why an export has nothing to give, by export (`figures`, `gene-sets`, `network`, `enrichment`); an export
    that has something is not named."""
    blockers: dict[str, str] = {}
    if not isinstance(query, dict) or not query.get("genes"):
        blockers["enrichment"] = "Run an enrichment first: there are no results to export yet."
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, selection)
    if not len(rows):
        empty = "No figures in this selection: nothing to export."
        return {**blockers, "figures": empty, "gene-sets": empty, "network": empty}
    if not has_gene_sets(corpus, selection, rows):
        blockers["gene-sets"] = "No figure of this selection has a gene with a symbol: no gene sets to export."
    if not corpus.figure_sizes(state.exact)[rows].any():
        blockers["network"] = "The figures of this selection hold no genes: no network to export."
    return blockers
