"""Analysis floor: filters, gene ⇄ figure lookups, co-occurrence and type-ahead."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.analysis.model import (
    figures_for_genes,
    filter_figures,
    genes_of_figure,
    organism_figure_counts,
    resolve_genes,
    search_genes,
)


def figids(corpus, rows):
    return sorted(corpus.figure_index[list(rows)])


def row_of(corpus, gene_id):
    return corpus.gene_row(gene_id)


@pytest.mark.parametrize(
    ("organisms", "years", "expected"),
    [
        ((), None, ["PMC1000001__old-f1", "PMC1000002__new-f2", "PMC1000003__new-f3", "PMC1000004__new-f4"]),
        (("Homo sapiens",), None, ["PMC1000001__old-f1"]),
        (("Mus musculus", "Arabidopsis thaliana"), None, ["PMC1000002__new-f2", "PMC1000003__new-f3"]),
        ((), (2010, 2024), ["PMC1000003__new-f3", "PMC1000004__new-f4"]),
        (("Unknown",), (2024, 2024), ["PMC1000004__new-f4"]),
        (("Nowhere",), None, []),
    ],
)
def test_filter_figures(site_corpus, organisms, years, expected):
    assert figids(site_corpus, np.flatnonzero(filter_figures(site_corpus, organisms, years))) == expected


def test_figures_for_genes_any_all_and_exact(site_corpus):
    tp53, tnf_mouse, ein2 = row_of(site_corpus, 7157), row_of(site_corpus, 21926), row_of(site_corpus, 831420)
    assert figids(site_corpus, figures_for_genes(site_corpus, (tp53,))) == ["PMC1000002__new-f2", "PMC1000003__new-f3"]
    assert figids(site_corpus, figures_for_genes(site_corpus, (tnf_mouse, ein2), "any")) == [
        "PMC1000002__new-f2",
        "PMC1000003__new-f3",
    ]
    assert figids(site_corpus, figures_for_genes(site_corpus, (tp53, ein2), "all")) == ["PMC1000003__new-f3"]
    assert figids(site_corpus, figures_for_genes(site_corpus, (tnf_mouse, ein2), "all")) == []
    # TP53 was only ever read through a synonym: the exact switch drops it.
    assert figids(site_corpus, figures_for_genes(site_corpus, (tp53,), exact=True)) == []
    mask = filter_figures(site_corpus, ("Mus musculus",))
    assert figids(site_corpus, figures_for_genes(site_corpus, (tp53,), mask=mask)) == ["PMC1000002__new-f2"]


def test_genes_of_figure_with_words(site_corpus):
    table = genes_of_figure(site_corpus, site_corpus.figure_row("PMC1000001__old-f1"))
    assert table["symbol"].tolist() == ["NOS2", "RELA", "SPARC", "TNF"]
    assert table.set_index("symbol").loc["TNF", "words"] == ["TNF", "TNFa"]
    exact = genes_of_figure(site_corpus, site_corpus.figure_row("PMC1000001__old-f1"), exact=True)
    assert exact["symbol"].tolist() == ["TNF"]


def test_resolve_genes(site_corpus):
    rows, unknown = resolve_genes(site_corpus, "tnf, 22059  nosuchgene;TP53")
    labels = [site_corpus.gene_label(r) for r in rows]
    # An exact symbol names one species' gene; in another case it names every species' gene of that name.
    assert labels == ["TNF", "Tnf", "Trp53", "TP53"]
    assert unknown == ["nosuchgene"]
    assert resolve_genes(site_corpus, ["100287"])[0] == [site_corpus.gene_row(100287)]


def test_search_genes_by_symbol_and_ocr_word(seed_corpus):
    table = search_genes(seed_corpus, "RANKL")
    assert table["symbol"].iloc[0] == "TNFSF11"
    assert table["via"].iloc[0] == "RANKL"  # the word as printed in the figure
    tp = search_genes(seed_corpus, "tp53")
    assert tp["symbol"].iloc[0] == "TP53"  # exact symbol, most figures first
    assert {"TP53", "Tp53", "tp53"} <= set(tp["symbol"])
    assert search_genes(seed_corpus, "   ").empty
    assert search_genes(seed_corpus, "zzzzqqq").empty
    assert len(search_genes(seed_corpus, "a", limit=7)) == 7


def test_search_genes_by_ncbi_id(seed_corpus):
    """A gene's NCBI id finds it first, before genes whose symbol or word starts with those digits."""
    row = seed_corpus.gene_row(7157)
    table = search_genes(seed_corpus, " 7157 ")
    assert table["gene_id"].iloc[0] == 7157 and table["symbol"].iloc[0] == seed_corpus.gene_label(row)
    assert search_genes(seed_corpus, "999999999").empty  # no such gene
    assert search_genes(seed_corpus, "9" * 40).empty  # too long to be an id: no overflow


def test_organism_counts(seed_corpus):
    counts = organism_figure_counts(seed_corpus, filter_figures(seed_corpus, years=(2020, 2025)))
    assert counts["Homo sapiens"] == int(
        sum(1 for r in np.flatnonzero(filter_figures(seed_corpus, ("Homo sapiens",), (2020, 2025))))
    )
    assert seed_corpus.organism_counts["Homo sapiens"] == 107
    assert seed_corpus.year_span == (1998, 2025)
