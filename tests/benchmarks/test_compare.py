"""benchmarks/compare.py runs end to end on a small population and its evaluator agrees with numpy."""

from __future__ import annotations

import numpy as np

from benchmarks.compare import AS_OF, SETTINGS, numpy_tiers, run, variants
from governance import compile_policy
from governance.compare.synthetic import random_population
from governance.vectorised import VectorisedPolicy


class TestCompareBenchmark:
    """The benchmark module reports every figure and no mismatch."""

    def test_small_run(self) -> None:
        """3,000 rows: every figure is present, the hand-written numpy agrees on every row."""
        figures = {f["name"]: f for f in run(True, rows=3_000)}
        for name in (
            "compare.end_to_end",
            "compare.end_to_end.load",
            "compare.evaluation",
            "compare.evaluation.numpy",
            "compare.evaluation.mismatches",
            "compare.end_to_end.shipped",
            "compare.sweep",
        ):
            assert name in figures, name
            assert {"name", "value", "unit"} <= set(figures[name])
        assert figures["compare.evaluation.mismatches"]["value"] == 0
        assert figures["compare.rows"]["value"] == 3_000

    def test_numpy_baseline_is_the_same_policy(self) -> None:
        """The hand-written expression gives the evaluator's tiers for each of the eight settings."""
        population = random_population(4_000, seed=5)
        for policy, setting in zip(variants(), SETTINGS, strict=True):
            arrays = population.feature_arrays(policy, AS_OF)
            engine = VectorisedPolicy(compile_policy(policy)).evaluate(arrays).tiers
            assert np.array_equal(engine, numpy_tiers(arrays, setting))
