"""``governance ledger verify --ledger https://…``: verify a served ledger through its public log.

Without a token, everything an outsider can check: the checkpoint's signature by a key you trust
(``--pubkey``, required), the tree the hash tiles rebuild, and, with ``--checkpoint``, that the log
extends the checkpoint you kept. With an auditor's token in ``GOVERNANCE_TOKEN``, also every entry
(each leaf against its tile hash) and the audit bundle: verified in full, tied to the same signed
tree, and replayed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from governance.cli._app import console, print_json
from governance.cli._options import OutputFormat
from governance.exceptions import InputError, VerificationError

if TYPE_CHECKING:
    from governance.ledger.signing import SignedCheckpoint, VerifierKey
    from governance.service.witness import CosignerKey

__all__ = ["verify_remote_cli"]


def _witness_keys(path: Path | None) -> list[CosignerKey]:
    from governance.service.witness import CosignerKey

    if path is None:
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the witness keys ({exc.strerror})") from exc
    keys = [
        CosignerKey.parse(line.strip(), source=f"{path}:{number}")
        for number, line in enumerate(lines, start=1)
        if line.strip() and not line.strip().startswith("#")
    ]
    if not keys:
        raise InputError(f"{path}: no witness key in the file")
    return keys


def _kept(path: Path | None, keys: list[VerifierKey]) -> SignedCheckpoint | None:
    from governance.service.remote import log_checkpoint

    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the checkpoint ({exc.strerror})") from exc
    return log_checkpoint(text, keys, str(path))[0]


def verify_remote_cli(
    url: str,
    pubkey: Path | None,
    checkpoint: Path | None,
    output: OutputFormat,
    *,
    witness_keys: Path | None = None,
    quorum: int = 0,
    origin: str | None = None,
) -> None:
    """Verify the log served at ``url``; print a summary; raise VerificationError on a fault.

    With ``origin``, a log of any other origin is refused before anything else is read from it.
    """
    from governance.cli.ledger import trusted_keys
    from governance.ledger.bundle import Bundle
    from governance.ledger.replay import replay_source
    from governance.ledger.verify import verify_source
    from governance.service.remote import TOKEN_ENV, RemoteLog, verify_remote

    keys = trusted_keys(pubkey)
    if keys is None:
        raise InputError("--pubkey: a served ledger is trusted only against a public key you obtained separately")
    token = os.environ.get(TOKEN_ENV) or None
    kept = _kept(checkpoint, keys)
    witnesses = _witness_keys(witness_keys)
    if quorum > len(witnesses):
        raise InputError(f"--witnesses {quorum}: only {len(witnesses)} witness key(s) given with --witness-keys")
    log = RemoteLog(url, token=token)
    replayed = 0
    try:
        report = verify_remote(
            log, keys, kept=kept, entries=token is not None, witnesses=witnesses, quorum=quorum, origin=origin
        )
        if token is not None:
            with tempfile.TemporaryDirectory(prefix="governance-remote-") as folder:
                path = Path(folder) / "bundle.jsonl"
                log.download("v1/bundle", path)
                bundle = Bundle.open(path)
                if bundle.origin != report.origin:
                    raise VerificationError(f"the served bundle is of log {bundle.origin}, not {report.origin}")
                signed = {(c.tree_size, c.root_hash.hex()) for c in bundle.checkpoints()}
                if (report.tree_size, report.root_hash) not in signed:
                    raise VerificationError(
                        "the served bundle does not hold the checkpoint the tiles were checked against"
                    )
                verify_source(bundle, trusted_keys=keys, trusted_checkpoint=kept).raise_for_fault()
                replay = replay_source(bundle)
                replay.raise_for_mismatch()
                replayed = replay.reproduced
    finally:
        log.close()
    if output is OutputFormat.JSON:
        print_json({**report.document(), "replayed": replayed if token is not None else None})
        return
    signer = report.key.split("+")[0]
    console.print(
        f"{url}: the checkpoint of {report.tree_size:,} entries signed at {report.signed_at} by {signer} "
        f"matches the tree rebuilt from {report.tiles_fetched} tiles",
        markup=False,
    )
    if report.witnesses:
        names = ", ".join(report.witnesses)
        console.print(f"  cosigned by {len(report.witnesses)} trusted witness(es): {names}", markup=False)
    if report.extends is not None:
        console.print(
            f"  it extends the checkpoint you kept ({report.extends:,} entries): nothing was rewritten", markup=False
        )
    if token is not None:
        console.print(
            f"  {report.entries_checked:,} entries hash to their leaves; the audit bundle verifies, and "
            f"{replayed:,} decisions replay byte for byte",
            markup=False,
        )
    else:
        console.print(
            "  entries not read: set GOVERNANCE_TOKEN to an auditor's key to check and replay them", markup=False
        )
