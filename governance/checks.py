"""Static checks run on every policy at load time and by ``governance policy check``.

Beyond the schema they find: references to unknown features, parameters, sources, obligations or
domains; tier-raising rules with an upper bound (not monotone, refused unless the policy declares
why); rules that can never fire; rules shadowed by a rule at least as restrictive with the same
conditions that adds nothing; and rules that can fire together while attaching labels the policy
declares as conflicting. Every problem is reported, located at ``file:line`` when a line map is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from governance._yaml import LineMap
from governance.exceptions import PolicyError, Problem
from governance.features import feature_info, policy_domains
from governance.policy import Policy, Rule
from governance.regions import Interval, box_contains, boxes_overlap, clip_box, condition_boxes
from governance.tiers import Tier

__all__ = ["check_policy"]


def check_policy(policy: Policy, *, source: str = "", lines: LineMap | None = None) -> list[Problem]:
    """Return every problem with ``policy`` (an empty list when it passes)."""
    line_map = lines or {}

    def at(*path: str | int) -> str:
        for cut in range(len(path), -1, -1):
            line = line_map.get(tuple(path[:cut]))
            if line is not None:
                return f"{source}:{line}" if source else f"line {line}"
        return source or policy.ref

    problems: list[Problem] = []
    problems += _references(policy, at)
    problems += _monotonicity(policy, at)
    problems += _regions(policy, at)
    return sorted(problems)


Locator = Callable[..., str]


def _references(policy: Policy, at: Locator) -> list[Problem]:
    problems: list[Problem] = []
    domains = policy_domains(policy)
    thresholds = policy.parameters.thresholds
    for index, rule in enumerate(policy.rules):
        here = ("rules", index)
        for atom in rule.when.atoms():
            if feature_info(atom.feature, domains) is None:
                problems.append(Problem(at(*here, "when"), f"rule {rule.id}: unknown feature {atom.feature!r}"))
            if atom.param is not None and atom.param not in thresholds:
                problems.append(
                    Problem(
                        at(*here, "when"), f"rule {rule.id}: parameter {atom.param!r} is not in parameters.thresholds"
                    )
                )
        if rule.source not in policy.sources_by_id:
            problems.append(Problem(at(*here, "source"), f"rule {rule.id}: unknown source {rule.source!r}"))
        declared = rule.cannot_rule_out
        if declared is not None and declared.source not in policy.sources_by_id:
            problems.append(
                Problem(
                    at(*here, "cannot_rule_out", "source"),
                    f"rule {rule.id}: cannot_rule_out cites unknown source {declared.source!r}",
                )
            )
        for duty_id in rule.obligations:
            if duty_id not in policy.obligations_by_id:
                problems.append(Problem(at(*here, "obligations"), f"rule {rule.id}: unknown obligation {duty_id!r}"))
    for index, obligation in enumerate(policy.obligations):
        if obligation.source not in policy.sources_by_id:
            problems.append(
                Problem(
                    at("obligations", index, "source"),
                    f"obligation {obligation.id}: unknown source {obligation.source!r}",
                )
            )
    for obligation_id in policy.evidence.if_missing_obligations:
        if obligation_id not in policy.obligations_by_id:
            problems.append(
                Problem(at("evidence"), f"evidence.if_missing_obligations: unknown obligation {obligation_id!r}")
            )
    for domain in policy.evidence.required_domains:
        if domain not in domains:
            problems.append(Problem(at("evidence"), f"evidence.required_domains: unknown domain {domain!r}"))
    if (policy.parameters.reference_date is None) != (policy.parameters.halving_months is None):
        problems.append(Problem(at("parameters"), "give both reference_date and halving_months, or neither"))
    can_stage = any(rule.tier is Tier.STAGED for rule in policy.rules) or (
        policy.evidence.required_domains and policy.evidence.if_missing_tier is Tier.STAGED
    )
    if can_stage and not policy.plan:
        problems.append(Problem(at("rules"), "the policy can decide 'staged' but has no plan template"))
    for left, right in policy.label_conflicts:
        if left == right:
            problems.append(Problem(at("label_conflicts"), f"label {left!r} cannot conflict with itself"))
    return problems


def _monotonicity(policy: Policy, at: Locator) -> list[Problem]:
    if policy.monotonicity_exception:
        return []
    problems: list[Problem] = []
    for index, rule in enumerate(policy.rules):
        if rule.tier is Tier.OPEN:
            continue  # label-only rules cannot change the tier
        for atom in rule.when.atoms():
            if not atom.is_lower_bound:
                problems.append(
                    Problem(
                        at("rules", index, "when"),
                        f"rule {rule.id}: '{atom.feature} {atom.op}' is an upper bound in a rule that raises the "
                        "tier, so more risk could give a more open tier; use '>=' or '>', or declare "
                        "monotonicity_exception with the reason",
                    )
                )
    return problems


def _domains(policy: Policy, rules: list[Rule]) -> dict[str, Interval]:
    names = policy_domains(policy)
    out: dict[str, Interval] = {}
    for rule in rules:
        for atom in rule.when.atoms():
            info = feature_info(atom.feature, names)
            if info is not None:
                out[atom.feature] = Interval(info.low, True, info.high, math.isfinite(info.high))
    return out


def _regions(policy: Policy, at: Locator) -> list[Problem]:
    problems: list[Problem] = []
    rules = list(policy.rules)
    ranges = _domains(policy, rules)
    try:
        boxes = [condition_boxes(rule.when, policy) for rule in rules]
    except KeyError:
        return problems  # an unknown parameter, already reported
    except PolicyError as exc:
        return [Problem(at("rules"), exc.message)]
    live: list[list[dict[str, Interval]]] = []
    for index, (rule, rule_boxes) in enumerate(zip(rules, boxes, strict=True)):
        clipped = [b for b in (clip_box(box, ranges) for box in rule_boxes) if b is not None]
        live.append(clipped)
        if not clipped:
            problems.append(
                Problem(
                    at("rules", index, "when"),
                    f"rule {rule.id} can never fire: its conditions contradict each other or the features' ranges",
                )
            )
    for index, rule in enumerate(rules):
        for other_index, other in enumerate(rules):
            if other_index == index or not live[index] or not live[other_index]:
                continue
            adds_nothing = set(rule.labels) <= set(other.labels) and set(rule.obligations) <= set(other.obligations)
            more_or_equal = other.tier > rule.tier or (other.tier == rule.tier and other_index < index)
            if (
                adds_nothing
                and more_or_equal
                and all(any(box_contains(outer, inner) for outer in live[other_index]) for inner in live[index])
            ):
                problems.append(
                    Problem(
                        at("rules", index),
                        f"rule {rule.id} is shadowed by rule {other.id}: whenever it fires, {other.id} fires "
                        "with a tier at least as restrictive and every label and obligation it attaches",
                    )
                )
    conflicts = {frozenset(pair) for pair in policy.label_conflicts}
    for index, rule in enumerate(rules):
        for other_index in range(index, len(rules)):
            other = rules[other_index]
            clashing = sorted(f"{a}/{b}" for a in rule.labels for b in other.labels if frozenset((a, b)) in conflicts)
            if not clashing:
                continue
            if any(boxes_overlap(a, b) for a in live[index] for b in live[other_index]):
                where = f"rule {rule.id}" if other_index == index else f"rules {rule.id} and {other.id}"
                problems.append(
                    Problem(
                        at("rules", other_index),
                        f"{where} can fire together and attach conflicting labels {', '.join(clashing)}",
                    )
                )
    return problems
