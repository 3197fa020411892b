"""Fuzzing the readers of binary and multi-record files: Inspect ``.eval`` archives, audit bundles, ledger databases.

Same property as :mod:`tests.fuzz.test_file_inputs`: any input ends in a value or a
:class:`~governance.exceptions.GovernanceError`, never another exception. Each gets random bytes,
byte-level damage of a real seed (bytes flipped, cut, spliced) and structure-aware mutations:
an archive rebuilt with a member's JSON mutated or its compression changed; a bundle with its
records duplicated, dropped, cut or given hostile values; a ledger database with one column of one
row set to a value of another type (NULL, text, a real number, bytes that are not UTF-8), or a row
deleted. Ledgers and bundles then go through everything that reads them: verify, list, replay and
export.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import shutil
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from governance import GovernanceError
from governance.evidence.runs import read_runs
from governance.ledger.bundle import Bundle, export_bundle
from governance.ledger.replay import replay_source
from governance.ledger.store import Ledger
from governance.ledger.verify import verify_source
from tests.conftest import REALDATA
from tests.fuzz.test_file_inputs import HOSTILE, _fuzz, _mutated
from tests.ledger.builders import KEY, build_ledger

EVAL_SEEDS = [
    REALDATA / "inspect" / "popularity_gpt-4o-mini.eval",
    REALDATA / "inspect" / "wmdp-bio_falcon3-1b_smoke.eval",
]


Edit = tuple[str, int, int, int]
"""One byte-level edit: (action, start, length, xor mask)."""


def _edits(size: int) -> st.SearchStrategy[list[Edit]]:
    """Up to three edits of a seed of ``size`` bytes (drawn as numbers: Hypothesis keeps what it draws,
    and keeping thousands of copies of a 700 KB database would measure the harness, not the reader)."""
    edit = st.tuples(
        st.sampled_from(["flip", "cut", "repeat", "truncate"]),
        st.integers(0, max(size - 1, 0)),
        st.integers(0, 64),
        st.integers(1, 255),
    )
    return st.lists(edit, min_size=1, max_size=3)


def _damaged(seed: bytes, edits: list[Edit]) -> bytes:
    """The seed with bytes flipped, a range cut out or repeated, or the end cut off."""
    data = bytearray(seed)
    for action, start, length, mask in edits:
        if start >= len(data):
            continue
        end = min(len(data), start + length)
        if action == "flip":
            data[start] ^= mask
        elif action == "cut":
            del data[start:end]
        elif action == "repeat":
            data[start:start] = data[start:end]
        else:
            del data[start:]
    return bytes(data)


def _damaged_bytes(seed: bytes) -> st.SearchStrategy[bytes]:
    """The seed damaged by a few byte-level edits (for seeds small enough to keep)."""
    return _edits(len(seed)).map(lambda edits: _damaged(seed, edits))


@st.composite
def _rebuilt_archive(draw: st.DrawFn, seed: Path) -> bytes:
    """The seed archive rewritten with one JSON member mutated, or stored with another compression."""
    with zipfile.ZipFile(seed) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    index = draw(st.integers(0, len(members) - 1))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as rebuilt:
        for position, (info, content) in enumerate(members):
            method = zipfile.ZIP_DEFLATED
            if position == index:
                action = draw(st.sampled_from(["mutate", "empty", "stored", "drop", "rename"]))
                if action == "mutate":
                    content = draw(_mutated(content.decode("utf-8", errors="replace")))
                elif action == "empty":
                    content = b""
                elif action == "stored":
                    method = zipfile.ZIP_STORED
                elif action == "drop":
                    continue
                else:
                    info = zipfile.ZipInfo("../" + info.filename)
            rebuilt.writestr(info.filename, content, compress_type=method)
    return out.getvalue()


def _eval_inputs() -> st.SearchStrategy[bytes]:
    # Python's zipfile cannot write zstd members: the zstd seed is damaged byte by byte only.
    return st.one_of(
        st.binary(max_size=400),
        st.sampled_from(EVAL_SEEDS).flatmap(lambda seed: _damaged_bytes(seed.read_bytes())),
        _rebuilt_archive(EVAL_SEEDS[0]),
    )


@functools.cache
def _seed_ledger() -> tuple[bytes, str]:
    """A six-entry SQLite ledger (appends of 1, 2 and 3 entries) and its audit bundle, as bytes and text."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-seed-"))
    try:
        path = folder / "ledger.sqlite"
        for count, batch in ((1, 1), (2, 2), (3, 3)):
            build_ledger(path, count, batch=batch).close()
        with Ledger.open(str(path), read_only=True) as ledger, ledger.read() as reader:
            export_bundle(reader, folder / "bundle.jsonl")
        return path.read_bytes(), (folder / "bundle.jsonl").read_text(encoding="utf-8")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_everything(source: Any, folder: Path) -> None:
    """What the CLI does with a ledger or bundle: verify it, list it, replay it."""
    verify_source(source, trusted_keys=[KEY.verifier()])
    for _row in source.entries():
        pass
    replay_source(source)


def _bundle_survives(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.jsonl"
        path.write_bytes(data)
        with contextlib.suppress(GovernanceError):
            _read_everything(Bundle.open(path), Path(folder))


def _ledger_survives(data: bytes, sql: str | None, params: tuple[Any, ...] = ()) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.sqlite"
        path.write_bytes(data)
        if sql is not None:
            connection = sqlite3.connect(path)
            try:
                for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                    connection.execute(f'DROP TRIGGER "{name}"')
                connection.execute("PRAGMA foreign_keys = OFF")
                connection.execute(sql, params)
                connection.commit()
            except sqlite3.Error:
                return  # the database refused the edit (a constraint): nothing to read
            finally:
                connection.close()
        with contextlib.suppress(GovernanceError):
            ledger = Ledger.open(str(path), read_only=True)
            with ledger, ledger.read() as reader:
                _read_everything(reader, Path(folder))
                export_bundle(reader, Path(folder) / "out.jsonl")


COLUMNS = {
    "ledger_decisions": [
        "seq", "decision_id", "recorded_at", "actor", "candidate", "decision", "policy_digest", "canon", "leaf_hash",
        "node",
    ],
    "ledger_checkpoints": ["tree_size", "root_hash", "signed_at", "key_id", "signature"],
    "ledger_policies": ["digest", "policy_id", "policy_version", "canon", "document", "recorded_at"],
    "ledger_keys": ["key_id", "name", "public_key", "registered_at"],
    "ledger_meta": ["name", "value"],
}  # fmt: skip
VALUES: list[Any] = [None, "", "abc", 0, -1, 1.5, 2**63 - 1, b"", b"\xff\xfe", b"\x00" * 32, "\u202e", '{"a":1}']


@st.composite
def _row_edit(draw: st.DrawFn) -> tuple[str, tuple[Any, ...]]:
    """One SQL edit: a column of one row set to a value of another type, or one row deleted."""
    table = draw(st.sampled_from(sorted(COLUMNS)))
    column = draw(st.sampled_from(COLUMNS[table]))
    row = draw(st.integers(1, 6))
    if draw(st.booleans()):
        return f"DELETE FROM {table} WHERE rowid = ?", (row,)
    value = draw(st.sampled_from(VALUES) | st.text(max_size=10) | st.binary(max_size=40))
    return f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (value, row)


class TestArchives:
    """Every reader of an archive, a bundle or a database ends in a value or a GovernanceError."""

    @_fuzz
    @given(data=_eval_inputs())
    def test_inspect_eval(self, data: bytes) -> None:
        """Inspect ``.eval`` archives (ZIP, DEFLATE or zstd members)."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "log.eval"
            path.write_bytes(data)
            with contextlib.suppress(GovernanceError):
                read_runs(path)

    @_fuzz
    @given(data=st.data())
    def test_audit_bundle(self, data: st.DataObject) -> None:
        """Audit bundles: verified, listed and replayed."""
        seed = _seed_ledger()[1]
        choice = data.draw(
            st.one_of(
                st.binary(max_size=400),
                _mutated(seed),
                _damaged_bytes(seed.encode()),
                st.sampled_from(HOSTILE).map(lambda value: seed.replace('"seq":1', f'"seq":{value}').encode()),
            )
        )
        _bundle_survives(choice)

    @_fuzz
    @given(edit=_row_edit())
    def test_ledger_rows(self, edit: tuple[str, tuple[Any, ...]]) -> None:
        """Ledger databases with one row changed or deleted: verified, listed, replayed and exported."""
        _ledger_survives(_seed_ledger()[0], *edit)

    @_fuzz
    @given(edits=_edits(len(_seed_ledger()[0])))
    def test_ledger_bytes(self, edits: list[Edit]) -> None:
        """Ledger database files damaged byte by byte."""
        _ledger_survives(_damaged(_seed_ledger()[0], edits), None)


def test_seed_ledger_reads() -> None:
    """The seeds themselves read cleanly, so that the mutations start from something valid."""
    data, bundle = _seed_ledger()
    assert json.loads(bundle.splitlines()[0])["type"] == "header"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.sqlite"
        path.write_bytes(data)
        with Ledger.open(str(path), read_only=True) as ledger, ledger.read() as reader:
            assert verify_source(reader, trusted_keys=[KEY.verifier()]).ok
            assert replay_source(reader).ok
