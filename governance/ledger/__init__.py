"""The tamper-evident decision ledger: append-only storage, Merkle checkpoints, verify, replay, bundles.

Every decision can be appended, with the candidate it was made for and the exact policy version used,
to a ledger in SQLite (the default file ``governance-ledger.sqlite``) or PostgreSQL. Entries form an
RFC 6962 Merkle tree; each append ends with an Ed25519-signed checkpoint of the tree's size and root.
An auditor who did not write the ledger can verify it (nothing altered, inserted, removed or
reordered), replay it (every decision reproduces byte for byte from the policy stored with it), and
do both offline from an exported JSON Lines audit bundle::

    from governance import decide, load_candidate, load_policy
    from governance.ledger import Ledger, record_decisions, verify_source

    candidate = load_candidate("examples/candidates/small-open-model.yaml")
    policy = load_policy("illustrative-capability")
    record_decisions([(candidate, policy, decide(candidate, policy))], ledger="governance-ledger.sqlite")
    with Ledger.open("governance-ledger.sqlite") as ledger, ledger.read() as reader:
        verify_source(reader).raise_for_fault()

``docs/ledger.md`` specifies the format; ``docs/audit.md`` walks an auditor through the commands.
"""

from __future__ import annotations

from governance.ledger.bundle import Bundle, BundleSummary, export_bundle
from governance.ledger.entry import EntryRow, PendingEntry, leaf_bytes, prepare_entry
from governance.ledger.merkle import (
    CompactRange,
    MemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from governance.ledger.proofs import (
    check_consistency_document,
    check_inclusion_document,
    consistency_document,
    inclusion_document,
)
from governance.ledger.record import record_decisions, signing_key_for
from governance.ledger.replay import Mismatch, ReplayReport, replay_source
from governance.ledger.signing import Checkpoint, SignedCheckpoint, SigningKey, VerifierKey, load_verifier_keys
from governance.ledger.store import AppendResult, Ledger, LedgerLocation, LedgerReader, resolve_location
from governance.ledger.verify import Fault, FaultKind, VerificationReport, verify_source
from governance.ledger.whatif import TierChange, WhatIfReport, what_if

__all__ = [
    "AppendResult",
    "Bundle",
    "BundleSummary",
    "Checkpoint",
    "CompactRange",
    "EntryRow",
    "Fault",
    "FaultKind",
    "Ledger",
    "LedgerLocation",
    "LedgerReader",
    "MemoryTree",
    "Mismatch",
    "PendingEntry",
    "ProofError",
    "ReplayReport",
    "SignedCheckpoint",
    "SigningKey",
    "TierChange",
    "VerificationReport",
    "VerifierKey",
    "WhatIfReport",
    "check_consistency_document",
    "check_inclusion_document",
    "consistency_document",
    "consistency_proof",
    "export_bundle",
    "inclusion_document",
    "inclusion_proof",
    "leaf_bytes",
    "leaf_hash",
    "load_verifier_keys",
    "node_hash",
    "prepare_entry",
    "record_decisions",
    "replay_source",
    "resolve_location",
    "signing_key_for",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
    "verify_source",
    "what_if",
]
