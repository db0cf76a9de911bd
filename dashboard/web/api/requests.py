"""The API's shared request parsing and answers: the JSON error shape, the page URL's filters, numbers, gene lists
and type-ahead queries read from a request, each bad value a `BadRequest` saying why."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
from flask import jsonify, request
from werkzeug.exceptions import HTTPException, NotFound

from dashboard.analysis.genelist import MAX_LIST, read_gene_list
from dashboard.analysis.model import Corpus, filter_figures, resolve_genes
from dashboard.corpus import columns as C
from dashboard.corpus.numbers import to_int
from dashboard.web.state import ViewState, parse_query

PREFIX = "/api/v1"


class BadRequest(ValueError):
    """A request the API cannot answer as asked; the message says why."""


def error(status: int, message: str):
    response = jsonify(error=message, status=status)
    response.status_code = status
    return response


def http_error(exc: HTTPException):
    """An HTTP error in the API's JSON shape, with the headers it carries (a 405's Allow). A path no route has is
    said as such (the routes' own 404s, for a gene or figure not found, are answered by the routes)."""
    message = exc.description or exc.name
    if isinstance(exc, NotFound):
        message = f"no endpoint {request.method} {request.path[:100]}; the routes are listed in docs/api.md"
    response = error(exc.code or 500, message)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def figure_summaries(corpus: Corpus, rows: np.ndarray) -> list[dict]:
    """figid, title, year and organisms of many figures (one column read each, not one row at a time)."""
    titles = corpus.figures[C.TITLE].iloc[rows].to_numpy(dtype=object, na_value=None)
    years = corpus.years[rows].tolist()  # Python floats: 10,000 rows without a numpy scalar each
    return [
        {
            "figid": str(figid),
            "title": title,
            "year": None if year != year else int(year),  # NaN is the one value not equal to itself
            "organisms": list(corpus.figure_organisms[row]),
        }
        for row, figid, title, year in zip(rows.tolist(), corpus.figids[rows].tolist(), titles, years, strict=True)
    ]


def filters(corpus: Corpus, organisms: str | None, years: str | None, unstated: object = None) -> ViewState:
    """Organism and year filters (and `include_unstated`) in the page URL's syntax, as the view state they make;
    a bad value is a BadRequest. A range beyond the corpus' years is allowed (it finds nothing)."""
    flag = ("1" if unstated else "0") if isinstance(unstated, bool) else unstated
    pairs = (("organisms", organisms), ("years", years), ("include_unstated", flag))
    state, notices = parse_query(corpus, urlencode({k: v for k, v in pairs if v}))
    problems = [notice.reason for notice in notices if notice.dropped]  # a range reversed or beyond the corpus is used
    if problems:
        raise BadRequest(" ".join(problems))
    return state


def request_filters(corpus: Corpus) -> ViewState:
    """The organism and year filters of this request's query string."""
    args = request.args
    return filters(corpus, args.get("organisms"), args.get("years"), args.get("include_unstated"))


def view_state(corpus: Corpus, args) -> ViewState:
    """The view state of a page URL's parameters, read as the page reads a link; a value the link would drop (an
    unknown gene or figure, a malformed year range or budget, a parameter given twice) is a BadRequest saying why."""
    repeated = [key for key in dict.fromkeys(args) if len(args.getlist(key)) > 1]
    if repeated:
        raise BadRequest(f"'{repeated[0][:40]}' is given more than once: give its values once, comma-separated")
    state, notices = parse_query(corpus, urlencode(list(args.items(multi=True))))
    problems = [notice.reason for notice in notices if notice.dropped]  # a reversed range or one beyond is used
    if problems:
        raise BadRequest(" ".join(problems))
    return state


def gene_entries(value: list | str, key: str) -> list[str]:
    """A JSON body's gene symbols and NCBI ids: its list, or its pasted text read as the page reads it (a table's
    gene column, or a free list); more entries than the page takes is a BadRequest."""
    entries = read_gene_list(value).tokens if isinstance(value, str) else value
    if len(entries) > MAX_LIST:
        raise BadRequest(f"'{key}' has {len(entries):,} entries; at most {MAX_LIST:,} are accepted")
    return [_entry(entry) for entry in entries]


def _entry(entry: str | int | float) -> str:
    """An entry as text: a number as its digits (JSON's 7157.0 is the whole number 7157)."""
    number = None if isinstance(entry, str) else to_int(entry)
    return str(entry if number is None else number)


def comma_list(text: str | None, what: str = "genes", most: int = MAX_LIST) -> list[str]:
    """The entries of a comma-separated parameter; more than `most` is a BadRequest."""
    entries = [part.strip() for part in (text or "").split(",") if part.strip()]
    if len(entries) > most:
        raise BadRequest(f"{len(entries):,} {what} asked for; at most {most:,} are accepted")
    return entries


def pattern_scope(corpus: Corpus) -> tuple[ViewState, np.ndarray, tuple[int, ...]]:
    """The filters of a pattern request, their figure mask, and the gene rows of `genes=`."""
    state = request_filters(corpus)
    rows, unrecognised = resolve_genes(corpus, comma_list(request.args.get("genes")))
    if unrecognised:
        raise BadRequest(f"unrecognised gene(s): {', '.join(t[:40] for t in unrecognised[:10])}")
    return state, filter_figures(corpus, state.organisms, state.years, state.unstated), tuple(rows)


def one_gene(corpus: Corpus, name: str) -> int:
    """The one gene row the parameter `name` names; BadRequest when it names none or several."""
    token = request.args.get(name, "").strip()
    rows, _ = resolve_genes(corpus, [token]) if token else ([], [])
    if len(rows) != 1:
        raise BadRequest(f"'{name}' must name one gene (a symbol in its exact case, or an NCBI id)")
    return rows[0]
