"""Corpus floor: the column names of every table, one source of truth."""

FIGID = "figid"
PMCID = "pmcid"
NUMBER = "number"
FIGTYPE = "figtype"
TITLE = "title"
CAPTION = "caption"
PAPER_TITLE = "paper_title"
REFTEXT = "reftext"
YEAR = "year"
ORGANISMS = "organisms"  # tab-joined names; `Unknown` when the record names none
JOURNAL = "journal"
KEYWORDS = "keywords"
FIGURE_URL = "figure_url"
IMAGE_URL = "image_url"
PAPER_URL = "paper_url"
DOI_URL = "doi_url"
NDEX_URL = "ndex_url"
PATH = "path"

FIGURE_COLUMNS = [
    FIGID,
    PMCID,
    NUMBER,
    FIGTYPE,
    TITLE,
    CAPTION,
    PAPER_TITLE,
    REFTEXT,
    YEAR,
    ORGANISMS,
    JOURNAL,
    KEYWORDS,
    FIGURE_URL,
    IMAGE_URL,
    PAPER_URL,
    DOI_URL,
    NDEX_URL,
    PATH,
]

GENE_ID = "gene_id"
SYMBOL = "symbol"
ORGANISM = "organism"
N_FIGURES = "n_figures"

WORDS = "words"  # tab-joined OCR words a link was read from
SOURCES = "sources"  # tab-joined match sources (hgnc_symbol, ncbigene_synonym, famplex_relations, ...)
EXACT = "exact"  # True when any source is the gene's own symbol

WORD = "word"
MESH = "mesh"
MATCH = "match"
NAME = "name"
CHEBI = "chebi"
DOID = "doid"

REASON = "reason"
