"""The invariants of design.md, as Hypothesis properties over every shipped policy.

1. Monotone: raising any risk input never lowers the tier; removing evidence never lowers it.
3. Exact thresholds: a value at a threshold falls on the declared side, the next float below does not.
4. Deterministic: the same inputs give identical bytes.
5. Two evaluators agree: durable_rules, plain Python and the vectorised path give the same tier and
   the same fired rules.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance import (
    BUILTIN_DOMAINS,
    Candidate,
    Decision,
    Policy,
    compile_policy,
    decide,
    discover_policies,
    extract_features,
)
from governance.candidate import ReleaseForm
from governance.compiled import CompiledPolicy, Evaluation
from governance.vectorised import VectorisedPolicy
from tests.helpers import make_policy
from tests.strategies import candidate_documents

AS_OF = dt.date(2026, 11, 28)
POLICIES = [entry.policy for entry in discover_policies()]
FORMS = [form.value for form in ReleaseForm]


def _ids(policy: Policy) -> str:
    return policy.ref


def _copy(document: dict[str, Any]) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in document.items()}


def _flop_upper(value: Any) -> float:
    if value is None:
        return math.inf
    if isinstance(value, dict):
        return value.get("upper", math.inf)
    return float(value)


def _ranks(document: dict[str, Any], as_of: dt.date = AS_OF) -> dict[str, int]:
    """The tier rank of one candidate under every shipped policy, by policy reference."""
    candidate = Candidate.model_validate(document)
    return {policy.ref: decide(candidate, policy, as_of=as_of).tier.rank for policy in POLICIES}


def _lowered(before: dict[str, int], after: dict[str, int]) -> list[str]:
    """The policies under which the tier fell from ``before`` to ``after``."""
    return [ref for ref, rank in before.items() if after[ref] < rank]


class TestMonotone:
    """More risk never gives a more open tier, under every shipped policy.

    Each drawn candidate is decided under every policy (drawing is most of the cost), so every
    policy is checked on as many candidates as the Hypothesis profile gives a test.
    """

    @given(document=candidate_documents(), factor=st.floats(min_value=1.0, max_value=1e3))
    def test_more_compute(self, document: dict[str, Any], factor: float) -> None:
        """Multiplying training compute never lowers the tier."""
        flop = document["compute"]["training_flop"]
        if flop is None or isinstance(flop, dict):
            return
        raised = _copy(document)
        raised["compute"] = {**document["compute"], "training_flop": flop * factor}
        assert _lowered(_ranks(document), _ranks(raised)) == []

    @given(document=candidate_documents())
    def test_unknown_compute(self, document: dict[str, Any]) -> None:
        """Replacing compute by unknown never lowers the tier."""
        raised = _copy(document)
        raised["compute"] = {**document["compute"], "training_flop": None}
        assert _lowered(_ranks(document), _ranks(raised)) == []

    @given(document=candidate_documents(), domain=st.sampled_from(BUILTIN_DOMAINS), bump=st.floats(0.0, 1.0))
    def test_more_capability(self, document: dict[str, Any], domain: str, bump: float) -> None:
        """Raising one domain's score (or its upper bound) never lowers the tier."""
        current = document["capabilities"].get(domain)
        if current is None:
            return
        base = current["upper"] if isinstance(current, dict) else current
        raised = _copy(document)
        raised["capabilities"] = {**document["capabilities"], domain: min(1.0, base + bump)}
        if isinstance(current, dict):
            raised["capabilities"][domain] = {**current, "upper": min(1.0, base + bump)}
        assert _lowered(_ranks(document), _ranks(raised)) == []

    @given(document=candidate_documents(), domain=st.sampled_from(BUILTIN_DOMAINS))
    def test_removing_evidence(self, document: dict[str, Any], domain: str) -> None:
        """Removing a domain's evidence never lowers the tier."""
        if domain not in document["capabilities"]:
            return
        reduced = _copy(document)
        reduced["capabilities"] = {k: v for k, v in document["capabilities"].items() if k != domain}
        assert _lowered(_ranks(document), _ranks(reduced)) == []

    @given(document=candidate_documents(), steps=st.integers(1, 4))
    def test_more_open_release(self, document: dict[str, Any], steps: int) -> None:
        """Asking for a more open release never gives a more open tier."""
        index = FORMS.index(document["release"]["form"])
        raised = _copy(document)
        raised["release"] = {**document["release"], "form": FORMS[min(len(FORMS) - 1, index + steps)]}
        assert _lowered(_ranks(document), _ranks(raised)) == []

    @given(document=candidate_documents(), days=st.integers(1, 3000))
    def test_later_date(self, document: dict[str, Any], days: int) -> None:
        """Deciding later never lowers the tier of an efficiency-adjusted threshold (same policy version)."""
        document = _copy(document)
        document["compute"] = {k: v for k, v in document["compute"].items() if k != "training_end"}
        later = AS_OF + dt.timedelta(days=days)
        assert _lowered(_ranks(document, AS_OF), _ranks(document, later)) == []


@pytest.mark.parametrize("policy", POLICIES, ids=_ids)
class TestExactThresholds:
    """Every threshold is compared exactly: at it on the declared side, one float below not."""

    def test_every_lower_bound_atom(self, policy: Policy) -> None:
        """Each atom, compiled alone into durable_rules, holds at its threshold and not one float short."""
        for rule in policy.rules:
            for atom in rule.when.atoms():
                if not atom.is_lower_bound:
                    continue
                threshold = policy.threshold(atom)
                single = make_policy(
                    [
                        {
                            "id": "atom",
                            "tier": "staged",
                            "when": {"all": [{"feature": atom.feature, "op": atom.op, "value": threshold}]},
                        }
                    ],
                    id=f"atom-{abs(hash((atom.feature, atom.op, threshold)))}",
                )
                compiled = compile_policy(single)
                first_in = threshold if atom.op == ">=" else math.nextafter(threshold, math.inf)
                last_out = math.nextafter(first_in, -math.inf)
                assert compiled.evaluate_durable({atom.feature: first_in}).fired == (0,), (rule.id, atom)
                assert compiled.evaluate_durable({atom.feature: last_out}) == Evaluation((), ()), (rule.id, atom)


def _neutral() -> dict[str, Any]:
    return {
        "model": {"name": "N", "developer": "L"},
        "compute": {"training_flop": 1e18},
        "capabilities": dict.fromkeys(BUILTIN_DOMAINS, 0.0),
        "release": {"form": "closed"},
        "developer": {"name": "L", "annual_revenue_usd": 0.0},
    }


@functools.cache
def _paths(ref: str) -> tuple[Policy, CompiledPolicy, VectorisedPolicy]:
    """A shipped policy, compiled, and its vectorised form (built once per run)."""
    policy = next(p for p in POLICIES if p.ref == ref)
    compiled = compile_policy(policy)
    return policy, compiled, VectorisedPolicy(compiled)


class TestEvaluatorsAgree:
    """durable_rules, the scalar evaluator and numpy give the same fired and not-ruled-out rules and tier.

    Each drawn batch of candidates goes through every shipped policy (see :class:`TestMonotone`).
    """

    @given(documents=st.lists(candidate_documents(), min_size=1, max_size=8))
    def test_three_paths(self, documents: list[dict[str, Any]]) -> None:
        """Fired and not-ruled-out rules and tiers agree candidate by candidate, and with decide's document."""
        candidates = [Candidate.model_validate(d) for d in documents]
        for ref in (policy.ref for policy in POLICIES):
            policy, compiled, vectorised = _paths(ref)
            rows = [extract_features(c, policy, AS_OF).values for c in candidates]
            arrays = {name: np.asarray([row[name] for row in rows], dtype=np.float64) for name in vectorised.features}
            result = vectorised.evaluate(arrays)
            for index, (candidate, values) in enumerate(zip(candidates, rows, strict=True)):
                durable = compiled.evaluate_durable(values)
                assert durable == compiled.evaluate_scalar(values), ref
                assert [policy.rules[i].id for i in durable.fired] == result.fired_rules(index), ref
                assert [policy.rules[i].id for i in durable.not_ruled_out] == result.not_ruled_out_rules(index), ref
                decision = decide(candidate, policy, as_of=AS_OF)
                assert decision.tier is result.tier(index), ref
                assert sorted(r.rule for r in decision.reasons) == sorted(result.fired_rules(index)), ref
                not_ruled_out = sorted(r.rule for r in decision.not_ruled_out or [])
                assert not_ruled_out == sorted(result.not_ruled_out_rules(index)), ref

    @given(document=candidate_documents())
    def test_documents_identical(self, document: dict[str, Any]) -> None:
        """Both single-candidate evaluators produce byte-identical decision documents, twice over."""
        candidate = Candidate.model_validate(document)
        for policy in POLICIES:
            durable = decide(candidate, policy, as_of=AS_OF)
            python = decide(candidate, policy, as_of=AS_OF, evaluator="python")
            again = decide(Candidate.model_validate(document), policy, as_of=AS_OF)
            assert durable.canonical_json() == python.canonical_json() == again.canonical_json(), policy.ref
            # decide does not validate its own document again: it must be one the model accepts as it is
            assert Decision.from_document(durable.document()) == durable
