"""Shared fixtures: the fixture corpora written for these tests, and the shipped seeds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dashboard.analysis.model import Corpus
from dashboard.corpus.loader import read_corpus

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
SITE = FIXTURES / "site"
PLAIN = FIXTURES / "plain"
ROOT = TESTS.parent
SEEDS = ROOT / "seeds"

# A process a test starts runs the code under test, whatever copy of the package is installed: this checkout first
# on its path (tests/test_install.py, which tests an installed wheel, takes it off again).
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


@pytest.fixture(scope="session")
def site_tables():
    return read_corpus([SITE])


@pytest.fixture(scope="session")
def site_corpus(site_tables) -> Corpus:
    return Corpus(site_tables)


@pytest.fixture(scope="session")
def seed_corpus() -> Corpus:
    return Corpus(read_corpus([SEEDS]))


def write(folder: Path, name: str, content: str | bytes) -> Path:
    """Write a file for one test (text as UTF-8)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def pytest_setup_options():
    """Chromium flags for the dash_duo browser tests: headless as root on a machine with a closed network."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1500,1100",
    ):
        options.add_argument(flag)
    return options
