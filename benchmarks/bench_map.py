"""The corpus map: embedding build time, what the browser receives, and `GET /api/v1/map` latency.

    python benchmarks/bench_map.py /tmp/pfocr-bench/corpus-10000 [DATA ...] [--builds 3] [--requests 30]
        [--cache-dir DIR]

DATA is what `serve --data` takes (a bundle, or sources read through the cache: a new cache entry builds its map
once, as a start from sources does). The map is then built again from the loaded tables into a temporary folder,
`--builds` times (the build a cache entry or bundle makes: TF-IDF, randomized SVD, openTSNE), and the median
printed. The payload is the first draw of the map tab as Dash sends it (the figure dict as JSON, and gzipped as
flask-compress sends it), and the patch a selection change sends (the figures of the corpus' most frequent gene).
`GET /api/v1/map` is timed through the app's Flask server, after two unmeasured requests.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from plotly.utils import PlotlyJSONEncoder

from dashboard.analysis.corpusmap import corpus_map, map_groups
from dashboard.analysis.model import Corpus
from dashboard.config import Settings
from dashboard.corpus.bundle import load_data
from dashboard.corpus.cache import write_table
from dashboard.corpus.corpusmap import build_corpus_map
from dashboard.web.app import create_app
from dashboard.web.corpusmap import marker_size, selected_rows, selected_trace, to_figure
from dashboard.web.state import ViewState


def sizes(payload: object) -> tuple[int, int]:
    """Bytes of a callback output as JSON, and gzipped at the level the app sends (COMPRESS_LEVEL)."""
    text = json.dumps(payload, cls=PlotlyJSONEncoder).encode()
    return len(text), len(gzip.compress(text, 1))


def bench(data: str, builds: int, requests: int, cache_dir: str | None) -> None:
    started = time.perf_counter()
    tables, _ = load_data([data], cache_dir=cache_dir)
    corpus = Corpus(tables)
    print(
        f"\n{data}: {corpus.n_figures:,} figures, {int(corpus.incidence.nnz):,} links (loaded in "
        f"{time.perf_counter() - started:.1f} s)"
    )
    times = []
    for _ in range(builds):
        with tempfile.TemporaryDirectory() as folder:
            for name in ("figures", "links"):
                write_table(Path(folder), name, getattr(tables, name))
            begun = time.perf_counter()
            build_corpus_map(folder)
            times.append(time.perf_counter() - begun)
    if times:  # --builds 0: the payloads and the API only
        print(
            f"  embedding build: median {statistics.median(times):.1f} s of {builds}"
            f" ({', '.join(f'{t:.1f}' for t in times)})"
        )

    points = corpus_map(corpus)
    if points is None:
        print("  no stored map: nothing more to measure")
        return
    for colour in ("year", "organism"):
        figure = to_figure(corpus, points, map_groups(corpus, points, colour), None)
        raw, packed = sizes(figure)
        print(f"  first draw, colour by {colour}: {raw / 1e6:.2f} MB JSON, {packed / 1e6:.2f} MB gzipped")
    gene = int(np.argmax(np.diff(corpus.matrix_by_gene().indptr)))
    rows = selected_rows(corpus, points, ViewState(genes=(int(corpus.gene_ids[gene]),)))
    raw, packed = sizes(selected_trace(points, rows, marker_size(int(points.placed.sum()))))
    print(
        f"  selection patch ({len(rows):,} figures of {corpus.symbols[gene]}): {raw / 1e3:.0f} KB,"
        f" {packed / 1e3:.0f} KB gzipped"
    )

    client = create_app(Settings(data=[data]), corpus=corpus).server.test_client()
    latencies = []
    for number in range(requests + 2):
        begun = time.perf_counter()
        response = client.get("/api/v1/map", headers={"Accept-Encoding": "gzip"})
        elapsed = time.perf_counter() - begun
        assert response.status_code == 200, response.data[:200]
        if number >= 2:
            latencies.append(elapsed * 1000)
    print(
        f"  GET /api/v1/map: p50 {np.percentile(latencies, 50):.0f} ms, p95 {np.percentile(latencies, 95):.0f} ms"
        f" ({len(response.data) / 1e6:.2f} MB as sent)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="+")
    parser.add_argument("--builds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--cache-dir", default=None)
    args = parser.parse_args()
    for data in args.data:
        bench(data, args.builds, args.requests, args.cache_dir)


if __name__ == "__main__":
    main()
