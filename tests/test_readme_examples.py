"""Every example the README and the docs give works on the default data: their links select figures without a
notice, and their API calls answer 200 with something found."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import SEEDS

from dashboard.analysis.selection import selection_figures
from dashboard.config import Settings
from dashboard.web.app import create_app
from dashboard.web.state import parse_query, to_selection

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEXT = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)
# Each example once, in the order the pages give them (the README's tour repeats some of docs/api.md's).
LINKS = list(dict.fromkeys(re.findall(r"`(\?genes=[^`]+)`", TEXT)))
CURLS = list(dict.fromkeys(line.removeprefix("$ ") for line in re.findall(r"^\$ curl .+$", TEXT, flags=re.MULTILINE)))


@pytest.fixture(scope="module")
def client(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus).server.test_client()


def test_the_readme_and_the_api_page_have_examples():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert re.search(r"`\?genes=[^`]+`", readme) and re.search(r"^\$ curl ", readme, flags=re.MULTILINE)
    assert LINKS and len(re.findall(r"^\$ curl .+$", api, flags=re.MULTILINE)) >= 2


@pytest.mark.parametrize("link", LINKS)
def test_readme_links_select_figures(seed_corpus, link):
    state, notices = parse_query(seed_corpus, link)
    assert [str(n) for n in notices if n.dropped] == []  # nothing of the link is dropped (a note may say what it did)
    figures = selection_figures(seed_corpus, to_selection(seed_corpus, state))
    assert len(figures) > 0
    if state.figure:
        assert state.figure in set(seed_corpus.figids[figures])


@pytest.mark.parametrize("command", CURLS)
def test_readme_api_calls_answer(client, command):
    words = shlex.split(command)
    url = next(w for w in words if w.startswith("localhost:"))
    parts = urlsplit("http://" + url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if "-X" in words and words[words.index("-X") + 1] == "POST":
        body = json.loads(words[words.index("-d") + 1])
        response = client.post(path, json=body)
    else:
        response = client.get(path)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    found = answer.get("figures") or answer.get("results") or answer.get("genes")
    assert found, answer
