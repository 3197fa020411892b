"""Synthetic populations: grids and seeded random samples over compute, capabilities, dates and openness.

Synthetic models are illustrative, not estimates of real ones. They serve to see where policies
draw their lines (a grid covers the space evenly, every point a named model) and to measure the
engine at scale (a random sample of any size, the same for the same seed).

Grid axes (``governance population generate --grid AXIS ...``; the grid is their product):

=====================================  ===============================================================
``training_flop=1e22..1e27:6``         six values on a log scale (also ``revenue_usd``, ``parameters``)
``training_flop=1e24,1e25,unknown``    listed values; ``unknown`` leaves the cell blank
``capability=0..1:5``                  every built-in risk domain at the same score (linear)
``cap_bio=0..1:3``                     one domain; domains without an axis stay unknown
``release=2023-01-01..2026-01-01:4``   evenly spaced dates (also ``training_end``)
``openness=closed,api,open-weight``    release forms
=====================================  ===============================================================
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from governance.candidate import BUILTIN_DOMAINS, ReleaseForm
from governance.compare.population import CAPABILITY_PREFIX, Categorical, Population, parse_openness
from governance.exceptions import InputError

__all__ = ["GridAxis", "grid_population", "parse_grid_axis", "random_population"]

_LOG_AXES = ("training_flop", "revenue_usd", "parameters", "fine_tuning_flop")
_DATE_AXES = ("release", "training_end")
_RANGE = re.compile(r"^(?P<low>[^.:]+(?:\.\d+)?(?:[eE][+-]?\d+)?)\.\.(?P<high>[^:]+):(?P<steps>\d+)$")
MAX_GRID = 10_000_000
"""The largest grid :func:`grid_population` builds."""


@dataclass(frozen=True)
class GridAxis:
    """One axis of a grid: a column name and its values (None for unknown)."""

    name: str
    values: tuple[float | str | None, ...]


def _number(text: str, axis: str) -> float | None:
    if text.strip().lower() == "unknown":
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"--grid {axis}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"--grid {axis}: {text!r} is not finite")
    return value


def parse_grid_axis(text: str) -> GridAxis:
    """Parse ``NAME=LOW..HIGH:STEPS`` or ``NAME=V1,V2,...`` (see the module docs for the names).

    Raises:
        InputError: an unknown axis name or a malformed range.
    """
    name, sep, spec = text.partition("=")
    name = name.strip().lower()
    spec = spec.strip()
    if not sep or not spec:
        raise InputError(f"--grid {text!r}: expected NAME=LOW..HIGH:STEPS or NAME=V1,V2,...")
    numeric = (*_LOG_AXES, "capability")
    known = (*numeric, *_DATE_AXES, "openness")
    if name not in known and not name.startswith(CAPABILITY_PREFIX):
        raise InputError(f"--grid {text!r}: unknown axis {name!r}; expected one of {', '.join(known)} or cap_<domain>")
    match = _RANGE.match(spec)
    if name == "openness":
        forms = []
        for item in spec.split(","):
            form = parse_openness(item)
            if form is None:
                raise InputError(f"--grid {text!r}: {item!r} is not a release form")
            forms.append(form.value)
        return GridAxis(name, tuple(forms))
    if name in _DATE_AXES:
        if match:
            try:
                low, high = dt.date.fromisoformat(match["low"]), dt.date.fromisoformat(match["high"])
            except ValueError:
                raise InputError(f"--grid {text!r}: expected dates YYYY-MM-DD") from None
            steps = int(match["steps"])
            if steps < 1 or high < low:
                raise InputError(f"--grid {text!r}: expected LOW <= HIGH and at least one step")
            span = (high - low).days
            offsets = [round(span * k / (steps - 1)) if steps > 1 else 0 for k in range(steps)]
            return GridAxis(name, tuple((low + dt.timedelta(days=o)).isoformat() for o in offsets))
        try:
            return GridAxis(name, tuple(dt.date.fromisoformat(v.strip()).isoformat() for v in spec.split(",")))
        except ValueError:
            raise InputError(f"--grid {text!r}: expected dates YYYY-MM-DD") from None
    if match:
        low_value, high_value = _number(match["low"], text), _number(match["high"], text)
        steps = int(match["steps"])
        if low_value is None or high_value is None or steps < 1 or high_value < low_value:
            raise InputError(f"--grid {text!r}: expected LOW <= HIGH and at least one step")
        if name in _LOG_AXES:
            if low_value <= 0:
                raise InputError(f"--grid {text!r}: a log-scale axis needs LOW > 0")
            raw = np.logspace(math.log10(low_value), math.log10(high_value), steps)
            values = [float(f"{v:.12g}") for v in raw]
        else:
            values = [float(f"{v:.12g}") for v in np.linspace(low_value, high_value, steps)]
        values[0], values[-1] = low_value, high_value
        return GridAxis(name, tuple(values))
    return GridAxis(name, tuple(_number(v, text) for v in spec.split(",")))


_LABELS = {
    "training_flop": "{} FLOP",
    "fine_tuning_flop": "fine-tuning {} FLOP",
    "revenue_usd": "revenue {} USD",
    "parameters": "{} parameters",
    "capability": "capability {}",
    "release": "released {}",
    "training_end": "trained by {}",
    "openness": "{}",
}


def _label(axis: GridAxis, value: float | str | None) -> str:
    pattern = _LABELS.get(axis.name, axis.name[len(CAPABILITY_PREFIX) :] + " {}")
    if value is None:
        return pattern.format("unknown")
    if isinstance(value, str):
        return pattern.format(value)
    return pattern.format(f"{value:.3g}" if axis.name in _LOG_AXES else f"{value:g}")


def grid_population(axes: Sequence[GridAxis], *, domains: Sequence[str] = BUILTIN_DOMAINS) -> Population:
    """Every combination of the axes' values, one named model each.

    Raises:
        InputError: no axis, an axis given twice, or more than :data:`MAX_GRID` points.
    """
    if not axes:
        raise InputError("give at least one --grid axis")
    names = [a.name for a in axes]
    if len(set(names)) != len(names):
        raise InputError(f"a grid axis is given twice: {', '.join(names)}")
    size = math.prod(len(a.values) for a in axes)
    if size > MAX_GRID:
        raise InputError(f"the grid has {size} points; the most is {MAX_GRID}")
    points = list(itertools.product(*(a.values for a in axes)))
    columns: dict[str, list[float | str | None]] = {a.name: [p[k] for p in points] for k, a in enumerate(axes)}
    labels = [", ".join(_label(a, p[k]) for k, a in enumerate(axes)) for p in points]

    def floats(name: str) -> npt.NDArray[np.float64] | None:
        if name not in columns:
            return None
        return np.array([np.nan if v is None else float(v) for v in columns[name]], dtype=np.float64)

    capabilities: dict[str, npt.NDArray[np.float64]] = {}
    if "capability" in columns:
        shared = floats("capability")
        assert shared is not None
        capabilities = dict.fromkeys(domains, shared)
    for name in columns:
        if name.startswith(CAPABILITY_PREFIX):
            values = floats(name)
            assert values is not None
            capabilities[name[len(CAPABILITY_PREFIX) :]] = values
    openness = None
    if "openness" in columns:
        openness = [None if v is None else ReleaseForm(str(v)) for v in columns["openness"]]

    def dates(name: str) -> npt.NDArray[np.datetime64] | None:
        if name not in columns:
            return None
        return np.array(["NaT" if v is None else str(v) for v in columns[name]], dtype="datetime64[D]")

    return Population.from_columns(
        labels,
        source=f"grid over {', '.join(names)}",
        training_flop=floats("training_flop"),
        fine_tuning_flop=floats("fine_tuning_flop"),
        revenue_usd=floats("revenue_usd"),
        parameters=floats("parameters"),
        capabilities=capabilities,
        openness=openness,
        release=dates("release"),
        training_end=dates("training_end"),
    )


_FORM_SHARES = (
    (ReleaseForm.CLOSED, 0.10),
    (ReleaseForm.HOSTED, 0.05),
    (ReleaseForm.API, 0.45),
    (ReleaseForm.OPEN_WEIGHTS, 0.30),
    (ReleaseForm.OPEN_SOURCE, 0.10),
)


def random_population(
    n: int,
    *,
    seed: int,
    flop_range: tuple[float, float] = (1e20, 1e28),
    release_range: tuple[dt.date, dt.date] = (dt.date(2020, 1, 1), dt.date(2026, 12, 31)),
    unknown_share: float = 0.02,
    domains: Sequence[str] = BUILTIN_DOMAINS,
    organizations: int = 50,
) -> Population:
    """``n`` random models, the same for the same seed.

    Compute is log-uniform over ``flop_range``; each capability score follows compute loosely (the
    log-compute position in the range, times 0.9, plus Gaussian noise of 0.15, clipped to [0, 1],
    three decimals); release dates are uniform; release forms follow fixed shares (closed 10%,
    hosted 5%, API 45%, open weights 30%, open source 10%); each of ``organizations`` developers has
    one log-uniform revenue between 1e6 and 1e11 USD. Compute, each capability, the release form
    and the revenue are each unknown with probability ``unknown_share``.

    Raises:
        InputError: a non-positive size or an empty range.
    """
    if n < 1:
        raise InputError(f"--random {n}: expected at least one model")
    low, high = flop_range
    if not (0 < low < high) or release_range[0] > release_range[1] or not 0 <= unknown_share < 1:
        raise InputError("expected 0 < flop low < flop high, release start <= end, and 0 <= unknown share < 1")
    rng = np.random.default_rng(seed)
    position = rng.uniform(0.0, 1.0, n)
    flop = 10.0 ** (math.log10(low) + position * (math.log10(high) - math.log10(low)))
    flop[rng.random(n) < unknown_share] = np.nan
    capabilities = {}
    for domain in domains:
        score = np.round(np.clip(0.9 * position + rng.normal(0.0, 0.15, n), 0.0, 1.0), 3)
        score[rng.random(n) < unknown_share] = np.nan
        capabilities[domain] = score
    span = (release_range[1] - release_range[0]).days
    release = np.datetime64(release_range[0], "D") + rng.integers(0, span + 1, n).astype("timedelta64[D]")
    forms = np.array([f.openness for f, _ in _FORM_SHARES], dtype=np.int8)
    openness = forms[rng.choice(len(forms), size=n, p=[share for _, share in _FORM_SHARES])]
    openness[rng.random(n) < unknown_share] = -1
    org_codes = rng.integers(0, organizations, n).astype(np.int32)
    org_revenue = 10.0 ** rng.uniform(6.0, 11.0, organizations)
    revenue = org_revenue[org_codes]
    revenue[rng.random(n) < unknown_share] = np.nan
    licences = ("Apache-2.0", "LicenseRef-custom-model-licence")
    licence_codes = np.where(openness >= ReleaseForm.OPEN_WEIGHTS.openness, rng.integers(0, 2, n), -1).astype(np.int32)
    licence_codes[openness == ReleaseForm.OPEN_SOURCE.openness] = 0
    width = len(str(n))
    numbers = cast(npt.NDArray[np.bytes_], np.arange(1, n + 1).astype(np.bytes_))
    names = np.char.add(np.bytes_(b"synthetic-"), np.char.zfill(numbers, width))
    return Population.from_columns(
        names,
        source=f"random sample of {n} (seed {seed})",
        training_flop=flop,
        capabilities=capabilities,
        openness=openness,
        organization=Categorical(org_codes, tuple(f"Lab {k + 1:02d}" for k in range(organizations))),
        license=Categorical(licence_codes, licences),
        release=release,
        revenue_usd=revenue,
    )
