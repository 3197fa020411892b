"""Evaluation suites: every shipped definition loads, cites its numbers, and normalises as documented."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance import EvidenceError
from governance.canonical import canonical_digest
from governance.evidence.suites import Suite, find_suite, load_suite, load_suites, suite_for_task, use_suites
from governance.loader import data_dir

REQUIRED = {
    "wmdp-bio",
    "wmdp-chem",
    "wmdp-cyber",
    "vct",
    "lab-bench-protocolqa",
    "lab-bench-cloningscenarios",
    "lab-bench-seqqa",
    "cybench",
    "re-bench",
    "mle-bench",
    "swe-bench-verified",
    "task-time-horizon",
}


def _suite(name: str) -> Suite:
    suite = find_suite(name)
    assert suite is not None, name
    return suite


class TestShipped:
    """The shipped evaluations/ folder."""

    def test_required_suites_ship(self) -> None:
        """Every benchmark the issue names has a definition."""
        assert {s.id for s in load_suites()} >= REQUIRED

    def test_found_through_data_dir(self) -> None:
        """Suites are read from the shipped evaluations folder (source tree or wheel)."""
        root = data_dir("evaluations")
        assert (root / "wmdp-bio" / "suite.yaml").is_file()
        assert {s.id for s in load_suites(root)} == {s.id for s in load_suites()}

    @pytest.mark.parametrize("suite_id", sorted(REQUIRED))
    def test_every_number_is_cited_or_illustrative(self, suite_id: str) -> None:
        """Baselines cite a source or say they are illustrative; the mapping gives its rationale."""
        suite = _suite(suite_id)
        sources = {s.id for s in suite.sources}
        for baseline in suite.baselines:
            assert baseline.illustrative or baseline.source in sources
        assert suite.normalisation.rationale
        assert suite.sources

    @pytest.mark.parametrize(
        ("suite_id", "domain", "items"),
        [
            ("wmdp-bio", "bio", 1273),
            ("wmdp-chem", "chem", 408),
            ("wmdp-cyber", "cyber", 1987),
            ("vct", "bio", 322),
            ("lab-bench-protocolqa", "bio", 108),
            ("cybench", "cyber", 40),
            ("re-bench", "ai_rnd", 7),
            ("mle-bench", "ai_rnd", 75),
            ("swe-bench-verified", "autonomy", 500),
        ],
    )
    def test_domains_and_items(self, suite_id: str, domain: str, items: int) -> None:
        """Domain and item counts are those of the reference notes (policy-facts section 10, eval-formats 3c)."""
        suite = _suite(suite_id)
        assert (suite.domain, suite.items) == (domain, items)


class TestAliases:
    """Tool task names map to suites; unknown names are not guessed."""

    @pytest.mark.parametrize(
        ("task", "suite_id"),
        [
            ("wmdp_bio", "wmdp-bio"),
            ("inspect_evals/wmdp_bio", "wmdp-bio"),
            ("WMDP_CHEM", "wmdp-chem"),
            ("wmdp_cyber", "wmdp-cyber"),
            ("inspect_evals/lab_bench_protocolqa", "lab-bench-protocolqa"),
            ("inspect_evals/cybench", "cybench"),
            ("inspect_evals/swe_bench", "swe-bench-verified"),
        ],
    )
    def test_known(self, task: str, suite_id: str) -> None:
        """Each listed task name resolves to its suite."""
        suite = suite_for_task(task)
        assert suite is not None
        assert suite.id == suite_id

    @pytest.mark.parametrize("task", ["wmdp", "mmlu", "task", "popularity", "inspect_evals/wmdp", "wmdp_bi"])
    def test_unknown(self, task: str) -> None:
        """Groups, other benchmarks, generic names and near misses map to nothing."""
        assert suite_for_task(task) is None


class TestNormalisation:
    """Each suite's mapping from raw score to [0, 1]."""

    def test_wmdp_chance_to_perfect(self) -> None:
        """WMDP: chance (0.25) is 0, a perfect score 1, linear between; below chance clips to 0."""
        suite = _suite("wmdp-bio")
        assert suite.normalise(0.25) == 0.0
        assert suite.normalise(1.0) == 1.0
        assert suite.normalise(0.625) == pytest.approx(0.5)
        assert suite.normalise(0.1) == 0.0
        assert suite.normalisation.illustrative

    def test_vct_expert_parity_is_one(self) -> None:
        """VCT: the expert baseline 0.221 maps to 1; o3's 0.438 clips to 1; half the baseline is 0.5."""
        suite = _suite("vct")
        assert suite.normalise(0.221) == 1.0
        assert suite.normalise(0.438) == 1.0
        assert suite.normalise(0.1105) == pytest.approx(0.5)

    def test_protocolqa_expert_parity_is_one(self) -> None:
        """LAB-Bench ProtocolQA: the human-expert 0.79 maps to 1."""
        assert _suite("lab-bench-protocolqa").normalise(0.79) == 1.0

    def test_time_horizon_is_logarithmic(self) -> None:
        """One minute is 0, a working month (10,020 minutes) is 1, and an hour is log(60)/log(10020)."""
        suite = _suite("task-time-horizon")
        assert suite.normalise(1.0) == 0.0
        assert suite.normalise(10020.0) == 1.0
        assert suite.normalise(60.0) == pytest.approx(math.log(60) / math.log(10020))
        assert suite.normalise(0.0) == 0.0
        assert suite.normalisation.illustrative

    def test_rebench_clips_above_reference(self) -> None:
        """RE-Bench: beating the reference solution (score above 1) reads as 1; below the start as 0."""
        suite = _suite("re-bench")
        assert suite.normalise(1.7) == 1.0
        assert suite.normalise(-0.3) == 0.0

    @pytest.mark.parametrize("suite_id", sorted(REQUIRED))
    @given(a=st.floats(min_value=-10, max_value=20_000), b=st.floats(min_value=-10, max_value=20_000))
    def test_monotone_and_bounded(self, suite_id: str, a: float, b: float) -> None:
        """A higher raw score never gives a lower normalised score, and every value is in [0, 1]."""
        suite = _suite(suite_id)
        low, high = sorted((a, b))
        assert 0.0 <= suite.normalise(low) <= suite.normalise(high) <= 1.0


class TestInvalidDefinitions:
    """A broken suite file is refused with the file, line and field."""

    def _write(self, tmp_path: Path, folder: str, text: str) -> Path:
        path = tmp_path / folder / "suite.yaml"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        return path

    BASE = """schema_version: 1
id: demo
version: "1.0"
title: Demo
domain: bio
metric: accuracy
measure: proportion
normalisation: {kind: linear, floor: 0.25, ceiling: 1.0, floor_from: chance, ceiling_from: perfect, rationale: r}
sources: [{id: s, title: S}]
"""

    def test_valid(self, tmp_path: Path) -> None:
        """The base definition itself loads."""
        assert load_suite(self._write(tmp_path, "demo", self.BASE)).ref == "demo@1.0"

    def test_folder_must_match_id(self, tmp_path: Path) -> None:
        """The folder name is the suite id."""
        with pytest.raises(EvidenceError, match="does not match suite id"):
            load_suite(self._write(tmp_path, "other", self.BASE))

    def test_uncited_baseline(self, tmp_path: Path) -> None:
        """A baseline with neither source nor 'illustrative: true' is refused."""
        text = self.BASE + "baselines: [{id: b, kind: human_expert, value: 0.5, text: t}]\n"
        with pytest.raises(EvidenceError, match="needs a 'source' or 'illustrative: true'"):
            load_suite(self._write(tmp_path, "demo", text))

    def test_direction_must_match_anchors(self, tmp_path: Path) -> None:
        """A lower-is-better metric needs its ceiling below its floor."""
        with pytest.raises(EvidenceError, match="ceiling must be above its floor"):
            load_suite(self._write(tmp_path, "demo", self.BASE + "direction: lower_is_better\n"))

    def test_unknown_key(self, tmp_path: Path) -> None:
        """Misspelt keys are refused with their line."""
        with pytest.raises(EvidenceError, match=r"suite\.yaml:10: itmes: unknown key"):
            load_suite(self._write(tmp_path, "demo", self.BASE + "itmes: 3\n"))


class TestIdentity:
    """A suite has a canonical document and digest that survive a round trip, as a policy's do."""

    @pytest.mark.parametrize("suite_id", sorted(REQUIRED))
    def test_document_round_trips_to_the_same_digest(self, suite_id: str) -> None:
        suite = _suite(suite_id)
        rebuilt = Suite.model_validate(suite.document())
        assert rebuilt == suite
        assert rebuilt.digest == suite.digest == canonical_digest(suite.document())

    def test_a_changed_number_changes_the_digest(self) -> None:
        suite = _suite("wmdp-bio")
        document = copy.deepcopy(suite.document())  # the suite's own document is shared: never change it
        document["normalisation"] = {**document["normalisation"], "ceiling": 0.9}
        assert Suite.model_validate(document).digest != suite.digest


class TestUseSuites:
    """Under use_suites the lookups read only the suites given, and the folder again afterwards."""

    def test_only_the_given_suites_are_found(self, tmp_path: Path) -> None:
        bio = _suite("wmdp-bio")
        with use_suites([bio]) as active:
            assert active == (bio,)
            assert load_suites() == (bio,)
            assert find_suite("wmdp_bio") is bio
            assert suite_for_task("inspect_evals/wmdp_bio") is find_suite("inspect_evals/wmdp_bio")
            assert find_suite("wmdp-chem") is None
            assert load_suites(tmp_path) == (bio,)  # an explicit folder is not read either
        assert find_suite("wmdp-chem") is not None
        assert len(load_suites()) == len(REQUIRED)

    def test_an_empty_set_finds_nothing(self) -> None:
        with use_suites(()):
            assert load_suites() == ()
            assert find_suite("wmdp-bio") is None

    def test_another_version_is_used_instead_of_the_shipped_one(self) -> None:
        bio = _suite("wmdp-bio")
        other = Suite.model_validate({**bio.document(), "version": "0.9"})
        with use_suites([other]):
            found = find_suite("wmdp-bio")
            assert found is not None and found.ref == "wmdp-bio@0.9"
        assert find_suite("wmdp-bio") == bio

    def test_two_versions_of_one_suite_are_refused(self) -> None:
        bio = _suite("wmdp-bio")
        other = Suite.model_validate({**bio.document(), "version": "0.9"})
        with pytest.raises(EvidenceError, match="repeat suite id"), use_suites([bio, other]):
            pass

    def test_a_task_name_claimed_twice_is_refused(self) -> None:
        bio = _suite("wmdp-bio")
        chem = Suite.model_validate({**_suite("wmdp-chem").document(), "aliases": ["wmdp_bio"]})
        with pytest.raises(EvidenceError, match="claimed by both"), use_suites([bio, chem]):
            pass
