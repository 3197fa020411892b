"""Reading YAML and JSON files: hostile or ambiguous files are refused quickly, naming file and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from governance import InputError, PolicyError, load_candidate
from governance._yaml import Limits, load_document, using_limits
from governance.compare.population_io import load_population
from governance.evidence.suites import load_suite
from governance.loader import parse_policy
from tests.helpers import invoke_main

CANDIDATE = "model: {name: M, developer: L}\nrelease: {form: open_weights}\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestDuplicateKeys:
    """A key given twice is refused (the last value would silently win), naming both lines."""

    def test_yaml_candidate(self, tmp_path: Path) -> None:
        """The reviewer reads 1e27, the engine would read 1e20: refused."""
        path = _write(tmp_path, "c.yaml", CANDIDATE + "compute:\n  training_flop: 1.0e27\n  training_flop: 1.0e20\n")
        with pytest.raises(InputError, match=r"c\.yaml:5: duplicate key 'training_flop' \(first given at line 4\)"):
            load_candidate(path)

    def test_json_candidate(self, tmp_path: Path) -> None:
        """JSON too, with both lines."""
        text = '{"model": {"name": "M", "developer": "L"},\n "compute": {"training_flop": 1e27,\n\n'
        text += ' "training_flop": 1e20}}'
        path = _write(tmp_path, "c.json", text)
        with pytest.raises(InputError, match=r"c\.json:4: duplicate key 'training_flop' \(first given at line 2\)"):
            load_candidate(path)

    def test_same_key_in_different_mappings_is_fine(self, tmp_path: Path) -> None:
        """Only a repeat inside one mapping is a duplicate."""
        text = '{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}'
        document, _ = load_document(_write(tmp_path, "d.json", text))
        assert document == {"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}

    def test_policy(self, tmp_path: Path) -> None:
        """A rule whose tier is given twice cannot load as the weaker one."""
        text = "id: p\nrules:\n  - id: r\n    tier: restricted\n    tier: open\n"
        with pytest.raises(PolicyError, match=r"policy\.yaml:5: duplicate key 'tier' \(first given at line 4\)"):
            parse_policy(_write(tmp_path, "policy.yaml", text))

    def test_population_and_suite(self, tmp_path: Path) -> None:
        """Populations and evaluation suites are read by the same reader."""
        population = _write(tmp_path, "p.yaml", "- {name: a, training_flop: 1.0e25, training_flop: 1.0e20}\n")
        with pytest.raises(InputError, match="duplicate key 'training_flop'"):
            load_population(population)
        suite = _write(tmp_path, "s.yaml", "id: s\nid: t\n")
        with pytest.raises(InputError, match="duplicate key 'id'"):
            load_suite(suite)


class TestExpansion:
    """Aliases that could expand to gigabytes are refused before anything expands."""

    BOMB = (
        'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "model: [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    )

    def test_alias_bomb_candidate(self, tmp_path: Path) -> None:
        """A sub-kilobyte candidate that would expand to 387 million strings is refused at its first anchor."""
        with pytest.raises(InputError, match=r"c\.yaml:1: YAML anchors and aliases"):
            load_candidate(_write(tmp_path, "c.yaml", self.BOMB))

    def test_alias_bomb_population(self, tmp_path: Path) -> None:
        """Populations too."""
        with pytest.raises(InputError, match="anchors and aliases"):
            load_population(_write(tmp_path, "p.yaml", self.BOMB))

    def test_single_anchor(self, tmp_path: Path) -> None:
        """Even one harmless-looking alias is refused: a reviewer must see every value where it applies."""
        text = CANDIDATE + "compute: &c {training_flop: 1.0e25}\nother: *c\n"
        with pytest.raises(InputError, match=r"c\.yaml:3: YAML anchors"):
            load_candidate(_write(tmp_path, "c.yaml", text))


class TestValues:
    """Only plain values are read; what cannot be read exactly is refused with its line."""

    @pytest.mark.parametrize("tag", ["!!binary aGk=", "!!set {a, b}", "!!python/tuple [1]", "!custom x"])
    def test_tags(self, tmp_path: Path, tag: str) -> None:
        """Binary, sets, Python objects and custom tags are refused."""
        path = _write(tmp_path, "c.yaml", f"a: 1\nb: {tag}\n")
        with pytest.raises(InputError, match=r"c\.yaml:2: the YAML tag .* is not accepted"):
            load_document(path)

    def test_impossible_date(self, tmp_path: Path) -> None:
        """30 February is a clear error, not a traceback."""
        path = _write(tmp_path, "c.yaml", CANDIDATE + "compute: {training_flop: 1.0e25, training_end: 2026-02-30}\n")
        with pytest.raises(InputError, match=r"c\.yaml:3: '2026-02-30' is not a valid date"):
            load_candidate(path)

    def test_json_nan(self, tmp_path: Path) -> None:
        """NaN is not JSON."""
        with pytest.raises(InputError, match="NaN is not a JSON number"):
            load_document(_write(tmp_path, "d.json", '{"a": NaN}'))

    def test_keys_are_strings_as_written(self, tmp_path: Path) -> None:
        """Keys keep their text (``on`` is not True, ``1.0`` is not 1.0); dates stay dates."""
        document, lines = load_document(_write(tmp_path, "d.yaml", "on: 1\n1.0: x\nday: 2026-01-02\nlist: [a, b]\n"))
        assert document == {"on": 1, "1.0": "x", "day": dt.date(2026, 1, 2), "list": ["a", "b"]}
        assert lines[("day",)] == 3
        assert lines[("list", 1)] == 4

    def test_two_documents(self, tmp_path: Path) -> None:
        """A second document would be silently ignored by a reader that takes the first."""
        with pytest.raises(InputError, match="more than one YAML document"):
            load_document(_write(tmp_path, "d.yaml", "a: 1\n---\na: 2\n"))

    def test_syntax_error_names_the_opening_line(self, tmp_path: Path) -> None:
        """An unclosed bracket is reported where it is found, with the line where it opened."""
        path = _write(tmp_path, "d.yaml", "a: 1\nb: [1, 2\nc: 3\n")
        with pytest.raises(InputError, match=r"d\.yaml:3: not valid YAML: .*starts at line 2"):
            load_document(path)


class TestLimits:
    """Size, depth and collection lengths are bounded; the limits can be raised."""

    def test_deep_yaml(self, tmp_path: Path) -> None:
        """2,000 nested lists: a refusal, not a RecursionError."""
        path = _write(tmp_path, "d.yaml", "a: " + "[" * 2000 + "]" * 2000 + "\n")
        with pytest.raises(InputError, match="nest"):
            load_document(path)

    def test_deep_json(self, tmp_path: Path) -> None:
        """100,000 nested JSON lists: a refusal."""
        path = _write(tmp_path, "d.json", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
        with pytest.raises(InputError, match="nested deeper than 64 levels"):
            load_document(path)

    def test_depth_limit(self, tmp_path: Path) -> None:
        """The depth limit is the one in force."""
        path = _write(tmp_path, "d.yaml", "a: {b: {c: 1}}\n")
        assert load_document(path)[0] == {"a": {"b": {"c": 1}}}
        with using_limits(Limits(max_depth=2)), pytest.raises(InputError, match=r"d\.yaml:1: nested deeper than 2"):
            load_document(path)

    def test_items_limit(self, tmp_path: Path) -> None:
        """A list or mapping longer than the limit is refused, in YAML and JSON."""
        yaml_path = _write(tmp_path, "d.yaml", "a: [1, 2, 3]\n")
        json_path = _write(tmp_path, "d.json", '{"a": 1, "b": 2, "c": 3}')
        with using_limits(Limits(max_items=2)):
            with pytest.raises(InputError, match="more than 2 items"):
                load_document(yaml_path)
            with pytest.raises(InputError, match="more than 2 entries"):
                load_document(json_path)

    def test_size_limit(self, tmp_path: Path) -> None:
        """A file over the size limit is refused before it is parsed."""
        path = _write(tmp_path, "d.yaml", "a: " + "x" * 200 + "\n")
        with using_limits(Limits(max_bytes=100)), pytest.raises(InputError, match="larger than the limit of 100 bytes"):
            load_document(path)

    def test_cli_flags(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The CLI refuses an oversized candidate with exit 2, and --max-file-size raises the limit."""
        path = _write(tmp_path, "c.yaml", CANDIDATE + "compute: {training_flop: 1.0e20}\n" + "#" * 4000 + "\n")
        small = invoke_main("--max-file-size", "1K", "decide", path, "--policy", "eu-ai-act", capsys=capsys)
        assert small.returncode == 2
        assert "larger than the limit of 1,024 bytes" in small.stderr
        large = invoke_main("--max-file-size", "1M", "decide", path, "--policy", "eu-ai-act", capsys=capsys)
        assert large.returncode == 0, large.stderr
