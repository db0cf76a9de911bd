"""Analysis floor: what is worked out from one corpus for its requests and kept with it (`corpus.memo`), under one
policy.

Every value derived from a corpus on demand and kept for later requests — a search's figures, a species' gene-set
sizes, a term index, the corpus map, a drawn network — is kept here, by kind and key (the corpus' own indexes,
built once at start-up, are its cached properties):

- A kind keeps at most `keep` values (None: all of them, for kinds whose keys are few and fixed, such as the two
  states of the exact switch), dropping the one asked for least recently first; a value still being worked out
  is never dropped.
- A value is worked out once: a request asking for a key being worked out waits for that answer rather than
  working it out again; requests for other keys never wait on it. A computation may ask the memo for values of
  other kinds, never for its own key (that is an error, not a wait forever).
- A computation that fails is not kept: its error reaches everyone waiting for it, and the next request tries
  again. An interruption (KeyboardInterrupt, SystemExit) stays with the thread it hit; those waiting get an error
  saying the value was not worked out.
- Values are shared by every request and thread: nobody changes one after it is kept (arrays are returned
  read-only where a caller could write to them).
- The memo lives and dies with its corpus: a corpus let go takes its values with it. A process forked while a
  value was being worked out (gunicorn forks its workers from a master that built the corpus) starts without it.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


class Memo:
    """Values worked out from one corpus, by kind and key (the policy is the module's docstring)."""

    def __init__(self) -> None:
        self._kinds: dict[str, OrderedDict[Hashable, Future]] = {}
        self._lock = threading.Lock()  # held to look up, insert and drop: never while a value is worked out
        _MEMOS.add(self)

    def get(self, kind: str, key: Hashable, compute: Callable[[], T], keep: int | None = None) -> T:
        """The kind's value for `key`: kept, being worked out (waited for), or worked out now by `compute`."""
        with self._lock:
            kept = self._kinds.setdefault(kind, OrderedDict())
            future = kept.get(key)
            mine = future is None
            if mine:
                future = kept[key] = Future()
                future.owner = threading.get_ident()
                self._drop_beyond(kept, keep)
            else:
                kept.move_to_end(key)
        if mine:
            self._work_out(kept, key, future, compute)
        elif not future.done() and future.owner == threading.get_ident():
            raise RuntimeError(f"working out {kind} {key!r} asked for {kind} {key!r} itself")
        return future.result()

    def keys(self, kind: str) -> list[Hashable]:
        """The keys a kind keeps, the one asked for least recently first."""
        with self._lock:
            return list(self._kinds.get(kind, ()))

    def _work_out(self, kept: OrderedDict, key: Hashable, future: Future, compute: Callable[[], object]) -> None:
        try:
            future.set_result(compute())
        except Exception as exc:
            self._forget(kept, key, future)
            future.set_exception(exc)
        except BaseException as exc:
            self._forget(kept, key, future)
            future.set_exception(RuntimeError(f"{key!r} was not worked out: {type(exc).__name__}"))
            raise

    def _forget(self, kept: OrderedDict, key: Hashable, future: Future) -> None:
        with self._lock:
            if kept.get(key) is future:
                del kept[key]

    @staticmethod
    def _drop_beyond(kept: OrderedDict, keep: int | None) -> None:
        """Drop the least recently asked finished values beyond `keep` (the lock is held)."""
        if keep is None:
            return
        for key in [key for key, future in kept.items() if future.done()][: max(0, len(kept) - keep)]:
            del kept[key]

    def _after_fork(self) -> None:
        """In a forked child: a new lock (the parent's may have been held), and no value left half worked out."""
        self._lock = threading.Lock()
        for kept in self._kinds.values():
            for key in [key for key, future in kept.items() if not future.done()]:
                del kept[key]


_MEMOS: weakref.WeakSet[Memo] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for memo in list(_MEMOS):
        memo._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
