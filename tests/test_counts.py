"""Per-gene figure counts and similar figures, which read only the links they need, and the organism index, checked
against answers made independently from the tables (sets of figures per gene, a pass over the rows) on the seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.enrich import _unique_rows, similar_figures
from dashboard.analysis.model import Corpus, Selection, _organisms_of_figures, gene_figure_counts, main_species
from dashboard.corpus import columns as C
from dashboard.corpus.records import SEP
from dashboard.web.exports import has_gene_sets


def figures_by_gene(corpus: Corpus, exact: bool) -> dict[int, set[str]]:
    links = corpus.tables.links
    if exact:
        links = links[links[C.EXACT].astype(bool)]
    found: dict[int, set[str]] = {}
    for figid, gene_id in zip(links[C.FIGID].astype(str), links[C.GENE_ID].astype(int), strict=True):
        found.setdefault(gene_id, set()).add(figid)
    return found


def counted(corpus: Corpus, figure_rows, exact: bool) -> np.ndarray:
    figids = {str(corpus.figids[r]) for r in figure_rows}
    by_gene = figures_by_gene(corpus, exact)
    return np.array([len(by_gene.get(int(g), set()) & figids) for g in corpus.gene_ids], dtype=np.int64)


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("share", [0.0, 0.03, 0.3, 0.7, 0.97, 1.0])
def test_gene_figure_counts_for_few_and_most_figures(seed_corpus, exact, share):
    """Few figures are counted from their own links, most from the others' (subtracted from the totals)."""
    rng = np.random.default_rng(int(share * 100) + exact)
    rows = np.flatnonzero(rng.random(seed_corpus.n_figures) < share)
    if share == 1.0:
        rows = np.arange(seed_corpus.n_figures)
    expected = counted(seed_corpus, rows, exact)
    got = gene_figure_counts(seed_corpus, rows, exact)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)
    if len(rows):
        repeated = np.concatenate([rows[::-1], rows[: len(rows) // 2]])  # out of order, some twice
        np.testing.assert_array_equal(gene_figure_counts(seed_corpus, repeated, exact), expected)


def test_gene_totals_are_every_figure(seed_corpus):
    for exact in (False, True):
        by_gene = figures_by_gene(seed_corpus, exact)
        expected = [len(by_gene.get(int(g), ())) for g in seed_corpus.gene_ids]
        np.testing.assert_array_equal(seed_corpus.gene_totals(exact), expected)
        assert not seed_corpus.gene_totals(exact).flags.writeable


@pytest.mark.parametrize("limit", [1, 3, 8, 1000])
def test_similar_figures_are_the_best_of_all(seed_corpus, limit):
    """The listed figures are the first `limit` of every other figure sharing a gene, ordered by Jaccard index,
    then genes shared, then figid — computed here from the gene sets themselves."""
    by_gene = figures_by_gene(seed_corpus, False)
    sets: dict[str, set[int]] = {}
    for gene, figids in by_gene.items():
        for figid in figids:
            sets.setdefault(figid, set()).add(gene)
    checked = 0
    for row in range(0, seed_corpus.n_figures, 7):
        figid = str(seed_corpus.figids[row])
        own = sets.get(figid, set())
        others = [
            (-len(own & genes) / len(own | genes), -len(own & genes), other)
            for other, genes in sets.items()
            if other != figid and own & genes
        ]
        expected = [other for *_, other in sorted(others)[:limit]]
        table = similar_figures(seed_corpus, row, limit=limit)
        assert table[C.FIGID].tolist() == expected
        assert table["jaccard"].tolist() == pytest.approx([-j for j, *_ in sorted(others)[:limit]])
        checked += bool(expected)
    assert checked > 5


def test_organisms_of_figures_as_a_pass_over_the_rows(seed_corpus):
    """Each figure's organisms and each organism's figures, in the order a pass over the rows meets them."""
    values = [*seed_corpus.figures[C.ORGANISMS].astype(str), "Mus musculus;Homo sapiens", "Danio rerio", "Unknown"]
    column = pd.Series(values * 3, dtype="string")
    corpus = seed_corpus
    by_row = [tuple(v.split(SEP)) for v in column]
    index: dict[str, list[int]] = {}
    for row, names in enumerate(by_row):
        for name in names:
            index.setdefault(name, []).append(row)
    figure_organisms, organism_figures = _organisms_of_figures(column)
    assert figure_organisms == by_row
    assert list(organism_figures) == list(index)
    for name, rows in index.items():
        assert organism_figures[name].tolist() == rows
    assert list(corpus.organism_figures) == list(dict.fromkeys(n for names in corpus.figure_organisms for n in names))


def test_has_gene_sets_as_the_links_say(seed_corpus):
    """Whether a selection's figures hold a gene with a symbol of its main species, from the links themselves, for
    selections of every species and both switches (the per-species answer is kept between selections)."""
    links = seed_corpus.tables.links
    rng = np.random.default_rng(5)
    species_of = dict(zip(seed_corpus.gene_ids.tolist(), seed_corpus.gene_organisms, strict=True))
    symbol_of = dict(zip(seed_corpus.gene_ids.tolist(), seed_corpus.symbols, strict=True))
    answers = set()
    for _ in range(40):
        rows = np.flatnonzero(rng.random(seed_corpus.n_figures) < rng.choice([0.01, 0.05, 0.5]))
        for exact in (False, True):
            selection = Selection(exact=exact)
            species = main_species(seed_corpus, selection, rows)
            figids = {str(seed_corpus.figids[r]) for r in rows}
            expected = species is not None and any(
                figid in figids and species_of[gene] == species and symbol_of[gene] and (linked or not exact)
                for figid, gene, linked in zip(
                    links[C.FIGID].astype(str), links[C.GENE_ID].astype(int), links[C.EXACT].astype(bool), strict=True
                )
            )
            assert has_gene_sets(seed_corpus, selection, rows) == expected
            answers.add(expected)
    assert answers == {True, False}


@pytest.mark.parametrize("width", [2, 3])
@pytest.mark.parametrize(
    ("rows", "high"), [(0, 5), (1, 5), (2_000, 3), (50_000, 300), (5_000, 200_000), (500, 3 * 10**6)]
)
def test_unique_rows_as_numpy_sorts_rows(rows, high, width):
    """The distinct (overlap, drawn, successes) rows of the enrichment and the distinct margin pairs of its tails,
    packed into one integer when they fit."""
    found = np.random.default_rng(rows).integers(0, high, size=(rows, width))
    unique, inverse = _unique_rows(found)
    expected, expected_inverse = np.unique(found, axis=0, return_inverse=True)
    np.testing.assert_array_equal(unique, expected.reshape(-1, width))
    np.testing.assert_array_equal(inverse.ravel(), expected_inverse.ravel())
