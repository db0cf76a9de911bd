"""Loose ends of the workspace (issue 24) in headless Chromium: the gene list travels in the link and Back, a
repeated parameter is named, a record outside the selection says so, SVG and PNG exports are named after the
selection, the export line does not outlive its view, and the paths form's labels sit beside their boxes."""

from __future__ import annotations

import pytest
from conftest import SEEDS
from dash.testing.wait import until
from test_browser import TIMEOUT, assert_console_clean, run_enrichment, wait_for_network, watch_console
from test_browser_workspace import link_state

from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def app(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)


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


@pytest.mark.parametrize("width", [1400, 800])
def test_the_paths_labels_sit_beside_their_boxes(dash_duo, app, width):
    """The words "From" and "to" sit next to their gene boxes: side by side at 1400 px (the same small gap), above
    them at 800 px (the same left edge) — measured on the text, not on the label's grid cell."""
    watch_console(dash_duo)
    dash_duo.driver.set_window_size(width, 900)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    tab = next(t for t in dash_duo.find_elements("[role='tab']") if t.text.startswith("Paths"))
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", tab)
    tab.click()
    dash_duo.wait_for_element(".path-form", timeout=TIMEOUT)
    boxes = dash_duo.driver.execute_script(
        """
        const edges = (r) => [r.left, r.top, r.right, r.bottom];
        const text = (e) => { const range = document.createRange(); range.selectNodeContents(e); return range; };
        return [arguments[0], arguments[1]].map((id) => [
            edges(text(document.querySelector(`label[for='${id}']`)).getBoundingClientRect()),
            edges(document.getElementById(id).getBoundingClientRect())]);
        """,
        ids.PATH_FROM,
        ids.PATH_TO,
    )
    (from_label, from_box), (to_label, to_box) = boxes
    if width == 1400:
        gaps = [from_box[0] - from_label[2], to_box[0] - to_label[2]]
        assert all(0 <= gap <= 16 for gap in gaps) and abs(gaps[0] - gaps[1]) <= 1, gaps
    else:
        assert abs(from_label[0] - from_box[0]) <= 1 and abs(to_label[0] - to_box[0]) <= 1
        assert 0 <= from_box[1] - from_label[3] <= 16
    assert_console_clean(dash_duo)


def test_a_parameter_given_twice_is_named_on_the_page(dash_duo, app, seed_corpus):
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TP53&genes=AKT1")
    dash_duo.wait_for_contains_text(f"#{ids.NOTICE}", "'genes' is given 2 times in the link", timeout=TIMEOUT)
    assert "only the last ('AKT1') was used" in dash_duo.find_element(f"#{ids.NOTICE}").text
    until(lambda: link_state(seed_corpus, dash_duo.driver.current_url).genes == (207,), timeout=TIMEOUT)
    assert dash_duo.driver.current_url.count("genes=") == 1  # the link is rewritten with the value used
    assert_console_clean(dash_duo)
