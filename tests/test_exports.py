"""Exports of the current selection, enrichment through the dashboard's callbacks, and the `enrich` command."""

from __future__ import annotations

import base64
import csv
import io

import networkx as nx
from conftest import SEEDS, write

from dashboard.cli import main
from dashboard.web import ids
from dashboard.web.callbacks import apply_enrichment_pick, decode_upload, export_file, run_enrichment
from dashboard.web.exports import export_name
from dashboard.web.state import ViewState

LIST = "MAPK1\nMAPK3, AKT1 TP53\tnotagene"


def test_file_names_say_what_they_hold(seed_corpus):
    state = ViewState(genes=(8600,), organisms=("Homo sapiens",), years=(2010, 2020), exact=True)
    assert export_name(seed_corpus, state, "figures", "csv") == (
        "pfocr-figures_genes-TNFSF11-any_organisms-Homo-sapiens_years-2010-2020_exact.csv"
    )
    assert export_name(seed_corpus, ViewState(), "gene-sets", "gmt") == "pfocr-gene-sets.gmt"


def test_figures_csv(seed_corpus):
    found = export_file(seed_corpus, ViewState(genes=(8600,)), ids.EXPORT_FIGURES, None)
    rows = list(csv.DictReader(io.StringIO(found["content"])))
    assert len(rows) == 3 and "PMC7090164__fcell-08-00089-g002" in {r["figid"] for r in rows}
    assert {"title", "year", "n_genes", "figure_url", "pmcid"} <= set(rows[0])


def test_gmt_one_line_per_figure(seed_corpus):
    found = export_file(seed_corpus, ViewState(organisms=("Mus musculus",)), ids.EXPORT_GMT, None)
    lines = found["content"].splitlines()
    assert len(lines) == 22
    seed_line = next(
        line
        for line in export_file(seed_corpus, ViewState(genes=(8600,)), ids.EXPORT_GMT, None)["content"].splitlines()
        if line.startswith("PMC7090164")
    )
    figid, link, *genes = seed_line.split("\t")
    assert figid == "PMC7090164__fcell-08-00089-g002"
    assert link.startswith("https://www.ncbi.nlm.nih.gov/pmc/") and sorted(genes) == ["EPHA2", "TNFRSF11A", "TNFSF11"]


def test_graphml_is_the_drawn_subgraph(seed_corpus):
    found = export_file(seed_corpus, ViewState(genes=(8600,)), ids.EXPORT_GRAPHML, None)
    graph = nx.parse_graphml(found["content"])
    assert "gene:8600" in graph and graph.nodes["gene:8600"]["kind"] == "gene"
    assert graph.number_of_nodes() == 140 and found["filename"].endswith(".graphml")


def test_enrichment_in_the_dashboard_and_its_tsv(seed_corpus):
    rows, message, query = run_enrichment(seed_corpus, ViewState(), LIST, "", 3)
    assert "Not recognised (1): notagene." in message and "4 gene(s) tested" in message
    assert rows[0]["overlap"] == 4 and rows[0]["overlap_label"] == "AKT1, MAPK1, MAPK3, TP53"
    found = export_file(seed_corpus, ViewState(), ids.EXPORT_ENRICHMENT, query)
    table = list(csv.DictReader(io.StringIO(found["content"]), delimiter="\t"))
    assert table[0]["figid"] == rows[0]["figid"] and float(table[0]["p_value"]) == rows[0]["p_value"]
    assert export_file(seed_corpus, ViewState(), ids.EXPORT_ENRICHMENT, None) is None
    assert run_enrichment(seed_corpus, ViewState(), "  ", "", 3)[0] == []


def test_picking_a_result_opens_the_figure_and_its_overlap(seed_corpus):
    rows, _, _ = run_enrichment(seed_corpus, ViewState(), LIST, "", 3)
    state = apply_enrichment_pick(seed_corpus, ViewState(), [rows[0]])
    assert state.figure == rows[0]["figid"]
    assert sorted(seed_corpus.gene_label(seed_corpus.gene_row(g)) for g in state.genes) == [
        "AKT1",
        "MAPK1",
        "MAPK3",
        "TP53",
    ]
    assert apply_enrichment_pick(seed_corpus, ViewState(), [{"figid": "nope"}]) == ViewState()


def test_upload_decoding():
    encoded = "data:text/plain;base64," + base64.b64encode(b"TP53\nMDM2\n").decode()
    assert decode_upload(encoded) == "TP53\nMDM2\n"
    assert decode_upload("data:application/octet-stream;base64," + base64.b64encode(b"\x00\x01").decode()) is None
    assert decode_upload("garbage") is None and decode_upload(None) is None


def test_enrich_command(tmp_path, capsys):
    genes = write(tmp_path, "genes.txt", LIST)
    assert main(["enrich", str(genes), "--data", str(SEEDS), "--no-cache", "--min-size", "3"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out), delimiter="\t"))
    assert table[0]["overlap_genes"] == "AKT1,MAPK1,MAPK3,TP53"
    assert main(["enrich", str(tmp_path / "absent.txt"), "--data", str(SEEDS), "--no-cache"]) == 2
    assert main(["enrich", str(genes), "--data", str(SEEDS), "--no-cache", "--years", "soon"]) == 2
