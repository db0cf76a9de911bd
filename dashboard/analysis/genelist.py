"""Analysis floor: a user's gene list → NCBI Gene ids of one species.

A gene is an NCBI Gene id with its species; a symbol is only a label, and the same symbol names genes of many
species (TP53 human, Tp53 rat, tp53 zebrafish). A list is therefore read in one species: symbols match it
case-insensitively, a symbol naming several of its genes is listed back as ambiguous, digits are NCBI ids. With no
species given, the list's species is the one most of its entries name.

Pasted text and uploaded files go through `read_gene_list`, which takes the gene column of a table (a DESeq2 result,
symbol + logFC) and never reads the numbers of a numeric column as ids.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from dashboard.analysis.model import Corpus
from dashboard.corpus.numbers import is_ascii_digits

MAX_LIST = 40_000  # entries of a gene list or background: a whole genome (20–30k genes) and then some
MAX_LIST_TEXT = 2_000_000  # characters of a pasted or uploaded list (40,000 long entries and a table's columns)
_FREE_SPLIT = re.compile(r"[\s,;]+")
_QUOTES = "\"'"
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DECIMAL = re.compile(r"[.eE]|^-")
_MISSING = {"", "na", "nan", "n/a", "null", "none", "-", "inf", "-inf"}
_ID_HEADERS = {
    "entrez",
    "entrezid",
    "entrez_id",
    "entrezgene",
    "entrezgene_id",
    "entrez_gene_id",
    "ncbi",
    "ncbi_id",
    "ncbiid",
    "ncbigene",
    "ncbigene_id",
    "ncbi_gene_id",
    "geneid",
    "gene_id",
}
_SYMBOL_HEADERS = {
    "symbol",
    "symbols",
    "gene",
    "genes",
    "gene_symbol",
    "genesymbol",
    "gene_name",
    "genename",
    "hgnc_symbol",
    "mgi_symbol",
    "external_gene_name",
    "name",
}


@dataclass(frozen=True)
class ListText:
    """The entries read from a pasted or uploaded list, and how they were read (for the user)."""

    tokens: list[str]
    note: str | None = None


@dataclass(frozen=True)
class GeneList:
    """A list resolved in one species: the genes found, and every entry that did not name exactly one of them."""

    species: str | None  # None when no entry names a gene of the corpus
    inferred: bool  # the species was chosen from the list, not by the user
    rows: tuple[int, ...]  # gene rows, in the list's order, each once
    unrecognised: tuple[str, ...] = ()  # entries that name no gene of the corpus
    ambiguous: tuple[tuple[str, tuple[int, ...]], ...] = ()  # entry → the genes of the species it could be
    other_species: tuple[tuple[str, tuple[str, ...]], ...] = ()  # entry → the species whose genes it names
    entries: int = 0  # distinct entries read
    species_votes: dict[str, int] = field(default_factory=dict)  # entries naming a gene of each species


def _is_number(cell: str) -> bool:
    return cell.lower() in _MISSING or _NUMBER.fullmatch(cell) is not None


def _numeric(cells: list[str]) -> bool:
    """A column whose non-missing cells are nearly all numbers (at least one)."""
    present = [c for c in cells if c.lower() not in _MISSING]
    return bool(present) and sum(_NUMBER.fullmatch(c) is not None for c in present) >= 0.9 * len(present)


def _header_name(cell: str) -> str:
    return re.sub(r"[\s.\-]+", "_", cell.strip().lower())


def _table_rows(lines: list[str]) -> tuple[list[list[str]], str] | None:
    """Lines split into cells when they form a table (tabs, or commas with a numeric column); else None."""
    if len(lines) < 2:
        return None
    for delimiter in ("\t", ","):
        rows = [[c.strip().strip(_QUOTES).strip() for c in line.split(delimiter)] for line in lines]
        widths = Counter(len(r) for r in rows)
        width, count = widths.most_common(1)[0]
        if width < 2 or count < 0.8 * len(rows):
            continue
        rows = [r for r in rows if len(r) == width]
        data = rows[1:]
        columns = [[r[i] for r in data] for i in range(width)]
        known_header = any(_header_name(c) in _ID_HEADERS | _SYMBOL_HEADERS for c in rows[0])
        if not known_header and not any(_numeric(col) and any(_DECIMAL.search(c) for c in col) for col in columns):
            continue  # "TP53, MDM2" or "TP53<tab>7157" on every line is a list, not a table of measurements
        return rows, delimiter
    return None


def _gene_column(rows: list[list[str]]) -> tuple[int | None, bool]:
    """(index of the gene column, whether the first row is a header)."""
    width = len(rows[0])
    first, data = rows[0], rows[1:]
    columns = [[r[i] for r in data] for i in range(width)]
    names = [_header_name(c) for c in first]
    header = any(n in _ID_HEADERS | _SYMBOL_HEADERS for n in names) or any(
        not _is_number(first[i]) and _numeric(columns[i]) for i in range(width)
    )
    if not header:
        columns = [[r[i] for r in rows] for i in range(width)]
    else:
        for i, name in enumerate(names):
            if name in _ID_HEADERS and all(is_ascii_digits(c) or c.lower() in _MISSING for c in columns[i]):
                return i, True
        for i, name in enumerate(names):
            if name in _SYMBOL_HEADERS and not _numeric(columns[i]):
                return i, True
    for i, cells in enumerate(columns):
        if not _numeric(cells):
            return i, header
    for i, cells in enumerate(columns):  # only numbers: a column of whole numbers can be ids, never decimals
        present = [c for c in cells if c.lower() not in _MISSING]
        if present and all(is_ascii_digits(c) for c in present):
            return i, header
    return None, header


def read_gene_list(text: str) -> ListText:
    """The gene entries of pasted or uploaded text: the gene column of a table, else every word of a free list.
    Lines starting with `#` are comments; each entry is kept once, in order."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    table = _table_rows(lines)
    if table is None:
        tokens = [t.strip(_QUOTES) for line in lines for t in _FREE_SPLIT.split(line)]
        return ListText(list(dict.fromkeys(t for t in tokens if t)))
    rows, delimiter = table
    column, header = _gene_column(rows)
    kind = "tab" if delimiter == "\t" else "comma"
    if column is None:
        return ListText([], f"A {kind}-separated table with no gene column (every column holds numbers).")
    body = rows[1:] if header else rows
    tokens = list(dict.fromkeys(r[column] for r in body if r[column] and r[column].lower() not in _MISSING))
    name = f"'{rows[0][column][:40]}'" if header and rows[0][column] else f"{column + 1}"
    note = f"Read column {name} of a {kind}-separated table ({len(body):,} rows, {len(rows[0])} columns)."
    return ListText(tokens, note)


def _candidates(corpus: Corpus, token: str) -> list[int]:
    """Every gene an entry could name: the gene of an NCBI id, else the genes with the symbol in any case."""
    if is_ascii_digits(token):
        row = corpus.gene_row(int(token))
        if row is not None:
            return [row]
    return corpus.rows_for_symbol_any_case(token)


def resolve_gene_list(corpus: Corpus, tokens: list[str], species: str | None = None) -> GeneList:
    """Entries → genes of one species (the given one, else the one most entries name). Linear in the entries."""
    entries = list(dict.fromkeys(t.strip() for t in tokens if t and t.strip()))
    candidates = {token: _candidates(corpus, token) for token in entries}
    votes: Counter[str] = Counter()
    for rows in candidates.values():
        votes.update({corpus.gene_organisms[r] for r in rows if corpus.gene_organisms[r]})
    inferred = not species
    if inferred and votes:
        sizes = corpus.species_gene_counts
        species = max(votes, key=lambda s: (votes[s], sizes.get(s, 0), s))
    found: dict[int, None] = {}
    unrecognised: list[str] = []
    ambiguous: list[tuple[str, tuple[int, ...]]] = []
    other: list[tuple[str, tuple[str, ...]]] = []
    for token in entries:
        rows = candidates[token]
        if not rows:
            unrecognised.append(token)
            continue
        mine = [r for r in rows if corpus.gene_organisms[r] == species]
        if len(mine) > 1:  # two genes of the species differ only in case: the exact spelling decides
            mine = [r for r in mine if corpus.symbols[r] == token] or mine
        if len(mine) == 1:
            found.setdefault(mine[0], None)
        elif mine:
            ambiguous.append((token, tuple(mine)))
        else:
            other.append((token, tuple(sorted({corpus.gene_organisms[r] or "unknown species" for r in rows}))))
    return GeneList(
        species=species or None,
        inferred=inferred,
        rows=tuple(found),
        unrecognised=tuple(unrecognised),
        ambiguous=tuple(ambiguous),
        other_species=tuple(other),
        entries=len(entries),
        species_votes=dict(votes.most_common()),
    )


def describe_gene_list(corpus: Corpus, genes: GeneList, limit: int = 30) -> list[str]:
    """Sentences for the user: the species and how it was chosen, then every entry that was not used and why."""

    def shown(items: list[str]) -> str:
        return ", ".join(items[:limit]) + (f" … ({len(items) - limit:,} more)" if len(items) > limit else "")

    if genes.species is None:
        return ["None of the entries names a gene of this corpus."] if genes.entries else []
    how = (
        f"named by {genes.species_votes.get(genes.species, 0):,} of {genes.entries:,} entries"
        if genes.inferred
        else "as chosen"
    )
    notes = [f"Species: {genes.species}, {how}; {len(genes.rows):,} gene(s) found."]
    if genes.ambiguous:
        items = [
            f"{token} ({' or '.join(f'{corpus.gene_label(r)} {corpus.gene_ids[r]}' for r in rows[:4])})"
            for token, rows in genes.ambiguous
        ]
        notes.append(f"Ambiguous, not used — give the NCBI id ({len(items):,}): {shown(items)}.")
    if genes.other_species:
        items = [f"{token} ({', '.join(species[:3])})" for token, species in genes.other_species]
        notes.append(f"Only in other species, not used ({len(items):,}): {shown(items)}.")
    if genes.unrecognised:
        notes.append(f"Not recognised ({len(genes.unrecognised):,}): {shown(list(genes.unrecognised))}.")
    return notes
