"""Analysis floor: chemicals and diseases as facets — type-ahead by name or id (MeSH, ChEBI, DOID) with figure
counts, and the figure masks of the ones chosen.

A term is one chemical or disease, keyed by its MeSH id when its rows give one (`mesh:D005947`), else by its
ChEBI or DOID id, else by its printed word (`word:cancer`). Ids are compared in one form whatever the rows wrote
(`D011773`, `MESH:D011773` and `mesh:D011773` are one id; so are `CHEBI:4167` and `chebi:4167`), so that one id is
one term. Its name is its MeSH heading, else its ChEBI or DOID name, else the word most often printed for it (in
most figures); its other names and words are its synonyms. It is found by any of these and by any of its ids
(with or without the `mesh:` / `chebi:` / `doid:` prefix, in any case), and its figures are those of all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.analysis.model import TERM_KINDS, Corpus
from dashboard.corpus import columns as C

KINDS = TERM_KINDS
OTHER_ID = {"chemicals": C.CHEBI, "diseases": C.DOID}  # the term's own ontology id besides MeSH
WORD_KEY = "word:"
MAX_QUERY = 200
MAX_SYNONYMS = 20  # offered with a match (the index keeps them all): OCR prints a common name many ways
_ID_SHAPE = re.compile(r"(?:(mesh|chebi|doid)\s*:\s*)?([a-z]?[0-9]+)", re.IGNORECASE)
_REPEATED_PREFIX = re.compile(r"^((mesh|chebi|doid)\s*:\s*)+")  # `mesh:MESH:D011773`, as a record may write it
_SEARCHED_ID_SHAPE = re.compile(r"(?:mesh|chebi|doid)\s*:\s*[a-z]?[0-9]+|[cd][0-9]{6,9}", re.IGNORECASE)


@dataclass(frozen=True)
class TermMatch:
    """A chemical or disease offered for a query: its key id, name, every id it has, its figures, and its other
    names and printed words (those in most figures first, at most MAX_SYNONYMS)."""

    id: str
    name: str
    ids: tuple[str, ...]
    figures: int
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class TermIndex:
    """One kind's terms: keys, names, ids, synonyms, the names they are found by, and each term's figure rows
    (CSR)."""

    keys: np.ndarray  # object: the key id of each term
    names: np.ndarray  # object: display name
    ids: list[tuple[str, ...]]
    synonyms: list[tuple[str, ...]]  # other names and words, one per spelling ignoring case, most figures first
    lookup_terms: np.ndarray  # int: the term of each lookup string
    lookup: pa.Array  # lower-cased names, words and ids, one per row
    lookup_is_id: np.ndarray  # bool: that lookup string is an id
    indptr: np.ndarray
    figure_rows: np.ndarray
    position: dict[str, int]  # lower-cased key → term

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.indptr)

    def has(self, key: str) -> bool:
        return key.lower() in self.position

    def rows_of(self, term: int) -> np.ndarray:
        return self.figure_rows[self.indptr[term] : self.indptr[term + 1]]


def term_index(corpus: Corpus, kind: str) -> TermIndex:
    """The kind's term index of a corpus, built on first use (kept as long as the corpus is)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    return corpus.memo.get("term index", kind, lambda: build_term_index(corpus, kind))


@dataclass(frozen=True)
class FigureTerms:
    """One kind's table rows grouped by figure (CSR): figure row f's rows are `rows[indptr[f]:indptr[f + 1]]`, in
    table order."""

    indptr: np.ndarray
    rows: np.ndarray


def figure_terms(corpus: Corpus, kind: str) -> FigureTerms:
    """The kind's rows by figure, built on first use (kept as long as the corpus is)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    return corpus.memo.get("figure terms", kind, lambda: build_figure_terms(corpus, kind))


def build_figure_terms(corpus: Corpus, kind: str) -> FigureTerms:
    """Group a kind's table rows by the row of their figure; rows of figures not in the corpus are left out."""
    figure_rows = _figure_rows(corpus, getattr(corpus.tables, kind)[C.FIGID])
    order = np.argsort(figure_rows, kind="stable")
    order = order[figure_rows[order] >= 0]
    indptr = np.zeros(corpus.n_figures + 1, dtype=np.int64)
    np.cumsum(np.bincount(figure_rows[order], minlength=corpus.n_figures), out=indptr[1:])
    return FigureTerms(indptr=indptr, rows=order.astype(np.int64))


def terms_of_figure(corpus: Corpus, kind: str, figure_row: int) -> pd.DataFrame:
    """A figure's rows of the chemicals or diseases table, in table order: a slice of the CSR index instead of a
    comparison of every row's figid (330,000 rows at 110,000 figures)."""
    index = figure_terms(corpus, kind)
    return getattr(corpus.tables, kind).iloc[index.rows[index.indptr[figure_row] : index.indptr[figure_row + 1]]]


def _figure_rows(corpus: Corpus, figids: pd.Series) -> np.ndarray:
    """Each figid's figure row (-1 for a figure not in the corpus); the loader's categorical figids are re-coded
    without a pass over the strings."""
    if isinstance(figids.dtype, pd.CategoricalDtype):
        categories = corpus.figure_index.get_indexer(figids.cat.categories.astype(str))
        codes = figids.cat.codes.to_numpy()
        return np.where(codes >= 0, np.append(categories, -1)[codes], -1).astype(np.int64)
    return corpus.figure_index.get_indexer(figids.astype(str)).astype(np.int64)


def _strings(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").str.strip()


def _most_frequent(table: pd.DataFrame, column: str) -> pd.Series:
    """Per key, the non-empty value of a column in most figures (ties: the first in sort order)."""
    present = table[table[column] != ""].drop_duplicates(["key", column, "row"])
    counts = present.groupby(["key", column], sort=True).size().rename("n").reset_index()
    counts = counts.sort_values(["key", "n"], ascending=[True, False], kind="stable")
    return counts.drop_duplicates("key").set_index("key")[column]


def _per_value(values: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """A conversion of text run once per distinct value (ids repeat: 330,000 rows hold a few ten thousand)."""
    codes, distinct = pd.factorize(values, sort=False)
    converted = convert(pd.Series(distinct, dtype="string")).to_numpy(dtype=object)
    return pd.Series(converted[codes], index=values.index, dtype="string")


def _mesh_ids(values: pd.Series) -> pd.Series:
    """MeSH ids in one form, `mesh:D011773`, whatever the rows wrote (`D011773`, `MESH:D011773`, `mesh:d011773`)."""

    def convert(distinct: pd.Series) -> pd.Series:
        bare = distinct.str.replace(r"^(?:mesh\s*:\s*)+", "", regex=True, case=False).str.strip().str.upper()
        return ("mesh:" + bare).where(bare != "", "")

    return _per_value(values, convert)


def _ontology_ids(values: pd.Series, prefix: str) -> pd.Series:
    """ChEBI or DOID ids in one form, `chebi:4167` (`CHEBI:4167`, or a bare number in its own column); an id of
    another shape as the first in sort order of its spellings that differ only in case."""

    def convert(distinct: pd.Series) -> pd.Series:
        bare = distinct.str.replace(rf"^(?:{prefix}\s*:\s*)+", "", regex=True, case=False).str.strip()
        own = (distinct.str.match(rf"(?i){prefix}\s*:") | bare.str.fullmatch(r"[0-9]+")) & (bare != "")
        canonical = (prefix + ":" + bare.str.upper()).where(own, distinct)
        return canonical.groupby(canonical.str.lower()).transform("min") if len(canonical) else canonical

    return _per_value(values, convert)


def _synonyms(rows: pd.DataFrame, term_of_row: np.ndarray, names: np.ndarray) -> list[tuple[str, ...]]:
    """Per term, its names and printed words other than its display name: one per spelling ignoring case (the one
    in most figures; ties: the first in sort order), those in most figures first. Worked on integer codes: the
    texts repeat (330,000 rows, a few ten thousand spellings)."""
    texts = pd.concat([rows[column] for column in (C.MATCH, C.NAME, C.WORD)], ignore_index=True)
    codes, distinct = pd.factorize(texts, sort=True)  # sorted: a lower code is the first in sort order
    distinct = pd.Series(distinct, dtype="string")
    folds, fold_names = pd.factorize(distinct.str.lower())
    fold_of_name = pd.Series(np.arange(len(fold_names)), index=fold_names)
    named = fold_of_name.reindex(pd.Series(names, dtype="string").str.lower()).fillna(-1).to_numpy(dtype=np.int64)
    terms, fold = np.tile(term_of_row, 3), folds[codes]
    empty = np.flatnonzero((distinct == "").to_numpy(dtype=bool))
    keep = ~np.isin(codes, empty) & (fold != named[terms])
    table = pd.DataFrame(
        {"term": terms[keep], "fold": fold[keep], "text": codes[keep], "row": np.tile(rows["row"].to_numpy(), 3)[keep]}
    ).drop_duplicates()
    spellings = table.groupby(["term", "fold", "text"], sort=False).size().rename("n").reset_index()
    spellings = spellings.sort_values(["term", "fold", "n", "text"], ascending=[True, True, False, True])
    spellings = spellings.drop_duplicates(["term", "fold"]).set_index(["term", "fold"])["text"]
    figures = table.drop_duplicates(["term", "fold", "row"]).groupby(["term", "fold"], sort=False).size()
    found = pd.concat([spellings, figures.rename("n")], axis=1).reset_index()
    found = found.sort_values(["term", "n", "text"], ascending=[True, False, True])
    synonyms: list[list[str]] = [[] for _ in range(len(names))]
    spelled = distinct.to_numpy(dtype=object)
    for term, text in zip(found["term"].tolist(), found["text"].tolist(), strict=True):
        synonyms[term].append(str(spelled[text]))
    return [tuple(texts) for texts in synonyms]


def build_term_index(corpus: Corpus, kind: str) -> TermIndex:
    """Group a kind's rows into terms (by MeSH id, else ontology id, else word) with names, ids and figures."""
    table = getattr(corpus.tables, kind)
    other = OTHER_ID[kind]
    rows = pd.DataFrame(
        {
            "row": _figure_rows(corpus, table[C.FIGID]),
            C.WORD: _strings(table[C.WORD]),
            C.MESH: _strings(table[C.MESH]),
            C.MATCH: _strings(table[C.MATCH]),
            C.NAME: _strings(table[C.NAME]),
            "other": _strings(table[other]),
        }
    )
    rows = rows[(rows["row"] >= 0) & ((rows[C.WORD] != "") | (rows[C.MESH] != "") | (rows["other"] != ""))]
    # Each id in one form (the rows write one MeSH id as D011773, MESH:D011773, mesh:D011773): one id, one term.
    rows = rows.assign(**{C.MESH: _mesh_ids(rows[C.MESH]), "other": _ontology_ids(rows["other"], other.lower())})
    # An ontology id seen with a MeSH id elsewhere joins that MeSH term.
    paired = rows[(rows[C.MESH] != "") & (rows["other"] != "")].drop_duplicates("other").set_index("other")[C.MESH]
    mesh = rows[C.MESH].where(rows[C.MESH] != "", rows["other"].map(paired.to_dict()).astype("string").fillna(""))
    key = mesh.where(mesh != "", rows["other"])
    rows = rows.assign(key=key.where(key != "", WORD_KEY + rows[C.WORD].str.lower()), mesh=mesh)
    rows = rows.sort_values(["key", "row"], kind="stable")
    names = _most_frequent(rows, C.MATCH)
    names = names.combine_first(_most_frequent(rows, C.NAME)).combine_first(_most_frequent(rows, C.WORD))
    keys = names.index.to_numpy(dtype=object)
    position = {str(k): i for i, k in enumerate(keys)}
    term_of_row = rows["key"].map(position).to_numpy(dtype=np.int64)
    synonyms = _synonyms(rows, term_of_row, names.to_numpy(dtype=object))
    pairs = pd.DataFrame({"term": term_of_row, "row": rows["row"].to_numpy()}).drop_duplicates()
    indptr = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(np.bincount(pairs["term"].to_numpy(), minlength=len(keys)), out=indptr[1:])
    ids_table = pd.concat(
        [rows[["key", "mesh"]].set_axis(["key", "id"], axis=1), rows[["key", "other"]].set_axis(["key", "id"], axis=1)]
    )
    ids_table = ids_table[ids_table["id"] != ""].drop_duplicates()
    ids_by_key: dict[str, list[str]] = {}
    for term_key, term_id in zip(ids_table["key"].tolist(), ids_table["id"].tolist(), strict=True):
        ids_by_key.setdefault(term_key, []).append(term_id)
    ids = [tuple(ids_by_key.get(k, ())) for k in keys]
    lookups = [
        pd.DataFrame({"term": term_of_row, "text": rows[column].to_numpy(), "is_id": False})
        for column in (C.WORD, C.MATCH, C.NAME)
    ]
    bare = ids_table["id"].str.replace(r"^[A-Za-z]+:", "", regex=True)
    for values in (ids_table["id"], bare):
        lookups.append(
            pd.DataFrame({"term": ids_table["key"].map(position).to_numpy(), "text": values.to_numpy(), "is_id": True})
        )
    lookup = pd.concat(lookups, ignore_index=True)
    lookup = lookup[lookup["text"] != ""]
    lookup = lookup.assign(text=lookup["text"].astype("string").str.lower()).drop_duplicates()
    return TermIndex(
        keys=keys,
        names=names.to_numpy(dtype=object),
        ids=ids,
        synonyms=synonyms,
        lookup_terms=lookup["term"].to_numpy(dtype=np.int64),
        lookup=pa.array(lookup["text"].astype(str).tolist(), type=pa.large_string()),
        lookup_is_id=lookup["is_id"].to_numpy(dtype=bool),
        indptr=indptr,
        figure_rows=pairs["row"].to_numpy(dtype=np.int64),
        position={str(k).lower(): i for i, k in enumerate(keys)},
    )


def _id_forms(query: str) -> set[str]:
    """The lower-cased ids a query may name: `D005947`, `mesh:D005947`, `CHEBI:4167`, `4167`."""
    found = _ID_SHAPE.fullmatch(query.strip())
    if found is None:
        return set()
    prefix, value = found.groups()
    value = value.lower()
    return {f"{prefix.lower()}:{value}", value} if prefix else {value}


def figures_with_id(corpus: Corpus, text: str) -> np.ndarray | None:
    """The figure rows (ascending) mentioning a chemical or disease that has this id, written with its prefix
    (`mesh:D005947`, `CHEBI:4167`, `DOID:1612`) or as a MeSH id alone (`D005947`, `C000123`); None for a text not
    of these shapes or naming no term. A bare number is not taken for an id: it is more often a year or a gene."""
    text = text.strip()
    if not _SEARCHED_ID_SHAPE.fullmatch(text):
        return None
    rows = [
        index.rows_of(term)
        for index in (term_index(corpus, kind) for kind in KINDS)
        for term in np.unique(index.lookup_terms[_lookup_ranks(index, text.lower()[:MAX_QUERY]) == 0])
    ]
    return np.unique(np.concatenate(rows)) if rows else None


def term_figure_counts(corpus: Corpus, kind: str, mask: np.ndarray | None = None) -> np.ndarray:
    """For every term of the kind, the number of its figures (within the mask)."""
    index = term_index(corpus, kind)
    if mask is None:
        return index.counts
    inside = np.concatenate([[0], np.cumsum(mask[index.figure_rows])])
    return inside[index.indptr[1:]] - inside[index.indptr[:-1]]


def _lookup_ranks(index: TermIndex, needle: str) -> np.ndarray:
    """Per lookup string: 0 the query is this id, 1 this name or word, 2 a prefix of it, 3 inside it; 9 none."""
    lookup = index.lookup
    ids = _id_forms(needle)
    id_hit = (
        pc.is_in(lookup, value_set=pa.array(sorted(ids), type=pa.large_string())).to_numpy(zero_copy_only=False)
        & index.lookup_is_id
        if ids
        else np.zeros(len(lookup), dtype=bool)
    )
    equal = pc.equal(lookup, needle).to_numpy(zero_copy_only=False)
    starts = pc.starts_with(lookup, pattern=needle).to_numpy(zero_copy_only=False)
    holds = pc.match_substring(lookup, pattern=needle).to_numpy(zero_copy_only=False) & ~index.lookup_is_id
    return np.select([id_hit, equal, starts, holds], [0, 1, 2, 3], 9)


def search_terms(
    corpus: Corpus, kind: str, query: str, limit: int = 20, mask: np.ndarray | None = None
) -> list[TermMatch]:
    """Type-ahead: the chemicals or diseases whose id is the query, then those with a name, synonym or printed word
    that is the query, starts with it or holds it; more figures first, one entry per term (per id). Figure counts
    within the mask (None: all)."""
    index = term_index(corpus, kind)
    needle = query.strip().lower()[:MAX_QUERY]
    if not needle or not len(index.keys):
        return []
    rank = _lookup_ranks(index, needle)
    found = rank < 9
    if not found.any():
        return []
    best = pd.Series(rank[found]).groupby(index.lookup_terms[found]).min()
    terms = best.index.to_numpy(dtype=np.int64)
    counts = term_figure_counts(corpus, kind, mask)[terms]
    order = np.lexsort((index.names[terms].astype(str), -counts, best.to_numpy()))[:limit]
    return [
        TermMatch(
            id=str(index.keys[terms[i]]),
            name=str(index.names[terms[i]]),
            ids=index.ids[terms[i]],
            figures=int(counts[i]),
            synonyms=index.synonyms[terms[i]][:MAX_SYNONYMS],
        )
        for i in order
    ]


def resolve_terms(corpus: Corpus, kind: str, tokens: list[str]) -> tuple[list[str], list[str]]:
    """Key ids, ids, or exact names or printed words (any case) → term keys, in order, de-duplicated (a name of
    several terms: the one in most figures); and the tokens naming no term."""
    index = term_index(corpus, kind)
    keys: dict[str, None] = {}
    unknown: list[str] = []
    for token in tokens:
        text = token.strip()
        if not text:
            continue
        term = index.position.get(text.lower())
        if term is None:
            rank = _lookup_ranks(index, _REPEATED_PREFIX.sub(r"\2:", text.lower()[:MAX_QUERY]))
            named = np.unique(index.lookup_terms[rank <= 1])
            if len(named):
                term = int(named[np.argmax(index.counts[named])])
        if term is None:
            unknown.append(text)
        else:
            keys[str(index.keys[term])] = None
    return list(keys), unknown


def terms_mask(corpus: Corpus, kind: str, keys: list[str], match: str = "any") -> np.ndarray:
    """A boolean mask over figures: those mentioning any (or all) of the terms given by key id (no keys: every
    figure). A key naming no term names no figure (so with `all` nothing matches)."""
    index = term_index(corpus, kind)
    wanted = list(dict.fromkeys(k.lower() for k in keys))
    if not wanted:
        return np.ones(corpus.n_figures, dtype=bool)
    counts = np.zeros(corpus.n_figures, dtype=np.int64)
    for key in wanted:
        term = index.position.get(key)
        if term is not None:
            counts[index.rows_of(term)] += 1
    return counts >= (len(wanted) if match == "all" else 1)
