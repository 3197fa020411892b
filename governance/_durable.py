"""The only module that touches durable_rules.

durable_rules (Rete, in C) has sharp edges that decide how it is wrapped (see
``docs/architecture.md``). This module talks to its C extension directly, without the stock
``Host``: the Host's background timer threads can steal the action a synchronous call just queued.

* Numbers reach the engine only as JSON it parses exactly: every float is written with a ``.`` before
  any exponent (its parser rejects ``1e+25`` but reads ``1.0e+25`` with ``atof``, exactly), integers
  never (they would go through ``atoll``, which saturates). Unknown values are the largest finite double
  (and the lowest, where the fired-only pass tests a lower bound).
* A ruleset is created once per policy digest and never replaced; its name is the digest prefix.
* A candidate is asserted as a *fact*, so every matching rule fires (an *event* would be consumed by
  the first). Each fired action is checked to belong to this request (``rid``), then the fact is
  retracted so the session holds no state between decisions.
* Calls are serialised per ruleset with a lock (the C extension never releases the GIL anyway).
* The extension's errors become :class:`~governance.exceptions.EngineError`.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

import durable_rules_engine as _engine

from governance.compiled import Evaluation, Node, Test
from governance.exceptions import EngineError

if TYPE_CHECKING:
    from governance.compiled import CompiledPolicy

__all__ = ["ENGINE_ERRORS", "DurableRuleset", "encode_number"]

ENGINE_ERRORS: tuple[type[BaseException], ...] = (_engine.error,)
"""Every exception type the extension raises; all are translated to EngineError."""

_INF = math.inf
_NOT_FINITE = frozenset({"nan", "-inf", "inf"})
_UNKNOWN = "1.7976931348623157e+308"
_UNKNOWN_LOW = "-1.7976931348623157e+308"
_OPS = {">=": "$gte", ">": "$gt", "<=": "$lte", "<": "$lt"}
_NOT_HANDLED = 1
_ONE_ACTION = '":{"m":{"rid":'
_registry_lock = threading.Lock()
_registry: dict[str, DurableRuleset] = {}
_request_ids = itertools.count(1)


def encode_number(value: float) -> str:
    """Write a float so that durable_rules' JSON parser reads back exactly the same double."""
    if value == _INF:
        return _UNKNOWN
    text = repr(value if type(value) is float else float(value))
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        return text if "." in mantissa else f"{mantissa}.0e{exponent}"
    if text in _NOT_FINITE:  # no exponent: ``nan`` and ``-inf`` are the only other forms without a digit
        raise EngineError(f"{value!r} cannot be passed to the rule engine")
    return text


def _expression(item: Test | Node, slots: Mapping[str, int], definite: bool) -> str:
    if isinstance(item, Test):
        slot = ("g" if definite and item.lower_bound else "f") + str(slots[item.feature])
        return f'{{"{_OPS[item.op]}":{{"{slot}":{encode_number(item.threshold)}}}}}'
    joiner = "$and" if item.kind == "all" else "$or"
    parts = ",".join(_expression(sub, slots, definite) for sub in item.items)
    return f'{{"{joiner}":[{parts}]}}'


def _actions(message: str) -> list[tuple[str, object]]:
    """The actions of one message, each as ``(rule name, request id of its fact)``.

    A message with one action reads ``{"<rule>":{"m":{"rid":<id>,...}}}`` (the fact's keys are the
    ones :meth:`DurableRuleset._fact` writes, ``rid`` first); that shape is read by slicing, anything
    else through the JSON parser.
    """
    head, marker, rest = message.partition(_ONE_ACTION)
    if marker and head.startswith('{"') and '"' not in head[2:] and '"m":' not in rest:
        end = rest.find(",")  # the fact's next key follows its request id (or the fact ends there)
        owner = rest[:end] if end > 0 else rest[: rest.find("}")]
        if owner.isdigit():
            return [(head[2:], int(owner))]
    return [(action, frame.get("m", {}).get("rid")) for action, frame in json.loads(message).items()]


class DurableRuleset:
    """One compiled policy as a durable_rules ruleset. Get instances with :meth:`for_policy`.

    Each rule appears twice: ``p<i>`` reads every unknown value as the largest double (so it fires
    when the rule is fired or not ruled out), ``d<i>`` reads an unknown value as the lowest double in
    lower-bound tests (so it fires only when the rule holds on what is known). One assertion answers
    both: Kleene's three values from two two-valued passes, since conditions never negate. The lowest
    values live in ``g`` slots that the fact carries only when some value a lower-bound test reads is
    unknown; otherwise ``d<i>`` would repeat ``p<i>`` exactly, and the ``p`` rules alone answer.
    """

    def __init__(self, compiled: CompiledPolicy) -> None:
        policy = compiled.policy
        self.name = "governance_" + policy.digest.removeprefix("sha256:")[:32]
        self.features = compiled.features
        slots = {name: index for index, name in enumerate(self.features)}
        lower: dict[str, None] = {}
        for condition in compiled.conditions:
            for test in condition.tests() if isinstance(condition, Node) else (condition,):
                if test.lower_bound:
                    lower.setdefault(test.feature, None)
        self._lower = tuple((slots[name], name) for name in lower)
        self._lower_names = tuple(lower)
        # The fact as a format string: the request id, then every value; the ``g`` slots follow when needed.
        self._fact = '{"rid":%d' + "".join(f',"f{i}":%s' for i in range(len(self.features))) + "}"
        self._fact_low = self._fact[:-1] + "".join(f',"g{slot}":%s' for slot, _ in self._lower) + "}"
        rules = ",".join(
            f'"{prefix}{index}":{{"all":[{{"m":{_expression(condition, slots, prefix == "d")}}}]}}'
            for index, condition in enumerate(compiled.conditions)
            for prefix in ("p", "d")
        )
        self.definition = "{" + rules + "}"
        self._lock = threading.Lock()
        try:
            self._handle = _engine.create_ruleset(self.name, self.definition)
        except ENGINE_ERRORS as exc:
            raise EngineError(f"durable_rules refused the ruleset for {policy.ref}: {exc}") from exc

    @classmethod
    def for_policy(cls, compiled: CompiledPolicy) -> DurableRuleset:
        """Return the ruleset for ``compiled``, creating and registering it on first use."""
        name = compiled.policy.digest
        ruleset = _registry.get(name)
        if ruleset is None:
            with _registry_lock:
                ruleset = _registry.get(name)
                if ruleset is None:
                    ruleset = cls(compiled)
                    _registry[name] = ruleset
        return ruleset

    def evaluate(self, values: Mapping[str, float]) -> Evaluation:
        """Assert the feature values as one fact; return the fired and the not-ruled-out rules."""
        rid = next(_request_ids)
        body = [encode_number(values[name]) for name in self.features]
        if _INF not in [values[name] for name in self._lower_names]:
            # Every value a lower-bound test reads is known, so each ``d<i>`` would test exactly what
            # ``p<i>`` tests: the fact carries no ``g`` slots, the ``d`` rules that read one cannot match,
            # and what fires is fired (nothing is only not ruled out). One pass instead of two.
            possible, _ = self._fire(rid, self._fact % (rid, *body))
            return Evaluation(tuple(sorted(possible)), ())
        for _, name in self._lower:
            value = values[name]
            body.append(_UNKNOWN_LOW if value == _INF else encode_number(value))
        possible, definite = self._fire(rid, self._fact_low % (rid, *body))
        return Evaluation(tuple(sorted(definite)), tuple(sorted(possible - definite)))

    def _fire(self, rid: int, fact: str) -> tuple[set[int], set[int]]:
        possible: set[int] = set()
        definite: set[int] = set()
        with self._lock:
            try:
                code, state = _engine.assert_fact(self._handle, fact)
                if code == _NOT_HANDLED:
                    return possible, definite
                try:
                    result = _engine.start_action_for_state(self._handle, state)
                    while result:
                        for action, owner in _actions(result[1]):
                            if owner != rid:
                                raise EngineError(
                                    f"durable_rules returned an action for request {owner} while deciding request {rid}"
                                )
                            # A rule whose condition holds through several branches of an ``$or`` fires
                            # once per branch: the sets keep each rule once.
                            (definite if action[0] == "d" else possible).add(int(action[1:]))
                        following = _engine.complete_and_start_action(self._handle, state)
                        result = (None, following) if following else None
                finally:
                    _engine.retract_fact(self._handle, fact)
            except ENGINE_ERRORS as exc:
                raise EngineError(f"durable_rules failed on ruleset {self.name}: {exc}") from exc
        return possible, definite
