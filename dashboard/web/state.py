"""Web floor: the view state the URL and the browser hold (small values only), and its query-string form.

`q` (a full-text search), `genes`, `match`, `organisms`, `chemicals`, `diseases`, `years`, `region` (a box or lasso
drawn on the corpus map), `figure` and `list` (the entries of the gene list the enrichment ran on) are the shareable
parameters of the page URL; `include_unstated`, `exact`, `budget` and the network's `expand`, `colour` and `labels`
ride along. Unknown or malformed values are dropped, each with a notice the page shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from urllib.parse import parse_qsl, urlencode

from dashboard.analysis.corpusmap import RegionError, parse_region
from dashboard.analysis.graph import DEFAULT_BUDGET, MAX_BUDGET, MIN_BUDGET, parse_node
from dashboard.analysis.model import MATCH_MODES, TERM_KINDS, Corpus, Selection, resolve_genes
from dashboard.analysis.orthologs import with_orthologs
from dashboard.analysis.terms import resolve_terms
from dashboard.corpus.numbers import is_ascii_digits, to_int, to_int_in
from dashboard.corpus.textindex.query import QueryError
from dashboard.corpus.textindex.query import parse_query as parse_text_query

MAX_QUERY = 8_192  # characters of query string read at all
MAX_GENES = 50  # genes one view can be centred on
MAX_SHOWN_VALUE = 40  # characters of a bad value echoed back in a notice
_YEARS = re.compile(r"\s*([0-9]{4})\s*(?:[-–:]\s*([0-9]{4})\s*)?")
KNOWN_PARAMS = (
    "q",
    "genes",
    "match",
    "organisms",
    "chemicals",
    "diseases",
    "include_unstated",
    "years",
    "figure",
    "exact",
    "budget",
    "expand",
    "colour",
    "labels",
    "region",
    "terms",
    "species",
    "path",
    "list",
    "orthologs",
)
COLOUR_MODES = ("plain", "organism", "year")
MAX_EXPANDED = 20  # bundles opened at once
MAX_TEXT = 500  # characters of a full-text search
MAX_TERMS = 20  # chemicals (or diseases) one selection filters by
MAX_LINK_LIST = 2_000  # characters of a gene list's entries (comma-separated) that travel in a link
MAX_LIST_ENTRY = 100  # characters of one entry of a gene list in a link
YES = {"1", "true", "yes", "on"}  # a link's switch values (the API's document lists them too)
NO = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class ViewState:
    """What the user is looking at: chosen genes (NCBI ids), filters, the open figure, and view options."""

    genes: tuple[int, ...] = ()
    match: str = "any"
    organisms: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    figure: str | None = None
    exact: bool = False
    budget: int = DEFAULT_BUDGET
    unstated: bool = False  # with an organism filter, also the figures that state no organism
    expanded: tuple[str, ...] = ()  # figures whose bundle of private genes is opened in the network
    colour: str = "plain"  # what the network's figure colours say: plain, organism or year
    label_all: bool = False  # label every node of the network, not only those that fit
    show_terms: bool = False  # the network draws the figures' chemicals and diseases as nodes too
    other_species: bool = False  # with an organism chosen, the network draws genes of other species too
    path: tuple[int, int] | None = None  # the two genes (NCBI ids) the paths view connects
    text: str = ""  # a full-text search: its hits are the selection, within the other filters
    chemicals: tuple[str, ...] = ()  # term keys (`mesh:D005947`): figures mentioning any of them
    diseases: tuple[str, ...] = ()
    region: tuple[int, ...] = ()  # a box or polygon drawn on the corpus map, in its grid units
    gene_list: tuple[str, ...] = ()  # the entries of the gene list the enrichment was run on (`list=`)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> ViewState:
        """Rebuild from a browser store (see `read_stored`); a malformed field keeps its default."""
        return read_stored(data)[0]

    def selection_part(self) -> ViewState:
        """What the figure table, counts and enrichment depend on: the genes and filters only."""
        return ViewState(
            genes=self.genes,
            match=self.match,
            organisms=self.organisms,
            years=self.years,
            exact=self.exact,
            unstated=self.unstated,
            text=self.text,
            chemicals=self.chemicals,
            diseases=self.diseases,
            region=self.region,
        )

    def network_part(self) -> ViewState:
        """What the network depends on: the selection, the view options, and the open figure only when no gene is
        chosen (then the view centres on it)."""
        return replace(self, figure=None if self.genes else self.figure, path=None, gene_list=())

    @property
    def focus_gene(self) -> int | None:
        """The gene the detail panel shows: the one chosen last."""
        return self.genes[-1] if self.genes else None


def _shown(value: str) -> str:
    return value if len(value) <= MAX_SHOWN_VALUE else value[:MAX_SHOWN_VALUE] + "…"


class Notice(str):
    """A notice for the user, as the page shows it; `dropped` when a value was not used as given (an API request
    holding it is refused), and `reason` the part that says what is wrong, without what the page did instead."""

    dropped: bool
    reason: str

    def __new__(cls, reason: str, instead: str = "", dropped: bool = True) -> Notice:
        notice = super().__new__(cls, f"{reason}; {instead}." if instead else f"{reason}.")
        notice.dropped = dropped
        notice.reason = f"{reason}."
        return notice


def parse_query(corpus: Corpus, search: str | None) -> tuple[ViewState, list[Notice]]:
    """A page URL's query string → the view state, and a notice for every value that was dropped."""
    notices: list[Notice] = []
    search = search.lstrip("?") if isinstance(search, str) else ""
    if len(search) > MAX_QUERY:
        return ViewState(), [Notice(f"The link's parameters are {len(search):,} characters long", "they were ignored")]
    params: dict[str, str] = {}
    repeated: dict[str, int] = {}
    for key, value in parse_qsl(search, keep_blank_values=True):
        if key not in KNOWN_PARAMS:
            notices.append(Notice(f"Unknown parameter '{_shown(key)}' ignored"))
        else:
            repeated[key] = repeated.get(key, 0) + (key in params)
            params[key] = value
    # As the API refuses them: a parameter given twice keeps its last value, and the page says so.
    notices.extend(
        Notice(
            f"'{key}' is given {times + 1} times in the link",
            f"only the last ('{_shown(params[key])}') was used — give its values once, comma-separated",
        )
        for key, times in repeated.items()
        if times
    )
    state = ViewState()

    if text := params.get("q", "").strip():
        if notice := text_search_notice(text):
            notices.append(notice)
        else:
            state = replace(state, text=text)

    if genes := params.get("genes", "").strip():
        tokens = [t.strip() for t in genes.split(",") if t.strip()]
        tokens = capped_genes(tokens, notices)
        if params.get("orthologs", "").strip().lower() in YES:  # the genes named and their orthologs, all listed
            via, unknown = with_orthologs(corpus, tokens)
            rows = list(via)
            added = [corpus.gene_label(r) for r, how in via.items() if how != "named"]
            if added:
                notices.append(Notice(f"Orthologs included: {', '.join(added[:20])}", dropped=False))
        else:
            rows, unknown = resolve_genes(corpus, tokens)
        notices.extend(Notice(f"Unknown gene '{_shown(t)}' dropped") for t in unknown)
        state = replace(state, genes=tuple(int(corpus.gene_ids[r]) for r in capped_genes(rows, notices)))
    if "orthologs" in params and params["orthologs"].strip().lower() not in YES | NO:
        notices.append(Notice(f"orthologs '{_shown(params['orthologs'])}' is not 1 or 0", "read as 0"))

    if "match" in params:
        if params["match"] in MATCH_MODES:
            state = replace(state, match=params["match"])
        else:
            notices.append(Notice(f"Match mode '{_shown(params['match'])}' is not 'any' or 'all'", "using 'any'"))

    if organisms := params.get("organisms", "").strip():
        known, dropped = [], []
        for name in (o.strip() for o in organisms.split(",")):
            if not name:
                continue
            (known if name in corpus.organism_figures else dropped).append(name)
        notices.extend(Notice(f"Unknown organism '{_shown(o)}' dropped") for o in dropped)
        state = replace(state, organisms=tuple(dict.fromkeys(known)))

    for kind in TERM_KINDS:
        if terms := params.get(kind, "").strip():
            tokens = [t.strip() for t in terms.split(",") if t.strip()]
            if len(tokens) > MAX_TERMS:
                notices.append(Notice(f"Only the first {MAX_TERMS} of {len(tokens)} {kind} were used"))
                tokens = tokens[:MAX_TERMS]
            keys, unknown = resolve_terms(corpus, kind, tokens)
            notices.extend(Notice(f"Unknown {kind[:-1]} '{_shown(t)}' dropped") for t in unknown)
            state = replace(state, **{kind: tuple(keys)})

    if "include_unstated" in params:
        flag = params["include_unstated"].strip().lower()
        if flag not in YES | NO:
            notices.append(Notice(f"include_unstated '{_shown(flag)}' is not 1 or 0", "read as 0"))
        state = replace(state, unstated=flag in YES)

    if years := params.get("years", "").strip():
        parsed = parse_years(years)
        if parsed is None:
            notices.append(Notice(f"Years '{_shown(years)}' are not a range like 2010-2020", "all years shown"))
        else:
            if parsed[0] > parsed[1]:
                notices.append(
                    Notice(f"Years '{_shown(years)}' were reversed", f"read as {parsed[1]}-{parsed[0]}", dropped=False)
                )
                parsed = (parsed[1], parsed[0])
            span = corpus.year_span
            if span is not None and (parsed[1] < span[0] or parsed[0] > span[1]):
                reason = f"No figure of this corpus is from {parsed[0]}-{parsed[1]}: its figures are from "
                notices.append(Notice(f"{reason}{span[0]}-{span[1]}", dropped=False))
            state = replace(state, years=normalise_years(corpus, parsed))

    if figure := params.get("figure", "").strip():
        if corpus.figure_row(figure) is None:
            notices.append(Notice(f"Figure '{_shown(figure)}' is not in this corpus"))
        else:
            state = replace(state, figure=figure)

    if "exact" in params:
        flag = params["exact"].strip().lower()
        if flag not in YES | NO:
            notices.append(Notice(f"exact '{_shown(flag)}' is not 1 or 0", "read as 0"))
        state = replace(state, exact=flag in YES)

    if budget := params.get("budget", "").strip():
        if (number := to_int_in(budget, MIN_BUDGET, MAX_BUDGET)) is not None:
            state = replace(state, budget=number)
        else:
            notices.append(Notice(f"Node budget '{_shown(budget)}' is not a number from {MIN_BUDGET} to {MAX_BUDGET}"))

    if expand := params.get("expand", "").strip():
        figures = [f.strip() for f in expand.split(",") if f.strip()]
        known = [f for f in figures if corpus.figure_row(f) is not None]
        notices.extend(
            Notice(f"Figure '{_shown(f)}' to expand is not in this corpus") for f in figures if f not in known
        )
        state = replace(state, expanded=tuple(dict.fromkeys(known))[:MAX_EXPANDED])

    if "colour" in params:
        if params["colour"] in COLOUR_MODES:
            state = replace(state, colour=params["colour"])
        else:
            notices.append(Notice(f"Colour '{_shown(params['colour'])}' is not one of {', '.join(COLOUR_MODES)}"))

    if "region" in params:
        try:
            state = replace(state, region=parse_region(params["region"]))
        except RegionError as exc:
            notices.append(Notice(f"Region '{_shown(params['region'])}' dropped: {exc}"))

    if "labels" in params:
        labels = params["labels"].strip().lower()
        if labels not in ("all", ""):
            notices.append(Notice(f"labels '{_shown(labels)}' is not 'all'", "only the labels that fit are shown"))
        state = replace(state, label_all=labels == "all")

    if "terms" in params:
        flag = params["terms"].strip().lower()
        if flag not in YES | NO:
            notices.append(Notice(f"terms '{_shown(flag)}' is not 1 or 0", "read as 0"))
        state = replace(state, show_terms=flag in YES)

    if path := params.get("path", "").strip():
        tokens = [t.strip() for t in path.split(",") if t.strip()]
        ends = [resolve_genes(corpus, [token])[0] for token in tokens]
        if len(tokens) != 2 or not all(ends):
            notices.append(Notice(f"Path '{_shown(path)}' is not two genes of this corpus (path=TNFSF11,AKT1)"))
        else:
            state = replace(state, path=(int(corpus.gene_ids[ends[0][0]]), int(corpus.gene_ids[ends[1][0]])))

    if "list" in params:
        entries, notice = link_list(params["list"].split(","), "it was not used")
        if notice:
            notices.append(notice)
        state = replace(state, gene_list=entries)

    if "species" in params:
        species = params["species"].strip().lower()
        if species not in ("all", "chosen"):
            notices.append(Notice(f"species '{_shown(species)}' is not 'all' or 'chosen'", "read as 'chosen'"))
        state = replace(state, other_species=species == "all")
    return state, notices


def link_list(
    entries: list[str] | tuple[str, ...],
    instead: str = "the link and Back keep the view but not the list: export the results or the list to share it",
) -> tuple[tuple[str, ...], Notice | None]:
    """A gene list's entries as a link holds them (`list=`, comma-separated), with a notice when they cannot all
    travel: an entry holding a comma, a control character or more than MAX_LIST_ENTRY characters is left out, and
    a list longer than MAX_LINK_LIST characters is not put in the link at all."""
    kept = tuple(dict.fromkeys(e.strip() for e in entries if isinstance(e, str) and e.strip()))
    bad = [e for e in kept if "," in e or len(e) > MAX_LIST_ENTRY or not e.isprintable()]
    kept = tuple(e for e in kept if e not in bad)
    length = len(",".join(kept))
    if length > MAX_LINK_LIST:
        return (), Notice(
            f"The gene list ({len(kept):,} entries, {length:,} characters) is too long for a link (at most "
            f"{MAX_LINK_LIST:,} characters)",
            instead,
        )
    if bad:
        shown = ", ".join(f"'{_shown(e)}'" for e in bad[:5]) + (" …" if len(bad) > 5 else "")
        return kept, Notice(f"Gene list entries left out of the link ({len(bad):,}): {shown}")
    return kept, None


def parse_years(text: str) -> tuple[int, int] | None:
    """`2010-2020` or `2015` → (low, high) as written (may be reversed); None if not years."""
    match = _YEARS.fullmatch(text)
    if match is None:
        return None
    low = int(match.group(1))
    high = int(match.group(2) or low)
    return low, high


def text_search_problem(text: str) -> str | None:
    """Why a full-text search cannot be run (None if it can): the search index's own query reader decides."""
    if len(text) > MAX_TEXT:
        return f"it is longer than {MAX_TEXT} characters"
    try:
        parse_text_query(text)
    except QueryError as exc:
        return str(exc)
    return None


def text_search_notice(text: object) -> Notice | None:
    """What the user is told when a search typed or linked cannot be run (None if it can, or there is none)."""
    if not isinstance(text, str) or not text.strip():
        return None
    problem = text_search_problem(text.strip())
    return Notice(f"Search '{_shown(text.strip())}' was dropped: {problem}") if problem else None


def normalise_years(corpus: Corpus, years: tuple[int, int] | None) -> tuple[int, int] | None:
    """One meaning for one range: a range that covers the corpus' whole span is no filter (figures without a year
    stay in), whether it comes from the slider, a link or the API."""
    span = corpus.year_span
    if years is None or span is None:
        return years
    return None if years[0] <= span[0] and years[1] >= span[1] else years


def gene_token(corpus: Corpus, gene_id: int) -> str:
    """How a gene is written in a URL: its symbol where that names it alone, else its NCBI id."""
    row = corpus.gene_row(gene_id)
    if row is None:
        return str(gene_id)
    symbol = corpus.symbols[row]
    return symbol if symbol and corpus.rows_for_symbol(symbol) == [row] and "," not in symbol else str(gene_id)


def to_query(corpus: Corpus, state: ViewState) -> str:
    """The view state → a query string (`?…`, or '' for the default view); defaults are left out."""
    params: list[tuple[str, str]] = []
    if state.text:
        params.append(("q", state.text))
    if state.genes:
        params.append(("genes", ",".join(gene_token(corpus, g) for g in state.genes)))
    if state.match != "any":
        params.append(("match", state.match))
    if state.organisms:
        params.append(("organisms", ",".join(state.organisms)))
        if state.unstated:
            params.append(("include_unstated", "1"))
    if state.region:
        params.append(("region", ",".join(map(str, state.region))))
    for kind in TERM_KINDS:
        if keys := getattr(state, kind):
            params.append((kind, ",".join(keys)))
    if state.years is not None:
        params.append(("years", f"{state.years[0]}-{state.years[1]}"))
    if state.figure:
        params.append(("figure", state.figure))
    if state.exact:
        params.append(("exact", "1"))
    if state.budget != DEFAULT_BUDGET:
        params.append(("budget", str(state.budget)))
    if state.expanded:
        params.append(("expand", ",".join(state.expanded)))
    if state.colour != "plain":
        params.append(("colour", state.colour))
    if state.label_all:
        params.append(("labels", "all"))
    if state.show_terms:
        params.append(("terms", "1"))
    if state.other_species:
        params.append(("species", "all"))
    if state.path:
        params.append(("path", ",".join(gene_token(corpus, g) for g in state.path)))
    if state.gene_list:
        params.append(("list", ",".join(state.gene_list)))
    return "?" + urlencode(params, safe=",:") if params else ""


def to_selection(corpus: Corpus, state: ViewState) -> Selection:
    """The analysis floor's selection (gene rows) for a view state."""
    rows = tuple(r for g in state.genes if (r := corpus.gene_row(g)) is not None)
    return Selection(
        genes=rows,
        match=state.match,
        organisms=state.organisms,
        years=state.years,
        exact=state.exact,
        unstated=state.unstated,
        text=state.text,
        chemicals=state.chemicals,
        diseases=state.diseases,
        region=state.region,
        other_species=state.other_species,
    )


def _stored_region(value: object) -> tuple[int, ...]:
    """A region kept in a browser store, checked again."""
    return parse_region(",".join(str(int(v)) for v in value)) if value else ()


def _stored_genes(value: object) -> tuple[int, ...]:
    genes = tuple(to_int(g) for g in value or ())
    if any(g is None for g in genes):
        raise ValueError("not NCBI Gene ids")
    return genes


def _stored_path(value: object) -> tuple[int, int] | None:
    if not value:
        return None
    start, end = _stored_genes(value)
    return start, end


def _stored_years(value: object) -> tuple[int, int] | None:
    if not value:
        return None
    low, high = value
    if to_int(low) is None or to_int(high) is None:
        raise ValueError("not two years")
    return to_int(low), to_int(high)


def _one_of(choices: tuple[str, ...]) -> Callable[[object], str]:
    def read(value: object) -> str:
        if value not in choices:
            raise ValueError(f"not one of {', '.join(choices)}")
        return str(value)

    return read


def _strings_of(limit: int) -> Callable[[object], tuple[str, ...]]:
    def read(value: object) -> tuple[str, ...]:
        if not isinstance(value, list | tuple):
            raise TypeError("not a list")
        return tuple(str(v) for v in value)[:limit]

    return read


def _budget(value: object) -> int:
    number = to_int_in(value, MIN_BUDGET, MAX_BUDGET)
    if number is None:
        raise ValueError(f"not a node budget from {MIN_BUDGET} to {MAX_BUDGET}")
    return number


# How each field of a stored view state is read back; a field that fails keeps its default.
_STORED_FIELDS: dict[str, Callable[[object], object]] = {
    "genes": _stored_genes,
    "match": _one_of(MATCH_MODES),
    "organisms": _strings_of(10_000),
    "years": _stored_years,
    "figure": lambda v: str(v) if v else None,
    "exact": bool,
    "budget": _budget,
    "unstated": bool,
    "expanded": _strings_of(MAX_EXPANDED),
    "colour": _one_of(COLOUR_MODES),
    "label_all": bool,
    "show_terms": bool,
    "other_species": bool,
    "path": _stored_path,
    "text": lambda v: str(v or "")[:MAX_TEXT],
    "chemicals": _strings_of(MAX_TERMS),
    "diseases": _strings_of(MAX_TERMS),
    "region": _stored_region,
    "gene_list": lambda v: link_list(_strings_of(MAX_LINK_LIST)(v))[0],
}


def read_stored(data: object) -> tuple[ViewState, list[Notice]]:
    """A view state kept in a browser store (a client may send anything), field by field: a malformed field is
    dropped — it keeps its default — with a notice naming it; the others are kept."""
    if not isinstance(data, dict):
        unreadable = Notice("The page's stored view could not be read", "the default view is shown")
        return ViewState(), [unreadable] if data is not None else []
    values, notices = {}, []
    for name, read in _STORED_FIELDS.items():
        if data.get(name) is None:
            continue
        try:
            values[name] = read(data[name])
        except (TypeError, ValueError, RegionError) as exc:
            notices.append(Notice(f"The view's {name.replace('_', ' ')} could not be read ({exc})", "it was reset"))
    return ViewState(**values), notices


def capped_genes(genes: list, notices: list[Notice]) -> list:
    """The first MAX_GENES of the genes a view is asked to centre on, with a notice when there were more."""
    if len(genes) > MAX_GENES:
        notices.append(Notice(f"Only the first {MAX_GENES} of {len(genes)} genes were used"))
    return genes[:MAX_GENES]


def include_genes(corpus: Corpus, state: ViewState, listed: str) -> tuple[ViewState, list[Notice]]:
    """An "include" button's genes (NCBI ids joined by commas) added to the chosen ones, up to MAX_GENES."""
    added = [int(t) for t in listed.split(",") if is_ascii_digits(t) and corpus.gene_row(int(t)) is not None]
    notices: list[Notice] = []
    genes = capped_genes(list(dict.fromkeys((*state.genes, *added))), notices)
    return replace(state, genes=tuple(genes), figure=None), notices


def apply_node_click(state: ViewState, node: str | None, grow: bool = False) -> ViewState:
    """A click on a network node (or a chip or list item): a gene re-centres the view on it — or, with `grow`, is
    added to the chosen genes —, a figure opens its record, a bundle opens (or closes) its figure's genes."""
    parsed = parse_node(node or "")
    if parsed is None:
        return state
    kind, key = parsed
    if kind == "gene" and is_ascii_digits(key):
        gene = int(key)
        if grow and state.genes:
            return replace(state, genes=tuple(dict.fromkeys((*state.genes, gene)))[:MAX_GENES], figure=None)
        return replace(state, genes=(gene,), figure=None)
    if kind == "figure":
        return replace(state, figure=key)
    if kind == "bundle":
        opened = tuple(f for f in state.expanded if f != key)
        if len(opened) == len(state.expanded):
            opened = (*state.expanded, key)[-MAX_EXPANDED:]
        return replace(state, expanded=opened)
    return state
