"""Deploy benchmark: cold ingest into a bundle (time, peak memory), bundle size, and boot under the Procfile.

    pip install -e ".[bench]"
    python benchmarks/bench_boot.py --sizes 10000 30000 110000 [--corpus-dir /tmp/pfocr-bench]

For each corpus size (made with make_corpus.py if missing) it prints:
- build: `pfocr-dashboard build CORPUS --out BUNDLE --no-cache`, wall time and the peaks of the summed resident
  memory (RSS) and of the summed PSS of all its processes (`bench_ingest.TreeSampler`);
- bundle: its size on disk;
- cold boot: the Procfile's gunicorn (--preload, two workers) on the sources with an empty cache — seconds until
  the port answers (the loading page), until /healthz says ok (and the peak summed RSS and PSS until then), until
  the corpus map is in the cache entry (made by a builder process once the server is ready), and the peaks over
  all that (`--cold-only [CODE...]`: this row alone, for the code of each folder given);
- bundle boot: the same on the bundle — seconds to the first answer, to /healthz ok and to the first page, then the
  RSS of each process and their PSS (shared pages split between the processes that map them) once serving.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import make_corpus  # noqa: E402 - the generator beside this script
from bench_ingest import TreeSampler  # noqa: E402 - the memory sampler of the ingest benchmark

MIB = 2**20


def status_of(port: int, path: str) -> int | None:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_command() -> str:
    return (ROOT / "Procfile").read_text().strip().removeprefix("web: ")


def build(corpus: Path, bundle: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "build", str(corpus), "--out", str(bundle), "--no-cache"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sampler = TreeSampler(process.pid)
    assert process.wait() == 0, "build failed"
    sampler.stop()
    return time.perf_counter() - started, sampler.peak, sampler.peak_pss


def boot(data: Path, cache: Path, code: Path | None = None) -> dict:
    """Start the Procfile's gunicorn on `data` and time its first answer, readiness and first page (and, from
    sources, when the corpus map a builder process makes after readiness is there), with the code of `code` (a
    folder holding a `dashboard` package; default: the one installed)."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "PFOCR_DATA": str(data), "PFOCR_CACHE_DIR": str(cache)}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    started = time.perf_counter()
    process = subprocess.Popen(
        ["bash", "-c", "exec " + procfile_command()],
        env=env,
        cwd=cache.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    sampler = TreeSampler(process.pid)
    found: dict = {}
    try:
        while time.perf_counter() - started < 900:
            status = status_of(port, "/healthz")
            if status is not None and "answer" not in found:
                found["answer"] = time.perf_counter() - started
            if status == 200:
                found["ready"] = time.perf_counter() - started
                found["ready_rss"], found["ready_pss"] = sampler.peak, sampler.peak_pss
                break
            time.sleep(0.05)
        # The first page from a worker forked after the load (the master replaces its workers when ready).
        while status_of(port, "/") != 200 and time.perf_counter() - started < 900:
            time.sleep(0.05)
        found["page"] = time.perf_counter() - started
        if not (data / "manifest.json").is_file():  # sources: the map comes from a builder after readiness
            while not list(cache.glob("corpus-*/corpus-map.arrow")) and time.perf_counter() - started < 900:
                time.sleep(0.2)
        found["map"] = time.perf_counter() - started
        deadline = time.monotonic() + 60
        while len(sampler.processes()) > 3 and time.monotonic() < deadline:  # the replaced workers exit gracefully
            time.sleep(0.2)
        time.sleep(1)
        sampler.stop()
        found["peak_rss"], found["peak_pss"] = sampler.peak, sampler.peak_pss
        rss, pss = [], 0
        for proc in sampler.processes():
            info = proc.memory_full_info()
            rss.append(info.rss)
            pss += info.pss
        found["rss"], found["pss"] = rss, pss
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    return found


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "pfocr-bench")
    parser.add_argument(
        "--cold-only",
        type=Path,
        nargs="*",
        metavar="CODE",
        help="only the cold boot from sources, with the code of"
        " each folder given (e.g. `git worktree`s of two commits; none: the installed code), one after the other",
    )
    args = parser.parse_args()
    for size in args.sizes:
        corpus = args.corpus_dir / f"corpus-{size}"
        if not corpus.exists():
            make_corpus.write_corpus(corpus, size, seed=1)
        if args.cold_only is not None:
            print(f"\n{size:,} figures")
            for code in args.cold_only or [None]:
                work = Path(tempfile.mkdtemp(prefix=f"boot-{size}-"))
                try:
                    print_cold(boot(corpus, work / "empty-cache", code), code.name if code else "installed")
                finally:
                    shutil.rmtree(work, ignore_errors=True)
            continue
        work = Path(tempfile.mkdtemp(prefix=f"boot-{size}-"))
        try:
            bundle = work / "bundle"
            seconds, peak, peak_pss = build(corpus, bundle)
            cold = boot(corpus, work / "empty-cache")
            warm = boot(bundle, work / "unused-cache")
        finally:
            size_on_disk = folder_bytes(work / "bundle") if (work / "bundle").exists() else 0
            shutil.rmtree(work, ignore_errors=True)
        print(f"\n{size:,} figures")
        print(
            f"  build (cold ingest → bundle)   {seconds:6.1f} s, peak RSS of all processes {peak / MIB:,.0f} MiB"
            f" (PSS {peak_pss / MIB:,.0f} MiB)"
        )
        print(f"  bundle size                    {size_on_disk / MIB:,.0f} MiB")
        print_cold(cold, "installed")
        print(
            f"  boot from the bundle            first answer {warm['answer']:.1f} s, ready {warm['ready']:.1f} s,"
            f" first page {warm['page']:.1f} s"
        )
        per_process = " + ".join(f"{rss / MIB:,.0f}" for rss in warm["rss"])
        print(f"  serving (master + 2 workers)    RSS {per_process} MiB; PSS sum {warm['pss'] / MIB:,.0f} MiB")


def print_cold(cold: dict, name: str) -> None:
    print(
        f"  cold boot from sources ({name})  first answer {cold['answer']:.1f} s, ready {cold['ready']:.1f} s"
        f" (peak RSS of all processes until then {cold['ready_rss'] / MIB:,.0f} MiB, PSS"
        f" {cold['ready_pss'] / MIB:,.0f} MiB), corpus map there at {cold['map']:.1f} s; peak RSS of all"
        f" processes {cold['peak_rss'] / MIB:,.0f} MiB (PSS {cold['peak_pss'] / MIB:,.0f} MiB)"
    )


if __name__ == "__main__":
    main()
