"""The parts of a decision document as the explanation stages build them: typed, plain JSON data.

The stages in :mod:`governance.explain` and :mod:`governance.engine` build these dictionaries (cheap to
create and to encode as canonical JSON); :class:`governance.decision.Decision` validates the assembled
document into its pydantic models at the end. Each ``TypedDict`` here mirrors one of those models, so
a key or type that drifts is a type error, not a runtime surprise.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "AdjustmentDoc",
    "AtomDoc",
    "Bounded",
    "IntervalDoc",
    "MissingDoc",
    "NearestDoc",
    "NotRuledOutDoc",
    "ObligationDoc",
    "ReasonDoc",
    "SourceDoc",
    "TreatedAsDoc",
]

Number = float | int
Bounded = float | int | Literal["unbounded"]


class SourceDoc(TypedDict):
    id: str
    title: str
    url: NotRequired[str]
    section: NotRequired[str]


class AtomDoc(TypedDict):
    feature: str
    op: str
    threshold: Number
    holds: bool
    unknown: NotRequired[bool]
    value: NotRequired[Number]
    margin: NotRequired[Bounded]
    ratio: NotRequired[Bounded]


class ReasonDoc(TypedDict):
    rule: str
    tier: str
    rationale: str
    source: SourceDoc
    labels: list[str]
    obligations: list[str]
    atoms: list[AtomDoc]


class TreatedAsDoc(TypedDict):
    reading: str
    source: SourceDoc
    quote: str


class NotRuledOutDoc(ReasonDoc):
    waiting_on: list[str]
    settle: str
    finding: bool
    treated_as: NotRequired[TreatedAsDoc]


class ObligationDoc(TypedDict):
    id: str
    text: str
    source: SourceDoc
    rules: list[str]
    due_within_days: NotRequired[int]
    due_by: NotRequired[str]


class MissingDoc(TypedDict):
    feature: str
    why: str
    required: bool


class IntervalDoc(TypedDict):
    feature: str
    threshold: Number
    stance: str
    resolved: str
    lower: NotRequired[Number]
    estimate: NotRequired[Number]
    upper: NotRequired[Number]
    used: NotRequired[Number]


class NearestDoc(TypedDict):
    feature: str
    value: Number
    threshold: Number
    op: str
    raises_to: str
    rules: list[str]
    distance: Bounded
    ratio: NotRequired[Bounded]


class AdjustmentDoc(TypedDict):
    reference_date: str
    date: str
    date_basis: str
    halving_months: Number
    doublings: NotRequired[Number]
    factor: NotRequired[Number]
    factor_note: NotRequired[str]
