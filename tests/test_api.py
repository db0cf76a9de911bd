"""The JSON API through Flask's test client: answers, and clear errors (400/404), never a 500."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SEEDS
from scipy import stats

from dashboard.analysis.enrich import enrich
from dashboard.analysis.selection import selection_figures
from dashboard.config import Settings
from dashboard.web.app import create_app
from dashboard.web.state import ViewState, parse_query, to_selection

FIGURE = "PMC7090164__fcell-08-00089-g002"


API_DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"


@pytest.fixture(scope="module")
def client(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus).server.test_client()


def test_stats(client):
    body = client.get("/api/v1/stats").get_json()
    assert (body["figures"], body["genes"], body["links"], body["papers"]) == (190, 4073, 6874, 190)
    assert body["organisms"]["Homo sapiens"] == 107 and body["years"] == {"min": 1998, "max": 2025}


def test_gene_type_ahead(client):
    genes = client.get("/api/v1/genes?q=rankl").get_json()["genes"]
    assert genes[0] == {
        "symbol": "TNFSF11",
        "organism": "Homo sapiens",
        "ncbi_id": 8600,
        "figures": 3,
        "matched_word": "RANKL",
    }
    assert len(client.get("/api/v1/genes?q=a&limit=5").get_json()["genes"]) == 5


def test_gene_figures_with_filters(client):
    body = client.get("/api/v1/genes/TNFSF11/figures").get_json()
    assert [g["ncbi_id"] for g in body["genes"]] == [8600]
    assert body["total"] == 3 and FIGURE in {f["figid"] for f in body["figures"]}
    first = next(f for f in body["figures"] if f["figid"] == FIGURE)
    assert first == {"figid": FIGURE, "title": first["title"], "year": 2020, "organisms": ["Homo sapiens"]}
    by_id = client.get("/api/v1/genes/8600/figures?years=2020-2020&organisms=Homo%20sapiens").get_json()
    assert {f["figid"] for f in by_id["figures"]} == {
        f["figid"] for f in body["figures"] if f["year"] == 2020 and "Homo sapiens" in f["organisms"]
    }


def test_full_figure_record(client):
    body = client.get(f"/api/v1/figures/{FIGURE}").get_json()
    assert body["pmcid"] == "PMC7090164" and body["year"] == 2020
    assert body["figure_url"] == "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7090164/figure/F2/"
    genes = {g["symbol"]: g for g in body["genes"]}
    assert genes["TNFSF11"]["words"] == ["RANKL"] and genes["TNFSF11"]["sources"] == ["hgnc_alias_symbol"]
    assert genes["EPHA2"]["exact"] is True


def human_genes_in_links(corpus) -> int:
    """Human genes that some figure holds, counted from the tables (not through the enrichment code)."""
    linked = set(corpus.tables.links["gene_id"])
    genes = corpus.tables.genes
    return int(genes[(genes["organism"] == "Homo sapiens") & genes["gene_id"].isin(linked)].shape[0])


def test_enrich_matches_fisher(client, seed_corpus):
    body = client.post("/api/v1/enrich", json={"genes": ["MAPK1", "mapk3", "207", "TP53", "zzz"]}).get_json()
    humans = human_genes_in_links(seed_corpus)
    assert body["species"] == "Homo sapiens" and body["species_inferred"] is True
    assert body["unrecognised"] == ["zzz"] and body["query_size"] == 4 and body["background_size"] == humans
    top = body["results"][0]
    assert len(top["overlap_ids"]) == len(top["overlap_genes"]) == top["overlap"]
    assert set(top["overlap_ids"]) <= {5594, 5595, 207, 7157}
    a, n = top["overlap"], top["set_size"]
    table = [[a, n - a], [4 - a, humans - n - 4 + a]]
    assert top["p_value"] == pytest.approx(stats.fisher_exact(table, alternative="greater")[1], rel=1e-9)
    assert [r["p_value"] for r in body["results"]] == sorted(r["p_value"] for r in body["results"])
    filtered = client.post(
        "/api/v1/enrich",
        json={
            "genes": ["MAPK1", "MAPK3"],
            "organisms": ["Mus musculus"],
            "years": "2010-2025",
            "min_size": 5,
            "limit": 3,
        },
    ).get_json()
    assert len(filtered["results"]) <= 3 and all(r["set_size"] >= 5 for r in filtered["results"])
    assert filtered["background_size"] < humans


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "message"),
    [
        ("get", "/api/v1/genes", None, 400, "give a prefix"),
        ("get", "/api/v1/genes?q=TP&limit=0", None, 400, "'limit'"),
        ("get", "/api/v1/genes/NOSUCH/figures", None, 404, "no gene"),
        ("get", "/api/v1/genes/TP53/figures?years=abc", None, 400, "Years 'abc'"),
        ("get", "/api/v1/genes/TP53/figures?organisms=Martian", None, 400, "Unknown organism"),
        ("get", "/api/v1/genes/TP53/figures?match=most", None, 400, "'match'"),
        ("get", "/api/v1/figures/PMC0__none", None, 404, "no figure"),
        ("get", "/api/v1/nowhere", None, 404, "no endpoint"),
        ("delete", "/api/v1/stats", None, 405, "not allowed"),
        ("post", "/api/v1/enrich", "not json", 400, "JSON object"),
        ("post", "/api/v1/enrich", [], 400, "JSON object"),
        ("post", "/api/v1/enrich", {}, 400, "'genes' is required"),
        ("post", "/api/v1/enrich", {"genes": [1.5]}, 400, "list of gene symbols"),
        ("post", "/api/v1/enrich", {"genes": ["TP53"], "years": 2020}, 400, "'years' must be a string"),
        ("post", "/api/v1/enrich", {"genes": ["TP53"], "years": "later"}, 400, "not a range"),
        ("post", "/api/v1/enrich", {"genes": ["TP53"], "min_size": -1}, 400, "'min_size'"),
        ("post", "/api/v1/enrich", {"genes": ["TP53"], "organisms": "Homo sapiens"}, 400, "'organisms'"),
        ("post", "/api/v1/enrich", {"genes": ["TP53"], "colour": 1}, 400, "unknown field"),
        ("post", "/api/v1/enrich", {"genes": ["x"] * 40_001}, 400, "at most 40,000"),
        ("post", "/api/v1/enrich", {"genes": ["TP53"], "species": "Homo sapienz"}, 400, "'species'"),
        ("post", "/api/v1/enrich", {"genes": []}, 400, "'genes' is empty"),
        ("post", "/api/v1/enrich", {"genes": ["TP53"], "limit": "²"}, 400, "'limit'"),
        ("get", "/api/v1/genes?q=tp&limit=²", None, 400, "'limit'"),
    ],
)
def test_bad_requests_get_json_errors(client, method, url, body, status, message):
    kwargs = {"data": body} if isinstance(body, str) else ({"json": body} if body is not None else {})
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_no_recognised_gene_gives_no_results(client):
    body = client.post("/api/v1/enrich", json={"genes": ["nothing", "here"]}).get_json()
    assert body["results"] == [] and body["unrecognised"] == ["nothing", "here"]


@pytest.fixture(scope="module")
def site_client(site_corpus):
    return create_app(Settings(data=("unused",), use_cache=False), corpus=site_corpus).server.test_client()


def test_chemicals_and_diseases_in_the_record(site_client):
    body = site_client.get("/api/v1/figures/PMC1000002__new-f2").get_json()
    assert {"word": "NADH", "mesh": "mesh:D009243", "match": "NAD", "name": "NAD(+)", "chebi": "chebi:15846"} in body[
        "chemicals"
    ]
    assert len(body["chemicals"]) == 2  # the duplicated row once, the NA row kept without its missing values
    assert body["diseases"] == [
        {"word": "cancer", "mesh": "mesh:D009369", "match": "Neoplasms", "name": "cancer", "doid": "doid:162"}
    ]


def test_gene_figures_all_of_several_and_unrecognised(client, seed_corpus):
    links = seed_corpus.links
    with_rankl = set(links.loc[links["gene_id"] == 8600, "figid"])
    with_rank = set(links.loc[links["gene_id"] == 8792, "figid"])
    both = client.get("/api/v1/genes/TNFSF11,TNFRSF11A/figures?match=all").get_json()
    assert {f["figid"] for f in both["figures"]} == with_rankl & with_rank and both["total"] == len(
        with_rankl & with_rank
    )
    either = client.get("/api/v1/genes/TNFSF11,TNFRSF11A,NOPE/figures").get_json()
    assert {f["figid"] for f in either["figures"]} == with_rankl | with_rank
    assert either["unrecognised"] == ["NOPE"]
    assert client.get("/api/v1/genes/NOPE,%C2%B2/figures").status_code == 404  # "²" is no NCBI id


def test_an_infinite_odds_ratio_is_null(client):
    """A figure holding every background gene that the list names and nothing else: b·c = 0, the odds ratio is
    infinite, and JSON says null (not Infinity, which is no JSON)."""
    body = client.post("/api/v1/enrich", json={"genes": ["TNFSF11", "TNFRSF11A", "EPHA2"], "min_size": 1}).get_json()
    top = body["results"][0]
    assert top["figid"] == FIGURE and top["overlap"] == top["set_size"] == 3
    assert top["odds_ratio"] is None
    finite = [r["odds_ratio"] for r in body["results"] if r["overlap"] < r["set_size"] and r["overlap"]]
    assert finite and all(isinstance(value, float) for value in finite)


@pytest.mark.parametrize(
    ("query", "status", "error"),
    [
        ("years=2020-2010", 200, None),  # reversed: read the other way round, as a link is
        ("years=1800-1810", 200, None),  # beyond the corpus: allowed, it finds nothing
        ("years=abc", 400, "Years 'abc' are not a range like 2010-2020."),
        (
            "include_unstated=maybe",
            400,
            "'include_unstated' must be 1 or 0 (or true/false, yes/no, on/off), not 'maybe'",
        ),
        ("organisms=Martian,Homo%20sapiens", 400, "Unknown organism 'Martian' dropped."),
    ],
)
def test_filters_refuse_exactly_what_a_link_would_drop(client, seed_corpus, query, status, error):
    """A filter value is refused when a link would drop it, and the error says what is wrong, never what the page
    would do instead ("all years shown"); a value a link uses (reversed or empty years) is answered."""
    response = client.get(f"/api/v1/genes/TP53/figures?{query}")
    assert response.status_code == status
    if error is not None:
        assert response.get_json()["error"] == error
    else:
        state, _ = parse_query(seed_corpus, query)
        expected = selection_figures(seed_corpus, to_selection(seed_corpus, replace(state, genes=(7157,))))
        assert response.get_json()["total"] == len(expected)


def test_a_pasted_table_as_the_genes_string_is_read_as_the_page_reads_it(client):
    """`genes` given as text goes through the page's reader: the gene column of a table, not its counts (7124 is
    TNF's NCBI id, 3569 IL6's) nor the words of its descriptions."""
    text = 'gene,description,count\nTP53,"kinase, binds TNF and TNF, see notes",7124\nAKT1,"a, b",3569\n'
    body = client.post("/api/v1/enrich", json={"genes": text}).get_json()
    assert body["query_size"] == 2 and body["unrecognised"] == []
    listed = {gene for result in body["results"] for gene in result["overlap_ids"]}
    assert listed <= {7157, 207} and listed


def test_exact_is_applied_by_the_gene_figures_and_the_enrichment(client, seed_corpus):
    """`exact=1` keeps only the links read through a gene's own symbol, in a gene's figures and in the enrichment
    alike (TNFSF11 is read through its alias RANKL in some figures)."""
    totals = {}
    for exact in (0, 1):
        state = ViewState(genes=(8600,), exact=bool(exact))
        expected = [
            str(seed_corpus.figids[r]) for r in selection_figures(seed_corpus, to_selection(seed_corpus, state))
        ]
        body = client.get(f"/api/v1/genes/8600/figures?exact={exact}").get_json()
        assert sorted(f["figid"] for f in body["figures"]) == sorted(expected)
        totals[exact] = body["total"]
    assert totals[1] < totals[0]
    genes = ["TNFSF11", "TNFRSF11A", "MAPK1", "AKT1", "TP53"]
    for exact in (False, True):
        body = client.post("/api/v1/enrich", json={"genes": genes, "exact": exact}).get_json()
        direct = enrich(seed_corpus, genes, exact=exact)
        assert body["background_size"] == direct.background_size
        assert [(r["figid"], r["overlap"]) for r in body["results"]] == list(
            zip(direct.results["figid"], direct.results["overlap"], strict=True)
        )
    loose = client.post("/api/v1/enrich", json={"genes": genes}).get_json()
    strict = client.post("/api/v1/enrich", json={"genes": genes, "exact": True}).get_json()
    assert loose["background_size"] != strict["background_size"]


def test_the_docs_name_every_key_of_a_record(client, seed_corpus):
    """docs/api.md's row for a figure's record names every key the route answers (a field added to the route and
    not to the docs fails here)."""
    row = next(line for line in API_DOCS.read_text().splitlines() if line.startswith("| `GET /api/v1/figures/"))
    record = client.get(f"/api/v1/figures/{seed_corpus.figids[0]}").get_json()
    assert [key for key in record if f"`{key}`" not in row] == []
