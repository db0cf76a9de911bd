"""The corpus map: the embedding on planted fixtures (deterministic; figures sharing genes land together), the map
built with a cache entry or bundle and travelling with it, the view's figure and events, `GET /api/v1/map`, and
the map tab in headless Chromium."""

from __future__ import annotations

import base64
import json
import multiprocessing
import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import SEEDS, SITE
from dash.testing.wait import until
from scipy import sparse
from selenium.webdriver.common.action_chains import ActionChains
from test_browser import TIMEOUT

from dashboard.analysis import corpusmap as analysis_map
from dashboard.analysis.corpusmap import MAX_VERTICES, RegionError, parse_region, region_mask, to_region
from dashboard.analysis.model import Corpus
from dashboard.analysis.selection import selection_figures
from dashboard.cli import main
from dashboard.config import Settings
from dashboard.corpus import cache as cache_module
from dashboard.corpus import columns as C
from dashboard.corpus.bundle import open_bundle
from dashboard.corpus.cache import load_corpus, write_table
from dashboard.corpus.corpusmap import (
    APART_FROM,
    GRID,
    MAP_FILE,
    CorpusMap,
    build_corpus_map,
    embed,
    figure_gene_matrix,
    load_corpus_map,
    map_path,
    read_corpus_map,
    to_grid,
)
from dashboard.corpus.loader import CorpusError
from dashboard.web import ids
from dashboard.web.app import VIEWS, create_app
from dashboard.web.corpusmap import hover_text, open_query, to_figure
from dashboard.web.counts import update_counts
from dashboard.web.state import ViewState, parse_query, to_query, to_selection


def planted(groups: int = 3, per_group: int = 40, seed: int = 1) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Figures in groups: each draws 6 of its group's 20 genes and 1 of 200 shared noise genes; one empty row."""
    rng = np.random.default_rng(seed)
    rows, cols, labels = [], [], []
    for group in range(groups):
        for _ in range(per_group):
            figure = len(labels)
            genes = [*(group * 20 + rng.choice(20, 6, replace=False)), groups * 20 + int(rng.integers(200))]
            rows += [figure] * len(genes)
            cols += genes
            labels.append(group)
    labels.append(-1)  # a figure without genes
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(labels), groups * 20 + 200))
    return matrix, np.array(labels)


def test_embedding_puts_figures_that_share_genes_together_and_is_deterministic():
    matrix, labels = planted()
    first, method = embed(matrix, seed=0, n_jobs=2)
    again, _ = embed(matrix, seed=0, n_jobs=2)
    assert method.startswith("tsne")
    assert np.array_equal(first, again, equal_nan=True)
    assert np.isnan(first[-1]).all() and not np.isnan(first[:-1]).any()
    points, labels = first[:-1], labels[:-1]
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
    same = labels[:, None] == labels[None]
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(axis=1)
    assert (labels[nearest] == labels).mean() >= 0.95
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    assert distances[same & off_diagonal].mean() < 0.5 * distances[~same].mean()


def _embed_in_child(matrix: sparse.csr_matrix) -> None:
    embed(matrix, seed=0, n_jobs=2)


def test_a_process_forked_after_a_map_was_built_can_build_one_too():
    """The cache's ingest child is forked: openTSNE's threads, once run in the parent, hung such a child."""
    embed(planted()[0], seed=0, n_jobs=2)
    larger, _ = planted(groups=3, per_group=APART_FROM // 3 + 10)  # laid out by a process of its own
    child = multiprocessing.get_context("fork").Process(target=_embed_in_child, args=(larger,))
    child.start()
    child.join(90)
    hung = child.is_alive()
    child.kill()
    assert not hung and child.exitcode == 0


def test_a_large_stored_corpus_is_read_reduced_and_laid_out_by_a_process_of_its_own(tmp_path):
    """From APART_FROM figures the whole build runs apart, from the stored figid and gene id columns: each figure's
    point, in the figures table's order, lies among its group's."""
    matrix, labels = planted(groups=3, per_group=APART_FROM // 3 + 10)
    figids = [f"PMC{i}__f{i}" for i in range(matrix.shape[0])][::-1]  # not in sorted order
    coo = matrix.tocoo()
    links = pd.DataFrame({C.FIGID: pd.Categorical([figids[r] for r in coo.row]), C.GENE_ID: coo.col + 1000})
    write_table(tmp_path, "figures", pd.DataFrame({C.FIGID: figids}))
    write_table(tmp_path, "links", links)
    path = build_corpus_map(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus-map.arrow", "figures.arrow", "links.arrow"]
    stored = read_corpus_map(path, figids)
    assert stored.method.startswith("tsne") and np.isnan(stored.x[-1]) and stored.placed.sum() == len(labels) - 1
    points = np.column_stack([stored.x, stored.y])[:-1].astype(np.float64)
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    assert (labels[:-1][distances.argmin(axis=1)] == labels[:-1]).mean() >= 0.95


def test_a_map_process_that_fails_is_an_error_that_says_so(tmp_path):
    write_table(tmp_path, "figures", pd.DataFrame({C.FIGID: [f"PMC{i}__f" for i in range(APART_FROM)]}))
    with pytest.raises(OSError, match="ended with status"):
        build_corpus_map(tmp_path)  # no links.arrow: the map's process cannot read the links
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures.arrow"]


def test_a_few_figures_are_laid_out_by_svd_and_the_grid_spans_its_range():
    matrix, _ = planted(groups=2, per_group=6)
    coordinates, method = embed(matrix, seed=0)
    assert method == "svd"
    grid = to_grid(coordinates)
    placed = ~np.isnan(grid[:, 0])
    assert placed.sum() == 12 and np.isnan(grid[-1]).all()
    assert grid[placed].min() == 0 and grid[placed].max() == GRID
    assert np.array_equal(grid[placed], np.rint(grid[placed]))


def test_the_matrix_counts_each_figure_gene_link_once(site_tables):
    matrix = figure_gene_matrix(site_tables)
    links = site_tables.links[[C.FIGID, C.GENE_ID]].astype(str).drop_duplicates()
    assert matrix.nnz == len(links) and matrix.shape[0] == len(site_tables.figures)
    sizes = dict(zip(site_tables.figures[C.FIGID].astype(str), np.diff(matrix.indptr), strict=True))
    assert sizes == {f: int((links[C.FIGID] == f).sum()) for f in sizes}


def test_a_cache_entry_is_published_with_its_map(tmp_path):
    """A first start from sources makes its cache entry whole — tables, text index and map — before anything is
    served from it; the next start reads the same map from the entry, and a map is never read against other
    figures."""
    tables = load_corpus([SEEDS], cache_dir=tmp_path)
    entry = map_path(tables).parent
    assert (entry / MAP_FILE).is_file() and not list(tmp_path.glob(".staging-*"))
    stored = analysis_map.corpus_map(Corpus(tables))
    assert stored is not None and stored.method.startswith("tsne")
    assert len(stored.x) == len(tables.figures) == 190
    assert stored.placed.sum() == int((np.diff(figure_gene_matrix(tables).indptr) > 0).sum())
    again = load_corpus_map(load_corpus([SEEDS], cache_dir=tmp_path))  # the next start reads it from the entry
    assert np.array_equal(again.x, stored.x, equal_nan=True)
    with pytest.raises(ValueError, match="other figures"):
        read_corpus_map(entry / MAP_FILE, ["PMC1__a"] * 190)


def test_a_map_that_cannot_be_built_leaves_an_entry_that_serves_without_one(tmp_path, monkeypatch, caplog):
    def fail(*_args, **_kwargs):
        raise RuntimeError("openTSNE crashed")

    monkeypatch.setattr(cache_module, "build_corpus_map", fail)
    monkeypatch.setattr(analysis_map, "EMBED_UP_TO", 1)  # not computed on first use either
    tables = load_corpus([SEEDS], cache_dir=tmp_path)
    assert tables.text_index and not (map_path(tables).parent / MAP_FILE).exists()
    assert "could not build the corpus map" in caplog.text
    client = create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=Corpus(tables)).server.test_client()
    response = client.get("/api/v1/map")
    assert response.status_code == 404 and "no map" in response.get_json()["error"]
    assert client.get("/api/v1/search?q=osteoclast").status_code == 200


def test_the_map_travels_with_a_moved_bundle_and_a_truncated_one_is_refused(tmp_path):
    out = tmp_path / "release" / "bundle"
    assert main(["build", str(SITE), "--out", str(out), "--no-cache"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["indexes"][MAP_FILE]["bytes"] == (out / MAP_FILE).stat().st_size
    moved = tmp_path / "elsewhere" / "bundle"
    shutil.move(out, moved)
    tables, _ = open_bundle(moved)
    stored = load_corpus_map(tables)
    assert stored is not None and len(stored.x) == len(tables.figures)
    with open(moved / MAP_FILE, "r+b") as handle:
        handle.truncate((moved / MAP_FILE).stat().st_size - 100)
    with pytest.raises(CorpusError, match=MAP_FILE):
        open_bundle(moved)


def test_tables_in_memory_get_a_map_when_small_and_none_when_large(site_tables, monkeypatch):
    assert analysis_map.corpus_map(Corpus(site_tables)) is not None
    monkeypatch.setattr(analysis_map, "EMBED_UP_TO", 1)
    assert analysis_map.corpus_map(Corpus(site_tables)) is None


def test_the_figure_sends_typed_arrays_without_text_and_a_click_opens_the_figure(seed_corpus):
    points = analysis_map.corpus_map(seed_corpus)
    groups = analysis_map.map_groups(seed_corpus, points, "organism")
    assert sum(len(g.rows) for g in groups) == points.placed.sum()
    figure = to_figure(seed_corpus, points, groups, None)
    assert len(figure["data"]) == len(groups) + 1
    for trace in figure["data"]:
        assert trace["type"] == "scattergl" and set(trace["x"]) == {"dtype", "bdata"}
        assert "text" not in trace and "customdata" not in trace
    drawn = np.frombuffer(base64.b64decode(figure["data"][0]["x"]["bdata"]), dtype=np.uint16)
    assert np.array_equal(drawn, points.x[groups[0].rows])
    state, _ = parse_query(seed_corpus, "?genes=TNFSF11&years=2010-2025")
    click = {"points": [{"curveNumber": 1, "pointNumber": 2}]}
    query = open_query(seed_corpus, groups, click, replace(state, budget=500))
    opened, _ = parse_query(seed_corpus, query)
    assert opened.figure == seed_corpus.figids[groups[1].rows[2]]
    assert opened.genes == state.genes and opened.years == state.years and opened.budget == state.budget
    for bad in (None, {"points": []}, {"points": [{"curveNumber": 99, "pointNumber": 0}]}, {"points": ["x"]}):
        assert open_query(seed_corpus, groups, bad, ViewState()) is None


def test_hover_text_is_the_title_as_text(seed_corpus):
    row = int(np.flatnonzero(~np.isnan(seed_corpus.years))[0])
    text = hover_text(seed_corpus, row)
    title = str(seed_corpus.figures[C.TITLE].iloc[row])
    assert text.startswith(title) and str(int(seed_corpus.years[row])) in text


def test_api_map_gives_columns_of_points(seed_corpus, site_tables, monkeypatch):
    client = create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus).server.test_client()
    answer = client.get("/api/v1/map").get_json()
    points = analysis_map.corpus_map(seed_corpus)
    assert answer["figures"] == len(answer["figid"]) == len(answer["x"]) == len(answer["y"]) == len(answer["year"])
    assert answer["figures"] == points.placed.sum() and answer["grid"] == GRID
    row = seed_corpus.figure_row(answer["figid"][5])
    assert (answer["x"][5], answer["y"][5]) == (points.x[row], points.y[row])
    years = seed_corpus.years[[seed_corpus.figure_row(f) for f in answer["figid"]]]
    assert answer["year"] == [None if np.isnan(y) else int(y) for y in years] and None in answer["year"]
    gene = client.get("/api/v1/map?genes=TNFSF11").get_json()
    tnfsf11 = seed_corpus.gene_row(8600)
    holding = set(seed_corpus.figids[seed_corpus.matrix_by_gene()[:, tnfsf11].nonzero()[0]])
    assert 0 < gene["figures"] < answer["figures"] and set(gene["figid"]) == holding
    for bad in ("/api/v1/map?years=abc", "/api/v1/map?genes=NOPE", "/api/v1/map?include_unstated=maybe"):
        response = client.get(bad)
        assert response.status_code == 400 and response.get_json()["error"]
    monkeypatch.setattr(analysis_map, "EMBED_UP_TO", 1)
    unmapped = create_app(Settings(data=(str(SITE),), use_cache=False), corpus=Corpus(site_tables)).server
    response = unmapped.test_client().get("/api/v1/map")
    assert response.status_code == 404 and "no map" in response.get_json()["error"]


def test_a_region_is_parsed_from_links_and_drawn_events():
    assert parse_region("900,10,100,500") == (100, 10, 900, 500)  # any two opposite corners of a box
    assert parse_region("0,0,10,0,0,10") == (0, 0, 10, 0, 0, 10)
    for bad in ("1,2,3", "1,2,3,4,5", "1,2,x,4", "²,1,2,3", "-1,2,3,4", "1,2,3,99999", ",".join(["1"] * 82)):
        with pytest.raises(RegionError):
            parse_region(bad)
    assert to_region({"range": {"x": [300.4, 100.6], "y": [5, 9]}, "points": []}) == (101, 5, 300, 9)
    lasso = np.linspace(0, 2 * np.pi, 500)
    thinned = to_region({"lassoPoints": {"x": list(1000 + 500 * np.cos(lasso)), "y": list(1000 + 500 * np.sin(lasso))}})
    assert len(thinned) == 2 * MAX_VERTICES and parse_region(",".join(map(str, thinned))) == thinned
    for nothing in (None, {}, {"range": {"x": [1]}}, {"lassoPoints": {"x": [1, 2], "y": [1, 2]}}, {"range": "x"}):
        assert to_region(nothing) is None


def test_points_inside_a_box_or_a_polygon():
    x = np.array([10, 50, 90, 50, 50, np.nan], dtype=np.float32)
    y = np.array([20, 50, 10, 90, 20, np.nan], dtype=np.float32)
    points = CorpusMap(x=x, y=y, method="test")
    assert region_mask(points, (10, 10, 50, 50)).tolist() == [True, True, False, False, True, False]
    triangle = (0, 0, 100, 0, 50, 60)  # (10,20) is outside: the left edge passes x = 16.7 at y = 20
    assert region_mask(points, triangle).tolist() == [False, True, True, False, True, False]


def test_a_region_in_a_link_is_a_selection_mask(seed_corpus):
    points = analysis_map.corpus_map(seed_corpus)
    box = (0, 0, GRID // 2, GRID // 2)
    state, notices = parse_query(seed_corpus, f"?region={','.join(map(str, box))}&years=2010-2025")
    assert notices == [] and state.region == box
    assert "region=0,0,32767,32767" in to_query(seed_corpus, state)
    inside = (points.x <= GRID // 2) & (points.y <= GRID // 2)
    in_years = (seed_corpus.years >= 2010) & (seed_corpus.years <= 2025)
    rows = selection_figures(seed_corpus, to_selection(seed_corpus, state))
    assert 0 < len(rows) < seed_corpus.n_figures
    assert rows.tolist() == np.flatnonzero(inside & in_years).tolist()
    assert ViewState.from_dict(state.to_dict()).region == box
    assert ViewState.from_dict({**state.to_dict(), "region": [1, 2, 3]}).region == ()
    _, _, summary = update_counts(seed_corpus, state)
    assert summary.startswith(f"{len(rows)} of ") and "region drawn on the map" in summary
    assert "region" not in update_counts(seed_corpus, replace(state, region=()))[2]


def console_problems(dash_duo) -> list[dict]:
    """Console errors and warnings, except the messages of Chromium's software WebGL itself (no GPU here)."""
    return [
        entry
        for entry in dash_duo.driver.get_log("browser")
        if entry["level"] in ("SEVERE", "WARNING")
        and "GL Driver Message" not in entry["message"]
        and "software WebGL" not in entry["message"]
    ]


POINT_ON_SCREEN = """
const gd = document.querySelector('#corpus-map .js-plotly-plot');
const trace = gd._fullData[arguments[0]], size = gd._fullLayout._size;
const i = arguments[1], xaxis = gd._fullLayout.xaxis, yaxis = gd._fullLayout.yaxis;
return [size.l + xaxis.l2p(trace.x[i]) - gd.clientWidth / 2, size.t + yaxis.l2p(trace.y[i]) - gd.clientHeight / 2];
"""


@pytest.mark.browser
def test_map_tab_draws_every_point_and_a_click_opens_its_figure(dash_duo, seed_corpus):
    app = create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)
    dash_duo.start_server(app)
    (position,) = [i for i, (value, _, _) in enumerate(VIEWS, start=1) if value == "map"]
    dash_duo.wait_for_text_to_equal(f"#{ids.PATTERN_TABS} .tab:nth-child({position})", "Map of the corpus", TIMEOUT)
    tab = dash_duo.find_element(f"#{ids.PATTERN_TABS} .tab:nth-child({position})")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", tab)
    tab.click()
    points = analysis_map.corpus_map(seed_corpus)
    count = "return document.querySelector('#corpus-map .js-plotly-plot')?._fullData?.map(t => t._length || 0)"
    until(lambda: dash_duo.driver.execute_script(count), timeout=TIMEOUT)
    lengths = dash_duo.driver.execute_script(count)
    assert sum(lengths[:-1]) == points.placed.sum() and lengths[-1] == 0  # nothing chosen: no selection trace
    dash_duo.wait_for_contains_text(f"#{ids.MAP_NOTE}", f"{int(points.placed.sum())} figures", timeout=TIMEOUT)
    graph = dash_duo.find_element(f"#{ids.MAP_GRAPH}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", graph)
    plot = dash_duo.find_element(f"#{ids.MAP_GRAPH} .js-plotly-plot")
    dx, dy = dash_duo.driver.execute_script(POINT_ON_SCREEN, 0, 0)  # from the plot's centre
    ActionChains(dash_duo.driver).move_to_element(plot).move_by_offset(int(dx), int(dy)).perform()
    groups = analysis_map.map_groups(seed_corpus, points, "year")
    until(lambda: dash_duo.find_element(f"#{ids.MAP_HOVER}").text, timeout=TIMEOUT)
    hovered = dash_duo.find_element(f"#{ids.MAP_HOVER}").text
    assert hovered in {hover_text(seed_corpus, int(r)) for r in np.concatenate([g.rows for g in groups])}
    ActionChains(dash_duo.driver).click().perform()
    until(lambda: "figure=" in dash_duo.driver.current_url, timeout=TIMEOUT)
    figid = dash_duo.driver.current_url.split("figure=")[1].split("&")[0]
    assert hover_text(seed_corpus, seed_corpus.figure_row(figid.replace("%5F", "_"))) == hovered

    # A box drawn over the middle of the map becomes the selection: region= in the link, its figures in black.
    box_select = dash_duo.find_element(f"#{ids.MAP_GRAPH} .modebar-btn[data-val='select']")
    dash_duo.driver.execute_script("arguments[0].click()", box_select)  # the modebar shows on hover only
    graph = dash_duo.find_element(f"#{ids.MAP_GRAPH}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", graph)
    plot = dash_duo.find_element(f"#{ids.MAP_GRAPH} .js-plotly-plot")
    ActionChains(dash_duo.driver).move_to_element(plot).move_by_offset(-150, -150).click_and_hold().move_by_offset(
        150, 150
    ).move_by_offset(150, 150).release().perform()
    until(lambda: "region=" in dash_duo.driver.current_url, timeout=TIMEOUT)
    region = parse_region(dash_duo.driver.current_url.split("region=")[1].split("&")[0].replace("%2C", ","))
    inside = int(region_mask(points, region).sum())
    assert 0 < inside < points.placed.sum()
    dash_duo.wait_for_contains_text(f"#{ids.MAP_NOTE}", f"selection's {inside} figures", timeout=TIMEOUT)
    until(lambda: dash_duo.driver.execute_script(count)[-1] == inside, timeout=TIMEOUT)
    dash_duo.find_element(f"#{ids.MAP_CLEAR}").click()
    until(lambda: "region=" not in dash_duo.driver.current_url, timeout=TIMEOUT)
    until(lambda: dash_duo.driver.execute_script(count)[-1] == 0, timeout=TIMEOUT)
    assert console_problems(dash_duo) == []
