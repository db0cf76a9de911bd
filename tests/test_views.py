"""The pattern views called with plain values: timeline, gene co-occurrence, paths between two genes — and the
page and API wiring through the real app."""

from __future__ import annotations

import json

import numpy as np
from conftest import SEEDS

from dashboard.analysis.model import figures_for_genes
from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import VIEWS, create_app
from dashboard.web.cooccurrence import community_query, update_cooccurrence
from dashboard.web.paths import show_paths
from dashboard.web.state import ViewState, parse_query
from dashboard.web.timeline import update_timeline


def walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        yield from walk(child)


def test_timeline_of_a_gene(seed_corpus):
    figure, note = update_timeline(seed_corpus, ViewState(genes=(8600,)))
    bars = figure["data"][0]
    rows = figures_for_genes(seed_corpus, (seed_corpus.gene_row(8600),))
    years = seed_corpus.years[rows]
    assert sum(bars["y"]) == int((~np.isnan(years)).sum()) and min(bars["x"]) == int(np.nanmin(years))
    assert f"TNFSF11 first in {int(np.nanmin(years))}" in note
    shares = dict(zip(figure["data"][1]["x"], figure["data"][1]["y"], strict=True))
    assert all(0 <= share <= 100 for share in shares.values())
    assert figure["layout"]["yaxis2"]["range"][1] > max(shares.values())  # the highest point drawn whole
    assert bars["x"] == list(range(min(bars["x"]), max(bars["x"]) + 1))  # every year, a year without one at 0
    assert all((shares[year] > 0) == (count > 0) for year, count in zip(bars["x"], bars["y"], strict=True))


def test_timeline_of_an_empty_selection_says_so(seed_corpus):
    figure, note = update_timeline(seed_corpus, ViewState(genes=(8600,), years=(1900, 1901)))
    assert figure["data"] == [] and note.startswith("No figures in this selection")
    assert figure["layout"]["annotations"][0]["text"] == "No figures in this selection"


def test_a_timeline_of_figures_without_a_year_says_so(seed_corpus):
    undated = seed_corpus.figids[np.flatnonzero(np.isnan(seed_corpus.years))[0]]
    figure, note = update_timeline(seed_corpus, parse_query(seed_corpus, f"q={undated}")[0])
    assert figure["data"] == [] and note == "None of this selection's 1 figure(s) has a year."


def test_a_timeline_of_one_year_is_drawn_among_several(seed_corpus):
    """One bar is not stretched across the chart, and counts of one or two tick in whole figures."""
    state, _ = parse_query(seed_corpus, "q=mesh:D000255")
    figure, _ = update_timeline(seed_corpus, state)
    bars = figure["data"][0]
    assert len(bars["x"]) < 9 and max(bars["y"]) <= 5 and figure["layout"]["yaxis"]["dtick"] == 1
    low, high = figure["layout"]["xaxis"]["range"]
    assert high - low == 9 and low < min(bars["x"]) <= max(bars["x"]) < high
    wide, _ = update_timeline(seed_corpus, ViewState())
    assert (
        "dtick" not in wide["layout"]["yaxis"] and wide["layout"]["xaxis"]["range"][0] == wide["data"][0]["x"][0] - 0.5
    )


def test_cooccurrence_view_and_a_community_click(seed_corpus):
    figure, note = update_cooccurrence(seed_corpus, ViewState(organisms=("Homo sapiens",)), 30)
    communities = [t for t in figure["data"] if t["name"] not in ("shared figures", "no partner")]
    assert communities and "communities (Louvain)" in note
    clicked = communities[0]["customdata"][0]
    query = community_query(seed_corpus, ViewState(organisms=("Homo sapiens",)), clicked, 30)
    state, notices = parse_query(seed_corpus, query)
    assert notices == [] and state.organisms == ("Homo sapiens",)
    assert int(clicked.removeprefix("gene:")) in state.genes and len(state.genes) <= 10
    members = {c.removeprefix("gene:") for c in communities[0]["customdata"]}
    assert {str(g) for g in state.genes} <= members


def test_paths_view_links_each_figure(seed_corpus):
    result = show_paths(seed_corpus, ViewState(), "8600", "207")
    hrefs = [node.href for node in walk(result) if getattr(node, "href", None)]
    assert any("figure=" in h for h in hrefs) and any(h.startswith("/?genes=") for h in hrefs)
    text = json.dumps(result.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "connected through" in text or "in one figure together" in text
    none = show_paths(seed_corpus, ViewState(years=(1900, 1901)), "8600", "207")
    assert "No chain of figures connects TNFSF11 and AKT1" in str(none.children)
    assert "Choose two genes" in str(show_paths(seed_corpus, ViewState(), "²", None).children)


def test_the_views_are_on_the_page(seed_corpus):
    app = create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)
    layout = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    for component in (ids.PATTERN_TABS, ids.TIMELINE_GRAPH, ids.COOCCURRENCE_GRAPH, ids.PATH_RUN):
        assert f'"{component}"' in layout
    tabs = [(tab["props"]["value"], tab["props"]["label"]) for tab in _components(json.loads(layout), "Tab")]
    assert tabs == [(value, label) for value, label, _ in VIEWS]


def _components(node: object, kind: str):
    """Every component of a kind in a Dash layout (its JSON)."""
    if isinstance(node, dict):
        if node.get("type") == kind:
            yield node
        for value in node.values():
            yield from _components(value, kind)
    elif isinstance(node, list):
        for value in node:
            yield from _components(value, kind)


def test_every_view_is_audited_in_the_browser():
    """A view added to app.VIEWS without a page in the accessibility audit (tests/test_browser_a11y.py) fails."""
    from test_browser_a11y import PAGES

    assert {value for value, _, _ in VIEWS} <= set(PAGES)


def test_a_text_search_is_the_selection_within_the_filters(seed_corpus):
    """`q=` finds figures by their words; its hits are the selection, within the gene filter; the hits list marks
    the matched words as text. (Mutation: drop the search from `filter_selection` — the counts fail.)"""
    from dashboard.analysis.selection import selection_figures
    from dashboard.web.counts import update_counts
    from dashboard.web.hits import show_search_hits
    from dashboard.web.state import to_selection

    state, notices = parse_query(seed_corpus, "q=osteoclast")
    assert notices == [] and state.text == "osteoclast"
    rows = selection_figures(seed_corpus, to_selection(seed_corpus, state))
    figures = seed_corpus.figures
    texts = figures["title"].fillna("") + " " + figures["caption"].fillna("") + " " + figures["paper_title"].fillna("")
    texts = texts + " " + figures["keywords"].fillna("")
    by_hand = {i for i, text in enumerate(texts.str.lower()) if "osteoclast" in text}
    assert len(rows) >= 2 and set(rows.tolist()) <= by_hand  # every hit holds the word (or a longer one)
    _, _, summary = update_counts(seed_corpus, state)
    assert summary.startswith(f"{len(rows)} of 190 figures match")
    with_gene, _ = parse_query(seed_corpus, "q=osteoclast&genes=TNFSF11")
    narrower = selection_figures(seed_corpus, to_selection(seed_corpus, with_gene))
    assert 0 < len(narrower) <= len(rows) and set(narrower.tolist()) <= set(rows.tolist())
    hits = show_search_hits(seed_corpus, state)
    marks = [node for node in walk(hits) if type(node).__name__ == "Mark"]
    assert marks and all("osteoclast" in str(m.children).lower() for m in marks)
    _, notices = parse_query(seed_corpus, 'q="')
    assert notices and notices[0].startswith("Search")


def test_a_search_found_only_outside_the_filters_blames_the_filters(seed_corpus):
    from dashboard.web.hits import show_search_hits

    state, _ = parse_query(seed_corpus, "q=osteoclast&genes=NOPE&years=1950-1951")
    head = show_search_hits(seed_corpus, state).children[0].children
    assert head.startswith("No figure within the other filters matches “osteoclast”")
    assert f"{len(selection_figures_of(seed_corpus, 'q=osteoclast'))} figures of the whole corpus do" in head
    state, _ = parse_query(seed_corpus, "q=zzzqqq")
    assert show_search_hits(seed_corpus, state).children[0].children.endswith("Try fewer or other words.")


def selection_figures_of(corpus, link):
    from dashboard.analysis.selection import selection_figures
    from dashboard.web.state import to_selection

    return selection_figures(corpus, to_selection(corpus, parse_query(corpus, link)[0]))


def test_pattern_routes_of_the_api(seed_corpus):
    client = create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus).server.test_client()
    timeline = client.get("/api/v1/timeline?genes=TNFSF11").get_json()
    links = seed_corpus.links.merge(seed_corpus.figures[["figid", "year"]], on="figid")
    years = links.loc[links["gene_id"] == 8600, "year"].dropna().astype(int)
    assert timeline == {
        "years": {str(y): int(n) for y, n in years.value_counts().sort_index().items()},
        "first_year": {"8600": int(years.min())},
    }
    network = client.get("/api/v1/cooccurrence?genes=MAPK1&top=20").get_json()
    assert network["species"] == "Homo sapiens" and len(network["nodes"]) == 20
    ids_ = {n["ncbi_id"] for n in network["nodes"]}
    assert all(e["source"] in ids_ and e["target"] in ids_ and e["shared_figures"] >= 2 for e in network["edges"])
    path = client.get("/api/v1/path?from=TNFSF11&to=AKT1").get_json()
    assert path["length"] >= 1 and all(p[0] == {"gene": 8600} and p[-1] == {"gene": 207} for p in path["paths"])
    none = client.get("/api/v1/path?from=TNFSF11&to=AKT1&years=1900-1901").get_json()
    assert none["length"] is None and "no chain" in none["message"]
    for bad in (
        "/api/v1/timeline",
        "/api/v1/path?from=TNFSF11",
        "/api/v1/cooccurrence?genes=NOPE",
        "/api/v1/cooccurrence?top=²",
    ):
        response = client.get(bad)
        assert response.status_code == 400 and response.get_json()["error"]
