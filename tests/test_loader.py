"""Finding and reading policies: references, versions in force, file:line errors, released digests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from governance import PolicyNotFoundError, PolicyValidationError, load_policy
from governance.loader import data_dir, parse_policy

SHIPPED = data_dir("policies")


def _write_bundle(root: Path, text: str, policy_id: str = "p", version: str = "1.0") -> Path:
    folder = root / policy_id / version
    folder.mkdir(parents=True)
    path = folder / "policy.yaml"
    path.write_text(text)
    return path


VALID = """\
id: p
version: "1.0"
title: A policy
kind: illustrative
jurisdiction: none
effective: {from: 2020-01-01}
sources: [{id: s, title: Source}]
rules:
  - id: big
    tier: restricted
    when: {all: [{feature: training_flop, op: ">=", value: 1.0e26}]}
    rationale: big
    source: s
"""


class TestReferences:
    """id, id@version and paths all resolve."""

    def test_by_id_and_pinned(self) -> None:
        """A bare id and an exact id@version give the same shipped policy."""
        assert (
            load_policy("illustrative-capability@1.0").digest
            == load_policy(SHIPPED / "illustrative-capability" / "1.0").digest
        )

    def test_by_path_to_file(self) -> None:
        """A path to policy.yaml loads it."""
        policy = load_policy(SHIPPED / "illustrative-capability" / "1.0" / "policy.yaml")
        assert policy.ref == "illustrative-capability@1.0"

    def test_unknown_id(self) -> None:
        """An unknown id names the known ones."""
        with pytest.raises(PolicyNotFoundError, match="known policies: .*illustrative-capability"):
            load_policy("no-such-policy")

    def test_unknown_version(self) -> None:
        """An unknown version lists the versions that exist."""
        with pytest.raises(PolicyNotFoundError, match="versions: .*1.0"):
            load_policy("illustrative-capability@9.9")

    def test_missing_path(self) -> None:
        """A path that does not exist is not found."""
        with pytest.raises(PolicyNotFoundError):
            load_policy("nowhere/policy.yaml")


class TestVersions:
    """A bare id resolves to the version in force on the date."""

    def test_version_in_force(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Of two versions, the one whose period contains the date is chosen."""
        _write_bundle(
            tmp_path,
            VALID.replace("effective: {from: 2020-01-01}", "effective: {from: 2020-01-01, to: 2024-01-01}"),
            "vp",
            "1.0",
        )
        _write_bundle(
            tmp_path,
            VALID.replace('version: "1.0"', 'version: "2.0"').replace(
                "effective: {from: 2020-01-01}", "effective: {from: 2024-01-01}"
            ),
            "vp",
            "2.0",
        )
        for path in tmp_path.glob("vp/*/policy.yaml"):
            path.write_text(path.read_text().replace("id: p", "id: vp"))
        monkeypatch.setenv("GOVERNANCE_POLICY_PATH", str(tmp_path))
        assert load_policy("vp", as_of=dt.date(2022, 1, 1)).version == "1.0"
        assert load_policy("vp", as_of=dt.date(2025, 1, 1)).version == "2.0"


class TestErrors:
    """Bad policies are refused with every problem at file:line."""

    def test_schema_errors_located(self, tmp_path: Path) -> None:
        """A wrong type and an unknown key are both reported with their lines."""
        path = _write_bundle(
            tmp_path,
            VALID.replace("tier: restricted", "tier: forbidden").replace(
                "rationale: big", "rationale: big\n    colour: red"
            ),
        )
        with pytest.raises(PolicyValidationError) as caught:
            parse_policy(path)
        lines = {p.location for p in caught.value.problems}
        assert f"{path}:10" in lines  # tier
        assert f"{path}:13" in lines  # the unknown key
        assert len(caught.value.problems) == 2

    @pytest.mark.parametrize(
        ("edit", "line"),
        [
            (("value: 1.0e26", "value: true"), 11),
            (("    source: s\n", "    source: s\nparameters: {thresholds: {big: yes}}\n"), 14),
            (("sources: [{id: s, title: Source}]", "sources: [{id: s, title: Source}]\nevidence: {max_age_days: true}"),
             8),
            (("sources: [{id: s, title: Source}]", "sources: [{id: s, title: Source}]\nevidence: {confidence: on}"), 8),
            (("sources: [{id: s, title: Source}]", "sources: [{id: s, title: Source}]\nplan: [{id: a, access: api, "
              "gate: g, min_days: false}]"), 8),
        ],
    )  # fmt: skip
    def test_booleans_are_not_numbers(self, tmp_path: Path, edit: tuple[str, str], line: int) -> None:
        """A boolean where a policy expects a number (a threshold, a count, a confidence) is refused at its line."""
        path = _write_bundle(tmp_path, VALID.replace(*edit))
        with pytest.raises(PolicyValidationError) as caught:
            parse_policy(path)
        problems = [(p.location, p.message) for p in caught.value.problems]
        assert any(where == f"{path}:{line}" and "expected a number, not a boolean" in m for where, m in problems)

    def test_check_errors_located(self, tmp_path: Path) -> None:
        """A static-check problem points at the rule's line."""
        path = _write_bundle(tmp_path, VALID.replace("feature: training_flop", "feature: training_flops"))
        with pytest.raises(PolicyValidationError) as caught:
            parse_policy(path)
        (problem,) = caught.value.problems
        assert problem.location == f"{path}:11" and "unknown feature" in problem.message

    def test_folder_must_match_identity(self, tmp_path: Path) -> None:
        """A bundle folder must be named after its id and version."""
        path = _write_bundle(tmp_path, VALID, "other", "1.0")
        with pytest.raises(PolicyValidationError, match="does not match"):
            parse_policy(path)

    def test_released_version_cannot_change(self, tmp_path: Path) -> None:
        """A released version whose content changed is refused."""
        path = _write_bundle(tmp_path, VALID)
        digest = parse_policy(path).digest
        path.write_text(VALID.replace("1.0e26", "2.0e26"))
        with pytest.raises(PolicyValidationError, match="never changes"):
            parse_policy(path, released={"p@1.0": digest})
        (tmp_path / "released.json").write_text(json.dumps({"p@1.0": digest}))
        with pytest.raises(PolicyValidationError, match="never changes"):
            load_policy(path)

    def test_shipped_released_digests_hold(self) -> None:
        """Every released digest listed for the shipped policies matches their content."""
        released = json.loads((SHIPPED / "released.json").read_text())
        shipped = {f"{p.parent.parent.name}@{p.parent.name}" for p in SHIPPED.glob("*/*/policy.yaml")}
        assert set(released) == shipped
        for ref, digest in released.items():
            assert load_policy(ref).digest == digest, ref
