"""Finding things in the real page (headless Chromium, dash_duo): a caption word in the search box and its first
hit opened, a chemical chosen by its name and then by a click in a record, a gene typed as its NCBI id."""

from __future__ import annotations

import re

import pytest
from conftest import SEEDS
from dash.testing.wait import until
from selenium.webdriver.common.keys import Keys
from test_browser import TIMEOUT, assert_console_clean, wait_for_network, watch_console

from dashboard.analysis.search import search_figures
from dashboard.analysis.terms import terms_mask
from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def app(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)


def summary_count(dash_duo) -> int:
    return int(dash_duo.find_element(f"#{ids.SELECTION_SUMMARY}").text.split(" of ")[0].replace(",", ""))


def choose_option(dash_duo, component: str, typed: str, expected: str):
    """Type into a dropdown's search box and click the first option, which must hold `expected`."""
    dash_duo.find_element(f"#{component}").click()
    dash_duo.find_element(f"#{component} .dash-dropdown-search, .dash-dropdown-search").send_keys(typed)
    dash_duo.wait_for_contains_text(".dash-dropdown-options", expected, timeout=TIMEOUT)
    option = dash_duo.find_element(".dash-dropdown-options .dash-dropdown-option")
    assert expected in option.text, option.text
    option.click()
    dash_duo.find_element("body").send_keys(Keys.ESCAPE)


def test_a_caption_word_finds_figures_and_the_first_hit_opens(dash_duo, app, seed_corpus):
    """'osteoclast' is searched in titles and captions; the hits list ranks them, the summary counts them all, and
    the first hit opens its record with the search kept in the link."""
    best = search_figures(seed_corpus, "osteoclast", limit=1)
    assert best.total > 1
    watch_console(dash_duo)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    box = dash_duo.find_element(f"#{ids.TEXT_SEARCH}")
    box.send_keys("osteoclast", Keys.ENTER)
    dash_duo.wait_for_contains_text(f"#{ids.SEARCH_HITS}", f"{best.total} figures match", timeout=TIMEOUT)
    until(lambda: summary_count(dash_duo) == best.total, timeout=TIMEOUT)
    marks = dash_duo.find_elements(f"#{ids.SEARCH_HITS} mark")
    assert marks and all("osteoclast" in m.text.lower() for m in marks)
    first = dash_duo.find_element(f"#{ids.SEARCH_HITS} .search-hit-title")
    assert first.text == best.hits[0].title
    first.click()
    dash_duo.wait_for_text_to_equal(f"#{ids.DETAIL} .detail-title", best.hits[0].title, timeout=TIMEOUT)
    assert "q=osteoclast" in dash_duo.driver.current_url
    assert f"figure={best.hits[0].figid}" in dash_duo.driver.current_url
    assert_console_clean(dash_duo)


def test_a_chemical_filters_by_name_and_a_record_links_its_ids_out(dash_duo, app, seed_corpus):
    glucose = int(terms_mask(seed_corpus, "chemicals", ["mesh:D005947"]).sum())
    assert glucose > 0
    watch_console(dash_duo)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    choose_option(dash_duo, ids.CHEMICAL_FILTER, "D-glucopyranose", "mesh:D005947")
    until(lambda: summary_count(dash_duo) == glucose, timeout=TIMEOUT)
    assert "chemicals=mesh:D005947" in dash_duo.driver.current_url
    # The first figure of the table holds glucose: its record links MeSH and ChEBI out, and its other chemicals
    # can be added to the filter with a click.
    dash_duo.wait_for_element(f"#{ids.FIGURE_TABLE} .ag-row[row-index='0']", timeout=TIMEOUT).click()
    dash_duo.wait_for_element(f"#{ids.DETAIL} .term-list", timeout=TIMEOUT)
    hrefs = [a.get_attribute("href") for a in dash_duo.find_elements(f"#{ids.DETAIL} .term-list a")]
    assert "https://identifiers.org/mesh:D005947" in hrefs and "https://identifiers.org/CHEBI:4167" in hrefs
    assert all(h.startswith("https://identifiers.org/") for h in hrefs)
    buttons = dash_duo.find_elements(f"#{ids.DETAIL} .term-filter")
    other = next(b for b in buttons if "mesh:D005947" not in b.get_attribute("id"))
    other.click()
    until(lambda: "chemicals=mesh:D005947,mesh:" in dash_duo.driver.current_url, timeout=TIMEOUT)
    chosen = dash_duo.find_elements(f"#{ids.CHEMICAL_FILTER} .dash-dropdown-value-item")
    assert len(chosen) == 2
    assert_console_clean(dash_duo)


def test_a_gene_typed_as_its_ncbi_id(dash_duo, app):
    watch_console(dash_duo)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    choose_option(dash_duo, ids.GENE_SEARCH, "7157", "NCBI Gene 7157")
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "TP53", timeout=TIMEOUT)
    assert "genes=TP53" in dash_duo.driver.current_url
    assert dash_duo.find_elements(f"#{ids.GENE_SEARCH} .dash-dropdown-value-item")
    assert_console_clean(dash_duo)


THUMB_SHAPE = r"^https://europepmc\.org/articles/PMC[0-9]+/bin/[^/]+$"


def test_thumbnails_load_only_when_asked_and_fall_back_to_text(dash_duo, app):
    """Off by default: the page asks Europe PMC for nothing. Ticked (and remembered): the gene's figure list and
    the table show thumbnails built from pmcid + file name; on this closed network they cannot load, and each says
    "no preview" instead."""
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TNFSF11")
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "TNFSF11", timeout=TIMEOUT)
    dash_duo.wait_for_element(f"#{ids.FIGURE_TABLE} .ag-row[row-index='0']", timeout=TIMEOUT)
    fetched = "return performance.getEntriesByType('resource').filter(e => e.name.includes('europepmc')).length"
    assert dash_duo.driver.execute_script(fetched) == 0
    assert not dash_duo.find_elements(".thumb") and not dash_duo.find_elements(".grid-thumb")

    dash_duo.find_element(f"#{ids.THUMBNAILS} input").click()
    dash_duo.wait_for_element(f"#{ids.DETAIL} .figure-list .thumb", timeout=TIMEOUT)
    first = dash_duo.find_element(f"#{ids.DETAIL} .figure-list .thumb-img")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView()", first)  # loaded as it comes into view
    until(lambda: first.get_attribute("src"), timeout=TIMEOUT)  # in view: its address moved to src
    assert re.match(THUMB_SHAPE, first.get_attribute("src")), first.get_attribute("src")
    until(lambda: "thumb-failed" in first.find_element("xpath", "..").get_attribute("class"), timeout=TIMEOUT)
    assert first.find_element("xpath", "..").text == "no preview"
    dash_duo.wait_for_contains_text(f"#{ids.FIGURE_TABLE} .ag-row[row-index='0']", "no preview", timeout=TIMEOUT)

    dash_duo.driver.refresh()  # the choice is remembered in this browser
    dash_duo.wait_for_element(f"#{ids.DETAIL} .figure-list .thumb", timeout=TIMEOUT)
    assert_console_clean(dash_duo)
