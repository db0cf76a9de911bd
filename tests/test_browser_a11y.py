"""Accessibility of the real page (headless Chromium, dash_duo): axe-core finds no critical or serious violation
at 1400 and 800 px on the landing page, a gene, a figure's record, the enrichment results and each pattern view."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from a11y import axe_version, axe_violations, format_violations
from conftest import SEEDS
from dash.testing.wait import until
from test_browser import TIMEOUT, assert_console_clean, run_enrichment, wait_for_network, watch_console
from test_browser_patterns import open_tab, plot_data
from test_browser_search import choose_option

from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import create_app

WIDTHS = (1400, 800)
SETTLED = """
const done = arguments[arguments.length - 1];
requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
"""


@pytest.fixture
def app(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)


def open_landing(dash_duo):
    wait_for_network(dash_duo)


def open_gene(dash_duo):
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TP53")
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "TP53", timeout=TIMEOUT)
    wait_for_network(dash_duo)


def open_record(dash_duo):
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?figure=PMC7090164__fcell-08-00089-g002")
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-title", "Exosome-mediated communication", timeout=TIMEOUT)
    dash_duo.wait_for_element(f"#{ids.DETAIL} .gene-table", timeout=TIMEOUT)
    wait_for_network(dash_duo)


def open_enrichment(dash_duo):
    wait_for_network(dash_duo)
    run_enrichment(dash_duo)


def open_timeline(dash_duo):
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TNFSF11")
    wait_for_network(dash_duo)
    open_tab(dash_duo, "Timeline")
    dash_duo.wait_for_contains_text(f"#{ids.TIMELINE_NOTE}", "TNFSF11 first in", timeout=TIMEOUT)
    until(lambda: plot_data(dash_duo, ids.TIMELINE_GRAPH), timeout=TIMEOUT)


def open_cooccurrence(dash_duo):
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?organisms=Homo+sapiens")
    wait_for_network(dash_duo)
    open_tab(dash_duo, "Gene co-occurrence")
    dash_duo.wait_for_contains_text(f"#{ids.COOCCURRENCE_NOTE}", "communities", timeout=TIMEOUT)
    until(lambda: plot_data(dash_duo, ids.COOCCURRENCE_GRAPH), timeout=TIMEOUT)


def open_paths(dash_duo):
    wait_for_network(dash_duo)
    open_tab(dash_duo, "Paths between two genes")
    choose_option(dash_duo, ids.PATH_FROM, "TNFSF11", "TNFSF11")
    choose_option(dash_duo, ids.PATH_TO, "AKT1", "AKT1")
    dash_duo.find_element(f"#{ids.PATH_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.PATH_RESULT}", "TNFSF11 and AKT1", timeout=TIMEOUT)


def open_map(dash_duo):
    wait_for_network(dash_duo)
    open_tab(dash_duo, "Map of the corpus")
    dash_duo.wait_for_contains_text(f"#{ids.MAP_NOTE}", "figures", timeout=TIMEOUT)
    until(lambda: plot_data(dash_duo, ids.MAP_GRAPH), timeout=TIMEOUT)


PAGES: dict[str, Callable] = {
    "landing": open_landing,
    "gene": open_gene,
    "record": open_record,
    "enrichment": open_enrichment,
    "timeline": open_timeline,
    "cooccurrence": open_cooccurrence,
    "paths": open_paths,
    "map": open_map,
}


def settle(dash_duo):
    """Wait until no callback is pending and two frames were drawn (a resize re-lays grids and plots)."""
    until(dash_duo._wait_for_callbacks, TIMEOUT)
    dash_duo.driver.set_script_timeout(TIMEOUT)
    dash_duo.driver.execute_async_script(SETTLED)


@pytest.mark.browser
@pytest.mark.parametrize("page", PAGES)
def test_axe_finds_no_serious_violation(dash_duo, app, page):
    watch_console(dash_duo)
    dash_duo.driver.set_window_size(WIDTHS[0], 1000)
    dash_duo.start_server(app)
    PAGES[page](dash_duo)
    found = {}
    for width in WIDTHS:
        dash_duo.driver.set_window_size(width, 1000)
        assert width - 20 <= dash_duo.driver.execute_script("return window.innerWidth") <= width
        settle(dash_duo)
        found[width] = axe_violations(dash_duo.driver)
    report = "\n".join(f"at {width} px:\n{format_violations(v)}" for width, v in found.items() if v)
    assert not report, f"axe-core {axe_version(dash_duo.driver)} on the {page} page:\n{report}"
    assert_console_clean(dash_duo)


def test_the_page_says_its_language(app):
    """<html lang="en">: a screen reader reads the page in English (axe's html-has-lang checks it in the browser)."""
    page = app.server.test_client().get("/").get_data(as_text=True)
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    # Dash's placeholders were all filled: the title, the styles, the app's entry point, its config and scripts.
    filled = ("<title>PFOCR dashboard</title>", "/assets/style.css", 'id="react-entry-point"', 'id="_dash-config"')
    assert [part for part in filled if part not in page] == []
    assert "new DashRenderer" in page and "{%" not in page
