"""Web floor: the API's OpenAPI 3.1 document, served at `GET /api/v1/openapi.json` — every route, its parameters,
request body, answers and errors (`{"error", "status"}`), with the limits the routes enforce taken from their own
constants. tests/test_openapi.py runs schemathesis against the served document.
"""

from __future__ import annotations

from dashboard.analysis.enrich import DEFAULT_MIN_SIZE
from dashboard.analysis.genelist import MAX_LIST, MAX_LIST_TEXT
from dashboard.analysis.graph import MAX_BUDGET, MIN_BUDGET
from dashboard.analysis.patterns import MAX_PATHS
from dashboard.corpus.corpusmap import GRID
from dashboard.web.state import COLOUR_MODES, KNOWN_PARAMS, MAX_EXPANDED, MAX_TERMS, MAX_TEXT, NO, YES

ERROR = {"$ref": "#/components/responses/Error"}
MAX_RESULTS = 100_000  # enrichment results answered at most
DEFAULT_RESULTS = 500
MAX_MIN_SIZE = 100_000  # the smallest gene set tested: at most this
SEARCH_LIMIT = 200  # hits per page of /search (each with a snippet)
SEARCH_OFFSET = 100_000
TYPE_AHEAD_LIMIT = 200  # suggestions of a type-ahead route at most
TOP_GENES = 300  # genes a co-occurrence view draws at most
PATHS_ASKED = 20  # paths /path lists at most
TERMS_ASKED = 1_000  # chemicals (or diseases) a search filters by at most
TYPED_LENGTH = 200  # characters of a type-ahead's query at most
PREFIX_LENGTH = 100  # characters of a gene prefix at most


def _object(required: list[str], **properties: dict) -> dict:
    return {"type": "object", "required": required, "properties": properties}


def _query(
    name: str, description: str, schema: dict | None = None, required: bool = False, example: str | None = None
) -> dict:
    """A query parameter. An optional one given empty is not given (its `default`), so its schema admits "" too;
    a required one names what to give (`description`) and an `example` for the message that asks for it."""
    schema = schema or STRING
    if not required and schema is not STRING:
        schema = {"anyOf": [schema, NOT_GIVEN], **({"default": schema["default"]} if "default" in schema else {})}
    found = {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
    return found | ({"example": example} if example is not None else {})


def _answers(ok: dict, description: str, *errors: int) -> dict:
    found = {"200": {"description": description, "content": {"application/json": {"schema": ok}}}}
    found.update({str(code): ERROR for code in errors})
    return found


def _whole(low: int, maximum: int, default: int | None = None) -> dict:
    schema = {"type": "integer", "minimum": low, "maximum": maximum}
    return schema | ({"default": default} if default is not None else {})


def _limit(default: int, maximum: int, name: str = "limit", low: int = 1, what: str = "how many") -> dict:
    return _query(name, f"{what} ({low}–{maximum:,}; default {default})", _whole(low, maximum, default))


def _words(*words: str, said: str | None = None) -> dict:
    """One of the words in any case, spaces around, as a page link's are read (a pattern: ECMA-262, OpenAPI's
    dialect of regular expressions, has no case-insensitive flag)."""
    any_case = ("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word) for word in words)
    return {
        "type": "string",
        "pattern": f"^\\s*({'|'.join(any_case)})\\s*$",
        "description": said or " or ".join(words),
    }


def _choice(*values: str) -> dict:
    return {"type": "string", "enum": list(values), "default": values[0]}


STRING = {"type": "string"}
NOT_GIVEN = {"type": "string", "maxLength": 0}  # an empty value: the default
TEXT = {"type": "string", "minLength": 1, "pattern": "\\S"}  # something typed, not blank
SWITCH = _choice("0", "1")
MATCH = _choice("any", "all")
FLAG = _words(*sorted((YES | NO) - {""}), said="1 or 0 (or true/false, yes/no, on/off)")  # a page link's yes/no
INTEGER = {"type": "integer"}
STRINGS = {"type": "array", "items": STRING}
NULL = {"type": "null"}
ENTRIES = {"type": "array", "items": {"type": ["string", "integer"]}, "maxItems": MAX_LIST}  # symbols or NCBI ids
GENE_LIST = "a list of gene symbols or NCBI ids (or the text of one, as pasted)"
FILTERS = [
    _query("organisms", "organism names, comma-separated (the page URL's syntax)", STRING),
    _query("include_unstated", "with organisms: also the figures that state none (1 or 0)", FLAG),
    _query("years", "a year range like 2010-2020", STRING),
]
GENES = _query("genes", f"gene symbols or NCBI ids, comma-separated (at most {MAX_LIST:,})", STRING)
GENE_MATCH = [
    _query("match", "with genes: figures holding any of them, or all", MATCH),
    _query("exact", "with genes: exact symbol matches only (1 or 0)", SWITCH),
]
QUERY = {**TEXT, "maxLength": MAX_TEXT}
PAGE_PARAMS = {  # the page URL's parameters (docs/guide.md), as /network reads them: (description, schema)
    "q": ("a text search", {**STRING, "maxLength": MAX_TEXT}),
    "genes": ("gene symbols or NCBI ids, comma-separated", STRING),
    "match": ("figures holding any of the genes, or all", MATCH),
    "organisms": ("organism names, comma-separated", STRING),
    "chemicals": (f"chemical ids or names, comma-separated (at most {MAX_TERMS})", STRING),
    "diseases": (f"disease ids or names, comma-separated (at most {MAX_TERMS})", STRING),
    "include_unstated": ("with organisms: also the figures that state none", FLAG),
    "years": ("a year range like 2010-2020", STRING),
    "figure": ("the open figure's figid", STRING),
    "exact": ("exact symbol matches only", FLAG),
    "budget": ("nodes drawn at most", _whole(MIN_BUDGET, MAX_BUDGET)),
    "expand": (f"figids whose bundled genes are drawn one by one, comma-separated (at most {MAX_EXPANDED})", STRING),
    "colour": ("how figures are coloured", {"type": "string", "enum": list(COLOUR_MODES)}),
    "labels": ("all: every node labelled", _words("all")),
    "region": ("a region of the corpus map: x0,y0,x1,y1 or up to 40 x,y points", STRING),
    "terms": ("also the chemicals and diseases as nodes", FLAG),
    "species": ("all: the chosen figures' genes of other species too (chosen: not)", _words("all", "chosen")),
    "path": ("two genes whose shortest chains are drawn, comma-separated", STRING),
    "list": ("the gene list an enrichment ran on (entries, comma-separated)", STRING),
    "orthologs": ("the genes' orthologs too", FLAG),
}
FIGURE_SUMMARY = _object(
    ["figid", "title", "year", "organisms"],
    figid=STRING,
    title={"type": ["string", "null"]},
    year={"type": ["integer", "null"]},
    organisms=STRINGS,
)


def _type_ahead(what: str, example: str) -> list[dict]:
    return [
        _query("q", what, {**TEXT, "maxLength": TYPED_LENGTH}, required=True, example=example),
        _limit(20, TYPE_AHEAD_LIMIT),
    ]


def openapi_document(prefix: str, version: str) -> dict:
    """The document for the API mounted at `prefix`."""
    paths = {
        "/stats": {
            "get": {
                "summary": "What the corpus holds, and the ortholog table's source",
                "responses": _answers(
                    _object(
                        ["figures", "genes", "links", "papers", "organisms", "years", "problems", "orthologs"],
                        figures=INTEGER,
                        genes=INTEGER,
                        links=INTEGER,
                        papers=INTEGER,
                        organisms={"type": "object", "additionalProperties": INTEGER},
                        years={"type": "object"},
                        problems=INTEGER,
                        orthologs={"type": "object"},
                    ),
                    "counts",
                ),
            }
        },
        "/genes": {
            "get": {
                "summary": "Type-ahead of genes by symbol, printed word or NCBI id",
                "parameters": [
                    _query(
                        "q",
                        "a prefix of a symbol, printed word or NCBI id",
                        {**TEXT, "maxLength": PREFIX_LENGTH},
                        required=True,
                        example="TP5",
                    ),
                    _limit(20, TYPE_AHEAD_LIMIT),
                ],
                "responses": _answers(_object(["genes"], genes={"type": "array"}), "genes", 400),
            }
        },
        "/genes/{token}/figures": {
            "get": {
                "summary": "The figures of genes (and, with orthologs=1, of their orthologs)",
                "parameters": [
                    {
                        "name": "token",
                        "in": "path",
                        "required": True,
                        "description": f"gene symbols or NCBI ids, comma-separated (at most {MAX_LIST:,})",
                        "schema": STRING,
                    },
                    *FILTERS,
                    *GENE_MATCH,
                    _query("orthologs", "also the genes' orthologs (1 or 0)", SWITCH),
                ],
                "responses": _answers(
                    _object(
                        ["genes", "unrecognised", "total", "figures"],
                        genes={"type": "array"},
                        unrecognised=STRINGS,
                        total=INTEGER,
                        figures={"type": "array", "items": FIGURE_SUMMARY},
                    ),
                    "figures, newest first",
                    400,
                    404,
                ),
            }
        },
        "/figures/{figid}": {
            "get": {
                "summary": "A figure's whole record",
                "parameters": [
                    {"name": "figid", "in": "path", "required": True, "description": "a figure's id", "schema": STRING}
                ],
                "responses": _answers(
                    _object(["figid", "genes", "chemicals", "diseases"], figid=STRING, genes={"type": "array"}),
                    "the record",
                    404,
                ),
            }
        },
        "/enrich": {
            "post": {
                "summary": "Which figures match a gene list (one-sided Fisher exact test, BH FDR)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "example": {"genes": ["TP53", "MDM2"]},
                            "schema": {
                                "type": "object",
                                "required": ["genes"],
                                "additionalProperties": False,
                                "properties": {
                                    "genes": {
                                        "oneOf": [{**ENTRIES, "minItems": 1}, {**STRING, "maxLength": MAX_LIST_TEXT}],
                                        "description": GENE_LIST,
                                    },
                                    "background": {
                                        "oneOf": [ENTRIES, {**STRING, "maxLength": MAX_LIST_TEXT}, NULL],
                                        "description": f"{GENE_LIST} (default: every gene of the list's species)",
                                    },
                                    "species": {
                                        "type": ["string", "null"],
                                        "description": "the name of a species of the corpus' genes (default: read "
                                        "from the list)",
                                    },
                                    "organisms": {
                                        "oneOf": [STRINGS, NULL],
                                        "description": "a list of organism names",
                                        "default": [],
                                    },
                                    "include_unstated": {
                                        "oneOf": [{"type": "boolean"}, FLAG, NOT_GIVEN, NULL],
                                        "description": 'true or false (or the text "1" or "0")',
                                    },
                                    "years": {"type": ["string", "null"], "description": 'a string like "2010-2020"'},
                                    "min_size": {
                                        **_whole(1, MAX_MIN_SIZE, DEFAULT_MIN_SIZE),
                                        "type": ["integer", "null"],
                                    },
                                    "exact": {"type": ["boolean", "null"], "default": False},
                                    "limit": {**_whole(1, MAX_RESULTS, DEFAULT_RESULTS), "type": ["integer", "null"]},
                                    "orthologs": {"type": ["boolean", "null"], "default": False},
                                    "list_species": {
                                        "type": ["string", "null"],
                                        "description": "the name of the list's species (read with orthologs; "
                                        "default: read from the list)",
                                    },
                                },
                            },
                        }
                    },
                },
                "responses": _answers(
                    _object(
                        ["species", "background_size", "query_size", "unrecognised", "tested", "results"],
                        results={"type": "array"},
                        tested=INTEGER,
                    ),
                    "the results, best first",
                    400,
                    413,
                ),
            }
        },
        "/search": {
            "get": {
                "summary": "Full-text search of the figures",
                "parameters": [
                    _query("q", 'a query (words, "a phrase", word*, an id)', QUERY, True, "autophagy"),
                    _limit(20, SEARCH_LIMIT),
                    _limit(0, SEARCH_OFFSET, "offset", low=0, what="how many hits to skip"),
                    *FILTERS,
                    GENES,
                    *GENE_MATCH,
                    *(
                        _query(
                            kind,
                            f"{kind[:-1]} names or ids, comma-separated (at most {TERMS_ASKED:,}): figures "
                            "mentioning any",
                            STRING,
                        )
                        for kind in ("chemicals", "diseases")
                    ),
                ],
                "responses": _answers(
                    _object(["total", "figures"], total=INTEGER, figures={"type": "array"}), "hits", 400
                ),
            }
        },
        "/chemicals": {
            "get": {
                "summary": "Type-ahead of chemicals by name or id",
                "parameters": _type_ahead("a name or id", "glucose"),
                "responses": _answers(_object(["chemicals"], chemicals={"type": "array"}), "chemicals", 400),
            }
        },
        "/diseases": {
            "get": {
                "summary": "Type-ahead of diseases by name or id",
                "parameters": _type_ahead("a name or id", "cancer"),
                "responses": _answers(_object(["diseases"], diseases={"type": "array"}), "diseases", 400),
            }
        },
        "/organisms": {
            "get": {
                "summary": "Organisms of the corpus by common or scientific name",
                "parameters": _type_ahead("a scientific or common name", "human"),
                "responses": _answers(_object(["organisms"], organisms={"type": "array"}), "organisms", 400),
            }
        },
        "/timeline": {
            "get": {
                "summary": "Figures holding any of the genes, per year",
                "parameters": [
                    _query("genes", "genes (symbols or NCBI ids, comma-separated)", TEXT, True, "TNFSF11"),
                    *FILTERS,
                ],
                "responses": _answers(
                    _object(["years", "first_year"], years={"type": "object"}, first_year={"type": "object"}),
                    "per year",
                    400,
                ),
            }
        },
        "/cooccurrence": {
            "get": {
                "summary": "The genes in most of the selection's figures, linked where they share figures",
                "parameters": [GENES, _limit(40, TOP_GENES, "top"), *FILTERS],
                "responses": _answers(
                    _object(["nodes", "edges"], nodes={"type": "array"}, edges={"type": "array"}), "the graph", 400
                ),
            }
        },
        "/path": {
            "get": {
                "summary": "The shortest chains gene → figure → gene between two genes",
                "parameters": [
                    _query("from", "the gene to start from", TEXT, required=True, example="TNFSF11"),
                    _query("to", "the gene to reach", TEXT, required=True, example="TNFRSF11A"),
                    _limit(MAX_PATHS, PATHS_ASKED, "max_paths"),
                    *FILTERS,
                ],
                "responses": _answers(
                    _object(["length", "paths"], length={"type": ["integer", "null"]}, paths={"type": "array"}),
                    "the paths",
                    400,
                ),
            }
        },
        "/map": {
            "get": {
                "summary": f"The corpus map's points (grid 0–{GRID})",
                "parameters": [GENES, *FILTERS],
                "responses": _answers(
                    _object(["figures", "grid", "figid", "x", "y", "year"], figures=INTEGER, grid=INTEGER),
                    "points in columns",
                    400,
                    404,
                ),
            }
        },
        "/network": {
            "get": {
                "summary": "The network the page draws for the page URL's parameters, as Cytoscape.js JSON",
                "parameters": [_query(name, *PAGE_PARAMS[name]) for name in KNOWN_PARAMS],
                "responses": _answers(_object(["elements"], elements={"type": "object"}), "Cytoscape.js JSON", 400),
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "The API's OpenAPI 3.1 document (what this reference is written from)",
                "responses": _answers({"type": "object"}, "the OpenAPI document"),
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pfocr-dashboard API",
            "version": version,
            "description": "PFOCR figures, their genes, searches, enrichments and patterns, as JSON.",
        },
        "servers": [{"url": prefix}],
        "paths": paths,
        "components": {
            "schemas": {"Error": _object(["error", "status"], error=STRING, status=INTEGER)},
            "responses": {
                "Error": {
                    "description": "what was wrong with the request, or what was not found",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            },
        },
    }
