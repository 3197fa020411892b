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
import functools
import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, get_args

from governance._once import once
from governance.candidate import (
    BUILTIN_DOMAINS,
    Candidate,
    CapabilityScore,
    CodeOfPracticeChapter,
    FlopInterval,
    Release,
    ReleaseForm,
)
from governance.evidence.assess import assess_evidence, choose_capability
from governance.evidence.openness import eu_foss_licence, release_openness
from governance.evidence.suites import Suite, SuiteCatalogue, empty_suites
from governance.exceptions import InputError
from governance.policy import ComputeStance, Policy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = [
    "COP_CHAPTERS",
    "DAYS_PER_MONTH",
    "ColumnInputs",
    "ComputeAdjustmentNote",
    "Feature",
    "FeatureInfo",
    "FeatureVector",
    "IntervalNote",
    "catalogue",
    "extract_features",
    "feature",
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


@dataclass(frozen=True)
class ComputeAdjustmentNote:
    """How ``effective_flop`` was derived: training compute times ``2 ** doublings``."""

    reference_date: dt.date
    date: dt.date
    date_basis: Literal["training_end", "as_of"]
    halving_months: float
    doublings: float
    """Months from the reference date to ``date``, over the halving time (finite for every date)."""
    factor: float | None
    """``2 ** doublings``; None when it is beyond the range of a double."""


@dataclass
class FeatureVector:
    """The features of one candidate under one policy at one date."""

    values: dict[str, float]
    missing: dict[str, str] = field(default_factory=dict)
    """Feature name to why it is unknown."""
    intervals: list[IntervalNote] = field(default_factory=list)
    adjustment: ComputeAdjustmentNote | None = None
    """How ``effective_flop`` was derived (dates, doublings, factor)."""
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


def scale_column(values: FloatArray, factors: FloatArray) -> FloatArray:
    """:func:`scale_by_power_of_two` over a column of factors (``inf`` where no double holds one); unknown stays
    unknown."""
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


# -- the registry: each feature's scalar and column forms, side by side ----------------------------


class ColumnInputs(Protocol):
    """The raw columns of a population (``nan`` where a value is unknown), as the column forms read them.

    :class:`~governance.compare.population.Population` implements it. The ``per_*`` methods evaluate a
    scalar function once per distinct value and spread the results over the rows, so a derivation
    written once for one candidate serves every row.
    """

    @property
    def training_flop(self) -> FloatArray: ...
    @property
    def training_flop_lower(self) -> FloatArray: ...
    @property
    def training_flop_upper(self) -> FloatArray: ...
    @property
    def fine_tuning_flop(self) -> FloatArray: ...
    @property
    def revenue_usd(self) -> FloatArray: ...
    @property
    def parameters(self) -> FloatArray: ...

    def __len__(self) -> int: ...

    def per_release(self, derive: Callable[[Release], float]) -> FloatArray:
        """``derive`` of each row's release plan (form, licence and components)."""
        ...

    def per_modalities(self, derive: Callable[[tuple[str, ...]], float]) -> FloatArray:
        """``derive`` of each row's output modalities."""
        ...

    def per_day(self, derive: Callable[[dt.date], float], as_of: dt.date) -> FloatArray:
        """``derive`` of the date each row's compute ages from (its end of training, else ``as_of``)."""
        ...

    def capability(self, domain: str) -> FloatArray | None:
        """The capability column of ``domain`` (``nan`` where unknown), or None when there is none."""
        ...


class _Scalar:
    """The inputs of one candidate under one policy on one date, each derived on first use."""

    def __init__(self, candidate: Candidate, policy: Policy, as_of: dt.date, suites: SuiteCatalogue | None) -> None:
        self.candidate = candidate
        self.policy = policy
        self.as_of = as_of
        self.suites = suites
        self.missing: dict[str, str] = {}
        self.intervals: list[IntervalNote] = []
        self.adjustment: ComputeAdjustmentNote | None = None
        self.used_suites: dict[str, Suite] = {}

    @once
    def flop(self) -> float:
        value = self.candidate.compute.training_flop
        flop, note = _resolve_flop(value, self.policy.parameters.compute_stance)
        if note is not None:
            self.intervals.append(note)
        if math.isinf(flop):
            self.missing["training_flop"] = (
                "training compute is unknown"
                if value is None
                else "training compute has no upper bound; read as above every threshold"
            )
        return flop

    @once
    def release(self) -> dict[str, float]:
        return release_features(self.candidate.release)

    @once
    def evidence(self) -> tuple[dict[str, tuple[CapabilityScore | None, str | None]], dict[str, dict[str, object]]]:
        """Per domain the capability read (and why it is unknown), and the decision's evidence records."""
        domains = policy_domains(self.policy)
        assessed = assess_evidence(
            self.candidate,
            self.policy.evidence,
            domains,
            self.as_of,
            weights_public=self.release["release.weights_public"] == 1.0,
            suites=self.suites or empty_suites(),
        )
        self.used_suites = {
            result.suite.digest: result.suite
            for domain in assessed.values()
            for result in domain.results
            if result.suite is not None
        }
        scores: dict[str, tuple[CapabilityScore | None, str | None]] = {}
        records: dict[str, dict[str, object]] = {}
        for domain in domains:
            score, record, why = choose_capability(self.candidate.capability(domain), assessed.get(domain))
            if record is not None:
                records[domain] = record
            scores[domain] = (score, why)
        return scores, records

    def capability(self, domain: str) -> float:
        # Without evaluation results the capability read is the declared one (``assess_evidence`` would
        # find nothing): only the domain asked for is looked at, and the release plan is not derived.
        if self.candidate.evaluations:
            score, why = self.evidence[0][domain]
        else:
            declared = self.candidate.capabilities.get(domain)
            if declared is not None and not isinstance(declared, CapabilityScore):
                return float(declared)  # a plain declared score (validated in [0, 1]): no interval to note
            score, why = declared, None
        name = f"capability.{domain}"
        if score is None:
            self.missing[name] = why or f"no capability evidence for {domain}"
            return UNKNOWN
        if score.upper is not None:
            self.intervals.append(IntervalNote(name, score.lower, score.score, score.upper, score.upper, "upper_bound"))
        return score.bound

    @once
    def facts(self) -> dict[str, float]:
        """The facts only a candidate states (monetisation, establishment, Code of Practice chapters)."""
        return stated_facts(self.candidate)

    def stated(self, feature: str, value: float | None, why: str) -> float:
        if value is None:
            self.missing[feature] = why
            return UNKNOWN
        return value


ScalarForm = Callable[[_Scalar], float]
ColumnForm = Callable[[ColumnInputs, Policy, dt.date], "FloatArray"]


@dataclass(frozen=True)
class Feature:
    """One feature, defined once: what it means (:class:`FeatureInfo`), and how it is derived from one
    candidate (``scalar``) and from a population's columns (``column``), giving the same doubles."""

    info: FeatureInfo
    scalar: ScalarForm
    column: ColumnForm


def _known(column: FloatArray) -> FloatArray:
    import numpy as np

    out: FloatArray = np.where(np.isnan(column), np.inf, column)
    return out


def _flop_column(inputs: ColumnInputs, policy: Policy) -> FloatArray:
    """:func:`_resolve_flop` over a population's compute columns."""
    import numpy as np

    est, low, up = inputs.training_flop, inputs.training_flop_lower, inputs.training_flop_upper
    interval = ~np.isnan(low) | ~np.isnan(up)
    conservative = _known(up)
    resolved = (
        np.where(np.isnan(est), conservative, est)
        if policy.parameters.compute_stance is ComputeStance.ESTIMATE
        else conservative
    )
    out: FloatArray = np.where(interval, resolved, _known(est))
    return out


def _total_scalar(s: _Scalar) -> float:
    flop = s.flop
    return UNKNOWN if math.isinf(flop) else saturating_sum(flop, s.candidate.compute.fine_tuning_flop or 0.0)


def _total_column(c: ColumnInputs, policy: Policy, as_of: dt.date) -> FloatArray:
    import numpy as np

    extra = np.where(np.isnan(c.fine_tuning_flop), 0.0, c.fine_tuning_flop)
    return saturating_sum_column(_flop_column(c, policy), extra)


def _ages(policy: Policy) -> bool:
    return policy.parameters.reference_date is not None and policy.parameters.halving_months is not None


def _effective_scalar(s: _Scalar) -> float:
    flop = s.flop
    if not _ages(s.policy):
        return flop
    params = s.policy.parameters
    assert params.reference_date is not None
    assert params.halving_months is not None
    day = s.candidate.compute.training_end or s.as_of
    exponent = efficiency_exponent(s.policy, day)
    s.adjustment = ComputeAdjustmentNote(
        params.reference_date,
        day,
        "training_end" if s.candidate.compute.training_end else "as_of",
        params.halving_months,
        exponent,
        efficiency_factor(s.policy, day),
    )
    return UNKNOWN if math.isinf(flop) else scale_by_power_of_two(flop, exponent)


def _effective_column(c: ColumnInputs, policy: Policy, as_of: dt.date) -> FloatArray:
    flop = _flop_column(c, policy)
    if not _ages(policy):
        return flop

    def factor(day: dt.date) -> float:
        value = efficiency_factor(policy, day)
        return math.inf if value is None else value

    return scale_column(flop, c.per_day(factor, as_of))


def _generative(modalities: tuple[str, ...]) -> float:
    return 1.0 if set(modalities) & _GENERATIVE or not modalities else 0.0


def _release_flag(name: str) -> Feature:
    return Feature(
        _FIXED[name],
        lambda s: s.release[name],
        lambda c, policy, as_of: c.per_release(lambda release: release_features(release)[name]),
    )


def _openness(release: Release) -> float:
    return float(release.form.openness)


def _stated_fact(name: str) -> Feature:
    """A fact only a candidate states (no population column holds it): unknown in every row."""

    def scalar(s: _Scalar) -> float:
        value = s.facts[name]
        if math.isinf(value):
            s.missing[name] = _UNSTATED["developer.cop" if name.startswith("developer.cop_") else name]
        return value

    def column(c: ColumnInputs, policy: Policy, as_of: dt.date) -> FloatArray:
        import numpy as np

        return np.full(len(c), np.inf)

    return Feature(_FIXED[name], scalar, column)


_GENERATIVE = frozenset({"text", "audio", "image", "video"})
_STATED_FACTS = ("release.monetised", "developer.established_outside_eu", *(f"developer.cop_{c}" for c in COP_CHAPTERS))
_REGISTRY: dict[str, Feature] = {
    feature.info.name: feature
    for feature in (
        Feature(_FIXED["training_flop"], lambda s: s.flop, lambda c, policy, as_of: _flop_column(c, policy)),
        Feature(_FIXED["training_flop_total"], _total_scalar, _total_column),
        Feature(_FIXED["effective_flop"], _effective_scalar, _effective_column),
        Feature(
            _FIXED["release.openness"],
            lambda s: _openness(s.candidate.release),
            lambda c, policy, as_of: c.per_release(_openness),
        ),
        Feature(
            _FIXED["developer.revenue_usd"],
            lambda s: s.stated(
                "developer.revenue_usd",
                s.candidate.developer.annual_revenue_usd if s.candidate.developer else None,
                "developer revenue is not stated",
            ),
            lambda c, policy, as_of: _known(c.revenue_usd),
        ),
        Feature(
            _FIXED["model.parameters"],
            lambda s: s.stated("model.parameters", s.candidate.model.parameters, "parameter count is not stated"),
            lambda c, policy, as_of: _known(c.parameters),
        ),
        Feature(
            _FIXED["model.generative"],
            lambda s: _generative(s.candidate.model.modalities),
            lambda c, policy, as_of: c.per_modalities(_generative),
        ),
        Feature(
            _FIXED["model.code_generator"],
            lambda s: 1.0 if "code" in s.candidate.model.modalities else 0.0,
            lambda c, policy, as_of: c.per_modalities(lambda modalities: 1.0 if "code" in modalities else 0.0),
        ),
        *(_stated_fact(name) for name in _STATED_FACTS),
        Feature(
            _FIXED["model.bio_sequence"],
            lambda s: 1.0 if s.candidate.model.trained_primarily_on_biological_sequences else 0.0,
            lambda c, policy, as_of: _zeros(len(c)),
        ),
        *(
            _release_flag(name)
            for name in (
                "release.weights_public",
                "release.foss_licence",
                "release.architecture_public",
                "release.usage_info_public",
                "release.mof_class",
                "release.osaid",
            )
        ),
    )
}


def _zeros(n: int) -> FloatArray:
    import numpy as np

    return np.zeros(n, dtype=np.float64)


def _domain_feature(name: str, domains: tuple[str, ...]) -> Feature | None:
    info = feature_info(name, domains)
    if info is None:
        return None
    domain = name.partition(".")[2]
    if info.kind == "capability":

        def capability_column(c: ColumnInputs, policy: Policy, as_of: dt.date) -> FloatArray:
            import numpy as np

            column = c.capability(domain)
            return np.full(len(c), np.inf) if column is None else _known(column)

        return Feature(info, lambda s: s.capability(domain), capability_column)

    def gap_scalar(s: _Scalar) -> float:
        return 1.0 if s.evidence[0][domain][0] is None else 0.0

    def gap_column(c: ColumnInputs, policy: Policy, as_of: dt.date) -> FloatArray:
        import numpy as np

        column = c.capability(domain)
        return np.ones(len(c)) if column is None else np.isnan(column).astype(np.float64)

    return Feature(info, gap_scalar, gap_column)


@functools.lru_cache(maxsize=4096)
def feature(name: str, domains: tuple[str, ...] = BUILTIN_DOMAINS) -> Feature | None:
    """The registry entry of feature ``name`` (its meaning and both derivations), or None.

    Entries are made once per name and domains (a decision asks for the same few every time).
    """
    return _REGISTRY.get(name) or _domain_feature(name, domains)


def catalogue(domains: tuple[str, ...]) -> tuple[str, ...]:
    """Every feature name for these risk domains."""
    names = list(_REGISTRY)
    for domain in domains:
        names += [f"capability.{domain}", f"evidence_gap.{domain}"]
    return tuple(names)


def extract_features(
    candidate: Candidate,
    policy: Policy,
    as_of: dt.date,
    suites: SuiteCatalogue | None = None,
    names: Iterable[str] | None = None,
) -> FeatureVector:
    """Derive the features ``names`` (default: the whole catalogue) of ``candidate`` under ``policy`` on ``as_of``.

    ``suites`` are the evaluation suites in force (none when omitted: every evaluation result is then
    set aside as of an unknown suite). Nothing is read from disk. The decision's evidence records are
    derived whenever the candidate has evaluation results, whichever features are asked for.

    Raises:
        InputError: when a name is not in the catalogue for the policy's domains.
    """
    domains = policy_domains(policy)
    inputs = _Scalar(candidate, policy, as_of, suites)
    values: dict[str, float] = {}
    for name in catalogue(domains) if names is None else names:
        entry = feature(name, domains)
        if entry is None:
            raise InputError(f"feature {name!r} is not in the catalogue for {policy.ref}")
        values[name] = entry.scalar(inputs)
    records: dict[str, dict[str, object]] = {}
    suites_used: tuple[Suite, ...] = ()
    if candidate.evaluations:
        records = inputs.evidence[1]
        suites_used = tuple(sorted(inputs.used_suites.values(), key=lambda suite: suite.id))
    return FeatureVector(values, inputs.missing, inputs.intervals, inputs.adjustment, records, suites_used)


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
