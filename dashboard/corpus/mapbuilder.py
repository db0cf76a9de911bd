"""Corpus floor: the builder process of a cache entry's corpus map (`python -m dashboard.corpus.mapbuilder
[--claimed] ENTRY`, started by `corpusmap.start_map_build`).

The entry's PENDING_FILE says who builds its map: the server claims it before starting this process (`--claimed`),
which then puts its own pid there; run by hand, the builder claims it itself (of two builders, one works; a file
left by a killed builder is taken over). The map is built beside the tables (written atomically) and the file
removed. Exit status 0 when the map is there (built now or by another builder), 1 when it could not be built.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from dashboard.corpus.cache import read_tables
from dashboard.corpus.corpusmap import MAP_FILE, PENDING_FILE, build_corpus_map, claim_build, hand_over_build

log = logging.getLogger("dashboard.corpus.mapbuilder")


def build(folder: Path, claimed: bool = False) -> bool:
    """Build the map of the cache entry in `folder` unless it has one or another builder is at it."""
    if (folder / MAP_FILE).is_file():
        if claimed:
            (folder / PENDING_FILE).unlink(missing_ok=True)
        return True
    if claimed:
        hand_over_build(folder)
    elif not claim_build(folder):
        return True
    try:
        build_corpus_map(read_tables(folder), folder)
        return True
    except Exception:
        log.exception("could not build the corpus map of %s; the map tab says there is none", folder)
        return False
    finally:
        (folder / PENDING_FILE).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    claimed = args[:1] == ["--claimed"]
    folders = args[1:] if claimed else args
    if len(folders) != 1:
        log.error("usage: python -m dashboard.corpus.mapbuilder [--claimed] CACHE_ENTRY")
        return 2
    return 0 if build(Path(folders[0]), claimed) else 1


if __name__ == "__main__":
    sys.exit(main())
