"""``governance witness keygen | serve``: run a witness that cosigns the checkpoints of the logs it follows."""

from __future__ import annotations

from pathlib import Path

import typer

from governance.cli._app import app, console, console_note

__all__ = ["witness_app"]

witness_app = typer.Typer(
    help="A witness (C2SP tlog-witness): cosigns each checkpoint that extends the last one it saw.",
    no_args_is_help=True,
)
app.add_typer(witness_app, name="witness")


@witness_app.command("keygen")
def keygen_command(
    key: Path = typer.Option(..., "--key", help="Where to write the new private key.", show_default=False),
    name: str = typer.Option(..., "--name", help="e.g. witness.example.org/w1.", show_default=False),
) -> None:
    """Create a witness key; print its public key (give it to the logs and to the clients that trust it)."""
    from governance.service.witness import Cosigner

    cosigner = Cosigner.generate(name)
    cosigner.save(key)
    console.print(cosigner.public.text(), markup=False)
    console_note(f"wrote {key} (readable only by you); the line above is the witness's public key")


@witness_app.command("serve")
def serve_command(
    key: Path = typer.Option(..., "--key", help="The witness's private key.", show_default=False),
    logs: Path = typer.Option(..., "--logs", help="File of '<origin> <log public key>' lines.", show_default=False),
    state: Path = typer.Option(Path("witness-state.json"), "--state", help="Where the last cosigned sizes are kept."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8081, "--port", min=0, max=65535, help="Port to listen on."),
) -> None:
    """Serve POST /add-checkpoint until interrupted (one process: the state file is its memory)."""
    import uvicorn

    from governance.service.witness import Cosigner, Witness, load_logs, witness_app

    witness = Witness(Cosigner.load(key), load_logs(logs), state)
    console_note(f"witness {witness.key.name}: public key {witness.key.public.text()}; state {state}")
    uvicorn.run(witness_app(witness), host=host, port=port, log_level="warning", access_log=False)
