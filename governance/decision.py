"""The decision document: the tier and everything needed to explain and reproduce it.

Field order is part of the format; add fields at the end and bump ``schema_version`` when a
meaning changes. The hashed, logged form is :meth:`Decision.canonical_json` (RFC 8785), which is
byte-identical for the same candidate, policy digest, date and engine version: nothing in it comes
from a clock or a random source.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr

from governance.canonical import canonical_bytes, sha256_hex
from governance.tiers import Tier

__all__ = [
    "DECISION_SCHEMA_VERSION",
    "AtomResult",
    "Decision",
    "EngineRef",
    "IntervalResolution",
    "MissingEvidence",
    "NearestThreshold",
    "ObligationDue",
    "PolicyRef",
    "Reason",
    "SourceRef",
]

DECISION_SCHEMA_VERSION = 1


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    """The value read; absent when the input is unknown (then it is read as above every lower bound)."""
    holds: bool
    margin: float | None = None
    """``value - threshold``: how far past (positive) or short of (negative) the threshold."""
    ratio: float | None = None
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
    distance: float
    """``threshold - value``."""
    ratio: float | None = None
    """``threshold / value`` for compute features (how many times more compute would flip it)."""


class IntervalResolution(_Doc):
    """A threshold that falls inside an input's interval, and how the policy's stance resolved it."""

    feature: str
    threshold: float
    lower: float | None = None
    estimate: float | None = None
    upper: float | None = None
    used: float | None = None
    """The value the policy read; absent when it is unbounded (read as above every threshold)."""
    stance: str
    resolved: Literal["above", "below"]


class Decision(_Doc):
    """The tier one policy version gives one candidate on one date, with its reasons.

    Build with :func:`governance.decide`; ``canonical_json()`` is what is hashed and logged.
    """

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
    plan: list[dict[str, Any]] | None = None
    missing_evidence: list[MissingEvidence]
    nearest_thresholds: list[NearestThreshold]
    interval_resolutions: list[IntervalResolution]
    compute_adjustment: dict[str, Any] | None = None
    evidence: dict[str, dict[str, Any]] | None = None
    """Per risk domain with evaluation results: the result that sets the capability and why, and the
    results set aside with reasons (:mod:`governance.evidence`). Absent without evaluations."""

    _document: dict[str, Any] | None = PrivateAttr(default=None)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Decision:
        """Validate a decision document (as produced by :meth:`document`) into a Decision."""
        decision = cls.model_validate(document)
        decision._document = document
        return decision

    def document(self) -> dict[str, Any]:
        """The decision as a JSON-compatible dict (None-valued optional fields omitted); shared, read-only."""
        if self._document is None:
            self._document = self.model_dump(mode="json", exclude_none=True)
        return self._document

    def canonical_json(self) -> bytes:
        """RFC 8785 canonical JSON of :meth:`document`: the bytes that are hashed and logged."""
        return self._canonical

    @cached_property
    def _canonical(self) -> bytes:
        return canonical_bytes(self.document())

    @cached_property
    def digest(self) -> str:
        """``sha256:<hex>`` of :meth:`canonical_json`."""
        return "sha256:" + sha256_hex(self._canonical)

    def _repr_html_(self) -> str:
        """The decision as escaped, self-contained HTML (Jupyter shows it for a cell's last value)."""
        from governance._html import decision_html

        return decision_html(self)
