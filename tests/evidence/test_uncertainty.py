"""Intervals at a policy's confidence: standard error, reported interval, Wilson, and their properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.evidence.uncertainty import raw_interval, wilson_interval, z_value

scores = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
counts = st.integers(min_value=1, max_value=100_000)
confidences = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.999])


class TestZ:
    """The two-sided normal quantile."""

    def test_95(self) -> None:
        """95% two-sided is 1.959963984540 (to 12 places)."""
        assert z_value(0.95) == 1.95996398454

    def test_99(self) -> None:
        """99% two-sided is 2.575829303549."""
        assert z_value(0.99) == pytest.approx(2.575829303549, abs=1e-12)

    @pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
    def test_out_of_range(self, bad: float) -> None:
        """A confidence outside (0, 1) is refused."""
        with pytest.raises(ValueError, match="between 0 and 1"):
            z_value(bad)


class TestWilson:
    """The Wilson score interval against values worked out by hand."""

    def test_half_of_100(self) -> None:
        """p = 0.5, n = 100 at 95%: centre 0.5, half-width z/(1+z²/n)·sqrt(0.0025 + z²/40000)."""
        z = 1.959963984540054
        half = z / (1 + z * z / 100) * math.sqrt(0.25 / 100 + z * z / 40000)
        lower, upper = wilson_interval(0.5, 100, 0.95)
        assert lower == pytest.approx(0.5 - half, abs=1e-12)
        assert upper == pytest.approx(0.5 + half, abs=1e-12)
        assert (round(lower, 4), round(upper, 4)) == (0.4038, 0.5962)

    def test_zero_successes(self) -> None:
        """0 of 10 still has an upper bound well above 0 (z²/(n+z²) = 0.2775 at 95%)."""
        lower, upper = wilson_interval(0.0, 10, 0.95)
        assert lower == 0.0
        assert upper == pytest.approx(0.2775, abs=1e-4)

    def test_one_sample(self) -> None:
        """One correct answer out of one proves little: the interval spans [0.2065, 1]."""
        lower, upper = wilson_interval(1.0, 1, 0.95)
        assert upper == 1.0
        assert lower == pytest.approx(0.2065, abs=1e-4)

    def test_needs_a_sample(self) -> None:
        """Zero samples is refused."""
        with pytest.raises(ValueError, match="at least one sample"):
            wilson_interval(0.5, 0, 0.95)

    @given(score=scores, n=counts, extra=st.integers(min_value=1, max_value=10_000), confidence=confidences)
    def test_more_samples_never_widen(self, score: float, n: int, extra: int, confidence: float) -> None:
        """For the same score, more samples give an interval no wider, and an upper bound no higher."""
        lower_a, upper_a = wilson_interval(score, n, confidence)
        lower_b, upper_b = wilson_interval(score, n + extra, confidence)
        assert upper_b - lower_b <= upper_a - lower_a + 1e-12
        if score >= 0.5:
            assert upper_b <= upper_a + 1e-12

    @given(a=scores, b=scores, n=counts, confidence=confidences)
    def test_higher_score_never_lowers_the_bound(self, a: float, b: float, n: int, confidence: float) -> None:
        """The upper end rises (weakly) with the score."""
        low, high = sorted((a, b))
        assert wilson_interval(high, n, confidence)[1] >= wilson_interval(low, n, confidence)[1]

    @given(score=scores, n=counts, confidence=confidences)
    def test_contains_the_score(self, score: float, n: int, confidence: float) -> None:
        """The interval holds the observed score and stays within [0, 1]."""
        lower, upper = wilson_interval(score, n, confidence)
        assert 0.0 <= lower <= score + 1e-12
        assert score - 1e-12 <= upper <= 1.0

    @given(score=scores, n=counts)
    def test_higher_confidence_is_wider(self, score: float, n: int) -> None:
        """A policy that asks for more confidence reads a higher (or equal) bound."""
        assert wilson_interval(score, n, 0.99)[1] >= wilson_interval(score, n, 0.9)[1]


class TestRawInterval:
    """Which uncertainty a result's interval comes from."""

    def test_stderr(self) -> None:
        """A reported standard error gives score ± z·stderr (the Wilson interval is narrower here)."""
        raw = raw_interval(0.6, stderr=0.05, interval=None, samples=None, proportion=True, confidence=0.95)
        assert raw.method == "stderr"
        assert raw.upper == pytest.approx(0.6 + 1.95996398454 * 0.05, abs=1e-12)

    def test_zero_stderr_is_widened_by_wilson(self) -> None:
        """stderr 0.0 from one sample is widened to the Wilson interval."""
        raw = raw_interval(0.0, stderr=0.0, interval=None, samples=10, proportion=True, confidence=0.95)
        assert raw.method == "stderr+wilson"
        assert raw.upper == pytest.approx(0.2775, abs=1e-4)

    def test_interval_used_as_given(self) -> None:
        """A reported interval is used when there is no standard error."""
        raw = raw_interval(40.0, stderr=None, interval=(20.0, 90.0), samples=None, proportion=False, confidence=0.95)
        assert (raw.lower, raw.upper, raw.method) == (20.0, 90.0, "interval")

    def test_wilson_from_samples(self) -> None:
        """Only a sample count: the Wilson interval."""
        raw = raw_interval(0.5, stderr=None, interval=None, samples=100, proportion=True, confidence=0.95)
        assert raw.method == "wilson"
        assert (round(raw.lower, 4), round(raw.upper, 4)) == (0.4038, 0.5962)

    def test_nothing(self) -> None:
        """No uncertainty at all: the point estimate, flagged by its method."""
        raw = raw_interval(12.0, stderr=None, interval=None, samples=None, proportion=False, confidence=0.95)
        assert (raw.lower, raw.upper, raw.method) == (12.0, 12.0, "none")

    def test_clipped(self) -> None:
        """A normal interval past the measure's range is clipped to it."""
        raw = raw_interval(
            0.98, stderr=0.05, interval=None, samples=None, proportion=True, confidence=0.95, bounds=(0.0, 1.0)
        )
        assert raw.upper == 1.0

    @given(a=scores, b=scores, stderr=st.floats(min_value=0, max_value=0.5), n=st.none() | counts)
    def test_higher_score_never_lowers_the_bound(self, a: float, b: float, stderr: float, n: int | None) -> None:
        """Whatever the method, a higher score with the same uncertainty never lowers the upper end."""
        low, high = sorted((a, b))

        def upper(score: float) -> float:
            return raw_interval(
                score, stderr=stderr, interval=None, samples=n, proportion=True, confidence=0.95, bounds=(0.0, 1.0)
            ).upper

        assert upper(high) >= upper(low)
