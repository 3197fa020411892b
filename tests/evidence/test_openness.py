"""Release openness: the MOF conformance suite, real model records, OSAID and the EU licence test."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from governance import Candidate, EvidenceError, load_policy
from governance.candidate import Release
from governance.evidence.openness import (
    classify,
    eu_foss_licence,
    is_open_licence,
    load_mot_record,
    mof_components,
    openness_report,
    release_openness,
)
from governance.features import extract_features
from tests.conftest import AS_OF, REALDATA


def _expected(realdata: Path) -> dict[str, dict[str, Any]]:
    """The tool's own answers, keyed by release name (the JSON has trailing commas)."""
    text = (realdata / "openness" / "test-data" / "expected_results.json").read_text(encoding="utf-8")
    document = json.loads(re.sub(r",\s*([}\]])", r"\1", text))
    return {model["release"]["name"]: model["classification"] for model in document["models"]}


def _conformance_files() -> list[str]:
    names = sorted(p.name for p in (REALDATA / "openness" / "test-data").glob("*.yml"))
    assert len(names) == 27, "tests/data/openness/test-data holds the tool's 27 conformance files"
    return names


class TestConformance:
    """The Model Openness Tool's 27 synthetic releases classify exactly as the tool classifies them."""

    def test_suite_has_27_cases(self, realdata: Path) -> None:
        """The conformance suite is complete: 27 records, 27 answers, matched by release name."""
        files = sorted((realdata / "openness" / "test-data").glob("*.yml"))
        names = {load_mot_record(path).release.name for path in files}
        assert len(files) == 27
        assert names == set(_expected(realdata))

    @pytest.mark.parametrize("name", _conformance_files())
    def test_case(self, realdata: Path, name: str) -> None:
        """Class, label and the progress towards each class match expected_results.json."""
        record = load_mot_record(realdata / "openness" / "test-data" / name)
        expected = _expected(realdata)[record.release.name]
        result = openness_report(record).mof
        assert result.mof_class == expected["class"]
        assert result.label == expected["label"]
        assert {str(k): v for k, v in result.progress.items()} == pytest.approx(
            {k: float(v) for k, v in expected["progress"].items()}, rel=0, abs=1e-12
        )


class TestRealModels:
    """Six real records from the tool's models/ folder, with the verdicts read from their licences."""

    @pytest.mark.parametrize(
        ("file", "mof_class", "progress"),
        [
            ("OLMo-7B.yml", 1, (100, 100, 100)),
            ("Pythia-12B.yml", 1, (100, 100, 100)),
            ("DeepSeek-R1.yml", 0, (100 * 5 / 6, 0, 0)),
            ("Llama-3.1-70B.yml", 0, (0, 0, 0)),
            ("GPT-4.yml", 0, (0, 0, 0)),
            ("Falcon-180B.yml", 0, (0, 0, 0)),
        ],
    )
    def test_class_and_progress(self, realdata: Path, file: str, mof_class: int, progress: tuple[float, ...]) -> None:
        """Class and progress (III, II, I) agree with the reference notes' table."""
        result = openness_report(load_mot_record(realdata / "openness" / "models" / file)).mof
        assert result.mof_class == mof_class
        assert (result.progress[3], result.progress[2], result.progress[1]) == pytest.approx(progress)

    def test_deepseek_lacks_only_a_data_card_for_class_iii(self, realdata: Path) -> None:
        """DeepSeek-R1 misses Class III for want of a data card; its paper is under a non-open arXiv licence."""
        result = openness_report(load_mot_record(realdata / "openness" / "models" / "DeepSeek-R1.yml")).mof
        assert result.missing[3] == ("Data card",)
        paper = next(c for c in result.components if c.name == "Research paper")
        assert paper.status == "not_open"
        assert paper.licence == "arXiv.org perpetual non-exclusive license 1.0"

    def test_llama_licence_is_not_open(self, realdata: Path) -> None:
        """The Llama 3.1 Community License is not OSI-approved, FSF-libre or an open-data licence."""
        record = load_mot_record(realdata / "openness" / "models" / "Llama-3.1-70B.yml")
        weights = next(c for c in openness_report(record).mof.components if c.name == "Model parameters (Final)")
        assert (weights.licence, weights.licence_from, weights.status) == (
            "Llama 3.1 Community License",
            "component",
            "not_open",
        )

    def test_unlicensed_keyword_means_no_licence(self, realdata: Path) -> None:
        """``license: unlicensed`` on a component is no licence, even beside a global licence."""
        record = load_mot_record(realdata / "openness" / "models" / "Llama-3.1-70B.yml")
        card = next(c for c in openness_report(record).mof.components if c.name == "Model card")
        assert card.status == "unlicensed"
        assert card.licence is None

    def test_falcon_leading_space_is_not_matched(self, realdata: Path) -> None:
        """Exact SPDX matching: the distribution licence ' Falcon-180B TII License' is not open."""
        record = load_mot_record(realdata / "openness" / "models" / "Falcon-180B.yml")
        datasets = next(c for c in openness_report(record).mof.components if c.name == "Datasets")
        architecture = next(c for c in openness_report(record).mof.components if c.name == "Model architecture")
        assert datasets.status == "open"  # ODC-By-1.0, its own licence
        assert (architecture.licence, architecture.status) == (" Falcon-180B TII License", "not_open")

    @pytest.mark.parametrize(
        ("file", "meets"),
        [
            ("OLMo-7B.yml", True),
            ("Pythia-12B.yml", True),
            ("DeepSeek-R1.yml", False),
            ("Llama-3.1-70B.yml", False),
            ("GPT-4.yml", False),
            ("Falcon-180B.yml", False),
        ],
    )
    def test_osaid(self, realdata: Path, file: str, meets: bool) -> None:
        """OLMo and Pythia (both fully open) meet the OSAID's required components; the others do not."""
        report = openness_report(load_mot_record(realdata / "openness" / "models" / file))
        assert report.osaid.meets is meets
        assert bool(report.osaid.failing) is not meets

    def test_deepseek_osaid_failures_name_the_missing_code(self, realdata: Path) -> None:
        """DeepSeek-R1 publishes no training or preprocessing code; the verdict says so."""
        report = openness_report(load_mot_record(realdata / "openness" / "models" / "DeepSeek-R1.yml"))
        assert "code: Training code is not released" in report.osaid.failing
        assert "code: Data preprocessing code is not released" in report.osaid.failing


class TestRules:
    """The classification rules on small hand-built releases."""

    CLASS_III = (
        "Model architecture",
        "Model parameters (Final)",
        "Model card",
        "Data card",
        "Technical report",
        "Evaluation results",
    )

    def test_component_table(self) -> None:
        """17 components: 6, 4 and 4 required per class, 3 optional."""
        components = mof_components()
        assert len(components) == 17
        required = [c.mof_class for c in components if c.required]
        assert (required.count(3), required.count(2), required.count(1)) == (6, 4, 4)
        assert sorted(c.name for c in components if not c.required) == [
            "Model metadata",
            "Sample model outputs",
            "Supporting libraries and tools",
        ]

    def test_class_iii_needs_all_six(self) -> None:
        """Six open Class III components make Class III; Class II progress is 6 of 10."""
        result = classify(self.CLASS_III, {}, {"distribution": "Apache-2.0"})
        assert result.mof_class == 3
        assert result.progress == {3: 100, 2: 60, 1: 0}

    def test_lower_class_is_zero_until_higher_is_complete(self) -> None:
        """With one Class III component closed, Classes II and I score 0 whatever else is open."""
        result = classify(
            [*self.CLASS_III, "Training code", "Inference code"],
            {"Model card": "LicenseRef-Proprietary"},
            {"distribution": "MIT"},
        )
        assert result.progress[3] == pytest.approx(100 * 5 / 6)
        assert (result.progress[2], result.progress[1]) == (0, 0)
        assert result.not_open[3] == ("Model card",)

    def test_type_licence_before_distribution(self) -> None:
        """A component takes the global licence of its content type before the distribution licence."""
        result = classify(["Model card"], {}, {"document": "CC-BY-4.0", "distribution": "LicenseRef-Proprietary"})
        card = result.components[0]
        assert (card.licence, card.licence_from, card.status) == ("CC-BY-4.0", "global document", "open")

    def test_paper_stands_in_for_report(self) -> None:
        """With the technical report absent, an open research paper fills its slot in Class III."""
        listed = [n for n in self.CLASS_III if n != "Technical report"] + ["Research paper"]
        result = classify(listed, {}, {"distribution": "Apache-2.0"})
        assert result.paper_for_report
        assert result.mof_class == 3
        assert "Technical report" not in result.missing[1]

    def test_optional_components_never_count(self) -> None:
        """Optional components alone give no progress."""
        result = classify(["Sample model outputs", "Model metadata"], {}, {"distribution": "MIT"})
        assert result.progress == {3: 0, 2: 0, 1: 0}

    @pytest.mark.parametrize(
        ("licence", "is_open"),
        [
            ("Apache-2.0", True),  # OSI
            ("Apache-1.0", True),  # FSF-libre, not OSI
            ("CDLA-Permissive-2.0", True),  # open-data list
            ("OpenMDW-1.0", True),
            ("CC-BY-NC-4.0", False),
            ("Apache 2.0", False),  # not an SPDX id
            ("", False),
            (None, False),
        ],
    )
    def test_open_licences(self, licence: str | None, is_open: bool) -> None:
        """The tool's open set: OSI or FSF in the SPDX list, open-data licences, OpenMDW; exact ids only."""
        assert is_open_licence(licence) is is_open


class TestEuLicence:
    """Whether an SPDX expression is free and open source for the EU exemption."""

    @pytest.mark.parametrize(
        ("expression", "qualifies"),
        [
            ("Apache-2.0", True),
            ("MIT OR LicenseRef-Proprietary", True),
            ("MIT AND LicenseRef-Proprietary", False),
            ("GPL-2.0-only WITH Classpath-exception-2.0", True),
            ("(MIT OR CC-BY-NC-4.0) AND CC-BY-4.0", True),
            ("CDLA-Permissive-2.0", True),
            ("CC-BY-NC-SA-4.0", False),
            ("LicenseRef-Llama-3.1", False),
            ("(MIT", False),
            ("MIT AND", False),
            (None, False),
        ],
    )
    def test_expressions(self, expression: str | None, qualifies: bool) -> None:
        """OR needs one qualifying side, AND both; malformed expressions do not qualify."""
        assert eu_foss_licence(expression) is qualifies


def _release(**fields: Any) -> Release:
    return Release.model_validate({"form": "open_source", **fields})


class TestCandidateRelease:
    """A candidate's release block is classified with its one licence applied to every component."""

    def test_fully_open_release(self) -> None:
        """Every required component under Apache-2.0: Class I, OSAID met, EU licence qualifies."""
        release = _release(
            components=[
                "architecture",
                "weights",
                "model card",
                "data card",
                "technical report",
                "evaluation results",
                "training code",
                "inference code",
                "evaluation code",
                "evaluation data",
                "training data",
                "data preprocessing code",
                "intermediate checkpoints",
                "research paper",
            ],
            license="Apache-2.0",
        )
        report = release_openness(release)
        assert report.mof.mof_class == 1
        assert report.osaid.meets
        assert report.eu_foss_licence is True
        assert report.unrecognised == ()

    def test_open_weights_imply_parameters(self) -> None:
        """An open-weights form publishes the final parameters even when 'weights' is not listed."""
        report = release_openness(_release(form="open_weights", components=["model_card"], license="MIT"))
        assert [c.name for c in report.mof.components] == ["Model card", "Model parameters (Final)"]

    def test_unrecognised_components_are_reported(self) -> None:
        """Names that match no MOF component are listed, not guessed."""
        report = release_openness(_release(components=["weights", "secret sauce"], license="MIT"))
        assert report.unrecognised == ("secret sauce",)

    def test_features(self) -> None:
        """release.mof_class orders classes by openness (Class I = 3) and release.osaid is a flag."""
        document = {
            "model": {"name": "M", "developer": "D"},
            "compute": {"training_flop": 1e23},
            "release": {
                "form": "open_weights",
                "components": ["architecture", "model card", "data card", "technical report", "evaluation results"],
                "license": "Apache-2.0",
            },
        }
        features = extract_features(
            Candidate.model_validate(document), load_policy("illustrative-capability@1.0"), AS_OF
        )
        assert features.values["release.mof_class"] == 1.0  # Class III
        assert features.values["release.osaid"] == 0.0
        assert features.values["release.foss_licence"] == 1.0
        closed = {**document, "release": {**document["release"], "license": "LicenseRef-Custom"}}
        features = extract_features(Candidate.model_validate(closed), load_policy("illustrative-capability@1.0"), AS_OF)
        assert features.values["release.mof_class"] == 0.0
        assert features.values["release.foss_licence"] == 0.0


class TestRecordErrors:
    """Malformed records are refused with the file, line and field."""

    def test_unknown_component(self, tmp_path: Path) -> None:
        """A component name outside the 17 is refused, naming the known ones."""
        path = tmp_path / "bad.yml"
        path.write_text(
            "framework: {name: Model Openness Framework, version: '1.0', date: '2024-12-15'}\n"
            "release:\n  name: X\n  producer: Y\n  license: {}\n  components:\n    - name: Weights\n",
            encoding="utf-8",
        )
        with pytest.raises(EvidenceError) as caught:
            load_mot_record(path)
        assert "bad.yml:7" in str(caught.value)
        assert "unknown MOF component 'Weights'" in str(caught.value)

    def test_missing_producer(self, tmp_path: Path) -> None:
        """A release without its required producer is refused."""
        path = tmp_path / "bad.yml"
        path.write_text(
            "framework: {name: Model Openness Framework, version: '1.0', date: '2024-12-15'}\n"
            "release: {name: X, license: {}, components: []}\n",
            encoding="utf-8",
        )
        with pytest.raises(EvidenceError, match=r"release\.producer: required field is missing"):
            load_mot_record(path)

    def test_not_a_mapping(self, tmp_path: Path) -> None:
        """A YAML list is not a record."""
        path = tmp_path / "bad.yml"
        path.write_text("- a\n- b\n", encoding="utf-8")
        with pytest.raises(EvidenceError, match="is a mapping"):
            load_mot_record(path)
