"""Gene identity end to end: a gene list is read in one species, tables give their gene column, printed words keep
their case, organism filters say what they leave out, and every figlink form renders. A small corpus is written
for these tests: two human genes that share a symbol, a mouse gene beside its human namesake, an OCR cell that
names four genes, and figures that state no organism."""

from __future__ import annotations

import pytest
from conftest import write

from dashboard.analysis.genelist import read_gene_list, resolve_gene_list
from dashboard.analysis.model import Corpus, figures_for_genes, filter_figures, resolve_genes, search_genes
from dashboard.corpus.loader import read_corpus
from dashboard.web.detail import show_detail
from dashboard.web.network import update_network
from dashboard.web.state import ViewState

HEADER = "organism_id\torganism_name\torganism_group\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\n"
HUMAN, MOUSE = "Homo sapiens", "Mus musculus"


def record(figid: str, organisms: str, year: str, figlink: str | None) -> str:
    link = f"figlink: {figlink}\n" if figlink is not None else ""
    return (
        f"---\nfigid: {figid}\nfigtitle: Figure {figid}\norganisms: {organisms}\npmcid: {figid.split('__')[0]}\n"
        f"filename: {figid.split('__')[1]}.jpg\n{link}year: '{year}'\ncaption: A caption.\n---\n"
    )


def genes_tsv(*rows: tuple[str, str, str, str, int]) -> str:
    return HEADER + "".join(
        f"0\t{org}\tx\t{word}\t{match}\t{symbol}\t{gene_id}\tncbigene_symbol\n"
        for org, word, match, symbol, gene_id in rows
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    root = tmp_path_factory.mktemp("genelist")
    figures = {
        "PMC1__a": (f"[{HUMAN}]", "2010", "/pmc/articles/PMC1/figure/F1/"),
        "PMC2__b": ("[NA]", "2012", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC2/figure/F1/"),
        "PMC3__c": (f"[{MOUSE}]", "2015", "https://pmc.ncbi.nlm.nih.gov/articles/PMC3/figure/F3/"),
        "PMC4__d": (f"[{HUMAN}]", "", "NA"),
        "PMC5__e": (f"[{HUMAN}]", "2020", None),
    }
    for figid, (organisms, year, figlink) in figures.items():
        write(root, f"_figures/{figid}.md", record(figid, organisms, year, figlink))
    cell = "akt,dna-pk,aurb,ppp6c"
    write(
        root,
        "_data/PMC1__a-genes.tsv",
        genes_tsv(
            (HUMAN, cell, "AKT", "AKT1", 207),
            (HUMAN, cell, "PPP6C", "PPP6C", 5537),
            (HUMAN, "DUP", "DUP", "DUP", 900003),
            (HUMAN, "dup", "DUP", "DUP", 900004),
            (HUMAN, "GeneX", "GENEX", "GeneX", 900001),
            (HUMAN, "GENEX", "GENEX", "GENEX", 900002),
        ),
    )
    write(
        root,
        "_data/PMC2__b-genes.tsv",
        genes_tsv((HUMAN, "AKT1", "AKT1", "AKT1", 207), (HUMAN, "p53", "P53", "TP53", 7157)),
    )
    write(root, "_data/PMC3__c-genes.tsv", genes_tsv((MOUSE, "Akt", "AKT", "Akt1", 11651)))
    write(root, "_data/PMC4__d-genes.tsv", genes_tsv((HUMAN, "TP53", "TP53", "TP53", 7157)))
    write(root, "_data/PMC5__e-genes.tsv", genes_tsv((HUMAN, "AKT1", "AKT1", "AKT1", 207)))
    return Corpus(read_corpus([root]))


def labels(corpus, rows):
    return [f"{corpus.gene_label(r)}:{corpus.gene_ids[r]}" for r in rows]


def test_a_list_is_read_in_the_species_most_entries_name(corpus):
    genes = resolve_gene_list(corpus, ["akt1", "tp53", "dup", "genex", "GENEX", "11651", "nosuch"])
    assert genes.species == HUMAN and genes.inferred
    assert labels(corpus, genes.rows) == ["AKT1:207", "TP53:7157", "GENEX:900002"]  # exact case settles GENEX
    assert {token: sorted(corpus.gene_ids[list(rows)]) for token, rows in genes.ambiguous} == {
        "dup": [900003, 900004],
        "genex": [900001, 900002],
    }
    assert genes.other_species == (("11651", (MOUSE,)),)  # an NCBI id is taken as that gene: a mouse one
    assert genes.unrecognised == ("nosuch",)


def test_a_chosen_species_reads_symbols_in_it_only(corpus):
    genes = resolve_gene_list(corpus, ["akt1", "TP53", "207"], MOUSE)
    assert labels(corpus, genes.rows) == ["Akt1:11651"]
    assert dict(genes.other_species) == {"TP53": (HUMAN,), "207": (HUMAN,)}


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("TP53 MDM2,\tCDKN1A;7157\n", ["TP53", "MDM2", "CDKN1A", "7157"]),
        ("TP53, MDM2\nCDKN1A, 7157\n", ["TP53", "MDM2", "CDKN1A", "7157"]),  # commas, but a list
        ("# my genes\nTP53\nTP53\nMDM2\n", ["TP53", "MDM2"]),
        ("symbol\tlogFC\tpadj\nTP53\t2.1\t0.01\nMDM2\t207\t0.2\n", ["TP53", "MDM2"]),
        ('"","baseMean","log2FoldChange"\n"TP53",207,2.1\n"MDM2",3.5,-1\n', ["TP53", "MDM2"]),  # DESeq2
        ("TP53\t2.1\nMDM2\t-1.5\n", ["TP53", "MDM2"]),  # no header: the column that is not numbers
        ("logFC\tentrez\n2.1\t7157\n-1\t4193\n", ["7157", "4193"]),  # an id column by its name
        ("7157\t2.1\n4193\t-1.5\n", ["7157", "4193"]),  # whole numbers beside decimals: ids
        ("logFC\tpadj\n2.1\t0.1\n207\t0.2\n", []),  # numbers only: never read as ids
    ],
)
def test_lists_and_tables_give_their_genes(text, tokens):
    assert read_gene_list(text).tokens == tokens


def test_all_of_a_repeated_gene_needs_every_gene(corpus):
    akt1, tp53 = corpus.gene_row(207), corpus.gene_row(7157)
    both = figures_for_genes(corpus, (akt1, akt1, tp53), "all")
    assert sorted(corpus.figids[both]) == ["PMC2__b"]
    assert sorted(corpus.figids[figures_for_genes(corpus, (akt1, akt1), "all")]) == ["PMC1__a", "PMC2__b", "PMC5__e"]


def test_ids_are_ascii_digits_only(corpus):
    rows, unknown = resolve_genes(corpus, ["²⁰⁷", "٢٠٧", "207"])
    assert labels(corpus, rows) == ["AKT1:207"] and unknown == ["²⁰⁷", "٢٠٧"]


def test_type_ahead_uses_the_printed_match(corpus):
    hits = search_genes(corpus, "akt")
    assert 5537 not in set(hits["gene_id"])  # PPP6C shares the OCR cell "akt,dna-pk,aurb,ppp6c", not the word
    assert dict(zip(hits["gene_id"], hits["via"], strict=True))[207] in {"", "akt"}
    assert search_genes(corpus, "ppp6")["gene_id"].tolist() == [5537]


def test_figures_that_state_no_organism_are_counted_not_hidden(corpus):
    human = filter_figures(corpus, (HUMAN,))
    assert sorted(corpus.figids[human]) == ["PMC1__a", "PMC4__d", "PMC5__e"]
    assert sorted(corpus.figids[filter_figures(corpus, (HUMAN,), unstated=True)]) == [
        "PMC1__a",
        "PMC2__b",
        "PMC4__d",
        "PMC5__e",
    ]
    _, status = update_network(corpus, ViewState(genes=(7157,), organisms=(MOUSE,)))
    assert status.startswith("No figures hold these genes under the organism filter")


@pytest.mark.parametrize(
    ("figid", "link"),
    [
        ("PMC1__a", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1/figure/F1/"),
        ("PMC2__b", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC2/figure/F1/"),
        ("PMC3__c", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC3/figure/F3/"),
        ("PMC4__d", None),
        ("PMC5__e", None),
    ],
)
def test_every_figlink_form_renders(corpus, figid, link):
    assert not any("figure link" in reason for reason in corpus.tables.problems["reason"])
    detail = show_detail(corpus, ViewState(figure=figid))
    hrefs = []
    texts = []
    stack = [detail]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            texts.append(node)
            continue
        hrefs.append(getattr(node, "href", None))
        children = getattr(node, "children", None)
        stack.extend(children if isinstance(children, list) else [children] if children is not None else [])
    assert (link in hrefs) if link else any("no usable link to the figure" in t for t in texts)
    assert "https://www.ncbi.nlm.nih.gov/pmc/articles/" + figid.split("__")[0] + "/" in hrefs  # the paper, always
