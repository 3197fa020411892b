"""``governance schema NAME``: the JSON Schema of a candidate, decision, policy or population file."""

from __future__ import annotations

import sys
from enum import StrEnum

import typer

from governance.cli._app import app
from governance.schemas import schema_text, shipped_schema_path


class SchemaName(StrEnum):
    """The documents that have a schema."""

    CANDIDATE = "candidate"
    DECISION = "decision"
    POLICY = "policy"
    POPULATION = "population"


@app.command("schema")
def schema_command(
    name: SchemaName = typer.Argument(..., help="candidate, decision, policy or population."),
    path: bool = typer.Option(False, "--path", help="Print where the installed package keeps the schema file."),
) -> None:
    """Print the JSON Schema (draft 2020-12) of a document, generated from the model its loader validates with.

    Point an editor at it to validate files as they are typed, e.g. the first line of a candidate file:
    ``# yaml-language-server: $schema=candidate.schema.json``.
    """
    if path:
        sys.stdout.write(f"{shipped_schema_path(name.value)}\n")
        return
    sys.stdout.write(schema_text(name.value))
