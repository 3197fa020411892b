"""How open a release is: Model Openness Framework class, OSI Open Source AI Definition, EU FOSS licence.

Three verdicts, each computed from a list of released components and their licences:

* **MOF class** (Model Openness Framework 1.0): Class III *open model*, Class II *open tooling*,
  Class I *open science*, or 0 *unclassified*, with the progress towards each class. The rules are
  those of the Linux Foundation's Model Openness Tool (``lfai/model_openness_tool`` @ 8b5d30e,
  ``ModelEvaluator``); they are re-implemented here and checked against the tool's own 27 answers.
  In short: a component counts when it is listed and its licence (its own, else the global licence
  for its content type, else the distribution licence) is open: OSI-approved or FSF-libre in the
  SPDX list, an open-data licence, or OpenMDW. Requirements are cumulative (6, 10, 14 components).
  A lower class scores 0 until every higher class is complete. A research paper stands in for a
  missing or closed technical report.
* **OSAID** (OSI Open Source AI Definition 1.0, with the OSI checklist that maps it onto the MOF
  components): data information (at least one of datasets, research paper, technical report, data
  card, openly licensed), code (data preprocessing, training and inference code, and the model
  architecture, under OSI-approved licences; supporting libraries, when listed, too), and the final
  parameters under open terms.
* **EU FOSS licence** (AI Act Art. 53(2), recitals 102-104): the licence lets anyone access, use,
  modify and distribute the model. Read as: every alternative the licensee may rely on is
  OSI-approved, FSF-libre, an open-data licence or OpenMDW (attribution and share-alike terms allowed,
  as the Act's recital 103 allows).

Release plans come in two shapes: a Model Openness Tool record (YAML, :class:`MotRecord`) and the
``release`` block of a candidate (:func:`release_openness`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from governance._yaml import load_model
from governance.candidate import Release, ReleaseForm
from governance.exceptions import EvidenceError
from governance.licences import licence_flags, spdx_expression_holds

__all__ = [
    "CLASS_LABELS",
    "ComponentVerdict",
    "MofComponent",
    "MofResult",
    "MotRecord",
    "OpennessReport",
    "OsaidVerdict",
    "classify",
    "eu_foss_licence",
    "is_open_licence",
    "load_mot_record",
    "mof_components",
    "openness_report",
    "release_components",
    "release_openness",
]

CLASS_LABELS: dict[int, str] = {
    0: "Unclassified",
    1: "Class I - Open Science Model",
    2: "Class II - Open Tooling Model",
    3: "Class III - Open Model",
}
"""The labels the Model Openness Tool gives each class."""

_TECHNICAL_REPORT = "Technical report"
_RESEARCH_PAPER = "Research paper"
_FINAL_PARAMETERS = "Model parameters (Final)"
ContentType = Literal["code", "data", "document"]
Status = Literal["open", "not_open", "unlicensed"]


# -- the shipped tables -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MofComponent:
    """One of the 17 components of the Model Openness Framework."""

    id: int
    name: str
    mof_class: int
    """1, 2 or 3: the class that first requires (or optionally lists) it."""
    content_type: ContentType
    required: bool
    """False for the three optional components, which never count towards a class."""


@cache
def _tables() -> dict[str, Any]:
    text = files("governance").joinpath("data/mof.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def mof_components() -> tuple[MofComponent, ...]:
    """The 17 MOF components, Class III first."""
    return tuple(
        MofComponent(c["id"], c["name"], c["class"], c["content_type"], c["required"]) for c in _tables()["components"]
    )


@cache
def _by_name() -> dict[str, MofComponent]:
    return {c.name: c for c in mof_components()}


@cache
def _open_extra() -> frozenset[str]:
    tables = _tables()
    return frozenset(tables["open_data_licences"]) | frozenset(tables["open_licences"])


def is_open_licence(licence_id: str | None) -> bool:
    """True when the Model Openness Tool counts the exact licence id as open.

    Open means OSI-approved or FSF-libre in the SPDX list, or one of the open-data licences
    (Creative Commons BY/BY-SA/CC0, CDLA, ODC, ODbL, GFDL-1.3, OGL) or OpenMDW-1.0. Matching is on
    exact SPDX ids, as in the tool: ``Apache 2.0`` is not ``Apache-2.0``.
    """
    if not licence_id:
        return False
    if licence_id in _open_extra():
        return True
    flags = licence_flags(licence_id)
    return bool(flags and (flags["osi"] or flags["fsf"]))


def _is_osi(licence_id: str | None) -> bool:
    flags = licence_flags(licence_id) if licence_id else None
    return bool(flags and flags["osi"])


def _type_appropriate(licence_id: str, content_type: str) -> bool:
    types: list[str] = _tables()["licence_content_types"].get(licence_id, [])
    return content_type in types


def _spdx_suggestion(text: str) -> str | None:
    """An SPDX id that a free-text licence name probably means (``Apache 2.0`` -> ``Apache-2.0``)."""
    key = re.sub(r"\s+licen[cs]e$", "", text.strip(), flags=re.IGNORECASE)
    key = re.sub(r"[\s_]+", "-", key).lower()
    known = _spdx_ids_lower().get(key)
    return known if known is not None and known != text else None


@cache
def _spdx_ids_lower() -> dict[str, str]:
    text = files("governance").joinpath("data/spdx_licences.json").read_text(encoding="utf-8")
    ids = [*json.loads(text)["licenses"], *_open_extra()]
    return {licence_id.lower(): licence_id for licence_id in sorted(ids)}


# -- Model Openness Tool records ----------------------------------------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class MotLicence(_Record):
    """A global licence of a record: ``{name, path}``."""

    name: str | None = None
    path: str | None = None


class MotComponent(_Record):
    """A released component as a record lists it."""

    name: str
    description: str | None = None
    license: str | None = None
    """The component's own licence; absent or null falls back to the global licences, ``''`` or
    ``unlicensed`` means no licence."""
    license_path: str | None = None
    component_path: str | None = None

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in _by_name():
            known = ", ".join(sorted(_by_name()))
            raise ValueError(f"unknown MOF component {value!r}; expected one of: {known}")
        return value


class MotRelease(_Record):
    """The ``release`` part of a record."""

    name: str = Field(min_length=1)
    version: str | None = None
    date: str | None = None
    type: Literal["", "language", "vision", "image", "audio", "video", "3d", "code", "multimodal", "other"] | None = (
        None
    )
    architecture: (
        Literal[
            "",
            "transformer",
            "transformer decoder",
            "transformer encoder-decoder",
            "decoder",
            "encoder",
            "diffusion",
            "RNN",
            "CNN",
            "LSTM",
            "NeRF",
            "hybrid",
            "undisclosed",
            "other",
        ]
        | None
    ) = None
    treatment: Literal["pre-trained", "instruct fine-tuned", "chat fine-tuned"] | None = None
    origin: str | None = None
    producer: str
    contact: str | None = None
    license: dict[str, MotLicence | None]
    components: list[MotComponent] = Field(max_length=17)

    @field_validator("version", "date", "origin", "contact", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class MotFramework(_Record):
    """Which framework the record follows."""

    name: Literal["Model Openness Framework"]
    version: str
    date: str

    @field_validator("version", "date", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if not isinstance(value, str) else value


class MotRecord(_Record):
    """A Model Openness Tool record (``schema/mof_schema.json``), validated field by field."""

    framework: MotFramework
    release: MotRelease

    def licences(self) -> tuple[dict[str, str], set[str], dict[str, str | None]]:
        """The licence facts the classification reads.

        Returns:
            ``(own, unlicensed, globals)``: each component's own licence where it names one; the
            components whose own licence key is present but empty (``''`` or ``unlicensed``), which
            have no licence whatever the global ones say; and the global licence names by kind
            (``code``, ``data``, ``document``, ``distribution``). A null own licence falls back to
            the global ones, as in the tool.
        """
        own: dict[str, str] = {}
        unlicensed: set[str] = set()
        for component in self.release.components:
            value = component.license
            own.pop(component.name, None)
            unlicensed.discard(component.name)
            if value is None:
                continue
            if value in ("", "unlicensed"):
                unlicensed.add(component.name)
            else:
                own[component.name] = value
        globals_ = {key: (value.name if value else None) for key, value in self.release.license.items()}
        return own, unlicensed, globals_


def load_mot_record(path: str | Path) -> MotRecord:
    """Read and validate a Model Openness Tool record; every problem names the file, line and field."""
    return load_model(
        Path(path),
        MotRecord,
        error=EvidenceError,
        what="the openness record",
        shape="a Model Openness Tool record is a mapping with 'framework' and 'release'",
    )


# -- classification -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentVerdict:
    """One listed component: its resolved licence and whether that licence is open."""

    name: str
    mof_class: int
    content_type: str
    required: bool
    licence: str | None
    """The licence that applies, or None when none does."""
    licence_from: str | None
    """``component``, ``global <type>``, ``distribution``, or None."""
    status: Status
    type_appropriate: bool
    """False when an open licence is not one the tool lists for this content type (a warning only)."""

    def document(self) -> dict[str, Any]:
        """JSON form."""
        out: dict[str, Any] = {
            "name": self.name,
            "class": self.mof_class,
            "content_type": self.content_type,
            "required": self.required,
            "status": self.status,
        }
        if self.licence is not None:
            out["licence"] = self.licence
            out["licence_from"] = self.licence_from
            suggestion = _spdx_suggestion(self.licence) if self.status == "not_open" else None
            if suggestion is not None:
                out["did_you_mean"] = suggestion
        if self.status == "open" and not self.type_appropriate:
            out["warning"] = f"open, but not a licence the tool lists for {self.content_type}"
        return out


@dataclass(frozen=True)
class MofResult:
    """The MOF class of a release, the progress towards each class and what each class lacks."""

    mof_class: int
    progress: dict[int, float]
    """Percent towards Class 1, 2 and 3, as the tool reports it."""
    components: tuple[ComponentVerdict, ...]
    missing: dict[int, tuple[str, ...]]
    """Per class, the required components that are not listed (cumulative, as the class needs them)."""
    not_open: dict[int, tuple[str, ...]]
    """Per class, the required components listed without an open licence."""
    paper_for_report: bool
    """True when the research paper stands in for the technical report."""

    @property
    def label(self) -> str:
        """The tool's label for the class."""
        return CLASS_LABELS[self.mof_class]

    def document(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "class": self.mof_class,
            "label": self.label,
            "progress": {str(k): _num(v) for k, v in sorted(self.progress.items())},
            "missing": {str(k): list(v) for k, v in sorted(self.missing.items())},
            "not_open": {str(k): list(v) for k, v in sorted(self.not_open.items())},
            "paper_for_report": self.paper_for_report,
            "components": [c.document() for c in self.components],
        }


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _resolve(
    component: MofComponent, own: Mapping[str, str | None], empty: set[str], globals_: Mapping[str, str | None]
) -> tuple[str | None, str | None]:
    if component.name in empty:
        return None, None
    value = own.get(component.name)
    if value:
        return value, "component"
    typed = globals_.get(component.content_type)
    if typed:
        return typed, f"global {component.content_type}"
    distribution = globals_.get("distribution")
    if distribution:
        return distribution, "distribution"
    return None, None


def classify(
    listed: Iterable[str],
    own: Mapping[str, str | None],
    globals_: Mapping[str, str | None],
    *,
    unlicensed: Iterable[str] = (),
    is_open: Callable[[str | None], bool] = is_open_licence,
) -> MofResult:
    """Classify a release under the Model Openness Framework, as the Model Openness Tool does.

    Args:
        listed: names of the released components (MOF names; unknown names are refused earlier).
        own: each component's own licence, or None to fall back to the global licences.
        globals_: the global licences by kind: ``code``, ``data``, ``document``, ``distribution``.
        unlicensed: components whose own licence key is present but empty (``''`` or ``unlicensed``):
            they have no licence, whatever the global licences say.
        is_open: the licence test; the tool's exact-id test unless a caller reads expressions.

    Returns:
        The class, the progress towards each class and what is missing or not openly licensed.
    """
    names = list(dict.fromkeys(listed))
    empty = set(unlicensed)
    verdicts: dict[str, ComponentVerdict] = {}
    for name in names:
        component = _by_name()[name]
        licence, origin = _resolve(component, own, empty, globals_)
        status: Status = "open" if is_open(licence) else ("unlicensed" if licence is None else "not_open")
        verdicts[name] = ComponentVerdict(
            name=name,
            mof_class=component.mof_class,
            content_type=component.content_type,
            required=component.required,
            licence=licence,
            licence_from=origin,
            status=status,
            type_appropriate=bool(licence) and _type_appropriate(licence or "", component.content_type),
        )

    required: dict[int, list[str]] = {
        level: [c.name for c in mof_components() if c.required and c.mof_class == level] for level in (3, 2, 1)
    }
    cumulative: dict[int, list[str]] = {
        3: required[3],
        2: required[3] + required[2],
        1: [*required[3], *required[2], *required[1]],
    }
    opened = {name for name, v in verdicts.items() if v.status == "open"}
    included: dict[int, list[str]] = {level: [n for n in cumulative[level] if n in opened] for level in (3, 2, 1)}
    missing: dict[int, list[str]] = {level: [n for n in cumulative[level] if n not in verdicts] for level in (3, 2, 1)}
    not_open: dict[int, list[str]] = {
        level: [n for n in cumulative[level] if n in verdicts and n not in opened] for level in (3, 2, 1)
    }

    # A research paper may stand in for the technical report: when the report is not openly
    # licensed and the paper is listed, the report is no longer missing, and the paper (whatever its
    # licence) takes the report's place in Classes III and II.
    substituted = _TECHNICAL_REPORT not in opened and _RESEARCH_PAPER in verdicts
    if substituted:
        for level in (3, 2, 1):
            if _TECHNICAL_REPORT in missing[level]:
                missing[level].remove(_TECHNICAL_REPORT)
        for level in (3, 2):
            if _RESEARCH_PAPER in opened:
                included[level].append(_RESEARCH_PAPER)
            else:
                not_open[level].append(_RESEARCH_PAPER)

    progress: dict[int, float] = {}
    for level in (3, 2, 1):
        total = 0
        count = 0
        reached = 3
        for step in range(3, level - 1, -1):
            reached = step
            total += len(required[step])
            count = len(included[step])
            if count < total:
                break
        if reached > level:
            progress[level] = 0
            continue
        if level == 1 and _TECHNICAL_REPORT not in opened and _RESEARCH_PAPER in opened:
            total -= 1
        progress[level] = min((count / total) * 100, 100)

    mof_class = next((level for level in (1, 2, 3) if progress[level] == 100), 0)
    return MofResult(
        mof_class=mof_class,
        progress=progress,
        components=tuple(verdicts[name] for name in sorted(verdicts, key=lambda n: (-_by_name()[n].mof_class, n))),
        missing={level: tuple(v) for level, v in missing.items()},
        not_open={level: tuple(v) for level, v in not_open.items()},
        paper_for_report=substituted,
    )


# -- OSAID and the EU licence test --------------------------------------------------------------------

_OSAID_DATA = ("Datasets", "Research paper", "Technical report", "Data card")
_OSAID_CODE = ("Data preprocessing code", "Training code", "Inference code", "Model architecture")
_OSAID_CODE_IF_LISTED = ("Supporting libraries and tools",)


@dataclass(frozen=True)
class OsaidVerdict:
    """Whether a release has the components the Open Source AI Definition requires, openly licensed."""

    meets: bool
    data_information: str | None
    """The component that supplies the data information, or None when none does."""
    failing: tuple[str, ...]
    """Each requirement not met, as a sentence."""

    def document(self) -> dict[str, Any]:
        """JSON form."""
        out: dict[str, Any] = {"meets": self.meets, "failing": list(self.failing)}
        if self.data_information is not None:
            out["data_information"] = self.data_information
        return out


def _osaid(verdicts: Mapping[str, ComponentVerdict], is_osi: Callable[[str | None], bool]) -> OsaidVerdict:
    failing: list[str] = []
    data = next((n for n in _OSAID_DATA if n in verdicts and verdicts[n].status == "open"), None)
    if data is None:
        failing.append(
            "data information: none of datasets, research paper, technical report or data card is listed "
            "under an open licence"
        )
    for name in _OSAID_CODE:
        verdict = verdicts.get(name)
        if verdict is None:
            failing.append(f"code: {name} is not released")
        elif not is_osi(verdict.licence):
            failing.append(f"code: {name} is not under an OSI-approved licence ({verdict.licence or 'none'})")
    for name in _OSAID_CODE_IF_LISTED:
        verdict = verdicts.get(name)
        if verdict is not None and not is_osi(verdict.licence):
            failing.append(f"code: {name} is not under an OSI-approved licence ({verdict.licence or 'none'})")
    parameters = verdicts.get(_FINAL_PARAMETERS)
    if parameters is None:
        failing.append("parameters: the final model parameters are not released")
    elif parameters.status != "open":
        failing.append(
            f"parameters: the final model parameters are not under open terms ({parameters.licence or 'none'})"
        )
    return OsaidVerdict(meets=not failing, data_information=data, failing=tuple(failing))


def eu_foss_licence(expression: str | None) -> bool:
    """True when an SPDX licence expression is free and open source as the EU exemption reads it.

    Each licence id qualifies when it is open in the Model Openness Tool's sense
    (:func:`is_open_licence`): the licence lets anyone access, use, modify and redistribute, possibly
    with attribution or share-alike terms. ``A OR B`` qualifies when either does (the licensee may
    choose), ``A AND B`` when both do, ``A WITH exception`` when ``A`` does. Unknown ids and free
    text do not qualify (fail closed: an exemption must be shown, not assumed).
    """
    return spdx_expression_holds(expression, is_open_licence)


# -- candidate release blocks -------------------------------------------------------------------------

_ALIASES: dict[str, str] = {
    "weights": _FINAL_PARAMETERS,
    "parameters": _FINAL_PARAMETERS,
    "model_parameters": _FINAL_PARAMETERS,
    "final_parameters": _FINAL_PARAMETERS,
    "model_parameters_final": _FINAL_PARAMETERS,
    "architecture": "Model architecture",
    "model_architecture": "Model architecture",
    "model_card": "Model card",
    "data_card": "Data card",
    "technical_report": "Technical report",
    "evaluation_results": "Evaluation results",
    "eval_results": "Evaluation results",
    "sample_outputs": "Sample model outputs",
    "sample_model_outputs": "Sample model outputs",
    "training_code": "Training code",
    "inference_code": "Inference code",
    "evaluation_code": "Evaluation code",
    "eval_code": "Evaluation code",
    "evaluation_data": "Evaluation data",
    "eval_data": "Evaluation data",
    "supporting_libraries": "Supporting libraries and tools",
    "supporting_libraries_and_tools": "Supporting libraries and tools",
    "libraries": "Supporting libraries and tools",
    "datasets": "Datasets",
    "training_data": "Datasets",
    "data": "Datasets",
    "data_preprocessing_code": "Data preprocessing code",
    "preprocessing_code": "Data preprocessing code",
    "intermediate_checkpoints": "Model parameters (Intermediate)",
    "checkpoints": "Model parameters (Intermediate)",
    "model_parameters_intermediate": "Model parameters (Intermediate)",
    "intermediate_parameters": "Model parameters (Intermediate)",
    "research_paper": "Research paper",
    "paper": "Research paper",
    "model_metadata": "Model metadata",
    "metadata": "Model metadata",
}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def release_components(release: Release) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The MOF components a candidate's release block publishes, and the names it could not map.

    Names are matched loosely (``model card``, ``model-card`` and ``Model card`` are the same); the
    MOF names themselves are accepted. Open-weights and open-source forms publish the final
    parameters even when ``weights`` is not listed.
    """
    by_key = {_key(c.name): c.name for c in mof_components()}
    found: list[str] = []
    unknown: list[str] = []
    for text in release.components:
        key = _key(text)
        name = _ALIASES.get(key) or by_key.get(key)
        if name is None:
            unknown.append(text)
        elif name not in found:
            found.append(name)
    if release.form in (ReleaseForm.OPEN_WEIGHTS, ReleaseForm.OPEN_SOURCE) and _FINAL_PARAMETERS not in found:
        found.append(_FINAL_PARAMETERS)
    return tuple(found), tuple(unknown)


@dataclass(frozen=True)
class OpennessReport:
    """Every openness verdict for one release plan."""

    name: str
    mof: MofResult
    osaid: OsaidVerdict
    eu_foss_licence: bool | None
    """For a candidate: whether its licence qualifies for the EU exemption. None for MOT records,
    whose licences are per component (the EU reading is then given per component in ``mof``)."""
    unrecognised: tuple[str, ...] = field(default=())
    """Component names in a candidate's release block that match no MOF component."""

    def document(self) -> dict[str, Any]:
        """JSON form (what ``governance openness --format json`` prints)."""
        out: dict[str, Any] = {"name": self.name, "mof": self.mof.document(), "osaid": self.osaid.document()}
        if self.eu_foss_licence is not None:
            out["eu_foss_licence"] = self.eu_foss_licence
        if self.unrecognised:
            out["unrecognised_components"] = list(self.unrecognised)
        return out


def openness_report(record: MotRecord) -> OpennessReport:
    """Classify a Model Openness Tool record (exact SPDX ids, as the tool matches them)."""
    own, unlicensed, globals_ = record.licences()
    listed = [c.name for c in record.release.components]
    result = classify(listed, own, globals_, unlicensed=unlicensed)
    verdicts = {v.name: v for v in result.components}
    return OpennessReport(record.release.name, result, _osaid(verdicts, _is_osi), None)


@lru_cache(maxsize=4096)
def release_openness(release: Release) -> OpennessReport:
    """Classify a candidate's release block: every listed component is under ``release.license``.

    The licence is an SPDX expression, read as :func:`eu_foss_licence` reads it (for a single id
    that is exactly the tool's test); an expression is OSI-approved when it is by the same reading.
    """
    listed, unknown = release_components(release)
    licence = release.license
    result = classify(listed, {}, {"distribution": licence}, is_open=eu_foss_licence)
    verdicts = {v.name: v for v in result.components}
    osaid = _osaid(verdicts, lambda text: spdx_expression_holds(text, _is_osi))
    return OpennessReport("release", result, osaid, eu_foss_licence(licence), unknown)
