"""The root command group, which imports a command's module only when that command is run.

``governance --help`` lists every command from :data:`COMMANDS` (name, the modules that register it,
the first paragraph of its help) without importing any of them; ``governance decide ...`` imports
``governance.cli.decide`` and nothing of the ledger, the service or the comparison tools. A test
checks the table against the commands the modules register.
"""

from __future__ import annotations

import errno
import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import typer
import typer.main
from typer._click.exceptions import UsageError
from typer._click.utils import make_default_short_help
from typer.core import TyperGroup

from governance.exceptions import OutputError

__all__ = ["COMMANDS", "LazyGroup", "silence_stdout"]

_OUTPUT_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


@dataclass(frozen=True)
class _Entry:
    modules: tuple[str, ...]
    help: str


def _entry(*modules: str, help: str) -> _Entry:
    return _Entry(tuple(f"governance.cli.{module}" for module in modules), help)


COMMANDS: dict[str, _Entry] = {
    "compare": _entry(
        "compare",
        help="Compare policies over a population: tiers and labels per model, counts, agreement and disagreements.",
    ),
    "sweep": _entry(
        "compare",
        help="Move one named threshold over a range: counts per tier and label per step, and where each model flips.",
    ),
    "ageing": _entry(
        "compare",
        help="How a compute line ages as training gets cheaper: tenfold date and the models each year's line catches.",
    ),
    "decide": _entry("decide", help="Decide the release tier of each candidate under each policy."),
    "demo": _entry(
        "decide",
        help="Decide every shipped example under every shipped policy in force that applies to it: no set-up needed.",
    ),
    "openness": _entry(
        "evidence",
        help="Classify a release's openness: MOF class and progress, what is missing or closed, OSAID verdict.",
    ),
    "gate": _entry(
        "gate",
        help="Gate a release in CI: exit 0 only when every policy in force allows the release form the candidate "
        "asks for.",
    ),
    "schema": _entry(
        "schema",
        help="Print the JSON Schema (draft 2020-12) of a document, generated from the model its loader validates with.",
    ),
    "serve": _entry(
        "service",
        help="Serve the HTTP API, and the ledger as a public log (C2SP tlog-tiles), until interrupted.",
    ),
    "ledger": _entry(
        "ledger",
        help="The tamper-evident decision ledger: keys, verify, replay, export, proofs, list, show, what-if.",
    ),
    "audit": _entry(
        "audit",
        help="Audit: verify and replay an exported bundle, verify a served log by its address, check proofs offline.",
    ),
    "candidate": _entry("candidate", help="Check candidate files."),
    "population": _entry("compare", help="Generate and inspect populations of models."),
    "evidence": _entry("evidence", help="Import evaluation logs and list the evaluation suites."),
    "policy": _entry("policy", "policy_diff", help="List, show and check policies."),
    "keys": _entry("service", help="API keys for `governance serve`: create (token shown once), list, revoke."),
    "witness": _entry(
        "witness",
        help="A witness (C2SP tlog-witness): cosigns each checkpoint that extends the last one it saw.",
    ),
}
"""Every command of the root group, in the order ``--help`` lists them."""


def silence_stdout() -> None:
    """After the reader of standard output has gone (``| head``), send what is left nowhere."""
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real descriptor (under a test runner)
        pass


class LazyGroup(TyperGroup):
    """The root group: commands load on first use; a closed pipe ends the output normally; a full disk is
    an OutputError."""

    def list_commands(self, ctx: Any) -> list[str]:  # typer's Context
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        entry = COMMANDS.get(cmd_name)
        if command is None and entry is not None:
            for module in entry.modules:
                importlib.import_module(module)
            command = _convert(cmd_name)
            if command is not None:
                self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if not loaded.hidden:
                    rows.append((name, loaded.get_short_help_str(limit)))
            else:
                rows.append((name, make_default_short_help(COMMANDS[name].help, limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as exc:
            if self.suggest_commands and args:
                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    suggestions = ", ".join(f"{match!r}" for match in matches)
                    exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            silence_stdout()
            raise typer.Exit(0) from None
        except OSError as exc:
            if exc.errno in _OUTPUT_FULL:
                raise OutputError(f"the output cannot be written ({exc.strerror}); it is incomplete") from exc
            raise


def _convert(name: str) -> Any:
    """The click command of a command or group registered on the root application under ``name``."""
    from governance.cli._app import app

    for info in app.registered_commands:
        if info.name == name:
            return typer.main.get_command_from_info(
                info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode
            )
    for group in app.registered_groups:
        if group.name == name:
            return typer.main.get_group_from_info(
                group,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
                suggest_commands=app.suggest_commands,
            )
    return None
