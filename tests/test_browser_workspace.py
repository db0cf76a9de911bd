"""The workspace a new user meets (headless Chromium): the four tasks on the first screen, the landing overview
checked against the data, the network's share of the window, and one column at 800 px."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from conftest import SEEDS
from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from test_browser import (
    TIMEOUT,
    assert_console_clean,
    run_enrichment,
    wait_for_network,
    wait_for_overview,
    watch_console,
)

from dashboard.analysis.model import UNSTATED
from dashboard.config import Settings
from dashboard.corpus import columns as C
from dashboard.web import ids
from dashboard.web.app import VIEWS, create_app
from dashboard.web.exports import network_export_name, to_cytoscape_json
from dashboard.web.state import parse_query

pytestmark = pytest.mark.browser


@pytest.fixture
def app(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)


def link_state(corpus, url: str):
    return parse_query(corpus, unquote(urlsplit(url).query))[0]


def test_the_four_tasks_are_on_the_first_screen_and_each_starts_where_it_says(dash_duo, app):
    watch_console(dash_duo)
    dash_duo.driver.set_window_size(1400, 900)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    height = dash_duo.driver.execute_script("return window.innerHeight")
    tasks = dash_duo.find_elements("nav.tasks a")
    names = [t.find_element(By.CSS_SELECTOR, ".task-name").text for t in tasks]
    assert names == ["Look up genes", "Bring a gene list", "Search figures", "See patterns", "About"]
    assert all(t.is_displayed() and t.rect["y"] + t.rect["height"] <= height for t in tasks)
    focused = "return document.activeElement && (document.activeElement.id || document.activeElement.className)"
    for name, expected in (("Bring a gene list", ids.ENRICH_GENES), ("Search figures", ids.TEXT_SEARCH)):
        next(t for t in tasks if t.text.startswith(name)).click()
        until(lambda expected=expected: dash_duo.driver.execute_script(focused) == expected, timeout=TIMEOUT)
    next(t for t in tasks if t.text.startswith("Look up genes")).click()
    until(
        lambda: dash_duo.driver.execute_script(
            f"return document.getElementById('{ids.GENE_SEARCH}').contains(document.activeElement)"
        ),
        timeout=TIMEOUT,
    )
    assert_console_clean(dash_duo)


def test_the_network_has_room_at_1400_px(dash_duo, app):
    dash_duo.driver.set_window_size(1400, 900)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    width, inner, height = dash_duo.driver.execute_script(
        f"const box = document.getElementById('{ids.NETWORK}').getBoundingClientRect();"
        "return [box.width, window.innerWidth, box.height];"
    )
    assert width >= 0.6 * inner, (width, inner)
    assert height >= 0.6 * dash_duo.driver.execute_script("return window.innerHeight")


def test_the_overview_says_what_the_data_holds_and_every_item_selects(dash_duo, app, seed_corpus):
    watch_console(dash_duo)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    wait_for_overview(dash_duo)
    overview = dash_duo.find_element(f"#{ids.OVERVIEW}")
    assert f"{seed_corpus.n_figures:,} published pathway figures" in overview.text
    # Figures per year, from the tables: a bar per year of the span, a link where there are figures.
    years = seed_corpus.figures[C.YEAR].dropna().astype(int).value_counts().to_dict()
    titles = [a.get_attribute("title") for a in overview.find_elements(By.CSS_SELECTOR, ".year-bars a")]
    assert titles == [f"{y}: {n} figure{'s' if n != 1 else ''}" for y, n in sorted(years.items())]
    # The genes in most figures by their own symbols, of the species with most such links, counted from the links;
    # each chip shows the gene's figures in all (what its link selects).
    links = seed_corpus.tables.links
    genes = seed_corpus.tables.genes.set_index(C.GENE_ID)[C.ORGANISM]
    exact = links[links[C.EXACT]].drop_duplicates([C.FIGID, C.GENE_ID])
    species = exact[C.GENE_ID].map(genes).value_counts().index[0]
    per_gene = exact[exact[C.GENE_ID].map(genes) == species].groupby(C.GENE_ID)[C.FIGID].nunique()
    top = sorted(per_gene.items(), key=lambda kv: (-kv[1], seed_corpus.gene_row(kv[0])))[:8]
    everywhere = links.drop_duplicates([C.FIGID, C.GENE_ID]).groupby(C.GENE_ID)[C.FIGID].nunique()
    chips = overview.find_elements(By.CSS_SELECTOR, ".chips")[0].find_elements(By.CSS_SELECTOR, "a.chip")
    details = [c.find_element(By.CSS_SELECTOR, ".chip-detail").text for c in chips]
    shown = [(c.text.removesuffix(d).strip(), int(d.replace(",", ""))) for c, d in zip(chips, details, strict=True)]
    assert [n for _, n in shown] == [int(everywhere[g]) for g, _ in top]
    assert [s for s, _ in shown] == [seed_corpus.gene_label(seed_corpus.gene_row(g)) for g, _ in top]
    organisms = {k: v for k, v in seed_corpus.organism_counts.items() if k != UNSTATED}
    assert organisms  # every organism chip links to its filter, with its count
    # A click on a gene chip chooses it; Back returns to the overview.
    chips[0].click()
    until(lambda: link_state(seed_corpus, dash_duo.driver.current_url).genes == (top[0][0],), timeout=TIMEOUT)
    until(lambda: not dash_duo.find_element(f"#{ids.OVERVIEW}").is_displayed(), timeout=TIMEOUT)
    dash_duo.driver.back()
    wait_for_overview(dash_duo)
    # A year bar selects that year; an example question runs.
    first_year = sorted(years)[0]
    dash_duo.find_element(f"#{ids.OVERVIEW} .year-bars a").click()
    until(
        lambda: link_state(seed_corpus, dash_duo.driver.current_url).years == (first_year, first_year),
        timeout=TIMEOUT,
    )
    until(
        lambda: dash_duo.find_element(f"#{ids.SELECTION_SUMMARY}").text.startswith(f"{years[first_year]} of"), TIMEOUT
    )
    dash_duo.driver.back()
    wait_for_overview(dash_duo)
    question = dash_duo.find_element(f"#{ids.OVERVIEW} .examples a")
    assert question.text.startswith("Which figures show both")
    question.click()
    until(lambda: link_state(seed_corpus, dash_duo.driver.current_url).match == "all", timeout=TIMEOUT)
    state = link_state(seed_corpus, dash_duo.driver.current_url)
    matrix = seed_corpus.matrix_by_gene()
    both = np.asarray(matrix[:, [seed_corpus.gene_row(g) for g in state.genes]].sum(axis=1)).ravel() == 2
    until(lambda: dash_duo.find_element(f"#{ids.SELECTION_SUMMARY}").text.startswith(f"{int(both.sum())} of"), TIMEOUT)
    assert_console_clean(dash_duo)


def test_at_800_px_the_page_is_one_column_with_the_network_in_the_first_two_screens(dash_duo, app):
    dash_duo.driver.set_window_size(800, 900)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    top, left, width, inner, height = dash_duo.driver.execute_script(
        f"const box = document.getElementById('{ids.NETWORK}').getBoundingClientRect();"
        "return [box.top + window.scrollY, box.left, box.width, window.innerWidth, window.innerHeight];"
    )
    assert top < 2 * height and width >= 0.9 * inner - 40 and left < 40
    # The filters after the text and gene search fold away, and open with their summary.
    assert top < height  # the network starts on the first screen
    more = dash_duo.find_element(f"#{ids.MORE_FILTERS}")
    assert more.get_attribute("open") is None and not dash_duo.find_element(f"#{ids.ORGANISM_FILTER}").is_displayed()
    dash_duo.find_element(f"#{ids.MORE_FILTERS} > summary").click()
    until(lambda: dash_duo.find_element(f"#{ids.ORGANISM_FILTER}").is_displayed(), TIMEOUT)
    dash_duo.driver.set_window_size(1400, 900)  # where there is room the filters stay open, with no summary
    until(lambda: not dash_duo.find_element(f"#{ids.MORE_FILTERS} > summary").is_displayed(), TIMEOUT)
    dash_duo.driver.set_window_size(800, 900)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?figure=PMC7090164__fcell-08-00089-g002")
    dash_duo.wait_for_element(f"#{ids.DETAIL} .gene-table", timeout=TIMEOUT)
    scrolling = dash_duo.driver.execute_script(
        """
        const boxes = [...document.querySelectorAll('main *')].filter((e) => {
            const style = getComputedStyle(e);
            return /(auto|scroll)/.test(style.overflowY) && e.scrollHeight > e.clientHeight + 1
                && !e.closest('.ag-root-wrapper, .js-plotly-plot, .dash-dropdown');
        });
        return boxes.map((e) => e.id || e.className);
        """
    )
    assert scrolling == [], scrolling


def test_the_pattern_tabs_are_tabs_a_keyboard_reaches_and_moves_between(dash_duo, app):
    watch_console(dash_duo)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    tablist = dash_duo.find_element(f"#{ids.PATTERN_TABS}")
    until(lambda: tablist.get_attribute("role") == "tablist", timeout=TIMEOUT)
    tabs = tablist.find_elements(By.CSS_SELECTOR, "[role='tab']")
    labels = [label for _, label, _ in VIEWS]
    assert [t.text for t in tabs] == labels
    assert [t.get_attribute("aria-selected") for t in tabs] == ["true"] + ["false"] * (len(labels) - 1)
    assert [t.get_attribute("tabindex") for t in tabs] == ["0"] + ["-1"] * (len(labels) - 1)  # one Tab stop
    # From the header's task link, Enter puts the focus on the selected tab; the arrows open the others.
    link = next(a for a in dash_duo.find_elements("nav.tasks a") if a.text.startswith("See patterns"))
    link.send_keys(Keys.ENTER)
    selected = "return document.activeElement.getAttribute('aria-selected') + '|' + document.activeElement.innerText"
    until(lambda: dash_duo.driver.execute_script(selected) == f"true|{labels[0]}", timeout=TIMEOUT)
    dash_duo.driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    until(lambda: dash_duo.driver.execute_script(selected) == f"true|{labels[1]}", timeout=TIMEOUT)
    dash_duo.driver.switch_to.active_element.send_keys(Keys.END)
    until(lambda: dash_duo.driver.execute_script(selected) == f"true|{labels[-1]}", timeout=TIMEOUT)
    dash_duo.driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)  # wraps around
    until(lambda: dash_duo.driver.execute_script(selected) == f"true|{labels[0]}", timeout=TIMEOUT)
    panel = dash_duo.find_element("[role='tabpanel']")
    assert panel.get_attribute("aria-labelledby") == dash_duo.driver.switch_to.active_element.get_attribute("id")
    assert_console_clean(dash_duo)


def test_the_drawn_network_saves_as_svg_png_and_cytoscape_json(dash_duo, app, seed_corpus):
    watch_console(dash_duo)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TNFSF11")
    wait_for_network(dash_duo)
    saved = Path(dash_duo.download_path)
    state = link_state(seed_corpus, dash_duo.driver.current_url)
    # The images are named after the selection, as the other exports are.
    svg, png_name = (network_export_name(seed_corpus, state, kind) for kind in ("svg", "png"))
    assert svg == "pfocr-network_genes-TNFSF11-any.svg"
    dash_duo.find_element(f"#{ids.EXPORT_SVG}").click()
    until(lambda: (saved / svg).exists(), timeout=TIMEOUT)
    until(lambda: b"</svg>" in (saved / svg).read_bytes(), timeout=TIMEOUT)
    dash_duo.find_element(f"#{ids.EXPORT_PNG}").click()
    until(lambda: (saved / png_name).exists(), timeout=TIMEOUT)
    until(lambda: len((saved / png_name).read_bytes()) > 24, timeout=TIMEOUT)
    png = (saved / png_name).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (4800, 3600)  # publication size
    dash_duo.find_element(f"#{ids.EXPORT_CYJS}").click()
    name = network_export_name(seed_corpus, state, "cyjs")
    until(lambda: (saved / name).exists() and (saved / name).stat().st_size > 0, timeout=TIMEOUT)
    assert json.loads((saved / name).read_text()) == to_cytoscape_json(seed_corpus, state)
    # The line naming the export goes when the network changes (it named the view before).
    dash_duo.wait_for_contains_text(f"#{ids.EXPORT_STATUS}", f"Exported {name}", timeout=TIMEOUT)
    dash_duo.find_element(f"#{ids.COLOUR_MODE} input[value='organism']").click()
    until(lambda: link_state(seed_corpus, dash_duo.driver.current_url).colour == "organism", timeout=TIMEOUT)
    until(lambda: dash_duo.find_element(f"#{ids.EXPORT_STATUS}").text == "", timeout=TIMEOUT)
    assert_console_clean(dash_duo)


LABEL_BOXES = """
const boxes = [...document.querySelectorAll('#network-graph .textpoint text')]
    .map((t) => t.getBoundingClientRect())
    .filter((r) => r.width > 0 && r.height > 0)
    .map((r) => [r.left, r.top, r.right, r.bottom]);
return boxes;
"""


def overlapping(boxes: list[list[float]], slack: float = 1.0) -> list[tuple]:
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack:
                found.append((a, b))
    return found


@pytest.mark.parametrize(
    "query",
    ["", "?genes=TNFSF11", "?genes=TP53,AKT1&colour=organism", "?genes=TNFSF11&terms=1", "enrichment"],
)
def test_no_drawn_label_overlaps_another_in_the_browser(dash_duo, app, query):
    """Measured on the SVG text plotly draws, at 1400 px: in the default view, around a gene, coloured by
    organism, with chemicals and diseases shown, and after opening an enrichment result."""
    dash_duo.driver.set_window_size(1400, 900)
    dash_duo.start_server(app)
    if query == "enrichment":
        wait_for_network(dash_duo)
        run_enrichment(dash_duo).click()
        until(lambda: "figure=" in dash_duo.driver.current_url, timeout=TIMEOUT)
    else:
        dash_duo.wait_for_page(url=f"{dash_duo.server_url}/{query}")
    wait_for_network(dash_duo)
    until(lambda: len(dash_duo.driver.execute_script(LABEL_BOXES)) > 5, timeout=TIMEOUT)
    boxes = dash_duo.driver.execute_script(LABEL_BOXES)
    assert overlapping(boxes) == [], overlapping(boxes)[:5]


def tab_until(dash_duo, found, most: int = 40) -> None:
    """Press Tab until the focused element is what `found` (a JS expression on `e`) says, or fail."""
    for _ in range(most):
        if dash_duo.driver.execute_script(f"const e = document.activeElement; return Boolean({found});"):
            return
        ActionChains(dash_duo.driver).send_keys(Keys.TAB).perform()  # as typed: a file input takes no path here
    raise AssertionError(f"Tab never reached {found}")


def test_a_keyboard_alone_does_the_four_tasks(dash_duo, app, seed_corpus):
    """From the first Tab stop to a result of each task, with keys only (no click)."""
    watch_console(dash_duo)
    dash_duo.driver.set_window_size(1400, 900)
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    keys = lambda *typed: ActionChains(dash_duo.driver).send_keys(*typed).perform()  # noqa: E731
    # 1. Look up genes: the first Tab stop is the first task; Enter, type, Enter chooses the first option.
    dash_duo.find_element("body").send_keys(Keys.TAB)
    tab_until(dash_duo, "e.closest('nav.tasks') && e.innerText.startsWith('Look up genes')")
    keys(Keys.ENTER)
    until(lambda: dash_duo.driver.execute_script(f"return document.activeElement.id === '{ids.GENE_SEARCH}'"), TIMEOUT)
    for key in "TNFSF11":  # as a person types (Dash's dropdown may drop a key sent in the same instant it opens)
        keys(key)
        time.sleep(0.05)
    dash_duo.wait_for_contains_text(".dash-dropdown-options", "TNFSF11", timeout=TIMEOUT)
    keys(Keys.ENTER)
    until(lambda: link_state(seed_corpus, dash_duo.driver.current_url).genes == (8600,), TIMEOUT)
    assert "#" not in dash_duo.driver.current_url  # the task links leave no fragment in the shared link
    keys(Keys.ESCAPE)
    # 2. Bring a gene list: paste, Tab to the button, Enter; then into the results, Enter opens the first.
    until(dash_duo._wait_for_callbacks, TIMEOUT)
    dash_duo.find_element("nav.tasks a[href='#gene-list']").send_keys(Keys.ENTER)
    until(lambda: dash_duo.driver.execute_script(f"return document.activeElement.id === '{ids.ENRICH_GENES}'"), TIMEOUT)
    keys("MAPK1 MAPK3 AKT1 TP53 KRAS BRAF RAF1 GRB2 EGFR")
    tab_until(dash_duo, f"e.id === '{ids.ENRICH_RUN}'")
    keys(Keys.ENTER)
    dash_duo.wait_for_element(f"#{ids.ENRICH_TABLE} .ag-row[row-index='0']", timeout=TIMEOUT)
    tab_until(dash_duo, f"e.closest('#{ids.ENRICH_TABLE} .ag-row[row-index=\"0\"]')")
    keys(Keys.ENTER)
    until(lambda: link_state(seed_corpus, dash_duo.driver.current_url).figure is not None, TIMEOUT)
    # 3. Search figures: Enter on the task, type, Enter (once the page has settled: a control redrawn by a callback
    # still running would take back what was typed).
    until(dash_duo._wait_for_callbacks, TIMEOUT)
    dash_duo.find_element(f"nav.tasks a[href='#{ids.TEXT_SEARCH}']").send_keys(Keys.ENTER)
    until(lambda: dash_duo.driver.execute_script(f"return document.activeElement.id === '{ids.TEXT_SEARCH}'"), TIMEOUT)
    for key in "osteoclast":
        keys(key)
        time.sleep(0.02)
    keys(Keys.ENTER)
    until(lambda: link_state(seed_corpus, dash_duo.driver.current_url).text == "osteoclast", TIMEOUT)
    # 4. See patterns: Enter on the task, the arrow opens the next view.
    dash_duo.find_element("nav.tasks a[href='#patterns']").send_keys(Keys.ENTER)
    until(
        lambda: dash_duo.driver.execute_script("return document.activeElement.getAttribute('role')") == "tab", TIMEOUT
    )
    keys(Keys.ARROW_RIGHT)
    until(
        lambda: dash_duo.driver.execute_script("return document.activeElement.innerText") == "Gene co-occurrence",
        TIMEOUT,
    )
    assert_console_clean(dash_duo)
