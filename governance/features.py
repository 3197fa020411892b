"""Features: the numbers a policy reads, derived from a candidate at a date.

Every feature is oriented so that a larger value means more risk or more scope; rules that raise the
tier only test lower bounds, which makes them monotone by construction. An unknown feature is
``math.inf``: above every lower-bound threshold and below no upper bound, so missing inputs fail
closed.

Catalogue (``<d>`` is any risk domain, built-in or declared by the policy):

=================================  =======================================================================
``training_flop``                   training compute in FLOP (interval resolved by the policy's stance)
``training_flop_total``             training plus the developer's fine-tuning compute
``effective_flop``                  training compute adjusted for algorithmic progress at a date
``capability.<d>``                  normalised capability in [0, 1]; the upper bound of an interval
``evidence_gap.<d>``                1 when the domain has no capability evidence, else 0
``release.openness``                0 closed, 1 hosted, 2 api, 3 open_weights, 4 open_source
``developer.revenue_usd``           the developer's annual revenue in US dollars
``model.parameters``                parameter count
``model.generative``                1 when the model generates text, audio, images or video
``model.bio_sequence``              1 when trained primarily on biological sequence data
``release.weights_public``          1 when the weights are published (open_weights, open_source, or listed)
``release.foss_licence``            1 when the licence is free and open source as the EU exemption reads it:
                                    OSI-approved, FSF-libre, or an open-data licence (governance.evidence.openness)
``release.architecture_public``     1 when architecture information or code is published
``release.usage_info_public``       1 when usage information (model card, documentation) is published
``release.mof_class``               Model Openness Framework class: 0 unclassified, 1 Class III, 2 Class II,
                                    3 Class I (higher is more open)
``release.osaid``                   1 when the release meets the OSI Open Source AI Definition's components
=================================  =======================================================================
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal

from governance.candidate import BUILTIN_DOMAINS, Candidate, FlopInterval, Release, ReleaseForm
from governance.evidence.assess import assess_evidence, choose_capability
from governance.evidence.openness import eu_foss_licence, release_openness
from governance.policy import ComputeStance, Policy

__all__ = [
    "DAYS_PER_MONTH",
    "FeatureInfo",
    "FeatureVector",
    "IntervalNote",
    "extract_features",
    "feature_info",
    "policy_domains",
]

UNKNOWN = math.inf
DAYS_PER_MONTH = 365.2425 / 12

Kind = Literal["compute", "capability", "evidence", "release", "scope", "flag"]


@dataclass(frozen=True)
class FeatureInfo:
    """What a feature means and the range its values can take."""

    name: str
    kind: Kind
    unit: str
    low: float
    high: float
    risk: bool
    """True for risk inputs: raising one must never lower the tier."""


_FIXED: dict[str, FeatureInfo] = {
    info.name: info
    for info in (
        FeatureInfo("training_flop", "compute", "FLOP", 0.0, math.inf, True),
        FeatureInfo("training_flop_total", "compute", "FLOP", 0.0, math.inf, True),
        FeatureInfo("effective_flop", "compute", "FLOP", 0.0, math.inf, True),
        FeatureInfo("release.openness", "release", "ordinal", 0.0, 4.0, True),
        FeatureInfo("developer.revenue_usd", "scope", "USD", 0.0, math.inf, False),
        FeatureInfo("model.parameters", "scope", "parameters", 0.0, math.inf, False),
        FeatureInfo("model.generative", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("model.bio_sequence", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("release.weights_public", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("release.foss_licence", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("release.architecture_public", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("release.usage_info_public", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("release.mof_class", "release", "ordinal", 0.0, 3.0, False),
        FeatureInfo("release.osaid", "flag", "flag", 0.0, 1.0, False),
    )
}


def policy_domains(policy: Policy) -> tuple[str, ...]:
    """The built-in risk domains followed by the ones the policy declares."""
    extra = tuple(d for d in policy.domains if d not in BUILTIN_DOMAINS)
    return BUILTIN_DOMAINS + extra


def feature_info(name: str, domains: tuple[str, ...] = BUILTIN_DOMAINS) -> FeatureInfo | None:
    """Describe feature ``name``, or return None when it is not in the catalogue."""
    if name in _FIXED:
        return _FIXED[name]
    family, _, domain = name.partition(".")
    if domain in domains:
        if family == "capability":
            return FeatureInfo(name, "capability", "score", 0.0, 1.0, True)
        if family == "evidence_gap":
            return FeatureInfo(name, "evidence", "flag", 0.0, 1.0, True)
    return None


@dataclass(frozen=True)
class IntervalNote:
    """How an interval input was reduced to the single value a policy reads."""

    feature: str
    lower: float | None
    estimate: float | None
    upper: float | None
    used: float
    stance: str


@dataclass
class FeatureVector:
    """The features of one candidate under one policy at one date."""

    values: dict[str, float]
    missing: dict[str, str] = field(default_factory=dict)
    """Feature name to why it is unknown."""
    intervals: list[IntervalNote] = field(default_factory=list)
    adjustment: dict[str, float | str] | None = None
    """How ``effective_flop`` was derived (dates, months elapsed, factor)."""
    evidence: dict[str, dict[str, object]] = field(default_factory=dict)
    """Per domain with evaluation results: which result sets the capability, and why; the results set
    aside, with reasons (empty when the candidate has no evaluations)."""


def _resolve_flop(value: float | FlopInterval | None, stance: ComputeStance) -> tuple[float, IntervalNote | None]:
    if value is None:
        return UNKNOWN, None
    if isinstance(value, float | int):
        return float(value), None
    conservative = value.upper if value.upper is not None else UNKNOWN
    used = value.estimate if stance is ComputeStance.ESTIMATE and value.estimate is not None else conservative
    note = IntervalNote("training_flop", value.lower, value.estimate, value.upper, used, stance.value)
    return used, note


def months_between(start: dt.date, end: dt.date) -> float:
    """Months from ``start`` to ``end`` (negative when ``end`` is earlier), in mean Gregorian months."""
    return (end - start).days / DAYS_PER_MONTH


def efficiency_factor(policy: Policy, day: dt.date) -> float:
    """How many reference-date FLOP one FLOP spent on ``day`` is worth: ``2 ** (months / halving)``."""
    params = policy.parameters
    if params.reference_date is None or params.halving_months is None:
        return 1.0
    return float(2.0 ** (months_between(params.reference_date, day) / params.halving_months))


def extract_features(candidate: Candidate, policy: Policy, as_of: dt.date) -> FeatureVector:
    """Derive every catalogue feature of ``candidate`` under ``policy`` on ``as_of``."""
    stance = policy.parameters.compute_stance
    values: dict[str, float] = {}
    missing: dict[str, str] = {}
    intervals: list[IntervalNote] = []

    flop, note = _resolve_flop(candidate.compute.training_flop, stance)
    if note is not None:
        intervals.append(note)
    if math.isinf(flop):
        missing["training_flop"] = (
            "training compute is unknown"
            if candidate.compute.training_flop is None
            else "training compute has no upper bound; read as above every threshold"
        )
    values["training_flop"] = flop
    values["training_flop_total"] = flop + (candidate.compute.fine_tuning_flop or 0.0)

    adjustment: dict[str, float | str] | None = None
    params = policy.parameters
    if params.reference_date is not None and params.halving_months is not None:
        day = candidate.compute.training_end or as_of
        factor = efficiency_factor(policy, day)
        values["effective_flop"] = flop * factor
        adjustment = {
            "reference_date": params.reference_date.isoformat(),
            "date": day.isoformat(),
            "date_basis": "training_end" if candidate.compute.training_end else "as_of",
            "halving_months": params.halving_months,
            "factor": factor,
        }
    else:
        values["effective_flop"] = flop

    domains = policy_domains(policy)
    release = release_features(candidate.release)
    assessed = assess_evidence(
        candidate, policy.evidence, domains, as_of, weights_public=release["release.weights_public"] == 1.0
    )
    evidence: dict[str, dict[str, object]] = {}
    for domain in domains:
        score, record, why = choose_capability(candidate.capability(domain), assessed.get(domain))
        if record is not None:
            evidence[domain] = record
        if score is None:
            values[f"capability.{domain}"] = UNKNOWN
            values[f"evidence_gap.{domain}"] = 1.0
            missing[f"capability.{domain}"] = why or f"no capability evidence for {domain}"
        else:
            values[f"capability.{domain}"] = score.bound
            values[f"evidence_gap.{domain}"] = 0.0
            if score.upper is not None:
                intervals.append(
                    IntervalNote(
                        f"capability.{domain}", score.lower, score.score, score.upper, score.upper, "upper_bound"
                    )
                )

    values["release.openness"] = float(candidate.release.form.openness)
    revenue = candidate.developer.annual_revenue_usd if candidate.developer else None
    values["developer.revenue_usd"] = UNKNOWN if revenue is None else revenue
    if revenue is None:
        missing["developer.revenue_usd"] = "developer revenue is not stated"
    parameters = candidate.model.parameters
    values["model.parameters"] = UNKNOWN if parameters is None else parameters
    if parameters is None:
        missing["model.parameters"] = "parameter count is not stated"
    generative = {"text", "audio", "image", "video"} & set(candidate.model.modalities)
    values["model.generative"] = 1.0 if generative or not candidate.model.modalities else 0.0
    values["model.bio_sequence"] = 1.0 if candidate.model.trained_primarily_on_biological_sequences else 0.0
    values.update(release)
    return FeatureVector(values, missing, intervals, adjustment, evidence)


_ARCHITECTURE = {"architecture", "model_architecture", "inference_code", "training_code", "code"}
_USAGE = {"model_card", "usage_documentation", "documentation", "usage_information", "technical_report"}


def release_features(release: Release) -> dict[str, float]:
    """The openness flags of a release plan."""
    components = {c.strip().lower().replace(" ", "_").replace("-", "_") for c in release.components}
    weights = release.form in (ReleaseForm.OPEN_WEIGHTS, ReleaseForm.OPEN_SOURCE) or bool(
        {"weights", "model_parameters", "parameters"} & components
    )
    openness = release_openness(release)
    return {
        "release.weights_public": 1.0 if weights else 0.0,
        "release.foss_licence": 1.0 if eu_foss_licence(release.license) else 0.0,
        "release.architecture_public": 1.0
        if weights and (_ARCHITECTURE & components or release.form is ReleaseForm.OPEN_SOURCE)
        else 0.0,
        "release.usage_info_public": 1.0 if _USAGE & components else 0.0,
        "release.mof_class": float(4 - openness.mof.mof_class if openness.mof.mof_class else 0),
        "release.osaid": 1.0 if openness.osaid.meets else 0.0,
    }
