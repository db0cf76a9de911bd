"""Top of the pyramid: the real app in headless Chromium, clicked through as a user would (dash_duo)."""

from __future__ import annotations

import pytest
from conftest import SEEDS
from hostile import IMG, SCRIPT, XSS_FIGURE, write_hostile_corpus
from selenium.webdriver.common.by import By

from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import create_app

pytestmark = pytest.mark.browser

TIMEOUT = 20


@pytest.fixture
def app(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)


def wait_for_network(dash_duo):
    dash_duo.wait_for_contains_text(f"#{ids.NETWORK_STATUS}", "Showing", timeout=TIMEOUT)


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
    drawable = int((seed_corpus.figure_sizes() > 0).sum()) + seed_corpus.n_genes  # figures with genes, and genes
    geneless = seed_corpus.n_figures - int((seed_corpus.figure_sizes() > 0).sum())
    assert "Showing" in status and f"of {drawable:,} nodes" in status
    assert f"{geneless} figure(s) without genes are not drawn" in status
    assert dash_duo.find_element(f"#{ids.HEADER_STATS}").text.startswith("190 figures")
    traces = dash_duo.driver.execute_script(
        "return document.querySelector('#network-graph .js-plotly-plot').data.map(t => t.name)"
    )
    assert {"Figure", "Gene"} <= set(traces)
    for element_id in (ids.GENE_SEARCH, ids.ORGANISM_FILTER, ids.YEAR_FILTER, ids.DETAIL, ids.FIGURE_TABLE):
        assert dash_duo.find_element(f"#{element_id}")
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
    dash_duo.select_dcc_dropdown(f"#{ids.ORGANISM_FILTER}", value="Mus musculus (22)")
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
    # The image cannot load here (no outside network): the link to the figure takes its place.
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
    dash_duo.wait_for_contains_text(f"#{ids.NETWORK_STATUS}", "Showing", timeout=TIMEOUT)
    focus = dash_duo.driver.execute_script(
        "return document.querySelector('#network-graph .js-plotly-plot').data"
        ".filter(t => t.name === 'Chosen gene').flatMap(t => t.customdata)"
    )
    assert focus == ["gene:8792"]
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
    dash_duo.wait_for_contains_text(f"#{ids.ENRICH_MESSAGE}", "Not recognised (1): notagene", timeout=TIMEOUT)
    first = dash_duo.wait_for_element(f"#{ids.ENRICH_TABLE} .ag-row[row-index='0'] .ag-cell", timeout=TIMEOUT)
    title = first.text
    first.click()
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", title[:30], timeout=TIMEOUT)
    dash_duo.wait_for_contains_text(f"#{ids.NETWORK_STATUS}", "Showing", timeout=TIMEOUT)
    chosen = dash_duo.driver.execute_script(
        "return document.querySelector('#network-graph .js-plotly-plot').data"
        ".filter(t => t.name === 'Chosen gene').flatMap(t => t.customdata)"
    )
    assert sorted(chosen) == ["gene:207", "gene:5594", "gene:5595", "gene:7157"]
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
    dash_duo.find_element(f"#{ids.ENRICH_TABLE} .ag-row[row-index='0'] .ag-cell").click()
    dash_duo.wait_for_contains_text(f"#{ids.NETWORK_STATUS}", "Showing", timeout=TIMEOUT)
    chosen = dash_duo.driver.execute_script(
        "return document.querySelector('#network-graph .js-plotly-plot').data"
        ".filter(t => t.name === 'Chosen gene').flatMap(t => t.customdata)"
    )
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
