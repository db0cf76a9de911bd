"""Loose ends of the workspace (issue 24), each as a biologist would expect: bundles keep their genes in the
Cytoscape export, a figure stating several organisms says so, repeated link parameters and a gene list in the
link, the co-occurrence communities, a record outside the selection, the map's greys, export names, the
enrichment's words for an entry it did not find."""

from __future__ import annotations

import html
import math
from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from conftest import SEEDS
from dash import no_update

from dashboard.analysis.corpusmap import corpus_map, map_groups
from dashboard.analysis.graph import select_subgraph
from dashboard.analysis.model import UNSTATED
from dashboard.analysis.patterns import Cooccurrence
from dashboard.config import Settings
from dashboard.corpus.corpusmap import CorpusMap
from dashboard.web import ids
from dashboard.web.app import create_app
from dashboard.web.controls import next_state, view_outputs
from dashboard.web.cooccurrence import UNCLUSTERED, UNCLUSTERED_COLOUR, update_cooccurrence
from dashboard.web.cooccurrence import to_figure as to_cooccurrence_figure
from dashboard.web.detail import show_detail
from dashboard.web.enrichment import run_enrichment, to_enrichment_query
from dashboard.web.exports import to_cytoscape_json
from dashboard.web.figures import UNSTATED_SPECIES, ViewOptions, build_network_figure, text_height, text_width
from dashboard.web.network import draw_network
from dashboard.web.state import MAX_LINK_LIST, ViewState, parse_query, to_query, to_selection


@pytest.fixture(scope="module")
def client(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus).server.test_client()


# --- 3. a bundle in the Cytoscape export keeps its genes --------------------------------------------------------
@pytest.mark.parametrize("query", ["", "genes=TNFSF11", "organisms=Mus+musculus&budget=40", "genes=TP53&exact=1"])
def test_a_bundle_in_the_cytoscape_export_lists_its_genes(seed_corpus, client, query):
    """Every gene of a drawn figure is in the file: a node next to it, or a member of its bundle — in the
    bundle's species when an organism is chosen, under the exact switch — each with its NCBI id and organism."""
    state = parse_query(seed_corpus, query)[0]
    found = to_cytoscape_json(seed_corpus, state)
    nodes = {n["data"]["id"]: n["data"] for n in found["elements"]["nodes"]}
    bundles = [d for d in nodes.values() if d["kind"] == "bundle"]
    assert bundles
    matrix = seed_corpus.matrix(state.exact)
    species = set(state.organisms)
    for bundle in bundles:
        assert len(bundle["members"]) == bundle["genes"]
        row = seed_corpus.figure_row(bundle["figid"])
        held = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
        own = {int(seed_corpus.gene_ids[g]) for g in held if not species or seed_corpus.gene_organisms[g] in species}
        neighbours = {
            nodes[e["data"]["target"]]["ncbi_id"]
            for e in found["elements"]["edges"]
            if e["data"]["source"] == f"figure:{bundle['figid']}" and nodes[e["data"]["target"]]["kind"] == "gene"
        }
        members = {m["ncbi_id"] for m in bundle["members"]}
        assert members == own - neighbours and not members & neighbours
        for member in bundle["members"]:
            gene = seed_corpus.gene_row(member["ncbi_id"])
            assert member == {
                "ncbi_id": member["ncbi_id"],
                "label": seed_corpus.gene_label(gene),
                "organism": str(seed_corpus.gene_organisms[gene]),
            }
    # The API answers the same file.
    assert client.get(f"/api/v1/network?{query}").get_json() == found
    graph = select_subgraph(seed_corpus, to_selection(seed_corpus, state), state.budget).graph
    assert len(bundles) == sum(1 for _, kind in graph.nodes(data="kind") if kind == "bundle")


# --- 2. colour by organism: a figure stating several says so ------------------------------------------------------
def test_colour_by_organism_never_reduces_a_figure_to_its_first_organism(seed_corpus):
    """A figure whose record states several organisms is in a "several organisms" group of its own colour (its
    hover names them all); one organism's colour holds only figures stating that organism alone; figures stating
    none have their own legend line, apart from those of another organism."""
    state = parse_query(seed_corpus, "budget=2000&colour=organism")[0]
    graph = select_subgraph(seed_corpus, to_selection(seed_corpus, state), state.budget).graph
    figure = build_network_figure(graph, ViewOptions(colour="organism"))
    traces = {t["name"]: t for t in figure["data"] if t["name"].startswith("Figure")}
    stated = {
        f"figure:{seed_corpus.figids[r]}": [o for o in seed_corpus.figure_organisms[r] if o != UNSTATED]
        for r in range(seed_corpus.n_figures)
    }
    several = traces["Figure · several organisms (hover: which)"]
    assert several["customdata"] and all(len(stated[n]) > 1 for n in several["customdata"])
    colours = {t["marker"]["color"] for t in traces.values()}
    assert len(colours) == len(traces)  # every legend line its own colour
    for name, trace in traces.items():
        if name.startswith("Figure · ") and name.removeprefix("Figure · ") in {o for v in stated.values() for o in v}:
            organism = name.removeprefix("Figure · ")
            assert all(stated[n] == [organism] for n in trace["customdata"]), name
    drawn = {n for n, kind in graph.nodes(data="kind") if kind == "figure"}
    assert {n for n in drawn if len(stated[n]) > 1} == set(several["customdata"])
    hover = dict(zip(several["customdata"], several["hovertext"], strict=True))
    node = max(several["customdata"], key=lambda n: len(stated[n]))
    assert f"{len(stated[node])} organisms: {stated[node][0]}" in hover[node]


def test_the_corpus_map_never_colours_a_figure_by_its_first_organism_alone(seed_corpus):
    n = seed_corpus.n_figures
    points = CorpusMap(x=np.zeros(n, dtype=np.float32), y=np.zeros(n, dtype=np.float32), method="every figure placed")
    groups = {group.name: group for group in map_groups(seed_corpus, points, "organism")}
    stated = [[o for o in names if o != UNSTATED] for names in seed_corpus.figure_organisms]
    several = {r for r in range(n) if len(stated[r]) > 1}
    assert several and set(groups["several organisms"].rows.tolist()) == several
    for name, group in groups.items():
        if name not in ("several organisms", "other organisms", "no organism stated"):
            assert all(stated[r] == [name] for r in group.rows), name
    assert sum(len(group.rows) for group in groups.values()) == n  # every figure in one group
    assert len({group.colour for group in groups.values()}) == len(groups)


# --- 12. the enrichment says what "not recognised" means -----------------------------------------------------------
def test_the_enrichment_says_where_an_entry_was_not_found(seed_corpus):
    """An entry that names no gene of the corpus is "not found among the <species> genes of this corpus, nor those
    of any other species"; one that is a gene of another species here names that species."""
    query = to_enrichment_query("MAPK1 MAPK3 AKT1 TP53 MDM2 rl", "", 3, None)
    message = run_enrichment(seed_corpus, ViewState(), query)[1]
    assert "Not recognised" not in message and "Only in other species" not in message
    assert (
        "Not found among the Homo sapiens genes of this corpus, nor those of any other species in it (1): MDM2"
        in message
    )
    assert "Not found among the Homo sapiens genes of this corpus, not used (1): rl (a gene of Drosophila" in message


# --- 5. a parameter given twice --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "key", "used"),
    [("genes=TP53&genes=AKT1", "genes", "AKT1"), ("colour=year&years=2010-2020&colour=organism", "colour", "organism")],
)
def test_a_parameter_given_twice_is_named_in_a_notice(seed_corpus, client, query, key, used):
    """The page uses the last value and says so, with a notice that counts as a drop — the API refuses the same
    link, naming the same parameter."""
    state, notices = parse_query(seed_corpus, query)
    twice = [n for n in notices if f"'{key}' is given 2 times" in n]
    assert len(twice) == 1 and twice[0].dropped and f"only the last ('{used}') was used" in twice[0]
    expected = {"genes": lambda s: s.genes == (207,), "colour": lambda s: s.colour == "organism"}[key]
    assert expected(state)
    response = client.get(f"/api/v1/network?{query}")
    assert response.status_code == 400 and f"'{key}' is given more than once" in response.get_json()["error"]
    assert not [n for n in parse_query(seed_corpus, "genes=TP53,AKT1")[1] if "given" in n]


# --- 4. the enrichment's gene list is in the link --------------------------------------------------------------
LIST = "MAPK1\nMAPK3, AKT1 TP53 notagene"


def test_a_gene_list_run_goes_into_the_link_and_a_link_brings_it_back(seed_corpus):
    """Running a list puts its entries in the URL (`list=`); the link parsed again gives the same entries, and
    the view it opens sends them to the enrichment, which finds the same results as the list typed."""
    previous = parse_query(seed_corpus, "genes=TNFSF11")[0]
    state, notices = next_state(seed_corpus, ids.ENRICH_RUN, {"list_text": LIST}, previous)
    assert notices == [] and state == replace(previous, gene_list=("MAPK1", "MAPK3", "AKT1", "TP53", "notagene"))
    query = to_query(seed_corpus, state)
    assert "list=MAPK1,MAPK3,AKT1,TP53,notagene" in query
    opened, notices = parse_query(seed_corpus, query)
    assert opened == state and notices == []
    outputs = view_outputs(seed_corpus, ids.URL, opened, None, [], query)
    assert outputs["linked_list"] == list(state.gene_list)
    assert not outputs["network"]["gene_list"]  # the network is not redrawn for a list
    typed = run_enrichment(seed_corpus, opened, to_enrichment_query(LIST, "", 3, None))
    linked = run_enrichment(seed_corpus, opened, to_enrichment_query("\n".join(outputs["linked_list"]), "", 3, None))
    assert [r["figid"] for r in linked[0]] == [r["figid"] for r in typed[0]] and linked[0]
    # Back to the view without the list empties the enrichment; a view with the same list leaves it alone.
    back = view_outputs(seed_corpus, ids.URL, previous, opened, [], to_query(seed_corpus, previous))
    assert back["linked_list"] == []
    assert view_outputs(seed_corpus, ids.URL, opened, opened, [], query)["linked_list"] is no_update


def test_a_gene_list_too_long_for_a_link_says_so(seed_corpus):
    long_list = " ".join(f"GENE{i}" for i in range(1_000))
    previous = ViewState(gene_list=("TP53",))
    state, notices = next_state(seed_corpus, ids.ENRICH_RUN, {"list_text": long_list}, previous)
    assert state.gene_list == () and len(notices) == 1
    assert f"at most {MAX_LINK_LIST:,} characters" in notices[0] and "not the list" in notices[0]
    state, notices = parse_query(seed_corpus, "list=" + ",".join(long_list.split()))
    assert state.gene_list == () and notices[0].dropped and "too long for a link" in notices[0]


@pytest.mark.parametrize(
    ("query", "kept", "says"),
    [
        ("list=TP53,,AKT1,TP53", ("TP53", "AKT1"), None),
        ("list=TP53," + "A" * 200, ("TP53",), "left out of the link (1)"),
        ("list=TP53,%01x", ("TP53",), "left out of the link (1)"),
    ],
)
def test_a_gene_list_in_a_link_is_checked_like_the_other_parameters(seed_corpus, client, query, kept, says):
    state, notices = parse_query(seed_corpus, query)
    assert state.gene_list == kept
    assert [n for n in notices if says and says in n] if says else notices == []
    assert client.get(f"/api/v1/network?{query}").status_code == (400 if says else 200)


# --- 6. co-occurrence: singletons grouped, community colours distinct -------------------------------------------
def test_cooccurrence_groups_singletons_and_tells_every_community_apart(seed_corpus):
    """15 communities of two genes, three Louvain singletons and a gene with no edge at all: the four lone genes
    are one grey "unclustered" legend line; each community has its own colour and shape pair (colours repeat past
    the palette, with another shape), none grey."""
    graph = nx.Graph()
    communities = [[2 * k, 2 * k + 1] for k in range(15)] + [[100], [101], [102]]
    for number, members in enumerate(communities):
        for row in members:
            graph.add_node(row, symbol=f"G{row}", ncbi_id=row, figures=3, community=number)
    graph.add_node(103, symbol="G103", ncbi_id=103, figures=2, community=None)
    graph.add_edges_from((a, b) for a, b in communities[:15])
    figure = to_cooccurrence_figure(Cooccurrence(graph=graph, communities=communities, figures=10))
    traces = [t for t in figure["data"] if t["mode"] != "lines"]
    lone = [t for t in traces if t["name"] == UNCLUSTERED]
    assert len(lone) == 1 and sorted(lone[0]["customdata"]) == ["gene:100", "gene:101", "gene:102", "gene:103"]
    assert lone[0]["marker"]["color"] == UNCLUSTERED_COLOUR
    grouped = [t for t in traces if t["name"] != UNCLUSTERED]
    assert len(grouped) == 15 and all(len(t["customdata"]) == 2 for t in grouped)
    looks = {(t["marker"]["color"], t["marker"]["symbol"]) for t in grouped}
    assert len(looks) == 15 and UNCLUSTERED_COLOUR not in {colour for colour, _ in looks}
    _, note = update_cooccurrence(seed_corpus, ViewState(), 150)
    assert "unclustered (grey)" in note and "communities (Louvain) of two or more genes" in note


# --- 8. the corpus map's two greys are told apart -----------------------------------------------------------------
def luminance(colour: str) -> float:
    """WCAG's relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_map_tells_other_organisms_from_none_stated(seed_corpus):
    """The map's "other organisms" and "no organism stated" points are at least 3:1 apart (WCAG's contrast for
    graphics), and both stand off the white plot."""
    points = corpus_map(seed_corpus)
    groups = {g.name: g.colour for g in map_groups(seed_corpus, points, "organism")}
    other, unstated = groups["other organisms"], groups["no organism stated"]
    assert contrast(other, unstated) >= 3.0, (other, unstated)
    assert contrast(other, "#ffffff") >= 3.0 and contrast(unstated, "#ffffff") >= 1.5


def test_the_network_and_the_map_colour_organisms_alike(seed_corpus):
    """One palette for both views: a figure of an organism past the coloured ones, of none stated or of several is
    the same colour in the network as on the map (the greys the test above holds apart), and so is the organism
    both rank first (Homo sapiens in the seeds). Mutation: a palette of the network's own → fails."""
    figure, _ = draw_network(seed_corpus, ViewState(colour="organism", budget=2000))
    drawn = {
        t["name"].removeprefix("Figure · "): t["marker"]["color"]
        for t in figure["data"]
        if t["name"].startswith("Figure ·")
    }
    mapped = {g.name: g.colour for g in map_groups(seed_corpus, corpus_map(seed_corpus), "organism")}
    assert drawn["another organism"] == mapped["other organisms"]
    assert drawn["no organism stated"] == mapped["no organism stated"]
    assert drawn["several organisms (hover: which)"] == mapped["several organisms"]
    assert next(iter(drawn)) == next(iter(mapped)) == "Homo sapiens"
    assert drawn["Homo sapiens"] == mapped["Homo sapiens"]


# --- 7. a record outside the selection says so ------------------------------------------------------------------
def _texts(component) -> str:
    """All the text a Dash component tree shows."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_texts(c) for c in component)
    children = getattr(component, "children", None)
    return _texts(children) if children is not None else ""


def test_an_open_record_the_selection_leaves_out_is_marked_and_closes(seed_corpus):
    figid = "PMC7090164__fcell-08-00089-g002"
    inside = parse_query(seed_corpus, f"genes=TNFSF11&figure={figid}")[0]
    assert "Not in the current selection" not in _texts(show_detail(seed_corpus, inside))
    year = int(seed_corpus.years[seed_corpus.figure_row(figid)])
    span = seed_corpus.year_span
    other = span[0] if year != span[0] else span[1]
    outside = replace(inside, years=(other, other))
    shown = _texts(show_detail(seed_corpus, outside))
    assert "Not in the current selection" in shown and "Close this record" in shown
    assert "Exosome-mediated communication" in shown  # the record itself stays
    closed, _ = next_state(seed_corpus, {"type": ids.BACK_TO_GENES, "index": "close"}, {}, outside)
    assert closed.figure is None and closed.years == outside.years


# --- 1. labels next to their markers; leader lines unlike edges -----------------------------------------------
@pytest.mark.parametrize("query", ["", "genes=TP53,AKT1&colour=organism", "budget=2000"])
def test_labels_sit_next_to_their_markers_and_leaders_are_not_edges(seed_corpus, query):
    """Every label's box is within 16 px of its marker's edge (a diagonal away at most) at the scale it was placed
    for; a leader line is dotted, thinner and paler than an edge, and starts at a marker's edge, never at a node's
    centre as an edge does."""
    figure, _ = draw_network(seed_corpus, parse_query(seed_corpus, query)[0])
    traces = {t["name"]: t for t in figure["data"]}
    scale = figure["layout"]["meta"]["px_per_unit"]
    centres, radii = {}, {}
    for trace in figure["data"]:
        if trace["mode"] == "markers" and trace["name"] not in ("Open figure", UNSTATED_SPECIES):
            for node, x, y, size in zip(
                trace["customdata"], trace["x"], trace["y"], trace["marker"]["size"], strict=True
            ):
                centres[node], radii[node] = (x * scale, y * scale), size / 2
    labels = traces["labels"]
    for node, x, y, text in zip(labels["customdata"], labels["x"], labels["y"], labels["text"], strict=True):
        shown = html.unescape(text).replace("<br>", "\n")
        half_w, half_h = text_width(shown) / 2, text_height(shown) / 2
        cx, cy = centres[node]
        dx = max(abs(x * scale - cx) - half_w, 0)
        dy = max(abs(y * scale - cy) - half_h, 0)
        assert math.hypot(dx, dy) <= math.sqrt(2) * (radii[node] + 16) + 2, (node, shown)  # at most a diagonal away
    leaders, edges = traces["label lines"], traces["links"]
    assert leaders["line"]["dash"] == "dot" and leaders["line"]["width"] < edges["line"]["width"]
    assert edges["line"].get("dash", "solid") == "solid"
    starts = [(x * scale, y * scale) for x, y in zip(leaders["x"][0::3], leaders["y"][0::3], strict=True)]
    assert starts  # these views draw some
    for sx, sy in starts:
        nearest = min(centres, key=lambda n: math.hypot(centres[n][0] - sx, centres[n][1] - sy))
        gap = math.hypot(centres[nearest][0] - sx, centres[nearest][1] - sy)
        assert gap >= radii[nearest] - 1.5, (nearest, gap, radii[nearest])
