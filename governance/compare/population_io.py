"""Reading and writing populations: CSV (the policymaker's spreadsheet), JSON and YAML lists.

CSV columns (header names are matched case-insensitively; spaces and hyphens read as ``_``):

========================  ===========================================================================
``name``                  required; surrounding whitespace, line breaks and runs of spaces collapse
``training_flop``         required column; FLOP, blank or ``unknown`` = unknown (never zero)
``training_flop_lower``   optional bounds of an estimate; with either, compute is an interval that
``training_flop_upper``   the policy's compute stance resolves (``conservative`` reads the upper bound)
``fine_tuning_flop``      the developer's later training compute (counted in ``training_flop_total``)
``organization``          the developer (``organisation`` and ``developer`` are accepted too)
``release``               ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; a month or year reads as its last day
``training_end``          when training ended; the release date stands in for it when blank
``openness``              ``closed``, ``hosted``, ``api``, ``open_weights``, ``open_source`` (the
                          candidate's words; ``open-weight(s)`` and ``open-source`` are accepted too);
                          blank reads as ``open_source`` (fail closed)
``license``               SPDX id or expression, or free text (shown, never counted as open source)
``revenue_usd``           the developer's annual revenue in US dollars
``parameters``            parameter count
``modalities``            output modalities separated by ``;`` (``text;image``)
``components``            published release components separated by ``;`` (``weights;model_card``)
``cap_<domain>``          normalised capability in [0, 1] for a risk domain; blank = no evidence
anything else             kept and shown beside the results, never read by a policy
========================  ===========================================================================

Messy real data loads: a byte-order mark, Windows line endings, stray whitespace and line breaks in
names, thousands separators in quoted numbers, blank lines, short rows, and unknown markers
(``unknown``, ``n/a``, ``?``, ``-``, ``nan``...) which stay unknown, never zero. Rows that repeat an
earlier row exactly are dropped and reported; rows that share a name but differ are all kept and
reported. Anything that cannot be read is an :class:`~governance.exceptions.InputError` listing every
problem with its ``file:line``. A month or a year reads as the last day of that period, because a
later date can only raise efficiency-adjusted compute (fail closed).

Plain files (no quotes, one record per line) are read by a vectorised reader that never creates a
Python object per cell; anything else goes through the :mod:`csv` module. Both hand the same trimmed
cells to the same interpreters, so they give the same population.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from governance._files import open_text_output
from governance._text import spreadsheet_row
from governance._yaml import load_document, pydantic_problems
from governance.candidate import EARLIEST_DATE, LATEST_DATE, Candidate, ReleaseForm
from governance.compare.population import (
    CAPABILITY_PREFIX,
    FORMS,
    NAT,
    SILENT,
    UNKNOWN_MARKERS,
    BytesArray,
    Categorical,
    DayArray,
    DuplicateRows,
    FloatArray,
    IntArray,
    ListText,
    NameClash,
    Population,
    Reporter,
    SpanText,
    TextColumn,
    is_spdx,
    normalise_space,
    parse_openness,
    unknown_days,
    unknown_floats,
    where,
)
from governance.exceptions import InputError, Problem

__all__ = ["KNOWN_COLUMNS", "PreparedColumn", "load_population", "population_from_frame", "write_population_csv"]

_UNKNOWN_BYTES = np.array([m.encode() for m in UNKNOWN_MARKERS], dtype=np.bytes_)
_MAX_PROBLEMS = 25
_FAST_READ_LIMIT = 64 * 1024 * 1024
"""Largest byte count the vectorised reader gathers for one column (width x rows)."""

_ALIASES = {"licence": "license", "organisation": "organization", "developer": "organization"}
_NUMBER_COLUMNS: dict[str, tuple[float, bool]] = {
    # column: (lowest allowed, lowest included)
    "training_flop": (0.0, False),
    "training_flop_lower": (0.0, False),
    "training_flop_upper": (0.0, False),
    "fine_tuning_flop": (0.0, True),
    "revenue_usd": (0.0, True),
    "parameters": (0.0, False),
}
_DATE_COLUMNS = ("release", "training_end")
_TEXT_COLUMNS = ("organization", "license", "openness", "modalities", "components")
KNOWN_COLUMNS: tuple[str, ...] = ("name", *_NUMBER_COLUMNS, *_DATE_COLUMNS, *_TEXT_COLUMNS)

_MODALITIES = ("text", "audio", "image", "video", "code", "biological_sequence", "other")
_DATE = re.compile(r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?$")
_DOMAIN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_HEADER_SPACES = re.compile(r"[\s\-]+")

# -- raw tables: the two readers ------------------------------------------------------------------


@dataclass
class _Raw:
    """Cells as trimmed bytes, one array per column, before any interpretation."""

    header: list[str]
    columns: Sequence[BytesArray | PreparedColumn | None]
    """None for a column kept as spans (see ``spans``); a :class:`PreparedColumn` when a faster
    reader (pyarrow) holds the cells in its own form."""
    spans: dict[int, TextColumn]
    lines: IntArray
    notes: list[str]
    encoding: str
    unit: str = "line"


class PreparedColumn(Protocol):
    """A column held by another reader (see :mod:`governance.compare.population_arrow`).

    It gives the same trimmed byte cells the core readers give, and may answer the common questions
    faster; when it cannot answer exactly as the core would, it says so (None) and the core reads
    :meth:`cells` instead, so that problems are found and worded in one place.
    """

    def cells(self) -> BytesArray:
        """Every cell as trimmed bytes, as the core readers give them."""

    def floats(self, low: float, low_included: bool, high: float | None) -> FloatArray | None:
        """Every cell as a number (NaN unknown) when every filled cell is a finite number in range and
        reads as the core reads it; None otherwise."""

    def distinct(self) -> tuple[BytesArray, IntArray]:
        """The sorted distinct trimmed cells and, for every row, the index of its cell among them."""

    def text(self, row: int) -> str:
        """The cell of ``row`` as shown (whitespace collapsed)."""


class _BytesColumn:
    """The core readers' trimmed byte cells behind the :class:`PreparedColumn` questions."""

    def __init__(self, data: BytesArray, encoding: str) -> None:
        self.data = data
        self.encoding = encoding

    def cells(self) -> BytesArray:
        return self.data

    def floats(self, low: float, low_included: bool, high: float | None) -> FloatArray | None:
        return None

    def distinct(self) -> tuple[BytesArray, IntArray]:
        return unique_cells(self.data)

    def text(self, row: int) -> str:
        return normalise_space(bytes(self.data[row]).decode(self.encoding))


def _column_of(data: BytesArray | PreparedColumn, encoding: str) -> PreparedColumn:
    return _BytesColumn(data, encoding) if isinstance(data, np.ndarray) else data


def _decode(data: bytes, source: str, notes: list[str]) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            raise InputError(f"{source}: byte {exc.start} is not UTF-8 ({exc.reason}); save the file as UTF-8") from exc
        notes.append("the file is not UTF-8; it was read as Windows-1252")
        return "cp1252"
    return "utf-8"


def _strip_bytes(values: BytesArray) -> BytesArray:
    return np.strings.strip(values)


def _read_fast(data: bytes, encoding: str, source: str) -> _Raw | None:
    """Vectorised reading of plain CSV (no quotes, one record per line, every line complete)."""
    if b'"' in data or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    separators = np.flatnonzero((buf == 44) | (buf == 10))
    header = data[: data.find(b"\n")].decode(encoding).split(",")
    width = len(header)
    if len(separators) % width:
        return None
    ends = separators.reshape(-1, width)
    if not (bool((buf[ends[:, -1]] == 10).all()) and bool((buf[ends[:, :-1]] == 44).all())):
        return None
    # With no quotes, no cell holds a separator: blank them all, so that reading a cell past its end
    # (up to its own separator) gives the zero padding of a fixed-width bytes array.
    padded = buf.copy()
    padded[separators] = 0
    index_type = np.int32 if len(buf) < 2**31 else np.int64
    ends = ends.astype(index_type)
    starts = np.empty_like(ends)
    starts[0, 0] = 0
    starts[1:, 0] = ends[:-1, -1] + 1
    starts[:, 1:] = ends[:, :-1] + 1
    ends, starts = ends[1:], starts[1:]
    rows = len(ends)
    columns: list[BytesArray | None] = []
    spans: dict[int, TextColumn] = {}
    names = _header_names(header, source)
    for k in range(width):
        if names[k] not in KNOWN_COLUMNS and not names[k].startswith(CAPABILITY_PREFIX):
            spans[k] = SpanText(data, starts[:, k].astype(np.int64), ends[:, k].astype(np.int64), encoding)
            columns.append(None)
            continue
        widest = int((ends[:, k] - starts[:, k]).max()) if rows else 0
        if widest * rows > _FAST_READ_LIMIT:
            return None
        if widest == 0:
            columns.append(np.zeros(rows, dtype="S1"))
            continue
        index = cast(npt.NDArray[np.int64], starts[:, k, None] + np.arange(widest, dtype=index_type))
        np.minimum(index, ends[:, k, None], out=index)
        cells = padded[index].view(f"S{widest}").reshape(-1)
        columns.append(_strip_bytes(cells))
    lines = np.arange(2, rows + 2, dtype=np.int64)
    return _Raw(header, columns, spans, lines, [], encoding)


def _read_csv(text: str, source: str, encoding: str) -> _Raw:
    """Reading through the csv module: quoted fields, embedded line breaks, blank lines, ragged rows."""
    reader = csv.reader(io.StringIO(text, newline=""))
    notes: list[str] = []
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{source}: the file is empty; expected a header row with name and training_flop") from None
    except csv.Error as exc:
        raise InputError(f"{source}:1: cannot read the header ({exc})") from exc
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    padded = 0
    previous = reader.line_num
    try:
        for record in reader:
            start = previous + 1
            previous = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) > width:
                if any(cell.strip() for cell in record[width:]):
                    problems.append(
                        Problem(f"{source}:{start}", f"the row has {len(record)} fields; the header has {width}")
                    )
                    continue
                record = record[:width]
            elif len(record) < width:
                padded += 1
                record = record + [""] * (width - len(record))
            rows.append(record)
            lines.append(start)
    except csv.Error as exc:
        raise InputError(f"{source}:{reader.line_num}: not valid CSV ({exc})") from exc
    if problems:
        raise _problems(source, problems)
    if padded:
        notes.append(f"{padded} row(s) had fewer fields than the header; the missing cells read as unknown")
    return _raw_from_rows(header, rows, np.asarray(lines, dtype=np.int64), notes, source, "line")


def _raw_from_rows(
    header: list[str], rows: list[list[str]], lines: IntArray, notes: list[str], source: str, unit: str
) -> _Raw:
    columns: list[BytesArray | None] = []
    spans: dict[int, TextColumn] = {}
    names = _header_names(header, source)
    for k in range(len(header)):
        if names[k] not in KNOWN_COLUMNS and not names[k].startswith(CAPABILITY_PREFIX):
            spans[k] = ListText(tuple(normalise_space(row[k]) for row in rows))
            columns.append(None)
            continue
        cells = [row[k].strip().encode("utf-8") for row in rows]
        columns.append(np.array(cells, dtype=np.bytes_) if cells else np.zeros(0, dtype="S1"))
    return _Raw(header, columns, spans, lines, notes, "utf-8", unit)


def _header_names(header: Sequence[str], source: str) -> list[str]:
    names = []
    for k, raw in enumerate(header):
        name = _HEADER_SPACES.sub("_", raw.strip().lstrip("\ufeff").lower()).strip("_")
        names.append(_ALIASES.get(name, name) or f"column_{k + 1}")
    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        if name in seen:
            raise InputError(
                f"{source}:1: column {name!r} appears twice (columns {seen[name] + 1} and {k + 1}); "
                "expected each column once"
            )
        seen[name] = k
    return names


# -- interpreting cells ---------------------------------------------------------------------------


def _problems(source: str, problems: list[Problem]) -> InputError:
    shown = problems[:_MAX_PROBLEMS]
    if len(problems) > _MAX_PROBLEMS:
        shown.append(Problem(source, f"... and {len(problems) - _MAX_PROBLEMS} more problem(s)"))
    return InputError(f"{source}: {len(problems)} problem(s) in the population", problems=shown)


class _Cells:
    """Interprets raw byte cells; every problem is recorded with its location."""

    def __init__(self, source: str, lines: IntArray, problems: list[Problem], unit: str) -> None:
        self.source = source
        self.lines = lines
        self.problems = problems
        self.unit = unit

    def where(self, row: int) -> str:
        return where(self.source, int(self.lines[row]), self.unit)

    def unknown(self, cells: BytesArray) -> npt.NDArray[np.bool_]:
        result: npt.NDArray[np.bool_] = np.isin(np.strings.lower(cells), _UNKNOWN_BYTES)
        return result

    def numbers(self, cells: BytesArray, column: str, low: float, low_included: bool, high: float | None) -> FloatArray:
        blank = cells == b""
        filled = np.flatnonzero(~blank)
        try:
            direct = cells[filled].astype(np.float64)
        except ValueError:
            pass
        else:  # every filled cell is a number, or "nan" (an unknown marker)
            if not bool(np.isinf(direct).any()):
                bad = (direct < low) | ((direct == low) & (not low_included))
                if high is not None:
                    bad |= direct > high
                if not bool(bad.any()):
                    out = unknown_floats(len(cells))
                    out[filled] = direct
                    return out
        out = unknown_floats(len(cells))
        rows = np.flatnonzero(~self.unknown(cells))
        if not len(rows):
            return out
        values = cells[rows]
        commas = np.flatnonzero(np.strings.find(values, b",") >= 0)
        if len(commas):
            values = values.copy()
            for position in commas:
                text = bytes(values[position]).decode("utf-8", "replace")
                if _THOUSANDS.match(text):
                    values[position] = text.replace(",", "").encode()
        try:
            parsed = values.astype(np.float64)
        except ValueError:
            parsed = np.full(len(values), np.nan)
            for i, cell in enumerate(values):
                try:
                    parsed[i] = np.array([cell]).astype(np.float64)[0]
                except ValueError:
                    text = bytes(cell).decode("utf-8", "replace")
                    self.problems.append(
                        Problem(self.where(int(rows[i])), f"column {column!r}: {text!r} is not a number")
                    )
        bad_range = ~np.isfinite(parsed) | (parsed < low) | ((parsed == low) & (not low_included))
        if high is not None:
            bad_range |= parsed > high
        for i in np.flatnonzero(bad_range & ~np.isnan(parsed))[:_MAX_PROBLEMS]:
            lo = ("at least " if low_included else "more than ") + f"{low:g}"
            expected = f"a finite number {lo}" + (f" and at most {high:g}" if high is not None else "")
            text = bytes(values[i]).decode("utf-8", "replace")
            self.problems.append(Problem(self.where(int(rows[i])), f"column {column!r}: {text!r}; expected {expected}"))
        parsed[bad_range] = np.nan
        out[rows] = parsed
        return out

    def categories(self, cells: PreparedColumn, column: str, read: Callable[[str], str | None]) -> Categorical:
        """Decode and interpret each distinct value once; ``read`` returns the value kept or raises ValueError."""
        unique, inverse = cells.distinct()
        if not len(inverse) or (len(unique) == 1 and unique[0] == b""):
            return Categorical.unknown(len(inverse))
        labels: dict[str, int] = {}
        table = np.full(len(unique), -1, dtype=np.int32)
        unknown = self.unknown(unique)
        for k, cell in enumerate(unique):
            if unknown[k]:
                continue
            text = normalise_space(bytes(cell).decode("utf-8"))
            try:
                value = read(text)
            except ValueError as exc:
                row = int(np.flatnonzero(inverse == k)[0])
                self.problems.append(Problem(self.where(row), f"column {column!r}: {text!r}: {exc}"))
                continue
            if value is not None:
                table[k] = labels.setdefault(value, len(labels))
        return Categorical(table[inverse], tuple(labels))

    def dates(self, cells: PreparedColumn, column: str) -> tuple[DayArray, Categorical]:
        text = self.categories(cells, column, _date_text)
        table = np.array([np.datetime64(_end_of_period(t), "D") for t in text.labels], dtype="datetime64[D]")
        lookup = np.concatenate([table, np.array([NAT], dtype="datetime64[D]")])
        return lookup[text.codes], text


def unique_cells(cells: BytesArray) -> tuple[BytesArray, IntArray]:
    """``np.unique(cells, return_inverse=True)``, faster for cells of at most 8 bytes.

    Such cells, zero-padded to 8 bytes and read as big-endian unsigned integers, order exactly as the
    bytes do, and integers sort several times faster than byte strings (0.03 s against 0.15 s for a
    million). Wider cells take ``np.unique`` itself.
    """
    if cells.dtype.itemsize > 8 or not len(cells):
        values, inverse = np.unique(cells, return_inverse=True)
        return values, inverse.reshape(-1).astype(np.int64, copy=False)
    keys = cells.astype("S8").view(">u8")
    distinct, inverse = np.unique(keys, return_inverse=True)
    unique: BytesArray = distinct.astype(">u8").view("S8").astype(cells.dtype)
    return unique, inverse.reshape(-1).astype(np.int64, copy=False)


def _date_text(text: str) -> str:
    match = _DATE.match(text)
    if not match:
        raise ValueError("is not a date; expected YYYY-MM-DD, YYYY-MM or YYYY")
    _end_of_period(text)
    return text


def _end_of_period(text: str) -> dt.date:
    match = _DATE.match(text)
    assert match is not None
    year, month, day = int(match[1]), match[2], match[3]
    try:
        if month is None:
            end = dt.date(year, 12, 31)
        elif day is None:
            end = dt.date(year, int(month), calendar.monthrange(year, int(month))[1])
        else:
            end = dt.date(year, int(month), int(day))
    except ValueError as exc:
        raise ValueError(f"is not a valid date ({exc})") from exc
    if not EARLIEST_DATE <= end <= LATEST_DATE:
        raise ValueError(f"is outside {EARLIEST_DATE} to {LATEST_DATE}, the dates a population may carry")
    return end


def _read_openness(text: str) -> str:
    form = parse_openness(text)
    if form is None:
        raise ValueError("is not a release form; expected closed, hosted, api, open_weights or open_source")
    return form.value


def _read_modalities(text: str) -> str:
    items = [m.strip().lower().replace("-", "_") for m in re.split(r"[;,|]", text) if m.strip()]
    wrong = [m for m in items if m not in _MODALITIES]
    if wrong:
        raise ValueError(f"unknown modality {wrong[0]!r}; expected some of {', '.join(_MODALITIES)} separated by ';'")
    return ";".join(dict.fromkeys(items))


def _read_components(text: str) -> str:
    items = [c.strip() for c in re.split(r"[;,|]", text) if c.strip()]
    return ";".join(dict.fromkeys(items))


def _read_text(text: str) -> str:
    return text


def _names(cells: BytesArray, helper: _Cells) -> BytesArray:
    names = cells
    # Names holding a tab, line break, two spaces or a no-break space (UTF-8 C2 A0), found on the bytes.
    octets = np.ascontiguousarray(names).view(np.uint8).reshape(len(names), names.dtype.itemsize)
    odd = np.flatnonzero(
        ((octets == 9) | (octets == 10) | (octets == 13)).any(axis=1)
        | ((octets[:, :-1] == 32) & (octets[:, 1:] == 32)).any(axis=1)
        | ((octets[:, :-1] == 0xC2) & (octets[:, 1:] == 0xA0)).any(axis=1)
    )
    if len(odd):
        names = names.astype(object)
        for i in odd:
            names[i] = normalise_space(bytes(names[i]).decode("utf-8").replace("\xa0", " ")).encode()
        names = names.astype(np.bytes_)
    blank = np.flatnonzero(np.strings.str_len(names) == 0)
    for i in blank[:_MAX_PROBLEMS]:
        helper.problems.append(Problem(helper.where(int(i)), "column 'name': the name is blank; every row needs one"))
    long = np.flatnonzero(np.strings.str_len(names) > 500)
    for i in long[:_MAX_PROBLEMS]:
        helper.problems.append(Problem(helper.where(int(i)), "column 'name': longer than 500 characters"))
    return names


def _interpret(raw: _Raw, source: str, reporter: Reporter) -> Population:
    names = _header_names(raw.header, source)
    missing = [c for c in ("name", "training_flop") if c not in names]
    if missing:
        found = ", ".join(names) or "none"
        raise InputError(
            f"{source}:1: missing column(s) {', '.join(missing)}; expected at least name and training_flop "
            f"(found: {found})"
        )
    index = {name: k for k, name in enumerate(names)}
    n = len(raw.lines)
    problems: list[Problem] = []
    cells = _Cells(source, raw.lines, problems, raw.unit)
    notes = list(raw.notes)

    def column(name: str) -> PreparedColumn | None:
        k = index.get(name)
        data = None if k is None else raw.columns[k]
        return None if data is None else _column_of(data, raw.encoding)

    def numbers_of(data: PreparedColumn, name: str, low: float, included: bool, high: float | None) -> FloatArray:
        fast = data.floats(low, included, high)
        return cells.numbers(data.cells(), name, low, included, high) if fast is None else fast

    reporter.start("reading columns", len(names))
    name_cells = column("name")
    assert name_cells is not None
    name_array = _names(name_cells.cells(), cells)
    reporter.advance(1)
    numbers: dict[str, FloatArray] = {}
    for name, (low, included) in _NUMBER_COLUMNS.items():
        data = column(name)
        numbers[name] = unknown_floats(n) if data is None else numbers_of(data, name, low, included, None)
        if data is not None:
            reporter.advance(1)
    capabilities: dict[str, FloatArray] = {}
    for name, k in index.items():
        if not name.startswith(CAPABILITY_PREFIX):
            continue
        domain = name[len(CAPABILITY_PREFIX) :]
        if not _DOMAIN.match(domain):
            problems.append(
                Problem(f"{source}:1", f"column {raw.header[k].strip()!r}: {domain!r} is not a risk-domain name")
            )
            continue
        data = column(name)
        assert data is not None
        capabilities[domain] = numbers_of(data, name, 0.0, True, 1.0)
        reporter.advance(1)
    texts: dict[str, Categorical] = {}
    readers: dict[str, Callable[[str], str | None]] = {
        "organization": _read_text,
        "license": _read_text,
        "openness": _read_openness,
        "modalities": _read_modalities,
        "components": _read_components,
    }
    for name, read in readers.items():
        data = column(name)
        texts[name] = Categorical.unknown(n) if data is None else cells.categories(data, name, read)
        if data is not None:
            reporter.advance(1)
    days: dict[str, DayArray] = {}
    release_text = Categorical.unknown(n)
    for name in _DATE_COLUMNS:
        data = column(name)
        if data is None:
            days[name] = unknown_days(n)
            continue
        days[name], text = cells.dates(data, name)
        if name == "release":
            release_text = text
        reporter.advance(1)
    reporter.finish()

    lower, est, upper = numbers["training_flop_lower"], numbers["training_flop"], numbers["training_flop_upper"]
    orders = (
        (lower, est, "lower bound above the estimate"),
        (est, upper, "estimate above the upper bound"),
        (lower, upper, "lower bound above the upper bound"),
    )
    for left, right, what in orders:
        for i in np.flatnonzero(left > right)[:_MAX_PROBLEMS]:
            problems.append(Problem(cells.where(int(i)), f"training compute: {what}"))
    if problems:
        raise _problems(source, problems)

    form_lookup = np.array([ReleaseForm(label).openness for label in texts["openness"].labels] + [-1], dtype=np.int8)
    openness_codes = form_lookup[texts["openness"].codes]
    unknown_open = int((openness_codes < 0).sum())
    if unknown_open:
        notes.append(
            f"{unknown_open} row(s) do not state openness; read as open_source, the most open form (fail closed)"
        )
    unknown_compute = int((np.isnan(est) & np.isnan(lower) & np.isnan(upper)).sum())
    if unknown_compute:
        notes.append(
            f"{unknown_compute} row(s) have unknown training compute; never read as below a threshold, "
            "so compute rules are not ruled out"
        )
    free_licences = [label for label in texts["license"].labels if not is_spdx(label)]
    if free_licences:
        notes.append(
            f"{len(free_licences)} licence value(s) are free text, not SPDX expressions (e.g. {free_licences[0]!r}); "
            "they are shown but never count as a free and open-source licence"
        )

    extra: dict[str, TextColumn] = {}
    for k, name in enumerate(names):
        if k in raw.spans:
            extra[raw.header[k].strip().lstrip("\ufeff") or name] = raw.spans[k]

    population = Population(
        source=source,
        names=name_array,
        lines=raw.lines,
        training_flop=est,
        training_flop_lower=lower,
        training_flop_upper=upper,
        fine_tuning_flop=numbers["fine_tuning_flop"],
        revenue_usd=numbers["revenue_usd"],
        parameters=numbers["parameters"],
        capabilities=capabilities,
        openness=openness_codes,
        organization=texts["organization"],
        license=texts["license"],
        modalities=texts["modalities"],
        components=texts["components"],
        release=days["release"],
        release_text=release_text,
        training_end=days["training_end"],
        extra=extra,
        notes=tuple(notes),
        item_unit=raw.unit,
    )
    return _deduplicate(population, raw, index)


def _may_repeat(names: BytesArray) -> bool:
    """False when no two names are equal, found by sorting 64-bit hashes of the names (several times
    faster than sorting the names); True when two hashes are equal, which the exact check settles."""
    width = -(-names.dtype.itemsize // 8) * 8
    words = np.ascontiguousarray(names.astype(f"S{width}")).view(np.uint64).reshape(len(names), -1)
    hashes = np.zeros(len(names), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(words.shape[1]):
            hashes ^= words[:, k]
            hashes *= np.uint64(0x9E3779B97F4A7C15)
            hashes ^= hashes >> np.uint64(29)
    hashes.sort()
    return bool((hashes[1:] == hashes[:-1]).any())


def _deduplicate(population: Population, raw: _Raw, index: Mapping[str, int]) -> Population:
    """Drop rows that repeat an earlier row exactly; report names shared by differing rows."""
    n = len(population)
    if n < 2 or not _may_repeat(population.names):
        return population
    _, inverse, counts = np.unique(population.names, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    repeated = np.flatnonzero(counts > 1)
    if not len(repeated):
        return population
    order = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(counts)])
    drop = np.zeros(n, dtype=np.bool_)
    duplicates: list[DuplicateRows] = []
    clashes: list[NameClash] = []

    def cells(row: int) -> tuple[str, ...]:
        values: list[str] = []
        for k in range(len(raw.header)):
            data = raw.columns[k]
            if data is None:
                values.append(raw.spans[k].get(row))
            elif k == index["name"]:
                values.append(population.name(row))
            else:
                values.append(_column_of(data, raw.encoding).text(row))
        return tuple(values)

    for group in repeated:
        rows = sorted(int(r) for r in order[bounds[group] : bounds[group + 1]])
        first_seen: dict[tuple[str, ...], int] = {}
        dropped: dict[int, list[int]] = {}
        for row in rows:
            key = cells(row)
            if key in first_seen:
                drop[row] = True
                dropped.setdefault(first_seen[key], []).append(int(population.lines[row]))
            else:
                first_seen[key] = row
        name = population.name(rows[0])
        for first, lines in dropped.items():
            duplicates.append(DuplicateRows(name, int(population.lines[first]), tuple(lines)))
        if len(first_seen) > 1:
            clashes.append(NameClash(name, tuple(int(population.lines[r]) for r in sorted(first_seen.values()))))
    notes = list(population.notes)
    if duplicates:
        dropped_count = sum(len(d.dropped_lines) for d in duplicates)
        notes.append(f"{dropped_count} duplicate row(s) dropped (each repeats an earlier row exactly)")
    if clashes:
        notes.append(
            f"{len(clashes)} name(s) are shared by rows with different values; every row is kept and labelled by line"
        )
    kept = population.take(np.flatnonzero(~drop)) if drop.any() else population
    return replace(
        kept,
        duplicates=tuple(sorted(duplicates, key=lambda d: d.kept_line)),
        clashes=tuple(sorted(clashes, key=lambda c: c.lines)),
        notes=tuple(notes),
    )


# -- loading --------------------------------------------------------------------------------------


_READERS = ("auto", "core", "arrow")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_ARROW_SUFFIXES = (".arrow", ".arrows", ".feather", ".ipc")


def load_population(path: str | Path, *, reporter: Reporter | None = None, reader: str = "auto") -> Population:
    """Read a population from CSV, Parquet, Arrow IPC, or a JSON/YAML list of candidate documents or of rows.

    ``reader`` chooses how a CSV is split into cells: ``"auto"`` uses pyarrow when it is importable
    and the file is plain (see :mod:`governance.compare.population_arrow`), ``"core"`` never does,
    ``"arrow"`` refuses to run without pyarrow (a file that is not plain still goes to the core
    reader). Either way the cells are interpreted by the same code, so the
    population, or the refusal, is the same. Parquet and Arrow IPC files (by extension, or by their
    leading magic bytes) need pyarrow.

    Raises:
        InputError: the file is missing, unreadable, or has problems; every problem names its line.
    """
    if reader not in _READERS:
        raise ValueError(f"reader must be one of {', '.join(_READERS)}, not {reader!r}")
    file = Path(path)
    source = str(path)
    progress = reporter or SILENT
    suffix = file.suffix.lower()
    if suffix in (".json", ".yaml", ".yml"):
        return _load_list(file, source, progress)
    try:
        data = file.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{source}: no such file") from exc
    except OSError as exc:
        raise InputError(f"{source}: cannot be read ({exc})") from exc
    kind = _table_kind(data, suffix)
    if kind is not None:
        from governance.compare.population_arrow import read_table

        del data
        progress.start("reading file", 1)
        table = read_table(file, source, kind)
        progress.advance(1)
        progress.finish()
        return _interpret(_table_raw(table, source), source, progress)
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    if not data.endswith(b"\n") or data.endswith((b"\n\n", b"\r\n\r\n", b" \n", b"\t\n")):
        data = data.rstrip(b"\r\n\t ") + b"\n"
    if data == b"\n":
        raise InputError(f"{source}: the file is empty; expected a header row with name and training_flop")
    notes: list[str] = []
    progress.start("reading file", 1)
    raw = _read_arrow(data, source, reader)  # pyarrow checks that every cell is UTF-8
    if raw is None:
        encoding = _decode(data, source, notes)
        if encoding == "utf-8":
            raw = _read_fast(data, encoding, source)
        if raw is None:
            raw = _read_csv(data.decode(encoding), source, encoding)
    progress.advance(1)
    progress.finish()
    raw.notes = notes + raw.notes
    if bom:
        raw.notes.append("the file starts with a byte-order mark (ignored)")
    return _interpret(raw, source, progress)


def _table_kind(data: bytes, suffix: str) -> str | None:
    if data.startswith(b"PAR1") or suffix in _PARQUET_SUFFIXES:
        return "Parquet"
    if data.startswith(b"ARROW1") or suffix in _ARROW_SUFFIXES:
        return "Arrow IPC"
    return None


def _read_arrow(data: bytes, source: str, reader: str) -> _Raw | None:
    """The CSV split into cells by pyarrow, or None when the core reader is to read it."""
    if reader == "core":
        return None
    from governance.compare import population_arrow

    if not population_arrow.available():
        if reader == "arrow":
            raise InputError(f"{source}: the arrow reader needs pyarrow; {population_arrow.FRAMES_HINT}")
        return None
    try:
        header = data[: data.find(b"\n")].decode("utf-8").split(",")
    except UnicodeDecodeError:
        return None
    try:
        names = _header_names(header, source)
    except InputError:
        return None  # the core reader says why, in its words
    categorical = [k for k, name in enumerate(names) if name in _TEXT_COLUMNS or name in _DATE_COLUMNS]
    table = population_arrow.csv_table(data, len(header), categorical)
    if table is None:
        return None
    return _table_raw(table, source, header=header, first_line=2, unit="line")


def _table_raw(
    table: Any, source: str, *, header: list[str] | None = None, first_line: int = 1, unit: str = "row"
) -> _Raw:
    """A pyarrow table as raw columns: known columns prepared, the others kept for display."""
    from governance.compare.population_arrow import ArrowText, table_columns

    header = [str(name) for name in table.column_names] if header is None else header
    names = _header_names(header, source)
    columns: list[BytesArray | PreparedColumn | None] = []
    spans: dict[int, TextColumn] = {}
    for k, prepared in enumerate(table_columns(table, source)):
        if names[k] not in KNOWN_COLUMNS and not names[k].startswith(CAPABILITY_PREFIX):
            spans[k] = ArrowText(prepared.array)
            columns.append(None)
        else:
            columns.append(prepared)
    lines = np.arange(first_line, table.num_rows + first_line, dtype=np.int64)
    return _Raw(header, columns, spans, lines, [], "utf-8", unit)


def population_from_frame(frame: Any, *, source: str = "<frame>", reporter: Reporter | None = None) -> Population:
    """A population from a pandas or polars data frame whose columns are the CSV columns.

    Through pyarrow when it is importable (typed numbers and dates are read without text), otherwise
    row by row as a list of rows is; problems name the row (counted from 1).

    Raises:
        InputError: the frame is not a data frame, or its cells have problems.
    """
    from governance.compare import population_arrow

    progress = reporter or SILENT
    module = type(frame).__module__.split(".")[0]
    if module not in ("pandas", "polars") or not hasattr(frame, "columns"):
        raise InputError(f"{source}: expected a pandas or polars DataFrame, not {type(frame).__name__}")
    if population_arrow.available():
        import pyarrow as pa

        try:
            table = frame.to_arrow() if module == "polars" else pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError):
            table = None  # mixed Python objects in a column: read row by row
        if table is not None:
            return _interpret(_table_raw(table, source), source, progress)
    header = [str(name) for name in frame.columns]
    records = frame.to_dicts() if module == "polars" else frame.to_dict("records")
    rows = [[_cell_text(record[key]) for key in frame.columns] for record in records]
    raw = _raw_from_rows(header, rows, np.arange(1, len(rows) + 1, dtype=np.int64), [], source, "row")
    return _interpret(raw, source, progress)


def _load_list(file: Path, source: str, progress: Reporter) -> Population:
    document, lines = load_document(file, error=InputError)
    items = document.get("candidates", document.get("population")) if isinstance(document, dict) else document
    if not isinstance(items, list) or not items:
        raise InputError(
            f"{source}: expected a non-empty list of candidates (mappings with model, compute and release) "
            "or of rows (mappings with name and training_flop)"
        )
    if not all(isinstance(item, dict) for item in items):
        raise InputError(f"{source}: every item of the list must be a mapping")
    as_candidates = ["model" in item for item in items]
    if all(as_candidates):
        candidates: list[Candidate] = []
        problems: list[Problem] = []
        progress.start("validating candidates", len(items))
        for i, item in enumerate(items):
            try:
                candidates.append(Candidate.model_validate(item))
            except ValidationError as exc:
                prefixed = [{**err, "loc": (i, *err["loc"])} for err in exc.errors()]
                problems.extend(pydantic_problems(prefixed, source, lines))
            progress.advance(1)
        progress.finish()
        if problems:
            raise _problems(source, problems)
        return Population.from_candidates(candidates, source=source)
    if any(as_candidates):
        raise InputError(f"{source}: the list mixes candidate documents and rows; use one kind")
    header: list[str] = []
    for item in items:
        for key in item:
            if str(key) not in header:
                header.append(str(key))
    rows = [[_cell_text(item.get(key)) for key in header] for item in items]
    prefix: tuple[str, ...] = ()
    if isinstance(document, dict):
        prefix = ("candidates",) if "candidates" in document else ("population",)
    item_lines = [lines.get((*prefix, i)) for i in range(len(items))]
    if all(line is not None for line in item_lines):
        raw = _raw_from_rows(header, rows, np.asarray(item_lines, dtype=np.int64), [], source, "line")
    else:
        raw = _raw_from_rows(header, rows, np.arange(1, len(items) + 1, dtype=np.int64), [], source, "item")
    return _interpret(raw, source, progress)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | bytes | list | tuple | dict):
        return False
    try:
        return bool(value != value)  # NaN, NaT
    except (TypeError, ValueError):  # pandas.NA
        return True


def _cell_text(value: Any) -> str:
    if isinstance(value, np.ndarray):  # a list cell of a pandas frame
        value = value.tolist()
    if _missing(value):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


# -- writing --------------------------------------------------------------------------------------


def _number_text(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))


def write_population_csv(
    population: Population, path: str | Path, *, reporter: Reporter | None = None, force: bool = False
) -> Path:
    """Write ``population`` as CSV that :func:`load_population` reads back to the same columns.

    The file is written as every output is (see :mod:`governance._files`: an existing file only with
    ``force``, never through a link, ``-`` for standard output). Text cells that a spreadsheet would
    run as a formula get a leading apostrophe (:func:`~governance._text.spreadsheet_safe`); such a
    name reads back with the apostrophe.
    """
    file = Path(path)
    progress = reporter or SILENT
    n = len(population)
    domains = list(population.capabilities)
    header = [
        "name",
        "training_flop",
        "training_flop_lower",
        "training_flop_upper",
        "fine_tuning_flop",
        "organization",
        "release",
        "training_end",
        "openness",
        "license",
        "components",
        "modalities",
        "revenue_usd",
        "parameters",
        *[CAPABILITY_PREFIX + d for d in domains],
        *population.extra,
    ]
    numeric = [
        population.training_flop,
        population.training_flop_lower,
        population.training_flop_upper,
        population.fine_tuning_flop,
    ]
    tail = [population.revenue_usd, population.parameters, *[population.capabilities[d] for d in domains]]
    org_labels = [*population.organization.labels, ""]
    lic_labels = [*population.license.labels, ""]
    component_labels = [*population.components.labels, ""]
    modality_labels = [*population.modalities.labels, ""]
    form_labels = [f.value for f in FORMS]
    chunk = 50_000
    progress.start("writing population", n)
    try:
        with open_text_output(path, force=force) as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            for begin in range(0, n, chunk):
                stop = min(n, begin + chunk)
                text_columns = [[_number_text(v) for v in array[begin:stop].tolist()] for array in numeric]
                tail_columns = [[_number_text(v) for v in array[begin:stop].tolist()] for array in tail]
                names = [bytes(b).decode("utf-8") for b in population.names[begin:stop]]
                orgs = [org_labels[c] for c in population.organization.codes[begin:stop]]
                lics = [lic_labels[c] for c in population.license.codes[begin:stop]]
                comps = [component_labels[c] for c in population.components.codes[begin:stop]]
                mods = [modality_labels[c] for c in population.modalities.codes[begin:stop]]
                forms = ["" if c < 0 else form_labels[c] for c in population.openness[begin:stop]]
                releases = ["" if np.isnat(d) else str(d) for d in population.release[begin:stop]]
                ends = ["" if np.isnat(d) else str(d) for d in population.training_end[begin:stop]]
                extras = [[column.get(i) for i in range(begin, stop)] for column in population.extra.values()]
                for j in range(stop - begin):
                    writer.writerow(
                        spreadsheet_row(
                            [
                                names[j],
                                *(column[j] for column in text_columns),
                                orgs[j],
                                releases[j],
                                ends[j],
                                forms[j],
                                lics[j],
                                comps[j],
                                mods[j],
                                *(column[j] for column in tail_columns),
                                *(column[j] for column in extras),
                            ]
                        )
                    )
                progress.advance(stop - begin)
    finally:
        progress.finish()
    return file
