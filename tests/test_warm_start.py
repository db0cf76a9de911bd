"""A web process serves its first page before the indexes the page does not need, and builds them before it says
it is ready (so that gunicorn's workers, forked from a loaded master, share them)."""

from __future__ import annotations

import os

from conftest import SITE
from werkzeug.test import Client

from dashboard.analysis import terms
from dashboard.config import Settings
from dashboard.web.app import Boot, build_indexes, load_settings_corpus


def test_ready_means_every_index_built():
    boot = Boot(Settings(data=(str(SITE),), use_cache=False)).start()
    assert boot.wait(60)
    corpus = boot._server.config["PFOCR_CORPUS"]
    assert {"search_index", "text_index", "_incidence_csc", "_symbol_lookup", "_species_codes"} <= set(vars(corpus))
    assert {"chemicals", "diseases", ("figures", "chemicals"), ("figures", "diseases")} <= set(terms._INDEXES[corpus])
    assert Client(boot).get("/").status_code == 200


def test_the_indexes_are_left_to_the_caller_when_asked():
    corpus, _ = load_settings_corpus(Settings(data=(str(SITE),), use_cache=False), indexes=False)
    assert "search_index" not in vars(corpus) and corpus not in terms._INDEXES
    build_indexes(corpus)
    assert "search_index" in vars(corpus) and {"chemicals", "diseases"} <= set(terms._INDEXES[corpus])


def test_a_forked_process_does_not_inherit_the_index_lock_held():
    with terms._LOCK:  # as if a thread were building an index when the process forks
        child = os.fork()
        if child == 0:
            acquired = terms._LOCK.acquire(timeout=5)
            os._exit(0 if acquired else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
