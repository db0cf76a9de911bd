"""Server time of a gene-list enrichment: N-gene queries against every figure of a corpus (median of several).

    python benchmarks/bench_enrich.py /tmp/pfocr-bench/pfocr-110000 [--genes 200] [--runs 15]

Timed twice: the analysis function keeping every result (as the TSV export does), and the whole
`POST /api/v1/enrich` request through the app's Flask server (JSON in and out, 500 results returned).
Then a mouse list through orthologs: N mouse symbols drawn from the shipped ortholog table, the list's species
inferred and each entry mapped to human (`map_gene_list`), and the whole request with `"orthologs": true`. A
corpus made by make_corpus.py has no real NCBI ids, so there the mapped genes are few: the enrichment of N corpus
genes above is what a real list adds to the mapping.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from dashboard.analysis.enrich import enrich
from dashboard.analysis.model import Corpus
from dashboard.analysis.orthologs import map_gene_list
from dashboard.config import Settings
from dashboard.corpus.cache import load_corpus
from dashboard.corpus.orthologs import ortholog_table
from dashboard.web.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path)
    parser.add_argument("--genes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "pfocr-bench-cache")
    args = parser.parse_args()
    corpus = Corpus(load_corpus([args.data], cache_dir=args.cache_dir))
    client = create_app(Settings(data=(str(args.data),)), corpus=corpus).server.test_client()
    rng = random.Random(1)
    # Queries drawn like real gene lists: mostly genes that appear in figures, weighted by how often they do.
    genes = corpus.genes[corpus.genes["n_figures"] > 0]
    weights = genes["n_figures"].to_numpy() ** 0.5
    symbols = genes["gene_id"].astype(str).tolist()
    analysis, request = [], []
    for _ in range(args.runs):
        query = list(dict.fromkeys(rng.choices(symbols, weights=weights, k=args.genes * 2)))[: args.genes]
        started = time.perf_counter()
        result = enrich(corpus, query)
        analysis.append(time.perf_counter() - started)
        started = time.perf_counter()
        response = client.post("/api/v1/enrich", json={"genes": query})
        request.append(time.perf_counter() - started)
        assert response.status_code == 200
    print(f"{corpus.n_figures:,} figures, {args.genes}-gene queries, {result.tested:,} figure gene sets tested")
    label = "enrich(), every result kept (as the TSV export)"
    print(f"{label}: median {statistics.median(analysis) * 1000:.0f} ms, max {max(analysis) * 1000:.0f} ms")
    print(f"POST /api/v1/enrich: {summary(request)}")
    table = ortholog_table()
    mouse = [gene.symbol for gene in table.genes_of("Mus musculus")]
    mapping, mapped_request = [], []
    for _ in range(args.runs):
        query = rng.sample(mouse, args.genes)
        started = time.perf_counter()
        mapped = map_gene_list(corpus, query, "Homo sapiens")
        mapping.append(time.perf_counter() - started)
        started = time.perf_counter()
        response = client.post("/api/v1/enrich", json={"genes": query, "orthologs": True})
        mapped_request.append(time.perf_counter() - started)
        assert response.status_code == 200 and mapped.list_species == "Mus musculus"
    print(f"{args.genes} mouse symbols mapped to human (map_gene_list): {summary(mapping)}")
    print(f"POST /api/v1/enrich with orthologs: {summary(mapped_request)}")


def summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"median {statistics.median(seconds) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
