"""Analysis floor: the bipartite graph, the budgeted subgraph and the layout."""

from __future__ import annotations

import json
import subprocess
import sys

import networkx as nx
import numpy as np
from conftest import SEEDS
from hypothesis import given, settings
from hypothesis import strategies as st
from networkx.algorithms import bipartite

from dashboard.analysis.graph import (
    MAX_BUDGET,
    build_graph,
    clamp_budget,
    layout_graph,
    parse_node,
    select_subgraph,
)
from dashboard.analysis.model import Selection, filter_figures, first_in_order


def test_full_graph_is_bipartite_with_attributes(site_corpus):
    graph = build_graph(site_corpus)
    assert graph.number_of_nodes() == 4 + 9 and graph.number_of_edges() == 10
    figures = {n for n, d in graph.nodes(data=True) if d["bipartite"] == 0}
    assert figures == {n for n in graph if n.startswith("figure:")}
    assert bipartite.is_bipartite_node_set(graph, figures)
    assert graph.nodes["gene:7157"]["label"] == "TP53" and graph.nodes["gene:7157"]["kind"] == "gene"
    assert graph.nodes["figure:PMC1000003__new-f3"]["label"] == "Ten-column genes file"
    assert graph.degree("gene:7157") == 2


def test_gene_neighbourhood(site_corpus):
    tp53 = site_corpus.gene_row(7157)
    sub = select_subgraph(site_corpus, Selection(genes=(tp53,)), 300)
    figures = sorted(n for n in sub.graph if n.startswith("figure:"))
    assert figures == ["figure:PMC1000002__new-f2", "figure:PMC1000003__new-f3"]
    assert sub.graph.nodes["gene:7157"]["focus"]
    assert not sub.cut and sub.shown_genes == sub.total_genes and sub.shown_figures == sub.total_figures


def test_budget_is_never_exceeded_and_cut_is_reported(seed_corpus):
    for budget in (10, 50, 300):
        sub = select_subgraph(seed_corpus, Selection(), budget)
        assert sub.shown <= budget
        assert sub.cut and sub.total_nodes > sub.shown
        assert sub.graph.number_of_edges() > 0
        assert not list(nx.isolates(sub.graph))


def test_focus_genes_always_shown(seed_corpus):
    rows = seed_corpus.rows_for_symbol("MAPK1")
    sub = select_subgraph(seed_corpus, Selection(genes=tuple(rows)), 10)
    assert "gene:5594" in sub.graph and sub.shown <= 10


def test_filters_apply_to_the_view(seed_corpus):
    """Mouse figures only; their mouse genes only, unless other species are asked for (then every mouse figure
    with genes is drawn), and a gene of a species its figures do not state is marked."""
    mouse = set(np.flatnonzero(filter_figures(seed_corpus, ("Mus musculus",))))
    is_mouse = seed_corpus.gene_organisms == "Mus musculus"
    for other_species in (False, True):
        selection = Selection(organisms=("Mus musculus",), other_species=other_species)
        sub = select_subgraph(seed_corpus, selection, 2000)
        figures = {d["row"] for _, d in sub.graph.nodes(data=True) if d["kind"] == "figure"}
        genes = [d for _, d in sub.graph.nodes(data=True) if d["kind"] == "gene"]
        held = {
            r
            for r in mouse
            if seed_corpus.incidence[r].nnz and (other_species or is_mouse[seed_corpus.incidence[r].indices].any())
        }
        assert figures == held and 0 < len(held) <= 22
        assert other_species or {d["organism"] for d in genes} == {"Mus musculus"}
        hidden = {g for r in mouse for g in seed_corpus.incidence[r].indices if not is_mouse[g]}
        assert sub.other_species == (0 if other_species else len(hidden))
        if other_species:
            marked = {d["organism"] for d in genes if d["unstated_species"]}
            assert marked and "Mus musculus" not in marked


LAYOUT_IN_A_FRESH_PROCESS = """
import json, sys
from dashboard.analysis.graph import layout_graph, select_subgraph
from dashboard.analysis.model import Corpus, Selection
from dashboard.corpus.loader import read_corpus
corpus = Corpus(read_corpus([sys.argv[1]]))
json.dump(layout_graph(select_subgraph(corpus, Selection(), 200).graph), sys.stdout)
"""


def test_layout_is_deterministic(seed_corpus):
    """The same selection gets the same picture in another process (a gunicorn worker, the next start). A second
    call here would be served by the layout cache, so the picture is drawn again by a fresh interpreter: its own
    cache, its own random state. Mutation: igraph's generator not seeded (`set_random_number_generator` removed
    from `layout_graph`) → the fresh process draws another picture (caught)."""
    sub = select_subgraph(seed_corpus, Selection(), 200)
    first = layout_graph(sub.graph)
    assert set(first) == set(sub.graph)
    done = subprocess.run(
        [sys.executable, "-c", LAYOUT_IN_A_FRESH_PROCESS, str(SEEDS)], capture_output=True, text=True, check=True
    )
    fresh = {node: tuple(xy) for node, xy in json.loads(done.stdout).items()}
    assert fresh == first


def test_clamp_budget_and_parse_node():
    assert clamp_budget("abc") == 300 and clamp_budget(10**9) == MAX_BUDGET and clamp_budget(-5) == 10
    assert clamp_budget("٣٠٠") == 300 and clamp_budget("20") == 20  # ASCII digits only, as every outside number
    assert parse_node("gene:7157") == ("gene", "7157")
    assert parse_node("figure:PMC1__a:b") == ("figure", "PMC1__a:b")
    assert parse_node("javascript:alert") is None


def test_many_chosen_genes_still_respect_the_budget(seed_corpus):
    popular = np.argsort(-seed_corpus.genes["n_figures"].to_numpy())[:50]
    sub = select_subgraph(seed_corpus, Selection(genes=tuple(int(r) for r in popular)), 10)
    assert 0 < sub.shown <= 10


@settings(max_examples=200, deadline=None)
@given(
    rows=st.integers(0, 60),
    count=st.integers(0, 70),
    spread=st.integers(1, 5),  # few distinct values: many ties on every key
    seed=st.integers(0, 2**32 - 1),
)
def test_first_in_order_is_the_head_of_a_full_lexsort(rows, count, spread, seed):
    rng = np.random.default_rng(seed)
    keys = (rng.permutation(rows), rng.integers(0, spread, rows).astype(float), -rng.integers(0, spread, rows))
    assert first_in_order(keys, count).tolist() == np.lexsort(keys)[:count].tolist()
