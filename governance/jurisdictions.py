"""Which policies apply to a candidate: jurisdictions and lab frameworks.

A policy's ``jurisdiction`` is one of three kinds, and ``--policy all`` keeps a policy for a candidate
when:

* ``none`` (illustrative policies): always.
* a place, such as ``EU``, ``US``, ``US-CA`` or ``US-NY``: the candidate's ``release.jurisdictions``
  names that place or a place inside it. A sub-jurisdiction is written ``PARENT-CHILD``, so a release
  in ``US-CA`` is also a release in ``US`` (federal rules apply in California), while a release listed
  only as ``US`` does not bring in California's or New York's laws: list ``US-CA`` or ``US-NY`` to have
  them. Matching ignores case.
* ``lab:<name>`` (a lab's own framework): the candidate's developer is that lab, or its
  ``release.jurisdictions`` lists ``lab:<name>`` (compare with one lab's framework) or ``lab:*`` (every
  lab framework). The developer is the lab when the words of the lab name (split at ``-``) are the first
  words of ``model.developer`` or ``developer.name``: ``lab:google-deepmind`` matches "Google DeepMind",
  ``lab:meta`` matches "Meta" and "Meta Platforms, Inc.", but not "Metamorph Labs".
"""

from __future__ import annotations

import datetime as dt
import re

from governance.candidate import Candidate
from governance.policy import Policy, PolicyKind

__all__ = [
    "LAB_PREFIX",
    "NO_JURISDICTION",
    "applies_to",
    "developer_is_lab",
    "jurisdiction_covers",
    "why_left_out",
]

NO_JURISDICTION = "none"
"""The jurisdiction of policies that apply everywhere (illustrative policies)."""
LAB_PREFIX = "lab:"
"""The prefix of lab-framework jurisdictions, e.g. ``lab:anthropic``."""
ALL_LABS = "lab:*"

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def jurisdiction_covers(policy_jurisdiction: str, release_jurisdiction: str) -> bool:
    """True when a release in ``release_jurisdiction`` falls under a policy of ``policy_jurisdiction``.

    ``US`` covers ``US`` and ``US-CA``; ``US-CA`` covers only ``US-CA`` (and its own subdivisions).
    """
    parent = policy_jurisdiction.strip().upper()
    place = release_jurisdiction.strip().upper()
    return place == parent or place.startswith(parent + "-")


def developer_is_lab(lab: str, developer: str) -> bool:
    """True when the words of ``lab`` (e.g. ``google-deepmind``) begin the developer's name."""
    lab_words = _words(lab)
    name_words = _words(developer)
    return bool(lab_words) and name_words[: len(lab_words)] == lab_words


def applies_to(policy: Policy, candidate: Candidate) -> bool:
    """True when ``policy`` applies to ``candidate`` by jurisdiction or developer (see the module doc)."""
    jurisdiction = policy.jurisdiction.strip().lower()
    listed = [j.strip().lower() for j in candidate.release.jurisdictions]
    if jurisdiction == NO_JURISDICTION:
        return True
    if jurisdiction.startswith(LAB_PREFIX):
        if ALL_LABS in listed or jurisdiction in listed:
            return True
        lab = jurisdiction.removeprefix(LAB_PREFIX)
        names = [candidate.model.developer]
        if candidate.developer is not None:
            names.append(candidate.developer.name)
        return any(developer_is_lab(lab, name) for name in names)
    return any(jurisdiction_covers(jurisdiction, place) for place in listed if not place.startswith(LAB_PREFIX))


def why_left_out(policy: Policy, candidate: Candidate, day: dt.date) -> str | None:
    """Why ``--policy all`` leaves ``policy`` out for ``candidate`` on ``day`` (None when it keeps it)."""
    if policy.kind is PolicyKind.PROPOSAL:
        return "a proposal, never in force"
    if day < policy.effective.start:
        return f"not in force yet (from {policy.effective.start})"
    if policy.effective.end is not None and day >= policy.effective.end:
        return f"no longer in force (ended {policy.effective.end})"
    if applies_to(policy, candidate):
        return None
    if policy.jurisdiction.strip().lower().startswith(LAB_PREFIX):
        lab = policy.jurisdiction.strip().lower().removeprefix(LAB_PREFIX)
        return f"not applicable: the framework of {lab}, and the developer is {candidate.model.developer}"
    places = ", ".join(candidate.release.jurisdictions) or "none listed"
    return f"not applicable: applies in {policy.jurisdiction}; the release is in {places}"
