"""Middle of the pyramid: the tables and the figure record (gene table, its TSV), the export buttons that say when
there is nothing to export, and a link rewritten in place — pure functions and components, called directly."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import write
from dash import dcc, html, no_update

from dashboard.analysis.model import Corpus
from dashboard.analysis.selection import selection_figures
from dashboard.corpus import columns as C
from dashboard.corpus.loader import read_corpus
from dashboard.web import ids
from dashboard.web.controls import view_outputs
from dashboard.web.downloads import EXPORT_BUTTONS, export_buttons, export_download, figure_genes_file
from dashboard.web.enrichment import to_enrichment_query
from dashboard.web.exports import export_blockers, has_gene_sets, match_kind, to_figure_genes_tsv, to_gmt
from dashboard.web.layout import ENRICH_COLUMNS, FIGURE_TABLE_COLUMNS
from dashboard.web.panels import build_figure_detail
from dashboard.web.state import ViewState, parse_query, to_query, to_selection

FIGURE = "PMC7090164__fcell-08-00089-g002"  # EphA2 (exact), RANK and RANKL (aliases of TNFRSF11A, TNFSF11)
NOTHING = ViewState(years=(1900, 1901))  # a selection without figures


def read_tsv(text: str) -> tuple[list[str], list[dict]]:
    """`#` comment lines and the rows of a TSV."""
    lines = text.splitlines(keepends=True)
    comments = [line.rstrip("\n") for line in lines if line.startswith("#")]
    rows = list(
        csv.DictReader(io.StringIO("".join(line for line in lines if not line.startswith("#"))), delimiter="\t")
    )
    return comments, rows


def walk(component):
    """Every component in a tree."""
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from walk(child)


def test_a_figures_genes_as_tsv(seed_corpus):
    comments, rows = read_tsv(to_figure_genes_tsv(seed_corpus, FIGURE))
    assert comments == [f"# PFOCR figure {FIGURE}: 3 genes"]
    assert [(r["symbol"], r["ncbi_gene_id"], r["printed_as"], r["match"]) for r in rows] == [
        ("EPHA2", "1969", "EphA2", "exact"),
        ("TNFRSF11A", "8792", "RANK", "alias"),
        ("TNFSF11", "8600", "RANKL", "alias"),
    ]
    assert {r["organism"] for r in rows} == {"Homo sapiens"}
    assert rows[2]["ncbi_gene_url"] == "https://www.ncbi.nlm.nih.gov/gene/8600"
    assert rows[2]["sources"] == "hgnc_alias_symbol"
    _, exact = read_tsv(to_figure_genes_tsv(seed_corpus, FIGURE, exact=True))
    assert [r["symbol"] for r in exact] == ["EPHA2"]
    assert to_figure_genes_tsv(seed_corpus, "PMC0__nothing") is None


def test_a_family_expansion_is_named_so(seed_corpus):
    links = seed_corpus.links
    family = links[links[C.SOURCES].astype(str).str.contains("famplex_relations") & ~links[C.EXACT]].iloc[0]
    _, rows = read_tsv(to_figure_genes_tsv(seed_corpus, str(family[C.FIGID])))
    row = next(r for r in rows if r["ncbi_gene_id"] == str(family[C.GENE_ID]))
    assert row["match"] == "family"


@pytest.mark.parametrize(
    ("exact", "sources", "kind"),
    [
        (True, ["hgnc_symbol"], "exact"),
        (True, ["ncbigene_symbol", "famplex_relations"], "exact"),
        (False, ["hgnc_alias_symbol"], "alias"),
        (False, ["hgnc_prev_symbol"], "alias"),
        (False, ["ncbigene_synonym"], "alias"),
        (False, ["bioentities_symbol"], "family"),
        (False, ["ncbigene_synonym", "famplex_relations"], "family"),
    ],
)
def test_match_kinds(exact, sources, kind):
    assert match_kind(exact, sources) == kind


def test_the_gene_tsv_download_is_named_after_the_figure(seed_corpus):
    found = figure_genes_file(seed_corpus, ViewState(exact=True), FIGURE)
    assert found["filename"] == f"pfocr-genes_{FIGURE}_exact.tsv"
    assert found["content"] == to_figure_genes_tsv(seed_corpus, FIGURE, exact=True)
    assert figure_genes_file(seed_corpus, ViewState(), "PMC0__nothing") is None


def test_a_figure_record_has_a_gene_table_beside_its_chips(seed_corpus):
    record = list(walk(build_figure_detail(seed_corpus, ViewState(), FIGURE)))
    rows = [c for c in record if isinstance(c, html.Tr) and "gene-row" in getattr(c, "className", "")]
    assert [r.className for r in rows] == ["gene-row match-exact", "gene-row match-alias", "gene-row match-alias"]
    links = [c.href for c in record if isinstance(c, html.A) and "/gene/" in getattr(c, "href", "")]
    assert links == [f"https://www.ncbi.nlm.nih.gov/gene/{g}" for g in (1969, 8792, 8600)]
    copy = next(c for c in record if isinstance(c, dcc.Clipboard))
    assert copy.content == "EPHA2\nTNFRSF11A\nTNFSF11"
    assert any(getattr(c, "id", None) == {"type": ids.FIGURE_GENES_TSV, "index": FIGURE} for c in record)
    chips = {
        c.id["index"]: c.className
        for c in record
        if isinstance(c, html.Button) and "chip" in getattr(c, "className", "")
    }
    assert chips == {"1969": "chip", "8792": "chip chip-alias", "8600": "chip chip-alias"}
    assert all(
        c.id == {"type": ids.GENE_CHIP, "index": c.id["index"]}
        for c in record
        if isinstance(c, html.Button) and "chip" in getattr(c, "className", "")
    )


def test_a_geneless_figure_has_no_gene_table(seed_corpus):
    figid = str(seed_corpus.figids[(seed_corpus.figure_sizes() == 0).argmax()])
    record = list(walk(build_figure_detail(seed_corpus, ViewState(), figid)))
    assert not any(isinstance(c, dcc.Clipboard) for c in record)
    assert any(isinstance(c, html.P) and c.children == "No genes were read from this figure." for c in record)


def test_exports_say_when_there_is_nothing_to_export(seed_corpus):
    assert export_blockers(seed_corpus, ViewState(), None) == {
        "enrichment": "Run an enrichment first: there are no results to export yet."
    }
    query = to_enrichment_query("MAPK1 MAPK3 AKT1 TP53", "", 3, None)
    assert export_blockers(seed_corpus, ViewState(), query) == {}
    blocked = export_blockers(seed_corpus, NOTHING, query)
    assert set(blocked) == {"figures", "gene-sets", "network"}
    assert blocked["gene-sets"] == "No figures in this selection: nothing to export."

    buttons = export_buttons(seed_corpus, NOTHING, None)
    assert {button: buttons[f"{button}.disabled"] for button in EXPORT_BUTTONS} == dict.fromkeys(EXPORT_BUTTONS, True)
    assert buttons[f"{ids.EXPORT_ENRICHMENT}.title"].startswith("Run an enrichment first")
    buttons = export_buttons(seed_corpus, ViewState(genes=(8600,)), query)
    assert not any(buttons[f"{button}.disabled"] for button in EXPORT_BUTTONS)
    assert buttons[f"{ids.EXPORT_GMT}.title"].endswith("as GMT (for GSEA)")


def test_a_click_on_an_export_with_nothing_gives_a_reason_not_a_file(seed_corpus):
    found, message = export_download(seed_corpus, ViewState(), ids.EXPORT_ENRICHMENT, None)
    assert found is None and message.startswith("Run an enrichment first")
    found, message = export_download(seed_corpus, NOTHING, ids.EXPORT_FIGURES, None)
    assert found is None and message == "No figures in this selection: nothing to export."
    found, message = export_download(seed_corpus, ViewState(genes=(8600,)), ids.EXPORT_GMT, None)
    assert found["content"] and message == f"Exported {found['filename']}."


@pytest.mark.parametrize(
    "state",
    [
        ViewState(),
        ViewState(genes=(8600,)),
        ViewState(genes=(8600,), exact=True),
        NOTHING,
    ],
    ids=repr,
)
def test_the_gene_sets_test_agrees_with_the_gmt_it_stands_for(seed_corpus, state):
    selection = to_selection(seed_corpus, state)
    rows = selection_figures(seed_corpus, selection)
    assert has_gene_sets(seed_corpus, selection, rows) == bool(to_gmt(seed_corpus, state)[1])


def test_every_organisms_gene_sets_test_agrees_with_its_gmt(seed_corpus):
    for name in seed_corpus.organism_figures:
        state = ViewState(organisms=(name,))
        selection = to_selection(seed_corpus, state)
        rows = selection_figures(seed_corpus, selection)
        assert has_gene_sets(seed_corpus, selection, rows) == bool(to_gmt(seed_corpus, state)[1]), name


def test_gene_sets_need_a_symbol_in_the_files_species(tmp_path):
    """A figure whose human gene has no symbol gives no human gene set, though it holds a mouse gene that has one."""
    write(
        tmp_path,
        "_figures/PMC1__f1.md",
        "---\nfigid: PMC1__f1\nfigtitle: One figure\norganisms:\n- Homo sapiens\npmcid: PMC1\n"
        "figlink: /pmc/articles/PMC1/figure/F1/\nnumber: F1\nyear: '2020'\n---\n",
    )
    write(
        tmp_path,
        "_data/PMC1__f1-genes.tsv",
        "organism_id\torganism_name\torganism_group\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\t"
        "count_direct\tcount_synonym\tcount_match\n"
        "9606\tHomo sapiens\tPrimates\tXYZ\tXYZ\tNA\t111\tncbigene_synonym\t1\t1\t1\n"
        "10090\tMus musculus\tRodents\tBb\tBb\tBb\t222\tncbigene_symbol\t1\t1\t1\n",
    )
    corpus = Corpus(read_corpus([tmp_path]))
    human, mouse = ViewState(genes=(111,)), ViewState(genes=(222,))
    assert to_gmt(corpus, human) == ("Homo sapiens", "")
    for state, expected in ((human, False), (mouse, True)):
        selection = to_selection(corpus, state)
        assert has_gene_sets(corpus, selection, selection_figures(corpus, selection)) is expected
    assert export_blockers(corpus, human, None)["gene-sets"].startswith("No figure of this selection has a gene")


def test_a_link_is_rewritten_in_place_and_a_change_is_pushed(seed_corpus):
    link = "?match=all&genes=TNFSF11"  # canonical: genes first
    state, _ = parse_query(seed_corpus, link)
    canonical = to_query(seed_corpus, state)
    assert canonical == "?genes=TNFSF11&match=all"
    opened = view_outputs(seed_corpus, ids.URL, state, None, [], link)
    assert opened["search"] is no_update and opened["canonical"] == canonical
    first = view_outputs(seed_corpus, None, state, None, [], link)  # the page's first call
    assert first["search"] is no_update and first["canonical"] == canonical
    again = view_outputs(seed_corpus, ids.URL, state, state, [], canonical)
    assert again["search"] is no_update and again["canonical"] is no_update
    unknown = view_outputs(seed_corpus, None, ViewState(), None, [], None)  # the URL not read yet
    assert unknown["search"] is no_update and unknown["canonical"] is no_update
    changed = view_outputs(seed_corpus, ids.MATCH_MODE, ViewState(genes=state.genes), state, [], canonical)
    assert changed["search"] == "?genes=TNFSF11" and changed["canonical"] is no_update


def test_no_column_of_the_paged_table_asks_for_a_row_height_of_its_own():
    """AG Grid's infinite row model (rows paged from the server) has fixed row heights: autoHeight only warns."""
    assert not any(column.get("autoHeight") for column in FIGURE_TABLE_COLUMNS)
    for column in FIGURE_TABLE_COLUMNS + ENRICH_COLUMNS:
        assert "width" in column or "minWidth" in column, column["headerName"]
        assert "tooltipField" in column or "headerTooltip" in column or column["headerName"] == "Year"
