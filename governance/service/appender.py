"""Group commit: concurrent appends share one transaction and one signed checkpoint.

Request threads hand their prepared entries to :meth:`Appender.submit` and wait. One writer thread
takes everything queued at that moment (up to ``max_batch`` entries), appends it with one
:meth:`~governance.ledger.store.Ledger.append_many` (one transaction, one disk sync, one checkpoint)
and wakes each request with its own results. While that commit runs the next burst queues up, so the
rate of disk syncs, not of requests, bounds throughput. Several processes (``serve --workers N``)
each run a writer; the ledger's lock makes their commits one linear history. A writer that has to
wait for that lock (another worker is committing) takes in, once it holds it, everything its
process queued meanwhile, so the bursts of several workers still become few commits.

A request whose entries the ledger refuses fails alone: when a shared commit fails, each request of
the burst is retried in a transaction of its own. On shutdown the writer finishes what is queued;
a commit is all or nothing, so nothing is ever half-written.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from governance.exceptions import LedgerError
from governance.ledger.entry import PendingEntry
from governance.ledger.signing import SigningKey
from governance.ledger.store import AppendResult, Ledger

__all__ = ["Appender"]

BatchObserver = Callable[[int], None]


@dataclass
class _Job:
    entries: Sequence[PendingEntry]
    future: Future[list[AppendResult]] = field(default_factory=Future)


class Appender:
    """The one writer thread of a process: batches appends from concurrent requests."""

    def __init__(
        self,
        ledger: Ledger,
        key: SigningKey,
        *,
        max_batch: int = 1024,
        observe: BatchObserver | None = None,
        gather: bool = True,
    ) -> None:
        """Append to ``ledger`` with checkpoints signed by ``key``; ``observe`` sees each committed batch size.

        With ``gather``, a lone request's commit also takes in what queued while it waited for the
        ledger's write lock.
        """
        self._ledger = ledger
        self._key = key
        self._max_batch = max_batch
        self._observe = observe
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._closed = False
        self._stopping = False
        self._gather = gather
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="governance-appender", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """True while the writer runs."""
        return self._thread.is_alive() and not self._closed

    def submit(self, entries: Sequence[PendingEntry]) -> list[AppendResult]:
        """Append ``entries`` (all or none) in the next commit; wait for it and return their results.

        Raises:
            LedgerError: when the service is shutting down or the ledger refuses the entries.
            InputError: when the entries cannot be appended as given.
        """
        if not entries:
            return []
        return self._enqueue(entries).result()

    async def submit_async(self, entries: Sequence[PendingEntry]) -> list[AppendResult]:
        """:meth:`submit` for the event loop: waits for the commit without holding a thread."""
        if not entries:
            return []
        return await asyncio.wrap_future(self._enqueue(entries))

    def _enqueue(self, entries: Sequence[PendingEntry]) -> Future[list[AppendResult]]:
        job = _Job(list(entries))
        with self._lock:
            if self._closed:
                raise LedgerError("the service is shutting down; the entries were not recorded")
            self._queue.put(job)
        return job.future

    def close(self) -> None:
        """Commit what is queued, then stop the writer."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping:
            job = self._queue.get()
            if job is None:
                break
            jobs = [job]
            self._drain(jobs)
            self._commit(jobs)

    def _drain(self, jobs: list[_Job]) -> list[PendingEntry]:
        """Add what is queued now to ``jobs`` (up to ``max_batch`` entries); return the entries added."""
        added: list[PendingEntry] = []
        size = sum(len(job.entries) for job in jobs)
        while size < self._max_batch and not self._stopping:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                self._stopping = True
                break
            jobs.append(more)
            added.extend(more.entries)
            size += len(more.entries)
        return added

    def _commit(self, jobs: list[_Job]) -> None:
        entries = [entry for job in jobs for entry in job.entries]
        try:
            if self._gather:  # what queues while this waits for the write lock (another writer's commit) joins it
                results = self._ledger.append_many(entries, self._key, more=lambda: self._drain(jobs))
            else:
                results = self._ledger.append_many(entries, self._key)
        except BaseException as exc:
            if len(jobs) == 1:
                jobs[0].future.set_exception(exc)
                return
            for job in jobs:  # find the request the ledger refuses; the others still commit
                self._commit_alone(job)
            return
        self._settle(jobs, results)

    def _commit_alone(self, job: _Job) -> None:
        try:
            results = self._ledger.append_many(job.entries, self._key)
        except BaseException as exc:
            job.future.set_exception(exc)
            return
        self._settle([job], results)

    def _settle(self, jobs: list[_Job], results: list[AppendResult]) -> None:
        if self._observe is not None:
            self._observe(len(results))
        start = 0
        for job in jobs:
            end = start + len(job.entries)
            job.future.set_result(results[start:end])
            start = end
