"""``governance serve`` (the HTTP service) and ``governance keys ...`` (its API keys).

The service modules (FastAPI, uvicorn, SQLAlchemy) are imported inside each command, so that other
commands start as fast as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from governance.cli._app import app, console, console_note, print_json
from governance.cli._options import OutputFormat

if TYPE_CHECKING:
    from governance.ledger.store import Ledger
    from governance.service.apikeys import KeyStore

__all__ = ["keys_app"]

keys_app = typer.Typer(
    help="API keys for `governance serve`: create (token shown once), list, revoke.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")

LEDGER_HELP = (
    "Ledger: a SQLite file or a postgresql:// URL (default $GOVERNANCE_LEDGER, else ./governance-ledger.sqlite)."
)


@app.command("serve")
def serve_command(
    ctx: typer.Context,
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    key: Path | None = typer.Option(
        None, "--key", help="Checkpoint signing key (default $GOVERNANCE_LEDGER_KEY, else beside a SQLite ledger)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes (PostgreSQL for more than 1)."),
    max_body: int = typer.Option(16 * 1024 * 1024, "--max-body", min=1024, help="Largest request body, in bytes."),
    witnesses: Path | None = typer.Option(
        None, "--witnesses", help="File of '<witness URL> <witness key>' lines: submit each checkpoint to them."
    ),
) -> None:
    """Serve the HTTP API, and the ledger as a public log (C2SP tlog-tiles), until interrupted.

    Starts on the default SQLite ledger with no set-up: the ledger and its signing key are created
    when absent. Create keys with `governance keys create`; docs/service.md has the routes and roles.
    """
    import uvicorn

    from governance.ledger.record import resolve_key_path
    from governance.ledger.store import KEY_ENV, LEDGER_ENV
    from governance.service.app import LOG_ENV
    from governance.service.cosigning import load_witnesses
    from governance.service.metrics import shared_across_workers
    from governance.service.runtime import MAX_BODY_ENV, WITNESSES_ENV, Service, ServiceConfig

    endpoints = load_witnesses(witnesses) if witnesses is not None else ()
    service = Service(ServiceConfig(ledger=ledger, key=key, max_body=max_body))
    try:
        location = service.location
        origin = service.ledger.origin
        public = service.signing_key.verifier().text()
        admins = [k for k in service.keys.list() if k.role.value == "admin" and k.revoked_at is None]
    finally:
        service.close()
    key_path, _ = resolve_key_path(key, location)
    os.environ[LEDGER_ENV] = location.url
    if key_path is not None:
        os.environ[KEY_ENV] = str(key_path.absolute())
    os.environ[MAX_BODY_ENV] = str(max_body)
    if witnesses is not None:
        os.environ[WITNESSES_ENV] = str(witnesses.absolute())
        console_note(f"submitting checkpoints to {len(endpoints)} witness(es)")
    if ctx.find_root().params.get("log_json"):
        os.environ[LOG_ENV] = "json"  # worker processes configure their own logging from it
    console_note(f"governance: serving ledger {location.display} (origin {origin}) on http://{host}:{port}")
    console_note(f"checkpoint public key: {public}")
    if not admins:
        console_note("no admin key yet: create one with `governance keys create --role admin --name NAME`")
    with shared_across_workers(workers):  # /metrics adds up every worker's counts
        uvicorn.run(
            "governance.service.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=30,
        )


def _key_store(ledger: str | None, *, create: bool) -> tuple[Ledger, KeyStore]:
    from governance.ledger.store import Ledger
    from governance.service.apikeys import KeyStore

    opened = Ledger.open(ledger, create=create)
    store = KeyStore(opened)
    try:
        store.ensure_tables()
    except BaseException:
        opened.close()
        raise
    return opened, store


@keys_app.command("create")
def create_command(
    role: str = typer.Option(..., "--role", help="lab, auditor, policymaker or admin.", show_default=False),
    name: str = typer.Option(..., "--name", help="Who holds the key.", show_default=False),
    org: str | None = typer.Option(None, "--org", help="The organisation a lab key acts for."),
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Create an API key and print its token, once: only its SHA-256 is stored."""
    opened, store = _key_store(ledger, create=True)
    with opened:
        issued = store.create(role, name, org)
    if output is OutputFormat.JSON:
        print_json({**issued.key.document(), "token": issued.token})
        return
    console.print(issued.token, markup=False)
    console_note(
        f"created {issued.key.role.value} key {issued.key.key_id} for {issued.key.name}"
        + (f" of {issued.key.org}" if issued.key.org else "")
        + ": the token above is shown once; store it now"
    )


@keys_app.command("list")
def list_command(
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """List every API key (never a token), revoked ones included."""
    opened, store = _key_store(ledger, create=False)
    with opened:
        keys = store.list()
    if output is OutputFormat.JSON:
        print_json([key.document() for key in keys])
        return
    table = Table(title=f"{len(keys)} API key(s)")
    for column in ("key id", "role", "name", "org", "created", "revoked"):
        table.add_column(column)
    for key in keys:
        table.add_row(key.key_id, key.role.value, key.name, key.org or "", key.created_at, key.revoked_at or "")
    console.print(table)


@keys_app.command("revoke")
def revoke_command(
    key_id: str = typer.Argument(..., help="The key id (from `keys list`).", show_default=False),
    ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
) -> None:
    """Revoke an API key: the service refuses its token from the next request on."""
    opened, store = _key_store(ledger, create=False)
    with opened:
        key = store.revoke(key_id)
    console.print(f"revoked {key.role.value} key {key.key_id} ({key.name}) at {key.revoked_at}", markup=False)
