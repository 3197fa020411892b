"""The root group's table of commands against what the command modules register."""

from __future__ import annotations

import importlib
import subprocess
import sys

import typer.main

from governance.cli._app import app
from governance.cli._group import COMMANDS


def test_the_table_names_every_registered_command_in_order_with_its_help() -> None:
    for entry in COMMANDS.values():
        for module in entry.modules:
            importlib.import_module(module)
    group = typer.main.get_command(app)
    registered = dict(group.commands)  # type: ignore[attr-defined]
    assert sorted(registered) == sorted(COMMANDS)
    commands = [info.name for info in app.registered_commands]
    groups = [info.name for info in app.registered_groups]
    # typer lists the commands first, then the groups; --help keeps that order
    assert list(COMMANDS) == [name for name in COMMANDS if name in commands] + [
        name for name in COMMANDS if name in groups
    ]
    for name, entry in COMMANDS.items():
        assert (registered[name].help or "").split("\n\n")[0].replace("\n", " ") == entry.help, name


def test_help_and_a_command_import_only_what_they_need() -> None:
    script = (
        "import sys\n"
        "from governance.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('governance.cli.', 'rich', 'pydantic', 'yaml'))))\n"
    )
    help_run = subprocess.run([sys.executable, "-c", script, "--help"], capture_output=True, text=True, check=True)
    loaded = help_run.stdout.splitlines()[-1]
    assert "governance.cli.decide" not in loaded
    assert "rich" not in loaded
    assert "pydantic" not in loaded
    schema_run = subprocess.run(
        [sys.executable, "-c", script, "schema", "--help"], capture_output=True, text=True, check=True
    )
    loaded = schema_run.stdout.splitlines()[-1]
    assert "governance.cli.schema" in loaded
    assert "governance.cli.ledger" not in loaded
    assert "governance.cli.decide" not in loaded
