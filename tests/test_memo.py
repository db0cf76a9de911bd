"""The one policy for what is kept from a corpus (analysis/memo.py): each value worked out once even when many
threads ask at once, other keys never kept waiting, failures not kept, the least recently asked dropped first, and
everything let go with its corpus."""

from __future__ import annotations

import gc
import os
import select
import threading
import warnings
import weakref

import numpy as np
import pytest

from dashboard.analysis.memo import Memo
from dashboard.analysis.model import Corpus
from dashboard.analysis.search import search_mask


def test_a_value_asked_for_by_many_threads_at_once_is_worked_out_once():
    memo, calls, started, release = Memo(), [], threading.Event(), threading.Event()

    def slow() -> list[int]:
        calls.append(1)
        started.set()
        release.wait(10)
        return [42]

    answers: list[object] = []
    first = threading.Thread(target=lambda: answers.append(memo.get("k", "a", slow)))
    first.start()
    started.wait(10)
    others = [threading.Thread(target=lambda: answers.append(memo.get("k", "a", slow))) for _ in range(6)]
    for thread in others:
        thread.start()
    assert memo.get("k", "b", lambda: "other key") == "other key"  # not held up by "a" being worked out
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert len(calls) == 1
    assert len(answers) == 7 and all(answer is answers[0] for answer in answers)


def test_a_failure_reaches_the_waiting_and_is_not_kept():
    memo, started, release = Memo(), threading.Event(), threading.Event()

    def failing() -> None:
        started.set()
        release.wait(10)
        raise RuntimeError("the index is gone")

    errors: list[BaseException] = []

    def ask() -> None:
        try:
            memo.get("k", "a", failing)
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask)]
    threads[0].start()
    started.wait(10)
    threads += [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert [str(e) for e in errors] == ["the index is gone"] * 4
    assert memo.keys("k") == []
    assert memo.get("k", "a", lambda: "worked out again") == "worked out again"


def test_a_kind_keeps_the_values_asked_for_last():
    memo = Memo()
    for key in "abc":
        memo.get("k", key, lambda key=key: key.upper(), keep=3)
    memo.get("k", "a", lambda: pytest.fail("kept: not worked out again"), keep=3)
    memo.get("k", "d", lambda: "D", keep=3)
    assert memo.keys("k") == ["c", "a", "d"]  # b, asked for least recently, went first
    assert memo.get("k", "b", lambda: "again", keep=3) == "again"
    memo.get("other", 1, lambda: 1)
    assert memo.keys("k") == ["a", "d", "b"] and memo.keys("other") == [1]


def test_what_a_corpus_keeps_goes_with_it(seed_corpus):
    corpus = Corpus(seed_corpus.tables)
    word = str(corpus.figures["title"].dropna().iloc[0]).split()[0]
    mask = search_mask(corpus, word)
    assert mask.any() and not mask.flags.writeable
    assert corpus.memo.keys("search masks") == [word] and corpus.memo is not seed_corpus.memo
    kept = weakref.ref(mask)
    gone = weakref.ref(corpus)
    del corpus, mask
    gc.collect()
    assert gone() is None and kept() is None


def test_the_corpus_counts_are_kept_read_only(seed_corpus):
    for counts in (seed_corpus.gene_totals(), seed_corpus.figure_sizes(True), seed_corpus.text_rank("title")):
        assert isinstance(counts, np.ndarray) and not counts.flags.writeable
    assert seed_corpus.gene_totals() is seed_corpus.gene_totals()


def test_a_computation_asking_for_its_own_key_is_an_error_not_a_wait_forever():
    memo = Memo()

    def loop() -> int:
        return memo.get("k", "a", loop)

    with pytest.raises(RuntimeError, match="asked for k 'a' itself"):
        memo.get("k", "a", loop)
    assert memo.get("k", "a", lambda: 1) == 1  # the failure was not kept


def test_a_value_being_worked_out_is_not_dropped_to_make_room():
    memo, started, release, calls = Memo(), threading.Event(), threading.Event(), []

    def slow() -> str:
        calls.append("x")
        started.set()
        release.wait(10)
        return "X"

    first = threading.Thread(target=lambda: memo.get("k", "x", slow, keep=1))
    first.start()
    started.wait(10)
    assert memo.get("k", "y", lambda: "Y", keep=1) == "Y"
    assert memo.keys("k") == ["x", "y"]  # over the bound while x is worked out: x is not dropped
    waiting = threading.Thread(target=lambda: memo.get("k", "x", slow, keep=1))
    waiting.start()
    release.set()
    first.join(10)
    waiting.join(10)
    assert calls == ["x"]  # the second request waited for the first's answer


class Interrupted(BaseException):
    """Stands for KeyboardInterrupt or SystemExit reaching a thread."""


def test_an_interruption_stays_with_its_thread_and_the_waiting_are_told():
    memo, started, release = Memo(), threading.Event(), threading.Event()

    def interrupted() -> None:
        started.set()
        release.wait(10)
        raise Interrupted

    raised: list[BaseException] = []

    def ask() -> None:
        try:
            memo.get("k", "a", interrupted)
        except BaseException as exc:
            raised.append(exc)

    owner = threading.Thread(target=ask)
    owner.start()
    started.wait(10)
    waiter = threading.Thread(target=ask)
    waiter.start()
    release.set()
    owner.join(10)
    waiter.join(10)
    assert sorted(type(exc).__name__ for exc in raised) == ["Interrupted", "RuntimeError"]
    assert memo.keys("k") == []


def test_a_forked_child_works_out_what_its_parent_was_still_working_out():
    memo, started, release = Memo(), threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "parent's"

    worker = threading.Thread(target=lambda: memo.get("k", "a", slow))
    worker.start()
    started.wait(10)
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with a thread alive: on purpose here
        child = os.fork()
    if child == 0:
        os.close(read)
        os.write(write, memo.get("k", "a", lambda: "child's").encode())
        os._exit(0)
    os.close(write)
    try:
        ready, _, _ = select.select([read], [], [], 10)
        answer = os.read(read, 100).decode() if ready else "no answer within 10 s"
    finally:
        os.close(read)
        os.waitpid(child, 0)
        release.set()
        worker.join(10)
    assert answer == "child's"
    assert memo.get("k", "a", lambda: "again") == "parent's"
