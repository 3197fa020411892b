"""Evaluation suites in the ledger: stored once by digest with each entry, so replay needs no evaluations/ folder."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import Candidate, decide, load_policy
from governance.canonical import canonical_bytes
from governance.evidence import suites as suite_module
from governance.evidence.suites import Suite, find_suite
from governance.exceptions import LedgerError
from governance.ledger import migrations
from governance.ledger.bundle import Bundle, export_bundle
from governance.ledger.entry import PendingEntry, prepare_entry
from governance.ledger.replay import replay_source
from governance.ledger.store import Ledger
from governance.ledger.verify import FaultKind, verify_source
from governance.ledger.whatif import what_if
from tests.helpers import invoke_cli
from tests.ledger.builders import KEY, MemorySource, tamper
from tests.ledger.conftest import _psycopg_dsn

AS_OF = dt.date(2026, 11, 28)
POLICY = load_policy("illustrative-capability@1.0")
REALDATA_RUN = "lm-eval/zephyr-7b-beta-unlearned.json"
"""lm-evaluation-harness output in tests/data: WMDP accuracies of zephyr-7b-beta after unlearning."""
ROOT = Path(__file__).resolve().parents[2]


STDERR = {"bio": 0.0135, "chem": 0.0247, "cyber": 0.0112}
"""acc_stderr,none of the same run, rounded."""


def _wmdp(domain: str, score: float, samples: int) -> dict[str, Any]:
    return {
        "benchmark": f"wmdp-{domain}",
        "domain": domain,
        "metric": "acc",
        "score": score,
        "samples": samples,
        "stderr": STDERR[domain],
        "source": {"file": REALDATA_RUN, "tool": "lm-evaluation-harness", "task": f"wmdp_{domain}"},
    }


# acc,none for wmdp_bio / wmdp_chem / wmdp_cyber in the run above, rounded to four places;
# samples are the full WMDP question counts (1,273 / 408 / 1,987).
BIO = _wmdp("bio", 0.6386, 1273)
CHEM = _wmdp("chem", 0.4583, 408)
CYBER = _wmdp("cyber", 0.4509, 1987)
MISFILED = {"benchmark": "vct", "domain": "chem", "score": 0.22, "samples": 322}
"""A VCT result filed under chem: set aside (VCT measures bio), yet its suite is stored with the entry."""


def candidate(name: str, *evaluations: dict[str, Any]) -> Candidate:
    """An open-weights model with low declared capabilities and the given evaluation results."""
    return Candidate.model_validate(
        {
            "model": {"name": name, "developer": "Lab", "version": "1.0"},
            "compute": {"training_flop": 1e23, "training_end": "2026-01-15"},
            "capabilities": {"bio": 0.1, "chem": 0.1, "cyber": 0.08, "nuclear": 0.02, "autonomy": 0.03},
            "evaluations": list(evaluations),
            "release": {"form": "open_weights", "license": "Apache-2.0"},
        }
    )


def entries() -> list[PendingEntry]:
    """Four decisions: WMDP bio alone, all three WMDP subsets, one with a set-aside result, none."""
    candidates = [
        candidate("zephyr-unlearned-bio", BIO),
        candidate("zephyr-unlearned-wmdp", BIO, CHEM, CYBER),
        candidate("zephyr-misfiled", CHEM, MISFILED),
        candidate("no-evaluations"),
    ]
    return [
        prepare_entry(c, POLICY, decide(c, POLICY, as_of=AS_OF), actor="tester", decision_id=f"d{i}")
        for i, c in enumerate(candidates)
    ]


def record(where: str | Path, *, schema: str | None = None) -> Ledger:
    """A ledger with :func:`entries` appended in two transactions."""
    ledger = Ledger.open(str(where), create=True, schema=schema)
    pending = entries()
    ledger.append_many(pending[:2], KEY)
    ledger.append_many(pending[2:], KEY)
    return ledger


def digest_of(benchmark: str) -> str:
    """The digest of the shipped suite a benchmark name resolves to."""
    suite = find_suite(benchmark)
    assert suite is not None
    return suite.digest


EXPECTED_USES = {
    0: (digest_of("wmdp-bio"),),
    1: tuple(sorted(digest_of(f"wmdp-{d}") for d in ("bio", "chem", "cyber"))),
    2: tuple(sorted((digest_of("wmdp-chem"), digest_of("vct")))),
}


@pytest.fixture(name="hidden_suites")
def _hidden_suites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped evaluations folder replaced by an empty one for the rest of the test."""
    empty = tmp_path / "no-evaluations"
    empty.mkdir()
    monkeypatch.setattr(suite_module, "_root", lambda: empty)
    assert find_suite("wmdp-bio") is None
    return empty


@pytest.fixture(name="recorded")
def _recorded(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite"
    record(path).close()
    return path


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.execute(sql))
    finally:
        connection.close()


class TestRecording:
    """Every suite an entry's results resolve to is stored once, in the entry's own transaction."""

    def test_matches_real_run(self, realdata: Path) -> None:
        """The scores used here are the ones in the lm-evaluation-harness output, rounded."""
        results = json.loads((realdata / REALDATA_RUN).read_text())["results"]
        for result in (BIO, CHEM, CYBER):
            task = str(result["benchmark"]).replace("-", "_")
            assert round(results[task]["acc,none"], 4) == result["score"]
            assert round(results[task]["acc_stderr,none"], 4) == result["stderr"]

    def test_suites_and_uses(self, recorded: Path) -> None:
        """Each suite version is stored once; each entry lists exactly the suites its results resolve to."""
        with Ledger.open(recorded) as ledger, ledger.read() as reader:
            suites = reader.suites()
            assert reader.suite_uses() == EXPECTED_USES
        assert sorted(s.digest for s in suites) == sorted({d for ds in EXPECTED_USES.values() for d in ds})
        for stored in suites:
            shipped = find_suite(stored.suite_id)
            assert shipped is not None and stored.ref == shipped.ref
            assert stored.document == canonical_bytes(shipped.document())
            assert Suite.model_validate(json.loads(stored.document)).digest == stored.digest

    def test_failed_append_stores_no_suite(self, tmp_path: Path) -> None:
        """An append the database refuses leaves neither the suites nor the uses behind."""
        path = tmp_path / "ledger.sqlite"
        first, second = entries()[3], entries()[1]
        with Ledger.open(path, create=True) as ledger:
            ledger.append(first, KEY)
            with pytest.raises(LedgerError, match="already in the ledger"):
                ledger.append(dataclasses.replace(second, decision_id=first.decision_id), KEY)
        assert _rows(path, "SELECT count(*) FROM ledger_suites") == [(0,)]
        assert _rows(path, "SELECT count(*) FROM ledger_decision_suites") == [(0,)]

    def test_suite_tables_are_append_only(self, recorded: Path) -> None:
        """The new tables refuse UPDATE and DELETE like the others."""
        connection = sqlite3.connect(recorded)
        try:
            for sql in ("UPDATE ledger_suites SET suite_version = '9'", "DELETE FROM ledger_decision_suites"):
                with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                    connection.execute(sql)
        finally:
            connection.close()


class TestReplayWithoutFolder:
    """Replay reproduces every decision with the evaluations folder gone, from the ledger and from a bundle."""

    def test_the_folder_matters(self, recorded: Path, hidden_suites: Path) -> None:
        """Without stored suites, deciding again gives another decision: the test would catch a folder read."""
        with Ledger.open(recorded) as ledger, ledger.read() as reader:
            row = next(r for r in reader.entries() if r.seq == 1)
        again = decide(Candidate.model_validate(json.loads(row.candidate)), POLICY, as_of=AS_OF)
        assert again.canonical_json() != row.decision

    def test_ledger(self, recorded: Path, hidden_suites: Path) -> None:
        """Every entry reproduces byte for byte, in this process and in workers."""
        with Ledger.open(recorded) as ledger, ledger.read() as reader:
            for jobs in (1, 2):
                report = replay_source(reader, jobs=jobs)
                assert report.ok, [m.document() for m in report.mismatches]
                assert report.reproduced == report.entries == 4

    def test_whatif_uses_stored_suites(self, recorded: Path, hidden_suites: Path) -> None:
        """Under the same policy nothing changes tier, because the stored suites are in force."""
        with Ledger.open(recorded) as ledger, ledger.read() as reader:
            report = what_if(reader, POLICY)
        assert report.considered == 4 and not report.changes and not report.skipped

    def test_bundle_in_a_process_without_the_folder(self, recorded: Path, tmp_path: Path) -> None:
        """`audit verify` and `audit replay` of an exported bundle pass in a process whose suite folder is empty."""
        bundle = tmp_path / "audit.jsonl"
        with Ledger.open(recorded) as ledger, ledger.read() as reader:
            summary = export_bundle(reader, bundle)
        assert summary.suites == 4
        empty = tmp_path / "empty"
        empty.mkdir()
        script = textwrap.dedent(
            f"""
            import sys
            from pathlib import Path
            import governance.evidence.suites as suites
            suites._root = lambda: Path({str(empty)!r})
            assert suites.find_suite("wmdp-bio") is None
            from governance.cli import main
            main(sys.argv[1:])
            """
        )
        for command in ("verify", "replay"):
            result = subprocess.run(
                [sys.executable, "-c", script, "audit", command, str(bundle)],
                capture_output=True,
                text=True,
                cwd=tmp_path,
                timeout=300,
                check=False,
            )
            assert result.returncode == 0, result.stdout + result.stderr
        assert "4 reproduce byte for byte, 0 do not" in " ".join(result.stdout.split())

    def test_bundle_records(self, recorded: Path, tmp_path: Path, hidden_suites: Path) -> None:
        """The bundle holds the suites and the uses, and replays from them alone."""
        bundle = tmp_path / "audit.jsonl"
        with Ledger.open(recorded) as ledger, ledger.read() as reader:
            export_bundle(reader, bundle)
        kinds = [json.loads(line)["type"] for line in bundle.read_bytes().splitlines()]
        assert kinds.count("suite") == 4 and kinds.count("suite_use") == 3
        opened = Bundle.open(bundle)
        assert opened.suite_uses() == EXPECTED_USES
        assert verify_source(opened).ok
        assert replay_source(Bundle.open(bundle)).ok


@contextlib.contextmanager
def _folder_hidden() -> Iterator[None]:
    """The evaluations folder replaced by an empty one inside the block (usable inside Hypothesis examples)."""
    original = suite_module._root
    with tempfile.TemporaryDirectory() as empty:
        suite_module._root = lambda: Path(empty)
        try:
            yield
        finally:
            suite_module._root = original


_RESULTS = st.fixed_dictionaries(
    {
        "benchmark": st.sampled_from(["wmdp-bio", "wmdp_bio", "vct", "lab-bench-protocolqa", "wmdp-chem", "cybench"]),
        "domain": st.sampled_from(["bio", "chem", "cyber"]),
        "score": st.floats(0.0, 1.0, allow_nan=False).map(lambda x: round(x, 4)),
        "samples": st.integers(20, 1273),
        "elicitation": st.sampled_from(["as_released", "safeguards_removed", "fine_tuned"]),
    }
)


class TestInvariant:
    """Invariant 7 with evidence: every recorded decision reproduces from the ledger alone."""

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.lists(_RESULTS, max_size=3), min_size=1, max_size=4))
    def test_any_evaluations_replay_without_the_folder(self, batches: list[list[dict[str, Any]]]) -> None:
        """Random results (known, aliased, misfiled or out of domain) replay byte for byte with no folder."""
        pending = []
        for index, results in enumerate(batches):
            c = candidate(f"model-{index}", *results)
            pending.append(prepare_entry(c, POLICY, decide(c, POLICY, as_of=AS_OF), actor="tester"))
        with tempfile.TemporaryDirectory() as folder, Ledger.open(Path(folder) / "l.sqlite", create=True) as ledger:
            ledger.append_many(pending, KEY)
            with ledger.read() as reader, _folder_hidden():
                assert find_suite("wmdp-bio") is None
                assert len(reader.suite_uses()) == sum(1 for results in batches if results)
                report = replay_source(reader)
        assert report.ok, [m.document() for m in report.mismatches]
        assert report.reproduced == len(batches)


class TestDamage:
    """Damaged, missing or substituted suites are found by verification or by replay."""

    def test_tampered_document_in_ledger(self, recorded: Path) -> None:
        """A suite document edited in the database no longer hashes to its digest: the first entry using it is named."""
        bio = digest_of("wmdp-bio")
        document = _rows(recorded, f"SELECT document FROM ledger_suites WHERE digest = '{bio}'")[0][0]
        changed = document.replace(b'"ceiling":', b'"ceiling":0.5,"x":', 1)
        tamper(recorded, "UPDATE ledger_suites SET document = ? WHERE digest = ?", (changed, bio))
        with Ledger.open(recorded) as ledger, ledger.read() as reader:
            report = verify_source(reader)
        assert report.fault is not None
        assert (report.fault.kind, report.fault.seq) == (FaultKind.ALTERED, 0)
        assert "no longer hashes to its digest" in report.fault.detail

    def test_tampered_document_in_bundle(self, recorded: Path, tmp_path: Path) -> None:
        """A suite line rewritten in a bundle, with the end record's SHA-256 recomputed, is still refused."""
        bundle = tmp_path / "audit.jsonl"
        with Ledger.open(recorded) as ledger, ledger.read() as reader:
            export_bundle(reader, bundle)
        lines = bundle.read_bytes().splitlines(keepends=True)
        for index, line in enumerate(lines):
            record = json.loads(line)
            if record["type"] == "suite" and record["id"] == "wmdp-bio":
                record["document"]["normalisation"]["ceiling"] = 0.5
                lines[index] = canonical_bytes(record) + b"\n"
        end = json.loads(lines[-1])
        end["sha256"] = hashlib.sha256(b"".join(lines[:-1])).hexdigest()
        lines[-1] = canonical_bytes(end) + b"\n"
        bundle.write_bytes(b"".join(lines))
        report = verify_source(Bundle.open(bundle))
        assert report.fault is not None and report.fault.kind is FaultKind.ALTERED
        assert "wmdp-bio@" in report.fault.detail and "no longer hashes" in report.fault.detail

    def test_missing_suite(self, recorded: Path) -> None:
        """An entry whose suite version is not stored is reported missing by verify and by replay."""
        with Ledger.open(recorded) as ledger:
            source = MemorySource.of(ledger)
        vct = digest_of("vct")
        source.suite_rows = [s for s in source.suite_rows if s.digest != vct]
        report = verify_source(source)
        assert report.fault is not None
        assert (report.fault.kind, report.fault.seq) == (FaultKind.MISSING, 2)
        mismatches = replay_source(source).mismatches
        assert [(m.seq, m.kind) for m in mismatches] == [(2, "suite missing")]

    def test_substituted_suite_fails_replay(self, recorded: Path, hidden_suites: Path) -> None:
        """A consistently re-hashed different suite passes verification but not replay: replay uses what is stored."""
        with Ledger.open(recorded) as ledger:
            source = MemorySource.of(ledger)
        bio = next(s for s in source.suite_rows if s.suite_id == "wmdp-bio")
        document = json.loads(bio.document)
        document["normalisation"]["ceiling"] = 0.45  # reach "expert" sooner: a higher normalised capability
        encoded = canonical_bytes(document)
        forged = dataclasses.replace(bio, digest="sha256:" + hashlib.sha256(encoded).hexdigest(), document=encoded)
        source.suite_rows = [forged if s is bio else s for s in source.suite_rows]
        source.uses = {
            seq: tuple(forged.digest if d == bio.digest else d for d in ds) for seq, ds in source.uses.items()
        }
        assert verify_source(source).ok
        report = replay_source(source)
        assert sorted(m.seq for m in report.mismatches) == [0, 1]
        assert {m.kind for m in report.mismatches} == {"differs"}


def _version_one(path_or_url: str, schema: str | None = None) -> None:
    """A version-1 ledger holding :func:`entries` (as a governance without stored suites wrote it)."""
    original = migrations.MIGRATIONS
    migrations.MIGRATIONS = original[:1]
    try:
        with Ledger.open(path_or_url, create=True, schema=schema) as ledger:
            assert ledger.schema_version == 1
            ledger.append_many([dataclasses.replace(e, suites=()) for e in entries()], KEY)
    finally:
        migrations.MIGRATIONS = original


class TestMigration:
    """A version-1 ledger is upgraded to version 2, its entries' suites filled in from the suites in force."""

    def test_upgrade_sqlite(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """migrate applies version 2; the ledger then verifies and replays without the folder."""
        path = tmp_path / "old.sqlite"
        _version_one(str(path))
        with pytest.raises(LedgerError, match="ledger migrate"):
            Ledger.open(path)
        with Ledger.open(path, allow_old_schema=True) as old:
            with old.read() as reader:
                assert reader.suites() == [] and reader.suite_uses() == {}
            assert old.migrate() == [2]
            assert old.migrate() == []
        assert _rows(path, "SELECT max(version) FROM ledger_migrations") == [(2,)]
        with Ledger.open(path) as upgraded, upgraded.read() as reader:
            assert reader.suite_uses() == EXPECTED_USES
            assert verify_source(reader).ok
            empty = tmp_path / "empty"
            empty.mkdir()
            monkeypatch.setattr(suite_module, "_root", lambda: empty)
            assert find_suite("wmdp-bio") is None
            assert replay_source(reader).ok

    def test_upgrade_with_the_cli(self, tmp_path: Path) -> None:
        """`governance ledger migrate` reports the step and the ledger replays afterwards."""
        path = tmp_path / "old.sqlite"
        _version_one(str(path))
        result = invoke_cli("ledger", "migrate", "--ledger", path, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        assert "schema 1 → 2" in result.stdout
        result = invoke_cli("ledger", "replay", "--ledger", path, cwd=ROOT)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.postgres
class TestPostgres:
    """The same on PostgreSQL: stored suites, replay without the folder, and the upgrade from version 1."""

    def test_record_and_replay(
        self, pg_schema: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Suites are stored once and replay reproduces every entry with the folder hidden."""
        url, schema = pg_schema
        record(url, schema=schema).close()
        empty = tmp_path / "empty"
        empty.mkdir()
        monkeypatch.setattr(suite_module, "_root", lambda: empty)
        assert find_suite("wmdp-bio") is None
        with Ledger.open(url, schema=schema) as ledger, ledger.read() as reader:
            assert reader.suite_uses() == EXPECTED_USES
            assert len(reader.suites()) == 4
            assert verify_source(reader).ok
            assert replay_source(reader).ok

    def test_upgrade(self, pg_schema: tuple[str, str]) -> None:
        """A version-1 PostgreSQL ledger migrates; the new tables are append-only."""
        url, schema = pg_schema
        _version_one(url, schema)
        with Ledger.open(url, schema=schema, allow_old_schema=True) as old:
            assert old.migrate() == [2]
        with Ledger.open(url, schema=schema) as upgraded, upgraded.read() as reader:
            assert reader.suite_uses() == EXPECTED_USES
            assert verify_source(reader).ok
        with psycopg.connect(_psycopg_dsn(url), autocommit=True) as connection:
            connection.execute(f'SET search_path TO "{schema}"')
            with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="append-only"):
                connection.execute("DELETE FROM ledger_suites")


def _rewrite(bundle: Path, edit: Any) -> None:
    """Apply ``edit`` to the records of a bundle (a list of dicts, end record excluded) and re-seal it."""
    records = [json.loads(line) for line in bundle.read_bytes().splitlines()]
    body = edit(records[:-1])
    lines = [canonical_bytes(record) + b"\n" for record in body]
    end = {**records[-1], "counts": body[0]["counts"], "sha256": hashlib.sha256(b"".join(lines)).hexdigest()}
    bundle.write_bytes(b"".join(lines) + canonical_bytes(end) + b"\n")


class TestBundleFormat:
    """Format 2 adds suite and suite_use records; format 1 bundles are still read, and stray uses are caught."""

    @pytest.fixture(name="bundle")
    def _bundle(self, recorded: Path, tmp_path: Path) -> Path:
        path = tmp_path / "audit.jsonl"
        with Ledger.open(recorded) as ledger, ledger.read() as reader:
            export_bundle(reader, path)
        return path

    def test_format_one_is_read(self, tmp_path: Path) -> None:
        """A format-1 bundle (no suite records or counts) verifies and replays."""
        path = tmp_path / "ledger.sqlite"
        with Ledger.open(path, create=True) as ledger:
            ledger.append(entries()[3], KEY)
            with ledger.read() as reader:
                export_bundle(reader, tmp_path / "old.jsonl")

        def as_format_one(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
            header = records[0]
            counts = {k: v for k, v in header["counts"].items() if k not in ("suites", "suite_uses")}
            return [{**header, "format_version": 1, "counts": counts}, *records[1:]]

        _rewrite(tmp_path / "old.jsonl", as_format_one)
        opened = Bundle.open(tmp_path / "old.jsonl")
        assert opened.suites() == [] and opened.suite_uses() == {}
        assert verify_source(opened).ok
        assert replay_source(Bundle.open(tmp_path / "old.jsonl")).ok

    def test_suite_record_in_format_one_refused(self, bundle: Path) -> None:
        """Suite records in a bundle that says it is format 1 are refused."""
        _rewrite(bundle, lambda records: [{**records[0], "format_version": 1}, *records[1:]])
        with pytest.raises(LedgerError, match="format-version-1 bundle"):
            Bundle.open(bundle)

    def test_use_for_an_absent_entry(self, bundle: Path) -> None:
        """A suite_use record for an entry the bundle does not hold is reported as inserted."""

        def move_use(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{**r, "seq": 9} if r["type"] == "suite_use" and r["seq"] == 2 else r for r in records]

        _rewrite(bundle, move_use)
        report = verify_source(Bundle.open(bundle))
        assert report.fault is not None
        assert (report.fault.kind, report.fault.seq) == (FaultKind.INSERTED, 9)

    def test_counts_checked(self, bundle: Path) -> None:
        """A suite record dropped from the file no longer matches the header's count."""
        _rewrite(bundle, lambda records: [r for r in records if not (r["type"] == "suite" and r["id"] == "vct")])
        with pytest.raises(LedgerError, match="announces 4 suites but the bundle holds 3"):
            Bundle.open(bundle)
