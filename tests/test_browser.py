"""Top of the pyramid: the real app in headless Chromium, clicked through as a user would (dash_duo)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEEDS
from dash.testing.wait import until
from hostile import IMG, SCRIPT, XSS_FIGURE, write_hostile_corpus
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard.analysis.selection import selection_figures
from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import create_app
from dashboard.web.exports import to_figure_genes_tsv
from dashboard.web.state import parse_query, to_query, to_selection

pytestmark = pytest.mark.browser

TIMEOUT = 20


@pytest.fixture
def app(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)


def wait_for_overview(dash_duo):
    """Wait until nothing is chosen: the record panel shows the corpus overview, and no record."""
    until(lambda: dash_duo.find_element(f"#{ids.OVERVIEW}").is_displayed(), timeout=TIMEOUT)
    until(lambda: dash_duo.find_element(f"#{ids.DETAIL}").text == "", timeout=TIMEOUT)


def wait_for_network(dash_duo):
    dash_duo.wait_for_contains_text(f"#{ids.NETWORK_STATUS}", "Showing", timeout=TIMEOUT)


def chosen_in_view(dash_duo) -> list[str]:
    """The chosen genes the network draws now (their node ids)."""
    return dash_duo.driver.execute_script(
        "const graph = document.querySelector('#network-graph .js-plotly-plot');"
        "return graph && graph.data ? graph.data.filter(t => (t.name || '').endsWith('(chosen)'))"
        ".flatMap(t => t.customdata) : [];"
    )


def wait_for_chosen(dash_duo, expected: list[str]) -> list[str]:
    """Wait until the network draws exactly these chosen genes: "Showing" is on the page before a change is drawn,
    so waiting for it alone would read the old view."""
    until(lambda: sorted(chosen_in_view(dash_duo)) == sorted(expected), timeout=TIMEOUT)
    return chosen_in_view(dash_duo)


def click_node(dash_duo, node_id: str):
    """Click a node of the plotly network by its id (customdata), through plotly's own event."""
    dash_duo.driver.execute_script(
        """
        const graph = document.querySelector('#network-graph .js-plotly-plot');
        for (const [curve, trace] of graph.data.entries()) {
            const index = (trace.customdata || []).indexOf(arguments[0]);
            if (index >= 0) {
                graph.emit('plotly_click', {points: [{curveNumber: curve, pointNumber: index, pointIndex: index,
                    customdata: arguments[0], data: trace, x: trace.x[index], y: trace.y[index]}]});
                return;
            }
        }
        throw new Error('no node ' + arguments[0]);
        """,
        node_id,
    )


def assert_no_console_errors(dash_duo):
    """No errors in the console, except that figure images from outside cannot load on this closed network."""
    errors = [
        entry
        for entry in dash_duo.get_logs() or []
        if entry.get("level") == "SEVERE"
        and not (entry.get("source") == "network" and entry.get("message", "").startswith("https://europepmc.org/"))
    ]
    assert errors == [], errors


def test_page_loads_with_network_and_no_errors(dash_duo, app, seed_corpus):
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    status = dash_duo.find_element(f"#{ids.NETWORK_STATUS}").text
    drawable = int((seed_corpus.figure_sizes() > 0).sum())  # figures with genes
    geneless = seed_corpus.n_figures - drawable
    assert status.startswith("Showing") and f"of {seed_corpus.n_figures:,} figures ({geneless} hold no genes" in status
    assert f"{seed_corpus.n_figures - drawable:,} figures left out" not in status
    assert dash_duo.find_element(f"#{ids.HEADER_STATS}").text.startswith("190 figures")
    traces = dash_duo.driver.execute_script(
        "return document.querySelector('#network-graph .js-plotly-plot').data.map(t => t.name)"
    )
    assert {"Figure", "Gene in several figures"} <= set(traces)
    for element_id in (ids.GENE_SEARCH, ids.ORGANISM_FILTER, ids.YEAR_FILTER, ids.DETAIL, ids.FIGURE_TABLE):
        assert dash_duo.find_element(f"#{element_id}")
    assert_no_console_errors(dash_duo)


def test_a_figure_list_item_and_a_figure_node_open_their_records(dash_duo, app, seed_corpus):
    """The two ways to a record the README promises besides a table row: an item of a gene's figure list, and a
    figure node of the network."""
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TNFSF11")
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "TNFSF11", timeout=TIMEOUT)
    item = dash_duo.find_element(f"#{ids.DETAIL} .figure-link")
    title = item.find_element(By.CSS_SELECTOR, ".figure-title").text
    item.click()
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", title[:30], timeout=TIMEOUT)
    until(lambda: "figure=" in dash_duo.driver.current_url, timeout=TIMEOUT)
    opened = dash_duo.driver.current_url.split("figure=", 1)[1].split("&", 1)[0]
    holding = seed_corpus.links.loc[seed_corpus.links["gene_id"] == 8600, "figid"].astype(str)
    other = next(f for f in holding if f != opened)
    wait_for_chosen(dash_duo, ["gene:8600"])
    click_node(dash_duo, f"figure:{other}")
    until(lambda: f"figure={other}" in dash_duo.driver.current_url, timeout=TIMEOUT)
    expected = str(seed_corpus.figures.loc[seed_corpus.figure_row(other), "title"])
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", expected[:30], timeout=TIMEOUT)
    assert_no_console_errors(dash_duo)


def test_clicking_a_gene_node_fills_the_detail_panel(dash_duo, app):
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    click_node(dash_duo, "gene:5594")  # MAPK1, among the most connected genes
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "MAPK1", timeout=TIMEOUT)
    detail = dash_duo.find_element(f"#{ids.DETAIL}")
    n_listed = len(detail.find_elements(By.CSS_SELECTOR, ".figure-link"))
    assert n_listed == app.server.config["PFOCR_CORPUS"].genes.set_index("gene_id").loc[5594, "n_figures"]
    assert "ncbi.nlm.nih.gov/gene/5594" in detail.find_element(By.CSS_SELECTOR, "a.external").get_attribute("href")
    dash_duo.wait_for_contains_text(f"#{ids.NETWORK_STATUS}", "Showing", timeout=TIMEOUT)
    assert "genes=MAPK1" in dash_duo.driver.current_url
    assert_no_console_errors(dash_duo)


def test_choosing_an_organism_changes_the_counts(dash_duo, app):
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    dash_duo.wait_for_contains_text(f"#{ids.SELECTION_SUMMARY}", "190 of 190", timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown(f"#{ids.ORGANISM_FILTER}", value="Mus musculus — mouse (22)")
    dash_duo.wait_for_contains_text(f"#{ids.SELECTION_SUMMARY}", "22 of 190", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text(f"#{ids.TABLE_STATUS}", "22 figure(s)", timeout=TIMEOUT)
    assert "organisms=Mus+musculus" in dash_duo.driver.current_url
    assert_no_console_errors(dash_duo)


def test_deep_link_opens_a_figure(dash_duo, app):
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?figure=PMC7090164__fcell-08-00089-g002&genes=TNFSF11")
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "Exosome-mediated communication", timeout=TIMEOUT)
    detail = dash_duo.find_element(f"#{ids.DETAIL}")
    assert "Osteoblast-derived exosomes" in detail.find_element(By.CSS_SELECTOR, ".caption").text
    hrefs = [a.get_attribute("href") for a in detail.find_elements(By.CSS_SELECTOR, "a.external")]
    assert "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7090164/figure/F2/" in hrefs
    chips = [c.text for c in detail.find_elements(By.CSS_SELECTOR, ".chip .chip-label")]
    assert sorted(chips) == ["EPHA2", "TNFRSF11A", "TNFSF11"]
    # The image is fetched from Europe PMC only when asked for; it cannot load here (no outside network): the
    # link to the figure takes its place.
    assert not detail.find_elements(By.CSS_SELECTOR, "img")
    detail.find_element(By.CSS_SELECTOR, ".figure-image-slot button").click()
    dash_duo.wait_for_element(".figure-image-box.image-failed .image-fallback a", timeout=TIMEOUT)
    assert dash_duo.find_element(".image-fallback a").is_displayed()
    wait_for_network(dash_duo)
    assert_no_console_errors(dash_duo)


def test_gene_chip_recentres_the_view(dash_duo, app):
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?figure=PMC7090164__fcell-08-00089-g002")
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "Exosome", timeout=TIMEOUT)
    chip = dash_duo.find_element(f'#{ids.DETAIL} .chip[title^="TNFRSF11A"]')
    chip.click()
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "TNFRSF11A", timeout=TIMEOUT)
    assert wait_for_chosen(dash_duo, ["gene:8792"]) == ["gene:8792"]
    assert "genes=TNFRSF11A" in dash_duo.driver.current_url
    assert "figure=" not in dash_duo.driver.current_url
    assert_no_console_errors(dash_duo)


def test_type_ahead_finds_a_gene_by_its_ocr_word(dash_duo, app):
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    dash_duo.find_element(f"#{ids.GENE_SEARCH}").click()
    dash_duo.find_element(".dash-dropdown-search").send_keys("rankl")
    dash_duo.wait_for_contains_text(".dash-dropdown-options", "TNFSF11", timeout=TIMEOUT)
    option = dash_duo.find_element(".dash-dropdown-options .dash-dropdown-option")
    assert option.text.startswith("TNFSF11 · Homo sapiens") and "“RANKL”" in option.text
    option.click()
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "TNFSF11", timeout=TIMEOUT)
    assert "genes=TNFSF11" in dash_duo.driver.current_url
    assert_no_console_errors(dash_duo)


def test_bad_url_values_get_a_notice(dash_duo, app):
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=NOSUCHGENE&years=abc&match=some")
    dash_duo.wait_for_contains_text(f"#{ids.NOTICE}", "Unknown gene 'NOSUCHGENE' dropped", timeout=TIMEOUT)
    notice = dash_duo.find_element(f"#{ids.NOTICE}").text
    assert "Years 'abc'" in notice and "Match mode 'some'" in notice
    wait_for_network(dash_duo)
    assert_no_console_errors(dash_duo)


def test_back_button_restores_the_previous_view(dash_duo, app):
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    click_node(dash_duo, "gene:5594")
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "MAPK1", timeout=TIMEOUT)
    click_node(dash_duo, "gene:5595")
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "MAPK3", timeout=TIMEOUT)
    dash_duo.driver.back()
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "MAPK1", timeout=TIMEOUT)
    assert_no_console_errors(dash_duo)


def test_enrichment_row_opens_the_figure_and_highlights_its_genes(dash_duo, app):
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    dash_duo.find_element(f"#{ids.ENRICH_GENES}").send_keys("MAPK1\nMAPK3, AKT1 TP53 notagene")
    dash_duo.find_element(f"#{ids.ENRICH_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ENRICH_MESSAGE}", "in it (1): notagene", timeout=TIMEOUT)
    first = dash_duo.wait_for_element(f"#{ids.ENRICH_TABLE} .ag-row[row-index='0'] .ag-cell", timeout=TIMEOUT)
    title = first.text
    first.click()
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", title[:30], timeout=TIMEOUT)
    wait_for_chosen(dash_duo, ["gene:207", "gene:5594", "gene:5595", "gene:7157"])
    assert_no_console_errors(dash_duo)


def test_a_lower_case_list_gives_genes_of_one_species(dash_duo, app, seed_corpus):
    """The reported case: a lower-case list matched zebrafish and mouse genes; every overlap is now human."""
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    dash_duo.find_element(f"#{ids.ENRICH_GENES}").send_keys("mapk1 mapk3 akt1 tp53 kras braf raf1 grb2")
    dash_duo.find_element(f"#{ids.ENRICH_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ENRICH_MESSAGE}", "Species: Homo sapiens", timeout=TIMEOUT)
    assert "8 gene(s) tested" in dash_duo.find_element(f"#{ids.ENRICH_MESSAGE}").text
    dash_duo.wait_for_element(f"#{ids.ENRICH_TABLE} .ag-row[row-index='0'] .ag-cell", timeout=TIMEOUT)
    overlaps = dash_duo.driver.execute_script(
        "const api = dash_ag_grid.getApi(arguments[0]); const ids = [];"
        "api.forEachNode(n => ids.push(...n.data.overlap_ids)); return ids;",
        ids.ENRICH_TABLE,
    )
    assert overlaps and {seed_corpus.gene_organisms[seed_corpus.gene_row(g)] for g in overlaps} == {"Homo sapiens"}
    first = dash_duo.driver.execute_script(
        "return dash_ag_grid.getApi(arguments[0]).getDisplayedRowAtIndex(0).data.overlap_ids", ids.ENRICH_TABLE
    )
    dash_duo.find_element(f"#{ids.ENRICH_TABLE} .ag-row[row-index='0'] .ag-cell").click()
    chosen = wait_for_chosen(dash_duo, [f"gene:{g}" for g in first])
    assert chosen and all(
        seed_corpus.gene_organisms[seed_corpus.gene_row(int(c[5:]))] == "Homo sapiens" for c in chosen
    )
    assert_no_console_errors(dash_duo)


def test_hostile_records_show_as_text_and_run_nothing(dash_duo, tmp_path):
    expected, _ = write_hostile_corpus(tmp_path)
    dash_duo.start_server(create_app(Settings(data=(str(tmp_path),), use_cache=False)))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?figure={XSS_FIGURE}")
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", SCRIPT, timeout=TIMEOUT)
    detail = dash_duo.find_element(f"#{ids.DETAIL}")
    assert IMG in detail.find_element(By.CSS_SELECTOR, ".caption").text
    assert "[a link](javascript:alert(1))" in detail.text and "&lt;b&gt;entities&lt;/b&gt;" in detail.text
    assert "<b>Homo sapiens</b>" in detail.text
    chip = next(c for c in detail.find_elements(By.CSS_SELECTOR, ".chip") if "TP53" in c.text)
    assert IMG in chip.text
    chip.click()
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "TP53", timeout=TIMEOUT)
    wait_for_network(dash_duo)
    hrefs = dash_duo.driver.execute_script("return [...document.querySelectorAll('[href]')].map(e => e.href)")
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
    assert dash_duo.driver.execute_script("return window.__xss === undefined")
    assert (
        dash_duo.driver.execute_script("return document.querySelectorAll('#detail-panel img[src=\"x\"]').length") == 0
    )
    problems = dash_duo.find_element(f"#{ids.PROBLEMS}")
    assert f"{len(expected)} problem(s) while loading" in problems.text
    assert_no_console_errors(dash_duo)


# --- tables, records, controls and history (issue 10) ---------------------------------------------------------
# dash_duo's browser log keeps only SEVERE entries; this hook, run before any script of every page, also keeps the
# console's warnings and errors (in sessionStorage, so they outlive a page load).
CONSOLE_HOOK = """
(() => {
  const keep = (text) => {
    try {
      const seen = JSON.parse(sessionStorage.getItem("pfocr-console") || "[]");
      seen.push(text);
      sessionStorage.setItem("pfocr-console", JSON.stringify(seen));
    } catch (error) {}
  };
  for (const level of ["warn", "error"]) {
    const original = console[level].bind(console);
    console[level] = (...args) => {
      keep(level + ": " + args.map(String).join(" "));
      original(...args);
    };
  }
  window.addEventListener("error", (event) => keep("uncaught: " + event.message));
  window.addEventListener("unhandledrejection", (event) => keep("unhandled rejection: " + event.reason));
})();
"""
# Numbers and headers of both tables that do not show in full (cut, or a word broken over two lines), and a grid
# whose columns are wider than the grid.
UNREADABLE = """
const found = [];
for (const grid of ["figure-table", "enrich-table"]) {
  for (const text of document.querySelectorAll("#" + grid + " .ag-header-cell-text")) {
    const range = document.createRange();
    range.selectNodeContents(text);
    const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    if (text.scrollWidth > text.clientWidth + 1 || lines > text.textContent.trim().split(/\\s+/).length) {
      found.push(grid + " header " + text.textContent);
    }
  }
  for (const cell of document.querySelectorAll("#" + grid + " .ag-cell.ag-right-aligned-cell")) {
    if (cell.scrollWidth > cell.clientWidth) found.push(grid + " cell " + cell.textContent);
  }
  const columns = document.querySelector("#" + grid + " .ag-center-cols-container");
  const viewport = document.querySelector("#" + grid + " .ag-center-cols-viewport");
  if (columns.scrollWidth > viewport.clientWidth + 1) found.push(grid + " scrolls sideways");
}
return found;
"""


def watch_console(dash_duo):
    """Keep every console warning and error of the pages opened from now on (call before `start_server`)."""
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CONSOLE_HOOK})


def assert_console_clean(dash_duo):
    """Once no callback is running: no errors and no warnings — in the browser's log or the pages' console — except
    that figure images from europepmc.org cannot load on this closed network."""
    until(dash_duo._wait_for_callbacks, TIMEOUT)  # dash.testing's own check: no callback pending
    assert_no_console_errors(dash_duo)
    kept = dash_duo.driver.execute_script("return JSON.parse(sessionStorage.getItem('pfocr-console') || '[]')")
    problems = [text for text in kept if "https://europepmc.org/" not in text]
    assert problems == [], problems


def detail_in_view(dash_duo) -> bool:
    """Whether the record's panel (the box that scrolls the record) is whole inside the window, its top shown."""
    return dash_duo.driver.execute_script(
        "const panel = document.getElementById(arguments[0]).closest('.record-panel');"
        "const r = panel.getBoundingClientRect();"
        "return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && panel.scrollTop === 0;",
        ids.DETAIL,
    )


def figure_row(dash_duo, index: int):
    return dash_duo.wait_for_element(
        f"#{ids.FIGURE_TABLE} .ag-row[row-index='{index}'] .ag-cell[col-id='title']", timeout=TIMEOUT
    )


def click_figure_row(dash_duo, index: int):
    """Click a row of the figure table, again if the grid redrew its rows (as it does when they arrive)."""

    def clicked():
        try:
            figure_row(dash_duo, index).click()
        except StaleElementReferenceException:
            return False
        return True

    until(clicked, TIMEOUT)


def run_enrichment(dash_duo, genes: str = "MAPK1 MAPK3 AKT1 TP53 KRAS BRAF RAF1 GRB2 EGFR"):
    dash_duo.find_element(f"#{ids.ENRICH_GENES}").send_keys(genes)
    dash_duo.find_element(f"#{ids.ENRICH_RUN}").click()
    return dash_duo.wait_for_element(f"#{ids.ENRICH_TABLE} .ag-row[row-index='0'] .ag-cell", timeout=TIMEOUT)


def test_a_table_row_brings_its_record_into_view(dash_duo, app, seed_corpus):
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TP53")
    wait_for_network(dash_duo)
    cell = figure_row(dash_duo, 2)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    assert not detail_in_view(dash_duo)  # the record is far above the table
    figid = dash_duo.find_element(f"#{ids.FIGURE_TABLE} .ag-row[row-index='2']").get_attribute("row-id")
    cell.click()
    until(lambda: detail_in_view(dash_duo), TIMEOUT)
    title = seed_corpus.figures["title"].iloc[seed_corpus.figure_row(figid)]
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", title[:40], timeout=TIMEOUT)
    assert f"figure={figid}" in dash_duo.driver.current_url
    assert_console_clean(dash_duo)


def test_enter_on_a_focused_row_opens_it(dash_duo, app):
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TP53")
    wait_for_network(dash_duo)
    click_figure_row(dash_duo, 0)  # opens the first record; the keyboard stays in the table
    until(lambda: "figure=" in dash_duo.driver.current_url, TIMEOUT)
    second = dash_duo.find_element(f"#{ids.FIGURE_TABLE} .ag-row[row-index='1']").get_attribute("row-id")
    dash_duo.driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    focused = dash_duo.driver.switch_to.active_element
    assert focused.find_element(By.XPATH, "./ancestor::*[@row-index][1]").get_attribute("row-id") == second
    assert f"figure={second}" not in dash_duo.driver.current_url  # moving the focus opens nothing
    focused.send_keys(Keys.ENTER)
    until(lambda: f"figure={second}" in dash_duo.driver.current_url, TIMEOUT)
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} code", second, timeout=TIMEOUT)
    until(lambda: detail_in_view(dash_duo), TIMEOUT)
    assert_console_clean(dash_duo)


SHOWN_NUMBERS = """
const api = dash_ag_grid.getApi(arguments[0]);
const shown = [];
for (const cell of document.querySelectorAll(`#${arguments[0]} .ag-cell[col-id='${arguments[1]}']`)) {
    const row = api.getDisplayedRowAtIndex(Number(cell.closest('.ag-row').getAttribute('row-index')));
    shown.push([cell.innerText, row.data[arguments[1]]]);
}
return shown;
"""


def test_tables_show_their_numbers_in_full(dash_duo, app):
    """p and FDR in scientific notation that fits, headers whole, no column cut off, at 1400 and at 800 px."""
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TP53")
    wait_for_network(dash_duo)
    run_enrichment(dash_duo)
    for width in (1400, 800):
        dash_duo.driver.set_window_size(width, 1000)
        assert width - 20 <= dash_duo.driver.execute_script("return window.innerWidth") <= width
        dash_duo.wait_for_element(f"#{ids.ENRICH_TABLE} .ag-row[row-index='0']", timeout=TIMEOUT)
        figure_row(dash_duo, 0)
        until(lambda: dash_duo.driver.execute_script(UNREADABLE) == [], TIMEOUT, msg=f"cut at {width} px")
        p_values = [c.text for c in dash_duo.find_elements(f"#{ids.ENRICH_TABLE} .ag-cell[col-id='p_value']")]
        assert p_values and all("e-" in p or float(p) >= 1e-3 for p in p_values), p_values
        for column in ("p_value", "fdr"):  # three significant digits: an FDR of 0.0497 is not "0.05"
            shown = dash_duo.driver.execute_script(SHOWN_NUMBERS, ids.ENRICH_TABLE, column)
            assert shown and all(float(text) == float(f"{value:.3g}") for text, value in shown), shown
    title = dash_duo.find_element(f"#{ids.FIGURE_TABLE} .ag-row[row-index='0'] .ag-cell[col-id='title']")
    assert title.value_of_css_property("text-overflow") == "ellipsis"
    assert_console_clean(dash_duo)


def test_a_typical_interaction_leaves_the_console_clean(dash_duo, app):
    """Choose a gene, sort the table, open a figure, run an enrichment and open a result: no warning, no error."""
    watch_console(dash_duo)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    dash_duo.find_element(f"#{ids.GENE_SEARCH}").click()
    dash_duo.find_element(".dash-dropdown-search").send_keys("TP53")
    dash_duo.wait_for_contains_text(".dash-dropdown-options", "TP53 · Homo sapiens", timeout=TIMEOUT)
    dash_duo.find_element(".dash-dropdown-options .dash-dropdown-option").click()
    dash_duo.wait_for_contains_text(f"#{ids.TABLE_STATUS}", "6 figure(s)", timeout=TIMEOUT)
    header = dash_duo.find_element(f"#{ids.FIGURE_TABLE} .ag-header-cell[col-id='n_genes']")
    header.click()
    until(lambda: header.get_attribute("aria-sort") == "ascending", TIMEOUT)
    click_figure_row(dash_duo, 0)
    dash_duo.wait_for_element(f"#{ids.DETAIL} .gene-table", timeout=TIMEOUT)
    run_enrichment(dash_duo).click()
    wait_for_network(dash_duo)
    dash_duo.wait_for_element(f"#{ids.DETAIL} .detail-title", timeout=TIMEOUT)
    assert_console_clean(dash_duo)


def test_a_rewritten_link_lets_back_leave_it(dash_duo, app, seed_corpus):
    """A link in another form than its canonical one is rewritten in place: one Back returns from a change to the
    canonical link, a second leaves it, instead of returning to the old form to be rewritten again."""
    link = "?match=all&genes=tp53"
    canonical = to_query(seed_corpus, parse_query(seed_corpus, link)[0])
    assert canonical != link
    watch_console(dash_duo)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    wait_for_overview(dash_duo)
    dash_duo.driver.get(f"{dash_duo.server_url}/{link}")
    until(lambda: dash_duo.driver.current_url.endswith(canonical), TIMEOUT)
    wait_for_network(dash_duo)
    entries = dash_duo.driver.execute_script("return window.history.length")
    dash_duo.find_element(f"#{ids.MATCH_MODE} label[data-option-index='0']").click()  # "any": a new entry
    until(lambda: "match=all" not in dash_duo.driver.current_url, TIMEOUT)
    assert dash_duo.driver.execute_script("return window.history.length") == entries + 1
    dash_duo.driver.back()
    until(lambda: dash_duo.driver.current_url.endswith(canonical), TIMEOUT)
    all_of_them = f"#{ids.MATCH_MODE} label[data-option-index='1']"
    until(lambda: dash_duo.find_element(f"{all_of_them} input").is_selected(), TIMEOUT)
    dash_duo.driver.back()
    wait_for_overview(dash_duo)
    assert dash_duo.driver.current_url.rstrip("/") == dash_duo.server_url.rstrip("/")
    assert_console_clean(dash_duo)


def test_invalid_control_values_say_so(dash_duo, app):
    watch_console(dash_duo)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    budget = f"input#{ids.NODE_BUDGET}"
    for typed in ("5", "99999"):
        dash_duo.find_element(budget).send_keys(Keys.CONTROL, "a")
        dash_duo.find_element(budget).send_keys(typed, Keys.ENTER)
        note = f"{typed} is not a node budget: type a whole number from 10 to 2,000. The view keeps 300."
        dash_duo.wait_for_text_to_equal(f"#{ids.BUDGET_NOTE}", note, timeout=TIMEOUT)
        until(lambda: dash_duo.find_element(budget).get_attribute("value") == "300", TIMEOUT)  # the last valid one
    dash_duo.find_element(budget).send_keys(Keys.CONTROL, "a")
    dash_duo.find_element(budget).send_keys("500", Keys.ENTER)
    until(lambda: "budget=500" in dash_duo.driver.current_url, TIMEOUT)
    until(lambda: dash_duo.find_element(f"#{ids.BUDGET_NOTE}").text == "", TIMEOUT)

    export = dash_duo.find_element(f"#{ids.EXPORT_ENRICHMENT}")
    assert not export.is_enabled() and "Run an enrichment first" in export.get_attribute("title")
    size = dash_duo.find_element(f"input#{ids.ENRICH_MIN_SIZE}")
    size.send_keys(Keys.CONTROL, "a")
    size.send_keys("0")
    dash_duo.find_element(f"#{ids.ENRICH_GENES}").send_keys("TP53 MDM2")
    dash_duo.find_element(f"#{ids.ENRICH_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ENRICH_MESSAGE}", "smallest gene set tested must be", timeout=TIMEOUT)
    assert not export.is_enabled()
    size.send_keys(Keys.CONTROL, "a")
    size.send_keys("3")
    dash_duo.find_element(f"#{ids.ENRICH_RUN}").click()
    until(lambda: export.is_enabled(), TIMEOUT)
    assert_console_clean(dash_duo)


def test_a_figure_record_has_a_gene_table(dash_duo, app, seed_corpus):
    figid = "PMC7090164__fcell-08-00089-g002"
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?figure={figid}")
    table = dash_duo.wait_for_element(f"#{ids.DETAIL} .gene-table", timeout=TIMEOUT)
    rows = [
        (r.find_element(By.CSS_SELECTOR, ".gene-symbol").text, r.find_element(By.CSS_SELECTOR, ".match-kind").text)
        for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    assert rows == [("EPHA2", "exact"), ("TNFRSF11A", "alias"), ("TNFSF11", "alias")]
    kinds = table.find_elements(By.CSS_SELECTOR, "tbody .match-kind")
    assert kinds[0].value_of_css_property("background-color") != kinds[1].value_of_css_property("background-color")
    hrefs = [a.get_attribute("href") for a in table.find_elements(By.CSS_SELECTOR, "a.external")]
    assert hrefs == [f"https://www.ncbi.nlm.nih.gov/gene/{g}" for g in (1969, 8792, 8600)]
    assert len(dash_duo.find_elements(f"#{ids.DETAIL} .chip")) == 3  # the clickable chips stay
    dash_duo.find_element(f"#{ids.DETAIL} button.gene-action").click()
    saved = Path(dash_duo.download_path) / f"pfocr-genes_{figid}.tsv"
    until(lambda: saved.exists() and saved.stat().st_size > 0, TIMEOUT)
    assert saved.read_text(encoding="utf-8") == to_figure_genes_tsv(seed_corpus, figid)
    dash_duo.find_element(f"#{ids.FIGURE_GENES_COPY}").click()
    dash_duo.wait_for_contains_text(f"#{ids.FIGURE_GENES_COPY}", "Copied", timeout=TIMEOUT)
    assert_console_clean(dash_duo)


def test_year_boxes_slider_url_and_results_agree(dash_duo, app, seed_corpus):
    """Each year box applies its value on Enter and on Tab; the slider, both boxes, the URL and the figures
    counted always say the same range."""
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TP53,AKT1,MAPK1")
    wait_for_network(dash_duo)
    low, high = seed_corpus.year_span
    middle = (low + high) // 2

    def agreed(first: int, last: int) -> bool:
        handles = dash_duo.driver.execute_script(
            f"return [...document.querySelectorAll('#{ids.YEAR_FILTER} [role=slider]')]"
            ".map(e => Number(e.getAttribute('aria-valuenow')));"
        )
        boxes = [dash_duo.find_element(f"#{box}").get_attribute("value") for box in (ids.YEAR_FROM, ids.YEAR_TO)]
        state, _ = parse_query(seed_corpus, "?" + dash_duo.driver.current_url.partition("?")[2])
        years = state.years or (low, high)
        figures = len(selection_figures(seed_corpus, to_selection(seed_corpus, state)))
        summary = dash_duo.find_element(f"#{ids.SELECTION_SUMMARY}").text
        return (
            handles == [first, last]
            and boxes == [str(first), str(last)]
            and years == (first, last)
            and summary.startswith(f"{figures:,} of ")
        )

    steps = [
        (ids.YEAR_FROM, str(middle - 5), Keys.ENTER, (middle - 5, high)),
        (ids.YEAR_TO, str(middle + 5), Keys.ENTER, (middle - 5, middle + 5)),
        (ids.YEAR_FROM, str(middle - 3), Keys.TAB, (middle - 3, middle + 5)),
        (ids.YEAR_TO, str(middle + 3), Keys.TAB, (middle - 3, middle + 3)),
        (ids.YEAR_TO, "soon", Keys.ENTER, (middle - 3, middle + 3)),  # not a year: the range stays, and says so
        (ids.YEAR_FROM, str(low - 50), Keys.ENTER, (low, middle + 3)),  # before the corpus: its first year
    ]
    for box, typed, key, expected in steps:
        field = dash_duo.find_element(f"#{box}")
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(typed, key)
        until(lambda expected=expected: agreed(*expected), TIMEOUT)
    dash_duo.wait_for_contains_text(f"#{ids.NOTICE}", f"so from {low - 50} became {low}", timeout=TIMEOUT)
    assert f"years={low}-{middle + 3}" in dash_duo.driver.current_url
    assert_console_clean(dash_duo)
