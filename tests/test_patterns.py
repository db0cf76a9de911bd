"""Analysis floor: timelines, the co-occurrence network with communities, and paths between genes — each checked
against an independent computation (pandas on the link table, networkx on the whole bipartite graph); and where
the co-occurrence figure puts its legend."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis.graph import build_graph
from dashboard.analysis.model import figures_for_genes, filter_figures
from dashboard.analysis.patterns import build_cooccurrence, build_timeline, community_name, find_paths
from dashboard.web.cooccurrence import to_figure


def test_timeline_counts_years_and_first_appearances(seed_corpus):
    rankl = seed_corpus.gene_row(8600)
    mask = filter_figures(seed_corpus)
    rows = figures_for_genes(seed_corpus, (rankl,))
    timeline = build_timeline(seed_corpus, rows, mask, (rankl,))
    links = seed_corpus.links.merge(seed_corpus.figures[["figid", "year"]], on="figid")
    years = links.loc[links["gene_id"] == 8600, "year"].dropna().astype(int)
    assert timeline.years == years.value_counts().sort_index().to_dict()
    assert timeline.first_year == {8600: int(years.min())}
    all_years = seed_corpus.figures["year"].dropna().astype(int).value_counts()
    year = int(years.min())
    assert timeline.share(year) == pytest.approx(timeline.years[year] / all_years[year])
    # A filter that keeps only the selection (a search, a chemical) narrows the selection, not the year's figures.
    only = np.zeros(seed_corpus.n_figures, dtype=bool)
    only[rows] = True
    narrowed = build_timeline(seed_corpus, rows, only, (rankl,))
    assert narrowed.share(year) == pytest.approx(timeline.years[year] / all_years[year])
    assert narrowed.share(year) < 1


def test_cooccurrence_counts_jaccard_p_and_communities(seed_corpus):
    rows = np.flatnonzero(filter_figures(seed_corpus, ("Homo sapiens",)))
    result = build_cooccurrence(seed_corpus, rows, top=40)
    graph = result.graph
    assert graph.number_of_nodes() == 40 and graph.number_of_edges() > 0
    chosen = set(seed_corpus.figids[rows])
    links = seed_corpus.links[seed_corpus.links["figid"].astype(str).isin(chosen)]
    sets = links.groupby("gene_id")["figid"].apply(set)
    for u, v, data in itertools.islice(graph.edges(data=True), 30):
        a, b = sets[graph.nodes[u]["ncbi_id"]], sets[graph.nodes[v]["ncbi_id"]]
        assert data["shared"] == len(a & b) and data["jaccard"] == pytest.approx(len(a & b) / len(a | b))
        expected = stats.hypergeom.sf(len(a & b) - 1, len(rows), len(a), len(b))
        assert data["p_value"] == pytest.approx(expected, rel=1e-9)
    again = build_cooccurrence(seed_corpus, rows, top=40)
    assert result.communities == again.communities  # Louvain with a fixed seed
    members = {row for community in result.communities for row in community}
    assert members == set(graph)  # every gene in one community (a gene sharing no figure, alone in its own)
    assert community_name(result, 0).count(" · ") <= 2


def independent_paths(corpus, start_id: int, end_id: int, mask) -> list[list[str]]:
    graph = build_graph(corpus, np.flatnonzero(mask))
    try:
        return list(nx.all_shortest_paths(graph, f"gene:{start_id}", f"gene:{end_id}"))
    except nx.NetworkXNoPath:
        return []


@pytest.mark.parametrize(("start", "end"), [(8600, 207), (8600, 8792), (7157, 5594), (8600, 1969)])
def test_paths_are_the_shortest_ones(seed_corpus, start, end):
    mask = filter_figures(seed_corpus)
    found = find_paths(seed_corpus, seed_corpus.gene_row(start), seed_corpus.gene_row(end), mask, max_paths=500)
    expected = independent_paths(seed_corpus, start, end, mask)
    assert found.length == (len(expected[0]) - 1) // 2

    def name(step):
        kind, row = step
        return f"gene:{seed_corpus.gene_ids[row]}" if kind == "gene" else f"figure:{seed_corpus.figids[row]}"

    assert sorted([name(s) for s in p] for p in found.paths) == sorted(expected)


def test_no_path_under_the_filters(seed_corpus):
    mask = filter_figures(seed_corpus, years=(1900, 1901))
    assert find_paths(seed_corpus, seed_corpus.gene_row(8600), seed_corpus.gene_row(207), mask).length is None
    few = find_paths(seed_corpus, seed_corpus.gene_row(8600), seed_corpus.gene_row(207), filter_figures(seed_corpus))
    assert len(few.paths) <= 5
    assert pd.Series([len(p) for p in few.paths]).nunique() == 1


def test_cooccurrence_and_partners_stay_in_one_species(seed_corpus):
    """'ERK' is read as human MAPK1 and fly rl: they must not appear to travel together."""
    from dashboard.analysis.enrich import gene_partners

    rows = figures_for_genes(seed_corpus, (seed_corpus.gene_row(5594), seed_corpus.gene_row(7157)))
    mixed = build_cooccurrence(seed_corpus, rows, top=40)
    human = build_cooccurrence(seed_corpus, rows, top=40, species="Homo sapiens")
    species = {seed_corpus.gene_organisms[r] for r in mixed.graph}
    assert len(species) > 1  # the selection's figures do hold genes of several species
    assert {seed_corpus.gene_organisms[r] for r in human.graph} == {"Homo sapiens"}
    tp53 = seed_corpus.gene_row(7157)
    partners = gene_partners(seed_corpus, tp53, limit=50)
    assert len(partners) and set(partners["organism"]) == {"Homo sapiens"}


MODEBAR_HEIGHT = 30  # px: plotly's toolbar, drawn over the top right corner of the figure


def test_the_cooccurrence_legend_keeps_clear_of_the_modebar(seed_corpus):
    """The modebar sits in the figure's top right corner, inside the top margin: a legend there (plotly's default,
    x 1.02 and y 1, with a 6 px top margin) had its title under the toolbar. The legend lies wholly below the
    plot area (its top anchored at or below the plot's bottom), or else the top margin leaves the toolbar's room
    above it."""
    rows = np.flatnonzero(filter_figures(seed_corpus, ("Homo sapiens",)))
    figure = to_figure(build_cooccurrence(seed_corpus, rows, top=40))
    layout = figure["layout"]
    legend = layout["legend"]
    assert legend["title"]["text"] and sum(t.get("showlegend", True) for t in figure["data"]) >= 2
    below = legend.get("yanchor") == "top" and legend.get("y", 1) <= 0
    room_above = layout.get("margin", {}).get("t", 100) >= MODEBAR_HEIGHT and legend.get("y", 1) <= 1
    assert below or room_above, legend
    if below:  # in rows under the plot, not a column beside it pushed off the bottom
        assert legend.get("orientation") == "h" and legend.get("xanchor", "left") == "left"
