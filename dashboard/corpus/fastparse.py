"""Corpus floor: the fast path of the cold ingest — front matter read by rapidyaml, genes side files read column-wise
by pyarrow, and a run's links built as arrays.

Every function here gives exactly what the reference path of `records.py` (libyaml, then row by row) gives, or
declines: `read_front_matter` returns None for a text it cannot vouch for (the caller reads it with libyaml and
counts it), and `read_gene_files` hands back the side files it cannot read column-wise. What rapidyaml reads
differently from libyaml (tabs, control characters, escapes, anchors, tags, directives, document markers, a
scalar that JSON would type, very deep or very large documents) is declined before or after parsing.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from dashboard.corpus.records import (
    EXACT_SOURCES,
    MISSING,
    SEP,
    TSV_COLUMNS,
    UNUSED_KEYS,
    RecordError,
    clean_text,
    printed_word,
    tsv_header,
)

log = logging.getLogger(__name__)

try:
    import ryml
except ImportError:  # the reference path reads every record then
    ryml = None
    log.warning("rapidyaml (module ryml) is not installed: front matter is read by libyaml only")

NONE = 2**64 - 1  # rapidyaml's "no node"
MAX_FAST_CHARS = 256 * 1024  # longer front matter goes to libyaml, which bounds its nodes

# What rapidyaml reads otherwise than libyaml, or libyaml refuses, found by cheap checks before parsing (each a
# single scan; Python's regular expressions cost ~5 ns a character, too much here). Measured against libyaml by
# tests/test_fastparse.py. (rapidyaml refuses nesting deeper than a few dozen levels itself.)
# Bytes allowed anywhere: YAML's printable ASCII and newline, less the backslash (double-quoted escapes); tabs,
# carriage returns and other control characters are declined.
_ALLOWED_BYTES = b"\n" + bytes(range(0x20, 0x7F)).replace(b"\\", b"") + bytes(range(0x80, 0x100))
# Non-ASCII characters outside YAML's printable set (C1 controls, BOM, U+FFFE/F) or read as line breaks by libyaml
# (NEL, U+2028/9).
_BAD_CHARACTERS = (*(chr(c) for c in range(0x80, 0xA0)), "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff")
# Directives, complex keys, document markers, anchors, tags and colons at a line start, deep indentation.
_LINE_STARTS = re.compile(rb"\n(?:[%?&!:]|---|\.\.\.| {40}| +:)")
_FIRST_LINE_STARTS = (b"%", b"?", b"---", b"...", b"&", b"!", b":", b" ")
# Where a token starts after an indicator: anchors and tags there are dropped by rapidyaml (a bad one is
# libyaml's error); block scalars there are left to libyaml.
_TOKEN_PREFIXES = (b"- ", b"? ", b": ", b", ", b"[ ", b"{ ", b"  ")
_BLOCK_PREFIXES = (b"- ", b"? ", b": ")
# After parsing, in the JSON emitted: a string value that starts with a character no plain YAML scalar starts
# with (an alias rapidyaml kept as text, or a scalar libyaml refuses), and a scalar written unquoted as a JSON
# constant (libyaml keeps `true` or an empty value as text; json.loads would not). Matched inside strings too: a
# false alarm costs speed only.
_JSON_STARTS = re.compile(r'"[*@`\]}%](?<=[\[,{ ]"[*@`\]}%])')
_JSON_CONSTANT = re.compile(r"[:\[,]\s*(?:true|false|null)\b")
# Top-level keys removed from rapidyaml's tree before it is emitted: those the reference blanks, and the scores no
# field is built from (numbers, which the JSON emitter may rewrite: `0.` as 0.0).
NOT_READ = (*(key[:-1] for key in UNUSED_KEYS), "pathway_score", "automl_pathway", "pmc_ranked_result_index")
_UNUSED = tuple(key.encode() for key in NOT_READ)


def _any_after(data: bytes, characters: bytes, prefixes: tuple[bytes, ...], flow: bool) -> bool:
    """Whether one of `characters` comes right after one of `prefixes` (or, with `flow`, a flow indicator or the
    start); spaces beyond the prefix's own are counted as a prefix too."""
    for character in characters:
        position = data.find(character)
        while position >= 0:
            if flow and (position == 0 or data[position - 1] in b"\n[{,"):
                return True
            before = data[max(0, position - 3) : position]
            if before[-2:] in prefixes or (len(before) == 3 and before[0:1] + before[2:] in prefixes):
                return True
            position = data.find(character, position + 1)
    return False


def declines(text: str, data: bytes) -> bool:
    """Whether the front matter (`text`, and `data` its UTF-8) holds anything rapidyaml may read otherwise than
    libyaml."""
    if data.translate(None, _ALLOWED_BYTES):
        return True
    if not text.isascii() and any(c in text for c in _BAD_CHARACTERS):
        return True
    if data.startswith(_FIRST_LINE_STARTS) or _LINE_STARTS.search(data):
        return True
    if _any_after(data, b"&!", _TOKEN_PREFIXES, flow=True) or _any_after(data, b"|>", _BLOCK_PREFIXES, False):
        return True
    return _colon_in_flow(data)


def _colon_in_flow(data: bytes) -> bool:
    """Whether a `:` follows a `[` or `{` on its line (flow mappings and colons in flow scalars, which the two
    parsers read differently)."""
    for bracket in b"[{":
        position = data.find(bracket)
        while position >= 0:
            end = data.find(b"\n", position)
            if data.find(b":", position, end if end >= 0 else len(data)) >= 0:
                return True
            position = data.find(bracket, position + 1)
    return False


def _emitted_declines(emitted: str) -> bool:
    """Whether the JSON rapidyaml emitted may hold a value libyaml reads otherwise."""
    if '"": ' in emitted or _JSON_STARTS.search(emitted):  # an empty key: libyaml refuses a plain one
        return True
    return ("true" in emitted or "false" in emitted or "null" in emitted) and _JSON_CONSTANT.search(emitted) is not None


class Declined(Exception):
    """A run holds what only the reference reader reads right (the caller reads the run that way)."""


def _refuse_constant(name: str) -> object:
    raise ValueError(name)


# Integers kept as their text (as libyaml's base loader keeps every scalar); other numbers refused.
_JSON = json.JSONDecoder(parse_int=str, parse_float=_refuse_constant, parse_constant=_refuse_constant)


def read_front_matter(front_matter: str) -> dict | None:
    """The front matter (the YAML between the `---` lines) as `records.parse_front_matter` reads it, or None where
    rapidyaml's reading cannot be vouched for (the caller reads it with libyaml)."""
    data = front_matter.encode()
    if ryml is None or len(data) > MAX_FAST_CHARS or declines(front_matter, data):
        return None
    try:
        tree = ryml.parse_in_arena(data)
        root = tree.root_id()
        if not tree.is_map(root):
            return None
        for key in _UNUSED:
            node = tree.find_child(root, key)
            while node != NONE:
                tree.remove(node)
                node = tree.find_child(root, key)
        emitted = _emit_json(tree)
    except Exception:  # any refusal of rapidyaml's makes a record for libyaml, which words the error
        return None
    if _emitted_declines(emitted):
        return None
    try:
        # Integers are emitted as written; other numbers may not be (`.5` as 0.5): declined.
        meta = _JSON.decode(emitted)
    except ValueError:
        return None
    return meta if isinstance(meta, dict) and meta else None  # an empty mapping: libyaml words the refusal


_EMITTED = threading.local()  # each thread's output buffer for `_emit_json`, reused record after record


def _emit_json(tree: object) -> str:
    """The tree as JSON text. `ryml.emit_json` never frees the buffer it emits into (~6 KB a record: 300 MB in
    each parsing worker at 110,000 figures); this emits into a buffer of ours, kept and reused, and decodes as
    `ryml.emit_json` does."""
    buffer = getattr(_EMITTED, "buffer", None) or bytearray(64 * 1024)
    failed, size = ryml.emit_json_to_substr(tree, tree.root_id(), buffer)
    if failed:
        buffer = bytearray(max(size, 2 * len(buffer)))
        failed, size = ryml.emit_json_to_substr(tree, tree.root_id(), buffer)
    _EMITTED.buffer = buffer
    return str(memoryview(buffer)[:size], "utf-8", "surrogateescape")


# Genes side files. The reference splits lines with str.splitlines and strips cells with str.strip: a file holding
# any other white space than spaces, tabs and newlines (a carriage return, U+2028, no-break space …), or a digit
# that is not ASCII (Python's \d matches it, RE2's does not), is read by the reference instead.
# Every character str.isspace() takes but space, tab and newline (written out: computing it costs 60 ms an import).
_WHITE = (
    "\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_ASCII_WHITE = tuple(c for c in _WHITE if c.isascii())
_OTHER_WHITE = re.compile(f"[{re.escape(_WHITE)}]")


def _tsv_declines(text: str) -> bool:
    """Whether a side file holds white space that the reference reads its own way (non-ASCII digits in an id
    column are caught after reading)."""
    if text.isascii():
        return any(c in text for c in _ASCII_WHITE)
    return _OTHER_WHITE.search(text) is not None


_GENE_ID = r"^[0-9]{1,15}$"
_ANY_DIGITS = re.compile(r"\d{1,15}")  # what the reference takes for an id (Python's \d: any script's digits)
_LINE_START = re.compile(rb"^(?=.)", re.MULTILINE)


_SOURCE_LABELS: dict[str, str] = {}  # a front-matter gene source → its label, as `_front_matter_genes` cleans it
_SOURCE_LABELS_KEPT = 4096


def _source_labels(sources: list) -> list[str] | None:
    """Front-matter gene sources cleaned as `records._front_matter_genes` cleans them, or None if one is not a
    string. Sources are a small vocabulary, each cleaned once."""
    try:
        return [_SOURCE_LABELS[source] for source in sources]
    except KeyError:
        pass
    except TypeError:  # a list or a mapping
        return None
    if len(_SOURCE_LABELS) > _SOURCE_LABELS_KEPT:
        _SOURCE_LABELS.clear()
    for source in sources:
        if type(source) is not str:
            return None
        if source not in _SOURCE_LABELS:
            _SOURCE_LABELS[source] = (
                ("" if source in MISSING else source) if source.isalnum() else clean_text(source) or ""
            )
    try:
        return [_SOURCE_LABELS[source] for source in sources]
    except KeyError:  # cleared meanwhile by another thread's run: the entry-by-entry reading then
        return None


def front_matter_genes(value: object) -> tuple[list[int], list[str], list[str], list[str]] | None:
    """Older-schema front-matter genes as columns (gene ids, symbols, words, sources; every one human), exactly as
    `records._front_matter_genes` reads them, or None where an entry needs that entry-by-entry reading (an entry
    without a plain numeric id or an alphanumeric symbol, a word holding a tab, a value that is not a string).
    Each check covers a whole column at once."""
    if not isinstance(value, list) or not value:
        return None
    try:
        ids = [entry["entrez"] for entry in value]
        symbols = [entry["hgnc_symbol"] for entry in value]
        words = [entry["word"] for entry in value]
        sources = [entry["source"] for entry in value]
        joined_ids = "".join(ids)
        if not (joined_ids.isascii() and joined_ids.isdigit() and min(map(len, ids)) > 0 and max(map(len, ids)) <= 15):
            return None
        if not (all(map(str.isalnum, symbols)) and MISSING.isdisjoint(symbols)):
            return None
        if SEP in "".join(words):
            return None
    except (TypeError, KeyError):  # an entry that is not a mapping, lacks a key, or holds other than strings
        return None
    labels = _source_labels(sources)
    if labels is None:
        return None
    return list(map(int, ids)), symbols, [word.strip() for word in words], labels


class GeneMentions:
    """A run's gene mentions as columns, in mention order: figure row, gene id, symbol, organism, printed word,
    source. Mentions read row by row are gathered in lists and turned into columns once."""

    def __init__(self) -> None:
        self.figure_rows: list[np.ndarray] = []
        self.gene_ids: list[np.ndarray] = []
        self.strings: dict[str, list[pa.Array]] = {"symbol": [], "organism": [], "word": [], "source": []}
        # Mentions not yet columns: figure rows, gene ids, symbols, organisms, words, sources.
        self.pending: tuple[list, ...] = ([], [], [], [], [], [])

    def add_rows(self, figure_row: int, rows: Sequence[tuple[int, str, str, str, str]]) -> None:
        """Mentions read row by row (front-matter genes, or a side file the fast path declined)."""
        if rows:
            self.add_lists(figure_row, *zip(*rows, strict=True))

    def add_lists(self, figure_row: int, *columns: Sequence) -> None:
        """A figure's mentions as lists: gene ids, symbols, organisms, words, sources."""
        figure_rows, *lists = self.pending
        figure_rows.extend([figure_row] * len(columns[0]))
        for pending, column in zip(lists, columns, strict=True):
            pending.extend(column)

    def flush_rows(self) -> None:
        """The mentions gathered by `add_rows` and `add_lists` as columns, after those added before."""
        figure_rows, gene_ids, *strings = self.pending
        if not figure_rows:
            return
        self.add_columns(
            np.array(figure_rows, dtype=np.int64),
            np.array(gene_ids, dtype=np.int64),
            *(pa.array(column, type=pa.large_string()) for column in strings),
        )
        self.pending = ([], [], [], [], [], [])

    def add_columns(
        self,
        figure_rows: np.ndarray,
        gene_ids: np.ndarray,
        symbols: pa.Array,
        organisms: pa.Array,
        words: pa.Array,
        sources: pa.Array,
    ) -> None:
        self.figure_rows.append(figure_rows)
        self.gene_ids.append(gene_ids)
        for name, column in zip(self.strings, (symbols, organisms, words, sources), strict=True):
            self.strings[name].append(column.cast(pa.large_string()))


def read_gene_files(
    files: Sequence[tuple[int, str]], mentions: GeneMentions
) -> tuple[dict[int, int], dict[int, int], list[tuple[int, str]]]:
    """Genes side files (figure row, text) read column-wise into `mentions`. Returns the TSV rows skipped (no numeric
    id) and the rows with a wrong number of cells, by figure row, and the files left to the reference reader
    (`records.read_tsv`), which also words every error."""
    mentions.flush_rows()  # the front-matter genes come before the side files' in each figure
    groups: dict[tuple[int, tuple[int, ...]], list[bytes]] = {}
    declined: list[tuple[int, str]] = []
    for figure_row, text in files:
        if not text or _tsv_declines(text):
            declined.append((figure_row, text))
            continue
        end = text.find("\n")
        try:
            index, width = tsv_header(text if end < 0 else text[:end], "genes")
        except RecordError:
            declined.append((figure_row, text))
            continue
        body = b"" if end < 0 else text[end + 1 :].encode()
        if not body:
            continue
        if not body.endswith(b"\n"):
            body += b"\n"
        groups.setdefault((width, index), []).append(_LINE_START.sub(b"%d\t" % figure_row, body))
    skipped: dict[int, int] = {}
    ragged: dict[int, int] = {}
    for (width, index), bodies in groups.items():
        table = _read_prefixed(b"".join(bodies), width, index, ragged)
        _add_gene_table(table, mentions, skipped)
    return skipped, ragged, declined


def _read_prefixed(data: bytes, width: int, index: tuple[int, ...], ragged: dict[int, int]) -> pa.Table:
    """Rows of concatenated side-file bodies, each line prefixed by its figure row: the wanted cells, as text."""
    names = ["row", *(f"c{i}" for i in range(width))]
    wanted = ["row", *dict.fromkeys(f"c{i}" for i in index)]

    def count_ragged(row: pv.InvalidRow) -> str:
        figure_row = int(row.text.split("\t", 1)[0])
        ragged[figure_row] = ragged.get(figure_row, 0) + 1
        return "skip"

    table = pv.read_csv(
        pa.py_buffer(data),
        read_options=pv.ReadOptions(column_names=names, use_threads=False, block_size=max(1 << 20, len(data) + 1)),
        parse_options=pv.ParseOptions(
            delimiter="\t",
            quote_char=False,
            double_quote=False,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=True,
            invalid_row_handler=count_ragged,
        ),
        convert_options=pv.ConvertOptions(
            column_types={name: pa.int64() if name == "row" else pa.large_string() for name in names},
            include_columns=wanted,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    )
    columns = {name: pc.utf8_trim(table[name], " ") if name != "row" else table[name] for name in wanted}
    return pa.table(
        {
            "row": columns["row"],
            **{kind: columns[f"c{i}"] for kind, i in zip(TSV_COLUMNS["genes"], index, strict=True)},
        }
    )


def _add_gene_table(table: pa.Table, mentions: GeneMentions, skipped: dict[int, int]) -> None:
    """Genes TSV rows → mentions, as `records.tsv_genes` makes them; rows without a numeric id are counted."""
    has_id = pc.match_substring_regex(table["ncbigene_id"], _GENE_ID)
    figure_rows = table["row"].to_numpy()
    no_id = ~has_id.to_numpy(zero_copy_only=False)
    if no_id.any() and any(map(_ANY_DIGITS.fullmatch, table["ncbigene_id"].filter(pa.array(no_id)).to_pylist())):
        raise Declined("a gene id in digits that are not ASCII")
    lacking = figure_rows[no_id]
    for figure_row, count in zip(*np.unique(lacking, return_counts=True), strict=True):
        skipped[int(figure_row)] = skipped.get(int(figure_row), 0) + int(count)
    table = table.filter(has_id)
    if table.num_rows == 0:
        return
    symbols = table["ncbigene_symbol"]
    symbols = pc.if_else(pc.is_in(symbols, value_set=pa.array(sorted(MISSING), pa.large_string())), "", symbols)
    words, matches = table["word"], table["match"]
    # The printed word differs from the raw word cell only where the match is given and is not the cell itself.
    differs = pc.and_(
        pc.invert(pc.is_in(matches, value_set=pa.array(sorted(MISSING), pa.large_string()))),
        pc.not_equal(words, matches),
    ).to_numpy(zero_copy_only=False)
    if differs.any():
        where = np.flatnonzero(differs)
        word_list = words.to_pylist()
        match_list = pc.take(matches, pa.array(where)).to_pylist()
        for position, match in zip(where.tolist(), match_list, strict=True):
            word_list[position] = printed_word(word_list[position], match)
        words = pa.array(word_list, type=pa.large_string())
    mentions.add_columns(
        table["row"].to_numpy(),
        pc.cast(table["ncbigene_id"], pa.int64()).to_numpy(),
        symbols.combine_chunks() if isinstance(symbols, pa.ChunkedArray) else symbols,
        table["organism_name"].combine_chunks(),
        words.combine_chunks() if isinstance(words, pa.ChunkedArray) else words,
        table["source"].combine_chunks(),
    )


class RunLinks:
    """A run's links, one per (figure row, gene id), in (figure row, gene id) order."""

    def __init__(
        self,
        counts: np.ndarray,
        gene_ids: np.ndarray,
        words: pa.Array,
        sources: pa.Array,
        exact: np.ndarray,
        symbols: pa.Array,
        organisms: pa.Array,
    ) -> None:
        self.counts, self.gene_ids, self.words, self.sources = counts, gene_ids, words, sources
        self.exact, self.symbols, self.organisms = exact, symbols, organisms


def _distinct_joined(codes: np.ndarray, values: pa.Array, group: np.ndarray, n_groups: int) -> pa.Array:
    """Per group, its distinct non-empty values in order of first appearance, tab-joined (`codes` index `values`,
    both in group order)."""
    n_values = len(values)
    key = group.astype(np.int64) * (n_values + 1) + codes
    _, first = np.unique(key, return_index=True)
    first.sort()
    empty = pc.equal(values, "").to_numpy(zero_copy_only=False)
    first = first[~empty[codes[first]]] if n_values else first
    offsets = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(group[first], minlength=n_groups), out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), values.take(pa.array(codes[first])))
    return pc.binary_join(lists, pa.scalar(SEP, pa.large_string()))


def build_links(mentions: GeneMentions, n_figures: int) -> RunLinks:
    """`loader.to_links` for every figure of a run at once: one link per (figure, gene id) holding its distinct
    words and sources in order of appearance, exact if any source is, and the first label that has a symbol."""
    mentions.flush_rows()
    if not mentions.figure_rows:
        empty = pa.array([], type=pa.large_string())
        return RunLinks(
            np.zeros(n_figures, np.int64), np.zeros(0, np.int64), empty, empty, np.zeros(0, bool), empty, empty
        )
    figure_rows = np.concatenate(mentions.figure_rows)
    gene_ids = np.concatenate(mentions.gene_ids)
    strings = {name: pa.concat_arrays(parts) for name, parts in mentions.strings.items()}
    order = np.lexsort((gene_ids, figure_rows))  # stable: each link's mentions stay in order of appearance
    figure_rows, gene_ids = figure_rows[order], gene_ids[order]
    taken = pa.array(order)
    starts_mask = np.ones(len(order), dtype=bool)
    starts_mask[1:] = (figure_rows[1:] != figure_rows[:-1]) | (gene_ids[1:] != gene_ids[:-1])
    starts = np.flatnonzero(starts_mask)
    group = np.cumsum(starts_mask) - 1
    n_groups = len(starts)

    words = pc.dictionary_encode(strings["word"].take(taken))
    sources = pc.dictionary_encode(strings["source"].take(taken))
    word_codes = words.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    source_codes = sources.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    joined_words = _distinct_joined(word_codes, words.dictionary, group, n_groups)
    joined_sources = _distinct_joined(source_codes, sources.dictionary, group, n_groups)
    exact_values = pc.is_in(sources.dictionary, value_set=pa.array(sorted(EXACT_SOURCES), pa.large_string())).to_numpy(
        zero_copy_only=False
    )
    exact = np.bincount(group, weights=exact_values[source_codes], minlength=n_groups) > 0

    symbols = strings["symbol"].take(taken)
    organisms = strings["organism"].take(taken)
    has_symbol = pc.not_equal(symbols, "").to_numpy(zero_copy_only=False)
    label = starts.copy()
    with_symbol = np.flatnonzero(has_symbol)
    groups_with, first_with = np.unique(group[with_symbol], return_index=True)
    label[groups_with] = with_symbol[first_with]
    chosen = pa.array(label)
    return RunLinks(
        counts=np.bincount(figure_rows[starts], minlength=n_figures).astype(np.int64),
        gene_ids=gene_ids[starts],
        words=joined_words,
        sources=joined_sources,
        exact=exact,
        symbols=symbols.take(chosen),
        organisms=organisms.take(chosen),
    )
