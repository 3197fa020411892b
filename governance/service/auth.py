"""Who is calling: ``Authorization: Bearer TOKEN`` checked against the key store, and role guards.

A route declares the roles it admits with :func:`require`; a request without a key gets 401, a key of
another role 403, both as problem documents. Routes of the public log take :func:`optional_key`: they
answer everyone, and show more to a key that may see it.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from governance.service.apikeys import ApiKey, Role
from governance.service.problems import ProblemError
from governance.service.runtime import service_of

__all__ = ["optional_key", "require"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="governance"'}


def optional_key(request: Request) -> ApiKey | None:
    """The caller's live key, None without an Authorization header; 401 for a bad or revoked token."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(401, "unauthenticated", "Authorization: expected 'Bearer TOKEN'", headers=_CHALLENGE)
    key = service_of(request).keys.authenticate(token.strip())
    if key is None:
        raise ProblemError(401, "unauthenticated", "the API key is unknown or revoked", headers=_CHALLENGE)
    request.state.key_id = key.key_id
    return key


def require(*roles: Role) -> Callable[[Request], ApiKey]:
    """A dependency admitting a live key of one of ``roles``."""
    allowed = ", ".join(role.value for role in roles)

    def guard(request: Request) -> ApiKey:
        key = optional_key(request)
        if key is None:
            raise ProblemError(
                401, "unauthenticated", "this route needs an API key: Authorization: Bearer TOKEN", headers=_CHALLENGE
            )
        if key.role not in roles:
            detail = f"a {key.role.value} key may not use this route (allowed: {allowed})"
            raise ProblemError(403, "forbidden", detail)
        return key

    guard.__name__ = f"require_{'_or_'.join(role.value for role in roles)}"
    return guard
