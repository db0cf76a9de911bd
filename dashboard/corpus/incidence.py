"""Corpus floor: the figure × gene incidence matrix of a links table — one stored entry per (figure, gene) link.

Built once per process for the analysis floor's `Corpus` (the matrix every whole-corpus question is answered with)
and once per map for the corpus map (`corpusmap`), from the same code: a sparse matrix, never a networkx graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse


class Incidence(NamedTuple):
    """A figure × gene matrix whose stored entries are links, in (figure, gene) order: entry i is link
    `order[i]` of the links given (link i itself when `order` is None: the links were in that order already)."""

    matrix: sparse.csr_matrix
    order: np.ndarray | None


def figure_codes(link_figids: pd.Series, figure_index: pd.Index) -> np.ndarray:
    """Each link's figure row (-1 for a figid not among the figures). The loader stores figids as a categorical
    over the figures' order, so this is a re-coding of small integers, not a pass over millions of strings."""
    if isinstance(link_figids.dtype, pd.CategoricalDtype):
        if not link_figids.cat.categories.equals(figure_index):
            link_figids = link_figids.cat.set_categories(figure_index)
        return link_figids.cat.codes.to_numpy().astype(np.int32)
    return figure_index.get_indexer(link_figids.astype(str)).astype(np.int32)


def link_incidence(
    figids: pd.Index | Sequence[str],
    link_figids: pd.Series,
    link_gene_ids: pd.Series | np.ndarray,
    gene_ids: np.ndarray | None = None,
) -> Incidence:
    """The binary figure × gene matrix of links given by figid and gene id: rows in the order of `figids`, columns
    those of the sorted `gene_ids` (by default, every gene id of the links). A link to a figure or gene not listed
    is left out, and a repeated (figure, gene) link counts once.

    The loader writes links in (figure, gene) order, so for its tables the matrix is assembled from its parts
    without sorting or de-duplicating millions of entries (a warm start's largest cost before).
    """
    figure_index = figids if isinstance(figids, pd.Index) else pd.Index(figids)
    link_genes = (
        link_gene_ids.to_numpy(dtype=np.int64)
        if isinstance(link_gene_ids, pd.Series)
        else np.asarray(link_gene_ids, dtype=np.int64)
    )
    if gene_ids is None:
        gene_ids = np.unique(link_genes)
    figures = figure_codes(link_figids, figure_index)
    # A hash lookup: 4× faster than a binary search of millions of ids into the sorted gene ids.
    genes = pd.Index(gene_ids).get_indexer(link_genes).astype(np.int32)
    order = None
    listed = (figures >= 0) & (genes >= 0)
    if not listed.all():
        order = np.flatnonzero(listed)
        figures, genes = figures[order], genes[order]
    ordered = len(figures) < 2 or bool(
        np.all((figures[1:] > figures[:-1]) | ((figures[1:] == figures[:-1]) & (genes[1:] > genes[:-1])))
    )
    if not ordered:  # tables made by other code: sort once, dropping repeated (figure, gene) pairs
        sort = np.lexsort((genes, figures))
        keep = np.ones(len(sort), dtype=bool)
        keep[1:] = (figures[sort][1:] != figures[sort][:-1]) | (genes[sort][1:] != genes[sort][:-1])
        sort = sort[keep]
        figures, genes = figures[sort], genes[sort]
        order = sort if order is None else order[sort]
    indptr = np.zeros(len(figure_index) + 1, dtype=np.int64)
    np.cumsum(np.bincount(figures, minlength=len(figure_index)), out=indptr[1:])
    data = np.ones(len(genes), dtype=np.float32)
    matrix = sparse.csr_matrix((data, genes, indptr), shape=(len(figure_index), len(gene_ids)), copy=False)
    matrix.has_sorted_indices = True
    return Incidence(matrix, order)
