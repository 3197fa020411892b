"""Policies provided by Python packages through the governance.policies entry points."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from governance import PolicyError, PolicyValidationError, Tier, decide, load_policy, loader
from tests.helpers import COMPUTE_RULES, invoke_main, make_candidate, make_policy


@dataclass
class FakeEntryPoint:
    """Stands in for an installed package's entry point."""

    name: str
    provider: Any

    def load(self) -> Any:
        return self.provider


@pytest.fixture(name="plugins")
def _plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[FakeEntryPoint]]:
    """Entry points the loader will see; the catalogue cache is cleared around the test."""
    found: list[FakeEntryPoint] = []
    monkeypatch.setattr(loader, "entry_points", lambda group: found if group == loader.ENTRY_POINT_GROUP else [])
    loader._catalogue.cache_clear()
    loader._bundles_of.cache_clear()
    loader._plugin_catalogue.cache_clear()
    yield found
    loader._catalogue.cache_clear()
    loader._bundles_of.cache_clear()
    loader._plugin_catalogue.cache_clear()
    loader.use_plugins(False)


class TestPluginPolicies:
    """Plugin policies load and decide through the same interface as bundles."""

    def test_plugin_policy_decides(self, plugins: list[FakeEntryPoint]) -> None:
        """A callable returning a Policy is found by id and decides like any other policy."""
        plugins.append(FakeEntryPoint("lab", lambda: make_policy(COMPUTE_RULES, id="lab-internal", version="2026.1")))
        policy = load_policy("lab-internal")
        assert policy.ref == "lab-internal@2026.1"
        decision = decide(make_candidate(2e25, capabilities={"bio": 0.1}), policy, as_of=dt.date(2026, 1, 1))
        assert decision.tier is Tier.STAGED

    def test_plugin_policy_is_checked(self, plugins: list[FakeEntryPoint]) -> None:
        """A plugin policy that fails the static checks is refused."""
        bad = [{"id": "r", "tier": "staged", "when": {"all": [{"feature": "training_flop", "op": "<", "value": 1.0}]}}]
        plugins.append(FakeEntryPoint("bad", lambda: [make_policy(bad, id="bad-plugin")]))
        with pytest.raises(PolicyValidationError, match="bad"):
            load_policy("bad-plugin")

    def test_broken_plugin_named(self, plugins: list[FakeEntryPoint]) -> None:
        """A plugin that fails to load is named in the error."""

        def explode() -> None:
            raise RuntimeError("no network")

        plugins.append(FakeEntryPoint("exploding", explode))
        with pytest.raises(PolicyError, match="'exploding' failed to load"):
            load_policy("anything")

    def test_wrong_type_refused(self, plugins: list[FakeEntryPoint]) -> None:
        """A plugin must return Policy objects."""
        plugins.append(FakeEntryPoint("strings", lambda: ["not a policy"]))
        with pytest.raises(PolicyError, match="expected Policy"):
            load_policy("anything")


class TestContainment:
    """A plugin is code you trust: it runs only when asked for, and its failure stays its own."""

    def test_not_run_for_shipped_policies(
        self, plugins: list[FakeEntryPoint], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`policy list`, `decide --policy <shipped>` and `all` run no plugin code unless --plugins is given."""
        ran: list[str] = []

        def spy() -> Any:
            ran.append("ran")
            return make_policy(COMPUTE_RULES, id="lab-internal")

        plugins.append(FakeEntryPoint("spy", spy))
        assert invoke_main("policy", "list", capsys=capsys).returncode == 0
        assert load_policy("eu-ai-act").id == "eu-ai-act"
        assert "lab-internal" not in {entry.id for entry in loader.discover_policies()}
        assert ran == []
        listed = invoke_main("--plugins", "policy", "list", capsys=capsys)
        assert listed.returncode == 0, listed.stderr
        assert "lab-internal" in listed.stdout
        assert ran == ["ran"]

    def test_system_exit_is_contained(self, plugins: list[FakeEntryPoint], capsys: pytest.CaptureFixture[str]) -> None:
        """A plugin raising SystemExit(0) cannot end the process with success: it is a policy error (exit 3)."""

        def leave() -> None:
            raise SystemExit(0)

        plugins.append(FakeEntryPoint("leaver", leave))
        candidate = Path(__file__).resolve().parent.parent / "examples" / "candidates" / "small-open-model.yaml"
        result = invoke_main("decide", candidate, "--policy", "leaver-policy", capsys=capsys)
        assert result.returncode == 3
        assert "'leaver' failed to load: it raised SystemExit" in result.stderr

    def test_failing_plugin_hides_no_shipped_policy(
        self, plugins: list[FakeEntryPoint], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With --plugins, one broken plugin is reported and every shipped policy is still listed and usable."""

        def explode() -> None:
            raise RuntimeError("no network")

        plugins.append(FakeEntryPoint("exploding", explode))
        plugins.append(FakeEntryPoint("lab", lambda: make_policy(COMPUTE_RULES, id="lab-internal")))
        result = invoke_main("--plugins", "policy", "list", capsys=capsys)
        assert result.returncode == 0, result.stderr
        assert "eu-ai-act" in result.stdout and "lab-internal" in result.stdout
        assert "'exploding' failed to load: no network" in result.stderr
        assert load_policy("lab-internal").id == "lab-internal"
