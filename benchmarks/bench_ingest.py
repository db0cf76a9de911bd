"""Cold-ingest benchmark: `pfocr-dashboard build CORPUS --out BUNDLE --no-cache`, time and peak memory.

    pip install -e ".[bench]"
    python benchmarks/bench_ingest.py --sizes 10000 30000 [--runs 3] [--code NAME=DIR ...]

For each corpus size (made with make_corpus.py if missing) it runs the build `--runs` times and prints the median
wall time and the median of each run's peak summed resident memory (RSS) of the build and every process it starts
(its parsing workers), sampled every 20 ms, with the largest process's share at that peak, and the median peak
of their summed PSS (which counts a page shared by forked processes once). With `--code NAME=DIR`
(repeatable; DIR holds another version's package exported with its data folders, e.g.
`git archive REV dashboard | tar -x -C DIR && git archive --prefix=dashboard/ REV assets seeds | tar -x -C DIR`;
`-` is the installed one) the runs of the versions alternate, so that all see the same machine, and they are
printed side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import shutil
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

MIB = 2**20
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


class TreeSampler:
    """Peaks of the memory of a process and all its descendants, sampled in a thread: the summed RSS (every 20 ms;
    with the largest process at that peak), and the summed PSS (shared pages split between the processes that map
    them, which is what they take together; read from /proc/PID/smaps_rollup, so every fifth sample)."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.root = psutil.Process(pid)
        self.every = every
        self.peak = self.peak_largest = self.peak_processes = self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def processes(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _run(self) -> None:
        for sample in itertools.count():
            if self._stop.is_set():
                return
            sizes, pss = [], 0
            for proc in self.processes():
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    if sample % 5 == 0:
                        info = proc.memory_full_info()
                        pss += info.pss
                    else:
                        info = proc.memory_info()
                    sizes.append(info.rss)
            if sizes and sum(sizes) > self.peak:
                self.peak, self.peak_largest, self.peak_processes = sum(sizes), max(sizes), len(sizes)
            self.peak_pss = max(self.peak_pss, pss)
            time.sleep(self.every)

    def stop(self) -> None:
        self._stop.set()
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
    return {
        "seconds": seconds,
        "peak": sampler.peak,
        "largest": sampler.peak_largest,
        "pss": sampler.peak_pss,
    }


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
    args = parser.parse_args()
    trees: dict[str, Path | None] = {}
    for given in args.code or ["installed=-"]:
        name, _, folder = given.partition("=")
        trees[name] = None if folder in ("", "-") else Path(folder).resolve()
    print(
        f"{'figures':>8}  {'code':<10} {'time s':>7} {'peak RSS, all processes':>24} {'largest process':>16}"
        f" {'peak PSS, all':>14}"
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
                f"{size:>8,}  {name:<10} {median['seconds']:>7.1f} {median['peak'] / MIB:>20,.0f} MiB"
                f" {median['largest'] / MIB:>12,.0f} MiB {median['pss'] / MIB:>10,.0f} MiB   (runs: "
                + ", ".join(f"{run['seconds']:.1f} s / {run['peak'] / MIB:,.0f} MiB" for run in found)
                + ")",
                flush=True,
            )


if __name__ == "__main__":
    main()
