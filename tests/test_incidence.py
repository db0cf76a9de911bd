"""The figure × gene incidence matrix that the Corpus and the corpus map are built on: one entry per distinct
(figure, gene) link, its stored entries being links in (figure, gene) order, whatever order the links came in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.corpus.incidence import link_incidence

FIGIDS = ["PMC1__a", "PMC2__b", "PMC3__c"]
GENES = np.array([7, 10, 42, 100], dtype=np.int64)
LINKS = [("PMC1__a", 10), ("PMC1__a", 42), ("PMC2__b", 7), ("PMC3__c", 10), ("PMC3__c", 100)]


def links_of(pairs: list[tuple[str, int]], categorical: bool) -> pd.DataFrame:
    figids = [f for f, _ in pairs]
    if categorical:  # as the loader stores them: categories in the figures' order (here, with one figure more)
        return pd.DataFrame(
            {
                "figid": pd.Categorical(figids, categories=list(dict.fromkeys([*FIGIDS, *figids]))),
                "gene_id": [g for _, g in pairs],
            }
        )
    return pd.DataFrame({"figid": figids, "gene_id": [g for _, g in pairs]})


@pytest.mark.parametrize("categorical", [True, False], ids=["categorical", "strings"])
@pytest.mark.parametrize(
    "pairs",
    [
        LINKS,
        LINKS[::-1],
        [*LINKS, LINKS[0], LINKS[3]],
        [("PMC9__z", 10), *LINKS, ("PMC2__b", 5)],
    ],
    ids=["in order", "reversed", "repeated", "unknown figure or gene"],
)
def test_each_distinct_link_is_one_entry_in_figure_then_gene_order(pairs, categorical):
    """Mutation: repeated links not dropped (an entry of 2, or two entries), or the order not returned → caught."""
    links = links_of(pairs, categorical)
    incidence = link_incidence(FIGIDS, links["figid"], links["gene_id"], GENES)
    expected = np.zeros((len(FIGIDS), len(GENES)), dtype=np.float32)
    for figid, gene in LINKS:
        expected[FIGIDS.index(figid), np.searchsorted(GENES, gene)] = 1
    assert np.array_equal(incidence.matrix.toarray(), expected)
    assert incidence.matrix.nnz == len(LINKS) and incidence.matrix.has_sorted_indices
    entries = links if incidence.order is None else links.iloc[incidence.order]
    assert [(str(f), int(g)) for f, g in entries.itertuples(index=False)] == LINKS
    assert (incidence.order is None) == (pairs is LINKS)


def test_without_gene_ids_the_columns_are_the_links_genes():
    """The corpus map's matrix: one column per gene id the links name, ascending."""
    links = links_of(LINKS[::-1], categorical=False)
    matrix = link_incidence(FIGIDS, links["figid"], links["gene_id"]).matrix
    assert matrix.shape == (3, 4) and matrix.toarray()[1].tolist() == [1, 0, 0, 0]
