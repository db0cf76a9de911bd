"""Full-text search: index build time and size, and query latency through the JSON API.

    python benchmarks/bench_search.py /tmp/pfocr-bench/pfocr-110000 [--queries 400] [--builds 1]

DATA is what `serve --data` takes (a bundle, or sources read through the cache). The index is built again from
the loaded tables into a temporary folder, `--builds` times (the build a cache entry or bundle makes), and its size
reported. Then `--queries` searches drawn from the corpus itself — words of its titles and captions, two-word
queries, partly typed words, quoted phrases, ids (PMCID, figid, DOI), chemical names, queries that find nothing,
and words with organism and year filters — are sent to `GET /api/v1/search` through the app's Flask server (JSON
out, 20 hits with snippets), after 20 unmeasured warm-up queries; p50 / p95 / max per kind and overall. The
type-ahead routes (`/chemicals`, `/diseases`, `/organisms`) are timed too.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from dashboard.analysis.model import Corpus
from dashboard.config import Settings
from dashboard.corpus import columns as C
from dashboard.corpus.bundle import load_data
from dashboard.corpus.textindex.build import build_text_index
from dashboard.web.app import create_app

# Kinds of query and their share of the mix (what people type into a search box; ids and misses included).
MIX = {
    "word": 25,
    "two words": 15,
    "partly typed": 15,
    "phrase": 10,
    "id": 10,
    "chemical": 5,
    "miss": 5,
    "word + filters": 15,
}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def draw_queries(corpus: Corpus, count: int, rng: random.Random) -> list[tuple[str, dict]]:
    """(kind, query string parameters) drawn from the corpus' own texts and ids, in the proportions of MIX."""
    figures = corpus.figures
    rows = rng.sample(range(corpus.n_figures), min(corpus.n_figures, 2_000))
    words = []
    phrases = []
    for row in rows:
        title = str(figures[C.TITLE].iloc[row] or "").split()
        caption = str(figures[C.CAPTION].iloc[row] or "").split()
        words += [w.strip(".,;:()'\"") for w in title + caption[:20] if len(w.strip(".,;:()'\"")) > 3]
        pairs = [(a, b) for a, b in itertools.pairwise(caption) if any(ch.isalnum() for ch in a + b)]
        if pairs:
            phrases.append(" ".join(rng.choice(pairs)).replace('"', ""))
    ids = []
    for row in rows[:300]:
        ids += [str(figures[C.FIGID].iloc[row]), str(figures[C.PMCID].iloc[row])]
        doi = figures[C.DOI_URL].iloc[row]
        if isinstance(doi, str) and doi:
            ids.append(doi.removeprefix("https://doi.org/"))
    chemicals = corpus.tables.chemicals[C.WORD].dropna().astype(str).unique().tolist() or ["glucose"]
    organisms = [name for name in corpus.organism_counts if name != "Unknown"][:5]
    span = corpus.year_span or (2000, 2025)
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    queries = []
    for kind in kinds:
        if kind == "word":
            params = {"q": rng.choice(words)}
        elif kind == "two words":
            params = {"q": f"{rng.choice(words)} {rng.choice(words)}"}
        elif kind == "partly typed":
            word = rng.choice(words)
            params = {"q": word[: rng.randint(3, max(3, len(word) - 1))]}
        elif kind == "phrase":
            params = {"q": f'"{rng.choice(phrases)}"'}
        elif kind == "id":
            params = {"q": rng.choice(ids)}
        elif kind == "chemical":
            params = {"q": rng.choice(chemicals)}
        elif kind == "miss":
            params = {"q": "".join(rng.choice("qxzjvkw") for _ in range(9))}
        else:
            low = rng.randint(span[0], span[1])
            params = {"q": rng.choice(words), "organisms": rng.choice(organisms), "years": f"{low}-{span[1]}"}
        queries.append((kind, params))
    return queries


def report(label: str, times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return (
        f"{label:16} n={len(ms):4}  p50 {percentile(ms, 50):6.1f} ms  p95 {percentile(ms, 95):6.1f} ms"
        f"  max {max(ms):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="+", type=Path)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--builds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "pfocr-bench-cache")
    args = parser.parse_args()

    started = time.perf_counter()
    tables, release = load_data(args.data, cache_dir=args.cache_dir)
    print(f"{len(tables.figures):,} figures ({release.kind}) loaded in {time.perf_counter() - started:.1f} s")

    builds = []
    for _ in range(args.builds):
        with tempfile.TemporaryDirectory(prefix="bench-search-") as folder:
            started = time.perf_counter()
            path = build_text_index(tables, folder)
            builds.append(time.perf_counter() - started)
            size = path.stat().st_size
    print(
        f"index build: median {statistics.median(builds):.1f} s (runs: {', '.join(f'{b:.1f}' for b in builds)});"
        f" size {size / 2**20:.1f} MiB ({size / len(tables.figures):,.0f} bytes per figure)"
    )

    corpus = Corpus(tables)
    started = time.perf_counter()
    index = corpus.text_index
    print(f"index opened in {(time.perf_counter() - started) * 1000:.0f} ms: {index.path}")
    client = create_app(Settings(data=tuple(str(d) for d in args.data)), corpus=corpus).server.test_client()
    rng = random.Random(args.seed)
    queries = draw_queries(corpus, args.queries + 20, rng)
    by_kind: dict[str, list[float]] = {kind: [] for kind in MIX}
    totals: dict[str, list[int]] = {kind: [] for kind in MIX}
    for position, (kind, params) in enumerate(queries):
        started = time.perf_counter()
        response = client.get("/api/v1/search", query_string=params)
        elapsed = time.perf_counter() - started
        if response.status_code not in (200, 400):  # 400: a query with nothing to search, said so
            raise SystemExit(f"{params}: {response.status_code} {response.get_data(as_text=True)[:200]}")
        if position >= 20:
            by_kind[kind].append(elapsed)
            totals[kind].append(response.get_json().get("total", 0))
    every = [t for times in by_kind.values() for t in times]
    print(f"GET /api/v1/search, 20 hits with snippets, {len(every)} queries after 20 warm-up ones:")
    for kind, times in by_kind.items():
        if times:
            print(f"  {report(kind, times)}  median hits {statistics.median(totals[kind]):,.0f}")
    print(f"  {report('all', every)}")

    for route, samples in (
        ("chemicals", ["gl", "chem1", "mesh:D000123", "chebi:4167", "ATP"]),
        ("diseases", ["dis", "cancer", "doid:162", "mesh:D000001"]),
        ("organisms", ["human", "mouse", "yeast", "E. coli", "Homo", "gen"]),
    ):
        times = []
        for _ in range(5):
            for query in samples:
                started = time.perf_counter()
                response = client.get(f"/api/v1/{route}", query_string={"q": query})
                times.append(time.perf_counter() - started)
                assert response.status_code == 200
        print(
            f"GET /api/v1/{route}: {report('type-ahead', times[len(samples) :])} (first, building: "
            f"{max(times[: len(samples)]) * 1000:.0f} ms)"
        )


if __name__ == "__main__":
    main()
