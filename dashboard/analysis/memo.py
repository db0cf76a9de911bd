"""Analysis floor: what is worked out from one corpus and kept with it (`corpus.memo`), under one policy.

Every value derived from a corpus and kept for later requests — a search's figures, a species' gene-set sizes, a
term index, the corpus map, a drawn network — is kept here, by kind and key, and nowhere else:

- A kind keeps at most `keep` values (None: all of them, for kinds whose keys are few and fixed, such as the two
  states of the exact switch), dropping the one asked for least recently first.
- A value is worked out once: a request asking for a key being worked out waits for that answer rather than
  working it out again; requests for other keys never wait on it.
- A computation that fails is not kept: its error reaches everyone waiting for it, and the next request tries
  again.
- Values are shared by every request and thread: nobody changes one after it is kept (arrays are made
  read-only before they are returned).
- The memo lives and dies with its corpus: a corpus let go takes its values with it.
"""

from __future__ import annotations

import threading
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

    def get(self, kind: str, key: Hashable, compute: Callable[[], T], keep: int | None = None) -> T:
        """The kind's value for `key`: kept, being worked out (waited for), or worked out now by `compute`."""
        with self._lock:
            kept = self._kinds.setdefault(kind, OrderedDict())
            future = kept.get(key)
            mine = future is None
            if mine:
                future = kept[key] = Future()
                while keep is not None and len(kept) > keep:
                    kept.popitem(last=False)  # one being worked out still answers those waiting for it
            else:
                kept.move_to_end(key)
        if mine:
            try:
                future.set_result(compute())
            except BaseException as exc:
                with self._lock:
                    if kept.get(key) is future:
                        del kept[key]
                future.set_exception(exc)
        return future.result()

    def keys(self, kind: str) -> list[Hashable]:
        """The keys a kind keeps, the one asked for least recently first."""
        with self._lock:
            return list(self._kinds.get(kind, ()))
