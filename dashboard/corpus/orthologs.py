"""Corpus floor: the ortholog table the package ships — NCBI HomoloGene's groups of human, mouse, rat, zebrafish,
fly, worm and yeast genes, keyed by NCBI Gene id (made by scripts/make_orthologs.py; its source, version and
licence are in `orthologs.json` beside it).

Genes in one HomoloGene group are orthologs of each other: a group may hold several genes of one species (a
zebrafish duplicate, a rodent expansion), so a gene maps to every gene of the other species in its group — one to
many and many to one are kept, never reduced to one. The table also gives each species' symbols for genes that no
figure of the corpus names (mouse `Trp53`, when the figures read it as human TP53).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TABLE = Path(__file__).with_name("orthologs.tsv.gz")
META = Path(__file__).with_name("orthologs.json")


@dataclass(frozen=True, slots=True)
class Ortholog:
    """One gene of the table."""

    ncbi_id: int
    symbol: str
    species: str


class OrthologTable:
    """HomoloGene groups by gene id and by each species' symbols (case-insensitive), in sorted numpy arrays: a
    lookup is a binary search, and the whole table holds about 15 MB (dicts of 100,000 objects held 80)."""

    def __init__(self, table: pd.DataFrame, meta: dict) -> None:
        names = {int(taxon): name for taxon, name in meta["species"].items()}
        self.source: dict = meta["source"]
        self.species: tuple[str, ...] = tuple(names.values())
        table = table.sort_values("ncbi_id", kind="stable")
        self._ids = table["ncbi_id"].to_numpy(dtype=np.int64)
        self._groups = table["group"].to_numpy(dtype=np.int64)
        self._codes = table["taxon"].map({taxon: code for code, taxon in enumerate(names)}).to_numpy(dtype=np.int8)
        self._symbols = table["symbol"].to_numpy(dtype=object)
        self._by_group = np.argsort(self._groups, kind="stable")
        self._sorted_groups = self._groups[self._by_group]
        keys = np.array(
            [f"{symbol.casefold()}\t{code}" for code, symbol in zip(self._codes, self._symbols, strict=True)],
            dtype=object,
        )
        self._by_key = np.argsort(keys, kind="stable")
        self._sorted_keys = keys[self._by_key]

    def _gene(self, row: int) -> Ortholog:
        return Ortholog(int(self._ids[row]), self._symbols[row], self.species[self._codes[row]])

    def _row(self, ncbi_id: int) -> int | None:
        row = int(np.searchsorted(self._ids, ncbi_id))
        return row if row < len(self._ids) and self._ids[row] == ncbi_id else None

    def describe(self) -> str:
        """The source in a few words, for the page's header and the API's release."""
        return f"{self.source['name']} {self.source['version']}, {self.source['date']}"

    def gene(self, ncbi_id: int) -> Ortholog | None:
        row = self._row(int(ncbi_id))
        return None if row is None else self._gene(row)

    def by_symbols(self, symbols: list[str]) -> list[list[Ortholog]]:
        """For each symbol, the genes of every species with it in any case (two binary searches for them all)."""
        if not symbols:
            return []
        folded = [symbol.casefold() for symbol in symbols]
        # A key is `symbol<TAB>species`: the tab sorts before every character a symbol holds, so one symbol's keys
        # lie between `symbol<TAB>` and `symbol<TAB>~`.
        low = np.searchsorted(self._sorted_keys, np.array([f"{f}\t" for f in folded], dtype=object), side="left")
        high = np.searchsorted(self._sorted_keys, np.array([f"{f}\t~" for f in folded], dtype=object), side="left")
        return [[self._gene(int(r)) for r in self._by_key[lo:hi]] for lo, hi in zip(low, high, strict=True)]

    def by_symbol(self, species: str, symbol: str) -> list[Ortholog]:
        """The species' genes with this symbol in any case; those spelled exactly so first."""
        found = [gene for gene in self.by_symbols([symbol])[0] if gene.species == species]
        return sorted(found, key=lambda gene: gene.symbol != symbol)

    def genes_of(self, species: str) -> list[Ortholog]:
        """Every gene of a species in the table."""
        if species not in self.species:
            return []
        return [self._gene(int(r)) for r in np.flatnonzero(self._codes == self.species.index(species))]

    def orthologs(self, ncbi_id: int, species: str) -> list[Ortholog]:
        """Every gene of `species` in the gene's group (the gene itself when it is of that species)."""
        row = self._row(int(ncbi_id))
        if row is None or species not in self.species:
            return []
        group = self._groups[row]
        low = int(np.searchsorted(self._sorted_groups, group, side="left"))
        high = int(np.searchsorted(self._sorted_groups, group, side="right"))
        code = self.species.index(species)
        members = (self._gene(int(r)) for r in self._by_group[low:high] if self._codes[r] == code)
        return sorted(members, key=lambda g: (g.symbol.casefold(), g.ncbi_id))


def table_species(corpus_species: str | None) -> str | None:
    """The table's name for a species as the corpus names it (`Saccharomyces cerevisiae S288C` → its first two
    words), or None when the table has no genes of it."""
    if not corpus_species:
        return None
    name = " ".join(corpus_species.split()[:2])
    return name if name in read_meta()["species"].values() else None


@functools.cache
def read_meta() -> dict:
    """What the shipped table is: source, version, licence, species, counts."""
    return json.loads(META.read_text())


@functools.cache
def ortholog_table() -> OrthologTable:
    """The shipped table, read once per process (about 0.2 s)."""
    table = pd.read_csv(
        TABLE, sep="\t", dtype={"group": "int64", "taxon": "int64", "ncbi_id": "int64"}, keep_default_na=False
    )
    table["symbol"] = table["symbol"].astype(str)
    return OrthologTable(table, read_meta())
