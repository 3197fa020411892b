"""Populations through pyarrow (the ``frames`` extra): CSV parsed in C++, Parquet, Arrow IPC and data frames.

pyarrow is optional. When it is importable, :func:`~governance.compare.population_io.load_population`
reads a plain CSV (no quote character, no NUL byte, one record per line) with pyarrow's
multi-threaded parser, every cell kept as text, and reads Parquet and Arrow IPC files at all. Nothing
here interprets a cell: the columns are handed to the same interpreters as the core reader's, through
the :class:`~governance.compare.population_io.PreparedColumn` questions, and answer them only where
the answer is provably the core's:

- a number column is converted by pyarrow only when every filled cell converts and is finite and in
  range; pyarrow's string-to-float conversion accepts a subset of what numpy's does (not ``1_0``,
  not surrounding spaces) and rounds correctly as numpy does, so the numbers are the same. Anything
  else (unknown markers, thousands separators, a value out of range) is read by the core from the
  trimmed cells, which finds and words the problems;
- a text column is dictionary-encoded by pyarrow; its distinct cells are trimmed and sorted by numpy
  exactly as the core's cells are, so labels, codes and problems come out in the same order;
- the name column and every cell needed for a message are gathered into the same trimmed byte cells
  the core reader makes.

A file the fast reader cannot take as it stands (quotes, blank lines, ragged rows) goes to the core
reader, which handles it; tests feed both readers the same bytes and compare populations or refusals.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from governance.compare.population import BytesArray, FloatArray, IntArray, normalise_space
from governance.exceptions import InputError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["FRAMES_HINT", "ArrowColumn", "ArrowText", "available", "csv_table", "read_table", "table_columns"]

FRAMES_HINT = "pip install 'governance[frames]' (or pip install pyarrow)"
_GATHER_ROWS = 131_072
"""Rows gathered at a time into fixed-width cells (bounds the index array's memory)."""


def available() -> bool:
    """Whether pyarrow can be imported here (without importing it)."""
    return importlib.util.find_spec("pyarrow") is not None


def fixed_width(data: npt.NDArray[np.uint8], starts: IntArray, ends: IntArray) -> BytesArray:
    """The byte ranges ``data[starts[i]:ends[i]]`` as one fixed-width bytes array (zero-padded)."""
    rows = len(starts)
    widths = ends - starts
    widest = int(widths.max()) if rows else 0
    if widest == 0:
        return np.zeros(rows, dtype="S1")
    padded = np.concatenate([data, np.zeros(1, dtype=np.uint8)])
    sentinel = len(data)
    steps = np.arange(widest, dtype=np.int64)
    out = np.empty(rows, dtype=f"S{widest}")
    for begin in range(0, rows, _GATHER_ROWS):
        stop = min(rows, begin + _GATHER_ROWS)
        index = starts[begin:stop, None] + steps
        index[steps >= widths[begin:stop, None]] = sentinel
        out[begin:stop] = padded[index].view(f"S{widest}").reshape(-1)
    return out


class ArrowColumn:
    """A column as pyarrow text (null = blank), in chunks, and the source's numbers when it had them."""

    def __init__(self, array: pa.ChunkedArray | None, numbers: FloatArray | None = None) -> None:
        self._array = array
        self.numbers = numbers

    @property
    def array(self) -> pa.ChunkedArray:
        """The cells as text; for a float column made when first needed, each number as Python writes it."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self._array is None:
            assert self.numbers is not None
            texts = [None if math.isnan(v) else repr(v) for v in self.numbers.tolist()]
            self._array = pa.chunked_array([pa.array(texts, pa.large_string())])
        elif pa.types.is_dictionary(self._array.type):
            self._array = pc.cast(self._array, self._array.type.value_type)
        return self._array

    def cells(self) -> BytesArray:
        parts = [_chunk_cells(chunk) for chunk in self.array.chunks if len(chunk)]
        if not parts:
            return np.zeros(0, dtype="S1")
        cells = np.concatenate([cells for cells, _ in parts]) if len(parts) > 1 else parts[0][0]
        return np.strings.strip(cells) if any(padded for _, padded in parts) else cells

    def floats(self, low: float, low_included: bool, high: float | None) -> FloatArray | None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.numbers is not None:
            values = self.numbers
        else:
            try:
                converted = pc.cast(self.array, pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None
            values = np.asarray(converted.to_numpy(), dtype=np.float64)
        if bool(np.isinf(values).any()):
            return None
        bad = (values < low) if low_included else (values <= low)
        if high is not None:
            bad |= values > high
        if bool(bad.any()):
            return None
        return values if values.flags.writeable and values is not self.numbers else np.array(values)

    def distinct(self) -> tuple[BytesArray, IntArray]:
        import pyarrow as pa
        import pyarrow.compute as pc

        source = self._array
        if source is None or not pa.types.is_dictionary(source.type):
            source = pc.dictionary_encode(self.array, null_encoding="encode")
        encoded = source.combine_chunks()
        trimmed = ArrowColumn(pa.chunked_array([encoded.dictionary])).cells()
        codes = encoded.indices
        if codes.null_count:  # a blank cell, as the core reader sees it
            codes = codes.fill_null(len(trimmed))
            trimmed = np.concatenate([trimmed, np.zeros(1, dtype=trimmed.dtype)])
        indices = np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)
        unique, inverse = np.unique(trimmed, return_inverse=True)
        return unique, inverse.reshape(-1).astype(np.int64)[indices]

    def text(self, row: int) -> str:
        value = self.array[row].as_py()
        return "" if value is None else normalise_space(value)


_SPACE = np.zeros(256, dtype=np.bool_)
_SPACE[list(b" \t\n\r\x0b\x0c")] = True
"""The bytes numpy's ``strip`` removes from byte cells."""


def _chunk_cells(array: pa.Array) -> tuple[BytesArray, bool]:
    """One chunk of text as untrimmed fixed-width byte cells (blank for null), and whether any cell
    starts or ends with a byte that trimming removes."""
    import pyarrow as pa

    offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    buffers = array.buffers()
    if buffers[1] is None:
        return np.zeros(len(array), dtype="S1"), False
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[array.offset : array.offset + len(array) + 1]
    data = np.zeros(0, dtype=np.uint8) if buffers[2] is None else np.frombuffer(buffers[2], dtype=np.uint8)
    starts = offsets[:-1].astype(np.int64)
    ends = offsets[1:].astype(np.int64)
    if array.null_count:
        blank = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
        ends[blank] = starts[blank]
    filled = starts < ends
    padded = bool(_SPACE[data[starts[filled]]].any() or _SPACE[data[ends[filled] - 1]].any())
    return fixed_width(data, starts, ends), padded


@dataclass(frozen=True)
class ArrowText:
    """A column shown beside the results and never read by a policy, left in pyarrow until shown."""

    array: Any

    def __len__(self) -> int:
        return len(self.array)

    def get(self, index: int) -> str:
        value = self.array[index].as_py()
        return "" if value is None else normalise_space(value)

    def take(self, rows: npt.NDArray[np.intp]) -> ArrowText:
        return ArrowText(self.array.take(rows))


def csv_table(data: bytes, width: int, categorical: Sequence[int] = ()) -> pa.Table | None:
    """``data`` (UTF-8, header first) parsed by pyarrow as text cells, or None when the file is not
    one the fast reader takes as it stands: a quote character or a NUL byte anywhere, a carriage
    return outside a CRLF, a blank line, a row of another width, or a record over several lines.
    The ``categorical`` columns are dictionary-encoded while parsing."""
    if b'"' in data or b"\x00" in data or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{k}" for k in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(quote_char=False, newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={
                    name: pa.dictionary(pa.int32(), pa.string()) if k in categorical else pa.string()
                    for k, name in enumerate(names)
                },
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowException:  # not UTF-8, a row of another width...: the core reader reads it or says why
        return None
    if table.num_rows != data.count(b"\n") - 1:
        return None
    return table


MAX_EXPANSION = 64
"""How many times its own size a Parquet file may grow to when decompressed (above ``EXPANSION_FLOOR``)."""
EXPANSION_FLOOR = 256 * 1024 * 1024
"""Decompressed sizes up to this many bytes are accepted whatever the file's size."""


def _check_expansion(metadata: Any, size: int, source: str) -> None:
    """Refuse a Parquet file that would expand to far more than its size in memory (a decompression bomb).

    The estimate is the larger of the row groups' stated uncompressed size and eight bytes for every
    cell: dictionary and run-length encoding make the stated size small for a column of one repeated
    value, but reading it still makes a value per row.
    """
    stated = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    expanded = max(stated, 8 * metadata.num_rows * metadata.num_columns)
    allowed = max(EXPANSION_FLOOR, MAX_EXPANSION * size)
    if expanded > allowed:
        raise InputError(
            f"{source}: the Parquet file ({size:,} bytes) decompresses to {expanded:,} bytes; "
            f"expected at most {allowed:,} ({MAX_EXPANSION} times its size, or {EXPANSION_FLOOR:,} bytes)"
        )


def read_table(path: Path, source: str, kind: str) -> pa.Table:
    """A Parquet (``kind`` "parquet") or Arrow IPC file (file or stream format) as a table."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise InputError(f"{source}: reading a {kind} file needs pyarrow; {FRAMES_HINT}") from exc
    try:
        if kind == "Parquet":
            _check_expansion(pq.ParquetFile(path).metadata, path.stat().st_size, source)
            return pq.read_table(path)
        try:
            with pa.memory_map(str(path)) as handle:
                return pa.ipc.open_file(handle).read_all()
        except pa.ArrowInvalid:
            with pa.OSFile(str(path)) as handle:
                return pa.ipc.open_stream(handle).read_all()
    except FileNotFoundError as exc:
        raise InputError(f"{source}: no such file") from exc
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"{source}: not a readable {kind} file ({exc}); expected a table of population columns"
        ) from exc


def table_columns(table: pa.Table, source: str) -> Sequence[ArrowColumn]:
    """Every column of ``table`` as text cells, with its numbers when it holds numbers."""
    return [_column(table.column(k), str(name), source) for k, name in enumerate(table.column_names)]


def _column(array: pa.ChunkedArray, name: str, source: str) -> ArrowColumn:
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return ArrowColumn(array)
    if pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type):
        return ArrowColumn(array)
    if pa.types.is_dictionary(kind):
        return _column(pc.cast(array, kind.value_type), name, source)
    if pa.types.is_null(kind):
        return ArrowColumn(pa.chunked_array([pa.nulls(len(array), pa.large_string())]))
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        numbers = np.asarray(pc.cast(array, pa.float64(), safe=False).to_numpy(), dtype=np.float64)
        if pa.types.is_floating(kind):
            return ArrowColumn(None, numbers)
        return ArrowColumn(pc.cast(array, pa.large_string()), numbers)
    if pa.types.is_timestamp(kind):
        with contextlib.suppress(pa.ArrowInvalid):  # a time of day stays: refused as a date, with its text
            array = pc.cast(array, pa.date32())
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        array = pc.binary_join(pc.cast(array, pa.list_(pa.large_string())), pa.scalar(";", pa.large_string()))
    try:
        return ArrowColumn(pc.cast(array, pa.large_string()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(
            f"{source}: column {name!r} holds {kind}; expected numbers, text, dates, booleans or lists of text"
        ) from exc
