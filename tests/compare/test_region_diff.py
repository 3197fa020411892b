"""Region diffs: exact boxes, checked against dense sampling and against decide() on each witness."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pytest

from governance import Policy, decide, discover_policies, load_policy
from governance.candidate import ReleaseForm
from governance.compare.comparison import evaluate_outcome
from governance.compare.population import Population
from governance.compare.region_diff import RegionDiff, region_diff
from governance.regions import Interval
from tests.compare.support import AS_OF, fixture_policy

PAIRS = [
    ("illustrative-capability@1.0", "eu-ai-act"),
    ("eu-ai-act", "ca-sb-53"),
    ("ca-sb-53", "ny-raise"),
    ("illustrative-capability@1.0", "illustrative-capability@2.0"),
    ("anthropic-rsp", "openai-preparedness"),
    ("fixture:raw-line", "fixture:raw-line-inclusive"),
    ("fixture:ageing-line", "fixture:raw-line"),
    ("fixture:frontier-total", "eu-ai-act"),
    ("fixture:ageing-line", "illustrative-capability@1.0"),
]


def _policy(ref: str) -> Policy:
    return fixture_policy(ref.partition(":")[2]) if ref.startswith("fixture:") else load_policy(ref)


def _edges(diff: RegionDiff, feature: str) -> list[float]:
    """Every finite interval end on ``feature``, with the doubles on either side."""
    ends: set[float] = set()
    for region in diff.regions:
        interval = region.box.get(feature)
        if interval is None:
            continue
        for end in (interval.low, interval.high):
            if math.isfinite(end):
                ends.update({end, math.nextafter(end, math.inf), math.nextafter(end, -math.inf)})
    return sorted(ends)


def _samples(diff: RegionDiff, n: int, seed: int) -> Population:
    """Dense samples: random values, every region edge and its neighbours, and unknowns, on every axis."""
    rng = np.random.default_rng(seed)

    def column(feature: str, low: float, high: float, log: bool) -> np.ndarray:
        edges = [e for e in _edges(diff, feature) if e > 0 or not log]
        random = 10 ** rng.uniform(math.log10(low), math.log10(high), n) if log else rng.uniform(low, high, n)
        picked = rng.choice(np.array(edges), n) if edges else random
        values = np.where(rng.random(n) < 0.5, picked, random)
        values[rng.random(n) < 0.08] = np.nan
        return values

    flop = column("training_flop", 1e20, 1e28, True)
    total = column("training_flop_total", 1e20, 1e28, True)
    fine_tuning = np.where(np.isfinite(flop) & np.isfinite(total) & (total >= flop), total - flop, np.nan)
    domains = {d for policy in (diff.left, diff.right) for d in (*policy.domains, "bio", "chem", "nuclear")}
    domains |= {"cyber", "autonomy", "ai_rnd", "persuasion"}
    capabilities = {d: np.clip(column(f"capability.{d}", 0.0, 1.0, False), 0.0, 1.0) for d in sorted(domains)}
    forms = list(ReleaseForm)
    components = [None, "weights", "weights;model_card", "architecture;weights;model_card;training_code", "model_card"]
    return Population.from_columns(
        [f"sample {i}" for i in range(n)],
        training_flop=flop,
        fine_tuning_flop=fine_tuning,
        capabilities=capabilities,
        revenue_usd=column("developer.revenue_usd", 1e6, 1e11, True),
        parameters=column("model.parameters", 1e8, 1e12, True),
        openness=[forms[int(k)] for k in rng.integers(0, len(forms), n)],
        license=[[None, "Apache-2.0", "proprietary"][int(k)] for k in rng.integers(0, 3, n)],
        components=[components[int(k)] for k in rng.integers(0, len(components), n)],
        modalities=[[None, "text", "code"][int(k)] for k in rng.integers(0, 3, n)],
        release=np.full(n, np.datetime64(diff.as_of, "D")),
    )


class TestAgainstSampling:
    """A sample lies in a region exactly when the two policies decide different tiers there."""

    @pytest.mark.parametrize(("left", "right"), PAIRS, ids=lambda r: r)
    def test_dense_sampling(self, left: str, right: str) -> None:
        """Thousands of samples, half of them on region edges or one double away, agree with the evaluators."""
        a, b = _policy(left), _policy(right)
        diff = region_diff(a, b, as_of=AS_OF)
        population = _samples(diff, 2500, seed=len(left) * 31 + len(right))
        left_tiers = evaluate_outcome(population, a, AS_OF).tiers
        right_tiers = evaluate_outcome(population, b, AS_OF).tiers
        arrays = population.feature_arrays(a, AS_OF, sorted(diff.axes))
        hits = 0
        for index in range(len(population)):
            point = {feature: float(arrays[feature][index]) for feature in diff.axes}
            region = diff.region_at(point)
            differ = left_tiers[index] != right_tiers[index]
            assert (region is not None) == differ, population.candidate(index)
            if region is not None:
                hits += 1
                assert (region.left.rank, region.right.rank) == (left_tiers[index], right_tiers[index])
        if diff.regions:
            assert hits > 0, "the samples never reached a region"

    @pytest.mark.parametrize(("left", "right"), PAIRS[:5], ids=lambda r: r)
    def test_regions_are_disjoint(self, left: str, right: str) -> None:
        """No two regions share a point, so every point has one pair of tiers."""
        diff = region_diff(_policy(left), _policy(right), as_of=AS_OF)
        for first, second in itertools.combinations(diff.regions, 2):
            features = set(first.box) | set(second.box)
            overlap = all(
                not first.box.get(f, Interval(-math.inf, True, math.inf, True))
                .intersect(second.box.get(f, Interval(-math.inf, True, math.inf, True)))
                .empty
                for f in features
            )
            if overlap:
                # boxes may touch only on values no feature can take (e.g. a capability above 1 but finite)
                assert any(
                    diff.axes[f].clip(first.box[f].intersect(second.box[f])) is None
                    for f in features
                    if f in first.box and f in second.box
                )


class TestWitnesses:
    """Every region's witness is a real candidate that decide() puts in the region's tiers."""

    def test_every_shipped_pair(self) -> None:
        """All shipped current versions, pairwise: every region has a witness and it reproduces."""
        policies = list({e.id: e.policy for e in discover_policies()}.values())
        checked = 0
        for a, b in itertools.combinations(policies, 2):
            diff = region_diff(a, b, as_of=AS_OF)
            for region in diff.regions:
                assert region.witness is not None, (a.ref, b.ref, region.box)
                assert decide(region.witness, a, as_of=AS_OF).tier == region.left
                assert decide(region.witness, b, as_of=AS_OF).tier == region.right
                checked += 1
        assert checked > 50


class TestExactness:
    """Open and closed ends are kept apart; effective compute converts exactly."""

    def test_strict_and_inclusive_differ_at_one_point(self) -> None:
        """'> 1e25' against '>= 1e25': one region, the single point 1e25."""
        diff = region_diff(fixture_policy("raw-line"), fixture_policy("raw-line-inclusive"), as_of=AS_OF)
        assert len(diff.regions) == 1
        region = diff.regions[0]
        assert dict(region.box) == {"training_flop": Interval(1e25, True, 1e25, True)}
        assert region.witness is not None
        assert region.witness.compute.training_flop == 1e25

    def test_identical_policies(self) -> None:
        """A policy against itself has no region."""
        policy = load_policy("eu-ai-act")
        assert region_diff(policy, policy, as_of=AS_OF).identical

    def test_effective_threshold_is_exact(self) -> None:
        """The converted line is the smallest double whose efficiency-adjusted value meets the threshold."""
        aged = fixture_policy("ageing-line")
        diff = region_diff(aged, fixture_policy("raw-line"), as_of=AS_OF)
        lows = [r.box["training_flop"].low for r in diff.regions if "training_flop" in r.box]
        factor = 2.0 ** (((AS_OF - dt.date(2024, 1, 1)).days / (365.2425 / 12)) / 6)
        line = next(x for x in lows if math.isclose(x, 3e24 / factor, rel_tol=1e-9))
        assert line * factor >= 3e24
        assert math.nextafter(line, 0) * factor < 3e24

    def test_document(self) -> None:
        """The JSON form lists tiers, readable conditions, boxes with unknown flagged, and witnesses."""
        diff = region_diff(load_policy("illustrative-capability@1.0"), load_policy("eu-ai-act"), as_of=AS_OF)
        document = diff.document()
        assert document["regions"]
        first = document["regions"][0]
        assert {"left_tier", "right_tier", "conditions", "box", "witness"} <= set(first)
        assert any(box["includes_unknown"] for region in document["regions"] for box in region["box"].values())
