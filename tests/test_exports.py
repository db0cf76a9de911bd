"""Exports of the current selection, enrichment through the dashboard's callbacks, and the `enrich` command."""

from __future__ import annotations

import base64
import csv
import io

import networkx as nx
from conftest import SEEDS, write

from dashboard.analysis.enrich import enrich
from dashboard.cli import main
from dashboard.web import ids
from dashboard.web.controls import apply_enrichment_pick
from dashboard.web.downloads import export_file
from dashboard.web.enrichment import decode_upload, run_enrichment, to_enrichment_query
from dashboard.web.exports import export_name, to_enrichment_tsv, to_figures_csv
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


def test_gmt_is_usable_by_gsea(seed_corpus):
    """One species per file (here: of most links), no empty sets, each symbol once per set, all of that species."""
    found = export_file(seed_corpus, ViewState(organisms=("Mus musculus",)), ids.EXPORT_GMT, None)
    lines = found["content"].splitlines()
    species = found["filename"].split("_")[1]
    assert found["filename"].startswith("pfocr-gene-sets_") and species in {"Homo-sapiens", "Mus-musculus"}
    symbols_of = {}
    for row in range(seed_corpus.n_genes):
        if seed_corpus.gene_organisms[row] == species.replace("-", " ") and seed_corpus.symbols[row]:
            symbols_of.setdefault(seed_corpus.symbols[row], row)
    mouse_figures = set(seed_corpus.figure_index[seed_corpus.organism_figures["Mus musculus"]])
    assert 0 < len(lines) <= len(mouse_figures)
    for line in lines:
        figid, _link, *genes = line.split("\t")
        assert figid in mouse_figures and genes and len(genes) == len(set(genes))
        assert all(g in symbols_of for g in genes)  # no gene of another species, no GeneID placeholders
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
    genes_of_figures = {
        g
        for f in seed_corpus.links.loc[seed_corpus.links["gene_id"] == 8600, "figid"]
        for g in seed_corpus.links.loc[seed_corpus.links["figid"] == f, "gene_id"]
    }
    shown = [n for n, d in graph.nodes(data=True) if d["kind"] == "gene"]
    bundled = sum(int(d["count"]) for _, d in graph.nodes(data=True) if d["kind"] == "bundle")
    # Every gene of the three figures is in the file: as a node, or counted in its figure's bundle.
    assert len(shown) + bundled >= len(genes_of_figures) and found["filename"].endswith(".graphml")


def run(corpus, genes, background="", min_size=3, species=None, state=None):
    """The enrichment panel's callback path: form values → query → results."""
    return run_enrichment(corpus, state or ViewState(), to_enrichment_query(genes, background, min_size, species))


def test_enrichment_in_the_dashboard_and_its_tsv(seed_corpus):
    rows, message, query = run(seed_corpus, LIST)
    assert "genes of this corpus, nor those of any other species in it (1): notagene" in message
    assert "4 gene(s) tested" in message
    assert "Species: Homo sapiens, named by 4 of 5 entries" in message
    assert rows[0]["overlap"] == 4 and rows[0]["overlap_label"] == "AKT1, MAPK1, MAPK3, TP53"
    assert rows[0]["overlap_ids"] == [207, 5594, 5595, 7157]
    found = export_file(seed_corpus, ViewState(), ids.EXPORT_ENRICHMENT, query)
    text = found["content"]
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert any("species: Homo sapiens" in line for line in comments)
    assert any("smallest set tested: 3" in line for line in comments)
    table = list(csv.DictReader([line for line in text.splitlines() if not line.startswith("#")], delimiter="\t"))
    assert table[0]["figid"] == rows[0]["figid"] and float(table[0]["p_value"]) == rows[0]["p_value"]
    assert table[0]["overlap_ids"] == "207,5594,5595,7157"
    assert found["filename"] == "pfocr-enrichment_Homo-sapiens_list-MAPK1-MAPK3-AKT1-etc-4-genes.tsv"
    assert export_file(seed_corpus, ViewState(), ids.EXPORT_ENRICHMENT, None) is None
    assert run(seed_corpus, "  ")[0] == []
    assert run(seed_corpus, "TP53", min_size=0)[1].startswith("The smallest gene set tested must be")


def test_a_table_upload_gives_its_gene_column(seed_corpus):
    """A DESeq2-like table: the symbols are read, the numbers (2.1, 207 — AKT1's NCBI id) never."""
    table = '"","baseMean","log2FoldChange","padj"\n"MAPK1",207,2.1,0.01\n"TP53",12.5,-1.5,0.2\n'
    rows, message, _ = run(seed_corpus, table)
    assert "Read column 1 of a comma-separated table (2 rows, 4 columns)." in message
    assert "2 gene(s) tested" in message and all(207 not in r["overlap_ids"] for r in rows)


def test_picking_a_result_opens_the_figure_and_its_overlap(seed_corpus):
    rows, _, _ = run(seed_corpus, LIST)
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
    out = capsys.readouterr().out
    table = list(csv.DictReader([line for line in out.splitlines() if not line.startswith("#")], delimiter="\t"))
    assert table[0]["overlap_genes"] == "AKT1,MAPK1,MAPK3,TP53"
    mouse = ["enrich", str(genes), "--data", str(SEEDS), "--no-cache", "--species", "Mus musculus"]
    assert main(mouse) == 0 and "# species: Mus musculus" in capsys.readouterr().out
    assert main([*mouse[:-1], "Mus muscles"]) == 2
    assert main(["enrich", str(tmp_path / "absent.txt"), "--data", str(SEEDS), "--no-cache"]) == 2
    assert main(["enrich", str(genes), "--data", str(SEEDS), "--no-cache", "--years", "soon"]) == 2


def test_exports_never_hand_a_spreadsheet_a_formula(tmp_path):
    """A title or a printed word starting with = + - @ is exported as text (a leading apostrophe), not a formula."""
    from dashboard.analysis.model import Corpus
    from dashboard.corpus.loader import read_corpus
    from dashboard.web.exports import to_figure_genes_tsv

    write(
        tmp_path,
        "_figures/PMC9__x.md",
        '---\nfigid: PMC9__x\nfigtitle: \'=HYPERLINK("https://evil.example","click")\'\norganisms: [Homo sapiens]\n'
        "pmcid: PMC9\nfilename: x.jpg\nyear: '2020'\n---\n",
    )
    write(
        tmp_path,
        "_data/PMC9__x-genes.tsv",
        "organism_name\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\n"
        "Homo sapiens\t@SUM(1+1)\tNA\tTP53\t7157\tncbigene_synonym\n"
        "Homo sapiens\tMDM2\tMDM2\tMDM2\t4193\tncbigene_symbol\n",
    )
    corpus = Corpus(read_corpus([tmp_path]))
    rows = list(csv.DictReader(io.StringIO(to_figures_csv(corpus, ViewState()))))
    assert rows[0]["title"].startswith("'=HYPERLINK(")
    genes = to_figure_genes_tsv(corpus, "PMC9__x")
    assert "\t'@SUM(1+1)\t" in genes and "\tMDM2\t" in genes  # ordinary cells stay as they are
    result = enrich(corpus, "TP53 MDM2", min_size=1)
    table = to_enrichment_tsv(result)
    assert "'=HYPERLINK(" in table and "\t=HYPERLINK" not in table


def test_the_upload_callback_reads_a_file_into_the_list(seed_corpus):
    """Through Dash's own callback endpoint: an uploaded DESeq2-like table lands in the gene-list box."""
    from dashboard.config import Settings
    from dashboard.web.app import create_app

    client = create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus).server.test_client()
    spec = next(
        s
        for s in client.get("/_dash-dependencies").get_json()
        if any(i["id"] == ids.ENRICH_UPLOAD and i["property"] == "contents" for i in s["inputs"])
    )
    table = b'"","baseMean","log2FoldChange"\n"TP53",207,2.1\n'
    contents = "data:text/csv;base64," + base64.b64encode(table).decode()
    outputs = [
        dict(zip(("id", "property"), part.split(".", 1), strict=True)) for part in spec["output"][2:-2].split("...")
    ]
    body = {
        "output": spec["output"],
        "outputs": outputs,
        "inputs": [{"id": ids.ENRICH_UPLOAD, "property": "contents", "value": contents}],
        "state": [{"id": ids.ENRICH_UPLOAD, "property": "filename", "value": "deseq2.csv"}],
        "changedPropIds": [f"{ids.ENRICH_UPLOAD}.contents"],
    }
    response = client.post("/_dash-update-component", json=body).get_json()["response"]
    assert response[ids.ENRICH_GENES]["value"] == table.decode()
    assert "deseq2.csv" in response[ids.ENRICH_MESSAGE]["children"]
    binary = {**body, "inputs": [{"id": ids.ENRICH_UPLOAD, "property": "contents", "value": "data:x;base64,AAEC"}]}
    refused = client.post("/_dash-update-component", json=binary).get_json()["response"]
    assert "Could not read" in refused[ids.ENRICH_MESSAGE]["children"]


def test_enrich_command_reads_every_data_path_and_a_bundle(tmp_path, capsys):
    genes = write(tmp_path, "genes.txt", "TNFSF11 TNFRSF11A")
    seed = SEEDS / "000_c9901233b1736e20.txt"
    args = ["enrich", str(genes), "--no-cache", "--min-size", "1"]
    assert main([*args, "--data", str(SEEDS / "pfocr-sample"), "--data", str(seed)]) == 0
    both = capsys.readouterr().out
    assert "PMC7090164__fcell-08-00089-g002" in both  # the seed record, given by the second --data
    assert "PMC1193889__JCI0526239.f1" in both  # a sample record, given by the first
    assert main(["build", str(SEEDS), "--out", str(tmp_path / "bundle"), "--no-cache"]) == 0
    capsys.readouterr()
    assert main([*args, "--data", str(tmp_path / "bundle")]) == 0
    assert "PMC7090164__fcell-08-00089-g002" in capsys.readouterr().out
