"""Reading one member of a ZIP archive whose members may be stored, DEFLATE or zstd (method 93).

Python's :mod:`zipfile` reads the central directory of any archive but, before 3.14, cannot
decompress zstd members, which Inspect writes by default since inspect_ai 0.3.206. Stored and
DEFLATE members go through :mod:`zipfile`; a zstd member is read raw from its local header and
decompressed with the ``zstandard`` package, then checked against its declared size and CRC-32.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import zstandard

from governance.exceptions import EvidenceError

__all__ = ["read_member"]

ZSTD = 93
_LOCAL_HEADER = b"PK\x03\x04"
_MAX_MEMBER = 512 * 1024 * 1024


def _zstd_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if archive.fp is None:  # pragma: no cover - the archive is open while this runs
        raise EvidenceError(f"{path}: the archive is closed")
    archive.fp.seek(info.header_offset)
    header = archive.fp.read(30)
    if len(header) < 30 or header[:4] != _LOCAL_HEADER:
        raise EvidenceError(f"{path}: member {info.filename} has no valid local header (the file may be truncated)")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    archive.fp.seek(info.header_offset + 30 + name_length + extra_length)
    raw = archive.fp.read(info.compress_size)
    if len(raw) != info.compress_size:
        raise EvidenceError(
            f"{path}: member {info.filename} is cut short ({len(raw)} of {info.compress_size} bytes); "
            "the file is truncated"
        )
    try:
        data = zstandard.ZstdDecompressor().decompress(raw, max_output_size=max(info.file_size, 1))
    except zstandard.ZstdError as exc:
        raise EvidenceError(f"{path}: member {info.filename} is not valid zstd data ({exc})") from exc
    return bytes(data)


def read_member(path: Path, name: str) -> bytes:
    """The bytes of member ``name`` of the ZIP archive at ``path``.

    Raises:
        EvidenceError: the file is not a ZIP archive, lacks the member, is truncated, uses a
            compression method other than stored, DEFLATE or zstd, or fails its CRC check.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo(name)
            except KeyError as exc:
                raise EvidenceError(f"{path}: the archive has no {name} member") from exc
            if info.file_size > _MAX_MEMBER:
                raise EvidenceError(
                    f"{path}: member {name} declares {info.file_size} bytes, more than this reader accepts"
                )
            if info.compress_type == ZSTD:
                data = _zstd_member(path, archive, info)
            elif info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                data = archive.read(info)
            else:
                raise EvidenceError(
                    f"{path}: member {name} uses ZIP compression method {info.compress_type}; "
                    "expected stored (0), DEFLATE (8) or zstd (93)"
                )
    except zipfile.BadZipFile as exc:
        raise EvidenceError(f"{path}: not a readable ZIP archive ({exc}); the file may be truncated") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise EvidenceError(f"{path}: cannot read member {name} ({exc}); the file may be truncated") from exc
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise EvidenceError(f"{path}: member {name} fails its size or CRC check; the file is damaged")
    return data
