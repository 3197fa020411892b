"""What changed between two policy versions.

:func:`diff_policies` compares two :class:`~governance.policy.Policy` objects section by section and
returns a flat, ordered list of :class:`Change` records: metadata, effective dates, parameters and
named thresholds, evidence requirements, interpretation notes, rules (added, removed, or changed in
condition, tier, labels, obligations, rationale or source), obligations, sources, the staged plan and
label conflicts. Rules, obligations, sources and plan steps are matched by id.

A rule's condition is compared as text with every threshold resolved to its exact value (``repr`` of
the float), so a changed parameter shows up on every rule that reads it, not only in the parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from governance.policy import Atom, Condition, Policy, Rule

__all__ = ["Change", "ChangeKind", "PolicyDiff", "condition_text", "diff_policies"]

ChangeKind = Literal["added", "removed", "changed"]

SECTIONS: tuple[str, ...] = (
    "metadata",
    "effective",
    "parameters",
    "thresholds",
    "evidence",
    "interpretation",
    "rules",
    "obligations",
    "sources",
    "plan",
    "label_conflicts",
)
"""The sections of a diff, in the order changes are listed."""


@dataclass(frozen=True)
class Change:
    """One difference between two policy versions."""

    section: str
    """One of :data:`SECTIONS`."""
    change: ChangeKind
    item: str | None = None
    """The rule, obligation, source, plan step or threshold id; None for whole-section fields."""
    field: str | None = None
    """The field that changed (e.g. ``tier``, ``when``); None when a whole item was added or removed."""
    before: Any = None
    after: Any = None

    def document(self) -> dict[str, Any]:
        """The change as JSON-ready data (absent parts left out)."""
        out: dict[str, Any] = {"section": self.section, "change": self.change}
        for key in ("item", "field", "before", "after"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class PolicyDiff:
    """The differences from ``before`` to ``after``."""

    before: Policy
    after: Policy
    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def identical(self) -> bool:
        """True when the two documents are the same (same digest)."""
        return self.before.digest == self.after.digest

    def in_section(self, section: str) -> list[Change]:
        """The changes in one section."""
        return [c for c in self.changes if c.section == section]

    def document(self) -> dict[str, Any]:
        """The diff as JSON-ready data."""

        def ident(policy: Policy) -> dict[str, str]:
            return {"id": policy.id, "version": policy.version, "digest": policy.digest}

        return {
            "before": ident(self.before),
            "after": ident(self.after),
            "identical": self.identical,
            "changes": [c.document() for c in self.changes],
        }


def condition_text(item: Atom | Condition, policy: Policy) -> str:
    """A condition as one line, each threshold exact (``repr``) with its parameter name in brackets."""
    if isinstance(item, Atom):
        text = f"{item.feature} {item.op} {policy.threshold(item)!r}"
        return text + (f" [{item.param}]" if item.param else "")
    joiner = " AND " if item.kind == "all" else " OR "
    inner = joiner.join(condition_text(sub, policy) for sub in item.items)
    return f"({inner})" if len(item.items) > 1 else inner


def _compare_fields(
    section: str,
    item: str | None,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    fields: Iterable[str],
) -> list[Change]:
    out: list[Change] = []
    for name in fields:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        kind: ChangeKind = "added" if old is None else "removed" if new is None else "changed"
        out.append(Change(section, kind, item, name, old, new))
    return out


def _keyed(
    section: str,
    before: Mapping[str, Mapping[str, Any]],
    after: Mapping[str, Mapping[str, Any]],
    fields: tuple[str, ...],
) -> list[Change]:
    """Items matched by id: removed ones, then added ones, then field changes, each in id order."""
    out = [Change(section, "removed", key, None, dict(before[key]), None) for key in sorted(set(before) - set(after))]
    out += [Change(section, "added", key, None, None, dict(after[key])) for key in sorted(set(after) - set(before))]
    for key in sorted(set(before) & set(after)):
        out += _compare_fields(section, key, before[key], after[key], fields)
    return out


def _rule_view(rule: Rule, policy: Policy) -> dict[str, Any]:
    return {
        "tier": rule.tier.value,
        "when": condition_text(rule.when, policy),
        "labels": sorted(rule.labels),
        "obligations": sorted(rule.obligations),
        "rationale": rule.rationale,
        "source": rule.source,
    }


def _list_change(section: str, before: Iterable[Any], after: Iterable[Any]) -> list[Change]:
    old, new = list(before), list(after)
    out = [Change(section, "removed", before=item) for item in old if item not in new]
    out += [Change(section, "added", after=item) for item in new if item not in old]
    return out


def diff_policies(before: Policy, after: Policy) -> PolicyDiff:
    """Compare two policies (usually two versions of one id) and list every difference.

    Args:
        before: the older version.
        after: the newer version.

    Returns:
        A :class:`PolicyDiff` whose ``changes`` are ordered by section (see :data:`SECTIONS`), then by
        item id; it is empty when the documents are identical.
    """
    if before.digest == after.digest:
        return PolicyDiff(before, after, ())
    a, b = before.document(), after.document()
    changes: list[Change] = []

    meta_fields = ("id", "version", "title", "kind", "jurisdiction", "summary", "domains", "monotonicity_exception")
    changes += _compare_fields("metadata", None, a, b, meta_fields)
    changes += _compare_fields("effective", None, a["effective"], b["effective"], ("from", "to", "note"))

    params_a, params_b = a["parameters"], b["parameters"]
    changes += _compare_fields(
        "parameters", None, params_a, params_b, ("compute_stance", "reference_date", "halving_months")
    )
    thresholds_a, thresholds_b = params_a.get("thresholds", {}), params_b.get("thresholds", {})
    for name in sorted(set(thresholds_a) | set(thresholds_b)):
        old, new = thresholds_a.get(name), thresholds_b.get(name)
        if old != new:
            kind: ChangeKind = "added" if old is None else "removed" if new is None else "changed"
            changes.append(Change("thresholds", kind, name, "value", old, new))

    evidence_fields = (
        "required_domains",
        "if_missing_tier",
        "if_missing_labels",
        "if_missing_obligations",
        "rationale",
    )
    changes += _compare_fields("evidence", None, a["evidence"], b["evidence"], evidence_fields)
    changes += _list_change("interpretation", a.get("interpretation", []), b.get("interpretation", []))

    rules_a = {rule.id: _rule_view(rule, before) for rule in before.rules}
    rules_b = {rule.id: _rule_view(rule, after) for rule in after.rules}
    changes += _keyed("rules", rules_a, rules_b, ("tier", "when", "labels", "obligations", "rationale", "source"))

    duty_fields = ("text", "source", "due_within_days", "due_by")
    changes += _keyed(
        "obligations",
        {o["id"]: o for o in a.get("obligations", [])},
        {o["id"]: o for o in b.get("obligations", [])},
        duty_fields,
    )
    changes += _keyed(
        "sources",
        {s["id"]: s for s in a["sources"]},
        {s["id"]: s for s in b["sources"]},
        ("title", "url", "section", "accessed"),
    )
    changes += _keyed(
        "plan",
        {p["id"]: p for p in a.get("plan", [])},
        {p["id"]: p for p in b.get("plan", [])},
        ("access", "gate", "min_days"),
    )
    pairs_a = [sorted(pair) for pair in a.get("label_conflicts", [])]
    pairs_b = [sorted(pair) for pair in b.get("label_conflicts", [])]
    changes += _list_change("label_conflicts", pairs_a, pairs_b)
    return PolicyDiff(before, after, tuple(changes))
