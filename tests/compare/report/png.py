"""A small PNG reader for the screenshot tests: 8-bit RGB or RGBA, every filter type, no dependency."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data: bytes) -> npt.NDArray[np.uint8]:
    """Pixels as an array of shape (height, width, channels)."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    offset = len(PNG_SIGNATURE)
    width = height = channels = 0
    compressed = bytearray()
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            compressed += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(bytes(compressed))
    stride = width * channels
    rows = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=start + 1).astype(np.int32)
        if kind == 0:
            out = line
        elif kind == 1:
            out = line.reshape(width, channels).cumsum(axis=0).reshape(-1) % 256
        elif kind == 2:
            out = (line + previous) % 256
        else:
            values = line.tolist()
            above = previous.tolist()
            result = [0] * stride
            for i in range(stride):
                left = result[i - channels] if i >= channels else 0
                if kind == 3:
                    result[i] = (values[i] + (left + above[i]) // 2) % 256
                else:
                    corner = above[i - channels] if i >= channels else 0
                    result[i] = (values[i] + _paeth(left, above[i], corner)) % 256
            out = np.asarray(result, dtype=np.int32)
        rows[y] = out
        previous = out
    return rows.reshape(height, width, channels)
