"""The serving benchmark: import cost, warm start, and every interaction and API route at its p50/p95, on a bundle
(or sources with a warm cache) that is already built.

    pip install -e ".[bench]"
    pfocr-dashboard build /tmp/pfocr-bench/corpus-110000 --out /tmp/pfocr-bench/bundle-110000
    python benchmarks/bench_serve.py /tmp/pfocr-bench/bundle-110000 [--starts 5] [--reps 30]

It prints, for the data given:
- import: seconds to import the web floor (`dashboard.web.app`) in a fresh interpreter, median of `--starts`;
- warm start: gunicorn (one worker, as bench.py starts it) until the first page answers 200, median of `--starts`;
  then the Procfile's gunicorn (--preload, two workers) until its workers, forked from the loaded master, serve
  the first page;
- every interaction as a browser makes it: the callback that turns the event into the view state, then every
  server callback the changed properties trigger (found in `/_dash-dependencies`, with the page's values taken
  from `/_dash-layout` and kept up to date from each response), including the table's rows that the grid asks
  for when the selection changes; times summed over the chain (the browser runs some of them in parallel) and
  the slowest single callback;
- the API routes a client calls (gene type-ahead, a gene's figures, a figure's record, search, chemicals,
  enrichment of 200 genes);
- with `--callbacks`, each server callback's p50/p95 within each interaction (what to make faster first).
Each version's cache entry is made whole first (tables, text index and corpus map), so that no ingest or map build
runs while anything is measured.
Timings are round trips on loopback to the one worker, one at a time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench import DashClient, Server, _p95, code_root, free_port  # noqa: E402 - the benchmark beside this script
from bench_boot import status_of  # noqa: E402

TABLE_REQUEST = {"startRow": 0, "endRow": 50, "sortModel": [], "filterModel": {}}
TABLE_ROWS = "figure-table.getRowsRequest"
SELECTION = "view-selection.data"


# The browser's copies of the selection (`selectionFor*` in assets/clientside.js): whether each passes it on, from its
# inputs' and states' values and the properties that changed.
GATES = {
    "selectionForTimeline": lambda values, changed: values[1] == "timeline" or "pattern-tabs.value" in changed,
    "selectionForCooccurrence": lambda values, changed: values[1] == "cooccurrence" or "pattern-tabs.value" in changed,
    "selectionForMap": lambda values, _changed: values[1] == "map",
    "selectionForHits": lambda values, _changed: any(isinstance(v, dict) and v.get("text") for v in values),
    "selectionForEnrichment": lambda values, _changed: bool(values[1]),
}


def _key(entry: dict) -> str:
    return f"{entry['id']}.{entry['property'].split('@')[0]}"


class Page:
    """What a browser holds of the app: every component property, and the server callbacks the changes fire."""

    def __init__(self, port: int, lean: bool = False):
        self.client = DashClient(port)
        self.values: dict[str, object] = {}
        self._walk(self.client._get_json("/_dash-layout"))
        self.callbacks = [d for d in self.client.dependencies if not d.get("clientside_function")]
        self.gates = [
            d for d in self.client.dependencies if (d.get("clientside_function") or {}).get("function_name") in GATES
        ]
        # Lean (the load test): responses that feed no other callback (figures, panels) are received, not parsed.
        needed = {_key(e) for spec in self.callbacks for e in [*spec["inputs"], *spec.get("state", [])]}
        self.lean = lean
        self.timings: list[float] = []  # every callback's seconds
        self.calls: list[tuple[str, float]] = []  # (the callback's outputs, seconds) of the last interaction
        self.parsed = {spec["output"] for spec in self.callbacks if {_key(e) for e in self._entries(spec)} & needed}

    def _walk(self, node: object) -> None:
        if isinstance(node, list):
            for child in node:
                self._walk(child)
        elif isinstance(node, dict) and "props" in node:
            props = node["props"]
            if isinstance(props.get("id"), str):
                for prop, value in props.items():
                    if prop not in ("id", "children"):
                        self.values[f"{props['id']}.{prop}"] = value
            self._walk(props.get("children"))
            for value in props.values():
                if isinstance(value, dict) and "props" in value:
                    self._walk(value)

    @staticmethod
    def _entries(spec: dict) -> list[dict]:
        output = spec["output"]
        parts = output[2:-2].split("...") if output.startswith("..") else [output]
        return [dict(zip(("id", "property"), part.split(".", 1), strict=True)) for part in parts]

    def _item(self, entry: dict):
        if entry["id"].startswith("{"):
            return []  # pattern-matched components (chips, list items): none are counted as present
        return {"id": entry["id"], "property": entry["property"], "value": self.values.get(_key(entry))}

    def fire(self, spec: dict, changed: list[str]) -> tuple[set[str], float]:
        """Run one callback as the renderer does; the properties it changed and its seconds."""
        outputs = self._entries(spec)
        payload = {
            "output": spec["output"],
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [self._item(e) for e in spec["inputs"]],
            "state": [self._item(e) for e in spec.get("state", [])],
            "changedPropIds": changed,
        }
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Accept-Encoding": "br, gzip"}
        connection = self.client.connection
        started = time.perf_counter()
        connection.request("POST", "/_dash-update-component", body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        seconds = time.perf_counter() - started
        self.timings.append(seconds)
        self.calls.append((spec["output"], seconds))
        if response.status == 204:
            return set(), seconds
        if response.status != 200:
            raise RuntimeError(f"{spec['output'][:60]}: HTTP {response.status}: {raw[:200]!r}")
        if self.lean and spec["output"] not in self.parsed:
            return set(), seconds
        found = DashClient._decode(raw, response.getheader("Content-Encoding"))
        changed_now = set()
        for component, props in found.items():
            for prop, value in props.items():
                key = f"{component}.{prop}"
                if self.values.get(key) != value:
                    changed_now.add(key)
                self.values[key] = value
        return changed_now, seconds

    def triggered_by(self, keys: set[str]) -> list[tuple[dict, list[str]]]:
        found = []
        for spec in self.callbacks:
            hits = [k for k in (_key(e) for e in spec["inputs"]) if k in keys]
            if hits:
                found.append((spec, hits))
        return found

    def pass_gates(self, changed: set[str]) -> set[str]:
        """The browser's copies of the selection that the changes make (as its clientside callbacks do)."""
        made = set()
        for gate in self.gates:
            entries = [*gate["inputs"], *gate.get("state", [])]
            if not changed & {_key(e) for e in gate["inputs"]}:
                continue
            if GATES[gate["clientside_function"]["function_name"]](
                [self.values.get(_key(e)) for e in entries], changed
            ):
                self.values[gate["output"]] = self.values.get(SELECTION)
                made.add(gate["output"])
        return made

    def interact(self, changes: dict[str, object]) -> tuple[float, float, int]:
        """Set properties as the user's event does and run every server callback that follows: (seconds summed
        over the chain, the slowest callback's seconds, callbacks run)."""
        self.values.update(changes)
        self.calls = []
        pending, done = set(changes), set()
        total = slowest = 0.0
        count = 0
        for _ in range(4):  # the chain's depth
            pending |= self.pass_gates(pending)
            fired = [(s, hits) for s, hits in self.triggered_by(pending) if s["output"] not in done]
            if SELECTION in pending:  # the grid, emptied by the clientside refreshTable, asks for its rows
                self.values[TABLE_ROWS] = dict(TABLE_REQUEST)
                fired += [(s, [TABLE_ROWS]) for s, _ in self.triggered_by({TABLE_ROWS})]
            if not fired:
                break
            pending = set()
            for spec, hits in fired:
                done.add(spec["output"])
                changed, seconds = self.fire(spec, hits)
                pending |= changed
                total += seconds
                slowest = max(slowest, seconds)
                count += 1
        return total, slowest, count


def sample(data: Path, corpus=None, cache_dir: Path | None = None) -> dict:
    """Genes, figures, organisms, years, chemicals, search words and 200-gene lists to click through (from the
    corpus given, else the data loaded here)."""
    from dashboard.analysis.model import Corpus
    from dashboard.analysis.terms import term_index
    from dashboard.corpus.bundle import load_data

    if corpus is None:
        tables, _ = load_data((str(data),), cache_dir=cache_dir or Path(tempfile.gettempdir()) / "pfocr-bench-cache")
        corpus = Corpus(tables)
    rng = random.Random(7)
    genes = corpus.genes.sort_values("n_figures", ascending=False)["gene_id"].tolist()
    picked = genes[:20] + rng.sample(genes[20:2000], 20) + rng.sample(genes[2000:], 20)
    human = corpus.genes[(corpus.genes["organism"] == "Homo sapiens") & (corpus.genes["n_figures"] > 0)]
    weights = human["n_figures"].to_numpy() ** 0.5
    symbols = human["symbol"].astype(str).tolist()
    chemicals = term_index(corpus, "chemicals")
    popular = chemicals.keys[chemicals.counts.argsort()[::-1][:40]].tolist()
    titles = corpus.figures["title"].dropna().astype(str).tolist()
    words = [w for t in rng.sample(titles, min(200, len(titles))) for w in t.split() if len(w) > 4 and w.isalpha()]
    return {
        "genes": picked,
        "figures": rng.sample(corpus.figure_index.tolist(), min(60, corpus.n_figures)),
        "organisms": list(corpus.organism_counts)[:12],
        "years": corpus.year_span,
        "chemicals": popular,
        "words": sorted(set(words)),
        "prefixes": [s[:n] for s in rng.sample([s for s in corpus.symbols if s], 30) for n in (1, 2, 3)],
        "gene_lists": [
            "\n".join(list(dict.fromkeys(rng.choices(symbols, weights=weights, k=600)))[:200]) for _ in range(5)
        ],
    }


INTERACTIONS = (
    "gene click",
    "gene type-ahead",
    "organism change",
    "year change",
    "figure click",
    "back to the default view",
    "enrichment, 200 genes",
    "text search",
    "chemical filter",
)


def step(page: Page, info: dict, rng: random.Random, name: str) -> tuple[float, float, int]:
    """One interaction of the user: (seconds over its chain, the slowest callback's seconds, callbacks run)."""
    if name == "gene click":
        gene = rng.choice(info["genes"])
        return page.interact({"network-graph.clickData": {"points": [{"customdata": f"gene:{gene}"}]}})
    if name == "gene type-ahead":
        return page.interact({"gene-search.search_value": rng.choice(info["prefixes"])})
    if name == "organism change":
        return page.interact({"filter-organism.value": [rng.choice(info["organisms"])]})
    if name == "year change":
        low = rng.randint(info["years"][0], info["years"][1] - 5)
        return page.interact({"filter-year.value": [low, low + rng.randint(1, 5)]})
    if name == "figure click":
        figid = rng.choice(info["figures"])
        return page.interact({"network-graph.clickData": {"points": [{"customdata": f"figure:{figid}"}]}})
    if name == "back to the default view":
        # A link without parameters; the URL is then put back to its empty form, which changes nothing.
        found = page.interact({"url.search": "?"})
        page.interact({"url.search": ""})
        return found
    if name == "enrichment, 200 genes":
        page.values["enrich-genes.value"] = rng.choice(info["gene_lists"])
        clicks = page.values.get("enrich-run.n_clicks") or 0
        found = page.interact({"enrich-run.n_clicks": clicks + 1})
        # Measured alone: a list once run is run again on every later selection change, as in the page.
        page.values["enrich-query.data"] = None
        return found
    if name == "text search":
        return page.interact({"text-search.value": " ".join(rng.sample(info["words"], rng.choice((1, 1, 2))))})
    if name == "chemical filter":
        return page.interact({"text-search.value": "", "filter-chemicals.value": [rng.choice(info["chemicals"])]})
    raise ValueError(name)


def interactions(
    page: Page, info: dict, reps: int, seed: int, calls: dict[tuple[str, str], list[float]] | None = None
) -> dict[str, list[tuple[float, float]]]:
    """Each interaction `reps` times, in the order of INTERACTIONS (the enrichment over the whole corpus, after
    the default view): (chain seconds, slowest callback seconds). Each callback's seconds by (interaction, its
    outputs) are added to `calls` if given."""
    rng = random.Random(seed)
    timings: dict[str, list[tuple[float, float]]] = {}
    page.interact({"url.search": ""})
    for _ in range(reps):
        for name in INTERACTIONS:
            total, slowest, _ = step(page, info, rng, name)
            timings.setdefault(name, []).append((total, slowest))
            if calls is not None:
                for output, seconds in page.calls:
                    calls.setdefault((name, output), []).append(seconds)
    return timings


def api_calls(port: int, info: dict, reps: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    timings: dict[str, list[float]] = {}

    def call(name: str, method: str, path: str, body: dict | None = None) -> None:
        headers = {"Accept-Encoding": "gzip"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        response.read()
        timings.setdefault(name, []).append(time.perf_counter() - started)
        if response.status not in (200, 404):
            raise RuntimeError(f"{path}: HTTP {response.status}")

    quote = urllib.parse.quote
    for rep in range(reps):
        call("GET /genes?q=", "GET", f"/api/v1/genes?q={quote(rng.choice(info['prefixes']))}")
        call("GET /genes/<id>/figures", "GET", f"/api/v1/genes/{rng.choice(info['genes'])}/figures")
        call("GET /figures/<figid>", "GET", f"/api/v1/figures/{quote(rng.choice(info['figures']))}")
        call("GET /search?q=", "GET", f"/api/v1/search?q={quote(rng.choice(info['words']))}")
        call("GET /chemicals?q=", "GET", f"/api/v1/chemicals?q={quote(rng.choice(info['words'])[:3])}")
        genes = info["gene_lists"][rep % len(info["gene_lists"])].split("\n")
        call("POST /enrich, 200 genes", "POST", "/api/v1/enrich", {"genes": genes})
    return timings


def import_seconds(code: Path, ipython: bool = True) -> float:
    """Seconds to import the web floor in a fresh interpreter; without IPython (not a dependency of ours, but
    Dash imports it when it is installed, as it is where the tests run) if asked."""
    hide = "" if ipython else "import sys; sys.modules['IPython'] = None; "
    script = hide + "import time; t = time.perf_counter(); import dashboard.web.app; print(time.perf_counter() - t)"
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=code)
    return float(found.stdout)


def procfile_command() -> str:
    return (ROOT / "Procfile").read_text().strip().removeprefix("web:").strip()


def start_procfile(data: Path, cache: Path, port: int, workers: int = 2, code: Path | None = None) -> subprocess.Popen:
    """gunicorn exactly as the Procfile starts it, in its own process group."""
    env = {**os.environ, "PORT": str(port), "PFOCR_DATA": str(data), "PFOCR_CACHE_DIR": str(cache)}
    command = procfile_command().replace("$PORT", str(port)).replace("${WEB_CONCURRENCY:-2}", str(workers))
    return subprocess.Popen(
        shlex.split(command),
        cwd=code or code_root(),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group; SIGKILL if it is still running after 60 s (gunicorn 26 and 27 could
    wait out their graceful timeout, twice, when told to stop as they replaced their workers)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        print("(the server was still running 60 s after SIGTERM: killed)", file=sys.stderr)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)


def wait_page(port: int, timeout: float = 600) -> None:
    """Until the page itself (not the loading page) answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/")
            response = connection.getresponse()
            if response.status == 200:
                return
            if response.status == 500:  # the data cannot be served (a bundle of another version, …)
                raise RuntimeError(f"the server cannot serve the data: {response.read()[:300]!r}")
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError("the server did not serve its page")


def procfile_boot(data: Path, cache: Path, code: Path) -> float:
    """The Procfile's gunicorn on the data: seconds until a worker forked from the loaded master serves the page."""
    port = free_port()
    started = time.perf_counter()
    process = start_procfile(data, cache, port, code=code)
    try:
        wait_page(port)
        return time.perf_counter() - started
    finally:
        stop(process)


def prepare(data: Path, cache: Path, versions: list[Path], timeout: float = 900) -> None:
    """Each version's cache entry made whole before anything is measured: its tables and text index, then the
    corpus map its server has built by a process of its own (which would otherwise share the cores with the
    measurements)."""
    for version in versions:
        server = Server(data, cache, code=version)
        try:
            server.wait_for("/", timeout)
            deadline = time.monotonic() + timeout
            while status_of(server.port, "/api/v1/map") == 503 and time.monotonic() < deadline:
                time.sleep(2)
        finally:
            server.stop()


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} / {_p95(values) * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "pfocr-bench-cache")
    parser.add_argument(
        "--versions",
        type=Path,
        nargs="+",
        help="folders each holding a `dashboard` package (e.g. `git worktree`s of two commits), measured side by "
        "side: starts alternate, and every interaction is made on each in turn (default: the one imported here)",
    )
    parser.add_argument("--skip-starts", action="store_true", help="measure the interactions only")
    parser.add_argument("--callbacks", action="store_true", help="also print each callback's times per interaction")
    args = parser.parse_args()
    versions = [v.resolve() for v in args.versions] if args.versions else [code_root()]
    args.data = args.data.resolve()
    cache = args.cache_dir
    names = [v.name for v in versions]
    print(f"### {args.data.name}: {', '.join(names)}\n")
    prepare(args.data, cache, versions)
    if not args.skip_starts:
        found: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.starts):
            for version in versions:
                found.setdefault(("import the web floor", version.name), []).append(import_seconds(version))
                found.setdefault(("the same without IPython installed", version.name), []).append(
                    import_seconds(version, ipython=False)
                )
                server = Server(args.data, cache, code=version)
                try:
                    warm = server.wait_for("/")
                finally:
                    server.stop()
                found.setdefault(("warm start to first page, one worker", version.name), []).append(warm)
                boot = procfile_boot(args.data, cache, version)
                found.setdefault(("Procfile boot to first page (--preload, 2 workers)", version.name), []).append(boot)
        print(f"| start, median of {args.starts} (min–max) | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for what in dict.fromkeys(key[0] for key in found):
            cells = [found[what, n] for n in names]
            print(
                f"| {what} | "
                + " | ".join(f"{statistics.median(v):.2f} ({min(v):.2f}–{max(v):.2f}) s" for v in cells)
                + " |"
            )
        print()
    info = sample(args.data, cache_dir=cache)
    servers = [Server(args.data, cache, code=version) for version in versions]
    try:
        pages = []
        for server in servers:
            server.wait_for("/")
            pages.append(Page(server.port))
        for page in pages:
            interactions(page, info, 2, seed=99)  # unmeasured: first uses build what is built lazily
        timings: list[dict[str, list[tuple[float, float]]]] = [{} for _ in versions]
        calls: list[dict[tuple[str, str], list[float]]] = [{} for _ in versions]
        api: list[dict[str, list[float]]] = [{} for _ in versions]
        for rep in range(args.reps):  # the same interactions on each version in turn
            for number, page in enumerate(pages):
                for name, pairs in interactions(page, info, 1, seed=rep, calls=calls[number]).items():
                    timings[number].setdefault(name, []).extend(pairs)
                for name, values in api_calls(servers[number].port, info, 1, seed=rep).items():
                    api[number].setdefault(name, []).extend(values)
        peaks = [server.peak_rss for server in servers]
    finally:
        for server in servers:
            server.stop()
    print(
        "| interaction (all its callbacks), p50 / p95 ms (slowest callback p95) | "
        + " | ".join(names)
        + (" | p95 ratio |" if len(names) == 2 else " |")
    )
    print("|---|" + "---|" * (len(names) + (len(names) == 2)))
    for name in timings[0]:
        cells = []
        for found_ in timings:
            total, slowest = [p[0] for p in found_[name]], [p[1] for p in found_[name]]
            cells.append(f"{ms(total)} ({_p95(slowest) * 1000:.0f})")
        ratio = ""
        if len(names) == 2:
            ratio = f" | {_p95([p[0] for p in timings[1][name]]) / _p95([p[0] for p in timings[0][name]]):.2f}"
        print(f"| {name} | " + " | ".join(cells) + ratio + " |")
    print()
    print("| API route, p50 / p95 ms | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for name in api[0]:
        print(f"| {name} | " + " | ".join(ms(found_[name]) for found_ in api) + " |")
    if args.callbacks:
        print("\n| interaction: callback outputs, p50 / p95 ms (times run) | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for key in sorted(calls[0], key=lambda k: (INTERACTIONS.index(k[0]), -statistics.median(calls[0][k]))):
            cells = [f"{ms(found_[key])} ({len(found_[key])})" if key in found_ else "" for found_ in calls]
            print(f"| {key[0]}: {key[1][:70]} | " + " | ".join(cells) + " |")
    peak_text = ", ".join(f"{n} {p / 2**20:,.0f} MiB" for n, p in zip(names, peaks, strict=True))
    print(f"\npeak RSS of the serving process: {peak_text}")


if __name__ == "__main__":
    main()
