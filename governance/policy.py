"""The policy specification: a versioned, content-addressed bundle of threshold rules.

A policy is data. Its document (``policies/<id>/<version>/policy.yaml``) is validated into a
:class:`Policy`; its identity is ``id@version`` plus :attr:`Policy.digest`, the SHA-256 of the canonical
JSON of the validated document. Both evaluators (durable_rules and the vectorised one) are built from
the same :class:`Policy` object.

A rule is a conjunction (``all``) or disjunction (``any``) of threshold atoms, possibly nested. When
its condition holds it sets a minimum tier and attaches labels and obligations. The decision's tier
is the most restrictive tier among the fired rules, ``open`` when none fires.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from governance._numbers import not_a_boolean
from governance.canonical import canonical_digest
from governance.tiers import Tier

__all__ = [
    "Atom",
    "CannotRuleOut",
    "ComputeStance",
    "Condition",
    "EffectivePeriod",
    "EvidenceRequirements",
    "Obligation",
    "Operator",
    "PlanStep",
    "Policy",
    "PolicyKind",
    "PolicyParameters",
    "Rule",
    "Source",
]

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.\-]{0,79}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Finite = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(not_a_boolean)]
"""A finite number, never a boolean (``value: true`` is a mistake, not the threshold 1)."""
Count = Annotated[int, Field(ge=0), BeforeValidator(not_a_boolean)]
"""A whole number of days, never a boolean."""

Operator = Literal[">=", ">", "<=", "<"]
"""Atom operators. Lower bounds (``>=``, ``>``) keep a rule monotone; upper bounds are for label-only rules."""

LOWER_BOUNDS: frozenset[str] = frozenset({">=", ">"})
MIN_HALVING_MONTHS = 1.0
MAX_HALVING_MONTHS = 1200.0


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)


class PolicyKind(StrEnum):
    """What kind of text a policy encodes."""

    REGULATION = "regulation"
    FRAMEWORK = "framework"
    PROPOSAL = "proposal"
    ILLUSTRATIVE = "illustrative"


class ComputeStance(StrEnum):
    """How a compute threshold that falls inside an estimate's interval is resolved.

    ``conservative`` reads the upper bound (an unknown upper bound is above every threshold);
    ``estimate`` reads the central estimate, falling back to the conservative side when there is none.
    """

    CONSERVATIVE = "conservative"
    ESTIMATE = "estimate"


class Source(_Spec):
    """Where a rule, threshold or obligation comes from."""

    id: Identifier
    title: Text
    url: Text | None = None
    section: Text | None = None
    """Article, section or page, e.g. ``Art. 51(2)``."""
    accessed: dt.date | None = None


class EffectivePeriod(_Spec):
    """When a policy version is in force: ``from`` inclusive, ``to`` exclusive (None: open-ended)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    start: dt.date = Field(alias="from")
    end: dt.date | None = Field(default=None, alias="to")
    note: Text | None = None
    unconfirmed_after: dt.date | None = None
    """From this date a successor is reported but its text was not reached: the version stays in force
    (it is the last one confirmed) and decisions dated on or after it say that its currency is
    unconfirmed. None (the default) keeps it out of the policy document, so existing digests hold."""

    @model_validator(mode="after")
    def _ordered(self) -> EffectivePeriod:
        if self.end is not None and self.end <= self.start:
            raise ValueError("expected 'to' after 'from'")
        if self.unconfirmed_after is not None and not self.contains(self.unconfirmed_after):
            raise ValueError("expected 'unconfirmed_after' inside the period, on or after 'from' and before 'to'")
        return self

    def contains(self, day: dt.date) -> bool:
        """True when ``day`` falls inside the period."""
        return self.start <= day and (self.end is None or day < self.end)


class Atom(_Spec):
    """A threshold test on one feature: ``feature op value``; the value may name a parameter."""

    feature: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")]
    op: Operator
    value: Finite | None = None
    param: Identifier | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Atom:
        if (self.value is None) == (self.param is None):
            raise ValueError("give exactly one of 'value' or 'param'")
        return self

    @property
    def is_lower_bound(self) -> bool:
        """True for ``>=`` and ``>``: the atom holds for every larger value once it holds."""
        return self.op in LOWER_BOUNDS


class Condition(_Spec):
    """A conjunction (``all``) or disjunction (``any``) of atoms and nested conditions."""

    all: tuple[Atom | Condition, ...] | None = None
    any: tuple[Atom | Condition, ...] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        if (self.all is None) == (self.any is None):
            raise ValueError("give exactly one of 'all' or 'any'")
        if not (self.all or self.any):
            raise ValueError("a condition needs at least one atom")
        return self

    @property
    def kind(self) -> Literal["all", "any"]:
        """``all`` or ``any``."""
        return "all" if self.all is not None else "any"

    @property
    def items(self) -> tuple[Atom | Condition, ...]:
        """The atoms and nested conditions, in order."""
        return self.all if self.all is not None else self.any or ()

    def atoms(self) -> Iterator[Atom]:
        """Every atom, depth first."""
        for item in self.items:
            if isinstance(item, Atom):
                yield item
            else:
                yield from item.atoms()


class CannotRuleOut(_Spec):
    """A rule's own reading of "not ruled out", where its source gives one.

    By default a rule that holds only if an unknown input is high enough is *not ruled out*: it raises
    the tier (fail closed) but attaches no labels or obligations, because nothing was found. Some texts
    say otherwise (Anthropic's RSP: a capability that cannot be ruled out is treated as reached); such a
    rule declares ``treat_as: crossed`` and cites where its source says so.
    """

    treat_as: Literal["crossed"]
    source: Identifier
    """Id of the entry in the policy's ``sources`` that says so."""
    quote: Text
    """The words of the source, so a reader can check the reading."""


class Rule(_Spec):
    """When ``when`` holds, the decision is at least ``tier`` and carries the labels and obligations."""

    id: Identifier
    tier: Tier
    when: Condition
    labels: tuple[Identifier, ...] = ()
    obligations: tuple[Identifier, ...] = ()
    rationale: Text
    source: Identifier
    """Id of an entry in the policy's ``sources``."""
    cannot_rule_out: CannotRuleOut | None = None
    """What the rule means when unknown inputs cannot rule it out; unset: it is not a finding."""


class Obligation(_Spec):
    """A duty that follows from a label or rule, with where it comes from and when it is due."""

    id: Identifier
    text: Text
    source: Identifier
    due_within_days: Count | None = None
    """Days from the trigger (e.g. the threshold being met) by which it must be done."""
    due_by: dt.date | None = None
    """A fixed date by which it must be done."""


class PlanStep(_Spec):
    """One step of a staged release."""

    id: Identifier
    access: Literal["internal", "trusted_testers", "hosted", "api", "open_weights", "open_source"]
    gate: Text
    """What must hold before moving on from this step."""
    min_days: Count | None = None


class EvidenceRequirements(_Spec):
    """Which risk domains need evidence, and what the policy does when it is missing.

    Missing evidence fails closed whatever is declared here: a rule that waits on an unknown feature is
    not ruled out and raises the tier (never a finding), and an upper bound on it never holds.
    ``if_missing`` adds a floor tier, labels and obligations on top of that, and the decision lists
    what is missing.
    """

    required_domains: tuple[Identifier, ...] = ()
    if_missing_tier: Tier = Tier.STAGED
    if_missing_labels: tuple[Identifier, ...] = ("evidence_pending",)
    if_missing_obligations: tuple[Identifier, ...] = ()
    rationale: Text = "Required evidence is missing; the decision fails closed until it is supplied."
    # Evidence knobs (governance.evidence). Unset (None) means the default given in each docstring;
    # None keeps them out of the policy document, so adding them changed no existing digest.
    confidence: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False), BeforeValidator(not_a_boolean)] | None = None
    """Two-sided confidence of the interval whose upper end a capability reads (default 0.95)."""
    as_released_counts_for_open_release: bool | None = None
    """Whether results on the model as released count when the weights are published (default false)."""
    max_age_days: Count | None = None
    """Results older than this many days at the decision date are stale (default: no limit)."""
    count_stale: bool | None = None
    """Whether stale results (too old, another model version, undated) still count (default false)."""
    count_partial: bool | None = None
    """Whether results of unfinished runs (``status: partial``) count (default false)."""


class PolicyParameters(_Spec):
    """Named values the rules read, and how compute is interpreted."""

    compute_stance: ComputeStance = ComputeStance.CONSERVATIVE
    reference_date: Annotated[dt.date, Field(ge=dt.date(1950, 1, 1), le=dt.date(2199, 12, 31))] | None = None
    """Date at which efficiency-adjusted (effective) compute equals raw compute (1950 to 2199)."""
    halving_months: (
        Annotated[
            float,
            Field(ge=MIN_HALVING_MONTHS, le=MAX_HALVING_MONTHS, allow_inf_nan=False),
            BeforeValidator(not_a_boolean),
        ]
        | None
    ) = None
    """Months in which the compute needed for the same capability halves (Ho et al. 2024: ~8; 95% CI
    5 to 14). Refused outside 1 to 1,200 months: a shorter halving time is not a trend but an error, and
    a longer one is no adjustment at all."""
    thresholds: dict[Identifier, Finite] = Field(default_factory=dict)
    """Named thresholds rules may reference with ``param``; sweeps vary these."""


class Policy(_Spec):
    """A versioned threshold policy. Build one with :func:`governance.load_policy`."""

    schema_version: Literal[1] = 1
    id: Identifier
    version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$")]
    title: Text
    kind: PolicyKind
    jurisdiction: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    """Where it applies, e.g. ``EU``, ``US``, ``US-CA``, ``lab:anthropic`` or ``none``."""
    effective: EffectivePeriod
    summary: Text | None = None
    interpretation: tuple[Text, ...] = ()
    """Every interpretation the encoding had to make, in the author's words."""
    sources: tuple[Source, ...]
    domains: tuple[Identifier, ...] = ()
    """Risk domains this policy declares beyond the built-in ones."""
    parameters: PolicyParameters = PolicyParameters()
    evidence: EvidenceRequirements = EvidenceRequirements()
    obligations: tuple[Obligation, ...] = ()
    rules: tuple[Rule, ...]
    plan: tuple[PlanStep, ...] = ()
    """The staged-release plan template attached to ``staged`` decisions."""
    label_conflicts: tuple[tuple[Identifier, Identifier], ...] = ()
    """Pairs of labels that must never be attached together."""
    monotonicity_exception: Text | None = None
    """Why a tier-raising rule may use an upper bound. Without it such a policy is refused."""

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        for name, ids in (
            ("rule", [r.id for r in self.rules]),
            ("source", [s.id for s in self.sources]),
            ("obligation", [o.id for o in self.obligations]),
            ("plan step", [p.id for p in self.plan]),
        ):
            seen: set[str] = set()
            for item in ids:
                if item in seen:
                    raise ValueError(f"duplicate {name} id {item!r}")
                seen.add(item)
        return self

    # -- identity ---------------------------------------------------------------------------------

    @property
    def ref(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"

    def document(self) -> dict[str, Any]:
        """The canonical policy document: what is hashed, stored in ledgers and reloaded on replay.

        The dict is computed once and shared: treat it as read-only, and copy it before changing it.
        """
        return self._document

    @cached_property
    def _document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    @cached_property
    def digest(self) -> str:
        """``sha256:<hex>`` of the canonical JSON of :meth:`document`."""
        return canonical_digest(self._document)

    # -- lookups ----------------------------------------------------------------------------------

    @cached_property
    def sources_by_id(self) -> dict[str, Source]:
        """Sources keyed by id."""
        return {s.id: s for s in self.sources}

    @cached_property
    def obligations_by_id(self) -> dict[str, Obligation]:
        """Obligations keyed by id."""
        return {o.id: o for o in self.obligations}

    def threshold(self, atom: Atom) -> float:
        """The numeric threshold of ``atom``, resolving a parameter reference."""
        if atom.value is not None:
            return atom.value
        assert atom.param is not None  # guaranteed by Atom validation
        return self.parameters.thresholds[atom.param]

    def in_force(self, day: dt.date) -> bool:
        """True when this version is in force on ``day``; a proposal (e.g. a vetoed bill) never is."""
        return self.kind is not PolicyKind.PROPOSAL and self.effective.contains(day)

    def with_thresholds(self, **values: float) -> Policy:
        """Return a copy with named thresholds replaced (a new digest); used by sweeps."""
        unknown = sorted(set(values) - set(self.parameters.thresholds))
        if unknown:
            raise KeyError(f"no such parameter(s): {', '.join(unknown)}")
        thresholds = {**self.parameters.thresholds, **values}
        document = {**self.document(), "parameters": {**self.document()["parameters"], "thresholds": thresholds}}
        return Policy.model_validate(document)
