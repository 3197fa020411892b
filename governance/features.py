"""Features: the numbers a policy reads, derived from a candidate at a date.

Every feature is oriented so that a larger value means more risk or more scope; rules that raise the
tier only test lower bounds, which makes them monotone by construction. An unknown feature is
``math.inf``. The evaluators read it three-valued (:mod:`governance.compiled`): a lower-bound test on
it is not ruled out (it raises the tier, failing closed, but is no finding), an upper-bound test on it
does not hold (unknown is never read as below a threshold).

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
``release.monetised``               1 when the provider monetises the model, 0 when it states it does not
``developer.established_outside_eu`` 1 when the provider is established outside the EU, 0 inside
``developer.cop_<chapter>``         1 when the provider signed that chapter of the EU GPAI Code of Practice
                                    (``transparency``, ``copyright``, ``safety_security``), 0 when it did not
``model.code_generator``            1 when the model generates code (``modalities`` lists ``code``)
=================================  =======================================================================
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

from governance.candidate import (
    BUILTIN_DOMAINS,
    Candidate,
    CodeOfPracticeChapter,
    FlopInterval,
    Release,
    ReleaseForm,
)
from governance.evidence.assess import assess_evidence, choose_capability
from governance.evidence.openness import eu_foss_licence, release_openness
from governance.evidence.suites import Suite, SuiteCatalogue, empty_suites
from governance.policy import ComputeStance, Policy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = [
    "COP_CHAPTERS",
    "DAYS_PER_MONTH",
    "FeatureInfo",
    "FeatureVector",
    "IntervalNote",
    "extract_features",
    "feature_info",
    "policy_domains",
    "stated_facts",
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
    settled_by: str = "a stated value"
    """What a candidate supplies to make the feature known (shown for a rule that is not ruled out)."""


_COMPUTE_SETTLES = "the training compute (a number of FLOP, or an interval with an upper bound)"
_MONETISED_SETTLES = (
    "whether the provider monetises the model (release.monetised: a price, paid support or services tied "
    "to it, or use of personal data beyond security and interoperability)"
)
_ESTABLISHED_SETTLES = "whether the provider is established outside the EU (developer.established_outside_eu)"
_COP_SETTLES = "which chapters of the EU GPAI Code of Practice the provider signed (developer.code_of_practice)"
COP_CHAPTERS: tuple[str, ...] = get_args(CodeOfPracticeChapter)
"""The chapters of the EU General-Purpose AI Code of Practice, each a ``developer.cop_<chapter>`` flag."""
_FIXED: dict[str, FeatureInfo] = {
    info.name: info
    for info in (
        FeatureInfo("training_flop", "compute", "FLOP", 0.0, math.inf, True, _COMPUTE_SETTLES),
        FeatureInfo("training_flop_total", "compute", "FLOP", 0.0, math.inf, True, _COMPUTE_SETTLES),
        FeatureInfo("effective_flop", "compute", "FLOP", 0.0, math.inf, True, _COMPUTE_SETTLES),
        FeatureInfo("release.openness", "release", "ordinal", 0.0, 4.0, True),
        FeatureInfo("developer.revenue_usd", "scope", "USD", 0.0, math.inf, False, "the developer's annual revenue"),
        FeatureInfo("model.parameters", "scope", "parameters", 0.0, math.inf, False, "the model's parameter count"),
        FeatureInfo("model.generative", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("model.bio_sequence", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("release.weights_public", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("release.foss_licence", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("release.architecture_public", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("release.usage_info_public", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("release.mof_class", "release", "ordinal", 0.0, 3.0, False),
        FeatureInfo("release.osaid", "flag", "flag", 0.0, 1.0, False),
        FeatureInfo("release.monetised", "flag", "flag", 0.0, 1.0, False, _MONETISED_SETTLES),
        FeatureInfo("developer.established_outside_eu", "flag", "flag", 0.0, 1.0, False, _ESTABLISHED_SETTLES),
        *(
            FeatureInfo(f"developer.cop_{chapter}", "flag", "flag", 0.0, 1.0, False, _COP_SETTLES)
            for chapter in COP_CHAPTERS
        ),
        FeatureInfo("model.code_generator", "flag", "flag", 0.0, 1.0, False),
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
            settles = f"evaluation results in {domain} (or a declared capability score for {domain})"
            return FeatureInfo(name, "capability", "score", 0.0, 1.0, True, settles)
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
    suites: tuple[Suite, ...] = ()
    """The evaluation suites the candidate's results resolved to, by id: what the decision used."""


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


LARGEST = sys.float_info.max
"""The largest finite double: a known quantity too large to represent saturates here, never at ``inf``."""


def efficiency_exponent(policy: Policy, day: dt.date) -> float:
    """``months / halving``: the power of two one FLOP spent on ``day`` is worth in reference-date FLOP.

    Always finite: dates lie between years 1 and 9999, and the policy schema bounds the halving time.
    """
    params = policy.parameters
    if params.reference_date is None or params.halving_months is None:
        return 0.0
    return months_between(params.reference_date, day) / params.halving_months


def efficiency_factor(policy: Policy, day: dt.date) -> float | None:
    """``2 ** exponent`` (see :func:`efficiency_exponent`), or None when it is too large for a double."""
    return _power_of_two(efficiency_exponent(policy, day))


def _power_of_two(exponent: float) -> float | None:
    try:
        return float(2.0**exponent)
    except OverflowError:
        return None


def scale_by_power_of_two(value: float, exponent: float) -> float:
    """``value * 2 ** exponent`` for a known, non-negative ``value``, saturating at :data:`LARGEST`.

    Never ``inf`` or ``NaN`` (an unknown value is the caller's to handle); a result too small for a
    double is 0. Within range it is exactly ``value * 2.0 ** exponent``.
    """
    factor = _power_of_two(exponent)
    if factor is None:
        return LARGEST if value > 0 else 0.0
    return min(value * factor, LARGEST)


def saturating_sum(left: float, right: float) -> float:
    """``left + right`` for known values, saturating at :data:`LARGEST`."""
    return min(left + right, LARGEST)


# Column forms of the same arithmetic, for the column evaluator (numpy arrays, unknown as inf). They
# give the same doubles as the scalar forms above, element by element.


def factor_column(policy: Policy, days: Sequence[dt.date]) -> FloatArray:
    """:func:`efficiency_factor` of each day, ``inf`` where no double holds it."""
    import numpy as np

    factors = [efficiency_factor(policy, day) for day in days]
    return np.array([math.inf if f is None else f for f in factors], dtype=np.float64)


def scale_column(values: FloatArray, factors: FloatArray) -> FloatArray:
    """:func:`scale_by_power_of_two` over a column (factors from :func:`factor_column`); unknown stays unknown."""
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.minimum(values * factors, LARGEST)
    out: FloatArray = np.where(np.isinf(values), np.inf, np.where(values == 0.0, 0.0, scaled))
    return out


def saturating_sum_column(values: FloatArray, extra: FloatArray) -> FloatArray:
    """:func:`saturating_sum` over a column: unknown stays unknown, a known sum saturates at :data:`LARGEST`."""
    import numpy as np

    with np.errstate(over="ignore"):
        total = np.minimum(values + extra, LARGEST)
    out: FloatArray = np.where(np.isinf(values), np.inf, total)
    return out


def extract_features(
    candidate: Candidate, policy: Policy, as_of: dt.date, suites: SuiteCatalogue | None = None
) -> FeatureVector:
    """Derive every catalogue feature of ``candidate`` under ``policy`` on ``as_of``.

    ``suites`` are the evaluation suites in force (none when omitted: every evaluation result is then
    set aside as of an unknown suite). Nothing is read from disk.
    """
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
    known = not math.isinf(flop)
    values["training_flop"] = flop
    values["training_flop_total"] = (
        saturating_sum(flop, candidate.compute.fine_tuning_flop or 0.0) if known else UNKNOWN
    )

    adjustment: dict[str, float | str] | None = None
    params = policy.parameters
    if params.reference_date is not None and params.halving_months is not None:
        day = candidate.compute.training_end or as_of
        exponent = efficiency_exponent(policy, day)
        values["effective_flop"] = scale_by_power_of_two(flop, exponent) if known else UNKNOWN
        adjustment = {
            "reference_date": params.reference_date.isoformat(),
            "date": day.isoformat(),
            "date_basis": "training_end" if candidate.compute.training_end else "as_of",
            "halving_months": params.halving_months,
            "doublings": exponent,
        }
        factor = efficiency_factor(policy, day)
        if factor is not None and factor != 0.0:
            adjustment["factor"] = factor
        else:
            adjustment["factor_note"] = f"2^{exponent:.6g} is beyond the range of a double"
    else:
        values["effective_flop"] = flop

    domains = policy_domains(policy)
    release = release_features(candidate.release)
    assessed = assess_evidence(
        candidate,
        policy.evidence,
        domains,
        as_of,
        weights_public=release["release.weights_public"] == 1.0,
        suites=suites or empty_suites(),
    )
    used = {
        result.suite.digest: result.suite
        for domain in assessed.values()
        for result in domain.results
        if result.suite is not None
    }
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
    values["model.code_generator"] = 1.0 if "code" in candidate.model.modalities else 0.0
    values["model.bio_sequence"] = 1.0 if candidate.model.trained_primarily_on_biological_sequences else 0.0
    values.update(release)
    values.update(stated_facts(candidate, missing))
    suites_used = tuple(sorted(used.values(), key=lambda suite: suite.id))
    return FeatureVector(values, missing, intervals, adjustment, evidence, suites_used)


def _flag(value: bool | None) -> float:
    return UNKNOWN if value is None else float(value)


def stated_facts(candidate: Candidate, missing: dict[str, str] | None = None) -> dict[str, float]:
    """The flags a candidate states or leaves unknown (``inf``): monetisation, establishment, Code chapters.

    Each unknown flag is recorded in ``missing`` (when given) with why it is unknown.
    """
    developer = candidate.developer
    chapters = None if developer is None else developer.code_of_practice
    values = {
        "release.monetised": _flag(candidate.release.monetised),
        "developer.established_outside_eu": _flag(None if developer is None else developer.established_outside_eu),
    }
    for chapter in COP_CHAPTERS:
        values[f"developer.cop_{chapter}"] = UNKNOWN if chapters is None else float(chapter in chapters)
    if missing is not None:
        for name, value in values.items():
            if math.isinf(value):
                missing[name] = _UNSTATED["developer.cop" if name.startswith("developer.cop_") else name]
    return values


_UNSTATED = {
    "release.monetised": "the candidate does not say whether the model is monetised",
    "developer.established_outside_eu": "the candidate does not say where the provider is established",
    "developer.cop": "the candidate does not say which Code of Practice chapters the provider signed",
}

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
