"""Populations: many candidates at once, held as columns.

A :class:`Population` keeps one array per input (compute, capability per domain, release form,
dates...), so that a million rows never become a million Python objects. Read one with
:func:`governance.compare.population_io.load_population` (CSV, or a JSON/YAML list), or generate one with
:mod:`governance.compare.synthetic`.

Two paths lead from a row to the numbers a policy reads, and they agree exactly (tests check it):

- the slow path, :meth:`Population.candidate`: the :class:`~governance.candidate.Candidate` the row
  stands for, then :func:`~governance.features.extract_features`;
- the fast path, :meth:`Population.feature_arrays`: the feature arrays computed straight from the
  columns, with every date- or text-dependent value computed once per distinct value by the same
  functions the slow path uses (``efficiency_factor``, ``release_features``).

Unknowns fail closed, as everywhere in the engine: unknown compute, revenue or parameter count is
never read as below a threshold (``inf``), a missing capability as missing evidence, and an unknown
openness as the most open release form (``open_source``). The release date stands in for the end of
training when that is not given: training ends before release, so the later date is the side that
can only raise efficiency-adjusted compute.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from governance._yaml import pydantic_problems
from governance.candidate import Candidate, Release, ReleaseForm
from governance.compiled import compile_policy
from governance.exceptions import InputError
from governance.features import extract_features, feature, policy_domains
from governance.policy import Policy
from governance.vectorised import VectorisedPolicy

__all__ = [
    "CAPABILITY_PREFIX",
    "UNKNOWN_MARKERS",
    "Categorical",
    "DuplicateRows",
    "NameClash",
    "Population",
    "Reporter",
    "parse_openness",
]

FloatArray = npt.NDArray[np.float64]
BytesArray = npt.NDArray[np.bytes_]
IntArray = npt.NDArray[np.int64]
DayArray = npt.NDArray[np.datetime64]

CAPABILITY_PREFIX = "cap_"
UNKNOWN_MARKERS: tuple[str, ...] = ("", "unknown", "n/a", "na", "?", "-", "–", "—", "null", "none", "nan", "not known")
"""Cell values read as unknown (compared case-insensitively, after trimming whitespace)."""

_OPENNESS: dict[str, ReleaseForm] = {
    "closed": ReleaseForm.CLOSED,
    "unreleased": ReleaseForm.CLOSED,
    "hosted": ReleaseForm.HOSTED,
    "api": ReleaseForm.API,
    "open-weight": ReleaseForm.OPEN_WEIGHTS,
    "open-weights": ReleaseForm.OPEN_WEIGHTS,
    "open-source": ReleaseForm.OPEN_SOURCE,
    "fully-open": ReleaseForm.OPEN_SOURCE,
}
FORMS = list(ReleaseForm)
_UNKNOWN_DEVELOPER = "unknown"
NAT = np.datetime64("NaT", "D")


# -- progress -------------------------------------------------------------------------------------


class Reporter(Protocol):
    """Receives progress of long steps; the CLI shows it as rich progress bars."""

    def start(self, description: str, total: float) -> None:
        """A step begins; ``total`` units of work follow."""

    def advance(self, amount: float) -> None:
        """``amount`` more units are done."""

    def finish(self) -> None:
        """The step is over."""


class _Silent:
    def start(self, description: str, total: float) -> None:
        return None

    def advance(self, amount: float) -> None:
        return None

    def finish(self) -> None:
        return None


SILENT: Reporter = _Silent()


# -- small value types ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Categorical:
    """A text column stored as codes into its distinct values; code -1 is unknown."""

    codes: npt.NDArray[np.int32]
    labels: tuple[str, ...]

    @classmethod
    def unknown(cls, n: int) -> Categorical:
        """A column of ``n`` unknown values."""
        return cls(np.full(n, -1, dtype=np.int32), ())

    @classmethod
    def from_values(cls, values: Sequence[str | None]) -> Categorical:
        """Encode Python strings (None for unknown)."""
        labels: dict[str, int] = {}
        codes = np.fromiter(
            (-1 if v is None else labels.setdefault(v, len(labels)) for v in values), dtype=np.int32, count=len(values)
        )
        return cls(codes, tuple(labels))

    def value(self, index: int) -> str | None:
        """The value of row ``index``, or None when unknown."""
        code = int(self.codes[index])
        return None if code < 0 else self.labels[code]

    def take(self, rows: npt.NDArray[np.intp]) -> Categorical:
        """The rows at ``rows``."""
        return Categorical(self.codes[rows], self.labels)


@dataclass(frozen=True)
class DuplicateRows:
    """Rows that repeat an earlier row exactly; the first is kept, the others dropped."""

    name: str
    kept_line: int
    dropped_lines: tuple[int, ...]


@dataclass(frozen=True)
class NameClash:
    """Rows that share a name but differ in some value; every one is kept."""

    name: str
    lines: tuple[int, ...]


class TextColumn(Protocol):
    def __len__(self) -> int: ...

    def get(self, index: int) -> str: ...

    def take(self, rows: npt.NDArray[np.intp]) -> TextColumn: ...


@dataclass(frozen=True)
class ListText:
    values: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.values)

    def get(self, index: int) -> str:
        return self.values[index]

    def take(self, rows: npt.NDArray[np.intp]) -> ListText:
        return ListText(tuple(self.values[int(i)] for i in rows))


@dataclass(frozen=True)
class SpanText:
    """Cells left in the file's bytes and decoded only when shown."""

    data: bytes
    starts: IntArray
    ends: IntArray
    encoding: str

    def __len__(self) -> int:
        return len(self.starts)

    def get(self, index: int) -> str:
        return normalise_space(self.data[int(self.starts[index]) : int(self.ends[index])].decode(self.encoding))

    def take(self, rows: npt.NDArray[np.intp]) -> SpanText:
        return SpanText(self.data, self.starts[rows], self.ends[rows], self.encoding)


# -- the population -------------------------------------------------------------------------------


def unknown_floats(n: int) -> FloatArray:
    return np.full(n, np.nan, dtype=np.float64)


def unknown_days(n: int) -> DayArray:
    return np.full(n, NAT, dtype="datetime64[D]")


@dataclass(frozen=True, eq=False)
class Population:
    """Candidates held as columns. Unknown numbers are NaN, unknown dates NaT, unknown text code -1.

    Build one with :func:`load_population`, :meth:`from_frame`, :meth:`from_candidates`, :meth:`from_columns` or the
    generators in :mod:`governance.compare.synthetic`.
    """

    source: str
    """Where the rows came from (a file path, or a description of a generated population)."""
    names: BytesArray
    """Model names, UTF-8, whitespace normalised."""
    lines: IntArray
    """The source line (CSV) or item number (JSON/YAML) of each row; 0 for generated rows."""
    training_flop: FloatArray
    training_flop_lower: FloatArray
    training_flop_upper: FloatArray
    fine_tuning_flop: FloatArray
    revenue_usd: FloatArray
    parameters: FloatArray
    capabilities: Mapping[str, FloatArray]
    """Capability per risk domain (columns ``cap_<domain>``); NaN where there is no evidence."""
    openness: npt.NDArray[np.int8]
    """The release form's position on the gradient (0 closed .. 4 open_source); -1 unknown."""
    organization: Categorical
    license: Categorical
    modalities: Categorical
    """Output modalities joined with ``;``."""
    components: Categorical
    """Published release components (``weights;model_card``) joined with ``;``."""
    release: DayArray
    release_text: Categorical
    """The release date as written (``2024-07``), for display."""
    training_end: DayArray
    extra: Mapping[str, TextColumn]
    """Columns the engine does not read, kept for display."""
    duplicates: tuple[DuplicateRows, ...] = ()
    clashes: tuple[NameClash, ...] = ()
    notes: tuple[str, ...] = ()
    """What loading had to interpret (unknown openness read as open_source, padded short rows...)."""
    documents: tuple[Candidate, ...] | None = None
    """The candidates themselves when the population was given as candidate documents."""
    item_unit: str = "line"
    """What :attr:`lines` counts: ``line`` (CSV, YAML) or ``item`` (a JSON list without line numbers)."""
    _cache: dict[tuple[Any, ...], FloatArray] = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_columns(
        cls,
        names: Sequence[str] | BytesArray,
        *,
        source: str = "<columns>",
        training_flop: npt.ArrayLike | None = None,
        capabilities: Mapping[str, npt.ArrayLike] | None = None,
        openness: Sequence[ReleaseForm | None] | npt.NDArray[np.int8] | None = None,
        organization: Sequence[str | None] | Categorical | None = None,
        license: Sequence[str | None] | Categorical | None = None,
        release: npt.ArrayLike | None = None,
        training_end: npt.ArrayLike | None = None,
        revenue_usd: npt.ArrayLike | None = None,
        parameters: npt.ArrayLike | None = None,
        fine_tuning_flop: npt.ArrayLike | None = None,
        training_flop_lower: npt.ArrayLike | None = None,
        training_flop_upper: npt.ArrayLike | None = None,
        components: Sequence[str | None] | Categorical | None = None,
        modalities: Sequence[str | None] | Categorical | None = None,
        extra: Mapping[str, Sequence[str]] | None = None,
    ) -> Population:
        """A population from in-memory columns (NaN, None or NaT for unknown); used by generators and tests.

        ``openness`` takes release forms (or their gradient positions, -1 unknown); ``release`` and
        ``training_end`` take anything ``numpy.datetime64`` reads, at day precision; ``modalities`` and
        ``components`` take ``;``-joined lists.
        """
        name_array = (
            names
            if isinstance(names, np.ndarray)
            else np.array([normalise_space(n).encode() for n in names], dtype=np.bytes_)
        )
        n = len(name_array)

        def floats(values: npt.ArrayLike | None) -> FloatArray:
            if values is None:
                return unknown_floats(n)
            out = np.asarray(values, dtype=np.float64)
            if out.shape != (n,):
                raise InputError(f"a population column has {out.shape} values; expected {n}")
            return out

        def days(values: npt.ArrayLike | None) -> DayArray:
            if values is None:
                return unknown_days(n)
            return np.asarray(values, dtype="datetime64[D]")

        def text(values: Sequence[str | None] | Categorical | None) -> Categorical:
            if values is None:
                return Categorical.unknown(n)
            return values if isinstance(values, Categorical) else Categorical.from_values(values)

        if openness is None:
            open_codes = np.full(n, -1, dtype=np.int8)
        elif isinstance(openness, np.ndarray):
            open_codes = openness.astype(np.int8)
        else:
            open_codes = np.array([-1 if f is None else f.openness for f in openness], dtype=np.int8)
        release_days = days(release)
        return cls(
            source=source,
            names=name_array,
            lines=np.zeros(n, dtype=np.int64),
            training_flop=floats(training_flop),
            training_flop_lower=floats(training_flop_lower),
            training_flop_upper=floats(training_flop_upper),
            fine_tuning_flop=floats(fine_tuning_flop),
            revenue_usd=floats(revenue_usd),
            parameters=floats(parameters),
            capabilities={d: floats(v) for d, v in (capabilities or {}).items()},
            openness=open_codes,
            organization=text(organization),
            license=text(license),
            modalities=text(modalities),
            components=text(components),
            release=release_days,
            release_text=Categorical.from_values([None if np.isnat(d) else str(d) for d in release_days]),
            training_end=days(training_end),
            extra={k: ListText(tuple(v)) for k, v in (extra or {}).items()},
        )

    @classmethod
    def from_frame(cls, frame: Any, *, source: str = "<frame>") -> Population:
        """A population from a pandas or polars DataFrame with the CSV's columns (``name``,
        ``training_flop``, ``cap_<domain>``...), read as a CSV file is; problems name the row.

        Numbers may be numbers or text, dates dates or ``YYYY-MM-DD`` text, ``modalities`` and
        ``components`` lists of text or ``;``-separated text. pandas or polars is needed only to make
        the frame; with pyarrow installed (``pip install 'governance[frames]'``) typed columns are read
        without a detour through text.

        Raises:
            InputError: ``frame`` is not a data frame, or its cells have problems.
        """
        from governance.compare.population_io import population_from_frame

        return population_from_frame(frame, source=source)

    @classmethod
    def from_candidates(cls, candidates: Sequence[Candidate], *, source: str = "<candidates>") -> Population:
        """A population of candidate documents; features come from the candidates themselves."""
        n = len(candidates)
        est, low, up = unknown_floats(n), unknown_floats(n), unknown_floats(n)
        caps: dict[str, FloatArray] = {}
        for i, c in enumerate(candidates):
            flop = c.compute.training_flop
            if isinstance(flop, int | float):
                est[i] = flop
            elif flop is not None:
                est[i] = np.nan if flop.estimate is None else flop.estimate
                low[i] = np.nan if flop.lower is None else flop.lower
                up[i] = np.nan if flop.upper is None else flop.upper
            for domain in c.capabilities:
                score = c.capability(domain)
                assert score is not None
                caps.setdefault(domain, unknown_floats(n))[i] = score.bound
        release = [c.release.date for c in candidates]
        return cls(
            source=source,
            names=np.array([c.model.name.encode() for c in candidates], dtype=np.bytes_),
            lines=np.arange(1, n + 1, dtype=np.int64),
            training_flop=est,
            training_flop_lower=low,
            training_flop_upper=up,
            fine_tuning_flop=np.array(
                [np.nan if c.compute.fine_tuning_flop is None else c.compute.fine_tuning_flop for c in candidates],
                dtype=np.float64,
            ),
            revenue_usd=np.array(
                [
                    np.nan
                    if c.developer is None or c.developer.annual_revenue_usd is None
                    else c.developer.annual_revenue_usd
                    for c in candidates
                ],
                dtype=np.float64,
            ),
            parameters=np.array(
                [np.nan if c.model.parameters is None else c.model.parameters for c in candidates], dtype=np.float64
            ),
            capabilities=caps,
            openness=np.array([c.release.form.openness for c in candidates], dtype=np.int8),
            organization=Categorical.from_values([c.model.developer for c in candidates]),
            license=Categorical.from_values([c.release.license for c in candidates]),
            modalities=Categorical.from_values([";".join(c.model.modalities) or None for c in candidates]),
            components=Categorical.from_values([";".join(c.release.components) or None for c in candidates]),
            release=np.array([NAT if d is None else np.datetime64(d, "D") for d in release], dtype="datetime64[D]"),
            release_text=Categorical.from_values([None if d is None else d.isoformat() for d in release]),
            training_end=np.array(
                [
                    NAT if c.compute.training_end is None else np.datetime64(c.compute.training_end, "D")
                    for c in candidates
                ],
                dtype="datetime64[D]",
            ),
            extra={},
            documents=tuple(candidates),
        )

    # -- reading rows ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.names)

    def name(self, index: int) -> str:
        """The name of row ``index``."""
        return bytes(self.names[index]).decode("utf-8")

    def label(self, index: int) -> str:
        """A unique label for row ``index``: the name, with its line when another row shares the name."""
        name = self.name(index)
        if name in self._clashing:
            line = int(self.lines[index])
            return f"{name} ({self.item_unit} {line})" if line else f"{name} (row {index + 1})"
        return name

    @cached_property
    def _clashing(self) -> frozenset[str]:
        return frozenset(c.name for c in self.clashes)

    def location(self, index: int) -> str:
        """Where row ``index`` comes from: ``source:line`` (or ``source: item n``); the source for generated rows."""
        return where(self.source, int(self.lines[index]), self.item_unit)

    @property
    def capability_domains(self) -> tuple[str, ...]:
        """The domains that have a capability column, in column order."""
        return tuple(self.capabilities)

    def compute_known(self) -> npt.NDArray[np.bool_]:
        """True where some training-compute figure (estimate or bound) is known."""
        return ~(np.isnan(self.training_flop) & np.isnan(self.training_flop_lower) & np.isnan(self.training_flop_upper))

    def release_form(self, index: int) -> ReleaseForm | None:
        """The release form of row ``index``, or None when the file did not say."""
        code = int(self.openness[index])
        return None if code < 0 else FORMS[code]

    def row(self, index: int) -> dict[str, Any]:
        """Row ``index`` as plain values for display (None for unknown)."""

        def number(values: FloatArray) -> float | None:
            value = float(values[index])
            return None if math.isnan(value) else value

        form = self.release_form(index)
        out: dict[str, Any] = {
            "name": self.label(index),
            "line": int(self.lines[index]) or None,
            "organization": self.organization.value(index),
            "training_flop": number(self.training_flop),
            "training_flop_lower": number(self.training_flop_lower),
            "training_flop_upper": number(self.training_flop_upper),
            "release": self.release_text.value(index),
            "openness": None if form is None else form.value,
            "license": self.license.value(index),
            "components": self.components.value(index),
            "revenue_usd": number(self.revenue_usd),
            "parameters": number(self.parameters),
            "capabilities": {d: number(v) for d, v in self.capabilities.items()},
            "extra": {k: column.get(index) for k, column in self.extra.items()},
        }
        return out

    def take(self, rows: npt.ArrayLike) -> Population:
        """The population restricted to ``rows`` (indexes, in the order given)."""
        index = np.asarray(rows, dtype=np.intp)
        return Population(
            source=self.source,
            names=self.names[index],
            lines=self.lines[index],
            training_flop=self.training_flop[index],
            training_flop_lower=self.training_flop_lower[index],
            training_flop_upper=self.training_flop_upper[index],
            fine_tuning_flop=self.fine_tuning_flop[index],
            revenue_usd=self.revenue_usd[index],
            parameters=self.parameters[index],
            capabilities={d: v[index] for d, v in self.capabilities.items()},
            openness=self.openness[index],
            organization=self.organization.take(index),
            license=self.license.take(index),
            modalities=self.modalities.take(index),
            components=self.components.take(index),
            release=self.release[index],
            release_text=self.release_text.take(index),
            training_end=self.training_end[index],
            extra={k: v.take(index) for k, v in self.extra.items()},
            duplicates=self.duplicates,
            clashes=self.clashes,
            notes=self.notes,
            documents=None if self.documents is None else tuple(self.documents[int(i)] for i in index),
            item_unit=self.item_unit,
        )

    # -- candidates (the slow path) -------------------------------------------------------------

    def candidate(self, index: int) -> Candidate:
        """The candidate row ``index`` stands for (built from the columns unless given as a document)."""
        if self.documents is not None:
            return self.documents[index]

        def known(values: FloatArray) -> float | None:
            value = float(values[index])
            return None if math.isnan(value) else value

        estimate = known(self.training_flop)
        lower, upper = known(self.training_flop_lower), known(self.training_flop_upper)
        flop: Any
        if lower is not None or upper is not None:
            flop = {"estimate": estimate, "lower": lower, "upper": upper}
        else:
            flop = estimate
        organization = self.organization.value(index)
        revenue = known(self.revenue_usd)
        form = self.release_form(index) or ReleaseForm.OPEN_SOURCE
        licence = self.license.value(index)
        release_day = _day(self.release[index])
        end = _day(self.training_end[index]) or release_day
        modalities = self.modalities.value(index)
        components = self.components.value(index)
        document: dict[str, Any] = {
            "model": {
                "name": self.name(index),
                "developer": organization or _UNKNOWN_DEVELOPER,
                "parameters": known(self.parameters),
                "modalities": modalities.split(";") if modalities else [],
            },
            "compute": {
                "training_flop": flop,
                "fine_tuning_flop": known(self.fine_tuning_flop),
                "training_end": end,
                "source": f"population row {self.location(index)}",
            },
            "capabilities": {
                d: float(v[index]) for d, v in self.capabilities.items() if not math.isnan(float(v[index]))
            },
            "release": {
                "form": form.value,
                "components": components.split(";") if components else [],
                "license": licence if is_spdx(licence) else None,
                "date": release_day,
            },
        }
        if organization is not None or revenue is not None:
            document["developer"] = {"name": organization or _UNKNOWN_DEVELOPER, "annual_revenue_usd": revenue}
        try:
            return Candidate.model_validate(_drop_none(document))
        except ValidationError as exc:
            problems = pydantic_problems(exc.errors(), self.location(index), {})
            raise InputError(f"{self.location(index)}: the row is not a valid candidate", problems=problems) from exc

    def candidates(self) -> list[Candidate]:
        """Every row as a candidate (slow for large populations; the fast path is :meth:`feature_arrays`)."""
        return [self.candidate(i) for i in range(len(self))]

    # -- features (the fast path) ---------------------------------------------------------------

    def feature_arrays(
        self, policy: Policy, as_of: dt.date, features: Iterable[str] | None = None
    ) -> dict[str, FloatArray]:
        """The feature arrays ``policy`` reads (or ``features``), one value per row, without building candidates.

        Values equal those of :func:`~governance.features.extract_features` on :meth:`candidate`.
        The arrays are read-only and shared between calls.
        """
        wanted = tuple(features) if features is not None else VectorisedPolicy(compile_policy(policy)).features
        if self.documents is not None:
            return self._document_features(policy, as_of, wanted)
        return {name: self._feature(name, policy, as_of) for name in wanted}

    def _document_features(self, policy: Policy, as_of: dt.date, wanted: tuple[str, ...]) -> dict[str, FloatArray]:
        assert self.documents is not None
        columns: dict[str, list[float]] = {name: [] for name in wanted}
        for candidate in self.documents:
            values = extract_features(candidate, policy, as_of).values
            for name, column in columns.items():
                if name not in values:
                    raise InputError(f"feature {name!r} is not in the catalogue")
                column.append(values[name])
        return {name: np.asarray(column, dtype=np.float64) for name, column in columns.items()}

    def _remember(self, key: tuple[Any, ...], make: Callable[[], FloatArray]) -> FloatArray:
        cached = self._cache.get(key)
        if cached is None:
            cached = make()
            cached.flags.writeable = False
            self._cache[key] = cached
        return cached

    # -- the column inputs the feature registry reads (governance.features.ColumnInputs) ----------

    def per_release(self, derive: Callable[[Release], float]) -> FloatArray:
        """``derive`` of each row's release plan, computed once per distinct (form, licence, components)."""
        forms = np.where(self.openness < 0, ReleaseForm.OPEN_SOURCE.openness, self.openness).astype(np.int64)
        licences = len(self.license.labels) + 1
        components = len(self.components.labels) + 1
        keys = (forms * licences + (self.license.codes.astype(np.int64) + 1)) * components + (
            self.components.codes.astype(np.int64) + 1
        )
        unique, inverse = np.unique(keys, return_inverse=True)
        table = []
        for key in unique:
            rest, component_code = divmod(int(key), components)
            form, licence_code = divmod(rest, licences)
            licence = self.license.labels[licence_code - 1] if licence_code else None
            listed = self.components.labels[component_code - 1].split(";") if component_code else []
            release = Release(form=FORMS[form], components=tuple(listed), license=licence if is_spdx(licence) else None)
            table.append(derive(release))
        out: FloatArray = np.asarray(table, dtype=np.float64)[inverse.reshape(-1)]
        return out

    def per_modalities(self, derive: Callable[[tuple[str, ...]], float]) -> FloatArray:
        """``derive`` of each row's output modalities, computed once per distinct set."""
        table = [derive(tuple(label.split(";")) if label else ()) for label in self.modalities.labels]
        lookup = np.asarray([*table, derive(())], dtype=np.float64)  # code -1: no modality stated
        out: FloatArray = lookup[self.modalities.codes]
        return out

    def per_day(self, derive: Callable[[dt.date], float], as_of: dt.date) -> FloatArray:
        """``derive`` of each row's compute date (end of training, else release, else ``as_of``), once per day."""
        days = np.where(np.isnat(self.training_end), self.release, self.training_end)
        days = np.where(np.isnat(days), np.datetime64(as_of, "D"), days)
        unique, inverse = np.unique(days.astype(np.int64), return_inverse=True)
        epoch = dt.date(1970, 1, 1)
        table = np.asarray([derive(epoch + dt.timedelta(days=int(d))) for d in unique], dtype=np.float64)
        out: FloatArray = table[inverse.reshape(-1)]
        return out

    def capability(self, domain: str) -> FloatArray | None:
        """The capability column of ``domain`` (``nan`` where unknown), or None when the population has none."""
        return self.capabilities.get(domain)

    def _feature(self, name: str, policy: Policy, as_of: dt.date) -> FloatArray:
        entry = feature(name, policy_domains(policy))
        if entry is None:
            raise InputError(f"feature {name!r} is not in the catalogue for {policy.ref}")
        params = policy.parameters
        key = (name, params.compute_stance.value, params.reference_date, params.halving_months, as_of)
        return self._remember(key, lambda: entry.column(self, policy, as_of))

    # -- summaries ------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Counts a reader checks first: rows, unknown compute, evidence coverage, and loading notes."""
        known = self.compute_known()
        return {
            "source": self.source,
            "rows": len(self),
            "compute_known": int(known.sum()),
            "compute_unknown": int((~known).sum()),
            "openness_unknown": int((self.openness < 0).sum()),
            "release_unknown": int(np.isnat(self.release).sum()),
            "capability_columns": {d: int((~np.isnan(v)).sum()) for d, v in self.capabilities.items()},
            "extra_columns": list(self.extra),
            "duplicates": [
                {"name": d.name, "kept_line": d.kept_line, "dropped_lines": list(d.dropped_lines)}
                for d in self.duplicates
            ],
            "name_clashes": [{"name": c.name, "lines": list(c.lines)} for c in self.clashes],
            "notes": list(self.notes),
        }


def _day(value: np.datetime64) -> dt.date | None:
    if np.isnat(value):
        return None
    result = value.astype("datetime64[D]").astype(dt.date)
    assert isinstance(result, dt.date)
    return result


def _drop_none(document: dict[str, Any]) -> dict[str, Any]:
    """Remove absent optional fields; ``training_flop`` stays, since null there means unknown."""
    return {
        k: (_drop_none(v) if isinstance(v, dict) and k != "capabilities" else v)
        for k, v in document.items()
        if v is not None or k == "training_flop"
    }


def _spdx_probe(value: str) -> bool:
    try:
        Release(form=ReleaseForm.CLOSED, license=value)
    except ValidationError:
        return False
    return True


_SPDX_CACHE: dict[str, bool] = {}


def is_spdx(value: str | None) -> bool:
    """True when ``value`` is written as an SPDX expression (else it is free text kept for display)."""
    if value is None:
        return False
    cached = _SPDX_CACHE.get(value)
    if cached is None:
        cached = _SPDX_CACHE[value] = _spdx_probe(value)
    return cached


def where(source: str, number: int, unit: str) -> str:
    """``source:line``, ``source: item n``, ``source: row n``, or just the source when ``number`` is 0."""
    if not number:
        return source
    return f"{source}:{number}" if unit == "line" else f"{source}: {unit} {number}"


def normalise_space(text: str) -> str:
    return " ".join(text.split())


def parse_openness(text: str) -> ReleaseForm | None:
    """The release form an ``openness`` cell names, or None when it is not one of the accepted spellings."""
    key = re.sub(r"[\s_]+", "-", text.strip().lower())
    if key in _OPENNESS:
        return _OPENNESS[key]
    try:
        return ReleaseForm(key.replace("-", "_"))
    except ValueError:
        return None
