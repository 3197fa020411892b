"""Shared builders for the comparison tests: fixture policies and populations with every kind of column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from governance import Policy, load_policy
from governance.candidate import ReleaseForm
from governance.compare.population import Population

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURE_POLICIES = HERE / "policies"
MESSY = HERE / "data" / "messy.csv"
NOTABLE = ROOT / "examples" / "populations" / "notable-models.csv"
BOUNDARY = HERE / "data" / "boundary.csv"
"""Synthetic models at 1e25 and one double either side: where '>' and '>=' differ."""
AS_OF = dt.date(2026, 11, 28)


def fixture_policy(name: str) -> Policy:
    """A test bundle from tests/compare/policies/<name>/1.0."""
    return load_policy(FIXTURE_POLICIES / name / "1.0" / "policy.yaml")


def mixed_population(n: int, seed: int) -> Population:
    """Rows that use every column: intervals, fine-tuning, revenue, parameters, licences, components,
    modalities, dates, unknowns everywhere, and values exactly at common thresholds."""
    rng = np.random.default_rng(seed)
    exact = np.array([1e23, 1e25, np.nextafter(1e25, 0), np.nextafter(1e25, np.inf), 1e26, 3e24])
    flop = np.where(rng.random(n) < 0.3, rng.choice(exact, n), 10 ** rng.uniform(20, 28, n))
    flop[rng.random(n) < 0.1] = np.nan
    interval = rng.random(n) < 0.25
    lower = np.where(interval & (rng.random(n) < 0.8), flop / 3, np.nan)
    upper = np.where(interval & (rng.random(n) < 0.7), flop * 2, np.nan)
    fine_tuning = np.where(rng.random(n) < 0.3, flop * rng.uniform(0, 0.5, n), np.nan)
    revenue = np.where(rng.random(n) < 0.7, 10 ** rng.uniform(6, 11, n), np.nan)
    revenue[rng.random(n) < 0.05] = 5e8
    parameters = np.where(rng.random(n) < 0.5, 10 ** rng.uniform(8, 12, n), np.nan)
    caps = {}
    for domain in ("bio", "chem", "nuclear", "cyber", "autonomy", "ai_rnd", "persuasion"):
        values = np.round(rng.uniform(0, 1, n), 2)
        values[rng.random(n) < 0.15] = np.nan
        values[rng.random(n) < 0.05] = 0.5
        caps[domain] = values
    forms: list[ReleaseForm | None] = [None, *ReleaseForm]
    openness = [forms[int(k)] for k in rng.integers(0, len(forms), n)]
    licences = [None, "Apache-2.0", "MIT", "Llama 3 Community", "proprietary", "GPL-3.0-only OR MIT"]
    components = [None, "weights", "weights;model_card", "architecture;weights;model_card;training_code", "model_card"]
    modalities = [None, "text", "text;image", "code", "biological_sequence"]
    days = np.datetime64("2021-01-01") + rng.integers(0, 2400, n).astype("timedelta64[D]")
    release = np.where(rng.random(n) < 0.1, np.datetime64("NaT"), days).astype("datetime64[D]")
    ends = np.where(rng.random(n) < 0.5, release - np.timedelta64(60, "D"), np.datetime64("NaT")).astype(
        "datetime64[D]"
    )
    return Population.from_columns(
        [f"model {seed}-{i}" for i in range(n)],
        source=f"mixed population (seed {seed})",
        training_flop=flop,
        training_flop_lower=lower,
        training_flop_upper=upper,
        fine_tuning_flop=fine_tuning,
        revenue_usd=revenue,
        parameters=parameters,
        capabilities=caps,
        openness=openness,
        organization=[None if rng.random() < 0.2 else f"Lab {int(k)}" for k in rng.integers(0, 5, n)],
        license=[licences[int(k)] for k in rng.integers(0, len(licences), n)],
        components=[components[int(k)] for k in rng.integers(0, len(components), n)],
        modalities=[modalities[int(k)] for k in rng.integers(0, len(modalities), n)],
        release=release,
        training_end=ends,
    )
