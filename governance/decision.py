"""The decision document: the tier and everything needed to explain and reproduce it.

Field order is part of the format; add fields at the end and bump ``schema_version`` when a
meaning changes. The hashed, logged form is :meth:`Decision.canonical_json` (RFC 8785), which is
byte-identical for the same candidate, policy digest, date and engine version: nothing in it comes
from a clock or a random source.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from pydantic import BaseModel, ConfigDict, PrivateAttr, TypeAdapter

from governance._once import once
from governance.canonical import canonical_bytes, sha256_hex
from governance.evidence.suites import Suite
from governance.tiers import Tier

__all__ = [
    "DECISION_SCHEMA_VERSION",
    "SUPPORTED_DECISION_SCHEMAS",
    "AtomResult",
    "CannotRuleOutRef",
    "ComputeAdjustment",
    "Decision",
    "EngineRef",
    "IntervalResolution",
    "MissingEvidence",
    "NearestThreshold",
    "NotRuledOut",
    "ObligationDue",
    "PlanStepRef",
    "PolicyRef",
    "Reason",
    "SourceRef",
    "SuiteRef",
]

DECISION_SCHEMA_VERSION = 2
"""Schema 2 (three-valued evidence): a rule that is only not ruled out raises the tier but is listed under
``not_ruled_out``, not ``reasons``, and attaches no labels or obligations unless its policy says that
"cannot rule out" means crossed; ``tier_on_evidence`` and ``suites`` are new; margins, distances and
ratios too large for a double read ``"unbounded"``."""
SUPPORTED_DECISION_SCHEMAS = (1, 2)
"""Schema 1 decisions (every rule that fired or was not ruled out counted as fired) are still written
on request, so that ledgers recorded under it replay byte for byte."""
Unbounded = Literal["unbounded"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class PolicyRef(_Doc):
    """Which policy version decided: ``id``, ``version`` and content ``digest``."""

    id: str
    version: str
    digest: str


class EngineRef(_Doc):
    """Which engine decided."""

    name: str
    version: str


class SourceRef(_Doc):
    """The text a rule or obligation cites."""

    id: str
    title: str
    url: str | None = None
    section: str | None = None


class AtomResult(_Doc):
    """One threshold test as evaluated: the value read, the threshold, and the margin between them."""

    feature: str
    op: str
    threshold: float
    value: float | None = None
    """The value read; absent when the input is unknown."""
    holds: bool
    """True when the test holds on a known value (schema 1: also a lower bound on an unknown value)."""
    unknown: bool | None = None
    """Schema 2: true when the input is unknown (a lower bound is then not ruled out, an upper bound fails)."""
    margin: float | Unbounded | None = None
    """``value - threshold``: how far past (positive) or short of (negative) the threshold."""
    ratio: float | Unbounded | None = None
    """``value / threshold`` for compute features."""


class Reason(_Doc):
    """A rule that fired, with its atoms, what it attaches and where it comes from."""

    rule: str
    tier: Tier
    rationale: str
    source: SourceRef
    labels: list[str]
    obligations: list[str]
    atoms: list[AtomResult]


class CannotRuleOutRef(_Doc):
    """Where a policy's source says that a capability it cannot rule out is treated as reached."""

    reading: Literal["crossed"]
    source: SourceRef
    quote: str


class NotRuledOut(Reason):
    """A rule that would fire if some unknown input were high enough.

    It raises the tier (unknown is never read as below a threshold), but it is not a finding: its labels
    and obligations apply only when ``finding`` is true, which a rule declares where its source says
    "cannot rule out" means crossed (``treated_as``).
    """

    waiting_on: list[str]
    """The unknown features whose value would settle the rule."""
    settle: str
    """What to supply to settle it, in words."""
    finding: bool
    treated_as: CannotRuleOutRef | None = None


class PlanStepRef(_Doc):
    """One step of a staged release, as the policy's plan states it."""

    id: str
    access: str
    gate: str
    min_days: int | None = None


class ComputeAdjustment(_Doc):
    """How efficiency-adjusted compute was derived: ``training compute × 2 ** doublings``."""

    reference_date: dt.date
    date: dt.date
    date_basis: Literal["training_end", "as_of"]
    halving_months: float
    doublings: float | None = None
    """Schema 2: ``months from the reference date / halving_months``."""
    factor: float | None = None
    """``2 ** doublings``; absent when no double holds it (then ``factor_note`` says so)."""
    factor_note: str | None = None


class SuiteRef(_Doc):
    """An evaluation-suite version a decision used."""

    id: str
    version: str
    digest: str


class ObligationDue(_Doc):
    """An obligation the decision attaches, and which rules attached it."""

    id: str
    text: str
    source: SourceRef
    due_within_days: int | None = None
    due_by: dt.date | None = None
    rules: list[str]


class MissingEvidence(_Doc):
    """An input the policy reads that the candidate does not supply."""

    feature: str
    why: str
    required: bool
    """True when the policy lists the domain under its evidence requirements."""


class NearestThreshold(_Doc):
    """For one feature, the next threshold that would raise the tier if that feature alone rose."""

    feature: str
    value: float
    threshold: float
    op: str
    raises_to: Tier
    rules: list[str]
    distance: float | Unbounded
    """``threshold - value``."""
    ratio: float | Unbounded | None = None
    """``threshold / value`` for compute features (how many times more compute would flip it)."""


class IntervalResolution(_Doc):
    """A threshold that falls inside an input's interval, and how the policy's stance resolved it."""

    feature: str
    threshold: float
    lower: float | None = None
    estimate: float | None = None
    upper: float | None = None
    used: float | None = None
    """The value the policy read; absent when it is unbounded (never read as below a threshold)."""
    stance: str
    resolved: Literal["above", "below"]


class Decision(_Doc):
    """The tier one policy version gives one candidate on one date, with its reasons.

    Build with :func:`governance.decide`; ``canonical_json()`` is what is hashed and logged.
    """

    model_config = ConfigDict(ignored_types=(once,))

    schema_version: int
    candidate_digest: str
    model: dict[str, str]
    policy: PolicyRef
    engine: EngineRef
    as_of: dt.date
    in_force: bool
    in_force_note: str | None = None
    tier: Tier
    reasons: list[Reason]
    labels: list[str]
    obligations: list[ObligationDue]
    plan: list[PlanStepRef] | None = None
    missing_evidence: list[MissingEvidence]
    nearest_thresholds: list[NearestThreshold]
    interval_resolutions: list[IntervalResolution]
    compute_adjustment: ComputeAdjustment | None = None
    evidence: dict[str, dict[str, Any]] | None = None
    """Per risk domain with evaluation results: the result that sets the capability and why, and the
    results set aside with reasons (:mod:`governance.evidence`). Absent without evaluations."""
    not_ruled_out: list[NotRuledOut] | None = None
    """Schema 2: the rules that raise the tier only because an unknown input might be high enough."""
    tier_on_evidence: Tier | None = None
    """Schema 2: the tier the fired rules alone give; below ``tier`` when the decision rests on missing evidence."""
    suites: list[SuiteRef] | None = None
    """Schema 2: the evaluation-suite versions the decision used (absent when it used none)."""

    _document: dict[str, Any] | None = PrivateAttr(default=None)
    _suites: tuple[Suite, ...] = PrivateAttr(default=())
    _lazy: bool = PrivateAttr(default=False)
    _pending: PendingDocument | None = PrivateAttr(default=None)
    _engine: bool = PrivateAttr(default=False)

    @classmethod
    def from_document(cls, document: dict[str, Any], *, suites: tuple[Suite, ...] = ()) -> Decision:
        """Validate a decision document (as produced by :meth:`document`) into a Decision.

        ``suites`` are the suite definitions behind :attr:`suites`, when the caller has them (``decide``
        does), so that a ledger can store them with the decision.
        """
        decision = cls.model_validate(document)
        decision._document = document
        decision._suites = suites
        return decision

    @classmethod
    def _from_engine(cls, pending: PendingDocument, *, suites: tuple[Suite, ...]) -> Decision:
        """A Decision over what the engine has just evaluated, its document built only when read.

        ``pending`` is the engine's compact record of one evaluation. A field read alone (the tier, the
        reasons, the rules not ruled out) is built from it by itself, then validated alone with that
        field's type; any other field, :meth:`document`, the bytes and the digest build the whole
        document (including the candidate's digest) once. The engine's own document is well-formed by
        construction (its parts are the typed dicts of :mod:`governance._parts`, and the suite tests
        check every document ``decide`` writes against this model), so it is not validated again;
        whole-model operations (dumps, comparison, repr, copies, pickling) validate it once first.
        Once the canonical bytes exist, the decision keeps them instead of the document, and reads the
        document back from them if it is asked for again: the same JSON value, its numbers read as RFC
        8785 reads them (an integral number as an int, or as a double past 2**53), which validate and
        encode exactly as before. Untrusted documents go through :meth:`from_document`.
        """
        decision = cls.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(decision, "__dict__", {})
        setattr_(decision, "__pydantic_fields_set__", set())
        setattr_(decision, "__pydantic_extra__", None)
        setattr_(
            decision,
            "__pydantic_private__",
            {"_document": None, "_suites": suites, "_lazy": True, "_pending": pending, "_engine": True},
        )
        return decision

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            private = self.__pydantic_private__
            if name not in _DEFAULTS or not private["_lazy"]:
                return super().__getattr__(name)
            pending = private["_pending"]
            raw = PART_WHOLE if pending is None else pending.part(name)
            if raw is PART_WHOLE:
                value = _field_value(name, self.document())
            elif raw is PART_ABSENT:
                value = _DEFAULTS[name]
            elif raw and name in _VALIDATED_PARTS:
                value = _typed(name, raw)
            else:
                value = raw  # typed already (a tier, the schema version), or an empty list
            self.__dict__[name] = value
            return value

    def _complete(self) -> None:
        """Give every field its typed value (validating the whole document once), for whole-model operations."""
        private = self.__pydantic_private__
        if private is None or not private["_lazy"]:
            return
        fields = self.__dict__
        document = self.document()
        if len(fields) < len(_DEFAULTS):
            full = type(self).__pydantic_validator__.validate_python(document)
            for name, value in full.__dict__.items():
                fields.setdefault(name, value)
        object.__setattr__(self, "__pydantic_fields_set__", set(document))
        ordered = {name: fields[name] for name in _DEFAULTS}
        fields.clear()  # in field order, as validation gives them (dumps follow this order)
        fields.update(ordered)
        private["_lazy"] = False

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        self._complete()
        return super().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        self._complete()
        return super().model_dump_json(**kwargs)

    def model_copy(self, **kwargs: Any) -> Decision:
        self._complete()
        return super().model_copy(**kwargs)

    def __eq__(self, other: object) -> bool:
        """Equal when every field and the suites used are equal (not how each decision keeps its document)."""
        if not isinstance(other, Decision):
            return NotImplemented
        self._complete()
        other._complete()
        mine, theirs = self.__dict__, other.__dict__
        return (
            type(self) is type(other)
            and self._suites == other._suites
            and all(mine[name] == theirs[name] for name in _DEFAULTS)
        )

    __hash__ = None  # type: ignore[assignment]  # lists inside: never hashable

    def __iter__(self) -> Any:
        self._complete()
        return super().__iter__()

    def __repr_args__(self) -> Any:
        self._complete()
        return super().__repr_args__()

    def __getstate__(self) -> dict[Any, Any]:
        self._complete()  # builds the document: no pending record (nor its candidate) is pickled
        return super().__getstate__()

    def __copy__(self) -> Decision:
        self._complete()
        return super().__copy__()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Decision:
        self._complete()
        return super().__deepcopy__(memo)

    @property
    def suites_used(self) -> tuple[Suite, ...]:
        """The suite definitions this decision used, when it was made in this process (else empty)."""
        return self._suites

    @property
    def rests_on_missing_evidence(self) -> bool:
        """True when missing evidence raised the tier (schema 2; always False for schema 1)."""
        return self.tier_on_evidence is not None and self.tier > self.tier_on_evidence

    def document(self) -> dict[str, Any]:
        """The decision as a JSON-compatible dict (None-valued optional fields omitted); shared, read-only."""
        private = _private(self)
        document: dict[str, Any] | None = private["_document"]
        if document is None:
            pending = private["_pending"]
            canonical = self.__dict__.get("_canonical")
            if pending is not None:
                document = pending.document()
            elif canonical is not None:
                document = json.loads(canonical, parse_int=_json_integer)
            else:
                document = self.model_dump(mode="json", exclude_none=True)
            # The document is in place before the record goes: a thread that finds neither cannot exist.
            private["_document"] = document
            private["_pending"] = None
        return document

    def canonical_json(self) -> bytes:
        """RFC 8785 canonical JSON of :meth:`document`: the bytes that are hashed and logged."""
        data: bytes | None = self.__dict__.get("_canonical")
        if data is None:
            data = self.__dict__["_canonical"] = canonical_bytes(self.document())
            private = _private(self)
            if private["_engine"]:
                # Kept as its bytes from now on (stored above first); read back from them when asked for.
                private["_document"] = None
        return data

    @once
    def digest(self) -> str:
        """``sha256:<hex>`` of :meth:`canonical_json`."""
        return "sha256:" + sha256_hex(self.canonical_json())

    def _repr_html_(self) -> str:
        """The decision as escaped, self-contained HTML (Jupyter shows it for a cell's last value)."""
        from governance._html import decision_html

        return decision_html(self)


def _json_integer(text: str) -> int | float:
    """An integer token of canonical JSON as RFC 8785 reads it: a double past 2**53 (the digits of one)."""
    value = int(text)
    return value if -_EXACT < value < _EXACT else float(value)


_EXACT = 2**53


def _private(decision: Decision) -> dict[str, Any]:
    """The private attributes of ``decision`` (a model with private attributes always has them)."""
    return cast(dict[str, Any], decision.__pydantic_private__)


class PendingDocument(Protocol):
    """What the engine hands a Decision: one evaluation, from which the document's parts are built."""

    def part(self, name: str) -> Any:
        """Field ``name`` built alone, :data:`PART_ABSENT`, or :data:`PART_WHOLE`.

        The fields in :data:`_VALIDATED_PARTS` come as JSON data (validated by the Decision with the
        field's type); the others as their typed values (``tier`` a :class:`Tier`, ``schema_version`` an int).
        """

    def document(self) -> dict[str, Any]:
        """The whole decision document."""


_VALIDATED_PARTS = frozenset({"reasons", "not_ruled_out"})
"""The fields :meth:`PendingDocument.part` gives as JSON data, validated when read."""
PART_ABSENT: Any = object()
"""Returned by :meth:`PendingDocument.part` for a field the document does not have."""
PART_WHOLE: Any = object()
"""Returned by :meth:`PendingDocument.part` for a field that is built with the whole document."""


_DEFAULTS: dict[str, Any] = {name: info.default for name, info in Decision.model_fields.items()}
"""Each field of :class:`Decision` with its default (None where it is required and always present)."""
_adapters: dict[str, TypeAdapter[Any]] = {}


def _field_value(name: str, document: dict[str, Any]) -> Any:
    """The typed value of one field of a decision document, validated alone (its validator built once)."""
    if name not in document:
        return _DEFAULTS[name]
    return _typed(name, document[name])


def _typed(name: str, data: Any) -> Any:
    """``data`` validated as field ``name`` of a decision."""
    adapter = _adapters.get(name)
    if adapter is None:
        annotation: Any = Decision.model_fields[name].annotation
        adapter = _adapters[name] = TypeAdapter(annotation)
    return adapter.validate_python(data)
