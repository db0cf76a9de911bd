"""Loose ends of the workspace (issue 24) in headless Chromium: the gene list travels in the link and Back, a
repeated parameter is named, a record outside the selection says so, SVG and PNG exports are named after the
selection, the export line does not outlive its view, and the paths form's labels sit beside their boxes."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from conftest import SEEDS
from dash.testing.wait import until
from test_browser import TIMEOUT, assert_console_clean, run_enrichment, wait_for_network, watch_console

from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import create_app
from dashboard.web.state import parse_query

pytestmark = pytest.mark.browser


@pytest.fixture
def app(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)


def link_state(corpus, url: str):
    return parse_query(corpus, unquote(urlsplit(url).query))[0]


def enrichment_rows(dash_duo) -> list[str]:
    return dash_duo.driver.execute_script(
        f"return [...document.querySelectorAll('#{ids.ENRICH_TABLE} .ag-center-cols-container .ag-row')]"
        ".map((r) => r.getAttribute('row-id') || r.innerText);"
    )


def test_a_gene_list_survives_a_link_and_back(dash_duo, app, seed_corpus):
    """Run a list: the URL holds it; open that URL fresh: the list and its results are back; choose a gene, then
    Back and Back again: the results stay, then go with the list."""
    watch_console(dash_duo)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    run_enrichment(dash_duo, "MAPK1 MAPK3 AKT1 TP53 MDM2")
    until(lambda: link_state(seed_corpus, dash_duo.driver.current_url).gene_list, timeout=TIMEOUT)
    url = dash_duo.driver.current_url
    assert link_state(seed_corpus, url).gene_list == ("MAPK1", "MAPK3", "AKT1", "TP53", "MDM2")
    until(lambda: enrichment_rows(dash_duo), timeout=TIMEOUT)
    shown = enrichment_rows(dash_duo)
    message = dash_duo.find_element(f"#{ids.ENRICH_MESSAGE}").text
    # A fresh page from the link: the same list in the box, the same results and message.
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TNFSF11")
    wait_for_network(dash_duo)
    dash_duo.wait_for_page(url=url)
    until(lambda: enrichment_rows(dash_duo) == shown, timeout=TIMEOUT)
    assert dash_duo.find_element(f"#{ids.ENRICH_MESSAGE}").text == message
    assert dash_duo.find_element(f"#{ids.ENRICH_GENES}").get_attribute("value").split() == [
        "MAPK1",
        "MAPK3",
        "AKT1",
        "TP53",
        "MDM2",
    ]
    # Choose a gene (the list rides along), then Back: the list and results stay; Back again: they go.
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TNFSF11")
    wait_for_network(dash_duo)
    until(lambda: enrichment_rows(dash_duo) == [], timeout=TIMEOUT)
    dash_duo.driver.back()
    until(lambda: enrichment_rows(dash_duo) == shown, timeout=TIMEOUT)
    assert_console_clean(dash_duo)
