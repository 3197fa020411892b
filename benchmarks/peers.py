"""The 3-rule benchmark policy written by hand for each peer engine.

``benchmarks/policies/bench-3rule/1.0/policy.yaml`` says: training compute ``>= 1e25`` FLOP stages
a release, ``>= 1e26`` restricts it, and a bio capability score ``>= 0.8`` restricts it; an unknown
input is above every threshold (fail closed). Each class here evaluates exactly that, from a
validated :class:`governance.Candidate` to an :data:`Outcome` (the tier and the ids of the rules
that fired), so that every engine can be checked against the decision of ours.

Numbers are encoded so that each engine compares exactly what the doubles compare
(``docs/performance.md`` explains why each choice is exact; the benchmark's disagreement count is
the proof):

* compute as the IEEE-754 bit pattern of the double, which orders non-negative doubles as integers
  do (``inf`` included, so unknown compute needs no flag): one ``i64`` for Cedar (its ``Long``),
  split into high and low 32-bit halves for Rego and durable_rules (exact below 2**53 whatever
  their number types do inside), compared lexicographically;
* the bio score as ``floor(x * 10**4)`` computed exactly from ``x.as_integer_ratio()``, which equals
  ``x >= 0.8`` for a threshold on the 1e-4 grid; unknown is :data:`UNKNOWN_E4`, above every score.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import struct
from collections.abc import Callable, Sequence
from typing import Any

import cedarpy
import durable.engine
import numpy as np
import numpy.typing as npt
import regopy
from durable.lang import m, ruleset, when_all

from governance import Candidate, CapabilityScore, Policy

__all__ = [
    "BENCH_RULES",
    "UNKNOWN_E4",
    "CedarPeer",
    "DurableAssertPeer",
    "DurablePostPeer",
    "Outcome",
    "RegoPeer",
    "check_bench_policy",
    "double_bits",
    "e4_floor",
    "numpy_tiers",
    "plain_python",
]

Outcome = tuple[str, tuple[str, ...] | None]
"""``(tier, fired rule ids sorted)``; ``None`` for an engine that reports the tier only."""

BENCH_RULES: tuple[tuple[str, str, float, str], ...] = (
    ("compute-staged", "training_flop", 1.0e25, "staged"),
    ("compute-restricted", "training_flop", 1.0e26, "restricted"),
    ("bio-critical", "capability.bio", 0.8, "restricted"),
)
"""``(rule id, feature, >= threshold, tier)`` as the peers encode them; checked against the bundle."""

FLOP_STAGED, FLOP_RESTRICTED, BIO_CRITICAL = 1.0e25, 1.0e26, 0.8
UNKNOWN_E4 = 10**6
"""The e4 code of an unknown score: above ``floor(1.0 * 10**4)``, so above every threshold."""

_names = itertools.count(1)


def check_bench_policy(policy: Policy) -> None:
    """Refuse a bundle whose rules differ from what the peers encode (they would disagree by design)."""
    found = []
    for rule in policy.rules:
        atoms = list(rule.when.atoms())
        if len(atoms) != 1 or atoms[0].op != ">=":
            raise ValueError(f"{policy.ref}: rule {rule.id!r} is not one '>=' atom; the peers encode only that")
        found.append((rule.id, atoms[0].feature, policy.threshold(atoms[0]), rule.tier.value))
    if tuple(found) != BENCH_RULES or policy.evidence.required_domains:
        raise ValueError(
            f"{policy.ref} no longer matches the peer encodings in benchmarks/peers.py: "
            f"expected rules {BENCH_RULES} and no required evidence, found {tuple(found)}"
        )


def double_bits(value: float) -> int:
    """The IEEE-754 bit pattern of a non-negative double as an integer (same order as the doubles)."""
    bits: int = struct.unpack("<q", struct.pack("<d", value))[0]
    return bits


def e4_floor(value: float) -> int:
    """``floor(value * 10**4)`` computed exactly; :data:`UNKNOWN_E4` for ``inf``."""
    if math.isinf(value):
        return UNKNOWN_E4
    numerator, denominator = value.as_integer_ratio()
    return (numerator * 10_000) // denominator


def _inputs(candidate: Candidate) -> tuple[float, float]:
    """The raw compute and bio score of a candidate, ``inf`` when unknown."""
    flop = candidate.compute.training_flop
    if flop is None:
        flop_value = math.inf
    elif isinstance(flop, int | float):
        flop_value = float(flop)
    else:  # an interval: read conservatively, as the policy's default stance does
        flop_value = flop.upper if flop.upper is not None else math.inf
    bio = candidate.capabilities.get("bio")
    if bio is None:
        return flop_value, math.inf
    return flop_value, bio.bound if isinstance(bio, CapabilityScore) else float(bio)


def _tier(staged: bool, restricted: bool) -> str:
    return "restricted" if restricted else "staged" if staged else "open"


def _outcome(fired: Sequence[str]) -> Outcome:
    names = tuple(sorted(fired))
    restricted = "compute-restricted" in names or "bio-critical" in names
    return _tier("compute-staged" in names, restricted), names


def plain_python(candidate: Candidate) -> Outcome:
    """The policy as a hand-written Python function on the raw doubles."""
    flop, bio = _inputs(candidate)
    fired = []
    if bio >= BIO_CRITICAL:
        fired.append("bio-critical")
    if flop >= FLOP_RESTRICTED:
        fired.append("compute-restricted")
    if flop >= FLOP_STAGED:
        fired.append("compute-staged")
    return _outcome(fired)


def numpy_tiers(flop: npt.NDArray[np.float64], bio: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
    """The policy as a hand-written numpy expression: tier rank per candidate (0 open, 2 restricted)."""
    tiers = (flop >= FLOP_STAGED).view(np.int8)
    restricted = (flop >= FLOP_RESTRICTED) | (bio >= BIO_CRITICAL)
    out: npt.NDArray[np.int8] = np.maximum(tiers, restricted.view(np.int8) * np.int8(2))
    return out


Action = Callable[[Any], None]


def _rule(condition: Any) -> Callable[[Action], Action]:
    """``durable.lang.when_all`` with a type the checker can follow."""
    decorator: Callable[[Action], Action] = when_all(condition)
    return decorator


def _split(value: float) -> tuple[int, int]:
    bits = double_bits(value)
    return bits >> 32, bits & 0xFFFFFFFF


def _at_least(hi: Any, lo: Any, threshold: float) -> Any:
    """durable_rules condition ``(hi, lo) >= split(threshold)``, lexicographically."""
    t_hi, t_lo = _split(threshold)
    return (hi > t_hi) | ((hi == t_hi) & (lo >= t_lo))


def _below(hi: Any, lo: Any, threshold: float) -> Any:
    t_hi, t_lo = _split(threshold)
    return (hi < t_hi) | ((hi == t_hi) & (lo < t_lo))


class DurableAssertPeer:
    """durable_rules through its stock API: ``durable.lang`` rules, a stock ``durable.engine.Host``,
    ``assert_fact`` then ``retract_fact``.

    A fact fires every matching rule (as ours does); the actions record the rule ids. A candidate
    that matches no rule raises ``MessageNotHandledException``, which means ``open``. The stock
    Host runs its background dispatch threads, as it does for any user.
    """

    def __init__(self) -> None:
        self.name = f"bench3_assert_{os.getpid()}_{next(_names)}"
        self._fired: list[str] = []
        fired = self._fired
        rules = ruleset(self.name)
        with rules:

            @_rule(_at_least(m.fhi, m.flo, FLOP_STAGED))
            def compute_staged(c: Any) -> None:
                fired.append("compute-staged")

            @_rule(_at_least(m.fhi, m.flo, FLOP_RESTRICTED))
            def compute_restricted(c: Any) -> None:
                fired.append("compute-restricted")

            @_rule(m.bio >= e4_floor(BIO_CRITICAL))
            def bio_critical(c: Any) -> None:
                fired.append("bio-critical")

        self.host = durable.engine.Host()
        self.host.register_rulesets(dict([rules.define()]))

    def decide(self, candidate: Candidate) -> Outcome:
        """Assert the candidate as a fact, collect the fired rules, retract it."""
        flop, bio = _inputs(candidate)
        hi, lo = _split(flop)
        fact = {"fhi": hi, "flo": lo, "bio": e4_floor(bio)}
        self._fired.clear()
        try:
            self.host.assert_fact(self.name, fact)
            fired = tuple(self._fired)
        except durable.engine.MessageNotHandledException:
            fired = ()  # no rule matched: open
        self.host.retract_fact(self.name, fact)
        return _outcome(fired)


class DurablePostPeer:
    """durable_rules through its stock API with ``post``: an event fires one rule only, so the rules
    are written mutually exclusive (one per tier) and the result is the tier alone."""

    def __init__(self) -> None:
        self.name = f"bench3_post_{os.getpid()}_{next(_names)}"
        self._tier: list[str] = []
        tier = self._tier
        bio_line = e4_floor(BIO_CRITICAL)
        rules = ruleset(self.name)
        with rules:

            @_rule(_at_least(m.fhi, m.flo, FLOP_RESTRICTED) | (m.bio >= bio_line))
            def restricted(c: Any) -> None:
                tier.append("restricted")

            @_rule(_at_least(m.fhi, m.flo, FLOP_STAGED) & _below(m.fhi, m.flo, FLOP_RESTRICTED) & (m.bio < bio_line))
            def staged(c: Any) -> None:
                tier.append("staged")

            @_rule(_below(m.fhi, m.flo, FLOP_STAGED) & (m.bio < bio_line))
            def open_(c: Any) -> None:
                tier.append("open")

        self.host = durable.engine.Host()
        self.host.register_rulesets(dict([rules.define()]))

    def decide(self, candidate: Candidate) -> Outcome:
        """Post the candidate as an event; exactly one rule fires and names the tier."""
        flop, bio = _inputs(candidate)
        hi, lo = _split(flop)
        self._tier.clear()
        self.host.post(self.name, {"fhi": hi, "flo": lo, "bio": e4_floor(bio)})
        if len(self._tier) != 1:
            raise RuntimeError(f"durable_rules post fired {len(self._tier)} actions, expected exactly one")
        return self._tier[0], None


_CEDAR_POLICIES = """
@id("compute-staged")
permit(principal, action, resource) when {{ context.flop >= {staged} }};
@id("compute-restricted")
permit(principal, action, resource) when {{ context.flop >= {restricted} }};
@id("bio-critical")
permit(principal, action, resource) when {{ context.bio >= {bio} }};
"""


class CedarPeer:
    """Cedar via cedarpy: Long inputs, a pre-parsed PolicySet, dict EUIDs, one permit per rule.

    Cedar answers Allow or Deny; the fired rules are the ``@id`` annotations of the determining
    policies (``diagnostics.id_annotations_by_reason``) and Deny with none means ``open``. Any
    evaluation error is raised: the benchmark must not read it as a decision.
    """

    def __init__(self) -> None:
        text = _CEDAR_POLICIES.format(
            staged=double_bits(FLOP_STAGED), restricted=double_bits(FLOP_RESTRICTED), bio=e4_floor(BIO_CRITICAL)
        )
        self.policies = cedarpy.PolicySet.from_str(text)
        self.entities = cedarpy.Entities.from_json_str("[]")
        self._principal = {"type": "Lab", "id": "lab"}
        self._action = {"type": "Action", "id": "release"}
        self._resource = {"type": "Model", "id": "candidate"}

    def request(self, candidate: Candidate) -> dict[str, Any]:
        """The Cedar request for one candidate."""
        flop, bio = _inputs(candidate)
        return {
            "principal": self._principal,
            "action": self._action,
            "resource": self._resource,
            "context": {"flop": double_bits(flop), "bio": e4_floor(bio)},
        }

    @staticmethod
    def _read(result: Any) -> Outcome:
        diagnostics = result.diagnostics
        if diagnostics.errors:
            raise RuntimeError(f"Cedar evaluation errors: {diagnostics.errors}")
        outcome = _outcome(list(diagnostics.id_annotations_by_reason.values()))
        if result.allowed != bool(outcome[1]):
            raise RuntimeError(f"Cedar said allowed={result.allowed} with determining policies {outcome[1]}")
        return outcome

    def decide(self, candidate: Candidate) -> Outcome:
        """One ``is_authorized`` call."""
        return self._read(cedarpy.is_authorized(self.request(candidate), self.policies, self.entities))

    def decide_json(self, candidate: Candidate) -> bytes:
        """One ``is_authorized`` call, read, and its response written with ``json.dumps``.

        The counterpart of our decision with its bytes: Cedar's decision and diagnostics (the
        determining policies and the errors) as JSON.
        """
        result = cedarpy.is_authorized(self.request(candidate), self.policies, self.entities)
        self._read(result)
        response = {
            "decision": result.decision.value,
            "diagnostics": {"reason": list(result.diagnostics.reasons), "errors": list(result.diagnostics.errors)},
        }
        return json.dumps(response).encode()

    def decide_batch(self, candidates: Sequence[Candidate]) -> list[Outcome]:
        """One ``is_authorized_batch`` call for all of ``candidates``."""
        requests = [self.request(c) for c in candidates]
        return [self._read(r) for r in cedarpy.is_authorized_batch(requests, self.policies, self.entities)]


class RegoPeer:
    """Rego via regopy (rego-cpp): a built bundle queried per candidate with integer ``Input``.

    One rule body per threshold and per branch of the split comparison; no ``max()``/``sort()``,
    which order numbers as text in rego-cpp.
    """

    def __init__(self) -> None:
        staged_hi, staged_lo = _split(FLOP_STAGED)
        restricted_hi, restricted_lo = _split(FLOP_RESTRICTED)
        module = f"""
package bench

import rego.v1

fired contains "compute-staged" if input.fhi > {staged_hi}
fired contains "compute-staged" if {{ input.fhi == {staged_hi}; input.flo >= {staged_lo} }}
fired contains "compute-restricted" if input.fhi > {restricted_hi}
fired contains "compute-restricted" if {{ input.fhi == {restricted_hi}; input.flo >= {restricted_lo} }}
fired contains "bio-critical" if input.bio >= {e4_floor(BIO_CRITICAL)}
"""
        builder = regopy.Interpreter()
        builder.add_module("bench.rego", module)
        self.bundle = builder.build("fired = data.bench.fired")
        self.interpreter = regopy.Interpreter()

    def decide(self, candidate: Candidate) -> Outcome:
        """Set the input and query the bundle."""
        flop, bio = _inputs(candidate)
        hi, lo = _split(flop)
        self.interpreter.set_input(regopy.Input({"fhi": hi, "flo": lo, "bio": e4_floor(bio)}))
        output = self.interpreter.query_bundle(self.bundle)
        if not output.ok():
            raise RuntimeError(f"Rego evaluation failed: {output}")
        return _outcome(output[0]["fired"])
