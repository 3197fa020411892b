"""Group commit: concurrent appends share one transaction and checkpoint; a refused request fails alone."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import pytest

from governance.exceptions import LedgerError
from governance.ledger.entry import PendingEntry, prepare_entry
from governance.ledger.signing import SigningKey
from governance.ledger.store import AppendResult, Ledger
from governance.ledger.verify import verify_source
from governance.service.appender import Appender
from tests.ledger.builders import KEY, items


class _GatedLedger:
    """A ledger whose first append waits for a signal, so that the next requests queue behind it."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.entered = threading.Event()
        self.release = threading.Event()
        self.batches: list[int] = []

    def append_many(self, entries: Sequence[PendingEntry], key: SigningKey, **options: Any) -> list[AppendResult]:
        if not self.batches:
            self.entered.set()
            self.release.wait(10)
        self.batches.append(len(entries))
        return self.ledger.append_many(entries, key, **options)


@pytest.fixture(name="ledger")
def _ledger(tmp_path: Path) -> Ledger:
    return Ledger.open(tmp_path / "ledger.sqlite", create=True)


def _pending(count: int) -> list[PendingEntry]:
    return [prepare_entry(c, p, d, actor="tester") for c, p, d in items(count)]


class _Held(Protocol):
    entered: threading.Event
    release: threading.Event


def _queued_behind(
    held: _Held, appender: Appender, first: Sequence[PendingEntry], rest: list[Sequence[PendingEntry]]
) -> list[Future[list[AppendResult]]]:
    """Submit ``first``; once its commit is held, queue every batch of ``rest`` behind it; then let it go."""
    with ThreadPoolExecutor(max_workers=len(rest) + 1) as pool:
        futures = [pool.submit(appender.submit, first)]
        assert held.entered.wait(10)
        futures += [pool.submit(appender.submit, entries) for entries in rest]
        while appender._queue.qsize() < len(rest):  # every request is queued behind the held commit
            threading.Event().wait(0.01)
        held.release.set()
    return futures


def test_requests_queued_during_a_commit_share_the_next_one(ledger: Ledger) -> None:
    gated = _GatedLedger(ledger)
    appender = Appender(gated, KEY, gather=False)  # type: ignore[arg-type]
    pending = _pending(9)
    futures = _queued_behind(gated, appender, pending[:1], [pending[i : i + 2] for i in range(1, 9, 2)])
    results = [f.result(10) for f in futures]
    appender.close()
    assert gated.batches == [1, 8]
    assert sorted(r.seq for batch in results for r in batch) == list(range(9))
    assert [len(batch) for batch in results] == [1, 2, 2, 2, 2]
    with ledger.read() as reader:
        assert [c.tree_size for c in reader.checkpoints()] == [1, 9]
        assert verify_source(reader).ok


def test_a_request_the_ledger_refuses_fails_alone(ledger: Ledger) -> None:
    gated = _GatedLedger(ledger)
    appender = Appender(gated, KEY)  # type: ignore[arg-type]
    pending = _pending(4)
    first, repeated, good = _queued_behind(gated, appender, pending[:1], [pending[:1], pending[1:3]])  # id again
    assert [r.seq for r in first.result(10)] == [0]
    with pytest.raises(LedgerError, match="already in the ledger"):
        repeated.result(10)
    assert [r.seq for r in good.result(10)] == [1, 2]
    appender.close()
    with pytest.raises(LedgerError, match="shutting down"):
        appender.submit(pending[3:])
    assert ledger.size() == 3


def test_closing_commits_what_is_queued(ledger: Ledger) -> None:
    appender = Appender(ledger, KEY)
    pending = _pending(6)
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(appender.submit, [entry]) for entry in pending]
        results = [f.result(10) for f in futures]
    appender.close()
    assert sorted(r[0].seq for r in results) == list(range(6))
    assert ledger.size() == 6


class _LockedLedger:
    """A ledger whose first append waits (as for another worker's write lock) before it takes the lock."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def append_many(
        self, entries: Sequence[PendingEntry], key: SigningKey, *, more: Callable[[], Sequence[PendingEntry]]
    ) -> list[AppendResult]:
        self.calls += 1
        self.entered.set()
        self.release.wait(10)
        return self.ledger.append_many(entries, key, more=more)


def test_requests_queued_while_waiting_for_the_write_lock_join_that_commit(ledger: Ledger) -> None:
    locked = _LockedLedger(ledger)
    appender = Appender(locked, KEY)  # type: ignore[arg-type]
    pending = _pending(9)
    futures = _queued_behind(locked, appender, pending[:1], [pending[i : i + 2] for i in range(1, 9, 2)])
    results = [f.result(10) for f in futures]
    appender.close()
    assert locked.calls == 1
    assert [[r.seq for r in batch] for batch in results] == [[0], [1, 2], [3, 4], [5, 6], [7, 8]]
    assert all(r.tree_size == 9 for batch in results for r in batch)
    with ledger.read() as reader:
        assert [c.tree_size for c in reader.checkpoints()] == [9]
        assert verify_source(reader).ok
