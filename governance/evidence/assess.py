"""From evaluation results to the capability a policy reads, per risk domain, with the reasons.

For each result on a candidate (:attr:`Candidate.evaluations`) the evidence layer decides whether it
counts, and if it does, what it shows:

* **Suite.** The benchmark must be a known suite (id or alias) of the same domain and metric, and the
  score must be on the suite's raw scale. Otherwise the result is set aside: it is not guessed.
* **Uncertainty.** The raw interval at the policy's confidence (:mod:`.uncertainty`) is mapped
  through the suite's normalisation; the conservative (upper) end is what the policy reads, the
  normalised point estimate is kept beside it.
* **Elicitation.** For a release that publishes weights, only results with safeguards removed or
  after fine-tuning count, because anyone can strip safeguards from open weights; ``as_released``
  results count only when the policy says so (``as_released_counts_for_open_release``).
* **Staleness and identity.** A result for another model version, older than the policy's
  ``max_age_days``, undated while the policy sets a maximum age, or dated after the decision, is
  flagged; it counts only when the policy sets ``count_stale``.
* **Partial runs** (``status: partial``) are weaker evidence: their interval comes from the samples
  that did complete, and they count only when the policy sets ``count_partial``.
* **Several results in one domain**: the highest conservative bound wins, and the reason names it.

A domain whose results were all set aside has no evidence: it reads as unknown (fail closed), and
the decision says why. Nothing here reads files; importing logs is :mod:`.importers`' job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from governance.candidate import Candidate, CapabilityScore, Elicitation, EvaluationResult
from governance.evidence.suites import Suite, SuiteCatalogue
from governance.evidence.uncertainty import RawInterval, raw_interval
from governance.policy import EvidenceRequirements

__all__ = [
    "AssessedResult",
    "DomainEvidence",
    "EvidenceSettings",
    "assess_evidence",
    "assess_result",
    "choose_capability",
]

_DIGITS = 12


def _num(value: float) -> float | int:
    """Integral floats as ints (the canonical JSON form is the same)."""
    return int(value) if value.is_integer() and abs(value) < 2.0**53 else value


@dataclass(frozen=True)
class EvidenceSettings:
    """The evidence knobs of a policy, with their defaults filled in."""

    confidence: float = 0.95
    """Two-sided confidence of the interval whose upper end the policy reads."""
    as_released_counts_for_open_release: bool = False
    """Whether results on the model as released count when the weights are to be published."""
    max_age_days: int | None = None
    """Results older than this many days are stale; None: no age limit."""
    count_stale: bool = False
    """Whether stale results (too old, another model version, undated, future-dated) still count."""
    count_partial: bool = False
    """Whether results of unfinished runs count."""

    @classmethod
    def of(cls, requirements: EvidenceRequirements) -> EvidenceSettings:
        """The settings a policy's ``evidence`` section declares (unset knobs take the defaults)."""
        defaults = cls()
        return cls(
            confidence=_pick(getattr(requirements, "confidence", None), defaults.confidence),
            as_released_counts_for_open_release=_pick(
                getattr(requirements, "as_released_counts_for_open_release", None),
                defaults.as_released_counts_for_open_release,
            ),
            max_age_days=getattr(requirements, "max_age_days", None),
            count_stale=_pick(getattr(requirements, "count_stale", None), defaults.count_stale),
            count_partial=_pick(getattr(requirements, "count_partial", None), defaults.count_partial),
        )


def _pick(value: Any, default: Any) -> Any:
    return default if value is None else value


@dataclass(frozen=True)
class AssessedResult:
    """One evaluation result after the evidence rules: what it shows and whether it counts."""

    index: int
    """Position in ``candidate.evaluations`` (0-based)."""
    result: EvaluationResult
    suite: Suite | None
    raw: RawInterval | None
    """The raw interval at the policy's confidence; None when the result could not be read."""
    capability: CapabilityScore | None
    """The normalised point estimate and interval; None when the result could not be read."""
    set_aside: tuple[str, ...]
    """Why the result does not count (empty when it counts)."""
    flags: tuple[str, ...] = ()
    """Caveats on a result that still counts (e.g. stale, but the policy counts stale results)."""

    @property
    def counted(self) -> bool:
        """True when the result counts towards its domain's capability."""
        return not self.set_aside and self.capability is not None

    @property
    def label(self) -> str:
        """A short name for reasons: ``wmdp-bio (evaluations[1], inspect_ai run 9wJB…)``, or the file name
        when the tool records no run id."""
        source = self.result.source or {}
        parts = [f"evaluations[{self.index}]"]
        tool = source.get("tool")
        if tool and source.get("run_id"):
            parts.append(f"{tool} run {source['run_id']}")
        elif tool and source.get("file"):
            parts.append(f"{tool} file {source['file']}")
        elif tool:
            parts.append(str(tool))
        return f"{self.suite.id if self.suite else self.result.benchmark} ({', '.join(parts)})"

    def document(self) -> dict[str, Any]:
        """The JSON record the decision carries for this result."""
        result = self.result
        out: dict[str, Any] = {
            "evaluation": self.index,
            "benchmark": result.benchmark,
            "value": _num(result.score),
            "elicitation": result.elicitation.value,
            "status": result.status,
        }
        if self.suite is not None:
            out["suite"] = self.suite.ref
            out["metric"] = result.metric or self.suite.metric
        elif result.metric is not None:
            out["metric"] = result.metric
        if result.stderr is not None:
            out["stderr"] = _num(result.stderr)
        if result.samples is not None:
            out["samples"] = result.samples
        if result.date is not None:
            out["date"] = result.date.isoformat()
        if result.model_version is not None:
            out["model_version"] = result.model_version
        if self.raw is not None:
            out["interval"] = [_num(self.raw.lower), _num(self.raw.upper)]
            out["uncertainty"] = self.raw.method
        if self.capability is not None:
            out["normalised"] = {
                "score": _num(self.capability.score),
                "lower": _num(self.capability.lower if self.capability.lower is not None else self.capability.score),
                "upper": _num(self.capability.bound),
            }
        if result.source:
            out["source"] = result.source
        if self.flags:
            out["flags"] = list(self.flags)
        if self.set_aside:
            out["why"] = "; ".join(self.set_aside)
        return out


@dataclass(frozen=True)
class DomainEvidence:
    """What the evidence of one risk domain shows, and why."""

    domain: str
    confidence: float
    results: tuple[AssessedResult, ...]
    chosen: AssessedResult | None
    """The counted result with the highest conservative bound, if any counted."""
    why: str

    @property
    def capability(self) -> CapabilityScore | None:
        """The chosen result's normalised capability, or None when nothing counted."""
        return self.chosen.capability if self.chosen is not None else None

    def document(self, *, used: str, why: str, declared: CapabilityScore | None = None) -> dict[str, Any]:
        """The decision's record of this domain.

        Args:
            used: ``evidence`` (the chosen result sets the capability), ``declared`` (the candidate's
                own ``capabilities`` value is higher and stands), or ``none``.
            why: the sentence explaining ``used``.
            declared: the candidate's declared capability for the domain, if any.
        """
        out: dict[str, Any] = {"used": used, "why": why, "confidence": _num(self.confidence)}
        if declared is not None:
            out["declared"] = {"score": _num(declared.score), "bound": _num(declared.bound)}
        if self.chosen is not None:
            out["chosen"] = self.chosen.document()
        counted = [r.document() for r in self.results if r.counted and r is not self.chosen]
        if counted:
            out["counted"] = counted
        discarded = [r.document() for r in self.results if not r.counted]
        if discarded:
            out["discarded"] = discarded
        return out


@dataclass
class _Checks:
    set_aside: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def _staleness(result: EvaluationResult, candidate: Candidate, settings: EvidenceSettings, as_of: dt.date) -> list[str]:
    stale: list[str] = []
    version = candidate.model.version
    if result.model_version is not None and version is not None and result.model_version != version:
        stale.append(f"it is for model version {result.model_version!r}, not {version!r}")
    if result.date is not None and result.date > as_of:
        stale.append(f"it is dated {result.date}, after the decision date {as_of}")
    if settings.max_age_days is not None:
        if result.date is None:
            stale.append(f"it is undated, and the policy accepts results up to {settings.max_age_days} days old")
        else:
            age = (as_of - result.date).days
            if age > settings.max_age_days:
                stale.append(f"it is {age} days old, past the policy's maximum of {settings.max_age_days}")
    return stale


def assess_result(
    index: int,
    result: EvaluationResult,
    candidate: Candidate,
    settings: EvidenceSettings,
    as_of: dt.date,
    *,
    weights_public: bool,
    suites: SuiteCatalogue,
) -> AssessedResult:
    """Apply the evidence rules to one result (see the module docstring)."""
    checks = _Checks()
    suite = suites.find(result.benchmark)
    if suite is None:
        checks.set_aside.append(f"benchmark {result.benchmark!r} is not a known evaluation suite")
        return AssessedResult(index, result, None, None, None, tuple(checks.set_aside))
    if suite.domain != result.domain:
        checks.set_aside.append(
            f"suite {suite.id} measures {suite.domain}, but the result is filed under {result.domain}"
        )
    if result.metric is not None and result.metric not in suite.metric_names:
        names = ", ".join(sorted(suite.metric_names))
        checks.set_aside.append(f"metric {result.metric!r} is not what {suite.id} reports ({names})")
    low, high = suite.raw_range()
    if not low <= result.score <= high:
        checks.set_aside.append(f"score {result.score} is outside {suite.id}'s range [{low}, {high}]")
    if checks.set_aside:
        return AssessedResult(index, result, suite, None, None, tuple(checks.set_aside))

    if (
        weights_public
        and result.elicitation is Elicitation.AS_RELEASED
        and not settings.as_released_counts_for_open_release
    ):
        checks.set_aside.append(
            "it was run on the model as released; for a release of the weights only results with safeguards "
            "removed or after fine-tuning count, because anyone can strip safeguards from open weights"
        )
    stale = _staleness(result, candidate, settings, as_of)
    if stale:
        (checks.flags if settings.count_stale else checks.set_aside).extend(f"stale: {s}" for s in stale)
    if result.status == "partial":
        note = "partial: the run did not finish (its interval comes from the completed samples only)"
        (checks.flags if settings.count_partial else checks.set_aside).append(note)

    raw = raw_interval(
        result.score,
        stderr=result.stderr,
        interval=result.interval,
        samples=result.samples,
        proportion=suite.measure == "proportion",
        confidence=settings.confidence,
        bounds=(low, high),
    )
    if raw.method == "none":
        checks.flags.append("no uncertainty reported (no stderr, interval or sample count): the point estimate is read")
    ends = sorted((round(suite.normalise(raw.lower), _DIGITS), round(suite.normalise(raw.upper), _DIGITS)))
    point = round(suite.normalise(raw.score), _DIGITS)
    capability = CapabilityScore(score=point, lower=min(ends[0], point), upper=max(ends[1], point))
    return AssessedResult(index, result, suite, raw, capability, tuple(checks.set_aside), tuple(checks.flags))


def _choose(domain: str, assessed: list[AssessedResult]) -> tuple[AssessedResult | None, str]:
    counted = [r for r in assessed if r.counted]
    if not counted:
        reasons = "; ".join(f"{r.label}: {r.set_aside[0]}" for r in assessed)
        return None, f"no evaluation result for {domain} counts under this policy ({reasons})"
    best = max(counted, key=lambda r: (r.capability.bound if r.capability else 0.0, -r.index))
    assert best.capability is not None
    bound = f"{best.capability.bound:.4g}"
    if len(counted) == 1:
        return best, f"{best.label} is the only counted result; its conservative bound is {bound}"
    return best, f"{best.label} has the highest conservative bound ({bound}) of {len(counted)} counted results"


def assess_evidence(
    candidate: Candidate,
    requirements: EvidenceRequirements,
    domains: Iterable[str],
    as_of: dt.date,
    *,
    weights_public: bool,
    suites: SuiteCatalogue,
) -> dict[str, DomainEvidence]:
    """Assess every evaluation result of ``candidate`` in the given domains.

    Args:
        candidate: the candidate whose ``evaluations`` are read.
        requirements: the policy's evidence section (its knobs; see :class:`EvidenceSettings`).
        domains: the domains the policy reads; results in other domains are ignored.
        as_of: the decision date (for staleness).
        weights_public: True when the release publishes the weights (the elicitation rule).
        suites: the evaluation suites in force; a result whose benchmark is not among them is set aside.

    Returns:
        For each domain with at least one result, what the evidence shows. Empty when the candidate
        has no evaluations, so that decisions without evidence are unchanged.
    """
    if not candidate.evaluations:
        return {}
    settings = EvidenceSettings.of(requirements)
    wanted = set(domains)
    by_domain: dict[str, list[AssessedResult]] = {}
    for index, result in enumerate(candidate.evaluations):
        if result.domain not in wanted:
            continue
        assessed = assess_result(
            index, result, candidate, settings, as_of, weights_public=weights_public, suites=suites
        )
        by_domain.setdefault(result.domain, []).append(assessed)
    out: dict[str, DomainEvidence] = {}
    for domain in sorted(by_domain):
        chosen, why = _choose(domain, by_domain[domain])
        out[domain] = DomainEvidence(domain, settings.confidence, tuple(by_domain[domain]), chosen, why)
    return out


def choose_capability(
    declared: CapabilityScore | None, evidence: DomainEvidence | None
) -> tuple[CapabilityScore | None, dict[str, Any] | None, str | None]:
    """Combine a declared capability with what the evidence shows: the more capable bound wins.

    Args:
        declared: the candidate's ``capabilities`` entry for the domain, if any.
        evidence: the assessed evaluation results of the domain, if any.

    Returns:
        ``(capability, record, missing_reason)``: the capability the policy reads (None when
        unknown), the decision's evidence record for the domain (None when there were no results),
        and, when the capability is unknown, why.
    """
    if evidence is None:
        return declared, None, None
    found = evidence.capability
    if found is None:
        if declared is not None:
            why = f"the declared capability {declared.bound:.4g} stands: {evidence.why}"
            return declared, evidence.document(used="declared", why=why, declared=declared), None
        return None, evidence.document(used="none", why=evidence.why), evidence.why
    if declared is not None and declared.bound >= found.bound:
        why = (
            f"the declared capability {declared.bound:.4g} is at least the evidence's "
            f"{found.bound:.4g}, so it stands; {evidence.why}"
        )
        return declared, evidence.document(used="declared", why=why, declared=declared), None
    why = evidence.why
    if declared is not None:
        why += f"; it is above the declared capability {declared.bound:.4g}"
    return found, evidence.document(used="evidence", why=why, declared=declared), None
