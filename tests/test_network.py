"""A network a biologist can read: no overlapping nodes, labels for the chosen genes and the figures, bundles of a
figure's other genes that open on click, colours that mean something, a view that grows, and a page that sends
nothing to a third party on its own."""

from __future__ import annotations

import html
import itertools

import numpy as np
import plotly.graph_objects as go
import pytest
from conftest import write
from dash import no_update

from dashboard.analysis.graph import OVERLAP_LEFT, _add_terms, build_graph, select_subgraph, spread_layout
from dashboard.analysis.model import Corpus
from dashboard.analysis.terms import term_index
from dashboard.corpus.loader import read_corpus
from dashboard.web import figures, ids
from dashboard.web.controls import next_state, view_outputs
from dashboard.web.detail import show_detail
from dashboard.web.figures import DISC_TOLERANCE, LINE_HEIGHT, UNSTATED_SPECIES, text_width
from dashboard.web.layout import NETWORK_CONFIG
from dashboard.web.network import draw_network, update_network
from dashboard.web.state import ViewState, apply_node_click, parse_query, to_query, to_selection

FIGURE = "PMC7090164__fcell-08-00089-g002"
VIEWS = [
    ViewState(),
    ViewState(genes=(7157,)),
    ViewState(genes=(7157, 207)),
    ViewState(figure=FIGURE),
    ViewState(genes=(8600,), expanded=(FIGURE,)),
]


def nodes_of(figure: dict) -> list[tuple[str, float, float, float, str]]:
    """(node, x, y, marker size, label) of every drawn node."""
    labels = next((t for t in figure["data"] if t["name"] == "labels"), {"customdata": [], "text": []})
    text = dict(zip(labels["customdata"], labels["text"], strict=True))
    found = []
    for trace in figure["data"]:
        if trace["name"] in ("links", "Open figure", "labels", "label lines", UNSTATED_SPECIES):
            continue
        sizes = trace["marker"]["size"]
        for i, node in enumerate(trace["customdata"]):
            found.append((node, trace["x"][i], trace["y"][i], sizes[i], text.get(node, "")))
    return found


def label_boxes(figure: dict) -> dict[str, tuple[float, float, float, float]]:
    """Each label's box on screen at the default zoom (pixels), from its centre and the estimated text width."""
    scale = figure["layout"]["meta"]["px_per_unit"]
    labels = next(t for t in figure["data"] if t["name"] == "labels")
    boxes = {}
    for node, x, y, text in zip(labels["customdata"], labels["x"], labels["y"], labels["text"], strict=True):
        lines = html.unescape(text).split("<br>")
        half, half_height = text_width("\n".join(lines)) / 2, LINE_HEIGHT * len(lines) / 2
        boxes[node] = (x * scale - half, y * scale - half_height, x * scale + half, y * scale + half_height)
    return boxes


@pytest.mark.parametrize("state", VIEWS, ids=lambda s: to_query_name(s))
def test_no_two_nodes_overlap(seed_corpus, state):
    figure, _ = update_network(seed_corpus, state)
    go.Figure(figure)
    nodes = nodes_of(figure)
    assert len(nodes) > 3
    scale = figure["layout"]["meta"]["px_per_unit"]  # on screen at the default zoom
    xy = np.array([(x, y) for _, x, y, *_ in nodes]) * scale
    radii = np.array([size / 2 for _, _, _, size, _ in nodes])
    gaps = [np.hypot(*(xy[i] - xy[j])) - radii[i] - radii[j] for i, j in itertools.combinations(range(len(nodes)), 2)]
    assert min(gaps) >= 0, min(gaps)


def to_query_name(state: ViewState) -> str:
    return "default" if state == ViewState() else "&".join(f"{k}={v}" for k, v in state.to_dict().items() if v)


def test_labels_of_chosen_genes_and_figures_do_not_collide(seed_corpus):
    figure, _ = update_network(seed_corpus, ViewState(genes=(7157, 207)))
    labels = {node: text for node, *_, text in nodes_of(figure)}
    assert labels["gene:7157"] == "TP53" and labels["gene:207"] == "AKT1"
    chosen = [t for t in figure["data"] if t["name"].endswith("(chosen)")]
    assert len(chosen) == 2 and chosen[0]["marker"]["color"] != chosen[1]["marker"]["color"]
    figures = [node for node in labels if node.startswith("figure:")]
    assert figures and all(labels[node] for node in figures)  # every figure carries its short title
    boxes = list(label_boxes(figure).values())
    assert len(boxes) > len(figures)
    for a, b in itertools.combinations(boxes, 2):
        # (centres are rounded to a tenth of a unit: a pixel of slack)
        assert min(a[2], b[2]) - max(a[0], b[0]) <= 1 or min(a[3], b[3]) - max(a[1], b[1]) <= 1, (a, b)


@pytest.mark.parametrize("state", VIEWS[:3], ids=lambda s: to_query_name(s))
def test_gene_labels_reach_over_other_nodes_by_at_most_the_tolerance(seed_corpus, state):
    """Genes and bundles are labelled only where the label covers other nodes' discs by at most DISC_TOLERANCE
    pixels (the depths summed), measured here from the drawn figure itself."""
    figure, _ = update_network(seed_corpus, state)
    scale = figure["layout"]["meta"]["px_per_unit"]
    nodes = nodes_of(figure)
    checked = 0
    for node, box in label_boxes(figure).items():
        if node.startswith("figure:") or node in {f"gene:{g}" for g in state.genes}:
            continue  # figures and chosen genes are labelled wherever they are least crowded
        depth = 0.0
        for other, x, y, size, _ in nodes:
            if other == node:
                continue
            px, py = x * scale, y * scale
            distance = np.hypot(px - np.clip(px, box[0], box[2]), py - np.clip(py, box[1], box[3]))
            depth += max(0.0, size / 2 - distance)
        assert depth <= DISC_TOLERANCE + 0.5, (node, depth)  # (positions and sizes are rounded: half a pixel)
        checked += 1
    assert checked >= 5


def test_labels_are_placed_the_same_whatever_number_of_places_is_weighed_at_once(seed_corpus, monkeypatch):
    """Big pictures weigh their (place, disc) pairs in chunks (memory): a chunk of three pairs places every label
    where one chunk does. Mutation: a chunk's depths added to the wrong nodes → caught."""
    state = ViewState(genes=(7157,), label_all=True)
    whole, _ = draw_network(seed_corpus, state)
    monkeypatch.setattr(figures, "DEPTH_CELLS", 3 * 24)
    assert draw_network(seed_corpus, state)[0] == whole


def test_label_all_labels_every_node(seed_corpus):
    figure, _ = update_network(seed_corpus, ViewState(genes=(7157,), label_all=True))
    assert all(text for *_, text in nodes_of(figure))
    auto, _ = update_network(seed_corpus, ViewState())
    assert not all(text for *_, text in nodes_of(auto))  # the dense overview leaves some to hover


def test_bundles_hold_each_figures_other_genes_and_open_on_click(seed_corpus):
    state = ViewState(genes=(8600,))
    graph = select_subgraph(seed_corpus, to_selection(seed_corpus, state)).graph
    bundles = [n for n, d in graph.nodes(data=True) if d["kind"] == "bundle"]
    assert bundles
    for bundle in bundles:
        figid = bundle.split(":", 1)[1]
        row = seed_corpus.figure_row(figid)
        genes_drawn = sum(1 for n in graph[f"figure:{figid}"] if n.startswith("gene:"))
        assert genes_drawn + graph.nodes[bundle]["count"] == seed_corpus.incidence[row].nnz
    opened = apply_node_click(state, bundles[0])
    assert opened.expanded == (bundles[0].split(":", 1)[1],)
    graph = select_subgraph(seed_corpus, to_selection(seed_corpus, opened), expanded=opened.expanded).graph
    assert bundles[0] not in graph
    assert apply_node_click(opened, bundles[0]).expanded == ()  # a second click closes it
    assert parse_query(seed_corpus, to_query(seed_corpus, opened))[0] == opened  # and it lives in the link


def test_a_figure_alone_centres_the_view(seed_corpus):
    graph = select_subgraph(seed_corpus, to_selection(seed_corpus, ViewState()), centre=FIGURE).graph
    assert f"figure:{FIGURE}" in graph and "gene:8600" in graph
    figure, _ = update_network(seed_corpus, ViewState(figure=FIGURE))
    ring = next(t for t in figure["data"] if t["name"] == "Open figure")
    assert ring["customdata"] == [f"figure:{FIGURE}"]
    own = next(n for n in nodes_of(figure) if n[0] == f"figure:{FIGURE}")
    assert (ring["x"][0], ring["y"][0]) == (own[1], own[2])


def test_colour_by_organism_and_by_year(seed_corpus):
    figure, _ = update_network(seed_corpus, ViewState(colour="organism"))
    names = [t["name"] for t in figure["data"] if t["name"].startswith("Figure")]
    assert "Figure · Homo sapiens" in names and len(names) > 2
    figure, _ = update_network(seed_corpus, ViewState(colour="year"))
    go.Figure(figure)
    coloured = next(t for t in figure["data"] if t["name"] == "Figure (colour: year)")
    assert coloured["marker"]["showscale"] and min(coloured["marker"]["color"]) >= 1998


def test_the_view_grows_and_goes_back(seed_corpus):
    before = ViewState(genes=(8600,), figure=FIGURE)
    values = {"search": "", "grow": ["grow"]}
    chip = {"type": ids.GENE_CHIP, "index": "8792"}
    assert next_state(seed_corpus, chip, values, before)[0].genes == (8600, 8792)
    assert next_state(seed_corpus, chip, {**values, "grow": []}, before)[0].genes == (8792,)
    back = {"type": ids.BACK_TO_GENES, "index": "genes"}
    assert next_state(seed_corpus, back, values, before)[0] == ViewState(genes=(8600,))
    detail = str(show_detail(seed_corpus, before))
    assert "Back to TNFSF11" in detail


def test_nothing_goes_to_a_third_party_on_its_own(seed_corpus):
    assert NETWORK_CONFIG["showSendToCloud"] is False and NETWORK_CONFIG["showEditInChartStudio"] is False
    assert "sendDataToCloud" in NETWORK_CONFIG["modeBarButtonsToRemove"]
    detail = str(show_detail(seed_corpus, ViewState(figure=FIGURE)))
    assert "europepmc.org" not in detail  # the image is fetched only when the user asks for it


# --- chemicals and diseases as a third kind of node ---------------------------------------------------------------
def mentions(corpus, kind: str) -> dict[str, set[str]]:
    """Independently of the term index: each figure's chemical (or disease) ids and words, from the raw table."""
    table = getattr(corpus.tables, kind)
    found: dict[str, set[str]] = {}
    for row in table.fillna("").to_dict("records"):
        names = {str(row[c]).lower() for c in ("mesh", "chebi", "doid") if row.get(c)}
        found.setdefault(str(row["figid"]), set()).update(names | {"word:" + str(row["word"]).lower()})
    return found


@pytest.mark.parametrize("state", [ViewState(), ViewState(genes=(8600,)), ViewState(genes=(7157, 207))])
def test_terms_are_nodes_linked_to_the_figures_that_mention_them(seed_corpus, state):
    selection = to_selection(seed_corpus, state)
    assert select_subgraph(seed_corpus, selection, 300).term_nodes == 0  # off unless asked for
    subgraph = select_subgraph(seed_corpus, selection, 300, terms=True)
    graph = subgraph.graph
    terms = [n for n, kind in graph.nodes(data="kind") if kind == "term"]
    figures = {n.removeprefix("figure:") for n, kind in graph.nodes(data="kind") if kind == "figure"}
    assert terms and subgraph.shown <= 300
    by_kind = {kind: mentions(seed_corpus, kind) for kind in ("chemicals", "diseases")}
    for node in terms:
        kind, key = node.removeprefix("term:").split("|", 1)
        linked = {n.removeprefix("figure:") for n in graph[node]}
        assert linked and all(graph.nodes[f"figure:{f}"]["kind"] == "figure" for f in linked)
        # Linked to exactly the drawn figures that mention it.
        assert linked == {f for f in figures if key.lower() in by_kind[kind].get(f, set())}
    # Terms more drawn figures mention come first: none left out is mentioned by more drawn figures than a drawn one.
    shown = {n.removeprefix("term:") for n in terms}
    left_out = [
        sum(key.lower() in by_kind[kind].get(f, set()) for f in figures)
        for kind in ("chemicals", "diseases")
        for key in term_index(seed_corpus, kind).keys
        if f"{kind}|{key}" not in shown
    ]
    assert max(left_out, default=0) <= min(graph.degree(n) for n in terms)


def test_terms_stay_within_small_budgets(seed_corpus):
    for budget in (10, 40, 120):
        subgraph = select_subgraph(seed_corpus, to_selection(seed_corpus, ViewState()), budget, terms=True)
        assert subgraph.shown <= budget


def test_a_term_node_is_drawn_in_its_own_shape_and_a_click_filters_by_it(seed_corpus):
    state, notices = parse_query(seed_corpus, "terms=1")
    assert notices == [] and state.show_terms and to_query(seed_corpus, state) == "?terms=1"
    figure, status = update_network(seed_corpus, state)
    traces = {t["name"]: t for t in figure["data"]}
    chemicals = traces["Chemical (click to filter by it)"]
    assert chemicals["marker"]["symbol"] == "diamond" and all(
        n.startswith("term:chemicals|") for n in chemicals["customdata"]
    )
    assert "chemicals and diseases" in status
    node = chemicals["customdata"][0]
    after, _ = next_state(seed_corpus, ids.NETWORK, {"click": {"points": [{"customdata": node}]}}, state)
    assert after.chemicals == (node.split("|", 1)[1],) and after.show_terms
    bogus = {"click": {"points": [{"customdata": "term:chemicals|mesh:D000000"}]}}
    assert next_state(seed_corpus, ids.NETWORK, bogus, state)[0] == state


def test_terms_several_drawn_figures_mention_come_before_terms_common_elsewhere(tmp_path):
    """Two drawn figures mention serotonin, one mentions glucose, which five figures not drawn mention too: with room
    for one term, serotonin is drawn. (Mutation: rank by corpus counts alone → glucose.)"""
    from test_search import record

    drawn = [f"PMC400000{i}__drawn" for i in range(3)]
    others = [f"PMC500000{i}__other" for i in range(5)]
    for figid in drawn + others:
        write(tmp_path, f"_figures/{figid}.md", record(figid, f"Figure {figid}", "A caption."))
    rows = {
        "serotonin": "Serotonin\tmesh:D012701\tSerotonin\tserotonin\tNA",
        "glucose": "Glucose\tmesh:D005947\tGlucose\tNA\tNA",
    }
    header = "word\tmesh\tmatch\tname\tchebi\n"
    for figid, names in [(drawn[0], ["serotonin"]), (drawn[1], ["serotonin"]), (drawn[2], ["glucose"])] + [
        (f, ["glucose"]) for f in others
    ]:
        write(tmp_path, f"_data/{figid}-chemicals.tsv", header + "".join(rows[n] + "\n" for n in names))
    corpus = Corpus(read_corpus([tmp_path]))
    figure_rows = np.array([corpus.figure_row(f) for f in drawn])
    graph = build_graph(corpus, figure_rows, np.array([], dtype=np.int64))
    _add_terms(corpus, graph, figure_rows, room=1, most=5)
    assert [n for n, kind in graph.nodes(data="kind") if kind == "term"] == ["term:chemicals|mesh:D012701"]
    assert {n for n in graph["term:chemicals|mesh:D012701"]} == {f"figure:{f}" for f in drawn[:2]}
    _add_terms(corpus, graph, figure_rows, room=2, most=5)
    assert set(graph["term:chemicals|mesh:D005947"]) == {f"figure:{drawn[2]}"}  # not the figures left out


@pytest.mark.parametrize("seed", range(4))
def test_spreading_leaves_no_two_discs_overlapping(seed):
    """Checked over every pair, not the pairs the spreading looks at. Mutation: the list of near pairs made once
    and never again as nodes move → discs left overlapping."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 400, size=(250, 2))
    points[:10] = points[10]  # coincident nodes
    radii = np.where(rng.random(250) < 0.1, rng.uniform(20, 40, 250), rng.uniform(2, 8, 250))
    spread = spread_layout(points, radii)
    i, j = np.triu_indices(len(points), 1)
    shortfall = radii[i] + radii[j] + 2.0 - np.hypot(*(spread[i] - spread[j]).T)
    assert shortfall.max() < OVERLAP_LEFT
    assert np.median(np.hypot(*(spread - points).T)) < 60  # the layout's shape is kept, not blown apart


def test_opening_a_figure_with_no_gene_chosen_recentres_the_network(seed_corpus):
    """A table click opens a figure: with no gene chosen, the network store changes (its view centres on that
    figure, which the default view does not draw); with genes chosen, opening a figure leaves the network alone."""
    default, _ = update_network(seed_corpus, ViewState())
    far = next(
        str(f)
        for f in seed_corpus.figids
        if f"figure:{f}" not in {n[0] for n in nodes_of(default)}
        and seed_corpus.figure_sizes()[seed_corpus.figure_row(str(f))] > 0
    )
    values = {"cell": {"rowId": far}, "search": ""}
    state, _ = next_state(seed_corpus, ids.FIGURE_TABLE, values, ViewState())
    outputs = view_outputs(seed_corpus, ids.FIGURE_TABLE, state, ViewState(), [], "")
    assert outputs["network"]["figure"] == far
    figure, _ = update_network(seed_corpus, ViewState.from_dict(outputs["network"]))
    assert f"figure:{far}" in {n[0] for n in nodes_of(figure)}
    chosen = ViewState(genes=(7157,))
    opened, _ = next_state(seed_corpus, ids.FIGURE_TABLE, values, chosen)
    assert view_outputs(seed_corpus, ids.FIGURE_TABLE, opened, chosen, [], "?genes=TP53")["network"] is no_update


def test_a_gene_linking_exactly_two_drawn_figures_is_a_shared_labelled_node(seed_corpus):
    """A gene in two of the drawn figures links them: it is drawn among "genes in several figures" and gets a label
    where it fits, like genes of more figures — never as a private, unlabelled gene."""
    figure, _ = update_network(seed_corpus, ViewState(genes=(7157,)))
    graph = select_subgraph(seed_corpus, to_selection(seed_corpus, ViewState(genes=(7157,)))).graph
    twice = {
        n
        for n in graph
        if graph.nodes[n]["kind"] == "gene" and graph.degree(n) == 2 and not graph.nodes[n].get("focus")
    }
    assert twice
    shared = next(t for t in figure["data"] if t["name"] == "Gene in several figures")
    assert twice <= set(shared["customdata"])
    labelled = {node for node, *_, label in nodes_of(figure) if label}
    assert twice & labelled


@pytest.mark.parametrize("state", VIEWS, ids=lambda s: to_query_name(s))
def test_figure_labels_say_what_the_figure_is_and_the_hover_has_the_whole_title(seed_corpus, state):
    """A figure's label is its title up to ~40 characters, on two lines where it is long (one short line only where
    two found no free place); its hover box holds the whole title; no two labels overlap."""
    figure, _ = update_network(seed_corpus, state)
    titles = seed_corpus.figures.set_index("figid")["title"]
    labels = next(t for t in figure["data"] if t["name"] == "labels")
    shown = dict(zip(labels["customdata"], labels["text"], strict=True))
    hovers = {
        node: hover
        for trace in figure["data"]
        if trace.get("hovertext")
        for node, hover in zip(trace["customdata"], trace["hovertext"], strict=True)
    }
    two_lines = 0
    for node, text in shown.items():
        if not node.startswith("figure:"):
            continue
        title = " ".join(str(titles[node.removeprefix("figure:")]).split())
        lines = html.unescape(text).split("<br>")
        label = " ".join(lines)
        assert len(lines) <= 2 and len(label) <= 41, label
        assert title.startswith(label.removesuffix("…").rstrip()), (label, title)
        two_lines += len(lines) == 2
        hover = html.unescape(hovers[node].split("</b>")[0].removeprefix("<b>")).replace("<br>", " ")
        assert hover == title
    assert two_lines >= 3  # long titles do use their second line
    for a, b in itertools.combinations(label_boxes(figure).values(), 2):
        assert min(a[2], b[2]) - max(a[0], b[0]) <= 1 or min(a[3], b[3]) - max(a[1], b[1]) <= 1, (a, b)


def test_genes_of_a_species_the_figure_does_not_state_are_ringed_with_a_legend_line(seed_corpus):
    state = ViewState(organisms=("Mus musculus",), other_species=True)
    figure, _ = update_network(seed_corpus, state)
    graph = select_subgraph(seed_corpus, to_selection(seed_corpus, state), state.budget).graph
    expected = set()
    for node, data in graph.nodes(data=True):
        if data["kind"] != "gene":
            continue
        stated = {o for f in graph[node] for o in str(graph.nodes[f].get("organisms") or "").split(", ") if o}
        stated.discard("Unknown")
        if stated and data["organism"] not in stated:
            expected.add(node)
    ringed = next(t for t in figure["data"] if t["name"] == UNSTATED_SPECIES)
    drawn = {n for n, *_ in nodes_of(figure)}
    assert expected and set(ringed["customdata"]) == expected & drawn and ringed.get("showlegend", True)
    plain, _ = update_network(seed_corpus, ViewState(organisms=("Mus musculus",)))
    assert UNSTATED_SPECIES not in {t["name"] for t in plain["data"]}  # only mouse genes: nothing to ring
