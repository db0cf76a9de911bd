"""Hostile and broken data: every bad file is reported with its reason, the good records around them load, and
nothing from the data is ever markup or a non-https link."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from hostile import LINKS_FIGURE, SCRIPT, XSS_FIGURE, write_hostile_corpus

from dashboard.analysis.model import Corpus
from dashboard.config import Settings
from dashboard.corpus import columns as C
from dashboard.corpus.loader import read_corpus
from dashboard.web.app import create_app
from dashboard.web.callbacks import show_detail
from dashboard.web.state import ViewState


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    expected, loads = write_hostile_corpus(folder)
    return folder, expected, loads, read_corpus([folder])


def test_at_least_fifteen_kinds_of_bad_file(hostile):
    _, expected, _, _ = hostile
    assert len(expected) >= 15


def test_each_bad_file_has_its_report_entry(hostile):
    _, expected, _, tables = hostile
    reported = {os.path.basename(p): r for p, r in tables.problems.itertuples(index=False)}
    for name, reason in expected.items():
        assert name in reported, name
        assert reason in reported[name], (name, reported[name])
    assert set(reported) == set(expected)  # and nothing else was reported


def test_the_good_records_around_them_load(hostile):
    _, _, loads, tables = hostile
    assert sorted(tables.figures[C.FIGID]) == sorted(loads)
    huge = tables.figures.set_index(C.FIGID).loc["PMC1__huge", C.CAPTION]
    assert len(huge) == 20_000


def test_markup_stays_text_and_links_stay_https(hostile):
    _, _, _, tables = hostile
    figure = tables.figures.set_index(C.FIGID).loc[XSS_FIGURE]
    assert figure[C.TITLE] == f"{SCRIPT} title"
    assert figure[C.NDEX_URL] is pd.NA and figure[C.DOI_URL] is pd.NA
    assert figure[C.ORGANISMS] == "<b>Homo sapiens</b>"
    for column in (C.FIGURE_URL, C.IMAGE_URL, C.PAPER_URL, C.DOI_URL, C.NDEX_URL):
        for url in tables.figures[column].dropna():
            assert url.startswith("https://"), (column, url)


def test_detail_panel_renders_payloads_as_text(hostile):
    _, _, _, tables = hostile
    corpus = Corpus(tables)
    detail = json.dumps(show_detail(corpus, ViewState(figure=XSS_FIGURE)).to_plotly_json(), default=_plain)
    assert "dangerouslySetInnerHTML" not in detail
    assert "javascript:" not in json.dumps(_hrefs(show_detail(corpus, ViewState(figure=XSS_FIGURE))))
    assert all(h.startswith("https://") for h in _hrefs(show_detail(corpus, ViewState(figure=LINKS_FIGURE))))


def _plain(value):
    return value.to_plotly_json() if hasattr(value, "to_plotly_json") else str(value)


def _hrefs(component) -> list[str]:
    found = []
    stack = [component]
    while stack:
        node = stack.pop()
        if getattr(node, "href", None):
            found.append(node.href)
        children = getattr(node, "children", None)
        stack.extend(children if isinstance(children, list) else [children] if hasattr(children, "children") else [])
    return found


def test_dashboard_counts_and_lists_the_problems(hostile):
    folder, expected, _, _ = hostile
    app = create_app(Settings(data=(str(folder),), use_cache=False))
    layout = json.dumps(app.layout.to_plotly_json(), default=_plain)
    assert f"{len(expected)} problem(s) while loading" in layout
    for name in expected:
        assert name in layout
