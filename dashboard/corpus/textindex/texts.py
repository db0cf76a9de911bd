"""Corpus floor: what the text index holds of each figure — its six texts (titles, caption, keywords, chemical and
disease names, ids squeezed into single tokens), the exact keys its ids are looked up by, and the digest that ties
an index file to the figures it was built for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.corpus import columns as C
from dashboard.corpus.textindex.snippets import MARK_END, MARK_START

if TYPE_CHECKING:
    from dashboard.corpus.loader import CorpusTables

DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi.org/", "doi:")
_DOI_LINK = r"^(?:[Hh][Tt][Tt][Pp][Ss]?://(?:dx\.)?doi\.org/|doi\.org/|[Dd][Oo][Ii]:)"
_ID_PUNCTUATION = ".,;:()[]<>'\""


def _strings(series: pd.Series) -> pd.Series:
    """A text column as strings, missing → ''."""
    return series.astype("string").fillna("")


def doi_of(url: str) -> str:
    """The DOI in a DOI link (`https://doi.org/10.1/x` → `10.1/x`), or the text itself."""
    for prefix in DOI_PREFIXES:
        if url[: len(prefix)].lower() == prefix:
            return url[len(prefix) :]
    return url


class TermTexts:
    """Each figure's chemical and disease names (printed word, MeSH term, ChEBI/DOID name), distinct, joined by
    '; ' ('' for a figure without any), for the figures of `figids` by their position in it: made at once for every
    figure as one Arrow string array, handed out as Python strings a slice at a time."""

    def __init__(self, tables: CorpusTables, figids: pd.Series) -> None:
        names = pa.concat_tables(
            pa.table({"figid": pa.array(table[C.FIGID], pa.string()), "text": pa.array(table[column], pa.string())})
            for table in (tables.chemicals, tables.diseases)
            for column in (C.WORD, C.MATCH, C.NAME)
        )
        names = names.filter(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(pc.fill_null(names["text"], ""))), 0))
        figure = pc.dictionary_encode(names["figid"]).combine_chunks()
        text = pc.dictionary_encode(names["text"]).combine_chunks()
        del names
        # Distinct (figure, text) pairs grouped by figure, as integer keys: ~10× faster than grouping the strings.
        keys = figure.indices.to_numpy().astype(np.int64) * max(1, len(text.dictionary)) + text.indices.to_numpy()
        keys = np.sort(keys)  # np.unique is 10× slower here (numpy 2.4)
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
        figure_codes, text_codes = np.divmod(keys, max(1, len(text.dictionary)))
        del keys
        offsets = np.zeros(len(figure.dictionary) + 1, dtype=np.int32)
        np.cumsum(np.bincount(figure_codes, minlength=len(figure.dictionary)), out=offsets[1:])
        lists = pa.ListArray.from_arrays(pa.array(offsets), text.dictionary.take(pa.array(text_codes)))
        self.joined = pc.binary_join(lists, "; ")
        self.position = pc.index_in(pa.array(figids.astype(str), pa.string()), value_set=figure.dictionary)

    def texts(self, low: int = 0, high: int | None = None) -> list[str]:
        """The texts of the figures at positions `low` to `high` (excluded) of `figids`."""
        position = self.position[low:high]
        return pc.fill_null(pc.take(self.joined, position), "").to_pylist()


def term_texts(tables: CorpusTables, figids: pd.Series) -> list[str]:
    """Each figure's chemical and disease names (printed word, MeSH term, ChEBI/DOID name), distinct, joined by
    '; ', in the order of `figids` ('' for a figure without any)."""
    return TermTexts(tables, figids).texts()


def _ids_text(figures: pd.DataFrame) -> pd.Series:
    """The ids column: the PMCID, and the figid and DOI each squeezed into one token (`PMC1__a-b` → `PMC1ab`), so
    that an id is found whole and its parts (`10`, `g002`) do not become the corpus' most frequent words."""
    squeeze = r"[^\w]|_"
    figids = _strings(figures[C.FIGID]).str.replace(squeeze, "", regex=True)
    dois = _strings(figures[C.DOI_URL]).str.replace(_DOI_LINK, "", regex=True).str.replace(squeeze, "", regex=True)
    return (_strings(figures[C.PMCID]) + " " + figids + " " + dois).str.strip()


def figure_texts(figures: pd.DataFrame, terms: Sequence[str], clean: bool = False) -> list[list[str]]:
    """The six indexed texts of each figure (in `COLUMNS` order), one list of strings per column; with `clean`, the
    snippet markers (two control characters, separators to the tokenizer) blanked, so that a marker in a snippet
    can only come from FTS5."""
    columns = [_strings(figures[name]) for name in (C.TITLE, C.CAPTION, C.PAPER_TITLE, C.KEYWORDS)]
    columns.insert(4, _strings(pd.Series(list(terms), dtype="string")))
    columns.append(_ids_text(figures))
    if clean:
        columns = [column.str.replace(f"[{MARK_START}{MARK_END}]", " ", regex=True) for column in columns]
    return [column.to_numpy(dtype=object).tolist() for column in columns]


def id_keys(figures: pd.DataFrame, first_row: int = 0) -> pd.DataFrame:
    """Every figid, PMCID and DOI as an exact lookup finds it (`normalise_id`), with its figure row (the rows of
    `figures` numbered from `first_row`)."""
    rows = np.arange(first_row, first_row + len(figures))
    dois = _strings(figures[C.DOI_URL]).str.replace(_DOI_LINK, "", regex=True)
    keys = pd.concat(
        [
            pd.DataFrame({"key": values.to_numpy(), "row": rows})
            for values in (_strings(figures[C.FIGID]), _strings(figures[C.PMCID]), dois)
        ],
        ignore_index=True,
    )
    keys["key"] = keys["key"].astype("string").str.strip().str.strip(_ID_PUNCTUATION).str.casefold()
    return keys[keys["key"] != ""].drop_duplicates()


def normalise_id(text: str) -> str:
    """An id as looked up: a DOI without its link or `doi:` prefix, case-folded, without surrounding punctuation."""
    return doi_of(text.strip().strip(_ID_PUNCTUATION)).strip().strip(_ID_PUNCTUATION).casefold()


def figids_digest(figids: Sequence[str]) -> str:
    """A digest of the figure ids in row order: an index belongs to exactly these rows."""
    return hashlib.sha256("\n".join(figids).encode()).hexdigest()


class FigidsDigest:
    """`figids_digest` of figure ids given a slice at a time."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.first = True

    def add(self, figids: Sequence[str]) -> None:
        if len(figids):
            self.digest.update((("" if self.first else "\n") + "\n".join(figids)).encode())
            self.first = False

    def hexdigest(self) -> str:
        return self.digest.hexdigest()
