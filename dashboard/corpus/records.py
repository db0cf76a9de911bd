"""Corpus floor: parse one PFOCR record (YAML front matter) and its TSV side files into plain rows.

Nothing here touches pandas or the file system beyond reading the bytes it is given: the loader calls these
functions, possibly in worker processes, and assembles the tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

import yaml

# Top-level keys the dashboard never reads. `schema-jsonld` repeats the caption and lists every gene again: the
# lines of these keys are blanked before parsing (keeping line numbers for error messages), which halves the
# parse time of a real record.
UNUSED_KEYS = ("schema-jsonld:", "organisms_ner:", "redirect_from:", "annotations:", "seo:", "figid_alias:")


class _ScalarLoader(getattr(yaml, "CBaseLoader", yaml.BaseLoader)):  # type: ignore[misc]
    """libyaml's parser and composer with no tag resolution: every scalar stays the string it was written as.

    OCR words such as NO, On or 0123 are not turned into booleans or numbers (YAML 1.1 implicit typing), no
    tagged object is ever built, and types are applied field by field in `build_record`.
    """

    def resolve(self, kind, value, implicit):  # noqa: ARG002 - the composer's hook; no tag is needed
        return ""


RECORD_SUFFIXES = (".md", ".markdown", ".txt")
SIDE_FILE_KINDS = ("genes", "chemicals", "diseases")
MISSING = frozenset({"", ".na.character", "NA", "NaN", "nan", "null", "None"})
HUMAN = "Homo sapiens"
UNKNOWN_ORGANISM = "Unknown"
PMC_BASE = "https://www.ncbi.nlm.nih.gov/pmc/articles/"
EUROPE_PMC_BASE = "https://europepmc.org/articles/"
NDEX_BASE = "https://www.ndexbio.org/viewer/networks/"
DOI_BASE = "https://doi.org/"
# Sources that name the gene by its own current symbol; everything else (aliases, previous symbols, family
# expansions) is an indirect match that the "exact symbol matches only" switch drops.
EXACT_SOURCES = frozenset({"hgnc_symbol", "ncbigene_symbol"})
# The separator of multi-valued cells (OCR words, sources, organisms): TSV cells cannot hold a tab.
SEP = "\t"

_PMCID = re.compile(r"PMC\d{1,12}")
# Relative (the PFOCR site), or absolute on either PMC host (older exports; the newer PMC site).
_FIGLINK = re.compile(
    r"(?:https?://www\.ncbi\.nlm\.nih\.gov/|https?://pmc\.ncbi\.nlm\.nih\.gov/|/)?(?:pmc/)?"
    r"articles/(PMC[0-9]{1,12})/figure/([A-Za-z0-9._-]{1,200})/?"
)
_FILENAME = re.compile(r"[A-Za-z0-9._-]{1,300}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DOI = re.compile(r"10\.\d{4,9}/\S{1,300}")
_YEAR = re.compile(r"(1[89]|20)\d\d")
_DIGITS = re.compile(r"\d{1,15}")
_NUMBER = re.compile(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?")

TEXT_LIMIT = 20_000  # characters kept of any one text field; longer text is cut and reported


class RecordError(ValueError):
    """A file that cannot be used as a figure record; the message is the reason shown to the user."""


@dataclass
class ParsedRecord:
    """One figure's rows, ready for the tables, and the flaws found while reading it."""

    figure: dict[str, object]
    # (gene_id, symbol, organism, OCR word, match source), one per mention
    genes: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    chemicals: list[tuple[str, ...]] = field(default_factory=list)
    diseases: list[tuple[str, ...]] = field(default_factory=list)
    flaws: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def decode(data: bytes) -> str:
    """Bytes → text; a file that is not UTF-8 text is not a record."""
    if b"\x00" in data[:8192]:
        raise RecordError("binary file (NUL bytes), not a text record")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"not UTF-8 text (byte {exc.start})") from None
    return text.removeprefix("\ufeff")


def split_front_matter(text: str) -> str:
    """The YAML between the first two `---` lines."""
    if not text.strip():
        raise RecordError("empty file")
    if not text.startswith("---"):
        raise RecordError("no front matter (the file does not start with '---')")
    first_newline = text.find("\n")
    if first_newline < 0 or text[:first_newline].strip() != "---":
        raise RecordError("no front matter (the first line is not '---')")
    start = first_newline + 1
    line = start if text.startswith("---", start) else text.find("\n---", start) + 1
    while line > 0:  # a line `---[ \t]*\r?` closes it (found by str.find: a regular expression took 30 µs)
        end = text.find("\n", line)
        rest = text[line + 3 : end if end >= 0 else len(text)]
        if not rest.removesuffix("\r").strip(" \t"):
            return text[start:line]
        line = text.find("\n---", line) + 1
    raise RecordError("front matter is not closed (no second '---' line)")


def _block_end(lines: list[str], start: int) -> int:
    """The index after the block that belongs to the top-level key on line `start`."""
    end = start + 1
    while end < len(lines) and (not lines[end] or lines[end][0] in " \t-#"):
        end += 1
    return end


def prepare_front_matter(front_matter: str) -> tuple[str, dict[str, list[dict[str, str]]]]:
    """Blank the blocks of unused keys, and read the gene, chemical and disease lists on a fast path.

    Those lists are long, flat and machine-written (`- word: X` then `  key: value` lines). A list is taken
    here only if every one of its lines is such a `key: value` line with a plain or single-quoted one-line
    value; otherwise it is left in place for the YAML parser, so the fast path never changes what is read.
    Blanked lines stay as empty lines, so YAML error messages keep the file's line numbers.
    """
    lines = front_matter.split("\n")
    lists: dict[str, list[dict[str, str]]] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(UNUSED_KEYS):
            end = _block_end(lines, i)
            lines[i:end] = [""] * (end - i)
            i = end
            continue
        if line in LIST_KEYS:
            end = _block_end(lines, i)
            items = read_simple_list(lines[i + 1 : end])
            if items is not None:
                lists[line[:-1]] = items
                lines[i:end] = [""] * (end - i)
            i = end
            continue
        i += 1
    return "\n".join(lines), lists


LIST_KEYS = frozenset({"genes:", "chemicals:", "diseases:"})
_ENTRY = re.compile(r"(- |  )([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?")
_PLAIN_START = frozenset("'\"[]{}&*!|>%@`#,")


def read_simple_list(lines: list[str]) -> list[dict[str, str]] | None:
    """`- key: value` / `  key: value` lines → a list of string mappings; None if any line is not that simple."""
    items: list[dict[str, str]] = []
    for line in lines:
        if not line:
            continue
        match = _ENTRY.fullmatch(line)
        if match is None:
            return None
        lead, key, raw = match.groups()
        value = _simple_scalar(raw or "")
        if value is None:
            return None
        if lead == "- ":
            items.append({})
        elif not items or key in items[-1]:
            return None
        items[-1][key] = value
    return items


def _simple_scalar(raw: str) -> str | None:
    """A one-line plain or single-quoted YAML scalar as YAML reads it; None for anything less simple."""
    if raw == "":
        return ""
    if raw[0] == "'":
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != "'" or "'" in inner.replace("''", ""):
            return None
        return inner.replace("''", "'")
    if (
        raw[0] in _PLAIN_START
        or raw[:2] in ("- ", "? ", ": ")
        or raw in ("-", "?", ":", "~")
        or raw[-1] in " \t:"
        or ": " in raw
        or " #" in raw
        or "\t" in raw
    ):
        return None
    return raw


# Bounds on the shape of a record's YAML. Real front matter is a few levels deep and, with the gene lists read on
# the fast path, holds a few dozen nodes; libyaml's composer recurses in C (a document 100,000 levels deep
# crashes the process) and builds every node before we see any (4 MiB of `[a,a,…]` took 600 MiB).
MAX_DEPTH = 100
MAX_NODES = 200_000
_COLLECTION_STARTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_COLLECTION_ENDS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _shape_bound(text: str) -> int:
    """A count of YAML's indicator characters: no collection starts, and at most two nodes follow, without one,
    so this bounds the nesting depth and a third of the node count."""
    return sum(text.count(c) for c in "-:,?[{")


def check_shape(text: str) -> None:
    """Refuse YAML that is nested too deeply, has too many nodes, or uses aliases (`*name`), before composing it.

    Aliases are refused, not expanded: a 400-byte "billion laughs" record expands to 10⁷ nodes, and a recursive
    alias (`&a [*a]`) to an endless one. PFOCR records never use them. The exact check walks libyaml's event
    stream; it runs only when a cheap count of the indicator characters cannot rule the problems out (a few
    records in 10,000) or when the text holds both an anchor and an alias character.
    """
    if _shape_bound(text) <= MAX_DEPTH and ("&" not in text or "*" not in text):
        return
    loader = _ScalarLoader(text)
    depth = nodes = 0
    try:
        while not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                raise RecordError(f"YAML alias at line {event.start_mark.line + 2}: aliases are not allowed in records")
            if isinstance(event, _COLLECTION_STARTS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise RecordError(f"front matter is nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, _COLLECTION_ENDS):
                depth -= 1
                continue
            elif not isinstance(event, yaml.ScalarEvent):
                continue
            nodes += 1
            if nodes > MAX_NODES:
                raise RecordError(f"front matter has more than {MAX_NODES:,} YAML nodes")
    except yaml.YAMLError as exc:
        # Newer libyaml builds stop deep nesting themselves (PyYAML 6.0.4 wheels): the same refusal, in our words.
        if "nesting depth" in str(exc):
            raise RecordError(f"front matter is nested more than {MAX_DEPTH} levels deep") from None
        raise
    finally:
        loader.dispose()


def _to_python(node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item) for item in node.value]
    return {_to_python(key): _to_python(value) for key, value in node.value}


def _collection_key_line(node: yaml.Node) -> int | None:
    """The file line of the first mapping key that is itself a list or mapping."""
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode):
                return key.start_mark.line + 2
        children = [value for _, value in node.value]
    else:
        return None
    for child in children:
        line = _collection_key_line(child)
        if line is not None:
            return line
    return None


def load_yaml(text: str) -> object:
    """YAML text → plain strings, lists and dicts, composed by libyaml (much faster than PyYAML's constructor)."""
    check_shape(text)
    loader = _ScalarLoader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is None:
        return None
    try:
        return _to_python(node)
    except TypeError:  # a list or mapping as a key cannot be a dict key
        raise RecordError(
            f"a key at line {_collection_key_line(node)} is a list or mapping, not a field name"
        ) from None


def parse_front_matter(text: str) -> dict:
    """The front matter as a mapping of strings, lists and mappings (no implicit typing)."""
    try:
        yaml_text, lists = prepare_front_matter(split_front_matter(text))
        meta = load_yaml(yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise RecordError(f"invalid YAML{where}: {problem}") from None
    if meta is None and lists:
        meta = {}
    if not isinstance(meta, dict):
        raise RecordError("front matter is not a mapping of fields")
    meta.update(lists)
    return meta


def clean_text(value: object) -> str | None:
    """A text field with its whitespace folded; missing markers → None."""
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if isinstance(v, str))
    if not isinstance(value, str):
        return None
    if not value.isalnum():  # letters and digits only (most symbols and sources) hold no white space to fold
        value = " ".join(value.split())  # folds every Unicode white space, like re's \s+, several times faster
    return None if value in MISSING else value


def _organism_entries(value: object) -> list[str]:
    """Front-matter organisms (a string, perhaps comma-joined, or a list) → distinct cleaned entries, `NA` dropped."""
    items = value if isinstance(value, list) else [value]
    entries: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        for part in item.split(","):
            entry = " ".join(part.split())
            if entry and entry not in MISSING and entry not in entries:
                entries.append(entry)
    return entries


def to_organisms(value: object) -> list[str]:
    """Front-matter organisms → distinct names; `NA` and numbers (which name no organism) dropped."""
    return [entry for entry in _organism_entries(value) if not _NUMBER.fullmatch(entry)]


def to_year(value: object) -> int | None:
    """A four-digit year, or None (the caller reports a value that is present but not a year)."""
    text = clean_text(value)
    if text is None or not _YEAR.fullmatch(text):
        return None
    return int(text)


def to_figure_url(figlink: str | None, pmcid: str | None) -> str | None:
    """The absolute https link to the figure at PMC, only for a figlink of the expected shape."""
    if figlink is None or figlink in MISSING:
        return None
    match = _FIGLINK.fullmatch(figlink)
    if match is None or (pmcid is not None and match.group(1) != pmcid):
        return None
    return f"{PMC_BASE}{match.group(1)}/figure/{match.group(2)}/"


def to_image_url(pmcid: str | None, filename: str | None) -> str | None:
    """Europe PMC's URL of the figure image, built from pmcid and file name."""
    if pmcid is None or filename is None or not _FILENAME.fullmatch(filename):
        return None
    return f"{EUROPE_PMC_BASE}{pmcid}/bin/{quote(filename)}"


def to_keywords(value: object) -> str | None:
    """Keywords as one ` | `-joined string (newer records carry them so; a list is joined)."""
    if isinstance(value, list):
        parts = [clean_text(v) for v in value]
    else:
        text = clean_text(value)
        parts = text.split("|") if text else []
    kept = [p.strip() for p in parts if p and p.strip() and p.strip() not in MISSING]
    return " | ".join(kept) or None


def _bounded(name: str, value: str | None, flaws: list[str]) -> str | None:
    if value is not None and len(value) > TEXT_LIMIT:
        flaws.append(f"{name} is {len(value):,} characters long; kept the first {TEXT_LIMIT:,}")
        return value[:TEXT_LIMIT]
    return value


def build_record(meta: dict, path: str) -> ParsedRecord:
    """Typed figure fields and front-matter genes, chemicals and diseases of one record."""
    raw_figid = meta.get("figid")
    if raw_figid is None:
        raise RecordError("no figid")
    if not isinstance(raw_figid, str):
        raise RecordError(f"figid is a {type(raw_figid).__name__}, not a string")
    figid = raw_figid.strip()
    if not figid or figid in MISSING or len(figid) > 300 or any(c.isspace() for c in figid):
        raise RecordError(f"figid {figid[:80]!r} is not a valid figure id")

    flaws: list[str] = []
    pmcid = clean_text(meta.get("pmcid"))
    if pmcid is not None and not _PMCID.fullmatch(pmcid):
        flaws.append(f"pmcid {pmcid[:40]!r} is not a PMC id")
        pmcid = None
    if pmcid is None:
        guess = figid.split("__", 1)[0]
        pmcid = guess if _PMCID.fullmatch(guess) else None

    year = to_year(meta.get("year"))
    if year is None and clean_text(meta.get("year")) is not None:
        flaws.append(f"year {str(meta.get('year'))[:40]!r} is not a year")

    raw_organisms = meta.get("organisms")
    if raw_organisms is not None and not isinstance(raw_organisms, (str, list)):
        flaws.append("organisms is neither a name nor a list of names")
    numbers = [entry for entry in _organism_entries(raw_organisms) if _NUMBER.fullmatch(entry)]
    if numbers:
        flaws.append(f"organisms holds a number ({numbers[0][:20]}), not an organism name; dropped")
    organisms = to_organisms(raw_organisms) or [UNKNOWN_ORGANISM]

    figlink = clean_text(meta.get("figlink"))
    figure_url = to_figure_url(figlink, pmcid)
    if figlink is not None and figlink not in MISSING and figure_url is None:
        flaws.append(f"figlink {figlink[:80]!r} is not a PMC figure link")
    filename = clean_text(meta.get("filename"))
    ndex = clean_text(meta.get("ndex"))
    doi = clean_text(meta.get("doi"))

    figure = {
        "figid": figid,
        "pmcid": pmcid,
        "number": clean_text(meta.get("number")),
        "figtype": clean_text(meta.get("figtype")),
        "title": _bounded("figtitle", clean_text(meta.get("figtitle")), flaws),
        "caption": _bounded("caption", clean_text(meta.get("caption")), flaws),
        "paper_title": _bounded("papertitle", clean_text(meta.get("papertitle")), flaws),
        "reftext": _bounded("reftext", clean_text(meta.get("reftext")), flaws),
        "year": year,
        "organisms": SEP.join(organisms),
        "journal": clean_text(meta.get("journal_title")),
        "keywords": _bounded("keywords", to_keywords(meta.get("keywords")), flaws),
        "figure_url": figure_url,
        "image_url": to_image_url(pmcid, filename),
        "paper_url": f"{PMC_BASE}{pmcid}/" if pmcid else None,
        "doi_url": f"{DOI_BASE}{quote(doi, safe='/:;()._-')}" if doi and _DOI.fullmatch(doi) else None,
        "ndex_url": f"{NDEX_BASE}{ndex}" if ndex and _UUID.fullmatch(ndex) else None,
        "path": path,
    }
    record = ParsedRecord(figure=figure)
    record.genes = _front_matter_genes(meta.get("genes"), flaws)
    record.chemicals = _front_matter_terms(meta.get("chemicals"), "chemicals", flaws)
    record.diseases = _front_matter_terms(meta.get("diseases"), "diseases", flaws)
    record.flaws = [(path, flaw) for flaw in flaws]
    return record


def _front_matter_genes(value: object, flaws: list[str]) -> list[tuple[int, str, str, str, str]]:
    """Older-schema genes: `{word, symbol, source, hgnc_symbol, entrez}` entries, all human."""
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        flaws.append("genes is not a list; the figure is kept without them")
        return []
    rows: list[tuple[int, str, str, str, str]] = []
    bad = 0
    for entry in value:
        entrez = entry.get("entrez") if isinstance(entry, dict) else None
        if not isinstance(entrez, str):
            bad += 1
            continue
        entrez = entrez.strip()
        if not 0 < len(entrez) <= 15 or not entrez.isdecimal():  # re's \d{1,15}: isdecimal is its Unicode Nd
            bad += 1
            continue
        symbol = entry.get("hgnc_symbol")
        # A symbol of letters and digits is its own cleaned text (the common case, without clean_text's calls).
        if not (isinstance(symbol, str) and symbol.isalnum() and symbol not in MISSING):
            symbol = clean_text(symbol) or clean_text(entry.get("symbol")) or ""
        word = entry.get("word")
        if not isinstance(word, str):
            word = ""
        elif SEP in word:
            word = word.replace(SEP, " ")
        source = entry.get("source")
        if not (isinstance(source, str) and source.isalnum()):  # hgnc_symbol etc. are not: `_` is no letter
            source = clean_text(source) or ""
        elif source in MISSING:
            source = ""
        rows.append((int(entrez), symbol, HUMAN, word.strip(), source))
    if bad:
        flaws.append(f"{bad} gene entr{'y' if bad == 1 else 'ies'} without an NCBI Gene id skipped")
    return rows


def _front_matter_terms(value: object, kind: str, flaws: list[str]) -> list[tuple[str, ...]]:
    """Older-schema chemicals/diseases: `{word, source, identifier}` → (word, mesh, match, name, other id)."""
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        flaws.append(f"{kind} is not a list; the figure is kept without them")
        return []
    rows = []
    for entry in value:
        if isinstance(entry, dict) and isinstance(entry.get("word"), str):
            identifier = clean_text(entry.get("identifier")) or ""
            is_mesh = (clean_text(entry.get("source")) or "").upper() == "MESH" or identifier.lower().startswith(
                "mesh:"
            )
            mesh = ("mesh:" + identifier.removeprefix("mesh:")) if is_mesh and identifier else ""
            rows.append((entry["word"].strip(), mesh, "", "", "" if mesh else identifier))
    return list(dict.fromkeys(rows))


TSV_COLUMNS = {
    "genes": ("organism_name", "word", "match", "ncbigene_symbol", "ncbigene_id", "source"),
    "chemicals": ("word", "mesh", "match", "name", "chebi"),
    "diseases": ("word", "mesh", "match", "name", "doid"),
}


TSV_OPTIONAL = {"match": "word"}  # a genes TSV without the match column: the raw word stands in


def printed_word(word: str, match: str) -> str:
    """The OCR match as printed in the figure: its span inside the raw word cell in the figure's own case
    ('RANKL' in 'FGF23,OPN,RANKL,', 'mTORC2' for the match 'MTORC2'); the match itself where the cell does not
    spell it out ('LRP6' from 'LRP5/6')."""
    if match in MISSING or word == match:
        return word
    folded = word.lower()
    if len(folded) == len(word):  # case folding kept the positions (it does except for a few letters)
        start = folded.find(match.lower())
        if start >= 0:
            return word[start : start + len(match)]
    return match


def tsv_header(line: str, kind: str) -> tuple[tuple[int, ...], int]:
    """A side file's header line → the positions of the wanted columns (chosen by name) and the number of cells."""
    header = [h.strip() for h in line.split("\t")]
    wanted = TSV_COLUMNS[kind]
    missing = [c for c in wanted if c not in header and not (c in TSV_OPTIONAL and TSV_OPTIONAL[c] in header)]
    if missing:
        raise RecordError(f"{kind} TSV lacks column(s) {', '.join(missing)}")
    return tuple(header.index(c if c in header else TSV_OPTIONAL[c]) for c in wanted), len(header)


def read_tsv(text: str, kind: str) -> tuple[list[tuple[str, ...]], int]:
    """Rows of a side file, columns chosen by header name; returns (rows, rows with a wrong number of cells)."""
    lines = text.splitlines()
    if not lines:
        raise RecordError("empty TSV file")
    index, width = tsv_header(lines[0], kind)
    rows, ragged = [], 0
    for line in lines[1:]:
        if not line:
            continue
        cells = line.split("\t")
        if len(cells) != width:
            ragged += 1
            continue
        rows.append(tuple(cells[i].strip() for i in index))
    return rows, ragged


def tsv_genes(rows: list[tuple[str, ...]]) -> tuple[list[tuple[int, str, str, str, str]], int]:
    """Genes-TSV rows → gene rows; rows without a numeric NCBI id are family placeholders, counted not kept."""
    genes, skipped = [], 0
    for organism, word, match, symbol, gene_id, source in rows:
        if not _DIGITS.fullmatch(gene_id):
            skipped += 1
            continue
        genes.append(
            (int(gene_id), "" if symbol in MISSING else symbol, organism or "", printed_word(word, match), source)
        )
    return genes, skipped


def tsv_terms(rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Chemicals/diseases TSV rows, `NA` → '', each distinct row once."""
    return list(dict.fromkeys(tuple("" if c in MISSING else c for c in row) for row in rows))
