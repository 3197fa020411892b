"""The shipped JSON Schemas match the models, and agree with the loaders on every shipped file."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from governance import GovernanceError, decide, load_candidate, load_policy
from governance.compare.population_io import load_population
from governance.loader import parse_policy
from governance.schemas import SCHEMA_NAMES, generate_schema, schema_text, shipped_schema_path
from tests.helpers import invoke_cli

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
AS_OF = dt.date(2026, 11, 28)


def _json_ready(value: Any) -> Any:
    """What a YAML file holds, as JSON sees it (dates are strings), which is what editors validate."""
    return json.loads(json.dumps(value, default=str))


class _Yaml12(yaml.SafeLoader):
    """Reads numbers as YAML 1.2 (and so yaml-language-server) does: ``2.1e25`` is a float.

    PyYAML follows YAML 1.1, where an exponent needs a sign, and reads ``2.1e25`` as a string that the
    loader then converts; an editor reads the number itself, and the schema says "number".
    """


_Yaml12.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)


def _read(path: Path) -> Any:
    return _json_ready(yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12))


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(shipped_schema_path(name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _errors(name: str, document: Any) -> list[str]:
    return [error.message for error in _validator(name).iter_errors(document)]


def _cases() -> tuple[list[Any], list[Any]]:
    """Inline candidates of the decision cases: those that decide, and those refused as invalid input."""
    good: list[Any] = []
    bad: list[Any] = []
    for path in sorted(CASES.rglob("*.yaml")):
        if path.parent.name == "candidates":
            continue
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12)
        for index, case in enumerate(loaded if isinstance(loaded, list) else [loaded]):
            if not isinstance(case["candidate"], dict):
                continue
            param = pytest.param(_json_ready(case["candidate"]), id=f"{path.relative_to(CASES)}#{index}")
            (bad if case.get("want_error_code") == 2 else good).append(param)
    return good, bad


GOOD_CASES, BAD_CASES = _cases()
CANDIDATE_FILES = sorted((ROOT / "examples" / "candidates").glob("*.yaml")) + sorted(
    (CASES / "candidates").glob("*.yaml")
)
POLICY_FILES = sorted((ROOT / "policies").rglob("policy.yaml")) + sorted((ROOT / "tests").rglob("policy.yaml"))


class TestShipped:
    """The schema files are what the models generate, in the package and in docs/schemas/."""

    @pytest.mark.parametrize("name", SCHEMA_NAMES)
    def test_package_copy(self, name: str) -> None:
        """The packaged schema equals the generated one (regenerate with `python -m governance.schemas`)."""
        assert shipped_schema_path(name).read_text(encoding="utf-8") == schema_text(name), (
            "stale schema: run `python -m governance.schemas`"
        )

    @pytest.mark.parametrize("name", SCHEMA_NAMES)
    def test_docs_copy(self, name: str) -> None:
        """docs/schemas/ holds the same file."""
        docs = ROOT / "docs" / "schemas" / f"{name}.schema.json"
        assert docs.read_text(encoding="utf-8") == schema_text(name), "stale schema: run `python -m governance.schemas`"

    @pytest.mark.parametrize("name", SCHEMA_NAMES)
    def test_is_draft_2020_12(self, name: str) -> None:
        """Each schema declares draft 2020-12 and is itself a valid schema of that draft."""
        schema = generate_schema(name)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)

    def test_cli_prints_the_shipped_file(self) -> None:
        """`governance schema candidate` prints the shipped file byte for byte; --path names it."""
        printed = invoke_cli("schema", "candidate")
        assert printed.returncode == 0
        assert printed.stdout == shipped_schema_path("candidate").read_text(encoding="utf-8")
        located = invoke_cli("schema", "policy", "--path")
        assert Path(located.stdout.strip()) == shipped_schema_path("policy")

    def test_cli_refuses_an_unknown_name(self) -> None:
        """An unknown schema name is a usage error (exit 2) naming the choices."""
        result = invoke_cli("schema", "ledger")
        assert result.returncode == 2
        assert "candidate" in result.stderr


class TestAcceptedByBoth:
    """Every shipped file the loaders accept, the schemas accept too."""

    @pytest.mark.parametrize("path", CANDIDATE_FILES, ids=lambda p: p.name)
    def test_candidate_files(self, path: Path) -> None:
        """Example and test-case candidate files."""
        load_candidate(path)
        assert _errors("candidate", _read(path)) == []

    @pytest.mark.parametrize("document", GOOD_CASES)
    def test_inline_case_candidates(self, document: Any, tmp_path: Path) -> None:
        """Inline candidates of the decision cases that decide."""
        file = tmp_path / "candidate.json"
        file.write_text(json.dumps(document), encoding="utf-8")
        load_candidate(file)
        assert _errors("candidate", document) == []

    @pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: "/".join(p.parts[-3:-1]))
    def test_policy_bundles(self, path: Path) -> None:
        """Every shipped and test policy bundle."""
        parse_policy(path)
        assert _errors("policy", _read(path)) == []

    @pytest.mark.parametrize("path", CANDIDATE_FILES[:4], ids=lambda p: p.name)
    def test_decision_documents(self, path: Path) -> None:
        """Decision documents of the examples under two policies, as `decide --format json` prints them."""
        candidate = load_candidate(path)
        for ref in ("illustrative-capability", "eu-ai-act"):
            document = decide(candidate, load_policy(ref, as_of=AS_OF), as_of=AS_OF).document()
            assert _errors("decision", _json_ready(document)) == []

    @pytest.mark.parametrize("key", [None, "candidates", "population"])
    def test_population_of_candidates(self, key: str | None, tmp_path: Path) -> None:
        """A population file listing the example candidates, bare or under either key."""
        items = [_read(path) for path in CANDIDATE_FILES]
        document = items if key is None else {key: items, "note": "kept aside"}
        file = tmp_path / "population.json"
        file.write_text(json.dumps(document), encoding="utf-8")
        assert len(load_population(file)) == len(items)
        assert _errors("population", document) == []

    def test_population_of_rows(self, tmp_path: Path) -> None:
        """A population of table rows with the CSV columns, unknown compute and an extra column."""
        rows = [
            {"name": "A", "training_flop": 3.8e25, "openness": "open-weight", "cap_bio": 0.4, "notes": "x"},
            {"name": "B", "training_flop": "unknown", "organization": "Lab"},
            {"name": "C"},
        ]
        file = tmp_path / "population.yaml"
        file.write_text(yaml.safe_dump(rows), encoding="utf-8")
        assert len(load_population(file)) == 3
        assert _errors("population", rows) == []


BAD_CANDIDATES = {
    "unknown key": {"model": {"name": "M", "developer": "D", "colour": "red"}},
    "capability above 1": {"capabilities": {"bio": 1.5}},
    "bad domain name": {"capabilities": {"Bio": 0.2}},
    "unknown release form": {"release": {"form": "torrent"}},
    "zero compute": {"compute": {"training_flop": 0}},
    "compute as a list": {"compute": {"training_flop": [1e25]}},
    "schema version 2": {"schema_version": 2},
    "bad modality": {"model": {"name": "M", "developer": "D", "modalities": ["smell"]}},
    "elicitation": {"evaluations": [{"benchmark": "b", "domain": "bio", "score": 0.5, "elicitation": "jailbroken"}]},
    "no release": {"release": None},
}


def _bad_candidate(change: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "model": {"name": "M", "developer": "D"},
        "compute": {"training_flop": 1e24},
        "release": {"form": "api"},
    }
    merged = {**base, **change}
    return {k: v for k, v in merged.items() if v is not None}


def _refused_by_both(*, kind: str, load: Callable[[Path], object], document: Any, path: Path, code: int) -> None:
    """The loader refuses ``document`` (written to ``path``) with exit ``code``, and the schema finds errors."""
    text = yaml.safe_dump(document) if path.suffix == ".yaml" else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GovernanceError) as caught:
        load(path)
    assert caught.value.exit_code == code
    assert _errors(kind, document)


class TestRefusedByBoth:
    """Known-bad files are refused by the loader and by the schema alike."""

    @pytest.mark.parametrize("document", BAD_CASES)
    def test_case_candidates_refused_as_invalid(self, document: Any, tmp_path: Path) -> None:
        """The decision cases that expect exit code 2 are also invalid under the schema."""
        _refused_by_both(
            kind="candidate", load=load_candidate, document=document, path=tmp_path / "candidate.json", code=2
        )

    @pytest.mark.parametrize("change", BAD_CANDIDATES.values(), ids=list(BAD_CANDIDATES))
    def test_bad_candidates(self, change: dict[str, Any], tmp_path: Path) -> None:
        """Each handmade mistake is refused by both."""
        document = _bad_candidate(change)
        _refused_by_both(
            kind="candidate", load=load_candidate, document=document, path=tmp_path / "candidate.json", code=2
        )

    def test_cases_found(self) -> None:
        """The case files hold invalid-input candidates and valid ones (else the tests above are vacuous)."""
        assert len(BAD_CASES) >= 2
        assert len(GOOD_CASES) >= 20

    def test_good_base_is_valid(self) -> None:
        """The base the bad candidates change is valid (so each refusal is the change's doing)."""
        assert _errors("candidate", _bad_candidate({})) == []

    @pytest.mark.parametrize(
        "change",
        [
            {"rules": [{"id": "r", "tier": "open", "when": {"all": [{"feature": "training_flop", "op": "=="}]}}]},
            {"kind": "law"},
            {"surprise": True},
            {"rules": None},
        ],
        ids=["bad operator", "unknown kind", "unknown key", "no rules"],
    )
    def test_bad_policies(self, change: dict[str, Any], tmp_path: Path) -> None:
        """A policy with a mistake is refused by the loader (exit 3) and by the schema."""
        document = _read(ROOT / "policies" / "illustrative-capability" / "1.0" / "policy.yaml")
        document = {k: v for k, v in {**document, **change}.items() if v is not None}
        _refused_by_both(kind="policy", load=parse_policy, document=document, path=tmp_path / "policy.yaml", code=3)

    @pytest.mark.parametrize(
        "document",
        [
            [],
            [{"name": "A", "openness": "api"}],
            [{"training_flop": 1e25}],
            {"models": [{"name": "A", "training_flop": 1e25}]},
            [{"name": "A", "training_flop": 1e25}, {"model": {"name": "B", "developer": "D"}}],
        ],
        ids=["empty", "no compute column", "no name", "no list key", "mixed rows and candidates"],
    )
    def test_bad_populations(self, document: Any, tmp_path: Path) -> None:
        """A population the loader refuses, the schema refuses."""
        _refused_by_both(
            kind="population", load=load_population, document=document, path=tmp_path / "population.json", code=2
        )

    def test_bad_decision(self) -> None:
        """A decision document with an unknown tier is refused by the model and by the schema."""
        candidate = load_candidate(CANDIDATE_FILES[0])
        document = {**decide(candidate, load_policy("illustrative-capability", as_of=AS_OF), as_of=AS_OF).document()}
        document["tier"] = "forbidden"
        from pydantic import ValidationError

        from governance.decision import Decision

        with pytest.raises(ValidationError):
            Decision.from_document(document)
        assert _errors("decision", _json_ready(document))
