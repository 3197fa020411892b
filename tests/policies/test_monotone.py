"""Every shipped policy is monotone over its feature space: more risk never gives a more open tier.

Feature vectors are drawn directly (not through candidates), edge-heavy: every threshold a policy
compares a feature with is drawn exactly and one double either side, besides random values and
``inf`` (unknown). The tier is the compiled policy's tier (the scalar evaluator's fired and
not-ruled-out rules) raised to the missing-evidence floor when a required domain has no evidence, as the engine does.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from governance import Policy, compile_policy, discover_policies
from governance.compiled import CompiledPolicy
from governance.features import feature_info
from governance.tiers import Tier

POLICIES = [entry.policy for entry in discover_policies()]


def _ids(policy: Policy) -> str:
    return policy.ref


def _features(compiled: CompiledPolicy) -> list[str]:
    """Every feature the rules read, plus capability and evidence gap of each required domain."""
    names = list(compiled.features)
    for domain in compiled.policy.evidence.required_domains:
        names += [f"capability.{domain}", f"evidence_gap.{domain}"]
    for name in list(names):
        if name.startswith("capability."):
            names.append("evidence_gap." + name.partition(".")[2])
    return sorted(set(names))


_STRATEGIES: dict[tuple[str, str], st.SearchStrategy[float]] = {}


def _values_for(feature: str, compiled: CompiledPolicy) -> st.SearchStrategy[float]:
    """The values drawn for one feature of one policy (built once: building is most of a draw's cost)."""
    key = (compiled.policy.digest, feature)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = _build_values_for(feature, compiled)
    return _STRATEGIES[key]


def _build_values_for(feature: str, compiled: CompiledPolicy) -> st.SearchStrategy[float]:
    info = feature_info(feature, compiled.domains)
    assert info is not None, feature
    near = sorted(
        {
            point
            for t in compiled.thresholds.get(feature, ())
            for point in (math.nextafter(t, -math.inf), t, math.nextafter(t, math.inf))
            if info.low <= point <= info.high
        }
    )
    if info.kind == "flag" or info.kind == "evidence":
        return st.sampled_from([0.0, 1.0])
    if feature == "release.openness":
        return st.sampled_from([0.0, 1.0, 2.0, 3.0, 4.0])
    if info.kind == "capability":
        spread = st.floats(min_value=0.0, max_value=1.0)
    else:
        spread = st.floats(min_value=15.0, max_value=30.0).map(lambda e: 10.0**e)
    options: list[st.SearchStrategy[float]] = [spread]
    if near:
        options.append(st.sampled_from(near))
    if math.isinf(info.high) or info.kind == "capability":
        options.append(st.just(math.inf))  # unknown
    return st.one_of(*options)


def _couple(values: dict[str, float]) -> dict[str, float]:
    """Keep each capability and its evidence gap consistent: unknown capability means a gap of 1."""
    out = dict(values)
    for name, value in values.items():
        if name.startswith("capability."):
            out["evidence_gap." + name.partition(".")[2]] = 1.0 if math.isinf(value) else 0.0
    return out


def _tier(compiled: CompiledPolicy, values: dict[str, float]) -> Tier:
    tier = compiled.tier_of(compiled.evaluate_scalar(values).raising)
    policy = compiled.policy
    if any(math.isinf(values.get(f"capability.{d}", 0.0)) for d in policy.evidence.required_domains):
        tier = max(tier, policy.evidence.if_missing_tier)
    return tier


@st.composite
def _raise(draw: st.DrawFn, compiled: CompiledPolicy) -> tuple[dict[str, float], dict[str, float], str]:
    names = _features(compiled)
    values = _couple({name: draw(_values_for(name, compiled)) for name in names})
    risky = [n for n in names if (info := feature_info(n, compiled.domains)) is not None and info.risk]
    if not risky:
        return values, values, ""
    feature = draw(st.sampled_from(risky))
    current = values[feature]
    higher = draw(_values_for(feature, compiled).filter(lambda v: v >= current))
    raised = dict(values)
    raised[feature] = higher
    if feature.startswith("evidence_gap.") and higher == 1.0:
        raised["capability." + feature.partition(".")[2]] = math.inf  # evidence removed
    return values, _couple(raised) if feature.startswith("capability.") else raised, feature


@pytest.mark.parametrize("policy", POLICIES, ids=_ids)
class TestMonotone:
    """Raising any risk feature never lowers the tier."""

    @settings(max_examples=200)
    @given(data=st.data())
    def test_raising_a_risk_feature(self, policy: Policy, data: Any) -> None:
        """Compute, capability (up to unknown), openness or an evidence gap raised: the tier does not fall."""
        compiled = compile_policy(policy)
        before, after, feature = data.draw(_raise(compiled))
        assert _tier(compiled, after) >= _tier(compiled, before), feature

    def test_every_tier_raising_atom_is_a_lower_bound(self, policy: Policy) -> None:
        """Monotone by construction: rules above open only test lower bounds (no exception declared)."""
        assert policy.monotonicity_exception is None
        for rule in policy.rules:
            if rule.tier is not Tier.OPEN:
                assert all(atom.is_lower_bound for atom in rule.when.atoms()), rule.id

    def test_unknown_everything_is_the_most_restrictive(self, policy: Policy) -> None:
        """With every input unknown (and flags set), the tier is the highest the policy can give."""
        compiled = compile_policy(policy)
        values = {}
        for name in _features(compiled):
            info = feature_info(name, compiled.domains)
            assert info is not None
            values[name] = math.inf if math.isinf(info.high) or info.kind == "capability" else info.high
        highest = max((rule.tier for rule in policy.rules), default=Tier.OPEN)
        if policy.evidence.required_domains:
            highest = max(highest, policy.evidence.if_missing_tier)
        assert _tier(compiled, values) == highest


class TestThePropertyBites:
    """The property finds a violation when a policy is not monotone."""

    def test_finds_an_upper_bound_that_raises_the_tier(self) -> None:
        """A rule staging only small models is caught: raising compute past 1e25 lowers the tier."""
        policy = Policy.model_validate(
            {
                "id": "not-monotone",
                "version": "1",
                "title": "Deliberately not monotone",
                "kind": "illustrative",
                "jurisdiction": "none",
                "effective": {"from": "2020-01-01"},
                "sources": [{"id": "s", "title": "test", "section": "1"}],
                "plan": [{"id": "api", "access": "api", "gate": "g"}],
                "monotonicity_exception": "deliberately broken for this test",
                "rules": [
                    {
                        "id": "small-is-staged",
                        "tier": "staged",
                        "when": {"all": [{"feature": "training_flop", "op": "<", "value": 1e25}]},
                        "rationale": "r",
                        "source": "s",
                    }
                ],
            }
        )
        compiled = compile_policy(policy)
        before, after, _ = find(_raise(compiled), lambda t: _tier(compiled, t[1]) < _tier(compiled, t[0]))
        assert before["training_flop"] < 1e25 <= after["training_flop"]
