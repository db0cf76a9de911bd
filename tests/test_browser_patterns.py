"""The pattern views in the real page (headless Chromium, dash_duo): a gene's timeline, the co-occurrence network
and a click that chooses a community, and the paths between two genes with a figure of a chain opened — each
checked against the analysis floor's answer for the same selection. (The map's test is in test_corpusmap.py.)"""

from __future__ import annotations

from collections import Counter
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from conftest import SEEDS
from dash.testing.wait import until
from selenium.webdriver.common.keys import Keys
from test_browser import TIMEOUT, assert_console_clean, wait_for_network, watch_console
from test_browser_search import choose_option

from dashboard.analysis.model import figures_for_genes
from dashboard.analysis.patterns import find_paths
from dashboard.analysis.selection import filter_selection
from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import create_app
from dashboard.web.cooccurrence import DEFAULT_TOP, community_query, update_cooccurrence
from dashboard.web.options import gene_options
from dashboard.web.state import ViewState, parse_query, to_selection
from dashboard.web.timeline import update_timeline

pytestmark = pytest.mark.browser

PLOT_DATA = """
const plot = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
return plot && plot.data ? plot.data.map(t => ({name: t.name, x: t.x, y: t.y, customdata: t.customdata})) : null;
"""


@pytest.fixture
def app(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)


def open_tab(dash_duo, label: str):
    tabs = dash_duo.find_elements(f"#{ids.PATTERN_TABS} .tab")
    (tab,) = [t for t in tabs if t.text == label]
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", tab)
    tab.click()


def option_labels(dash_duo) -> list[str]:
    """The labels of the open dropdown's options, in the order shown."""
    return dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('.dash-dropdown-options .dash-dropdown-option')].map(o => o.innerText);"
    )


def plot_data(dash_duo, graph_id: str) -> list[dict] | None:
    return dash_duo.driver.execute_script(PLOT_DATA, graph_id)


def link_state(corpus, url: str) -> ViewState:
    return parse_query(corpus, unquote(urlsplit(url).query))[0]


def test_the_timeline_counts_a_genes_figures_by_year(dash_duo, app, seed_corpus):
    rows = figures_for_genes(seed_corpus, (seed_corpus.gene_row(8600),))
    years = seed_corpus.years[rows]
    expected = Counter(int(y) for y in years[~np.isnan(years)])
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TNFSF11")
    wait_for_network(dash_duo)
    open_tab(dash_duo, "Timeline")
    dash_duo.wait_for_contains_text(f"#{ids.TIMELINE_NOTE}", f"TNFSF11 first in {min(expected)}", timeout=TIMEOUT)
    until(lambda: plot_data(dash_duo, ids.TIMELINE_GRAPH), timeout=TIMEOUT)
    bars, share = plot_data(dash_duo, ids.TIMELINE_GRAPH)
    assert {x: y for x, y in zip(bars["x"], bars["y"], strict=True) if y} == dict(expected)
    assert all(0 < s < 100 for s, n in zip(share["y"], bars["y"], strict=True) if n)
    assert not legend_meets_modebar(dash_duo, ids.TIMELINE_GRAPH)
    assert_console_clean(dash_duo)


def test_a_gene_of_the_cooccurrence_network_chooses_its_community(dash_duo, app, seed_corpus):
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?organisms=Homo+sapiens")
    wait_for_network(dash_duo)
    open_tab(dash_duo, "Gene co-occurrence")
    dash_duo.wait_for_contains_text(f"#{ids.COOCCURRENCE_NOTE}", "communities (Louvain)", timeout=TIMEOUT)
    until(lambda: plot_data(dash_duo, ids.COOCCURRENCE_GRAPH), timeout=TIMEOUT)
    community = next(t for t in plot_data(dash_duo, ids.COOCCURRENCE_GRAPH) if (t["customdata"] or [""])[0])
    node = community["customdata"][0]
    state = ViewState(organisms=("Homo sapiens",))
    expected = link_state(seed_corpus, community_query(seed_corpus, state, node, None))
    dash_duo.driver.execute_script(
        """
        const plot = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
        const curve = plot.data.findIndex(t => (t.customdata || []).includes(arguments[1]));
        const trace = plot.data[curve], index = trace.customdata.indexOf(arguments[1]);
        plot.emit('plotly_click', {points: [{curveNumber: curve, pointNumber: index, pointIndex: index,
            customdata: arguments[1], data: trace, x: trace.x[index], y: trace.y[index]}]});
        """,
        ids.COOCCURRENCE_GRAPH,
        node,
    )
    until(lambda: "genes=" in dash_duo.driver.current_url, timeout=TIMEOUT)
    chosen = link_state(seed_corpus, dash_duo.driver.current_url)
    assert chosen.genes == expected.genes and len(chosen.genes) >= 2
    assert int(node.removeprefix("gene:")) in chosen.genes
    assert_console_clean(dash_duo)


LEGEND_AND_MODEBAR = """
const root = document.getElementById(arguments[0]);
const legend = root && root.querySelector('g.legend'), bar = root && root.querySelector('.modebar');
if (!legend || !bar) return null;
const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
return {legend: box(legend), modebar: box(bar)};
"""
OLD_LEGEND = """
const plot = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
return Plotly.relayout(plot, {legend: {title: {text: 'communities (top genes)'}, font: {size: 11}}});
"""


def legend_meets_modebar(dash_duo, graph_id: str) -> bool:
    boxes = dash_duo.driver.execute_script(LEGEND_AND_MODEBAR, graph_id)
    assert boxes, "no legend or no modebar drawn"
    (l1, t1, r1, b1), (l2, t2, r2, b2) = boxes["legend"], boxes["modebar"]
    return l1 < r2 and l2 < r1 and t1 < b2 and t2 < b1


def test_the_cooccurrence_legend_is_clear_of_the_modebar(dash_duo, app):
    """The legend and its title drawn where the toolbar is not; the legend as it was placed (plotly's top right)
    met it — the measure sees the overlap it is there to catch."""
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?organisms=Homo+sapiens")
    wait_for_network(dash_duo)
    open_tab(dash_duo, "Gene co-occurrence")
    dash_duo.wait_for_contains_text(f"#{ids.COOCCURRENCE_NOTE}", "communities (Louvain)", timeout=TIMEOUT)
    until(lambda: dash_duo.driver.execute_script(LEGEND_AND_MODEBAR, ids.COOCCURRENCE_GRAPH), timeout=TIMEOUT)
    assert not legend_meets_modebar(dash_duo, ids.COOCCURRENCE_GRAPH)
    dash_duo.driver.execute_script(OLD_LEGEND, ids.COOCCURRENCE_GRAPH)
    until(lambda: legend_meets_modebar(dash_duo, ids.COOCCURRENCE_GRAPH), timeout=TIMEOUT)
    assert_console_clean(dash_duo)


def test_paths_between_two_genes_and_a_figure_of_a_chain_opens(dash_duo, app, seed_corpus):
    rankl, akt1 = seed_corpus.gene_row(8600), seed_corpus.gene_row(207)
    mask = filter_selection(seed_corpus, to_selection(seed_corpus, ViewState()))
    found = find_paths(seed_corpus, rankl, akt1, mask)
    assert found.length is not None
    watch_console(dash_duo)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    open_tab(dash_duo, "Paths between two genes")
    choose_option(dash_duo, ids.PATH_FROM, "TNFSF11", "TNFSF11")
    choose_option(dash_duo, ids.PATH_TO, "AKT1", "AKT1")
    dash_duo.find_element(f"#{ids.PATH_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.PATH_RESULT}", "TNFSF11 and AKT1", timeout=TIMEOUT)
    assert link_state(seed_corpus, dash_duo.driver.current_url).path == (8600, 207)  # the path is in the link
    # The link opened afresh shows the same chains, in the Paths tab, with both genes in their pickers.
    dash_duo.driver.get(dash_duo.driver.current_url)
    dash_duo.wait_for_contains_text(f"#{ids.PATH_RESULT}", "TNFSF11 and AKT1", timeout=TIMEOUT)
    assert "TNFSF11" in dash_duo.find_element(f"#{ids.PATH_FROM}").text
    assert "AKT1" in dash_duo.find_element(f"#{ids.PATH_TO}").text
    chains = dash_duo.find_elements(f"#{ids.PATH_RESULT} li.path")
    assert len(chains) == len(found.paths)
    links = chains[0].find_elements("css selector", "a.path-figure")
    shown = {link.get_attribute("title") for chain in chains for link in chain.find_elements("css selector", "a")}
    expected = {str(seed_corpus.figids[row]) for path in found.paths for kind, row in path if kind == "figure"}
    assert expected <= shown
    figid = links[0].get_attribute("title")
    links[0].click()
    until(lambda: link_state(seed_corpus, dash_duo.driver.current_url).figure == figid, timeout=TIMEOUT)
    title = seed_corpus.figures["title"].iat[seed_corpus.figure_row(figid)]
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", title[:40], timeout=TIMEOUT)
    assert_console_clean(dash_duo)


RECORD_CALLBACKS = """
window.pfocrCalls = [];
if (!window.pfocrFetch) {
  window.pfocrFetch = window.fetch;
  window.fetch = function (resource, init) {
    const url = typeof resource === 'string' ? resource : resource.url;
    if (url.includes('_dash-update-component') && init && typeof init.body === 'string') {
      window.pfocrCalls.push(JSON.parse(init.body).output);
    }
    return window.pfocrFetch.apply(this, arguments);
  };
}
"""


def callbacks_since(dash_duo) -> str:
    """The outputs of every server callback the page asked for since the last call (once none is running)."""
    until(dash_duo._wait_for_callbacks, TIMEOUT)
    return " ".join(dash_duo.driver.execute_script("const c = window.pfocrCalls; window.pfocrCalls = []; return c;"))


def test_views_with_nothing_to_do_are_not_asked_and_catch_up_when_opened(dash_duo, app, seed_corpus):
    """A new selection asks the server only for the views that show it: a closed pattern tab, the search's hits
    without a search and the enrichment before a list is run are skipped; a tab opened later draws the selection of
    that moment, the hits empty when the search ends, and a list once run is run again under the new selection."""
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?organisms=Homo+sapiens")
    wait_for_network(dash_duo)
    dash_duo.driver.execute_script(RECORD_CALLBACKS)
    callbacks_since(dash_duo)

    dash_duo.find_element(f"#{ids.TEXT_SEARCH}").send_keys("osteoclast", Keys.ENTER)
    dash_duo.wait_for_contains_text(f"#{ids.SEARCH_HITS}", "figures match", timeout=TIMEOUT)
    asked = callbacks_since(dash_duo)
    assert ids.NETWORK in asked and ids.SEARCH_HITS in asked and ids.TIMELINE_GRAPH in asked  # the open tab
    assert ids.COOCCURRENCE_GRAPH not in asked and ids.MAP_GRAPH not in asked and ids.ENRICH_TABLE not in asked

    open_tab(dash_duo, "Gene co-occurrence")
    searched = ViewState(organisms=("Homo sapiens",), text="osteoclast")
    note = update_cooccurrence(seed_corpus, searched, DEFAULT_TOP)[1]
    dash_duo.wait_for_text_to_equal(f"#{ids.COOCCURRENCE_NOTE}", note, timeout=TIMEOUT)
    asked = callbacks_since(dash_duo)  # the tab left is emptied, so that it never shows an old selection when opened
    assert ids.TIMELINE_GRAPH in asked and ids.COOCCURRENCE_GRAPH in asked
    dash_duo.find_element(f"#{ids.ENRICH_GENES}").send_keys("TNFSF11 TNFRSF11A MAPK1")
    dash_duo.find_element(f"#{ids.ENRICH_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ENRICH_MESSAGE}", "gene set", timeout=TIMEOUT)
    callbacks_since(dash_duo)

    box = dash_duo.find_element(f"#{ids.TEXT_SEARCH}")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE, Keys.ENTER)
    until(lambda: dash_duo.find_element(f"#{ids.SEARCH_HITS}").text == "", timeout=TIMEOUT)
    plain = update_cooccurrence(seed_corpus, ViewState(organisms=("Homo sapiens",)), DEFAULT_TOP)[1]
    assert plain != note
    dash_duo.wait_for_text_to_equal(f"#{ids.COOCCURRENCE_NOTE}", plain, timeout=TIMEOUT)
    asked = callbacks_since(dash_duo)
    assert ids.ENRICH_TABLE in asked and ids.COOCCURRENCE_GRAPH in asked and ids.SEARCH_HITS in asked
    assert ids.TIMELINE_GRAPH not in asked and ids.MAP_GRAPH not in asked

    open_tab(dash_duo, "Timeline")  # left while the search was on: it draws the selection without it
    timeline_note = update_timeline(seed_corpus, ViewState(organisms=("Homo sapiens",)))[1]
    assert timeline_note != update_timeline(seed_corpus, searched)[1]
    dash_duo.wait_for_text_to_equal(f"#{ids.TIMELINE_NOTE}", timeline_note, timeout=TIMEOUT)
    assert_console_clean(dash_duo)


def test_every_gene_picker_offers_the_exact_symbol_first(dash_duo, app, seed_corpus):
    """The genes box and both path pickers list a typed symbol's options in the server's order: `MAPK1` itself
    before `MAPK14`, `MAPK13`… (a dropdown re-sorting them offered MAPK14 first)."""
    expected = [option["label"] for option in gene_options(seed_corpus, "MAPK1", [])]
    assert expected[0].startswith("MAPK1 ·") and any(label.startswith("MAPK14") for label in expected)
    watch_console(dash_duo)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    open_tab(dash_duo, "Paths between two genes")
    for picker in (ids.GENE_SEARCH, ids.PATH_FROM, ids.PATH_TO):
        dash_duo.find_element(f"#{picker}").click()
        dash_duo.find_element(".dash-dropdown-search").send_keys("MAPK1")
        until(lambda: option_labels(dash_duo) == expected, timeout=TIMEOUT)
        dash_duo.find_element("body").send_keys(Keys.ESCAPE)
    assert_console_clean(dash_duo)
