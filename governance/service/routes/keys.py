"""``/v1/keys``: an admin creates, lists and revokes API keys over HTTP (as ``governance keys`` does)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict

from governance.service.apikeys import ApiKey, Role
from governance.service.auth import require
from governance.service.bodies import StrictRoute
from governance.service.problems import ProblemError
from governance.service.runtime import service_of

__all__ = ["router"]

router = APIRouter(prefix="/v1/keys", tags=["keys"], route_class=StrictRoute)
Admin = Annotated[ApiKey, Depends(require(Role.ADMIN))]


class KeyInfo(BaseModel):
    """A key, never its token."""

    key_id: str
    name: str
    role: Role
    org: str | None
    created_at: str
    revoked_at: str | None


class KeyRequest(BaseModel):
    """A key to create."""

    model_config = ConfigDict(extra="forbid")
    role: Role
    name: str
    org: str | None = None


class IssuedKeyInfo(KeyInfo):
    """A new key with its token: shown this once."""

    token: str


def _info(key: ApiKey) -> KeyInfo:
    return KeyInfo.model_validate(key.document())


@router.get("", summary="Every key (admin).")
def list_keys(request: Request, _admin: Admin) -> list[KeyInfo]:
    """Every key, revoked or not, oldest first."""
    return [_info(key) for key in service_of(request).keys.list()]


@router.post("", status_code=201, summary="Create a key (admin); the token is shown once.")
def create_key(request: Request, body: KeyRequest, _admin: Admin) -> IssuedKeyInfo:
    """Create a key; a lab key needs ``org``. The response holds the token: store it, it is not kept."""
    issued = service_of(request).keys.create(body.role, body.name, body.org)
    return IssuedKeyInfo(**_info(issued.key).model_dump(), token=issued.token)


@router.delete("/{key_id}", summary="Revoke a key (admin).")
def revoke_key(request: Request, key_id: str, _admin: Admin) -> KeyInfo:
    """Revoke a key: its token is refused from the next request on."""
    store = service_of(request).keys
    if not any(key.key_id == key_id for key in store.list()):
        raise ProblemError(404, "not_found", f"no API key {key_id!r}")
    return _info(store.revoke(key_id))
