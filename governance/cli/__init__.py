"""The ``governance`` command line.

Each command group lives in its own module and registers itself on :data:`app`; a module is imported
only when one of its commands runs (see :mod:`governance.cli._group`). Every error the
package raises on purpose ends the process with the exit code of its class (see
:mod:`governance.exceptions`) and a message on stderr, never a traceback:

====  ==========================================================
0     decided (or the command did what it was asked)
1     an unexpected internal error (a bug: please report it)
2     invalid input: a candidate, option, population or log
3     invalid policy: not found, malformed, or failing a check
4     the rule engine failed
5     the ledger cannot be read or written
6     a ledger or audit bundle does not verify
7     ``governance gate``: a policy's tier does not allow the release
8     an output cannot be written (a full disk, a read-only folder)
====  ==========================================================

A closed standard output (``governance ledger list | head -1``) is the normal end of the output:
the command stops writing and exits with the code it would have had.
"""

from __future__ import annotations

import sys

from governance.cli._app import app, console_error, silence_stdout
from governance.exceptions import GovernanceError, OutputError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; translate package errors into messages and exit codes (usage errors exit 2)."""
    code: int | str | None = 0
    try:
        app(args=argv, prog_name="governance")
    except GovernanceError as exc:
        console_error(str(exc))
        code = exc.exit_code
    except SystemExit as exc:
        code = exc.code
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    except OSError as exc:
        console_error(f"the output cannot be written ({exc.strerror}); it is incomplete")
        code = OutputError.exit_code
    sys.exit(code)
