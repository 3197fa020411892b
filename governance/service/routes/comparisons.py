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
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from governance.service.apikeys import ApiKey, Role
from governance.service.auth import require
from governance.service.bodies import StrictRoute
from governance.service.routes.decisions import PolicyRefText
from governance.service.routes.policies import resolve_refs

if TYPE_CHECKING:
    from governance.compare.population import Population

__all__ = ["ComparisonRequest", "router"]

router = APIRouter(tags=["comparisons"], route_class=StrictRoute)
Policymaker = Annotated[ApiKey, Depends(require(Role.POLICYMAKER))]
MAX_ROWS = 100_000


class ComparisonRequest(BaseModel):
    """A population (``population`` as JSON, or ``csv``), the policies to compare, and the date."""

    model_config = ConfigDict(extra="forbid")
    population: list[dict[str, Any]] | None = Field(default=None, min_length=1, max_length=MAX_ROWS)
    """Candidate documents, or rows with ``name`` and ``training_flop`` (docs/compare.md)."""
    csv: str | None = Field(default=None, min_length=1)
    """The population as CSV text, header row first."""
    policies: list[PolicyRefText] = Field(min_length=1, max_length=16)
    as_of: dt.date | None = None
    limit: int = Field(default=200, ge=1, le=10_000)
    """Rows per list in the answer."""

    @model_validator(mode="after")
    def _one_population(self) -> ComparisonRequest:
        if (self.population is None) == (self.csv is None):
            raise ValueError("give the population once: either population (JSON) or csv")
        return self


def _load(body: ComparisonRequest) -> Population:
    from governance import load_population

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
    comparison = compare_population(_load(body), policies, as_of=day)
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "application/json" not in accept:
        from governance.compare.report import build_report

        return HTMLResponse(build_report(comparison, limit=body.limit))
    return JSONResponse(comparison.document(limit=body.limit))
