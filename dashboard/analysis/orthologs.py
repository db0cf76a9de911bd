"""Analysis floor: a gene list of one species read as the genes of another, through the shipped ortholog table
(`dashboard.corpus.orthologs`), with every mapping kept and listed.

An entry is first read in the list's species — an NCBI id, or a symbol of that species' genes in the corpus or in
the table (mouse `Trp53` is in the table even when no figure reads it as mouse) — then mapped to every gene of the
tested species in its HomoloGene group. An entry naming two genes of its species, or a gene without an ortholog
there, is not mapped, and says why. The list's species, when not given, is the one whose symbols the entries spell
exactly (mouse `Mapk1`, not human `MAPK1`), then the one they name in any case.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dashboard.analysis.genelist import how_chosen, shown_entries
from dashboard.analysis.model import Corpus
from dashboard.corpus.numbers import is_ascii_digits
from dashboard.corpus.orthologs import OrthologTable, ortholog_table, table_species


@dataclass(frozen=True)
class Mapping:
    """One entry → one gene of the tested species."""

    entry: str
    ncbi_id: int  # the list species' gene the entry names
    ortholog_ncbi_id: int
    ortholog_symbol: str
    source: str  # where the pair comes from: the table's source, or "same species"
    row: int | None  # the ortholog's gene row in the corpus (None: no figure holds it)

    def to_json(self) -> dict:
        return {
            "entry": self.entry,
            "ncbi_id": self.ncbi_id,
            "ortholog_ncbi_id": self.ortholog_ncbi_id,
            "ortholog_symbol": self.ortholog_symbol,
            "source": self.source,
            "in_corpus": self.row is not None,
        }


@dataclass(frozen=True)
class OrthologMap:
    """How a list was read in its species and mapped to the tested one."""

    list_species: str | None  # None when no entry names a gene of any species known
    inferred: bool  # the list's species was chosen from its entries
    species: str  # the tested species (the corpus' name for it)
    mapped: tuple[Mapping, ...]
    unmapped: tuple[tuple[str, str], ...]  # entry → why it was not mapped
    entries: int
    source: str  # the ortholog table's source, in a few words
    votes: dict[str, int] = field(default_factory=dict)  # entries naming a gene of each species

    @property
    def rows(self) -> tuple[int, ...]:
        """The tested species' gene rows the list maps to (in the corpus), in the list's order, each once."""
        return tuple(dict.fromkeys(m.row for m in self.mapped if m.row is not None))

    def entries_by_row(self) -> dict[int, list[str]]:
        """Each mapped gene row → the entries mapped to it."""
        found: dict[int, list[str]] = {}
        for m in self.mapped:
            if m.row is not None:
                found.setdefault(m.row, []).append(m.entry)
        return found

    def to_json(self) -> dict:
        return {
            "list_species": self.list_species,
            "list_species_inferred": self.inferred,
            "mapped": [m.to_json() for m in self.mapped],
            "unmapped": [{"entry": entry, "reason": reason} for entry, reason in self.unmapped],
            "ortholog_source": self.source,
        }


def list_species_choices(corpus: Corpus) -> list[str]:
    """The species a list may be read in: the ortholog table's, then the corpus' other species."""
    table = ortholog_table().species
    return [*table, *(s for s in corpus.species_gene_counts if table_species(s) is None)]


def _species_of(corpus: Corpus, row: int) -> str:
    """A corpus gene's species, by the table's name for it where the table has it."""
    return table_species(corpus.gene_organisms[row]) or corpus.gene_organisms[row]


def _candidates(corpus: Corpus, table: OrthologTable, entries: list[str]) -> dict[str, dict[int, tuple[str, bool]]]:
    """Entry → every gene it names, of any species the table or the corpus knows: NCBI id → (species, whether
    the entry spells its symbol exactly so). An id names its gene; a symbol is looked up in any case."""
    symbols = [token for token in entries if not is_ascii_digits(token)]
    in_table = dict(zip(symbols, table.by_symbols(symbols), strict=True))
    found: dict[str, dict[int, tuple[str, bool]]] = {}
    for token in entries:
        genes: dict[int, tuple[str, bool]] = {}
        if token not in in_table:
            gene, row = table.gene(int(token)), corpus.gene_row(int(token))
            if gene is not None:
                genes[gene.ncbi_id] = (gene.species, True)
            if row is not None and corpus.gene_organisms[row]:
                genes[int(token)] = (_species_of(corpus, row), True)
        else:
            genes = {gene.ncbi_id: (gene.species, gene.symbol == token) for gene in in_table[token]}
            for row in corpus.rows_for_symbol_any_case(token):
                if corpus.gene_organisms[row]:
                    gene_id = int(corpus.gene_ids[row])
                    spelled = genes.get(gene_id, ("", False))[1] or corpus.symbols[row] == token
                    genes[gene_id] = (_species_of(corpus, row), spelled)
        found[token] = genes
    return found


def _choose(genes: dict[int, tuple[str, bool]], species: str | None = None) -> list[int]:
    """The ids among an entry's genes (of one species, when given) it names: those spelled exactly so, if any."""
    mine = {gene_id: spelled for gene_id, (of, spelled) in genes.items() if species is None or of == species}
    return [gene_id for gene_id, spelled in mine.items() if spelled] or list(mine)


def _infer(corpus: Corpus, candidates: dict[str, dict[int, tuple[str, bool]]]) -> tuple[str | None, dict[str, int]]:
    """The species the entries name (exact spellings first, then any case, then the corpus' larger species) and
    the entries naming each."""
    exact: Counter[str] = Counter()
    named: Counter[str] = Counter()
    for genes in candidates.values():
        spelled: dict[str, bool] = {}
        for species, is_exact in genes.values():
            spelled[species] = spelled.get(species, False) or is_exact
        named.update(spelled.keys())
        exact.update(species for species, is_exact in spelled.items() if is_exact)
    if not named:
        return None, {}
    sizes = {table_species(s) or s: n for s, n in corpus.species_gene_counts.items()}
    best = max(named, key=lambda s: (exact[s], named[s], sizes.get(s, 0), s))
    return best, dict(named.most_common())


def _corpus_row(corpus: Corpus, gene_id: int, species: str) -> int | None:
    row = corpus.gene_row(gene_id)
    return row if row is not None and corpus.gene_organisms[row] == species else None


def map_gene_list(corpus: Corpus, tokens: list[str], species: str, list_species: str | None = None) -> OrthologMap:
    """Entries of a list in `list_species` (inferred when None) → genes of `species` (the corpus' name), through
    the ortholog table."""
    table = ortholog_table()
    entries = list(dict.fromkeys(t.strip() for t in tokens if t and t.strip()))
    candidates = _candidates(corpus, table, entries)
    inferred = not list_species
    votes: dict[str, int] = {}
    if inferred:
        list_species, votes = _infer(corpus, candidates)
    target = table_species(species) or species
    source = table.describe()
    mapped: list[Mapping] = []
    unmapped: list[tuple[str, str]] = []
    for token in entries:
        if list_species is None:
            unmapped.append((token, "names no gene of any species known"))
            continue
        genes = _choose(candidates[token], list_species)
        if not genes:
            unmapped.append((token, f"not a {list_species} gene of the corpus or the ortholog table"))
            continue
        if len(genes) > 1:
            unmapped.append((token, f"names {len(genes)} {list_species} genes ({', '.join(map(str, genes))})"))
            continue
        gene_id = genes[0]
        if list_species == target:
            own = table.gene(gene_id)
            row = _corpus_row(corpus, gene_id, species)
            symbol = corpus.gene_label(row) if row is not None else own.symbol if own else str(gene_id)
            mapped.append(Mapping(token, gene_id, gene_id, symbol, "same species", row))
            continue
        found = table.orthologs(gene_id, target)
        if not found:
            unmapped.append((token, f"no {species} ortholog in {source}"))
            continue
        for ortholog in found:
            row = _corpus_row(corpus, ortholog.ncbi_id, species)
            symbol = corpus.gene_label(row) if row is not None else ortholog.symbol
            mapped.append(Mapping(token, gene_id, ortholog.ncbi_id, symbol, source, row))
    return OrthologMap(
        list_species=list_species,
        inferred=inferred,
        species=species,
        mapped=tuple(mapped),
        unmapped=tuple(unmapped),
        entries=len(entries),
        source=source,
        votes=votes,
    )


def describe_mapping(mapping: OrthologMap, limit: int = 30) -> list[str]:
    """Sentences for the user: the list's species, how many entries were mapped to how many genes, which were not,
    and the source."""
    if mapping.list_species is None:
        return ["None of the entries names a gene of any species known."] if mapping.entries else []
    how = how_chosen(mapping.inferred, mapping.votes.get(mapping.list_species, 0), mapping.entries)
    entries = len({m.entry for m in mapping.mapped})
    genes = len({m.ortholog_ncbi_id for m in mapping.mapped})
    notes = [
        f"List read as {mapping.list_species} ({how}); {entries:,} of {mapping.entries:,} entries mapped to "
        f"{genes:,} {mapping.species} gene(s) through orthologs ({mapping.source})."
    ]
    by_entry: dict[str, list[str]] = {}
    for m in mapping.mapped:
        by_entry.setdefault(m.entry, []).append(m.ortholog_symbol)
    several = [f"{entry} → {', '.join(symbols)}" for entry, symbols in by_entry.items() if len(symbols) > 1]
    if several:
        notes.append(f"Mapped to several genes, all kept ({len(several):,}): {shown_entries(several, limit)}.")
    absent = [f"{m.entry} → {m.ortholog_symbol}" for m in mapping.mapped if m.row is None]
    if absent:
        notes.append(f"Mapped to a gene no figure holds ({len(absent):,}): {shown_entries(absent, limit)}.")
    if mapping.unmapped:
        items = [f"{entry} ({reason})" for entry, reason in mapping.unmapped]
        notes.append(f"Not mapped ({len(items):,}): {shown_entries(items, limit)}.")
    return notes


def with_orthologs(corpus: Corpus, tokens: list[str]) -> tuple[dict[int, str], list[str]]:
    """The corpus' genes the entries name and their orthologs in every species of the corpus: gene row → how it
    came (`named`, or `ortholog of <symbol> (<species>)`); and the entries that name no gene."""
    table = ortholog_table()
    entries = [token.strip() for token in tokens if token.strip()]
    candidates = _candidates(corpus, table, entries)
    found: dict[int, str] = {}
    unknown: list[str] = []
    for token in entries:
        genes = _choose(candidates[token])
        if not genes:
            unknown.append(token)
            continue
        for gene_id in genes:
            row = corpus.gene_row(gene_id)
            if row is not None:
                found.setdefault(row, "named")
        for gene_id in genes:
            own = table.gene(gene_id)
            if own is None:
                continue
            for species in corpus.species_gene_counts:
                name = table_species(species)
                if name is None or name == own.species:
                    continue
                for ortholog in table.orthologs(gene_id, name):
                    row = _corpus_row(corpus, ortholog.ncbi_id, species)
                    if row is not None:
                        found.setdefault(row, f"ortholog of {own.symbol} ({own.species})")
    return found, unknown
