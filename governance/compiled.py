"""A policy compiled once into its evaluators.

:class:`CompiledPolicy` holds everything derived from a :class:`~governance.policy.Policy` that does
not depend on a candidate: the features its rules read, a plain-Python predicate per rule (used to
explain how close a decision is to flipping, and as the reference in benchmarks), and the
durable_rules ruleset that decides. The vectorised evaluator reads the same structure. Compiled
policies are cached by digest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import cached_property

from governance._durable import DurableRuleset
from governance.features import feature_info, policy_domains
from governance.policy import Atom, Condition, Policy
from governance.tiers import Tier

__all__ = ["CompiledPolicy", "compile_policy"]

Predicate = Callable[[Mapping[str, float]], bool]

_PY_OPS = {">=": ">=", ">": ">", "<=": "<=", "<": "<"}
_cache: dict[str, CompiledPolicy] = {}
_cache_lock = threading.Lock()


def _python_source(item: Atom | Condition, policy: Policy) -> str:
    if isinstance(item, Atom):
        return f"(v[{item.feature!r}] {_PY_OPS[item.op]} {policy.threshold(item)!r})"
    joiner = " and " if item.kind == "all" else " or "
    return "(" + joiner.join(_python_source(sub, policy) for sub in item.items) + ")"


class CompiledPolicy:
    """The evaluators of one policy version. Build with :func:`compile_policy`."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.domains = policy_domains(policy)
        ordered: dict[str, None] = {}
        for rule in policy.rules:
            for atom in rule.when.atoms():
                ordered.setdefault(atom.feature, None)
        self.features: tuple[str, ...] = tuple(ordered)
        """Features the rules read, in order of first use."""
        self.rule_tiers: tuple[Tier, ...] = tuple(rule.tier for rule in policy.rules)
        self.predicates: tuple[Predicate, ...] = tuple(
            eval(f"lambda v: {_python_source(rule.when, policy)}", {}) for rule in policy.rules
        )
        self.thresholds: dict[str, tuple[float, ...]] = {}
        """Per feature, every distinct threshold the rules compare it with, ascending."""
        for rule in policy.rules:
            for atom in rule.when.atoms():
                current = set(self.thresholds.get(atom.feature, ()))
                current.add(policy.threshold(atom))
                self.thresholds[atom.feature] = tuple(sorted(current))

        self._raising: dict[Tier, dict[str, tuple[tuple[tuple[float, bool], ...], tuple[int, ...]]]] = {}

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
        for index, rule in enumerate(self.policy.rules):
            if rule.tier <= tier:
                continue
            for atom in rule.when.atoms():
                if atom.is_lower_bound:
                    ops.setdefault(atom.feature, {}).setdefault(self.policy.threshold(atom), set()).add(atom.op)
                    if index not in rules.setdefault(atom.feature, []):
                        rules[atom.feature].append(index)
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

    @cached_property
    def durable(self) -> DurableRuleset:
        """The durable_rules ruleset, created on first use and kept for the life of the process."""
        return DurableRuleset.for_policy(self.policy, self.features)

    def fired_python(self, values: Mapping[str, float]) -> list[int]:
        """Indexes of the rules whose condition holds, evaluated in plain Python."""
        return [index for index, predicate in enumerate(self.predicates) if predicate(values)]

    def fired_durable(self, values: Mapping[str, float]) -> list[int]:
        """Indexes of the rules whose condition holds, evaluated by durable_rules."""
        return self.durable.fire(dict(values))

    def tier_of(self, fired: list[int]) -> Tier:
        """The most restrictive tier among the fired rules; ``open`` when none fired."""
        rank = max((self.rule_tiers[i].rank for i in fired), default=0)
        return Tier.from_rank(rank)

    def reads(self, feature: str) -> bool:
        """True when some rule tests ``feature``."""
        return feature in self.thresholds

    def unknown_features(self) -> list[str]:
        """Features the rules read that are not in the catalogue (a policy check reports them)."""
        return [f for f in self.features if feature_info(f, self.domains) is None]


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
