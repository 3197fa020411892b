"""The one exception tree of ``governance``.

Every error the package raises on purpose is a :class:`GovernanceError`. Each class carries a stable
snake_case ``code`` (for scripts and logs) and the process ``exit_code`` the CLI uses for it::

    GovernanceError                      code            exit
    ├── InputError                       invalid_input      2   a candidate, population or option is wrong
    │   └── EvidenceError                invalid_evidence   2   an evaluation log cannot be used
    ├── PolicyError                      invalid_policy     3   a policy bundle cannot be loaded
    │   ├── PolicyNotFoundError          policy_not_found   3
    │   └── PolicyValidationError        policy_invalid     3   carries every problem, with file:line
    ├── EngineError                      engine_error       4   the rule engine failed (never a user mistake)
    ├── LedgerError                      ledger_error       5   the ledger cannot be read or written
    │   └── VerificationError            ledger_unverified  6   a ledger or bundle does not verify
    └── OutputError                      output_error       8   an output file or stream cannot be written

Errors raised by third-party libraries (durable_rules, pydantic, SQLAlchemy) are translated into this
tree at the boundary where they occur, with the original chained as ``__cause__``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EngineError",
    "EvidenceError",
    "GovernanceError",
    "InputError",
    "LedgerError",
    "OutputError",
    "PolicyError",
    "PolicyNotFoundError",
    "PolicyValidationError",
    "Problem",
    "VerificationError",
]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows.

    Attributes:
        location: ``file:line`` for files, or a dotted field path such as ``compute.training_flop``.
        message: what is wrong and what was expected, in one sentence.
    """

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class GovernanceError(Exception):
    """Root of every error ``governance`` raises on purpose."""

    code = "governance_error"
    exit_code = 1

    def __init__(self, message: str, *, problems: tuple[Problem, ...] | list[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems: tuple[Problem, ...] = tuple(sorted(problems))

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message, *(f"  {p}" for p in self.problems)]
        return "\n".join(lines)


class InputError(GovernanceError):
    """A candidate file, population, option or argument is not what was expected."""

    code = "invalid_input"
    exit_code = 2


class EvidenceError(InputError):
    """An evaluation log or openness record is malformed, unfinished or unknown."""

    code = "invalid_evidence"


class PolicyError(GovernanceError):
    """A policy bundle cannot be found, parsed or accepted."""

    code = "invalid_policy"
    exit_code = 3


class PolicyNotFoundError(PolicyError):
    """No policy with the given id, version or path exists."""

    code = "policy_not_found"


class PolicyValidationError(PolicyError):
    """A policy failed the schema or the static checks; ``problems`` lists every one, sorted."""

    code = "policy_invalid"


class EngineError(GovernanceError):
    """The rule engine failed or returned a result that does not belong to the request."""

    code = "engine_error"
    exit_code = 4


class LedgerError(GovernanceError):
    """The decision ledger cannot be opened, read or appended to."""

    code = "ledger_error"
    exit_code = 5


class VerificationError(LedgerError):
    """A ledger or audit bundle failed verification; the message names the first bad entry."""

    code = "ledger_unverified"
    exit_code = 6


class DamagedRowError(VerificationError):
    """A ledger row holds a value of a type governance never writes (text for bytes, NULL, a real
    sequence number, bytes that are not UTF-8): the ledger was changed outside governance.

    ``detail`` says where and what; ``seq`` is the entry's sequence number when the row is an entry's.
    """

    code = "ledger_damaged_row"

    def __init__(self, detail: str, seq: int | None = None) -> None:
        super().__init__(f"{detail}: the ledger was changed outside governance; run `governance ledger verify`")
        self.detail = detail
        self.seq = seq


class OutputError(GovernanceError):
    """An output (a report, a bundle, a proof, standard output) cannot be written: a full disk, a
    read-only folder. Nothing is left half-written under the name asked for."""

    code = "output_error"
    exit_code = 8
