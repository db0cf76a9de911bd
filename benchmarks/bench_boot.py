"""Deploy benchmark: the memory and start-up times a deployment sees, at each corpus size.

    pip install -e ".[bench]"
    python benchmarks/bench_boot.py --sizes 10000 30000 110000 [--runs 1] [--warm-runs 3]
        [--rows cold check serve build bundle] [--code NAME=DIR ...] [--corpus-dir /tmp/pfocr-bench]

For each corpus size (made with make_corpus.py if missing) it prints these rows (`--rows` picks some):
- cold: the Procfile's command (`python -m dashboard web`) on the sources with an empty cache. It answers its port
  at once with the loading page while a builder process makes the cache entry whole (tables and text index in an
  ingest child with its parsing workers, then the corpus map, made by a process of its own), then becomes
  gunicorn (`--preload`, two workers). Seconds to the first answer, to `/healthz` 200 and to the first page; the
  peaks of the summed RSS and of the summed PSS (shared pages split between the processes that map them) of all its
  processes until ready, and by phase — parsing, tables, text index, map, published (the builder ending),
  gunicorn (the master preloading and forking), then serving (after /healthz 200, to 1 s after the first page) —
  with the processes at that phase's RSS peak (summed by role); then the RSS of each process and their PSS once
  serving. (Forked processes share pages: their summed RSS counts a shared page in each, their PSS splits it.)
- check: `pfocr-dashboard check CORPUS` with an empty cache (the same ingest, then the map, then the summary):
  seconds, peak summed RSS and PSS, by phase.
- serve: `pfocr-dashboard serve --data CORPUS` with the warm cache the cold row made: seconds to `/healthz` 200, the
  RSS and PSS of the process with its children once it has served the first page, and their peaks meanwhile.
- build: `pfocr-dashboard build CORPUS --out BUNDLE --no-cache`: seconds, peak summed RSS and PSS, by phase; the
  bundle's size on disk.
- bundle: the Procfile's command on that bundle (no builder): seconds to the first answer, to `/healthz` 200 and
  to the first page, then the RSS of the master and each worker and the PSS of the three, once serving.

Memory is sampled every 20 ms (PSS every 100 ms) over the process and all its descendants
(`bench_ingest.TreeSampler`). `--runs N` repeats the cold, check and build rows N times, `--warm-runs N` the
serve and bundle rows (the versions' runs alternating), and it prints medians, with each run's numbers after them.
`--code NAME=DIR` (repeatable) runs the code of another checkout (a folder holding `dashboard/` with `assets/`
and `seeds/` beside it, e.g. `git archive REV dashboard assets seeds | tar -x -C DIR`; `-` is the installed one)
through PYTHONPATH, so that two versions are measured side by side.
`--cold-only [DIR...]` is `--rows cold --code DIR...`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import make_corpus  # noqa: E402 - the generator beside this script
from bench_ingest import TreeSampler  # noqa: E402 - the memory sampler of the ingest benchmark

MIB = 2**20
ROWS = ("cold", "check", "serve", "build", "bundle")
TIMEOUT = 1800  # seconds any one start may take


def status_of(port: int, path: str, timeout: float = 10) -> int | None:
    return answer_of(port, path, timeout)[0]


def answer_of(port: int, path: str, timeout: float = 10) -> tuple[int | None, bytes]:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    except OSError:
        return None, b""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_command() -> str:
    return (ROOT / "Procfile").read_text().strip().removeprefix("web: ")


def environment(code: Path | None, **extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    if code is not None:  # before the editable install's finder, which comes after sys.path
        env["PYTHONPATH"] = str(code)
    return env


# --- what each process is, and what the start is doing --------------------------------------------------------
def cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return ""


class Roles:
    """What each process of a start is, told from where it sits in the tree and its command line: the root (the
    Procfile's launcher, then the gunicorn master it becomes; or the command), the builder and gunicorn's workers
    below the launcher, a forked child that has had children of its own (the ingest child), forked siblings (the
    parsing workers), the corpus map's process and multiprocessing's resource tracker."""

    def __init__(self) -> None:
        self.parents: set[int] = set()  # pids seen with children: a role does not change when they end

    def __call__(self, proc: psutil.Process, ancestors: list[psutil.Process]) -> str:
        line = cmdline(proc)
        if not ancestors:
            return "gunicorn master" if "gunicorn" in line else ("launcher" if " web" in line else "main")
        if "resource_tracker" in line:
            return "resource tracker"
        if "dashboard.corpus.corpusmap" in line:
            return "map process"
        root = cmdline(ancestors[0])
        if len(ancestors) == 1 and "gunicorn" in root:
            return "gunicorn worker"
        if len(ancestors) == 1 and " web" in root:
            return "builder"
        try:
            if proc.children():
                self.parents.add(proc.pid)
            siblings = [p for p in ancestors[-1].children() if "corpusmap" not in cmdline(p)]
        except psutil.NoSuchProcess:
            siblings = []
        if proc.pid in self.parents:
            return "ingest child"
        return "parse worker" if len(siblings) >= 2 or ancestors[-1].pid in self.parents else "child"


def phase_watcher(
    cache: Path | None, out: Path | None = None, ready: threading.Event | None = None
) -> Callable[[list[tuple[psutil.Process, str]]], str]:
    """The phase of a start, told from its files and processes: parsing (parsing workers alive), tables, text index
    (its temporary file there), map (an entry's text index made, the entry not yet published), then "published" (the
    entry published or the bundle written: check's summary) or "gunicorn" (the Procfile's master preloading and
    forking its workers), and "serving" once `ready` is set."""

    parsed = []  # whether parsing workers were seen: before them, the ingest is starting to parse

    def phase(processes: list[tuple[psutil.Process, str]]) -> str:
        roles = [role for _, role in processes]
        if ready is not None and ready.is_set():
            return "serving"
        if roles and roles[0] == "gunicorn master":
            return "gunicorn"
        if (cache is not None and list(cache.glob("corpus-*/meta.json"))) or (out is not None and out.is_dir()):
            return "published"
        folders = list(cache.glob(".staging-*")) if cache is not None and cache.is_dir() else []
        if out is not None and out.parent.is_dir():
            folders += list(out.parent.glob(f".{out.name}.building-*"))
        for folder in folders:
            if list(folder.glob(".text-index.sqlite.*.tmp")):
                return "text index"
            if (folder / "text-index.sqlite").is_file():
                return "map"
        if not folders:
            return "finding files"
        if "parse worker" in roles:
            parsed.append(True)
        return "tables" if parsed and "parse worker" not in roles else "parsing"

    return phase


# --- the rows ------------------------------------------------------------------------------------------------
def sampled_command(args: list[str], code: Path | None, cwd: Path, phase_of=None) -> dict:
    """Run `python -m dashboard ARGS` to its end: seconds, peak RSS and PSS summed over its processes, by phase."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "dashboard", *args],
        env=environment(code),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = TreeSampler(process.pid, role_of=Roles(), phase_of=phase_of)
    _, errors = process.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    if process.returncode != 0:
        raise RuntimeError(f"{args[0]} failed:\n{errors[-3000:]}")
    return {"seconds": seconds, "peak_rss": sampler.peak, "peak_pss": sampler.peak_pss, "phases": sampler.phases}


def boot(data: Path, cache: Path, code: Path | None) -> dict:
    """Start the Procfile's command on `data` with an empty cache folder `cache`: seconds to its first answer, to
    /healthz 200 and to the first page; peak memory until ready, by phase; memory once serving."""
    port = free_port()
    cache.mkdir(parents=True, exist_ok=True)
    env = environment(code, PORT=str(port), PFOCR_DATA=str(data), PFOCR_CACHE_DIR=str(cache))
    started = time.perf_counter()
    process = subprocess.Popen(
        ["bash", "-c", "exec " + procfile_command()],
        env=env,
        cwd=cache.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    ready = threading.Event()
    sampler = TreeSampler(process.pid, role_of=Roles(), phase_of=phase_watcher(cache, ready=ready))
    found: dict = {}
    try:
        while time.perf_counter() - started < TIMEOUT:
            if process.poll() is not None:
                raise RuntimeError(f"the Procfile's command ended with status {process.returncode}")
            status, body = answer_of(port, "/healthz", timeout=30)
            if status is not None and "answer" not in found:
                found["answer"] = time.perf_counter() - started
            if status == 200:
                found["ready"] = time.perf_counter() - started
                found["ready_rss"], found["ready_pss"] = sampler.peak, sampler.peak_pss
                ready.set()
                break
            if status == 500:
                raise RuntimeError(f"the data could not be made: {body[:500]!r}")
            time.sleep(0.05)
        else:
            raise RuntimeError("not ready in time")
        while status_of(port, "/") != 200 and time.perf_counter() - started < TIMEOUT:
            time.sleep(0.05)
        found["page"] = time.perf_counter() - started
        time.sleep(1)
        sampler.stop()
        found["phases"] = sampler.phases
        found["rss"], found["pss"] = serving_memory(sampler.processes())
    finally:
        sampler.stop()
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    return found


def serving_memory(processes: list[psutil.Process]) -> tuple[list[int], int]:
    """The RSS of each process (in tree order) and the sum of their PSS."""
    rss, pss = [], 0
    for proc in processes:
        info = proc.memory_full_info()
        rss.append(info.rss)
        pss += info.pss
    return rss, pss


def serve(corpus: Path, cache: Path, code: Path | None) -> dict:
    """`pfocr-dashboard serve --data CORPUS` on a warm cache: seconds to /healthz 200 and the first page; the
    memory of the process and its children once it served that page, and the peaks meanwhile."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "serve", "--data", str(corpus), "--cache-dir", str(cache)],
        env=environment(code, PORT=str(port)),
        cwd=cache.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    sampler = TreeSampler(process.pid, role_of=Roles())
    found: dict = {}
    try:
        while status_of(port, "/healthz") != 200:
            if process.poll() is not None or time.perf_counter() - started > TIMEOUT:
                raise RuntimeError(f"serve ended with status {process.returncode}")
            time.sleep(0.05)
        found["ready"] = time.perf_counter() - started
        while status_of(port, "/") != 200:
            time.sleep(0.05)
        found["page"] = time.perf_counter() - started
        time.sleep(1)
        sampler.stop()
        found["peak_rss"], found["peak_pss"] = sampler.peak, sampler.peak_pss
        rss, found["pss"] = serving_memory(sampler.processes())
        found["rss"] = sum(rss)
        found["processes"] = len(rss)
    finally:
        sampler.stop()
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    return found


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


# --- printing ------------------------------------------------------------------------------------------------
def mib(value: float) -> str:
    return f"{value / MIB:,.0f}"


def median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def each(runs: list[dict], key: str, show: Callable[[float], str]) -> str:
    return "" if len(runs) < 2 else " (runs: " + ", ".join(show(run[key]) for run in runs) + ")"


def print_phases(runs: list[dict]) -> None:
    """Per phase, the median of the runs' peaks, and the processes at the first run's RSS peak of that phase."""
    names = list(dict.fromkeys(name for run in runs for name in run["phases"]))
    for name in names:
        present = [run["phases"][name] for run in runs if name in run["phases"]]
        rss = statistics.median(p.rss for p in present)
        pss = statistics.median(p.pss for p in present)
        who = ", ".join(f"{role} {mib(size)}" for role, size in present[0].roles)
        shown = f"{mib(pss):>6} MiB" if pss else "     –    "  # a phase too short for a PSS sample
        print(f"      {name:<14} peak RSS {mib(rss):>6} MiB, PSS {shown}   [{who}]")


def print_cold(name: str, runs: list[dict]) -> None:
    seconds = lambda value: f"{value:.1f}"  # noqa: E731
    print(
        f"  cold boot from sources, Procfile [{name}]: first answer {median(runs, 'answer'):.1f} s"
        f"{each(runs, 'answer', seconds)}, /healthz ok {median(runs, 'ready'):.1f} s{each(runs, 'ready', seconds)},"
        f" first page {median(runs, 'page'):.1f} s"
    )
    print(
        f"    peak until ready: RSS {mib(median(runs, 'ready_rss'))} MiB{each(runs, 'ready_rss', mib)},"
        f" PSS {mib(median(runs, 'ready_pss'))} MiB{each(runs, 'ready_pss', mib)}; by phase:"
    )
    print_phases(runs)
    print(
        "    serving (master + workers): RSS "
        + " + ".join(mib(statistics.median(run["rss"][i] for run in runs)) for i in range(len(runs[0]["rss"])))
        + f" MiB; PSS {mib(median(runs, 'pss'))} MiB"
    )


def print_check(name: str, runs: list[dict], what: str) -> None:
    print(
        f"  {what} [{name}]: {median(runs, 'seconds'):.1f} s, peak RSS of all processes"
        f" {mib(median(runs, 'peak_rss'))} MiB{each(runs, 'peak_rss', mib)}, PSS {mib(median(runs, 'peak_pss'))}"
        f" MiB{each(runs, 'peak_pss', mib)}; by phase:"
    )
    print_phases(runs)


def print_serve(name: str, runs: list[dict]) -> None:
    print(
        f"  serve on the warm cache [{name}]: /healthz ok {median(runs, 'ready'):.1f} s, first page"
        f" {median(runs, 'page'):.1f} s; then RSS {mib(median(runs, 'rss'))} MiB{each(runs, 'rss', mib)}"
        f" ({runs[0]['processes']} process(es)), PSS {mib(median(runs, 'pss'))} MiB; peak RSS"
        f" {mib(median(runs, 'peak_rss'))} MiB, PSS {mib(median(runs, 'peak_pss'))} MiB"
    )


def print_bundle(name: str, runs: list[dict]) -> None:
    seconds = lambda value: f"{value:.1f}"  # noqa: E731
    per_process = " + ".join(mib(statistics.median(run["rss"][i] for run in runs)) for i in range(len(runs[0]["rss"])))
    print(
        f"  Procfile on the bundle [{name}]: first answer {median(runs, 'answer'):.1f} s, /healthz ok"
        f" {median(runs, 'ready'):.1f} s{each(runs, 'ready', seconds)}, first page {median(runs, 'page'):.1f} s;"
        f" serving: RSS {per_process} MiB, PSS {mib(median(runs, 'pss'))} MiB{each(runs, 'pss', mib)}"
    )


# --- main ----------------------------------------------------------------------------------------------------
def measure(size: int, corpus: Path, rows: list[str], codes: dict[str, Path | None], runs: int, warm_runs: int) -> None:
    found: dict[str, dict[str, list[dict]]] = {row: {name: [] for name in codes} for row in rows}
    bundle_bytes: dict[str, int] = {}
    work = Path(tempfile.mkdtemp(prefix=f"boot-{size}-"))
    try:
        for name in codes:
            (work / name).mkdir()
        warm = {name: work / name / "warm-cache" for name in codes}
        bundles = {name: work / name / "bundle" for name in codes}
        for run in range(max(runs, warm_runs)):
            for name, code in codes.items():
                home = work / name
                if "cold" in rows and run < runs:
                    shutil.rmtree(warm[name], ignore_errors=True)
                    found["cold"][name].append(boot(corpus, warm[name], code))
                if "check" in rows and run < runs:
                    empty = home / f"check-cache-{run}"
                    empty.mkdir()
                    args = ["check", str(corpus), "--cache-dir", str(empty)]
                    found["check"][name].append(sampled_command(args, code, home, phase_watcher(empty)))
                    shutil.rmtree(empty, ignore_errors=True)
                if "serve" in rows and run < warm_runs:
                    if not list(warm[name].glob("corpus-*/meta.json")):  # a warm cache, made once
                        sampled_command(["check", str(corpus), "--cache-dir", str(warm[name])], code, home)
                    found["serve"][name].append(serve(corpus, warm[name], code))
                if ("build" in rows and run < runs) or ("bundle" in rows and not bundles[name].exists()):
                    shutil.rmtree(bundles[name], ignore_errors=True)
                    args = ["build", str(corpus), "--out", str(bundles[name]), "--no-cache"]
                    built = sampled_command(args, code, home, phase_watcher(None, bundles[name]))
                    if "build" in rows:
                        found["build"][name].append(built)
                    bundle_bytes[name] = folder_bytes(bundles[name])
                if "bundle" in rows and run < warm_runs:
                    found["bundle"][name].append(boot(bundles[name], home / "unused-cache", code))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{size:,} figures ({runs} run(s) of cold, check and build, {warm_runs} of serve and bundle; medians)")
    for name in codes:
        if "cold" in rows:
            print_cold(name, found["cold"][name])
        if "check" in rows:
            print_check(name, found["check"][name], "cold `check`, empty cache")
        if "serve" in rows:
            print_serve(name, found["serve"][name])
        if "build" in rows:
            print_check(name, found["build"][name], "build (cold ingest → bundle)")
            print(f"  bundle size [{name}]: {mib(bundle_bytes[name])} MiB")
        if "bundle" in rows:
            print_bundle(name, found["bundle"][name])
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "pfocr-bench")
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--runs", type=int, default=1, help="repetitions of every row (medians printed)")
    parser.add_argument("--warm-runs", type=int, help="repetitions of the serve and bundle rows (default: --runs)")
    parser.add_argument(
        "--code",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="a version to run: a folder holding its dashboard/ package, or - for the installed one (repeatable)",
    )
    parser.add_argument(
        "--cold-only", type=Path, nargs="*", metavar="CODE", help="= --rows cold --code DIR... (none: installed)"
    )
    args = parser.parse_args()
    codes: dict[str, Path | None] = {}
    for given in args.code or ["installed=-"]:
        name, _, folder = given.partition("=")
        codes[name] = None if folder in ("", "-") else Path(folder).resolve()
    rows = args.rows
    if args.cold_only is not None:
        rows = ["cold"]
        codes = {path.name: path.resolve() for path in args.cold_only} or {"installed": None}
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GiB; rows {', '.join(rows)}")
    for size in args.sizes:
        corpus = args.corpus_dir / f"corpus-{size}"
        if not corpus.exists():
            make_corpus.write_corpus(corpus, size, seed=1)
        measure(size, corpus, rows, codes, args.runs, args.warm_runs or args.runs)


if __name__ == "__main__":
    main()
