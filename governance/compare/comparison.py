"""Comparing policies over a population: tiers, labels, agreement and disagreements.

:func:`compare_population` evaluates each policy over the whole population with the vectorised
evaluator (feature arrays straight from the population's columns), then derives, per policy, the
counts per tier and per label and the rule that decided each tier, and, per pair of policies, the
share of equal tiers, Cohen's kappa and the list of models on which they disagree. Every value
equals what :func:`governance.decide` gives candidate by candidate (tests check it): the tier, the
labels, the fired rules, and the deciding rule, which is the first of the decision's reasons at the
decided tier (reasons are sorted by tier, then rule id), or ``evidence.if_missing`` when the
missing-evidence floor alone set the tier.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from governance.compare.population import SILENT, Population, Reporter
from governance.compiled import compile_policy
from governance.exceptions import InputError
from governance.policy import Policy
from governance.tiers import Tier
from governance.vectorised import VectorisedPolicy

if TYPE_CHECKING:
    import pandas
    import polars

__all__ = [
    "COMPUTE_FEATURES",
    "EVIDENCE_FLOOR",
    "Agreement",
    "Comparison",
    "PolicyOutcome",
    "cohen_kappa",
    "compare_population",
    "evaluate_outcome",
]

BoolArray = npt.NDArray[np.bool_]
TierArray = npt.NDArray[np.int8]

COMPUTE_FEATURES = frozenset({"training_flop", "training_flop_total", "effective_flop"})
"""Features that read training compute."""
EVIDENCE_FLOOR = "evidence.if_missing"
"""The name shown as the deciding rule when the missing-evidence floor alone set the tier."""
TIERS: tuple[Tier, ...] = (Tier.OPEN, Tier.STAGED, Tier.RESTRICTED)

_NO_RULE = -1
_FLOOR = -2


@dataclass(frozen=True, eq=False)
class PolicyOutcome:
    """One policy's results over a population, in row order."""

    policy: Policy
    as_of: dt.date
    tiers: TierArray
    """Tier rank per row: 0 open, 1 staged, 2 restricted."""
    fired: BoolArray
    """``fired[i, j]``: rule ``i`` fired (held on known values) for row ``j``."""
    floor: BoolArray
    """True where a required risk domain has no evidence (the policy's missing-evidence floor applies)."""
    decider: npt.NDArray[np.int16]
    """Index of the deciding rule; -1 when no rule fired, -2 when the evidence floor set the tier."""
    not_ruled_out: BoolArray
    """``not_ruled_out[i, j]``: rule ``i`` would fire for row ``j`` only if an unknown input were high enough."""
    tiers_on_evidence: TierArray
    """Tier rank from fired rules alone: below ``tiers`` where the decision rests on missing evidence."""

    @cached_property
    def rests_on_missing_evidence(self) -> BoolArray:
        """Rows whose tier was raised by missing evidence: a rule not ruled out, or the evidence floor."""
        result: BoolArray = self.tiers > self.tiers_on_evidence
        return result

    def basis_counts(self) -> dict[str, int]:
        """How many rows were decided on evidence, and how many rest on missing evidence."""
        missing = int(self.rests_on_missing_evidence.sum())
        return {"on_evidence": len(self.tiers) - missing, "on_missing_evidence": missing}

    @property
    def ref(self) -> str:
        """``id@version`` of the policy."""
        return self.policy.ref

    @property
    def in_force(self) -> bool:
        """Whether the policy is in force on the comparison date."""
        return self.policy.in_force(self.as_of)

    @cached_property
    def reads_compute(self) -> bool:
        """True when some rule tests training compute."""
        return any(compile_policy(self.policy).reads(f) for f in COMPUTE_FEATURES)

    @cached_property
    def compute_rules(self) -> tuple[int, ...]:
        """Indexes of the rules that test training compute."""
        return tuple(
            i
            for i, rule in enumerate(self.policy.rules)
            if any(atom.feature in COMPUTE_FEATURES for atom in rule.when.atoms())
        )

    def tier(self, index: int) -> Tier:
        """The tier of row ``index``."""
        return TIERS[int(self.tiers[index])]

    def tier_counts(self) -> dict[str, int]:
        """How many rows fall in each tier (every tier listed)."""
        counts = np.bincount(self.tiers, minlength=3)
        return {tier.value: int(counts[tier.rank]) for tier in TIERS}

    @cached_property
    def label_masks(self) -> dict[str, BoolArray]:
        """Per label, the rows that carry it: a finding attaches it, or the evidence floor does.

        A finding is a fired rule, or a rule not ruled out whose policy says "cannot rule out" means crossed.
        """
        masks: dict[str, BoolArray] = {}
        crossed = compile_policy(self.policy).crossed_when_not_ruled_out
        for index, rule in enumerate(self.policy.rules):
            finding = self.fired[index] | self.not_ruled_out[index] if index in crossed else self.fired[index]
            for label in rule.labels:
                if label in masks:
                    masks[label] = masks[label] | finding
                else:
                    masks[label] = finding.copy()
        labels = self.policy.evidence.if_missing_labels if self.policy.evidence.required_domains else ()
        for label in labels:
            masks[label] = masks[label] | self.floor if label in masks else self.floor.copy()
        return dict(sorted(masks.items()))

    def label_counts(self) -> dict[str, int]:
        """How many rows carry each label the policy can attach (zero counts included)."""
        return {label: int(mask.sum()) for label, mask in self.label_masks.items()}

    def labels_of(self, index: int) -> list[str]:
        """The labels of row ``index``, sorted."""
        return [label for label, mask in self.label_masks.items() if mask[index]]

    def fired_rules(self, index: int) -> list[str]:
        """Ids of the rules that fired for row ``index``, in policy order."""
        return [self.policy.rules[i].id for i in np.flatnonzero(self.fired[:, index])]

    def not_ruled_out_rules(self, index: int) -> list[str]:
        """Ids of the rules not ruled out for row ``index``, in policy order."""
        return [self.policy.rules[i].id for i in np.flatnonzero(self.not_ruled_out[:, index])]

    def basis(self, index: int) -> str:
        """``evidence`` when the tier follows from what is known, else ``missing evidence``."""
        return "missing evidence" if self.rests_on_missing_evidence[index] else "evidence"

    def decided_by(self, index: int) -> str | None:
        """The deciding rule of row ``index``: a rule id, ``evidence.if_missing``, or None when nothing fired.

        A fired rule at the tier decides before a rule that is only not ruled out.
        """
        code = int(self.decider[index])
        if code == _FLOOR:
            return EVIDENCE_FLOOR
        if code == _NO_RULE:
            return None
        return self.policy.rules[code].id

    def deciding_text(self, index: int) -> str:
        """The deciding rule in words for tables: ``(not ruled out)`` marks a rule that is no finding."""
        rule = self.decided_by(index)
        if rule is None:
            return "no rule fired"
        code = int(self.decider[index])
        if code >= 0 and self.not_ruled_out[code, index]:
            return f"{rule} (not ruled out)"
        return rule

    def compute_note(self, index: int) -> str:
        """What the policy did with row ``index``'s training compute when it is unknown."""
        if not self.reads_compute:
            return "does not read training compute"
        fired = [self.policy.rules[i].id for i in self.compute_rules if self.fired[i, index]]
        waiting = [self.policy.rules[i].id for i in self.compute_rules if self.not_ruled_out[i, index]]
        parts = []
        if fired:
            parts.append("fired " + ", ".join(fired))
        if waiting:
            parts.append("not ruled out " + ", ".join(waiting))
        if parts:
            return "unknown compute is never read as below a threshold; " + "; ".join(parts)
        return "unknown compute is never read as below a threshold; no compute rule applies (other conditions unmet)"


def evaluate_outcome(population: Population, policy: Policy, as_of: dt.date) -> PolicyOutcome:
    """Evaluate ``policy`` over ``population`` with the vectorised evaluator."""
    vectorised = VectorisedPolicy(compile_policy(policy))
    arrays = population.feature_arrays(policy, as_of, vectorised.features)
    result = vectorised.evaluate(arrays)
    n = len(population)
    floor = result.floor
    decider = np.full(n, _NO_RULE, dtype=np.int16)
    order = sorted(range(len(policy.rules)), key=lambda i: (-policy.rules[i].tier.rank, policy.rules[i].id))
    for outcomes in (result.fired, result.not_ruled_out):
        for index in order:
            rule = policy.rules[index]
            choose = outcomes[index] & (decider == _NO_RULE) & (result.tiers == rule.tier.rank)
            decider[choose] = index
    if policy.evidence.required_domains:
        floor_rank = policy.evidence.if_missing_tier.rank
        decider[(decider == _NO_RULE) & floor & (result.tiers == floor_rank) & (floor_rank > 0)] = _FLOOR
    return PolicyOutcome(
        policy, as_of, result.tiers, result.fired, floor, decider, result.not_ruled_out, result.tiers_on_evidence
    )


def cohen_kappa(confusion: npt.NDArray[np.int64]) -> float | None:
    """Cohen's kappa of a square confusion matrix; None when chance agreement is 1 (undefined)."""
    total = int(confusion.sum())
    if total == 0:
        return None
    observed = float(np.trace(confusion)) / total
    rows = confusion.sum(axis=1) / total
    columns = confusion.sum(axis=0) / total
    expected = float(rows @ columns)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


@dataclass(frozen=True, eq=False)
class Agreement:
    """How two policies agree over the population."""

    left: PolicyOutcome
    right: PolicyOutcome
    confusion: npt.NDArray[np.int64]
    """``confusion[a, b]``: rows with tier ``a`` under the left policy and ``b`` under the right."""

    @property
    def share(self) -> float | None:
        """The share of rows with equal tiers (None for an empty population)."""
        total = int(self.confusion.sum())
        return None if total == 0 else float(np.trace(self.confusion)) / total

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa over the three tiers (None when undefined: both policies give one tier to all)."""
        return cohen_kappa(self.confusion)

    @cached_property
    def disagreements(self) -> npt.NDArray[np.intp]:
        """Rows on which the two tiers differ, in row order."""
        return np.flatnonzero(self.left.tiers != self.right.tiers)

    def document(self, population: Population, limit: int | None) -> dict[str, Any]:
        """The agreement as JSON-ready data, with at most ``limit`` disagreement rows."""
        rows = self.disagreements if limit is None else self.disagreements[:limit]
        return {
            "left": self.left.ref,
            "right": self.right.ref,
            "agreement": self.share,
            "kappa": self.kappa,
            "confusion": {a.value: {b.value: int(self.confusion[a.rank, b.rank]) for b in TIERS} for a in TIERS},
            "disagreements": len(self.disagreements),
            "disagreement_rows": [
                {
                    "model": population.label(int(i)),
                    "left_tier": self.left.tier(int(i)).value,
                    "left_rule": self.left.decided_by(int(i)),
                    "right_tier": self.right.tier(int(i)).value,
                    "right_rule": self.right.decided_by(int(i)),
                }
                for i in rows
            ],
        }


@dataclass(frozen=True, eq=False)
class Comparison:
    """Several policies over one population on one date."""

    population: Population
    as_of: dt.date
    outcomes: tuple[PolicyOutcome, ...]
    pairs: tuple[Agreement, ...]

    def outcome(self, ref: str) -> PolicyOutcome:
        """The outcome of the policy ``id@version``."""
        for outcome in self.outcomes:
            if outcome.ref == ref:
                return outcome
        raise KeyError(ref)

    @cached_property
    def unknown_compute(self) -> npt.NDArray[np.intp]:
        """Rows whose training compute is unknown."""
        return np.flatnonzero(~self.population.compute_known())

    def model(self, index: int) -> dict[str, Any]:
        """Row ``index`` with its tier, labels and deciding rule under each policy."""
        row = self.population.row(index)
        row["compute_unknown"] = row["training_flop"] is None and row["training_flop_upper"] is None
        row["policies"] = {
            o.ref: {
                "tier": o.tier(index).value,
                "labels": o.labels_of(index),
                "decided_by": o.decided_by(index),
                "basis": o.basis(index),
            }
            for o in self.outcomes
        }
        return row

    def models(self, limit: int | None = None, *, reporter: Reporter | None = None) -> Iterator[dict[str, Any]]:
        """Every row (or the first ``limit``) as :meth:`model` gives it."""
        count = len(self.population) if limit is None else min(limit, len(self.population))
        progress = reporter or SILENT
        progress.start("listing models", count)
        for index in range(count):
            if index % 10_000 == 0:
                progress.advance(min(10_000, count - index))
            yield self.model(index)
        progress.finish()

    def policy_summary(self, outcome: PolicyOutcome) -> dict[str, Any]:
        """One policy's identity, whether it is in force, and its counts per tier and label."""
        policy = outcome.policy
        return {
            "ref": policy.ref,
            "id": policy.id,
            "version": policy.version,
            "digest": policy.digest,
            "title": policy.title,
            "kind": policy.kind.value,
            "jurisdiction": policy.jurisdiction,
            "in_force": outcome.in_force,
            "reads_compute": outcome.reads_compute,
            "tiers": outcome.tier_counts(),
            "basis": outcome.basis_counts(),
            "labels": outcome.label_counts(),
        }

    def unknown_compute_rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        """For each row with unknown compute, what each policy decided and did with the unknown."""
        rows = self.unknown_compute if limit is None else self.unknown_compute[:limit]
        return [
            {
                "model": self.population.label(int(i)),
                "policies": {
                    o.ref: {
                        "tier": o.tier(int(i)).value,
                        "decided_by": o.decided_by(int(i)),
                        "compute": o.compute_note(int(i)),
                    }
                    for o in self.outcomes
                },
            }
            for i in rows
        ]

    def columns(self) -> dict[str, list[Any]]:
        """The results as columns, one row per model and policy (model order, then policy order).

        ``model`` (a unique label), ``row`` (its index in the population), ``policy`` (``id@version``),
        ``in_force``, ``tier``, ``decided_by`` (rule id, ``evidence.if_missing``, or None when no rule
        fired), ``labels`` (sorted, joined with ``"; "``) and ``basis`` (``evidence``, or ``missing
        evidence`` when missing evidence raised the tier).
        """
        n = len(self.population)
        models = [self.population.label(i) for i in range(n)]
        tier_names = np.array([t.value for t in TIERS], dtype=object)
        out: dict[str, list[Any]] = {k: [] for k in ("model", "row", "policy", "in_force", "tier", "decided_by")}
        out["labels"] = []
        out["basis"] = []
        for outcome in self.outcomes:
            ids = [rule.id for rule in outcome.policy.rules]
            lookup = np.array([*ids, None, EVIDENCE_FLOOR], dtype=object)
            decider = outcome.decider.astype(np.int64)
            labels: list[list[str]] = [[] for _ in range(n)]
            for label, mask in outcome.label_masks.items():
                for index in np.flatnonzero(mask):
                    labels[index].append(label)
            out["model"] += models
            out["row"] += list(range(n))
            out["policy"] += [outcome.ref] * n
            out["in_force"] += [outcome.in_force] * n
            out["tier"] += tier_names[outcome.tiers].tolist()
            out["decided_by"] += lookup[np.where(decider >= 0, decider, len(ids) - decider - 1)].tolist()
            out["labels"] += ["; ".join(found) for found in labels]
            out["basis"] += np.where(outcome.rests_on_missing_evidence, "missing evidence", "evidence").tolist()
        return out

    def to_pandas(self) -> pandas.DataFrame:
        """The :meth:`columns` as a pandas DataFrame (needs pandas: ``pip install pandas``)."""
        try:
            import pandas
        except ImportError as exc:
            raise ImportError("Comparison.to_pandas() needs pandas; it is not installed: pip install pandas") from exc
        frame = pandas.DataFrame(self.columns())
        frame["tier"] = pandas.Categorical(frame["tier"], categories=[t.value for t in TIERS], ordered=True)
        return frame

    def to_polars(self) -> polars.DataFrame:
        """The :meth:`columns` as a polars DataFrame (needs polars: ``pip install polars``)."""
        try:
            import polars
        except ImportError as exc:
            raise ImportError("Comparison.to_polars() needs polars; it is not installed: pip install polars") from exc
        tiers = polars.Enum([t.value for t in TIERS])
        return polars.DataFrame(self.columns()).with_columns(polars.col("tier").cast(tiers))

    def _repr_html_(self) -> str:
        """The comparison as escaped, self-contained HTML (Jupyter shows it for a cell's last value)."""
        from governance._html import comparison_html

        return comparison_html(self)

    def document(
        self, *, limit: int | None = None, models: bool = True, reporter: Reporter | None = None
    ) -> dict[str, Any]:
        """The whole comparison as JSON-ready data; ``limit`` caps every per-row list."""
        out: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "population": self.population.describe(),
            "policies": [self.policy_summary(o) for o in self.outcomes],
            "pairs": [pair.document(self.population, limit) for pair in self.pairs],
            "unknown_compute": {
                "count": len(self.unknown_compute),
                "rows": self.unknown_compute_rows(limit),
            },
        }
        if models:
            out["models"] = list(self.models(limit, reporter=reporter))
        if limit is not None:
            out["limit"] = limit
        return out


def compare_population(
    population: Population,
    policies: Sequence[Policy],
    *,
    as_of: dt.date,
    reporter: Reporter | None = None,
) -> Comparison:
    """Evaluate each policy over ``population`` and compare every pair.

    Raises:
        InputError: no policy was given, or the same policy version was given twice.
    """
    if not policies:
        raise InputError("give at least one policy to compare")
    refs = [p.ref for p in policies]
    repeated = sorted({r for r in refs if refs.count(r) > 1})
    if repeated:
        raise InputError(f"policy {', '.join(repeated)} was given more than once")
    progress = reporter or SILENT
    progress.start("evaluating policies", len(policies))
    outcomes: list[PolicyOutcome] = []
    for policy in policies:
        outcomes.append(evaluate_outcome(population, policy, as_of))
        progress.advance(1)
    progress.finish()
    pairs = []
    for left, right in itertools.combinations(outcomes, 2):
        codes = left.tiers.astype(np.int64) * 3 + right.tiers.astype(np.int64)
        confusion = np.bincount(codes, minlength=9).reshape(3, 3).astype(np.int64)
        pairs.append(Agreement(left, right, confusion))
    return Comparison(population, as_of, tuple(outcomes), tuple(pairs))
