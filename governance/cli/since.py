"""``governance decide CANDIDATE --since PREVIOUS.json``: what moved since an earlier decision of the model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.text import Text

from governance._yaml import load_document
from governance.cli._app import console, console_note, print_json
from governance.cli.render import render_decision
from governance.decision import Decision
from governance.decision_diff import DecisionDiff, diff_decisions
from governance.exceptions import InputError

__all__ = ["previous_documents", "show_since"]

_SHAPE = (
    "expected a decision document, a list of them (decide --format json), a ledger entry "
    "(ledger show --format json) or a gate verdict (gate --format json)"
)


def _flatten(data: Any, source: str) -> list[Mapping[str, Any]]:
    if isinstance(data, list):
        return [doc for item in data for doc in _flatten(item, source)]
    if not isinstance(data, Mapping):
        raise InputError(f"{source}: {_SHAPE}")
    if isinstance(data.get("decision"), Mapping):
        return [data["decision"]]
    if isinstance(data.get("decisions"), list):
        return _flatten(data["decisions"], source)
    policy, model = data.get("policy"), data.get("model")
    decision_like = isinstance(data.get("tier"), str) and isinstance(model, Mapping)
    if decision_like and isinstance(policy, Mapping) and isinstance(policy.get("id"), str):
        return [data]
    raise InputError(f"{source}: {_SHAPE}")


def previous_documents(path: Path) -> list[Mapping[str, Any]]:
    """The decision documents held by ``path`` (JSON or YAML); InputError when it holds none."""
    data, _ = load_document(path, error=InputError)
    documents = _flatten(data, str(path))
    if not documents:
        raise InputError(f"{path}: holds no decision; {_SHAPE}")
    return documents


def _match(previous: Sequence[Mapping[str, Any]], decision: Decision) -> Mapping[str, Any] | None:
    """The earlier decision under the same policy id: of the same model if there is one, the latest by date."""
    same_policy = [p for p in previous if p["policy"]["id"] == decision.policy.id]
    same_model = [p for p in same_policy if p["model"].get("name") == decision.model.get("name")]
    chosen = same_model or same_policy
    return max(chosen, key=lambda p: str(p.get("as_of", ""))) if chosen else None


def _diff(previous: Mapping[str, Any], decision: Decision, source: Path) -> DecisionDiff:
    try:
        return diff_decisions(previous, decision.document())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{source}: the earlier decision is malformed ({type(exc).__name__}: {exc})") from exc


def show_since(path: Path, decisions: Sequence[Decision], *, as_json: bool) -> None:
    """Print the decisions and what moved since the matching decisions in ``path``."""
    previous = previous_documents(path)
    pairs = [(decision, _match(previous, decision)) for decision in decisions]
    if all(match is None for _, match in pairs):
        held = ", ".join(sorted({str(p["policy"]["id"]) for p in previous}))
        raise InputError(f"{path}: no earlier decision under the same policy (it holds decisions under {held})")
    diffs = [(decision, None if match is None else _diff(match, decision, path)) for decision, match in pairs]
    if as_json:
        print_json(
            {
                "decisions": [d.document() for d in decisions],
                "changes": [diff.document() for _, diff in diffs if diff is not None],
            }
        )
        for decision, diff in diffs:
            if diff is None:
                console_note(f"no earlier decision under {decision.policy.id} in {path}")
        return
    for decision, diff in diffs:
        render_decision(decision, console)
        if diff is None:
            console.print(Text(f"no earlier decision under {decision.policy.id} in {path}"))
            continue
        for line in diff.lines():
            console.print(Text(line), soft_wrap=True)
