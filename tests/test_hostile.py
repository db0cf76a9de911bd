"""Hostile and broken data: every bad file is reported with its reason, the good records around them load, and
nothing from the data is ever markup or a non-https link."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest
from dash.development.base_component import Component
from hostile import (
    IMG,
    LINKS_FIGURE,
    SCRIPT,
    XSS_FIGURE,
    alias_bomb,
    as_unprivileged,
    shared_temporary_folder,
    write_hostile_corpus,
    write_unreadable_corpus,
)

from dashboard.analysis.model import Corpus
from dashboard.cli import EXIT_BAD_INPUT, main
from dashboard.config import Settings
from dashboard.corpus import columns as C
from dashboard.corpus.loader import parse_file, read_corpus
from dashboard.web.app import create_app
from dashboard.web.detail import show_detail
from dashboard.web.state import ViewState


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    expected, loads = write_hostile_corpus(folder)
    return folder, expected, loads, read_corpus([folder])


def test_at_least_thirty_kinds_of_bad_file(hostile):
    _, expected, _, _ = hostile
    assert len(expected) >= 30


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


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    """Mutation: `check_shape` returning at once (aliases composed and expanded) → 10⁷ nodes take seconds."""
    bomb = tmp_path / "bomb.md"
    bomb.write_text(alias_bomb(7))
    assert bomb.stat().st_size < 500
    started = time.perf_counter()
    problems = parse_file(str(bomb), {})[5]
    assert time.perf_counter() - started < 0.25
    assert problems == [(str(bomb), "YAML alias at line 4: aliases are not allowed in records")]


@pytest.fixture
def shared_tmp():
    with shared_temporary_folder() as folder:
        yield folder


def _load_report(folder: Path) -> tuple[list[str], dict[str, str]]:
    tables = read_corpus([folder], workers=1)
    problems = {os.path.basename(p): r for p, r in tables.problems.itertuples(index=False)}
    return sorted(tables.figures[C.FIGID]), problems


def test_unreadable_files_and_folders_are_reported(shared_tmp):
    """Read as a user the modes apply to (root reads everything). Mutation: `_walk` without its `except OSError`
    around the folder listing → PermissionError ends the load."""
    expected, loads = write_unreadable_corpus(shared_tmp)
    figids, problems = as_unprivileged(_load_report, shared_tmp)
    assert figids == loads
    assert problems == expected


def test_check_lists_every_problem_and_exits_2_when_nothing_loads(hostile, tmp_path, capsys, caplog):
    folder, expected, _, _ = hostile
    assert main(["check", "--no-cache", "--json", str(folder)]) == 0
    reported = {os.path.basename(p["path"]): p["reason"] for p in json.loads(capsys.readouterr().out)["problems"]}
    assert {name: reason for name, reason in reported.items() if name in expected} == reported
    assert all(reason in reported[name] for name, reason in expected.items())
    os.mkfifo(tmp_path / "fifo.md")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere")
    assert main(["check", "--no-cache", str(tmp_path)]) == EXIT_BAD_INPUT
    assert "not a regular file (a FIFO)" in caplog.text and "broken symbolic link" in caplog.text


# Component properties whose value the browser renders as HTML, not as text.
RAW_HTML_PROPS = ("dangerouslySetInnerHTML", "srcDoc", "dangerously_allow_html", "dangerously_allow_code")


def _components(root: Component):
    """Every component in a tree, through any property that holds components (not only `children`)."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        for name in node._prop_names:
            value = getattr(node, name, None)
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(item, Component):
                    stack.append(item)


def _texts(root: Component) -> list[str]:
    """The strings rendered as text: string children of components that are not Markdown."""
    texts = []
    for node in _components(root):
        children = getattr(node, "children", None)
        if type(node).__name__ != "Markdown":
            texts.extend(c for c in (children if isinstance(children, list) else [children]) if isinstance(c, str))
    return texts


def _raw_html(root: Component) -> list[str]:
    """Components that would render markup: a raw-HTML property set, or Markdown (which renders links and, when
    allowed, HTML) holding the data's text."""
    found = []
    for node in _components(root):
        for name in RAW_HTML_PROPS:
            if getattr(node, name, None):
                found.append(f"{type(node).__name__}.{name}")
        if type(node).__name__ == "Markdown" and any(p in str(node.children) for p in (SCRIPT, IMG, "javascript:")):
            found.append("Markdown holding the record's text")
    return found


@pytest.mark.parametrize(
    ("state", "payloads"),
    [(ViewState(figure=XSS_FIGURE), (SCRIPT, IMG)), (ViewState(genes=(4193,)), (SCRIPT,))],  # 4193: symbol SCRIPT
    ids=["figure", "gene"],
)
def test_detail_panel_renders_payloads_as_text(hostile, state, payloads):
    """The record's markup reaches the panel as text only. Mutation: the caption rendered by
    `dcc.Markdown(caption, dangerously_allow_html=True)` in panels.py → caught (the payload is in a Markdown)."""
    _, _, _, tables = hostile
    corpus = Corpus(tables)
    panel = show_detail(corpus, state)
    texts = " ".join(_texts(panel))
    assert all(p in texts for p in payloads)  # the payloads are there, as text: the check below is not vacuous
    assert _raw_html(panel) == []
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
    assert _raw_html(app.layout) == []
