"""Analysis floor: a user's gene list → NCBI Gene ids of one species.

A gene is an NCBI Gene id with its species; a symbol is only a label, and the same symbol names genes of many
species (TP53 human, Tp53 rat, tp53 zebrafish). A list is therefore read in one species: symbols match it
case-insensitively, a symbol naming several of its genes is listed back as ambiguous, digits are NCBI ids. With no
species given, the list's species is the one most of its entries name.

Pasted text and uploaded files go through `read_gene_list`, which reads a table with the `csv` module (quoted cells
holding delimiters or line breaks, a byte order mark; tab, comma or semicolon, found with `csv.Sniffer`), takes its
gene column (a DESeq2 result, symbol + logFC, an Excel export) and never reads the numbers of a numeric column as ids.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from dashboard.analysis.model import Corpus
from dashboard.corpus.numbers import is_ascii_digits

MAX_LIST = 40_000  # entries of a gene list or background: a whole genome (20–30k genes) and then some
MAX_LIST_TEXT = 2_000_000  # characters of a pasted or uploaded list (40,000 long entries and a table's columns)
_FREE_SPLIT = re.compile(r"[\s,;]+")
_QUOTES = "\"'"
# A decimal point or comma: a `;`-separated table from a European Excel writes 2,1 for 2.1.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
_DECIMAL = re.compile(r"[.,eE]|^-")
_DELIMITERS = "\t,;"
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}
SNIFF_LINES, SNIFF_CHARS = 20, 2_000  # the sample csv.Sniffer reads (its time grows with the square of it)
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


def _is_comment(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _csv_rows(text: str, delimiter: str) -> list[list[str]] | None:
    """The records of the text read as CSV with this delimiter, each cell stripped; None if csv cannot read it.

    Blank and `#` lines are skipped where a record starts, never inside a quoted field (a line of a note there
    may start with `#`): csv asks for the next physical line itself, so the reader's own state decides."""
    starting = True

    def lines():
        nonlocal starting
        for line in io.StringIO(text, newline=""):
            if starting and _is_comment(line):
                continue
            starting = False
            yield line

    rows = []
    try:
        for record in csv.reader(lines(), delimiter=delimiter):
            starting = True
            rows.append([cell.strip().strip(_QUOTES).strip() for cell in record])
    except csv.Error:  # a field beyond csv's size limit (a long one-line list), a NUL
        return None
    return rows


def _delimiters(text: str) -> list[str]:
    """The delimiters to try, most likely first: a tab wherever the text holds one (a TSV's descriptions often hold
    commas, a CSV's rarely tabs), then what `csv.Sniffer` makes of the first lines, then the others."""
    sample: list[str] = []
    size = 0
    for line in io.StringIO(text, newline=""):
        if _is_comment(line):
            continue
        sample.append(line)
        size += len(line)
        if len(sample) >= SNIFF_LINES or size >= SNIFF_CHARS:
            break
    try:  # the Sniffer's regular expressions take time quadratic in the sample: a few lines are plenty
        sniffed = csv.Sniffer().sniff("".join(sample)[:SNIFF_CHARS], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    order = ["\t", sniffed, *_DELIMITERS] if "\t" in text else [sniffed, *_DELIMITERS]
    return [d for d in dict.fromkeys(order) if d is not None and d in text]


def _table_rows(text: str) -> tuple[list[list[str]], str, int] | None:
    """The text's records when they form a table (a known gene-column name in the header, a column of decimals,
    or quoted cells holding the delimiter or a line break): (rows of the common width, delimiter, rows of another
    width left out); else None."""
    for delimiter in _delimiters(text):
        rows = _csv_rows(text, delimiter)
        if rows is None or len(rows) < 2:
            continue
        widths = Counter(len(r) for r in rows[1:])
        width = widths.most_common(1)[0][0]
        if len(rows[0]) == width - 1:  # R's write.table: no header cell over the row names
            rows[0] = ["", *rows[0]]
        count = sum(len(r) == width for r in rows)
        if width < 2 or count < 0.8 * len(rows):
            continue
        kept = [r for r in rows if len(r) == width]
        columns = [[r[i] for r in kept[1:]] for i in range(width)]
        known_header = any(_header_name(c) in _ID_HEADERS | _SYMBOL_HEADERS for c in kept[0])
        decimals = any(_numeric(col) and any(_DECIMAL.search(c) for c in col) for col in columns)
        quoted = any(delimiter in c or "\n" in c or "\r" in c for r in kept for c in r)
        if not (known_header or decimals or quoted):
            continue  # "TP53, MDM2" or "TP53<tab>7157" on every line is a list, not a table of measurements
        return kept, delimiter, len(rows) - len(kept)
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
    """The gene entries of pasted or uploaded text: the gene column of a table (read as CSV, tab-, comma- or
    semicolon-separated), else every word of a free list. Lines starting with `#` are comments; a byte order mark
    is dropped; each entry is kept once, in order."""
    text = text.removeprefix("\ufeff")
    table = _table_rows(text)
    if table is None:
        return _free_list(text)
    rows, delimiter, left_out = table
    column, header = _gene_column(rows)
    kind = _DELIMITER_NAMES[delimiter]
    if column is None:
        return ListText([], f"A {kind}-separated table with no gene column (every column holds numbers).")
    body = rows[1:] if header else rows
    tokens = list(dict.fromkeys(r[column] for r in body if r[column] and r[column].lower() not in _MISSING))
    name = f"'{rows[0][column][:40]}'" if header and rows[0][column] else f"{column + 1}"
    note = f"Read column {name} of a {kind}-separated table ({len(body):,} rows, {len(rows[0])} columns)."
    if left_out:
        note += f" Left out {left_out:,} row(s) with another number of columns."
    return ListText(tokens, note)


def _free_list(text: str) -> ListText:
    """Every word of a list (newlines, commas, semicolons, spaces or tabs between entries); a first line that is
    only a gene-column name (`Gene symbol`) is its header, not an entry."""
    lines = [line for line in text.splitlines() if not _is_comment(line)]
    note = None
    if lines and _header_name(lines[0].strip().strip(_QUOTES)) in _ID_HEADERS | _SYMBOL_HEADERS:
        note = f"Read the list under its header '{lines[0].strip().strip(_QUOTES)[:40]}'."
        lines = lines[1:]
    tokens = [t.strip(_QUOTES) for line in lines for t in _FREE_SPLIT.split(line)]
    return ListText(list(dict.fromkeys(t for t in tokens if t)), note)


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


def shown_entries(items: list[str], limit: int = 30) -> str:
    """The first `limit` items of a message's list, joined, and how many more there are."""
    return ", ".join(items[:limit]) + (f" … ({len(items) - limit:,} more)" if len(items) > limit else "")


def how_chosen(inferred: bool, named: int, entries: int) -> str:
    """How a list's species was chosen, for a message: by the entries that name its genes, or by the user."""
    return f"named by {named:,} of {entries:,} entries" if inferred else "as chosen"


def describe_gene_list(corpus: Corpus, genes: GeneList, limit: int = 30) -> list[str]:
    """Sentences for the user: the species and how it was chosen, then every entry that was not used and why."""

    if genes.species is None:
        return ["None of the entries names a gene of this corpus."] if genes.entries else []
    how = how_chosen(genes.inferred, genes.species_votes.get(genes.species, 0), genes.entries)
    notes = [f"Species: {genes.species}, {how}; {len(genes.rows):,} gene(s) found."]
    if genes.ambiguous:
        items = [
            f"{token} ({' or '.join(f'{corpus.gene_label(r)} {corpus.gene_ids[r]}' for r in rows[:4])})"
            for token, rows in genes.ambiguous
        ]
        notes.append(f"Ambiguous, not used — give the NCBI id ({len(items):,}): {shown_entries(items, limit)}.")
    if genes.other_species:
        items = [f"{token} ({', '.join(species[:3])})" for token, species in genes.other_species]
        notes.append(f"Only in other species, not used ({len(items):,}): {shown_entries(items, limit)}.")
    if genes.unrecognised:
        unrecognised = shown_entries(list(genes.unrecognised), limit)
        notes.append(f"Not recognised ({len(genes.unrecognised):,}): {unrecognised}.")
    return notes
