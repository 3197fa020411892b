"""A policy compiled once into one intermediate form, and every evaluator generated from it.

:class:`CompiledPolicy` holds what a :class:`~governance.policy.Policy` means independent of any
candidate: the features its rules read, each rule as a tree of resolved threshold tests
(:class:`Test`, :class:`Node`), and one aggregation (:meth:`CompiledPolicy.aggregate`). Four evaluators
are generated from that one form and must agree: durable_rules (:mod:`governance._durable`, the
default for single decisions), a scalar evaluator of closures (below), the column evaluator over numpy
arrays (:mod:`governance.vectorised`) and the region evaluator over boxes (:mod:`governance.regions`).

Evidence is three-valued. A test on a known value holds or not. A lower-bound test (``>=``, ``>``) on
an unknown value is *not ruled out*: it would hold if the value were high enough. An upper-bound test
on an unknown value does not hold: unknown is never read as below a threshold. A rule combines its
tests in Kleene's logic, so it is *fired* (holds on what is known), *not ruled out* (would hold only if
some unknown value were high enough) or neither. Both fired and not-ruled-out rules raise the tier
(fail closed); only fired rules, and not-ruled-out rules whose source says "cannot rule out means
crossed", attach labels and obligations. Compiled policies are cached by digest.
"""

from __future__ import annotations

import math
import operator
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from governance.features import feature_info, policy_domains
from governance.policy import Atom, Condition, Policy, Rule
from governance.tiers import Tier

if TYPE_CHECKING:
    from governance._durable import DurableRuleset

__all__ = [
    "Aggregate",
    "CompiledPolicy",
    "Evaluation",
    "Node",
    "Outcome",
    "Test",
    "compile_policy",
    "resolve_condition",
]

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_TIERS = tuple(Tier.from_rank(rank) for rank in range(len(Tier)))
_cache: dict[str, CompiledPolicy] = {}
_cache_lock = threading.Lock()


class Outcome(IntEnum):
    """A test's or a rule's three-valued result, ordered: ``NO < NOT_RULED_OUT < FIRED``."""

    NO = 0
    NOT_RULED_OUT = 1
    FIRED = 2


@dataclass(frozen=True)
class Test:
    """One threshold test with its threshold resolved: ``feature op threshold``."""

    feature: str
    op: str
    threshold: float

    @property
    def lower_bound(self) -> bool:
        """True for ``>=`` and ``>``: the only tests an unknown value can leave not ruled out."""
        return self.op in (">=", ">")

    def outcome(self, value: float) -> Outcome:
        """The test on ``value`` (``inf`` is unknown)."""
        if value == math.inf:
            return Outcome.NOT_RULED_OUT if self.lower_bound else Outcome.NO
        return Outcome.FIRED if _COMPARE[self.op](value, self.threshold) else Outcome.NO


@dataclass(frozen=True)
class Node:
    """A conjunction (``all``) or disjunction (``any``) of tests and nested nodes."""

    kind: str
    items: tuple[Test | Node, ...]

    def tests(self) -> tuple[Test, ...]:
        """Every test, depth first."""
        out: list[Test] = []
        for item in self.items:
            out.extend(item.tests() if isinstance(item, Node) else (item,))
        return tuple(out)


def resolve_condition(item: Atom | Condition, policy: Policy) -> Test | Node:
    """A policy's condition with every threshold resolved: the form all evaluators are built from."""
    if isinstance(item, Atom):
        return Test(item.feature, item.op, policy.threshold(item))
    return Node(item.kind, tuple(resolve_condition(sub, policy) for sub in item.items))


ScalarRule = Callable[[Mapping[str, float]], Outcome]


def _scalar(item: Test | Node) -> ScalarRule:
    """A closure computing the three-valued outcome of ``item`` (Kleene: ``all`` is min, ``any`` max)."""
    if isinstance(item, Test):
        feature, threshold, compare = item.feature, item.threshold, _COMPARE[item.op]
        unknown = Outcome.NOT_RULED_OUT if item.lower_bound else Outcome.NO

        def test(values: Mapping[str, float]) -> Outcome:
            value = values[feature]
            if value == math.inf:
                return unknown
            return Outcome.FIRED if compare(value, threshold) else Outcome.NO

        return test
    parts = tuple(_scalar(sub) for sub in item.items)
    # ``all`` is the minimum of its parts and stops at the first NO; ``any`` the maximum, stopping at FIRED.
    if item.kind == "all":
        start, stop, pick = Outcome.FIRED, Outcome.NO, min
    else:
        start, stop, pick = Outcome.NO, Outcome.FIRED, max

    def combined(values: Mapping[str, float]) -> Outcome:
        result = start
        for part in parts:
            outcome = part(values)
            if outcome is stop:
                return outcome
            result = pick(result, outcome)
        return result

    return combined


class Evaluation(NamedTuple):
    """Which rules fired and which are not ruled out (indexes into the policy's rules, ascending).

    A named tuple: one is made per decision, and a tuple is cheaper to make than a frozen dataclass.
    """

    fired: tuple[int, ...]
    not_ruled_out: tuple[int, ...]

    @property
    def raising(self) -> tuple[int, ...]:
        """Every rule that raises the tier: fired or not ruled out."""
        return tuple(sorted((*self.fired, *self.not_ruled_out)))


class Aggregate(NamedTuple):
    """What the evaluated rules decide: the tier, the findings, and what rests on missing evidence."""

    tier: Tier
    findings: tuple[int, ...]
    """Rules whose labels and obligations apply: fired, or not ruled out and declared crossed."""
    not_ruled_out: tuple[int, ...]
    floor: bool
    """True when a required domain lacks evidence, so the policy's evidence floor applies."""
    tier_on_evidence: Tier
    """The tier from fired rules alone (no floor, nothing not ruled out): what the evidence shows."""

    @property
    def rests_on_missing_evidence(self) -> bool:
        """True when missing evidence (a not-ruled-out rule or the floor) raised the tier."""
        return self.tier > self.tier_on_evidence


class CompiledPolicy:
    """The intermediate form of one policy version. Build with :func:`compile_policy`."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.domains = policy_domains(policy)
        self.rules: tuple[Rule, ...] = policy.rules
        self.conditions: tuple[Test | Node, ...] = tuple(resolve_condition(rule.when, policy) for rule in policy.rules)
        """Each rule's condition with thresholds resolved: the one form every evaluator is built from."""
        self.ranks: tuple[int, ...] = tuple(rule.tier.rank for rule in policy.rules)
        self.rule_tiers: tuple[Tier, ...] = tuple(rule.tier for rule in policy.rules)
        self.crossed_when_not_ruled_out: frozenset[int] = frozenset(
            index for index, rule in enumerate(policy.rules) if rule.cannot_rule_out is not None
        )
        """Rules whose source says that "cannot rule out" means the level is reached."""
        ordered: dict[str, None] = {}
        self.thresholds: dict[str, tuple[float, ...]] = {}
        """Per feature, every distinct threshold the rules compare it with, ascending."""
        found: dict[str, set[float]] = {}
        for condition in self.conditions:
            for test in _tests(condition):
                ordered.setdefault(test.feature, None)
                found.setdefault(test.feature, set()).add(test.threshold)
        self.features: tuple[str, ...] = tuple(ordered)
        """Features the rules read, in order of first use."""
        self.thresholds = {feature: tuple(sorted(values)) for feature, values in found.items()}
        self.required_gaps: tuple[str, ...] = tuple(f"evidence_gap.{d}" for d in policy.evidence.required_domains)
        """The features whose value 1 (no evidence in a required domain) brings in the evidence floor."""
        self.floor_rank = policy.evidence.if_missing_tier.rank
        reads_compute = any(f in self.thresholds for f in ("training_flop", "training_flop_total", "effective_flop"))
        self.needed: tuple[str, ...] = tuple(
            dict.fromkeys(
                (
                    *self.features,
                    *self.required_gaps,
                    *(f"capability.{d}" for d in policy.evidence.required_domains),
                    *(("training_flop",) if reads_compute else ()),
                )
            )
        )
        """Every feature a decision under this policy derives: those the rules read, and what the missing
        evidence and the evidence floor report on. Nothing else is derived."""
        self.scalar: tuple[ScalarRule, ...] = tuple(_scalar(condition) for condition in self.conditions)
        """The scalar evaluator: one closure per rule, giving its :class:`Outcome`."""
        self.memo: dict[str, Any] = {}
        """Per-policy parts of decision documents that no candidate changes, built on first use by
        :mod:`governance.explain` and :mod:`governance.engine` (rule templates, fixed document parts)."""
        self._raising: dict[Tier, dict[str, tuple[tuple[tuple[float, bool], ...], tuple[int, ...]]]] = {}

    # -- evaluators -------------------------------------------------------------------------------

    def evaluate_scalar(self, values: Mapping[str, float]) -> Evaluation:
        """Evaluate every rule with the scalar evaluator."""
        fired: list[int] = []
        open_: list[int] = []
        for index, rule in enumerate(self.scalar):
            outcome = rule(values)
            if outcome is Outcome.FIRED:
                fired.append(index)
            elif outcome is Outcome.NOT_RULED_OUT:
                open_.append(index)
        return Evaluation(tuple(fired), tuple(open_))

    def evaluate_durable(self, values: Mapping[str, float]) -> Evaluation:
        """Evaluate every rule in durable_rules."""
        return self.durable.evaluate(values)

    @cached_property
    def durable(self) -> DurableRuleset:
        """The durable_rules ruleset, created on first use and kept for the life of the process."""
        from governance._durable import DurableRuleset  # the rule engine loads only when it decides

        return DurableRuleset.for_policy(self)

    # -- aggregation ------------------------------------------------------------------------------

    def aggregate(self, evaluation: Evaluation, values: Mapping[str, float]) -> Aggregate:
        """The decision's tier and findings from the evaluated rules (the only aggregation there is).

        The tier is the most restrictive tier among fired and not-ruled-out rules, raised to the
        evidence floor when a required domain has no evidence.
        """
        ranks = self.ranks
        fired, not_ruled_out = evaluation
        floor = False
        for gap in self.required_gaps:
            if values[gap] >= 1.0:
                floor = True
                break
        on_evidence = max([ranks[i] for i in fired]) if fired else 0
        rank = max(max([ranks[i] for i in not_ruled_out]), on_evidence) if not_ruled_out else on_evidence
        if floor and self.floor_rank > rank:
            rank = self.floor_rank
        findings = fired
        if not_ruled_out and self.crossed_when_not_ruled_out:
            crossed = tuple(i for i in not_ruled_out if i in self.crossed_when_not_ruled_out)
            if crossed:
                findings = tuple(sorted((*findings, *crossed)))
        return Aggregate(_TIERS[rank], findings, not_ruled_out, floor, _TIERS[on_evidence])

    def tier_of(self, rules: tuple[int, ...] | list[int]) -> Tier:
        """The most restrictive tier among ``rules``; ``open`` when there are none."""
        return Tier.from_rank(max((self.ranks[i] for i in rules), default=0))

    # -- what the explanation needs ---------------------------------------------------------------

    def raising_thresholds(self, tier: Tier) -> dict[str, tuple[tuple[tuple[float, bool], ...], tuple[int, ...]]]:
        """Per feature (sorted), what could lift a decision above ``tier`` if that feature alone rose.

        For each feature: the lower-bound thresholds of rules above ``tier``, ascending, each as
        ``(threshold, strict)`` (``strict`` when only ``>`` tests it, so the value must exceed it),
        and the indexes of those rules: no other rule's outcome depends on that feature.
        """
        cached = self._raising.get(tier)
        if cached is not None:
            return cached
        ops: dict[str, dict[float, set[str]]] = {}
        rules: dict[str, list[int]] = {}
        for index, condition in enumerate(self.conditions):
            if self.rule_tiers[index] <= tier:
                continue
            for test in _tests(condition):
                if test.lower_bound:
                    ops.setdefault(test.feature, {}).setdefault(test.threshold, set()).add(test.op)
                    if index not in rules.setdefault(test.feature, []):
                        rules[test.feature].append(index)
        result = {
            feature: (
                tuple((threshold, ops[feature][threshold] == {">"}) for threshold in sorted(ops[feature])),
                tuple(rules[feature]),
            )
            for feature in sorted(ops)
        }
        self._raising[tier] = result
        return result

    def plan_document(self) -> list[dict[str, object]]:
        """The staged plan as it appears in decisions (a fresh copy of a list written once)."""
        return [dict(step) for step in self._plan]

    @cached_property
    def _plan(self) -> list[dict[str, object]]:
        return [step.model_dump(mode="json", exclude_none=True) for step in self.policy.plan]

    def reads(self, feature: str) -> bool:
        """True when some rule tests ``feature``."""
        return feature in self.thresholds

    def unknown_features(self) -> list[str]:
        """Features the rules read that are not in the catalogue (a policy check reports them)."""
        return [f for f in self.features if feature_info(f, self.domains) is None]


def _tests(item: Test | Node) -> tuple[Test, ...]:
    return item.tests() if isinstance(item, Node) else (item,)


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Return the compiled form of ``policy``, cached by digest."""
    compiled = _cache.get(policy.digest)
    if compiled is None:
        with _cache_lock:
            compiled = _cache.get(policy.digest)
            if compiled is None:
                compiled = CompiledPolicy(policy)
                _cache[policy.digest] = compiled
    return compiled
