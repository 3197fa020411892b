"""The size limits every input file is read under; a module of its own so that setting them imports no parser."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["DEFAULT_LIMITS", "Limits", "current_limits", "set_limits", "using_limits"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """The largest input files accepted; each can be raised on the command line.

    Attributes:
        max_bytes: the size of one input file (``--max-file-size``).
        max_depth: how deeply lists and mappings nest (``--max-depth``).
        max_items: the entries in one list or mapping (``--max-items``).
    """

    max_bytes: int = 8 * 1024 * 1024
    max_depth: int = 64
    max_items: int = 100_000


DEFAULT_LIMITS = Limits()
_limits = DEFAULT_LIMITS


def current_limits() -> Limits:
    """The limits in force."""
    return _limits


def set_limits(limits: Limits) -> None:
    """Put ``limits`` in force for every later read (the CLI does this from its options)."""
    global _limits
    _limits = limits


@contextmanager
def using_limits(limits: Limits) -> Iterator[None]:
    """Put ``limits`` in force inside a ``with`` block."""
    before = current_limits()
    set_limits(limits)
    try:
        yield
    finally:
        set_limits(before)
