"""The network view as a user sees it in headless Chromium: labelled figures and chosen genes, no node drawn on
another, labels that do not overprint each other, and a bundle that opens on click."""

from __future__ import annotations

import itertools

import pytest
from conftest import SEEDS
from dash.testing.wait import until
from test_browser import TIMEOUT, assert_no_console_errors, click_node

from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import create_app
from dashboard.web.figures import UNSTATED_SPECIES

pytestmark = pytest.mark.browser


@pytest.fixture
def app(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)


# Every drawn marker and label, in screen pixels, read from plotly's SVG.
READ_SCREEN = """
const graph = document.querySelector('#network-graph .js-plotly-plot');
const out = {points: [], labels: []};
graph.querySelectorAll('.scatterlayer .trace').forEach((trace) => {
    const bound = trace.__data__;  // plotly binds each trace's calcdata to its SVG group
    const data = bound && bound[0] && bound[0].trace;
    if (!data || ['links', 'Open figure', 'label lines', arguments[0]].includes(data.name)) return;
    if (data.name === 'labels') {
        trace.querySelectorAll('.textpoint text').forEach((text, i) => {
            const r = text.getBoundingClientRect();
            out.labels.push({text: text.textContent, node: data.customdata[i],
                x0: r.left, y0: r.top, x1: r.right, y1: r.bottom});
        });
        return;
    }
    trace.querySelectorAll('.points path').forEach((path, i) => {
        const r = path.getBoundingClientRect();
        out.points.push({node: data.customdata[i], x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width});
    });
});
return out;
"""


def read_screen(dash_duo) -> dict:
    return dash_duo.driver.execute_script(READ_SCREEN, UNSTATED_SPECIES)  # the ring overlays nodes drawn already


def wait_for_view(dash_duo, text: str):
    """Wait until the network says it shows the expected selection (not only that it shows something)."""
    dash_duo.wait_for_contains_text(f"#{ids.NETWORK_STATUS}", text, timeout=TIMEOUT)
    dash_duo.wait_for_element("#network-graph .scatterlayer .trace .points path", timeout=TIMEOUT)


@pytest.mark.parametrize("width", [1400, 800])
def test_chosen_genes_and_figures_are_labelled_and_nothing_overlaps(dash_duo, app, seed_corpus, width):
    dash_duo.driver.set_window_size(width, 1000)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TP53,AKT1")
    figures = len({f for f in seed_corpus.links.loc[seed_corpus.links["gene_id"].isin([7157, 207]), "figid"]})
    wait_for_view(dash_duo, f"Showing {figures} of {figures} figures")
    screen = read_screen(dash_duo)
    texts = {label["text"] for label in screen["labels"]}
    assert {"TP53", "AKT1"} <= texts  # each chosen gene carries its own label
    figure_labels = [label for label in screen["labels"] if label["node"].startswith("figure:")]
    assert len(figure_labels) == figures  # every figure carries a short title
    points = screen["points"]
    for a, b in itertools.combinations(points, 2):
        distance = ((a["x"] - b["x"]) ** 2 + (a["y"] - b["y"]) ** 2) ** 0.5
        assert distance >= (a["w"] + b["w"]) / 2 - 1.5, (a["node"], b["node"], distance)
    overprinted = [
        (a["text"], b["text"])
        for a, b in itertools.combinations(screen["labels"], 2)
        if min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > 2 and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > 2
    ]
    assert overprinted == []
    assert_no_console_errors(dash_duo)


def test_a_bundle_opens_on_click(dash_duo, app, seed_corpus):
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?genes=TNFSF11")
    wait_for_view(dash_duo, "bundles")
    before = read_screen(dash_duo)
    bundle = next(p["node"] for p in before["points"] if p["node"].startswith("bundle:"))
    figid = bundle.split(":", 1)[1]
    click_node(dash_duo, bundle)
    dash_duo.wait_for_contains_text(f"#{ids.NETWORK_STATUS}", "Showing", timeout=TIMEOUT)
    until(lambda: f"expand={figid}" in dash_duo.driver.current_url, timeout=TIMEOUT)
    until(lambda: bundle not in {p["node"] for p in read_screen(dash_duo)["points"]}, timeout=TIMEOUT)
    shown = {p["node"] for p in read_screen(dash_duo)["points"]}
    row = seed_corpus.figure_row(figid)
    own = {f"gene:{seed_corpus.gene_ids[g]}" for g in seed_corpus.incidence[row].indices}
    assert own <= shown  # every gene of the figure is now a node of its own
    assert_no_console_errors(dash_duo)
