"""Evaluation suites: what a benchmark measures, and how its raw score maps to a capability score.

A suite is data (``evaluations/<suite-id>/suite.yaml``): the benchmark's risk domain, metric and
direction, number of items, chance level, published human or expert baselines, and the
normalisation that maps a raw score onto the normalised capability scale [0, 1] that policies read.
Every number cites a source or is marked illustrative. Suites are found in the shipped
``evaluations`` folder (:func:`governance.loader.data_dir`), which works from a wheel too.
``decide`` never looks them up on its own: it is given a :class:`SuiteCatalogue`, and its decision
records the digest of every suite it used.

A suite has a canonical document and digest (:meth:`Suite.document`, :attr:`Suite.digest`), as a
policy has, so that a decision ledger can store the exact suite versions a decision used. Inside
:func:`use_suites` the lookups here read only the suites given, never the folder: that is how a
recorded decision is replayed without ``evaluations/``.

Two normalisations exist, both monotone and clipped to [0, 1]:

* ``linear``: ``(raw - floor) / (ceiling - floor)``; e.g. from chance to an expert baseline;
* ``log``: ``log(raw / floor) / log(ceiling / floor)``; for measures that grow by doubling, such as a
  task time horizon in minutes.

A ``lower_is_better`` metric has ``floor > ceiling``; the formulas are the same.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from governance._yaml import load_document, pydantic_problems
from governance.canonical import canonical_digest
from governance.exceptions import EvidenceError

__all__ = [
    "SUITE_FILE",
    "Baseline",
    "Normalisation",
    "Suite",
    "SuiteCatalogue",
    "SuiteSource",
    "empty_suites",
    "find_suite",
    "load_suite",
    "load_suites",
    "shipped_suites",
    "suite_for_task",
    "use_suites",
]

SUITE_FILE = "suite.yaml"

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.\-]{0,79}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)


class SuiteSource(_Spec):
    """A publication or dataset a suite's numbers come from."""

    id: Identifier
    title: Text
    url: Text | None = None
    section: Text | None = None
    """Where in the source the number is: a table, section or page."""
    tag: Literal["C", "S", "V", "U"] | None = None
    """Confidence in the citation, as in the project's reference notes: C confirmed (primary text),
    S one secondary source, V verified from the data itself, U unconfirmed."""


class Baseline(_Spec):
    """A reference score on the benchmark's raw scale."""

    id: Identifier
    kind: Literal["chance", "human_expert", "human", "model_reference", "definition"]
    value: Finite
    text: Text
    """What the number is, in one sentence."""
    source: Identifier | None = None
    """Id of an entry in ``sources``; absent only when ``illustrative`` is true."""
    illustrative: bool = False
    """True for a number that is not from a source."""

    @model_validator(mode="after")
    def _cited(self) -> Baseline:
        if self.source is None and not self.illustrative:
            raise ValueError("a baseline needs a 'source' or 'illustrative: true'")
        return self


class Normalisation(_Spec):
    """How a raw score maps to the normalised capability scale, and why."""

    kind: Literal["linear", "log"]
    floor: Finite
    """The raw score that maps to 0."""
    ceiling: Finite
    """The raw score that maps to 1."""
    floor_from: Text
    """Where the floor comes from: a baseline id or a short phrase."""
    ceiling_from: Text
    """Where the ceiling comes from: a baseline id or a short phrase."""
    rationale: Text
    illustrative: bool = False
    """True when an anchor is a modelling choice rather than a published baseline."""

    @model_validator(mode="after")
    def _anchors(self) -> Normalisation:
        if self.floor == self.ceiling:
            raise ValueError("floor and ceiling must differ")
        if self.kind == "log" and (self.floor <= 0 or self.ceiling <= 0):
            raise ValueError("a log normalisation needs a floor and ceiling above 0")
        return self

    def apply(self, raw: float) -> float:
        """The normalised value of ``raw``, clipped to [0, 1]; monotone in ``raw``."""
        if self.kind == "linear":
            value = (raw - self.floor) / (self.ceiling - self.floor)
        else:
            if raw <= 0:
                return 0.0 if self.ceiling > self.floor else 1.0
            value = math.log(raw / self.floor) / math.log(self.ceiling / self.floor)
        return min(1.0, max(0.0, value))


Measure = Literal["proportion", "score", "minutes"]


class Suite(_Spec):
    """One benchmark as the engine reads it."""

    schema_version: Literal[1] = 1
    id: Identifier
    version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$")]
    """Version of this definition; a new mapping is a new version."""
    title: Text
    benchmark_version: Text | None = None
    """Which release of the benchmark the numbers refer to."""
    domain: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
    metric: Identifier
    """The headline metric, e.g. ``accuracy``."""
    metric_aliases: tuple[Identifier, ...] = ()
    """Other names tools give the same metric (``acc`` in lm-evaluation-harness)."""
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    measure: Measure
    """``proportion`` (a share of items in [0, 1]: a Wilson interval applies), ``score`` (any real
    number) or ``minutes`` (a duration)."""
    items: Annotated[int, Field(ge=1)] | None = None
    """Number of items in the benchmark's public set; a run over fewer is a subset (partial) run."""
    items_source: Identifier | None = None
    chance: Finite | None = None
    """Expected score of random guessing, where the format has one."""
    baselines: tuple[Baseline, ...] = ()
    normalisation: Normalisation
    aliases: tuple[Annotated[str, StringConstraints(min_length=1, max_length=200)], ...] = ()
    """Task names that tools use for this benchmark (``wmdp_bio``, ``inspect_evals/wmdp_bio``)."""
    datasets: tuple[Annotated[str, StringConstraints(min_length=1, max_length=200)], ...] = ()
    """Dataset names a run of this benchmark reads; a run that names another dataset is refused."""
    sources: tuple[SuiteSource, ...]
    notes: tuple[Text, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Suite:
        known = {s.id for s in self.sources}
        cited = [b.source for b in self.baselines if b.source] + ([self.items_source] if self.items_source else [])
        for source in cited:
            if source not in known:
                raise ValueError(f"cites source {source!r}, which is not in 'sources'")
        rising = self.normalisation.ceiling > self.normalisation.floor
        if rising != (self.direction == "higher_is_better"):
            raise ValueError(
                "normalisation ceiling must be above its floor for a higher_is_better metric, and below it otherwise"
            )
        if self.measure == "proportion":
            for name, value in (("chance", self.chance), *((b.id, b.value) for b in self.baselines)):
                if value is not None and not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name} {value} is outside [0, 1] for a proportion")
        return self

    @property
    def ref(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"

    @property
    def metric_names(self) -> frozenset[str]:
        """The metric and its aliases."""
        return frozenset((self.metric, *self.metric_aliases))

    def document(self) -> dict[str, Any]:
        """The canonical suite document: what is hashed and stored in a ledger; ``Suite.model_validate``
        of it gives back a suite with the same digest. It is shared: treat it as read-only."""
        return self._document

    @cached_property
    def _document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    @cached_property
    def digest(self) -> str:
        """``sha256:<hex>`` of the canonical JSON of :meth:`document`."""
        return canonical_digest(self._document)

    def raw_range(self) -> tuple[float, float]:
        """The values a raw score can take."""
        if self.measure == "proportion":
            return 0.0, 1.0
        if self.measure == "minutes":
            return 0.0, math.inf
        return -math.inf, math.inf

    def normalise(self, raw: float) -> float:
        """The normalised capability of a raw score, in [0, 1]."""
        return self.normalisation.apply(raw)


def load_suite(path: Path) -> Suite:
    """Read and validate one ``suite.yaml``; problems name the file, line and field."""
    document, lines = load_document(path, error=EvidenceError)
    if not isinstance(document, dict):
        raise EvidenceError(f"{path}: a suite definition must be a mapping")
    try:
        suite = Suite.model_validate(document)
    except ValidationError as exc:
        problems = pydantic_problems(exc.errors(), str(path), lines)
        raise EvidenceError(f"{path}: {len(problems)} problem(s) in the suite definition", problems=problems) from exc
    if path.parent.name != suite.id:
        raise EvidenceError(f"{path}: folder {path.parent.name!r} does not match suite id {suite.id!r}")
    return suite


def _root() -> Path:
    from governance.loader import data_dir  # the loader imports the candidate model; keep it lazy

    return data_dir("evaluations")


class SuiteCatalogue:
    """A set of evaluation suites in force, looked up by id or task name: an explicit input of ``decide``.

    Build one with :meth:`of` (from suites in hand, e.g. those a ledger stored) or
    :func:`shipped_suites` (the package's ``evaluations`` folder).
    """

    __slots__ = ("_names", "suites")

    def __init__(self, suites: tuple[Suite, ...], names: dict[str, Suite]) -> None:
        self.suites = suites
        """The suites, sorted by id."""
        self._names = names

    @classmethod
    def of(cls, suites: Iterable[Suite], where: str = "the suites given") -> SuiteCatalogue:
        """Index ``suites``.

        Raises:
            EvidenceError: when two suites share an id or claim the same task name.
        """
        given = tuple(suites)
        if not all(isinstance(suite, Suite) for suite in given):
            raise EvidenceError("a suite catalogue takes Suite definitions")
        ids = [suite.id for suite in given]
        if len(set(ids)) != len(ids):
            twice = sorted({i for i in ids if ids.count(i) > 1})
            raise EvidenceError(f"{where} repeat suite id(s) {', '.join(twice)}; give one version of each")
        ordered = tuple(sorted(given, key=lambda suite: suite.id))
        names: dict[str, Suite] = {}
        for suite in ordered:
            for name in (suite.id, *suite.aliases):
                key = name.lower()
                if key in names and names[key].id != suite.id:
                    raise EvidenceError(
                        f"{where}: task name {name!r} is claimed by both {names[key].id} and {suite.id}"
                    )
                names[key] = suite
        return cls(ordered, names)

    def find(self, name: str) -> Suite | None:
        """The suite whose id or alias is ``name`` (case-insensitive), or None."""
        return self._names.get(name.strip().lower())

    def __len__(self) -> int:
        return len(self.suites)

    def __repr__(self) -> str:
        return f"SuiteCatalogue({', '.join(suite.ref for suite in self.suites)})"


_EMPTY = SuiteCatalogue((), {})
_ACTIVE: ContextVar[SuiteCatalogue | None] = ContextVar("governance_active_suites", default=None)
"""The suites :func:`use_suites` put in force in this context (None: read the folder)."""


@cache
def _catalogue(root: Path) -> SuiteCatalogue:
    return SuiteCatalogue.of((load_suite(path) for path in sorted(root.glob(f"*/{SUITE_FILE}"))), str(root))


def shipped_suites(root: Path | None = None) -> SuiteCatalogue:
    """The suites in the ``evaluations`` folder (the package's, or ``root``), read once per process."""
    return _catalogue(root or _root())


def empty_suites() -> SuiteCatalogue:
    """A catalogue with no suites: every evaluation result is set aside as of an unknown suite."""
    return _EMPTY


def _current(root: Path | None) -> SuiteCatalogue:
    active = _ACTIVE.get()
    if active is not None:
        return active
    return _catalogue(root or _root())


@contextlib.contextmanager
def use_suites(suites: Iterable[Suite]) -> Iterator[tuple[Suite, ...]]:
    """Within the block, the lookups of this module read only ``suites``, never a folder.

    :func:`load_suites`, :func:`find_suite` and :func:`suite_for_task` answer from the given suites
    (even when called with a ``root``), so a decision made inside the block depends on nothing but
    them. The setting belongs to the current context (thread or task) and is restored on exit.

    Raises:
        EvidenceError: when two of the suites share an id, or claim the same task name.
    """
    catalogue = SuiteCatalogue.of(suites)
    token = _ACTIVE.set(catalogue)
    try:
        yield catalogue.suites
    finally:
        _ACTIVE.reset(token)


def load_suites(root: Path | None = None) -> tuple[Suite, ...]:
    """Every shipped suite (or every suite in force under :func:`use_suites`), sorted by id."""
    return _current(root).suites


def find_suite(name: str, root: Path | None = None) -> Suite | None:
    """The suite whose id or alias is ``name`` (case-insensitive), or None."""
    return _current(root).find(name)


def suite_for_task(task: str, root: Path | None = None) -> Suite | None:
    """The suite a tool's task name refers to, or None when no suite claims it (never guessed).

    Names are matched exactly (case-insensitive) against suite ids and aliases; a registry prefix
    such as ``inspect_evals/`` only matches when the suite lists the prefixed name.
    """
    return find_suite(task, root)
