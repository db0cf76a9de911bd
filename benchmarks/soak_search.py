"""Soak of the text search: a real served app, random searches from a few threads, each pausing now and then.

    python benchmarks/soak_search.py [--figures 110000] [--seconds 120] [--threads 4] [--seed 1]
    python benchmarks/soak_search.py --data /tmp/pfocr-bench/bundle-110000 --server serve
    git archive HEAD | tar -x -C /tmp/head && python benchmarks/soak_search.py --code /tmp/head   # a commit's code

The server is started as a user starts it — the Procfile's web command run by a shell with PORT set, as a platform
runs it (`--server procfile`, the default), or `pfocr-dashboard serve --data DATA --port PORT` (`--server serve`) —
its output kept in a log file, and the soak waits for /healthz to answer
200 (a first build of the cache entry at 110k takes minutes) and for the corpus map's build to end (so that it does
not share the cores with the soak). Without `--data` the corpus is `--corpus-dir`/corpus-N, made with
make_corpus.py (seed 1) when missing, as the other benchmarks make it; the cache is `--cache-dir`. The server runs
the `dashboard` package of `--code` (first on its PYTHONPATH), by default the one this interpreter imports.

Figure ids, PMCIDs, DOIs, words, caption phrases, gene symbols and organisms are taken from the corpus through the
API (unmeasured). Then for `--seconds` each of `--threads` threads, with its own connection and seeded RNG, sends
bursts of 1–6 requests, each burst followed by a pause of 0–5 s (`--pause`): a server idle for longer than the text
index's 2 s query budget is the case guarded against (a deadline left on a thread's SQLite connection refused every
later query). The Procfile's gunicorn answers on one thread per worker, so the next query after the idle time runs
on a thread that has answered before; `serve`'s server answers each connection on a new thread and so cannot show
that bug. Requests are `GET /api/v1/search` with queries of many kinds — fixed short and long
prefixes (`pmc`, `PMC1000`, `kin*`, `a*`), 2–4 letter prefixes of corpus words, whole words, quoted phrases, ids
alone or with a word, punctuation only, FTS5 syntax as a user might type it, `*`, empty, very long — with random
`organisms=`, `years=`, `genes=` (and `match=`, `include_unstated=`, `limit=`, `offset=`), and now and then the
page's own text search through its Dash callbacks (after `/` is fetched once).

Every status is recorded. A 5xx, a connection error, a status other than 200/400 from the search, or a 200 or 400
whose body is not the documented JSON is a failure: the soak stops, prints the request and the server log's
errors, and exits 1. It prints, per kind of query, the count of each status and the median and p95 latency of
the 200s (round trips on loopback), and the same for requests sent when the whole server had been idle (no request
in flight from any thread) for longer than the budget.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import make_corpus
import psutil
from bench import code_root, free_port
from bench_serve import Page, procfile_command, stop

BUDGET = 2.0  # seconds: the query budget (textindex/connections.py TIME_BUDGET), for the "after … > 2 s" lines
FIXED_PREFIXES = ["pmc", "PMC1", "PMC10", "PMC1000", "sig", "kin*", "a*", "ab"]
PUNCTUATION = ["--", "...", "()", "?!", "“”", "—", "'", '"', '""', ",;:", "\\", "%", "&&", "||", "^", "+", "-", "‑–—"]
STARS = ["*", "**", "* *", " * ", "*a", "a**"]
# FTS5's own syntax, as a user might type it: searched as words or refused, never passed through.
SYNTAX = [
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR(kinase receptor)",
    "kinase OR",
    "NOT pathway",
    "title:kinase",
    "^kin",
    "kinase AND receptor",
    "{figid}",
    "(kinase",
    "pathway)",
    "col:*",
    "'kinase'",
    "kin* OR sig*",
    "a-b-c",
]
EMPTY = ["", " ", "\t", "   "]
# How often each kind of request is made.
MIX = {
    "fixed prefix": 12,
    "word prefix": 14,
    "word": 12,
    "words": 6,
    "phrase": 10,
    "id": 10,
    "id + word": 8,
    "punctuation": 5,
    "fts syntax": 5,
    "star": 3,
    "long": 6,
    "empty": 2,
    "page search": 4,
}


@dataclass
class Sample:
    """What the requests are drawn from, taken from the corpus through the API."""

    words: list[str]
    phrases: list[list[str]]
    ids: list[str]
    genes: list[str]
    organisms: list[str]
    years: tuple[int, int]


@dataclass
class Result:
    """One request and how it went."""

    kind: str
    target: str
    status: int | None  # None: a connection error
    seconds: float
    pause: float  # the thread's pause just before this request
    idle: float  # seconds the whole server had been without a request when this one was sent (0 if one was in flight)
    problem: str = ""  # why it is a failure, if it is one
    error: str = ""  # a 400's reason, as the API words it


def corpus_for(size: int, corpus_dir: Path) -> Path:
    """`corpus_dir`/corpus-N (the name bench_boot.py and bench_ingest.py use), made with make_corpus.py if missing;
    written beside it first and renamed, so that an interrupted run leaves no half corpus under the name."""
    corpus = corpus_dir / f"corpus-{size}"
    if not corpus.exists():
        partial = corpus_dir / f"corpus-{size}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        started = time.perf_counter()
        make_corpus.write_corpus(partial, size, seed=1)
        partial.rename(corpus)
        print(f"made {corpus} in {time.perf_counter() - started:.0f} s", flush=True)
    return corpus


def procfile_web(code: Path) -> str:
    """The web command of the Procfile beside the code run (a platform runs that one), else of this checkout."""
    path = code / "Procfile"
    if not path.exists():
        return procfile_command()
    lines = [line for line in path.read_text().splitlines() if line.startswith("web:")]
    return lines[0].removeprefix("web:").strip()


def start_server(data: Path, cache: Path, port: int, server: str, log: Path, code: Path) -> subprocess.Popen:
    """The server as a user starts it, in its own process group, its output appended to `log`, importing the
    `dashboard` package of `code` (put first on PYTHONPATH, as the tests do, and the working folder): the
    Procfile's web command run by a shell with PORT set, as a platform runs it, or `pfocr-dashboard serve`."""
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
        "PYTHONPATH": os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")]),
    }
    if server == "procfile":
        env |= {"PFOCR_DATA": str(data), "PFOCR_CACHE_DIR": str(cache)}
        command = ["/bin/sh", "-c", "exec " + procfile_web(code)]
    else:
        executable = shutil.which("pfocr-dashboard")
        command = [executable] if executable else [sys.executable, "-m", "dashboard"]
        command += ["serve", "--data", str(data), "--port", str(port), "--cache-dir", str(cache)]
    print(f"server: {shlex.join(command)} (PORT={port}, code: {code}, log: {log})", flush=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=code, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def get(port: int, path: str, timeout: float = 60) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_ready(port: int, server: subprocess.Popen, timeout: float) -> float:
    """Seconds until /healthz answers 200; progress every 30 s."""
    started = time.monotonic()
    said = started
    while time.monotonic() - started < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with status {server.returncode}")
        try:
            status, body = get(port, "/healthz", timeout=10)
        except OSError:
            status, body = None, b""
        if status == 200:
            return time.monotonic() - started
        if time.monotonic() - said >= 30:
            said = time.monotonic()
            print(f"  {said - started:.0f} s: /healthz {status} {body[:160].decode(errors='replace')}", flush=True)
        time.sleep(0.5)
    raise TimeoutError(f"/healthz did not answer 200 within {timeout:.0f} s")


def wait_settled(port: int, server: subprocess.Popen, timeout: float) -> float:
    """Seconds until the corpus map is built (/api/v1/map no longer 503) and the workers forked before the load,
    if any, have retired (at most a minute: the two serving workers, with at most one helper process, remain)."""
    started = time.monotonic()
    while get(port, "/api/v1/map?years=1000-1001")[0] == 503 and time.monotonic() - started < timeout:
        time.sleep(2)
    deadline = time.monotonic() + 60
    while len(psutil.Process(server.pid).children()) > 3 and time.monotonic() < deadline:
        time.sleep(0.5)
    return time.monotonic() - started


def api_json(port: int, path: str) -> dict:
    status, body = get(port, path)
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
    return json.loads(body)


def take_sample(port: int, rng: random.Random) -> Sample:
    """Ids, words, phrases, genes and organisms of the corpus, through the API."""
    stats = api_json(port, "/api/v1/stats")
    figids: list[str] = []
    for word in ("pathway", "kinase", "signalling", "receptor", "apoptosis", "membrane"):
        total = api_json(port, f"/api/v1/search?q={word}&limit=1")["total"]
        offset = rng.randint(0, max(0, min(total - 200, 2_000)))
        found = api_json(port, f"/api/v1/search?q={word}&limit=200&offset={offset}")
        figids += [hit["figid"] for hit in found["figures"]]
    words: set[str] = set()
    phrases: list[list[str]] = []
    ids: set[str] = set()
    genes: set[str] = set()
    for figid in rng.sample(figids, min(40, len(figids))):
        record = api_json(port, f"/api/v1/figures/{urllib.parse.quote(figid)}")
        ids |= {figid, record.get("pmcid") or figid}
        if record.get("doi_url"):
            ids |= {record["doi_url"], record["doi_url"].removeprefix("https://doi.org/")}
        for field in ("title", "caption", "paper_title"):
            tokens = [t.strip(".,;:()'\"") for t in str(record.get(field) or "").split()]
            tokens = [t for t in tokens if any(ch.isalnum() for ch in t)]
            words |= set(tokens)
            if len(tokens) >= 4:
                start = rng.randrange(len(tokens) - 3)
                phrases.append(tokens[start : start + rng.randint(2, 4)])
        for gene in rng.sample(record["genes"], min(5, len(record["genes"]))):
            genes |= {gene["symbol"], str(gene["ncbi_id"])}
    if not words or not ids:
        raise RuntimeError("no figure found for the sample's probe words (pathway, kinase, …)")
    organisms = sorted(stats["organisms"], key=stats["organisms"].get, reverse=True)
    return Sample(
        words=sorted(words),
        phrases=phrases,
        ids=sorted(ids),
        genes=sorted(genes),
        organisms=organisms[:10] + rng.sample(organisms[10:], min(10, len(organisms[10:]))),
        years=(stats["years"]["min"], stats["years"]["max"]),
    )


def draw_query(kind: str, sample: Sample, rng: random.Random) -> str:
    """A query of this kind."""
    if kind == "fixed prefix":
        return rng.choice(FIXED_PREFIXES)
    if kind in ("word prefix", "page search"):
        word = rng.choice([w for w in sample.words if len(w) >= 2] or ["ab"])
        return word[: rng.randint(2, min(4, len(word)))] + rng.choice(["", "", "*"])
    if kind == "word":
        return rng.choice(sample.words)
    if kind == "words":
        return " ".join(rng.sample(sample.words, rng.randint(2, 4)))
    if kind == "phrase":
        return '"' + " ".join(rng.choice(sample.phrases)) + '"'
    if kind == "id":
        return " ".join(rng.sample(sample.ids, rng.choice((1, 1, 1, 2, 3))))
    if kind == "id + word":
        parts = [rng.choice(sample.ids), rng.choice(sample.words)]
        rng.shuffle(parts)
        return " ".join(parts)
    if kind == "punctuation":
        return " ".join(rng.sample(PUNCTUATION, rng.randint(1, 3)))
    if kind == "fts syntax":
        return rng.choice(SYNTAX).replace("{figid}", "{" + rng.choice(sample.ids) + "}")
    if kind == "star":
        return rng.choice(STARS)
    if kind == "long":
        shape = rng.randrange(4)
        if shape == 0:  # many words of the corpus
            return " ".join(rng.choices(sample.words, k=rng.randint(8, 200)))
        if shape == 1:  # one very long token
            return rng.choice(sample.words)[:1] * rng.randint(100, 3000)
        if shape == 2:  # many prefixes
            return " ".join(w[:2] + "*" for w in rng.choices(sample.words, k=rng.randint(6, 40)))
        return " ".join(rng.choices(sample.ids, k=rng.randint(6, 60)))  # many ids
    if kind == "empty":
        return rng.choice(EMPTY)
    raise ValueError(kind)


def draw_filters(sample: Sample, rng: random.Random) -> dict[str, str]:
    """Random filters of the search request, in the page URL's syntax."""
    params: dict[str, str] = {}
    if rng.random() < 0.25:
        params["organisms"] = ",".join(rng.sample(sample.organisms, rng.choice((1, 1, 2))))
        if rng.random() < 0.3:
            params["include_unstated"] = rng.choice(("1", "0"))
    if rng.random() < 0.25:
        low, high = sample.years
        first = rng.randint(low, high)
        shape = rng.randrange(5)
        if shape == 0:
            params["years"] = str(first)
        elif shape == 1:
            params["years"] = f"{low - 50}-{low - 10}"  # outside the corpus
        else:
            params["years"] = f"{first}-{rng.randint(first, high)}"
    if rng.random() < 0.15:
        params["genes"] = ",".join(rng.sample(sample.genes, rng.randint(1, 3)))
        if rng.random() < 0.3:
            params["match"] = rng.choice(("any", "all"))
    if rng.random() < 0.2:
        params["limit"] = str(rng.randint(1, 200))
    if rng.random() < 0.2:
        params["offset"] = str(rng.randint(0, 500))
    return params


def body_problem(status: int, body: bytes) -> str:
    """Why a search answer's body is not what the API documents ('' if it is)."""
    try:
        found = json.loads(body)
    except ValueError:
        return "the body is not JSON"
    if status == 200 and not (isinstance(found.get("total"), int) and isinstance(found.get("figures"), list)):
        return "a 200 without total and figures"
    if status == 400 and not (found.get("status") == 400 and found.get("error")):
        return "a 400 without error and status"
    return ""


class Soak:
    """The threads, their results, and the first failure (which stops them all)."""

    def __init__(self, port: int, sample: Sample, seconds: float, pause: tuple[float, float]) -> None:
        self.port, self.sample, self.seconds, self.pause = port, sample, seconds, pause
        self.results: list[Result] = []
        self.failures: list[Result] = []
        self.lock = threading.Lock()
        self.failed = threading.Event()
        self.in_flight = 0
        self.last_end = time.monotonic()

    def begin(self) -> float:
        """A request is sent: how long the server had been idle."""
        with self.lock:
            idle = 0.0 if self.in_flight else time.monotonic() - self.last_end
            self.in_flight += 1
            return idle

    def end(self) -> None:
        with self.lock:
            self.in_flight -= 1
            self.last_end = time.monotonic()

    def record(self, result: Result) -> None:
        with self.lock:
            self.results.append(result)
            if result.problem:
                self.failures.append(result)
                self.failed.set()

    def search(self, connection: http.client.HTTPConnection, kind: str, pause: float, rng: random.Random) -> None:
        params = {"q": draw_query(kind, self.sample, rng), **draw_filters(self.sample, rng)}
        target = "/api/v1/search?" + urllib.parse.urlencode(params)
        idle = self.begin()
        started = time.perf_counter()
        try:
            connection.request("GET", target)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            seconds = time.perf_counter() - started
            self.record(Result(kind, target, None, seconds, pause, idle, f"{type(exc).__name__}: {exc}"))
            return
        finally:
            self.end()
        seconds = time.perf_counter() - started
        status = response.status
        if status not in (200, 400):
            problem = f"HTTP {status}: {body[:500].decode(errors='replace')}"
        else:
            problem = body_problem(status, body)
        error = json.loads(body).get("error", "") if status == 400 and not problem else ""
        self.record(Result(kind, target, status, seconds, pause, idle, problem, error))

    def page_search(self, page: Page, pause: float, rng: random.Random) -> None:
        query = draw_query("page search", self.sample, rng)
        target = f"page text search {query!r}"
        idle = self.begin()
        started = time.perf_counter()
        try:
            total, _, _ = page.interact({"text-search.value": query})
        except Exception as exc:  # Page raises RuntimeError on a status other than 200/204, OSError when cut off
            text = f"{type(exc).__name__}: {exc}"
            status = int(text.split("HTTP ")[1][:3]) if "HTTP " in text else None
            self.record(Result("page search", target, status, time.perf_counter() - started, pause, idle, text))
            return
        finally:
            self.end()
        self.record(Result("page search", target, 200, total, pause, idle))

    def open_page(self, pause: float) -> Page | None:
        """The page as a browser opens it (its layout, callbacks and first view); None, recorded, if it fails."""
        try:
            page = Page(self.port, lean=True)
            page.interact({"url.search": ""})
            return page
        except Exception as exc:
            self.record(Result("page search", "opening the page", None, 0, pause, 0, f"{type(exc).__name__}: {exc}"))
            return None

    def user(self, number: int, seed: int) -> None:
        """One thread's requests; an error of the soak itself is a failure too, never a thread quietly gone."""
        try:
            self.requests(number, seed)
        except Exception as exc:
            self.record(Result("soak", f"thread {number}", None, 0, 0, 0, f"{type(exc).__name__}: {exc}"))

    def requests(self, number: int, seed: int) -> None:
        rng = random.Random(seed * 1_000 + number)
        kinds, weights = list(MIX), list(MIX.values())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        page: Page | None = None
        stop_at = time.monotonic() + self.seconds
        pause = 0.0
        while time.monotonic() < stop_at and not self.failed.is_set():
            for _ in range(rng.randint(1, 6)):
                kind = rng.choices(kinds, weights)[0]
                if kind == "page search":
                    if page is None:
                        page = self.open_page(pause)
                        if page is None:
                            return
                    self.page_search(page, pause, rng)
                else:
                    self.search(connection, kind, pause, rng)
                pause = 0.0
                if self.failed.is_set():
                    return
            pause = rng.uniform(*self.pause)
            time.sleep(max(0.0, min(pause, stop_at - time.monotonic())))
        connection.close()

    def run(self, threads: int, seed: int) -> None:
        workers = [threading.Thread(target=self.user, args=(n, seed), daemon=True) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f}" if values else "–"


def p95_ms(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000:.0f}" if ordered else "–"


def report(results: list[Result]) -> None:
    statuses = sorted({r.status for r in results}, key=lambda s: (s is None, s or 0))
    names = [("error" if s is None else str(s)) for s in statuses]
    print(f"| kind | requests | {' | '.join(names)} | 200s median ms | 200s p95 ms |")
    print("|---|---:|" + "---:|" * len(names) + "---:|---:|")
    rows = [(kind, [r for r in results if r.kind == kind]) for kind in ["page /", *MIX, "soak"]]
    rows += [
        ("all", results),
        (f"after the thread paused > {BUDGET:g} s", [r for r in results if r.pause > BUDGET]),
        (f"after the server idled > {BUDGET:g} s", [r for r in results if r.idle > BUDGET]),
    ]
    for kind, picked in rows:
        if not picked:
            continue
        counts = [sum(r.status == s for r in picked) for s in statuses]
        ok = [r.seconds for r in picked if r.status == 200]
        cells = " | ".join(f"{c:,}" for c in counts)
        print(f"| {kind} | {len(picked):,} | {cells} | {median_ms(ok)} | {p95_ms(ok)} |")
    # Numbers and quoted queries taken out of the reasons, so that alike ones count together.
    reasons = Counter(
        (r.kind, re.sub(r"'.*'", "'…'", re.sub(r"\d[\d,]*", "N", r.error))[:80]) for r in results if r.error
    )
    if reasons:
        print("\nWhy the 400s (kind: the API's reason, its start, × count):")
        for (kind, reason), count in sorted(reasons.items(), key=lambda item: (item[0][0], -item[1])):
            print(f"- {kind}: {reason} × {count}")


def server_errors(log: Path, since: int, lines: int = 80) -> str:
    """The server log's lines from its first ERROR or traceback after byte `since`."""
    text = log.read_bytes()[since:].decode(errors="replace").splitlines()
    first = next((i for i, line in enumerate(text) if " ERROR " in line or line.startswith("Traceback")), None)
    return "\n".join(text[first : first + lines]) if first is not None else "(no error in the server log)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="what `serve --data` takes (default: a corpus of --figures)")
    parser.add_argument("--figures", type=int, default=110_000, help="size of the made corpus, without --data")
    parser.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "pfocr-bench")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "pfocr-bench-cache")
    parser.add_argument("--seconds", type=float, default=120, help="how long the soak runs")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pause", type=float, nargs=2, default=(0.0, 5.0), metavar=("MIN", "MAX"))
    parser.add_argument(
        "--server",
        choices=("procfile", "serve"),
        default="procfile",
        help="how the server is started (default: the Procfile, whose workers each answer on one thread, so that a"
        " pause leaves that thread idle; `serve`'s server answers each connection on a new thread)",
    )
    parser.add_argument("--ready-timeout", type=float, default=1_500, help="seconds to wait for /healthz 200")
    parser.add_argument("--log", type=Path, help="the server's log (default: under --corpus-dir)")
    parser.add_argument(
        "--code",
        type=Path,
        default=code_root(),
        help="the folder whose dashboard package the server runs, e.g. a `git archive` of a commit (default: the"
        " one this interpreter imports)",
    )
    args = parser.parse_args()

    args.corpus_dir.mkdir(parents=True, exist_ok=True)
    data = (args.data or corpus_for(args.figures, args.corpus_dir)).resolve()
    port = free_port()
    log = args.log or args.corpus_dir / f"soak-search-{time.strftime('%Y%m%d-%H%M%S')}.log"
    server = start_server(data, args.cache_dir, port, args.server, log, args.code.resolve())
    try:
        ready = wait_ready(port, server, args.ready_timeout)
        print(f"/healthz 200 after {ready:.1f} s", flush=True)
        settled = wait_settled(port, server, timeout=600)
        print(f"corpus map built (and workers replaced) {settled:.1f} s later", flush=True)
        rng = random.Random(args.seed)
        sample = take_sample(port, rng)
        print(
            f"sample: {len(sample.words):,} words, {len(sample.phrases)} phrases, {len(sample.ids)} ids, "
            f"{len(sample.genes)} genes, {len(sample.organisms)} organisms, years {sample.years[0]}–{sample.years[1]}",
            flush=True,
        )
        since = log.stat().st_size
        soak = Soak(port, sample, args.seconds, tuple(args.pause))
        before = time.perf_counter()
        status, _ = get(port, "/")
        seconds = time.perf_counter() - before
        soak.record(Result("page /", "/", status, seconds, 0, 0, "" if status == 200 else f"HTTP {status}"))
        started = time.monotonic()
        if not soak.failed.is_set():
            soak.run(args.threads, args.seed)
        elapsed = time.monotonic() - started
        metrics = get(port, "/metrics")[1].decode(errors="replace").splitlines()
    except (RuntimeError, TimeoutError) as exc:
        print(f"{exc}\nserver log ({log}), its end:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-40:]))
        sys.exit(1)
    finally:
        if server.poll() is None:
            stop(server)

    results = soak.results
    long_pauses = sum(r.pause > BUDGET for r in results)
    idled = sum(r.idle > BUDGET for r in results)
    served = "the Procfile's web command" if args.server == "procfile" else "pfocr-dashboard serve"
    print(
        f"\n### Search soak on {data.name} ({served}): {args.threads} threads, {elapsed:.0f} s, "
        f"pauses {args.pause[0]:g}–{args.pause[1]:g} s, seed {args.seed}"
    )
    print(
        f"{len(results):,} requests ({len(results) / elapsed:.1f}/s), "
        f"{long_pauses:,} right after the thread paused > {BUDGET:g} s, "
        f"{idled:,} after the server idled > {BUDGET:g} s\n"
    )
    report(results)
    errors = [line for line in metrics if line.startswith("pfocr_errors_total")]
    print("\n/metrics, errors: " + ("; ".join(errors) if errors else "(none)"))
    if soak.failures:
        for failure in soak.failures:
            print(
                f"\nFAILURE {failure.kind}: GET {failure.target[:600]} (after a {failure.pause:.1f} s pause, "
                f"the server idle {failure.idle:.1f} s; {failure.seconds * 1000:.0f} ms): {failure.problem[:600]}",
                file=sys.stderr,
            )
        print(f"\nserver log ({log}):\n{server_errors(log, since)}", file=sys.stderr)
        sys.exit(1)
    print("\nno failures")


if __name__ == "__main__":
    main()
