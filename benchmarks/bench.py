"""The full-scale benchmark: ingest, start-up, memory and the server time of every interaction.

    pip install -e ".[bench]"
    python benchmarks/bench.py --sizes 10000 30000 110000 [--corpus-dir /tmp/pfocr-bench] [--reps 40]

For each corpus size (made with make_corpus.py if missing) it prints one table:
- cold ingest: gunicorn started on the files with an empty cache, until /healthz answers, and the peak of the
  summed RSS of all its processes meanwhile (master, worker, the ingest child and its parsing workers);
- warm start: gunicorn started again on the cache, until the first page is served;
- peak resident memory of the one serving process; then, started as the Procfile starts it (--preload, two
  workers), the resident and proportional (PSS: shared pages split between processes) memory of them all;
- p50/p95 server time of each interaction, through Dash's real callback endpoint (/_dash-update-component) on the
  running app, the sum of the callbacks the browser fires for it, and the bytes sent per network update
  (compressed, as a browser asks for it);
- the loader's throughput against python-frontmatter's on the same record files, as a ratio.
Timings are round trips on loopback (a millisecond of HTTP included); medians where it says p50.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import make_corpus  # noqa: E402 - the generator beside this script

ALL_PATTERN = "{"


def code_root() -> Path:
    """The folder holding the `dashboard` package this interpreter imports (PYTHONPATH may point at another
    checkout than this one): the servers start there, so that they run the same code."""
    return Path(importlib.util.find_spec("dashboard").origin).parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving the dashboard in its own process group, with its memory sampled while it runs."""

    def __init__(self, data: Path, cache: Path, workers: int = 1, preload: bool = False, code: Path | None = None):
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "dashboard.web.wsgi:server",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "600",
        ] + (["--preload"] if preload else [])
        env = {**os.environ, "PFOCR_DATA": str(data), "PFOCR_CACHE_DIR": str(cache)}
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            cwd=code or code_root(),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.peak_rss = 0  # the largest process but the master (the master when it has none)
        self.peak_all_rss = 0  # all processes summed: master, workers, an ingest child and its parsing workers
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def processes(self) -> list[psutil.Process]:
        try:
            master = psutil.Process(self.process.pid)
            return [master, *master.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _sample(self) -> None:
        while not self._stop.is_set():
            processes = self.processes()
            sizes = {}
            for proc in processes:
                with contextlib.suppress(psutil.NoSuchProcess):
                    sizes[proc.pid] = proc.memory_info().rss
            children = [sizes[proc.pid] for proc in processes[1:] if proc.pid in sizes]
            self.peak_rss = max(self.peak_rss, *(children or sizes.values() or [0]))
            self.peak_all_rss = max(self.peak_all_rss, sum(sizes.values()))
            time.sleep(0.1)

    def wait_for(self, path: str, timeout: float = 900) -> float:
        """Seconds from the start of the process until `path` answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path)
                response = connection.getresponse()
                if response.status == 200:
                    return time.perf_counter() - self.started
                if response.status == 500:  # the data cannot be served (a bundle of another version, …)
                    raise RuntimeError(f"{path}: {response.read()[:300]!r}")
                response.read()
            except OSError:
                pass
            # Every 50 ms: asked again at once, the loading page competed with the load it waits for.
            time.sleep(0.05)
        raise TimeoutError(path)

    def memory(self) -> tuple[int, int]:
        """(sum of RSS, sum of PSS) of every process of the server."""
        rss = pss = 0
        for proc in self.processes():
            info = proc.memory_full_info()
            rss += info.rss
            pss += info.pss
        return rss, pss

    def stop(self) -> None:
        self._stop.set()
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


class DashClient:
    """Calls the app's callbacks through /_dash-update-component, as the browser's renderer does."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.dependencies = self._get_json("/_dash-dependencies")

    def _get_json(self, path: str):
        self.connection.request("GET", path)
        return json.loads(self.connection.getresponse().read())

    def spec(self, first_output: str) -> dict:
        return next(d for d in self.dependencies if d["output"].lstrip(".").startswith(first_output))

    def call(self, first_output: str, values: dict, changed: str) -> tuple[dict, float, int]:
        """Run one callback: (its response, seconds, bytes on the wire)."""
        spec = self.spec(first_output)
        output = spec["output"]
        parts = output[2:-2].split("...") if output.startswith("..") else [output]
        outputs = [dict(zip(("id", "property"), part.split(".", 1), strict=True)) for part in parts]

        def item(entry):
            if entry["id"].startswith(ALL_PATTERN):
                return []
            key = f"{entry['id']}.{entry['property']}"
            return {"id": entry["id"], "property": entry["property"], "value": values.get(key)}

        payload = {
            "output": output,
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [item(entry) for entry in spec["inputs"]],
            "state": [item(entry) for entry in spec.get("state", [])],
            "changedPropIds": [changed],
        }
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Accept-Encoding": "br, gzip"}
        started = time.perf_counter()
        self.connection.request("POST", "/_dash-update-component", body=body, headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        seconds = time.perf_counter() - started
        if response.status == 204:
            return {}, seconds, len(raw)
        if response.status != 200:
            raise RuntimeError(f"{first_output}: HTTP {response.status}")
        return self._decode(raw, response.getheader("Content-Encoding")), seconds, len(raw)

    @staticmethod
    def _decode(raw: bytes, encoding: str | None) -> dict:
        if encoding == "br":
            import brotli

            raw = brotli.decompress(raw)
        elif encoding == "gzip":
            import gzip

            raw = gzip.decompress(raw)
        return json.loads(raw)["response"]


def interactions(
    client: DashClient, corpus_info: dict, reps: int, seed: int, timings: dict[str, list[float]] | None = None
) -> dict[str, dict]:
    """Each interaction `reps` times: the state callback, then every callback the new state triggers. Raw
    seconds are added to `timings` when one is given."""
    rng = random.Random(seed)
    timings = {} if timings is None else timings
    network_bytes: list[int] = []
    state = None

    def sync(values: dict, changed: str) -> tuple[dict, float]:
        nonlocal state
        response, seconds, _ = client.call("url.search", {"view-state.data": state, **values}, changed)
        new_state = response["view-state"]["data"]
        selection = response.get("view-selection", {}).get("data")
        state = new_state
        return selection, seconds

    def downstream(selection: dict | None, full_state: dict) -> float:
        total = 0.0
        if selection is not None:
            _, seconds, size = client.call(
                "network-graph.figure", {"view-selection.data": selection}, "view-selection.data"
            )
            network_bytes.append(size)
            total += seconds
            total += client.call("filter-organism.options", {"view-selection.data": selection}, "view-selection.data")[
                1
            ]
            request = {"startRow": 0, "endRow": 15, "sortModel": [], "filterModel": {}}
            total += client.call(
                "figure-table.getRowsResponse",
                {"figure-table.getRowsRequest": request, "view-selection.data": selection},
                "figure-table.getRowsRequest",
            )[1]
        total += client.call("detail-panel.children", {"view-state.data": full_state}, "view-state.data")[1]
        return total

    def record(name: str, seconds: float) -> None:
        timings.setdefault(name, []).append(seconds)

    genes, figures, organisms = corpus_info["genes"], corpus_info["figures"], corpus_info["organisms"]
    selection, seconds = sync({"url.search": ""}, "url.search")
    downstream(selection, state)
    for _ in range(reps):
        gene = rng.choice(genes)
        selection, seconds = sync(
            {"network-graph.clickData": {"points": [{"customdata": f"gene:{gene}"}]}}, "network-graph.clickData"
        )
        record("gene click", seconds + downstream(selection, state))

        prefix = rng.choice(corpus_info["prefixes"])
        record(
            "gene search type-ahead",
            client.call("gene-search.options@", {"gene-search.search_value": prefix}, "gene-search.search_value")[1],
        )

        chosen = rng.sample(organisms, k=1)
        values = _controls(state, organisms=chosen)
        selection, seconds = sync(values, "filter-organism.value")
        record("organism change", seconds + downstream(selection, state))

        low = rng.randint(corpus_info["years"][0], corpus_info["years"][1] - 5)
        values = _controls(state, years=[low, low + rng.randint(1, 5)])
        selection, seconds = sync(values, "filter-year.value")
        record("year change", seconds + downstream(selection, state))

        figid = rng.choice(figures)
        selection, seconds = sync(
            {"network-graph.clickData": {"points": [{"customdata": f"figure:{figid}"}]}}, "network-graph.clickData"
        )
        record("figure click", seconds + downstream(selection, state))

        selection, seconds = sync({"url.search": ""}, "url.search")
        record("back to the default view", seconds + downstream(selection, state))
    return {
        name: {"p50": statistics.median(values), "p95": _p95(values), "n": len(values)}
        for name, values in timings.items()
    } | {"_network_bytes": {"p50": statistics.median(network_bytes), "p95": _p95(network_bytes)}}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _controls(state: dict, organisms: list[str] | None = None, years: list[int] | None = None) -> dict:
    """The control values the page shows for a state, with one of them changed."""
    return {
        "gene-search.value": [str(g) for g in state["genes"]],
        "match-mode.value": state["match"],
        "filter-organism.value": organisms if organisms is not None else state["organisms"],
        "filter-year.value": years if years is not None else state["years"],
        "exact-switch.value": ["exact"] if state["exact"] else [],
        "node-budget.value": state["budget"],
    }


def corpus_sample(data: Path, cache: Path) -> dict:
    """Genes (popular and rare), figures, organisms and type-ahead prefixes to click through."""
    from dashboard.analysis.model import Corpus
    from dashboard.corpus.cache import load_corpus

    corpus = Corpus(load_corpus([data], cache_dir=cache))
    rng = random.Random(7)
    genes = corpus.genes.sort_values("n_figures", ascending=False)["gene_id"].tolist()
    picked = genes[:20] + rng.sample(genes[20:2000], 20) + rng.sample(genes[2000:], 20)
    symbols = [s for s in corpus.symbols if s]
    return {
        "genes": picked,
        "figures": rng.sample(corpus.figure_index.tolist(), 60),
        "organisms": list(corpus.organism_counts)[:12],
        "years": corpus.year_span,
        "prefixes": [s[:n] for s in rng.sample(symbols, 30) for n in (1, 2, 3)],
    }


def loader_ratio(data: Path, sample: int = 4000, rounds: int = 3) -> tuple[float, float]:
    """Records per second, medians of `rounds` alternating runs: our loader (whole corpus, two processes, side files
    included) and python-frontmatter (one process, front matter only) on the same record files.
    (`benchmarks/bench_ingest.py --rate N` measures the same on N records, each run in a fresh process.)"""
    import frontmatter

    from dashboard.corpus.loader import discover, parse_sources

    sources = discover([data])
    files = sources.records[:sample]
    ours, theirs = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        parse_sources(sources)
        ours.append(len(sources.records) / (time.perf_counter() - started))
        started = time.perf_counter()
        for path in files:
            frontmatter.load(path)
        theirs.append(len(files) / (time.perf_counter() - started))
    return statistics.median(ours), statistics.median(theirs)


def bench_size(size: int, corpus_dir: Path, reps: int) -> dict:
    data = corpus_dir / f"pfocr-{size}"
    if not (data / "_figures").is_dir():
        make_corpus.write_corpus(data, size, seed=1)
    result: dict = {"size": size}
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = Path(cache_dir)
        server = Server(data, cache)
        result["cold"] = server.wait_for("/healthz")
        result["cold_rss"] = server.peak_all_rss
        server.stop()

        server = Server(data, cache)
        result["warm"] = server.wait_for("/")
        info = corpus_sample(data, cache)
        client = DashClient(server.port)
        result["interactions"] = interactions(client, info, reps, seed=size)
        result["rss_one"] = server.peak_rss
        server.stop()

        server = Server(data, cache, workers=2, preload=True)
        server.wait_for("/")
        for _ in range(4):  # both workers serve a few requests
            interactions(DashClient(server.port), info, 2, seed=1)
        result["rss_two"], result["pss_two"] = server.memory()
        server.stop()
    result["ours"], result["frontmatter"] = loader_ratio(data)
    return result


def render(result: dict) -> str:
    mib = 2**20
    lines = [
        f"### {result['size']:,} figures",
        "",
        "| measure | value |",
        "|---|---|",
        f"| cold ingest (files → serving) | {result['cold']:.1f} s |",
        f"| peak RSS of all processes, cold ingest (files → serving) | {result['cold_rss'] / mib:,.0f} MiB |",
        f"| warm start (cache → first page) | {result['warm']:.2f} s |",
        f"| peak RSS, one serving process | {result['rss_one'] / mib:,.0f} MiB |",
        f"| RSS / PSS, gunicorn --preload, 2 workers + master | {result['rss_two'] / mib:,.0f} / "
        f"{result['pss_two'] / mib:,.0f} MiB |",
        f"| loader vs python-frontmatter (records/s) | {result['ours']:,.0f} vs {result['frontmatter']:,.0f} = "
        f"{result['ours'] / result['frontmatter']:.1f}× |",
        "",
        "| interaction (all its callbacks) | p50 ms | p95 ms |",
        "|---|---|---|",
    ]
    for name, stats_ in result["interactions"].items():
        if not name.startswith("_"):
            lines.append(f"| {name} | {stats_['p50'] * 1000:.0f} | {stats_['p95'] * 1000:.0f} |")
    network = result["interactions"]["_network_bytes"]
    lines.append(
        f"| bytes per network update (compressed) | {network['p50'] / 1024:.0f} KiB | {network['p95'] / 1024:.0f} KiB |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 110_000])
    parser.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "pfocr-bench")
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        results.append(bench_size(size, args.corpus_dir, args.reps))
        print(render(results[-1]) + "\n", flush=True)
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = last["size"] / first["size"]
        print(
            f"Growth {first['size']:,} → {last['size']:,} figures (×{growth:.1f}): cold ingest "
            f"×{last['cold'] / first['cold']:.1f}, warm start ×{last['warm'] / first['warm']:.1f}, "
            f"memory ×{last['rss_one'] / first['rss_one']:.1f}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
