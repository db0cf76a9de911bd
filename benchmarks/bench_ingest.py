"""Cold-ingest benchmark: `pfocr-dashboard build CORPUS --out BUNDLE --no-cache`, time and peak memory.

    pip install -e ".[bench]"
    python benchmarks/bench_ingest.py --sizes 10000 30000 [--runs 3] [--code NAME=DIR ...]

For each corpus size (made with make_corpus.py if missing) it runs the build `--runs` times and prints the median
wall time (and that of the loader's files → tables part, from its log line) and the median of each run's peak
summed resident memory (RSS) of the build and every process it starts (its parsing workers), sampled every
20 ms, with the largest process's share at that peak, and the median peak of their summed PSS (which counts a page
shared by forked processes once). With `--code NAME=DIR` (repeatable; DIR holds another version's package
exported with its data folders, e.g.
`git archive REV dashboard | tar -x -C DIR && git archive --prefix=dashboard/ REV assets seeds | tar -x -C DIR`;
`-` is the installed one) the runs of the versions alternate, so that all see the same machine, and they are
printed side by side.

With `--rate N` it measures, instead, records per second on the first N records of each corpus (with their side
files): each version's `load_corpus(..., use_cache=False)` (files → tables, its parsing workers included) and a plain
python-frontmatter loop over the same record files (`frontmatter.load`, one process, front matter only), their runs
alternating; it prints the medians and each version's ratio to python-frontmatter (issue 15's budget: ≥ 10×).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import make_corpus  # noqa: E402 - the generator beside this script

MIB = 2**20
# The loader's own log line: the files → tables part of the build (the text index and the map are built after it).
PARSED = re.compile(r"parsed \d+ record files in ([\d.]+) s")
# Runs `python -m dashboard ARGS` with the installed `dashboard` package, or with the one in the folder given
# instead of "-" (an editable install's import hook is taken out of the way).
LAUNCHER = """
import runpy, sys
tree = sys.argv.pop(1)
if tree != "-":
    sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
    sys.path.insert(0, tree)
sys.argv[0] = "pfocr-dashboard"
runpy.run_module("dashboard", run_name="__main__", alter_sys=True)
"""
# Records per second of one cold load (files → tables) with the code in the folder given, or of a
# python-frontmatter loop over the same record files ("frontmatter"); prints the number.
RATE = """
import os, sys, time
tree, corpus = sys.argv[1], sys.argv[2]
if tree == "frontmatter":
    import frontmatter
    paths = sorted(os.path.join(corpus, "_figures", name) for name in os.listdir(os.path.join(corpus, "_figures")))
    started = time.perf_counter()
    for path in paths:
        frontmatter.load(path)
    print(len(paths) / (time.perf_counter() - started))
    raise SystemExit
if tree != "-":
    sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
    sys.path.insert(0, tree)
from dashboard.corpus.cache import load_corpus
started = time.perf_counter()
tables = load_corpus([corpus], use_cache=False)
tables = tables[0] if isinstance(tables, tuple) else tables
print(len(tables.figures) / (time.perf_counter() - started))
"""


@dataclass
class PhasePeak:
    """The peaks of one phase of a run: summed RSS (with the processes at that moment, summed by role) and PSS."""

    rss: int = 0
    pss: int = 0
    roles: list[tuple[str, int]] = field(default_factory=list)  # (role, RSS) at the RSS peak, largest first


class TreeSampler:
    """Peaks of the memory of a process and all its descendants, sampled in a thread: the summed RSS (every 20 ms;
    with the largest process at that peak), and the summed PSS (shared pages split between the processes that map
    them, which is what they take together; read from /proc/PID/smaps_rollup, so every fifth sample).

    With `role_of(process, ancestors)` (ancestors: the root first) each process is named, and with `phase_of([(process,
    role), ...])` each sample is put in a phase: `phases` holds each phase's peaks, in the order the phases came, and
    which processes (summed by role) made its RSS peak."""

    def __init__(
        self,
        pid: int,
        every: float = 0.02,
        role_of: Callable[[psutil.Process, list[psutil.Process]], str] | None = None,
        phase_of: Callable[[list[tuple[psutil.Process, str]]], str] | None = None,
    ) -> None:
        self.root = psutil.Process(pid)
        self.every = every
        self.role_of = role_of
        self.phase_of = phase_of
        self.peak = self.peak_largest = self.peak_processes = self.peak_pss = 0
        self.phases: dict[str, PhasePeak] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def processes(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _roles(self, processes: list[psutil.Process]) -> list[str]:
        if self.role_of is None:
            return ["" for _ in processes]
        by_pid = {proc.pid: proc for proc in processes}
        roles = []
        for proc in processes:
            ancestors: list[psutil.Process] = []
            with contextlib.suppress(psutil.NoSuchProcess):
                parent = proc.ppid() if proc.pid != self.root.pid else None
                while parent in by_pid:
                    ancestors.insert(0, by_pid[parent])
                    parent = by_pid[parent].ppid() if parent != self.root.pid else None
            roles.append(self.role_of(proc, ancestors))
        return roles

    def _run(self) -> None:
        known: list[int] = []
        roles: list[str] = []
        for sample in itertools.count():
            if self._stop.is_set():
                return
            processes = self.processes()
            # Naming the processes reads their command lines: every tenth sample, or when the processes change.
            pids = [proc.pid for proc in processes]
            if sample % 10 == 0 or pids != known:
                known, roles = pids, self._roles(processes)
            phase = self.phase_of(list(zip(processes, roles, strict=True))) if self.phase_of else None
            sizes, pss, by_role = [], 0, {}
            for proc, role in zip(processes, roles, strict=True):
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    if sample % 5 == 0:
                        info = proc.memory_full_info()
                        pss += info.pss
                    else:
                        info = proc.memory_info()
                    sizes.append(info.rss)
                    count, total = by_role.get(role, (0, 0))
                    by_role[role] = (count + 1, total + info.rss)
            if sizes and sum(sizes) > self.peak:
                self.peak, self.peak_largest, self.peak_processes = sum(sizes), max(sizes), len(sizes)
            self.peak_pss = max(self.peak_pss, pss)
            if phase is not None and sizes:
                peak = self.phases.setdefault(phase, PhasePeak())
                if sum(sizes) > peak.rss:
                    peak.rss = sum(sizes)
                    peak.roles = [
                        (role if count == 1 else f"{role} ×{count}", total)
                        for role, (count, total) in sorted(by_role.items(), key=lambda item: -item[1][1])
                    ]
                peak.pss = max(peak.pss, pss)
            time.sleep(self.every)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join()


def build_once(tree: Path | None, corpus: Path, work: Path) -> dict:
    """One cold build of `corpus` with the code in `tree` (None: the installed package): seconds, peak summed RSS
    and the largest process at that peak, peak summed PSS."""
    out = work / "bundle"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(tree or "-"), "build", str(corpus), "--out", str(out), "--no-cache"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = TreeSampler(process.pid)
    _, errors = process.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    if process.returncode != 0:
        raise RuntimeError(f"build with {tree} failed:\n{errors[-3000:]}")
    shutil.rmtree(out, ignore_errors=True)
    parsed = PARSED.search(errors)
    return {
        "seconds": seconds,
        "parse": float(parsed.group(1)) if parsed else float("nan"),
        "peak": sampler.peak,
        "largest": sampler.peak_largest,
        "pss": sampler.peak_pss,
    }


def subset(corpus: Path, n_records: int, work: Path) -> Path:
    """A folder of symbolic links to the first `n_records` record files of `corpus` and their side files."""
    folder = work / f"subset-{n_records}"
    figures, data = folder / "_figures", folder / "_data"
    figures.mkdir(parents=True)
    data.mkdir()
    stems = sorted(path.name for path in (corpus / "_figures").iterdir())[:n_records]
    for name in stems:
        (figures / name).symlink_to(corpus / "_figures" / name)
    wanted = {name.rsplit(".", 1)[0] for name in stems}
    for path in (corpus / "_data").iterdir():
        if path.name.rsplit("-", 1)[0] in wanted:
            (data / path.name).symlink_to(path)
    return folder


def rate_once(tree: Path | str | None, corpus: Path) -> float:
    """Records per second of one run (a fresh process): a version's cold load, or python-frontmatter's loop."""
    found = subprocess.run(
        [sys.executable, "-c", RATE, str(tree or "-"), str(corpus)], capture_output=True, text=True, check=True
    )
    return float(found.stdout.split()[-1])


def compare_rates(trees: dict[str, Path | None], corpus: Path, runs: int, n_records: int) -> None:
    """Records per second of each version and of python-frontmatter on the same files, runs alternating."""
    work = Path(tempfile.mkdtemp(prefix="rate-"))
    try:
        folder = subset(corpus, n_records, work)
        found: dict[str, list[float]] = {name: [] for name in [*trees, "frontmatter"]}
        for _ in range(runs):
            for name, tree in trees.items():
                found[name].append(rate_once(tree, folder))
            found["frontmatter"].append(rate_once("frontmatter", folder))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    theirs = statistics.median(found["frontmatter"])
    for name, rates in found.items():
        ours = statistics.median(rates)
        print(
            f"{n_records:>8,}  {name:<12} {ours:>9,.0f} records/s  {ours / theirs:>5.1f}× python-frontmatter   (runs: "
            + ", ".join(f"{rate:,.0f}" for rate in rates)
            + ")",
            flush=True,
        )


def median_of(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "pfocr-bench")
    parser.add_argument(
        "--code",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="a version to run: a folder holding its dashboard/ package, or - for the installed one (repeatable)",
    )
    parser.add_argument("--rate", type=int, metavar="N", help="records/s on N records against python-frontmatter")
    args = parser.parse_args()
    trees: dict[str, Path | None] = {}
    for given in args.code or ["installed=-"]:
        name, _, folder = given.partition("=")
        trees[name] = None if folder in ("", "-") else Path(folder).resolve()
    if args.rate:
        for size in args.sizes:
            corpus = args.corpus_dir / f"corpus-{size}"
            if not corpus.exists():
                make_corpus.write_corpus(corpus, size, seed=1)
            print(f"corpus-{size}:")
            compare_rates(trees, corpus, args.runs, min(args.rate, size))
        return
    print(
        f"{'figures':>8}  {'code':<10} {'time s':>7} {'tables s':>9} {'peak RSS, all processes':>24}"
        f" {'largest process':>16} {'peak PSS, all':>14}"
    )
    for size in args.sizes:
        corpus = args.corpus_dir / f"corpus-{size}"
        if not corpus.exists():
            make_corpus.write_corpus(corpus, size, seed=1)
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        work = Path(tempfile.mkdtemp(prefix=f"ingest-{size}-"))
        try:
            for _ in range(args.runs):
                for name, tree in trees.items():
                    runs[name].append(build_once(tree, corpus, work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for name, found in runs.items():
            median = median_of(found)
            print(
                f"{size:>8,}  {name:<10} {median['seconds']:>7.1f} {median['parse']:>9.1f}"
                f" {median['peak'] / MIB:>20,.0f} MiB"
                f" {median['largest'] / MIB:>12,.0f} MiB {median['pss'] / MIB:>10,.0f} MiB   (runs: "
                + ", ".join(
                    f"{run['seconds']:.1f} s ({run['parse']:.1f} s tables) / {run['peak'] / MIB:,.0f} MiB"
                    for run in found
                )
                + ")",
                flush=True,
            )


if __name__ == "__main__":
    main()
