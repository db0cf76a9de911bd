"""Load test: the dashboard started exactly as the Procfile starts it (gunicorn, --preload, two workers), and
simulated users clicking through it concurrently for a while.

    python benchmarks/load.py --data seeds --users 20 --seconds 120
    python benchmarks/load.py --data /tmp/pfocr-bench/pfocr-30000 --users 20 --seconds 120

Each user is a thread with its own connection doing real interactions through Dash's callback endpoint (gene click,
type-ahead, organism and year changes, figure click, back to the default view), with no pause between them. It
prints throughput, interaction latency p50/p95/p99, the number of errors, and the server's memory over the run
(RSS and PSS summed over master and workers, sampled every five seconds) to show it stays flat.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from bench import ROOT, DashClient, corpus_sample, free_port, interactions


def procfile_command() -> str:
    line = (ROOT / "Procfile").read_text().strip()
    return line.removeprefix("web:").strip()


def start(data: Path, cache: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "PORT": str(port), "PFOCR_DATA": str(data), "PFOCR_CACHE_DIR": str(cache)}
    command = procfile_command().replace("$PORT", str(port)).replace("${WEB_CONCURRENCY:-2}", "2")
    return subprocess.Popen(
        shlex.split(command),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def memory(pid: int) -> tuple[int, int, int, int]:
    """(RSS, PSS, anonymous RSS, file-backed RSS) summed over the master and its workers, in bytes. File-backed
    pages are the memory-mapped cache and libraries: shared between the processes and reclaimable."""
    master = psutil.Process(pid)
    rss = pss = anon = mapped = 0
    for proc in [master, *master.children(recursive=True)]:
        info = proc.memory_full_info()
        rss, pss = rss + info.rss, pss + info.pss
        status = Path(f"/proc/{proc.pid}/status").read_text().splitlines()
        fields = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in status if line.startswith("Rss")}
        anon, mapped = anon + fields.get("RssAnon", 0), mapped + fields.get("RssFile", 0)
    return rss, pss, anon, mapped


def wait_ready(port: int, timeout: float = 600) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("the server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "seeds")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache_dir:
        port = free_port()
        server = start(args.data, Path(cache_dir), port)
        try:
            wait_ready(port)
            info = corpus_sample(args.data, Path(cache_dir))
            timings: dict[str, list[float]] = {}
            errors: list[str] = []
            lock = threading.Lock()
            stop_at = time.monotonic() + args.seconds
            samples: list[tuple[float, int, int]] = []

            def user(number: int) -> None:
                seed = number
                while time.monotonic() < stop_at:
                    mine: dict[str, list[float]] = {}
                    try:
                        interactions(DashClient(port), info, reps=1, seed=seed, timings=mine)
                    except Exception as exc:
                        with lock:
                            errors.append(f"{type(exc).__name__}: {exc}")
                    seed += 1000
                    with lock:
                        for name, values in mine.items():
                            timings.setdefault(name, []).extend(values)

            started = time.monotonic()
            threads = [threading.Thread(target=user, args=(n,)) for n in range(args.users)]
            for thread in threads:
                thread.start()
            while any(t.is_alive() for t in threads):
                samples.append((time.monotonic() - started, *memory(server.pid)))
                time.sleep(5)
            elapsed = time.monotonic() - started
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)

    every = sorted(v for values in timings.values() for v in values)
    total = len(every)
    mib = 2**20

    def pct(q: float) -> float:
        return every[min(total - 1, round(q * (total - 1)))] * 1000

    print(f"### Load: {args.users} users for {args.seconds:.0f} s on {args.data.name} (gunicorn as in the Procfile)")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| interactions completed | {total:,} ({total / elapsed:.1f}/s) |")
    print(f"| errors | {len(errors)} |")
    print(f"| interaction latency p50 / p95 / p99 | {pct(0.5):.0f} / {pct(0.95):.0f} / {pct(0.99):.0f} ms |")
    for name, values in sorted(timings.items()):
        print(f"| {name}: median | {statistics.median(values) * 1000:.0f} ms |")
    print()
    print("| memory at | PSS (all processes) | anonymous RSS | file-backed RSS (shared, reclaimable) |")
    print("|---|---|---|---|")
    for at, _rss, pss, anon, mapped in samples[:: max(1, len(samples) // 8)] + samples[-1:]:
        print(f"| {at:.0f} s | {pss / mib:,.0f} MiB | {anon / mib:,.0f} MiB | {mapped / mib:,.0f} MiB |")
    for message in sorted(set(errors))[:10]:
        print(f"error: {message}", file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
