"""Builders for ledger tests: varied real decisions, small ledgers, and an in-memory ledger source."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance import Candidate, Decision, Policy, decide, load_candidate, load_policy
from governance.ledger._appends import append_runs
from governance.ledger.entry import EntryRow, prepare_entry
from governance.ledger.records import StoredCheckpoint, StoredKey, StoredPolicy, StoredSuite
from governance.ledger.signing import SigningKey
from governance.ledger.store import Ledger

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "candidates"
AS_OF = dt.date(2026, 11, 28)
POLICY_REF = "illustrative-capability@1.0"
KEY = SigningKey("test-ledger-key", bytes(range(32)))
"""A fixed key, so that tests are repeatable (never used outside tests)."""
OTHER_KEY = SigningKey("someone-else", bytes(range(1, 33)))

Item = tuple[Candidate, Policy, Decision]


def varied_candidates(count: int) -> list[Candidate]:
    """``count`` distinct candidates: the shipped examples with their scores and compute varied."""
    bases = [load_candidate(path).document() for path in sorted(EXAMPLES.glob("*.yaml"))]
    out: list[Candidate] = []
    for index in range(count):
        document = dict(bases[index % len(bases)])
        model = dict(document["model"])
        model["name"] = f"{model['name']} #{index}"
        document["model"] = model
        capabilities = dict(document.get("capabilities", {}))
        for position, domain in enumerate(sorted(capabilities)):
            value = capabilities[domain]
            if isinstance(value, int | float):
                capabilities[domain] = round(min(1.0, (value + 0.09 * ((index + position) % 11)) % 1.0), 4)
        document["capabilities"] = capabilities
        out.append(Candidate.model_validate(document))
    return out


def items(count: int, policy: str = POLICY_REF) -> list[Item]:
    """``count`` (candidate, policy, decision) triples decided on :data:`AS_OF`."""
    chosen = load_policy(policy)
    return [(c, chosen, decide(c, chosen, as_of=AS_OF)) for c in varied_candidates(count)]


def build_ledger(
    where: str | Path,
    count: int,
    *,
    batch: int = 1,
    key: SigningKey = KEY,
    schema: str | None = None,
    policy: str = POLICY_REF,
) -> Ledger:
    """A ledger with ``count`` entries appended ``batch`` at a time (one checkpoint per batch)."""
    ledger = Ledger.open(str(where), create=True, schema=schema)
    pending = [prepare_entry(c, p, d, actor="tester") for c, p, d in items(count, policy)]
    for start in range(0, len(pending), batch):
        ledger.append_many(pending[start : start + batch], key)
    return ledger


def tamper(path: Path, sql: str, params: Sequence[Any] = ()) -> None:
    """Change a SQLite ledger behind governance's back (dropping its append-only triggers first)."""
    connection = sqlite3.connect(path)
    try:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
        for name in names:
            connection.execute(f"DROP TRIGGER {name}")
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute(sql, tuple(params))
        connection.commit()
    finally:
        connection.close()


@dataclass
class MemorySource:
    """A ledger's contents in lists, to be edited freely and verified (a LedgerSource)."""

    origin: str
    keys: list[StoredKey]
    policy_rows: list[StoredPolicy]
    checkpoint_rows: list[StoredCheckpoint]
    rows: list[EntryRow] = field(default_factory=list)
    description: str = "memory"
    suite_rows: list[StoredSuite] = field(default_factory=list)
    uses: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, ledger: Ledger) -> MemorySource:
        """Everything ``ledger`` holds."""
        with ledger.read() as reader:
            return cls(
                reader.origin,
                reader.signing_keys(),
                reader.policies(),
                reader.checkpoints(),
                list(reader.entries()),
                suite_rows=reader.suites(),
                uses=reader.suite_uses(),
            )

    def copy(self) -> MemorySource:
        """An independent copy."""
        return MemorySource(
            self.origin,
            list(self.keys),
            list(self.policy_rows),
            list(self.checkpoint_rows),
            list(self.rows),
            suite_rows=list(self.suite_rows),
            uses=dict(self.uses),
        )

    def signing_keys(self) -> list[StoredKey]:
        """The registered keys."""
        return list(self.keys)

    def policies(self) -> list[StoredPolicy]:
        """The policy versions."""
        return list(self.policy_rows)

    def suites(self) -> list[StoredSuite]:
        """The evaluation-suite versions."""
        return list(self.suite_rows)

    def suite_uses(self) -> dict[int, tuple[str, ...]]:
        """The suites each present entry used (in a database, removing an entry removes these too)."""
        present = {row.seq for row in self.rows}
        return {seq: digests for seq, digests in self.uses.items() if seq in present}

    def checkpoints(self) -> list[StoredCheckpoint]:
        """The checkpoints."""
        return list(self.checkpoint_rows)

    def entry_count(self) -> int:
        """The number of rows."""
        return len(self.rows)

    def entries(self) -> Iterator[EntryRow]:
        """The rows, in list order."""
        return iter(list(self.rows))

    def append_runs(self) -> list[tuple[str, int, int]]:
        """The runs of rows recorded at one time."""
        return append_runs((row.seq, row.recorded_at) for row in self.rows)

    def raw_rows(self) -> Iterator[tuple[Any, ...]]:
        """The rows as tuples."""
        return iter(list(self.rows))


def schema_url(url: str, schema: str) -> str:
    """A PostgreSQL URL with ``schema`` on its search path (for the CLI and other processes)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"
