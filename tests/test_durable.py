"""The durable_rules runtime: exact numbers, translated errors, request stamping, threads."""

from __future__ import annotations

import inspect
import json
import math
import random
import threading
from typing import Any

import durable_rules_engine
import pytest

from governance import EngineError, _durable, compile_policy
from governance._durable import ENGINE_ERRORS, DurableRuleset, encode_number
from governance.compiled import CompiledPolicy
from tests.helpers import COMPUTE_RULES, make_policy

POLICY = make_policy(COMPUTE_RULES, id="durable-tests")


class TestEncoding:
    """Every float reaches the C parser in a form it reads back exactly."""

    @pytest.mark.parametrize(
        ("value", "text"),
        [(1e25, "1.0e+25"), (1e-05, "1.0e-05"), (3.8e25, "3.8e+25"), (0.5, "0.5"), (1.0, "1.0"), (0.0, "0.0")],
    )
    def test_exponent_gets_a_point(self, value: float, text: str) -> None:
        """Exponent forms get a '.', which durable_rules' number parser requires."""
        assert encode_number(value) == text
        assert float(text) == value

    def test_unknown_is_largest_double(self) -> None:
        """Unknown (+inf) becomes the largest finite double: above every finite threshold."""
        assert float(encode_number(math.inf)) == 1.7976931348623157e308

    @pytest.mark.parametrize("value", [math.nan, -math.inf])
    def test_unencodable_refused(self, value: float) -> None:
        """NaN and -inf never reach the engine."""
        with pytest.raises(EngineError):
            encode_number(value)

    def test_ruleset_definition_has_no_bare_exponent(self) -> None:
        """The compiled ruleset writes 1e25 as 1.0e+25 and parses as JSON."""
        ruleset = compile_policy(POLICY).durable
        assert "1.0e+25" in ruleset.definition and "1e+25" not in ruleset.definition.replace("1.0e+25", "")
        json.loads(ruleset.definition)


class TestErrors:
    """The extension's exceptions never escape; results are checked against the request."""

    def test_every_foreign_exception_is_mapped(self) -> None:
        """Each exception class the extension exports is translated."""
        foreign = [
            obj
            for obj in vars(durable_rules_engine).values()
            if inspect.isclass(obj) and issubclass(obj, BaseException)
        ]
        assert foreign
        assert all(issubclass(cls, ENGINE_ERRORS) for cls in foreign)

    def test_only_the_runtime_uses_the_stock_host(self) -> None:
        """The runtime drives the C extension directly, never durable's Host with its timer threads."""
        source = inspect.getsource(_durable)
        assert "durable.lang" not in source and "durable.engine" not in source

    def test_engine_failure_becomes_engine_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A failure inside durable_rules surfaces as EngineError with the cause chained."""
        ruleset = compile_policy(POLICY).durable

        def broken(handle: int, fact: str) -> Any:
            raise durable_rules_engine.error("Could not assert fact, error code: 204")

        monkeypatch.setattr(_durable._engine, "assert_fact", broken)
        with pytest.raises(EngineError, match="204") as caught:
            ruleset.evaluate({"training_flop": 1e25, "capability.bio": 0.0})
        assert isinstance(caught.value.__cause__, durable_rules_engine.error)

    def test_foreign_action_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An action that belongs to another request is an error, never a silent wrong answer."""
        ruleset = compile_policy(POLICY).durable
        monkeypatch.setattr(
            _durable._engine, "start_action_for_state", lambda handle, state: ("{}", '{"p0": {"m": {"rid": -1}}}')
        )
        with pytest.raises(EngineError, match="another request|request -1"):
            ruleset.evaluate({"training_flop": 1e25, "capability.bio": 0.0})

    def test_refused_ruleset(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A ruleset durable_rules refuses is reported with the policy it came from."""

        def refuse(name: str, definition: str) -> int:
            raise durable_rules_engine.error("Could not create ruleset, error code: 204")

        monkeypatch.setattr(_durable._engine, "create_ruleset", refuse)
        with pytest.raises(EngineError, match="durable-tests@1.0"):
            DurableRuleset(CompiledPolicy(POLICY))


class TestState:
    """Each decision leaves no state behind."""

    def test_no_facts_left(self) -> None:
        """After many decisions the session holds no facts."""
        ruleset = compile_policy(POLICY).durable
        for flop in (1e20, 1e25, 2e26):
            ruleset.evaluate({"training_flop": flop, "capability.bio": 0.9})
        assert json.loads(durable_rules_engine.get_facts(ruleset._handle, "0")) == []

    def test_more_decisions_than_sessions(self) -> None:
        """Far more decisions than durable_rules' 1024 live sessions run fine."""
        ruleset = compile_policy(POLICY).durable
        for index in range(3000):
            ruleset.evaluate({"training_flop": float(index) * 1e22, "capability.bio": 0.5})


class TestThreads:
    """Decisions from several threads at once agree with the plain-Python evaluator."""

    def test_concurrent_decisions(self) -> None:
        """Eight threads deciding at once get exactly their own answers."""
        compiled = compile_policy(POLICY)
        errors: list[str] = []

        def work(seed: int) -> None:
            rng = random.Random(seed)
            for _ in range(300):
                values = {"training_flop": 10 ** rng.uniform(24, 27), "capability.bio": rng.random()}
                if compiled.evaluate_durable(values) != compiled.evaluate_scalar(values):
                    errors.append(repr(values))

        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
