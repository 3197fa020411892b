"""Verification finds every alteration, insertion, removal and reordering, and names the first bad entry."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.ledger import verify as verify_module
from governance.ledger.entry import EntryRow, leaf_bytes
from governance.ledger.merkle import CompactRange
from governance.ledger.records import StoredCheckpoint, StoredPolicy
from governance.ledger.signing import Checkpoint, SignedCheckpoint
from governance.ledger.store import Ledger
from governance.ledger.verify import FaultKind, VerificationReport, verify_source
from tests.ledger.builders import KEY, OTHER_KEY, MemorySource, build_ledger, tamper

FIELDS = EntryRow._fields


def _verify(source: Any, **kwargs: Any) -> VerificationReport:
    return verify_source(source, **kwargs)


def _leaf(row: EntryRow, seq: int | None = None) -> bytes:
    data = leaf_bytes(
        row.seq if seq is None else seq,
        row.decision_id,
        row.recorded_at,
        row.actor,
        row.candidate,
        row.decision,
        row.policy_digest,
        row.canon,
    )
    return hashlib.sha256(b"\x00" + data).digest()


def rehash(rows: list[EntryRow]) -> list[EntryRow]:
    """Recompute every leaf hash and node, as someone rewriting the ledger without the key would."""
    tree = CompactRange()
    out = []
    for row in rows:
        leaf = _leaf(row)
        out.append(row._replace(leaf_hash=leaf, node=tree.append(leaf)))
    return out


def resign(source: MemorySource, rows: list[EntryRow], key: Any) -> list[StoredCheckpoint]:
    """New checkpoints over ``rows`` at the same sizes, signed with ``key``."""
    out = []
    for stored in source.checkpoint_rows:
        tree = CompactRange()
        for row in rows[: stored.tree_size]:
            tree.append(row.leaf_hash)
        signed = SignedCheckpoint.sign(Checkpoint(source.origin, stored.tree_size, tree.root(), stored.signed_at), key)
        out.append(StoredCheckpoint(stored.tree_size, tree.root(), stored.signed_at, key.key_id, signed.signature))
    return out


def _mutate(value: Any, position: int, byte: int) -> Any:
    """Change one byte of a stored value (an integer's low byte, a string's UTF-8, raw bytes)."""
    if isinstance(value, int):
        return value ^ (1 + byte % 255) if byte % 255 else value ^ 1
    raw = bytearray(value.encode() if isinstance(value, str) else value)
    index = position % len(raw)
    raw[index] = (raw[index] + 1 + byte % 255) % 256
    if isinstance(value, str):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return bytes(raw)  # as SQLite would hand over text that is no longer valid UTF-8
    return bytes(raw)


class TestIntactLedger:
    """A ledger written by governance verifies, with its own keys and with the right public key."""

    def test_verifies(self, small_ledger_source: MemorySource) -> None:
        """Every entry, policy and checkpoint checks out."""
        report = _verify(small_ledger_source)
        assert report.ok, report.fault
        assert report.entries == 24
        assert report.checkpoints == 4 + 4 + 1
        assert report.latest is not None and report.latest.checkpoint.tree_size == 24

    def test_verifies_with_the_public_key(self, small_ledger_source: MemorySource) -> None:
        """--pubkey with the signing key's public half."""
        report = _verify(small_ledger_source, trusted_keys=[KEY.verifier()])
        assert report.ok and report.trust == "pubkey"

    def test_empty_ledger(self, tmp_path: Path) -> None:
        """An empty ledger verifies with nothing in it."""
        with Ledger.open(tmp_path / "empty.sqlite", create=True) as ledger, ledger.read() as reader:
            report = _verify(reader)
        assert report.ok and report.entries == 0 and report.latest is None


class TestAnyByteOfAnyField:
    """Changing any byte of any stored field of any entry is caught, and that entry is named."""

    @given(st.data())
    def test_named(self, data: st.DataObject) -> None:
        """The fault's sequence number is the changed entry's position."""
        source: MemorySource = data.draw(st.just(None)) or _SOURCE.copy()
        index = data.draw(st.integers(0, len(source.rows) - 1), label="entry")
        field = data.draw(st.sampled_from(FIELDS), label="field")
        position = data.draw(st.integers(0, 10_000), label="byte")
        byte = data.draw(st.integers(0, 255), label="value")
        row = source.rows[index]
        changed = _mutate(getattr(row, field), position, byte)
        assert changed != getattr(row, field)
        source.rows[index] = row._replace(**{field: changed})
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.seq == index, report.fault


_SOURCE: MemorySource


@pytest.fixture(autouse=True)
def _share_source(small_ledger_source: MemorySource) -> None:
    global _SOURCE
    _SOURCE = small_ledger_source


class TestMovedEntries:
    """Deleting, duplicating, swapping and inserting entries are each detected and classified."""

    @given(st.integers(0, 23))
    def test_deleted(self, index: int) -> None:
        """A missing entry leaves a gap: missing, at its sequence number."""
        source = _SOURCE.copy()
        del source.rows[index]
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.MISSING and report.fault.seq == index

    @given(st.integers(0, 23))
    def test_duplicated(self, index: int) -> None:
        """A copy right after the original: inserted, naming the copy."""
        source = _SOURCE.copy()
        source.rows.insert(index + 1, source.rows[index])
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.INSERTED and report.fault.seq == index + 1
        assert report.fault.decision_id == source.rows[index].decision_id

    @given(st.data())
    def test_swapped(self, data: st.DataObject) -> None:
        """Two entries exchanged: reordered, naming the earlier position."""
        first = data.draw(st.integers(0, 22))
        second = data.draw(st.integers(first + 1, min(23, first + 40)))
        source = _SOURCE.copy()
        source.rows[first], source.rows[second] = source.rows[second], source.rows[first]
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.REORDERED and report.fault.seq == first

    @given(st.data())
    def test_swapped_contents_keeping_sequence_numbers(self, data: st.DataObject) -> None:
        """Contents exchanged under fixed sequence numbers (an SQL UPDATE): reordered."""
        first = data.draw(st.integers(0, 22))
        second = data.draw(st.integers(first + 1, 23))
        source = _SOURCE.copy()
        a, b = source.rows[first], source.rows[second]
        source.rows[first], source.rows[second] = b._replace(seq=a.seq), a._replace(seq=b.seq)
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.REORDERED and report.fault.seq == first

    @given(st.integers(0, 23))
    def test_inserted_with_renumbering(self, index: int) -> None:
        """A forged entry slipped in, the later ones renumbered: inserted, naming the forged entry."""
        source = _SOURCE.copy()
        forged = source.rows[index]._replace(decision_id="forged-entry", actor="mallory")
        rows = [*source.rows[:index], forged, *source.rows[index:]]
        rows = [row._replace(seq=position) for position, row in enumerate(rows)]
        tree = CompactRange()
        for row in rows[:index]:
            tree.append(row.leaf_hash)
        leaf = _leaf(rows[index])
        rows[index] = rows[index]._replace(leaf_hash=leaf, node=tree.append(leaf))
        source.rows = rows
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.INSERTED and report.fault.seq == index
        assert report.fault.decision_id == "forged-entry"

    @given(st.integers(0, 22))
    def test_deleted_with_renumbering(self, index: int) -> None:
        """An entry removed and the later ones renumbered to close the gap: missing."""
        source = _SOURCE.copy()
        rows = source.rows[:index] + source.rows[index + 1 :]
        source.rows = [row._replace(seq=position) for position, row in enumerate(rows)]
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.MISSING and report.fault.seq == index

    def test_appended_without_a_checkpoint(self) -> None:
        """An entry added after the last checkpoint (no key to sign it): inserted."""
        source = _SOURCE.copy()
        last = source.rows[-1]
        extra = last._replace(seq=24, decision_id="appended")
        tree = CompactRange()
        for row in source.rows:
            tree.append(row.leaf_hash)
        leaf = _leaf(extra)
        source.rows.append(extra._replace(leaf_hash=leaf, node=tree.append(leaf)))
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.INSERTED and report.fault.seq == 24

    def test_truncated_with_checkpoints_left(self) -> None:
        """The last entries removed, their checkpoint kept: missing."""
        source = _SOURCE.copy()
        del source.rows[20:]
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.MISSING and report.fault.seq == 20


class TestDeletedCheckpoints:
    """A checkpoint row deleted from the middle: its entries are still covered by a later checkpoint,
    but the append that recorded them left a checkpoint that is gone."""

    @pytest.mark.parametrize("index", range(8))
    def test_deleted(self, index: int) -> None:
        """Any checkpoint but the last, deleted: missing, at the first entry its append recorded."""
        source = _SOURCE.copy()
        deleted = source.checkpoint_rows.pop(index)
        assert deleted.signed_at != source.checkpoint_rows[index].signed_at  # separate appends
        first = _SOURCE.checkpoint_rows[index - 1].tree_size if index else 0
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.MISSING and report.fault.seq == first
        assert f"(size {deleted.tree_size}) is missing: a checkpoint was deleted" in report.fault.detail

    def test_deleted_last(self) -> None:
        """The last checkpoint deleted: the entries after the one before are covered by none (inserted)."""
        source = _SOURCE.copy()
        source.checkpoint_rows.pop()
        report = _verify(source)
        assert report.fault is not None and report.fault.kind is FaultKind.INSERTED and report.fault.seq == 16

    def test_appends_sharing_a_timestamp(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The documented limit: between two appends with one timestamp, a deleted checkpoint goes unnoticed,
        and every entry stays covered by the next one."""
        monkeypatch.setattr("governance.ledger.store.utc_timestamp", lambda moment=None: "2026-11-28T00:00:00.000000Z")
        ledger = build_ledger(tmp_path / "clock.sqlite", 3, batch=1)
        source = MemorySource.of(ledger)
        ledger.close()
        assert [c.tree_size for c in source.checkpoint_rows] == [1, 2, 3]
        del source.checkpoint_rows[1]
        assert _verify(source).ok


class TestRewrittenHistory:
    """Rewrites that recompute every hash are caught by the signed checkpoints, or by one the auditor kept."""

    def test_rehashed_rewrite_without_the_key(self) -> None:
        """Entry 2 (a single append) rewritten with all hashes recomputed: inconsistent checkpoint at 2."""
        source = _SOURCE.copy()
        source.rows[2] = source.rows[2]._replace(actor="mallory")
        source.rows = rehash(source.rows)
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.INCONSISTENT_CHECKPOINT and report.fault.seq == 2

    def test_rewrite_inside_a_batch_names_the_batch(self) -> None:
        """Entry 18 was appended in a batch of 8 (entries 16-23): the fault names 16, the batch's first."""
        source = _SOURCE.copy()
        source.rows[18] = source.rows[18]._replace(actor="mallory")
        source.rows = rehash(source.rows)
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.INCONSISTENT_CHECKPOINT and report.fault.seq == 16

    def test_resigned_with_the_real_key_is_caught_by_a_kept_checkpoint(self) -> None:
        """Whoever holds the key can re-sign a rewrite; a checkpoint kept from before exposes it."""
        kept = _SOURCE.checkpoint_rows[5].signed(_SOURCE.origin, KEY.name)
        source = _SOURCE.copy()
        source.rows[1] = source.rows[1]._replace(actor="mallory")
        source.rows = rehash(source.rows)
        source.checkpoint_rows = resign(source, source.rows, KEY)
        assert _verify(source).ok  # internally consistent...
        report = _verify(source, trusted_checkpoint=kept)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.INCONSISTENT_CHECKPOINT

    def test_resigned_with_another_key(self) -> None:
        """A rewrite re-signed with the forger's key fails against the real public key."""
        source = _SOURCE.copy()
        source.rows = rehash(source.rows)
        source.checkpoint_rows = resign(source, source.rows, OTHER_KEY)
        source.keys = [dataclasses.replace(source.keys[0])]
        report = _verify(source, trusted_keys=[KEY.verifier()])
        assert report.fault is not None
        assert report.fault.kind is FaultKind.BAD_SIGNATURE and report.fault.seq == 0

    def test_kept_checkpoint_beyond_a_truncated_ledger(self) -> None:
        """Entries and checkpoints both cut back: only a kept checkpoint shows entries are missing."""
        kept = _SOURCE.checkpoint_rows[-1].signed(_SOURCE.origin, KEY.name)
        source = _SOURCE.copy()
        del source.rows[16:]
        source.checkpoint_rows = [c for c in source.checkpoint_rows if c.tree_size <= 16]
        assert _verify(source).ok
        report = _verify(source, trusted_checkpoint=kept)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.MISSING and report.fault.seq == 16

    def test_kept_checkpoint_of_another_ledger(self) -> None:
        """A checkpoint from another ledger (another origin) is refused."""
        stored = _SOURCE.checkpoint_rows[0]
        foreign = stored.signed("governance.ledger/another", KEY.name)
        foreign = SignedCheckpoint.sign(foreign.checkpoint, KEY)
        report = _verify(_SOURCE, trusted_checkpoint=foreign)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.INCONSISTENT_CHECKPOINT


class TestCheckpointsAndPolicies:
    """Damaged checkpoints, keys and policy versions are reported with the entries they concern."""

    @pytest.mark.parametrize("field", ["root_hash", "signed_at", "signature", "key_id"])
    def test_damaged_checkpoint(self, field: str) -> None:
        """Any changed checkpoint field breaks its signature; the first entry it covers is named."""
        source = _SOURCE.copy()
        stored = source.checkpoint_rows[6]  # size 12, covering entries 10 and 11 (previous size 10)
        value = getattr(stored, field)
        changed = _mutate(value, 3, 7)
        if field == "signed_at":
            changed = "2030-01-01T00:00:00.000000Z"
        if field == "key_id":
            changed = "00000000"
        source.checkpoint_rows[6] = dataclasses.replace(stored, **{field: changed})
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.BAD_SIGNATURE
        assert report.fault.seq == source.checkpoint_rows[5].tree_size

    def test_wrong_public_key(self) -> None:
        """--pubkey with another key: the first checkpoint's signature is not trusted."""
        report = _verify(_SOURCE, trusted_keys=[OTHER_KEY.verifier()])
        assert report.fault is not None
        assert report.fault.kind is FaultKind.BAD_SIGNATURE and report.fault.seq == 0

    def test_altered_policy_names_the_first_entry_using_it(self) -> None:
        """A changed policy document no longer hashes to its digest."""
        source = _SOURCE.copy()
        policy = source.policy_rows[0]
        source.policy_rows[0] = dataclasses.replace(policy, document=policy.document.replace(b"0.8", b"0.9", 1))
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.ALTERED and report.fault.seq == 0
        assert "no longer hashes" in report.fault.detail

    def test_missing_policy(self) -> None:
        """A policy version an entry uses is gone."""
        source = _SOURCE.copy()
        source.policy_rows = []
        report = _verify(source)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.MISSING and report.fault.seq == 0

    def test_non_canonical_policy(self) -> None:
        """A policy stored with the right digest but non-canonical bytes is refused."""
        source = _SOURCE.copy()
        document = b'{"b": 1, "a": 2}'
        digest = "sha256:" + hashlib.sha256(document).hexdigest()
        source.policy_rows.append(StoredPolicy(digest, "p", "1", "jcs-rfc8785", document, "t"))
        report = _verify(source)
        assert report.fault is not None
        assert "not canonical" in report.fault.detail and report.fault.seq is None


class TestOnDisk:
    """The same faults, made with SQL on a real SQLite ledger."""

    def test_updated_column(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """An UPDATE of one entry's decision: altered, at that entry."""
        path, ledger = sqlite_ledger
        tamper(path, "UPDATE ledger_decisions SET decision = replace(decision, 'open', 'shut') WHERE seq = 4")
        with ledger.read() as reader:
            report = _verify(reader)
        assert report.fault is not None and report.fault.seq == 4

    def test_deleted_row(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """A DELETE: missing."""
        path, ledger = sqlite_ledger
        tamper(path, "DELETE FROM ledger_decisions WHERE seq = 6")
        with ledger.read() as reader:
            report = _verify(reader)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.MISSING and report.fault.seq == 6

    def test_swapped_rows(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """Two rows' contents exchanged: reordered."""
        path, ledger = sqlite_ledger
        tamper(path, "UPDATE ledger_decisions SET seq = -1 WHERE seq = 3")
        tamper(path, "UPDATE ledger_decisions SET seq = 3 WHERE seq = 7")
        tamper(path, "UPDATE ledger_decisions SET seq = 7 WHERE seq = -1")
        with ledger.read() as reader:
            report = _verify(reader)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.REORDERED and report.fault.seq == 3

    def test_non_utf8_text(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """Text made invalid UTF-8 is read as bytes and reported as altered, not a crash."""
        path, ledger = sqlite_ledger
        tamper(path, "UPDATE ledger_decisions SET actor = CAST(X'ff' || actor AS TEXT) WHERE seq = 5")
        with ledger.read() as reader:
            report = _verify(reader)
        assert report.fault is not None and report.fault.seq == 5


class TestParallel:
    """Verification in worker processes gives the sequential answer, faults included."""

    @pytest.mark.parametrize("tampered", [None, 0, 7, 8, 15, 16, 44])
    def test_same_answer(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tampered: int | None) -> None:
        """45 entries in batches of 3 (checkpoints inside and across chunks of 8), two workers."""
        monkeypatch.setattr(verify_module, "PARALLEL_MIN", 10)
        monkeypatch.setattr(verify_module, "PARALLEL_CHUNK_MIN", 5)
        path = tmp_path / "ledger.sqlite"
        build_ledger(path, 45, batch=3).close()
        if tampered is not None:
            tamper(path, "UPDATE ledger_decisions SET actor = 'mallory' WHERE seq = ?", [tampered])
        with Ledger.open(path) as ledger, ledger.read() as reader:
            sequential = _verify(reader, jobs=1)
            parallel = _verify(reader, jobs=2)
        assert parallel.fault == sequential.fault
        assert parallel.root == sequential.root and parallel.entries == sequential.entries
        if tampered is None:
            assert parallel.ok and parallel.entries == 45 and parallel.checkpoints == 15
        else:
            assert parallel.fault is not None and parallel.fault.seq == tampered

    def test_uncovered_tail_is_named(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A fault found after the last chunk (an uncovered entry) is named as in order."""
        monkeypatch.setattr(verify_module, "PARALLEL_MIN", 10)
        monkeypatch.setattr(verify_module, "PARALLEL_CHUNK_MIN", 5)
        path = tmp_path / "ledger.sqlite"
        build_ledger(path, 20, batch=4).close()
        tamper(path, "DELETE FROM ledger_checkpoints WHERE tree_size = 20")
        with Ledger.open(path) as ledger, ledger.read() as reader:
            report = _verify(reader, jobs=2)
        assert report.fault is not None
        assert report.fault.kind is FaultKind.INSERTED and report.fault.seq == 16 and report.fault.decision_id
