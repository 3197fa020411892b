"""``POST /v1/comparisons``: compare policies over an uploaded population, as ``governance compare`` does.

The population is a list of candidate documents or of rows (``name``, ``training_flop``, ...), or a
CSV text; it is read by the same reader as the CLI's population files, with the same errors. The
answer is the comparison document (``governance compare --format json``), or, with
``Accept: text/html``, the self-contained HTML report.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from governance.exceptions import InputError
from governance.service.apikeys import ApiKey, Role
from governance.service.auth import require
from governance.service.bodies import StrictRoute
from governance.service.routes.decisions import PolicyRefText
from governance.service.routes.policies import resolve_refs

if TYPE_CHECKING:
    from governance.compare.population import Population

__all__ = ["ComparisonRequest", "SweepRequest", "load_choice", "router"]

router = APIRouter(tags=["comparisons"], route_class=StrictRoute)
Policymaker = Annotated[ApiKey, Depends(require(Role.POLICYMAKER))]
MAX_ROWS = 100_000


class PopulationChoice(BaseModel):
    """A population: ``population`` (JSON), ``csv`` (text), or ``shipped`` (the shipped notable models)."""

    model_config = ConfigDict(extra="forbid")
    population: list[dict[str, Any]] | None = Field(default=None, min_length=1, max_length=MAX_ROWS)
    """Candidate documents, or rows with ``name`` and ``training_flop`` (docs/compare.md)."""
    csv: str | None = Field(default=None, min_length=1)
    """The population as CSV text, header row first."""
    shipped: Literal["notable-models"] | None = None
    """The population shipped with governance (``examples/populations/notable-models.csv``)."""
    as_of: dt.date | None = None

    @model_validator(mode="after")
    def _one_population(self) -> PopulationChoice:
        if sum(x is not None for x in (self.population, self.csv, self.shipped)) != 1:
            raise ValueError("give the population once: population (JSON), csv, or shipped")
        return self


class ComparisonRequest(PopulationChoice):
    """A population, the policies to compare, and the date."""

    policies: list[PolicyRefText] = Field(min_length=1, max_length=16)
    limit: int = Field(default=200, ge=1, le=10_000)
    """Rows per list in the answer."""


class SweepRequest(PopulationChoice):
    """A population, one policy, the threshold to move, and the range (default: 1000x either side)."""

    policy: PolicyRefText
    parameter: str = Field(min_length=1, max_length=80)
    low: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    high: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    steps: int = Field(default=41, ge=2, le=201)
    limit: int = Field(default=500, ge=1, le=10_000)
    """Most flips listed."""


def load_choice(body: PopulationChoice) -> Population:
    """The population a request names, read by the CLI's population reader."""
    from governance import load_population
    from governance.loader import data_dir

    if body.shipped is not None:
        return load_population(data_dir("examples") / "populations" / f"{body.shipped}.csv")
    with tempfile.TemporaryDirectory(prefix="governance-upload-") as folder:
        if body.csv is not None:
            path = Path(folder) / "population.csv"
            path.write_text(body.csv, encoding="utf-8")
        else:
            path = Path(folder) / "population.json"
            path.write_text(json.dumps(body.population), encoding="utf-8")
        return load_population(path)


@router.post(
    "/v1/comparisons",
    summary="Compare policies over an uploaded population (policymaker).",
    responses={200: {"content": {"application/json": {}, "text/html": {}}}},
)
def post_comparison(request: Request, body: ComparisonRequest, _key: Policymaker) -> Response:
    """The comparison document; the HTML report when the request accepts ``text/html`` and not JSON."""
    from governance import compare_population

    day = body.as_of or dt.datetime.now(dt.UTC).date()
    policies = resolve_refs(body.policies, as_of=day)
    comparison = compare_population(load_choice(body), policies, as_of=day)
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "application/json" not in accept:
        from governance.compare.report import build_report

        return HTMLResponse(build_report(comparison, limit=body.limit))
    return JSONResponse(comparison.document(limit=body.limit))


@router.post("/v1/sweeps", summary="Move one threshold of a policy over a population (policymaker).")
def post_sweep(body: SweepRequest, _key: Policymaker) -> JSONResponse:
    """Tier counts at each value of the threshold, and every model that changes tier, with where."""
    from governance import sweep_population

    day = body.as_of or dt.datetime.now(dt.UTC).date()
    policy = resolve_refs([body.policy], as_of=day)[0]
    current = policy.parameters.thresholds.get(body.parameter)
    if current is None:
        known = ", ".join(sorted(policy.parameters.thresholds)) or "none"
        raise InputError(f"parameter: {policy.ref} has no threshold {body.parameter!r} (thresholds: {known})")
    low = body.low if body.low is not None else (current / 1000 if current > 0 else 0.0)
    high = body.high if body.high is not None else (current * 1000 if current > 1 else 1.0)
    population = load_choice(body)
    result = sweep_population(population, policy, body.parameter, low, high, body.steps, as_of=day)
    return JSONResponse(result.document(population, limit=body.limit))
