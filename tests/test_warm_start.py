"""What a web process serves is complete before gunicorn forks its workers: every index built, the corpus map made
with the data, and no thread of ours alive (so that the workers share the master's pages and inherit no lock)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import SEEDS, SITE

from dashboard.config import Settings
from dashboard.web.app import create_app, load_settings_corpus


def test_ready_means_every_index_built():
    corpus, release = load_settings_corpus(Settings(data=(str(SITE),), use_cache=False))
    assert {"search_index", "text_index", "_incidence_csc", "_symbol_lookup", "_species_codes"} <= set(vars(corpus))
    assert {"chemicals", "diseases"} <= set(corpus.memo.keys("term index")) & set(corpus.memo.keys("figure terms"))
    assert create_app(Settings(data=(str(SITE),)), corpus, release).server.test_client().get("/").status_code == 200


def test_importing_the_wsgi_module_leaves_no_thread_and_a_made_map(tmp_path):
    """gunicorn --preload imports the WSGI module in its master and then forks: by then the corpus is open, its
    cache entry holds its map, and no thread but the main one runs."""
    code = (
        "import threading, dashboard.web.wsgi as w;"
        "from dashboard.analysis.corpusmap import corpus_map;"
        "print([t.name for t in threading.enumerate()]);"
        "print(corpus_map(w.app.server.config['PFOCR_CORPUS']).method)"
    )
    env = {**os.environ, "PFOCR_DATA": str(SEEDS), "PFOCR_CACHE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    threads, method = result.stdout.splitlines()
    assert threads == "['MainThread']" and method.startswith("tsne")
    assert "built the corpus map" in result.stderr  # made with the cache entry, not computed on first use
