"""Full-text search (SQLite FTS5, BM25), chemicals and diseases as facets, organisms by common name, and their
JSON API — on a small corpus written for these tests, with the index built the ways it is in use: with a cache
entry, with a bundle, and on first use for tables parsed in memory."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS, write
from plotly.utils import PlotlyJSONEncoder
from prometheus_client.parser import text_string_to_metric_families

from dashboard.analysis.model import Corpus, filter_figures
from dashboard.analysis.organisms import search_organisms
from dashboard.analysis.search import QueryError, search_figures, search_mask
from dashboard.analysis.selection import selection_figures
from dashboard.analysis.terms import resolve_terms, search_terms, terms_mask
from dashboard.cli import main
from dashboard.config import Settings
from dashboard.corpus.bundle import MANIFEST, load_data, open_bundle
from dashboard.corpus.cache import load_corpus
from dashboard.corpus.loader import CorpusError, read_corpus
from dashboard.corpus.textindex.build import build_text_index
from dashboard.corpus.textindex.index import TextIndex
from dashboard.corpus.textindex.loading import TEMPORARY, load_text_index
from dashboard.corpus.textindex.query import parse_query
from dashboard.corpus.textindex.schema import INDEX_FILE
from dashboard.corpus.textindex.snippets import MARK_END, MARK_START
from dashboard.web import ids
from dashboard.web.app import create_app
from dashboard.web.controls import next_state
from dashboard.web.network import explain_empty
from dashboard.web.options import term_options
from dashboard.web.panels import build_figure_detail, term_id_link
from dashboard.web.state import ViewState, to_query, to_selection
from dashboard.web.state import parse_query as parse_link

FILLER = (
    "Cells signal through receptors at the membrane, kinases relay the signal to the nucleus, and transcription"
    " factors answer with gene expression programmes that feed back on the receptors themselves over hours."
)


def record(
    figid: str,
    title: str,
    caption: str,
    organisms: tuple[str, ...] = ("Bos taurus",),
    year: int = 2015,
    doi: str | None = None,
    keywords: str | None = None,
) -> str:
    """A newer-schema record file's text."""
    quoted = {key: "'" + value.replace("'", "''") + "'" for key, value in (("title", title), ("caption", caption))}
    lines = [
        "---",
        f"figid: {figid}",
        f"figtitle: {quoted['title']}",
        "organisms:",
        *(f"- {name}" for name in organisms),
        f"pmcid: {figid.split('__')[0]}",
        f"filename: {figid.split('__')[1]}.jpg",
        f"figlink: /pmc/articles/{figid.split('__')[0]}/figure/F1/",
        "number: F1",
        f"caption: {quoted['caption']}",
        "papertitle: A paper.",
        f"year: '{year}'",
        f"doi: {doi or '.na.character'}",
        f"keywords: {keywords or '.na.character'}",
        "figtype: Figure",
        "---",
    ]
    return "\n".join(lines) + "\n"


TITLE_HIT = "PMC3762088__title-hit"
CAPTION_HIT = "PMC2000002__caption-hit"
PHRASE = "PMC2000003__phrase"
SPLIT = "PMC2000004__split"
MARKUP = "PMC2000005__markup"
CHEMICAL = "PMC2000006__chemical"
UNICODE = "PMC2000007__unicode"
SECOND_TITLE_HIT = "PMC3762088__second"
DOI = "10.1000/Autophagy.2013.1"

ORGANISM_FIGURES = {
    "PMC3000001__hiv-a": "Human immunodeficiency virus 1",
    "PMC3000002__hiv-b": "Human immunodeficiency virus 1",
    "PMC3000003__hiv-c": "Human immunodeficiency virus 1",
    "PMC3000004__mouse": "Mus musculus",
    "PMC3000005__rat": "Rattus norvegicus",
    "PMC3000006__yeast": "Saccharomyces cerevisiae",
    "PMC3000007__fish": "Danio rerio",
    "PMC3000008__fly": "Drosophila melanogaster",
    "PMC3000009__worm": "Caenorhabditis elegans",
    "PMC3000010__coli": "Escherichia coli",
    "PMC3000011__coli-strain": "Escherichia coli K-12",
    "PMC3000012__cress": "Arabidopsis thaliana",
    "PMC3000013__pombe": "Schizosaccharomyces pombe",
}


def write_corpus(folder: Path) -> Path:
    """The records of these tests: each made to answer one question about ranking, phrases, ids or snippets."""
    write(
        folder,
        f"_figures/{TITLE_HIT}.md",
        record(
            TITLE_HIT,
            "Regulation of autophagy by oncogenes and tumor suppressors",
            f"A scheme of the signalling network. {FILLER} {FILLER}",
            ("Homo sapiens",),
            year=2013,
            doi=DOI,
        ),
    )
    write(
        folder,
        f"_figures/{SECOND_TITLE_HIT}.md",
        record(SECOND_TITLE_HIT, "Second figure of the paper", f"Lysosomes and vesicles. {FILLER}", year=2013),
    )
    write(
        folder,
        f"_figures/{CAPTION_HIT}.md",
        record(
            CAPTION_HIT, "Cell death pathways", "Cells undergo autophagy when starved.", ("Mus musculus",), year=2019
        ),
    )
    write(
        folder,
        f"_figures/{PHRASE}.md",
        record(PHRASE, "Osteoclast differentiation by RANKL", f"Bone remodelling. {FILLER}", keywords="bone | RANKL"),
    )
    write(
        folder,
        f"_figures/{SPLIT}.md",
        record(SPLIT, "Differentiation of bone cells", f"The osteoclast and its precursors. {FILLER}"),
    )
    write(
        folder,
        f"_figures/{MARKUP}.md",
        record(
            MARKUP,
            "A claim",
            "A <b>bold</b> claim & <script>alert(1)</script> about kinase cascades.",
            ("Saccharomyces cerevisiae",),
        ),
    )
    write(folder, f"_figures/{CHEMICAL}.md", record(CHEMICAL, "Sugar sensing", f"Sensing of sugars. {FILLER}"))
    write(
        folder,
        f"_data/{CHEMICAL}-chemicals.tsv",
        "word\tmesh\tmatch\tname\tchebi\nGlucose\tmesh:D005947\tGlucose\tD-glucopyranose\tchebi:4167\n"
        "ATP\tmesh:D000255\tAdenosine Triphosphate\tATP\tchebi:15422\n",
    )
    write(
        folder,
        f"_data/{CHEMICAL}-diseases.tsv",
        "word\tmesh\tmatch\tname\tdoid\ncancer\tmesh:D009369\tNeoplasms\tcancer\tdoid:162\n",
    )
    write(
        folder,
        f"_data/{MARKUP}-chemicals.tsv",
        "word\tmesh\tmatch\tname\tchebi\nglucose\tmesh:D005947\tGlucose\tNA\tNA\n",
    )
    write(
        folder,
        f"_figures/{UNICODE}.md",
        record(
            UNICODE, "Naïve T cells and β‑catenin", "Ca²⁺ flux in µM and NF‑κB activation.", ("Homo sapiens",), 2021
        ),
    )
    for figid, organism in ORGANISM_FIGURES.items():
        write(folder, f"_figures/{figid}.md", record(figid, f"A figure of {organism}", FILLER, (organism,)))
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("search") / "site")


@pytest.fixture(scope="module")
def corpus(data) -> Corpus:
    return Corpus(read_corpus([data]))


def figids(result) -> list[str]:
    return [hit.figid for hit in result.hits]


# --- ranking, prefixes, phrases ---------------------------------------------------------------------------------
def test_a_title_hit_ranks_above_a_caption_only_hit(corpus):
    """The title hit's document is longer (its caption is long), so BM25 with equal column weights would put the
    short caption-only hit first. Mutation: the title weight set to 1 → caught."""
    result = search_figures(corpus, '"autophagy"')
    assert figids(result) == [TITLE_HIT, CAPTION_HIT]
    assert result.total == 2 and result.hits[0].score > result.hits[1].score > 0


def test_a_bare_last_word_and_a_star_are_prefixes(corpus):
    """Mutation: no prefix for the last word → 'autoph' finds nothing; every word a prefix → 'autoph cells'
    finds the caption hit."""
    assert figids(search_figures(corpus, "autoph")) == [TITLE_HIT, CAPTION_HIT]
    assert figids(search_figures(corpus, "AUTOPH*")) == [TITLE_HIT, CAPTION_HIT]
    assert search_figures(corpus, "autoph cells").total == 0  # only the last word is a prefix
    assert figids(search_figures(corpus, "autoph* starved")) == [CAPTION_HIT]
    assert search_figures(corpus, '"autoph"').total == 0  # a quoted word is exact


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("casc", [MARKUP]),  # cascades
        ("bold casc", [MARKUP]),
        ("kin", [MARKUP]),  # kinase (and kinases, in every filler caption): the title-less claim ranks first
        ("osteo", [PHRASE, SPLIT]),
        ("bo", []),  # two letters are a word, not a prefix: no figure holds "bo"
    ],
)
def test_a_bare_last_word_of_three_letters_or_more_finds_its_continuations(corpus, query, expected):
    """Type-ahead: a last word of three to five letters finds the words it begins. Mutation: AUTO_PREFIX 6 (or 4)
    → 'casc', 'kin' and 'osteo' find nothing; AUTO_PREFIX 2 → 'bo' finds bold and bone."""
    assert figids(search_figures(corpus, query))[: len(expected)] == expected
    assert (search_figures(corpus, query).total == 0) == (not expected)


def test_a_quoted_phrase_needs_its_words_in_order(corpus):
    assert set(figids(search_figures(corpus, "osteoclast differentiation"))) == {PHRASE, SPLIT}
    assert figids(search_figures(corpus, '"osteoclast differentiation"')) == [PHRASE]
    assert figids(search_figures(corpus, "“osteoclast differentiation”")) == [PHRASE]  # typographic quotes


def test_words_are_matched_across_case_diacritics_and_hyphens(corpus):
    assert figids(search_figures(corpus, "naive")) == [UNICODE]
    assert figids(search_figures(corpus, "NAÏVE")) == [UNICODE]
    assert figids(search_figures(corpus, "β-catenin")) == [UNICODE]  # an ASCII hyphen for the printed U+2011
    assert figids(search_figures(corpus, "nf-kb")) == []  # κ is not k
    assert figids(search_figures(corpus, "NF‑κB")) == [UNICODE]


def test_chemicals_and_diseases_are_searched_as_text(corpus):
    """The sugar-sensing figure names no glucose in its texts: only its chemicals table does."""
    assert set(figids(search_figures(corpus, "glucose"))) == {CHEMICAL, MARKUP}
    assert figids(search_figures(corpus, "neoplasms")) == [CHEMICAL]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mesh:D005947", {CHEMICAL, MARKUP}),
        ("D005947", {CHEMICAL, MARKUP}),
        ("d005947", {CHEMICAL, MARKUP}),
        ("CHEBI:4167", {CHEMICAL, MARKUP}),  # Glucose's other id, given on one of its rows
        ("DOID:162", {CHEMICAL}),
        ("D005947 D009369", {CHEMICAL}),  # every term named
        ("D005947 sensing", {CHEMICAL}),  # the other words searched as text within
        ("D005947 autophagy", set()),
    ],
)
def test_chemical_and_disease_ids_find_their_figures(corpus, query, expected):
    """Mutation: no term-id path → 'mesh:D005947' is the phrase 'mesh d005947', found nowhere."""
    result = search_figures(corpus, query)
    assert set(figids(result)) == expected
    assert result.total == len(expected)
    assert result.order == ("relevance" if " " in query and "D009369" not in query else "newest")


@pytest.mark.parametrize("query", ["4167", "D999999", '"D005947"', "mesh:D000000"])
def test_other_id_shapes_are_searched_as_text(corpus, query):
    """A bare number is a year or a gene as often as a ChEBI id; an unknown or quoted id is text."""
    result = search_figures(corpus, query)
    assert result.total == 0 and not result.by_id


def test_a_chemical_id_search_is_the_selection(corpus):
    state, notices = parse_link(corpus, "q=mesh:D005947&organisms=Saccharomyces+cerevisiae")
    assert notices == [] and state.text == "mesh:D005947"
    assert corpus.figids[selection_figures(corpus, to_selection(corpus, state))].tolist() == [MARKUP]


def test_filters_combine_with_the_text(corpus):
    mice = filter_figures(corpus, ("Mus musculus",))
    assert figids(search_figures(corpus, "autophagy", mask=mice)) == [CAPTION_HIT]
    recent = filter_figures(corpus, years=(2014, 2025))
    assert figids(search_figures(corpus, "autophagy", mask=recent)) == [CAPTION_HIT]
    assert search_figures(corpus, "autophagy", mask=np.zeros(corpus.n_figures, dtype=bool)).total == 0


def test_pages_and_the_whole_ranked_selection(corpus):
    everything = search_figures(corpus, "receptors", limit=100)
    assert everything.total == len(everything.hits) > 4
    pages = [search_figures(corpus, "receptors", limit=2, offset=o).hits for o in range(0, everything.total, 2)]
    assert [h.figid for page in pages for h in page] == figids(everything)
    assert [corpus.figids[row] for row in everything.ranked_rows()] == figids(everything)
    assert np.flatnonzero(search_mask(corpus, "receptors")).tolist() == sorted(h.row for h in everything.hits)


# --- ids ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("PMC3762088", [SECOND_TITLE_HIT, TITLE_HIT]),  # a paper's figures in the corpus' order
        ("pmc3762088", [SECOND_TITLE_HIT, TITLE_HIT]),
        (TITLE_HIT, [TITLE_HIT]),
        (f"  {CAPTION_HIT.lower()}, ", [CAPTION_HIT]),
        (DOI, [TITLE_HIT]),
        (DOI.lower(), [TITLE_HIT]),
        (f"https://doi.org/{DOI}", [TITLE_HIT]),
        (f"doi:{DOI}", [TITLE_HIT]),
        (f"{CAPTION_HIT} {PHRASE}", [CAPTION_HIT, PHRASE]),
    ],
)
def test_ids_find_their_figures_exactly(corpus, query, expected):
    """Mutation: no exact id path → the DOI (split into numbers by the tokenizer) finds nothing, and the PMCID
    is found as text, not by id."""
    result = search_figures(corpus, query)
    assert figids(result) == expected and result.by_id and result.order == "named"
    assert all(hit.score is None for hit in result.hits)


@pytest.mark.parametrize("query", ["PMC3762088 autophagy", "autophagy PMC3762088", "pmc3762088 AUTOPHAGY"])
def test_an_id_and_a_word_must_both_match(corpus, query):
    """A query mixing an id and a word is searched as text, every word required: of the paper PMC3762088's two
    figures only the one about autophagy, and not the other figure about autophagy. Mutation: `all` → `any` in
    `_id_rows` → both figures of the paper, found by id (caught)."""
    result = search_figures(corpus, query)
    assert figids(result) == [TITLE_HIT] and not result.by_id and result.order == "relevance"


def test_an_unknown_id_is_searched_as_text(corpus):
    result = search_figures(corpus, "PMC9999999")
    assert result.total == 0 and not result.by_id


# --- snippets -----------------------------------------------------------------------------------------------------
def test_snippets_mark_matches_and_keep_markup_as_text(corpus):
    (hit,) = search_figures(corpus, "kinase cascades").hits
    assert hit.figid == MARKUP
    assert [p.text for p in hit.snippet if p.match] == ["kinase", "cascades"]
    text = "".join(p.text for p in hit.snippet)
    assert text == "A <b>bold</b> claim & <script>alert(1)</script> about kinase cascades."
    assert not any(MARK_START in p.text or MARK_END in p.text for p in hit.snippet)


def test_a_snippet_comes_from_the_text_that_matched(corpus):
    """A title-only match shows the title with the match marked; a figure named by id shows its caption's start."""
    (hit,) = search_figures(corpus, "tumor suppressors").hits
    assert [p.text for p in hit.snippet if p.match] == ["tumor", "suppressors"]
    assert "".join(p.text for p in hit.snippet) == "Regulation of autophagy by oncogenes and tumor suppressors"
    (named,) = search_figures(corpus, CAPTION_HIT).hits
    assert named.snippet[0].text == "Cells undergo autophagy when starved." and not named.snippet[0].match


# --- hostile queries ----------------------------------------------------------------------------------------------
HOSTILE = [
    'title:*" OR 1=1',
    "autophagy OR 1=1 --",
    "NEAR(autophagy cells, 2)",
    "autophagy NOT cells",
    "AND",
    "*",
    "**",
    "a*",
    '"',
    '""',
    '" "*',
    "^autophagy",
    "autophagy)",
    "(",
    "{title caption}: autophagy",
    "caption:autophagy",
    "-autophagy",
    "+",
    "'; drop table fts; --",
    "\x00\x01\x02",
    "🧬 autophagy",
    "ＡＵＴＯＰＨＡＧＹ",
    "autophagy" * 55,
    "x" * 10_000,
    "a " * 300,
    " ".join(f"w{i}" for i in range(40)),
    "autophagy*****",
    "é*",
    "\u200b",
    "٣٣",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_answer_results_or_a_clear_error(corpus, query):
    """Whatever the text, the answer is results or a QueryError with a message: never an FTS5 syntax error or
    another exception. Mutation: the query passed to FTS5 as typed → `fts5: syntax error` raised."""
    try:
        result = search_figures(corpus, query)
    except QueryError as exc:
        assert str(exc)
        return
    assert result.total == len(result.hits) or len(result.hits) == 20


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "type a word"),
        ("   ", "type a word"),
        ("*", "type a word"),
        ("-- ;", "holds no word"),
        ("÷ ™ _", "holds no word"),
        ("x" * 10_000, "10,000 characters"),
        ("a*", "at least 2"),
        (" ".join(f"w{i}" for i in range(40)), "40 words; at most 16"),
    ],
)
def test_unsearchable_queries_say_why(corpus, query, message):
    with pytest.raises(QueryError, match=message):
        search_figures(corpus, query)


def test_operators_are_searched_as_words(corpus):
    """FTS5's operators and column filters are plain words here: 'NOT cells' requires the word 'not'."""
    assert search_figures(corpus, "autophagy NOT cells").total == 0
    assert search_figures(corpus, "caption:autophagy").total == 0  # the phrase 'caption autophagy'
    assert search_figures(corpus, "{title}: autophagy").total == 0  # 'title' is not in these texts
    assert [(w.text, w.quoted, w.prefix) for w in parse_query('a "b c"* d*')] == [
        ("a", False, False),
        ("b c", True, True),
        ("d", False, True),
    ]


# --- the index file: built once, opened read-only -------------------------------------------------------------------
def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
    }


def test_the_index_is_built_once_with_the_cache(data, tmp_path):
    """Mutation: the index path not carried by the cached tables → the second start builds one elsewhere."""
    cache_dir = tmp_path / "cache"
    first = Corpus(load_corpus([data], cache_dir=cache_dir))
    (entry,) = cache_dir.glob("corpus-*")
    index_file = entry / INDEX_FILE
    assert first.text_index.path == index_file.resolve()
    before = snapshot(entry)
    second = Corpus(load_corpus([data], cache_dir=cache_dir))
    assert second.text_index.path == index_file.resolve()
    assert figids(search_figures(second, "autophagy")) == [TITLE_HIT, CAPTION_HIT]
    assert snapshot(entry) == before, "a second start rebuilt the index or wrote beside it"


def test_the_index_travels_with_a_moved_bundle_and_opens_read_only(data, tmp_path):
    out = tmp_path / "bundle"
    assert main(["build", str(data), "--out", str(out), "--no-cache"]) == 0
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["indexes"][INDEX_FILE]["bytes"] == (out / INDEX_FILE).stat().st_size
    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    shutil.move(out, moved)
    before = snapshot(moved)
    tables, _ = load_data([moved])
    corpus = Corpus(tables)
    assert corpus.text_index.path == (moved / INDEX_FILE).resolve()
    assert figids(search_figures(corpus, "autophagy")) == [TITLE_HIT, CAPTION_HIT]
    assert snapshot(moved) == before, "opening or searching wrote to the bundle"


def test_a_truncated_index_in_a_bundle_is_refused(data, tmp_path):
    out = tmp_path / "bundle"
    assert main(["build", str(data), "--out", str(out), "--no-cache"]) == 0
    index = out / INDEX_FILE
    index.write_bytes(index.read_bytes()[:4096])
    with pytest.raises(CorpusError, match=r"text-index\.sqlite has 4,096 bytes"):
        open_bundle(out)


def test_tables_parsed_in_memory_get_an_index_on_first_use_and_remove_it(data):
    tables = read_corpus([data])
    assert tables.text_index is None
    index = load_text_index(tables)
    folder = index.path.parent
    assert folder.is_dir() and index.path.name == INDEX_FILE
    del index
    gc.collect()
    assert not folder.exists()


def test_temporary_indexes_of_killed_processes_are_removed(data):
    """A process killed before its finalizers ran leaves its temporary index; the next one removes it, and
    nobody else's. Mutation: no clean-up → the dead process' folder stays."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = Path(tempfile.mkdtemp(prefix=f"{TEMPORARY}{int(gone.stdout)}-"))
    alive = Path(tempfile.mkdtemp(prefix=f"{TEMPORARY}{os.getppid()}-"))
    try:
        load_text_index(read_corpus([data]))
        assert not dead.exists() and alive.exists()
    finally:
        shutil.rmtree(dead, ignore_errors=True)
        shutil.rmtree(alive, ignore_errors=True)


def test_an_index_of_other_figures_is_not_used(data, tmp_path, caplog):
    """An index file left beside other tables (a copy gone wrong) is refused and one is built for these."""
    tables = read_corpus([data])
    build_text_index(tables, tmp_path)
    other = read_corpus([data / "_figures" / f"{TITLE_HIT}.md"])
    other.text_index = str(tmp_path / INDEX_FILE)
    index = load_text_index(other)
    assert index.path != (tmp_path / INDEX_FILE).resolve()
    assert "built for other figures" in caplog.text


UNUSABLE = "pfocr_text_index_unusable_total"


def served_metric(client, name: str) -> float:
    """One sample's value from the served /metrics text (0 if absent)."""
    for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True)):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    return 0.0


@pytest.mark.parametrize("where", ["cache", "bundle"])
def test_an_index_that_will_not_open_is_an_error_counted_in_metrics_and_rebuilt(data, tmp_path, caplog, where):
    """A cache entry's or bundle's index file overwritten with garbage (same size: the bundle's manifest still
    matches): logged at ERROR, counted in /metrics, and an index is built for the process so that search still
    answers. Mutation: only a warning, or no count → caught."""
    if where == "cache":
        folder = tmp_path / "cache"
        load_corpus([data], cache_dir=folder)
        (folder,) = folder.glob("corpus-*")
    else:
        folder = tmp_path / "bundle"
        assert main(["build", str(data), "--out", str(folder), "--no-cache"]) == 0
    index_file = folder / INDEX_FILE
    index_file.write_bytes(
        b"\xff garbage " * (index_file.stat().st_size // 10) + b"\xff" * (index_file.stat().st_size % 10)
    )
    tables = load_corpus([data], cache_dir=tmp_path / "cache") if where == "cache" else open_bundle(folder)[0]
    assert tables.text_index == str(index_file)
    corpus = Corpus(tables)
    client = create_app(Settings(data=(str(data),), use_cache=False), corpus=corpus).server.test_client()
    before = served_metric(client, UNUSABLE)
    with caplog.at_level(logging.WARNING, logger="dashboard.corpus.textindex"):
        index = corpus.text_index
    (record,) = [
        r for r in caplog.records if r.name == "dashboard.corpus.textindex.loading" and r.levelno >= logging.WARNING
    ]
    assert record.levelno == logging.ERROR and str(index_file) in record.getMessage()
    assert served_metric(client, UNUSABLE) == before + 1
    assert index.path != index_file.resolve()
    assert figids(search_figures(corpus, "autophagy")) == [TITLE_HIT, CAPTION_HIT]


@pytest.mark.parametrize("stored_from", [0, 10**9])
@pytest.mark.parametrize("query", ["autophagy", "autoph", "receptors signal", "the cells", '"gene expression"'])
def test_scores_added_up_in_numpy_rank_as_fts5_does(data, tmp_path, query, stored_from):
    """Answered from stored scores (every term's stored) or from one FTS5 query per word (none stored), the
    figures and their order are those of FTS5's own BM25 over the whole query (a phrase: the same figures).
    Mutation: a word's scores not added, or added twice → caught."""
    tables = read_corpus([data])
    path = build_text_index(tables, tmp_path, stored_from=stored_from)
    words = parse_query(query)
    native = TextIndex(path, tables.figures, native_up_to=10**9)
    summed = TextIndex(path, tables.figures, native_up_to=0)
    expected, found = native.search(native.compile(words)), summed.search(summed.compile(words))
    assert found.rows.tolist() == expected.rows.tolist() and len(found.rows)
    if not query.startswith('"') or stored_from:
        np.testing.assert_allclose(found.scores, expected.scores, rtol=1e-6)


def test_an_index_built_a_few_figures_at_a_time_holds_what_one_built_at_once_does(tmp_path):
    """The texts are made and inserted in chunks (memory): every figure's row, every term and the ids are the same
    as with one chunk. Mutation: a chunk's row numbers restarted at 0 → caught."""
    tables = read_corpus([SEEDS])
    dumps = []
    for chunk in (7, 10**6):
        folder = tmp_path / str(chunk)
        folder.mkdir()
        with contextlib.closing(sqlite3.connect(build_text_index(tables, folder, chunk=chunk))) as db:
            db.execute("create virtual table temp.tokens using fts5vocab(main, fts, instance)")
            dumps.append(
                [
                    db.execute(f"select * from {table} order by 1, 2").fetchall()
                    for table in ("tokens", "vocab", "ids", "terms", "stored")
                ]
            )
    tokens = dumps[0][0]
    assert dumps[0] == dumps[1] and len({doc for _, doc, *_ in tokens}) == len(tables.figures) == 190


def test_threads_each_get_their_own_connection(corpus):
    """Mutation: one connection shared by every thread → sqlite3.ProgrammingError in the other threads."""
    expected = figids(search_figures(corpus, "autophagy"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda _: figids(search_figures(corpus, "autophagy")), range(8)))
    assert found == [expected] * 8


def test_a_query_over_its_time_budget_is_refused(tmp_path):
    """SQLite is interrupted when a query runs past its budget (a prefix of thousands of terms on a big corpus):
    the user is told, the worker is not held. Mutation: no progress handler → the query answers."""
    for i in range(600):
        write(tmp_path / "many", f"PMC{4000000 + i}__f.md", record(f"PMC{4000000 + i}__f", "Kinase", FILLER))
    tables = read_corpus([tmp_path / "many"])
    index = TextIndex(build_text_index(tables, tmp_path), tables.figures)
    query = index.compile(parse_query("kinases receptors"))
    assert len(index.search(query).rows) == 600
    index.time_budget = 0.0
    with pytest.raises(QueryError, match="too broad"):
        index.search(query)


# --- chemicals and diseases -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query", ["gluc", "Glucose", "D-glucopyranose", "mesh:D005947", "D005947", "CHEBI:4167", "4167"]
)
def test_chemicals_by_name_or_id(corpus, query):
    (glucose, *_) = search_terms(corpus, "chemicals", query)
    assert (glucose.id, glucose.name, glucose.figures) == ("mesh:D005947", "Glucose", 2)
    assert set(glucose.ids) == {"mesh:D005947", "chebi:4167"}


def test_diseases_by_name_or_id_and_type_ahead_order(corpus):
    assert [t.id for t in search_terms(corpus, "diseases", "doid:162")] == ["mesh:D009369"]
    assert [t.name for t in search_terms(corpus, "diseases", "canc")] == ["Neoplasms"]
    assert search_terms(corpus, "diseases", "zzz") == []
    # Both only hold an 'o': the one in two figures first. Mutation: no ordering by figures → alphabetical.
    assert [t.name for t in search_terms(corpus, "chemicals", "o")] == ["Glucose", "Adenosine Triphosphate"]


def test_chemical_and_disease_filters(corpus):
    keys, unknown = resolve_terms(corpus, "chemicals", ["glucose", "CHEBI:15422", "nothing"])
    assert keys == ["mesh:D005947", "mesh:D000255"] and unknown == ["nothing"]
    glucose = terms_mask(corpus, "chemicals", ["mesh:D005947"])
    assert sorted(corpus.figids[glucose]) == sorted([CHEMICAL, MARKUP])
    both = terms_mask(corpus, "chemicals", keys, match="all")
    assert corpus.figids[both].tolist() == [CHEMICAL]
    assert corpus.figids[terms_mask(corpus, "diseases", ["mesh:D009369"])].tolist() == [CHEMICAL]
    in_mice = filter_figures(corpus, ("Mus musculus",))
    assert search_terms(corpus, "chemicals", "glucose", mask=in_mice)[0].figures == 0


# --- chemicals and diseases in the page --------------------------------------------------------------------------
def test_chemical_and_disease_links_parse_round_trip_and_filter(corpus):
    state, notices = parse_link(corpus, "chemicals=glucose,nothing&diseases=D009369")
    assert (state.chemicals, state.diseases) == (("mesh:D005947",), ("mesh:D009369",))
    assert notices == ["Unknown chemical 'nothing' dropped."]
    query = to_query(corpus, state)
    assert query == "?chemicals=mesh:D005947&diseases=mesh:D009369"
    assert parse_link(corpus, query) == (state, [])
    # Any of a kind's terms, and every kind together: glucose is in two figures, the disease in one of them.
    glucose = replace(state, diseases=())
    assert sorted(corpus.figids[selection_figures(corpus, to_selection(corpus, glucose))]) == sorted([CHEMICAL, MARKUP])
    assert corpus.figids[selection_figures(corpus, to_selection(corpus, state))].tolist() == [CHEMICAL]


def test_an_empty_view_names_the_chemical_filter(corpus):
    state, _ = parse_link(corpus, "chemicals=glucose&organisms=Mus+musculus")
    assert "organism and chemical filters" in explain_empty(corpus, state)
    state, _ = parse_link(corpus, "chemicals=ATP&q=autophagy")
    assert not len(selection_figures(corpus, to_selection(corpus, state)))
    assert "search" in explain_empty(corpus, state)


def test_term_options_keep_the_chosen_and_offer_matches_with_ids(corpus):
    options = term_options(corpus, "chemicals", "4167", ["mesh:D000255"])
    assert options[0]["value"] == "mesh:D000255"  # chosen first, kept shown
    assert options[1]["value"] == "mesh:D005947"
    assert options[1]["label"] == "Glucose · mesh:D005947, chebi:4167 · 2 fig."
    assert "4167" in options[1]["search"]
    assert term_options(corpus, "diseases", "", ["no:such"]) == []


def test_term_options_count_under_the_other_filters(corpus):
    """As the organism options: the yeast filter leaves glucose one figure (MARKUP); the chemical filter itself
    does not narrow its own counts."""
    yeast, _ = parse_link(corpus, "organisms=Saccharomyces+cerevisiae&chemicals=mesh:D000255")
    (chosen, glucose) = term_options(corpus, "chemicals", "glucose", ["mesh:D000255"], yeast)
    assert chosen["label"].endswith(" · 0 fig.") and glucose["label"].endswith(" · 1 fig.")
    assert term_options(corpus, "chemicals", "glucose", [], replace(yeast, organisms=()))[0]["label"].endswith(
        " · 2 fig."
    )


def test_a_term_clicked_in_a_record_joins_its_filter(corpus):
    start = ViewState(figure=CHEMICAL)
    trigger = {"type": ids.TERM_FILTER, "index": "chemicals|mesh:D005947"}
    state, _ = next_state(corpus, trigger, {}, start)
    assert state.chemicals == ("mesh:D005947",) and state.figure == CHEMICAL
    again, _ = next_state(corpus, trigger, {}, state)
    assert again.chemicals == ("mesh:D005947",)
    for bogus in ("chemicals|mesh:D999999", "genes|mesh:D005947", "nonsense"):
        assert next_state(corpus, {"type": ids.TERM_FILTER, "index": bogus}, {}, start)[0] == start


def test_a_record_links_its_terms_out_and_offers_them_as_filters(corpus):
    page = json.dumps(build_figure_detail(corpus, ViewState(), CHEMICAL).to_plotly_json(), cls=PlotlyJSONEncoder)
    assert "https://identifiers.org/mesh:D005947" in page and "https://identifiers.org/CHEBI:4167" in page
    assert "https://identifiers.org/mesh:D009369" in page and "https://identifiers.org/DOID:162" in page
    assert '"chemicals|mesh:D005947"' in page and '"diseases|mesh:D009369"' in page


@pytest.mark.parametrize(
    ("term_id", "href"),
    [
        ("mesh:D005947", "https://identifiers.org/mesh:D005947"),
        ("MESH:c000589078", "https://identifiers.org/mesh:C000589078"),
        ("chebi:4167", "https://identifiers.org/CHEBI:4167"),
        ("doid:162", "https://identifiers.org/DOID:162"),
        ("javascript:alert(1)", None),
        ("mesh:D005947/../../evil", None),
        ("chebi:4167 onclick=x", None),
    ],
)
def test_only_ontology_ids_of_known_shapes_become_links(term_id, href):
    link = term_id_link(term_id).to_plotly_json()
    assert link["props"].get("href") == href


# --- organisms by the names people type ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "species"),
    [
        ("human", "Homo sapiens"),
        ("Mouse", "Mus musculus"),
        ("rat", "Rattus norvegicus"),
        ("yeast", "Saccharomyces cerevisiae"),
        ("fission yeast", "Schizosaccharomyces pombe"),
        ("zebrafish", "Danio rerio"),
        ("fly", "Drosophila melanogaster"),
        ("worm", "Caenorhabditis elegans"),
        ("E. coli", "Escherichia coli"),
        ("e.coli", "Escherichia coli"),
        ("Arabidopsis", "Arabidopsis thaliana"),
        ("thale cress", "Arabidopsis thaliana"),
        ("sacch", "Saccharomyces cerevisiae"),
        ("C. elegans", "Caenorhabditis elegans"),
    ],
)
def test_organisms_by_common_or_scientific_name(corpus, query, species):
    """'human' offers Homo sapiens first although HIV-1, whose name starts with 'Human', has more figures here.
    Mutation: ranking by figure counts alone → HIV-1 first."""
    found = search_organisms(corpus, query)
    assert found[0].name == species


def test_organism_matches_say_which_common_name_found_them(corpus):
    found = search_organisms(corpus, "human")
    assert [(m.name, m.common_name) for m in found[:2]] == [
        ("Homo sapiens", "human"),
        ("Human immunodeficiency virus 1", None),
    ]
    assert [m.name for m in search_organisms(corpus, "e. coli")] == ["Escherichia coli", "Escherichia coli K-12"]
    assert search_organisms(corpus, "unicorn") == [] and search_organisms(corpus, "  ") == []


# --- the JSON API --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(data, corpus):
    return create_app(Settings(data=(str(data),), use_cache=False), corpus=corpus).server.test_client()


def test_api_search_answers_ranked_figures_with_snippets(client):
    body = client.get("/api/v1/search?q=autophagy").get_json()
    assert body["total"] == 2 and [f["figid"] for f in body["figures"]] == [TITLE_HIT, CAPTION_HIT]
    first = body["figures"][0]
    assert set(first) == {"figid", "title", "year", "snippet", "score"}
    assert first["title"] == "Regulation of autophagy by oncogenes and tumor suppressors" and first["year"] == 2013
    assert {"text": "autophagy", "match": True} in first["snippet"]
    assert all(set(piece) == {"text", "match"} for piece in first["snippet"])


def test_api_search_filters_and_pages(client):
    in_mice = client.get("/api/v1/search?q=autophagy&organisms=Mus+musculus").get_json()
    assert [f["figid"] for f in in_mice["figures"]] == [CAPTION_HIT]
    assert client.get("/api/v1/search?q=autophagy&years=2014-2025").get_json()["total"] == 1
    assert client.get("/api/v1/search?q=autophagy&limit=1").get_json()["figures"][0]["figid"] == TITLE_HIT
    second = client.get("/api/v1/search?q=autophagy&limit=1&offset=1").get_json()
    assert second["total"] == 2 and [f["figid"] for f in second["figures"]] == [CAPTION_HIT]
    assert client.get("/api/v1/search?q=receptors").get_json()["total"] > 5
    sugar = client.get("/api/v1/search?q=receptors&chemicals=CHEBI:4167&diseases=cancer").get_json()
    assert [f["figid"] for f in sugar["figures"]] == [CHEMICAL]
    glucose = client.get("/api/v1/search?q=glucose&chemicals=mesh:D005947&genes=").get_json()
    assert {f["figid"] for f in glucose["figures"]} == {CHEMICAL, MARKUP}
    by_id = client.get(f"/api/v1/search?q={DOI}").get_json()
    assert [f["figid"] for f in by_id["figures"]] == [TITLE_HIT] and by_id["figures"][0]["score"] is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/v1/search", "give a query"),
        ("/api/v1/search?q=%20", "give a query"),
        ("/api/v1/search?q=*", "type a word"),
        ("/api/v1/search?q=autophagy&limit=0", "'limit'"),
        ("/api/v1/search?q=autophagy&limit=%C2%B2", "'limit'"),
        ("/api/v1/search?q=autophagy&offset=-1", "'offset'"),
        ("/api/v1/search?q=autophagy&organisms=Martian", "Unknown organism"),
        ("/api/v1/search?q=autophagy&years=soon", "Years"),
        ("/api/v1/search?q=autophagy&chemicals=unobtainium", "no chemical"),
        ("/api/v1/search?q=autophagy&genes=NOSUCHGENE", "no gene"),
        ("/api/v1/chemicals", "give a name or id"),
        ("/api/v1/diseases?q=", "give a name or id"),
        ("/api/v1/organisms?q=human&limit=x", "'limit'"),
        ("/api/v1/organisms?q=", "give a scientific or common name"),
        ("/api/v1/search?q=autophagy&years=abc", "are not a range like 2010-2020."),
    ],
)
def test_api_bad_requests_say_why(client, url, message):
    response = client.get(url)
    assert response.status_code == 400 and message in response.get_json()["error"]
    assert "all years shown" not in response.get_json()["error"]  # a refused request shows nothing


@pytest.mark.parametrize("query", HOSTILE)
def test_api_never_fails_on_a_hostile_query(client, query):
    response = client.get("/api/v1/search", query_string={"q": query})
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:200]


def test_api_chemicals_diseases_and_organisms(client):
    chemicals = client.get("/api/v1/chemicals?q=gluc").get_json()["chemicals"]
    assert chemicals[0] == {
        "name": "Glucose",
        "id": "mesh:D005947",
        "figures": 2,
        "ids": ["mesh:D005947", "chebi:4167"],
    }
    diseases = client.get("/api/v1/diseases?q=DOID:162").get_json()["diseases"]
    assert [(d["name"], d["id"], d["figures"]) for d in diseases] == [("Neoplasms", "mesh:D009369", 1)]
    organisms = client.get("/api/v1/organisms?q=human&limit=1").get_json()["organisms"]
    assert organisms == [{"name": "Homo sapiens", "figures": 2, "common_name": "human"}]
    assert client.get("/api/v1/organisms?q=Danio").get_json()["organisms"][0]["name"] == "Danio rerio"


def test_search_leaves_no_files_beside_the_temporary_index(corpus):
    """The index of tables parsed in memory is opened immutable too: no journal, no lock file."""
    search_figures(corpus, "autophagy")
    assert sorted(os.listdir(corpus.text_index.path.parent)) == [INDEX_FILE]
