"""Analysis floor: the corpus as a queryable object — indexes, filters and gene ⇄ figure lookups.

Whole-corpus questions are answered with a sparse figure × gene incidence matrix (scipy), never with a projected
networkx graph: at PFOCR scale that would be quadratic in genes. Everything here is a pure function of the corpus
and plain values, so the web floor's callbacks stay thin and the unit tests call these directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from dashboard.analysis.memo import Memo
from dashboard.corpus import columns as C
from dashboard.corpus.incidence import link_incidence
from dashboard.corpus.loader import CorpusTables
from dashboard.corpus.numbers import is_ascii_digits
from dashboard.corpus.records import SEP, UNKNOWN_ORGANISM
from dashboard.corpus.textindex.index import TextIndex
from dashboard.corpus.textindex.loading import load_text_index

MATCH_MODES = ("any", "all")
TERM_KINDS = ("chemicals", "diseases")  # the facets a selection filters by, besides genes


@dataclass(frozen=True)
class Selection:
    """What the user has chosen: genes (row positions), match mode, filters, and the exact-symbol switch."""

    genes: tuple[int, ...] = ()
    match: str = "any"
    organisms: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    exact: bool = False
    unstated: bool = False  # with an organism filter, also the figures that state no organism
    text: str = ""  # a full-text search; its hits within the other filters
    chemicals: tuple[str, ...] = ()  # term keys (analysis/terms.py): figures mentioning any of them
    diseases: tuple[str, ...] = ()
    region: tuple[int, ...] = ()  # a box or polygon of the corpus map (analysis/corpusmap.py): figures inside it
    other_species: bool = False  # with an organism filter, the network draws the figures' genes of other species too


class Corpus:
    """The tables plus the indexes every query needs, built once at start-up."""

    def __init__(self, tables: CorpusTables):
        self.tables = tables
        self.figures = tables.figures.reset_index(drop=True)
        self.genes = tables.genes.sort_values(C.GENE_ID, kind="stable").reset_index(drop=True)
        self.figure_index = pd.Index(self.figures[C.FIGID].astype(str))
        self.figids = self.figure_index.to_numpy(dtype=object)
        self.gene_ids = self.genes[C.GENE_ID].to_numpy(dtype=np.int64)
        incidence = link_incidence(self.figure_index, tables.links[C.FIGID], tables.links[C.GENE_ID], self.gene_ids)
        self.incidence = incidence.matrix  # link i of `links` is stored entry i: a figure's links are a slice
        self.links = (
            tables.links if incidence.order is None else tables.links.iloc[incidence.order].reset_index(drop=True)
        )
        self.link_exact = self.links[C.EXACT].to_numpy(dtype=bool)
        self.years = self.figures[C.YEAR].to_numpy(dtype="float64", na_value=np.nan)
        self.figure_organisms, self.organism_figures = _organisms_of_figures(self.figures[C.ORGANISMS])
        self.organism_names = list(self.organism_figures)
        self.organism_matrix = _organism_matrix(self.organism_figures, self.n_figures)
        self.symbols = self.genes[C.SYMBOL].fillna("").astype(str).to_numpy()
        self.gene_organisms = self.genes[C.ORGANISM].astype("string").fillna("").to_numpy(dtype=object)
        self.memo = Memo()  # what is worked out from these tables and kept: the policy is analysis/memo.py's

    # --- sizes -------------------------------------------------------------------------------------------------
    @property
    def n_figures(self) -> int:
        return len(self.figures)

    @property
    def n_genes(self) -> int:
        return len(self.genes)

    @cached_property
    def year_span(self) -> tuple[int, int] | None:
        known = self.years[~np.isnan(self.years)]
        return (int(known.min()), int(known.max())) if known.size else None

    @cached_property
    def figures_per_year(self) -> dict[int, int]:
        """Year → number of figures of the corpus (figures without a year left out)."""
        return count_years(self.years)

    @cached_property
    def organism_counts(self) -> dict[str, int]:
        """Organism → number of figures, most figures first."""
        counts = {name: len(rows) for name, rows in self.organism_figures.items()}
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    @cached_property
    def text_index(self) -> TextIndex:
        """The full-text index: the file built with the cache entry or bundle, else (tables made in memory) one
        built now in a temporary folder."""
        return load_text_index(self.tables)

    @cached_property
    def n_papers(self) -> int:
        return int(self.figures[C.PMCID].nunique())

    def matrix(self, exact: bool = False) -> sparse.csr_matrix:
        """The figure × gene incidence matrix (exact-symbol links only, if asked)."""
        return self.incidence_exact if exact else self.incidence

    @cached_property
    def incidence_exact(self) -> sparse.csr_matrix:
        """Only the links read through a gene's own symbol (built when the switch is first used)."""
        matrix = self.incidence.copy()
        matrix.data = self.link_exact.astype(np.float32)
        matrix.eliminate_zeros()
        return matrix

    def matrix_by_gene(self, exact: bool = False) -> sparse.csc_matrix:
        """The same matrix in column (gene) order, for slicing out a few genes' figures."""
        return self._incidence_exact_csc if exact else self._incidence_csc

    @cached_property
    def _incidence_csc(self) -> sparse.csc_matrix:
        return self.incidence.tocsc()

    @cached_property
    def _incidence_exact_csc(self) -> sparse.csc_matrix:
        return self.incidence_exact.tocsc()

    def gene_totals(self, exact: bool = False) -> np.ndarray:
        """Number of figures of every gene (computed once; read-only)."""
        return self.memo.get(
            "gene totals", exact, lambda: _read_only(np.diff(self.matrix_by_gene(exact).indptr).astype(np.int64))
        )

    def build_lookups(self) -> None:
        """Build now what the first gene lookup, species question and count would otherwise build (with gunicorn
        --preload, once in the master for every worker)."""
        self._symbol_lookup  # noqa: B018
        self._species_codes  # noqa: B018
        self.gene_totals()

    def figure_sizes(self, exact: bool = False) -> np.ndarray:
        """Number of genes of every figure (computed once; read-only)."""
        return self.memo.get("figure sizes", exact, lambda: _read_only(np.diff(self.matrix(exact).indptr)))

    def text_rank(self, column: str) -> np.ndarray:
        """Each figure's rank in the alphabetical order of a text column (computed once per column; read-only)."""
        return self.memo.get("text rank", column, lambda: _read_only(_alphabetical_rank(self.figures[column])))

    # --- names -------------------------------------------------------------------------------------------------
    def gene_label(self, row: int) -> str:
        """A gene's symbol, or its NCBI id where it has none."""
        return self.symbols[row] or f"GeneID:{self.gene_ids[row]}"

    def gene_row(self, gene_id: int) -> int | None:
        """The row of an NCBI Gene id, or None."""
        pos = int(np.searchsorted(self.gene_ids, gene_id))
        return pos if pos < len(self.gene_ids) and self.gene_ids[pos] == gene_id else None

    def figure_row(self, figid: str) -> int | None:
        """The row of a figure id, or None (a hash lookup: 0.3 µs, where `get_indexer` of one id took 110 µs)."""
        try:
            pos = self.figure_index.get_loc(figid)
        except (KeyError, TypeError, pd.errors.InvalidIndexError):  # not a figure id, nor even one value
            return None
        return int(pos) if isinstance(pos, (int, np.integer)) else None

    @cached_property
    def _symbol_lookup(self) -> dict[str, list[int]]:
        lookup: dict[str, list[int]] = {}
        for row, symbol in enumerate(self.symbols):
            if symbol:
                lookup.setdefault(symbol.casefold(), []).append(row)
        return lookup

    def rows_for_symbol(self, symbol: str) -> list[int]:
        """Genes with exactly this symbol; if none, those with it in any case (TP53 is human, Tp53 rat, tp53 fish)."""
        candidates = self._symbol_lookup.get(symbol.casefold(), [])
        exact = [row for row in candidates if self.symbols[row] == symbol]
        return exact or candidates

    def rows_for_symbol_any_case(self, symbol: str) -> list[int]:
        """Every gene whose symbol is this one in any case, of every species."""
        return self._symbol_lookup.get(symbol.casefold(), [])

    # --- species ------------------------------------------------------------------------------------------------
    @cached_property
    def _species_codes(self) -> tuple[np.ndarray, dict[str, int]]:
        categories = pd.Categorical(self.gene_organisms)
        return categories.codes, {str(name): code for code, name in enumerate(categories.categories)}

    @cached_property
    def species_gene_counts(self) -> dict[str, int]:
        """Species → number of its genes in the corpus, most genes first (genes of no stated species left out)."""
        codes, names = self._species_codes
        counts = np.bincount(codes[codes >= 0], minlength=len(names))
        pairs = [(name, int(counts[code])) for name, code in names.items() if name]
        return dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))

    def species_mask(self, species: str | None) -> np.ndarray:
        """A boolean mask over genes: those of the species (all genes when None)."""
        if species is None:
            return np.ones(self.n_genes, dtype=bool)
        codes, names = self._species_codes
        code = names.get(species)
        return codes == code if code is not None else np.zeros(self.n_genes, dtype=bool)

    @cached_property
    def search_index(self) -> tuple[pa.Array, np.ndarray, np.ndarray, pa.Array]:
        """Lower-cased search keys (symbols, then printed words), their gene rows, which keys are symbols, and
        each key as the user sees it (a printed word in its printed case)."""
        has_symbol = np.flatnonzero(self.symbols != "")
        words = self.tables.words
        word_rows = np.searchsorted(self.gene_ids, words[C.GENE_ID].to_numpy(dtype=np.int64))
        shown = pa.chunked_array(
            [
                pa.array(self.symbols[has_symbol].tolist(), type=pa.large_string()),
                pa.array(words[C.WORD].fillna(""), type=pa.large_string()),
            ]
        ).combine_chunks()
        keys = pc.utf8_lower(shown)
        rows = np.concatenate([has_symbol, word_rows]).astype(np.int32)
        is_symbol = np.concatenate([np.ones(len(has_symbol), bool), np.zeros(len(word_rows), bool)])
        return keys, rows, is_symbol, shown


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _alphabetical_rank(column: pd.Series) -> np.ndarray:
    values = column.fillna("").astype(str).str.casefold().to_numpy(dtype=object)
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.argsort(values, kind="stable")] = np.arange(len(values))
    return rank


def count_years(years: np.ndarray) -> dict[int, int]:
    """Year → how many of these (float) years it is, ascending; NaN (no year) left out."""
    values, counts = np.unique(years[~np.isnan(years)].astype(int), return_counts=True)
    return {int(y): int(n) for y, n in zip(values, counts, strict=True)}


def _organism_matrix(index: dict[str, np.ndarray], n_figures: int) -> sparse.csr_matrix:
    """Figures × organisms incidence, columns in the order of the index."""
    rows = np.concatenate([*index.values(), np.array([], dtype=np.int64)])
    cols = np.repeat(np.arange(len(index)), [len(r) for r in index.values()])
    data = np.ones(len(rows), dtype=np.float32)
    return sparse.csr_matrix((data, (rows, cols)), shape=(n_figures, len(index)))


def _organisms_of_figures(column: pd.Series) -> tuple[list[tuple[str, ...]], dict[str, np.ndarray]]:
    """Each figure's organisms, and each organism's figure rows (ascending; organisms in the order they first
    appear). A corpus has a few hundred distinct organism lists: each is split once, not once per figure."""
    codes, lists = pd.factorize(column.astype(str), sort=False)
    split = [tuple(str(names).split(SEP)) for names in lists]
    figure_organisms = [split[code] for code in codes.tolist()]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(lists) + 1))
    parts: dict[str, list[np.ndarray]] = {}
    for code, names in enumerate(split):  # in order of first appearance, as a pass over the rows meets them
        for name in names:
            parts.setdefault(name, []).append(order[bounds[code] : bounds[code + 1]])
    index = {name: np.sort(np.concatenate(rows)).astype(np.int64) for name, rows in parts.items()}
    return figure_organisms, index


# --- filters ---------------------------------------------------------------------------------------------------
UNSTATED = UNKNOWN_ORGANISM  # the organism of a figure whose record states none, as the loader names it


def filter_figures(
    corpus: Corpus,
    organisms: tuple[str, ...] = (),
    years: tuple[int, int] | None = None,
    unstated: bool = False,
) -> np.ndarray:
    """A boolean mask over figures: any of the organisms (none → all; with `unstated`, also the figures that state
    no organism), year within the range (inclusive; figures without a year are outside any range)."""
    mask = np.ones(corpus.n_figures, dtype=bool)
    if organisms:
        keep = np.zeros(corpus.n_figures, dtype=bool)
        for name in (*organisms, UNSTATED) if unstated else organisms:
            rows = corpus.organism_figures.get(name)
            if rows is not None:
                keep[rows] = True
        mask &= keep
    if years is not None:
        low, high = years
        with np.errstate(invalid="ignore"):
            mask &= (corpus.years >= low) & (corpus.years <= high)
    return mask


def figures_for_genes(
    corpus: Corpus, genes: tuple[int, ...], match: str = "any", mask: np.ndarray | None = None, exact: bool = False
) -> np.ndarray:
    """Figure rows that hold any (or all) of the genes, within the mask, in row order."""
    genes = tuple(dict.fromkeys(genes))  # a gene named twice must not count twice towards "all"
    if not genes:
        return np.array([], dtype=np.int64)
    columns = corpus.matrix_by_gene(exact)[:, list(genes)]
    hits = np.asarray(columns.sum(axis=1)).ravel()
    need = len(genes) if match == "all" else 1
    chosen = hits >= need
    if mask is not None:
        chosen &= mask
    return np.flatnonzero(chosen)


def first_in_order(keys: tuple[np.ndarray, ...], count: int) -> np.ndarray:
    """The positions of the first `count` rows in `np.lexsort(keys)` order (the last key is the primary one),
    without sorting every row: only those whose primary key is within the first `count` are sorted."""
    primary = keys[-1]
    if count <= 0 or not len(primary):
        return np.zeros(0, dtype=np.int64)
    if count < len(primary):
        bound = np.partition(primary, count - 1)[count - 1]
        within = np.flatnonzero(primary <= bound)
    else:
        within = np.arange(len(primary))
    return within[np.lexsort(tuple(key[within] for key in keys))][:count]


def gene_figure_counts(corpus: Corpus, figure_rows: np.ndarray, exact: bool = False) -> np.ndarray:
    """For every gene, the number of the given figures it is in (a figure given twice counts once).

    Only the links of the fewer of the figures and the others are read: a selection's few figures, or every
    figure but a filter's few, cost their own links rather than a pass over all 4.7 M at 110,000 figures."""
    matrix = corpus.matrix(exact)
    chosen = np.zeros(corpus.n_figures, dtype=bool)
    chosen[figure_rows] = True
    inside = int(corpus.figure_sizes(exact)[chosen].sum())
    if inside <= matrix.nnz - inside:
        return _count_genes(matrix, np.flatnonzero(chosen), corpus.n_genes)
    return corpus.gene_totals(exact) - _count_genes(matrix, np.flatnonzero(~chosen), corpus.n_genes)


def _count_genes(matrix: sparse.csr_matrix, rows: np.ndarray, n_genes: int) -> np.ndarray:
    """How many of the rows each gene (column) is in: the rows' stored entries, counted."""
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    before = np.cumsum(lengths) - lengths
    entries = np.repeat(starts - before, lengths) + np.arange(int(lengths.sum()))
    return np.bincount(matrix.indices[entries], minlength=n_genes).astype(np.int64)


def genes_of_figure(corpus: Corpus, figure_row: int, exact: bool = False) -> pd.DataFrame:
    """A figure's genes with the OCR words and sources they were read from, by symbol."""
    indptr = corpus.incidence.indptr
    picked = np.arange(indptr[figure_row], indptr[figure_row + 1])
    if exact:
        picked = picked[corpus.link_exact[picked]]
    links = corpus.links.iloc[picked]
    rows = corpus.incidence.indices[picked]
    table = pd.DataFrame(
        {
            "row": rows,
            C.GENE_ID: corpus.gene_ids[rows],
            C.SYMBOL: [corpus.gene_label(r) for r in rows],
            C.ORGANISM: corpus.gene_organisms[rows],
            C.WORDS: links[C.WORDS].astype(str).str.split(SEP).tolist(),
            C.SOURCES: links[C.SOURCES].astype(str).str.split(SEP).tolist(),
            C.EXACT: links[C.EXACT].to_numpy(dtype=bool),
        }
    )
    return table.sort_values([C.SYMBOL, C.GENE_ID], key=_casefold).reset_index(drop=True)


def _casefold(series: pd.Series) -> pd.Series:
    return series.str.casefold() if series.dtype == object or pd.api.types.is_string_dtype(series) else series


# --- names → genes ----------------------------------------------------------------------------------------------
_TOKEN_SPLIT = re.compile(r"[\s,;]+")


def resolve_genes(corpus: Corpus, tokens: list[str] | str) -> tuple[list[int], list[str]]:
    """Symbols (any case) or NCBI ids → gene rows; returns (rows in order, tokens not recognised)."""
    if isinstance(tokens, str):
        tokens = [t for t in _TOKEN_SPLIT.split(tokens) if t]
    rows: dict[int, None] = {}  # ordered and de-duplicated in linear time
    unknown: list[str] = []
    for token in tokens:
        token = token.strip()
        if not token:
            continue
        found = []
        if is_ascii_digits(token):
            row = corpus.gene_row(int(token))
            found = [row] if row is not None else []
        if not found:
            found = corpus.rows_for_symbol(token)
        if found:
            rows.update(dict.fromkeys(found))
        else:
            unknown.append(token)
    return list(rows), unknown


def search_genes(corpus: Corpus, query: str, limit: int = 20) -> pd.DataFrame:
    """Type-ahead: the gene whose NCBI id the query is, then genes whose symbol or an OCR word starts with the
    query, exact hits and popular genes first."""
    needle = query.strip().lower()
    columns = ["row", C.GENE_ID, C.SYMBOL, C.ORGANISM, C.N_FIGURES, "via"]
    if not needle:
        return pd.DataFrame(columns=columns)
    keys, rows, is_symbol, shown = corpus.search_index
    hits = np.flatnonzero(pc.starts_with(keys, pattern=needle).to_numpy(zero_copy_only=False))
    by_id = corpus.gene_row(int(needle)) if is_ascii_digits(needle) and len(needle) < 19 else None
    if not len(hits) and by_id is None:
        return pd.DataFrame(columns=columns)
    hit_keys = keys.take(pa.array(hits, type=pa.int64())).to_numpy(zero_copy_only=False)
    hit_shown = shown.take(pa.array(hits, type=pa.int64())).to_numpy(zero_copy_only=False)
    hit_rows, hit_symbol = rows[hits], is_symbol[hits]
    # Rank: the NCBI id, whole-key hits before prefix hits, symbols before OCR words, then popular genes first.
    hits = pd.DataFrame(
        {
            "row": np.concatenate([[by_id] if by_id is not None else [], hit_rows]).astype(np.int64),
            "rank": np.concatenate(
                [[-1] if by_id is not None else [], np.where(hit_keys == needle, 0, 2) + np.where(hit_symbol, 0, 1)]
            ),
            "via": np.concatenate([[""] if by_id is not None else [], np.where(hit_symbol, "", hit_shown)]),
        }
    )
    hits[C.N_FIGURES] = corpus.genes[C.N_FIGURES].to_numpy()[hits["row"].to_numpy()]
    hits[C.GENE_ID] = corpus.gene_ids[hits["row"].to_numpy()]
    hits = hits.sort_values(["rank", C.N_FIGURES, C.GENE_ID], ascending=[True, False, True], kind="stable")
    table = hits.drop_duplicates("row").head(limit).reset_index(drop=True)
    found = table["row"].to_numpy()
    table[C.SYMBOL] = [corpus.gene_label(r) for r in found]
    table[C.ORGANISM] = corpus.gene_organisms[found]
    return table[columns]


def organism_figure_counts(corpus: Corpus, mask: np.ndarray) -> dict[str, int]:
    """Organism → number of figures within the mask (organisms with none left out)."""
    counts = corpus.organism_matrix.T @ mask.astype(np.float32)
    return {name: int(n) for name, n in zip(corpus.organism_names, counts, strict=True) if n}


def figure_table(corpus: Corpus, selection: Selection, figure_rows: np.ndarray) -> pd.DataFrame:
    """Figures as table rows: title, year, organisms, number of genes and of chosen genes."""
    n_genes = corpus.figure_sizes(selection.exact)[figure_rows]
    n_chosen = chosen_counts(corpus, selection)[figure_rows]
    # Each column's rows taken on their own: `figures[[title, organisms]]` first copied both whole columns.
    titles = corpus.figures[C.TITLE].iloc[figure_rows]
    organisms = corpus.figures[C.ORGANISMS].iloc[figure_rows]
    return pd.DataFrame(
        {
            C.FIGID: corpus.figids[figure_rows],
            C.TITLE: titles.fillna("").to_numpy(dtype=object),
            C.YEAR: corpus.years[figure_rows],
            C.ORGANISMS: organisms.str.replace(SEP, ", ").to_numpy(dtype=object),
            "n_genes": n_genes,
            "n_chosen": n_chosen,
        }
    )


TABLE_SORT_KEYS = (C.TITLE, C.YEAR, C.ORGANISMS, "n_genes", "n_chosen", C.FIGID)


def order_figures(
    corpus: Corpus,
    selection: Selection,
    figure_rows: np.ndarray,
    column: str | None = None,
    descending: bool = False,
    limit: int | None = None,
) -> np.ndarray:
    """The figure rows sorted by one table column (numbers, or the precomputed rank of a text column); by default
    the figures holding the most chosen genes first, then the newest. Ties keep row order; missing years last.
    With `limit`, only the first `limit` of that order (a table's page: only those are sorted)."""
    keys = _order_keys(corpus, selection, figure_rows, column, descending)
    if limit is None:
        return figure_rows[np.lexsort(keys)]
    return figure_rows[first_in_order(keys, limit)]


def _order_keys(
    corpus: Corpus, selection: Selection, figure_rows: np.ndarray, column: str | None, descending: bool
) -> tuple[np.ndarray, ...]:
    """`order_figures`' sort keys, as `np.lexsort` takes them (the last is the primary one)."""
    if column not in TABLE_SORT_KEYS:
        if selection.genes:
            keys = [-np.nan_to_num(corpus.years[figure_rows], nan=-1), -chosen_counts(corpus, selection)[figure_rows]]
        else:
            keys = [-np.nan_to_num(corpus.years[figure_rows], nan=-1)]
        return (figure_rows, *keys)
    if column == C.YEAR:
        years = corpus.years[figure_rows]
        key = np.where(np.isnan(years), np.inf if not descending else -np.inf, years)
    elif column == "n_genes":
        key = corpus.figure_sizes(selection.exact)[figure_rows].astype(float)
    elif column == "n_chosen":
        key = chosen_counts(corpus, selection)[figure_rows].astype(float)
    else:
        key = corpus.text_rank(column)[figure_rows].astype(float)
    return (figure_rows, -key if descending else key)


def main_species(corpus: Corpus, selection: Selection, figure_rows: np.ndarray) -> str | None:
    """The species a selection is mostly about: that of most chosen genes, else of most links in its figures."""
    codes, names = corpus._species_codes
    if selection.genes:
        weights = np.bincount(codes[list(selection.genes)] + 1, minlength=len(names) + 1)[1:]
    else:
        links = gene_figure_counts(corpus, figure_rows, selection.exact)
        weights = np.bincount(codes + 1, weights=links, minlength=len(names) + 1)[1:]
    by_code = {code: name for name, code in names.items() if name}
    ranked = sorted(by_code, key=lambda code: (-weights[code], by_code[code]))
    return by_code[ranked[0]] if ranked and weights[ranked[0]] > 0 else None


def chosen_counts(corpus: Corpus, selection: Selection) -> np.ndarray:
    """For every figure, how many of the chosen genes it holds."""
    if not selection.genes:
        return np.zeros(corpus.n_figures, dtype=np.int64)
    return np.asarray(corpus.matrix_by_gene(selection.exact)[:, list(selection.genes)].sum(axis=1)).ravel().astype(int)
