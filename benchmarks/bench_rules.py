"""Time the API's request check (web/api/rules.py) on its own: what checking a request against the OpenAPI
document adds to each API answer, for a typical search, a type-ahead, and enrichment bodies of 200 to 40,000 genes.

    python benchmarks/bench_rules.py [--runs 200]

No corpus is read: the check runs before a route, on the document alone.
"""

from __future__ import annotations

import argparse
import statistics
import time

from flask import Flask, request

from dashboard.web.api.requests import PREFIX
from dashboard.web.api.rules import Rules
from dashboard.web.openapi import openapi_document

GETS = {
    "search": f"{PREFIX}/search?q=receptors&limit=20&organisms=Homo%20sapiens&years=2000-2020&match=any&exact=0",
    "genes": f"{PREFIX}/genes?q=TP5&limit=20",
    "network": f"{PREFIX}/network?genes=TP53,AKT1&colour=organism&labels=all&budget=500&terms=1",
}


def median_ms(check, runs: int) -> str:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        check()
        seconds.append(time.perf_counter() - started)
    return f"median {statistics.median(seconds) * 1000:.3f} ms, max {max(seconds) * 1000:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    rules, app = Rules(openapi_document(PREFIX, "bench")), Flask(__name__)
    for name, url in GETS.items():
        with app.test_request_context(url):
            path = url.split("?")[0]
            timed = median_ms(lambda path=path: rules.check(path, "GET", request.args, lambda: None), args.runs)
            print(f"GET {name}: {timed}")
    for size in (200, 2_000, 40_000):
        body = {"genes": [f"GENE{i}" for i in range(size)], "background": [str(i) for i in range(size)]}
        with app.test_request_context(f"{PREFIX}/enrich", method="POST"):

            def check(body: dict = body) -> None:
                rules.check(f"{PREFIX}/enrich", "POST", request.args, lambda: body)

            runs = max(5, args.runs // (size // 200))
            print(f"POST enrich, {size:,} genes and a {size:,}-gene background: {median_ms(check, runs)}")


if __name__ == "__main__":
    main()
