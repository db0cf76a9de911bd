"""A figure's chemicals and diseases found through the CSR index by figure row (analysis/terms.py), checked against
a comparison of every row's figid — the seeds, the site fixture, and tables whose figids are strings or name
figures the corpus does not hold, in shuffled order."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.model import Corpus
from dashboard.analysis.terms import KINDS, terms_of_figure
from dashboard.corpus import columns as C


def scanned(corpus: Corpus, kind: str, figid: str) -> pd.DataFrame:
    """The independent answer: every row whose figid is this one, in table order."""
    table = getattr(corpus.tables, kind)
    return table[table[C.FIGID].astype(str) == figid]


def assert_every_figure(corpus: Corpus) -> int:
    found = 0
    for kind in KINDS:
        for row, figid in enumerate(corpus.figids):
            expected = scanned(corpus, kind, str(figid))
            got = terms_of_figure(corpus, kind, row)
            pd.testing.assert_frame_equal(got, expected)
            found += len(got)
    return found


@pytest.mark.parametrize("name", ["seed_corpus", "site_corpus"])
def test_every_figure_has_the_rows_a_scan_finds(name, request):
    corpus = request.getfixturevalue(name)
    assert assert_every_figure(corpus) == sum(len(getattr(corpus.tables, kind)) for kind in KINDS)


@pytest.mark.parametrize("dtype", ["str", "category"])
def test_shuffled_rows_unknown_figures_and_categorical_figids(seed_corpus, dtype):
    """Rows out of figure order, figids as strings or as a categorical (in another order than the figures, with
    unused categories), and rows of figures the corpus does not hold (left out)."""
    rng = np.random.default_rng(3)
    tables = seed_corpus.tables
    changed = {}
    for kind in KINDS:
        table = getattr(tables, kind)
        stray = table.head(3).assign(**{C.FIGID: ["PMC0__nowhere", "PMC0__nowhere", "PMC1__elsewhere"]})
        mixed = pd.concat([table, stray], ignore_index=True)
        mixed = mixed.iloc[rng.permutation(len(mixed))].reset_index(drop=True)
        figids = mixed[C.FIGID].astype(str)
        if dtype == "category":
            categories = [*sorted(set(figids), reverse=True), "PMC2__unused"]
            figids = pd.Categorical(figids, categories=categories)
        changed[kind] = mixed.assign(**{C.FIGID: figids})
    corpus = Corpus(replace(tables, **changed))
    assert isinstance(corpus.tables.chemicals[C.FIGID].dtype, pd.CategoricalDtype) == (dtype == "category")
    found = assert_every_figure(corpus)
    assert found == sum(len(getattr(tables, kind)) for kind in KINDS)
    assert found > 0
