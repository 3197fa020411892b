"""Hypothesis strategies for candidates, feature values and JSON documents.

Values are drawn edge-heavy: besides random magnitudes, every threshold a shipped policy uses is
drawn exactly, and one float below and above it, because that is where a wrong comparison hides.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from governance import BUILTIN_DOMAINS, Candidate, discover_policies
from governance.candidate import ReleaseForm

FORMS = [form.value for form in ReleaseForm]


_NAME_CHARACTERS = st.characters(
    exclude_categories=("Cc", "Cs"),
    exclude_characters="\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029",
)
"""What a name may hold: no control, bidirectional-override or line-separator characters."""


def _policy_thresholds(prefix: str) -> list[float]:
    values: set[float] = set()
    for entry in discover_policies():
        policy = entry.policy
        for rule in policy.rules:
            for atom in rule.when.atoms():
                if atom.feature.startswith(prefix):
                    values.add(policy.threshold(atom))
    return sorted(values)


COMPUTE_THRESHOLDS = _policy_thresholds("training_flop") + _policy_thresholds("effective_flop")
SCORE_THRESHOLDS = [t for t in _policy_thresholds("capability.") if 0.0 <= t <= 1.0]


def _around(values: list[float]) -> st.SearchStrategy[float]:
    points = sorted({p for v in values for p in (math.nextafter(v, -math.inf), v, math.nextafter(v, math.inf))})
    return st.sampled_from(points) if points else st.nothing()


def flops() -> st.SearchStrategy[float]:
    """Positive training FLOP: log-uniform from 1e18 to 1e28, or exactly at / next to a threshold."""
    log_uniform = st.floats(min_value=18.0, max_value=28.0).map(lambda e: 10.0**e)
    return st.one_of(log_uniform, _around(COMPUTE_THRESHOLDS).filter(lambda x: x > 0))


def scores() -> st.SearchStrategy[float]:
    """A capability score in [0, 1], often exactly at or next to a policy threshold."""
    return st.one_of(st.floats(min_value=0.0, max_value=1.0), _around(SCORE_THRESHOLDS).filter(lambda x: 0 <= x <= 1))


@st.composite
def candidate_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid candidate document (a dict, as read from a file)."""
    compute: dict[str, Any] = {"training_flop": draw(st.one_of(st.none(), flops(), _intervals()))}
    if draw(st.booleans()):
        compute["fine_tuning_flop"] = draw(st.one_of(st.just(0.0), flops()))
    if draw(st.booleans()):
        compute["training_end"] = draw(st.dates(min_value=_date(2022), max_value=_date(2027)))
    domains = draw(st.lists(st.sampled_from(BUILTIN_DOMAINS), unique=True))
    capabilities: dict[str, Any] = {}
    for domain in domains:
        score = draw(scores())
        if draw(st.integers(0, 3)) == 0:
            upper = draw(st.floats(min_value=score, max_value=1.0))
            capabilities[domain] = {"score": score, "upper": upper}
        else:
            capabilities[domain] = score
    document: dict[str, Any] = {
        "model": {
            "name": draw(st.text(_NAME_CHARACTERS, min_size=1, max_size=12).filter(str.strip)),
            "developer": "Lab",
        },
        "compute": compute,
        "capabilities": capabilities,
        "release": {
            "form": draw(st.sampled_from(FORMS)),
            "license": draw(st.sampled_from([None, "Apache-2.0", "MIT", "LicenseRef-Proprietary"])),
            "components": draw(
                st.lists(st.sampled_from(["weights", "architecture", "model_card", "code"]), unique=True)
            ),
        },
    }
    if draw(st.booleans()):
        document["developer"] = {"name": "Lab", "annual_revenue_usd": draw(st.floats(min_value=0, max_value=1e11))}
    return document


def _date(year: int) -> Any:
    import datetime as dt

    return dt.date(year, 1, 1)


@st.composite
def _intervals(draw: st.DrawFn) -> dict[str, float]:
    points = sorted(draw(st.lists(flops(), min_size=1, max_size=3)))
    keys = draw(
        st.sampled_from([("estimate",), ("lower",), ("upper",), ("lower", "upper"), ("lower", "estimate", "upper")])
    )
    chosen = points[: len(keys)] if len(points) >= len(keys) else points + [points[-1]] * (len(keys) - len(points))
    return dict(zip(keys, sorted(chosen), strict=True))


def candidates() -> st.SearchStrategy[Candidate]:
    """Valid candidates."""
    return candidate_documents().map(Candidate.model_validate)


_TRICKY_NUMBERS = st.sampled_from([1e-5, 1e-7, 1e16, 1e17, 1e20, 1e21, 1e25, 100.0, 0.0, -0.0, 5e-324, 2**60, -(2**55)])
_TRICKY_TEXT = st.sampled_from(["1.0,", "a:1e-05]", '"x":100.0}', ":12345678901234567,", "v1.0", '\\"', "e-1", "e+17]"])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TRICKY_NUMBERS
    | st.text()
    | _TRICKY_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6) | _TRICKY_TEXT, children, max_size=4)
    ),
    max_leaves=20,
)
"""Arbitrary JSON values, weighted towards numbers Python and ECMAScript write differently and
strings that look like such numbers."""


# -- the whole schema ---------------------------------------------------------------------------------
# The strategies above stay near the thresholds; these reach every edge the candidate schema admits:
# FLOP from the smallest positive double to the largest, intervals with one unknown end, candidate
# dates across the schema's window and decision dates from year 1 to 9999, every release form and
# elicitation, evaluation results of real and unknown suites.

_EXTREME_FLOP = [5e-324, 2.2250738585072014e-308, 1e-300, 1.0, 1e300, 1.7976931348623157e308]


def any_flops() -> st.SearchStrategy[float]:
    """Any positive finite FLOP the schema accepts, weighted towards the extremes and the thresholds."""
    return st.one_of(
        flops(),
        st.sampled_from(_EXTREME_FLOP),
        st.floats(min_value=5e-324, max_value=1.7976931348623157e308, allow_nan=False, allow_infinity=False),
    )


def any_dates() -> st.SearchStrategy[Any]:
    """Any date from year 1 to 9999 (a decision date may be any), often one of its ends."""
    import datetime as dt

    return st.one_of(st.dates(), st.sampled_from([dt.date.min, dt.date.max, dt.date(1970, 1, 1)]))


def candidate_dates() -> st.SearchStrategy[Any]:
    """Any date a candidate may carry (the schema's window), often one of its ends."""
    from governance.candidate import EARLIEST_DATE, LATEST_DATE

    return st.one_of(
        st.dates(min_value=EARLIEST_DATE, max_value=LATEST_DATE), st.sampled_from([EARLIEST_DATE, LATEST_DATE])
    )


@st.composite
def _any_intervals(draw: st.DrawFn) -> dict[str, float]:
    points = sorted(draw(st.lists(any_flops(), min_size=1, max_size=3)))
    keys = draw(
        st.sampled_from(
            [
                ("estimate",),
                ("lower",),
                ("upper",),
                ("lower", "estimate"),
                ("estimate", "upper"),
                ("lower", "upper"),
                ("lower", "estimate", "upper"),
            ]
        )
    )
    chosen = (points * 3)[: len(keys)]
    return dict(zip(keys, sorted(chosen), strict=True))


@st.composite
def _evaluation(draw: st.DrawFn) -> dict[str, Any]:
    from governance.candidate import Elicitation

    benchmark, domain = draw(
        st.sampled_from(
            [
                ("wmdp-bio", "bio"),
                ("wmdp-chem", "chem"),
                ("wmdp-cyber", "cyber"),
                ("cybench", "cyber"),
                ("re-bench", "ai_rnd"),
                ("no-such-suite", "bio"),
                ("wmdp-bio", "cyber"),
            ]
        )
    )
    result: dict[str, Any] = {
        "benchmark": benchmark,
        "domain": domain,
        "score": draw(st.one_of(st.floats(0.0, 1.0), st.floats(-1e300, 1e300))),
        "elicitation": draw(st.sampled_from([e.value for e in Elicitation])),
    }
    if draw(st.booleans()):
        result["stderr"] = draw(st.one_of(st.floats(0.0, 0.5), st.floats(0.0, 1e300)))
    if draw(st.booleans()):
        result["samples"] = draw(st.integers(1, 2**53 - 1))
    if draw(st.booleans()):
        result["date"] = draw(candidate_dates())
    if draw(st.booleans()):
        result["status"] = "partial"
    return result


@st.composite
def any_candidate_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid candidate document from anywhere in the schema."""
    compute: dict[str, Any] = {"training_flop": draw(st.one_of(st.none(), any_flops(), _any_intervals()))}
    if draw(st.booleans()):
        compute["fine_tuning_flop"] = draw(st.one_of(st.just(0.0), any_flops()))
    if draw(st.booleans()):
        compute["training_end"] = draw(candidate_dates())
    capabilities: dict[str, Any] = {}
    for domain in draw(st.lists(st.sampled_from(BUILTIN_DOMAINS), unique=True)):
        score = draw(scores())
        capabilities[domain] = {"score": score, "upper": draw(st.floats(score, 1.0))} if draw(st.booleans()) else score
    model: dict[str, Any] = {"name": "M", "developer": "Lab"}
    if draw(st.booleans()):
        model["parameters"] = draw(any_flops())
    if draw(st.booleans()):
        modalities = ["text", "audio", "image", "video", "code", "biological_sequence", "other"]
        model["modalities"] = draw(st.lists(st.sampled_from(modalities), unique=True))
    document: dict[str, Any] = {
        "model": model,
        "compute": compute,
        "capabilities": capabilities,
        "evaluations": draw(st.lists(_evaluation(), max_size=3)),
        "release": {
            "form": draw(st.sampled_from(FORMS)),
            "license": draw(st.sampled_from([None, "Apache-2.0", "MIT", "CC-BY-4.0", "LicenseRef-Proprietary"])),
            "components": draw(
                st.lists(st.sampled_from(["weights", "architecture", "model_card", "code", "datasets"]), unique=True)
            ),
            "jurisdictions": draw(st.lists(st.sampled_from(["EU", "US", "US-CA", "US-NY"]), unique=True)),
        },
    }
    if draw(st.booleans()):
        revenue = draw(st.one_of(st.none(), st.floats(0, 1.7976931348623157e308)))
        document["developer"] = {"name": "Lab", "annual_revenue_usd": revenue}
    return document


def any_candidates() -> st.SearchStrategy[Candidate]:
    """Valid candidates from anywhere in the schema."""
    return any_candidate_documents().map(Candidate.model_validate)
