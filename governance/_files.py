"""Writing the files the CLI produces: never over something unasked, never half, never through a link.

Every output file (reports, CSV, bundles, proofs, signed notes) is written the same way:

- an existing file is refused unless ``force`` is given; a symbolic link, a device, a pipe or a
  folder at the name is refused even then (the output would land somewhere the user did not name);
- the bytes go to a temporary file beside the target, are flushed to disk, and the temporary file is
  renamed into place, so an interrupted or failed write never leaves a partial file under the name;
- ``-`` names standard output where streaming makes sense;
- a write that fails (a full disk, a read-only folder) raises :class:`~governance.exceptions.OutputError`
  (exit code 8) naming the file, with nothing left under its name.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from governance.exceptions import InputError, OutputError

__all__ = ["STDOUT", "check_target", "is_stdout", "open_output", "open_text_output", "write_output"]

STDOUT = "-"
"""The name that means standard output."""


def is_stdout(path: str | Path) -> bool:
    """Whether ``path`` names standard output."""
    return str(path) == STDOUT


def check_target(path: Path, *, force: bool) -> None:
    """Refuse to write at ``path`` when something is there that must not be replaced.

    Raises:
        InputError: a link, device, pipe or folder is there; or a file is there and ``force`` is false;
            or the folder does not exist.
    """
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(f"{path}: cannot be checked ({exc.strerror})") from exc
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise InputError(f"{path}: is a symbolic link; name the file itself, not a link to it")
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{path}: is a folder; give a file name")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: is not a regular file (a device, pipe or socket); give a file name")
        if not force:
            raise InputError(f"{path}: a file is already there; pass --force to replace it")
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: no such folder")


def _failed(path: Path | str, exc: OSError) -> OutputError:
    return OutputError(f"{path}: cannot be written ({exc.strerror or exc}); nothing was written under that name")


@contextlib.contextmanager
def open_output(path: str | Path, *, force: bool = False) -> Iterator[BinaryIO]:
    """A binary stream whose bytes end up at ``path`` only if the ``with`` block completes.

    ``-`` gives standard output (written as it goes).
    """
    if is_stdout(path):
        yield sys.stdout.buffer
        try:
            sys.stdout.buffer.flush()
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            raise _failed("standard output", exc) from exc
        return
    target = Path(path)
    check_target(target, force=force)
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    except OSError as exc:
        raise _failed(target, exc) from exc
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        check_target(target, force=force)  # nothing appeared there meanwhile
        _move_into_place(temporary, target, force=force)
    except OSError as exc:
        raise _failed(target, exc) from exc
    finally:
        temporary.unlink(missing_ok=True)


def _move_into_place(temporary: Path, target: Path, *, force: bool) -> None:
    if force:
        temporary.replace(target)
        return
    try:
        os.link(temporary, target)  # fails if a file appeared at the name since the check
    except FileExistsError as exc:
        raise InputError(f"{target}: a file is already there; pass --force to replace it") from exc
    except OSError:  # a file system without hard links
        temporary.replace(target)


def write_output(path: str | Path, data: str | bytes, *, force: bool = False) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` or, for ``-``, to standard output; see :func:`open_output`."""
    content = data.encode("utf-8") if isinstance(data, str) else data
    with open_output(path, force=force) as stream:
        stream.write(content)


@contextlib.contextmanager
def open_text_output(path: str | Path, *, force: bool = False) -> Iterator[TextIO]:
    """Like :func:`open_output`, for UTF-8 text (newlines written as given)."""
    with open_output(path, force=force) as stream:
        handle = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        try:
            yield handle
            handle.flush()
        finally:
            handle.detach()  # the binary stream is open_output's to close (never standard output)
