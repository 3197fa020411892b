"""Evidence: from the files evaluation tools write to the capability a policy reads, and release openness.

* :mod:`.suites`: benchmark definitions (``evaluations/<id>/suite.yaml``) and their normalisation;
* :mod:`.uncertainty`: intervals at a policy's confidence (standard error, Wilson);
* :mod:`.assess`: elicitation, staleness, partial runs and the choice among several results;
* :mod:`.importers`: Inspect logs (``.json``, ``.eval``) and lm-evaluation-harness results files;
* :mod:`.openness`: Model Openness Framework class, OSI Open Source AI Definition, EU FOSS licence.
"""

from __future__ import annotations

from governance.evidence.assess import (
    AssessedResult,
    DomainEvidence,
    EvidenceSettings,
    assess_evidence,
    choose_capability,
)
from governance.evidence.openness import (
    MofResult,
    OpennessReport,
    classify,
    eu_foss_licence,
    load_mot_record,
    openness_report,
    release_openness,
)
from governance.evidence.suites import Suite, find_suite, load_suites, suite_for_task
from governance.evidence.uncertainty import raw_interval, wilson_interval, z_value

__all__ = [
    "AssessedResult",
    "DomainEvidence",
    "EvidenceSettings",
    "MofResult",
    "OpennessReport",
    "Suite",
    "assess_evidence",
    "choose_capability",
    "classify",
    "eu_foss_licence",
    "find_suite",
    "load_mot_record",
    "load_suites",
    "openness_report",
    "raw_interval",
    "release_openness",
    "suite_for_task",
    "wilson_interval",
    "z_value",
]
