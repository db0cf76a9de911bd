"""Corpus floor: the text index of some tables, found or made — the file built with their cache entry or bundle,
opened read-only, else one built for this process in a temporary folder (tables made in memory, or a file that
will not open), removed when the index is dropped or, if the process is killed, by a later one.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dashboard.corpus.owners import process_gone
from dashboard.corpus.textindex.build import build_text_index
from dashboard.corpus.textindex.index import TextIndex, UnusableIndex

if TYPE_CHECKING:
    from dashboard.corpus.loader import CorpusTables

log = logging.getLogger(__name__)


def open_text_index(path: str | os.PathLike, figures: pd.DataFrame) -> TextIndex:
    """Open an index file read-only for these figures; UnusableIndex if it is not one built for them, OSError or
    sqlite3.Error if it cannot be read."""
    return TextIndex(path, figures)


TEMPORARY = "pfocr-text-index-"  # + owner pid and a random suffix: the index of tables made in memory


def _remove_folder(folder: str, owner: int) -> None:
    if os.getpid() == owner:  # a forked worker must not delete the folder its siblings still read
        shutil.rmtree(folder, ignore_errors=True)


def remove_leftovers(parent: str | os.PathLike) -> None:
    """Delete the temporary indexes of processes that are gone (killed before they could clean up)."""
    for folder in Path(parent).glob(f"{TEMPORARY}*"):
        if process_gone(folder.name.removeprefix(TEMPORARY).partition("-")[0]):
            log.info("removing %s, left by a process that is gone", folder)
            shutil.rmtree(folder, ignore_errors=True)


_unusable = 0  # index files of a cache entry or bundle this process could not use (each replaced by a new one)
_unusable_lock = threading.Lock()


def unusable_index_count() -> int:
    """How many text index files of a cache entry or bundle this process could not open and built anew (what
    /metrics shows)."""
    return _unusable


def _count_unusable() -> None:
    global _unusable
    with _unusable_lock:
        _unusable += 1


def load_text_index(tables: CorpusTables) -> TextIndex:
    """The tables' index: the file built with their cache entry or bundle, else one built now in a temporary
    folder (removed when the index is dropped, or by a later process if this one is killed). A file that will not
    open is an error (logged, counted in `unusable_index_count`): the search still answers, from an index built
    for this process at a cost of its own."""
    path = getattr(tables, "text_index", None)
    if path is not None:
        try:
            index = open_text_index(path, tables.figures)
            index.keeps = getattr(tables, "hold", None)  # reopened by path in every new thread: its entry stays
            return index
        except (OSError, sqlite3.Error, UnusableIndex) as exc:
            _count_unusable()
            log.error("cannot use the text index %s (%s); building one for this process", path, exc, exc_info=exc)
    remove_leftovers(tempfile.gettempdir())
    folder = tempfile.mkdtemp(prefix=f"{TEMPORARY}{os.getpid()}-")
    try:
        index = TextIndex(build_text_index(tables, folder), tables.figures)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    weakref.finalize(index, _remove_folder, folder, os.getpid())
    return index
