"""Policy comparison: populations of models, several policies side by side, sweeps, ageing, regions.

What a policymaker uses: load a :class:`Population` (:func:`load_population`), decide it under several
policies with the column evaluator (:func:`compare_population`), vary one threshold
(:func:`sweep_population`), age a compute line (:func:`compute_ageing`), find the exact regions where
two policies disagree (:func:`region_diff`) or what changed between two versions
(:func:`diff_policies`), and write an HTML report (:mod:`governance.compare.report`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from governance.compare.ageing import Ageing, compute_ageing
    from governance.compare.comparison import Comparison, compare_population
    from governance.compare.policy_diff import PolicyDiff, diff_policies
    from governance.compare.population import Population
    from governance.compare.population_io import load_population
    from governance.compare.region_diff import RegionDiff, region_diff
    from governance.compare.sweep import Sweep, sweep_population

_LAZY = {
    "Ageing": "ageing",
    "compute_ageing": "ageing",
    "Comparison": "comparison",
    "compare_population": "comparison",
    "PolicyDiff": "policy_diff",
    "diff_policies": "policy_diff",
    "Population": "population",
    "load_population": "population_io",
    "RegionDiff": "region_diff",
    "region_diff": "region_diff",
    "Sweep": "sweep",
    "sweep_population": "sweep",
}
"""Where each public name lives: a submodule (and numpy) loads when one of its names is first used, so
importing one submodule does not import them all."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'governance.compare' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"governance.compare.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Ageing",
    "Comparison",
    "PolicyDiff",
    "Population",
    "RegionDiff",
    "Sweep",
    "compare_population",
    "compute_ageing",
    "diff_policies",
    "load_population",
    "region_diff",
    "sweep_population",
]
