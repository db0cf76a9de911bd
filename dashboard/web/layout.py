"""Web floor: the page layout — header, filters, network view, detail panel and figure table."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from dashboard.analysis.genelist import MAX_LIST_TEXT
from dashboard.analysis.graph import DEFAULT_BUDGET, MAX_BUDGET, MIN_BUDGET
from dashboard.analysis.model import Corpus
from dashboard.corpus import columns as C
from dashboard.web import ids

TABLE_PAGE_SIZE = 15
PROBLEMS_LISTED = 200


def year_marks(span: tuple[int, int]) -> dict[int, str]:
    """Slider marks every five years (and at both ends)."""
    low, high = span
    marks = {year: str(year) for year in range(low - low % 5 + 5, high, 5) if year - low >= 3 and high - year >= 3}
    marks.update({low: str(low), high: str(high)})
    return marks


def organism_options(counts: dict[str, int], selected: list[str] | tuple[str, ...] = ()) -> list[dict]:
    """Dropdown options `Name (N)`, most figures first; selected organisms stay even at zero."""
    names = list(counts) + [name for name in selected if name not in counts]
    return [{"label": f"{name} ({counts.get(name, 0):,})", "value": name} for name in names]


def build_header(corpus: Corpus, sources: str) -> html.Header:
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
                        html.Li([html.Code(str(path)), ": ", str(reason)])
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
            report,
        ],
        className="app-header",
    )


def build_filters(corpus: Corpus) -> html.Aside:
    span = corpus.year_span or (2000, 2000)
    return html.Aside(
        [
            html.Label("Genes", htmlFor=ids.GENE_SEARCH),
            dcc.Dropdown(
                id=ids.GENE_SEARCH,
                multi=True,
                options=[],
                value=[],
                placeholder="Symbol or word in figures (RANKL, TP53…)",
                search_order="original",
            ),
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
            html.Label("Organisms", htmlFor=ids.ORGANISM_FILTER),
            dcc.Dropdown(
                id=ids.ORGANISM_FILTER,
                multi=True,
                options=organism_options(corpus.organism_counts),
                value=[],
                placeholder="All organisms",
            ),
            dcc.Checklist(
                id=ids.UNSTATED_SWITCH,
                options=[{"label": " also the figures that state no organism", "value": "unstated"}],
                value=[],
                className="switch",
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
            ),
            dcc.Checklist(
                id=ids.EXACT_SWITCH,
                options=[{"label": " exact symbol matches only", "value": "exact"}],
                value=[],
                className="switch",
            ),
            html.Label("Node budget", htmlFor=ids.NODE_BUDGET),
            dcc.Input(
                id=ids.NODE_BUDGET,
                type="number",
                min=MIN_BUDGET,
                max=MAX_BUDGET,
                step=10,
                value=DEFAULT_BUDGET,
                debounce=True,
            ),
            html.Div(id=ids.SELECTION_SUMMARY, className="summary", role="status"),
        ],
        className="filters",
    )


FIGURE_TABLE_COLUMNS = [
    {"headerName": "Title", "field": C.TITLE, "flex": 4, "wrapText": True, "autoHeight": True},
    {"headerName": "Year", "field": C.YEAR, "flex": 1, "sort": "desc"},
    {"headerName": "Organisms", "field": C.ORGANISMS, "flex": 2, "wrapText": True, "autoHeight": True},
    {"headerName": "Genes", "field": "n_genes", "flex": 1},
    {"headerName": "Chosen genes", "field": "n_chosen", "flex": 1},
    {"headerName": "Figure id", "field": C.FIGID, "flex": 2, "cellClass": "mono"},
]


ENRICH_COLUMNS = [
    {"headerName": "Figure", "field": C.TITLE, "flex": 4, "tooltipField": C.TITLE},
    {"headerName": "Year", "field": C.YEAR, "flex": 1},
    {"headerName": "Overlap", "field": "overlap", "flex": 1},
    {"headerName": "Set size", "field": "set_size", "flex": 1},
    {
        "headerName": "p",
        "field": "p_value",
        "flex": 1,
        "valueFormatter": {"function": "d3.format('.2e')(params.value)"},
    },
    {"headerName": "FDR", "field": "fdr", "flex": 1, "valueFormatter": {"function": "d3.format('.2e')(params.value)"}},
    {
        "headerName": "Odds ratio",
        "field": "odds_ratio",
        "flex": 1,
        "headerTooltip": "sample odds ratio; — where it is infinite or undefined",
        "valueFormatter": {"function": "params.value == null ? '—' : d3.format('.3~g')(params.value)"},
    },
    {"headerName": "Overlapping genes", "field": "overlap_label", "flex": 3, "tooltipField": "overlap_label"},
]


def species_options(corpus: Corpus) -> list[dict]:
    """Species of the corpus' genes, most genes first, for a gene list's species selector."""
    return [{"label": f"{name} ({n:,} genes)", "value": name} for name, n in corpus.species_gene_counts.items()]


def build_enrichment(corpus: Corpus) -> html.Section:
    """The gene-list enrichment panel: paste or upload genes, optional background, results table."""
    return html.Section(
        [
            html.H2("Which figures match my gene list?"),
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
                                options=species_options(corpus),
                                value=None,
                                placeholder="The species most entries name",
                                clearable=True,
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
                                defaultColDef={"sortable": True, "resizable": True},
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
                                    "tooltipShowDelay": 300,
                                },
                                className="ag-theme-quartz",
                            ),
                        ],
                        className="enrich-results",
                    ),
                ],
                className="enrich-body",
            ),
            dcc.Store(id=ids.ENRICH_QUERY, data=None),
        ],
        className="enrich-box",
    )


def build_layout(corpus: Corpus, sources: str) -> html.Div:
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.STATE, data=None),
            dcc.Store(id=ids.SELECTION, data=None),
            dcc.Store(id=ids.TABLE_REFRESH, data=None),
            build_header(corpus, sources),
            html.Div(id=ids.NOTICE, className="notice", role="alert"),
            html.Main(
                [
                    build_filters(corpus),
                    html.Section(
                        [
                            html.Div(id=ids.NETWORK_STATUS, className="network-status", role="status"),
                            dcc.Loading(
                                dcc.Graph(
                                    id=ids.NETWORK,
                                    config={"displaylogo": False, "scrollZoom": True},
                                    className="network",
                                ),
                                delay_show=300,
                            ),
                        ],
                        className="network-box",
                    ),
                    html.Section(id=ids.DETAIL, className="detail", **{"aria-live": "polite"}),
                ],
                className="workspace",
            ),
            build_enrichment(corpus),
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
                                    html.Button("Enrichment (TSV)", id=ids.EXPORT_ENRICHMENT, className="export"),
                                    dcc.Download(id=ids.DOWNLOAD),
                                ],
                                className="exports",
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
                        },
                        columnSize="responsiveSizeToFit",
                        className="ag-theme-quartz",
                    ),
                ],
                className="table-box",
            ),
        ],
        className="app",
    )
