"""JSON Schemas (draft 2020-12) of the files ``governance`` reads and writes.

Each schema is generated from the pydantic model its loader validates with: a candidate file
(:class:`~governance.candidate.Candidate`), a decision document (:class:`~governance.decision.Decision`),
a policy bundle (:class:`~governance.policy.Policy`) and a JSON/YAML population (a list of candidates
or of table rows, :func:`~governance.compare.population_io.load_population`). Editors use them to
validate a file as it is typed (yaml-language-server reads a ``# yaml-language-server: $schema=...``
comment); the loaders remain the authority: a few checks a JSON Schema cannot state (a finite number
in YAML, ``lower <= estimate <= upper``, unique rule ids, the static policy checks) are the loader's
alone.

The generated schemas ship inside the package (``governance/data/schemas/``) and in ``docs/schemas/``;
``python -m governance.schemas`` rewrites both from the models, and a test compares them with what the
models generate, so a model change that is not regenerated fails the suite.
"""

from __future__ import annotations

import json
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel

from governance.candidate import Candidate
from governance.decision import Decision
from governance.exceptions import InputError
from governance.policy import Policy

__all__ = ["SCHEMA_NAMES", "generate_schema", "main", "schema_text", "shipped_schema_path", "write_schemas"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_NAMES: tuple[str, ...] = ("candidate", "decision", "policy", "population")
"""The documents that have a schema, in the order the CLI lists them."""


class PopulationRow(BaseModel):
    """One row of a population table: ``name`` plus any CSV column (``training_flop``, ``openness``,
    ``cap_<domain>``...); columns the loader does not know are kept and shown, never read by a policy."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"not": {"required": ["model"]}})

    name: str | int | float
    training_flop: float | str | None = None


class CandidateList(RootModel[list[Candidate]]):
    """A non-empty list of candidate documents."""

    root: list[Candidate] = Field(min_length=1)


class RowList(RootModel[list[PopulationRow]]):
    """A non-empty list of rows; some row must have the ``training_flop`` column."""

    root: list[PopulationRow] = Field(min_length=1, json_schema_extra={"contains": {"required": ["training_flop"]}})


def _one_list(schema: dict[str, Any]) -> None:
    # The loader reads ``candidates``, else ``population``; one of them must hold a list (never null).
    for key in ("candidates", "population"):
        prop = schema["properties"][key]
        prop["anyOf"] = [branch for branch in prop["anyOf"] if branch != {"type": "null"}]
        prop.pop("default", None)
    schema["anyOf"] = [{"required": ["candidates"]}, {"required": ["population"]}]


class PopulationMapping(BaseModel):
    """A mapping whose ``candidates`` (or ``population``) key holds the list; other keys are ignored."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_one_list)

    candidates: CandidateList | RowList | None = None
    population: CandidateList | RowList | None = None


class PopulationDocument(RootModel[CandidateList | RowList | PopulationMapping]):
    """A population file in JSON or YAML: candidate documents, or rows with the CSV columns, as a list or
    under a ``candidates`` or ``population`` key."""


_MODELS: dict[str, type[BaseModel]] = {
    "candidate": Candidate,
    "decision": Decision,
    "policy": Policy,
    "population": PopulationDocument,
}


def _check_name(name: str) -> str:
    if name not in _MODELS:
        raise InputError(f"no schema named {name!r}; expected one of {', '.join(SCHEMA_NAMES)}")
    return name


def generate_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of document ``name`` (one of :data:`SCHEMA_NAMES`), generated from its model now."""
    model = _MODELS[_check_name(name)]
    generated = model.model_json_schema(mode="validation", by_alias=True)
    _close_patterns(generated)
    return {"$schema": DRAFT, **generated}


def _close_patterns(node: Any) -> None:
    """A mapping with constrained keys (``patternProperties``) allows no other key, as the model does."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _close_patterns(value)


def schema_text(name: str) -> str:
    """The schema as the shipped file holds it: two-space indented JSON ending in a newline."""
    return json.dumps(generate_schema(name), indent=2, ensure_ascii=False) + "\n"


def shipped_schema_path(name: str) -> Path:
    """Where the installed package keeps the schema of ``name`` (``<name>.schema.json``)."""
    return Path(str(files("governance").joinpath("data", "schemas", f"{_check_name(name)}.schema.json")))


def write_schemas(*folders: Path) -> list[Path]:
    """Write every schema into each folder as ``<name>.schema.json``; return the paths written."""
    written: list[Path] = []
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        for name in SCHEMA_NAMES:
            path = folder / f"{name}.schema.json"
            path.write_text(schema_text(name), encoding="utf-8")
            written.append(path)
    return written


def main() -> None:
    """Regenerate the shipped schemas and the copies in ``docs/schemas/`` (run from a source checkout)."""
    package = Path(__file__).resolve().parent
    folders = [package / "data" / "schemas"]
    docs = package.parent / "docs" / "schemas"
    if docs.parent.is_dir():
        folders.append(docs)
    for path in write_schemas(*folders):
        sys.stdout.write(f"wrote {path}\n")


if __name__ == "__main__":
    main()
