"""Middle of the pyramid: URL state, callback logic called with plain values, the layout, and the Flask server."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import plotly.graph_objects as go
import pytest
from conftest import SEEDS, SITE
from plotly.utils import PlotlyJSONEncoder

from dashboard.analysis.enrich import gene_partners
from dashboard.analysis.graph import select_subgraph
from dashboard.analysis.model import UNSTATED, order_figures
from dashboard.analysis.selection import filter_selection, selection_figures
from dashboard.analysis.terms import term_index
from dashboard.config import Settings
from dashboard.corpus import columns as C
from dashboard.web import ids
from dashboard.web.app import create_app
from dashboard.web.controls import next_state, state_from_controls, to_controls, view_outputs
from dashboard.web.counts import update_counts
from dashboard.web.detail import show_detail
from dashboard.web.hits import show_search_hits
from dashboard.web.network import draw_network, update_network
from dashboard.web.options import gene_options
from dashboard.web.panels import safe_href
from dashboard.web.state import ViewState, apply_node_click, parse_query, read_stored, to_query, to_selection
from dashboard.web.table import update_table

FIGURE = "PMC7090164__fcell-08-00089-g002"


@pytest.fixture(scope="module")
def app(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)


def walk(component):
    yield component
    children = getattr(component, "children", None)
    if children is None:
        return
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)


def texts(component) -> list[str]:
    """Every string child in a component tree (what the browser shows as text)."""
    found = []
    for node in walk(component):
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list | tuple) else [children]:
            if isinstance(child, str):
                found.append(child)
    return found


# --- URL state ---------------------------------------------------------------------------------------------------
def test_query_round_trip(seed_corpus):
    search = "?genes=TNFSF11,5594&match=all&organisms=Homo+sapiens,Mus+musculus&years=2010-2020&figure=" + FIGURE
    state, notices = parse_query(seed_corpus, search)
    assert notices == []
    assert state.genes == (8600, 5594) and state.match == "all" and state.years == (2010, 2020)
    assert state.organisms == ("Homo sapiens", "Mus musculus") and state.figure == FIGURE
    again, _ = parse_query(seed_corpus, to_query(seed_corpus, state))
    assert again == state
    assert to_query(seed_corpus, ViewState()) == ""


@pytest.mark.parametrize(
    ("search", "notice"),
    [
        ("?genes=NOPE1", "Unknown gene 'NOPE1' dropped."),
        ("?match=most", "Match mode 'most'"),
        ("?organisms=Martian", "Unknown organism 'Martian' dropped."),
        ("?years=soon", "Years 'soon' are not a range"),
        ("?years=2020-2010", "were reversed; read as 2010-2020"),
        ("?figure=PMC0__none", "Figure 'PMC0__none' is not in this corpus."),
        ("?budget=999999", "Node budget '999999' is not a number"),
        ("?color=red", "Unknown parameter 'color' ignored."),
        ("?genes=" + "A" * 10_000, "were ignored"),
        ("?q=--", "Search '--' was dropped: '--' holds no word or number"),
        ("?q=*", "Search '*' was dropped: type a word"),
        ("?exact=maybe", "exact 'maybe' is not 1 or 0; read as 0."),
        ("?labels=some", "labels 'some' is not 'all'"),
    ],
)
def test_bad_query_values_are_dropped_with_a_notice(seed_corpus, search, notice):
    state, notices = parse_query(seed_corpus, search)
    assert any(notice in n for n in notices), notices
    assert state.genes == () and state.figure is None


def test_reversed_years_are_still_applied(seed_corpus):
    state, _ = parse_query(seed_corpus, "?years=2020-2010")
    assert state.years == (2010, 2020)


def test_node_click():
    state = ViewState(genes=(1, 2), figure="F")
    assert apply_node_click(state, "gene:7157") == ViewState(genes=(7157,))
    assert apply_node_click(state, "figure:X").figure == "X"
    assert apply_node_click(state, "javascript:alert(1)") == state
    assert apply_node_click(state, None) == state


def test_from_dict_survives_garbage():
    assert ViewState.from_dict({"genes": ["x"], "years": "bad"}) == ViewState()
    assert ViewState.from_dict("nope") == ViewState()


def test_a_bad_stored_field_is_dropped_alone_with_a_notice():
    """One malformed field of a stored view resets that field only, and says so; the rest of the view stays."""
    good = ViewState(genes=(7157, 207), organisms=("Homo sapiens",), years=(2010, 2020), budget=500, text="kinase")
    for field, bad in (("genes", ["TP53"]), ("years", [2010]), ("budget", "lots"), ("colour", "pink")):
        state, notices = read_stored({**good.to_dict(), field: bad})
        assert state == replace(good, **{field: getattr(ViewState(), field)}), field
        assert len(notices) == 1 and f"view's {field} could not be read" in notices[0]
    assert read_stored(good.to_dict()) == (good, [])
    state, notices = read_stored("nope")
    assert state == ViewState() and notices


# --- callback logic -----------------------------------------------------------------------------------------------
def controls(**changed) -> dict:
    """Control values as the page sends them by default, with some changed."""
    return {
        "genes": [],
        "match": "any",
        "organisms": [],
        "unstated": [],
        "years": None,
        "exact": [],
        "budget": 300,
        **changed,
    }


@pytest.mark.parametrize(
    "state",
    [
        ViewState(genes=(8600,), match="all", organisms=("Homo sapiens",), years=(2005, 2015), exact=True),
        ViewState(organisms=("Homo sapiens",), unstated=True, budget=500),
    ],
)
def test_controls_round_trip(seed_corpus, state):
    assert state_from_controls(seed_corpus, ViewState(genes=state.genes), to_controls(seed_corpus, state)) == state


def test_full_year_span_means_no_year_filter(seed_corpus):
    state = state_from_controls(seed_corpus, ViewState(), controls(years=[2025, 1998]))
    assert state.years is None  # figures without a year stay in
    # The same span in a link means the same: no filter (it used to drop the figures without a year).
    assert parse_query(seed_corpus, "years=1998-2025") == (ViewState(), [])
    assert parse_query(seed_corpus, "years=1990-2030")[0].years is None
    assert parse_query(seed_corpus, "years=1999-2025")[0].years == (1999, 2025)


def test_years_outside_the_corpus_get_a_notice(seed_corpus):
    state, notices = parse_query(seed_corpus, "years=2030-2040")
    assert state.years == (2030, 2040)  # kept as asked, not clamped
    assert notices == ["No figure of this corpus is from 2030-2040: its figures are from 1998-2025."]


def test_adding_a_gene_closes_the_open_figure(seed_corpus):
    before = ViewState(figure=FIGURE)
    assert state_from_controls(seed_corpus, before, controls(genes=["8600"])).figure is None
    assert state_from_controls(seed_corpus, before, controls(organisms=["Homo sapiens"])).figure == FIGURE


def test_next_state_names_its_trigger(seed_corpus):
    before = ViewState(genes=(8600,))
    values = {"search": "?genes=TP53", "click": {"points": [{"customdata": "figure:" + FIGURE}]}, **controls()}
    assert next_state(seed_corpus, None, values, None) == (ViewState(genes=(7157,)), [])
    assert next_state(seed_corpus, ids.NETWORK, values, before) == (replace(before, figure=FIGURE), [])
    chip = {"type": ids.GENE_CHIP, "index": "7157"}
    assert next_state(seed_corpus, chip, values, before) == (ViewState(genes=(7157,)), [])
    assert next_state(seed_corpus, chip, values, before, clicked=False) is None  # drawn, not clicked
    assert next_state(seed_corpus, ids.MATCH_MODE, {**values, "match": "all"}, before)[0].match == "all"
    # A search typed that cannot be run is dropped with the notice a link gets, not silently.
    typed = replace(before, text="osteoclast")
    state, notices = next_state(seed_corpus, ids.TEXT_SEARCH, {**values, "text": "--"}, typed)
    assert state.text == "" and notices == ["Search '--' was dropped: '--' holds no word or number to search for."]
    state, notices = next_state(seed_corpus, ids.TEXT_SEARCH, {**values, "text": "*"}, typed)
    assert state.text == "" and notices == ["Search '*' was dropped: type a word to search for."]
    state, notices = parse_query(seed_corpus, "q=*")
    assert state.text == "" and notices == ["Search '*' was dropped: type a word to search for."]
    state, notices = next_state(seed_corpus, ids.TEXT_SEARCH, {**values, "text": ""}, typed)
    assert state.text == "" and notices == []  # a search cleared on purpose
    outputs = view_outputs(seed_corpus, ids.MATCH_MODE, replace(before, match="all"), before, [], "?genes=TNFSF11")
    assert outputs["search"] == "?genes=TNFSF11&match=all" and outputs["match"] == "all"
    assert outputs["selection"]["match"] == "all" and outputs["notice"] is None
    chosen = view_outputs(seed_corpus, ids.GENE_SEARCH, ViewState(genes=(8600, 7157)), before, [], "?genes=TNFSF11")
    assert chosen["gene_typed"] == ""  # the typed text is cleared, so the next gene can be typed at once
    assert parse_query(seed_corpus, "include_unstated=maybe")[1] == [
        "include_unstated 'maybe' is not 1 or 0; read as 0."
    ]


def test_gene_options_keep_the_selection_and_find_ocr_words(seed_corpus):
    options = gene_options(seed_corpus, "rankl", ["5594"])
    assert options[0]["value"] == "5594"
    assert options[1]["value"] == "8600" and "“RANKL”" in options[1]["label"]


def test_network_for_default_gene_and_empty_views(seed_corpus):
    figure, status = update_network(seed_corpus, ViewState())
    go.Figure(figure)  # the dict is a valid plotly figure (plotly's own validation)
    assert status.startswith("Showing") and "left out: a node budget of 300 draws at most 30 figures" in status
    names = {trace["name"] for trace in figure["data"]}
    assert {"Figure", "Gene in several figures", "links"} <= names
    n_nodes = sum(
        len(t["x"]) for t in figure["data"] if t["name"] not in ("links", "Open figure", "labels", "label lines")
    )
    assert n_nodes <= 300

    figure, status = update_network(seed_corpus, ViewState(genes=(8600,)))
    go.Figure(figure)
    chosen = [t for t in figure["data"] if t["name"] == "TNFSF11 (chosen)"]
    labels = next(t for t in figure["data"] if t["name"] == "labels")
    assert chosen[0]["customdata"] == ["gene:8600"] and "TNFSF11" in labels["text"]
    edges = next(t for t in figure["data"] if t["name"] == "links")
    drawn = select_subgraph(seed_corpus, to_selection(seed_corpus, ViewState(genes=(8600,)))).graph
    assert len(edges["x"]) == 3 * drawn.number_of_edges() and edges["x"][2] is None  # a segment and a gap per link

    figure, status = update_network(seed_corpus, ViewState(organisms=("Homo sapiens",), years=(1900, 1901)))
    go.Figure(figure)
    assert status.startswith("No figures match")
    assert "No figures match" in figure["layout"]["annotations"][0]["text"]


def test_big_budget_switches_to_webgl(seed_corpus):
    figure, _ = update_network(seed_corpus, ViewState(budget=2000))
    go.Figure(figure)
    assert {trace["type"] for trace in figure["data"]} == {"scattergl"}


def test_hover_text_and_labels_are_escaped(tmp_path):
    """A record whose title and gene words are markup: hover texts and labels carry it escaped, as text.
    (Mutation: drop `html.escape` in `_hover_text` — the raw `<script` then reaches the hover text.)"""
    from hostile import SCRIPT, XSS_FIGURE, write_hostile_corpus

    from dashboard.analysis.model import Corpus
    from dashboard.corpus.loader import read_corpus

    write_hostile_corpus(tmp_path)
    corpus = Corpus(read_corpus([tmp_path]))
    figure, _ = update_network(corpus, ViewState(figure=XSS_FIGURE))
    hovers = [text for trace in figure["data"] for text in trace.get("hovertext", [])]
    labels = next(t for t in figure["data"] if t["name"] == "labels")["text"]
    assert any("&lt;script&gt;" in text for text in hovers)  # the markup title is there, escaped
    assert not any("<script" in text or "<img" in text for text in [*hovers, *labels])
    assert SCRIPT.startswith("<script")


def test_table_pages_and_sorts(seed_corpus):
    rows, total, status = update_table(seed_corpus, ViewState(), 0, 15, [{"colId": "year", "sort": "asc"}])
    assert total == 190 and len(rows) == 15 and "190 figure(s)" in status
    years = [r["year"] for r in rows if r["year"] is not None]
    assert years == sorted(years) and years[0] == 1998
    second, _, _ = update_table(seed_corpus, ViewState(), 15, 30, [{"colId": "year", "sort": "asc"}])
    assert not {r["figid"] for r in rows} & {r["figid"] for r in second}
    chosen, total, _ = update_table(seed_corpus, ViewState(genes=(8600,)), 0, 15, None)
    assert total == 3 and all(r["n_chosen"] == 1 for r in chosen)
    junk, total, _ = update_table(seed_corpus, ViewState(), -5, "x", [{"colId": "__proto__"}])
    assert total == 190 and len(junk) == 100  # bad bounds fall back to the first hundred rows


@pytest.mark.parametrize("column", [None, "title", "year", "organisms", "n_genes", "n_chosen", "figid"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("state", [ViewState(), ViewState(genes=(8600, 7157)), ViewState(organisms=("Mus musculus",))])
def test_a_page_of_the_table_is_that_slice_of_the_whole_order(seed_corpus, column, descending, state):
    """Only a page's rows are put in order: every page is the same slice of the order of all the rows (ties by
    row), and its thumbnails are each figure's own trusted image link."""
    selection = to_selection(seed_corpus, state)
    rows = selection_figures(seed_corpus, selection)
    whole = order_figures(seed_corpus, selection, rows, column, descending).tolist()
    sort = [{"colId": column, "sort": "desc" if descending else "asc"}] if column else None
    for first in range(0, len(whole) + 1, 23):
        page, total, _ = update_table(seed_corpus, state, first, first + 23, sort)
        assert total == len(whole)
        assert [seed_corpus.figure_row(r["figid"]) for r in page] == whole[first : first + 23]
        expected = [safe_href(seed_corpus.figures[C.IMAGE_URL].iat[seed_corpus.figure_row(r["figid"])]) for r in page]
        assert [r["thumb"] for r in page] == expected


def test_counts_follow_the_other_filters(seed_corpus):
    options, switch, summary = update_counts(seed_corpus, ViewState(organisms=("Mus musculus",)))
    assert not switch[0]["disabled"]
    unstated = seed_corpus.organism_counts["Unknown"]
    assert summary == f"22 of 190 figures match. {unstated} more state no organism: tick the box above to include them."
    labels = {o["value"]: o["label"] for o in options}
    assert labels["Homo sapiens"] == "Homo sapiens — human (107)"  # counts ignore the organism filter itself
    options, switch, summary = update_counts(seed_corpus, ViewState(genes=(8600,)))
    assert switch[0]["disabled"] and "once an organism is chosen" in switch[0]["label"]
    rows = [seed_corpus.figure_row(f) for f in seed_corpus.links.loc[seed_corpus.links["gene_id"] == 8600, "figid"]]
    expected = {name for row in rows for name in seed_corpus.figure_organisms[row]}
    assert {o["value"] for o in options} == expected
    assert summary == f"{len(rows)} of 190 figures match."


def test_the_summary_counts_what_the_unstated_switch_takes_in(seed_corpus):
    """Ticked, the switch adds the figures that state no organism to the count the summary gives; and with "no
    organism stated" chosen as an organism, neither the summary nor the switch offers those figures again."""
    genes = tuple(seed_corpus.gene_ids[seed_corpus.rows_for_symbol(s)[0]] for s in ("TP53", "AKT1", "MAPK1"))
    for organisms in (("Homo sapiens",), (UNSTATED,), ("Homo sapiens", UNSTATED)):
        for unstated in (False, True):
            state = ViewState(genes=genes, organisms=organisms, unstated=unstated)
            expected = len(selection_figures(seed_corpus, to_selection(seed_corpus, state)))
            _, switch, summary = update_counts(seed_corpus, state)
            assert summary.startswith(f"{expected:,} of 190 figures match."), (state, summary)
            if UNSTATED in organisms:
                assert "state no organism" not in summary and switch[0]["disabled"]
    ticked = ViewState(genes=genes, organisms=("Homo sapiens",), unstated=True)
    assert len(selection_figures(seed_corpus, to_selection(seed_corpus, ticked))) > len(
        selection_figures(seed_corpus, to_selection(seed_corpus, replace(ticked, unstated=False)))
    )
    options, _, _ = update_counts(seed_corpus, ViewState(organisms=(UNSTATED,)))
    assert {o["value"]: o["label"] for o in options}[UNSTATED].startswith("No organism stated (")


@pytest.mark.parametrize("exact", [False, True])
def test_the_network_counts_the_figures_the_summary_counts(seed_corpus, exact):
    """Under a chemical filter that keeps figures without genes, the network's status counts every figure the
    summary does and says how many hold no genes, instead of "Showing 3 of 3" beside "4 figures match"."""
    index = term_index(seed_corpus, "chemicals")
    sizes = seed_corpus.figure_sizes(exact)
    checked = 0
    for term in range(len(index.names)):
        rows = index.rows_of(term)
        geneless = int((sizes[rows] == 0).sum())
        if not geneless or geneless == len(rows):
            continue
        state = ViewState(chemicals=(index.keys[term],), exact=exact)
        _, _, summary = update_counts(seed_corpus, state)
        _, status = draw_network(seed_corpus, state)
        assert summary.startswith(f"{len(rows):,} of ")
        verb = "holds" if geneless == 1 else "hold"
        assert f" of {len(rows):,} figures ({geneless:,} {verb} no genes" in status, status
        checked += 1
    assert checked


def test_partner_p_values_show_three_significant_digits(seed_corpus):
    """The gene panel's partner table shows each p as its value to three significant digits (0.0497, not 0.05)."""
    row = seed_corpus.rows_for_symbol("TP53")[0]
    state = ViewState(genes=(int(seed_corpus.gene_ids[row]),))
    mask = filter_selection(seed_corpus, to_selection(seed_corpus, state))
    partners = gene_partners(seed_corpus, row, mask, False, limit=8)
    table = next(c for c in walk(show_detail(seed_corpus, state)) if getattr(c, "className", "") == "stats-table")
    shown = [tr.children[3].children for tr in table.children[1].children]
    assert shown == [f"{p:.3g}" for p in partners["p_value"]]
    assert any(len(text.replace("0.", "").lstrip("0").split("e")[0].replace(".", "")) == 3 for text in shown), shown


def test_figure_detail_shows_markup_as_text(site_corpus):
    detail = show_detail(site_corpus, ViewState(figure="PMC1000002__new-f2"))
    assert "A block caption with <script>alert(1)</script> in it." in texts(detail)
    hrefs = [node.href for node in walk(detail) if getattr(node, "href", None)]
    assert hrefs and all(h.startswith("https://") for h in hrefs)


def test_gene_detail_lists_its_figures(seed_corpus):
    detail = show_detail(seed_corpus, ViewState(genes=(8600,)))
    found = [node.id["index"] for node in walk(detail) if isinstance(getattr(node, "id", None), dict)]
    assert FIGURE in found and "8792" in found  # a figure link and the top partner's chip
    assert "TNFSF11" in texts(detail)


def test_unknown_gene_or_figure_detail(seed_corpus):
    assert "Unknown figure" in texts(show_detail(seed_corpus, ViewState(figure="nope")))
    assert "Unknown gene" in texts(show_detail(seed_corpus, ViewState(genes=(999999999,))))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1/", True),
        ("http://www.ncbi.nlm.nih.gov/pmc/", False),
        ("javascript:alert(1)", False),
        ("https://evil.example/", False),
        ("//www.ncbi.nlm.nih.gov/", False),
        (None, False),
    ],
)
def test_safe_href(url, ok):
    assert (safe_href(url) is not None) == ok


# --- layout and server --------------------------------------------------------------------------------------------
def test_layout_ids_are_unique_and_public_ids_exist(app):
    found = [node.id for node in walk(app.layout) if isinstance(getattr(node, "id", None), str)]
    assert len(found) == len(set(found))
    for public in ("gene-search", "filter-organism", "filter-year", "network-graph", "detail-panel", "figure-table"):
        assert public in found


def test_server_routes(app):
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and ids.NETWORK in layout.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["status"] == "ok" and health.get_json()["figures"] == 190
    compressed = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers.get("Content-Encoding") in {"gzip", "br"}


def test_debug_is_off_unless_asked_for(app, seed_corpus, monkeypatch):
    """Debug mode (dev tools, tracebacks in the browser) only with DASH_DEBUG=1. (Mutation: enable dev tools
    unconditionally in create_app — the first assertions fail.)"""
    monkeypatch.delenv("DASH_DEBUG", raising=False)
    assert Settings().debug is False
    assert not app.server.debug and not app._dev_tools.ui
    monkeypatch.setenv("DASH_DEBUG", "1")
    debugging = create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)
    assert Settings().debug is True and debugging._dev_tools.ui


def test_load_problems_are_shown_in_the_header(tmp_path):
    (tmp_path / "good.md").write_text("---\nfigid: PMC5__good\n---\n")
    (tmp_path / "bad.md").write_text("not a record")
    app = create_app(Settings(data=(str(tmp_path),), use_cache=False))
    layout = json.dumps(app.layout.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "1 problem(s) while loading" in layout and f"{tmp_path.name}/bad.md" in layout
    # The page shows paths relative to the data root, never where the data lies on the server.
    assert str(tmp_path.parent) not in layout
    page = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    assert str(tmp_path.parent) not in page


def test_app_serves_the_fixture_site():
    app = create_app(Settings(data=(str(SITE),), use_cache=False))
    assert app.server.test_client().get("/healthz").get_json()["figures"] == 4


def test_thumbnails_only_when_asked_and_only_from_europe_pmc(seed_corpus):
    """Figure lists carry thumbnails (as `data-src`, loaded when in view) only when the user asks for them, each
    built from the record's pmcid and file name on Europe PMC; any other address is never drawn."""
    from dashboard.web.panels import thumbnail
    from dashboard.web.thumbnails import figure_thumbnails

    state = ViewState(genes=(8600,))
    off = json.dumps(show_detail(seed_corpus, state).to_plotly_json(), cls=PlotlyJSONEncoder)
    on = json.dumps(show_detail(seed_corpus, state, thumbnails=True).to_plotly_json(), cls=PlotlyJSONEncoder)
    assert "data-src" not in off and "europepmc" not in off
    shown = re.findall(r'"data-src": "([^"]+)"', on)
    assert shown and all(re.fullmatch(r"https://europepmc\.org/articles/PMC[0-9]+/bin/[^/]+", s) for s in shown)
    rows, _, _ = update_table(seed_corpus, state, 0, 5, None)
    figure = seed_corpus.figures.iloc[seed_corpus.figure_row(rows[0]["figid"])]
    stem = rows[0]["figid"].split("__", 1)[1]  # a figid is the pmcid and the file name's stem
    assert rows[0]["thumb"].startswith(f"https://europepmc.org/articles/{figure['pmcid']}/bin/{stem}.")
    assert figure_thumbnails(seed_corpus, ["no-such-figure"]) == [None]
    for address in ("javascript:alert(1)", "http://europepmc.org/a.jpg", "https://evil.example/a.jpg", None):
        assert thumbnail(address) is None


def test_a_figure_record_links_to_its_pfocr_page(seed_corpus):
    """Beside PMC, DOI and NDEx: the figure's page on the PFOCR site, by its figid (quoted), opened in a new tab."""
    figid = str(seed_corpus.figids[0])
    record = show_detail(seed_corpus, ViewState(figure=figid))
    hrefs = {c.href: c.children for c in walk(record) if getattr(c, "href", None)}
    assert hrefs[f"https://pfocr.wikipathways.org/figures/{figid}"] == "PFOCR ↗"


def test_an_enrichment_pick_that_replaces_the_chosen_genes_says_so(seed_corpus):
    """Opening an enrichment result centres the view on the list's genes in that figure: when other genes were
    chosen, a notice says they were replaced (and Back returns); with none chosen, nothing needs saying."""
    figid = FIGURE
    overlap = [8600, 8792]
    picked = {"picked": [{"figid": figid, "overlap_ids": overlap}], "search": ""}
    chosen = ViewState(genes=(7157,))
    state, notices = next_state(seed_corpus, ids.ENRICH_TABLE, picked, chosen)
    assert state.genes == tuple(overlap) and state.figure == figid
    assert len(notices) == 1 and "replaced by the list's 2 genes" in notices[0]
    state, notices = next_state(seed_corpus, ids.ENRICH_TABLE, picked, ViewState())
    assert state.genes == tuple(overlap) and notices == []


def test_a_path_between_two_genes_lives_in_the_link(seed_corpus):
    state, notices = parse_query(seed_corpus, "?path=TNFSF11,AKT1")
    assert state.path == (8600, 207) and notices == []
    assert to_query(seed_corpus, state) == "?path=TNFSF11,AKT1"
    assert read_stored(state.to_dict()) == (state, [])
    assert state.network_part() == ViewState().network_part()  # the network does not depend on it
    for bad in ("?path=TNFSF11", "?path=TNFSF11,NOPE", "?path=a,b,c"):
        dropped, notices = parse_query(seed_corpus, bad)
        assert dropped.path is None and len(notices) == 1 and "is not two genes" in notices[0]


def test_a_search_for_a_gene_symbol_points_to_the_genes_figures(seed_corpus):
    """The text search reads titles and captions: "TP53" there finds few figures or none, so the hits say it is a
    gene and link to the figures holding it; a search that names no gene gets no such line."""
    hits = show_search_hits(seed_corpus, ViewState(text="TP53"))
    hint = next(c for c in walk(hits) if getattr(c, "className", "") == "gene-hint")
    link = next(c for c in walk(hint) if getattr(c, "href", None))
    state, _ = parse_query(seed_corpus, link.href.lstrip("/"))
    assert state.genes == (7157,) and state.text == ""
    osteoclast = show_search_hits(seed_corpus, ViewState(text="osteoclast"))
    assert not any(getattr(c, "className", "") == "gene-hint" for c in walk(osteoclast))
