"""Analysis floor: enrichment against scipy's Fisher exact test, BH FDR, partner genes and similar figures."""

from __future__ import annotations

import threading
import time
from fractions import Fraction

import numpy as np
import pytest
from conftest import write
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from dashboard.analysis import enrich as enrich_module
from dashboard.analysis.enrich import (
    SCIPY_UP_TO,
    SET_SIZES_KEPT,
    benjamini_hochberg,
    enrich,
    gene_partners,
    similar_figures,
    species_set_sizes,
    upper_tail,
)
from dashboard.analysis.model import Corpus, figures_for_genes, filter_figures
from dashboard.corpus.loader import read_corpus

QUERY = "MAPK1 MAPK3 AKT1 TP53 TNF IL6 NFKB1 RELA JUN FOS EGFR KRAS"


HUMAN = "Homo sapiens"


def gene_sets(corpus, rows, universe):
    matrix = corpus.incidence[rows].tocsr()
    return [set(matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]]) & universe for i in range(len(rows))]


def species_universe(corpus, species, figure_rows=None):
    """Gene rows of a species that some (of the given) figures hold, read from the tables directly."""
    matrix = corpus.incidence if figure_rows is None else corpus.incidence[figure_rows]
    held = np.asarray(matrix.sum(axis=0)).ravel() > 0
    return set(np.flatnonzero(held & (corpus.gene_organisms == species)))


def rows_named(corpus, symbols, species):
    """Rows of the genes of a species whose symbol is one of these, in any case (a plain scan, no index)."""
    wanted = {s.casefold() for s in symbols}
    return {
        r
        for r in range(corpus.n_genes)
        if corpus.symbols[r].casefold() in wanted and corpus.gene_organisms[r] == species
    }


def test_p_values_agree_with_fisher_exact(seed_corpus):
    result = enrich(seed_corpus, QUERY, min_size=3)
    table = result.results
    assert result.species == HUMAN and result.genes.inferred
    assert result.unrecognised == [] and result.tested > len(table) > 50
    universe = species_universe(seed_corpus, HUMAN)
    query = rows_named(seed_corpus, QUERY.split(), HUMAN)
    assert result.query_size == len(query) == 12 and result.background_size == len(universe)
    sets = gene_sets(seed_corpus, table["row"].to_numpy(), universe)
    for (_, row), genes in zip(table.iterrows(), sets, strict=True):
        a = len(genes & query)
        b = len(genes) - a
        c = len(query) - a
        d = len(universe) - a - b - c
        odds, p = stats.fisher_exact([[a, b], [c, d]], alternative="greater")
        assert row["overlap"] == a and row["set_size"] == len(genes)
        assert row["p_value"] == pytest.approx(p, rel=1e-9, abs=1e-300)
        assert sorted(row["overlap_ids"]) == sorted(int(seed_corpus.gene_ids[g]) for g in genes & query)
        if np.isfinite(odds):
            assert row["odds_ratio"] == pytest.approx(odds, rel=1e-9)
    assert table["p_value"].is_monotonic_increasing
    top = table.iloc[0]
    assert top["overlap"] >= 3 and set(top["overlap_genes"]) <= set(QUERY.split())


def by_hand_bh(p_values: dict) -> dict:
    """Benjamini–Hochberg by its definition: p_(i) · m / i, made monotone from the largest p down, at most 1."""
    keys = sorted(p_values, key=p_values.get)
    m = len(keys)
    adjusted, running = {}, 1.0
    for rank in range(m, 0, -1):
        running = min(running, p_values[keys[rank - 1]] * m / rank)
        adjusted[keys[rank - 1]] = running
    return adjusted


def test_sets_sharing_no_gene_are_not_listed_but_count_in_the_fdr(seed_corpus):
    """A set with no gene of the list (p = 1) is not listed; it was tested, so BH's m counts it and the listed
    sets' FDR is what BH gives over every set tested."""
    result = enrich(seed_corpus, QUERY, min_size=3)
    universe = species_universe(seed_corpus, HUMAN)
    query = rows_named(seed_corpus, QUERY.split(), HUMAN)
    rows = np.arange(seed_corpus.n_figures)
    tested = {int(r): genes for r, genes in zip(rows, gene_sets(seed_corpus, rows, universe), strict=True)}
    tested = {r: genes for r, genes in tested.items() if len(genes) >= 3}
    p_values = {}
    for r, genes in tested.items():
        a = len(genes & query)
        table = [[a, len(genes) - a], [len(query) - a, len(universe) - len(genes) - len(query) + a]]
        p_values[r] = stats.fisher_exact(table, alternative="greater")[1]
    fdr = by_hand_bh(p_values)
    sharing = {r for r, genes in tested.items() if genes & query}
    assert len(sharing) < len(tested)  # some sets tested share no gene with the list
    assert result.tested == len(tested)
    assert set(result.results["row"]) == sharing and (result.results["overlap"] > 0).all()
    for _, row in result.results.iterrows():
        assert row["fdr"] == pytest.approx(fdr[int(row["row"])], rel=1e-9)
    none = enrich(seed_corpus, "nosuchgene")
    assert none.results.empty and none.query_size == 0


@pytest.mark.parametrize("given_background", [False, True])
def test_exact_counts_exact_links_only_in_the_background_and_the_sets(seed_corpus, given_background):
    """With `exact`, a gene read only through aliases is in no figure: out of the background (the species' genes
    or a given list), and every set is its figure's exactly read genes. Sets, background and p-values are built
    here from the links table. Mutations: the background's genes, the set sizes or a given background's set
    sizes counted over every link → caught."""
    links, genes = seed_corpus.tables.links, seed_corpus.tables.genes
    human = genes.loc[genes["organism"] == HUMAN]
    linked = links[links["gene_id"].isin(set(human["gene_id"]))]
    exact_links = linked[linked["exact"]]
    alias_only = linked[~linked["gene_id"].isin(set(exact_links["gene_id"]))]
    alias_gene = int(alias_only["gene_id"].value_counts().index[0])  # read through aliases in the most figures
    query_ids = set(human.loc[human["symbol"].str.casefold().isin(QUERY.casefold().split()), "gene_id"])
    query_ids.add(alias_gene)
    universe = set(exact_links["gene_id"])
    background = None
    if given_background:
        given = set(sorted(set(linked["gene_id"]))[::2]) | query_ids
        background = [str(g) for g in sorted(given)]
        universe &= given
    sets = exact_links.groupby("figid", observed=True)["gene_id"].agg(lambda ids: set(ids) & universe)
    tested = sets[sets.map(len) >= 3]
    query = query_ids & universe

    result = enrich(seed_corpus, QUERY + f" {alias_gene}", background=background, exact=True)
    every_link = enrich(seed_corpus, QUERY + f" {alias_gene}", background=background, exact=False)
    assert alias_gene not in universe and result.background_size == len(universe) < every_link.background_size
    label = seed_corpus.gene_label(seed_corpus.gene_row(alias_gene))
    assert label in result.outside_background and label not in every_link.outside_background
    assert result.query_size == len(query) and result.tested == len(tested)
    assert len(result.results) == sum(bool(s & query) for s in tested) > 10
    for _, row in result.results.iterrows():
        own = tested[row["figid"]]
        a = len(own & query)
        table = [[a, len(own) - a], [len(query) - a, len(universe) - len(own) - len(query) + a]]
        assert (row["overlap"], row["set_size"]) == (a, len(own))
        assert sorted(row["overlap_ids"]) == sorted(own & query)
        p_value = stats.fisher_exact(table, alternative="greater")[1]
        assert row["p_value"] == pytest.approx(p_value, rel=1e-9, abs=1e-300)


def test_a_lower_case_list_is_read_in_one_species(seed_corpus):
    """The reported case: 8 lower-case symbols gave 11 genes of four species; now 8 human genes."""
    result = enrich(seed_corpus, "mapk1 mapk3 akt1 tp53 kras braf raf1 grb2")
    assert result.species == HUMAN and result.query_size == 8
    expected = rows_named(seed_corpus, ["mapk1", "mapk3", "akt1", "tp53", "kras", "braf", "raf1", "grb2"], HUMAN)
    assert set(result.genes.rows) == expected
    for overlap in result.results["overlap_ids"]:
        assert all(seed_corpus.gene_organisms[seed_corpus.gene_row(g)] == HUMAN for g in overlap)
    # Each figure's gene set is its human genes only: a figure holding fly genes too is not inflated.
    universe = species_universe(seed_corpus, HUMAN)
    for _, row in result.results.iterrows():
        assert row["set_size"] == len(set(seed_corpus.incidence[int(row["row"])].indices) & universe)


def test_the_chosen_species_reads_the_list_and_makes_the_background(seed_corpus):
    mouse = "Mus musculus"
    result = enrich(seed_corpus, "mapk1 akt1 tp53 nosuch", species=mouse)
    assert result.species == mouse and not result.genes.inferred
    assert set(result.genes.rows) == rows_named(seed_corpus, ["mapk1", "akt1", "tp53"], mouse)
    assert result.background_size == len(species_universe(seed_corpus, mouse))
    assert result.unrecognised == ["nosuch"]
    # An entry naming genes of other species only is listed back with them, never silently swapped in.
    no_mouse = {t for t in ("mapk1", "akt1", "tp53") if not rows_named(seed_corpus, [t], mouse)}
    assert no_mouse and set(dict(result.genes.other_species)) == no_mouse
    assert HUMAN in dict(result.genes.other_species)["tp53"]


def test_filters_background_and_min_size(seed_corpus):
    human = enrich(seed_corpus, QUERY, organisms=(HUMAN,))
    mask = filter_figures(seed_corpus, (HUMAN,))
    assert set(human.results["figid"]) <= set(seed_corpus.figure_index[np.flatnonzero(mask)])
    assert human.background_size == len(species_universe(seed_corpus, HUMAN, np.flatnonzero(mask)))
    small = enrich(seed_corpus, QUERY, min_size=50)
    every_set = gene_sets(seed_corpus, np.arange(seed_corpus.n_figures), species_universe(seed_corpus, HUMAN))
    assert (small.results["set_size"] >= 50).all() and small.tested == sum(len(s) >= 50 for s in every_set) > 0
    custom = enrich(seed_corpus, QUERY, background="MAPK1 MAPK3 AKT1 TP53 PIK3CA nosuch")
    assert custom.background_size == 5
    assert "nosuch (background)" in custom.unrecognised
    assert set(custom.outside_background) == set(QUERY.split()) - {"MAPK1", "MAPK3", "AKT1", "TP53"}
    assert (custom.results["set_size"] <= 5).all()


def test_fdr_is_benjamini_hochberg():
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.5])
    order = np.argsort(p)
    expected = np.minimum.accumulate((p[order] * len(p) / np.arange(1, len(p) + 1))[::-1])[::-1]
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(expected, 1)
    assert benjamini_hochberg(p) == pytest.approx(adjusted)


def test_unrecognised_entries_are_listed(seed_corpus):
    result = enrich(seed_corpus, ["TP53", "notagene", "7157", "  "])
    assert result.unrecognised == ["notagene"] and result.query_size == 1


def test_gene_partners_with_jaccard_and_p(seed_corpus):
    rankl = seed_corpus.rows_for_symbol("TNFSF11")[0]
    table = gene_partners(seed_corpus, rankl, limit=5)
    assert table["symbol"].iloc[0] == "TNFRSF11A"
    links = seed_corpus.links
    a = set(links.loc[links["gene_id"] == 8600, "figid"])
    b = set(links.loc[links["gene_id"] == 8792, "figid"])
    assert table["shared"].iloc[0] == len(a & b)
    assert table["jaccard"].iloc[0] == pytest.approx(len(a & b) / len(a | b))
    n = seed_corpus.n_figures
    expected = stats.hypergeom.sf(len(a & b) - 1, n, len(a), len(b))
    assert table["p_value"].iloc[0] == pytest.approx(expected, rel=1e-9)
    mouse = filter_figures(seed_corpus, ("Mus musculus",))
    assert gene_partners(seed_corpus, rankl, mouse).empty == (
        len(figures_for_genes(seed_corpus, (rankl,), "any", mouse)) == 0
    )


# Figures of a small corpus and the genes (NCBI id → symbol) each holds, made for partner ties: with gene 100,
# 400 shares three figures; 250, 300 and 200 two each (250 and 300 with the same Jaccard index, 200 a lower one);
# 60 and 50 one each, 60 with a higher Jaccard index than 200 has.
PARTNER_FIGURES = {
    "PMC1__f1": (100, 400, 250, 300, 200),
    "PMC2__f2": (100, 400, 300, 200, 60),
    "PMC3__f3": (100, 400, 250, 50),
    "PMC4__f4": (200, 50, 7),
    "PMC5__f5": (200, 7),
    "PMC6__f6": (200, 7),
    "PMC7__f7": (200, 7),
}


@pytest.fixture(scope="module")
def partner_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("partners")
    header = "organism_id\torganism_name\torganism_group\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\n"
    for figid, gene_ids in PARTNER_FIGURES.items():
        pmcid, name = figid.split("__")
        write(
            root,
            f"_figures/{figid}.md",
            f"---\nfigid: {figid}\nfigtitle: Figure {figid}\norganisms: [{HUMAN}]\npmcid: {pmcid}\n"
            f"filename: {name}.jpg\nyear: '2020'\n---\n",
        )
        rows = "".join(f"9606\t{HUMAN}\tx\tG{g}\tG{g}\tG{g}\t{g}\tncbigene_symbol\n" for g in gene_ids)
        write(root, f"_data/{figid}-genes.tsv", header + rows)
    return Corpus(read_corpus([root]))


def test_partners_tie_break_on_the_more_specific_then_the_smaller_id(partner_corpus):
    """Documented order: most shared figures, then the highest Jaccard index (for the same number shared, the
    partner in fewer figures), then the smaller NCBI id. Expected from the fixture's own figure lists.
    Mutations: the Jaccard or the id order reversed, or the Jaccard index ranked before the shared count → caught."""
    figures_of: dict[int, set[str]] = {}
    for figid, gene_ids in PARTNER_FIGURES.items():
        for g in gene_ids:
            figures_of.setdefault(g, set()).add(figid)
    own = figures_of.pop(100)
    shared = {g: len(f & own) for g, f in figures_of.items() if f & own}
    jaccard = {g: Fraction(shared[g], len(figures_of[g] | own)) for g in shared}
    expected = sorted(shared, key=lambda g: (-shared[g], -jaccard[g], g))
    # The fixture holds every kind of tie the order settles, and a Jaccard index that disagrees with the count.
    assert any(shared[g] == shared[h] and jaccard[g] != jaccard[h] for g in shared for h in shared)
    assert any(g != h and shared[g] == shared[h] and jaccard[g] == jaccard[h] for g in shared for h in shared)
    assert any(shared[g] > shared[h] and jaccard[g] < jaccard[h] for g in shared for h in shared)
    table = gene_partners(partner_corpus, partner_corpus.gene_row(100), limit=len(expected))
    assert table["gene_id"].tolist() == expected
    assert table["shared"].tolist() == [shared[g] for g in expected]
    assert table["jaccard"].tolist() == pytest.approx([float(jaccard[g]) for g in expected], rel=1e-12)
    top = gene_partners(partner_corpus, partner_corpus.gene_row(100), limit=3)
    assert top["gene_id"].tolist() == expected[:3]


def test_similar_figures_by_jaccard(seed_corpus):
    row = seed_corpus.figure_row("PMC7090164__fcell-08-00089-g002")
    table = similar_figures(seed_corpus, row, limit=5)
    own = set(seed_corpus.incidence[row].indices)
    for _, other in table.iterrows():
        genes = set(seed_corpus.incidence[int(other["row"])].indices)
        assert other["jaccard"] == pytest.approx(len(own & genes) / len(own | genes))
    assert table["jaccard"].is_monotonic_decreasing and row not in set(table["row"])


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(1, 60_000),
    margins=st.lists(st.tuples(st.integers(0, 3_000), st.integers(0, 3_000), st.integers(0, 400)), min_size=1),
)
def test_upper_tails_agree_with_scipy(total, margins):
    """The recurrence's table against scipy's `hypergeom.sf`, every margin and overlap, the impossible ones too
    (an overlap above a margin, margins that overlap beyond the total). Mutation: (b - i) read as (b - i + 1) →
    caught."""
    drawn = np.array([min(d, total) for d, _, _ in margins])
    successes = np.array([min(k, total) for _, k, _ in margins])
    overlap = np.array([o for _, _, o in margins])
    expected = np.where(overlap > 0, stats.hypergeom.sf(overlap - 1, total, successes, drawn), 1.0)
    for scipy_up_to in (0, SCIPY_UP_TO):  # the table always (where it fits), and as used
        found = upper_tail(overlap, total, drawn, successes, scipy_up_to=scipy_up_to)
        np.testing.assert_allclose(found, np.clip(expected, 0, 1), rtol=1e-9, atol=1e-300)


def test_a_table_too_large_for_the_recurrence_is_left_to_scipy(monkeypatch):
    overlap, drawn, successes = np.array([3, 40]), np.array([500, 900]), np.array([700, 1_000])
    expected = stats.hypergeom.sf(overlap - 1, 20_000, successes, drawn)
    monkeypatch.setattr(enrich_module, "TAIL_TABLE_CELLS", 10)
    np.testing.assert_allclose(upper_tail(overlap, 20_000, drawn, successes, scipy_up_to=0), expected, rtol=1e-12)


def test_set_sizes_per_species_are_counted_and_a_few_kept(seed_corpus):
    """Each species' sizes against the figures' own links; a server asked about every species keeps only a few."""
    links = seed_corpus.links
    species = list(seed_corpus.species_gene_counts)
    assert len(species) > SET_SIZES_KEPT
    for name in species:
        sizes = species_set_sizes(seed_corpus, name)
        genes = set(seed_corpus.genes.loc[seed_corpus.genes["organism"] == name, "gene_id"])
        expected = links[links["gene_id"].isin(genes)].groupby("figid", observed=True)["gene_id"].nunique()
        assert {seed_corpus.figids[r]: n for r, n in enumerate(sizes) if n} == expected[expected > 0].to_dict()
    assert len(seed_corpus.memo.keys("species set sizes")) == SET_SIZES_KEPT


def test_set_sizes_keep_the_species_asked_about_last(seed_corpus):
    """Least recently used out: ask A, B, … (as many as are kept), A again, then one more; A is still kept (the
    same array comes back, not a new count) and B, asked least recently, was the one let go."""
    species = list(seed_corpus.species_gene_counts)[: SET_SIZES_KEPT + 1]
    assert len(species) == SET_SIZES_KEPT + 1
    first = {name: species_set_sizes(seed_corpus, name) for name in species[:-1]}
    assert species_set_sizes(seed_corpus, species[0]) is first[species[0]]
    species_set_sizes(seed_corpus, species[-1])
    assert species_set_sizes(seed_corpus, species[0]) is first[species[0]]  # asked again: kept
    again = species_set_sizes(seed_corpus, species[1])  # the least recently asked: counted again
    assert again is not first[species[1]] and np.array_equal(again, first[species[1]])


class YieldingName(str):
    """A species name that lets other threads run whenever a dict hashes or compares it: a race in a cache keyed
    by it shows at once rather than once in thousands of calls."""

    def __hash__(self) -> int:
        time.sleep(0)  # releases the GIL
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        time.sleep(0)
        return str.__eq__(self, other)


ASKS = 100  # per thread


def test_set_sizes_from_many_threads_are_right(seed_corpus, monkeypatch):
    """Eight threads asking for six species at once, with room for two: every answer is the species' sizes counted
    from the links table, and no thread fails (without the lock, a look-up racing an eviction raised KeyError)."""
    links, genes = seed_corpus.links, seed_corpus.genes
    species = [YieldingName(name) for name in list(seed_corpus.species_gene_counts)[:6]]
    expected = {}
    for name in species:
        ids = set(genes.loc[genes["organism"] == name, "gene_id"])
        counts = links[links["gene_id"].isin(ids)].groupby("figid", observed=True)["gene_id"].nunique()
        expected[name] = np.array([counts.get(figid, 0) for figid in seed_corpus.figids])
    monkeypatch.setattr(enrich_module, "SET_SIZES_KEPT", 2)
    answers, errors = [], []
    barrier = threading.Barrier(8)

    def ask(start: int) -> None:
        barrier.wait()
        try:
            for i in range(ASKS):
                name = species[(start + i) % len(species)]
                answers.append((name, species_set_sizes(seed_corpus, name)))
        except Exception as exc:  # a thread's failure, asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(answers) == 8 * ASKS
    for name, sizes in {id(sizes): (name, sizes) for name, sizes in answers}.values():
        assert np.array_equal(sizes, expected[name])
    assert len(seed_corpus.memo.keys("species set sizes")) == 2
