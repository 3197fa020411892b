"""Prometheus metrics: requests, latency, decisions by tier and policy, appends, ledger size.

Each app has its own registry (so that several apps in one process, as in tests, do not mix). With
``serve --workers N`` (N > 1) the workers count into files in one directory made for that run
(prometheus_client's multiprocess mode, :func:`shared_across_workers`), and every scrape, whichever
worker answers it, adds up all of them, workers since killed and restarted included. The ledger size
is read from the ledger at scrape time, so it is the same from every worker.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "MULTIPROCESS_ENV", "Metrics", "shared_across_workers"]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""Where the workers of one run keep their counts (read by prometheus_client when it is imported)."""

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class _LedgerSize(Collector):
    def __init__(self, size: Callable[[], int]) -> None:
        self._size = size

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("governance_ledger_entries", "Entries in the ledger.", value=self._size())


class Metrics:
    """The service's metrics, in one registry."""

    def __init__(self, ledger_size: Callable[[], int]) -> None:
        """Count into a new registry; ``ledger_size`` is called at each scrape."""
        self._ledger_size = ledger_size
        self._shared = os.environ.get(MULTIPROCESS_ENV) or None
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "governance_http_requests",
            "HTTP requests by method, route and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "governance_http_request_duration_seconds",
            "HTTP request latency by method and route.",
            ("method", "route"),
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.decisions = Counter(
            "governance_decisions",
            "Decisions made, by policy, tier and whether they were recorded.",
            ("policy", "tier", "recorded"),
            registry=self.registry,
        )
        self.appends = Counter(
            "governance_ledger_appends", "Ledger transactions (each with one checkpoint).", registry=self.registry
        )
        self.appended = Counter("governance_ledger_appended_entries", "Entries appended.", registry=self.registry)
        self.batch = Histogram(
            "governance_ledger_append_batch_entries",
            "Entries per group-committed append.",
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_LedgerSize(ledger_size))

    def observe_batch(self, entries: int) -> None:
        """Count one committed append of ``entries`` entries."""
        self.appends.inc()
        self.appended.inc(entries)
        self.batch.observe(entries)

    def render(self) -> bytes:
        """The text exposition format: this process's counts, or every worker's added up."""
        if self._shared is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self._shared)  # type: ignore[no-untyped-call]
        registry.register(_LedgerSize(self._ledger_size))
        return generate_latest(registry)


@contextmanager
def shared_across_workers(workers: int) -> Iterator[Path | None]:
    """For ``workers`` > 1 processes: a fresh directory for their metrics, named in the environment they inherit.

    Set before the workers start (prometheus_client picks its storage when imported) and removed
    afterwards. A directory the environment already names is used as it is and kept.
    """
    given = os.environ.get(MULTIPROCESS_ENV)
    if given or workers < 2:
        yield Path(given) if given else None
        return
    folder = tempfile.mkdtemp(prefix="governance-metrics-")
    os.environ[MULTIPROCESS_ENV] = folder
    try:
        yield Path(folder)
    finally:
        os.environ.pop(MULTIPROCESS_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)
