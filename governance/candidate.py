"""The candidate: one pending model release, as a lab describes it.

A candidate holds inputs only and is never mutated. It is validated strictly: unknown keys are
refused, numbers must be finite, and every error names the field it concerns. Its identity is the
SHA-256 of its canonical JSON form (:attr:`Candidate.digest`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from governance._numbers import not_a_boolean as _not_a_boolean
from governance._text import refuse_hidden, refuse_hidden_in_text
from governance.canonical import canonical_digest

__all__ = [
    "BUILTIN_DOMAINS",
    "Candidate",
    "CapabilityScore",
    "Compute",
    "Developer",
    "Elicitation",
    "EvaluationResult",
    "FlopInterval",
    "ModelInfo",
    "Release",
    "ReleaseForm",
]

BUILTIN_DOMAINS: tuple[str, ...] = ("bio", "chem", "nuclear", "cyber", "autonomy", "ai_rnd", "persuasion")
"""The risk domains every policy knows; a policy may declare more."""

EARLIEST_DATE = dt.date(1950, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
"""Dates a candidate may carry: before the first computers, or centuries ahead, are typing mistakes."""
JSON_INTEGER_LIMIT = 2**53
"""Integers in free-form fields stay within +-2^53, where every JSON reader agrees on their value."""


def _plausible(day: dt.date) -> dt.date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"expected a date between {EARLIEST_DATE} and {LATEST_DATE}, not {day}")
    return day


def _json_value(value: Any) -> Any:
    """Refuse anything in a free-form field that JSON cannot carry exactly (see :data:`JSON_INTEGER_LIMIT`)."""
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        where, item = pending.pop()
        at = f" at {where.lstrip('.')}" if where else ""
        if isinstance(item, dict):
            for key, inner in item.items():
                if not isinstance(key, str):
                    raise ValueError(f"keys must be strings{at}, not {type(key).__name__}")
                pending.append((f"{where}.{key}", inner))
        elif isinstance(item, list):
            pending.extend((f"{where}[{i}]", inner) for i, inner in enumerate(item))
        elif isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        elif isinstance(item, int):
            if abs(item) > JSON_INTEGER_LIMIT:
                raise ValueError(f"integer{at} is beyond +-2^53; give it as a string")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"number{at} is not finite; give a finite number or null")
        else:
            raise ValueError(f"{type(item).__name__}{at} is not a JSON value; give a string, number, list or mapping")
    return value


Number = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_not_a_boolean)]
"""A finite number, never a boolean. The constraints of a field go inside the same ``Annotated`` as the
validator (see :data:`PositiveFlop`), so that the JSON Schema states them as ``minimum``/``maximum``."""
Day = Annotated[dt.date, AfterValidator(_plausible)]
DomainName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
NonEmpty = Annotated[
    str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True), AfterValidator(refuse_hidden)
]
"""A name or identifier: no control or bidirectional characters."""
FreeText = Annotated[
    str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True), AfterValidator(refuse_hidden_in_text)
]
"""Free text: tabs and line breaks allowed, other control and bidirectional characters not."""
PositiveFlop = Annotated[float, Field(gt=0, allow_inf_nan=False), BeforeValidator(_not_a_boolean)]
Unit = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), BeforeValidator(_not_a_boolean)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False), BeforeValidator(_not_a_boolean)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_value)]

_SPDX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+\-]*( (AND|OR|WITH) [A-Za-z0-9][A-Za-z0-9.+\-]*)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)


class ReleaseForm(StrEnum):
    """Where a release sits on the release gradient, from least to most open (Solaiman 2023)."""

    CLOSED = "closed"
    HOSTED = "hosted"
    API = "api"
    OPEN_WEIGHTS = "open_weights"
    OPEN_SOURCE = "open_source"

    @property
    def openness(self) -> int:
        """The ordinal position on the gradient: 0 for ``closed`` up to 4 for ``open_source``."""
        return _FORMS.index(self)


_FORMS = list(ReleaseForm)


class Elicitation(StrEnum):
    """How the model was prompted or modified when an evaluation ran."""

    AS_RELEASED = "as_released"
    SAFEGUARDS_REMOVED = "safeguards_removed"
    FINE_TUNED = "fine_tuned"


class ModelInfo(_Strict):
    """The model being released."""

    name: NonEmpty
    """The model's name, e.g. ``Llama 3.1 405B``."""
    developer: NonEmpty
    """Who trained it."""
    version: NonEmpty | None = None
    """The version or checkpoint being released, when the developer names one."""
    parameters: PositiveFlop | None = None
    """Parameter count (total), where known."""
    modalities: tuple[Literal["text", "audio", "image", "video", "code", "biological_sequence", "other"], ...] = ()
    """Output modalities the model generates."""
    trained_primarily_on_biological_sequences: bool = False
    """True for models trained mainly on biological sequence data (EO 14110 s. 4.2(b)(i))."""


class FlopInterval(_Strict):
    """A training-compute estimate with bounds; any of the three may be missing, not all."""

    estimate: PositiveFlop | None = None
    lower: PositiveFlop | None = None
    upper: PositiveFlop | None = None

    @model_validator(mode="after")
    def _ordered(self) -> FlopInterval:
        if self.estimate is None and self.lower is None and self.upper is None:
            raise ValueError("give at least one of estimate, lower, upper (or null for unknown)")
        points = [p for p in (self.lower, self.estimate, self.upper) if p is not None]
        if points != sorted(points):
            raise ValueError("expected lower <= estimate <= upper")
        return self


class Compute(_Strict):
    """Training compute, the proxy most laws read."""

    training_flop: PositiveFlop | FlopInterval | None
    """Total training FLOP: a number, an interval ``{estimate, lower, upper}``, or null when unknown."""
    fine_tuning_flop: NonNegative | None = None
    """FLOP spent by the developer on later fine-tuning, RL or other material modification."""
    training_end: Day | None = None
    """When training finished; efficiency-adjusted thresholds age from this date."""
    source: FreeText | None = None
    """Where the estimate comes from (a paper, a dataset row, the developer)."""


class CapabilityScore(_Strict):
    """A normalised capability score in [0, 1] with optional bounds."""

    score: Unit
    lower: Unit | None = None
    upper: Unit | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CapabilityScore:
        if self.lower is not None and self.lower > self.score:
            raise ValueError("expected lower <= score")
        if self.upper is not None and self.upper < self.score:
            raise ValueError("expected score <= upper")
        return self

    @property
    def bound(self) -> float:
        """The conservative (upper) bound that policies read."""
        return self.upper if self.upper is not None else self.score


class EvaluationResult(_Strict):
    """One raw evaluation result, carried as given (normalising it is the evidence layer's job)."""

    benchmark: NonEmpty
    domain: DomainName
    score: Number
    stderr: NonNegative | None = None
    interval: tuple[Number, Number] | None = None
    samples: Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=1, le=JSON_INTEGER_LIMIT)] | None = None
    elicitation: Elicitation = Elicitation.AS_RELEASED
    date: Day | None = None
    metric: NonEmpty | None = None
    model_version: NonEmpty | None = None
    status: Literal["complete", "partial"] = "complete"
    source: JsonObject | None = None
    """Provenance: file digest, tool and version, run id, task (filled by the evidence importers)."""

    @field_validator("interval")
    @classmethod
    def _interval_ordered(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError("expected [lower, upper] with lower <= upper")
        return value


class Release(_Strict):
    """What the lab asks to do with the model."""

    form: ReleaseForm
    """The requested position on the release gradient."""
    components: tuple[NonEmpty, ...] = ()
    """What would be published: weights, architecture, code, data, documentation…"""
    license: NonEmpty | None = None
    """SPDX licence expression of the published components."""
    jurisdictions: tuple[NonEmpty, ...] = ()
    """Where the model is placed on the market (e.g. ``EU``, ``US``, ``US-CA``)."""
    date: Day | None = None
    """When the model is (or was) placed on the market."""
    monetised: bool | None = None
    """Whether the provider monetises the model: a price, paid support or services tied to it, or use
    of personal data beyond security and interoperability (EU AI Act Recital 103); None: not stated."""

    @field_validator("license")
    @classmethod
    def _spdx(cls, value: str | None) -> str | None:
        if value is not None and not _SPDX.match(value):
            raise ValueError("expected an SPDX licence id or expression, e.g. Apache-2.0")
        return value


CodeOfPracticeChapter = Literal["transparency", "copyright", "safety_security"]
"""A chapter of the EU General-Purpose AI Code of Practice (final text of 10 July 2025)."""


class Developer(_Strict):
    """Facts about the developer that some laws read."""

    name: NonEmpty
    annual_revenue_usd: NonNegative | None = None
    """Gross revenue in the prior year, with affiliates, in US dollars."""
    established_outside_eu: bool | None = None
    """True when the provider is established in a third country, outside the European Union (EU AI
    Act Art. 54); None: not stated."""
    code_of_practice: tuple[CodeOfPracticeChapter, ...] | None = None
    """The chapters of the EU General-Purpose AI Code of Practice the provider signed (empty: none);
    None: not stated."""


class Candidate(_Strict):
    """One pending release: the model, its compute, its evidence, the release asked for."""

    schema_version: Literal[1] = 1
    model: ModelInfo
    compute: Compute
    capabilities: dict[DomainName, Unit | CapabilityScore] = Field(default_factory=dict)
    """Normalised capability per risk domain: a number in [0, 1] or ``{score, lower, upper}``."""
    evaluations: tuple[EvaluationResult, ...] = ()
    release: Release
    developer: Developer | None = None

    def capability(self, domain: str) -> CapabilityScore | None:
        """Return the capability for ``domain`` as a :class:`CapabilityScore`, or None if absent."""
        value = self.capabilities.get(domain)
        if value is None or isinstance(value, CapabilityScore):
            return value
        return CapabilityScore(score=value)

    def document(self) -> dict[str, Any]:
        """Return the candidate as a JSON-compatible dict (``exclude_none``, for hashing and logs).

        The dict is computed once and shared: treat it as read-only, and copy it before changing it.
        """
        return self._document

    @cached_property
    def _document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    @cached_property
    def digest(self) -> str:
        """``sha256:<hex>`` of the canonical JSON of :meth:`document`."""
        return canonical_digest(self._document)
