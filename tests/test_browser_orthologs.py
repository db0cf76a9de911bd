"""Orthologs in the browser: a mouse table mapped to human genes through orthologs — the message says how and
each overlap names the entry it came from —, and a gene's panel lists its orthologs with one click to include
them."""

from __future__ import annotations

import pytest
from test_browser import TIMEOUT, assert_no_console_errors, wait_for_chosen, wait_for_network
from test_orthologs import HUMAN, MOUSE, mouse_list_of

from dashboard.analysis.orthologs import with_orthologs
from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def app(seed_corpus):
    return create_app(Settings(data=("seeds",), use_cache=False), corpus=seed_corpus)


def test_a_mouse_table_finds_the_human_figures_of_its_orthologs(dash_duo, app, seed_corpus):
    entries, expected = mouse_list_of(seed_corpus)
    # A DESeq2-like table, comma-separated (a tab typed into the box would move the focus on).
    table = "gene,log2FoldChange,padj\n" + "".join(f"{e},{1.5 + i / 10},0.001\n" for i, e in enumerate(entries))
    dash_duo.start_server(app)
    wait_for_network(dash_duo)
    dash_duo.find_element(f"#{ids.ENRICH_GENES}").send_keys(table)
    dash_duo.find_element(f"#{ids.ENRICH_ORTHOLOGS} label").click()
    dash_duo.find_element(f"#{ids.ENRICH_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ENRICH_MESSAGE}", f"List read as {MOUSE}", timeout=TIMEOUT)
    message = dash_duo.find_element(f"#{ids.ENRICH_MESSAGE}").text
    genes = len({i for ids_ in expected.values() for i in ids_})
    assert f"{len(entries)} of {len(entries)} entries mapped to {genes} {HUMAN} gene(s)" in message
    assert "NCBI HomoloGene build 68" in message
    dash_duo.wait_for_element(f"#{ids.ENRICH_TABLE} .ag-row[row-index='0'] .ag-cell", timeout=TIMEOUT)
    rows = dash_duo.driver.execute_script(
        "const api = dash_ag_grid.getApi(arguments[0]); const rows = [];"
        "api.forEachNode(n => rows.push([n.data.overlap_ids, n.data.overlap_entries])); return rows;",
        ids.ENRICH_TABLE,
    )
    assert rows
    for overlap_ids, named in rows:
        for gene_id, entry in zip(overlap_ids, named, strict=True):
            assert all(gene_id in expected[e] for e in entry.split(", "))
            assert seed_corpus.gene_organisms[seed_corpus.gene_row(gene_id)] == HUMAN
    shown = dash_duo.find_element(f"#{ids.ENRICH_TABLE} .ag-row[row-index='0']").text
    assert any(f"({entry})" in shown for entry in entries)
    assert_no_console_errors(dash_duo)


def test_a_gene_panel_lists_its_orthologs_and_includes_them_in_one_click(dash_duo, app, seed_corpus):
    counts = seed_corpus.genes["n_figures"].to_numpy()
    gene = next(
        int(seed_corpus.gene_ids[r])
        for r in counts.argsort()[::-1]
        if seed_corpus.gene_organisms[r] == HUMAN
        and len(with_orthologs(seed_corpus, [str(seed_corpus.gene_ids[r])])[0]) > 2
    )
    orthologs = [int(seed_corpus.gene_ids[r]) for r in with_orthologs(seed_corpus, [str(gene)])[0]]
    dash_duo.start_server(app)
    dash_duo.driver.get(f"{dash_duo.server_url}/?genes={gene}")
    wait_for_network(dash_duo)
    dash_duo.wait_for_contains_text(f"#{ids.DETAIL} .detail-orthologs", "Orthologs in this corpus", timeout=TIMEOUT)
    chips = dash_duo.find_elements(f"#{ids.DETAIL} .detail-orthologs .chip")
    assert len(chips) == len(orthologs) - 1
    dash_duo.find_element(f"#{ids.DETAIL} .detail-orthologs button.secondary").click()
    assert sorted(wait_for_chosen(dash_duo, [f"gene:{g}" for g in orthologs])) == sorted(f"gene:{g}" for g in orthologs)
    assert_no_console_errors(dash_duo)
