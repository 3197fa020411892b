"""Finding, reading and checking policies and candidates.

Policies live in bundles ``<root>/<id>/<version>/policy.yaml``. The roots searched are the shipped
``policies/`` (inside the installed wheel, or the source tree), then every folder in the
``GOVERNANCE_POLICY_PATH`` environment variable. Python packages may add policies through the
``governance.policies`` entry-point group: each entry point names a callable returning a
:class:`~governance.policy.Policy` or an iterable of them. A plugin is code: it runs only when a
policy id that no bundle provides is asked for, or when plugins are switched on (:func:`use_plugins`,
the CLI's ``--plugins``); a plugin that fails (even by raising ``SystemExit``) is reported by name
and hides no other policy.

A reference is ``id`` (the version in force on the given date), ``id@version`` (pinned), or a path to
a ``policy.yaml`` or a bundle folder. Released versions are listed with their digests in
``policies/released.json``; a released version whose content changed is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from governance._yaml import load_document, load_model, pydantic_problems
from governance.candidate import Candidate
from governance.checks import check_policy
from governance.exceptions import InputError, PolicyError, PolicyNotFoundError, PolicyValidationError, Problem
from governance.jurisdictions import why_left_out
from governance.policy import Policy

__all__ = [
    "PolicyEntry",
    "data_dir",
    "discover_policies",
    "load_candidate",
    "load_policy",
    "parse_policy",
    "plugin_failures",
    "released_digests",
    "resolve_policies",
    "use_plugins",
]

ENTRY_POINT_GROUP = "governance.policies"
POLICY_FILE = "policy.yaml"
RELEASED_FILE = "released.json"


def data_dir(name: str) -> Path:
    """The shipped ``policies``, ``evaluations`` or ``examples`` folder (wheel or source tree)."""
    package = Path(__file__).resolve().parent
    installed = package / "_data" / name
    return installed if installed.is_dir() else package.parent / name


def _roots() -> list[Path]:
    roots = [data_dir("policies")]
    extra = os.environ.get("GOVERNANCE_POLICY_PATH", "")
    roots += [Path(p) for p in extra.split(os.pathsep) if p]
    return roots


@dataclass(frozen=True)
class PolicyEntry:
    """A policy version that can be loaded: where it is, and its identity."""

    id: str
    version: str
    origin: str
    """The file it comes from, or ``entry-point:<name>`` for plugin policies."""
    policy: Policy


def released_digests(root: Path) -> dict[str, str]:
    """The ``id@version -> digest`` list of released versions kept in ``<root>/released.json``."""
    path = root / RELEASED_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read the released-versions list ({exc})") from exc
    return {str(k): str(v) for k, v in data.items()}


def parse_policy(path: Path, *, released: dict[str, str] | None = None) -> Policy:
    """Read, validate and statically check one ``policy.yaml``; every problem is reported at once."""
    document, lines = load_document(path, error=PolicyError)
    if not isinstance(document, dict):
        raise PolicyValidationError(
            f"{path}: a policy must be a mapping", problems=[Problem(f"{path}:1", "not a mapping")]
        )
    try:
        policy = Policy.model_validate(document)
    except ValidationError as exc:
        problems = pydantic_problems(exc.errors(), str(path), lines)
        raise PolicyValidationError(f"{path}: {len(problems)} problem(s) in the policy", problems=problems) from exc
    problems = check_policy(policy, source=str(path), lines=lines)
    parts = path.resolve().parts
    if len(parts) >= 3 and parts[-1] == POLICY_FILE and (parts[-3], parts[-2]) != (policy.id, policy.version):
        problems.append(
            Problem(f"{path}:1", f"bundle folder {parts[-3]}/{parts[-2]} does not match id@version {policy.ref}")
        )
    expected = (released or {}).get(policy.ref)
    if expected is not None and expected != policy.digest:
        problems.append(
            Problem(
                f"{path}:1",
                f"{policy.ref} was released with digest {expected} but now hashes to {policy.digest}; "
                "a released version never changes: publish a new version instead",
            )
        )
    if problems:
        raise PolicyValidationError(f"{path}: {len(problems)} problem(s) in the policy", problems=problems)
    return policy


def _plugin_entries(name: str, provider: object) -> list[PolicyEntry]:
    """Run one plugin; every way it can fail becomes a PolicyError naming it."""
    try:
        provided: Any = provider() if callable(provider) else provider
        items: list[object] = [provided] if isinstance(provided, Policy) else list(provided)
    except Exception as exc:
        raise PolicyError(f"policy plugin {name!r} failed to load: {exc}") from exc
    except BaseException as exc:  # SystemExit and the like: a plugin cannot end the process
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise PolicyError(f"policy plugin {name!r} failed to load: it raised {type(exc).__name__}") from None
    entries: list[PolicyEntry] = []
    for item in items:
        if not isinstance(item, Policy):
            raise PolicyError(f"policy plugin {name!r} returned {type(item).__name__}, expected Policy")
        problems = check_policy(item, source=f"entry-point:{name}")
        if problems:
            raise PolicyValidationError(f"policy plugin {name!r} failed the static checks", problems=problems)
        entries.append(PolicyEntry(item.id, item.version, f"entry-point:{name}", item))
    return entries


@cache
def _plugin_catalogue() -> tuple[tuple[PolicyEntry, ...], tuple[PolicyError, ...]]:
    """Every plugin's policies, and the failure of each plugin that failed (contained to it)."""
    entries: list[PolicyEntry] = []
    failures: list[PolicyError] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entries.extend(_plugin_entries(entry.name, entry.load()))
        except PolicyError as exc:
            failures.append(exc)
        except Exception as exc:  # the import itself failed
            failures.append(PolicyError(f"policy plugin {entry.name!r} failed to load: {exc}"))
    return tuple(entries), tuple(failures)


_plugins_on = False


def use_plugins(enabled: bool = True) -> None:
    """Include plugin policies in :func:`discover_policies` and ``all`` (the CLI's ``--plugins``)."""
    global _plugins_on
    _plugins_on = enabled


def plugin_failures() -> tuple[PolicyError, ...]:
    """The plugins that failed to load, once plugins have been asked for."""
    return _plugin_catalogue()[1] if _plugin_catalogue.cache_info().currsize else ()


def _checked(entries: list[PolicyEntry]) -> tuple[PolicyEntry, ...]:
    seen: dict[str, str] = {}
    for entry in entries:
        ref = f"{entry.id}@{entry.version}"
        if ref in seen:
            raise PolicyError(f"{ref} is defined twice: {seen[ref]} and {entry.origin}")
        seen[ref] = entry.origin
    entries.sort(key=lambda e: (e.id, e.policy.effective.start, e.version))
    return tuple(entries)


@cache
def _catalogue(roots: tuple[Path, ...]) -> tuple[PolicyEntry, ...]:
    entries: list[PolicyEntry] = []
    for root in roots:
        if not root.is_dir():
            continue
        released = released_digests(root)
        for path in sorted(root.glob(f"*/*/{POLICY_FILE}")):
            policy = parse_policy(path, released=released)
            entries.append(PolicyEntry(policy.id, policy.version, str(path), policy))
    return _checked(entries)


_BUNDLE_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,79}$")


@cache
def _bundles_of(roots: tuple[Path, ...], policy_id: str) -> tuple[PolicyEntry, ...]:
    """The bundles of one policy id: only ``<root>/<id>/*/policy.yaml`` is read, not every bundle.

    A bundle's folders must name its id and version (:func:`parse_policy` refuses one that does not),
    so no other folder can hold a version of ``policy_id``.
    """
    entries: list[PolicyEntry] = []
    for root in roots:
        folder = root / policy_id
        if not folder.is_dir():
            continue
        released = released_digests(root)
        for path in sorted(folder.glob(f"*/{POLICY_FILE}")):
            policy = parse_policy(path, released=released)
            entries.append(PolicyEntry(policy.id, policy.version, str(path), policy))
    return _checked(entries)


def _versions(policy_id: str) -> list[PolicyEntry]:
    """The versions of ``policy_id`` among the bundles (and plugins, when switched on)."""
    if _plugins_on or not _BUNDLE_ID.match(policy_id) or policy_id.strip(".") == "":
        return [e for e in discover_policies() if e.id == policy_id]
    roots = tuple(_roots())
    catalogue = _catalogue if _catalogue.cache_info().currsize else None  # every bundle read already
    entries = catalogue(roots) if catalogue is not None else _bundles_of(roots, policy_id)
    return [e for e in entries if e.id == policy_id]


def discover_policies(*, plugins: bool | None = None) -> tuple[PolicyEntry, ...]:
    """Every policy version available: shipped, on ``GOVERNANCE_POLICY_PATH``, and (when switched on) from plugins.

    Args:
        plugins: include plugin policies; default: as set by :func:`use_plugins` (off unless asked).
    """
    bundles = _catalogue(tuple(_roots()))
    if not (_plugins_on if plugins is None else plugins):
        return bundles
    return _checked([*bundles, *_plugin_catalogue()[0]])


def _pick_version(versions: list[PolicyEntry], day: dt.date) -> PolicyEntry:
    in_force = [e for e in versions if e.policy.in_force(day)]
    if in_force:
        return in_force[-1]
    started = [e for e in versions if e.policy.effective.start <= day]
    return started[-1] if started else versions[0]


def load_policy(ref: str | Path, *, as_of: dt.date | None = None) -> Policy:
    """Load a policy by ``id``, ``id@version`` or path.

    A bare ``id`` gives the version in force on ``as_of`` (today when omitted); when none is in
    force, the latest version that had started by then (or the earliest version), whose decisions
    will say that it is not in force.
    """
    text = str(ref)
    path = Path(text)
    if path.is_dir() and (path / POLICY_FILE).is_file():
        path = path / POLICY_FILE
    if path.is_file():
        released = released_digests(path.parent.parent.parent) if path.name == POLICY_FILE else {}
        return parse_policy(path, released=released)
    if text.endswith((".yaml", ".yml", ".json")) or os.sep in text:
        raise PolicyNotFoundError(f"{text}: no such policy file")
    policy_id, _, version = text.partition("@")
    versions = _versions(policy_id)
    if not versions:  # no bundle provides it: a plugin may (plugins run only now)
        entries = discover_policies(plugins=True)
        versions = [e for e in entries if e.id == policy_id]
    if not versions:
        failures = _plugin_catalogue()[1]
        if len(failures) == 1:
            raise failures[0]
        if failures:
            raise PolicyError(
                f"no policy with id {policy_id!r} among the bundles; a plugin that might provide it failed: "
                + "; ".join(str(failure) for failure in failures)
            )
        known = ", ".join(sorted({e.id for e in entries})) or "none"
        raise PolicyNotFoundError(f"no policy with id {policy_id!r}; known policies: {known}")
    if version:
        for entry in versions:
            if entry.version == version:
                return entry.policy
        known = ", ".join(e.version for e in versions)
        raise PolicyNotFoundError(f"{policy_id} has no version {version!r}; versions: {known}")
    return _pick_version(versions, as_of or dt.datetime.now(dt.UTC).date()).policy


def resolve_policies(
    refs: Iterable[str],
    *,
    as_of: dt.date | None = None,
    candidate: Candidate | None = None,
    left_out: list[tuple[Policy, str]] | None = None,
) -> list[Policy]:
    """Load several references, in order.

    ``all`` expands to the current version of every policy id; given a ``candidate``, only to the
    versions in force on ``as_of`` that apply to it (its jurisdictions and developer; see
    :mod:`governance.jurisdictions`), so proposals and expired or future versions are left out.
    Each policy left out is appended to ``left_out`` (when given) with the reason.
    """
    day = as_of or dt.datetime.now(dt.UTC).date()
    out: list[Policy] = []
    for ref in refs:
        if ref == "all":
            ids = sorted({e.id for e in discover_policies()})
            current = [load_policy(policy_id, as_of=day) for policy_id in ids]
            if candidate is None:
                out.extend(current)
                continue
            reasons = [(p, why_left_out(p, candidate, day)) for p in current]
            chosen = [p for p, reason in reasons if reason is None]
            if left_out is not None:
                left_out.extend((p, reason) for p, reason in reasons if reason is not None)
            if not chosen:
                places = ", ".join(candidate.release.jurisdictions) or "none listed"
                raise PolicyNotFoundError(
                    f"no policy in force on {day} applies to {candidate.model.name!r} "
                    f"(jurisdictions: {places}; developer: {candidate.model.developer})"
                )
            out.extend(chosen)
        else:
            out.append(load_policy(ref, as_of=day))
    return out


def load_candidate(path: str | Path) -> Candidate:
    """Read and validate a candidate file (YAML or JSON); every problem names its field and line."""
    return load_model(
        Path(path),
        Candidate,
        error=InputError,
        what="the candidate",
        shape="a candidate must be a mapping with model, compute and release",
    )
