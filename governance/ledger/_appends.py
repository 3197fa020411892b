"""The appends a ledger's entries show, and the checkpoint each append must have left behind.

Every append writes its entries and one checkpoint in one transaction, with one timestamp: each
entry's ``recorded_at`` (which its leaf hash covers) equals the ``signed_at`` of the checkpoint
that append signed, whose size is one past the append's last entry. So the entries recorded at one
time must end exactly at a checkpoint signed at that time. A checkpoint deleted from the middle of
the ledger breaks this for the entries it covered, although later checkpoints still cover them.

Two appends that share a timestamp (within the clock's resolution, or with the clock set back: the
store never records a time earlier than the last one) look like one append here, so the checkpoint
between them can be deleted unnoticed; only the signed state at that size is lost, as every entry
stays covered by the next checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from governance.ledger.records import StoredCheckpoint

__all__ = ["AppendRun", "append_runs", "unsigned_append"]

AppendRun = tuple[str, int, int]
"""Entries recorded at one time: (recorded_at, first seq, last seq)."""


def _text(value: object) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def append_runs(pairs: Iterable[tuple[int, object]]) -> list[AppendRun]:
    """The runs of consecutive entries sharing a recorded time, from (seq, recorded_at) in seq order."""
    runs: list[AppendRun] = []
    for seq, recorded in pairs:
        time = _text(recorded)
        if runs and runs[-1][0] == time and runs[-1][2] == seq - 1:
            runs[-1] = (time, runs[-1][1], seq)
        else:
            runs.append((time, seq, seq))
    return runs


def unsigned_append(runs: Sequence[AppendRun], checkpoints: Sequence[StoredCheckpoint]) -> tuple[int, str] | None:
    """The first run of entries whose append left no checkpoint, as (its first seq, why), or None."""
    signed = {(checkpoint.tree_size, checkpoint.signed_at) for checkpoint in checkpoints}
    for time, first, last in runs:
        if (last + 1, time) not in signed:
            return first, (
                f"entries {first} to {last} were recorded at {time}, but the checkpoint their append signed "
                f"at that time (size {last + 1}) is missing: a checkpoint was deleted"
            )
    return None
