"""Web floor: the view state the URL and the browser hold (small values only), and its query-string form.

`genes`, `match`, `organisms`, `years`, `figure` are the shareable parameters of the page URL; `exact` and `budget`
ride along. Unknown or malformed values are dropped, each with a notice the page shows.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from urllib.parse import parse_qsl, urlencode

from dashboard.analysis.graph import DEFAULT_BUDGET, MAX_BUDGET, MIN_BUDGET, parse_node
from dashboard.analysis.model import MATCH_MODES, Corpus, Selection, resolve_genes

MAX_QUERY = 8_192  # characters of query string read at all
MAX_GENES = 50  # genes one view can be centred on
MAX_SHOWN_VALUE = 40  # characters of a bad value echoed back in a notice
_YEARS = re.compile(r"\s*(\d{4})\s*(?:[-–:]\s*(\d{4})\s*)?")
KNOWN_PARAMS = ("genes", "match", "organisms", "years", "figure", "exact", "budget")


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

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> ViewState:
        """Rebuild from a browser store; anything malformed falls back to the default."""
        if not isinstance(data, dict):
            return cls()
        try:
            if not all(isinstance(g, int | str) and str(g).isdigit() for g in data.get("genes") or ()):
                return cls()
            years = data.get("years")
            return cls(
                genes=tuple(int(g) for g in data.get("genes") or ()),
                match=data.get("match") if data.get("match") in MATCH_MODES else "any",
                organisms=tuple(str(o) for o in data.get("organisms") or ()),
                years=(int(years[0]), int(years[1])) if years else None,
                figure=str(data["figure"]) if data.get("figure") else None,
                exact=bool(data.get("exact")),
                budget=int(data.get("budget") or DEFAULT_BUDGET),
            )
        except (TypeError, ValueError, IndexError, KeyError, AttributeError):
            return cls()

    @property
    def focus_gene(self) -> int | None:
        """The gene the detail panel shows: the one chosen last."""
        return self.genes[-1] if self.genes else None


def _shown(value: str) -> str:
    return value if len(value) <= MAX_SHOWN_VALUE else value[:MAX_SHOWN_VALUE] + "…"


def parse_query(corpus: Corpus, search: str | None) -> tuple[ViewState, list[str]]:
    """A page URL's query string → the view state, and a notice for every value that was dropped."""
    notices: list[str] = []
    search = search.lstrip("?") if isinstance(search, str) else ""
    if len(search) > MAX_QUERY:
        return ViewState(), [f"The link's parameters are {len(search):,} characters long; they were ignored."]
    params: dict[str, str] = {}
    for key, value in parse_qsl(search, keep_blank_values=True):
        if key not in KNOWN_PARAMS:
            notices.append(f"Unknown parameter '{_shown(key)}' ignored.")
        else:
            params[key] = value
    state = ViewState()

    if genes := params.get("genes", "").strip():
        tokens = [t.strip() for t in genes.split(",") if t.strip()]
        if len(tokens) > MAX_GENES:
            notices.append(f"Only the first {MAX_GENES} of {len(tokens)} genes were used.")
            tokens = tokens[:MAX_GENES]
        rows, unknown = resolve_genes(corpus, tokens)
        notices.extend(f"Unknown gene '{_shown(t)}' dropped." for t in unknown)
        state = replace(state, genes=tuple(int(corpus.gene_ids[r]) for r in rows[:MAX_GENES]))

    if "match" in params:
        if params["match"] in MATCH_MODES:
            state = replace(state, match=params["match"])
        else:
            notices.append(f"Match mode '{_shown(params['match'])}' is not 'any' or 'all'; using 'any'.")

    if organisms := params.get("organisms", "").strip():
        known, dropped = [], []
        for name in (o.strip() for o in organisms.split(",")):
            if not name:
                continue
            (known if name in corpus.organism_figures else dropped).append(name)
        notices.extend(f"Unknown organism '{_shown(o)}' dropped." for o in dropped)
        state = replace(state, organisms=tuple(dict.fromkeys(known)))

    if years := params.get("years", "").strip():
        parsed = parse_years(years)
        if parsed is None:
            notices.append(f"Years '{_shown(years)}' are not a range like 2010-2020; all years shown.")
        else:
            if parsed[0] > parsed[1]:
                notices.append(f"Years '{_shown(years)}' were reversed; read as {parsed[1]}-{parsed[0]}.")
                parsed = (parsed[1], parsed[0])
            state = replace(state, years=parsed)

    if figure := params.get("figure", "").strip():
        if corpus.figure_row(figure) is None:
            notices.append(f"Figure '{_shown(figure)}' is not in this corpus.")
        else:
            state = replace(state, figure=figure)

    if "exact" in params:
        state = replace(state, exact=params["exact"].strip().lower() in {"1", "true", "yes", "on"})

    if budget := params.get("budget", "").strip():
        if budget.isdigit() and MIN_BUDGET <= int(budget) <= MAX_BUDGET:
            state = replace(state, budget=int(budget))
        else:
            notices.append(f"Node budget '{_shown(budget)}' is not a number from {MIN_BUDGET} to {MAX_BUDGET}.")
    return state, notices


def parse_years(text: str) -> tuple[int, int] | None:
    """`2010-2020` or `2015` → (low, high) as written (may be reversed); None if not years."""
    match = _YEARS.fullmatch(text)
    if match is None:
        return None
    low = int(match.group(1))
    high = int(match.group(2) or low)
    return low, high


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
    if state.genes:
        params.append(("genes", ",".join(gene_token(corpus, g) for g in state.genes)))
    if state.match != "any":
        params.append(("match", state.match))
    if state.organisms:
        params.append(("organisms", ",".join(state.organisms)))
    if state.years is not None:
        params.append(("years", f"{state.years[0]}-{state.years[1]}"))
    if state.figure:
        params.append(("figure", state.figure))
    if state.exact:
        params.append(("exact", "1"))
    if state.budget != DEFAULT_BUDGET:
        params.append(("budget", str(state.budget)))
    return "?" + urlencode(params, safe=",") if params else ""


def to_selection(corpus: Corpus, state: ViewState) -> Selection:
    """The analysis floor's selection (gene rows) for a view state."""
    rows = tuple(r for g in state.genes if (r := corpus.gene_row(g)) is not None)
    return Selection(genes=rows, match=state.match, organisms=state.organisms, years=state.years, exact=state.exact)


def apply_node_click(state: ViewState, node: str | None) -> ViewState:
    """A click on a network node: a gene re-centres the view on it, a figure opens its record."""
    parsed = parse_node(node or "")
    if parsed is None:
        return state
    kind, key = parsed
    if kind == "gene" and key.isdigit():
        return replace(state, genes=(int(key),), figure=None)
    if kind == "figure":
        return replace(state, figure=key)
    return state
