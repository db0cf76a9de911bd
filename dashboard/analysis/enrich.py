"""Analysis floor: statistics over the incidence matrix — gene-list enrichment, partner genes, similar figures.

Every figure's gene set is tested at once: overlaps are counted from the query genes' columns of the sparse
matrix, set sizes are a matrix–vector product (kept per species), and the one-sided Fisher exact p-value is the
hypergeometric upper tail, `hypergeom.sf(overlap - 1, N, K, n)`, which is what
`scipy.stats.fisher_exact(table, alternative="greater")` computes for the same 2×2 table (here from a table by
recurrence, `_tails_by_recurrence`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.analysis.genelist import GeneList, read_gene_list, resolve_gene_list
from dashboard.analysis.model import (
    Corpus,
    Selection,
    chosen_counts,
    figures_for_genes,
    filter_figures,
    gene_figure_counts,
)
from dashboard.analysis.orthologs import OrthologMap, map_gene_list
from dashboard.corpus import columns as C
from dashboard.corpus.orthologs import table_species

DEFAULT_MIN_SIZE = 3
RESULT_COLUMNS = [
    C.FIGID,
    C.TITLE,
    C.YEAR,
    "overlap",
    "set_size",
    "p_value",
    "fdr",
    "odds_ratio",
    "overlap_genes",
    "overlap_ids",
]


@dataclass(frozen=True)
class Enrichment:
    """The answer to "which figures match my gene list?", within one species."""

    results: pd.DataFrame  # one row per tested figure sharing a gene with the list, sorted by p
    background_size: int
    query_size: int  # query genes found in the background
    unrecognised: list[str]  # entries that name no gene of the corpus (background entries marked so)
    outside_background: list[str]  # genes of the list that are not in the background
    tested: int  # figure gene sets tested, those sharing no gene with the list too: the m of the FDR
    genes: GeneList  # how the list was read: species, ambiguous entries, entries of other species
    background: GeneList | None = None  # how a given background was read (in the list's species)
    query_genes: tuple[str, ...] = ()  # `symbol:NCBI id` of every gene the list names in its species
    orthologs: OrthologMap | None = None  # how a list of another species was mapped (when asked to)

    @property
    def species(self) -> str | None:
        return self.genes.species


SET_SIZES_KEPT = 8  # species per corpus (0.9 MB each at 110,000 figures): the few a server was asked about last


def species_set_sizes(corpus: Corpus, species: str | None, exact: bool = False) -> np.ndarray:
    """Every figure's number of genes of the species (all its genes when None), kept for the species asked about
    last (read-only)."""

    def count() -> np.ndarray:
        counted = np.asarray(corpus.matrix(exact) @ corpus.species_mask(species).astype(np.float32)).ravel()
        counted = counted.astype(np.int64)
        counted.flags.writeable = False
        return counted

    return corpus.memo.get("species set sizes", (species, exact), count, keep=SET_SIZES_KEPT)


SCIPY_UP_TO = 64  # distinct (overlap, margins) triples: this few are scipy's (≤ 20 µs each), not a table's


def upper_tail(
    overlap: np.ndarray,
    total: int,
    drawn: np.ndarray | int,
    successes: np.ndarray | int,
    scipy_up_to: int = SCIPY_UP_TO,
) -> np.ndarray:
    """P(X ≥ overlap) for X ~ Hypergeometric(total, successes, drawn), element-wise.

    Across thousands of figures most (overlap, set size) pairs repeat, so each distinct pair is computed once,
    from a table per distinct pair of margins (`_tails_by_recurrence`), or by scipy's `hypergeom.sf` (~20 µs a
    value) where that table would be too large or there are at most `scipy_up_to` distinct pairs (a gene's 20
    partners: 0.06 ms by scipy, 9 ms by a table as wide as the smaller margin, thousands at 110,000 figures). An
    overlap of 0 has p = 1 exactly.
    """
    overlap = np.asarray(overlap, dtype=np.int64)
    drawn = np.broadcast_to(np.asarray(drawn, dtype=np.int64), overlap.shape)
    successes = np.broadcast_to(np.asarray(successes, dtype=np.int64), overlap.shape)
    result = np.ones(overlap.shape, dtype=float)
    hit = overlap > 0
    if not hit.any():
        return result
    from scipy import stats  # imported on first use: 50 MB and 0.3 s that a start-up need not pay

    pairs = np.stack([overlap[hit], drawn[hit], successes[hit]], axis=1)
    unique, inverse = _unique_rows(pairs)
    if len(unique) <= scipy_up_to:
        p_values = np.full(len(unique), np.nan)
    else:
        p_values = _tails_by_recurrence(unique[:, 0], total, unique[:, 1], unique[:, 2])
    slow = np.isnan(p_values)
    if slow.any():
        p_values[slow] = stats.hypergeom.sf(unique[slow, 0] - 1, total, unique[slow, 2], unique[slow, 1])
    result[hit] = np.clip(p_values, 0.0, 1.0)[inverse.ravel()]
    return result


TAIL_TABLE_CELLS = 2_000_000  # the recurrence's table (distinct margins × the smaller margin) at most


def _tails_by_recurrence(overlap: np.ndarray, total: int, drawn: np.ndarray, successes: np.ndarray) -> np.ndarray:
    """P(X ≥ overlap) for each row, from one table of log-probabilities per distinct pair of margins (NaN where the
    table would be too large or the margins overlap beyond the total: scipy answers those).

    Hypergeometric probabilities are symmetric in the two margins; with s the smaller and b the larger,
    P(X = 0) = prod_{j<s} (1 - b / (total - j)) and P(X = i + 1) / P(X = i) = (s - i)(b - i) / ((i + 1)(total - s -
    b + i + 1)): a row of s + 1 log-probabilities is one cumulative sum, its upper tails one reversed cumulative
    sum (tails below ~1e-308 are 0). For a 200-gene list at 110,000 figures (~53,000 figures with an overlap) scipy
    took 115 ms, the table 10 ms; the two agree to ~1e-12 (a property test checks 1e-9)."""
    out = np.full(len(overlap), np.nan)
    small = np.minimum(drawn, successes)
    margins, row_of = _unique_rows(np.stack([small, np.maximum(drawn, successes)], axis=1))
    row_of = row_of.ravel()
    fits = margins[:, 0] + margins[:, 1] <= total  # else P(X = 0) = 0 and the support starts higher
    width = int(margins[fits, 0].max()) + 1 if fits.any() else 0
    if not fits.any() or fits.sum() * width > TAIL_TABLE_CELLS:
        return out
    s, b = margins[fits, 0][:, None].astype(float), margins[fits, 1][:, None].astype(float)
    i = np.arange(width, dtype=float)[None, :]
    inside = i < s  # steps j < s of the product, and i < s of the ratios
    with np.errstate(divide="ignore", invalid="ignore"):
        start = np.where(inside, np.log1p(-b / (total - i)), 0.0).sum(axis=1, keepdims=True)
        ratio = np.where(inside, np.log((s - i) * (b - i)) - np.log((i + 1) * (total - s - b + i + 1)), 0.0)
    log_pmf = np.concatenate([start, start + np.cumsum(ratio, axis=1)[:, :-1]], axis=1)
    # Upper tails summed from the far end (the small terms first), scaled by each row's largest term.
    peak = log_pmf.max(axis=1, keepdims=True)
    scaled = np.where(i <= s, np.exp(log_pmf - peak), 0.0)
    tail = np.cumsum(scaled[:, ::-1], axis=1)[:, ::-1] * np.exp(peak)
    table_row = np.full(len(margins), -1)
    table_row[fits] = np.arange(int(fits.sum()))
    rows = table_row[row_of]
    usable = (rows >= 0) & (overlap < width)
    out[usable] = tail[rows[usable], overlap[usable]]
    out[(rows >= 0) & (overlap > small)] = 0.0  # beyond the smaller margin: impossible
    return out


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(rows, axis=0, return_inverse=True)` for rows of non-negative integers: each row packed into one
    integer whose order is the rows' lexicographic order (3× faster than sorting rows); the slow way when they
    would not fit in 63 bits."""
    width = rows.shape[1]
    base = int(rows.max()) + 1 if rows.size else 1
    if rows.size == 0 or rows.min() < 0 or base**width >= 2**63:
        return np.unique(rows, axis=0, return_inverse=True)
    keys = rows[:, 0].astype(np.int64)
    for column in range(1, width):
        keys = keys * base + rows[:, column]
    unique, inverse = np.unique(keys, return_inverse=True)
    columns = []
    for _ in range(width):
        unique, column = np.divmod(unique, base)
        columns.append(column)
    return np.stack(columns[::-1], axis=1), inverse


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (FDR), in the input order."""
    if p_values.size == 0:
        return p_values.astype(float)
    from scipy import stats  # see upper_tail

    return stats.false_discovery_control(p_values, method="bh")


def odds_ratios(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Sample odds ratio (a·d)/(b·c) of each 2×2 table, as `fisher_exact` reports it (inf where b·c = 0)."""
    numerator = a.astype(float) * d
    denominator = b.astype(float) * c
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    ratio[(denominator == 0) & (numerator > 0)] = np.inf
    ratio[(denominator == 0) & (numerator == 0)] = np.nan
    return ratio


def _tokens(entries: list[str] | str) -> list[str]:
    return read_gene_list(entries).tokens if isinstance(entries, str) else [str(e) for e in entries]


def enrich(
    corpus: Corpus,
    genes: list[str] | str,
    *,
    species: str | None = None,
    organisms: tuple[str, ...] = (),
    years: tuple[int, int] | None = None,
    unstated: bool = False,
    background: list[str] | str | None = None,
    min_size: int = DEFAULT_MIN_SIZE,
    exact: bool = False,
    limit: int | None = None,
    orthologs: bool = False,
    list_species: str | None = None,
) -> Enrichment:
    """Test every filtered figure's gene set of the list's species for over-representation of the list.

    The list is read in `species` (default: the species most of its entries name). Each figure's gene set is its
    genes of that species; the background is that species' genes in the filtered figures, or the given list
    (read in the same species) within them. The results list the sets sharing a gene with the list, the `limit`
    best (all if None), while the FDR and the count of tests cover every figure tested (Benjamini–Hochberg over
    all tests: leaving out the sets with p = 1 would shrink every FDR).

    With `orthologs`, the entries are read in `list_species` (inferred when None) and mapped to their orthologs in
    `species` (default: the corpus' largest species the ortholog table covers), the background too; `orthologs` of
    the answer lists every mapping.
    """
    mapping = None
    if orthologs:
        species = species or next((s for s in corpus.species_gene_counts if table_species(s)), None)
        mapping = map_gene_list(corpus, _tokens(genes), species or "", list_species)
        query_list = _mapped_list(mapping)
    else:
        query_list = resolve_gene_list(corpus, _tokens(genes), species)
    mask = filter_figures(corpus, organisms, years, unstated)
    figure_rows = np.flatnonzero(mask)
    in_corpus = (gene_figure_counts(corpus, figure_rows, exact) > 0) & corpus.species_mask(query_list.species)
    unrecognised = list(query_list.unrecognised)
    background_list = None
    if background and mapping is not None:
        background_map = map_gene_list(corpus, _tokens(background), mapping.species, mapping.list_species)
        background_list = _mapped_list(background_map)
        unrecognised += [f"{token} (background)" for token, _ in background_map.unmapped]
    elif background and query_list.species is not None:
        background_list = resolve_gene_list(corpus, _tokens(background), query_list.species)
        unrecognised += [f"{token} (background)" for token in background_list.unrecognised]
        universe = np.zeros(corpus.n_genes, dtype=bool)
        universe[list(background_list.rows)] = True
        universe &= in_corpus  # a gene no filtered figure holds cannot be in any tested set
    else:
        universe = in_corpus
    outside = [corpus.gene_label(r) for r in query_list.rows if not universe[r]]
    query = np.array(sorted(r for r in query_list.rows if universe[r]), dtype=np.int64)

    if background_list is None:
        # A filtered figure's genes are all in the filtered figures: its set is its genes of the species, whatever
        # the filters — counted once per species.
        set_size = species_set_sizes(corpus, query_list.species, exact)[figure_rows]
    else:
        # A product over the whole matrix, then the filtered figures' entries: slicing the rows out first copied
        # most of the 4.7 M links at 110,000 figures.
        set_size = np.asarray(corpus.matrix(exact) @ universe.astype(np.float32)).ravel()[figure_rows]
        set_size = set_size.astype(np.int64)
    # The overlaps from the query genes' own columns: their links only, not a product over all 4.7 M.
    overlap = chosen_counts(corpus, Selection(genes=tuple(query.tolist()), exact=exact))[figure_rows]
    tested = set_size >= max(1, int(min_size))
    figure_rows, set_size, overlap = figure_rows[tested], set_size[tested], overlap[tested]

    total = int(universe.sum())
    n_query = len(query)
    p_values = upper_tail(overlap, total, n_query, set_size) if n_query else np.ones(len(overlap))
    a = overlap
    b = set_size - overlap
    c = n_query - overlap
    d = total - set_size - n_query + overlap
    fdr = benjamini_hochberg(p_values)  # over every set tested: one sharing no gene (p = 1) was tested too
    odds = odds_ratios(a, b, c, d)
    # Only the sets sharing a gene with the list are listed (p = 1 tells nothing). Best first: smallest p, then the
    # largest overlap, then corpus order. Text is fetched for the kept rows only.
    listed = np.flatnonzero(overlap > 0)
    keep = listed[np.lexsort((figure_rows[listed], -overlap[listed], p_values[listed]))][:limit]
    rows = figure_rows[keep]
    results = pd.DataFrame(
        {
            "row": rows,
            C.FIGID: corpus.figids[rows],
            C.TITLE: corpus.figures[C.TITLE].iloc[rows].fillna("").to_numpy(dtype=object),
            C.YEAR: corpus.years[rows],
            "overlap": overlap[keep],
            "set_size": set_size[keep],
            "p_value": p_values[keep],
            "fdr": fdr[keep],
            "odds_ratio": odds[keep],
        }
    )
    results["overlap_ids"] = _overlap_rows(corpus, results, query, exact)
    results["overlap_genes"] = [[corpus.gene_label(r) for r in found] for found in results["overlap_ids"]]
    if mapping is not None:
        entries = mapping.entries_by_row()
        results["overlap_entries"] = [[", ".join(entries[r]) for r in found] for found in results["overlap_ids"]]
    results["overlap_ids"] = [[int(corpus.gene_ids[r]) for r in found] for found in results["overlap_ids"]]
    return Enrichment(
        results=results,
        background_size=total,
        query_size=n_query,
        unrecognised=unrecognised,
        outside_background=outside,
        tested=len(figure_rows),
        genes=query_list,
        background=background_list,
        query_genes=tuple(f"{corpus.gene_label(r)}:{corpus.gene_ids[r]}" for r in query_list.rows),
        orthologs=mapping,
    )


def _mapped_list(mapping: OrthologMap) -> GeneList:
    """A mapped list as the genes of the tested species (what was not mapped is in the mapping, said there)."""
    return GeneList(
        species=mapping.species or None,
        inferred=False,
        rows=mapping.rows,
        unrecognised=tuple(entry for entry, _ in mapping.unmapped),
        entries=mapping.entries,
        species_votes=mapping.votes,
    )


def _overlap_rows(corpus: Corpus, results: pd.DataFrame, query: np.ndarray, exact: bool) -> list[list[int]]:
    """Gene rows of the query genes in each figure, ordered by symbol (only figures with an overlap are looked at)."""
    found: list[list[int]] = [[] for _ in range(len(results))]
    hits = np.flatnonzero(results["overlap"].to_numpy() > 0)
    if not len(hits) or not len(query):
        return found
    block = corpus.matrix(exact)[results["row"].to_numpy()[hits]][:, query].tocsr()
    for position, index in enumerate(hits):
        columns = block.indices[block.indptr[position] : block.indptr[position + 1]]
        rows = [int(query[c]) for c in columns]
        found[index] = sorted(rows, key=lambda r: (corpus.gene_label(r).casefold(), corpus.gene_ids[r]))
    return found


def gene_partners(
    corpus: Corpus, gene: int, mask: np.ndarray | None = None, exact: bool = False, limit: int = 20
) -> pd.DataFrame:
    """Genes of the same species sharing figures with this one: shared figures, Jaccard index and hypergeometric p;
    most shared first, then the highest Jaccard index (for the same number shared, the more specific partner), then
    the smaller NCBI id."""
    scope = np.flatnonzero(mask) if mask is not None else np.arange(corpus.n_figures)
    figures = figures_for_genes(corpus, (gene,), "any", mask, exact)
    shared = gene_figure_counts(corpus, figures, exact)
    shared[gene] = 0
    # Partners of the gene's own species: one OCR word read as genes of several species is no partnership.
    partners = np.flatnonzero((shared > 0) & corpus.species_mask(str(corpus.gene_organisms[gene])))
    totals = (gene_figure_counts(corpus, scope, exact) if mask is not None else corpus.gene_totals(exact))[partners]
    together = shared[partners]
    jaccard = together / np.maximum(len(figures) + totals - together, 1)
    # Rank first (most shared, then the most specific), then describe only the partners that are shown.
    top = np.lexsort((corpus.gene_ids[partners], -jaccard, -together))[:limit]
    partners, together, totals, jaccard = partners[top], together[top], totals[top], jaccard[top]
    return pd.DataFrame(
        {
            "row": partners,
            C.GENE_ID: corpus.gene_ids[partners],
            C.SYMBOL: [corpus.gene_label(r) for r in partners],
            C.ORGANISM: corpus.gene_organisms[partners],
            "shared": together,
            "jaccard": jaccard,
            "p_value": upper_tail(together, len(scope), totals, len(figures)),
        }
    )


def similar_figures(corpus: Corpus, figure: int, exact: bool = False, limit: int = 10) -> pd.DataFrame:
    """The figures whose gene sets are most like this one's, by Jaccard index."""
    matrix = corpus.matrix(exact)
    own = matrix.indices[matrix.indptr[figure] : matrix.indptr[figure + 1]]
    # The figure's own genes' columns, summed: far less work and memory than the product of the whole matrix.
    shared = np.asarray(corpus.matrix_by_gene(exact)[:, own].sum(axis=1)).ravel()
    shared[figure] = 0
    candidates = np.flatnonzero(shared)
    sizes = np.diff(matrix.indptr)
    jaccard = shared[candidates] / (sizes[candidates] + len(own) - shared[candidates])
    if len(candidates) > limit > 0:
        # Only figures at least as similar as the limit-th can be listed (ties included): the table and its sort
        # cover those, not every figure sharing a gene (most of the corpus, for a figure with a common gene).
        kth = np.partition(jaccard, len(jaccard) - limit)[len(jaccard) - limit]
        keep = jaccard >= kth
        candidates, jaccard = candidates[keep], jaccard[keep]
    table = pd.DataFrame(
        {
            "row": candidates,
            C.FIGID: corpus.figure_index[candidates].astype(str),
            C.TITLE: corpus.figures[C.TITLE].iloc[candidates].fillna("").to_numpy(dtype=str),
            C.YEAR: corpus.years[candidates],
            "shared": shared[candidates].astype(int),
            "jaccard": jaccard,
        }
    )
    table = table.sort_values(["jaccard", "shared", C.FIGID], ascending=[False, False, True], kind="stable")
    return table.head(limit).reset_index(drop=True)
