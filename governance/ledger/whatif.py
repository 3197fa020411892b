"""What-if: re-decide recorded decisions under another policy version and list the tier changes.

This answers "what would adopting version X have changed?" from real history, before adopting it: each
entry's stored candidate is decided again under the other version (on the entry's own date, or on a
date given), and every entry whose tier would differ is listed with the old and new tier. Each entry
is decided with the evaluation-suite versions stored for it, so only the policy changes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from governance.candidate import Candidate
from governance.engine import decide
from governance.evidence.suites import Suite
from governance.exceptions import GovernanceError, VerificationError
from governance.ledger.records import LedgerSource
from governance.policy import Policy
from governance.tiers import Tier

__all__ = ["TierChange", "WhatIfReport", "what_if"]

Progress = Callable[[int], None]


@dataclass(frozen=True)
class TierChange:
    """One recorded decision whose tier would change under the other policy version."""

    seq: int
    decision_id: str
    model: str
    as_of: str
    recorded_policy: str
    recorded_tier: str
    new_tier: str
    new_rules: tuple[str, ...]
    """The rules that fired under the other version."""

    @property
    def direction(self) -> str:
        """``stricter`` or ``looser``."""
        return "stricter" if Tier(self.new_tier) > Tier(self.recorded_tier) else "looser"

    def document(self) -> dict[str, Any]:
        """The change as JSON."""
        return {
            "seq": self.seq,
            "decision_id": self.decision_id,
            "model": self.model,
            "as_of": self.as_of,
            "recorded_policy": self.recorded_policy,
            "recorded_tier": self.recorded_tier,
            "new_tier": self.new_tier,
            "direction": self.direction,
            "new_rules": list(self.new_rules),
        }


@dataclass
class WhatIfReport:
    """The entries considered, those whose tier changes, and those that could not be re-decided."""

    policy: str
    digest: str
    considered: int = 0
    changes: list[TierChange] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)
    """(seq, decision id, why) for entries that could not be re-decided."""

    def transitions(self) -> Counter[tuple[str, str]]:
        """How many entries move from each tier to each other tier."""
        return Counter((c.recorded_tier, c.new_tier) for c in self.changes)

    def document(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "policy": self.policy,
            "digest": self.digest,
            "considered": self.considered,
            "changed": len(self.changes),
            "transitions": [
                {"from": old, "to": new, "count": count} for (old, new), count in sorted(self.transitions().items())
            ],
            "changes": [c.document() for c in self.changes],
            "skipped": [{"seq": s, "decision_id": d, "why": w} for s, d, w in self.skipped],
        }


def what_if(
    source: LedgerSource,
    policy: Policy,
    *,
    all_policies: bool = False,
    as_of: dt.date | None = None,
    evaluator: Literal["durable_rules", "python"] = "durable_rules",
    progress: Progress | None = None,
) -> WhatIfReport:
    """Re-decide recorded entries under ``policy`` and collect the tier changes.

    Args:
        source: an open ledger's reader or an audit bundle.
        policy: the other policy version.
        all_policies: consider every entry; by default only entries recorded under the same policy
            id (other versions of the policy being replaced).
        as_of: decide on this date instead of each entry's own date.
        evaluator: the rule evaluator.
        progress: called with the number of entries read so far.
    """
    report = WhatIfReport(policy=policy.ref, digest=policy.digest)
    documents = {suite.digest: suite.document for suite in source.suites()}
    loaded: dict[str, Suite] = {}

    def suites_of(seq: int) -> list[Suite]:
        out: list[Suite] = []
        for digest in uses.get(seq, ()):
            if digest not in loaded:
                if digest not in documents:
                    raise VerificationError(f"no evaluation suite version {digest} is stored")
                loaded[digest] = Suite.model_validate(json.loads(documents[digest]))
            out.append(loaded[digest])
        return out

    uses = source.suite_uses()
    read = 0
    for row in source.entries():
        read += 1
        if progress is not None and read % 256 == 0:
            progress(read)
        try:
            recorded = json.loads(row.decision)
            recorded_policy = recorded["policy"]
            if not all_policies and recorded_policy["id"] != policy.id:
                continue
            day = as_of or dt.date.fromisoformat(recorded["as_of"])
            candidate = Candidate.model_validate(json.loads(row.candidate))
            decision = decide(candidate, policy, as_of=day, suites=suites_of(row.seq), evaluator=evaluator)
        except (ValueError, KeyError, TypeError, ValidationError, GovernanceError) as exc:
            report.skipped.append((row.seq, row.decision_id, str(exc).splitlines()[0]))
            continue
        report.considered += 1
        if decision.tier.value != recorded.get("tier"):
            report.changes.append(
                TierChange(
                    seq=row.seq,
                    decision_id=row.decision_id,
                    model=str(recorded.get("model", {}).get("name", candidate.model.name)),
                    as_of=day.isoformat(),
                    recorded_policy=f"{recorded_policy.get('id')}@{recorded_policy.get('version')}",
                    recorded_tier=str(recorded.get("tier")),
                    new_tier=decision.tier.value,
                    new_rules=tuple(reason.rule for reason in decision.reasons),
                )
            )
    if progress is not None:
        progress(read)
    return report
