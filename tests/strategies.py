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
