"""The time budget of a full-text query: SQLite is interrupted only inside a query's own budget, never by the stale
deadline of an earlier query or of a fresh thread; a query interrupted in any of its steps (prefix expansion, id
lookup, scoring) is the user's "too broad" (a 400 from the API), never an internal error."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import write

from dashboard.analysis.model import Corpus, Selection
from dashboard.analysis.search import QueryError, search_figures
from dashboard.analysis.selection import selection_figures
from dashboard.config import Settings
from dashboard.corpus import columns as C
from dashboard.corpus.loader import read_corpus
from dashboard.corpus.textindex.build import build_text_index
from dashboard.corpus.textindex.index import TextIndex
from dashboard.corpus.textindex.query import parse_query
from dashboard.web import ids
from dashboard.web.app import create_app

FIGURES = 600  # PMC1000000 … PMC1000599: 1,200 terms start with "pmc10" (the PMCIDs and the squeezed figids)
BUDGET = 0.5  # seconds: far more than any query of this corpus takes, far less than the test's pause
KINASE = "Kinase cascades"


def write_many(folder: Path) -> Path:
    """Records whose ids make "pmc" and "PMC10" prefixes of hundreds of terms."""
    for i in range(FIGURES):
        figid = f"PMC{1_000_000 + i}__f"
        write(
            folder,
            f"_figures/{figid}.md",
            "---\n"
            f"figid: {figid}\nfigtitle: '{KINASE if i % 2 else 'Receptor signalling'} {i}'\n"
            f"pmcid: PMC{1_000_000 + i}\nfilename: f.jpg\n"
            "caption: 'Kinases relay the signal from receptors to the nucleus.'\nyear: '2015'\n---\n",
        )
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_many(tmp_path_factory.mktemp("budget") / "site")


@pytest.fixture(scope="module")
def tables(data):
    return read_corpus([data])


@pytest.fixture(scope="module")
def index_path(tables, tmp_path_factory) -> Path:
    return build_text_index(tables, tmp_path_factory.mktemp("index"))


@pytest.fixture
def index(index_path, tables) -> TextIndex:
    opened = TextIndex(index_path, tables.figures)
    opened.time_budget = BUDGET
    return opened


EXPANDING = ["pmc", "PMC10", "PMC1000", "kin"]


def expand_and_search(index: TextIndex, text: str) -> tuple[int, list[str] | None, int, int]:
    """Every query-time operation of the index on one query: compile (prefix expansion), search, snippets, id
    lookup, and the frequencies the planner reads."""
    query = index.compile(parse_query(text))
    found = index.search(query)
    index.snippets(query, found.rows[:5])
    token = text.casefold()
    return (
        len(found.rows),
        index.expand(token),
        index.prefix_frequency(token) + index.document_frequency(token) + len(index.frequent_expansions(token)),
        sum(map(len, index.lookup_ids([text, "PMC1000001"]))),
    )


@pytest.mark.parametrize("text", EXPANDING)
def test_an_idle_pause_longer_than_the_budget_fails_no_query(index, text):
    """A query after a pause longer than the budget, in the thread that ran the last query and in a fresh one,
    answers. Mutation: the deadline set only by `search` (the former code) → sqlite3.OperationalError
    'interrupted' in `frequent_expansions` from the stale deadline, and at once in a fresh thread (deadline 0)."""
    expected = expand_and_search(index, text)  # sets this thread's deadline …
    assert expected[0] > 0
    time.sleep(BUDGET + 0.2)  # … which is long past now
    assert expand_and_search(index, text) == expected
    with ThreadPoolExecutor(max_workers=1) as pool:  # a thread that never ran a query
        assert pool.submit(expand_and_search, index, text).result() == expected


def test_the_api_answers_after_an_idle_pause(data):
    """`GET /api/v1/search?q=pmc` answers 200 after a pause, from the thread that served the last request and from
    a fresh one. Mutation: a stale deadline → 500."""
    corpus = Corpus(read_corpus([data]))
    corpus.text_index.time_budget = BUDGET
    client = create_app(Settings(data=(str(data),), use_cache=False), corpus=corpus).server.test_client()
    urls = ["/api/v1/search?q=pmc", "/api/v1/search?q=PMC10", "/api/v1/search?q=PMC1000", "/api/v1/search?q=kin"]
    for url in urls:
        assert client.get(url).status_code == 200
    time.sleep(BUDGET + 0.2)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.get_json()["total"] > 0
    statuses: list[int] = []
    fresh = threading.Thread(target=lambda: statuses.extend(client.get(url).status_code for url in urls))
    fresh.start()
    fresh.join()
    assert statuses == [200] * len(urls)


def test_a_query_interrupted_in_any_step_is_too_broad(index):
    """With no time at all, SQLite is interrupted in the first statement that runs long: prefix expansion in
    `compile`, scoring in `search`. Each is a QueryError saying the query is too broad, never an OperationalError;
    a statement too short to be interrupted (an id lookup) answers. Mutation: `compile` run outside a budget, or
    the interruption not turned into QueryError → sqlite3.OperationalError (caught)."""
    query = index.compile(parse_query("kinases receptors"))
    index.time_budget = 0.0
    with pytest.raises(QueryError, match="too broad"):
        index.compile(parse_query("pmc"))  # 1,200 terms sorted by frequency
    with pytest.raises(QueryError, match="too broad"):
        index.search(query)  # 600 figures scored
    (rows,) = index.lookup_ids(["PMC1000001"])
    assert index.figures[C.FIGID].iloc[rows].tolist() == ["PMC1000001__f"]
    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(QueryError, match="too broad"):
        pool.submit(index.compile, parse_query("pmc")).result()


def test_search_and_the_api_say_too_broad_when_interrupted(data):
    """An interrupted search reaches the user as a message: QueryError from `search_figures`, a 400 from the API
    (never a 500), whether the time ran out expanding a prefix or scoring."""
    corpus = Corpus(read_corpus([data]))
    corpus.text_index.time_budget = 0.0
    client = create_app(Settings(data=(str(data),), use_cache=False), corpus=corpus).server.test_client()
    for text in ("pmc", "PMC10", "kinases receptors"):
        with pytest.raises(QueryError, match="too broad"):
            search_figures(corpus, text)
        response = client.get("/api/v1/search", query_string={"q": text})
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert "too broad" in response.get_json()["error"]
    assert search_figures(corpus, "PMC1000001").total == 1  # an id lookup is too short to be interrupted


def test_an_error_other_than_an_interruption_is_not_hidden(index, tmp_path):
    """Only an interruption becomes "too broad": an index that cannot be read stays an error."""
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(index.path.read_bytes())
    broken = TextIndex(copy, index.figures)
    copy.write_bytes(b"not a database" * 1000)
    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(sqlite3.DatabaseError):
        pool.submit(broken.compile, parse_query("pmc")).result()


def test_a_search_too_broad_for_the_page_is_told_never_an_empty_selection(data):
    """The selection's filter raises QueryError instead of answering "no figure"; a page callback counting the
    selection answers with the notice "Search not run: … too broad", and it is not counted as our error."""
    corpus = Corpus(read_corpus([data]))
    corpus.text_index.time_budget = 0.0
    with pytest.raises(QueryError, match="too broad"):
        selection_figures(corpus, Selection(text="kinases receptors"))
    client = create_app(Settings(data=(str(data),), use_cache=False), corpus=corpus).server.test_client()
    outputs = [(ids.ORGANISM_FILTER, "options"), (ids.UNSTATED_SWITCH, "options"), (ids.SELECTION_SUMMARY, "children")]
    body = {
        "output": ".." + "...".join(f"{c}.{p}" for c, p in outputs) + "..",
        "outputs": [{"id": c, "property": p} for c, p in outputs],
        "inputs": [{"id": ids.SELECTION, "property": "data", "value": {"text": "kinases receptors"}}],
        "changedPropIds": [f"{ids.SELECTION}.data"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    answer = response.get_json()
    assert "too broad" in answer["sideUpdate"][ids.NOTICE]["children"]
    assert "response" not in answer or ids.SELECTION_SUMMARY not in answer.get("response", {})
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'pfocr_errors_total{kind="callback"} 0.0' in metrics
