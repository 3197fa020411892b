"""benchmarks/service.py runs end to end against a real `governance serve` and loses no entry."""

from __future__ import annotations

from benchmarks.service import CLIENTS, run


def test_small_run_reports_every_figure() -> None:
    figures = {f["name"]: f for f in run(True, count=24, postgres=False)}
    for name in ("service.inprocess.decide", "service.inprocess.recorded", "service.sqlite.unrecorded.c16"):
        assert figures[name]["value"] > 0, name
    for clients in CLIENTS:
        stem = f"service.sqlite.recorded.c{clients}"
        assert figures[stem]["value"] > 0
        assert ", 0 failed;" in figures[stem]["note"]
        assert figures[f"{stem}.server_cpu_per_request"]["value"] > 0  # measured from /proc, every worker
        assert figures[f"{stem}.client_cpu_per_request"]["value"] > 0
        assert 0 < figures[f"{stem}.latency_p50"]["value"] <= figures[f"{stem}.latency_p99"]["value"]
    assert figures["service.sqlite.entries_per_checkpoint"]["value"] >= 1
