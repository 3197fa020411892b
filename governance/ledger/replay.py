"""Replay: re-decide every entry under the policy version stored with it, and compare byte for byte.

Replay reads only what the ledger (or bundle) holds: the candidate document, the decision document
(for its date), the policy document stored under the decision's policy digest, and the
evaluation-suite documents stored for the entry (put in force with
:func:`~governance.evidence.suites.use_suites`). It never looks at ``policies/``, ``evaluations/`` or
any other file. An entry reproduces when the canonical JSON of the new decision is
byte-identical to the stored decision; otherwise the report says how it differs, as a list of changed
JSON paths and a unified diff of the two documents.

Replay checks meaning, not integrity: run verification first to know the stored bytes are the
recorded ones.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import multiprocessing
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from governance.candidate import Candidate
from governance.decision import SUPPORTED_DECISION_SCHEMAS, Decision
from governance.engine import ENGINE_VERSION, decide
from governance.evidence.suites import Suite
from governance.exceptions import GovernanceError, VerificationError
from governance.ledger.records import LedgerSource
from governance.policy import Policy

__all__ = [
    "Change",
    "Mismatch",
    "ReplayReport",
    "document_changes",
    "replay_source",
    "unified_diff",
]

Evaluator = Literal["durable_rules", "python"]
Progress = Callable[[int], None]
CHUNK = 256
"""Entries per task when replaying in worker processes."""
DIFF_LINES = 60
"""At most this many lines of unified diff are kept per entry."""
_ABSENT = "<absent>"


@dataclass(frozen=True)
class Change:
    """One JSON path whose value differs between the recorded and the replayed decision."""

    path: str
    """A JSON Pointer (RFC 6901), e.g. ``/reasons/0/tier``."""
    recorded: Any
    replayed: Any

    def text(self) -> str:
        """``/path: recorded → replayed``."""
        return f"{self.path or '/'}: {_short(self.recorded)} → {_short(self.replayed)}"


def _short(value: Any) -> str:
    if isinstance(value, str) and value == _ABSENT:
        return value
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class Mismatch:
    """An entry that does not reproduce, or could not be replayed at all."""

    seq: int
    decision_id: str
    kind: str
    """``differs`` (replayed, bytes differ), ``policy missing``, ``policy unreadable``,
    ``suite missing``, ``suite unreadable``, ``candidate unreadable``, ``decision unreadable`` or
    ``engine error``."""
    detail: str
    changes: tuple[Change, ...] = ()
    diff: str = ""

    def document(self) -> dict[str, Any]:
        """The mismatch as JSON."""
        return {
            "seq": self.seq,
            "decision_id": self.decision_id,
            "kind": self.kind,
            "detail": self.detail,
            "changes": [{"path": c.path, "recorded": c.recorded, "replayed": c.replayed} for c in self.changes],
            "diff": self.diff,
        }


@dataclass
class ReplayReport:
    """How many entries were replayed, how many reproduced, and every one that did not."""

    source: str
    engine_version: str = ENGINE_VERSION
    entries: int = 0
    reproduced: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every entry reproduced."""
        return not self.mismatches

    def raise_for_mismatch(self) -> None:
        """Raise :class:`VerificationError` when any entry did not reproduce."""
        if self.mismatches:
            first = self.mismatches[0]
            raise VerificationError(
                f"{len(self.mismatches)} of {self.entries} entries in {self.source} do not reproduce; the first is "
                f"seq {first.seq} (decision {first.decision_id}): {first.kind}: {first.detail}"
            )

    def document(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "source": self.source,
            "engine_version": self.engine_version,
            "entries": self.entries,
            "reproduced": self.reproduced,
            "ok": self.ok,
            "mismatches": [m.document() for m in self.mismatches],
        }


def document_changes(recorded: Any, replayed: Any, path: str = "", limit: int = 40) -> list[Change]:
    """The JSON paths at which two documents differ (values compared with their JSON types)."""
    out: list[Change] = []
    _walk(recorded, replayed, path, out, limit)
    return out


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _walk(a: Any, b: Any, path: str, out: list[Change], limit: int) -> None:
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            sub = f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key not in a:
                out.append(Change(sub, _ABSENT, b[key]))
            elif key not in b:
                out.append(Change(sub, a[key], _ABSENT))
            else:
                _walk(a[key], b[key], sub, out, limit)
            if len(out) >= limit:
                return
        return
    if isinstance(a, list) and isinstance(b, list):
        for index in range(max(len(a), len(b))):
            sub = f"{path}/{index}"
            if index >= len(a):
                out.append(Change(sub, _ABSENT, b[index]))
            elif index >= len(b):
                out.append(Change(sub, a[index], _ABSENT))
            else:
                _walk(a[index], b[index], sub, out, limit)
            if len(out) >= limit:
                return
        return
    if not _same(a, b):
        out.append(Change(path, a, b))


def unified_diff(recorded: Any, replayed: Any, *, lines: int = DIFF_LINES) -> str:
    """A unified diff of two JSON documents, pretty-printed with sorted keys (at most ``lines`` lines)."""
    left = json.dumps(recorded, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    right = json.dumps(replayed, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    diff = list(difflib.unified_diff(left, right, fromfile="recorded", tofile="replayed", lineterm="", n=2))
    if len(diff) > lines:
        diff = [*diff[:lines], f"... {len(diff) - lines} more diff lines"]
    return "\n".join(diff)


# -- the work of one entry -----------------------------------------------------------------------

_Item = tuple[int, str, bytes, bytes, str, tuple[str, ...]]
"""(seq, decision id, candidate JSON, decision JSON, policy digest, digests of the suites used)."""

_policies: dict[str, bytes] = {}
_loaded: dict[str, Policy | str] = {}
_suites: dict[str, bytes] = {}
_loaded_suites: dict[str, Suite | str] = {}


def _set_documents(policies: Mapping[str, bytes], suites: Mapping[str, bytes]) -> None:
    _policies.clear()
    _policies.update(policies)
    _loaded.clear()
    _suites.clear()
    _suites.update(suites)
    _loaded_suites.clear()


def _validated(digest: str, documents: Mapping[str, bytes], loaded: dict[str, Any], model: Any, what: str) -> Any:
    """The stored document with this digest validated as ``model`` (once per digest), or why it cannot be used."""
    cached = loaded.get(digest)
    if cached is not None:
        return cached
    document = documents.get(digest)
    result: Any
    if document is None:
        result = "missing"
    else:
        try:
            result = model.model_validate(json.loads(document))
        except (ValueError, ValidationError) as exc:
            result = f"the stored {what} does not validate: {str(exc).splitlines()[0]}"
    loaded[digest] = result
    return result


def _policy(digest: str) -> Policy | str:
    """The stored policy version, or why it cannot be used."""
    result: Policy | str = _validated(digest, _policies, _loaded, Policy, "policy document")
    return result


def _suite(digest: str) -> Suite | str:
    """The stored suite version, or why it cannot be used."""
    result: Suite | str = _validated(digest, _suites, _loaded_suites, Suite, f"suite {digest}")
    return result


def _stored_suites(digests: Iterable[str]) -> tuple[tuple[Suite, ...], tuple[str, str] | None]:
    """The stored suites with these digests, or (the kind, the detail) of why one cannot be used."""
    found: list[Suite] = []
    for digest in digests:
        suite = _suite(digest)
        if suite == "missing":
            return (), ("suite missing", f"no evaluation suite version {digest} is stored")
        if isinstance(suite, str):
            return (), ("suite unreadable", suite)
        found.append(suite)
    return tuple(found), None


_SCHEMA = re.compile(rb'"schema_version":(-?[0-9]+)[,}]')


def recorded_schema(decision_json: bytes) -> int | None:
    """The decision schema a stored decision was written under (its semantics are replayed with it).

    Canonical JSON has no whitespace and escapes every quote inside a string, so the key is found
    without parsing the document; a document where it is not found exactly once is parsed.
    """
    found = _SCHEMA.findall(decision_json)
    if len(found) == 1:
        return int(found[0])
    try:
        value = json.loads(decision_json).get("schema_version")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def _replay_one(item: _Item, evaluator: Evaluator) -> Mismatch | None:
    seq, decision_id, candidate_json, decision_json, digest, suite_digests = item
    try:
        # Canonical JSON sorts keys, and "as_of" sorts first: read the date without parsing the rest.
        if decision_json.startswith(b'{"as_of":"') and decision_json[20:22] == b'",':
            as_of = dt.date.fromisoformat(decision_json[10:20].decode("ascii"))
        else:
            as_of = dt.date.fromisoformat(json.loads(decision_json)["as_of"])
    except (ValueError, TypeError, KeyError) as exc:
        return Mismatch(seq, decision_id, "decision unreadable", f"the stored decision has no usable as_of ({exc})")
    schema = recorded_schema(decision_json)
    if schema not in SUPPORTED_DECISION_SCHEMAS:
        return Mismatch(
            seq,
            decision_id,
            "decision unreadable",
            f"the stored decision has schema_version {schema}; this engine replays {SUPPORTED_DECISION_SCHEMAS}",
        )
    policy = _policy(digest)
    if policy == "missing":
        return Mismatch(seq, decision_id, "policy missing", f"no policy version {digest} is stored")
    if isinstance(policy, str):
        return Mismatch(seq, decision_id, "policy unreadable", policy)
    suites, problem = _stored_suites(suite_digests)
    if problem is not None:
        return Mismatch(seq, decision_id, *problem)
    try:
        candidate = Candidate.model_validate(json.loads(candidate_json))
    except (ValueError, ValidationError) as exc:
        return Mismatch(
            seq, decision_id, "candidate unreadable", f"the stored candidate does not validate: {exc}".splitlines()[0]
        )
    try:
        decision = decide(candidate, policy, as_of=as_of, suites=suites, evaluator=evaluator, schema=schema)
    except GovernanceError as exc:
        return Mismatch(seq, decision_id, "engine error", str(exc))
    replayed = decision.canonical_json()
    if replayed == decision_json:
        return None
    try:
        recorded: Any = json.loads(decision_json)
    except ValueError:
        recorded = decision_json.decode("utf-8", errors="replace")
    return _difference(seq, decision_id, recorded, decision)


def _difference(seq: int, decision_id: str, recorded: Any, decision: Decision) -> Mismatch:
    replayed = decision.document()
    changes = tuple(document_changes(recorded, replayed))
    detail = f"{len(changes)} field(s) differ" if changes else "same content, different bytes (not canonical JSON)"
    stored_engine = recorded.get("engine", {}).get("version") if isinstance(recorded, dict) else None
    if stored_engine and stored_engine != ENGINE_VERSION:
        detail += f"; recorded by engine {stored_engine}, replayed with {ENGINE_VERSION}"
    return Mismatch(seq, decision_id, "differs", detail, changes, unified_diff(recorded, replayed))


def _replay_chunk(items: list[_Item], evaluator: Evaluator) -> list[Mismatch]:
    out: list[Mismatch] = []
    for item in items:
        mismatch = _replay_one(item, evaluator)
        if mismatch is not None:
            out.append(mismatch)
    return out


def _items(source: LedgerSource) -> Iterator[_Item]:
    uses = source.suite_uses()
    for row in source.entries():
        yield (row.seq, row.decision_id, row.candidate, row.decision, row.policy_digest, uses.get(row.seq, ()))


def _chunks(items: Iterable[_Item], size: int) -> Iterator[list[_Item]]:
    chunk: list[_Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _start_method(source: LedgerSource) -> str:
    """``fork`` when this process runs no other thread and holds no PostgreSQL connection a child could
    disturb (workers then start at once, with the engine already loaded), else ``spawn``."""
    spec = getattr(source, "worker_spec", None)
    postgres = spec is not None and not spec()[0].startswith("sqlite")
    if not postgres and "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def replay_source(
    source: LedgerSource,
    *,
    evaluator: Evaluator = "durable_rules",
    jobs: int = 1,
    progress: Progress | None = None,
) -> ReplayReport:
    """Re-decide every entry of ``source`` under its stored policy and suite versions; report what does not reproduce.

    Args:
        source: an open ledger's reader or an audit bundle.
        evaluator: the rule evaluator (both give the same documents).
        jobs: worker processes; 1 replays in this process.
        progress: called with the number of entries replayed so far.
    """
    report = ReplayReport(source=source.description)
    _set_documents(
        {policy.digest: policy.document for policy in source.policies()},
        {suite.digest: suite.document for suite in source.suites()},
    )
    done = 0
    if jobs <= 1:
        for chunk in _chunks(_items(source), CHUNK):
            report.mismatches.extend(_replay_chunk(chunk, evaluator))
            done += len(chunk)
            if progress is not None:
                progress(done)
    else:
        context = multiprocessing.get_context(_start_method(source))
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_set_documents, initargs=(dict(_policies), dict(_suites))
        ) as pool:
            pending: list[tuple[int, Any]] = []
            for chunk in _chunks(_items(source), CHUNK):
                pending.append((len(chunk), pool.submit(_replay_chunk, chunk, evaluator)))
                if len(pending) >= jobs * 4:
                    count, future = pending.pop(0)
                    report.mismatches.extend(future.result())
                    done += count
                    if progress is not None:
                        progress(done)
            for count, future in pending:
                report.mismatches.extend(future.result())
                done += count
                if progress is not None:
                    progress(done)
    report.entries = done
    report.reproduced = done - len(report.mismatches)
    return report
