"""YAML and JSON reading that remembers where every value came from.

``load_document`` returns the parsed data together with a map from field paths (tuples of keys and
indexes) to 1-based line numbers, so that validation errors can be reported as ``file:line``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from governance.exceptions import GovernanceError, InputError, Problem

Model = TypeVar("Model", bound=BaseModel)

__all__ = ["LineMap", "load_document", "load_model", "locate", "pydantic_problems"]

LineMap = dict[tuple[str | int, ...], int]


class _Loader(yaml.SafeLoader):
    """A SafeLoader of our own, so that nothing configured here leaks into PyYAML's globals."""


MAX_ALIAS_VALUES = 100_000
"""How many values aliases (``*name``) may add to a document beyond those written out."""


def _alias_problem(root: yaml.Node) -> str | None:
    """Why the aliases in a composed document cannot be accepted, or None when they can.

    A recursive alias has no finite value, and a few aliases can stand for billions of values ("billion
    laughs"). Both are found in time linear in the written document: each node is sized once.
    """
    sizes: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_stack.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        if key in on_stack:
            return f"line {node.start_mark.line + 1}: a recursive alias (an anchor used inside its own value)"
        on_stack.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_stack:
                return f"line {child.start_mark.line + 1}: a recursive alias (an anchor used inside its own value)"
            if id(child) not in sizes:
                stack.append((child, False))
    written = len(sizes)
    if sizes[id(root)] - written > MAX_ALIAS_VALUES:
        return f"aliases expand the document beyond {MAX_ALIAS_VALUES} values more than are written out"
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _walk(node: yaml.Node, path: tuple[str | int, ...], lines: LineMap) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def _plain(value: Any) -> Any:
    """Convert YAML-only types (datetimes) to what JSON would give, keeping dates as dates."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def load_document(path: Path, *, error: type[Exception] = InputError) -> tuple[Any, LineMap]:
    """Parse a ``.yaml``/``.yml``/``.json`` file; raise ``error`` naming the file and line on failure."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot be read ({exc})") from exc
    lines: LineMap = {}
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text), lines
        except json.JSONDecodeError as exc:
            raise error(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    try:
        node = yaml.compose(text, Loader=_Loader)
        problem = None if node is None else _alias_problem(node)
        if problem is not None:
            raise error(f"{path}: not accepted: {problem}")
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{where}: not valid YAML: {problem}") from exc
    except RecursionError as exc:
        raise error(f"{path}: not accepted: values are nested too deeply to read") from exc
    if node is not None:
        _walk(node, (), lines)
    return _plain(data), lines


def locate(lines: LineMap, loc: tuple[str | int, ...]) -> int | None:
    """The line of the deepest known prefix of ``loc``."""
    for cut in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:cut]))
        if line is not None:
            return line
    return None


def pydantic_problems(errors: list[Any], source: str, lines: LineMap) -> list[Problem]:
    """Turn pydantic ``errors()`` into Problems located at ``source:line`` and the field path."""
    problems: list[Problem] = []
    for err in errors:
        loc = tuple(part for part in err["loc"] if not (isinstance(part, str) and _is_union_tag(part)))
        field = ".".join(str(part) for part in loc) or "(document)"
        line = locate(lines, loc)
        where = f"{source}:{line}" if line else source
        message = err["msg"]
        if err.get("type") == "extra_forbidden":
            message = "unknown key; remove it or check its spelling"
        elif err.get("type") == "missing":
            message = "required field is missing"
        problems.append(Problem(where, f"{field}: {message}"))
    return problems


def _is_union_tag(part: str) -> bool:
    # pydantic inserts the union member's name into locations ("float", "FlopInterval", "function-after[...]")
    return (
        part in {"float", "int", "str", "bool", "constrained-float", "constrained-str"}
        or part[:1].isupper()
        or part.startswith(("function-", "tagged-union", "lax-or-strict", "json-or-python"))
        or "[" in part
    )


def load_model(path: Path, model: type[Model], *, error: type[GovernanceError], what: str, shape: str) -> Model:
    """Read a YAML/JSON file into a pydantic model; every problem is reported at ``file:line`` with its field.

    Args:
        path: the file.
        model: the pydantic model to validate into.
        error: the exception raised (a :class:`GovernanceError` subclass).
        what: what the file holds, for messages ("the candidate").
        shape: what the top level must look like, for the message when it is not a mapping.
    """
    document, lines = load_document(path, error=error)
    if not isinstance(document, dict):
        raise error(f"{path}: {shape}")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        problems = pydantic_problems(exc.errors(), str(path), lines)
        raise error(f"{path}: {len(problems)} problem(s) in {what}", problems=problems) from exc
