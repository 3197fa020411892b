"""The release gate: does each decision's tier allow the release form the candidate asks for?

A tier allows these forms (the release gradient of :class:`~governance.candidate.ReleaseForm`):

==============  ========================================  ===============================================
tier            allows                                    why
==============  ========================================  ===============================================
``open``        every form                                weights may be published openly
``staged``      ``closed``, ``hosted``, ``api``           hosted or API access first; wider access comes
                                                          later, step by step, each step gated by the
                                                          policy's plan, so not open weights at once
``restricted``  ``closed``, ``hosted``                    no open weights; access only through a
                                                          controlled interface, or none at all. A hosted
                                                          product is the narrowest external access; an
                                                          API (programmatic use at scale, often
                                                          fine-tuning) is a step further along the
                                                          gradient (Solaiman 2023) and needs ``staged``
==============  ========================================  ===============================================

A decision blocks when its policy is in force and its tier does not allow the form. For each blocking
decision the gate names the rules that set a tier too strict for the form, and what would clear
each: the conditions that hold with their thresholds and margins (the nearest threshold on the way
down), the evidence that would settle a rule that is only not ruled out (``not_ruled_out`` entries,
or conditions on unknown inputs), the missing evidence behind the policy's evidence floor, and the
forms the decided tier does allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governance.candidate import Candidate, ReleaseForm
from governance.decision import AtomResult, Decision, Reason
from governance.policy import Condition, Policy
from governance.tiers import Tier

__all__ = [
    "ALLOWED_FORMS",
    "BLOCKED_EXIT_CODE",
    "EVIDENCE_FLOOR",
    "Blocker",
    "GateResult",
    "allows",
    "gate_decisions",
]

BLOCKED_EXIT_CODE = 7
"""Exit code of ``governance gate`` when some policy's tier does not allow the requested form."""

EVIDENCE_FLOOR = "evidence.if_missing"
"""The rule name shown when the policy's missing-evidence floor sets the tier."""

ALLOWED_FORMS: Mapping[Tier, frozenset[ReleaseForm]] = {
    Tier.OPEN: frozenset(ReleaseForm),
    Tier.STAGED: frozenset({ReleaseForm.CLOSED, ReleaseForm.HOSTED, ReleaseForm.API}),
    Tier.RESTRICTED: frozenset({ReleaseForm.CLOSED, ReleaseForm.HOSTED}),
}
"""Which release forms each tier allows (see the module docstring for why)."""


def allows(tier: Tier, form: ReleaseForm) -> bool:
    """True when a decision of ``tier`` allows a release of ``form``."""
    return form in ALLOWED_FORMS[tier]


def _either(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _forms(tier: Tier) -> str:
    return _either([form.value for form in ReleaseForm if form in ALLOWED_FORMS[tier]])


def _number(value: float) -> str:
    return f"{value:.3g}" if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3) else f"{value:.4g}"


@dataclass(frozen=True)
class BlockingRule:
    """A rule whose tier does not allow the form, and what would clear it."""

    rule: str
    tier: Tier
    kind: str
    """``fired`` (a finding), ``not_ruled_out`` (would fire if an unknown input were high enough) or
    ``evidence_floor`` (required evidence is missing)."""
    clears_when: tuple[str, ...]
    settle: bool = False
    """True when ``clears_when`` is the decision's own ``settle`` text for a not-ruled-out rule."""

    def step(self) -> str:
        """What clears the rule, in words."""
        if self.settle:
            return f"{self.rule} is not ruled out: {self.clears_when[0]}"
        return f"{self.rule} clears if {', or if '.join(self.clears_when)}"

    def document(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"rule": self.rule, "tier": self.tier.value, "kind": self.kind, "clears_when": list(self.clears_when)}


@dataclass(frozen=True)
class Blocker:
    """A decision whose tier does not allow the requested release form."""

    decision: Decision
    form: ReleaseForm
    rules: tuple[BlockingRule, ...]

    @property
    def policy(self) -> str:
        """``id@version``."""
        return f"{self.decision.policy.id}@{self.decision.policy.version}"

    @property
    def deciding_rule(self) -> str:
        """The first blocking rule at the decided tier (rules sorted by tier, then id)."""
        return self.rules[0].rule if self.rules else EVIDENCE_FLOOR

    def unblock(self) -> list[str]:
        """Everything that would unblock the release: clear every blocking rule, or ask for less."""
        steps = [rule.step() for rule in self.rules if rule.clears_when]
        steps.append(f"or ask for {_forms(self.decision.tier)} (what {self.decision.tier.value} allows)")
        return steps

    def line(self) -> str:
        """One line: the policy, tier, deciding rule, and what would unblock it."""
        tier = self.decision.tier.value
        return (
            f"BLOCKED {self.policy}: {tier} does not allow {self.form.value}; decided by {self.deciding_rule}; "
            f"to unblock: {'; '.join(self.unblock())}"
        )

    def document(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "policy": self.policy,
            "tier": self.decision.tier.value,
            "form": self.form.value,
            "allowed_forms": [f.value for f in ReleaseForm if f in ALLOWED_FORMS[self.decision.tier]],
            "decided_by": self.deciding_rule,
            "blocking_rules": [rule.document() for rule in self.rules],
            "unblock": self.unblock(),
        }


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict on one candidate: every decision, and those that block."""

    form: ReleaseForm
    decisions: tuple[Decision, ...]
    blockers: tuple[Blocker, ...]
    not_gating: tuple[Decision, ...]
    """Decisions of policies not in force on the date: shown, never blocking."""

    @property
    def passed(self) -> bool:
        """True when no policy in force blocks the requested form."""
        return not self.blockers

    def document(self) -> dict[str, Any]:
        """JSON-ready verdict (the decisions themselves are under ``decisions``)."""
        return {
            "passed": self.passed,
            "form": self.form.value,
            "blocked": [b.document() for b in self.blockers],
            "allowed": [
                {"policy": f"{d.policy.id}@{d.policy.version}", "tier": d.tier.value}
                for d in self.decisions
                if d.in_force and allows(d.tier, self.form)
            ],
            "not_in_force": [f"{d.policy.id}@{d.policy.version}" for d in self.not_gating],
            "decisions": [d.document() for d in self.decisions],
        }


_CLEARS = {">=": "below", ">": "at or below", "<=": "above", "<": "at or above"}


def _atom_text(atom: AtomResult, missing: Mapping[str, str]) -> str:
    """When the atom stops holding: the side of its threshold the input must reach."""
    if atom.feature == "release.openness":
        clear = {">=": float.__lt__, ">": float.__le__, "<=": float.__gt__, "<": float.__ge__}[atom.op]
        forms = [f.value for f in ReleaseForm if clear(float(f.openness), float(atom.threshold))]
        return "the release form is " + (_either(forms) if forms else "none")
    side = f"{atom.feature} {_CLEARS[atom.op]} {_number(atom.threshold)}"
    if atom.value is None:
        why = missing.get(atom.feature) or (missing.get("training_flop") if atom.feature.endswith("_flop") else None)
        return f"evidence shows {side} (now unknown" + (f": {why})" if why else ")")
    now = _number(atom.value)
    if atom.ratio is not None:
        now += f", {atom.ratio:.3g}x"
    elif atom.margin is not None:
        now += f", margin {atom.margin:+.3g}"
    return f"{side} (now {now})"


def _top_kind(policy: Policy | None, rule: str) -> str | None:
    """``all`` or ``any`` for a rule whose condition is one flat list of atoms; None otherwise or unknown."""
    for candidate_rule in policy.rules if policy is not None else ():
        if candidate_rule.id == rule:
            when: Condition = candidate_rule.when
            return None if any(isinstance(item, Condition) for item in when.items) else when.kind
    return None


def _reason_rule(reason: Reason, kind: str | None, missing: Mapping[str, str]) -> BlockingRule:
    holding = [a for a in reason.atoms if a.holds]
    known = [a.value is not None for a in holding]
    # A finding when the known inputs alone make it fire; otherwise only not ruled out (unknown is not crossed).
    finding = any(known) if kind == "any" else all(known)
    texts = [_atom_text(a, missing) for a in holding]
    clears = (" and ".join(texts),) if kind == "any" and len(texts) > 1 else tuple(texts)
    return BlockingRule(reason.rule, reason.tier, "fired" if finding else "not_ruled_out", clears)


def _blocking_rules(decision: Decision, form: ReleaseForm, policy: Policy | None) -> list[BlockingRule]:
    missing = {m.feature: m.why for m in decision.missing_evidence}
    rules: dict[str, BlockingRule] = {}
    for entry in decision.document().get("not_ruled_out", []):
        tier = Tier(entry["tier"])
        if not allows(tier, form):
            settle = entry.get("settle") or "supply " + ", ".join(entry.get("waiting_on", []))
            rules[entry["rule"]] = BlockingRule(entry["rule"], tier, "not_ruled_out", (str(settle),), settle=True)
    for reason in decision.reasons:
        if not allows(reason.tier, form) and reason.rule not in rules:
            rules[reason.rule] = _reason_rule(reason, _top_kind(policy, reason.rule), missing)
    required = [m.feature for m in decision.missing_evidence if m.required]
    if policy is not None:
        floor: Tier | None = policy.evidence.if_missing_tier if required else None
    else:  # without the policy, the floor shows only where no rule accounts for the tier
        top = max((r.tier for r in rules.values()), default=Tier.OPEN)
        floor = decision.tier if top < decision.tier else None
    if floor is not None and not allows(floor, form):
        supply = ("you supply evidence for " + _either(required),) if required else ()
        rules[EVIDENCE_FLOOR] = BlockingRule(EVIDENCE_FLOOR, floor, "evidence_floor", supply)
    return sorted(rules.values(), key=lambda r: (-r.tier.rank, r.rule == EVIDENCE_FLOOR, r.rule))


def gate_decisions(candidate: Candidate, decisions: Iterable[Decision], policies: Iterable[Policy] = ()) -> GateResult:
    """Gate ``candidate``'s requested release form on its decisions.

    Args:
        candidate: the candidate; ``release.form`` is the form asked for.
        decisions: its decisions, one per policy.
        policies: the policies that made them, when at hand: they tell whether a rule's condition is a
            conjunction (clearing any one condition clears it) or a disjunction (all must clear).
    """
    form = candidate.release.form
    by_digest = {p.digest: p for p in policies}
    chosen = tuple(decisions)
    blockers: list[Blocker] = []
    not_gating: list[Decision] = []
    for decision in chosen:
        if not decision.in_force:
            not_gating.append(decision)
        elif not allows(decision.tier, form):
            rules = _blocking_rules(decision, form, by_digest.get(decision.policy.digest))
            blockers.append(Blocker(decision, form, tuple(rules)))
    return GateResult(form, chosen, tuple(blockers), tuple(not_gating))
