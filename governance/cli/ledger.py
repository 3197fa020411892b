"""``governance ledger ...``: keys, verify, replay, export, proofs, list, show, what-if, migrate.

The ledger modules (and SQLAlchemy) are imported inside each command, so that commands which never
touch a ledger start as fast as before.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from governance._files import is_stdout, write_output
from governance.cli._app import app, console, parse_date, print_json, stderr_console
from governance.cli._options import EvaluatorName, OutputFormat
from governance.cli.render import print_keyed_rows, render_decision, tier_text
from governance.exceptions import InputError
from governance.tiers import Tier

if TYPE_CHECKING:
    from governance.candidate import Candidate
    from governance.decision import Decision
    from governance.ledger.replay import ReplayReport
    from governance.ledger.signing import SignedCheckpoint, VerifierKey
    from governance.ledger.verify import VerificationReport
    from governance.policy import Policy

__all__ = ["ledger_app", "progress_bar", "record_and_verify_demo", "record_decisions_cli"]

ledger_app = typer.Typer(
    help="The tamper-evident decision ledger: keys, verify, replay, export, proofs, list, show, what-if.",
    no_args_is_help=True,
)
app.add_typer(ledger_app, name="ledger")

_err = stderr_console
LEDGER_HELP = (
    "Ledger: a SQLite file or a postgresql:// URL (default $GOVERNANCE_LEDGER, else ./governance-ledger.sqlite)."
)


_TIERS = frozenset(tier.value for tier in Tier)


class TierName(StrEnum):
    """A tier, for filters."""

    OPEN = "open"
    STAGED = "staged"
    RESTRICTED = "restricted"


@contextlib.contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for long passes (none when stderr is not a terminal)."""
    if not _err.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=_err, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.update(task, completed=done)


def _note(message: str) -> None:
    _err.print(message, markup=False)


def _write_or_print(text: str, out: Path | None, *, force: bool) -> None:
    """Print ``text``, or write it to ``out`` as every output is written (see :mod:`governance._files`)."""
    text = text if text.endswith("\n") else text + "\n"
    if out is None or is_stdout(out):
        sys.stdout.write(text)
        return
    write_output(out, text, force=force)
    _note(f"wrote {out}")


def trusted_keys(pubkey: Path | None) -> list[VerifierKey] | None:
    from governance.ledger.signing import load_verifier_keys

    return None if pubkey is None else load_verifier_keys(pubkey)


def trusted_checkpoint(path: Path | None) -> SignedCheckpoint | None:
    if path is None:
        return None
    from governance.ledger.signing import SignedCheckpoint

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such checkpoint file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the checkpoint ({exc})") from exc
    return SignedCheckpoint.parse_note(text, source=str(path))


# -- recording (used by decide --record and demo --record) ------------------------------------------


def record_decisions_cli(
    items: Sequence[tuple[Candidate, Policy, Decision]],
    *,
    ledger: str | None,
    actor: str | None,
    key: Path | None,
) -> str:
    """Append the decisions to the ledger in one transaction and say so on stderr; return the ledger's name."""
    from governance.ledger.record import record_decisions
    from governance.ledger.store import resolve_location

    location = resolve_location(ledger)
    new = location.sqlite_path is not None and not location.sqlite_path.exists()
    results = record_decisions(items, ledger=location, actor=actor, key=key)
    if new and results:
        _note(f"started a new ledger at {location.display} (the file did not exist)")
    if results:
        first, last = results[0], results[-1]
        span = f"seq {first.seq}" if first.seq == last.seq else f"seq {first.seq}-{last.seq}"
        _note(
            f"recorded {len(results)} decision(s) in {location.display} ({span}); signed checkpoint at size "
            f"{last.tree_size}, root {last.root_hash[:16]}…"
        )
    return location.display


def record_and_verify_demo(items: Sequence[tuple[Candidate, Policy, Decision]], ledger: str | None) -> str:
    """``demo --record``: append the demo decisions, verify the whole ledger, and return a summary line."""
    from governance.ledger.store import Ledger, resolve_location
    from governance.ledger.verify import verify_source

    location = resolve_location(ledger)
    record_decisions_cli(items, ledger=location.url, actor=None, key=None)
    with Ledger.open(location, read_only=True) as opened, opened.read() as reader:
        report = verify_source(reader)
    report.raise_for_fault()
    return (
        f"recorded {len(items)} decisions; verified {location.display}: {report.entries:,} entries, "
        f"{report.checkpoints:,} signed checkpoints, root {report.root.hex()[:16]}…; "
        "next: governance ledger replay, governance ledger export --bundle FILE"
    )


def _verify_summary(report: VerificationReport) -> list[str]:
    lines = [f"verified {report.source}", f"  origin       {report.origin}"]
    lines.append(f"  entries      {report.entries:,}   tree root {report.root.hex()}")
    lines.append(f"  policies     {report.policies} version(s), each document hashes to its digest")
    lines.append(f"  suites       {report.suites} evaluation-suite version(s), each document hashes to its digest")
    if report.latest is not None:
        cp = report.latest
        lines.append(
            f"  checkpoints  {report.checkpoints:,}; latest: size {cp.checkpoint.tree_size:,} at {cp.checkpoint.time}, "
            f"signed by {cp.key_name} ({cp.key_id})"
        )
    else:
        lines.append("  checkpoints  none (the ledger is empty)")
    if report.trusted_checkpoint is not None:
        lines.append(
            f"  extends      the checkpoint you trust (size {report.trusted_checkpoint.checkpoint.tree_size:,})"
        )
    if report.trust == "pubkey":
        lines.append("  trust        signatures checked against the key(s) you gave (--pubkey)")
    else:
        lines.append(
            "  trust        signatures checked against the keys the ledger (or bundle) carries itself; pass "
            "--pubkey with a key you obtained separately to rule out a re-signed copy"
        )
    return lines


def verify_and_report(
    source: Any, *, pubkey: Path | None, checkpoint: Path | None, output: OutputFormat, jobs: int | None = 1
) -> VerificationReport:
    """Verify a ledger reader or bundle with a progress bar; print the summary; raise on a fault."""
    from governance.ledger.verify import verify_source

    trusted = trusted_keys(pubkey)
    trusted_cp = trusted_checkpoint(checkpoint)
    with progress_bar("verifying", source.entry_count()) as bar:
        report = verify_source(source, trusted_keys=trusted, trusted_checkpoint=trusted_cp, progress=bar, jobs=jobs)
    if output is OutputFormat.JSON:
        print_json(report.document())
    elif report.ok:
        for line in _verify_summary(report):
            console.print(line, markup=False)
    report.raise_for_fault()
    return report


def replay_and_report(source: Any, *, evaluator: EvaluatorName, jobs: int, output: OutputFormat, show: int) -> None:
    """Replay a ledger reader or bundle with a progress bar; print mismatches with diffs; raise if any."""
    from governance.ledger.replay import replay_source

    with progress_bar("replaying", source.entry_count()) as bar:
        report = replay_source(source, evaluator=evaluator.value, jobs=jobs, progress=bar)
    if output is OutputFormat.JSON:
        print_json(report.document())
    else:
        _print_replay(report, show)
    report.raise_for_mismatch()


def _print_replay(report: ReplayReport, show: int) -> None:
    console.print(
        f"replayed {report.entries:,} entries of {report.source} under the policy and suite versions stored with them "
        f"(engine {report.engine_version}): {report.reproduced:,} reproduce byte for byte, "
        f"{len(report.mismatches):,} do not",
        markup=False,
    )
    for mismatch in report.mismatches[:show]:
        console.print(f"\nseq {mismatch.seq}  decision {mismatch.decision_id}: {mismatch.kind}: {mismatch.detail}")
        for change in mismatch.changes[:12]:
            console.print(f"  {change.text()}", markup=False)
        if mismatch.diff:
            console.print(mismatch.diff, markup=False, highlight=False)
    if len(report.mismatches) > show:
        console.print(f"\n... and {len(report.mismatches) - show} more (use --show N or --format json)")


# -- commands -----------------------------------------------------------------------------------------


@ledger_app.command("init")
def init_command(
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    key: Path | None = typer.Option(
        None,
        "--key",
        help="Sign with this existing key, or write the new key here (default: beside a SQLite ledger, <name>.key).",
    ),
) -> None:
    """Start a new, empty ledger deliberately, with its signing key; refuses where any file or ledger already is."""
    from governance.ledger.record import init_ledger
    from governance.ledger.store import resolve_location

    location = resolve_location(ledger)
    opened, signing, created = init_ledger(location, key)
    with opened:
        origin = opened.origin
    _note(f"started a new ledger at {location.display} (origin {origin})")
    if created:
        _note(f"wrote its signing key {signing.name} ({signing.key_id}); keep it private")
    else:
        _note(f"signed with the existing key {signing.name} ({signing.key_id})")
    sys.stdout.write(signing.verifier().text() + "\n")


@ledger_app.command("keygen")
def keygen_command(
    key: Path | None = typer.Option(
        None, "--key", help="Where to write the private key (default: beside a SQLite ledger, <name>.key)."
    ),
    name: str | None = typer.Option(None, "--name", help="Key name (default: the ledger's origin)."),
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
) -> None:
    """Create an Ed25519 signing key, register its public key in the ledger, and print the public key."""
    from governance.ledger.record import resolve_key_path
    from governance.ledger.signing import SigningKey
    from governance.ledger.store import Ledger, resolve_location

    location = resolve_location(ledger)
    path, _explicit = resolve_key_path(key, location)
    if path is None:
        raise InputError("--key FILE is required for a PostgreSQL ledger (where to keep the private key)")
    if path.exists():
        raise InputError(f"{path}: a file is already there; refusing to overwrite a key")
    with Ledger.open(location, create=True) as opened:
        signing = SigningKey.generate(name or opened.origin)
        signing.save(path)
        try:
            opened.register_key(signing.verifier())
        except BaseException:
            path.unlink()
            raise
    _note(f"wrote signing key {signing.name} ({signing.key_id}) to {path}; keep it private")
    _note(f"registered its public key in {location.display}; give auditors this line (governance ledger pubkey):")
    sys.stdout.write(signing.verifier().text() + "\n")


@ledger_app.command("pubkey")
def pubkey_command(
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    key: Path | None = typer.Option(None, "--key", help="Print the public key of this private key file instead."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file instead of stdout."),
    force: bool = typer.Option(False, "--force", help="Replace the --out file if it exists."),
) -> None:
    """Print the public key(s) that sign the ledger's checkpoints, one verifier key per line."""
    from governance.ledger.signing import SigningKey
    from governance.ledger.store import Ledger

    if key is not None:
        lines = [SigningKey.load(key).verifier().text()]
    else:
        with Ledger.open(ledger, read_only=True) as opened:
            lines = [stored.verifier().text() for stored in opened.registered_keys()]
        if not lines:
            raise InputError("the ledger has no registered key yet; create one with `governance ledger keygen`")
    _write_or_print("\n".join(lines), out, force=force)


@ledger_app.command("checkpoint")
def checkpoint_command(
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the signed note to this file."),
    force: bool = typer.Option(False, "--force", help="Replace the --out file if it exists."),
) -> None:
    """Print the latest signed checkpoint (a C2SP signed note). Keep it: `verify --checkpoint` checks against it."""
    from governance.exceptions import LedgerError
    from governance.ledger.store import Ledger

    with Ledger.open(ledger, read_only=True) as opened:
        signed = opened.latest_signed_checkpoint()
        if signed is None:
            raise LedgerError(f"{opened.location.display}: the ledger is empty: no checkpoint yet")
    _write_or_print(signed.note(), out, force=force)


@ledger_app.command("verify")
def verify_command(
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    pubkey: Path | None = typer.Option(
        None, "--pubkey", help="File of trusted public keys (from `ledger pubkey`); default: the ledger's own."
    ),
    checkpoint: Path | None = typer.Option(
        None, "--checkpoint", help="A signed checkpoint you kept earlier: the ledger must extend it."
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", min=1, help="Worker processes for large ledgers (default: one per CPU)."
    ),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
    witness_keys: Path | None = typer.Option(
        None, "--witness-keys", help="A served ledger: public keys of the witnesses you trust, one a line."
    ),
    witnesses: int = typer.Option(0, "--witnesses", min=0, help="A served ledger: cosignatures required."),
) -> None:
    """Recompute every leaf hash, the Merkle tree and every checkpoint signature.

    With --ledger https://…, verify a served ledger through its public log instead (docs/service.md).
    Exits 6 naming the first bad entry (sequence number and decision id) and the kind of fault:
    altered, missing, inserted, reordered, bad signature or inconsistent checkpoint.
    """
    from governance.ledger.store import Ledger

    if ledger is not None and ledger.startswith(("http://", "https://")):  # a served ledger: through its tiles
        from governance.cli.remote import verify_remote_cli

        verify_remote_cli(ledger, pubkey, checkpoint, output, witness_keys=witness_keys, quorum=witnesses)
        return
    if witness_keys is not None or witnesses:
        raise InputError("--witness-keys and --witnesses apply to a served ledger (--ledger https://…)")
    with Ledger.open(ledger, read_only=True) as opened, opened.read() as reader:
        verify_and_report(reader, pubkey=pubkey, checkpoint=checkpoint, output=output, jobs=jobs)


@ledger_app.command("replay")
def replay_command(
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    evaluator: EvaluatorName = typer.Option(EvaluatorName.DURABLE_RULES, "--evaluator", help="Rule evaluator."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes."),
    show: int = typer.Option(10, "--show", min=0, help="Print at most this many mismatches in full."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Re-decide every entry under the policy and suite versions the ledger stores (no policies/, no evaluations/).

    Exits 6 when any entry does not reproduce byte for byte; each is shown with a diff.
    """
    from governance.ledger.store import Ledger

    with Ledger.open(ledger, read_only=True) as opened, opened.read() as reader:
        replay_and_report(reader, evaluator=evaluator, jobs=jobs, output=output, show=show)


@ledger_app.command("export")
def export_command(
    bundle: Path = typer.Option(
        ..., "--bundle", "-o", help="The audit bundle to write (JSON Lines; '-' for stdout).", show_default=False
    ),
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Export a self-contained audit bundle: entries, policy and evaluation-suite versions, checkpoints, public keys."""
    from governance.ledger.bundle import export_bundle
    from governance.ledger.store import Ledger

    with (
        Ledger.open(ledger, read_only=True) as opened,
        opened.read() as reader,
        progress_bar("exporting", reader.entry_count()) as bar,
    ):
        summary = export_bundle(reader, bundle, overwrite=force, progress=bar)
    (_err if is_stdout(bundle) else console).print(
        f"wrote {summary.path}: {summary.entries:,} entries, {summary.policies} policy version(s), "
        f"{summary.suites} evaluation-suite version(s), {summary.checkpoints:,} checkpoint(s), "
        f"{summary.keys} key(s); sha256 {summary.sha256}",
        markup=False,
    )


@ledger_app.command("prove")
def prove_command(
    decision_id: str = typer.Argument(..., help="The decision id.", show_default=False),
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the proof to this file."),
    force: bool = typer.Option(False, "--force", help="Replace the --out file if it exists."),
) -> None:
    """Print an inclusion proof of one decision against the latest signed checkpoint (check: `audit proof`)."""
    from governance.ledger.proofs import inclusion_document
    from governance.ledger.store import Ledger

    with Ledger.open(ledger, read_only=True) as opened, opened.read() as reader:
        document = inclusion_document(reader, decision_id)
    _write_or_print(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False), out, force=force)


@ledger_app.command("consistency")
def consistency_command(
    old_size: int = typer.Argument(..., help="The tree size of a checkpoint you kept.", show_default=False),
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the proof to this file."),
    force: bool = typer.Option(False, "--force", help="Replace the --out file if it exists."),
) -> None:
    """Print a consistency proof from an earlier size to the latest checkpoint (check: `audit consistency`)."""
    from governance.ledger.proofs import consistency_document
    from governance.ledger.store import Ledger

    with Ledger.open(ledger, read_only=True) as opened, opened.read() as reader:
        document = consistency_document(reader, old_size)
    _write_or_print(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False), out, force=force)


def _matches_policy(filter_text: str, policy: dict[str, Any]) -> bool:
    ref = f"{policy.get('id')}@{policy.get('version')}"
    digest = str(policy.get("digest", ""))
    return filter_text in (policy.get("id"), ref) or (
        filter_text.startswith("sha256:") and digest.startswith(filter_text)
    )


def _field(document: dict[str, Any], *path: str) -> Any:
    """The value at ``path`` in a stored document, or None where the document has no such object."""
    value: Any = document
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _summary_row(row: Any, decision: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "decision_id": row.decision_id,
        "recorded_at": row.recorded_at,
        "actor": row.actor,
        "model": _field(decision, "model", "name"),
        "policy": f"{_field(decision, 'policy', 'id')}@{_field(decision, 'policy', 'version')}",
        "policy_digest": row.policy_digest,
        "as_of": _field(decision, "as_of"),
        "tier": _field(decision, "tier"),
        "leaf_hash": row.leaf_hash.hex(),
    }


@ledger_app.command("list")
def list_command(
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    model: str | None = typer.Option(None, "--model", help="Model name contains this text (case-insensitive)."),
    policy: str | None = typer.Option(None, "--policy", help="Policy id, id@version or digest prefix."),
    tier: TierName | None = typer.Option(None, "--tier", help="Only this tier."),
    since: str | None = typer.Option(None, "--since", help="Recorded on or after this date (YYYY-MM-DD, UTC)."),
    until: str | None = typer.Option(None, "--until", help="Recorded on or before this date (YYYY-MM-DD, UTC)."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="At most this many entries, newest first."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """List recorded decisions, newest first, with filters."""
    from governance.ledger.entry import entry_document
    from governance.ledger.store import Ledger

    start_day = parse_date(since, "--since")
    end_day = parse_date(until, "--until")
    if start_day and end_day and start_day > end_day:
        raise InputError(f"--since {start_day} is after --until {end_day}")
    needle = model.casefold() if model else None
    rows: list[dict[str, Any]] = []
    with Ledger.open(ledger, read_only=True) as opened, opened.read() as reader:
        for row in reader.entries(descending=True, since=start_day.isoformat() if start_day else None):
            if end_day is not None and row.recorded_at[:10] > end_day.isoformat():
                continue
            decision = entry_document(row, "decision", opened.location.display)
            if needle and needle not in str(_field(decision, "model", "name") or "").casefold():
                continue
            if policy and not _matches_policy(policy, _field(decision, "policy") or {}):
                continue
            if tier is not None and _field(decision, "tier") != tier.value:
                continue
            rows.append(_summary_row(row, decision))
            if len(rows) >= limit:
                break
    if output is OutputFormat.JSON:
        print_json(rows)
        return
    columns = ("seq", "recorded (UTC)", "model", "policy", "as of", "tier", "actor", "decision id")
    cells = [
        (
            str(item["seq"]),
            item["recorded_at"][:19].replace("T", " "),
            str(item["model"]),
            item["policy"],
            str(item["as_of"]),
            tier_text(Tier(item["tier"])) if item["tier"] in _TIERS else str(item["tier"]),
            item["actor"],
            item["decision_id"],
        )
        for item in rows
    ]
    print_keyed_rows(console, f"ledger entries (newest first, at most {limit})", columns, cells, "decision id")
    if not rows:
        console.print("no entry matches")


@ledger_app.command("show")
def show_command(
    ref: str = typer.Argument(..., help="A decision id, or a sequence number.", show_default=False),
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Show one recorded decision: its entry, the candidate summary and the decision with its reasons."""
    from pydantic import ValidationError

    from governance.decision import Decision
    from governance.ledger.entry import entry_document
    from governance.ledger.store import Ledger

    with Ledger.open(ledger, read_only=True) as opened, opened.read() as reader:
        row = reader.entry(ref)
        if row is None and ref.isdigit():
            row = reader.entry_at(int(ref))
        if row is None:
            raise InputError(f"no decision with id or sequence number {ref!r} in {opened.location.display}")
        latest = reader.latest_checkpoint()
    candidate = entry_document(row, "candidate", opened.location.display)
    decision = entry_document(row, "decision", opened.location.display)
    covered = latest is not None and row.seq < latest.tree_size
    if output is OutputFormat.JSON:
        print_json(
            {
                "seq": row.seq,
                "decision_id": row.decision_id,
                "recorded_at": row.recorded_at,
                "actor": row.actor,
                "policy_digest": row.policy_digest,
                "canon": row.canon,
                "leaf_hash": row.leaf_hash.hex(),
                "covered_by_checkpoint": latest.tree_size if covered and latest else None,
                "candidate": candidate,
                "decision": decision,
            }
        )
        return
    console.print(f"[bold]entry {row.seq}[/bold]  decision {row.decision_id}")
    console.print(f"recorded {row.recorded_at} by {row.actor}; leaf hash {row.leaf_hash.hex()}", markup=False)
    if covered and latest is not None:
        console.print(f"covered by the signed checkpoint at size {latest.tree_size} ({latest.signed_at})", markup=False)
    try:
        render_decision(Decision.from_document(decision), console)
    except ValidationError:
        console.print("the stored decision does not match this engine's decision format; as stored:")
        print_json(decision)


@ledger_app.command("whatif")
def whatif_command(
    policy: str = typer.Option(..., "--policy", "-p", help="The other policy version: id@version or a path."),
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    all_policies: bool = typer.Option(
        False, "--all", help="Re-decide every entry, not only those recorded under the same policy id."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Decide on this date instead of each entry's own."),
    evaluator: EvaluatorName = typer.Option(EvaluatorName.DURABLE_RULES, "--evaluator", help="Rule evaluator."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Re-decide past entries under another policy version and list those whose tier would change."""
    from governance.ledger.store import Ledger
    from governance.ledger.whatif import what_if
    from governance.loader import load_policy

    other = load_policy(policy)
    day = parse_date(as_of)
    with (
        Ledger.open(ledger, read_only=True) as opened,
        opened.read() as reader,
        progress_bar("re-deciding", reader.entry_count()) as bar,
    ):
        report = what_if(reader, other, all_policies=all_policies, as_of=day, evaluator=evaluator.value, progress=bar)
    if output is OutputFormat.JSON:
        print_json(report.document())
        return
    console.print(
        f"re-decided {report.considered:,} recorded decision(s) under {report.policy} ({report.digest[:19]}…): "
        f"{len(report.changes):,} would change tier",
        markup=False,
    )
    for (old, new), count in sorted(report.transitions().items()):
        console.print(f"  {old} → {new}: {count}", markup=False)
    if report.changes:
        columns = ("seq", "model", "as of", "recorded under", "was", "would be", "rules", "decision id")
        cells = [
            (
                str(change.seq),
                change.model,
                change.as_of,
                change.recorded_policy,
                tier_text(Tier(change.recorded_tier)),
                tier_text(Tier(change.new_tier)),
                ", ".join(change.new_rules),
                change.decision_id,
            )
            for change in report.changes
        ]
        print_keyed_rows(console, "tier changes", columns, cells, "decision id")
    for seq, decision_id, why in report.skipped[:10]:
        _note(f"skipped seq {seq} ({decision_id}): {why}")


@ledger_app.command("migrate")
def migrate_command(ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP)) -> None:
    """Upgrade the ledger's schema to the version this governance writes."""
    from governance.ledger.store import Ledger

    with Ledger.open(ledger, allow_old_schema=True) as opened:
        before = opened.schema_version
        applied = opened.migrate()
        location = opened.location.display
    if applied:
        console.print(f"{location}: schema {before} → {applied[-1]} (applied {', '.join(map(str, applied))})")
    else:
        console.print(f"{location}: schema version {before} is current; nothing to do")
