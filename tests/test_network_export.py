"""The drawn network as Cytoscape.js JSON: the page's export (`to_cytoscape_json`, `to_cyjs`) and `GET /api/v1/network`
hold exactly the subgraph the network view draws, in a shape Cytoscape.js reads; bad parameters are a 400."""

from __future__ import annotations

import json
from urllib.parse import quote

import networkx as nx
import pytest
from conftest import SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.analysis.graph import select_subgraph
from dashboard.config import Settings
from dashboard.corpus import columns as C
from dashboard.web.app import create_app
from dashboard.web.exports import network_export_name, to_cyjs, to_cytoscape_json, to_graphml
from dashboard.web.state import KNOWN_PARAMS, ViewState, parse_query, to_selection

FIGURE = "PMC7090164__fcell-08-00089-g002"
KINDS = ("figure", "gene", "bundle", "chemical", "disease")
VIEWS = [
    "",  # the default view: the most connected part of the corpus
    "genes=TNFSF11",
    "genes=TP53,AKT1&match=any",
    "genes=TP53,AKT1&match=all",
    f"figure={FIGURE}",  # no gene: the figure and the figures sharing most genes with it
    "terms=1",
    "genes=TNFSF11&terms=1",
    "organisms=Mus+musculus&budget=40",
    "q=osteoclast",
    "years=2030-2040",  # beyond the corpus: an empty network, not an error
]


@pytest.fixture(scope="module")
def client(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus).server.test_client()


def view(corpus, query: str) -> ViewState:
    state, notices = parse_query(corpus, query)
    assert not any(notice.dropped for notice in notices), notices  # a note (a range beyond the corpus) is no drop
    return state


def drawn(corpus, state: ViewState) -> nx.Graph:
    """What the network view draws for a state, as `draw_network` selects it (not through the export's code)."""
    return select_subgraph(
        corpus, to_selection(corpus, state), state.budget, state.expanded, state.figure, state.show_terms
    ).graph


def expected_kind(data: dict) -> str:
    if data["kind"] == "term":
        return {"chemicals": "chemical", "diseases": "disease"}[data["term_kind"]]
    return data["kind"]


def check_same_network(corpus, state: ViewState, found: dict) -> None:
    """The JSON holds the drawn graph's nodes (kind and label) and edges, and nothing else."""
    graph = drawn(corpus, state)
    nodes = {n["data"]["id"]: n["data"] for n in found["elements"]["nodes"]}
    assert set(nodes) == set(graph.nodes)
    assert {n: d["kind"] for n, d in nodes.items()} == {n: expected_kind(d) for n, d in graph.nodes(data=True)}
    edges = {frozenset((e["data"]["source"], e["data"]["target"])) for e in found["elements"]["edges"]}
    assert edges == {frozenset(edge) for edge in graph.edges}
    assert len(found["elements"]["edges"]) == graph.number_of_edges()


@pytest.mark.parametrize("query", VIEWS)
def test_the_json_is_the_drawn_network(seed_corpus, query):
    state = view(seed_corpus, query)
    found = to_cytoscape_json(seed_corpus, state)
    check_same_network(seed_corpus, state, found)
    assert json.loads(to_cyjs(seed_corpus, state)) == found  # the file is the same JSON
    if query != "years=2030-2040":
        assert found["elements"]["nodes"], "a view with figures draws something"


def test_an_opened_bundle_is_drawn_as_its_genes(seed_corpus):
    closed = view(seed_corpus, "genes=TNFSF11")
    bundles = [
        n["data"] for n in to_cytoscape_json(seed_corpus, closed)["elements"]["nodes"] if n["data"]["kind"] == "bundle"
    ]
    bundle = max(bundles, key=lambda b: b["genes"])
    opened = view(seed_corpus, f"genes=TNFSF11&expand={bundle['figid']}")
    found = to_cytoscape_json(seed_corpus, opened)
    check_same_network(seed_corpus, opened, found)
    ids = {n["data"]["id"] for n in found["elements"]["nodes"]}
    genes = sum(n["data"]["kind"] == "gene" for n in found["elements"]["nodes"])
    closed_genes = sum(1 for _, kind in drawn(seed_corpus, closed).nodes(data="kind") if kind == "gene")
    assert bundle["id"] not in ids and genes >= closed_genes + min(bundle["genes"], 10)


@pytest.mark.parametrize("query", ["", "genes=TP53,AKT1", "terms=1", f"figure={FIGURE}"])
def test_labels_and_data_are_the_corpus_tables(seed_corpus, query):
    """Figures by their whole title, year and organisms; genes by symbol, NCBI id and organism — read from the
    corpus' tables, not from the graph's attributes; bundles name their figure; terms their kind's id."""
    found = to_cytoscape_json(seed_corpus, view(seed_corpus, query))
    figures = seed_corpus.figures.set_index(C.FIGID)
    genes = seed_corpus.genes.set_index(C.GENE_ID)
    drawn_figures = {n["data"]["figid"] for n in found["elements"]["nodes"] if n["data"]["kind"] == "figure"}
    for node in found["elements"]["nodes"]:
        data = node["data"]
        if data["kind"] == "figure":
            record = figures.loc[data["figid"]]
            assert data["id"] == f"figure:{data['figid']}" and data["label"] == record[C.TITLE]
            assert type(data["year"]) is int and data["year"] == int(record[C.YEAR])  # 2020, not 2020.0
            assert data["organisms"] == record[C.ORGANISMS].split("\t")
        elif data["kind"] == "gene":
            record = genes.loc[data["ncbi_id"]]
            assert data["id"] == f"gene:{data['ncbi_id']}"
            assert (data["label"], data["organism"]) == (record[C.SYMBOL], record[C.ORGANISM])
            assert isinstance(data["chosen"], bool)
        elif data["kind"] == "bundle":
            assert data["id"] == f"bundle:{data['figid']}" and data["figid"] in drawn_figures
            assert data["label"] == f"+{data['genes']:,} gene{'s' if data['genes'] > 1 else ''}"
        else:
            kind = {"chemical": "chemicals", "disease": "diseases"}[data["kind"]]
            assert data["id"] == f"term:{kind}|{data['term_id']}" and data["label"] and data["figures"] >= 1
            assert parse_query(seed_corpus, f"{kind}={quote(data['term_id'])}")[1] == []  # a filter takes it
    chosen = [n["data"]["ncbi_id"] for n in found["elements"]["nodes"] if n["data"].get("chosen")]
    assert sorted(chosen) == sorted(view(seed_corpus, query).genes)


def _json_native(value) -> bool:
    """Only JSON's own types (exactly: a numpy float is a float subclass, and not what a JSON reader gives back)."""
    if type(value) is dict:
        return all(type(k) is str and _json_native(v) for k, v in value.items())
    if type(value) is list:
        return all(_json_native(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


@pytest.mark.parametrize("query", ["", "genes=TP53,AKT1&terms=1", f"figure={FIGURE}&terms=1&budget=2000"])
def test_a_cytoscape_js_shape_that_is_deterministic(seed_corpus, query):
    state = view(seed_corpus, query)
    found = to_cytoscape_json(seed_corpus, state)
    assert _json_native(found) and json.loads(json.dumps(found, allow_nan=False)) == found
    assert set(found) == {"data", "elements"} and set(found["elements"]) == {"nodes", "edges"}
    nodes, edges = found["elements"]["nodes"], found["elements"]["edges"]
    assert all(set(n) == {"data"} and type(n["data"]["id"]) is str and n["data"]["label"] for n in nodes)
    ids = [n["data"]["id"] for n in nodes]
    assert len(ids) == len(set(ids))  # Cytoscape.js refuses a second element with an id
    kinds = {n["data"]["id"]: n["data"]["kind"] for n in nodes}
    edge_ids = [e["data"]["id"] for e in edges]
    assert len(edge_ids) == len(set(edge_ids)) and not set(edge_ids) & set(ids)
    for edge in edges:
        assert set(edge) == {"data"} and set(edge["data"]) == {"id", "source", "target"}
        assert kinds[edge["data"]["source"]] == "figure" and kinds[edge["data"]["target"]] in KINDS[1:]
    # Nodes by kind, edges in their nodes' order; the same view gives the same text.
    assert [KINDS.index(kinds[i]) for i in ids] == sorted(KINDS.index(kinds[i]) for i in ids)
    position = {node: i for i, node in enumerate(ids)}
    ends = [(position[e["data"]["source"]], position[e["data"]["target"]]) for e in edges]
    assert ends == sorted(ends)
    assert to_cyjs(seed_corpus, state) == to_cyjs(seed_corpus, parse_query(seed_corpus, query)[0])
    assert found["data"]["name"] == network_export_name(seed_corpus, state, "cyjs").removesuffix(".cyjs")


def test_the_graphml_export_holds_the_same_network(seed_corpus):
    state = view(seed_corpus, "genes=TP53,AKT1&terms=1")
    graphml = nx.parse_graphml(to_graphml(seed_corpus, state))
    found = to_cytoscape_json(seed_corpus, state)
    assert {n["data"]["id"] for n in found["elements"]["nodes"]} == set(graphml.nodes)
    assert len(found["elements"]["edges"]) == graphml.number_of_edges()


def test_file_names_say_what_the_network_holds(seed_corpus):
    assert network_export_name(seed_corpus, ViewState(), "cyjs") == "pfocr-network.cyjs"
    state = view(seed_corpus, "genes=TNFSF11&terms=1&budget=500&organisms=Homo+sapiens")
    assert network_export_name(seed_corpus, state, "cyjs") == (
        "pfocr-network_genes-TNFSF11-any_organisms-Homo-sapiens_terms_budget-500.cyjs"
    )
    centred = network_export_name(seed_corpus, view(seed_corpus, f"figure={FIGURE}"), "cyjs")
    assert centred == f"pfocr-network_figure-{FIGURE}.cyjs"
    # With a gene chosen the open figure does not change the network, nor the name.
    with_gene = view(seed_corpus, f"genes=TNFSF11&figure={FIGURE}")
    assert network_export_name(seed_corpus, with_gene, "graphml") == "pfocr-network_genes-TNFSF11-any.graphml"


@pytest.mark.parametrize(
    "query", [*VIEWS, "genes=TNFSF11&expand=PMC7090164__fcell-08-00089-g002", "exact=1&labels=all&colour=year"]
)
def test_the_api_answers_the_export_of_the_same_query(client, seed_corpus, query):
    response = client.get(f"/api/v1/network?{query}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == to_cytoscape_json(seed_corpus, view(seed_corpus, query))


def test_the_api_reads_values_the_page_keeps(client):
    """A reversed range is read the other way round; colour and labels do not change the network."""
    reversed_years = client.get("/api/v1/network?years=2020-2010").get_json()["elements"]
    assert reversed_years == client.get("/api/v1/network?years=2010-2020").get_json()["elements"]
    styled = client.get("/api/v1/network?genes=TNFSF11&colour=organism&labels=all").get_json()["elements"]
    assert styled == client.get("/api/v1/network?genes=TNFSF11").get_json()["elements"]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("years=abc", "abc"),
        ("genes=NOPE", "NOPE"),
        ("genes=TP53,NOPE", "NOPE"),  # one unknown gene is not silently left out
        ("budget=5", "from 10 to 2,000, not '5'"),
        ("budget=%C2%B2", "²"),  # a superscript two is no number
        ("budget=3000", "from 10 to 2,000, not '3000'"),
        ("figure=nope", "nope"),
        ("expand=nope", "nope"),
        ("match=some", "some"),
        ("organisms=Martian", "Martian"),
        ("chemicals=notachemical", "notachemical"),
        ("include_unstated=maybe", "maybe"),
        ("terms=maybe", "maybe"),
        ("exact=maybe", "maybe"),
        ("labels=some", "some"),
        ("colour=pink", "pink"),
        ("q=%2A", "Search"),
        ("genes=TP53&genes=AKT1", "more than once"),
        ("nodes=5", "nodes"),
        ("genes=" + ",".join(["TP53"] * 51), "50"),
        ("q=" + "a" * 9000, "at most 500 characters"),
    ],
)
def test_bad_parameters_are_a_400_with_the_reason(client, query, says):
    response = client.get(f"/api/v1/network?{query}")
    body = response.get_json()
    assert response.status_code == 400 and body["status"] == 400, body
    assert says in body["error"]


def test_the_page_offers_what_the_api_answers(client, seed_corpus):
    """The page's file and the API's answer for the page's own link are the same JSON."""
    state = view(seed_corpus, "genes=TP53,AKT1&match=all&terms=1")
    link = to_cytoscape_json(seed_corpus, state)["data"]["view"]
    assert json.loads(to_cyjs(seed_corpus, state)) == client.get(f"/api/v1/network{link}").get_json()


VALUES = st.text(max_size=40) | st.sampled_from(
    ["TP53,AKT1", "tp53", "7157", "2020-2010", "1", "0", "all", "²", "٣", "\x00", "a" * 3000, "-1", FIGURE, "1e309"]
)


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.lists(st.tuples(st.sampled_from([*KNOWN_PARAMS, "nodes"]), VALUES), max_size=5))
def test_any_query_is_answered_or_refused_in_json(client, query):
    """Whatever the parameters, a network (200) or the reason it is refused (400): never a 500."""
    response = client.get("/api/v1/network", query_string=query)
    body = response.get_json()
    assert response.status_code in (200, 400), (query, response.status_code, body)
    assert ("elements" in body) if response.status_code == 200 else (body["error"] and body["status"] == 400)
