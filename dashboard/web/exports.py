"""Web floor: what the current selection exports as — figures (CSV), figure gene sets (GMT), the drawn subgraph
(GraphML) and enrichment results (TSV) — with file names that say what they hold."""

from __future__ import annotations

import io
import math
import re

import networkx as nx
import numpy as np
import pandas as pd

from dashboard.analysis.enrich import Enrichment
from dashboard.analysis.graph import select_subgraph
from dashboard.analysis.model import Corpus, figure_table, selection_figures
from dashboard.corpus import columns as C
from dashboard.web.state import ViewState, gene_token, to_selection

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def export_name(corpus: Corpus, state: ViewState, what: str, extension: str) -> str:
    """`pfocr-<what>[_genes-…][_organisms-…][_years-…][_exact].<ext>`, safe for any file system."""
    parts = [f"pfocr-{what}"]
    if state.genes:
        genes = "+".join(gene_token(corpus, g) for g in state.genes[:5])
        parts.append(f"genes-{genes}" + ("-etc" if len(state.genes) > 5 else "") + f"-{state.match}")
    if state.organisms:
        parts.append("organisms-" + "+".join(state.organisms[:3]) + ("-etc" if len(state.organisms) > 3 else ""))
    if state.years:
        parts.append(f"years-{state.years[0]}-{state.years[1]}")
    if state.exact:
        parts.append("exact")
    return _UNSAFE.sub("-", "_".join(parts))[:180] + f".{extension}"


def to_figures_csv(corpus: Corpus, state: ViewState) -> str:
    """The selection's figures with their fields and gene counts, as CSV."""
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, selection)
    table = figure_table(corpus, selection, rows)
    fields = corpus.figures[[C.PMCID, C.PAPER_TITLE, C.REFTEXT, C.FIGURE_URL, C.DOI_URL]].iloc[rows]
    table = pd.concat([table.reset_index(drop=True), fields.reset_index(drop=True)], axis=1)
    table[C.YEAR] = table[C.YEAR].astype("Int64")
    return table.to_csv(index=False)


def to_gmt(corpus: Corpus, state: ViewState) -> str:
    """One line per figure of the selection: figid, link, gene symbols (tab-separated, GMT)."""
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, selection)
    matrix = corpus.matrix(state.exact)[rows].tocsr()
    urls = corpus.figures[C.FIGURE_URL].iloc[rows].fillna("").to_numpy(dtype=str)
    lines = []
    for position, row in enumerate(rows):
        genes = matrix.indices[matrix.indptr[position] : matrix.indptr[position + 1]]
        symbols = sorted({corpus.gene_label(int(g)) for g in genes})
        lines.append("\t".join([str(corpus.figure_index[row]), urls[position], *symbols]))
    return "\n".join(lines) + ("\n" if lines else "")


def to_graphml(corpus: Corpus, state: ViewState) -> str:
    """The subgraph the network view draws for this selection, as GraphML (attributes without missing values)."""
    graph = select_subgraph(corpus, to_selection(corpus, state), state.budget).graph
    clean = nx.Graph()
    for node, data in graph.nodes(data=True):
        clean.add_node(node, **{k: v for k, v in data.items() if v is not None and k != "row"})
    clean.add_edges_from(graph.edges)
    return "\n".join(nx.generate_graphml(clean))


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def to_enrichment_tsv(result: Enrichment) -> str:
    """Enrichment results as TSV (overlapping genes comma-separated)."""
    table = result.results.drop(columns=["row"]).copy()
    table[C.YEAR] = pd.array([None if np.isnan(y) else int(y) for y in table[C.YEAR]], dtype="Int64")
    table["overlap_genes"] = [",".join(genes) for genes in table["overlap_genes"]]
    buffer = io.StringIO()
    table.to_csv(buffer, sep="\t", index=False)
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
            }
        )
    return records
