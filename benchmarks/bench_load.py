"""Cold and warm load times of a corpus: files → tables → indexes (median of several runs).

    python benchmarks/bench_load.py seeds /tmp/pfocr-10k [--runs 3]

Cold: parse every file (no cache) and write the cache. Warm: read the cache. Both include building the analysis
indexes (the `Corpus`), i.e. everything before the first page can be served.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

from dashboard.analysis.model import Corpus
from dashboard.corpus.cache import load_corpus

log = logging.getLogger("bench_load")


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def bench(path: str, runs: int) -> dict:
    cold, warm = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            seconds, corpus = timed(lambda c=cache: Corpus(load_corpus([path], cache_dir=c)))
            cold.append(seconds)
            seconds, _ = timed(lambda c=cache: Corpus(load_corpus([path], cache_dir=c)))
            warm.append(seconds)
    return {
        "path": path,
        "figures": corpus.n_figures,
        "links": int(corpus.incidence.nnz),
        "cold": statistics.median(cold),
        "warm": statistics.median(warm),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = [bench(path, args.runs) for path in args.paths]
    header = f"{'corpus':<28} {'figures':>8} {'links':>9} {'cold s':>8} {'warm s':>8} {'cold/warm':>9}"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{Path(row['path']).name:<28} {row['figures']:>8,} {row['links']:>9,} {row['cold']:>8.2f} "
            f"{row['warm']:>8.2f} {row['cold'] / row['warm']:>9.1f}"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
