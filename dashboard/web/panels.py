"""Web floor: the detail panel's contents for a gene or a figure. Every string from the data is a text child
(Dash escapes it); only https links to the expected hosts ever become an `href`."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import numpy as np
import pandas as pd
from dash import dcc, html

from dashboard.analysis.enrich import gene_partners, similar_figures
from dashboard.analysis.model import Corpus, figures_for_genes, genes_of_figure
from dashboard.analysis.orthologs import with_orthologs
from dashboard.analysis.selection import filter_selection
from dashboard.analysis.terms import OTHER_ID, resolve_terms, terms_of_figure
from dashboard.corpus import columns as C
from dashboard.corpus.orthologs import ortholog_table
from dashboard.corpus.records import SEP
from dashboard.web import ids
from dashboard.web.exports import NCBI_GENE_URL, match_kind
from dashboard.web.state import ViewState, to_selection

LINK_HOSTS = frozenset(
    {"www.ncbi.nlm.nih.gov", "europepmc.org", "doi.org", "www.ndexbio.org", "identifiers.org", "pfocr.wikipathways.org"}
)
PFOCR_FIGURE = "https://pfocr.wikipathways.org/figures/{}"  # a figure's page on the PFOCR site, by its figid
# A chemical's or disease's ontology id (as the side files write it) → its identifiers.org link and label; an id of
# any other shape is shown as text.
TERM_ID_LINKS = (
    (re.compile(r"mesh:([CD][0-9]{6,9})", re.IGNORECASE), "https://identifiers.org/mesh:{}", "MeSH {}"),
    (re.compile(r"chebi:([0-9]{1,9})", re.IGNORECASE), "https://identifiers.org/CHEBI:{}", "ChEBI {}"),
    (re.compile(r"doid:([0-9]{1,9})", re.IGNORECASE), "https://identifiers.org/DOID:{}", "DOID {}"),
)
FIGURES_LISTED = 40
PARTNERS_LISTED = 15
SIMILAR_LISTED = 8


def safe_href(url: object) -> str | None:
    """The URL if it is an https link to one of the hosts we link to, else None."""
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme == "https" and parts.hostname in LINK_HOSTS else None


def external_link(url: object, text: str) -> html.Component | None:
    """A new-tab link, or nothing when the URL is not one we trust."""
    href = safe_href(url)
    if href is None:
        return None
    return html.A(text, href=href, target="_blank", rel="noopener noreferrer", className="external")


def format_p(value: float) -> str:
    """A p-value or FDR as shown: three significant digits (an FDR of 0.0497 is not 0.05)."""
    return f"{value:.3g}"


def _text(value: object) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else str(value)


def species_label(name: str) -> str:
    """A short species label for a chip: `Homo sapiens` → `H. sapiens`, `Escherichia coli str. K-12` → `E. coli`."""
    words = name.split()
    if len(words) >= 2 and words[0][:1].isupper() and words[0].isalpha():
        return f"{words[0][0]}. {words[1]}"
    return name[:24]


def gene_chip(
    gene_id: int, label: str, detail: str = "", title: str = "", species: str = "", alias: bool = False
) -> html.Button:
    """A clickable gene: re-centres the view on it. `species` labels it where genes of several species meet;
    `alias` marks a gene read through a synonym or a family name, not its own symbol."""
    children = [html.Span(label, className="chip-label")]
    if species:
        children.append(html.Span(species_label(species), className="chip-species"))
    if detail:
        children.append(html.Span(detail, className="chip-detail"))
    return html.Button(
        children,
        id={"type": ids.GENE_CHIP, "index": str(gene_id)},
        className="chip chip-alias" if alias else "chip",
        title=title or label,
        n_clicks=0,
    )


def thumbnail(src: str | None) -> html.Span | None:
    """A figure's thumbnail from Europe PMC, loaded when it scrolls into view (assets/thumbnails.js moves `data-src`
    to `src`), with "no preview" in its place when it cannot load. None for a URL we do not trust."""
    href = safe_href(src)
    if href is None:
        return None
    return html.Span(
        [
            html.Img(**{"data-src": href}, alt="", className="thumb-img", referrerPolicy="no-referrer"),
            html.Span("no preview", className="thumb-fallback"),
        ],
        className="thumb",
        **{"aria-hidden": "true"},
    )


def figure_thumbnail(corpus: Corpus, row: int, shown: bool) -> html.Span | None:
    return thumbnail(_text(corpus.figures[C.IMAGE_URL].iloc[row])) if shown else None


def figure_item(figid: str, title: str, year: str, thumb: html.Span | None = None) -> html.Li:
    """A clickable figure in a list (with its thumbnail when asked for): opens its record."""
    return html.Li(
        html.Button(
            [
                thumb,
                html.Span(title or figid, className="figure-title"),
                html.Span(year, className="figure-year"),
            ],
            id={"type": ids.FIGURE_LINK, "index": figid},
            className="figure-link",
            n_clicks=0,
        )
    )


def build_gene_detail(corpus: Corpus, state: ViewState, gene_id: int, thumbnails: bool = False) -> html.Div:
    """Symbol, organism, NCBI link, figure counts, the figures (clickable) and the genes it shares figures with."""
    row = corpus.gene_row(gene_id)
    if row is None:
        return html.Div([html.H2("Unknown gene"), html.P(f"NCBI Gene {gene_id} is not in this corpus.")])
    mask = filter_selection(corpus, to_selection(corpus, state))
    in_filter = figures_for_genes(corpus, (row,), "any", mask, state.exact)
    total = int(corpus.genes[C.N_FIGURES].iloc[row])
    newest = in_filter[np.lexsort((in_filter, -np.nan_to_num(corpus.years[in_filter], nan=0)))][:FIGURES_LISTED]
    titles = corpus.figures[C.TITLE].iloc[newest].fillna("").to_numpy(dtype=object)
    items = [
        figure_item(str(corpus.figids[r]), str(title), _year(corpus.years[r]), figure_thumbnail(corpus, r, thumbnails))
        for r, title in zip(newest, titles, strict=True)
    ]
    partners = gene_partners(corpus, row, mask, state.exact, limit=PARTNERS_LISTED)
    mixed = partners[C.ORGANISM].nunique() > 1 or (partners[C.ORGANISM] != corpus.gene_organisms[row]).any()
    chips = [
        gene_chip(
            int(p[C.GENE_ID]),
            str(p[C.SYMBOL]),
            f"{int(p['shared'])}",
            f"{p[C.SYMBOL]} ({p[C.ORGANISM]}, NCBI Gene {p[C.GENE_ID]}): {int(p['shared'])} shared figure(s), "
            f"Jaccard {p['jaccard']:.2f}, hypergeometric p {format_p(p['p_value'])}",
            species=str(p[C.ORGANISM]) if mixed else "",
        )
        for p in partners.to_dict("records")
    ]
    partner_table = html.Table(
        [
            html.Thead(html.Tr([html.Th("Gene"), html.Th("Shared"), html.Th("Jaccard"), html.Th("p")])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(
                                f"{p[C.SYMBOL]} ({species_label(str(p[C.ORGANISM]))})" if mixed else str(p[C.SYMBOL])
                            ),
                            html.Td(str(int(p["shared"]))),
                            html.Td(f"{p['jaccard']:.2f}"),
                            html.Td(format_p(p["p_value"])),
                        ]
                    )
                    for p in partners.head(8).to_dict("records")
                ]
            ),
        ],
        className="stats-table",
    )
    more = len(in_filter) - len(items)
    return html.Div(
        [
            html.Div("Gene", className="detail-kind"),
            html.H2(corpus.gene_label(row), className="detail-title"),
            html.P([html.Span(corpus.gene_organisms[row] or "organism unknown"), f" · NCBI Gene {gene_id}"]),
            html.P(external_link(f"https://www.ncbi.nlm.nih.gov/gene/{gene_id}", "NCBI Gene ↗")),
            html.P(
                f"In {len(in_filter):,} figure(s) under the current filters ({total:,} in the whole corpus).",
                className="detail-counts",
            ),
            html.H3("Figures"),
            html.Ul(items, className="figure-list") if items else html.P("None under the current filters."),
            html.P(f"… and {more:,} more in the table below.", className="muted") if more > 0 else None,
            html.H3("Most often in the same figures"),
            html.Div(chips, className="chips") if chips else html.P("No other genes share its figures here."),
            partner_table if chips else None,
            _orthologs(corpus, state, row),
        ],
        className="detail-gene",
    )


def _orthologs(corpus: Corpus, state: ViewState, row: int) -> html.Div | None:
    """The gene's orthologs that figures of this corpus hold (one click centres on one; one button includes them
    all with the genes chosen), from the shipped ortholog table; None when it has none here."""
    found, _ = with_orthologs(corpus, [str(corpus.gene_ids[row])])
    others = [r for r in found if r != row]
    if not others:
        return None
    chosen = [g for g in state.genes if corpus.gene_row(g) is not None]
    adding = [int(corpus.gene_ids[r]) for r in others if int(corpus.gene_ids[r]) not in chosen]
    chips = [
        gene_chip(
            int(corpus.gene_ids[r]),
            corpus.gene_label(r),
            f"{int(corpus.genes[C.N_FIGURES].iloc[r])}",
            f"{corpus.gene_label(r)} ({corpus.gene_organisms[r]}, NCBI Gene {corpus.gene_ids[r]}): {found[r]}, in "
            f"{int(corpus.genes[C.N_FIGURES].iloc[r]):,} figure(s) of the corpus",
            species=corpus.gene_organisms[r],
        )
        for r in others
    ]
    include = html.Button(
        f"Include {'it' if len(adding) == 1 else f'all {len(adding)}'} with the chosen genes",
        id={"type": ids.INCLUDE_GENES, "index": ",".join(map(str, adding))},
        className="secondary",
        n_clicks=0,
    )
    source = ortholog_table().describe()
    return html.Div(
        [
            html.H3("Orthologs in this corpus"),
            html.Div(chips, className="chips"),
            include if adding else html.P("All are among the chosen genes.", className="muted"),
            html.P(f"Orthologs from {source}.", className="muted"),
        ],
        className="detail-orthologs",
    )


def build_figure_detail(corpus: Corpus, state: ViewState, figid: str, thumbnails: bool = False) -> html.Div:
    """Title, caption, paper, citation, year, organisms, links, image, genes (with OCR words), chemicals, diseases."""
    row = corpus.figure_row(figid)
    if row is None:
        return html.Div([html.H2("Unknown figure"), html.P(f"{figid} is not in this corpus.")])
    figure = corpus.figures.iloc[row]
    genes = genes_of_figure(corpus, row, state.exact)
    mixed = genes[C.ORGANISM].nunique() > 1
    chips = [
        gene_chip(
            int(g[C.GENE_ID]),
            str(g[C.SYMBOL]),
            ", ".join(w for w in g[C.WORDS] if w and w != g[C.SYMBOL])[:60],
            f"{g[C.SYMBOL]} ({g[C.ORGANISM]}, NCBI Gene {g[C.GENE_ID]}) read from: {', '.join(g[C.WORDS])}; "
            f"via {', '.join(g[C.SOURCES])}",
            species=str(g[C.ORGANISM]) if mixed else "",
            alias=not g[C.EXACT],
        )
        for g in genes.to_dict("records")
    ]
    figure_url = safe_href(_text(figure[C.FIGURE_URL]))
    links = [
        external_link(figure_url, "Figure at PMC ↗"),
        external_link(figure[C.PAPER_URL], "Paper at PMC ↗"),
        external_link(figure[C.DOI_URL], "DOI ↗"),
        external_link(figure[C.NDEX_URL], "NDEx network ↗"),
        external_link(PFOCR_FIGURE.format(quote(figid, safe="")), "PFOCR ↗"),
    ]
    image_href = safe_href(_text(figure[C.IMAGE_URL]))
    # The image comes from Europe PMC: fetched only when the user asks, so that opening a record sends nothing
    # to a third party on its own.
    image = (
        html.Div(
            html.Button(
                "Show the figure image (loads it from Europe PMC)",
                id={"type": ids.IMAGE_SHOW, "index": figid},
                className="export",
                n_clicks=0,
            ),
            id={"type": ids.IMAGE_BOX, "index": figid},
            className="figure-image-slot",
        )
        if image_href
        else None
    )
    back = (
        html.Button(
            "← Back to "
            + ", ".join(corpus.gene_label(r) for g in state.genes[:3] if (r := corpus.gene_row(g)) is not None)
            + (" …" if len(state.genes) > 3 else ""),
            id={"type": ids.BACK_TO_GENES, "index": "genes"},
            className="export back-to-genes",
            n_clicks=0,
        )
        if state.genes
        else None
    )
    return html.Div(
        [
            back,
            html.Div("Figure", className="detail-kind"),
            html.H2(_text(figure[C.TITLE]) or figid, className="detail-title"),
            html.P(
                [
                    html.Span(_text(figure[C.YEAR]) or "year unknown"),
                    " · ",
                    html.Span(", ".join(_text(figure[C.ORGANISMS]).split(SEP))),
                    " · ",
                    html.Code(figid),
                ],
                className="muted",
            ),
            html.Div([link for link in links if link is not None], className="links"),
            None if figure_url else html.P("This record has no usable link to the figure at PMC.", className="muted"),
            image,
            html.H3("Caption"),
            html.P(_text(figure[C.CAPTION]) or "No caption.", className="caption"),
            html.H3("Paper"),
            html.P(_text(figure[C.PAPER_TITLE]), className="paper-title"),
            html.P(_text(figure[C.REFTEXT]), className="citation"),
            html.H3(f"Genes ({len(chips)})"),
            html.Div(chips, className="chips") if chips else html.P("No genes were read from this figure."),
            _gene_table(figid, genes) if chips else None,
            _terms(corpus, "chemicals", row),
            _terms(corpus, "diseases", row),
            _similar(corpus, row, state.exact, thumbnails),
        ],
        className="detail-figure",
    )


MATCH_TITLES = {
    "exact": "printed as the gene's own symbol",
    "alias": "printed as a synonym or previous symbol of the gene",
    "family": "printed as the name of a family the gene belongs to",
}


def gene_list_text(genes: pd.DataFrame) -> str:
    """A figure's gene symbols, each once, one a line (what "copy gene list" copies)."""
    return "\n".join(dict.fromkeys(str(s) for s in genes[C.SYMBOL]))


def _gene_table(figid: str, genes: pd.DataFrame) -> html.Div:
    """A figure's genes as a table — symbol, organism, NCBI Gene link, printed word(s), how the gene was matched —
    with "copy gene list" and "download TSV"; genes read through an alias or a family look different."""
    rows = []
    for g in genes.to_dict("records"):
        kind = match_kind(bool(g[C.EXACT]), list(g[C.SOURCES]))
        organism = _text(g[C.ORGANISM])
        rows.append(
            html.Tr(
                [
                    html.Td(str(g[C.SYMBOL]), className="gene-symbol"),
                    html.Td(species_label(organism) if organism else "unknown", title=organism),
                    html.Td(external_link(NCBI_GENE_URL.format(int(g[C.GENE_ID])), f"{int(g[C.GENE_ID])} ↗")),
                    html.Td(", ".join(w for w in g[C.WORDS] if w), className="gene-words"),
                    html.Td(html.Span(kind, className=f"match-kind match-{kind}", title=MATCH_TITLES[kind])),
                ],
                className=f"gene-row match-{kind}",
            )
        )
    return html.Div(
        [
            html.Div(
                [
                    dcc.Clipboard(
                        html.Span("Copy gene list"),
                        id=ids.FIGURE_GENES_COPY,
                        content=gene_list_text(genes),
                        copied_children=html.Span("Copied ✓"),
                        title="Copy the symbols, one a line",
                        className="gene-action",
                    ),
                    html.Button(
                        "Download TSV",
                        id={"type": ids.FIGURE_GENES_TSV, "index": figid},
                        className="gene-action",
                        n_clicks=0,
                    ),
                    html.Span(
                        [
                            html.Span("exact", className="match-kind match-exact"),
                            " own symbol · ",
                            html.Span("alias", className="match-kind match-alias"),
                            " / ",
                            html.Span("family", className="match-kind match-family"),
                            " read through another name",
                        ],
                        className="match-legend muted",
                    ),
                ],
                className="gene-actions",
            ),
            html.Div(
                html.Table(
                    [
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th("Gene"),
                                    html.Th("Organism"),
                                    html.Th("NCBI Gene"),
                                    html.Th("Printed as"),
                                    html.Th("Match"),
                                ]
                            )
                        ),
                        html.Tbody(rows),
                    ],
                    className="stats-table gene-table",
                ),
                className="gene-table-box",
            ),
        ],
        className="figure-genes",
    )


def build_figure_image(corpus: Corpus, figid: str) -> html.Figure | None:
    """A figure's image from Europe PMC, with the link to the figure in its place when it cannot load."""
    row = corpus.figure_row(figid)
    if row is None:
        return None
    figure = corpus.figures.iloc[row]
    image_href = safe_href(_text(figure[C.IMAGE_URL]))
    if image_href is None:
        return None
    figure_url = safe_href(_text(figure[C.FIGURE_URL]))
    return html.Figure(
        [
            html.Img(src=image_href, alt=f"Figure {figid}", className="figure-image", referrerPolicy="no-referrer"),
            html.Figcaption(
                external_link(figure_url or image_href, "Image unavailable here: open the figure ↗"),
                className="image-fallback",
            ),
        ],
        className="figure-image-box",
    )


def term_id_link(term_id: str) -> html.Component:
    """An ontology id as a link to identifiers.org (MeSH, ChEBI, DOID), or as text when its shape is unknown."""
    for shape, url, label in TERM_ID_LINKS:
        if found := shape.fullmatch(term_id.strip()):
            value = found.group(1).upper()
            return external_link(url.format(value), label.format(value) + " ↗")
    return html.Span(term_id, className="muted")


def _terms(corpus: Corpus, kind: str, row: int) -> html.Div | None:
    """A figure's chemicals or diseases: each name is a button that filters by it, with the word printed in the
    figure and its ontology ids linked out."""
    rows = terms_of_figure(corpus, kind, row)
    if rows.empty:
        return None
    other = OTHER_ID[kind]
    items, seen = [], set()
    for r in rows.to_dict("records"):
        word, mesh, other_id = _text(r[C.WORD]), _text(r[C.MESH]), _text(r[other])
        name = _text(r[C.MATCH]) or _text(r[C.NAME]) or word
        if (name, word, mesh, other_id) in seen:
            continue
        seen.add((name, word, mesh, other_id))
        keys, _ = resolve_terms(corpus, kind, [mesh or other_id or word])
        label = html.Span(name, className="term-name")
        if keys:
            label = html.Button(
                name,
                id={"type": ids.TERM_FILTER, "index": f"{kind}|{keys[0]}"},
                className="term-filter",
                title=f"Show the figures that mention {name}",
                n_clicks=0,
            )
        shown_word = f" (“{word}”)" if word and word.lower() != name.lower() else ""
        links = [term_id_link(i) for i in (mesh, other_id) if i]
        items.append(html.Li([label, shown_word, *[part for link in links for part in (" ", link)]]))
    return html.Div([html.H3(kind.capitalize()), html.Ul(items, className="term-list")])


def _similar(corpus: Corpus, row: int, exact: bool, thumbnails: bool) -> html.Div | None:
    """The figures with the most similar gene sets (Jaccard index), each clickable."""
    similar = similar_figures(corpus, row, exact, limit=SIMILAR_LISTED)
    if similar.empty:
        return None
    items = [
        figure_item(
            str(s[C.FIGID]),
            f"{_text(s[C.TITLE])} (Jaccard {s['jaccard']:.2f})",
            _year(s[C.YEAR]),
            figure_thumbnail(corpus, corpus.figure_row(str(s[C.FIGID])), thumbnails),
        )
        for s in similar.to_dict("records")
    ]
    return html.Div([html.H3("Figures with similar gene sets"), html.Ul(items, className="figure-list")])


def _year(value: float) -> str:
    return "" if value is None or np.isnan(value) else str(int(value))
