"""``governance audit ...``: check an audit bundle or a proof offline, or a served log through its public tiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from governance.cli._app import app, console, print_json
from governance.cli._options import EvaluatorName, OutputFormat
from governance.cli.ledger import replay_and_report, verify_and_report
from governance.exceptions import InputError, VerificationError

__all__ = ["audit_app"]

audit_app = typer.Typer(
    help="Audit: verify and replay an exported bundle, verify a served log by its address, check proofs offline.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")


def _open_bundle(path: Path, origin: str | None) -> Any:
    from governance.ledger.bundle import Bundle

    bundle = Bundle.open(path)
    if origin is not None and bundle.origin != origin:
        raise VerificationError(f"{path} was exported from ledger {bundle.origin}, not from {origin}")
    return bundle


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such {what} file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc})") from exc
    except ValueError as exc:
        raise InputError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise InputError(f"{path}: not a {what} (expected a JSON object)")
    return document


@audit_app.command("verify")
def verify_command(
    bundle: str = typer.Argument(
        ...,
        help="The audit bundle (from `governance ledger export`), or the https:// address of a served ledger.",
        show_default=False,
    ),
    pubkey: Path | None = typer.Option(
        None,
        "--pubkey",
        help="Trusted public keys (obtained from the operator separately); default: the bundle's. "
        "Required for a served ledger.",
    ),
    checkpoint: Path | None = typer.Option(
        None, "--checkpoint", help="A signed checkpoint you kept earlier: the bundle's ledger must extend it."
    ),
    origin: str | None = typer.Option(None, "--origin", help="Refuse a bundle or log of any other ledger."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
    witness_keys: Path | None = typer.Option(
        None, "--witness-keys", help="A served ledger: public keys of the witnesses you trust, one a line."
    ),
    witnesses: int = typer.Option(0, "--witnesses", min=0, help="A served ledger: cosignatures required."),
) -> None:
    """Verify a bundle offline: every leaf hash, the Merkle tree and every checkpoint signature.

    Given a served ledger's address instead, verify it through its public log alone, as
    `ledger verify --ledger URL` does: the signed checkpoint, the tree its tiles rebuild and, with an
    auditor's token in GOVERNANCE_TOKEN, every entry and its replay (docs/service.md).
    Exits 6 naming the first bad entry and the kind of fault, or when the bundle is truncated or damaged.
    """
    if bundle.startswith(("http://", "https://")):
        from governance.cli.remote import verify_remote_cli

        verify_remote_cli(
            bundle, pubkey, checkpoint, output, witness_keys=witness_keys, quorum=witnesses, origin=origin
        )
        return
    if witness_keys is not None or witnesses:
        raise InputError("--witness-keys and --witnesses apply to a served ledger (an https:// address)")
    verify_and_report(_open_bundle(Path(bundle), origin), pubkey=pubkey, checkpoint=checkpoint, output=output)


@audit_app.command("replay")
def replay_command(
    bundle: Path = typer.Argument(..., help="The audit bundle.", show_default=False),
    evaluator: EvaluatorName = typer.Option(EvaluatorName.DURABLE_RULES, "--evaluator", help="Rule evaluator."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes."),
    show: int = typer.Option(10, "--show", min=0, help="Print at most this many mismatches in full."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Re-decide every entry of a bundle under the policy and suite versions it carries; exit 6 on any mismatch."""
    replay_and_report(_open_bundle(bundle, None), evaluator=evaluator, jobs=jobs, output=output, show=show)


@audit_app.command("proof")
def proof_command(
    proof: Path = typer.Argument(..., help="An inclusion proof (from `governance ledger prove`).", show_default=False),
    pubkey: Path | None = typer.Option(None, "--pubkey", help="Trusted public keys; default: the key in the proof."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Check an inclusion proof offline: the entry, its audit path and the signed checkpoint."""
    from governance.ledger.proofs import check_inclusion_document
    from governance.ledger.signing import load_verifier_keys

    keys = load_verifier_keys(pubkey) if pubkey else None
    check = check_inclusion_document(_read_json(proof, "proof"), keys)
    _report(check, output)


@audit_app.command("consistency")
def consistency_command(
    proof: Path = typer.Argument(
        ..., help="A consistency proof (from `governance ledger consistency`).", show_default=False
    ),
    checkpoint: Path = typer.Option(
        ..., "--checkpoint", help="The signed checkpoint you kept earlier.", show_default=False
    ),
    pubkey: Path | None = typer.Option(None, "--pubkey", help="Trusted public keys; default: the key in the proof."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Check that the ledger only grew since a checkpoint you kept (nothing before it changed or vanished)."""
    from governance.cli.ledger import trusted_checkpoint
    from governance.ledger.proofs import check_consistency_document
    from governance.ledger.signing import load_verifier_keys

    old = trusted_checkpoint(checkpoint)
    assert old is not None
    keys = load_verifier_keys(pubkey) if pubkey else None
    check = check_consistency_document(_read_json(proof, "proof"), old, keys)
    _report(check, output)


def _report(check: Any, output: OutputFormat) -> None:
    trust = "a key you gave (--pubkey)" if check.trusted else "the key inside the proof (pass --pubkey to trust it)"
    if output is OutputFormat.JSON:
        print_json(
            {
                "ok": True,
                "origin": check.origin,
                "tree_size": check.tree_size,
                "key": check.key.text(),
                "trusted_key": check.trusted,
                "detail": check.detail,
            }
        )
        return
    console.print(f"proof verified: {check.detail}", markup=False)
    console.print(f"  ledger {check.origin}; checkpoint signed by {check.key.name} ({check.key.key_id}), {trust}")
