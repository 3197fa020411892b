"""The leaf encoding equals RFC 8785 of the leaf object; entries are checked before any transaction."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance import decide, load_policy
from governance.canonical import CANONICAL_FORM, canonical_bytes
from governance.exceptions import InputError
from governance.ledger.entry import EntryRow, leaf_bytes, leaf_object, prepare_entry
from tests.ledger.builders import AS_OF, items, varied_candidates

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


class TestLeafBytes:
    """Splicing the stored canonical documents gives exactly the canonical JSON of the leaf object."""

    @given(actor=TEXT, decision_id=TEXT, recorded_at=TEXT, digest=TEXT, seq=st.integers(0, 2**53 - 1))
    def test_equals_canonical_form(self, actor: str, decision_id: str, recorded_at: str, digest: str, seq: int) -> None:
        """Any strings (quotes, backslashes, control characters, astral characters) and any seq."""
        candidate = {"model": {"name": actor}, "x": [1.5, 1e25, None, True]}
        decision = {"tier": "open", "note": decision_id}
        encoded = leaf_bytes(
            seq,
            decision_id,
            recorded_at,
            actor,
            canonical_bytes(candidate),
            canonical_bytes(decision),
            digest,
            CANONICAL_FORM,
        )
        expected = {
            "actor": actor,
            "candidate": candidate,
            "canon": CANONICAL_FORM,
            "decision": decision,
            "decision_id": decision_id,
            "policy_digest": digest,
            "recorded_at": recorded_at,
            "seq": seq,
        }
        assert encoded == canonical_bytes(expected)
        assert json.loads(encoded) == expected

    def test_leaf_object_reads_back_the_documents(self) -> None:
        """leaf_object parses the stored documents again."""
        row = EntryRow(3, "d", "t", "a", b'{"a":1}', b'{"b":2}', "sha256:x", CANONICAL_FORM, b"", b"")
        assert leaf_object(row)["candidate"] == {"a": 1}
        assert canonical_bytes(leaf_object(row)) == leaf_bytes(*row[:8])


class TestPrepareEntry:
    """A decision is accepted only with its own candidate and policy, and a usable actor and id."""

    def test_accepts_matching_triple(self) -> None:
        """The prepared entry carries canonical bytes of all three documents."""
        candidate, policy, decision = items(1)[0]
        entry = prepare_entry(candidate, policy, decision, actor="lab-ci")
        assert entry.candidate == canonical_bytes(candidate.document())
        assert entry.decision == decision.canonical_json()
        assert entry.policy.digest == policy.digest
        assert entry.policy.document == canonical_bytes(policy.document())
        assert entry.canon == CANONICAL_FORM

    def test_refuses_another_candidate(self) -> None:
        """The decision names a different candidate digest."""
        first, second = varied_candidates(2)
        policy = load_policy("illustrative-capability@1.0")
        decision = decide(first, policy, as_of=AS_OF)
        with pytest.raises(InputError, match="made for candidate"):
            prepare_entry(second, policy, decision, actor="x")

    def test_refuses_another_policy(self) -> None:
        """The decision was made under another policy version."""
        candidate, policy, decision = items(1)[0]
        other = policy.with_thresholds(critical=0.79)
        with pytest.raises(InputError, match="policy digest"):
            prepare_entry(candidate, other, decision, actor="x")

    @pytest.mark.parametrize("actor", ["", "   ", "a\nb", "x" * 201])
    def test_refuses_bad_actor(self, actor: str) -> None:
        """Empty, blank, control characters or too long."""
        candidate, policy, decision = items(1)[0]
        with pytest.raises(InputError, match="actor"):
            prepare_entry(candidate, policy, decision, actor=actor)

    @pytest.mark.parametrize("decision_id", ["", "-starts-with-dash", "has space", "x" * 129])
    def test_refuses_bad_decision_id(self, decision_id: str) -> None:
        """Ids are 1-128 safe characters starting alphanumeric."""
        candidate, policy, decision = items(1)[0]
        with pytest.raises(InputError, match="decision id"):
            prepare_entry(candidate, policy, decision, actor="x", decision_id=decision_id)

    def test_refuses_wrong_types(self) -> None:
        """Documents instead of models are refused."""
        candidate, policy, decision = items(1)[0]
        with pytest.raises(InputError):
            prepare_entry(candidate.document(), policy, decision, actor="x")  # type: ignore[arg-type]
