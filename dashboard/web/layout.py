"""Web floor: the page layout — header, filters, network view, detail panel and figure table."""

from __future__ import annotations

import os
from collections.abc import Sequence

import dash_ag_grid as dag
from dash import dcc, html

from dashboard.analysis.genelist import MAX_LIST_TEXT
from dashboard.analysis.graph import DEFAULT_BUDGET, MAX_BUDGET, MIN_BUDGET
from dashboard.analysis.model import UNSTATED, Corpus
from dashboard.analysis.organisms import COMMON_NAMES
from dashboard.analysis.orthologs import list_species_choices
from dashboard.corpus import columns as C
from dashboard.corpus.orthologs import table_species
from dashboard.web import ids
from dashboard.web.overview import build_about, build_overview, example_placeholder

TABLE_PAGE_SIZE = 15
PROBLEMS_LISTED = 200


def year_marks(span: tuple[int, int]) -> dict[int, str]:
    """Slider marks at both ends and every 5, 10, 25 or 50 years — at most about eight in all."""
    low, high = span
    step = next((s for s in (5, 10, 25, 50) if (high - low) / s <= 8), 100)
    near = max(3, step // 2)
    marks = {
        year: str(year)
        for year in range(low - low % step + step, high, step)
        if year - low >= near and high - year >= near
    }
    marks.update({low: str(low), high: str(high)})
    return marks


def organism_options(counts: dict[str, int], selected: list[str] | tuple[str, ...] = ()) -> list[dict]:
    """Dropdown options `Name — common name (N)`, most figures first; selected organisms stay even at zero. The
    common name is in the label so that typing "human", "mouse" or "yeast" finds the species."""
    names = list(counts) + [name for name in selected if name not in counts]
    options = []
    for name in names:
        common = COMMON_NAMES.get(name, ())
        label = f"{name} — {common[0]}" if common else name
        if name == UNSTATED:
            label = "No organism stated"
        options.append({"label": f"{label} ({counts.get(name, 0):,})", "value": name})
    return options


def shown_path(path: str, roots: Sequence[str] = ()) -> str:
    """A file's path as the page shows it: relative to the data root it was found under (named by the root's last
    part), never the server's absolute path."""
    resolved = os.path.abspath(path)
    for root in roots:
        base = os.path.abspath(root)
        if resolved == base or resolved.startswith(base.rstrip(os.sep) + os.sep):
            inside = os.path.relpath(resolved, os.path.dirname(base.rstrip(os.sep)) or base)
            return inside.replace(os.sep, "/")
    return os.path.basename(resolved)


def build_switch(component_id: str, label: str, value: str) -> dcc.Checklist:
    """A one-box checklist that reads as a switch: its value is `[value]` when ticked, `[]` when not."""
    return dcc.Checklist(
        id=component_id, options=[{"label": f" {label}", "value": value}], value=[], className="switch"
    )


def build_gene_picker(component_id: str, placeholder: str, multi: bool = False) -> dcc.Dropdown:
    """Every gene picker: options come from the server, ranked there (`search_genes`: the NCBI id, exact symbol,
    exact printed word, prefixes, then more figures first), and the dropdown keeps that order."""
    return dcc.Dropdown(
        id=component_id,
        multi=multi,
        options=[],
        value=[] if multi else None,
        placeholder=placeholder,
        search_order="original",
    )


def build_year_box(component_id: str, year: int) -> dcc.Input:
    """A year typed as text (ASCII digits, read on the server), applied on Enter or when the box loses focus."""
    return dcc.Input(
        id=component_id,
        type="text",
        inputMode="numeric",
        value=str(year),
        debounce=True,
        size="5",
        maxLength=8,
        autoComplete="off",
        className="year-box",
    )


def build_header(corpus: Corpus, sources: str, roots: Sequence[str] = ()) -> html.Header:
    span = corpus.year_span
    problems = corpus.tables.problems
    stats = f"{corpus.n_figures:,} figures · {corpus.n_genes:,} genes · {corpus.n_papers:,} papers" + (
        f" · {span[0]}–{span[1]}" if span else ""
    )
    report = None
    if len(problems):
        report = html.Details(
            [
                html.Summary(f"{len(problems):,} problem(s) while loading"),
                html.Ul(
                    [
                        html.Li([html.Code(shown_path(str(path), roots)), ": ", str(reason)])
                        for path, reason in problems.head(PROBLEMS_LISTED).itertuples(index=False)
                    ]
                ),
                html.P(f"… and {len(problems) - PROBLEMS_LISTED:,} more.") if len(problems) > PROBLEMS_LISTED else None,
            ],
            id=ids.PROBLEMS,
            className="problems",
        )
    return html.Header(
        [
            html.H1("PFOCR dashboard"),
            html.Div(
                [html.Span(stats, id=ids.HEADER_STATS), html.Span(f" · from {sources}", className="muted")],
                className="header-stats",
            ),
            build_tasks(),
            report,
        ],
        className="app-header",
    )


# What people come to do, each a link to the control that starts it (assets/tasks.js focuses it).
TASKS = (
    ("Look up genes", ids.GENE_SEARCH, "type a symbol or a word printed in figures"),
    ("Bring a gene list", "gene-list", "which figures match my genes? (enrichment)"),
    ("Search figures", ids.TEXT_SEARCH, "titles, captions, chemicals, diseases"),
    ("See patterns", "patterns", "timeline, co-occurrence, paths, the map of the corpus"),
)


def build_tasks() -> html.Nav:
    """The four things people come to do, on the first screen: each a link to where it starts."""
    return html.Nav(
        [
            html.A([html.Span(name, className="task-name"), html.Span(hint, className="task-hint")], href=f"#{anchor}")
            for name, anchor, hint in TASKS
        ]
        + [html.A(html.Span("About", className="task-name"), href="#about", className="task-about")],
        className="tasks",
        **{"aria-label": "What to do"},
    )


def build_filters(corpus: Corpus) -> html.Aside:
    span = corpus.year_span or (2000, 2000)
    return html.Aside(
        [
            html.Label(["Search figures ", html.Span("(press Enter)", className="muted")], htmlFor=ids.TEXT_SEARCH),
            dcc.Input(
                id=ids.TEXT_SEARCH,
                type="search",
                debounce=True,
                value="",
                placeholder='autophagy, "osteoclast differentiation", PMC3762088…',
                className="text-search",
            ),
            html.Div(id=ids.SEARCH_HITS, className="search-hits", role="status"),
            html.Label("Genes", htmlFor=ids.GENE_SEARCH),
            build_gene_picker(ids.GENE_SEARCH, example_placeholder(corpus), multi=True),
            dcc.RadioItems(
                id=ids.MATCH_MODE,
                options=[
                    {"label": "any of them", "value": "any"},
                    {"label": "all of them", "value": "all"},
                ],
                value="any",
                inline=True,
                className="radio",
            ),
            # Folded on a narrow screen (assets/fold.js) so that the network comes sooner; open where there is room.
            html.Details(
                [
                    html.Summary("More filters: organisms, chemicals, diseases, years, node budget"),
                    html.Div(
                        [
                            html.Label("Organisms", htmlFor=ids.ORGANISM_FILTER),
                            dcc.Dropdown(
                                id=ids.ORGANISM_FILTER,
                                multi=True,
                                options=organism_options(corpus.organism_counts),
                                value=[],
                                placeholder="All organisms",
                            ),
                            build_switch(ids.UNSTATED_SWITCH, "also the figures that state no organism", "unstated"),
                            html.Label("Chemicals", htmlFor=ids.CHEMICAL_FILTER),
                            dcc.Dropdown(
                                id=ids.CHEMICAL_FILTER,
                                multi=True,
                                options=[],
                                value=[],
                                placeholder="Name or MeSH / ChEBI id (glucose, D005947…)",
                                search_order="original",
                            ),
                            html.Label("Diseases", htmlFor=ids.DISEASE_FILTER),
                            dcc.Dropdown(
                                id=ids.DISEASE_FILTER,
                                multi=True,
                                options=[],
                                value=[],
                                placeholder="Name or MeSH / DOID id (cancer, D009369…)",
                                search_order="original",
                            ),
                            html.Label("Years"),
                            dcc.RangeSlider(
                                id=ids.YEAR_FILTER,
                                min=span[0],
                                max=span[1],
                                step=1,
                                value=list(span),
                                marks=year_marks(span),
                                tooltip={"placement": "bottom"},
                                allowCross=False,
                                # Its own boxes apply a value only on the next event: ours, below.
                                allow_direct_input=False,
                                className="year-slider",
                            ),
                            html.Div(
                                [
                                    html.Label("from", htmlFor=ids.YEAR_FROM),
                                    build_year_box(ids.YEAR_FROM, span[0]),
                                    html.Label("to", htmlFor=ids.YEAR_TO),
                                    build_year_box(ids.YEAR_TO, span[1]),
                                ],
                                className="year-boxes",
                            ),
                            build_switch(ids.EXACT_SWITCH, "exact symbol matches only", "exact"),
                            html.Label("Node budget", htmlFor=ids.NODE_BUDGET),
                            dcc.Input(
                                id=ids.NODE_BUDGET,
                                type="number",
                                min=MIN_BUDGET,
                                max=MAX_BUDGET,
                                # Any whole number in range is valid: the browser sends no value for an invalid one.
                                step=1,
                                value=DEFAULT_BUDGET,
                                debounce=True,
                            ),
                            html.Div(id=ids.BUDGET_NOTE, className="field-note", role="status"),
                        ],
                        className="filters-more",
                    ),
                ],
                id=ids.MORE_FILTERS,
                open=True,
                className="more-filters",
            ),
            html.Div(id=ids.SELECTION_SUMMARY, className="summary", role="status"),
        ],
        className="filters",
    )


# Number columns have fixed widths that hold their longest value ("8.53e-12") and header; text columns share the
# rest, down to a minimum, and show their full text as a tooltip. No autoHeight: the figure table pages its rows
# from the server (AG Grid's infinite row model, which has fixed row heights), so a title is clamped to two lines.
NUMBER_COLUMN = {"type": "rightAligned", "wrapHeaderText": True, "autoHeaderHeight": True}
SCIENTIFIC = {  # three significant digits, as everywhere a p or FDR is shown: 8.53e-12, 5.7e-5, 0.0497
    "function": "params.value == null ? '' : "
    "d3.format(params.value > 0 && params.value < 1e-3 ? '.2~e' : '.3~g')(params.value)"
}
SCIENTIFIC_FULL = {"function": "params.value == null ? '' : d3.format('.4~e')(params.value)"}
ROW_HEIGHT = 50  # two lines of a title
GRID_TOOLTIP_DELAY = 300  # ms

FIGURE_TABLE_COLUMNS = [
    {
        "headerName": "Title",
        "field": C.TITLE,
        "flex": 3,
        "minWidth": 200,
        "tooltipField": C.TITLE,
        "cellClass": "cell-clamp",
    },
    {**NUMBER_COLUMN, "headerName": "Year", "field": C.YEAR, "width": 90, "sort": "desc"},
    {"headerName": "Organisms", "field": C.ORGANISMS, "flex": 1, "minWidth": 120, "tooltipField": C.ORGANISMS},
    {
        **NUMBER_COLUMN,
        "headerName": "Genes",
        "field": "n_genes",
        "width": 84,
        "headerTooltip": "genes read from the figure",
    },
    {
        **NUMBER_COLUMN,
        "headerName": "Chosen genes",
        "field": "n_chosen",
        "width": 92,
        "headerTooltip": "how many of the chosen genes the figure holds",
    },
    {
        "headerName": "Figure id",
        "field": C.FIGID,
        "flex": 1,
        "minWidth": 150,
        "cellClass": "mono",
        "tooltipField": C.FIGID,
    },
]


ENRICH_COLUMNS = [
    {"headerName": "Figure", "field": C.TITLE, "flex": 3, "minWidth": 150, "tooltipField": C.TITLE},
    {**NUMBER_COLUMN, "headerName": "Year", "field": C.YEAR, "width": 72},
    {
        **NUMBER_COLUMN,
        "headerName": "Overlap",
        "field": "overlap",
        "width": 88,
        "headerTooltip": "genes of the list in the figure",
    },
    {
        **NUMBER_COLUMN,
        "headerName": "Set size",
        "field": "set_size",
        "width": 72,
        "headerTooltip": "the figure's genes tested: those of the list's species in the background",
    },
    {
        **NUMBER_COLUMN,
        "headerName": "p",
        "field": "p_value",
        "width": 90,
        "headerTooltip": "one-sided Fisher exact test (hypergeometric upper tail)",
        "valueFormatter": SCIENTIFIC,
        "tooltipValueGetter": SCIENTIFIC_FULL,
    },
    {
        **NUMBER_COLUMN,
        "headerName": "FDR",
        "field": "fdr",
        "width": 90,
        "headerTooltip": "Benjamini–Hochberg false discovery rate over all sets tested",
        "valueFormatter": SCIENTIFIC,
        "tooltipValueGetter": SCIENTIFIC_FULL,
    },
    {
        **NUMBER_COLUMN,
        "headerName": "Odds ratio",
        "field": "odds_ratio",
        "width": 76,
        "headerTooltip": "sample odds ratio; — where it is infinite or undefined",
        "valueFormatter": {"function": "params.value == null ? '—' : d3.format('.3~g')(params.value)"},
    },
    {
        "headerName": "Overlapping genes",
        "field": "overlap_label",
        "flex": 2,
        "minWidth": 100,
        "tooltipField": "overlap_label",
        "wrapHeaderText": True,
        "autoHeaderHeight": True,
    },
]


THUMB_COLUMN = {  # the figure's image from Europe PMC, when the user asks for thumbnails (assets/thumbnails.js)
    "headerName": "",
    "field": "thumb",
    "colId": "thumb",
    "cellRenderer": "FigureThumb",
    "width": 72,
    "sortable": False,
    "resizable": False,
}


def with_thumbnails(columns: list[dict], shown: bool) -> list[dict]:
    return [THUMB_COLUMN, *columns] if shown else columns


def species_options(corpus: Corpus) -> list[dict]:
    """Species of the corpus' genes, most genes first, for a gene list's species selector."""
    return [{"label": f"{name} ({n:,} genes)", "value": name} for name, n in corpus.species_gene_counts.items()]


def list_species_options(corpus: Corpus) -> list[dict]:
    """The species a list may name: the corpus' (most genes first), then those only the ortholog table knows."""
    known = species_options(corpus)
    table = [s for s in list_species_choices(corpus) if s not in corpus.species_gene_counts]
    return known + [{"label": f"{name} (through orthologs only)", "value": name} for name in table]


def target_species_options(corpus: Corpus) -> list[dict]:
    """The species a list can be mapped to: the corpus' species that the ortholog table covers."""
    return [option for option in species_options(corpus) if table_species(option["value"])]


def build_enrichment(corpus: Corpus) -> html.Section:
    """The gene-list enrichment panel: paste or upload genes, optional background, results table."""
    return html.Section(
        [
            html.H2("Which figures match my gene list?", id="gene-list"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Gene list (symbols or NCBI ids)", htmlFor=ids.ENRICH_GENES),
                            dcc.Textarea(
                                id=ids.ENRICH_GENES,
                                placeholder="TP53 MDM2 CDKN1A …  (newlines, commas, spaces or tabs)",
                                className="gene-list",
                                maxLength=MAX_LIST_TEXT,
                            ),
                            html.Label("Species of the list", htmlFor=ids.ENRICH_SPECIES),
                            dcc.Dropdown(
                                id=ids.ENRICH_SPECIES,
                                options=list_species_options(corpus),
                                value=None,
                                placeholder="The species most entries name",
                                clearable=True,
                            ),
                            html.Div(
                                [
                                    dcc.Checklist(
                                        id=ids.ENRICH_ORTHOLOGS,
                                        options=[{"label": " Map through orthologs to", "value": "orthologs"}],
                                        value=[],
                                        inline=True,
                                    ),
                                    html.Label(
                                        "Species to map the list to",
                                        htmlFor=ids.ENRICH_TARGET,
                                        className="visually-hidden",
                                    ),
                                    dcc.Dropdown(
                                        id=ids.ENRICH_TARGET,
                                        options=(targets := target_species_options(corpus)),
                                        value=targets[0]["value"] if targets else None,
                                        clearable=False,
                                        className="enrich-target",
                                    ),
                                ],
                                className="enrich-orthologs",
                                title="Read the list in its own species and test the orthologs of its genes "
                                "(NCBI HomoloGene) in the figures of this species",
                            ),
                            dcc.Upload(
                                html.Span("or drop / choose a text file"),
                                id=ids.ENRICH_UPLOAD,
                                className="upload",
                                max_size=MAX_LIST_TEXT,
                            ),
                            html.Label(
                                "Background (optional; default: the species' genes in the filtered figures)",
                                htmlFor=ids.ENRICH_BACKGROUND,
                            ),
                            dcc.Textarea(
                                id=ids.ENRICH_BACKGROUND, className="gene-list small", maxLength=MAX_LIST_TEXT
                            ),
                            html.Label("Smallest figure gene set tested", htmlFor=ids.ENRICH_MIN_SIZE),
                            dcc.Input(id=ids.ENRICH_MIN_SIZE, type="number", min=1, step=1, value=3),
                            html.Button("Find matching figures", id=ids.ENRICH_RUN, className="primary"),
                        ],
                        className="enrich-form",
                    ),
                    html.Div(
                        [
                            html.Div(id=ids.ENRICH_MESSAGE, className="muted", role="status"),
                            dag.AgGrid(
                                id=ids.ENRICH_TABLE,
                                columnDefs=ENRICH_COLUMNS,
                                rowData=[],
                                getRowId="params.data.figid",
                                defaultColDef={"sortable": True, "resizable": True, "suppressHeaderMenuButton": True},
                                dashGridOptions={
                                    "rowSelection": {
                                        "mode": "singleRow",
                                        "checkboxes": False,
                                        "enableClickSelection": True,
                                    },
                                    "pagination": True,
                                    "paginationPageSize": 10,
                                    "paginationPageSizeSelector": False,
                                    "domLayout": "autoHeight",
                                    "tooltipShowDelay": GRID_TOOLTIP_DELAY,
                                },
                                # Enter on a focused result opens it, as a click does.
                                eventListeners={"cellKeyDown": ["pfocrSelectRowOnEnter(params, setGridProps)"]},
                                className="ag-theme-quartz",
                            ),
                        ],
                        className="enrich-results",
                    ),
                ],
                className="enrich-body",
            ),
            dcc.Store(id=ids.ENRICH_QUERY, data=None),
            dcc.Store(id=ids.ENRICH_LINKED, data=None),
        ],
        className="enrich-box",
    )


# The modebar without anything that could send the data elsewhere (plotly's "edit in Chart Studio", cloud links).
NETWORK_CONFIG = {
    "displaylogo": False,
    "scrollZoom": True,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "modeBarButtonsToRemove": ["sendDataToCloud", "editInChartStudio", "lasso2d", "select2d"],
    "toImageButtonOptions": {"filename": "pfocr-network", "scale": 2},
}


def build_network_controls() -> html.Div:
    """How the network is drawn: figure colours, labels, and what clicking a gene does."""
    return html.Div(
        [
            html.Span("Colour figures:", className="muted"),
            dcc.RadioItems(
                id=ids.COLOUR_MODE,
                options=[
                    {"label": "plain", "value": "plain"},
                    {"label": "by organism", "value": "organism"},
                    {"label": "by year", "value": "year"},
                ],
                value="plain",
                inline=True,
                className="radio",
            ),
            build_switch(ids.LABEL_ALL, "label all nodes", "all"),
            build_switch(ids.SHOW_TERMS, "show chemicals and diseases", "terms"),
            build_switch(ids.OTHER_SPECIES, "with an organism chosen, genes of other species too", "all"),
            build_switch(ids.CLICK_ADDS, "clicking a gene adds it to the chosen ones", "grow"),
            html.Span(
                [
                    html.Span("Save the network:", className="muted"),
                    html.Button("SVG", id=ids.EXPORT_SVG, className="export", title="As drawn, a vector image"),
                    html.Button("PNG", id=ids.EXPORT_PNG, className="export", title="As drawn, 4800 × 3600 pixels"),
                ],
                className="image-exports",
            ),
            dcc.Store(id=ids.IMAGE_SAVED, data=None),
            dcc.Store(id=ids.NETWORK_NAME, data="pfocr-network"),
        ],
        className="network-controls",
    )


def build_patterns(views: Sequence[tuple[str, str, html.Div]]) -> html.Section | None:
    """The pattern views (value, tab label, content), one tab each; only the chosen tab's view is computed."""
    if not views:
        return None
    return html.Section(
        [
            html.H2("Patterns in this selection", id="patterns"),
            dcc.Tabs(
                [dcc.Tab(content, label=label, value=value) for value, label, content in views],
                id=ids.PATTERN_TABS,
                value=views[0][0],
            ),
        ],
        className="patterns-box",
    )


def build_layout(
    corpus: Corpus, sources: str, roots: Sequence[str] = (), views: Sequence[tuple[str, str, html.Div]] = ()
) -> html.Div:
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.STATE, data=None),
            dcc.Store(id=ids.SELECTION, data=None),
            *(dcc.Store(id=gated, data=None) for gated in ids.GATED_SELECTIONS),
            dcc.Store(id=ids.NETWORK_VIEW, data=None),
            dcc.Store(id=ids.TABLE_REFRESH, data=None),
            dcc.Store(id=ids.URL_CANONICAL, data=None),
            dcc.Store(id=ids.URL_REPLACED, data=None),
            dcc.Store(id=ids.RECORD_SHOWN, data=None),
            build_header(corpus, sources, roots),
            html.Div(id=ids.NOTICE, className="notice", role="alert"),
            html.Main(
                [
                    build_filters(corpus),
                    html.Section(
                        [
                            html.Div(id=ids.NETWORK_STATUS, className="network-status", role="status"),
                            build_network_controls(),
                            dcc.Loading(
                                dcc.Graph(id=ids.NETWORK, config=NETWORK_CONFIG, className="network"),
                                delay_show=300,
                            ),
                        ],
                        className="network-box",
                    ),
                    html.Div(
                        [
                            html.Section(id=ids.DETAIL, className="detail", **{"aria-live": "polite"}),
                            build_overview(corpus),
                        ],
                        className="record-panel",
                    ),
                ],
                className="workspace",
            ),
            build_enrichment(corpus),
            build_patterns(views),
            html.Section(
                [
                    html.Div(
                        [
                            html.H2("Figures in this selection"),
                            html.Div(
                                [
                                    html.Span("Export:", className="muted"),
                                    html.Button("Figures (CSV)", id=ids.EXPORT_FIGURES, className="export"),
                                    html.Button("Gene sets (GMT)", id=ids.EXPORT_GMT, className="export"),
                                    html.Button("Network (GraphML)", id=ids.EXPORT_GRAPHML, className="export"),
                                    html.Button("Network (Cytoscape JSON)", id=ids.EXPORT_CYJS, className="export"),
                                    html.Button(
                                        "Enrichment (TSV)",
                                        id=ids.EXPORT_ENRICHMENT,
                                        className="export",
                                        disabled=True,
                                        title="Run an enrichment first: there are no results to export yet.",
                                    ),
                                    dcc.Download(id=ids.DOWNLOAD),
                                ],
                                className="exports",
                            ),
                            html.Div(id=ids.EXPORT_STATUS, className="export-status", role="status"),
                            dcc.Checklist(
                                id=ids.THUMBNAILS,
                                options=[{"label": " show figure thumbnails (loaded from Europe PMC)", "value": "on"}],
                                value=[],
                                className="switch",
                                persistence=True,
                                persistence_type="local",
                            ),
                        ],
                        className="table-head",
                    ),
                    html.Div(id=ids.TABLE_STATUS, className="muted"),
                    dag.AgGrid(
                        id=ids.FIGURE_TABLE,
                        columnDefs=FIGURE_TABLE_COLUMNS,
                        rowModelType="infinite",
                        getRowId="params.data.figid",
                        defaultColDef={"sortable": True, "resizable": True, "suppressHeaderMenuButton": True},
                        dashGridOptions={
                            "pagination": True,
                            "paginationPageSize": TABLE_PAGE_SIZE,
                            "paginationPageSizeSelector": False,
                            "cacheBlockSize": TABLE_PAGE_SIZE,
                            "maxBlocksInCache": 20,
                            "domLayout": "autoHeight",
                            "rowHeight": ROW_HEIGHT,
                            "tooltipShowDelay": GRID_TOOLTIP_DELAY,
                        },
                        # Enter on a focused row opens its record, as a click does.
                        eventListeners={"cellKeyDown": ["pfocrOpenRowOnEnter(params, setGridProps)"]},
                        className="ag-theme-quartz",
                    ),
                ],
                className="table-box",
            ),
            html.Footer(build_about(sources), className="app-footer"),
        ],
        className="app",
    )
