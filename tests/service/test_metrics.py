"""/metrics with several worker processes: every scrape adds up every worker's counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from governance.service.metrics import MULTIPROCESS_ENV, shared_across_workers

ROOT = Path(__file__).resolve().parents[2]

_WORKER = """
import sys
from governance.service.metrics import Metrics
metrics = Metrics(lambda: 7)
for _ in range(int(sys.argv[1])):
    metrics.requests.labels("POST", "/v1/decisions", "200").inc()
    metrics.latency.labels("POST", "/v1/decisions").observe(0.003)
metrics.observe_batch(int(sys.argv[1]))
sys.stdout.write(metrics.render().decode())
"""


def _worker(count: int, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, str(count)], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    return done.stdout


def test_each_scrape_adds_up_the_counts_of_every_worker_of_the_run() -> None:
    before = os.environ.get(MULTIPROCESS_ENV)
    with shared_across_workers(3) as folder:
        assert folder is not None and folder.is_dir()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        _worker(2, env)
        _worker(3, env)  # this worker exits; its counts still count
        text = _worker(4, env)
    assert os.environ.get(MULTIPROCESS_ENV) == before and not folder.exists()
    assert 'governance_http_requests_total{method="POST",route="/v1/decisions",status="200"} 9.0' in text
    assert 'governance_http_request_duration_seconds_count{method="POST",route="/v1/decisions"} 9.0' in text
    assert "governance_ledger_appends_total 3.0" in text
    assert "governance_ledger_appended_entries_total 9.0" in text
    assert "governance_ledger_entries 7.0" in text


def test_one_worker_counts_alone_and_makes_no_directory() -> None:
    env = {k: v for k, v in os.environ.items() if k != MULTIPROCESS_ENV}
    with shared_across_workers(1) as folder:
        assert folder is None
        text = _worker(2, {**env, "PYTHONPATH": str(ROOT)})
    assert 'governance_http_requests_total{method="POST",route="/v1/decisions",status="200"} 2.0' in text
