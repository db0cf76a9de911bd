"""Corpus floor: the progress of a long load (phase, records parsed of all, rate, time left), and its terminal report.

The counters live in an anonymous shared memory map, so every process forked from the one that made them sees
the same numbers: the child process that parses a large corpus, and the Procfile's builder process, whose progress
the loading page shows.
"""

from __future__ import annotations

import logging
import mmap
import struct
import sys
import threading
import time
from typing import NamedTuple, TextIO, TypeVar

log = logging.getLogger(__name__)

PHASES = (
    "starting",
    "finding files",
    "fetching",
    "reading",
    "parsing",
    "building tables",
    "writing",
    "mapping",
    "indexing",
    "ready",
    "failed",
)
READY, FAILED = PHASES.index("ready"), PHASES.index("failed")
# phase, records done, records in all, started (epoch s), phase started (epoch s), figures, message length
_HEADER = struct.Struct("<qqqddqq")
_MESSAGE_BYTES = 1024
T = TypeVar("T")


class Snapshot(NamedTuple):
    """One reading of the counters."""

    phase: str
    done: int
    total: int
    elapsed: float  # seconds since the load started
    rate: float  # records per second in the current phase (0 when not counting records)
    eta: float | None  # seconds left in the current phase, when it can be told
    figures: int
    message: str

    def describe(self) -> str:
        """`parsing 12,345 of 110,000 records · 2,400 records/s · about 40 s left`, or just the phase."""
        if self.phase in ("ready", "failed"):
            return self.message or self.phase
        if not self.total:
            return self.phase
        text = f"{self.phase}: {self.done:,} of {self.total:,} records"
        if self.rate > 0:
            text += f" · {self.rate:,.0f} records/s"
        if self.eta is not None:
            text += f" · about {self.eta:,.0f} s left"
        return text

    def to_json(self) -> dict:
        return {
            "phase": self.phase,
            "records": {"done": self.done, "total": self.total},
            "rate": round(self.rate, 1),
            "eta_seconds": None if self.eta is None else round(self.eta, 1),
            "elapsed_seconds": round(self.elapsed, 1),
        }


class Progress:
    """Counters of one load, shared with the processes forked after it was made."""

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, _HEADER.size + _MESSAGE_BYTES)
        now = time.time()
        self._write(0, 0, 0, now, now, 0, "")

    def _read(self) -> tuple:
        header = _HEADER.unpack_from(self._memory, 0)
        length = min(max(header[6], 0), _MESSAGE_BYTES)
        message = self._memory[_HEADER.size : _HEADER.size + length].decode("utf-8", "replace")
        return (*header[:6], message)

    def _write(self, phase: int, done: int, total: int, started: float, since: float, figures: int, message: str):
        encoded = message.encode()[:_MESSAGE_BYTES]
        self._memory[_HEADER.size : _HEADER.size + len(encoded)] = encoded
        _HEADER.pack_into(self._memory, 0, phase, done, total, started, since, figures, len(encoded))

    def begin(self, phase: str, total: int = 0) -> None:
        """Enter a phase; `total` is the number of records it counts (0: it counts none)."""
        _, _, _, started, _, figures, message = self._read()
        self._write(PHASES.index(phase), 0, total, started, time.time(), figures, message)

    def advance(self, count: int = 1) -> None:
        """Count records done in the current phase."""
        struct.pack_into("<q", self._memory, 8, struct.unpack_from("<q", self._memory, 8)[0] + count)

    def finish(self, figures: int, message: str) -> None:
        _, _, total, started, _, _, _ = self._read()
        self._write(READY, total, total, started, time.time(), figures, message)

    def fail(self, message: str) -> None:
        _, done, total, started, since, figures, _ = self._read()
        self._write(FAILED, done, total, started, since, figures, message)

    def snapshot(self) -> Snapshot:
        phase, done, total, started, since, figures, message = self._read()
        now = time.time()
        running = now - since
        rate = done / running if total and done and running > 0 else 0.0
        eta = (total - done) / rate if rate > 0 and phase not in (READY, FAILED) else None
        return Snapshot(PHASES[phase], done, total, now - started, rate, eta, figures, message)

    @property
    def ready(self) -> bool:
        return self._read()[0] == READY

    @property
    def failed(self) -> bool:
        return self._read()[0] == FAILED


class TerminalReport:
    """Shows a load's progress while it runs: a bar redrawn in place on a terminal; otherwise (a log file, a
    platform's log stream) a log line at each new phase and every few seconds within one. Use as a context manager
    around the load, or `start()` and `stop()`."""

    def __init__(self, progress: Progress, stream: TextIO | None = None, every: float = 5.0) -> None:
        self.progress = progress
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress-report", daemon=True)
        self._last = ""
        self._last_phase = ""
        self._logged_at = 0.0

    def start(self) -> TerminalReport:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        if self.tty and self._last:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> TerminalReport:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.show(self.progress.snapshot())

    def show(self, snapshot: Snapshot) -> None:
        if snapshot.phase in ("starting", "ready", "failed"):
            return
        if not self.tty:
            now = time.monotonic()
            if snapshot.phase != self._last_phase or now - self._logged_at >= self.every:
                log.info("%s", snapshot.describe())
                self._last_phase, self._logged_at = snapshot.phase, now
            return
        bar = ""
        if snapshot.total:
            filled = int(30 * min(snapshot.done, snapshot.total) / snapshot.total)
            bar = "[" + "#" * filled + "." * (30 - filled) + "] "
        line = bar + snapshot.describe()
        self.stream.write("\r" + line.ljust(len(self._last)))
        self.stream.flush()
        self._last = line
