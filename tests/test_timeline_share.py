"""The timeline's share line (analysis/patterns.py, web/timeline.py): a year in which the corpus has no figure at
all has no share (0/0 is no value) and is drawn as a gap, while a year with figures of which the selection holds
none is 0 %. Checked against the shares counted from the fixture's figure table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import write
from test_search import record

from dashboard.analysis.model import Corpus
from dashboard.analysis.patterns import build_timeline
from dashboard.analysis.selection import filter_selection, selection_figures
from dashboard.corpus import columns as C
from dashboard.corpus.loader import read_corpus
from dashboard.web.state import ViewState, to_selection
from dashboard.web.timeline import update_timeline

MOUSE = "Mus musculus"
# (organism, year) of each figure: the selection (mouse) spans 2000–2006; the corpus has no figure in 2002, 2003
# and 2005, and in 2001 only a human one.
FIGURES = [
    (MOUSE, 2000),
    (MOUSE, 2000),
    ("Homo sapiens", 2000),
    ("Homo sapiens", 2001),
    (MOUSE, 2004),
    ("Homo sapiens", 2004),
    ("Homo sapiens", 2004),
    (MOUSE, 2006),
]
STATE = ViewState(organisms=(MOUSE,))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    folder: Path = tmp_path_factory.mktemp("timeline") / "site"
    for number, (organism, year) in enumerate(FIGURES):
        figid = f"PMC{7000000 + number}__f{number}"
        write(folder, f"_figures/{figid}.md", record(figid, f"Figure {number}", "A scheme.", (organism,), year))
    return Corpus(read_corpus([folder]))


def expected_shares(corpus: Corpus) -> dict[int, float | None]:
    """Per year of the selection's span: its share (%) of the corpus' figures of the year, None with none."""
    figures = corpus.figures
    years = figures[C.YEAR].astype(int)
    mouse = figures[C.ORGANISMS].astype(str).str.contains(MOUSE)
    span = range(int(years[mouse].min()), int(years[mouse].max()) + 1)
    shares: dict[int, float | None] = {}
    for year in span:
        total = int((years == year).sum())
        shares[year] = 100 * int((mouse & (years == year)).sum()) / total if total else None
    return shares


def test_the_fixture_has_years_without_figures_and_years_without_the_selection(corpus):
    shares = expected_shares(corpus)
    assert any(share is None for share in shares.values())
    assert any(share == 0 for share in shares.values())


def test_a_year_without_figures_has_no_share(corpus):
    selection = to_selection(corpus, STATE)
    timeline = build_timeline(corpus, selection_figures(corpus, selection), filter_selection(corpus, selection))
    for year, expected in expected_shares(corpus).items():
        share = timeline.share(year)
        if expected is None:
            assert share is None, year
        else:
            assert share == pytest.approx(expected / 100), year


def test_the_share_line_has_a_gap_where_the_corpus_has_no_figure(corpus):
    figure, _ = update_timeline(corpus, STATE)
    bars, line = figure["data"]
    expected = expected_shares(corpus)
    assert line["x"] == bars["x"] == list(expected)
    for year, share in zip(line["x"], line["y"], strict=True):
        if expected[year] is None:
            assert share is None, year
        else:
            assert share == pytest.approx(expected[year], abs=0.01), year
    assert not line.get("connectgaps")  # a gap, not a line bridging the years without figures
    top = figure["layout"]["yaxis2"]["range"][1]
    assert top >= max(s for s in line["y"] if s is not None)
    assert np.isfinite(top)
