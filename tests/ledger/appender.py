"""A process that appends to a ledger, for the concurrency and crash tests (run as a script).

Usage: ``python tests/ledger/appender.py LEDGER SCHEMA KEYFILE LABEL COUNT BATCH``. COUNT 0 appends
until killed. Each committed append prints ``appended <seq> <decision ids>`` and flushes.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from governance.ledger.entry import prepare_entry
from governance.ledger.signing import SigningKey
from governance.ledger.store import Ledger
from tests.ledger.builders import items


def main(argv: list[str]) -> int:
    """Append COUNT entries (or forever) BATCH at a time, one transaction per batch."""
    where, schema, key_file, label, count_text, batch_text = argv
    count, batch = int(count_text), int(batch_text)
    key = SigningKey.load(Path(key_file))
    templates = [prepare_entry(c, p, d, actor=label) for c, p, d in items(4)]
    ledger = Ledger.open(where, create=True, schema=schema or None)
    done = 0
    while count == 0 or done < count:
        size = batch if count == 0 else min(batch, count - done)
        pending = [
            dataclasses.replace(templates[(done + i) % len(templates)], decision_id=f"{label}-{done + i}")
            for i in range(size)
        ]
        results = ledger.append_many(pending, key)
        done += size
        print("appended", results[-1].seq, " ".join(r.decision_id for r in results), flush=True)
    ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
