"""Verification: recompute every leaf hash, the Merkle tree and every checkpoint signature.

:func:`verify_source` reads a :class:`~governance.ledger.records.LedgerSource` (an open ledger or an
audit bundle) once, in order, and stops at the first fault. A fault names the first bad entry (its
sequence number and decision id) and its kind:

``altered``
    an entry, its node, a policy version or an evaluation-suite version no longer hashes to what was
    recorded;
``missing``
    an entry (or a policy or suite version an entry uses) is absent: a gap in the sequence numbers, entries
    shifted down to close a gap, or a checkpoint covering more entries than there are;
``inserted``
    an entry that was never recorded: a repeated sequence number or decision id, entries shifted up
    to make room, or entries that no signed checkpoint covers;
``reordered``
    an entry recorded at one position found at another;
``bad signature``
    a checkpoint whose signature does not verify under a trusted key;
``inconsistent checkpoint``
    a validly signed checkpoint whose root is not the root of the entries it claims to cover, or a
    checkpoint the auditor trusts that this ledger does not extend.

Local checks (an entry's own hash and node) locate a fault exactly; a rewrite that also recomputed
the hashes is caught by the first checkpoint whose root no longer matches, which locates it to the
entries that checkpoint added. See ``docs/ledger.md`` for the algorithm an independent verifier follows.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Any

from governance.canonical import CANONICAL_FORM, canonical_bytes
from governance.exceptions import DamagedRowError, GovernanceError, InputError, VerificationError
from governance.ledger._appends import unsigned_append
from governance.ledger.merkle import EMPTY_ROOT, CompactRange, ProofError
from governance.ledger.records import LedgerSource, StoredCheckpoint, StoredPolicy, StoredSuite
from governance.ledger.signing import SignedCheckpoint, VerifierKey

__all__ = ["Fault", "FaultKind", "Progress", "VerificationReport", "verify_source"]

Progress = Callable[[int], None]
"""Called with the number of entries checked so far (every few thousand entries)."""

LOOKAHEAD = 64
"""How many entries around a fault are read to tell a move from an edit."""
PROGRESS_EVERY = 4096
PARALLEL_MIN = 50_000
"""Ledgers smaller than this are verified in one process (starting workers would cost more)."""
PARALLEL_CHUNK_MIN = 10_000
MAX_JOBS = 8
_CANON_FORMS = frozenset([CANONICAL_FORM, CANONICAL_FORM.encode()])
_NEEDS_ESCAPE = re.compile(rb'["\\\x00-\x1f]')
_sha256 = hashlib.sha256


class FaultKind(StrEnum):
    """The kinds of fault verification reports."""

    ALTERED = "altered"
    MISSING = "missing"
    INSERTED = "inserted"
    REORDERED = "reordered"
    BAD_SIGNATURE = "bad signature"
    INCONSISTENT_CHECKPOINT = "inconsistent checkpoint"


@dataclass(frozen=True)
class Fault:
    """The first thing wrong with a ledger: its kind, the entry it concerns, and what was found."""

    kind: FaultKind
    seq: int | None
    """The first bad entry's sequence number (None when the fault concerns no entry)."""
    decision_id: str | None
    detail: str

    def message(self) -> str:
        """One line for people: kind, entry, detail."""
        where = ""
        if self.seq is not None:
            where = f" at entry seq {self.seq}" + (f" (decision {self.decision_id})" if self.decision_id else "")
        return f"{self.kind.value}{where}: {self.detail}"

    def document(self) -> dict[str, Any]:
        """The fault as JSON."""
        return {"kind": self.kind.value, "seq": self.seq, "decision_id": self.decision_id, "detail": self.detail}


@dataclass
class VerificationReport:
    """What verification checked and the first fault it found, if any."""

    source: str
    origin: str
    entries: int = 0
    policies: int = 0
    suites: int = 0
    """Evaluation-suite versions stored (schema version 2 and later)."""
    checkpoints: int = 0
    keys: list[VerifierKey] = field(default_factory=list)
    trust: str = "ledger"
    """``ledger`` when signatures were checked against the keys the ledger registers itself,
    ``pubkey`` when against keys the auditor supplied."""
    root: bytes = EMPTY_ROOT
    """The root recomputed over every entry."""
    latest: SignedCheckpoint | None = None
    trusted_checkpoint: SignedCheckpoint | None = None
    fault: Fault | None = None

    @property
    def ok(self) -> bool:
        """True when no fault was found."""
        return self.fault is None

    def raise_for_fault(self) -> None:
        """Raise :class:`VerificationError` naming the fault, if there is one."""
        if self.fault is not None:
            raise VerificationError(f"{self.source} does not verify: {self.fault.message()}")

    def document(self) -> dict[str, Any]:
        """The report as JSON."""
        latest = None
        if self.latest is not None:
            latest = {
                "tree_size": self.latest.checkpoint.tree_size,
                "root_hash": self.latest.checkpoint.root_hash.hex(),
                "time": self.latest.checkpoint.time,
                "key": f"{self.latest.key_name} ({self.latest.key_id})",
            }
        return {
            "source": self.source,
            "origin": self.origin,
            "ok": self.ok,
            "entries": self.entries,
            "policies": self.policies,
            "suites": self.suites,
            "checkpoints": self.checkpoints,
            "trust": self.trust,
            "keys": [key.text() for key in self.keys],
            "root_hash": self.root.hex(),
            "latest_checkpoint": latest,
            "trusted_checkpoint": None
            if self.trusted_checkpoint is None
            else {
                "tree_size": self.trusted_checkpoint.checkpoint.tree_size,
                "root_hash": self.trusted_checkpoint.checkpoint.root_hash.hex(),
            },
            "fault": None if self.fault is None else self.fault.document(),
        }


class _FaultFoundError(Exception):
    """Raised inside the scan to end it at the first fault."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.detail)
        self.fault = fault


def _json_string(value: str | bytes) -> bytes:
    """The canonical JSON string for a text column, given as ``str`` or as raw UTF-8 bytes."""
    if isinstance(value, bytes):
        if _NEEDS_ESCAPE.search(value) is None:
            return b'"' + value + b'"'
        text = value.decode("utf-8", errors="surrogateescape")
    else:
        text = value
    return encode_basestring(text).encode("utf-8", errors="surrogateescape")


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


_MEMO_LIMIT = 4096
"""At most this many short text values (actors, dates, digests) keep their JSON string between entries."""


def _memo(cache: dict[str | bytes, bytes], value: str | bytes) -> bytes:
    """The canonical JSON string for ``value``, remembered in ``cache`` for the values that repeat."""
    encoded = _json_string(value)
    if len(cache) >= _MEMO_LIMIT:
        cache.clear()
    cache[value] = encoded
    return encoded


def _leaf_digest(row: Sequence[Any], seq: int, cache: dict[str | bytes, bytes]) -> bytes:
    """SHA-256(0x00 ‖ leaf) for ``row`` placed at ``seq``: one hash over the leaf's pieces joined once.

    The short fields' JSON strings come from ``cache`` (a JSON string is never empty, so a miss is
    falsy); the documents are joined as stored, canonical JSON already.
    """
    get = cache.get
    actor, canon, digest, recorded_at = row[3], row[7], row[6], row[2]
    return _sha256(
        b"".join(
            (
                b'\x00{"actor":',
                get(actor) or _memo(cache, actor),
                b',"candidate":',
                row[4],
                b',"canon":',
                get(canon) or _memo(cache, canon),
                b',"decision":',
                row[5],
                b',"decision_id":',
                _json_string(row[1]),
                b',"policy_digest":',
                get(digest) or _memo(cache, digest),
                b',"recorded_at":',
                get(recorded_at) or _memo(cache, recorded_at),
                b',"seq":',
                str(seq).encode(),
                b"}",
            )
        )
    ).digest()


def _leaf_hash_at(row: Sequence[Any], seq: int) -> bytes:
    try:
        return _leaf_digest(row, seq, {})
    except (TypeError, ValueError):
        return b""


def _check_stored(items: Sequence[StoredPolicy] | Sequence[StoredSuite], noun: str) -> dict[str, str]:
    """Digest -> problem ("" when the stored document hashes to its digest, is canonical, and says
    the id and version it is filed under)."""
    status: dict[str, str] = {}
    for item in items:
        labelled = (
            (item.policy_id, item.policy_version)
            if isinstance(item, StoredPolicy)
            else (item.suite_id, item.suite_version)
        )
        problem = ""
        if item.canon != CANONICAL_FORM:
            problem = f"{noun} {item.ref} is stored in canonical form {item.canon!r}, not {CANONICAL_FORM}"
        elif "sha256:" + hashlib.sha256(item.document).hexdigest() != item.digest:
            problem = f"{noun} version {item.ref} no longer hashes to its digest {item.digest}"
        else:
            try:
                document = json.loads(item.document)
                canonical = canonical_bytes(document) == item.document
                identity = (document.get("id"), document.get("version")) == labelled
            except (ValueError, TypeError, AttributeError):
                canonical = identity = False
            if not canonical:
                problem = f"{noun} version {item.ref} ({item.digest}) is not canonical JSON"
            elif not identity:
                problem = f"{noun} version {item.digest} is labelled {item.ref} but its document says otherwise"
        status[item.digest] = problem
    return status


def _check_policies(policies: list[StoredPolicy]) -> dict[str, str]:
    """Digest -> problem for every stored policy version."""
    return _check_stored(policies, "policy")


def _check_suites(suites: list[StoredSuite]) -> dict[str, str]:
    """Digest -> problem for every stored evaluation suite version."""
    return _check_stored(suites, "evaluation suite")


def _check_suite_uses(uses: dict[int, tuple[str, ...]], status: dict[str, str], entries: int) -> None:
    """Each entry's suites are stored and intact, and belong to an entry that exists; the first fault is raised."""
    for seq in sorted(uses):
        if seq < 0 or seq >= entries:
            raise _FaultFoundError(
                Fault(
                    FaultKind.INSERTED,
                    seq,
                    None,
                    f"evaluation suites are recorded for entry {seq}, but the ledger has {entries} entries",
                )
            )
        for digest in uses[seq]:
            problem = status.get(digest)
            if problem is None:
                raise _FaultFoundError(
                    Fault(FaultKind.MISSING, seq, None, f"the evaluation suite version it used ({digest}) is missing")
                )
            if problem:
                raise _FaultFoundError(Fault(FaultKind.ALTERED, seq, None, problem))


_Target = tuple[str, "StoredCheckpoint | SignedCheckpoint", str]


def _check_checkpoints(
    checkpoints: list[StoredCheckpoint], origin: str, keys: dict[str, VerifierKey]
) -> list[tuple[StoredCheckpoint, SignedCheckpoint, str]]:
    """Each checkpoint with its signed form and a problem ("" when the signature verifies)."""
    out: list[tuple[StoredCheckpoint, SignedCheckpoint, str]] = []
    previous = -1
    for stored in checkpoints:
        key = keys.get(stored.key_id)
        signed = stored.signed(origin, key.name if key is not None else "unknown")
        if stored.tree_size <= previous:
            problem = f"checkpoint sizes are not increasing ({previous} then {stored.tree_size})"
        elif key is None:
            problem = f"checkpoint at size {stored.tree_size} is signed by key id {stored.key_id}, which is not trusted"
        elif len(stored.root_hash) != 32 or not signed.verify(key):
            problem = f"the signature of the checkpoint at size {stored.tree_size} does not verify with key {key.name}"
        else:
            problem = ""
        previous = stored.tree_size
        out.append((stored, signed, problem))
    return out


def verify_source(
    source: LedgerSource,
    *,
    trusted_keys: Sequence[VerifierKey] | None = None,
    trusted_checkpoint: SignedCheckpoint | None = None,
    progress: Progress | None = None,
    jobs: int | None = 1,
) -> VerificationReport:
    """Verify everything ``source`` holds; return a report with the first fault (if any).

    Args:
        source: an open ledger's reader or an audit bundle.
        trusted_keys: the public keys checkpoints must be signed with. When None, the keys the
            ledger registers itself are used, which proves internal consistency only.
        trusted_checkpoint: a signed checkpoint the auditor kept from before; the ledger must
            contain that exact tree as a prefix (this catches truncation and rewritten history even
            when every checkpoint in the ledger was re-signed).
        progress: called with the number of entries checked so far.
        jobs: worker processes that hash entries in parallel (a database ledger of at least
            :data:`PARALLEL_MIN` entries only); None picks one per CPU. The result is the same; on
            any fault the scan is redone in order to name the first bad entry exactly.
    """
    report = VerificationReport(source=source.description, origin=source.origin)
    try:
        if trusted_keys is not None:
            keys = {key.key_id: key for key in trusted_keys}
            report.trust = "pubkey"
        else:
            keys = {}
            for stored in source.signing_keys():
                try:
                    keys[stored.key_id] = stored.verifier()
                except InputError:
                    continue  # a damaged key row: checkpoints it signed will fail as "not trusted"
        report.keys = list(keys.values())
        _verify(source, report, keys, trusted_checkpoint, progress, jobs)
    except _FaultFoundError as stop:
        report.fault = stop.fault
    except DamagedRowError as exc:  # a row read outside the scan (a key, policy, suite or checkpoint)
        detail = exc.detail.removeprefix(f"{source.description}: ")
        report.fault = Fault(FaultKind.ALTERED, exc.seq, None, detail)
    return report


class _Scan:
    """The state of one pass over the entries: the tree, the position, and the roots still to compare."""

    def __init__(self, targets: dict[int, list[_Target]], progress: Progress | None) -> None:
        self.targets = targets
        self.sizes = sorted(targets)
        self.size_index = 0
        self.next_size = self.sizes[0] if self.sizes else -1
        self.covered = 0
        """Entries covered by the last ledger checkpoint that matched."""
        self.expected = 0
        self.tree = CompactRange()
        self.history: deque[Sequence[Any]] = deque(maxlen=LOOKAHEAD)
        self.seen_ids: set[str | bytes] = set()
        self.progress = progress

    def reached(self, last_id: object, rows: Iterator[Sequence[Any]] | None = None) -> None:
        """Compare the root now with every checkpoint of this size.

        When a signed root does not match, the entries just after are read (from ``rows``) to tell an
        insertion, removal or move (which shifts later entries) from an edit whose hashes were redone.
        """
        size = self.expected
        root = self.tree.root()
        covered = self.covered
        first = self.history[-(size - covered)] if 0 < size - covered <= len(self.history) else None
        first_id = None if first is None else _text(first[1])
        for kind, item, problem in self.targets[size]:
            if kind == "trusted":
                assert isinstance(item, SignedCheckpoint)
                if item.checkpoint.root_hash != root:
                    raise _FaultFoundError(
                        Fault(
                            FaultKind.INCONSISTENT_CHECKPOINT,
                            size - 1,
                            _text(last_id),
                            f"the checkpoint you trust says the first {size} entries have root "
                            f"{item.checkpoint.root_hash.hex()}, but here they hash to {root.hex()}: "
                            "history was rewritten",
                        )
                    )
                continue
            assert isinstance(item, StoredCheckpoint)
            if problem:
                raise _FaultFoundError(Fault(FaultKind.BAD_SIGNATURE, covered, first_id, problem))
            if item.root_hash != root:
                moved = None if rows is None else self._explain(rows)
                if moved is not None and moved.seq is not None and covered <= moved.seq < size:
                    raise _FaultFoundError(moved)
                raise _FaultFoundError(
                    Fault(
                        FaultKind.INCONSISTENT_CHECKPOINT,
                        covered,
                        first_id,
                        f"the checkpoint at size {size} signs root {item.root_hash.hex()}, but entries 0 to "
                        f"{size - 1} hash to {root.hex()}: an entry from seq {covered} to {size - 1} was rewritten "
                        "together with its hashes",
                    )
                )
            self.covered = size
        self.size_index += 1
        self.next_size = self.sizes[self.size_index] if self.size_index < len(self.sizes) else -1

    def _explain(self, rows: Iterator[Sequence[Any]]) -> Fault | None:
        """The diagnosis of the first locally bad entry among the next few, if it is a move."""
        history: deque[Sequence[Any]] = deque(self.history, maxlen=LOOKAHEAD)
        position = self.expected
        for row in _ahead(rows, LOOKAHEAD):
            if row[0] != position:
                fault = _diagnose_sequence(row, position, history, rows)
            elif _leaf_hash_at(row, position) != row[8]:
                fault = _diagnose_leaf(row, position, history, rows)
            else:
                history.append(row)
                position += 1
                continue
            return fault if fault.kind is not FaultKind.ALTERED else None
        return None


def _verify(
    source: LedgerSource,
    report: VerificationReport,
    keys: dict[str, VerifierKey],
    trusted: SignedCheckpoint | None,
    progress: Progress | None,
    jobs: int | None,
) -> None:
    policy_status = _check_policies(source.policies())
    report.policies = len(policy_status)
    checkpoints = _check_checkpoints(source.checkpoints(), source.origin, keys)
    report.checkpoints = len(checkpoints)
    if trusted is not None:
        report.trusted_checkpoint = trusted
        _check_trusted(trusted, source.origin, keys)

    # Sizes at which a root must be compared, in order; the trusted checkpoint joins them.
    targets: dict[int, list[_Target]] = {}
    for stored, _signed, problem in checkpoints:
        targets.setdefault(stored.tree_size, []).append(("ledger", stored, problem))
    if trusted is not None:
        targets.setdefault(trusted.checkpoint.tree_size, []).append(("trusted", trusted, ""))

    good_digests = [digest for digest, problem in policy_status.items() if not problem]
    good_policies: frozenset[str | bytes] = frozenset([*good_digests, *(d.encode() for d in good_digests)])
    scan: _Scan | None = None
    spec = getattr(source, "worker_spec", None)
    total = source.entry_count()
    workers = (os.cpu_count() or 1) if jobs is None else jobs
    if workers > 1 and spec is not None and total >= PARALLEL_MIN:
        scan = _scan_parallel(spec(), total, _Scan(targets, progress), good_policies, min(workers, MAX_JOBS))
        if scan is not None and (scan.size_index < len(scan.sizes) or scan.expected > scan.covered):
            scan = None  # a fault after the last entry: the in-order pass names it with its entry
    if scan is None:  # sequential, or the parallel pass saw something to diagnose
        scan = _Scan(targets, progress)
        _scan_sequential(source, scan, good_policies, policy_status)
    expected = scan.expected
    report.entries = expected
    report.root = scan.tree.root()
    if progress is not None:
        progress(expected)
    for size in scan.sizes[scan.size_index :]:
        for kind, _item, _problem in targets[size]:
            whose = "a checkpoint you trust" if kind == "trusted" else "a signed checkpoint"
            raise _FaultFoundError(
                Fault(
                    FaultKind.MISSING,
                    expected,
                    None,
                    f"{whose} covers {size} entries but the ledger ends after {expected}: "
                    f"entries {expected} to {size - 1} are missing",
                )
            )
    covered = scan.covered
    if expected > covered:
        first = scan.history[-(expected - covered)] if expected - covered <= len(scan.history) else None
        raise _FaultFoundError(
            Fault(
                FaultKind.INSERTED,
                covered,
                None if first is None else _text(first[1]),
                f"entries {covered} to {expected - 1} are not covered by any signed checkpoint",
            )
        )
    for _digest, problem in sorted(policy_status.items()):
        if problem:
            raise _FaultFoundError(Fault(FaultKind.ALTERED, None, None, f"{problem} (no entry uses it)"))
    suite_status = _check_suites(source.suites())
    report.suites = len(suite_status)
    _check_suite_uses(source.suite_uses(), suite_status, expected)
    for _digest, problem in sorted(suite_status.items()):
        if problem:
            raise _FaultFoundError(Fault(FaultKind.ALTERED, None, None, f"{problem} (no entry uses it)"))
    unsigned = unsigned_append(source.append_runs(), [stored for stored, _signed, _problem in checkpoints])
    if unsigned is not None:
        raise _FaultFoundError(Fault(FaultKind.MISSING, unsigned[0], None, unsigned[1]))
    good = [signed for _stored, signed, problem in checkpoints if not problem]
    report.latest = good[-1] if good else None


def _scan_sequential(
    source: LedgerSource, scan: _Scan, good_policies: frozenset[str | bytes], policy_status: dict[str, str]
) -> None:
    """Check every entry in order; raise _FaultFound with a diagnosis at the first fault.

    Only each entry's sequence number and decision id stay in the look-behind history: keeping whole
    rows would hold their documents' memory, so the next row could not reuse it while it is in cache.
    """
    cache: dict[str | bytes, bytes] = {}
    canon_forms = _CANON_FORMS
    tree_append = scan.tree.append
    seen_ids = scan.seen_ids
    history = scan.history
    progress = scan.progress
    rows = iter(source.raw_rows())
    for row in rows:
        seq = row[0]
        expected = scan.expected
        if seq != expected:
            raise _FaultFoundError(_diagnose_sequence(row, expected, history, rows))
        try:
            leaf = _leaf_digest(row, seq, cache)
        except (TypeError, ValueError):
            leaf = b""
        if leaf != row[8]:
            raise _FaultFoundError(_diagnose_leaf(row, expected, history, rows))
        decision_id = row[1]
        if tree_append(leaf) != row[9]:
            raise _FaultFoundError(
                Fault(FaultKind.ALTERED, seq, _text(decision_id), "its stored tree node does not match the tree")
            )
        if row[6] not in good_policies or row[7] not in canon_forms:
            problem = _entry_problem(row, good_policies, policy_status)
            if problem is not None:
                raise _FaultFoundError(Fault(problem[0], seq, _text(decision_id), problem[1]))
        if decision_id in seen_ids:
            raise _FaultFoundError(
                Fault(
                    FaultKind.INSERTED,
                    seq,
                    _text(decision_id),
                    "this decision id was already recorded at an earlier entry",
                )
            )
        seen_ids.add(decision_id)
        history.append((seq, decision_id))
        scan.expected = expected = expected + 1
        if expected == scan.next_size:
            scan.reached(decision_id, rows)
        if progress is not None and expected % PROGRESS_EVERY == 0:
            progress(expected)


def _entry_problem(
    row: Sequence[Any], good_policies: frozenset[str | bytes], policy_status: dict[str, str]
) -> tuple[FaultKind, str] | None:
    """Whether the entry names a good policy version and the canonical form (None when it does)."""
    if row[6] in good_policies and row[7] in _CANON_FORMS:
        return None
    policy_digest = _text(row[6])
    if policy_digest not in good_policies:
        problem = policy_status.get(policy_digest)
        if problem is None:
            return FaultKind.MISSING, f"the policy version it used ({policy_digest}) is missing"
        return FaultKind.ALTERED, problem
    return FaultKind.ALTERED, f"unknown canonical form {_text(row[7])!r} (expected {CANONICAL_FORM})"


@dataclass(frozen=True)
class _RangeResult:
    """What a worker found in entries ``start`` to ``stop - 1`` (a chunk aligned on its size)."""

    start: int
    clean: bool
    """False when anything needs the in-order diagnosis (a gap, a bad hash or node, a bad policy...)."""
    frontier: list[bytes]
    """The chunk's own perfect-subtree roots, largest first (one root for a full chunk)."""
    last_node: bytes
    """The node stored by the chunk's last entry (its subtree may reach back before the chunk)."""
    at_sizes: dict[int, list[bytes]]
    """For each checkpoint size inside the chunk, the chunk-relative roots at that size."""
    ids: list[str | bytes]


def _verify_range(
    url: str,
    schema: str | None,
    start: int,
    stop: int,
    good_policies: frozenset[str | bytes],
    sizes: tuple[int, ...],
) -> _RangeResult:
    """Worker: check entries ``start`` to ``stop - 1`` of the ledger at ``url``.

    ``start`` is a multiple of the chunk size, a power of two no smaller than ``stop - start``, so
    the perfect subtree ending at every entry but possibly the last lies inside the chunk: its node
    is checked here. The parent checks the last one when it puts the chunks together.
    """
    from governance.ledger.store import Ledger  # imported here: spawned workers start from a fresh interpreter

    failed = _RangeResult(start, False, [], b"", {}, [])
    cache: dict[str | bytes, bytes] = {}
    tree = CompactRange()
    ids: list[str | bytes] = []
    at_sizes: dict[int, list[bytes]] = {}
    wanted = set(sizes)
    expected = start
    last_node = b""
    with Ledger.open(url, schema=schema, read_only=True) as ledger, ledger.read() as reader:
        for row in reader.entry_tuples(start, stop, raw_text=True):
            if row[0] != expected:
                return failed
            try:
                leaf = _leaf_digest(row, expected, cache)
            except (TypeError, ValueError):
                return failed
            if leaf != row[8] or row[6] not in good_policies or row[7] not in _CANON_FORMS:
                return failed
            node = tree.append(leaf)
            expected += 1
            if expected == stop:
                last_node = row[9]
            elif node != row[9]:
                return failed
            ids.append(row[1])
            if expected in wanted:
                at_sizes[expected] = tree.hashes()
    if expected != stop:
        return failed
    return _RangeResult(start, True, tree.hashes(), last_node, at_sizes, ids)


def _scan_parallel(
    spec: tuple[str, str | None], total: int, scan: _Scan, good_policies: frozenset[str | bytes], jobs: int
) -> _Scan | None:
    """Check aligned chunks of entries in worker processes and put their trees together, in order.

    Returns the finished scan, or None when any chunk needs the in-order diagnosis.
    """
    target = max(PARALLEL_CHUNK_MIN, -(-total // (jobs * 4)))
    chunk = 1 << (target - 1).bit_length()  # a power of two, so that chunks align with the tree
    bounds = [(start, min(total, start + chunk)) for start in range(0, total, chunk)]
    url, schema = spec
    context = multiprocessing.get_context(_start_method(url))
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = [
                pool.submit(
                    _verify_range, url, schema, lo, hi, good_policies, tuple(s for s in scan.sizes if lo < s <= hi)
                )
                for lo, hi in bounds
            ]
            try:
                for future in futures:
                    result = future.result()
                    if not result.clean or not _merge(scan, result):
                        return None
                    if scan.progress is not None:
                        scan.progress(scan.expected)
            finally:
                for future in futures:
                    future.cancel()
    except (BrokenProcessPool, OSError, GovernanceError):
        return None  # workers could not run here: the in-order pass gives the same answer
    return scan


def _start_method(url: str) -> str:
    """``fork`` for a SQLite ledger when this process runs no other thread (workers start at once), else
    ``spawn``. A forked child never touches the parent's connections; with PostgreSQL it could, through
    an inherited socket, so PostgreSQL workers always start from a fresh interpreter."""
    methods = multiprocessing.get_all_start_methods()
    if url.startswith("sqlite") and "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _extend(size: int, base: list[bytes], relative: list[bytes], width: int) -> CompactRange:
    """The tree of ``size`` leaves (roots ``base``) followed by an aligned chunk of ``width`` leaves whose
    own roots are ``relative`` (largest first)."""
    tree = CompactRange(size, base)
    remaining = width
    for node in relative:
        step = 1 << (remaining.bit_length() - 1)
        tree.append_subtree(node, step.bit_length() - 1)
        remaining -= step
    if remaining:
        raise ProofError(f"{len(relative)} subtree roots do not make {width} leaves")
    return tree


def _merge(scan: _Scan, result: _RangeResult) -> bool:
    """Add one chunk to the tree and check what the worker could not; False calls for diagnosis."""
    before = len(scan.seen_ids)
    scan.seen_ids.update(result.ids)
    count = len(result.ids)
    if len(scan.seen_ids) != before + count:
        return False
    base = scan.tree.hashes()
    base_size = scan.tree.size
    try:
        while scan.next_size != -1 and scan.next_size <= base_size + count:
            size = scan.next_size
            relative = result.at_sizes.get(size)
            if relative is None:
                return False
            scan.tree = _extend(base_size, base, relative, size - base_size)
            scan.expected = size
            scan.reached(result.ids[size - base_size - 1])
        tree = _extend(base_size, base, result.frontier, count)
    except (_FaultFoundError, ProofError):
        return False  # the in-order pass will name and classify it
    # The node of the chunk's last entry is the last subtree root the chunk completed.
    if tree.hashes()[-1] != result.last_node:
        return False
    scan.tree = tree
    scan.expected = tree.size
    return True


def _check_trusted(trusted: SignedCheckpoint, origin: str, keys: dict[str, VerifierKey]) -> None:
    key = keys.get(trusted.key_id)
    if key is None or not trusted.verify(key):
        raise _FaultFoundError(
            Fault(
                FaultKind.BAD_SIGNATURE,
                None,
                None,
                f"the checkpoint you trust (size {trusted.checkpoint.tree_size}) is not signed by a trusted key",
            )
        )
    if trusted.checkpoint.origin != origin:
        raise _FaultFoundError(
            Fault(
                FaultKind.INCONSISTENT_CHECKPOINT,
                None,
                None,
                f"the checkpoint you trust is for ledger {trusted.checkpoint.origin}, but this is {origin}",
            )
        )


def _ahead(rows: Iterator[Sequence[Any]], count: int) -> Iterator[Sequence[Any]]:
    """Up to ``count`` more rows; damage further on (a truncated bundle) just ends the look-ahead."""
    try:
        yield from itertools.islice(rows, count)
    except VerificationError:
        return


def _window(rows: Iterator[Sequence[Any]], first: Sequence[Any]) -> list[Sequence[Any]]:
    return [first, *_ahead(rows, LOOKAHEAD)]


def _diagnose_sequence(
    row: Sequence[Any], expected: int, history: deque[Sequence[Any]], rows: Iterator[Sequence[Any]]
) -> Fault:
    """The entry at position ``expected`` carries another sequence number."""
    seq, decision_id = row[0], _text(row[1])
    if not isinstance(seq, int):
        return Fault(FaultKind.ALTERED, expected, decision_id, f"its sequence number {seq!r} is not an integer")
    if seq < expected:
        earlier = [r for r in history if r[0] == seq]
        again = " (a copy of the entry already there)" if earlier and _text(earlier[0][1]) == decision_id else ""
        return Fault(
            FaultKind.INSERTED,
            expected,
            decision_id,
            f"the entry at position {expected} repeats sequence number {seq}{again}",
        )
    ahead = _window(rows, row)
    for position, other in enumerate(ahead):
        if other[0] == expected:
            return Fault(
                FaultKind.REORDERED,
                expected,
                str(other[1]),
                f"entry {expected} is stored {position} place(s) later, after entry {seq}",
            )
    return Fault(
        FaultKind.MISSING,
        expected,
        None,
        f"entries {expected} to {seq - 1} are missing; the next entry present is seq {seq} (decision {decision_id})",
    )


def _diagnose_leaf(
    row: Sequence[Any], expected: int, history: deque[Sequence[Any]], rows: Iterator[Sequence[Any]]
) -> Fault:
    """The entry's content does not hash to its stored leaf: edited in place, or moved from elsewhere."""
    decision_id = _text(row[1])
    ahead = _window(rows, row)
    stored = row[8]
    lo = max(0, expected - LOOKAHEAD)
    for origin in range(lo, expected + LOOKAHEAD + 1):
        if origin == expected or _leaf_hash_at(row, origin) != stored:
            continue
        # The content (with its own leaf hash) was recorded at ``origin``.
        if origin > expected:
            partner = ahead[origin - expected] if origin - expected < len(ahead) else None
            if partner is not None and _leaf_hash_at(partner, expected) == partner[8]:
                return Fault(
                    FaultKind.REORDERED,
                    expected,
                    decision_id,
                    f"this entry was recorded at seq {origin}; the entry recorded here is now at seq {origin}",
                )
            return Fault(
                FaultKind.MISSING,
                expected,
                decision_id,
                f"entries {expected} to {origin - 1} are missing: the entry recorded at seq {origin} was moved here",
            )
        inserted = list(history)[-(expected - origin) :] if expected - origin <= len(history) else []
        first = inserted[0] if inserted else None
        return Fault(
            FaultKind.INSERTED,
            origin,
            None if first is None else _text(first[1]),
            f"{expected - origin} entr{'y was' if expected - origin == 1 else 'ies were'} inserted before the entry "
            f"recorded at seq {origin}, which is now at seq {expected}",
        )
    return Fault(FaultKind.ALTERED, expected, decision_id, "its content does not match its stored leaf hash")
