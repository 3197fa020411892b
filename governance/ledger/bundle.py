"""Audit bundles: a whole ledger as one self-contained JSON Lines file, and reading one back.

Each line is the RFC 8785 canonical JSON of one record, in this order:

1. ``header``: format name and version, the ledger's origin, schema version, canonical form, export
   time and the count of each record type;
2. ``key``: every public key the ledger registers (signed-note verifier key strings);
3. ``policy``: every policy version, its document inline;
4. ``suite``: every evaluation-suite version, its document inline (format version 2);
5. ``suite_use``: for each entry decided with evaluation suites, its sequence number and the
   digests of those suites (format version 2);
6. ``checkpoint``: every signed checkpoint (size, root, time, key id, signature);
7. ``entry``: every entry, in sequence order, with the candidate and decision documents inline, its
   leaf hash and node;
8. ``end``: the counts again and the SHA-256 of every byte before this line, so that a truncated
   or damaged file is refused before anything is trusted.

A bundle is a :class:`~governance.ledger.records.LedgerSource`: ``governance audit verify`` and
``governance audit replay`` run the same checks on it as on a live ledger, offline, with nothing but
the file (and, for trust, the public key the auditor obtained separately).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance._files import check_target, is_stdout, open_output
from governance.canonical import CANONICAL_FORM, canonical_bytes
from governance.engine import ENGINE_VERSION
from governance.exceptions import InputError, VerificationError
from governance.ledger._appends import append_runs
from governance.ledger.entry import EntryRow
from governance.ledger.records import StoredCheckpoint, StoredKey, StoredPolicy, StoredSuite
from governance.ledger.signing import VerifierKey
from governance.ledger.store import LedgerReader, utc_timestamp

__all__ = ["BUNDLE_FORMAT", "BUNDLE_VERSION", "Bundle", "BundleSummary", "bundle_lines", "export_bundle"]

BUNDLE_FORMAT = "governance-audit-bundle"
BUNDLE_VERSION = 2
"""The format version written; version 1 (no suite records) is still read."""
READABLE_VERSIONS = (1, 2)
Progress = Callable[[int], None]
_RECORD_ORDER = {
    "header": 0,
    "key": 1,
    "policy": 2,
    "suite": 3,
    "suite_use": 4,
    "checkpoint": 5,
    "entry": 6,
    "end": 7,
}


@dataclass(frozen=True)
class BundleSummary:
    """What an export wrote."""

    path: Path
    origin: str
    entries: int
    policies: int
    checkpoints: int
    keys: int
    sha256: str
    """Hex SHA-256 of the file up to its end record (also written in that record)."""
    suites: int = 0
    """Evaluation-suite versions written."""


def _line(document: Any) -> bytes:
    return canonical_bytes(document) + b"\n"


def _string(value: str) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _entry_line(row: EntryRow) -> bytes:
    """The entry record, with the stored canonical documents spliced in (equal to canonical_bytes)."""
    return b"".join(
        (
            b'{"actor":',
            _string(row.actor),
            b',"candidate":',
            row.candidate,
            b',"canon":',
            _string(row.canon),
            b',"decision":',
            row.decision,
            b',"decision_id":',
            _string(row.decision_id),
            b',"leaf_hash":"',
            row.leaf_hash.hex().encode(),
            b'","node":"',
            row.node.hex().encode(),
            b'","policy_digest":',
            _string(row.policy_digest),
            b',"recorded_at":',
            _string(row.recorded_at),
            b',"seq":',
            str(row.seq).encode(),
            b',"type":"entry"}\n',
        )
    )


def _document_line(kind: str, item: StoredPolicy | StoredSuite, document_id: str, version: str) -> bytes:
    """One ``policy`` or ``suite`` record: a stored, content-addressed document with its identity."""
    return b"".join(
        (
            b'{"canon":',
            _string(item.canon),
            b',"digest":',
            _string(item.digest),
            b',"document":',
            item.document,
            b',"id":',
            _string(document_id),
            b',"recorded_at":',
            _string(item.recorded_at),
            b',"type":"' + kind.encode() + b'","version":',
            _string(version),
            b"}\n",
        )
    )


def _policy_line(policy: StoredPolicy) -> bytes:
    return _document_line("policy", policy, policy.policy_id, policy.policy_version)


def _suite_line(suite: StoredSuite) -> bytes:
    return _document_line("suite", suite, suite.suite_id, suite.suite_version)


def bundle_lines(reader: LedgerReader, *, progress: Progress | None = None) -> Iterator[bytes]:
    """The audit bundle of everything ``reader`` sees, line by line; the last line is the end record.

    ``governance ledger export`` writes these lines to a file, and the service streams them
    (``GET /v1/bundle``); both give the same bytes for the same snapshot (but the export time).
    """
    keys = reader.signing_keys()
    policies = reader.policies()
    suites = reader.suites()
    uses = reader.suite_uses()
    checkpoints = reader.checkpoints()
    counts = {
        "checkpoints": len(checkpoints),
        "entries": reader.entry_count(),
        "keys": len(keys),
        "policies": len(policies),
        "suite_uses": len(uses),
        "suites": len(suites),
    }
    hasher = hashlib.sha256()

    def hashed(data: bytes) -> bytes:
        hasher.update(data)
        return data

    yield hashed(
        _line(
            {
                "canon": CANONICAL_FORM,
                "counts": counts,
                "exported_at": utc_timestamp(),
                "format": BUNDLE_FORMAT,
                "format_version": BUNDLE_VERSION,
                "generator": f"governance {ENGINE_VERSION}",
                "origin": reader.origin,
                "schema_version": reader.schema_version,
                "type": "header",
            }
        )
    )
    for key in keys:
        try:
            text = key.verifier().text()
        except InputError:  # a damaged key row is exported as stored; verification will say so
            text = f"{key.name}+{key.key_id}+" + base64.b64encode(b"\x01" + key.public_key).decode()
        yield hashed(
            _line(
                {
                    "key": text,
                    "key_id": key.key_id,
                    "name": key.name,
                    "registered_at": key.registered_at,
                    "type": "key",
                }
            )
        )
    for policy in policies:
        yield hashed(_policy_line(policy))
    for suite in suites:
        yield hashed(_suite_line(suite))
    for seq in sorted(uses):
        yield hashed(_line({"seq": seq, "suites": list(uses[seq]), "type": "suite_use"}))
    for checkpoint in checkpoints:
        yield hashed(
            _line(
                {
                    "key_id": checkpoint.key_id,
                    "root_hash": checkpoint.root_hash.hex(),
                    "signature": base64.b64encode(checkpoint.signature).decode("ascii"),
                    "signed_at": checkpoint.signed_at,
                    "tree_size": checkpoint.tree_size,
                    "type": "checkpoint",
                }
            )
        )
    written = 0
    for row in reader.entries():
        yield hashed(_entry_line(row))
        written += 1
        if progress is not None and written % 2048 == 0:
            progress(written)
    counts["entries"] = written
    yield _line({"counts": counts, "sha256": hasher.hexdigest(), "type": "end"})


def export_bundle(
    reader: LedgerReader, path: Path, *, overwrite: bool = False, progress: Progress | None = None
) -> BundleSummary:
    """Write everything ``reader`` sees to ``path`` as an audit bundle.

    The file is written beside its final name and renamed into place at the end, so an interrupted
    export never leaves a partial bundle under that name; ``-`` streams it to standard output.

    Raises:
        InputError: when ``path`` exists (and ``overwrite`` is false), is a link, a device or a
            folder, or its folder does not exist (see :mod:`governance._files`).
        OutputError: the bundle cannot be written (a full disk).
    """
    if not is_stdout(path):
        check_target(path, force=overwrite)
    last = b""
    with open_output(path, force=overwrite) as handle:
        for line in bundle_lines(reader, progress=progress):
            handle.write(line)
            last = line
    end = json.loads(last)
    counts = end["counts"]
    if progress is not None:
        progress(counts["entries"])
    return BundleSummary(
        path,
        reader.origin,
        counts["entries"],
        counts["policies"],
        counts["checkpoints"],
        counts["keys"],
        end["sha256"],
        counts["suites"],
    )


# -- reading --------------------------------------------------------------------------------------


def _need(record: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = record.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise VerificationError(f"{where}: field {name!r} is missing or has the wrong type")
    return value


def _hex(record: dict[str, Any], name: str, where: str) -> bytes:
    text = _need(record, name, str, where)
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise VerificationError(f"{where}: field {name!r} is not hex") from exc


class Bundle:
    """An audit bundle opened for verification or replay (a :class:`LedgerSource`)."""

    def __init__(self, path: Path) -> None:
        """Open ``path`` and read everything before the entries (use :meth:`open`)."""
        self.path = path
        self._keys: list[StoredKey] = []
        self._policies: list[StoredPolicy] = []
        self._suites: list[StoredSuite] = []
        self._uses: dict[int, tuple[str, ...]] = {}
        self._checkpoints: list[StoredCheckpoint] = []
        self.header: dict[str, Any] = {}
        self._entries_offset = 0
        self._entries_line = 0
        self._runs: list[tuple[str, int, int]] | None = None

    @classmethod
    def open(cls, path: Path) -> Bundle:
        """Open a bundle and read its header, keys, policies and checkpoints.

        Raises:
            InputError: when the file is missing or is not an audit bundle.
            VerificationError: when it is damaged before the entries.
        """
        bundle = cls(path)
        bundle._read_head()
        return bundle

    @property
    def origin(self) -> str:
        """The origin of the ledger the bundle was exported from."""
        return str(self.header["origin"])

    @property
    def description(self) -> str:
        """The bundle's path."""
        return str(self.path)

    @property
    def counts(self) -> dict[str, int]:
        """The record counts the header announces."""
        return dict(self.header["counts"])

    def signing_keys(self) -> list[StoredKey]:
        """The public keys in the bundle."""
        return list(self._keys)

    def policies(self) -> list[StoredPolicy]:
        """The policy versions in the bundle."""
        return list(self._policies)

    def suites(self) -> list[StoredSuite]:
        """The evaluation-suite versions in the bundle (none in a format-version-1 bundle)."""
        return list(self._suites)

    def suite_uses(self) -> dict[int, tuple[str, ...]]:
        """The digests of the suites each entry was decided with, by sequence number."""
        return dict(self._uses)

    def checkpoints(self) -> list[StoredCheckpoint]:
        """The checkpoints in the bundle, in file order."""
        return list(self._checkpoints)

    def entry_count(self) -> int:
        """The number of entries the header announces."""
        return int(self.counts["entries"])

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError as exc:
            raise InputError(f"{self.path}: no such bundle") from exc
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read the bundle ({exc.strerror})") from exc
        with handle:
            yield from enumerate(handle, start=1)

    def _parse(self, number: int, line: bytes) -> dict[str, Any]:
        where = f"{self.path}:{number}"
        if not line.endswith(b"\n"):
            raise VerificationError(f"{where}: the last line is cut off: the bundle is truncated")
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise VerificationError(f"{where}: not a JSON record: the bundle is damaged") from exc
        if not isinstance(record, dict) or record.get("type") not in _RECORD_ORDER:
            raise VerificationError(f"{where}: not a bundle record (expected an object with a known 'type')")
        return record

    def _read_head(self) -> None:
        lines = self._lines()
        first = next(lines, None)
        if first is None:
            raise InputError(f"{self.path}: empty file, not an audit bundle")
        number, line = first
        try:
            header = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{self.path}: not an audit bundle (the first line is not JSON)") from exc
        if not isinstance(header, dict) or header.get("type") != "header" or header.get("format") != BUNDLE_FORMAT:
            raise InputError(f"{self.path}: not an audit bundle (no '{BUNDLE_FORMAT}' header on line 1)")
        version = header.get("format_version")
        if version not in READABLE_VERSIONS or isinstance(version, bool):
            raise InputError(
                f"{self.path}: bundle format version {version!r}; this governance reads versions "
                f"{', '.join(map(str, READABLE_VERSIONS))}"
            )
        where = f"{self.path}:1"
        _need(header, "origin", str, where)
        counts = _need(header, "counts", dict, where)
        names = ["entries", "policies", "checkpoints", "keys"] + (["suites", "suite_uses"] if version >= 2 else [])
        for name in names:
            _need(counts, name, int, where)
        self.header = header
        offset = len(line)
        stage = 0
        for number, line in lines:
            record = self._parse(number, line)
            kind = record["type"]
            where = f"{self.path}:{number}"
            if _RECORD_ORDER[kind] < stage or kind == "header":
                raise VerificationError(f"{where}: a {kind} record out of place")
            if header["format_version"] < 2 and kind in ("suite", "suite_use"):
                raise VerificationError(f"{where}: a {kind} record in a format-version-1 bundle")
            stage = _RECORD_ORDER[kind]
            if kind in ("entry", "end"):
                self._entries_offset = offset
                self._entries_line = number
                break
            if kind == "key":
                self._keys.append(self._key(record, where))
            elif kind == "policy":
                self._policies.append(self._policy(record, where))
            elif kind == "suite":
                self._suites.append(self._suite(record, where))
            elif kind == "suite_use":
                seq, digests = self._suite_use(record, where)
                if seq in self._uses:
                    raise VerificationError(f"{where}: a second suite_use record for entry {seq}")
                self._uses[seq] = digests
            else:
                self._checkpoints.append(self._checkpoint(record, where))
            offset += len(line)
        else:
            raise VerificationError(f"{self.path}: the bundle ends before its entries: it is truncated")
        self._check_count("keys", len(self._keys))
        self._check_count("policies", len(self._policies))
        if header["format_version"] >= 2:
            self._check_count("suites", len(self._suites))
            self._check_count("suite_uses", len(self._uses))
        self._check_count("checkpoints", len(self._checkpoints))

    def _check_count(self, name: str, found: int) -> None:
        if found != self.counts[name]:
            raise VerificationError(
                f"{self.path}: the header announces {self.counts[name]} {name} but the bundle holds {found}"
            )

    @staticmethod
    def _key(record: dict[str, Any], where: str) -> StoredKey:
        text = _need(record, "key", str, where)
        try:
            key = VerifierKey.parse(text, source=where)
        except InputError as exc:
            raise VerificationError(exc.message) from exc
        if key.key_id != record.get("key_id") or key.name != record.get("name"):
            raise VerificationError(f"{where}: the key's name or id does not match its key string")
        return StoredKey(key.key_id, key.name, key.public_key, str(record.get("registered_at", "")))

    @staticmethod
    def _policy(record: dict[str, Any], where: str) -> StoredPolicy:
        return StoredPolicy(*_stored_document_fields(record, where, "policy"))

    @staticmethod
    def _suite(record: dict[str, Any], where: str) -> StoredSuite:
        return StoredSuite(*_stored_document_fields(record, where, "suite"))

    @staticmethod
    def _suite_use(record: dict[str, Any], where: str) -> tuple[int, tuple[str, ...]]:
        seq = _need(record, "seq", int, where)
        digests = _need(record, "suites", list, where)
        if not digests or not all(isinstance(digest, str) for digest in digests):
            raise VerificationError(f"{where}: field 'suites' must be a non-empty list of suite digests")
        return seq, tuple(digests)

    @staticmethod
    def _checkpoint(record: dict[str, Any], where: str) -> StoredCheckpoint:
        signature_text = _need(record, "signature", str, where)
        try:
            signature = base64.b64decode(signature_text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VerificationError(f"{where}: the signature is not base64") from exc
        return StoredCheckpoint(
            _need(record, "tree_size", int, where),
            _hex(record, "root_hash", where),
            _need(record, "signed_at", str, where),
            _need(record, "key_id", str, where),
            signature,
        )

    def entries(self) -> Iterator[EntryRow]:
        """Stream the entries, then check the end record (counts and SHA-256 of the file).

        Raises:
            VerificationError: when the file is truncated or damaged.
        """
        hasher = hashlib.sha256()
        count = 0
        end: dict[str, Any] | None = None
        times: list[tuple[int, str]] = []
        for number, line in self._lines():
            if end is not None:
                raise VerificationError(f"{self.path}:{number}: data after the end record")
            if number < self._entries_line:
                hasher.update(line)
                continue
            record = self._parse(number, line)
            where = f"{self.path}:{number}"
            if record["type"] == "end":
                end = record
                continue
            if record["type"] != "entry":
                raise VerificationError(f"{where}: a {record['type']} record among the entries")
            hasher.update(line)
            count += 1
            entry = self._entry(record, where)
            times.append((entry.seq, entry.recorded_at))
            yield entry
        if end is None:
            raise VerificationError(f"{self.path}: no end record after {count} entries: the bundle is truncated")
        if count != self.counts["entries"] or end.get("counts") != self.counts:
            raise VerificationError(
                f"{self.path}: the header announces {self.counts['entries']} entries but the bundle holds {count}"
            )
        if end.get("sha256") != hasher.hexdigest():
            raise VerificationError(
                f"{self.path}: the end record's SHA-256 does not match the file: the bundle is damaged"
            )
        self._runs = append_runs(times)

    def append_runs(self) -> list[tuple[str, int, int]]:
        """The runs of entries recorded at one time (gathered while the entries were read, else read now)."""
        if self._runs is None:
            for _entry in self.entries():
                pass
        return list(self._runs or [])

    def raw_rows(self) -> Iterator[tuple[Any, ...]]:
        """The entries as tuples (an :class:`EntryRow` is one)."""
        return iter(self.entries())

    @staticmethod
    def _entry(record: dict[str, Any], where: str) -> EntryRow:
        candidate = _need(record, "candidate", dict, where)
        decision = _need(record, "decision", dict, where)
        try:
            candidate_json = canonical_bytes(candidate)
            decision_json = canonical_bytes(decision)
        except (TypeError, ValueError) as exc:
            raise VerificationError(f"{where}: a document cannot be written as canonical JSON ({exc})") from exc
        return EntryRow(
            _need(record, "seq", int, where),
            _need(record, "decision_id", str, where),
            _need(record, "recorded_at", str, where),
            _need(record, "actor", str, where),
            candidate_json,
            decision_json,
            _need(record, "policy_digest", str, where),
            _need(record, "canon", str, where),
            _hex(record, "leaf_hash", where),
            _hex(record, "node", where),
        )


def _stored_document_fields(record: dict[str, Any], where: str, what: str) -> tuple[str, str, str, str, bytes, str]:
    """A ``policy`` or ``suite`` record's fields, in the order of StoredPolicy and StoredSuite."""
    document = _need(record, "document", dict, where)
    try:
        encoded = canonical_bytes(document)
    except (TypeError, ValueError) as exc:
        raise VerificationError(f"{where}: the {what} document cannot be written as canonical JSON ({exc})") from exc
    return (
        _need(record, "digest", str, where),
        _need(record, "id", str, where),
        _need(record, "version", str, where),
        _need(record, "canon", str, where),
        encoded,
        str(record.get("recorded_at", "")),
    )
