"""governance: a decision engine for AI model releases.

Compute a release tier (``open`` < ``staged`` < ``restricted``) for a pending release from its
capability evidence and compute, under versioned, content-addressed threshold policies::

    from governance import Candidate, decide, load_policy

    from governance import load_candidate

    candidate = load_candidate("examples/candidates/frontier-closed.yaml")
    decision = decide(candidate, load_policy("illustrative-capability"))
    print(decision.tier, [reason.rule for reason in decision.reasons])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Every public name is imported from its module the first time it is used, so that ``import governance``
# (and the command line, which lives inside the package) costs nothing until a name is needed.
_LAZY = {
    "BUILTIN_DOMAINS": "governance.candidate",
    "Candidate": "governance.candidate",
    "CapabilityScore": "governance.candidate",
    "Compute": "governance.candidate",
    "Developer": "governance.candidate",
    "Elicitation": "governance.candidate",
    "EvaluationResult": "governance.candidate",
    "FlopInterval": "governance.candidate",
    "ModelInfo": "governance.candidate",
    "Release": "governance.candidate",
    "ReleaseForm": "governance.candidate",
    "canonical_bytes": "governance.canonical",
    "canonical_digest": "governance.canonical",
    "check_policy": "governance.checks",
    "CompiledPolicy": "governance.compiled",
    "compile_policy": "governance.compiled",
    "Decision": "governance.decision",
    "NearestThreshold": "governance.decision",
    "Reason": "governance.decision",
    "decide": "governance.engine",
    "EngineError": "governance.exceptions",
    "EvidenceError": "governance.exceptions",
    "GovernanceError": "governance.exceptions",
    "InputError": "governance.exceptions",
    "LedgerError": "governance.exceptions",
    "OutputError": "governance.exceptions",
    "PolicyError": "governance.exceptions",
    "PolicyNotFoundError": "governance.exceptions",
    "PolicyValidationError": "governance.exceptions",
    "Problem": "governance.exceptions",
    "VerificationError": "governance.exceptions",
    "FeatureVector": "governance.features",
    "extract_features": "governance.features",
    "discover_policies": "governance.loader",
    "load_candidate": "governance.loader",
    "load_policy": "governance.loader",
    "resolve_policies": "governance.loader",
    "Atom": "governance.policy",
    "Condition": "governance.policy",
    "Policy": "governance.policy",
    "PolicyKind": "governance.policy",
    "Rule": "governance.policy",
    "Tier": "governance.tiers",
    # the comparison subsystem needs numpy
    "Ageing": "governance.compare.ageing",
    "Comparison": "governance.compare.comparison",
    "PolicyDiff": "governance.compare.policy_diff",
    "Population": "governance.compare.population",
    "RegionDiff": "governance.compare.region_diff",
    "Sweep": "governance.compare.sweep",
    "compare_population": "governance.compare.comparison",
    "compute_ageing": "governance.compare.ageing",
    "diff_policies": "governance.compare.policy_diff",
    "evaluate_population": "governance.vectorised",
    "load_population": "governance.compare.population_io",
    "region_diff": "governance.compare.region_diff",
    "sweep_population": "governance.compare.sweep",
}

if TYPE_CHECKING:
    from governance.candidate import (
        BUILTIN_DOMAINS,
        Candidate,
        CapabilityScore,
        Compute,
        Developer,
        Elicitation,
        EvaluationResult,
        FlopInterval,
        ModelInfo,
        Release,
        ReleaseForm,
    )
    from governance.canonical import canonical_bytes, canonical_digest
    from governance.checks import check_policy
    from governance.compare.ageing import Ageing, compute_ageing
    from governance.compare.comparison import Comparison, compare_population
    from governance.compare.policy_diff import PolicyDiff, diff_policies
    from governance.compare.population import Population
    from governance.compare.population_io import load_population
    from governance.compare.region_diff import RegionDiff, region_diff
    from governance.compare.sweep import Sweep, sweep_population
    from governance.compiled import CompiledPolicy, compile_policy
    from governance.decision import Decision, NearestThreshold, Reason
    from governance.engine import decide
    from governance.exceptions import (
        EngineError,
        EvidenceError,
        GovernanceError,
        InputError,
        LedgerError,
        OutputError,
        PolicyError,
        PolicyNotFoundError,
        PolicyValidationError,
        Problem,
        VerificationError,
    )
    from governance.features import FeatureVector, extract_features
    from governance.loader import discover_policies, load_candidate, load_policy, resolve_policies
    from governance.policy import Atom, Condition, Policy, PolicyKind, Rule
    from governance.tiers import Tier
    from governance.vectorised import evaluate_population

    __version__: str


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value = importlib.import_module("governance.engine").ENGINE_VERSION
    else:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'governance' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "BUILTIN_DOMAINS",
    "Ageing",
    "Atom",
    "Candidate",
    "CapabilityScore",
    "Comparison",
    "CompiledPolicy",
    "Compute",
    "Condition",
    "Decision",
    "Developer",
    "Elicitation",
    "EngineError",
    "EvaluationResult",
    "EvidenceError",
    "FeatureVector",
    "FlopInterval",
    "GovernanceError",
    "InputError",
    "LedgerError",
    "ModelInfo",
    "NearestThreshold",
    "OutputError",
    "Policy",
    "PolicyDiff",
    "PolicyError",
    "PolicyKind",
    "PolicyNotFoundError",
    "PolicyValidationError",
    "Population",
    "Problem",
    "Reason",
    "RegionDiff",
    "Release",
    "ReleaseForm",
    "Rule",
    "Sweep",
    "Tier",
    "VerificationError",
    "__version__",
    "canonical_bytes",
    "canonical_digest",
    "check_policy",
    "compare_population",
    "compile_policy",
    "compute_ageing",
    "decide",
    "diff_policies",
    "discover_policies",
    "evaluate_population",
    "extract_features",
    "load_candidate",
    "load_policy",
    "load_population",
    "region_diff",
    "resolve_policies",
    "sweep_population",
]
