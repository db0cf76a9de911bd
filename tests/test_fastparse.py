"""The fast path of the cold ingest (rapidyaml front matter, column-wise genes side files, links as arrays) reads
exactly what the reference path (libyaml, row by row) reads, or declines and leaves the record to it."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import PLAIN, SEEDS, SITE
from hostile import write_hostile_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.corpus import loader
from dashboard.corpus.fastparse import (
    _WHITE,
    NOT_READ,
    GeneMentions,
    front_matter_genes,
    read_front_matter,
    read_gene_files,
)
from dashboard.corpus.loader import discover, parse_run, parse_run_reference, read_corpus
from dashboard.corpus.records import (
    HUMAN,
    UNUSED_KEYS,
    RecordError,
    _front_matter_genes,
    parse_front_matter,
    read_tsv,
    split_front_matter,
    tsv_genes,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import make_corpus  # the synthetic corpus generator of the benchmarks

UNUSED = {*(key[:-1] for key in UNUSED_KEYS), *NOT_READ}


def used(meta: dict) -> dict:
    """A front matter without the keys no field is built from (the reference blanks some of their lines)."""
    return {key: value for key, value in meta.items() if key not in UNUSED}


def libyaml_reading(front_matter: str) -> dict | None:
    """What the reference reads from front matter, or None where it refuses it."""
    ended = front_matter if front_matter.endswith("\n") else front_matter + "\n"
    try:
        return used(parse_front_matter(f"---\n{ended}---\n"))
    except (RecordError, yaml.YAMLError):
        return None


def assert_same_runs(paths: list[Path]) -> int:
    """Every run of the sources read both ways gives the same columns; returns the records read by libyaml."""
    sources = discover(paths)
    fallbacks = 0
    for jobs in loader._runs(sources):
        fast, reference = parse_run(jobs), parse_run_reference(jobs)
        fallbacks += fast.fallbacks
        assert fast.readable == reference.readable
        assert fast.problems == reference.problems
        assert fast.figures.equals(reference.figures)
        for name in ("gene_id", "words", "exact", "symbol", "organism"):
            assert fast.links.column(name).equals(reference.links.column(name)), name
        fast_sources = [fast.source_values[code] for code in fast.links.column("sources").to_pylist()]
        reference_sources = [reference.source_values[code] for code in reference.links.column("sources").to_pylist()]
        assert fast_sources == reference_sources
        for name in ("link_counts", "chemical_counts", "disease_counts", "skipped_rows"):
            assert np.array_equal(getattr(fast, name), getattr(reference, name)), name
        assert fast.chemicals.equals(reference.chemicals)
        assert fast.diseases.equals(reference.diseases)
    return fallbacks


@pytest.mark.parametrize("folder", [SEEDS, SITE, PLAIN], ids=["seeds", "site", "plain"])
def test_every_seed_and_fixture_record_reads_the_same(folder):
    paths = discover([folder]).records
    fast = 0
    for path in paths:
        front_matter = split_front_matter(Path(path).read_text(encoding="utf-8"))
        meta = read_front_matter(front_matter)
        if meta is not None:
            fast += 1
            assert used(meta) == libyaml_reading(front_matter), path
    assert fast >= len(paths) // 2  # the fast parser reads most of them (the seeds: 187 of 190)
    assert_same_runs([folder])


def test_a_generated_corpus_reads_the_same(tmp_path):
    make_corpus.write_corpus(tmp_path, 700, seed=3)
    assert_same_runs([tmp_path])


def test_the_hostile_corpus_reads_the_same_and_is_reported(tmp_path):
    expected, _ = write_hostile_corpus(tmp_path)
    assert_same_runs([tmp_path])
    problems = read_corpus([tmp_path]).problems
    reported = dict(zip(problems["path"], problems["reason"], strict=True))
    for name, reason in expected.items():
        assert any(path.endswith(name) and reason in found for path, found in reported.items()), name


@pytest.mark.parametrize(
    "text",
    [
        "figid: a\nword: NO\nb: On\nc: 0123\nd: 2001-01-01\ne: 1_000\nf: ~\ng: 'Off'\nh: 12:30\ni: 0x1F\nj: .nan\n",
        "figid: a\norganisms: [NA, Homo sapiens, 3]\nkeywords: x | y\n  | z\n",
        "figid: a\ngenes:\n- word: NO\n  entrez: '0123'\n- word: On\n  entrez: 5\n",
        "figid: a\ncaption: 'it''s ''quoted'''\nb: x #comment\nc: a\n\n  b\n",
    ],
)
def test_yaml_11_traps_stay_strings_on_the_fast_path(text):
    meta = read_front_matter(text)
    assert meta is not None  # read fast, not declined
    assert meta == libyaml_reading(text)


@pytest.mark.parametrize(
    "text",
    [
        "figid: a\nb: true\n",  # JSON would type it
        "figid: a\nb:\n",  # an empty value: JSON null
        "figid: a\nb: &x c\nd: *x\n",  # anchors and aliases
        "figid: a\nb: [*x]\n",
        "figid: a\nb: !!str 12\n",  # tags
        "figid: a\nb: @x\n",  # libyaml refuses these starts
        "figid: a\nb: `x\n",
        "figid: a\nb: 0.\n",  # numbers the JSON emitter may rewrite (0.0)
        "figid: a\nb: 1e3\n",
        "figid: a\nb: [0, !]\n",
        "figid: a\nb: [:0]\n",
        ":: a\n",
        "figid: a\nb: ]\n",
        "figid: a\nb:\tc\n",  # tabs, escapes, control characters, line breaks libyaml reads as such
        'figid: a\nb: "c\\td"\n',
        "figid: a\nb: c\x01\n",
        "figid: a\nb: c\u2028d\n",
        "figid: a\nb: |\n  c\n",  # block scalars
        "figid: a\nb: >-\n  c\n",
        "figid: a\n--- b\n",
        "- a\n- b\n",  # not a mapping
    ],
)
def test_what_rapidyaml_may_read_otherwise_is_declined(text):
    assert read_front_matter(text) is None


def test_declined_records_are_read_by_libyaml_and_counted(tmp_path, caplog):
    figures = tmp_path / "_figures"
    figures.mkdir()
    (figures / "PMC1__a.md").write_text("---\nfigid: PMC1__a\nfigtitle: x\tNO\nyear: '2001'\n---\n")
    (figures / "PMC2__b.md").write_text("---\nfigid: PMC2__b\nfigtitle: y\nyear: '2002'\n---\n")
    with caplog.at_level(logging.INFO, logger="dashboard.corpus.loader"):
        tables = read_corpus([tmp_path])
    assert tables.figures["title"].tolist() == ["x NO", "y"]
    assert "1 of 2 records read by libyaml" in caplog.text


_PLAIN = st.text(alphabet="abNOYesnul0123456789-.:#'\"*&!|>[]{},% é", min_size=0, max_size=12)
_WORDS = st.sampled_from(["NO", "On", "off", "0123", "1e3", "2001-01-01", "~", "null", "true", "NA", "1_000", "y"])
_SCALAR = st.one_of(_PLAIN, _WORDS, _PLAIN.map(lambda s: "'" + s.replace("'", "''") + "'"))
_VALUE = st.one_of(
    _SCALAR,
    st.lists(_SCALAR, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
    st.tuples(_SCALAR, _SCALAR).map(lambda pair: f"{pair[0]}\n  {pair[1]}"),
    st.lists(st.tuples(_SCALAR, _SCALAR), min_size=1, max_size=3).map(
        lambda entries: "".join(f"\n- word: {word}\n  entrez: {entrez}" for word, entrez in entries)
    ),
)
_KEYS = st.sampled_from(["figid", "caption", "year", "organisms", "genes", "keywords", "seo", "k"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_KEYS, _VALUE), min_size=1, max_size=6))
def test_property_fast_reading_equals_libyaml_or_declines(fields):
    text = "".join(f"{key}: {value}\n" for key, value in fields)
    meta = read_front_matter(text)
    if meta is not None:
        assert used(meta) == libyaml_reading(text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab: -'\"\n[]{},#&*!|>?%@`\t\\", max_size=40))
def test_property_any_text_equals_libyaml_or_declines(text):
    meta = read_front_matter(text)
    if meta is not None:
        assert used(meta) == libyaml_reading(text)


_GENE_VALUE = st.one_of(
    st.text(alphabet="aZ09 \t\u0661\u00a0_-.", max_size=6),
    st.sampled_from(["7157", "TP53", "NA", "None", "nan", "", " 12", "1234567890123456", "hgnc_symbol", "\u0661"]),
    st.integers(0, 99),
    st.none(),
    st.lists(st.just("x"), max_size=1),
)
_GOOD_GENE_ENTRY = st.fixed_dictionaries(
    {
        "word": st.sampled_from(["TP53", " p53 ", "a b", "x\ty"]),
        "source": st.sampled_from(["hgnc_symbol", "bioentities_symbol", "NA", " a  b ", "None"]),
        "hgnc_symbol": st.sampled_from(["TP53", "ABL1", "C9orf72", "NA", "nan"]),
        "entrez": st.sampled_from(["7157", "25", "203228", "1234567890123456", " 7"]),
    },
    optional={"symbol": st.sampled_from(["TP53", " A B "])},
)
_GENE_ENTRY = st.one_of(
    st.fixed_dictionaries(
        {"word": _GENE_VALUE, "symbol": _GENE_VALUE, "source": _GENE_VALUE, "hgnc_symbol": _GENE_VALUE},
        optional={"entrez": _GENE_VALUE},
    ),
    _GOOD_GENE_ENTRY,
    _GENE_VALUE,
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.lists(_GOOD_GENE_ENTRY, min_size=1, max_size=4), st.lists(_GENE_ENTRY, max_size=6), _GENE_VALUE))
def test_property_front_matter_genes_as_columns_equal_the_entry_by_entry_reading(value):
    flaws: list[str] = []
    expected = _front_matter_genes(value, flaws)
    columns = front_matter_genes(value)
    if columns is not None:
        ids, symbols, words, sources = columns
        assert list(zip(ids, symbols, [HUMAN] * len(ids), words, sources, strict=True)) == expected
        assert flaws == []


def test_machine_written_front_matter_genes_are_read_as_columns():
    entry = {"word": " p53 ", "symbol": "TP53", "source": "hgnc_symbol", "hgnc_symbol": "TP53", "entrez": "7157"}
    assert front_matter_genes([entry, {**entry, "source": "NA"}]) == (
        [7157, 7157],
        ["TP53"] * 2,
        ["p53"] * 2,
        ["hgnc_symbol", ""],
    )


GENE_HEADER = "organism_name\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\n"


@pytest.mark.parametrize(
    "text",
    [
        GENE_HEADER + "Hs\tFGF23,RANKL,\tRANKL\tTNFSF11\t8600\tncbigene_symbol\n\nHs\tNA\tNA\tNA\tNaN\tx\n",
        GENE_HEADER + "Hs\t mTORC2 \tMTORC2\tNA\t 123 \ts\nshort\trow\n",
        "word\tncbigene_id\tsource\tncbigene_symbol\torganism_name\n RANKL\t8600\ts\tT\tHs\n",  # no match column
        GENE_HEADER + "Hs\tx\ty\tz\t1\ts\r\n",  # carriage return: the reference's
        GENE_HEADER + "Hs\tx\u00a0\ty\tz\t1\ts\n",  # no-break space: the reference's
        "",
        "word\tmatch\nA\tB\n",  # missing columns
    ],
)
def test_genes_side_files_read_column_wise_equal_the_reference(text):
    mentions = GeneMentions()
    skipped, ragged, declined = read_gene_files([(4, text)], mentions)
    assert [row for row, _ in declined] in ([], [4])
    try:
        rows, expected_ragged = read_tsv(text, "genes")
    except RecordError:
        assert declined == [(4, text)]
        return
    expected, expected_skipped = tsv_genes(rows)
    if declined:
        return
    assert ragged.get(4, 0) == expected_ragged
    assert skipped.get(4, 0) == expected_skipped
    found = []
    if mentions.gene_ids:
        strings = {name: parts[0].to_pylist() for name, parts in mentions.strings.items()}
        found = list(
            zip(
                mentions.gene_ids[0].tolist(),
                strings["symbol"],
                strings["organism"],
                strings["word"],
                strings["source"],
                strict=True,
            )
        )
    assert found == expected


def test_a_gene_id_in_other_digits_leaves_the_run_to_the_reference(tmp_path):
    figures, data = tmp_path / "_figures", tmp_path / "_data"
    figures.mkdir()
    data.mkdir()
    (figures / "PMC1__a.md").write_text("---\nfigid: PMC1__a\n---\n")
    (data / "PMC1__a-genes.tsv").write_text(GENE_HEADER + "Hs\tx\tx\tX\t\u0661\u0662\ts\n")
    assert_same_runs([tmp_path])
    assert read_corpus([tmp_path]).links["gene_id"].tolist() == [12]


def test_the_white_space_the_fast_path_checks_is_every_other_white_space_of_python():
    others = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()} - set(" \t\n")
    assert set(_WHITE) == others


def test_a_run_the_fast_path_declines_is_read_the_reference_way_with_a_warning(tmp_path, caplog):
    """The fast path declines a whole run (a gene id in other digits): the run is still read, record by record, and
    the fallback is a warning that says why. Mutation: the fallback logged at INFO, or without its reason → caught."""
    figures, data = tmp_path / "_figures", tmp_path / "_data"
    figures.mkdir()
    data.mkdir()
    (figures / "PMC1__a.md").write_text("---\nfigid: PMC1__a\n---\n")
    (figures / "PMC2__b.md").write_text("---\nfigid: PMC2__b\n---\n")
    (data / "PMC1__a-genes.tsv").write_text(GENE_HEADER + "Hs\tx\tx\tX\t\u0661\u0662\ts\n")
    (data / "PMC2__b-genes.tsv").write_text(GENE_HEADER + "Hs\ty\ty\tY\t7157\ts\n")
    (jobs,) = loader._runs(discover([tmp_path]))
    with caplog.at_level(logging.INFO, logger="dashboard.corpus.loader"):
        run = parse_run(jobs)
    assert run.readable == [True, True] and run.links.column("gene_id").to_pylist() == [12, 7157]
    (record,) = [r for r in caplog.records if r.name == "dashboard.corpus.loader"]
    assert record.levelno == logging.WARNING
    assert "record by record" in record.getMessage() and "digits that are not ASCII" in record.getMessage()


def test_a_bug_in_the_fast_path_is_raised_not_read_again_quietly(tmp_path):
    """An error the fast path does not expect is a bug of ours: it is raised, not hidden by reading the run again
    the slow way (where each record would become an 'unexpected error' problem and the load would go on).
    Here the bug is a caller's: a job whose side files are None. Mutation: `except Exception` → no error (caught)."""
    record = tmp_path / "PMC1__a.md"
    record.write_text("---\nfigid: PMC1__a\n---\n")
    with pytest.raises(AttributeError):
        parse_run([(str(record), None)])
