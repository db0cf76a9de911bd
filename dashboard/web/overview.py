"""Web floor: the landing overview — what the record panel shows while nothing is chosen: the corpus at a glance
(counts, figures per year, the genes in most figures by species, organisms, chemicals and diseases: each a link
that selects it) and example questions made from the data being served; and About (what PFOCR is), at the page's
foot.

Everything here is a link to a page URL, so a click selects as a typed link would, Back returns, and the keyboard
reaches every item.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from dash import dcc, html

from dashboard.analysis.model import UNSTATED, Corpus
from dashboard.analysis.organisms import COMMON_NAMES
from dashboard.analysis.terms import term_index
from dashboard.corpus import columns as C
from dashboard.web import ids
from dashboard.web.state import ViewState, to_query

GENES_PER_SPECIES = 8
SPECIES_SHOWN = 2
ORGANISMS_SHOWN = 6
TERMS_SHOWN = 5
PFOCR_SITE = "https://pfocr.wikipathways.org/"
PFOCR_PAPER = "https://doi.org/10.1186/s13059-020-02181-2"


def _link(corpus: Corpus, state: ViewState, text: str, detail: str = "", label: str | None = None) -> dcc.Link:
    children = [text, html.Span(detail, className="chip-detail")] if detail else text
    return dcc.Link(children, href="/" + to_query(corpus, state), className="chip", title=label)


@dataclass(frozen=True)
class Example:
    """A question the data can answer, and the view that answers it."""

    question: str
    state: ViewState


def example_word(corpus: Corpus) -> tuple[str, int] | None:
    """A word printed in figures that is not its gene's symbol (an alias like RANKL for TNFSF11), of the gene in
    most figures: what the gene box's placeholder and the examples offer."""
    words = corpus.tables.words
    if not len(words):
        return None
    genes = corpus.genes.set_index(C.GENE_ID)
    symbols = genes[C.SYMBOL].reindex(words[C.GENE_ID]).astype("string").str.upper().to_numpy()
    figures = genes[C.N_FIGURES].reindex(words[C.GENE_ID]).fillna(0).to_numpy()
    printed = words["word"].astype("string").str.upper().to_numpy()
    alias = (printed != symbols) & (words["word"].astype("string").str.fullmatch(r"[A-Za-z][A-Za-z0-9-]{2,11}"))
    alias = np.asarray(alias.fillna(False), dtype=bool)
    if not alias.any():
        return None
    best = np.flatnonzero(alias)[np.argmax(figures[alias])]
    return str(words["word"].iloc[best]), int(words[C.GENE_ID].iloc[best])


def top_genes(corpus: Corpus) -> list[tuple[str, list[int]]]:
    """The species whose genes are read from most figures by their own symbols, each with its genes in most
    figures (rows), ranked by those exact matches: a gene read only through an alias (the fly's `rl` from "ERK")
    says little about what figures draw."""
    exact = corpus.gene_totals(exact=True)
    by_species = {species: int(exact[corpus.species_mask(species)].sum()) for species in corpus.species_gene_counts}
    found = []
    for species in sorted(by_species, key=lambda name: -by_species[name])[:SPECIES_SHOWN]:
        rows = np.flatnonzero(corpus.species_mask(species) & (exact > 0))
        rows = rows[np.lexsort((rows, -exact[rows]))][:GENES_PER_SPECIES]
        found.append((species, [int(r) for r in rows]))
    return [(species, rows) for species, rows in found if rows]


def examples(corpus: Corpus, species_genes: list[tuple[str, list[int]]]) -> list[Example]:
    """A few questions this data answers, each found in it: two genes that share figures (the first two of
    `top_genes`), a printed alias, the most frequent disease, a recent year's figures of the main organism."""
    found: list[Example] = []
    if species_genes and len(species_genes[0][1]) >= 2:
        first, second = (int(corpus.gene_ids[r]) for r in species_genes[0][1][:2])
        symbols = [corpus.gene_label(r) for r in species_genes[0][1][:2]]
        found.append(
            Example(
                f"Which figures show both {symbols[0]} and {symbols[1]}?",
                ViewState(genes=(first, second), match="all"),
            )
        )
    if (word := example_word(corpus)) is not None:
        found.append(Example(f"Which gene is “{word[0]}”, and where is it drawn?", ViewState(genes=(word[1],))))
    diseases = term_index(corpus, "diseases")
    if len(diseases.keys):
        top = int(np.argmax(diseases.counts))
        found.append(Example(f"Pathway figures about {diseases.names[top]}", ViewState(diseases=(diseases.keys[top],))))
    organisms = [name for name in corpus.organism_counts if name != UNSTATED]
    if organisms and corpus.year_span:
        low, high = corpus.year_span
        start = max(low, high - 4)
        found.append(
            Example(
                f"{organisms[0]} figures of {start}–{high}",
                ViewState(organisms=(organisms[0],), years=(start, high) if (start, high) != (low, high) else None),
            )
        )
    return found


def year_bars(corpus: Corpus) -> html.Div | None:
    """Figures per year as bars, each a link to that year's figures."""
    per_year = corpus.figures_per_year
    if not per_year:
        return None
    low, high = min(per_year), max(per_year)
    tallest = max(per_year.values())
    bars = []
    for year in range(low, high + 1):
        count = per_year.get(year, 0)
        bar = html.Span(className="year-bar", style={"height": f"{max(2, round(100 * count / tallest))}%"})
        if count:
            state = ViewState(years=(year, year))
            text = f"{year}: {count:,} figure{'s' if count != 1 else ''}"
            spoken = html.Span(text, className="visually-hidden")
            bars.append(dcc.Link([bar, spoken], href="/" + to_query(corpus, state), title=text))
        else:
            bars.append(html.Span(bar, title=f"{year}: no figure", className="year-empty"))
    return html.Div(
        [
            html.Div(bars, className="year-bars"),
            html.Div([html.Span(str(low)), html.Span(str(high))], className="year-axis muted"),
        ]
    )


def build_overview(corpus: Corpus) -> html.Div:
    """The corpus at a glance and the example questions: the record panel while nothing is chosen."""
    species_sections = []
    species_genes = top_genes(corpus)
    for species, rows in species_genes:
        chips = [
            _link(
                corpus,
                ViewState(genes=(int(corpus.gene_ids[r]),)),
                corpus.gene_label(r),
                f"{int(corpus.genes[C.N_FIGURES].iat[r]):,}",
                f"{corpus.gene_label(r)} ({species}, NCBI Gene {int(corpus.gene_ids[r])}): in"
                f" {int(corpus.genes[C.N_FIGURES].iat[r]):,} figures",
            )
            for r in rows
        ]
        common = COMMON_NAMES.get(species, ())
        heading = f"{species} ({common[0]})" if common else species
        species_sections += [html.H4(heading), html.Div(chips, className="chips")]
    organisms = [
        _link(corpus, ViewState(organisms=(name,)), name, f"{count:,}", f"{name}: {count:,} figures")
        for name, count in list(corpus.organism_counts.items())[: ORGANISMS_SHOWN + 1]
        if name != UNSTATED
    ][:ORGANISMS_SHOWN]
    term_sections = []
    for kind, title in (("chemicals", "Chemicals"), ("diseases", "Diseases")):
        index = term_index(corpus, kind)
        if not len(index.keys):
            continue
        top = np.argsort(-index.counts, kind="stable")[:TERMS_SHOWN]
        chips = [
            _link(
                corpus,
                ViewState(**{kind: (index.keys[t],)}),
                str(index.names[t]),
                f"{int(index.counts[t]):,}",
                f"{index.names[t]}: {int(index.counts[t]):,} figures",
            )
            for t in top
        ]
        term_sections += [html.H4(title), html.Div(chips, className="chips")]
    questions = [
        html.Li(dcc.Link(example.question, href="/" + to_query(corpus, example.state)))
        for example in examples(corpus, species_genes)
    ]
    stated = corpus.n_figures - corpus.organism_counts.get(UNSTATED, 0)
    return html.Div(
        [
            html.Div("Overview", className="detail-kind"),
            html.H2("The corpus at a glance"),
            html.P(
                f"{corpus.n_figures:,} published pathway figures from {corpus.n_papers:,} papers, "
                f"{corpus.n_genes:,} genes found in them; {stated:,} figures state their organism.",
                className="overview-counts",
            ),
            html.H3("Try a question"),
            html.Ul(questions, className="examples"),
            html.P(
                [
                    "Or bring your own gene list: ",
                    html.A("which figures match my genes?", href="#gene-list"),
                    " · ",
                    html.A("About PFOCR and this data", href="#about"),
                ]
            ),
            html.H3("Figures per year"),
            year_bars(corpus),
            html.H3("Genes in most figures"),
            *species_sections,
            html.H3("Organisms"),
            html.Div(organisms, className="chips"),
            *([html.H3("Mentioned most")] if term_sections else []),
            *term_sections,
        ],
        id=ids.OVERVIEW,
        className="overview",
    )


def build_about(release: str) -> html.Section:
    return html.Section(
        [
            html.H2("About"),
            html.P(
                [
                    html.A("PFOCR", href=PFOCR_SITE, className="external", target="_blank", rel="noopener"),
                    " (Pathway Figure OCR) collects pathway figures published in PubMed Central and the genes,"
                    " chemicals and diseases read from them by optical character recognition (OCR).",
                ]
            ),
            html.P(
                "A gene is matched when a word printed in the figure is its symbol (“exact”) or one of its aliases,"
                " previous symbols or family names (“alias”, shown in amber): an alias match is a guess, which the"
                " switch “exact symbol matches only” leaves out."
            ),
            html.P(
                "Read with care: a figure that prints a gene is not evidence of what the paper found about it; OCR"
                " misses small, rotated or stylised text; a figure's organism is what its record states (many state"
                " none) and its genes may be read as another species' genes; counts grow with how often a pathway"
                " was drawn, not with how important it is."
            ),
            html.P(
                [
                    "Cite PFOCR: Hanspers K, Riutta A, Summer-Kutmon M, Pico AR. Pathway information extracted from"
                    " 25 years of pathway figures. Genome Biology 21, 273 (2020). ",
                    html.A("doi:10.1186/s13059-020-02181-2", href=PFOCR_PAPER, className="external"),
                ]
            ),
            html.P(f"Data: {release}.", className="muted"),
        ],
        className="about",
        id="about",
    )


def example_placeholder(corpus: Corpus) -> str:
    """The gene box's placeholder, with a printed word and a symbol this data holds."""
    word = example_word(corpus)
    genes = top_genes(corpus)
    symbol = corpus.gene_label(genes[0][1][0]) if genes and genes[0][1] else None
    shown = ", ".join(x for x in (word[0] if word else None, symbol) if x)
    return f"Symbol or word in figures ({shown}…)" if shown else "Symbol or word printed in figures"
