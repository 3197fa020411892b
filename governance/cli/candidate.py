"""``governance candidate check``: validate candidate files (the pre-commit hook's entry)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from governance.cli._app import app, console
from governance.exceptions import InputError
from governance.loader import load_candidate

candidate_app = typer.Typer(help="Check candidate files.", no_args_is_help=True)
app.add_typer(candidate_app, name="candidate")


@candidate_app.command("check")
def check_command(
    paths: list[Path] = typer.Argument(..., help="Candidate files (YAML or JSON).", show_default=False),
) -> None:
    """Validate candidate files; every problem is listed with file, line and field. Exit 2 if any fails."""
    failures = 0
    for path in paths:
        try:
            candidate = load_candidate(path)
        except InputError as exc:
            failures += 1
            console.print(Text.assemble(("FAIL", "red"), f" {path}: {len(exc.problems) or 1} problem(s)"))
            for problem in exc.problems or (exc.message,):
                console.print(f"  {problem}", markup=False)
            continue
        console.print(Text.assemble(("ok", "green"), f"   {path}: {candidate.model.name} {candidate.digest[7:19]}"))
    if failures:
        raise typer.Exit(InputError.exit_code)
