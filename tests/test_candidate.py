"""Candidate validation: strict, finite, and every error names its field."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from governance import Candidate, InputError, load_candidate
from governance.candidate import CapabilityScore, FlopInterval, ReleaseForm
from tests.strategies import candidate_documents

BASE: dict[str, Any] = {
    "model": {"name": "M", "developer": "Lab"},
    "compute": {"training_flop": 1e24},
    "release": {"form": "api"},
}


def _with(**changes: Any) -> dict[str, Any]:
    document = {key: dict(value) if isinstance(value, dict) else value for key, value in BASE.items()}
    for dotted, value in changes.items():
        section, _, field = dotted.partition("__")
        if field:
            document.setdefault(section, {})[field] = value
        else:
            document[section] = value
    return document


def _error_fields(document: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        Candidate.model_validate(document)
    return {".".join(str(part) for part in error["loc"]) for error in caught.value.errors()}


class TestValidation:
    """Malformed candidates are refused with the field named."""

    def test_minimal_candidate_is_valid(self) -> None:
        """model, compute and release are enough."""
        candidate = Candidate.model_validate(BASE)
        assert candidate.release.form is ReleaseForm.API
        assert candidate.capabilities == {}

    def test_unknown_key_refused(self) -> None:
        """A misspelt key is an error, not silently ignored."""
        assert any("trainng_flop" in field for field in _error_fields(_with(compute__trainng_flop=1.0)))

    def test_training_flop_must_be_stated(self) -> None:
        """Unknown compute must be said explicitly (null), never left out."""
        document = _with()
        document["compute"] = {}
        assert "compute.training_flop" in _error_fields(document)

    @pytest.mark.parametrize("bad", [0, -1.0, math.inf, math.nan, "lots"])
    def test_training_flop_positive_finite(self, bad: object) -> None:
        """Compute is a positive finite number."""
        assert any(f.startswith("compute.training_flop") for f in _error_fields(_with(compute__training_flop=bad)))

    def test_interval_order(self) -> None:
        """An interval must satisfy lower <= estimate <= upper."""
        with pytest.raises(ValidationError, match="lower <= estimate <= upper"):
            FlopInterval(lower=2e25, upper=1e25)

    def test_interval_needs_a_point(self) -> None:
        """An empty interval is refused: null is how unknown is written."""
        with pytest.raises(ValidationError, match="at least one"):
            FlopInterval()

    @pytest.mark.parametrize("score", [-0.1, 1.01, math.nan])
    def test_scores_in_unit_interval(self, score: float) -> None:
        """Normalised scores lie in [0, 1]."""
        assert any("capabilities.bio" in f for f in _error_fields(_with(capabilities={"bio": score})))

    def test_domain_names_are_identifiers(self) -> None:
        """Risk domains are lower-case identifiers."""
        assert any("capabilities" in f for f in _error_fields(_with(capabilities={"Bio Risk": 0.1})))

    def test_licence_must_look_like_spdx(self) -> None:
        """Free text is not a licence id."""
        assert "release.license" in _error_fields(_with(release={"form": "api", "license": "the llama licence"}))

    def test_unknown_release_form(self) -> None:
        """The release form is one of the gradient's names."""
        assert "release.form" in _error_fields(_with(release={"form": "torrent"}))

    @given(
        st.dictionaries(
            st.sampled_from(["model", "compute", "release", "capabilities", "x"]), st.none() | st.integers() | st.text()
        )
    )
    def test_malformed_never_crashes(self, document: dict[str, Any]) -> None:
        """Arbitrary junk gives a validation error naming a field, never another exception."""
        try:
            Candidate.model_validate(document)
        except ValidationError as exc:
            assert all(error["loc"] for error in exc.errors())


class TestCapabilityScore:
    """Capability intervals expose the conservative bound."""

    def test_bound_is_upper(self) -> None:
        """Policies read the upper bound of an interval."""
        assert CapabilityScore(score=0.4, lower=0.3, upper=0.55).bound == 0.55

    def test_bound_without_interval(self) -> None:
        """Without an interval the score itself is read."""
        assert CapabilityScore(score=0.4).bound == 0.4


class TestDigest:
    """A candidate's identity is the digest of its canonical document."""

    @given(candidate_documents())
    def test_same_content_same_digest(self, document: dict[str, Any]) -> None:
        """Two parses of the same document have the same digest."""
        assert Candidate.model_validate(document).digest == Candidate.model_validate(document).digest

    def test_digest_changes_with_content(self) -> None:
        """Any change of content changes the digest."""
        assert (
            Candidate.model_validate(BASE).digest != Candidate.model_validate(_with(compute__training_flop=2e24)).digest
        )


_PAIRS = list(zip("abcdefgh", "bcdefghi", strict=True))
"""Each anchor of a billion-laughs document and the anchor it repeats nine times."""


class TestLoading:
    """Files are read with errors located at file:line."""

    def test_yaml_error_names_line(self, tmp_path: Path) -> None:
        """A validation error points at the line of the bad field."""
        path = tmp_path / "c.yaml"
        path.write_text("model:\n  name: M\n  developer: L\ncompute:\n  training_flop: -5\nrelease:\n  form: api\n")
        with pytest.raises(InputError) as caught:
            load_candidate(path)
        assert any(p.location == f"{path}:5" and "compute.training_flop" in p.message for p in caught.value.problems)

    def test_broken_yaml(self, tmp_path: Path) -> None:
        """A syntax error names the file and line."""
        path = tmp_path / "c.yaml"
        path.write_text("model: [unclosed\n")
        with pytest.raises(InputError, match=r"c\.yaml:\d+: not valid YAML"):
            load_candidate(path)

    @pytest.mark.parametrize(
        ("text", "why"),
        [
            ("model: &m\n  - *m\n", "anchors and aliases"),
            ("model: &m {name: [1, *m]}\n", "anchors and aliases"),
            ("model: " + "[" * 5000 + "]" * 5000 + "\n", "nesting depth"),
            (
                "a: &a [x, x, x, x, x, x, x, x, x]\n"
                + "".join(f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in _PAIRS),
                "anchors and aliases",
            ),
        ],
        ids=["recursive", "recursive-in-mapping", "deep", "billion-laughs"],
    )
    def test_hostile_yaml_is_refused(self, tmp_path: Path, text: str, why: str) -> None:
        """Recursive aliases, alias bombs and deep nesting get a clear refusal, never a traceback or a hang."""
        path = tmp_path / "c.yaml"
        path.write_text(text)
        with pytest.raises(InputError, match=why):
            load_candidate(path)

    def test_json_candidate(self, tmp_path: Path) -> None:
        """JSON files are read too."""
        path = tmp_path / "c.json"
        document = {
            "model": {"name": "M", "developer": "L"},
            "compute": {"training_flop": None},
            "release": {"form": "closed"},
        }
        path.write_text(json.dumps(document))
        assert load_candidate(path).compute.training_flop is None

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is an input error."""
        with pytest.raises(InputError, match="no such file"):
            load_candidate(tmp_path / "absent.yaml")

    def test_not_a_mapping(self, tmp_path: Path) -> None:
        """A list is not a candidate."""
        path = tmp_path / "c.yaml"
        path.write_text("- 1\n- 2\n")
        with pytest.raises(InputError, match="must be a mapping"):
            load_candidate(path)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [prefix] + [p for key, item in value.items() for p in _paths(item, (*prefix, key))]
    if isinstance(value, list):
        return [prefix] + [p for index, item in enumerate(value) for p in _paths(item, (*prefix, index))]
    return [prefix]


JUNK = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(-5, 5),
    st.floats(),
    st.lists(st.integers(), max_size=2),
    st.just({"x": 1}),
)


class TestMutations:
    """A valid candidate with any one field replaced by junk is accepted or refused cleanly."""

    @given(document=candidate_documents(), data=st.data())
    def test_one_bad_field(self, document: dict[str, Any], data: st.DataObject) -> None:
        """The error names a field on the path that was changed (or the document stays valid)."""
        paths = [p for p in _paths(document) if p]
        path = data.draw(st.sampled_from(paths))
        junk = data.draw(JUNK)
        target: Any = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = junk
        try:
            Candidate.model_validate(document)
        except ValidationError as exc:
            locations = [tuple(error["loc"]) for error in exc.errors()]
            assert locations
            top = str(path[0])
            assert any(loc and str(loc[0]) == top for loc in locations), (path, locations)


EVALUATION: dict[str, Any] = {"benchmark": "b", "domain": "bio", "score": 0.5}


class TestFailOpenValues:
    """Values that a lax reader would quietly turn into something else are refused at validation."""

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"compute__training_flop": True}, "training_flop"),
            ({"compute__fine_tuning_flop": False}, "fine_tuning_flop"),
            ({"capabilities": {"bio": False}}, "bio"),
            ({"capabilities": {"bio": {"score": True}}}, "score"),
            ({"model__parameters": True}, "parameters"),
            ({"evaluations": [{**EVALUATION, "samples": True}]}, "samples"),
        ],
    )
    def test_booleans_are_not_numbers(self, changes: dict[str, Any], field: str) -> None:
        """``training_flop: true`` is not 1 FLOP and ``bio: no`` is not a score of 0."""
        with pytest.raises(ValidationError, match="not a boolean") as caught:
            Candidate.model_validate(_with(**changes))
        assert any(field in map(str, error["loc"]) for error in caught.value.errors())

    @pytest.mark.parametrize("field", ["compute__training_end", "release__date"])
    @pytest.mark.parametrize("day", ["0001-01-01", "1949-12-31", "2200-01-01", "9999-12-31"])
    def test_dates_outside_the_window(self, field: str, day: str) -> None:
        """A training end in year 1 would age any compute down to nothing: the window is named."""
        with pytest.raises(ValidationError, match="between 1950-01-01 and 2199-12-31"):
            Candidate.model_validate(_with(**{field: day}))

    def test_dates_at_the_window_edges(self) -> None:
        """The window's own ends are accepted."""
        Candidate.model_validate(_with(compute__training_end="1950-01-01", release__date="2199-12-31"))

    @pytest.mark.parametrize(
        ("source", "expected"),
        [
            ({"n": 10**400}, "beyond"),
            ({"n": -(2**53) - 1}, "beyond"),
            ({"x": math.nan}, "not finite"),
            ({"x": [1.0, math.inf]}, "not finite"),
            ({"d": dt.date(2024, 1, 1)}, "date at d is not a JSON value"),
            ({"s": {1, 2}}, "not a JSON value"),
            ({"b": b"hi"}, "not a JSON value"),
        ],
    )
    def test_free_form_source_is_json(self, source: dict[str, Any], expected: str) -> None:
        """What reaches a digest is JSON that every reader agrees on."""
        with pytest.raises(ValidationError, match=expected):
            Candidate.model_validate(_with(evaluations=[{**EVALUATION, "source": source}]))

    def test_free_form_source_accepts_json(self) -> None:
        """Ordinary provenance stays accepted, up to 2^53."""
        source = {"digest": "sha256:ab", "n": 2**53, "x": -1.5, "tags": ["a", None, True], "deep": {"k": {}}}
        candidate = Candidate.model_validate(_with(evaluations=[{**EVALUATION, "source": source}]))
        assert candidate.evaluations[0].source == source

    def test_samples_bounded(self) -> None:
        """A 400-digit sample count would overflow every later decision."""
        with pytest.raises(ValidationError, match="less than or equal to"):
            Candidate.model_validate(_with(evaluations=[{**EVALUATION, "samples": 10**400}]))

    @pytest.mark.parametrize("name", ["M\x1b[2J", "M\u202eredro", "a\nb", "x\x9b", "x\u2066y"])
    @pytest.mark.parametrize("field", ["model__name", "model__developer", "release__jurisdictions"])
    def test_hidden_characters_in_identifiers(self, name: str, field: str) -> None:
        """Escape sequences and bidirectional overrides cannot repaint a terminal or reorder a tier."""
        value: Any = [name] if field == "release__jurisdictions" else name
        with pytest.raises(ValidationError, match="control or bidirectional character"):
            Candidate.model_validate(_with(**{field: value}))

    def test_free_text_keeps_line_breaks(self) -> None:
        """A compute source may span lines; an escape sequence in it is still refused."""
        Candidate.model_validate(_with(compute__source="paper, table 3\nand the model card"))
        with pytest.raises(ValidationError, match="U\\+001B"):
            Candidate.model_validate(_with(compute__source="paper\x1b[31m"))

    def test_yaml_boolean_capability(self, tmp_path: Path) -> None:
        """``bio: no`` in YAML is refused at its line, in the schema's words."""
        path = tmp_path / "c.yaml"
        path.write_text(
            "model: {name: M, developer: L}\ncompute: {training_flop: 1.0e24}\nrelease: {form: api}\n"
            "capabilities: {bio: no}\n"
        )
        with pytest.raises(InputError) as caught:
            load_candidate(path)
        assert [str(p) for p in caught.value.problems] == [
            f"{path}:4: capabilities.bio: expected a number, not a boolean (true/false, yes/no, on/off)"
        ]
