"""Corpus floor: parsing one record's front matter and side files."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.corpus.records import (
    RecordError,
    build_record,
    clean_text,
    decode,
    parse_front_matter,
    prepare_front_matter,
    printed_word,
    read_tsv,
    split_front_matter,
    to_figure_url,
    to_image_url,
    to_keywords,
    to_organisms,
    to_year,
    tsv_genes,
    tsv_terms,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Homo sapiens", ["Homo sapiens"]),
        ("Homo sapiens, Drosophila melanogaster", ["Homo sapiens", "Drosophila melanogaster"]),
        (["NA"], []),
        (["NA", "Mus musculus", "Mus musculus"], ["Mus musculus"]),
        ([".na.character", "", "Danio  rerio"], ["Danio rerio"]),
        (None, []),
        ("42", []),  # a number is not an organism name (reported by build_record)
        ({"a": "b"}, []),
    ],
)
def test_organisms_are_cleaned_names(value, expected):
    assert to_organisms(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("2020", 2020), ("", None), ("abc", None), ("20", None), (".na.character", None)]
)
def test_year(value, expected):
    assert to_year(value) == expected


@pytest.mark.parametrize("marker", ["", ".na.character", "  ", "NA"])
def test_missing_markers_become_none(marker):
    assert clean_text(marker) is None


def test_folded_text_keeps_unicode_and_folds_whitespace():
    assert clean_text("β‑catenin  — and\n  ‘quotes’ ") == "β‑catenin — and ‘quotes’"


@pytest.mark.parametrize(
    ("figlink", "pmcid", "expected"),
    [
        ("/pmc/articles/PMC1/figure/F2/", "PMC1", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1/figure/F2/"),
        ("pmc/articles/PMC1/figure/F2", "PMC1", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1/figure/F2/"),
        ("javascript:alert(1)", "PMC1", None),
        ("https://evil.example/pmc/articles/PMC1/figure/F2/", "PMC1", None),
        ("/pmc/articles/PMC2/figure/F2/", "PMC1", None),
        (None, "PMC1", None),
        ("NA", "PMC1", None),
        ("", "PMC1", None),
        # absolute links on both PMC hosts (older exports, the newer PMC site)
        (
            "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1/figure/F2/",
            "PMC1",
            "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1/figure/F2/",
        ),
        (
            "https://pmc.ncbi.nlm.nih.gov/articles/PMC1/figure/F2/",
            "PMC1",
            "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1/figure/F2/",
        ),
        ("https://pmc.ncbi.nlm.nih.gov.evil.example/articles/PMC1/figure/F2/", "PMC1", None),
    ],
)
def test_figure_url_is_absolute_https_at_pmc_only(figlink, pmcid, expected):
    assert to_figure_url(figlink, pmcid) == expected


def test_image_url_from_pmcid_and_filename():
    assert to_image_url("PMC7090164", "fcell-08-00089-g002.jpg") == (
        "https://europepmc.org/articles/PMC7090164/bin/fcell-08-00089-g002.jpg"
    )
    assert to_image_url("PMC1", '../../x.jpg"onerror=') is None


def test_keywords_drop_missing_parts():
    assert to_keywords("On | signalling | .na.character") == "On | signalling"
    assert to_keywords(["a", "NA", "b"]) == "a | b"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        ("figid: x\n", "no front matter"),
        ("---\nfigid: x\n", "not closed"),
        ("---\nfigid: [x\n---\n", "invalid YAML"),
        ("---\n- a\n- b\n---\n", "not a mapping"),
    ],
)
def test_front_matter_errors_say_why(text, reason):
    with pytest.raises(RecordError, match=reason):
        parse_front_matter(text)


def test_front_matter_keeps_yaml_11_words_as_strings():
    meta = parse_front_matter("---\na: NO\nb: On\nc: 0123\nd: '0123'\ne: 1e3\n---\nbody\n")
    assert meta == {"a": "NO", "b": "On", "c": "0123", "d": "0123", "e": "1e3"}


def test_split_ignores_the_body_and_a_dashes_line_inside_text():
    text = "---\na: x---y\n---\n---\nmore\n"
    assert split_front_matter(text) == "a: x---y\n"


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"\x00\x01\x02---", "binary"), ("---\ncaption: caf\xe9\n---\n".encode("latin-1"), "not UTF-8")],
)
def test_undecodable_bytes(data, reason):
    with pytest.raises(RecordError, match=reason):
        decode(data)


def test_bom_is_dropped():
    assert decode("\ufeff---".encode()) == "---"


@pytest.mark.parametrize(
    ("meta", "reason"),
    [
        ({"figtitle": "x"}, "no figid"),
        ({"figid": ["a", "b"]}, "not a string"),
        ({"figid": {"a": "b"}}, "not a string"),
        ({"figid": ""}, "not a valid figure id"),
        ({"figid": "has space"}, "not a valid figure id"),
    ],
)
def test_unusable_records(meta, reason):
    with pytest.raises(RecordError, match=reason):
        build_record(meta, "f.md")


def test_flawed_record_loads_without_the_flawed_part():
    meta = {
        "figid": "PMC9__f",
        "year": "abc",
        "organisms": {"x": "y"},
        "genes": [{"word": "A", "hgnc_symbol": "A", "entrez": "1"}, {"word": "B", "hgnc_symbol": "B"}],
        "figlink": "javascript:alert(1)",
        "ndex": "not-a-uuid",
    }
    record = build_record(meta, "f.md")
    assert record.figure["year"] is None
    assert record.figure["organisms"] == "Unknown"
    assert record.figure["pmcid"] == "PMC9"  # recovered from the figid
    assert record.figure["figure_url"] is None
    assert record.figure["ndex_url"] is None
    assert [g[0] for g in record.genes] == [1]
    reasons = " / ".join(reason for _, reason in record.flaws)
    for expected in ("year 'abc' is not a year", "organisms is neither", "1 gene entry without", "figlink"):
        assert expected in reasons


def test_genes_that_are_not_a_list_are_reported():
    record = build_record({"figid": "PMC9__f", "genes": "TP53"}, "f.md")
    assert record.genes == []
    assert any("genes is not a list" in reason for _, reason in record.flaws)


def test_huge_caption_is_cut_and_reported():
    record = build_record({"figid": "PMC9__f", "caption": "x" * 100_000}, "f.md")
    assert len(record.figure["caption"]) == 20_000
    assert any("caption is 100,000 characters" in reason for _, reason in record.flaws)


def test_tsv_columns_are_chosen_by_name():
    text = (
        "ncbigene_id\tword\tsource\tncbigene_symbol\torganism_name\textra\n"
        "7157\tp53\tncbigene_synonym\tTP53\tHomo sapiens\tz\n"
    )
    rows, ragged = read_tsv(text, "genes")
    assert rows == [("Homo sapiens", "p53", "p53", "TP53", "7157", "ncbigene_synonym")]  # no match column: the word
    assert ragged == 0
    with_match = "organism_name\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\nHs\tFGF23,RANKL,\tRANKL\tT\t1\ts\n"
    assert read_tsv(with_match, "genes")[0] == [("Hs", "FGF23,RANKL,", "RANKL", "T", "1", "s")]


@pytest.mark.parametrize(
    ("word", "match", "printed"),
    [
        ("FGF23,OPN,RANKL,", "RANKL", "RANKL"),  # the OCR match, not the whole cell
        ("akt,dna-pk,aurb,ppp6c", "AKT", "akt"),  # in the figure's own case
        ("mTORC2", "MTORC2", "mTORC2"),
        ("LRP5/6", "LRP6", "LRP6"),  # the cell does not spell the match out
        ("NA", "NA", "NA"),
    ],
)
def test_printed_word_is_the_match_as_printed(word, match, printed):
    assert printed_word(word, match) == printed


def test_tsv_missing_columns_is_an_error():
    with pytest.raises(RecordError, match="lacks column"):
        read_tsv("word\tmatch\nA\tB\n", "genes")


def test_tsv_ragged_rows_are_counted():
    rows, ragged = read_tsv("word\tmesh\tmatch\tname\tchebi\nA\tB\nC\tD\tE\tF\tG\n", "chemicals")
    assert rows == [("C", "D", "E", "F", "G")] and ragged == 1


def test_tsv_genes_skip_rows_without_an_id_and_keep_na_words():
    genes, skipped = tsv_genes(
        [
            ("Homo sapiens", "H2A", "H2A", "NA", "NaN", "famplex_relations"),
            ("Homo sapiens", "NA", "NA", "NA", "9", "s"),
        ]
    )
    assert skipped == 1
    assert genes == [(9, "", "Homo sapiens", "NA", "s")]


def test_tsv_terms_are_distinct():
    rows = [("NADH", "mesh:1", "NAD", "NAD(+)", "chebi:1")] * 2 + [("L", "mesh:2", "NA", "NA", "NA")]
    assert tsv_terms(rows) == [("NADH", "mesh:1", "NAD", "NAD(+)", "chebi:1"), ("L", "mesh:2", "", "", "")]


def test_fast_parse_equals_pyyaml_base_loader_on_every_seed_record():
    """The fast path (blanked unused keys, libyaml composer) reads what PyYAML's BaseLoader reads."""
    import yaml
    from conftest import SEEDS

    from dashboard.corpus.records import UNUSED_KEYS

    files = [*sorted((SEEDS / "pfocr-sample" / "_figures").glob("*.md")), SEEDS / "000_c9901233b1736e20.txt"]
    assert len(files) == 190
    for path in files:
        text = path.read_text(encoding="utf-8")
        reference = yaml.load(split_front_matter(text), Loader=yaml.BaseLoader)
        expected = {k: v for k, v in reference.items() if f"{k}:" not in UNUSED_KEYS}
        assert parse_front_matter(text) == expected, path.name


def test_blanking_keeps_line_numbers_and_later_keys():
    text = "a: 1\nschema-jsonld:\n  x: 2\n  keywords:\n  - A\norganisms_ner:\n- B\n- C\nb: 3\n"
    blanked, _lists = prepare_front_matter(text)
    assert blanked.count("\n") == text.count("\n")
    assert parse_front_matter(f"---\n{text}---\n") == {"a": "1", "b": "3"}


def test_yaml_error_reports_the_line_in_the_file():
    with pytest.raises(RecordError, match="line 4: mapping values are not allowed"):
        parse_front_matter("---\nfigid: a\nseo: x\ncaption: a: b\n---\n")


entry_keys = st.sampled_from(["word", "symbol", "source", "hgnc_symbol", "entrez", "identifier"])
scalars = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30) | st.sampled_from(
    ["NO", "On", "0123", "yes", "~", "null", "-RANKL", "[AP-1,", "a: b", "x #y", "'q'", '"d"', "  pad ", "1e3"]
)
gene_lists = st.lists(st.dictionaries(entry_keys, scalars, min_size=1, max_size=5), max_size=8)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(genes=gene_lists, width=st.sampled_from([80, 10_000]))
def test_fast_list_path_reads_what_yaml_reads(genes, width):
    """Whatever PyYAML writes for a gene list, the fast path and libyaml read the same values."""
    text = yaml.safe_dump(
        {"figid": "PMC1__x", "genes": genes, "year": "2020"}, allow_unicode=True, sort_keys=False, width=width
    )
    expected = yaml.load(text, Loader=yaml.BaseLoader)
    assert parse_front_matter(f"---\n{text}---\n") == expected


def test_a_number_among_comma_joined_organisms_is_reported():
    record = build_record({"figid": "PMC9__f", "organisms": "Homo sapiens, 42"}, "f.md")
    assert record.figure["organisms"] == "Homo sapiens"
    assert any("organisms holds a number (42)" in reason for _, reason in record.flaws)
