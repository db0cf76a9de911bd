"""Load test: the dashboard started exactly as the Procfile starts it (gunicorn, --preload, two workers), and
simulated users clicking through it concurrently, each pausing to read between interactions.

    python benchmarks/load.py --data /tmp/pfocr-bench/bundle-110000 --users 50 100 150 --seconds 60
    python benchmarks/load.py --data seeds --users 20 --seconds 120 --think 0 0   # no pauses: saturation

Each user is a thread with its own connection, holding the page's values as a browser does (bench_serve.Page): it
opens the page (the layout and the callback graph), shows the default view, then repeats: think 2–5 s (uniform,
`--think`), do one interaction — gene click, gene type-ahead, organism change, year change, figure click, back to
the default view, text search, chemical filter, and now and then an enrichment of 200 genes — and every server
callback it triggers, one after another. Users start spread over the first think time, once each worker has served
every interaction a few times unmeasured (its first uses). For each number of users
(one server for the whole sweep, `--seconds` each) it prints the interactions done, errors, the latency of a whole
interaction (its callbacks summed) and of single callbacks at p50/p95/p99, and the server's memory (PSS summed over
master and workers) at the start and end of the step and its peak, sampled every five seconds; then the most users
whose interaction p95 stays within `--target` ms.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from bench import ROOT, free_port
from bench_serve import INTERACTIONS, Page, interactions, sample, start_procfile, step, stop, wait_page

MIB = 2**20
# How often each interaction is picked: the enrichment (a pasted list) is rarer than clicks.
WEIGHTS = {name: (0.25 if name.startswith("enrichment") else 1.0) for name in INTERACTIONS}


def memory(pid: int) -> tuple[int, int, int, int]:
    """(RSS, PSS, anonymous RSS, file-backed RSS) summed over the master and its workers, in bytes. File-backed
    pages are the memory-mapped data and libraries: shared between the processes and reclaimable."""
    master = psutil.Process(pid)
    rss = pss = anon = mapped = 0
    for proc in [master, *master.children(recursive=True)]:
        info = proc.memory_full_info()
        rss, pss = rss + info.rss, pss + info.pss
        status = Path(f"/proc/{proc.pid}/status").read_text().splitlines()
        fields = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in status if line.startswith("Rss")}
        anon, mapped = anon + fields.get("RssAnon", 0), mapped + fields.get("RssFile", 0)
    return rss, pss, anon, mapped


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000 if ordered else float("nan")


def run_step(port: int, pid: int, info: dict, users: int, seconds: float, think: tuple[float, float]) -> dict:
    """`users` users for `seconds`; their latencies, errors and the server's memory meanwhile."""
    interactions: list[float] = []
    callbacks: list[float] = []
    by_name: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + seconds
    names, weights = list(WEIGHTS), list(WEIGHTS.values())

    def user(number: int) -> None:
        rng = random.Random(number)
        time.sleep(rng.uniform(0, think[1]))  # users arrive spread over the first think time
        try:
            page = Page(port, lean=True)
            page.interact({"url.search": ""})
        except Exception as exc:
            with lock:
                errors.append(f"opening the page: {type(exc).__name__}: {exc}")
            return
        while True:
            time.sleep(rng.uniform(*think))
            if time.monotonic() >= stop_at:
                return
            name = rng.choices(names, weights)[0]
            try:
                before = len(page.timings)
                total, _, _ = step(page, info, rng, name)
            except Exception as exc:
                with lock:
                    errors.append(f"{name}: {type(exc).__name__}: {exc}")
                page = Page(port, lean=True)  # a fresh page, as a user who reloads it
                continue
            with lock:
                interactions.append(total)
                by_name.setdefault(name, []).append(total)
                callbacks.extend(page.timings[before:])

    memory_samples = [memory(pid)]
    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        time.sleep(5)
        memory_samples.append(memory(pid))
    elapsed = time.monotonic() - started
    pss = [m[1] for m in memory_samples]
    return {
        "users": users,
        "interactions": len(interactions),
        "rate": len(interactions) / elapsed,
        "errors": errors,
        "p50": pct(interactions, 0.5),
        "p95": pct(interactions, 0.95),
        "p99": pct(interactions, 0.99),
        "callback_p95": pct(callbacks, 0.95),
        "callbacks_per_s": len(callbacks) / elapsed,
        "by_name": {name: pct(values, 0.95) for name, values in sorted(by_name.items())},
        "pss": (pss[0], pss[-1], max(pss)),
        "anon": (memory_samples[0][2], memory_samples[-1][2]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "seeds")
    parser.add_argument("--users", type=int, nargs="+", default=[100])
    parser.add_argument("--seconds", type=float, default=60, help="per number of users")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 5.0), metavar=("MIN", "MAX"))
    parser.add_argument("--target", type=float, default=300, help="interaction p95 a machine must hold, in ms")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "pfocr-bench-cache", help="for sources"
    )
    args = parser.parse_args()
    args.data = args.data.resolve()

    info = sample(args.data, cache_dir=args.cache_dir)
    port = free_port()
    server = start_procfile(args.data, args.cache_dir, port)
    try:
        wait_page(port)
        deadline = time.monotonic() + 60
        while len(psutil.Process(server.pid).children()) > 2 and time.monotonic() < deadline:
            time.sleep(0.5)  # the workers forked before the load retire once the loaded ones serve
        for seed in range(4):  # unmeasured: each worker's first uses (imports, lazily built answers)
            interactions(Page(port, lean=True), info, 1, seed=seed)
        results = [run_step(port, server.pid, info, n, args.seconds, tuple(args.think)) for n in args.users]
    finally:
        stop(server)

    print(
        f"### Load on {args.data.name}: gunicorn as in the Procfile (2 workers), think time "
        f"{args.think[0]:g}–{args.think[1]:g} s, {args.seconds:.0f} s per step\n"
    )
    print(
        "| users | interactions (per s) | callbacks per s | errors | interaction p50 / p95 / p99 ms | "
        "callback p95 ms | PSS start → end (peak) MiB | anonymous RSS start → end MiB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        start, end, peak = (v / MIB for v in r["pss"])
        print(
            f"| {r['users']} | {r['interactions']:,} ({r['rate']:.1f}) | {r['callbacks_per_s']:.0f} | "
            f"{len(r['errors'])} | {r['p50']:.0f} / {r['p95']:.0f} / {r['p99']:.0f} | {r['callback_p95']:.0f} | "
            f"{start:,.0f} → {end:,.0f} ({peak:,.0f}) | {r['anon'][0] / MIB:,.0f} → {r['anon'][1] / MIB:,.0f} |"
        )
    print()
    for r in results:
        slowest = ", ".join(f"{name} {p95:.0f}" for name, p95 in r["by_name"].items())
        print(f"{r['users']} users, p95 ms by interaction: {slowest}")
    held = [r["users"] for r in results if r["p95"] <= args.target and not r["errors"]]
    most = max(held) if held else "none"
    print(f"\nMost users within p95 ≤ {args.target:.0f} ms and no errors: {most} of {args.users}")
    errors = [e for r in results for e in r["errors"]]
    for message in sorted(set(errors))[:10]:
        print(f"error: {message}", file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
