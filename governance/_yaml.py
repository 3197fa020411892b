"""YAML and JSON reading that remembers where every value came from, and refuses hostile files.

``load_document`` returns the parsed data together with a map from field paths (tuples of keys and
indexes) to 1-based line numbers, so that validation errors can be reported as ``file:line``.

Every file is read once, with libyaml's C parser where it is installed, into plain JSON-like values
(dicts with string keys, lists, strings, numbers, booleans, None, dates). What a reader could misread
or what could exhaust the machine is refused with an :class:`~governance.exceptions.InputError`-style
error (exit code 2 for inputs, 3 for policies) naming the file and line:

- a key given twice in one mapping, in YAML or JSON (both lines are named): the last value would
  silently win while a reviewer reads the first;
- YAML anchors and aliases (``&name``, ``*name``): a file under 1 KB could expand to gigabytes;
- YAML tags other than the plain scalar types (``!!binary``, ``!!set``, ``!!python/...``, custom
  tags), keys that are not plain scalars, and more than one document per file;
- an impossible date (``2026-02-30``), ``NaN`` or ``Infinity`` in JSON;
- files larger, deeper or with longer lists and mappings than the :class:`Limits` in force.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from governance._limits import DEFAULT_LIMITS, Limits, current_limits, set_limits, using_limits
from governance.exceptions import GovernanceError, InputError, Problem

Model = TypeVar("Model", bound=BaseModel)

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "LineMap",
    "current_limits",
    "load_document",
    "load_model",
    "locate",
    "parse_json",
    "pydantic_problems",
    "read_limited",
    "set_limits",
    "using_limits",
]

LineMap = dict[tuple[str | int, ...], int]


def read_limited(path: Path, *, error: type[Exception] = InputError) -> bytes:
    """Read a whole file, refusing it before reading when it is larger than ``max_bytes``."""
    limit = current_limits().max_bytes
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except FileNotFoundError as exc:
        raise error(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise error(f"{path}: is a folder, not a file") from exc
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if len(data) > limit:
        raise error(
            f"{path}: larger than the limit of {limit:,} bytes; raise it with --max-file-size if the file is trusted"
        )
    return data


# -- YAML ----------------------------------------------------------------------------------------

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's C parser where it is installed (it is with the PyYAML wheels), else the pure-Python one."""

_TAG = "tag:yaml.org,2002:"
_STR = f"{_TAG}str"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("null", "bool", "int", "float", "str", "timestamp")}
_COLLECTION_TAGS = {f"{_TAG}map", f"{_TAG}seq"}
_resolver = yaml.resolver.Resolver()
_resolve: Any = _resolver.resolve
_constructor = yaml.constructor.SafeConstructor()


class _RefusedError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _scalar(event: yaml.ScalarEvent, line: int) -> Any:
    tag = event.tag
    if tag in (None, "!"):
        tag = _resolve(yaml.ScalarNode, event.value, event.implicit) if tag is None else _STR
    if tag == _STR:
        return event.value  # what the constructor returns for a string, without building a node
    if tag not in _SCALAR_TAGS:
        raise _RefusedError(line, f"the YAML tag {tag} is not accepted; write a plain value")
    node = yaml.ScalarNode(tag, event.value, style=event.style)
    try:
        value = _constructor.yaml_constructors[tag](_constructor, node)
    except (ValueError, TypeError, yaml.YAMLError) as exc:
        kind = tag.removeprefix(_TAG).replace("timestamp", "date")
        raise _RefusedError(line, f"{event.value!r} is not a valid {kind} ({exc})") from exc
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


class _Frame:
    __slots__ = ("container", "key", "key_lines", "path")

    def __init__(self, container: dict[str, Any] | list[Any], path: tuple[str | int, ...]) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None
        """The key whose value comes next, in a mapping."""
        self.key_lines: dict[str, int] = {}


def _yaml_document(text: str, limits: Limits) -> tuple[Any, LineMap]:
    """Build the document from the parser's events, one pass, no recursion, refusing what is hostile."""
    lines: LineMap = {}
    stack: list[_Frame] = []
    root: Any = None
    documents = 0

    def place(value: Any, line: int) -> tuple[str | int, ...]:
        """Attach ``value`` to the open collection (or make it the root); return its path."""
        nonlocal root
        if not stack:
            root = value
            lines[()] = line
            return ()
        frame = stack[-1]
        container = frame.container
        if isinstance(container, dict):
            key = frame.key
            assert key is not None
            frame.key = None
            container[key] = value
            return (*frame.path, key)
        if len(container) >= limits.max_items:
            raise _RefusedError(line, f"a list with more than {limits.max_items:,} items (see --max-items)")
        path = (*frame.path, len(container))
        container.append(value)
        lines[path] = line
        return path

    def wants_key() -> bool:
        return bool(stack) and isinstance(stack[-1].container, dict) and stack[-1].key is None

    for event in yaml.parse(text, Loader=_Parser):
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _RefusedError(line, "YAML anchors and aliases (&name, *name) are not accepted; write the value out")
        if isinstance(event, yaml.ScalarEvent):
            value = _scalar(event, line)
            if not wants_key():
                place(value, line)
                continue
            frame = stack[-1]
            key = event.value
            first = frame.key_lines.get(key)
            if first is not None:
                raise _RefusedError(line, f"duplicate key {key!r} (first given at line {first}); give each key once")
            if len(frame.key_lines) >= limits.max_items:
                raise _RefusedError(line, f"a mapping with more than {limits.max_items:,} keys (see --max-items)")
            frame.key_lines[key] = line
            frame.key = key
            lines[(*frame.path, key)] = line
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if event.tag not in (None, "!") and event.tag not in _COLLECTION_TAGS:
                raise _RefusedError(line, f"the YAML tag {event.tag} is not accepted; write a plain list or mapping")
            if wants_key():
                raise _RefusedError(line, "a mapping key must be a plain value, not a list or a mapping")
            if len(stack) >= limits.max_depth:
                raise _RefusedError(line, f"nested deeper than {limits.max_depth} levels (see --max-depth)")
            container: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
            path = place(container, line)
            stack.append(_Frame(container, path))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            stack.pop()
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _RefusedError(line, "more than one YAML document (---) in one file; give one")
    return root, lines


# -- JSON ----------------------------------------------------------------------------------------


class _DuplicateKeyError(Exception):
    """A JSON object repeats a key (raised inside the parser hook, reported with its lines)."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise _DuplicateKeyError
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; give a finite number or null")


def _json_document(text: str, limits: Limits, *, constants: bool = False) -> Any:
    if constants:
        document = json.loads(text, object_pairs_hook=_unique_pairs)
    else:
        document = json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_no_constant)
    # nesting and sizes, without recursion (json.loads itself stops at Python's recursion limit)
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth >= limits.max_depth:
                raise _RefusedError(0, f"nested deeper than {limits.max_depth} levels (see --max-depth)")
            if len(value) > limits.max_items:
                many = f"{limits.max_items:,}"
                raise _RefusedError(0, f"a list or mapping with more than {many} entries (see --max-items)")
            items = value.values() if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
    return document


def parse_json(text: str, where: str, *, error: type[Exception] = InputError, constants: bool = False) -> Any:
    """Parse JSON ``text`` read from ``where``: duplicate keys, over-deep or over-long values refused.

    Args:
        text: the JSON.
        where: the file (and member) it came from, for messages.
        error: the exception raised, naming ``where`` and the line.
        constants: accept ``NaN`` and ``Infinity`` (third-party logs written by Python's json module).
    """
    limits = current_limits()
    try:
        return _json_document(text, limits, constants=constants)
    except _DuplicateKeyError:
        line, message = _json_duplicate(text)
        raise error(f"{where}:{line}: {message}" if line else f"{where}: {message}") from None
    except _RefusedError as exc:
        raise error(f"{where}: {exc.message}") from None
    except json.JSONDecodeError as exc:
        raise error(f"{where}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    except RecursionError:
        raise error(f"{where}: nested deeper than {limits.max_depth} levels (see --max-depth)") from None
    except ValueError as exc:  # NaN/Infinity, or an integer with more digits than Python converts
        raise error(f"{where}: not valid JSON: {exc}") from exc


_scanstring: Any = getattr(json.decoder, "scanstring")  # noqa: B009 - not in the typeshed stubs
_SPACE = re.compile(r"[ \t\n\r]*")


def _json_duplicate(text: str) -> tuple[int, str]:
    """Find the first key given twice in one JSON object: the line of the second, and a message naming both.

    Only called once ``json.loads`` has found a duplicate, so ``text`` is well-formed JSON.
    """
    starts = [0, *(match.end() for match in re.finditer("\n", text))]
    objects: list[dict[str, int] | None] = []  # per open bracket: the keys seen, or None for a list
    index = 0
    while index < len(text):
        char = text[index]
        if char in "{[":
            objects.append({} if char == "{" else None)
        elif char in "]}":
            objects.pop()
        elif char == '"':
            value, end = _scanstring(text, index + 1)
            keys = objects[-1] if objects else None
            after = _SPACE.match(text, end)
            if keys is not None and after is not None and text.startswith(":", after.end()):
                line = bisect.bisect_right(starts, index)
                if value in keys:
                    return line, f"duplicate key {value!r} (first given at line {keys[value]}); give each key once"
                keys[value] = line
            index = end
            continue
        index += 1
    return 0, "a key is given twice in one object; give each key once"


def load_document(path: Path, *, error: type[Exception] = InputError) -> tuple[Any, LineMap]:
    """Parse a ``.yaml``/``.yml``/``.json`` file; raise ``error`` naming the file and line on failure."""
    limits = current_limits()
    data = read_limited(path, error=error)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    if path.suffix.lower() == ".json":
        return parse_json(text, str(path), error=error), {}
    try:
        return _yaml_document(text, limits)
    except _RefusedError as exc:
        raise error(f"{path}:{exc.line}: {exc.message}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}{_yaml_where(exc)}: not valid YAML: {_yaml_problem(exc)}") from exc


def _yaml_where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f":{mark.line + 1}" if mark is not None else ""


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    problem_mark = getattr(exc, "problem_mark", None)
    if context and context_mark is not None and (problem_mark is None or context_mark.line != problem_mark.line):
        return f"{problem} ({context} that starts at line {context_mark.line + 1})"
    return str(problem)


def locate(lines: LineMap, loc: tuple[str | int, ...]) -> int | None:
    """The line of the deepest known prefix of ``loc``."""
    for cut in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:cut]))
        if line is not None:
            return line
    return None


def pydantic_problems(errors: list[Any], source: str, lines: LineMap) -> list[Problem]:
    """Turn pydantic ``errors()`` into Problems located at ``source:line`` and the field path.

    Messages speak the schema's words: where a field takes a number or a mapping (``training_flop``,
    a capability) and neither fits, the number's problem is reported, not pydantic's "valid
    dictionary or instance of FlopInterval".
    """
    located = [
        (tuple(part for part in err["loc"] if not (isinstance(part, str) and _is_union_tag(part))), err)
        for err in errors
    ]
    per_field: dict[tuple[str | int, ...], int] = {}
    for loc, _ in located:
        per_field[loc] = per_field.get(loc, 0) + 1
    problems: list[Problem] = []
    for loc, err in located:
        kind = err.get("type")
        if kind in _SHAPE_ERRORS and per_field[loc] > 1:
            continue  # a union member's shape mismatch; the other member's problem says more
        field = ".".join(str(part) for part in loc) or "(document)"
        line = locate(lines, loc)
        where = f"{source}:{line}" if line else source
        message = str(err["msg"]).removeprefix("Value error, ")
        if kind == "extra_forbidden":
            message = "unknown key; remove it or check its spelling"
        elif kind == "missing":
            message = "required field is missing"
        elif kind in _SHAPE_ERRORS:
            message = "expected a mapping"
        problems.append(Problem(where, f"{field}: {message}"))
    return problems


_SHAPE_ERRORS = {"model_type", "model_attributes_type", "dict_type"}


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
