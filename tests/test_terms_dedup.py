"""One chemical or disease per id (analysis/terms.py): rows naming one MeSH id in different forms (`mesh:D011773`,
`D011773`, `MESH:D011773`, an older record's identifier) and under different names ('Pyruvate', 'Pyruvate phosphate',
'pyruvate') are one term — one type-ahead entry, one filter option, one API answer — whose other names are its
synonyms, found by the type-ahead, and whose figures are those of all its names; a ChEBI or DOID id seen beside a
MeSH id joins that term whatever its case. Checked against the spec re-computed from the fixture's rows."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import write
from test_search import record

from dashboard.analysis.model import Corpus
from dashboard.analysis.terms import (
    figures_with_id,
    resolve_terms,
    search_terms,
    term_index,
    terms_mask,
    terms_of_figure,
)
from dashboard.config import Settings
from dashboard.corpus import columns as C
from dashboard.corpus.loader import read_corpus
from dashboard.web.app import create_app
from dashboard.web.options import term_options

NA = "NA"
# (word, mesh, match, name, chebi|doid) rows of each figure's side file, as the PFOCR TSVs write them.
CHEMICALS = {
    "PMC6000001__a": [
        ("Pyruvate", "mesh:D011773", NA, NA, NA),
        ("Glucose", "mesh:D005947", "Glucose", "D-glucopyranose", "chebi:4167"),
    ],
    "PMC6000002__b": [("Pyruvate phosphate", "D011773", NA, NA, NA), ("glucose", "mesh:D005947", NA, NA, NA)],
    "PMC6000003__c": [("pyruvate", "MESH:D011773", NA, NA, NA), ("Lactate", "mesh:D019344", NA, NA, "CHEBI:24996")],
    "PMC6000004__d": [("lactic acid", NA, NA, NA, "chebi:24996"), ("mystery", NA, NA, NA, NA)],
    "PMC6000005__e": [("Pyruvate", "mesh:D011773", NA, NA, NA), ("Mystery", NA, NA, NA, NA)],
}
DISEASES = {
    "PMC6000001__a": [("cancer", "mesh:D009369", "Neoplasms", "cancer", "doid:162")],
    "PMC6000002__b": [("tumour", NA, NA, NA, "DOID:162")],
    "PMC6000003__c": [("Neoplasm", "mesh:d009369", NA, NA, NA), ("gout", NA, NA, NA, "doid:13189")],
}
# An older-schema record: its terms in the front matter, the MeSH id bare or with a prefix in capitals (which the
# loader keeps as `mesh:MESH:D019344`).
OLDER = "PMC6000006__old"
OLDER_CHEMICALS = [("Pyruvic acid", "D011773"), ("L-lactate", "MESH:D019344")]
OLDER_TERMS = "".join(f"- word: {word}\n  source: MESH\n  identifier: {mesh}\n" for word, mesh in OLDER_CHEMICALS)
OLDER_RECORD = f"""---
figid: {OLDER}
figlink: /pmc/articles/PMC6000006/figure/F1/
number: F1
caption: Glycolysis.
pmcid: PMC6000006
papertitle: An older-schema paper.
filename: old.jpg
figtitle: Glycolysis
year: '2006'
organisms: Homo sapiens
genes: []
chemicals:
{OLDER_TERMS}diseases: []
figtype: Figure
---
"""
TABLES = {"chemicals": CHEMICALS, "diseases": DISEASES}


def fixture_rows(kind: str) -> list[tuple[str, ...]]:
    """(figid, word, mesh, match, name, other id) of every row of the fixture, NA as ''."""
    rows = [(figid, *("" if v == NA else v for v in row)) for figid, found in TABLES[kind].items() for row in found]
    if kind == "chemicals":
        rows += [(OLDER, word, mesh, "", "", "") for word, mesh in OLDER_CHEMICALS]
    return rows


def concept(row: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """The spec, re-computed: a row's MeSH id; else the MeSH id of a row with its ChEBI/DOID id; else that id; else
    its word — each id written `mesh:D…`, `chebi:…`, `doid:…`."""

    def mesh(value: str) -> str:
        found = re.fullmatch(r"(?:mesh:)*([cd]\d+)", value, re.IGNORECASE)
        return f"mesh:{found.group(1).upper()}" if found else ""

    def other(value: str) -> str:
        return value.lower() if value else ""

    if mesh(row[2]):
        return mesh(row[2])
    paired = [mesh(r[2]) for r in rows if other(row[5]) and other(r[5]) == other(row[5]) and mesh(r[2])]
    if paired:
        return paired[0]
    return other(row[5]) or f"word:{row[1].lower()}"


def expected_terms(kind: str) -> dict[str, tuple[set[str], set[str]]]:
    """Key → (its figids, its names and words, lower-cased)."""
    rows = fixture_rows(kind)
    terms: dict[str, tuple[set[str], set[str]]] = {}
    for row in rows:
        figids, names = terms.setdefault(concept(row, rows), (set(), set()))
        figids.add(row[0])
        names.update(n.lower() for n in row[1:2] + row[3:5] if n)
    return terms


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dedup") / "site"
    header = {"chemicals": "word\tmesh\tmatch\tname\tchebi\n", "diseases": "word\tmesh\tmatch\tname\tdoid\n"}
    for figid in sorted(set(CHEMICALS) | set(DISEASES)):
        write(folder, f"_figures/{figid}.md", record(figid, f"Figure {figid}", "A metabolic scheme."))
        for kind, table in TABLES.items():
            if figid in table:
                lines = "".join("\t".join(row) + "\n" for row in table[figid])
                write(folder, f"_data/{figid}-{kind}.tsv", header[kind] + lines)
    write(folder, f"_figures/{OLDER}.md", OLDER_RECORD)
    return folder


@pytest.fixture(scope="module")
def corpus(data) -> Corpus:
    return Corpus(read_corpus([data]))


def figids(corpus: Corpus, mask: np.ndarray) -> set[str]:
    return {str(f) for f in corpus.figids[mask]}


def test_the_fixture_is_read_as_written(corpus):
    """The loader keeps each id as written: the merging below is the term index's."""
    for kind in TABLES:
        table = getattr(corpus.tables, kind)
        assert len(table) == len(fixture_rows(kind))
    assert {"mesh:D011773", "D011773", "MESH:D011773"} <= set(corpus.tables.chemicals[C.MESH])


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_one_term_per_id_with_the_figures_of_all_its_names(corpus, kind):
    expected = expected_terms(kind)
    index = term_index(corpus, kind)
    assert sorted(index.keys) == sorted(expected)  # one entry per id (or per word of a term known by no id)
    assert len(index.position) == len(index.keys)  # no two keys differ only in case
    for key, (figures, _) in expected.items():
        term = index.position[key.lower()]
        assert {str(f) for f in corpus.figids[index.rows_of(term)]} == figures
        assert figids(corpus, terms_mask(corpus, kind, [key])) == figures


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_every_name_finds_its_one_entry_with_the_others_as_synonyms(corpus, kind):
    for key, (figures, names) in expected_terms(kind).items():
        for name in names:
            found = search_terms(corpus, kind, name)
            assert [m.id for m in found].count(key) == 1, (name, found)
            match = next(m for m in found if m.id == key)
            assert match.figures == len(figures)
            shown = {match.name.lower(), *(s.lower() for s in match.synonyms)}
            assert shown == names  # every name once: the display name and its synonyms
            assert match.name.lower() not in {s.lower() for s in match.synonyms}
            if key.startswith("mesh:"):
                assert match.ids[0] == key and len(set(match.ids)) == len(match.ids)


def test_pyruvate_is_one_entry_found_by_any_of_its_names(corpus):
    """The report: 'Pyruvate', 'Pyruvate phosphate' and 'pyruvate' were three entries under one MeSH id."""
    found = search_terms(corpus, "chemicals", "pyruv")
    keys = [m.id for m in found]
    assert keys == ["mesh:D011773"]
    (pyruvate,) = found
    assert pyruvate.figures == len(expected_terms("chemicals")["mesh:D011773"][0])
    assert "Pyruvate phosphate" in pyruvate.synonyms
    assert [m.id for m in search_terms(corpus, "chemicals", "pyruvate phosphate")] == ["mesh:D011773"]


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_every_rows_id_or_word_resolves_to_the_term_holding_its_figure(corpus, kind):
    """A link or a record's button names a term by any id form or name its rows hold: it resolves to the one term,
    whose filter keeps that row's figure."""
    rows = fixture_rows(kind)
    for row in rows:
        key = concept(row, rows)
        for token in (row[2], row[5], row[1], row[2].upper(), row[2].lower()):
            if not token:
                continue
            keys, unknown = resolve_terms(corpus, kind, [token])
            assert (keys, unknown) == ([key], []), token
            assert row[0] in figids(corpus, terms_mask(corpus, kind, keys))
    table = getattr(corpus.tables, kind)
    for figid, written in zip(table[C.FIGID].astype(str), table[C.MESH].astype(str), strict=True):
        if written:  # as a record's button asks for it: the id as the table holds it (`mesh:MESH:D019344`)
            keys, _ = resolve_terms(corpus, kind, [written])
            assert keys == [concept(("", "", written, "", "", ""), rows)], written
            assert figid in figids(corpus, terms_mask(corpus, kind, keys))
    for mesh in {r[2] for r in rows if r[2]}:
        shaped = mesh if ":" in mesh else f"mesh:{mesh}"
        rows_found = figures_with_id(corpus, shaped)
        key = concept(next(r for r in rows if r[2] == mesh), rows)
        assert {str(f) for f in corpus.figids[rows_found]} == expected_terms(kind)[key][0]


def test_a_figures_record_rows_are_untouched(corpus):
    """The detail panel lists a figure's rows as read (each id form as written)."""
    row = corpus.figure_row("PMC6000002__b")
    assert terms_of_figure(corpus, "chemicals", row)[C.MESH].tolist() == ["D011773", "mesh:D005947"]


def test_the_filter_options_offer_one_option_per_id(corpus):
    options = term_options(corpus, "chemicals", "pyruvate", [])
    assert [o["value"] for o in options] == ["mesh:D011773"]
    figures = len(expected_terms("chemicals")["mesh:D011773"][0])
    assert options[0]["label"] == f"Pyruvate · mesh:D011773 · {figures} fig."  # the word printed in most figures
    chosen = term_options(corpus, "chemicals", "lactic", ["mesh:D019344"])  # chosen, and found by a synonym
    assert [o["value"] for o in chosen] == ["mesh:D019344"]
    lactate = len(expected_terms("chemicals")["mesh:D019344"][0])
    assert chosen[0]["label"].endswith(f" · mesh:D019344, chebi:24996 · {lactate} fig.")


def test_the_api_lists_one_entry_per_id(corpus, data):
    client = create_app(Settings(data=(str(data),), use_cache=False), corpus=corpus).server.test_client()
    answer = client.get("/api/v1/chemicals?q=pyruv").get_json()["chemicals"]
    assert [entry["id"] for entry in answer] == ["mesh:D011773"]
    assert {"name", "id", "figures", "ids"} <= set(answer[0])
    assert answer[0]["figures"] == len(expected_terms("chemicals")["mesh:D011773"][0])
    diseases = client.get("/api/v1/diseases?q=DOID:162").get_json()["diseases"]
    neoplasms = len(expected_terms("diseases")["mesh:D009369"][0])
    assert [(d["id"], d["figures"]) for d in diseases] == [("mesh:D009369", neoplasms)]
